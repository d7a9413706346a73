package sps_test

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/rest/jsonx"
	"simgate/rest/resttest"
	"simgate/rest/sps"
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
	e := resttest.Fuzzer(f, "sps", func(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
		sps.New(svc, eng, log, sps.Options{}).Register(e)
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := resttest.Serve(e, http.MethodPost, path, headers(demoKey), data)
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
