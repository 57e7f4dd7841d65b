//go:build linux && amd64

package tracer

import "golang.org/x/sys/unix"

// archName is the value of the trace's @arch directive.
const archName = "x86_64"

// auditArch is the seccomp_data.arch of native system calls; calls made
// with another ABI (i386 int 0x80) are let through untraced by the filter.
const auditArch = unix.AUDIT_ARCH_X86_64

// x32Bit marks x32-ABI system call numbers on x86-64; the filter lets them
// through untraced (their numbers would be misread as native ones).
const x32Bit = 0x40000000

// archSyscalls lists the traced system calls of this architecture by name
// (the names of syscallTable) and number.
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
	"arch_prctl":       unix.SYS_ARCH_PRCTL,
	"shmat":            unix.SYS_SHMAT,
	"shmdt":            unix.SYS_SHMDT,
	"setrlimit":        unix.SYS_SETRLIMIT,
	"prlimit64":        unix.SYS_PRLIMIT64,
	"fork":             unix.SYS_FORK,
	"vfork":            unix.SYS_VFORK,
	"clone":            unix.SYS_CLONE,
	"clone3":           unix.SYS_CLONE3,
	"execve":           unix.SYS_EXECVE,
	"execveat":         unix.SYS_EXECVEAT,
	"exit":             unix.SYS_EXIT,
	"exit_group":       unix.SYS_EXIT_GROUP,
}

// cloneArgChildTid and cloneArgTLS are the argument positions of clone's
// child_tidptr and tls: x86-64 passes (flags, stack, parent_tid, child_tid, tls).
const (
	cloneArgChildTid = 3
	cloneArgTLS      = 4
)

// haveRegsFallback reports whether regsEntry/regsResult work, for kernels
// without PTRACE_GET_SYSCALL_INFO (before 5.3).
const haveRegsFallback = true

// regsEntry reads the system call number and arguments of a tracee stopped
// at a seccomp stop or syscall-entry stop from its registers (orig_rax and
// the syscall argument registers).
func regsEntry(tid int) (nr uint64, args [6]uint64, err error) {
	var r unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &r); err != nil {
		return 0, args, err
	}
	return r.Orig_rax, [6]uint64{r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9}, nil
}

// regsResult reads the return value of a tracee stopped at a syscall-exit
// stop (rax), and whether it looks like a syscall-entry stop instead (rax
// is -ENOSYS on entry).
func regsResult(tid int) (rval int64, entryLike bool, err error) {
	var r unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &r); err != nil {
		return 0, false, err
	}
	return int64(r.Rax), int64(r.Rax) == -int64(unix.ENOSYS), nil
}
