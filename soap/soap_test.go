package soap_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/soap"
)

// faultBody is the part of a fault the tests assert on.
type faultBody struct {
	Code   string `xml:"Body>Fault>faultcode"`
	String string `xml:"Body>Fault>faultstring"`
	Reason string `xml:"Body>Fault>detail>fault>reason"`
}

func parseFault(t testing.TB, body string) faultBody {
	t.Helper()
	var f faultBody
	require.NoError(t, xml.Unmarshal([]byte(body), &f), body)
	return f
}

const activeTrue = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:emersion:userapi"><SOAP-ENV:Body><ns1:ActiveServiceResponse>true</ns1:ActiveServiceResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>
`

// Every error message of the document (and the two token messages) for its
// cause, byte for byte, plus simgate's own messages for causes the document
// does not cover. The document's three messages for another RSP's SQ,
// order and product are never sent: those read as absent (tenant
// isolation, TestOtherRSPObjectsReadAsAbsent). Each case is a request file in testdata/soap and a golden
// fault.
var faultCases = []struct {
	name, reason, message string
}{
	{"err_token_malformed", "TOKEN_INVALID", "Login token must be valid for the end user"},
	{"err_token_unknown", "TOKEN_INVALID", "Login token must be valid for the end user"},
	{"err_token_expired", "TOKEN_EXPIRED", "The token has expired"},
	{"err_both_set", "SQ_AND_SERVICE_BOTH_SET", "Either SQ ID or Service Identifier / Service Type should be set. Both should not be set"},
	{"err_neither_set", "SQ_OR_SERVICE_REQUIRED", "Either SQ ID or Service Identifier / Service Type must be set."},
	{"err_sq_id_blank", "SQ_ID_BLANK", "SQ ID should not be blank"},
	{"err_sq_id_not_numeric", "SQ_ID_NOT_NUMERIC", "SQ ID should be numeric"},
	{"err_sq_not_found", "SQ_NOT_FOUND", "SQ ID not found"},
	{"err_sq_of_other_rsp", "SQ_NOT_FOUND", "SQ ID not found"}, // tenant isolation: as absent
	{"err_sq_status", "SQ_STATUS_NOT_READY", "SQ not in appropriate status for Activation"},
	{"err_service_identifier_blank", "SERVICE_IDENTIFIER_BLANK", "Service identifier should not be blank"},
	{"err_service_identifier_format", "SERVICE_IDENTIFIER_INVALID", "Service identifier is in invalid format"},
	{"err_service_type_required", "SERVICE_TYPE_REQUIRED", "When service identifier is provided, service type id must also be provided"},
	{"err_service_type_blank", "SERVICE_TYPE_BLANK", "Service type id should not be blank"},
	{"err_service_type_not_numeric", "SERVICE_TYPE_NOT_NUMERIC", "Service Type ID should be numeric"},
	{"err_service_type_without_identifier", "SERVICE_TYPE_WITHOUT_IDENTIFIER", "Service type id should only be provided with a service identifier"},
	{"err_service_type_not_found", "SERVICE_TYPE_NOT_FOUND", "Service type not found"},
	{"err_service_type_not_mapped", "SERVICE_TYPE_NOT_MAPPED", "Service type not mapped to caller"},
	{"err_service_identifier_not_ready", "SERVICE_IDENTIFIER_NOT_READY", "Service identifier not found in a ready-for-activation SQ against the service type"},
	{"err_service_identifier_allocated", "SERVICE_IDENTIFIER_ALLOCATED", "Service identifier already allocated against the same service type"},
	{"err_sim_number_blank", "SIM_NUMBER_BLANK", "SIM number should not be blank"},
	{"err_sim_number_missing", "SIM_REQUIRED", "SIM number should not be blank"},
	{"err_sim_number_format", "SIM_NUMBER_INVALID", "Please provide 9 digit sim number"},
	{"err_product_id_not_numeric", "PRODUCT_ID_NOT_NUMERIC", "Product ID must be numeric"},
	{"err_product_not_found", "PRODUCT_NOT_FOUND", "Product ID not found"},
	{"err_product_of_other_rsp", "PRODUCT_NOT_FOUND", "Product ID not found"}, // tenant isolation: as absent
	{"err_product_no_category", "PRODUCT_NO_CATEGORY", "Product does not have a service type category"},
	{"err_product_other_category", "PRODUCT_CATEGORY_MISMATCH", "Product has a different service type category"},
	{"err_product_ambiguous", "PRODUCT_AMBIGUOUS", "More than one products found against the service type category. Please specify a product id in your call."},
	{"err_product_none", "PRODUCT_NONE_FOR_CATEGORY", "No product found against the service type category."},
	{"err_order_not_found", "ORDER_NOT_FOUND", "Order not found"},
	{"err_order_not_finalised", "ORDER_NOT_FINALISED", "This Order is not yet ready for activation as it has not been finalised"},
	{"err_order_of_other_rsp", "ORDER_NOT_FOUND", "Order not found"}, // tenant isolation: as absent
	// simgate's own messages.
	{"err_sq_id_conflict", "SQ_ID_CONFLICT", "SQ_ID and sq_id should not have different values"},
	{"err_sim_not_found", "SIM_NOT_FOUND", "SIM number not found"},
	{"err_sim_other_product", "SIM_PRODUCT_MISMATCH", "SIM number is not in the inventory of the product"},
	{"err_sim_locked", "SIM_LOCKED", "SIM number is locked"},
	{"err_sim_not_held", "SIM_NOT_HELD", "SIM number is not in Held status"},
	{"service_detail_not_found", "SERVICE_NOT_FOUND", "Service not found"},
	{"err_service_detail_not_numeric", "SERVICE_ID_NOT_NUMERIC", "Service ID should be numeric"},
	{"login_err_password", "LOGIN_FAILED", "Invalid username or password"},
	{"login_err_unknown_user", "LOGIN_FAILED", "Invalid username or password"},
	{"login_err_blank", "LOGIN_FIELD_REQUIRED", "Username and password should not be blank"},
	// Bad input.
	{"err_unknown_element", "MALFORMED_REQUEST", "Unknown element SIM_NUMBER in ActivateService (field names are case sensitive)"},
	{"err_unknown_operation", "UNKNOWN_OPERATION", "Unknown operation DeleteService"},
	{"err_not_xml", "MALFORMED_REQUEST", "Request is not well-formed XML: line 1: invalid character entity &sim_number (no semicolon)"},
	{"err_wrong_envelope", "MALFORMED_REQUEST", "Not a SOAP envelope: root element is Envelope"},
	{"err_soap12", "MALFORMED_REQUEST", "SOAP 1.2 is not supported: send a SOAP 1.1 envelope (http://schemas.xmlsoap.org/soap/envelope/)"},
	{"err_doctype", "MALFORMED_REQUEST", "DOCTYPE and other XML declarations are not allowed"},
	{"err_empty_body", "MALFORMED_REQUEST", "The SOAP Body is missing or empty"},
	{"err_must_understand", "MUST_UNDERSTAND", "Header Security is not understood"},
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	before := inventory(t, e)
	for _, tc := range faultCases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.post(t, endpointOf(tc.name), readCase(t, tc.name))
			assert.Equal(t, http.StatusInternalServerError, status)
			f := parseFault(t, body)
			wantCode := "SOAP-ENV:Client"
			if tc.reason == "MUST_UNDERSTAND" {
				wantCode = "SOAP-ENV:MustUnderstand"
			}
			assert.Equal(t, wantCode, f.Code)
			assert.Equal(t, tc.message, f.String)
			assert.Equal(t, tc.reason, f.Reason)
			golden(t, tc.name, body)
		})
	}
	// A fault changes nothing: every fault case ran against one database,
	// which holds the same SQs, SIMs and services as before, and the
	// document's first example still succeeds on it.
	assert.Equal(t, before, inventory(t, e))
	status, body := e.post(t, soap.PathServices, readCase(t, "activate_sq_id"))
	require.Equal(t, http.StatusOK, status, body)
}

// Every request file has a case; a file nobody checks is a defect.
func TestEveryRequestFileIsCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range faultCases {
		covered[tc.name] = true
	}
	for _, name := range successCases {
		covered[name] = true
	}
	covered["login"] = true
	files, err := filepath.Glob("../testdata/soap/*.request.xml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".request.xml")
		assert.True(t, covered[name], "%s has no test case", f)
	}
}

var successCases = []string{
	"activate_sq_id",              // the document's first example, verbatim
	"activate_service_identifier", // the document's second example, verbatim
	"activate_sq_id_lowercase",
	"activate_with_product",
	"activate_xsi_nil",
}

func TestActivateSuccess(t *testing.T) {
	for _, name := range successCases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			status, body := e.post(t, soap.PathServices, readCase(t, name))
			require.Equal(t, http.StatusOK, status, body)
			require.Equal(t, activeTrue, body)
			golden(t, name, body)
		})
	}
}

// The document's example leaves the SQ Active, a service bound to the SIM,
// and the SIM out of Held.
func TestActivateEffects(t *testing.T) {
	e := newEnv(t)
	status, body := e.post(t, soap.PathServices, readCase(t, "activate_sq_id"))
	require.Equal(t, http.StatusOK, status, body)
	require.NoError(t, e.db.View(context.Background(), func(tx core.Tx) error {
		q, ok, err := tx.SQ(581407)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.SQActive, q.Status)
		assert.Equal(t, "581407", q.Service)
		sim, ok, err := tx.SIMBySimNumber("498172577")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.SIMActive, sim.Status)
		assert.Equal(t, "581407", sim.Subscription)
		sub, ok, err := tx.Subscription("581407")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, core.SubActive, sub.Status)
		assert.Equal(t, "581407", sub.ServiceIdentifier)
		assert.Equal(t, int64(5702), sub.ServiceType)
		assert.Equal(t, int64(42123212), sub.Product)
		assert.Equal(t, "498172577", sub.SimNumber)
		assert.Equal(t, core.PartnerID("demo-rsp"), sub.Partner)
		return nil
	}))
}

// Repeating an activation (either document example after the other) fails
// with the document's message and changes nothing.
func TestRepeatActivation(t *testing.T) {
	e := newEnv(t)
	status, _ := e.post(t, soap.PathServices, readCase(t, "activate_sq_id"))
	require.Equal(t, http.StatusOK, status)
	before := snapshot(t, e)

	_, body := e.post(t, soap.PathServices, readCase(t, "activate_service_identifier"))
	f := parseFault(t, body)
	assert.Equal(t, "Service identifier already allocated against the same service type", f.String)
	_, body = e.post(t, soap.PathServices, readCase(t, "activate_sq_id"))
	f = parseFault(t, body)
	assert.Equal(t, "SQ not in appropriate status for Activation", f.String)
	assert.Equal(t, before, snapshot(t, e))
}

// inventory reads every SQ, SOAP SIM and service of the sandbox (the ids
// of testdata/sandbox.jsonl, with room around them), absent ones included.
func inventory(t testing.TB, e *env) string {
	var out strings.Builder
	enc := json.NewEncoder(&out)
	sqs := [][2]int64{{581400, 581520}, {700000, 700010}}
	sims := [][2]int64{{498172570, 498172620}, {498179000, 498179010}}
	require.NoError(t, e.db.View(context.Background(), func(tx core.Tx) error {
		for _, r := range sqs {
			for id := r[0]; id <= r[1]; id++ {
				q, qok, err := tx.SQ(id)
				if err != nil {
					return err
				}
				sub, sok, err := tx.Subscription(fmt.Sprint(id))
				if err != nil {
					return err
				}
				if err := enc.Encode([]any{id, qok, q, sok, sub}); err != nil {
					return err
				}
			}
		}
		for _, r := range sims {
			for n := r[0]; n <= r[1]; n++ {
				sim, ok, err := tx.SIMBySimNumber(fmt.Sprint(n))
				if err != nil {
					return err
				}
				if err := enc.Encode([]any{n, ok, sim}); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	return out.String()
}

// snapshot reads the objects an activation touches.
func snapshot(t testing.TB, e *env) string {
	var out strings.Builder
	require.NoError(t, e.db.View(context.Background(), func(tx core.Tx) error {
		q, _, err := tx.SQ(581407)
		if err != nil {
			return err
		}
		sim, _, err := tx.SIMBySimNumber("498172577")
		if err != nil {
			return err
		}
		sub, _, err := tx.Subscription("581407")
		if err != nil {
			return err
		}
		return json.NewEncoder(&out).Encode([]any{q, sim, sub})
	}))
	return out.String()
}

// 64 concurrent activations of one SQ, and of one SIM through 64 SQs:
// exactly one wins each time.
func TestConcurrentActivations(t *testing.T) {
	e := newEnv(t)
	sameSQ := readCase(t, "activate_sq_id")
	var wg sync.WaitGroup
	results := make(chan int, 128)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _ := e.post(t, soap.PathServices, sameSQ)
			results <- status
		}()
	}
	// One SIM, 64 different SQs (581413 to 581476).
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(sq int) {
			defer wg.Done()
			body := strings.Replace(strings.Replace(sameSQ, "581407", fmt.Sprint(sq), 1), "498172577", "498172590", 1)
			status, _ := e.post(t, soap.PathServices, body)
			results <- status + 1000 // tag the second race
		}(581413 + i)
	}
	wg.Wait()
	close(results)
	won := map[int]int{}
	for s := range results {
		won[s]++
	}
	assert.Equal(t, 1, won[200], "same SQ: exactly one success")
	assert.Equal(t, 63, won[500])
	assert.Equal(t, 1, won[1200], "same SIM: exactly one success")
	assert.Equal(t, 63, won[1500])
}

func TestLoginThenActivateAndDetail(t *testing.T) {
	e := newEnv(t)
	status, body := e.post(t, soap.PathAuthentication, readCase(t, "login"))
	require.Equal(t, http.StatusOK, status, body)
	golden(t, "login", body)
	var res struct {
		Token string `xml:"Body>loginResponse>token"`
	}
	require.NoError(t, xml.Unmarshal([]byte(body), &res))
	require.True(t, core.ValidTokenFormat(res.Token), res.Token)

	req := strings.ReplaceAll(readCase(t, "activate_sq_id"), "e4d723bfafeaeecc4cc91da481ad2dca896134df44a73ed225a23a5401aeefe1", res.Token)
	status, body = e.post(t, soap.PathServices, req)
	require.Equal(t, http.StatusOK, status, body)

	detail := strings.ReplaceAll(readCase(t, "service_detail_not_found"), "581408", "581407")
	status, body = e.post(t, soap.PathServices, detail)
	require.Equal(t, http.StatusOK, status, body)
	golden(t, "service_detail", body)

	// Another RSP sees the service as absent.
	other, _, err := e.svc.Login(context.Background(), "other-rsp", "other-rsp-pass")
	require.NoError(t, err)
	status, body = e.post(t, soap.PathServices, strings.ReplaceAll(detail, "e4d723bfafeaeecc4cc91da481ad2dca896134df44a73ed225a23a5401aeefe1", other))
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, "Service not found", parseFault(t, body).String)
}

func TestOversizeAndDeepRequests(t *testing.T) {
	e := newEnv(t)
	big := strings.Replace(readCase(t, "activate_sq_id"), "<soapenv:Header/>", "<soapenv:Header>"+strings.Repeat("x", 1<<20)+"</soapenv:Header>", 1)
	status, body := e.post(t, soap.PathServices, big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	f := parseFault(t, body)
	assert.Equal(t, "SOAP-ENV:Client", f.Code)
	assert.Equal(t, "REQUEST_TOO_LARGE", f.Reason)
	assert.Equal(t, "Request body exceeds 1048576 bytes", f.String)

	deep := strings.Replace(readCase(t, "activate_sq_id"), "<soapenv:Header/>",
		"<soapenv:Header>"+strings.Repeat("<a>", 101)+strings.Repeat("</a>", 101)+"</soapenv:Header>", 1)
	status, body = e.post(t, soap.PathServices, deep)
	assert.Equal(t, http.StatusInternalServerError, status)
	f = parseFault(t, body)
	assert.Equal(t, "MALFORMED_REQUEST", f.Reason)
	assert.Equal(t, "XML nesting deeper than 100 levels", f.String)

	// Nothing of the refused requests was applied.
	status, body = e.post(t, soap.PathServices, readCase(t, "activate_sq_id"))
	require.Equal(t, http.StatusOK, status, body)
}

func TestWSDLServed(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/userapi/Services.wsdl", "/userapi/Services?wsdl", "/userapi/Authentication.wsdl", "/userapi/Authentication?wsdl"} {
		res, err := http.Get(e.url + path)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, res.StatusCode, path)
		svc := "Services"
		if strings.Contains(path, "Authentication") {
			svc = "Authentication"
		}
		assert.Contains(t, string(body), `location="`+e.url+`/userapi/`+svc+`"`, path)
	}
}

// SOAP 1.1 is sent as text/xml (SOAP 1.2's application/soap+xml reaches
// the envelope check, which names the version it serves); a body declared
// in any other media type is refused with a Client fault and 415 before it
// is read. No Content-Type at all is read as XML (legacy clients).
func TestContentType(t *testing.T) {
	e := newEnv(t)
	login := readCase(t, "login")
	for _, tc := range []struct {
		contentType string
		status      int
	}{
		{"text/xml", http.StatusOK},
		{"text/xml; charset=utf-8", http.StatusOK},
		{`Text/XML; charset="UTF-8"`, http.StatusOK},
		{`application/soap+xml; charset=utf-8; action="urn:emersion:userapi/login"`, http.StatusOK},
		{"", http.StatusOK},
		{"application/json", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType}, // curl -d without -H
		{"text/plain", http.StatusUnsupportedMediaType},
		{"application/xml", http.StatusUnsupportedMediaType},
		{"text/xml, text/plain", http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.contentType, func(t *testing.T) {
			status, body := e.postAs(t, soap.PathAuthentication, tc.contentType, login)
			require.Equal(t, tc.status, status, body)
			if tc.status == http.StatusOK {
				return
			}
			f := parseFault(t, body)
			assert.Equal(t, "SOAP-ENV:Client", f.Code)
			assert.Equal(t, "UNSUPPORTED_MEDIA_TYPE", f.Reason)
			assert.Equal(t, "Content-Type must be text/xml (SOAP 1.1)", f.String)
		})
	}
}

// Another RSP's SQ, order, product, SIM or service reads exactly as one
// that does not exist, byte for byte: a caller never learns that another
// tenant's object exists. Each case sends a request naming another RSP's
// object and the same request naming no object at all.
func TestOtherRSPObjectsReadAsAbsent(t *testing.T) {
	e := newEnv(t)
	status, body := e.post(t, soap.PathServices, readCase(t, "activate_sq_id")) // demo-rsp's service 581407
	require.Equal(t, http.StatusOK, status, body)
	other, _, err := e.svc.Login(context.Background(), "other-rsp", "other-rsp-pass")
	require.NoError(t, err)
	const demoToken = "e4d723bfafeaeecc4cc91da481ad2dca896134df44a73ed225a23a5401aeefe1"
	detail := strings.ReplaceAll(readCase(t, "service_detail_not_found"), demoToken, other)
	for _, tc := range []struct {
		name, request string
		foreign, none string // what the request names: another RSP's object, then nothing
		message       string
	}{
		{"SQ", readCase(t, "err_sq_of_other_rsp"), "700001", "799999", "SQ ID not found"},
		{"order", readCase(t, "err_order_of_other_rsp"), "581500", "581412", "Order not found"},
		{"product", strings.Replace(readCase(t, "err_product_of_other_rsp"), "581407", "581414", 1), "42123213", "42123299", "Product ID not found"},
		{"SIM", strings.Replace(readCase(t, "err_sim_not_found"), "581407", "581413", 1), "498179000", "498199999", "SIM number not found"},
		{"service", detail, "581408</urn:service_id>", "599999</urn:service_id>", "Service not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			request := tc.request
			if tc.name == "service" {
				request = strings.Replace(request, "581408", "581407", 1) // demo-rsp's live service
				tc.foreign = "581407</urn:service_id>"
			}
			require.Contains(t, request, tc.foreign)
			fs, fb := e.post(t, soap.PathServices, request)
			ns, nb := e.post(t, soap.PathServices, strings.Replace(request, tc.foreign, tc.none, 1))
			assert.Equal(t, ns, fs)
			assert.Equal(t, nb, fb, "another RSP's object answers exactly as none")
			assert.Equal(t, tc.message, parseFault(t, fb).String)
		})
	}
}
