package mvnx_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"simgate/rest/mvnx"
	"simgate/rest/resttest"
)

// Real requests and answers of the handler conform to the served document.
func TestOpenAPIDescribesTheHandler(t *testing.T) {
	c := resttest.CheckOpenAPI(t, mvnx.Describe)
	e := newEnv(t)
	for _, name := range []string{"activate_document_shape", "business_several_devices", "err_bad_credentials", "err_missing_fields"} {
		body := strings.ReplaceAll(readCase(t, name), placeholder, e.ReturnURL)
		status, h, answer := e.Do(t, http.MethodPost, mvnx.Path, nil, body)
		require.NoError(t, c.Check(t, resttest.Exchange{Method: http.MethodPost, Path: mvnx.Path, Body: body,
			Status: status, AnswerHeader: h, Answer: answer}), name)
	}
	// A refused media type: the request breaks the document, the answer conforms.
	plain := map[string]string{"Content-Type": "text/plain"}
	body := strings.ReplaceAll(readCase(t, "activate_document_shape"), placeholder, e.ReturnURL)
	status, h, answer := e.Do(t, http.MethodPost, mvnx.Path, plain, body)
	require.Equal(t, http.StatusUnsupportedMediaType, status, answer)
	require.Error(t, c.Check(t, resttest.Exchange{Method: http.MethodPost, Path: mvnx.Path, Header: plain, Body: body,
		Status: status, AnswerHeader: h, Answer: answer}))
}
