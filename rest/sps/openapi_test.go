package sps_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"simgate/rest/openapi"
	"simgate/rest/resttest"
	"simgate/rest/sps"
)

// Real requests and answers of every operation conform to the document.
func TestOpenAPIDescribesTheHandlers(t *testing.T) {
	doc := openapi.New("simgate", "test", "")
	sps.Describe(doc)
	raw, err := doc.JSON()
	require.NoError(t, err)
	spec, err := openapi3.NewLoader().LoadFromData(raw)
	require.NoError(t, err)
	require.NoError(t, spec.Validate(context.Background()))
	router, err := legacy.NewRouter(spec)
	require.NoError(t, err)

	e := newEnv(t)
	calls := []struct{ method, path, body string }{
		{http.MethodPut, sps.PathCallback, `{"callbackUrl":"` + e.ReturnURL + `"}`},
		{http.MethodGet, sps.PathCallback, ""},
		{http.MethodPost, sps.PathActivate, resttest.ReadCase(t, "sps", "doc_activate")},
		{http.MethodPost, sps.PathStatus, resttest.ReadCase(t, "sps", "doc_update_status")},
		{http.MethodPost, sps.PathActivate, resttest.ReadCase(t, "sps", "err_every_rule")},
		{http.MethodPost, sps.PathStatus, `{"partnerTransactionId":"Txn-x","gpsi":"19459986891","action":"Resume"}`},
		{http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/Txn101010101", ""},
		{http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/unknown", ""},
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	for _, call := range calls {
		req, err := http.NewRequest(call.method, "http://127.0.0.1"+call.path, strings.NewReader(call.body))
		require.NoError(t, err)
		for k, v := range docHeaders {
			req.Header.Set(k, v)
		}
		if call.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		route, params, err := router.FindRoute(req)
		require.NoError(t, err, call.path)
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if !strings.Contains(call.body, "TTTTTTTT") { // err_every_rule breaks the schema on purpose
			require.NoError(t, openapi3filter.ValidateRequest(context.Background(), in), "%s %s", call.method, call.path)
		}
		status, h, answer := e.Do(t, call.method, call.path, docHeaders, call.body)
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: status, Header: http.Header{"Content-Type": {h.Get("Content-Type")}},
			Body: io.NopCloser(bytes.NewReader([]byte(answer))), Options: opts,
		}
		require.NoError(t, openapi3filter.ValidateResponse(context.Background(), out), "%s %s: %d %s", call.method, call.path, status, answer)
	}
}
