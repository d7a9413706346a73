package store_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/store"
)

// importLines imports records given as Go values, one JSON line each.
func importLines(t *testing.T, db *store.DB, recs ...map[string]any) (store.ImportStats, error) {
	t.Helper()
	var buf bytes.Buffer
	for _, r := range recs {
		line, err := json.Marshal(r)
		require.NoError(t, err)
		buf.Write(append(line, '\n'))
	}
	return store.Import(ctx, db, store.Bcrypt{Cost: 4}, &buf)
}

func partner(t *testing.T, db *store.DB, id core.PartnerID) (core.Partner, bool) {
	t.Helper()
	var p core.Partner
	var ok bool
	view(t, db, func(tx core.Tx) (err error) {
		p, ok, err = tx.Partner(id)
		return err
	})
	return p, ok
}

func TestImportPlan(t *testing.T) {
	db := openDB(t)
	stats, err := importLines(t, db,
		map[string]any{"kind": "plan", "code": "PLAN-A", "partners": []string{"demo-rsp", "other-rsp"}, "offerings": []string{"o1", "o2"}},
		map[string]any{"kind": "plan", "code": "PLAN-B"},
	)
	require.NoError(t, err)
	assert.Equal(t, 2, stats.Records["plan"])
	view(t, db, func(tx core.Tx) error {
		p, ok, err := tx.Plan("PLAN-A")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.Plan{Code: "PLAN-A", Partners: []core.PartnerID{"demo-rsp", "other-rsp"}, Offerings: []string{"o1", "o2"}}, p)
		p, ok, err = tx.Plan("PLAN-B")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.Plan{Code: "PLAN-B"}, p)
		return nil
	})

	for name, tc := range map[string]struct {
		rec  map[string]any
		want string
	}{
		"no code":       {map[string]any{"kind": "plan", "partners": []string{"p"}}, "code is required"},
		"count":         {map[string]any{"kind": "plan", "code": "PLAN-C", "count": 2}, "count is not allowed"},
		"unknown field": {map[string]any{"kind": "plan", "code": "PLAN-C", "price": 10}, `unknown field "price"`},
	} {
		_, err := importLines(t, db, tc.rec)
		assert.ErrorContains(t, err, "line 1", name)
		assert.ErrorContains(t, err, tc.want, name)
	}
	view(t, db, func(tx core.Tx) error {
		_, ok, err := tx.Plan("PLAN-C")
		assert.False(t, ok)
		return err
	})
}

func secret(n int) string {
	return "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xA5}, n))
}

func TestImportPartnerWebhook(t *testing.T) {
	db := openDB(t)
	_, err := importLines(t, db,
		map[string]any{"kind": "partner", "id": "given", "webhook_secret": secret(24), "callback_url": "https://partner.example/hooks?x=1"},
		map[string]any{"kind": "partner", "id": "max", "webhook_secret": secret(64), "callback_url": "HTTP://10.0.0.1:8080/cb"},
		map[string]any{"kind": "partner", "id": "gen1"},
		map[string]any{"kind": "partner", "id": "gen2"},
	)
	require.NoError(t, err)
	p, _ := partner(t, db, "given")
	assert.Equal(t, secret(24), p.WebhookSecret)
	assert.Equal(t, "https://partner.example/hooks?x=1", p.CallbackURL)
	p, _ = partner(t, db, "max")
	assert.Equal(t, secret(64), p.WebhookSecret)

	// A partner without a secret gets a fresh one of 32 random bytes.
	gen1, _ := partner(t, db, "gen1")
	gen2, _ := partner(t, db, "gen2")
	assert.Empty(t, gen1.CallbackURL)
	for _, s := range []string{gen1.WebhookSecret, gen2.WebhookSecret} {
		enc, ok := strings.CutPrefix(s, "whsec_")
		require.True(t, ok, s)
		key, err := base64.StdEncoding.DecodeString(enc)
		require.NoError(t, err)
		assert.Len(t, key, 32)
	}
	assert.NotEqual(t, gen1.WebhookSecret, gen2.WebhookSecret)

	// Importing the file again keeps generated secrets; a given one replaces them.
	_, err = importLines(t, db,
		map[string]any{"kind": "partner", "id": "gen1", "name": "Gen 1"},
		map[string]any{"kind": "partner", "id": "gen2", "webhook_secret": secret(32)},
	)
	require.NoError(t, err)
	p, _ = partner(t, db, "gen1")
	assert.Equal(t, gen1.WebhookSecret, p.WebhookSecret)
	assert.Equal(t, "Gen 1", p.Name)
	p, _ = partner(t, db, "gen2")
	assert.Equal(t, secret(32), p.WebhookSecret)

	raw32 := base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	for name, tc := range map[string]struct {
		field, value string
	}{
		"no prefix":        {"webhook_secret", strings.TrimPrefix(secret(32), "whsec_")},
		"other prefix":     {"webhook_secret", "whsek_" + strings.TrimPrefix(secret(32), "whsec_")},
		"prefix only":      {"webhook_secret", "whsec_"},
		"not base64":       {"webhook_secret", "whsec_" + strings.Repeat("!", 44)},
		"unpadded":         {"webhook_secret", "whsec_" + raw32},
		"url alphabet":     {"webhook_secret", "whsec_" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xFB}, 32))},
		"line break":       {"webhook_secret", secret(32)[:20] + "\n" + secret(32)[20:]},
		"too short":        {"webhook_secret", secret(23)},
		"too long":         {"webhook_secret", secret(65)},
		"ftp":              {"callback_url", "ftp://partner.example/hooks"},
		"relative":         {"callback_url", "/hooks"},
		"no scheme":        {"callback_url", "partner.example/hooks"},
		"no host":          {"callback_url", "https:///hooks"},
		"port only":        {"callback_url", "http://:8080/hooks"},
		"opaque":           {"callback_url", "https:partner.example"},
		"javascript":       {"callback_url", "javascript:alert(1)"},
		"malformed escape": {"callback_url", "https://partner.example/%zz"},
	} {
		_, err := importLines(t, db, map[string]any{"kind": "partner", "id": "bad", tc.field: tc.value})
		assert.ErrorContains(t, err, "line 1: partner: "+tc.field, name)
	}
	_, ok := partner(t, db, "bad")
	assert.False(t, ok, "no invalid partner was stored")
}
