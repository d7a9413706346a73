package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
)

// EngineConfig tunes the asynchronous engine.
type EngineConfig struct {
	Workers          int           // concurrent executions; default 64
	PerPartner       int           // concurrent deliveries per partner; default 16
	PollInterval     time.Duration // how often stored work is looked for without a wake-up; default 250ms
	DeliveryDeadline time.Duration // upper bound of one attempt, on top of the sender's own timeout; default 30s
	// Retry answers the wait before the next attempt after the attempts-th
	// failure, or ok=false when the delivery goes to the dead-letter state.
	Retry func(attempts int, retryAfter time.Duration) (time.Duration, bool)
	// Observer is told of executions and delivery attempts (metrics); optional.
	Observer EngineObserver
	// SessionRetention is how long an expired login session is kept (its
	// token still reads as expired, not unknown) before it is deleted;
	// 0 keeps expired sessions for ever.
	SessionRetention time.Duration
	// Shared says that other engines work on the same store (several
	// instances on PostgreSQL): deliveries are claimed before they are
	// sent (see claim.go).
	Shared bool
	// ClaimLease is how long a claimed delivery is left to the engine that
	// claimed it; default twice DeliveryDeadline plus 10s.
	ClaimLease time.Duration
}

// Engine runs asynchronous transactions: Submit stores them durably before
// the acknowledgement, workers execute each item exactly once and write its
// outcome with its notifications in one store transaction (the outbox), and
// the dispatcher delivers the outbox with retries. Everything it needs is in
// the store, so a restarted process resumes where the last one stopped.
type Engine struct {
	svc       *Service
	sender    Sender
	cfg       EngineConfig
	log       *slog.Logger
	renderers map[Channel]Renderer

	wakeExec, wakeSend chan struct{}

	mu        sync.Mutex
	executing map[string]bool
	failures  map[string]int // consecutive internal failures of a transaction's current item
	sending   map[string]bool
	// recorded lists the deliveries whose attempts were recorded since the
	// dispatcher's last scan began. They stay in sending until the next
	// scan begins: a scan begun before a record reads a snapshot in which
	// the delivery is still pending and due, and only the mark keeps that
	// scan from sending it again.
	recorded []string
	perPart  map[PartnerID]int

	// fresh holds deliveries this engine has just committed, in commit
	// order, until a partner slot lets sendDue start them: what an engine
	// wrote itself need not be read back from the store (see handoff).
	// queued marks their ids so that a scan passes over them.
	fresh  []Delivery
	queued map[string]bool
	// rescan says that something due may be in the store only (a full
	// fresh queue, a partner's backlog passed over for want of slots, a
	// replay): the next sendDue scans. Otherwise it scans at start and
	// every PollInterval, which finds retries coming due and the work a
	// stopped process left.
	rescan bool

	nextSessionSweep time.Time

	// goroutines runs the executions and the delivery attempts.
	goroutines *reuse
}

// NewEngine builds an engine; register the front ends' renderers, then Run.
func NewEngine(svc *Service, sender Sender, log *slog.Logger, cfg EngineConfig) *Engine {
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.PerPartner <= 0 {
		cfg.PerPartner = 16
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	if cfg.DeliveryDeadline <= 0 {
		cfg.DeliveryDeadline = 30 * time.Second
	}
	if cfg.Retry == nil {
		cfg.Retry = func(int, time.Duration) (time.Duration, bool) { return 0, false }
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	return &Engine{
		svc: svc, sender: sender, cfg: cfg, log: log,
		renderers: map[Channel]Renderer{},
		wakeExec:  make(chan struct{}, 1), wakeSend: make(chan struct{}, 1),
		executing: map[string]bool{}, sending: map[string]bool{}, perPart: map[PartnerID]int{}, failures: map[string]int{},
		queued: map[string]bool{}, goroutines: newReuse(reuseIdle),
	}
}

// Register sets the renderer of a channel's notifications.
func (e *Engine) Register(ch Channel, r Renderer) { e.renderers[ch] = r }

// Submission is an asynchronous request a front end has authenticated and
// checked.
type Submission struct {
	Ref         TxRef
	Operation   string
	BodyHash    string
	CallbackURL string
	Context     []byte
	Job         Job
	// AssignBAN gives every activation of the job one new billing account
	// number: the request is one billing account.
	AssignBAN bool
	// Ack renders the acknowledgement once the transaction has its id. It
	// runs inside the store transaction: no side effects.
	Ack func(t Transaction) (status int, body []byte, err error)
	// Notify, optional, renders notifications of the stored transaction
	// (a TMF622 create event) that are put in the outbox in the same
	// commit. It runs inside the store transaction: no side effects.
	Notify func(tx Tx, t Transaction) ([]Notification, error)
}

// Submit stores s and its acknowledgement in one durable commit. A
// partner transaction id seen before answers the first transaction
// (replayed=true) when the body is the same, and a conflict otherwise.
func (e *Engine) Submit(ctx context.Context, s Submission) (t Transaction, replayed bool, err error) {
	now := e.svc.clock.Now().UTC()
	// Time-ordered: the transaction and its deliveries, keyed by it, are
	// appended to their buckets, so a commit writes a few pages at their
	// end rather than one page per record all over them.
	id, err := e.svc.ids.TimeUUID(now)
	if err != nil {
		return Transaction{}, false, Internal(err)
	}
	var made []Delivery
	err = e.svc.store.Update(ctx, func(tx Tx) error {
		t, replayed, made = Transaction{}, false, nil // a store may run fn again
		prev, ok, err := repeated(tx, s)
		if err != nil {
			return err
		}
		if ok {
			t, replayed = prev, true
			return nil
		}
		job := s.Job
		if s.AssignBAN {
			seq, err := tx.NextSeq("ban")
			if err != nil {
				return err
			}
			ban := fmt.Sprintf("9%011d", seq)
			job.Activations = append([]Activate(nil), job.Activations...)
			for i := range job.Activations {
				job.Activations[i].BAN = ban
			}
		}
		seq, err := tx.NextSeq("transaction")
		if err != nil {
			return err
		}
		t = Transaction{
			ID: id, Seq: seq, Partner: s.Ref.Partner, Channel: s.Ref.Channel, Operation: s.Operation,
			PartnerTxID: s.Ref.PartnerTxID, CorrelationID: s.Ref.CorrelationID, BodyHash: s.BodyHash,
			CallbackURL: s.CallbackURL, Context: s.Context, Job: job, Status: TxReceived,
			History: []TxEvent{{At: now, Status: TxReceived}}, CreatedAt: now, UpdatedAt: now,
		}
		if t.AckStatus, t.Ack, err = s.Ack(t); err != nil {
			return err
		}
		if err := tx.PutTransaction(t); err != nil {
			return err
		}
		made, err = s.notify(tx, t, now)
		return err
	})
	if err != nil {
		return Transaction{}, false, AsError(err)
	}
	if !replayed {
		wake(e.wakeExec)
		e.handoff(made)
	}
	return t, replayed, nil
}

// Submitted answers, reading only, what Submit would answer for s's
// partner transaction id: the transaction stored under it when s repeats
// its request (ok), the conflict when the id was used with another
// request, and ok=false when the id is new or s carries none. A front end
// whose own checks would refuse the repeat of a request that has run
// since (a move whose subscriber is now in its target) asks first; for an
// id it finds new, Submit still decides in its commit.
func (e *Engine) Submitted(ctx context.Context, s Submission) (t Transaction, ok bool, err error) {
	if s.Ref.PartnerTxID == "" {
		return Transaction{}, false, nil
	}
	err = e.svc.store.View(ctx, func(tx Tx) error {
		var err error
		t, ok, err = repeated(tx, s)
		return err
	})
	if err != nil {
		return Transaction{}, false, AsError(err)
	}
	return t, ok, nil
}

// repeated finds the transaction s repeats: the one stored under the same
// partner, channel, operation and partner transaction id, when its body
// is the same; another body under that key is a conflict. One function
// for Submit and Submitted, so that a replay reads the same either way.
func repeated(tx Tx, s Submission) (Transaction, bool, error) {
	if s.Ref.PartnerTxID == "" {
		return Transaction{}, false, nil // no key: every request is new
	}
	prev, ok, err := tx.TransactionByKey(s.Ref.Partner, s.Ref.Channel, s.Operation, s.Ref.PartnerTxID)
	if err != nil || !ok {
		return Transaction{}, false, err
	}
	if prev.BodyHash != s.BodyHash {
		return Transaction{}, false, Errorf(KindConflict, ReasonDuplicateTxID, "partner_tx_id", "transaction id %q was used before with another request", s.Ref.PartnerTxID)
	}
	return prev, true, nil
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Run executes and delivers stored work until ctx ends, then waits for the
// work in flight to finish.
func (e *Engine) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		e.loop(ctx, e.wakeExec, func(ctx context.Context, wg *sync.WaitGroup, _ bool) {
			e.releaseAged(ctx)
			e.sweepSessions(ctx)
			e.executeDue(ctx, wg)
		}, &wg)
	}()
	go func() { defer wg.Done(); e.loop(ctx, e.wakeSend, e.sendDue, &wg) }()
	wg.Wait()
}

// loop calls step at start, on every wake-up and every PollInterval;
// polled tells step it runs at start or for the interval.
func (e *Engine) loop(ctx context.Context, wakeup chan struct{}, step func(ctx context.Context, wg *sync.WaitGroup, polled bool), wg *sync.WaitGroup) {
	tick := time.NewTicker(e.cfg.PollInterval)
	defer tick.Stop()
	polled := true
	for {
		step(ctx, wg, polled)
		select {
		case <-ctx.Done():
			return
		case <-wakeup:
			polled = false
		case <-tick.C:
			polled = true
		}
	}
}

// releaseAged returns to their pool the numbers whose grace period after
// a cease has ended: from then on the ceased subscription cannot be
// reactivated, and the number may be given out again.
func (e *Engine) releaseAged(ctx context.Context) {
	now := e.svc.clock.Now().UTC()
	var aged []Number
	err := e.svc.store.View(ctx, func(tx Tx) error {
		var err error
		aged, err = tx.AgedNumbers(now, 256)
		return err
	})
	if err != nil || len(aged) == 0 {
		if err != nil && ctx.Err() == nil {
			e.log.ErrorContext(ctx, "listing aged numbers", "error", err)
		}
		return
	}
	err = e.svc.store.Update(ctx, func(tx Tx) error {
		for _, n := range aged {
			cur, ok, err := tx.Number(n.MSISDN)
			if err != nil {
				return err
			}
			if !ok || cur.Status != NumberIsAging || cur.AgingUntil.After(now) {
				continue
			}
			cur.Status, cur.Subscription, cur.AgingUntil = NumberIsAvailable, "", time.Time{}
			if err := tx.PutNumber(cur); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.log.ErrorContext(ctx, "releasing aged numbers", "error", err)
		return
	}
	e.log.InfoContext(ctx, "aged numbers back in their pools", "count", len(aged))
}

// executeDue starts an execution for unfinished transactions, up to Workers.
func (e *Engine) executeDue(ctx context.Context, wg *sync.WaitGroup) {
	var ids []string
	err := e.svc.store.View(ctx, func(tx Tx) error {
		var err error
		ids, err = tx.UnfinishedTransactions(e.cfg.Workers * 8)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			e.log.ErrorContext(ctx, "listing unfinished transactions", "error", err)
		}
		return
	}
	for _, id := range e.spread(ids) {
		e.mu.Lock()
		busy := e.executing[id] || len(e.executing) >= e.cfg.Workers
		if !busy {
			e.executing[id] = true
		}
		e.mu.Unlock()
		if busy {
			continue
		}
		wg.Add(1)
		e.goroutines.Go(func() {
			defer wg.Done()
			// Executions finish even when ctx ends: each item is one short
			// store transaction, and stopping halfway is safe anyway.
			e.execute(context.WithoutCancel(ctx), id)
			e.mu.Lock()
			delete(e.executing, id)
			e.mu.Unlock()
			wake(e.wakeExec)
		})
	}
}

// execute runs the items of one transaction, each in its own store
// transaction together with its result and notifications: an item is
// applied exactly once, whatever the process does between two items.
func (e *Engine) execute(ctx context.Context, id string) {
	for {
		done, err := e.executeItems(ctx, id, nil)
		var own *itemFailure
		if err != nil && !errors.As(err, &own) {
			// The store failed (a commit, a read, a lost connection):
			// nothing is wrong with the item, so this is no step towards
			// recording it as failed. It is tried again at the next poll,
			// for as long as the store needs to recover.
			e.log.ErrorContext(ctx, "executing transaction: the store failed; will retry", "tx", id, "error", err)
			return
		}
		if err != nil {
			e.mu.Lock()
			e.failures[id]++
			n := e.failures[id]
			e.mu.Unlock()
			e.log.ErrorContext(ctx, "executing transaction", "tx", id, "attempt", n, "error", err)
			if n < maxItemFailures {
				return // retried at the next poll
			}
			// A command that keeps failing inside (a poison request) is
			// recorded as an internal failure rather than retried forever.
			done, err = e.executeItems(ctx, id, err)
			if err != nil {
				e.log.ErrorContext(ctx, "recording a failed item", "tx", id, "error", err)
				return
			}
		}
		e.mu.Lock()
		delete(e.failures, id)
		e.mu.Unlock()
		if done {
			return
		}
	}
}

// maxItemFailures is how many times an item that fails inside is tried.
const maxItemFailures = 5

// itemsPerStep bounds how many items of one transaction share a store
// transaction. Sharing is safe because every rule checks before its first
// write (a refused item writes nothing) and an internal failure rolls the
// whole step back; it turns a bulk request of N items into N/itemsPerStep
// commits instead of N.
const itemsPerStep = 32

// itemFailure is a failure of an item itself, not of the store: its
// command or renderer panicked, a rule failed inside (an internal error),
// or the renderer refused. Only these count towards recording the item as
// failed (maxItemFailures); any other error of a step is the store's (a
// failed commit or read, a lost connection: a full disk or a database
// failing over must delay executions, not fail them).
type itemFailure struct{ err error }

func (f *itemFailure) Error() string { return f.err.Error() }
func (f *itemFailure) Unwrap() error { return f.err }

// executeItems applies the next items of a transaction with their results
// and notifications, or, when failed is set, records the next item as
// failed with that internal error without applying it. An error of the
// item itself is an *itemFailure.
func (e *Engine) executeItems(ctx context.Context, id string, failed error) (done bool, err error) {
	var t Transaction
	var made []Delivery
	finished := false // by this call, not found finished
	err = e.svc.store.Update(ctx, func(tx Tx) (err error) {
		defer func() {
			if p := recover(); p != nil { // a bug in a command or a renderer
				err = &itemFailure{fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
			}
		}()
		return func() error {
			done, finished, made = false, false, nil // a store may run fn again
			var ok bool
			var err error
			t, ok, err = tx.Transaction(id)
			if err != nil || !ok || t.Status.Finished() {
				done = true
				return err
			}
			n := t.Job.Items()
			now := e.svc.clock.Now().UTC()
			r := e.renderers[t.Channel]
			first := len(t.Results)
			for item := first; item < n && item < first+itemsPerStep; item++ {
				var res ItemResult
				if failed != nil {
					res = ItemResult{Error: Info(Internal(failed))}
				} else if res, err = runItem(tx, t.Job, item, now, e.svc.cfg.GracePeriod); err != nil {
					var ce *Error
					if errors.As(err, &ce) && ce.Kind == KindInternal {
						return &itemFailure{err} // a rule's own failure; a store's error is returned as is
					}
					return err
				}
				t.Results = append(t.Results, res)
				if r != nil {
					notes, err := renderSafely(r, tx, t, item, now)
					if err != nil && failed == nil {
						return &itemFailure{err}
					}
					ds, err := putNotifications(tx, t, strconv.Itoa(item), notes, now)
					if err != nil {
						return err
					}
					made = append(made, ds...)
				}
				if failed != nil {
					break // only the item that kept failing
				}
			}
			t.UpdatedAt = now
			if len(t.Results) == n {
				t.Status = outcome(t.Results)
				finished = true
				t.History = append(t.History, TxEvent{At: now, Status: t.Status})
				done = true
			}
			return tx.PutTransaction(t)
		}()
	})
	if err != nil {
		return false, err
	}
	if finished {
		e.cfg.Observer.Executed(t.Channel, t.Status)
	}
	if done && t.ID != "" {
		// Typed attributes: named string types would go through fmt.
		LogAttrs(ctx, e.log, slog.LevelInfo, "transaction executed", slog.String("tx", t.ID),
			slog.String("partner", string(t.Partner)), slog.String("channel", string(t.Channel)),
			slog.String("operation", t.Operation), slog.String("partner_tx_id", t.PartnerTxID),
			slog.String("correlation_id", t.CorrelationID), slog.String("status", string(t.Status)))
	}
	e.handoff(made)
	return done, nil
}

// renderSafely is render with a panic turned into its error: recording an
// item as failed must not depend on the renderer that fails it.
func renderSafely(r Renderer, tx Tx, t Transaction, item int, now time.Time) (notes []Notification, err error) {
	defer func() {
		if p := recover(); p != nil {
			notes, err = nil, fmt.Errorf("renderer panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return render(r, tx, t, item, now)
}

// runItem applies one command. A refused command is a result, not an error:
// its rules wrote nothing, and the other items go on. An internal failure
// (the store) is an error: nothing of the step is kept and it is retried.
func runItem(tx Tx, job Job, item int, now time.Time, grace time.Duration) (ItemResult, error) {
	var sub Subscription
	var err error
	nA, nC := len(job.Activations), len(job.Changes)
	switch {
	case item < nA:
		sub, err = activate(tx, job.Activations[item], now)
	case item < nA+nC:
		sub, err = changeStatus(tx, job.Changes[item-nA], now, grace)
	case item < nA+nC+len(job.Moves):
		sub, err = moveSubscriber(tx, job.Moves[item-nA-nC], now)
	default:
		err = Errorf(KindInternal, ReasonInternal, "", "item %d has no command this build can run", item)
	}
	if err != nil {
		var ce *Error
		if !errors.As(err, &ce) || ce.Kind == KindInternal || ce.Kind == KindUnavailable {
			// Not the command's answer: nothing of the step is kept.
			return ItemResult{}, fmt.Errorf("item %d: %w", item, err)
		}
		return ItemResult{Error: Info(err)}, nil
	}
	return ItemResult{OK: true, Subscription: &sub}, nil
}

func outcome(rs []ItemResult) TxStatus {
	ok := 0
	for _, r := range rs {
		if r.OK {
			ok++
		}
	}
	switch ok {
	case len(rs):
		return TxSucceeded
	case 0:
		return TxFailed
	default:
		return TxPartial
	}
}

// maxFresh bounds the deliveries waiting in memory for a partner slot;
// more are left to the store scan.
const maxFresh = 1024

// handoff gives sendDue the deliveries a commit of this engine has just
// made durable, and wakes it. On a shared store they go through the scan,
// which claims them before they are sent.
func (e *Engine) handoff(ds []Delivery) {
	if len(ds) == 0 {
		return
	}
	e.mu.Lock()
	for _, d := range ds {
		if e.cfg.Shared || len(e.fresh) >= maxFresh || e.queued[d.ID] {
			e.rescan = true
			continue
		}
		e.fresh = append(e.fresh, d)
		e.queued[d.ID] = true
	}
	e.mu.Unlock()
	wake(e.wakeSend)
}

// sendDue hands due deliveries to senders, at most PerPartner at once for
// each partner, so one slow or dead partner never delays another: when
// something due may be in the store only, those a scan of the due index
// finds, then the ones this engine has just written (fresh).
func (e *Engine) sendDue(ctx context.Context, wg *sync.WaitGroup, polled bool) {
	// Scans run one at a time, and only here, so no scan begun before
	// these records is still running: the snapshot the next one reads has
	// them.
	e.mu.Lock()
	for _, id := range e.recorded {
		delete(e.sending, id)
	}
	e.recorded = e.recorded[:0]
	scan := e.cfg.Shared || e.rescan || polled
	if scan {
		e.rescan = false
	}
	e.mu.Unlock()
	// The scan goes first: what it finds (retries come due, replays, a
	// backlog left out of fresh or by a stopped process) is older than
	// what waits in fresh, and would otherwise wait for as long as a
	// partner's new deliveries keep its slots busy.
	if scan {
		e.scanDue(ctx, wg)
	}
	for _, d := range e.takeFresh(ctx) {
		e.send(ctx, wg, d, true)
	}
}

// takeFresh answers the fresh deliveries that have a partner slot, marked
// sending, their slots taken.
func (e *Engine) takeFresh(ctx context.Context) []Delivery {
	if ctx.Err() != nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var start []Delivery
	keep := e.fresh[:0]
	for _, d := range e.fresh {
		switch {
		case e.sending[d.ID]:
			// A scan found it between its commit and its handoff, and that
			// attempt owns it (a finished one is caught by deliver's check).
			delete(e.queued, d.ID)
		case e.perPart[d.Partner] >= e.cfg.PerPartner:
			keep = append(keep, d)
		default:
			e.sending[d.ID] = true
			e.perPart[d.Partner]++
			delete(e.queued, d.ID)
			start = append(start, d)
		}
	}
	clear(e.fresh[len(keep):])
	e.fresh = keep
	return start
}

// scanDue reads the due deliveries from the store and starts those with a
// partner slot.
func (e *Engine) scanDue(ctx context.Context, wg *sync.WaitGroup) {
	// Read after rescan was taken over, not before: what asked for this
	// scan (a replay, a commit left out of fresh) is due by a time read
	// before it asked, so before now.
	now := e.svc.clock.Now().UTC()
	due, err := e.dueDeliveries(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			e.log.ErrorContext(ctx, "listing due deliveries", "error", err)
		}
		// Scan again at the next wake-up or poll, not at once: waking
		// sendDue here would spin on a store that keeps failing.
		e.mu.Lock()
		e.rescan = true
		e.mu.Unlock()
		return
	}
	if len(due) >= dueBatch {
		e.requestScan() // a page of the due work: the rest follows
	}
	// What is not started here was claimed all the same (on a shared
	// store): give it back rather than leave it to the lease.
	var unsent []Delivery
	defer func() { e.unclaim(unsent...) }()
	for _, d := range due {
		if ctx.Err() != nil {
			unsent = append(unsent, d)
			continue
		}
		e.mu.Lock()
		busy := e.sending[d.ID] || e.perPart[d.Partner] >= e.cfg.PerPartner
		if !busy {
			e.sending[d.ID] = true
			e.perPart[d.Partner]++
		}
		e.mu.Unlock()
		if busy {
			unsent = append(unsent, d)
			continue
		}
		e.send(ctx, wg, d, false)
	}
}

// requestScan makes the next sendDue scan the store, and wakes it.
func (e *Engine) requestScan() {
	e.mu.Lock()
	e.rescan = true
	e.mu.Unlock()
	wake(e.wakeSend)
}

// send attempts d in its own goroutine; the caller has marked it sending
// and taken its partner slot. fresh says d was handed off rather than
// read by a scan.
func (e *Engine) send(ctx context.Context, wg *sync.WaitGroup, d Delivery, fresh bool) {
	wg.Add(1)
	e.goroutines.Go(func() {
		defer wg.Done()
		released := false
		release := func() {
			if released {
				return
			}
			released = true
			e.mu.Lock()
			e.perPart[d.Partner]--
			e.mu.Unlock()
			wake(e.wakeSend)
		}
		again := e.deliver(ctx, d, release, fresh)
		release()
		e.mu.Lock()
		e.recorded = append(e.recorded, d.ID) // the next scan may look at it again
		if again {
			// With its mark: a sendDue that takes the request over drops
			// the mark first.
			e.rescan = true
		}
		e.mu.Unlock()
		wake(e.wakeSend)
	})
}

// deliver makes one attempt and records it. A crash between the POST and
// the record means the same delivery, same webhook-id, is sent again.
// release gives the partner's slot back as soon as the partner has
// answered: the limit bounds the requests a partner sees at once, and
// waiting for the record's commit would only idle the slot for an fsync.
// The delivery itself stays marked as sending until it is recorded and a
// scan has begun after the record (see recorded), so it is never sent
// twice meanwhile.
//
// A fresh delivery (handed off by the commit that made it) is sent only if
// the store still has it unattempted: a scan may have found it as soon as
// that commit was durable, before the handoff, and sent and recorded it
// already, its sending mark gone by the time the handoff came.
//
// It answers again=true when d is left due in the store without a record
// of this attempt (a store error): only a scan will find it now, a fresh
// one included.
func (e *Engine) deliver(ctx context.Context, d Delivery, release func(), fresh bool) (again bool) {
	var secret string
	sent := false
	err := e.svc.store.View(ctx, func(tx Tx) error {
		if fresh {
			cur, ok, err := tx.Delivery(d.ID)
			if err != nil {
				return err
			}
			if sent = !ok || cur.Status != DeliveryPending || len(cur.Attempts) > 0; sent {
				return nil
			}
		}
		p, _, err := tx.Partner(d.Partner)
		secret = p.WebhookSecret
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			e.log.ErrorContext(ctx, "reading a delivery and its signing secret", "delivery", d.ID, "error", err)
		}
		e.unclaim(d) // not attempted
		return ctx.Err() == nil
	}
	if sent {
		return // attempted through a scan
	}
	actx, cancel := context.WithTimeout(ctx, e.cfg.DeliveryDeadline)
	start := time.Now()
	res := e.sender.Send(actx, d, secret)
	cancel()
	release()
	if ctx.Err() != nil && !res.Delivered {
		e.unclaim(d)
		return // shutting down: the attempt is repeated after the restart
	}
	took := time.Since(start)
	now := e.svc.clock.Now().UTC()
	var final Delivery
	err = e.svc.store.Update(context.WithoutCancel(ctx), func(tx Tx) error {
		final = Delivery{} // a store may run fn again
		cur, ok, err := tx.Delivery(d.ID)
		if err != nil || !ok || cur.Status != DeliveryPending {
			return err // replayed or changed meanwhile
		}
		a := Attempt{At: now, StatusCode: res.StatusCode, Duration: float64(took.Microseconds()) / 1000}
		if res.Err != nil {
			a.Error = truncateString(res.Err.Error(), 300)
		}
		cur.Attempts = append(cur.Attempts, a)
		// On a shared store, a NextAt other than the claim's means that the
		// claim ended before this record and another engine has claimed
		// the delivery since (or an operator replayed it): it may be
		// sending it now. Its claim stands; only an outcome that ends the
		// delivery for good is recorded over it.
		lost := e.cfg.Shared && !cur.NextAt.Equal(d.NextAt)
		if !lost {
			cur.ClaimedUntil = time.Time{} // this engine's claim ends with its record
		}
		switch {
		case res.Delivered:
			cur.Status = DeliveryDelivered
		case res.Permanent:
			cur.Status = DeliveryDead
		case lost:
		default:
			wait, ok := e.cfg.Retry(len(cur.Attempts), res.RetryAfter)
			if !ok {
				cur.Status = DeliveryDead
			} else {
				cur.NextAt = now.Add(wait)
			}
		}
		final = cur
		return tx.PutDelivery(cur)
	})
	if err != nil {
		e.log.ErrorContext(ctx, "recording a delivery attempt", "delivery", d.ID, "error", err)
		return true
	}
	if final.ID == "" {
		return
	}
	e.cfg.Observer.Attempted(d.Partner, res.StatusCode, final.Status)
	lvl := slog.LevelInfo
	if final.Status == DeliveryDead {
		lvl = slog.LevelWarn
	}
	LogAttrs(ctx, e.log, lvl, "delivery attempt", slog.String("delivery", d.ID), slog.String("tx", d.TxID),
		slog.String("partner", string(d.Partner)), slog.Int("status_code", res.StatusCode),
		slog.String("outcome", string(final.Status)), slog.Int("attempt", len(final.Attempts)),
		slog.String("next_at", final.NextAt.Format(time.RFC3339)), slog.String("error", errString(res.Err)))
	return false
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Replay puts a delivery back in the queue, due now, keeping its history
// and its webhook-id.
func (e *Engine) Replay(ctx context.Context, id string) (Delivery, error) {
	d, err := ReplayDelivery(ctx, e.svc.store, e.svc.clock.Now().UTC(), id)
	if err == nil {
		e.requestScan()
	}
	return d, err
}

// ReplayDelivery is Replay without a running engine (an offline database).
func ReplayDelivery(ctx context.Context, st Store, now time.Time, id string) (Delivery, error) {
	var d Delivery
	err := st.Update(ctx, func(tx Tx) error {
		var ok bool
		var err error
		d, ok, err = tx.Delivery(id)
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(KindNotFound, ReasonDeliveryNotFound, "delivery", "delivery %s not found", id)
		}
		// An instance sharing the store is sending it: queueing it now
		// would let a second instance send it at the same time.
		if d.Status == DeliveryPending && d.ClaimedUntil.After(now) {
			return Errorf(KindConflict, ReasonDeliveryClaimed, "delivery",
				"delivery %s is being sent by an instance (claimed until %s); replay it after that if it is still pending",
				id, d.ClaimedUntil.Format(time.RFC3339))
		}
		d.Status, d.NextAt, d.ClaimedUntil = DeliveryPending, now, time.Time{}
		return tx.PutDelivery(d)
	})
	if err != nil {
		return Delivery{}, AsError(err)
	}
	return d, nil
}
