package scenario

import (
	"strconv"
	"strings"
)

// printer accumulates printed syntax.
type printer struct {
	b []byte
}

func (w *printer) str(s string) { w.b = append(w.b, s...) }
func (w *printer) byte(c byte)  { w.b = append(w.b, c) }

func exprString(e Expr) string {
	var w printer
	w.expr(e)
	return string(w.b)
}

// String prints the number in the base it was written in.
func (x *Num) String() string { return exprString(x) }

// String returns the identifier.
func (x *Ident) String() string { return x.Name }

// String returns "$name".
func (x *Var) String() string { return "$" + x.Name }

// String prints the operation, parenthesizing a binary operand.
func (x *Unary) String() string { return exprString(x) }

// String prints the operation with the parentheses C precedence needs.
func (x *Binary) String() string { return exprString(x) }

// String prints "name(args)".
func (x *CallExpr) String() string { return exprString(x) }

// String prints the quoted, escaped string, with "..." if truncated.
func (x *Str) String() string { return exprString(x) }

// String prints "fd<path>", "fd<path<dev>>" or "NAME<path>".
func (x *FdPath) String() string { return exprString(x) }

// String prints "[a, b]" or "[a b]".
func (x *Array) String() string { return exprString(x) }

// String prints "{name=expr, ...}" or "{a b ...}".
func (x *Struct) String() string { return exprString(x) }

// String prints "name=expr".
func (x *Named) String() string { return exprString(x) }

// String returns "...".
func (x *Ellipsis) String() string { return "..." }

// String returns the raw text.
func (x *Raw) String() string { return x.Text }

// first returns the first byte e prints as (0 if unknown/empty).
func firstByte(e Expr) byte {
	switch x := e.(type) {
	case *Unary:
		return x.Op.String()[0]
	case *Binary:
		return firstByte(x.X)
	case *Raw:
		if x.Text != "" {
			return x.Text[0]
		}
	case *FdPath:
		if x.Fd < 0 && x.Name == "" {
			return '-'
		}
	}
	return 0
}

func (w *printer) expr(e Expr) {
	switch x := e.(type) {
	case nil:
		w.str("<nil>")
	case *Num:
		switch x.Base {
		case 16:
			w.str("0x")
			w.b = strconv.AppendUint(w.b, x.Value, 16)
		case 8:
			w.byte('0')
			w.b = strconv.AppendUint(w.b, x.Value, 8)
		default:
			w.b = strconv.AppendUint(w.b, x.Value, 10)
		}
	case *Ident:
		w.str(x.Name)
	case *Var:
		w.byte('$')
		w.str(x.Name)
	case *Unary:
		w.str(x.Op.String())
		if x.Op == OpAnd && firstByte(x.X) == '&' {
			w.byte(' ')
		}
		w.operand(x.X, 11)
	case *Binary:
		prec := x.Op.prec()
		w.operand(x.X, prec)
		switch x.Op {
		case OpLAnd, OpLOr, OpEq, OpNe, OpArrow:
			w.byte(' ')
			w.str(x.Op.String())
			w.byte(' ')
		default:
			w.str(x.Op.String())
			if f := firstByte(x.Y); x.Op == OpAnd && f == '&' || x.Op == OpSub && f == '-' {
				w.byte(' ')
			}
		}
		w.operand(x.Y, prec+1)
	case *CallExpr:
		w.str(x.Name)
		w.byte('(')
		w.list(x.Args, false)
		w.byte(')')
	case *Str:
		w.quote(x.Bytes)
		if x.Truncated {
			w.str("...")
		}
	case *FdPath:
		if x.Name != "" {
			w.str(x.Name)
		} else {
			w.b = strconv.AppendInt(w.b, x.Fd, 10)
		}
		w.byte('<')
		w.str(x.Path)
		if x.Dev != "" {
			w.byte('<')
			w.str(x.Dev)
			w.byte('>')
		}
		w.byte('>')
	case *Array:
		w.byte('[')
		w.list(x.Elems, x.Spaced)
		w.byte(']')
	case *Struct:
		w.byte('{')
		for i, f := range x.Fields {
			if i > 0 {
				if x.Spaced {
					w.byte(' ')
				} else {
					w.str(", ")
				}
			}
			if f.Name != "" {
				w.str(f.Name)
				w.byte('=')
				w.expr(f.Expr)
			} else if i > 0 && x.Spaced {
				w.spacedElem(f.Expr)
			} else {
				w.expr(f.Expr)
			}
		}
		w.byte('}')
	case *Named:
		w.str(x.Name)
		w.byte('=')
		w.expr(x.Expr)
	case *Ellipsis:
		w.str("...")
	case *Raw:
		w.str(x.Text)
	default:
		w.str("<?>")
	}
}

// operand prints e, parenthesized if it is a binary operation binding
// less tightly than minPrec.
func (w *printer) operand(e Expr, minPrec int) {
	if b, ok := e.(*Binary); ok && b.Op.prec() < minPrec {
		w.byte('(')
		w.expr(e)
		w.byte(')')
		return
	}
	w.expr(e)
}

func (w *printer) list(es []Expr, spaced bool) {
	for i, e := range es {
		if i > 0 {
			if spaced {
				w.byte(' ')
				w.spacedElem(e)
				continue
			}
			w.str(", ")
		}
		w.expr(e)
	}
}

// spacedElem prints a space-separated element after the first. One that
// starts with '-' or '&' is parenthesized: "[a -b]" would read as a
// subtraction.
func (w *printer) spacedElem(e Expr) {
	start := len(w.b)
	w.expr(e)
	if len(w.b) > start && (w.b[start] == '-' || w.b[start] == '&') {
		w.b = append(w.b, 0)
		copy(w.b[start+1:], w.b[start:len(w.b)-1])
		w.b[start] = '('
		w.b = append(w.b, ')')
	}
}

// quote prints s as a C string literal the way strace does.
func (w *printer) quote(s string) {
	w.byte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			w.byte('\\')
			w.byte(c)
			continue
		case '\t':
			w.str(`\t`)
			continue
		case '\n':
			w.str(`\n`)
			continue
		case '\v':
			w.str(`\v`)
			continue
		case '\f':
			w.str(`\f`)
			continue
		case '\r':
			w.str(`\r`)
			continue
		}
		if c >= 0x20 && c < 0x7f {
			w.byte(c)
			continue
		}
		// Octal, as short as the next byte allows.
		w.byte('\\')
		nextOctal := i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7'
		if c >= 0100 || nextOctal {
			w.byte('0' + c>>6)
		}
		if c >= 010 || nextOctal {
			w.byte('0' + c>>3&7)
		}
		w.byte('0' + c&7)
	}
	w.byte('"')
}

// String prints what follows "= " ("" for ResultNone).
func (r Result) String() string {
	var w printer
	w.result(&r)
	return string(w.b)
}

func (w *printer) result(r *Result) {
	switch r.Kind {
	case ResultValue:
		if id, ok := r.Expr.(*Ident); ok && isSignalName(id.Name) {
			// "= (SIGSEGV)" is a value; "= SIGSEGV" a signal.
			w.byte('(')
			w.str(id.Name)
			w.byte(')')
			break
		}
		w.expr(r.Expr)
	case ResultErrno:
		w.str("-1 ")
		w.str(r.Errno)
	case ResultSignal:
		w.str(r.Signal)
		if r.Code != "" {
			w.byte(' ')
			w.str(r.Code)
		}
	case ResultUnknown:
		w.byte('?')
		if r.Errno != "" {
			w.byte(' ')
			w.str(r.Errno)
		}
	default:
		return
	}
	if r.Message != "" && (r.Kind != ResultUnknown || r.Errno != "") {
		w.str(" (")
		w.str(r.Message)
		w.byte(')')
	}
	if r.Unavailable && r.Kind == ResultUnknown {
		w.str(" <unavailable>")
	}
}

// String prints the line back in the scenario syntax; parsing the result
// (with ParseLine, or ParseFile for blocks) yields an equal Line.
func (l Line) String() string {
	var w printer
	w.line(&l)
	return string(w.b)
}

// CallText prints the call of a line - pid, name and arguments - without
// its time, result or strace decorations.
func (l Line) CallText() string {
	return Line{Kind: KindCall, PID: l.PID, Name: l.Name, Args: l.Args}.String()
}

// Plain prints the line without its timestamp and strace prefix.
func (l Line) Plain() string {
	l.Time, l.Extra = "", ""
	return l.String()
}

func (w *printer) prefix(l *Line) {
	if l.PID.Kind != PIDNone {
		w.str(l.PID.String())
		w.byte(' ')
	}
	if l.Time != "" {
		w.str(l.Time)
		w.byte(' ')
	}
	if l.Extra != "" {
		w.str(l.Extra)
		w.byte(' ')
	}
}

func (w *printer) line(l *Line) {
	switch l.Kind {
	case KindNone, KindNote:
		w.str(l.Text)
	case KindDirective, KindBlock:
		w.byte('@')
		w.str(l.Name)
		if l.Text != "" {
			w.byte(' ')
			w.str(l.Text)
		}
		if l.Kind == KindBlock {
			for _, b := range l.Body {
				w.byte('\n')
				w.str(b)
			}
			w.str("\n@end")
		}
	case KindSignal:
		w.prefix(l)
		w.str("--- ")
		if l.Name != "" {
			w.str(l.Name)
			for _, a := range l.Args {
				w.byte(' ')
				w.expr(a)
			}
		} else {
			w.str(l.Text)
		}
		w.str(" ---")
	case KindExit:
		w.prefix(l)
		w.str("+++ ")
		switch l.Result.Kind {
		case ResultSignal:
			w.str("killed by ")
			w.str(l.Result.Signal)
			if l.CoreDumped {
				w.str(" (core dumped)")
			}
		case ResultValue:
			w.str("exited with ")
			w.result(&l.Result)
		default:
			w.str(l.Text)
		}
		w.str(" +++")
	case KindCall:
		w.prefix(l)
		if l.Resumed {
			w.str("<... ")
			w.str(l.Name)
			w.str(" resumed>")
		} else {
			w.str(l.Name)
			w.byte('(')
		}
		w.list(l.Args, false)
		if l.Unfinished && !l.Resumed {
			if len(l.Args) > 0 {
				w.byte(' ')
			}
			w.str("<unfinished ...>")
			return
		}
		w.byte(')')
		if l.Result.Kind != ResultNone {
			w.str(" = ")
			w.result(&l.Result)
		}
		if l.Duration != "" {
			w.str(" <")
			w.str(l.Duration)
			w.byte('>')
		}
	}
}

// String prints the row in /proc/PID/maps format.
func (m MapsLine) String() string {
	var w printer
	w.maps(&m)
	return string(w.b)
}

func (w *printer) hexPad(v uint64, width int) {
	s := strconv.FormatUint(v, 16)
	for i := len(s); i < width; i++ {
		w.byte('0')
	}
	w.str(s)
}

func (w *printer) maps(m *MapsLine) {
	start := len(w.b)
	w.hexPad(m.Start, 8)
	w.byte('-')
	w.hexPad(m.End, 8)
	w.byte(' ')
	w.str(m.Perms)
	w.byte(' ')
	w.hexPad(m.Offset, 8)
	w.byte(' ')
	w.str(m.Dev)
	w.byte(' ')
	w.b = strconv.AppendUint(w.b, m.Inode, 10)
	if m.Path != "" {
		w.str(strings.Repeat(" ", max(1, 73-(len(w.b)-start))))
		w.str(m.Path)
	}
}
