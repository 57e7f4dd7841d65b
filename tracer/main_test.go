//go:build linux && (amd64 || arm64)

package tracer

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// testHelperEnv selects a helper mode of the test binary (see TestMain);
// tests run the binary again with it to get a separate tracer process.
const testHelperEnv = "VMSCOPE_TEST_HELPER"

// TestMain lets the test binary serve as the tracer's helper child (Run and
// Attach re-execute it: ChildMain comes first, as in vmscope's main) and as
// the helper processes of some tests, then runs the tests.
func TestMain(m *testing.M) {
	if ChildMain() {
		return
	}
	if mode := os.Getenv(testHelperEnv); mode != "" {
		os.Exit(testHelper(mode, os.Args[1:]))
	}
	code := m.Run()
	cleanupTestPrograms()
	os.Exit(code)
}

// testHelper runs one helper mode with its arguments and returns the exit
// code of the helper process:
//
//	run OUTFILE CMD ARGS...  Run CMD with the trace to OUTFILE; exit with its code.
//	attach PID              Attach to PID with the trace to stdout; print the error.
func testHelper(mode string, args []string) int {
	switch mode {
	case "run":
		f, err := os.Create(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		code, err := Run(context.Background(), args[1:], Options{Output: f})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		return code
	case "attach":
		pid, _ := strconv.Atoi(args[0])
		if err := Attach(context.Background(), pid, Options{Output: os.Stdout}); err != nil {
			fmt.Println("ERROR:", err)
			return 1
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 2
}
