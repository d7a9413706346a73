package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/rest/callback"
	"simgate/store"
	"simgate/store/storetest"
)

// world is the whole gateway in-process over the sandbox, with one
// notification endpoint per partner that accepts only its own signature.
type world struct {
	t         *testing.T
	url       string
	db        *store.DB
	svc       *core.Service
	endpoints map[string]*endpoint
}

type endpoint struct {
	url     string
	secret  string
	mu      sync.Mutex
	bodies  []string
	rejects int
}

func (p *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if callback.Verify(p.secret, r.Header, body, time.Hour, time.Now()) != nil {
		p.rejects++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	p.bodies = append(p.bodies, string(body))
	_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
}

func (p *endpoint) received() ([]string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bodies...), p.rejects
}

var sandboxSecrets = map[string]string{
	"demo-reseller":   "whsec_c2ltZ2F0ZS1kZW1vLXJlc2VsbGVyLXdlYmhvb2s=",
	"other-reseller":  "whsec_c2ltZ2F0ZS1vdGhlci1yZXNlbGxlci13ZWJob29r",
	"demo-wholesale":  "whsec_c2ltZ2F0ZS1kZW1vLXdob2xlc2FsZS13ZWJob29r",
	"other-wholesale": "whsec_c2ltZ2F0ZS1vdGhlci13aG9sZXNhbGUtd2ViaG9vaw==",
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := storetest.Sandbox(t)
	svc, err := core.NewService(db, coretest.Clock{T: time.Date(2026, 3, 29, 14, 38, 11, 0, time.UTC)}, &coretest.IDs{}, storetest.Passwords, core.Config{})
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := core.NewEngine(svc, callback.New(callback.Options{Timeout: 5 * time.Second, AllowPrivate: true}), log,
		core.EngineConfig{PollInterval: 10 * time.Millisecond, Retry: func(int, time.Duration) (time.Duration, bool) { return 20 * time.Millisecond, true }})
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(newServer(svc, eng, log, serveConfig{demo: true, allowPrivate: "auto"}, &ready))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	w := &world{t: t, url: srv.URL, db: db, svc: svc, endpoints: map[string]*endpoint{}}
	for p, secret := range sandboxSecrets {
		ep := &endpoint{secret: secret}
		s := httptest.NewServer(ep)
		ep.url = s.URL
		w.endpoints[p] = ep
		t.Cleanup(s.Close)
	}
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	return w
}

// do sends a request and answers the status and the body.
func (w *world) do(method, path string, headers map[string]string, body string) (int, string) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.url+path, strings.NewReader(body))
	require.NoError(w.t, err)
	req.Header.Set("Content-Type", "application/json")
	if strings.HasPrefix(path, "/userapi/") {
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func soapActivate(token, sq, sim string) string {
	return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi"><soapenv:Body>
<urn:ActivateService><urn:loginToken>` + token + `</urn:loginToken><urn:SQ_ID>` + sq + `</urn:SQ_ID><urn:sim_number>` + sim + `</urn:sim_number></urn:ActivateService></soapenv:Body></soapenv:Envelope>`
}

func soapDetail(token, id string) string {
	return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi"><soapenv:Body>
<urn:serviceDetail><urn:loginToken>` + token + `</urn:loginToken><urn:service_id>` + id + `</urn:service_id></urn:serviceDetail></soapenv:Body></soapenv:Envelope>`
}

func mvnxActivate(user, msgID, returnURL, iccid, number string) string {
	num := ""
	if number != "" {
		num = `,"subscriberNumber":"` + number + `"`
	}
	return `{"MessageHeader":{"TrackingMessageHeader":{"messageId":"` + msgID + `","returnURL":"` + returnURL + `","dateTimeStamp":"2026-03-29T14:38:11Z"},
"SecurityMessageHeader":{"userName":"` + user + `","userPassword":"` + user + `-pass"}},
"ActivateSubscriberResellerRequest":{"MarketServiceInfo":{"billingMarket":{"localMarket":"GAC"}},"SubscriberReseller":[{"Device":{"SIM":"` + iccid + `"},"PricePlan":{"singleUserCode":"P8DN"}` + num + `}]}}`
}

func spsActivate(txID, iccid, gpsi, resv string) string {
	extra := ""
	if gpsi != "" {
		extra += `,"gpsi":"` + gpsi + `"`
	}
	if resv != "" {
		extra += `,"gpsiReservationId":"` + resv + `"`
	}
	return `{"partnerTransactionId":"` + txID + `","subscriberId":"S1","wholesalePlanId":"Plan001","location":{"address":{"city":"Littleton"}},"iccid":"` + iccid + `"` + extra + `}`
}

var volatile = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"(messageId|responseTo|conversationId|dateTimeStamp|uniqueTransactionId|partnerTransactionId|transactionId|createdAt|updatedAt|completedAt|eventTime|correlationId|billingAccountNumber)":"[^"]*"|"(SIM|subscriberNumber|iccid|gpsi)":"[0-9]*"`)

// shape is an answer without what legitimately differs between two
// requests (ids, times, the identifier asked for).
func shape(status int, body string) string {
	return fmt.Sprint(status, " ", volatile.ReplaceAllString(body, "~"))
}

// Every partner, with valid credentials, aims every endpoint at another
// partner's objects: each attempt is answered exactly as for an object
// that does not exist, changes nothing, and no notification reaches
// another partner.
func TestTenantIsolationMatrix(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	demoTok, _, err := w.svc.Login(ctx, "demo-rsp", "demo-rsp-pass")
	require.NoError(t, err)
	otherTok, _, err := w.svc.Login(ctx, "other-rsp", "other-rsp-pass")
	require.NoError(t, err)
	bearer := func(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }

	// Each partner owns some state first: a service, subscriptions,
	// transactions, a request and a callback setting.
	status, body := w.do("POST", "/userapi/Services", nil, soapActivate(demoTok, "581407", "498172577"))
	require.Equal(t, 200, status, body)
	status, body = w.do("POST", "/ActivateSubscriberReseller", nil, mvnxActivate("demo-reseller", "own-1", w.endpoints["demo-reseller"].url, "89014104178003620001", "8035612201"))
	require.Equal(t, 200, status, body)
	for _, p := range []string{"demo-wholesale", "other-wholesale"} {
		key := map[string]string{"demo-wholesale": "demo-wholesale-key", "other-wholesale": "other-wholesale-key"}[p]
		status, body = w.do("PUT", "/subscriber-provisioning/v5/callback", bearer(key), `{"callbackUrl":"`+w.endpoints[p].url+`"}`)
		require.Equal(t, 200, status, body)
	}
	status, body = w.do("POST", "/subscriber-provisioning/v5/subscription", bearer("demo-wholesale-key"), spsActivate("DemoTxn1", "11986621644523024501", "", ""))
	require.Equal(t, 200, status, body)
	status, body = w.do("PUT", "/api/v2/subscriber/iccid/8997201000000000004/move", bearer("demo-flolive-key"), `{"targetCustomerId":"dd64dca6-8e7f-4b85-a42b-13860913bb5a"}`)
	require.Equal(t, 200, status, body)
	acmeRequest := regexp.MustCompile(`"requestId":"([^"]+)"`).FindStringSubmatch(body)[1]
	require.Eventually(t, func() bool {
		d, _ := w.endpoints["demo-reseller"].received()
		s, _ := w.endpoints["demo-wholesale"].received()
		_, call := w.do("GET", "/api/v2/global/call/"+acmeRequest, bearer("demo-flolive-key"), "")
		return len(d) == 1 && len(s) == 1 && strings.Contains(call, "SUCCESS")
	}, 5*time.Second, 10*time.Millisecond)
	before := inventorySnapshot(t, w)

	// Synchronous answers: foreign object versus no such object.
	sync := []struct {
		name                 string
		method, path         string
		headers              map[string]string
		foreign, nonexistent string
		foreignPath          string
	}{
		{name: "SOAP serviceDetail of another RSP's service", method: "POST", path: "/userapi/Services",
			foreign: soapDetail(otherTok, "581407"), nonexistent: soapDetail(otherTok, "999999")},
		{name: "SOAP activation with another RSP's SQ", method: "POST", path: "/userapi/Services",
			foreign: soapActivate(otherTok, "581408", "498179000"), nonexistent: soapActivate(otherTok, "799999", "498179000")},
		{name: "SOAP activation of an SQ whose order another RSP raised", method: "POST", path: "/userapi/Services",
			foreign: soapActivate(demoTok, "581500", "498172581"), nonexistent: soapActivate(demoTok, "581412", "498172581")},
		{name: "SOAP activation with another RSP's SIM", method: "POST", path: "/userapi/Services",
			foreign: soapActivate(otherTok, "700001", "498172580"), nonexistent: soapActivate(otherTok, "700001", "498199999")},
		{name: "SPS query of another customer's transaction", method: "GET", path: "/subscriber-provisioning/v5/subscription/transactions/DemoTxn1",
			headers: bearer("other-wholesale-key"), foreignPath: "/subscriber-provisioning/v5/subscription/transactions/NoSuchTxn"},
		{name: "SPS with another customer's node", method: "GET", path: "/subscriber-provisioning/v5/callback",
			headers: map[string]string{"Authorization": "Bearer other-wholesale-key", "wholesaleCustomerId": "920000108464"}},
		{name: "floLIVE move of another enterprise's subscriber", method: "PUT", path: "/api/v2/subscriber/iccid/8997201000000000001/move",
			headers: bearer("other-flolive-key"), foreign: `{"targetCustomerId":"5d92dfea-4d1b-5af5-8b9b-94ee4f196415"}`,
			foreignPath: "/api/v2/subscriber/iccid/8997201999999999999/move"},
		{name: "floLIVE move to another enterprise's customer", method: "PUT", path: "/api/v2/subscriber/iccid/8997201000000000003/move",
			headers: bearer("other-flolive-key"), foreign: `{"targetCustomerId":"dd64dca6-8e7f-4b85-a42b-13860913bb5a"}`,
			nonexistent: `{"targetCustomerId":"00000000-0000-4000-8000-000000000000"}`},
		{name: "floLIVE read of another enterprise's subscriber", method: "GET", path: "/api/v2/subscriber/imsi/425019000000001",
			headers: bearer("other-flolive-key"), foreignPath: "/api/v2/subscriber/imsi/425019999999999"},
		{name: "floLIVE poll of another enterprise's request", method: "GET", path: "/api/v2/global/call/" + acmeRequest,
			headers: bearer("other-flolive-key"), foreignPath: "/api/v2/global/call/00000000-0000-4000-8000-000000000000"},
	}
	for _, tc := range sync {
		t.Run(tc.name, func(t *testing.T) {
			fs, fb := w.do(tc.method, tc.path, tc.headers, tc.foreign)
			npath, nbody := tc.path, tc.nonexistent
			if tc.foreignPath != "" {
				npath, nbody = tc.foreignPath, tc.foreign
			}
			if tc.name == "SPS with another customer's node" {
				h := map[string]string{"Authorization": "Bearer other-wholesale-key", "wholesaleCustomerId": "920000000000"}
				ns, nb := w.do(tc.method, tc.path, h, "")
				assert.Equal(t, shape(ns, nb), shape(fs, fb))
				assert.Equal(t, 404, fs)
				return
			}
			ns, nb := w.do(tc.method, npath, tc.headers, nbody)
			assert.GreaterOrEqual(t, fs, 400, fb)
			assert.Equal(t, shape(ns, nb), shape(fs, fb))
		})
	}

	// Asynchronous outcomes: the notification a partner gets for another
	// partner's object reads like the one for an object that does not exist.
	async := []struct {
		name                 string
		partner              string
		send                 func(id, variant string) (int, string)
		foreign, nonexistent string
	}{
		{"MVNX activation with another reseller's SIM", "other-reseller", func(id, iccid string) (int, string) {
			return w.do("POST", "/ActivateSubscriberReseller", nil, mvnxActivate("other-reseller", id, w.endpoints["other-reseller"].url, iccid, ""))
		}, "89014104178003620005", "89014104178003699999"},
		{"MVNX activation with another reseller's number", "other-reseller", func(id, number string) (int, string) {
			return w.do("POST", "/ActivateSubscriberReseller", nil, mvnxActivate("other-reseller", id, w.endpoints["other-reseller"].url, "89014104178003629999", number))
		}, "8035612250", "8035699999"},
		{"MVNX activation with another reseller's reservation", "other-reseller", func(id, number string) (int, string) {
			return w.do("POST", "/ActivateSubscriberReseller", nil, mvnxActivate("other-reseller", id, w.endpoints["other-reseller"].url, "89014104178003629999", number))
		}, "8035612295", "8035699998"},
		{"SPS activation with another customer's SIM", "other-wholesale", func(id, iccid string) (int, string) {
			return w.do("POST", "/subscriber-provisioning/v5/subscription", bearer("other-wholesale-key"), spsActivate(id, iccid, "", ""))
		}, "11986621644523024502", "11986621644599999999"},
		{"SPS activation with another customer's reservation", "other-wholesale", func(id, resv string) (int, string) {
			return w.do("POST", "/subscriber-provisioning/v5/subscription", bearer("other-wholesale-key"), spsActivate(id, "11986621644523024503", "19459986891", resv))
		}, "GRID368599719", "GRID000000000"},
		{"SPS suspension of another customer's subscription", "other-wholesale", func(id, iccid string) (int, string) {
			return w.do("POST", "/subscriber-provisioning/v5/subscription/status", bearer("other-wholesale-key"),
				`{"partnerTransactionId":"`+id+`","iccid":"`+iccid+`","action":"Suspend"}`)
		}, "11986621644523024501", "11986621644599999998"},
	}
	n := 0
	for _, tc := range async {
		t.Run(tc.name, func(t *testing.T) {
			ep := w.endpoints[tc.partner]
			got, _ := ep.received()
			start := len(got)
			var answers [2]string
			for i, variant := range []string{tc.foreign, tc.nonexistent} {
				n++
				status, body := tc.send(fmt.Sprintf("iso-%d", n), variant)
				require.Equal(t, 200, status, body)
				require.Eventually(t, func() bool { got, _ = ep.received(); return len(got) >= start+i+1 }, 5*time.Second, 10*time.Millisecond)
				answers[i] = volatile.ReplaceAllString(got[start+i], "~")
			}
			assert.Equal(t, answers[1], answers[0])
			assert.NotContains(t, answers[0], `"A"`)
			assert.NotContains(t, answers[0], `"Success"`)
		})
	}

	assert.Equal(t, before, inventorySnapshot(t, w), "nothing of any partner changed")
	for p, ep := range w.endpoints {
		got, rejects := ep.received()
		assert.Zero(t, rejects, "%s's endpoint got a notification signed for another partner", p)
		if p == "demo-wholesale" {
			continue
		}
		for _, b := range got {
			assert.NotContains(t, b, "DemoTxn1", "a demo notification at %s", p)
		}
	}
	// The SPS callback setting of one customer is invisible to the other.
	_, body = w.do("GET", "/subscriber-provisioning/v5/callback", bearer("other-wholesale-key"), "")
	assert.Contains(t, body, w.endpoints["other-wholesale"].url)
	assert.NotContains(t, body, w.endpoints["demo-wholesale"].url)
}

// inventorySnapshot reads every object the matrix aims at.
func inventorySnapshot(t *testing.T, w *world) string {
	var out []any
	require.NoError(t, w.db.View(context.Background(), func(tx core.Tx) error {
		for _, id := range []string{"sim:498172577", "sim:498172580", "89014104178003620001", "89014104178003620005", "11986621644523024501", "11986621644523024502", "8997201000000000001", "8997201000000000004"} {
			s, _, err := tx.SIM(id)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		for _, m := range []string{"8035612201", "8035612250", "8035612295", "19459986891", "972500000001"} {
			n, _, err := tx.Number(m)
			if err != nil {
				return err
			}
			out = append(out, n)
		}
		for _, q := range []int64{581407, 581408, 700001} {
			s, _, err := tx.SQ(q)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		for _, p := range []core.PartnerID{"demo-wholesale", "other-wholesale"} {
			pt, _, err := tx.Partner(p)
			if err != nil {
				return err
			}
			out = append(out, pt.CallbackURL)
		}
		s, _, err := tx.SubscriptionBy(core.ByICCID, "11986621644523024501")
		out = append(out, s)
		return err
	}))
	b, _ := json.Marshal(out)
	return string(b)
}
