package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
)

var errRollback = errors.New("rollback")

// baseline commits one record of every kind, with index entries and list
// members, for the transactional scenarios to change.
func baseline(t *testing.T, st core.Store) {
	t.Helper()
	update(t, st, func(tx core.Tx) error {
		for _, e := range fullEntities() {
			if err := e.put(tx); err != nil {
				return err
			}
		}
		x := txn("tx-r", "msg-r", core.TxReceived, at(0))
		x.Seq, x.Channel = 1, core.ChannelTMF
		if err := tx.PutTransaction(x); err != nil {
			return err
		}
		if err := tx.PutDelivery(delivery("d-p", "tx-r", "p-1", core.DeliveryPending, at(1), at(1))); err != nil {
			return err
		}
		if err := tx.PutNumber(core.Number{MSISDN: "61400000009", Owner: "p-1", Pool: "au", Status: core.NumberIsAvailable}); err != nil {
			return err
		}
		if err := tx.PutAccount(core.Account{ID: "acc-1", Partner: "p-1"}); err != nil {
			return err
		}
		_, err := tx.NextSeq("s")
		return err
	})
}

// snapshot reads everything baseline wrote, through every getter and list.
func snapshot(t *testing.T, st core.Store) map[string]any {
	t.Helper()
	out := map[string]any{}
	view(t, st, func(tx core.Tx) error {
		for _, e := range fullEntities() {
			v, ok, err := e.get(tx)
			require.NoError(t, err)
			out[e.name] = []any{v, ok}
		}
		get := func(name string, v any, ok bool, err error) {
			require.NoError(t, err, name)
			out[name] = []any{v, ok}
		}
		list := func(name string, v any, err error) {
			require.NoError(t, err, name)
			out[name] = v
		}
		for _, name := range []string{"p1", "p2", "x"} {
			v, ok, err := tx.PartnerByUsername(name)
			get("username "+name, v, ok, err)
		}
		for _, h := range []string{"h1", "h2", "h9"} {
			v, ok, err := tx.PartnerByAPIKeyHash(h)
			get("apikey "+h, v, ok, err)
		}
		v1, ok, err := tx.SIMByICCID("8961001")
		get("iccid", v1, ok, err)
		v1, ok, err = tx.SIMBySimNumber("498172577")
		get("sim number", v1, ok, err)
		v1, ok, err = tx.SIMByIMSI("505011")
		get("imsi", v1, ok, err)
		v1, ok, err = tx.SIMByEID("8904900")
		get("eid", v1, ok, err)
		v2, ok, err := tx.NumberByReservation("r-1")
		get("reservation", v2, ok, err)
		v2, ok, err = tx.FirstAvailableNumber("p-1", "au")
		get("first available", v2, ok, err)
		for _, k := range []core.SubscriberKind{core.ByICCID, core.ByIMSI, core.ByMSISDN, core.ByIMEI} {
			v, ok, err := tx.SubscriptionBy(k, map[core.SubscriberKind]string{core.ByICCID: "8961001", core.ByIMSI: "505011", core.ByMSISDN: "61400000001", core.ByIMEI: "356938035643809"}[k])
			get("subscription by "+string(k), v, ok, err)
		}
		v3, ok, err := tx.TransactionByKey("demo-rsp", core.ChannelTMF, "ActivateSubscriber", "msg-r")
		get("tx key", v3, ok, err)
		v3, ok, err = tx.TransactionByKey("p-1", core.ChannelMVNX, "ActivateSubscriber", "msg-1")
		get("tx key 1", v3, ok, err)
		a, err := tx.AccountChildren("acc-1")
		list("children", a, err)
		p, err := tx.ProductsOf("p-1")
		list("products", p, err)
		n, err := tx.AgedNumbers(at(3600), 0)
		list("aged", n, err)
		q, err := tx.SQsByIdentifier(5702, "61464917053")
		list("sqs", q, err)
		u, err := tx.UnfinishedTransactions(0)
		list("unfinished", u, err)
		d, err := tx.DueDeliveries(at(3600), 0, nil)
		list("due", d, err)
		d, err = tx.DeliveriesOf("tx-r")
		list("deliveries of", d, err)
		for _, s := range []core.DeliveryStatus{core.DeliveryPending, core.DeliveryDelivered, core.DeliveryDead} {
			d, err = tx.DeliveriesByStatus(s, 0)
			list("by status "+string(s), d, err)
		}
		h, err := tx.HubsOf("p-1", core.ChannelTMF)
		list("hubs", h, err)
		var xs []core.Transaction
		err = tx.TransactionsOf("demo-rsp", core.ChannelTMF, func(x core.Transaction) (bool, error) { xs = append(xs, x); return true, nil })
		list("transactions of", xs, err)
		return nil
	})
	return out
}

// writeEverything changes or adds a record of every kind, with index and
// list changes, and draws from a sequence.
func writeEverything(tx core.Tx) error {
	for _, e := range minimalEntities() {
		if err := e.put(tx); err != nil {
			return err
		}
	}
	x := txn("tx-r", "msg-r2", core.TxSucceeded, at(0))
	x.Seq, x.Channel = 1, core.ChannelTMF
	return errors.Join(
		tx.PutPartner(core.Partner{ID: "p-1", Username: "p2", APIKeyHashes: []string{"h9"}}),
		tx.PutAccount(core.Account{ID: "acc-9", Partner: "p-1", Parent: "acc-1"}),
		tx.PutServiceType(core.ServiceType{ID: 5702, Name: "changed"}),
		tx.PutProduct(core.Product{ID: 42123212, Owner: "p-2"}),
		tx.PutSIM(core.SIM{ID: "8961001", ICCID: "8961009", IMSI: "505019", Owner: "p-1"}),
		tx.PutNumber(core.Number{MSISDN: "61400000001", Owner: "p-1", Pool: "au", Status: core.NumberIsAvailable}),
		tx.PutNumber(core.Number{MSISDN: "61400000009", Owner: "p-1", Pool: "au", Status: core.NumberIsAssigned}),
		tx.PutSQ(core.SQ{ID: 581408, Owner: "p-1", ServiceIdentifier: "other", ServiceType: 5702}),
		tx.PutSubscription(core.Subscription{ID: "sub-1", Partner: "p-1", Status: core.SubActive, ICCID: "8961009"}),
		tx.PutSubscription(core.Subscription{ID: "sub-9", Partner: "p-1", Status: core.SubActive, MSISDN: "61400000001", IMEI: "356938035643809"}),
		tx.PutPlan(core.Plan{Code: "Plan001"}),
		tx.PutSession(core.Session{TokenHash: "ab12", Partner: "p-2"}),
		tx.PutTransaction(x),
		tx.PutTransaction(txn("tx-n", "msg-n", core.TxReceived, at(-5))),
		tx.PutDelivery(delivery("d-p", "tx-r", "p-1", core.DeliveryDead, at(1), at(1))),
		tx.PutDelivery(delivery("d-n", "tx-r", "p-1", core.DeliveryPending, at(0), at(0))),
		tx.PutHub(core.Hub{ID: "hub-2", Partner: "p-1", Channel: core.ChannelTMF}),
		tx.DeleteHub("hub-1"),
		func() error { _, err := tx.NextSeq("s"); return err }(),
	)
}

// contractRollback: an Update whose fn fails answers that error and
// writes nothing of any kind; a core.Error keeps its reason through
// Update. (A failed Update may consume sequence values: only their order
// is checked.)
func contractRollback(t *testing.T, st core.Store) {
	baseline(t, st)
	before := snapshot(t, st)
	var inside bool
	err := st.Update(ctx, func(tx core.Tx) error {
		inside = false
		if err := writeEverything(tx); err != nil {
			return err
		}
		_, ok, err := tx.Plan("P0")
		inside = ok
		if err != nil {
			return err
		}
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	assert.True(t, inside, "the fn saw its own writes")
	assert.Equal(t, before, snapshot(t, st))
	for _, e := range minimalEntities() {
		_, ok := lookup(t, st, e.get)
		assert.False(t, ok, "%s of the failed fn", e.name)
	}

	err = st.Update(ctx, func(tx core.Tx) error {
		if err := tx.PutPlan(core.Plan{Code: "P-x"}); err != nil {
			return err
		}
		return core.Errorf(core.KindConflict, core.ReasonNumberNotAvailable, "number", "taken")
	})
	assert.Equal(t, core.ReasonNumberNotAvailable, core.ReasonOf(err))
	_, ok := lookup(t, st, func(tx core.Tx) (core.Plan, bool, error) { return tx.Plan("P-x") })
	assert.False(t, ok)

	var n uint64
	update(t, st, func(tx core.Tx) (err error) { n, err = tx.NextSeq("s"); return err })
	assert.Greater(t, n, uint64(1), "the sequence goes on from baseline's value")
}

// contractLaterSees: an Update sees what earlier Updates committed, and
// everything a successful fn wrote is there afterwards.
func contractLaterSees(t *testing.T, st core.Store) {
	baseline(t, st)
	update(t, st, writeEverything)
	after := snapshot(t, st)
	var seen core.Partner
	var seq uint64
	update(t, st, func(tx core.Tx) error {
		var err error
		if seen, _, err = tx.PartnerByUsername("p2"); err != nil {
			return err
		}
		seq, err = tx.NextSeq("s")
		return err
	})
	assert.Equal(t, core.Partner{ID: "p-1", Username: "p2", APIKeyHashes: []string{"h9"}}, seen)
	assert.Greater(t, seq, uint64(2), "after baseline's and writeEverything's values")
	assert.Equal(t, after, snapshot(t, st), "reads changed nothing")

	got := func(name string) any { return after[name] }
	assert.Equal(t, []any{core.Partner{}, false}, got("username p1"))
	assert.Equal(t, []any{core.Partner{}, false}, got("apikey h1"))
	assert.Equal(t, []any{core.SIM{}, false}, got("iccid"))
	assert.Equal(t, []any{core.SIM{}, false}, got("eid"))
	assert.Equal(t, []any{core.Number{MSISDN: "61400000001", Owner: "p-1", Pool: "au", Status: core.NumberIsAvailable}, true},
		got("first available"), "61400000009 left the pool, 61400000001 joined it")
	assert.Equal(t, []string{"tx-n"}, got("unfinished"))
	assert.Equal(t, []string{"d-n"}, deliveryIDs(got("due").([]core.Delivery)))
	assert.Equal(t, []string{"d-n", "d-p"}, deliveryIDs(got("deliveries of").([]core.Delivery)))
	assert.Equal(t, []core.AccountID{"acc-2", "acc-9"}, keys(got("children").([]core.Account), func(a core.Account) core.AccountID { return a.ID }))
	assert.Empty(t, got("products"))
	assert.Empty(t, got("aged"))
	assert.Empty(t, got("sqs"))
	assert.Equal(t, []string{"hub-2"}, keys(got("hubs").([]core.Hub), func(h core.Hub) string { return h.ID }))
	sub, _ := lookup(t, st, func(tx core.Tx) (core.Subscription, bool, error) {
		return tx.SubscriptionBy(core.ByMSISDN, "61400000001")
	})
	assert.Equal(t, "sub-9", sub.ID, "a live subscription took the MSISDN from a ceased one")
}

// contractViewRefuses: every write inside View fails, and none lands.
func contractViewRefuses(t *testing.T, st core.Store) {
	baseline(t, st)
	before := snapshot(t, st)
	writes := map[string]func(core.Tx) error{
		"PutPartner":     func(tx core.Tx) error { return tx.PutPartner(core.Partner{ID: "v"}) },
		"PutAccount":     func(tx core.Tx) error { return tx.PutAccount(core.Account{ID: "v", Parent: "acc-1"}) },
		"PutServiceType": func(tx core.Tx) error { return tx.PutServiceType(core.ServiceType{ID: 9}) },
		"PutProduct":     func(tx core.Tx) error { return tx.PutProduct(core.Product{ID: 9, Owner: "p-1"}) },
		"PutSIM":         func(tx core.Tx) error { return tx.PutSIM(core.SIM{ID: "v", ICCID: "v"}) },
		"PutNumber": func(tx core.Tx) error {
			return tx.PutNumber(core.Number{MSISDN: "9", Owner: "p-1", Pool: "au", Status: core.NumberIsAvailable})
		},
		"PutSQ": func(tx core.Tx) error {
			return tx.PutSQ(core.SQ{ID: 9, ServiceType: 5702, ServiceIdentifier: "61464917053"})
		},
		"PutSubscription": func(tx core.Tx) error { return tx.PutSubscription(core.Subscription{ID: "v", MSISDN: "v"}) },
		"PutPlan":         func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: "v"}) },
		"PutSession":      func(tx core.Tx) error { return tx.PutSession(core.Session{TokenHash: "v"}) },
		"NextSeq":         func(tx core.Tx) error { _, err := tx.NextSeq("s"); return err },
		"PutTransaction":  func(tx core.Tx) error { return tx.PutTransaction(txn("v", "msg-v", core.TxReceived, at(0))) },
		"PutDelivery": func(tx core.Tx) error {
			return tx.PutDelivery(delivery("v", "tx-r", "p-1", core.DeliveryPending, at(0), at(0)))
		},
		"PutHub":    func(tx core.Tx) error { return tx.PutHub(core.Hub{ID: "v", Partner: "p-1", Channel: core.ChannelTMF}) },
		"DeleteHub": func(tx core.Tx) error { return tx.DeleteHub("hub-1") },
		"overwrite": func(tx core.Tx) error { return tx.PutPartner(core.Partner{ID: "p-1"}) },
	}
	for name, write := range writes {
		assert.Error(t, st.View(ctx, write), name)
	}
	assert.Equal(t, before, snapshot(t, st))
	var n uint64
	update(t, st, func(tx core.Tx) (err error) { n, err = tx.NextSeq("s"); return err })
	assert.Greater(t, n, uint64(1))
}

// contractReadYourWrites: inside one Update every getter and list sees the
// fn's own earlier writes, index moves included.
func contractReadYourWrites(t *testing.T, st core.Store) {
	baseline(t, st)
	type seen struct {
		user, oldUser, iccid, oldICCID, resv, first, sub, oldSub, txKey bool
		children                                                        []core.AccountID
		unfinished                                                      []string
		due, of                                                         []string
		hubs                                                            []string
		sqs                                                             int
		seqs                                                            []uint64
		txOf                                                            []string
	}
	var s seen
	update(t, st, func(tx core.Tx) error {
		s = seen{}
		if err := writeEverything(tx); err != nil {
			return err
		}
		var err error
		found := func(_ any, ok bool, e error) bool {
			if e != nil {
				err = e
			}
			return ok
		}
		s.user = found(tx.PartnerByUsername("p2"))
		s.oldUser = found(tx.PartnerByUsername("p1"))
		s.iccid = found(tx.SIMByICCID("8961009"))
		s.oldICCID = found(tx.SIMByICCID("8961001"))
		s.resv = found(tx.NumberByReservation("r-1"))
		n, ok, e := tx.FirstAvailableNumber("p-1", "au")
		s.first = found(n, ok && n.MSISDN == "61400000001", e)
		sub, ok, e := tx.SubscriptionBy(core.ByMSISDN, "61400000001")
		s.sub = found(sub, ok && sub.ID == "sub-9", e)
		s.oldSub = found(tx.SubscriptionBy(core.ByIMSI, "505011"))
		s.txKey = found(tx.TransactionByKey("demo-rsp", core.ChannelTMF, "ActivateSubscriber", "msg-r2"))
		if err != nil {
			return err
		}
		kids, err := tx.AccountChildren("acc-1")
		if err != nil {
			return err
		}
		s.children = keys(kids, func(a core.Account) core.AccountID { return a.ID })
		if s.unfinished, err = tx.UnfinishedTransactions(0); err != nil {
			return err
		}
		ds, err := tx.DueDeliveries(at(3600), 0, nil)
		if err != nil {
			return err
		}
		s.due = deliveryIDs(ds)
		if ds, err = tx.DeliveriesOf("tx-r"); err != nil {
			return err
		}
		s.of = deliveryIDs(ds)
		hs, err := tx.HubsOf("p-1", core.ChannelTMF)
		if err != nil {
			return err
		}
		s.hubs = keys(hs, func(h core.Hub) string { return h.ID })
		qs, err := tx.SQsByIdentifier(5702, "other")
		if err != nil {
			return err
		}
		s.sqs = len(qs)
		if err := tx.TransactionsOf("demo-rsp", core.ChannelTMF, func(x core.Transaction) (bool, error) {
			s.txOf = append(s.txOf, x.ID+"/"+string(x.Status))
			return true, nil
		}); err != nil {
			return err
		}
		for range 2 {
			n, err := tx.NextSeq("s")
			if err != nil {
				return err
			}
			s.seqs = append(s.seqs, n)
		}
		return nil
	})
	// baseline drew 1, writeEverything a larger value: the two draws
	// after it are larger still, and increase.
	require.Len(t, s.seqs, 2)
	assert.True(t, s.seqs[0] > 2 && s.seqs[1] > s.seqs[0], "values %v", s.seqs)
	s.seqs = nil
	assert.Equal(t, seen{
		user: true, iccid: true, first: true, sub: true, txKey: true,
		children: []core.AccountID{"acc-2", "acc-9"}, unfinished: []string{"tx-n"},
		due: []string{"d-n"}, of: []string{"d-n", "d-p"}, hubs: []string{"hub-2"}, sqs: 1,
		txOf: []string{"tx-r/Succeeded"},
	}, s)
}

// contractCopies: values handed out are the caller's: changing a returned
// value, or a value after putting it, changes nothing stored.
func contractCopies(t *testing.T, st core.Store) {
	baseline(t, st)
	before := snapshot(t, st)
	mutate := func(tx core.Tx) error {
		p, _, err := tx.Partner("p-1")
		if err != nil {
			return err
		}
		p.APIKeyHashes[0], p.RateLimit.RPS = "mutated", 99
		d, _, err := tx.Delivery("d-1")
		if err != nil {
			return err
		}
		d.Body[0], d.Attempts[0].Error = 'X', "mutated"
		x, _, err := tx.Transaction("tx-1")
		if err != nil {
			return err
		}
		x.Ack[0], x.Results[0].Subscription.Status, x.Job.Activations[0].SQ.ID = 'X', "mutated", 1
		x.Results[0].Subscription.Products[0].Characteristics["speed"] = "mutated"
		ds, err := tx.DeliveriesOf("tx-r")
		if err != nil {
			return err
		}
		ds[0].Body[0] = 'X'
		hs, err := tx.HubsOf("p-1", core.ChannelTMF)
		if err != nil {
			return err
		}
		hs[0].Callback = "mutated"
		q, _, err := tx.SQ(581408)
		if err != nil {
			return err
		}
		q.Order.Finalised = false
		pl, _, err := tx.Plan("Plan001")
		if err != nil {
			return err
		}
		pl.Partners[0] = "mutated"
		return nil
	}
	view(t, st, mutate)
	assert.Equal(t, before, snapshot(t, st), "after a View")
	update(t, st, mutate)
	assert.Equal(t, before, snapshot(t, st), "after an Update")

	// A value changed after it was put: the store keeps what was put.
	var inside core.Partner
	update(t, st, func(tx core.Tx) error {
		p := core.Partner{ID: "p-c", APIKeyHashes: []string{"hc"}, RateLimit: &core.RateLimit{RPS: 1}}
		d := delivery("d-c", "tx-c", "p-c", core.DeliveryPending, at(0), at(0))
		if err := errors.Join(tx.PutPartner(p), tx.PutDelivery(d)); err != nil {
			return err
		}
		p.APIKeyHashes[0], p.RateLimit.RPS, d.Body[0] = "mutated", 99, 'X'
		var err error
		inside, _, err = tx.Partner("p-c")
		return err
	})
	want := core.Partner{ID: "p-c", APIKeyHashes: []string{"hc"}, RateLimit: &core.RateLimit{RPS: 1}}
	assert.Equal(t, want, inside, "inside the Update")
	got, _ := lookup(t, st, func(tx core.Tx) (core.Partner, bool, error) { return tx.Partner("p-c") })
	assert.Equal(t, want, got)
	gotD, _ := lookup(t, st, func(tx core.Tx) (core.Delivery, bool, error) { return tx.Delivery("d-c") })
	assert.Equal(t, delivery("d-c", "tx-c", "p-c", core.DeliveryPending, at(0), at(0)), gotD)
	assert.Equal(t, core.PartnerID("p-c"), partnerBy(t, st, func(tx core.Tx) (core.Partner, bool, error) { return tx.PartnerByAPIKeyHash("hc") }))
}

// contractCancelled: an Update or View whose context has ended answers
// the context's error, and the Update writes nothing.
func contractCancelled(t *testing.T, st core.Store) {
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := st.Update(cctx, func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: "P-c"}) })
	assert.ErrorIs(t, err, context.Canceled)
	err = st.View(cctx, func(tx core.Tx) error { _, _, err := tx.Plan("P-c"); return err })
	assert.ErrorIs(t, err, context.Canceled)
	_, ok := lookup(t, st, func(tx core.Tx) (core.Plan, bool, error) { return tx.Plan("P-c") })
	assert.False(t, ok)
	update(t, st, func(tx core.Tx) error { return tx.PutPlan(core.Plan{Code: "P-c"}) })
	_, ok = lookup(t, st, func(tx core.Tx) (core.Plan, bool, error) { return tx.Plan("P-c") })
	assert.True(t, ok, "the store works after a cancelled call")
}
