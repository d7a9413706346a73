package flolive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/flolive"
	"simgate/rest/resttest"
)

// The document's example, verbatim: SIM1 moves from Acme to Sparta.
func TestDocumentExample(t *testing.T) {
	e := newEnv(t)
	status, body := e.do(t, http.MethodPut, movePath("iccid", simICCID(1)), acmeKey, readCase(t, "move_document_example"))
	id := accepted(t, status, body)
	golden(t, "move_document_example", body)
	// The ACK is the document's, byte for byte but the id.
	assert.Equal(t, `{"errorCode":"","errorMessage":"","content":[{"requestId":"`+id+`"}],"pageable":{"page":0,"size":10,"totalPages":1,"totalElements":1}}`, body)

	st := e.wait(t, acmeKey, id)
	assert.Equal(t, flolive.CallStatus{Status: flolive.StatusSuccess}, st)
	_, body = e.do(t, http.MethodGet, callPath(id), acmeKey, "")
	golden(t, "call_status_success", body)

	_, body = e.do(t, http.MethodGet, subscriberPath("iccid", simICCID(1)), acmeKey, "")
	golden(t, "subscriber_after_move", body)
	assert.Equal(t, flolive.Subscriber{CustomerID: sparta, Status: "ACTIVE", IMSI: simIMSI(1), ICCID: simICCID(1), MSISDN: simMSISDN(1), IMEI: "356938035643809"},
		content[flolive.Subscriber](t, body))

	// The move is the inventory's: every front end reads the new account.
	sub, visible, err := e.Svc.Subscriber(context.Background(), "acme", core.SubscriberRef{Kind: core.ByICCID, Value: simICCID(1)})
	require.NoError(t, err)
	assert.Equal(t, core.AccountID(sparta), sub.Account)
	assert.Equal(t, core.AccountID(sparta), visible)
	subAcc, simAcc, numAcc := e.placement(t, simICCID(1))
	assert.Equal(t, []core.AccountID{sparta, sparta, sparta}, []core.AccountID{subAcc, simAcc, numAcc})
}

// The document's NAK example: a target outside the requester's tree.
func TestDocumentNAK(t *testing.T) {
	e := newEnv(t)
	status, body := e.do(t, http.MethodPut, movePath("iccid", simICCID(1)), acmeKey, readCase(t, "move_document_nak"))
	assert.Equal(t, http.StatusNotFound, status)
	requireNAK(t, body, "CUSTOMER_1008", "Failed to find target customer")
	golden(t, "move_document_nak", body)
	assert.Equal(t, `{"errorCode":"CUSTOMER_1008","errorMessage":"Failed to find target customer","content":"","pageable":null}`, body,
		"valid JSON: no stray quote after the message")
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(1)))
}

func TestValidationErrors(t *testing.T) {
	e := newEnv(t)
	target := moveBody(sparta)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		{"err_type_upper_case", "PUT", movePath("ICCID", simICCID(4)), target, 400, "VALIDATION_1001", "Invalid subscriber type. Valid types are: imsi, iccid, msisdn, imei"},
		{"err_type_unknown", "PUT", movePath("eid", simICCID(4)), target, 400, "VALIDATION_1001", "Invalid subscriber type"},
		{"err_iccid_short", "PUT", movePath("iccid", "89972010000"), target, 400, "VALIDATION_1002", "Invalid subscriber value: iccid must be 18 to 20 digits"},
		{"err_iccid_letters", "PUT", movePath("iccid", "8997201000000000abc"), target, 400, "VALIDATION_1002", "iccid must be 18 to 20 digits"},
		{"err_imsi_long", "PUT", movePath("imsi", "4250190000000041"), target, 400, "VALIDATION_1002", "imsi must be 6 to 15 digits"},
		{"err_msisdn_plus", "PUT", movePath("msisdn", "+972500000004"), target, 400, "VALIDATION_1002", "msisdn must be 7 to 15 digits"},
		{"err_imei_short", "PUT", movePath("imei", "3569380356"), target, 400, "VALIDATION_1002", "imei must be 14 to 16 digits"},
		{"err_uuid_malformed", "PUT", movePath("iccid", simICCID(4)), `{"targetCustomerId":"dd64dca6-8e7f-4b85-a42b-13860913bb5"}`, 400, "VALIDATION_1003", "targetCustomerId is required and must be a UUID"},
		{"err_uuid_missing", "PUT", movePath("iccid", simICCID(4)), `{}`, 400, "VALIDATION_1003", "targetCustomerId is required"},
		{"err_uuid_null", "PUT", movePath("iccid", simICCID(4)), `{"targetCustomerId":null}`, 400, "VALIDATION_1003", "targetCustomerId is required"},
		{"err_body_missing", "PUT", movePath("iccid", simICCID(4)), "", 400, "VALIDATION_1004", "Request body is required"},
		{"err_body_blank", "PUT", movePath("iccid", simICCID(4)), " \n", 400, "VALIDATION_1004", "Request body is required"},
		{"err_key_case_variant", "PUT", movePath("iccid", simICCID(4)), `{"targetCustomerId":"` + sparta + `","targetcustomerid":"` + rome + `"}`, 400, "VALIDATION_1005", "Malformed request body: "},
		{"err_extra_field", "PUT", movePath("iccid", simICCID(4)), `{"targetCustomerId":"` + sparta + `","force":true}`, 400, "VALIDATION_1005", "force"},
		{"err_duplicate_key", "PUT", movePath("iccid", simICCID(4)), `{"targetCustomerId":"` + sparta + `","targetCustomerId":"` + rome + `"}`, 400, "VALIDATION_1005", "targetCustomerId"},
		{"err_trailing_data", "PUT", movePath("iccid", simICCID(4)), target + `{}`, 400, "VALIDATION_1005", "after the top-level JSON value"},
		{"err_not_json", "PUT", movePath("iccid", simICCID(4)), `targetCustomerId=` + sparta, 400, "VALIDATION_1005", "Malformed request body"},
		{"err_wrong_type", "PUT", movePath("iccid", simICCID(4)), `{"targetCustomerId":42}`, 400, "VALIDATION_1005", "targetCustomerId"},
		{"err_request_id", "GET", callPath("not-a-request-id"), "", 400, "VALIDATION_1008", "requestId must be a UUID"},
		{"err_get_type", "GET", subscriberPath("eid", simICCID(4)), "", 400, "VALIDATION_1001", "Invalid subscriber type"},
		{"err_get_value", "GET", subscriberPath("iccid", "1"), "", 400, "VALIDATION_1002", "iccid must be 18 to 20 digits"},
		{"err_bulk_empty", "PUT", flolive.PathBulkMove, `{"items":[]}`, 400, "VALIDATION_1007", "items must hold 1 to 200 moves: got 0"},
		{"err_bulk_no_items", "PUT", flolive.PathBulkMove, `{}`, 400, "VALIDATION_1007", "got 0"},
		{"err_bulk_unknown_field", "PUT", flolive.PathBulkMove, `{"items":[{"type":"iccid","value":"` + simICCID(4) + `","targetCustomerId":"` + sparta + `","force":1}]}`, 400, "VALIDATION_1005", "force"},
		{"err_bulk_body_missing", "PUT", flolive.PathBulkMove, "", 400, "VALIDATION_1004", "Request body is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, tc.method, tc.path, acmeKey, tc.body)
			assert.Equal(t, tc.status, status, body)
			requireNAK(t, body, tc.code, tc.message)
			golden(t, tc.name, body)
		})
	}
	// Nothing refused moved anything or stored a request.
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(4)))
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	big := `{"targetCustomerId":"` + strings.Repeat("0", 1<<20) + `"}`
	for _, path := range []string{movePath("iccid", simICCID(4)), flolive.PathBulkMove} {
		status, body := e.do(t, http.MethodPut, path, acmeKey, big)
		assert.Equal(t, http.StatusRequestEntityTooLarge, status)
		requireNAK(t, body, "VALIDATION_1006", "Request body is too large: the limit is 1048576 bytes")
	}
}

func TestUnauthorized(t *testing.T) {
	e := newEnv(t)
	paths := []struct{ method, path, body string }{
		{"PUT", movePath("iccid", simICCID(4)), moveBody(sparta)},
		{"PUT", flolive.PathBulkMove, `{"items":[]}`},
		{"GET", callPath("6f1c0b7e-2d3a-4c5b-9e8f-0a1b2c3d4e5f"), ""},
		{"GET", subscriberPath("iccid", simICCID(4)), ""},
	}
	for _, auth := range []string{"", "Bearer", "Bearer ", "Basic ZGVtbzpkZW1v", "Bearer wrong-key", "demo-flolive-key"} {
		for _, p := range paths {
			req, err := http.NewRequest(p.method, e.URL+p.path, strings.NewReader(p.body))
			require.NoError(t, err)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body := mustRead(t, res)
			assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "%q %s %s", auth, p.method, p.path)
			assert.Equal(t, `Bearer realm="simgate"`, res.Header.Get("WWW-Authenticate"))
			requireNAK(t, body, "AUTH_1001", "Missing or invalid API key")
		}
	}
	// Two Authorization lines name no one key, even two good ones.
	for _, keys := range [][2]string{{acmeKey, acmeKey}, {acmeKey, "wrong-key"}, {"wrong-key", acmeKey}} {
		req, err := http.NewRequest(http.MethodGet, e.URL+subscriberPath("iccid", simICCID(4)), nil)
		require.NoError(t, err)
		req.Header.Add("Authorization", "Bearer "+keys[0])
		req.Header.Add("Authorization", "Bearer "+keys[1])
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		requireNAK(t, mustRead(t, res), "AUTH_1001", "Missing or invalid API key")
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "%q", keys)
	}
	_, body := e.do(t, http.MethodPut, movePath("iccid", simICCID(4)), "", moveBody(sparta))
	golden(t, "err_unauthorized", body)
	// The scheme is case-insensitive.
	req, err := http.NewRequest(http.MethodGet, e.URL+subscriberPath("iccid", simICCID(4)), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "bearer "+acmeKey)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	mustRead(t, res)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(4)))
}

func mustRead(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

// An unknown request id and another partner's read the same.
func TestUnknownRequestID(t *testing.T) {
	e := newEnv(t)
	status, body := e.do(t, http.MethodGet, callPath("6f1c0b7e-2d3a-4c5b-9e8f-0a1b2c3d4e5f"), acmeKey, "")
	assert.Equal(t, http.StatusNotFound, status)
	requireNAK(t, body, "GLOBAL_1003", "Provided request ID does not exist for your account")
	golden(t, "err_unknown_request_id", body)

	status, body = e.do(t, http.MethodPut, movePath("iccid", simICCID(4)), acmeKey, moveBody(sparta))
	id := accepted(t, status, body)
	status, other := e.do(t, http.MethodGet, callPath(id), foreignKey, "")
	assert.Equal(t, http.StatusNotFound, status)
	requireNAK(t, other, "GLOBAL_1003", "Provided request ID does not exist for your account")
	// Upper-case hex is the same UUID.
	status, body = e.do(t, http.MethodGet, callPath(strings.ToUpper(id)), acmeKey, "")
	assert.Equal(t, http.StatusOK, status, body)
}

// A request stays OPEN until it has run; a move that has become ineligible
// meanwhile reads FAILURE with SUBSCRIBER_1023, naming the item by its
// position in the request.
func TestExecutionOutcomes(t *testing.T) {
	e := newEnv(t, true)
	status, body := e.do(t, http.MethodPut, flolive.PathBulkMove, acmeKey, readCase(t, "bulk_mixed"))
	require.Equal(t, http.StatusOK, status, body)
	res := content[flolive.BulkResult](t, body)
	_, body = e.do(t, http.MethodGet, callPath(res.RequestID), acmeKey, "")
	assert.Equal(t, flolive.CallStatus{Status: flolive.StatusOpen}, content[flolive.CallStatus](t, body))
	golden(t, "call_status_open", body)

	// Before the engine runs, SIM5 reaches Rome another way: moving it to
	// Rome again is no longer eligible.
	e.allocate(t, simICCID(5), rome)
	e.Start()
	st := e.wait(t, acmeKey, res.RequestID)
	assert.Equal(t, flolive.CallStatus{
		Status: flolive.StatusFailure, ErrorCode: "SUBSCRIBER_1023", ErrorMessage: "Failed to move subscriber",
		Failures: []flolive.ItemError{{Index: 2, Type: "msisdn", Value: simMSISDN(5), ErrorCode: "SUBSCRIBER_1023", ErrorMessage: "Failed to move subscriber"}},
	}, st)
	_, body = e.do(t, http.MethodGet, callPath(res.RequestID), acmeKey, "")
	golden(t, "call_status_failure", body)
	assert.Equal(t, sparta, e.visible(t, "iccid", simICCID(4)), "the other item ran")
}

// An item that failed on simgate's side reads INTERNAL_ERROR. The engine
// retries internal failures rather than recording them, so the record is
// written directly, as an older build or an operator might leave it.
func TestInternalErrorStatus(t *testing.T) {
	e := newEnv(t, true)
	id := "0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8"
	move := core.Move{Ref: core.TxRef{Partner: "acme", Channel: core.ChannelFloLIVE}, Subscriber: core.SubscriberRef{Kind: core.ByIMSI, Value: simIMSI(4)}, Target: sparta}
	require.NoError(t, e.DB.Update(context.Background(), func(tx core.Tx) error {
		return tx.PutTransaction(core.Transaction{
			ID: id, Partner: "acme", Channel: core.ChannelFloLIVE, Operation: flolive.OpMove, Context: []byte(`{"indexes":[0]}`),
			Job: core.Job{Moves: []core.Move{move}}, Status: core.TxFailed,
			Results:   []core.ItemResult{{Error: &core.ErrorInfo{Kind: core.KindInternal, Reason: core.ReasonInternal, Message: "internal error"}}},
			CreatedAt: resttest.Now, UpdatedAt: resttest.Now,
		})
	}))
	status, body := e.do(t, http.MethodGet, callPath(id), acmeKey, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, flolive.CallStatus{
		Status: flolive.StatusInternalError, ErrorCode: "GLOBAL_1001", ErrorMessage: "Service unavailable. Please try again",
		Failures: []flolive.ItemError{{Index: 0, Type: "imsi", Value: simIMSI(4), ErrorCode: "GLOBAL_1001", ErrorMessage: "Service unavailable. Please try again"}},
	}, content[flolive.CallStatus](t, body))
}

// Three items: two accepted as one request, the foreign subscriber refused.
func TestBulkMixed(t *testing.T) {
	e := newEnv(t)
	status, body := e.do(t, http.MethodPut, flolive.PathBulkMove, acmeKey, readCase(t, "bulk_mixed"))
	require.Equal(t, http.StatusOK, status, body)
	golden(t, "bulk_mixed", body)
	res := content[flolive.BulkResult](t, body)
	assert.NotEmpty(t, res.RequestID)
	assert.Equal(t, 2, res.Accepted)
	assert.Equal(t, []flolive.ItemError{{Index: 1, Type: "iccid", Value: simICCID(3), ErrorCode: "SUBSCRIBER_1002", ErrorMessage: "Subscriber does not exist"}}, res.Refused)

	assert.Equal(t, flolive.CallStatus{Status: flolive.StatusSuccess}, e.wait(t, acmeKey, res.RequestID))
	assert.Equal(t, sparta, e.visible(t, "iccid", simICCID(4)))
	assert.Equal(t, rome, e.visible(t, "iccid", simICCID(5)))
	// One transaction with one move per accepted item.
	tx, err := e.Svc.Transaction(context.Background(), "acme", res.RequestID)
	require.NoError(t, err)
	assert.Equal(t, flolive.OpBulkMove, tx.Operation)
	assert.Len(t, tx.Job.Moves, 2)
	assert.Empty(t, tx.PartnerTxID)
}

func TestBulkEveryItemRefused(t *testing.T) {
	e := newEnv(t)
	body := `{"items":[
		{"type":"iccid","value":"` + simICCID(3) + `","targetCustomerId":"` + sparta + `"},
		{"type":"iccid","value":"` + simICCID(4) + `","targetCustomerId":"` + foreign + `"},
		{"type":"eid","value":"1","targetCustomerId":"` + sparta + `"},
		{"type":"iccid","value":"12","targetCustomerId":"` + sparta + `"},
		{"type":"iccid","value":"` + simICCID(4) + `","targetCustomerId":"nope"},
		{"type":"iccid","value":"` + simICCID(4) + `","targetCustomerId":"` + acme + `"},
		null
	]}`
	status, answer := e.do(t, http.MethodPut, flolive.PathBulkMove, acmeKey, body)
	require.Equal(t, http.StatusUnprocessableEntity, status, answer)
	golden(t, "bulk_all_refused", answer)
	v := parse(t, answer)
	assert.Equal(t, "SUBSCRIBER_1023", v.ErrorCode)
	assert.Equal(t, "Failed to move subscriber", v.ErrorMessage)
	var res []flolive.BulkResult
	require.NoError(t, json.Unmarshal(v.Content, &res))
	require.Len(t, res, 1)
	assert.Empty(t, res[0].RequestID)
	assert.Equal(t, 0, res[0].Accepted)
	var codes []string
	for i, r := range res[0].Refused {
		assert.Equal(t, i, r.Index)
		codes = append(codes, r.ErrorCode)
	}
	assert.Equal(t, []string{"SUBSCRIBER_1002", "CUSTOMER_1008", "VALIDATION_1001", "VALIDATION_1002", "VALIDATION_1003", "CUSTOMER_1008", "VALIDATION_1001"}, codes)
}

// 200 items is the limit: accepted. SIM4 to SIM99 are Acme's 96 level-0
// subscribers; the other items name them again under another identifier
// and are refused, since one request moves a subscriber once.
func TestBulkLimits(t *testing.T) {
	e := newEnv(t)
	items := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"items":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			sim := 4 + i%96
			typ, value := "iccid", simICCID(sim)
			if i >= 96 {
				typ, value = "imsi", simIMSI(sim)
			}
			fmt.Fprintf(&b, `{"type":%q,"value":%q,"targetCustomerId":%q}`, typ, value, sparta)
		}
		b.WriteString(`]}`)
		return b.String()
	}
	status, body := e.do(t, http.MethodPut, flolive.PathBulkMove, acmeKey, items(201))
	assert.Equal(t, http.StatusBadRequest, status)
	requireNAK(t, body, "VALIDATION_1007", "items must hold 1 to 200 moves: got 201")
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(4)), "nothing moved")

	status, body = e.do(t, http.MethodPut, flolive.PathBulkMove, acmeKey, items(200))
	require.Equal(t, http.StatusOK, status, body)
	res := content[flolive.BulkResult](t, body)
	assert.Equal(t, 96, res.Accepted)
	require.Len(t, res.Refused, 104)
	for i, r := range res.Refused {
		assert.Equal(t, 96+i, r.Index)
		assert.Equal(t, "VALIDATION_1009", r.ErrorCode)
		assert.Equal(t, "Subscriber is already moved by an earlier item of this request", r.ErrorMessage)
	}
	assert.Equal(t, flolive.StatusSuccess, e.wait(t, acmeKey, res.RequestID).Status)
	for _, n := range []int{4, 50, 99} {
		assert.Equal(t, sparta, e.visible(t, "iccid", simICCID(n)))
	}
}

// One log line per accepted or refused request, naming the partner and the
// code.
func TestLogLines(t *testing.T) {
	e := newEnv(t)
	status, body := e.do(t, http.MethodPut, movePath("iccid", simICCID(4)), acmeKey, moveBody(sparta))
	id := accepted(t, status, body)
	e.do(t, http.MethodPut, movePath("iccid", simICCID(5)), acmeKey, moveBody(foreign))
	e.do(t, http.MethodPut, movePath("iccid", simICCID(5)), "", moveBody(sparta))

	acc := e.logs.Lines(t, "flolive request accepted")
	require.Len(t, acc, 1)
	assert.Equal(t, "acme", acc[0]["partner"])
	assert.Equal(t, "", acc[0]["code"])
	assert.Equal(t, id, acc[0]["tx"])
	assert.Equal(t, flolive.OpMove, acc[0]["op"])

	ref := e.logs.Lines(t, "flolive request refused")
	require.Len(t, ref, 2)
	assert.Equal(t, "acme", ref[0]["partner"])
	assert.Equal(t, "CUSTOMER_1008", ref[0]["code"])
	assert.Equal(t, "", ref[1]["partner"])
	assert.Equal(t, "AUTH_1001", ref[1]["code"])
	assert.NotContains(t, e.logs.String(), acmeKey, "the API key is never logged")
}

// A UUID is the same in either case: the target is found whatever the
// partner's spelling.
func TestCustomerIDCase(t *testing.T) {
	e := newEnv(t)
	status, body := e.do(t, http.MethodPut, movePath("iccid", simICCID(4)), acmeKey, moveBody(strings.ToUpper(sparta)))
	id := accepted(t, status, body)
	assert.Equal(t, flolive.StatusSuccess, e.wait(t, acmeKey, id).Status)
	assert.Equal(t, sparta, e.visible(t, "iccid", simICCID(4)))
}

// A body declared in a media type other than JSON is refused with the NAK
// VALIDATION_1010 (415) before anything is checked against the inventory;
// application/json and application/*+json (any case, with parameters),
// or no Content-Type at all (legacy partners), are read.
func TestContentType(t *testing.T) {
	e := newEnv(t)
	bulk := func(n int) string {
		return `{"items":[{"type":"iccid","value":"` + simICCID(n) + `","targetCustomerId":"` + sparta + `"}]}`
	}
	for _, tc := range []struct {
		path, contentType, body string
		status                  int
		code                    string
	}{
		{movePath("iccid", simICCID(4)), "text/plain", moveBody(sparta), 415, "VALIDATION_1010"},
		{movePath("iccid", simICCID(4)), "application/x-www-form-urlencoded", moveBody(sparta), 415, "VALIDATION_1010"}, // curl -d without -H
		{flolive.PathBulkMove, "text/xml", bulk(4), 415, "VALIDATION_1010"},
		{movePath("iccid", simICCID(5)), "application/json", moveBody(sparta), 200, ""},
		{movePath("iccid", simICCID(6)), "Application/Json; charset=utf-8", moveBody(sparta), 200, ""},
		{movePath("iccid", simICCID(7)), "application/problem+json", moveBody(sparta), 200, ""},
		{movePath("iccid", simICCID(8)), "", moveBody(sparta), 200, ""},
		{flolive.PathBulkMove, "", bulk(9), 200, ""},
	} {
		t.Run(tc.path+" "+tc.contentType, func(t *testing.T) {
			status, _, body := e.Do(t, http.MethodPut, tc.path, map[string]string{"Authorization": "Bearer " + acmeKey, "Content-Type": tc.contentType}, tc.body)
			assert.Equal(t, tc.status, status, body)
			if tc.code != "" {
				assert.Equal(t, `{"errorCode":"VALIDATION_1010","errorMessage":"Unsupported media type: Content-Type must be application/json","content":"","pageable":null}`, body)
			}
		})
	}
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(4)), "a refused move moves nothing")
}

// A method a path does not serve is answered 405 with Allow and the NAK
// METHOD_1001, not in the router's shape.
func TestWrongMethod(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path, allow string
	}{
		{http.MethodGet, movePath("iccid", simICCID(4)), "PUT"},
		{http.MethodPost, movePath("iccid", simICCID(4)), "PUT"},
		{http.MethodDelete, flolive.PathBulkMove, "PUT"},
		{http.MethodGet, flolive.PathBulkMove, "PUT"},
		{http.MethodPut, callPath("6f1c0b7e-2d3a-4c5b-9e8f-0a1b2c3d4e5f"), "GET"},
		{http.MethodPut, subscriberPath("iccid", simICCID(4)), "GET"},
		{http.MethodDelete, subscriberPath("iccid", simICCID(4)), "GET"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			status, h, body := e.Do(t, tc.method, tc.path, bearer(acmeKey), "")
			assert.Equal(t, http.StatusMethodNotAllowed, status, body)
			assert.Equal(t, tc.allow, h.Get("Allow"))
			assert.Equal(t, `{"errorCode":"METHOD_1001","errorMessage":"Method not allowed","content":"","pageable":null}`, body)
		})
	}
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(4)))
}
