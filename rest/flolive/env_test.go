package flolive_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/flolive"
	"simgate/rest/resttest"
)

// The sandbox's floLIVE hierarchy (SANDBOX.md).
const (
	acmeKey    = "demo-flolive-key"
	foreignKey = "other-flolive-key"

	acme     = "4dcfd099-218b-5f04-9233-2ad9ff67d1f2" // level 0, the requester
	sparta   = "dd64dca6-8e7f-4b85-a42b-13860913bb5a" // level 1, under Acme
	carthage = "cbde82f8-242b-5a9d-bd6d-7af30a371cac" // level 2, under Sparta
	athens   = "db9bbfad-609b-5b9b-b000-63008bd03d3b" // level 3, under Carthage
	rome     = "f517dfb3-1c5d-577b-989b-02bd0730220a" // level 1, under Acme
	foreign  = "5d92dfea-4d1b-5af5-8b9b-94ee4f196415" // another partner's root
)

// simICCID answers the ICCID of sandbox subscriber SIMn.
func simICCID(n int) string { return "89972010000000000" + two(n) }

// simIMSI answers the IMSI of sandbox subscriber SIMn.
func simIMSI(n int) string { return "4250190000000" + two(n) }

// simMSISDN answers the MSISDN of sandbox subscriber SIMn.
func simMSISDN(n int) string { return "9725000000" + two(n) }

func two(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// noSender fails the test when called: floLIVE partners poll, so a move
// must never leave a notification in the outbox.
type noSender struct{ t *testing.T }

func (s noSender) Send(_ context.Context, d core.Delivery, _ string) core.SendResult {
	s.t.Errorf("floLIVE sent a notification: %s to %s", d.ID, d.URL)
	return core.SendResult{Permanent: true}
}

// mount serves the floLIVE front end.
func mount(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
	flolive.New(svc, eng, log, flolive.Options{}).Register(e)
}

type env struct {
	*resttest.Env
	logs *resttest.LogBuffer
}

// newEnv serves the front end on a sandbox database, with the engine
// running unless paused is set (tests that need a request to stay OPEN, or
// to change the inventory between submit and execution, start it later).
func newEnv(t *testing.T, paused ...bool) *env {
	t.Helper()
	logs := &resttest.LogBuffer{}
	e := resttest.NewWith(t, resttest.Options{
		Sender:       noSender{t},
		Log:          slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PollInterval: 10 * time.Millisecond,
		Paused:       len(paused) > 0 && paused[0],
	}, mount)
	return &env{Env: e, logs: logs}
}

// bearer answers the headers of a request with the given API key ("" for
// none).
func bearer(key string) map[string]string {
	if key == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + key}
}

// do sends a request with the given API key ("" for none) and answers the
// status and body.
func (e *env) do(t *testing.T, method, path, key, body string) (int, string) {
	t.Helper()
	status, _, answer := e.Do(t, method, path, bearer(key), body)
	return status, answer
}

func movePath(typ, value string) string { return "/api/v2/subscriber/" + typ + "/" + value + "/move" }

func subscriberPath(typ, value string) string { return "/api/v2/subscriber/" + typ + "/" + value }

func callPath(id string) string { return "/api/v2/global/call/" + id }

func moveBody(target string) string { return `{"targetCustomerId":"` + target + `"}` }

// envelope is any answer of the API, content left raw.
type envelope struct {
	ErrorCode    string          `json:"errorCode"`
	ErrorMessage string          `json:"errorMessage"`
	Content      json.RawMessage `json:"content"`
	Pageable     json.RawMessage `json:"pageable"`
}

func parse(t *testing.T, body string) envelope {
	t.Helper()
	var v envelope
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	return v
}

// requireNAK checks the document's NAK shape, code and message.
func requireNAK(t *testing.T, body, code, message string) {
	t.Helper()
	v := parse(t, body)
	require.Equal(t, code, v.ErrorCode, body)
	require.Contains(t, v.ErrorMessage, message, body)
	require.Equal(t, `""`, string(v.Content), body)
	require.Equal(t, `null`, string(v.Pageable), body)
	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(body), &keys))
	require.Len(t, keys, 4, body)
}

// content decodes the single element of a successful answer.
func content[T any](t *testing.T, body string) T {
	t.Helper()
	v := parse(t, body)
	require.Empty(t, v.ErrorCode, body)
	require.Empty(t, v.ErrorMessage, body)
	require.JSONEq(t, `{"page":0,"size":10,"totalPages":1,"totalElements":1}`, string(v.Pageable), body)
	var items []T
	require.NoError(t, json.Unmarshal(v.Content, &items), body)
	require.Len(t, items, 1, body)
	return items[0]
}

// accepted checks an ACK and answers its requestId.
func accepted(t *testing.T, status int, body string) string {
	t.Helper()
	require.Equal(t, http.StatusOK, status, body)
	id := content[flolive.Accepted](t, body).RequestID
	require.NotEmpty(t, id)
	return id
}

// wait polls GET global/call until the request has run and answers its
// final status.
func (e *env) wait(t *testing.T, key, id string) flolive.CallStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := e.do(t, http.MethodGet, callPath(id), key, "")
		require.Equal(t, http.StatusOK, status, body)
		st := content[flolive.CallStatus](t, body)
		if st.Status != flolive.StatusOpen {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s still OPEN", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// moveDone moves a subscriber through the API and waits for SUCCESS.
func (e *env) moveDone(t *testing.T, typ, value, target string) {
	t.Helper()
	status, body := e.do(t, http.MethodPut, movePath(typ, value), acmeKey, moveBody(target))
	id := accepted(t, status, body)
	require.Equal(t, flolive.StatusSuccess, e.wait(t, acmeKey, id).Status)
}

// visible answers the customer id Acme sees a subscriber in.
func (e *env) visible(t *testing.T, typ, value string) string {
	t.Helper()
	status, body := e.do(t, http.MethodGet, subscriberPath(typ, value), acmeKey, "")
	require.Equal(t, http.StatusOK, status, body)
	return content[flolive.Subscriber](t, body).CustomerID
}

// allocate puts a subscriber (its subscription, SIM and number) in an
// account directly in the store: what a sub-account does for itself (Sparta
// allocating to Carthage), which the requester has no API for.
func (e *env) allocate(t *testing.T, iccid, account string) {
	t.Helper()
	require.NoError(t, e.DB.Update(context.Background(), func(tx core.Tx) error {
		sub, ok, err := tx.SubscriptionBy(core.ByICCID, iccid)
		require.NoError(t, err)
		require.True(t, ok, iccid)
		sub.Account = core.AccountID(account)
		sim, ok, err := tx.SIM(sub.SIM)
		require.NoError(t, err)
		require.True(t, ok)
		sim.Account = sub.Account
		if err := tx.PutSIM(sim); err != nil {
			return err
		}
		if sub.MSISDN != "" {
			n, ok, err := tx.Number(sub.MSISDN)
			require.NoError(t, err)
			require.True(t, ok)
			n.Account = sub.Account
			if err := tx.PutNumber(n); err != nil {
				return err
			}
		}
		return tx.PutSubscription(sub)
	}))
}

// placement answers where a subscriber really is: its subscription's, its
// SIM's and its number's account, as every front end reads them.
func (e *env) placement(t *testing.T, iccid string) (sub, sim, number core.AccountID) {
	t.Helper()
	require.NoError(t, e.DB.View(context.Background(), func(tx core.Tx) error {
		s, ok, err := tx.SubscriptionBy(core.ByICCID, iccid)
		require.NoError(t, err)
		require.True(t, ok)
		sub = s.Account
		m, _, err := tx.SIM(s.SIM)
		require.NoError(t, err)
		sim = m.Account
		if s.MSISDN != "" {
			n, _, err := tx.Number(s.MSISDN)
			require.NoError(t, err)
			number = n.Account
		}
		return nil
	}))
	return sub, sim, number
}

func readCase(t *testing.T, name string) string {
	t.Helper()
	return resttest.ReadCase(t, "flolive", name)
}

// golden compares the answer, indented with its key order kept (the
// document's order), with testdata/flolive/<name>.golden.json.
func golden(t *testing.T, name, got string) {
	t.Helper()
	resttest.GoldenInOrder(t, "flolive", name, []byte(got))
}
