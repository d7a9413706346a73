package store_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"simgate/core"
	"simgate/store"
	"simgate/store/storetest"
)

const (
	sub1   = "imp-8997201000000000001" // a live floLIVE subscriber of the sandbox
	iccid1 = "8997201000000000001"
	msisdn = "972500000001"
)

func beTime(t time.Time) string {
	return string(binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())))
}

// verifyFixture is the sandbox plus what the engine writes: a received and
// a finished transaction, pending, delivered and dead deliveries, and an
// aging number.
func verifyFixture(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.Sandbox(t)
	update(t, db, func(tx core.Tx) error {
		for _, x := range []core.Transaction{
			{ID: "tx-open", Partner: "demo-reseller", Channel: core.ChannelMVNX, Operation: "activate", PartnerTxID: "m-1", Status: core.TxReceived, CreatedAt: sec(1)},
			{ID: "tx-done", Partner: "demo-reseller", Channel: core.ChannelMVNX, Operation: "activate", PartnerTxID: "m-2", Status: core.TxSucceeded, CreatedAt: sec(2)},
		} {
			if err := tx.PutTransaction(x); err != nil {
				return err
			}
		}
		if err := putAll(tx.PutDelivery,
			delivery("d-pending", "tx-done", "demo-reseller", core.DeliveryPending, sec(5), sec(3)),
			delivery("d-dead", "tx-done", "demo-reseller", core.DeliveryDead, sec(5), sec(3)),
			delivery("d-done", "tx-done", "demo-reseller", core.DeliveryDelivered, sec(5), sec(4)),
		); err != nil {
			return err
		}
		n, _, err := tx.Number("19459986800")
		if err != nil {
			return err
		}
		n.Status, n.AgingUntil = core.NumberIsAging, sec(3600)
		return tx.PutNumber(n)
	})
	return db
}

func verify(t *testing.T, db *store.DB) store.Report {
	t.Helper()
	rep, err := db.Verify(ctx)
	require.NoError(t, err)
	return rep
}

func TestVerifyPassesAConsistentDatabase(t *testing.T) {
	db := verifyFixture(t)
	rep := verify(t, db)
	assert.True(t, rep.OK(), "%v", rep.Details)
	assert.Empty(t, rep.Details)
	assert.False(t, rep.PagesChecked, "not beside a writer")
	assert.Equal(t, uint64(store.SchemaVersion), rep.SchemaVersion)
	assert.Equal(t, 2, rep.Buckets["transactions"])
	assert.Equal(t, 1, rep.Buckets["tx_unfinished"])
	assert.Equal(t, 1, rep.Buckets["deliveries_due"])
	assert.Equal(t, 1, rep.Buckets["numbers_aging"])
	assert.Equal(t, 99, rep.Buckets["subscriptions"])
}

// Each case damages the fixture behind the store's back and expects
// Verify to name what is wrong.
func TestVerifyReportsCorruption(t *testing.T) {
	put := func(bucket, k, v string) func(*bbolt.Tx) error {
		return func(btx *bbolt.Tx) error { return btx.Bucket([]byte(bucket)).Put([]byte(k), []byte(v)) }
	}
	del := func(bucket, k string) func(*bbolt.Tx) error {
		return func(btx *bbolt.Tx) error { return btx.Bucket([]byte(bucket)).Delete([]byte(k)) }
	}
	first := func(bucket string, fn func(b *bbolt.Bucket, k, v []byte) error) func(*bbolt.Tx) error {
		return func(btx *bbolt.Tx) error {
			b := btx.Bucket([]byte(bucket))
			k, v := b.Cursor().First()
			require.NotNil(t, k, bucket)
			return fn(b, bytes.Clone(k), bytes.Clone(v))
		}
	}
	for _, c := range []struct {
		name    string
		damage  func(*bbolt.Tx) error
		reports []string
	}{
		{"SIM index entry missing", del("sims_by_iccid", iccid1),
			[]string{`sims_by_iccid: iccid "8997201000000000001" of sims "8997201000000000001" is not indexed`}},
		{"SIM index entry to nowhere", put("sims_by_imsi", "001019999999999", "no-such-sim"),
			[]string{`sims_by_imsi: imsi "001019999999999" points at sims "no-such-sim", which does not exist`}},
		{"subscription index entry to the wrong subscription", put("subscriptions_by_msisdn", msisdn, "imp-8997201000000000002"),
			[]string{
				`subscriptions_by_msisdn: msisdn "972500000001" points at subscriptions "imp-8997201000000000002", whose msisdn is not "972500000001"`,
				`subscriptions_by_msisdn: msisdn "972500000001" of subscriptions "imp-8997201000000000001" points at "imp-8997201000000000002"`,
			}},
		{"available entry of an assigned number", put("numbers_available", "acme\x00\x00"+msisdn, ""),
			[]string{`numbers_available: entry "acme\x00\x00972500000001" matches no numbers record`}},
		{"available number without its entry", first("numbers_available", func(b *bbolt.Bucket, k, _ []byte) error { return b.Delete(k) }),
			[]string{`numbers_available: numbers "`, `has no entry`}},
		{"aging number without its entry", first("numbers_aging", func(b *bbolt.Bucket, k, _ []byte) error { return b.Delete(k) }),
			[]string{`numbers_aging: numbers "19459986800" has no entry`}},
		{"reservation index to a number without it", put("numbers_by_reservation", "GRID-NONE", msisdn),
			[]string{`numbers_by_reservation: reservation id "GRID-NONE" points at numbers "972500000001", whose reservation id is not "GRID-NONE"`}},
		{"one SIM and number, two live subscriptions", func(btx *bbolt.Tx) error {
			b := btx.Bucket([]byte("subscriptions"))
			var s core.Subscription
			require.NoError(t, store.DecodeRecord(b.Get([]byte(sub1)), &s))
			s.ID = "dup"
			raw, err := json.Marshal(s) // as an earlier build wrote it, beside binary records
			require.NoError(t, err)
			return b.Put([]byte("dup"), raw)
		}, []string{
			`SIM "8997201000000000001" is held by two live subscriptions: "dup" and "imp-8997201000000000001"`,
			`number "972500000001" is held by two live subscriptions: "dup" and "imp-8997201000000000001"`,
			`subscriptions_by_iccid: iccid "8997201000000000001" is shared by subscriptions "dup" and "imp-8997201000000000001"`,
		}},
		{"unfinished entry of a finished transaction", put("tx_unfinished", beTime(sec(2))+"tx-done", ""),
			[]string{"tx_unfinished: entry \"", "tx-done\" matches no transactions record"}},
		{"received transaction not queued", del("tx_unfinished", beTime(sec(1))+"tx-open"),
			[]string{`tx_unfinished: transactions "tx-open" has no entry`}},
		{"transaction key missing", del("tx_by_key", "demo-reseller\x00mvnx\x00activate\x00m-2"),
			[]string{`tx_by_key: partner key "demo-reseller\x00mvnx\x00activate\x00m-2" of transactions "tx-done" is not indexed`}},
		{"pending delivery not due", del("deliveries_due", beTime(sec(5))+"d-pending"),
			[]string{`deliveries_due: deliveries "d-pending" has no entry`}},
		{"due entry with another partner", put("deliveries_due", beTime(sec(5))+"d-pending", "other-reseller"),
			[]string{`holds "other-reseller", not "demo-reseller"`}},
		{"dead delivery still due", put("deliveries_due", beTime(sec(5))+"d-dead", "demo-reseller"),
			[]string{"deliveries_due: entry \"", "d-dead\" matches no deliveries record"}},
		{"undecodable record", put("sims", "garbage", "{"),
			[]string{`sims "garbage": undecodable record`}},
		{"truncated binary transaction", first("transactions", func(b *bbolt.Bucket, k, v []byte) error {
			require.Equal(t, byte(0x01), v[0], "written in the binary format")
			return b.Put(k, v[:len(v)/2])
		}), []string{`transactions "tx-`, `undecodable record: truncated binary record`}},
		{"binary delivery with trailing bytes", first("deliveries", func(b *bbolt.Bucket, k, v []byte) error {
			return b.Put(k, append(v, 0))
		}), []string{`deliveries "`, `undecodable record: 1 trailing bytes after the binary record`}},
		{"record under another key", first("sqs", func(b *bbolt.Bucket, _, v []byte) error { return b.Put([]byte("elsewhere"), v) }),
			[]string{`sqs "elsewhere" holds the record of`}},
		{"newer schema", put("meta", "schema_version", string(binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1))),
			[]string{"database schema is newer than this build supports"}},
		{"missing bucket", func(btx *bbolt.Tx) error { return btx.DeleteBucket([]byte("plans")) },
			[]string{"bucket plans is missing"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db := verifyFixture(t)
			require.NoError(t, db.Bolt().Update(c.damage))
			rep := verify(t, db)
			assert.False(t, rep.OK())
			assert.Equal(t, len(rep.Details), rep.Problems)
			all := strings.Join(rep.Details, "\n")
			for _, want := range c.reports {
				assert.Contains(t, all, want)
			}
		})
	}
}

// bbolt's page check runs only where no writer can: on a read-only DB. A
// page both in use and listed free is reported there.
func TestVerifyRunsBboltPageCheckReadOnly(t *testing.T) {
	path := damagedCopy(t, func(f *os.File, m store.MetaInfo) {
		at := int64(m.Freelist) * m.PageSize
		var h [16]byte
		_, err := f.ReadAt(h[:], at)
		require.NoError(t, err)
		count := binary.NativeEndian.Uint16(h[10:])
		require.Less(t, int(count), 100)
		binary.NativeEndian.PutUint16(h[10:], count+1)
		_, err = f.WriteAt(h[:], at)
		require.NoError(t, err)
		var id [8]byte // the root page, in use, now "free" too
		binary.NativeEndian.PutUint64(id[:], m.Root)
		_, err = f.WriteAt(id[:], at+16+int64(count)*8)
		require.NoError(t, err)
	})
	require.NoError(t, store.QuickCheck(path), "every id is in range: only the page walk sees it")
	ro, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err)
	defer ro.Close()
	rep := verify(t, ro)
	assert.True(t, rep.PagesChecked)
	assert.False(t, rep.OK())
	assert.Contains(t, strings.Join(rep.Details, "\n"), "bbolt: page ")
	assert.Contains(t, strings.Join(rep.Details, "\n"), "reachable freed")
}

func TestVerifyHonoursClosedDB(t *testing.T) {
	db := openDB(t)
	require.NoError(t, db.Close())
	_, err := db.Verify(ctx)
	assert.ErrorIs(t, err, store.ErrClosed)
}

// A read-only DB shares the file with other readers, creates nothing,
// refuses writes, and verifies like a writable one.
func TestReadOnlyOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "simgate.db")
	_, err := store.Open(path, store.Options{ReadOnly: true})
	assert.ErrorIs(t, err, os.ErrNotExist, "read-only never creates the file")

	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	update(t, db, func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: "P"}) })
	require.NoError(t, db.Close())
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	ro1, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err)
	ro2, err := store.Open(path, store.Options{ReadOnly: true})
	require.NoError(t, err, "two readers share the file")
	rep, err := ro1.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%v", rep.Details)
	assert.True(t, rep.PagesChecked)
	assert.Equal(t, 1, rep.Buckets["plans"])
	assert.ErrorIs(t, ro1.Update(ctx, func(core.Tx) error { return nil }), store.ErrReadOnly)
	require.NoError(t, ro2.View(ctx, func(tx core.Tx) error {
		_, ok, err := tx.Plan("P")
		assert.True(t, ok)
		return err
	}))
	require.NoError(t, ro1.Close())
	require.NoError(t, ro2.Close())
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a read-only open changes nothing")
}

func TestReadOnlyOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "simgate.db")
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1))
	}))
	require.NoError(t, db.Close())
	_, err = store.Open(path, store.Options{ReadOnly: true})
	assert.ErrorIs(t, err, store.ErrNewerSchema)
}

// damage returns a path to a damaged copy of a small valid database.
func damagedCopy(t *testing.T, how func(f *os.File, m store.MetaInfo)) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "simgate.db")
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	update(t, db, func(tx core.Tx) error {
		for i := range 200 { // enough pages for a freelist with ids and a branch root
			if err := tx.PutPlan(core.Plan{Code: strings.Repeat("p", 200) + string(rune('A'+i%26)) + string(rune('a'+i/26))}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, db, func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: "again"}) }) // frees pages
	require.NoError(t, db.Close())
	require.NoError(t, store.QuickCheck(path))
	m, err := store.ReadMetaInfo(path)
	require.NoError(t, err)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	how(f, m)
	require.NoError(t, f.Close())
	return path
}

func TestOpenRefusesDamagedFiles(t *testing.T) {
	scribble := func(f *os.File, off int64) {
		_, err := f.WriteAt(bytes.Repeat([]byte{0xAB}, 64), off)
		require.NoError(t, err)
	}
	for _, c := range []struct {
		name   string
		damage func(f *os.File, m store.MetaInfo)
		reason string
	}{
		{"both meta pages", func(f *os.File, m store.MetaInfo) {
			scribble(f, 16)
			scribble(f, m.PageSize+16)
		}, "both meta pages are invalid"},
		{"truncated", func(f *os.File, m store.MetaInfo) {
			require.NoError(t, f.Truncate(int64(m.HighWater-1)*m.PageSize))
		}, "the file is truncated"},
		{"truncated to one page", func(f *os.File, m store.MetaInfo) {
			require.NoError(t, f.Truncate(100))
		}, "damaged"},
		{"freelist page overwritten", func(f *os.File, m store.MetaInfo) {
			scribble(f, int64(m.Freelist)*m.PageSize)
		}, "freelist page"},
		{"freelist lists a page past the end", func(f *os.File, m store.MetaInfo) {
			var b [8]byte
			binary.NativeEndian.PutUint64(b[:], m.HighWater+5)
			_, err := f.WriteAt(b[:], int64(m.Freelist)*m.PageSize+16)
			require.NoError(t, err)
		}, "freelist lists page"},
		{"root page overwritten", func(f *os.File, m store.MetaInfo) {
			scribble(f, int64(m.Root)*m.PageSize)
		}, "root page"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := damagedCopy(t, c.damage)
			err := store.QuickCheck(path)
			require.ErrorIs(t, err, store.ErrDamaged)
			assert.Contains(t, err.Error(), c.reason)
			assert.True(t, strings.HasPrefix(err.Error(), path+" is damaged: "), err.Error())
			for _, ro := range []bool{false, true} {
				_, err = store.Open(path, store.Options{ReadOnly: ro})
				require.ErrorIs(t, err, store.ErrDamaged)
				assert.Contains(t, err.Error(), c.reason)
			}
		})
	}
}

// One damaged meta page is what a torn write of the last commit leaves:
// bbolt falls back on the other one, and so does the quick check.
func TestOpenSurvivesOneDamagedMetaPage(t *testing.T) {
	path := damagedCopy(t, func(f *os.File, m store.MetaInfo) {
		_, err := f.WriteAt(bytes.Repeat([]byte{0xAB}, 64), m.PageSize+16)
		require.NoError(t, err)
	})
	require.NoError(t, store.QuickCheck(path))
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	rep := verify(t, db)
	assert.True(t, rep.OK(), "%v", rep.Details)
	require.NoError(t, db.Close())
}

func TestQuickCheckAcceptsNewFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, store.QuickCheck(filepath.Join(dir, "missing.db")))
	empty := filepath.Join(dir, "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	require.NoError(t, store.QuickCheck(empty))
}

// A backup taken while writers commit is one consistent state: it opens,
// passes Verify, and holds a prefix of the writes.
func TestBackupWhileWriting(t *testing.T) {
	db := verifyFixture(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var written atomic.Int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				code := string(rune('a'+w)) + "-" + strings.Repeat("x", i%50) + "-" + time.Now().Format(time.RFC3339Nano)
				if db.Update(ctx, func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: code}) }) == nil {
					written.Add(1)
				}
			}
		}()
	}
	for written.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	var size int64
	n, err := store.WriteFileAtomic(file, -1, store.QuickCheck, func(w io.Writer) (int64, error) {
		return db.Backup(w, func(s int64) { size = s })
	})
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, size, n)
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, n, fi.Size())
	_, err = os.Stat(file + ".tmp")
	assert.ErrorIs(t, err, os.ErrNotExist)

	cp, err := store.Open(file, store.Options{ReadOnly: true})
	require.NoError(t, err)
	defer cp.Close()
	rep, err := cp.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%v", rep.Details)
	assert.Greater(t, rep.Buckets["plans"], 2)
}

func TestWriteFileAtomicKeepsTheOldFileOnFailure(t *testing.T) {
	file := filepath.Join(t.TempDir(), "backup.db")
	require.NoError(t, os.WriteFile(file, []byte("old"), 0o600))
	_, err := store.WriteFileAtomic(file, 10, nil, func(w io.Writer) (int64, error) {
		n, err := w.Write([]byte("short"))
		return int64(n), err
	})
	assert.ErrorContains(t, err, "wrote 5 bytes, expected 10")
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	_, err = os.Stat(file + ".tmp")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestOutboxDepth(t *testing.T) {
	db := verifyFixture(t)
	pending, dead, err := db.OutboxDepth(0)
	require.NoError(t, err)
	assert.Equal(t, 1, pending)
	assert.Equal(t, 1, dead)
	update(t, db, func(tx core.Tx) error {
		return putAll(tx.PutDelivery,
			delivery("d-dead-2", "tx-done", "demo-reseller", core.DeliveryDead, sec(5), sec(6)),
			delivery("d-dead-3", "tx-done", "demo-reseller", core.DeliveryDead, sec(5), sec(7)),
			delivery("d-pending-2", "tx-done", "demo-reseller", core.DeliveryPending, sec(9), sec(7)),
		)
	})
	pending, dead, err = db.OutboxDepth(0)
	require.NoError(t, err)
	assert.Equal(t, 2, pending)
	assert.Equal(t, 3, dead)
	_, dead, err = db.OutboxDepth(2)
	require.NoError(t, err)
	assert.Equal(t, 2, dead, "the count stops at the cap")
}

// OnCommit sees every committed batch: the sizes add up to the Updates
// that wrote, and read-only batches (nothing to fsync) are not reported.
func TestOnCommit(t *testing.T) {
	var mu sync.Mutex
	var batches, requests int
	db, err := store.Open(filepath.Join(t.TempDir(), "simgate.db"), store.Options{OnCommit: func(n int, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		batches++
		requests += n
		assert.Positive(t, took)
	}})
	require.NoError(t, err)
	defer db.Close()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, db.Update(ctx, func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: string(rune('A' + i))}) }))
		}()
	}
	wg.Wait()
	require.NoError(t, db.Update(ctx, func(core.Tx) error { return nil }))
	mu.Lock()
	defer mu.Unlock()
	st := db.Stats()
	assert.Equal(t, int(st.Batches), batches)
	assert.Equal(t, 50, requests)
}
