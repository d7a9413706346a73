package core_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/store/storetest"
)

// lifecycle runs commands through the engine on the sandbox, with a clock
// the test moves.
type lifecycle struct {
	t     *testing.T
	svc   *core.Service
	eng   *core.Engine
	clock *coretest.MutableClock
	n     int
}

func newLifecycle(t *testing.T) *lifecycle {
	db := storetest.Sandbox(t)
	clock := coretest.NewMutableClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	svc, err := core.NewService(db, clock, &coretest.IDs{}, storetest.Passwords, core.Config{GracePeriod: 30 * 24 * time.Hour})
	require.NoError(t, err)
	eng := core.NewEngine(svc, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{PollInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &lifecycle{t: t, svc: svc, eng: eng, clock: clock}
}

// run submits a job and waits for its outcome.
func (l *lifecycle) run(job core.Job) core.ItemResult {
	l.t.Helper()
	l.n++
	tr, _, err := l.eng.Submit(context.Background(), core.Submission{
		Ref: core.TxRef{Partner: "demo-wholesale", Channel: core.ChannelSPS, PartnerTxID: "T" + time.Duration(l.n).String()}, Operation: "op",
		Job: job, Ack: func(core.Transaction) (int, []byte, error) { return 200, nil, nil },
	})
	require.NoError(l.t, err)
	var got core.Transaction
	require.Eventually(l.t, func() bool {
		got, err = l.svc.Transaction(context.Background(), "demo-wholesale", tr.ID)
		return err == nil && got.Status.Finished()
	}, 5*time.Second, 2*time.Millisecond)
	return got.Results[0]
}

func (l *lifecycle) change(action core.Action) core.ItemResult {
	return l.run(core.Job{Changes: []core.ChangeStatus{{
		Ref: core.TxRef{Partner: "demo-wholesale"}, Subscription: core.SubscriberRef{Kind: core.ByICCID, Value: "11986621644523024510"}, Action: action,
	}}})
}

func reason(r core.ItemResult) core.Reason {
	if r.Error == nil {
		return ""
	}
	return r.Error.Reason
}

func TestReactivateWithinGraceOnly(t *testing.T) {
	l := newLifecycle(t)
	res := l.run(core.Job{Activations: []core.Activate{{
		Ref: core.TxRef{Partner: "demo-wholesale"}, SIM: core.SIMRef{ICCID: "11986621644523024510"},
		Number: core.NumberChoice{Mode: core.NumberProvided, MSISDN: "19459986860"}, Plan: "Plan001",
	}}})
	require.True(t, res.OK, "%+v", res.Error)

	assert.True(t, l.change(core.ActionCease).OK)
	l.clock.Advance(29 * 24 * time.Hour)
	assert.True(t, l.change(core.ActionReactivate).OK, "within the grace period")

	assert.True(t, l.change(core.ActionCease).OK)
	l.clock.Advance(24 * time.Hour)
	// While it ages, the number cannot be taken by another activation, nor the SIM.
	other := func(iccid, msisdn string) core.ItemResult {
		return l.run(core.Job{Activations: []core.Activate{{
			Ref: core.TxRef{Partner: "demo-wholesale"}, SIM: core.SIMRef{ICCID: iccid},
			Number: core.NumberChoice{Mode: core.NumberProvided, MSISDN: msisdn}, Plan: "Plan001",
		}}})
	}
	assert.Equal(t, core.ReasonNumberNotAvailable, reason(other("11986621644523024511", "19459986860")))
	assert.Equal(t, core.ReasonSIMNotAvailable, reason(other("11986621644523024510", "19459986861")))

	l.clock.Advance(29*24*time.Hour + time.Second)
	assert.Equal(t, core.ReasonGraceExpired, reason(l.change(core.ActionReactivate)))
	// Once the grace period is over the number goes back to the pool.
	require.Eventually(t, func() bool {
		var n core.Number
		_ = l.svc.Store().View(context.Background(), func(tx core.Tx) error {
			n, _, _ = tx.Number("19459986860")
			return nil
		})
		return n.Status == core.NumberIsAvailable
	}, 5*time.Second, 5*time.Millisecond)
	assert.True(t, other("11986621644523024512", "19459986860").OK)
}

// A number given to another subscription after the cease blocks the
// reactivation even within the grace period.
func TestReactivateRefusedWhenNumberReused(t *testing.T) {
	l := newLifecycle(t)
	require.True(t, l.run(core.Job{Activations: []core.Activate{{
		Ref: core.TxRef{Partner: "demo-wholesale"}, SIM: core.SIMRef{ICCID: "11986621644523024510"},
		Number: core.NumberChoice{Mode: core.NumberProvided, MSISDN: "19459986860"}, Plan: "Plan001",
	}}}).OK)
	require.True(t, l.change(core.ActionCease).OK)
	require.NoError(t, l.svc.Store().Update(context.Background(), func(tx core.Tx) error {
		n, _, err := tx.Number("19459986860")
		if err != nil {
			return err
		}
		n.Status, n.Subscription = core.NumberIsAssigned, "sub-other"
		return tx.PutNumber(n)
	}))
	assert.Equal(t, core.ReasonNumberReused, reason(l.change(core.ActionReactivate)))
}
