// Package resttest runs a front end over a sandbox database with a live
// asynchronous engine and a partner endpoint, for the REST APIs' tests.
package resttest

import (
	"bytes"
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

	"simgate/core"
	"simgate/core/coretest"
	"simgate/rest"
	"simgate/rest/callback"
	"simgate/store"
	"simgate/store/storetest"
)

// Update rewrites golden files (go test ./rest/... -update).
var Update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Now is the fixed time of the tests.
var Now = time.Date(2026, 3, 29, 14, 38, 11, 0, time.UTC)

// Received is one notification as the partner got it.
type Received struct {
	ID   string // webhook-id
	Body []byte
}

// Partner is a partner's notification endpoint: it checks each signature
// with Secret and acknowledges (with the MVNX acknowledgement, which is
// also a 2xx for every other API).
type Partner struct {
	Secret  string
	mu      sync.Mutex
	got     []Received
	arrived chan struct{}
	rejects int
}

func (p *Partner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := callback.Verify(p.Secret, r.Header, body, time.Hour, time.Now()); err != nil {
		p.mu.Lock()
		p.rejects++
		p.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	p.mu.Lock()
	p.got = append(p.got, Received{r.Header.Get(callback.HeaderID), body})
	p.mu.Unlock()
	_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
	p.arrived <- struct{}{}
}

// Wait answers the first n notifications once they arrived.
func (p *Partner) Wait(t testing.TB, n int) []Received {
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
	return append([]Received(nil), p.got...)
}

// Received answers what arrived so far and how many were refused for a bad signature.
func (p *Partner) Received() ([]Received, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Received(nil), p.got...), p.rejects
}

// Env is a running front end.
type Env struct {
	URL       string // the API's base URL
	ReturnURL string // the partner endpoint's URL
	DB        *store.DB
	Svc       *core.Service
	Partner   *Partner
	start     func()
}

// Mount registers a front end's handlers.
type Mount func(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger)

// Options change what NewWith sets up; the zero value is New's but for the
// Partner's secret.
type Options struct {
	Secret       string        // the Partner's signing secret
	Config       core.Config   // the service's settings
	Sender       core.Sender   // delivers notifications; default a callback sender
	Log          *slog.Logger  // default discards
	PollInterval time.Duration // the engine's; default 20ms
	Paused       bool          // the engine runs only once Env.Start is called
}

// New serves the handlers mount registers, over a fresh sandbox, with an
// engine delivering to a Partner that checks signatures with secret.
func New(t testing.TB, secret string, mount Mount) *Env {
	t.Helper()
	return NewWith(t, Options{Secret: secret}, mount)
}

// NewWith is New with the settings of o.
func NewWith(t testing.TB, o Options, mount Mount) *Env {
	t.Helper()
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Sender == nil {
		o.Sender = callback.New(callback.Options{Timeout: 5 * time.Second, AllowPrivate: true})
	}
	if o.PollInterval == 0 {
		o.PollInterval = 20 * time.Millisecond
	}
	e, db, svc, eng := build(t, o, mount, rest.RequestLog(o.Log))
	srv := httptest.NewServer(e)
	p := &Partner{Secret: o.Secret, arrived: make(chan struct{}, 1000)}
	ps := httptest.NewServer(p)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var once sync.Once
	start := func() { once.Do(func() { go func() { defer close(done); eng.Run(ctx) }() }) }
	t.Cleanup(func() {
		srv.Close()
		cancel()
		once.Do(func() { close(done) }) // never started
		<-done
		ps.Close()
	})
	if !o.Paused {
		start()
	}
	return &Env{URL: srv.URL, ReturnURL: ps.URL + "/callback", DB: db, Svc: svc, Partner: p, start: start}
}

// Start runs the engine of an Env made Paused (and does nothing otherwise).
func (e *Env) Start() { e.start() }

// build answers an echo serving the handlers mount registers behind mw,
// over a fresh sandbox, and the engine they were given (not running).
func build(t testing.TB, o Options, mount Mount, mw ...echo.MiddlewareFunc) (*echo.Echo, *store.DB, *core.Service, *core.Engine) {
	t.Helper()
	db := storetest.Sandbox(t)
	svc, err := core.NewService(db, coretest.Clock{T: Now}, &coretest.IDs{}, storetest.Passwords, o.Config)
	if err != nil {
		t.Fatal(err)
	}
	eng := core.NewEngine(svc, o.Sender, o.Log, core.EngineConfig{PollInterval: o.PollInterval,
		Retry: func(int, time.Duration) (time.Duration, bool) { return 50 * time.Millisecond, true }})
	e := echo.New()
	e.Use(mw...)
	mount(e, svc, eng, o.Log)
	return e, db, svc, eng
}

// Request sends a request and answers the response, whose body the caller
// closes. Content-Type is application/json when there is a body; a header
// given as "" is left out (a body without Content-Type).
func (e *Env) Request(t testing.TB, method, path string, headers map[string]string, body string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Do sends a request and answers status, headers and body.
func (e *Env) Do(t testing.TB, method, path string, headers map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	res := e.Request(t, method, path, headers, body)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

// ReadCase reads testdata/<api>/<name>.request.json.
func ReadCase(t testing.TB, api, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(), "testdata", api, name+".request.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Golden compares got, as indented JSON with its keys sorted, with
// testdata/<api>/<name>.golden.json, or rewrites it under -update.
func Golden(t testing.TB, api, name string, got []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", name, err, got)
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	compare(t, api, name, append(pretty, '\n'))
}

// GoldenInOrder is Golden keeping the keys in the order of got (a
// document's order).
func GoldenInOrder(t testing.TB, api, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", name, err, got)
	}
	buf.WriteByte('\n')
	compare(t, api, name, buf.Bytes())
}

// compare compares pretty with testdata/<api>/<name>.golden.json (line
// endings normalised), or rewrites it under -update.
func compare(t testing.TB, api, name string, pretty []byte) {
	t.Helper()
	path := filepath.Join(root(), "testdata", api, name+".golden.json")
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file %s: run go test with -update", path)
	}
	if strings.ReplaceAll(string(want), "\r\n", "\n") != string(pretty) {
		t.Errorf("%s differs from %s:\n--- want\n%s\n--- got\n%s", name, path, want, pretty)
	}
}

// root is the repository root, found from this package's directory.
func root() string {
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return dir
}

// LogBuffer collects the JSON log lines of a test: give a JSON slog
// handler writing to it as Options.Log.
type LogBuffer = coretest.LogBuffer
