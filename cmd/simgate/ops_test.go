package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An operator follows a transaction and a dead letter with the CLI: first
// through the admin API of the running server, then on the stopped
// server's database file; a replay after the partner is fixed delivers it.
func TestOperatorCommands(t *testing.T) {
	var healthy atomic.Bool
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, "gone", http.StatusGone) // a permanent refusal: dead letter at once
			return
		}
		_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
	}))
	defer partner.Close()

	dir := t.TempDir()
	db := filepath.Join(dir, "simgate.db")
	addr, admin := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--admin-addr", admin, "--db", db, "--demo", "--bcrypt-cost", "4"}, io.Discard, io.Discard)
	}()
	waitHealthy(t, "http://"+addr)

	res, err := http.Post("http://"+addr+"/ActivateSubscriberReseller", "application/json", bytes.NewReader(mvnxRequest(7, partner.URL+"/cb")))
	require.NoError(t, err)
	ack, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(ack))
	txID := regexp.MustCompile(`"uniqueTransactionId":"([^"]+)"`).FindStringSubmatch(string(ack))[1]

	cli := func(args ...string) string {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		require.Equal(t, 0, code, "%v: %s", args, errOut.String())
		return out.String()
	}
	adminURL := "http://" + admin
	var dead string
	require.Eventually(t, func() bool {
		dead = cli("outbox", "list", "--dead", "--admin", adminURL)
		return strings.Contains(dead, "1 deliveries")
	}, 5*time.Second, 20*time.Millisecond)
	assert.Contains(t, dead, txID)
	assert.Contains(t, dead, "410")

	shown := cli("tx", "show", txID, "--admin", adminURL)
	for _, want := range []string{"transaction " + txID, "partner demo-reseller, channel mvnx", `partner transaction id "crash-7"`,
		"status Succeeded", "Received", "OK      subscription", "msisdn 8035612200", "Dead", "410"} {
		assert.Contains(t, shown, want)
	}

	healthy.Store(true)
	id := fmt.Sprintf("msg_%s_0_0", txID)
	assert.Contains(t, cli("outbox", "replay", id, "--admin", adminURL), "queued again")
	require.Eventually(t, func() bool {
		return strings.Contains(cli("outbox", "list", "--delivered", "--admin", adminURL), id)
	}, 5*time.Second, 20*time.Millisecond)

	cancel()
	require.Equal(t, 0, <-done)
	// The stopped server's file, read directly.
	shown = cli("tx", "show", txID, "--db", db)
	assert.Contains(t, shown, "Delivered")
	assert.Regexp(t, `410.*\n.*200`, shown, "both attempts, in order")
	assert.Contains(t, cli("outbox", "list", "--dead", "--db", db), "0 deliveries")

	var errOut bytes.Buffer
	assert.Equal(t, 1, run(context.Background(), []string{"tx", "show", "nope", "--db", db}, io.Discard, &errOut))
	assert.Contains(t, errOut.String(), "transaction nope not found")
}
