package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"simgate/store/postgres"
)

// pgOptions are the flags that select the PostgreSQL store instead of the
// bbolt file, for serve, import and the operator commands.
type pgOptions struct {
	dsn         string
	maxConns    int
	stmtTimeout time.Duration
}

// register adds --store, and with pool the connection pool's flags.
func (o *pgOptions) register(fs *flag.FlagSet, pool bool) {
	fs.StringVar(&o.dsn, "store", envOr("SIMGATE_STORE", ""), "PostgreSQL connection URL (postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=...) to use instead of the bbolt --db file; several instances may share one database (SIMGATE_STORE)")
	o.maxConns, o.stmtTimeout = 16, 30*time.Second
	if pool {
		fs.IntVar(&o.maxConns, "pg-max-conns", 16, "PostgreSQL connections this instance may open (keep instances x this under the server's max_connections)")
		fs.DurationVar(&o.stmtTimeout, "pg-statement-timeout", 30*time.Second, "longest one SQL statement may run on the server")
	}
}

func (o pgOptions) enabled() bool { return o.dsn != "" }

func (o pgOptions) check() error {
	if !o.enabled() {
		return nil
	}
	if !strings.HasPrefix(o.dsn, "postgres://") && !strings.HasPrefix(o.dsn, "postgresql://") {
		return usageError{errors.New("--store must be a postgres:// or postgresql:// URL")}
	}
	if o.maxConns < 1 || o.maxConns > 1000 {
		return usageError{errors.New("--pg-max-conns must be 1 to 1000")}
	}
	if o.stmtTimeout < time.Second || o.stmtTimeout > time.Hour {
		return usageError{errors.New("--pg-statement-timeout must be 1s to 1h")}
	}
	return nil
}

// open connects and, unless the caller only reads (operator commands),
// migrates the schema.
// onCommit may be nil (see postgres.Options.OnCommit).
func (o pgOptions) open(ctx context.Context, log *slog.Logger, migrate bool, onCommit func(int, time.Duration)) (*postgres.DB, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	return postgres.Open(ctx, o.dsn, postgres.Options{
		MaxConns:         int32(o.maxConns),
		StatementTimeout: o.stmtTimeout,
		SkipMigrations:   !migrate,
		Log:              log,
		OnCommit:         onCommit,
	})
}

// bboltOnly answers an admin API call that needs the bbolt file when the
// server runs on PostgreSQL.
func bboltOnly(what string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.JSON(http.StatusNotImplemented, map[string]string{
			"error": fmt.Sprintf("%s works on the bbolt store only; this server runs on PostgreSQL: %s", what, pgAdvice),
		})
	}
}

const pgAdvice = "back it up with pg_dump (or the server's own backups) and check it with PostgreSQL's tools (amcheck); simgate's constraints and indexes are kept by the database"

// benchSchema creates a new schema in the database dsn names and answers a
// connection string that uses it, and a function that drops it.
func benchSchema(ctx context.Context, dsn string) (string, func(), error) {
	if err := (pgOptions{dsn: dsn, maxConns: 1, stmtTimeout: time.Minute}).check(); err != nil {
		return "", nil, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("bench: connecting to --store: %w", err)
	}
	defer conn.Close(ctx)
	var r [6]byte
	_, _ = rand.Read(r[:])
	schema := "simgate_bench_" + hex.EncodeToString(r[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("bench: creating schema %s: %w", schema, err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if c, err := pgx.Connect(dctx, dsn); err == nil {
			_, _ = c.Exec(dctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			_ = c.Close(dctx)
		}
	}
	return u.String(), drop, nil
}
