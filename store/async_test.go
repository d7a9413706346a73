package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"simgate/core"
	"simgate/store"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func sec(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// entries counts the keys of a bucket as committed, so a test can tell that
// an index holds no stale entry.
func entries(t *testing.T, db *store.DB, bucket string) int {
	t.Helper()
	n := 0
	require.NoError(t, db.Bolt().View(func(btx *bbolt.Tx) error {
		n = btx.Bucket([]byte(bucket)).Stats().KeyN
		return nil
	}))
	return n
}

func transaction(id, partnerTxID string, status core.TxStatus, created time.Time) core.Transaction {
	return core.Transaction{ID: id, Partner: "demo-rsp", Channel: core.ChannelMVNX, Operation: "ActivateSubscriber",
		PartnerTxID: partnerTxID, BodyHash: "hash-" + id, Ack: []byte("<ack/>"), AckStatus: 200, Status: status,
		History: []core.TxEvent{{At: created, Status: core.TxReceived}}, CreatedAt: created, UpdatedAt: created}
}

func putAll[T any](put func(T) error, vs ...T) error {
	for _, v := range vs {
		if err := put(v); err != nil {
			return err
		}
	}
	return nil
}

func TestTransactionRoundTripAndKey(t *testing.T) {
	db := openDB(t)
	x := transaction("tx-1", "msg-1", core.TxPartial, t0)
	x.CorrelationID, x.CallbackURL, x.Context = "corr", "https://partner.example/cb", []byte(`{"h":1}`)
	x.Job = core.Job{Activations: []core.Activate{
		{Ref: core.TxRef{Partner: "demo-rsp", Channel: core.ChannelMVNX, PartnerTxID: "msg-1"}, SIM: core.SIMRef{ICCID: "8961"}, Plan: "P1"},
		{SIM: core.SIMRef{ICCID: "8962"}, Number: core.NumberChoice{Mode: core.NumberFromPool, Pool: "au"}},
	}}
	x.Results = []core.ItemResult{
		{OK: true, Subscription: &core.Subscription{ID: "sub-1", Partner: "demo-rsp", Status: core.SubActive, CreatedAt: t0, UpdatedAt: t0}},
		{Error: &core.ErrorInfo{Kind: core.KindConflict, Reason: core.ReasonSIMNotAvailable, Field: "sim", Message: "taken"}},
	}
	x.History = append(x.History, core.TxEvent{At: sec(1), Status: core.TxPartial, Note: "done"})
	nul := transaction("tx-0", "x\x00y", core.TxReceived, t0)
	nul.Operation = "Op"
	update(t, db, func(tx core.Tx) error { return putAll(tx.PutTransaction, x, nul) })
	byKey := func(tx core.Tx, partner core.PartnerID, ch core.Channel, op, id string) string {
		got, ok, err := tx.TransactionByKey(partner, ch, op, id)
		require.NoError(t, err)
		if !ok {
			return ""
		}
		return got.ID
	}
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.Transaction("tx-1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, x, got)
		got, ok, err = tx.TransactionByKey("demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, x, got)
		assert.Empty(t, byKey(tx, "other-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1"))
		assert.Empty(t, byKey(tx, "demo-rsp", core.ChannelSPS, "ActivateSubscriber", "msg-1"))
		assert.Empty(t, byKey(tx, "demo-rsp", core.ChannelMVNX, "Suspend", "msg-1"))
		assert.Empty(t, byKey(tx, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-2"))
		// A 0x00 inside a part can build another key's index entry; only the
		// exact key counts.
		assert.Equal(t, "tx-0", byKey(tx, "demo-rsp", core.ChannelMVNX, "Op", "x\x00y"))
		assert.Empty(t, byKey(tx, "demo-rsp", core.ChannelMVNX, "Op\x00x", "y"))
		return nil
	})

	// Another transaction under the same key is refused and writes nothing.
	err := db.Update(ctx, func(tx core.Tx) error { return tx.PutTransaction(transaction("tx-2", "msg-1", core.TxReceived, t0)) })
	require.ErrorIs(t, err, store.ErrKeyTaken)
	view(t, db, func(tx core.Tx) error {
		_, ok, err := tx.Transaction("tx-2")
		assert.False(t, ok)
		assert.Equal(t, "tx-1", byKey(tx, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1"))
		return err
	})

	// A changed partner id moves the key; transactions without one have none.
	x.PartnerTxID = "msg-9"
	update(t, db, func(tx core.Tx) error {
		return putAll(tx.PutTransaction, x, transaction("tx-3", "", core.TxSucceeded, t0), transaction("tx-4", "", core.TxSucceeded, t0))
	})
	view(t, db, func(tx core.Tx) error {
		assert.Empty(t, byKey(tx, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1"))
		assert.Equal(t, "tx-1", byKey(tx, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-9"))
		assert.Empty(t, byKey(tx, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", ""))
		return nil
	})
	assert.Equal(t, 2, entries(t, db, "tx_by_key"))
	assert.Equal(t, 4, entries(t, db, "transactions"))
}

func TestUnfinishedTransactions(t *testing.T) {
	db := openDB(t)
	unfinished := func(tx core.Tx, limit int) []string {
		ids, err := tx.UnfinishedTransactions(limit)
		require.NoError(t, err)
		return ids
	}
	update(t, db, func(tx core.Tx) error {
		return putAll(tx.PutTransaction,
			transaction("a", "m-a", core.TxReceived, sec(2)),
			transaction("b", "m-b", core.TxReceived, sec(0)),
			transaction("c", "m-c", core.TxSucceeded, sec(-3600)),
			transaction("e", "m-e", core.TxReceived, sec(1)), // same instant as d: id order
			transaction("d", "m-d", core.TxReceived, sec(1)),
		)
	})
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, []string{"b", "d", "e", "a"}, unfinished(tx, 0))
		assert.Equal(t, []string{"b", "d", "e", "a"}, unfinished(tx, -1))
		assert.Equal(t, []string{"b", "d"}, unfinished(tx, 2))
		return nil
	})

	// Finishing a transaction in any way takes it out of the index, at once
	// inside the fn and for good after the commit.
	update(t, db, func(tx core.Tx) error {
		for id, status := range map[string]core.TxStatus{"b": core.TxSucceeded, "d": core.TxFailed, "e": core.TxPartial} {
			x, _, err := tx.Transaction(id)
			require.NoError(t, err)
			x.Status = status
			require.NoError(t, tx.PutTransaction(x))
		}
		assert.Equal(t, []string{"a"}, unfinished(tx, 0))
		return nil
	})
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, []string{"a"}, unfinished(tx, 0))
		return nil
	})
	assert.Equal(t, 1, entries(t, db, "tx_unfinished"))
}

func delivery(id, txID string, partner core.PartnerID, status core.DeliveryStatus, next, created time.Time) core.Delivery {
	return core.Delivery{ID: id, Partner: partner, TxID: txID, Event: "activation.completed", URL: "https://partner.example/cb",
		ContentType: "application/json", Body: []byte(`{"id":"` + id + `"}`), Accept: core.Accept2xx,
		Status: status, NextAt: next, CreatedAt: created}
}

// idsOf answers a function that takes a delivery listing's results whole
// (ids(tx.DueDeliveries(...))) and answers the ids, in order.
func idsOf(t *testing.T) func([]core.Delivery, error) []string {
	return func(ds []core.Delivery, err error) []string {
		t.Helper()
		require.NoError(t, err)
		out := []string{}
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
}

func TestDeliveryIndexes(t *testing.T) {
	db, ids := openDB(t), idsOf(t)
	d1 := delivery("d1", "tx-1", "a", core.DeliveryPending, sec(2), sec(0))
	d2 := delivery("d2", "tx-1", "a", core.DeliveryPending, time.Time{}, sec(1)) // zero NextAt sorts first
	d3 := delivery("d3", "tx-2", "b", core.DeliveryPending, sec(1), sec(-1))
	d4 := delivery("d4", "tx-1", "b", core.DeliveryPending, sec(1), sec(1))
	d5 := delivery("d5", "tx-10", "a", core.DeliveryDelivered, sec(0), sec(3))
	d1.Attempts = []core.Attempt{{At: sec(1), StatusCode: 503, Error: "unavailable", Duration: 12.5}}
	update(t, db, func(tx core.Tx) error { return putAll(tx.PutDelivery, d1, d2, d3, d4, d5) })
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.Delivery("d1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, d1, got)

		assert.Equal(t, []string{"d2", "d3", "d4"}, ids(tx.DueDeliveries(sec(1), 0, nil)))
		assert.Equal(t, []string{"d2", "d3", "d4", "d1"}, ids(tx.DueDeliveries(sec(3600), -1, nil)))
		assert.Equal(t, []string{"d2", "d3"}, ids(tx.DueDeliveries(sec(3600), 2, nil)))
		assert.Equal(t, []string{"d2"}, ids(tx.DueDeliveries(time.Time{}, 0, nil)))

		assert.Equal(t, []string{"d1", "d2", "d4"}, ids(tx.DeliveriesOf("tx-1")))
		assert.Equal(t, []string{"d5"}, ids(tx.DeliveriesOf("tx-10")))
		assert.Equal(t, []string{}, ids(tx.DeliveriesOf("tx-")))

		assert.Equal(t, []string{"d3", "d1", "d2", "d4"}, ids(tx.DeliveriesByStatus(core.DeliveryPending, 0)))
		assert.Equal(t, []string{"d3", "d1"}, ids(tx.DeliveriesByStatus(core.DeliveryPending, 2)))
		assert.Equal(t, []string{"d5"}, ids(tx.DeliveriesByStatus(core.DeliveryDelivered, 0)))
		assert.Equal(t, []string{}, ids(tx.DeliveriesByStatus(core.DeliveryDead, 0)))
		return nil
	})

	// skip sees each due entry's id and partner; the scan stops at the
	// first entry past until, and after limit answers, skipped ones aside.
	view(t, db, func(tx core.Tx) error {
		var seen []string
		skipA := func(id string, p core.PartnerID) bool {
			seen = append(seen, id+"/"+string(p))
			return p == "a"
		}
		assert.Equal(t, []string{"d3", "d4"}, ids(tx.DueDeliveries(sec(1), 0, skipA)))
		assert.Equal(t, []string{"d2/a", "d3/b", "d4/b"}, seen)
		seen = nil
		assert.Equal(t, []string{"d3"}, ids(tx.DueDeliveries(sec(3600), 1, skipA)))
		assert.Equal(t, []string{"d2/a", "d3/b"}, seen)
		return nil
	})

	// A retry moves d1 forward in the queue; delivered and dead ones leave it.
	d1.NextAt = sec(-1)
	d3.Status, d4.Status = core.DeliveryDelivered, core.DeliveryDead
	update(t, db, func(tx core.Tx) error {
		require.NoError(t, putAll(tx.PutDelivery, d1, d3, d4))
		assert.Equal(t, []string{"d2", "d1"}, ids(tx.DueDeliveries(sec(3600), 0, nil)))
		return nil
	})
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, []string{"d2", "d1"}, ids(tx.DueDeliveries(sec(3600), 0, nil)))
		assert.Equal(t, []string{"d2"}, ids(tx.DueDeliveries(sec(-2), 0, nil)))
		assert.Equal(t, []string{"d1", "d2"}, ids(tx.DeliveriesByStatus(core.DeliveryPending, 0)))
		assert.Equal(t, []string{"d3", "d5"}, ids(tx.DeliveriesByStatus(core.DeliveryDelivered, 0)))
		assert.Equal(t, []string{"d4"}, ids(tx.DeliveriesByStatus(core.DeliveryDead, 0)))
		ds, err := tx.DeliveriesOf("tx-1")
		require.NoError(t, err)
		assert.Equal(t, []core.Delivery{d1, d2, d4}, ds)
		return nil
	})
	assert.Equal(t, 2, entries(t, db, "deliveries_due"))
	assert.Equal(t, 5, entries(t, db, "deliveries_by_tx"))
	assert.Equal(t, 5, entries(t, db, "deliveries_by_status"))

	// An operator's replay puts a dead delivery back in the queue.
	d4.Status, d4.NextAt = core.DeliveryPending, sec(0)
	update(t, db, func(tx core.Tx) error { return tx.PutDelivery(d4) })
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, []string{"d2", "d1", "d4"}, ids(tx.DueDeliveries(sec(0), 0, nil)))
		assert.Equal(t, []string{}, ids(tx.DeliveriesByStatus(core.DeliveryDead, 0)))
		return nil
	})
}

func TestPlan(t *testing.T) {
	db := openDB(t)
	p := core.Plan{Code: "PLAN-A", Partners: []core.PartnerID{"demo-rsp", "other-rsp"}, Offerings: []string{"o1", "o2"}}
	update(t, db, func(tx core.Tx) error { return tx.PutPlan(p) })
	p.Offerings = []string{"o3"}
	update(t, db, func(tx core.Tx) error { return tx.PutPlan(p) })
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.Plan("PLAN-A")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, p, got)
		_, ok, err = tx.Plan("PLAN-B")
		assert.False(t, ok)
		return err
	})
	update(t, db, func(tx core.Tx) error { assert.Error(t, tx.PutPlan(core.Plan{})); return nil })
}

// A failing fn leaves no record and no index entry of the async buckets,
// neither new ones nor changes to committed ones.
func TestAsyncRollback(t *testing.T) {
	db, ids := openDB(t), idsOf(t)
	x1 := transaction("tx-1", "m-1", core.TxReceived, sec(0))
	d1 := delivery("d1", "tx-1", "a", core.DeliveryPending, sec(0), sec(0))
	p1 := core.Plan{Code: "P1", Partners: []core.PartnerID{"a"}}
	update(t, db, func(tx core.Tx) error {
		return errors.Join(tx.PutTransaction(x1), tx.PutDelivery(d1), tx.PutPlan(p1))
	})
	counts := func() map[string]int {
		out := map[string]int{}
		for _, b := range []string{"plans", "transactions", "tx_by_key", "tx_unfinished",
			"deliveries", "deliveries_due", "deliveries_by_tx", "deliveries_by_status"} {
			out[b] = entries(t, db, b)
		}
		return out
	}
	before := counts()

	err := db.Update(ctx, func(tx core.Tx) error {
		x1b := x1
		x1b.Status, x1b.PartnerTxID = core.TxSucceeded, "m-1b"
		d1b := d1
		d1b.Status, d1b.TxID = core.DeliveryDead, "tx-2"
		require.NoError(t, errors.Join(
			tx.PutTransaction(x1b), tx.PutTransaction(transaction("tx-2", "m-2", core.TxReceived, sec(1))),
			tx.PutDelivery(d1b), tx.PutDelivery(delivery("d2", "tx-2", "a", core.DeliveryPending, sec(1), sec(1))),
			tx.PutPlan(core.Plan{Code: "P1"}), tx.PutPlan(core.Plan{Code: "P2"}),
		))
		got, err := tx.UnfinishedTransactions(0)
		require.NoError(t, err)
		assert.Equal(t, []string{"tx-2"}, got)
		assert.Equal(t, []string{"d2"}, ids(tx.DueDeliveries(sec(10), 0, nil)))
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)

	assert.Equal(t, before, counts())
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.TransactionByKey("demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "m-1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, x1, got)
		for _, key := range []string{"m-1b", "m-2"} {
			_, ok, err = tx.TransactionByKey("demo-rsp", core.ChannelMVNX, "ActivateSubscriber", key)
			require.NoError(t, err)
			assert.False(t, ok, key)
		}
		unfinished, err := tx.UnfinishedTransactions(0)
		require.NoError(t, err)
		assert.Equal(t, []string{"tx-1"}, unfinished)
		_, ok, _ = tx.Delivery("d2")
		assert.False(t, ok)
		assert.Equal(t, []string{"d1"}, ids(tx.DueDeliveries(sec(10), 0, nil)))
		assert.Equal(t, []string{"d1"}, ids(tx.DeliveriesOf("tx-1")))
		assert.Equal(t, []string{}, ids(tx.DeliveriesOf("tx-2")))
		assert.Equal(t, []string{}, ids(tx.DeliveriesByStatus(core.DeliveryDead, 0)))
		plan, _, _ := tx.Plan("P1")
		assert.Equal(t, p1, plan)
		_, ok, _ = tx.Plan("P2")
		assert.False(t, ok)
		return nil
	})
}
