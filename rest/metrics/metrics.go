// Package metrics exposes simgate's Prometheus metrics: the HTTP traffic of
// every API (an echo middleware), the store's group commits, the outbox and
// the asynchronous engine (a core.EngineObserver). Each Metrics has its own
// registry, with the Go runtime and process collectors, so that tests can
// build as many as they like.
package metrics

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"simgate/core"
	"simgate/rest"
)

// Path is where the handler is mounted on the main listener.
const Path = "/metrics"

// The API label's values.
const (
	APISOAP    = "soap"
	APIMVNX    = "mvnx"
	APISPS     = "sps"
	APIFloLIVE = "flolive"
	APIOps     = "ops"   // /healthz, /metrics, /openapi.json
	APIOther   = "other" // a path no API serves
)

// Unmatched is the operation label of a request no route serves (404, 405).
const Unmatched = "unmatched"

// apiPrefixes maps the first path segments of each front end to its API.
var apiPrefixes = []struct{ prefix, api string }{
	{"/userapi/", APISOAP},
	{"/ActivateSubscriberReseller", APIMVNX},
	{"/subscriber-provisioning/", APISPS},
	{"/api/v2/", APIFloLIVE},
}

// Metrics holds simgate's collectors and their registry.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	commitBatch   prometheus.Histogram
	commitSeconds prometheus.Histogram
	attempts      *prometheus.CounterVec
	deadLetters   *prometheus.CounterVec
	executed      *prometheus.CounterVec

	routesOnce sync.Once
	routes     map[routeKey]string // "METHOD path" of every route
	children   sync.Map            // seriesKey -> series
}

var _ core.EngineObserver = (*Metrics)(nil)

// New builds the collectors and registers them, with the Go runtime and
// process collectors, in a new registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "simgate_http_requests_total",
			Help: "HTTP requests answered, by API, operation (route, or SOAP operation) and outcome (HTTP status code).",
		}, []string{"api", "operation", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "simgate_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by API and operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"api", "operation"}),
		commitBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "simgate_store_commit_batch_size",
			Help:    "Store updates made durable by one group commit (one bbolt transaction and fsync).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9), // 1 to 256, the default MaxBatch
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "simgate_store_commit_duration_seconds",
			Help:    "Time of one group commit's bbolt commit: writing the pages and fsync.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "simgate_delivery_attempts_total",
			Help: "Notification delivery attempts, by partner, HTTP status code of the answer (0: none, a network error or timeout) and outcome (delivered, retry, dead).",
		}, []string{"partner", "code", "outcome"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "simgate_delivery_dead_letters_total",
			Help: "Notifications that became dead letters (retries exhausted or refused for good), by partner.",
		}, []string{"partner"}),
		executed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "simgate_transactions_executed_total",
			Help: "Asynchronous transactions executed, by channel (API) and status (succeeded, partial, failed).",
		}, []string{"channel", "status"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.commitBatch, m.commitSeconds, m.attempts, m.deadLetters, m.executed,
	)
	return m
}

// Registry answers the registry, to gather from in tests or add collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() echo.HandlerFunc {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, Timeout: 10 * time.Second, ErrorHandling: promhttp.ContinueOnError})
	return echo.WrapHandler(h)
}

// Register mounts the handler at Path.
func (m *Metrics) Register(e *echo.Echo) { e.GET(Path, m.Handler()) }

// Middleware counts and times every request of e. Put it before
// rest.RequestLog, so that it sees the status of errors that middleware
// renders; it renders them itself otherwise.
func (m *Metrics) Middleware(e *echo.Echo) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			api, op := m.classify(e, c)
			s := m.series(api, op, c.Response().Status)
			s.requests.Inc()
			s.latency.Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

// seriesKey names the request metrics' children of one label set.
type seriesKey struct {
	api, op string
	status  int
}

type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// series answers the children of a label set, looked up in the vectors
// once and then kept: WithLabelValues hashes the labels and formats the
// status on every call. The label sets are few (see classify).
func (m *Metrics) series(api, op string, status int) series {
	k := seriesKey{api, op, status}
	if s, ok := m.children.Load(k); ok {
		return s.(series)
	}
	s := series{
		requests: m.requests.WithLabelValues(api, op, strconv.Itoa(status)),
		latency:  m.latency.WithLabelValues(api, op),
	}
	m.children.Store(k, s)
	return s
}

// routeKey is a route of e, by method and path pattern.
type routeKey struct{ method, path string }

// classify answers the API and the operation of a served request: the
// SOAP operation the front end named, else the route ("POST /path/:param").
// Labels come only from the route table and the front ends, never from
// the raw path, so that their values stay few.
func (m *Metrics) classify(e *echo.Echo, c echo.Context) (api, op string) {
	m.routesOnce.Do(func() {
		m.routes = map[routeKey]string{}
		for _, r := range e.Routes() {
			m.routes[routeKey{r.Method, r.Path}] = r.Method + " " + r.Path
		}
	})
	api = APIOther
	path := c.Request().URL.Path
	for _, p := range apiPrefixes {
		if strings.HasPrefix(path, p.prefix) {
			api = p.api
			break
		}
	}
	route, ok := m.routes[routeKey{c.Request().Method, c.Path()}]
	if !ok {
		return api, Unmatched
	}
	if api == APIOther {
		api = APIOps
	}
	if op := rest.Operation(c); op != "" {
		return api, op
	}
	return api, route
}

// ObserveCommit is a store.Options.OnCommit hook.
func (m *Metrics) ObserveCommit(requests int, took time.Duration) {
	m.commitBatch.Observe(float64(requests))
	m.commitSeconds.Observe(took.Seconds())
}

// Executed implements core.EngineObserver.
func (m *Metrics) Executed(ch core.Channel, status core.TxStatus) {
	m.executed.WithLabelValues(string(ch), strings.ToLower(string(status))).Inc()
}

// Attempted implements core.EngineObserver.
func (m *Metrics) Attempted(p core.PartnerID, code int, outcome core.DeliveryStatus) {
	out := "retry"
	switch outcome {
	case core.DeliveryDelivered:
		out = "delivered"
	case core.DeliveryDead:
		out = "dead"
		m.deadLetters.WithLabelValues(string(p)).Inc()
	}
	m.attempts.WithLabelValues(string(p), strconv.Itoa(code), out).Inc()
}

// OutboxDepth counts pending deliveries and dead letters.
type OutboxDepth func() (pending, dead int, err error)

// WatchOutbox registers simgate_outbox_deliveries{status="pending"|"dead"},
// computed by depth at each scrape.
func (m *Metrics) WatchOutbox(depth OutboxDepth) {
	m.reg.MustRegister(&outboxCollector{depth: depth, desc: prometheus.NewDesc(
		"simgate_outbox_deliveries",
		"Notifications in the outbox by status: pending (waiting for an attempt or a retry) and dead (dead letters waiting for an operator). Counted at scrape time.",
		[]string{"status"}, nil)})
}

type outboxCollector struct {
	depth OutboxDepth
	desc  *prometheus.Desc
}

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	pending, dead, err := o.depth()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(o.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(pending), "pending")
	ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(dead), "dead")
}
