package jsonx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// walkGated is the walk as it was before the lexer checked the grammar:
// json.Valid judges the whole document first, and only valid JSON reaches
// the lexer. The lexer's own checking must change no answer of Decode.
func walkGated(data []byte, t reflect.Type, dst reflect.Value, maxDepth int) error {
	if json.Valid(data) {
		return lexWalker(data, maxDepth).check(t, dst)
	}
	return decoderWalker(data, maxDepth).check(t, dst)
}

// lexAll reads data with the lexer to its end, and reports whether the
// lexer found it valid JSON.
func lexAll(data []byte) bool {
	l := newLexer(data)
	for {
		_, err := l.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			if !errors.Is(err, errLexSyntax) {
				panic(fmt.Sprintf("lexer error %v is not errLexSyntax", err))
			}
			if _, again := l.Token(); !errors.Is(again, errLexSyntax) {
				panic("lexer forgot its syntax error")
			}
			return false
		}
	}
}

// sameDecode decodes data into a T with Decode and with the walk gated by
// json.Valid, starting from init, and describes any difference.
func sameDecode[T any](data []byte, init T, lim Limits) (problem string) {
	defer func() {
		if r := recover(); r != nil {
			problem = fmt.Sprintf("%T: panic: %v", init, r)
		}
	}()
	got, want := init, init
	gerr := Decode(data, &got, lim)
	werr := decode(data, &want, lim, walkGated)
	switch {
	case (gerr == nil) != (werr == nil):
		return fmt.Sprintf("%T: error %v, gated %v", init, gerr, werr)
	case gerr != nil && gerr.Error() != werr.Error():
		return fmt.Sprintf("%T: error %q, gated %q", init, gerr, werr)
	case !reflect.DeepEqual(gerr, werr):
		return fmt.Sprintf("%T: error %#v, gated %#v", init, gerr, werr)
	case !reflect.DeepEqual(got, want):
		return fmt.Sprintf("%T: stored %#v, gated %#v", init, got, want)
	}
	return ""
}

var lexValidSeeds = []string{
	``, ` `, " \t\r\n", "\v1", "\f1", "\u00a01", "\xef\xbb\xbf{}",
	`0`, `-0`, `-0.0`, `01`, `-01`, `00`, `1.`, `.5`, `-`, `--1`, `+1`, `1e`, `1E+2`, `1e-2`, `1e+`, `1.5e3`, `1.e3`,
	`-0e0`, `0x1`, `1_0`, `Infinity`, `NaN`, `1 2`, `[1 2]`, `[01]`, `{"a":01}`, `{"a":-}`, `[1.]`, `[1e]`,
	`true`, `false`, `null`, `tru`, `nul`, `truex`, `True`, `nulll`, `[true,false,null]`, `[truefalse]`,
	`""`, `"\u00e9"`, `"\uD800"`, `"\ud83d\ude00"`, `"\/"`, `"\a"`, `"\x41"`, `"\u12"`, `"\u12G4"`, `"\'"`,
	"\"a\tb\"", "\"a\nb\"", "\"\x00\"", "\"\x1f\"", "\"\x7f\"", `"abc`, `"\"`, `"\\"`, "\"\xff\xfe\"", "\"\xe2\x82\"",
	`{} x`, `{}}`, `[]]`, `{},`, `1,`, `[1,]`, `{"a":1,}`, `[,1]`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{"a"::1}`,
	`{"a":1 "b":2}`, `{1:2}`, `{"a":1]`, `[1}`, `[`, `{`, `]`, `}`, `:`, `,`, `[[]`, `{"a":[}`, `[{]}`,
	`{"str":"x","nope":1,}`, `{"nope": 1} x`, `{"str": "a", "str": "b"`, `{"i8": 300, "x": [}`, `{"str":"ok"}garbage`,
	`{"str": "\u0041\t"}`, `{"any": {"a": 1, "a": 2}}`, `{"any": {"a": 1, "a": 2]}`, `{"sized": {"bad": 1}}`,
	`{"raw": [1, 2}`, `{"blob": "aGk="}`, `{"n": "1e5", "pn": 7}`, `{"pstr": "\ud800"}`, `{"map": {"a": 1}}`,
	`{"e": "x", "tagged": {"X": 1}, "X": 1, "y": 2}`, `{"PPAny": {"a": [1, null]}, "PRaw": [1]}`,
	`{"a": {"N": 1}, "b": 5}`, `{"f": {"N": 1}}`, `{"f": {"N": 1}`, `[1, "x", null, {"a": [true]}]`,
	`{"str":"é","lvl":"\u00e9"}`, "{\"str\":\"\xff\"} x", `{"kids": [null, {"kids": []}]}`,
	strings.Repeat("[", 40) + strings.Repeat("]", 40),
	strings.Repeat("[", 40) + strings.Repeat("]", 39),
	strings.Repeat(`{"a":`, 20) + "1" + strings.Repeat("}", 20),
}

// FuzzLexValid holds the lexer to json.Valid: it reads to the end exactly
// the documents json.Valid accepts; and Decode, which walks a document with
// the lexer before knowing whether it is valid JSON, answers and stores
// exactly what it did when json.Valid judged the document first.
func FuzzLexValid(f *testing.F) {
	for _, s := range lexValidSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(fillDocument))
	small := Limits{MaxBytes: 64 << 10, MaxDepth: 16}
	deep := Limits{MaxBytes: 64 << 10, MaxDepth: maxJSONDepth}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := lexAll(data), json.Valid(data); got != want {
			t.Fatalf("lexer reads %q as valid: %v; json.Valid: %v", data, got, want)
		}
		for _, p := range []string{
			sameDecode(data, FillDoc{}, small),
			sameDecode(data, FillDoc{Str: "old", I: 9}, small), // merged into: walk, then json.Unmarshal
			sameDecode(data, KindsDoc{}, small),
			sameDecode(data, AmbigU{}, small), // not fillable: walk, then json.Unmarshal
			sameDecode(data, Unnamed{}, small),
			sameDecode[any](data, nil, deep),
			sameDecode[json.RawMessage](data, nil, small),
			sameDecode[map[string]int](data, nil, small),
			sameDecode[[]string](data, nil, small),
			sameDecode(data, [2]float64{}, small),
		} {
			if p != "" {
				t.Fatalf("%q: %s", data, p)
			}
		}
	})
}

// TestLexValidDepth holds the lexer to json.Valid's nesting limit, which
// the fuzzer's small inputs do not reach.
func TestLexValidDepth(t *testing.T) {
	for _, depth := range []int{maxLexDepth - 1, maxLexDepth, maxLexDepth + 1} {
		for _, doc := range []string{
			strings.Repeat("[", depth) + strings.Repeat("]", depth),
			strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth),
			`{"any":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`,
			strings.Repeat("[", depth) + strings.Repeat("]", depth-1), // unclosed
		} {
			data := []byte(doc)
			if got, want := lexAll(data), json.Valid(data); got != want {
				t.Errorf("depth %d, %.12s…: lexer valid %v, json.Valid %v", depth, doc, got, want)
			}
			for _, p := range []string{
				sameDecode[any](data, nil, Limits{MaxDepth: maxJSONDepth}),
				sameDecode(data, FillDoc{}, Limits{MaxDepth: maxJSONDepth}),
				sameDecode(data, KindsDoc{}, Limits{}),
			} {
				if p != "" {
					t.Errorf("depth %d, %.12s…: %s", depth, doc, p)
				}
			}
		}
	}
}
