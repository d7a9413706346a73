package sps_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/resttest"
	"simgate/rest/sps"
)

// The sandbox's keys and demo-wholesale's signing secret.
const (
	demoKey    = "demo-wholesale-key"
	otherKey   = "other-wholesale-key"
	demoSecret = "whsec_c2ltZ2F0ZS1kZW1vLXdob2xlc2FsZS13ZWJob29r"
)

func newEnv(t *testing.T) *resttest.Env {
	return resttest.New(t, demoSecret, func(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
		sps.New(svc, eng, log, sps.Options{AllowPrivateCallbacks: true}).Register(e)
	})
}

func headers(key string, extra ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + key}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

// docHeaders are the document's example headers.
var docHeaders = headers(demoKey, "X-Correlation-Id", "TQA20210903155950999", "wholesaleCustomerId", "920000108464")

func setCallback(t *testing.T, e *resttest.Env) {
	t.Helper()
	status, _, body := e.Do(t, http.MethodPut, sps.PathCallback, headers(demoKey), `{"callbackUrl":"`+e.ReturnURL+`"}`)
	require.Equal(t, http.StatusOK, status, body)
}

type notification struct {
	EventType, PartnerTransactionID, CorrelationID, WholesaleCustomerID, Status string
	Subscription                                                                map[string]string
	ESIM                                                                        *struct{ ActivationCode, QRCode string } `json:"eSIM"`
	Errors                                                                      []map[string]string
}

func parseNote(t *testing.T, b []byte) notification {
	t.Helper()
	var n notification
	require.NoError(t, json.Unmarshal(b, &n), string(b))
	return n
}

// The document's three examples, verbatim, in sequence: activate, suspend
// by gpsi given as a number, query the transaction id both used.
func TestDocumentExamples(t *testing.T) {
	e := newEnv(t)
	status, _, body := e.Do(t, http.MethodPut, sps.PathCallback, headers(demoKey), `{"callbackUrl":"`+e.ReturnURL+`"}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"signingSecret":"`+demoSecret+`"`, "shown the first time")
	status, _, body = e.Do(t, http.MethodGet, sps.PathCallback, headers(demoKey), "")
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, body, demoSecret, "never again")
	assert.Contains(t, body, `"signingSecretId":"whsec-id-`)
	assert.Contains(t, body, e.ReturnURL)

	status, h, body := e.Do(t, http.MethodPost, sps.PathActivate, docHeaders, resttest.ReadCase(t, "sps", "doc_activate"))
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"status":"Success"}`, body)
	resttest.Golden(t, "sps", "doc_activate", []byte(body))
	assert.Equal(t, "TQA20210903155950999", h.Get("X-Correlation-Id"))
	got := e.Partner.Wait(t, 1)
	n := parseNote(t, got[0].Body)
	assert.Equal(t, "SubscriptionActivated", n.EventType)
	assert.Equal(t, "Success", n.Status)
	assert.Equal(t, "TQA20210903155950999", n.CorrelationID)
	assert.Equal(t, "920000108464", n.WholesaleCustomerID)
	assert.Equal(t, "19459986891", n.Subscription["gpsi"])
	require.NotNil(t, n.ESIM)
	assert.Regexp(t, `^LPA:1\$smdp\.simgate\.test\$[0-9A-F]{32}$`, n.ESIM.ActivationCode)
	assert.True(t, strings.HasPrefix(n.ESIM.QRCode, "data:image/png;base64,iVBORw0KGgo"), "a PNG data URI")
	resttest.Golden(t, "sps", "doc_activate.notification", got[0].Body)

	status, _, body = e.Do(t, http.MethodPost, sps.PathStatus, docHeaders, resttest.ReadCase(t, "sps", "doc_update_status"))
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"status":"Success"}`, body)
	resttest.Golden(t, "sps", "doc_update_status", []byte(body))
	got = e.Partner.Wait(t, 1)
	n = parseNote(t, got[1].Body)
	assert.Equal(t, "SubscriptionSuspended", n.EventType)
	assert.Equal(t, "Success", n.Status)
	assert.Equal(t, "Suspended", n.Subscription["status"])
	resttest.Golden(t, "sps", "doc_update_status.notification", got[1].Body)

	status, _, body = e.Do(t, http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/Txn101010101", docHeaders, "")
	require.Equal(t, http.StatusOK, status, body)
	var q sps.TransactionStatus
	require.NoError(t, json.Unmarshal([]byte(body), &q))
	assert.Equal(t, "Success", q.Status)
	assert.Equal(t, sps.OpStatus, q.Operation, "the latest transaction under the id")
	resttest.Golden(t, "sps", "doc_query", []byte(body))

	require.NoError(t, e.DB.View(context.Background(), func(tx core.Tx) error {
		sub, ok, err := tx.SubscriptionBy(core.ByICCID, "11986621644523024501")
		require.True(t, ok)
		assert.Equal(t, core.SubSuspended, sub.Status)
		assert.Equal(t, core.AccountID("920000108464"), sub.Account)
		assert.Equal(t, "Sub001", sub.SubscriberID)
		num, _, _ := tx.Number("19459986891")
		assert.Equal(t, core.NumberIsAssigned, num.Status)
		return err
	}))
}

// Every violated rule is listed at once, each with its field and rule.
func TestValidation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, path string
		status     int
		fields     []string
	}{
		{"err_every_rule", sps.PathActivate, 400, []string{"partnerTransactionId", "subscriberId", "wholesalePlanId", "bucketRefId[1]",
			"location.address.addressLine1", "billCycleFrequency", "billCycleStartDay", "gpsi", "gpsiReservationId", "iccid", "pei", "eid",
			"eSIMDeliveryMethod", "products[0].productId", "products[0].action", "products[0].characteristics[0]"}},
		{"err_missing_required", sps.PathActivate, 400, []string{"partnerTransactionId", "subscriberId", "wholesalePlanId", "location", "iccid"}},
		{"err_no_address", sps.PathActivate, 400, []string{"location.address"}},
		{"err_unknown_field", sps.PathActivate, 400, []string{"subscriberID"}},
		{"err_duplicate_key", sps.PathActivate, 400, []string{"ICCID"}},
		{"err_status_rules", sps.PathStatus, 400, []string{"partnerTransactionId", "iccid", "action"}},
		{"err_status_wrong_type", sps.PathStatus, 400, []string{"gpsi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := e.Do(t, http.MethodPost, tc.path, headers(demoKey), resttest.ReadCase(t, "sps", tc.name))
			require.Equal(t, tc.status, status, body)
			var f sps.Failure
			require.NoError(t, json.Unmarshal([]byte(body), &f))
			assert.Equal(t, "Failure", f.Status)
			var fields []string
			for _, it := range f.Errors {
				fields = append(fields, it.Field)
				assert.NotEmpty(t, it.Code)
				assert.NotEmpty(t, it.Message)
			}
			assert.Equal(t, tc.fields, fields)
			resttest.Golden(t, "sps", tc.name, []byte(body))
		})
	}
	status, _, body := e.Do(t, http.MethodPost, sps.PathActivate, headers(demoKey), `{"partnerTransactionId":"`+strings.Repeat("x", 1<<20)+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, body)
	assert.Contains(t, body, "REQUEST_TOO_LARGE")
}

// Number choice, eSIM and refusals found at execution reach the partner
// in the notification, and the query shows them.
func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name, status, gpsi, code string
	}{
		{"byod_esim", "Success", "19459986800", ""},
		{"pool_number", "Success", "19459986800", ""},
		{"gpsi_available", "Success", "19459986850", ""},
		{"gpsi_reserved_without_id", "Failed", "19459986891", "GPSI_NOT_AVAILABLE"},
		{"reservation_mismatch", "Failed", "19459986850", "GPSI_RESERVATION_MISMATCH"},
		{"unknown_plan", "Failed", "", "PLAN_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			setCallback(t, e)
			status, _, body := e.Do(t, http.MethodPost, sps.PathActivate, headers(demoKey), resttest.ReadCase(t, "sps", tc.name))
			require.Equal(t, http.StatusOK, status, body)
			n := parseNote(t, e.Partner.Wait(t, 1)[0].Body)
			assert.Equal(t, tc.status, n.Status)
			assert.Equal(t, tc.gpsi, n.Subscription["gpsi"])
			if tc.code != "" {
				require.Len(t, n.Errors, 1)
				assert.Equal(t, tc.code, n.Errors[0]["code"])
			}
			if tc.name == "byod_esim" {
				require.NotNil(t, n.ESIM)
				assert.Equal(t, "89049032000000000000000000000001", n.Subscription["eid"])
				assert.NotEmpty(t, n.ESIM.QRCode)
			}
			var req struct{ PartnerTransactionID string }
			require.NoError(t, json.Unmarshal([]byte(resttest.ReadCase(t, "sps", tc.name)), &req))
			_, _, body = e.Do(t, http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/"+req.PartnerTransactionID, headers(demoKey), "")
			var q sps.TransactionStatus
			require.NoError(t, json.Unmarshal([]byte(body), &q))
			assert.Equal(t, tc.status, q.Status)
			if tc.code != "" {
				require.Len(t, q.Errors, 1)
				assert.Equal(t, tc.code, q.Errors[0].Code)
			}
		})
	}
}

// Suspend, resume, cease and reactivate follow the state machine; an
// illegal transition fails and says why.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	setCallback(t, e)
	_, _, body := e.Do(t, http.MethodPost, sps.PathActivate, headers(demoKey), resttest.ReadCase(t, "sps", "pool_number"))
	require.JSONEq(t, `{"status":"Success"}`, body)
	seen := 1
	step := func(id, action, wantStatus, wantCode string) {
		t.Helper()
		req := `{"partnerTransactionId":"` + id + `","iccid":"11986621644523024502","action":"` + action + `"}`
		status, _, body := e.Do(t, http.MethodPost, sps.PathStatus, headers(demoKey), req)
		require.Equal(t, http.StatusOK, status, body)
		seen++
		n := parseNote(t, e.Partner.Wait(t, 1)[seen-1].Body)
		assert.Equal(t, wantStatus, n.Status, action)
		if wantCode != "" {
			require.Len(t, n.Errors, 1)
			assert.Equal(t, wantCode, n.Errors[0]["code"], action)
		}
	}
	e.Partner.Wait(t, 1)
	step("L1", "Resume", "Failed", "INVALID_STATE_TRANSITION")
	step("L2", "Suspend", "Success", "")
	step("L3", "Suspend", "Failed", "INVALID_STATE_TRANSITION")
	step("L4", "Resume", "Success", "")
	step("L5", "Reactivate", "Failed", "INVALID_STATE_TRANSITION")
	step("L6", "Cease", "Success", "")
	require.NoError(t, e.DB.View(context.Background(), func(tx core.Tx) error {
		num, _, err := tx.Number("19459986800")
		assert.Equal(t, core.NumberIsAging, num.Status, "a ceased number ages")
		assert.Equal(t, resttest.Now.Add(30*24*time.Hour), num.AgingUntil)
		return err
	}))
	step("L7", "Reactivate", "Success", "")
	step("L8", "Cease", "Success", "")
}

// Another customer's transactions, nodes and subscriptions read as absent.
func TestTenants(t *testing.T) {
	e := newEnv(t)
	setCallback(t, e)
	_, _, body := e.Do(t, http.MethodPost, sps.PathActivate, docHeaders, resttest.ReadCase(t, "sps", "doc_activate"))
	require.JSONEq(t, `{"status":"Success"}`, body)
	e.Partner.Wait(t, 1)

	status, _, body := e.Do(t, http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/Txn101010101", headers(otherKey), "")
	assert.Equal(t, http.StatusNotFound, status, body)
	assert.JSONEq(t, `{"status":"Failure","errors":[{"code":"TRANSACTION_NOT_FOUND","field":"partnerTransactionId","message":"No transaction with this partnerTransactionId"}]}`, body)

	status, _, body = e.Do(t, http.MethodPost, sps.PathStatus, headers(demoKey, "wholesaleCustomerId", "920000999999"), resttest.ReadCase(t, "sps", "doc_update_status"))
	assert.Equal(t, http.StatusNotFound, status, body)
	assert.Contains(t, body, "CUSTOMER_NOT_FOUND")

	// The other customer suspends demo's subscription: it is not found, and
	// demo's subscription is untouched.
	status, _, body = e.Do(t, http.MethodPost, sps.PathStatus, headers(otherKey), resttest.ReadCase(t, "sps", "doc_update_status"))
	require.Equal(t, http.StatusOK, status, body)
	require.Eventually(t, func() bool {
		_, _, body = e.Do(t, http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/Txn101010101", headers(otherKey), "")
		return strings.Contains(body, `"status":"Failed"`)
	}, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, body, "SUBSCRIPTION_NOT_FOUND")
	require.NoError(t, e.DB.View(context.Background(), func(tx core.Tx) error {
		sub, _, err := tx.SubscriptionBy(core.ByICCID, "11986621644523024501")
		assert.Equal(t, core.SubActive, sub.Status)
		return err
	}))
	got, rejected := e.Partner.Received()
	assert.Len(t, got, 1, "no notification of the other customer reached demo's endpoint")
	assert.Zero(t, rejected)

	status, _, _ = e.Do(t, http.MethodGet, sps.PathCallback, headers("not-a-key"), "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = e.Do(t, http.MethodGet, sps.PathCallback, nil, "")
	assert.Equal(t, http.StatusUnauthorized, status)
}

func TestIdempotencyAndNoCallback(t *testing.T) {
	e := newEnv(t)
	req := resttest.ReadCase(t, "sps", "pool_number")
	for i := 0; i < 2; i++ {
		status, _, body := e.Do(t, http.MethodPost, sps.PathActivate, headers(demoKey), req)
		require.Equal(t, http.StatusOK, status, body)
	}
	status, _, body := e.Do(t, http.MethodPost, sps.PathActivate, headers(demoKey), strings.Replace(req, "Sub001", "Sub002", 1))
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, body, "DUPLICATE_TRANSACTION")
	// No callback URL set: nothing is sent, the query has the outcome.
	require.Eventually(t, func() bool {
		_, _, body = e.Do(t, http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/Txn-pool-1", headers(demoKey), "")
		return strings.Contains(body, `"status":"Success"`)
	}, 5*time.Second, 10*time.Millisecond)
	got, _ := e.Partner.Received()
	assert.Empty(t, got)

	status, h, body := e.Do(t, http.MethodGet, sps.PathCallback, headers(demoKey, "X-Correlation-Id", strings.Repeat("x", 65)), "")
	assert.Equal(t, http.StatusBadRequest, status, body)
	assert.Empty(t, h.Get("X-Correlation-Id"))
	status, h, _ = e.Do(t, http.MethodGet, sps.PathCallback, headers(demoKey), "")
	assert.Equal(t, http.StatusOK, status)
	assert.NotEmpty(t, h.Get("X-Correlation-Id"), "generated when absent")
	status, _, body = e.Do(t, http.MethodPut, sps.PathCallback, headers(demoKey), `{"callbackUrl":"ftp://example.com"}`)
	assert.Equal(t, http.StatusBadRequest, status, body)
}

// A body declared in a media type other than JSON is refused with 415 in
// the Failure shape, naming the header; application/json and
// application/*+json (any case, with parameters), or no Content-Type at
// all (legacy partners), are read. The accepted activations are one
// request: the first is stored, the others replay its answer.
func TestContentType(t *testing.T) {
	e := newEnv(t)
	activate := resttest.ReadCase(t, "sps", "pool_number")
	for _, tc := range []struct {
		method, path, contentType, body string
		status                          int
	}{
		{http.MethodPost, sps.PathActivate, "text/plain", activate, 415},
		{http.MethodPost, sps.PathActivate, "application/x-www-form-urlencoded", activate, 415}, // curl -d without -H
		{http.MethodPost, sps.PathActivate, "application/xml; charset=utf-8", activate, 415},
		{http.MethodPost, sps.PathStatus, "text/plain", `{"partnerTransactionId":"T-ct","iccid":"11986621644523024502","action":"Suspend"}`, 415},
		{http.MethodPut, sps.PathCallback, "multipart/form-data; boundary=x", `{"callbackUrl":"` + e.ReturnURL + `"}`, 415},
		{http.MethodPost, sps.PathActivate, "application/json", activate, 200},
		{http.MethodPost, sps.PathActivate, "application/json;charset=UTF-8", activate, 200},
		{http.MethodPost, sps.PathActivate, "APPLICATION/JSON", activate, 200},
		{http.MethodPost, sps.PathActivate, "application/vnd.dish.sps+json", activate, 200},
		{http.MethodPost, sps.PathActivate, "", activate, 200},
		{http.MethodPut, sps.PathCallback, "", `{"callbackUrl":"` + e.ReturnURL + `"}`, 200},
	} {
		t.Run(tc.path+" "+tc.contentType, func(t *testing.T) {
			status, _, body := e.Do(t, tc.method, tc.path, headers(demoKey, "Content-Type", tc.contentType), tc.body)
			assert.Equal(t, tc.status, status, body)
			if tc.status == 415 {
				assert.JSONEq(t, `{"status":"Failure","errors":[{"code":"UNSUPPORTED_MEDIA_TYPE","field":"Content-Type","message":"Content-Type must be application/json"}]}`, body)
			}
		})
	}
}
