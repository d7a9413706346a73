package core_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/store"
)

func TestStateOf(t *testing.T) {
	ok, bad := core.ItemResult{OK: true}, core.ItemResult{Error: &core.ErrorInfo{Reason: core.ReasonSIMNotFound}}
	job := core.Job{Changes: make([]core.ChangeStatus, 3)}
	for _, tc := range []struct {
		name    string
		status  core.TxStatus
		results []core.ItemResult
		want    core.OrderState
		items   []core.OrderState
	}{
		{"stored", core.TxReceived, nil, core.OrderAcknowledged, []core.OrderState{core.OrderAcknowledged, core.OrderAcknowledged, core.OrderAcknowledged}},
		{"running", core.TxReceived, []core.ItemResult{ok}, core.OrderInProgress, []core.OrderState{core.OrderCompleted, core.OrderInProgress, core.OrderInProgress}},
		{"all ran, not yet recorded", core.TxReceived, []core.ItemResult{ok, ok, ok}, core.OrderCompleted, []core.OrderState{core.OrderCompleted, core.OrderCompleted, core.OrderCompleted}},
		{"completed", core.TxSucceeded, []core.ItemResult{ok, ok, ok}, core.OrderCompleted, []core.OrderState{core.OrderCompleted, core.OrderCompleted, core.OrderCompleted}},
		{"partial", core.TxPartial, []core.ItemResult{ok, bad, ok}, core.OrderPartial, []core.OrderState{core.OrderCompleted, core.OrderFailed, core.OrderCompleted}},
		{"failed", core.TxFailed, []core.ItemResult{bad, bad, bad}, core.OrderFailed, []core.OrderState{core.OrderFailed, core.OrderFailed, core.OrderFailed}},
		{"cancelled", core.TxCancelled, nil, core.OrderCancelled, []core.OrderState{core.OrderCancelled, core.OrderCancelled, core.OrderCancelled}},
	} {
		x := core.Transaction{Status: tc.status, Results: tc.results, Job: job}
		assert.Equal(t, tc.want, core.StateOf(x), tc.name)
		for i, want := range tc.items {
			assert.Equal(t, want, core.ItemState(x, i), "%s: item %d", tc.name, i)
		}
	}
	x := core.Transaction{Job: job, Results: []core.ItemResult{ok, bad, bad}}
	assert.Equal(t, core.OrderInProgress, core.StateAfter(x, 0))
	assert.Equal(t, core.OrderInProgress, core.StateAfter(x, 1))
	assert.Equal(t, core.OrderPartial, core.StateAfter(x, 2))
	assert.False(t, core.ProgressReported(x, 0), "three items run in one commit")
	assert.False(t, core.ProgressReported(x, 2))
	big := core.Transaction{Job: core.Job{Changes: make([]core.ChangeStatus, 40)}}
	var reported []int
	for i := range 40 {
		if core.ProgressReported(big, i) {
			reported = append(reported, i)
		}
	}
	require.Len(t, reported, 1, "one inProgress report")
	assert.Greater(t, reported[0], 0, "at the end of the first commit")
	assert.Less(t, reported[0], 39, "before the last item")
	assert.True(t, core.OrderCancelled.Final())
	assert.False(t, core.OrderInProgress.Final())
}

// orders is a store, a service and an engine that is not running: orders
// stay acknowledged until the test runs the engine.
type orders struct {
	db  *store.DB
	svc *core.Service
	eng *core.Engine
}

func newOrders(t *testing.T) *orders {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "x.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	svc, err := core.NewService(db, coretest.Clock{T: time.Date(2026, 3, 29, 14, 38, 11, 0, time.UTC)}, &coretest.IDs{}, store.Bcrypt{Cost: bcrypt.MinCost}, core.Config{})
	require.NoError(t, err)
	eng := core.NewEngine(svc, okSender{}, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{})
	eng.Register("orders", hubRenderer{})
	return &orders{db: db, svc: svc, eng: eng}
}

// okSender accepts every delivery.
type okSender struct{}

func (okSender) Send(context.Context, core.Delivery, string) core.SendResult {
	return core.SendResult{StatusCode: 200, Delivered: true}
}

// hubRenderer notifies each hub of the partner, reading them in the
// engine's store transaction.
type hubRenderer struct{ renderer }

func (hubRenderer) RenderTx(tx core.Tx, t core.Transaction, item int, now time.Time) ([]core.Notification, error) {
	hubs, err := tx.HubsOf(t.Partner, "orders")
	var out []core.Notification
	for _, h := range hubs {
		out = append(out, core.Notification{Event: "ran", URL: h.Callback, ContentType: "application/json", Body: []byte(`{}`), Accept: core.Accept2xx})
	}
	return out, err
}

func (o *orders) submit(t *testing.T, partner core.PartnerID, key string) core.Transaction {
	t.Helper()
	x, _, err := o.eng.Submit(context.Background(), core.Submission{
		Ref: core.TxRef{Partner: partner, Channel: "orders", PartnerTxID: key}, Operation: "order", BodyHash: key,
		Job: core.Job{Changes: []core.ChangeStatus{{Ref: core.TxRef{Partner: partner, Channel: "orders"}, Subscription: core.SubscriberRef{Kind: core.ByID, Value: "none"}, Action: core.ActionSuspend}}},
		Ack: func(core.Transaction) (int, []byte, error) { return 201, []byte(`{}`), nil },
		Notify: func(tx core.Tx, x core.Transaction) ([]core.Notification, error) {
			hubs, err := tx.HubsOf(x.Partner, "orders")
			var out []core.Notification
			for _, h := range hubs {
				out = append(out, core.Notification{Event: "created", URL: h.Callback, ContentType: "application/json", Body: []byte(x.ID), Accept: core.Accept2xx})
			}
			return out, err
		},
	})
	require.NoError(t, err)
	return x
}

func (o *orders) deliveries(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	require.NoError(t, o.db.View(context.Background(), func(tx core.Tx) error {
		ds, err := tx.DeliveriesOf(id)
		for _, d := range ds {
			out = append(out, d.ID+" "+d.Event+" "+d.URL)
		}
		return err
	}))
	return out
}

// The create notification is written with the transaction; the engine's
// renderer reads the hubs in its own commit.
func TestSubmitNotifyAndTxRenderer(t *testing.T) {
	o := newOrders(t)
	ctx := context.Background()
	h, err := o.svc.RegisterHub(ctx, "p1", "orders", "http://hub.invalid/a", "")
	require.NoError(t, err)
	x := o.submit(t, "p1", "k1")
	assert.Equal(t, []string{"msg_" + x.ID + "_submit_0 created http://hub.invalid/a"}, o.deliveries(t, x.ID))
	y := o.submit(t, "p2", "k1") // no hub: nothing to send
	assert.Empty(t, o.deliveries(t, y.ID))

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); o.eng.Run(runCtx) }()
	defer func() { stop(); <-done }()
	require.Eventually(t, func() bool { return len(o.deliveries(t, x.ID)) == 2 }, 5*time.Second, 5*time.Millisecond)
	assert.ElementsMatch(t, []string{"msg_" + x.ID + "_submit_0 created http://hub.invalid/a", "msg_" + x.ID + "_0_0 ran http://hub.invalid/a"}, o.deliveries(t, x.ID))
	require.NoError(t, o.svc.UnregisterHub(ctx, "p1", "orders", h.ID))
}

func TestChangeOrderRules(t *testing.T) {
	o := newOrders(t)
	ctx := context.Background()
	x := o.submit(t, "p1", "k1")
	y := o.submit(t, "p1", "k2")

	// Another partner's or channel's order reads as absent.
	_, err := o.eng.ChangeOrder(ctx, "p2", "orders", x.ID, core.OrderChange{Cancel: true})
	assert.Equal(t, core.ReasonTxNotFound, core.ReasonOf(err))
	_, err = o.svc.Order(ctx, "p1", "other", x.ID)
	assert.Equal(t, core.ReasonTxNotFound, core.ReasonOf(err))

	_, err = o.eng.ChangeOrder(ctx, "p1", "orders", x.ID, core.OrderChange{Delete: true})
	assert.Equal(t, core.ReasonOrderNotDeletable, core.ReasonOf(err), "not finished")

	c, err := o.eng.ChangeOrder(ctx, "p1", "orders", x.ID, core.OrderChange{Cancel: true,
		Context: func(t core.Transaction) ([]byte, error) {
			return []byte(`"cancelled at ` + t.UpdatedAt.Format(time.RFC3339) + `"`), nil
		}})
	require.NoError(t, err)
	assert.Equal(t, core.TxCancelled, c.Status)
	assert.Equal(t, core.OrderCancelled, core.StateOf(c))
	assert.Equal(t, `"cancelled at 2026-03-29T14:38:11Z"`, string(c.Context))
	assert.Equal(t, "cancelled", c.History[len(c.History)-1].Note)

	_, err = o.eng.ChangeOrder(ctx, "p1", "orders", x.ID, core.OrderChange{Cancel: true})
	assert.Equal(t, core.ReasonOrderNotCancellable, core.ReasonOf(err))
	_, err = o.eng.ChangeOrder(ctx, "p1", "orders", x.ID, core.OrderChange{})
	assert.Equal(t, core.ReasonOrderNotChangeable, core.ReasonOf(err))

	// The engine passes the cancelled order over and runs the other.
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); o.eng.Run(runCtx) }()
	require.Eventually(t, func() bool {
		got, err := o.svc.Order(ctx, "p1", "orders", y.ID)
		return err == nil && got.Status.Finished()
	}, 5*time.Second, 5*time.Millisecond)
	stop()
	<-done
	got, err := o.svc.Order(ctx, "p1", "orders", x.ID)
	require.NoError(t, err)
	assert.Empty(t, got.Results, "a cancelled order never runs")
	_, err = o.eng.ChangeOrder(ctx, "p1", "orders", y.ID, core.OrderChange{Cancel: true})
	assert.Equal(t, core.ReasonOrderNotCancellable, core.ReasonOf(err), "it ran")

	d, err := o.eng.ChangeOrder(ctx, "p1", "orders", x.ID, core.OrderChange{Delete: true})
	require.NoError(t, err)
	assert.False(t, d.DeletedAt.IsZero())
	_, err = o.svc.Order(ctx, "p1", "orders", x.ID)
	assert.Equal(t, core.ReasonTxNotFound, core.ReasonOf(err), "deleted")
	var listed []string
	require.NoError(t, o.svc.Orders(ctx, "p1", "orders", 0, func(t core.Transaction) (bool, error) { listed = append(listed, t.ID); return true, nil }))
	assert.Equal(t, []string{y.ID}, listed)
	require.NoError(t, o.svc.Orders(ctx, "p1", "orders", 1, func(core.Transaction) (bool, error) { return true, nil }),
		"the deleted order is not walked: the store lists it no more")
	var page []string
	total, err := o.svc.OrderPage(ctx, "p1", "orders", 0, 10, 0, func(t core.Transaction) error { page = append(page, t.ID); return nil })
	require.NoError(t, err)
	assert.Equal(t, 1, total, "nor counted")
	assert.Equal(t, []string{y.ID}, page)
	kept, err := o.svc.Transaction(ctx, "p1", x.ID)
	require.NoError(t, err, "the record stays")
	assert.Equal(t, "deleted", kept.History[len(kept.History)-1].Note)
}

func TestCheckStart(t *testing.T) {
	now := time.Date(2026, 3, 29, 14, 38, 11, 0, time.UTC)
	assert.NoError(t, core.CheckStart(now.Add(-24*time.Hour), now))
	assert.NoError(t, core.CheckStart(now.Add(core.StartSkew), now), "clocks differ")
	assert.Equal(t, core.ReasonStartLater, core.ReasonOf(core.CheckStart(now.Add(core.StartSkew+time.Second), now)))
}

func TestHubRegistrations(t *testing.T) {
	o := newOrders(t)
	ctx := context.Background()
	url := func(i int) string { return fmt.Sprintf("http://hub.invalid/%d", i) }
	var first core.Hub
	for i := 0; i < core.MaxHubs; i++ {
		h, err := o.svc.RegisterHub(ctx, "p1", "orders", url(i), "")
		require.NoError(t, err)
		if i == 0 {
			first = h
		}
	}
	again, err := o.svc.RegisterHub(ctx, "p1", "orders", url(0), "")
	require.NoError(t, err, "a registration sent again is the same hub, even at the limit")
	assert.Equal(t, first, again, "not a second hub that would get every event twice")
	_, err = o.svc.RegisterHub(ctx, "p1", "orders", url(0), "eventType=X")
	assert.Equal(t, core.ReasonHubLimit, core.ReasonOf(err), "another query is another hub")
	_, err = o.svc.RegisterHub(ctx, "p2", "orders", url(0), "")
	assert.NoError(t, err, "the limit is per partner")
	assert.Equal(t, core.ReasonHubNotFound, core.ReasonOf(o.svc.UnregisterHub(ctx, "p2", "orders", first.ID)), "another partner's hub")
	assert.Equal(t, core.ReasonHubNotFound, core.ReasonOf(o.svc.UnregisterHub(ctx, "p1", "other", first.ID)), "another channel's hub")
	require.NoError(t, o.svc.UnregisterHub(ctx, "p1", "orders", first.ID))
	assert.Equal(t, core.ReasonHubNotFound, core.ReasonOf(o.svc.UnregisterHub(ctx, "p1", "orders", first.ID)))
	h, err := o.svc.RegisterHub(ctx, "p1", "orders", url(0), "")
	assert.NoError(t, err, "room again")
	assert.NotEqual(t, first.ID, h.ID, "a new hub once the old one is gone")
}

func TestIdleItemStateAndFinishedAt(t *testing.T) {
	for order, want := range map[core.OrderState]core.OrderState{
		core.OrderAcknowledged: core.OrderAcknowledged,
		core.OrderInProgress:   core.OrderInProgress,
		core.OrderCompleted:    core.OrderCompleted,
		core.OrderPartial:      core.OrderCompleted,
		core.OrderFailed:       core.OrderCompleted,
		core.OrderCancelled:    core.OrderCancelled,
	} {
		assert.Equal(t, want, core.IdleItemState(order), "in an order %s", order)
	}

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	x := core.Transaction{History: []core.TxEvent{{At: t0, Status: core.TxReceived}}}
	_, ok := core.FinishedAt(x)
	assert.False(t, ok, "still to run")
	x.History = append(x.History, core.TxEvent{At: t0.Add(time.Second), Status: core.TxCancelled})
	_, ok = core.FinishedAt(x)
	assert.False(t, ok, "a cancelled order never ran")
	for _, st := range []core.TxStatus{core.TxSucceeded, core.TxPartial, core.TxFailed} {
		x.History = []core.TxEvent{{At: t0, Status: core.TxReceived}, {At: t0.Add(2 * time.Second), Status: st}}
		at, ok := core.FinishedAt(x)
		assert.True(t, ok, st)
		assert.Equal(t, t0.Add(2*time.Second), at, st)
	}
}

// OrderPage answers the page and the count of a partner's orders of one
// channel, in submission order, without reading the orders it skips; past
// its bound it refuses the list, as Orders does past its own.
func TestOrderPage(t *testing.T) {
	o := newOrders(t)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		ids = append(ids, o.submit(t, "p1", fmt.Sprint("k", i)).ID)
	}
	o.submit(t, "p2", "k0")
	page := func(offset, limit, max int) ([]string, int, error) {
		out := []string{}
		total, err := o.svc.OrderPage(ctx, "p1", "orders", offset, limit, max, func(t core.Transaction) error {
			if t.Partner != "p1" {
				return fmt.Errorf("order %s of %s", t.ID, t.Partner)
			}
			out = append(out, t.ID)
			return nil
		})
		return out, total, err
	}
	for _, tc := range []struct {
		offset, limit int
		want          []string
	}{
		{0, 10, ids}, {0, 2, ids[:2]}, {2, 2, ids[2:4]}, {4, 2, ids[4:]}, {5, 2, []string{}}, {50, 1, []string{}},
	} {
		got, total, err := page(tc.offset, tc.limit, 0)
		require.NoError(t, err)
		assert.Equal(t, 5, total)
		assert.Equal(t, tc.want, got, "offset %d limit %d", tc.offset, tc.limit)
	}
	got, total, err := page(0, 10, 5)
	require.NoError(t, err, "as many orders as the bound")
	assert.Equal(t, 5, total)
	assert.Equal(t, ids, got)
	_, _, err = page(0, 1, 4)
	assert.Equal(t, core.ReasonTooManyOrders, core.ReasonOf(err))

	// fn's error ends the page and is answered.
	_, err = o.svc.OrderPage(ctx, "p1", "orders", 0, 10, 0, func(core.Transaction) error { return assert.AnError })
	assert.ErrorContains(t, err, assert.AnError.Error())
}
