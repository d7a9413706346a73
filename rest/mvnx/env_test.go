package mvnx_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/rest/mvnx"
	"simgate/rest/resttest"
)

// The sandbox's signing secret of demo-reseller.
const demoSecret = "whsec_c2ltZ2F0ZS1kZW1vLXJlc2VsbGVyLXdlYmhvb2s="

// mount serves the MVNX front end.
func mount(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
	mvnx.New(svc, eng, log, mvnx.Options{}).Register(e)
}

// env is the front end with the reseller's returnURL endpoint (the
// Partner), which checks each signature and acknowledges with code "0".
type env struct{ *resttest.Env }

// placeholder is the returnURL written in the request files; tests point
// it at their own listener.
const placeholder = "http://127.0.0.1:9/mvnx/callback"

func newEnv(t *testing.T) *env {
	t.Helper()
	return &env{resttest.New(t, demoSecret, mount)}
}

// post sends body, its placeholder pointed at the Partner, and answers the
// status and body, the Partner's URL put back as the placeholder.
func (e *env) post(t *testing.T, body string) (int, string) {
	t.Helper()
	status, _, answer := e.Do(t, http.MethodPost, mvnx.Path, nil, strings.ReplaceAll(body, placeholder, e.ReturnURL))
	return status, strings.ReplaceAll(answer, e.ReturnURL, placeholder)
}

func readCase(t *testing.T, name string) string {
	t.Helper()
	return resttest.ReadCase(t, "mvnx", name)
}

// golden compares indented JSON with testdata/mvnx/<name>.golden.json.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	resttest.Golden(t, "mvnx", name, got)
}
