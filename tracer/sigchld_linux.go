//go:build linux && (amd64 || arm64)

package tracer

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Every ptrace stop makes the kernel send the tracer SIGCHLD, and the Go
// runtime catches SIGCHLD with a handler of its own: two stops per traced
// call cost two signal deliveries (frame, handler, sigreturn) that a C
// tracer, whose SIGCHLD is at its default (discarded), never pays - about
// 15% of the time of a trace of nothing but memory calls. SA_NOCLDSTOP
// on the process's SIGCHLD action stops the kernel from sending SIGCHLD
// for stops (do_notify_parent_cldstop) while it still wakes wait4 and still
// signals exits, so zombies, os/exec and os/signal are unaffected. Run sets
// the flag while it traces and puts the action back as it found it.

// kernelSigaction is struct sigaction as rt_sigaction(2) reads and writes
// it on amd64 and arm64 (both have sa_restorer).
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const saNoCldStop = 0x1 // SA_NOCLDSTOP

var quietStops struct {
	sync.Mutex
	users int  // Runs in progress
	set   bool // the flag was added by the first of them
}

// rtSigaction reads (act nil) or writes SIGCHLD's action; old receives the
// action before the call.
func rtSigaction(act, old *kernelSigaction) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// quietChildStops adds SA_NOCLDSTOP to SIGCHLD's action if a handler is
// installed without it; the returned function undoes that once the last
// concurrent caller is done. Failures leave the action alone (tracing is
// then only slower).
func quietChildStops() (restore func()) {
	quietStops.Lock()
	defer quietStops.Unlock()
	quietStops.users++
	if quietStops.users == 1 {
		var act kernelSigaction
		// A handler (not SIG_DFL 0 or SIG_IGN 1) without the flag.
		if rtSigaction(nil, &act) == nil && act.handler > 1 && act.flags&saNoCldStop == 0 {
			act.flags |= saNoCldStop
			quietStops.set = rtSigaction(&act, nil) == nil
		}
	}
	return func() {
		quietStops.Lock()
		defer quietStops.Unlock()
		quietStops.users--
		if quietStops.users > 0 || !quietStops.set {
			return
		}
		quietStops.set = false
		var act kernelSigaction
		if rtSigaction(nil, &act) == nil && act.flags&saNoCldStop != 0 {
			act.flags &^= saNoCldStop
			rtSigaction(&act, nil)
		}
	}
}
