package flolive_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"simgate/rest/flolive"
	"simgate/rest/resttest"
)

// documented are the statuses of the API's table (handler.go) but 503,
// which only an internal error gives: never the right answer to what a
// client sent.
var documented = map[int]bool{
	http.StatusOK: true, http.StatusBadRequest: true, http.StatusUnauthorized: true, http.StatusNotFound: true,
	http.StatusRequestEntityTooLarge: true, http.StatusUnprocessableEntity: true, http.StatusTooManyRequests: true,
}

// FuzzFloLIVE sends each input as the body of a single move and of a bulk
// move, as the Acme partner, through the echo handler (without the
// recovering middleware: a panic fails the fuzz run) over one sandbox
// database. Moves are stored, never executed: the engine does not run.
//
//	go test ./rest/flolive -run '^$' -fuzz '^FuzzFloLIVE$' -fuzztime 60s
func FuzzFloLIVE(f *testing.F) {
	e := resttest.Fuzzer(f, "flolive", mount)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, path := range []string{movePath("iccid", simICCID(4)), flolive.PathBulkMove} {
			rec := resttest.Serve(e, http.MethodPut, path, bearer(acmeKey), data)
			checkAnswer(t, path, rec.Code, rec.Body.Bytes())
		}
	})
}

// checkAnswer fails unless body is the NAK, or a page of one element whose
// errorCode is empty exactly when status is 200.
func checkAnswer(t *testing.T, path string, status int, body []byte) {
	t.Helper()
	if !documented[status] {
		t.Fatalf("%s: status %d: %s", path, status, body)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil || len(keys) != 4 {
		t.Fatalf("%s: not the API's envelope (%v): %s", path, err, body)
	}
	var v struct {
		ErrorCode    *string         `json:"errorCode"`
		ErrorMessage *string         `json:"errorMessage"`
		Content      json.RawMessage `json:"content"`
		Pageable     json.RawMessage `json:"pageable"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.ErrorCode == nil || v.ErrorMessage == nil {
		t.Fatalf("%s: not the API's envelope (%v): %s", path, err, body)
	}
	if (status == http.StatusOK) != (*v.ErrorCode == "") || (*v.ErrorCode == "") != (*v.ErrorMessage == "") {
		t.Fatalf("%s: status %d with errorCode %q: %s", path, status, *v.ErrorCode, body)
	}
	if string(v.Content) == `""` {
		if status == http.StatusOK || string(v.Pageable) != "null" {
			t.Fatalf("%s: a NAK with status %d or a pageable: %s", path, status, body)
		}
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v.Content, &items); err != nil || len(items) != 1 || string(v.Pageable) == "null" {
		t.Fatalf("%s: a page without one element or pageable: %s", path, body)
	}
}
