package jsonx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/rest/jsonx"
)

type Manufacturer struct {
	Make  string `json:"make,omitempty"`
	Model string `json:"model,omitempty"`
}

type Device struct {
	SIM          string        `json:"SIM,omitempty"`
	ICCID        string        `json:"iccid,omitempty"`
	UMTS         *bool         `json:"umtsCapability,omitempty"`
	Manufacturer *Manufacturer `json:"Manufacturer,omitempty"`
}

type Subscriber struct {
	Device *Device   `json:"Device,omitempty"`
	Tags   []string  `json:"tags,omitempty"`
	Slots  []*Device `json:"slots,omitempty"`
}

type Tracking struct {
	ReturnURL  string      `json:"returnURL,omitempty"`
	TimeToLive json.Number `json:"timeToLive,omitempty"`
}

type Header struct {
	Tracking *Tracking `json:"TrackingMessageHeader,omitempty"`
}

type Region struct {
	Region string `json:"region,omitempty"`
}

type Zone struct {
	Zone string `json:"zone,omitempty"`
}

type Doc struct {
	Header      *Header           `json:"MessageHeader,omitempty"`
	Subscribers []Subscriber      `json:"SubscriberReseller,omitempty"`
	Count       int               `json:"count,omitempty"`
	Small       int8              `json:"small,omitempty"`
	U16         uint16            `json:"u16,omitempty"`
	F64         float64           `json:"f64,omitempty"`
	F32         float32           `json:"f32,omitempty"`
	Big         int64             `json:"big,omitempty"`
	Any         any               `json:"any,omitempty"`
	Raw         json.RawMessage   `json:"raw,omitempty"`
	Attrs       map[string]string `json:"attrs,omitempty"`
	ByID        map[int8]string   `json:"byId,omitempty"`
	Matrix      [][]int           `json:"matrix,omitempty"`
	Pair        [2]int            `json:"pair,omitempty"`
	When        *time.Time        `json:"when,omitempty"`
	Blob        []byte            `json:"blob,omitempty"`
	Quoted      int               `json:"quoted,omitempty,string"`
	Flag        bool              `json:"flag,omitempty"`
	Ignored     string            `json:"-"`
	NoTag       string
	Region             // promoted: "region"
	*Zone              // promoted through a pointer: "zone"
	unexported  string // never settable from JSON
}

const valid = `{
  "MessageHeader": {"TrackingMessageHeader": {"returnURL": "https://partner.example/cb", "timeToLive": 60000}},
  "SubscriberReseller": [
    {"Device": {"SIM": "8901", "iccid": "8902", "umtsCapability": false, "Manufacturer": {"make": "Acme", "model": "X"}}, "tags": ["a", "b"]},
    {"Device": null, "slots": [{"SIM": "1"}, null]}
  ],
  "count": -7, "small": 127, "u16": 65535, "f64": 1.5e300, "f32": 3.25, "big": 9223372036854775807,
  "any": {"x": [1, "two", null, true, {"y": 1e10}]},
  "raw": {"anything": ["goes", 1e999]},
  "attrs": {"Iccid": "1", "iccid": "2"},
  "byId": {"-128": "min", "127": "max"},
  "matrix": [[1, 2], [], [3]],
  "pair": [1, 2],
  "when": "2025-03-29T14:38:11.326Z",
  "blob": "aGVsbG8=",
  "quoted": "42",
  "flag": true,
  "NoTag": "n",
  "region": "west",
  "zone": "z1"
}`

func TestDecodeValid(t *testing.T) {
	var d Doc
	require.NoError(t, jsonx.Decode([]byte(valid), &d, jsonx.Limits{}))

	require.NotNil(t, d.Header)
	require.NotNil(t, d.Header.Tracking)
	assert.Equal(t, "https://partner.example/cb", d.Header.Tracking.ReturnURL)
	assert.Equal(t, json.Number("60000"), d.Header.Tracking.TimeToLive)
	require.Len(t, d.Subscribers, 2)
	dev := d.Subscribers[0].Device
	require.NotNil(t, dev)
	assert.Equal(t, "8901", dev.SIM)
	assert.Equal(t, "8902", dev.ICCID)
	require.NotNil(t, dev.UMTS)
	assert.False(t, *dev.UMTS)
	assert.Equal(t, &Manufacturer{Make: "Acme", Model: "X"}, dev.Manufacturer)
	assert.Equal(t, []string{"a", "b"}, d.Subscribers[0].Tags)
	assert.Nil(t, d.Subscribers[1].Device)
	assert.Equal(t, []*Device{{SIM: "1"}, nil}, d.Subscribers[1].Slots)
	assert.Equal(t, -7, d.Count)
	assert.Equal(t, int8(127), d.Small)
	assert.Equal(t, uint16(65535), d.U16)
	assert.Equal(t, 1.5e300, d.F64)
	assert.Equal(t, float32(3.25), d.F32)
	assert.Equal(t, int64(9223372036854775807), d.Big)
	assert.Equal(t, map[string]any{"x": []any{1.0, "two", nil, true, map[string]any{"y": 1e10}}}, d.Any)
	assert.Equal(t, `{"anything": ["goes", 1e999]}`, string(d.Raw))
	assert.Equal(t, map[string]string{"Iccid": "1", "iccid": "2"}, d.Attrs)
	assert.Equal(t, map[int8]string{-128: "min", 127: "max"}, d.ByID)
	assert.Equal(t, [][]int{{1, 2}, {}, {3}}, d.Matrix)
	assert.Equal(t, [2]int{1, 2}, d.Pair)
	require.NotNil(t, d.When)
	assert.True(t, d.When.Equal(time.Date(2025, 3, 29, 14, 38, 11, 326e6, time.UTC)))
	assert.Equal(t, []byte("hello"), d.Blob)
	assert.Equal(t, 42, d.Quoted)
	assert.True(t, d.Flag)
	assert.Equal(t, "n", d.NoTag)
	assert.Equal(t, "west", d.Region.Region)
	require.NotNil(t, d.Zone)
	assert.Equal(t, "z1", d.Zone.Zone)
}

func TestDecodeNullsAndEmpty(t *testing.T) {
	var d Doc
	require.NoError(t, jsonx.Decode([]byte(` {} `), &d, jsonx.Limits{}))
	assert.Equal(t, Doc{}, d)

	in := `{"MessageHeader": null, "SubscriberReseller": null, "count": null, "any": null,
		"raw": null, "attrs": null, "when": null, "blob": null, "quoted": null, "flag": null}`
	require.NoError(t, jsonx.Decode([]byte(in), &d, jsonx.Limits{}))
	assert.Nil(t, d.Header)
	assert.Nil(t, d.Subscribers)
}

func TestDecodeRefusals(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		reason string
		path   string
	}{
		// unknown fields: exact, case-sensitive match
		{"unknown top", `{"nope": 1}`, jsonx.ReasonUnknownField, "nope"},
		{"unknown nested", `{"MessageHeader": {"TrackingMessageHeader": {"returnUrl": "x"}}}`, jsonx.ReasonUnknownField, "MessageHeader.TrackingMessageHeader.returnUrl"},
		{"case variant Iccid", `{"SubscriberReseller": [{"Device": {"Iccid": "1"}}]}`, jsonx.ReasonUnknownField, "SubscriberReseller[0].Device.Iccid"},
		{"case variant ICCID", `{"SubscriberReseller": [{}, {"Device": {"ICCID": "1"}}]}`, jsonx.ReasonUnknownField, "SubscriberReseller[1].Device.ICCID"},
		{"kelvin sign", "{\"MessageHeader\": {\"TrackingMessageHeader\": {\"returnURL\": \"x\", \"timeToLive\": 1, \"\u212Aey\": 1}}}", jsonx.ReasonUnknownField, "MessageHeader.TrackingMessageHeader[\"\u212Aey\"]"},
		{"ignored field", `{"Ignored": "x"}`, jsonx.ReasonUnknownField, "Ignored"},
		{"unexported field", `{"unexported": "x"}`, jsonx.ReasonUnknownField, "unexported"},
		{"field name not tag", `{"Count": 1}`, jsonx.ReasonUnknownField, "Count"},
		{"embedded struct name", `{"Region": {"region": "x"}}`, jsonx.ReasonUnknownField, "Region"},
		{"unknown in pointer slice", `{"SubscriberReseller": [{"slots": [null, {"sim": "1"}]}]}`, jsonx.ReasonUnknownField, "SubscriberReseller[0].slots[1].sim"},
		{"odd key", `{"a.b c": 1}`, jsonx.ReasonUnknownField, `["a.b c"]`},

		// duplicates
		{"duplicate exact", `{"count": 1, "count": 2}`, jsonx.ReasonDuplicateKey, "count"},
		{"duplicate case variant", `{"SubscriberReseller": [{"Device": {"iccid": "1", "ICCID": "2"}}]}`, jsonx.ReasonDuplicateKey, "SubscriberReseller[0].Device.ICCID"},
		{"duplicate nested", `{"MessageHeader": {"TrackingMessageHeader": {}, "TrackingMessageHeader": {}}}`, jsonx.ReasonDuplicateKey, "MessageHeader.TrackingMessageHeader"},
		{"duplicate in map", `{"attrs": {"a": "1", "a": "2"}}`, jsonx.ReasonDuplicateKey, "attrs.a"},
		{"duplicate in any", `{"any": [{"k": 1, "k": 1}]}`, jsonx.ReasonDuplicateKey, "any[0].k"},
		{"duplicate in raw", `{"raw": {"k": 1, "k": 1}}`, jsonx.ReasonDuplicateKey, "raw.k"},
		{"duplicate embedded", `{"region": "a", "region": "b"}`, jsonx.ReasonDuplicateKey, "region"},

		// wrong JSON types
		{"string into int", `{"count": "1"}`, jsonx.ReasonWrongType, "count"},
		{"object into string", `{"SubscriberReseller": [{"Device": {"SIM": {}}}]}`, jsonx.ReasonWrongType, "SubscriberReseller[0].Device.SIM"},
		{"number into string", `{"MessageHeader": {"TrackingMessageHeader": {"returnURL": 1}}}`, jsonx.ReasonWrongType, "MessageHeader.TrackingMessageHeader.returnURL"},
		{"string into bool", `{"SubscriberReseller": [{"Device": {"umtsCapability": "false"}}]}`, jsonx.ReasonWrongType, "SubscriberReseller[0].Device.umtsCapability"},
		{"array into struct", `{"MessageHeader": []}`, jsonx.ReasonWrongType, "MessageHeader"},
		{"object into slice", `{"SubscriberReseller": {}}`, jsonx.ReasonWrongType, "SubscriberReseller"},
		{"number into slice elem", `{"SubscriberReseller": [{}, 3]}`, jsonx.ReasonWrongType, "SubscriberReseller[1]"},
		{"string into map", `{"attrs": "x"}`, jsonx.ReasonWrongType, "attrs"},
		{"number into map value", `{"attrs": {"k": 1}}`, jsonx.ReasonWrongType, "attrs.k"},
		{"nested array elem", `{"matrix": [[1], [2, "3"]]}`, jsonx.ReasonWrongType, "matrix[1][1]"},
		{"fraction into int", `{"count": 1.5}`, jsonx.ReasonWrongType, "count"},
		{"exponent into int", `{"count": 1e3}`, jsonx.ReasonWrongType, "count"},
		{"object into json.Number", `{"MessageHeader": {"TrackingMessageHeader": {"timeToLive": {}}}}`, jsonx.ReasonWrongType, "MessageHeader.TrackingMessageHeader.timeToLive"},
		{"non-number string into json.Number", `{"MessageHeader": {"TrackingMessageHeader": {"timeToLive": "soon"}}}`, jsonx.ReasonWrongType, "MessageHeader.TrackingMessageHeader.timeToLive"},
		{"too many array elems", `{"pair": [1, 2, 3]}`, jsonx.ReasonWrongType, "pair"},
		{"bad time", `{"when": "yesterday"}`, jsonx.ReasonWrongType, "when"},
		{"bad base64", `{"blob": "!!"}`, jsonx.ReasonWrongType, "blob"},
		{"unquoted ,string", `{"quoted": 42}`, jsonx.ReasonWrongType, "quoted"},
		{"bad ,string content", `{"quoted": "4x"}`, jsonx.ReasonWrongType, "quoted"},
		{"bad map key", `{"byId": {"one": "x"}}`, jsonx.ReasonWrongType, "byId.one"},
		{"top-level array", `[]`, jsonx.ReasonWrongType, ""},
		{"top-level null", `null`, jsonx.ReasonWrongType, ""},
		{"top-level string", `"x"`, jsonx.ReasonWrongType, ""},

		// numbers out of range
		{"int8 overflow", `{"small": 128}`, jsonx.ReasonOverflow, "small"},
		{"int8 underflow", `{"small": -129}`, jsonx.ReasonOverflow, "small"},
		{"uint16 overflow", `{"u16": 65536}`, jsonx.ReasonOverflow, "u16"},
		{"uint negative", `{"u16": -1}`, jsonx.ReasonOverflow, "u16"},
		{"int64 overflow", `{"big": 9223372036854775808}`, jsonx.ReasonOverflow, "big"},
		{"int overflow", `{"count": -9223372036854775809}`, jsonx.ReasonOverflow, "count"},
		{"float64 overflow", `{"f64": 1e309}`, jsonx.ReasonOverflow, "f64"},
		{"float32 overflow", `{"f32": 1e39}`, jsonx.ReasonOverflow, "f32"},
		{"any overflow", `{"any": {"n": [-1e400]}}`, jsonx.ReasonOverflow, "any.n[0]"},
		{"map key overflow", `{"byId": {"200": "x"}}`, jsonx.ReasonOverflow, "byId.200"},
		{",string overflow", `{"quoted": "99999999999999999999"}`, jsonx.ReasonOverflow, "quoted"},

		// syntax, encoding and framing
		{"empty", ``, jsonx.ReasonMalformed, ""},
		{"blank", " \n\t ", jsonx.ReasonMalformed, ""},
		{"truncated", `{"MessageHeader": {"TrackingMessageHeader": {"returnURL": "x"`, jsonx.ReasonMalformed, "MessageHeader.TrackingMessageHeader"},
		{"bad token", `{"count": tru}`, jsonx.ReasonMalformed, "count"},
		{"missing comma", `{"SubscriberReseller": [{} {}]}`, jsonx.ReasonMalformed, "SubscriberReseller"},
		{"trailing comma", `{"MessageHeader": {"TrackingMessageHeader": {"returnURL": "x",}}}`, jsonx.ReasonMalformed, "MessageHeader.TrackingMessageHeader"},
		{"invalid utf8 value", "{\"SubscriberReseller\": [{\"Device\": {\"SIM\": \"8\xff9\"}}]}", jsonx.ReasonMalformed, "SubscriberReseller[0].Device.SIM"},
		{"invalid utf8 key", "{\"MessageHeader\": {\"a\xc0\": 1}}", jsonx.ReasonMalformed, "MessageHeader"},
		{"lone high surrogate", `{"NoTag": "\ud800x"}`, jsonx.ReasonMalformed, "NoTag"},
		{"lone low surrogate", `{"NoTag": "\udc00"}`, jsonx.ReasonMalformed, "NoTag"},
		{"reversed surrogates", `{"NoTag": "\udc00\ud800"}`, jsonx.ReasonMalformed, "NoTag"},
		{"bom", "\xef\xbb\xbf{}", jsonx.ReasonMalformed, ""},
		{"trailing object", `{} {}`, jsonx.ReasonTrailingData, ""},
		{"trailing garbage", "{}\n x", jsonx.ReasonTrailingData, ""},
		{"trailing brace", `{}}`, jsonx.ReasonTrailingData, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d Doc
			err := jsonx.Decode([]byte(tc.in), &d, jsonx.Limits{})
			je := asError(t, err)
			assert.Equal(t, tc.reason, je.Reason, je.Message)
			assert.Equal(t, tc.path, je.Path, je.Message)
			assert.Equal(t, http.StatusBadRequest, je.Status)
			assert.Equal(t, je.Message, je.Error())
			assert.NotEmpty(t, je.Message)
			if tc.path != "" {
				assert.Contains(t, je.Message, tc.path, "the message names the path")
			}
			assert.Equal(t, Doc{}, d, "a refused document leaves the target untouched")
		})
	}
}

func TestDecodeMessages(t *testing.T) {
	msg := func(in string) string {
		var d Doc
		return asError(t, jsonx.Decode([]byte(in), &d, jsonx.Limits{})).Message
	}
	assert.Equal(t, "request body is empty", msg(""))
	assert.Equal(t, `unknown field "SubscriberReseller[0].Device.Iccid": did you mean "iccid"? Field names are case-sensitive`,
		msg(`{"SubscriberReseller": [{"Device": {"Iccid": "1"}}]}`))
	assert.Equal(t, `duplicate key "SubscriberReseller[0].Device.ICCID": the same object already has "iccid" (keys differing only in case are duplicates)`,
		msg(`{"SubscriberReseller": [{"Device": {"iccid": "1", "ICCID": "2"}}]}`))
	assert.Equal(t, `"count" must be an integer, not a string`, msg(`{"count": "1"}`))
	assert.Equal(t, `the number at "small" is out of range for int8`, msg(`{"small": 1000}`))
	assert.Equal(t, "request body has data after the top-level JSON value (at byte offset 2)", msg(`{}{}`))
	assert.Equal(t, "the request body must be an object, not an array", msg(`[]`))
	// Strings into plain string fields are checked without being built:
	// the same refusals, in the same words.
	assert.Equal(t, `The string at "SubscriberReseller[0].Device.SIM" is not valid UTF-8`, msg("{\"SubscriberReseller\": [{\"Device\": {\"SIM\": \"8\xff9\"}}]}"))
	assert.Equal(t, `The string at "NoTag" has an unpaired UTF-16 surrogate escape`, msg(`{"NoTag": "\ud800x"}`))
	assert.Equal(t, `"NoTag" must be a string, not a number`, msg(`{"NoTag": 1}`))
}

func TestDecodeNeverEchoesMuchInput(t *testing.T) {
	long := strings.Repeat("k", 10_000)
	for _, in := range []string{
		`{"` + long + `": 1}`,
		`{"attrs": {"` + long + `": 1}}`,
		`{"any": {"` + long + `": {"` + long + `": {"` + long + `": 1e999}}}}`,
		`{"count": ` + strings.Repeat("9", 10_000) + `}`,
		`{"f64": 1` + strings.Repeat("0", 10_000) + `}`,
		`{"NoTag": "` + long + "\xff" + `"}`,
		`{"when": "` + long + `"}`,
	} {
		var d Doc
		je := asError(t, jsonx.Decode([]byte(in), &d, jsonx.Limits{}))
		assert.NotContains(t, je.Message, strings.Repeat("k", 65), je.Reason)
		assert.NotContains(t, je.Message, strings.Repeat("9", 65), je.Reason)
		assert.NotContains(t, je.Message, strings.Repeat("0", 65), je.Reason)
		assert.Less(t, len(je.Message), 300, je.Message)
		assert.Less(t, len(je.Path), 100, je.Path)
	}
}

func TestDecodeDepth(t *testing.T) {
	nest := func(n int) string {
		return `{"any": ` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
	}
	var d Doc
	// the top-level object is depth 1, so 31 arrays inside reach depth 32
	require.NoError(t, jsonx.Decode([]byte(nest(32)), &d, jsonx.Limits{}))
	je := asError(t, jsonx.Decode([]byte(nest(33)), &d, jsonx.Limits{}))
	assert.Equal(t, jsonx.ReasonTooDeep, je.Reason)
	assert.Equal(t, "any"+strings.Repeat("[0]", 31), je.Path)
	assert.Equal(t, http.StatusBadRequest, je.Status)

	je = asError(t, jsonx.Decode([]byte(`{"SubscriberReseller": [{"Device": {"Manufacturer": {}}}]}`), &d, jsonx.Limits{MaxDepth: 4}))
	assert.Equal(t, jsonx.ReasonTooDeep, je.Reason)
	assert.Equal(t, "SubscriberReseller[0].Device.Manufacturer", je.Path)

	// a deep hostile document is refused at the limit, not parsed whole
	deep := `{"any":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`
	je = asError(t, jsonx.Decode([]byte(deep), &d, jsonx.Limits{}))
	assert.Equal(t, jsonx.ReasonTooDeep, je.Reason)
}

func TestDecodeSize(t *testing.T) {
	var d Doc
	in := []byte(`{"NoTag": "` + strings.Repeat("x", 100) + `"}`)
	require.NoError(t, jsonx.Decode(in, &d, jsonx.Limits{MaxBytes: int64(len(in))}))

	je := asError(t, jsonx.Decode(in, &d, jsonx.Limits{MaxBytes: int64(len(in)) - 1}))
	assert.Equal(t, http.StatusRequestEntityTooLarge, je.Status)
	assert.Equal(t, jsonx.ReasonTooLarge, je.Reason)
	assert.Empty(t, je.Path)

	big := bytes.Repeat([]byte(" "), int(jsonx.DefaultMaxBytes)+1)
	je = asError(t, jsonx.Decode(big, &d, jsonx.Limits{}))
	assert.Equal(t, http.StatusRequestEntityTooLarge, je.Status)
}

func TestDecodeBadTarget(t *testing.T) {
	var d Doc
	for _, v := range []any{nil, d, (*Doc)(nil)} {
		err := jsonx.Decode([]byte(`{}`), v, jsonx.Limits{})
		require.Error(t, err)
		var je *jsonx.Error
		assert.False(t, errors.As(err, &je), "a bad target is a programming error, not a client error")
	}
}

func TestDecodeOtherTargets(t *testing.T) {
	var m map[string]int
	require.NoError(t, jsonx.Decode([]byte(`{"a": 1}`), &m, jsonx.Limits{}))
	assert.Equal(t, map[string]int{"a": 1}, m)

	var list []Manufacturer
	require.NoError(t, jsonx.Decode([]byte(`[{"make": "a"}]`), &list, jsonx.Limits{}))
	je := asError(t, jsonx.Decode([]byte(`[{"make": "a"}, {"Make": "b"}]`), &list, jsonx.Limits{}))
	assert.Equal(t, "[1].Make", je.Path)

	var pp **Manufacturer
	require.NoError(t, jsonx.Decode([]byte(`{"model": "m"}`), &pp, jsonx.Limits{}))
	assert.Equal(t, "m", (**pp).Model)
}

type First struct {
	Name string
	Kind string `json:"kind"`
}

type Second struct {
	Name  string
	Extra string `json:"extra"`
}

type ambiguous struct {
	First
	Second
	Kind string // shallower: hides First.Kind
}

func TestDecodeEmbeddedDominance(t *testing.T) {
	// Both embedded structs have a field Name at the same depth, neither
	// tagged: encoding/json drops the name, so it is unknown.
	var a ambiguous
	je := asError(t, jsonx.Decode([]byte(`{"Name": "x"}`), &a, jsonx.Limits{}))
	assert.Equal(t, jsonx.ReasonUnknownField, je.Reason)
	require.NoError(t, jsonx.Decode([]byte(`{"extra": "x", "kind": "k"}`), &a, jsonx.Limits{}))
	require.NoError(t, jsonx.Decode([]byte(`{"Kind": "K"}`), &a, jsonx.Limits{}))
	assert.Equal(t, "x", a.Extra)
	assert.Equal(t, "k", a.First.Kind)
	assert.Equal(t, "K", a.Kind)

	// Two fields whose names differ only in case cannot both be sent in
	// one object: encoding/json could not tell them apart reliably.
	je = asError(t, jsonx.Decode([]byte(`{"kind": "k", "Kind": "K"}`), &a, jsonx.Limits{}))
	assert.Equal(t, jsonx.ReasonDuplicateKey, je.Reason)
	assert.Equal(t, "Kind", je.Path)
}

func TestReadBody(t *testing.T) {
	b, err := jsonx.ReadBody(strings.NewReader("12345"), 5)
	require.NoError(t, err)
	assert.Equal(t, "12345", string(b))

	r := &countingReader{r: strings.NewReader(strings.Repeat("x", 1000))}
	_, err = jsonx.ReadBody(r, 5)
	je := asError(t, err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, je.Status)
	assert.Equal(t, jsonx.ReasonTooLarge, je.Reason)
	assert.LessOrEqual(t, r.n, 6+512, "reads little beyond max+1")

	// http.MaxBytesReader set by a server is reported the same way
	rec := httptest.NewRecorder()
	_, err = jsonx.ReadBody(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader("123456")), 3), 10)
	assert.Equal(t, http.StatusRequestEntityTooLarge, asError(t, err).Status)

	// a failing reader is not a client error
	_, err = jsonx.ReadBody(io.MultiReader(strings.NewReader("ab"), errReader{}), 10)
	require.Error(t, err)
	var je2 *jsonx.Error
	assert.False(t, errors.As(err, &je2))
	assert.ErrorIs(t, err, io.ErrClosedPipe)

	b, err = jsonx.ReadBody(strings.NewReader("{}"), 0)
	require.NoError(t, err)
	assert.Equal(t, "{}", string(b))
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }

func asError(t *testing.T, err error) *jsonx.Error {
	t.Helper()
	require.Error(t, err)
	var je *jsonx.Error
	require.True(t, errors.As(err, &je), "want *jsonx.Error, got %T: %v", err, err)
	return je
}

var knownReasons = map[string]bool{
	jsonx.ReasonTooLarge: true, jsonx.ReasonMalformed: true, jsonx.ReasonUnknownField: true,
	jsonx.ReasonDuplicateKey: true, jsonx.ReasonWrongType: true, jsonx.ReasonOverflow: true,
	jsonx.ReasonTrailingData: true, jsonx.ReasonTooDeep: true,
}

func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		valid, `{}`, ``, `null`, `[]`, `{"count": 1, "count": 2}`, `{"Count": 1}`,
		`{"any": [[[{"a": {"b": [1e400]}}]]]}`, `{"attrs": {"a": "b"}, "byId": {"1": "x"}}`,
		`{"NoTag": "\ud83d\ude00 \ud800"}`, `{"quoted": "12", "pair": [1, 2, 3]}`, `{} x`,
		`{"SubscriberReseller": [{"Device": {"iccid": "1", "ICCID": "2"}}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Doc
		err := jsonx.Decode(data, &d, jsonx.Limits{MaxBytes: 64 << 10, MaxDepth: 16})
		if err == nil {
			// What jsonx accepts, the standard library accepts strictly too.
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			var d2 Doc
			if err := dec.Decode(&d2); err != nil {
				t.Fatalf("accepted, but encoding/json refuses with DisallowUnknownFields: %v", err)
			}
			if !json.Valid(data) {
				t.Fatalf("accepted invalid JSON")
			}
			return
		}
		var je *jsonx.Error
		if !errors.As(err, &je) {
			t.Fatalf("not a *jsonx.Error: %T %v", err, err)
		}
		if !knownReasons[je.Reason] || (je.Status != 400 && je.Status != 413) || je.Message == "" {
			t.Fatalf("bad error %+v", je)
		}
		if len(je.Message) > 400 {
			t.Fatalf("message too long (%d bytes): %q", len(je.Message), je.Message)
		}
	})
}
