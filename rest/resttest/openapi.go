package resttest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"simgate/rest/openapi"
)

// OpenAPIChecker validates real requests and answers of a front end
// against the OpenAPI document it serves.
type OpenAPIChecker struct {
	Doc    *openapi.Doc
	router routers.Router
	opts   *openapi3filter.Options
}

// CheckOpenAPI builds the document describe fills, checks it is a valid
// OpenAPI document and answers a checker of exchanges against it. An
// answer's status must be documented; a security requirement is met by
// any bearer Authorization header (the handlers check the key).
func CheckOpenAPI(t testing.TB, describe func(*openapi.Doc)) *OpenAPIChecker {
	t.Helper()
	doc := openapi.New("simgate", "test", "")
	describe(doc)
	raw, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	router, err := legacy.NewRouter(spec)
	if err != nil {
		t.Fatal(err)
	}
	return &OpenAPIChecker{Doc: doc, router: router, opts: &openapi3filter.Options{
		IncludeResponseStatus: true,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return in.NewError(nil)
			}
			return nil
		},
	}}
}

// Exchange is one request as sent and the answer it got.
type Exchange struct {
	Method, Path string
	Header       map[string]string // the request's; Content-Type is application/json when there is a Body
	Body         string
	Status       int
	AnswerHeader http.Header // the answer's; Content-Type application/json when nil
	Answer       string
}

// Check fails t unless the route of x is documented and its answer
// conforms to the document; it answers whether the request conformed
// (nil) or why not, for the caller to judge: a refused request may not.
func (c *OpenAPIChecker) Check(t testing.TB, x Exchange) error {
	t.Helper()
	req, err := http.NewRequest(x.Method, "http://127.0.0.1"+x.Path, strings.NewReader(x.Body))
	if err != nil {
		t.Fatal(err)
	}
	if x.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range x.Header {
		req.Header.Set(k, v)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: %v", x.Method, x.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	contentType := "application/json"
	if x.AnswerHeader != nil {
		contentType = x.AnswerHeader.Get("Content-Type")
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: x.Status, Header: http.Header{"Content-Type": {contentType}},
		Body: io.NopCloser(bytes.NewReader([]byte(x.Answer))), Options: c.opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Fatalf("%s %s: %d %s: %v", x.Method, x.Path, x.Status, x.Answer, err)
	}
	return reqErr
}
