// Package soap is simgate's SOAP 1.1 front end for the Emersion userapi:
// Authentication (login) and Services (ActivateService, serviceDetail).
// It decodes envelopes into the gowsdl-generated types of package wsdl,
// after checks that refuse hostile XML before any decoding happens.
package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"simgate/core"
)

// Namespaces.
const (
	NSEnvelope   = "http://schemas.xmlsoap.org/soap/envelope/"
	NSEnvelope12 = "http://www.w3.org/2003/05/soap-envelope"
	NSUserAPI    = "urn:emersion:userapi"
	nsXSI        = "http://www.w3.org/2001/XMLSchema-instance"
)

// Limits bounds what a request may contain. prescan checks them before
// decoding, without allocating; together they keep what the XML decoder
// allocates for a request that passes them well under MaxBody, so that a
// request never costs twice the body limit (see TestXMLAttacks). A zero
// field means its DefaultLimits value.
type Limits struct {
	MaxBody     int64 // bytes
	MaxDepth    int   // element nesting
	MaxAttrs    int   // attributes (namespace declarations included) per element
	MaxElements int   // elements in the whole document
	MaxNodes    int   // elements, attributes, comments, CDATA sections and processing instructions in the whole document
	MaxToken    int   // bytes of one name, attribute value, text run, comment, CDATA section or processing instruction
	MaxMarkup   int   // bytes of all start and end tags (names, attributes and values) together
}

// DefaultLimits are generous for the userapi's flat requests (a request
// has about fifteen elements and a handful of attributes).
var DefaultLimits = Limits{MaxBody: 1 << 20, MaxDepth: 100, MaxAttrs: 32, MaxElements: 1_000, MaxNodes: 2_000, MaxToken: 64 << 10, MaxMarkup: 128 << 10}

// withDefaults fills the zero (or negative) fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxBody <= 0 {
		l.MaxBody = d.MaxBody
	}
	l.MaxDepth = orDefault(l.MaxDepth, d.MaxDepth)
	l.MaxAttrs = orDefault(l.MaxAttrs, d.MaxAttrs)
	l.MaxElements = orDefault(l.MaxElements, d.MaxElements)
	l.MaxNodes = orDefault(l.MaxNodes, d.MaxNodes)
	l.MaxToken = orDefault(l.MaxToken, d.MaxToken)
	l.MaxMarkup = orDefault(l.MaxMarkup, d.MaxMarkup)
	return l
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// request is what the scan learnt of an envelope.
type request struct {
	op       xml.Name        // the Body's single child
	children map[string]bool // local names of op's direct children -> xsi:nil
	raw      []byte
}

func malformed(format string, args ...any) *core.Error {
	return core.Errorf(core.KindInvalid, core.ReasonMalformed, "", format, args...)
}

// scan walks the whole document once, token by token, and refuses it at the
// first thing a userapi request never contains: a DTD (so no entity of any
// kind is ever expanded), processing instructions after the XML
// declaration, excess depth, attributes or elements, or anything that is not
// a SOAP 1.1 envelope with exactly one element in its Body. prescan has
// enforced the limits before the decoder sees a byte; they are checked
// again here as the decoder sees the document.
func scan(raw []byte, lim Limits) (*request, error) {
	if err := prescan(raw, lim); err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("encoding %q is not supported, use UTF-8", label)
	}
	req := &request{raw: raw}
	var (
		depth, elements            int
		sawRoot, sawHeader, inBody bool
		inHeader                   bool
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, malformed("Request is not well-formed XML: %s", xmlErrText(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			elements++
			if depth > lim.MaxDepth {
				return nil, malformed("XML nesting deeper than %d levels", lim.MaxDepth)
			}
			if elements > lim.MaxElements {
				return nil, malformed("More than %d XML elements", lim.MaxElements)
			}
			if len(t.Attr) > lim.MaxAttrs {
				return nil, malformed("More than %d attributes on element %s", lim.MaxAttrs, truncate(t.Name.Local, 64))
			}
			switch depth {
			case 1:
				if sawRoot {
					return nil, malformed("More than one root element")
				}
				sawRoot = true
				if t.Name.Local != "Envelope" || (t.Name.Space != NSEnvelope && t.Name.Space != NSEnvelope12) {
					return nil, malformed("Not a SOAP envelope: root element is %s", truncate(t.Name.Local, 64))
				}
				if t.Name.Space == NSEnvelope12 {
					return nil, malformed("SOAP 1.2 is not supported: send a SOAP 1.1 envelope (%s)", NSEnvelope)
				}
			case 2:
				switch {
				case t.Name.Space == NSEnvelope && t.Name.Local == "Header" && !sawHeader && req.op.Local == "" && !inBody:
					sawHeader, inHeader = true, true
				case t.Name.Space == NSEnvelope && t.Name.Local == "Body" && req.op.Local == "" && !inBody:
					inBody = true
				default:
					return nil, malformed("Unexpected element %s in the SOAP envelope", truncate(t.Name.Local, 64))
				}
			case 3:
				if inHeader {
					for _, a := range t.Attr {
						if a.Name.Space == NSEnvelope && a.Name.Local == "mustUnderstand" && strings.TrimSpace(a.Value) == "1" {
							return nil, &core.Error{Kind: core.KindInvalid, Reason: reasonMustUnderstand, Message: "Header " + truncate(t.Name.Local, 64) + " is not understood"}
						}
					}
					break
				}
				if req.op.Local != "" {
					return nil, malformed("The SOAP Body must hold exactly one element")
				}
				req.op = t.Name
				req.children = map[string]bool{}
			case 4:
				if inBody {
					if _, dup := req.children[t.Name.Local]; dup {
						return nil, malformed("Element %s appears more than once", truncate(t.Name.Local, 64))
					}
					req.children[t.Name.Local] = isNil(t.Attr)
				}
			}
		case xml.EndElement:
			if depth == 2 {
				inHeader = false
			}
			depth--
		case xml.Directive:
			return nil, malformed("DOCTYPE and other XML declarations are not allowed")
		case xml.ProcInst:
			if t.Target != "xml" || sawRoot || d.InputOffset() != int64(len(xmlDeclPrefix(raw))) {
				return nil, malformed("XML processing instructions are not allowed")
			}
		case xml.CharData:
			if depth <= 1 && len(bytes.TrimSpace(t)) > 0 {
				return nil, malformed("Text outside the SOAP envelope")
			}
		}
	}
	if !sawRoot {
		return nil, malformed("Request is not well-formed XML: no root element")
	}
	if req.op.Local == "" {
		return nil, malformed("The SOAP Body is missing or empty")
	}
	return req, nil
}

// xmlDeclPrefix answers the bytes up to and including the XML declaration,
// which is only legal as the very first thing in the document.
func xmlDeclPrefix(raw []byte) []byte {
	if !bytes.HasPrefix(raw, []byte("<?xml")) {
		return nil
	}
	end := bytes.Index(raw, []byte("?>"))
	if end < 0 {
		return nil
	}
	return raw[:end+2]
}

func isNil(attrs []xml.Attr) bool {
	for _, a := range attrs {
		if a.Name.Space == nsXSI && a.Name.Local == "nil" {
			v := strings.TrimSpace(a.Value)
			return v == "true" || v == "1"
		}
	}
	return false
}

// xmlErrText keeps the decoder's message but never echoes input bytes back.
func xmlErrText(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, truncate(se.Msg, 80))
	}
	return truncate(err.Error(), 80)
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// decodeOp decodes the Body's element into v (a generated request type),
// in the namespace context of the whole envelope.
func decodeOp(req *request, v any) error {
	d := xml.NewDecoder(bytes.NewReader(req.raw))
	d.Strict = true
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return malformed("Request is not well-formed XML: %s", xmlErrText(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 3 && t.Name == req.op {
				if err := d.DecodeElement(v, &t); err != nil {
					return malformed("Cannot decode %s: %s", t.Name.Local, xmlErrText(err))
				}
				return nil
			}
		case xml.EndElement:
			depth--
		}
	}
}

// checkFields refuses child elements the operation does not define; a
// misspelt field would otherwise be silently ignored.
func checkFields(req *request, allowed ...string) error {
	for name := range req.children {
		ok := false
		for _, a := range allowed {
			if name == a {
				ok = true
				break
			}
		}
		if !ok {
			return malformed("Unknown element %s in %s (field names are case sensitive)", truncate(name, 64), req.op.Local)
		}
	}
	return nil
}

// present answers v unless the element was sent as xsi:nil, which clients
// such as zeep use for "not set".
func present(req *request, name string, v *string) *string {
	if v == nil || req.children[name] {
		return nil
	}
	return v
}
