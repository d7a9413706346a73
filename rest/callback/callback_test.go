package callback_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/callback"
)

// secret is a Standard Webhooks secret; its key is "simgate-test-key-0123456789abcdef".
var (
	rawKey = []byte("simgate-test-key-0123456789abcdef")
	secret = "whsec_" + base64.StdEncoding.EncodeToString(rawKey)
)

func delivery(url string) core.Delivery {
	return core.Delivery{ID: "msg_2KWPBgLlAfxdpx2AI54pPJ85f1W", Partner: "p1", TxID: "tx1",
		Event: "tx.finished", URL: url, Body: []byte(`{"ok":true}`), Accept: core.Accept2xx}
}

// captured is what a test server saw.
type captured struct {
	mu   sync.Mutex
	hdrs []http.Header
	body [][]byte
}

func (c *captured) add(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hdrs = append(c.hdrs, r.Header.Clone())
	c.body = append(c.body, b)
}

func (c *captured) n() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.hdrs) }

func server(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *captured) {
	t.Helper()
	c := &captured{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.add(r)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, c
}

func status(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

var local = callback.New(callback.Options{AllowPrivate: true, Timeout: 2 * time.Second})

func TestSignedDelivery(t *testing.T) {
	srv, got := server(t, status(204, ""))
	d := delivery(srv.URL + "/hook")
	d.ContentType = "application/vnd.partner+json"

	before := time.Now().Unix()
	for range 2 { // a retry carries the same webhook-id
		r := local.Send(context.Background(), d, secret)
		require.NoError(t, r.Err)
		assert.True(t, r.Delivered)
		assert.Equal(t, 204, r.StatusCode)
	}
	require.Equal(t, 2, got.n())
	for i, h := range got.hdrs {
		assert.Equal(t, d.ID, h.Get("webhook-id"), "stable id")
		assert.Equal(t, "application/vnd.partner+json", h.Get("Content-Type"))
		assert.Equal(t, callback.DefaultUserAgent, h.Get("User-Agent"))
		assert.Equal(t, string(d.Body), string(got.body[i]))
		require.NoError(t, callback.Verify(secret, h, got.body[i], time.Minute, time.Now()))

		// Independent computation of the Standard Webhooks signature.
		ts := h.Get("webhook-timestamp")
		assert.GreaterOrEqual(t, ts, fmt.Sprint(before))
		m := hmac.New(sha256.New, rawKey)
		m.Write([]byte(d.ID + "." + ts + "." + string(d.Body)))
		assert.Equal(t, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)), h.Get("webhook-signature"))
	}
}

func TestDefaultHeadersAndRawSecret(t *testing.T) {
	srv, got := server(t, status(200, ""))
	s := callback.New(callback.Options{AllowPrivate: true, UserAgent: "ua/9"})
	r := s.Send(context.Background(), delivery(srv.URL), "plain-secret")
	require.True(t, r.Delivered, r.Err)
	h := got.hdrs[0]
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Equal(t, "ua/9", h.Get("User-Agent"))
	require.NoError(t, callback.Verify("plain-secret", h, got.body[0], 0, time.Now()))
	assert.ErrorIs(t, callback.Verify(secret, h, got.body[0], 0, time.Now()), callback.ErrSignature)
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"a":1}`)
	hdr := func(ts int64, sig string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", "id1")
		h.Set("webhook-timestamp", fmt.Sprint(ts))
		h.Set("webhook-signature", sig)
		return h
	}
	good := callback.Sign(secret, "id1", now.Unix(), body)
	assert.NoError(t, callback.Verify(secret, hdr(now.Unix(), good), body, time.Minute, now))
	// Several signatures during key rotation: one match suffices.
	assert.NoError(t, callback.Verify(secret, hdr(now.Unix(), "v1,AAAA v2,x "+good), body, time.Minute, now))
	assert.ErrorIs(t, callback.Verify(secret, hdr(now.Unix(), good), []byte(`{"a":2}`), time.Minute, now), callback.ErrSignature)
	assert.ErrorIs(t, callback.Verify(secret, hdr(now.Unix(), good), body, time.Minute, now.Add(2*time.Minute)), callback.ErrTimestamp)
	assert.ErrorIs(t, callback.Verify(secret, hdr(now.Unix(), good), body, time.Minute, now.Add(-2*time.Minute)), callback.ErrTimestamp)
	assert.ErrorIs(t, callback.Verify(secret, http.Header{}, body, time.Minute, now), callback.ErrMissingHeaders)
	assert.ErrorIs(t, callback.Verify("whsec_!!!", hdr(now.Unix(), good), body, time.Minute, now), callback.ErrSecret)
}

func TestInvalidSecretIsPermanent(t *testing.T) {
	srv, got := server(t, status(200, ""))
	r := local.Send(context.Background(), delivery(srv.URL), "whsec_not base64!")
	assert.True(t, r.Permanent)
	assert.ErrorIs(t, r.Err, callback.ErrSecret)
	assert.Zero(t, got.n())
}

func TestRedirectNotFollowed(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) })
	mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { followed.Add(1) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	r := local.Send(context.Background(), delivery(srv.URL+"/hook"), secret)
	assert.False(t, r.Delivered)
	assert.False(t, r.Permanent)
	assert.Equal(t, http.StatusFound, r.StatusCode)
	assert.ErrorContains(t, r.Err, "redirect")
	assert.Zero(t, followed.Load())
}

func TestStatusClassification(t *testing.T) {
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{410, true}, {500, false}, {503, false}, {408, false}, {400, false}, {401, false}, {404, false}} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			srv, _ := server(t, status(tc.code, "  nope\n  not here "))
			r := local.Send(context.Background(), delivery(srv.URL), secret)
			assert.False(t, r.Delivered)
			assert.Equal(t, tc.permanent, r.Permanent)
			assert.Equal(t, tc.code, r.StatusCode)
			assert.ErrorContains(t, r.Err, fmt.Sprint(tc.code))
			assert.ErrorContains(t, r.Err, "nope not here")
		})
	}
}

func TestRetryAfter(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		code     int
		value    string
		min, max time.Duration
	}{
		{429, "120", 120 * time.Second, 120 * time.Second},
		{429, date, 85 * time.Second, 91 * time.Second},
		{503, "7", 7 * time.Second, 7 * time.Second},
		{503, "99999999999", 24 * time.Hour, 24 * time.Hour}, // capped
		{429, "Wed, 21 Oct 2015 07:28:00 GMT", 0, 0},         // in the past
		{429, "soon", 0, 0},
		{500, "3", 3 * time.Second, 3 * time.Second},
	} {
		t.Run(tc.value, func(t *testing.T) {
			srv, _ := server(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", tc.value)
				w.WriteHeader(tc.code)
			})
			r := local.Send(context.Background(), delivery(srv.URL), secret)
			assert.False(t, r.Delivered)
			assert.False(t, r.Permanent)
			assert.Equal(t, tc.code, r.StatusCode)
			assert.GreaterOrEqual(t, r.RetryAfter, tc.min)
			assert.LessOrEqual(t, r.RetryAfter, tc.max)
		})
	}
}

func TestTimeoutRetries(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	s := callback.New(callback.Options{AllowPrivate: true, Timeout: 100 * time.Millisecond})
	start := time.Now()
	r := s.Send(context.Background(), delivery(srv.URL), secret)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.False(t, r.Delivered)
	assert.False(t, r.Permanent)
	assert.Zero(t, r.StatusCode)
	assert.ErrorContains(t, r.Err, "no answer within 100ms")
}

func TestNetworkErrorRetries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	r := local.Send(context.Background(), delivery("http://"+addr), secret)
	assert.False(t, r.Delivered)
	assert.False(t, r.Permanent)
	assert.Zero(t, r.StatusCode)
	assert.Error(t, r.Err)
}

func TestMVNXAcknowledgement(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"code 0", `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`, true},
		{"with header", `{"MessageHeader":{"uniqueTransactionId":"t1"},"RequestAcknowledgement":{"Response":{"code":"0"}}}`, true},
		{"wrapped", `{"NotificationResponse":{"MessageHeader":{},"RequestAcknowledgement":{"Response":{"code":"0"}}}}`, true},
		{"code 1", `{"RequestAcknowledgement":{"Response":{"code":"1","description":"Failure"}}}`, false},
		{"no code", `{"RequestAcknowledgement":{"Response":{}}}`, false},
		{"other json", `{"status":"ok"}`, false},
		{"not json", `OK`, false},
		{"empty", ``, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := server(t, status(200, tc.body))
			d := delivery(srv.URL)
			d.Accept = core.AcceptMVNXAck
			r := local.Send(context.Background(), d, secret)
			assert.Equal(t, tc.ok, r.Delivered, r.Err)
			assert.False(t, r.Permanent)
			assert.Equal(t, 200, r.StatusCode)
			if !tc.ok {
				assert.Error(t, r.Err)
			}
		})
	}
	// A non-2xx status is not an acknowledgement, whatever the body says.
	srv, _ := server(t, status(500, `{"RequestAcknowledgement":{"Response":{"code":"0"}}}`))
	d := delivery(srv.URL)
	d.Accept = core.AcceptMVNXAck
	assert.False(t, local.Send(context.Background(), d, secret).Delivered)
}

func TestResponseSizeCap(t *testing.T) {
	s := callback.New(callback.Options{AllowPrivate: true, MaxResponseBytes: 100})
	ack := `{"RequestAcknowledgement":{"Response":{"code":"0"}}}`

	srv, _ := server(t, status(200, ack+strings.Repeat(" ", 200)))
	d := delivery(srv.URL)
	d.Accept = core.AcceptMVNXAck
	r := s.Send(context.Background(), d, secret)
	assert.False(t, r.Delivered)
	assert.ErrorContains(t, r.Err, "exceeds 100 bytes")

	// A plain 2xx does not care about a huge body, and does not read it all.
	big, _ := server(t, func(w http.ResponseWriter, _ *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 1024 { // 64 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	start := time.Now()
	r = s.Send(context.Background(), delivery(big.URL), secret)
	assert.True(t, r.Delivered, r.Err)
	assert.Less(t, time.Since(start), 2*time.Second)

	// An error body is cut to a readable snippet.
	long, _ := server(t, status(500, strings.Repeat("é", 1000)))
	r = s.Send(context.Background(), delivery(long.URL), secret)
	assert.Less(t, len(r.Err.Error()), 300)
}

// countingServer serves h and counts the connections clients open to it.
func countingServer(t testing.TB, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestConnectionsReused(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(500)
		_, _ = io.WriteString(w, strings.Repeat("e", 1000))
	})
	s := callback.New(callback.Options{AllowPrivate: true})
	for range 5 {
		require.Equal(t, 500, s.Send(context.Background(), delivery(srv.URL), secret).StatusCode)
	}
	assert.Equal(t, int64(1), conns.Load())
}

func TestDestinationPolicy(t *testing.T) {
	srv, got := server(t, status(200, ""))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	strict := callback.New(callback.Options{Timeout: 2 * time.Second})

	// "localhost" passes any URL check; it is refused when dialled.
	require.NoError(t, callback.ValidateURL("http://localhost:"+port, false))
	for _, u := range []string{
		"http://localhost:" + port + "/hook",
		"http://127.0.0.1:" + port + "/hook",
		srv.URL,
	} {
		r := strict.Send(context.Background(), delivery(u), secret)
		assert.True(t, r.Permanent, u)
		assert.False(t, r.Delivered, u)
		assert.ErrorIs(t, r.Err, callback.ErrForbiddenDestination, u)
		assert.ErrorContains(t, r.Err, "loopback", u)
	}
	assert.Zero(t, got.n(), "no request reached the server")

	// The hook the dialer runs on every resolved address, whatever name
	// led there (DNS rebinding included).
	for _, a := range []string{"169.254.169.254:80", "10.0.0.1:443", "172.31.255.255:80", "192.168.0.10:80",
		"[fd12::1]:443", "[fe80::1]:80", "[::1]:80", "127.0.0.1:80", "0.0.0.0:80", "100.64.1.1:80",
		"224.0.0.251:80", "[::ffff:10.0.0.1]:80", "garbage"} {
		assert.ErrorIs(t, callback.DialControl("tcp", a, nil), callback.ErrForbiddenDestination, a)
	}
	assert.NoError(t, callback.DialControl("tcp", "93.184.216.34:443", nil))
	assert.NoError(t, callback.DialControl("tcp6", "[2606:2800:220:1::1]:443", nil))

	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:169.254.169.254]/",
		"http://[64:ff9b::a9fe:a9fe]/",
		"http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1:8443/",
		"http://[fd00::1]/", "http://[fe80::1%25eth0]/", "http://169.254.1.1/",
		"http://[::1]/", "http://127.9.9.9/", "http://0.0.0.0/", "http://[::]/",
		"http://224.0.0.1/", "http://[ff02::1]/", "http://100.64.0.1/", "http://100.127.255.254/",
		"ftp://partner.example/", "file:///etc/passwd", "gopher://x/", "http:///nohost", "::bad",
	} {
		r := strict.Send(context.Background(), delivery(u), secret)
		assert.True(t, r.Permanent, u)
		assert.ErrorIs(t, r.Err, callback.ErrForbiddenDestination, u)
		assert.ErrorIs(t, callback.ValidateURL(u, false), callback.ErrForbiddenDestination, u)
	}
	for _, u := range []string{"https://8.8.8.8/", "http://100.128.0.1/", "https://[2001:4860::8888]/", "HTTPS://partner.example/cb"} {
		assert.NoError(t, callback.ValidateURL(u, false), u)
	}
	assert.NoError(t, callback.ValidateURL("http://10.1.2.3/", true))
	assert.Error(t, callback.ValidateURL("ftp://10.1.2.3/", true))
}

func TestUnknownAcceptanceIsPermanent(t *testing.T) {
	srv, got := server(t, status(200, ""))
	d := delivery(srv.URL)
	d.Accept = "maybe"
	r := local.Send(context.Background(), d, secret)
	assert.True(t, r.Permanent)
	assert.Zero(t, got.n())
}

// A URL a partner registers: first its form, then where it points; a front
// end tells the two apart in its answer.
func TestCheckPartnerURL(t *testing.T) {
	for _, u := range []string{"", "hook", "/hook", "ftp://partner.example/", "http:///x", "https://user:pw@partner.example/", "http://partner.example/" + strings.Repeat("x", callback.MaxURL)} {
		_, err := callback.CheckPartnerURL(u, true)
		assert.ErrorIs(t, err, callback.ErrURLForm, u)
	}
	_, err := callback.CheckPartnerURL("http://127.0.0.1:9999/hook", false)
	assert.ErrorIs(t, err, callback.ErrForbiddenDestination)
	assert.NotErrorIs(t, err, callback.ErrURLForm)
	u, err := callback.CheckPartnerURL("http://127.0.0.1:9999/hook?x=1", true)
	require.NoError(t, err)
	assert.Equal(t, "x=1", u.RawQuery, "the front end sees the URL for its own rules")
	_, err = callback.CheckPartnerURL("https://partner.example/cb", false)
	assert.NoError(t, err)
}
