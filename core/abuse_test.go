package core_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/store/storetest"
)

// countingPasswords counts bcrypt verifications, to show that a throttled
// check does none.
type countingPasswords struct {
	core.Passwords
	verifies atomic.Int64
}

func (c *countingPasswords) Verify(hash, plain string) bool {
	c.verifies.Add(1)
	return c.Passwords.Verify(hash, plain)
}

type abuseEnv struct {
	svc   *core.Service
	clock *coretest.MutableClock
	pw    *countingPasswords
	store core.Store
}

func newAbuseEnv(t *testing.T, cfg core.Config) *abuseEnv {
	t.Helper()
	db := storetest.Sandbox(t)
	clock := coretest.NewMutableClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pw := &countingPasswords{Passwords: storetest.Passwords}
	svc, err := core.NewService(db, clock, &coretest.IDs{}, pw, cfg)
	require.NoError(t, err)
	return &abuseEnv{svc: svc, clock: clock, pw: pw, store: db}
}

func from(ip string) context.Context { return core.WithClientIP(context.Background(), ip) }

func requireRateLimited(t *testing.T, err error, wait time.Duration) {
	t.Helper()
	require.Error(t, err)
	e := core.AsError(err)
	require.Equal(t, core.ReasonRateLimited, e.Reason, err.Error())
	assert.Equal(t, core.KindRateLimited, e.Kind)
	assert.Equal(t, wait, e.RetryAfter)
}

func TestAllowTokenBucket(t *testing.T) {
	e := newAbuseEnv(t, core.Config{RateLimit: core.RateLimit{RPS: 2, Burst: 3}})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		wait, err := e.svc.Allow(ctx, "demo-rsp")
		require.NoError(t, err, "request %d of the burst", i)
		require.Zero(t, wait)
	}
	wait, err := e.svc.Allow(ctx, "demo-rsp")
	requireRateLimited(t, err, 500*time.Millisecond)
	assert.Equal(t, 500*time.Millisecond, wait)
	secs, ok := core.RetryAfterSeconds(err)
	assert.True(t, ok)
	assert.Equal(t, 1, secs, "Retry-After is whole seconds, at least 1")

	// Another partner has a bucket of its own.
	_, err = e.svc.Allow(ctx, "other-rsp")
	require.NoError(t, err)

	// Half a second earns one token: one request goes, the next waits.
	e.clock.Advance(500 * time.Millisecond)
	_, err = e.svc.Allow(ctx, "demo-rsp")
	require.NoError(t, err)
	_, err = e.svc.Allow(ctx, "demo-rsp")
	requireRateLimited(t, err, 500*time.Millisecond)

	// Idle for long, the bucket holds no more than its burst.
	e.clock.Advance(time.Hour)
	for i := 0; i < 3; i++ {
		_, err = e.svc.Allow(ctx, "demo-rsp")
		require.NoError(t, err)
	}
	_, err = e.svc.Allow(ctx, "demo-rsp")
	requireRateLimited(t, err, 500*time.Millisecond)
}

func TestAllowPartnerOverride(t *testing.T) {
	e := newAbuseEnv(t, core.Config{RateLimit: core.RateLimit{RPS: 1, Burst: 1}})
	ctx := context.Background()
	setLimit := func(id core.PartnerID, rl *core.RateLimit) {
		require.NoError(t, e.store.Update(ctx, func(tx core.Tx) error {
			p, ok, err := tx.Partner(id)
			require.True(t, ok)
			if err != nil {
				return err
			}
			p.RateLimit = rl
			return tx.PutPartner(p)
		}))
	}
	setLimit("demo-rsp", &core.RateLimit{RPS: 0.5, Burst: 10})
	setLimit("other-rsp", &core.RateLimit{RPS: 0}) // no limit

	for i := 0; i < 10; i++ {
		_, err := e.svc.Allow(ctx, "demo-rsp")
		require.NoError(t, err)
	}
	_, err := e.svc.Allow(ctx, "demo-rsp")
	requireRateLimited(t, err, 2*time.Second)

	for i := 0; i < 1000; i++ {
		_, err := e.svc.Allow(ctx, "other-rsp")
		require.NoError(t, err)
	}

	// The default applies to partners without an override.
	_, err = e.svc.Allow(ctx, "demo-reseller")
	require.NoError(t, err)
	_, err = e.svc.Allow(ctx, "demo-reseller")
	requireRateLimited(t, err, time.Second)
}

func TestAllowDisabledByDefault(t *testing.T) {
	e := newAbuseEnv(t, core.Config{})
	for i := 0; i < 1000; i++ {
		_, err := e.svc.Allow(context.Background(), "demo-rsp")
		require.NoError(t, err)
	}
}

// Concurrent requests spend the bucket exactly: with the clock standing
// still, the burst goes and nothing else.
func TestAllowConcurrent(t *testing.T) {
	e := newAbuseEnv(t, core.Config{RateLimit: core.RateLimit{RPS: 1, Burst: 25}})
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, err := e.svc.Allow(context.Background(), "demo-rsp")
				switch {
				case err == nil:
					ok.Add(1)
				case core.ReasonOf(err) == core.ReasonRateLimited:
					limited.Add(1)
				default:
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 25, ok.Load())
	assert.EqualValues(t, 16*20-25, limited.Load())
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		secs int
	}{{0, 1}, {time.Nanosecond, 1}, {time.Second, 1}, {time.Second + 1, 2}, {90 * time.Second, 90}} {
		e := core.Errorf(core.KindRateLimited, core.ReasonRateLimited, "", "x")
		e.RetryAfter = tc.wait
		secs, ok := core.RetryAfterSeconds(fmt.Errorf("wrapped: %w", e))
		assert.True(t, ok)
		assert.Equal(t, tc.secs, secs, tc.wait.String())
	}
	_, ok := core.RetryAfterSeconds(core.Errorf(core.KindUnauthorized, core.ReasonLoginFailed, "", "x"))
	assert.False(t, ok)
	_, ok = core.RetryAfterSeconds(errors.New("plain"))
	assert.False(t, ok)
}

func TestLoginThrottlePerUsername(t *testing.T) {
	e := newAbuseEnv(t, core.Config{})
	ctx := from("192.0.2.1")
	for i := 0; i < 5; i++ {
		_, err := e.svc.CheckPassword(ctx, "demo-rsp", "wrong")
		require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err), "failure %d", i+1)
	}
	require.EqualValues(t, 5, e.pw.verifies.Load())

	// Refused, even with the right password, and without bcrypt.
	_, err := e.svc.CheckPassword(ctx, "demo-rsp", "demo-rsp-pass")
	requireRateLimited(t, err, time.Second)
	_, err = e.svc.CheckPassword(from("198.51.100.7"), "demo-rsp", "demo-rsp-pass")
	requireRateLimited(t, err, time.Second)
	// The partner id is the same account as the username.
	_, err = e.svc.CheckPassword(ctx, "demo-rsp", "wrong")
	requireRateLimited(t, err, time.Second)
	assert.EqualValues(t, 5, e.pw.verifies.Load(), "a refused check runs no bcrypt")

	// Another username from the same address is not affected (the
	// address's own limit is higher).
	_, err = e.svc.CheckPassword(ctx, "other-rsp", "other-rsp-pass")
	require.NoError(t, err)

	// Each further failure doubles the wait, up to 15 minutes.
	wait := time.Second
	for i := 0; i < 14; i++ {
		e.clock.Advance(wait)
		_, err = e.svc.CheckPassword(ctx, "demo-rsp", "wrong")
		require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
		wait = min(2*wait, 15*time.Minute)
		_, err = e.svc.CheckPassword(ctx, "demo-rsp", "demo-rsp-pass")
		requireRateLimited(t, err, wait)
	}
	assert.Equal(t, 15*time.Minute, wait)

	// Once the wait is over, the right password works and clears the count.
	e.clock.Advance(wait)
	p, err := e.svc.CheckPassword(ctx, "demo-rsp", "demo-rsp-pass")
	require.NoError(t, err)
	assert.Equal(t, core.PartnerID("demo-rsp"), p)
	for i := 0; i < 4; i++ {
		_, err := e.svc.CheckPassword(from(fmt.Sprintf("192.0.2.%d", 100+i)), "demo-rsp", "wrong")
		require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
	}
	_, err = e.svc.CheckPassword(from("192.0.2.200"), "demo-rsp", "demo-rsp-pass")
	require.NoError(t, err, "four failures after a success are under the limit")
}

func TestLoginThrottleUnknownUsername(t *testing.T) {
	e := newAbuseEnv(t, core.Config{})
	ctx := from("192.0.2.1")
	for i := 0; i < 5; i++ {
		_, err := e.svc.CheckPassword(ctx, "nobody", "guess")
		require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
	}
	// An unknown username is throttled exactly like a known one.
	_, err := e.svc.CheckPassword(ctx, "nobody", "guess")
	requireRateLimited(t, err, time.Second)
}

func TestLoginThrottleWindow(t *testing.T) {
	e := newAbuseEnv(t, core.Config{})
	ctx := from("192.0.2.1")
	for i := 0; i < 4; i++ {
		_, err := e.svc.CheckPassword(ctx, "demo-rsp", "wrong")
		require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
	}
	// Failures older than the window (1 hour) are forgotten.
	e.clock.Advance(time.Hour + time.Second)
	for i := 0; i < 4; i++ {
		_, err := e.svc.CheckPassword(ctx, "demo-rsp", "wrong")
		require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
	}
	_, err := e.svc.CheckPassword(ctx, "demo-rsp", "demo-rsp-pass")
	require.NoError(t, err)
}

func TestLoginThrottlePerAddress(t *testing.T) {
	e := newAbuseEnv(t, core.Config{})
	ctx := from("2001:db8:1:2::10")
	// Twenty usernames, one failure each: the address reaches its limit.
	for i := 0; i < 20; i++ {
		_, err := e.svc.CheckPassword(ctx, fmt.Sprintf("user-%d", i), "guess")
		require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
	}
	verifies := e.pw.verifies.Load()
	_, err := e.svc.CheckPassword(ctx, "demo-rsp", "demo-rsp-pass")
	requireRateLimited(t, err, time.Second)
	// The same /64 is the same client.
	_, err = e.svc.CheckPassword(from("2001:db8:1:2::99"), "other-rsp", "other-rsp-pass")
	requireRateLimited(t, err, time.Second)
	assert.Equal(t, verifies, e.pw.verifies.Load())

	// A success does not clear an address's count: another address goes.
	_, err = e.svc.CheckPassword(from("2001:db8:1:3::10"), "demo-rsp", "demo-rsp-pass")
	require.NoError(t, err)
	_, err = e.svc.CheckPassword(ctx, "demo-rsp", "demo-rsp-pass")
	requireRateLimited(t, err, time.Second)

	// Without a client address only the username counts.
	_, err = e.svc.CheckPassword(context.Background(), "other-rsp", "other-rsp-pass")
	require.NoError(t, err)
}

func TestLoginThrottleDisabled(t *testing.T) {
	e := newAbuseEnv(t, core.Config{Login: core.LoginThrottle{Disabled: true}})
	for i := 0; i < 10; i++ {
		_, err := e.svc.CheckPassword(from("192.0.2.1"), "demo-rsp", "wrong")
		require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
	}
	_, err := e.svc.CheckPassword(from("192.0.2.1"), "demo-rsp", "demo-rsp-pass")
	require.NoError(t, err)
}

// A login spends the partner's request budget: each one writes a session.
func TestLoginSpendsRateLimit(t *testing.T) {
	e := newAbuseEnv(t, core.Config{RateLimit: core.RateLimit{RPS: 1, Burst: 2}})
	ctx := from("192.0.2.1")
	for i := 0; i < 2; i++ {
		_, _, err := e.svc.Login(ctx, "demo-rsp", "demo-rsp-pass")
		require.NoError(t, err)
	}
	_, _, err := e.svc.Login(ctx, "demo-rsp", "demo-rsp-pass")
	requireRateLimited(t, err, time.Second)
}

func TestPartnerByAPIKey(t *testing.T) {
	e := newAbuseEnv(t, core.Config{})
	ctx := context.Background()
	p, err := e.svc.PartnerByAPIKey(ctx, "demo-wholesale-key")
	require.NoError(t, err)
	assert.Equal(t, core.PartnerID("demo-wholesale"), p.ID)
	for _, key := range []string{"", "demo-wholesale-ke", "demo-wholesale-key ", core.HashSecret("demo-wholesale-key")} {
		_, err := e.svc.PartnerByAPIKey(ctx, key)
		assert.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err), "%q", key)
	}
}

// Wrong API keys and login tokens name no account, so they count against
// the client address alone: past its limit (20) the address is refused
// before any lookup, whatever it sends, and other addresses are not.
func TestSecretGuessesThrottledPerAddress(t *testing.T) {
	e := newAbuseEnv(t, core.Config{})
	ctx := from("192.0.2.1")
	for i := 0; i < 10; i++ {
		_, err := e.svc.PartnerByAPIKey(ctx, "guess-"+strconv.Itoa(i))
		require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err), "API key guess %d", i+1)
		_, err = e.svc.Authenticate(ctx, strings.Repeat("0", 63)+strconv.Itoa(i))
		require.Equal(t, core.ReasonTokenInvalid, core.ReasonOf(err), "token guess %d", i+1)
	}
	_, err := e.svc.PartnerByAPIKey(ctx, "demo-wholesale-key")
	requireRateLimited(t, err, time.Second)
	_, err = e.svc.Authenticate(ctx, strings.Repeat("a", 64))
	requireRateLimited(t, err, time.Second)

	p, err := e.svc.PartnerByAPIKey(from("198.51.100.7"), "demo-wholesale-key")
	require.NoError(t, err, "another address is not affected")
	assert.Equal(t, core.PartnerID("demo-wholesale"), p.ID)

	// A valid key does not clear the address's count; the refusal ends with
	// its period, and the next failure doubles it.
	e.clock.Advance(time.Second)
	p, err = e.svc.PartnerByAPIKey(ctx, "demo-wholesale-key")
	require.NoError(t, err)
	_, err = e.svc.PartnerByAPIKey(ctx, "wrong")
	require.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
	_, err = e.svc.PartnerByAPIKey(ctx, "demo-wholesale-key")
	requireRateLimited(t, err, 2*time.Second)
}
