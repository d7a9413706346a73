package store

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"slices"

	"go.etcd.io/bbolt"

	"simgate/core"
)

// MaxProblems caps the problems a Report lists; Problems counts them all.
const MaxProblems = 1000

// Report is what Verify found.
type Report struct {
	SchemaVersion uint64         `json:"schema_version"`
	PagesChecked  bool           `json:"pages_checked"` // bbolt's page-level check ran (read-only DBs)
	Buckets       map[string]int `json:"buckets"`       // keys per bucket
	Problems      int            `json:"problems"`      // how many were found
	Details       []string       `json:"details"`       // the first MaxProblems of them
}

// OK reports whether nothing was found wrong.
func (r Report) OK() bool { return r.Problems == 0 }

func (r *Report) add(format string, args ...any) {
	r.Problems++
	if len(r.Details) < MaxProblems {
		r.Details = append(r.Details, fmt.Sprintf(format, args...))
	}
}

// Verify checks the database in one read transaction. On a DB opened
// ReadOnly, where no writer can run, it starts with bbolt's own
// consistency check (every page reachable exactly once, keys in order),
// which reads bbolt's live freelist and so is wrong, and racy, beside a
// writer: a running server's database is checked through a copy (Backup).
// Then it checks the schema version and the bucket registry, and
// simgate's invariants: every index entry points at an existing record
// whose fields give exactly that entry, every record is in the indexes it
// belongs to, and no SIM or number is held by two live subscriptions.
// Indexes are checked by lookups, not by loading them in memory, so its
// memory does not grow with the database. The error is for failures to
// run (a closed DB, ctx); what is wrong with the data is in the Report.
func (d *DB) Verify(ctx context.Context) (rep Report, err error) {
	d.mu.RLock()
	closed := d.closed
	d.mu.RUnlock()
	if closed {
		return rep, ErrClosed
	}
	err = d.bolt.View(func(btx *bbolt.Tx) error {
		v := &verifier{ctx: ctx, btx: btx, rep: &rep, pages: d.readOnly}
		return v.run()
	})
	return rep, err
}

type verifier struct {
	ctx   context.Context
	btx   *bbolt.Tx
	t     *tx
	rep   *Report
	pages bool // run bbolt's page check
	seen  int
}

func (v *verifier) problem(format string, args ...any) { v.rep.add(format, args...) }

// tick checks ctx every few thousand records.
func (v *verifier) tick() error {
	v.seen++
	if v.seen%4096 == 0 {
		return v.ctx.Err()
	}
	return nil
}

func (v *verifier) run() (err error) {
	defer func() {
		if p := recover(); p != nil { // bbolt trusts its pages: damage can panic
			v.problem("reading the database panicked: %v", p)
			err = nil
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))

	if v.pages {
		for e := range v.btx.Check() {
			v.problem("bbolt: %v", e)
		}
		v.rep.PagesChecked = true
	}
	if err := v.ctx.Err(); err != nil {
		return err
	}
	if n, err := checkSchemaVersion(v.btx); err != nil {
		v.problem("%v", err)
	} else if n != 0 && n < oldestReadableAsIs {
		v.problem("schema version %d is older than %d: open the database with simgate serve once to migrate it", n, SchemaVersion)
	} else if raw := v.btx.Bucket(bktMeta).Get(keySchemaVersion); raw == nil {
		v.problem("no schema version: not a simgate database, or never opened by simgate serve")
	} else {
		v.rep.SchemaVersion = n // older than SchemaVersion only in a file read as it is (oldestReadableAsIs)
	}
	v.rep.Buckets = map[string]int{}
	missing := false
	for _, name := range buckets {
		b := v.btx.Bucket(name)
		if b == nil {
			v.problem("bucket %s is missing", name)
			missing = true
			continue
		}
		v.rep.Buckets[string(name)] = b.Stats().KeyN
	}
	if missing {
		return nil // the invariants read every bucket
	}
	v.t = &tx{btx: v.btx}
	for _, check := range []func() error{
		v.partners, v.accounts, v.products, v.sims, v.numbers, v.sqs,
		v.subscriptions, v.sessions, v.transactions, v.deliveries, v.hubs,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// unique is a unique index: identifier -> primary key.
type unique[T any] struct {
	bucket []byte
	name   string           // the field, in messages
	values func(T) []string // the identifiers a record is indexed under
	own    func(T) bool     // whether the record must hold the entry itself (nil: always)
}

// link is an index whose keys are derived from the record alone (1:N
// indexes, queues): the record's keys and the index's must be the same.
type link[T any] struct {
	bucket []byte
	keys   func(T) []string
	pks    func(key []byte) []string // the primary keys an index key may stand for
	value  func(T) []byte            // the entry's value, nil: any
}

// records checks a primary bucket against its indexes: each record is
// under the key its id gives, in every index it belongs to, and each index
// entry leads back to a record that gives that entry. each, when set, sees
// every decoded record for the cross-record checks.
func records[T any](v *verifier, primary []byte, pk func(T) string, uniq []unique[T], links []link[T], each func(T)) error {
	load := func(key string) (T, bool) {
		var r T
		ok, err := v.t.load(primary, key, &r)
		if err != nil {
			v.problem("%s %q: %v", primary, key, err)
			return r, false
		}
		return r, ok
	}
	c := v.btx.Bucket(primary).Cursor()
	for k, raw := c.First(); k != nil; k, raw = c.Next() {
		if err := v.tick(); err != nil {
			return err
		}
		var r T
		if err := decodeRecord(raw, &r); err != nil {
			v.problem("%s %q: undecodable record: %v", primary, k, err)
			continue
		}
		key := string(k)
		if got := pk(r); got != key {
			v.problem("%s %q holds the record of %q", primary, k, got)
		}
		for _, ix := range uniq {
			for _, val := range ix.values(r) {
				holder := v.btx.Bucket(ix.bucket).Get([]byte(val))
				switch {
				case holder == nil:
					v.problem("%s: %s %q of %s %q is not indexed", ix.bucket, ix.name, val, primary, key)
				case string(holder) == key:
				case ix.own == nil || ix.own(r):
					other, ok := load(string(holder))
					if ok && slices.Contains(ix.values(other), val) {
						v.problem("%s: %s %q is shared by %s %q and %q", ix.bucket, ix.name, val, primary, key, holder)
					} else {
						v.problem("%s: %s %q of %s %q points at %q", ix.bucket, ix.name, val, primary, key, holder)
					}
				}
			}
		}
		for _, ix := range links {
			for _, want := range ix.keys(r) {
				got := v.btx.Bucket(ix.bucket).Get([]byte(want))
				switch {
				case got == nil:
					v.problem("%s: %s %q has no entry %q", ix.bucket, primary, key, want)
				case ix.value != nil && !bytes.Equal(got, ix.value(r)):
					v.problem("%s: entry %q of %s %q holds %q, not %q", ix.bucket, want, primary, key, got, ix.value(r))
				}
			}
		}
		if each != nil {
			each(r)
		}
	}
	for _, ix := range uniq {
		c := v.btx.Bucket(ix.bucket).Cursor()
		for k, holder := c.First(); k != nil; k, holder = c.Next() {
			if err := v.tick(); err != nil {
				return err
			}
			r, ok := load(string(holder))
			switch {
			case !ok:
				v.problem("%s: %s %q points at %s %q, which does not exist", ix.bucket, ix.name, k, primary, holder)
			case !slices.Contains(ix.values(r), string(k)):
				v.problem("%s: %s %q points at %s %q, whose %s is not %q", ix.bucket, ix.name, k, primary, holder, ix.name, k)
			}
		}
	}
	for _, ix := range links {
		c := v.btx.Bucket(ix.bucket).Cursor()
	entries:
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if err := v.tick(); err != nil {
				return err
			}
			for _, key := range ix.pks(k) {
				if r, ok := load(key); ok && slices.Contains(ix.keys(r), string(k)) {
					continue entries
				}
			}
			v.problem("%s: entry %q matches no %s record", ix.bucket, k, primary)
		}
	}
	return nil
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// afterTime: the primary key of keys that are a timeKey then the key.
func afterTime(k []byte) []string {
	if len(k) <= timeLen {
		return nil
	}
	return []string{string(k[timeLen:])}
}

// afterSepTime: the primary keys of composite keys ending in a timeKey
// (or a sequence number) then the key.
func afterSepTime(k []byte) []string {
	var out []string
	for _, s := range afterSep(k) {
		out = append(out, afterTime([]byte(s))...)
	}
	return out
}

// afterSep: the primary keys of composite keys ending in one: whatever
// follows each 0x00 (a part may itself contain 0x00).
func afterSep(k []byte) []string {
	var out []string
	for i, c := range k {
		if c == 0 {
			out = append(out, string(k[i+1:]))
		}
	}
	return out
}

// lastID: the primary key of keys ending in an 8-byte idKey.
func lastID(k []byte) []string {
	if len(k) < 8 {
		return nil
	}
	return []string{string(k[len(k)-8:])}
}

func (v *verifier) partners() error {
	return records(v, bktPartners, func(p core.Partner) string { return string(p.ID) },
		[]unique[core.Partner]{
			{bucket: bktPartnersByUsername, name: "username", values: func(p core.Partner) []string { return one(p.Username) }},
			{bucket: bktPartnersByAPIKey, name: "API key hash", values: func(p core.Partner) []string { return p.APIKeyHashes }},
		}, nil, nil)
}

func (v *verifier) accounts() error {
	return records(v, bktAccounts, func(a core.Account) string { return string(a.ID) }, nil,
		[]link[core.Account]{{bucket: bktAccountChildren, keys: func(a core.Account) []string { return one(childKey(a)) }, pks: afterSep}}, nil)
}

func (v *verifier) products() error {
	return records(v, bktProducts, func(p core.Product) string { return idKey(p.ID) }, nil,
		[]link[core.Product]{{bucket: bktProductsByOwner, keys: func(p core.Product) []string { return one(ownerKey(p)) }, pks: lastID}}, nil)
}

func (v *verifier) sims() error {
	field := func(name string, b []byte, f func(core.SIM) string) unique[core.SIM] {
		return unique[core.SIM]{bucket: b, name: name, values: func(s core.SIM) []string { return one(f(s)) }}
	}
	return records(v, bktSIMs, func(s core.SIM) string { return s.ID },
		[]unique[core.SIM]{
			field("iccid", bktSIMsByICCID, func(s core.SIM) string { return s.ICCID }),
			field("sim number", bktSIMsBySimNumber, func(s core.SIM) string { return s.SimNumber }),
			field("imsi", bktSIMsByIMSI, func(s core.SIM) string { return s.IMSI }),
			field("eid", bktSIMsByEID, func(s core.SIM) string { return s.EID }),
		}, nil, nil)
}

func (v *verifier) numbers() error {
	return records(v, bktNumbers, func(n core.Number) string { return n.MSISDN },
		[]unique[core.Number]{{bucket: bktNumbersByResv, name: "reservation id", values: func(n core.Number) []string { return one(n.ReservationID) }}},
		[]link[core.Number]{
			{bucket: bktNumbersAvailable, keys: func(n core.Number) []string { return one(availableKey(n)) }, pks: afterSep},
			{bucket: bktNumbersAging, keys: func(n core.Number) []string { return one(agingKey(n)) }, pks: afterTime},
		}, nil)
}

func (v *verifier) sqs() error {
	return records(v, bktSQs, func(q core.SQ) string { return idKey(q.ID) }, nil,
		[]link[core.SQ]{{bucket: bktSQsByIdentifier, keys: func(q core.SQ) []string {
			return []string{identifierKey(q.ServiceType, q.ServiceIdentifier, idKey(q.ID))}
		}, pks: lastID}}, nil)
}

// subscriptions: a live subscription holds its ICCID, IMSI and MSISDN
// entries itself; a ceased one keeps them only until a live one takes them
// over. Devices (IMEI) may be shared, so the entry may name any
// subscription with that IMEI. The SIM and the number of a live
// subscription name it as their holder: two live subscriptions on one SIM
// or number show up here.
func (v *verifier) subscriptions() error {
	liveOwns := func(s core.Subscription) bool { return s.Status.Live() }
	field := func(name string, b []byte, own func(core.Subscription) bool, f func(core.Subscription) string) unique[core.Subscription] {
		return unique[core.Subscription]{bucket: b, name: name, own: own, values: func(s core.Subscription) []string { return one(f(s)) }}
	}
	never := func(core.Subscription) bool { return false }
	each := func(s core.Subscription) {
		if !s.Status.Live() {
			return
		}
		if s.SIM != "" {
			var sim core.SIM
			switch ok, err := v.t.load(bktSIMs, s.SIM, &sim); {
			case err != nil:
				v.problem("%v", err)
			case !ok:
				v.problem("live subscription %q holds SIM %q, which does not exist", s.ID, s.SIM)
			case sim.Subscription != s.ID:
				v.heldTwice("SIM", s, s.SIM, sim.Subscription, func(o core.Subscription) bool { return o.SIM == s.SIM })
			}
		}
		if s.MSISDN != "" {
			var n core.Number
			switch ok, err := v.t.load(bktNumbers, s.MSISDN, &n); {
			case err != nil:
				v.problem("%v", err)
			case !ok:
				v.problem("live subscription %q holds number %q, which does not exist", s.ID, s.MSISDN)
			case n.Subscription != s.ID:
				v.heldTwice("number", s, s.MSISDN, n.Subscription, func(o core.Subscription) bool { return o.MSISDN == s.MSISDN })
			}
		}
	}
	return records(v, bktSubscriptions, func(s core.Subscription) string { return s.ID },
		[]unique[core.Subscription]{
			field("iccid", bktSubsByICCID, liveOwns, func(s core.Subscription) string { return s.ICCID }),
			field("imsi", bktSubsByIMSI, liveOwns, func(s core.Subscription) string { return s.IMSI }),
			field("msisdn", bktSubsByMSISDN, liveOwns, func(s core.Subscription) string { return s.MSISDN }),
			field("imei", bktSubsByIMEI, never, func(s core.Subscription) string { return s.IMEI }),
		}, nil, each)
}

// heldTwice reports a SIM or number of live subscription s that names
// holder instead of s.
func (v *verifier) heldTwice(what string, s core.Subscription, id, holder string, same func(core.Subscription) bool) {
	var o core.Subscription
	ok, _ := v.t.load(bktSubscriptions, holder, &o)
	if ok && o.Status.Live() && same(o) {
		v.problem("%s %q is held by two live subscriptions: %q and %q", what, id, s.ID, holder)
		return
	}
	v.problem("%s %q of live subscription %q names %q as its holder", what, id, s.ID, holder)
}

func (v *verifier) transactions() error {
	byPartner := partnerTxKey
	if v.rep.SchemaVersion != 0 && v.rep.SchemaVersion < 4 {
		// A file read as it is (oldestReadableAsIs): keys of before 4, and
		// a deleted transaction's entry may be there or not (no reader
		// lists it).
		byPartner = func(x core.Transaction) string {
			k := legacyPartnerTxKey(x)
			if !x.DeletedAt.IsZero() && v.btx.Bucket(bktTxByPartner).Get([]byte(k)) == nil {
				return ""
			}
			return k
		}
	}
	return records(v, bktTransactions, func(x core.Transaction) string { return x.ID },
		[]unique[core.Transaction]{{bucket: bktTxByKey, name: "partner key", values: func(x core.Transaction) []string {
			k, _ := txKeys(x)
			return one(k)
		}}},
		[]link[core.Transaction]{{bucket: bktTxUnfinished, keys: func(x core.Transaction) []string {
			_, u := txKeys(x)
			return one(u)
		}, pks: afterTime}, {bucket: bktTxByPartner, keys: func(x core.Transaction) []string {
			return one(byPartner(x))
		}, pks: afterSepTime}}, nil)
}

func (v *verifier) sessions() error {
	return records(v, bktSessions, func(s core.Session) string { return s.TokenHash }, nil,
		[]link[core.Session]{{bucket: bktSessionsByExpiry, keys: func(s core.Session) []string { return one(expiryKey(s)) }, pks: afterTime}}, nil)
}

func (v *verifier) hubs() error {
	return records(v, bktHubs, func(h core.Hub) string { return h.ID }, nil,
		[]link[core.Hub]{{bucket: bktHubsByPartner, keys: func(h core.Hub) []string { return one(hubKey(h)) }, pks: afterSepTime}}, nil)
}

func (v *verifier) deliveries() error {
	key := func(i int) func(d core.Delivery) []string {
		return func(d core.Delivery) []string {
			due, byTx, byStatus := deliveryKeys(d)
			return one([]string{due, byTx, byStatus}[i])
		}
	}
	return records(v, bktDeliveries, func(d core.Delivery) string { return d.ID }, nil,
		[]link[core.Delivery]{
			{bucket: bktDeliveriesDue, keys: key(0), pks: afterTime, value: func(d core.Delivery) []byte { return []byte(d.Partner) }},
			{bucket: bktDeliveriesByTx, keys: key(1), pks: afterSepTime},
			{bucket: bktDeliveriesByStatus, keys: key(2), pks: afterSepTime},
		}, nil)
}
