package mvnx_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/rest"
	"simgate/rest/callback"
	"simgate/rest/mvnx"
	"simgate/store"
	"simgate/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/mvnx")

var testNow = time.Date(2026, 3, 29, 14, 38, 11, 0, time.UTC)

// The sandbox's signing secret of demo-reseller.
const demoSecret = "whsec_c2ltZ2F0ZS1kZW1vLXJlc2VsbGVyLXdlYmhvb2s="

// partner is the reseller's returnURL endpoint: it checks each signature
// and acknowledges with code "0".
type partner struct {
	mu       sync.Mutex
	received []received
	arrived  chan struct{}
}

type received struct {
	id   string
	body []byte
}

func (p *partner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := callback.Verify(demoSecret, r.Header, body, time.Hour, time.Now()); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	p.mu.Lock()
	p.received = append(p.received, received{r.Header.Get("webhook-id"), body})
	p.mu.Unlock()
	_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
	p.arrived <- struct{}{}
}

// wait answers the first n notifications, ordered by webhook-id.
func (p *partner) wait(t *testing.T, n int) []received {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-p.arrived:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d notifications arrived", i, n)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]received(nil), p.received...)
	return out
}

type env struct {
	url, returnURL string
	db             *store.DB
	partner        *partner
}

// placeholder is the returnURL written in the request files; tests point
// it at their own listener.
const placeholder = "http://127.0.0.1:9/mvnx/callback"

func newEnv(t *testing.T) *env {
	t.Helper()
	db := storetest.Sandbox(t)
	svc, err := core.NewService(db, coretest.Clock{T: testNow}, &coretest.IDs{}, storetest.Passwords, core.Config{})
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sender := callback.New(callback.Options{Timeout: 5 * time.Second, AllowPrivate: true})
	eng := core.NewEngine(svc, sender, log, core.EngineConfig{PollInterval: 20 * time.Millisecond,
		Retry: func(int, time.Duration) (time.Duration, bool) { return 50 * time.Millisecond, true }})
	e := echo.New()
	e.Use(rest.RequestLog(log))
	mvnx.New(svc, eng, log, mvnx.Options{}).Register(e)
	srv := httptest.NewServer(e)
	p := &partner{arrived: make(chan struct{}, 1000)}
	ps := httptest.NewServer(p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		ps.Close()
	})
	return &env{url: srv.URL, returnURL: ps.URL + "/mvnx/callback", db: db, partner: p}
}

func (e *env) post(t *testing.T, body string) (int, string) {
	t.Helper()
	body = strings.ReplaceAll(body, placeholder, e.returnURL)
	res, err := http.Post(e.url+mvnx.Path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, strings.ReplaceAll(string(b), e.returnURL, placeholder)
}

func readCase(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mvnx", name+".request.json"))
	require.NoError(t, err)
	return string(b)
}

// golden compares indented JSON with testdata/mvnx/<name>.golden.json.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(got, &v), string(got))
	pretty, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	pretty = append(pretty, '\n')
	path := filepath.Join("..", "..", "testdata", "mvnx", name+".golden.json")
	if *update {
		require.NoError(t, os.WriteFile(path, pretty, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./rest/mvnx -update")
	require.Equal(t, strings.ReplaceAll(string(want), "\r\n", "\n"), string(pretty), "differs from %s", path)
}
