package postgres_test

import (
	"testing"

	"simgate/core"
	"simgate/store/postgres/pgtest"
	"simgate/store/storetest"
)

// TestContract runs the store contract the bbolt store passes against
// PostgreSQL, each scenario in a schema of its own.
func TestContract(t *testing.T) {
	pgtest.Need(t)
	storetest.Contract(t, func(t *testing.T) core.Store { return pgtest.Open(t) })
}
