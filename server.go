// Command vmscope runs, checks and replays virtual-memory scenarios and
// traces on the vmscope engine.
//
//	vmscope check [-v] [--personality P] FILE...
//	vmscope replay [--personality P] [--at N] [--print maps|procstat|json] [--maps-at-exec FILE] FILE
//	vmscope trace [-o FILE] -- CMD ARGS...   (Linux)
//	vmscope trace [-o FILE] -p PID           (Linux)
//	vmscope serve [-addr 127.0.0.1:8080] [-traces DIR]
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage:
  vmscope check [-v] [--personality P] FILE...
      run scenario files, strace logs or traces; check every expectation
      and snapshot; print each failure and "N passed, N failed" last
  vmscope replay [--personality P] [--at N] [--print maps|procstat|json] [--maps-at-exec FILE] FILE
      print each process's address space at its exit, at the end of the
      file, or after event N
  vmscope trace [-o FILE] -- CMD ARGS...
  vmscope trace [-o FILE] -p PID
      trace a program's memory system calls (Linux, ptrace) into a file
      that replays in the linux personality
  vmscope serve [-addr 127.0.0.1:8080] [-traces DIR]
      serve the browser app (the engine in WebAssembly) and print its URL;
      -traces offers a directory of trace files in the app's library
`

func main() {
	if traceChild() {
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "check":
		return cmdCheck(args[1:], stdout, stderr)
	case "replay":
		return cmdReplay(args[1:], stdout, stderr)
	case "trace":
		return cmdTrace(args[1:], stdout, stderr)
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "vmscope: unknown command %q\n%s", args[0], usage)
	return 2
}
