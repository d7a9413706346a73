package flolive_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/rest/flolive"
	"simgate/rest/openapi"
	"simgate/rest/resttest"
)

// Real requests and answers of the handler conform to the served document.
func TestOpenAPIDescribesTheHandler(t *testing.T) {
	c := resttest.CheckOpenAPI(t, flolive.Describe)

	// The document lists exactly the routes the handler serves.
	assert.Equal(t, []openapi.Route{
		{Method: "PUT", Path: flolive.PathBulkMove},
		{Method: "GET", Path: flolive.PathCall},
		{Method: "GET", Path: flolive.PathSubscriber},
		{Method: "PUT", Path: flolive.PathMove},
	}, c.Doc.Routes())

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
			status, h, answer := e.Do(t, tc.method, path, bearer(tc.key), tc.body)
			require.Equal(t, tc.status, status, answer)
			if tc.name == "document example" {
				firstID = accepted(t, status, answer)
			}
			err := c.Check(t, resttest.Exchange{Method: tc.method, Path: path, Header: bearer(tc.key), Body: tc.body,
				Status: status, AnswerHeader: h, Answer: answer})
			if tc.validRequest {
				require.NoError(t, err)
			} else {
				require.Error(t, err, "the document should refuse what the handler refuses")
			}
		})
	}
	// The optional Idempotency-Key header: a keyed move, its replay and a
	// conflict conform; a malformed key breaks the document, the answer
	// conforms.
	keyed := func(key string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + acmeKey, flolive.HeaderIdempotencyKey: key}
	}
	for _, tc := range []struct {
		key, path, body string
		validRequest    bool
		status          int
	}{
		{"doc-1", movePath("iccid", simICCID(20)), moveBody(sparta), true, 200},
		{"doc-1", movePath("iccid", simICCID(20)), moveBody(sparta), true, 200},
		{"doc-1", movePath("iccid", simICCID(20)), moveBody(rome), true, 409},
		{"doc-2", flolive.PathBulkMove, `{"items":[{"type":"iccid","value":"` + simICCID(23) + `","targetCustomerId":"` + sparta + `"}]}`, true, 200},
		{"doc-2", flolive.PathBulkMove, `{"items":[{"type":"iccid","value":"` + simICCID(21) + `","targetCustomerId":"` + sparta + `"}]}`, true, 409},
		{"doc\t3", movePath("iccid", simICCID(22)), moveBody(sparta), false, 400},
		{strings.Repeat("k", 256), flolive.PathBulkMove, readCase(t, "bulk_mixed"), false, 400},
	} {
		key := tc.key
		status, h, answer := e.Do(t, http.MethodPut, tc.path, keyed(key), tc.body)
		require.Equal(t, tc.status, status, answer)
		err := c.Check(t, resttest.Exchange{Method: http.MethodPut, Path: tc.path, Header: keyed(key), Body: tc.body,
			Status: status, AnswerHeader: h, Answer: answer})
		if tc.validRequest {
			require.NoError(t, err)
		} else {
			require.Error(t, err, "the document should refuse what the handler refuses")
		}
	}
	// A refused media type: the request breaks the document, the answer conforms.
	plain := map[string]string{"Authorization": "Bearer " + acmeKey, "Content-Type": "text/plain"}
	status, h, answer := e.Do(t, http.MethodPut, movePath("iccid", simICCID(4)), plain, moveBody(sparta))
	require.Equal(t, http.StatusUnsupportedMediaType, status, answer)
	require.Error(t, c.Check(t, resttest.Exchange{Method: http.MethodPut, Path: movePath("iccid", simICCID(4)), Header: plain, Body: moveBody(sparta),
		Status: status, AnswerHeader: h, Answer: answer}))
}
