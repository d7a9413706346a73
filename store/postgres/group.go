package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"simgate/core"
	"simgate/store"
)

// Commands that draw from one sequence (submissions, activations) run one
// after another (see sequenceLocks, for why), each waiting for the
// previous one's commit, that is its WAL flush: one fsync per command. A group runs the queued Updates of
// such call sites together instead, as the bbolt store's group commit
// does: one transaction, one savepoint per fn (a fn's error rolls back its
// own writes only), one commit for all. While a group's transaction runs,
// the next callers queue, so groups grow with the load. When PostgreSQL
// refuses the transaction (a serialization failure), every fn of the group
// runs again, which core allows.

// maxGroup caps how many Updates share one transaction.
const maxGroup = 64

type group struct {
	d     *DB
	names []string // the sequences, locked for each transaction

	mu     sync.RWMutex // orders update's send against close's close(queue)
	closed bool
	queue  chan *store.Request
	done   chan struct{}
}

// group answers the committer of the sites drawing from names.
func (d *DB) group(names []string) *group {
	key := strings.Join(names, "\x00")
	d.groupsMu.Lock()
	defer d.groupsMu.Unlock()
	if g := d.groups[key]; g != nil {
		return g
	}
	g := &group{d: d, names: names, queue: make(chan *store.Request, maxGroup), done: make(chan struct{})}
	if d.groups == nil {
		if d.closed.Load() {
			g.closed = true // Close has run: update answers ErrClosed
			close(g.done)
			return g
		}
		d.groups = map[string]*group{}
	}
	d.groups[key] = g
	go g.loop()
	return g
}

func (g *group) update(ctx context.Context, fn func(core.Tx) error) error {
	r := store.NewRequest(ctx, fn)
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrClosed
	}
	select {
	case g.queue <- r:
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	g.mu.RUnlock()
	// A caller whose ctx ends before its group starts leaves; once the
	// group has started, it waits for the truth about the commit.
	return r.Wait()
}

func (g *group) close() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.queue)
	}
	g.mu.Unlock()
	<-g.done
}

func (g *group) loop() {
	defer close(g.done)
	store.Batches(g.queue, maxGroup, g.run)
}

// run commits the batch, running it again on serialization failures, and
// answers every caller.
func (g *group) run(batch []*store.Request) {
	live := batch[:0:0]
	for _, r := range batch {
		if !r.Start() {
			r.Answer(r.Ctx.Err())
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	deadline := time.Now().Add(g.d.opts.RetryFor)
	for attempt := 1; ; attempt++ {
		start := time.Now()
		errs, err := g.attempt(live)
		if err == nil {
			if g.d.opts.OnCommit != nil {
				g.d.opts.OnCommit(len(live), time.Since(start))
			}
			for i, r := range live {
				r.Answer(errs[i])
			}
			return
		}
		if retryable(err) && time.Now().After(deadline) {
			err = core.Errorf(core.KindUnavailable, core.ReasonUnavailable, "",
				"postgres: gave up after %d attempts in %s, each refused as conflicting with concurrent transactions: %v", attempt, g.d.opts.RetryFor, err)
		}
		if !retryable(err) {
			for _, r := range live {
				r.Answer(err)
			}
			return
		}
		g.d.retries.Add(1)
		time.Sleep(time.Duration(rand.Int64N(int64(min(time.Millisecond<<min(attempt, 7), 100*time.Millisecond)) + 1)))
	}
}

// attempt runs every fn of the batch in one transaction. It answers each
// fn's own error, and err when the transaction as a whole failed (nothing
// of it was committed).
func (g *group) attempt(batch []*store.Request) (errs []error, err error) {
	// The callers' contexts bound their wait for the queue only: a query
	// cancelled halfway would cost the whole group its connection.
	ctx := context.Background()
	conn, err := g.d.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer conn.Release()
	unlock, err := g.d.sequenceLocks(ctx, conn, g.names)
	if err != nil {
		return nil, err
	}
	defer unlock()
	pt, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return nil, fmt.Errorf("postgres: begin: %w", err)
	}
	abort := func(err error) ([]error, error) {
		_ = pt.Rollback(ctx)
		return nil, err
	}
	errs = make([]error, len(batch))
	for i, r := range batch {
		if err := r.Ctx.Err(); err != nil {
			errs[i] = err // ended before its fn ran: it never runs
			continue
		}
		if _, err := pt.Exec(ctx, "SAVEPOINT fn"); err != nil {
			return abort(fmt.Errorf("postgres: savepoint: %w", err))
		}
		t := &tx{d: g.d, ctx: ctx, pg: pt, write: true}
		ferr := call(t, r.Fn)
		if len(t.seqs) > 0 {
			g.d.rememberSequences(reflect0(r.Fn), t.seqs)
		}
		if t.failed != nil && retryable(t.failed) {
			return abort(t.failed) // the transaction cannot be serialized: all again
		}
		if ferr != nil {
			errs[i] = ferr
			if _, err := pt.Exec(ctx, "ROLLBACK TO SAVEPOINT fn"); err != nil {
				return abort(fmt.Errorf("postgres: rollback to savepoint: %w", err))
			}
			continue
		}
		if t.failed != nil {
			// fn swallowed a statement's error: its writes are not whole.
			errs[i] = fmt.Errorf("postgres: a statement failed and the transaction function went on: %w", t.failed)
			if _, err := pt.Exec(ctx, "ROLLBACK TO SAVEPOINT fn"); err != nil {
				return abort(fmt.Errorf("postgres: rollback to savepoint: %w", err))
			}
			continue
		}
		if _, err := pt.Exec(ctx, "RELEASE SAVEPOINT fn"); err != nil {
			return abort(fmt.Errorf("postgres: release savepoint: %w", err))
		}
	}
	cctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	if err := pt.Commit(cctx); err != nil {
		return nil, fmt.Errorf("postgres: commit: %w", err)
	}
	return errs, nil
}
