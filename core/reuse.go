package core

import (
	"sync/atomic"
	"time"
)

// reuse runs functions on goroutines that wait a while after each one for
// the next. The engine starts every execution and every delivery attempt
// in a goroutine of its own, and a new goroutine's stack starts small and
// is copied each time it grows (the JSON codecs, the HTTP client and
// bbolt's cursors reach past it): end to end, about 4% of the server's CPU
// went to copying stacks. A goroutine kept for the next function has its
// grown stack already.
type reuse struct {
	work chan func()
	idle time.Duration
	// live counts the goroutines, waiting those waiting for a function.
	live, waiting atomic.Int32
}

// reuseIdle is how long a goroutine waits for the next function.
const reuseIdle = 5 * time.Second

func newReuse(idle time.Duration) *reuse {
	return &reuse{work: make(chan func()), idle: idle}
}

// Go runs f on a waiting goroutine if there is one, else on a new one. It
// never blocks, and never runs f on the caller's goroutine.
func (r *reuse) Go(f func()) {
	select {
	case r.work <- f:
	default:
		go r.run(f)
	}
}

func (r *reuse) run(f func()) {
	r.live.Add(1)
	defer r.live.Add(-1)
	t := time.NewTimer(r.idle)
	defer t.Stop()
	for {
		f()
		f = nil // nothing of the last one stays reachable while waiting
		t.Reset(r.idle)
		r.waiting.Add(1)
		select {
		case f = <-r.work:
			r.waiting.Add(-1)
		case <-t.C:
			r.waiting.Add(-1)
			return
		}
	}
}
