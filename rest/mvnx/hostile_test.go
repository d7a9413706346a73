package mvnx_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile JSON (issue 6, item 3): every variant of a valid request is
// refused with 400 (413 for size), code MALFORMED_REQUEST (or
// REQUEST_TOO_LARGE) and a description that names the problem and where
// it is, in the acknowledgement's MessageHeader shape; nothing is stored.
func TestHostileJSON(t *testing.T) {
	e := newEnv(t)
	base := readCase(t, "new_device_provided_number")
	edit := func(old, new string) string {
		t.Helper()
		require.Contains(t, base, old)
		return strings.Replace(base, old, new, 1)
	}
	const sim = `"SIM": "89014104178003620001",`
	const ttl = `"version": "v185",`
	for _, tc := range []struct {
		name, body string
		status     int
		desc       string // part of the description
	}{
		// Duplicate keys: exact, and case variants of a struct field.
		{"duplicate_key", edit(`"messageId": "uc-1",`, `"messageId": "uc-1", "messageId": "uc-2",`), 400,
			`duplicate key "MessageHeader.TrackingMessageHeader.messageId": it appears more than once in the same object`},
		{"duplicate_key_case_variant", edit(sim, sim+` "sim": "89014104178003620002",`), 400,
			`duplicate key "ActivateSubscriberResellerRequest.SubscriberReseller[0].Device.sim": the same object already has "SIM"`},
		{"duplicate_key_case_variant_first", edit(sim, `"Sim": "89014104178003620002", `+sim), 400,
			`"ActivateSubscriberResellerRequest.SubscriberReseller[0].Device.Sim"`},
		{"duplicate_object", edit(`"MessageHeader": {`, `"MessageHeader": {}, "MessageHeader": {`), 400,
			`duplicate key "MessageHeader"`},
		// Unknown fields on the closed schema, including a case variant
		// alone (which encoding/json would silently accept).
		{"unknown_field", edit(sim, sim+` "color": "red",`), 400,
			`unknown field "ActivateSubscriberResellerRequest.SubscriberReseller[0].Device.color"`},
		{"unknown_field_top_level", "{\"Extra\": 1," + strings.TrimPrefix(base, "{"), 400, `unknown field "Extra"`},
		{"case_variant_alone", edit(`"SIM":`, `"sim":`), 400,
			`unknown field "ActivateSubscriberResellerRequest.SubscriberReseller[0].Device.sim": did you mean "SIM"? Field names are case-sensitive`},
		// Trailing data.
		{"trailing_object", base + `{}`, 400, "request body has data after the top-level JSON value"},
		{"trailing_garbage", base + `x`, 400, "request body has data after the top-level JSON value"},
		{"second_document", base + "\n" + base, 400, "request body has data after the top-level JSON value"},
		// Numbers that overflow.
		{"overflow_int64", edit(ttl, ttl+` "timeToLive": 9223372036854775808,`), 400,
			"MessageHeader.TrackingMessageHeader.timeToLive must be an integer from -9223372036854775808 to 9223372036854775807"},
		{"overflow_float", edit(ttl, ttl+` "timeToLive": 1e400,`), 400,
			"MessageHeader.TrackingMessageHeader.timeToLive must be an integer from -9223372036854775808 to 9223372036854775807"},
		// Wrong types.
		{"string_for_bool", edit(`"IMEI": "356938035643809",`, `"IMEI": "356938035643809", "umtsCapability": "false",`), 400,
			`"ActivateSubscriberResellerRequest.SubscriberReseller[0].Device.umtsCapability" must be true or false, not a string`},
		{"number_for_string", edit(`"userName": "demo-reseller"`, `"userName": 5`), 400,
			`"MessageHeader.SecurityMessageHeader.userName" must be a string, not a number`},
		{"object_for_array", edit(`"SubscriberReseller": [`, `"SubscriberReseller": {}, "x": [`), 400,
			`"ActivateSubscriberResellerRequest.SubscriberReseller" must be an array, not an object`},
		{"string_for_number", edit(ttl, ttl+` "timeToLive": "soon",`), 400,
			`"MessageHeader.TrackingMessageHeader.timeToLive" must be a number; its string does not hold one`},
		{"array_at_top", `[` + base + `]`, 400, "must be an object, not an array"},
		{"null_at_top", `null`, 400, "null"},
		// Not JSON at all, or not text.
		{"empty", ``, 400, "request body is empty"},
		{"invalid_utf8", edit(`"make": "Acme"`, "\"make\": \"Ac\xffme\""), 400, "UTF-8"},
		{"unpaired_surrogate", edit(`"make": "Acme"`, `"make": "Ac\ud800me"`), 400, "surrogate"},
		// Deep nesting stops at the first key the schema does not have.
		{"deep_nesting", strings.Repeat(`{"MessageHeader":`, 10_000) + `{}` + strings.Repeat(`}`, 10_000), 400, `unknown field "MessageHeader.MessageHeader"`},
		// Size.
		{"over_the_limit", base + strings.Repeat(" ", 1<<20), 413, "Request body exceeds 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.post(t, tc.body)
			assert.Equal(t, tc.status, status, body)
			ack := parseAck(t, body)
			code := "MALFORMED_REQUEST"
			if tc.status == http.StatusRequestEntityTooLarge {
				code = "REQUEST_TOO_LARGE"
			}
			assert.Equal(t, code, ack.RequestAcknowledgement.Response.Code)
			assert.Contains(t, ack.RequestAcknowledgement.Response.Description, tc.desc)
			assert.NotEmpty(t, ack.MessageHeader.TrackingMessageHeader.UniqueTransactionID)
			assert.NotContains(t, body, "demo-reseller-pass")
		})
	}
	// Nothing was stored under the request's messageId: the valid request
	// is accepted as new (a stored one would conflict with it).
	status, body := e.post(t, base)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "0", parseAck(t, body).RequestAcknowledgement.Response.Code)
}
