package mvnx_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/rest/callback"
	"simgate/rest/jsonx"
	"simgate/rest/mvnx"
	"simgate/store/storetest"
)

// documented are the statuses of the OpenAPI document (describe.go) but
// 503, which only an internal error gives: never the right answer to
// what a client sent.
var documented = map[int]bool{
	http.StatusOK: true, http.StatusBadRequest: true, http.StatusUnauthorized: true,
	http.StatusRequestEntityTooLarge: true, http.StatusUnprocessableEntity: true, http.StatusTooManyRequests: true,
}

// FuzzMVNX posts each input to the endpoint through the echo handler
// (without the recovering middleware: a panic fails the fuzz run) over one
// sandbox database. Requests are stored, never executed: the engine does
// not run.
//
//	go test ./rest/mvnx -run '^$' -fuzz '^FuzzMVNX$' -fuzztime 60s
func FuzzMVNX(f *testing.F) {
	files, err := filepath.Glob("../../testdata/mvnx/*.request.json")
	require.NoError(f, err)
	require.NotEmpty(f, files)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(raw)
	}
	db := storetest.Sandbox(f)
	svc, err := core.NewService(db, coretest.Clock{T: testNow}, &coretest.IDs{}, storetest.Passwords, core.Config{})
	require.NoError(f, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := core.NewEngine(svc, callback.New(callback.Options{}), log, core.EngineConfig{})
	e := echo.New()
	mvnx.New(svc, eng, log, mvnx.Options{}).Register(e)

	f.Fuzz(func(t *testing.T, data []byte) {
		req := httptest.NewRequest(http.MethodPost, mvnx.Path, bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		checkAck(t, rec.Code, rec.Body.Bytes())
	})
}

// checkAck fails unless body is an acknowledgement, in the exact shape of
// mvnx.Ack, that agrees with status.
func checkAck(t *testing.T, status int, body []byte) {
	t.Helper()
	if !documented[status] {
		t.Fatalf("status %d: %s", status, body)
	}
	var ack mvnx.Ack
	if err := jsonx.Decode(body, &ack, jsonx.Limits{}); err != nil {
		t.Fatalf("answer is not an Ack: %v: %s", err, body)
	}
	res := ack.RequestAcknowledgement.Response
	tr := ack.MessageHeader.TrackingMessageHeader
	switch {
	case (status == http.StatusOK) != (res.Code == "0"):
		t.Fatalf("status %d with code %q: %s", status, res.Code, body)
	case res.Code == "" || res.Description == "":
		t.Fatalf("no code or description: %s", body)
	case tr.UniqueTransactionID == "" || tr.ConversationID == "" || tr.DateTimeStamp == "":
		t.Fatalf("incomplete TrackingMessageHeader: %s", body)
	case ack.MessageHeader.SecurityMessageHeader == nil ||
		*ack.MessageHeader.SecurityMessageHeader != (mvnx.MaskedSecurityHeader{UserName: "[userName]", UserPassword: "[userPassword]"}):
		t.Fatalf("credentials not masked: %s", body)
	}
}
