package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"simgate/store"
)

// The reading commands open a file with --db read-only: a schema 2 file
// (an older build's) is read as it is and not migrated, so that it stays
// readable by the build that wrote it until the first serve of the new one.
func TestReadingCommandsLeaveASchema2FileAsItIs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s2.db")
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	require.NoError(t, db.Bolt().Update(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 2))
	}))
	require.NoError(t, db.Close())
	version := func() (v uint64) {
		b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
		require.NoError(t, err)
		defer b.Close()
		require.NoError(t, b.View(func(btx *bbolt.Tx) error {
			v = binary.BigEndian.Uint64(btx.Bucket([]byte("meta")).Get([]byte("schema_version")))
			return nil
		}))
		return v
	}
	for _, args := range [][]string{
		{"outbox", "list", "--db", path},
		{"outbox", "list", "--dead", "--db", path},
		{"check", "--db", path},
	} {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, run(context.Background(), args, &out, &errOut), "%q: %s", args, errOut.String())
		assert.Equal(t, uint64(2), version(), "%q migrated the file", args)
	}
	var out, errOut bytes.Buffer
	assert.NotEqual(t, 0, run(context.Background(), []string{"tx", "show", "--db", path, "no-such-tx"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "no-such-tx")
	assert.Equal(t, uint64(2), version(), "tx show migrated the file")
}
