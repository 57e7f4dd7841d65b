package scenario

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
)

// seedLines returns lines from the trace files and sample inputs.
func seedLines(t testing.TB) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, f := range traceFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		n := 0
		for sc.Scan() && n < 150 {
			add(sc.Text())
			n++
		}
	}
	for _, s := range sampleScenario {
		add(s)
	}
	return out
}

var sampleScenario = []string{
	"@personality freebsd",
	"@maps 1234",
	"mmap(NULL, 4*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $a",
	"touch($a, P, \"w\") = SIGSEGV SEGV_ACCERR",
	"$child exit(0)",
	"fork() = $child",
	"mmap(0, P, PROT_MAX(PROT_READ|PROT_WRITE)|PROT_READ, MAP_ALIGNED(21), -1, 0) = -1 ENOMEM (Cannot allocate memory)",
	"setrlimit(RLIMIT_DATA, {rlim_cur=4*P, rlim_max=4*P}) = 0",
	"1 x(a b, c) = 0",
	"1 --- SIGSEGV {a=1} extra ---",
	"1234 <... read resumed> <unfinished ...>) = ?",
	"f(~[RTMIN RT_1], [{fd=3, revents=POLLIN}], {B38400 opost ...}, 3</dev/zero<char 1:5>>, @\"x\", <... a ...>, &b, x => y)",
	"f(\"\\x41\\101\\n\"..., 0644, 0x10, a==b && !c || d != e)",
}

// FuzzParseLine checks that ParseLine never panics and that every line it
// accepts prints back to an equal line.
func FuzzParseLine(f *testing.F) {
	for _, s := range seedLines(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ln, err := ParseLine(s, Pos{File: "fuzz", Line: 1, Col: 1})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		evalAll(ln)
		if strings.ContainsAny(s, "\n") {
			return // ParseLine's input is one line; printing may split it
		}
		if ln.Kind == KindBlock {
			ln.Body = nil
		}
		checkRoundTrip(t, ln)
		if ln.Result.Expr != nil {
			checkExprRoundTrip(t, ln.Result.Expr)
		}
	})
}

// FuzzParseFile checks that ParseFile and Join never panic and that a file
// parsed without errors prints back to equal lines.
func FuzzParseFile(f *testing.F) {
	// Small seeds (a dozen lines of each trace): the fuzzer minimizes
	// every new interesting input, which takes long for big ones.
	for _, file := range traceFiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		lines := strings.SplitAfter(string(data), "\n")
		for i := 0; i < len(lines); i += 12 {
			f.Add([]byte(strings.Join(lines[i:min(i+12, len(lines))], "")))
			if i >= 48 {
				break
			}
		}
	}
	f.Add([]byte(strings.Join(sampleScenario, "\n") + "\n@end\n"))
	f.Add([]byte("@maps 1\n00400000-00403000 r--p 00000000 fe:00 247924   /bin/x\n# c\n\n@end\n1 f( <unfinished ...>\n1 <... f resumed>) = 0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, errs := ParseFile("fuzz", bytes.NewReader(data))
		for _, e := range errs {
			if _, ok := e.(*Error); !ok {
				t.Fatalf("error of type %T", e)
			}
		}
		joined, _ := Join(lines)
		for _, ln := range joined {
			evalAll(ln)
			_ = ln.String()
		}
		if len(errs) > 0 {
			return
		}
		var b strings.Builder
		for _, ln := range lines {
			b.WriteString(ln.String())
			b.WriteByte('\n')
		}
		again, errs := ParseFile("fuzz", strings.NewReader(b.String()))
		if len(errs) > 0 {
			t.Fatalf("reparsing printed file %q: %v", b.String(), errs)
		}
		if len(again) != len(lines) {
			t.Fatalf("reparsing printed file %q: %d lines, want %d", b.String(), len(again), len(lines))
		}
		for i := range lines {
			if !equalLine(lines[i], again[i]) {
				t.Fatalf("line %d differs after printing:\n%q\n%#v\n%#v", i, b.String(), stripLine(lines[i]), stripLine(again[i]))
			}
		}
	})
}

// evalAll evaluates every expression of ln, to check Eval never panics.
func evalAll(ln Line) {
	var walk func(e Expr)
	walk = func(e Expr) {
		Eval(e, testResolver{})
		switch x := e.(type) {
		case *Array:
			for _, a := range x.Elems {
				walk(a)
			}
		case *Struct:
			for _, f := range x.Fields {
				walk(f.Expr)
			}
		}
	}
	for _, a := range ln.Args {
		walk(a)
	}
	if ln.Result.Expr != nil {
		walk(ln.Result.Expr)
	}
	_ = ln.Result.String()
}
