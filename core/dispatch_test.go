package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/store"
)

// The dispatcher's interplay with the store: stale snapshots, re-run
// transaction functions and claims left at a stop.

// hookStore hands every fn a hookTx, so that a test can step into the
// engine's store transactions.
type hookStore struct {
	core.Store
	// due, when set, may replace the skip of a DueDeliveries call; write
	// says whether it runs inside Update.
	due func(write bool, skip func(string, core.PartnerID) bool) func(string, core.PartnerID) bool
	// delivery, when set, is called before Delivery inside Update.
	delivery func(id string)
	// afterView and afterUpdate, when set, are called when View or Update
	// returns, with what the fn listed (unfinished transactions) or
	// claimed (due deliveries inside Update).
	afterView   func(unfinished []string)
	afterUpdate func(claimed []core.Delivery)
}

type hookTx struct {
	core.Tx
	s          *hookStore
	write      bool
	unfinished *[]string
	claimed    *[]core.Delivery
}

func (s *hookStore) View(ctx context.Context, fn func(core.Tx) error) error {
	var unfinished []string
	err := s.Store.View(ctx, func(tx core.Tx) error {
		unfinished = nil
		return fn(hookTx{Tx: tx, s: s, unfinished: &unfinished})
	})
	if s.afterView != nil {
		s.afterView(unfinished)
	}
	return err
}

func (s *hookStore) Update(ctx context.Context, fn func(core.Tx) error) error {
	var claimed []core.Delivery
	err := s.Store.Update(ctx, func(tx core.Tx) error {
		claimed = nil
		return fn(hookTx{Tx: tx, s: s, write: true, claimed: &claimed})
	})
	if s.afterUpdate != nil && err == nil {
		s.afterUpdate(claimed)
	}
	return err
}

func (t hookTx) DueDeliveries(until time.Time, limit int, skip func(string, core.PartnerID) bool) ([]core.Delivery, error) {
	if t.s.due != nil {
		skip = t.s.due(t.write, skip)
	}
	ds, err := t.Tx.DueDeliveries(until, limit, skip)
	if t.write {
		*t.claimed = append(*t.claimed, ds...)
	}
	return ds, err
}

func (t hookTx) Delivery(id string) (core.Delivery, bool, error) {
	if t.write && t.s.delivery != nil {
		t.s.delivery(id)
	}
	return t.Tx.Delivery(id)
}

func (t hookTx) UnfinishedTransactions(limit int) ([]string, error) {
	ids, err := t.Tx.UnfinishedTransactions(limit)
	*t.unfinished = append(*t.unfinished, ids...)
	return ids, err
}

// observed tells a test when an attempt has been recorded.
type observed struct{ attempted func() }

func (observed) Executed(core.Channel, core.TxStatus) {}
func (o observed) Attempted(core.PartnerID, int, core.DeliveryStatus) {
	if o.attempted != nil {
		o.attempted()
	}
}

// armingSender tells the test when the first attempt has been answered.
type armingSender struct {
	*overlapSender
	answered func()
}

func (s armingSender) Send(ctx context.Context, d core.Delivery, secret string) core.SendResult {
	res := s.overlapSender.Send(ctx, d, secret)
	s.answered()
	return res
}

func runEngine(t *testing.T, st core.Store, sender core.Sender, cfg core.EngineConfig) (eng *core.Engine, cancel context.CancelFunc, done chan struct{}) {
	t.Helper()
	svc, err := core.NewService(st, core.SystemClock{}, &coretest.IDs{}, store.Bcrypt{Cost: bcrypt.MinCost}, core.Config{})
	require.NoError(t, err)
	eng = core.NewEngine(svc, sender, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	eng.Register("test", renderer{})
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return eng, cancel, done
}

// engineGoroutines answers the stacks of goroutines still running the
// engine's code once Run has returned: none may be left.
func engineGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "simgate/core.(*Engine)") {
			left = append(left, g)
		}
	}
	return left
}

func requireNoEngineGoroutines(t *testing.T) {
	t.Helper()
	var left []string
	require.Eventually(t, func() bool { left = engineGoroutines(); return len(left) == 0 },
		5*time.Second, 5*time.Millisecond, "goroutines left after Run returned: %v", left)
}

// A partner's slot is freed when it answers, which wakes the dispatcher
// while the attempt's record is still being committed. A scan whose
// snapshot predates that commit still sees the delivery pending and due;
// if the delivery's sending mark is dropped before the scan reaches it,
// the scan sends it a second time. The mark must outlive every scan that
// began before the record.
func TestScanOlderThanTheRecordDoesNotSendAgain(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Update(context.Background(), func(tx core.Tx) error {
		// Room in the file, so that the record's commit need not remap it
		// while the test holds a snapshot open.
		if err := tx.PutPlan(core.Plan{Code: "ballast", Offerings: []string{strings.Repeat("x", 4<<20)}}); err != nil {
			return err
		}
		return tx.PutPartner(core.Partner{ID: "fast", WebhookSecret: "whsec_fast"})
	}))
	require.NoError(t, db.Update(context.Background(), func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: "ballast"}) }))

	var (
		armed, hooked     atomic.Bool
		staged, scanned   = make(chan struct{}), make(chan struct{})
		scanning          = make(chan struct{})
		recorded          = make(chan struct{})
		recordOnce, rOnce sync.Once
	)
	hs := &hookStore{Store: db}
	hs.due = func(write bool, skip func(string, core.PartnerID) bool) func(string, core.PartnerID) bool {
		if write || !armed.Load() || !hooked.CompareAndSwap(false, true) {
			return skip
		}
		close(scanning) // this scan's snapshot is older than the record
		waited := false
		return func(id string, p core.PartnerID) bool {
			if !waited {
				waited = true
				select {
				case <-recorded:
					time.Sleep(50 * time.Millisecond) // the sender drops its mark meanwhile
					close(staged)
				case <-time.After(3 * time.Second):
				}
			}
			return skip(id, p)
		}
	}
	hs.delivery = func(string) {
		if armed.Load() {
			select {
			case <-scanning:
			case <-time.After(3 * time.Second):
			}
		}
	}
	hs.afterView = func([]string) {
		select {
		case <-staged:
			rOnce.Do(func() { close(scanned) })
		default:
		}
	}
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	eng, _, _ := runEngine(t, hs, armingSender{sender, func() { armed.Store(true) }}, core.EngineConfig{
		PollInterval: 5 * time.Millisecond, PerPartner: 4,
		Observer: observed{attempted: func() { recordOnce.Do(func() { close(recorded) }) }},
	})
	tr := submitItems(t, eng, "k", 1)
	id := fmt.Sprintf("msg_%s_0_0", tr.ID)
	select {
	case <-scanned:
	case <-time.After(10 * time.Second):
		t.Fatal("the scan older than the record was not staged")
	}
	time.Sleep(100 * time.Millisecond) // a second attempt would start now
	assert.Equal(t, 1, sender.count(id), "sent again by a scan that began before the attempt was recorded")
}

// rerunStore runs every Update's fn twice, the first run thrown away, as
// PostgreSQL does when it refuses a transaction as not serializable.
type rerunStore struct{ core.Store }

var errDiscarded = errors.New("run discarded")

func (s rerunStore) Update(ctx context.Context, fn func(core.Tx) error) error {
	err := s.Store.Update(ctx, func(tx core.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errDiscarded
	})
	if !errors.Is(err, errDiscarded) {
		return err
	}
	return s.Store.Update(ctx, fn)
}

// Every Update fn of the engine may run again: the claim of a shared
// engine starts each run afresh, so a discarded first run does not use
// up the partner's slots of the run that counts.
func TestEngineUpdatesSurviveReruns(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprint("shared=", shared), func(t *testing.T) {
			db := sharedStore(t)
			sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
			eng, cancel, done := runEngine(t, rerunStore{db}, sender, core.EngineConfig{
				PollInterval: 5 * time.Millisecond, PerPartner: 4, Shared: shared, DeliveryDeadline: time.Minute,
			})
			tr := submitItems(t, eng, "k", 10)
			var ds []core.Delivery
			require.Eventually(t, func() bool {
				require.NoError(t, db.View(context.Background(), func(tx core.Tx) (err error) {
					ds, err = tx.DeliveriesByStatus(core.DeliveryDelivered, 0)
					return err
				}))
				return len(ds) == 10
			}, 10*time.Second, 5*time.Millisecond, "delivered: %d of 10", len(ds))
			for _, d := range ds {
				assert.Equal(t, 1, sender.count(d.ID), d.ID)
				assert.Len(t, d.Attempts, 1, d.ID)
			}
			got, err := eng.Replay(context.Background(), ds[0].ID)
			require.NoError(t, err)
			assert.Equal(t, core.DeliveryPending, got.Status)
			require.Eventually(t, func() bool { return sender.count(ds[0].ID) == 2 }, 10*time.Second, 5*time.Millisecond)
			var x core.Transaction
			require.NoError(t, db.View(context.Background(), func(tx core.Tx) (err error) {
				x, _, err = tx.Transaction(tr.ID)
				return err
			}))
			assert.Len(t, x.Results, 10)
			assert.Len(t, x.History, 2)
			cancel()
			<-done
			requireNoEngineGoroutines(t)
		})
	}
}

// A shared engine that stops between claiming deliveries and sending
// them gives the claims back: another engine need not wait for the lease.
func TestStopAfterClaimGivesClaimsBack(t *testing.T) {
	for _, at := range []string{"claim", "sender"} {
		t.Run("stop at "+at, func(t *testing.T) {
			db := sharedStore(t)
			hs := &hookStore{Store: db}
			var stop atomic.Pointer[context.CancelFunc]
			var claimedOnce atomic.Bool
			hs.afterUpdate = func(claimed []core.Delivery) {
				if len(claimed) == 0 {
					return
				}
				claimedOnce.Store(true)
				if at == "claim" {
					(*stop.Load())()
				}
			}
			hs.afterView = func([]string) {}
			sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}, block: true}
			var st core.Store = hs
			if at == "sender" {
				st = stopOnView{hs, &claimedOnce, &stop}
			}
			svc, err := core.NewService(st, core.SystemClock{}, &coretest.IDs{}, store.Bcrypt{Cost: bcrypt.MinCost}, core.Config{})
			require.NoError(t, err)
			eng := core.NewEngine(svc, sender, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{
				PollInterval: 5 * time.Millisecond, PerPartner: 4, Shared: true, DeliveryDeadline: time.Minute,
			})
			eng.Register("test", renderer{})
			ctx, cancel := context.WithCancel(context.Background())
			stop.Store(&cancel)
			submitItems(t, eng, "k", 3)
			done := make(chan struct{})
			go func() { defer close(done); eng.Run(ctx) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cancel()
				<-done
				t.Fatal("the engine never claimed")
			}
			require.True(t, claimedOnce.Load())
			requireNoEngineGoroutines(t)
			var due []core.Delivery
			require.NoError(t, db.View(context.Background(), func(tx core.Tx) (err error) {
				due, err = tx.DueDeliveries(time.Now().Add(time.Second), 0, nil)
				return err
			}))
			assert.Len(t, due, 3, "claimed but never sent: due again at once, not after the lease")
		})
	}
}

// stopOnView ends the engine at its first read after it claimed: the
// senders it just started find their context ended.
type stopOnView struct {
	*hookStore
	claimed *atomic.Bool
	stop    *atomic.Pointer[context.CancelFunc]
}

func (s stopOnView) View(ctx context.Context, fn func(core.Tx) error) error {
	if s.claimed.Load() {
		(*s.stop.Load())()
	}
	return s.hookStore.View(ctx, fn)
}

// An order cancelled after the executor listed it, before its execution
// began, is not executed: the executor reads the transaction again
// inside the store transaction that would run it.
func TestCancelAfterListingIsNotExecuted(t *testing.T) {
	db := sharedStore(t)
	hs := &hookStore{Store: db}
	var target atomic.Pointer[string]
	var eng atomic.Pointer[core.Engine]
	var cancelled atomic.Bool
	hs.afterView = func(unfinished []string) {
		id := target.Load()
		if id == nil || cancelled.Load() {
			return
		}
		for _, u := range unfinished {
			if u == *id {
				_, err := eng.Load().ChangeOrder(context.Background(), "fast", "test", *id, core.OrderChange{Cancel: true})
				assert.NoError(t, err)
				cancelled.Store(true)
			}
		}
	}
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	svc, err := core.NewService(hs, core.SystemClock{}, &coretest.IDs{}, store.Bcrypt{Cost: bcrypt.MinCost}, core.Config{})
	require.NoError(t, err)
	e := core.NewEngine(svc, sender, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{PollInterval: 5 * time.Millisecond})
	e.Register("test", renderer{})
	eng.Store(e)
	tr := submitItems(t, e, "k", 2)
	target.Store(&tr.ID)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	require.Eventually(t, cancelled.Load, 10*time.Second, 5*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // executions started from the list have run
	cancel()
	<-done
	var x core.Transaction
	var ds []core.Delivery
	require.NoError(t, db.View(context.Background(), func(tx core.Tx) (err error) {
		if x, _, err = tx.Transaction(tr.ID); err != nil {
			return err
		}
		ds, err = tx.DeliveriesOf(tr.ID)
		return err
	}))
	assert.Equal(t, core.TxCancelled, x.Status)
	assert.Empty(t, x.Results, "a cancelled order never runs")
	assert.Empty(t, ds)
}

// lateSender answers every attempt with a failure to retry at once, and
// before answering lets another engine take the delivery over, as one
// does when the lease of a claim ends while the attempt is still being
// answered or recorded.
type lateSender struct {
	*overlapSender
	takeOver func(d core.Delivery)
}

func (s lateSender) Send(ctx context.Context, d core.Delivery, secret string) core.SendResult {
	s.overlapSender.Send(ctx, d, secret)
	s.takeOver(d)
	return core.SendResult{StatusCode: 503, Err: errors.New("503 Service Unavailable")}
}

// An attempt recorded after its claim was lost to another engine keeps
// the other engine's claim: moving NextAt to the retry time would make
// the delivery due while the other engine is sending it.
func TestRecordAfterLostClaimKeepsTheNewClaim(t *testing.T) {
	db := sharedStore(t)
	otherLease := time.Now().Add(time.Hour).UTC()
	var once sync.Once
	sender := lateSender{&overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}, func(d core.Delivery) {
		once.Do(func() {
			require.NoError(t, db.Update(context.Background(), func(tx core.Tx) error {
				cur, _, err := tx.Delivery(d.ID)
				if err != nil {
					return err
				}
				cur.NextAt = otherLease
				return tx.PutDelivery(cur)
			}))
		})
	}}
	eng, _ := sharedEngine(t, db, sender)
	tr := submitItems(t, eng, "k", 1)
	id := fmt.Sprintf("msg_%s_0_0", tr.ID)
	var d core.Delivery
	require.Eventually(t, func() bool {
		require.NoError(t, db.View(context.Background(), func(tx core.Tx) (err error) {
			d, _, err = tx.Delivery(id)
			return err
		}))
		return len(d.Attempts) == 1
	}, 10*time.Second, 5*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // a due delivery would be claimed and sent again now
	assert.Equal(t, 1, sender.count(id), "sent while another engine holds the claim")
	assert.True(t, d.NextAt.Equal(otherLease), "next attempt %s, the other engine's claim ends %s", d.NextAt, otherLease)
	assert.Equal(t, core.DeliveryPending, d.Status)
}

// countScans counts the dispatcher's scans of the due index (its
// DueDeliveries calls in a snapshot).
func countScans(hs *hookStore) *atomic.Int64 {
	var n atomic.Int64
	hs.due = func(write bool, skip func(string, core.PartnerID) bool) func(string, core.PartnerID) bool {
		if !write {
			n.Add(1)
		}
		return skip
	}
	return &n
}

// Deliveries an engine has just written are sent from memory: with
// nothing due in the store only, the dispatcher scans the due index at
// start and at its poll interval, not after every execution and attempt.
func TestFreshDeliveriesAreNotReadBack(t *testing.T) {
	db := sharedStore(t)
	hs := &hookStore{Store: db}
	scans := countScans(hs)
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	eng, _, _ := runEngine(t, hs, sender, core.EngineConfig{PollInterval: time.Hour, PerPartner: 4})
	for k := range 5 {
		submitItems(t, eng, fmt.Sprint("k", k), 40)
	}
	for _, d := range waitAllDelivered(t, db, 200) {
		assert.Equal(t, 1, sender.count(d.ID), d.ID)
	}
	assert.Equal(t, int64(1), scans.Load(), "scans of the due index besides the one at start")
	assert.Empty(t, sender.overlaps)
}

// gatedSender holds every attempt until gate is closed.
type gatedSender struct {
	*overlapSender
	gate chan struct{}
}

func (s gatedSender) Send(ctx context.Context, d core.Delivery, secret string) core.SendResult {
	<-s.gate
	return s.overlapSender.Send(ctx, d, secret)
}

// More fresh deliveries than the engine keeps in memory, for a partner
// whose slots are busy: the ones left out are found by a scan the engine
// asks for itself (the poll interval is too long to find them), and every
// delivery, fresh or scanned, is sent exactly once, also with the poll
// scanning all the while.
func TestFreshOverflowAndScansSendOnce(t *testing.T) {
	for _, poll := range []time.Duration{time.Hour, time.Millisecond} {
		t.Run(fmt.Sprint("poll=", poll), func(t *testing.T) {
			db := sharedStore(t)
			hs := &hookStore{Store: db}
			scans := countScans(hs)
			sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
			gate := make(chan struct{})
			eng, _, _ := runEngine(t, hs, gatedSender{sender, gate}, core.EngineConfig{PollInterval: poll, PerPartner: 16, Workers: 8})
			const txs, items = 11, 100 // 1,100 deliveries, more than the engine keeps in memory
			var ids []string
			for k := range txs {
				ids = append(ids, submitItems(t, eng, fmt.Sprint("k", k), items).ID)
			}
			require.Eventually(t, func() bool { // every delivery written while the partner's slots are held
				finished := 0
				require.NoError(t, db.View(context.Background(), func(tx core.Tx) error {
					for _, id := range ids {
						x, _, err := tx.Transaction(id)
						if err != nil {
							return err
						}
						if x.Status.Finished() {
							finished++
						}
					}
					return nil
				}))
				return finished == txs
			}, 30*time.Second, 5*time.Millisecond)
			close(gate)
			for _, d := range waitAllDelivered(t, db, txs*items) {
				assert.Equal(t, 1, sender.count(d.ID), d.ID)
			}
			assert.Empty(t, sender.overlaps)
			if poll == time.Hour {
				assert.Greater(t, scans.Load(), int64(1), "the deliveries left out of memory were not scanned for")
			}
		})
	}
}

// stepStore counts, per transaction, the executions' store transactions
// that wrote it.
type stepStore struct {
	core.Store
	mu    sync.Mutex
	steps map[string]int
}

type stepTx struct {
	core.Tx
	s *stepStore
}

func (s *stepStore) Update(ctx context.Context, fn func(core.Tx) error) error {
	return s.Store.Update(ctx, func(tx core.Tx) error { return fn(stepTx{tx, s}) })
}

func (t stepTx) PutTransaction(x core.Transaction) error {
	if len(x.Results) > 0 {
		t.s.mu.Lock()
		t.s.steps[x.ID]++
		t.s.mu.Unlock()
	}
	return t.Tx.PutTransaction(x)
}

// A bulk transaction executes in steps of 32 items, each its own commit,
// not in one commit of every item.
func TestBulkExecutesInSteps(t *testing.T) {
	db := sharedStore(t)
	ss := &stepStore{Store: db, steps: map[string]int{}}
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	eng, _, _ := runEngine(t, ss, sender, core.EngineConfig{PollInterval: 5 * time.Millisecond})
	tr := submitItems(t, eng, "bulk", 100)
	waitAllDelivered(t, db, 100)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	assert.Equal(t, 4, ss.steps[tr.ID], "steps of 32, 32, 32 and 4 items")
}

// Operators read an execution and each delivery attempt off one line
// each, with these fields.
func TestEngineLogLines(t *testing.T) {
	db := sharedStore(t)
	logs := &coretest.LogBuffer{}
	svc, err := core.NewService(db, core.SystemClock{}, &coretest.IDs{}, store.Bcrypt{Cost: bcrypt.MinCost}, core.Config{})
	require.NoError(t, err)
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	eng := core.NewEngine(svc, sender, slog.New(slog.NewJSONHandler(logs, nil)), core.EngineConfig{PollInterval: 5 * time.Millisecond})
	eng.Register("test", renderer{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	defer func() { cancel(); <-done }()
	tr := submitItems(t, eng, "logged", 1)
	waitAllDelivered(t, db, 1)
	require.Eventually(t, func() bool { return len(logs.Lines(t, "delivery attempt")) == 1 }, 5*time.Second, 5*time.Millisecond)
	exec := logs.Lines(t, "transaction executed")
	require.Len(t, exec, 1)
	for k, v := range map[string]any{"tx": tr.ID, "partner": "fast", "channel": "test", "operation": "op",
		"partner_tx_id": "logged", "correlation_id": "", "status": string(core.TxFailed)} {
		assert.Equal(t, v, exec[0][k], k)
	}
	att := logs.Lines(t, "delivery attempt")[0]
	for k, v := range map[string]any{"delivery": "msg_" + tr.ID + "_0_0", "tx": tr.ID, "partner": "fast",
		"status_code": float64(200), "outcome": string(core.DeliveryDelivered), "attempt": float64(1), "error": ""} {
		assert.Equal(t, v, att[k], k)
	}
	assert.Contains(t, att, "next_at")
}

// stallingObserver holds the executor between its commit and the handoff
// of the deliveries it made, until hold is closed; attempted is called
// after each recorded attempt.
type stallingObserver struct {
	hold      chan struct{}
	attempted func()
}

func (o stallingObserver) Executed(core.Channel, core.TxStatus) { <-o.hold }
func (o stallingObserver) Attempted(core.PartnerID, int, core.DeliveryStatus) {
	o.attempted()
}

// A scan can find a delivery the moment its commit is durable, before the
// engine that made it hands it to the dispatcher; if the scan's attempt is
// over and recorded by the time the handoff comes, the handed-off copy
// must not be sent a second time.
func TestHandoffAfterTheScanSentItIsNotSentAgain(t *testing.T) {
	db := sharedStore(t)
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	hold, recorded := make(chan struct{}), make(chan struct{})
	var once sync.Once
	eng, _, _ := runEngine(t, db, sender, core.EngineConfig{
		PollInterval: time.Millisecond,
		Observer:     stallingObserver{hold: hold, attempted: func() { once.Do(func() { close(recorded) }) }},
	})
	tr := submitItems(t, eng, "late-handoff", 1)
	id := fmt.Sprintf("msg_%s_0_0", tr.ID)
	select {
	case <-recorded: // a scan found it, sent it and recorded the attempt
	case <-time.After(10 * time.Second):
		t.Fatal("no scan sent the delivery while its handoff was held")
	}
	time.Sleep(50 * time.Millisecond) // later scans have let go of its sending mark
	close(hold)
	time.Sleep(100 * time.Millisecond) // a second attempt would happen now
	assert.Equal(t, 1, sender.count(id), "the handed-off copy was sent again")
}

// pausingClock is a MutableClock that, once armed, holds the dispatcher's
// first reading of the time (in sendDue) after taking it, until resume is
// closed: a test can act between that reading and what follows it.
type pausingClock struct {
	*coretest.MutableClock
	armed          atomic.Bool
	paused, resume chan struct{}
}

func (c *pausingClock) Now() time.Time {
	t := c.MutableClock.Now()
	if c.armed.Load() {
		buf := make([]byte, 64<<10)
		if strings.Contains(string(buf[:runtime.Stack(buf, false)]), "core.(*Engine).sendDue(") && c.armed.CompareAndSwap(true, false) {
			close(c.paused)
			<-c.resume
		}
	}
	return t
}

// A scan asked for (here by a replay) after sendDue has read the clock
// but before it took the request over is still made: the request must not
// be consumed by a scan whose due-by time predates what it asked for, or
// the replayed delivery waits for the poll interval (an hour here).
func TestRescanRequestedWhileTheDispatcherReadsTheClock(t *testing.T) {
	db := sharedStore(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id := "msg_replayed"
	require.NoError(t, db.Update(context.Background(), func(tx core.Tx) error {
		return tx.PutDelivery(core.Delivery{ID: id, Partner: "fast", TxID: "tx-replayed", Event: "test", URL: "http://partner.invalid/",
			Status: core.DeliveryDead, Attempts: []core.Attempt{{At: t0, StatusCode: 500}}, NextAt: t0, CreatedAt: t0})
	}))
	clock := &pausingClock{MutableClock: coretest.NewMutableClock(t0), paused: make(chan struct{}), resume: make(chan struct{})}
	clock.armed.Store(true)
	svc, err := core.NewService(db, clock, &coretest.IDs{}, store.Bcrypt{Cost: bcrypt.MinCost}, core.Config{})
	require.NoError(t, err)
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	eng := core.NewEngine(svc, sender, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-clock.paused: // the dispatcher's first step has read t0
	case <-time.After(10 * time.Second):
		t.Fatal("the dispatcher never read the clock")
	}
	clock.Advance(time.Second)
	_, err = eng.Replay(context.Background(), id) // due at t0+1s, asks for a scan
	require.NoError(t, err)
	close(clock.resume)
	require.Eventually(t, func() bool { return sender.count(id) == 1 }, 5*time.Second, 5*time.Millisecond,
		"the replayed delivery was not sent: its scan request was taken by a scan due by t0")
}

// failingScanStore fails every scan of the due index in a snapshot, as a
// store that has gone away does.
type failingScanStore struct {
	core.Store
	scans  atomic.Int64
	second chan struct{}
}

type failingScanTx struct {
	core.Tx
	s *failingScanStore
}

func (s *failingScanStore) View(ctx context.Context, fn func(core.Tx) error) error {
	return s.Store.View(ctx, func(tx core.Tx) error { return fn(failingScanTx{tx, s}) })
}

func (t failingScanTx) DueDeliveries(time.Time, int, func(string, core.PartnerID) bool) ([]core.Delivery, error) {
	if t.s.scans.Add(1) == 2 {
		close(t.s.second)
	}
	return nil, errors.New("store unavailable")
}

// A failed scan is tried again at the next wake-up or poll, not at once:
// a store that keeps failing must not turn the dispatcher into a loop that
// scans and logs as fast as it can.
func TestFailedScanIsNotRetriedInALoop(t *testing.T) {
	db := sharedStore(t)
	fs := &failingScanStore{Store: db, second: make(chan struct{})}
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	eng, _, _ := runEngine(t, fs, sender, core.EngineConfig{PollInterval: time.Hour})
	require.Eventually(t, func() bool { return fs.scans.Load() >= 1 }, 10*time.Second, time.Millisecond)
	select {
	case <-fs.second:
		t.Fatalf("scanned again at once after a failed scan, with nothing to wake the dispatcher (%d scans so far)", fs.scans.Load())
	case <-time.After(300 * time.Millisecond):
	}
	// The failed scan is still owed: the next wake-up makes it.
	submitItems(t, eng, "k", 1)
	require.Eventually(t, func() bool { return fs.scans.Load() >= 2 }, 10*time.Second, time.Millisecond)
}

// flakyReadStore fails the first read of a delivery in a snapshot (the
// check a handed-off delivery goes through before it is sent), as a store
// does on a transient error.
type flakyReadStore struct {
	core.Store
	failed atomic.Bool
	scans  atomic.Int64
}

type flakyReadTx struct {
	core.Tx
	s *flakyReadStore
}

func (s *flakyReadStore) View(ctx context.Context, fn func(core.Tx) error) error {
	return s.Store.View(ctx, func(tx core.Tx) error { return fn(flakyReadTx{tx, s}) })
}

func (t flakyReadTx) DueDeliveries(until time.Time, limit int, skip func(string, core.PartnerID) bool) ([]core.Delivery, error) {
	t.s.scans.Add(1)
	return t.Tx.DueDeliveries(until, limit, skip)
}

func (t flakyReadTx) Delivery(id string) (core.Delivery, bool, error) {
	if t.s.failed.CompareAndSwap(false, true) {
		return core.Delivery{}, false, errors.New("transient read error")
	}
	return t.Tx.Delivery(id)
}

// A handed-off delivery whose attempt could not begin (the store failed
// the read before it) is in the store only, due: the dispatcher scans for
// it rather than leave it to the poll interval (an hour here).
func TestFreshDeliveryNotAttemptedIsScannedFor(t *testing.T) {
	db := sharedStore(t)
	fs := &flakyReadStore{Store: db}
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	eng, _, _ := runEngine(t, fs, sender, core.EngineConfig{PollInterval: time.Hour})
	// The scan at start has its snapshot: it cannot see what follows.
	require.Eventually(t, func() bool { return fs.scans.Load() == 1 }, 10*time.Second, time.Millisecond)
	tr := submitItems(t, eng, "k", 1)
	id := fmt.Sprintf("msg_%s_0_0", tr.ID)
	require.Eventually(t, func() bool { return sender.count(id) == 1 }, 10*time.Second, 5*time.Millisecond,
		"the delivery whose attempt could not begin was not sent")
	assert.True(t, fs.failed.Load(), "the read before the attempt did not fail")
	waitAllDelivered(t, db, 1)
}

// stepSender records the order of attempts and answers each one only when
// the test feeds it a step.
type stepSender struct {
	mu    sync.Mutex
	order []string
	step  chan struct{}
}

func (s *stepSender) Send(ctx context.Context, d core.Delivery, _ string) core.SendResult {
	s.mu.Lock()
	s.order = append(s.order, d.ID)
	s.mu.Unlock()
	select {
	case <-s.step:
		return core.SendResult{StatusCode: 200, Delivered: true}
	case <-ctx.Done():
		return core.SendResult{Err: ctx.Err()}
	}
}

func (s *stepSender) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// What only a scan finds (here a replay) takes a partner's next free slot
// before the fresh deliveries queued behind it: a partner whose new
// notifications keep its slots busy does not starve its own retries and
// replays.
func TestScannedWorkGoesBeforeFresh(t *testing.T) {
	db := sharedStore(t)
	sender := &stepSender{step: make(chan struct{})}
	eng, _, _ := runEngine(t, db, sender, core.EngineConfig{PollInterval: time.Hour, PerPartner: 1})
	first := submitItems(t, eng, "first", 1)
	sender.step <- struct{}{}
	waitAllDelivered(t, db, 1)
	replayed := fmt.Sprintf("msg_%s_0_0", first.ID)
	submitItems(t, eng, "k0", 1)
	require.Eventually(t, func() bool { return len(sender.sent()) == 2 }, 10*time.Second, time.Millisecond,
		"the first fresh delivery holds the partner's only slot")
	// The replay is due before the fresh deliveries made after it, so the
	// order is the same whether a scan or a handoff brings those (a slow
	// machine may run the scan between a commit and its handoff): only
	// sending fresh deliveries before the scan's puts one ahead of it.
	_, err := eng.Replay(context.Background(), replayed)
	require.NoError(t, err)
	for k := 1; k < 4; k++ {
		submitItems(t, eng, fmt.Sprint("k", k), 1)
	}
	require.Eventually(t, func() bool {
		var pending []core.Delivery
		require.NoError(t, db.View(context.Background(), func(tx core.Tx) (err error) {
			pending, err = tx.DeliveriesByStatus(core.DeliveryPending, 0)
			return err
		}))
		return len(pending) == 5 // k0 being sent, the replay, k1 to k3
	}, 10*time.Second, time.Millisecond, "the fresh deliveries were not all made")
	for n := 3; n <= 6; n++ {
		sender.step <- struct{}{}
		require.Eventually(t, func() bool { return len(sender.sent()) == n }, 10*time.Second, time.Millisecond)
	}
	order := sender.sent()
	assert.Equal(t, replayed, order[2], "the replay waited behind fresh deliveries: %v", order)
	sender.step <- struct{}{}
}
