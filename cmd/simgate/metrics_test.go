package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"
)

// metricsSample answers the value of name{labels} in a text exposition
// (labels as name="value" pairs in label-name order), or -1.
func metricsSample(body, name string, labels ...string) float64 {
	series := name
	if len(labels) > 0 {
		series += "{" + strings.Join(labels, ",") + "}"
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

func metricsDo(t *testing.T, method, url string, headers map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

const metricsSOAPLogin = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi">
<soapenv:Body><urn:login><urn:username>demo-rsp</urn:username><urn:password>demo-rsp-pass</urn:password></urn:login></soapenv:Body>
</soapenv:Envelope>`

const metricsSOAPActivate = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi">
<soapenv:Body><urn:ActivateService>
<urn:loginToken>e4d723bfafeaeecc4cc91da481ad2dca896134df44a73ed225a23a5401aeefe1</urn:loginToken>
<urn:SQ_ID>581407</urn:SQ_ID><urn:sim_number>498172577</urn:sim_number>
</urn:ActivateService></soapenv:Body>
</soapenv:Envelope>`

func metricsMVNX(returnURL string) string {
	return `{"MessageHeader":{"TrackingMessageHeader":{"version":"v185","messageId":"metrics-1","returnURL":"` + returnURL + `","dateTimeStamp":"2026-11-25T10:00:00Z"},
"SecurityMessageHeader":{"userName":"demo-reseller","userPassword":"demo-reseller-pass"}},
"ActivateSubscriberResellerRequest":{"MarketServiceInfo":{"billingMarket":{"localMarket":"GAC","billingMarket":"GAC","billingSubMarket":"708"}},
"SubscriberReseller":[{"Device":{"SIM":"89014104178003620042","IMEI":"356938035643809"},"PricePlan":{"singleUserCode":"P8DN"}}]}}`
}

const metricsSPSActivate = `{"partnerTransactionId":"metrics-sps-1","subscriberId":"Sub001","wholesalePlanId":"Plan001","bucketRefId":["1000001"],
"location":{"address":{"addressLine1":"5701 SANTA FE DR","city":"Littleton","state":"CO","zip":"80120"}},
"billCycleFrequency":"MONTHLY","billCycleStartDay":1,"gpsi":"19459986891","gpsiReservationId":"GRID368599719",
"iccid":"11986621644523024501","pei":"2288151828896431"}`

// Requests through every API, then /metrics: each API's series with its
// operation and outcome, the engine's executions and delivery attempts,
// the store's commits, the outbox gauges; a partner that answers 410 makes
// dead letters, and the counter moves.
func TestMetricsEndToEnd(t *testing.T) {
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone) // a permanent refusal: a dead letter at once
	}))
	defer partner.Close()

	db := filepath.Join(t.TempDir(), "simgate.db")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--admin-addr", "", "--db", db, "--demo", "--bcrypt-cost", "4"}, io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		assert.Equal(t, 0, <-done)
	}()
	base := "http://" + addr
	waitHealthy(t, base)
	xml := map[string]string{"Content-Type": "text/xml"}
	jsonH := map[string]string{"Content-Type": "application/json"}
	sps := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer demo-wholesale-key",
		"wholesaleCustomerId": "920000108464", "X-Correlation-Id": "metrics"}
	flo := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer demo-flolive-key"}

	for _, r := range []struct {
		method, path string
		headers      map[string]string
		body         string
		status       int
	}{
		{http.MethodPost, "/userapi/Authentication", xml, metricsSOAPLogin, 200},
		{http.MethodPost, "/userapi/Services", xml, metricsSOAPActivate, 200},
		{http.MethodPost, "/userapi/Services", xml, metricsSOAPActivate, 500}, // already activated: a fault
		{http.MethodPost, "/ActivateSubscriberReseller", jsonH, metricsMVNX(partner.URL + "/mvnx"), 200},
		{http.MethodPut, "/subscriber-provisioning/v5/callback", sps, `{"callbackUrl":"` + partner.URL + `/sps"}`, 200},
		{http.MethodPost, "/subscriber-provisioning/v5/subscription", sps, metricsSPSActivate, 200},
		{http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/no-such-tx", sps, "", 404},
		{http.MethodPut, "/api/v2/subscriber/iccid/8997201000000000001/move", flo, `{"targetCustomerId":"dd64dca6-8e7f-4b85-a42b-13860913bb5a"}`, 200},
		{http.MethodGet, "/api/v2/subscriber/iccid/8997201000000000001", flo, "", 200},
		{http.MethodGet, "/openapi.json", nil, "", 200},
		{http.MethodGet, "/no/such/path", nil, "", 404},
	} {
		status, body := metricsDo(t, r.method, base+r.path, r.headers, r.body)
		require.Equal(t, r.status, status, "%s %s: %s", r.method, r.path, body)
	}

	scrape := func() string {
		status, body := metricsDo(t, http.MethodGet, base+"/metrics", nil, "")
		require.Equal(t, http.StatusOK, status)
		return body
	}
	var body string
	require.Eventually(t, func() bool {
		body = scrape()
		return metricsSample(body, "simgate_delivery_dead_letters_total", `partner="demo-reseller"`) == 1 &&
			metricsSample(body, "simgate_delivery_dead_letters_total", `partner="demo-wholesale"`) == 1 &&
			metricsSample(body, "simgate_transactions_executed_total", `channel="flolive"`, `status="succeeded"`) == 1
	}, 10*time.Second, 20*time.Millisecond, "dead letters and executions:\n%s", body)

	const requests = "simgate_http_requests_total"
	for _, s := range []struct {
		want                 float64
		api, operation, code string
	}{
		{1, "soap", "login", "200"},
		{1, "soap", "ActivateService", "200"},
		{1, "soap", "ActivateService", "500"},
		{1, "mvnx", "POST /ActivateSubscriberReseller", "200"},
		{1, "sps", "PUT /subscriber-provisioning/v5/callback", "200"},
		{1, "sps", "POST /subscriber-provisioning/v5/subscription", "200"},
		{1, "sps", "GET /subscriber-provisioning/v5/subscription/transactions/:partnerTransactionId", "404"},
		{1, "flolive", "PUT /api/v2/subscriber/:type/:value/move", "200"},
		{1, "flolive", "GET /api/v2/subscriber/:type/:value", "200"},
		{1, "ops", "GET /openapi.json", "200"},
		{1, "other", "unmatched", "404"},
	} {
		labels := []string{`api="` + s.api + `"`, `operation="` + s.operation + `"`, `outcome="` + s.code + `"`}
		assert.Equal(t, s.want, metricsSample(body, requests, labels...), "%s%v", requests, labels)
		latency := s.want
		if s.operation == "ActivateService" {
			latency = 2 // one histogram for both outcomes
		}
		assert.Equal(t, latency, metricsSample(body, "simgate_http_request_duration_seconds_bucket", append(labels[:2:2], `le="+Inf"`)...),
			"latency of %v", labels[:2])
	}
	assert.GreaterOrEqual(t, metricsSample(body, requests, `api="ops"`, `operation="GET /healthz"`, `outcome="200"`), 1.0)

	assert.Equal(t, 1.0, metricsSample(body, "simgate_transactions_executed_total", `channel="mvnx"`, `status="succeeded"`))
	assert.Equal(t, 1.0, metricsSample(body, "simgate_transactions_executed_total", `channel="sps"`, `status="succeeded"`))
	assert.Equal(t, 1.0, metricsSample(body, "simgate_delivery_attempts_total", `code="410"`, `outcome="dead"`, `partner="demo-reseller"`))
	assert.Equal(t, 1.0, metricsSample(body, "simgate_delivery_attempts_total", `code="410"`, `outcome="dead"`, `partner="demo-wholesale"`))
	assert.Equal(t, 2.0, metricsSample(body, "simgate_outbox_deliveries", `status="dead"`))
	assert.Equal(t, 0.0, metricsSample(body, "simgate_outbox_deliveries", `status="pending"`))
	commits := metricsSample(body, "simgate_store_commit_batch_size_count")
	assert.Greater(t, commits, 5.0, "the sandbox load, activations, executions and attempts")
	assert.GreaterOrEqual(t, metricsSample(body, "simgate_store_commit_batch_size_sum"), commits)
	assert.Equal(t, commits, metricsSample(body, "simgate_store_commit_duration_seconds_count"))
	assert.Contains(t, body, "go_goroutines ")
	assert.Contains(t, body, "process_resident_memory_bytes ")
}

// The operator copies the running server's database through the admin
// API and the stopped server's file directly; both copies pass the check.
// A copy damaged on purpose does not.
func TestCheckAndBackupCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "simgate.db")
	addr, admin := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--admin-addr", admin, "--db", db, "--demo", "--bcrypt-cost", "4"}, io.Discard, io.Discard)
	}()
	base, adminURL := "http://"+addr, "http://"+admin
	waitHealthy(t, base)
	cli := func(want int, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		require.Equal(t, want, code, "%v: %s%s", args, out.String(), errOut.String())
		return out.String() + errOut.String()
	}

	// Writers keep committing while the online copy is taken.
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	var logins atomic.Int64
	go func() {
		defer close(writerDone)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			res, err := http.Post(base+"/userapi/Authentication", "text/xml", strings.NewReader(metricsSOAPLogin))
			if err == nil {
				if res.StatusCode == http.StatusOK {
					logins.Add(1)
				}
				res.Body.Close()
			}
		}
	}()
	require.Eventually(t, func() bool { return logins.Load() >= 3 }, 5*time.Second, time.Millisecond)
	status, _ := metricsDo(t, http.MethodPost, base+"/userapi/Services", map[string]string{"Content-Type": "text/xml"}, metricsSOAPActivate)
	require.Equal(t, http.StatusOK, status)

	online := filepath.Join(dir, "online.db")
	out := cli(0, "backup", online, "--admin", adminURL)
	assert.Regexp(t, `backup written to .*online\.db \(\d+ bytes\)`, out)
	out = cli(0, "check", "--admin", adminURL)
	assert.Contains(t, out, "no problem found")
	out = cli(0, "backup", filepath.Join(dir, "verified.db"), "--admin", adminURL, "--verify")
	assert.Contains(t, out, "backup written")
	close(stop)
	<-writerDone

	out = cli(0, "check", "--db", online)
	assert.Contains(t, out, "no problem found")
	assert.Regexp(t, `subscriptions\s+100\n`, out, "the sandbox's 99 and the SOAP activation")
	assert.Regexp(t, `sessions\s+([5-9]|\d{2,})\n`, out, "the sandbox's 2 and the logins before the copy")
	out = cli(1, "check", "--db", db)
	assert.Contains(t, out, "a running server holds it")

	cancel()
	require.Equal(t, 0, <-done)

	offline := filepath.Join(dir, "offline.db")
	out = cli(0, "backup", "--db", db, offline)
	assert.Contains(t, out, "backup written")
	assert.Contains(t, cli(0, "check", "--db", offline), "no problem found")
	assert.Contains(t, cli(0, "check", "--db", db), "no problem found")
	cli(2, "backup", db, "--db", db)
	cli(2, "backup")

	// The copy serves: start a server on it and read the activation back.
	addr2 := freeAddr(t)
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan int, 1)
	go func() {
		done2 <- run(ctx2, []string{"serve", "--addr", addr2, "--admin-addr", "", "--db", offline}, io.Discard, io.Discard)
	}()
	waitHealthy(t, "http://"+addr2)
	status, _ = metricsDo(t, http.MethodPost, "http://"+addr2+"/userapi/Services", map[string]string{"Content-Type": "text/xml"}, metricsSOAPActivate)
	assert.Equal(t, http.StatusInternalServerError, status, "already activated in the copy")
	cancel2()
	require.Equal(t, 0, <-done2)

	// An index damaged behind simgate's back: check names it and exits 1.
	broken := filepath.Join(dir, "broken.db")
	cli(0, "backup", "--db", offline, broken)
	require.NoError(t, damageIndex(broken))
	out = cli(1, "check", "--db", broken)
	assert.Contains(t, out, `PROBLEM: sims_by_iccid: iccid "8997201000000000001" of sims "8997201000000000001" is not indexed`)
	assert.Contains(t, out, "1 problems found")
	cli(1, "check", "--admin", "http://"+freeAddr(t)) // no server there
}

// The server refuses a damaged file with a message that says what to do;
// check says what is damaged.
func TestServeRefusesDamagedDatabase(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	var errOut bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"import", "--db", good, "--bcrypt-cost", "4", filepath.Join("..", "..", "testdata", "sandbox.jsonl")}, io.Discard, &errOut), errOut.String())

	for _, c := range []struct {
		name   string
		damage func(path string) error
		reason string
	}{
		{"both meta pages overwritten", func(path string) error {
			ps := int64(os.Getpagesize()) // bbolt's page size
			return overwrite(path, []int64{16, ps + 16}, bytes.Repeat([]byte{0xFF}, 48))
		}, "both meta pages are invalid"},
		{"truncated", func(path string) error { return os.Truncate(path, 3*int64(os.Getpagesize())) }, "the file is truncated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "simgate.db")
			require.NoError(t, copyFile(good, path))
			require.NoError(t, c.damage(path))

			var stderr bytes.Buffer
			code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "", "--db", path}, io.Discard, &stderr)
			assert.Equal(t, 1, code)
			assert.Regexp(t, "^simgate serve: "+regexp.QuoteMeta(path)+" is damaged: "+c.reason+`.*; restore a backup \(simgate backup\) or run simgate check for details\n$`, stderr.String())

			var out bytes.Buffer
			stderr.Reset()
			assert.Equal(t, 1, run(context.Background(), []string{"check", "--db", path}, &out, &stderr))
			assert.Contains(t, out.String(), path+" is damaged: "+c.reason)
			assert.Contains(t, stderr.String(), "damaged")
		})
	}
	assert.Equal(t, 0, run(context.Background(), []string{"check", "--db", good}, io.Discard, io.Discard), fmt.Sprint("the original is fine"))
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

func overwrite(path string, offsets []int64, with []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	for _, off := range offsets {
		if _, err := f.WriteAt(with, off); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// damageIndex removes one SIM's ICCID index entry, as a bug would.
func damageIndex(path string) error {
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	err = db.Update(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte("sims_by_iccid")).Delete([]byte("8997201000000000001"))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}
