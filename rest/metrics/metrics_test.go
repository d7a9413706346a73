package metrics_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest"
	"simgate/rest/metrics"
)

// Sample answers the value of the series name{labels} in a text exposition;
// labels are name="value" pairs in label-name order, as Prometheus writes
// them.
func Sample(body, name string, labels ...string) (float64, bool) {
	series := name
	if len(labels) > 0 {
		series += "{" + strings.Join(labels, ",") + "}"
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

func scrape(t *testing.T, e *echo.Echo) string {
	t.Helper()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return rec.Body.String()
}

func assertSample(t *testing.T, body string, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := Sample(body, name, labels...)
	if assert.True(t, ok, "no series %s%v in\n%s", name, labels, body) {
		assert.Equal(t, want, got, "%s%v", name, labels)
	}
}

func newApp(m *metrics.Metrics) *echo.Echo {
	e := echo.New()
	e.Use(m.Middleware(e))
	e.Use(rest.RequestLog(slog.New(slog.NewTextHandler(io.Discard, nil))))
	m.Register(e)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.POST("/userapi/Services", func(c echo.Context) error {
		if c.QueryParam("op") != "" {
			rest.SetOperation(c, c.QueryParam("op"))
		}
		return c.String(http.StatusInternalServerError, "fault")
	})
	e.POST("/ActivateSubscriberReseller", func(c echo.Context) error { return c.String(http.StatusOK, "ack") })
	g := e.Group("/subscriber-provisioning/v5", func(next echo.HandlerFunc) echo.HandlerFunc { return next })
	g.GET("/subscription/transactions/:id", func(c echo.Context) error { return c.String(http.StatusOK, "tx") })
	e.PUT("/api/v2/subscriber/:type/:value/move", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusNotFound, "no such subscriber") // rendered by RequestLog
	})
	e.GET("/api/v2/panic", func(c echo.Context) error { panic("boom") })
	return e
}

func TestRequestsByAPIOperationAndOutcome(t *testing.T) {
	m := metrics.New()
	e := newApp(m)
	for _, r := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/healthz", 200},
		{http.MethodPost, "/userapi/Services?op=ActivateService", 500},
		{http.MethodPost, "/userapi/Services?op=ActivateService", 500},
		{http.MethodPost, "/userapi/Services", 500}, // an operation the front end did not name
		{http.MethodPost, "/ActivateSubscriberReseller", 200},
		{http.MethodGet, "/ActivateSubscriberReseller", 405},
		{http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/T1", 200},
		{http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/T2", 200},
		{http.MethodGet, "/subscriber-provisioning/v5/nothing-here", 404},
		{http.MethodPut, "/api/v2/subscriber/iccid/123/move", 404},
		{http.MethodGet, "/api/v2/panic", 500},
		{http.MethodGet, "/wp-login.php", 404},
		{http.MethodGet, "/another/random/path", 404},
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(r.method, r.path, nil))
		require.Equal(t, r.status, rec.Code, "%s %s", r.method, r.path)
	}
	body := scrape(t, e)
	const total = "simgate_http_requests_total"
	assertSample(t, body, 1, total, `api="ops"`, `operation="GET /healthz"`, `outcome="200"`)
	assertSample(t, body, 2, total, `api="soap"`, `operation="ActivateService"`, `outcome="500"`)
	assertSample(t, body, 1, total, `api="soap"`, `operation="POST /userapi/Services"`, `outcome="500"`)
	assertSample(t, body, 1, total, `api="mvnx"`, `operation="POST /ActivateSubscriberReseller"`, `outcome="200"`)
	assertSample(t, body, 1, total, `api="mvnx"`, `operation="unmatched"`, `outcome="405"`)
	assertSample(t, body, 2, total, `api="sps"`, `operation="GET /subscriber-provisioning/v5/subscription/transactions/:id"`, `outcome="200"`)
	assertSample(t, body, 1, total, `api="sps"`, `operation="unmatched"`, `outcome="404"`)
	assertSample(t, body, 1, total, `api="flolive"`, `operation="PUT /api/v2/subscriber/:type/:value/move"`, `outcome="404"`)
	assertSample(t, body, 1, total, `api="flolive"`, `operation="GET /api/v2/panic"`, `outcome="500"`)
	assertSample(t, body, 2, total, `api="other"`, `operation="unmatched"`, `outcome="404"`)

	const latency = "simgate_http_request_duration_seconds"
	assertSample(t, body, 2, latency+"_count", `api="soap"`, `operation="ActivateService"`)
	assertSample(t, body, 2, latency+"_bucket", `api="soap"`, `operation="ActivateService"`, `le="+Inf"`)
	assertSample(t, body, 2, latency+"_count", `api="sps"`, `operation="GET /subscriber-provisioning/v5/subscription/transactions/:id"`)
	assert.NotContains(t, body, "T1", "raw paths never become labels")
	assert.NotContains(t, body, "wp-login")
}

func TestEngineStoreAndOutboxMetrics(t *testing.T) {
	m := metrics.New()
	var _ core.EngineObserver = m
	m.Attempted("demo-reseller", 0, core.DeliveryPending)
	m.Attempted("demo-reseller", 503, core.DeliveryPending)
	m.Attempted("demo-reseller", 503, core.DeliveryPending)
	m.Attempted("demo-reseller", 200, core.DeliveryDelivered)
	m.Attempted("other-reseller", 410, core.DeliveryDead)
	m.Executed(core.ChannelMVNX, core.TxSucceeded)
	m.Executed(core.ChannelSPS, core.TxPartial)
	m.ObserveCommit(3, 2*time.Millisecond)
	m.ObserveCommit(200, 20*time.Millisecond)
	depth := func() (int, int, error) { return 7, 2, nil }
	m.WatchOutbox(func() (int, int, error) { return depth() })
	e := newApp(m)
	body := scrape(t, e)

	const attempts = "simgate_delivery_attempts_total"
	assertSample(t, body, 1, attempts, `code="0"`, `outcome="retry"`, `partner="demo-reseller"`)
	assertSample(t, body, 2, attempts, `code="503"`, `outcome="retry"`, `partner="demo-reseller"`)
	assertSample(t, body, 1, attempts, `code="200"`, `outcome="delivered"`, `partner="demo-reseller"`)
	assertSample(t, body, 1, attempts, `code="410"`, `outcome="dead"`, `partner="other-reseller"`)
	assertSample(t, body, 1, "simgate_delivery_dead_letters_total", `partner="other-reseller"`)
	_, ok := Sample(body, "simgate_delivery_dead_letters_total", `partner="demo-reseller"`)
	assert.False(t, ok, "no dead letter for demo-reseller")
	assertSample(t, body, 1, "simgate_transactions_executed_total", `channel="mvnx"`, `status="succeeded"`)
	assertSample(t, body, 1, "simgate_transactions_executed_total", `channel="sps"`, `status="partial"`)
	assertSample(t, body, 2, "simgate_store_commit_batch_size_count")
	assertSample(t, body, 203, "simgate_store_commit_batch_size_sum")
	assertSample(t, body, 1, "simgate_store_commit_batch_size_bucket", `le="4"`)
	assertSample(t, body, 2, "simgate_store_commit_batch_size_bucket", `le="256"`)
	assertSample(t, body, 0.022, "simgate_store_commit_duration_seconds_sum")
	assertSample(t, body, 7, "simgate_outbox_deliveries", `status="pending"`)
	assertSample(t, body, 2, "simgate_outbox_deliveries", `status="dead"`)

	// A failing count drops the outbox series from that scrape only.
	depth = func() (int, int, error) { return 0, 0, errors.New("store is closed") }
	body = scrape(t, e)
	_, ok = Sample(body, "simgate_outbox_deliveries", `status="pending"`)
	assert.False(t, ok)
	assertSample(t, body, 2, "simgate_store_commit_batch_size_count")
}

// Each Metrics has its own registry, with the runtime collectors: two in
// one process neither collide nor share counts.
func TestRegistriesAreIndependent(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.Executed(core.ChannelSOAP, core.TxFailed)
	bodyA, bodyB := scrape(t, newApp(a)), scrape(t, newApp(b))
	assertSample(t, bodyA, 1, "simgate_transactions_executed_total", `channel="soap"`, `status="failed"`)
	assert.NotContains(t, bodyB, "simgate_transactions_executed_total{")
	for _, body := range []string{bodyA, bodyB} {
		assert.Contains(t, body, "go_goroutines ")
		assert.Contains(t, body, "process_start_time_seconds ")
	}
}

func TestMetricNamesFollowConventions(t *testing.T) {
	m := metrics.New()
	m.Attempted("p", 200, core.DeliveryDelivered)
	m.Executed(core.ChannelMVNX, core.TxSucceeded)
	m.ObserveCommit(1, time.Millisecond)
	m.WatchOutbox(func() (int, int, error) { return 0, 0, nil })
	problems, err := testutil.GatherAndLint(m.Registry())
	require.NoError(t, err)
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "simgate_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}
