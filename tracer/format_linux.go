//go:build linux && (amd64 || arm64)

package tracer

import (
	"encoding/binary"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Numbers are written as `strace -X raw` writes them: flags, protections
// and addresses in hex (0 as "0", a null pointer as NULL), lengths and ids
// in decimal, fds of mmap as `3</path>` read from /proc at the stop (-yy).

// maxString bounds the bytes read of one string argument; longer strings
// end with strace's truncation marker `"..."...`.
const maxString = 4096

// maxArgv bounds the elements of an argv array printed in full.
const maxArgv = 4096

// callKind tells the tracer what a traced call does beyond being printed.
type callKind uint8

const (
	kindPlain     callKind = iota // printed at its syscall-exit stop
	kindFork                      // fork, vfork, clone, clone3: printed at the fork event
	kindExec                      // execve, execveat: printed at the exec event
	kindExit                      // exit: printed at entry as "= ?"
	kindExitGroup                 // exit_group: @maps, then printed at entry as "= ?"
)

// sysDesc describes how one traced system call is printed.
type sysDesc struct {
	name      string
	kind      callKind
	hexResult bool // the result is an address (mmap, mremap, shmat, brk...)
	// serial: the call changes the address space (or copies or replaces
	// it), so the tracer lets only one such call per thread group run at a
	// time, to print them in the order the kernel applies them.
	serial bool
	// spec gives the kind of each argument, one letter each:
	//	p pointer   x hex   d unsigned decimal   i int (decimal)
	//	f fd of the tracee, printed with its path (N</path>)
	//	s string    R struct rlimit, read at entry
	spec string
	// special, if set, formats the arguments instead of spec. It may fill
	// fields of the pending call (clone flags).
	special func(w *argWriter, a *[6]uint64, c *pendingCall)
	// atExit, if set, appends arguments known only at the syscall-exit
	// stop (an output struct) after the ones printed at entry.
	atExit func(w *argWriter, a *[6]uint64, rval int64)
}

// syscallDescs are the traced calls, by name. archSyscalls maps the names
// to this architecture's numbers; names absent there are not traced here.
var syscallDescs = []*sysDesc{
	{name: "mmap", serial: true, hexResult: true, spec: "pdxxfx"},
	{name: "munmap", serial: true, spec: "pd"},
	{name: "mprotect", serial: true, spec: "pdx"},
	{name: "mremap", serial: true, hexResult: true, special: fmtMremap},
	{name: "brk", serial: true, hexResult: true, spec: "p"},
	{name: "madvise", serial: true, spec: "pdx"},
	{name: "mlock", serial: true, spec: "pd"},
	{name: "mlock2", serial: true, spec: "pdx"},
	{name: "munlock", serial: true, spec: "pd"},
	{name: "mlockall", serial: true, spec: "x"},
	{name: "munlockall", serial: true, spec: ""},
	{name: "msync", spec: "pdx"},
	{name: "mincore", spec: "pdp"},
	{name: "pkey_mprotect", serial: true, spec: "pdxi"},
	{name: "pkey_alloc", spec: "xx"},
	{name: "pkey_free", spec: "i"},
	{name: "mbind", serial: true, spec: "pdxpdx"},
	{name: "mseal", serial: true, spec: "pdx"},
	{name: "map_shadow_stack", serial: true, hexResult: true, spec: "pdx"},
	{name: "remap_file_pages", serial: true, spec: "pdxdx"},
	{name: "prctl", serial: true, special: fmtPrctl},
	{name: "arch_prctl", spec: "xp"},
	{name: "shmat", serial: true, hexResult: true, spec: "ipx"},
	{name: "shmdt", serial: true, spec: "p"},
	{name: "setrlimit", spec: "xR"},
	{name: "prlimit64", spec: "ixR", atExit: fmtPrlimitOld},
	{name: "fork", serial: true, kind: kindFork, special: fmtFork},
	{name: "vfork", serial: true, kind: kindFork, special: fmtFork},
	{name: "clone", serial: true, kind: kindFork, special: fmtClone},
	{name: "clone3", serial: true, kind: kindFork, special: fmtClone3},
	{name: "execve", serial: true, kind: kindExec, special: fmtExecve},
	{name: "execveat", serial: true, kind: kindExec, special: fmtExecveat},
	{name: "exit", kind: kindExit, spec: "i"},
	{name: "exit_group", kind: kindExitGroup, spec: "i"},
}

// syscallTable maps this architecture's system call numbers to their
// descriptions; nil for calls that are not traced.
var syscallTable = buildSyscallTable()

// buildSyscallTable indexes syscallDescs by this architecture's numbers.
func buildSyscallTable() []*sysDesc {
	maxNr := 0
	for _, nr := range archSyscalls {
		maxNr = max(maxNr, nr)
	}
	table := make([]*sysDesc, maxNr+1)
	for _, d := range syscallDescs {
		if nr, ok := archSyscalls[d.name]; ok {
			table[nr] = d
		}
	}
	return table
}

// lookupSyscall returns the description of system call nr, or nil if it is
// not traced.
func lookupSyscall(nr uint64) *sysDesc {
	if nr < uint64(len(syscallTable)) {
		return syscallTable[nr]
	}
	return nil
}

// argWriter accumulates the comma-separated argument list of one call,
// reading strings, structs and fd paths from thread tid (stopped).
type argWriter struct {
	tid int
	b   []byte
	n   int // arguments written so far
}

// sep starts a new argument.
func (w *argWriter) sep() {
	if w.n > 0 {
		w.b = append(w.b, ", "...)
	}
	w.n++
}

// appendHex appends v as strace -X raw writes a flag word: 0 or 0x....
func appendHex(b []byte, v uint64) []byte {
	if v == 0 {
		return append(b, '0')
	}
	b = append(b, "0x"...)
	return strconv.AppendUint(b, v, 16)
}

// appendPtr appends an address: NULL or 0x....
func appendPtr(b []byte, v uint64) []byte {
	if v == 0 {
		return append(b, "NULL"...)
	}
	b = append(b, "0x"...)
	return strconv.AppendUint(b, v, 16)
}

// hex writes a hex argument.
func (w *argWriter) hex(v uint64) { w.sep(); w.b = appendHex(w.b, v) }

// ptr writes a pointer argument.
func (w *argWriter) ptr(v uint64) { w.sep(); w.b = appendPtr(w.b, v) }

// dec writes an unsigned decimal argument (a length).
func (w *argWriter) dec(v uint64) { w.sep(); w.b = strconv.AppendUint(w.b, v, 10) }

// int writes a C int argument (the low 32 bits, signed).
func (w *argWriter) int(v uint64) { w.sep(); w.b = strconv.AppendInt(w.b, int64(int32(v)), 10) }

// named writes the start of a named argument, "name=".
func (w *argWriter) named(name string) {
	w.sep()
	w.b = append(w.b, name...)
	w.b = append(w.b, '=')
}

// fd writes a file descriptor: negative ones (-1, AT_FDCWD) in decimal,
// others as N</path> with the path /proc shows for it now, or N alone if
// it has none.
func (w *argWriter) fd(v uint64) {
	w.sep()
	fd := int(int32(v))
	w.b = strconv.AppendInt(w.b, int64(fd), 10)
	if fd < 0 {
		return
	}
	if p := fdPath(w.tid, fd); p != "" {
		w.b = append(w.b, '<')
		w.b = appendPathEscaped(w.b, p)
		w.b = append(w.b, '>')
	}
}

// str writes the string at address v: quoted, NULL, or the bare address
// if it cannot be read.
func (w *argWriter) str(v uint64) {
	w.sep()
	w.appendStr(v)
}

// appendStr appends the string at address v without starting an argument.
func (w *argWriter) appendStr(v uint64) {
	if v == 0 {
		w.b = append(w.b, "NULL"...)
		return
	}
	s, trunc, ok := readCString(w.tid, v, maxString)
	if !ok {
		w.b = appendPtr(w.b, v)
		return
	}
	w.b = appendQuoted(w.b, s)
	if trunc {
		w.b = append(w.b, "..."...)
	}
}

// rlimit writes the struct rlimit at address v, or the address if it
// cannot be read.
func (w *argWriter) rlimit(v uint64) {
	w.sep()
	cur, ok1 := readWord(w.tid, v)
	maxv, ok2 := readWord(w.tid, v+8)
	if v == 0 || !ok1 || !ok2 {
		w.b = appendPtr(w.b, v)
		return
	}
	w.b = append(w.b, "{rlim_cur="...)
	w.b = strconv.AppendUint(w.b, cur, 10)
	w.b = append(w.b, ", rlim_max="...)
	w.b = strconv.AppendUint(w.b, maxv, 10)
	w.b = append(w.b, '}')
}

// spec writes arguments by the letters of spec (see sysDesc.spec).
func (w *argWriter) spec(spec string, a *[6]uint64) {
	for i := 0; i < len(spec); i++ {
		v := a[i]
		switch spec[i] {
		case 'p':
			w.ptr(v)
		case 'x':
			w.hex(v)
		case 'd':
			w.dec(v)
		case 'i':
			w.int(v)
		case 'f':
			w.fd(v)
		case 's':
			w.str(v)
		case 'R':
			w.rlimit(v)
		}
	}
}

// appendQuoted appends s as a C string literal: printable ASCII as is,
// \" \\ \n \t \r \v \f, anything else as a 3-digit octal escape (never
// ambiguous with a following digit).
func appendQuoted(b []byte, s []byte) []byte {
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\v':
			b = append(b, '\\', 'v')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				b = append(b, '\\', '0'+c>>6, '0'+(c>>3)&7, '0'+c&7)
			}
		}
	}
	return append(b, '"')
}

// appendPathEscaped appends a path for the inside of `<...>`: bytes as
// /proc/PID/maps shows them, except control characters, '<', '>' and '\'
// as 3-digit octal escapes (so the closing '>' is always the path's end;
// a newline becomes \012 exactly as in maps).
func appendPathEscaped(b []byte, p string) []byte {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '\\' {
			b = append(b, '\\', '0'+c>>6, '0'+(c>>3)&7, '0'+c&7)
		} else {
			b = append(b, c)
		}
	}
	return b
}

// fmtMremap: mremap(old, old_len, new_len, flags[, new_addr]); the new
// address only with MREMAP_FIXED, as strace does.
func fmtMremap(w *argWriter, a *[6]uint64, _ *pendingCall) {
	w.spec("pddx", a)
	if a[3]&unix.MREMAP_FIXED != 0 {
		w.ptr(a[4])
	}
}

// fmtPrctl: prctl(option, arg2, arg3, arg4, arg5) in hex, except
// PR_SET_VMA: prctl(0x53564d41, attr, addr, len, "name").
func fmtPrctl(w *argWriter, a *[6]uint64, _ *pendingCall) {
	if a[0] == unix.PR_SET_VMA {
		w.hex(a[0])
		w.hex(a[1])
		w.ptr(a[2])
		w.dec(a[3])
		w.str(a[4])
		return
	}
	w.spec("xxxxx", a)
}

// fmtPrlimitOld appends prlimit64's old_limit: the struct it received if
// the call succeeded, else the pointer.
func fmtPrlimitOld(w *argWriter, a *[6]uint64, rval int64) {
	if rval == 0 && a[3] != 0 {
		w.rlimit(a[3])
		return
	}
	w.ptr(a[3])
}

// fmtFork: fork() and vfork() take no arguments; the clone flags they imply
// are recorded for the tracer.
func fmtFork(w *argWriter, a *[6]uint64, c *pendingCall) {
	c.cloneFlags = uint64(unix.SIGCHLD)
	if c.desc.name == "vfork" {
		c.cloneFlags |= unix.CLONE_VM | unix.CLONE_VFORK
	}
}

// fmtClone: clone(child_stack=..., flags=...[, parent_tid=...][,
// child_tidptr=...][, tls=...]), the optional ones when the flags use them.
func fmtClone(w *argWriter, a *[6]uint64, c *pendingCall) {
	flags := a[0]
	c.cloneFlags = flags
	w.named("child_stack")
	w.b = appendPtr(w.b, a[1])
	w.named("flags")
	w.b = appendHex(w.b, flags)
	if flags&unix.CLONE_PARENT_SETTID != 0 {
		w.named("parent_tid")
		w.b = appendPtr(w.b, a[2])
	}
	if flags&(unix.CLONE_CHILD_SETTID|unix.CLONE_CHILD_CLEARTID) != 0 {
		w.named("child_tidptr")
		w.b = appendPtr(w.b, a[cloneArgChildTid])
	}
	if flags&unix.CLONE_SETTLS != 0 {
		w.named("tls")
		w.b = appendPtr(w.b, a[cloneArgTLS])
	}
}

// fmtClone3: clone3({flags=..., ...}, size), the struct clone_args read
// from the tracee.
func fmtClone3(w *argWriter, a *[6]uint64, c *pendingCall) {
	var raw [88]byte
	size := a[1]
	n := int(min(size, uint64(len(raw))))
	if a[0] == 0 || n < 8 || readMem(w.tid, a[0], raw[:n]) != n {
		w.ptr(a[0])
		w.dec(size)
		return
	}
	field := func(i int) uint64 {
		if 8*i+8 > n {
			return 0
		}
		return binary.NativeEndian.Uint64(raw[8*i:])
	}
	flags := field(0)
	c.cloneFlags = flags | field(4)&0xff // exit_signal in the low byte, as clone has it
	w.sep()
	s := &argWriter{tid: w.tid, b: append(w.b, '{')}
	s.named("flags")
	s.b = appendHex(s.b, flags)
	if flags&unix.CLONE_PIDFD != 0 {
		s.named("pidfd")
		s.b = appendPtr(s.b, field(1))
	}
	if flags&(unix.CLONE_CHILD_SETTID|unix.CLONE_CHILD_CLEARTID) != 0 {
		s.named("child_tid")
		s.b = appendPtr(s.b, field(2))
	}
	if flags&unix.CLONE_PARENT_SETTID != 0 {
		s.named("parent_tid")
		s.b = appendPtr(s.b, field(3))
	}
	s.named("exit_signal")
	s.b = strconv.AppendUint(s.b, field(4), 10)
	s.named("stack")
	s.b = appendPtr(s.b, field(5))
	s.named("stack_size")
	s.b = appendHex(s.b, field(6))
	if flags&unix.CLONE_SETTLS != 0 {
		s.named("tls")
		s.b = appendPtr(s.b, field(7))
	}
	if field(9) != 0 {
		s.named("set_tid")
		s.b = appendPtr(s.b, field(8))
		s.named("set_tid_size")
		s.b = strconv.AppendUint(s.b, field(9), 10)
	}
	if flags&unix.CLONE_INTO_CGROUP != 0 {
		s.named("cgroup")
		s.b = strconv.AppendUint(s.b, field(10), 10)
	}
	w.b = append(s.b, '}')
	w.dec(size)
}

// fmtExecve: execve("path", ["argv0", ...], 0x... /* N vars */).
func fmtExecve(w *argWriter, a *[6]uint64, _ *pendingCall) {
	w.str(a[0])
	w.argv(a[1])
	w.envp(a[2])
}

// fmtExecveat: execveat(dirfd, "path", [argv], 0x... /* N vars */, flags).
func fmtExecveat(w *argWriter, a *[6]uint64, _ *pendingCall) {
	w.fd(a[0])
	w.str(a[1])
	w.argv(a[2])
	w.envp(a[3])
	w.hex(a[4])
}

// argv writes a NULL-terminated array of strings: ["a", "b"], NULL, or the
// address if it cannot be read; "..." ends an array cut short.
func (w *argWriter) argv(v uint64) {
	w.sep()
	if v == 0 {
		w.b = append(w.b, "NULL"...)
		return
	}
	first, ok := readWord(w.tid, v)
	if !ok {
		w.b = appendPtr(w.b, v)
		return
	}
	w.b = append(w.b, '[')
	p := first
	for i := 0; p != 0; i++ {
		if i > 0 {
			w.b = append(w.b, ", "...)
		}
		if i == maxArgv {
			w.b = append(w.b, "..."...)
			break
		}
		w.appendStr(p)
		if p, ok = readWord(w.tid, v+8*uint64(i+1)); !ok {
			w.b = append(w.b, ", ..."...)
			break
		}
	}
	w.b = append(w.b, ']')
}

// envp writes an environment array as strace does by default: its address
// and a comment with the number of variables.
func (w *argWriter) envp(v uint64) {
	w.sep()
	w.b = appendPtr(w.b, v)
	if v == 0 {
		return
	}
	n := 0
	for ; n < 1<<20; n++ {
		p, ok := readWord(w.tid, v+8*uint64(n))
		if !ok || p == 0 {
			break
		}
	}
	w.b = append(w.b, " /* "...)
	w.b = strconv.AppendInt(w.b, int64(n), 10)
	w.b = append(w.b, " vars */"...)
}

// formatResult returns the text after "= " for a call that returned rval:
// the value (hex for address-returning calls), or "-1 ENAME (Message)" for
// an error, or strace's "? ERESTART..." form for a call interrupted by a
// signal.
func formatResult(d *sysDesc, rval int64) string {
	if rval < 0 && rval >= -4095 {
		return errnoResult(-rval)
	}
	if d.hexResult {
		return string(appendHex(nil, uint64(rval)))
	}
	return strconv.FormatInt(rval, 10)
}

// errnoResult returns the result text of a call that failed with errno e.
func errnoResult(e int64) string {
	switch e {
	case 512:
		return "? ERESTARTSYS (To be restarted if SA_RESTART is set)"
	case 513:
		return "? ERESTARTNOINTR (To be restarted)"
	case 514:
		return "? ERESTARTNOHAND (To be restarted if no handler)"
	case 516:
		return "? ERESTART_RESTARTBLOCK (Interrupted by signal)"
	}
	errno := syscall.Errno(e)
	name := unix.ErrnoName(errno)
	if name == "" {
		n := strconv.FormatInt(e, 10)
		return "-1 ERRNO_" + n + " (Unknown error " + n + ")"
	}
	msg := errno.Error()
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
		msg = string(msg[0]-'a'+'A') + msg[1:]
	}
	return "-1 " + name + " (" + msg + ")"
}

// sigName returns a signal's name as strace writes it: SIGSEGV, SIGRTMIN
// for 32, SIGRT_n for 32+n.
func sigName(sig int) string {
	if s := unix.SignalName(syscall.Signal(sig)); s != "" {
		return s
	}
	switch {
	case sig == 32:
		return "SIGRTMIN"
	case sig > 32:
		return "SIGRT_" + strconv.Itoa(sig-32)
	}
	return strconv.Itoa(sig)
}

// siCodeName returns the name of si_code for signal sig (SEGV_MAPERR,
// SI_USER, ...), or the number in hex if it has none.
func siCodeName(sig int, code int32) string {
	switch code {
	case 0:
		return "SI_USER"
	case 0x80:
		return "SI_KERNEL"
	case -1:
		return "SI_QUEUE"
	case -2:
		return "SI_TIMER"
	case -3:
		return "SI_MESGQ"
	case -4:
		return "SI_ASYNCIO"
	case -5:
		return "SI_SIGIO"
	case -6:
		return "SI_TKILL"
	case -7:
		return "SI_DETHREAD"
	case -60:
		return "SI_ASYNCNL"
	}
	var names []string
	switch syscall.Signal(sig) {
	case unix.SIGSEGV:
		names = []string{"SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR",
			"SEGV_ACCADI", "SEGV_ADIDERR", "SEGV_ADIPERR", "SEGV_MTEAERR", "SEGV_MTESERR", "SEGV_CPERR"}
	case unix.SIGBUS:
		names = []string{"BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"}
	case unix.SIGILL:
		names = []string{"ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP",
			"ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK"}
	case unix.SIGFPE:
		names = []string{"FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF",
			"FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB"}
	case unix.SIGTRAP:
		names = []string{"TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT"}
	case unix.SIGCHLD:
		names = []string{"CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"}
	case unix.SIGIO:
		names = []string{"POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP"}
	case unix.SIGSYS:
		names = []string{"SYS_SECCOMP"}
	}
	if code > 0 && int(code) <= len(names) {
		return names[code-1]
	}
	return string(appendHex(nil, uint64(uint32(code))))
}

// formatSignal returns the text of a signal line, `--- SIGSEGV
// {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---`, from the raw
// siginfo of the signal-delivery-stop.
func formatSignal(sig int, si *siginfo) string {
	u32 := func(off int) uint32 { return binary.NativeEndian.Uint32(si[off:]) }
	u64 := func(off int) uint64 { return binary.NativeEndian.Uint64(si[off:]) }
	code := int32(u32(8))
	name := sigName(sig)
	var b strings.Builder
	b.WriteString("--- ")
	b.WriteString(name)
	b.WriteString(" {si_signo=")
	b.WriteString(name)
	b.WriteString(", si_code=")
	b.WriteString(siCodeName(sig, code))
	fault := false
	switch syscall.Signal(sig) {
	case unix.SIGSEGV, unix.SIGBUS, unix.SIGILL, unix.SIGFPE, unix.SIGTRAP:
		fault = code > 0 || code == 0x80
	}
	switch {
	case fault:
		b.WriteString(", si_addr=0x")
		b.WriteString(strconv.FormatUint(u64(16), 16))
	case syscall.Signal(sig) == unix.SIGCHLD && code > 0:
		b.WriteString(", si_pid=" + strconv.Itoa(int(int32(u32(16)))))
		b.WriteString(", si_uid=" + strconv.FormatUint(uint64(u32(20)), 10))
		b.WriteString(", si_status=" + strconv.Itoa(int(int32(u32(24)))))
		b.WriteString(", si_utime=" + strconv.FormatInt(int64(u64(32)), 10))
		b.WriteString(", si_stime=" + strconv.FormatInt(int64(u64(40)), 10))
	case syscall.Signal(sig) == unix.SIGSYS && code == 1:
		b.WriteString(", si_call_addr=" + string(appendPtr(nil, u64(16))))
		b.WriteString(", si_syscall=" + strconv.Itoa(int(int32(u32(24)))))
		b.WriteString(", si_arch=" + string(appendHex(nil, uint64(u32(28)))))
	case code == 0 || code == -1 || code == -6: // SI_USER, SI_QUEUE, SI_TKILL
		b.WriteString(", si_pid=" + strconv.Itoa(int(int32(u32(16)))))
		b.WriteString(", si_uid=" + strconv.FormatUint(uint64(u32(20)), 10))
	}
	b.WriteString("} ---")
	return b.String()
}

// exitText returns the text of the line for a thread's end: "+++ exited
// with N +++" or "+++ killed by SIGX [(core dumped) ]+++".
func exitText(ws unix.WaitStatus) string {
	if ws.Exited() {
		return "+++ exited with " + strconv.Itoa(ws.ExitStatus()) + " +++"
	}
	s := "+++ killed by " + sigName(int(ws.Signal()))
	if ws.CoreDump() {
		s += " (core dumped)"
	}
	return s + " +++"
}

// shellQuote returns argv as a one-line shell command line, quoting words
// that need it, for the trace's header comment.
func shellQuote(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		switch {
		case a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "":
			words[i] = a
		case strings.ContainsFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			// Keep the header one line: a Go-quoted word.
			words[i] = "$" + strconv.Quote(a)
		default:
			words[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(words, " ")
}
