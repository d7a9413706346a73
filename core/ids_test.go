package core_test

import (
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
)

var uuidText = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// A transaction id is a version 7 UUID: its time is the submission's
// millisecond, later ids sort after earlier ones, and the rest is random.
func TestTimeUUID(t *testing.T) {
	at := time.Date(2026, 11, 25, 20, 30, 0, 123_000_000, time.UTC)
	var ids []string
	seen := map[string]bool{}
	for i := range 200 {
		id, err := core.RandomIDs{}.TimeUUID(at.Add(time.Duration(i/20) * time.Millisecond))
		require.NoError(t, err)
		require.Regexp(t, uuidText, id)
		assert.Equal(t, byte('7'), id[14], "version of %s", id)
		assert.Contains(t, "89ab", string(id[19]), "variant of %s", id)
		raw, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
		require.NoError(t, err)
		var ms int64
		for _, b := range raw[:6] {
			ms = ms<<8 | int64(b)
		}
		assert.Equal(t, at.Add(time.Duration(i/20)*time.Millisecond).UnixMilli(), ms, id)
		assert.False(t, seen[id], "drawn twice: %s", id)
		seen[id] = true
		ids = append(ids, id)
	}
	for i := 20; i < len(ids); i++ {
		if i%20 == 0 {
			assert.Less(t, ids[i-1], ids[i], "an id of a later millisecond sorts after")
		}
	}
	v4, err := core.RandomIDs{}.UUID()
	require.NoError(t, err)
	assert.Regexp(t, uuidText, v4)
	assert.Equal(t, byte('4'), v4[14])
}
