// Package rest holds what simgate's HTTP front ends share: request ids,
// access logs and panic recovery. The partner REST APIs live in its
// sub-packages.
package rest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"

	"simgate/core"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id"

// validID accepts 1 to 64 printable ASCII characters without spaces.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// NewID answers 16 random bytes in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ClientIP answers the address of the client: the TCP peer, unless the
// server has an IPExtractor (serve --trust-proxy), which may take it from
// X-Forwarded-For. Echo's own RealIP would read that header from anyone.
func ClientIP(c echo.Context) string {
	if e := c.Echo(); e != nil && e.IPExtractor != nil {
		return e.IPExtractor(c.Request())
	}
	addr := c.Request().RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// RequestLog tags every request with an id (the caller's X-Request-Id when
// well-formed, else a new one), echoes it, puts it in the context for every
// log line, puts the client address (ClientIP) in the context for the login
// throttle, recovers panics as 500s and writes one access line per request.
func RequestLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			start := time.Now()
			req := c.Request()
			id := req.Header.Get(HeaderRequestID)
			if !validID(id) {
				id = NewID()
			}
			c.Response().Header().Set(HeaderRequestID, id)
			ctx := core.WithClientIP(core.WithRequestID(req.Context(), id), ClientIP(c))
			c.SetRequest(req.WithContext(ctx))
			defer func() {
				if p := recover(); p != nil {
					log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					if !c.Response().Committed {
						err = c.JSON(http.StatusInternalServerError, map[string]string{"error": "Internal error"})
					}
				}
				if err != nil {
					c.Error(err)
					err = nil
				}
				res := c.Response()
				// The handler may have added to the context (a correlation id).
				core.LogAttrs(c.Request().Context(), log, slog.LevelInfo, "request",
					slog.String("method", req.Method),
					slog.String("path", req.URL.Path),
					slog.Int("status", res.Status),
					slog.Int64("bytes", res.Size),
					slog.Duration("duration", time.Since(start)),
					slog.String("remote", req.RemoteAddr),
				)
			}()
			return next(c)
		}
	}
}
