package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/rest/callback"
	"simgate/store/postgres/pgtest"
)

// multiListener is both partners' endpoint. It verifies signatures and
// records, per webhook-id, how many deliveries of it are in flight at
// once (two instances sending one notification at the same time is the
// failure it looks for; a redelivery after a crash would be sequential)
// and, per request key, how many notifications arrived and whether they
// reported a success.
type multiListener struct {
	secrets map[string]string // path -> signing secret

	mu        sync.Mutex
	inFlight  map[string]int
	overlaps  []string
	byID      map[string]int
	byKey     map[string]int
	succeeded map[string]bool
	problems  []string
}

func (l *multiListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	id := r.Header.Get("webhook-id")
	l.mu.Lock()
	l.inFlight[id]++
	if l.inFlight[id] > 1 {
		l.overlaps = append(l.overlaps, id)
	}
	l.mu.Unlock()
	// Answer after a moment, so that a second sender of the same
	// notification would find the first one still in flight.
	time.Sleep(3 * time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight[id]--
	if err := callback.Verify(l.secrets[r.URL.Path], r.Header, body, time.Hour, time.Now()); err != nil {
		l.problems = append(l.problems, r.URL.Path+": "+err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	l.byID[id]++
	var m struct {
		PartnerTransactionID string `json:"partnerTransactionId"`
		Status               string `json:"status"`
		MessageHeader        struct {
			TrackingMessageHeader struct {
				ResponseTo string `json:"responseTo"`
			}
		}
		ActivateSubscriberResellerResponse struct {
			Subscriber struct {
				SubscriberStatus string `json:"subscriberStatus"`
			}
		}
	}
	_ = json.Unmarshal(body, &m)
	key := m.MessageHeader.TrackingMessageHeader.ResponseTo + m.PartnerTransactionID
	l.byKey[key]++
	if m.Status == "Success" || m.ActivateSubscriberResellerResponse.Subscriber.SubscriberStatus == "A" {
		l.succeeded[key] = true
	}
	_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
}

func (l *multiListener) notified(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byKey[key]
}

// Three simgate processes on one PostgreSQL database take 5,000 competing
// activations, spread round robin: MVNX activations of 3,500 SIMs from a
// pool of 3,000 numbers, 500 more for SIMs already asked for, SPS
// activations, and resends of the same request (idempotency across
// instances). One instance is killed with SIGKILL halfway: requests it
// did not answer go to another one, the others finish its executions and,
// once their lease ends, send the notifications it had claimed.
// Afterwards no SIM and no number is held by two subscriptions, every
// acknowledged activation's notification arrived, none was sent by two
// instances at once (a redelivery after the kill is allowed), and the
// outcomes add up.
func TestInstancesShareOnePostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dsn := pgtest.DSN(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	const (
		instances  = 3
		mvnxSIMs   = 3500 // distinct SIMs asked for through MVNX
		mvnxDupes  = 500  // further MVNX activations of SIMs already asked for
		poolSize   = 3000 // numbers of the MVNX pool: fewer than the SIMs
		spsCount   = 800
		resends    = 200 // requests sent a second time, to another instance
		total      = mvnxSIMs + mvnxDupes + spsCount + resends
		resellerPW = "multi-reseller-pass"
		spsKey     = "multi-wholesale-key"
	)
	require.Equal(t, 5000, total)
	hooks := map[string]string{
		"/mvnx": "whsec_" + strings.Repeat("QUJD", 11) + "QQ==",
		"/sps":  "whsec_" + strings.Repeat("REVG", 11) + "Rw==",
	}
	l := &multiListener{secrets: hooks, inFlight: map[string]int{}, byID: map[string]int{}, byKey: map[string]int{}, succeeded: map[string]bool{}}
	partner := httptest.NewServer(l)
	defer partner.Close()

	inv := filepath.Join(dir, "inventory.jsonl")
	lines := []string{
		`{"kind":"partner","id":"multi-reseller","name":"Multi Reseller","username":"multi-reseller","password":"` + resellerPW + `","webhook_secret":"` + hooks["/mvnx"] + `","rate_limit":{"rps":0}}`,
		`{"kind":"plan","code":"MULTI1","partners":["multi-reseller"]}`,
		`{"kind":"sim","iccid":"89014104100000000000","count":` + strconv.Itoa(mvnxSIMs) + `,"owner":"multi-reseller","status":"Pending"}`,
		`{"kind":"number","msisdn":"2020000000","count":` + strconv.Itoa(poolSize) + `,"owner":"multi-reseller","pool":"MUL","status":"Available"}`,
		`{"kind":"partner","id":"multi-wholesale","name":"Multi Wholesale","api_keys":["` + spsKey + `"],"root_account":"940000000001","webhook_secret":"` + hooks["/sps"] + `","callback_url":"` + partner.URL + `/sps","rate_limit":{"rps":0}}`,
		`{"kind":"account","id":"940000000001","partner":"multi-wholesale","name":"Multi Wholesale"}`,
		`{"kind":"plan","code":"MULTIW","partners":["multi-wholesale"],"offerings":["MULTIW-DATA"]}`,
		`{"kind":"sim","iccid":"89012600100000000000","count":` + strconv.Itoa(spsCount) + `,"owner":"multi-wholesale","account":"940000000001","status":"Available"}`,
		`{"kind":"number","msisdn":"13100000000","count":` + strconv.Itoa(spsCount) + `,"owner":"multi-wholesale","account":"940000000001","status":"Available"}`,
	}
	require.NoError(t, os.WriteFile(inv, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	out, err := exec.Command(bin, "import", "--store", dsn, "--bcrypt-cost", "4", inv).CombinedOutput()
	require.NoError(t, err, string(out))

	var bases []string
	var procs []*exec.Cmd
	for i := range instances {
		addr := freeAddr(t)
		logs := &syncBuffer{}
		cmd := exec.Command(bin, "serve", "--store", dsn, "--addr", addr, "--admin-addr", "", "--bcrypt-cost", "4",
			"--log-level", "warn", "--allow-private-callbacks", "true", "--rate-limit", "0", "--pg-max-conns", "12",
			"--callback-timeout", "2s", "--delivery-lease", "8s")
		cmd.Stderr = logs
		require.NoError(t, cmd.Start())
		t.Cleanup(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("instance %d log:\n%s", i, logs.String())
			}
		})
		waitHealthy(t, "http://"+addr)
		bases = append(bases, "http://"+addr)
		procs = append(procs, cmd)
	}
	const victim = instances - 1
	var killOnce sync.Once

	type request struct {
		key, path, body string
		sps             bool
	}
	mvnx := func(i, sim int) request {
		key := "multi-" + strconv.Itoa(i)
		return request{key: key, path: "/ActivateSubscriberReseller", body: fmt.Sprintf(`{"MessageHeader":{"TrackingMessageHeader":{"version":"v185","messageId":%q,"returnURL":%q,"dateTimeStamp":"2026-11-25T10:00:00Z"},
"SecurityMessageHeader":{"userName":"multi-reseller","userPassword":%q}},
"ActivateSubscriberResellerRequest":{"MarketServiceInfo":{"billingMarket":{"localMarket":"MUL","billingMarket":"MUL","billingSubMarket":"708"}},
"SubscriberReseller":[{"Device":{"SIM":"890141041%011d","IMEI":"356938035643809"},"PricePlan":{"singleUserCode":"MULTI1"}}]}}`, key, partner.URL+"/mvnx", resellerPW, sim)}
	}
	sps := func(i int) request {
		key := "multi-sps-" + strconv.Itoa(i)
		return request{key: key, sps: true, path: "/subscriber-provisioning/v5/subscription", body: `{"partnerTransactionId":"` + key + `","subscriberId":"MS` + strconv.Itoa(i) +
			`","wholesalePlanId":"MULTIW","location":{"address":{"addressLine1":"5701 SANTA FE DR","city":"Littleton","state":"CO","zip":"80120"}},` +
			`"billCycleFrequency":"MONTHLY","billCycleStartDay":1,"iccid":"890126001` + fmt.Sprintf("%011d", i) + `","pei":"356938035643809",` +
			`"products":[{"productId":"MULTIW-DATA","action":"Add"}]}`}
	}
	var reqs []request
	for i := range mvnxSIMs {
		reqs = append(reqs, mvnx(i, i))
	}
	for i := range mvnxDupes {
		reqs = append(reqs, mvnx(mvnxSIMs+i, i*7%mvnxSIMs)) // a SIM another request asks for
	}
	for i := range spsCount {
		reqs = append(reqs, sps(i))
	}
	// Interleave the kinds, then send some requests again later, to another instance.
	for i := range reqs {
		j := (i * 7919) % len(reqs)
		reqs[i], reqs[j] = reqs[j], reqs[i]
	}
	for i := range resends {
		reqs = append(reqs, reqs[i*13])
	}

	start := time.Now()
	client := &http.Client{Timeout: 30 * time.Second}
	var next atomic.Int64
	acked := make([]string, len(reqs)) // transaction id of each acknowledged request
	var wg sync.WaitGroup
	var failures atomic.Int64
	var firstFailure atomic.Value
	for range 48 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				if i == len(reqs)/2 {
					killOnce.Do(func() { _ = procs[victim].Process.Kill() })
				}
				r := reqs[i]
				var res *http.Response
				var err error
				// An instance that does not answer (the killed one) is
				// skipped: the request goes to the next, as behind a
				// load balancer. The same request again is idempotent.
				for try := range instances {
					req, _ := http.NewRequest(http.MethodPost, bases[(i+try)%instances]+r.path, strings.NewReader(r.body))
					req.Header.Set("Content-Type", "application/json")
					if r.sps {
						req.Header.Set("Authorization", "Bearer "+spsKey)
						req.Header.Set("WholesaleCustomerId", "940000000001")
					}
					if res, err = client.Do(req); err == nil {
						break
					}
				}
				if err != nil {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
					continue
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				var ack struct {
					TransactionID string `json:"transactionId"`
					Response      struct {
						Code string `json:"code"`
					}
					Status string `json:"status"`
				}
				_ = json.Unmarshal(body, &ack)
				if res.StatusCode != http.StatusOK || !(strings.Contains(string(body), `"code":"0"`) || ack.Status == "Success") {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("%s: HTTP %d %s", r.key, res.StatusCode, body))
					continue
				}
				acked[i] = r.key
			}
		})
	}
	wg.Wait()
	sent := time.Since(start)
	require.Zero(t, failures.Load(), "requests not acknowledged, the first: %v", firstFailure.Load())

	// Every acknowledged request is notified; a resend is the same request.
	keys := map[string]bool{}
	for _, k := range acked {
		keys[k] = true
	}
	require.Len(t, keys, total-resends)
	require.Eventually(t, func() bool {
		for k := range keys {
			if l.notified(k) == 0 {
				return false
			}
		}
		return true
	}, 3*time.Minute, 50*time.Millisecond, "every acknowledged activation's notification arrives")
	t.Logf("acknowledged in %s, notified in %s", sent.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT convert_from(data, 'UTF8')::jsonb->>'status', coalesce(convert_from(data, 'UTF8')::jsonb->>'sim', ''),
		coalesce(convert_from(data, 'UTF8')::jsonb->>'msisdn', '') FROM subscriptions`)
	require.NoError(t, err)
	simHolders, numberHolders := map[string]int{}, map[string]int{}
	subs := 0
	for rows.Next() {
		var status, sim, msisdn string
		require.NoError(t, rows.Scan(&status, &sim, &msisdn))
		subs++
		simHolders[sim]++
		numberHolders[msisdn]++
	}
	require.NoError(t, rows.Err())
	for sim, n := range simHolders {
		assert.Equal(t, 1, n, "SIM %s held by %d subscriptions", sim, n)
	}
	for msisdn, n := range numberHolders {
		assert.Equal(t, 1, n, "number %s held by %d subscriptions", msisdn, n)
	}
	var assigned, pending, undelivered, deliveries int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM numbers WHERE convert_from(data, 'UTF8')::jsonb->>'status' = 'Assigned'`).Scan(&assigned))
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM transactions WHERE unfinished_ns IS NOT NULL`).Scan(&pending))
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status <> 'Delivered'::bytea) FROM deliveries`).Scan(&deliveries, &undelivered))
	assert.Equal(t, subs, assigned, "every subscription holds one number, every assigned number one subscription")
	assert.Zero(t, pending, "every transaction executed")
	assert.Zero(t, undelivered, "every notification delivered")

	l.mu.Lock()
	defer l.mu.Unlock()
	assert.Empty(t, l.problems)
	assert.Empty(t, l.overlaps, "notifications sent by two instances at once")
	assert.Len(t, l.byID, deliveries, "one webhook-id per delivery")
	succeeded := 0
	for k := range keys {
		if l.succeeded[k] {
			succeeded++
		}
	}
	assert.Equal(t, subs, succeeded, "a subscription for each successful activation, no more")
	// The pool runs out before the distinct SIMs do; duplicates of a SIM fail.
	assert.Equal(t, poolSize+spsCount, subs, "the MVNX pool and the SPS SIMs are used up exactly")
	t.Logf("%d requests on %d instances: %d activations succeeded, %d refused; %d notifications, %d redelivered",
		len(reqs), instances, succeeded, len(keys)-succeeded, deliveries, sumOver(l.byID)-len(l.byID))
}

func sumOver(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
