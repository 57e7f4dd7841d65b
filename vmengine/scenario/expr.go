package scenario

import (
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of expressions, so that hostile input cannot
// exhaust the stack.
const maxDepth = 200

// parser holds the state of one ParseLine / ParseExpr call.
type parser struct {
	src     string
	base    Pos // position of src[0]
	off     int // offset just past p.tok
	tok     token
	lenient bool // strace-produced line: unparsable arguments become Raw
	depth   int
	errMsg  string // message of the last tErr token

	// Small slabs that node allocations are carved from, to keep the
	// number of allocations per line low.
	nums   []Num
	idents []Ident
	unary  []Unary
	binary []Binary
}

// state is a saved lexer position for backtracking.
type state struct {
	off int
	tok token
}

func (p *parser) init(src string, base Pos) {
	if base.Col <= 0 {
		base.Col = 1
	}
	if base.Line <= 0 {
		base.Line = 1
	}
	p.src = src
	p.base = base
	p.off = 0
}

func (p *parser) save() state     { return state{p.off, p.tok} }
func (p *parser) restore(s state) { p.off, p.tok = s.off, s.tok }

// pos returns the position of byte offset off.
func (p *parser) pos(off int) Pos {
	return Pos{File: p.base.File, Line: p.base.Line, Col: p.base.Col + off}
}

func (p *parser) errAt(off int, msg string) error {
	return &Error{Pos: p.pos(off), Msg: msg}
}

// expected reports that what was expected at the current token.
func (p *parser) expected(what string) error {
	if p.tok.kind == tErr {
		return p.errAt(p.tok.start, p.errMsg)
	}
	return p.errAt(p.tok.start, "expected "+what+", found "+p.describe(p.tok))
}

func (p *parser) text(t token) string { return p.src[t.start:t.end] }

func (p *parser) newNum(at int, v uint64, base uint8) *Num {
	if len(p.nums) == cap(p.nums) {
		p.nums = make([]Num, 0, 6)
	}
	p.nums = p.nums[:len(p.nums)+1]
	x := &p.nums[len(p.nums)-1]
	x.At = p.pos(at)
	x.Value = v
	x.Base = base
	return x
}

func (p *parser) newIdent(at int, name string) *Ident {
	if len(p.idents) == cap(p.idents) {
		p.idents = make([]Ident, 0, 6)
	}
	p.idents = p.idents[:len(p.idents)+1]
	x := &p.idents[len(p.idents)-1]
	x.At = p.pos(at)
	x.Name = name
	return x
}

func (p *parser) newUnary(at int, op Op, e Expr) *Unary {
	if len(p.unary) == cap(p.unary) {
		p.unary = make([]Unary, 0, 2)
	}
	p.unary = p.unary[:len(p.unary)+1]
	x := &p.unary[len(p.unary)-1]
	x.At = p.pos(at)
	x.Op = op
	x.X = e
	return x
}

func (p *parser) newBinary(at int, op Op, l, r Expr) *Binary {
	if len(p.binary) == cap(p.binary) {
		p.binary = make([]Binary, 0, 3)
	}
	p.binary = p.binary[:len(p.binary)+1]
	x := &p.binary[len(p.binary)-1]
	x.OpPos = p.pos(at)
	x.Op = op
	x.X = l
	x.Y = r
	return x
}

func (p *parser) enter(at int) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(at, "expression nested too deeply")
	}
	return nil
}

// expr parses a full expression (lowest precedence: =>).
func (p *parser) expr() (Expr, error) { return p.binaryExpr(1) }

func (p *parser) binaryExpr(minPrec int) (Expr, error) {
	x, err := p.unaryExpr()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tOp {
		op := p.tok.op
		prec := op.prec()
		if prec == 0 || prec < minPrec {
			break
		}
		at := p.tok.start
		p.next()
		if err := p.enter(at); err != nil {
			return nil, err
		}
		y, err := p.binaryExpr(prec + 1)
		p.depth--
		if err != nil {
			return nil, err
		}
		x = p.newBinary(at, op, x, y)
	}
	return x, nil
}

func (p *parser) unaryExpr() (Expr, error) {
	if p.tok.kind == tOp {
		switch op := p.tok.op; op {
		case OpSub, OpCompl, OpNot, OpAnd:
			at := p.tok.start
			p.next()
			if err := p.enter(at); err != nil {
				return nil, err
			}
			x, err := p.unaryExpr()
			p.depth--
			if err != nil {
				return nil, err
			}
			if fp, ok := x.(*FdPath); ok && op == OpSub && fp.Name == "" {
				// "-100</tmp/cwd>": a negative fd with its path.
				fp.Fd = -fp.Fd
				fp.At = p.pos(at)
				return fp, nil
			}
			return p.newUnary(at, op, x), nil
		}
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	t := p.tok
	src := p.src
	switch t.kind {
	case tNum:
		if e := t.end; e < len(src) && src[e] == '<' && (e+1 >= len(src) || src[e+1] != '<') {
			return p.fdPath(t)
		}
		p.next()
		return p.newNum(t.start, t.num, t.base), nil
	case tIdent:
		name := p.text(t)
		if e := t.end; e < len(src) && src[e] == '<' && (e+1 >= len(src) || src[e+1] != '<') {
			return p.fdPath(t)
		}
		if t.end < len(src) && src[t.end] == '(' {
			p.next() // '('
			open := p.tok.start
			p.next()
			if err := p.enter(open); err != nil {
				return nil, err
			}
			lc := listCtx{kind: listMacro, name: name, closer: tRParen, open: open}
			args, _, _, _, err := p.list(&lc)
			p.depth--
			if err != nil {
				return nil, err
			}
			return &CallExpr{At: p.pos(t.start), Name: name, Args: args}, nil
		}
		p.next()
		return p.newIdent(t.start, name), nil
	case tVar:
		p.next()
		return &Var{At: p.pos(t.start), Name: src[t.start+1 : t.end]}, nil
	case tStr:
		b, err := p.decodeStr(t)
		if err != nil {
			return nil, err
		}
		p.next()
		return &Str{At: p.pos(t.start), Bytes: b, Truncated: t.trunc}, nil
	case tEllipsis:
		p.next()
		return &Ellipsis{At: p.pos(t.start)}, nil
	case tLParen:
		p.next()
		if err := p.enter(t.start); err != nil {
			return nil, err
		}
		x, err := p.expr()
		p.depth--
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.expected("')' to close the '(' at column " + strconv.Itoa(p.base.Col+t.start))
		}
		p.next()
		return x, nil
	case tLBrack:
		p.next()
		if err := p.enter(t.start); err != nil {
			return nil, err
		}
		lc := listCtx{kind: listArray, closer: tRBrack, open: t.start, juxt: true}
		elems, _, spaced, _, err := p.list(&lc)
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Array{At: p.pos(t.start), Elems: elems, Spaced: spaced}, nil
	case tLBrace:
		p.next()
		if err := p.enter(t.start); err != nil {
			return nil, err
		}
		lc := listCtx{kind: listStruct, closer: tRBrace, open: t.start, juxt: true}
		_, fields, spaced, _, err := p.list(&lc)
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Struct{At: p.pos(t.start), Fields: fields, Spaced: spaced}, nil
	case tLT:
		if strings.HasPrefix(src[t.start:], "<...") {
			end, ok := scanAngle(src, t.start)
			if !ok {
				return nil, p.errAt(t.start, "expected '>' to close "+quoteSnippet(src[t.start:])+", found end of line")
			}
			p.off = end
			p.next()
			return &Raw{At: p.pos(t.start), Text: src[t.start:end]}, nil
		}
	case tAt:
		// strace's abstract unix socket path: @"name".
		p.next()
		if p.tok.kind == tStr && p.tok.start == t.end {
			end := p.tok.end
			if _, err := p.decodeStr(p.tok); err != nil {
				return nil, err
			}
			p.next()
			return &Raw{At: p.pos(t.start), Text: src[t.start:end]}, nil
		}
		p.restore(state{t.end, t})
	}
	return nil, p.expected("an expression")
}

// fdPath parses "N<path>" where t is the number (or identifier) token
// and '<' follows it.
func (p *parser) fdPath(t token) (Expr, error) {
	src := p.src
	lt := t.end
	end, ok := scanAngle(src, lt)
	if !ok {
		return nil, p.errAt(lt, "expected '>' to close the path of fd "+p.text(t)+", found end of line")
	}
	fp := &FdPath{At: p.pos(t.start)}
	if t.kind == tIdent {
		fp.Name = p.text(t)
	} else if t.num > 1<<63-1 {
		return nil, p.errAt(t.start, "fd number "+p.text(t)+" out of range")
	} else {
		fp.Fd = int64(t.num)
	}
	fp.Path, fp.Dev = splitDev(src[lt+1 : end-1])
	p.off = end
	p.next()
	return fp, nil
}

// splitDev splits strace -yy's "/dev/zero<char 1:5>" into path and "char 1:5".
func splitDev(content string) (path, dev string) {
	if !strings.HasSuffix(content, ">") {
		return content, ""
	}
	i := strings.LastIndexByte(content, '<')
	if i < 0 {
		return content, ""
	}
	d := content[i+1 : len(content)-1]
	if strings.HasPrefix(d, "char ") || strings.HasPrefix(d, "block ") {
		if strings.IndexByte(d, '>') < 0 {
			return content[:i], d
		}
	}
	return content, ""
}

// scanAngle finds the '>' matching the '<' at src[i]. A backslash escapes
// the next byte and the "->" of socket descriptions does not close. It
// returns the offset just past the matching '>'.
func scanAngle(src string, i int) (int, bool) {
	depth := 0
	for j := i; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '<':
			depth++
		case '>':
			if j > i && src[j-1] == '-' {
				continue
			}
			depth--
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

// decodeStr decodes the C escapes of string token t.
func (p *parser) decodeStr(t token) (string, error) {
	end := t.end - 1
	if t.trunc {
		end -= 3
	}
	s := p.src[t.start+1 : end]
	if !t.esc {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		at := t.start + 1 + i
		i++
		if i >= len(s) {
			return "", p.errAt(at, "unterminated escape sequence")
		}
		c = s[i]
		switch c {
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		case 'r':
			b = append(b, '\r')
		case 'v':
			b = append(b, '\v')
		case 'f':
			b = append(b, '\f')
		case 'a':
			b = append(b, '\a')
		case 'b':
			b = append(b, '\b')
		case 'e':
			b = append(b, 0x1b)
		case '\\', '"', '\'', '?':
			b = append(b, c)
		case 'x':
			v, n := 0, 0
			for n < 2 && i+1 < len(s) {
				d := hexVal(s[i+1])
				if d < 0 {
					break
				}
				v = v<<4 | d
				i++
				n++
			}
			if n == 0 {
				return "", p.errAt(at, "expected hex digits after \\x in string")
			}
			b = append(b, byte(v))
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for n := 1; n < 3 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7'; n++ {
				v = v<<3 | int(s[i+1]-'0')
				i++
			}
			if v > 255 {
				return "", p.errAt(at, "octal escape \\"+strconv.FormatInt(int64(v), 8)+" out of range")
			}
			b = append(b, byte(v))
		default:
			return "", p.errAt(at, "unknown escape sequence \\"+string(c)+" in string")
		}
	}
	return string(b), nil
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// listKind names the construct a list belongs to, for messages.
type listKind uint8

const (
	listCall listKind = iota
	listMacro
	listArray
	listStruct
)

// listCtx describes the list being parsed.
type listCtx struct {
	kind       listKind
	name       string // call or macro name
	closer     tokKind
	open       int  // offset of the opening bracket
	juxt       bool // space-separated elements allowed
	unfinished bool // "<unfinished ...>" may end the list
}

func (c *listCtx) desc(p *parser) string {
	col := strconv.Itoa(p.base.Col + c.open)
	switch c.kind {
	case listCall:
		return "the call to " + c.name
	case listMacro:
		return "the macro " + c.name + "(...)"
	case listArray:
		return "the array opened at column " + col
	}
	return "the struct opened at column " + col
}

func (c *listCtx) closerText() string {
	switch c.closer {
	case tRBrack:
		return "']'"
	case tRBrace:
		return "'}'"
	}
	return "')'"
}

// atMarker reports whether the current token starts strace's
// "<unfinished ...>" (or "<detached ...>") marker, and its length.
func (p *parser) atMarker() (int, bool) {
	if p.tok.kind != tLT {
		return 0, false
	}
	s := p.src[p.tok.start:]
	if strings.HasPrefix(s, "<unfinished ...>") {
		return len("<unfinished ...>"), true
	}
	if strings.HasPrefix(s, "<detached ...>") {
		return len("<detached ...>"), true
	}
	return 0, false
}

func (p *parser) skipMarker(n int) {
	p.off = p.tok.start + n
	p.next()
}

// startsExpr reports whether t can begin an expression.
func (p *parser) startsExpr(t token) bool {
	switch t.kind {
	case tNum, tIdent, tVar, tStr, tEllipsis, tLParen, tLBrack, tLBrace, tAt:
		return true
	case tOp:
		return t.op == OpCompl || t.op == OpNot
	case tLT:
		return strings.HasPrefix(p.src[t.start:], "<...")
	}
	return false
}

// checkSep verifies that the token after a list element is acceptable: a
// comma, the closer, the unfinished marker, or (space-separated lists)
// the start of another element. mode: 0 undecided, 1 commas, 2 spaces.
func (p *parser) checkSep(c *listCtx, mode *int) error {
	t := p.tok
	switch {
	case t.kind == tComma:
		if *mode == 2 {
			return p.errAt(t.start, "unexpected ',' in space-separated elements of "+c.desc(p))
		}
		*mode = 1
		return nil
	case t.kind == c.closer:
		return nil
	case t.kind == tEOF:
		return p.errAt(t.start, "expected "+c.closerText()+" to close "+c.desc(p)+", found end of line")
	}
	if c.unfinished {
		if _, ok := p.atMarker(); ok {
			return nil
		}
	}
	if c.juxt && *mode != 1 && t.ws && p.startsExpr(t) {
		*mode = 2
		return nil
	}
	return p.expected("',' or " + c.closerText() + " in " + c.desc(p))
}

// elem parses one list element. In structs "name=expr" yields a field
// name; elsewhere it yields a Named expression.
func (p *parser) elem(inStruct bool) (string, Expr, error) {
	t := p.tok
	if t.kind == tIdent {
		src := p.src
		i := t.end
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i < len(src) && src[i] == '=' && (i+1 >= len(src) || src[i+1] != '=' && src[i+1] != '>') {
			name := p.text(t)
			p.off = i + 1
			p.next()
			e, err := p.expr()
			if err != nil {
				return "", nil, err
			}
			if inStruct {
				return name, e, nil
			}
			return "", &Named{At: p.pos(t.start), Name: name, Expr: e}, nil
		}
	}
	e, err := p.expr()
	return "", e, err
}

// list parses the elements of a list whose opening bracket has been
// consumed, up to and including the closer (or the unfinished marker,
// which is consumed too). Struct lists return fields, others exprs.
func (p *parser) list(c *listCtx) (exprs []Expr, fields []Field, spaced, unfinished bool, err error) {
	inStruct := c.kind == listStruct
	if p.tok.kind == c.closer {
		p.next()
		return
	}
	if c.unfinished {
		if n, ok := p.atMarker(); ok {
			p.skipMarker(n)
			return nil, nil, false, true, nil
		}
	}
	if c.kind == listCall {
		exprs = make([]Expr, 0, 6)
	}
	mode := 0
	for {
		if p.tok.kind == tEOF {
			return nil, nil, false, false, p.checkSep(c, &mode)
		}
		st := p.save()
		name, e, err := p.elem(inStruct)
		if err == nil {
			err = p.checkSep(c, &mode)
		}
		if err != nil {
			if !p.lenient {
				return nil, nil, false, false, err
			}
			p.restore(st)
			raw := p.scanRaw(c)
			if raw == nil || p.checkSep(c, &mode) != nil {
				return nil, nil, false, false, err
			}
			name, e = "", raw
		}
		if inStruct {
			fields = append(fields, Field{Name: name, Expr: e})
		} else {
			exprs = append(exprs, e)
		}
		switch p.tok.kind {
		case tComma:
			p.next()
			if c.unfinished {
				if n, ok := p.atMarker(); ok {
					p.skipMarker(n)
					return exprs, fields, false, true, nil
				}
			}
		case c.closer:
			p.next()
			return exprs, fields, mode == 2, false, nil
		default:
			if c.unfinished {
				if n, ok := p.atMarker(); ok {
					p.skipMarker(n)
					return exprs, fields, false, true, nil
				}
			}
			// Space-separated: checkSep accepted the next element.
		}
	}
}

// scanRaw captures, as a Raw, the text from the current token up to the
// next comma or closer at nesting depth 0 (or the unfinished marker). It
// returns nil if there is no such end or the text is empty.
func (p *parser) scanRaw(c *listCtx) *Raw {
	src := p.src
	start := p.tok.start
	var closer byte = ')'
	switch c.closer {
	case tRBrack:
		closer = ']'
	case tRBrace:
		closer = '}'
	}
	var stack [64]byte
	n := 0
	i := start
loop:
	for ; i < len(src); i++ {
		ch := src[i]
		switch ch {
		case '"':
			i++
			for i < len(src) && src[i] != '"' {
				if src[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(src) {
				return nil
			}
		case '/':
			if i+1 < len(src) && src[i+1] == '*' {
				j := strings.Index(src[i+2:], "*/")
				if j < 0 {
					return nil
				}
				i += j + 3
			}
		case '(', '[', '{':
			if n == len(stack) {
				return nil
			}
			stack[n] = closing(ch)
			n++
		case ')', ']', '}':
			if n == 0 {
				if ch == closer {
					break loop
				}
				return nil
			}
			if stack[n-1] != ch {
				return nil
			}
			n--
		case ',':
			if n == 0 {
				break loop
			}
		case '<':
			if n == 0 && c.unfinished && (strings.HasPrefix(src[i:], "<unfinished ...>") || strings.HasPrefix(src[i:], "<detached ...>")) {
				break loop
			}
		}
	}
	if i >= len(src) {
		return nil
	}
	text := strings.TrimRight(src[start:i], " \t\r")
	if text == "" {
		return nil
	}
	p.off = i
	p.next()
	return &Raw{At: p.pos(start), Text: text}
}

func closing(open byte) byte {
	switch open {
	case '(':
		return ')'
	case '[':
		return ']'
	}
	return '}'
}

// ParseExpr parses text as a single expression (strictly: no Raw
// fallback). pos is the position of text[0]. It never panics.
func ParseExpr(text string, pos Pos) (Expr, error) {
	var p parser
	p.init(text, pos)
	p.next()
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.expected("end of expression")
	}
	return e, nil
}
