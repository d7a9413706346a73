package soap

import (
	"bytes"
	"unicode/utf8"
)

// prescan enforces Limits on the raw bytes before encoding/xml sees them,
// allocating nothing unless it refuses. The decoder allocates per token
// (names, attribute values, each attribute, each comment) and grows its
// buffer to the longest token; a request that would make it allocate more
// than a fraction of MaxBody is refused here, at the first limit it
// crosses:
//   - invalid UTF-8 anywhere (the decoder accepts it in names);
//   - a DOCTYPE or any other <! declaration (so nothing is ever expanded);
//   - depth, elements per document, attributes per element, nodes
//     (elements, attributes, comments, CDATA sections, processing
//     instructions) per document;
//   - one name, attribute value, text run, comment, CDATA section or
//     processing instruction longer than MaxToken, even unterminated;
//   - start and end tags longer than MaxMarkup together.
//
// prescan only tokenizes; well-formedness and the SOAP rules are scan's.
// Where the bytes are not well-formed XML prescan stops and lets scan
// report the decoder's error: the decoder fails at that same point, after
// reading only what prescan has already bounded.
func prescan(raw []byte, lim Limits) error {
	if !utf8.Valid(raw) {
		return malformed("Request is not well-formed XML: invalid UTF-8")
	}
	p := prescanner{lim: lim.withDefaults()}
	for i := 0; i < len(raw); {
		text := bytes.IndexByte(raw[i:], '<')
		if text < 0 {
			text = len(raw) - i
		}
		if text > p.lim.MaxToken {
			return p.tooLong()
		}
		i += text
		if i == len(raw) {
			break
		}
		rest := raw[i:]
		var n int
		var err error
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			n, err = p.section(rest, 4, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			n, err = p.section(rest, 9, "]]>")
		case bytes.HasPrefix(rest, []byte("<!")):
			return malformed("DOCTYPE and other XML declarations are not allowed")
		case bytes.HasPrefix(rest, []byte("<?")):
			n, err = p.section(rest, 2, "?>")
		case bytes.HasPrefix(rest, []byte("</")):
			n, err = p.endTag(rest)
		default:
			n, err = p.startTag(rest)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil // not well-formed or unterminated: the decoder says so
		}
		i += n
	}
	return nil
}

// prescanner counts what prescan has seen so far.
type prescanner struct {
	lim                            Limits
	depth, elements, nodes, markup int
}

func (p *prescanner) tooLong() error {
	return malformed("An XML name, value, text, comment or processing instruction is longer than %d bytes", p.lim.MaxToken)
}

func (p *prescanner) node() error {
	p.nodes++
	if p.nodes > p.lim.MaxNodes {
		return malformed("More than %d XML elements, attributes, comments and processing instructions", p.lim.MaxNodes)
	}
	return nil
}

func (p *prescanner) tags(n int) error {
	p.markup += n
	if p.markup > p.lim.MaxMarkup {
		return malformed("XML tags longer than %d bytes in total", p.lim.MaxMarkup)
	}
	return nil
}

// window answers b cut to n bytes.
func window(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// section answers the length of a comment, CDATA section or processing
// instruction (open bytes, content, close), or 0 when it is unterminated.
func (p *prescanner) section(rest []byte, open int, close string) (int, error) {
	end := bytes.Index(window(rest[open:], p.lim.MaxToken+len(close)), []byte(close))
	switch {
	case end >= 0:
		return open + end + len(close), p.node()
	case len(rest)-open > p.lim.MaxToken:
		return 0, p.tooLong()
	}
	return 0, nil
}

// endTag answers the length of the end tag at the start of rest.
func (p *prescanner) endTag(rest []byte) (int, error) {
	gt := bytes.IndexByte(window(rest, p.lim.MaxToken+3), '>')
	switch {
	case gt >= 0:
		if p.depth > 0 {
			p.depth--
		}
		return gt + 1, p.tags(gt + 1)
	case len(rest) > p.lim.MaxToken:
		return 0, p.tooLong()
	}
	return 0, nil
}

// startTag checks the start tag at the start of rest, attribute by
// attribute, and answers its length (0 when it is not well-formed or
// unterminated).
func (p *prescanner) startTag(rest []byte) (int, error) {
	p.depth++
	p.elements++
	switch {
	case p.depth > p.lim.MaxDepth:
		return 0, malformed("XML nesting deeper than %d levels", p.lim.MaxDepth)
	case p.elements > p.lim.MaxElements:
		return 0, malformed("More than %d XML elements", p.lim.MaxElements)
	}
	if err := p.node(); err != nil {
		return 0, err
	}
	j := 1
	name := nameLen(rest[j:])
	if name > p.lim.MaxToken {
		return 0, p.tooLong()
	}
	if name == 0 {
		return 0, nil
	}
	elem := rest[j : j+name]
	j += name
	attrs, counted := 0, 0
	for {
		j += spaceLen(rest[j:])
		if err := p.tags(j - counted); err != nil {
			return 0, err
		}
		counted = j
		if j >= len(rest) {
			return 0, nil
		}
		switch rest[j] {
		case '>':
			return j + 1, p.tags(1)
		case '/':
			if j+1 < len(rest) && rest[j+1] == '>' {
				p.depth--
				return j + 2, p.tags(2)
			}
			return 0, nil
		}
		an := nameLen(rest[j:])
		if an > p.lim.MaxToken {
			return 0, p.tooLong()
		}
		if an == 0 {
			return 0, nil
		}
		attrs++
		if attrs > p.lim.MaxAttrs {
			local := elem
			if k := bytes.LastIndexByte(local, ':'); k >= 0 {
				local = local[k+1:]
			}
			return 0, malformed("More than %d attributes on element %s", p.lim.MaxAttrs, truncate(string(local), 64))
		}
		if err := p.node(); err != nil {
			return 0, err
		}
		j += an
		j += spaceLen(rest[j:])
		if j >= len(rest) || rest[j] != '=' {
			return 0, nil
		}
		j++
		j += spaceLen(rest[j:])
		if j >= len(rest) || (rest[j] != '"' && rest[j] != '\'') {
			return 0, nil
		}
		quote := rest[j]
		j++
		end := bytes.IndexByte(window(rest[j:], p.lim.MaxToken+1), quote)
		if end < 0 {
			if len(rest)-j > p.lim.MaxToken {
				return 0, p.tooLong()
			}
			return 0, nil
		}
		j += end + 1
	}
}

// nameLen answers the length of the XML name at the start of b, by the
// decoder's rule: ASCII name bytes and any byte of a multi-byte character.
func nameLen(b []byte) int {
	for i, c := range b {
		if c < utf8.RuneSelf && !isNameByte(c) {
			return i
		}
	}
	return len(b)
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

func spaceLen(b []byte) int {
	for i, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return i
		}
	}
	return len(b)
}
