package core

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"hash"
	"sync"
	"time"
)

// credCache remembers credentials bcrypt has verified, so that a partner
// sending its password on every request (MVNX) pays bcrypt once per TTL
// rather than per request. An entry holds a keyed MAC of username and
// password (never the password) and the stored bcrypt hash it was checked
// against: a password change in the store misses the cache at once.
type credCache struct {
	mu       sync.Mutex
	inflight map[[32]byte]*sync.Mutex // one bcrypt at a time per credential pair
	key      [32]byte
	ttl      time.Duration
	max      int
	entries  map[[32]byte]credEntry
	macs     sync.Pool // *credMAC keyed with key
}

type credEntry struct {
	partner  PartnerID
	stored   string // the bcrypt hash verified against
	verified time.Time
}

func newCredCache(ttl time.Duration, max int) *credCache {
	c := &credCache{ttl: ttl, max: max, entries: map[[32]byte]credEntry{}, inflight: map[[32]byte]*sync.Mutex{}}
	_, _ = rand.Read(c.key[:]) // a process-local key: the MACs mean nothing elsewhere
	c.macs.New = func() any { return &credMAC{h: hmac.New(sha256.New, c.key[:])} }
	return c
}

// credMAC is a keyed HMAC and a buffer for its input, reused through
// credCache.macs: every check of a credential computes its MAC, and a new
// HMAC costs several allocations and the key schedule.
type credMAC struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func (c *credCache) mac(username, password string) [32]byte {
	m := c.macs.Get().(*credMAC)
	m.h.Reset()
	m.buf = append(append(append(m.buf[:0], username...), 0), password...)
	m.h.Write(m.buf)
	out := [32]byte(m.h.Sum(m.sum[:0]))
	clear(m.buf) // the password does not stay in the pool
	if cap(m.buf) > 1024 {
		m.buf = nil
	}
	c.macs.Put(m)
	return out
}

// hit reports whether username/password was verified within the TTL
// against the hash the store holds now.
func (c *credCache) hit(username, password string, p Partner, now time.Time) bool {
	if c == nil || c.ttl <= 0 {
		return false
	}
	k := c.mac(username, password)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return false
	}
	if now.Sub(e.verified) > c.ttl || e.partner != p.ID || !hmac.Equal([]byte(e.stored), []byte(p.PasswordHash)) {
		delete(c.entries, k)
		return false
	}
	return true
}

func (c *credCache) remember(username, password string, p Partner, now time.Time) {
	if c == nil || c.ttl <= 0 {
		return
	}
	k := c.mac(username, password)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		// Full: drop expired entries, and if none were, start afresh; a
		// miss only costs one bcrypt.
		for key, e := range c.entries {
			if now.Sub(e.verified) > c.ttl {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[k] = credEntry{partner: p.ID, stored: p.PasswordHash, verified: now}
}

// serialise runs verify alone among the checks of the same credential pair:
// when a partner opens with many concurrent requests, one bcrypt runs and
// the others find its result in the cache instead of each running bcrypt.
func (c *credCache) serialise(username, password string, verify func()) {
	if c == nil || c.ttl <= 0 {
		verify()
		return
	}
	k := c.mac(username, password)
	c.mu.Lock()
	m, ok := c.inflight[k]
	if !ok {
		if len(c.inflight) >= c.max {
			c.mu.Unlock()
			verify()
			return
		}
		m = &sync.Mutex{}
		c.inflight[k] = m
	}
	c.mu.Unlock()
	m.Lock()
	defer func() {
		m.Unlock()
		c.mu.Lock()
		if c.inflight[k] == m && m.TryLock() {
			delete(c.inflight, k)
			m.Unlock()
		}
		c.mu.Unlock()
	}()
	verify()
}
