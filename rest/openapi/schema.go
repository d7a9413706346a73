package openapi

import (
	"cmp"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Schemer lets a type whose JSON form reflection cannot see (a custom
// MarshalJSON, a string type with a closed set of values) state its schema.
// The result is used inline, as is.
type Schemer interface {
	JSONSchema() map[string]any
}

// ref stands for a component's "$ref" until JSON knows every component and
// can give each a unique name.
type ref struct{ t reflect.Type }

var (
	timeType      = reflect.TypeFor[time.Time]()
	numberType    = reflect.TypeFor[json.Number]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	schemerType   = reflect.TypeFor[Schemer]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// implements also accepts pointer receivers: encoding/json uses those for
// addressable values and always when decoding.
func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
}

// schemaOf returns a fresh schema for t that callers may add keywords to.
func (d *Doc) schemaOf(t reflect.Type) (map[string]any, error) {
	for t.Kind() == reflect.Pointer { // nil is absence, not a value: no "null"
		t = t.Elem()
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}, nil
	case numberType:
		return map[string]any{"type": "number"}, nil
	case rawType:
		return map[string]any{}, nil
	}
	if t.Kind() == reflect.Interface { // any value at all
		return map[string]any{}, nil
	}
	switch {
	case implements(t, schemerType):
		// A deep copy: tags add keywords, possibly to nested "items".
		s, _ := resolve(reflect.New(t).Interface().(Schemer).JSONSchema(), nil).(map[string]any)
		return s, nil
	case implements(t, marshalerType):
		return map[string]any{}, nil // its encoding is its own business
	case implements(t, textType):
		return map[string]any{"type": "string"}, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}, nil
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return map[string]any{"type": "integer", "format": "int32"}, nil
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}, nil
	case reflect.Uint8, reflect.Uint16:
		return map[string]any{"type": "integer", "format": "int32", "minimum": 0}, nil
	case reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return map[string]any{"type": "integer", "format": "int64", "minimum": 0}, nil
	case reflect.Float32:
		return map[string]any{"type": "number", "format": "float"}, nil
	case reflect.Float64:
		return map[string]any{"type": "number", "format": "double"}, nil
	case reflect.String:
		return map[string]any{"type": "string"}, nil
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 &&
			!implements(t.Elem(), marshalerType) && !implements(t.Elem(), textType) {
			return map[string]any{"type": "string", "contentEncoding": "base64"}, nil
		}
		items, err := d.schemaOf(t.Elem())
		if err != nil {
			return nil, err
		}
		s := map[string]any{"type": "array", "items": items}
		if t.Kind() == reflect.Array { // encoding/json writes every element
			s["minItems"], s["maxItems"] = t.Len(), t.Len()
		}
		return s, nil
	case reflect.Map:
		// encoding/json writes these keys as strings; others it refuses.
		switch k := t.Key(); {
		case k.Kind() == reflect.String, k.Kind() >= reflect.Int && k.Kind() <= reflect.Uintptr, implements(k, textType):
		default:
			return nil, fmt.Errorf("%v: map key must be a string, an integer or a TextMarshaler", t)
		}
		values, err := d.schemaOf(t.Elem())
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "object", "additionalProperties": values}, nil
	case reflect.Struct:
		if t.Name() == "" {
			return d.structSchema(t)
		}
		if _, done := d.schemas[t]; !done {
			d.schemas[t] = map[string]any{} // placeholder: a recursive field finds it and stops
			d.order = append(d.order, t)
			s, err := d.structSchema(t)
			if err != nil {
				delete(d.schemas, t)
				d.order = d.order[:len(d.order)-1]
				return nil, err
			}
			d.schemas[t] = s
		}
		return map[string]any{"$ref": ref{t}}, nil
	}
	return nil, fmt.Errorf("%v: %v cannot be encoded as JSON", t, t.Kind())
}

func (d *Doc) structSchema(t reflect.Type) (map[string]any, error) {
	props := map[string]any{}
	required := []string{}
	for _, f := range jsonFields(t) {
		s, err := d.schemaOf(f.sf.Type)
		if err == nil && f.quoted {
			s = map[string]any{"type": "string"} // ",string" puts the value in quotes
		}
		if err == nil {
			err = applyTags(s, f.sf.Tag)
		}
		if err != nil {
			return nil, fmt.Errorf("%v.%s: %w", t, f.sf.Name, err)
		}
		props[f.name] = s
		if !f.optional {
			required = append(required, f.name)
		}
	}
	slices.Sort(required) // properties come out sorted too
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s, nil
}

type field struct {
	name     string
	sf       reflect.StructField
	depth    int
	tagged   bool
	optional bool
	quoted   bool
}

// jsonFields lists the fields encoding/json encodes for struct t, following
// its rules: breadth-first through embedded structs, and for a name met more
// than once the shallowest field wins, then the tagged one, else none does.
func jsonFields(t reflect.Type) []field {
	type embedded struct {
		t        reflect.Type
		optional bool // reached through a pointer: absent when nil
	}
	var all []field
	visited := map[reflect.Type]bool{}
	next := []embedded{{t: t}}
	for depth := 0; len(next) > 0; depth++ {
		current := next
		next = nil
		for _, e := range current {
			if visited[e.t] {
				continue
			}
			for i := range e.t.NumField() {
				sf := e.t.Field(i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if sf.Anonymous {
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
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
				optional := e.optional || sf.Type.Kind() == reflect.Pointer
				if !sf.Anonymous || name != "" || ft.Kind() != reflect.Struct {
					quoted := false
					if slices.Contains(strings.Split(opts, ","), "string") {
						switch ft.Kind() {
						case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
							reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
							reflect.Float32, reflect.Float64, reflect.String:
							quoted = true
						}
					}
					for _, o := range strings.Split(opts, ",") {
						optional = optional || o == "omitempty" || o == "omitzero"
					}
					all = append(all, field{name: cmp.Or(name, sf.Name), sf: sf, depth: depth,
						tagged: name != "", optional: optional, quoted: quoted})
					continue
				}
				next = append(next, embedded{t: ft, optional: optional})
			}
		}
		// Marked only after the level so that a struct embedded twice at one
		// depth yields clashing fields that cancel out, as in encoding/json.
		for _, e := range current {
			visited[e.t] = true
		}
	}

	slices.SortStableFunc(all, func(a, b field) int {
		if c := cmp.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(a.depth, b.depth); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return 0
	})
	var out []field
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].name == all[i].name {
			j++
		}
		if j-i == 1 || all[i].depth != all[i+1].depth || all[i].tagged != all[i+1].tagged {
			out = append(out, all[i])
		}
		i = j
	}
	return out
}

// applyTags turns validation tags into keywords. Value constraints on a
// slice field constrain its elements, the only reading that means anything.
func applyTags(s map[string]any, tag reflect.StructTag) error {
	target := s
	if items, ok := s["items"].(map[string]any); ok && s["type"] == "array" {
		target = items
	}
	typ, _ := target["type"].(string)
	if v := tag.Get("doc"); v != "" {
		s["description"] = v
	}
	if v, ok := tag.Lookup("enum"); ok {
		var enum []any
		for _, e := range strings.Split(v, ",") {
			x, err := parseValue(strings.TrimSpace(e), typ)
			if err != nil {
				return fmt.Errorf("enum: %w", err)
			}
			enum = append(enum, x)
		}
		target["enum"] = enum
	}
	if v, ok := tag.Lookup("pattern"); ok {
		if typ != "string" {
			return errors.New("pattern on a non-string")
		}
		if _, err := regexp.Compile(v); err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
		target["pattern"] = v
	}
	for _, k := range []string{"minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"} {
		v, ok := tag.Lookup(k)
		if !ok {
			continue
		}
		var (
			dst  = target
			want = "string"
		)
		switch k {
		case "minimum", "maximum":
			want = typ
			if typ != "integer" && typ != "number" {
				return fmt.Errorf("%s on a non-number", k)
			}
		case "minItems", "maxItems":
			dst, want = s, "array"
		}
		if dst["type"] != want {
			return fmt.Errorf("%s on a non-%s", k, want)
		}
		if want == "number" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			dst[k] = n
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || (n < 0 && want != "integer") {
			return fmt.Errorf("%s: bad value %q", k, v)
		}
		dst[k] = n
	}
	if v, ok := tag.Lookup("example"); ok {
		t, _ := s["type"].(string)
		x, err := parseValue(v, t)
		if err != nil {
			return fmt.Errorf("example: %w", err)
		}
		s["examples"] = []any{x}
	}
	return nil
}

// parseValue reads a tag value as an instance of a schema of type typ:
// scalars literally, anything else as JSON.
func parseValue(v, typ string) (any, error) {
	switch typ {
	case "string":
		return v, nil
	case "integer":
		return strconv.ParseInt(v, 10, 64)
	case "number":
		return strconv.ParseFloat(v, 64)
	case "boolean":
		return strconv.ParseBool(v)
	}
	var x any
	if err := json.Unmarshal([]byte(v), &x); err != nil {
		return nil, fmt.Errorf("%q is not JSON", v)
	}
	return x, nil
}

var (
	pkgPathRe   = regexp.MustCompile(`[\w.\-]*/`) // "simgate/core.Item" -> "core.Item"
	qualifierRe = regexp.MustCompile(`\w+\.`)     // "core.Item" -> "Item"
	nonNameRe   = regexp.MustCompile(`[^A-Za-z0-9_]+`)
)

// componentNames names each struct schema by its Go type name. Types that
// share a name are all prefixed with their package name ("core.Item"), so
// a name never depends on which type was added first; anything still equal
// (function-local types) gets a numeric suffix in registration order.
func (d *Doc) componentNames() map[reflect.Type]string {
	base := func(t reflect.Type) string {
		// Generic instances: "Page[simgate/core.Item]" -> "Page_Item".
		n := qualifierRe.ReplaceAllString(pkgPathRe.ReplaceAllString(t.Name(), ""), "")
		return strings.Trim(nonNameRe.ReplaceAllString(n, "_"), "_")
	}
	count := map[string]int{}
	for _, t := range d.order {
		count[base(t)]++
	}
	names := map[reflect.Type]string{}
	used := map[string]bool{}
	for _, t := range d.order {
		n := base(t)
		if count[n] > 1 {
			pkg, _, _ := strings.Cut(t.String(), ".")
			n = nonNameRe.ReplaceAllString(pkg, "_") + "." + n
		}
		unique := n
		for i := 2; used[unique]; i++ {
			unique = n + "_" + strconv.Itoa(i)
		}
		used[unique] = true
		names[t] = unique
	}
	return names
}

// resolve deep-copies the tree, replacing every ref marker by its pointer.
func resolve(v any, names map[reflect.Type]string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = resolve(x, names)
		}
		return out
	case map[string]map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = resolve(x, names)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = resolve(x, names)
		}
		return out
	case ref:
		return "#/components/schemas/" + names[v.t]
	}
	return v
}
