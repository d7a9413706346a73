package core

import (
	"strconv"
	"testing"
	"time"
)

// The throttle's tables stay bounded however many usernames and addresses
// callers make up, and what they drop first is the least recently failed.
func TestThrottleMemoryIsBounded(t *testing.T) {
	th := newThrottle(LoginThrottle{})
	th.max = 1000 // the real bound is maxTracked; the logic is the same
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th.failed("u:first", "192.0.2.1", now)
	for i := 0; i < th.max+th.max/5; i++ {
		now = now.Add(time.Millisecond)
		th.failed("u:"+strconv.Itoa(i), "10."+strconv.Itoa(i>>16)+"."+strconv.Itoa(i>>8&255)+"."+strconv.Itoa(i&255), now)
		if i == th.max/2 {
			// A username under attack stays: it keeps failing.
			for j := 0; j < 5; j++ {
				th.failed("u:attacked", "192.0.2.9", now)
			}
		}
	}
	if len(th.users) > th.max || len(th.addrs) > th.max {
		t.Fatalf("tables grew to %d users and %d addresses, the bound is %d", len(th.users), len(th.addrs), th.max)
	}
	if _, ok := th.users["u:first"]; ok {
		t.Error("the least recently failed username should have been dropped first")
	}
	if s, ok := th.users["u:attacked"]; !ok || s.count != 5 {
		t.Error("a username failing recently was dropped")
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := newLimiter(RateLimit{RPS: 1, Burst: 1})
	l.max = 1000
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < l.max+10; i++ {
		id := PartnerID(strconv.Itoa(i))
		l.add(id, l.def, now)
		l.take(id, now) // empty: not idle, so only age can drop it
	}
	if len(l.buckets) > l.max {
		t.Fatalf("%d buckets, the bound is %d", len(l.buckets), l.max)
	}
}
