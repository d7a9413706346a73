package core

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// RateLimit is a token bucket: RPS requests per second on average, bursts
// of up to Burst. RPS 0 means no limit.
type RateLimit struct {
	RPS   float64 `json:"rps"`
	Burst int     `json:"burst"`
}

// Unlimited reports whether the limit lets everything through.
func (r RateLimit) Unlimited() bool { return !(r.RPS > 0) }

// normal fills in a missing burst: one second's worth, at least 1.
func (r RateLimit) normal() RateLimit {
	if r.Unlimited() {
		return RateLimit{}
	}
	if r.Burst < 1 {
		r.Burst = max(1, int(math.Ceil(r.RPS)))
	}
	return r
}

// maxTracked bounds the entries of each in-memory table of the abuse
// protections (buckets, failure counters). Partners are bounded by the
// inventory; usernames and addresses are whatever callers send, so the
// tables drop what is stale, then the least recently touched, when full.
const maxTracked = 100_000

// bucket is one partner's token bucket.
type bucket struct {
	limit  RateLimit
	tokens float64
	last   time.Time
}

// refill adds the tokens earned since the last call.
func (b *bucket) refill(now time.Time) {
	if b.limit.Unlimited() {
		return
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(b.limit.Burst), b.tokens+d.Seconds()*b.limit.RPS)
		b.last = now
	}
}

// idle reports whether the bucket is full: dropping it loses nothing, a
// new one starts full.
func (b *bucket) idle(now time.Time) bool {
	b.refill(now)
	return b.limit.Unlimited() || b.tokens >= float64(b.limit.Burst)
}

// limiter holds a token bucket per partner. Each bucket's limit is read
// from the partner's record when the bucket is made (the partner's own
// rate_limit, else the default), so it takes no store read per request.
type limiter struct {
	def     RateLimit
	max     int // entries
	mu      sync.Mutex
	buckets map[PartnerID]*bucket
}

func newLimiter(def RateLimit) *limiter {
	return &limiter{def: def.normal(), max: maxTracked, buckets: map[PartnerID]*bucket{}}
}

// take spends one token of partner's bucket. known is false when the
// partner has no bucket yet; otherwise wait is 0 when the request may go
// and the time until a token is free when it may not.
func (l *limiter) take(partner PartnerID, now time.Time) (wait time.Duration, limit RateLimit, known bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[partner]
	if !ok {
		return 0, RateLimit{}, false
	}
	if b.limit.Unlimited() {
		return 0, b.limit, true
	}
	b.refill(now)
	if b.tokens >= 1 {
		b.tokens--
		return 0, b.limit, true
	}
	wait = time.Duration(math.Ceil((1 - b.tokens) / b.limit.RPS * float64(time.Second)))
	return max(wait, 1), b.limit, true
}

// add makes partner's bucket, full, unless another request made it first.
func (l *limiter) add(partner PartnerID, limit RateLimit, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.buckets[partner]; ok {
		return
	}
	if len(l.buckets) >= l.max {
		for id, b := range l.buckets {
			if b.idle(now) {
				delete(l.buckets, id)
			}
		}
		evictOldest(l.buckets, l.max, func(b *bucket) time.Time { return b.last })
	}
	limit = limit.normal()
	l.buckets[partner] = &bucket{limit: limit, tokens: float64(limit.Burst), last: now}
}

// evictOldest drops the entries of m least recently touched until m is
// down to nine tenths of limit. Tables call it only when full, so its sort
// is paid at most once per limit/10 insertions.
func evictOldest[K comparable, V any](m map[K]V, limit int, touched func(V) time.Time) {
	excess := len(m) - (limit - limit/10)
	if excess <= 0 {
		return
	}
	type aged struct {
		key K
		at  time.Time
	}
	all := make([]aged, 0, len(m))
	for k, v := range m {
		all = append(all, aged{k, touched(v)})
	}
	slices.SortFunc(all, func(a, b aged) int { return a.at.Compare(b.at) })
	for _, a := range all[:excess] {
		delete(m, a.key)
	}
}

// Allow spends one request of the partner's rate limit: call it once per
// request, right after the caller is authenticated. Over the limit it
// answers a RATE_LIMITED error carrying the wait until the next request
// may go (also answered as retryAfter).
func (s *Service) Allow(ctx context.Context, partner PartnerID) (retryAfter time.Duration, err error) {
	now := s.clock.Now()
	wait, limit, known := s.limits.take(partner, now)
	if !known {
		limit = s.limits.def
		var p Partner
		var ok bool
		err := s.store.View(ctx, func(tx Tx) error {
			var err error
			p, ok, err = tx.Partner(partner)
			return err
		})
		if err != nil {
			return 0, Internal(err)
		}
		if ok && p.RateLimit != nil {
			limit = *p.RateLimit
		}
		s.limits.add(partner, limit, now)
		wait, limit, _ = s.limits.take(partner, now)
	}
	if wait == 0 {
		return 0, nil
	}
	e := Errorf(KindRateLimited, ReasonRateLimited, "", "%s is over its rate limit of %g requests/s (burst %d)", partner, limit.RPS, limit.Burst)
	e.RetryAfter = wait
	return wait, e
}
