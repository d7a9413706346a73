package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/store"
)

var errRollback = errors.New("rollback")

func TestAbsentKeys(t *testing.T) {
	db := openDB(t)
	view(t, db, func(tx core.Tx) error {
		p, ok, err := tx.Partner("nobody")
		assert.NoError(t, err)
		assert.False(t, ok)
		assert.Zero(t, p)
		for _, lookup := range []func() (any, bool, error){
			func() (any, bool, error) { return tx.PartnerByUsername("x") },
			func() (any, bool, error) { return tx.PartnerByAPIKeyHash("x") },
			func() (any, bool, error) { return tx.Account("x") },
			func() (any, bool, error) { return tx.ServiceType(1) },
			func() (any, bool, error) { return tx.Product(1) },
			func() (any, bool, error) { return tx.SIM("x") },
			func() (any, bool, error) { return tx.SIMByICCID("x") },
			func() (any, bool, error) { return tx.SIMBySimNumber("x") },
			func() (any, bool, error) { return tx.SIMByIMSI("x") },
			func() (any, bool, error) { return tx.SIMByEID("x") },
			func() (any, bool, error) { return tx.Number("x") },
			func() (any, bool, error) { return tx.NumberByReservation("x") },
			func() (any, bool, error) { return tx.FirstAvailableNumber("p", "x") },
			func() (any, bool, error) { return tx.SQ(1) },
			func() (any, bool, error) { return tx.Subscription("x") },
			func() (any, bool, error) { return tx.SubscriptionBy(core.ByMSISDN, "x") },
			func() (any, bool, error) { return tx.Session("x") },
			func() (any, bool, error) { return tx.Plan("x") },
			func() (any, bool, error) { return tx.Transaction("x") },
			func() (any, bool, error) { return tx.TransactionByKey("p", core.ChannelMVNX, "op", "x") },
			func() (any, bool, error) { return tx.Delivery("x") },
		} {
			v, ok, err := lookup()
			assert.NoError(t, err)
			assert.False(t, ok)
			assert.Zero(t, v)
		}
		kids, err := tx.AccountChildren("x")
		assert.NoError(t, err)
		assert.Empty(t, kids)
		for _, list := range []func() (any, error){
			func() (any, error) { return tx.UnfinishedTransactions(0) },
			func() (any, error) { return tx.DueDeliveries(time.Now(), 0, nil) },
			func() (any, error) { return tx.DeliveriesOf("x") },
			func() (any, error) { return tx.DeliveriesByStatus(core.DeliveryDead, 0) },
		} {
			v, err := list()
			assert.NoError(t, err)
			assert.Empty(t, v)
		}
		return nil
	})
}

func TestPartner(t *testing.T) {
	db := openDB(t)
	p := core.Partner{ID: "demo-rsp", Name: "Demo", Username: "demo", PasswordHash: "$2a$...",
		APIKeyHashes: []string{store.HashSecret("k1"), store.HashSecret("k2")}, RootAccount: "acc-root"}
	update(t, db, func(tx core.Tx) error { return tx.PutPartner(p) })
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.Partner("demo-rsp")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, p, got)
		got, ok, _ = tx.PartnerByUsername("demo")
		assert.True(t, ok)
		assert.Equal(t, p, got)
		for _, k := range []string{"k1", "k2"} {
			got, ok, _ = tx.PartnerByAPIKeyHash(store.HashSecret(k))
			assert.True(t, ok, k)
			assert.Equal(t, p.ID, got.ID)
		}
		return nil
	})

	// Renaming the user and rotating a key drop the stale index entries.
	p.Username, p.APIKeyHashes = "demo2", []string{store.HashSecret("k2"), store.HashSecret("k3")}
	update(t, db, func(tx core.Tx) error { return tx.PutPartner(p) })
	view(t, db, func(tx core.Tx) error {
		for user, want := range map[string]bool{"demo": false, "demo2": true} {
			_, ok, err := tx.PartnerByUsername(user)
			require.NoError(t, err)
			assert.Equal(t, want, ok, user)
		}
		for k, want := range map[string]bool{"k1": false, "k2": true, "k3": true} {
			_, ok, err := tx.PartnerByAPIKeyHash(store.HashSecret(k))
			require.NoError(t, err)
			assert.Equal(t, want, ok, k)
		}
		return nil
	})

	// An index entry another partner has taken over is not the first one's
	// to delete when it moves on.
	update(t, db, func(tx core.Tx) error {
		return tx.PutPartner(core.Partner{ID: "other", Username: "demo2"})
	})
	p.Username = "demo3"
	update(t, db, func(tx core.Tx) error { return tx.PutPartner(p) })
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.PartnerByUsername("demo2")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.PartnerID("other"), got.ID)
		return nil
	})
}

func TestAccountChildren(t *testing.T) {
	db := openDB(t)
	update(t, db, func(tx core.Tx) error {
		for _, a := range []core.Account{
			{ID: "root", Partner: "p", Name: "Root"},
			{ID: "root-b", Partner: "p", Parent: "root"},
			{ID: "root-a", Partner: "p", Parent: "root"},
			{ID: "rootx", Partner: "p", Parent: "root-a"},
			{ID: "c", Partner: "p", Parent: "root"},
		} {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(tx core.Tx, parent core.AccountID) []core.AccountID {
		kids, err := tx.AccountChildren(parent)
		require.NoError(t, err)
		var out []core.AccountID
		for _, k := range kids {
			assert.Equal(t, parent, k.Parent)
			out = append(out, k.ID)
		}
		return out
	}
	view(t, db, func(tx core.Tx) error {
		a, ok, err := tx.Account("root")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.Account{ID: "root", Partner: "p", Name: "Root"}, a)
		assert.Equal(t, []core.AccountID{"c", "root-a", "root-b"}, ids(tx, "root"))
		assert.Equal(t, []core.AccountID{"rootx"}, ids(tx, "root-a"))
		assert.Empty(t, ids(tx, "root-"))
		return nil
	})

	// A move, seen inside the fn (overlay over bbolt) and after the commit.
	update(t, db, func(tx core.Tx) error {
		require.NoError(t, tx.PutAccount(core.Account{ID: "root-b", Partner: "p", Parent: "root-a"}))
		require.NoError(t, tx.PutAccount(core.Account{ID: "b0", Partner: "p", Parent: "root"}))
		// Away and back: the overlay's put shadows the committed entry, listed once.
		require.NoError(t, tx.PutAccount(core.Account{ID: "c", Partner: "p", Parent: "root-a"}))
		require.NoError(t, tx.PutAccount(core.Account{ID: "c", Partner: "p", Parent: "root"}))
		assert.Equal(t, []core.AccountID{"b0", "c", "root-a"}, ids(tx, "root"))
		assert.Equal(t, []core.AccountID{"root-b", "rootx"}, ids(tx, "root-a"))
		return nil
	})
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, []core.AccountID{"b0", "c", "root-a"}, ids(tx, "root"))
		assert.Equal(t, []core.AccountID{"root-b", "rootx"}, ids(tx, "root-a"))
		return nil
	})
}

func TestServiceTypeAndProducts(t *testing.T) {
	db := openDB(t)
	st := core.ServiceType{ID: 5702, Name: "TelstraMarketExtender", Partners: []core.PartnerID{"a", "b"}, NeedsProduct: true}
	update(t, db, func(tx core.Tx) error {
		if err := tx.PutServiceType(st); err != nil {
			return err
		}
		// Ids chosen so that only a numeric (big-endian) key order lists them right.
		for _, id := range []int64{256, 9, 42123212, 10} {
			if err := tx.PutProduct(core.Product{ID: id, Owner: "demo-rsp", Type: core.ProductTypeSIMCard}); err != nil {
				return err
			}
		}
		return tx.PutProduct(core.Product{ID: 7, Owner: "demo-rs", Type: core.ProductTypeSIMCard, Category: "NBN"})
	})
	ids := func(tx core.Tx, owner core.PartnerID) []int64 {
		ps, err := tx.ProductsOf(owner)
		require.NoError(t, err)
		var out []int64
		for _, p := range ps {
			assert.Equal(t, owner, p.Owner)
			out = append(out, p.ID)
		}
		return out
	}
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.ServiceType(5702)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, st, got)
		p, ok, err := tx.Product(7)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.Product{ID: 7, Owner: "demo-rs", Type: core.ProductTypeSIMCard, Category: "NBN"}, p)
		assert.Equal(t, []int64{9, 10, 256, 42123212}, ids(tx, "demo-rsp"))
		assert.Equal(t, []int64{7}, ids(tx, "demo-rs"))
		return nil
	})
	update(t, db, func(tx core.Tx) error {
		return tx.PutProduct(core.Product{ID: 10, Owner: "demo-rs", Type: core.ProductTypeSIMCard})
	})
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, []int64{9, 256, 42123212}, ids(tx, "demo-rsp"))
		assert.Equal(t, []int64{7, 10}, ids(tx, "demo-rs"))
		return nil
	})
}

func TestSIMIndexes(t *testing.T) {
	db := openDB(t)
	s := core.SIM{ID: "sim:498172577", SimNumber: "498172577", IMSI: "505010000000001", EID: "8904",
		Product: 42123212, Owner: "demo-rsp", Account: "acc", Status: core.SIMHeld, Locked: true}
	update(t, db, func(tx core.Tx) error { return tx.PutSIM(s) })
	view(t, db, func(tx core.Tx) error {
		for name, lookup := range map[string]func() (core.SIM, bool, error){
			"id":     func() (core.SIM, bool, error) { return tx.SIM("sim:498172577") },
			"number": func() (core.SIM, bool, error) { return tx.SIMBySimNumber("498172577") },
			"imsi":   func() (core.SIM, bool, error) { return tx.SIMByIMSI("505010000000001") },
			"eid":    func() (core.SIM, bool, error) { return tx.SIMByEID("8904") },
		} {
			got, ok, err := lookup()
			require.NoError(t, err)
			assert.True(t, ok, name)
			assert.Equal(t, s, got, name)
		}
		return nil
	})

	// The ICCID becomes known, the IMSI changes, the EID goes away.
	s.ICCID, s.IMSI, s.EID, s.Status = "89610000000000000001", "505010000000002", "", core.SIMActive
	update(t, db, func(tx core.Tx) error {
		require.NoError(t, tx.PutSIM(s))
		_, ok, err := tx.SIMByIMSI("505010000000001") // read-your-writes: stale entry gone inside the fn
		assert.False(t, ok)
		return err
	})
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.SIMByICCID("89610000000000000001")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, s, got)
		_, ok, _ = tx.SIMByIMSI("505010000000002")
		assert.True(t, ok)
		_, ok, _ = tx.SIMByIMSI("505010000000001")
		assert.False(t, ok)
		_, ok, _ = tx.SIMByEID("8904")
		assert.False(t, ok)
		_, ok, _ = tx.SIMBySimNumber("498172577")
		assert.True(t, ok)
		return nil
	})
}

func TestNumberIndexes(t *testing.T) {
	db := openDB(t)
	n := core.Number{MSISDN: "61400000001", Owner: "p", Account: "acc", Pool: "au", Status: core.NumberIsReserved,
		ReservationID: "r1", AgingUntil: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	update(t, db, func(tx core.Tx) error { return tx.PutNumber(n) })
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.Number("61400000001")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, n, got)
		got, ok, _ = tx.NumberByReservation("r1")
		assert.True(t, ok)
		assert.Equal(t, n, got)
		_, ok, _ = tx.FirstAvailableNumber("p", "au")
		assert.False(t, ok, "a reserved number is not available")
		return nil
	})
	n.Status, n.ReservationID, n.AgingUntil = core.NumberIsAvailable, "", time.Time{}
	update(t, db, func(tx core.Tx) error { return tx.PutNumber(n) })
	view(t, db, func(tx core.Tx) error {
		_, ok, _ := tx.NumberByReservation("r1")
		assert.False(t, ok)
		got, ok, err := tx.FirstAvailableNumber("p", "au")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, n, got)
		return nil
	})
	n.Status, n.Subscription = core.NumberIsAssigned, "sub-1"
	update(t, db, func(tx core.Tx) error { return tx.PutNumber(n) })
	view(t, db, func(tx core.Tx) error {
		_, ok, err := tx.FirstAvailableNumber("p", "au")
		assert.False(t, ok, "an assigned number left numbers_available")
		return err
	})
}

func TestFirstAvailableNumber(t *testing.T) {
	db := openDB(t)
	put := func(tx core.Tx, msisdn string, owner core.PartnerID, pool string, status core.NumberStatus) {
		require.NoError(t, tx.PutNumber(core.Number{MSISDN: msisdn, Owner: owner, Pool: pool, Status: status}))
	}
	first := func(tx core.Tx, owner core.PartnerID, pool string) string {
		n, ok, err := tx.FirstAvailableNumber(owner, pool)
		require.NoError(t, err)
		if !ok {
			return ""
		}
		assert.Equal(t, owner, n.Owner)
		assert.Equal(t, pool, n.Pool)
		return n.MSISDN
	}
	update(t, db, func(tx core.Tx) error {
		put(tx, "61400000105", "p", "au", core.NumberIsAvailable)
		put(tx, "61400000103", "p", "au", core.NumberIsAvailable)
		put(tx, "61400000101", "p", "au", core.NumberIsAssigned)
		put(tx, "61400000102", "p", "aus", core.NumberIsAvailable) // a pool whose name extends "au"
		put(tx, "61400000100", "q", "au", core.NumberIsAvailable)  // another owner
		put(tx, "61400000104", "p", "au", core.NumberIsAvailable)
		return nil
	})
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, "61400000103", first(tx, "p", "au"))
		assert.Equal(t, "61400000102", first(tx, "p", "aus"))
		assert.Equal(t, "61400000100", first(tx, "q", "au"))
		assert.Equal(t, "", first(tx, "p", "a"))
		assert.Equal(t, "", first(tx, "q", "aus"))
		return nil
	})

	// Inside a fn the overlay merges with bbolt: its tombstones hide committed
	// entries, its puts take their place in key order.
	err := db.Update(ctx, func(tx core.Tx) error {
		put(tx, "61400000103", "p", "au", core.NumberIsReserved)
		assert.Equal(t, "61400000104", first(tx, "p", "au"))
		put(tx, "61400000104", "p", "au", core.NumberIsReserved)
		assert.Equal(t, "61400000105", first(tx, "p", "au"))
		put(tx, "61400000101", "p", "au", core.NumberIsAvailable)
		assert.Equal(t, "61400000101", first(tx, "p", "au"))
		put(tx, "61400000101", "p", "au", core.NumberIsReserved)
		put(tx, "61400000105", "p", "au", core.NumberIsReserved)
		assert.Equal(t, "", first(tx, "p", "au"))
		put(tx, "61400000106", "p", "au", core.NumberIsAvailable)
		assert.Equal(t, "61400000106", first(tx, "p", "au"))
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, "61400000103", first(tx, "p", "au"), "the failed fn changed nothing")
		return nil
	})
}

func TestSQsByIdentifier(t *testing.T) {
	db := openDB(t)
	q1 := core.SQ{ID: 581408, Owner: "demo-rsp", ServiceIdentifier: "61464917053", ServiceType: 5702,
		Status: core.SQWaitingOnEndUser, Order: &core.Order{ID: "o1", Owner: "demo-rsp", Finalised: true}}
	q2 := core.SQ{ID: 300, Owner: "other-rsp", ServiceIdentifier: "61464917053", ServiceType: 5702, Status: core.SQActive}
	q3 := core.SQ{ID: 1, Owner: "demo-rsp", ServiceIdentifier: "61464917053", ServiceType: 5704, Status: core.SQActive}
	q4 := core.SQ{ID: 2, Owner: "demo-rsp", ServiceIdentifier: "6146491705", ServiceType: 5702, Status: core.SQActive}
	update(t, db, func(tx core.Tx) error {
		for _, q := range []core.SQ{q1, q2, q3, q4} {
			if err := tx.PutSQ(q); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.SQ(581408)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, q1, got)
		qs, err := tx.SQsByIdentifier(5702, "61464917053")
		require.NoError(t, err)
		assert.Equal(t, []core.SQ{q2, q1}, qs)
		qs, _ = tx.SQsByIdentifier(5704, "61464917053")
		assert.Equal(t, []core.SQ{q3}, qs)
		qs, _ = tx.SQsByIdentifier(5702, "6146491705")
		assert.Equal(t, []core.SQ{q4}, qs)
		return nil
	})
	q2.ServiceIdentifier = "61464917099"
	update(t, db, func(tx core.Tx) error { return tx.PutSQ(q2) })
	view(t, db, func(tx core.Tx) error {
		qs, err := tx.SQsByIdentifier(5702, "61464917053")
		require.NoError(t, err)
		assert.Equal(t, []core.SQ{q1}, qs)
		qs, _ = tx.SQsByIdentifier(5702, "61464917099")
		assert.Equal(t, []core.SQ{q2}, qs)
		return nil
	})
}

func TestSubscriptionIndexes(t *testing.T) {
	db := openDB(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	old := core.Subscription{ID: "sub-1", Partner: "p", Account: "acc", Channel: core.ChannelMVNX, Status: core.SubActive,
		SIM: "8961001", ICCID: "8961001", IMSI: "505011", MSISDN: "61400000001", IMEI: "35000001",
		Product: 42123212, ServiceType: 5702, SQ: 581407, Plan: "plan-a", BAN: "ban", CreatedAt: at, UpdatedAt: at}
	update(t, db, func(tx core.Tx) error { return tx.PutSubscription(old) })
	by := func(tx core.Tx, kind core.SubscriberKind, value string) string {
		s, ok, err := tx.SubscriptionBy(kind, value)
		require.NoError(t, err)
		if !ok {
			return ""
		}
		return s.ID
	}
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.Subscription("sub-1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, old, got)
		assert.Equal(t, "sub-1", by(tx, core.ByID, "sub-1"))
		assert.Equal(t, "sub-1", by(tx, core.ByICCID, "8961001"))
		assert.Equal(t, "sub-1", by(tx, core.ByIMSI, "505011"))
		assert.Equal(t, "sub-1", by(tx, core.ByMSISDN, "61400000001"))
		assert.Equal(t, "sub-1", by(tx, core.ByIMEI, "35000001"))
		_, _, err = tx.SubscriptionBy("colour", "red")
		assert.Equal(t, core.ReasonMalformed, core.ReasonOf(err))
		return nil
	})

	// A handset swap drops the old IMEI; ceasing keeps the other identifiers.
	old.IMEI, old.Status, old.CeasedAt = "35000002", core.SubCeased, at.Add(time.Hour)
	update(t, db, func(tx core.Tx) error { return tx.PutSubscription(old) })
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, "", by(tx, core.ByIMEI, "35000001"))
		assert.Equal(t, "sub-1", by(tx, core.ByIMEI, "35000002"))
		assert.Equal(t, "sub-1", by(tx, core.ByMSISDN, "61400000001"))
		return nil
	})

	// A new live line on the same number takes the MSISDN over; saving the
	// ceased one again does not take it back.
	next := core.Subscription{ID: "sub-2", Partner: "p", Channel: core.ChannelSPS, Status: core.SubPending,
		ICCID: "8961002", MSISDN: "61400000001", CreatedAt: at, UpdatedAt: at}
	update(t, db, func(tx core.Tx) error { return tx.PutSubscription(next) })
	old.UpdatedAt = at.Add(2 * time.Hour)
	update(t, db, func(tx core.Tx) error { return tx.PutSubscription(old) })
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, "sub-2", by(tx, core.ByMSISDN, "61400000001"))
		assert.Equal(t, "sub-1", by(tx, core.ByICCID, "8961001"))
		assert.Equal(t, "sub-2", by(tx, core.ByICCID, "8961002"))
		return nil
	})

	// A ceased subscription that changes identifiers removes only its own entries.
	old.MSISDN = ""
	update(t, db, func(tx core.Tx) error { return tx.PutSubscription(old) })
	view(t, db, func(tx core.Tx) error {
		assert.Equal(t, "sub-2", by(tx, core.ByMSISDN, "61400000001"))
		return nil
	})
}

func TestSession(t *testing.T) {
	db := openDB(t)
	s := core.Session{TokenHash: store.HashSecret("tok"), Partner: "demo-rsp",
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
	update(t, db, func(tx core.Tx) error { return tx.PutSession(s) })
	view(t, db, func(tx core.Tx) error {
		got, ok, err := tx.Session(s.TokenHash)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, s, got)
		return nil
	})
}

func TestEmptyKeyIsRefused(t *testing.T) {
	db := openDB(t)
	update(t, db, func(tx core.Tx) error {
		assert.Error(t, tx.PutSession(core.Session{}))
		assert.Error(t, tx.PutSIM(core.SIM{}))
		_, err := tx.NextSeq("")
		assert.Error(t, err)
		return nil
	})
}

func TestReadYourWritesInsideOneFn(t *testing.T) {
	db := openDB(t)
	update(t, db, func(tx core.Tx) error {
		require.NoError(t, tx.PutPartner(core.Partner{ID: "p", Username: "u"}))
		got, ok, err := tx.PartnerByUsername("u")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, core.PartnerID("p"), got.ID)
		require.NoError(t, tx.PutPartner(core.Partner{ID: "p", Username: "v"}))
		_, ok, _ = tx.PartnerByUsername("u")
		assert.False(t, ok)
		_, ok, _ = tx.PartnerByUsername("v")
		assert.True(t, ok)
		return nil
	})
	view(t, db, func(tx core.Tx) error {
		_, ok, _ := tx.PartnerByUsername("u")
		assert.False(t, ok)
		_, ok, _ = tx.PartnerByUsername("v")
		assert.True(t, ok)
		return nil
	})
}

func TestNextSeq(t *testing.T) {
	db := openDB(t)
	err := db.Update(ctx, func(tx core.Tx) error {
		for want := uint64(1); want <= 3; want++ {
			n, err := tx.NextSeq("sq")
			require.NoError(t, err)
			assert.Equal(t, want, n)
		}
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	update(t, db, func(tx core.Tx) error {
		n, err := tx.NextSeq("sq")
		assert.Equal(t, uint64(1), n, "the failed fn's numbers were given back")
		require.NoError(t, err)
		n, err = tx.NextSeq("other")
		assert.Equal(t, uint64(1), n, "sequences are independent")
		return err
	})
}

// A Put after a get in the same fn takes the previous index keys from the
// record as stored, not from the (changed) copy the get handed out.
func TestPutAfterGetInOneFnMovesIndexes(t *testing.T) {
	db := openDB(t)
	update(t, db, func(tx core.Tx) error {
		return tx.PutSIM(core.SIM{ID: "s1", ICCID: "8900000000000000001", IMSI: "001010000000001"})
	})
	update(t, db, func(tx core.Tx) error {
		s, ok, err := tx.SIM("s1")
		require.NoError(t, err)
		require.True(t, ok)
		s.ICCID = "8900000000000000002"
		if err := tx.PutSIM(s); err != nil {
			return err
		}
		s.ICCID = "8900000000000000003" // a second Put in the same fn
		return tx.PutSIM(s)
	})
	view(t, db, func(tx core.Tx) error {
		for iccid, want := range map[string]bool{"8900000000000000001": false, "8900000000000000002": false, "8900000000000000003": true} {
			_, ok, err := tx.SIMByICCID(iccid)
			require.NoError(t, err)
			assert.Equal(t, want, ok, iccid)
		}
		return nil
	})
}
