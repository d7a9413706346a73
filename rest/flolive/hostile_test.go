package flolive_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"simgate/rest/flolive"
)

// Hostile JSON (issue 6, item 3), on both endpoints that take a body:
// each is refused with the NAK VALIDATION_1005 and a message that names
// the problem and where it is (VALIDATION_1006 and 413 for size); nothing
// moves. TestValidationErrors has the single move's basic cases.
func TestHostileJSON(t *testing.T) {
	e := newEnv(t)
	move := movePath("iccid", simICCID(4))
	item := func(members string) string { return `{"items":[{` + members + `}]}` }
	valid := `"type":"iccid","value":"` + simICCID(4) + `","targetCustomerId":"` + sparta + `"`
	for _, tc := range []struct {
		name, path, body string
		status           int
		code, msg        string // msg: part of the message
	}{
		// Duplicate keys, exact and case variants, inside bulk items.
		{"bulk_duplicate_key", flolive.PathBulkMove, item(valid + `,"value":"` + simICCID(5) + `"`), 400, "VALIDATION_1005",
			`duplicate key "items[0].value": it appears more than once in the same object`},
		{"bulk_duplicate_key_case_variant", flolive.PathBulkMove, item(valid + `,"VALUE":"` + simICCID(5) + `"`), 400, "VALIDATION_1005",
			`duplicate key "items[0].VALUE": the same object already has "value"`},
		{"bulk_duplicate_items", flolive.PathBulkMove, `{"items":[],"items":[{` + valid + `}]}`, 400, "VALIDATION_1005",
			`duplicate key "items"`},
		// Unknown fields, and a case variant alone.
		{"bulk_unknown_field", flolive.PathBulkMove, `{"items":[{` + valid + `}],"dryRun":true}`, 400, "VALIDATION_1005",
			`unknown field "dryRun"`},
		{"case_variant_alone", move, `{"TargetCustomerId":"` + sparta + `"}`, 400, "VALIDATION_1005",
			`unknown field "TargetCustomerId": did you mean "targetCustomerId"? Field names are case-sensitive`},
		// Trailing data.
		{"bulk_trailing_data", flolive.PathBulkMove, item(valid) + `]`, 400, "VALIDATION_1005",
			"request body has data after the top-level JSON value"},
		{"second_document", move, moveBody(sparta) + moveBody(rome), 400, "VALIDATION_1005",
			"request body has data after the top-level JSON value"},
		// Numbers that overflow (the API has no number fields: a number
		// anywhere is the wrong type).
		{"overflow_target", move, `{"targetCustomerId":1e400}`, 400, "VALIDATION_1005",
			`"targetCustomerId" must be a string, not a number`},
		{"bulk_overflow_value", flolive.PathBulkMove, item(`"type":"iccid","value":8997201000000000004e999,"targetCustomerId":"` + sparta + `"`), 400, "VALIDATION_1005",
			`"items[0].value" must be a string, not a number`},
		// Wrong types.
		{"bulk_object_for_array", flolive.PathBulkMove, `{"items":{}}`, 400, "VALIDATION_1005",
			`"items" must be an array, not an object`},
		{"bulk_number_for_item", flolive.PathBulkMove, `{"items":[1]}`, 400, "VALIDATION_1005",
			`"items[0]" must be an object, not a number`},
		{"bool_for_target", move, `{"targetCustomerId":true}`, 400, "VALIDATION_1005",
			`"targetCustomerId" must be a string, not a boolean`},
		{"array_at_top", move, `[` + moveBody(sparta) + `]`, 400, "VALIDATION_1005", "must be an object, not an array"},
		// Not text, or nested without end.
		{"invalid_utf8", move, "{\"targetCustomerId\":\"\xff\"}", 400, "VALIDATION_1005", "UTF-8"},
		{"deep_nesting", flolive.PathBulkMove, `{"items":` + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + `}`, 400, "VALIDATION_1005",
			`"items[0]" must be an object, not an array`},
		// Size.
		{"bulk_over_the_limit", flolive.PathBulkMove, item(valid) + strings.Repeat(" ", 1<<20), 413, "VALIDATION_1006",
			"Request body is too large: the limit is 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, http.MethodPut, tc.path, acmeKey, tc.body)
			assert.Equal(t, tc.status, status, body)
			requireNAK(t, body, tc.code, tc.msg)
		})
	}
	// Nothing moved.
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(4)))
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(5)))
}
