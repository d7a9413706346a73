package resttest

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

	"simgate/rest/callback"
)

// Fuzzer seeds f with every testdata/<api>/*.request.json and answers an
// echo serving the handlers mount registers over one sandbox database,
// without middleware (a panic fails the fuzz run). The engine does not
// run: requests are stored, never executed.
func Fuzzer(f *testing.F, api string, mount Mount) *echo.Echo {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(root(), "testdata", api, "*.request.json"))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatalf("no testdata/%s/*.request.json", api)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, _, _, _ := build(f, Options{Log: log, Sender: callback.New(callback.Options{})}, mount)
	return e
}

// Serve sends body to h, in process, as application/json with headers,
// and answers what h answered.
func Serve(h http.Handler, method, path string, headers map[string]string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
