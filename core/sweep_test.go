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

// With a retention of a day, a session is deleted a day after it expires;
// until then its token reads as expired, afterwards as unknown.
func TestEngineSweepsExpiredSessions(t *testing.T) {
	db := storetest.Sandbox(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := coretest.NewMutableClock(t0)
	svc, err := core.NewService(db, clock, &coretest.IDs{}, storetest.Passwords, core.Config{TokenTTL: time.Hour})
	require.NoError(t, err)
	ctx := context.Background()
	first, _, err := svc.Login(ctx, "demo-rsp", "demo-rsp-pass")
	require.NoError(t, err)
	clock.Advance(2 * time.Hour)
	second, _, err := svc.Login(ctx, "demo-rsp", "demo-rsp-pass")
	require.NoError(t, err)

	// first expired at t0+1h, second at t0+3h; at t0+25h+1s only first is
	// past the day of retention.
	clock.Advance(time.Hour + 24*time.Hour + time.Second - 2*time.Hour)
	eng := core.NewEngine(svc, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), core.EngineConfig{PollInterval: 5 * time.Millisecond, SessionRetention: 24 * time.Hour})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); eng.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })

	require.Eventually(t, func() bool {
		_, err := svc.Authenticate(ctx, first)
		return core.ReasonOf(err) == core.ReasonTokenInvalid
	}, 5*time.Second, 5*time.Millisecond, "the first session is deleted")
	_, err = svc.Authenticate(ctx, second)
	assert.Equal(t, core.ReasonTokenExpired, core.ReasonOf(err), "the second is kept and reads as expired")
	require.NoError(t, db.View(ctx, func(tx core.Tx) error {
		left, err := tx.ExpiredSessions(clock.Now(), 0)
		require.Len(t, left, 1)
		assert.Equal(t, core.HashSecret(second), left[0].TokenHash)
		return err
	}))
}
