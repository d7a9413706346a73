package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/store"
	"simgate/store/postgres"
	"simgate/store/postgres/pgtest"
)

var ctx = context.Background()

// Instances starting at once on a new database migrate it once, under the
// advisory lock, and all of them work on the result.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	const n = 4
	dbs := make([]*postgres.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(ctx, dsn, postgres.Options{MaxConns: 4}) })
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		defer dbs[i].Close()
	}
	var applied int
	require.NoError(t, dbs[0].Pool().QueryRow(ctx, "SELECT count(*) FROM simgate_schema_version WHERE version_id > 0").Scan(&applied))
	assert.Equal(t, postgres.SchemaVersion, applied)
	for i, db := range dbs {
		require.NoError(t, db.Update(ctx, func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: fmt.Sprint("P", i)}) }))
	}
	var plans int
	require.NoError(t, dbs[0].Pool().QueryRow(ctx, "SELECT count(*) FROM plans").Scan(&plans))
	assert.Equal(t, n, plans)
}

// A database migrated by a newer simgate is refused before anything is
// written; SkipMigrations refuses an unmigrated one.
func TestSchemaVersionChecks(t *testing.T) {
	dsn := pgtest.DSN(t)
	_, err := postgres.Open(ctx, dsn, postgres.Options{SkipMigrations: true})
	require.ErrorContains(t, err, "older than")

	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	require.NoError(t, err)
	_, err = db.Pool().Exec(ctx, "INSERT INTO simgate_schema_version (version_id, is_applied) VALUES ($1, true)", postgres.SchemaVersion+1)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	_, err = postgres.Open(ctx, dsn, postgres.Options{})
	require.ErrorIs(t, err, postgres.ErrNewerSchema)
}

// A server that does not answer is an error at Open naming where it was
// looked for, without the password; so is a malformed connection string.
func TestOpenErrors(t *testing.T) {
	_, err := postgres.Open(ctx, "postgres://simgate:s3cret@127.0.0.1:1/simgate?connect_timeout=2", postgres.Options{ConnectTimeout: 2 * time.Second})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot reach the database at 127.0.0.1:1/simgate")
	assert.NotContains(t, err.Error(), "s3cret")

	_, err = postgres.Open(ctx, "postgres://simgate:s3cret@host:notaport/db", postgres.Options{})
	require.ErrorContains(t, err, "bad connection string")
	assert.NotContains(t, err.Error(), "s3cret")
}

// Concurrent read-modify-write Updates of one row all commit, none lost:
// the serialization failures are retried by running fn again.
func TestUpdateRetriesConflicts(t *testing.T) {
	db := pgtest.Open(t)
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		return tx.PutAccount(core.Account{ID: "counter", Partner: "p", Name: "0"})
	}))
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for range each {
				err := db.Update(ctx, func(tx core.Tx) error {
					a, _, err := tx.Account("counter")
					if err != nil {
						return err
					}
					var n int
					fmt.Sscan(a.Name, &n)
					a.Name = fmt.Sprint(n + 1)
					return tx.PutAccount(a)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var a core.Account
	require.NoError(t, db.View(ctx, func(tx core.Tx) (err error) { a, _, err = tx.Account("counter"); return err }))
	assert.Equal(t, fmt.Sprint(writers*each), a.Name)
}

// fn's own error is answered unchanged and nothing of it is kept; a
// cancelled ctx stops Update before fn runs.
func TestUpdateErrors(t *testing.T) {
	db := pgtest.Open(t)
	boom := errors.New("boom")
	err := db.Update(ctx, func(tx core.Tx) error {
		if err := tx.PutPlan(core.Plan{Code: "P"}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	err = db.Update(cctx, func(tx core.Tx) error { ran = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, ran)

	err = db.Update(ctx, func(tx core.Tx) error { panic("bad command") })
	require.ErrorContains(t, err, "bad command")

	// Keys longer than an index entry may be are refused with a clear error.
	err = db.Update(ctx, func(tx core.Tx) error {
		return tx.PutPlan(core.Plan{Code: string(make([]byte, 2000))})
	})
	require.ErrorContains(t, err, "longer than")

	var ok bool
	require.NoError(t, db.View(ctx, func(tx core.Tx) (err error) { _, ok, err = tx.Plan("P"); return err }))
	assert.False(t, ok)
	require.NoError(t, db.Close())
	assert.ErrorIs(t, db.Update(ctx, func(core.Tx) error { return nil }), postgres.ErrClosed)
}

// Keys are bytes: a 0x00 or invalid UTF-8 inside one is stored and found
// like any other, as in the bbolt store, where PostgreSQL text would refuse it.
func TestArbitraryKeyBytes(t *testing.T) {
	db := pgtest.Open(t)
	odd := "a\x00b\xff"
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		if err := tx.PutSIM(core.SIM{ID: odd, ICCID: odd, Owner: "o\x00x"}); err != nil {
			return err
		}
		return tx.PutTransaction(core.Transaction{ID: "t", Partner: core.PartnerID(odd), Channel: "c", Operation: "o\x00", PartnerTxID: odd, Status: core.TxReceived})
	}))
	require.NoError(t, db.View(ctx, func(tx core.Tx) error {
		s, ok, err := tx.SIMByICCID(odd)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.PartnerID("o\x00x"), s.Owner) // JSON, as in bbolt, keeps 0x00 but not invalid UTF-8
		x, ok, err := tx.TransactionByKey(core.PartnerID(odd), "c", "o\x00", odd)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "t", x.ID)
		_, ok, err = tx.TransactionByKey(core.PartnerID(odd), "c", "o", "\x00"+odd)
		require.NoError(t, err)
		assert.False(t, ok)
		return nil
	}))
}

// The operator helpers: Empty and OutboxDepth.
func TestEmptyAndOutboxDepth(t *testing.T) {
	db := pgtest.Open(t)
	empty, err := db.Empty(ctx)
	require.NoError(t, err)
	assert.True(t, empty)
	now := time.Now().UTC()
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		if err := tx.PutPartner(core.Partner{ID: "p"}); err != nil {
			return err
		}
		for i, st := range []core.DeliveryStatus{core.DeliveryPending, core.DeliveryPending, core.DeliveryDead, core.DeliveryDead, core.DeliveryDead, core.DeliveryDelivered} {
			if err := tx.PutDelivery(core.Delivery{ID: fmt.Sprint("d", i), Partner: "p", TxID: "t", Status: st, NextAt: now, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	}))
	empty, err = db.Empty(ctx)
	require.NoError(t, err)
	assert.False(t, empty)
	pending, dead, err := db.OutboxDepth(ctx, 2)
	require.NoError(t, err)
	assert.Equal(t, 2, pending)
	assert.Equal(t, 2, dead, "counted up to the cap")
	// A put in View is refused with the bbolt store's error.
	err = db.View(ctx, func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: "x"}) })
	assert.ErrorIs(t, err, store.ErrReadOnly)
}

// Updates that draw from a sequence share transactions (group commit): a
// fn's error undoes its own writes only, whatever shares its transaction,
// and the values the others keep are unique.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	db := pgtest.Open(t)
	const n = 64
	boom := errors.New("refused")
	var wg sync.WaitGroup
	errs := make([]error, n)
	seqs := make([]uint64, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = db.Update(ctx, func(tx core.Tx) error {
				s, err := tx.NextSeq("g")
				if err != nil {
					return err
				}
				if err := tx.PutPlan(core.Plan{Code: fmt.Sprint("P", i)}); err != nil {
					return err
				}
				if i%4 == 0 {
					return boom
				}
				seqs[i] = s
				return nil
			})
		})
	}
	wg.Wait()
	var got []uint64
	require.NoError(t, db.View(ctx, func(tx core.Tx) error {
		for i := range n {
			_, ok, err := tx.Plan(fmt.Sprint("P", i))
			require.NoError(t, err)
			if i%4 == 0 {
				assert.ErrorIs(t, errs[i], boom)
				assert.False(t, ok, "the failed fn %d left its write", i)
			} else {
				require.NoError(t, errs[i])
				assert.True(t, ok, "fn %d lost its write", i)
				got = append(got, seqs[i])
			}
		}
		return nil
	}))
	slices.Sort(got)
	assert.Len(t, slices.Compact(got), n-n/4, "unique values")
}

// A database of schema version 2 counted in the sequences table: version
// 3's sequences go on after those values, for the known names at the
// migration and for any other name at its first draw, and the table
// refuses the draws of an older simgate still running on it.
func TestSequencesContinueFromTable(t *testing.T) {
	dsn := pgtest.DSN(t)
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	require.NoError(t, err)
	// Back to what version 2 left: no sequences, values in the table (and
	// version 4 undone first).
	_, err = db.Pool().Exec(ctx, `DROP INDEX transactions_by_partner;
		ALTER TABLE transactions DROP COLUMN deleted;
		CREATE INDEX transactions_by_partner ON transactions (partner, channel, (seq < 0), seq, id);
		DELETE FROM simgate_schema_version WHERE version_id = 4;
		DROP TRIGGER sequences_moved ON sequences;
		DROP FUNCTION sequences_moved();
		DROP SEQUENCE seq_transaction, seq_ban, seq_subscription;
		DELETE FROM simgate_schema_version WHERE version_id = 3;
		INSERT INTO sequences (name, value) VALUES ('transaction', 41), ('ban', 7), ('legacy', 5)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db, err = postgres.Open(ctx, dsn, postgres.Options{})
	require.NoError(t, err)
	defer db.Close()
	got := map[string]uint64{}
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		for _, name := range []string{"transaction", "ban", "subscription", "legacy", "new"} {
			n, err := tx.NextSeq(name)
			if err != nil {
				return err
			}
			got[name] = n
		}
		return nil
	}))
	assert.Equal(t, map[string]uint64{"transaction": 42, "ban": 8, "subscription": 1, "legacy": 6, "new": 1}, got)

	_, err = db.Pool().Exec(ctx, `INSERT INTO sequences (name, value) VALUES ('ban', 1)
		ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value`)
	assert.ErrorContains(t, err, "upgrade it")
}

// A database of schema version 3 had no deleted column: version 4 fills
// it from each transaction's data, so that a deleted order leaves the
// partner's list and its count, and PutTransaction keeps it after.
func TestDeletedColumnFilledFromData(t *testing.T) {
	dsn := pgtest.DSN(t)
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	require.NoError(t, err)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	mk := func(id string, seq uint64, deleted bool) core.Transaction {
		x := core.Transaction{ID: id, Seq: seq, Partner: "demo-rsp", Channel: core.ChannelTMF, Operation: "order", Status: core.TxSucceeded,
			History: []core.TxEvent{{At: at, Status: core.TxReceived}}, CreatedAt: at, UpdatedAt: at}
		if deleted {
			x.DeletedAt = at.Add(time.Hour)
		}
		return x
	}
	// A record whose JSON holds \u0000 (a NUL in a string), which jsonb
	// refuses: the migration still reads its deleted_at.
	nul := mk("d", 4, true)
	nul.CorrelationID = "c\x00d"
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		return errors.Join(tx.PutTransaction(mk("a", 1, false)), tx.PutTransaction(mk("b", 2, true)), tx.PutTransaction(mk("c", 3, false)),
			tx.PutTransaction(nul))
	}))
	// Back to what version 3 left: no deleted column, every row indexed.
	_, err = db.Pool().Exec(ctx, `DROP INDEX transactions_by_partner;
		ALTER TABLE transactions DROP COLUMN deleted;
		CREATE INDEX transactions_by_partner ON transactions (partner, channel, (seq < 0), seq, id);
		DELETE FROM simgate_schema_version WHERE version_id = 4`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db, err = postgres.Open(ctx, dsn, postgres.Options{})
	require.NoError(t, err)
	defer db.Close()
	listed := func() (ids []string, n int) {
		require.NoError(t, db.View(ctx, func(tx core.Tx) error {
			ids = nil
			if err := tx.TransactionsOf("demo-rsp", core.ChannelTMF, func(x core.Transaction) (bool, error) {
				ids = append(ids, x.ID)
				return true, nil
			}); err != nil {
				return err
			}
			var err error
			n, err = tx.CountTransactionsOf("demo-rsp", core.ChannelTMF, 0)
			return err
		}))
		return ids, n
	}
	ids, n := listed()
	assert.Equal(t, []string{"a", "c"}, ids)
	assert.Equal(t, 2, n)
	var deleted []string
	rows, err := db.Pool().Query(ctx, "SELECT convert_from(id, 'UTF8') FROM transactions WHERE deleted ORDER BY id")
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		deleted = append(deleted, id)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"b", "d"}, deleted)

	// An older simgate's write, which does not name the column, fails
	// rather than listing an order it deleted.
	_, err = db.Pool().Exec(ctx, `INSERT INTO transactions (id, partner, channel, seq, key_operation, key_partner_tx_id, unfinished_ns, data)
		VALUES ('e', 'demo-rsp', 'tmf', 5, NULL, NULL, NULL, '{}')`)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	assert.Equal(t, "23502", pgErr.Code, "not null violation: %v", err)

	require.NoError(t, db.Update(ctx, func(tx core.Tx) error { return tx.PutTransaction(mk("a", 1, true)) }))
	ids, n = listed()
	assert.Equal(t, []string{"c"}, ids)
	assert.Equal(t, 1, n)
}
