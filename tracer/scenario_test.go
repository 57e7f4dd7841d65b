//go:build linux && (amd64 || arm64)

package tracer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vmscope/vmengine/scenario"
)

// TestScenarioParser reads traces of several programs (C, forks and
// threads, a crash, Go, Python) with the engine's own parser,
// vmengine/scenario: there must be no error and no argument left as raw
// text; every line must have the kind the local parser found; numbers,
// strings, fd paths and results must be exactly what the tracer wrote;
// every block row must parse as a maps row.
func TestScenarioParser(t *testing.T) {
	prog := testProgram(t, "prog")
	runs := [][]string{
		{"/bin/true"},
		{prog, "basic", filepath.Join(t.TempDir(), "data")},
		{prog, "threads"},
		{prog, "segv"},
		{os.Args[0], "-test.run=^$"},
	}
	if _, err := exec.LookPath("python3"); err == nil {
		runs = append(runs, []string{"python3", "-c", "pass"})
	}
	for _, argv := range runs {
		r := runTraced(t, argv, Options{})
		parsed, errs := scenario.ParseFile("trace", strings.NewReader(r.trace))
		for _, err := range errs {
			t.Errorf("%s: %v", argv[0], err)
		}
		var local []tline // ParseFile drops comments
		for _, l := range r.lines {
			if l.kind != lComment {
				local = append(local, l)
			}
		}
		if len(parsed) != len(local) {
			t.Fatalf("%s: scenario parsed %d lines, the local parser %d", argv[0], len(parsed), len(local))
		}
		for i, p := range parsed {
			compareLine(t, &local[i], &p)
		}
	}
}

// compareLine checks one line as parsed by vmengine/scenario against the
// local parse of the same line.
func compareLine(t *testing.T, l *tline, p *scenario.Line) {
	t.Helper()
	bad := func(why string) { t.Errorf("%s: %q", why, l.raw) }
	want := map[lineKind]scenario.Kind{lDirective: scenario.KindDirective,
		lBlock: scenario.KindBlock, lCall: scenario.KindCall, lSignal: scenario.KindSignal, lExit: scenario.KindExit}[l.kind]
	if p.Kind != want {
		bad("kind " + p.Kind.String())
		return
	}
	if l.kind >= lCall && (p.PID.Kind != scenario.PIDNum || p.PID.Num != l.tid) {
		bad("pid")
	}
	switch l.kind {
	case lBlock:
		if p.Name != l.name || len(p.Maps) != len(l.body) || len(p.Words) != 1 || p.Words[0] != strconv.Itoa(l.tid) {
			bad("block")
		}
	case lSignal:
		if p.Name != l.name {
			bad("signal name " + p.Name)
		}
	case lCall:
		if p.Name != l.name || len(p.Args) != len(l.args) {
			bad("call name or argument count")
			return
		}
		for j, a := range p.Args {
			checkExpr(t, l, l.args[j], a)
		}
		switch res := p.Result; {
		case l.result == "?":
			if res.Kind != scenario.ResultUnknown {
				bad("result kind")
			}
		case strings.HasPrefix(l.result, "-1 "):
			if res.Kind != scenario.ResultErrno || "-1 "+res.Errno+" ("+res.Message+")" != l.result {
				bad("errno result " + res.String())
			}
		default:
			n, ok := res.Expr.(*scenario.Num)
			v, err := strconv.ParseUint(l.result, 0, 64)
			if res.Kind != scenario.ResultValue || !ok || err != nil || n.Value != v {
				bad("value result " + res.String())
			}
		}
	}
}

// checkExpr checks that argument text a (as the tracer wrote it) was
// parsed into e without raw text, with the same numbers, string bytes and
// fd paths.
func checkExpr(t *testing.T, l *tline, a string, e scenario.Expr) {
	t.Helper()
	bad := func(why string) { t.Errorf("%s in argument %q: %q", why, a, l.raw) }
	switch x := e.(type) {
	case *scenario.Raw:
		bad("raw text")
	case *scenario.Num:
		num := strings.Fields(a)[0] // "0x7ffc... /* 35 vars */"
		if v, err := strconv.ParseUint(num, 0, 64); err != nil || v != x.Value {
			bad("number")
		}
	case *scenario.Unary: // -1, -100
		if v, err := strconv.ParseInt(a, 10, 64); err != nil || v >= 0 {
			bad("negative number")
		}
	case *scenario.Ident:
		if x.Name != "NULL" || a != "NULL" {
			bad("identifier " + x.Name)
		}
	case *scenario.FdPath:
		fd, path, _ := strings.Cut(strings.TrimSuffix(a, ">"), "<")
		if strconv.FormatInt(x.Fd, 10) != fd || x.Path != path || x.Dev != "" {
			bad("fd path " + x.Path)
		}
	case *scenario.Str:
		var raw string
		if s, err := strconv.Unquote(strings.TrimSuffix(a, "...")); err == nil {
			raw = s
		} else {
			bad("test cannot unquote")
		}
		if x.Bytes != raw || x.Truncated != strings.HasSuffix(a, `"...`) {
			bad("string bytes")
		}
	case *scenario.Named:
		name, val, _ := strings.Cut(a, "=")
		if x.Name != name {
			bad("name " + x.Name)
		}
		checkExpr(t, l, val, x.Expr)
	case *scenario.Array:
		elems := splitTop(a[1 : len(a)-1])
		if len(elems) != len(x.Elems) {
			bad("array length")
			return
		}
		for i, el := range x.Elems {
			checkExpr(t, l, elems[i], el)
		}
	case *scenario.Struct:
		fields := splitTop(a[1 : len(a)-1])
		if len(fields) != len(x.Fields) {
			bad("struct length")
			return
		}
		for i, f := range x.Fields {
			name, val, _ := strings.Cut(fields[i], "=")
			if f.Name != name {
				bad("field " + f.Name)
			}
			checkExpr(t, l, val, f.Expr)
		}
	default:
		bad("unexpected expression " + e.String())
	}
}
