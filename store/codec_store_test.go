package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"simgate"
	"simgate/core"
	"simgate/core/coretest"
)

// openTemp opens a database in a temporary folder.
func openTemp(t testing.TB) (*DB, string) {
	path := filepath.Join(t.TempDir(), "simgate.db")
	db, err := Open(path, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db, path
}

// legacy is a record as an earlier build stored it: the JSON of v, or raw
// as typed.
type legacy struct {
	b   []byte
	key string
	v   any
	raw string
}

// asSchema2 puts records in JSON, as schema 2 stored them, marks the file
// schema 2, closes db and answers the file opened again.
func asSchema2(t *testing.T, db *DB, path string, records []legacy) *DB {
	t.Helper()
	closeAsSchema2(t, db, records)
	db, err := Open(path, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// closeAsSchema2 is asSchema2 without opening the file again.
func closeAsSchema2(t *testing.T, db *DB, records []legacy) {
	t.Helper()
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		for _, r := range records {
			raw := []byte(r.raw)
			if r.raw == "" {
				var err error
				if raw, err = json.Marshal(r.v); err != nil {
					return err
				}
			}
			if err := btx.Bucket(r.b).Put([]byte(r.key), raw); err != nil {
				return err
			}
		}
		return btx.Bucket(bktMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, 2))
	}))
	require.NoError(t, db.Close())
}

// A read-only open (simgate check, backup and outbox list with --db) reads
// a schema 2 file as it is, without migrating it: an operator can check it
// and back it up with the new build before the first serve upgrades it.
func TestSchema2ReadOnlyAsItIs(t *testing.T) {
	db, path := openTemp(t)
	x := filled[core.Transaction](t, false, 0)
	ctx := context.Background()
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error { return tx.PutTransaction(x) }))
	closeAsSchema2(t, db, []legacy{{b: bktTransactions, key: x.ID, v: x}})

	ro, err := Open(path, Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, ro.View(ctx, func(tx core.Tx) error {
		got, ok, err := tx.Transaction(x.ID)
		readAsJSONWas(t, x, got, ok, err)
		return nil
	}))
	rep, err := ro.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK(), rep.Details)
	assert.Equal(t, uint64(2), rep.SchemaVersion, "the report tells the file's own version")
	var backup bytes.Buffer
	_, err = ro.Backup(&backup, nil)
	require.NoError(t, err)
	require.NoError(t, ro.Close())

	version := func(path string) (v uint64) {
		b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
		require.NoError(t, err)
		defer b.Close()
		require.NoError(t, b.View(func(btx *bbolt.Tx) error {
			v = binary.BigEndian.Uint64(btx.Bucket(bktMeta).Get(keySchemaVersion))
			return nil
		}))
		return v
	}
	assert.Equal(t, uint64(2), version(path), "a read-only open must not migrate the file")
	copyPath := filepath.Join(t.TempDir(), "backup.db")
	require.NoError(t, os.WriteFile(copyPath, backup.Bytes(), 0o600))
	assert.Equal(t, uint64(2), version(copyPath), "the backup is the file as it was")

	rw, err := Open(path, Options{})
	require.NoError(t, err)
	require.NoError(t, rw.Close())
	assert.Equal(t, uint64(SchemaVersion), version(path), "serve's open migrates it")
}

// A database of schema 2 holds JSON transactions and deliveries: it opens
// (the migration to 3 rewrites nothing), reads them as before, checks
// clean, and a record written again is binary.
func TestJSONRecordsStillRead(t *testing.T) {
	db, path := openTemp(t)
	x := filled[core.Transaction](t, false, 0)
	d := filled[core.Delivery](t, true, 7)
	d.Status = core.DeliveryPending
	ctx := context.Background()
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		if err := tx.PutTransaction(x); err != nil {
			return err
		}
		return tx.PutDelivery(d)
	}))
	// As an earlier build wrote them: the same records in JSON, schema 2,
	// and one record typed in as such a build stored it.
	const old = `{"id":"tx-old","seq":3,"partner":"demo-reseller","channel":"mvnx","operation":"ActivateSubscriber",` +
		`"partner_tx_id":"m-9","body_hash":"h","ack":"PGFjay8+","ack_status":200,"job":{"activations":[{"Ref":{"Partner":"demo-reseller",` +
		`"Channel":"mvnx","PartnerTxID":"m-9","CorrelationID":""},"Account":"","SIM":{"ICCID":"8901","SimNumber":"","EID":""},` +
		`"Device":{"IMEI":"","PEI":"","Make":"","Model":""},"Number":{"Mode":3,"MSISDN":"","ReservationID":"","Pool":"GAC","AcceptReserved":false},` +
		`"Plan":"P8DN","Products":null,"SubscriberID":"","ActivationCode":"","SQ":null,"Product":0,"BAN":""}]},"status":"Received",` +
		`"history":[{"at":"2026-03-01T10:00:00Z","status":"Received"}],"created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:00:00Z"}`
	db = asSchema2(t, db, path, []legacy{
		{b: bktTransactions, key: x.ID, v: x}, {b: bktDeliveries, key: d.ID, v: d},
		{b: bktTransactions, key: "tx-old", raw: old},
	})
	require.NoError(t, db.View(ctx, func(tx core.Tx) error {
		gotX, ok, err := tx.Transaction(x.ID)
		readAsJSONWas(t, x, gotX, ok, err)
		gotD, ok, err := tx.Delivery(d.ID)
		readAsJSONWas(t, d, gotD, ok, err)
		o, ok, err := tx.Transaction("tx-old")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "<ack/>", string(o.Ack))
		assert.Equal(t, core.NumberFromPool, o.Job.Activations[0].Number.Mode)
		assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), o.History[0].At)
		return nil
	}))
	raw := func(b []byte, key string) (v []byte) {
		require.NoError(t, db.Bolt().View(func(btx *bbolt.Tx) error {
			v = bytes.Clone(btx.Bucket(b).Get([]byte(key)))
			return nil
		}))
		return v
	}
	assert.Equal(t, byte('{'), raw(bktTransactions, x.ID)[0])
	rep, err := db.Verify(ctx)
	require.NoError(t, err)
	// tx-old has no index entries: the only problems are about it.
	for _, p := range rep.Details {
		assert.Contains(t, p, "tx-old")
	}
	assert.Equal(t, uint64(SchemaVersion), rep.SchemaVersion)

	// Written again, a record is binary.
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		got, _, err := tx.Transaction(x.ID)
		if err != nil {
			return err
		}
		return tx.PutTransaction(got)
	}))
	assert.Equal(t, byte(tagBinaryV1), raw(bktTransactions, x.ID)[0])
	assert.Equal(t, byte('{'), raw(bktDeliveries, d.ID)[0])
}

type codecRenderer struct{}

func (codecRenderer) Render(t core.Transaction, item int, _ time.Time) ([]core.Notification, error) {
	return []core.Notification{{Event: "done", URL: t.CallbackURL, ContentType: "application/json",
		Body: []byte(`{"id":"` + t.ID + `"}`), Accept: core.Accept2xx}}, nil
}

type codecSender struct{}

func (codecSender) Send(context.Context, core.Delivery, string) core.SendResult {
	return core.SendResult{StatusCode: 200, Delivered: true}
}

// The records the engine writes are binary and read as their JSON did.
func TestCodecEngineRecords(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	_, err := Import(ctx, db, Bcrypt{Cost: 4}, bytes.NewReader(simgate.Sandbox))
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 123_456_000, time.UTC)
	svc, err := core.NewService(db, coretest.Clock{T: t0}, &coretest.IDs{}, Bcrypt{Cost: 4}, core.Config{})
	require.NoError(t, err)
	eng := core.NewEngine(svc, codecSender{}, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{PollInterval: 5 * time.Millisecond})
	eng.Register(core.ChannelMVNX, codecRenderer{})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(runCtx) }()
	defer func() { stop(); <-done }()

	ref := core.TxRef{Partner: "demo-reseller", Channel: core.ChannelMVNX, PartnerTxID: "msg-1", CorrelationID: "corr-1"}
	x, _, err := eng.Submit(ctx, core.Submission{Ref: ref, Operation: "ActivateSubscriber", BodyHash: "h-1",
		CallbackURL: "https://reseller.example/cb", AssignBAN: true,
		Job: core.Job{Activations: []core.Activate{{Ref: ref, SIM: core.SIMRef{ICCID: "89014104178003620000"},
			Device: core.Device{IMEI: "356938035643809"}, Number: core.NumberChoice{Mode: core.NumberFromPool, Pool: "GAC"}, Plan: "P8DN"}}},
		Ack: func(t core.Transaction) (int, []byte, error) { return 200, []byte("<ack>" + t.ID + "</ack>"), nil }})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		var ds []core.Delivery
		_ = db.View(ctx, func(tx core.Tx) error {
			ds, err = tx.DeliveriesOf(x.ID)
			return err
		})
		return len(ds) == 1 && ds[0].Status == core.DeliveryDelivered
	}, 10*time.Second, 5*time.Millisecond)

	n := 0
	require.NoError(t, db.Bolt().View(func(btx *bbolt.Tx) error {
		for _, b := range [][]byte{bktTransactions, bktDeliveries} {
			err := btx.Bucket(b).ForEach(func(k, raw []byte) error {
				n++
				require.Equal(t, byte(tagBinaryV1), raw[0], "%s %s", b, k)
				if string(b) == string(bktTransactions) {
					var x core.Transaction
					require.NoError(t, decodeRecord(raw, &x))
					assert.Equal(t, jsonOf(t, jsonRoundTrip(t, x)), jsonOf(t, x))
					assert.True(t, reflect.DeepEqual(jsonRoundTrip(t, x), x))
					assert.Equal(t, core.TxSucceeded, x.Status)
					require.Len(t, x.Results, 1)
					assert.NotNil(t, x.Results[0].Subscription)
				} else {
					var d core.Delivery
					require.NoError(t, decodeRecord(raw, &d))
					assert.Equal(t, jsonOf(t, jsonRoundTrip(t, d)), jsonOf(t, d))
					assert.True(t, reflect.DeepEqual(jsonRoundTrip(t, d), d))
					assert.NotEmpty(t, d.Attempts)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}))
	assert.Equal(t, 2, n)
	// The sandbox's SIMs and numbers, as imported, and those the
	// activation changed, and its subscription: all binary.
	inventory := map[string]int{}
	require.NoError(t, db.Bolt().View(func(btx *bbolt.Tx) error {
		for _, b := range [][]byte{bktSIMs, bktNumbers, bktSubscriptions} {
			err := btx.Bucket(b).ForEach(func(k, raw []byte) error {
				inventory[string(b)]++
				require.Equal(t, byte(tagBinaryV1), raw[0], "%s %s", b, k)
				switch string(b) {
				case string(bktSIMs):
					readsAsJSON[core.SIM](t, raw)
				case string(bktNumbers):
					readsAsJSON[core.Number](t, raw)
				default:
					readsAsJSON[core.Subscription](t, raw)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}))
	assert.Equal(t, 100, inventory[string(bktSubscriptions)]) // the sandbox's 99, and the new one
	assert.NotZero(t, inventory[string(bktSIMs)])
	assert.NotZero(t, inventory[string(bktNumbers)])
	require.NoError(t, db.View(ctx, func(tx core.Tx) error {
		sim, ok, err := tx.SIMByICCID("89014104178003620000")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.SIMActive, sim.Status)
		sub, ok, err := tx.Subscription(sim.Subscription)
		require.NoError(t, err)
		require.True(t, ok)
		n, ok, err := tx.Number(sub.MSISDN)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, sub.ID, n.Subscription)
		assert.Equal(t, core.NumberIsAssigned, n.Status)
		return nil
	}))
	rep, err := db.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK(), rep.Details)
}

// A damaged binary record read through the store fails, naming its
// bucket and key.
func TestCodecDamagedRecordNamed(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	x := filled[core.Transaction](t, true, 3)
	d := filled[core.Delivery](t, true, 4)
	sim := filled[core.SIM](t, true, 5)
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		rx, _ := encodeRecord(x)
		rd, _ := encodeRecord(d)
		rs, _ := encodeRecord(sim)
		return errors.Join(btx.Bucket(bktTransactions).Put([]byte("tx-cut"), rx[:len(rx)-1]),
			btx.Bucket(bktDeliveries).Put([]byte("d-long"), append(rd, 7)),
			btx.Bucket(bktSIMs).Put([]byte("sim-cut"), rs[:len(rs)-1]),
			btx.Bucket(bktSIMsByICCID).Put([]byte("8901"), []byte("sim-cut")))
	}))
	err := db.View(ctx, func(tx core.Tx) error {
		_, _, err := tx.SIMByICCID("8901")
		return err
	})
	assert.ErrorContains(t, err, `store: decode sims "sim-cut": truncated binary record`)
	err = db.View(ctx, func(tx core.Tx) error {
		_, _, err := tx.Transaction("tx-cut")
		return err
	})
	assert.ErrorContains(t, err, `store: decode transactions "tx-cut": truncated binary record`)
	err = db.View(ctx, func(tx core.Tx) error {
		_, _, err := tx.Delivery("d-long")
		return err
	})
	assert.ErrorContains(t, err, `store: decode deliveries "d-long": 1 trailing bytes after the binary record`)
}

// A database of schema 2 holds JSON SIMs, numbers and subscriptions, both
// as this build's values marshalled and as an earlier build typed them:
// they open, read as before (by key, through their indexes, and as the
// first available number), check clean, and a record written again is
// binary.
func TestJSONInventoryRecordsStillRead(t *testing.T) {
	db, path := openTemp(t)
	ctx := context.Background()
	// A live subscription holding its SIM and number, filled field by field.
	sub := filled[core.Subscription](t, false, 0)
	sub.Status = core.SubActive
	sim := filled[core.SIM](t, false, 100)
	sim.ID, sim.Subscription = sub.SIM, sub.ID
	num := filled[core.Number](t, false, 200)
	num.MSISDN, num.Subscription, num.Status = sub.MSISDN, sub.ID, core.NumberIsAssigned
	// And records typed in as an earlier build stored them.
	const oldSIM = `{"id":"8901410400000000001","iccid":"8901410400000000001","imsi":"505010000000001","owner":"demo-reseller","status":"Pending"}`
	const oldNumber = `{"msisdn":"61400000001","owner":"demo-reseller","pool":"GAC","status":"Available"}`
	const oldAging = `{"msisdn":"61400000002","owner":"demo-reseller","pool":"GAC","status":"Aging","aging_until":"2026-03-01T10:00:00Z"}`
	const oldSub = `{"id":"sub-old","partner":"demo-reseller","channel":"mvnx","status":"Ceased","iccid":"8901410400000000009",` +
		`"products":[{"ProductID":"DATA-10G","Action":"add","Characteristics":{"speed":"fast"}}],"created_at":"2026-03-01T10:00:00Z",` +
		`"updated_at":"2026-03-02T10:00:00Z","ceased_at":"2026-03-02T10:00:00Z"}`
	typed := []struct {
		b   []byte
		key string
		raw string
		v   any
	}{
		{bktSIMs, "8901410400000000001", oldSIM, &core.SIM{}},
		{bktNumbers, "61400000001", oldNumber, &core.Number{}},
		{bktNumbers, "61400000002", oldAging, &core.Number{}},
		{bktSubscriptions, "sub-old", oldSub, &core.Subscription{}},
	}
	// Written through the store first, so that every index entry exists.
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		errs := []error{tx.PutSIM(sim), tx.PutNumber(num), tx.PutSubscription(sub)}
		for _, r := range typed {
			require.NoError(t, json.Unmarshal([]byte(r.raw), r.v))
			switch v := r.v.(type) {
			case *core.SIM:
				errs = append(errs, tx.PutSIM(*v))
			case *core.Number:
				errs = append(errs, tx.PutNumber(*v))
			case *core.Subscription:
				errs = append(errs, tx.PutSubscription(*v))
			}
		}
		return errors.Join(errs...)
	}))
	raw := func(b []byte, key string) (v []byte) {
		require.NoError(t, db.Bolt().View(func(btx *bbolt.Tx) error {
			v = bytes.Clone(btx.Bucket(b).Get([]byte(key)))
			return nil
		}))
		return v
	}
	for _, r := range typed {
		assert.Equal(t, byte(tagBinaryV1), raw(r.b, r.key)[0], "%s %s", r.b, r.key)
	}
	// Then every primary record replaced by its JSON, schema 2.
	records := []legacy{{b: bktSIMs, key: sim.ID, v: sim}, {b: bktNumbers, key: num.MSISDN, v: num}, {b: bktSubscriptions, key: sub.ID, v: sub}}
	for _, r := range typed {
		records = append(records, legacy{b: r.b, key: r.key, raw: r.raw})
	}
	db = asSchema2(t, db, path, records)
	for _, r := range typed {
		assert.Equal(t, byte('{'), raw(r.b, r.key)[0], "%s %s", r.b, r.key)
	}
	rep, err := db.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK(), rep.Details)
	assert.Equal(t, uint64(SchemaVersion), rep.SchemaVersion)
	require.NoError(t, db.View(ctx, func(tx core.Tx) error {
		gotSIM, ok, err := tx.SIMByICCID(sim.ICCID)
		readAsJSONWas(t, sim, gotSIM, ok, err)
		gotNum, ok, err := tx.Number(num.MSISDN)
		readAsJSONWas(t, num, gotNum, ok, err)
		gotSub, ok, err := tx.SubscriptionBy(core.ByIMSI, sub.IMSI)
		readAsJSONWas(t, sub, gotSub, ok, err)

		o, ok, err := tx.SIMByIMSI("505010000000001")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.SIM{ID: "8901410400000000001", ICCID: "8901410400000000001", IMSI: "505010000000001", Owner: "demo-reseller", Status: core.SIMPending}, o)
		n, ok, err := tx.FirstAvailableNumber("demo-reseller", "GAC")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.Number{MSISDN: "61400000001", Owner: "demo-reseller", Pool: "GAC", Status: core.NumberIsAvailable}, n)
		aged, err := tx.AgedNumbers(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), 0)
		require.NoError(t, err)
		require.Len(t, aged, 1)
		assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), aged[0].AgingUntil)
		s, ok, err := tx.SubscriptionBy(core.ByICCID, "8901410400000000009")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.SubCeased, s.Status)
		assert.Equal(t, map[string]string{"speed": "fast"}, s.Products[0].Characteristics)
		assert.Equal(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), s.CeasedAt)
		return nil
	}))

	// Written again, a record is binary, and reads as it did in JSON.
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		s, _, err := tx.SIM(sim.ID)
		if err != nil {
			return err
		}
		n, _, err := tx.Number("61400000001")
		if err != nil {
			return err
		}
		o, _, err := tx.Subscription("sub-old")
		if err != nil {
			return err
		}
		return errors.Join(tx.PutSIM(s), tx.PutNumber(n), tx.PutSubscription(o))
	}))
	assert.Equal(t, byte(tagBinaryV1), raw(bktSIMs, sim.ID)[0])
	assert.Equal(t, byte(tagBinaryV1), raw(bktNumbers, "61400000001")[0])
	assert.Equal(t, byte(tagBinaryV1), raw(bktSubscriptions, "sub-old")[0])
	assert.Equal(t, byte('{'), raw(bktNumbers, num.MSISDN)[0])
	require.NoError(t, db.View(ctx, func(tx core.Tx) error {
		gotSIM, ok, err := tx.SIM(sim.ID)
		readAsJSONWas(t, sim, gotSIM, ok, err)
		o, _, err := tx.Subscription("sub-old")
		require.NoError(t, err)
		var want core.Subscription
		require.NoError(t, json.Unmarshal([]byte(oldSub), &want))
		assert.True(t, reflect.DeepEqual(want, o))
		return nil
	}))
	rep, err = db.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, rep.OK(), rep.Details)
}

// readAsJSONWas checks a record read from the store (got, ok, err): found,
// and the value want has after a trip through JSON, as written before.
func readAsJSONWas[T any](t *testing.T, want, got T, ok bool, err error) {
	t.Helper()
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, reflect.DeepEqual(jsonRoundTrip(t, want), got))
}

// readsAsJSON decodes a binary record and checks it reads as its JSON did.
func readsAsJSON[T any](t *testing.T, raw []byte) {
	t.Helper()
	var v T
	require.NoError(t, decodeRecord(raw, &v))
	assert.Equal(t, jsonOf(t, jsonRoundTrip(t, v)), jsonOf(t, v))
	assert.True(t, reflect.DeepEqual(jsonRoundTrip(t, v), v))
}
