package store

import (
	"bytes"
	"reflect"
	"sync"
	"time"
)

// recordCache keeps decoded copies of the records read again and again:
// the partner (read for every delivery's signing secret and every
// authentication) and the plan (every activation). Transactions,
// deliveries, SIMs, numbers and subscriptions are not kept: their binary
// decoding (codec.go) costs less than a hit here, which compares the bytes
// and deep-copies the value by reflection (BenchmarkDeliveryCodec,
// BenchmarkSIMCodec, BenchmarkNumberCodec, BenchmarkSubscriptionCodec:
// binary/decode takes a third to a half of the time of cache/hit).
//
// An entry is the exact stored bytes and what decoding made of them,
// and it is used only when the bytes a transaction reads are equal to
// those: equal bytes decode to an equal value, so an entry is never stale,
// whatever was committed, rolled back or written by a fn that failed. It is
// filled by decoding only, never from a value being stored, which could
// differ from its own decoding (a time's location, an empty slice left out
// by omitempty). What a load answers is a deep copy; the cache's own value
// is never handed out.
type recordCache struct {
	mu      sync.Mutex
	entries map[memoKey]cached
	max     int
}

type cached struct {
	raw []byte
	v   reflect.Value // a T, owned by the cache, never changed
}

// cacheEntries bounds the cache: enough for the records in flight between
// submit, execution and delivery at a few thousand requests per second,
// a few MiB of heap at most.
const cacheEntries = 1024

func newRecordCache(max int) *recordCache {
	return &recordCache{entries: make(map[memoKey]cached, max), max: max}
}

// cacheable lists the buckets whose records the cache keeps.
func cacheable(b []byte) bool {
	switch string(b) {
	case string(bktPartners), string(bktPlans):
		return true
	}
	return false
}

// get fills v (a pointer) with a copy of the entry for key if the entry
// was made from raw; raw need only be valid during the call.
func (c *recordCache) get(b []byte, key string, raw []byte, v any) bool {
	if c == nil || !cacheable(b) {
		return false
	}
	c.mu.Lock()
	e, ok := c.entries[memoKey{string(b), key}]
	c.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		return false
	}
	dst := reflect.ValueOf(v).Elem()
	if dst.Type() != e.v.Type() {
		return false
	}
	dst.Set(deepCopy(e.v))
	return true
}

// put remembers that raw decodes to v (a value or a pointer to one).
func (c *recordCache) put(b []byte, key string, raw []byte, v any) {
	if c == nil || !cacheable(b) {
		return
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	e := cached{raw: bytes.Clone(raw), v: deepCopy(rv)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[memoKey{string(b), key}]; !ok && len(c.entries) >= c.max {
		n := 0
		for k := range c.entries { // map order: an arbitrary eighth goes
			delete(c.entries, k)
			if n++; n >= c.max/8 {
				break
			}
		}
	}
	c.entries[memoKey{string(b), key}] = e
}

var timeType = reflect.TypeFor[time.Time]()

// deepCopy answers a copy of v that shares no slice, map or pointer
// target with it. Structs are copied field by field; a struct with
// unexported fields (time.Time) is copied as a value, which is right for
// the immutable ones the domain uses.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		if v.Type().Elem().Kind() == reflect.Uint8 {
			reflect.Copy(s, v)
			return s
		}
		for i := range v.Len() {
			s.Index(i).Set(deepCopy(v.Index(i)))
		}
		return s
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			m.SetMapIndex(deepCopy(it.Key()), deepCopy(it.Value()))
		}
		return m
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(deepCopy(v.Elem()))
		return c
	case reflect.Struct:
		if v.Type() == timeType {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(v) // scalars, and everything of a struct with unexported fields
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				return c
			}
		}
		for i := range t.NumField() {
			switch t.Field(i).Type.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Struct, reflect.Array:
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	case reflect.Array:
		c := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	}
	return v
}
