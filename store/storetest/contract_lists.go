package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"simgate/core"
)

// long is more entries than a store is likely to fetch in one page (the
// engine asks for 256 at a time), so that paging shows.
const long = 600

// contractLongLists: every ordered list keeps its order and its limit over
// many entries, ties included, and TransactionsOf orders Seq as an
// unsigned number (values of 2^63 and above last).
func contractLongLists(t *testing.T, st core.Store) {
	type entry struct {
		key string // the order the list must follow
		id  string
	}
	var un, due, aged, of, hubs []entry
	sortKey := func(at time.Time, id string) string { return fmt.Sprintf("%020d|%s", at.UnixNano(), id) }
	update(t, st, func(tx core.Tx) error {
		for i := range long {
			// Times repeat, so ids break many ties; ids are not in time order.
			when := at((i * 7919) % 97)
			id := fmt.Sprintf("x%03d", (i*389)%long)
			x := txn(id, "m-"+id, core.TxReceived, when)
			if i%5 == 0 {
				x.Status = core.TxSucceeded
			} else {
				un = append(un, entry{sortKey(when, id), id})
			}
			x.Seq, x.Channel = uint64(i+1), core.ChannelTMF
			if err := tx.PutTransaction(x); err != nil {
				return err
			}
			partner := core.PartnerID([]string{"a", "b", "c"}[i%3])
			d := delivery("d"+id, "tx-long", partner, core.DeliveryPending, when, at(-((i * 31) % 53)))
			if i%11 == 0 {
				d.Status = core.DeliveryDelivered
			} else if partner != "b" {
				due = append(due, entry{sortKey(d.NextAt, d.ID), d.ID})
			}
			of = append(of, entry{sortKey(d.CreatedAt, d.ID), d.ID})
			if err := tx.PutDelivery(d); err != nil {
				return err
			}
			n := core.Number{MSISDN: fmt.Sprintf("6141%05d", (i*389)%long), Owner: "p", Status: core.NumberIsAging, AgingUntil: when}
			aged = append(aged, entry{sortKey(when, n.MSISDN), n.MSISDN})
			if err := tx.PutNumber(n); err != nil {
				return err
			}
			h := core.Hub{ID: "h" + id, Partner: "p", Channel: core.ChannelTMF, Callback: "https://p.example/" + id, CreatedAt: when}
			hubs = append(hubs, entry{sortKey(when, h.ID), h.ID})
			if err := tx.PutHub(h); err != nil {
				return err
			}
		}
		return nil
	})
	ordered := func(es []entry) []string {
		slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.key, b.key) })
		return keys(es, func(e entry) string { return e.id })
	}
	wantUnfinished, wantDue, wantAged, wantOf, wantHubs := ordered(un), ordered(due), ordered(aged), ordered(of), ordered(hubs)

	assert.Equal(t, wantUnfinished, read(t, st, func(tx core.Tx) ([]string, error) { return tx.UnfinishedTransactions(0) }))
	assert.Equal(t, wantUnfinished[:256], read(t, st, func(tx core.Tx) ([]string, error) { return tx.UnfinishedTransactions(256) }))
	skipB := func(_ string, p core.PartnerID) bool { return p == "b" }
	assert.Equal(t, wantDue, deliveryIDs(read(t, st, func(tx core.Tx) ([]core.Delivery, error) { return tx.DueDeliveries(at(3600), 0, skipB) })))
	assert.Equal(t, wantDue[:256], deliveryIDs(read(t, st, func(tx core.Tx) ([]core.Delivery, error) { return tx.DueDeliveries(at(3600), 256, skipB) })))
	assert.Equal(t, wantAged, numberIDs(read(t, st, func(tx core.Tx) ([]core.Number, error) { return tx.AgedNumbers(at(3600), 0) })))
	assert.Equal(t, wantAged[:256], numberIDs(read(t, st, func(tx core.Tx) ([]core.Number, error) { return tx.AgedNumbers(at(3600), 256) })))
	assert.Equal(t, wantOf, deliveryIDs(read(t, st, func(tx core.Tx) ([]core.Delivery, error) { return tx.DeliveriesOf("tx-long") })))
	assert.Equal(t, wantHubs, keys(read(t, st, func(tx core.Tx) ([]core.Hub, error) { return tx.HubsOf("p", core.ChannelTMF) }),
		func(h core.Hub) string { return h.ID }))

	// TransactionsOf: by Seq, across pages, with Seq values past 2^63.
	update(t, st, func(tx core.Tx) error {
		for i, seq := range []uint64{1<<63 + 5, 1<<63 - 1, 1 << 63, ^uint64(0)} {
			x := txn(fmt.Sprintf("big-%d", i), fmt.Sprintf("m-big-%d", i), core.TxSucceeded, at(0))
			x.Seq, x.Channel = seq, core.ChannelTMF
			if err := tx.PutTransaction(x); err != nil {
				return err
			}
		}
		return nil
	})
	seqs := read(t, st, func(tx core.Tx) ([]uint64, error) {
		var out []uint64
		err := tx.TransactionsOf("demo-rsp", core.ChannelTMF, func(x core.Transaction) (bool, error) {
			out = append(out, x.Seq)
			return true, nil
		})
		return out, err
	})
	want := make([]uint64, 0, long+4)
	for i := range long {
		want = append(want, uint64(i+1))
	}
	want = append(want, 1<<63-1, 1<<63, 1<<63+5, ^uint64(0))
	assert.Equal(t, want, seqs)

	// TransactionsOfFrom and CountTransactionsOf: the same list, skipped
	// into and counted across pages.
	for _, skip := range []int{0, 1, 255, 256, 257, 599, 600, 603, 604, 700} {
		got := read(t, st, func(tx core.Tx) ([]uint64, error) {
			out := []uint64{}
			err := tx.TransactionsOfFrom("demo-rsp", core.ChannelTMF, skip, func(x core.Transaction) (bool, error) {
				out = append(out, x.Seq)
				return len(out) < 3, nil
			})
			return out, err
		})
		assert.Equal(t, want[min(skip, len(want)):min(skip+3, len(want))], got, "skip %d", skip)
	}
	for _, tc := range []struct{ max, want int }{{0, long + 4}, {-1, long + 4}, {long + 4, long + 4}, {long + 3, long + 4}, {300, 301}, {1, 2}} {
		n := read(t, st, func(tx core.Tx) (int, error) { return tx.CountTransactionsOf("demo-rsp", core.ChannelTMF, tc.max) })
		assert.Equal(t, tc.want, n, "max %d", tc.max)
	}
}

// contractRewriteInOneUpdate: a record put twice (or put and deleted) in
// one Update leaves the index entries of its last state only.
func contractRewriteInOneUpdate(t *testing.T, st core.Store) {
	update(t, st, func(tx core.Tx) error {
		x := txn("tx-1", "msg-1", core.TxReceived, at(0))
		d := delivery("d-1", "tx-1", "a", core.DeliveryPending, at(0), at(0))
		steps := []error{
			tx.PutPartner(core.Partner{ID: "p", Username: "u1", APIKeyHashes: []string{"k1"}}),
			tx.PutPartner(core.Partner{ID: "p", Username: "u2", APIKeyHashes: []string{"k2"}}),
			tx.PutAccount(core.Account{ID: "c", Parent: "a"}),
			tx.PutAccount(core.Account{ID: "c", Parent: "b"}),
			tx.PutProduct(core.Product{ID: 1, Owner: "a"}),
			tx.PutProduct(core.Product{ID: 1, Owner: "b"}),
			tx.PutSIM(core.SIM{ID: "s", ICCID: "i1", IMSI: "m1"}),
			tx.PutSIM(core.SIM{ID: "s", ICCID: "i2"}),
			tx.PutNumber(core.Number{MSISDN: "1", Owner: "p", Status: core.NumberIsAvailable, ReservationID: "r1"}),
			tx.PutNumber(core.Number{MSISDN: "1", Owner: "p", Status: core.NumberIsAging, AgingUntil: at(5)}),
			tx.PutSQ(core.SQ{ID: 1, ServiceType: 1, ServiceIdentifier: "a"}),
			tx.PutSQ(core.SQ{ID: 1, ServiceType: 1, ServiceIdentifier: "b"}),
			tx.PutSubscription(core.Subscription{ID: "sub", Status: core.SubActive, MSISDN: "1", IMEI: "e1"}),
			tx.PutSubscription(core.Subscription{ID: "sub", Status: core.SubActive, MSISDN: "2"}),
			tx.PutTransaction(x),
			func() error { x.Status, x.PartnerTxID = core.TxSucceeded, "msg-2"; return tx.PutTransaction(x) }(),
			tx.PutDelivery(d),
			func() error { d.Status = core.DeliveryDead; return tx.PutDelivery(d) }(),
			tx.PutHub(core.Hub{ID: "h", Partner: "p", Channel: core.ChannelTMF}),
			tx.DeleteHub("h"),
		}
		return errors.Join(steps...)
	})
	view(t, st, func(tx core.Tx) error {
		absent := func(name string, _ any, ok bool, err error) {
			assert.NoError(t, err, name)
			assert.False(t, ok, name)
		}
		// present compares what the index found with the second write: an
		// index left pointing at the first one would still answer ok.
		present := func(name string, want, got any, ok bool, err error) {
			assert.NoError(t, err, name)
			assert.True(t, ok, name)
			assert.Equal(t, want, got, name)
		}
		p, ok, err := tx.PartnerByUsername("u1")
		absent("username u1", p, ok, err)
		p, ok, err = tx.PartnerByUsername("u2")
		present("username u2", "u2", p.Username, ok, err)
		p, ok, err = tx.PartnerByAPIKeyHash("k1")
		absent("key k1", p, ok, err)
		p, ok, err = tx.PartnerByAPIKeyHash("k2")
		present("key k2", []string{"k2"}, p.APIKeyHashes, ok, err)
		s, ok, err := tx.SIMByICCID("i1")
		absent("iccid i1", s, ok, err)
		s, ok, err = tx.SIMByIMSI("m1")
		absent("imsi m1", s, ok, err)
		s, ok, err = tx.SIMByICCID("i2")
		present("iccid i2", core.SIM{ID: "s", ICCID: "i2"}, s, ok, err)
		n, ok, err := tx.NumberByReservation("r1")
		absent("reservation r1", n, ok, err)
		n, ok, err = tx.FirstAvailableNumber("p", "")
		absent("available", n, ok, err)
		sub, ok, err := tx.SubscriptionBy(core.ByMSISDN, "1")
		absent("msisdn 1", sub, ok, err)
		sub, ok, err = tx.SubscriptionBy(core.ByIMEI, "e1")
		absent("imei e1", sub, ok, err)
		sub, ok, err = tx.SubscriptionBy(core.ByMSISDN, "2")
		present("msisdn 2", "2", sub.MSISDN, ok, err)
		x, ok, err := tx.TransactionByKey("demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1")
		absent("key msg-1", x, ok, err)
		x, ok, err = tx.TransactionByKey("demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-2")
		present("key msg-2", core.TxSucceeded, x.Status, ok, err)
		h, ok, err := tx.Hub("h")
		absent("hub", h, ok, err)

		lists := map[string]struct {
			got  any
			err  error
			want any
		}{}
		add := func(name string, want, got any, err error) {
			lists[name] = struct {
				got  any
				err  error
				want any
			}{got, err, want}
		}
		kids, err := tx.AccountChildren("a")
		add("children a", 0, len(kids), err)
		kids, err = tx.AccountChildren("b")
		add("children b", 1, len(kids), err)
		ps, err := tx.ProductsOf("a")
		add("products a", 0, len(ps), err)
		ps, err = tx.ProductsOf("b")
		add("products b", 1, len(ps), err)
		qs, err := tx.SQsByIdentifier(1, "a")
		add("sqs a", 0, len(qs), err)
		qs, err = tx.SQsByIdentifier(1, "b")
		add("sqs b", 1, len(qs), err)
		ns, err := tx.AgedNumbers(at(5), 0)
		add("aged", []string{"1"}, numberIDs(ns), err)
		u, err := tx.UnfinishedTransactions(0)
		add("unfinished", 0, len(u), err)
		ds, err := tx.DueDeliveries(at(5), 0, nil)
		add("due", 0, len(ds), err)
		ds, err = tx.DeliveriesByStatus(core.DeliveryDead, 0)
		add("dead", []string{"d-1"}, deliveryIDs(ds), err)
		ds, err = tx.DeliveriesByStatus(core.DeliveryPending, 0)
		add("pending", 0, len(ds), err)
		ds, err = tx.DeliveriesOf("tx-1")
		add("deliveries of", []string{"d-1"}, deliveryIDs(ds), err)
		hs, err := tx.HubsOf("p", core.ChannelTMF)
		add("hubs", 0, len(hs), err)
		for name, l := range lists {
			assert.NoError(t, l.err, name)
			assert.Equal(t, l.want, l.got, name)
		}
		return nil
	})
}
