package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"simgate/core"
)

func TestImportPartnerRateLimit(t *testing.T) {
	db := openDB(t)
	_, err := importLines(t, db,
		map[string]any{"kind": "partner", "id": "limited", "rate_limit": map[string]any{"rps": 2.5, "burst": 10}},
		map[string]any{"kind": "partner", "id": "unlimited", "rate_limit": map[string]any{"rps": 0}},
		map[string]any{"kind": "partner", "id": "default"},
	)
	require.NoError(t, err)
	p, ok := partner(t, db, "limited")
	require.True(t, ok)
	assert.Equal(t, &core.RateLimit{RPS: 2.5, Burst: 10}, p.RateLimit)
	p, _ = partner(t, db, "unlimited")
	assert.Equal(t, &core.RateLimit{}, p.RateLimit)
	p, _ = partner(t, db, "default")
	assert.Nil(t, p.RateLimit)

	for name, rl := range map[string]map[string]any{
		"negative rps":   {"rps": -1, "burst": 1},
		"negative burst": {"rps": 1, "burst": -1},
		"unknown field":  {"rps": 1, "per": "minute"},
		"wrong type":     {"rps": "fast"},
	} {
		_, err := importLines(t, db, map[string]any{"kind": "partner", "id": "bad", "rate_limit": rl})
		assert.Error(t, err, name)
	}
}

// Only bcrypt hashes are accepted as password_hash: anything else would be
// a password stored in some other form.
func TestImportPasswordHashMustBeBcrypt(t *testing.T) {
	db := openDB(t)
	for _, h := range []string{"plain-password", "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "$2a$10$short"} {
		_, err := importLines(t, db, map[string]any{"kind": "partner", "id": "p", "password_hash": h})
		assert.ErrorContains(t, err, "bcrypt", h)
	}
	h, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	require.NoError(t, err)
	_, err = importLines(t, db, map[string]any{"kind": "partner", "id": "p", "password_hash": string(h)})
	require.NoError(t, err)
	p, _ := partner(t, db, "p")
	assert.Equal(t, string(h), p.PasswordHash)
	assert.Equal(t, "p", p.Username)
}
