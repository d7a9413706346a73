package flolive_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/flolive"
)

// putKeyed sends a PUT as Acme (or the given API key) with the
// Idempotency-Key header carrying each of keys as a header line of its
// own (none: no header; "": an empty one).
func (e *env) putKeyed(t *testing.T, apiKey, path, body string, keys ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, e.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	if keys != nil {
		req.Header[flolive.HeaderIdempotencyKey] = keys
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return res.StatusCode, mustRead(t, res)
}

// stored counts the requests the front end stored as new transactions
// (replays write no such line).
func (e *env) stored(t *testing.T) int {
	t.Helper()
	return len(e.logs.Lines(t, "flolive request accepted"))
}

// A single move retried with its Idempotency-Key after it ran answers the
// first ACK again, byte for byte, instead of refusing the move as no
// longer eligible; polling its requestId reads the first request's status.
func TestIdempotencyKeyReplaysMove(t *testing.T) {
	e := newEnv(t)
	path := movePath("iccid", simICCID(4))
	status, first := e.putKeyed(t, acmeKey, path, moveBody(sparta), "retry-4711")
	id := accepted(t, status, first)
	golden(t, "move_idempotent", first)
	require.Equal(t, flolive.StatusSuccess, e.wait(t, acmeKey, id).Status)

	// After the move ran, the same request (the UUID in either case is the
	// same request) answers the first ACK.
	for _, body := range []string{moveBody(sparta), moveBody(strings.ToUpper(sparta)), readCase(t, "move_document_example")} {
		status, again := e.putKeyed(t, acmeKey, path, body, "retry-4711")
		assert.Equal(t, http.StatusOK, status, again)
		assert.Equal(t, first, again, "the first ACK, byte for byte")
	}
	assert.Equal(t, flolive.CallStatus{Status: flolive.StatusSuccess}, e.wait(t, acmeKey, id))
	assert.Equal(t, 1, e.stored(t), "one transaction")
	tx, err := e.Svc.Transaction(context.Background(), "acme", id)
	require.NoError(t, err)
	assert.Equal(t, "retry-4711", tx.PartnerTxID)
	assert.Equal(t, sparta, e.visible(t, "iccid", simICCID(4)))
	assert.Len(t, e.logs.Lines(t, "flolive request replayed"), 3)
}

// A bulk move retried with its key answers the first answer (its
// requestId, its accepted count and its refused items) even though every
// item is now in its target.
func TestIdempotencyKeyReplaysBulkMove(t *testing.T) {
	e := newEnv(t)
	status, first := e.putKeyed(t, acmeKey, flolive.PathBulkMove, readCase(t, "bulk_mixed"), "bulk-1")
	require.Equal(t, http.StatusOK, status, first)
	golden(t, "bulk_idempotent", first)
	res := content[flolive.BulkResult](t, first)
	require.Equal(t, flolive.StatusSuccess, e.wait(t, acmeKey, res.RequestID).Status)

	status, again := e.putKeyed(t, acmeKey, flolive.PathBulkMove, readCase(t, "bulk_mixed"), "bulk-1")
	assert.Equal(t, http.StatusOK, status, again)
	assert.Equal(t, first, again, "the first answer, byte for byte")
	assert.Equal(t, flolive.CallStatus{Status: flolive.StatusSuccess}, e.wait(t, acmeKey, res.RequestID))
	assert.Equal(t, 1, e.stored(t), "one transaction")
	assert.Equal(t, sparta, e.visible(t, "iccid", simICCID(4)))
	assert.Equal(t, rome, e.visible(t, "iccid", simICCID(5)))

	// Without the key, the same request is a new one: every item is now
	// refused.
	status, body := e.do(t, http.MethodPut, flolive.PathBulkMove, acmeKey, readCase(t, "bulk_mixed"))
	assert.Equal(t, http.StatusUnprocessableEntity, status, body)
}

// The same key with another request is a conflict that changes nothing.
func TestIdempotencyKeyConflict(t *testing.T) {
	e := newEnv(t)
	status, first := e.putKeyed(t, acmeKey, movePath("iccid", simICCID(4)), moveBody(sparta), "k-1")
	id := accepted(t, status, first)
	require.Equal(t, flolive.StatusSuccess, e.wait(t, acmeKey, id).Status)
	status, bulk := e.putKeyed(t, acmeKey, flolive.PathBulkMove, `{"items":[{"type":"iccid","value":"`+simICCID(6)+`","targetCustomerId":"`+sparta+`"}]}`, "k-2")
	require.Equal(t, http.StatusOK, status, bulk)

	for _, tc := range []struct{ name, path, body, key string }{
		{"err_idempotency_conflict", movePath("iccid", simICCID(4)), moveBody(rome), "k-1"}, // eligible on its own
		{"another subscriber", movePath("iccid", simICCID(5)), moveBody(sparta), "k-1"},
		{"another identifier", movePath("imsi", simIMSI(4)), moveBody(sparta), "k-1"},
		{"bulk another item", flolive.PathBulkMove, `{"items":[{"type":"iccid","value":"` + simICCID(7) + `","targetCustomerId":"` + sparta + `"}]}`, "k-2"},
		{"bulk one more item", flolive.PathBulkMove, `{"items":[{"type":"iccid","value":"` + simICCID(6) + `","targetCustomerId":"` + sparta + `"},{"type":"iccid","value":"` + simICCID(7) + `","targetCustomerId":"` + sparta + `"}]}`, "k-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.putKeyed(t, acmeKey, tc.path, tc.body, tc.key)
			assert.Equal(t, http.StatusConflict, status, body)
			requireNAK(t, body, "IDEMPOTENCY_1001", "Idempotency-Key was already used with a different request")
			if strings.HasPrefix(tc.name, "err_") {
				golden(t, tc.name, body)
			}
		})
	}
	assert.Equal(t, 2, e.stored(t), "no transaction stored")
	e.wait(t, acmeKey, content[flolive.BulkResult](t, bulk).RequestID)
	assert.Equal(t, sparta, e.visible(t, "iccid", simICCID(4)))
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(5)))
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(7)))

	// The key names a request of one operation: on the other endpoint it
	// is new.
	status, body := e.putKeyed(t, acmeKey, flolive.PathBulkMove, `{"items":[{"type":"iccid","value":"`+simICCID(5)+`","targetCustomerId":"`+sparta+`"}]}`, "k-1")
	assert.Equal(t, http.StatusOK, status, body)
}

// A malformed or repeated Idempotency-Key refuses the request with 400
// VALIDATION_1011 before anything is checked or stored.
func TestIdempotencyKeyInvalid(t *testing.T) {
	e := newEnv(t)
	const msg = "Idempotency-Key must be 1 to 255 printable ASCII characters, sent once"
	long := strings.Repeat("k", 256)
	for _, tc := range []struct {
		name   string
		keys   []string
		detail string
	}{
		{"err_idempotency_key_empty", []string{""}, msg + ": got an empty key"},
		{"blank", []string{"   "}, msg + ": got an empty key"}, // HTTP trims the spaces around a value
		{"err_idempotency_key_long", []string{long}, msg + ": got 256 characters"},
		{"err_idempotency_key_control", []string{"abc\tdef"}, msg + ": character 4 is not printable ASCII"},
		{"space", []string{"abc def"}, msg + ": character 4 is not printable ASCII"},
		{"not ascii", []string{"clé"}, msg + ": character 3 is not printable ASCII"},
		{"err_idempotency_key_repeated", []string{"k-1", "k-1"}, msg + ": got it 2 times"},
		{"repeated different", []string{"k-1", "k-2"}, msg + ": got it 2 times"},
	} {
		for _, path := range []string{movePath("iccid", simICCID(4)), flolive.PathBulkMove} {
			body := moveBody(sparta)
			if path == flolive.PathBulkMove {
				body = `{"items":[{"type":"iccid","value":"` + simICCID(4) + `","targetCustomerId":"` + sparta + `"}]}`
			}
			t.Run(tc.name+" "+path, func(t *testing.T) {
				status, answer := e.putKeyed(t, acmeKey, path, body, tc.keys...)
				assert.Equal(t, http.StatusBadRequest, status, answer)
				requireNAK(t, answer, "VALIDATION_1011", tc.detail)
				assert.Equal(t, tc.detail, parse(t, answer).ErrorMessage)
				if strings.HasPrefix(tc.name, "err_") && path != flolive.PathBulkMove {
					golden(t, tc.name, answer)
				}
			})
		}
	}
	assert.Equal(t, 0, e.stored(t))
	assert.Equal(t, acme, e.visible(t, "iccid", simICCID(4)))

	// The limits themselves are accepted.
	for i, key := range []string{strings.Repeat("k", 255), "!", "~", `"8e03978e-40d5-43e8-bc93-6894a57f9324"`} {
		status, answer := e.putKeyed(t, acmeKey, movePath("iccid", simICCID(10+i)), moveBody(sparta), key)
		accepted(t, status, answer)
	}
}

// Keys are the partner's own: another partner using the same key makes
// its own request, and each replays only its own.
func TestIdempotencyKeyIsolation(t *testing.T) {
	e := newEnv(t)
	const colony = "0d3c6a51-7a6e-4d39-9c7b-2f1e8a4b5c6d"
	require.NoError(t, e.DB.Update(context.Background(), func(tx core.Tx) error {
		return tx.PutAccount(core.Account{ID: colony, Partner: "foreign", Parent: foreign, Name: "Colony"})
	}))

	status, theirs := e.putKeyed(t, foreignKey, movePath("iccid", simICCID(3)), moveBody(colony), "shared")
	theirID := accepted(t, status, theirs)
	// The same key, and even the same path and body, is new for Acme.
	status, ours := e.putKeyed(t, acmeKey, movePath("iccid", simICCID(3)), moveBody(colony), "shared")
	assert.Equal(t, http.StatusNotFound, status, ours)
	requireNAK(t, ours, "SUBSCRIBER_1002", "Subscriber does not exist")
	status, ours = e.putKeyed(t, acmeKey, movePath("iccid", simICCID(4)), moveBody(sparta), "shared")
	ourID := accepted(t, status, ours)
	assert.NotEqual(t, theirID, ourID)
	require.Equal(t, flolive.StatusSuccess, e.wait(t, foreignKey, theirID).Status)
	require.Equal(t, flolive.StatusSuccess, e.wait(t, acmeKey, ourID).Status)

	// Each replays its own ACK.
	status, again := e.putKeyed(t, acmeKey, movePath("iccid", simICCID(4)), moveBody(sparta), "shared")
	assert.Equal(t, http.StatusOK, status, again)
	assert.Equal(t, ours, again)
	status, again = e.putKeyed(t, foreignKey, movePath("iccid", simICCID(3)), moveBody(colony), "shared")
	assert.Equal(t, http.StatusOK, status, again)
	assert.Equal(t, theirs, again)
	// Foreign's request with Acme's body under the shared key is neither
	// Acme's ACK nor a conflict: it is Foreign's own conflict with its
	// own first request.
	status, body := e.putKeyed(t, foreignKey, movePath("iccid", simICCID(4)), moveBody(sparta), "shared")
	assert.Equal(t, http.StatusConflict, status, body)
	assert.NotContains(t, body, ourID)
	assert.Equal(t, 2, e.stored(t))
}

// Concurrent identical requests with one key make one transaction and all
// answer its ACK, whether they arrive before, while or after it runs.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ path, body string }{
		{movePath("iccid", simICCID(4)), moveBody(sparta)},
		{flolive.PathBulkMove, `{"items":[{"type":"iccid","value":"` + simICCID(5) + `","targetCustomerId":"` + rome + `"}]}`},
	} {
		const n = 16
		answers := make([]string, n)
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				statuses[i], answers[i] = e.putKeyed(t, acmeKey, tc.path, tc.body, "same-"+tc.path)
			})
		}
		wg.Wait()
		for i := range n {
			assert.Equal(t, http.StatusOK, statuses[i], answers[i])
			assert.Equal(t, answers[0], answers[i])
		}
	}
	assert.Equal(t, 2, e.stored(t))
	_, body := e.putKeyed(t, acmeKey, movePath("iccid", simICCID(4)), moveBody(sparta), "same-"+movePath("iccid", simICCID(4)))
	e.wait(t, acmeKey, content[flolive.Accepted](t, body).RequestID)
	assert.Equal(t, sparta, e.visible(t, "iccid", simICCID(4)))
}

// Without the header nothing changes: the same request twice is two
// requests, the second judged on its own.
func TestNoIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	status, first := e.putKeyed(t, acmeKey, movePath("iccid", simICCID(4)), moveBody(sparta))
	id := accepted(t, status, first)
	require.Equal(t, flolive.StatusSuccess, e.wait(t, acmeKey, id).Status)
	status, again := e.putKeyed(t, acmeKey, movePath("iccid", simICCID(4)), moveBody(sparta))
	assert.Equal(t, http.StatusNotFound, status, again)
	requireNAK(t, again, "CUSTOMER_1008", "Failed to find target customer")
	tx, err := e.Svc.Transaction(context.Background(), "acme", id)
	require.NoError(t, err)
	assert.Empty(t, tx.PartnerTxID)
}
