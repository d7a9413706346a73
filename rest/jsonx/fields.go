package jsonx

import (
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// field is one JSON key a struct accepts.
type field struct {
	name   string       // the key, exactly
	typ    reflect.Type // the Go type of the field
	quoted bool         // `json:",string"` on a basic kind
	plain  bool         // plainString(typ)
	tagged bool         // name came from a json tag
	index  []int        // path through embedded structs, for dominance
	// viaPointer: the path goes through an embedded pointer, which
	// json.Unmarshal allocates (or refuses, when unexported).
	viaPointer bool
	// exported: false for a tagged, unexported embedded struct, which
	// json.Unmarshal reaches read-only (it cannot call its methods).
	exported bool
}

// structInfo is the set of keys a struct type accepts.
type structInfo struct {
	fields []field
	byName map[string]int // exact key -> index in fields
	// subs[i] caches structOf(fields[i].typ), set at its first use (a
	// recursive type refers to itself).
	subs []atomic.Pointer[structInfo]
}

// sub answers the structInfo of field i's struct type (through pointers),
// or nil if it is not a struct.
func (si *structInfo) sub(i int) *structInfo {
	if p := si.subs[i].Load(); p != nil {
		return p
	}
	p := structOf(si.fields[i].typ)
	if p != nil {
		si.subs[i].Store(p)
	}
	return p
}

// structOf answers the structInfo of t (through pointers) if it is a struct
// that is decoded member by member: not json.RawMessage's or a type with
// its own decoder, which the walk never reads as an object.
func structOf(t reflect.Type) *structInfo {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return nil
	}
	return structFields(t)
}

var structCache sync.Map // reflect.Type -> *structInfo

func structFields(t reflect.Type) *structInfo {
	if si, ok := structCache.Load(t); ok {
		return si.(*structInfo)
	}
	fields := typeFields(t)
	si := &structInfo{fields: fields, byName: make(map[string]int, len(fields)), subs: make([]atomic.Pointer[structInfo], len(fields))}
	for i, f := range fields {
		si.byName[f.name] = i
		si.fields[i].plain = plainString(f.typ)
	}
	got, loaded := structCache.LoadOrStore(t, si)
	if !loaded {
		internKeys(fields)
	}
	return got.(*structInfo)
}

// keyTokens holds, boxed as tokens, the field names of every struct type
// seen so far: the lexer answers a plain string equal to one of them with
// the shared token instead of allocating the string and its interface
// value. Copy on write: the set only grows, when a new type is first seen.
var (
	keyTokens   atomic.Pointer[map[string]json.Token]
	keyTokensMu sync.Mutex
)

func internKeys(fields []field) {
	keyTokensMu.Lock()
	defer keyTokensMu.Unlock()
	var old map[string]json.Token
	if p := keyTokens.Load(); p != nil {
		old = *p
	}
	m := make(map[string]json.Token, len(old)+len(fields))
	for k, v := range old {
		m[k] = v
	}
	for _, f := range fields {
		if _, ok := m[f.name]; !ok {
			m[f.name] = json.Token(f.name)
		}
	}
	keyTokens.Store(&m)
}

// internedToken answers the shared token of a field name equal to b, if any.
func internedToken(b []byte) (json.Token, bool) {
	p := keyTokens.Load()
	if p == nil {
		return nil, false
	}
	tok, ok := (*p)[string(b)]
	return tok, ok
}

// caseVariant answers the field whose name equals key but for case, if any.
func (si *structInfo) caseVariant(key string) (string, bool) {
	for _, f := range si.fields {
		if strings.EqualFold(f.name, key) {
			return f.name, true
		}
	}
	return "", false
}

// typeFields lists the keys encoding/json decodes into a struct type, with
// its rules: exported fields only, json tag names, "-" skipped, fields of
// embedded structs promoted unless hidden by Go's dominance rules (a json
// tag breaking ties at the same depth).
func typeFields(t reflect.Type) []field {
	type embedded struct {
		typ   reflect.Type
		index []int
		ptr   bool // reached through an embedded pointer
	}
	var current []embedded
	next := []embedded{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []field

	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}

		for _, e := range current {
			if visited[e.typ] {
				continue
			}
			visited[e.typ] = true

			for i := 0; i < e.typ.NumField(); i++ {
				sf := e.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				index := append(slices.Clip(e.index), i)

				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				quoted := false
				if hasOption(opts, "string") {
					switch ft.Kind() {
					case reflect.Bool,
						reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64,
						reflect.String:
						quoted = true
					}
				}

				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					f := field{name: name, typ: sf.Type, quoted: quoted, tagged: name != "", index: index, viaPointer: e.ptr, exported: sf.IsExported()}
					if f.name == "" {
						f.name = sf.Name
					}
					fields = append(fields, f)
					if count[e.typ] > 1 {
						// Several embedded structs of this type at one
						// level: a duplicate makes the name ambiguous.
						fields = append(fields, f)
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, embedded{typ: ft, index: index, ptr: e.ptr || sf.Type.Kind() == reflect.Pointer})
				}
			}
		}
	}

	slices.SortFunc(fields, func(a, b field) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return +1
		}
		return slices.Compare(a.index, b.index)
	})

	// Keep, for each name, the one dominant field; drop ambiguous names.
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		group := fields[i:j]
		if len(group) == 1 || len(group[0].index) != len(group[1].index) || group[0].tagged != group[1].tagged {
			out = append(out, group[0])
		}
		i = j
	}
	return slices.Clip(out)
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// validTagName is encoding/json's rule for a usable tag name.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

var fillableCache sync.Map // reflect.Type -> bool

// fillable reports whether the walk can store a document of type t itself
// (see Decode): every struct field it can reach is set by index, without a
// `json:",string"` option or an embedded pointer on the way, whose
// encoding/json rules the walk does not repeat. Maps, free-form values and
// types with their own decoders are stored by json.Unmarshal on the bytes
// of their value, so what they hold does not matter.
func fillable(t reflect.Type) bool {
	if v, ok := fillableCache.Load(t); ok {
		return v.(bool)
	}
	ok := fillableType(t, map[reflect.Type]bool{}, true) // Decode's v is a pointer
	fillableCache.Store(t, ok)
	return ok
}

func fillableType(t reflect.Type, seen map[reflect.Type]bool, viaPtr bool) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
		viaPtr = true
	}
	// json.Unmarshal looks for UnmarshalJSON/UnmarshalText only on a
	// pointer or on the address of a named type: an unnamed struct that
	// embeds a decoder is decoded member by member.
	if !viaPtr && t.Name() == "" && (reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)) {
		return false
	}
	if seen[t] {
		return true // a recursive type: judged where it was first met
	}
	seen[t] = true
	if t == rawMessageType || t == numberType ||
		reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct:
		for _, f := range structFields(t).fields {
			if f.quoted || f.viaPointer || !f.exported || !fillableType(f.typ, seen, false) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		return fillableType(t.Elem(), seen, false)
	}
	return true
}
