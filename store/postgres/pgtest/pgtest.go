// Package pgtest gives tests a fresh PostgreSQL schema on the server named
// by SIMGATE_TEST_POSTGRES (`.ci/postgres.sh start` starts a throwaway
// one), and skips them when it is not set.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"simgate/store/postgres"
)

// Env names the variable holding the test server's connection string.
const Env = "SIMGATE_TEST_POSTGRES"

// DSN creates a new, empty schema and answers a connection string whose
// search_path is that schema; the schema is dropped when the test ends.
// Without SIMGATE_TEST_POSTGRES the test is skipped.
func DSN(t testing.TB) string {
	t.Helper()
	Need(t)
	base := os.Getenv(Env)
	var r [6]byte
	_, _ = rand.Read(r[:])
	schema := "t_" + hex.EncodeToString(r[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", Env, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(base, schema)
}

// Need skips the test unless SIMGATE_TEST_POSTGRES names a server.
func Need(t testing.TB) {
	t.Helper()
	if os.Getenv(Env) == "" {
		t.Skip("PostgreSQL tests need a server: set " + Env + " (eval \"$(.ci/postgres.sh start)\", or make test-postgres)")
	}
}

// WithSearchPath answers dsn with its search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// Open answers a store on a fresh schema, closed when the test ends.
func Open(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), DSN(t), postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
