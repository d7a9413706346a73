// Package jsonx decodes partner JSON strictly, for closed schemas.
//
// encoding/json is lenient in ways a partner API must not be: it matches
// keys case-insensitively, ignores unknown keys, lets a repeated key
// silently overwrite the first, replaces invalid UTF-8 with U+FFFD and
// reports type errors only after it has half-filled the target. Decode
// walks the input once, token by token, alongside the Go type of the
// target, and refuses the document at the first problem with an *Error that
// names the JSON path. The walk stores what it checks in a fresh value that
// replaces the target only once the whole document has passed, so a refused
// document leaves the target untouched; what the walk stores is what
// json.Unmarshal would (a differential fuzz test holds it to that).
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
)

// Default limits, used for the zero (or a negative) field of Limits.
const (
	DefaultMaxBytes int64 = 1 << 20 // 1 MiB
	DefaultMaxDepth       = 32
	maxJSONDepth          = 10000 // encoding/json's own nesting limit
)

// Limits bound what Decode accepts. A zero or negative field means its
// default (DefaultMaxBytes, DefaultMaxDepth).
type Limits struct {
	MaxBytes int64 // largest accepted body, in bytes
	MaxDepth int   // deepest nesting of objects and arrays; the top-level object is depth 1
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxDepth > maxJSONDepth {
		l.MaxDepth = maxJSONDepth // encoding/json refuses deeper documents
	}
	return l
}

// The reasons of an *Error: short, stable, machine-readable words.
const (
	ReasonTooLarge     = "too_large"     // body longer than Limits.MaxBytes (status 413)
	ReasonMalformed    = "malformed"     // empty body, not JSON, invalid UTF-8 or unpaired surrogate escape
	ReasonUnknownField = "unknown_field" // a key that is not a field of the struct (exact, case-sensitive)
	ReasonDuplicateKey = "duplicate_key" // a key repeated in one object (for structs: also in another case)
	ReasonWrongType    = "wrong_type"    // a JSON value that cannot go into the field
	ReasonOverflow     = "overflow"      // a number out of the range of its field
	ReasonTrailingData = "trailing_data" // anything but whitespace after the top-level value
	ReasonTooDeep      = "too_deep"      // nesting deeper than Limits.MaxDepth
)

// Error is a refused request body: what a client sent wrong, safe to show
// to that client. Message is an English sentence that names Path and
// echoes at most 64 bytes of the input.
type Error struct {
	Status  int    // HTTP status: 400, or 413 for a body over the size limit
	Path    string // JSON path of the offending value, e.g. "MessageHeader.TrackingMessageHeader.returnURL" or "ActivateSubscriberResellerRequest.SubscriberReseller[0].Device.SIM"; "" for the whole body
	Reason  string // one of the Reason constants
	Message string
}

// Error answers Message.
func (e *Error) Error() string { return e.Message }

func tooLarge(max int64) *Error {
	return &Error{
		Status:  http.StatusRequestEntityTooLarge,
		Reason:  ReasonTooLarge,
		Message: fmt.Sprintf("request body is larger than the limit of %d bytes", max),
	}
}

// Decode refuses data at its first problem (see the package comment and the
// Reason constants) with an *Error, and otherwise stores it in v as
// json.Unmarshal would. v must be a non-nil pointer, normally to a fresh
// struct (one that already holds values is merged into, by json.Unmarshal
// after the walk).
//
// Beyond encoding/json's rules Decode also refuses: a top-level null; more
// elements than a Go array holds; invalid UTF-8 and unpaired UTF-16
// surrogate escapes in strings; exact duplicate keys inside maps and
// free-form values (any, json.RawMessage). A json.Number field takes a
// number, or a string holding a valid number as encoding/json allows. Fields
// of type any must hold numbers that fit a float64, since json.Unmarshal
// stores them as float64.
//
// An error that is not an *Error means v is not usable (nil or not a
// pointer, or a type encoding/json cannot fill): a programming error.
func Decode(data []byte, v any, lim Limits) error {
	return decode(data, v, lim, walkDoc)
}

// decode is Decode with walk, which walks the document (see walkDoc).
func decode(data []byte, v any, lim Limits, walk func(data []byte, t reflect.Type, dst reflect.Value, maxDepth int) error) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &json.InvalidUnmarshalError{Type: reflect.TypeOf(v)}
	}
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return tooLarge(lim.MaxBytes)
	}
	if len(bytes.TrimLeft(data, jsonSpace)) == 0 {
		return &Error{Status: http.StatusBadRequest, Reason: ReasonMalformed, Message: "request body is empty"}
	}

	// One pass: the walk stores what it checks in a fresh value, copied
	// to v once the whole document has passed. A type whose rules the walk
	// does not repeat (see fillable), or a v that already holds something
	// json.Unmarshal would merge into, is checked first and then handed to
	// json.Unmarshal.
	t := rv.Type().Elem()
	var fresh reflect.Value // a zero v is decoded into a fresh value, copied to v on success
	if rv.Elem().IsZero() {
		fresh = reflect.New(t).Elem()
	}
	fill := fresh.IsValid() && fillable(t)
	var dst reflect.Value
	if fill {
		dst = fresh
	}
	if err := walk(data, t, dst, lim.MaxDepth); err != nil {
		return err
	}
	if fill {
		rv.Elem().Set(fresh)
		return nil
	}

	target := v
	if fresh.IsValid() {
		// Even where the walk and json.Unmarshal disagree (the safety net
		// below), a refused document leaves a zero v as it was.
		target = fresh.Addr().Interface()
	}
	if err := json.Unmarshal(data, target); err != nil {
		// The walk should have refused whatever json.Unmarshal refuses;
		// this is the safety net.
		var ute *json.UnmarshalTypeError
		var iue *json.InvalidUnmarshalError
		switch {
		case errors.As(err, &ute):
			path := sanitizePath(ute.Field)
			return &Error{
				Status: http.StatusBadRequest, Path: path, Reason: ReasonWrongType,
				Message: fmt.Sprintf("%s has the wrong JSON type", subject(path)),
			}
		case errors.As(err, &iue):
			return err
		default:
			return fmt.Errorf("jsonx: decoding into %s: %w", rv.Type(), err)
		}
	}
	if fresh.IsValid() {
		rv.Elem().Set(fresh)
	}
	return nil
}

// ReadBody reads r up to max bytes (DefaultMaxBytes when max <= 0). It
// reads at most max+1 bytes and answers a 413 *Error when r holds more; an
// *http.MaxBytesError from r is reported the same way. Other read errors
// (a client that went away) are returned wrapped, not as *Error.
func ReadBody(r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxBytes
	}
	n := max
	if n < math.MaxInt64 {
		n++
	}
	data, err := io.ReadAll(io.LimitReader(r, n))
	if int64(len(data)) > max {
		return nil, tooLarge(max)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, fmt.Errorf("jsonx: reading request body: %w", err)
	}
	return data, nil
}
