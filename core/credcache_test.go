package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/core/coretest"
	"simgate/store/storetest"
)

// A verified password is remembered for the TTL; a wrong one, a changed
// stored hash or an expired entry goes back to bcrypt.
func TestVerifiedCredentialsAreCached(t *testing.T) {
	db := storetest.Sandbox(t)
	pw := &countingPasswords{Passwords: storetest.Passwords}
	clock := coretest.NewMutableClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	svc, err := core.NewService(db, clock, &coretest.IDs{}, pw, core.Config{CredentialTTL: time.Minute})
	require.NoError(t, err)
	ctx := context.Background()
	base := pw.verifies.Load()

	for i := 0; i < 5; i++ {
		p, err := svc.CheckPassword(ctx, "demo-reseller", "demo-reseller-pass")
		require.NoError(t, err)
		assert.Equal(t, core.PartnerID("demo-reseller"), p)
	}
	assert.Equal(t, int64(1), pw.verifies.Load()-base, "one bcrypt for five checks")

	_, err = svc.CheckPassword(ctx, "demo-reseller", "wrong-pass")
	assert.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
	assert.Equal(t, int64(2), pw.verifies.Load()-base, "a wrong password is always verified")

	clock.Advance(2 * time.Minute)
	_, err = svc.CheckPassword(ctx, "demo-reseller", "demo-reseller-pass")
	require.NoError(t, err)
	assert.Equal(t, int64(3), pw.verifies.Load()-base, "expired: verified again")

	// The password changes in the store: the remembered one stops working at once.
	newHash, err := storetest.Passwords.Hash("new-pass-123")
	require.NoError(t, err)
	require.NoError(t, db.Update(ctx, func(tx core.Tx) error {
		p, _, err := tx.Partner("demo-reseller")
		if err != nil {
			return err
		}
		p.PasswordHash = newHash
		return tx.PutPartner(p)
	}))
	_, err = svc.CheckPassword(ctx, "demo-reseller", "demo-reseller-pass")
	assert.Equal(t, core.ReasonLoginFailed, core.ReasonOf(err))
	_, err = svc.CheckPassword(ctx, "demo-reseller", "new-pass-123")
	assert.NoError(t, err)
}

// A partner opening with many concurrent requests costs one bcrypt.
func TestConcurrentChecksShareOneBcrypt(t *testing.T) {
	db := storetest.Sandbox(t)
	pw := &countingPasswords{Passwords: storetest.Passwords}
	svc, err := core.NewService(db, coretest.Clock{T: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, &coretest.IDs{}, pw, core.Config{})
	require.NoError(t, err)
	base := pw.verifies.Load()
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.CheckPassword(context.Background(), "demo-reseller", "demo-reseller-pass")
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1), pw.verifies.Load()-base)
}
