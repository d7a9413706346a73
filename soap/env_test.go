package soap_test

import (
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/rest"
	"simgate/soap"
	"simgate/store"
	"simgate/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/soap")

// testNow is the fixed time of every test: the sandbox's valid token has
// not expired then, its expired token has.
var testNow = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

type env struct {
	url string
	db  *store.DB
	svc *core.Service
}

// newEnv serves the SOAP front end over a fresh sandbox database.
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, core.Config{})
}

// newEnvWith is newEnv with the core settings cfg.
func newEnvWith(t testing.TB, cfg core.Config) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, db, svc := newEcho(t, cfg, rest.RequestLog(log))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &env{url: srv.URL, db: db, svc: svc}
}

// newEcho answers the SOAP front end over a fresh sandbox database, with
// the core settings cfg and the middleware mw (none: a panic reaches the
// caller).
func newEcho(t testing.TB, cfg core.Config, mw ...echo.MiddlewareFunc) (*echo.Echo, *store.DB, *core.Service) {
	t.Helper()
	db := storetest.Sandbox(t)
	svc, err := core.NewService(db, coretest.Clock{T: testNow}, &coretest.IDs{}, storetest.Passwords, cfg)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := echo.New()
	e.Use(mw...)
	soap.New(svc, log, soap.Options{}).Register(e)
	return e, db, svc
}

// post sends a raw SOAP request and answers status and body.
func (e *env) post(t testing.TB, path, body string) (int, string) {
	t.Helper()
	return e.postAs(t, path, "text/xml; charset=utf-8", body)
}

// postAs is post with the given Content-Type ("" for none).
func (e *env) postAs(t testing.TB, path, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(out)
}

func readCase(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "soap", name+".request.xml"))
	require.NoError(t, err)
	return string(b)
}

// golden compares got with testdata/soap/<name>.golden.xml (line endings
// normalised), or rewrites it under -update.
func golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "soap", name+".golden.xml")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./soap -update")
	norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
	require.Equal(t, norm(string(want)), norm(got), "response differs from %s", path)
}

func endpointOf(name string) string {
	if strings.HasPrefix(name, "login") {
		return soap.PathAuthentication
	}
	return soap.PathServices
}
