package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/rest/callback"
)

// benchHooks are serve's flags for `simgate bench`, never for production:
// with --bench-echo the main listener also serves
//
//	POST|PUT /bench/echo?size=N     reads the whole body, answers N fixed bytes (the ceiling)
//	POST /bench/relay?size=N&cbsize=M&to=URL&secret=S
//	                                the end-to-end ceiling: reads the whole body, answers N
//	                                bytes naming its messageId, then POSTs an M-byte MVNX
//	                                notification for it to URL, signed with S, from a pool
//	                                of --deliveries-per-partner senders
//	GET  /bench/relay               what the relay sent and failed to send, as JSON
//	GET  /bench/heap                runtime.GC(), then the Go heap as JSON
//	POST /bench/cpuprofile/start    starts a CPU profile of the server
//	POST /bench/cpuprofile/stop     stops it and answers the pprof file
//
// through the same middleware as the partner APIs, so the ceiling costs
// what the HTTP stack and the middleware cost, and nothing else.
type benchHooks struct {
	echo bool
	// senders is the relay's pool size (serve's --deliveries-per-partner:
	// the real notifications to one partner have as many in flight).
	senders int
}

func (b *benchHooks) register(fs *flag.FlagSet) {
	fs.BoolVar(&b.echo, "bench-echo", false, "internal, for simgate bench only: serve /bench/echo, /bench/heap and /bench/cpuprofile")
}

// maxEchoSize bounds /bench/echo's answer.
const maxEchoSize = 1 << 20

var echoBytes = bytes.Repeat([]byte{'x'}, maxEchoSize)

func (b benchHooks) mount(e *echo.Echo) {
	if !b.echo {
		return
	}
	echoHandler := func(c echo.Context) error {
		n, err := strconv.Atoi(c.QueryParam("size"))
		if err != nil || n < 0 || n > maxEchoSize {
			return c.String(http.StatusBadRequest, "size must be 0 to 1048576")
		}
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return c.String(http.StatusBadRequest, "cannot read the body")
		}
		return c.Blob(http.StatusOK, "application/octet-stream", echoBytes[:n])
	}
	e.POST("/bench/echo", echoHandler)
	e.PUT("/bench/echo", echoHandler)
	r := newRelay(max(b.senders, 1))
	e.POST("/bench/relay", r.handle)
	e.GET("/bench/relay", func(c echo.Context) error {
		return c.JSON(http.StatusOK, benchRelayCounts{Sent: r.sent.Load(), Failed: r.failed.Load(), Error: r.lastError()})
	})
	e.GET("/bench/heap", func(c echo.Context) error {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return c.JSON(http.StatusOK, benchHeap{HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse, HeapSys: m.HeapSys, Sys: m.Sys, NumGC: m.NumGC})
	})
	var mu sync.Mutex
	var prof *bytes.Buffer
	e.POST("/bench/cpuprofile/start", func(c echo.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if prof != nil {
			return c.String(http.StatusConflict, "a profile is running")
		}
		buf := &bytes.Buffer{}
		if err := pprof.StartCPUProfile(buf); err != nil {
			return c.String(http.StatusConflict, err.Error())
		}
		prof = buf
		return c.NoContent(http.StatusNoContent)
	})
	e.POST("/bench/cpuprofile/stop", func(c echo.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if prof == nil {
			return c.String(http.StatusConflict, "no profile is running")
		}
		pprof.StopCPUProfile()
		buf := prof
		prof = nil
		return c.Blob(http.StatusOK, "application/octet-stream", buf.Bytes())
	})
}

// benchHeap is /bench/heap's answer.
type benchHeap struct {
	HeapAlloc uint64 `json:"heap_alloc"`
	HeapInuse uint64 `json:"heap_inuse"`
	HeapSys   uint64 `json:"heap_sys"`
	Sys       uint64 `json:"sys"`
	NumGC     uint32 `json:"num_gc"`
}

// relay is the end-to-end ceiling: per request, the protocol work of an
// MVNX activation (read the request, acknowledge it, POST a signed
// notification through the same sender and connection pool as the
// engine's) and nothing else: no decoding, no store, no fsync.
type relay struct {
	sender       *callback.Sender
	queue        chan *relayItem // pointers: the buffer stays small while idle
	sent, failed atomic.Uint64
	mu           sync.Mutex
	err          string
}

type relayItem struct {
	d      core.Delivery
	secret string
}

// relayQueue bounds the notifications waiting for a sender; past it the
// relay answers 503 (the bench counts it as an error).
const relayQueue = 1 << 16

func newRelay(senders int) *relay {
	r := &relay{
		sender: callback.New(callback.Options{AllowPrivate: true}),
		queue:  make(chan *relayItem, relayQueue),
	}
	for range senders {
		go func() {
			for it := range r.queue {
				res := r.sender.Send(context.Background(), it.d, it.secret)
				if res.Delivered {
					r.sent.Add(1)
					continue
				}
				r.failed.Add(1)
				r.mu.Lock()
				r.err = fmt.Sprintf("HTTP %d: %v", res.StatusCode, res.Err)
				r.mu.Unlock()
			}
		}()
	}
	return r
}

func (r *relay) lastError() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// maxRelayID bounds the messageId the relay copies into its answers.
const maxRelayID = 256

func (r *relay) handle(c echo.Context) error {
	q := c.QueryParams()
	size, err1 := strconv.Atoi(q.Get("size"))
	cbsize, err2 := strconv.Atoi(q.Get("cbsize"))
	if err1 != nil || err2 != nil || size < 0 || size > maxEchoSize || cbsize < 0 || cbsize > maxEchoSize {
		return c.String(http.StatusBadRequest, "size and cbsize must be 0 to 1048576")
	}
	if q.Get("to") == "" || q.Get("secret") == "" {
		return c.String(http.StatusBadRequest, "to and secret are required")
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxEchoSize+1))
	if err != nil || len(body) > maxEchoSize {
		return c.String(http.StatusBadRequest, "cannot read the body, or it exceeds 1048576 bytes")
	}
	id := relayMessageID(body)
	if id == "" {
		return c.String(http.StatusBadRequest, `no "messageId" in the body`)
	}
	note := padTo([]byte(`{"MessageHeader":{"TrackingMessageHeader":{"responseTo":"`+id+
		`"}},"ActivateSubscriberResellerResponse":{"Subscriber":{"subscriberStatus":"A"}}}`), cbsize)
	select {
	case r.queue <- &relayItem{d: core.Delivery{ID: "relay_" + id, URL: q.Get("to"), ContentType: "application/json",
		Body: note, Accept: core.AcceptMVNXAck}, secret: q.Get("secret")}:
	default:
		return c.String(http.StatusServiceUnavailable, "relay queue full")
	}
	return c.Blob(http.StatusOK, "application/json", padTo([]byte(`{"messageId":"`+id+`"}`), size))
}

// relayMessageID answers the first "messageId" string value of body, ""
// when there is none or it is longer than maxRelayID or holds an escape.
func relayMessageID(body []byte) string {
	key := []byte(`"messageId":"`)
	i := bytes.Index(body, key)
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j <= 0 || j > maxRelayID || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return ""
	}
	return string(rest[:j])
}

// padTo appends spaces (JSON's whitespace) to b up to n bytes.
func padTo(b []byte, n int) []byte {
	if len(b) >= n {
		return b
	}
	return append(b, bytes.Repeat([]byte{' '}, n-len(b))...)
}

// benchRelayCounts is GET /bench/relay's answer.
type benchRelayCounts struct {
	Sent   uint64 `json:"sent"`
	Failed uint64 `json:"failed"`
	Error  string `json:"last_error,omitempty"`
}
