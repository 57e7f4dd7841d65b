//go:build linux && arm64

package tracer

import (
	"errors"

	"golang.org/x/sys/unix"
)

// archName is the value of the trace's @arch directive.
const archName = "aarch64"

// auditArch is the seccomp_data.arch of native system calls; calls made
// with another ABI (AArch32 compat) are let through untraced by the filter.
const auditArch = unix.AUDIT_ARCH_AARCH64

// x32Bit is zero: arm64 has no x32-like ABI sharing the native arch value.
const x32Bit = 0

// archSyscalls lists the traced system calls of this architecture by name
// (the names of syscallTable) and number. arm64 has no fork, vfork or
// arch_prctl (glibc forks with clone).
var archSyscalls = map[string]int{
	"mmap":             unix.SYS_MMAP,
	"munmap":           unix.SYS_MUNMAP,
	"mprotect":         unix.SYS_MPROTECT,
	"mremap":           unix.SYS_MREMAP,
	"brk":              unix.SYS_BRK,
	"madvise":          unix.SYS_MADVISE,
	"mlock":            unix.SYS_MLOCK,
	"mlock2":           unix.SYS_MLOCK2,
	"munlock":          unix.SYS_MUNLOCK,
	"mlockall":         unix.SYS_MLOCKALL,
	"munlockall":       unix.SYS_MUNLOCKALL,
	"msync":            unix.SYS_MSYNC,
	"mincore":          unix.SYS_MINCORE,
	"pkey_mprotect":    unix.SYS_PKEY_MPROTECT,
	"pkey_alloc":       unix.SYS_PKEY_ALLOC,
	"pkey_free":        unix.SYS_PKEY_FREE,
	"mbind":            unix.SYS_MBIND,
	"mseal":            unix.SYS_MSEAL,
	"map_shadow_stack": unix.SYS_MAP_SHADOW_STACK,
	"remap_file_pages": unix.SYS_REMAP_FILE_PAGES,
	"prctl":            unix.SYS_PRCTL,
	"shmat":            unix.SYS_SHMAT,
	"shmdt":            unix.SYS_SHMDT,
	"setrlimit":        unix.SYS_SETRLIMIT,
	"prlimit64":        unix.SYS_PRLIMIT64,
	"clone":            unix.SYS_CLONE,
	"clone3":           unix.SYS_CLONE3,
	"execve":           unix.SYS_EXECVE,
	"execveat":         unix.SYS_EXECVEAT,
	"exit":             unix.SYS_EXIT,
	"exit_group":       unix.SYS_EXIT_GROUP,
}

// cloneArgChildTid and cloneArgTLS are the argument positions of clone's
// child_tidptr and tls: arm64 is CLONE_BACKWARDS, (flags, stack, parent_tid,
// tls, child_tid).
const (
	cloneArgChildTid = 4
	cloneArgTLS      = 3
)

// haveRegsFallback is false: on arm64 the tracer needs
// PTRACE_GET_SYSCALL_INFO (Linux 5.3), because user_pt_regs has no orig_x0.
const haveRegsFallback = false

// errRegsUnavailable is the error of the register fallback on arm64.
var errRegsUnavailable = errors.New("no register fallback on arm64: PTRACE_GET_SYSCALL_INFO (Linux 5.3) is needed")

// regsEntry is unavailable on arm64; it always fails.
func regsEntry(tid int) (nr uint64, args [6]uint64, err error) {
	return 0, args, errRegsUnavailable
}

// regsResult is unavailable on arm64; it always fails.
func regsResult(tid int) (rval int64, entryLike bool, err error) {
	return 0, false, errRegsUnavailable
}
