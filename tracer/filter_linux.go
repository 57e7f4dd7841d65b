//go:build linux && (amd64 || arm64)

package tracer

import (
	"sort"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Offsets into struct seccomp_data, which the filter reads.
const (
	seccompDataNr   = 0
	seccompDataArch = 4
)

// tracedNumbers returns the sorted numbers of the system calls the tracer
// records on this architecture.
func tracedNumbers() []int {
	nrs := make([]int, 0, len(archSyscalls))
	for _, nr := range archSyscalls {
		nrs = append(nrs, nr)
	}
	sort.Ints(nrs)
	return nrs
}

// buildFilter returns the classic-BPF seccomp program installed in the
// launched command: SECCOMP_RET_TRACE for every number in nrs made through
// the native ABI (arch == auditArch, and not an x32 number on x86-64),
// SECCOMP_RET_ALLOW for everything else. It is a linear chain of compares,
// at most len(nrs)+6 instructions, well within the kernel's limits.
func buildFilter(nrs []int) []unix.SockFilter {
	stmt := func(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }
	jump := func(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
		return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
	}
	const (
		ldAbs  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq    = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jge    = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		retK   = unix.BPF_RET | unix.BPF_K
		header = 3 // load arch, compare, load nr
	)
	n := header + len(nrs) + 2
	if x32Bit != 0 {
		n++
	}
	allow, trace := n-2, n-1
	prog := make([]unix.SockFilter, 0, n)
	// to returns the jump offset from the instruction about to be appended
	// to the instruction at index target.
	to := func(target int) uint8 { return uint8(target - len(prog) - 1) }
	prog = append(prog, stmt(ldAbs, seccompDataArch))
	prog = append(prog, jump(jeq, auditArch, 0, to(allow)))
	prog = append(prog, stmt(ldAbs, seccompDataNr))
	if x32Bit != 0 {
		prog = append(prog, jump(jge, x32Bit, to(allow), 0))
	}
	for _, nr := range nrs {
		prog = append(prog, jump(jeq, uint32(nr), to(trace), 0))
	}
	prog = append(prog, stmt(retK, unix.SECCOMP_RET_ALLOW))
	prog = append(prog, stmt(retK, unix.SECCOMP_RET_TRACE))
	return prog
}

// installFilter installs prog as a seccomp filter on the calling thread only
// (no TSYNC): the thread that will call execve. The caller must have set
// PR_SET_NO_NEW_PRIVS (or hold CAP_SYS_ADMIN). It makes no Go allocation and
// no traced system call, so it is safe right before the exec handshake.
func installFilter(prog []unix.SockFilter) unix.Errno {
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, e := unix.RawSyscall(unix.SYS_PRCTL, unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER,
		uintptr(unsafe.Pointer(&fprog)))
	return e
}
