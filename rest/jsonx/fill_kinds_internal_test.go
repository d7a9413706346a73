package jsonx

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// The kinds below hold the single pass to json.Unmarshal: each test decodes
// with both and requires the same answer.

// diffDecode decodes doc into a fresh T with Decode and json.Unmarshal and
// reports any difference: acceptance, stored value, or a change to the
// target on refusal. It also reports whether the fill path was used.
func diffDecode[T any](t *testing.T, doc string, lim Limits) (problem string) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			problem = fmt.Sprintf("Decode panicked: %v", r)
		}
	}()
	var got T
	err := Decode([]byte(doc), &got, lim)
	var want T
	werr := json.Unmarshal([]byte(doc), &want)
	var zero T
	switch {
	case err != nil && !reflect.DeepEqual(got, zero):
		return fmt.Sprintf("refused (%v) but changed the target: %#v", err, got)
	case err != nil:
		return "" // refusal is always allowed (Decode is stricter)
	case werr != nil:
		return fmt.Sprintf("Decode accepted and stored %#v; json.Unmarshal refuses: %v", got, werr)
	case !reflect.DeepEqual(got, want):
		return fmt.Sprintf("Decode stored %#v; json.Unmarshal stores %#v", got, want)
	}
	return ""
}

func check[T any](t *testing.T, doc string) {
	t.Helper()
	path := "2-pass"
	if fillable(reflect.TypeFor[T]()) {
		path = "fill"
	}
	if p := diffDecode[T](t, doc, Limits{}); p != "" {
		t.Errorf("%T [%s] %s: %s", *new(T), path, doc, p)
	}
}

// ---- types ----

type sizedA struct{ N int }

func (s *sizedA) UnmarshalJSON(b []byte) error { s.N = len(b); return nil }

type sizedB struct{ M int }

func (s *sizedB) UnmarshalJSON(b []byte) error { s.M = len(b); return nil }

type textA struct{ S string }

func (x *textA) UnmarshalText(b []byte) error { x.S = "A:" + string(b); return nil }

type textB struct{ S string }

func (x *textB) UnmarshalText(b []byte) error { x.S = "B:" + string(b); return nil }

// Tagged, unexported, embedded Unmarshalers: the two promoted UnmarshalJSON
// collide, so AmbigU is not itself an Unmarshaler and json.Unmarshal
// decodes "a" and "b" as fields (it cannot call a method through an
// unexported embedded field).
type AmbigU struct {
	sizedA `json:"a"`
	sizedB `json:"b"`
}

type AmbigT struct {
	textA `json:"a"`
	textB `json:"b"`
}

// An unnamed struct embedding an Unmarshaler: json.Unmarshal only looks
// for methods on the address of a named type, so it decodes the field as
// a struct.
type Unnamed struct {
	F struct{ sizedA } `json:"f"`
}

type UnnamedSlice struct {
	F []struct{ sizedA } `json:"f"`
}

type UnnamedTime struct {
	F struct{ time.Time } `json:"f"`
}

type UnnamedPtr struct {
	F *struct{ sizedA } `json:"f"`
}

type valRecv struct{ N int }

func (v valRecv) UnmarshalJSON(b []byte) error { v.N = len(b); return nil } //nolint:staticcheck

type nullSeer struct{ Saw string }

func (n *nullSeer) UnmarshalJSON(b []byte) error { n.Saw = string(b); return nil }

type nullText struct{ Saw string }

func (n *nullText) UnmarshalText(b []byte) error { n.Saw = "t:" + string(b); return nil }

type nb byte
type nbytes []byte
type nbSlice []nb
type nstr string
type nf32 float32
type nbool bool
type nint int16

type Exported struct {
	E string `json:"e"`
}

type Inner2 struct{ X int }

type Kinds struct {
	Exported
	Tagged   Inner2 `json:"tagged"`
	PP       **int
	PPS      **string
	PPAny    **any
	PRaw     *json.RawMessage
	Raws     []json.RawMessage
	Anys     []any
	PSlice   *[]int
	PMap     *map[string]int
	MapP     map[string]*Inner2
	Arr0     [0]int
	Arr2     [2]*Inner2
	ArrB     [3]byte
	NB       nbytes
	NBS      nbSlice
	NS       nstr
	PNS      *nstr
	NF       nf32
	NBool    nbool
	NI       nint
	VR       valRecv
	PVR      *valRecv
	NSeer    nullSeer
	PSeer    *nullSeer
	NText    nullText
	PText    *nullText
	Anon     struct{ A, B int }
	AnonP    *struct{ C string }
	Num      json.Number
	Uptr     uintptr
	F32      float32
	Err      error
	Ch       chan int
	Fn       func()
	C128     complex128
	Stringer fmt.Stringer
}

type Deep struct {
	K []*Deep `json:"k"`
}

// ---- tests ----

func TestFillKinds(t *testing.T) {
	for _, doc := range []string{
		`{}`,
		`{"e": "x", "tagged": {"X": 1}}`,
		`{"PP": 1, "PPS": "s", "PPAny": {"a": [1]}}`,
		`{"PP": null, "PPS": null, "PPAny": null, "PRaw": null, "PSlice": null, "PMap": null}`,
		`{"PRaw": [1, 2], "Raws": [null, 1, "x", {}], "Anys": [null, 1, "x", {}, []]}`,
		`{"PSlice": [], "PMap": {}, "MapP": {"a": null, "b": {"X": 2}}}`,
		`{"PSlice": [1], "PMap": {"a": 1}, "MapP": {}}`,
		`{"Arr0": [], "Arr2": [null, {"X": 3}], "ArrB": [1, 2]}`,
		`{"Arr2": [], "ArrB": []}`,
		`{"NB": "aGk=", "NBS": "aGk="}`,
		`{"NB": [104, 105], "NBS": [104, 105]}`,
		`{"NB": [], "NBS": [], "NB": null}`,
		`{"NB": "", "NBS": ""}`,
		`{"NB": "aG\nk=", "NBS": "aG\r\nk="}`,
		`{"NB": "aG\u000ak="}`,
		`{"NS": "a\"b", "PNS": "\u00e9", "NF": 16777217, "NBool": true, "NI": -32768}`,
		`{"NF": 3.4028235e38, "F32": 1.00000005960464477539, "Uptr": 18446744073709551615}`,
		`{"F32": -0, "NF": -0.0, "Uptr": 0}`,
		`{"F32": 1e-50, "NF": 1e-46}`,
		`{"VR": [1, 2], "PVR": {"a": 1}}`,
		`{"VR": null, "PVR": null}`,
		`{"NSeer": null, "PSeer": null, "NText": null, "PText": null}`,
		`{"NSeer": 1, "PSeer": "x", "NText": "y", "PText": ""}`,
		`{"Anon": {"A": 1}, "AnonP": {"C": "c"}}`,
		`{"Anon": null, "AnonP": null}`,
		`{"Num": "1e5"}`, `{"Num": "\u0031\u0032"}`, `{"Num": -0.0e-0}`, `{"Num": null}`,
		`{"Err": null, "Ch": null, "Fn": null, "C128": null, "Stringer": null}`,
		`{"Err": {}}`, `{"Stringer": "x"}`,
		`{"e": "\ud83d\ude00 \u2028 \u0000 \/"}`,
		"{\"e\": \"caf\xc3\xa9 \x7f\"}",
		`{"\u0065": "escaped key"}`,
	} {
		check[Kinds](t, doc)
	}
}

func TestFillAmbiguousEmbeddedDecoders(t *testing.T) {
	for _, doc := range []string{`{"a": {"N": 1}}`, `{"a": 5}`, `{"b": "x"}`} {
		check[AmbigU](t, doc)
		check[AmbigT](t, doc)
	}
}

func TestFillUnnamedStructEmbeddingADecoder(t *testing.T) {
	for _, doc := range []string{`{"f": {"N": 1}}`, `{"f": [1, 2]}`, `{"f": 7}`} {
		check[Unnamed](t, doc)
		check[UnnamedPtr](t, doc)
	}
	for _, doc := range []string{`{"f": [{"N": 1}]}`, `{"f": [7]}`} {
		check[UnnamedSlice](t, doc)
	}
	check[UnnamedTime](t, `{"f": "2025-03-29T14:38:11Z"}`)
}

func TestFillDeeperThanEncodingJSON(t *testing.T) {
	for _, n := range []int{9999, 10001} {
		doc := strings.Repeat(`{"k":[`, n) + `{}` + strings.Repeat(`]}`, n)
		lim := Limits{MaxBytes: 1 << 22, MaxDepth: 3 * n}
		if p := diffDecode[Deep](t, doc, lim); p != "" {
			if len(p) > 300 {
				p = p[:300] + "..."
			}
			t.Errorf("depth %d: %s", n, p)
		}
	}
}

// TestFillConcurrentFirstUse decodes many goroutines' first use of types
// at once (run with -race).
func TestFillConcurrentFirstUse(t *testing.T) {
	type R1 struct {
		A []struct {
			B *struct{ C string } `json:"b"`
		} `json:"a"`
	}
	type R2 struct {
		X  map[string]R1 `json:"x"`
		R1 `json:"r1"`
		P  *R2 `json:"p"`
	}
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var v R2
			if err := Decode([]byte(`{"p": {"r1": {"a": [{"b": {"C": "x"}}]}}, "x": {"k": {"a": []}}}`), &v, Limits{}); err != nil {
				t.Error(err)
			}
			if v.P.R1.A[0].B.C != "x" {
				t.Error("wrong value")
			}
		}()
	}
	wg.Wait()
}

// A value refused by json.Unmarshal on its own bytes (fillRaw) is named
// by the same path as the two-pass decoding names it.
func TestFillRawPath(t *testing.T) {
	type M struct {
		M map[string]AmbigU `json:"m"`
	}
	type MQ struct { // the ,string field keeps it on the two-pass path
		M map[string]AmbigU `json:"m"`
		Q int               `json:"q,string"`
	}
	if !fillable(reflect.TypeFor[M]()) || fillable(reflect.TypeFor[MQ]()) {
		t.Fatal("M must take the single pass and MQ the two passes")
	}
	doc := `{"m": {"k": {"a": 5}}}`
	var a M
	var b MQ
	var ja, jb *Error
	if !errors.As(Decode([]byte(doc), &a, Limits{}), &ja) || !errors.As(Decode([]byte(doc), &b, Limits{}), &jb) {
		t.Fatal("both must refuse with an *Error")
	}
	if ja.Path != jb.Path || ja.Reason != jb.Reason {
		t.Errorf("single pass: %q %s; two passes: %q %s", ja.Path, ja.Reason, jb.Path, jb.Reason)
	}
}

type domA struct {
	X int
	Y int `json:"y"`
	W string
}

type domB struct {
	X int
	Y int
	w string //nolint:unused
}

type KindsDoc struct {
	Kinds
	domA
	domB
	W     int                  `json:"W"`
	Kids  []*KindsDoc          `json:"kids"`
	ByKey map[string]*KindsDoc `json:"byKey"`
}

func FuzzFillKinds(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"e": "x", "tagged": {"X": 1}, "X": 1, "y": 2, "Y": 3, "W": 4}`,
		`{"PP": 1, "PPS": "s\u00e9", "PPAny": {"a": [1, null]}, "PRaw": [1], "Raws": [null], "Anys": [{}]}`,
		`{"PSlice": [], "PMap": {}, "MapP": {"a": null, "b": {"X": 2}}, "Arr2": [null, {"X": 3}], "ArrB": [1]}`,
		`{"NB": "aGk=", "NBS": [1], "NS": "a\"b", "PNS": null, "NF": 1.5, "NBool": false, "NI": -1}`,
		`{"VR": [1], "PVR": null, "NSeer": null, "PSeer": 1, "NText": "y", "PText": null}`,
		`{"Anon": {"A": 1}, "AnonP": {"C": "c"}, "Num": "1e5", "Uptr": 7, "F32": -0}`,
		`{"kids": [null, {"kids": []}], "byKey": {"a": {"W": 1}, "b": null}}`,
	} {
		f.Add([]byte(seed))
	}
	lim := Limits{MaxBytes: 64 << 10, MaxDepth: 16}
	f.Fuzz(func(t *testing.T, data []byte) {
		if p := diffDecode[KindsDoc](t, string(data), lim); p != "" {
			t.Fatalf("%s: %s", data, p)
		}
	})
}

func TestFillableKinds(t *testing.T) {
	for typ, want := range map[reflect.Type]bool{
		reflect.TypeFor[KindsDoc](): true, reflect.TypeFor[FillDoc](): true,
		// json.Unmarshal cannot call the methods of a tagged unexported
		// embedded field, nor looks for them on an unnamed struct that is
		// not behind a pointer: these keep the two passes.
		reflect.TypeFor[AmbigU](): false, reflect.TypeFor[AmbigT](): false,
		reflect.TypeFor[Unnamed](): false, reflect.TypeFor[UnnamedSlice](): false, reflect.TypeFor[UnnamedTime](): false,
		reflect.TypeFor[UnnamedPtr](): true,
	} {
		if got := fillable(typ); got != want {
			t.Errorf("fillable(%v) = %v, want %v", typ, got, want)
		}
	}
}

type AmbigFlat struct {
	sizedA
	sizedB
}

type ExpA struct{ N int }

func (s *ExpA) UnmarshalJSON(b []byte) error { s.N = len(b); return nil }

type ExpB struct{ M int }

func (s *ExpB) UnmarshalJSON(b []byte) error { s.M = len(b); return nil }

type AmbigExported struct {
	ExpA `json:"a"`
	ExpB `json:"b"`
}

func TestFillEmbeddedDecoders(t *testing.T) {
	check[AmbigFlat](t, `{"N": 1, "M": 2}`)
	check[AmbigExported](t, `{"a": {"N": 1}, "b": 5}`)
}

func TestFillTopLevelKinds(t *testing.T) {
	check[json.RawMessage](t, " \n [1, {\"a\" : 2}] \t")
	check[json.RawMessage](t, ` "x" `)
	check[any](t, ` {"a": [1, "x", null]} `)
	check[[]byte](t, `"aGk="`)
	check[[]byte](t, `[1,2]`)
	check[*Inner2](t, `{"X": 1}`)
	check[**Inner2](t, `{"X": 1}`)
	check[map[string]int](t, `{"a": 1}`)
	check[[2]string](t, `["a"]`)
	check[time.Time](t, `"2025-03-29T14:38:11Z"`)
	check[struct{ sizedA }](t, `{"N": 1}`)
	check[json.Number](t, `"12"`)
	check[nstr](t, `"a\u00e9"`)
	check[float32](t, `16777217`)
}
