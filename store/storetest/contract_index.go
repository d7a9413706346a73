package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
)

func partnerBy(t *testing.T, st core.Store, fn func(core.Tx) (core.Partner, bool, error)) core.PartnerID {
	t.Helper()
	p, _ := lookup(t, st, fn)
	return p.ID
}

// contractPartnerIndexes: username and API key hashes find the partner;
// changing them moves the entries; a unique entry goes to the partner put
// last, and a partner moving away removes only an entry that is still its own.
func contractPartnerIndexes(t *testing.T, st core.Store) {
	byUser := func(u string) core.PartnerID {
		t.Helper()
		return partnerBy(t, st, func(tx core.Tx) (core.Partner, bool, error) { return tx.PartnerByUsername(u) })
	}
	byKey := func(h string) core.PartnerID {
		t.Helper()
		return partnerBy(t, st, func(tx core.Tx) (core.Partner, bool, error) { return tx.PartnerByAPIKeyHash(h) })
	}
	p := core.Partner{ID: "p", Name: "P", Username: "u1", APIKeyHashes: []string{"k1", "k2"}}
	update(t, st, func(tx core.Tx) error { return tx.PutPartner(p) })
	got, ok := lookup(t, st, func(tx core.Tx) (core.Partner, bool, error) { return tx.PartnerByUsername("u1") })
	require.True(t, ok)
	assert.Equal(t, p, got)
	got, ok = lookup(t, st, func(tx core.Tx) (core.Partner, bool, error) { return tx.PartnerByAPIKeyHash("k2") })
	require.True(t, ok)
	assert.Equal(t, p, got)
	assert.Equal(t, core.PartnerID("p"), byKey("k1"))
	assert.Empty(t, byUser("u"), "no prefix match")
	assert.Empty(t, byKey("k"), "no prefix match")

	// Renaming and rotating a key drop the stale entries.
	p.Username, p.APIKeyHashes = "u2", []string{"k2", "k3"}
	update(t, st, func(tx core.Tx) error { return tx.PutPartner(p) })
	assert.Empty(t, byUser("u1"))
	assert.Equal(t, core.PartnerID("p"), byUser("u2"))
	assert.Empty(t, byKey("k1"))
	assert.Equal(t, core.PartnerID("p"), byKey("k2"))
	assert.Equal(t, core.PartnerID("p"), byKey("k3"))

	// Dropping the username and every key drops every entry.
	update(t, st, func(tx core.Tx) error { return tx.PutPartner(core.Partner{ID: "p"}) })
	assert.Empty(t, byUser("u2"))
	assert.Empty(t, byKey("k2"))
	assert.Empty(t, byKey("k3"))

	// The partner put last holds a username or key another one had: puts
	// are not refused, they take the entry over.
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutPartner,
			core.Partner{ID: "a", Username: "shared", APIKeyHashes: []string{"ks"}},
			core.Partner{ID: "b", Username: "shared", APIKeyHashes: []string{"ks"}})
	})
	assert.Equal(t, core.PartnerID("b"), byUser("shared"))
	assert.Equal(t, core.PartnerID("b"), byKey("ks"))
	update(t, st, func(tx core.Tx) error {
		return tx.PutPartner(core.Partner{ID: "a", Name: "again", Username: "shared", APIKeyHashes: []string{"ks"}})
	})
	assert.Equal(t, core.PartnerID("a"), byUser("shared"), "put last")
	assert.Equal(t, core.PartnerID("a"), byKey("ks"), "put last")

	// b moving on does not delete the entry a holds now.
	update(t, st, func(tx core.Tx) error { return tx.PutPartner(core.Partner{ID: "b", Username: "bee"}) })
	assert.Equal(t, core.PartnerID("a"), byUser("shared"))
	assert.Equal(t, core.PartnerID("a"), byKey("ks"))
	assert.Equal(t, core.PartnerID("b"), byUser("bee"))
}

// contractAccountChildren: the direct children of a node, by id in byte
// order (upper case before lower case, "-" before letters), following moves.
func contractAccountChildren(t *testing.T, st core.Store) {
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutAccount,
			core.Account{ID: "root", Partner: "p", Name: "Root"},
			core.Account{ID: "root-b", Partner: "p", Parent: "root"},
			core.Account{ID: "root-a", Partner: "p", Parent: "root"},
			core.Account{ID: "rootx", Partner: "p", Parent: "root-a"},
			core.Account{ID: "c", Partner: "p", Parent: "root"},
			core.Account{ID: "B", Partner: "p", Parent: "root"},
			core.Account{ID: "other", Partner: "q", Parent: "roo"},
		)
	})
	children := func(parent core.AccountID) []core.AccountID {
		t.Helper()
		kids := read(t, st, func(tx core.Tx) ([]core.Account, error) { return tx.AccountChildren(parent) })
		for _, k := range kids {
			assert.Equal(t, parent, k.Parent)
		}
		return keys(kids, func(a core.Account) core.AccountID { return a.ID })
	}
	assert.Equal(t, []core.AccountID{"B", "c", "root-a", "root-b"}, children("root"))
	assert.Equal(t, []core.AccountID{"rootx"}, children("root-a"))
	assert.Empty(t, children("roo-"))
	assert.Empty(t, children("c"))
	kids := read(t, st, func(tx core.Tx) ([]core.Account, error) { return tx.AccountChildren("root-a") })
	assert.Equal(t, []core.Account{{ID: "rootx", Partner: "p", Parent: "root-a"}}, kids)

	// A move leaves the old parent's list; a root (no parent) is nobody's child.
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutAccount,
			core.Account{ID: "root-b", Partner: "p", Parent: "root-a"},
			core.Account{ID: "c", Partner: "p"})
	})
	assert.Equal(t, []core.AccountID{"B", "root-a"}, children("root"))
	assert.Equal(t, []core.AccountID{"root-b", "rootx"}, children("root-a"))
	assert.Empty(t, children(""))
}

// contractProductsOf: an owner's products by id, numerically; a change of
// owner moves the product.
func contractProductsOf(t *testing.T, st core.Store) {
	update(t, st, func(tx core.Tx) error {
		for _, id := range []int64{256, 9, 42123212, 10} {
			if err := tx.PutProduct(core.Product{ID: id, Owner: "demo-rsp", Type: core.ProductTypeSIMCard}); err != nil {
				return err
			}
		}
		return tx.PutProduct(core.Product{ID: 7, Owner: "demo-rs", Type: core.ProductTypeSIMCard, Category: "NBN"})
	})
	ids := func(owner core.PartnerID) []int64 {
		t.Helper()
		ps := read(t, st, func(tx core.Tx) ([]core.Product, error) { return tx.ProductsOf(owner) })
		for _, p := range ps {
			assert.Equal(t, owner, p.Owner)
		}
		return keys(ps, func(p core.Product) int64 { return p.ID })
	}
	assert.Equal(t, []int64{9, 10, 256, 42123212}, ids("demo-rsp"))
	assert.Equal(t, []int64{7}, ids("demo-rs"))
	ps := read(t, st, func(tx core.Tx) ([]core.Product, error) { return tx.ProductsOf("demo-rs") })
	assert.Equal(t, []core.Product{{ID: 7, Owner: "demo-rs", Type: core.ProductTypeSIMCard, Category: "NBN"}}, ps)

	update(t, st, func(tx core.Tx) error {
		return tx.PutProduct(core.Product{ID: 10, Owner: "demo-rs", Type: core.ProductTypeSIMCard})
	})
	assert.Equal(t, []int64{9, 256, 42123212}, ids("demo-rsp"))
	assert.Equal(t, []int64{7, 10}, ids("demo-rs"))
	assert.Empty(t, ids("demo"))
}

func simBy(t *testing.T, st core.Store, fn func(core.Tx) (core.SIM, bool, error)) string {
	t.Helper()
	s, _ := lookup(t, st, fn)
	return s.ID
}

// contractSIMIndexes: each identifier finds the SIM; a changed or dropped
// identifier no longer does; the SIM put last takes an identifier over.
func contractSIMIndexes(t *testing.T, st core.Store) {
	by := map[string]func(v string) func(core.Tx) (core.SIM, bool, error){
		"iccid": func(v string) func(core.Tx) (core.SIM, bool, error) {
			return func(tx core.Tx) (core.SIM, bool, error) { return tx.SIMByICCID(v) }
		},
		"number": func(v string) func(core.Tx) (core.SIM, bool, error) {
			return func(tx core.Tx) (core.SIM, bool, error) { return tx.SIMBySimNumber(v) }
		},
		"imsi": func(v string) func(core.Tx) (core.SIM, bool, error) {
			return func(tx core.Tx) (core.SIM, bool, error) { return tx.SIMByIMSI(v) }
		},
		"eid": func(v string) func(core.Tx) (core.SIM, bool, error) {
			return func(tx core.Tx) (core.SIM, bool, error) { return tx.SIMByEID(v) }
		},
	}
	s := core.SIM{ID: "sim:498172577", SimNumber: "498172577", IMSI: "505010000000001", EID: "8904",
		Product: 42123212, Owner: "demo-rsp", Account: "acc", Status: core.SIMHeld, Locked: true}
	update(t, st, func(tx core.Tx) error { return tx.PutSIM(s) })
	for kind, v := range map[string]string{"number": "498172577", "imsi": "505010000000001", "eid": "8904"} {
		got, ok := lookup(t, st, by[kind](v))
		assert.True(t, ok, kind)
		assert.Equal(t, s, got, kind)
	}
	assert.Empty(t, simBy(t, st, by["iccid"]("")), "an empty identifier finds nothing")
	assert.Empty(t, simBy(t, st, by["imsi"]("50501000000000")), "no prefix match")

	// The ICCID becomes known, the IMSI changes, the EID goes away.
	s.ICCID, s.IMSI, s.EID, s.Status = "89610000000000000001", "505010000000002", "", core.SIMActive
	update(t, st, func(tx core.Tx) error { return tx.PutSIM(s) })
	for kind, want := range map[string]map[string]string{
		"iccid":  {"89610000000000000001": s.ID},
		"number": {"498172577": s.ID},
		"imsi":   {"505010000000002": s.ID, "505010000000001": ""},
		"eid":    {"8904": ""},
	} {
		for v, id := range want {
			assert.Equal(t, id, simBy(t, st, by[kind](v)), "%s %s", kind, v)
		}
	}

	// Another SIM put with the same IMSI takes it over; the first SIM then
	// changing its IMSI leaves the other's entry alone.
	update(t, st, func(tx core.Tx) error {
		return tx.PutSIM(core.SIM{ID: "8961other", ICCID: "8961other", IMSI: "505010000000002", Owner: "demo-rsp", Status: core.SIMHeld})
	})
	assert.Equal(t, "8961other", simBy(t, st, by["imsi"]("505010000000002")))
	s.IMSI = "505010000000003"
	update(t, st, func(tx core.Tx) error { return tx.PutSIM(s) })
	assert.Equal(t, "8961other", simBy(t, st, by["imsi"]("505010000000002")))
	assert.Equal(t, s.ID, simBy(t, st, by["imsi"]("505010000000003")))
}

// contractNumberIndexes: the reservation id finds the number while it has
// one; the number's status decides whether it is available.
func contractNumberIndexes(t *testing.T, st core.Store) {
	n := core.Number{MSISDN: "61400000001", Owner: "p", Account: "acc", Pool: "au", Status: core.NumberIsReserved, ReservationID: "r1"}
	update(t, st, func(tx core.Tx) error { return tx.PutNumber(n) })
	got, ok := lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.NumberByReservation("r1") })
	assert.True(t, ok)
	assert.Equal(t, n, got)
	_, ok = lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.FirstAvailableNumber("p", "au") })
	assert.False(t, ok, "a reserved number is not available")

	// A new reservation id moves the entry; none removes it.
	n.ReservationID = "r2"
	update(t, st, func(tx core.Tx) error { return tx.PutNumber(n) })
	_, ok = lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.NumberByReservation("r1") })
	assert.False(t, ok)
	got, ok = lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.NumberByReservation("r2") })
	assert.True(t, ok)
	assert.Equal(t, n, got)

	n.Status, n.ReservationID = core.NumberIsAvailable, ""
	update(t, st, func(tx core.Tx) error { return tx.PutNumber(n) })
	_, ok = lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.NumberByReservation("r2") })
	assert.False(t, ok)
	got, ok = lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.FirstAvailableNumber("p", "au") })
	assert.True(t, ok)
	assert.Equal(t, n, got)

	// Another number reserved under the same id takes it over.
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutNumber,
			core.Number{MSISDN: "61400000002", Owner: "p", Status: core.NumberIsReserved, ReservationID: "r3"},
			core.Number{MSISDN: "61400000003", Owner: "p", Status: core.NumberIsReserved, ReservationID: "r3"})
	})
	got, _ = lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.NumberByReservation("r3") })
	assert.Equal(t, "61400000003", got.MSISDN)

	n.Status, n.Subscription = core.NumberIsAssigned, "sub-1"
	update(t, st, func(tx core.Tx) error { return tx.PutNumber(n) })
	_, ok = lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.FirstAvailableNumber("p", "au") })
	assert.False(t, ok, "an assigned number is not available")
}

// contractSQsByIdentifier: every SQ of the service type and identifier, by
// SQ id; a changed identifier moves the SQ.
func contractSQsByIdentifier(t *testing.T, st core.Store) {
	q1 := core.SQ{ID: 581408, Owner: "demo-rsp", ServiceIdentifier: "61464917053", ServiceType: 5702,
		Status: core.SQWaitingOnEndUser, Order: &core.Order{ID: "o1", Owner: "demo-rsp", Finalised: true}}
	q2 := core.SQ{ID: 300, Owner: "other-rsp", ServiceIdentifier: "61464917053", ServiceType: 5702, Status: core.SQActive}
	q3 := core.SQ{ID: 1, Owner: "demo-rsp", ServiceIdentifier: "61464917053", ServiceType: 5704, Status: core.SQActive}
	q4 := core.SQ{ID: 2, Owner: "demo-rsp", ServiceIdentifier: "6146491705", ServiceType: 5702, Status: core.SQActive}
	update(t, st, func(tx core.Tx) error { return putAll(tx.PutSQ, q1, q2, q3, q4) })
	sqs := func(stype int64, ident string) []core.SQ {
		t.Helper()
		return read(t, st, func(tx core.Tx) ([]core.SQ, error) { return tx.SQsByIdentifier(stype, ident) })
	}
	assert.Equal(t, []core.SQ{q2, q1}, sqs(5702, "61464917053"))
	assert.Equal(t, []core.SQ{q3}, sqs(5704, "61464917053"))
	assert.Equal(t, []core.SQ{q4}, sqs(5702, "6146491705"))
	assert.Empty(t, sqs(5703, "61464917053"))

	q2.ServiceIdentifier = "61464917099"
	q3.ServiceType = 5702
	update(t, st, func(tx core.Tx) error { return putAll(tx.PutSQ, q2, q3) })
	assert.Equal(t, []core.SQ{q3, q1}, sqs(5702, "61464917053"))
	assert.Equal(t, []core.SQ{q2}, sqs(5702, "61464917099"))
	assert.Empty(t, sqs(5704, "61464917053"))
}

func subBy(t *testing.T, st core.Store, kind core.SubscriberKind, value string) string {
	t.Helper()
	s, _ := lookup(t, st, func(tx core.Tx) (core.Subscription, bool, error) { return tx.SubscriptionBy(kind, value) })
	return s.ID
}

// contractSubscriptionIndexes: ICCID, IMSI, MSISDN and IMEI find the
// subscription. A live subscription always claims its entries; a ceased
// one keeps its own until a live one takes them, and claims only free
// ones; a subscription changing an identifier removes only its own entry.
func contractSubscriptionIndexes(t *testing.T, st core.Store) {
	old := core.Subscription{ID: "sub-1", Partner: "p", Account: "acc", Channel: core.ChannelMVNX, Status: core.SubActive,
		SIM: "8961001", ICCID: "8961001", IMSI: "505011", MSISDN: "61400000001", IMEI: "35000001",
		Plan: "plan-a", CreatedAt: at(0), UpdatedAt: at(0)}
	update(t, st, func(tx core.Tx) error { return tx.PutSubscription(old) })
	got, ok := lookup(t, st, func(tx core.Tx) (core.Subscription, bool, error) {
		return tx.SubscriptionBy(core.ByMSISDN, "61400000001")
	})
	assert.True(t, ok)
	assert.Equal(t, old, got)
	for kind, v := range map[core.SubscriberKind]string{core.ByID: "sub-1", core.ByICCID: "8961001", core.ByIMSI: "505011", core.ByMSISDN: "61400000001", core.ByIMEI: "35000001"} {
		assert.Equal(t, "sub-1", subBy(t, st, kind, v), kind)
	}
	for kind, v := range map[core.SubscriberKind]string{core.ByICCID: "505011", core.ByIMSI: "61400000001", core.ByMSISDN: "35000001", core.ByIMEI: "8961001"} {
		assert.Empty(t, subBy(t, st, kind, v), "each kind has its own index (%s)", kind)
	}
	err := st.View(ctx, func(tx core.Tx) error {
		_, _, err := tx.SubscriptionBy("colour", "red")
		return err
	})
	assert.Equal(t, core.ReasonMalformed, core.ReasonOf(err), "an unknown kind is malformed")

	// A handset swap drops the old IMEI; ceasing keeps the other identifiers.
	old.IMEI, old.Status, old.CeasedAt = "35000002", core.SubCeased, at(3600)
	update(t, st, func(tx core.Tx) error { return tx.PutSubscription(old) })
	assert.Empty(t, subBy(t, st, core.ByIMEI, "35000001"))
	assert.Equal(t, "sub-1", subBy(t, st, core.ByIMEI, "35000002"))
	assert.Equal(t, "sub-1", subBy(t, st, core.ByMSISDN, "61400000001"))

	// A new live line on the same number takes the MSISDN over; saving the
	// ceased one again does not take it back.
	next := core.Subscription{ID: "sub-2", Partner: "p", Channel: core.ChannelSPS, Status: core.SubPending,
		ICCID: "8961002", MSISDN: "61400000001", CreatedAt: at(0), UpdatedAt: at(0)}
	update(t, st, func(tx core.Tx) error { return tx.PutSubscription(next) })
	old.UpdatedAt = at(7200)
	update(t, st, func(tx core.Tx) error { return tx.PutSubscription(old) })
	assert.Equal(t, "sub-2", subBy(t, st, core.ByMSISDN, "61400000001"))
	assert.Equal(t, "sub-1", subBy(t, st, core.ByICCID, "8961001"))
	assert.Equal(t, "sub-2", subBy(t, st, core.ByICCID, "8961002"))

	// A ceased subscription claims a free identifier.
	old.IMSI = "505019"
	update(t, st, func(tx core.Tx) error { return tx.PutSubscription(old) })
	assert.Equal(t, "sub-1", subBy(t, st, core.ByIMSI, "505019"))
	assert.Empty(t, subBy(t, st, core.ByIMSI, "505011"))

	// A ceased subscription that changes identifiers removes only its own entries.
	old.MSISDN = ""
	update(t, st, func(tx core.Tx) error { return tx.PutSubscription(old) })
	assert.Equal(t, "sub-2", subBy(t, st, core.ByMSISDN, "61400000001"))

	// The live one ceasing keeps its entry; a live one reactivated takes
	// an entry back from a ceased holder.
	next.Status, next.CeasedAt = core.SubCeased, at(9000)
	update(t, st, func(tx core.Tx) error { return tx.PutSubscription(next) })
	assert.Equal(t, "sub-2", subBy(t, st, core.ByMSISDN, "61400000001"))
	old.Status, old.CeasedAt, old.MSISDN = core.SubActive, time.Time{}, "61400000001"
	update(t, st, func(tx core.Tx) error { return tx.PutSubscription(old) })
	assert.Equal(t, "sub-1", subBy(t, st, core.ByMSISDN, "61400000001"))
	got, _ = lookup(t, st, func(tx core.Tx) (core.Subscription, bool, error) { return tx.Subscription("sub-1") })
	assert.Equal(t, old, got)
}
