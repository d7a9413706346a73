// Package store is simgate's bbolt implementation of core.Store.
//
// Writes are group-committed: one goroutine runs every queued Update's fn in
// a single bbolt read-write transaction and acknowledges them all after one
// commit, so a single fsync makes many commands durable. Each fn writes to a
// private overlay that reaches bbolt only if the fn succeeds, which keeps a
// failing command from leaving partial writes in its neighbours' commit.
package store

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"simgate/core"
)

// ErrClosed is returned by Update, View and Close once the DB is closed.
var ErrClosed = core.Errorf(core.KindUnavailable, core.ReasonUnavailable, "", "store is closed")

// Options tunes Open. The zero value is the production setting.
type Options struct {
	// Timeout bounds the wait for another process's lock on the file (default 1s).
	Timeout time.Duration
	// MaxBatch caps how many Update calls share one commit (default 256).
	MaxBatch int
	// ReadOnly opens the file with a shared lock, beside other readers,
	// for operator tools: no bucket is created and Update fails.
	ReadOnly bool
	// OnCommit, when set, is called by the committer after each committed
	// batch with the number of Update fns in it and the duration of the
	// bbolt commit (write and fsync). It delays the next batch: keep it cheap.
	OnCommit func(requests int, took time.Duration)
}

// Stats counts group commits since Open; Requests/Batches is the mean batch size.
type Stats struct {
	Batches  uint64 // bbolt read-write transactions committed
	Requests uint64 // Update fns that ran in those transactions
}

// DB is the bbolt store. It is safe for concurrent use.
type DB struct {
	bolt     *bbolt.DB
	path     string
	maxBatch int
	readOnly bool
	onCommit func(requests int, took time.Duration)

	mu     sync.RWMutex // orders Update's send on queue against Close's close(queue)
	closed bool
	queue  chan *Request
	done   chan struct{} // closed when the committer has drained queue and exited

	batches, requests atomic.Uint64

	cache *recordCache

	keys []string // the committer's scratch space for overlay.apply
}

var _ core.Store = (*DB)(nil)

// Open opens or creates the database at path and starts its committer.
// It never disables fsync: durability comes from group commit instead.
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	bdb, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	schema := bdb.Update
	if opts.ReadOnly {
		schema = bdb.View
	}
	if err := schema(initSchema); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	d := &DB{
		bolt:     bdb,
		path:     path,
		maxBatch: opts.MaxBatch,
		readOnly: opts.ReadOnly,
		onCommit: opts.OnCommit,
		queue:    make(chan *Request, opts.MaxBatch),
		done:     make(chan struct{}),
		cache:    newRecordCache(cacheEntries),
	}
	go d.commitLoop()
	return d, nil
}

// Path answers the database file's path.
func (d *DB) Path() string { return d.path }

// Bolt exposes the bbolt handle to operator tools (check, backup). Writing
// through it bypasses the indexes.
func (d *DB) Bolt() *bbolt.DB { return d.bolt }

// Stats answers the group-commit counters.
func (d *DB) Stats() Stats {
	return Stats{Batches: d.batches.Load(), Requests: d.requests.Load()}
}

// Close answers the requests already queued, stops the committer, then
// closes the file.
func (d *DB) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	d.closed = true
	close(d.queue)
	d.mu.Unlock()
	<-d.done
	return d.bolt.Close()
}

// View runs fn in a read-only snapshot; its puts return ErrReadOnly.
func (d *DB) View(ctx context.Context, fn func(core.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.RLock()
	closed := d.closed
	d.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	return d.bolt.View(func(btx *bbolt.Tx) error { return fn(&tx{btx: btx, cache: d.cache}) })
}

// Update runs fn exactly once, in a transaction it may share with other
// Update calls, and returns once that transaction is durable. fn runs on the
// committer goroutine: it must not block, nor call Update or View itself.
// If ctx ends before fn starts, fn never runs and Update returns ctx.Err();
// once fn has run, Update waits for the commit whatever ctx says, so its
// answer is always the truth about what was stored.
func (d *DB) Update(ctx context.Context, fn func(core.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d.readOnly {
		return ErrReadOnly
	}
	r := NewRequest(ctx, fn)
	if err := d.enqueue(r); err != nil {
		return err
	}
	return r.Wait()
}

func (d *DB) enqueue(r *Request) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return ErrClosed
	}
	select {
	case d.queue <- r:
		return nil
	case <-r.Ctx.Done():
		return r.Ctx.Err()
	}
}

// commitLoop commits the queued requests in batches (see Batches).
func (d *DB) commitLoop() {
	defer close(d.done)
	Batches(d.queue, d.maxBatch, d.commit)
}

// commit runs the batch's fns in one bbolt transaction and answers each
// caller. A fn's error or panic is that caller's alone; a failure of the
// transaction itself goes to every caller whose fn did not fail on its own.
func (d *DB) commit(batch []*Request) {
	errs := make([]error, len(batch))
	err := d.runBatch(batch, errs)
	for i, r := range batch {
		if errs[i] == nil {
			errs[i] = err
		}
		r.Answer(errs[i])
	}
}

func (d *DB) runBatch(batch []*Request, errs []error) error {
	btx, err := d.bolt.Begin(true)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	ran, dirty := 0, false
	for i, r := range batch {
		if !r.Start() {
			errs[i] = r.Ctx.Err()
			continue
		}
		ran++
		ov, err := run(btx, d.cache, r.Fn)
		if err != nil {
			errs[i] = err
			continue
		}
		// apply fails only on bbolt-level trouble, after possibly writing part
		// of ov: the transaction can no longer be trusted, so abort it all.
		if d.keys, err = ov.apply(btx, d.keys); err != nil {
			_ = btx.Rollback()
			return err
		}
		dirty = dirty || len(ov) > 0
	}
	if !dirty { // nothing to make durable: spare the fsync
		return btx.Rollback()
	}
	start := time.Now()
	if err := btx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	d.batches.Add(1)
	d.requests.Add(uint64(ran))
	if d.onCommit != nil {
		d.onCommit(ran, time.Since(start))
	}
	return nil
}

// run calls fn with a fresh overlay; a panic becomes fn's error so that one
// bad command cannot take down the committer and every caller with it.
func run(btx *bbolt.Tx, cache *recordCache, fn func(core.Tx) error) (ov overlay, err error) {
	defer func() {
		if p := recover(); p != nil {
			ov, err = nil, core.Internal(fmt.Errorf("store: update panicked: %v\n%s", p, debug.Stack()))
		}
	}()
	t := &tx{btx: btx, ov: overlay{}, cache: cache}
	return t.ov, fn(t)
}

// Empty reports whether the database holds no partner yet: an inventory
// has never been loaded into it.
func (d *DB) Empty() (bool, error) {
	empty := true
	err := d.bolt.View(func(btx *bbolt.Tx) error {
		b := btx.Bucket(bktPartners)
		if b == nil {
			return nil
		}
		k, _ := b.Cursor().First()
		empty = k == nil
		return nil
	})
	return empty, err
}
