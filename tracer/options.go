// Package tracer runs a program (or attaches to a running process) under
// ptrace and writes every memory-related system call it makes, in the strace
// syntax of vmscope/vmengine/scenario/SYNTAX.md, so that the vmscope engine
// can replay it.
//
// It is the engine of `vmscope trace [-o FILE] -- CMD ARGS...` and
// `vmscope trace -p PID`. The design (seccomp filter, stop sequence, snapshot
// timing) is described in README.md next to this file.
//
// A program that uses Run must call ChildMain first thing in main:
//
//	func main() {
//		if tracer.ChildMain() {
//			return
//		}
//		...
//	}
//
// because Run re-executes the current binary (/proc/self/exe) as a small
// helper that installs the seccomp filter and then executes the command.
//
// The package works on Linux amd64 and arm64; elsewhere Run and Attach
// return ErrUnsupported and ChildMain returns false.
package tracer

import (
	"errors"
	"io"
	"os"
)

// ErrUnsupported is returned by Run and Attach on systems the tracer does not
// support (anything but Linux on amd64 or arm64).
var ErrUnsupported = errors.New("tracer: only supported on linux/amd64 and linux/arm64")

// Options configures Run and Attach. The zero value is not usable: Output
// must be set.
type Options struct {
	// Output receives the trace, one complete line per write. Required.
	// Every event is flushed as soon as it is written, so the output is
	// valid up to its last line whenever the tracer stops.
	Output io.Writer

	// Stdin, Stdout and Stderr are given to the launched command (Run
	// only); nil means the tracer's own.
	Stdin, Stdout, Stderr *os.File

	// Env is the environment of the launched command (Run only); nil means
	// os.Environ(). PATH from it is used to find the command.
	Env []string

	// Dir is the working directory of the launched command (Run only); ""
	// means the tracer's.
	Dir string

	// KeepASLR leaves address-space randomization on for the launched
	// command (Run only). By default the command runs with
	// personality(ADDR_NO_RANDOMIZE), like `setarch -R`, so that two runs
	// in the same environment get the same addresses.
	KeepASLR bool

	// NoSeccomp makes Run stop the command at the entry and exit of every
	// system call (PTRACE_SYSCALL) and filter in the tracer, as Attach
	// must, instead of installing a seccomp filter that stops it only at
	// the traced calls. Slower; useful where seccomp is unavailable.
	NoSeccomp bool

	// Timestamps prefixes every event line with the wall-clock time in
	// seconds, as `strace -ttt` does (1700000000.123456).
	Timestamps bool

	// ConcurrentCalls lets the address-space calls (mmap, munmap,
	// mprotect, clone, ...) of different threads of one process run at the
	// same time. By default the tracer holds a thread at the entry of such
	// a call while another thread of its process has one running, so that
	// the lines come in the order the kernel applied the calls, which a
	// replay needs; with this set, two calls running at once may be
	// printed in either order. Set it for a program whose threads wait on
	// each other inside such calls (a userfaultfd or FUSE server in the
	// same process), which the default could deadlock.
	ConcurrentCalls bool

	// NoSignalHandling stops Run and Attach from catching SIGINT, SIGTERM,
	// SIGHUP and SIGQUIT while they run. By default they catch them: Run
	// forwards the first one to the launched command and kills it on the
	// second; Attach detaches from the process and returns.
	NoSignalHandling bool
}
