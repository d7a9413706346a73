package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
	"simgate/core/coretest"
	"simgate/store/storetest"
)

// rlServer is the whole gateway over the sandbox with the given core
// settings and a clock that stands still, so that no bucket refills while
// a test counts: outcomes depend on counts only, never on timing.
func rlServer(t *testing.T, cfg core.Config, serve serveConfig, overrides map[core.PartnerID]core.RateLimit) string {
	t.Helper()
	db := storetest.Sandbox(t)
	require.NoError(t, db.Update(context.Background(), func(tx core.Tx) error {
		for id, rl := range overrides {
			p, ok, err := tx.Partner(id)
			if err != nil || !ok {
				return fmt.Errorf("partner %s: %v", id, err)
			}
			p.RateLimit = &rl
			if err := tx.PutPartner(p); err != nil {
				return err
			}
		}
		return nil
	}))
	svc, err := core.NewService(db, coretest.Clock{T: time.Date(2026, 3, 29, 14, 38, 11, 0, time.UTC)}, &coretest.IDs{}, storetest.Passwords, cfg)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := core.NewEngine(svc, nil, log, core.EngineConfig{}) // not run: acknowledgements only
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(newServer(svc, eng, log, serve, &ready))
	t.Cleanup(srv.Close)
	return srv.URL
}

type rlAnswer struct {
	status     int
	retryAfter string
	body       string
}

func rlDo(t *testing.T, method, url string, headers map[string]string, body string) rlAnswer {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return rlAnswer{}
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return rlAnswer{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return rlAnswer{res.StatusCode, res.Header.Get("Retry-After"), string(b)}
}

func bearer(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

// One partner floods far beyond its bucket while two others, on the same
// API and on another, send at their own pace: the flooder gets exactly its
// burst and 429s with Retry-After for the rest; the others lose nothing.
func TestRateLimitIsolatesPartners(t *testing.T) {
	url := rlServer(t, core.Config{RateLimit: core.RateLimit{RPS: 1, Burst: 50}}, serveConfig{},
		map[core.PartnerID]core.RateLimit{"demo-wholesale": {RPS: 1, Burst: 10}})
	const flood, steady = 300, 40
	spsCallback := url + "/subscriber-provisioning/v5/callback"

	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < flood; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a := rlDo(t, http.MethodGet, spsCallback, bearer("demo-wholesale-key"), "")
			switch {
			case a.status == http.StatusOK:
				ok.Add(1)
			case a.status == http.StatusTooManyRequests && a.retryAfter == "1" &&
				strings.TrimSpace(a.body) == `{"status":"Failure","errors":[{"code":"RATE_LIMITED","message":"Too many requests, retry later"}]}`:
				limited.Add(1)
			default:
				other.Add(1)
				t.Errorf("flooder: %d Retry-After %q %s", a.status, a.retryAfter, a.body)
			}
		}()
	}

	var steadyOK [2]int
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		for i := 0; i < steady; i++ {
			if a := rlDo(t, http.MethodGet, spsCallback, bearer("other-wholesale-key"), ""); a.status == http.StatusOK {
				steadyOK[0]++
			} else {
				t.Errorf("other-wholesale request %d: %d %s", i, a.status, a.body)
			}
			if a := rlDo(t, http.MethodGet, url+"/api/v2/subscriber/iccid/8997201000000000001", bearer("demo-flolive-key"), ""); a.status == http.StatusOK {
				steadyOK[1]++
			} else {
				t.Errorf("acme request %d: %d %s", i, a.status, a.body)
			}
		}
	}()
	close(start)
	wg.Wait()

	assert.EqualValues(t, 10, ok.Load(), "the flooder gets its burst")
	assert.EqualValues(t, flood-10, limited.Load(), "and 429 with Retry-After for everything else")
	assert.Zero(t, other.Load())
	assert.Equal(t, [2]int{steady, steady}, steadyOK, "the other partners' success rate is 100%")
}

// Each API answers an exhausted budget with 429, Retry-After and its own
// error shape.
func TestRateLimitAnswers(t *testing.T) {
	url := rlServer(t, core.Config{RateLimit: core.RateLimit{RPS: 1, Burst: 1}}, serveConfig{}, nil)
	soapDetail := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi"><soapenv:Body>
<urn:serviceDetail><urn:loginToken>e4d723bfafeaeecc4cc91da481ad2dca896134df44a73ed225a23a5401aeefe1</urn:loginToken><urn:service_id>581407</urn:service_id></urn:serviceDetail></soapenv:Body></soapenv:Envelope>`
	mvnxBody := func(id string) string {
		return `{"MessageHeader":{"TrackingMessageHeader":{"messageId":"` + id + `","returnURL":"http://127.0.0.1:9/cb","dateTimeStamp":"2026-03-29T14:38:11Z"},
"SecurityMessageHeader":{"userName":"demo-reseller","userPassword":"demo-reseller-pass"}},
"ActivateSubscriberResellerRequest":{"MarketServiceInfo":{"billingMarket":{"localMarket":"GAC"}},"SubscriberReseller":[{"Device":{"SIM":"89014104178003620001"},"PricePlan":{"singleUserCode":"P8DN"}}]}}`
	}
	for _, tc := range []struct {
		name, method, path string
		headers            map[string]string
		body               func(i int) string
		check              func(t *testing.T, body string)
	}{
		{"soap", http.MethodPost, "/userapi/Services", map[string]string{"Content-Type": "text/xml"}, func(int) string { return soapDetail },
			func(t *testing.T, body string) {
				assert.Contains(t, body, "<faultcode>SOAP-ENV:Client</faultcode><faultstring>Too many requests, retry later</faultstring>")
				assert.Contains(t, body, "<ns1:reason>RATE_LIMITED</ns1:reason>")
			}},
		{"mvnx", http.MethodPost, "/ActivateSubscriberReseller", map[string]string{"Content-Type": "application/json"}, func(i int) string { return mvnxBody(fmt.Sprint("m", i)) },
			func(t *testing.T, body string) {
				var ack struct {
					RequestAcknowledgement struct {
						Response struct{ Code, Description string }
					}
				}
				require.NoError(t, json.Unmarshal([]byte(body), &ack), body)
				assert.Equal(t, "RATE_LIMITED", ack.RequestAcknowledgement.Response.Code)
			}},
		{"sps", http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/T1", bearer("demo-wholesale-key"), func(int) string { return "" },
			func(t *testing.T, body string) {
				assert.JSONEq(t, `{"status":"Failure","errors":[{"code":"RATE_LIMITED","message":"Too many requests, retry later"}]}`, body)
			}},
		{"flolive", http.MethodGet, "/api/v2/subscriber/iccid/8997201000000000001", bearer("demo-flolive-key"), func(int) string { return "" },
			func(t *testing.T, body string) {
				assert.JSONEq(t, `{"errorCode":"RATE_1001","errorMessage":"Too many requests, retry later","content":"","pageable":null}`, body)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := rlDo(t, tc.method, url+tc.path, tc.headers, tc.body(0))
			require.NotEqual(t, http.StatusTooManyRequests, first.status, first.body)
			a := rlDo(t, tc.method, url+tc.path, tc.headers, tc.body(1))
			require.Equal(t, http.StatusTooManyRequests, a.status, a.body)
			assert.Equal(t, "1", a.retryAfter)
			tc.check(t, a.body)
		})
	}
}

// Login failures count per client address: the TCP peer, or with
// --trust-proxy the address a local proxy put in X-Forwarded-For.
func TestLoginThrottleClientAddress(t *testing.T) {
	login := func(user string) string {
		return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi"><soapenv:Body>
<urn:login><urn:username>` + user + `</urn:username><urn:password>guess</urn:password></urn:login></soapenv:Body></soapenv:Envelope>`
	}
	via := func(ip string) map[string]string {
		return map[string]string{"Content-Type": "text/xml", "X-Forwarded-For": ip}
	}
	for _, trust := range []bool{false, true} {
		t.Run(fmt.Sprint("trust-proxy=", trust), func(t *testing.T) {
			url := rlServer(t, core.Config{}, serveConfig{trustProxy: trust}, nil)
			for i := 0; i < 20; i++ {
				a := rlDo(t, http.MethodPost, url+"/userapi/Authentication", via("203.0.113.5"), login(fmt.Sprint("nobody-", i)))
				require.Equal(t, http.StatusInternalServerError, a.status, a.body)
			}
			a := rlDo(t, http.MethodPost, url+"/userapi/Authentication", via("203.0.113.5"), login("nobody-else"))
			require.Equal(t, http.StatusTooManyRequests, a.status, "the address is throttled")
			a = rlDo(t, http.MethodPost, url+"/userapi/Authentication", via("203.0.113.6"), login("nobody-else"))
			if trust {
				assert.Equal(t, http.StatusInternalServerError, a.status, "behind a trusted proxy, another client is another address")
			} else {
				assert.Equal(t, http.StatusTooManyRequests, a.status, "X-Forwarded-For is not believed without --trust-proxy")
			}
		})
	}
}

func TestRateLimitFlags(t *testing.T) {
	cfg, err := serveFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 200.0, cfg.rateLimit)
	assert.Equal(t, 400, cfg.rateBurst)
	assert.False(t, cfg.trustProxy)

	cfg, err = serveFlags([]string{"--rate-limit", "0.5", "--rate-burst", "0", "--trust-proxy"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 0.5, cfg.rateLimit)
	assert.Equal(t, 0, cfg.rateBurst)
	assert.True(t, cfg.trustProxy)

	for _, args := range [][]string{{"--rate-limit", "-1"}, {"--rate-burst", "-1"}, {"--rate-limit", "NaN"}, {"--rate-limit", "+Inf"}} {
		_, err := serveFlags(args, io.Discard)
		assert.Error(t, err, "%v", args)
	}
}

func TestSessionRetentionFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 30 * 24 * time.Hour},
		{[]string{"--demo"}, 0}, // the sandbox's expired sample token stays
		{[]string{"--demo", "--session-retention", "48h"}, 48 * time.Hour},
		{[]string{"--session-retention", "keep"}, 0},
	} {
		cfg, err := serveFlags(c.args, io.Discard)
		require.NoError(t, err, "%v", c.args)
		got, err := cfg.retention()
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%v", c.args)
	}
	for _, bad := range []string{"0", "-1h", "forever", ""} {
		_, err := serveFlags([]string{"--session-retention", bad}, io.Discard)
		assert.ErrorContains(t, err, "--session-retention", bad)
	}
}
