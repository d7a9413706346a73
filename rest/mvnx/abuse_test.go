package mvnx_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/core"
	"simgate/rest/mvnx"
	"simgate/rest/resttest"
)

// abuseServer serves the endpoint with the given core settings. Its engine
// does not run: these tests look at acknowledgements only.
func abuseServer(t *testing.T, cfg core.Config) string {
	t.Helper()
	return resttest.NewWith(t, resttest.Options{Secret: demoSecret, Config: cfg, Paused: true}, mount).URL
}

func abuseRequest(user, password, messageID string, sim int) string {
	return fmt.Sprintf(`{"MessageHeader":{"TrackingMessageHeader":{"messageId":%q,"returnURL":"http://127.0.0.1:9/cb","dateTimeStamp":"2026-03-29T14:38:11Z"},
"SecurityMessageHeader":{"userName":%q,"userPassword":%q}},
"ActivateSubscriberResellerRequest":{"MarketServiceInfo":{"billingMarket":{"localMarket":"GAC"}},
"SubscriberReseller":[{"Device":{"SIM":"890141041780036200%02d"},"PricePlan":{"singleUserCode":"P8DN"}}]}}`, messageID, user, password, sim)
}

type abuseAck struct {
	status     int
	retryAfter string
	messageID  string
	code, desc string
}

func abusePost(t *testing.T, url, body string) abuseAck {
	t.Helper()
	res, err := http.Post(url+mvnx.Path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	var ack struct {
		MessageHeader struct {
			TrackingMessageHeader struct {
				MessageID string `json:"messageId"`
			}
		}
		RequestAcknowledgement struct {
			Response struct{ Code, Description string }
		}
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&ack))
	return abuseAck{res.StatusCode, res.Header.Get("Retry-After"), ack.MessageHeader.TrackingMessageHeader.MessageID,
		ack.RequestAcknowledgement.Response.Code, ack.RequestAcknowledgement.Response.Description}
}

func requireRateLimitedAck(t *testing.T, a abuseAck, messageID string) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "1", a.retryAfter)
	assert.Equal(t, "RATE_LIMITED", a.code)
	assert.Equal(t, "Too many requests, please retry later", a.desc)
	assert.Equal(t, messageID, a.messageID, "the refusal keeps the request's MessageHeader")
}

// Five wrong passwords for a reseller, and its requests are refused with
// RATE_LIMITED even with the right password; another reseller goes on.
func TestPasswordGuessingIsThrottled(t *testing.T) {
	url := abuseServer(t, core.Config{})
	for i := 0; i < 5; i++ {
		a := abusePost(t, url, abuseRequest("demo-reseller", "guess", fmt.Sprintf("guess-%d", i), 0))
		require.Equal(t, http.StatusUnauthorized, a.status)
		require.Equal(t, "LOGIN_FAILED", a.code)
	}
	requireRateLimitedAck(t, abusePost(t, url, abuseRequest("demo-reseller", "demo-reseller-pass", "right", 0)), "right")

	a := abusePost(t, url, abuseRequest("other-reseller", "other-reseller-pass", "other", 99))
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "0", a.code)
}

// Over its request budget a reseller gets 429 with Retry-After, in the
// acknowledgement's shape.
func TestRateLimitedAcknowledgement(t *testing.T) {
	url := abuseServer(t, core.Config{RateLimit: core.RateLimit{RPS: 1, Burst: 2}})
	for i := 0; i < 2; i++ {
		a := abusePost(t, url, abuseRequest("demo-reseller", "demo-reseller-pass", fmt.Sprintf("ok-%d", i), i))
		require.Equal(t, http.StatusOK, a.status)
		require.Equal(t, "0", a.code)
	}
	requireRateLimitedAck(t, abusePost(t, url, abuseRequest("demo-reseller", "demo-reseller-pass", "over", 2)), "over")
}
