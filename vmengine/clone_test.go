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

// TestCloneHistoryIndependent: the change history behind a snapshot
// difference's "last changed by" belongs to each runner alone after a
// clone, across the history's chunk boundaries.
func TestCloneHistoryIndependent(t *testing.T) {
	r := NewRunner(nil)
	var b strings.Builder
	b.WriteString("mmap(NULL, 16*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $a\n")
	for i := 0; i < changeChunk+10; i++ {
		b.WriteString("mprotect($a, P, PROT_READ) = 0\n")
	}
	runText(t, r, b.String())
	c := r.Clone()
	a := r.Vars()["a"]
	runText(t, r, "\nmprotect($a+P, P, PROT_READ) = 0\n")       // line 2
	runText(t, c, "\n\n\nmprotect($a+2*P, P, PROT_READ) = 0\n") // line 4
	pid := r.MainPID()
	if got := r.cause(pid, a+2*4096, a+3*4096); !strings.HasSuffix(got, ":1:1") {
		t.Errorf("original: %s, want the mmap on line 1 (the clone's change must not show)", got)
	}
	if got := c.cause(pid, a+2*4096, a+3*4096); !strings.HasSuffix(got, ":4:1") {
		t.Errorf("clone: %s, want its own mprotect on line 4", got)
	}
	if got := c.cause(pid, a+4096, a+2*4096); !strings.HasSuffix(got, ":1:1") {
		t.Errorf("clone: %s, want the mmap on line 1 (the original's change must not show)", got)
	}
}
