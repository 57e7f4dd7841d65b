// Command jumpthread speeds up a WebAssembly binary built by Go: it turns
// the forward jumps of Go's dispatch loops into direct branches (see
// thread.go). The app build and the engine's wasm tests and benchmarks run
// the rewritten binary.
//
//	jumpthread IN.wasm [OUT.wasm]
//
// OUT defaults to IN (rewritten in place). A module it cannot decode is an
// error and leaves OUT untouched.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "jumpthread:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: jumpthread IN.wasm [OUT.wasm]")
	}
	in, out := args[0], args[0]
	if len(args) == 2 {
		out = args[1]
	}
	module, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	threaded, st, err := Thread(module)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	// Write beside the target and rename, so a failed write loses nothing.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".jumpthread-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(threaded); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	if os.Getenv("JUMPTHREAD_QUIET") == "" {
		fmt.Fprintf(os.Stderr, "jumpthread: %s: %v\n", out, st)
	}
	return nil
}
