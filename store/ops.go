package store

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"

	"simgate/core"
)

// OutboxDepth counts the pending deliveries and the dead letters, for a
// metrics scrape. Pending is the key count of deliveries_due from bbolt's
// bucket statistics, which reads page headers rather than keys (a 10^6
// entry queue is a few thousand pages); dead is a cursor count over the
// Dead prefix of deliveries_by_status, stopped at maxCount (dead letters
// wait for an operator, so a long list is itself the alarm).
func (d *DB) OutboxDepth(maxCount int) (pending, dead int, err error) {
	err = d.bolt.View(func(btx *bbolt.Tx) error {
		if b := btx.Bucket(bktDeliveriesDue); b != nil {
			pending = b.Stats().KeyN
		}
		b := btx.Bucket(bktDeliveriesByStatus)
		if b == nil {
			return nil
		}
		prefix := []byte(composite(string(core.DeliveryDead), ""))
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && (maxCount <= 0 || dead < maxCount); k, _ = c.Next() {
			dead++
		}
		return nil
	})
	return pending, dead, err
}

// Backup writes a consistent copy of the whole database file to w from one
// read transaction, while writers carry on. size, when set, learns the
// copy's length before the first byte is written.
func (d *DB) Backup(w io.Writer, size func(int64)) (n int64, err error) {
	d.mu.RLock()
	closed := d.closed
	d.mu.RUnlock()
	if closed {
		return 0, ErrClosed
	}
	err = d.bolt.View(func(btx *bbolt.Tx) error {
		if size != nil {
			size(btx.Size())
		}
		n, err = btx.WriteTo(w)
		return err
	})
	return n, err
}

// WriteFileAtomic writes path through path.tmp: write, fsync, check,
// rename, then fsync the folder, so that path is either absent, the old
// file, or the whole new one, even across a crash. write answers the bytes
// written; want, when not negative, is the length the file must have;
// check, when set, looks at the synced temporary file before the rename.
func WriteFileAtomic(path string, want int64, check func(tmp string) error, write func(io.Writer) (int64, error)) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := write(f)
	if err == nil && want >= 0 && n != want {
		err = fmt.Errorf("wrote %d bytes, expected %d", n, want)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && check != nil {
		err = check(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return n, err
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		err = dir.Sync()
		_ = dir.Close()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
