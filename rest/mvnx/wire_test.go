package mvnx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"simgate/rest/jsonx"
)

// seedExample is the example request of the API document, verbatim.
func seedExample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mvnx", "seed_example.request.json"))
	require.NoError(t, err)
	return b
}

func TestWireDecodesSeedExample(t *testing.T) {
	data := seedExample(t)
	var req ActivateRequest
	require.NoError(t, jsonx.Decode(data, &req, jsonx.Limits{}))

	// Every field of the example is transcribed: encoding the decoded
	// request gives the example back (every value in it is non-empty, so
	// omitempty drops nothing).
	out, err := json.Marshal(&req)
	require.NoError(t, err)
	assert.JSONEq(t, string(data), string(out))

	require.NotNil(t, req.MessageHeader)
	tr := req.MessageHeader.TrackingMessageHeader
	require.NotNil(t, tr)
	assert.Equal(t, json.Number("0"), tr.TimeToLive)
	assert.Equal(t, "2025-03-29T14:38:11.326Z", tr.DateTimeStamp)
	assert.Equal(t, "string", tr.OriginalInfrastructureVersion)
	require.NotNil(t, req.MessageHeader.SecurityMessageHeader)
	assert.Equal(t, "string", req.MessageHeader.SecurityMessageHeader.UserPassword)
	require.NotNil(t, req.MessageHeader.SequenceMessageHeader)
	assert.Equal(t, "string", req.MessageHeader.SequenceMessageHeader.TotalInSequence)

	body := req.ActivateSubscriberResellerRequest
	require.NotNil(t, body)
	assert.Equal(t, "string", body.MarketServiceInfo.BillingMarket.BillingSubMarket)
	require.Len(t, body.SubscriberReseller, 1)
	s := body.SubscriberReseller[0]
	assert.Equal(t, "C", s.Device.EquipmentType)
	require.NotNil(t, s.Device.UMTSCapability)
	assert.False(t, *s.Device.UMTSCapability)
	assert.Equal(t, "B", s.Contract.ContractTerm.TAndCIndicator)
	assert.Equal(t, "string", s.Contract.ContractTerm.Commission.DualCommission.CreditCheckAgentLocation)
	require.NotNil(t, s.PricePlan.CBBundeledDiscount)
	require.Len(t, s.PricePlan.OfferingsBundled, 1)
	bo := s.PricePlan.OfferingsBundled[0]
	assert.Equal(t, &StartEndDates{EndDate: "2025-03-29", StartDate: "2025-03-29"}, bo.EffectiveDates)
	assert.Equal(t, "1", bo.ValueAddedParameters.PdpParameters.Context)
	assert.Equal(t, json.Number("0"), bo.ValueAddedParameters.EmailParameters.Domain)
	require.Len(t, s.AdditionalOfferings, 1)
	ao := s.AdditionalOfferings[0]
	assert.Equal(t, &EffectiveDates{EffectiveDate: "2025-03-29", ExpirationDate: "2025-03-29"}, ao.MobileSessionData.SessionDates)
	assert.Equal(t, "string", ao.SharedDataGroup.GroupDetails.GroupReference.DataGroupID)
	assert.Equal(t, bo.ValueAddedParameters, ao.ValueAddedParameters)
	assert.Equal(t, "string", s.LongDistanceCarrier.Commission.Dealer.SecondaryCode)
	assert.Equal(t, "string", s.WaiveActivationFeeReasonCode)
}

// keyAt is one member name of the example: where it starts (its opening
// quote) and the JSON path jsonx reports for it.
type keyAt struct {
	off  int
	key  string
	path string
}

// keysOf lists every member name of a document with its path, computed
// here independently of jsonx.
func keysOf(t *testing.T, data []byte) []keyAt {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []keyAt
	var walk func(path string)
	walk = func(path string) {
		tok, err := dec.Token()
		require.NoError(t, err)
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				tok, err := dec.Token()
				require.NoError(t, err)
				key := tok.(string)
				end := int(dec.InputOffset())
				start := end - len(key) - 2
				require.Equal(t, `"`+key+`"`, string(data[start:end]), "keys of the example have no escapes")
				p := key
				if path != "" {
					p = path + "." + key
				}
				out = append(out, keyAt{off: start, key: key, path: p})
				walk(p)
			}
			_, err := dec.Token()
			require.NoError(t, err)
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				walk(fmt.Sprintf("%s[%d]", path, i))
			}
			_, err := dec.Token()
			require.NoError(t, err)
		}
	}
	walk("")
	return out
}

func flipFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if unicode.IsUpper(r) {
		return string(unicode.ToLower(r)) + s[n:]
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func TestWireRefusesMisspeltFieldAnywhere(t *testing.T) {
	data := seedExample(t)
	keys := keysOf(t, data)
	require.Greater(t, len(keys), 300, "the example has some 400 member names")

	for _, k := range keys {
		for _, bad := range []string{flipFirst(k.key), k.key[:len(k.key)-1]} {
			doc := make([]byte, 0, len(data)+1)
			doc = append(doc, data[:k.off]...)
			doc = append(doc, '"')
			doc = append(doc, bad...)
			doc = append(doc, '"')
			doc = append(doc, data[k.off+len(k.key)+2:]...)

			want := k.path[:len(k.path)-len(k.key)] + bad
			var req ActivateRequest
			err := jsonx.Decode(doc, &req, jsonx.Limits{})
			var je *jsonx.Error
			if !assert.ErrorAs(t, err, &je, "%s misspelt %q", k.path, bad) {
				continue
			}
			assert.Equal(t, jsonx.ReasonUnknownField, je.Reason, "%s misspelt %q: %s", k.path, bad, je.Message)
			assert.Equal(t, want, je.Path, "%s misspelt %q", k.path, bad)
			assert.Equal(t, 400, je.Status)
		}
	}
}

func TestWireRefusesWrongTypes(t *testing.T) {
	data := seedExample(t)
	cases := []struct {
		from, to, path string
	}{
		{`"timeToLive": 0`, `"timeToLive": {}`, "MessageHeader.TrackingMessageHeader.timeToLive"},
		{`"umtsCapability": false`, `"umtsCapability": "false"`, "ActivateSubscriberResellerRequest.SubscriberReseller[0].Device.umtsCapability"},
		{`"SIM": "string"`, `"SIM": 8901`, "ActivateSubscriberResellerRequest.SubscriberReseller[0].Device.SIM"},
		{`"term": 0`, `"term": true`, "ActivateSubscriberResellerRequest.SubscriberReseller[0].Contract.ContractTerm.term"},
		{`"PrePaid": {`, `"PrePaid": [{`, "ActivateSubscriberResellerRequest.SubscriberReseller[0].PrePaid"},
	}
	for _, tc := range cases {
		doc := bytes.Replace(data, []byte(tc.from), []byte(tc.to), 1)
		require.NotEqual(t, data, doc, tc.from)
		var req ActivateRequest
		err := jsonx.Decode(doc, &req, jsonx.Limits{})
		var je *jsonx.Error
		require.ErrorAs(t, err, &je, tc.from)
		assert.Equal(t, jsonx.ReasonWrongType, je.Reason, je.Message)
		assert.Equal(t, tc.path, je.Path)
	}
}
