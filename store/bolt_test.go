package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"simgate/core"
	"simgate/store"
)

var ctx = context.Background()

func openDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "simgate.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := db.Close(); !errors.Is(err, store.ErrClosed) {
			assert.NoError(t, err)
		}
	})
	return db
}

func update(t *testing.T, db *store.DB, fn func(core.Tx) error) {
	t.Helper()
	require.NoError(t, db.Update(ctx, fn))
}

func view(t *testing.T, db *store.DB, fn func(core.Tx) error) {
	t.Helper()
	require.NoError(t, db.View(ctx, fn))
}

// holdCommitter makes the committer run a fn that waits until release is
// called, so that Updates issued meanwhile queue up behind it.
func holdCommitter(t *testing.T, db *store.DB) (release func()) {
	t.Helper()
	held, done := make(chan struct{}), make(chan error, 1)
	gate := make(chan struct{})
	go func() {
		done <- db.Update(ctx, func(core.Tx) error {
			close(held)
			<-gate
			return nil
		})
	}()
	<-held
	return func() {
		close(gate)
		require.NoError(t, <-done)
	}
}

// inOneBatch runs fns as concurrent Updates that all share one commit.
func inOneBatch(t *testing.T, db *store.DB, fns ...func(core.Tx) error) []error {
	t.Helper()
	release := holdCommitter(t, db)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = db.Update(ctx, fn) })
	}
	require.Eventually(t, func() bool { return db.Queued() == len(fns) }, 10*time.Second, time.Millisecond)
	release()
	wg.Wait()
	return errs
}

func session(hash string) core.Session {
	return core.Session{TokenHash: hash, Partner: "p", CreatedAt: time.Unix(1700000000, 0).UTC()}
}

func TestOpenCreatesEveryBucketAndStampsVersion(t *testing.T) {
	db := openDB(t)
	names := []string{
		"partners", "partners_by_username", "partners_by_apikey", "accounts", "account_children",
		"service_types", "products", "products_by_owner", "sims", "sims_by_iccid", "sims_by_simnumber",
		"sims_by_imsi", "sims_by_eid", "numbers", "numbers_by_reservation", "numbers_available", "sqs",
		"sqs_by_identifier", "subscriptions", "subscriptions_by_iccid", "subscriptions_by_imsi",
		"subscriptions_by_msisdn", "subscriptions_by_imei", "sessions", "sessions_by_expiry", "plans", "transactions", "tx_by_key",
		"tx_unfinished", "tx_by_partner", "hubs", "hubs_by_partner", "deliveries", "deliveries_due", "deliveries_by_tx", "deliveries_by_status",
		"sequences", "meta",
	}
	require.NoError(t, db.Bolt().View(func(btx *bbolt.Tx) error {
		for _, name := range names {
			assert.NotNil(t, btx.Bucket([]byte(name)), name)
		}
		v := btx.Bucket([]byte("meta")).Get([]byte("schema_version"))
		assert.Equal(t, binary.BigEndian.AppendUint64(nil, store.SchemaVersion), v)
		return nil
	}))
	assert.Equal(t, uint64(4), uint64(store.SchemaVersion))
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "simgate.db")
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	newer := binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1)
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), newer)
	}))
	require.NoError(t, db.Close())

	_, err = store.Open(path, store.Options{})
	require.ErrorIs(t, err, store.ErrNewerSchema)
	assert.ErrorContains(t, err, "database 5, supported 4")

	// The refused file is left as it was.
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer bdb.Close()
	require.NoError(t, bdb.View(func(btx *bbolt.Tx) error {
		assert.Equal(t, newer, btx.Bucket([]byte("meta")).Get([]byte("schema_version")))
		return nil
	}))
}

func TestOpenTimesOutOnLockedFile(t *testing.T) {
	db := openDB(t)
	start := time.Now()
	_, err := store.Open(db.Path(), store.Options{Timeout: 50 * time.Millisecond})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestDataSurvivesCloseAndOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "simgate.db")
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	assert.Equal(t, path, db.Path())
	update(t, db, func(tx core.Tx) error {
		if _, err := tx.NextSeq("orders"); err != nil {
			return err
		}
		return tx.PutSIM(core.SIM{ID: "8961", ICCID: "8961", Owner: "p", Status: core.SIMHeld})
	})
	require.NoError(t, db.Close())

	db, err = store.Open(path, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	update(t, db, func(tx core.Tx) error {
		s, ok, err := tx.SIMByICCID("8961")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.SIMHeld, s.Status)
		n, err := tx.NextSeq("orders")
		assert.Equal(t, uint64(2), n)
		return err
	})
}

func TestClosedDB(t *testing.T) {
	db := openDB(t)
	require.NoError(t, db.Close())
	ran := false
	err := db.Update(ctx, func(core.Tx) error { ran = true; return nil })
	assert.ErrorIs(t, err, store.ErrClosed)
	assert.Equal(t, core.KindUnavailable, core.AsError(err).Kind)
	assert.False(t, ran)
	assert.ErrorIs(t, db.View(ctx, func(core.Tx) error { return nil }), store.ErrClosed)
	assert.ErrorIs(t, db.Close(), store.ErrClosed)
}

func TestCloseDrainsQueuedUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "simgate.db")
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	release := holdCommitter(t, db)
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			errs[i] = db.Update(ctx, func(tx core.Tx) error { return tx.PutSession(session(fmt.Sprint(i))) })
		})
	}
	require.Eventually(t, func() bool { return db.Queued() == len(errs) }, 10*time.Second, time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	release()
	wg.Wait()
	require.NoError(t, <-closed)
	for _, err := range errs {
		assert.NoError(t, err)
	}

	db, err = store.Open(path, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	view(t, db, func(tx core.Tx) error {
		for i := range errs {
			_, ok, err := tx.Session(fmt.Sprint(i))
			require.NoError(t, err)
			assert.True(t, ok, i)
		}
		return nil
	})
}

func TestViewIsReadOnly(t *testing.T) {
	db := openDB(t)
	view(t, db, func(tx core.Tx) error {
		assert.ErrorIs(t, tx.PutSession(session("h")), store.ErrReadOnly)
		assert.ErrorIs(t, tx.PutNumber(core.Number{MSISDN: "61400000000"}), store.ErrReadOnly)
		assert.ErrorIs(t, tx.PutPlan(core.Plan{Code: "P"}), store.ErrReadOnly)
		assert.ErrorIs(t, tx.PutTransaction(core.Transaction{ID: "t", Status: core.TxReceived}), store.ErrReadOnly)
		assert.ErrorIs(t, tx.PutDelivery(core.Delivery{ID: "d", Status: core.DeliveryPending}), store.ErrReadOnly)
		_, err := tx.NextSeq("s")
		assert.ErrorIs(t, err, store.ErrReadOnly)
		return nil
	})
}

func TestViewAndUpdateHonourDoneContext(t *testing.T) {
	db := openDB(t)
	done, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	assert.ErrorIs(t, db.Update(done, func(core.Tx) error { ran = true; return nil }), context.Canceled)
	assert.ErrorIs(t, db.View(done, func(core.Tx) error { ran = true; return nil }), context.Canceled)
	assert.False(t, ran)
}

func TestUpdateCancelledWhileQueuedNeverRuns(t *testing.T) {
	db := openDB(t)
	release := holdCommitter(t, db)
	cctx, cancel := context.WithCancel(ctx)
	ran := make(chan struct{}, 1)
	result := make(chan error, 1)
	go func() {
		result <- db.Update(cctx, func(tx core.Tx) error {
			ran <- struct{}{}
			return tx.PutSession(session("cancelled"))
		})
	}()
	require.Eventually(t, func() bool { return db.Queued() == 1 }, 10*time.Second, time.Millisecond)
	cancel()
	// The caller is answered at once, while the committer is still held.
	assert.ErrorIs(t, <-result, context.Canceled)
	release()
	update(t, db, func(tx core.Tx) error { return nil }) // the queue has been drained past it
	assert.Empty(t, ran)
	view(t, db, func(tx core.Tx) error {
		_, ok, err := tx.Session("cancelled")
		assert.False(t, ok)
		return err
	})
}

func TestUpdateStartedWaitsForCommitDespiteCancel(t *testing.T) {
	db := openDB(t)
	cctx, cancel := context.WithCancel(ctx)
	err := db.Update(cctx, func(tx core.Tx) error {
		cancel()
		return tx.PutSession(session("kept"))
	})
	require.NoError(t, err)
	view(t, db, func(tx core.Tx) error {
		_, ok, err := tx.Session("kept")
		assert.True(t, ok)
		return err
	})
}

// A failing fn in the middle of a shared batch leaves no write, and its
// numbers from NextSeq go back to the next fn; its neighbours commit.
func TestFailingFnIsIsolatedInSharedBatch(t *testing.T) {
	db := openDB(t)
	errFail := errors.New("rule failed")
	const n = 64
	seqs := make([]uint64, n)
	fns := make([]func(core.Tx) error, n)
	for i := range fns {
		fns[i] = func(tx core.Tx) error {
			seq, err := tx.NextSeq("batch")
			if err != nil {
				return err
			}
			seqs[i] = seq
			if err := tx.PutSession(session(fmt.Sprint(i))); err != nil {
				return err
			}
			if i%8 == 3 {
				return fmt.Errorf("command %d: %w", i, errFail)
			}
			return nil
		}
	}
	before := db.Stats()
	errs := inOneBatch(t, db, fns...)
	after := db.Stats()
	assert.Equal(t, uint64(1), after.Batches-before.Batches, "one commit for the whole batch")
	assert.Equal(t, uint64(n), after.Requests-before.Requests)

	var committed []uint64
	view(t, db, func(tx core.Tx) error {
		for i, err := range errs {
			_, ok, gerr := tx.Session(fmt.Sprint(i))
			require.NoError(t, gerr)
			if i%8 == 3 {
				assert.ErrorIs(t, err, errFail)
				assert.False(t, ok, "failed fn %d left a write", i)
			} else {
				assert.NoError(t, err)
				assert.True(t, ok, i)
				committed = append(committed, seqs[i])
			}
		}
		return nil
	})
	// Successful fns saw each other's increments, failed ones' were rolled back.
	assert.ElementsMatch(t, seq(1, len(committed)), committed)
	update(t, db, func(tx core.Tx) error {
		next, err := tx.NextSeq("batch")
		assert.Equal(t, uint64(len(committed)+1), next)
		return err
	})
}

func seq(from, to int) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, uint64(i))
	}
	return out
}

func TestPanickingFnIsIsolatedInSharedBatch(t *testing.T) {
	db := openDB(t)
	errs := inOneBatch(t, db,
		func(tx core.Tx) error { return tx.PutSession(session("before")) },
		func(tx core.Tx) error {
			_ = tx.PutSession(session("panicker"))
			panic("boom")
		},
		func(tx core.Tx) error { return tx.PutSession(session("after")) },
	)
	panicked := 0
	for _, err := range errs {
		if err != nil {
			panicked++
			assert.Equal(t, core.KindInternal, core.AsError(err).Kind)
			assert.ErrorContains(t, err, "boom")
		}
	}
	assert.Equal(t, 1, panicked)
	view(t, db, func(tx core.Tx) error {
		for hash, want := range map[string]bool{"before": true, "panicker": false, "after": true} {
			_, ok, err := tx.Session(hash)
			require.NoError(t, err)
			assert.Equal(t, want, ok, hash)
		}
		return nil
	})
	update(t, db, func(tx core.Tx) error { return nil }) // the committer survived
}

func TestReadYourWritesAcrossFnsOfOneBatch(t *testing.T) {
	db := openDB(t)
	errs := inOneBatch(t, db,
		func(tx core.Tx) error {
			return tx.PutNumber(core.Number{MSISDN: "61400000001", Owner: "p", Pool: "au", Status: core.NumberIsAvailable})
		},
		func(tx core.Tx) error {
			return tx.PutNumber(core.Number{MSISDN: "61400000002", Owner: "p", Pool: "au", Status: core.NumberIsAvailable})
		},
	)
	require.NoError(t, errors.Join(errs...))

	// Two fns of one batch each take the first available number: the second
	// sees the first's reservation and takes the next one.
	take := func(tx core.Tx) error {
		n, ok, err := tx.FirstAvailableNumber("p", "au")
		if err != nil || !ok {
			return fmt.Errorf("no number: %v", err)
		}
		n.Status = core.NumberIsReserved
		return tx.PutNumber(n)
	}
	require.NoError(t, errors.Join(inOneBatch(t, db, take, take)...))
	view(t, db, func(tx core.Tx) error {
		for _, msisdn := range []string{"61400000001", "61400000002"} {
			n, _, err := tx.Number(msisdn)
			require.NoError(t, err)
			assert.Equal(t, core.NumberIsReserved, n.Status, msisdn)
		}
		_, ok, err := tx.FirstAvailableNumber("p", "au")
		assert.False(t, ok)
		return err
	})
}

func TestConcurrentCounter(t *testing.T) {
	db := openDB(t)
	const writers, increments = 64, 50
	got := make([][]uint64, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range increments {
				var n uint64
				err := db.Update(ctx, func(tx core.Tx) (err error) {
					n, err = tx.NextSeq("counter")
					return err
				})
				if !assert.NoError(t, err) {
					return
				}
				got[w] = append(got[w], n)
			}
		})
	}
	wg.Wait()
	var all []uint64
	for _, g := range got {
		all = append(all, g...)
	}
	assert.ElementsMatch(t, seq(1, writers*increments), all)
	update(t, db, func(tx core.Tx) error {
		n, err := tx.NextSeq("counter")
		assert.Equal(t, uint64(writers*increments+1), n)
		return err
	})
	st := db.Stats()
	t.Logf("%d requests in %d batches", st.Requests, st.Batches)
	assert.Less(t, st.Batches, st.Requests, "concurrent updates share commits")
}

// The decoded-record cache and a fn's reuse of what it read never answer
// what a failed fn wrote. In one batch, fn A changes a delivery and a
// partner; fn B reads A's versions, writes its own, reads them back (the
// cache now holds B's bytes) and fails; fn C reads A's versions and moves
// the delivery again, a put after a get. Afterwards the records and the
// due index are A's and C's.
func TestFailedFnOfABatchLeavesNothingInTheCaches(t *testing.T) {
	db := openDB(t)
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	update(t, db, func(tx core.Tx) error {
		if err := tx.PutPartner(core.Partner{ID: "p", WebhookSecret: "s0", APIKeyHashes: []string{"k0"}}); err != nil {
			return err
		}
		return tx.PutDelivery(core.Delivery{ID: "d", Partner: "p", Status: core.DeliveryPending, NextAt: t0, CreatedAt: t0})
	})
	errB := errors.New("B fails")
	var seenByC core.Partner
	errs := inOneBatchInOrder(t, db,
		func(tx core.Tx) error { // A
			p, _, err := tx.Partner("p")
			if err != nil {
				return err
			}
			p.WebhookSecret, p.APIKeyHashes = "sA", []string{"kA"}
			if err := tx.PutPartner(p); err != nil {
				return err
			}
			d, _, err := tx.Delivery("d")
			if err != nil {
				return err
			}
			d.NextAt = t0.Add(time.Minute)
			return tx.PutDelivery(d)
		},
		func(tx core.Tx) error { // B
			p, _, err := tx.Partner("p")
			if err != nil {
				return err
			}
			p.WebhookSecret, p.APIKeyHashes = "sB", append(p.APIKeyHashes, "kB")
			if err := tx.PutPartner(p); err != nil {
				return err
			}
			d, _, err := tx.Delivery("d")
			if err != nil {
				return err
			}
			d.NextAt, d.Attempts = t0.Add(time.Hour), append(d.Attempts, core.Attempt{At: t0, StatusCode: 500})
			if err := tx.PutDelivery(d); err != nil {
				return err
			}
			if _, _, err := tx.Partner("p"); err != nil {
				return err
			}
			if _, _, err := tx.Delivery("d"); err != nil {
				return err
			}
			return errB
		},
		func(tx core.Tx) error { // C
			var err error
			if seenByC, _, err = tx.Partner("p"); err != nil {
				return err
			}
			d, _, err := tx.Delivery("d")
			if err != nil {
				return err
			}
			if len(d.Attempts) != 0 || !d.NextAt.Equal(t0.Add(time.Minute)) {
				return fmt.Errorf("C read %+v", d)
			}
			d.NextAt = t0.Add(2 * time.Minute)
			return tx.PutDelivery(d)
		},
	)
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], errB)
	require.NoError(t, errs[2])
	assert.Equal(t, "sA", seenByC.WebhookSecret)
	assert.Equal(t, []string{"kA"}, seenByC.APIKeyHashes)
	view(t, db, func(tx core.Tx) error {
		p, _, err := tx.Partner("p")
		require.NoError(t, err)
		assert.Equal(t, "sA", p.WebhookSecret)
		assert.Equal(t, []string{"kA"}, p.APIKeyHashes)
		for key, want := range map[string]bool{"k0": false, "kA": true, "kB": false} {
			_, ok, err := tx.PartnerByAPIKeyHash(key)
			require.NoError(t, err)
			assert.Equal(t, want, ok, key)
		}
		d, _, err := tx.Delivery("d")
		require.NoError(t, err)
		assert.Empty(t, d.Attempts)
		assert.True(t, d.NextAt.Equal(t0.Add(2*time.Minute)), "next at %s", d.NextAt)
		due, err := tx.DueDeliveries(t0.Add(90*time.Second), 0, nil)
		require.NoError(t, err)
		assert.Empty(t, due, "the due index holds C's time only")
		due, err = tx.DueDeliveries(t0.Add(3*time.Minute), 0, nil)
		require.NoError(t, err)
		assert.Len(t, due, 1)
		return nil
	})
}

// inOneBatchInOrder is inOneBatch with the fns queued, so run, in order.
func inOneBatchInOrder(t *testing.T, db *store.DB, fns ...func(core.Tx) error) []error {
	t.Helper()
	release := holdCommitter(t, db)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = db.Update(ctx, fn) })
		require.Eventually(t, func() bool { return db.Queued() == i+1 }, 10*time.Second, time.Millisecond)
	}
	release()
	wg.Wait()
	return errs
}
