package store_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/store"
	"simgate/store/storetest"
)

// TestContract runs the store contract of issue #9 against bbolt; the
// PostgreSQL store runs the same suite.
func TestContract(t *testing.T) {
	storetest.Contract(t, func(t *testing.T) core.Store {
		db, err := store.Open(filepath.Join(t.TempDir(), "simgate.db"), store.Options{})
		require.NoError(t, err)
		t.Cleanup(func() {
			if err := db.Close(); !errors.Is(err, store.ErrClosed) {
				assert.NoError(t, err)
			}
		})
		return db
	})
}
