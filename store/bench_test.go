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
