package scenario

import (
	"math/bits"
	"strings"
)

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tErr
	tNum
	tIdent
	tVar
	tStr
	tEllipsis
	tLParen
	tRParen
	tLBrack
	tRBrack
	tLBrace
	tRBrace
	tComma
	tAssign // =
	tOp     // operator; token.op says which
	tLT     // < (fd paths, markers, durations: the parser scans those raw)
	tGT     // >
	tQuest  // ?
	tAt     // @
	tOther  // any other byte
)

// token is one lexical token; start and end are byte offsets in the
// parser's source. It holds no pointers, so that copying it is cheap; the
// message of a tErr token is in parser.errMsg.
type token struct {
	kind  tokKind
	op    Op
	base  uint8 // tNum
	ws    bool  // white space or a comment precedes the token
	trunc bool  // tStr: followed by "..."
	esc   bool  // tStr: contains a backslash
	start int
	end   int
	num   uint64 // tNum
}

// Character classes for the lexer's hot loops.
const (
	cSpace = 1 << iota // ' ', '\t', '\r'
	cDigit             // 0-9
	cAlpha             // a-z, A-Z, _
	cHex               // 0-9, a-f, A-F
)

// hexTable maps a byte to its hex digit value, or -1.
var hexTable = func() (t [256]int8) {
	for i := range t {
		t[i] = int8(hexVal(byte(i)))
	}
	return t
}()

var charClass = func() (t [256]uint8) {
	t[' '], t['\t'], t['\r'] = cSpace, cSpace, cSpace
	for c := '0'; c <= '9'; c++ {
		t[c] = cDigit | cHex
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = cAlpha
		t[c-'a'+'A'] = cAlpha
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= cHex
		t[c-'a'+'A'] |= cHex
	}
	t['_'] = cAlpha
	return t
}()

func isIdentStart(c byte) bool { return charClass[c]&cAlpha != 0 }

func isIdentChar(c byte) bool { return charClass[c]&(cAlpha|cDigit) != 0 }

func isDigit(c byte) bool { return charClass[c]&cDigit != 0 }

func isSpace(c byte) bool { return charClass[c]&cSpace != 0 }

// next scans the token at p.off into p.tok and advances p.off past it.
func (p *parser) next() {
	src := p.src
	i := p.off
	p.prev = i
	ws := false
	for i < len(src) {
		c := src[i]
		if c <= ' ' && (c == ' ' || c == '\t' || c == '\r') {
			i++
			ws = true
			continue
		}
		if c == '/' && i+1 < len(src) && src[i+1] == '*' {
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				p.tok = token{kind: tErr, start: i, end: len(src), ws: ws}
				p.errMsg = "unterminated comment: expected */, found end of line"
				p.off = len(src)
				return
			}
			i += j + 4
			ws = true
			continue
		}
		break
	}
	t := &p.tok
	*t = token{start: i, ws: ws}
	if i >= len(src) {
		t.end = i
		p.off = i
		return
	}
	c := src[i]
	j := i + 1
	cl := charClass[c]
	switch {
	case cl&cAlpha != 0:
		for j < len(src) && charClass[src[j]]&(cAlpha|cDigit) != 0 {
			j++
		}
		t.kind = tIdent
	case cl&cDigit != 0:
		p.lexNum(t)
		p.off = t.end
		return
	case c == '$':
		for j < len(src) && isIdentChar(src[j]) {
			j++
		}
		if j == i+1 {
			t.kind = tErr
			p.errMsg = "expected a variable name after '$', found " + describeAt(src, j)
		} else {
			t.kind = tVar
		}
	case c == '"':
		t.kind = tStr
		for j < len(src) && src[j] != '"' {
			if src[j] == '\\' {
				t.esc = true
				j++
			}
			j++
		}
		if j >= len(src) {
			t.kind = tErr
			p.errMsg = "unterminated string: expected '\"', found end of line"
			j = len(src)
		} else {
			j++
			if strings.HasPrefix(src[j:], "...") {
				t.trunc = true
				j += 3
			}
		}
	default:
		t.kind = tOp
		n := byte(0)
		if j < len(src) {
			n = src[j]
		}
		switch c {
		case '(':
			t.kind = tLParen
		case ')':
			t.kind = tRParen
		case '[':
			t.kind = tLBrack
		case ']':
			t.kind = tRBrack
		case '{':
			t.kind = tLBrace
		case '}':
			t.kind = tRBrace
		case ',':
			t.kind = tComma
		case '?':
			t.kind = tQuest
		case '@':
			t.kind = tAt
		case '.':
			if strings.HasPrefix(src[i:], "...") {
				t.kind = tEllipsis
				j = i + 3
			} else {
				t.kind = tOther
			}
		case '=':
			switch n {
			case '=':
				t.op, j = OpEq, j+1
			case '>':
				t.op, j = OpArrow, j+1
			default:
				t.kind = tAssign
			}
		case '|':
			t.op = OpOr
			if n == '|' {
				t.op, j = OpLOr, j+1
			}
		case '&':
			t.op = OpAnd
			if n == '&' {
				t.op, j = OpLAnd, j+1
			}
		case '^':
			t.op = OpXor
		case '<':
			if n == '<' {
				t.op, j = OpShl, j+1
			} else {
				t.kind = tLT
			}
		case '>':
			if n == '>' {
				t.op, j = OpShr, j+1
			} else {
				t.kind = tGT
			}
		case '+':
			t.op = OpAdd
		case '-':
			t.op = OpSub
		case '*':
			t.op = OpMul
		case '/':
			t.op = OpDiv
		case '%':
			t.op = OpMod
		case '~':
			t.op = OpCompl
		case '!':
			t.op = OpNot
			if n == '=' {
				t.op, j = OpNe, j+1
			}
		default:
			t.kind = tOther
		}
	}
	t.end = j
	p.off = j
}

// lexNum scans a number starting at t.start: decimal, 0x hex or 0 octal.
func (p *parser) lexNum(t *token) {
	src := p.src
	i := t.start
	t.kind = tNum
	var v uint64
	var base uint64 = 10
	j := i
	over := false
	switch {
	case src[i] == '0' && i+1 < len(src) && (src[i+1] == 'x' || src[i+1] == 'X'):
		base = 16
		j = i + 2
		k := j
		for ; j < len(src); j++ {
			d := hexTable[src[j]]
			if d < 0 {
				break
			}
			over = over || v>>60 != 0
			v = v<<4 | uint64(d)
		}
		if j == k {
			t.kind = tErr
			p.errMsg = "expected hex digits after 0x, found " + describeAt(src, j)
			t.end = j
			return
		}
	default:
		for ; j < len(src); j++ {
			c := src[j] - '0'
			if c > 9 {
				break
			}
			v = v*10 + uint64(c)
		}
		if src[i] == '0' && j > i+1 {
			base = 8
			for k := i + 1; k < j; k++ {
				if src[k] > '7' {
					t.kind = tErr
					p.errMsg = "invalid digit '" + string(src[k]) + "' in octal number"
					t.end = k + 1
					return
				}
			}
		}
		// v is right for up to 19 decimal digits (10^19 < 2^64);
		// recompute otherwise.
		switch {
		case base == 8 && j-i <= 21: // 8^21 = 2^63: cannot overflow
			v = 0
			for k := i; k < j; k++ {
				v = v<<3 | uint64(src[k]-'0')
			}
		case base == 8 || j-i > 19:
			v = 0
			for k := i; k < j; k++ {
				d := uint64(src[k] - '0')
				hi, lo := bits.Mul64(v, base)
				if hi != 0 || lo+d < lo {
					over = true
				}
				v = lo + d
			}
		}
	}
	t.end = j
	if over {
		t.kind = tErr
		p.errMsg = "number " + src[i:j] + " does not fit in 64 bits"
		return
	}
	if j < len(src) && (isIdentChar(src[j]) || src[j] == '.' && !strings.HasPrefix(src[j:], "...")) {
		t.kind = tErr
		p.errMsg = "malformed number: unexpected '" + string(src[j]) + "' after " + src[i:j]
		for j < len(src) && (isIdentChar(src[j]) || src[j] == '.') {
			j++
		}
		t.end = j
		return
	}
	t.num = v
	t.base = uint8(base)
}

// describeAt describes the input at offset i for "found ..." messages.
func describeAt(src string, i int) string {
	if i >= len(src) {
		return "end of line"
	}
	return quoteSnippet(src[i:])
}

// quoteSnippet returns a short quoted excerpt of s.
func quoteSnippet(s string) string {
	const max = 24
	if len(s) > max {
		s = s[:max] + "..."
	}
	return "'" + s + "'"
}

// describe describes token t for "found ..." messages.
func (p *parser) describe(t token) string {
	text := p.src[t.start:t.end]
	switch t.kind {
	case tEOF:
		return "end of line"
	case tErr:
		return p.errMsg
	case tNum:
		return "number " + text
	case tIdent:
		return "identifier " + text
	case tVar:
		return "variable " + text
	case tStr:
		return "string " + quoteSnippet(text)
	case tOther, tAt, tLT, tGT:
		return describeAt(p.src, t.start)
	}
	return quoteSnippet(text)
}
