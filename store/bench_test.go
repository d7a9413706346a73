package store_test

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/store"
)

// BenchmarkGroupCommit measures durable commits per second as concurrent
// writers grow: with group commit, one fsync acknowledges a whole batch.
func BenchmarkGroupCommit(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			db := openDB(b)
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range writers {
				ops := b.N / writers
				if w < b.N%writers {
					ops++
				}
				wg.Go(func() {
					for range ops {
						hash := store.HashSecret(strconv.FormatInt(next.Add(1), 10))
						if err := db.Update(ctx, func(tx core.Tx) error { return tx.PutSession(session(hash)) }); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			st := db.Stats()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
			b.ReportMetric(float64(st.Requests)/float64(st.Batches), "reqs/batch")
		})
	}
}

// BenchmarkFirstAvailableNumber shows that the lookup seeks rather than
// scans: its cost does not grow with the 1,000,000 available numbers.
func BenchmarkFirstAvailableNumber(b *testing.B) {
	db := openDB(b)
	const total, chunk = 1_000_000, 50_000
	for start := 0; start < total; start += chunk {
		require.NoError(b, db.Update(ctx, func(tx core.Tx) error {
			for i := start; i < start+chunk; i++ {
				n := core.Number{MSISDN: strconv.Itoa(61400000000 + i), Owner: "p", Pool: "au", Status: core.NumberIsAvailable}
				if err := tx.PutNumber(n); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	for b.Loop() {
		require.NoError(b, db.View(ctx, func(tx core.Tx) error {
			n, ok, err := tx.FirstAvailableNumber("p", "au")
			if err == nil && (!ok || n.MSISDN != "61400000000") {
				err = fmt.Errorf("got %+v, %v", n, ok)
			}
			return err
		}))
	}
}

// BenchmarkDueDeliveries shows that the dispatcher's poll reads the due
// index from its front: its cost does not grow with the 200,000 deliveries
// waiting for a later retry.
func BenchmarkDueDeliveries(b *testing.B) {
	db := openDB(b)
	const total, chunk, due = 200_000, 50_000, 10
	for start := 0; start < total; start += chunk {
		require.NoError(b, db.Update(ctx, func(tx core.Tx) error {
			for i := start; i < start+chunk; i++ {
				next := t0.Add(time.Hour)
				if i < due {
					next = t0
				}
				id := fmt.Sprintf("msg_%08d", total-i) // id order differs from time order
				d := core.Delivery{ID: id, Partner: "p", TxID: id, Status: core.DeliveryPending, NextAt: next, CreatedAt: t0}
				if err := tx.PutDelivery(d); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	for b.Loop() {
		require.NoError(b, db.View(ctx, func(tx core.Tx) error {
			ds, err := tx.DueDeliveries(t0, 256, nil)
			if err == nil && len(ds) != due {
				err = fmt.Errorf("got %d due deliveries", len(ds))
			}
			return err
		}))
	}
}

// BenchmarkExecuteRecord is the store's share of executing one
// asynchronous item: read the transaction, record its outcome, write one
// delivery, then record the delivery's attempt; all in one fn, so the
// figure is CPU (decoding, encoding, indexes), not fsync.
func BenchmarkExecuteRecord(b *testing.B) {
	db := openDB(b)
	tr := core.Transaction{ID: "tx", Partner: "p", Channel: "mvnx", Operation: "op", PartnerTxID: "k", Status: core.TxReceived,
		Ack: make([]byte, 400), Context: make([]byte, 120), CreatedAt: t0, UpdatedAt: t0,
		History: []core.TxEvent{{At: t0, Status: core.TxReceived}},
		Job:     core.Job{Activations: []core.Activate{{Ref: core.TxRef{Partner: "p"}, SIM: core.SIMRef{ICCID: "89014104000000000000"}}}}}
	require.NoError(b, db.Update(ctx, func(tx core.Tx) error { return tx.PutTransaction(tr) }))
	b.ReportAllocs()
	i := 0
	require.NoError(b, db.Update(ctx, func(tx core.Tx) error {
		for b.Loop() {
			i++
			x, _, err := tx.Transaction("tx")
			if err != nil {
				return err
			}
			x.Status, x.Results = core.TxReceived, []core.ItemResult{{OK: true, Subscription: &core.Subscription{ID: "sub"}}}
			if err := tx.PutTransaction(x); err != nil {
				return err
			}
			id := "msg_" + strconv.Itoa(i)
			if err := tx.PutDelivery(core.Delivery{ID: id, Partner: "p", TxID: "tx", Body: make([]byte, 500), Status: core.DeliveryPending, NextAt: t0, CreatedAt: t0}); err != nil {
				return err
			}
			d, _, err := tx.Delivery(id)
			if err != nil {
				return err
			}
			d.Status, d.Attempts = core.DeliveryDelivered, []core.Attempt{{At: t0, StatusCode: 200}}
			if err := tx.PutDelivery(d); err != nil {
				return err
			}
		}
		return nil
	}))
}
