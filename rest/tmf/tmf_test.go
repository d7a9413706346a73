package tmf_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/mvnx"
	"simgate/rest/resttest"
	"simgate/rest/tmf"
)

// Create, read, list with fields and filters: the answers are golden, and
// the order moves from acknowledged to completed as the engine runs it.
func TestCreateGetList(t *testing.T) {
	e := newEnv(t)
	status, h, body := e.Do(t, http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "create_line"))
	require.Equal(t, http.StatusCreated, status, body)
	resttest.Golden(t, "tmf", "create_line", []byte(body))
	o := parseOrder(t, body)
	assert.Equal(t, "acknowledged", o.State)
	assert.Equal(t, o.Href, h.Get("Location"))
	assert.Equal(t, tmf.PathOrders+"/"+o.ID, o.Href)

	done, body := settle(t, e, o.ID)
	resttest.Golden(t, "tmf", "get_completed", []byte(body))
	assert.Equal(t, "completed", done.State)
	assert.Equal(t, "completed", done.ProductOrderItem[0].State)
	assert.Equal(t, "active", done.ProductOrderItem[0].Product.Status)
	assert.Equal(t, "8035612200", char(done, 0, "MSISDN"), "the first number of the GAC pool")

	mixed := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_mixed"))
	partial, body := settle(t, e, mixed.ID)
	resttest.Golden(t, "tmf", "get_partial", []byte(body))
	assert.Equal(t, "partial", partial.State)
	assert.Equal(t, []string{"completed", "failed", "completed"}, []string{partial.ProductOrderItem[0].State, partial.ProductOrderItem[1].State, partial.ProductOrderItem[2].State})
	require.Len(t, partial.Note, 1)
	assert.Equal(t, "item 2: SIM_NOT_FOUND: The ICCID is not a SIM of this partner", partial.Note[0].Text, "another reseller's SIM reads as absent")

	status, h, body = e.Do(t, http.MethodGet, tmf.PathOrders+"?fields=state,externalId", auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body)
	resttest.Golden(t, "tmf", "list_fields", []byte(body))
	assert.Equal(t, "2", h.Get("X-Total-Count"))
	assert.Equal(t, "2", h.Get("X-Result-Count"))

	for _, tc := range []struct {
		query string
		ids   []string
		total string
	}{
		{"state=partial", []string{mixed.ID}, "1"},
		{"externalId=PO-2026-0001", []string{o.ID}, "1"},
		{"id=" + mixed.ID, []string{mixed.ID}, "1"},
		{"id=unknown", nil, "0"},
		{"orderDate=" + o.OrderDate, []string{o.ID, mixed.ID}, "2"}, // the fixed clock gives both the same date
		{"offset=1&limit=1", []string{mixed.ID}, "2"},
		{"limit=1", []string{o.ID}, "2"},
		{"offset=5", nil, "2"},
	} {
		status, h, body := e.Do(t, http.MethodGet, tmf.PathOrders+"?"+tc.query+"&fields=id", auth(demoKey), "")
		require.Equal(t, http.StatusOK, status, body)
		var got []struct{ ID, Href string }
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		var ids []string
		for _, g := range got {
			ids = append(ids, g.ID)
			assert.NotEmpty(t, g.Href, "href is always answered")
		}
		assert.Equal(t, tc.ids, ids, tc.query)
		assert.Equal(t, tc.total, h.Get("X-Total-Count"), tc.query)
		assert.Equal(t, fmt.Sprint(len(tc.ids)), h.Get("X-Result-Count"), tc.query)
	}
	status, _, body = e.Do(t, http.MethodGet, tmf.PathOrders+"/"+o.ID+"?fields=state", auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"id":"`+o.ID+`","href":"`+o.Href+`","state":"completed"}`, body)
}

// The CTK's own order (an add item with nothing to activate) is accepted,
// and fails when it runs, saying why.
func TestCTKDefaultOrder(t *testing.T) {
	e := newEnv(t)
	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "ctk_default"))
	failed, body := settle(t, e, o.ID)
	resttest.Golden(t, "tmf", "get_ctk_default", []byte(body))
	assert.Equal(t, "failed", failed.State)
	require.Len(t, failed.Note, 1)
	assert.Contains(t, failed.Note[0].Text, "SIM_REQUIRED")
}

// Every refusal, in the TMF Error shape, golden.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	line := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_line"))
	settle(t, e, line.ID)
	items := make([]string, tmf.MaxItems+1)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":"%d","action":"delete","product":{"id":"sub-1"}}`, i)
	}
	tooMany := `{"productOrderItem":[` + strings.Join(items, ",") + `]}`
	merge := map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": tmf.MergePatch}
	for _, tc := range []struct {
		name, method, path string
		headers            map[string]string
		body               string
		status             int
		code               string
	}{
		{"err_unauthorized", http.MethodGet, tmf.PathOrders, auth("not-a-key"), "", 401, "UNAUTHORIZED"},
		{"err_no_key", http.MethodGet, tmf.PathOrders, nil, "", 401, "UNAUTHORIZED"},
		{"err_not_found", http.MethodGet, tmf.PathOrders + "/f42b01d2-dba6-4442-a0fa-34e59639fd15", auth(demoKey), "", 404, "NOT_FOUND"},
		{"err_unknown_field", http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "err_unknown_field"), 400, "INVALID_REQUEST"},
		{"err_duplicate_key", http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "err_duplicate_key"), 400, "INVALID_REQUEST"},
		{"err_not_json", http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "err_not_json"), 400, "INVALID_REQUEST"},
		{"err_item_rules", http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "err_item_rules"), 400, "INVALID_REQUEST"},
		{"err_no_items", http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "err_no_items"), 400, "INVALID_REQUEST"},
		{"err_characteristic_object", http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "err_characteristic_object"), 400, "INVALID_REQUEST"},
		{"err_nothing_to_do", http.MethodPost, tmf.PathOrders, auth(demoKey), `{"productOrderItem":[{"id":"1","action":"noChange"}]}`, 400, "INVALID_REQUEST"},
		{"err_too_many_items", http.MethodPost, tmf.PathOrders, auth(demoKey), tooMany, 400, "INVALID_REQUEST"},
		{"err_too_large", http.MethodPost, tmf.PathOrders, auth(demoKey), `{"description":"` + strings.Repeat("x", tmf.MaxBody) + `"}`, 413, "REQUEST_TOO_LARGE"},
		{"err_limit", http.MethodGet, tmf.PathOrders + "?limit=1001", auth(demoKey), "", 400, "INVALID_REQUEST"},
		{"err_offset", http.MethodGet, tmf.PathOrders + "?offset=-1", auth(demoKey), "", 400, "INVALID_REQUEST"},
		{"err_unknown_query", http.MethodGet, tmf.PathOrders + "?colour=red", auth(demoKey), "", 400, "INVALID_REQUEST"},
		{"err_repeated_query", http.MethodGet, tmf.PathOrders + "?state=completed&state=failed", auth(demoKey), "", 400, "INVALID_REQUEST"},
		{"err_bad_state", http.MethodGet, tmf.PathOrders + "?state=done", auth(demoKey), "", 400, "INVALID_REQUEST"},
		{"err_unknown_fields", http.MethodGet, tmf.PathOrders + "?fields=state,secret", auth(demoKey), "", 400, "INVALID_REQUEST"},
		{"err_query_too_long", http.MethodGet, tmf.PathOrders + "?externalId=" + strings.Repeat("x", tmf.MaxQuery), auth(demoKey), "", 400, "INVALID_REQUEST"},
		{"err_patch_media_type", http.MethodPatch, tmf.PathOrders + "/" + line.ID, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": "text/plain"}, `{"description":"x"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"err_patch_state", http.MethodPatch, tmf.PathOrders + "/" + line.ID, merge, `{"state":"cancelled"}`, 400, "INVALID_REQUEST"},
		{"err_patch_items", http.MethodPatch, tmf.PathOrders + "/" + line.ID, merge, `{"description":"x","productOrderItem":[]}`, 400, "INVALID_REQUEST"},
		{"err_patch_unknown", http.MethodPatch, tmf.PathOrders + "/" + line.ID, merge, `{"colour":"red"}`, 400, "INVALID_REQUEST"},
		{"err_patch_empty", http.MethodPatch, tmf.PathOrders + "/" + line.ID, merge, `{}`, 400, "INVALID_REQUEST"},
		{"err_patch_rules", http.MethodPatch, tmf.PathOrders + "/" + line.ID, merge, `{"priority":"7"}`, 400, "INVALID_REQUEST"},
		{"err_cancel_completed", http.MethodPost, tmf.PathCancels, auth(demoKey), `{"productOrder":{"id":"` + line.ID + `"}}`, 409, "ORDER_NOT_CANCELLABLE"},
		{"err_cancel_no_order", http.MethodPost, tmf.PathCancels, auth(demoKey), `{"cancellationReason":"x"}`, 400, "INVALID_REQUEST"},
		{"err_cancel_not_found", http.MethodGet, tmf.PathCancels + "/cancel-" + line.ID, auth(demoKey), "", 404, "NOT_FOUND"},
		{"err_hub_callback", http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"ftp://example.com/x"}`, 400, "INVALID_REQUEST"},
		{"err_hub_query", http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"https://example.com/x","query":"state=completed"}`, 400, "INVALID_REQUEST"},
		{"err_hub_not_found", http.MethodDelete, tmf.PathHubs + "/unknown", auth(demoKey), "", 404, "NOT_FOUND"},
		{"err_create_media_type", http.MethodPost, tmf.PathOrders, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": "text/plain"}, resttest.ReadCase(t, "tmf", "create_line"), 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"err_cancel_media_type", http.MethodPost, tmf.PathCancels, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": "application/x-www-form-urlencoded"}, `{"productOrder":{"id":"` + line.ID + `"}}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"err_hub_media_type", http.MethodPost, tmf.PathHubs, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": "application/xml"}, `{"callback":"https://example.com/x"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"err_method", http.MethodPut, tmf.PathOrders + "/" + line.ID, auth(demoKey), `{}`, 405, "METHOD_NOT_ALLOWED"},
		{"err_unknown_path", http.MethodGet, tmf.Base + "/productOffering", auth(demoKey), "", 404, "NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := e.Do(t, tc.method, tc.path, tc.headers, tc.body)
			require.Equal(t, tc.status, status, body)
			var got tmf.Error
			require.NoError(t, json.Unmarshal([]byte(body), &got), body)
			assert.Equal(t, tc.code, got.Code)
			assert.Equal(t, fmt.Sprint(tc.status), got.Status)
			assert.NotEmpty(t, got.Reason)
			resttest.Golden(t, "tmf", tc.name, []byte(strings.ReplaceAll(body, line.ID, "ORDER_ID")))
		})
	}
	// A refused order stored nothing.
	status, h, _ := e.Do(t, http.MethodGet, tmf.PathOrders, auth(demoKey), "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "1", h.Get("X-Total-Count"))
}

// Another partner's order, cancellation and hub read exactly like absent ones.
func TestTenants(t *testing.T) {
	e := newEnv(t)
	l := newListener(t)
	status, _, body := e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+l.srv.URL+`/tmf"}`)
	require.Equal(t, http.StatusCreated, status, body)
	var hub tmf.Hub
	require.NoError(t, json.Unmarshal([]byte(body), &hub))
	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_line"))
	settle(t, e, o.ID)

	const missing = "00000000-0000-4000-8000-000000000000"
	for _, tc := range []struct{ method, foreign, absent, body string }{
		{http.MethodGet, tmf.PathOrders + "/" + o.ID, tmf.PathOrders + "/" + missing, ""},
		{http.MethodDelete, tmf.PathOrders + "/" + o.ID, tmf.PathOrders + "/" + missing, ""},
		{http.MethodPatch, tmf.PathOrders + "/" + o.ID, tmf.PathOrders + "/" + missing, `{"description":"mine now"}`},
		{http.MethodPost, tmf.PathCancels, tmf.PathCancels, `{"productOrder":{"id":"` + o.ID + `"}}|{"productOrder":{"id":"` + missing + `"}}`},
		{http.MethodGet, tmf.PathCancels + "/cancel-" + o.ID, tmf.PathCancels + "/cancel-" + missing, ""},
		{http.MethodDelete, tmf.PathHubs + "/" + hub.ID, tmf.PathHubs + "/" + missing, ""},
	} {
		fb, ab, _ := strings.Cut(tc.body, "|")
		if ab == "" {
			ab = fb
		}
		fs, _, foreign := e.Do(t, tc.method, tc.foreign, auth(otherKey), fb)
		as, _, absent := e.Do(t, tc.method, tc.absent, auth(otherKey), ab)
		assert.Equal(t, http.StatusNotFound, fs, foreign)
		assert.Equal(t, as, fs, tc.method+" "+tc.foreign)
		assert.Equal(t, absent, foreign, tc.method+" "+tc.foreign)
	}
	status, h, body := e.Do(t, http.MethodGet, tmf.PathOrders+"?id="+o.ID, auth(otherKey), "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "[]", strings.TrimSpace(body))
	assert.Equal(t, "0", h.Get("X-Total-Count"))

	// demo's order and hub are untouched: the hub still gets events.
	status, _, body = e.Do(t, http.MethodGet, tmf.PathOrders+"/"+o.ID, auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "completed", parseOrder(t, body).State)
	assert.NotContains(t, body, "mine now")
	l.wait(t, 2)
}

// A hub receives the create event written with the order, the state
// changes from the engine's commits, attribute changes and the delete, at
// the specification's listener paths, signed.
func TestHubEvents(t *testing.T) {
	e := newEnv(t)
	all, created := newListener(t), newListener(t)
	status, h, body := e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+all.srv.URL+`/tmf/"}`)
	require.Equal(t, http.StatusCreated, status, body)
	resttest.Golden(t, "tmf", "hub_registered", []byte(strings.ReplaceAll(body, all.srv.URL, "http://listener")))
	var hub tmf.Hub
	require.NoError(t, json.Unmarshal([]byte(body), &hub))
	assert.Equal(t, tmf.PathHubs+"/"+hub.ID, h.Get("Location"))
	status, _, body = e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+created.srv.URL+`","query":"eventType=ProductOrderCreateEvent"}`)
	require.Equal(t, http.StatusCreated, status, body)

	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_mixed"))
	evs := all.wait(t, 2) // create, partial: the three items run in one commit, never seen inProgress
	require.Len(t, byType(evs, tmf.EventOrderCreate), 1)
	createEv := byType(evs, tmf.EventOrderCreate)[0]
	assert.Equal(t, "/tmf/listener/productOrderCreateEvent", createEv.Path)
	assert.Equal(t, "acknowledged", createEv.Body["event"].(map[string]any)["productOrder"].(map[string]any)["state"])
	var states []string
	for _, ev := range byType(evs, tmf.EventOrderStateChange) {
		assert.Equal(t, "/tmf/listener/productOrderStateChangeEvent", ev.Path)
		states = append(states, ev.Body["event"].(map[string]any)["productOrder"].(map[string]any)["state"].(string))
		assert.NotEmpty(t, ev.Body["eventId"])
		assert.NotEmpty(t, ev.Body["eventTime"])
	}
	assert.Equal(t, []string{"partial"}, states)
	only := created.wait(t, 1)
	assert.Equal(t, "/listener/productOrderCreateEvent", only[0].Path)
	assert.Equal(t, tmf.EventOrderCreate, only[0].Body["eventType"])
	raw, _ := json.Marshal(createEv.Body)
	resttest.Golden(t, "tmf", "event_create", raw)

	status, _, body = e.Do(t, http.MethodPatch, tmf.PathOrders+"/"+o.ID, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": tmf.MergePatch},
		`{"description":"renamed","externalId":null,"note":[{"text":"called the customer"}]}`)
	require.Equal(t, http.StatusOK, status, body)
	resttest.Golden(t, "tmf", "patch", []byte(body))
	var patched tmf.ProductOrder
	require.NoError(t, json.Unmarshal([]byte(body), &patched))
	assert.Equal(t, "renamed", patched.Description)
	assert.Empty(t, patched.ExternalID)
	assert.Equal(t, "partial", patched.State, "a patch changes no state")
	evs = all.wait(t, 3)
	change := byType(evs, tmf.EventOrderAttributeChange)
	require.Len(t, change, 1)
	assert.Equal(t, "/tmf/listener/productOrderAttributeValueChangeEvent", change[0].Path)
	assert.Equal(t, "description,externalId,note", change[0].Body["fieldPath"])

	status, _, body = e.Do(t, http.MethodDelete, tmf.PathOrders+"/"+o.ID, auth(demoKey), "")
	require.Equal(t, http.StatusNoContent, status, body)
	evs = all.wait(t, 4)
	del := byType(evs, tmf.EventOrderDelete)
	require.Len(t, del, 1)
	assert.Equal(t, "/tmf/listener/productOrderDeleteEvent", del[0].Path)
	status, _, _ = e.Do(t, http.MethodGet, tmf.PathOrders+"/"+o.ID, auth(demoKey), "")
	assert.Equal(t, http.StatusNotFound, status, "a deleted order reads as absent")
	_, h, _ = e.Do(t, http.MethodGet, tmf.PathOrders, auth(demoKey), "")
	assert.Equal(t, "0", h.Get("X-Total-Count"))
	// Its record and its line stay.
	require.NoError(t, e.DB.View(context.Background(), func(tx core.Tx) error {
		x, ok, err := tx.Transaction(o.ID)
		assert.True(t, ok)
		assert.False(t, x.DeletedAt.IsZero())
		sub, ok, _ := tx.SubscriptionBy(core.ByICCID, "89014104178003620002")
		assert.True(t, ok)
		assert.Equal(t, core.SubActive, sub.Status)
		return err
	}))

	// Unregistered, the hub gets nothing more.
	status, _, body = e.Do(t, http.MethodDelete, tmf.PathHubs+"/"+hub.ID, auth(demoKey), "")
	require.Equal(t, http.StatusNoContent, status, body)
	second := create(t, e, demoKey, `{"productOrderItem":[{"id":"1","action":"delete","product":{"id":"sub-404"}}]}`)
	settle(t, e, second.ID)
	created.wait(t, 2) // its create event, to the hub still registered
	got, rejects := all.received()
	assert.Len(t, got, 4)
	assert.Zero(t, rejects)
}

// Cancel works only while the order waits; the engine then never runs it.
func TestCancel(t *testing.T) {
	e := resttest.NewWith(t, resttest.Options{Secret: demoSecret, Paused: true}, mount)
	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_line"))
	status, h, body := e.Do(t, http.MethodPost, tmf.PathCancels, auth(demoKey), `{"productOrder":{"id":"`+o.ID+`","@referredType":"ProductOrder"},"cancellationReason":"customer changed their mind"}`)
	require.Equal(t, http.StatusCreated, status, body)
	resttest.Golden(t, "tmf", "cancel", []byte(body))
	var c tmf.CancelProductOrder
	require.NoError(t, json.Unmarshal([]byte(body), &c))
	assert.Equal(t, "done", c.State)
	assert.Equal(t, c.Href, h.Get("Location"))

	status, _, body = e.Do(t, http.MethodGet, tmf.PathCancels+"/"+c.ID, auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body)
	status, h, body = e.Do(t, http.MethodGet, tmf.PathCancels+"?fields=state", auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `[{"id":"`+c.ID+`","href":"`+c.Href+`","state":"done"}]`, body)
	assert.Equal(t, "1", h.Get("X-Total-Count"))
	for query, want := range map[string]string{"id=" + c.ID: "1", "id=" + o.ID: "0", "id=cancel-unknown": "0", "id=" + c.ID + "&offset=1": "1"} {
		status, h, body = e.Do(t, http.MethodGet, tmf.PathCancels+"?"+query, auth(demoKey), "")
		require.Equal(t, http.StatusOK, status, body)
		assert.Equal(t, want, h.Get("X-Total-Count"), query)
	}

	status, _, body = e.Do(t, http.MethodPost, tmf.PathCancels, auth(demoKey), `{"productOrder":{"id":"`+o.ID+`"}}`)
	assert.Equal(t, http.StatusConflict, status, body)
	status, _, body = e.Do(t, http.MethodPatch, tmf.PathOrders+"/"+o.ID, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": tmf.MergePatch}, `{"description":"x"}`)
	assert.Equal(t, http.StatusConflict, status, body)

	e.Start()
	// A second order runs; when it is done, the cancelled one was passed over.
	second := create(t, e, demoKey, strings.ReplaceAll(resttest.ReadCase(t, "tmf", "create_line"), "89014104178003620001", "89014104178003620003"))
	settle(t, e, second.ID)
	status, _, body = e.Do(t, http.MethodGet, tmf.PathOrders+"/"+o.ID, auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body)
	got := parseOrder(t, body)
	assert.Equal(t, "cancelled", got.State)
	assert.Equal(t, "cancelled", got.ProductOrderItem[0].State)
	require.NoError(t, e.DB.View(context.Background(), func(tx core.Tx) error {
		sim, _, err := tx.SIMByICCID("89014104178003620001")
		assert.Equal(t, core.SIMPending, sim.Status, "never activated")
		return err
	}))
	status, _, body = e.Do(t, http.MethodDelete, tmf.PathOrders+"/"+o.ID, auth(demoKey), "")
	assert.Equal(t, http.StatusNoContent, status, body)
}

// An unfinished order cannot be deleted.
func TestDeleteUnfinished(t *testing.T) {
	e := resttest.NewWith(t, resttest.Options{Secret: demoSecret, Paused: true}, mount)
	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_line"))
	status, _, body := e.Do(t, http.MethodDelete, tmf.PathOrders+"/"+o.ID, auth(demoKey), "")
	require.Equal(t, http.StatusConflict, status, body)
	resttest.Golden(t, "tmf", "err_delete_unfinished", []byte(body))
}

// Lines are one inventory: a line MVNX activated is suspended, resumed and
// ceased by TMF622 modify and delete orders, named by ICCID, MSISDN or the
// product id a TMF622 add answered; and a line TMF622 activated holds its
// SIM against an MVNX activation.
func TestAcrossFrontEnds(t *testing.T) {
	e := newEnv(t)
	mv := strings.ReplaceAll(`{"MessageHeader":{"TrackingMessageHeader":{"messageId":"x-1","returnURL":"RETURN","dateTimeStamp":"2026-03-29T14:38:11Z"},
"SecurityMessageHeader":{"userName":"demo-reseller","userPassword":"demo-reseller-pass"}},
"ActivateSubscriberResellerRequest":{"MarketServiceInfo":{"billingMarket":{"localMarket":"GAC"}},"SubscriberReseller":[{"Device":{"SIM":"89014104178003620010"},"PricePlan":{"singleUserCode":"P8DN"},"subscriberNumber":"8035612210"}]}}`, "RETURN", e.ReturnURL)
	status, _, body := e.Do(t, http.MethodPost, mvnx.Path, nil, mv)
	require.Equal(t, http.StatusOK, status, body)
	e.Partner.Wait(t, 1)

	step := func(item, want string) order {
		t.Helper()
		o := create(t, e, demoKey, `{"productOrderItem":[`+item+`]}`)
		done, body := settle(t, e, o.ID)
		require.Equal(t, want, done.State, body)
		return done
	}
	subStatus := func(iccid string) core.SubscriptionStatus {
		var s core.Subscription
		require.NoError(t, e.DB.View(context.Background(), func(tx core.Tx) error {
			var err error
			s, _, err = tx.SubscriptionBy(core.ByICCID, iccid)
			return err
		}))
		return s.Status
	}
	done := step(`{"id":"1","action":"modify","product":{"status":"suspended","productCharacteristic":[{"name":"ICCID","value":"89014104178003620010"}]}}`, "completed")
	assert.Equal(t, "suspended", done.ProductOrderItem[0].Product.Status)
	assert.Equal(t, core.SubSuspended, subStatus("89014104178003620010"))
	step(`{"id":"1","action":"modify","product":{"productCharacteristic":[{"name":"MSISDN","value":"8035612210"},{"name":"status","value":"active"}]}}`, "completed")
	assert.Equal(t, core.SubActive, subStatus("89014104178003620010"))
	step(`{"id":"1","action":"modify","product":{"status":"active","productCharacteristic":[{"name":"MSISDN","value":"8035612210"}]}}`, "failed") // already active

	added := step(`{"id":"1","action":"add","product":{"productCharacteristic":[{"name":"ICCID","value":"89014104178003620011"},{"name":"plan","value":"P8DN"},{"name":"market","value":"GAC"}]}}`, "completed")
	subID := added.ProductOrderItem[0].Product.ID
	require.NotEmpty(t, subID)
	step(`{"id":"1","action":"delete","product":{"id":"`+subID+`"}}`, "completed")
	assert.Equal(t, core.SubCeased, subStatus("89014104178003620011"))
	step(`{"id":"1","action":"delete","product":{"id":"`+subID+`"}}`, "failed")

	// MVNX cannot take the SIM of TMF622's line.
	status, _, body = e.Do(t, http.MethodPost, mvnx.Path, nil, strings.NewReplacer("x-1", "x-2", "89014104178003620010", "89014104178003620011", "8035612210", "8035612211").Replace(mv))
	require.Equal(t, http.StatusOK, status, body)
	got := e.Partner.Wait(t, 1) // the second notification
	assert.Contains(t, string(got[1].Body), "89014104178003620011")
	assert.NotContains(t, string(got[1].Body), `"code":"0"`, "refused: the SIM is held by the TMF622 line")

	// Another reseller cannot touch demo's line through TMF622.
	o := create(t, e, otherKey, `{"productOrderItem":[{"id":"1","action":"modify","product":{"status":"suspended","productCharacteristic":[{"name":"ICCID","value":"89014104178003620010"}]}}]}`)
	require.Eventually(t, func() bool {
		_, _, body = e.Do(t, http.MethodGet, tmf.PathOrders+"/"+o.ID, auth(otherKey), "")
		return parseOrder(t, body).State == "failed"
	}, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, body, "PRODUCT_NOT_FOUND")
	assert.Equal(t, core.SubActive, subStatus("89014104178003620010"))
}

// An order runs in commits of many items. Its events say inProgress only
// when a commit leaves it in progress, with the items of that commit done
// and the others waiting; an order finished in one commit goes from
// acknowledged to its final state, so that no inProgress event can arrive
// after the final one and undo it.
func TestProgressEvents(t *testing.T) {
	e := newEnv(t)
	l := newListener(t)
	status, _, body := e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+l.srv.URL+`","query":"eventType=ProductOrderStateChangeEvent"}`)
	require.Equal(t, http.StatusCreated, status, body)
	items := make([]string, 40)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":"%d","action":"delete","product":{"id":"sub-404"}}`, i)
	}
	o := create(t, e, demoKey, `{"productOrderItem":[`+strings.Join(items, ",")+`]}`)
	done, _ := settle(t, e, o.ID)
	require.Equal(t, "failed", done.State)
	evs := l.wait(t, 2)
	time.Sleep(50 * time.Millisecond) // nothing more comes
	evs, _ = l.received()
	require.Len(t, evs, 2)
	var progress, final map[string]any
	for _, ev := range evs {
		po := ev.Body["event"].(map[string]any)["productOrder"].(map[string]any)
		switch po["state"] {
		case "inProgress":
			progress = po
		case "failed":
			final = po
		}
	}
	require.NotNil(t, progress, "an inProgress event")
	require.NotNil(t, final, "a failed event")
	ran := 0
	for _, it := range progress["productOrderItem"].([]any) {
		switch it.(map[string]any)["state"] {
		case "failed":
			ran++
		default:
			assert.Equal(t, "inProgress", it.(map[string]any)["state"])
		}
	}
	assert.Greater(t, ran, 1, "the event is that of the commit: its items are done, not only the first")
	assert.Less(t, ran, 40, "the others wait")
}
