//go:build linux && (amd64 || arm64)

package tracer

import (
	"os/exec"
	"testing"
)

// TestQuietChildStops: while a trace runs, SIGCHLD's action carries
// SA_NOCLDSTOP (no signal per ptrace stop); the last of overlapping users
// puts the action back; exits of ordinary children are still collected.
func TestQuietChildStops(t *testing.T) {
	flags := func() uint64 {
		var act kernelSigaction
		if err := rtSigaction(nil, &act); err != nil {
			t.Fatal(err)
		}
		return act.flags
	}
	if flags()&saNoCldStop != 0 {
		t.Skip("SA_NOCLDSTOP already set on SIGCHLD")
	}
	restore1 := quietChildStops()
	restore2 := quietChildStops()
	if flags()&saNoCldStop == 0 {
		t.Fatal("SA_NOCLDSTOP not set while tracing")
	}
	if err := exec.Command("true").Run(); err != nil {
		t.Fatalf("os/exec while stops are quiet: %v", err)
	}
	restore1()
	if flags()&saNoCldStop == 0 {
		t.Fatal("SA_NOCLDSTOP cleared while a second user still traces")
	}
	restore2()
	if flags()&saNoCldStop != 0 {
		t.Fatal("SA_NOCLDSTOP left set after the last user")
	}
}
