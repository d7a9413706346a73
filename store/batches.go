package store

import (
	"context"
	"sync/atomic"

	"simgate/core"
)

// Batches reads queue until it is closed and hands run each request
// together with the ones already waiting behind it, up to max at a time.
// It never waits for more: while run works (on the disk, on the network),
// new requests queue up, so batches grow with the load and no timer is
// needed. The slice run gets is reused for the next batch.
func Batches[T any](queue <-chan T, max int, run func([]T)) {
	batch := make([]T, 0, max)
	for r := range queue {
		batch = append(batch, r)
	drain:
		for len(batch) < max {
			select {
			case r, ok := <-queue:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		run(batch)
		clear(batch)
		batch = batch[:0]
	}
}

// Request is one Update waiting for a group commit. Its caller and the
// committer race when the caller's ctx ends: the caller may leave only
// while the request is still queued; once the committer has started it,
// the caller waits for the truth about the commit.
type Request struct {
	Ctx    context.Context
	Fn     func(core.Tx) error
	state  atomic.Int32 // queued, then started (by the committer) or abandoned (by the caller)
	result chan error   // buffered, so the committer never waits for a caller
}

const (
	queued int32 = iota
	started
	abandoned
)

// NewRequest answers a queued request for fn.
func NewRequest(ctx context.Context, fn func(core.Tx) error) *Request {
	return &Request{Ctx: ctx, Fn: fn, result: make(chan error, 1)}
}

// Start claims the request for the committer. False means its caller has
// left or its ctx has ended: the committer must not run Fn, and answers
// Ctx.Err().
func (r *Request) Start() bool {
	return r.Ctx.Err() == nil && r.state.CompareAndSwap(queued, started)
}

// Answer gives the caller its result; the committer calls it once per
// request, started or not.
func (r *Request) Answer(err error) { r.result <- err }

// Wait answers the request's result, or ctx.Err() if the ctx ends before
// the committer starts it.
func (r *Request) Wait() error {
	select {
	case err := <-r.result:
		return err
	case <-r.Ctx.Done():
		if r.state.CompareAndSwap(queued, abandoned) {
			return r.Ctx.Err()
		}
		return <-r.result
	}
}
