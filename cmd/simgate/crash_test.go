package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
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

// demoResellerSecret is the sandbox's signing secret of demo-reseller.
const demoResellerSecret = "whsec_c2ltZ2F0ZS1kZW1vLXJlc2VsbGVyLXdlYmhvb2s="

// buildBinary compiles simgate once for the process-level tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "simgate")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// listener is a partner endpoint: it verifies every signature, remembers
// each webhook-id and the bodies seen under it, and acknowledges with "0".
type listener struct {
	mu       sync.Mutex
	byID     map[string][][]byte
	byMsg    map[string]int // request messageId -> deliveries received
	badSigns int
}

func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// A partner that takes a while to answer widens the window in which a
	// kill lands between the POST and its record.
	time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := callback.Verify(demoResellerSecret, r.Header, body, time.Hour, time.Now()); err != nil {
		l.badSigns++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("webhook-id")
	l.byID[id] = append(l.byID[id], body)
	var msg struct {
		MessageHeader struct{ TrackingMessageHeader struct{ ResponseTo string } }
	}
	_ = json.Unmarshal(body, &msg)
	l.byMsg[msg.MessageHeader.TrackingMessageHeader.ResponseTo]++
	_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
}

type proc struct {
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

func startProc(t *testing.T, bin, addr, db string) *proc {
	t.Helper()
	p := &proc{logs: &bytes.Buffer{}}
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

// A real simgate process is killed with SIGKILL at random moments while
// partners send activations and notifications are delivered; it is
// restarted each time. Afterwards no acknowledged request is lost, none was
// executed twice, every notification arrived with a stable webhook-id, and
// the database is consistent.
func TestKill9DuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	const requests, minKills = 80, 20
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "simgate.db")
	addr := freeAddr(t)
	l := &listener{byID: map[string][][]byte{}, byMsg: map[string]int{}}
	partner := httptest.NewServer(l)
	defer partner.Close()

	var mu sync.Mutex
	p := startProc(t, bin, addr, db)
	acked := map[int]string{} // request -> uniqueTransactionId
	kills := 0
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var wg sync.WaitGroup
	work := make(chan int)
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				body := mvnxRequest(i, partner.URL+"/mvnx")
				for ctx.Err() == nil { // a partner retries until acknowledged
					res, err := client.Post("http://"+addr+"/ActivateSubscriberReseller", "application/json", bytes.NewReader(body))
					if err != nil {
						time.Sleep(20 * time.Millisecond)
						continue
					}
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					var ack struct {
						MessageHeader struct {
							TrackingMessageHeader struct{ UniqueTransactionID string }
						}
						RequestAcknowledgement struct{ Response struct{ Code string } }
					}
					if res.StatusCode == http.StatusOK && json.Unmarshal(b, &ack) == nil && ack.RequestAcknowledgement.Response.Code == "0" {
						mu.Lock()
						if prev, ok := acked[i]; ok && prev != ack.MessageHeader.TrackingMessageHeader.UniqueTransactionID {
							t.Errorf("request %d acknowledged as two transactions: %s and %s", i, prev, ack.MessageHeader.TrackingMessageHeader.UniqueTransactionID)
						}
						acked[i] = ack.MessageHeader.TrackingMessageHeader.UniqueTransactionID
						mu.Unlock()
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	go func() {
		for i := 0; i < requests; i++ {
			work <- i
		}
		close(work)
	}()

	// The killer: SIGKILL at random moments, restart, until every request
	// is acknowledged, enough kills happened, and every notification has
	// arrived: kills land in submit, execution and delivery alike.
	allAcked := func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) == requests }
	allNotified := func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.byMsg) >= requests
	}
	for ctx.Err() == nil && (kills < minKills || !allAcked() || !allNotified()) {
		time.Sleep(time.Duration(20+rand.IntN(180)) * time.Millisecond)
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
		_ = p.cmd.Wait()
		kills++
		p = startProc(t, bin, addr, db)
	}
	wg.Wait()
	require.NoError(t, ctx.Err(), "load did not finish")

	// Every acknowledged request's notification arrives.
	deadline := time.Now().Add(60 * time.Second)
	for {
		l.mu.Lock()
		missing := 0
		for i := 0; i < requests; i++ {
			if l.byMsg[fmt.Sprintf("crash-%d", i)] == 0 {
				missing++
			}
		}
		l.mu.Unlock()
		if missing == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "%d notifications never arrived; logs:\n%s", missing, p.logs.String())
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, p.cmd.Wait(), p.logs.String())

	// The database: consistent, every acknowledged request executed once.
	s, err := store.Open(db, store.Options{})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Bolt().View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}))
	redelivered := 0
	l.mu.Lock()
	for id, bodies := range l.byID {
		redelivered += len(bodies) - 1
		for _, b := range bodies[1:] {
			assert.Equal(t, string(bodies[0]), string(b), "webhook-id %s redelivered with another body", id)
		}
	}
	assert.Zero(t, l.badSigns)
	l.mu.Unlock()
	subscriptions := map[string]string{}
	lost, twice := 0, 0
	require.NoError(t, s.View(context.Background(), func(tx core.Tx) error {
		for i, id := range acked {
			tr, ok, err := tx.Transaction(id)
			require.NoError(t, err)
			if !ok {
				lost++
				t.Errorf("acknowledged request %d lost", i)
				continue
			}
			assert.Equal(t, core.TxSucceeded, tr.Status, "request %d", i)
			require.Len(t, tr.Results, 1)
			sub := tr.Results[0].Subscription
			require.NotNil(t, sub)
			if prev, dup := subscriptions[sub.MSISDN]; dup {
				twice++
				t.Errorf("number %s held by %s and %s", sub.MSISDN, prev, sub.ID)
			}
			subscriptions[sub.MSISDN] = sub.ID
			sim, _, err := tx.SIMByICCID(sub.ICCID)
			require.NoError(t, err)
			if sim.Subscription != sub.ID {
				twice++
				t.Errorf("SIM %s bound to %s, not to %s", sub.ICCID, sim.Subscription, sub.ID)
			}
			ds, err := tx.DeliveriesOf(id)
			require.NoError(t, err)
			require.Len(t, ds, 1)
			assert.Equal(t, core.DeliveryDelivered, ds[0].Status)
		}
		return nil
	}))
	assert.Len(t, subscriptions, requests)
	t.Logf("requests %d, kills %d, acknowledged %d, lost %d, executed twice %d, notifications %d distinct, %d redelivered with the same webhook-id",
		requests, kills, len(acked), lost, twice, len(l.byID), redelivered)
}
