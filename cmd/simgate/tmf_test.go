package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
)

// tmfOrder posts a product order with key and waits until it is final.
func tmfOrder(t *testing.T, w *world, key, items string) (string, string) {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + key}
	status, body := w.do("POST", "/tmf-api/productOrderingManagement/v4/productOrder", h, `{"productOrderItem":[`+items+`]}`)
	require.Equal(t, 201, status, body)
	var o struct{ ID, State string }
	require.NoError(t, json.Unmarshal([]byte(body), &o))
	require.Eventually(t, func() bool {
		_, body = w.do("GET", "/tmf-api/productOrderingManagement/v4/productOrder/"+o.ID, h, "")
		require.NoError(t, json.Unmarshal([]byte(body), &o))
		return o.State == "completed" || o.State == "failed" || o.State == "partial"
	}, 10*time.Second, 10*time.Millisecond)
	return o.State, body
}

// A line is one line whatever API touches it: TMF622 orders act on lines
// of the floLIVE and SPS partners (an API key names the partner, not the
// API), and what they do is what the other APIs read and change next.
func TestTMF622AcrossFrontEnds(t *testing.T) {
	w := newWorld(t)
	flo := map[string]string{"Authorization": "Bearer demo-flolive-key"}
	sps := map[string]string{"Authorization": "Bearer demo-wholesale-key"}

	// TMF622 suspends a floLIVE subscriber; floLIVE reads it suspended.
	state, body := tmfOrder(t, w, "demo-flolive-key", `{"id":"1","action":"modify","product":{"status":"suspended","productCharacteristic":[{"name":"ICCID","value":"8997201000000000001"}]}}`)
	require.Equal(t, "completed", state, body)
	status, body := w.do("GET", "/api/v2/subscriber/iccid/8997201000000000001", flo, "")
	require.Equal(t, 200, status, body)
	assert.Contains(t, body, `"status":"SUSPENDED"`)
	// Another enterprise's subscriber reads as absent through TMF622 too.
	state, body = tmfOrder(t, w, "demo-flolive-key", `{"id":"1","action":"modify","product":{"status":"suspended","productCharacteristic":[{"name":"ICCID","value":"8997201000000000003"}]}}`)
	assert.Equal(t, "failed", state)
	assert.Contains(t, body, "PRODUCT_NOT_FOUND")

	// TMF622 activates a wholesale line; SPS suspends it and its query
	// says so.
	state, body = tmfOrder(t, w, "demo-wholesale-key", `{"id":"1","action":"add","product":{"productCharacteristic":[{"name":"ICCID","value":"11986621644523024505"},{"name":"MSISDN","value":"19459986850"},{"name":"plan","value":"Plan001"}]}}`)
	require.Equal(t, "completed", state, body)
	assert.Contains(t, body, `"status":"active"`)
	status, body = w.do("POST", "/subscriber-provisioning/v5/subscription/status", sps, `{"partnerTransactionId":"TMF-X1","iccid":"11986621644523024505","action":"Suspend"}`)
	require.Equal(t, 200, status, body)
	require.Eventually(t, func() bool {
		_, body = w.do("GET", "/subscriber-provisioning/v5/subscription/transactions/TMF-X1", sps, "")
		return strings.Contains(body, `"status":"Success"`)
	}, 10*time.Second, 10*time.Millisecond)
	// and TMF622 resumes it.
	state, body = tmfOrder(t, w, "demo-wholesale-key", `{"id":"1","action":"modify","product":{"status":"active","productCharacteristic":[{"name":"MSISDN","value":"19459986850"}]}}`)
	require.Equal(t, "completed", state, body)
	require.NoError(t, w.db.View(context.Background(), func(tx core.Tx) error {
		sub, ok, err := tx.SubscriptionBy(core.ByICCID, "11986621644523024505")
		assert.True(t, ok)
		assert.Equal(t, core.SubActive, sub.Status)
		assert.Equal(t, core.ChannelTMF, sub.Channel)
		assert.Equal(t, core.AccountID("920000108464"), sub.Account, "the SIM's node of the wholesale hierarchy")
		return err
	}))
}

// Through TMF622, another partner's SIM, number and line read exactly like
// ones that do not exist, and stay as they were.
func TestTMF622TenantIsolation(t *testing.T) {
	w := newWorld(t)
	before := inventorySnapshot(t, w)
	note := func(items string) string {
		t.Helper()
		state, body := tmfOrder(t, w, "other-tmf-key", items)
		require.Equal(t, "failed", state, body)
		var o struct{ Note []struct{ Text string } }
		require.NoError(t, json.Unmarshal([]byte(body), &o))
		require.Len(t, o.Note, 1, body)
		return o.Note[0].Text
	}
	add := func(iccid, msisdn string) string {
		return `{"id":"1","action":"add","product":{"productCharacteristic":[{"name":"ICCID","value":"` + iccid + `"},{"name":"MSISDN","value":"` + msisdn + `"},{"name":"plan","value":"P8DN"}]}}`
	}
	assert.Equal(t, note(add("89014104178003699999", "8035619999")), note(add("89014104178003620005", "8035619999")), "demo-reseller's SIM")
	assert.Equal(t, note(add("89014104178003629999", "8035699999")), note(add("89014104178003629999", "8035612250")), "demo-reseller's number")
	suspend := func(iccid string) string {
		return `{"id":"1","action":"modify","product":{"status":"suspended","productCharacteristic":[{"name":"ICCID","value":"` + iccid + `"}]}}`
	}
	assert.Equal(t, note(suspend("8997201999999999999")), note(suspend("8997201000000000001")), "acme's subscriber")
	assert.Equal(t, before, inventorySnapshot(t, w), "nothing of any partner changed")

	// demo's order reads as absent to other-reseller.
	_, body := tmfOrder(t, w, "demo-tmf-key", add("89014104178003620030", "8035612230"))
	var o struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(body), &o))
	fs, foreign := w.do("GET", "/tmf-api/productOrderingManagement/v4/productOrder/"+o.ID, map[string]string{"Authorization": "Bearer other-tmf-key"}, "")
	ns, absent := w.do("GET", "/tmf-api/productOrderingManagement/v4/productOrder/00000000-0000-4000-8000-000000000000", map[string]string{"Authorization": "Bearer other-tmf-key"}, "")
	assert.Equal(t, 404, fs)
	assert.Equal(t, shape(ns, absent), shape(fs, foreign))
}

// --base-url names the server's resources in WSDLs and TMF622 hrefs: it
// must be an absolute http or https URL that a path can follow.
func TestBaseURLFlag(t *testing.T) {
	for _, ok := range []string{"", "https://api.example.com", "https://api.example.com/", "http://10.0.0.1:8080/gw"} {
		_, err := serveFlags([]string{"--base-url", ok}, io.Discard)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{"api.example.com", "/gw", "ftp://api.example.com", "https://api.example.com/?x=1", "https://api.example.com/#x"} {
		_, err := serveFlags([]string{"--base-url", bad}, io.Discard)
		assert.ErrorContains(t, err, "--base-url", bad)
	}
}
