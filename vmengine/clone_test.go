package vmengine

import (
	"strings"
	"testing"

	"vmscope/vmengine/scenario"
)

func runText(t *testing.T, r *Runner, text string) {
	t.Helper()
	lines, errs := scenario.ParseFile("t", strings.NewReader(text))
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if _, errs := r.RunLines(lines); len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if len(r.Fails) > 0 {
		t.Fatal(r.Fails[0])
	}
}

// TestCloneIndependent: a clone taken mid-scenario goes on exactly like the
// original, and neither sees the other's later changes.
func TestCloneIndependent(t *testing.T) {
	r := NewRunner(nil)
	r.CheckInvariants = true
	runText(t, r, `mmap(NULL, 4*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $a
touch($a, 4*P, "w", 1) = 0
fork() = $c
`)
	c := r.Clone()
	rest := `$c touch($a, P, "w", 2) = 0
munmap($a+P, P) = 0
peek($a) = 1
$c peek($a) = 2
$c exit(0)
entries($a, 4*P) = 2
`
	runText(t, r, rest)
	if err := c.Eng.Check(); err != nil {
		t.Fatalf("clone broken by the original's changes: %v", err)
	}
	p := c.Eng.Process(c.MainPID())
	if n := p.VS.Map.NEntries; n != 1 {
		t.Fatalf("clone has %d entries, want 1", n)
	}
	c.CheckInvariants = true
	runText(t, c, rest)
	if got, want := c.Eng.FormatMaps(c.Eng.Process(c.MainPID())), r.Eng.FormatMaps(r.Eng.Process(r.MainPID())); got != want {
		t.Fatalf("clone diverged:\n%s\nwant\n%s", got, want)
	}
}
