package core

import (
	"context"
	"crypto/subtle"
	"time"
)

// Reasons of lifecycle changes and moves. Append only.
const (
	ReasonAccountNotFound  Reason = "ACCOUNT_NOT_FOUND"
	ReasonTargetNotFound   Reason = "TARGET_NOT_FOUND"
	ReasonMoveNotEligible  Reason = "MOVE_NOT_ELIGIBLE"
	ReasonGraceExpired     Reason = "GRACE_PERIOD_EXPIRED"
	ReasonNumberReused     Reason = "NUMBER_REUSED"
	ReasonSubscriptionBusy Reason = "SUBSCRIPTION_NOT_LIVE"
)

// SIMCeased marks the SIM of a ceased subscription: it stays with that
// subscription for a reactivation within the grace period.
const SIMCeased SIMStatus = "Ceased"

// maxDepth bounds account hierarchies, so a corrupt parent chain cannot
// loop forever.
const maxDepth = 32

// AccountDepth answers how far below root the account acc is (0 for root
// itself) and false when acc is not in root's tree.
func AccountDepth(tx Tx, root, acc AccountID) (int, bool, error) {
	cur := acc
	for depth := 0; depth <= maxDepth; depth++ {
		if cur == root {
			return depth, true, nil
		}
		a, ok, err := tx.Account(cur)
		if err != nil || !ok || a.Parent == "" {
			return 0, false, err
		}
		cur = a.Parent
	}
	return 0, false, nil
}

// VisibleAccount is the account root sees acc in: itself down to level 1,
// its level-1 ancestor below that (a reseller sees what its sub-account
// resold as still listed in that sub-account).
func VisibleAccount(tx Tx, root, acc AccountID) (AccountID, error) {
	cur := acc
	for i := 0; i <= maxDepth; i++ {
		if cur == root {
			return acc, nil
		}
		a, ok, err := tx.Account(cur)
		if err != nil || !ok {
			return "", err
		}
		if a.Parent == root {
			return a.ID, nil
		}
		cur = a.Parent
	}
	return "", nil
}

// ResolveAccount checks that the node a caller names is its root or below
// it; "" means the root. Any other node reads as absent. caller is the
// partner as the caller's authentication read it: the root is not read
// again, and the store is read only to place a node under it.
func (s *Service) ResolveAccount(ctx context.Context, caller Partner, node AccountID) (AccountID, error) {
	out := caller.RootAccount
	if node != "" && out != "" {
		out = ""
		err := s.store.View(ctx, func(tx Tx) error {
			if _, in, err := AccountDepth(tx, caller.RootAccount, node); err != nil || !in {
				return err
			}
			out = node
			return nil
		})
		if err != nil {
			return "", Internal(err)
		}
	}
	if out == "" {
		return "", Errorf(KindNotFound, ReasonAccountNotFound, "account", "account %s not found", node)
	}
	return out, nil
}

// findSubscription finds the caller's subscription, within the subtree of
// account when given. Another partner's reads as absent.
func findSubscription(tx Tx, caller PartnerID, account AccountID, ref SubscriberRef) (Subscription, error) {
	notFound := Errorf(KindNotFound, ReasonSubscriptionNotFound, "subscriber", "subscriber %s %s not found", ref.Kind, ref.Value)
	var sub Subscription
	var ok bool
	var err error
	if ref.Kind == ByID {
		sub, ok, err = tx.Subscription(ref.Value)
	} else {
		sub, ok, err = tx.SubscriptionBy(ref.Kind, ref.Value)
	}
	if err != nil {
		return Subscription{}, err
	}
	if !ok || sub.Partner != caller {
		return Subscription{}, notFound
	}
	if account != "" {
		if _, in, err := AccountDepth(tx, account, sub.Account); err != nil {
			return Subscription{}, err
		} else if !in {
			return Subscription{}, notFound
		}
	}
	return sub, nil
}

// changeStatus applies DESIGN.md's state machine: Active <-> Suspended,
// Active|Suspended -> Ceased (the number ages for the grace period, the SIM
// waits), Ceased -> Active within the grace period while the number has
// not been reused.
func changeStatus(tx Tx, cmd ChangeStatus, now time.Time, grace time.Duration) (Subscription, error) {
	sub, err := findSubscription(tx, cmd.Ref.Partner, cmd.Account, cmd.Subscription)
	if err != nil {
		return Subscription{}, err
	}
	illegal := func() error {
		return Errorf(KindConflict, ReasonIllegalTransition, "action", "cannot %s a subscription that is %s", cmd.Action, sub.Status)
	}
	var num *Number
	if sub.MSISDN != "" {
		n, ok, err := tx.Number(sub.MSISDN)
		if err != nil {
			return Subscription{}, err
		}
		if ok {
			num = &n
		}
	}
	sim, simOK, err := tx.SIM(sub.SIM)
	if err != nil {
		return Subscription{}, err
	}
	switch cmd.Action {
	case ActionSuspend:
		if sub.Status != SubActive {
			return Subscription{}, illegal()
		}
		sub.Status = SubSuspended
	case ActionResume:
		if sub.Status != SubSuspended {
			return Subscription{}, illegal()
		}
		sub.Status = SubActive
	case ActionCease:
		if sub.Status != SubActive && sub.Status != SubSuspended {
			return Subscription{}, illegal()
		}
		sub.Status, sub.CeasedAt = SubCeased, now
		if num != nil {
			num.Status, num.AgingUntil = NumberIsAging, now.Add(grace)
		}
		if simOK {
			sim.Status = SIMCeased
		}
	case ActionReactivate:
		if sub.Status != SubCeased {
			return Subscription{}, illegal()
		}
		if now.After(sub.CeasedAt.Add(grace)) {
			return Subscription{}, Errorf(KindConflict, ReasonGraceExpired, "action", "ceased on %s, past the %s grace period", sub.CeasedAt.Format(time.RFC3339), grace)
		}
		if num != nil && (num.Status != NumberIsAging || num.Subscription != sub.ID) {
			return Subscription{}, Errorf(KindConflict, ReasonNumberReused, "number", "number %s was given to another subscription", sub.MSISDN)
		}
		if simOK && (sim.Status != SIMCeased || sim.Subscription != sub.ID) {
			return Subscription{}, Errorf(KindConflict, ReasonSIMNotAvailable, "sim", "SIM %s was reused", sim.ID)
		}
		sub.Status, sub.CeasedAt = SubActive, time.Time{}
		if num != nil {
			num.Status, num.AgingUntil = NumberIsAssigned, time.Time{}
		}
		if simOK {
			sim.Status = SIMActive
		}
	default:
		return Subscription{}, Errorf(KindInvalid, ReasonMalformed, "action", "unknown action %q", cmd.Action)
	}
	sub.UpdatedAt = now
	if num != nil {
		if err := tx.PutNumber(*num); err != nil {
			return Subscription{}, err
		}
	}
	if simOK {
		if err := tx.PutSIM(sim); err != nil {
			return Subscription{}, err
		}
	}
	return sub, tx.PutSubscription(sub)
}

// checkMove applies the reseller-hierarchy eligibility of a move. The
// requester's own account is level 0. Allowed: level 0 to one of its
// level-1 sub-accounts; a level-1 sub-account to another; and back to level
// 0 from any depth. The subscriber must be live and in the requester's
// tree; the target must be the root or a level-1 sub-account.
func checkMove(tx Tx, cmd Move) (Subscription, error) {
	p, ok, err := tx.Partner(cmd.Ref.Partner)
	if err != nil {
		return Subscription{}, err
	}
	root := p.RootAccount
	if !ok || root == "" {
		return Subscription{}, Errorf(KindNotFound, ReasonSubscriptionNotFound, "subscriber", "the caller has no account")
	}
	sub, err := findSubscription(tx, cmd.Ref.Partner, root, cmd.Subscriber)
	if err != nil {
		return Subscription{}, err
	}
	if !sub.Status.Live() {
		return Subscription{}, Errorf(KindNotFound, ReasonSubscriptionNotFound, "subscriber", "subscriber %s is ceased", sub.ID)
	}
	from, _, err := AccountDepth(tx, root, sub.Account)
	if err != nil {
		return Subscription{}, err
	}
	to, in, err := AccountDepth(tx, root, cmd.Target)
	if err != nil {
		return Subscription{}, err
	}
	if !in || to > 1 {
		return Subscription{}, Errorf(KindNotFound, ReasonTargetNotFound, "target", "target %s is not the caller's account or one of its level-1 sub-accounts", cmd.Target)
	}
	eligible := (from == 0 && to == 1) || (from == 1 && to == 1 && sub.Account != cmd.Target) || (from >= 1 && to == 0)
	if !eligible {
		return Subscription{}, Errorf(KindConflict, ReasonMoveNotEligible, "target", "a subscriber at level %d cannot move to %s at level %d", from, cmd.Target, to)
	}
	return sub, nil
}

// moveSubscriber re-parents the subscription (and its SIM and number).
func moveSubscriber(tx Tx, cmd Move, now time.Time) (Subscription, error) {
	sub, err := checkMove(tx, cmd)
	if err != nil {
		return Subscription{}, err
	}
	sub.Account, sub.UpdatedAt = cmd.Target, now
	if sim, ok, err := tx.SIM(sub.SIM); err != nil {
		return Subscription{}, err
	} else if ok {
		sim.Account = cmd.Target
		if err := tx.PutSIM(sim); err != nil {
			return Subscription{}, err
		}
	}
	if sub.MSISDN != "" {
		if n, ok, err := tx.Number(sub.MSISDN); err != nil {
			return Subscription{}, err
		} else if ok {
			n.Account = cmd.Target
			if err := tx.PutNumber(n); err != nil {
				return Subscription{}, err
			}
		}
	}
	return sub, tx.PutSubscription(sub)
}

// CheckMove answers whether a move is eligible now, without changing
// anything: front ends refuse ineligible moves before acknowledging them.
func (s *Service) CheckMove(ctx context.Context, cmd Move) error {
	err := s.store.View(ctx, func(tx Tx) error {
		_, err := checkMove(tx, cmd)
		return err
	})
	if err != nil {
		return AsError(err)
	}
	return nil
}

// Subscriber reads one of the caller's subscriptions and the account the
// caller sees it in.
func (s *Service) Subscriber(ctx context.Context, caller PartnerID, ref SubscriberRef) (Subscription, AccountID, error) {
	var sub Subscription
	var visible AccountID
	err := s.store.View(ctx, func(tx Tx) error {
		p, ok, err := tx.Partner(caller)
		if err != nil {
			return err
		}
		if !ok || p.RootAccount == "" {
			return Errorf(KindNotFound, ReasonSubscriptionNotFound, "subscriber", "the caller has no account")
		}
		if sub, err = findSubscription(tx, caller, p.RootAccount, ref); err != nil {
			return err
		}
		visible, err = VisibleAccount(tx, p.RootAccount, sub.Account)
		return err
	})
	if err != nil {
		return Subscription{}, "", AsError(err)
	}
	return sub, visible, nil
}

// Transaction reads one of the caller's transactions by simgate's id.
func (s *Service) Transaction(ctx context.Context, caller PartnerID, id string) (Transaction, error) {
	var t Transaction
	var ok bool
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		t, ok, err = tx.Transaction(id)
		return err
	})
	if err != nil {
		return Transaction{}, Internal(err)
	}
	if !ok || t.Partner != caller {
		return Transaction{}, Errorf(KindNotFound, ReasonTxNotFound, "request", "transaction %s not found", id)
	}
	return t, nil
}

// LatestTransaction finds the caller's most recent transaction under its
// own id, across the given operations.
func (s *Service) LatestTransaction(ctx context.Context, caller PartnerID, channel Channel, partnerTxID string, operations ...string) (Transaction, error) {
	var best Transaction
	err := s.store.View(ctx, func(tx Tx) error {
		for _, op := range operations {
			t, ok, err := tx.TransactionByKey(caller, channel, op, partnerTxID)
			if err != nil {
				return err
			}
			if ok && (best.ID == "" || t.Seq > best.Seq) {
				best = t
			}
		}
		return nil
	})
	if err != nil {
		return Transaction{}, Internal(err)
	}
	if best.ID == "" {
		return Transaction{}, Errorf(KindNotFound, ReasonTxNotFound, "transaction", "transaction %s not found", partnerTxID)
	}
	return best, nil
}

// PartnerByAPIKey authenticates an API key (stored as its SHA-256).
func (s *Service) PartnerByAPIKey(ctx context.Context, key string) (Partner, error) {
	addr := addrKey(ClientIP(ctx))
	if err := s.guessesRefused(addr, "authorization"); err != nil {
		return Partner{}, err
	}
	var p Partner
	var ok bool
	if key != "" {
		hash := HashSecret(key)
		err := s.store.View(ctx, func(tx Tx) error {
			var err error
			p, ok, err = tx.PartnerByAPIKeyHash(hash)
			return err
		})
		if err != nil {
			return Partner{}, Internal(err)
		}
		// The lookup is by hash, so its timing tells nothing of the key; as
		// for tokens, the partner found must hold exactly this hash.
		match := 0
		for _, h := range p.APIKeyHashes {
			match |= subtle.ConstantTimeCompare([]byte(h), []byte(hash))
		}
		ok = ok && match == 1
	}
	if !ok {
		s.logins.failedAddr(addr, s.clock.Now())
		return Partner{}, Errorf(KindUnauthorized, ReasonLoginFailed, "authorization", "invalid API key")
	}
	return p, nil
}

// SetCallback records where the partner's notifications go. The signing
// secret is answered the first time it is asked for, and never again.
func (s *Service) SetCallback(ctx context.Context, caller PartnerID, url string) (Partner, bool, error) {
	var p Partner
	var reveal bool
	err := s.store.Update(ctx, func(tx Tx) error {
		reveal = false // a store may run fn again
		var ok bool
		var err error
		if p, ok, err = tx.Partner(caller); err != nil || !ok {
			return err
		}
		p.CallbackURL = url
		reveal, p.SecretShown = !p.SecretShown, true
		return tx.PutPartner(p)
	})
	if err != nil {
		return Partner{}, false, Internal(err)
	}
	return p, reveal, nil
}
