package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"
)

// The MAC of a credential pair is HMAC-SHA256(key, username NUL password),
// whichever pooled HMAC computes it, and does not mix pairs.
func TestCredCacheMAC(t *testing.T) {
	c := newCredCache(time.Minute, 10)
	want := func(u, p string) [32]byte {
		m := hmac.New(sha256.New, c.key[:])
		m.Write([]byte(u + "\x00" + p))
		return [32]byte(m.Sum(nil))
	}
	for range 3 {
		for _, pair := range [][2]string{{"demo-reseller", "demo-reseller-pass"}, {"a", "b"}, {"", ""}, {"a\x00b", ""}} {
			if got := c.mac(pair[0], pair[1]); got != want(pair[0], pair[1]) {
				t.Errorf("mac(%q, %q) is not the HMAC of the pair", pair[0], pair[1])
			}
		}
	}
	if c.mac("ab", "c") == c.mac("a", "bc") {
		t.Error("the separator does not separate")
	}
}

// BenchmarkCredCacheHit is the cache's part of a password check answered
// from the cache.
func BenchmarkCredCacheHit(b *testing.B) {
	c := newCredCache(time.Minute, 10)
	p := Partner{ID: "demo-reseller", PasswordHash: "$2a$10$abcdefghijklmnopqrstuv"}
	now := time.Now()
	c.remember("demo-reseller", "demo-reseller-pass", p, now)
	b.ReportAllocs()
	for b.Loop() {
		if !c.hit("demo-reseller", "demo-reseller-pass", p, now) {
			b.Fatal("miss")
		}
	}
}
