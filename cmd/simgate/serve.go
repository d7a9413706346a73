package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"simgate"
	"simgate/core"
	"simgate/rest"
	"simgate/soap"
	"simgate/store"
)

type serveConfig struct {
	addr, db, baseURL   string
	demo                bool
	tokenTTL            time.Duration
	shutdownTimeout     time.Duration
	logFormat, logLevel string
	bcryptCost          int
}

func serveFlags(args []string, stderr io.Writer) (serveConfig, error) {
	var cfg serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", envOr("SIMGATE_ADDR", "127.0.0.1:8080"), "listen address (SIMGATE_ADDR)")
	fs.StringVar(&cfg.db, "db", envOr("SIMGATE_DB", "data/simgate.db"), "bbolt database file, created if missing (SIMGATE_DB)")
	fs.BoolVar(&cfg.demo, "demo", false, "load the sandbox inventory into an empty database")
	fs.StringVar(&cfg.baseURL, "base-url", envOr("SIMGATE_BASE_URL", ""), "public base URL for the served WSDLs (SIMGATE_BASE_URL; default: from the request's Host)")
	fs.DurationVar(&cfg.tokenTTL, "token-ttl", 365*24*time.Hour, "lifetime of SOAP login tokens")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish on SIGINT/SIGTERM")
	fs.StringVar(&cfg.logFormat, "log-format", envOr("SIMGATE_LOG_FORMAT", "text"), "log format: text or json (SIMGATE_LOG_FORMAT)")
	fs.StringVar(&cfg.logLevel, "log-level", envOr("SIMGATE_LOG_LEVEL", "info"), "log level: debug, info, warn, error (SIMGATE_LOG_LEVEL)")
	fs.IntVar(&cfg.bcryptCost, "bcrypt-cost", 0, "bcrypt cost for passwords hashed at import (0: library default)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return cfg, nil
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
	db, err := openDB(cfg.db)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("closing the database", "error", err)
		} else {
			log.Info("database closed", "db", cfg.db)
		}
	}()
	pw := store.Bcrypt{Cost: cfg.bcryptCost}
	if cfg.demo {
		if err := loadSandbox(ctx, db, pw, log); err != nil {
			return err
		}
	}
	svc, err := core.NewService(db, core.SystemClock{}, core.RandomIDs{}, pw, core.Config{TokenTTL: cfg.tokenTTL})
	if err != nil {
		return err
	}

	var ready atomic.Bool
	e := newServer(svc, log, cfg, &ready)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
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
	log.Info("simgate listening", "addr", ln.Addr().String(), "db", cfg.db, "demo", cfg.demo)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	ready.Store(false)
	log.Info("shutting down: finishing in-flight requests", "timeout", cfg.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown did not finish in time", "error", err)
		return err
	}
	log.Info("server stopped")
	return nil
}

func openDB(path string) (*store.DB, error) {
	if path == "" {
		return nil, usageError{errors.New("--db is required")}
	}
	db, err := store.Open(path, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}

// loadSandbox imports the demo inventory, but only into an empty database:
// it never writes over data an operator or a partner created.
func loadSandbox(ctx context.Context, db *store.DB, pw store.Bcrypt, log *slog.Logger) error {
	empty, err := db.Empty()
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

func newServer(svc *core.Service, log *slog.Logger, cfg serveConfig, ready *atomic.Bool) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(rest.RequestLog(log))
	e.GET("/healthz", func(c echo.Context) error {
		if !ready.Load() {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	soap.New(svc, log, soap.Options{BaseURL: cfg.baseURL}).Register(e)
	return e
}
