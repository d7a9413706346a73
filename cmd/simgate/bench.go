package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"simgate/rest/callback"
)

// simgate bench: a fresh database with a generated inventory, a real
// `simgate serve` process, and every API driven over loopback HTTP by C
// concurrent keep-alive clients (vegeta as a library), each request a
// distinct operation that succeeds; then the same request bytes against the
// server's bare echo handler (the ceiling), and MVNX end to end to a local
// listener that checks every signature. See BENCHMARKS.md.

// benchAPIs are the phases, in the order they run.
var benchAPIs = []string{"soap", "mvnx", "sps", "flolive", "e2e"}

type benchConfig struct {
	sims         int
	requests     int // per phase at most
	concurrency  int
	duration     time.Duration
	apis         map[string]bool
	keep         string
	bcryptCost   int
	bin          string
	profileDir   string
	serveArgs    []string
	drainTimeout time.Duration
	waitIdle     time.Duration
	store        string // PostgreSQL URL: bench in a new schema there instead of a bbolt file
	instances    int    // servers sharing the PostgreSQL store, the load spread round robin
}

func benchFlags(args []string, stderr io.Writer) (benchConfig, error) {
	var cfg benchConfig
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.sims, "sims", 10000, "SIMs, numbers and SQs generated per API (each phase stops when they are used up)")
	fs.IntVar(&cfg.requests, "requests", 0, "requests per phase at most (0: --sims); with a large --sims, compares a big database with a small one at equal work")
	fs.IntVar(&cfg.concurrency, "concurrency", 64, "concurrent keep-alive clients")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "longest time of each phase")
	apis := fs.String("apis", strings.Join(benchAPIs, ","), "phases to run, comma-separated: soap, mvnx, sps, flolive, e2e")
	fs.StringVar(&cfg.keep, "keep", "", "keep the inventory, the database and the server log in this folder (default: a temporary folder, removed)")
	fs.IntVar(&cfg.bcryptCost, "bcrypt-cost", 0, "bcrypt cost of the generated partners' passwords, given to import and serve (0: library default)")
	fs.StringVar(&cfg.bin, "bin", "", "simgate binary to run as import and serve (default: this executable)")
	fs.StringVar(&cfg.profileDir, "profile", "", "write CPU profiles of the server to DIR (go tool pprof): <api>.pprof while the clients send, <api>-drain.pprof while the backlog executes, e2e.pprof for all of e2e, e2e-ceiling.pprof for its relay")
	serveArgs := fs.String("serve-args", "", "extra flags for simgate serve, space-separated (e.g. \"--workers 8\")")
	fs.DurationVar(&cfg.drainTimeout, "drain-timeout", 10*time.Minute, "how long to wait for the asynchronous executions and notifications of a phase")
	fs.DurationVar(&cfg.waitIdle, "wait-idle", 0, "before the import and each phase, wait up to this long for a second in which other processes use under 5% of the machine (0: do not wait)")
	fs.StringVar(&cfg.store, "store", "", "PostgreSQL URL: import into and serve from a new schema of that database (dropped afterwards unless --keep) instead of a bbolt file")
	fs.IntVar(&cfg.instances, "instances", 1, "with --store: simgate serve processes sharing the database; each client's requests go to them in turn")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if cfg.instances < 1 || cfg.instances > 16 || (cfg.instances > 1 && cfg.store == "") {
		return cfg, usageError{errors.New("--instances must be 1 to 16, and more than 1 only with --store")}
	}
	if cfg.sims < 1 || cfg.sims > 5_000_000 {
		return cfg, usageError{errors.New("--sims must be 1 to 5000000")}
	}
	if cfg.requests < 0 {
		return cfg, usageError{errors.New("--requests must be 0 or more")}
	}
	if cfg.requests == 0 || cfg.requests > cfg.sims {
		cfg.requests = cfg.sims
	}
	if cfg.concurrency < 1 || cfg.concurrency > 10_000 {
		return cfg, usageError{errors.New("--concurrency must be 1 to 10000")}
	}
	if cfg.duration <= 0 {
		return cfg, usageError{errors.New("--duration must be positive")}
	}
	cfg.apis = map[string]bool{}
	for _, a := range strings.Split(*apis, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !containsString(benchAPIs, a) {
			return cfg, usageError{fmt.Errorf("--apis: unknown API %q (soap, mvnx, sps, flolive, e2e)", a)}
		}
		cfg.apis[a] = true
	}
	if len(cfg.apis) == 0 {
		return cfg, usageError{errors.New("--apis names no API")}
	}
	cfg.serveArgs = strings.Fields(*serveArgs)
	return cfg, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// benchSecrets are the generated inventory's credentials, new each run.
type benchSecrets struct {
	rspPassword, token         string
	resellerPassword, mvnxHook string
	spsKey, spsHook            string
	floKey                     string
}

func newBenchSecrets() (benchSecrets, error) {
	r := func(n int) (string, error) {
		b := make([]byte, n)
		_, err := rand.Read(b)
		return hex.EncodeToString(b), err
	}
	hook := func() (string, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return "whsec_" + base64.StdEncoding.EncodeToString(b), err
	}
	var s benchSecrets
	var errs [7]error
	s.rspPassword, errs[0] = r(12)
	s.token, errs[1] = r(32)
	s.resellerPassword, errs[2] = r(12)
	s.mvnxHook, errs[3] = hook()
	s.spsKey, errs[4] = r(16)
	s.spsHook, errs[5] = hook()
	s.floKey, errs[6] = r(16)
	return s, errors.Join(errs[:]...)
}

// The generated inventory's identifiers. Request i of a phase uses the
// i-th SIM (and SQ, number, subscriber) of its API.
const (
	benchServiceType = 9001
	benchProduct     = 9100001
	benchSQ0         = 10000001
	benchSimNumber0  = 100000000 // 9 digits
	benchMVNXICCID0  = "89014104000000000000"
	benchMVNXNumber0 = "2010000000"
	benchSPSICCID0   = "89012600000000000000"
	benchSPSNumber0  = "13000000000"
	benchSPSAccount  = "930000000001"
	benchFloICCID0   = "89972090000000000000"
	benchFloRoot     = "b0000000-0000-4000-8000-000000000001"
	benchFloTarget   = "b0000000-0000-4000-8000-000000000002"
	benchMarket      = "BEN"
)

// writeInventory writes the inventory of the selected APIs in the format
// of README.md "Inventory files", with "count" runs: the file stays small
// whatever n is. MVNX gets 2n SIMs and numbers: n for its acknowledgement
// phase, n for the end-to-end phase.
func writeInventory(w io.Writer, cfg benchConfig, s benchSecrets, listenerURL string) error {
	n := cfg.sims
	var lines []any
	add := func(v map[string]any) { lines = append(lines, v) }
	unlimited := map[string]any{"rps": 0}
	if cfg.apis["soap"] {
		add(map[string]any{"kind": "partner", "id": "bench-rsp", "name": "Bench RSP", "username": "bench-rsp", "password": s.rspPassword, "rate_limit": unlimited})
		add(map[string]any{"kind": "session", "partner": "bench-rsp", "token": s.token, "expires_at": "2099-12-31T00:00:00Z"})
		add(map[string]any{"kind": "service_type", "id": benchServiceType, "name": "BenchMobile", "partners": []string{"bench-rsp"}, "needs_product": true})
		add(map[string]any{"kind": "product", "id": benchProduct, "owner": "bench-rsp", "type": "SIM Card", "category": "BenchMobile"})
		add(map[string]any{"kind": "sim", "sim_number": strconv.Itoa(benchSimNumber0), "count": n, "product": benchProduct, "owner": "bench-rsp", "status": "Held"})
		add(map[string]any{"kind": "sq", "id": benchSQ0, "count": n, "owner": "bench-rsp", "service_type": benchServiceType, "status": "Fulfilment Required", "order": map[string]any{"finalised": true}})
	}
	if cfg.apis["mvnx"] || cfg.apis["e2e"] {
		add(map[string]any{"kind": "partner", "id": "bench-reseller", "name": "Bench Reseller", "username": "bench-reseller", "password": s.resellerPassword, "webhook_secret": s.mvnxHook, "rate_limit": unlimited})
		add(map[string]any{"kind": "plan", "code": "BENCH1", "partners": []string{"bench-reseller"}, "offerings": []string{"BOFF1"}})
		add(map[string]any{"kind": "sim", "iccid": benchMVNXICCID0, "count": 2 * n, "owner": "bench-reseller", "status": "Pending"})
		add(map[string]any{"kind": "number", "msisdn": benchMVNXNumber0, "count": 2 * n, "owner": "bench-reseller", "pool": benchMarket, "status": "Available"})
	}
	if cfg.apis["sps"] {
		add(map[string]any{"kind": "partner", "id": "bench-wholesale", "name": "Bench Wholesale", "api_keys": []string{s.spsKey}, "root_account": benchSPSAccount,
			"webhook_secret": s.spsHook, "callback_url": listenerURL + "/sps", "rate_limit": unlimited})
		add(map[string]any{"kind": "account", "id": benchSPSAccount, "partner": "bench-wholesale", "name": "Bench Wholesale"})
		add(map[string]any{"kind": "plan", "code": "BENCHW", "partners": []string{"bench-wholesale"}, "offerings": []string{"BENCHW-DATA"}})
		add(map[string]any{"kind": "sim", "iccid": benchSPSICCID0, "count": n, "owner": "bench-wholesale", "account": benchSPSAccount, "status": "Available"})
		add(map[string]any{"kind": "number", "msisdn": benchSPSNumber0, "count": n, "owner": "bench-wholesale", "account": benchSPSAccount, "status": "Available"})
	}
	if cfg.apis["flolive"] {
		add(map[string]any{"kind": "partner", "id": "bench-flolive", "name": "Bench Enterprise", "api_keys": []string{s.floKey}, "root_account": benchFloRoot, "rate_limit": unlimited})
		add(map[string]any{"kind": "account", "id": benchFloRoot, "partner": "bench-flolive", "name": "Bench Enterprise"})
		add(map[string]any{"kind": "account", "id": benchFloTarget, "partner": "bench-flolive", "parent": benchFloRoot, "name": "Bench Branch"})
		add(map[string]any{"kind": "subscriber", "owner": "bench-flolive", "account": benchFloRoot, "iccid": benchFloICCID0,
			"imsi": "425099000000000", "msisdn": "972590000000", "count": n})
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# generated by simgate bench: %d per API\n", n)
	enc := json.NewEncoder(bw)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// stepDigits answers the decimal string s plus i, keeping its width.
func stepDigits(s string, i int) string {
	// The identifiers have at most 20 digits: the last 15 are enough for i.
	k := min(len(s), 15)
	head, tail := s[:len(s)-k], s[len(s)-k:]
	v, _ := strconv.ParseInt(tail, 10, 64)
	t := strconv.FormatInt(v+int64(i), 10)
	return head + strings.Repeat("0", max(k-len(t), 0)) + t
}

// phaseSpec is one API's load: the i-th request, and the check of an answer.
type phaseSpec struct {
	name    string
	method  string
	path    string
	header  http.Header
	body    func(i int) []byte
	pathOf  func(i int) string // nil: path
	check   func(code int, body []byte) error
	offset  int // the first inventory index
	limit   int // requests at most
	async   bool
	channel string // the engine's channel name, for the drain
}

// targeter hands out request i to the i-th call, until limit. With an
// echoURL (the ceiling) it sends the same request bytes there, cycling
// through them without end: the attack's duration stops it.
func (p *phaseSpec) targeter(base, echoURL string) vegeta.Targeter {
	return p.targeterOn([]string{base}, echoURL)
}

// targeterOn sends request i to bases[i mod len(bases)]: several servers
// sharing one database take turns.
func (p *phaseSpec) targeterOn(bases []string, echoURL string) vegeta.Targeter {
	var next atomic.Int64
	return func(t *vegeta.Target) error {
		i := int(next.Add(1) - 1)
		switch {
		case echoURL != "":
			i %= p.limit
		case i >= p.limit:
			return vegeta.ErrNoTargets
		}
		t.Method = p.method
		t.Header = p.header
		t.Body = p.body(p.offset + i)
		switch {
		case echoURL != "":
			t.URL = echoURL
		case p.pathOf != nil:
			t.URL = bases[i%len(bases)] + p.pathOf(p.offset+i)
		default:
			t.URL = bases[i%len(bases)] + p.path
		}
		return nil
	}
}

var (
	soapOK    = []byte(`<ns1:ActiveServiceResponse>true</ns1:ActiveServiceResponse>`)
	mvnxOK    = []byte(`"Response":{"code":"0"`)
	spsOK     = []byte(`{"status":"Success"}`)
	floOK     = []byte(`"requestId":"`)
	messageID = []byte(`"messageId":"`)
)

func statusError(code int, body []byte) error {
	if len(body) > 300 {
		body = body[:300]
	}
	return fmt.Errorf("HTTP %d: %s", code, bytes.TrimSpace(body))
}

func checkSOAP(code int, body []byte) error {
	if code != http.StatusOK || !bytes.Contains(body, soapOK) {
		return statusError(code, body)
	}
	return nil
}

func checkMVNX(code int, body []byte) error {
	if code != http.StatusOK || !bytes.Contains(body, mvnxOK) {
		return statusError(code, body)
	}
	return nil
}

func checkSPS(code int, body []byte) error {
	if code != http.StatusOK || !bytes.Equal(bytes.TrimSpace(body), spsOK) {
		return statusError(code, body)
	}
	return nil
}

func checkFloLIVE(code int, body []byte) error {
	if code != http.StatusOK || !bytes.Contains(body, floOK) {
		return statusError(code, body)
	}
	return nil
}

// checkRelay accepts the relay's answer: it names the request's messageId.
func checkRelay(code int, body []byte) error {
	if code != http.StatusOK || !bytes.Contains(body, messageID) {
		return statusError(code, body)
	}
	return nil
}

func checkEcho(size int) func(int, []byte) error {
	return func(code int, body []byte) error {
		if code != http.StatusOK || len(body) != size {
			return statusError(code, body)
		}
		return nil
	}
}

func benchSpecs(cfg benchConfig, s benchSecrets, listenerURL string) map[string]*phaseSpec {
	n, limit := cfg.sims, cfg.requests
	xml := http.Header{"Content-Type": {"text/xml; charset=utf-8"}}
	jsonH := http.Header{"Content-Type": {"application/json"}}
	mvnx := func(prefix, path string) func(int) []byte {
		return func(i int) []byte {
			return []byte(`{"MessageHeader":{"TrackingMessageHeader":{"version":"v185","messageId":"` + prefix + strconv.Itoa(i) +
				`","returnURL":"` + listenerURL + path + `","dateTimeStamp":"2026-11-25T10:00:00Z"},` +
				`"SecurityMessageHeader":{"userName":"bench-reseller","userPassword":"` + s.resellerPassword + `"}},` +
				`"ActivateSubscriberResellerRequest":{"MarketServiceInfo":{"billingMarket":{"localMarket":"` + benchMarket + `","billingMarket":"` + benchMarket + `","billingSubMarket":"708"}},` +
				`"SubscriberReseller":[{"Device":{"SIM":"` + stepDigits(benchMVNXICCID0, i) + `","IMEI":"356938035643809"},` +
				`"PricePlan":{"singleUserCode":"BENCH1","OfferingsBundled":[{"action":"A","offeringCode":"BOFF1"}]}}]}}`)
		}
	}
	return map[string]*phaseSpec{
		"soap": {
			name: "soap", method: http.MethodPost, path: "/userapi/Services", header: xml, limit: limit, check: checkSOAP,
			body: func(i int) []byte {
				return []byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi"><soapenv:Body>` +
					`<urn:ActivateService><urn:loginToken>` + s.token + `</urn:loginToken><urn:SQ_ID>` + strconv.Itoa(benchSQ0+i) +
					`</urn:SQ_ID><urn:sim_number>` + strconv.Itoa(benchSimNumber0+i) + `</urn:sim_number></urn:ActivateService></soapenv:Body></soapenv:Envelope>`)
			},
		},
		"mvnx": {
			name: "mvnx", method: http.MethodPost, path: "/ActivateSubscriberReseller", header: jsonH, limit: limit, check: checkMVNX,
			body: mvnx("bench-mvnx-", "/mvnx"), async: true, channel: "mvnx",
		},
		"e2e": {
			name: "e2e", method: http.MethodPost, path: "/ActivateSubscriberReseller", header: jsonH, limit: limit, offset: n, check: checkMVNX,
			body: mvnx("bench-e2e-", "/e2e"), async: true, channel: "mvnx",
		},
		"sps": {
			name: "sps", method: http.MethodPost, path: "/subscriber-provisioning/v5/subscription", limit: limit, check: checkSPS, async: true, channel: "sps",
			header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + s.spsKey}, "Wholesalecustomerid": {benchSPSAccount}},
			body: func(i int) []byte {
				return []byte(`{"partnerTransactionId":"bench-sps-` + strconv.Itoa(i) + `","subscriberId":"BS` + strconv.Itoa(i) +
					`","wholesalePlanId":"BENCHW","location":{"address":{"addressLine1":"5701 SANTA FE DR","city":"Littleton","state":"CO","zip":"80120"}},` +
					`"billCycleFrequency":"MONTHLY","billCycleStartDay":1,"iccid":"` + stepDigits(benchSPSICCID0, i) + `","pei":"356938035643809",` +
					`"products":[{"productId":"BENCHW-DATA","action":"Add"}]}`)
			},
		},
		"flolive": {
			name: "flolive", method: http.MethodPut, limit: limit, check: checkFloLIVE, async: true, channel: "flolive",
			header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + s.floKey}},
			pathOf: func(i int) string { return "/api/v2/subscriber/iccid/" + stepDigits(benchFloICCID0, i) + "/move" },
			body:   func(int) []byte { return []byte(`{"targetCustomerId":"` + benchFloTarget + `"}`) },
		},
	}
}

// phaseResult is what one attack measured.
type phaseResult struct {
	name        string
	ok, errs    int
	samples     []string
	hist        *hdrhistogram.Histogram
	first, last time.Time // first request sent, last answer read
	bytesIn     uint64
	cpu         time.Duration // server CPU during the attack
	cpuAsync    time.Duration // server CPU from the start to the end of the drain
	others      time.Duration // CPU of other processes during the attack
	drained     time.Duration // from the end of the attack to the last execution
}

func (r *phaseResult) elapsed() time.Duration { return r.last.Sub(r.first) }

func (r *phaseResult) rate() float64 {
	if d := r.elapsed().Seconds(); d > 0 {
		return float64(r.ok) / d
	}
	return 0
}

// othersShare answers the percentage of the machine that other processes
// used during the attack.
func (r *phaseResult) othersShare() float64 {
	if d := r.elapsed().Seconds(); d > 0 {
		return 100 * r.others.Seconds() / (d * float64(runtime.NumCPU()))
	}
	return 0
}

func (r *phaseResult) ms(q float64) float64 {
	return float64(r.hist.ValueAtQuantile(q)) / 1000
}

func (r *phaseResult) meanBytes() int {
	if r.ok == 0 {
		return 0
	}
	return int(math.Round(float64(r.bytesIn) / float64(r.ok)))
}

// attackPhase drives tr with c workers (rate 0: as fast as they can) for
// at most d, checking every answer. onOK sees each good answer.
func attackPhase(ctx context.Context, name string, tr vegeta.Targeter, c int, d time.Duration,
	check func(int, []byte) error, onOK func(*vegeta.Result)) *phaseResult {
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(c)), vegeta.MaxWorkers(uint64(c)),
		vegeta.Connections(c), vegeta.KeepAlive(true), vegeta.Timeout(60*time.Second),
		vegeta.Proxy(func(*http.Request) (*url.URL, error) { return nil, nil }),
	)
	r := &phaseResult{name: name, hist: hdrhistogram.New(1, 60_000_000, 3)}
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	noTargets := vegeta.ErrNoTargets.Error()
	for res := range atk.Attack(tr, vegeta.Rate{Freq: 0}, d, name) {
		if res.Method == "" && res.Error == noTargets {
			continue // the inventory is used up
		}
		if r.first.IsZero() || res.Timestamp.Before(r.first) {
			r.first = res.Timestamp
		}
		if end := res.Timestamp.Add(res.Latency); end.After(r.last) {
			r.last = end
		}
		err := error(nil)
		if res.Code == 0 && res.Error != "" {
			err = errors.New(res.Error)
		} else {
			err = check(int(res.Code), res.Body)
		}
		if err != nil {
			r.errs++
			if len(r.samples) < 5 {
				r.samples = append(r.samples, err.Error())
			}
			continue
		}
		r.ok++
		r.bytesIn += res.BytesIn
		us := res.Latency.Microseconds()
		if us < 1 {
			us = 1
		}
		_ = r.hist.RecordValue(min(us, 60_000_000))
		if onOK != nil {
			onOK(res)
		}
	}
	return r
}

// sink is the partners' notification endpoint: /mvnx and /e2e for the
// reseller, /sps for the wholesale customer. It checks every signature
// with rest/callback.Verify and every outcome, remembers when each
// request's notification first arrived, and acknowledges with code "0".
type sink struct {
	secrets map[string]string // path -> signing secret
	url     string            // where it listens, http://host:port

	mu       sync.Mutex
	got      map[string]time.Time // path + " " + key -> first arrival
	count    map[string]int       // path -> distinct keys
	size     map[string]int       // path -> body bytes of the first arrivals
	repeats  int
	problems []string
	nProblem int
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "cannot read", http.StatusBadRequest)
		return
	}
	secret, ok := s.secrets[r.URL.Path]
	if !ok {
		s.problem("notification to unknown path %s", r.URL.Path)
		http.Error(w, "unknown path", http.StatusNotFound)
		return
	}
	if err := callback.Verify(secret, r.Header, body, callback.DefaultTolerance, now); err != nil {
		s.problem("%s: signature: %v", r.URL.Path, err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	key, outcome := "", ""
	if r.URL.Path == "/sps" {
		var m struct {
			EventType, Status    string
			PartnerTransactionID string `json:"partnerTransactionId"`
		}
		_ = json.Unmarshal(body, &m)
		key = m.PartnerTransactionID
		if m.EventType != "SubscriptionActivated" || m.Status != "Success" {
			outcome = m.EventType + " " + m.Status
		}
	} else {
		var m struct {
			MessageHeader struct {
				TrackingMessageHeader struct {
					ResponseTo string `json:"responseTo"`
				}
			}
			ActivateSubscriberResellerResponse struct {
				Subscriber struct {
					SubscriberStatus string `json:"subscriberStatus"`
					Code             string `json:"code"`
				}
			}
		}
		_ = json.Unmarshal(body, &m)
		key = m.MessageHeader.TrackingMessageHeader.ResponseTo
		if sub := m.ActivateSubscriberResellerResponse.Subscriber; sub.SubscriberStatus != "A" {
			outcome = "subscriberStatus " + sub.SubscriberStatus + " " + sub.Code
		}
	}
	if key == "" || outcome != "" {
		s.problem("%s: notification for %q is not a success: %s", r.URL.Path, key, outcome)
	}
	s.mu.Lock()
	k := r.URL.Path + " " + key
	if _, seen := s.got[k]; seen {
		s.repeats++
	} else {
		s.got[k] = now
		s.count[r.URL.Path]++
		s.size[r.URL.Path] += len(body)
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
}

func (s *sink) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nProblem++
	if len(s.problems) < 5 {
		s.problems = append(s.problems, fmt.Sprintf(format, args...))
	}
}

func (s *sink) received(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[path]
}

// meanBytes answers the mean body size of the notifications to path.
func (s *sink) meanBytes(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count[path] == 0 {
		return 0
	}
	return int(math.Round(float64(s.size[path]) / float64(s.count[path])))
}

func (s *sink) arrival(path, key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.got[path+" "+key]
	return t, ok
}

// server is the simgate serve process under test.
type server struct {
	cmd    *exec.Cmd
	base   string
	client *http.Client
	done   chan struct{}
	err    error
	// peers are the other servers on the same PostgreSQL store: their CPU
	// and their engines' counts add to this one's, and they stop with it.
	peers []*server
	// pgCPU, when set, adds the CPU of the local PostgreSQL server's
	// processes to the servers' own: on PostgreSQL it is part of the cost.
	pgCPU bool
}

// bases answers the URLs of the server and its peers.
func (s *server) bases() []string {
	out := []string{s.base}
	for _, p := range s.peers {
		out = append(out, p.base)
	}
	return out
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *server) stop() {
	for _, p := range s.peers {
		p.stop()
	}
	if s.exited() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// cpu answers the server's user + system CPU time so far, from
// /proc/<pid>/stat (clock ticks of 1/100 s).
func (s *server) cpu() time.Duration {
	d, _ := procCPU(s.cmd.Process.Pid)
	for _, p := range s.peers {
		d += p.cpu()
	}
	if s.pgCPU {
		d += postgresCPU()
	}
	return d
}

// postgresCPU answers the CPU time of this machine's processes named
// postgres (the server, its background workers and the backends of the
// open connections).
func postgresCPU() time.Duration {
	var total time.Duration
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + d.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		if c, err := procCPU(pid); err == nil {
			total += c
		}
	}
	return total
}

func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 > len(b) {
		return 0, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(string(b[i+2:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("unexpected /proc stat format")
	}
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// machineCPU answers the busy CPU time of the whole machine so far, from
// /proc/stat: what every process used, to tell how much of a phase's
// machine went to processes other than the server and the bench.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / 100
}

// loadAverage answers the first field of /proc/loadavg.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// cpuMark is the CPU counters at one moment.
type cpuMark struct{ server, self, machine time.Duration }

func (s *server) mark() cpuMark {
	self, _ := procCPU(os.Getpid())
	m := cpuMark{self: self, machine: machineCPU()}
	if s != nil {
		m.server = s.cpu()
	}
	return m
}

// since answers the server's CPU and what processes other than the server
// and the bench used since m.
func (s *server) since(m cpuMark) (server, others time.Duration) { // s may be nil
	n := s.mark()
	server = n.server - m.server
	others = (n.machine - m.machine) - server - (n.self - m.self)
	return server, max(others, 0)
}

func (s *server) get(path string) ([]byte, error) {
	res, err := s.client.Get(s.base + path)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return b, err
}

func (s *server) post(path string) ([]byte, error) { return s.send(http.MethodPost, path, nil) }

// send makes a request of the bench hooks; body, if not nil, goes as JSON.
func (s *server) send(method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode/100 != 2 {
		err = fmt.Errorf("%s %s: %s: %s", method, path, res.Status, b)
	}
	return b, err
}

var executedRE = regexp.MustCompile(`(?m)^simgate_transactions_executed_total\{channel="([^"]+)",status="([^"]+)"\} (\S+)$`)
var deadRE = regexp.MustCompile(`(?m)^simgate_delivery_dead_letters_total\{[^}]*\} (\S+)$`)
var retryRE = regexp.MustCompile(`(?m)^simgate_delivery_attempts_total\{[^}]*outcome="retry"[^}]*\} (\S+)$`)

// engineCounts reads the server's metrics: executed transactions by
// channel and status, dead letters, delivery retries.
type engineCounts struct {
	executed      map[string]map[string]int
	dead, retries int
}

// relayCounts adds up what the bench relays of s and its peers sent and
// failed to send.
func (s *server) relayCounts() (benchRelayCounts, error) {
	var sum benchRelayCounts
	for _, srv := range append([]*server{s}, s.peers...) {
		var c benchRelayCounts
		raw, err := srv.get("/bench/relay")
		if err == nil {
			err = json.Unmarshal(raw, &c)
		}
		if err != nil {
			return sum, err
		}
		sum.Sent += c.Sent
		sum.Failed += c.Failed
		if c.Error != "" {
			sum.Error = c.Error
		}
	}
	return sum, nil
}

func (s *server) engine() (engineCounts, error) {
	c := engineCounts{executed: map[string]map[string]int{}}
	for _, srv := range append([]*server{s}, s.peers...) {
		if err := srv.addEngine(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (s *server) addEngine(c *engineCounts) error {
	b, err := s.get("/metrics")
	if err != nil {
		return err
	}
	for _, m := range executedRE.FindAllSubmatch(b, -1) {
		v, _ := strconv.ParseFloat(string(m[3]), 64)
		ch := string(m[1])
		if c.executed[ch] == nil {
			c.executed[ch] = map[string]int{}
		}
		c.executed[ch][string(m[2])] += int(v)
	}
	for _, m := range deadRE.FindAllSubmatch(b, -1) {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		c.dead += int(v)
	}
	for _, m := range retryRE.FindAllSubmatch(b, -1) {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		c.retries += int(v)
	}
	return nil
}

func (c engineCounts) failed(ch string) int {
	n := 0
	for st, v := range c.executed[ch] {
		if st != "succeeded" {
			n += v
		}
	}
	return n
}

// run is one bench run's state.
type benchRun struct {
	cfg     benchConfig
	out     io.Writer
	log     io.Writer
	srv     *server
	sink    *sink
	specs   map[string]*phaseSpec
	results []*apiResult
	e2e     *e2eResult
	// e2eCeiling is the same requests through the server's bare relay.
	e2eCeiling *e2eResult
	errs       []string
	load       string // the load average when the run started
}

type apiResult struct {
	api, echo *phaseResult
	size      int
}

type e2eResult struct {
	acks          *phaseResult
	delivered     int
	lastCallback  time.Time
	ackToCallback *hdrhistogram.Histogram
}

// span is from the first request to the last notification.
func (e *e2eResult) span() time.Duration { return e.lastCallback.Sub(e.acks.first) }

// rate answers activations per second over the span.
func (e *e2eResult) rate() float64 {
	if s := e.span().Seconds(); e.delivered > 0 && s > 0 {
		return float64(e.delivered) / s
	}
	return 0
}

// row prints e as a row of the end-to-end table, with its ack→callback
// times if latency; "–" where nothing was measured.
func (e *e2eResult) row(w io.Writer, name, ratio string, latency bool) {
	a, span := e.acks, e.span()
	seconds, rate, others, p50, p99 := "–", "–", "–", "–", "–"
	if e.delivered > 0 && span > 0 {
		seconds, rate = fmt.Sprintf("%.2f", span.Seconds()), fmt.Sprintf("%.0f", e.rate())
		others = fmt.Sprintf("%.0f", 100*a.others.Seconds()/(span.Seconds()*float64(runtime.NumCPU())))
		if latency {
			p50 = fmt.Sprintf("%.1f", float64(e.ackToCallback.ValueAtQuantile(50))/1000)
			p99 = fmt.Sprintf("%.1f", float64(e.ackToCallback.ValueAtQuantile(99))/1000)
		}
	}
	fmt.Fprintf(w, "| %s | %d | %.0f | %d | %s | %s | %s | %s | %s | %.3f | %s |\n", name, a.ok, a.rate(), e.delivered, seconds, rate, ratio,
		p50, p99, perK(a.cpuAsync, a.ok), others)
}

func (b *benchRun) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.errs = append(b.errs, msg)
	fmt.Fprintln(b.log, "bench: ERROR:", msg)
}

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := benchFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.bin == "" {
		if cfg.bin, err = os.Executable(); err != nil {
			return err
		}
	}
	dir := cfg.keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "simgate-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if cfg.profileDir != "" {
		if err := os.MkdirAll(cfg.profileDir, 0o750); err != nil {
			return err
		}
	}
	secrets, err := newBenchSecrets()
	if err != nil {
		return err
	}

	// The partners' endpoint, first: its URL goes into the inventory.
	snk := &sink{secrets: map[string]string{"/mvnx": secrets.mvnxHook, "/e2e": secrets.mvnxHook, "/relay": secrets.mvnxHook, "/sps": secrets.spsHook},
		got: map[string]time.Time{}, count: map[string]int{}, size: map[string]int{}}
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sinkSrv := &http.Server{Handler: snk, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = sinkSrv.Serve(sln) }()
	defer sinkSrv.Close()
	sinkURL := "http://" + sln.Addr().String()
	snk.url = sinkURL

	b := &benchRun{cfg: cfg, out: stdout, log: stderr, sink: snk, specs: benchSpecs(cfg, secrets, sinkURL), load: loadAverage()}
	fmt.Fprintf(stderr, "bench: %d per API, %d clients, at most %s per phase, in %s\n", cfg.sims, cfg.concurrency, cfg.duration, dir)

	// Inventory and import.
	inv := filepath.Join(dir, "inventory.jsonl")
	f, err := os.Create(inv)
	if err != nil {
		return err
	}
	if err := writeInventory(f, cfg, secrets, sinkURL); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	db := filepath.Join(dir, "simgate.db")
	_ = os.Remove(db) // always a fresh database
	dbArgs := []string{"--db", db}
	if cfg.store != "" {
		// A new schema of the given database: a fresh store every run.
		dsn, drop, err := benchSchema(ctx, cfg.store)
		if err != nil {
			return err
		}
		if cfg.keep == "" {
			defer drop()
		}
		dbArgs = []string{"--store", dsn}
	}
	b.waitIdle(ctx, "the import")
	imp, err := runImport(ctx, cfg.bin, dbArgs, inv, cfg.bcryptCost)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench: imported %d records (%d SIMs) in %s\n", imp.records, imp.sims, imp.took.Round(time.Millisecond))

	// The server.
	srv, startTook, err := startServer(ctx, cfg, dbArgs, filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	defer srv.stop()
	srv.pgCPU = cfg.store != ""
	for i := 1; i < cfg.instances; i++ {
		peer, _, err := startServer(ctx, cfg, dbArgs, filepath.Join(dir, fmt.Sprintf("server-%d.log", i+1)))
		if err != nil {
			return err
		}
		srv.peers = append(srv.peers, peer)
	}
	b.srv = srv
	fmt.Fprintf(stderr, "bench: server healthy %s after exec\n", startTook.Round(time.Millisecond))

	for _, api := range benchAPIs[:4] {
		if ctx.Err() != nil || !cfg.apis[api] {
			continue
		}
		b.apiPhase(ctx, api)
	}
	if cfg.apis["e2e"] && ctx.Err() == nil {
		b.e2ePhase(ctx)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// Every asynchronous execution succeeded, no notification was lost.
	if ec, err := srv.engine(); err != nil {
		b.fail("reading the metrics: %v", err)
	} else {
		for _, ch := range []string{"mvnx", "sps", "flolive"} {
			if n := ec.failed(ch); n > 0 {
				b.fail("%d %s transactions did not succeed: %v", n, ch, ec.executed[ch])
			}
		}
		if ec.dead > 0 {
			b.fail("%d notifications became dead letters", ec.dead)
		}
		if ec.retries > 0 {
			fmt.Fprintf(stderr, "bench: note: %d notification deliveries were retried\n", ec.retries)
		}
	}
	snk.mu.Lock()
	if snk.nProblem > 0 {
		b.fail("%d bad notifications, e.g. %s", snk.nProblem, strings.Join(snk.problems, "; "))
	}
	snk.mu.Unlock()

	var heap benchHeap
	if raw, err := srv.get("/bench/heap"); err != nil {
		b.fail("reading the heap: %v", err)
	} else if err := json.Unmarshal(raw, &heap); err != nil {
		b.fail("reading the heap: %v", err)
	}
	srv.stop()
	if srv.err != nil && !isSignalExit(srv.err) {
		b.fail("server exited with %v (see %s)", srv.err, filepath.Join(dir, "server.log"))
	}

	b.report(imp, startTook, heap)
	if len(b.errs) > 0 {
		return fmt.Errorf("%d problems: %s", len(b.errs), strings.Join(b.errs, "; "))
	}
	return nil
}

func isSignalExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && !ee.Exited()
}

type importResult struct {
	took          time.Duration
	records, sims int
}

var importLineRE = regexp.MustCompile(`(?m)^(\w+)\s+(\d+)$`)

func runImport(ctx context.Context, bin string, dbArgs []string, inv string, cost int) (importResult, error) {
	var r importResult
	cmd := exec.CommandContext(ctx, bin, append(append([]string{"import"}, dbArgs...), "--bcrypt-cost", strconv.Itoa(cost), inv)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r.took = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("simgate import: %v: %s", err, out.Bytes())
	}
	for _, m := range importLineRE.FindAllStringSubmatch(out.String(), -1) {
		v, _ := strconv.Atoi(m[2])
		r.records += v
		if m[1] == "sim" || m[1] == "subscriber" {
			r.sims += v
		}
	}
	return r, nil
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// startServer runs simgate serve and answers the time from exec to the
// first 200 of /healthz.
func startServer(ctx context.Context, cfg benchConfig, dbArgs []string, logPath string) (*server, time.Duration, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, 0, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, 0, err
	}
	args := append(append([]string{"serve", "--addr", addr}, dbArgs...), "--admin-addr", "", "--bench-echo",
		"--allow-private-callbacks", "true", "--rate-limit", "0", "--bcrypt-cost", strconv.Itoa(cfg.bcryptCost))
	args = append(args, cfg.serveArgs...)
	cmd := exec.Command(cfg.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	s := &server{cmd: cmd, base: "http://" + addr, done: make(chan struct{}),
		client: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, DisableCompression: true}}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, 0, err
	}
	go func() { s.err = cmd.Wait(); logf.Close(); close(s.done) }()
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := start.Add(2 * time.Minute)
	for {
		res, err := probe.Get(s.base + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, time.Since(start), nil
			}
		}
		switch {
		case s.exited():
			return nil, 0, fmt.Errorf("simgate serve exited: %v (see %s)", s.err, logPath)
		case time.Now().After(deadline), ctx.Err() != nil:
			s.stop()
			return nil, 0, fmt.Errorf("simgate serve did not become healthy (see %s)", logPath)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitIdle waits, up to --wait-idle, for a second in which the processes
// other than the server and the bench use under 5% of the machine.
func (b *benchRun) waitIdle(ctx context.Context, what string) {
	if b.cfg.waitIdle <= 0 {
		return
	}
	deadline := time.Now().Add(b.cfg.waitIdle)
	waited := false
	for {
		m := b.srv.mark()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		_, others := b.srv.since(m)
		share := others.Seconds() / float64(runtime.NumCPU())
		if share < 0.05 {
			if waited {
				fmt.Fprintf(b.log, "bench: machine idle, starting %s\n", what)
			}
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(b.log, "bench: machine still busy (other processes at %.0f%%), starting %s anyway\n", 100*share, what)
			return
		}
		if !waited {
			fmt.Fprintf(b.log, "bench: other processes use %.0f%% of the machine, waiting before %s\n", 100*share, what)
			waited = true
		}
	}
}

// profile runs f with a CPU profile of the server written to
// DIR/<name>.pprof when --profile is set.
func (b *benchRun) profile(name string, f func()) {
	if b.cfg.profileDir == "" {
		f()
		return
	}
	if _, err := b.srv.post("/bench/cpuprofile/start"); err != nil {
		b.fail("starting the CPU profile: %v", err)
		f()
		return
	}
	f()
	raw, err := b.srv.post("/bench/cpuprofile/stop")
	if err != nil {
		b.fail("stopping the CPU profile: %v", err)
		return
	}
	p := filepath.Join(b.cfg.profileDir, name+".pprof")
	if err := os.WriteFile(p, raw, 0o640); err != nil {
		b.fail("writing %s: %v", p, err)
		return
	}
	fmt.Fprintf(b.log, "bench: %s: CPU profile in %s\n", name, p)
}

func (b *benchRun) apiPhase(ctx context.Context, api string) {
	spec := b.specs[api]
	var res *phaseResult
	b.waitIdle(ctx, api)
	m := b.srv.mark()
	b.profile(api, func() {
		res = attackPhase(ctx, api, spec.targeterOn(b.srv.bases(), ""), b.cfg.concurrency, b.cfg.duration, spec.check, nil)
		res.cpu, res.others = b.srv.since(m)
	})
	if spec.async {
		b.profile(api+"-drain", func() { b.drain(ctx, spec, res) })
	}
	res.cpuAsync, _ = b.srv.since(m)
	b.phaseDone(res)
	size := res.meanBytes()
	echoURL := b.srv.base + "/bench/echo?size=" + strconv.Itoa(size)
	b.waitIdle(ctx, api+" ceiling")
	// As long as the API's phase took (at least a second, at most
	// --duration): rates measured over windows of the same length.
	d := min(max(res.elapsed(), time.Second), b.cfg.duration)
	m = b.srv.mark()
	echo := attackPhase(ctx, api+" ceiling", spec.targeter(b.srv.base, echoURL), b.cfg.concurrency, d, checkEcho(size), nil)
	echo.cpu, echo.others = b.srv.since(m)
	echo.cpuAsync = echo.cpu
	b.phaseDone(echo)
	b.results = append(b.results, &apiResult{api: res, echo: echo, size: size})
}

func (b *benchRun) phaseDone(r *phaseResult) {
	fmt.Fprintf(b.log, "bench: %s: %d ok, %d errors in %s (%.0f/s, p99 %.1f ms; other processes used %.1f CPU s)\n", r.name, r.ok, r.errs,
		r.elapsed().Round(time.Millisecond), r.rate(), r.ms(99), r.others.Seconds())
	if r.errs > 0 {
		b.fail("%s: %d of %d requests failed, e.g. %s", r.name, r.errs, r.ok+r.errs, strings.Join(r.samples, " | "))
	}
}

// drain waits until every acknowledged request of the phase has executed
// (and, for MVNX and SPS, its notification arrived), so that the next phase
// does not share the machine with this one's backlog.
func (b *benchRun) drain(ctx context.Context, spec *phaseSpec, r *phaseResult) {
	start := time.Now()
	deadline := start.Add(b.cfg.drainTimeout)
	// MVNX and SPS: the notifications the sink received for this phase;
	// floLIVE (no notifications): the transactions the engine executed on
	// its channel, which this phase alone uses.
	path := map[string]string{"mvnx": "/mvnx", "e2e": "/e2e", "e2e ceiling": "/relay", "sps": "/sps"}[spec.name]
	finished := func() int {
		if path != "" {
			return b.sink.received(path)
		}
		ec, err := b.srv.engine()
		if err != nil {
			return 0
		}
		n := 0
		for _, v := range ec.executed[spec.channel] {
			n += v
		}
		return n
	}
	for {
		got := finished()
		if got >= r.ok {
			r.drained = time.Since(start)
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil || b.srv.exited() {
			b.fail("%s: %d of %d acknowledged requests not finished after %s", spec.name, r.ok-got, r.ok, time.Since(start).Round(time.Second))
			return
		}
		if path == "/relay" { // the relay does not retry: a failed send never arrives
			c, err := b.srv.relayCounts()
			switch {
			case err != nil:
				b.fail("%s: reading the relay's counts: %v", spec.name, err)
				return
			case c.Failed > 0:
				b.fail("%s: the relay failed to send %d notifications, e.g. %s", spec.name, c.Failed, c.Error)
				return
			}
		}
		if path != "" {
			time.Sleep(10 * time.Millisecond)
		} else {
			time.Sleep(100 * time.Millisecond) // each look at /metrics costs the server a little
		}
	}
}

func (b *benchRun) e2ePhase(ctx context.Context) {
	spec := b.specs["e2e"]
	b.e2e = b.e2eRun(ctx, spec, "/e2e", "e2e")
	if ctx.Err() != nil || b.e2e.delivered == 0 || b.e2e.acks.errs > 0 {
		return // nothing sound to measure the ceiling against
	}
	// The ceiling: the same requests, as many as the pipeline acknowledged,
	// each acknowledged and notified by the server's bare relay with an
	// acknowledgement and a notification of the same sizes, to the same
	// listener, through a sender set up like the engine's.
	relay := *spec
	relay.name, relay.path, relay.pathOf, relay.check = "e2e ceiling", "/bench/relay", nil, checkRelay
	relay.limit = b.e2e.acks.ok
	setup := relaySetup{To: b.sink.url + "/relay", Secret: b.sink.secrets["/relay"],
		AckBytes: b.e2e.acks.meanBytes(), NotificationBytes: b.sink.meanBytes("/e2e"), Requests: relay.limit}
	for _, srv := range append([]*server{b.srv}, b.srv.peers...) {
		if _, err := srv.send(http.MethodPut, "/bench/relay", setup); err != nil {
			b.fail("e2e ceiling: setting up the relay: %v", err)
			return
		}
	}
	b.e2eCeiling = b.e2eRun(ctx, &relay, "/relay", "e2e-ceiling")
}

// e2eRun sends spec's requests and waits for their notifications at the
// sink's path: from the first request to the last notification.
func (b *benchRun) e2eRun(ctx context.Context, spec *phaseSpec, path, profile string) *e2eResult {
	acked := map[string]time.Time{}
	var mu sync.Mutex
	onOK := func(res *vegeta.Result) {
		i := bytes.Index(res.Body, messageID)
		if i < 0 {
			return
		}
		rest := res.Body[i+len(messageID):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			return
		}
		mu.Lock()
		acked[string(rest[:j])] = res.Timestamp.Add(res.Latency)
		mu.Unlock()
	}
	var res *phaseResult
	b.waitIdle(ctx, spec.name)
	b.profile(profile, func() {
		m := b.srv.mark()
		res = attackPhase(ctx, spec.name, spec.targeterOn(b.srv.bases(), ""), b.cfg.concurrency, b.cfg.duration, spec.check, onOK)
		b.drain(ctx, spec, res)
		res.cpuAsync, res.others = b.srv.since(m)
		res.cpu = res.cpuAsync
	})
	b.phaseDone(res)
	e := &e2eResult{acks: res, ackToCallback: hdrhistogram.New(1, 3_600_000_000, 3)}
	mu.Lock()
	defer mu.Unlock()
	for id, at := range acked {
		cb, ok := b.sink.arrival(path, id)
		if !ok {
			continue
		}
		e.delivered++
		if cb.After(e.lastCallback) {
			e.lastCallback = cb
		}
		_ = e.ackToCallback.RecordValue(max(1, min(cb.Sub(at).Microseconds(), 3_600_000_000)))
	}
	if len(acked) != res.ok {
		b.fail("%s: %d acknowledgements without a messageId", spec.name, res.ok-len(acked))
	}
	return e
}

func (b *benchRun) report(imp importResult, start time.Duration, heap benchHeap) {
	w := b.out
	fmt.Fprintf(w, "\nsimgate bench: --sims %d --requests %d --concurrency %d --duration %s, bcrypt cost %s, fsync on\n",
		b.cfg.sims, b.cfg.requests, b.cfg.concurrency, b.cfg.duration, costName(b.cfg.bcryptCost))
	if b.cfg.store != "" {
		fmt.Fprintf(w, "store: PostgreSQL, %d simgate instance(s) sharing it, requests round robin; CPU columns include this machine's postgres processes\n", b.cfg.instances)
	} else {
		fmt.Fprintln(w, "store: bbolt, one simgate instance")
	}
	fmt.Fprintln(w)
	if len(b.results) > 0 {
		fmt.Fprintln(w, "| API | requests | req/s | p50 ms | p90 ms | p99 ms | ceiling req/s | ratio | CPU s/1k req | CPU s/1k incl. async | response bytes | other processes % |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, r := range b.results {
			a, e := r.api, r.echo
			ratio := 0.0
			if e.rate() > 0 {
				ratio = a.rate() / e.rate()
			}
			fmt.Fprintf(w, "| %s | %d | %.0f | %.2f | %.2f | %.2f | %.0f | %.2f | %.3f | %.3f | %d | %.0f |\n",
				a.name, a.ok, a.rate(), a.ms(50), a.ms(90), a.ms(99), e.rate(), ratio, perK(a.cpu, a.ok), perK(a.cpuAsync, a.ok), r.size,
				max(a.othersShare(), e.othersShare()))
		}
		fmt.Fprintln(w, "\nCeiling: the same request bytes to /bench/echo?size=<response bytes>, same clients:")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| ceiling of | requests | req/s | p50 ms | p90 ms | p99 ms | CPU s/1k req |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
		for _, r := range b.results {
			e := r.echo
			fmt.Fprintf(w, "| %s | %d | %.0f | %.2f | %.2f | %.2f | %.3f |\n", r.api.name, e.ok, e.rate(), e.ms(50), e.ms(90), e.ms(99), perK(e.cpu, e.ok))
		}
	}
	if e := b.e2e; e != nil {
		fmt.Fprintln(w, "\nEnd to end: MVNX activations, first submit to last signed callback received. The ceiling sends the same")
		fmt.Fprintln(w, "requests to /bench/relay, which acknowledges each and sends a signed notification of the same sizes to the")
		fmt.Fprintln(w, "same listener, with as many in flight, and does nothing else; ratio is activations/s over the ceiling's.")
		fmt.Fprintln(w, "The relay acknowledges faster than it notifies: its ack→callback times are its own queue's, not shown.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| phase | activations | acks/s | callbacks | seconds | activations/s | ratio | ack→callback p50 ms | p99 ms | CPU s/1k | other processes % |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		ratio := "–"
		if c := b.e2eCeiling; c != nil && c.rate() > 0 && e.rate() > 0 {
			ratio = fmt.Sprintf("%.2f", e.rate()/c.rate())
		}
		e.row(w, "e2e", ratio, true)
		if c := b.e2eCeiling; c != nil {
			c.row(w, "e2e ceiling", "1", false)
		}
	}
	fmt.Fprintln(w)
	rate := 0.0
	if imp.took > 0 {
		rate = float64(imp.sims) / imp.took.Seconds()
	}
	fmt.Fprintf(w, "import: %d SIMs (%d records) in %.2f s (%.0f SIMs/s)\n", imp.sims, imp.records, imp.took.Seconds(), rate)
	fmt.Fprintf(w, "server start: %.3f s from exec to /healthz 200\n", start.Seconds())
	fmt.Fprintf(w, "server heap after the run: %.1f MiB (HeapAlloc after GC; HeapInuse %.1f MiB, Sys %.1f MiB)\n",
		mib(heap.HeapAlloc), mib(heap.HeapInuse), mib(heap.Sys))
	errs := 0
	for _, r := range b.results {
		errs += r.api.errs + r.echo.errs
	}
	for _, e := range []*e2eResult{b.e2e, b.e2eCeiling} {
		if e != nil {
			errs += e.acks.errs
		}
	}
	var others, wall time.Duration
	phases := []*phaseResult{}
	for _, r := range b.results {
		phases = append(phases, r.api, r.echo)
	}
	for _, e := range []*e2eResult{b.e2e, b.e2eCeiling} {
		if e != nil {
			phases = append(phases, e.acks)
		}
	}
	for _, p := range phases {
		others += p.others
		wall += p.elapsed()
	}
	share := 0.0
	if wall > 0 {
		share = others.Seconds() / (wall.Seconds() * float64(runtime.NumCPU()))
	}
	fmt.Fprintf(w, "machine: %d CPUs, load average %s at the start; other processes used %.1f CPU s during the attacks (%.0f%% of the machine)\n",
		runtime.NumCPU(), b.load, others.Seconds(), 100*share)
	if share > 0.05 {
		fmt.Fprintln(w, "WARNING: the machine was not idle: these figures are not comparable with a quiet run")
	}
	fmt.Fprintf(w, "errors: %d request errors, %d problems\n", errs, len(b.errs))
}

func perK(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return d.Seconds() * 1000 / float64(n)
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

func costName(c int) string {
	if c == 0 {
		return "10 (default)"
	}
	return strconv.Itoa(c)
}
