package sps_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"simgate/rest/resttest"
	"simgate/rest/sps"
)

// Real requests and answers of every operation conform to the document.
func TestOpenAPIDescribesTheHandlers(t *testing.T) {
	c := resttest.CheckOpenAPI(t, sps.Describe)
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
	for _, call := range calls {
		status, h, answer := e.Do(t, call.method, call.path, docHeaders, call.body)
		err := c.Check(t, resttest.Exchange{Method: call.method, Path: call.path, Header: docHeaders, Body: call.body,
			Status: status, AnswerHeader: h, Answer: answer})
		if !strings.Contains(call.body, "TTTTTTTT") { // err_every_rule breaks the schema on purpose
			require.NoError(t, err, "%s %s", call.method, call.path)
		}
	}
	// A refused media type: the request breaks the document, the answer conforms.
	plain := headers(demoKey, "Content-Type", "text/plain")
	body := resttest.ReadCase(t, "sps", "pool_number")
	status, h, answer := e.Do(t, http.MethodPost, sps.PathActivate, plain, body)
	require.Equal(t, http.StatusUnsupportedMediaType, status, answer)
	require.Error(t, c.Check(t, resttest.Exchange{Method: http.MethodPost, Path: sps.PathActivate, Header: plain, Body: body,
		Status: status, AnswerHeader: h, Answer: answer}))
}
