package tmf_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/resttest"
	"simgate/rest/tmf"
)

// The specification produces and consumes application/json;charset=utf-8:
// every answer with a body says so, errors and echo's own 404 and 405
// included, and so does every event a listener gets. A 204 has no body
// and no media type.
func TestMediaType(t *testing.T) {
	e := newEnv(t)
	l := newListener(t)
	status, h, body := e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+l.srv.URL+`"}`)
	require.Equal(t, http.StatusCreated, status, body)
	assert.Equal(t, tmf.MediaType, h.Get("Content-Type"), "hub")
	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_line"))
	settle(t, e, o.ID)
	for _, tc := range []struct {
		method, path string
		headers      map[string]string
		body         string
		status       int
	}{
		{http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "create_mixed"), http.StatusCreated},
		{http.MethodGet, tmf.PathOrders, auth(demoKey), "", http.StatusOK},
		{http.MethodGet, tmf.PathOrders + "/" + o.ID, auth(demoKey), "", http.StatusOK},
		{http.MethodGet, tmf.PathOrders + "/" + o.ID + "?fields=state", auth(demoKey), "", http.StatusOK},
		{http.MethodPatch, tmf.PathOrders + "/" + o.ID, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": tmf.MergePatch}, `{"description":"x"}`, http.StatusOK},
		{http.MethodGet, tmf.PathCancels, auth(demoKey), "", http.StatusOK},
		{http.MethodGet, tmf.PathOrders, nil, "", http.StatusUnauthorized},
		{http.MethodGet, tmf.PathOrders + "?limit=x", auth(demoKey), "", http.StatusBadRequest},
		{http.MethodGet, tmf.PathOrders + "/unknown", auth(demoKey), "", http.StatusNotFound},
		{http.MethodGet, tmf.Base + "/productOffering", auth(demoKey), "", http.StatusNotFound},
		{http.MethodPut, tmf.PathOrders, auth(demoKey), "{}", http.StatusMethodNotAllowed},
		{http.MethodPatch, tmf.PathOrders + "/" + o.ID, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": "text/plain"}, `{"description":"x"}`, http.StatusUnsupportedMediaType},
	} {
		status, h, body := e.Do(t, tc.method, tc.path, tc.headers, tc.body)
		require.Equal(t, tc.status, status, tc.method+" "+tc.path+": "+body)
		assert.Equal(t, tmf.MediaType, h.Get("Content-Type"), tc.method+" "+tc.path)
	}
	status, h, body = e.Do(t, http.MethodDelete, tmf.PathOrders+"/"+o.ID, auth(demoKey), "")
	require.Equal(t, http.StatusNoContent, status, body)
	assert.Empty(t, h.Get("Content-Type"))

	for _, ev := range l.wait(t, 5) { // create, completed, create, (inProgress,) partial, change, delete
		assert.Equal(t, tmf.MediaType, ev.ContentType, ev.Path)
	}
}

// A filtered list walks the partner's orders of this API: a bounded number
// of them, so that one request's cost does not grow with the partner's
// history. Past the bound the list is refused, saying how to read orders
// instead; an order is still read by its id, with GET or the id filter.
// The list without filters reads only its page, so it is not refused;
// nor is the cancellation list's id filter, which reads one order.
func TestListBound(t *testing.T) {
	e := resttest.New(t, demoSecret, func(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
		tmf.New(svc, eng, log, tmf.Options{MaxScan: 3}).Register(e)
	})
	var ids []string
	for range 3 {
		ids = append(ids, create(t, e, demoKey, `{"productOrderItem":[{"id":"1","action":"delete","product":{"id":"sub-404"}}]}`).ID)
	}
	for _, path := range []string{tmf.PathOrders, tmf.PathOrders + "?state=failed&limit=1", tmf.PathCancels} {
		status, _, body := e.Do(t, http.MethodGet, path, auth(demoKey), "")
		require.Equal(t, http.StatusOK, status, path+": "+body)
	}
	ids = append(ids, create(t, e, demoKey, `{"productOrderItem":[{"id":"1","action":"delete","product":{"id":"sub-404"}}]}`).ID)
	for _, path := range []string{tmf.PathOrders + "?externalId=x", tmf.PathOrders + "?state=failed&limit=1", tmf.PathOrders + "?orderDate=x&fields=state", tmf.PathCancels} {
		status, _, body := e.Do(t, http.MethodGet, path, auth(demoKey), "")
		require.Equal(t, http.StatusBadRequest, status, path+": "+body)
		var got tmf.Error
		require.NoError(t, json.Unmarshal([]byte(body), &got), body)
		assert.Equal(t, "TOO_MANY_ORDERS", got.Code, path)
		if path == tmf.PathOrders+"?externalId=x" {
			resttest.Golden(t, "tmf", "err_too_many_orders", []byte(body))
		}
	}
	status, h, body := e.Do(t, http.MethodGet, tmf.PathOrders+"?limit=2&fields=state", auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "4", h.Get("X-Total-Count"), "no filter: every order counted")
	assert.Equal(t, "2", h.Get("X-Result-Count"))
	status, h, body = e.Do(t, http.MethodGet, tmf.PathOrders+"?id="+ids[3], auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "1", h.Get("X-Total-Count"))
	status, h, body = e.Do(t, http.MethodGet, tmf.PathCancels+"?id=cancel-"+ids[3], auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body, "the id filter reads one order")
	assert.Equal(t, "0", h.Get("X-Total-Count"), "not cancelled")
	status, _, body = e.Do(t, http.MethodGet, tmf.PathOrders+"/"+ids[0], auth(demoKey), "")
	require.Equal(t, http.StatusOK, status, body)
	// Another partner's orders are not walked.
	status, _, body = e.Do(t, http.MethodGet, tmf.PathOrders+"?state=failed", auth(otherKey), "")
	require.Equal(t, http.StatusOK, status, body)
}

// The list without filters answers what a filtered walk matching every
// order answers (the same pages, counts and items, deleted orders left
// out) and goes on answering once the partner has more orders than a
// filtered list may walk. Its own bound, on the orders it counts, is
// far higher; past it the list is refused too.
func TestUnfilteredListPastScanBound(t *testing.T) {
	e := resttest.New(t, demoSecret, func(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
		tmf.New(svc, eng, log, tmf.Options{MaxScan: 4, MaxCount: 7}).Register(e)
	})
	failing := `{"productOrderItem":[{"id":"1","action":"delete","product":{"id":"sub-404"}}]}`
	var ids []string
	add := func(n int) {
		for range n {
			id := create(t, e, demoKey, failing).ID
			settle(t, e, id) // failed, so that a page does not change between reads
			ids = append(ids, id)
		}
	}
	list := func(query string) (int, string, string, []map[string]any) {
		t.Helper()
		status, h, body := e.Do(t, http.MethodGet, tmf.PathOrders+query, auth(demoKey), "")
		var items []map[string]any
		if status == http.StatusOK {
			require.NoError(t, json.Unmarshal([]byte(body), &items), body)
		}
		return status, h.Get("X-Total-Count"), h.Get("X-Result-Count"), items
	}
	idsOf := func(items []map[string]any) []string {
		out := []string{}
		for _, it := range items {
			out = append(out, it["id"].(string))
		}
		return out
	}
	pages := []string{"", "?limit=2", "?offset=1&limit=2", "?offset=2&limit=2", "?offset=3&limit=5", "?offset=4",
		"?offset=9&limit=1", "?limit=100&fields=state", "?offset=1&limit=1&fields=orderDate,state"}

	add(5)
	status, _, _ := e.Do(t, http.MethodDelete, tmf.PathOrders+"/"+ids[1], auth(demoKey), "")
	require.Equal(t, http.StatusNoContent, status)
	live := append([]string{ids[0]}, ids[2:]...)

	// Four orders left: the filtered walk still reads them all, and its
	// filter matches every one of them.
	for _, page := range pages {
		filtered := "?state=failed"
		if page != "" {
			filtered += "&" + page[1:]
		}
		ws, wt, wr, want := list(filtered)
		require.Equal(t, http.StatusOK, ws, filtered)
		gs, gt, gr, got := list(page)
		require.Equal(t, http.StatusOK, gs, page)
		assert.Equal(t, "4", gt, page)
		assert.Equal(t, wt, gt, page)
		assert.Equal(t, wr, gr, page)
		assert.Equal(t, want, got, page)
	}
	_, _, _, all := list("")
	assert.Equal(t, live, idsOf(all), "submission order, the deleted order left out")

	// Seven orders: past the walk's bound, not past the count's.
	add(3)
	live = append(live, ids[5:]...)
	status, _, _, _ = list("?state=failed")
	assert.Equal(t, http.StatusBadRequest, status, "a filtered list walks at most MaxScan orders")
	for _, tc := range []struct {
		query string
		ids   []string
	}{
		{"", live},
		{"?limit=3", live[:3]},
		{"?offset=3&limit=3", live[3:6]},
		{"?offset=6&limit=3", live[6:]},
		{"?offset=7", []string{}},
	} {
		status, total, count, items := list(tc.query)
		require.Equal(t, http.StatusOK, status, tc.query)
		assert.Equal(t, "7", total, tc.query)
		assert.Equal(t, strconv.Itoa(len(tc.ids)), count, tc.query)
		assert.Equal(t, tc.ids, idsOf(items), tc.query)
	}
	// Each item is the order as read by its id.
	for _, it := range all {
		status, _, body := e.Do(t, http.MethodGet, tmf.PathOrders+"/"+it["id"].(string), auth(demoKey), "")
		require.Equal(t, http.StatusOK, status, body)
		var one map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &one), body)
		assert.Equal(t, one, it)
	}

	// Eight: past the count's bound too.
	add(1)
	status, _, body := e.Do(t, http.MethodGet, tmf.PathOrders+"?limit=1", auth(demoKey), "")
	require.Equal(t, http.StatusBadRequest, status, body)
	var got tmf.Error
	require.NoError(t, json.Unmarshal([]byte(body), &got), body)
	assert.Equal(t, "TOO_MANY_ORDERS", got.Code)
	assert.Contains(t, got.Message, "counts at most 7 orders")
}

// An operator reading the log learns who was refused and why, in core's
// words (which name the order), and who cancelled, changed or deleted an
// order.
func TestOperatorLogs(t *testing.T) {
	logs := &resttest.LogBuffer{}
	e := resttest.NewWith(t, resttest.Options{Secret: demoSecret, Log: slog.New(slog.NewJSONHandler(logs, nil))}, mount)
	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_line"))
	settle(t, e, o.ID)
	status, _, body := e.Do(t, http.MethodPost, tmf.PathCancels, auth(demoKey), `{"productOrder":{"id":"`+o.ID+`"}}`)
	require.Equal(t, http.StatusConflict, status, body)
	refused := logs.Lines(t, "tmf request refused")
	require.Len(t, refused, 1)
	assert.Equal(t, "demo-reseller", refused[0]["partner"])
	assert.Equal(t, "ORDER_NOT_CANCELLABLE", refused[0]["code"])
	assert.Contains(t, refused[0]["error"], o.ID, "core's message names the order")

	status, _, body = e.Do(t, http.MethodPatch, tmf.PathOrders+"/"+o.ID, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": tmf.MergePatch}, `{"description":"x"}`)
	require.Equal(t, http.StatusOK, status, body)
	status, _, body = e.Do(t, http.MethodDelete, tmf.PathOrders+"/"+o.ID, auth(demoKey), "")
	require.Equal(t, http.StatusNoContent, status, body)
	changed := logs.Lines(t, "tmf order changed")
	require.Len(t, changed, 2)
	for i, change := range []string{"patch description", "delete"} {
		assert.Equal(t, "demo-reseller", changed[i]["partner"])
		assert.Equal(t, o.ID, changed[i]["tx"])
		assert.Equal(t, change, changed[i]["change"])
	}
}

// Behind its public base URL (serve --base-url), every href, every
// Location and every event names its resource absolutely: a listener has
// no request to resolve a relative href against. Without one, hrefs are
// paths of this server, as served.
func TestBaseURL(t *testing.T) {
	const base = "https://api.example.com"
	e := resttest.New(t, demoSecret, func(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
		tmf.New(svc, eng, log, tmf.Options{AllowPrivateCallbacks: true, BaseURL: base + "/"}).Register(e)
	})
	l := newListener(t)
	status, h, body := e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+l.srv.URL+`"}`)
	require.Equal(t, http.StatusCreated, status, body)
	var hub tmf.Hub
	require.NoError(t, json.Unmarshal([]byte(body), &hub))
	assert.Equal(t, base+tmf.PathHubs+"/"+hub.ID, h.Get("Location"))

	status, h, body = e.Do(t, http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "create_line"))
	require.Equal(t, http.StatusCreated, status, body)
	o := parseOrder(t, body)
	href := base + tmf.PathOrders + "/" + o.ID
	assert.Equal(t, href, o.Href)
	assert.Equal(t, href, h.Get("Location"))
	_, _, body = e.Do(t, http.MethodGet, tmf.PathOrders+"?fields=id", auth(demoKey), "")
	assert.JSONEq(t, `[{"id":"`+o.ID+`","href":"`+href+`"}]`, body)
	for _, ev := range l.wait(t, 2) {
		assert.Equal(t, href, ev.Body["event"].(map[string]any)["productOrder"].(map[string]any)["href"], ev.Path)
	}

	paused := resttest.NewWith(t, resttest.Options{Secret: demoSecret, Paused: true}, func(e *echo.Echo, svc *core.Service, eng *core.Engine, log *slog.Logger) {
		tmf.New(svc, eng, log, tmf.Options{BaseURL: base}).Register(e)
	})
	waiting := create(t, paused, demoKey, resttest.ReadCase(t, "tmf", "create_line"))
	status, h, body = paused.Do(t, http.MethodPost, tmf.PathCancels, auth(demoKey), `{"productOrder":{"id":"`+waiting.ID+`"}}`)
	require.Equal(t, http.StatusCreated, status, body)
	var c tmf.CancelProductOrder
	require.NoError(t, json.Unmarshal([]byte(body), &c))
	assert.Equal(t, base+tmf.PathCancels+"/"+c.ID, c.Href)
	assert.Equal(t, c.Href, h.Get("Location"))
	assert.Equal(t, base+tmf.PathOrders+"/"+waiting.ID, c.ProductOrder.Href)
}

// Merge patches of one order at the same moment each apply to the order as
// the previous one left it: none is lost, and each is one event.
func TestConcurrentPatches(t *testing.T) {
	e := newEnv(t)
	l := newListener(t)
	status, _, body := e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+l.srv.URL+`","query":"eventType=ProductOrderAttributeValueChangeEvent"}`)
	require.Equal(t, http.StatusCreated, status, body)
	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_line"))
	patches := []string{`{"description":"d"}`, `{"category":"c"}`, `{"notificationContact":"n"}`, `{"priority":"3"}`, `{"requestedStartDate":"2026-03-01T00:00:00Z"}`, `{"@baseType":"ProductOrder"}`}
	var wg sync.WaitGroup
	statuses := make([]int, len(patches))
	for i, p := range patches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _, _ = e.Do(t, http.MethodPatch, tmf.PathOrders+"/"+o.ID, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": tmf.MergePatch}, p)
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		assert.Equal(t, http.StatusOK, s, patches[i])
	}
	_, _, body = e.Do(t, http.MethodGet, tmf.PathOrders+"/"+o.ID+"?fields=description,category,notificationContact,priority,requestedStartDate,@baseType", auth(demoKey), "")
	assert.JSONEq(t, `{"id":"`+o.ID+`","href":"`+o.Href+`","description":"d","category":"c","notificationContact":"n","priority":"3",
		"requestedStartDate":"2026-03-01T00:00:00Z","@baseType":"ProductOrder"}`, body)
	evs := l.wait(t, len(patches))
	ids := map[any]bool{}
	for _, ev := range evs {
		ids[ev.Body["eventId"]] = true
	}
	assert.Len(t, ids, len(patches), "one event each, with its own id")
}

// Every state of the specification's ProductOrderStateType is a valid
// filter, also those simgate never gives an order: they match nothing.
func TestStateFilter(t *testing.T) {
	e := newEnv(t)
	settle(t, e, create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_line")).ID)
	for state, want := range map[string]string{"completed": "1", "acknowledged": "0", "rejected": "0", "pending": "0", "held": "0",
		"assessingCancellation": "0", "pendingCancellation": "0"} {
		status, h, body := e.Do(t, http.MethodGet, tmf.PathOrders+"?fields=id&state="+state, auth(demoKey), "")
		require.Equal(t, http.StatusOK, status, state+": "+body)
		assert.Equal(t, want, h.Get("X-Total-Count"), state)
	}
	status, _, body := e.Do(t, http.MethodGet, tmf.PathOrders+"?state=Completed", auth(demoKey), "")
	assert.Equal(t, http.StatusBadRequest, status, "not a state of the specification: "+body)
}

// A hub registration sent again (the first answer was lost) is the same
// hub: the listener gets each event once.
func TestHubRegisteredTwice(t *testing.T) {
	e := newEnv(t)
	l := newListener(t)
	var ids []string
	for range 2 {
		status, h, body := e.Do(t, http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+l.srv.URL+`"}`)
		require.Equal(t, http.StatusCreated, status, body)
		var hub tmf.Hub
		require.NoError(t, json.Unmarshal([]byte(body), &hub))
		assert.Equal(t, tmf.PathHubs+"/"+hub.ID, h.Get("Location"))
		ids = append(ids, hub.ID)
	}
	assert.Equal(t, ids[0], ids[1])
	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_line"))
	settle(t, e, o.ID)
	l.wait(t, 2)
	time.Sleep(50 * time.Millisecond) // nothing more comes
	got, _ := l.received()
	assert.Len(t, got, 2, "create and completed, once each")
}

// simgate runs an order when it acknowledges it: an order asking to start
// later is refused rather than run early, at create and by patch. A start
// now, or a few minutes ahead (clocks differ), is taken.
func TestRequestedStartDate(t *testing.T) {
	e := newEnv(t) // the clock reads 2026-03-29T14:38:11Z
	order := func(start string) string {
		return `{"requestedStartDate":"` + start + `","productOrderItem":[{"id":"1","action":"delete","product":{"id":"sub-404"}}]}`
	}
	status, _, body := e.Do(t, http.MethodPost, tmf.PathOrders, auth(demoKey), order("2026-04-01T00:00:00Z"))
	require.Equal(t, http.StatusBadRequest, status, body)
	resttest.Golden(t, "tmf", "err_start_later", []byte(body))
	o := create(t, e, demoKey, order("2026-03-29T14:40:00Z"))
	create(t, e, demoKey, order("2026-01-01T00:00:00+01:00"))
	status, _, body = e.Do(t, http.MethodPatch, tmf.PathOrders+"/"+o.ID, map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": tmf.MergePatch},
		`{"requestedStartDate":"2026-04-01T00:00:00Z"}`)
	require.Equal(t, http.StatusBadRequest, status, body)
	assert.Contains(t, body, "REQUESTED_START_NOT_SUPPORTED")
}

// The API key is read as RFC 9110 has it (the scheme in any case), and two
// Authorization lines, which name no one key, are refused.
func TestBearerScheme(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		lines  []string
		status int
	}{
		{[]string{"bearer " + demoKey}, http.StatusOK},
		{[]string{"BEARER " + demoKey}, http.StatusOK},
		{[]string{"Bearer " + demoKey, "Bearer " + demoKey}, http.StatusUnauthorized},
		{[]string{"Bearer " + demoKey, "Bearer wrong"}, http.StatusUnauthorized},
	} {
		req, err := http.NewRequest(http.MethodGet, e.URL+tmf.PathOrders, nil)
		require.NoError(t, err)
		for _, l := range tc.lines {
			req.Header.Add("Authorization", l)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		assert.Equal(t, tc.status, res.StatusCode, "%q", tc.lines)
	}
}
