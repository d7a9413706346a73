// Package coretest holds deterministic stand-ins for the core's ports, so
// that tests comparing bytes get the same ids and times on every run.
package coretest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Clock is a fixed clock.
type Clock struct{ T time.Time }

// Now answers the fixed time.
func (c Clock) Now() time.Time { return c.T }

// IDs makes well-formed ids from a counter.
type IDs struct{ n atomic.Int64 }

// Token answers the next 64-hex token.
func (s *IDs) Token() (string, error) {
	sum := sha256.Sum256(fmt.Appendf(nil, "token-%d", s.n.Add(1)))
	return hex.EncodeToString(sum[:]), nil
}

// UUID answers the next version 4 UUID.
func (s *IDs) UUID() (string, error) {
	tok, _ := s.Token()
	return tok[0:8] + "-" + tok[8:12] + "-4" + tok[13:16] + "-8" + tok[17:20] + "-" + tok[20:32], nil
}

// TimeUUID answers the next UUID, shaped as version 7 for now's
// millisecond, then counter-derived: ids sort by time, then at random.
func (s *IDs) TimeUUID(now time.Time) (string, error) {
	tok, _ := s.Token()
	ms := fmt.Sprintf("%012x", max(now.UnixMilli(), 0)&(1<<48-1))
	return ms[0:8] + "-" + ms[8:12] + "-7" + tok[13:16] + "-8" + tok[17:20] + "-" + tok[20:32], nil
}

// MutableClock is a clock a test moves forward.
type MutableClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewMutableClock starts at t.
func NewMutableClock(t time.Time) *MutableClock { return &MutableClock{t: t} }

// Now answers the current test time.
func (c *MutableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *MutableClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// LogBuffer collects the JSON log lines of a test: give a JSON slog
// handler writing to it.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String answers everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines answers the records with the message msg.
func (b *LogBuffer) Lines(t testing.TB, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, l)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}
