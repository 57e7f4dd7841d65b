package scenario

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// stripPos returns a deep copy of e with every position zeroed.
func stripPos(e Expr) Expr {
	switch x := e.(type) {
	case nil:
		return nil
	case *Num:
		return &Num{Value: x.Value, Base: x.Base}
	case *Ident:
		return &Ident{Name: x.Name}
	case *Var:
		return &Var{Name: x.Name}
	case *Unary:
		return &Unary{Op: x.Op, X: stripPos(x.X)}
	case *Binary:
		return &Binary{Op: x.Op, X: stripPos(x.X), Y: stripPos(x.Y)}
	case *CallExpr:
		return &CallExpr{Name: x.Name, Args: stripList(x.Args)}
	case *Str:
		return &Str{Bytes: x.Bytes, Truncated: x.Truncated}
	case *FdPath:
		return &FdPath{Fd: x.Fd, Name: x.Name, Path: x.Path, Dev: x.Dev}
	case *Array:
		return &Array{Elems: stripList(x.Elems), Spaced: x.Spaced}
	case *Struct:
		var fs []Field
		for _, f := range x.Fields {
			fs = append(fs, Field{Name: f.Name, Expr: stripPos(f.Expr)})
		}
		return &Struct{Fields: fs, Spaced: x.Spaced}
	case *Named:
		return &Named{Name: x.Name, Expr: stripPos(x.Expr)}
	case *Ellipsis:
		return &Ellipsis{}
	case *Raw:
		return &Raw{Text: x.Text}
	}
	panic("unknown expr")
}

func stripList(es []Expr) []Expr {
	if len(es) == 0 {
		return nil
	}
	out := make([]Expr, len(es))
	for i, e := range es {
		out[i] = stripPos(e)
	}
	return out
}

// stripLine returns a copy of l without positions, for comparisons.
func stripLine(l Line) Line {
	l.Pos = Pos{}
	l.Args = stripList(l.Args)
	l.Result.Pos = Pos{}
	l.Result.Expr = stripPos(l.Result.Expr)
	if len(l.Maps) > 0 {
		ms := make([]MapsLine, len(l.Maps))
		for i, m := range l.Maps {
			m.Pos = Pos{}
			ms[i] = m
		}
		l.Maps = ms
	}
	if len(l.Words) == 0 {
		l.Words = nil
	}
	if len(l.Body) == 0 {
		l.Body = nil
	}
	return l
}

func equalLine(a, b Line) bool { return reflect.DeepEqual(stripLine(a), stripLine(b)) }

func equalExpr(a, b Expr) bool { return reflect.DeepEqual(stripPos(a), stripPos(b)) }

// checkRoundTrip asserts that printing ln and parsing it again yields ln.
func checkRoundTrip(t testing.TB, ln Line) {
	t.Helper()
	text := ln.String()
	var got Line
	if ln.Kind == KindBlock {
		lines, errs := ParseFile("rt", strings.NewReader(text))
		if len(errs) > 0 || len(lines) != 1 {
			t.Fatalf("round trip of block %q: %v (%d lines)", text, errs, len(lines))
		}
		got = lines[0]
	} else {
		var err error
		got, err = ParseLine(text, Pos{File: "rt", Line: 1, Col: 1})
		if err != nil {
			t.Fatalf("round trip: reparsing %q: %v", text, err)
		}
	}
	if !equalLine(ln, got) {
		t.Fatalf("round trip mismatch for %q:\n first: %#v\nsecond: %#v", text, stripLine(ln), stripLine(got))
	}
	for _, a := range ln.Args {
		checkExprRoundTrip(t, a)
	}
}

// checkExprRoundTrip checks parse(print(e)) == e for exprs without Raw.
func checkExprRoundTrip(t testing.TB, e Expr) {
	t.Helper()
	if hasRaw(e) {
		return
	}
	if _, ok := e.(*Named); ok {
		return
	}
	s := e.String()
	got, err := ParseExpr(s, Pos{})
	_ = got
	if err != nil {
		t.Fatalf("ParseExpr(%q): %v", s, err)
	}
	if !equalExpr(e, got) {
		t.Fatalf("expr round trip mismatch for %q", s)
	}
}

func hasRaw(e Expr) bool {
	switch x := e.(type) {
	case *Raw:
		return true
	case *Unary:
		return hasRaw(x.X)
	case *Binary:
		return hasRaw(x.X) || hasRaw(x.Y)
	case *CallExpr:
		for _, a := range x.Args {
			if hasRaw(a) {
				return true
			}
		}
	case *Array:
		for _, a := range x.Elems {
			if hasRaw(a) {
				return true
			}
		}
	case *Struct:
		for _, f := range x.Fields {
			if hasRaw(f.Expr) {
				return true
			}
		}
	case *Named:
		return hasRaw(x.Expr)
	}
	return false
}
