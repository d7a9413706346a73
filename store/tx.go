package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"go.etcd.io/bbolt"

	"simgate/core"
)

// ErrReadOnly is returned by a put inside View.
var ErrReadOnly = errors.New("store: write in a read-only transaction")

// tx is core.Tx over one bbolt transaction. Inside Update every write lands
// in ov, the calling fn's private overlay, and reads look there first; the
// committer copies ov into the bbolt transaction only when fn succeeds. So
// fns never write bbolt directly, and a failing fn leaves nothing behind.
// Inside View ov is nil and the transaction is read-only.
type tx struct {
	btx *bbolt.Tx
	ov  overlay
	// memo holds, inside Update, a copy of the last value this fn decoded
	// or encoded for a key of the hot record buckets (see remember), so that
	// a Put after a get does not decode the same record a second time just
	// to learn its previous index keys. It lives as long as the fn, which
	// alone writes ov, so it cannot go stale.
	memo map[memoKey]any
	// cache is the DB's cache of decoded records; nil in operator tools.
	cache *recordCache
}

type memoKey struct{ bucket, key string }

// remember keeps a copy of v, a value or a pointer to one of the record
// types whose Put reads only value fields (strings, times, numbers) of the
// previous record: a copy shares its slices with the caller, who may change
// their elements, so a record whose Put reads a slice of the old value
// (Partner's API keys) is never remembered.
func (t *tx) remember(b []byte, key string, v any) {
	if t.ov == nil {
		return
	}
	var c any
	switch v := v.(type) {
	case *core.Transaction:
		c = *v
	case core.Transaction:
		c = v
	case *core.Delivery:
		c = *v
	case core.Delivery:
		c = v
	case *core.SIM:
		c = *v
	case core.SIM:
		c = v
	case *core.Number:
		c = *v
	case core.Number:
		c = v
	case *core.Subscription:
		c = *v
	case core.Subscription:
		c = v
	default:
		return
	}
	if t.memo == nil {
		t.memo = map[memoKey]any{}
	}
	t.memo[memoKey{string(b), key}] = c
}

// putIndexed stores v under key in b and moves its entry in the index idx
// from the previous record's key to v's; keyOf answers "" for a record the
// index leaves out.
func putIndexed[T any](t *tx, b []byte, key string, v T, idx []byte, keyOf func(T) string) error {
	var old T
	found, err := loadOld(t, b, key, &old)
	if err != nil {
		return err
	}
	oldKey := ""
	if found {
		oldKey = keyOf(old)
	}
	if err := t.store(b, key, v); err != nil {
		return err
	}
	return t.link(idx, oldKey, keyOf(v))
}

// loadOld is load for a Put's previous record: the remembered copy when
// this fn has already decoded or written the key.
func loadOld[T any](t *tx, b []byte, key string, v *T) (bool, error) {
	if m, ok := t.memo[memoKey{string(b), key}].(T); ok {
		*v = m
		return true, nil
	}
	return t.load(b, key, v)
}

var _ core.Tx = (*tx)(nil)

// overlay holds one fn's uncommitted writes: bucket name -> key -> entry.
type overlay map[string]map[string]entry

type entry struct {
	val []byte
	del bool // a tombstone: the key is deleted
}

// apply writes the overlay into the bbolt transaction, each bucket's keys
// in order: bbolt splits nodes only at commit, so keys put in random order
// shift a growing node on every insert, while sorted ones mostly append.
// keys is scratch space for the sort, handed back for the next overlay of
// the batch. The keys reach bbolt without a copy: Put copies them itself,
// and Delete only compares.
func (o overlay) apply(btx *bbolt.Tx, keys []string) ([]string, error) {
	for name, writes := range o {
		b := btx.Bucket(bytesOf(name))
		if f, ok := fillPercent[name]; ok {
			b.FillPercent = f
		}
		keys = keys[:0]
		for k := range writes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			e := writes[k]
			var err error
			if e.del {
				err = b.Delete(bytesOf(k))
			} else {
				err = b.Put(bytesOf(k), e.val)
			}
			if err != nil {
				return keys, fmt.Errorf("store: apply %s: %w", name, err)
			}
		}
	}
	clear(keys) // let the batch's keys go with its overlays
	return keys[:0], nil
}

// bytesOf answers s's bytes without copying them, for bbolt calls that
// neither keep nor change their key argument.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

type pending struct {
	key, val []byte
	del      bool
}

// within answers the overlay's entries of bucket b under prefix, in key order.
func (o overlay) within(b []byte, prefix string) []pending {
	var out []pending
	for k, e := range o[string(b)] {
		if strings.HasPrefix(k, prefix) {
			out = append(out, pending{[]byte(k), e.val, e.del})
		}
	}
	slices.SortFunc(out, func(x, y pending) int { return bytes.Compare(x.key, y.key) })
	return out
}

// get answers the value of key, the overlay's first. A value from bbolt is
// only valid until the transaction ends: decode or copy it before then.
func (t *tx) get(b []byte, key string) ([]byte, bool) {
	if e, ok := t.ov[string(b)][key]; ok {
		return e.val, !e.del
	}
	v := t.btx.Bucket(b).Get([]byte(key))
	return v, v != nil
}

func (t *tx) write(b []byte, key string, e entry) error {
	switch {
	case t.ov == nil:
		return ErrReadOnly
	case key == "":
		// A command's bug, not the store's trouble: an internal error, so
		// that an execution fails after a few tries rather than wait for
		// the store to recover.
		return core.Internal(fmt.Errorf("store: %s: empty key", b))
	case len(key) > bbolt.MaxKeySize:
		return core.Internal(fmt.Errorf("store: %s: key of %d bytes is too long", b, len(key)))
	}
	writes := t.ov[string(b)]
	if writes == nil {
		writes = map[string]entry{}
		t.ov[string(b)] = writes
	}
	writes[key] = e
	return nil
}

func (t *tx) put(b []byte, key string, val []byte) error {
	if val == nil {
		val = []byte{} // bbolt reads a nil value back as absent
	}
	return t.write(b, key, entry{val: val})
}

func (t *tx) del(b []byte, key string) error { return t.write(b, key, entry{del: true}) }

// scan calls fn with every key under prefix, in key order, merging the
// overlay over the bbolt cursor. It seeks to the prefix and stops as soon as
// fn answers false, so a lookup costs what it reads, not the bucket's size.
func (t *tx) scan(b []byte, prefix string, fn func(k, v []byte) (bool, error)) error {
	ov := t.ov.within(b, prefix)
	p := []byte(prefix)
	c := t.btx.Bucket(b).Cursor()
	k, v := c.Seek(p)
	for {
		if k != nil && !bytes.HasPrefix(k, p) {
			k = nil
		}
		var key, val []byte
		switch {
		case len(ov) > 0 && (k == nil || bytes.Compare(ov[0].key, k) <= 0):
			e := ov[0]
			ov = ov[1:]
			if k != nil && bytes.Equal(e.key, k) { // the overlay shadows bbolt
				k, v = c.Next()
			}
			if e.del {
				continue
			}
			key, val = e.key, e.val
		case k != nil:
			key, val = k, v
			k, v = c.Next()
		default:
			return nil
		}
		if more, err := fn(key, val); err != nil || !more {
			return err
		}
	}
}

func (t *tx) load(b []byte, key string, v any) (bool, error) {
	raw, ok := t.get(b, key)
	if !ok {
		return false, nil
	}
	if t.cache.get(b, key, raw, v) {
		t.remember(b, key, v)
		return true, nil
	}
	if err := decodeRecord(raw, v); err != nil {
		return false, fmt.Errorf("store: decode %s %q: %w", b, key, err)
	}
	t.cache.put(b, key, raw, v)
	t.remember(b, key, v)
	return true, nil
}

func (t *tx) store(b []byte, key string, v any) error {
	raw, err := encodeRecord(v)
	if err != nil {
		return fmt.Errorf("store: encode %s %q: %w", b, key, err)
	}
	if err := t.put(b, key, raw); err != nil {
		return err
	}
	if _, ok := t.memo[memoKey{string(b), key}]; ok {
		t.remember(b, key, v) // only a record this fn has read: bulk writes (import) stay lean
	}
	return nil
}

// loadBy follows a unique index to the primary record.
func (t *tx) loadBy(index, primary []byte, key string, v any) (bool, error) {
	pk, ok := t.get(index, key)
	if !ok {
		return false, nil
	}
	return t.load(primary, string(pk), v)
}

// index points the unique index entry cur at primary key pk, and removes
// old (the record's previous identifier) if it still points at pk: an entry
// that another record has since taken over is not ours to delete. With
// overwrite false an entry held by another record is left alone.
func (t *tx) index(b []byte, old, cur, pk string, overwrite bool) error {
	if old != "" && old != cur {
		if err := t.unindex(b, old, pk); err != nil {
			return err
		}
	}
	if cur == "" {
		return nil
	}
	if holder, ok := t.get(b, cur); ok && (string(holder) == pk || !overwrite) {
		return nil
	}
	return t.put(b, cur, []byte(pk))
}

func (t *tx) unindex(b []byte, key, pk string) error {
	if holder, ok := t.get(b, key); ok && string(holder) == pk {
		return t.del(b, key)
	}
	return nil
}

// link moves a composite (1:N) index entry from old to cur; "" is no entry.
func (t *tx) link(b []byte, old, cur string) error {
	if old == cur {
		return nil
	}
	if old != "" {
		if err := t.del(b, old); err != nil {
			return err
		}
	}
	if cur == "" {
		return nil
	}
	return t.put(b, cur, nil)
}

// idKey encodes an id big-endian, so non-negative ids sort numerically.
func idKey(id int64) string { return string(binary.BigEndian.AppendUint64(nil, uint64(id))) }

// composite builds a 1:N index key: the parts joined by 0x00.
func composite(parts ...string) string { return strings.Join(parts, "\x00") }

// children loads, in key order, the records whose primary keys follow
// prefix in a 1:N index. keep rejects a record the prefix matched only by
// accident (a part containing 0x00), so a match is always a true child.
func children[T any](t *tx, index, primary []byte, prefix string, keep func(T) bool) ([]T, error) {
	var out []T
	err := t.scan(index, prefix, func(k, _ []byte) (bool, error) {
		var v T
		ok, err := t.load(primary, string(k[len(prefix):]), &v)
		if ok && keep(v) {
			out = append(out, v)
		}
		return true, err
	})
	return out, err
}

func (t *tx) Partner(id core.PartnerID) (p core.Partner, ok bool, err error) {
	ok, err = t.load(bktPartners, string(id), &p)
	return p, ok, err
}

func (t *tx) PartnerByUsername(username string) (p core.Partner, ok bool, err error) {
	ok, err = t.loadBy(bktPartnersByUsername, bktPartners, username, &p)
	return p, ok, err
}

func (t *tx) PartnerByAPIKeyHash(hash string) (p core.Partner, ok bool, err error) {
	ok, err = t.loadBy(bktPartnersByAPIKey, bktPartners, hash, &p)
	return p, ok, err
}

func (t *tx) PutPartner(p core.Partner) error {
	pk := string(p.ID)
	var old core.Partner
	if _, err := t.load(bktPartners, pk, &old); err != nil {
		return err
	}
	if err := t.store(bktPartners, pk, p); err != nil {
		return err
	}
	if err := t.index(bktPartnersByUsername, old.Username, p.Username, pk, true); err != nil {
		return err
	}
	for _, h := range old.APIKeyHashes {
		if !slices.Contains(p.APIKeyHashes, h) {
			if err := t.unindex(bktPartnersByAPIKey, h, pk); err != nil {
				return err
			}
		}
	}
	for _, h := range p.APIKeyHashes {
		if err := t.index(bktPartnersByAPIKey, "", h, pk, true); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Account(id core.AccountID) (a core.Account, ok bool, err error) {
	ok, err = t.load(bktAccounts, string(id), &a)
	return a, ok, err
}

func (t *tx) AccountChildren(id core.AccountID) ([]core.Account, error) {
	return children(t, bktAccountChildren, bktAccounts, composite(string(id), ""),
		func(a core.Account) bool { return a.Parent == id })
}

func childKey(a core.Account) string {
	if a.Parent == "" {
		return ""
	}
	return composite(string(a.Parent), string(a.ID))
}

func (t *tx) PutAccount(a core.Account) error {
	return putIndexed(t, bktAccounts, string(a.ID), a, bktAccountChildren, childKey)
}

func (t *tx) ServiceType(id int64) (s core.ServiceType, ok bool, err error) {
	ok, err = t.load(bktServiceTypes, idKey(id), &s)
	return s, ok, err
}

func (t *tx) PutServiceType(s core.ServiceType) error {
	return t.store(bktServiceTypes, idKey(s.ID), s)
}

func (t *tx) Product(id int64) (p core.Product, ok bool, err error) {
	ok, err = t.load(bktProducts, idKey(id), &p)
	return p, ok, err
}

func (t *tx) ProductsOf(owner core.PartnerID) ([]core.Product, error) {
	return children(t, bktProductsByOwner, bktProducts, composite(string(owner), ""),
		func(p core.Product) bool { return p.Owner == owner })
}

func ownerKey(p core.Product) string {
	if p.Owner == "" {
		return ""
	}
	return composite(string(p.Owner), idKey(p.ID))
}

func (t *tx) PutProduct(p core.Product) error {
	return putIndexed(t, bktProducts, idKey(p.ID), p, bktProductsByOwner, ownerKey)
}

func (t *tx) SIM(id string) (s core.SIM, ok bool, err error) {
	ok, err = t.load(bktSIMs, id, &s)
	return s, ok, err
}

func (t *tx) SIMByICCID(iccid string) (s core.SIM, ok bool, err error) {
	ok, err = t.loadBy(bktSIMsByICCID, bktSIMs, iccid, &s)
	return s, ok, err
}

func (t *tx) SIMBySimNumber(simNumber string) (s core.SIM, ok bool, err error) {
	ok, err = t.loadBy(bktSIMsBySimNumber, bktSIMs, simNumber, &s)
	return s, ok, err
}

func (t *tx) SIMByIMSI(imsi string) (s core.SIM, ok bool, err error) {
	ok, err = t.loadBy(bktSIMsByIMSI, bktSIMs, imsi, &s)
	return s, ok, err
}

func (t *tx) SIMByEID(eid string) (s core.SIM, ok bool, err error) {
	ok, err = t.loadBy(bktSIMsByEID, bktSIMs, eid, &s)
	return s, ok, err
}

func (t *tx) PutSIM(s core.SIM) error {
	var old core.SIM
	if _, err := loadOld(t, bktSIMs, s.ID, &old); err != nil {
		return err
	}
	if err := t.store(bktSIMs, s.ID, s); err != nil {
		return err
	}
	for _, ix := range []struct {
		b        []byte
		old, cur string
	}{
		{bktSIMsByICCID, old.ICCID, s.ICCID},
		{bktSIMsBySimNumber, old.SimNumber, s.SimNumber},
		{bktSIMsByIMSI, old.IMSI, s.IMSI},
		{bktSIMsByEID, old.EID, s.EID},
	} {
		if err := t.index(ix.b, ix.old, ix.cur, s.ID, true); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Number(msisdn string) (n core.Number, ok bool, err error) {
	ok, err = t.load(bktNumbers, msisdn, &n)
	return n, ok, err
}

func (t *tx) NumberByReservation(reservationID string) (n core.Number, ok bool, err error) {
	ok, err = t.loadBy(bktNumbersByResv, bktNumbers, reservationID, &n)
	return n, ok, err
}

// FirstAvailableNumber answers the Available number of owner's pool whose
// MSISDN sorts first (byte order: numeric for MSISDNs of equal length).
func (t *tx) FirstAvailableNumber(owner core.PartnerID, pool string) (n core.Number, ok bool, err error) {
	prefix := composite(string(owner), pool, "")
	err = t.scan(bktNumbersAvailable, prefix, func(k, _ []byte) (bool, error) {
		var cand core.Number
		found, err := t.load(bktNumbers, string(k[len(prefix):]), &cand)
		if err != nil {
			return false, err
		}
		if !found || cand.Owner != owner || cand.Pool != pool || cand.Status != core.NumberIsAvailable {
			return true, nil // an accidental prefix match (a 0x00 inside owner or pool)
		}
		n, ok = cand, true
		return false, nil
	})
	return n, ok, err
}

func availableKey(n core.Number) string {
	if n.Status != core.NumberIsAvailable {
		return ""
	}
	return composite(string(n.Owner), n.Pool, n.MSISDN)
}

func (t *tx) PutNumber(n core.Number) error {
	var old core.Number
	if _, err := loadOld(t, bktNumbers, n.MSISDN, &old); err != nil {
		return err
	}
	if err := t.store(bktNumbers, n.MSISDN, n); err != nil {
		return err
	}
	if err := t.index(bktNumbersByResv, old.ReservationID, n.ReservationID, n.MSISDN, true); err != nil {
		return err
	}
	if err := t.link(bktNumbersAging, agingKey(old), agingKey(n)); err != nil {
		return err
	}
	return t.link(bktNumbersAvailable, availableKey(old), availableKey(n))
}

// agingKey orders Aging numbers by the end of their grace period.
func agingKey(n core.Number) string {
	if n.Status != core.NumberIsAging {
		return ""
	}
	return timeKey(n.AgingUntil) + n.MSISDN
}

func (t *tx) AgedNumbers(until time.Time, limit int) ([]core.Number, error) {
	var out []core.Number
	end := timeKey(until)
	err := t.scan(bktNumbersAging, "", func(k, _ []byte) (bool, error) {
		if string(k[:len(end)]) > end || (limit > 0 && len(out) >= limit) {
			return false, nil
		}
		var n core.Number
		ok, err := t.load(bktNumbers, string(k[len(end):]), &n)
		if err != nil {
			return false, err
		}
		if ok && n.Status == core.NumberIsAging {
			out = append(out, n)
		}
		return true, nil
	})
	return out, err
}

func (t *tx) SQ(id int64) (q core.SQ, ok bool, err error) {
	ok, err = t.load(bktSQs, idKey(id), &q)
	return q, ok, err
}

func (t *tx) SQsByIdentifier(serviceType int64, identifier string) ([]core.SQ, error) {
	return children(t, bktSQsByIdentifier, bktSQs, identifierKey(serviceType, identifier, ""),
		func(q core.SQ) bool { return q.ServiceType == serviceType && q.ServiceIdentifier == identifier })
}

// identifierKey leads with the fixed-width service type, so the parent part
// needs no separator of its own.
func identifierKey(serviceType int64, identifier, sq string) string {
	return composite(idKey(serviceType)+identifier, sq)
}

func (t *tx) PutSQ(q core.SQ) error {
	return putIndexed(t, bktSQs, idKey(q.ID), q, bktSQsByIdentifier, func(q core.SQ) string {
		return identifierKey(q.ServiceType, q.ServiceIdentifier, idKey(q.ID))
	})
}

func (t *tx) Subscription(id string) (s core.Subscription, ok bool, err error) {
	ok, err = t.load(bktSubscriptions, id, &s)
	return s, ok, err
}

func (t *tx) SubscriptionBy(kind core.SubscriberKind, value string) (s core.Subscription, ok bool, err error) {
	if kind == core.ByID {
		return t.Subscription(value)
	}
	b := subscriptionIndex(kind)
	if b == nil {
		return s, false, core.Errorf(core.KindInvalid, core.ReasonMalformed, "subscriber", "unknown subscriber kind %q", kind)
	}
	ok, err = t.loadBy(b, bktSubscriptions, value, &s)
	return s, ok, err
}

func subscriptionIndex(kind core.SubscriberKind) []byte {
	switch kind {
	case core.ByICCID:
		return bktSubsByICCID
	case core.ByIMSI:
		return bktSubsByIMSI
	case core.ByMSISDN:
		return bktSubsByMSISDN
	case core.ByIMEI:
		return bktSubsByIMEI
	}
	return nil
}

// PutSubscription keeps a ceased subscription findable by its identifiers
// (for reactivation and queries) until a live one takes them over: a live
// subscription always claims its index entries, a ceased one only free ones.
func (t *tx) PutSubscription(s core.Subscription) error {
	var old core.Subscription
	if _, err := loadOld(t, bktSubscriptions, s.ID, &old); err != nil {
		return err
	}
	if err := t.store(bktSubscriptions, s.ID, s); err != nil {
		return err
	}
	for _, ix := range []struct {
		kind     core.SubscriberKind
		old, cur string
	}{
		{core.ByICCID, old.ICCID, s.ICCID},
		{core.ByIMSI, old.IMSI, s.IMSI},
		{core.ByMSISDN, old.MSISDN, s.MSISDN},
		{core.ByIMEI, old.IMEI, s.IMEI},
	} {
		if err := t.index(subscriptionIndex(ix.kind), ix.old, ix.cur, s.ID, s.Status.Live()); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Session(tokenHash string) (s core.Session, ok bool, err error) {
	ok, err = t.load(bktSessions, tokenHash, &s)
	return s, ok, err
}

func expiryKey(s core.Session) string { return timeKey(s.ExpiresAt) + s.TokenHash }

func (t *tx) PutSession(s core.Session) error {
	return putIndexed(t, bktSessions, s.TokenHash, s, bktSessionsByExpiry, expiryKey)
}

func (t *tx) DeleteSession(tokenHash string) error {
	old, found, err := t.Session(tokenHash)
	if err != nil || !found {
		return err
	}
	if err := t.del(bktSessions, tokenHash); err != nil {
		return err
	}
	return t.link(bktSessionsByExpiry, expiryKey(old), "")
}

// ExpiredSessions reads the expiry index from its front and stops at the
// first session still valid at until.
func (t *tx) ExpiredSessions(until time.Time, limit int) ([]core.Session, error) {
	var out []core.Session
	end := timeKey(until)
	err := t.scan(bktSessionsByExpiry, "", func(k, _ []byte) (bool, error) {
		if len(k) <= timeLen {
			return false, malformed(bktSessionsByExpiry, k)
		}
		if string(k[:timeLen]) > end || (limit > 0 && len(out) >= limit) {
			return false, nil
		}
		s, ok, err := t.Session(string(k[timeLen:]))
		if ok {
			out = append(out, s)
		}
		return err == nil, err
	})
	return out, err
}

// NextSeq keeps sequences in the overlay like any write, rather than using
// bbolt's NextSequence, so a failed fn gives its numbers back.
func (t *tx) NextSeq(name string) (uint64, error) {
	var n uint64
	if raw, ok := t.get(bktSequences, name); ok {
		if len(raw) != 8 {
			return 0, fmt.Errorf("store: sequence %q: malformed value %x", name, raw)
		}
		n = binary.BigEndian.Uint64(raw)
	}
	n++
	if err := t.put(bktSequences, name, binary.BigEndian.AppendUint64(nil, n)); err != nil {
		return 0, err
	}
	return n, nil
}
