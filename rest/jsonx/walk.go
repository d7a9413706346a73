package jsonx

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

const jsonSpace = " \t\r\n"

var (
	numberType          = reflect.TypeFor[json.Number]()
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// seg is one step of a JSON path: an object key or an array index.
type seg struct {
	key       string
	index     int
	isIndex   bool
	untrusted bool // the key comes from the input, not from the schema
}

// walker checks one document token by token against a Go type.
type walker struct {
	dec      tokens
	data     []byte
	maxDepth int
	depth    int
	segs     []seg
	tokStart int64 // input offset where the last token read began
}

// lexWalker reads data with the lexer, which checks the grammar as it
// goes; see walkDoc for what happens when data is not valid JSON.
func lexWalker(data []byte, maxDepth int) *walker {
	return &walker{dec: newLexer(data), data: data, maxDepth: maxDepth}
}

// decoderWalker reads data with json.Decoder, whose syntax errors the
// walker reports: the walk of a document that is not valid JSON.
func decoderWalker(data []byte, maxDepth int) *walker {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &walker{dec: dec, data: data, maxDepth: maxDepth}
}

// walkDoc checks the document data against t, storing it in dst if dst is
// valid (see root): valid JSON is read with the lexer, anything else with
// json.Decoder, whose errors name the problem. The lexer checks the grammar
// as it reads, so that valid JSON, nearly every body, is read once. When
// the lexer's walk fails, the document is walked again with json.Decoder if
// it is not valid JSON: at a syntax error the lexer met, and, as a safety
// net, when the walk stopped at another error (an unknown field, say)
// before a syntax error further on. No input is known where the second
// case changes the answer (json.Decoder, like the lexer, reports a syntax
// error only when it reaches it), but it keeps the answer json.Decoder's
// whenever the document is not valid JSON, as when the document was judged
// whole before the walk; it costs a json.Valid on refused bodies only. dst
// is zeroed before the second walk, so that nothing of the first remains;
// a type's own decoder may then run twice on a refused body.
func walkDoc(data []byte, t reflect.Type, dst reflect.Value, maxDepth int) error {
	w := lexWalker(data, maxDepth)
	err := w.check(t, dst)
	if lx := w.dec.(*lexer); lx.done() && err == nil {
		return nil // the lexer read one whole value, and check nothing after it
	} else if lx.err == nil && json.Valid(data) {
		return err
	}
	if dst.IsValid() {
		dst.SetZero()
	}
	return decoderWalker(data, maxDepth).check(t, dst)
}

// check checks the document against t, storing it in dst if dst is valid
// (see root), and refuses anything but whitespace after it.
func (w *walker) check(t reflect.Type, dst reflect.Value) error {
	if err := w.root(t, dst); err != nil {
		return err
	}
	if off := w.dec.InputOffset(); len(bytes.TrimLeft(w.data[off:], jsonSpace)) != 0 {
		return &Error{
			Status: http.StatusBadRequest, Reason: ReasonTrailingData,
			Message: fmt.Sprintf("request body has data after the top-level JSON value (at byte offset %d)", off),
		}
	}
	return nil
}

// root checks the top-level value, which must not be null, and stores it
// in dst if dst is valid (see fill).
func (w *walker) root(t reflect.Type, dst reflect.Value) error {
	tok, err := w.next(false)
	if err != nil {
		return err
	}
	if tok == nil {
		return w.wrongType(tok, expected(t))
	}
	return w.valueTok(tok, t, false, dst, nil)
}

// ---- tokens, paths and errors ----

// next reads a token. A string token must be valid UTF-8 without unpaired
// surrogate escapes; key tells whether it is read in key position.
func (w *walker) next(key bool) (json.Token, error) {
	before := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, w.syntaxError(err)
	}
	start := before
	for start < int64(len(w.data)) && strings.IndexByte(jsonSpace+":,", w.data[start]) >= 0 {
		start++
	}
	w.tokStart = start
	if _, ok := tok.(string); ok {
		if err := w.checkString(w.data[start:w.dec.InputOffset()], key); err != nil {
			return nil, err
		}
	}
	return tok, nil
}

// checkString refuses a string token, raw with its quotes, that is not
// valid UTF-8 or holds an unpaired surrogate escape.
func (w *walker) checkString(raw []byte, key bool) error {
	problem := ""
	switch {
	case !utf8.Valid(raw):
		problem = "is not valid UTF-8"
	case bytes.Contains(raw, []byte(`\u`)) && unpairedSurrogate(raw):
		problem = "has an unpaired UTF-16 surrogate escape"
	}
	if problem == "" {
		return nil
	}
	what := "the string at " + w.where()
	switch {
	case key && len(w.segs) == 0:
		what = "a key of the top-level object"
	case key:
		what = "a key in the object at " + w.where()
	}
	return w.fail(ReasonMalformed, "%s %s", capitalize(what), problem)
}

// plainStrings caches plainString.
var plainStrings sync.Map // reflect.Type -> bool

// plainString reports whether t (through pointers) is a string kind that
// takes any JSON string as it is: not json.Number, without UnmarshalJSON
// or UnmarshalText. For such a type valueTok checks nothing of a string
// but its type, so the walk need not build the string.
func plainString(t reflect.Type) bool {
	if v, ok := plainStrings.Load(t); ok {
		return v.(bool)
	}
	e := t
	for e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	plain := e.Kind() == reflect.String && e != numberType &&
		!reflect.PointerTo(e).Implements(unmarshalerType) && !reflect.PointerTo(e).Implements(textUnmarshalerType)
	plainStrings.Store(t, plain)
	return plain
}

func (w *walker) syntaxError(err error) *Error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return w.fail(ReasonMalformed, "request body ends before the JSON value is complete (at %s)", w.where())
	case errors.As(err, &se):
		// encoding/json's syntax messages quote at most one character of
		// the input; keep only short ones all the same.
		detail := strings.TrimPrefix(se.Error(), "json: ")
		if len(detail) > 100 {
			detail = "syntax error"
		}
		return w.fail(ReasonMalformed, "request body is not valid JSON at byte offset %d (at %s): %s", se.Offset, w.where(), detail)
	default:
		return w.fail(ReasonMalformed, "request body is not valid JSON (at %s)", w.where())
	}
}

func (w *walker) push(key string, untrusted bool) {
	w.segs = append(w.segs, seg{key: key, untrusted: untrusted})
}

func (w *walker) pushIndex(i int) { w.segs = append(w.segs, seg{index: i, isIndex: true}) }

func (w *walker) pop() { w.segs = w.segs[:len(w.segs)-1] }

// untrustedBudget bounds how many bytes of input keys a path may echo.
const untrustedBudget = 48

func (w *walker) path() string {
	var b strings.Builder
	budget := untrustedBudget
	for i, s := range w.segs {
		if s.isIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		key := s.key
		cut := false
		if s.untrusted {
			key, cut = truncate(key, budget)
			budget -= len(key)
		}
		writeKey(&b, key, cut, i == 0)
	}
	return b.String()
}

// writeKey appends a key: .name when it is a plain word, else ["quoted"].
func writeKey(b *strings.Builder, key string, cut, first bool) {
	ell := ""
	if cut {
		ell = "…"
	}
	if plainKey(key) {
		if !first {
			b.WriteByte('.')
		}
		b.WriteString(key)
		b.WriteString(ell)
		return
	}
	q := strconv.Quote(key)
	b.WriteByte('[')
	b.WriteString(q[:len(q)-1])
	b.WriteString(ell)
	b.WriteString(`"]`)
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '$' || c == '@') {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	if n < 0 {
		n = 0
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// sanitizePath bounds a path taken from an encoding/json error.
func sanitizePath(p string) string {
	p, cut := truncate(p, untrustedBudget)
	if cut {
		p += "…"
	}
	return strings.ToValidUTF8(p, "\uFFFD")
}

// subject names a path in a message.
func subject(path string) string {
	if path == "" {
		return "the request body"
	}
	return `"` + path + `"`
}

func (w *walker) where() string {
	if len(w.segs) == 0 {
		return "the top level"
	}
	return `"` + w.path() + `"`
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// fail makes an *Error at the current path.
func (w *walker) fail(reason, format string, args ...any) *Error {
	return &Error{
		Status:  http.StatusBadRequest,
		Path:    w.path(),
		Reason:  reason,
		Message: fmt.Sprintf(format, args...),
	}
}

func (w *walker) wrongType(tok json.Token, want string) *Error {
	return w.fail(ReasonWrongType, "%s must be %s, not %s", subject(w.path()), want, describe(tok))
}

func (w *walker) overflow(t reflect.Type) *Error {
	return w.fail(ReasonOverflow, "the number at %s is out of range for %s", w.where(), t.Kind())
}

// describe names the JSON type of a token.
func describe(tok json.Token) string {
	switch tok := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		if tok == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "a value"
}

// expected names the JSON a Go type takes.
func expected(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == numberType:
		return "a number"
	case t == rawMessageType, reflect.PointerTo(t).Implements(unmarshalerType):
		return "a JSON value"
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		return "a string"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "an array or a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Interface:
		return "a JSON value"
	}
	return "absent (its type cannot be decoded)"
}

func (w *walker) enter() error {
	w.depth++
	if w.depth > w.maxDepth {
		return w.fail(ReasonTooDeep, "%s is nested deeper than the limit of %d levels", subject(w.path()), w.maxDepth)
	}
	return nil
}

func (w *walker) leave() { w.depth-- }

// ---- values ----

// value checks the next value against t and stores it in dst if dst is
// valid. plainStr is plainString(t); sub, if not nil, is the structInfo of
// t's struct type.
func (w *walker) value(t reflect.Type, quoted, plainStr bool, dst reflect.Value, sub *structInfo) error {
	if lx, ok := w.dec.(*lexer); ok && !quoted && plainStr {
		// A string into a plain string field: checked in place, as next
		// would check it (a plain one needs no check); the string is built
		// only to be stored.
		if start, plain, ok := lx.skipString(); ok {
			w.tokStart = int64(start)
			raw := w.data[start:lx.pos]
			if !plain {
				if err := w.checkString(raw, false); err != nil {
					return err
				}
			}
			if dst.IsValid() {
				return w.fillString(raw, plain, dst)
			}
			return nil
		}
	}
	tok, err := w.next(false)
	if err != nil {
		return err
	}
	return w.valueTok(tok, t, quoted, dst, sub)
}

// fillString stores the JSON string raw (with its quotes; plain when it has
// no escape) in dst, a string kind reached through pointers.
func (w *walker) fillString(raw []byte, plain bool, dst reflect.Value) error {
	dst = allocate(dst)
	if plain {
		dst.SetString(string(raw[1 : len(raw)-1]))
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return w.invalid(err) // unreachable for a string the lexer ended
	}
	dst.SetString(s)
	return nil
}

// allocate follows the pointers of dst, allocating the nil ones, to the
// value they end at.
func allocate(dst reflect.Value) reflect.Value {
	for dst.Kind() == reflect.Pointer {
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		dst = dst.Elem()
	}
	return dst
}

// valueTok checks the value that starts with tok against t and stores it in
// dst if dst is valid: dst is then a settable value of type t, zero. sub,
// if not nil, is the structInfo of t's struct type.
func (w *walker) valueTok(tok json.Token, t reflect.Type, quoted bool, dst reflect.Value, sub *structInfo) error {
	declaredPointer := t.Kind() == reflect.Pointer
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if dst.IsValid() && tok != nil {
		dst = allocate(dst) // a null leaves a pointer nil
	}
	if quoted {
		return w.quoted(tok, t) // fill never meets one (see fillable)
	}
	start := w.tokStart
	switch {
	case t == rawMessageType:
		if err := w.free(tok, false); err != nil {
			return err
		}
		return w.fillRaw(start, dst)
	case t == numberType:
		if err := w.jsonNumber(tok); err != nil {
			return err
		}
		if dst.IsValid() && tok != nil {
			n, _ := tok.(json.Number)
			if s, ok := tok.(string); ok {
				n = json.Number(s)
			}
			dst.SetString(string(n))
		}
		return nil
	case reflect.PointerTo(t).Implements(unmarshalerType):
		return w.unmarshaler(tok, t, declaredPointer, dst)
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		if tok == nil {
			return nil
		}
		s, ok := tok.(string)
		if !ok {
			return w.wrongType(tok, "a string")
		}
		target := dst
		if !target.IsValid() {
			target = reflect.New(t).Elem()
		}
		if err := target.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return w.invalid(err)
		}
		return nil
	}
	if tok == nil {
		return nil // null leaves any field as it is
	}

	switch t.Kind() {
	case reflect.Interface:
		if err := w.free(tok, t.NumMethod() == 0); err != nil {
			return err
		}
		return w.fillRaw(start, dst)
	case reflect.Struct:
		if tok != json.Delim('{') {
			return w.wrongType(tok, "an object")
		}
		if sub == nil {
			sub = structFields(t)
		}
		return w.object(sub, dst)
	case reflect.Map:
		if tok != json.Delim('{') {
			return w.wrongType(tok, "an object")
		}
		if err := w.mapObject(t); err != nil {
			return err
		}
		return w.fillRaw(start, dst)
	case reflect.Slice:
		if tok == json.Delim('[') {
			if dst.IsValid() {
				dst.Set(reflect.MakeSlice(t, 0, 0)) // [] is an empty slice, not nil
			}
			return w.array(t.Elem(), -1, dst)
		}
		if t.Elem().Kind() == reflect.Uint8 {
			s, ok := tok.(string)
			if !ok {
				return w.wrongType(tok, "an array or a base64 string")
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return w.fail(ReasonWrongType, "%s must be standard base64", subject(w.path()))
			}
			if dst.IsValid() {
				dst.SetBytes(b)
			}
			return nil
		}
		return w.wrongType(tok, "an array")
	case reflect.Array:
		if tok != json.Delim('[') {
			return w.wrongType(tok, "an array")
		}
		return w.array(t.Elem(), t.Len(), dst)
	case reflect.String:
		s, ok := tok.(string)
		if !ok {
			return w.wrongType(tok, "a string")
		}
		if dst.IsValid() {
			dst.SetString(s)
		}
		return nil
	case reflect.Bool:
		b, ok := tok.(bool)
		if !ok {
			return w.wrongType(tok, "true or false")
		}
		if dst.IsValid() {
			dst.SetBool(b)
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		n, ok := tok.(json.Number)
		if !ok {
			return w.wrongType(tok, expected(t))
		}
		return w.number(string(n), t, dst)
	}
	return w.fail(ReasonWrongType, "%s must be absent: its type cannot be decoded", subject(w.path()))
}

// fillRaw stores in dst, if valid, the value walked from offset start, as
// json.Unmarshal would (for free-form values, json.RawMessage and maps).
func (w *walker) fillRaw(start int64, dst reflect.Value) error {
	if !dst.IsValid() {
		return nil
	}
	if err := json.Unmarshal(w.data[start:w.dec.InputOffset()], dst.Addr().Interface()); err != nil {
		path := w.path()
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			path += "." + ute.Field // json's own path inside the value, as the two passes report it
		}
		path = sanitizePath(path)
		return &Error{Status: http.StatusBadRequest, Path: path, Reason: ReasonWrongType,
			Message: fmt.Sprintf("%s has the wrong JSON type", subject(path))}
	}
	return nil
}

// number checks that the JSON number s fits t and stores it in dst if dst
// is valid.
func (w *walker) number(s string, t reflect.Type, dst reflect.Value) error {
	if err := w.numberFits(s, t); err != nil || !dst.IsValid() {
		return err
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		f, _ := strconv.ParseFloat(s, t.Bits())
		dst.SetFloat(f)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, _ := strconv.ParseUint(s, 10, 64)
		dst.SetUint(n)
	default:
		n, _ := strconv.ParseInt(s, 10, 64)
		dst.SetInt(n)
	}
	return nil
}

// numberFits checks that the JSON number s fits t, a numeric kind.
func (w *walker) numberFits(s string, t reflect.Type) error {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(s, t.Bits()); err != nil {
			return w.overflow(t)
		}
		return nil
	}
	if strings.ContainsAny(s, ".eE") {
		return w.fail(ReasonWrongType, "%s must be an integer, without a fraction or exponent", subject(w.path()))
	}
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if s[0] == '-' {
			return w.overflow(t)
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || (t.Bits() < 64 && n>>t.Bits() != 0) {
			return w.overflow(t)
		}
	default:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return w.overflow(t)
		}
		if bits := t.Bits(); bits < 64 {
			lim := int64(1) << (bits - 1)
			if n < -lim || n >= lim {
				return w.overflow(t)
			}
		}
	}
	return nil
}

// jsonNumber checks a json.Number field: a number, or a string holding a
// valid number (encoding/json accepts both).
func (w *walker) jsonNumber(tok json.Token) error {
	switch tok := tok.(type) {
	case nil, json.Number:
		return nil
	case string:
		if !validNumber(tok) {
			return w.fail(ReasonWrongType, "%s must be a number; its string does not hold one", subject(w.path()))
		}
		return nil
	}
	return w.wrongType(tok, "a number")
}

// quoted checks a `json:",string"` field: a string holding the value.
func (w *walker) quoted(tok json.Token, t reflect.Type) error {
	if tok == nil {
		return nil
	}
	s, ok := tok.(string)
	if !ok {
		return w.wrongType(tok, "a string (the field is encoded as a string)")
	}
	if s == "null" {
		return nil
	}
	bad := func(what string) error {
		return w.fail(ReasonWrongType, "%s must be a string holding %s", subject(w.path()), what)
	}
	switch t.Kind() {
	case reflect.String:
		if len(s) < 2 || s[0] != '"' || !json.Valid([]byte(s)) {
			return bad("a JSON string")
		}
	case reflect.Bool:
		if s != "true" && s != "false" {
			return bad("true or false")
		}
	default:
		if !validNumber(s) {
			return bad("a number")
		}
		return w.numberFits(s, t)
	}
	return nil
}

// unmarshaler walks a value bound for a json.Unmarshaler and lets the type
// judge it, decoding into dst if dst is valid.
func (w *walker) unmarshaler(tok json.Token, t reflect.Type, declaredPointer bool, dst reflect.Value) error {
	var raw []byte
	if tok == nil {
		if declaredPointer {
			return nil // json.Unmarshal sets the pointer to nil
		}
		raw = []byte("null")
	} else {
		start := w.tokStart
		if err := w.free(tok, false); err != nil {
			return err
		}
		raw = w.data[start:w.dec.InputOffset()]
	}
	target := dst
	if !target.IsValid() {
		target = reflect.New(t).Elem()
	}
	if err := target.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
		return w.invalid(err)
	}
	return nil
}

// object checks the members of a struct (si), storing them in dst if dst
// is valid; '{' has been read.
func (w *walker) object(si *structInfo, dst reflect.Value) error {
	if err := w.enter(); err != nil {
		return err
	}
	defer w.leave()
	var seen []int
	for {
		tok, err := w.next(true)
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return nil // '}'
		}
		for _, i := range seen {
			if name := si.fields[i].name; strings.EqualFold(name, key) {
				w.push(key, key != name)
				if key == name {
					return w.fail(ReasonDuplicateKey, "duplicate key %s: it appears more than once in the same object", subject(w.path()))
				}
				return w.fail(ReasonDuplicateKey, "duplicate key %s: the same object already has %q (keys differing only in case are duplicates)", subject(w.path()), name)
			}
		}
		i, ok := si.byName[key]
		if !ok {
			w.push(key, true)
			if name, ok := si.caseVariant(key); ok {
				return w.fail(ReasonUnknownField, "unknown field %s: did you mean %q? Field names are case-sensitive", subject(w.path()), name)
			}
			return w.fail(ReasonUnknownField, "unknown field %s", subject(w.path()))
		}
		seen = append(seen, i)
		f := &si.fields[i]
		w.push(f.name, false)
		var fdst reflect.Value
		if dst.IsValid() {
			fdst = dst.FieldByIndex(f.index) // no embedded pointer (see fillable)
		}
		if err := w.value(f.typ, f.quoted, f.plain, fdst, si.sub(i)); err != nil {
			return err
		}
		w.pop()
	}
}

// mapObject checks the members of a map; '{' has been read.
func (w *walker) mapObject(t reflect.Type) error {
	if err := w.enter(); err != nil {
		return err
	}
	defer w.leave()
	kt := t.Key()
	keyText := reflect.PointerTo(kt).Implements(textUnmarshalerType)
	switch kt.Kind() {
	case reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
	default:
		if !keyText {
			return w.fail(ReasonWrongType, "%s must be absent: its type cannot be decoded", subject(w.path()))
		}
	}
	plainStr := plainString(t.Elem())
	return w.members(func(key string) error {
		if err := w.mapKey(key, kt, keyText); err != nil {
			return err
		}
		return w.value(t.Elem(), false, plainStr, reflect.Value{}, nil)
	})
}

// members walks the members of an object whose '{' was read, up to its
// '}', refusing a key repeated exactly (maps and free-form values are
// case-sensitive); each key is pushed while member reads its value.
func (w *walker) members(member func(key string) error) error {
	seen := map[string]struct{}{}
	for {
		tok, err := w.next(true)
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return nil // '}'
		}
		w.push(key, true)
		if _, dup := seen[key]; dup {
			return w.fail(ReasonDuplicateKey, "duplicate key %s: it appears more than once in the same object", subject(w.path()))
		}
		seen[key] = struct{}{}
		if err := member(key); err != nil {
			return err
		}
		w.pop()
	}
}

// invalid reports a value its type's own decoder refused, in that
// decoder's words (the Go type's name means nothing to a partner).
func (w *walker) invalid(err error) error {
	return w.fail(ReasonWrongType, "%s is not valid: %s", subject(w.path()), decoderMessage(err))
}

// decoderMessage bounds a decoder's message, which may quote the input.
func decoderMessage(err error) string {
	s, cut := truncate(err.Error(), 60)
	if cut {
		s += "..."
	}
	return s
}

// mapKey checks a key against a map's key type; the key is pushed.
func (w *walker) mapKey(key string, kt reflect.Type, keyText bool) error {
	switch {
	case keyText:
		u := reflect.New(kt).Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(key)); err != nil {
			return w.fail(ReasonWrongType, "the key of %s is not valid: %s", subject(w.path()), decoderMessage(err))
		}
	case kt.Kind() == reflect.String:
	default:
		if !validNumber(key) {
			return w.fail(ReasonWrongType, "the key of %s must be an integer", subject(w.path()))
		}
		if err := w.numberFits(key, kt); err != nil {
			err.(*Error).Message = fmt.Sprintf("the key of %s must be an integer that fits %s", subject(w.path()), kt.Kind())
			return err
		}
	}
	return nil
}

// array checks the elements of an array or slice, storing them in dst if
// dst is valid; '[' has been read. max is the length of a Go array, or -1
// for a slice.
func (w *walker) array(elem reflect.Type, max int, dst reflect.Value) error {
	if err := w.enter(); err != nil {
		return err
	}
	defer w.leave()
	sub := structOf(elem)
	for i := 0; ; i++ {
		tok, err := w.next(false)
		if err != nil {
			return err
		}
		if tok == json.Delim(']') {
			return nil
		}
		if max >= 0 && i >= max {
			return w.fail(ReasonWrongType, "%s must have at most %d elements", subject(w.path()), max)
		}
		w.pushIndex(i)
		var edst reflect.Value
		if dst.IsValid() {
			if dst.Kind() == reflect.Slice {
				dst.Grow(1)
				dst.SetLen(i + 1)
			}
			edst = dst.Index(i)
		}
		if err := w.valueTok(tok, elem, false, edst, sub); err != nil {
			return err
		}
		w.pop()
	}
}

// free walks a value of any shape (for any, json.RawMessage and
// json.Unmarshaler types): depth, UTF-8 and exact duplicate keys are still
// checked. With asFloat, numbers must fit a float64, as json.Unmarshal
// stores them in an any.
func (w *walker) free(tok json.Token, asFloat bool) error {
	switch tok := tok.(type) {
	case json.Number:
		if asFloat {
			if _, err := strconv.ParseFloat(string(tok), 64); err != nil {
				return w.overflow(reflect.TypeFor[float64]())
			}
		}
		return nil
	case json.Delim:
		if err := w.enter(); err != nil {
			return err
		}
		defer w.leave()
		if tok == '[' {
			for i := 0; ; i++ {
				tok, err := w.next(false)
				if err != nil {
					return err
				}
				if tok == json.Delim(']') {
					return nil
				}
				w.pushIndex(i)
				if err := w.free(tok, asFloat); err != nil {
					return err
				}
				w.pop()
			}
		}
		return w.members(func(string) error {
			tok, err := w.next(false)
			if err != nil {
				return err
			}
			return w.free(tok, asFloat)
		})
	}
	return nil
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}

// unpairedSurrogate reports whether the JSON string literal raw (possibly
// preceded by separators) holds a \u escape of a UTF-16 surrogate that is
// not part of a high-low pair.
func unpairedSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // skip the escaped character
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return false // the decoder has already refused it
		}
		i += 5
		switch {
		case 0xDC00 <= r && r < 0xE000:
			return true
		case 0xD800 <= r && r < 0xDC00:
			if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if lo, ok := hex4(raw, i+3); ok && 0xDC00 <= lo && lo < 0xE000 {
					i += 6
					continue
				}
			}
			return true
		}
	}
	return false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
