package scenario

// Resolver gives meaning to the names in an expression. A personality
// resolves identifiers (PROT_READ, P) and macros (PROT_MAX(x)); the runner
// resolves variables ($fd). Each method reports false for an unknown name.
type Resolver interface {
	Ident(name string) (uint64, bool)
	Macro(name string, args []uint64) (uint64, bool)
	Var(name string) (uint64, bool)
}

// Eval computes the value of e with unsigned 64-bit wraparound arithmetic
// and C semantics: "/" and "%" by zero are errors, shifts by 64 or more
// yield 0, "==", "!=", "!", "&&" and "||" yield 0 or 1 ("&&" and "||"
// short-circuit). Identifiers, macros and variables go through r (which
// may be nil: then every name is unknown). Named expressions evaluate to
// their value and fd paths to their fd. Strings, arrays, structs, "...",
// raw text, "=>" and unary "&" cannot be evaluated. Errors are *Error
// values positioned (line:col) at the offending node; Line.Eval adds the
// file name.
func Eval(e Expr, r Resolver) (uint64, error) {
	if n, ok := e.(*Num); ok && n != nil {
		return n.Value, nil // most arguments of a trace
	}
	return eval(e, r, 0)
}

func evalErr(at LineCol, msg string) error { return &Error{Pos: at.Pos(), Msg: msg} }

// Eval evaluates e, an expression of l, like the package-level Eval, and
// completes error positions with l's file name.
func (l *Line) Eval(e Expr, r Resolver) (uint64, error) {
	v, err := Eval(e, r)
	if err != nil {
		if pe, ok := err.(*Error); ok && pe.Pos.File == "" {
			pe.Pos.File = l.Pos.File
		}
	}
	return v, err
}

func eval(e Expr, r Resolver, depth int) (uint64, error) {
	if isNil(e) {
		return 0, evalErr(LineCol{}, "missing expression")
	}
	if depth > 10000 {
		p := e.Pos()
		return 0, evalErr(LineCol{int32(p.Line), int32(p.Col)}, "expression nested too deeply")
	}
	depth++
	switch x := e.(type) {
	case *Num:
		return x.Value, nil
	case *Ident:
		if r != nil {
			if v, ok := r.Ident(x.Name); ok {
				return v, nil
			}
		}
		return 0, evalErr(x.At, "unknown identifier "+x.Name)
	case *Var:
		if r != nil {
			if v, ok := r.Var(x.Name); ok {
				return v, nil
			}
		}
		return 0, evalErr(x.At, "undefined variable $"+x.Name)
	case *FdPath:
		if x.Name != "" {
			return eval(&Ident{At: x.At, Name: x.Name}, r, depth)
		}
		return uint64(x.Fd), nil
	case *Named:
		return eval(x.Expr, r, depth)
	case *Unary:
		if x.Op == OpAnd {
			return 0, evalErr(x.At, "cannot evaluate the address-of expression "+x.String())
		}
		v, err := eval(x.X, r, depth)
		if err != nil {
			return 0, err
		}
		switch x.Op {
		case OpSub:
			return -v, nil
		case OpCompl:
			return ^v, nil
		case OpNot:
			return b2u(v == 0), nil
		}
		return 0, evalErr(x.At, "unknown unary operator "+x.Op.String())
	case *Binary:
		return evalBinary(x, r, depth)
	case *CallExpr:
		var buf [8]uint64
		args := buf[:0]
		for _, a := range x.Args {
			v, err := eval(a, r, depth)
			if err != nil {
				return 0, err
			}
			args = append(args, v)
		}
		if r != nil {
			if v, ok := r.Macro(x.Name, args); ok {
				return v, nil
			}
		}
		return 0, evalErr(x.At, "unknown macro "+x.Name+"()")
	case *Str:
		return 0, evalErr(x.At, "cannot evaluate the string "+x.String()+" as a number")
	case *Array:
		return 0, evalErr(x.At, "cannot evaluate an array as a number")
	case *Struct:
		return 0, evalErr(x.At, "cannot evaluate a struct as a number")
	case *Ellipsis:
		return 0, evalErr(x.At, "cannot evaluate '...' as a number")
	case *Raw:
		return 0, evalErr(x.At, "cannot evaluate "+quoteSnippet(x.Text)+" as a number")
	}
	p := e.Pos()
	return 0, evalErr(LineCol{int32(p.Line), int32(p.Col)}, "cannot evaluate expression")
}

// isNil reports whether e is nil or a nil node pointer.
func isNil(e Expr) bool {
	switch x := e.(type) {
	case nil:
		return true
	case *Num:
		return x == nil
	case *Ident:
		return x == nil
	case *Var:
		return x == nil
	case *Unary:
		return x == nil
	case *Binary:
		return x == nil
	case *CallExpr:
		return x == nil
	case *Str:
		return x == nil
	case *FdPath:
		return x == nil
	case *Array:
		return x == nil
	case *Struct:
		return x == nil
	case *Named:
		return x == nil
	case *Ellipsis:
		return x == nil
	case *Raw:
		return x == nil
	}
	return false
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func evalBinary(x *Binary, r Resolver, depth int) (uint64, error) {
	if x.Op == OpArrow {
		return 0, evalErr(x.OpPos, "cannot evaluate strace's '=>' (in => out) as a number")
	}
	a, err := eval(x.X, r, depth)
	if err != nil {
		return 0, err
	}
	switch x.Op {
	case OpLAnd:
		if a == 0 {
			return 0, nil
		}
	case OpLOr:
		if a != 0 {
			return 1, nil
		}
	}
	b, err := eval(x.Y, r, depth)
	if err != nil {
		return 0, err
	}
	switch x.Op {
	case OpOr:
		return a | b, nil
	case OpXor:
		return a ^ b, nil
	case OpAnd:
		return a & b, nil
	case OpShl:
		return a << b, nil
	case OpShr:
		return a >> b, nil
	case OpAdd:
		return a + b, nil
	case OpSub:
		return a - b, nil
	case OpMul:
		return a * b, nil
	case OpDiv:
		if b == 0 {
			return 0, evalErr(x.OpPos, "division by zero in "+x.String())
		}
		return a / b, nil
	case OpMod:
		if b == 0 {
			return 0, evalErr(x.OpPos, "division by zero in "+x.String())
		}
		return a % b, nil
	case OpEq:
		return b2u(a == b), nil
	case OpNe:
		return b2u(a != b), nil
	case OpLAnd, OpLOr:
		return b2u(b != 0), nil
	}
	return 0, evalErr(x.OpPos, "unknown binary operator "+x.Op.String())
}
