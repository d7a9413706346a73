package soap_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/soap"
)

// soapAnswer is the shape of every answer: an envelope whose Body holds
// one response element or one Fault.
type soapAnswer struct {
	XMLName xml.Name
	Body    struct {
		XMLName xml.Name
		Fault   *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
			Reason string `xml:"detail>fault>reason"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
		Others []struct {
			XMLName xml.Name
		} `xml:",any"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

// FuzzSOAP posts each input to both endpoints through the echo handler
// (without the recovering middleware: a panic fails the fuzz run) over one
// sandbox database, and checks every answer is a well-formed envelope with
// a documented status: 200 with one response element, or a Client (or
// MustUnderstand) fault with 500, 413 for size, 429 when login attempts
// are throttled (405 is GET's). A Server fault is a bug: the input was the
// client's.
//
//	go test ./soap -run '^$' -fuzz '^FuzzSOAP$' -fuzztime 60s
func FuzzSOAP(f *testing.F) {
	for _, pattern := range []string{"../testdata/soap/*.request.xml", filepath.Join(attackDir, "*.xml")} {
		files, err := filepath.Glob(pattern)
		require.NoError(f, err)
		require.NotEmpty(f, files, pattern)
		for _, file := range files {
			raw, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(raw)
		}
	}
	e, _, _ := newEcho(f, core.Config{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, path := range []string{soap.PathServices, soap.PathAuthentication} {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(data))
			req.Header.Set("Content-Type", "text/xml; charset=utf-8")
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			checkAnswer(t, path, rec.Code, rec.Body.Bytes())
		}
	})
}

func checkAnswer(t *testing.T, path string, status int, body []byte) {
	t.Helper()
	if !utf8.Valid(body) {
		t.Fatalf("%s: answer is not UTF-8: %q", path, body)
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: answer is not well-formed XML: %v\n%s", path, err, body)
		}
	}
	var a soapAnswer
	if err := xml.Unmarshal(body, &a); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, body)
	}
	if a.XMLName != (xml.Name{Space: soap.NSEnvelope, Local: "Envelope"}) || a.Body.XMLName.Local != "Body" {
		t.Fatalf("%s: not a SOAP 1.1 envelope with a Body:\n%s", path, body)
	}
	fault := a.Body.Fault
	switch status {
	case http.StatusOK:
		if fault != nil || len(a.Body.Others) != 1 || a.Body.Others[0].XMLName.Space != soap.NSUserAPI {
			t.Fatalf("%s: 200 without exactly one response element:\n%s", path, body)
		}
		return
	case http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests, http.StatusInternalServerError:
	default:
		t.Fatalf("%s: status %d:\n%s", path, status, body)
	}
	if fault == nil || len(a.Body.Others) != 0 {
		t.Fatalf("%s: status %d without exactly one Fault:\n%s", path, status, body)
	}
	switch {
	case fault.Code == "SOAP-ENV:Server":
		t.Fatalf("%s: a Server fault for client input:\n%s", path, body)
	case fault.Code != "SOAP-ENV:Client" && fault.Code != "SOAP-ENV:MustUnderstand":
		t.Fatalf("%s: faultcode %q:\n%s", path, fault.Code, body)
	case fault.String == "" || fault.Reason == "":
		t.Fatalf("%s: fault without faultstring or reason:\n%s", path, body)
	case (status == http.StatusRequestEntityTooLarge) != (fault.Reason == "REQUEST_TOO_LARGE"),
		(status == http.StatusTooManyRequests) != (fault.Reason == "RATE_LIMITED"):
		t.Fatalf("%s: status %d with reason %s", path, status, fault.Reason)
	}
}
