package tmf_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/resttest"
	"simgate/rest/tmf"
)

// Hostile JSON: every variant of a valid order is refused with 400 (413
// for size) and a TMF Error naming the problem; nothing is stored.
func TestHostileJSON(t *testing.T) {
	e := newEnv(t)
	base := resttest.ReadCase(t, "tmf", "create_line")
	edit := func(old, new string) string {
		t.Helper()
		require.Contains(t, base, old)
		return strings.Replace(base, old, new, 1)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		msg        string
	}{
		{"duplicate_key", edit(`"externalId": "PO-2026-0001",`, `"externalId": "PO-2026-0001", "externalId": "PO-2",`), 400, `duplicate key "externalId"`},
		{"case_variant", edit(`"externalId": "PO-2026-0001",`, `"externalId": "PO-2026-0001", "ExternalId": "PO-2",`), 400, `the same object already has "externalId"`},
		{"case_variant_alone", edit(`"externalId":`, `"ExternalID":`), 400, `did you mean "externalId"?`},
		{"unknown_nested", edit(`"role": "customer",`, `"role": "customer", "contactMedium": [],`), 400, `unknown field "relatedParty[0].contactMedium"`},
		{"extension_member", edit(`"priority": "1",`, `"priority": "1", "x-colour": "red",`), 400, `unknown field "x-colour"`},
		{"trailing_data", base + `{}`, 400, "data after the top-level JSON value"},
		{"wrong_type", edit(`"priority": "1"`, `"priority": 1`), 400, `"priority" must be a string, not a number`},
		{"items_not_array", `{"productOrderItem": {"id": "1", "action": "add"}}`, 400, `"productOrderItem" must be an array, not an object`},
		{"overflow_quantity", edit(`"action": "add",`, `"action": "add", "quantity": 99999999999999999999,`), 400, "out of range"},
		{"top_level_array", `[` + base + `]`, 400, "must be an object, not an array"},
		{"null_body", `null`, 400, "must be an object"},
		{"empty", ` `, 400, "request body is empty"},
		{"invalid_utf8", edit(`"One mobile line`, "\"One mobile \xfeline"), 400, "UTF-8"},
		{"too_deep", edit(`"value": "P8DN"`, `"value": `+strings.Repeat("[", 40)+strings.Repeat("]", 40)), 400, "deep"},
		{"over_the_limit", base + strings.Repeat(" ", tmf.MaxBody), 413, "Request body exceeds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := e.Do(t, http.MethodPost, tmf.PathOrders, auth(demoKey), tc.body)
			assert.Equal(t, tc.status, status, body)
			var got tmf.Error
			require.NoError(t, json.Unmarshal([]byte(body), &got), body)
			assert.Contains(t, got.Message, tc.msg)
			assert.Equal(t, "Error", got.Type)
		})
	}
	_, h, _ := e.Do(t, http.MethodGet, tmf.PathOrders, auth(demoKey), "")
	assert.Equal(t, "0", h.Get("X-Total-Count"), "nothing stored")

	// A characteristic's value may be a number; it means its digits.
	o := create(t, e, demoKey, edit(`{"name": "ICCID", "value": "89014104178003620001"}`, `{"name": "ICCID", "value": 89014104178003620001}`))
	done, body := settle(t, e, o.ID)
	assert.Equal(t, "completed", done.State, body)
}

// Outside the sandbox, a hub's callback must not name a loopback, private
// or link-local address.
func TestHubCallbackPolicy(t *testing.T) {
	e := resttest.New(t, demoSecret, func(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
		tmf.New(svc, eng, log, tmf.Options{}).Register(e)
	})
	for _, cb := range []string{"http://127.0.0.1:9999/tmf", "http://10.0.0.8/tmf", "http://[::1]/tmf", "http://169.254.169.254/latest", "https://user:pw@partner.example/tmf", "https://partner.example/tmf?x=1"} {
		status, _, body := e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+cb+`"}`)
		assert.Equal(t, http.StatusBadRequest, status, cb+": "+body)
	}
	status, _, body := e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"https://partner.example/tmf"}`)
	assert.Equal(t, http.StatusCreated, status, body)
}
