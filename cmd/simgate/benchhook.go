package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"simgate/core"
	"simgate/rest/callback"
)

// benchHooks are serve's flags for `simgate bench`, never for production:
// with --bench-echo the main listener also serves
//
//	POST|PUT /bench/echo?size=N     reads the whole body, answers N fixed bytes (the ceiling)
//	PUT  /bench/relay               sets up the end-to-end ceiling (relaySetup, once)
//	POST /bench/relay               the end-to-end ceiling: reads the whole body, answers
//	                                ack_bytes naming its messageId, then POSTs a signed MVNX
//	                                notification of notification_bytes for it to the set-up
//	                                URL from a pool of --deliveries-per-partner senders
//	GET  /bench/relay               what the relay sent and failed to send, as JSON
//	GET  /bench/heap                runtime.GC(), then the Go heap as JSON
//	POST /bench/cpuprofile/start    starts a CPU profile of the server
//	POST /bench/cpuprofile/stop     stops it and answers the pprof file
//
// through the same middleware as the partner APIs, so the ceiling costs
// what the HTTP stack and the middleware cost, and nothing else.
type benchHooks struct {
	echo bool
	// The relay's sender is set up as the engine's: serve's
	// --deliveries-per-partner in flight (all the bench's notifications go
	// to one partner), --callback-timeout and --allow-private-callbacks.
	senders         int
	callbackTimeout time.Duration
	allowPrivate    bool
}

func (b *benchHooks) register(fs *flag.FlagSet) {
	fs.BoolVar(&b.echo, "bench-echo", false, "internal, for simgate bench only: serve /bench/echo, /bench/relay, /bench/heap and /bench/cpuprofile")
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
	r := &relay{hooks: b}
	e.PUT("/bench/relay", r.setup)
	e.POST("/bench/relay", r.handle)
	e.GET("/bench/relay", r.counts)
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
// notification through a sender configured like the engine's, with as
// many in flight) and nothing else: no decoding, no store, no fsync.
// The bench sets it up once (PUT) with where to send, the secret and the
// sizes, so that each request carries nothing the real one does not.
type relay struct {
	hooks        benchHooks
	mu           sync.Mutex
	cfg          *relaySetup // nil until set up
	queue        chan *relayItem
	sender       *callback.Sender
	sent, failed atomic.Uint64
	err          string
}

// relaySetup is PUT /bench/relay's body.
type relaySetup struct {
	To                string `json:"to"`                 // the listener's URL
	Secret            string `json:"secret"`             // whsec_ signing secret
	AckBytes          int    `json:"ack_bytes"`          // size of each acknowledgement
	NotificationBytes int    `json:"notification_bytes"` // size of each notification
	Requests          int    `json:"requests"`           // how many will come: the queue's bound
}

type relayItem struct {
	id   string
	body []byte
}

// maxRelayRequests bounds the relay's queue (a pointer per request).
const maxRelayRequests = 5_000_000

// setup starts the relay: the queue and the senders exist from here on,
// so an idle --bench-echo server holds neither.
func (r *relay) setup(c echo.Context) error {
	var in relaySetup
	if err := json.NewDecoder(io.LimitReader(c.Request().Body, 64<<10)).Decode(&in); err != nil {
		return c.String(http.StatusBadRequest, "body: "+err.Error())
	}
	if in.AckBytes < 0 || in.AckBytes > maxEchoSize || in.NotificationBytes < 0 || in.NotificationBytes > maxEchoSize ||
		in.Requests < 1 || in.Requests > maxRelayRequests || in.Secret == "" {
		return c.String(http.StatusBadRequest, "ack_bytes and notification_bytes must be 0 to 1048576, requests 1 to 5000000, secret set")
	}
	if _, err := callback.CheckPartnerURL(in.To, r.hooks.allowPrivate); err != nil {
		return c.String(http.StatusBadRequest, "to: "+err.Error())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cfg != nil {
		return c.String(http.StatusConflict, "the relay is set up already")
	}
	r.cfg = &in
	r.queue = make(chan *relayItem, in.Requests)
	r.sender = callback.New(callback.Options{Timeout: r.hooks.callbackTimeout, AllowPrivate: r.hooks.allowPrivate})
	for range max(r.hooks.senders, 1) {
		go r.send(in, r.queue)
	}
	return c.NoContent(http.StatusNoContent)
}

func (r *relay) send(cfg relaySetup, queue <-chan *relayItem) {
	for it := range queue {
		d := core.Delivery{ID: "relay_" + it.id, URL: cfg.To, ContentType: "application/json", Body: it.body, Accept: core.AcceptMVNXAck}
		res := r.sender.Send(context.Background(), d, cfg.Secret)
		if res.Delivered {
			r.sent.Add(1)
			continue
		}
		r.failed.Add(1)
		msg := fmt.Sprintf("HTTP %d", res.StatusCode)
		if res.Err != nil {
			msg = res.Err.Error()
		}
		r.mu.Lock()
		r.err = msg
		r.mu.Unlock()
	}
}

func (r *relay) counts(c echo.Context) error {
	r.mu.Lock()
	out := benchRelayCounts{Sent: r.sent.Load(), Failed: r.failed.Load(), Error: r.err, Ready: r.cfg != nil, Senders: max(r.hooks.senders, 1)}
	r.mu.Unlock()
	return c.JSON(http.StatusOK, out)
}

// maxRelayID bounds the messageId the relay copies into its answers.
const maxRelayID = 256

func (r *relay) handle(c echo.Context) error {
	r.mu.Lock()
	cfg, queue := r.cfg, r.queue
	r.mu.Unlock()
	if cfg == nil {
		return c.String(http.StatusConflict, "PUT /bench/relay first")
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxEchoSize+1))
	if err != nil || len(body) > maxEchoSize {
		return c.String(http.StatusBadRequest, "cannot read the body, or it exceeds 1048576 bytes")
	}
	id := relayMessageID(body)
	if id == "" {
		return c.String(http.StatusBadRequest, `no "messageId" in the body`)
	}
	note := padded(`{"MessageHeader":{"TrackingMessageHeader":{"responseTo":"`+id+
		`"}},"ActivateSubscriberResellerResponse":{"Subscriber":{"subscriberStatus":"A"}}`, cfg.NotificationBytes)
	select {
	case queue <- &relayItem{id: id, body: note}:
	default:
		return c.String(http.StatusServiceUnavailable, "relay queue full: more requests than set up")
	}
	return c.Blob(http.StatusOK, "application/json", padded(`{"messageId":"`+id+`"`, cfg.AckBytes))
}

// relayMessageID answers the first "messageId" string value of body, ""
// when there is none, or it is longer than maxRelayID, or it holds an
// escape or a control character (it is copied into JSON as it is).
func relayMessageID(body []byte) string {
	key := []byte(`"messageId":"`)
	i := bytes.Index(body, key)
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j <= 0 || j > maxRelayID {
		return ""
	}
	for _, c := range rest[:j] {
		if c < 0x20 || c == '\\' {
			return ""
		}
	}
	return string(rest[:j])
}

// padded closes the JSON object begun in open with a "pad" string member
// that brings it to n bytes (as a real document, the reader has a member
// to skip), or with just "}" when open is too long for one.
func padded(open string, n int) []byte {
	const pre, post = `,"pad":"`, `"}`
	b := make([]byte, 0, max(n, len(open)+len(post)))
	b = append(b, open...)
	if fill := n - len(open) - len(pre) - len(post); fill >= 0 {
		b = append(b, pre...)
		b = append(b, echoBytes[:fill]...)
		return append(b, post...)
	}
	return append(b, '}')
}

// benchRelayCounts is GET /bench/relay's answer.
type benchRelayCounts struct {
	Sent    uint64 `json:"sent"`
	Failed  uint64 `json:"failed"`
	Error   string `json:"last_error,omitempty"`
	Ready   bool   `json:"ready"`   // set up
	Senders int    `json:"senders"` // notifications in flight at most
}
