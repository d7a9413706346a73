package core_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
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

// scriptedSender answers each partner's deliveries as its script says and
// records what it was asked.
type scriptedSender struct {
	mu      sync.Mutex
	answer  map[core.PartnerID]func(n int) core.SendResult
	calls   map[core.PartnerID]int
	secrets map[string]string
	times   map[core.PartnerID][]time.Time
}

func (s *scriptedSender) Send(ctx context.Context, d core.Delivery, secret string) core.SendResult {
	s.mu.Lock()
	s.calls[d.Partner]++
	n := s.calls[d.Partner]
	s.secrets[d.ID] = secret
	s.times[d.Partner] = append(s.times[d.Partner], time.Now())
	f := s.answer[d.Partner]
	s.mu.Unlock()
	if f == nil {
		return core.SendResult{StatusCode: 200, Delivered: true}
	}
	return f(n)
}

// renderer makes one notification per item.
type renderer struct{}

func (renderer) Render(t core.Transaction, item int, now time.Time) ([]core.Notification, error) {
	return []core.Notification{{Event: "test", URL: t.CallbackURL, ContentType: "application/json", Body: []byte(`{"item":` + fmt.Sprint(item) + `}`), Accept: core.Accept2xx}}, nil
}

type fixture struct {
	db     *store.DB
	svc    *core.Service
	eng    *core.Engine
	sender *scriptedSender
	stop   func()
}

func newFixture(t *testing.T, retries int) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{})
	require.NoError(t, err)
	pw := store.Bcrypt{Cost: bcrypt.MinCost}
	require.NoError(t, db.Update(context.Background(), func(tx core.Tx) error {
		for _, p := range []core.PartnerID{"fast", "slow"} {
			if err := tx.PutPartner(core.Partner{ID: p, WebhookSecret: "whsec_" + string(p)}); err != nil {
				return err
			}
		}
		return nil
	}))
	svc, err := core.NewService(db, core.SystemClock{}, &coretest.IDs{}, pw, core.Config{})
	require.NoError(t, err)
	s := &scriptedSender{answer: map[core.PartnerID]func(int) core.SendResult{}, calls: map[core.PartnerID]int{},
		secrets: map[string]string{}, times: map[core.PartnerID][]time.Time{}}
	eng := core.NewEngine(svc, s, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{
		PollInterval: 10 * time.Millisecond, PerPartner: 2,
		Retry: func(attempts int, _ time.Duration) (time.Duration, bool) { return time.Millisecond, attempts < retries },
	})
	eng.Register("test", renderer{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	f := &fixture{db: db, svc: svc, eng: eng, sender: s}
	f.stop = func() { cancel(); <-done }
	t.Cleanup(func() { f.stop(); require.NoError(t, db.Close()) })
	return f
}

// submit stores a job of n items that each fail fast (no inventory), so
// the engine makes one notification per item.
func (f *fixture) submit(t *testing.T, partner core.PartnerID, key string, n int) core.Transaction {
	t.Helper()
	job := core.Job{}
	for i := 0; i < n; i++ {
		job.Activations = append(job.Activations, core.Activate{Ref: core.TxRef{Partner: partner}, SIM: core.SIMRef{ICCID: fmt.Sprintf("1%018d", i)}})
	}
	tr, replayed, err := f.eng.Submit(context.Background(), core.Submission{
		Ref: core.TxRef{Partner: partner, Channel: "test", PartnerTxID: key}, Operation: "op", BodyHash: "h-" + key,
		CallbackURL: "http://partner.invalid/" + string(partner), Job: job,
		Ack: func(t core.Transaction) (int, []byte, error) { return 200, []byte(t.ID), nil },
	})
	require.NoError(t, err)
	require.False(t, replayed)
	return tr
}

func (f *fixture) deliveries(t *testing.T, txID string) []core.Delivery {
	t.Helper()
	var ds []core.Delivery
	require.NoError(t, f.db.View(context.Background(), func(tx core.Tx) error {
		var err error
		ds, err = tx.DeliveriesOf(txID)
		return err
	}))
	return ds
}

func (f *fixture) waitStatus(t *testing.T, txID string, n int, want core.DeliveryStatus) []core.Delivery {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ds := f.deliveries(t, txID)
		ok := len(ds) == n
		for _, d := range ds {
			ok = ok && d.Status == want
		}
		if ok {
			return ds
		}
		require.True(t, time.Now().Before(deadline), "deliveries of %s: %+v", txID, ds)
		time.Sleep(5 * time.Millisecond)
	}
}

func TestExecutesEachItemOnceAndDelivers(t *testing.T) {
	f := newFixture(t, 3)
	f.sender.answer["fast"] = func(int) core.SendResult { return core.SendResult{StatusCode: 200, Delivered: true} }
	tr := f.submit(t, "fast", "k1", 3)
	ds := f.waitStatus(t, tr.ID, 3, core.DeliveryDelivered)
	for i, d := range ds {
		assert.Equal(t, fmt.Sprintf("msg_%s_%d_0", tr.ID, i), d.ID, "stable webhook-id")
		assert.Len(t, d.Attempts, 1)
		assert.Equal(t, 200, d.Attempts[0].StatusCode)
		assert.Equal(t, "whsec_fast", f.sender.secrets[d.ID], "signed with the partner's own secret")
	}
	require.NoError(t, f.db.View(context.Background(), func(tx core.Tx) error {
		got, ok, err := tx.Transaction(tr.ID)
		require.True(t, ok)
		assert.Equal(t, core.TxFailed, got.Status) // no inventory: every item refused
		assert.Len(t, got.Results, 3)
		assert.Equal(t, core.ReasonSIMNotFound, got.Results[0].Error.Reason)
		left, err2 := tx.UnfinishedTransactions(0)
		assert.Empty(t, left)
		return errorsJoin(err, err2)
	}))
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// Retries follow the policy, then the delivery is a dead letter; a replay
// queues it again under the same webhook-id.
func TestRetryDeadLetterReplay(t *testing.T) {
	f := newFixture(t, 3)
	var fail atomic.Bool
	fail.Store(true)
	f.sender.answer["fast"] = func(int) core.SendResult {
		if fail.Load() {
			return core.SendResult{StatusCode: 503, Err: fmt.Errorf("503 Service Unavailable")}
		}
		return core.SendResult{StatusCode: 200, Delivered: true}
	}
	tr := f.submit(t, "fast", "k1", 1)
	ds := f.waitStatus(t, tr.ID, 1, core.DeliveryDead)
	require.Len(t, ds[0].Attempts, 3)
	for _, a := range ds[0].Attempts {
		assert.Equal(t, 503, a.StatusCode)
	}
	fail.Store(false)
	_, err := f.eng.Replay(context.Background(), ds[0].ID)
	require.NoError(t, err)
	ds = f.waitStatus(t, tr.ID, 1, core.DeliveryDelivered)
	assert.Len(t, ds[0].Attempts, 4, "history kept across the replay")
	_, err = f.eng.Replay(context.Background(), "msg_missing")
	assert.Equal(t, core.ReasonDeliveryNotFound, core.ReasonOf(err))
}

func TestPermanentFailureStopsAtOnce(t *testing.T) {
	f := newFixture(t, 8)
	f.sender.answer["fast"] = func(int) core.SendResult { return core.SendResult{StatusCode: 410, Permanent: true} }
	tr := f.submit(t, "fast", "k1", 1)
	ds := f.waitStatus(t, tr.ID, 1, core.DeliveryDead)
	assert.Len(t, ds[0].Attempts, 1)
}

// A partner whose endpoint hangs holds at most PerPartner senders; another
// partner's notifications go through meanwhile.
func TestSlowPartnerDoesNotDelayAnother(t *testing.T) {
	f := newFixture(t, 3)
	release := make(chan struct{})
	f.sender.answer["slow"] = func(int) core.SendResult {
		<-release
		return core.SendResult{StatusCode: 200, Delivered: true}
	}
	f.sender.answer["fast"] = func(int) core.SendResult { return core.SendResult{StatusCode: 200, Delivered: true} }
	slow := f.submit(t, "slow", "s1", 20)
	time.Sleep(50 * time.Millisecond) // the slow partner's backlog is queued first
	fast := f.submit(t, "fast", "f1", 5)
	f.waitStatus(t, fast.ID, 5, core.DeliveryDelivered)
	f.sender.mu.Lock()
	assert.LessOrEqual(t, f.sender.calls["slow"], 2, "at most PerPartner in flight for the slow partner")
	f.sender.mu.Unlock()
	close(release)
	f.waitStatus(t, slow.ID, 20, core.DeliveryDelivered)
}

func TestSubmitIdempotency(t *testing.T) {
	f := newFixture(t, 3)
	f.sender.answer["fast"] = func(int) core.SendResult { return core.SendResult{StatusCode: 200, Delivered: true} }
	first := f.submit(t, "fast", "same", 1)
	sub := core.Submission{
		Ref: core.TxRef{Partner: "fast", Channel: "test", PartnerTxID: "same"}, Operation: "op", BodyHash: "h-same",
		Ack: func(t core.Transaction) (int, []byte, error) { return 200, []byte("other"), nil },
	}
	again, replayed, err := f.eng.Submit(context.Background(), sub)
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, first.Ack, again.Ack)

	sub.BodyHash = "different"
	_, _, err = f.eng.Submit(context.Background(), sub)
	assert.Equal(t, core.ReasonDuplicateTxID, core.ReasonOf(err))

	sub.Ref.Partner = "slow" // keys are per partner
	_, replayed, err = f.eng.Submit(context.Background(), sub)
	require.NoError(t, err)
	assert.False(t, replayed)
	f.waitStatus(t, first.ID, 1, core.DeliveryDelivered)
}

// Submitted answers, without storing anything, what Submit would answer
// for a partner transaction id: the first transaction for the same
// request, a conflict for another, nothing for a new or empty id or
// another partner's.
func TestSubmittedAnswersAsSubmitWould(t *testing.T) {
	f := newFixture(t, 3)
	first := f.submit(t, "fast", "same", 1)
	sub := core.Submission{Ref: core.TxRef{Partner: "fast", Channel: "test", PartnerTxID: "same"}, Operation: "op", BodyHash: "h-same"}
	ctx := context.Background()

	prev, ok, err := f.eng.Submitted(ctx, sub)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, first.ID, prev.ID)
	assert.Equal(t, first.Ack, prev.Ack)

	other := sub
	other.BodyHash = "different"
	_, ok, err = f.eng.Submitted(ctx, other)
	assert.False(t, ok)
	assert.Equal(t, core.ReasonDuplicateTxID, core.ReasonOf(err))
	assert.Equal(t, core.KindConflict, core.AsError(err).Kind)
	_, _, subErr := f.eng.Submit(ctx, core.Submission{Ref: other.Ref, Operation: other.Operation, BodyHash: other.BodyHash,
		Ack: func(core.Transaction) (int, []byte, error) { return 200, nil, nil }})
	assert.Equal(t, err, subErr, "Submit and Submitted answer a reused id alike")

	for name, s := range map[string]core.Submission{
		"new id":          {Ref: core.TxRef{Partner: "fast", Channel: "test", PartnerTxID: "new"}, Operation: "op", BodyHash: "h-same"},
		"no id":           {Ref: core.TxRef{Partner: "fast", Channel: "test"}, Operation: "op", BodyHash: "h-same"},
		"another partner": {Ref: core.TxRef{Partner: "slow", Channel: "test", PartnerTxID: "same"}, Operation: "op", BodyHash: "h-same"},
		"another channel": {Ref: core.TxRef{Partner: "fast", Channel: "other", PartnerTxID: "same"}, Operation: "op", BodyHash: "h-same"},
		"another op":      {Ref: core.TxRef{Partner: "fast", Channel: "test", PartnerTxID: "same"}, Operation: "op2", BodyHash: "h-same"},
	} {
		_, ok, err := f.eng.Submitted(ctx, s)
		require.NoError(t, err, name)
		assert.False(t, ok, name)
	}
	// Asking stored nothing: the new id is still new for Submit.
	_, replayed, err := f.eng.Submit(ctx, core.Submission{Ref: core.TxRef{Partner: "fast", Channel: "test", PartnerTxID: "new"}, Operation: "op", BodyHash: "h-new",
		Ack: func(core.Transaction) (int, []byte, error) { return 200, nil, nil }})
	require.NoError(t, err)
	assert.False(t, replayed)
}

// A stopped engine leaves unfinished work in the store; a new one resumes it.
func TestResumeAfterRestart(t *testing.T) {
	f := newFixture(t, 3)
	f.stop() // nothing runs now
	f.stop = func() {}
	f.sender.answer["fast"] = func(int) core.SendResult { return core.SendResult{StatusCode: 200, Delivered: true} }
	tr := f.submit(t, "fast", "k1", 2)
	assert.Empty(t, f.deliveries(t, tr.ID), "not executed while stopped")

	eng := core.NewEngine(f.svc, f.sender, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{PollInterval: 10 * time.Millisecond})
	eng.Register("test", renderer{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	defer func() { cancel(); <-done }()
	f.waitStatus(t, tr.ID, 2, core.DeliveryDelivered)
}

func TestValidIMEI(t *testing.T) {
	assert.True(t, core.ValidIMEI("356938035643809"))
	assert.True(t, core.ValidIMEI("490154203237518"))
	assert.False(t, core.ValidIMEI("356938035643808"))
	assert.False(t, core.ValidIMEI("35693803564380"))
	assert.False(t, core.ValidIMEI("35693803564380A"))
}

// failingRenderer cannot render anything: every execution step fails.
type failingRenderer struct{}

func (failingRenderer) Render(core.Transaction, int, time.Time) ([]core.Notification, error) {
	return nil, fmt.Errorf("renderer broken")
}

// An item that keeps failing inside (an error or a panic) is tried a few
// times, then recorded as an internal failure instead of blocking its
// transaction for ever. The record must not depend on the renderer: a
// panicking one used to fail the record too.
func TestPoisonItemIsRecordedAsFailed(t *testing.T) {
	for name, r := range map[string]core.Renderer{"error": failingRenderer{}, "panic": panickingRenderer{}} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, 3)
			f.eng.Register("poison", r)
			tr, _, err := f.eng.Submit(context.Background(), core.Submission{
				Ref: core.TxRef{Partner: "fast", Channel: "poison", PartnerTxID: "p1"}, Operation: "op", BodyHash: "h",
				Job: core.Job{Activations: []core.Activate{{Ref: core.TxRef{Partner: "fast"}, SIM: core.SIMRef{ICCID: "1000000000000000001"}}}},
				Ack: func(t core.Transaction) (int, []byte, error) { return 200, nil, nil },
			})
			require.NoError(t, err)
			var got core.Transaction
			require.Eventually(t, func() bool {
				got, err = f.svc.Transaction(context.Background(), "fast", tr.ID)
				return err == nil && got.Status.Finished()
			}, 5*time.Second, 5*time.Millisecond)
			assert.Equal(t, core.TxFailed, got.Status)
			require.Len(t, got.Results, 1)
			assert.Equal(t, core.ReasonInternal, got.Results[0].Error.Reason)
			assert.Equal(t, "internal error", got.Results[0].Error.Message, "the cause is logged, not stored for the partner")
		})
	}
}

type panickingRenderer struct{}

func (panickingRenderer) Render(core.Transaction, int, time.Time) ([]core.Notification, error) {
	panic("renderer bug")
}

// commitFailingStore fails the next `fail` executions after running their
// fn (the commit fails, as on a full disk), makes every read of a
// transaction report the store unavailable while `down` is set, and fail
// with a plain error (a lost connection) while `lost` is set. An execution
// is an update whose fn reads a transaction by id; a submission does not.
type commitFailingStore struct {
	core.Store
	fail atomic.Int64
	down atomic.Bool
	lost atomic.Bool
}

type downTx struct {
	core.Tx
	s    *commitFailingStore
	read *bool
}

func (t downTx) Transaction(id string) (core.Transaction, bool, error) {
	*t.read = true
	if t.s.down.Load() {
		return core.Transaction{}, false, core.Errorf(core.KindUnavailable, core.ReasonUnavailable, "", "database failing over")
	}
	if t.s.lost.Load() {
		return core.Transaction{}, false, fmt.Errorf("postgres: read transaction: conn closed")
	}
	return t.Tx.Transaction(id)
}

func (s *commitFailingStore) Update(ctx context.Context, fn func(core.Tx) error) error {
	return s.Store.Update(ctx, func(tx core.Tx) error {
		read := false
		if err := fn(downTx{tx, s, &read}); err != nil {
			return err
		}
		if read && s.fail.Add(-1) >= 0 {
			// Rolls the whole step back, as a failed commit does.
			return fmt.Errorf("store: commit: no space left on device")
		}
		return nil
	})
}

// A store that fails to commit, or reports itself unavailable, delays an
// execution for as long as it lasts: it never turns the partner's request
// into an internal failure, as an item that fails inside does after
// maxItemFailures attempts (TestPoisonItemIsRecordedAsFailed).
func TestStoreFailuresDelayExecutionWithoutFailingIt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		arm, heal func(s *commitFailingStore)
	}{
		// Seven failed commits: with them counted, the eighth update would
		// have been the one recording the item as failed.
		{"commit fails", func(s *commitFailingStore) { s.fail.Store(7) }, func(*commitFailingStore) {}},
		{"store unavailable", func(s *commitFailingStore) { s.down.Store(true) }, func(s *commitFailingStore) { s.down.Store(false) }},
		{"connection lost", func(s *commitFailingStore) { s.lost.Store(true) }, func(s *commitFailingStore) { s.lost.Store(false) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := sharedStore(t)
			fs := &commitFailingStore{Store: db}
			sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
			eng, _, _ := runEngine(t, fs, sender, core.EngineConfig{PollInterval: 2 * time.Millisecond, PerPartner: 2})
			tc.arm(fs)
			tr := submitItems(t, eng, "k", 1)
			if fs.down.Load() || fs.lost.Load() {
				time.Sleep(100 * time.Millisecond) // dozens of polls, each a failed attempt
			} else {
				require.Eventually(t, func() bool { return fs.fail.Load() < 0 }, 10*time.Second, time.Millisecond,
					"the execution was not tried again after its failed commits")
			}
			tc.heal(fs)
			var got core.Transaction
			require.Eventually(t, func() bool {
				require.NoError(t, db.View(context.Background(), func(tx core.Tx) (err error) {
					got, _, err = tx.Transaction(tr.ID)
					return err
				}))
				return got.Status.Finished()
			}, 10*time.Second, 5*time.Millisecond)
			require.Len(t, got.Results, 1)
			require.NotNil(t, got.Results[0].Error, "the test SIM does not exist: the command's own answer is a refusal")
			assert.NotEqual(t, core.ReasonInternal, got.Results[0].Error.Reason, "the store's failures were recorded as the item's")
		})
	}
}
