package sps_test

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
	"simgate/rest/resttest"
	"simgate/rest/sps"
	"simgate/store/storetest"
)

// FuzzSPSActivate posts each input to the activate endpoint; see fuzzSPS.
//
//	go test ./rest/sps -run '^$' -fuzz '^FuzzSPSActivate$' -fuzztime 60s
func FuzzSPSActivate(f *testing.F) { fuzzSPS(f, sps.PathActivate) }

// FuzzSPSStatus posts each input to the status endpoint; see fuzzSPS.
//
//	go test ./rest/sps -run '^$' -fuzz '^FuzzSPSStatus$' -fuzztime 60s
func FuzzSPSStatus(f *testing.F) { fuzzSPS(f, sps.PathStatus) }

// documented are the statuses of the OpenAPI document (describe.go) but
// 500, which only an internal error gives: never the right answer to
// what a client sent.
var documented = map[int]bool{
	http.StatusOK: true, http.StatusBadRequest: true, http.StatusUnauthorized: true, http.StatusNotFound: true,
	http.StatusConflict: true, http.StatusRequestEntityTooLarge: true, http.StatusTooManyRequests: true,
}

// fuzzSPS posts each input to path as demo-wholesale, through the echo
// handler (without the recovering middleware: a panic fails the fuzz run)
// over one sandbox database, seeded with every request file of
// testdata/sps. Requests are stored, never executed: the engine does not
// run.
func fuzzSPS(f *testing.F, path string) {
	files, err := filepath.Glob("../../testdata/sps/*.request.json")
	require.NoError(f, err)
	require.NotEmpty(f, files)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(raw)
	}
	db := storetest.Sandbox(f)
	svc, err := core.NewService(db, coretest.Clock{T: resttest.Now}, &coretest.IDs{}, storetest.Passwords, core.Config{})
	require.NoError(f, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := core.NewEngine(svc, callback.New(callback.Options{}), log, core.EngineConfig{})
	e := echo.New()
	sps.New(svc, eng, log, sps.Options{}).Register(e)

	f.Fuzz(func(t *testing.T, data []byte) {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+demoKey)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		checkAnswer(t, rec.Code, rec.Header(), rec.Body.Bytes())
	})
}

// checkAnswer fails unless body is {"status":"Success"} for a 200 and the
// API's one error shape otherwise, exactly.
func checkAnswer(t *testing.T, status int, h http.Header, body []byte) {
	t.Helper()
	if !documented[status] {
		t.Fatalf("status %d: %s", status, body)
	}
	if h.Get(sps.HeaderCorrelationID) == "" {
		t.Fatalf("no %s on the answer", sps.HeaderCorrelationID)
	}
	if status == http.StatusOK {
		var ack sps.Ack
		if err := jsonx.Decode(body, &ack, jsonx.Limits{}); err != nil || ack.Status != "Success" {
			t.Fatalf("200 without {\"status\":\"Success\"} (%v): %s", err, body)
		}
		return
	}
	var fail sps.Failure
	if err := jsonx.Decode(body, &fail, jsonx.Limits{}); err != nil {
		t.Fatalf("answer is not a Failure: %v: %s", err, body)
	}
	if fail.Status != "Failure" || len(fail.Errors) == 0 {
		t.Fatalf("status %d: %s", status, body)
	}
	for _, it := range fail.Errors {
		if it.Code == "" || it.Message == "" {
			t.Fatalf("error without code or message: %s", body)
		}
	}
}
