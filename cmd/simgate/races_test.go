package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/store"
	"simgate/store/storetest"
)

// multiInventory is a partner that speaks MVNX (password) and SPS (API
// key) on one stock of SIMs and numbers, so the front ends compete for it.
const multiInventory = `{"kind":"partner","id":"multi","name":"Multi","username":"multi","password":"multi-pass","api_keys":["multi-key-0001"],"root_account":"multi-root"}
{"kind":"account","id":"multi-root","partner":"multi","name":"Multi"}
{"kind":"plan","code":"P8DN","partners":["demo-reseller","other-reseller","multi"],"offerings":["NC001","NC002"]}
{"kind":"plan","code":"Plan001","partners":["demo-wholesale","multi"],"offerings":["Plan001-DATA","Plan001-VOICE"]}
{"kind":"sim","iccid":"89000000000000000000","count":200,"owner":"multi","account":"multi-root","status":"Available"}
{"kind":"number","msisdn":"15550000000","count":100,"owner":"multi","account":"multi-root","pool":"GAC","status":"Available"}
{"kind":"number","msisdn":"15550000100","count":100,"owner":"multi","account":"multi-root","status":"Available"}
{"kind":"number","msisdn":"15550000999","owner":"multi","account":"multi-root","status":"Reserved","reservation_id":"RES-1"}
`

func multiRequest(api string, i int, iccid, number, resv string) (method, path string, headers map[string]string, body string) {
	if api == "mvnx" {
		return "POST", "/ActivateSubscriberReseller", nil, strings.NewReplacer("demo-reseller-pass", "multi-pass", `"demo-reseller"`, `"multi"`).
			Replace(mvnxActivate("demo-reseller", fmt.Sprintf("race-%d", i), "http://127.0.0.1:9/none", iccid, number))
	}
	return "POST", "/subscriber-provisioning/v5/subscription", map[string]string{"Authorization": "Bearer multi-key-0001"},
		spsActivate(fmt.Sprintf("race-%d", i), iccid, number, resv)
}

// 64 concurrent activations through MVNX and SPS compete for one SIM, one
// number or one reservation, and 64 SOAP activations for one SQ (by SQ_ID
// and by service identifier): exactly one wins each race, the others are
// refused with the documented reason.
func TestRacesAcrossFrontEnds(t *testing.T) {
	w := newWorld(t)
	_, err := store.Import(context.Background(), w.db, storetest.Passwords, strings.NewReader(multiInventory))
	require.NoError(t, err)
	ctx := context.Background()

	races := []struct {
		name    string
		request func(i int) (string, string, map[string]string, string)
		loser   core.Reason
	}{
		{"one SIM", func(i int) (string, string, map[string]string, string) {
			api := []string{"mvnx", "sps"}[i%2]
			return multiRequest(api, i, "89000000000000000000", "", "")
		}, core.ReasonSIMNotAvailable},
		{"one number", func(i int) (string, string, map[string]string, string) {
			api := []string{"mvnx", "sps"}[i%2]
			return multiRequest(api, 100+i, fmt.Sprintf("8900000000000000%04d", 1+i), "15550000150", "")
		}, core.ReasonNumberNotAvailable},
		{"one reservation", func(i int) (string, string, map[string]string, string) {
			return multiRequest("sps", 200+i, fmt.Sprintf("8900000000000000%04d", 100+i), "15550000999", "RES-1")
		}, core.ReasonReservationInvalid},
	}
	for _, race := range races {
		t.Run(race.name, func(t *testing.T) {
			var wg sync.WaitGroup
			keys := make([]string, 64)
			for i := 0; i < 64; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					method, path, headers, body := race.request(i)
					status, answer := w.do(method, path, headers, body)
					require.Equal(t, 200, status, answer)
					if m := regexp.MustCompile(`"uniqueTransactionId":"([^"]+)"`).FindStringSubmatch(answer); m != nil {
						keys[i] = "tx:" + m[1]
					} else {
						keys[i] = "sps:" + regexp.MustCompile(`"partnerTransactionId":"([^"]+)"`).FindStringSubmatch(body)[1]
					}
				}()
			}
			wg.Wait()
			won, lost := 0, map[core.Reason]int{}
			require.Eventually(t, func() bool {
				won, lost = 0, map[core.Reason]int{}
				for _, k := range keys {
					var tr core.Transaction
					var err error
					if id, ok := strings.CutPrefix(k, "tx:"); ok {
						tr, err = w.svc.Transaction(ctx, "multi", id)
					} else {
						tr, err = w.svc.LatestTransaction(ctx, "multi", core.ChannelSPS, strings.TrimPrefix(k, "sps:"), "ActivateSubscription")
					}
					if err != nil || !tr.Status.Finished() {
						return false
					}
					if tr.Results[0].OK {
						won++
					} else {
						lost[tr.Results[0].Error.Reason]++
					}
				}
				return true
			}, 10*time.Second, 20*time.Millisecond)
			assert.Equal(t, 1, won)
			assert.Equal(t, map[core.Reason]int{race.loser: 63}, lost)
		})
	}

	t.Run("one SQ", func(t *testing.T) {
		tok, _, err := w.svc.Login(ctx, "demo-rsp", "demo-rsp-pass")
		require.NoError(t, err)
		byIdent := strings.Replace(soapActivate(tok, "", "498172590"), "<urn:SQ_ID></urn:SQ_ID>",
			"<urn:service_identifier>61464917100</urn:service_identifier><urn:service_type_id>5702</urn:service_type_id>", 1)
		var wg sync.WaitGroup
		var mu sync.Mutex
		answers := map[string]int{}
		for i := 0; i < 64; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := soapActivate(tok, "581413", "498172590")
				if i%2 == 1 {
					body = byIdent
				}
				status, answer := w.do("POST", "/userapi/Services", nil, body)
				key := fmt.Sprint(status)
				if m := regexp.MustCompile(`<faultstring>([^<]+)`).FindStringSubmatch(answer); m != nil {
					key = m[1]
				}
				mu.Lock()
				answers[key]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		assert.Equal(t, 1, answers["200"], "%v", answers)
		assert.Equal(t, 63, answers["SQ not in appropriate status for Activation"]+answers["Service identifier already allocated against the same service type"], "%v", answers)
	})
}
