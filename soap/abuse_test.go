package soap_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/soap"
)

// abuseServer serves the SOAP front end with the given core settings.
func abuseServer(t *testing.T, cfg core.Config) string {
	t.Helper()
	return newEnvWith(t, cfg).url
}

type abuseAnswer struct {
	status     int
	retryAfter string
	body       string
	fault      struct {
		Code   string `xml:"Body>Fault>faultcode"`
		String string `xml:"Body>Fault>faultstring"`
		Reason string `xml:"Body>Fault>detail>fault>reason"`
	}
}

func abusePost(t *testing.T, url, path, body string) abuseAnswer {
	t.Helper()
	res, err := http.Post(url+path, "text/xml; charset=utf-8", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	a := abuseAnswer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), body: string(raw)}
	if res.StatusCode != http.StatusOK {
		require.NoError(t, xml.Unmarshal(raw, &a.fault), a.body)
	}
	return a
}

func loginBody(user, password string) string {
	return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi"><soapenv:Body>
<urn:login><urn:username>` + user + `</urn:username><urn:password>` + password + `</urn:password></urn:login></soapenv:Body></soapenv:Envelope>`
}

const sandboxToken = "e4d723bfafeaeecc4cc91da481ad2dca896134df44a73ed225a23a5401aeefe1"

func requireTooMany(t *testing.T, a abuseAnswer) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, a.status, a.body)
	assert.Equal(t, "1", a.retryAfter)
	assert.Equal(t, "SOAP-ENV:Client", a.fault.Code)
	assert.Equal(t, "Too many requests, retry later", a.fault.String)
	assert.Equal(t, "RATE_LIMITED", a.fault.Reason)
}

// After five wrong passwords for a username, login is refused with a
// Client fault and HTTP 429, even with the right password; other
// usernames log in as before.
func TestLoginBruteForceIsThrottled(t *testing.T) {
	url := abuseServer(t, core.Config{})
	for i := 0; i < 5; i++ {
		a := abusePost(t, url, soap.PathAuthentication, loginBody("demo-rsp", "guess"))
		require.Equal(t, http.StatusInternalServerError, a.status, a.body)
		require.Equal(t, "LOGIN_FAILED", a.fault.Reason)
		assert.Empty(t, a.retryAfter)
	}
	requireTooMany(t, abusePost(t, url, soap.PathAuthentication, loginBody("demo-rsp", "demo-rsp-pass")))
	requireTooMany(t, abusePost(t, url, soap.PathAuthentication, loginBody("demo-rsp", "guess")))

	a := abusePost(t, url, soap.PathAuthentication, loginBody("other-rsp", "other-rsp-pass"))
	require.Equal(t, http.StatusOK, a.status, a.body)
	assert.Contains(t, a.body, "<ns1:token>")
}

// The client address counts too: twenty failures from one address, over
// any usernames, refuse every login from it.
func TestLoginThrottledPerAddress(t *testing.T) {
	url := abuseServer(t, core.Config{})
	users := []string{"demo-rsp", "other-rsp", "demo-reseller", "nobody"}
	for i := 0; i < 20; i++ {
		a := abusePost(t, url, soap.PathAuthentication, loginBody(users[i%len(users)], "guess"))
		require.Equal(t, "LOGIN_FAILED", a.fault.Reason, "attempt %d", i+1)
	}
	requireTooMany(t, abusePost(t, url, soap.PathAuthentication, loginBody("other-reseller", "other-reseller-pass")))
}

// The token-authenticated operations spend the partner's request budget.
func TestSOAPRateLimit(t *testing.T) {
	url := abuseServer(t, core.Config{RateLimit: core.RateLimit{RPS: 1, Burst: 3}})
	detail := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi"><soapenv:Body>
<urn:serviceDetail><urn:loginToken>` + sandboxToken + `</urn:loginToken><urn:service_id>581407</urn:service_id></urn:serviceDetail></soapenv:Body></soapenv:Envelope>`
	for i := 0; i < 3; i++ {
		a := abusePost(t, url, soap.PathServices, detail)
		require.Equal(t, "SERVICE_NOT_FOUND", a.fault.Reason, "request %d is served", i+1)
	}
	requireTooMany(t, abusePost(t, url, soap.PathServices, detail))

	activate := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:emersion:userapi"><soapenv:Body>
<urn:ActivateService><urn:loginToken>` + sandboxToken + `</urn:loginToken><urn:SQ_ID>581407</urn:SQ_ID><urn:sim_number>498172577</urn:sim_number></urn:ActivateService></soapenv:Body></soapenv:Envelope>`
	requireTooMany(t, abusePost(t, url, soap.PathServices, activate))

	// A bad token is refused as before: the limit applies to callers known.
	a := abusePost(t, url, soap.PathServices, strings.Replace(detail, sandboxToken, strings.Repeat("0", 64), 1))
	assert.Equal(t, "TOKEN_INVALID", a.fault.Reason)
}
