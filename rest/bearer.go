package rest

import (
	"net/http"
	"strings"
)

// BearerKey answers the API key of "Authorization: Bearer <key>", the
// scheme case-insensitive (RFC 9110), the key without surrounding space.
// It answers false for a missing or empty key, another scheme, and for
// more than one Authorization line: read with Header.Get, a repeated line
// would authenticate with whichever key came first, whatever the client or
// a proxy in between meant.
func BearerKey(h http.Header) (string, bool) {
	values := h.Values("Authorization")
	if len(values) != 1 {
		return "", false
	}
	scheme, key, _ := strings.Cut(values[0], " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", false
	}
	return key, true
}
