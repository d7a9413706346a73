package core

import (
	"context"
	"math/rand/v2"
	"time"
)

// Several engines on one shared store (EngineConfig.Shared) must not POST
// the same notification at once: the POST happens outside any store
// transaction, so reading the due deliveries is not enough. Instead an
// engine claims them: one Update reads the due deliveries and moves their
// NextAt a lease into the future, so that no other engine finds them due
// while this one sends. The attempt's record then sets NextAt as usual (or
// ends the delivery). An engine that dies while sending leaves its claims
// to expire: the lease is longer than an attempt may last, and after it
// the delivery is due again for any engine, with the same webhook-id.

// claimLease answers how long a claim keeps a delivery from the others.
func (e *Engine) claimLease() time.Duration {
	if e.cfg.ClaimLease > 0 {
		return e.cfg.ClaimLease
	}
	return 2*e.cfg.DeliveryDeadline + 10*time.Second
}

// dueBatch is how many due deliveries one scan answers at most.
const dueBatch = 256

// dueDeliveries answers the deliveries sendDue should start: read in a
// snapshot when this engine is the store's only one, claimed otherwise.
func (e *Engine) dueDeliveries(ctx context.Context, now time.Time) ([]Delivery, error) {
	const batch = dueBatch
	var due []Delivery
	if !e.cfg.Shared {
		err := e.svc.store.View(ctx, func(tx Tx) error {
			var err error
			due, err = tx.DueDeliveries(now, batch, e.picker())
			return err
		})
		return due, err
	}
	until := now.Add(e.claimLease())
	err := e.svc.store.Update(ctx, func(tx Tx) error {
		// fn may run more than once: start afresh each time, the count of
		// what was picked included, or a discarded run would use up the
		// partners' free slots of the run that counts.
		due = due[:0]
		list, err := tx.DueDeliveries(now, batch, e.picker())
		if err != nil {
			return err
		}
		for _, d := range list {
			d.NextAt, d.ClaimedUntil = until, until
			if err := tx.PutDelivery(d); err != nil {
				return err
			}
			due = append(due, d)
		}
		return nil
	})
	return due, err
}

// picker answers a skip function for one scan of the due deliveries. It
// passes over the deliveries being sent, and counts what the scan has
// picked for a partner on top of what is in flight: a partner with one
// free slot gets one delivery decoded (and, on a shared store, claimed),
// not a page of its backlog that sendDue would leave unsent, or claimed
// for a lease.
func (e *Engine) picker() func(id string, p PartnerID) bool {
	picked := map[PartnerID]int{}
	return func(id string, p PartnerID) bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.sending[id] || e.queued[id] {
			return true
		}
		if e.perPart[p]+picked[p] >= e.cfg.PerPartner {
			e.rescan = true // its backlog waits for a slot, which wakes sendDue
			return true
		}
		picked[p]++
		return false
	}
}

// unclaim gives back claimed deliveries that were not attempted (the
// engine is stopping), so that another engine need not wait for the lease.
func (e *Engine) unclaim(ds ...Delivery) {
	if !e.cfg.Shared || len(ds) == 0 {
		return
	}
	now := e.svc.clock.Now().UTC()
	err := e.svc.store.Update(context.Background(), func(tx Tx) error {
		for _, d := range ds {
			cur, ok, err := tx.Delivery(d.ID)
			if err != nil {
				return err
			}
			if !ok || cur.Status != DeliveryPending || !cur.NextAt.Equal(d.NextAt) {
				continue // finished, replayed or claimed again meanwhile: not ours any more
			}
			cur.NextAt, cur.ClaimedUntil = now, time.Time{}
			if err := tx.PutDelivery(cur); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.log.Error("giving back claimed deliveries", "deliveries", len(ds), "first", ds[0].ID, "error", err)
	}
}

// spread shuffles the unfinished transactions an engine on a shared store
// is about to execute, so that engines polling at once start on different
// ones instead of colliding on the oldest (the store would run one of
// each colliding pair again, wasting the work).
func (e *Engine) spread(ids []string) []string {
	if e.cfg.Shared {
		rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	}
	return ids
}
