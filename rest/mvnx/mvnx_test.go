package mvnx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/mvnx"
	"simgate/rest/resttest"
)

type ackBody struct {
	MessageHeader struct {
		TrackingMessageHeader struct {
			MessageID           string `json:"messageId"`
			ConversationID      string `json:"conversationId"`
			UniqueTransactionID string `json:"uniqueTransactionId"`
		}
		SecurityMessageHeader struct {
			UserName     string `json:"userName"`
			UserPassword string `json:"userPassword"`
		}
	}
	RequestAcknowledgement struct {
		Response struct{ Code, Description string }
	}
}

type responseMsg struct {
	MessageHeader struct {
		TrackingMessageHeader struct {
			ResponseTo     string `json:"responseTo"`
			ConversationID string `json:"conversationId"`
		}
		SequenceMessageHeader struct {
			SequenceNumber  string `json:"sequenceNumber"`
			TotalInSequence string `json:"totalInSequence"`
		}
	}
	ActivateSubscriberResellerResponse struct {
		BillingAccountNumber string `json:"billingAccountNumber"`
		Subscriber           struct {
			SubscriberNumber, SubscriberStatus, SIM, IMEI, Code, Description string
		}
	}
}

func parseAck(t *testing.T, body string) ackBody {
	t.Helper()
	var a ackBody
	require.NoError(t, json.Unmarshal([]byte(body), &a), body)
	return a
}

// notifications waits for n response messages and answers them in sequence order.
func (e *env) notifications(t *testing.T, n int) ([]responseMsg, []resttest.Received) {
	t.Helper()
	got := e.Partner.Wait(t, n)
	require.Len(t, got, n)
	msgs := make([]responseMsg, n)
	for i, r := range got {
		require.NoError(t, json.Unmarshal(r.Body, &msgs[i]))
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		return msgs[idx[a]].MessageHeader.SequenceMessageHeader.SequenceNumber < msgs[idx[b]].MessageHeader.SequenceMessageHeader.SequenceNumber
	})
	outM, outR := make([]responseMsg, n), make([]resttest.Received, n)
	for i, j := range idx {
		outM[i], outR[i] = msgs[j], got[j]
	}
	return outM, outR
}

// The outcome the partner reads for each subscriber of a use case.
type outcome struct{ status, number, code string }

var asyncCases = []struct {
	name     string
	outcomes []outcome
}{
	// The document's request shape, every field, with sandbox values.
	{"activate_document_shape", []outcome{{"A", "8035612200", ""}}},
	// The four use cases of the document.
	{"new_device_provided_number", []outcome{{"A", "8035612201", ""}}},
	{"reserved_number", []outcome{{"A", "8035612290", ""}}},
	{"customer_device_pool_number", []outcome{{"A", "8035612200", ""}}},
	{"business_several_devices", []outcome{{"A", "8035612204", ""}, {"A", "8035612200", ""}, {"A", "8035612291", ""}}},
	// Business rules, refused per subscriber.
	{"other_resellers_reservation", []outcome{{"C", "8035619999", "NUMBER_NOT_AVAILABLE"}}},
	{"other_resellers_sim", []outcome{{"C", "8035612207", "SIM_NOT_FOUND"}}},
	{"bad_imei_check_digit", []outcome{{"C", "8035612208", "IMEI_INVALID"}}},
	{"unknown_price_plan", []outcome{{"C", "8035612209", "PLAN_NOT_FOUND"}}},
	{"one_fails_others_not", []outcome{{"A", "8035612210", ""}, {"C", "8035619999", "NUMBER_NOT_AVAILABLE"}}},
}

func TestAsyncActivations(t *testing.T) {
	for _, tc := range asyncCases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			status, body := e.post(t, readCase(t, tc.name))
			require.Equal(t, http.StatusOK, status, body)
			ack := parseAck(t, body)
			assert.Equal(t, "0", ack.RequestAcknowledgement.Response.Code)
			assert.Equal(t, "Success", ack.RequestAcknowledgement.Response.Description)
			assert.Equal(t, "[userName]", ack.MessageHeader.SecurityMessageHeader.UserName)
			assert.Equal(t, "[userPassword]", ack.MessageHeader.SecurityMessageHeader.UserPassword)
			assert.NotContains(t, body, "demo-reseller-pass")
			golden(t, tc.name+".ack", []byte(body))

			msgs, raw := e.notifications(t, len(tc.outcomes))
			ban := msgs[0].ActivateSubscriberResellerResponse.BillingAccountNumber
			assert.Len(t, ban, 12)
			for i, m := range msgs {
				want := tc.outcomes[i]
				s := m.ActivateSubscriberResellerResponse.Subscriber
				assert.Equal(t, want.status, s.SubscriberStatus, "subscriber %d", i)
				assert.Equal(t, want.number, s.SubscriberNumber, "subscriber %d", i)
				assert.Equal(t, want.code, s.Code, "subscriber %d", i)
				assert.Equal(t, ack.MessageHeader.TrackingMessageHeader.MessageID, m.MessageHeader.TrackingMessageHeader.ResponseTo)
				assert.Equal(t, ack.MessageHeader.TrackingMessageHeader.ConversationID, m.MessageHeader.TrackingMessageHeader.ConversationID)
				assert.Equal(t, fmt.Sprint(i+1), m.MessageHeader.SequenceMessageHeader.SequenceNumber)
				assert.Equal(t, fmt.Sprint(len(msgs)), m.MessageHeader.SequenceMessageHeader.TotalInSequence)
				assert.Equal(t, ban, m.ActivateSubscriberResellerResponse.BillingAccountNumber, "one BAN per request")
				golden(t, fmt.Sprintf("%s.notification.%d", tc.name, i+1), raw[i].Body)
			}
			// The inventory agrees with what the partner was told.
			require.NoError(t, e.DB.View(context.Background(), func(tx core.Tx) error {
				for _, m := range msgs {
					s := m.ActivateSubscriberResellerResponse.Subscriber
					sim, _, err := tx.SIMByICCID(s.SIM)
					require.NoError(t, err)
					if s.SubscriberStatus != "A" {
						assert.NotEqual(t, core.SIMActive, sim.Status)
						continue
					}
					assert.Equal(t, core.SIMActive, sim.Status)
					sub, ok, err := tx.SubscriptionBy(core.ByMSISDN, s.SubscriberNumber)
					require.NoError(t, err)
					require.True(t, ok)
					assert.Equal(t, s.SIM, sub.ICCID)
					assert.Equal(t, ban, sub.BAN)
					num, _, err := tx.Number(s.SubscriberNumber)
					require.NoError(t, err)
					assert.Equal(t, core.NumberIsAssigned, num.Status)
				}
				return nil
			}))
		})
	}
}

func TestRefusedAtSubmit(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		status int
		code   string
		desc   string
	}{
		{"err_bad_credentials", 401, "LOGIN_FAILED", "Invalid userName or userPassword"},
		{"err_missing_fields", 400, "MALFORMED_REQUEST", "MessageHeader.TrackingMessageHeader.messageId is required"},
		{"err_pool_without_market", 400, "MALFORMED_REQUEST", "localMarket is required to pick a subscriber number from the pool"},
		{"err_unknown_field", 400, "MALFORMED_REQUEST", "IMIE"},
		{"err_not_json", 400, "MALFORMED_REQUEST", ""},
		{"err_duplicate_key", 400, "MALFORMED_REQUEST", "MessageId"},
		// The document's example request, verbatim: its placeholder
		// values ("string") are refused field by field, credentials masked.
		{"seed_example", 400, "MALFORMED_REQUEST", "returnURL must be an absolute http or https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.post(t, readCase(t, tc.name))
			assert.Equal(t, tc.status, status, body)
			ack := parseAck(t, body)
			assert.Equal(t, tc.code, ack.RequestAcknowledgement.Response.Code)
			assert.Contains(t, ack.RequestAcknowledgement.Response.Description, tc.desc)
			assert.NotContains(t, body, "demo-reseller-pass")
			assert.NotContains(t, body, "wrong-password")
			golden(t, tc.name, []byte(body))
		})
	}
	big := `{"MessageHeader":{"TrackingMessageHeader":{"messageId":"` + strings.Repeat("x", 1<<20) + `"}}}`
	status, body := e.post(t, big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Equal(t, "REQUEST_TOO_LARGE", parseAck(t, body).RequestAcknowledgement.Response.Code)
	// Nothing refused left a transaction or a notification behind.
	got, _ := e.Partner.Received()
	assert.Empty(t, got)
}

// The same messageId with the same body replays the first acknowledgement
// and executes nothing; with another body it is refused.
func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	req := readCase(t, "new_device_provided_number")
	s1, b1 := e.post(t, req)
	require.Equal(t, http.StatusOK, s1, b1)
	s2, b2 := e.post(t, req)
	require.Equal(t, http.StatusOK, s2, b2)
	assert.Equal(t, b1, b2, "the first acknowledgement, byte for byte")
	e.notifications(t, 1)

	changed := strings.Replace(req, "8035612201", "8035612202", 1)
	s3, b3 := e.post(t, changed)
	assert.Equal(t, http.StatusUnprocessableEntity, s3)
	assert.Equal(t, "DUPLICATE_TRANSACTION_ID", parseAck(t, b3).RequestAcknowledgement.Response.Code)

	// Another reseller may use the same messageId: keys are per partner.
	other := strings.NewReplacer("demo-reseller-pass", "other-reseller-pass", `"demo-reseller"`, `"other-reseller"`).Replace(req)
	s4, b4 := e.post(t, other)
	assert.Equal(t, http.StatusOK, s4, b4)
	assert.NotEqual(t, parseAck(t, b1).MessageHeader.TrackingMessageHeader.UniqueTransactionID, parseAck(t, b4).MessageHeader.TrackingMessageHeader.UniqueTransactionID)
}

// A SIM named by two subscribers of one request is refused at the second,
// with its path, before anything is submitted.
func TestRepeatedSIMRefused(t *testing.T) {
	e := newEnv(t)
	body := strings.Replace(readCase(t, "business_several_devices"), `"SIM": "89014104178003620005"`, `"SIM": "89014104178003620004"`, 1)
	require.Contains(t, body, `"SIM": "89014104178003620006"`) // the third stays distinct
	status, answer := e.post(t, body)
	assert.Equal(t, http.StatusBadRequest, status, answer)
	a := parseAck(t, answer)
	assert.Equal(t, "ActivateSubscriberResellerRequest.SubscriberReseller[1].Device.SIM repeats an earlier subscriber's SIM", a.RequestAcknowledgement.Response.Description)
}

// A body declared in a media type other than JSON is refused with 415 in
// the acknowledgement's shape; application/json and application/*+json
// (any case, with parameters), or no Content-Type at all (legacy
// partners), are read. The accepted cases are one request: the first is
// activated, the others replay its acknowledgement.
func TestContentType(t *testing.T) {
	e := newEnv(t)
	body := strings.ReplaceAll(readCase(t, "new_device_provided_number"), placeholder, e.ReturnURL)
	for _, tc := range []struct {
		contentType string
		status      int
		code        string
	}{
		{"text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"}, // curl -d without -H
		{"application/xml", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"application/jsonp", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"application/+json", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"text/json", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"application/json", 200, "0"},
		{"application/json; charset=utf-8", 200, "0"},
		{"Application/JSON;Charset=UTF-8", 200, "0"},
		{"application/vnd.att.mvnx+json", 200, "0"},
		{"", 200, "0"},
	} {
		t.Run(tc.contentType, func(t *testing.T) {
			status, _, answer := e.Do(t, http.MethodPost, mvnx.Path, map[string]string{"Content-Type": tc.contentType}, body)
			assert.Equal(t, tc.status, status, answer)
			ack := parseAck(t, answer)
			assert.Equal(t, tc.code, ack.RequestAcknowledgement.Response.Code)
			if tc.status == 415 {
				assert.Equal(t, "Content-Type must be application/json", ack.RequestAcknowledgement.Response.Description)
			}
		})
	}
	e.notifications(t, 1)
}

// A method the endpoint does not serve is answered 405 with Allow, in the
// acknowledgement's shape rather than the router's.
func TestWrongMethod(t *testing.T) {
	e := newEnv(t)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		t.Run(method, func(t *testing.T) {
			status, h, body := e.Do(t, method, mvnx.Path, nil, "")
			assert.Equal(t, http.StatusMethodNotAllowed, status, body)
			assert.Equal(t, "POST", h.Get("Allow"))
			ack := parseAck(t, body)
			assert.Equal(t, "METHOD_NOT_ALLOWED", ack.RequestAcknowledgement.Response.Code)
			assert.Equal(t, method+" is not allowed here (allowed: POST)", ack.RequestAcknowledgement.Response.Description)
			assert.NotEmpty(t, ack.MessageHeader.TrackingMessageHeader.UniqueTransactionID)
		})
	}
}
