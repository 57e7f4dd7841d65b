//go:build linux && (amd64 || arm64)

package tracer

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The helper-child protocol. Go cannot run code between fork and exec, so
// Run starts the current binary again (/proc/self/exe) with childEnvVar set;
// ChildMain, called first thing in main, sees it and becomes the helper.
//
// Exec mode (childEnvVar = "exec[,aslr][,noseccomp]", os.Args[1] = the
// resolved command path, os.Args[2:] = the command's argv):
//
//  1. lock the goroutine to its thread (the filter is per thread, and this
//     thread will be the traced one);
//  2. personality(ADDR_NO_RANDOMIZE) unless "aslr";
//  3. prctl(PR_SET_NO_NEW_PRIVS), then install the seccomp filter on this
//     thread unless "noseccomp";
//  4. write "R <tid>\n" to fd childStatusFd (or "E <message>\n" and exit 1
//     on failure) and block reading one byte from fd childGoFd;
//  5. the tracer PTRACE_SEIZEs <tid> with its options, then writes the byte;
//  6. execve the command with the environment minus childEnvVar. If that
//     fails, print the error on stderr and exit 126 or 127 like a shell.
//
// Between 3 and 5 a traced system call would fail with ENOSYS (no tracer
// yet), so the helper only reads and writes there.
//
// Waker mode (childEnvVar = "waker"): write "R\n" to fd childStatusFd,
// read fd childGoFd until EOF, then exit 0. Attach uses it to interrupt its blocking wait4 (see README.md).
const (
	childEnvVar    = "VMSCOPE_TRACE_CHILD"
	childGoFd      = 3
	childStatusFd  = 4
	childArgv0     = "vmscope-trace-child"
	addrNoRandom   = 0x0040000 // ADDR_NO_RANDOMIZE of <linux/personality.h>
	personalityGet = 0xffffffff
)

// ChildMain must be called first thing in main() of any binary that uses
// Run (and in TestMain of its tests). If the process was started by Run as
// its helper child, ChildMain does the helper's work and never returns: it
// ends by executing the traced command or by exiting. Otherwise it returns
// false at once and has no effect. The bool result exists for the idiom
// `if tracer.ChildMain() { return }`; it is never true in practice.
func ChildMain() bool {
	mode, ok := os.LookupEnv(childEnvVar)
	if !ok {
		return false
	}
	runtime.LockOSThread()
	switch {
	case mode == "waker":
		childWaker()
	case mode == "exec" || strings.HasPrefix(mode, "exec,"):
		childExec(mode)
	}
	fmt.Fprintf(os.Stderr, "vmscope: unknown %s mode %q\n", childEnvVar, mode)
	os.Exit(1)
	return true
}

// childWaker says "R" on fd childStatusFd, blocks until the tracer closes
// the pipe on fd childGoFd, then exits 0.
func childWaker() {
	unix.Write(childStatusFd, []byte("R\n"))
	unix.Close(childStatusFd)
	buf := make([]byte, 1)
	for {
		_, err := unix.Read(childGoFd, buf)
		if err != unix.EINTR {
			break
		}
	}
	os.Exit(0)
}

// childExec is the exec-mode helper (see the protocol above). It never
// returns.
func childExec(mode string) {
	keepASLR, noSeccomp := false, false
	for _, f := range strings.Split(mode, ",")[1:] {
		switch f {
		case "aslr":
			keepASLR = true
		case "noseccomp":
			noSeccomp = true
		}
	}
	fail := func(msg string) {
		unix.Write(childStatusFd, []byte("E "+msg+"\n"))
		os.Exit(1)
	}
	if len(os.Args) < 3 {
		fail("helper child started without a command")
	}
	path, argv := os.Args[1], os.Args[2:]
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, childEnvVar+"=") {
			env = append(env, kv)
		}
	}
	for _, fd := range []int{childGoFd, childStatusFd} {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
			fail("helper child: fd " + strconv.Itoa(fd) + ": " + err.Error())
		}
	}
	if !keepASLR {
		persona, _, e := unix.RawSyscall(unix.SYS_PERSONALITY, personalityGet, 0, 0)
		if e == 0 {
			_, _, e = unix.RawSyscall(unix.SYS_PERSONALITY, persona|addrNoRandom, 0, 0)
		}
		if e != 0 {
			fail("personality(ADDR_NO_RANDOMIZE): " + e.Error())
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail("prctl(PR_SET_NO_NEW_PRIVS): " + err.Error())
	}
	prog := buildFilter(tracedNumbers())
	ready := []byte("R " + strconv.Itoa(unix.Gettid()) + "\n")
	goByte := make([]byte, 1)
	growStack()
	if !noSeccomp {
		if e := installFilter(prog); e != 0 {
			fail(seccompErrorText(e))
		}
	}
	// No traced call from here until the tracer has seized this thread.
	unix.Write(childStatusFd, ready)
	for {
		n, err := unix.Read(childGoFd, goByte)
		if err == unix.EINTR {
			continue
		}
		if n != 1 {
			// The tracer is gone. exit_group is traced, so it would fail
			// with ENOSYS: die by signal instead.
			unix.RawSyscall(unix.SYS_KILL, uintptr(os.Getpid()), uintptr(unix.SIGKILL), 0)
		}
		break
	}
	err := syscall.Exec(path, argv, env)
	code := 126
	if err == syscall.ENOENT || err == syscall.ENOTDIR {
		code = 127
	}
	fmt.Fprintf(os.Stderr, "vmscope: exec %s: %v\n", path, err)
	os.Exit(code)
}

// seccompErrorText explains why installing the seccomp filter failed.
func seccompErrorText(e unix.Errno) string {
	if e == unix.EINVAL {
		return "seccomp filters are unavailable (kernel without CONFIG_SECCOMP_FILTER?): " + e.Error()
	}
	return "installing the seccomp filter: " + e.Error()
}

// growStack touches 64 KiB of goroutine stack so that the short stretch of
// the helper that runs under the filter before the tracer is attached never
// needs a stack growth (which could allocate, and so mmap, and fail).
//
//go:noinline
func growStack() byte {
	var pad [64 << 10]byte
	pad[len(pad)-1] = 1
	return pad[0] + pad[len(pad)-1]
}
