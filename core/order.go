package core

import (
	"context"
	"strconv"
	"time"
)

// Orders: a partner's asynchronous transaction seen as a product order
// (TMF622). The order IS the transaction; these rules say what state it is
// in, when it may be cancelled or deleted, and how those changes are
// recorded with their notifications. Wire names stay in the front end.

// Reasons of order management. Append only.
const (
	ReasonOrderNotCancellable Reason = "ORDER_NOT_CANCELLABLE"
	ReasonOrderNotDeletable   Reason = "ORDER_NOT_DELETABLE"
	ReasonOrderNotChangeable  Reason = "ORDER_NOT_CHANGEABLE"
	ReasonTooManyOrders       Reason = "TOO_MANY_ORDERS"
	ReasonStartLater          Reason = "START_LATER"
)

// StartSkew is how far ahead of simgate's clock an order's requested start
// may be and still be taken as "now": the partner's clock differs.
const StartSkew = 5 * time.Minute

// CheckStart refuses an order that asks to start after now: the engine
// runs an order once it is acknowledged and schedules nothing, and running
// it early would do what the partner did not ask.
func CheckStart(requested, now time.Time) error {
	if requested.After(now.Add(StartSkew)) {
		return Errorf(KindInvalid, ReasonStartLater, "requested_start",
			"requested start %s is after now (%s): orders run when acknowledged", requested.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// MaxOrderScan bounds the orders one filtered listing reads: a filtered
// list answers the count of what matches, so it reads every order of the
// partner's channel, and its cost must not grow without bound with the
// partner's history. One order is still read by its id; an unfiltered
// list (OrderPage) reads only its page.
const MaxOrderScan = 10_000

// MaxOrderKeys bounds the index entries one unfiltered listing (OrderPage)
// steps over to count the partner's orders and reach its page: far more
// than MaxOrderScan, since an entry is a key, not a record to read, but
// still a bound on what one request costs. Counting and stepping over a
// million keys took 60-90 ms of CPU in a review's measurement, about what
// a filtered list of 10,000 orders costs; at the per-partner rate limit a
// larger bound would let one partner take the machine.
const MaxOrderKeys = 1_000_000

// OrderState is the life of an order as a whole.
type OrderState string

const (
	OrderAcknowledged OrderState = "Acknowledged" // stored; no item has run
	OrderInProgress   OrderState = "InProgress"   // some items ran, others wait
	OrderCompleted    OrderState = "Completed"    // every item succeeded
	OrderFailed       OrderState = "Failed"       // every item failed
	OrderPartial      OrderState = "Partial"      // items differ
	OrderCancelled    OrderState = "Cancelled"    // withdrawn before any item ran
)

// Final reports whether the order will not change state again.
func (s OrderState) Final() bool {
	return s == OrderCompleted || s == OrderFailed || s == OrderPartial || s == OrderCancelled
}

// StateOf derives an order's state from its transaction.
func StateOf(t Transaction) OrderState {
	switch t.Status {
	case TxCancelled:
		return OrderCancelled
	case TxSucceeded, TxFailed, TxPartial:
		return finalState(t.Results)
	}
	if len(t.Results) == 0 {
		return OrderAcknowledged
	}
	if len(t.Results) >= t.Job.Items() {
		return finalState(t.Results) // executed, status about to be recorded
	}
	return OrderInProgress
}

// StateAfter is the state of the order once item (whose result is set)
// has run: what a state-change notification rendered for that item says.
func StateAfter(t Transaction, item int) OrderState {
	if item+1 >= t.Job.Items() {
		return finalState(t.Results[:item+1])
	}
	return OrderInProgress
}

// ProgressReported reports whether the commit that records item is the
// first to leave the order in progress, so that its notifications, and only
// its, say inProgress: the engine runs an order's items in commits of
// itemsPerStep, and one that finishes in its first commit goes from
// acknowledged to its final state without ever being seen in progress.
// Reporting inProgress there would put two states in one commit, with one
// time, that a listener may receive in either order. (An item retired as a
// poison item is a commit of its own; the report then comes at most one
// commit late.)
func ProgressReported(t Transaction, item int) bool {
	return item+1 == itemsPerStep && item+1 < t.Job.Items()
}

func finalState(rs []ItemResult) OrderState {
	switch outcome(rs) {
	case TxSucceeded:
		return OrderCompleted
	case TxFailed:
		return OrderFailed
	default:
		return OrderPartial
	}
}

// IdleItemState is the state of an order item that runs no command (it
// changes nothing): it follows the order, and is completed once the order
// has run, whatever the other items' outcomes.
func IdleItemState(order OrderState) OrderState {
	if order.Final() && order != OrderCancelled {
		return OrderCompleted
	}
	return order
}

// FinishedAt answers when the transaction's execution finished (false
// while it runs, and for a cancelled one, which never ran).
func FinishedAt(t Transaction) (time.Time, bool) {
	for _, e := range t.History {
		if e.Status.Finished() && e.Status != TxCancelled {
			return e.At, true
		}
	}
	return time.Time{}, false
}

// ItemState is the state of one command of an order.
func ItemState(t Transaction, item int) OrderState {
	switch {
	case t.Status == TxCancelled:
		return OrderCancelled
	case item < len(t.Results) && t.Results[item].OK:
		return OrderCompleted
	case item < len(t.Results):
		return OrderFailed
	case len(t.Results) > 0:
		return OrderInProgress
	default:
		return OrderAcknowledged
	}
}

// OrderChange is what a partner asks of one of its orders. Context, when
// set, rewrites the front end's data of the order (a merge patch, the
// record of a cancellation); Notify renders the notifications of the
// change, written in the same commit. Both run inside the store
// transaction: no side effects.
type OrderChange struct {
	Cancel  bool // withdraw the order: only while no item has run
	Delete  bool // hide a finished order from its channel: only once finished
	Context func(t Transaction) ([]byte, error)
	Notify  func(tx Tx, t Transaction) ([]Notification, error)
}

// Order reads one of partner's orders of channel. Another partner's, another
// channel's and a deleted one read as absent.
func (s *Service) Order(ctx context.Context, partner PartnerID, channel Channel, id string) (Transaction, error) {
	var t Transaction
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		t, err = orderOf(tx, partner, channel, id)
		return err
	})
	if err != nil {
		return Transaction{}, AsError(err)
	}
	return t, nil
}

// Orders calls fn with partner's orders of channel in submission order,
// deleted ones left out (the store does not list them), until fn answers
// false. It reads at most max orders (MaxOrderScan when max <= 0) and
// fails with TOO_MANY_ORDERS when there are more.
func (s *Service) Orders(ctx context.Context, partner PartnerID, channel Channel, max int, fn func(Transaction) (bool, error)) error {
	if max <= 0 {
		max = MaxOrderScan
	}
	err := s.store.View(ctx, func(tx Tx) error {
		read := 0
		return tx.TransactionsOf(partner, channel, func(t Transaction) (bool, error) {
			if read++; read > max {
				return false, Errorf(KindInvalid, ReasonTooManyOrders, "order",
					"partner %s has more than %d orders to walk on channel %s", partner, max, channel)
			}
			if !t.DeletedAt.IsZero() {
				return true, nil
			}
			return fn(t)
		})
	})
	if err != nil {
		return AsError(err)
	}
	return nil
}

// OrderPage calls fn with the page of partner's orders of channel that
// skips offset of them and holds at most limit, in submission order,
// deleted ones left out, and answers how many orders there are in all. It
// counts them and steps over the skipped ones in the store's index, reading
// only the page's records, so its cost does not depend on the orders'
// contents; it walks at most max index entries (MaxOrderKeys when max <= 0)
// and fails with TOO_MANY_ORDERS when the partner has more orders.
func (s *Service) OrderPage(ctx context.Context, partner PartnerID, channel Channel, offset, limit, max int, fn func(Transaction) error) (total int, err error) {
	if max <= 0 {
		max = MaxOrderKeys
	}
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		if total, err = tx.CountTransactionsOf(partner, channel, max); err != nil {
			return err
		}
		if total > max {
			return Errorf(KindInvalid, ReasonTooManyOrders, "order",
				"partner %s has more than %d orders to count on channel %s", partner, max, channel)
		}
		if offset >= total || limit <= 0 {
			return nil
		}
		n := 0
		return tx.TransactionsOfFrom(partner, channel, offset, func(t Transaction) (bool, error) {
			if !t.DeletedAt.IsZero() { // the store leaves them out; this keeps the page right if one did not
				return true, nil
			}
			n++
			return n < limit, fn(t)
		})
	})
	if err != nil {
		return 0, AsError(err)
	}
	return total, nil
}

func orderOf(tx Tx, partner PartnerID, channel Channel, id string) (Transaction, error) {
	t, ok, err := tx.Transaction(id)
	if err != nil {
		return Transaction{}, err
	}
	if !ok || t.Partner != partner || t.Channel != channel || !t.DeletedAt.IsZero() {
		return Transaction{}, Errorf(KindNotFound, ReasonTxNotFound, "order", "order %s not found", id)
	}
	return t, nil
}

// ChangeOrder applies a partner's change to one of its orders in one store
// transaction: the rules of cancel and delete, the new front-end data, a
// history entry, and the notifications.
func (e *Engine) ChangeOrder(ctx context.Context, partner PartnerID, channel Channel, id string, ch OrderChange) (Transaction, error) {
	now := e.svc.clock.Now().UTC()
	var t Transaction
	var made []Delivery
	err := e.svc.store.Update(ctx, func(tx Tx) error {
		var err error
		made = nil // a store may run fn again
		if t, err = orderOf(tx, partner, channel, id); err != nil {
			return err
		}
		state := StateOf(t)
		note := "changed"
		switch {
		case ch.Cancel:
			if state != OrderAcknowledged {
				return Errorf(KindConflict, ReasonOrderNotCancellable, "state", "order %s is %s: only an acknowledged order can be cancelled", id, state)
			}
			t.Status, note = TxCancelled, "cancelled"
		case ch.Delete:
			if !state.Final() {
				return Errorf(KindConflict, ReasonOrderNotDeletable, "state", "order %s is %s: only a finished order can be deleted", id, state)
			}
			t.DeletedAt, note = now, "deleted"
		case state == OrderCancelled:
			return Errorf(KindConflict, ReasonOrderNotChangeable, "state", "order %s is cancelled", id)
		}
		t.UpdatedAt = now
		t.History = append(t.History, TxEvent{At: now, Status: t.Status, Note: note})
		if ch.Context != nil {
			if t.Context, err = ch.Context(t); err != nil {
				return err
			}
		}
		if err := tx.PutTransaction(t); err != nil {
			return err
		}
		if ch.Notify == nil {
			return nil
		}
		notes, err := ch.Notify(tx, t)
		if err != nil {
			return err
		}
		made, err = putNotifications(tx, t, "h"+strconv.Itoa(len(t.History)), notes, now)
		return err
	})
	if err != nil {
		return Transaction{}, AsError(err)
	}
	e.handoff(made)
	return t, nil
}

// notify puts the submission's own notifications in the outbox, in the
// commit that stores t, and answers them.
func (s Submission) notify(tx Tx, t Transaction, now time.Time) ([]Delivery, error) {
	if s.Notify == nil {
		return nil, nil
	}
	notes, err := s.Notify(tx, t)
	if err != nil {
		return nil, err
	}
	return putNotifications(tx, t, "submit", notes, now)
}

// render asks a channel's renderer for an item's notifications, through
// RenderTx when it reads the store.
func render(r Renderer, tx Tx, t Transaction, item int, now time.Time) ([]Notification, error) {
	if tr, ok := r.(TxRenderer); ok {
		return tr.RenderTx(tx, t, item, now)
	}
	return r.Render(t, item, now)
}

// putNotifications puts a transaction's notifications in the outbox, due
// now, under ids made of the transaction, tag and their rank: the same on
// a retried commit. It answers the deliveries it put.
func putNotifications(tx Tx, t Transaction, tag string, notes []Notification, now time.Time) ([]Delivery, error) {
	out := make([]Delivery, 0, len(notes))
	for k, nt := range notes {
		d := Delivery{
			ID: "msg_" + t.ID + "_" + tag + "_" + strconv.Itoa(k), Partner: t.Partner, TxID: t.ID,
			Event: nt.Event, URL: nt.URL, ContentType: nt.ContentType, Body: nt.Body, Accept: nt.Accept,
			Status: DeliveryPending, NextAt: now, CreatedAt: now,
		}
		if err := tx.PutDelivery(d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Reasons of hub registrations. Append only.
const (
	ReasonHubNotFound Reason = "HUB_NOT_FOUND"
	ReasonHubLimit    Reason = "HUB_LIMIT"
)

// MaxHubs bounds a partner's hub registrations per channel: each is one
// more notification per event.
const MaxHubs = 10

// RegisterHub records a partner's subscription to its channel's events,
// with a new id. The same callback and query registered again answer the
// hub already registered: a partner that sends its registration again (it
// timed out, say) must not get every event twice. The front end has
// checked the callback URL.
func (s *Service) RegisterHub(ctx context.Context, partner PartnerID, channel Channel, callback, query string) (Hub, error) {
	id, err := s.ids.UUID()
	if err != nil {
		return Hub{}, Internal(err)
	}
	fresh := Hub{ID: id, Partner: partner, Channel: channel, Callback: callback, Query: query, CreatedAt: s.clock.Now().UTC()}
	var h Hub
	err = s.store.Update(ctx, func(tx Tx) error {
		h = fresh // the function may run twice
		hubs, err := tx.HubsOf(partner, channel)
		if err != nil {
			return err
		}
		for _, old := range hubs {
			if old.Callback == callback && old.Query == query {
				h = old
				return nil
			}
		}
		if len(hubs) >= MaxHubs {
			return Errorf(KindConflict, ReasonHubLimit, "hub", "at most %d hubs per partner: delete one first", MaxHubs)
		}
		return tx.PutHub(h)
	})
	if err != nil {
		return Hub{}, AsError(err)
	}
	return h, nil
}

// UnregisterHub deletes one of partner's hubs of channel; another
// partner's reads as absent.
func (s *Service) UnregisterHub(ctx context.Context, partner PartnerID, channel Channel, id string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		h, ok, err := tx.Hub(id)
		if err != nil {
			return err
		}
		if !ok || h.Partner != partner || h.Channel != channel {
			return Errorf(KindNotFound, ReasonHubNotFound, "hub", "hub %s not found", id)
		}
		return tx.DeleteHub(id)
	})
	if err != nil {
		return AsError(err)
	}
	return nil
}
