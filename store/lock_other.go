//go:build !unix

package store

import (
	"os"
	"time"
)

// lockShared does nothing where flock does not exist: QuickCheck then
// reads without a lock, and bbolt.Open still takes its own.
func lockShared(*os.File, time.Duration) error { return nil }
