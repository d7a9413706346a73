package callback

import (
	"net/http"
	"testing"
)

// Send stores its headers under these keys directly: they must be what
// Header.Set would have stored, or the partner would see other names.
func TestCanonicalHeaderKeys(t *testing.T) {
	for key, canon := range map[string]string{
		"Content-Type": canonContentType, "User-Agent": canonUserAgent,
		HeaderID: canonID, HeaderTimestamp: canonTimestamp, HeaderSignature: canonSignature,
	} {
		if got := http.CanonicalHeaderKey(key); got != canon {
			t.Errorf("CanonicalHeaderKey(%q) = %q, Send uses %q", key, got, canon)
		}
	}
}
