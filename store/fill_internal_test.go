package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"simgate/core"
)

// A time-ordered index filled in key order, as the committer fills it,
// keeps its pages nearly full; bbolt's default split would leave them
// half empty.
func TestAppendedIndexPagesAreFull(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "fill.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for batch := range 40 {
		err := d.Update(context.Background(), func(ct core.Tx) error {
			x := ct.(*tx)
			for i := range 100 {
				n := batch*100 + i
				if err := x.put(bktTxUnfinished, timeKey(start.Add(time.Duration(n)*time.Millisecond))+fmt.Sprintf("tx-%06d", n), nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err = d.Bolt().View(func(btx *bbolt.Tx) error {
		s := btx.Bucket(bktTxUnfinished).Stats()
		if s.KeyN != 4000 || s.LeafPageN < 2 {
			t.Fatalf("%d keys in %d leaf pages: the test wrote too little", s.KeyN, s.LeafPageN)
		}
		if used := float64(s.LeafInuse) / float64(s.LeafAlloc); used < 0.8 {
			t.Errorf("leaf pages %.0f%% used (%d pages for %d keys), want over 80%%", 100*used, s.LeafPageN, s.KeyN)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
