//go:build linux && !wasm

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"vmscope/tracer"
)

// TestMain lets the test binary act as the tracer's helper child: vmscope
// trace re-executes its own binary to install the seccomp filter.
func TestMain(m *testing.M) {
	if tracer.ChildMain() {
		return
	}
	os.Exit(m.Run())
}

// TestTraceThenCheck traces real programs of different kinds with vmscope
// trace and replays each trace with vmscope check in the linux
// personality: every address the kernel returned, every error and the
// kernel's own /proc/PID/maps at exec and at exit must match, line for line.
func TestTraceThenCheck(t *testing.T) {
	dir := t.TempDir()
	need := func(name string) string {
		p, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed for this test: %v", name, err)
			}
			t.Skipf("%s not installed", name)
		}
		return p
	}
	gcc := need("gcc")
	for _, c := range []struct{ src, out string }{{"maps.c", "maps"}, {"threadfork.c", "threadfork"}} {
		cmd := exec.Command(gcc, "-O1", "-pthread", "-o", filepath.Join(dir, c.out), filepath.Join("testdata/programs", c.src))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", c.src, err, out)
		}
	}
	goBin := filepath.Join(dir, "gohello")
	build := exec.Command("go", "build", "-o", goBin, "./testdata/programs/gohello")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	programs := []struct {
		name string
		argv []string
	}{
		{"c-dynamic", []string{filepath.Join(dir, "maps")}},
		{"python3", []string{need("python3"), "-c", "pass"}},
		{"perl", []string{need("perl"), "-e", "1"}},
		{"node", []string{need("node"), "--random-seed=1", "--v8-pool-size=0", "-e", "0"}},
		{"go", []string{goBin}},
		{"threads-fork", []string{filepath.Join(dir, "threadfork")}},
	}
	for _, prog := range programs {
		t.Run(prog.name, func(t *testing.T) {
			out := filepath.Join(dir, prog.name+".trace")
			var so, se bytes.Buffer
			args := append([]string{"trace", "-o", out, "--"}, prog.argv...)
			if code := run(args, &so, &se); code != 0 {
				t.Fatalf("vmscope trace exited %d: %s", code, se.String())
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "@image") || !strings.Contains(string(data), "@maps") {
				t.Fatalf("the trace lacks its @image and @maps snapshots:\n%s", data)
			}
			so.Reset()
			se.Reset()
			if code := run([]string{"check", "--personality", "linux", out}, &so, &se); code != 0 {
				t.Fatalf("vmscope check found differences (exit %d):\n%s%s", code, so.String(), se.String())
			}
			if !strings.HasSuffix(so.String(), " 0 failed\n") || strings.HasPrefix(so.String(), "0 passed") {
				t.Fatalf("unexpected check output:\n%s", so.String())
			}
			t.Logf("%s: %s", prog.name, strings.TrimSpace(so.String()))
		})
	}
}
