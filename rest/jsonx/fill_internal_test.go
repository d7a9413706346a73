package jsonx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The types below give the walk's own storing (fill) every kind it
// stores itself, and every kind it hands to json.Unmarshal by its bytes.

type level string

type textID struct{ v string }

func (t *textID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty id")
	}
	t.v = "id:" + string(b)
	return nil
}

type sized struct{ N int }

func (s *sized) UnmarshalJSON(b []byte) error {
	if string(b) == `"bad"` {
		return errors.New("bad value")
	}
	s.N = len(b)
	return nil
}

type fillBase struct {
	Base string `json:"base"`
}

type fillHidden struct {
	Promoted string `json:"promoted"`
}

type fillInner struct {
	Level level `json:"level"`
	Deep  **int `json:"deep"`
}

type fillNode struct {
	Name string      `json:"name"`
	Kids []*fillNode `json:"kids"`
}

type FillDoc struct {
	fillBase
	fillHidden
	Str      string            `json:"str"`
	PStr     *string           `json:"pstr"`
	Level    level             `json:"lvl"`
	I        int               `json:"i"`
	I8       int8              `json:"i8"`
	I16      int16             `json:"i16"`
	I32      int32             `json:"i32"`
	I64      int64             `json:"i64"`
	U        uint              `json:"u"`
	U8       uint8             `json:"u8"`
	U16      uint16            `json:"u16"`
	U32      uint32            `json:"u32"`
	U64      uint64            `json:"u64"`
	Uptr     uintptr           `json:"uptr"`
	F32      float32           `json:"f32"`
	F64      float64           `json:"f64"`
	B        bool              `json:"b"`
	PB       *bool             `json:"pb"`
	N        json.Number       `json:"n"`
	PN       *json.Number      `json:"pn"`
	Any      any               `json:"any"`
	PAny     *any              `json:"pany"`
	Stringer fmt.Stringer      `json:"stringer"`
	Raw      json.RawMessage   `json:"raw"`
	Map      map[string]int    `json:"map"`
	KeyMap   map[int16]string  `json:"keyMap"`
	TextMap  map[textID]string `json:"textMap"`
	Blob     []byte            `json:"blob"`
	Arr      [3]string         `json:"arr"`
	Matrix   [][]int           `json:"matrix"`
	Inners   []fillInner       `json:"inners"`
	PInners  []*fillInner      `json:"pinners"`
	When     time.Time         `json:"when"`
	PWhen    *time.Time        `json:"pwhen"`
	ID       textID            `json:"id"`
	PID      *textID           `json:"pid"`
	Sized    sized             `json:"sized"`
	PSized   *sized            `json:"psized"`
	Tree     *fillNode         `json:"tree"`
	IP       net.IP            `json:"ip"`
	NoTag    string
	Skipped  string `json:"-"`
	private  string //nolint:unused // never settable from JSON
}

const fillDocument = `{
  "base": "b", "promoted": "p",
  "str": "plain", "pstr": "esc \"q\" \u00e9 \ud83d\ude00 \n", "lvl": "gold",
  "i": -1, "i8": -128, "i16": 32767, "i32": -2147483648, "i64": 9223372036854775807,
  "u": 1, "u8": 255, "u16": 65535, "u32": 4294967295, "u64": 18446744073709551615, "uptr": 7,
  "f32": 3.4e38, "f64": -1.5e-300, "b": true, "pb": false,
  "n": 12.5e3, "pn": "42",
  "any": {"x": [1, "two", null, true, {"y": 1e10}]}, "pany": [1],
  "stringer": null,
  "raw": {"anything": ["goes", 1e999]},
  "map": {"a": 1, "A": 2}, "keyMap": {"-32768": "min"}, "textMap": {"k": "v"},
  "blob": "aGVsbG8=",
  "arr": ["x", "y"],
  "matrix": [[1, 2], [], [3]],
  "inners": [{"level": "l1", "deep": 5}, {"deep": null}, {}],
  "pinners": [null, {"level": "l2"}],
  "when": "2025-03-29T14:38:11.326Z", "pwhen": "2026-01-02T03:04:05+02:00",
  "id": "abc", "pid": "def",
  "sized": [1, 2], "psized": {"a": null},
  "tree": {"name": "root", "kids": [{"name": "a", "kids": []}, {"name": "b"}]},
  "ip": "192.0.2.1",
  "NoTag": "n"
}`

func TestFillableTypes(t *testing.T) {
	assert.True(t, fillable(reflect.TypeFor[FillDoc]()))
	assert.True(t, fillable(reflect.TypeFor[**FillDoc]()))
	assert.True(t, fillable(reflect.TypeFor[[]fillNode]()), "a recursive type")
	assert.True(t, fillable(reflect.TypeFor[map[string]struct {
		Q int `json:",string"`
	}]()), "a map is stored by json.Unmarshal, whatever it holds")

	type quoted struct {
		Q int `json:"q,string"`
	}
	type Zone struct{ Zone string }
	type viaPointer struct{ *Zone }
	type deepQuoted struct{ In []*quoted }
	for _, typ := range []reflect.Type{
		reflect.TypeFor[quoted](), reflect.TypeFor[viaPointer](), reflect.TypeFor[deepQuoted](),
	} {
		assert.False(t, fillable(typ), "%v", typ)
	}
}

// decodeBoth decodes data with Decode (which fills FillDoc in its walk) and,
// if Decode accepts it, with json.Unmarshal, and requires the same value.
func decodeBoth(t *testing.T, data []byte) (FillDoc, error) {
	t.Helper()
	var got FillDoc
	err := Decode(data, &got, Limits{MaxBytes: 64 << 10, MaxDepth: 16})
	if err != nil {
		var zero FillDoc
		if !reflect.DeepEqual(got, zero) {
			t.Fatalf("a refused document changed the target: %+v", got)
		}
		return got, err
	}
	var want FillDoc
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("Decode accepted what json.Unmarshal refuses (%v): %s", err, data)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("Decode stored\n%#v\njson.Unmarshal stores\n%#v\nfor %s", got, want, data)
	}
	return got, nil
}

func TestFillMatchesUnmarshal(t *testing.T) {
	d, err := decodeBoth(t, []byte(fillDocument))
	require.NoError(t, err)
	// Spot checks that the document reached the fields at all.
	assert.Equal(t, "b", d.Base)
	assert.Equal(t, "p", d.Promoted)
	assert.Equal(t, "esc \"q\" \u00e9 \U0001F600 \n", *d.PStr)
	assert.Equal(t, uint64(18446744073709551615), d.U64)
	assert.Equal(t, [3]string{"x", "y", ""}, d.Arr)
	assert.Equal(t, 5, **d.Inners[0].Deep)
	assert.Equal(t, []int{}, d.Matrix[1])
	assert.Equal(t, "id:abc", d.ID.v)
	assert.Equal(t, len(`[1, 2]`), d.Sized.N)
	assert.Equal(t, "b", d.Tree.Kids[1].Name)
	assert.Equal(t, []*fillNode{}, d.Tree.Kids[0].Kids)

	for _, doc := range []string{
		`{}`,
		`{"str": null, "pstr": null, "pb": null, "n": null, "pn": null, "any": null, "raw": null,
		  "map": null, "blob": null, "arr": null, "matrix": null, "inners": null, "when": null,
		  "pwhen": null, "id": null, "pid": null, "sized": null, "psized": null, "tree": null, "ip": null}`,
		`{"blob": [104, 105], "matrix": [], "inners": [], "arr": []}`,
		`{"raw": "x", "any": "y", "pany": null, "pinners": [null]}`,
		`{"tree": {"kids": [null, {"kids": [{"name": "deep"}]}]}}`,
	} {
		_, err := decodeBoth(t, []byte(doc))
		require.NoError(t, err, doc)
	}
}

func TestFillRefusals(t *testing.T) {
	for _, tc := range []struct{ doc, path, reason string }{
		{`{"str": "ok", "i8": 128}`, "i8", ReasonOverflow},
		{`{"sized": "bad"}`, "sized", ReasonWrongType},
		{`{"psized": "bad"}`, "psized", ReasonWrongType},
		{`{"id": ""}`, "id", ReasonWrongType},
		{`{"stringer": {}}`, "stringer", ReasonWrongType},
		{`{"when": "yesterday"}`, "when", ReasonWrongType},
		{`{"textMap": {"": "v"}}`, "textMap[\"\"]", ReasonWrongType},
		{`{"inners": [{"level": "a"}, {"deep": "x"}]}`, "inners[1].deep", ReasonWrongType},
	} {
		_, err := decodeBoth(t, []byte(tc.doc))
		var je *Error
		require.True(t, errors.As(err, &je), "%s: %v", tc.doc, err)
		assert.Equal(t, tc.reason, je.Reason, tc.doc)
		assert.Equal(t, tc.path, je.Path, tc.doc)
	}
}

func TestFillMergesLikeUnmarshal(t *testing.T) {
	// A target that already holds values is merged into by json.Unmarshal
	// (absent keys keep their values); Decode does the same.
	s := "kept"
	d := FillDoc{Str: "old", PStr: &s, I: 9}
	require.NoError(t, Decode([]byte(`{"str": "new"}`), &d, Limits{}))
	assert.Equal(t, "new", d.Str)
	assert.Equal(t, "kept", *d.PStr)
	assert.Equal(t, 9, d.I)
}

func FuzzFill(f *testing.F) {
	f.Add([]byte(fillDocument))
	for _, seed := range []string{
		`{}`, `{"matrix": [[]]}`, `{"blob": [1, 2]}`, `{"pstr": "\u0041\t"}`, `{"n": "1e5", "pn": 7}`,
		`{"tree": {"kids": [{"kids": [null]}]}}`, `{"sized": {"bad": 1}}`, `{"textMap": {"a": "b"}}`,
		`{"any": {"a": 1, "a": 2}}`, `{"arr": ["a", "b", "c", "d"]}`, `{"ip": "::1"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeBoth(t, data)
	})
}
