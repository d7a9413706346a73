package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"simgate/rest"
	"simgate/rest/metrics"
)

// BenchmarkRequestPath is the HTTP server side of an acknowledgement
// without the front end's work: the metrics and access-log middleware as
// newServer stacks them, a handler writing one event line, the text
// logger writing to a discarding writer.
func BenchmarkRequestPath(b *testing.B) {
	log, err := newLogger(io.Discard, "text", "info")
	if err != nil {
		b.Fatal(err)
	}
	e := echo.New()
	m := metrics.New()
	e.Use(m.Middleware(e))
	e.Use(rest.RequestLog(log))
	ack := []byte(strings.Repeat("x", 474))
	e.POST("/ActivateSubscriberReseller", func(c echo.Context) error {
		ctx := c.Request().Context()
		log.InfoContext(ctx, "activation accepted", "partner", "bench-reseller", "message_id", "bench-1",
			"tx", "0b5f8a4c-2d0e-4f7e-9a43-6c1f3e2b7d10", "subscribers", 1, "replayed", false, "conversation_id", "c-1")
		return c.JSONBlob(http.StatusOK, ack)
	})
	body := []byte(`{"a":1}`)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/ActivateSubscriberReseller", bytes.NewReader(body))
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
