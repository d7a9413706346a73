package tmf_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/callback"
	"simgate/rest/mvnx"
	"simgate/rest/resttest"
	"simgate/rest/tmf"
)

// The sandbox's keys and demo-reseller's signing secret.
const (
	demoKey    = "demo-tmf-key"
	otherKey   = "other-tmf-key"
	demoSecret = "whsec_c2ltZ2F0ZS1kZW1vLXJlc2VsbGVyLXdlYmhvb2s="
)

// mount serves TMF622 and, for the tests across front ends, MVNX.
func mount(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
	tmf.New(svc, eng, log, tmf.Options{AllowPrivateCallbacks: true}).Register(e)
	mvnx.New(svc, eng, log, mvnx.Options{}).Register(e)
}

func newEnv(t *testing.T) *resttest.Env { return resttest.New(t, demoSecret, mount) }

func auth(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

// event is one notification as a hub's listener got it.
type event struct {
	Path        string
	ContentType string
	Body        map[string]any
}

// listener is a hub's callback: it checks each signature with
// demo-reseller's secret and records the path and body.
type listener struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []event
	rejects int
	arrived chan struct{}
}

func newListener(t *testing.T) *listener {
	l := &listener{arrived: make(chan struct{}, 100)}
	l.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		defer l.mu.Unlock()
		if err := callback.Verify(demoSecret, r.Header, body, time.Hour, time.Now()); err != nil {
			l.rejects++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		l.got = append(l.got, event{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: m})
		w.WriteHeader(http.StatusCreated)
		l.arrived <- struct{}{}
	}))
	t.Cleanup(l.srv.Close)
	return l
}

// wait answers the events once n arrived in all.
func (l *listener) wait(t *testing.T, n int) []event {
	t.Helper()
	for {
		l.mu.Lock()
		got := append([]event(nil), l.got...)
		l.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-l.arrived:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d events arrived", len(got), n)
		}
	}
}

// received answers what arrived so far and how many had a bad signature.
func (l *listener) received() ([]event, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]event(nil), l.got...), l.rejects
}

// byType finds the events of a type, in arrival order.
func byType(evs []event, typ string) []event {
	var out []event
	for _, e := range evs {
		if e.Body["eventType"] == typ {
			out = append(out, e)
		}
	}
	return out
}

// order is the part of an answered order the tests read.
type order struct {
	ID, Href, State, OrderDate string
	ProductOrderItem           []struct {
		ID, Action, State string
		Product           *struct {
			ID, Status            string
			ProductCharacteristic []struct {
				Name  string
				Value any
			}
		}
	}
	Note []struct{ ID, Text string }
}

func parseOrder(t *testing.T, body string) order {
	t.Helper()
	var o order
	require.NoError(t, json.Unmarshal([]byte(body), &o), body)
	return o
}

// create posts an order and answers it.
func create(t *testing.T, e *resttest.Env, key, body string) order {
	t.Helper()
	status, _, answer := e.Do(t, http.MethodPost, tmf.PathOrders, auth(key), body)
	require.Equal(t, http.StatusCreated, status, answer)
	return parseOrder(t, answer)
}

// settle waits until the order reaches a final state and answers it.
func settle(t *testing.T, e *resttest.Env, id string) (order, string) {
	t.Helper()
	var body string
	require.Eventually(t, func() bool {
		_, _, body = e.Do(t, http.MethodGet, tmf.PathOrders+"/"+id, auth(demoKey), "")
		s := parseOrder(t, body).State
		return s == "completed" || s == "failed" || s == "partial"
	}, 10*time.Second, 10*time.Millisecond)
	return parseOrder(t, body), body
}

func char(o order, item int, name string) any {
	for _, c := range o.ProductOrderItem[item].Product.ProductCharacteristic {
		if strings.EqualFold(c.Name, name) {
			return c.Value
		}
	}
	return nil
}
