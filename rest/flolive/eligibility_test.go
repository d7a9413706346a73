package flolive_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/flolive"
)

// The document's eligibility rules and its Sparta / Carthage / Athens
// story, one case each. Acme (level 0) is the requester; Sparta and Rome
// are its level-1 sub-accounts; Carthage (level 2) is Sparta's, Athens
// (level 3) Carthage's.
func TestEligibility(t *testing.T) {
	for _, tc := range []struct {
		name string
		sim  int // sandbox SIMn; 0 for a subscriber that does not exist
		// via places the subscriber before the move: its first hop is the
		// requester's own move to a level-1 sub-account (through the
		// API), the next ones are the sub-accounts' own allocations.
		via         []string
		typ, value  string // how the move names the subscriber ("" = by ICCID)
		target      string
		code        string // "" when eligible
		seenBefore  string // customer id GET subscriber shows before the move
		seenAfter   string
		placedAfter string // the subscription's real account after the move
	}{
		// The rules.
		{name: "own account to a level-1 sub-account", sim: 4, typ: "imsi", value: simIMSI(4), target: sparta,
			seenBefore: acme, seenAfter: sparta, placedAfter: sparta},
		{name: "level-1 sub-account to another", sim: 5, via: []string{sparta}, typ: "msisdn", value: simMSISDN(5), target: rome,
			seenBefore: sparta, seenAfter: rome, placedAfter: rome},
		{name: "level-1 sub-account back to own account", sim: 6, via: []string{sparta}, target: acme,
			seenBefore: sparta, seenAfter: acme, placedAfter: acme},
		{name: "level-1 sub-account to itself refused", sim: 7, via: []string{sparta}, target: sparta, code: "CUSTOMER_1008",
			seenBefore: sparta, seenAfter: sparta, placedAfter: sparta},
		{name: "own account to own account refused", sim: 8, target: acme, code: "CUSTOMER_1008",
			seenBefore: acme, seenAfter: acme, placedAfter: acme},
		{name: "own account to a level-2 sub-account refused", sim: 9, target: carthage, code: "CUSTOMER_1008",
			seenBefore: acme, seenAfter: acme, placedAfter: acme},
		{name: "own account to a level-3 sub-account refused", sim: 10, target: athens, code: "CUSTOMER_1008",
			seenBefore: acme, seenAfter: acme, placedAfter: acme},
		{name: "to a foreign customer refused", sim: 11, target: foreign, code: "CUSTOMER_1008",
			seenBefore: acme, seenAfter: acme, placedAfter: acme},
		{name: "to a customer that does not exist refused", sim: 12, target: "11111111-2222-4333-8444-555555555555", code: "CUSTOMER_1008",
			seenBefore: acme, seenAfter: acme, placedAfter: acme},

		// The story: the requester takes back what its sub-account resold,
		// from any depth, and sees it in Sparta meanwhile.
		{name: "story: SIM1 in Sparta back to own account", sim: 1, via: []string{sparta}, target: acme,
			seenBefore: sparta, seenAfter: acme, placedAfter: acme},
		{name: "story: SIM1 in Carthage back to own account", sim: 1, via: []string{sparta, carthage}, target: acme,
			seenBefore: sparta, seenAfter: acme, placedAfter: acme},
		{name: "story: SIM1 in Athens back to own account", sim: 1, via: []string{sparta, carthage, athens}, target: acme,
			seenBefore: sparta, seenAfter: acme, placedAfter: acme},
		{name: "level 3 (SIM2 in Athens) back to own account", sim: 2, typ: "imei", value: "356938035643817", target: acme,
			seenBefore: sparta, seenAfter: acme, placedAfter: acme},
		{name: "level 3 to a level-1 sub-account refused", sim: 2, target: rome, code: "CUSTOMER_1008",
			seenBefore: sparta, seenAfter: sparta, placedAfter: athens},
		{name: "level 3 to the level-1 it is seen in refused", sim: 2, target: sparta, code: "CUSTOMER_1008",
			seenBefore: sparta, seenAfter: sparta, placedAfter: athens},
		{name: "level 2 to a level-1 sub-account refused", sim: 13, via: []string{sparta, carthage}, target: rome, code: "CUSTOMER_1008",
			seenBefore: sparta, seenAfter: sparta, placedAfter: carthage},
		{name: "level 2 to a level-3 sub-account refused", sim: 14, via: []string{sparta, carthage}, target: athens, code: "CUSTOMER_1008",
			seenBefore: sparta, seenAfter: sparta, placedAfter: carthage},

		// Subscribers the requester cannot see.
		{name: "foreign subscriber", sim: 3, target: sparta, code: "SUBSCRIBER_1002"},
		{name: "foreign subscriber by imsi", sim: 3, typ: "imsi", value: simIMSI(3), target: acme, code: "SUBSCRIBER_1002"},
		{name: "unknown subscriber", typ: "iccid", value: "8997201000000009999", target: sparta, code: "SUBSCRIBER_1002"},
		{name: "unknown subscriber and foreign target", typ: "msisdn", value: "972599999999", target: foreign, code: "SUBSCRIBER_1002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			iccid := ""
			if tc.sim != 0 {
				iccid = simICCID(tc.sim)
			}
			typ, value := tc.typ, tc.value
			if typ == "" {
				typ, value = "iccid", iccid
			}
			for i, acc := range tc.via {
				if i == 0 {
					e.moveDone(t, "iccid", iccid, acc)
				} else {
					e.allocate(t, iccid, acc)
				}
			}
			if tc.seenBefore != "" {
				assert.Equal(t, tc.seenBefore, e.visible(t, typ, value), "before")
			}

			status, body := e.do(t, http.MethodPut, movePath(typ, value), acmeKey, moveBody(tc.target))
			if tc.code != "" {
				assert.Equal(t, http.StatusNotFound, status, body)
				msg := map[string]string{"CUSTOMER_1008": "Failed to find target customer", "SUBSCRIBER_1002": "Subscriber does not exist"}[tc.code]
				requireNAK(t, body, tc.code, msg)
			} else {
				id := accepted(t, status, body)
				assert.Equal(t, flolive.CallStatus{Status: flolive.StatusSuccess}, e.wait(t, acmeKey, id))
			}

			if tc.seenAfter == "" {
				// Not the requester's: it cannot read it either.
				status, body := e.do(t, http.MethodGet, subscriberPath(typ, value), acmeKey, "")
				assert.Equal(t, http.StatusNotFound, status)
				requireNAK(t, body, "SUBSCRIBER_1002", "Subscriber does not exist")
				if tc.sim == 3 {
					sub, sim, num := e.placement(t, iccid)
					assert.Equal(t, []core.AccountID{foreign, foreign, foreign}, []core.AccountID{sub, sim, num}, "untouched")
				}
				return
			}
			assert.Equal(t, tc.seenAfter, e.visible(t, typ, value), "after")
			// Every front end reads the same placement: the core's view, the
			// SIM and the number move with the subscription.
			sub, _, err := e.Svc.Subscriber(context.Background(), "acme", core.SubscriberRef{Kind: core.ByICCID, Value: iccid})
			require.NoError(t, err)
			assert.Equal(t, core.AccountID(tc.placedAfter), sub.Account)
			subAcc, simAcc, numAcc := e.placement(t, iccid)
			assert.Equal(t, []core.AccountID{subAcc, subAcc}, []core.AccountID{simAcc, numAcc})
		})
	}
}
