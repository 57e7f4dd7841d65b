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
	seen := map[string]bool{}
	for _, g := range []string{"/work/shared/traces/*/*.log", "../../../shared/traces/*/*.log", "testdata/strace/*.log"} {
		m, _ := filepath.Glob(g)
		for _, f := range m {
			abs, err := filepath.Abs(f)
			if err == nil {
				abs, err = filepath.EvalSymlinks(abs)
			}
			if err != nil || seen[abs] {
				continue
			}
			seen[abs] = true
			files = append(files, f)
		}
	}
	return files
}

func TestTracesParse(t *testing.T) {
	files := traceFiles(t)
	if len(files) < 2 {
		t.Log("shared strace logs not found; testing the package's samples only")
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
		nonBlank := 0
		for _, l := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(l) != "" {
				nonBlank++
			}
		}
		if len(lines) != nonBlank {
			t.Errorf("%s: %d lines parsed, %d in the file", f, len(lines), nonBlank)
		}
		raw := strings.HasSuffix(f, "raw.log")
		for _, ln := range lines {
			if !raw || ln.Kind != KindCall || ln.Name != "mmap" {
				continue
			}
			// strace -X raw: every mmap argument but NULL is numeric.
			if len(ln.Args) != 6 || ln.Result.Kind != ResultValue {
				t.Errorf("%v: mmap with %d args, result %v", ln.Pos, len(ln.Args), ln.Result.Kind)
				continue
			}
			for i, a := range ln.Args[1:] {
				if _, err := Eval(a, nil); err != nil {
					t.Errorf("%v: mmap arg %d: %v", ln.Pos, i+1, err)
				}
			}
			if v, err := Eval(ln.Result.Expr, nil); err != nil || v < 0x400000 {
				t.Errorf("%v: mmap result %#x %v", ln.Pos, v, err)
			}
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
