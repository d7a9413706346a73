package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"simgate/core"
)

// ErrKeyTaken is returned by PutTransaction when another transaction holds
// the same partner key. The engine looks the key up before it creates a
// transaction, so this means a bug: overwriting the entry would make the
// first transaction unreachable and break exactly-once execution.
var ErrKeyTaken = errors.New("store: transaction key taken by another transaction")

func (t *tx) Plan(code string) (p core.Plan, ok bool, err error) {
	ok, err = t.load(bktPlans, code, &p)
	return p, ok, err
}

func (t *tx) PutPlan(p core.Plan) error { return t.store(bktPlans, p.Code, p) }

var (
	epoch    = time.Unix(0, 0)
	lastNano = time.Unix(0, math.MaxInt64)
)

// timeKey encodes t as its Unix nanoseconds, 8 bytes big-endian, so that
// keys sort by time. UnixNano is undefined outside 1678-2262, so earlier
// times (the zero time among them) clamp to 0, sorting first, and later
// ones to the maximum; real timestamps are never clamped.
func timeKey(t time.Time) string {
	var n int64
	switch {
	case t.Before(epoch):
	case t.After(lastNano):
		n = math.MaxInt64
	default:
		n = t.UnixNano()
	}
	return string(binary.BigEndian.AppendUint64(nil, uint64(n)))
}

const timeLen = 8

// timeline lists, in key order, the records of a time-ordered index whose
// keys are prefix, a timeKey and the primary key. It stops after limit
// records (limit <= 0: no limit), so it costs what it answers, not the
// index's size. keep rejects a record the prefix matched only by accident
// (a 0x00 inside a part).
func timeline[T any](t *tx, index, primary []byte, prefix string, limit int, keep func(T) bool) ([]T, error) {
	var out []T
	err := t.scan(index, prefix, func(k, _ []byte) (bool, error) {
		rest := k[len(prefix):]
		if len(rest) <= timeLen {
			return true, nil // an accidental prefix match too short to be ours
		}
		var v T
		ok, err := t.load(primary, string(rest[timeLen:]), &v)
		if err != nil {
			return false, err
		}
		if ok && keep(v) {
			out = append(out, v)
		}
		return limit <= 0 || len(out) < limit, nil
	})
	return out, err
}

func (t *tx) Transaction(id string) (x core.Transaction, ok bool, err error) {
	ok, err = t.load(bktTransactions, id, &x)
	return x, ok, err
}

func (t *tx) TransactionByKey(partner core.PartnerID, channel core.Channel, operation, partnerTxID string) (x core.Transaction, ok bool, err error) {
	ok, err = t.loadBy(bktTxByKey, bktTransactions, composite(string(partner), string(channel), operation, partnerTxID), &x)
	// Parts containing 0x00 can make two keys collide: only an exact match counts.
	if ok && (x.Partner != partner || x.Channel != channel || x.Operation != operation || x.PartnerTxID != partnerTxID) {
		return core.Transaction{}, false, nil
	}
	return x, ok, err
}

// txKeys answers the entries of x in tx_by_key and tx_unfinished; "" is
// none. A transaction without a partner id has no key to be found by.
func txKeys(x core.Transaction) (byKey, unfinished string) {
	if x.PartnerTxID != "" {
		byKey = composite(string(x.Partner), string(x.Channel), x.Operation, x.PartnerTxID)
	}
	if x.Status == core.TxReceived {
		unfinished = timeKey(x.CreatedAt) + x.ID
	}
	return byKey, unfinished
}

func (t *tx) PutTransaction(x core.Transaction) error {
	var old core.Transaction
	found, err := loadOld(t, bktTransactions, x.ID, &old)
	if err != nil {
		return err
	}
	key, unfinished := txKeys(x)
	if key != "" {
		if holder, ok := t.get(bktTxByKey, key); ok && string(holder) != x.ID {
			return fmt.Errorf("%w: %s (held by %s)", ErrKeyTaken, x.ID, holder)
		}
	}
	var oldKey, oldUnfinished string
	if found {
		oldKey, oldUnfinished = txKeys(old)
	}
	if err := t.store(bktTransactions, x.ID, x); err != nil {
		return err
	}
	if err := t.index(bktTxByKey, oldKey, key, x.ID, true); err != nil {
		return err
	}
	oldByPartner := ""
	if found {
		oldByPartner = partnerTxKey(old)
	}
	if err := t.link(bktTxByPartner, oldByPartner, partnerTxKey(x)); err != nil {
		return err
	}
	return t.link(bktTxUnfinished, oldUnfinished, unfinished)
}

// UnfinishedTransactions reads ids straight from the index keys: the
// recovery worker loads each transaction anyway when it executes it.
func (t *tx) UnfinishedTransactions(limit int) ([]string, error) {
	var ids []string
	err := t.scan(bktTxUnfinished, "", func(k, _ []byte) (bool, error) {
		if len(k) <= timeLen {
			return false, malformed(bktTxUnfinished, k)
		}
		ids = append(ids, string(k[timeLen:]))
		return limit <= 0 || len(ids) < limit, nil
	})
	return ids, err
}

func malformed(b, k []byte) error { return fmt.Errorf("store: %s: malformed key %x", b, k) }

func (t *tx) Delivery(id string) (d core.Delivery, ok bool, err error) {
	ok, err = t.load(bktDeliveries, id, &d)
	return d, ok, err
}

// deliveryKeys answers the entries of d in deliveries_due, deliveries_by_tx
// and deliveries_by_status; "" is none.
func deliveryKeys(d core.Delivery) (due, byTx, byStatus string) {
	created := timeKey(d.CreatedAt) + d.ID
	if d.Status == core.DeliveryPending {
		due = timeKey(d.NextAt) + d.ID
	}
	return due, composite(d.TxID, created), composite(string(d.Status), created)
}

// PutDelivery stores the partner as the value of the due entry, so that
// DueDeliveries can pass over a busy partner's backlog without decoding it.
func (t *tx) PutDelivery(d core.Delivery) error {
	var old core.Delivery
	found, err := loadOld(t, bktDeliveries, d.ID, &old)
	if err != nil {
		return err
	}
	if err := t.store(bktDeliveries, d.ID, d); err != nil {
		return err
	}
	var oldDue, oldByTx, oldByStatus string
	if found {
		oldDue, oldByTx, oldByStatus = deliveryKeys(old)
	}
	due, byTx, byStatus := deliveryKeys(d)
	if oldDue != "" && oldDue != due {
		if err := t.del(bktDeliveriesDue, oldDue); err != nil {
			return err
		}
	}
	if due != "" && (due != oldDue || old.Partner != d.Partner) {
		if err := t.put(bktDeliveriesDue, due, []byte(d.Partner)); err != nil {
			return err
		}
	}
	if err := t.link(bktDeliveriesByTx, oldByTx, byTx); err != nil {
		return err
	}
	return t.link(bktDeliveriesByStatus, oldByStatus, byStatus)
}

// DueDeliveries reads the due index from its front and stops at the first
// entry after until, so a poll costs the due work, not the outbox's size.
func (t *tx) DueDeliveries(until time.Time, limit int, skip func(id string, partner core.PartnerID) bool) ([]core.Delivery, error) {
	end := timeKey(until)
	var out []core.Delivery
	err := t.scan(bktDeliveriesDue, "", func(k, v []byte) (bool, error) {
		if len(k) <= timeLen {
			return false, malformed(bktDeliveriesDue, k)
		}
		if string(k[:timeLen]) > end {
			return false, nil
		}
		id := string(k[timeLen:])
		if skip != nil && skip(id, core.PartnerID(v)) {
			return true, nil
		}
		d, ok, err := t.Delivery(id)
		if err != nil {
			return false, err
		}
		if ok && d.Status == core.DeliveryPending {
			out = append(out, d)
		}
		return limit <= 0 || len(out) < limit, nil
	})
	return out, err
}

func (t *tx) DeliveriesOf(txID string) ([]core.Delivery, error) {
	return timeline(t, bktDeliveriesByTx, bktDeliveries, composite(txID, ""), 0,
		func(d core.Delivery) bool { return d.TxID == txID })
}

func (t *tx) DeliveriesByStatus(status core.DeliveryStatus, limit int) ([]core.Delivery, error) {
	return timeline(t, bktDeliveriesByStatus, bktDeliveries, composite(string(status), ""), limit,
		func(d core.Delivery) bool { return d.Status == status })
}
