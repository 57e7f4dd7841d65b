package vmengine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
