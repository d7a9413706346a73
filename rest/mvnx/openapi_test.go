package mvnx_test

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

	"simgate/rest/mvnx"
	"simgate/rest/openapi"
)

// Real requests and answers of the handler conform to the served document.
func TestOpenAPIDescribesTheHandler(t *testing.T) {
	doc := openapi.New("simgate", "test", "")
	mvnx.Describe(doc)
	raw, err := doc.JSON()
	require.NoError(t, err)
	spec, err := openapi3.NewLoader().LoadFromData(raw)
	require.NoError(t, err)
	require.NoError(t, spec.Validate(context.Background()))
	router, err := legacy.NewRouter(spec)
	require.NoError(t, err)

	e := newEnv(t)
	for _, name := range []string{"activate_document_shape", "business_several_devices", "err_bad_credentials", "err_missing_fields"} {
		body := strings.ReplaceAll(readCase(t, name), placeholder, e.returnURL)
		req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1"+mvnx.Path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		route, params, err := router.FindRoute(req)
		require.NoError(t, err)
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
		require.NoError(t, openapi3filter.ValidateRequest(context.Background(), in), name)

		status, answer := e.post(t, body)
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader([]byte(answer))),
		}
		require.NoError(t, openapi3filter.ValidateResponse(context.Background(), out), "%s: %s", name, answer)
	}
}
