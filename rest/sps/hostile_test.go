package sps_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/rest/resttest"
	"simgate/rest/sps"
)

// Hostile JSON (issue 6, item 3): every variant of a valid request is
// refused with 400 (413 for size) and one error naming the field and the
// problem, in the API's Failure shape; nothing is stored.
func TestHostileJSON(t *testing.T) {
	e := newEnv(t)
	base := resttest.ReadCase(t, "sps", "pool_number")
	edit := func(old, new string) string {
		t.Helper()
		require.Contains(t, base, old)
		return strings.Replace(base, old, new, 1)
	}
	const iccid = `"iccid": "11986621644523024502",`
	const day = `"billCycleStartDay": 1,`
	status := `{"partnerTransactionId": "Txn-hostile", "iccid": "11986621644523024502", "action": "Suspend"}`
	for _, tc := range []struct {
		name, path, body string
		status           int
		code, field, msg string // msg: part of the message
	}{
		// Duplicate keys: exact, and case variants of a struct field.
		{"duplicate_key", sps.PathActivate, edit(iccid, iccid+` "iccid": "11986621644523024503",`), 400,
			"INVALID_JSON", "iccid", `duplicate key "iccid": it appears more than once in the same object`},
		{"duplicate_key_case_variant", sps.PathActivate, edit(iccid, iccid+` "ICCID": "11986621644523024503",`), 400,
			"INVALID_JSON", "ICCID", `duplicate key "ICCID": the same object already has "iccid"`},
		{"duplicate_key_nested_case_variant", sps.PathActivate, edit(`"city": "Littleton",`, `"city": "Littleton", "City": "Denver",`), 400,
			"INVALID_JSON", "location.address.City", `the same object already has "city"`},
		{"duplicate_key_status", sps.PathStatus, strings.Replace(status, `"action": "Suspend"`, `"action": "Suspend", "Action": "Cease"`, 1), 400,
			"INVALID_JSON", "Action", `duplicate key "Action": the same object already has "action"`},
		// Unknown fields on the closed schema, including a case variant
		// alone (which encoding/json would silently accept).
		{"unknown_field", sps.PathActivate, edit(iccid, iccid+` "color": "red",`), 400,
			"INVALID_JSON", "color", `unknown field "color"`},
		{"unknown_nested_field", sps.PathActivate, edit(`"value": "128 bps"`, `"value": "128 bps", "unit": "bps"`), 400,
			"INVALID_JSON", "products[0].characteristics[0].unit", `unknown field "products[0].characteristics[0].unit"`},
		{"case_variant_alone", sps.PathActivate, edit(`"iccid":`, `"Iccid":`), 400,
			"INVALID_JSON", "Iccid", `unknown field "Iccid": did you mean "iccid"? Field names are case-sensitive`},
		// Trailing data.
		{"trailing_object", sps.PathActivate, base + `{}`, 400, "INVALID_JSON", "", "request body has data after the top-level JSON value"},
		{"trailing_garbage", sps.PathStatus, status + `,`, 400, "INVALID_JSON", "", "request body has data after the top-level JSON value"},
		// Numbers that overflow.
		{"overflow_int", sps.PathActivate, edit(day, `"billCycleStartDay": 9223372036854775808,`), 400,
			"INVALID_JSON", "billCycleStartDay", "out of range for int"},
		{"overflow_exponent", sps.PathActivate, edit(day, `"billCycleStartDay": 1e400,`), 400,
			"INVALID_JSON", "billCycleStartDay", `"billCycleStartDay" must be an integer, without a fraction or exponent`},
		{"overflow_gpsi", sps.PathStatus, strings.Replace(status, `"iccid": "11986621644523024502"`, `"gpsi": 1e400`, 1), 400,
			"INVALID_JSON", "gpsi", `"gpsi" must be whole digits, as a string or a number`},
		// Wrong types.
		{"string_for_int", sps.PathActivate, edit(day, `"billCycleStartDay": "1",`), 400,
			"INVALID_JSON", "billCycleStartDay", `"billCycleStartDay" must be an integer, not a string`},
		{"string_for_array", sps.PathActivate, edit(`"bucketRefId": [`, `"bucketRefId": "1000001", "x": [`), 400,
			"INVALID_JSON", "bucketRefId", `"bucketRefId" must be an array, not a string`},
		{"array_for_object", sps.PathActivate, edit(`"location": {`, `"location": [], "x": {`), 400,
			"INVALID_JSON", "location", `"location" must be an object, not an array`},
		{"bool_for_gpsi", sps.PathStatus, strings.Replace(status, `"iccid": "11986621644523024502"`, `"gpsi": true`, 1), 400,
			"INVALID_JSON", "gpsi", `"gpsi" must be whole digits, as a string or a number`},
		{"array_at_top", sps.PathStatus, `[` + status + `]`, 400, "INVALID_JSON", "", "must be an object, not an array"},
		// Not JSON at all, or not text.
		{"empty", sps.PathActivate, ` `, 400, "INVALID_JSON", "", "request body is empty"},
		{"invalid_utf8", sps.PathActivate, edit(`"city": "Littleton"`, "\"city\": \"Little\xfeton\""), 400, "INVALID_JSON", "location.address.city", "UTF-8"},
		// Size.
		{"over_the_limit", sps.PathActivate, base + strings.Repeat(" ", 1<<20), 413, "REQUEST_TOO_LARGE", "", "Request body exceeds 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, h, body := e.Do(t, http.MethodPost, tc.path, headers(demoKey), tc.body)
			assert.Equal(t, tc.status, st, body)
			assert.NotEmpty(t, h.Get(sps.HeaderCorrelationID))
			var f sps.Failure
			require.NoError(t, json.Unmarshal([]byte(body), &f), body)
			assert.Equal(t, "Failure", f.Status)
			require.Len(t, f.Errors, 1, body)
			assert.Equal(t, tc.code, f.Errors[0].Code)
			assert.Equal(t, tc.field, f.Errors[0].Field)
			assert.Contains(t, f.Errors[0].Message, tc.msg)
		})
	}
	// Nothing was stored under the request's partnerTransactionId: the
	// valid request is accepted as new (a stored one would conflict).
	st, _, body := e.Do(t, http.MethodPost, sps.PathActivate, headers(demoKey), base)
	require.Equal(t, http.StatusOK, st, body)
	st, _, body = e.Do(t, http.MethodGet, "/subscriber-provisioning/v5/subscription/transactions/Txn-hostile", headers(demoKey), "")
	assert.Equal(t, http.StatusNotFound, st, body)
}
