package tmf_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"simgate/rest/resttest"
	"simgate/rest/tmf"
)

// Real requests and answers of every operation conform to the document.
func TestOpenAPIDescribesTheHandlers(t *testing.T) {
	c := resttest.CheckOpenAPI(t, tmf.Describe)
	e := newEnv(t)
	l := newListener(t)
	merge := map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": tmf.MergePatch}
	check := func(method, path string, headers map[string]string, body string, conforms bool) string {
		t.Helper()
		status, h, answer := e.Do(t, method, path, headers, body)
		err := c.Check(t, resttest.Exchange{Method: method, Path: path, Header: headers, Body: body, Status: status, AnswerHeader: h, Answer: answer})
		if conforms {
			require.NoError(t, err, "%s %s", method, path)
		} else {
			require.Error(t, err, "the document refuses what the handler refuses: %s %s", method, path)
		}
		return answer
	}
	hub := check(http.MethodPost, tmf.PathHubs, auth(demoKey), `{"callback":"`+l.srv.URL+`","query":"eventType=ProductOrderStateChangeEvent"}`, true)
	var h tmf.Hub
	require.NoError(t, json.Unmarshal([]byte(hub), &h))
	o := create(t, e, demoKey, resttest.ReadCase(t, "tmf", "create_mixed"))
	check(http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "create_line"), true)
	check(http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "ctk_default"), true)
	check(http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "err_item_rules"), false)
	check(http.MethodPost, tmf.PathOrders, auth(demoKey), resttest.ReadCase(t, "tmf", "err_unknown_field"), false)
	plain := map[string]string{"Authorization": "Bearer " + demoKey, "Content-Type": "text/plain"}
	check(http.MethodPost, tmf.PathOrders, plain, resttest.ReadCase(t, "tmf", "create_line"), false)
	check(http.MethodPost, tmf.PathHubs, plain, `{"callback":"https://example.com/x"}`, false)
	settle(t, e, o.ID)
	check(http.MethodGet, tmf.PathOrders, auth(demoKey), "", true)
	check(http.MethodGet, tmf.PathOrders+"?fields=state&state=partial&offset=0&limit=10", auth(demoKey), "", true)
	check(http.MethodGet, tmf.PathOrders+"?limit=5000", auth(demoKey), "", false)
	check(http.MethodGet, tmf.PathOrders+"/"+o.ID, auth(demoKey), "", true)
	check(http.MethodGet, tmf.PathOrders+"/"+o.ID+"?fields=state", auth(demoKey), "", true)
	check(http.MethodGet, tmf.PathOrders+"/unknown", auth(demoKey), "", true)
	check(http.MethodGet, tmf.PathOrders, auth("not-a-key"), "", true)
	check(http.MethodPatch, tmf.PathOrders+"/"+o.ID, merge, `{"description":"renamed","note":null}`, true)
	check(http.MethodPatch, tmf.PathOrders+"/"+o.ID, merge, `{"state":"completed"}`, false)
	check(http.MethodPost, tmf.PathCancels, auth(demoKey), `{"productOrder":{"id":"`+o.ID+`"}}`, true)
	check(http.MethodGet, tmf.PathCancels, auth(demoKey), "", true)
	check(http.MethodGet, tmf.PathCancels+"/cancel-"+o.ID, auth(demoKey), "", true)
	check(http.MethodDelete, tmf.PathOrders+"/"+o.ID, auth(demoKey), "", true)
	check(http.MethodDelete, tmf.PathOrders+"/"+o.ID, auth(demoKey), "", true)
	check(http.MethodDelete, tmf.PathHubs+"/"+h.ID, auth(demoKey), "", true)
	check(http.MethodDelete, tmf.PathHubs+"/"+h.ID, auth(demoKey), "", true)
}
