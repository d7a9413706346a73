// Package postgres is simgate's PostgreSQL implementation of core.Store,
// for deployments that run several simgate instances on one database.
//
// Each entity is one table keyed by its natural primary key; the value is
// the JSON the bbolt store writes, and every index of the bbolt store is a
// column (see migrations/). Update runs fn in a SERIALIZABLE transaction and
// runs it again when PostgreSQL reports a serialization failure or a
// deadlock, which core allows: fn has no effect outside its transaction.
// So concurrent commands behave as if they ran one after the other, on one
// instance or many, exactly as with bbolt's single writer.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"simgate/core"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SchemaVersion is the newest migration this build carries.
const SchemaVersion = 4

// ErrNewerSchema is returned by Open for a database migrated by a newer
// simgate: this build would misread it.
var ErrNewerSchema = errors.New("postgres: database schema is newer than this build supports")

// ErrClosed is returned by Update and View once the DB is closed.
var ErrClosed = core.Errorf(core.KindUnavailable, core.ReasonUnavailable, "", "store is closed")

// Options tunes Open. The zero value is the production setting.
type Options struct {
	// MaxConns caps the connection pool (default 16). Every instance
	// holds up to this many connections: keep instances x MaxConns under
	// the server's max_connections.
	MaxConns int32
	// StatementTimeout bounds one SQL statement on the server (default 30s).
	StatementTimeout time.Duration
	// ConnectTimeout bounds the first connection at Open and each new one
	// (default 10s).
	ConnectTimeout time.Duration
	// RetryFor is how long Update keeps running fn again after
	// serialization failures before it gives up (default 60s).
	RetryFor time.Duration
	// SkipMigrations opens the database without migrating it, for
	// operator tools that must not change it; Open still refuses a schema
	// that is older or newer than this build's.
	SkipMigrations bool
	// Log receives migration progress; nil discards it.
	Log *slog.Logger
	// OnCommit, when set, is called after each committed transaction with
	// the number of Update fns in it (more than one for a group, see
	// group.go) and the duration of its last attempt, as the bbolt store's
	// hook of the same name: the metrics of the two stores line up.
	OnCommit func(requests int, took time.Duration)
	// NoGroupCommit runs every Update in a transaction of its own, even
	// those that draw from a sequence (see group.go).
	NoGroupCommit bool
}

// DB is the PostgreSQL store. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	opts Options

	closed atomic.Bool
	schema string // current_schema(), for advisory lock keys
	// seqSites remembers, per Update call site (the code address of fn),
	// the sequences its fns draw from (see sequenceLocks).
	seqSites sync.Map // uintptr -> []string

	// seqRels caches, per sequence name, its sequence's quoted name
	// (see sequence).
	seqRels sync.Map // string -> string
	seqMu   sync.Mutex

	groupsMu sync.Mutex
	groups   map[string]*group // by the sequences their sites draw from

	retries atomic.Uint64
}

var _ core.Store = (*DB)(nil)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value connection string), checks that it answers, and applies the
// pending migrations under an advisory lock, so instances starting at once
// migrate it exactly once.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = 30 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = time.Minute
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("postgres: bad connection string: %w", err)
	}
	cfg.MaxConns = opts.MaxConns
	cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	rp := cfg.ConnConfig.RuntimeParams
	if rp["application_name"] == "" {
		rp["application_name"] = "simgate"
	}
	rp["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	// A transaction left open by a stuck client would hold its locks and
	// predicate locks; the server ends it.
	rp["idle_in_transaction_session_timeout"] = strconv.FormatInt((2 * opts.StatementTimeout).Milliseconds(), 10)
	// Every query of the store is an index lookup or an index range. A
	// sequential scan, which the planner picks for small tables, takes a
	// predicate lock on the whole table and makes every concurrent
	// serializable writer of that table a serialization failure.
	rp["enable_seqscan"] = "off"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	where := cfg.ConnConfig.Host + ":" + strconv.Itoa(int(cfg.ConnConfig.Port)) + "/" + cfg.ConnConfig.Database
	pctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	err = pool.Ping(pctx)
	cancel()
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: cannot reach the database at %s: %w", where, err)
	}
	d := &DB{pool: pool, opts: opts}
	if err := d.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// migrate brings the schema to SchemaVersion, or with SkipMigrations
// checks that it is there.
func (d *DB) migrate(ctx context.Context) error {
	var schema string
	if err := d.pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("postgres: reading the current schema: %w", err)
	}
	if schema == "" {
		return errors.New("postgres: no schema to create tables in: check search_path and the schema's privileges")
	}
	d.schema = schema
	// One lock per schema: instances of unrelated deployments sharing a
	// server (or tests, each in a schema) do not wait for each other.
	h := fnv.New64a()
	h.Write([]byte("simgate migrations " + schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDBFromPool(d.pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, mustSub(migrations, "migrations"),
		goose.WithSessionLocker(locker), goose.WithTableName("simgate_schema_version"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	current, err := d.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if current > SchemaVersion {
		return fmt.Errorf("%w (database %d, supported %d): upgrade simgate", ErrNewerSchema, current, SchemaVersion)
	}
	if d.opts.SkipMigrations {
		if current < SchemaVersion {
			return fmt.Errorf("postgres: database schema %d is older than %d: start simgate serve or import on it once to migrate it", current, SchemaVersion)
		}
		return nil
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrating schema %q: %w", schema, err)
	}
	for _, r := range res {
		d.opts.Log.Info("database migrated", "schema", schema, "version", r.Source.Version, "took", r.Duration)
	}
	return nil
}

// schemaVersion reads the newest applied migration, 0 for a new database,
// without creating anything.
func (d *DB) schemaVersion(ctx context.Context) (int64, error) {
	var exists bool
	if err := d.pool.QueryRow(ctx, "SELECT to_regclass('simgate_schema_version') IS NOT NULL").Scan(&exists); err != nil {
		return 0, fmt.Errorf("postgres: reading the schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int64
	if err := d.pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM simgate_schema_version WHERE is_applied").Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: reading the schema version: %w", err)
	}
	return v, nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// Close stops the group committers, once they have answered what was
// queued, then closes the pool; Update and View fail from then on.
func (d *DB) Close() error {
	if d.closed.Swap(true) {
		return ErrClosed
	}
	d.groupsMu.Lock()
	groups := d.groups
	d.groups = nil
	d.groupsMu.Unlock()
	for _, g := range groups {
		g.close()
	}
	d.pool.Close()
	return nil
}

// Pool exposes the connection pool to operator tools and tests.
func (d *DB) Pool() *pgxpool.Pool { return d.pool }

// Retries counts the Update attempts run again after a serialization
// failure or a deadlock since Open.
func (d *DB) Retries() uint64 { return d.retries.Load() }

// View runs fn in a read-only REPEATABLE READ transaction: one consistent
// snapshot. Its puts return store.ErrReadOnly.
func (d *DB) View(ctx context.Context, fn func(core.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.closed.Load() {
		return ErrClosed
	}
	pt, err := d.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer pt.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a read-only transaction has nothing to keep
	t := &tx{d: d, ctx: ctx, pg: pt}
	return call(t, fn)
}

// Update runs fn in a SERIALIZABLE transaction and commits it. When the
// server refuses the transaction as not serializable, or as a deadlock
// victim, or a concurrent writer took a unique key first, fn runs again in
// a new transaction, after a short random pause, for up to RetryFor.
// Either everything of one run of fn is committed, or nothing is. If ctx
// ends while fn runs, the transaction is rolled back and Update returns
// the error; the commit itself is not interrupted by ctx, so Update's
// answer is the truth about what was stored.
func (d *DB) Update(ctx context.Context, fn func(core.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.closed.Load() {
		return ErrClosed
	}
	site := reflect.ValueOf(fn).Pointer()
	if v, ok := d.seqSites.Load(site); ok && !d.opts.NoGroupCommit {
		return d.group(v.([]string)).update(ctx, fn)
	}
	deadline := time.Now().Add(d.opts.RetryFor)
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := d.attempt(ctx, fn, site)
		if err == nil {
			if d.opts.OnCommit != nil {
				d.opts.OnCommit(1, time.Since(start))
			}
			return nil
		}
		if !retryable(err) {
			return err
		}
		if time.Now().After(deadline) {
			return core.Errorf(core.KindUnavailable, core.ReasonUnavailable, "",
				"postgres: gave up after %d attempts in %s, each refused as conflicting with concurrent transactions: %v", attempt, d.opts.RetryFor, err)
		}
		d.retries.Add(1)
		// Full jitter: colliding transactions retry at different times.
		pause := time.Duration(rand.Int64N(int64(min(time.Millisecond<<min(attempt, 7), 100*time.Millisecond)) + 1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// commitTimeout bounds a COMMIT, which runs without the caller's ctx.
const commitTimeout = time.Minute

func (d *DB) attempt(ctx context.Context, fn func(core.Tx) error, site uintptr) error {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Release()
	var names []string
	if v, ok := d.seqSites.Load(site); ok {
		names = v.([]string)
	}
	unlock, err := d.sequenceLocks(ctx, conn, names)
	if err != nil {
		return err
	}
	defer unlock()
	pt, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	t := &tx{d: d, ctx: ctx, pg: pt, write: true}
	defer func() {
		if len(t.seqs) > 0 {
			d.rememberSequences(site, t.seqs)
		}
	}()
	if err := call(t, fn); err != nil {
		_ = pt.Rollback(context.WithoutCancel(ctx))
		if t.failed != nil && retryable(t.failed) {
			// fn may have wrapped or replaced the store's error: what
			// counts is that the transaction failed on a conflict.
			return t.failed
		}
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	if err := pt.Commit(cctx); err != nil {
		if t.failed != nil && retryable(t.failed) {
			return t.failed
		}
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// Drawing from a sequence conflicts with nothing (nextval), but the call
// sites that draw are core's submissions and activations: each looks a
// key up and inserts into the same tables and indexes (transactions,
// deliveries, subscriptions), and under SERIALIZABLE concurrent ones
// conflict (predicate locks on index pages) and run again: run side by
// side, they made the benchmark of BENCHMARKS.md (PostgreSQL, 3
// instances) execute a seventh of the activations per second at 8x the
// CPU per activation. So the transactions of a call site known to draw
// from a sequence wait for an advisory lock of that sequence before they
// begin: they queue instead of colliding, and their snapshot already sees
// the previous holder's commit. Sites are told apart by fn's code address,
// which every closure of one source location shares; a site is learnt the
// first time one of its fns draws. Locks are taken in name order, so two
// sites drawing the same sequences cannot deadlock.
func (d *DB) sequenceLocks(ctx context.Context, conn *pgxpool.Conn, names []string) (unlock func(), err error) {
	keys := make([]int64, len(names))
	for i, name := range names {
		keys[i] = d.lockKey("sequence " + name)
	}
	held := 0
	unlock = func() {
		for _, k := range keys[:held] {
			if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", k); err != nil {
				// The lock dies with the session: drop the connection.
				_ = conn.Conn().Close(context.Background())
				return
			}
		}
	}
	for _, k := range keys {
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", k); err != nil {
			unlock()
			return nil, fmt.Errorf("postgres: sequence lock: %w", err)
		}
		held++
	}
	return unlock, nil
}

func (d *DB) rememberSequences(site uintptr, used map[string]bool) {
	var known []string
	if v, ok := d.seqSites.Load(site); ok {
		known = v.([]string)
	}
	names := slices.Clone(known)
	for name := range used {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(names) == len(known) {
		return
	}
	slices.Sort(names)
	d.seqSites.Store(site, names)
}

// lockKey names an advisory lock of this schema.
func (d *DB) lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("simgate " + d.schema + " " + name))
	return int64(h.Sum64() >> 1)
}

// call runs fn; a panic becomes fn's error, as in the bbolt store.
func call(t *tx, fn func(core.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = core.Internal(fmt.Errorf("postgres: transaction function panicked: %v\n%s", p, debug.Stack()))
		}
	}()
	return fn(t)
}

// retryable reports whether err means that running the transaction again
// may succeed: a serialization failure, a deadlock, or a unique key that
// a concurrent transaction took first (the next run sees its row).
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "23505":
			return true
		}
	}
	return false
}

// Empty reports whether the database holds no partner yet.
func (d *DB) Empty(ctx context.Context) (bool, error) {
	var any bool
	err := d.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM partners)").Scan(&any)
	return !any, err
}

// OutboxDepth counts the pending deliveries and the dead letters (up to
// maxCount), for a metrics scrape.
func (d *DB) OutboxDepth(ctx context.Context, maxCount int) (pending, dead int, err error) {
	err = d.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM deliveries WHERE due_ns IS NOT NULL),
		(SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE status = $1 LIMIT $2) AS d)`,
		[]byte(core.DeliveryDead), limitArg(maxCount)).Scan(&pending, &dead)
	return pending, dead, err
}

// Exclusive runs fn while holding a session advisory lock named by name
// in this database's schema, so that instances starting at once do a
// one-time job (loading the demo inventory) one after the other.
func (d *DB) Exclusive(ctx context.Context, name string, fn func() error) error {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Release()
	key := d.lockKey("exclusive " + name)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("postgres: taking the %s lock: %w", name, err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key); err != nil {
			// The lock dies with the session: drop the connection.
			conn.Conn().Close(context.Background()) //nolint:errcheck
		}
	}()
	return fn()
}

// reflect0 answers fn's call site: the code address closures of one
// source location share.
func reflect0(fn func(core.Tx) error) uintptr { return reflect.ValueOf(fn).Pointer() }
