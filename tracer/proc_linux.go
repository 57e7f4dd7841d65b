//go:build linux && (amd64 || arm64)

package tracer

import (
	"bytes"
	"os"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

var pageSize = uint64(os.Getpagesize())

// procPath returns "/proc/<id>/<name>".
func procPath(id int, name string) string {
	return "/proc/" + strconv.Itoa(id) + "/" + name
}

// readMem reads up to len(buf) bytes of thread tid's memory at addr into
// buf and returns how many it read (a prefix; 0 if addr is unreadable). It
// tries process_vm_readv first (one system call), then PTRACE_PEEKDATA for
// what is left, which also reads pages without PROT_READ. PEEKDATA needs
// the caller to be on the tracer thread with tid stopped.
func readMem(tid int, addr uint64, buf []byte) int {
	if len(buf) == 0 {
		return 0
	}
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
	n, err := unix.ProcessVMReadv(tid, local, remote, 0)
	if err != nil || n < 0 {
		n = 0
	}
	if n == len(buf) {
		return n
	}
	m, _ := unix.PtracePeekData(tid, uintptr(addr)+uintptr(n), buf[n:])
	return n + m
}

// readWord reads one 64-bit word of tid's memory at addr.
func readWord(tid int, addr uint64) (uint64, bool) {
	var w uint64
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&w)), 8)
	return w, readMem(tid, addr, buf) == 8
}

// readCString reads the NUL-terminated string at addr in tid's memory,
// at most max bytes of it. It returns the bytes, whether the string went on
// past max (truncated), and ok=false if nothing at all could be read. It
// reads page by page so that a string ending just before an unmapped page
// is still read whole.
func readCString(tid int, addr uint64, max int) (s []byte, truncated, ok bool) {
	var chunk [512]byte
	for len(s) < max {
		n := int(pageSize - addr%pageSize)
		n = min(n, len(chunk), max-len(s))
		got := readMem(tid, addr, chunk[:n])
		if i := bytes.IndexByte(chunk[:got], 0); i >= 0 {
			return append(s, chunk[:i]...), false, true
		}
		s = append(s, chunk[:got]...)
		if got < n {
			return s, false, len(s) > 0
		}
		addr += uint64(got)
	}
	return s, true, true
}

// fdPath returns what /proc/<tid>/fd/<fd> points to ("/usr/lib/libc.so.6",
// "socket:[1234]", "/memfd:x (deleted)"), or "" if it cannot be read.
func fdPath(tid int, fd int) string {
	var buf [4096]byte
	n, err := unix.Readlink("/proc/"+strconv.Itoa(tid)+"/fd/"+strconv.Itoa(fd), buf[:])
	if err != nil || n <= 0 {
		return ""
	}
	return string(buf[:n])
}

// readMaps returns the text of /proc/<tid>/maps (the address space of tid's
// thread group), or an error.
func readMaps(tid int) ([]byte, error) {
	return os.ReadFile(procPath(tid, "maps"))
}

// statusField returns the value of field name ("Tgid", "SigCgt") of
// /proc/<tid>/status, trimmed, or "" if it cannot be read.
func statusField(tid int, name string) string {
	data, err := os.ReadFile(procPath(tid, "status"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// procTgid returns the thread group id of thread tid, or 0 if unknown.
func procTgid(tid int) int {
	n, _ := strconv.Atoi(statusField(tid, "Tgid"))
	return n
}

// listTasks returns the thread ids of process pid, sorted (leader first).
func listTasks(pid int) ([]int, error) {
	ents, err := os.ReadDir(procPath(pid, "task"))
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, n)
		}
	}
	sort.Ints(tids)
	if i := sort.SearchInts(tids, pid); i < len(tids) && tids[i] == pid && i != 0 {
		tids[0], tids[i] = tids[i], tids[0]
	}
	return tids, nil
}

// procCmdline returns the argv of process pid from /proc/<pid>/cmdline.
func procCmdline(pid int) []string {
	data, err := os.ReadFile(procPath(pid, "cmdline"))
	if err != nil || len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
}

// signalIsFatal reports whether delivering sig to thread tid will kill its
// process: the signal's default action terminates, and the process neither
// catches nor ignores it (/proc/<tid>/status SigCgt and SigIgn).
func signalIsFatal(tid, sig int) bool {
	switch unix.Signal(sig) {
	case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH, unix.SIGCONT,
		unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		return false
	}
	if sig == int(unix.SIGKILL) {
		return true
	}
	bit := uint64(1) << (sig - 1)
	for _, field := range []string{"SigCgt", "SigIgn"} {
		mask, err := strconv.ParseUint(statusField(tid, field), 16, 64)
		if err != nil || mask&bit != 0 {
			return false
		}
	}
	return true
}

// signalPending reports whether sig is pending for thread tid, for the
// thread or its process (/proc/<tid>/status SigPnd and ShdPnd).
func signalPending(tid, sig int) bool {
	bit := uint64(1) << (sig - 1)
	for _, field := range []string{"SigPnd", "ShdPnd"} {
		if mask, err := strconv.ParseUint(statusField(tid, field), 16, 64); err == nil && mask&bit != 0 {
			return true
		}
	}
	return false
}

// aslrOff reports whether process pid runs without address randomization:
// its personality has ADDR_NO_RANDOMIZE or the system's randomize_va_space
// is 0.
func aslrOff(pid int) bool {
	if data, err := os.ReadFile("/proc/sys/kernel/randomize_va_space"); err == nil &&
		strings.TrimSpace(string(data)) == "0" {
		return true
	}
	data, err := os.ReadFile(procPath(pid, "personality"))
	if err != nil {
		return false
	}
	p, err := strconv.ParseUint(strings.TrimSpace(string(data)), 16, 64)
	return err == nil && p&addrNoRandom != 0
}

// ptraceScope returns the content of /proc/sys/kernel/yama/ptrace_scope,
// or "" if Yama is not present.
func ptraceScope() string {
	data, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}
