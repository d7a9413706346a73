package storetest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate"
	"simgate/core"
	"simgate/core/coretest"
	"simgate/store"
)

// sandbox loads testdata/sandbox.jsonl into st and answers a service over
// it with a fixed clock and deterministic ids.
func sandbox(t *testing.T, st core.Store) *core.Service {
	t.Helper()
	stats, err := store.Import(ctx, st, Passwords, bytes.NewReader(simgate.Sandbox))
	require.NoError(t, err)
	require.NotZero(t, stats.Records["sim"])
	svc, err := core.NewService(st, coretest.Clock{T: t0}, &coretest.IDs{}, Passwords, core.Config{})
	require.NoError(t, err)
	return svc
}

// contractSandboxActivate: the sandbox imports, its credentials work, and
// an Emersion activation gives the same subscription, SIM and SQ state.
func contractSandboxActivate(t *testing.T, st core.Store) {
	svc := sandbox(t, st)

	// Credentials: a password login, the sandbox's login tokens, an API key.
	tok, _, err := svc.Login(ctx, "demo-rsp", "demo-rsp-pass")
	require.NoError(t, err)
	p, err := svc.Authenticate(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, core.PartnerID("demo-rsp"), p)
	p, err = svc.Authenticate(ctx, "e4d723bfafeaeecc4cc91da481ad2dca896134df44a73ed225a23a5401aeefe1")
	require.NoError(t, err)
	assert.Equal(t, core.PartnerID("demo-rsp"), p)
	_, err = svc.Authenticate(ctx, "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592")
	assert.Error(t, err, "an expired token")
	wholesale, err := svc.PartnerByAPIKey(ctx, "demo-wholesale-key")
	require.NoError(t, err)
	assert.Equal(t, core.PartnerID("demo-wholesale"), wholesale.ID)
	assert.Equal(t, core.AccountID("920000108464"), wholesale.RootAccount)

	cmd := core.Activate{Ref: core.TxRef{Partner: "demo-rsp", Channel: core.ChannelSOAP},
		SQ: &core.SQRef{ID: 581407}, SIM: core.SIMRef{SimNumber: "498172577"}}
	sub, err := svc.Activate(ctx, cmd)
	require.NoError(t, err)
	want := core.Subscription{ID: "581407", Partner: "demo-rsp", Channel: core.ChannelSOAP, Status: core.SubActive,
		SIM: "sim:498172577", SimNumber: "498172577", Product: 42123212, ServiceType: 5702, ServiceIdentifier: "581407",
		SQ: 581407, CreatedAt: t0, UpdatedAt: t0}
	assert.Equal(t, want, sub)
	got, st2, err := svc.ServiceDetail(ctx, "demo-rsp", "581407")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, "TelstraMarketExtender", st2.Name)
	sim, _ := lookup(t, st, func(tx core.Tx) (core.SIM, bool, error) { return tx.SIMBySimNumber("498172577") })
	assert.Equal(t, core.SIM{ID: "sim:498172577", SimNumber: "498172577", Product: 42123212, Owner: "demo-rsp",
		Status: core.SIMActive, Subscription: "581407"}, sim)
	q, _ := lookup(t, st, func(tx core.Tx) (core.SQ, bool, error) { return tx.SQ(581407) })
	assert.Equal(t, core.SQActive, q.Status)
	assert.Equal(t, "581407", q.Service)

	// The same SIM again, and the same SQ again, are refused for the same reasons.
	_, err = svc.Activate(ctx, core.Activate{Ref: cmd.Ref, SQ: &core.SQRef{ID: 581408}, SIM: core.SIMRef{SimNumber: "498172577"}})
	assert.Equal(t, core.ReasonSIMNotHeld, core.ReasonOf(err))
	_, err = svc.Activate(ctx, core.Activate{Ref: cmd.Ref, SQ: &core.SQRef{ServiceIdentifier: "581407", ServiceType: 5702}, SIM: core.SIMRef{SimNumber: "498172580"}})
	assert.Equal(t, core.ReasonServiceIdentAllocated, core.ReasonOf(err))
	// A refused activation wrote nothing.
	q, _ = lookup(t, st, func(tx core.Tx) (core.SQ, bool, error) { return tx.SQ(581408) })
	assert.Equal(t, core.SQWaitingOnEndUser, q.Status)
}

// recordingSender accepts every delivery and remembers the secrets it was given.
type recordingSender struct {
	mu      sync.Mutex
	secrets map[string]string
}

func (s *recordingSender) Send(_ context.Context, d core.Delivery, secret string) core.SendResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[d.ID] = secret
	return core.SendResult{StatusCode: 200, Delivered: true}
}

type oneNote struct{}

func (oneNote) Render(t core.Transaction, item int, _ time.Time) ([]core.Notification, error) {
	return []core.Notification{{Event: "done", URL: t.CallbackURL, ContentType: "application/json",
		Body: []byte(t.ID), Accept: core.Accept2xx}}, nil
}

// contractSandboxEngine: an MVNX activation submitted to the engine is
// stored, replayed, executed and notified the same way on every store;
// a cease then ages the number.
func contractSandboxEngine(t *testing.T, st core.Store) {
	svc := sandbox(t, st)
	sender := &recordingSender{secrets: map[string]string{}}
	eng := core.NewEngine(svc, sender, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{PollInterval: 5 * time.Millisecond})
	eng.Register(core.ChannelMVNX, oneNote{})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(runCtx) }()
	defer func() { stop(); <-done }()

	ref := core.TxRef{Partner: "demo-reseller", Channel: core.ChannelMVNX, PartnerTxID: "msg-1", CorrelationID: "corr-1"}
	submit := func(ref core.TxRef, hash string, job core.Job) (core.Transaction, bool, error) {
		return eng.Submit(ctx, core.Submission{Ref: ref, Operation: "ActivateSubscriber", BodyHash: hash,
			CallbackURL: "https://reseller.example/cb", Job: job, AssignBAN: true,
			Ack: func(t core.Transaction) (int, []byte, error) { return 200, []byte("ack " + t.ID), nil }})
	}
	activation := core.Job{Activations: []core.Activate{{Ref: ref, SIM: core.SIMRef{ICCID: "89014104178003620000"},
		Device: core.Device{IMEI: "356938035643809"}, Number: core.NumberChoice{Mode: core.NumberFromPool, Pool: "GAC"}, Plan: "P8DN"}}}
	x, replayed, err := submit(ref, "h-1", activation)
	require.NoError(t, err)
	require.False(t, replayed)
	// Sequence values may have gaps (a Submit that ran again drew twice):
	// the BAN and the subscription id are the form of some value.
	assert.NotZero(t, x.Seq)
	ban := x.Job.Activations[0].BAN
	assert.Regexp(t, `^9[0-9]{11}$`, ban)
	assert.NotEqual(t, "900000000000", ban)

	again, replayed, err := submit(ref, "h-1", activation)
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.Equal(t, x.ID, again.ID)
	assert.Equal(t, []byte("ack "+x.ID), again.Ack)
	_, _, err = submit(ref, "h-2", activation)
	assert.Equal(t, core.ReasonDuplicateTxID, core.ReasonOf(err))

	final := waitFinished(t, st, x.ID)
	assert.Equal(t, core.TxSucceeded, final.Status)
	require.Len(t, final.Results, 1)
	require.NotNil(t, final.Results[0].Subscription)
	subID := final.Results[0].Subscription.ID
	assert.Regexp(t, `^sub-[1-9][0-9]*$`, subID)
	want := core.Subscription{ID: subID, Partner: "demo-reseller", Channel: core.ChannelMVNX, Status: core.SubActive,
		SIM: "89014104178003620000", ICCID: "89014104178003620000", MSISDN: "8035612200", IMEI: "356938035643809",
		Plan: "P8DN", BAN: ban, CreatedAt: t0, UpdatedAt: t0}
	assert.Equal(t, &want, final.Results[0].Subscription)
	assert.Equal(t, []core.TxEvent{{At: t0, Status: core.TxReceived}, {At: t0, Status: core.TxSucceeded}}, final.History)
	sub, _ := lookup(t, st, func(tx core.Tx) (core.Subscription, bool, error) {
		return tx.SubscriptionBy(core.ByMSISDN, "8035612200")
	})
	assert.Equal(t, want, sub)
	num, _ := lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.Number("8035612200") })
	assert.Equal(t, core.Number{MSISDN: "8035612200", Owner: "demo-reseller", Pool: "GAC", Status: core.NumberIsAssigned, Subscription: subID}, num)
	sim, _ := lookup(t, st, func(tx core.Tx) (core.SIM, bool, error) { return tx.SIMByICCID("89014104178003620000") })
	assert.Equal(t, core.SIMActive, sim.Status)
	assert.Equal(t, subID, sim.Subscription)

	// Its one notification is delivered, signed with the partner's secret.
	d := waitDelivered(t, st, x.ID)
	assert.Equal(t, "msg_"+x.ID+"_0_0", d.ID)
	assert.Equal(t, []byte(x.ID), d.Body)
	sender.mu.Lock()
	assert.Equal(t, "whsec_c2ltZ2F0ZS1kZW1vLXJlc2VsbGVyLXdlYmhvb2s=", sender.secrets[d.ID])
	sender.mu.Unlock()

	// A cease ages the number; the pool answers the next one.
	cease := core.Job{Changes: []core.ChangeStatus{{Ref: core.TxRef{Partner: "demo-reseller", Channel: core.ChannelMVNX, PartnerTxID: "msg-2"},
		Subscription: core.SubscriberRef{Kind: core.ByICCID, Value: "89014104178003620000"}, Action: core.ActionCease}}}
	y, _, err := submit(core.TxRef{Partner: "demo-reseller", Channel: core.ChannelMVNX, PartnerTxID: "msg-2"}, "h-3", cease)
	require.NoError(t, err)
	assert.Greater(t, y.Seq, x.Seq, "submitted later, a larger value")
	assert.Equal(t, core.TxSucceeded, waitFinished(t, st, y.ID).Status)
	num, _ = lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.Number("8035612200") })
	assert.Equal(t, core.NumberIsAging, num.Status)
	assert.Equal(t, t0.Add(30*24*time.Hour), num.AgingUntil)
	sub, _ = lookup(t, st, func(tx core.Tx) (core.Subscription, bool, error) {
		return tx.SubscriptionBy(core.ByMSISDN, "8035612200")
	})
	assert.Equal(t, core.SubCeased, sub.Status)
	assert.Equal(t, t0, sub.CeasedAt)
	next, _ := lookup(t, st, func(tx core.Tx) (core.Number, bool, error) { return tx.FirstAvailableNumber("demo-reseller", "GAC") })
	assert.Equal(t, "8035612201", next.MSISDN)
	var listed []string
	view(t, st, func(tx core.Tx) error {
		return tx.TransactionsOf("demo-reseller", core.ChannelMVNX, func(x core.Transaction) (bool, error) {
			listed = append(listed, x.ID)
			return true, nil
		})
	})
	assert.Equal(t, []string{x.ID, y.ID}, listed)
}

// waitFinished waits for the engine to execute a transaction. The wait is
// for liveness only: no assertion depends on how long it takes. The
// condition runs on its own goroutine, so it must not call require.
func waitFinished(t *testing.T, st core.Store, id string) core.Transaction {
	t.Helper()
	var x core.Transaction
	require.Eventually(t, func() bool {
		err := st.View(ctx, func(tx core.Tx) (err error) { x, _, err = tx.Transaction(id); return err })
		return err == nil && x.Status.Finished()
	}, time.Minute, 2*time.Millisecond, "transaction %s was not executed", id)
	return x
}

func waitDelivered(t *testing.T, st core.Store, txID string) core.Delivery {
	t.Helper()
	var ds []core.Delivery
	require.Eventually(t, func() bool {
		err := st.View(ctx, func(tx core.Tx) (err error) { ds, err = tx.DeliveriesOf(txID); return err })
		return err == nil && len(ds) == 1 && ds[0].Status == core.DeliveryDelivered
	}, time.Minute, 2*time.Millisecond, "the notification of %s was not delivered", txID)
	return ds[0]
}
