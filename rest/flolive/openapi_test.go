package flolive_test

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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/rest/flolive"
	"simgate/rest/openapi"
)

// Real requests and answers of the handler conform to the served document.
func TestOpenAPIDescribesTheHandler(t *testing.T) {
	doc := openapi.New("simgate", "test", "")
	flolive.Describe(doc)
	raw, err := doc.JSON()
	require.NoError(t, err)
	spec, err := openapi3.NewLoader().LoadFromData(raw)
	require.NoError(t, err)
	require.NoError(t, spec.Validate(context.Background()))
	router, err := legacy.NewRouter(spec)
	require.NoError(t, err)

	// The document lists exactly the routes the handler serves.
	assert.Equal(t, []openapi.Route{
		{Method: "PUT", Path: flolive.PathBulkMove},
		{Method: "GET", Path: flolive.PathCall},
		{Method: "GET", Path: flolive.PathSubscriber},
		{Method: "PUT", Path: flolive.PathMove},
	}, doc.Routes())

	// The security check: the bearer key is present (the handler checks it).
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return in.NewError(nil)
			}
			return nil
		},
	}

	e := newEnv(t)
	var firstID string
	for _, tc := range []struct {
		name, method, path, key, body string
		validRequest                  bool // the request itself conforms (refused ones may not)
		status                        int
	}{
		{"document example", "PUT", movePath("iccid", simICCID(1)), acmeKey, readCase(t, "move_document_example"), true, 200},
		{"document NAK", "PUT", movePath("iccid", simICCID(4)), acmeKey, readCase(t, "move_document_nak"), true, 404},
		{"unknown subscriber", "PUT", movePath("imsi", "425019999999999"), acmeKey, moveBody(sparta), true, 404},
		{"bad type", "PUT", movePath("eid", simICCID(4)), acmeKey, moveBody(sparta), false, 400},
		{"bad customer id", "PUT", movePath("iccid", simICCID(4)), acmeKey, `{"targetCustomerId":"x"}`, false, 400},
		{"too large", "PUT", movePath("iccid", simICCID(4)), acmeKey, `{"targetCustomerId":"` + strings.Repeat("0", 1<<20) + `"}`, false, 413},
		{"no key", "PUT", movePath("iccid", simICCID(4)), "", moveBody(sparta), false, 401},
		{"bulk mixed", "PUT", flolive.PathBulkMove, acmeKey, readCase(t, "bulk_mixed"), true, 200},
		{"bulk all refused", "PUT", flolive.PathBulkMove, acmeKey, `{"items":[{"type":"iccid","value":"` + simICCID(3) + `","targetCustomerId":"` + sparta + `"}]}`, true, 422},
		{"bulk 201", "PUT", flolive.PathBulkMove, acmeKey, `{"items":[` + strings.Repeat(`{"type":"iccid","value":"1","targetCustomerId":"x"},`, 200) + `{"type":"iccid","value":"1","targetCustomerId":"x"}]}`, false, 400},
		{"call", "GET", "", acmeKey, "", true, 200},
		{"call unknown", "GET", callPath("6f1c0b7e-2d3a-4c5b-9e8f-0a1b2c3d4e5f"), acmeKey, "", true, 404},
		{"call malformed id", "GET", callPath("nope"), acmeKey, "", false, 400},
		{"call no key", "GET", callPath("6f1c0b7e-2d3a-4c5b-9e8f-0a1b2c3d4e5f"), "", "", false, 401},
		{"subscriber", "GET", subscriberPath("imei", "356938035643817"), acmeKey, "", true, 200},
		{"subscriber foreign", "GET", subscriberPath("iccid", simICCID(3)), acmeKey, "", true, 404},
		{"subscriber bad value", "GET", subscriberPath("iccid", "12"), acmeKey, "", false, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = callPath(firstID)
			}
			req, err := http.NewRequest(tc.method, "http://127.0.0.1"+path, strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tc.key != "" {
				req.Header.Set("Authorization", "Bearer "+tc.key)
			}
			route, params, err := router.FindRoute(req)
			require.NoError(t, err)
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
			if err := openapi3filter.ValidateRequest(context.Background(), in); tc.validRequest {
				require.NoError(t, err)
			} else {
				require.Error(t, err, "the document should refuse what the handler refuses")
			}

			status, answer := e.do(t, tc.method, path, tc.key, tc.body)
			require.Equal(t, tc.status, status, answer)
			if tc.name == "document example" {
				firstID = accepted(t, status, answer)
			}
			out := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(bytes.NewReader([]byte(answer))), Options: opts,
			}
			require.NoError(t, openapi3filter.ValidateResponse(context.Background(), out), answer)
		})
	}
}
