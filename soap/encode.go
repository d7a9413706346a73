package soap

import (
	"bytes"
	"encoding/xml"

	"github.com/beevik/etree"
)

// The response envelope uses the prefixes legacy userapi clients were
// written against: SOAP-ENV for the envelope and ns1 for urn:emersion:userapi.
const (
	envelopeOpen  = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NSEnvelope + `" xmlns:ns1="` + NSUserAPI + `"><SOAP-ENV:Body>`
	envelopeClose = `</SOAP-ENV:Body></SOAP-ENV:Envelope>` + "\n"
)

// encode wraps a generated response type in the response envelope.
func encode(v any) ([]byte, error) {
	inner, err := encodeInner(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(envelopeOpen)+len(inner)+len(envelopeClose))
	out = append(out, envelopeOpen...)
	out = append(out, inner...)
	return append(out, envelopeClose...), nil
}

// prefixed moves every element in urn:emersion:userapi to the ns1 prefix.
func prefixed(el *etree.Element, inherited bool) {
	inNS := inherited
	for i := 0; i < len(el.Attr); i++ {
		a := el.Attr[i]
		if a.Space == "" && a.Key == "xmlns" {
			inNS = a.Value == NSUserAPI
			el.RemoveAttr("xmlns")
			i--
		}
	}
	if inNS && el.Space == "" {
		el.Space = "ns1"
	}
	for _, c := range el.ChildElements() {
		prefixed(c, inNS)
	}
}

// encodeFault writes a SOAP 1.1 fault with a typed detail.
func encodeFault(f fault, detail any) []byte {
	var buf bytes.Buffer
	buf.WriteString(envelopeOpen)
	buf.WriteString(`<SOAP-ENV:Fault><faultcode>SOAP-ENV:`)
	buf.WriteString(f.code)
	buf.WriteString(`</faultcode><faultstring>`)
	_ = xml.EscapeText(&buf, []byte(f.message))
	buf.WriteString(`</faultstring>`)
	if detail != nil {
		if d, err := encodeInner(detail); err == nil {
			buf.WriteString(`<detail>`)
			buf.Write(d)
			buf.WriteString(`</detail>`)
		}
	}
	buf.WriteString(`</SOAP-ENV:Fault>`)
	buf.WriteString(envelopeClose)
	return buf.Bytes()
}

// encodeInner marshals a generated type and rewrites its default namespace
// to the ns1 prefix declared on the envelope.
func encodeInner(v any) ([]byte, error) {
	inner, err := xml.Marshal(v)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(inner); err != nil {
		return nil, err
	}
	prefixed(doc.Root(), false)
	doc.WriteSettings.CanonicalText = true
	return doc.WriteToBytes()
}
