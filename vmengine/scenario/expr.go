package scenario

import (
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of expressions, so that hostile input cannot
// exhaust the stack.
const maxDepth = 200

// maxChain bounds the operators of one precedence level in a row, which
// build a left-deep tree: printing and evaluating it recurse that deep.
const maxChain = 4096

// parser holds the state of one ParseLine / ParseExpr call.
type parser struct {
	src     string
	base    Pos // position of src[0]
	off     int // offset just past p.tok
	prev    int // offset where scanning p.tok began (for backtracking)
	tok     token
	lenient bool // strace-produced line: unparsable arguments become Raw
	depth   int
	arena   *Arena // where slabs come from; nil: a new slab per line
	errMsg  string // message of the last tErr token

	// Slices that nodes are carved from, to keep the number of
	// allocations per line low: first the arrays of one slab, then
	// per-type chunks.
	nums   []Num
	idents []Ident
	unary  []Unary
	binary []Binary
	fds    []FdPath
	strs   []Str
}

// slab holds the nodes of a typical strace line (a decoded mmap call) in
// a single allocation.
type slab struct {
	args   [6]Expr
	nums   [6]Num
	idents [5]Ident
	unary  [1]Unary
	binary [2]Binary
	fds    [1]FdPath
	strs   [1]Str
}

// useSlab takes a slab (from the parser's arena, or a new one) and carves
// the node slices from it. It returns the slab's argument slice.
func (p *parser) useSlab() []Expr {
	var s *slab
	if p.arena != nil {
		s = p.arena.take()
	} else {
		s = new(slab)
	}
	p.nums = s.nums[:0]
	p.idents = s.idents[:0]
	p.unary = s.unary[:0]
	p.binary = s.binary[:0]
	p.fds = s.fds[:0]
	p.strs = s.strs[:0]
	return s.args[:0]
}

// Arena holds the node slabs of parsed lines for reuse: ParseLineIn carves
// a line's nodes from it and Reset takes them all back, so that a stream of
// lines parses without allocating nodes. A line parsed in an arena is valid
// until the arena's next Reset; a caller that keeps a line longer parses it
// with ParseLine instead. The zero Arena is ready to use.
type Arena struct {
	slabs []*slab
	used  int
}

// Reset makes every slab reusable. The lines parsed in the arena since the
// last Reset must no longer be used.
func (a *Arena) Reset() { a.used = 0 }

// take returns a zeroed slab: a reused one when the arena has one free.
func (a *Arena) take() *slab {
	if a.used == len(a.slabs) {
		a.slabs = append(a.slabs, new(slab))
	} else {
		*a.slabs[a.used] = slab{}
	}
	a.used++
	return a.slabs[a.used-1]
}

// state is a saved lexer position for backtracking: the offset where the
// current token's scan began. Restoring re-scans the token.
type state int

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

func (p *parser) save() state { return state(p.prev) }

func (p *parser) restore(s state) {
	p.off = int(s)
	p.next()
}

// pos returns the position of byte offset off.
func (p *parser) pos(off int) Pos {
	return Pos{File: p.base.File, Line: p.base.Line, Col: p.base.Col + off}
}

// lc returns the compact position of byte offset off, for nodes.
func (p *parser) lc(off int) LineCol {
	return LineCol{Line: int32(p.base.Line), Col: int32(p.base.Col + off)}
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

// tokText returns the text of the current token.
func (p *parser) tokText() string { return p.src[p.tok.start:p.tok.end] }

func (p *parser) newNum(at int, v uint64, base uint8) *Num {
	if len(p.nums) == cap(p.nums) {
		p.nums = make([]Num, 0, 6)
	}
	p.nums = p.nums[:len(p.nums)+1]
	x := &p.nums[len(p.nums)-1]
	x.At = p.lc(at)
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
	x.At = p.lc(at)
	x.Name = name
	return x
}

func (p *parser) newUnary(at int, op Op, e Expr) *Unary {
	if len(p.unary) == cap(p.unary) {
		p.unary = make([]Unary, 0, 2)
	}
	p.unary = p.unary[:len(p.unary)+1]
	x := &p.unary[len(p.unary)-1]
	x.At = p.lc(at)
	x.Op = op
	x.X = e
	return x
}

func (p *parser) newFdPath(at int) *FdPath {
	if len(p.fds) == cap(p.fds) {
		p.fds = make([]FdPath, 0, 2)
	}
	p.fds = p.fds[:len(p.fds)+1]
	x := &p.fds[len(p.fds)-1]
	x.At = p.lc(at)
	return x
}

func (p *parser) newStr(at int, b string, trunc bool) *Str {
	if len(p.strs) == cap(p.strs) {
		p.strs = make([]Str, 0, 2)
	}
	p.strs = p.strs[:len(p.strs)+1]
	x := &p.strs[len(p.strs)-1]
	x.At = p.lc(at)
	x.Bytes = b
	x.Truncated = trunc
	return x
}

func (p *parser) newBinary(at int, op Op, l, r Expr) *Binary {
	if len(p.binary) == cap(p.binary) {
		p.binary = make([]Binary, 0, 3)
	}
	p.binary = p.binary[:len(p.binary)+1]
	x := &p.binary[len(p.binary)-1]
	x.OpPos = p.lc(at)
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
	for n := 0; p.tok.kind == tOp; n++ {
		if n == maxChain {
			return nil, p.errAt(p.tok.start, "expression too long: more than "+strconv.Itoa(maxChain)+" operators in a row")
		}
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
				fp.At = p.lc(at)
				return fp, nil
			}
			return p.newUnary(at, op, x), nil
		}
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	// Read the token's fields one by one: p.tok was just written byte-wise
	// and copying it whole would stall on store forwarding.
	kind, start, end := p.tok.kind, p.tok.start, p.tok.end
	src := p.src
	switch kind {
	case tNum:
		if p.fdAhead(end) {
			return p.fdPath()
		}
		num, base := p.tok.num, p.tok.base
		p.next()
		return p.newNum(start, num, base), nil
	case tIdent:
		name := src[start:end]
		if end < len(src) {
			if p.fdAhead(end) {
				return p.fdPath()
			} else if src[end] == '(' {
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
				return &CallExpr{At: p.lc(start), Name: name, Args: args}, nil
			}
		}
		p.next()
		return p.newIdent(start, name), nil
	case tVar:
		p.next()
		return &Var{At: p.lc(start), Name: src[start+1 : end]}, nil
	case tStr:
		trunc := p.tok.trunc
		b, err := p.decodeStr(start, end, trunc, p.tok.esc)
		if err != nil {
			return nil, err
		}
		p.next()
		return p.newStr(start, b, trunc), nil
	case tEllipsis:
		p.next()
		return &Ellipsis{At: p.lc(start)}, nil
	case tLParen:
		p.next()
		if err := p.enter(start); err != nil {
			return nil, err
		}
		x, err := p.expr()
		p.depth--
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.expected("')' to close the '(' at column " + strconv.Itoa(p.base.Col+start))
		}
		p.next()
		return x, nil
	case tLBrack:
		p.next()
		if err := p.enter(start); err != nil {
			return nil, err
		}
		lc := listCtx{kind: listArray, closer: tRBrack, open: start, juxt: true}
		elems, _, spaced, _, err := p.list(&lc)
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Array{At: p.lc(start), Elems: elems, Spaced: spaced}, nil
	case tLBrace:
		p.next()
		if err := p.enter(start); err != nil {
			return nil, err
		}
		lc := listCtx{kind: listStruct, closer: tRBrace, open: start, juxt: true}
		_, fields, spaced, _, err := p.list(&lc)
		p.depth--
		if err != nil {
			return nil, err
		}
		return &Struct{At: p.lc(start), Fields: fields, Spaced: spaced}, nil
	case tLT:
		if strings.HasPrefix(src[start:], "<...") {
			e, ok := scanAngle(src, start)
			if !ok {
				return nil, p.errAt(start, "expected '>' to close "+quoteSnippet(src[start:])+", found end of line")
			}
			p.off = e
			p.next()
			return &Raw{At: p.lc(start), Text: src[start:e]}, nil
		}
	case tAt:
		// strace's abstract unix socket path: @"name".
		st := p.save()
		p.next()
		if p.tok.kind == tStr && p.tok.start == end {
			e := p.tok.end
			if _, err := p.decodeStr(p.tok.start, e, p.tok.trunc, p.tok.esc); err != nil {
				return nil, err
			}
			p.next()
			return &Raw{At: p.lc(start), Text: src[start:e]}, nil
		}
		p.restore(st)
	}
	return nil, p.expected("an expression")
}

// fdAhead reports whether the '<' of an fd path starts at src[i]: a
// single '<' (not "<<"), that does not begin strace's unfinished marker.
func (p *parser) fdAhead(i int) bool {
	src := p.src
	if i >= len(src) || src[i] != '<' || i+1 < len(src) && src[i+1] == '<' {
		return false
	}
	return !strings.HasPrefix(src[i:], "<unfinished ...>") && !strings.HasPrefix(src[i:], "<detached ...>")
}

// fdPath parses "N<path>" where the current token is the number (or
// identifier) and '<' follows it.
func (p *parser) fdPath() (Expr, error) {
	src := p.src
	kind, start, lt, num := p.tok.kind, p.tok.start, p.tok.end, p.tok.num
	end, ok := scanAngle(src, lt)
	if !ok {
		return nil, p.errAt(lt, "expected '>' to close the path of fd "+src[start:lt]+", found end of line")
	}
	fp := p.newFdPath(start)
	if kind == tIdent {
		fp.Name = src[start:lt]
	} else if num > 1<<63-1 {
		return nil, p.errAt(start, "fd number "+src[start:lt]+" out of range")
	} else {
		fp.Fd = int64(num)
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
// the next byte and the "->" of socket descriptions does not close. The
// text must not contain a ',' outside brackets, and its brackets must
// balance: that confines the scan to the argument it is in, so that what
// follows (which printing may space differently) never changes its
// extent. It returns the offset just past the matching '>'.
func scanAngle(src string, i int) (int, bool) {
	depth := 0
	var buf [16]byte
	brackets := buf[:0]
	for j := i; j < len(src); j++ {
		switch c := src[j]; c {
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
		case '(', '[', '{':
			if len(brackets) == maxDepth {
				return 0, false
			}
			brackets = append(brackets, closing(c))
		case ')', ']', '}':
			if len(brackets) == 0 || brackets[len(brackets)-1] != c {
				return 0, false
			}
			brackets = brackets[:len(brackets)-1]
		case ',':
			if len(brackets) == 0 {
				return 0, false
			}
		}
	}
	return 0, false
}

// decodeStr decodes the C escapes of the string token at [start, end).
func (p *parser) decodeStr(start, end int, trunc, esc bool) (string, error) {
	end--
	if trunc {
		end -= 3
	}
	s := p.src[start+1 : end]
	if !esc {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		at := start + 1 + i
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

// startsExpr reports whether the current token can begin an expression.
func (p *parser) startsExpr() bool {
	t := &p.tok
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
	t := &p.tok
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
	if c.juxt && *mode != 1 && t.ws && p.startsExpr() {
		*mode = 2
		return nil
	}
	return p.expected("',' or " + c.closerText() + " in " + c.desc(p))
}

// elem parses one list element. In structs "name=expr" yields a field
// name; elsewhere it yields a Named expression.
func (p *parser) elem(inStruct bool) (string, Expr, error) {
	if p.tok.kind == tIdent {
		src := p.src
		start := p.tok.start
		i := p.tok.end
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i < len(src) && src[i] == '=' && (i+1 >= len(src) || src[i+1] != '=' && src[i+1] != '>') {
			name := src[start:p.tok.end]
			p.off = i + 1
			p.next()
			e, err := p.expr()
			if err != nil {
				return "", nil, err
			}
			if inStruct {
				return name, e, nil
			}
			return "", &Named{At: p.lc(start), Name: name, Expr: e}, nil
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
		exprs = p.useSlab()
	}
	mode := 0
	for {
		if p.tok.kind == tEOF {
			return nil, nil, false, false, p.checkSep(c, &mode)
		}
		st, depth := p.save(), p.depth
		name, e, err := p.elem(inStruct)
		if err == nil {
			err = p.checkSep(c, &mode)
		}
		if err != nil {
			if !p.lenient {
				return nil, nil, false, false, err
			}
			p.restore(st)
			p.depth = depth
			start := p.tok.start
			raw := p.scanRaw(c)
			if raw == nil || p.checkSep(c, &mode) != nil {
				return nil, nil, false, false, err
			}
			name, e = p.reparse(raw, start, inStruct)
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

// reparse parses the text of a Raw element (which starts at offset start)
// on its own. The element failed
// to parse in place (typically because of what followed it); if its text
// alone is a valid element, that element is returned instead of the Raw,
// so that printing and parsing again yields the same tree.
func (p *parser) reparse(raw *Raw, start int, inStruct bool) (string, Expr) {
	q := *p
	q.src = p.src[:start+len(raw.Text)]
	q.off = start
	q.lenient = false
	q.next()
	name, e, err := q.elem(inStruct)
	if err != nil || q.tok.kind != tEOF {
		return "", raw
	}
	p.nums, p.idents, p.unary, p.binary, p.fds, p.strs = q.nums, q.idents, q.unary, q.binary, q.fds, q.strs
	return name, e
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
	var buf [64]byte
	stack := buf[:0]
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
			if len(stack) == maxDepth {
				return nil // deeper than any parsable expression
			}
			stack = append(stack, closing(ch))
		case ')', ']', '}':
			if len(stack) == 0 {
				if ch == closer {
					break loop
				}
				return nil
			}
			if stack[len(stack)-1] != ch {
				return nil
			}
			stack = stack[:len(stack)-1]
		case ',':
			if len(stack) == 0 {
				break loop
			}
		case '<':
			if len(stack) == 0 && c.unfinished && (strings.HasPrefix(src[i:], "<unfinished ...>") || strings.HasPrefix(src[i:], "<detached ...>")) {
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
	return &Raw{At: p.lc(start), Text: text}
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
