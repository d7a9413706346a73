package callback_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"simgate/core"
	"simgate/rest/callback"
)

// BenchmarkSend is one signed MVNX notification to a partner answering
// the acknowledgement, over a kept-alive loopback connection; it fails if
// the sender opens more than one connection.
func BenchmarkSend(b *testing.B) {
	srv, conns := countingServer(b, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"RequestAcknowledgement":{"Response":{"code":"0","description":"Success"}}}`)
	})
	s := callback.New(callback.Options{AllowPrivate: true})
	defer s.CloseIdleConnections()
	d := core.Delivery{ID: "msg_2KWPBgLlAfxdpx2AI54pPJ85f1W", Partner: "p1", TxID: "tx1", Event: "tx.finished",
		URL: srv.URL + "/mvnx/callback", Body: []byte(strings.Repeat(`{"Notification":"x"}`, 40)), Accept: core.AcceptMVNXAck}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := s.Send(ctx, d, secret); !r.Delivered {
			b.Fatalf("not delivered: %+v", r)
		}
	}
	if n := conns.Load(); n != 1 {
		b.Fatalf("%d connections for one sequential sender, want 1", n)
	}
}
