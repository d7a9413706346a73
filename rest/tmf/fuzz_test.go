package tmf_test

import (
	"net/http"
	"testing"

	"simgate/rest/jsonx"
	"simgate/rest/resttest"
	"simgate/rest/tmf"
)

// FuzzTMF posts each input as a product order, as demo-reseller, through
// the echo handler (without the recovering middleware: a panic fails the
// fuzz run) over one sandbox database, seeded with every request file of
// testdata/tmf. Orders are stored, never executed: the engine does not run.
//
//	go test ./rest/tmf -run '^$' -fuzz '^FuzzTMF$' -fuzztime 60s
func FuzzTMF(f *testing.F) {
	e := resttest.Fuzzer(f, "tmf", mount)
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := resttest.Serve(e, http.MethodPost, tmf.PathOrders, auth(demoKey), data)
		body := rec.Body.Bytes()
		switch rec.Code {
		case http.StatusCreated:
			var o tmf.ProductOrder
			if err := jsonx.Decode(body, &o, jsonx.Limits{}); err != nil || o.ID == "" || o.State != "acknowledged" || len(o.ProductOrderItem) == 0 {
				t.Fatalf("201 without an acknowledged order (%v): %s", err, body)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			var e tmf.Error
			if err := jsonx.Decode(body, &e, jsonx.Limits{}); err != nil || e.Code == "" || e.Reason == "" || e.Status == "" {
				t.Fatalf("%d without a TMF Error (%v): %s", rec.Code, err, body)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, body)
		}
	})
}
