package vmengine

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"vmscope/vmengine/scenario"
)

// finalState renders every live process's maps, for comparing two runs.
func finalState(e *Engine) string {
	var b strings.Builder
	for _, p := range e.Processes() {
		b.WriteString(e.FormatMaps(p))
		b.WriteString("--\n")
	}
	return b.String()
}

// TestRunReaderMatchesRunLines runs every scenario file and real trace both
// ways, streamed and parsed whole, and requires the same verdicts, the same
// errors and the same final address spaces.
func TestRunReaderMatchesRunLines(t *testing.T) {
	var files []string
	for _, glob := range []string{"testdata/*.scn", "testdata/conformance/*.scn", "testdata/linux/*.scn", "testdata/conformance-linux/*.scn", "../static/scenarios/*.scn", "testdata/traces/*/strace.all.raw.log"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) < 100 {
		t.Fatalf("only %d files found", len(files))
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		whole := NewRunner(nil)
		lines, perrs := scenario.ParseFile(path, strings.NewReader(string(data)))
		_, rerrs := whole.RunLines(lines)
		streamed := NewRunner(nil)
		serrs := streamed.RunReader(path, strings.NewReader(string(data)))
		if len(perrs)+len(rerrs) != len(serrs) {
			t.Errorf("%s: %d errors whole, %d streamed", path, len(perrs)+len(rerrs), len(serrs))
		}
		if whole.Passed != streamed.Passed || len(whole.Fails) != len(streamed.Fails) {
			t.Errorf("%s: whole %d passed %d failed, streamed %d passed %d failed",
				path, whole.Passed, len(whole.Fails), streamed.Passed, len(streamed.Fails))
		}
		if a, b := finalState(whole.Eng), finalState(streamed.Eng); a != b {
			t.Errorf("%s: final address spaces differ:\nwhole:\n%s\nstreamed:\n%s", path, a, b)
		}
	}
}

// TestRunReaderBadInput feeds broken streams: each gives a clear error
// naming the line, and the good lines around it still run.
func TestRunReaderBadInput(t *testing.T) {
	in := "@personality linux\n" +
		"mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7ffe000\n" +
		"mmap(NULL, 4096, PROT_READ, MAP_PRIV\n" +
		"123 <... munmap resumed>) = 0\n" +
		"@maps 1\n"
	r := NewRunner(nil)
	errs := r.RunReader("bad.scn", strings.NewReader(in))
	if len(errs) != 3 {
		t.Fatalf("got %d errors, want 3: %v", len(errs), errs)
	}
	for i, want := range []string{"bad.scn:3", "bad.scn:4", "bad.scn:5"} {
		if !strings.Contains(errs[i].Error(), want) {
			t.Errorf("error %d = %q, want it to name %s", i, errs[i], want)
		}
	}
	if r.Passed != 1 {
		t.Errorf("passed = %d, want the good mmap line checked (fails %v)", r.Passed, r.Fails)
	}
}

// TestRunReaderSplitCalls streams a long trace in which every seventh call
// comes as strace's unfinished and resumed halves, so that halves straddle
// the reader's batches and arenas, and requires the result of RunLines.
func TestRunReaderSplitCalls(t *testing.T) {
	n := 6000
	if testing.Short() {
		n = 2000
	}
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(string(longTrace(n))), "\n") {
		open := strings.IndexByte(line, '(')
		comma := strings.IndexByte(line, ',')
		if i%7 != 3 || comma < 0 {
			b.WriteString(line + "\n")
			continue
		}
		head := line[:strings.LastIndexByte(line[:open], ' ')+1] // "pid ts "
		name := line[len(head):open]
		b.WriteString(line[:comma+1] + " <unfinished ...>\n")
		b.WriteString(head + "<... " + name + " resumed>" + line[comma+1:] + "\n")
	}
	trace := b.String()
	if c := strings.Count(trace, "resumed>"); c < n/8 {
		t.Fatalf("only %d calls split", c)
	}

	prepare := func() *Runner {
		pers, _ := PersonalityByName("linux")
		r := NewRunner(pers)
		p, _ := r.Eng.NewProcess(4242)
		p.VS.StartBrk, p.VS.Brk = 0x555555559000, 0x555555559000
		r.mainPID, r.started = 4242, true
		return r
	}
	whole := prepare()
	lines, perrs := scenario.ParseFile("split.log", strings.NewReader(trace))
	_, rerrs := whole.RunLines(lines)
	streamed := prepare()
	serrs := streamed.RunReader("split.log", strings.NewReader(trace))
	if len(perrs)+len(rerrs)+len(serrs) != 0 {
		t.Fatalf("errors: parse %v, whole %v, streamed %v", perrs, rerrs, serrs)
	}
	if len(whole.Fails)+len(streamed.Fails) != 0 {
		t.Fatalf("differences: whole %v, streamed %v", whole.Fails, streamed.Fails)
	}
	if whole.Events < n || streamed.Events != whole.Events || streamed.Passed != whole.Passed {
		t.Errorf("events %d/%d, passed %d/%d (want ≥ %d events)", whole.Events, streamed.Events, whole.Passed, streamed.Passed, n)
	}
	if a, b := finalState(whole.Eng), finalState(streamed.Eng); a != b {
		t.Errorf("final address spaces differ")
	}
}

// TestLineSource splits inputs read in every way a reader may deliver
// them: whole, a byte at a time, with a line longer than a read block, and
// without a final newline; a read error ends the lines and is kept.
func TestLineSource(t *testing.T) {
	long := strings.Repeat("x", 3*lineSourceBlock/2)
	in := "a\n\nb c\r\n" + long + "\nlast"
	want := []string{"a\n", "\n", "b c\r\n", long + "\n", "last"}
	for _, tc := range []struct {
		name string
		rd   io.Reader
	}{
		{"whole", strings.NewReader(in)},
		{"bytes", iotest.OneByteReader(strings.NewReader(in))},
		{"halves", iotest.HalfReader(strings.NewReader(in))},
		{"data+EOF", iotest.DataErrReader(strings.NewReader(in))},
	} {
		src := lineSource{rd: tc.rd}
		var got []string
		for {
			s, more := src.line()
			if !more {
				break
			}
			got = append(got, s)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d lines %.40q, want %d %.40q", tc.name, len(got), got, len(want), want)
		}
		if src.err != io.EOF {
			t.Errorf("%s: err %v, want EOF", tc.name, src.err)
		}
	}
	bad := errors.New("disk on fire")
	src := lineSource{rd: io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(bad))}
	var got []string
	for s, more := src.line(); more; s, more = src.line() {
		got = append(got, s)
	}
	if !slices.Equal(got, []string{"a\n", "b"}) || src.err != bad {
		t.Errorf("error reader: lines %q, err %v", got, src.err)
	}
	r := NewRunner(nil)
	errs := r.RunReader("x.scn", io.MultiReader(strings.NewReader("mmap(NULL, P, PROT_READ, MAP_PRIVATE|MAP_ANON, -1, 0) = $a\n"), iotest.ErrReader(bad)))
	if len(errs) != 1 || errs[0] != bad || r.Passed != 1 {
		t.Errorf("RunReader over a failing reader: errs %v, passed %d", errs, r.Passed)
	}
}

// TestLineSourceBound: a stream without newlines ends with an error once
// the line passes the bound instead of taking all memory.
func TestLineSourceBound(t *testing.T) {
	src := lineSource{rd: iotest.HalfReader(endless{})}
	if s, more := src.line(); more || src.err == nil || !strings.Contains(src.err.Error(), "longer than") {
		t.Fatalf("line %d bytes, more %v, err %v", len(s), more, src.err)
	}
}

// endless reads as an infinite run of 'x'.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}
