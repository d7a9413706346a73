package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
)

// contractFirstAvailableNumber: the Available number of the owner's pool
// whose MSISDN sorts first in byte order ("10" before "9"); Reserved,
// Assigned and Aging numbers, other owners and other pools never answer.
func contractFirstAvailableNumber(t *testing.T, st core.Store) {
	num := func(msisdn string, owner core.PartnerID, pool string, status core.NumberStatus) core.Number {
		return core.Number{MSISDN: msisdn, Owner: owner, Pool: pool, Status: status}
	}
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutNumber,
			num("61400000105", "p", "au", core.NumberIsAvailable),
			num("61400000103", "p", "au", core.NumberIsAvailable),
			num("61400000101", "p", "au", core.NumberIsAssigned),
			num("61400000100", "p", "au", core.NumberIsReserved),
			core.Number{MSISDN: "61400000099", Owner: "p", Pool: "au", Status: core.NumberIsAging, AgingUntil: at(-60)},
			num("61400000102", "p", "aus", core.NumberIsAvailable), // a pool whose name extends "au"
			num("61400000098", "q", "au", core.NumberIsAvailable),  // another owner
			num("61400000104", "p", "au", core.NumberIsAvailable),
			num("61400000097", "p", "", core.NumberIsAvailable), // no pool
			num("9", "r", "x", core.NumberIsAvailable),
			num("10", "r", "x", core.NumberIsAvailable),
		)
	})
	first := func(owner core.PartnerID, pool string) string {
		t.Helper()
		n, ok := lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.FirstAvailableNumber(owner, pool) })
		if !ok {
			return ""
		}
		assert.Equal(t, owner, n.Owner)
		assert.Equal(t, pool, n.Pool)
		assert.Equal(t, core.NumberIsAvailable, n.Status)
		return n.MSISDN
	}
	assert.Equal(t, "61400000103", first("p", "au"))
	assert.Equal(t, "61400000102", first("p", "aus"))
	assert.Equal(t, "61400000098", first("q", "au"))
	assert.Equal(t, "61400000097", first("p", ""))
	assert.Equal(t, "10", first("r", "x"), "byte order, not numeric")
	assert.Equal(t, "", first("p", "a"))
	assert.Equal(t, "", first("q", "aus"))
	assert.Equal(t, "", first("nobody", "au"))

	// Taking the first one answers the next; freeing a lower one answers it.
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutNumber, num("61400000103", "p", "au", core.NumberIsAssigned))
	})
	assert.Equal(t, "61400000104", first("p", "au"))
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutNumber, num("61400000101", "p", "au", core.NumberIsAvailable))
	})
	assert.Equal(t, "61400000101", first("p", "au"))
	// Moving a number to another pool moves it out of this one.
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutNumber, num("61400000101", "p", "aus", core.NumberIsAvailable))
	})
	assert.Equal(t, "61400000104", first("p", "au"))
	assert.Equal(t, "61400000101", first("p", "aus"))
}

// contractAgedNumbers: Aging numbers whose AgingUntil is at or before until,
// earliest first (MSISDN breaks ties), up to limit (<= 0: no limit).
func contractAgedNumbers(t *testing.T, st core.Store) {
	aging := func(msisdn string, until time.Time) core.Number {
		return core.Number{MSISDN: msisdn, Owner: "p", Pool: "au", Status: core.NumberIsAging, Subscription: "sub-" + msisdn, AgingUntil: until}
	}
	a, b, c, d := aging("614003", at(10)), aging("614001", at(30)), aging("614004", at(20)), aging("614002", at(20))
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutNumber, a, b, c, d,
			core.Number{MSISDN: "614009", Owner: "p", Pool: "au", Status: core.NumberIsAvailable, AgingUntil: at(0)})
	})
	aged := func(until time.Time, limit int) []string {
		t.Helper()
		return numberIDs(read(t, st, func(tx core.Tx) ([]core.Number, error) { return tx.AgedNumbers(until, limit) }))
	}
	assert.Equal(t, []string{"614003", "614002", "614004", "614001"}, aged(at(3600), 0))
	assert.Equal(t, []string{"614003", "614002", "614004", "614001"}, aged(at(3600), -1))
	assert.Equal(t, []string{"614003", "614002"}, aged(at(3600), 2))
	assert.Equal(t, []string{"614003", "614002", "614004"}, aged(at(20), 0), "until is inclusive")
	assert.Equal(t, []string{"614003"}, aged(at(20).Add(-time.Microsecond), 0))
	assert.Equal(t, []string{}, aged(at(9), 0))
	assert.Equal(t, []core.Number{a}, read(t, st, func(tx core.Tx) ([]core.Number, error) { return tx.AgedNumbers(at(10), 1) }))

	// Released numbers leave the list.
	a.Status, a.Subscription, a.AgingUntil = core.NumberIsAvailable, "", time.Time{}
	update(t, st, func(tx core.Tx) error { return tx.PutNumber(a) })
	assert.Equal(t, []string{"614002", "614004", "614001"}, aged(at(3600), 0))
	// A later AgingUntil moves a number back in the list.
	d.AgingUntil = at(40)
	update(t, st, func(tx core.Tx) error { return tx.PutNumber(d) })
	assert.Equal(t, []string{"614004", "614001", "614002"}, aged(at(3600), 0))
}

// oddSeqName is a sequence name no store may paste into a statement.
var oddSeqName = `Odd "name"; DROP TABLE x; -- ü ` + strings.Repeat("n", 300)

// contractNextSeq: a name's first value is 1; each name counts on its own
// (names differing in case or made of any characters included), and its
// values increase within an Update and across Updates. Values may have
// gaps, so only their order is asserted after the first.
func contractNextSeq(t *testing.T, st core.Store) {
	names := []string{"a", "a", "b", "a", "A", oddSeqName, oddSeqName}
	var got []uint64
	update(t, st, func(tx core.Tx) error {
		got = nil
		for _, name := range names {
			n, err := tx.NextSeq(name)
			if err != nil {
				return err
			}
			got = append(got, n)
		}
		return nil
	})
	require.Len(t, got, len(names))
	assert.Equal(t, uint64(1), got[0], "a new name starts at 1")
	assert.Equal(t, []uint64{1, 1, 1}, []uint64{got[2], got[4], got[5]}, "b, A and the odd name count on their own")
	assert.True(t, got[0] < got[1] && got[1] < got[3], "a's values increase within an Update: %v", got)
	assert.Less(t, got[5], got[6], "the odd name's values increase")
	last := got[3]
	for range 2 {
		var v uint64
		update(t, st, func(tx core.Tx) (err error) { v, err = tx.NextSeq("a"); return err })
		assert.Greater(t, v, last, "durable across Updates")
		last = v
	}
	var b, c uint64
	update(t, st, func(tx core.Tx) (err error) { b, err = tx.NextSeq("b"); return err })
	assert.Greater(t, b, got[2], "b went on from its own value")
	update(t, st, func(tx core.Tx) (err error) { c, err = tx.NextSeq("c"); return err })
	assert.Equal(t, uint64(1), c, "a name first drawn in a later Update starts at 1")
}

func txn(id, partnerTxID string, status core.TxStatus, created time.Time) core.Transaction {
	return core.Transaction{ID: id, Partner: "demo-rsp", Channel: core.ChannelMVNX, Operation: "ActivateSubscriber",
		PartnerTxID: partnerTxID, BodyHash: "hash-" + id, Ack: []byte("<ack/>"), AckStatus: 200, Status: status,
		History: []core.TxEvent{{At: created, Status: core.TxReceived}}, CreatedAt: created, UpdatedAt: created}
}

func txByKey(t *testing.T, st core.Store, partner core.PartnerID, ch core.Channel, op, id string) string {
	t.Helper()
	x, _ := lookup(t, st, func(tx core.Tx) (core.Transaction, bool, error) { return tx.TransactionByKey(partner, ch, op, id) })
	return x.ID
}

// contractTransactionKey: TransactionByKey matches partner, channel,
// operation and partner id exactly; a second transaction under a key is
// refused and writes nothing; a changed partner id moves the key.
func contractTransactionKey(t *testing.T, st core.Store) {
	x := txn("tx-1", "msg-1", core.TxReceived, at(0))
	update(t, st, func(tx core.Tx) error { return tx.PutTransaction(x) })
	got, ok := lookup(t, st, func(tx core.Tx) (core.Transaction, bool, error) {
		return tx.TransactionByKey("demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1")
	})
	require.True(t, ok)
	assert.Equal(t, x, got)
	for _, k := range [][4]string{
		{"other-rsp", "mvnx", "ActivateSubscriber", "msg-1"},
		{"demo-rsp", "sps", "ActivateSubscriber", "msg-1"},
		{"demo-rsp", "mvnx", "Suspend", "msg-1"},
		{"demo-rsp", "mvnx", "ActivateSubscriber", "msg-2"},
		{"demo-rsp", "mvnx", "ActivateSubscriber", "msg-"},
		{"demo-rsp", "mvnx", "ActivateSubscriber", "MSG-1"},
		{"demo-rsp", "mvnx", "ActivateSubscriber", ""},
	} {
		assert.Empty(t, txByKey(t, st, core.PartnerID(k[0]), core.Channel(k[1]), k[2], k[3]), "%q", k)
	}

	// The same key under another channel or operation is another key.
	y := txn("tx-2", "msg-1", core.TxReceived, at(1))
	y.Channel = core.ChannelSPS
	z := txn("tx-3", "msg-1", core.TxReceived, at(1))
	z.Operation = "Suspend"
	update(t, st, func(tx core.Tx) error { return putAll(tx.PutTransaction, y, z) })
	assert.Equal(t, "tx-2", txByKey(t, st, "demo-rsp", core.ChannelSPS, "ActivateSubscriber", "msg-1"))
	assert.Equal(t, "tx-3", txByKey(t, st, "demo-rsp", core.ChannelMVNX, "Suspend", "msg-1"))
	assert.Equal(t, "tx-1", txByKey(t, st, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1"))

	// Another transaction under a taken key is refused: the Update fails
	// and nothing of it is written, the other writes of its fn included.
	err := st.Update(ctx, func(tx core.Tx) error {
		if err := tx.PutPlan(core.Plan{Code: "P-dup"}); err != nil {
			return err
		}
		return tx.PutTransaction(txn("tx-4", "msg-1", core.TxReceived, at(2)))
	})
	require.Error(t, err)
	_, ok = lookup(t, st, func(tx core.Tx) (core.Transaction, bool, error) { return tx.Transaction("tx-4") })
	assert.False(t, ok)
	_, ok = lookup(t, st, func(tx core.Tx) (core.Plan, bool, error) { return tx.Plan("P-dup") })
	assert.False(t, ok)
	assert.Equal(t, "tx-1", txByKey(t, st, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1"))
	assert.Equal(t, []string{"tx-1", "tx-2", "tx-3"}, read(t, st, func(tx core.Tx) ([]string, error) { return tx.UnfinishedTransactions(0) }))

	// Saving the holder again is no conflict; a changed partner id moves
	// the key; transactions without a partner id share no key.
	x.Status, x.PartnerTxID = core.TxSucceeded, "msg-9"
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutTransaction, x, txn("tx-5", "", core.TxSucceeded, at(3)), txn("tx-6", "", core.TxSucceeded, at(3)))
	})
	assert.Empty(t, txByKey(t, st, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1"))
	assert.Equal(t, "tx-1", txByKey(t, st, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-9"))
	assert.Empty(t, txByKey(t, st, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", ""))
	_, ok = lookup(t, st, func(tx core.Tx) (core.Transaction, bool, error) { return tx.Transaction("tx-6") })
	assert.True(t, ok)
	// The freed key is free for another transaction.
	update(t, st, func(tx core.Tx) error { return tx.PutTransaction(txn("tx-7", "msg-1", core.TxReceived, at(4))) })
	assert.Equal(t, "tx-7", txByKey(t, st, "demo-rsp", core.ChannelMVNX, "ActivateSubscriber", "msg-1"))
}

// contractUnfinished: the ids of Received transactions, oldest CreatedAt
// first (id order on a tie), up to limit (<= 0: no limit); finishing one
// takes it out.
func contractUnfinished(t *testing.T, st core.Store) {
	unfinished := func(limit int) []string {
		t.Helper()
		return read(t, st, func(tx core.Tx) ([]string, error) { return tx.UnfinishedTransactions(limit) })
	}
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutTransaction,
			txn("a", "m-a", core.TxReceived, at(2)),
			txn("b", "m-b", core.TxReceived, at(0)),
			txn("c", "m-c", core.TxSucceeded, at(-3600)),
			txn("e", "m-e", core.TxReceived, at(1)), // same instant as d: id order
			txn("d", "m-d", core.TxReceived, at(1)),
			txn("f", "m-f", core.TxReceived, at(1).Add(time.Microsecond)),
		)
	})
	assert.Equal(t, []string{"b", "d", "e", "f", "a"}, unfinished(0))
	assert.Equal(t, []string{"b", "d", "e", "f", "a"}, unfinished(-1))
	assert.Equal(t, []string{"b", "d"}, unfinished(2))

	update(t, st, func(tx core.Tx) error {
		for id, status := range map[string]core.TxStatus{"b": core.TxSucceeded, "d": core.TxFailed, "e": core.TxPartial} {
			x, _, err := tx.Transaction(id)
			if err != nil {
				return err
			}
			x.Status = status
			if err := tx.PutTransaction(x); err != nil {
				return err
			}
		}
		return nil
	})
	assert.Equal(t, []string{"f", "a"}, unfinished(0))
}

// partnerTxn is transaction id of partner on ch, Seq seq, created at.
func partnerTxn(id string, seq uint64, partner core.PartnerID, ch core.Channel, status core.TxStatus, created time.Time) core.Transaction {
	x := txn(id, "m-"+id, status, created)
	x.Seq, x.Partner, x.Channel = seq, partner, ch
	return x
}

// contractTransactionsOf: a partner's transactions of one channel by Seq
// (not id, not time), until fn answers false; fn's error ends the walk
// and is answered.
func contractTransactionsOf(t *testing.T, st core.Store) {
	// Times run against Seq, which alone orders the list.
	mk := func(id string, seq uint64, partner core.PartnerID, ch core.Channel) core.Transaction {
		return partnerTxn(id, seq, partner, ch, core.TxReceived, at(100-int(seq)))
	}
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutTransaction,
			mk("c", 3, "demo-rsp", core.ChannelTMF), mk("a", 10, "demo-rsp", core.ChannelTMF),
			mk("b", 2, "demo-rsp", core.ChannelTMF), mk("m", 1, "demo-rsp", core.ChannelMVNX),
			mk("o", 4, "other", core.ChannelTMF), mk("z", 5, "demo-rs", core.ChannelTMF))
	})
	list := func(partner core.PartnerID, ch core.Channel, max int) []string {
		t.Helper()
		return read(t, st, func(tx core.Tx) ([]string, error) {
			out := []string{}
			err := tx.TransactionsOf(partner, ch, func(x core.Transaction) (bool, error) {
				out = append(out, x.ID)
				return max <= 0 || len(out) < max, nil
			})
			return out, err
		})
	}
	assert.Equal(t, []string{"b", "c", "a"}, list("demo-rsp", core.ChannelTMF, 0))
	assert.Equal(t, []string{"b", "c"}, list("demo-rsp", core.ChannelTMF, 2), "fn stops the walk")
	assert.Equal(t, []string{"m"}, list("demo-rsp", core.ChannelMVNX, 0))
	assert.Equal(t, []string{"o"}, list("other", core.ChannelTMF, 0))
	assert.Equal(t, []string{}, list("nobody", core.ChannelTMF, 0))

	// fn sees whole transactions; its error ends the walk.
	stop := assert.AnError
	var seen []core.Transaction
	err := st.View(ctx, func(tx core.Tx) error {
		seen = nil
		return tx.TransactionsOf("demo-rsp", core.ChannelTMF, func(x core.Transaction) (bool, error) {
			seen = append(seen, x)
			return true, stop
		})
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, []core.Transaction{mk("b", 2, "demo-rsp", core.ChannelTMF)}, seen)

	// A status change keeps its place; the list shows the new state.
	update(t, st, func(tx core.Tx) error {
		x, _, err := tx.Transaction("c")
		if err != nil {
			return err
		}
		x.Status = core.TxSucceeded
		return tx.PutTransaction(x)
	})
	assert.Equal(t, []string{"b", "c", "a"}, list("demo-rsp", core.ChannelTMF, 0))
	status := read(t, st, func(tx core.Tx) ([]core.TxStatus, error) {
		var out []core.TxStatus
		err := tx.TransactionsOf("demo-rsp", core.ChannelTMF, func(x core.Transaction) (bool, error) {
			out = append(out, x.Status)
			return true, nil
		})
		return out, err
	})
	assert.Equal(t, []core.TxStatus{core.TxReceived, core.TxSucceeded, core.TxReceived}, status)
}

// contractTransactionsOfFrom: TransactionsOfFrom is TransactionsOf past
// its first skip transactions; CountTransactionsOf counts what
// TransactionsOf lists, up to max+1. Neither lists nor counts a deleted
// transaction (DeletedAt set), which comes back if it is put undeleted,
// nor another partner's, whose id may begin with this one's and hold 0x00
// and 0x01 bytes.
func contractTransactionsOfFrom(t *testing.T, st core.Store) {
	mk := func(id string, seq uint64, partner core.PartnerID, ch core.Channel) core.Transaction {
		return partnerTxn(id, seq, partner, ch, core.TxSucceeded, at(int(seq)))
	}
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutTransaction,
			mk("e", 5, "demo-rsp", core.ChannelTMF), mk("a", 1, "demo-rsp", core.ChannelTMF),
			mk("c", 3, "demo-rsp", core.ChannelTMF), mk("b", 2, "demo-rsp", core.ChannelTMF),
			mk("d", 4, "demo-rsp", core.ChannelTMF), mk("m", 6, "demo-rsp", core.ChannelMVNX),
			mk("n", 7, "demo-rsp\x00tmf", core.ChannelTMF), mk("o", 8, "demo-rsp\x01", core.ChannelTMF),
			mk("p", 9, "demo-rsp\x00tmf\x00tmf", core.ChannelTMF), mk("q", 10, "demo-rs", core.ChannelTMF))
	})
	from := func(partner core.PartnerID, skip, max int) []string {
		t.Helper()
		return read(t, st, func(tx core.Tx) ([]string, error) {
			out := []string{}
			err := tx.TransactionsOfFrom(partner, core.ChannelTMF, skip, func(x core.Transaction) (bool, error) {
				out = append(out, x.ID)
				return max <= 0 || len(out) < max, nil
			})
			return out, err
		})
	}
	count := func(partner core.PartnerID, max int) int {
		t.Helper()
		return read(t, st, func(tx core.Tx) (int, error) { return tx.CountTransactionsOf(partner, core.ChannelTMF, max) })
	}
	all := []string{"a", "b", "c", "d", "e"}
	for skip := range 7 {
		assert.Equal(t, all[min(skip, 5):], from("demo-rsp", skip, 0), "skip %d", skip)
	}
	assert.Equal(t, []string{"b", "c"}, from("demo-rsp", 1, 2), "fn stops the walk")
	assert.Equal(t, all, from("demo-rsp", -1, 0), "a negative skip skips nothing")
	assert.Equal(t, 5, count("demo-rsp", 0))
	assert.Equal(t, 5, count("demo-rsp", 5))
	assert.Equal(t, 5, count("demo-rsp", 4), "max+1: more than max")
	assert.Equal(t, 3, count("demo-rsp", 2))
	for partner, id := range map[core.PartnerID]string{"demo-rsp\x00tmf": "n", "demo-rsp\x01": "o", "demo-rsp\x00tmf\x00tmf": "p", "demo-rs": "q"} {
		assert.Equal(t, []string{id}, from(partner, 0, 0), "%q", partner)
		assert.Equal(t, 1, count(partner, 0), "%q", partner)
	}
	assert.Equal(t, 0, count("nobody", 0))
	assert.Equal(t, []string{}, from("nobody", 0, 0))
	assert.Equal(t, 1, read(t, st, func(tx core.Tx) (int, error) { return tx.CountTransactionsOf("demo-rsp", core.ChannelMVNX, 0) }))

	// Deleting b and d takes them out of both; undeleting d brings it back.
	setDeleted := func(id string, deleted bool) {
		update(t, st, func(tx core.Tx) error {
			x, _, err := tx.Transaction(id)
			if err != nil {
				return err
			}
			x.DeletedAt = time.Time{}
			if deleted {
				x.DeletedAt = at(100)
			}
			return tx.PutTransaction(x)
		})
	}
	setDeleted("b", true)
	setDeleted("d", true)
	assert.Equal(t, []string{"a", "c", "e"}, from("demo-rsp", 0, 0))
	assert.Equal(t, []string{"c", "e"}, from("demo-rsp", 1, 0))
	assert.Equal(t, []string{"e"}, from("demo-rsp", 2, 0))
	assert.Equal(t, 3, count("demo-rsp", 0))
	assert.Equal(t, []string{"a", "c", "e"}, read(t, st, func(tx core.Tx) ([]string, error) {
		out := []string{}
		err := tx.TransactionsOf("demo-rsp", core.ChannelTMF, func(x core.Transaction) (bool, error) { out = append(out, x.ID); return true, nil })
		return out, err
	}), "TransactionsOf leaves deleted ones out too")
	x, ok := lookup(t, st, func(tx core.Tx) (core.Transaction, bool, error) { return tx.Transaction("b") })
	assert.True(t, ok, "the record stays")
	assert.Equal(t, at(100), x.DeletedAt)
	setDeleted("d", false)
	assert.Equal(t, []string{"a", "c", "d", "e"}, from("demo-rsp", 0, 0))
	assert.Equal(t, 4, count("demo-rsp", 0))

	// A transaction stored deleted at once is never listed; the front end's
	// error ends the walk.
	update(t, st, func(tx core.Tx) error {
		x := mk("f", 11, "demo-rsp", core.ChannelTMF)
		x.DeletedAt = at(101)
		return tx.PutTransaction(x)
	})
	assert.Equal(t, 4, count("demo-rsp", 0))
	err := st.View(ctx, func(tx core.Tx) error {
		return tx.TransactionsOfFrom("demo-rsp", core.ChannelTMF, 1, func(core.Transaction) (bool, error) { return true, assert.AnError })
	})
	assert.ErrorIs(t, err, assert.AnError)
}

func delivery(id, txID string, partner core.PartnerID, status core.DeliveryStatus, next, created time.Time) core.Delivery {
	return core.Delivery{ID: id, Partner: partner, TxID: txID, Event: "activation.completed", URL: "https://partner.example/cb",
		ContentType: "application/json", Body: []byte(`{"id":"` + id + `"}`), Accept: core.Accept2xx,
		Status: status, NextAt: next, CreatedAt: created}
}

// contractDeliveries: DueDeliveries answers Pending deliveries due by
// until, earliest NextAt first (id on a tie), up to limit (<= 0: none);
// DeliveriesOf a transaction's in creation order; DeliveriesByStatus
// oldest CreatedAt first, up to limit. Status and NextAt changes move them.
func contractDeliveries(t *testing.T, st core.Store) {
	d1 := delivery("d1", "tx-1", "a", core.DeliveryPending, at(2), at(0))
	d2 := delivery("d2", "tx-1", "a", core.DeliveryPending, at(-1), at(1))
	d3 := delivery("d3", "tx-2", "b", core.DeliveryPending, at(1), at(-1))
	d4 := delivery("d4", "tx-1", "b", core.DeliveryPending, at(1), at(1)) // d2's CreatedAt: id order
	d5 := delivery("d5", "tx-10", "a", core.DeliveryDelivered, at(0), at(3))
	d6 := delivery("d6", "tx-1", "a", core.DeliveryDead, at(0), at(-2))
	d1.Attempts = []core.Attempt{{At: at(1), StatusCode: 503, Error: "unavailable", Duration: 12.5}}
	update(t, st, func(tx core.Tx) error { return putAll(tx.PutDelivery, d1, d2, d3, d4, d5, d6) })
	ids := func(fn func(tx core.Tx) ([]core.Delivery, error)) []string {
		t.Helper()
		return deliveryIDs(read(t, st, fn))
	}
	due := func(until time.Time, limit int) []string {
		t.Helper()
		return ids(func(tx core.Tx) ([]core.Delivery, error) { return tx.DueDeliveries(until, limit, nil) })
	}
	of := func(txID string) []string {
		t.Helper()
		return ids(func(tx core.Tx) ([]core.Delivery, error) { return tx.DeliveriesOf(txID) })
	}
	byStatus := func(s core.DeliveryStatus, limit int) []string {
		t.Helper()
		return ids(func(tx core.Tx) ([]core.Delivery, error) { return tx.DeliveriesByStatus(s, limit) })
	}
	assert.Equal(t, []string{"d2", "d3", "d4"}, due(at(1), 0), "until is inclusive")
	assert.Equal(t, []string{"d2", "d3", "d4", "d1"}, due(at(3600), 0))
	assert.Equal(t, []string{"d2", "d3", "d4", "d1"}, due(at(3600), -1))
	assert.Equal(t, []string{"d2", "d3"}, due(at(3600), 2))
	assert.Equal(t, []string{"d2"}, due(at(1).Add(-time.Microsecond), 0))
	assert.Equal(t, []string{}, due(at(-2), 0))
	assert.Equal(t, []core.Delivery{d2, d3, d4, d1}, read(t, st, func(tx core.Tx) ([]core.Delivery, error) { return tx.DueDeliveries(at(3600), 0, nil) }))

	assert.Equal(t, []string{"d6", "d1", "d2", "d4"}, of("tx-1"))
	assert.Equal(t, []string{"d5"}, of("tx-10"))
	assert.Equal(t, []string{}, of("tx-"))
	assert.Equal(t, []core.Delivery{d3}, read(t, st, func(tx core.Tx) ([]core.Delivery, error) { return tx.DeliveriesOf("tx-2") }))

	assert.Equal(t, []string{"d3", "d1", "d2", "d4"}, byStatus(core.DeliveryPending, 0))
	assert.Equal(t, []string{"d3", "d1"}, byStatus(core.DeliveryPending, 2))
	assert.Equal(t, []string{"d3", "d1", "d2", "d4"}, byStatus(core.DeliveryPending, -1))
	assert.Equal(t, []string{"d5"}, byStatus(core.DeliveryDelivered, 0))
	assert.Equal(t, []string{"d6"}, byStatus(core.DeliveryDead, 0))

	// A retry moves d1 forward; delivered and dead ones leave the queue.
	d1.NextAt = at(-2)
	d1.Attempts = append(d1.Attempts, core.Attempt{At: at(2), StatusCode: 500, Duration: 3})
	d3.Status, d4.Status = core.DeliveryDelivered, core.DeliveryDead
	update(t, st, func(tx core.Tx) error { return putAll(tx.PutDelivery, d1, d3, d4) })
	assert.Equal(t, []string{"d1", "d2"}, due(at(3600), 0))
	assert.Equal(t, []string{"d1"}, due(at(-2), 0))
	assert.Equal(t, []string{"d1", "d2"}, byStatus(core.DeliveryPending, 0))
	assert.Equal(t, []string{"d3", "d5"}, byStatus(core.DeliveryDelivered, 0))
	assert.Equal(t, []string{"d6", "d4"}, byStatus(core.DeliveryDead, 0))
	assert.Equal(t, []core.Delivery{d6, d1, d2, d4}, read(t, st, func(tx core.Tx) ([]core.Delivery, error) { return tx.DeliveriesOf("tx-1") }))

	// An operator's replay puts a dead delivery back in the queue.
	d4.Status, d4.NextAt = core.DeliveryPending, at(0)
	update(t, st, func(tx core.Tx) error { return tx.PutDelivery(d4) })
	assert.Equal(t, []string{"d1", "d2", "d4"}, due(at(0), 0))
	assert.Equal(t, []string{"d6"}, byStatus(core.DeliveryDead, 0))
}

// contractDueSkip: skip is asked about due Pending deliveries only, with
// each one's partner; what it skips is not answered and does not count
// toward limit.
func contractDueSkip(t *testing.T, st core.Store) {
	ds := []core.Delivery{
		delivery("d1", "tx-1", "a", core.DeliveryPending, at(1), at(0)),
		delivery("d2", "tx-1", "a", core.DeliveryPending, at(2), at(0)),
		delivery("d3", "tx-2", "b", core.DeliveryPending, at(3), at(0)),
		delivery("d4", "tx-2", "a", core.DeliveryPending, at(4), at(0)),
		delivery("d5", "tx-3", "c", core.DeliveryPending, at(5), at(0)),
		delivery("d6", "tx-3", "b", core.DeliveryPending, at(6), at(0)),
		delivery("d7", "tx-3", "b", core.DeliveryPending, at(99), at(0)), // not due
		delivery("d8", "tx-3", "b", core.DeliveryDead, at(1), at(0)),
		delivery("d9", "tx-3", "b", core.DeliveryDelivered, at(1), at(0)),
	}
	update(t, st, func(tx core.Tx) error { return putAll(tx.PutDelivery, ds...) })
	partners := map[string]core.PartnerID{}
	for _, d := range ds {
		partners[d.ID] = d.Partner
	}
	run := func(limit int, skip func(core.PartnerID) bool) (answered []string, asked map[string]core.PartnerID) {
		t.Helper()
		out := read(t, st, func(tx core.Tx) ([]core.Delivery, error) {
			asked = map[string]core.PartnerID{}
			return tx.DueDeliveries(at(10), limit, func(id string, p core.PartnerID) bool {
				asked[id] = p
				return skip(p)
			})
		})
		return deliveryIDs(out), asked
	}
	skipA := func(p core.PartnerID) bool { return p == "a" }
	got, asked := run(0, skipA)
	assert.Equal(t, []string{"d3", "d5", "d6"}, got)
	for id, p := range asked {
		assert.Equal(t, partners[id], p, "skip is told %s's partner", id)
		assert.Contains(t, []string{"d1", "d2", "d3", "d4", "d5", "d6"}, id, "skip is asked about due Pending ones only")
	}
	for _, id := range []string{"d1", "d2", "d4"} {
		assert.Contains(t, asked, id, "every skipped one was asked about")
	}
	got, _ = run(2, skipA)
	assert.Equal(t, []string{"d3", "d5"}, got, "skipped ones do not count toward limit")
	got, _ = run(0, func(core.PartnerID) bool { return true })
	assert.Equal(t, []string{}, got)
	got, _ = run(1, func(p core.PartnerID) bool { return p != "c" })
	assert.Equal(t, []string{"d5"}, got)
}

// contractHubs: a partner's hubs of one channel, oldest first (id on a
// tie); DeleteHub removes one, and an absent one without error.
func contractHubs(t *testing.T, st core.Store) {
	h1 := core.Hub{ID: "h1", Partner: "demo-rsp", Channel: core.ChannelTMF, Callback: "https://a.example/cb", CreatedAt: at(2)}
	h2 := core.Hub{ID: "h2", Partner: "demo-rsp", Channel: core.ChannelTMF, Callback: "https://b.example/cb", Query: "eventType=ProductOrderCreateEvent", CreatedAt: at(1)}
	h0 := core.Hub{ID: "h0", Partner: "demo-rsp", Channel: core.ChannelTMF, Callback: "https://z.example/cb", CreatedAt: at(2)}
	h3 := core.Hub{ID: "h3", Partner: "other", Channel: core.ChannelTMF, Callback: "https://c.example/cb", CreatedAt: at(1)}
	h4 := core.Hub{ID: "h4", Partner: "demo-rsp", Channel: core.ChannelMVNX, Callback: "https://d.example/cb", CreatedAt: at(0)}
	update(t, st, func(tx core.Tx) error { return putAll(tx.PutHub, h1, h2, h0, h3, h4) })
	hubs := func(p core.PartnerID, ch core.Channel) []core.Hub {
		t.Helper()
		return read(t, st, func(tx core.Tx) ([]core.Hub, error) { return tx.HubsOf(p, ch) })
	}
	assert.Equal(t, []core.Hub{h2, h0, h1}, hubs("demo-rsp", core.ChannelTMF))
	assert.Equal(t, []core.Hub{h4}, hubs("demo-rsp", core.ChannelMVNX))
	assert.Equal(t, []core.Hub{h3}, hubs("other", core.ChannelTMF))
	assert.Empty(t, hubs("demo-rsp", core.ChannelSPS))
	assert.Empty(t, hubs("demo", core.ChannelTMF))

	// A changed hub keeps one entry, at its new place.
	h2.Callback, h2.CreatedAt = "https://b2.example/cb", at(3)
	update(t, st, func(tx core.Tx) error { return tx.PutHub(h2) })
	assert.Equal(t, []core.Hub{h0, h1, h2}, hubs("demo-rsp", core.ChannelTMF))

	update(t, st, func(tx core.Tx) error {
		if err := tx.DeleteHub("h1"); err != nil {
			return err
		}
		if err := tx.DeleteHub("absent"); err != nil {
			return err
		}
		return tx.DeleteHub("h1") // twice in one Update
	})
	assert.Equal(t, []core.Hub{h0, h2}, hubs("demo-rsp", core.ChannelTMF))
	_, ok := lookup(t, st, func(tx core.Tx) (core.Hub, bool, error) { return tx.Hub("h1") })
	assert.False(t, ok)
	update(t, st, func(tx core.Tx) error { return tx.PutHub(h1) })
	assert.Equal(t, []core.Hub{h0, h1, h2}, hubs("demo-rsp", core.ChannelTMF), "a deleted hub may come back")
}

func contractSessionsByExpiry(t *testing.T, st core.Store) {
	mk := func(hash string, expires int) core.Session {
		return core.Session{TokenHash: hash, Partner: "demo-rsp", CreatedAt: at(0), ExpiresAt: at(expires)}
	}
	update(t, st, func(tx core.Tx) error {
		return putAll(tx.PutSession, mk("c", 30), mk("a", 10), mk("b", 20), mk("a2", 10))
	})
	expired := func(until, limit int) []string {
		t.Helper()
		ss := read(t, st, func(tx core.Tx) ([]core.Session, error) { return tx.ExpiredSessions(at(until), limit) })
		var out []string
		for _, s := range ss {
			out = append(out, s.TokenHash)
		}
		return out
	}
	assert.Equal(t, []string{"a", "a2", "b"}, expired(20, 0), "at or before until, earliest first, ties by token hash")
	assert.Equal(t, []string{"a", "a2"}, expired(30, 2))
	assert.Empty(t, expired(9, 0))

	// Renewing a session moves it; deleting one (twice, or an absent one)
	// removes it from both the sessions and the expiry order.
	update(t, st, func(tx core.Tx) error {
		if err := tx.PutSession(mk("a", 40)); err != nil {
			return err
		}
		if err := tx.DeleteSession("b"); err != nil {
			return err
		}
		if err := tx.DeleteSession("b"); err != nil {
			return err
		}
		return tx.DeleteSession("absent")
	})
	assert.Equal(t, []string{"a2", "c", "a"}, expired(40, 0))
	_, ok := lookup(t, st, func(tx core.Tx) (core.Session, bool, error) { return tx.Session("b") })
	assert.False(t, ok)
	got, ok := lookup(t, st, func(tx core.Tx) (core.Session, bool, error) { return tx.Session("a") })
	assert.True(t, ok)
	assert.Equal(t, mk("a", 40), got)

	// A View cannot delete.
	assert.Error(t, st.View(ctx, func(tx core.Tx) error { return tx.DeleteSession("c") }))
	assert.Equal(t, []string{"a2", "c", "a"}, expired(40, 0))
}
