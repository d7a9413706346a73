package callback

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Schedule is the retry policy: entry i is the wait before attempt i+1, so
// entry 0 is the first attempt's (normally 0) and len(s) is the number of
// attempts before the dead-letter state.
type Schedule []time.Duration

// DefaultSchedule makes 8 attempts over about 28 hours: quick retries for
// a blip, then spaced ones that outlast a partner's overnight outage.
var DefaultSchedule = Schedule{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// jitter is the spread around each entry: without it, deliveries that
// failed together (a partner outage) all retry in the same instant.
const jitter = 0.2

// Next answers the wait after the attempts-th failed attempt (1-based)
// before the next one: that attempt's entry ±20% (rnd answers [0,1); nil
// means math/rand), and never less than the partner's retryAfter. ok is
// false when the schedule is exhausted: the delivery is dead.
func (s Schedule) Next(attempts int, retryAfter time.Duration, rnd func() float64) (wait time.Duration, ok bool) {
	attempts = max(attempts, 0)
	if attempts >= len(s) {
		return 0, false
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	base := s[attempts]
	wait = base + time.Duration(float64(base)*jitter*(2*rnd()-1))
	return max(wait, retryAfter, 0), true
}

// ParseSchedule reads a comma-separated list of Go durations, e.g.
// "0s,5s,5m,30m", as configuration gives it.
func ParseSchedule(s string) (Schedule, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("callback: empty retry schedule")
	}
	parts := strings.Split(s, ",")
	out := make(Schedule, 0, len(parts))
	for i, p := range parts {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("callback: retry schedule entry %d: %w", i+1, err)
		}
		if d < 0 {
			return nil, fmt.Errorf("callback: retry schedule entry %d: negative %s", i+1, d)
		}
		out = append(out, d)
	}
	return out, nil
}

// String answers the form ParseSchedule reads.
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}
