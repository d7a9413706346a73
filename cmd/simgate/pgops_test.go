package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/store/postgres"
	"simgate/store/postgres/pgtest"
)

// The operator commands on a PostgreSQL store: import migrates and loads,
// outbox and tx read it (running servers or not), check and backup say
// they are for bbolt files and what to use instead.
func TestOperatorCommandsOnPostgreSQL(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	cmd := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(ctx, args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := cmd("import", "--store", dsn, "--bcrypt-cost", "4", "../../testdata/sandbox.jsonl")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "into the PostgreSQL store")

	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	require.NoError(t, err)
	now := time.Now().UTC()
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		if err := tx.PutTransaction(core.Transaction{ID: "tx-ops", Partner: "demo-reseller", Channel: core.ChannelMVNX, Operation: "activate",
			PartnerTxID: "m-ops", Status: core.TxSucceeded, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		return tx.PutDelivery(core.Delivery{ID: "msg_ops", Partner: "demo-reseller", TxID: "tx-ops", URL: "http://partner.invalid/",
			Status: core.DeliveryDead, NextAt: now, CreatedAt: now})
	}))
	require.NoError(t, db.Close())

	code, out, errOut = cmd("outbox", "list", "--dead", "--store", dsn)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "msg_ops")
	assert.Contains(t, out, "1 deliveries")
	code, out, errOut = cmd("tx", "show", "tx-ops", "--store", dsn)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `partner transaction id "m-ops"`)
	code, out, errOut = cmd("outbox", "replay", "msg_ops", "--store", dsn)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "delivery msg_ops queued again (status Pending")
	code, out, _ = cmd("outbox", "list", "--store", dsn)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "msg_ops")

	code, _, errOut = cmd("check", "--store", dsn)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "simgate check verifies bbolt database files only")
	assert.Contains(t, errOut, "pg_dump")
	code, _, errOut = cmd("backup", t.TempDir()+"/x", "--store", dsn)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "simgate backup copies bbolt database files only")

	code, _, errOut = cmd("tx", "show", "tx-ops", "--store", "mysql://nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--store must be a postgres:// or postgresql:// URL")
}
