package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"simgate/core"
	"simgate/rest/callback"
	"simgate/store"
)

// buildBinary compiles simgate once for the process-level tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "simgate")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// listener is the partners' endpoint: /mvnx for demo-reseller, /sps for
// demo-wholesale. It verifies every signature, remembers each webhook-id
// and the bodies seen under it, and acknowledges with "0".
type listener struct {
	mu       sync.Mutex
	byID     map[string][][]byte
	byKey    map[string]int // request messageId / partnerTransactionId -> deliveries received
	badSigns int
}

func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// A partner that takes a while to answer widens the window in which a
	// kill lands between the POST and its record.
	time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
	secret := sandboxSecrets["demo-reseller"]
	if r.URL.Path == "/sps" {
		secret = sandboxSecrets["demo-wholesale"]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := callback.Verify(secret, r.Header, body, time.Hour, time.Now()); err != nil {
		l.badSigns++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("webhook-id")
	l.byID[id] = append(l.byID[id], body)
	var msg struct {
		PartnerTransactionID string `json:"partnerTransactionId"`
		MessageHeader        struct{ TrackingMessageHeader struct{ ResponseTo string } }
	}
	_ = json.Unmarshal(body, &msg)
	l.byKey[msg.MessageHeader.TrackingMessageHeader.ResponseTo+msg.PartnerTransactionID]++
	_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
}

func (l *listener) received(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byKey[key]
}

type proc struct {
	cmd  *exec.Cmd
	logs *syncBuffer // written by the process's output copier while the test reads it
}

func startProc(t *testing.T, bin, addr, db string) *proc {
	t.Helper()
	p := &proc{logs: &syncBuffer{}}
	p.cmd = exec.Command(bin, "serve", "--addr", addr, "--db", db, "--demo", "--admin-addr", "", "--bcrypt-cost", "4", "--log-level", "warn")
	p.cmd.Stderr = p.logs
	require.NoError(t, p.cmd.Start())
	waitHealthy(t, "http://"+addr)
	return p
}

func mvnxRequest(i int, returnURL string) []byte {
	return []byte(fmt.Sprintf(`{"MessageHeader":{"TrackingMessageHeader":{"version":"v185","messageId":"crash-%d","returnURL":%q,"dateTimeStamp":"2026-11-25T10:00:00Z"},
"SecurityMessageHeader":{"userName":"demo-reseller","userPassword":"demo-reseller-pass"}},
"ActivateSubscriberResellerRequest":{"MarketServiceInfo":{"billingMarket":{"localMarket":"GAC","billingMarket":"GAC","billingSubMarket":"708"},"serviceZipCode":"75001","billingSystemId":"TLG"},
"SubscriberReseller":[{"Device":{"SIM":"890141041780036200%02d","IMEI":"356938035643809"},"PricePlan":{"singleUserCode":"P8DN"}}]}}`, i, returnURL, i))
}

// job is one partner request of the load: sent until it is acknowledged.
type job struct {
	api, key             string
	method, path, body   string
	headers              map[string]string
	acked                func(status int, answer string) bool
	ackedAs              string // the transaction id the acknowledgement named, if any
	needsNotification    bool
	notificationReceived func() bool
}

// A real simgate process is killed with SIGKILL at random moments while
// partners of all four APIs send requests and notifications are delivered;
// it is restarted each time. Afterwards every acknowledged request is there
// and finished, none was executed twice, no SIM or number is held twice,
// every notification arrived with a stable webhook-id, and the database
// passes bbolt's consistency check. SIMGATE_CRASH_KILLS sets the number of
// kills (default 20; the long run uses 200).
func TestKill9DuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	minKills := 20
	if v, err := strconv.Atoi(os.Getenv("SIMGATE_CRASH_KILLS")); err == nil && v > 0 {
		minKills = v
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "simgate.db")
	addr := freeAddr(t)
	base := "http://" + addr
	l := &listener{byID: map[string][][]byte{}, byKey: map[string]int{}}
	partner := httptest.NewServer(l)
	defer partner.Close()
	p := startProc(t, bin, addr, db)

	client := &http.Client{Timeout: 5 * time.Second}
	send := func(method, path string, headers map[string]string, body string) (int, string, error) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if strings.HasPrefix(path, "/userapi/") {
			req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), nil
	}
	// The SPS callback setting is made before the load.
	spsKey := map[string]string{"Authorization": "Bearer demo-wholesale-key"}
	for {
		if status, _, err := send("PUT", "/subscriber-provisioning/v5/callback", spsKey, `{"callbackUrl":"`+partner.URL+`/sps"}`); err == nil && status == 200 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	var jobs []*job
	okAck := regexp.MustCompile(`"code":"0"`)
	for i := 0; i < 60; i++ {
		key := fmt.Sprintf("crash-%d", i)
		jobs = append(jobs, &job{api: "mvnx", key: key, method: "POST", path: "/ActivateSubscriberReseller", body: string(mvnxRequest(i, partner.URL+"/mvnx")),
			acked: func(s int, a string) bool { return s == 200 && okAck.MatchString(a) }, needsNotification: true})
	}
	for i := 0; i < 40; i++ {
		key := fmt.Sprintf("crash-sps-%d", i)
		jobs = append(jobs, &job{api: "sps", key: key, method: "POST", path: "/subscriber-provisioning/v5/subscription", headers: spsKey,
			body:  spsActivate(key, fmt.Sprintf("119866216445230245%02d", 10+i), "", ""),
			acked: func(s int, a string) bool { return s == 200 }, needsNotification: true})
	}
	tok := "e4d723bfafeaeecc4cc91da481ad2dca896134df44a73ed225a23a5401aeefe1"
	for i := 0; i < 15; i++ {
		// A retry after a lost answer finds the SQ already active: the
		// activation happened, which the database check confirms.
		jobs = append(jobs, &job{api: "soap", key: strconv.Itoa(581413 + i), method: "POST", path: "/userapi/Services",
			body: soapActivate(tok, strconv.Itoa(581413+i), strconv.Itoa(498172580+i)),
			acked: func(s int, a string) bool {
				return s == 200 || strings.Contains(a, "SQ not in appropriate status for Activation")
			}})
	}
	for i := 0; i < 20; i++ {
		iccid := fmt.Sprintf("89972010000000000%02d", 4+i)
		// A retry after a lost answer finds the subscriber already in
		// Sparta, which the rules refuse as a move to its own account.
		jobs = append(jobs, &job{api: "flolive", key: iccid, method: "PUT", path: "/api/v2/subscriber/iccid/" + iccid + "/move",
			headers: map[string]string{"Authorization": "Bearer demo-flolive-key"},
			body:    `{"targetCustomerId":"dd64dca6-8e7f-4b85-a42b-13860913bb5a"}`,
			acked:   func(s int, a string) bool { return s == 200 || strings.Contains(a, "CUSTOMER_1008") }})
	}
	rand.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var mu sync.Mutex
	ackedCount := 0
	work := make(chan *job)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				for ctx.Err() == nil { // a partner retries until acknowledged
					status, answer, err := send(j.method, j.path, j.headers, j.body)
					if err == nil && j.acked(status, answer) {
						if m := regexp.MustCompile(`"(uniqueTransactionId|requestId)":"([^"]+)"`).FindStringSubmatch(answer); m != nil {
							j.ackedAs = m[2]
						}
						mu.Lock()
						ackedCount++
						mu.Unlock()
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	go func() {
		for _, j := range jobs {
			work <- j
		}
		close(work)
	}()

	allNotified := func() bool {
		for _, j := range jobs {
			if j.needsNotification && l.received(j.key) == 0 {
				return false
			}
		}
		return true
	}
	allAcked := func() bool { mu.Lock(); defer mu.Unlock(); return ackedCount == len(jobs) }
	// The killer: SIGKILL at random moments, restart, until every request
	// is acknowledged, enough kills happened, and every notification has
	// arrived: kills land in submit, execution and delivery alike.
	kills := 0
	for ctx.Err() == nil && (kills < minKills || !allAcked() || !allNotified()) {
		time.Sleep(time.Duration(20+rand.IntN(180)) * time.Millisecond)
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
		_ = p.cmd.Wait()
		kills++
		p = startProc(t, bin, addr, db)
	}
	wg.Wait()
	require.NoError(t, ctx.Err(), "load did not finish; last logs:\n%s", p.logs.String())
	// After the last restart, the notifications still owed arrive.
	require.Eventually(t, allNotified, 60*time.Second, 50*time.Millisecond)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, p.cmd.Wait(), p.logs.String())

	s, err := store.Open(db, store.Options{})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Bolt().View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}))
	svc, err := core.NewService(s, core.SystemClock{}, core.RandomIDs{}, store.Bcrypt{Cost: 4}, core.Config{})
	require.NoError(t, err)
	lost, twice := 0, 0
	numbers, sims := map[string]string{}, map[string]string{}
	hold := func(sub *core.Subscription) {
		if sub == nil {
			return
		}
		if prev, dup := numbers[sub.MSISDN]; dup && sub.MSISDN != "" && prev != sub.ID {
			twice++
			t.Errorf("number %s held by %s and %s", sub.MSISDN, prev, sub.ID)
		}
		numbers[sub.MSISDN] = sub.ID
		if prev, dup := sims[sub.SIM]; dup && prev != sub.ID {
			twice++
			t.Errorf("SIM %s held by %s and %s", sub.SIM, prev, sub.ID)
		}
		sims[sub.SIM] = sub.ID
	}
	bg := context.Background()
	for _, j := range jobs {
		var tr core.Transaction
		var err error
		switch j.api {
		case "mvnx":
			tr, err = svc.Transaction(bg, "demo-reseller", j.ackedAs)
		case "sps":
			tr, err = svc.LatestTransaction(bg, "demo-wholesale", core.ChannelSPS, j.key, "ActivateSubscription")
		case "soap":
			sub, _, err2 := svc.ServiceDetail(bg, "demo-rsp", j.key)
			if err2 != nil || sub.Status != core.SubActive {
				lost++
				t.Errorf("SOAP activation of SQ %s lost: %v", j.key, err2)
			}
			hold(&sub)
			continue
		case "flolive":
			sub, visible, err2 := svc.Subscriber(bg, "acme", core.SubscriberRef{Kind: core.ByICCID, Value: j.key})
			if err2 != nil || visible != "dd64dca6-8e7f-4b85-a42b-13860913bb5a" {
				lost++
				t.Errorf("move of %s lost: %v %s", j.key, err2, visible)
			}
			hold(&sub)
			continue
		}
		if err != nil || !tr.Status.Finished() {
			lost++
			t.Errorf("%s request %s lost or unfinished: %v", j.api, j.key, err)
			continue
		}
		assert.Equal(t, core.TxSucceeded, tr.Status, "%s %s", j.api, j.key)
		require.Len(t, tr.Results, 1)
		hold(tr.Results[0].Subscription)
	}
	redelivered := 0
	l.mu.Lock()
	for id, bodies := range l.byID {
		redelivered += len(bodies) - 1
		for _, b := range bodies[1:] {
			assert.Equal(t, string(bodies[0]), string(b), "webhook-id %s redelivered with another body", id)
		}
	}
	assert.Zero(t, l.badSigns)
	distinct := len(l.byID)
	l.mu.Unlock()
	t.Logf("requests %d (mvnx 60, sps 40, soap 15, flolive 20), kills %d, acknowledged %d, lost %d, executed twice %d, notifications %d distinct, %d redelivered with the same webhook-id",
		len(jobs), kills, ackedCount, lost, twice, distinct, redelivered)
}
