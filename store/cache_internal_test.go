package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
)

// fill sets every field reachable from v to a non-zero value: every
// pointer, slice and map gets a target, so that a copy sharing one of them
// with its original can be caught.
func fill(t *testing.T, v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), depth+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), depth+1)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, depth+1)
		fill(t, e, depth+1)
		v.SetMapIndex(k, e)
	case reflect.Struct:
		if v.Type() == timeType {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), depth+1)
			}
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(7)
	case reflect.Interface:
		v.Set(reflect.ValueOf([]string{"x"}))
	}
}

// shares reports a pointer, slice or map reachable from both a and b.
func shares(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer, reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			return path
		}
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !a.IsNil() {
			return shares(a.Elem(), b.Elem(), path)
		}
	case reflect.Slice, reflect.Array:
		for i := range a.Len() {
			if p := shares(a.Index(i), b.Index(i), path+"[]"); p != "" {
				return p
			}
		}
	case reflect.Map:
		for it := a.MapRange(); it.Next(); {
			if p := shares(it.Value(), b.MapIndex(it.Key()), path+"{}"); p != "" {
				return p
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				if p := shares(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

// Every record type the cache keeps is copied without sharing anything
// with the cache's value, including fields added after this test.
func TestDeepCopySharesNothing(t *testing.T) {
	for _, v := range []any{&core.Transaction{}, &core.Delivery{}, &core.Partner{}, &core.Plan{}} {
		orig := reflect.ValueOf(v).Elem()
		fill(t, orig, 0)
		cp := deepCopy(orig)
		require.True(t, reflect.DeepEqual(orig.Interface(), cp.Interface()), "%T: the copy differs", v)
		assert.Empty(t, shares(orig, cp, orig.Type().Name()), "%T: the copy shares memory with the original", v)
	}
}

// A load answers a value the caller may change: the next load of the same
// bytes answers the stored record, not the caller's change.
func TestCachedLoadsAreIndependentCopies(t *testing.T) {
	c := newRecordCache(4)
	tr := core.Transaction{ID: "t", History: []core.TxEvent{{Status: core.TxReceived}}, Ack: []byte("ack")}
	raw := []byte(`{"id":"t","ack":"YWNr","history":[{"at":"0001-01-01T00:00:00Z","status":"Received"}]}`)
	c.put(bktPlans, "t", raw, &tr)
	var a core.Transaction
	require.True(t, c.get(bktPlans, "t", raw, &a))
	a.History[0].Status = core.TxFailed
	a.Ack[0] = 'X'
	var b core.Transaction
	require.True(t, c.get(bktPlans, "t", raw, &b))
	assert.Equal(t, core.TxReceived, b.History[0].Status)
	assert.Equal(t, "ack", string(b.Ack))
	assert.False(t, c.get(bktPlans, "t", append([]byte(nil), raw[:len(raw)-1]...), &b), "other bytes never hit")
	assert.False(t, c.get(bktTransactions, "t", raw, &b), "a bucket that is not cached")
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		c.put(bktPlans, k, raw, &tr)
	}
	assert.LessOrEqual(t, len(c.entries), 4, "bounded")
}
