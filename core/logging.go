package core

import (
	"context"
	"log/slog"
	"time"
)

// LogAttrs is log.LogAttrs without the caller's program counter, for the
// lines written on every request, execution and delivery: slog.Logger
// walks the stack for it on every record (runtime.Callers, about 1.5% of
// the server's CPU under load), and simgate's handlers never print it.
func LogAttrs(ctx context.Context, log *slog.Logger, level slog.Level, msg string, attrs ...slog.Attr) {
	h := log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	_ = h.Handle(ctx, r)
}
