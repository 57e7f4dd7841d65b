//go:build linux && (amd64 || arm64)

package tracer

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// BenchmarkTraceVsStrace measures the wall time of one whole traced run of
// a program under this tracer and under strace in the same run:
//
//	mmaploop: the test C program doing 20,000 mmap/munmap pairs (40,000
//	          traced calls: the worst case, every call is a memory call);
//	python:   python3 -c "import json" (a real program: ~5% of its calls
//	          are memory calls).
//
// Sub-benchmarks: untraced (the program alone), vmscope (Run, trace to
// /dev/null), strace (`strace -f -e trace=%memory -o /dev/null`), and
// strace-seccomp (the same with --seccomp-bpf, strace's filter mode).
// Compare ns/op: vmscope/strace is the overhead ratio.
func BenchmarkTraceVsStrace(b *testing.B) {
	programs := []struct {
		name string
		argv func(b *testing.B) []string
	}{
		{"mmaploop", func(b *testing.B) []string { return []string{testProgram(b, "prog"), "mmaploop", "20000"} }},
		{"python", func(b *testing.B) []string {
			py := "/usr/bin/python3"
			if _, err := os.Stat(py); err != nil {
				if py, err = exec.LookPath("python3"); err != nil {
					b.Skip(err)
				}
			}
			return []string{py, "-c", "import json"}
		}},
	}
	strace, straceErr := exec.LookPath("strace")
	for _, p := range programs {
		b.Run(p.name, func(b *testing.B) {
			argv := p.argv(b)
			devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer devnull.Close()
			runCmd := func(b *testing.B, args ...string) {
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Stdout, cmd.Stderr = devnull, devnull
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("untraced", func(b *testing.B) {
				for b.Loop() {
					runCmd(b, argv...)
				}
			})
			b.Run("vmscope", func(b *testing.B) {
				for b.Loop() {
					code, err := Run(context.Background(), argv, Options{
						Output: devnull, Stdout: devnull, Stderr: devnull, NoSignalHandling: true})
					if code != 0 || err != nil {
						b.Fatal(code, err)
					}
				}
			})
			for _, s := range []struct {
				name  string
				extra []string
			}{{"strace", nil}, {"strace-seccomp", []string{"--seccomp-bpf"}}} {
				b.Run(s.name, func(b *testing.B) {
					if straceErr != nil {
						b.Skip("strace not installed (apt-get install -y strace)")
					}
					args := append([]string{strace, "-f", "-e", "trace=%memory", "-o", "/dev/null"}, s.extra...)
					for b.Loop() {
						runCmd(b, append(args, argv...)...)
					}
				})
			}
		})
	}
}
