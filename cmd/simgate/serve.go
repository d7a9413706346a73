package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"simgate"
	"simgate/core"
	"simgate/rest"
	"simgate/rest/callback"
	"simgate/rest/flolive"
	"simgate/rest/metrics"
	"simgate/rest/mvnx"
	"simgate/rest/openapi"
	"simgate/rest/sps"
	"simgate/rest/tmf"
	"simgate/soap"
	"simgate/store"
	"simgate/store/postgres"
)

type serveConfig struct {
	metrics                      *metrics.Metrics // nil: newServer makes its own
	addr, adminAddr, db, baseURL string
	demo                         bool
	sessionRetention             string
	callbackTimeout              time.Duration
	retrySchedule                string
	allowPrivate                 string
	workers                      int
	deliveryLease                time.Duration
	perPartner                   int
	tokenTTL                     time.Duration
	shutdownTimeout              time.Duration
	logFormat, logLevel          string
	bcryptCost                   int
	smdpAddress                  string
	gracePeriod                  time.Duration
	rateLimit                    float64
	rateBurst                    int
	trustProxy                   bool
	bench                        benchHooks // simgate bench's hidden hooks (benchhook.go)
	pg                           pgOptions  // --store: PostgreSQL instead of the bbolt file
}

func serveFlags(args []string, stderr io.Writer) (serveConfig, error) {
	var cfg serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", envOr("SIMGATE_ADDR", "127.0.0.1:8080"), "listen address (SIMGATE_ADDR)")
	fs.StringVar(&cfg.db, "db", envOr("SIMGATE_DB", "data/simgate.db"), "bbolt database file, created if missing (SIMGATE_DB)")
	fs.BoolVar(&cfg.demo, "demo", false, "load the sandbox inventory into an empty database")
	fs.StringVar(&cfg.baseURL, "base-url", envOr("SIMGATE_BASE_URL", ""), "public base URL for the served WSDLs and TMF622 hrefs (SIMGATE_BASE_URL; default: WSDLs from the request's Host, TMF622 hrefs as paths)")
	fs.DurationVar(&cfg.tokenTTL, "token-ttl", 365*24*time.Hour, "lifetime of SOAP login tokens")
	fs.StringVar(&cfg.sessionRetention, "session-retention", "auto", "how long an expired login session is kept before it is deleted: a duration, keep, or auto (720h; keep with --demo, whose expired sample token must stay)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish on SIGINT/SIGTERM")
	fs.StringVar(&cfg.logFormat, "log-format", envOr("SIMGATE_LOG_FORMAT", "text"), "log format: text or json (SIMGATE_LOG_FORMAT)")
	fs.StringVar(&cfg.logLevel, "log-level", envOr("SIMGATE_LOG_LEVEL", "info"), "log level: debug, info, warn, error (SIMGATE_LOG_LEVEL)")
	fs.IntVar(&cfg.bcryptCost, "bcrypt-cost", 0, "bcrypt cost for passwords hashed at import (0: library default)")
	fs.StringVar(&cfg.adminAddr, "admin-addr", envOr("SIMGATE_ADMIN_ADDR", "127.0.0.1:9090"), "operator API listen address, keep it private; empty disables it (SIMGATE_ADMIN_ADDR)")
	fs.DurationVar(&cfg.callbackTimeout, "callback-timeout", callback.DefaultTimeout, "timeout of one notification delivery attempt")
	fs.StringVar(&cfg.retrySchedule, "retry-schedule", callback.DefaultSchedule.String(), "waits before each delivery attempt, comma-separated; past the last, the notification is a dead letter")
	fs.StringVar(&cfg.allowPrivate, "allow-private-callbacks", "auto", "deliver notifications to loopback and private addresses: true, false, or auto (true with --demo)")
	fs.IntVar(&cfg.workers, "workers", 64, "concurrent executions of asynchronous requests; each waits for its commit, which the group commit shares with the acknowledgements: more workers keep executions in step with a burst, fewer acknowledge the burst faster and execute it afterwards (16 with --store)")
	fs.DurationVar(&cfg.deliveryLease, "delivery-lease", 0, "with --store: how long a notification an instance claimed is kept from the other instances, longer than --callback-timeout + 5s (0: twice that plus 10s); a crashed instance's claims are sent again after it")
	fs.IntVar(&cfg.perPartner, "deliveries-per-partner", 16, "notifications in flight at once to one partner (one slow partner delays only itself)")
	fs.StringVar(&cfg.smdpAddress, "smdp-address", envOr("SIMGATE_SMDP_ADDRESS", "smdp.simgate.test"), "SM-DP+ address written into eSIM activation codes (SIMGATE_SMDP_ADDRESS)")
	fs.DurationVar(&cfg.gracePeriod, "grace-period", 30*24*time.Hour, "how long a ceased subscription may be reactivated (its number is not reused meanwhile)")
	fs.Float64Var(&cfg.rateLimit, "rate-limit", 200, "requests per second each partner may send on average (0: no limit); a partner's rate_limit in the inventory overrides it")
	fs.IntVar(&cfg.rateBurst, "rate-burst", 400, "requests a partner may send at once above --rate-limit (0: one second's worth)")
	fs.BoolVar(&cfg.trustProxy, "trust-proxy", false, "take the client address from X-Forwarded-For when the peer is a loopback, private or link-local address (a reverse proxy)")
	cfg.bench.register(fs)
	cfg.pg.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if err := cfg.pg.check(); err != nil {
		return cfg, err
	}
	if cfg.deliveryLease != 0 && cfg.deliveryLease <= cfg.callbackTimeout+5*time.Second {
		return cfg, usageError{errors.New("--delivery-lease must be longer than --callback-timeout + 5s: an attempt may last that long")}
	}
	workersSet := false
	fs.Visit(func(f *flag.Flag) { workersSet = workersSet || f.Name == "workers" })
	if cfg.pg.enabled() && !workersSet {
		// The PostgreSQL store commits the executions queued behind one
		// counter together: more of them in flight, fewer commits.
		cfg.workers = 16
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if !(cfg.rateLimit >= 0) || math.IsInf(cfg.rateLimit, 0) || cfg.rateBurst < 0 {
		return cfg, usageError{fmt.Errorf("--rate-limit and --rate-burst must be 0 or more")}
	}
	switch cfg.allowPrivate {
	case "auto", "true", "false":
	default:
		return cfg, usageError{fmt.Errorf("--allow-private-callbacks must be true, false or auto")}
	}
	if _, err := cfg.retention(); err != nil {
		return cfg, usageError{err}
	}
	if u, err := url.Parse(cfg.baseURL); cfg.baseURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "") {
		return cfg, usageError{fmt.Errorf("--base-url %q: want an absolute http or https URL without query or fragment", cfg.baseURL)}
	}
	return cfg, nil
}

// retention answers how long expired sessions are kept; 0 is for ever.
func (cfg serveConfig) retention() (time.Duration, error) {
	switch cfg.sessionRetention {
	case "keep":
		return 0, nil
	case "auto":
		if cfg.demo {
			return 0, nil
		}
		return 30 * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(cfg.sessionRetention)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--session-retention %q: want a positive duration, keep or auto", cfg.sessionRetention)
	}
	return d, nil
}

// privateCallbacks says whether notifications may go to loopback and
// private addresses: the sandbox's listeners run on the partner's machine.
func (cfg serveConfig) privateCallbacks() bool {
	return cfg.allowPrivate == "true" || (cfg.allowPrivate == "auto" && cfg.demo)
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := serveFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.logFormat, cfg.logLevel)
	if err != nil {
		return usageError{err}
	}
	tuneGC()
	cfg.metrics = metrics.New()
	var (
		st      core.Store
		db      *store.DB // the bbolt store; nil on PostgreSQL
		empty   func() (bool, error)
		closeDB func() error
		where   = cfg.db
	)
	if cfg.pg.enabled() {
		pg, err := cfg.pg.open(ctx, log, true, cfg.metrics.ObserveCommit)
		if err != nil {
			log.Error("opening the PostgreSQL store", "error", err)
			return err
		}
		st, closeDB, where = pg, pg.Close, "postgres"
		empty = func() (bool, error) { return pg.Empty(ctx) }
		cfg.metrics.WatchOutbox(func() (int, int, error) {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return pg.OutboxDepth(sctx, outboxCountCap)
		})
	} else {
		bdb, err := openDBWith(cfg.db, store.Options{OnCommit: cfg.metrics.ObserveCommit})
		if err != nil {
			return err
		}
		st, db, closeDB, empty = bdb, bdb, bdb.Close, bdb.Empty
		cfg.metrics.WatchOutbox(func() (int, int, error) { return bdb.OutboxDepth(outboxCountCap) })
	}
	defer func() {
		if err := closeDB(); err != nil {
			log.Error("closing the database", "error", err)
		} else {
			log.Info("database closed", "db", where)
		}
	}()
	pw := store.Bcrypt{Cost: cfg.bcryptCost}
	if cfg.demo {
		load := func() error { return loadSandbox(ctx, st, empty, pw, log) }
		if pg, ok := st.(*postgres.DB); ok {
			// Instances starting at once: the first loads, the others find it loaded.
			err = pg.Exclusive(ctx, "demo", load)
		} else {
			err = load()
		}
		if err != nil {
			return err
		}
	}
	svc, err := core.NewService(st, core.SystemClock{}, core.RandomIDs{}, pw, core.Config{TokenTTL: cfg.tokenTTL, GracePeriod: cfg.gracePeriod,
		RateLimit: core.RateLimit{RPS: cfg.rateLimit, Burst: cfg.rateBurst}})
	if err != nil {
		return err
	}
	schedule, err := callback.ParseSchedule(cfg.retrySchedule)
	if err != nil {
		return usageError{fmt.Errorf("--retry-schedule: %w", err)}
	}
	allowPrivate := cfg.privateCallbacks()
	sender := callback.New(callback.Options{Timeout: cfg.callbackTimeout, AllowPrivate: allowPrivate})
	defer sender.CloseIdleConnections()
	retention, _ := cfg.retention() // checked by serveFlags
	eng := core.NewEngine(svc, sender, log, core.EngineConfig{
		Workers:          cfg.workers,
		PerPartner:       cfg.perPartner,
		DeliveryDeadline: cfg.callbackTimeout + 5*time.Second,
		Observer:         cfg.metrics,
		SessionRetention: retention,
		Shared:           db == nil, // other instances may share the PostgreSQL store
		ClaimLease:       cfg.deliveryLease,
		Retry: func(attempts int, retryAfter time.Duration) (time.Duration, bool) {
			return schedule.Next(attempts, retryAfter, nil)
		},
	})

	var ready atomic.Bool
	e := newServer(svc, eng, log, cfg, &ready)
	cfg.bench.senders, cfg.bench.callbackTimeout, cfg.bench.allowPrivate = cfg.perPartner, cfg.callbackTimeout, allowPrivate
	cfg.bench.mount(e)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	var admin *http.Server
	if cfg.adminAddr != "" {
		ae := echo.New()
		ae.HideBanner, ae.HidePort = true, true
		ae.Use(rest.RequestLog(log))
		registerAdmin(ae, st, db, eng)
		aln, err := net.Listen("tcp", cfg.adminAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("admin listener: %w", err)
		}
		admin = &http.Server{Handler: ae, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = admin.Serve(aln) }()
		log.Info("admin API listening", "addr", aln.Addr().String())
	}
	engCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	engDone := make(chan struct{})
	go func() { defer close(engDone); eng.Run(engCtx) }()
	defer func() { stopEngine(); <-engDone; log.Info("engine stopped") }()
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready.Store(true)
	log.Info("simgate listening", "addr", ln.Addr().String(), "db", where, "demo", cfg.demo, "private_callbacks", allowPrivate)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	ready.Store(false)
	log.Info("shutting down: finishing in-flight requests", "timeout", cfg.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if admin != nil {
		_ = admin.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown did not finish in time", "error", err)
		return err
	}
	log.Info("server stopped")
	return nil
}

// tuneGC trades memory the server does not need for CPU it does: its live
// heap is small (about 10 MiB; the inventory lives in bbolt's mmap), while
// every request allocates, so with Go's default GOGC=100 the collector ran
// several times a second under load and took 15-20% of the CPU. GOGC=400
// lets the heap grow to five times the live heap between collections; the
// soft limit keeps that bounded should the live heap ever grow. GOGC and
// GOMEMLIMIT in the environment still win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
}

// apiDoc is the OpenAPI 3.1 document of every REST API, generated from the
// types the handlers decode and encode.
func apiDoc() *openapi.Doc {
	doc := openapi.New("simgate", "1", "SIM provisioning gateway: the partner REST APIs. The Emersion SOAP API is described by its WSDLs at /userapi/Services.wsdl and /userapi/Authentication.wsdl.")
	mvnx.Describe(doc)
	sps.Describe(doc)
	flolive.Describe(doc)
	tmf.Describe(doc)
	return doc
}

func openDB(path string) (*store.DB, error) { return openDBWith(path, store.Options{}) }

// outboxCountCap bounds the dead letters counted at each metrics scrape.
const outboxCountCap = 100_000

func openDBWith(path string, opts store.Options) (*store.DB, error) {
	if path == "" {
		return nil, usageError{errors.New("--db is required")}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating the database folder: %w", err)
	}
	db, err := store.Open(path, opts)
	if errors.Is(err, store.ErrDamaged) {
		return nil, fmt.Errorf("%w; restore a backup (simgate backup) or run simgate check for details", err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}

// loadSandbox imports the demo inventory, but only into an empty database:
// it never writes over data an operator or a partner created.
func loadSandbox(ctx context.Context, db core.Store, isEmpty func() (bool, error), pw store.Bcrypt, log *slog.Logger) error {
	empty, err := isEmpty()
	if err != nil {
		return err
	}
	if !empty {
		log.Info("--demo: database already holds an inventory, sandbox not loaded")
		return nil
	}
	stats, err := store.Import(ctx, db, pw, bytes.NewReader(simgate.Sandbox))
	if err != nil {
		return fmt.Errorf("loading the sandbox: %w", err)
	}
	log.Info("--demo: sandbox inventory loaded", "records", stats.Records)
	return nil
}

func newServer(svc *core.Service, eng *core.Engine, log *slog.Logger, cfg serveConfig, ready *atomic.Bool) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if cfg.trustProxy {
		// Trusts loopback, link-local and private peers as proxies.
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	m := cfg.metrics
	if m == nil {
		m = metrics.New()
	}
	e.Use(m.Middleware(e)) // outside RequestLog: it sees the status of the errors RequestLog renders
	e.Use(rest.RequestLog(log))
	m.Register(e)
	e.GET("/healthz", func(c echo.Context) error {
		if !ready.Load() {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	soap.New(svc, log, soap.Options{BaseURL: cfg.baseURL}).Register(e)
	mvnx.New(svc, eng, log, mvnx.Options{}).Register(e)
	sps.New(svc, eng, log, sps.Options{SMDPAddress: cfg.smdpAddress, AllowPrivateCallbacks: cfg.privateCallbacks()}).Register(e)
	flolive.New(svc, eng, log, flolive.Options{}).Register(e)
	tmf.New(svc, eng, log, tmf.Options{AllowPrivateCallbacks: cfg.privateCallbacks(), BaseURL: cfg.baseURL}).Register(e)
	e.GET("/openapi.json", apiDoc().Handler())
	return e
}
