package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"vmscope/tracer"
)

// traceChild runs the tracer's helper mode when this binary was re-executed
// as a traced child; it reports whether it did.
func traceChild() bool { return tracer.ChildMain() }

// cmdTrace implements "vmscope trace": it runs (or attaches to) a program
// under the tracer and writes the trace, passing on the program's exit code.
func cmdTrace(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the trace to FILE (default: standard output)")
	pid := fs.String("p", "", "attach to a running process")
	keepASLR := fs.Bool("aslr", false, "leave address-space randomization on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "vmscope trace:", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	if err := writeKernelSettings(bw); err != nil {
		fmt.Fprintln(stderr, "vmscope trace: probing the kernel:", err)
		return 1
	}
	opts := tracer.Options{Output: flushWriter{bw}, KeepASLR: *keepASLR}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *pid != "" {
		n, err := strconv.Atoi(*pid)
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "vmscope trace: -p wants a process id, got %q\n", *pid)
			return 2
		}
		if err := tracer.Attach(ctx, n, opts); err != nil {
			fmt.Fprintln(stderr, "vmscope trace:", err)
			return 1
		}
		return 0
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "vmscope trace: give a command after --, or -p PID")
		return 2
	}
	code, err := tracer.Run(ctx, fs.Args(), opts)
	if err != nil {
		fmt.Fprintln(stderr, "vmscope trace:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// flushWriter flushes after every write so the file is whole up to its
// last line whenever the tracer stops.
type flushWriter struct{ w *bufio.Writer }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.w.Flush()
	}
	return n, err
}
