//go:build linux && (amd64 || arm64)

package tracer

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// All functions in this file issue ptrace requests, and so must be called on
// the tracer's locked OS thread: the kernel ties a tracee to the thread that
// attached it, and answers ESRCH to requests from any other thread.

// ptraceReq issues one ptrace request and returns its error (nil on success).
// It uses RawSyscall: no ptrace request used here blocks.
func ptraceReq(req, pid int, addr, data uintptr) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(pid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// ptraceSeize attaches to thread tid without stopping it, setting the
// PTRACE_O_* options in opts.
func ptraceSeize(tid, opts int) error {
	return ptraceReq(unix.PTRACE_SEIZE, tid, 0, uintptr(opts))
}

// ptraceInterrupt asks a seized thread to enter a PTRACE_EVENT_STOP.
func ptraceInterrupt(tid int) error { return ptraceReq(unix.PTRACE_INTERRUPT, tid, 0, 0) }

// ptraceDetach detaches from a stopped thread, delivering sig (0 for none).
func ptraceDetach(tid, sig int) error { return ptraceReq(unix.PTRACE_DETACH, tid, 0, uintptr(sig)) }

// ptraceEventMsg returns the message of the PTRACE_EVENT stop the thread is
// in: the new thread id for fork/vfork/clone, the former thread id for exec.
func ptraceEventMsg(tid int) (uint64, error) {
	var msg uint64
	err := ptraceReq(unix.PTRACE_GETEVENTMSG, tid, 0, uintptr(unsafe.Pointer(&msg)))
	return msg, err
}

// siginfo is the raw kernel siginfo_t (128 bytes) of a signal-delivery-stop.
type siginfo [128]byte

// ptraceSiginfo returns the siginfo of the signal a thread is stopped for.
func ptraceSiginfo(tid int) (siginfo, error) {
	var si siginfo
	err := ptraceReq(unix.PTRACE_GETSIGINFO, tid, 0, uintptr(unsafe.Pointer(&si)))
	return si, err
}

// syscallInfo is struct ptrace_syscall_info (Linux 5.3+), filled by
// PTRACE_GET_SYSCALL_INFO. Its meaning depends on Op:
//   - PTRACE_SYSCALL_INFO_ENTRY and _SECCOMP: Data[0] is the system call
//     number, Data[1:7] its six arguments;
//   - PTRACE_SYSCALL_INFO_EXIT: Data[0] is the return value (negative errno
//     on error) and the low byte of Data[1] is is_error.
type syscallInfo struct {
	Op   uint8
	_    [3]uint8
	Arch uint32
	IP   uint64
	SP   uint64
	Data [8]uint64
}

// ptraceSyscallInfo fills info for a stopped thread. It fails with EIO on
// kernels that do not know PTRACE_GET_SYSCALL_INFO.
func ptraceSyscallInfo(tid int, info *syscallInfo) error {
	return ptraceReq(unix.PTRACE_GET_SYSCALL_INFO, tid, unsafe.Sizeof(*info), uintptr(unsafe.Pointer(info)))
}
