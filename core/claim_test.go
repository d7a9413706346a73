package core_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/store"
)

// overlapSender records, per webhook-id, how many attempts are in flight
// at once and how many were made; it holds each attempt a moment so that
// overlapping attempts would meet. block, when set, holds attempts until
// their ctx ends.
type overlapSender struct {
	mu       sync.Mutex
	inFlight map[string]int
	sent     map[string]int
	overlaps []string
	block    bool
}

func (s *overlapSender) Send(ctx context.Context, d core.Delivery, _ string) core.SendResult {
	s.mu.Lock()
	s.inFlight[d.ID]++
	if s.inFlight[d.ID] > 1 {
		s.overlaps = append(s.overlaps, d.ID)
	}
	s.sent[d.ID]++
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.inFlight[d.ID]--; s.mu.Unlock() }()
	if s.block {
		<-ctx.Done()
		return core.SendResult{Err: ctx.Err()}
	}
	time.Sleep(2 * time.Millisecond)
	return core.SendResult{StatusCode: 200, Delivered: true}
}

func (s *overlapSender) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[id]
}

// sharedEngine starts an engine with Shared set on st; stop ends it.
func sharedEngine(t *testing.T, st core.Store, sender core.Sender) (eng *core.Engine, stop func()) {
	t.Helper()
	svc, err := core.NewService(st, core.SystemClock{}, &coretest.IDs{}, store.Bcrypt{Cost: bcrypt.MinCost}, core.Config{})
	require.NoError(t, err)
	eng = core.NewEngine(svc, sender, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{
		PollInterval: 5 * time.Millisecond, PerPartner: 4, Shared: true, DeliveryDeadline: time.Minute,
		Retry: func(int, time.Duration) (time.Duration, bool) { return time.Millisecond, true },
	})
	eng.Register("test", renderer{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return eng, stop
}

func sharedStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Update(context.Background(), func(tx core.Tx) error {
		return tx.PutPartner(core.Partner{ID: "fast", WebhookSecret: "whsec_fast"})
	}))
	return db
}

func submitItems(t *testing.T, eng *core.Engine, key string, n int) core.Transaction {
	t.Helper()
	job := core.Job{}
	for i := range n {
		job.Activations = append(job.Activations, core.Activate{Ref: core.TxRef{Partner: "fast"}, SIM: core.SIMRef{ICCID: fmt.Sprintf("1%018d", i)}})
	}
	tr, _, err := eng.Submit(context.Background(), core.Submission{
		Ref: core.TxRef{Partner: "fast", Channel: "test", PartnerTxID: key}, Operation: "op", BodyHash: "h-" + key,
		CallbackURL: "http://partner.invalid/", Job: job,
		Ack: func(t core.Transaction) (int, []byte, error) { return 200, []byte(t.ID), nil },
	})
	require.NoError(t, err)
	return tr
}

func waitAllDelivered(t *testing.T, st core.Store, want int) []core.Delivery {
	t.Helper()
	var ds []core.Delivery
	require.Eventually(t, func() bool {
		require.NoError(t, st.View(context.Background(), func(tx core.Tx) (err error) {
			ds, err = tx.DeliveriesByStatus(core.DeliveryDelivered, 0)
			return err
		}))
		return len(ds) == want
	}, time.Minute, 5*time.Millisecond)
	return ds
}

// Three engines sharing one store execute and deliver every notification
// exactly once: each delivery is claimed by one engine before it is sent,
// so no two engines ever send one at the same time.
func TestSharedEnginesClaimDeliveries(t *testing.T) {
	db := sharedStore(t)
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	a, _ := sharedEngine(t, db, sender)
	sharedEngine(t, db, sender)
	sharedEngine(t, db, sender)
	const txs, items = 20, 10
	for i := range txs {
		submitItems(t, a, fmt.Sprint("k", i), items)
	}
	ds := waitAllDelivered(t, db, txs*items)
	sender.mu.Lock()
	defer sender.mu.Unlock()
	assert.Empty(t, sender.overlaps, "deliveries sent by two engines at once")
	for _, d := range ds {
		assert.Equal(t, 1, sender.sent[d.ID], d.ID)
		assert.Len(t, d.Attempts, 1, d.ID)
		assert.True(t, d.ClaimedUntil.IsZero(), "a recorded attempt ends its claim: %s", d.ID)
	}
}

// An engine that stops while its attempts hang gives its claims back, so
// another engine delivers them without waiting for the lease to end.
func TestStoppedEngineGivesClaimsBack(t *testing.T) {
	db := sharedStore(t)
	hang := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}, block: true}
	a, stopA := sharedEngine(t, db, hang)
	tr := submitItems(t, a, "k", 3)
	require.Eventually(t, func() bool {
		for i := range 3 {
			if hang.count(fmt.Sprintf("msg_%s_%d_0", tr.ID, i)) == 0 {
				return false
			}
		}
		return true
	}, time.Minute, 5*time.Millisecond, "the first engine claimed and started every delivery")
	stopA()
	var pending []core.Delivery
	require.NoError(t, db.View(context.Background(), func(tx core.Tx) (err error) {
		pending, err = tx.DueDeliveries(time.Now().Add(time.Second), 0, nil)
		return err
	}))
	assert.Len(t, pending, 3, "due again at once, not after the lease")

	ok := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	sharedEngine(t, db, ok)
	for _, d := range waitAllDelivered(t, db, 3) {
		assert.Empty(t, d.Attempts[:len(d.Attempts)-1], "the interrupted attempt left no record")
	}
}

// A claim left by an engine that died (its NextAt pushed a lease ahead,
// no attempt recorded) is not sent before the lease ends, and is sent by
// another engine after it, once, with the same webhook-id.
func TestExpiredClaimIsDeliveredByAnotherEngine(t *testing.T) {
	db := sharedStore(t)
	now := time.Now().UTC()
	leaseEnd := now.Add(300 * time.Millisecond)
	require.NoError(t, db.Update(context.Background(), func(tx core.Tx) error {
		return tx.PutDelivery(core.Delivery{ID: "msg_dead_engine", Partner: "fast", TxID: "t", URL: "http://partner.invalid/",
			Status: core.DeliveryPending, NextAt: leaseEnd, CreatedAt: now})
	}))
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}}
	sharedEngine(t, db, sender)
	ds := waitAllDelivered(t, db, 1)
	require.Len(t, ds[0].Attempts, 1)
	assert.False(t, ds[0].Attempts[0].At.Before(leaseEnd), "sent before the claim expired")
	assert.Equal(t, 1, sender.count("msg_dead_engine"))
}

// An operator's replay of a delivery an instance is sending is refused
// (queueing it would let a second instance send it at once); once the
// attempt is recorded the claim is gone and a replay goes through.
func TestReplayRefusesAClaimedDelivery(t *testing.T) {
	db := sharedStore(t)
	sender := &overlapSender{inFlight: map[string]int{}, sent: map[string]int{}, block: true}
	eng, stop := sharedEngine(t, db, sender)
	tr := submitItems(t, eng, "k", 1)
	var d core.Delivery
	require.Eventually(t, func() bool {
		require.NoError(t, db.View(context.Background(), func(tx core.Tx) error {
			ds, err := tx.DeliveriesOf(tr.ID)
			if len(ds) == 1 {
				d = ds[0]
			}
			return err
		}))
		return !d.ClaimedUntil.IsZero() && sender.count(d.ID) == 1
	}, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, d.ClaimedUntil, d.NextAt, "the claim is the lease NextAt was moved to")

	_, err := eng.Replay(context.Background(), d.ID)
	assert.Equal(t, core.ReasonDeliveryClaimed, core.ReasonOf(err))
	assert.Equal(t, core.KindConflict, core.AsError(err).Kind)

	// Stopping gives the claim back (the attempt never ended): no claim is
	// left, and the replay is accepted.
	stop()
	require.NoError(t, db.View(context.Background(), func(tx core.Tx) (err error) {
		d, _, err = tx.Delivery(d.ID)
		return err
	}))
	assert.True(t, d.ClaimedUntil.IsZero(), "claimed until %v", d.ClaimedUntil)
	got, err := core.ReplayDelivery(context.Background(), db, time.Now().UTC(), d.ID)
	require.NoError(t, err)
	assert.Equal(t, core.DeliveryPending, got.Status)
}
