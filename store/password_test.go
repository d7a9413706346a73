package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"simgate/store"
)

func TestBcrypt(t *testing.T) {
	pw := store.Bcrypt{Cost: bcrypt.MinCost}
	h, err := pw.Hash("demo-rsp-pass")
	require.NoError(t, err)
	assert.True(t, pw.Verify(h, "demo-rsp-pass"))
	assert.False(t, pw.Verify(h, "demo-rsp-pas"))
	cost, err := bcrypt.Cost([]byte(h))
	require.NoError(t, err)
	assert.Equal(t, bcrypt.MinCost, cost)

	for _, malformed := range []string{"", "x", "$2a$", "$2a$99$" + h[7:], h[:len(h)-5], "$9z$10$" + h[7:]} {
		assert.NotPanics(t, func() { assert.False(t, pw.Verify(malformed, "demo-rsp-pass"), malformed) })
	}
}

func TestBcryptDefaultCost(t *testing.T) {
	h, err := store.Bcrypt{}.Hash("p")
	require.NoError(t, err)
	cost, err := bcrypt.Cost([]byte(h))
	require.NoError(t, err)
	assert.Equal(t, bcrypt.DefaultCost, cost)
}

func TestHashSecret(t *testing.T) {
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", store.HashSecret("abc"))
}
