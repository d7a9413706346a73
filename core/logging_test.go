package core_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"simgate/core"
)

// LogAttrs writes what log.LogAttrs writes, but for the caller's source,
// and nothing below the handler's level.
func TestLogAttrs(t *testing.T) {
	var got, want bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	log, ref := slog.New(slog.NewTextHandler(&got, opts)), slog.New(slog.NewTextHandler(&want, opts))
	ctx := context.Background()
	core.LogAttrs(ctx, log, slog.LevelInfo, "transaction executed", slog.String("tx", "t-1"), slog.Int("items", 2))
	ref.LogAttrs(ctx, slog.LevelInfo, "transaction executed", slog.String("tx", "t-1"), slog.Int("items", 2))
	assert.Equal(t, want.String(), got.String())
	assert.Equal(t, "level=INFO msg=\"transaction executed\" tx=t-1 items=2\n", got.String())

	got.Reset()
	core.LogAttrs(ctx, log, slog.LevelDebug, "hidden", slog.String("tx", "t-2"))
	assert.Empty(t, got.String())
}
