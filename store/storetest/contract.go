package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"simgate/core"
)

// Contract runs the behaviour every core.Store must have. open answers a
// new, empty store for one subtest (closed by open's own t.Cleanup).
//
// The scenarios say what the core relies on, so that the embedded and the
// PostgreSQL store give the same answers: round trips, index maintenance,
// ordering and limits, transactional semantics and concurrency. Update fns
// here never assert: a store may run a fn more than once (a retried
// serialisation failure), so they only return errors and record what they
// saw, and the test checks the record after the Update. Times carry
// microseconds, the precision both stores keep.
func Contract(t *testing.T, open func(t *testing.T) core.Store) {
	for _, s := range []struct {
		name string
		run  func(t *testing.T, st core.Store)
	}{
		{"RoundTrip", contractRoundTrip},
		{"AbsentKeys", contractAbsent},
		{"PartnerIndexes", contractPartnerIndexes},
		{"AccountChildren", contractAccountChildren},
		{"ProductsOf", contractProductsOf},
		{"SIMIndexes", contractSIMIndexes},
		{"NumberIndexes", contractNumberIndexes},
		{"FirstAvailableNumber", contractFirstAvailableNumber},
		{"AgedNumbers", contractAgedNumbers},
		{"SQsByIdentifier", contractSQsByIdentifier},
		{"SubscriptionIndexes", contractSubscriptionIndexes},
		{"NextSeq", contractNextSeq},
		{"TransactionKey", contractTransactionKey},
		{"UnfinishedTransactions", contractUnfinished},
		{"TransactionsOf", contractTransactionsOf},
		{"TransactionsOfFromAndCount", contractTransactionsOfFrom},
		{"DeliveryQueues", contractDeliveries},
		{"DueDeliveriesSkip", contractDueSkip},
		{"Hubs", contractHubs},
		{"SessionsByExpiry", contractSessionsByExpiry},
		{"LongLists", contractLongLists},
		{"RewriteInOneUpdate", contractRewriteInOneUpdate},
		{"FailedUpdateWritesNothing", contractRollback},
		{"LaterUpdateSeesEarlierCommits", contractLaterSees},
		{"ViewRefusesWrites", contractViewRefuses},
		{"ReadYourWrites", contractReadYourWrites},
		{"ValuesAreCopies", contractCopies},
		{"ConcurrentNumberClaims", contractConcurrentNumbers},
		{"ConcurrentNextSeq", contractConcurrentSeq},
		{"ConcurrentSameKey", contractConcurrentSameKey},
		{"ConcurrentReadModifyWrite", contractConcurrentReadModifyWrite},
		{"CancelledContext", contractCancelled},
		{"SandboxActivate", contractSandboxActivate},
		{"SandboxSubmitAndExecute", contractSandboxEngine},
	} {
		t.Run(s.name, func(t *testing.T) { s.run(t, open(t)) })
	}
}

var ctx = context.Background()

// t0 has microseconds and no more: PostgreSQL's timestamptz keeps
// microseconds, bbolt's JSON nanoseconds.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func update(t *testing.T, st core.Store, fn func(core.Tx) error) {
	t.Helper()
	require.NoError(t, st.Update(ctx, fn))
}

func view(t *testing.T, st core.Store, fn func(core.Tx) error) {
	t.Helper()
	require.NoError(t, st.View(ctx, fn))
}

// read answers what fn reads in a View.
func read[T any](t *testing.T, st core.Store, fn func(core.Tx) (T, error)) T {
	t.Helper()
	var v T
	require.NoError(t, st.View(ctx, func(tx core.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	}))
	return v
}

// lookup answers a getter's value and ok, read in a View.
func lookup[T any](t *testing.T, st core.Store, fn func(core.Tx) (T, bool, error)) (T, bool) {
	t.Helper()
	var v T
	var ok bool
	require.NoError(t, st.View(ctx, func(tx core.Tx) error {
		var err error
		v, ok, err = fn(tx)
		return err
	}))
	return v, ok
}

func putAll[T any](put func(T) error, vs ...T) error {
	for _, v := range vs {
		if err := put(v); err != nil {
			return err
		}
	}
	return nil
}

// keys maps values to their keys, keeping the order.
func keys[T any, K any](vs []T, key func(T) K) []K {
	out := []K{}
	for _, v := range vs {
		out = append(out, key(v))
	}
	return out
}

func deliveryIDs(ds []core.Delivery) []string {
	return keys(ds, func(d core.Delivery) string { return d.ID })
}

func numberIDs(ns []core.Number) []string {
	return keys(ns, func(n core.Number) string { return n.MSISDN })
}
