package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"simgate/core"
)

// entity is one kind of record: how to put it and read it back by its key.
type entity struct {
	name string
	put  func(core.Tx) error
	get  func(core.Tx) (any, bool, error)
	want any
}

func entityOf[T any](name string, v T, put func(core.Tx, T) error, get func(core.Tx) (T, bool, error)) entity {
	return entity{
		name: name,
		put:  func(tx core.Tx) error { return put(tx, v) },
		get:  func(tx core.Tx) (any, bool, error) { return get(tx) },
		want: v,
	}
}

// fullEntities sets every field, times with microseconds, nested values,
// maps and byte slices; minimalEntities only the keys, leaving nil slices
// and zero times, which must come back nil and zero.
func fullEntities() []entity {
	sub := core.Subscription{
		ID: "sub-1", Partner: "p-1", Account: "acc-1", Channel: core.ChannelSPS, Status: core.SubCeased,
		SIM: "8961001", ICCID: "8961001", SimNumber: "498172577", IMSI: "505011", EID: "8904900",
		MSISDN: "61400000001", IMEI: "356938035643809", Product: 42123212, ServiceType: 5702,
		ServiceIdentifier: "61464917053", SQ: 581408, Plan: "Plan001",
		Products:     []core.ProductChange{{ProductID: "Plan001-DATA", Action: core.ProductAdd, Characteristics: map[string]string{"speed": "5G", "cap": "10"}}},
		SubscriberID: "s-42", ActivationCode: "LPA:1$smdp.example$ABC", BAN: "900000000001",
		CreatedAt: at(1), UpdatedAt: at(2), CeasedAt: at(3),
	}
	return []entity{
		entityOf("Partner", core.Partner{ID: "p-1", Name: "Partner Ünö ✓ <&>", Username: "p1", PasswordHash: "$2a$04$abc",
			APIKeyHashes: []string{"h1", "h2"}, RootAccount: "acc-1", WebhookSecret: "whsec_abc", CallbackURL: "https://p.example/cb",
			SecretShown: true, RateLimit: &core.RateLimit{RPS: 2.5, Burst: 7}},
			core.Tx.PutPartner, func(tx core.Tx) (core.Partner, bool, error) { return tx.Partner("p-1") }),
		entityOf("Account", core.Account{ID: "acc-2", Partner: "p-1", Parent: "acc-1", Name: "Brand"},
			core.Tx.PutAccount, func(tx core.Tx) (core.Account, bool, error) { return tx.Account("acc-2") }),
		entityOf("ServiceType", core.ServiceType{ID: 5702, Name: "TelstraMarketExtender", Partners: []core.PartnerID{"p-1", "p-2"}, NeedsProduct: true},
			core.Tx.PutServiceType, func(tx core.Tx) (core.ServiceType, bool, error) { return tx.ServiceType(5702) }),
		entityOf("Product", core.Product{ID: 42123212, Owner: "p-1", Type: core.ProductTypeSIMCard, Category: "TelstraMarketExtender"},
			core.Tx.PutProduct, func(tx core.Tx) (core.Product, bool, error) { return tx.Product(42123212) }),
		entityOf("SIM", core.SIM{ID: "8961001", ICCID: "8961001", SimNumber: "498172577", IMSI: "505011", EID: "8904900",
			Product: 42123212, Owner: "p-1", Account: "acc-1", Status: core.SIMActive, Locked: true, Subscription: "sub-1"},
			core.Tx.PutSIM, func(tx core.Tx) (core.SIM, bool, error) { return tx.SIM("8961001") }),
		entityOf("Number", core.Number{MSISDN: "61400000001", Owner: "p-1", Account: "acc-1", Pool: "au", Status: core.NumberIsAging,
			ReservationID: "r-1", Subscription: "sub-1", AgingUntil: at(30)},
			core.Tx.PutNumber, func(tx core.Tx) (core.Number, bool, error) { return tx.Number("61400000001") }),
		entityOf("SQ", core.SQ{ID: 581408, Owner: "p-1", ServiceIdentifier: "61464917053", ServiceType: 5702, Status: core.SQActive,
			Order: &core.Order{ID: "ORD-1", Owner: "p-1", Finalised: true}, Service: "sub-1"},
			core.Tx.PutSQ, func(tx core.Tx) (core.SQ, bool, error) { return tx.SQ(581408) }),
		entityOf("Subscription", sub,
			core.Tx.PutSubscription, func(tx core.Tx) (core.Subscription, bool, error) { return tx.Subscription("sub-1") }),
		entityOf("Plan", core.Plan{Code: "Plan001", Partners: []core.PartnerID{"p-1"}, Offerings: []string{"Plan001-DATA", "Plan001-VOICE"}},
			core.Tx.PutPlan, func(tx core.Tx) (core.Plan, bool, error) { return tx.Plan("Plan001") }),
		entityOf("Session", core.Session{TokenHash: "ab12", Partner: "p-1", CreatedAt: at(-60), ExpiresAt: at(3600)},
			core.Tx.PutSession, func(tx core.Tx) (core.Session, bool, error) { return tx.Session("ab12") }),
		entityOf("Transaction", fullTransaction(sub),
			core.Tx.PutTransaction, func(tx core.Tx) (core.Transaction, bool, error) { return tx.Transaction("tx-1") }),
		entityOf("Delivery", core.Delivery{ID: "d-1", Partner: "p-1", TxID: "tx-1", Event: "activation", URL: "https://p.example/cb",
			ContentType: "application/json", Body: []byte(`{"ok":true}`), Accept: core.AcceptMVNXAck, Status: core.DeliveryDead,
			Attempts: []core.Attempt{{At: at(5), StatusCode: 503, Error: "unavailable", Duration: 12.5}, {At: at(6), Error: "timeout", Duration: 30000}},
			NextAt:   at(7), CreatedAt: at(4)},
			core.Tx.PutDelivery, func(tx core.Tx) (core.Delivery, bool, error) { return tx.Delivery("d-1") }),
		entityOf("Hub", core.Hub{ID: "hub-1", Partner: "p-1", Channel: core.ChannelTMF, Callback: "https://p.example/hub", Query: "eventType=X", CreatedAt: at(8)},
			core.Tx.PutHub, func(tx core.Tx) (core.Hub, bool, error) { return tx.Hub("hub-1") }),
	}
}

func fullTransaction(sub core.Subscription) core.Transaction {
	return core.Transaction{
		ID: "tx-1", Seq: 17, Partner: "p-1", Channel: core.ChannelMVNX, Operation: "ActivateSubscriber", PartnerTxID: "msg-1",
		CorrelationID: "corr-1", BodyHash: "bh", Ack: []byte("<ack/>"), AckStatus: 202, CallbackURL: "https://p.example/cb",
		Context: []byte(`{"h":1}`),
		Job: core.Job{
			Activations: []core.Activate{{Ref: core.TxRef{Partner: "p-1", Channel: core.ChannelMVNX, PartnerTxID: "msg-1", CorrelationID: "corr-1"},
				Account: "acc-1", SIM: core.SIMRef{ICCID: "8961001"}, Device: core.Device{IMEI: "356938035643809", Make: "Acme", Model: "X"},
				Number: core.NumberChoice{Mode: core.NumberFromPool, Pool: "au"}, Plan: "Plan001",
				Products: []core.ProductChange{{ProductID: "Plan001-DATA", Action: core.ProductAdd}}, BAN: "900000000001",
				SQ: &core.SQRef{ID: 581408}}},
			Changes: []core.ChangeStatus{{Subscription: core.SubscriberRef{Kind: core.ByMSISDN, Value: "61400000001"}, Action: core.ActionSuspend}},
			Moves:   []core.Move{{Subscriber: core.SubscriberRef{Kind: core.ByIMSI, Value: "505011"}, Target: "acc-2"}},
		},
		Status: core.TxPartial,
		Results: []core.ItemResult{
			{OK: true, Subscription: &sub},
			{Error: &core.ErrorInfo{Kind: core.KindConflict, Reason: core.ReasonSIMNotAvailable, Field: "sim", Message: "taken"}},
		},
		History:   []core.TxEvent{{At: at(0), Status: core.TxReceived}, {At: at(9), Status: core.TxPartial, Note: "done"}},
		CreatedAt: at(0), UpdatedAt: at(9),
	}
}

func minimalEntities() []entity {
	return []entity{
		entityOf("Partner", core.Partner{ID: "p-0"},
			core.Tx.PutPartner, func(tx core.Tx) (core.Partner, bool, error) { return tx.Partner("p-0") }),
		entityOf("Account", core.Account{ID: "acc-0"},
			core.Tx.PutAccount, func(tx core.Tx) (core.Account, bool, error) { return tx.Account("acc-0") }),
		entityOf("ServiceType", core.ServiceType{ID: 1},
			core.Tx.PutServiceType, func(tx core.Tx) (core.ServiceType, bool, error) { return tx.ServiceType(1) }),
		entityOf("Product", core.Product{ID: 1},
			core.Tx.PutProduct, func(tx core.Tx) (core.Product, bool, error) { return tx.Product(1) }),
		entityOf("SIM", core.SIM{ID: "sim:000000001"},
			core.Tx.PutSIM, func(tx core.Tx) (core.SIM, bool, error) { return tx.SIM("sim:000000001") }),
		entityOf("Number", core.Number{MSISDN: "1"},
			core.Tx.PutNumber, func(tx core.Tx) (core.Number, bool, error) { return tx.Number("1") }),
		entityOf("SQ", core.SQ{ID: 1},
			core.Tx.PutSQ, func(tx core.Tx) (core.SQ, bool, error) { return tx.SQ(1) }),
		entityOf("Subscription", core.Subscription{ID: "sub-0"},
			core.Tx.PutSubscription, func(tx core.Tx) (core.Subscription, bool, error) { return tx.Subscription("sub-0") }),
		entityOf("Plan", core.Plan{Code: "P0"},
			core.Tx.PutPlan, func(tx core.Tx) (core.Plan, bool, error) { return tx.Plan("P0") }),
		entityOf("Session", core.Session{TokenHash: "00"},
			core.Tx.PutSession, func(tx core.Tx) (core.Session, bool, error) { return tx.Session("00") }),
		entityOf("Transaction", core.Transaction{ID: "tx-0"},
			core.Tx.PutTransaction, func(tx core.Tx) (core.Transaction, bool, error) { return tx.Transaction("tx-0") }),
		entityOf("Delivery", core.Delivery{ID: "d-0"},
			core.Tx.PutDelivery, func(tx core.Tx) (core.Delivery, bool, error) { return tx.Delivery("d-0") }),
		entityOf("Hub", core.Hub{ID: "hub-0"},
			core.Tx.PutHub, func(tx core.Tx) (core.Hub, bool, error) { return tx.Hub("hub-0") }),
	}
}

// contractRoundTrip: what is put comes back equal, inside the writing
// Update and after it, for every entity, fully set and nearly empty; a
// second put replaces the first.
func contractRoundTrip(t *testing.T, st core.Store) {
	all := append(fullEntities(), minimalEntities()...)
	inside := make([]any, len(all))
	update(t, st, func(tx core.Tx) error {
		for i, e := range all {
			if err := e.put(tx); err != nil {
				return err
			}
			v, ok, err := e.get(tx)
			if err != nil {
				return err
			}
			inside[i] = nil
			if ok {
				inside[i] = v
			}
		}
		return nil
	})
	for i, e := range all {
		assert.Equal(t, e.want, inside[i], "%s inside the Update", e.name)
		v, ok := lookup(t, st, e.get)
		assert.True(t, ok, e.name)
		assert.Equal(t, e.want, v, e.name)
	}

	// Times keep their instant and come back in UTC.
	s, _ := lookup(t, st, func(tx core.Tx) (core.Session, bool, error) { return tx.Session("ab12") })
	assert.Equal(t, time.UTC, s.ExpiresAt.Location())
	assert.Equal(t, 123456000, s.ExpiresAt.Nanosecond())

	// A second put replaces the record whole.
	p2 := core.Partner{ID: "p-1", Name: "Renamed"}
	update(t, st, func(tx core.Tx) error { return tx.PutPartner(p2) })
	got, ok := lookup(t, st, func(tx core.Tx) (core.Partner, bool, error) { return tx.Partner("p-1") })
	assert.True(t, ok)
	assert.Equal(t, p2, got)
}

// contractAbsent: every getter answers ok=false, a zero value and no error
// for a key that is not there; every list answers empty.
func contractAbsent(t *testing.T, st core.Store) {
	// One record of each kind, so that absence is not an empty table's.
	update(t, st, func(tx core.Tx) error {
		for _, e := range fullEntities() {
			if err := e.put(tx); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, st, func(tx core.Tx) error {
		for name, get := range map[string]func() (any, bool, error){
			"Partner":              func() (any, bool, error) { return tx.Partner("x") },
			"PartnerByUsername":    func() (any, bool, error) { return tx.PartnerByUsername("x") },
			"PartnerByAPIKeyHash":  func() (any, bool, error) { return tx.PartnerByAPIKeyHash("x") },
			"Account":              func() (any, bool, error) { return tx.Account("x") },
			"ServiceType":          func() (any, bool, error) { return tx.ServiceType(2) },
			"Product":              func() (any, bool, error) { return tx.Product(2) },
			"SIM":                  func() (any, bool, error) { return tx.SIM("x") },
			"SIMByICCID":           func() (any, bool, error) { return tx.SIMByICCID("x") },
			"SIMBySimNumber":       func() (any, bool, error) { return tx.SIMBySimNumber("x") },
			"SIMByIMSI":            func() (any, bool, error) { return tx.SIMByIMSI("x") },
			"SIMByEID":             func() (any, bool, error) { return tx.SIMByEID("x") },
			"Number":               func() (any, bool, error) { return tx.Number("x") },
			"NumberByReservation":  func() (any, bool, error) { return tx.NumberByReservation("x") },
			"FirstAvailableNumber": func() (any, bool, error) { return tx.FirstAvailableNumber("p-1", "au") },
			"SQ":                   func() (any, bool, error) { return tx.SQ(2) },
			"Subscription":         func() (any, bool, error) { return tx.Subscription("x") },
			"SubscriptionBy ID":    func() (any, bool, error) { return tx.SubscriptionBy(core.ByID, "x") },
			"SubscriptionBy ICCID": func() (any, bool, error) { return tx.SubscriptionBy(core.ByICCID, "x") },
			"SubscriptionBy IMSI":  func() (any, bool, error) { return tx.SubscriptionBy(core.ByIMSI, "x") },
			"SubscriptionBy MSISDN": func() (any, bool, error) {
				return tx.SubscriptionBy(core.ByMSISDN, "x")
			},
			"SubscriptionBy IMEI": func() (any, bool, error) { return tx.SubscriptionBy(core.ByIMEI, "x") },
			"Plan":                func() (any, bool, error) { return tx.Plan("x") },
			"Session":             func() (any, bool, error) { return tx.Session("x") },
			"Transaction":         func() (any, bool, error) { return tx.Transaction("x") },
			"TransactionByKey": func() (any, bool, error) {
				return tx.TransactionByKey("p-1", core.ChannelMVNX, "ActivateSubscriber", "x")
			},
			"Delivery": func() (any, bool, error) { return tx.Delivery("x") },
			"Hub":      func() (any, bool, error) { return tx.Hub("x") },
		} {
			v, ok, err := get()
			assert.NoError(t, err, name)
			assert.False(t, ok, name)
			assert.Zero(t, v, name)
		}
		for name, list := range map[string]func() (any, error){
			"AccountChildren":        func() (any, error) { return tx.AccountChildren("x") },
			"ProductsOf":             func() (any, error) { return tx.ProductsOf("x") },
			"AgedNumbers":            func() (any, error) { return tx.AgedNumbers(at(29), 0) },
			"SQsByIdentifier":        func() (any, error) { return tx.SQsByIdentifier(5702, "x") },
			"UnfinishedTransactions": func() (any, error) { return tx.UnfinishedTransactions(0) },
			"DueDeliveries":          func() (any, error) { return tx.DueDeliveries(at(3600), 0, nil) },
			"DeliveriesOf":           func() (any, error) { return tx.DeliveriesOf("x") },
			"DeliveriesByStatus":     func() (any, error) { return tx.DeliveriesByStatus(core.DeliveryPending, 0) },
			"HubsOf":                 func() (any, error) { return tx.HubsOf("p-1", core.ChannelMVNX) },
		} {
			v, err := list()
			assert.NoError(t, err, name)
			assert.Empty(t, v, name)
		}
		called := false
		assert.NoError(t, tx.TransactionsOf("x", core.ChannelMVNX, func(core.Transaction) (bool, error) { called = true; return true, nil }))
		assert.False(t, called, "TransactionsOf of an unknown partner")
		return nil
	})
}
