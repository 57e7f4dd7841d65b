package vmengine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vmscope/vmengine/scenario"
)

// TestRealTracesReplayExactly replays real Linux traces (strace -f -X raw
// -ttt -yy of gcc and python3, ASLR off) from the kernel's exec image in the
// linux personality: every address the kernel returned must be the one the
// engine chooses, and the final address space must equal the kernel's
// /proc/PID/maps at exit_group line for line ([vsyscall] aside).
func TestRealTracesReplayExactly(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/traces/*")
	if len(dirs) == 0 {
		t.Fatal("no traces in testdata/traces")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r, lines := loadTrace(t, dir)
			joined, errs := scenario.Join(lines)
			for _, err := range errs {
				t.Error(err)
			}
			final := loadMaps(t, filepath.Join(dir, "maps.final.txt"))
			checked := false
			for _, l := range joined {
				if l.Kind == scenario.KindCall && l.Name == "exit_group" {
					p := r.Eng.Process(l.PID.Num)
					for _, d := range r.Eng.CompareMaps(p, final) {
						t.Errorf("maps at exit_group: %s", d)
					}
					checked = true
				}
				if _, err := r.Line(l); err != nil {
					t.Error(err)
				}
			}
			if !checked {
				t.Fatal("trace has no exit_group")
			}
			for _, f := range r.Fails {
				t.Error(f)
			}
			if r.Passed < 20 {
				t.Errorf("only %d expectations checked", r.Passed)
			}
		})
	}
}

func loadTrace(t *testing.T, dir string) (*Runner, []scenario.Line) {
	t.Helper()
	pers, _ := PersonalityByName("linux")
	r := NewRunner(pers)
	r.CheckInvariants = true
	f, err := os.Open(filepath.Join(dir, "strace.all.raw.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, errs := scenario.ParseFile("strace.all.raw.log", f)
	for _, err := range errs {
		t.Fatal(err)
	}
	pid := lines[0].PID.Num
	p, err := r.Eng.NewProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	r.mainPID, r.started = pid, true
	if err := r.Eng.LoadImage(p, loadMaps(t, filepath.Join(dir, "maps.initial.txt"))); err != nil {
		t.Fatal(err)
	}
	r.freshImage[pid] = true
	return r, lines
}

func loadMaps(t *testing.T, path string) []scenario.MapsLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines, errs := scenario.ParseFile(path, strings.NewReader("@maps 0\n"+string(data)+"@end\n"))
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	for _, l := range lines {
		if l.Kind == scenario.KindBlock {
			return l.Maps
		}
	}
	t.Fatal("no maps rows")
	return nil
}
