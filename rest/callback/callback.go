// Package callback delivers the outbox's notifications to partners: one
// signed HTTP POST per attempt (Standard Webhooks), the answer classified
// for the core's dispatcher, and the retry schedule it follows.
package callback

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"simgate/core"
)

// Options configure a Sender; the zero value is a production sender.
type Options struct {
	Timeout          time.Duration // per attempt, connect to last body byte; default 15s
	AllowPrivate     bool          // allow internal destinations (tests, the sandbox)
	UserAgent        string        // default DefaultUserAgent
	MaxResponseBytes int64         // response body read per attempt; default 64 KiB
}

// Defaults for the zero Options.
const (
	DefaultTimeout          = 15 * time.Second
	DefaultUserAgent        = "simgate-webhooks/1"
	DefaultMaxResponseBytes = 64 << 10
	maxRetryAfter           = 24 * time.Hour
)

// Sender is a core.Sender. It is safe for concurrent use and meant to be
// shared: its connection pool serves every partner.
type Sender struct {
	client       *http.Client
	timeout      time.Duration
	ua           string
	maxBody      int64
	allowPrivate bool
}

var _ core.Sender = (*Sender)(nil)

// New builds a Sender.
func New(opts Options) *Sender {
	s := &Sender{timeout: opts.Timeout, ua: opts.UserAgent, maxBody: opts.MaxResponseBytes, allowPrivate: opts.AllowPrivate}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.ua == "" {
		s.ua = DefaultUserAgent
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxResponseBytes
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		d.Control = dialControl
	}
	s.client = &http.Client{
		Transport: &http.Transport{
			// No proxy, not even from the environment: a proxy would dial
			// on our behalf and bypass the destination check.
			Proxy:       nil,
			DialContext: d.DialContext,
			// Many partners, each notified in bursts: keep as many warm
			// connections per host as the engine has deliveries in flight
			// to one partner (serve --deliveries-per-partner), bounded
			// overall. Fewer would close and redial connections at every
			// burst, which costs both ends a handshake per notification.
			MaxIdleConns:          512,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
			ForceAttemptHTTP2:     true,
			// We read at most a few KiB; compression saves nothing and
			// would let a small response expand.
			DisableCompression: true,
			// Partner-controlled headers are small; do not buffer 1 MiB.
			MaxResponseHeaderBytes: 64 << 10,
		},
		// A redirect is a failed attempt: following it would re-send a
		// signed body to a place the partner did not register, and could
		// lead past the destination policy's intent.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// CloseIdleConnections releases pooled connections (at shutdown).
func (s *Sender) CloseIdleConnections() { s.client.CloseIdleConnections() }

// Send performs one delivery attempt. secret signs it (see Sign).
func (s *Sender) Send(ctx context.Context, d core.Delivery, secret string) (r core.SendResult) {
	// Faults in the delivery itself cannot heal by retrying; they go to
	// the dead-letter state for an operator to fix and replay.
	u, err := parseURL(d.URL, s.allowPrivate)
	if err != nil {
		return core.SendResult{Permanent: true, Err: err}
	}
	key, err := signingKey(secret)
	if err != nil {
		return core.SendResult{Permanent: true, Err: err}
	}
	if d.Accept != "" && d.Accept != core.Accept2xx && d.Accept != core.AcceptMVNXAck {
		return core.SendResult{Permanent: true, Err: fmt.Errorf("callback: unknown acceptance %q", d.Accept)}
	}

	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(d.Body))
	if err != nil {
		return core.SendResult{Permanent: true, Err: err}
	}
	ct := d.ContentType
	if ct == "" {
		ct = "application/json"
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	// The header keys in their canonical form (what Header.Set would
	// store) and the values in one backing array: Set would canonicalise
	// the webhook-* names and allocate a slice per header on every send.
	vals := [...]string{ct, s.ua, d.ID, ts, signature(key, d.ID, ts, d.Body)}
	req.Header[canonContentType] = vals[0:1:1]
	req.Header[canonUserAgent] = vals[1:2:2]
	req.Header[canonID] = vals[2:3:3]
	req.Header[canonTimestamp] = vals[3:4:4]
	req.Header[canonSignature] = vals[4:5:5]

	resp, err := s.client.Do(req)
	if err != nil {
		r.Permanent = errors.Is(err, ErrForbiddenDestination)
		if errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil {
			err = fmt.Errorf("callback: no answer within %s: %w", s.timeout, err)
		}
		r.Err = err
		return r
	}
	// Drain what is left (bounded) so the connection goes back to the
	// pool; a partner sending more than that loses its connection instead.
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, s.maxBody))
		_ = resp.Body.Close()
	}()

	r.StatusCode = resp.StatusCode
	r.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, s.maxBody+1))
	tooBig := int64(len(body)) > s.maxBody
	if tooBig {
		body = body[:s.maxBody]
	}

	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		if d.Accept != core.AcceptMVNXAck {
			r.Delivered = true // the status is the answer; the body does not matter
			return r
		}
		switch {
		case readErr != nil:
			r.Err = fmt.Errorf("callback: HTTP %d, reading acknowledgement: %w", code, readErr)
		case tooBig:
			r.Err = fmt.Errorf("callback: HTTP %d, acknowledgement exceeds %d bytes", code, s.maxBody)
		default:
			r.Err = mvnxAck(body)
			r.Delivered = r.Err == nil
			if r.Err != nil {
				r.Err = fmt.Errorf("callback: HTTP %d, %w: %s", code, r.Err, snippet(body))
			}
		}
	case code >= 300 && code < 400:
		r.Err = fmt.Errorf("callback: HTTP %d redirect to %q not followed", code, snippet([]byte(resp.Header.Get("Location"))))
	case code == http.StatusGone:
		// The partner retired the endpoint: the one answer that says
		// "never again" explicitly.
		r.Permanent = true
		r.Err = fmt.Errorf("callback: HTTP 410 Gone: %s", snippet(body))
	default:
		// 408, 429 and 5xx are transient by definition. Other 4xx are
		// retried too: they are nearly always a partner misconfiguration
		// (auth, routing, a strict validator) that the partner fixes on
		// their side, and the schedule ends in the dead-letter state
		// anyway, where an operator can replay.
		r.Err = fmt.Errorf("callback: HTTP %d: %s", code, snippet(body))
	}
	return r
}

// mvnxAck accepts {"RequestAcknowledgement":{"Response":{"code":"0"}}},
// either at the top level (next to a MessageHeader) or one level down
// inside a wrapping object.
func mvnxAck(body []byte) error {
	type ack struct {
		RequestAcknowledgement *struct {
			Response *struct {
				Code json.RawMessage `json:"code"`
			} `json:"Response"`
		} `json:"RequestAcknowledgement"`
	}
	var top ack
	if err := json.Unmarshal(body, &top); err != nil {
		return errors.New("acknowledgement is not JSON")
	}
	if top.RequestAcknowledgement == nil {
		var wrap map[string]json.RawMessage
		_ = json.Unmarshal(body, &wrap)
		for _, v := range wrap {
			var inner ack
			if json.Unmarshal(v, &inner) == nil && inner.RequestAcknowledgement != nil {
				top = inner
				break
			}
		}
	}
	if top.RequestAcknowledgement == nil || top.RequestAcknowledgement.Response == nil {
		return errors.New("no RequestAcknowledgement.Response")
	}
	// "0" per the interface; a bare number 0 is the same answer.
	switch c := strings.TrimSpace(string(top.RequestAcknowledgement.Response.Code)); c {
	case `"0"`, `0`:
		return nil
	case "":
		return errors.New("acknowledgement without code")
	default:
		return fmt.Errorf("acknowledgement code %s", c)
	}
}

// parseRetryAfter reads delta-seconds or an HTTP-date, capped at a day so
// a confused partner cannot park a delivery forever.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		d = maxRetryAfter
		if n < uint64(maxRetryAfter/time.Second) {
			d = time.Duration(n) * time.Second
		}
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, maxRetryAfter))
}

// snippet makes a response body fit for an attempt's error field.
func snippet(b []byte) string {
	const n = 200
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
