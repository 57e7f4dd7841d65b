package scenario

import (
	"strconv"
	"strings"
)

// dump renders e as an unambiguous S-expression for table tests.
func dump(e Expr) string {
	switch x := e.(type) {
	case nil:
		return "nil"
	case *Num:
		return "#" + x.String()
	case *Ident:
		return x.Name
	case *Var:
		return "$" + x.Name
	case *Unary:
		return "(" + x.Op.String() + " " + dump(x.X) + ")"
	case *Binary:
		return "(" + x.Op.String() + " " + dump(x.X) + " " + dump(x.Y) + ")"
	case *CallExpr:
		return x.Name + "(" + dumpList(x.Args, ", ") + ")"
	case *Str:
		s := "str" + strconv.Quote(x.Bytes)
		if x.Truncated {
			s += "..."
		}
		return s
	case *FdPath:
		fd := strconv.FormatInt(x.Fd, 10)
		if x.Name != "" {
			fd = x.Name
		}
		s := "fd:" + fd + "<" + x.Path
		if x.Dev != "" {
			s += "|" + x.Dev
		}
		return s + ">"
	case *Array:
		if x.Spaced {
			return "[" + dumpList(x.Elems, " ") + "]"
		}
		return "[" + dumpList(x.Elems, ", ") + "]"
	case *Struct:
		var parts []string
		for _, f := range x.Fields {
			if f.Name != "" {
				parts = append(parts, f.Name+":"+dump(f.Expr))
			} else {
				parts = append(parts, dump(f.Expr))
			}
		}
		if x.Spaced {
			return "{" + strings.Join(parts, " ") + "}"
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *Named:
		return x.Name + ":=" + dump(x.Expr)
	case *Ellipsis:
		return "..."
	case *Raw:
		return "raw" + strconv.Quote(x.Text)
	}
	return "?"
}

func dumpList(es []Expr, sep string) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = dump(e)
	}
	return strings.Join(parts, sep)
}

func dumpResult(r Result) string {
	var s string
	switch r.Kind {
	case ResultNone:
		return ""
	case ResultValue:
		s = "value " + dump(r.Expr)
	case ResultErrno:
		s = "errno " + r.Errno
	case ResultSignal:
		s = "signal " + r.Signal
		if r.Code != "" {
			s += " " + r.Code
		}
	case ResultUnknown:
		s = "unknown"
		if r.Errno != "" {
			s += " " + r.Errno
		}
		if r.Unavailable {
			s += " unavailable"
		}
	}
	if r.Message != "" {
		s += " (" + r.Message + ")"
	}
	return s
}

// dumpLine renders the interesting fields of a line.
func dumpLine(l Line) string {
	var b []string
	b = append(b, l.Kind.String())
	if l.PID.Kind != PIDNone {
		b = append(b, "pid="+l.PID.String())
	}
	if l.Time != "" {
		b = append(b, "time="+l.Time)
	}
	if l.Extra != "" {
		b = append(b, "extra="+l.Extra)
	}
	if l.Resumed {
		b = append(b, "resumed")
	}
	if l.Kind == KindCall {
		b = append(b, l.Name+"("+dumpList(l.Args, ", ")+")")
	} else if l.Name != "" {
		b = append(b, l.Name)
	}
	if l.Kind != KindCall && len(l.Args) > 0 {
		b = append(b, "("+dumpList(l.Args, ", ")+")")
	}
	if l.Unfinished {
		b = append(b, "unfinished")
	}
	if r := dumpResult(l.Result); r != "" {
		b = append(b, "= "+r)
	}
	if l.CoreDumped {
		b = append(b, "core")
	}
	if l.Duration != "" {
		b = append(b, "<"+l.Duration+">")
	}
	if l.Text != "" {
		b = append(b, "text="+strconv.Quote(l.Text))
	}
	if len(l.Words) > 0 {
		b = append(b, "words="+strings.Join(l.Words, "|"))
	}
	return strings.Join(b, " ")
}
