package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
)

// filler sets every exported field reachable from a value, through
// structs, pointers, slices and maps, to a value no other field gets. Full
// gives every slice and map three elements and every pointer a target, so
// that a field the codec does not carry cannot survive a round trip; sparse
// takes turns between nil, empty and one-element slices and maps, nil and
// set pointers, false and true. A kind the filler does not know fails the
// test: a field of that kind needs the codec's attention too.
type filler struct {
	t      testing.TB
	n      int
	sparse bool
}

func (f *filler) next() int { f.n++; return f.n }

// count answers how many elements a slice or map gets: 3 in a full fill;
// in a sparse one nil (-1), empty or one, in turn.
func (f *filler) count() int {
	if !f.sparse {
		return 3
	}
	return []int{-1, 0, 1}[f.next()%3]
}

func (f *filler) fill(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if f.sparse && f.next()%2 == 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), path)
	case reflect.Slice:
		n := f.count()
		if n < 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			f.fill(v.Index(i), path+"[]")
		}
	case reflect.Map:
		n := f.count()
		if n < 0 {
			v.SetZero()
			return
		}
		v.Set(reflect.MakeMapWithSize(v.Type(), n))
		for range n {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(k, path+"{key}")
			f.fill(e, path+"{}")
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			n := f.next()
			v.Set(reflect.ValueOf(time.Date(1900+n%400, time.Month(1+n%12), 1+n%28, n%24, n%60, n%60, n*1001, time.UTC)))
			return
		}
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if !sf.IsExported() {
				f.t.Fatalf("%s.%s: an unexported field the codec cannot carry", path, sf.Name)
			}
			f.fill(v.Field(i), path+"."+sf.Name)
		}
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", f.next()))
	case reflect.Bool:
		v.SetBool(!f.sparse || f.next()%2 == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := int64(f.next())
		if v.Kind() == reflect.Int64 && n%2 == 0 {
			n = -n << 33 // negative, and beyond 32 bits
		}
		v.SetInt(n)
	case reflect.Uint8:
		v.SetUint(uint64(1 + f.next()%255))
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.next()) << 20)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.next()) + 0.125)
	default:
		f.t.Fatalf("%s: a field of kind %s the filler (and the codec) does not know", path, v.Kind())
	}
}

func filled[T any](t testing.TB, sparse bool, seed int) T {
	var v T
	f := &filler{t: t, n: seed, sparse: sparse}
	f.fill(reflect.ValueOf(&v).Elem(), reflect.TypeFor[T]().Name())
	return v
}

// binaryRoundTrip encodes v in binary and decodes it again.
func binaryRoundTrip[T any](t testing.TB, v T) T {
	t.Helper()
	raw, err := encodeRecord(v)
	require.NoError(t, err)
	require.Equal(t, byte(tagBinaryV1), raw[0])
	var got T
	require.NoError(t, decodeRecord(raw, &got))
	again, err := encodeRecord(got)
	require.NoError(t, err)
	require.Equal(t, raw, again, "the encoding of the decoded value differs")
	return got
}

func jsonRoundTrip[T any](t testing.TB, v T) T {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	var got T
	require.NoError(t, json.Unmarshal(raw, &got))
	return got
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

// codecKinds runs check for every record kind the binary format carries,
// with a filled value of that kind; name names the kind.
func codecKinds(t testing.TB, sparse bool, seed int, check func(name string, v any, roundTrip func() any, jsonTrip func() any)) {
	x := filled[core.Transaction](t, sparse, seed)
	check("transaction", x, func() any { return binaryRoundTrip(t, x) }, func() any { return jsonRoundTrip(t, x) })
	d := filled[core.Delivery](t, sparse, seed+100)
	check("delivery", d, func() any { return binaryRoundTrip(t, d) }, func() any { return jsonRoundTrip(t, d) })
	sim := filled[core.SIM](t, sparse, seed+200)
	check("SIM", sim, func() any { return binaryRoundTrip(t, sim) }, func() any { return jsonRoundTrip(t, sim) })
	n := filled[core.Number](t, sparse, seed+300)
	check("number", n, func() any { return binaryRoundTrip(t, n) }, func() any { return jsonRoundTrip(t, n) })
	sub := filled[core.Subscription](t, sparse, seed+400)
	check("subscription", sub, func() any { return binaryRoundTrip(t, sub) }, func() any { return jsonRoundTrip(t, sub) })
}

// TestCodecCompleteness: every field of every record kind in binary
// (transactions, deliveries, SIMs, numbers, subscriptions), however deep,
// survives the binary round trip exactly, nil and empty slices, maps and
// pointers apart. A field added to any type they reach and not to the
// codec fails here.
func TestCodecCompleteness(t *testing.T) {
	for seed, sparse := range []bool{false, true, true, true} {
		codecKinds(t, sparse, seed*1000, func(name string, v any, roundTrip, _ func() any) {
			if got := roundTrip(); !assert.True(t, reflect.DeepEqual(v, got), "sparse=%v/seed=%d: %s differs after the round trip", sparse, seed, name) {
				assert.Equal(t, v, got) // the difference
			}
		})
	}
	// The zero values, and the filler's reach: a full fill leaves no
	// field of any type at its zero value.
	assert.True(t, reflect.DeepEqual(core.Transaction{}, binaryRoundTrip(t, core.Transaction{})))
	assert.True(t, reflect.DeepEqual(core.Delivery{}, binaryRoundTrip(t, core.Delivery{})))
	assert.True(t, reflect.DeepEqual(core.SIM{}, binaryRoundTrip(t, core.SIM{})))
	assert.True(t, reflect.DeepEqual(core.Number{}, binaryRoundTrip(t, core.Number{})))
	assert.True(t, reflect.DeepEqual(core.Subscription{}, binaryRoundTrip(t, core.Subscription{})))
	codecKinds(t, false, 0, func(name string, v any, _, _ func() any) {
		assert.Empty(t, zeroFields(reflect.ValueOf(v), name))
	})
}

// A subscription is one piece of code wherever it is written: its record
// is the tag, then exactly the bytes it takes inside an item result.
func TestCodecSubscriptionShared(t *testing.T) {
	sub := filled[core.Subscription](t, false, 0)
	rec, err := encodeRecord(sub)
	require.NoError(t, err)
	inResult := appendItemResult(nil, &core.ItemResult{Subscription: &sub})
	assert.Equal(t, append(append([]byte{0, 1}, rec[1:]...), 0), inResult)
}

// zeroFields lists the paths of the zero values reachable from v.
func zeroFields(v reflect.Value, path string) []string {
	if v.IsZero() {
		return []string{path}
	}
	var out []string
	switch v.Kind() {
	case reflect.Pointer:
		out = zeroFields(v.Elem(), path)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := range v.Len() {
				out = append(out, zeroFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case reflect.Struct:
		if v.Type() != timeType {
			for i := range v.NumField() {
				out = append(out, zeroFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
			}
		}
	}
	return out
}

// The binary records read as the JSON ones did: what the code sees of a
// decoded record renders in JSON exactly as the JSON record's decoding.
func TestCodecJSONEquivalence(t *testing.T) {
	for seed, sparse := range []bool{false, true, true, true} {
		codecKinds(t, sparse, seed*1000, func(name string, _ any, roundTrip, jsonTrip func() any) {
			assert.Equal(t, jsonOf(t, jsonTrip()), jsonOf(t, roundTrip()), "sparse=%v/seed=%d: %s", sparse, seed, name)
		})
	}
}

// Times: the zero time stays zero, times far outside the range of Unix
// nanoseconds keep every nanosecond, and a time in another zone than UTC
// comes back in the location encoding/json would have given it.
func TestCodecTimes(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(1066, 10, 14, 9, 0, 0, 999_999_999, time.UTC),
		time.Date(1677, 9, 21, 0, 12, 43, 145_224_191, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2262, 4, 11, 23, 47, 16, 854_775_808, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 3, 1, 10, 0, 0, 123_456_789, time.FixedZone("AEDT", 11*3600)),
		time.Date(2026, 3, 1, 10, 0, 0, 5, time.FixedZone("", -(3*3600+30*60))),
		time.Now(), // a monotonic reading, which neither format keeps
	}
	for _, at := range times {
		x := core.Transaction{CreatedAt: at, History: []core.TxEvent{{At: at}}}
		got, want := binaryRoundTrip(t, x), jsonRoundTrip(t, x)
		assert.True(t, reflect.DeepEqual(want, got), "%v: binary %v, JSON %v", at, got.CreatedAt, want.CreatedAt)
		assert.Equal(t, at.IsZero(), got.CreatedAt.IsZero())
		assert.True(t, at.Equal(got.CreatedAt))
	}
	// Beyond what JSON can write at all.
	for _, at := range []time.Time{time.Date(-44, 3, 15, 12, 0, 0, 7, time.UTC), time.Date(30000, 1, 1, 0, 0, 0, 1, time.UTC)} {
		got := binaryRoundTrip(t, core.Delivery{NextAt: at})
		assert.True(t, reflect.DeepEqual(at, got.NextAt), "%v: %v", at, got.NextAt)
	}
}

// A time the encoder writes is read back, whatever its zone offset: one
// of a day or more (a fixed zone allows any) was written without an
// error and then refused by the decoder, so the record could never be
// read again. encoding/json refused such a time at the write instead.
func TestCodecTimesAnyOffset(t *testing.T) {
	for _, off := range []int{24 * 3600, -24 * 3600, 26 * 3600, -(36*3600 + 17), math.MaxInt32} {
		at := time.Date(2026, 3, 1, 10, 0, 0, 42, time.FixedZone("", off))
		n := core.Number{MSISDN: "61480356122", AgingUntil: at}
		raw, err := encodeRecord(n)
		require.NoError(t, err)
		var got core.Number
		require.NoError(t, decodeRecord(raw, &got), "offset %d", off)
		assert.True(t, at.Equal(got.AgingUntil), "offset %d: %v", off, got.AgingUntil)
		_, gotOff := got.AgingUntil.Zone()
		assert.Equal(t, off, gotOff)
	}
}

// In a process whose Local zone is not UTC, a time in Local, in Local's
// offset of the moment, or in another offset, decodes in the location
// encoding/json gives it (time.Parse's rule): the test runs itself again
// with TZ set.
func TestCodecTimesInLocalZone(t *testing.T) {
	if os.Getenv("SIMGATE_CODEC_TZ_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCodecTimesInLocalZone$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "SIMGATE_CODEC_TZ_CHILD=1", "TZ=Australia/Sydney")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		if bytes.Contains(out, []byte("--- SKIP")) {
			t.Skipf("%s", out)
		}
		return
	}
	summer := time.Date(2026, 1, 15, 10, 0, 0, 5, time.Local)
	if _, off := summer.Zone(); off != 11*3600 {
		t.Skip("no zone database for Australia/Sydney")
	}
	winter := time.Date(2026, 7, 15, 10, 0, 0, 999, time.Local)
	for _, at := range []time.Time{
		summer, winter,
		summer.In(time.FixedZone("AEDT", 11*3600)), // Local's offset then: JSON gives Local
		winter.In(time.FixedZone("", 11*3600)),     // not Local's offset then: a fixed zone
		winter.UTC(),
	} {
		x := core.Delivery{NextAt: at, Attempts: []core.Attempt{{At: at}}}
		got, want := binaryRoundTrip(t, x), jsonRoundTrip(t, x)
		assert.True(t, reflect.DeepEqual(want, got), "%v: binary %v (%s), JSON %v (%s)", at,
			got.NextAt, got.NextAt.Location(), want.NextAt, want.NextAt.Location())
	}
}

// Damaged binary records fail, naming what is wrong, never panic, and
// leave the value read into as it was.
func TestCodecDamage(t *testing.T) {
	raw, err := encodeRecord(filled[core.Transaction](t, false, 0))
	require.NoError(t, err)
	var x core.Transaction
	var d core.Delivery
	assert.ErrorContains(t, decodeRecord(raw, &d), "binary record")
	var p core.Partner
	assert.ErrorContains(t, decodeRecord(raw, &p), "cannot be read into *core.Partner")
	null, err := encodeRecord((*core.Delivery)(nil)) // as json.Marshal did
	require.NoError(t, err)
	assert.Equal(t, "null", string(null))
	for _, v := range []any{(*core.SIM)(nil), (*core.Number)(nil), (*core.Subscription)(nil)} {
		null, err := encodeRecord(v)
		require.NoError(t, err)
		assert.Equal(t, "null", string(null))
	}
	// A count far beyond the bytes left is refused before any allocation.
	huge := append([]byte{tagBinaryV1}, make([]byte, 8)...) // ID .. BodyHash empty
	huge = binary.AppendUvarint(huge, math.MaxUint64)
	assert.ErrorContains(t, decodeRecord(huge, &x), "truncated")
	bad := []byte{tagBinaryV1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	bad = binary.AppendUvarint(bad, 1<<40) // 2^40-1 activations
	assert.ErrorContains(t, decodeRecord(bad, &x), "elements in")
	var sub core.Subscription
	bad = append([]byte{tagBinaryV1}, make([]byte, 17)...) // ID .. Plan empty or 0
	bad = binary.AppendUvarint(bad, 1<<40)                 // 2^40-1 products
	assert.ErrorContains(t, decodeRecord(bad, &sub), "elements in")
	var n core.Number
	bad = append([]byte{tagBinaryV1}, make([]byte, 7)...)        // MSISDN .. Subscription empty
	bad = binary.AppendUvarint(binary.AppendVarint(bad, 0), 1e9) // AgingUntil, a second of nanoseconds
	bad = append(bad, 0)
	assert.ErrorContains(t, decodeRecord(bad, &n), "1000000000 nanoseconds")
	var sim core.SIM
	bad = append([]byte{tagBinaryV1}, make([]byte, 9)...) // ID .. Status empty, Product 0
	bad = append(bad, 2, 0)                               // Locked 2
	assert.ErrorContains(t, decodeRecord(bad, &sim), "bool byte 2")

	// Every kind: cut anywhere, or followed by a byte, a record fails and
	// the value read into keeps what it held; read into another kind it
	// fails too (for these values: the layouts are not self-describing).
	kinds := []struct {
		name string
		v    any
		into func() any
	}{
		{"transaction", filled[core.Transaction](t, false, 0), func() any { return &core.Transaction{ID: "kept"} }},
		{"delivery", filled[core.Delivery](t, false, 0), func() any { return &core.Delivery{ID: "kept"} }},
		{"SIM", filled[core.SIM](t, false, 0), func() any { return &core.SIM{ID: "kept"} }},
		{"number", filled[core.Number](t, false, 0), func() any { return &core.Number{MSISDN: "kept"} }},
		{"subscription", filled[core.Subscription](t, false, 0), func() any { return &core.Subscription{ID: "kept"} }},
	}
	for i, k := range kinds {
		raw, err := encodeRecord(k.v)
		require.NoError(t, err)
		for n := 1; n < len(raw); n++ {
			into := k.into()
			assert.Error(t, decodeRecord(raw[:n], into), "%s truncated to %d bytes", k.name, n)
			assert.Equal(t, k.into(), into, "%s truncated to %d bytes", k.name, n)
		}
		into := k.into()
		assert.ErrorContains(t, decodeRecord(append(bytes.Clone(raw), 0), into), "1 trailing bytes", k.name)
		assert.Equal(t, k.into(), into)
		for j, other := range kinds {
			if j != i {
				assert.Error(t, decodeRecord(raw, other.into()), "%s read as a %s", k.name, other.name)
			}
		}
	}
}

// FuzzDecodeRecord: no input makes the decoders panic, and whatever one
// accepts encodes to bytes that decode to the same encoding.
func FuzzDecodeRecord(f *testing.F) {
	for seed, sparse := range []bool{false, true} {
		for _, v := range []any{filled[core.Transaction](f, sparse, seed), filled[core.Delivery](f, sparse, seed),
			filled[core.SIM](f, sparse, seed), filled[core.Number](f, sparse, seed), filled[core.Subscription](f, sparse, seed)} {
			raw, err := encodeRecord(v)
			require.NoError(f, err)
			f.Add(raw)
			f.Add(raw[:len(raw)/2])
		}
	}
	f.Add([]byte{})
	f.Add([]byte{tagBinaryV1})
	f.Add([]byte(`{"id":"t","ack":"YWNr","history":[{"at":"0001-01-01T00:00:00Z","status":"Received"}]}`))
	f.Add([]byte(`{"msisdn":"61480356122","owner":"demo-reseller","status":"Aging","aging_until":"2026-03-01T10:00:00+11:00"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		check := func(v any, enc func() ([]byte, error)) {
			if decodeRecord(raw, v) != nil || len(raw) == 0 || raw[0] != tagBinaryV1 {
				return
			}
			again, err := enc()
			if err != nil {
				t.Fatal(err)
			}
			if err := decodeRecord(again, v); err != nil {
				t.Fatalf("a re-encoded record does not decode: %v", err)
			}
			if third, _ := enc(); !bytes.Equal(again, third) {
				t.Fatalf("the encoding is not stable:\n%x\n%x", again, third)
			}
		}
		var x core.Transaction
		check(&x, func() ([]byte, error) { return encodeRecord(x) })
		var d core.Delivery
		check(&d, func() ([]byte, error) { return encodeRecord(d) })
		var sim core.SIM
		check(&sim, func() ([]byte, error) { return encodeRecord(sim) })
		var n core.Number
		check(&n, func() ([]byte, error) { return encodeRecord(n) })
		var sub core.Subscription
		check(&sub, func() ([]byte, error) { return encodeRecord(sub) })
	})
}

// benchTransaction is an MVNX activation as the engine records it once
// executed: ~2.4 KB of JSON.
func benchTransaction() core.Transaction {
	at := time.Date(2026, 3, 1, 10, 0, 0, 123_456_789, time.UTC)
	ref := core.TxRef{Partner: "demo-reseller", Channel: core.ChannelMVNX, PartnerTxID: "5f0c6f1e-6a7e-4f8b-9f6d-0d9b7c1e2a3b", CorrelationID: "corr-5f0c6f1e"}
	sub := &core.Subscription{ID: "sub-1042", Partner: ref.Partner, Channel: ref.Channel, Status: core.SubActive, SIM: "89014104178003620000",
		ICCID: "89014104178003620000", IMSI: "505013485090404", MSISDN: "61480356122", IMEI: "356938035643809", Plan: "P8DN",
		BAN: "900000001042", CreatedAt: at, UpdatedAt: at}
	return core.Transaction{ID: "tx-01JNRB7G4W2V3Q6M8K9T0XYZAB", Seq: 1042, Partner: ref.Partner, Channel: ref.Channel,
		Operation: "ActivateSubscriber", PartnerTxID: ref.PartnerTxID, CorrelationID: ref.CorrelationID,
		BodyHash: strings.Repeat("ab", 32), Ack: bytes.Repeat([]byte("<ack code='0'/>"), 40), AckStatus: 200,
		CallbackURL: "https://reseller.example/mvnx/callback", Context: bytes.Repeat([]byte(`{"h":"v"}`), 30),
		Job: core.Job{Activations: []core.Activate{{Ref: ref, SIM: core.SIMRef{ICCID: "89014104178003620000"},
			Device: core.Device{IMEI: "356938035643809", Make: "Apple", Model: "iPhone 15"},
			Number: core.NumberChoice{Mode: core.NumberFromPool, Pool: "GAC"}, Plan: "P8DN", BAN: "900000001042",
			Products: []core.ProductChange{{ProductID: "DATA-10G", Action: core.ProductAdd}}}}},
		Status: core.TxSucceeded, Results: []core.ItemResult{{OK: true, Subscription: sub}},
		History:   []core.TxEvent{{At: at, Status: core.TxReceived}, {At: at.Add(40 * time.Millisecond), Status: core.TxSucceeded}},
		CreatedAt: at, UpdatedAt: at.Add(40 * time.Millisecond)}
}

// benchSubscription is the subscription an MVNX activation makes.
func benchSubscription() core.Subscription {
	return *benchTransaction().Results[0].Subscription
}

// benchSIM is that activation's SIM once active, benchNumber its number.
func benchSIM() core.SIM {
	return core.SIM{ID: "89014104178003620000", ICCID: "89014104178003620000", IMSI: "505013485090404", Owner: "demo-reseller",
		Status: core.SIMActive, Subscription: "sub-1042"}
}

func benchNumber() core.Number {
	return core.Number{MSISDN: "61480356122", Owner: "demo-reseller", Pool: "GAC", Status: core.NumberIsAssigned, Subscription: "sub-1042"}
}

// benchDelivery is its notification after one attempt: ~1.2 KB of JSON.
func benchDelivery() core.Delivery {
	at := time.Date(2026, 3, 1, 10, 0, 0, 163_456_789, time.UTC)
	return core.Delivery{ID: "msg_tx-01JNRB7G4W2V3Q6M8K9T0XYZAB_0_0", Partner: "demo-reseller", TxID: "tx-01JNRB7G4W2V3Q6M8K9T0XYZAB",
		Event: "ActivateSubscriberResult", URL: "https://reseller.example/mvnx/callback", ContentType: "application/json",
		Body: bytes.Repeat([]byte(`{"field":"value"}`), 45), Accept: core.AcceptMVNXAck, Status: core.DeliveryDelivered,
		Attempts: []core.Attempt{{At: at, StatusCode: 200, Duration: 12.5}}, NextAt: at, CreatedAt: at}
}

func benchCodec[T any](b *testing.B, v T, cacheIt bool) {
	js, err := json.Marshal(v)
	require.NoError(b, err)
	bin, err := encodeRecord(v)
	require.NoError(b, err)
	b.Run("json/encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(v)
		}
		b.ReportMetric(float64(len(js)), "record-bytes")
	})
	b.Run("json/decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var got T
			_ = json.Unmarshal(js, &got)
		}
	})
	b.Run("binary/encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = encodeRecord(&v)
		}
		b.ReportMetric(float64(len(bin)), "record-bytes")
	})
	b.Run("binary/decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var got T
			_ = decodeRecord(bin, &got)
		}
	})
	if cacheIt { // what a hit of recordCache would cost instead: compare the bytes, deep-copy the value
		c := newRecordCache(8)
		c.put(bktPlans, "k", bin, &v) // a bucket the cache keeps
		b.Run("cache/hit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var got T
				if !c.get(bktPlans, "k", bin, &got) {
					b.Fatal("miss")
				}
			}
		})
	}
}

func BenchmarkTransactionCodec(b *testing.B) { benchCodec(b, benchTransaction(), false) }

func BenchmarkDeliveryCodec(b *testing.B) { benchCodec(b, benchDelivery(), true) }

func BenchmarkSIMCodec(b *testing.B) { benchCodec(b, benchSIM(), true) }

func BenchmarkNumberCodec(b *testing.B) { benchCodec(b, benchNumber(), true) }

func BenchmarkSubscriptionCodec(b *testing.B) { benchCodec(b, benchSubscription(), true) }
