package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"simgate/core"
)

// The binary record format of the records every request reads or writes:
// transactions, deliveries, SIMs, numbers and subscriptions (see
// buckets.go). A record is the tag byte tagBinaryV1, which no JSON text can
// begin with, then the fields of the value in the order of their
// declaration in core, nested structs inline:
//
//   - a string: its length (uvarint), then its bytes;
//   - a []byte: its length + 1 (uvarint), 0 for nil, then its bytes;
//   - a slice of structs: its length + 1 (uvarint), 0 for nil, then the
//     elements; a map: the same, then key and value of each entry, keys
//     in increasing order;
//   - a pointer: a presence byte (0 nil, 1 set), then the target;
//   - a bool: one byte, 0 or 1; a float64: 8 bytes, its IEEE bits
//     little-endian; unsigned integers uvarint, signed ones zig-zag varint;
//   - a time: Unix seconds (varint), nanoseconds (uvarint, < 10^9) and the
//     zone offset in seconds east of UTC (varint, 0 for UTC).
//
// A type has one encoder and one decoder, used both for its own records
// and wherever another record holds it (a Subscription inside an
// ItemResult). Nothing names a field: a change to any of these types
// needs a new tag (tagBinaryV2) whose decoder lives next to this one,
// since records of every earlier format stay in the buckets until they are
// next written. The tag versions the layout of each kind, not the set of
// kinds: what a record is read into chooses its decoder, so a kind that
// joins the format within the same unreleased schema (SIMs, numbers and
// subscriptions joined transactions and deliveries within schema 3) needs
// no new tag. TestCodecCompleteness fails on a field this codec does not
// carry.
const tagBinaryV1 = 0x01

// encodeRecord answers the stored form of v: binary for a transaction, a
// delivery, a SIM, a number or a subscription, JSON for every other record.
// A binary record is encoded into a pooled buffer, then copied out
// exactly: one allocation of the record's size, which the overlay then
// keeps.
func encodeRecord(v any) ([]byte, error) {
	bp := encodeBuffers.Get().(*[]byte)
	defer encodeBuffers.Put(bp)
	b := appendBinary(append((*bp)[:0], tagBinaryV1), v)
	if b == nil { // another record, or a nil pointer ("null" as before)
		return json.Marshal(v)
	}
	if cap(b) <= maxPooledBuffer {
		*bp = b
	}
	return bytes.Clone(b), nil
}

// appendBinary appends the fields of v to b, the tag already written, or
// answers nil when v has no binary format. Each value case takes the
// address of its own copy, which does not escape: no allocation.
func appendBinary(b []byte, v any) []byte {
	switch v := v.(type) {
	case core.Transaction:
		return appendTransaction(b, &v)
	case *core.Transaction:
		if v != nil {
			return appendTransaction(b, v)
		}
	case core.Delivery:
		return appendDelivery(b, &v)
	case *core.Delivery:
		if v != nil {
			return appendDelivery(b, v)
		}
	case core.SIM:
		return appendSIM(b, &v)
	case *core.SIM:
		if v != nil {
			return appendSIM(b, v)
		}
	case core.Number:
		return appendNumber(b, &v)
	case *core.Number:
		if v != nil {
			return appendNumber(b, v)
		}
	case core.Subscription:
		return appendSubscription(b, &v)
	case *core.Subscription:
		if v != nil {
			return appendSubscription(b, v)
		}
	}
	return nil
}

// maxPooledBuffer keeps a rare huge record's buffer out of the pool.
const maxPooledBuffer = 64 << 10

var encodeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// decodeRecord fills v, a pointer, from raw in either format: binary when
// raw begins with a binary tag, JSON otherwise (records written before
// the binary format, which are never migrated). raw need only be valid
// during the call: nothing decoded shares its memory. A damaged binary
// record leaves v as it was. The cases are spelled out: a generic helper
// taking the field reader as a function value moves the record to the
// heap (one more allocation per read, +160 B for a SIM).
func decodeRecord(raw []byte, v any) error {
	if len(raw) == 0 || raw[0] != tagBinaryV1 {
		return json.Unmarshal(raw, v)
	}
	d := decoder{b: raw[1:]}
	switch v := v.(type) {
	case *core.Transaction:
		var x core.Transaction
		d.transaction(&x)
		return setDecoded(d.finish(), v, x)
	case *core.Delivery:
		var x core.Delivery
		d.delivery(&x)
		return setDecoded(d.finish(), v, x)
	case *core.SIM:
		var x core.SIM
		d.sim(&x)
		return setDecoded(d.finish(), v, x)
	case *core.Number:
		var x core.Number
		d.number(&x)
		return setDecoded(d.finish(), v, x)
	case *core.Subscription:
		var x core.Subscription
		d.subscription(&x)
		return setDecoded(d.finish(), v, x)
	}
	return fmt.Errorf("binary record cannot be read into %T", v)
}

// setDecoded stores x, a whole record, into v unless its decoder
// finished with err.
func setDecoded[T any](err error, v *T, x T) error {
	if err == nil {
		*v = x
	}
	return err
}

// Encoding.

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, p []byte) []byte {
	if p == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(p))+1)
	return append(b, p...)
}

// appendCount writes a slice's or map's length + 1, 0 for nil.
func appendCount(b []byte, n int, isNil bool) []byte {
	if isNil {
		return append(b, 0)
	}
	return binary.AppendUvarint(b, uint64(n)+1)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	off := 0
	if t.Location() != time.UTC {
		_, off = t.Zone()
	}
	return binary.AppendVarint(b, int64(off))
}

func appendTransaction(b []byte, x *core.Transaction) []byte {
	b = appendString(b, x.ID)
	b = binary.AppendUvarint(b, x.Seq)
	b = appendString(b, string(x.Partner))
	b = appendString(b, string(x.Channel))
	b = appendString(b, x.Operation)
	b = appendString(b, x.PartnerTxID)
	b = appendString(b, x.CorrelationID)
	b = appendString(b, x.BodyHash)
	b = appendBytes(b, x.Ack)
	b = binary.AppendVarint(b, int64(x.AckStatus))
	b = appendString(b, x.CallbackURL)
	b = appendBytes(b, x.Context)
	b = appendJob(b, &x.Job)
	b = appendString(b, string(x.Status))
	b = appendCount(b, len(x.Results), x.Results == nil)
	for i := range x.Results {
		b = appendItemResult(b, &x.Results[i])
	}
	b = appendCount(b, len(x.History), x.History == nil)
	for _, e := range x.History {
		b = appendTime(b, e.At)
		b = appendString(b, string(e.Status))
		b = appendString(b, e.Note)
	}
	b = appendTime(b, x.CreatedAt)
	b = appendTime(b, x.UpdatedAt)
	return appendTime(b, x.DeletedAt)
}

func appendJob(b []byte, j *core.Job) []byte {
	b = appendCount(b, len(j.Activations), j.Activations == nil)
	for i := range j.Activations {
		b = appendActivate(b, &j.Activations[i])
	}
	b = appendCount(b, len(j.Changes), j.Changes == nil)
	for _, c := range j.Changes {
		b = appendTxRef(b, c.Ref)
		b = appendString(b, string(c.Account))
		b = appendString(b, string(c.Subscription.Kind))
		b = appendString(b, c.Subscription.Value)
		b = appendString(b, string(c.Action))
	}
	b = appendCount(b, len(j.Moves), j.Moves == nil)
	for _, m := range j.Moves {
		b = appendTxRef(b, m.Ref)
		b = appendString(b, string(m.Subscriber.Kind))
		b = appendString(b, m.Subscriber.Value)
		b = appendString(b, string(m.Target))
	}
	return b
}

func appendTxRef(b []byte, r core.TxRef) []byte {
	b = appendString(b, string(r.Partner))
	b = appendString(b, string(r.Channel))
	b = appendString(b, r.PartnerTxID)
	return appendString(b, r.CorrelationID)
}

func appendActivate(b []byte, a *core.Activate) []byte {
	b = appendTxRef(b, a.Ref)
	b = appendString(b, string(a.Account))
	b = appendString(b, a.SIM.ICCID)
	b = appendString(b, a.SIM.SimNumber)
	b = appendString(b, a.SIM.EID)
	b = appendString(b, a.Device.IMEI)
	b = appendString(b, a.Device.PEI)
	b = appendString(b, a.Device.Make)
	b = appendString(b, a.Device.Model)
	b = binary.AppendUvarint(b, uint64(a.Number.Mode))
	b = appendString(b, a.Number.MSISDN)
	b = appendString(b, a.Number.ReservationID)
	b = appendString(b, a.Number.Pool)
	b = appendBool(b, a.Number.AcceptReserved)
	b = appendString(b, a.Plan)
	b = appendProducts(b, a.Products)
	b = appendString(b, a.SubscriberID)
	b = appendString(b, a.ActivationCode)
	b = appendBool(b, a.SQ != nil)
	if a.SQ != nil {
		b = binary.AppendVarint(b, a.SQ.ID)
		b = appendString(b, a.SQ.ServiceIdentifier)
		b = binary.AppendVarint(b, a.SQ.ServiceType)
	}
	b = binary.AppendVarint(b, a.Product)
	return appendString(b, a.BAN)
}

func appendProducts(b []byte, ps []core.ProductChange) []byte {
	b = appendCount(b, len(ps), ps == nil)
	for _, p := range ps {
		b = appendString(b, p.ProductID)
		b = appendString(b, string(p.Action))
		b = appendCount(b, len(p.Characteristics), p.Characteristics == nil)
		if len(p.Characteristics) <= 1 {
			for k, v := range p.Characteristics {
				b = appendString(appendString(b, k), v)
			}
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(p.Characteristics)) { // equal values, equal bytes
			b = appendString(appendString(b, k), p.Characteristics[k])
		}
	}
	return b
}

func appendItemResult(b []byte, r *core.ItemResult) []byte {
	b = appendBool(b, r.OK)
	b = appendBool(b, r.Subscription != nil)
	if r.Subscription != nil {
		b = appendSubscription(b, r.Subscription)
	}
	b = appendBool(b, r.Error != nil)
	if e := r.Error; e != nil {
		b = binary.AppendUvarint(b, uint64(e.Kind))
		b = appendString(b, string(e.Reason))
		b = appendString(b, e.Field)
		b = appendString(b, e.Message)
	}
	return b
}

func appendSubscription(b []byte, s *core.Subscription) []byte {
	b = appendString(b, s.ID)
	b = appendString(b, string(s.Partner))
	b = appendString(b, string(s.Account))
	b = appendString(b, string(s.Channel))
	b = appendString(b, string(s.Status))
	b = appendString(b, s.SIM)
	b = appendString(b, s.ICCID)
	b = appendString(b, s.SimNumber)
	b = appendString(b, s.IMSI)
	b = appendString(b, s.EID)
	b = appendString(b, s.MSISDN)
	b = appendString(b, s.IMEI)
	b = binary.AppendVarint(b, s.Product)
	b = binary.AppendVarint(b, s.ServiceType)
	b = appendString(b, s.ServiceIdentifier)
	b = binary.AppendVarint(b, s.SQ)
	b = appendString(b, s.Plan)
	b = appendProducts(b, s.Products)
	b = appendString(b, s.SubscriberID)
	b = appendString(b, s.ActivationCode)
	b = appendString(b, s.BAN)
	b = appendTime(b, s.CreatedAt)
	b = appendTime(b, s.UpdatedAt)
	return appendTime(b, s.CeasedAt)
}

func appendSIM(b []byte, s *core.SIM) []byte {
	b = appendString(b, s.ID)
	b = appendString(b, s.ICCID)
	b = appendString(b, s.SimNumber)
	b = appendString(b, s.IMSI)
	b = appendString(b, s.EID)
	b = binary.AppendVarint(b, s.Product)
	b = appendString(b, string(s.Owner))
	b = appendString(b, string(s.Account))
	b = appendString(b, string(s.Status))
	b = appendBool(b, s.Locked)
	return appendString(b, s.Subscription)
}

func appendNumber(b []byte, n *core.Number) []byte {
	b = appendString(b, n.MSISDN)
	b = appendString(b, string(n.Owner))
	b = appendString(b, string(n.Account))
	b = appendString(b, n.Pool)
	b = appendString(b, string(n.Status))
	b = appendString(b, n.ReservationID)
	b = appendString(b, n.Subscription)
	return appendTime(b, n.AgingUntil)
}

func appendDelivery(b []byte, d *core.Delivery) []byte {
	b = appendString(b, d.ID)
	b = appendString(b, string(d.Partner))
	b = appendString(b, d.TxID)
	b = appendString(b, d.Event)
	b = appendString(b, d.URL)
	b = appendString(b, d.ContentType)
	b = appendBytes(b, d.Body)
	b = appendString(b, string(d.Accept))
	b = appendString(b, string(d.Status))
	b = appendCount(b, len(d.Attempts), d.Attempts == nil)
	for _, a := range d.Attempts {
		b = appendTime(b, a.At)
		b = binary.AppendVarint(b, int64(a.StatusCode))
		b = appendString(b, a.Error)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(a.Duration))
	}
	b = appendTime(b, d.NextAt)
	b = appendTime(b, d.ClaimedUntil)
	return appendTime(b, d.CreatedAt)
}

// Decoding. A decoder reads from b and keeps the first error; after one,
// every read answers a zero value, so the record's reader runs to its end
// without checks and finish reports the error. Every length is checked
// against the bytes left before anything is allocated, so damaged bytes
// cost at most a small multiple of their own length.
type decoder struct {
	b   []byte // the bytes still to read
	err error
}

var (
	errTruncated = errors.New("truncated binary record")
	errOverflow  = errors.New("binary record: varint overflows 64 bits")
)

func varintError(n int) error {
	if n < 0 {
		return errOverflow
	}
	return errTruncated
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) finish() error {
	if d.err == nil && len(d.b) > 0 {
		return fmt.Errorf("%d trailing bytes after the binary record", len(d.b))
	}
	return d.err
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(varintError(n))
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(varintError(n))
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a varint that must fit an int.
func (d *decoder) int() int {
	v := d.varint()
	if int64(int(v)) != v {
		d.fail(fmt.Errorf("binary record: integer %d out of range", v))
		return 0
	}
	return int(v)
}

func (d *decoder) uint8() uint8 {
	v := d.uvarint()
	if v > math.MaxUint8 {
		d.fail(fmt.Errorf("binary record: %d out of range for a uint8", v))
		return 0
	}
	return uint8(v)
}

func (d *decoder) bool() bool {
	if len(d.b) == 0 {
		d.fail(errTruncated)
		return false
	}
	c := d.b[0]
	d.b = d.b[1:]
	if c > 1 {
		d.fail(fmt.Errorf("binary record: bool byte %d", c))
		return false
	}
	return c == 1
}

// take answers the next n bytes, still the caller's memory.
func (d *decoder) take(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail(errTruncated)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n == 0 {
		return ""
	}
	return string(d.take(n))
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	p := d.take(n - 1)
	if d.err != nil {
		return nil
	}
	return append(make([]byte, 0, len(p)), p...)
}

// count reads a slice's or map's length + 1: -1 for nil. min is the fewest
// bytes one element takes, so a count the bytes left cannot hold fails
// before anything is allocated for it.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return -1
	}
	n--
	if n > uint64(len(d.b)/min) {
		d.fail(fmt.Errorf("binary record: %d elements in %d bytes", n, len(d.b)))
		return -1
	}
	return int(n)
}

func (d *decoder) float64() float64 {
	p := d.take(8)
	if d.err != nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p))
}

func (d *decoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	off := d.varint()
	switch {
	case d.err != nil:
		return time.Time{}
	case nsec >= 1e9:
		d.fail(fmt.Errorf("binary record: %d nanoseconds", nsec))
		return time.Time{}
	case int64(int(off)) != off: // any offset a time.FixedZone holds, as appendTime writes it
		d.fail(fmt.Errorf("binary record: zone offset of %d seconds", off))
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if off != 0 {
		t = inZoneAsJSON(t, int(off))
	}
	return t
}

// inZoneAsJSON answers t with the location encoding/json gives a time
// written with offset off: Local when Local has that offset at that
// instant, a nameless fixed zone otherwise (time.Parse's rule). Core
// writes UTC times only; this keeps the decoding of any other exactly
// what the JSON records gave.
func inZoneAsJSON(t time.Time, off int) time.Time {
	if _, localOff := t.In(time.Local).Zone(); localOff == off {
		return t.In(time.Local)
	}
	return t.In(time.FixedZone("", off))
}

// readSlice reads a slice written as count and elements; min as for count.
func readSlice[T any](d *decoder, min int, read func(*decoder, *T)) []T {
	n := d.count(min)
	if n < 0 {
		return nil
	}
	s := make([]T, n)
	for i := range s {
		read(d, &s[i])
	}
	if d.err != nil {
		return nil
	}
	return s
}

// The fewest bytes each element kind takes (one per field at least).
const (
	minTime          = 3
	minTxRef         = 4
	minActivate      = minTxRef + 1 + 3 + 4 + 5 + 1 + 1 + 1 + 1 + 1 + 1 + 1
	minChangeStatus  = minTxRef + 4
	minMove          = minTxRef + 3
	minProductChange = 3
	minItemResult    = 3
	minTxEvent       = minTime + 2
	minAttempt       = minTime + 1 + 1 + 8
	minMapEntry      = 2
)

func (d *decoder) transaction(x *core.Transaction) {
	x.ID = d.string()
	x.Seq = d.uvarint()
	x.Partner = core.PartnerID(d.string())
	x.Channel = core.Channel(d.string())
	x.Operation = d.string()
	x.PartnerTxID = d.string()
	x.CorrelationID = d.string()
	x.BodyHash = d.string()
	x.Ack = d.bytes()
	x.AckStatus = d.int()
	x.CallbackURL = d.string()
	x.Context = d.bytes()
	d.job(&x.Job)
	x.Status = core.TxStatus(d.string())
	x.Results = readSlice(d, minItemResult, (*decoder).itemResult)
	x.History = readSlice(d, minTxEvent, func(d *decoder, e *core.TxEvent) {
		e.At = d.time()
		e.Status = core.TxStatus(d.string())
		e.Note = d.string()
	})
	x.CreatedAt = d.time()
	x.UpdatedAt = d.time()
	x.DeletedAt = d.time()
}

func (d *decoder) job(j *core.Job) {
	j.Activations = readSlice(d, minActivate, (*decoder).activate)
	j.Changes = readSlice(d, minChangeStatus, func(d *decoder, c *core.ChangeStatus) {
		c.Ref = d.txRef()
		c.Account = core.AccountID(d.string())
		c.Subscription.Kind = core.SubscriberKind(d.string())
		c.Subscription.Value = d.string()
		c.Action = core.Action(d.string())
	})
	j.Moves = readSlice(d, minMove, func(d *decoder, m *core.Move) {
		m.Ref = d.txRef()
		m.Subscriber.Kind = core.SubscriberKind(d.string())
		m.Subscriber.Value = d.string()
		m.Target = core.AccountID(d.string())
	})
}

func (d *decoder) txRef() core.TxRef {
	return core.TxRef{
		Partner:       core.PartnerID(d.string()),
		Channel:       core.Channel(d.string()),
		PartnerTxID:   d.string(),
		CorrelationID: d.string(),
	}
}

func (d *decoder) activate(a *core.Activate) {
	a.Ref = d.txRef()
	a.Account = core.AccountID(d.string())
	a.SIM.ICCID = d.string()
	a.SIM.SimNumber = d.string()
	a.SIM.EID = d.string()
	a.Device.IMEI = d.string()
	a.Device.PEI = d.string()
	a.Device.Make = d.string()
	a.Device.Model = d.string()
	a.Number.Mode = core.NumberMode(d.uint8())
	a.Number.MSISDN = d.string()
	a.Number.ReservationID = d.string()
	a.Number.Pool = d.string()
	a.Number.AcceptReserved = d.bool()
	a.Plan = d.string()
	a.Products = d.products()
	a.SubscriberID = d.string()
	a.ActivationCode = d.string()
	if d.bool() {
		a.SQ = &core.SQRef{ID: d.varint(), ServiceIdentifier: d.string(), ServiceType: d.varint()}
	}
	a.Product = d.varint()
	a.BAN = d.string()
}

func (d *decoder) products() []core.ProductChange {
	return readSlice(d, minProductChange, func(d *decoder, p *core.ProductChange) {
		p.ProductID = d.string()
		p.Action = core.ProductAction(d.string())
		n := d.count(minMapEntry)
		if n < 0 {
			return
		}
		p.Characteristics = make(map[string]string, n)
		for range n {
			k := d.string()
			p.Characteristics[k] = d.string()
		}
		if len(p.Characteristics) != n && d.err == nil {
			d.fail(errors.New("binary record: a map key written twice"))
		}
	})
}

func (d *decoder) itemResult(r *core.ItemResult) {
	r.OK = d.bool()
	if d.bool() {
		r.Subscription = &core.Subscription{}
		d.subscription(r.Subscription)
	}
	if d.bool() {
		r.Error = &core.ErrorInfo{Kind: core.Kind(d.uint8()), Reason: core.Reason(d.string()), Field: d.string(), Message: d.string()}
	}
}

func (d *decoder) subscription(s *core.Subscription) {
	s.ID = d.string()
	s.Partner = core.PartnerID(d.string())
	s.Account = core.AccountID(d.string())
	s.Channel = core.Channel(d.string())
	s.Status = core.SubscriptionStatus(d.string())
	s.SIM = d.string()
	s.ICCID = d.string()
	s.SimNumber = d.string()
	s.IMSI = d.string()
	s.EID = d.string()
	s.MSISDN = d.string()
	s.IMEI = d.string()
	s.Product = d.varint()
	s.ServiceType = d.varint()
	s.ServiceIdentifier = d.string()
	s.SQ = d.varint()
	s.Plan = d.string()
	s.Products = d.products()
	s.SubscriberID = d.string()
	s.ActivationCode = d.string()
	s.BAN = d.string()
	s.CreatedAt = d.time()
	s.UpdatedAt = d.time()
	s.CeasedAt = d.time()
}

func (d *decoder) sim(s *core.SIM) {
	s.ID = d.string()
	s.ICCID = d.string()
	s.SimNumber = d.string()
	s.IMSI = d.string()
	s.EID = d.string()
	s.Product = d.varint()
	s.Owner = core.PartnerID(d.string())
	s.Account = core.AccountID(d.string())
	s.Status = core.SIMStatus(d.string())
	s.Locked = d.bool()
	s.Subscription = d.string()
}

func (d *decoder) number(n *core.Number) {
	n.MSISDN = d.string()
	n.Owner = core.PartnerID(d.string())
	n.Account = core.AccountID(d.string())
	n.Pool = d.string()
	n.Status = core.NumberStatus(d.string())
	n.ReservationID = d.string()
	n.Subscription = d.string()
	n.AgingUntil = d.time()
}

func (d *decoder) delivery(x *core.Delivery) {
	x.ID = d.string()
	x.Partner = core.PartnerID(d.string())
	x.TxID = d.string()
	x.Event = d.string()
	x.URL = d.string()
	x.ContentType = d.string()
	x.Body = d.bytes()
	x.Accept = core.Acceptance(d.string())
	x.Status = core.DeliveryStatus(d.string())
	x.Attempts = readSlice(d, minAttempt, func(d *decoder, a *core.Attempt) {
		a.At = d.time()
		a.StatusCode = d.int()
		a.Error = d.string()
		a.Duration = d.float64()
	})
	x.NextAt = d.time()
	x.ClaimedUntil = d.time()
	x.CreatedAt = d.time()
}
