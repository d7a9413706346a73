package storetest

import (
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

// contractConcurrentSeq: concurrent Updates drawing from one sequence get
// every value from 1 exactly once; a second sequence drawn in the same
// fns counts on its own.
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
		assert.True(t, slices.IsSorted(got[g]), "one caller's values grow")
	}
	slices.Sort(all)
	want := make([]uint64, claimers*rounds)
	for i := range want {
		want[i] = uint64(i + 1)
	}
	assert.Equal(t, want, all, "unique and gap-free")
	for _, vs := range byParity {
		slices.Sort(vs)
		assert.Equal(t, want[:claimers*rounds/2], vs)
	}
	var next uint64
	update(t, st, func(tx core.Tx) (err error) { next, err = tx.NextSeq("seq"); return err })
	assert.Equal(t, uint64(claimers*rounds+1), next)
}
