package store

import (
	"crypto/sha256"
	"encoding/hex"

	"golang.org/x/crypto/bcrypt"

	"simgate/core"
)

// Bcrypt hashes partner passwords; Cost 0 means bcrypt.DefaultCost.
type Bcrypt struct{ Cost int }

var _ core.Passwords = Bcrypt{}

func (b Bcrypt) Hash(plain string) (string, error) {
	cost := b.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(plain), cost)
	return string(h), err
}

// Verify answers false for a wrong password and for a malformed hash alike.
func (Bcrypt) Verify(hash, plain string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(plain)) == nil
}

// HashSecret answers the lower-case hex SHA-256 of s: the at-rest form of API
// keys and login tokens. They are long random values, so a fast unsalted
// hash suffices where a password would need bcrypt.
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
