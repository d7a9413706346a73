package core

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Functions run one after another reuse the goroutine that ran the last
// one; functions run at once each get a goroutine; a goroutine left idle
// for the idle time exits.
func TestReuse(t *testing.T) {
	r := newReuse(time.Second)

	// One after another: one goroutine serves them all.
	ids := map[uint64]bool{}
	for range 50 {
		got := make(chan uint64)
		r.Go(func() { got <- goid() })
		ids[<-got] = true
		// Wait until the goroutine waits for the next.
		require.Eventually(t, func() bool { return r.waiting.Load() == 1 }, time.Second, 100*time.Microsecond)
	}
	// One, or two: waiting counts a goroutine just before it parks, so a
	// Go at that instant may start a second. A new goroutine per function
	// would show 50.
	assert.LessOrEqual(t, len(ids), 2, "one goroutine ran the 50 functions one after another")

	// At once: each its own goroutine, and Go never blocks on a busy one.
	var wg sync.WaitGroup
	hold := make(chan struct{})
	var running atomic.Int32
	for range 8 {
		wg.Add(1)
		r.Go(func() { defer wg.Done(); running.Add(1); <-hold })
	}
	require.Eventually(t, func() bool { return running.Load() == 8 }, time.Second, time.Millisecond)
	assert.GreaterOrEqual(t, r.live.Load(), int32(8), "a goroutine for each function running at once")
	close(hold)
	wg.Wait()

	// Idle past the idle time: every goroutine has exited.
	require.Eventually(t, func() bool { return r.live.Load() == 0 }, 5*time.Second, 10*time.Millisecond)
	assert.Zero(t, r.waiting.Load())
}

// goid answers the calling goroutine's id, read from its stack trace.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	var id uint64
	for _, c := range b[len("goroutine "):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// BenchmarkReuse compares a new goroutine per function with reuse when
// each function needs a deep stack, as a delivery attempt does.
func BenchmarkReuse(b *testing.B) {
	deep := func() { grow(64) }
	b.Run("go", func(b *testing.B) {
		var wg sync.WaitGroup
		for range b.N {
			wg.Add(1)
			go func() { defer wg.Done(); deep() }()
			wg.Wait()
		}
	})
	b.Run("reuse", func(b *testing.B) {
		r := newReuse(time.Second)
		var wg sync.WaitGroup
		for range b.N {
			wg.Add(1)
			r.Go(func() { defer wg.Done(); deep() })
			wg.Wait()
		}
	})
}

// grow uses about n*256 bytes of stack.
//
//go:noinline
func grow(n int) byte {
	var pad [256]byte
	pad[n%256] = byte(n)
	if n == 0 {
		return pad[0]
	}
	return grow(n-1) + pad[n%256]
}
