// Command otherthread is a test binary for vmscope/tracer whose ChildMain
// runs on a thread other than the main one (the main goroutine is locked to
// the main thread from init), so the helper child execs from a non-leader
// thread. As a tracer it runs its arguments under tracer.Run, writing the
// trace to stdout, and exits with the command's code.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"vmscope/tracer"
)

// init locks the main goroutine to the main thread, so the goroutine that
// calls ChildMain runs on another thread.
func init() { runtime.LockOSThread() }

// main calls ChildMain on a non-main thread, then acts as a tracer: it runs
// os.Args[1:] under tracer.Run with the trace on stdout and exits with the
// command's code.
func main() {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		tracer.ChildMain() // does not return in a helper child
		close(done)
	}()
	<-done
	code, err := tracer.Run(context.Background(), os.Args[1:], tracer.Options{Output: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}
