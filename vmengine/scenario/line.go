package scenario

import (
	"strconv"
	"strings"
)

// ParseLine parses one line of text (without its newline). pos is the
// position of text[0] (Col 0 is taken as 1). Blank and '#' lines yield
// KindNone. A "@maps"/"@image" line yields a KindBlock line with an empty
// body (ParseFile collects bodies). Lines carrying strace's numeric pid
// prefix or a timestamp are parsed leniently: an argument the grammar
// cannot represent becomes a *Raw instead of an error. ParseLine never
// panics; on error the returned Line is partial and must not be used.
func ParseLine(text string, pos Pos) (Line, error) {
	return ParseLineIn(nil, text, pos)
}

// ParseLineIn is ParseLine with the line's nodes carved from arena a (nil:
// allocated as ParseLine does). The line is valid until a.Reset.
func ParseLineIn(a *Arena, text string, pos Pos) (Line, error) {
	var p parser
	p.init(text, pos)
	p.arena = a
	var ln Line
	err := p.line(&ln)
	return ln, err
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func trimSpace(s string) string { return strings.Trim(s, " \t\r") }

// isNote reports whether s (a line without leading space) is strace
// chatter rather than an event: "strace: ...", "[ Process PID=... ]",
// and -k stack frames " > ...".
func isNote(s string) bool {
	return strings.HasPrefix(s, "strace:") || strings.HasPrefix(s, "[ Process ") ||
		s == ">" || strings.HasPrefix(s, "> ")
}

func (p *parser) line(ln *Line) error {
	src := p.src
	ln.Pos = p.base
	i := skipSpace(src, 0)
	if i == len(src) {
		return nil
	}
	switch c := src[i]; {
	case c == '#':
		ln.Text = trimSpace(src[i:])
		return nil
	case c == '@':
		return p.directive(ln, i)
	case isNote(src[i:]):
		ln.Kind = KindNote
		ln.Text = trimSpace(src[i:])
		return nil
	}
	i, err := p.prefix(ln, i)
	if err != nil {
		return err
	}
	p.lenient = ln.PID.Kind == PIDNum || ln.Time != ""
	rest := src[i:]
	switch {
	case strings.HasPrefix(rest, "---"):
		return p.markedLine(ln, i, "---")
	case strings.HasPrefix(rest, "+++"):
		return p.markedLine(ln, i, "+++")
	case strings.HasPrefix(rest, "<..."):
		return p.resumed(ln, i)
	}
	return p.call(ln, i)
}

// prefix parses the pid, timestamp and extra bracket fields before an
// event and returns the offset of the event.
func (p *parser) prefix(ln *Line, i int) (int, error) {
	src := p.src
	switch c := src[i]; {
	case strings.HasPrefix(src[i:], "[pid"):
		j := skipSpace(src, i+4)
		if j == i+4 {
			return 0, p.errAt(j, "expected a space after '[pid', found "+describeAt(src, j))
		}
		k, err := p.pidNum(ln, j)
		if err != nil {
			return 0, err
		}
		if k >= len(src) || src[k] != ']' {
			return 0, p.errAt(k, "expected ']' after the pid, found "+describeAt(src, k))
		}
		ln.PID.Bracket = true
		i = k + 1
		if i < len(src) && !isSpace(src[i]) {
			return 0, p.errAt(i, "expected a space after '[pid N]', found "+describeAt(src, i))
		}
		i = skipSpace(src, i)
	case isDigit(c):
		j := i
		for j < len(src) && isDigit(src[j]) {
			j++
		}
		if j < len(src) && (src[j] == '.' || src[j] == ':') {
			break // a timestamp, no pid
		}
		k, err := p.pidNum(ln, i)
		if err != nil {
			return 0, err
		}
		if k < len(src) && !isSpace(src[k]) {
			return 0, p.errAt(k, "expected a space after the pid, found "+describeAt(src, k))
		}
		i = skipSpace(src, k)
	case c == '$':
		j := i + 1
		for j < len(src) && isIdentChar(src[j]) {
			j++
		}
		if j == i+1 {
			return 0, p.errAt(j, "expected a variable name after '$', found "+describeAt(src, j))
		}
		if j >= len(src) || !isSpace(src[j]) {
			return 0, p.errAt(j, "expected a space after the process variable "+src[i:j]+", found "+describeAt(src, j))
		}
		ln.PID = PID{Kind: PIDVar, Var: src[i+1 : j]}
		i = skipSpace(src, j)
	}
	// Timestamp: -t 12:34:56, -tt 12:34:56.123456, -ttt 1700000000.123456,
	// -r 0.000123.
	if i < len(src) && isDigit(src[i]) {
		j := i
		for j < len(src) && (isDigit(src[j]) || src[j] == '.' || src[j] == ':') {
			j++
		}
		if j >= len(src) || !isSpace(src[j]) {
			return 0, p.errAt(i, "expected a system call, found "+describeAt(src, i))
		}
		ln.Time = src[i:j]
		i = skipSpace(src, j)
	}
	// -i instruction pointer "[00007f...]", -n syscall number "[  9]".
	for i < len(src) && src[i] == '[' {
		j := i + 1
		for j < len(src) && (hexVal(src[j]) >= 0 || src[j] == ' ' || src[j] == 'x' || src[j] == '?') {
			j++
		}
		if j == i+1 || j >= len(src) || src[j] != ']' || j+1 < len(src) && !isSpace(src[j+1]) {
			return 0, p.errAt(i, "expected a system call, found "+describeAt(src, i))
		}
		if ln.Extra != "" {
			ln.Extra += " "
		}
		ln.Extra += src[i : j+1]
		i = skipSpace(src, j+1)
	}
	return i, nil
}

// pidNum parses the decimal pid at src[i] (and a "<comm>" suffix) and
// returns the offset after it.
func (p *parser) pidNum(ln *Line, i int) (int, error) {
	src := p.src
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j == i {
		return 0, p.errAt(i, "expected a pid, found "+describeAt(src, i))
	}
	n, err := strconv.Atoi(src[i:j])
	if err != nil || n > 1<<31-1 {
		return 0, p.errAt(i, "pid "+src[i:j]+" out of range")
	}
	ln.PID = PID{Kind: PIDNum, Num: n}
	if j < len(src) && src[j] == '<' {
		k := strings.IndexByte(src[j:], '>')
		if k < 0 {
			return 0, p.errAt(j, "expected '>' to close the process name, found end of line")
		}
		ln.PID.Comm = src[j+1 : j+k]
		if strings.ContainsAny(ln.PID.Comm, "<") {
			return 0, p.errAt(j, "unexpected '<' in process name")
		}
		j += k + 1
	}
	return j, nil
}

// directive parses "@name rest".
func (p *parser) directive(ln *Line, i int) error {
	src := p.src
	j := i + 1
	if j >= len(src) || !isIdentStart(src[j]) {
		return p.errAt(j, "expected a directive name after '@', found "+describeAt(src, j))
	}
	for j < len(src) && isIdentChar(src[j]) {
		j++
	}
	if j < len(src) && !isSpace(src[j]) {
		return p.errAt(j, "expected a space after @"+src[i+1:j]+", found "+describeAt(src, j))
	}
	ln.Kind = KindDirective
	ln.Name = src[i+1 : j]
	ln.Text = trimSpace(src[j:])
	if ln.Text != "" {
		ln.Words = strings.Fields(ln.Text)
	}
	if ln.Name == "end" {
		return p.errAt(i, "unexpected @end outside a @maps or @image block")
	}
	if ln.Name == "maps" || ln.Name == "image" {
		ln.Kind = KindBlock
		if len(ln.Words) > 0 {
			w := ln.Words[0]
			at := strings.Index(src[j:], w) + j
			switch {
			case w[0] == '$' && len(w) > 1 && allIdentChars(w[1:]):
				ln.PID = PID{Kind: PIDVar, Var: w[1:]}
			case allDigits(w):
				n, err := strconv.Atoi(w)
				if err != nil || n > 1<<31-1 {
					return p.errAt(at, "pid "+w+" out of range")
				}
				ln.PID = PID{Kind: PIDNum, Num: n}
			default:
				return p.errAt(at, "expected a pid or $variable after @"+ln.Name+", found "+quoteSnippet(w))
			}
		}
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func allIdentChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

// call parses "name(args) [= result] [<duration>]" at offset i.
func (p *parser) call(ln *Line, i int) error {
	p.off = i
	p.next()
	if p.tok.kind != tIdent {
		if p.tok.kind == tEOF {
			return p.errAt(p.tok.start, "expected a system call, found end of line")
		}
		return p.expected("a system call name")
	}
	ln.Kind = KindCall
	ln.Name = p.tokText()
	p.next()
	if p.tok.kind != tLParen {
		return p.expected("'(' after " + ln.Name)
	}
	open := p.tok.start
	p.next()
	lc := listCtx{kind: listCall, name: ln.Name, closer: tRParen, open: open, unfinished: true}
	args, _, _, unf, err := p.list(&lc)
	if err != nil {
		return err
	}
	ln.Args = args
	if unf {
		ln.Unfinished = true
		if p.tok.kind != tEOF {
			return p.expected("end of line after <unfinished ...>")
		}
		return nil
	}
	return p.tail(ln)
}

// resumed parses "<... name resumed> rest-of-args) [= result]".
func (p *parser) resumed(ln *Line, i int) error {
	src := p.src
	j := skipSpace(src, i+4)
	k := j
	for k < len(src) && (isIdentChar(src[k]) && (k > j || isIdentStart(src[k]))) {
		k++
	}
	if k == j {
		return p.errAt(j, "expected a system call name after '<...', found "+describeAt(src, j))
	}
	ln.Kind = KindCall
	ln.Name = src[j:k]
	ln.Resumed = true
	k = skipSpace(src, k)
	if !strings.HasPrefix(src[k:], "resumed>") {
		return p.errAt(k, "expected 'resumed>' after '<... "+ln.Name+"', found "+describeAt(src, k))
	}
	p.off = k + len("resumed>")
	p.next()
	if n, ok := p.atMarker(); ok {
		// "<... read resumed> <unfinished ...>) = ?": the process died.
		p.skipMarker(n)
	}
	if p.tok.kind == tComma {
		p.next()
	}
	lc := listCtx{kind: listCall, name: ln.Name, closer: tRParen, open: i}
	args, _, _, _, err := p.list(&lc)
	if err != nil {
		return err
	}
	ln.Args = args
	return p.tail(ln)
}

// tail parses "[= result] [<duration>]" up to the end of the line.
func (p *parser) tail(ln *Line) error {
	if p.tok.kind != tAssign {
		return p.end(ln)
	}
	p.next()
	st, start, empty := p.save(), p.tok.start, p.tok.kind == tEOF
	err := p.result(&ln.Result)
	if err == nil {
		err = p.end(ln)
	}
	if err != nil && p.lenient && !empty {
		// Keep whatever strace printed as a raw value.
		p.restore(st)
		p.depth = 0
		src := p.src
		end := len(src)
		dur := ""
		t := strings.TrimRight(src, " \t\r")
		if strings.HasSuffix(t, ">") {
			if k := strings.LastIndexByte(t, '<'); k > start && isSpace(t[k-1]) && isDuration(t[k+1:len(t)-1]) {
				dur = t[k+1 : len(t)-1]
				end = k
			}
		}
		text := strings.TrimRight(src[start:end], " \t\r")
		if text != "" {
			ln.Result = Result{Kind: ResultValue, Pos: p.pos(start), Expr: &Raw{At: p.lc(start), Text: text}}
			ln.Duration = dur
			return nil
		}
	}
	return err
}

func isDuration(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != '.' {
			return false
		}
	}
	return true
}

// end parses an optional -T duration and the end of the line.
func (p *parser) end(ln *Line) error {
	if p.tok.kind == tLT {
		src := p.src
		j := p.tok.start + 1
		for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
			j++
		}
		if j > p.tok.start+1 && j < len(src) && src[j] == '>' {
			ln.Duration = src[p.tok.start+1 : j]
			p.off = j + 1
			p.next()
		}
	}
	if p.tok.kind != tEOF {
		if ln.Result.Kind == ResultNone {
			return p.expected("'=' or end of line after the call to " + ln.Name)
		}
		return p.expected("end of line after the result")
	}
	return nil
}

func isErrnoName(s string) bool {
	if len(s) < 2 || s[0] != 'E' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' && i > 1) {
			return false
		}
	}
	return true
}

func isSignalName(s string) bool {
	if len(s) < 4 || !strings.HasPrefix(s, "SIG") || s[3] == '_' {
		return false
	}
	for i := 3; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || isDigit(c) || c == '_') {
			return false
		}
	}
	return true
}

// isMinusOne reports whether e is the literal -1.
func isMinusOne(e Expr) bool {
	u, ok := e.(*Unary)
	if !ok || u.Op != OpSub {
		return false
	}
	n, ok := u.X.(*Num)
	return ok && n.Value == 1
}

// atEnd reports whether the current token ends a result: end of line or
// a -T duration.
func (p *parser) atEnd() bool {
	if p.tok.kind == tEOF {
		return true
	}
	if p.tok.kind != tLT {
		return false
	}
	src := p.src
	j := p.tok.start + 1
	for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
		j++
	}
	return j > p.tok.start+1 && j < len(src) && src[j] == '>'
}

// result parses what follows "=".
func (p *parser) result(r *Result) error {
	src := p.src
	r.Pos = p.pos(p.tok.start)
	switch p.tok.kind {
	case tEOF:
		return p.expected("a result after '='")
	case tQuest:
		r.Kind = ResultUnknown
		p.next()
		if p.tok.kind == tIdent && isErrnoName(p.tokText()) {
			r.Errno = p.tokText()
			p.next()
			if err := p.message(r); err != nil {
				return err
			}
		}
		if p.tok.kind == tLT && strings.HasPrefix(src[p.tok.start:], "<unavailable>") {
			r.Unavailable = true
			p.off = p.tok.start + len("<unavailable>")
			p.next()
		}
		return nil
	case tIdent:
		if name := p.tokText(); isSignalName(name) {
			st := p.save()
			p.next()
			code := ""
			if p.tok.kind == tIdent {
				code = p.tokText()
				p.next()
			}
			if p.tok.kind == tLParen || p.atEnd() {
				r.Kind = ResultSignal
				r.Signal = name
				r.Code = code
				return p.message(r)
			}
			p.restore(st)
		}
	}
	e, err := p.expr()
	if err != nil {
		return err
	}
	if p.tok.kind == tIdent && isErrnoName(p.tokText()) && isMinusOne(e) {
		r.Kind = ResultErrno
		r.Errno = p.tokText()
		p.next()
		return p.message(r)
	}
	r.Kind = ResultValue
	r.Expr = e
	return p.message(r)
}

// message parses an optional "(text)" after a result into r.Message.
func (p *parser) message(r *Result) error {
	if p.tok.kind != tLParen {
		return nil
	}
	src := p.src
	start := p.tok.start
	depth := 0
	for j := start; j < len(src); j++ {
		switch src[j] {
		case '"':
			j++
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				r.Message = src[start+1 : j]
				p.off = j + 1
				p.next()
				return nil
			}
		}
	}
	return p.errAt(start, "expected ')' to close the result comment, found end of line")
}

// markedLine parses strace's "--- SIGNAL {siginfo} ---" and
// "+++ exited with N +++" lines; mark is "---" or "+++".
func (p *parser) markedLine(ln *Line, i int, mark string) error {
	src := p.src
	t := strings.TrimRight(src, " \t\r")
	if len(t) < i+6 || !strings.HasSuffix(t, mark) {
		return p.errAt(len(t), "expected '"+mark+"' at the end of the line, found "+describeAt(src, len(t)))
	}
	end := len(t) - 3
	a := skipSpace(src, i+3)
	inner := ""
	if a < end {
		inner = strings.TrimRight(src[a:end], " \t\r")
	}
	if mark == "+++" {
		ln.Kind = KindExit
		if s, ok := strings.CutPrefix(inner, "exited with "); ok && allDigits(s) {
			if v, err := strconv.ParseUint(s, 10, 64); err == nil {
				at := a + len("exited with ")
				ln.Result = Result{Kind: ResultValue, Pos: p.pos(at), Expr: &Num{At: p.lc(at), Value: v, Base: 10}}
				return nil
			}
		}
		if s, ok := strings.CutPrefix(inner, "killed by "); ok {
			core := false
			if c, ok := strings.CutSuffix(s, " (core dumped)"); ok {
				s, core = c, true
			}
			if isSignalName(s) {
				ln.Result = Result{Kind: ResultSignal, Pos: p.pos(a + len("killed by ")), Signal: s}
				ln.CoreDumped = core
				return nil
			}
		}
		ln.Text = inner
		return nil
	}
	ln.Kind = KindSignal
	k := a
	for k < a+len(inner) && isIdentChar(src[k]) {
		k++
	}
	name := src[a:k]
	if !isSignalName(name) {
		ln.Text = inner
		return nil
	}
	ln.Name = name
	if k == a+len(inner) {
		return nil
	}
	// Parse the siginfo up to the closing marker.
	full := p.src
	p.src = src[:a+len(inner)]
	defer func() { p.src = full }()
	p.off = k
	p.next()
	st, start := p.save(), p.tok.start
	e, err := p.expr()
	if err == nil && p.tok.kind != tEOF {
		err = p.expected("'" + mark + "' after the signal information")
	}
	if err != nil {
		if !p.lenient {
			return err
		}
		p.restore(st)
		p.depth = 0
		e = &Raw{At: p.lc(start), Text: p.src[start:]}
	}
	ln.Args = []Expr{e}
	return nil
}
