package vmengine

import (
	"os"
	"path/filepath"
	"testing"

	"vmscope/vmengine/scenario"
)

// runScenarioFile runs one scenario file with the invariant checker on and
// reports every unmet expectation, snapshot difference or bad line.
func runScenarioFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, errs := scenario.ParseFile(path, f)
	r := NewRunner(nil)
	r.CheckInvariants = true
	_, runErrs := r.RunLines(lines)
	for _, err := range append(errs, runErrs...) {
		t.Errorf("%v", err)
	}
	for _, fl := range r.Fails {
		t.Errorf("%v", fl)
	}
	if r.Passed == 0 && len(r.Fails) == 0 {
		t.Errorf("%s: no expectation was checked", path)
	}
}

// TestScenarioFiles runs every scenario file of the engine's test data and
// the scenario library.
func TestScenarioFiles(t *testing.T) {
	var files []string
	for _, glob := range []string{"testdata/*.scn", "testdata/conformance/*.scn", "testdata/linux/*.scn", "testdata/conformance-linux/*.scn", "../static/scenarios/*.scn"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no scenario files found")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) { runScenarioFile(t, path) })
	}
}
