//go:build linux && (amd64 || arm64)

package tracer

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as the tracer's helper child (Run
// re-executes it) and as the helper processes of some tests.
func TestMain(m *testing.M) {
	if ChildMain() {
		return
	}
	os.Exit(m.Run())
}
