package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

// The lexer must yield, for every valid document, exactly the tokens and
// offsets json.Decoder yields: the walker's checks and messages rest on them.
func FuzzLexerMatchesDecoder(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, ` {"a":1,"b":[true,false,null,-1.5e3,"x"]} `, `"\u00e9\ud83d\ude00\"\\/"`,
		`{"é":"\xff\xfe","k":"a\u0000b"}`, "[1,\n2 ,\t3]", `{"MessageHeader":{"TrackingMessageHeader":{"messageId":"m-1"}}}`,
		`0`, `-0.0E+1`, `"` + "\xe2\x82" + `"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		lex := newLexer(data)
		for {
			want, werr := dec.Token()
			got, gerr := lex.Token()
			if errors.Is(werr, io.EOF) {
				if !errors.Is(gerr, io.EOF) {
					t.Fatalf("decoder ended, lexer answered %#v, %v", got, gerr)
				}
				return
			}
			if werr != nil || gerr != nil {
				t.Fatalf("errors on a valid document: decoder %v, lexer %v", werr, gerr)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("token %#v, lexer %#v", want, got)
			}
			if dec.InputOffset() != lex.InputOffset() {
				t.Fatalf("after %#v: offset %d, lexer %d", want, dec.InputOffset(), lex.InputOffset())
			}
		}
	})
}

// BenchmarkDecodeMVNX is the strict decoding of an MVNX activation body.
func BenchmarkDecodeMVNX(b *testing.B) {
	body := []byte(`{"MessageHeader":{"TrackingMessageHeader":{"version":"v185","messageId":"bench-1","returnURL":"http://127.0.0.1:1/mvnx","dateTimeStamp":"2026-11-25T10:00:00Z"},` +
		`"SecurityMessageHeader":{"userName":"bench-reseller","userPassword":"secret"}},` +
		`"ActivateSubscriberResellerRequest":{"MarketServiceInfo":{"billingMarket":{"localMarket":"BEN","billingMarket":"BEN","billingSubMarket":"708"}},` +
		`"SubscriberReseller":[{"Device":{"SIM":"89014104000000000000","IMEI":"356938035643809"},` +
		`"PricePlan":{"singleUserCode":"BENCH1","OfferingsBundled":[{"action":"A","offeringCode":"BOFF1"}]}}]}}`)
	type device struct{ SIM, IMEI string }
	type offering struct {
		Action       string `json:"action"`
		OfferingCode string `json:"offeringCode"`
	}
	type plan struct {
		SingleUserCode   string     `json:"singleUserCode"`
		OfferingsBundled []offering `json:"OfferingsBundled"`
	}
	type sub struct {
		Device    device
		PricePlan plan
	}
	type doc struct {
		MessageHeader struct {
			TrackingMessageHeader struct {
				Version       string `json:"version"`
				MessageID     string `json:"messageId"`
				ReturnURL     string `json:"returnURL"`
				DateTimeStamp string `json:"dateTimeStamp"`
			}
			SecurityMessageHeader struct {
				UserName     string `json:"userName"`
				UserPassword string `json:"userPassword"`
			}
		}
		ActivateSubscriberResellerRequest struct {
			MarketServiceInfo struct {
				BillingMarket struct {
					LocalMarket      string `json:"localMarket"`
					BillingMarket    string `json:"billingMarket"`
					BillingSubMarket string `json:"billingSubMarket"`
				} `json:"billingMarket"`
			}
			SubscriberReseller []sub
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		var v doc // a handler decodes into a fresh value
		if err := Decode(body, &v, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
