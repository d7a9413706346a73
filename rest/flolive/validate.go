package flolive

import (
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"simgate/core"
)

// idType is one of the document's {type} values.
type idType struct {
	kind     core.SubscriberKind
	min, max int // digits
}

// idTypes maps the document's {type} ENUMs (lower case, as it writes them)
// to core kinds, with the length each identifier can have:
//   - imsi: 3-digit MCC + 2-3-digit MNC + MSIN, at most 15 digits (ITU-T E.212);
//   - iccid: 18 to 20 digits including the Luhn digit (ITU-T E.118);
//   - msisdn: an international E.164 number without "+", at most 15 digits;
//     7 is the shortest in use;
//   - imei: 14 digits without its check digit, 15 with it, 16 for an IMEISV.
var idTypes = map[string]idType{
	"imsi":   {core.ByIMSI, 6, 15},
	"iccid":  {core.ByICCID, 18, 20},
	"msisdn": {core.ByMSISDN, 7, 15},
	"imei":   {core.ByIMEI, 14, 16},
}

// wireType answers the document's spelling of a core kind.
func wireType(k core.SubscriberKind) string {
	for name, t := range idTypes {
		if t.kind == k {
			return name
		}
	}
	return string(k)
}

// subscriberRef checks a {type}/{value} pair.
func subscriberRef(typ, value string) (core.SubscriberRef, error) {
	t, ok := idTypes[typ]
	if !ok {
		return core.SubscriberRef{}, refuse(errBadType, "")
	}
	if len(value) < t.min || len(value) > t.max || !allDigits(value) {
		return core.SubscriberRef{}, refuse(errBadValue, "%s must be %d to %d digits", typ, t.min, t.max)
	}
	return core.SubscriberRef{Kind: t.kind, Value: value}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

var uuidRE = regexp.MustCompile(uuidPattern)

// customerID checks a targetCustomerId. Account ids are stored in lower
// case; a UUID is the same UUID in either case.
func customerID(s string) (core.AccountID, error) {
	if !uuidRE.MatchString(s) {
		return "", refuse(errBadCustomer, "")
	}
	return core.AccountID(strings.ToLower(s)), nil
}

// requestID checks a {requestId}.
func requestID(s string) (string, error) {
	if !uuidRE.MatchString(s) {
		return "", refuse(errBadRequestID, "")
	}
	return strings.ToLower(s), nil
}

// maxEcho bounds what a refused bulk item echoes of its input.
const maxEcho = 64

// echoed answers s cut to maxEcho bytes on a rune boundary: a refusal names
// the item without copying back whatever the partner sent.
func echoed(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// HeaderIdempotencyKey is the optional request header that makes a move
// safe to retry (the IETF httpapi draft's name): the same key with the
// same request answers the first request's acknowledgement again.
const HeaderIdempotencyKey = "Idempotency-Key"

// maxIdempotencyKey bounds a key: room for a UUID, a ULID or a partner's
// composite reference, not for a document.
const maxIdempotencyKey = 255

// idempotencyKey checks the Idempotency-Key header: "" when the request
// has none. A key is opaque (a draft-style quoted string keeps its
// quotes); it must be sent once, since two values would leave open which
// request the partner means.
func idempotencyKey(h http.Header) (string, error) {
	vs := h.Values(HeaderIdempotencyKey)
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", refuse(errBadIdemKey, "got it %d times", len(vs))
	}
	k := vs[0]
	if k == "" {
		return "", refuse(errBadIdemKey, "got an empty key")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return "", refuse(errBadIdemKey, "character %d is not printable ASCII", i+1)
		}
	}
	if len(k) > maxIdempotencyKey {
		return "", refuse(errBadIdemKey, "got %d characters", len(k))
	}
	return k, nil
}
