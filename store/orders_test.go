package store_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"simgate/core"
	"simgate/store"
)

func ids(xs []core.Transaction) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.ID)
	}
	return out
}

func listOf(t *testing.T, db *store.DB, partner core.PartnerID, channel core.Channel, max int) []core.Transaction {
	t.Helper()
	var out []core.Transaction
	view(t, db, func(tx core.Tx) error {
		return tx.TransactionsOf(partner, channel, func(x core.Transaction) (bool, error) {
			out = append(out, x)
			return max <= 0 || len(out) < max, nil
		})
	})
	return out
}

func TestTransactionsOfListsInSubmissionOrderPerPartnerAndChannel(t *testing.T) {
	db := openDB(t)
	mk := func(id string, seq uint64, partner core.PartnerID, ch core.Channel) core.Transaction {
		x := transaction(id, "m-"+id, core.TxReceived, sec(int(seq)))
		x.Seq, x.Partner, x.Channel = seq, partner, ch
		return x
	}
	// Seq, not the id or the time, orders them; 0x00 in a partner id
	// must not leak another partner's transactions.
	update(t, db, func(tx core.Tx) error {
		return putAll(tx.PutTransaction,
			mk("c", 3, "demo-rsp", core.ChannelTMF), mk("a", 10, "demo-rsp", core.ChannelTMF),
			mk("b", 2, "demo-rsp", core.ChannelTMF), mk("m", 1, "demo-rsp", core.ChannelMVNX),
			mk("o", 4, "other", core.ChannelTMF), mk("z", 5, "demo-rsp\x00tmf", core.ChannelTMF))
	})
	assert.Equal(t, []string{"b", "c", "a"}, ids(listOf(t, db, "demo-rsp", core.ChannelTMF, 0)))
	assert.Equal(t, []string{"b", "c"}, ids(listOf(t, db, "demo-rsp", core.ChannelTMF, 2)), "fn stops the walk")
	assert.Equal(t, []string{"m"}, ids(listOf(t, db, "demo-rsp", core.ChannelMVNX, 0)))
	assert.Equal(t, []string{"o"}, ids(listOf(t, db, "other", core.ChannelTMF, 0)))
	assert.Empty(t, listOf(t, db, "nobody", core.ChannelTMF, 0))

	// Updating a transaction keeps one entry; status changes do not move it.
	update(t, db, func(tx core.Tx) error {
		x, _, err := tx.Transaction("c")
		require.NoError(t, err)
		x.Status = core.TxSucceeded
		return tx.PutTransaction(x)
	})
	got := listOf(t, db, "demo-rsp", core.ChannelTMF, 0)
	assert.Equal(t, []string{"b", "c", "a"}, ids(got))
	assert.Equal(t, core.TxSucceeded, got[1].Status)
	assert.Equal(t, 6, entries(t, db, "tx_by_partner"))

	rep, err := db.Verify(context.Background())
	require.NoError(t, err)
	assert.True(t, rep.OK(), rep.Details)
}

func TestHubs(t *testing.T) {
	db := openDB(t)
	h1 := core.Hub{ID: "h1", Partner: "demo-rsp", Channel: core.ChannelTMF, Callback: "https://a.example/cb", CreatedAt: sec(2)}
	h2 := core.Hub{ID: "h2", Partner: "demo-rsp", Channel: core.ChannelTMF, Callback: "https://b.example/cb", Query: "eventType=ProductOrderCreateEvent", CreatedAt: sec(1)}
	h3 := core.Hub{ID: "h3", Partner: "other", Channel: core.ChannelTMF, Callback: "https://c.example/cb", CreatedAt: sec(1)}
	update(t, db, func(tx core.Tx) error { return putAll(tx.PutHub, h1, h2, h3) })
	view(t, db, func(tx core.Tx) error {
		hs, err := tx.HubsOf("demo-rsp", core.ChannelTMF)
		require.NoError(t, err)
		assert.Equal(t, []core.Hub{h2, h1}, hs, "oldest first")
		got, ok, err := tx.Hub("h3")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, h3, got)
		hs, err = tx.HubsOf("demo-rsp", core.ChannelMVNX)
		assert.Empty(t, hs)
		return err
	})
	update(t, db, func(tx core.Tx) error {
		require.NoError(t, tx.DeleteHub("h2"))
		return tx.DeleteHub("absent")
	})
	view(t, db, func(tx core.Tx) error {
		hs, err := tx.HubsOf("demo-rsp", core.ChannelTMF)
		require.NoError(t, err)
		assert.Equal(t, []core.Hub{h1}, hs)
		_, ok, err := tx.Hub("h2")
		assert.False(t, ok)
		return err
	})
	assert.Equal(t, 2, entries(t, db, "hubs_by_partner"))
	rep, err := db.Verify(context.Background())
	require.NoError(t, err)
	assert.True(t, rep.OK(), rep.Details)
}

// Older files are brought up to date when a writable open first sees
// them, and refused by a read-only one rather than misread: a schema 1
// database (before tx_by_partner, hubs and the session expiry index) is
// migrated; a schema 2 file written before the session expiry index
// existed gets that index built from its sessions instead of left empty
// (they would never be swept). Either way its transactions are listed and
// its sessions found by expiry.
func TestOlderFilesAreBroughtUpToDate(t *testing.T) {
	for _, tc := range []struct {
		version uint64
		refusal string
		without []string
	}{
		{1, "database schema 1 is older than 4", []string{"tx_by_partner", "hubs", "hubs_by_partner", "sessions_by_expiry"}},
		{2, "open it with simgate serve or import once", []string{"sessions_by_expiry"}},
	} {
		t.Run(fmt.Sprint("schema ", tc.version), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "simgate.db")
			db, err := store.Open(path, store.Options{})
			require.NoError(t, err)
			x := transaction("tx-1", "m-1", core.TxSucceeded, t0)
			x.Seq, x.Channel = 7, core.ChannelTMF
			s := core.Session{TokenHash: "h1", Partner: "demo-rsp", CreatedAt: t0, ExpiresAt: sec(60)}
			update(t, db, func(tx core.Tx) error {
				require.NoError(t, tx.PutSession(s))
				return tx.PutTransaction(x)
			})
			db = asOlderSchema(t, db, path, tc.version, tc.refusal, tc.without...)
			assert.Equal(t, []string{"tx-1"}, ids(listOf(t, db, "demo-rsp", core.ChannelTMF, 0)))
			view(t, db, func(tx core.Tx) error {
				got, err := tx.ExpiredSessions(sec(60), 0)
				assert.Equal(t, []core.Session{s}, got)
				return err
			})
			rep, err := db.Verify(context.Background())
			require.NoError(t, err)
			assert.True(t, rep.OK(), rep.Details)
			assert.Equal(t, uint64(store.SchemaVersion), rep.SchemaVersion)
		})
	}
}

// A schema 3 file lists deleted orders in tx_by_partner and writes partner
// ids as they are in its keys. A read-only open checks it clean as it is;
// the first writable open takes the deleted orders out and escapes the
// partner id holding 0x00, so that the index alone counts each partner's
// orders right, and the file checks clean again.
func TestSchema3IndexLosesDeletedOrders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "simgate.db")
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	mk := func(id string, seq uint64, partner core.PartnerID, deleted bool) core.Transaction {
		x := transaction(id, "m-"+id, core.TxSucceeded, sec(int(seq)))
		x.Seq, x.Partner, x.Channel = seq, partner, core.ChannelTMF
		if deleted {
			x.DeletedAt = sec(100)
		}
		return x
	}
	xs := []core.Transaction{mk("a", 1, "demo-rsp", false), mk("b", 2, "demo-rsp", true), mk("c", 3, "demo-rsp", false),
		mk("n", 4, "demo-rsp\x00tmf", false), mk("o", 5, "demo-rsp\x00tmf", true), mk("p", 6, "other", true)}
	update(t, db, func(tx core.Tx) error { return putAll(tx.PutTransaction, xs...) })
	// As schema 3 left it: one entry per transaction, parts as they are.
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		require.NoError(t, btx.DeleteBucket([]byte("tx_by_partner")))
		b, err := btx.CreateBucket([]byte("tx_by_partner"))
		require.NoError(t, err)
		for _, x := range xs {
			key := string(x.Partner) + "\x00" + string(x.Channel) + "\x00" + string(binary.BigEndian.AppendUint64(nil, x.Seq)) + x.ID
			require.NoError(t, b.Put([]byte(key), []byte{}))
		}
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 3))
	}))
	require.NoError(t, db.Close())

	ro, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err, "schema 3 is read as it is")
	rep, err := ro.Verify(context.Background())
	require.NoError(t, err)
	assert.True(t, rep.OK(), rep.Details)
	assert.Equal(t, uint64(3), rep.SchemaVersion)
	assert.Equal(t, []string{"a", "c"}, ids(listOf(t, ro, "demo-rsp", core.ChannelTMF, 0)), "the list reads past deleted orders")
	require.NoError(t, ro.Close())

	db, err = store.Open(path, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	assert.Equal(t, 3, entries(t, db, "tx_by_partner"), "a, c and n")
	count := func(partner core.PartnerID) (n int) {
		view(t, db, func(tx core.Tx) (err error) {
			n, err = tx.CountTransactionsOf(partner, core.ChannelTMF, 0)
			return err
		})
		return n
	}
	assert.Equal(t, 2, count("demo-rsp"), "neither deleted orders nor another partner's counted")
	assert.Equal(t, 1, count("demo-rsp\x00tmf"))
	assert.Equal(t, 0, count("other"))
	assert.Equal(t, []string{"a", "c"}, ids(listOf(t, db, "demo-rsp", core.ChannelTMF, 0)))
	assert.Equal(t, []string{"n"}, ids(listOf(t, db, "demo-rsp\x00tmf", core.ChannelTMF, 0)))
	var page []string
	view(t, db, func(tx core.Tx) error {
		return tx.TransactionsOfFrom("demo-rsp", core.ChannelTMF, 1, func(x core.Transaction) (bool, error) {
			page = append(page, x.ID)
			return true, nil
		})
	})
	assert.Equal(t, []string{"c"}, page)
	rep, err = db.Verify(context.Background())
	require.NoError(t, err)
	assert.True(t, rep.OK(), rep.Details)
	assert.Equal(t, uint64(store.SchemaVersion), rep.SchemaVersion)
}

func TestSessionsByExpiry(t *testing.T) {
	db := openDB(t)
	mk := func(hash string, expires int) core.Session {
		return core.Session{TokenHash: hash, Partner: "demo-rsp", CreatedAt: t0, ExpiresAt: sec(expires)}
	}
	update(t, db, func(tx core.Tx) error { return putAll(tx.PutSession, mk("c", 30), mk("a", 10), mk("b", 20)) })
	expired := func(until, limit int) []string {
		var out []string
		view(t, db, func(tx core.Tx) error {
			ss, err := tx.ExpiredSessions(sec(until), limit)
			for _, s := range ss {
				out = append(out, s.TokenHash)
			}
			return err
		})
		return out
	}
	assert.Equal(t, []string{"a", "b"}, expired(20, 0), "at or before until, earliest first")
	assert.Equal(t, []string{"a"}, expired(30, 1))
	assert.Empty(t, expired(9, 0))

	// Renewing a session moves its entry; deleting one removes both.
	update(t, db, func(tx core.Tx) error {
		require.NoError(t, tx.PutSession(mk("a", 40)))
		require.NoError(t, tx.DeleteSession("b"))
		return tx.DeleteSession("absent")
	})
	assert.Equal(t, []string{"c", "a"}, expired(40, 0))
	view(t, db, func(tx core.Tx) error {
		_, ok, err := tx.Session("b")
		assert.False(t, ok)
		return err
	})
	assert.Equal(t, 2, entries(t, db, "sessions_by_expiry"))
	rep, err := db.Verify(context.Background())
	require.NoError(t, err)
	assert.True(t, rep.OK(), rep.Details)
}

// asOlderSchema makes db's file look as an older build left it (the
// buckets it did not have deleted, its schema version), checks that a
// read-only open refuses it with refusal, and answers it opened writable
// (migrated), closed at the end of the test.
func asOlderSchema(t *testing.T, db *store.DB, path string, version uint64, refusal string, without ...string) *store.DB {
	t.Helper()
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		for _, b := range without {
			require.NoError(t, btx.DeleteBucket([]byte(b)))
		}
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, version))
	}))
	require.NoError(t, db.Close())
	_, err := store.Open(path, store.Options{ReadOnly: true})
	assert.ErrorContains(t, err, refusal)
	db, err = store.Open(path, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Counting a partner's transactions and stepping over the first ones read
// index keys only: a record that cannot be decoded is no obstacle unless
// it is on the page.
func TestSkippedTransactionsAreNotRead(t *testing.T) {
	db := openDB(t)
	var xs []core.Transaction
	for i, id := range []string{"a", "b", "c"} {
		x := transaction(id, "m-"+id, core.TxSucceeded, sec(i))
		x.Seq, x.Channel = uint64(i+1), core.ChannelTMF
		xs = append(xs, x)
	}
	update(t, db, func(tx core.Tx) error { return putAll(tx.PutTransaction, xs...) })
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte("transactions")).Put([]byte("a"), []byte{0x01, 0xff, 0xff})
	}))
	view(t, db, func(tx core.Tx) error {
		n, err := tx.CountTransactionsOf("demo-rsp", core.ChannelTMF, 0)
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		var got []string
		require.NoError(t, tx.TransactionsOfFrom("demo-rsp", core.ChannelTMF, 1, func(x core.Transaction) (bool, error) {
			got = append(got, x.ID)
			return true, nil
		}))
		assert.Equal(t, []string{"b", "c"}, got)
		assert.Error(t, tx.TransactionsOf("demo-rsp", core.ChannelTMF, func(core.Transaction) (bool, error) { return true, nil }),
			"the damaged record is read when it is on the page")
		return nil
	})
}
