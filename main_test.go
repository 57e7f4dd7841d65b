package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const forkScenario = `mmap(NULL, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $a
touch($a, 2*P, "w", 4) = 0
fork() = $c
$c touch($a, P, "w", 5) = 0
peek($a) = 4
`

// TestCheckPassAndFail runs check on a good file and on the same file with
// one wrong expectation: exit 0 then 1, the failing line named with what
// was expected and what happened, and the count line last.
func TestCheckPassAndFail(t *testing.T) {
	good := writeFile(t, "good.scn", forkScenario)
	var out, errb bytes.Buffer
	if code := run([]string{"check", good}, &out, &errb); code != 0 {
		t.Fatalf("good file: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.HasSuffix(out.String(), "5 passed, 0 failed\n") {
		t.Fatalf("good file output: %q", out.String())
	}
	bad := writeFile(t, "bad.scn", strings.Replace(forkScenario, "peek($a) = 4", "peek($a) = 5", 1))
	out.Reset()
	if code := run([]string{"check", bad}, &out, &errb); code != 1 {
		t.Fatalf("bad file: exit %d, want 1\n%s", code, out.String())
	}
	s := out.String()
	if !strings.Contains(s, "bad.scn:5:1: expected 5") || !strings.Contains(s, "got 4") {
		t.Fatalf("failure not named with line and values:\n%s", s)
	}
	if !strings.HasSuffix(s, "4 passed, 1 failed\n") {
		t.Fatalf("last line: %q", s)
	}
}

// TestCheckBadInput: malformed lines and missing files are reported, not
// fatal, and count as failures.
func TestCheckBadInput(t *testing.T) {
	p := writeFile(t, "broken.scn", "mmap(NULL, P, \nfrobnicate(1) = 0\n$nobody touch(0, 1, \"r\")\n")
	var out, errb bytes.Buffer
	if code := run([]string{"check", p, filepath.Join(t.TempDir(), "missing.scn")}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	s := out.String()
	for _, want := range []string{"broken.scn:1:", "broken.scn:2:1: unknown call frobnicate", "broken.scn:3:1: no process $nobody", "missing.scn"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if code := run([]string{"check", "--personality", "plan9", p}, &out, &errb); code != 2 {
		t.Errorf("unknown personality: exit %d, want 2", code)
	}
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// TestReplayFormats prints the final address space of each process in the
// three formats.
func TestReplayFormats(t *testing.T) {
	p := writeFile(t, "fork.scn", forkScenario)
	for _, format := range []string{"maps", "procstat", "json"} {
		var out, errb bytes.Buffer
		if code := run([]string{"replay", "--print", format, p}, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errb.String())
		}
		s := out.String()
		if strings.Count(s, "# pid ") != 2 {
			t.Fatalf("%s: want two processes:\n%s", format, s)
		}
		switch format {
		case "maps":
			if !strings.Contains(s, "800400000-800402000 rw-p 00000000 00:00 0") {
				t.Fatalf("maps output:\n%s", s)
			}
		case "procstat":
			if !strings.Contains(s, "PRT") || !strings.Contains(s, "CN---") {
				t.Fatalf("procstat output:\n%s", s)
			}
		case "json":
			if !strings.Contains(s, `"shadow_depth": 2`) {
				t.Fatalf("json output:\n%s", s)
			}
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"replay", "--at", "1", p}, &out, &errb); code != 0 || strings.Count(out.String(), "# pid") != 1 {
		t.Fatalf("--at 1: exit %d\n%s", code, out.String())
	}
}
