package callback_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/rest/callback"
)

func fixed(v float64) func() float64 { return func() float64 { return v } }

func TestScheduleNext(t *testing.T) {
	s := callback.DefaultSchedule
	require.Len(t, s, 8)

	// After the first failure the second entry applies: 5s ±20%.
	for _, tc := range []struct {
		rnd  float64
		want time.Duration
	}{{0, 4 * time.Second}, {0.5, 5 * time.Second}, {0.999999, 6 * time.Second}} {
		w, ok := s.Next(1, 0, fixed(tc.rnd))
		require.True(t, ok)
		assert.InDelta(t, float64(tc.want), float64(w), float64(time.Millisecond))
	}
	// Random jitter stays within bounds.
	for range 1000 {
		w, ok := s.Next(4, 0, nil)
		require.True(t, ok)
		assert.GreaterOrEqual(t, w, 96*time.Minute)
		assert.Less(t, w, 144*time.Minute)
	}
	// The partner's Retry-After is a floor, not a replacement.
	w, _ := s.Next(1, time.Minute, fixed(0.5))
	assert.Equal(t, time.Minute, w)
	w, _ = s.Next(2, time.Second, fixed(0.5))
	assert.Equal(t, 5*time.Minute, w)

	w, ok := s.Next(7, 0, fixed(0.5))
	assert.True(t, ok)
	assert.Equal(t, 10*time.Hour, w)
	_, ok = s.Next(8, time.Hour, fixed(0.5))
	assert.False(t, ok, "8 attempts made: dead letter")
	_, ok = callback.Schedule{}.Next(0, 0, nil)
	assert.False(t, ok)

	// Attempt 0 (none yet) answers the first entry.
	w, ok = s.Next(0, 0, fixed(0.9))
	assert.True(t, ok)
	assert.Zero(t, w)
}

func TestParseSchedule(t *testing.T) {
	s, err := callback.ParseSchedule("0s, 5s,5m ,1h30m")
	require.NoError(t, err)
	assert.Equal(t, callback.Schedule{0, 5 * time.Second, 5 * time.Minute, 90 * time.Minute}, s)

	again, err := callback.ParseSchedule(callback.DefaultSchedule.String())
	require.NoError(t, err)
	assert.Equal(t, callback.DefaultSchedule, again)

	for _, bad := range []string{"", "  ", "5s,,5m", "5", "5s,soon", "-5s", "0s,"} {
		_, err := callback.ParseSchedule(bad)
		assert.Error(t, err, bad)
	}
}
