package jsonx

import (
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// tokens is what the walker reads: json.Decoder's Token and InputOffset.
type tokens interface {
	Token() (json.Token, error)
	InputOffset() int64
}

// errLexSyntax is the lexer's answer to a document that is not valid JSON.
// It never reaches a caller: Decode then walks the document again with
// json.Decoder, whose errors name the problem.
var errLexSyntax = errors.New("jsonx: not valid JSON")

// maxLexDepth is the deepest nesting json.Valid accepts (encoding/json's
// scanner refuses a document nested deeper).
const maxLexDepth = 10000

// What the lexer expects next.
const (
	expValue      = iota // a value: at the top level, after ':', after ',' in an array
	expValueOrEnd        // a value or ']': after '['
	expKeyOrEnd          // a key or '}': after '{'
	expKey               // a key: after ',' in an object
	expColon             // ':' after a key
	expCommaOrEnd        // ',' or the end of the container, after a value in one
	expDone              // nothing but whitespace: after the top-level value
)

// lexer yields the tokens json.Decoder (with UseNumber) yields, and checks
// the grammar as it goes, exactly as json.Valid does: at the first token
// that json.Valid would refuse (or that follows a refused byte, as the 1
// of 01 does) it answers errLexSyntax, and keeps answering it.
// It allocates only the strings and numbers it returns. json.Decoder.Token
// costs several times more (it decodes each scalar through reflection and
// builds a scanner error message at the end of every value), and checking
// a body with json.Valid first would read it twice.
//
// It checks only what json.Valid checks: invalid UTF-8 in strings is the
// walker's to refuse.
type lexer struct {
	data  []byte
	pos   int
	state int    // one of the exp constants
	stack []byte // the open containers, '{' or '['
	err   error  // errLexSyntax once met
	buf   [32]byte
}

func newLexer(data []byte) *lexer {
	l := &lexer{data: data}
	l.stack = l.buf[:0]
	return l
}

func (l *lexer) InputOffset() int64 { return int64(l.pos) }

// done reports whether the lexer has read one whole top-level value without
// a syntax error.
func (l *lexer) done() bool { return l.err == nil && l.state == expDone }

func (l *lexer) fail() (json.Token, error) {
	l.err = errLexSyntax
	return nil, l.err
}

// skip moves from i past whitespace and separators, checking them against
// state st; it answers where the next token starts and the state it is
// read in, or ok false for a misplaced separator. It changes nothing.
func (l *lexer) skip(i, st int) (int, int, bool) {
	for ; i < len(l.data); i++ {
		switch l.data[i] {
		case ' ', '\t', '\r', '\n':
		case ',':
			if st != expCommaOrEnd {
				return i, st, false
			}
			st = expKey
			if l.stack[len(l.stack)-1] == '[' {
				st = expValue
			}
		case ':':
			if st != expColon {
				return i, st, false
			}
			st = expValue
		default:
			return i, st, true
		}
	}
	return i, st, true
}

// afterValue is the state after a complete value.
func (l *lexer) afterValue() int {
	if len(l.stack) == 0 {
		return expDone
	}
	return expCommaOrEnd
}

func (l *lexer) Token() (json.Token, error) {
	if l.err != nil {
		return nil, l.err
	}
	start, st, ok := l.skip(l.pos, l.state)
	if !ok {
		return l.fail()
	}
	if start >= len(l.data) {
		if st != expDone {
			return l.fail()
		}
		l.pos, l.state = start, st
		return nil, io.EOF
	}
	value := st == expValue || st == expValueOrEnd
	switch c := l.data[start]; c {
	case '{', '[':
		if !value || len(l.stack) >= maxLexDepth {
			return l.fail()
		}
		l.stack = append(l.stack, c)
		l.pos, l.state = start+1, expValueOrEnd
		if c == '{' {
			l.state = expKeyOrEnd
		}
		return json.Delim(c), nil
	case '}', ']':
		open := byte('{')
		if c == ']' {
			open = '['
		}
		if len(l.stack) == 0 || l.stack[len(l.stack)-1] != open ||
			!(st == expCommaOrEnd || c == '}' && st == expKeyOrEnd || c == ']' && st == expValueOrEnd) {
			return l.fail()
		}
		l.stack = l.stack[:len(l.stack)-1]
		l.pos, l.state = start+1, l.afterValue()
		return json.Delim(c), nil
	case '"':
		next := l.afterValue()
		switch {
		case st == expKeyOrEnd || st == expKey:
			next = expColon
		case !value:
			return l.fail()
		}
		end, plain, ok := l.stringEnd(start + 1)
		if !ok {
			return l.fail()
		}
		l.pos, l.state = end+1, next
		raw := l.data[start:l.pos]
		if plain {
			if tok, ok := internedToken(raw[1 : len(raw)-1]); ok {
				return tok, nil
			}
			return string(raw[1 : len(raw)-1]), nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return l.fail() // unreachable for a string stringEnd accepted
		}
		return s, nil
	case 't', 'f', 'n':
		if !value {
			return l.fail()
		}
		var lit string
		var tok json.Token
		switch c {
		case 't':
			lit, tok = "true", true
		case 'f':
			lit, tok = "false", false
		default:
			lit = "null"
		}
		if len(l.data)-start < len(lit) || string(l.data[start:start+len(lit)]) != lit {
			return l.fail()
		}
		l.pos, l.state = start+len(lit), l.afterValue()
		return tok, nil
	}
	if !value {
		return l.fail()
	}
	end, ok := l.numberEnd(start)
	if !ok {
		return l.fail()
	}
	l.pos, l.state = end, l.afterValue()
	return json.Number(l.data[start:end]), nil
}

// numberEnd answers the end of the number that starts at i, or ok false if
// no JSON number starts there: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
// What follows the number is the next token's to judge.
func (l *lexer) numberEnd(i int) (int, bool) {
	d := l.data
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return i, false
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		i++
		i = digits(d, i)
	default:
		return i, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := digits(d, i)
		if j == i {
			return i, false
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(d, i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}

// digits answers the end of the run of digits that starts at i.
func digits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// skipString moves past the next token if it is a string in value position
// and answers the offset where it starts (its opening quote) and whether it
// is plain (see stringEnd); otherwise, and on any syntax error, it answers
// false and moves nothing (Token then meets the same error).
func (l *lexer) skipString() (start int, plain, ok bool) {
	if l.err != nil {
		return 0, false, false
	}
	i, st, ok := l.skip(l.pos, l.state)
	if !ok || i >= len(l.data) || l.data[i] != '"' || st != expValue && st != expValueOrEnd {
		return 0, false, false
	}
	end, plain, ok := l.stringEnd(i + 1)
	if !ok {
		return 0, false, false
	}
	l.pos, l.state = end+1, l.afterValue()
	return i, plain, true
}

// strPlain marks the bytes a string holds as they are: not the quote, the
// backslash, a control character (refused) nor a non-ASCII byte.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// stringEnd answers the index of the quote closing the string whose
// content starts at i, and whether the content is plain: no escape and
// valid UTF-8, so that it is its own value. ok is false where json.Valid
// refuses the string: a control character, an escape other than \" \\ \/
// \b \f \n \r \t and \u with four hex digits, or no closing quote.
func (l *lexer) stringEnd(i int) (end int, plain, ok bool) {
	d := l.data
	from := i
	plain = true
	ascii := true
	for {
		for i < len(d) && strPlain[d[i]] {
			i++
		}
		if i >= len(d) {
			return i, false, false
		}
		switch c := d[i]; {
		case c == '"':
			return i, plain && (ascii || utf8.Valid(d[from:i])), true
		case c == '\\':
			plain = false
			if i+1 >= len(d) {
				return i, false, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(d, i+2); !ok {
					return i, false, false
				}
				i += 6
			default:
				return i, false, false
			}
		case c < 0x20:
			return i, false, false
		default: // non-ASCII
			ascii = false
			i++
		}
	}
}
