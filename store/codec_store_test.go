package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
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
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		for _, r := range []struct {
			b   []byte
			key string
			v   any
		}{{bktTransactions, x.ID, x}, {bktDeliveries, d.ID, d}} {
			raw, err := json.Marshal(r.v)
			if err != nil {
				return err
			}
			if err := btx.Bucket(r.b).Put([]byte(r.key), raw); err != nil {
				return err
			}
		}
		if err := btx.Bucket(bktTransactions).Put([]byte("tx-old"), []byte(old)); err != nil {
			return err
		}
		return btx.Bucket(bktMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint64(nil, 2))
	}))
	require.NoError(t, db.Close())

	db, err := Open(path, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.View(ctx, func(tx core.Tx) error {
		gotX, ok, err := tx.Transaction(x.ID)
		require.NoError(t, err)
		require.True(t, ok)
		assert.True(t, reflect.DeepEqual(jsonRoundTrip(t, x), gotX))
		gotD, ok, err := tx.Delivery(d.ID)
		require.NoError(t, err)
		require.True(t, ok)
		assert.True(t, reflect.DeepEqual(jsonRoundTrip(t, d), gotD))
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
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		rx, _ := encodeRecord(x)
		rd, _ := encodeRecord(d)
		return errors.Join(btx.Bucket(bktTransactions).Put([]byte("tx-cut"), rx[:len(rx)-1]),
			btx.Bucket(bktDeliveries).Put([]byte("d-long"), append(rd, 7)))
	}))
	err := db.View(ctx, func(tx core.Tx) error {
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
