package jsonx

import (
	"bytes"
	"encoding/json"
	"io"
	"unicode/utf8"
)

// tokens is what the walker reads: json.Decoder's Token and InputOffset.
type tokens interface {
	Token() (json.Token, error)
	InputOffset() int64
}

// lexer yields the tokens json.Decoder (with UseNumber) yields, from a
// document json.Valid has accepted: it never meets a syntax error, so it
// checks no grammar and allocates only the strings and numbers it
// returns. json.Decoder.Token costs several times more (it decodes each
// scalar through reflection and builds a scanner error message at the end
// of every value); a document that is not valid JSON still goes through
// json.Decoder, whose errors name the problem.
type lexer struct {
	data []byte
	pos  int
}

func (l *lexer) InputOffset() int64 { return int64(l.pos) }

func (l *lexer) Token() (json.Token, error) {
	for l.pos < len(l.data) {
		switch l.data[l.pos] {
		case ' ', '\t', '\r', '\n', ',', ':':
			l.pos++
			continue
		}
		break
	}
	if l.pos >= len(l.data) {
		return nil, io.EOF
	}
	start := l.pos
	switch c := l.data[start]; c {
	case '{', '}', '[', ']':
		l.pos++
		return json.Delim(c), nil
	case '"':
		end, plain := l.stringEnd(start + 1)
		l.pos = end + 1
		raw := l.data[start:l.pos]
		if plain {
			if tok, ok := internedToken(raw[1 : len(raw)-1]); ok {
				return tok, nil
			}
			return string(raw[1 : len(raw)-1]), nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err // unreachable for a valid document
		}
		return s, nil
	case 't':
		l.pos += len("true")
		return true, nil
	case 'f':
		l.pos += len("false")
		return false, nil
	case 'n':
		l.pos += len("null")
		return nil, nil
	}
	end := start
	for end < len(l.data) && bytes.IndexByte([]byte("+-0123456789.eE"), l.data[end]) >= 0 {
		end++
	}
	l.pos = end
	return json.Number(l.data[start:end]), nil
}

// skipString moves past the next token if it is a string and answers the
// offset where it starts (its opening quote) and whether it is plain (see
// stringEnd); otherwise it answers false and moves nothing.
func (l *lexer) skipString() (start int, plain, ok bool) {
	i := l.pos
	for i < len(l.data) {
		switch l.data[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
			continue
		}
		break
	}
	if i >= len(l.data) || l.data[i] != '"' {
		return 0, false, false
	}
	end, plain := l.stringEnd(i + 1)
	l.pos = end + 1
	return i, plain, true
}

// stringEnd answers the index of the quote closing the string whose
// content starts at i, and whether the content is plain: no escape and
// valid UTF-8, so that it is its own value.
func (l *lexer) stringEnd(i int) (int, bool) {
	from := i
	plain, ascii := true, true
	for ; i < len(l.data); i++ {
		switch c := l.data[i]; {
		case c == '"':
			return i, plain && (ascii || utf8.Valid(l.data[from:i]))
		case c == '\\':
			plain = false
			i++ // the escaped character, which may be a quote
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return i, false // unreachable for a valid document
}
