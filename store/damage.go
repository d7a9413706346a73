package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrDamaged is matched (errors.Is) by the errors of Open and QuickCheck
// that find the file's structure broken: bbolt would refuse it, or worse,
// fault or panic on it.
var ErrDamaged = errors.New("store: database file is damaged")

// DamagedError says what is wrong with a database file.
type DamagedError struct {
	Path   string
	Reason string
}

func (e *DamagedError) Error() string { return e.Path + " is damaged: " + e.Reason }

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// The bbolt v2 file format, as far as QuickCheck reads it: a page starts
// with a 16-byte header (id uint64, flags uint16, count uint16, overflow
// uint32); pages 0 and 1 are meta pages, whose body is magic, version,
// page size, flags (uint32 each), the root bucket (root page, sequence),
// the freelist page, the high-water mark, the transaction id and an FNV-64a
// checksum of the preceding 56 bytes (uint64 each). Integers are in the
// machine's byte order, as bbolt writes them.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16
	metaSize         = 64
	metaSumLen       = 56
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	freelistPageFlag = 0x10
	noFreelist       = ^uint64(0)
)

type boltMeta struct {
	pageSize                  uint32
	root, freelist, hwm, txid uint64
}

// readMeta decodes and validates the meta page at off.
func readMeta(f io.ReaderAt, off int64) (boltMeta, error) {
	buf := make([]byte, pageHeaderSize+metaSize)
	if _, err := f.ReadAt(buf, off); err != nil {
		return boltMeta{}, fmt.Errorf("unreadable (%v)", err)
	}
	b := buf[pageHeaderSize:]
	ne := binary.NativeEndian
	switch {
	case ne.Uint32(b[0:]) != boltMagic:
		return boltMeta{}, errors.New("not a bbolt meta page (bad magic)")
	case ne.Uint32(b[4:]) != boltVersion:
		return boltMeta{}, fmt.Errorf("unknown bbolt format version %d", ne.Uint32(b[4:]))
	}
	h := fnv.New64a()
	h.Write(b[:metaSumLen])
	if h.Sum64() != ne.Uint64(b[metaSumLen:]) {
		return boltMeta{}, errors.New("checksum mismatch")
	}
	return boltMeta{
		pageSize: ne.Uint32(b[8:]),
		root:     ne.Uint64(b[16:]),
		freelist: ne.Uint64(b[32:]),
		hwm:      ne.Uint64(b[40:]),
		txid:     ne.Uint64(b[48:]),
	}, nil
}

// currentMeta answers the meta page bbolt would use: the valid one with
// the higher transaction id. bbolt reads meta 0 at offset 0 for the page
// size; when meta 0 is bad it looks for meta 1 one OS page further.
func currentMeta(f io.ReaderAt) (boltMeta, error) {
	m0, err0 := readMeta(f, 0)
	off1 := int64(os.Getpagesize())
	if err0 == nil {
		off1 = int64(m0.pageSize)
	}
	m1, err1 := readMeta(f, off1)
	switch {
	case err0 != nil && err1 != nil:
		return boltMeta{}, fmt.Errorf("both meta pages are invalid (page 0: %v; page 1: %v)", err0, err1)
	case err0 != nil:
		return m1, nil
	case err1 != nil:
		return m0, nil
	case m0.txid > m1.txid:
		return m0, nil
	}
	return m1, nil
}

// QuickCheck looks at the parts of a database file that bbolt trusts when
// it opens it, in time that does not grow with the data: both meta pages
// (at least one must be valid; the newer valid one is the one bbolt uses),
// the file's length against the high-water mark it records (a truncated
// file would fault bbolt's memory map), the freelist page and every id it
// lists, and the root page's header. It does not walk the B+trees: that is
// Verify's job (simgate check). A missing or empty file passes (Open
// creates it).
func QuickCheck(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return quickCheck(f, path)
}

func quickCheck(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size == 0 {
		return nil
	}
	damaged := func(format string, args ...any) error {
		return &DamagedError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	m, err := currentMeta(f)
	if err != nil {
		return damaged("%v", err)
	}
	ps := int64(m.pageSize)
	if ps < 512 || ps&(ps-1) != 0 {
		return damaged("meta page gives an impossible page size %d", ps)
	}
	if m.hwm < 3 || m.hwm > uint64(1<<62)/uint64(ps) {
		return damaged("meta page gives an impossible high-water mark %d", m.hwm)
	}
	if need := int64(m.hwm) * ps; size < need {
		return damaged("the file is truncated: %d bytes, its meta page needs %d (%d pages of %d bytes)", size, need, m.hwm, ps)
	}
	inRange := func(id uint64) bool { return id >= 2 && id < m.hwm }
	header := func(id uint64) (flags uint16, count uint16, overflow uint32, err error) {
		var h [pageHeaderSize]byte
		if _, err := f.ReadAt(h[:], int64(id)*ps); err != nil {
			return 0, 0, 0, err
		}
		ne := binary.NativeEndian
		if got := ne.Uint64(h[0:]); got != id {
			return 0, 0, 0, fmt.Errorf("page %d says it is page %d", id, got)
		}
		return ne.Uint16(h[8:]), ne.Uint16(h[10:]), ne.Uint32(h[12:]), nil
	}
	if !inRange(m.root) {
		return damaged("root page %d is outside the file's %d pages", m.root, m.hwm)
	}
	flags, _, overflow, err := header(m.root)
	if err != nil {
		return damaged("root page: %v", err)
	}
	if flags != branchPageFlag && flags != leafPageFlag {
		return damaged("root page %d is not a branch or leaf page (flags %#x)", m.root, flags)
	}
	if m.root+uint64(overflow) >= m.hwm {
		return damaged("root page %d overflows past the file's %d pages", m.root, m.hwm)
	}
	if m.freelist == noFreelist {
		return nil // bbolt rebuilds the freelist by scanning; nothing stored to check
	}
	if !inRange(m.freelist) {
		return damaged("freelist page %d is outside the file's %d pages", m.freelist, m.hwm)
	}
	flags, count, overflow, err := header(m.freelist)
	if err != nil {
		return damaged("freelist page: %v", err)
	}
	if flags != freelistPageFlag {
		return damaged("freelist page %d is not a freelist page (flags %#x)", m.freelist, flags)
	}
	if m.freelist+uint64(overflow) >= m.hwm {
		return damaged("freelist page %d overflows past the file's %d pages", m.freelist, m.hwm)
	}
	room := (int64(overflow) + 1) * ps
	start, n := int64(pageHeaderSize), int64(count)
	if count == 0xFFFF { // the real count is the first element
		var c [8]byte
		if _, err := f.ReadAt(c[:], int64(m.freelist)*ps+start); err != nil {
			return damaged("freelist page: %v", err)
		}
		n, start = int64(binary.NativeEndian.Uint64(c[:])), start+8
		if n < 0 || n > int64(m.hwm) {
			return damaged("freelist page %d lists an impossible %d free pages", m.freelist, n)
		}
	}
	if start+n*8 > room {
		return damaged("freelist page %d lists more ids (%d) than it holds", m.freelist, n)
	}
	ids := make([]byte, n*8)
	if _, err := f.ReadAt(ids, int64(m.freelist)*ps+start); err != nil {
		return damaged("freelist page: %v", err)
	}
	for i := 0; i < len(ids); i += 8 {
		if id := binary.NativeEndian.Uint64(ids[i:]); !inRange(id) {
			return damaged("freelist lists page %d, outside the file's %d pages", id, m.hwm)
		}
	}
	return nil
}

// openBolt opens the bbolt file after QuickCheck, so that a damaged file
// is refused with a reason instead of a fault. bbolt may still panic on
// damage QuickCheck does not look for (it trusts its pages): such a panic,
// or a memory fault while it reads the file, is reported as damage too.
func openBolt(path string, opts Options) (bdb *bbolt.DB, err error) {
	if err := lockedQuickCheck(path, opts.Timeout); err != nil {
		return nil, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			bdb, err = nil, &DamagedError{Path: path, Reason: fmt.Sprintf("bbolt cannot open it: %v", p)}
		}
	}()
	bdb, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly})
	switch {
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, &DamagedError{Path: path, Reason: err.Error()}
	case err != nil:
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return bdb, nil
}

// lockedQuickCheck runs QuickCheck under a shared lock of the file, so
// that it never reads pages a running server is rewriting (which could
// pass for damage): while another process holds the file, it waits like
// bbolt.Open and then fails like it, with bbolt's ErrTimeout. The lock
// goes with the descriptor, before bbolt takes its own.
func lockedQuickCheck(path string, timeout time.Duration) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer f.Close()
	if err := lockShared(f, timeout); err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	return quickCheck(f, path)
}
