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

// BenchmarkActivateRecord is the store's share of one activation from
// stock: find the SIM by its ICCID, take the pool's first available
// number, then write the SIM, the number and the new subscription. The
// activations run 64 to an Update, as the engine's group commits batch
// them, with bbolt's fsync off: the figure is the fn's CPU (decoding,
// encoding, indexes) and a 64th of a commit's page writes.
func BenchmarkActivateRecord(b *testing.B) {
	db := openDB(b)
	db.Bolt().NoSync = true
	const stock, chunk, perUpdate = 200_000, 25_000, 64
	iccid := func(i int) string { return strconv.Itoa(89014104_000000000 + i) }
	for start := 0; start < stock; start += chunk {
		require.NoError(b, db.Update(ctx, func(tx core.Tx) error {
			for i := start; i < start+chunk; i++ {
				s := core.SIM{ID: iccid(i), ICCID: iccid(i), IMSI: strconv.Itoa(505010_000000000 + i), Owner: "p", Status: core.SIMPending}
				if err := tx.PutSIM(s); err != nil {
					return err
				}
				n := core.Number{MSISDN: strconv.Itoa(61400000000 + i), Owner: "p", Pool: "au", Status: core.NumberIsAvailable}
				if err := tx.PutNumber(n); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	if b.N > stock {
		b.Fatalf("more than %d activations: run with -benchtime=Nx, N <= %d", stock, stock)
	}
	activate := func(tx core.Tx, i int) error {
		sim, ok, err := tx.SIMByICCID(iccid(i))
		if err != nil || !ok {
			return fmt.Errorf("SIM %d: %v, %v", i, ok, err)
		}
		n, ok, err := tx.FirstAvailableNumber("p", "au")
		if err != nil || !ok {
			return fmt.Errorf("number: %v, %v", ok, err)
		}
		sub := core.Subscription{ID: "sub-" + strconv.Itoa(i), Partner: "p", Channel: "mvnx", Status: core.SubActive,
			SIM: sim.ID, ICCID: sim.ICCID, IMSI: sim.IMSI, MSISDN: n.MSISDN, IMEI: strconv.Itoa(356938035000000 + i),
			Plan: "P8DN", Products: []core.ProductChange{{ProductID: "DATA-10G", Action: core.ProductAdd}}, CreatedAt: t0, UpdatedAt: t0}
		sim.Status, sim.Subscription = core.SIMActive, sub.ID
		n.Status, n.Subscription = core.NumberIsAssigned, sub.ID
		if err := tx.PutSIM(sim); err != nil {
			return err
		}
		if err := tx.PutNumber(n); err != nil {
			return err
		}
		return tx.PutSubscription(sub)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += perUpdate {
		require.NoError(b, db.Update(ctx, func(tx core.Tx) error {
			for i := done; i < min(done+perUpdate, b.N); i++ {
				if err := activate(tx, i); err != nil {
					return err
				}
			}
			return nil
		}))
	}
}
