package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// traceFiles returns the shared strace logs, if present, plus the
// package's own samples.
func traceFiles(t testing.TB) []string {
	var files []string
	for _, g := range []string{"/work/shared/traces/*/*.log", "../../../shared/traces/*/*.log", "testdata/strace/*.log"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	return files
}

func TestTracesParse(t *testing.T) {
	files := traceFiles(t)
	if len(files) == 0 {
		t.Skip("no trace files")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines, errs := ParseFile(f, bytesReader(data))
		for _, e := range errs {
			t.Errorf("%v", e)
		}
		if len(lines) == 0 {
			t.Errorf("%s: no lines", f)
		}
		for _, ln := range lines {
			if ln.Kind == KindCall && !strings.Contains(f, "testdata") {
				for _, a := range ln.Args {
					if r, ok := a.(*Raw); ok {
						t.Errorf("%v: raw arg %q in %s", ln.Pos, r.Text, ln.Name)
					}
				}
			}
			checkRoundTrip(t, ln)
		}
		joined, jerrs := Join(lines)
		for _, e := range jerrs {
			t.Errorf("join: %v", e)
		}
		_ = joined
	}
}
