package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
)

const (
	claimers = 16 // concurrent Updates
	rounds   = 4  // Updates per goroutine
)

// contractConcurrentNumbers: concurrent Updates that each take the first
// available number and assign it never hand one number out twice, and
// run out exactly when the pool does. A store may run a fn more than once;
// each goroutine keeps what its last (committed) run took.
func contractConcurrentNumbers(t *testing.T, st core.Store) {
	const pool = claimers*rounds - 3 // some claims find the pool empty
	update(t, st, func(tx core.Tx) error {
		for i := range pool {
			if err := tx.PutNumber(core.Number{MSISDN: fmt.Sprintf("6140000%04d", i), Owner: "p", Pool: "au", Status: core.NumberIsAvailable}); err != nil {
				return err
			}
		}
		return tx.PutNumber(core.Number{MSISDN: "6140000000", Owner: "q", Pool: "au", Status: core.NumberIsAvailable})
	})
	taken := make([][]string, claimers)
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	for g := range claimers {
		wg.Go(func() {
			for r := range rounds {
				sub := fmt.Sprintf("sub-%d-%d", g, r)
				var got string
				err := st.Update(ctx, func(tx core.Tx) error {
					got = ""
					n, ok, err := tx.FirstAvailableNumber("p", "au")
					if err != nil || !ok {
						return err
					}
					n.Status, n.Subscription = core.NumberIsAssigned, sub
					if err := tx.PutNumber(n); err != nil {
						return err
					}
					got = n.MSISDN
					return nil
				})
				if err != nil {
					errs[g] = err
					return
				}
				if got != "" {
					taken[g] = append(taken[g], got+"="+sub)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var all []string
	for _, ts := range taken {
		all = append(all, ts...)
	}
	assert.Len(t, all, pool, "every number was handed out, none twice")
	msisdns := map[string]bool{}
	for _, a := range all {
		msisdn, sub, _ := strings.Cut(a, "=")
		assert.False(t, msisdns[msisdn], "%s handed out twice", msisdn)
		msisdns[msisdn] = true
		n, ok := lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.Number(msisdn) })
		require.True(t, ok)
		assert.Equal(t, core.NumberIsAssigned, n.Status)
		assert.Equal(t, sub, n.Subscription, "the number went to the Update that was told it had it")
	}
	_, ok := lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.FirstAvailableNumber("p", "au") })
	assert.False(t, ok)
	n, _ := lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.FirstAvailableNumber("q", "au") })
	assert.Equal(t, "6140000000", n.MSISDN, "another owner's pool was left alone")
}

// contractConcurrentSeq: concurrent Updates drawing from one sequence never
// get a value twice, and each caller's values increase; a second sequence
// drawn in the same fns counts on its own; a later draw is larger than
// every earlier one. Values may have gaps (a conflicting Update that runs
// again may consume values).
func contractConcurrentSeq(t *testing.T, st core.Store) {
	got := make([][]uint64, claimers)
	other := make([][]uint64, claimers)
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	for g := range claimers {
		wg.Go(func() {
			for range rounds {
				var a, b uint64
				err := st.Update(ctx, func(tx core.Tx) error {
					var err error
					if a, err = tx.NextSeq("seq"); err != nil {
						return err
					}
					b, err = tx.NextSeq(fmt.Sprintf("seq-%d", g%2))
					return err
				})
				if err != nil {
					errs[g] = err
					return
				}
				got[g] = append(got[g], a)
				other[g] = append(other[g], b)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var all []uint64
	byParity := [2][]uint64{}
	for g := range claimers {
		all = append(all, got[g]...)
		byParity[g%2] = append(byParity[g%2], other[g]...)
		assert.True(t, increasing(got[g]), "one caller's values increase: %v", got[g])
		assert.True(t, increasing(other[g]), "one caller's values increase: %v", other[g])
	}
	slices.Sort(all)
	assert.Len(t, all, claimers*rounds)
	assert.True(t, increasing(all), "every value answered once")
	assert.NotZero(t, all[0], "values start at 1")
	for _, vs := range byParity {
		slices.Sort(vs)
		assert.Len(t, vs, claimers*rounds/2)
		assert.True(t, increasing(vs), "every value of a second sequence answered once")
		assert.NotZero(t, vs[0])
	}
	var next uint64
	update(t, st, func(tx core.Tx) (err error) { next, err = tx.NextSeq("seq"); return err })
	assert.Greater(t, next, all[len(all)-1], "a later draw is larger")
}

// increasing reports whether every value is larger than the one before.
func increasing(vs []uint64) bool {
	for i := 1; i < len(vs); i++ {
		if vs[i] <= vs[i-1] {
			return false
		}
	}
	return true
}

// contractConcurrentSameKey: Updates that look a transaction key up and
// create the transaction when it is absent (the engine's Submit), run
// concurrently with one key, all succeed and all answer the one
// transaction that was stored.
func contractConcurrentSameKey(t *testing.T, st core.Store) {
	answered := make([]string, claimers)
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	for g := range claimers {
		wg.Go(func() {
			errs[g] = st.Update(ctx, func(tx core.Tx) error {
				answered[g] = ""
				prev, ok, err := tx.TransactionByKey("demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1")
				if err != nil {
					return err
				}
				if ok {
					answered[g] = prev.ID
					return nil
				}
				seq, err := tx.NextSeq("transaction")
				if err != nil {
					return err
				}
				x := txn(fmt.Sprintf("tx-%d", g), "msg-1", core.TxReceived, at(g))
				x.Seq = seq
				if err := tx.PutTransaction(x); err != nil {
					return err
				}
				answered[g] = x.ID
				return nil
			})
		})
	}
	wg.Wait()
	for g, err := range errs {
		require.NoError(t, err, "caller %d", g)
	}
	winner := answered[0]
	for g, id := range answered {
		assert.Equal(t, winner, id, "caller %d", g)
	}
	assert.Equal(t, winner, txByKey(t, st, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1"))
	assert.Equal(t, []string{winner}, read(t, st, func(tx core.Tx) ([]string, error) { return tx.UnfinishedTransactions(0) }))
	x, _ := lookup(t, st, func(tx core.Tx) (core.Transaction, bool, error) { return tx.Transaction(winner) })
	assert.NotZero(t, x.Seq, "the stored transaction keeps the value it drew")
}

// contractConcurrentReadModifyWrite: concurrent Updates that each read a
// record and write it back changed lose no change: each sees the one
// committed before it.
func contractConcurrentReadModifyWrite(t *testing.T, st core.Store) {
	update(t, st, func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: "P", Partners: []core.PartnerID{"p"}}) })
	errs := make([]error, claimers)
	var wg sync.WaitGroup
	for g := range claimers {
		wg.Go(func() {
			for r := range rounds {
				err := st.Update(ctx, func(tx core.Tx) error {
					pl, ok, err := tx.Plan("P")
					if err != nil || !ok {
						return errors.Join(err, errors.New("plan P is gone"))
					}
					pl.Offerings = append(pl.Offerings, fmt.Sprintf("o-%02d-%d", g, r))
					return tx.PutPlan(pl)
				})
				if err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	pl, _ := lookup(t, st, func(tx core.Tx) (core.Plan, bool, error) { return tx.Plan("P") })
	assert.Len(t, pl.Offerings, claimers*rounds, "no lost update")
	seen := map[string]bool{}
	for _, o := range pl.Offerings {
		assert.False(t, seen[o], o)
		seen[o] = true
	}
}
