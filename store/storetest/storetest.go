// Package storetest opens throw-away databases for tests, loaded with the
// sandbox inventory of testdata/sandbox.jsonl.
package storetest

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"simgate"
	"simgate/store"
)

// Passwords hashes with bcrypt's minimum cost: tests log in often.
var Passwords = store.Bcrypt{Cost: bcrypt.MinCost}

// Sandbox answers a new database in t.TempDir() holding the sandbox; it is
// closed when the test ends.
func Sandbox(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "simgate.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := store.Import(context.Background(), db, Passwords, bytes.NewReader(simgate.Sandbox)); err != nil {
		t.Fatal(err)
	}
	return db
}
