package mvnx_test

import (
	"net/http"
	"testing"

	"simgate/rest/jsonx"
	"simgate/rest/mvnx"
	"simgate/rest/resttest"
)

// documented are the statuses of the OpenAPI document (describe.go) but
// 503, which only an internal error gives: never the right answer to
// what a client sent.
var documented = map[int]bool{
	http.StatusOK: true, http.StatusBadRequest: true, http.StatusUnauthorized: true,
	http.StatusRequestEntityTooLarge: true, http.StatusUnprocessableEntity: true, http.StatusTooManyRequests: true,
}

// FuzzMVNX posts each input to the endpoint through the echo handler
// (without the recovering middleware: a panic fails the fuzz run) over one
// sandbox database. Requests are stored, never executed: the engine does
// not run.
//
//	go test ./rest/mvnx -run '^$' -fuzz '^FuzzMVNX$' -fuzztime 60s
func FuzzMVNX(f *testing.F) {
	e := resttest.Fuzzer(f, "mvnx", mount)
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := resttest.Serve(e, http.MethodPost, mvnx.Path, nil, data)
		checkAck(t, rec.Code, rec.Body.Bytes())
	})
}

// checkAck fails unless body is an acknowledgement, in the exact shape of
// mvnx.Ack, that agrees with status.
func checkAck(t *testing.T, status int, body []byte) {
	t.Helper()
	if !documented[status] {
		t.Fatalf("status %d: %s", status, body)
	}
	var ack mvnx.Ack
	if err := jsonx.Decode(body, &ack, jsonx.Limits{}); err != nil {
		t.Fatalf("answer is not an Ack: %v: %s", err, body)
	}
	res := ack.RequestAcknowledgement.Response
	tr := ack.MessageHeader.TrackingMessageHeader
	switch {
	case (status == http.StatusOK) != (res.Code == "0"):
		t.Fatalf("status %d with code %q: %s", status, res.Code, body)
	case res.Code == "" || res.Description == "":
		t.Fatalf("no code or description: %s", body)
	case tr.UniqueTransactionID == "" || tr.ConversationID == "" || tr.DateTimeStamp == "":
		t.Fatalf("incomplete TrackingMessageHeader: %s", body)
	case ack.MessageHeader.SecurityMessageHeader == nil ||
		*ack.MessageHeader.SecurityMessageHeader != (mvnx.MaskedSecurityHeader{UserName: "[userName]", UserPassword: "[userPassword]"}):
		t.Fatalf("credentials not masked: %s", body)
	}
}
