package mvnx_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"simgate/rest/mvnx"
	"simgate/rest/resttest"
)

// BenchmarkActivateReplay is the acknowledgement path of an activation
// (read, strict decode, validation, credential check from the cache,
// idempotent Submit, response) without the store write: the same request,
// sent again, is answered with its stored acknowledgement. The client's
// work over the loopback keep-alive connection is included.
func BenchmarkActivateReplay(b *testing.B) {
	e := resttest.New(b, demoSecret, mount)
	body := strings.ReplaceAll(resttest.ReadCase(b, "mvnx", "new_device_provided_number"), placeholder, e.ReturnURL)
	post := func() {
		res, err := http.Post(e.URL+mvnx.Path, "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	post()
	b.ReportAllocs()
	for b.Loop() {
		post()
	}
}
