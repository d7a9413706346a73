package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/store"
)

// The whole harness, tiny: a real import and serve, every phase, every
// column printed, no error.
func TestBenchHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := run(ctx, []string{"bench", "--bin", bin, "--sims", "100", "--duration", "5s", "--concurrency", "8",
		"--bcrypt-cost", "4", "--keep", dir, "--profile", filepath.Join(dir, "prof")}, &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	report := out.String()
	for _, col := range []string{"| API | requests | req/s | p50 ms | p90 ms | p99 ms | ceiling req/s | ratio | CPU s/1k req | CPU s/1k incl. async | response bytes | other processes % |",
		"| ceiling of | requests | req/s | p50 ms | p90 ms | p99 ms | CPU s/1k req |",
		"| phase | activations | acks/s | callbacks | seconds | activations/s | ratio | ack→callback p50 ms | p99 ms | CPU s/1k | other processes % |"} {
		assert.Contains(t, report, col)
	}
	num := `[0-9]+(\.[0-9]+)?`
	for _, api := range []string{"soap", "mvnx", "sps", "flolive"} {
		// Every request of the small inventory is used, and succeeds.
		row := regexp.MustCompile(`(?m)^\| ` + api + ` \| 100 \|( ` + num + ` \|){10}$`)
		assert.Regexp(t, row, report, api)
		assert.Regexp(t, regexp.MustCompile(`(?m)^\| `+api+` \| [1-9][0-9]* \|( `+num+` \|){5}$`), report, api+" ceiling")
		st, err := os.Stat(filepath.Join(dir, "prof", api+".pprof"))
		if assert.NoError(t, err) {
			assert.Positive(t, st.Size())
		}
	}
	// Every activation is notified, through the pipeline and through the
	// bare relay that is its ceiling.
	assert.Regexp(t, regexp.MustCompile(`(?m)^\| e2e \| 100 \| `+num+` \| 100 \|( `+num+` \|){7}$`), report)
	assert.Regexp(t, regexp.MustCompile(`(?m)^\| e2e ceiling \| 100 \| `+num+` \| 100 \| `+num+` \| [1-9][0-9]* \| 1 \| – \| – \|( `+num+` \|){2}$`), report)
	assert.Regexp(t, `import: 500 SIMs \([0-9]+ records\) in `+num+` s`, report)
	assert.Regexp(t, `server start: `+num+` s from exec to /healthz 200`, report)
	assert.Regexp(t, `server heap after the run: `+num+` MiB`, report)
	assert.Contains(t, report, "errors: 0 request errors, 0 problems")
	for _, f := range []string{"inventory.jsonl", "simgate.db", "server.log"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
}

// The generated inventory imports as documented, and holds what each
// phase's n requests use.
func TestBenchInventory(t *testing.T) {
	cfg, err := benchFlags([]string{"--sims", "7"}, &bytes.Buffer{})
	require.NoError(t, err)
	s, err := newBenchSecrets()
	require.NoError(t, err)
	var inv bytes.Buffer
	require.NoError(t, writeInventory(&inv, cfg, s, "http://127.0.0.1:1"))
	db, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{})
	require.NoError(t, err)
	defer db.Close()
	stats, err := store.Import(context.Background(), db, store.Bcrypt{Cost: 4}, &inv)
	require.NoError(t, err)
	assert.Equal(t, 7+14+7, stats.Records["sim"])
	assert.Equal(t, 14+7, stats.Records["number"])
	assert.Equal(t, 7, stats.Records["sq"])
	assert.Equal(t, 7, stats.Records["subscriber"])

	only, err := benchFlags([]string{"--sims", "7", "--apis", "soap"}, &bytes.Buffer{})
	require.NoError(t, err)
	inv.Reset()
	require.NoError(t, writeInventory(&inv, only, s, "http://127.0.0.1:1"))
	assert.NotContains(t, inv.String(), "bench-reseller")

	assert.Equal(t, "89014104000000000012", stepDigits(benchMVNXICCID0, 12))
	assert.Equal(t, "2010000999", stepDigits(benchMVNXNumber0, 999))
}

func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{{"--sims", "0"}, {"--requests", "-1"}, {"--concurrency", "0"}, {"--duration", "0s"}, {"--apis", "soap,rest"}, {"--apis", ","}, {"extra"}} {
		_, err := benchFlags(args, &bytes.Buffer{})
		var ue usageError
		assert.ErrorAs(t, err, &ue, "%v", args)
	}
	cfg, err := benchFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 10000, cfg.sims)
	assert.Equal(t, 64, cfg.concurrency)
	assert.Equal(t, 10*time.Second, cfg.duration)
	assert.Len(t, cfg.apis, 5)
	assert.Equal(t, 10000, cfg.requests)
	cfg, err = benchFlags([]string{"--sims", "100", "--requests", "500"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 100, cfg.requests)
	cfg, err = benchFlags([]string{"--sims", "100", "--requests", "40"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 40, benchSpecs(cfg, benchSecrets{}, "")["soap"].limit)
}

// Each check accepts only the API's success answer.
func TestBenchChecks(t *testing.T) {
	assert.NoError(t, checkSOAP(200, []byte(`<SOAP-ENV:Envelope><SOAP-ENV:Body><ns1:ActiveServiceResponse>true</ns1:ActiveServiceResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>`)))
	assert.Error(t, checkSOAP(500, []byte(`<SOAP-ENV:Fault><faultstring>SQ not found</faultstring></SOAP-ENV:Fault>`)))
	assert.NoError(t, checkMVNX(200, []byte(`{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)))
	assert.Error(t, checkMVNX(401, []byte(`{"RequestAcknowledgement":{"Response":{"code":"LOGIN_FAILED"}}}`)))
	assert.Error(t, checkMVNX(200, []byte(`{"RequestAcknowledgement":{"Response":{"code":"RATE_LIMITED"}}}`)))
	assert.NoError(t, checkSPS(200, []byte(`{"status":"Success"}`+"\n")))
	assert.Error(t, checkSPS(200, []byte(`{"status":"Failure"}`)))
	assert.NoError(t, checkFloLIVE(200, []byte(`{"content":[{"requestId":"x"}]}`)))
	assert.Error(t, checkFloLIVE(404, []byte(`{"errorCode":"SUBSCRIBER_1002"}`)))
	assert.NoError(t, checkEcho(3)(200, []byte("xxx")))
	assert.Error(t, checkEcho(3)(200, []byte("xx")))
}

// A phase counts every bad answer as an error and keeps samples; it stops
// when the targets are used up.
func TestBenchAttackCountsErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%5 == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(`{"status":"Success"}`))
	}))
	defer srv.Close()
	spec := &phaseSpec{name: "t", method: http.MethodPost, path: "/", limit: 50, header: http.Header{},
		body: func(i int) []byte { return []byte(strings.Repeat("a", i)) }}
	r := attackPhase(context.Background(), "t", spec.targeter(srv.URL, ""), 4, 10*time.Second, checkSPS, nil)
	assert.Equal(t, 50, r.ok+r.errs)
	assert.Equal(t, 10, r.errs)
	assert.NotEmpty(t, r.samples)
	assert.Contains(t, r.samples[0], "HTTP 500")
	assert.Less(t, r.elapsed(), 10*time.Second)
}

func TestProcCPU(t *testing.T) {
	d, err := procCPU(os.Getpid())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, d, time.Duration(0))
	assert.Positive(t, machineCPU())
}

// The relay, the end-to-end ceiling, acknowledges with the request's
// messageId in the set-up size and sends a signed notification of the
// set-up size that the bench's sink accepts, with as many in flight as
// set up; bad input is refused and sends nothing.
func TestBenchRelay(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("relay-test-secret-0123456789abcd"))
	snk := &sink{secrets: map[string]string{"/relay": secret}, got: map[string]time.Time{}, count: map[string]int{}, size: map[string]int{}}
	// The listener holds every notification until release is closed, and
	// counts how many it held at once.
	release := make(chan struct{})
	var inFlight, peak atomic.Int32
	listener := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		inFlight.Add(-1)
		snk.ServeHTTP(w, r)
	}))
	defer listener.Close()
	e := echo.New()
	benchHooks{echo: true, senders: 3, callbackTimeout: 10 * time.Second, allowPrivate: true}.mount(e)
	srv := httptest.NewServer(e)
	defer srv.Close()
	s := &server{base: srv.URL, client: srv.Client()}

	post := func(body string) (int, string) {
		resp, err := http.Post(srv.URL+"/bench/relay", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := post(`{"messageId":"m-0"}`)
	assert.Equal(t, http.StatusConflict, code, "before the setup: %s", body)

	setup := relaySetup{To: listener.URL + "/relay", Secret: secret, AckBytes: 64, NotificationBytes: 700, Requests: 10}
	for _, bad := range []relaySetup{
		{To: setup.To, Secret: secret, AckBytes: -1, NotificationBytes: 1, Requests: 1},
		{To: setup.To, Secret: secret, AckBytes: 1, NotificationBytes: 2_000_000, Requests: 1},
		{To: setup.To, Secret: secret, AckBytes: 1, NotificationBytes: 1, Requests: 0},
		{To: setup.To, AckBytes: 1, NotificationBytes: 1, Requests: 1},
		{To: "ftp://x/", Secret: secret, AckBytes: 1, NotificationBytes: 1, Requests: 1},
	} {
		_, err := s.send(http.MethodPut, "/bench/relay", bad)
		assert.ErrorContains(t, err, "400", "%+v", bad)
	}
	_, err := s.send(http.MethodPut, "/bench/relay", setup)
	require.NoError(t, err)
	_, err = s.send(http.MethodPut, "/bench/relay", setup)
	assert.ErrorContains(t, err, "409", "set up once")

	for i := range 5 {
		code, body := post(`{"MessageHeader":{"TrackingMessageHeader":{"messageId":"m-` + strconv.Itoa(i) + `"}}}`)
		require.Equal(t, http.StatusOK, code, body)
		assert.Len(t, body, 64)
		var ack struct{ MessageID string }
		require.NoError(t, json.Unmarshal([]byte(body), &ack), body)
		assert.Equal(t, "m-"+strconv.Itoa(i), ack.MessageID)
	}
	require.Eventually(t, func() bool { return inFlight.Load() == 3 }, 10*time.Second, 5*time.Millisecond, "as many in flight as senders")
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, int32(3), peak.Load(), "never more in flight than senders")
	close(release)
	require.Eventually(t, func() bool { return snk.received("/relay") == 5 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, 700, snk.meanBytes("/relay"))
	assert.Zero(t, snk.nProblem, snk.problems)

	for _, c := range []struct{ body, want string }{
		{`{"id":"m-9"}`, "no \"messageId\""},
		{`{"messageId":"m\"-9"}`, "no \"messageId\""},
		{"{\"messageId\":\"m\t9\"}", "no \"messageId\""},
		{`{"messageId":"` + strings.Repeat("m", maxRelayID+1) + `"}`, "no \"messageId\""},
	} {
		code, body := post(c.body)
		assert.Equal(t, http.StatusBadRequest, code, c.body)
		assert.Contains(t, body, c.want, c.body)
	}
	counts, err := s.relayCounts()
	require.NoError(t, err)
	assert.Equal(t, benchRelayCounts{Sent: 5}, counts)

	// A listener that refuses is a failure, with its error.
	e2 := echo.New()
	benchHooks{echo: true, senders: 1, callbackTimeout: 10 * time.Second, allowPrivate: true}.mount(e2)
	srv2 := httptest.NewServer(e2)
	defer srv2.Close()
	s2 := &server{base: srv2.URL, client: srv2.Client()}
	setup.To = listener.URL + "/unknown"
	_, err = s2.send(http.MethodPut, "/bench/relay", setup)
	require.NoError(t, err)
	resp, err := http.Post(srv2.URL+"/bench/relay", "application/json", strings.NewReader(`{"messageId":"m-3"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Eventually(t, func() bool {
		counts, err = s2.relayCounts()
		require.NoError(t, err)
		return counts.Failed == 1
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, "callback: HTTP 404: unknown path", counts.Error)

	// More requests waiting than set up: 503 at once, not a wait.
	hold, taken := make(chan struct{}), make(chan struct{}, 4)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		taken <- struct{}{}
		<-hold
		snk.ServeHTTP(w, r)
	}))
	defer slow.Close()
	defer close(hold)
	e3 := echo.New()
	benchHooks{echo: true, senders: 1, callbackTimeout: 10 * time.Second, allowPrivate: true}.mount(e3)
	srv3 := httptest.NewServer(e3)
	defer srv3.Close()
	s3 := &server{base: srv3.URL, client: srv3.Client()}
	_, err = s3.send(http.MethodPut, "/bench/relay", relaySetup{To: slow.URL + "/relay", Secret: secret, AckBytes: 1, NotificationBytes: 1, Requests: 2})
	require.NoError(t, err)
	postTo := func(id string) int {
		resp, err := http.Post(srv3.URL+"/bench/relay", "application/json", strings.NewReader(`{"messageId":"`+id+`"}`))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, postTo("q-1"))
	<-taken // the one sender holds q-1; q-2 and q-3 fill the queue
	assert.Equal(t, http.StatusOK, postTo("q-2"))
	assert.Equal(t, http.StatusOK, postTo("q-3"))
	assert.Equal(t, http.StatusServiceUnavailable, postTo("q-4"))
}
