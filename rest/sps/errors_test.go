package sps_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/rest/resttest"
	"simgate/rest/sps"
)

// Every request-time error names the field as the client wrote it (a JSON
// key or an HTTP header), never a store column, and its message never
// names a Go type.
func TestErrorsSpeakTheAPI(t *testing.T) {
	e := newEnv(t)
	status := resttest.ReadCase(t, "sps", "doc_update_status")
	st, _, body := e.Do(t, http.MethodPost, sps.PathStatus, headers(demoKey), status)
	require.Equal(t, http.StatusOK, st, body)

	for _, tc := range []struct {
		name, path string
		h          map[string]string
		body       string
		status     int
		code       string
		field      string
		msg        string
	}{
		{"conflict", sps.PathStatus, headers(demoKey), strings.Replace(status, "Suspend", "Cease", 1),
			409, "DUPLICATE_TRANSACTION", "partnerTransactionId", "partnerTransactionId was already used"},
		{"wrong_key", sps.PathStatus, headers("not-a-key"), status,
			401, "UNAUTHORIZED", "Authorization", "Authorization: Bearer"},
		{"no_key", sps.PathStatus, map[string]string{}, status,
			401, "UNAUTHORIZED", "Authorization", "Authorization: Bearer"},
		{"foreign_customer", sps.PathStatus, headers(demoKey, "wholesaleCustomerId", "920000999999"), status,
			404, "CUSTOMER_NOT_FOUND", "wholesaleCustomerId", "wholesaleCustomerId not found"},
		{"gpsi_fraction", sps.PathStatus, headers(demoKey), strings.Replace(status, "19459986891", "1.9459986891e10", 1),
			400, "INVALID_JSON", "gpsi", `"gpsi" must be whole digits, as a string or a number`},
		{"gpsi_negative", sps.PathStatus, headers(demoKey), strings.Replace(status, "19459986891", "-19459986891", 1),
			400, "INVALID_JSON", "gpsi", `"gpsi" must be whole digits, as a string or a number`},
		{"gpsi_bool", sps.PathStatus, headers(demoKey), strings.Replace(status, "19459986891", "true", 1),
			400, "INVALID_JSON", "gpsi", `"gpsi" must be whole digits, as a string or a number`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, body := e.Do(t, http.MethodPost, tc.path, tc.h, tc.body)
			assert.Equal(t, tc.status, st, body)
			var f sps.Failure
			require.NoError(t, json.Unmarshal([]byte(body), &f), body)
			require.Len(t, f.Errors, 1, body)
			assert.Equal(t, tc.code, f.Errors[0].Code)
			assert.Equal(t, tc.field, f.Errors[0].Field)
			assert.Contains(t, f.Errors[0].Message, tc.msg)
			assert.NotContains(t, f.Errors[0].Message, "sps.", "no Go type in the message")
		})
	}
}

// A method a path does not serve, or a path below the API that does not
// exist, is answered in the API's Failure shape, not the router's.
func TestUnroutedRequestsSpeakTheAPI(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{http.MethodDelete, sps.PathActivate, 405, "METHOD_NOT_ALLOWED", "POST"},
		{http.MethodGet, sps.PathStatus, 405, "METHOD_NOT_ALLOWED", "POST"},
		{http.MethodPost, "/subscriber-provisioning/v5/subscription/transactions/Txn1", 405, "METHOD_NOT_ALLOWED", "GET"},
		{http.MethodDelete, sps.PathCallback, 405, "METHOD_NOT_ALLOWED", "GET, PUT"},
		{http.MethodGet, "/subscriber-provisioning/v5/nothing", 404, "NOT_FOUND", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			st, h, body := e.Do(t, tc.method, tc.path, headers(demoKey), "")
			assert.Equal(t, tc.status, st, body)
			assert.Equal(t, tc.allow, h.Get("Allow"))
			var f sps.Failure
			require.NoError(t, json.Unmarshal([]byte(body), &f), body)
			assert.Equal(t, "Failure", f.Status, body)
			require.Len(t, f.Errors, 1, body)
			assert.Equal(t, tc.code, f.Errors[0].Code)
		})
	}
}

// A header SPS reads once (the customer node, the API key, the correlation
// id) is refused when the request repeats it, on two lines or, for
// wholesaleCustomerId, as a list on one line: reading the first would act
// on a node, or as a key, the caller may not have meant. The refusal names
// the header and stores nothing.
func TestRepeatedHeaders(t *testing.T) {
	e := newEnv(t)
	body := resttest.ReadCase(t, "sps", "doc_update_status")
	for _, tc := range []struct {
		name  string
		h     http.Header
		field string
	}{
		{"customer_twice_same", http.Header{"Wholesalecustomerid": {"920000108464", "920000108464"}}, "wholesaleCustomerId"},
		{"customer_twice_other", http.Header{"Wholesalecustomerid": {"920000108465", "920000999999"}}, "wholesaleCustomerId"},
		{"customer_list", http.Header{"Wholesalecustomerid": {"920000108465,920000108464"}}, "wholesaleCustomerId"},
		{"customer_short_list", http.Header{"Wholesalecustomerid": {"1,2"}}, "wholesaleCustomerId"},
		{"key_twice", http.Header{"Authorization": {"Bearer " + demoKey, "Bearer " + otherKey}}, "Authorization"},
		{"correlation_twice", http.Header{"X-Correlation-Id": {"C1", "C2"}}, "X-Correlation-Id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, e.URL+sps.PathStatus, strings.NewReader(body))
			require.NoError(t, err)
			req.Header = tc.h.Clone()
			req.Header.Set("Content-Type", "application/json")
			if req.Header.Get("Authorization") == "" {
				req.Header.Set("Authorization", "Bearer "+demoKey)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			raw, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode, string(raw))
			assert.JSONEq(t, `{"status":"Failure","errors":[{"code":"INVALID_HEADER","field":"`+tc.field+`","message":"`+tc.field+` must be given once"}]}`, string(raw))
		})
	}
	// Nothing was stored under the transaction id.
	st, _, answer := e.Do(t, http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/Txn101010101", headers(demoKey), "")
	assert.Equal(t, http.StatusNotFound, st, answer)
}
