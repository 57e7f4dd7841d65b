//go:build linux && amd64 && !wasm

package vmengine

// TestKernelDiff is a differential test of the linux personality against the
// real kernel. A small freestanding C program (testdata/kerneldiff/child.c,
// built with gcc in a temporary directory) runs with ASLR off and an empty
// environment, executes memory-management system calls read from its stdin
// as raw syscalls and answers each with the raw result and its
// /proc/self/maps. The test loads the child's initial maps into the engine
// as the exec image, generates seeded random operations - mostly inside a
// fixed 64-page window at 0x200000000000 and just above the program break,
// plus non-fixed mmaps whose top-down address must match the kernel's - and
// after every operation compares the result (value or errno), the whole
// address space (start, end, permissions, file offset, path) and the
// engine's invariants. Among the operations are writes of a fresh value to
// a page and reads of one (touch and peek, with the signal if the access
// raises one), so what memory holds is compared too. The data file is
// zeroed at every start. When they differ, the kernel is right: the failure
// shows the operation, both results, the maps difference and the last
// operations as scenario lines (see scenario/SYNTAX.md), ready to become a
// testdata/linux/bug-*.scn reproducer.
//
// Knobs (environment): VMSCOPE_KDIFF_OPS (operations per seed, default
// 50000; 2000 with -short), VMSCOPE_KDIFF_SEED (one seed; by default seeds
// 1 to 4 run, seed 1 alone with -short), VMSCOPE_KDIFF_SKIP
// (comma-separated class prefixes not to generate, e.g.
// "madvise.MADV_COLD,mlock"), VMSCOPE_KDIFF_LOG (a file to receive the whole
// run as a scenario, with the exec image as an @image block) and
// VMSCOPE_KDIFF_MINIMIZE=N (on a difference, shrink the operations that led
// to it with up to N replays against fresh children, ddmin, and print the
// minimal sequence - usually 1 to 6 operations). While hunting for the next difference
// once one is known, VMSCOPE_KDIFF_IGNORE (comma-separated) hides a known
// one in the kernel's maps before they are compared: "devzero" shows shared
// anonymous memory without its "/dev/zero (deleted)" name; "split" compares
// both sides with adjacent look-alike rows coalesced (VMA boundaries that
// maps cannot tell apart are not compared: a weaker test).

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"vmscope/vmengine/scenario"
)

const (
	kdPage     = 4096
	kdWin      = 0x200000000000 // the window most operations stay in
	kdWinPages = 64
	kdTaskSize = 0x7ffffffff000
	kdFilePgs  = 16 // the data file's size in pages
	kdHeapPgs  = 40 // pages above the initial break the heap operations use
	kdMaxOut   = 12 // outside VMAs allowed before one is unmapped
)

// kdOp is one operation: a system call with its raw arguments.
type kdOp struct {
	call  string
	args  []uint64
	class string
}

// kdResult is a raw result rendered as strace would: "0x200000000000",
// "0", "-1 ENOMEM".
func kdResult(ret uint64, errno string) string {
	if errno != "" {
		return "-1 " + errno
	}
	if ret > 0xffff {
		return fmt.Sprintf("%#x", ret)
	}
	return strconv.FormatUint(ret, 10)
}

// kdKernelResult decodes a raw syscall return (value or -errno).
func kdKernelResult(r int64) (uint64, string) {
	if r < 0 && r >= -4095 {
		name := unix.ErrnoName(syscall.Errno(-r))
		if name == "ENOTSUP" {
			name = "EOPNOTSUPP" // the same number on Linux; strace prints this one
		}
		if name == "" {
			name = fmt.Sprintf("errno%d", -r)
		}
		return 0, name
	}
	return uint64(r), ""
}

// kdAccessResult renders the child's answer to touch or peek as the
// scenario prints it: the value read (0 for a write) or the signal.
func kdAccessResult(r int64) string {
	if r >= 0 {
		return strconv.FormatInt(r, 10)
	}
	signo, code := -r/1000, -r%1000
	names := map[[2]int64]string{{11, 1}: "SIGSEGV SEGV_MAPERR", {11, 2}: "SIGSEGV SEGV_ACCERR", {11, 4}: "SIGSEGV SEGV_PKUERR",
		{7, 2}: "SIGBUS BUS_ADRERR"}
	if n, ok := names[[2]int64{signo, code}]; ok {
		return n
	}
	return fmt.Sprintf("signal %d code %d", signo, code)
}

// kdEngineAccess performs touch or peek on the engine, rendered as
// kdAccessResult renders the kernel's.
func kdEngineAccess(s *kdSession, op kdOp) string {
	var v uint64
	var sig Signal
	if op.call == "touch" {
		sig = s.r.Eng.Touch(s.p, op.args[0], kdPage, AccessWrite, op.args[1])
	} else {
		v, sig = s.r.Eng.Peek(s.p, op.args[0])
	}
	if sig != SigNone {
		return sig.String()
	}
	return strconv.FormatUint(v, 10)
}

func kdBits(v uint64, names []struct {
	v uint64
	n string
}) []string {
	var parts []string
	for _, b := range names {
		if b.v != 0 && v&b.v == b.v {
			parts = append(parts, b.n)
			v &^= b.v
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return parts
}

type kdName = struct {
	v uint64
	n string
}

var kdProtNames = []kdName{{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}, {8, "PROT_SEM"},
	{0x01000000, "PROT_GROWSDOWN"}, {0x02000000, "PROT_GROWSUP"}}

var kdMapNames = []kdName{{0x10, "MAP_FIXED"}, {0x20, "MAP_ANONYMOUS"}, {0x40, "MAP_32BIT"},
	{0x100, "MAP_GROWSDOWN"}, {0x800, "MAP_DENYWRITE"}, {0x1000, "MAP_EXECUTABLE"}, {0x2000, "MAP_LOCKED"},
	{0x4000, "MAP_NORESERVE"}, {0x8000, "MAP_POPULATE"}, {0x10000, "MAP_NONBLOCK"}, {0x20000, "MAP_STACK"},
	{0x40000, "MAP_HUGETLB"}, {0x80000, "MAP_SYNC"}, {0x100000, "MAP_FIXED_NOREPLACE"}}

func kdProt(v uint64) string {
	if v == 0 {
		return "PROT_NONE"
	}
	return strings.Join(kdBits(v, kdProtNames), "|")
}

func kdMapFlags(v uint64) string {
	var parts []string
	switch v & 0xf {
	case 0:
	case 1:
		parts = append(parts, "MAP_SHARED")
	case 2:
		parts = append(parts, "MAP_PRIVATE")
	case 3:
		parts = append(parts, "MAP_SHARED_VALIDATE")
	default:
		parts = append(parts, fmt.Sprintf("%#x", v&0xf))
	}
	parts = append(parts, kdBits(v&^0xf, kdMapNames)...)
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// kdAdvice names madvise advice the way the personality resolves it.
func kdAdvice(v uint64) string {
	best := ""
	for name, c := range linuxConsts {
		if strings.HasPrefix(name, "MADV_") && c == v && (best == "" || name < best) {
			best = name
		}
	}
	if best == "" {
		return strconv.FormatUint(v, 10)
	}
	return best
}

func kdNum(v uint64) string {
	if v == ^uint64(0) {
		return "-1"
	}
	if v < 1<<20 {
		return strconv.FormatUint(v, 10)
	}
	return fmt.Sprintf("%#x", v)
}

func kdAddr(v uint64) string {
	if v == 0 {
		return "NULL"
	}
	return fmt.Sprintf("%#x", v)
}

// scenario renders op as a scenario line (without the result).
func (op kdOp) scenario(filePath string) string {
	a := op.args
	var s []string
	switch op.call {
	case "mmap":
		fd := "-1"
		if a[4] != ^uint64(0) {
			fd = strconv.FormatUint(a[4], 10)
			if (a[4] == 3 || a[4] == 4) && filePath != "" {
				fd += "<" + filePath + ">"
			}
		}
		s = []string{kdAddr(a[0]), kdNum(a[1]), kdProt(a[2]), kdMapFlags(a[3]), fd, kdNum(a[5])}
	case "mprotect":
		s = []string{kdAddr(a[0]), kdNum(a[1]), kdProt(a[2])}
	case "madvise":
		s = []string{kdAddr(a[0]), kdNum(a[1]), kdAdvice(a[2])}
	case "mremap":
		fl := strings.Join(kdBits(a[3], []kdName{{1, "MREMAP_MAYMOVE"}, {2, "MREMAP_FIXED"}, {4, "MREMAP_DONTUNMAP"}}), "|")
		if fl == "" {
			fl = "0"
		}
		s = []string{kdAddr(a[0]), kdNum(a[1]), kdNum(a[2]), fl, kdAddr(a[4])}
	case "mlock2":
		fl := strings.Join(kdBits(a[2], []kdName{{1, "MLOCK_ONFAULT"}}), "|")
		if fl == "" {
			fl = "0"
		}
		s = []string{kdAddr(a[0]), kdNum(a[1]), fl}
	case "msync":
		fl := strings.Join(kdBits(a[2], []kdName{{1, "MS_ASYNC"}, {2, "MS_INVALIDATE"}, {4, "MS_SYNC"}}), "|")
		if fl == "" {
			fl = "0"
		}
		s = []string{kdAddr(a[0]), kdNum(a[1]), fl}
	case "brk", "peek":
		s = []string{kdAddr(a[0])}
	case "touch":
		s = []string{kdAddr(a[0]), "P", `"w"`, kdNum(a[1])}
	default:
		s = []string{kdAddr(a[0]), kdNum(a[1])}
	}
	return op.call + "(" + strings.Join(s, ", ") + ")"
}

// childLine renders op for the C child.
func (op kdOp) childLine() string {
	var b strings.Builder
	b.WriteString(op.call)
	for _, v := range op.args {
		fmt.Fprintf(&b, " %#x", v)
	}
	b.WriteByte('\n')
	return b.String()
}

// kdChild is the running C child.
type kdChild struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// do sends one request line and reads the raw result and the maps text.
func (c *kdChild) do(line string) (int64, string, error) {
	if line != "" {
		if _, err := io.WriteString(c.in, line); err != nil {
			return 0, "", err
		}
	}
	return c.read()
}

func (c *kdChild) read() (int64, string, error) {
	l, err := c.out.ReadString('\n')
	if err != nil {
		return 0, "", fmt.Errorf("reading the child's result: %v", err)
	}
	if !strings.HasPrefix(l, "=") {
		return 0, "", fmt.Errorf("child answered %q", l)
	}
	r, err := strconv.ParseInt(strings.TrimSpace(l[1:]), 10, 64)
	if err != nil {
		return 0, "", err
	}
	var maps strings.Builder
	for {
		l, err := c.out.ReadString('\n')
		if err != nil {
			return 0, "", fmt.Errorf("reading the child's maps: %v", err)
		}
		if l == "END\n" {
			break
		}
		maps.WriteString(l)
	}
	return r, maps.String(), nil
}

// kdParseMaps parses /proc/PID/maps text.
func kdParseMaps(text string) ([]scenario.MapsLine, error) {
	var rows []scenario.MapsLine
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 5 {
			return nil, fmt.Errorf("bad maps line %q", l)
		}
		se := strings.SplitN(f[0], "-", 2)
		if len(se) != 2 {
			return nil, fmt.Errorf("bad maps line %q", l)
		}
		s, err1 := strconv.ParseUint(se[0], 16, 64)
		e, err2 := strconv.ParseUint(se[1], 16, 64)
		off, err3 := strconv.ParseUint(f[2], 16, 64)
		ino, err4 := strconv.ParseUint(f[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			return nil, fmt.Errorf("bad maps line %q", l)
		}
		m := scenario.MapsLine{Start: s, End: e, Perms: f[1], Offset: off, Dev: f[3], Inode: ino}
		if len(f) > 5 {
			// The path starts after the inode's padding and may hold spaces.
			rest := l
			for i := 0; i < 5; i++ {
				rest = strings.TrimLeft(rest, " ")
				rest = rest[strings.IndexByte(rest, ' ')+1:]
			}
			m.Path = strings.TrimLeft(rest, " ")
		}
		rows = append(rows, m)
	}
	return rows, nil
}

// kdIgnore hides known differences (VMSCOPE_KDIFF_IGNORE) in kernel rows.
func kdIgnore(rows []scenario.MapsLine, ignore map[string]bool) []scenario.MapsLine {
	if len(ignore) == 0 {
		return rows
	}
	out := make([]scenario.MapsLine, len(rows))
	for i, m := range rows {
		if ignore["devzero"] && m.Path == "/dev/zero (deleted)" {
			m.Path, m.Offset = "", 0
		}
		out[i] = m
	}
	return out
}

// kdCoalesce merges adjacent rows that /proc/PID/maps cannot tell apart.
func kdCoalesce(rows []scenario.MapsLine) []scenario.MapsLine {
	var out []scenario.MapsLine
	for _, m := range rows {
		if m.Path == "[vsyscall]" {
			continue
		}
		if n := len(out); n > 0 {
			l := &out[n-1]
			if l.End == m.Start && l.Perms == m.Perms && l.Path == m.Path &&
				(!strings.HasPrefix(m.Path, "/") || l.Offset+(l.End-l.Start) == m.Offset) {
				l.End = m.End
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// kdCoalescedDiff compares coalesced engine and kernel rows.
func kdCoalescedDiff(e *Engine, p *Process, want []scenario.MapsLine) []string {
	var got []scenario.MapsLine
	for _, r := range e.Rows(p) {
		got = append(got, scenario.MapsLine{Start: r.Start, End: r.End, Perms: r.Perms, Offset: r.Offset, Path: r.Path})
	}
	g, w := kdCoalesce(got), kdCoalesce(want)
	str := func(m scenario.MapsLine) string {
		off := uint64(0)
		if strings.HasPrefix(m.Path, "/") {
			off = m.Offset
		}
		return fmt.Sprintf("%08x-%08x %s %08x %s", m.Start, m.End, m.Perms, off, m.Path)
	}
	var diffs []string
	for i := 0; i < max(len(g), len(w)); i++ {
		var a, b string
		if i < len(g) {
			a = str(g[i])
		}
		if i < len(w) {
			b = str(w[i])
		}
		if a != b {
			diffs = append(diffs, fmt.Sprintf("(coalesced) engine %s\n      kernel %s", a, b))
			break
		}
	}
	return diffs
}

// kdBuildChild compiles the C child into dir.
func kdBuildChild(t *testing.T, dir string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found")
	}
	src, err := filepath.Abs("testdata/kerneldiff/child.c")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "child")
	cmd := exec.Command(gcc, "-static", "-nostdlib", "-ffreestanding", "-fno-builtin", "-fno-stack-protector",
		"-fno-pie", "-no-pie", "-fcf-protection=none", "-O2", "-z", "noexecstack", "-o", bin, src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// kdGen generates operations from the kernel's current address space.
type kdGen struct {
	value     uint64 // the last value touch wrote
	rnd       *rand.Rand
	rows      []scenario.MapsLine // the kernel's maps after the last operation
	protected [][2]uint64         // the exec image: never touched
	startBrk  uint64
	brk       uint64
	skip      []string
}

func (g *kdGen) intn(n int) int      { return g.rnd.Intn(n) }
func (g *kdGen) chance(pct int) bool { return g.rnd.Intn(100) < pct }

// pages returns a page count in [1, max], small ones more likely.
func (g *kdGen) pages(max int) uint64 {
	if max < 1 {
		max = 1
	}
	n := 1 + g.intn(max)
	if g.chance(60) {
		n = 1 + g.intn(min(max, 4))
	}
	return uint64(n)
}

// touchesImage reports whether [s, e) meets the exec image.
func (g *kdGen) touchesImage(s, e uint64) bool {
	for _, p := range g.protected {
		if s < p[1] && p[0] < e {
			return true
		}
	}
	return false
}

func (g *kdGen) winLo() uint64  { return kdWin - 4*kdPage }
func (g *kdGen) winHi() uint64  { return kdWin + (kdWinPages+4)*kdPage }
func (g *kdGen) heapHi() uint64 { return g.startBrk + (kdHeapPgs+8)*kdPage }

// outside lists the runs of contiguous VMAs that belong to neither the
// image, the window nor the heap area: where non-fixed mappings land.
func (g *kdGen) outside() [][2]uint64 {
	var runs [][2]uint64
	for _, r := range g.rows {
		if r.Path == "[vsyscall]" || g.touchesImage(r.Start, r.End) ||
			(r.Start < g.winHi()+64*kdPage && r.End > g.winLo()-64*kdPage) ||
			(r.Start < g.heapHi() && r.End > g.startBrk) {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][1] == r.Start {
			runs[n-1][1] = r.End
		} else {
			runs = append(runs, [2]uint64{r.Start, r.End})
		}
	}
	return runs
}

func (g *kdGen) outsideRows() int {
	n := 0
	for _, r := range g.rows {
		if r.Path == "[vsyscall]" || g.touchesImage(r.Start, r.End) ||
			(r.Start < g.winHi()+64*kdPage && r.End > g.winLo()-64*kdPage) ||
			(r.Start < g.heapHi() && r.End > g.startBrk) {
			continue
		}
		n++
	}
	return n
}

// region picks where an operation goes: the window (mostly), the heap
// area above the initial break, or a run of outside VMAs.
func (g *kdGen) region(allowOutside bool) (lo, hi uint64, name string) {
	x := g.intn(100)
	if x < 70 {
		return g.winLo(), g.winHi(), "win"
	}
	if runs := g.outside(); x >= 85 && allowOutside && len(runs) > 0 {
		r := runs[g.intn(len(runs))]
		return r[0], r[1], "out"
	}
	return g.startBrk, g.startBrk + kdHeapPgs*kdPage, "heap"
}

// boundaries lists the VMA starts and ends inside [lo, hi).
func (g *kdGen) boundaries(lo, hi uint64) []uint64 {
	var b []uint64
	for _, r := range g.rows {
		if r.Start >= lo && r.Start < hi {
			b = append(b, r.Start)
		}
		if r.End > lo && r.End < hi {
			b = append(b, r.End)
		}
	}
	return b
}

// span picks a page-aligned range inside [lo, hi), often starting or ending
// at a VMA boundary.
func (g *kdGen) span(lo, hi uint64) (uint64, uint64) {
	npg := int((hi - lo) / kdPage)
	addr := lo + uint64(g.intn(npg))*kdPage
	if b := g.boundaries(lo, hi); len(b) > 0 && g.chance(45) {
		addr = b[g.intn(len(b))]
		if g.chance(30) && addr-lo >= kdPage {
			addr -= kdPage * g.pages(min(3, int((addr-lo)/kdPage)))
		}
	}
	left := int((hi - addr) / kdPage)
	var n uint64
	switch {
	case g.chance(10):
		n = uint64(left)
	case g.chance(20):
		n = g.pages(min(left, 24))
	default:
		n = g.pages(min(left, 8))
	}
	if b := g.boundaries(addr+kdPage, hi); len(b) > 0 && g.chance(30) {
		n = (b[g.intn(len(b))] - addr) / kdPage
	}
	return addr, n * kdPage
}

var kdProts = []uint64{0, 1, 1, 3, 3, 3, 3, 5, 5, 7, 2, 4, 6}

func (g *kdGen) prot() uint64 { return kdProts[g.intn(len(kdProts))] }

// next returns an operation whose class is not skipped.
func (g *kdGen) next() kdOp {
	for i := 0; ; i++ {
		op := g.gen()
		if i > 1000 || !g.skipped(op.class) {
			return op
		}
	}
}

func (g *kdGen) skipped(class string) bool {
	for _, s := range g.skip {
		if s != "" && strings.HasPrefix(class, s) {
			return true
		}
	}
	return false
}

func (g *kdGen) gen() kdOp {
	if g.outsideRows() > kdMaxOut || (g.chance(3) && len(g.outside()) > 0) {
		runs := g.outside()
		r := runs[g.intn(len(runs))]
		return kdOp{"munmap", []uint64{r[0], r[1] - r[0]}, "munmap.outside"}
	}
	x := g.intn(100)
	switch {
	case x < 26:
		return g.mmap()
	case x < 34:
		return g.munmap()
	case x < 54:
		return g.mprotect()
	case x < 70:
		return g.madvise()
	case x < 82:
		return g.mremap()
	case x < 87:
		return g.mlock()
	case x < 91:
		return g.munlock()
	case x < 94:
		return g.brkOp()
	case x < 95:
		return g.msync()
	default:
		return g.access()
	}
}

// access writes a fresh value to a page (touch) or reads one (peek), most
// often a mapped page of the window or the heap.
func (g *kdGen) access() kdOp {
	lo, hi, _ := g.region(false)
	addr := lo + uint64(g.intn(int((hi-lo)/kdPage)))*kdPage
	var mapped []scenario.MapsLine
	for _, r := range g.rows {
		if r.Start < hi && r.End > lo {
			mapped = append(mapped, r)
		}
	}
	if len(mapped) > 0 && g.chance(85) {
		r := mapped[g.intn(len(mapped))]
		s, e := max(r.Start, lo), min(r.End, hi)
		addr = s + uint64(g.intn(int((e-s)/kdPage)))*kdPage
	}
	if g.chance(50) {
		g.value++
		return kdOp{"touch", []uint64{addr, g.value}, "touch"}
	}
	return kdOp{"peek", []uint64{addr}, "peek"}
}

func (g *kdGen) mmap() kdOp {
	prot := g.prot()
	var flags, fd, off uint64 = 0, ^uint64(0), 0
	class := "mmap.anon"
	file := g.chance(30)
	if file {
		class = "mmap.file"
		fd = 3
		if g.chance(20) {
			fd = 4
		}
		off = uint64(g.intn(kdFilePgs+5)) * kdPage
		switch y := g.intn(100); {
		case y < 45:
			flags = unix.MAP_SHARED
		case y < 90:
			flags = unix.MAP_PRIVATE
		default:
			flags = unix.MAP_SHARED_VALIDATE
		}
	} else {
		flags = unix.MAP_ANONYMOUS | unix.MAP_PRIVATE
		if g.chance(25) {
			flags = unix.MAP_ANONYMOUS | unix.MAP_SHARED
			class += ".shared"
		}
	}
	extras := []struct {
		pct  int
		flag uint64
		name string
	}{
		{12, unix.MAP_NORESERVE, ".noreserve"}, {6, unix.MAP_STACK, ".stack"}, {5, unix.MAP_GROWSDOWN, ".growsdown"},
		{5, unix.MAP_LOCKED, ".locked"}, {4, unix.MAP_POPULATE, ".populate"}, {2, unix.MAP_DENYWRITE, ""},
		{2, unix.MAP_EXECUTABLE, ""}, {2, unix.MAP_NONBLOCK, ""},
	}
	for _, e := range extras {
		if g.chance(e.pct) {
			flags |= e.flag
			class += e.name
		}
	}
	var addr, length uint64
	switch y := g.intn(100); {
	case y < 45:
		lo, hi, _ := g.region(true)
		addr, length = g.span(lo, hi)
		flags |= unix.MAP_FIXED
		class += ".fixed"
	case y < 60:
		lo, hi, _ := g.region(true)
		addr, length = g.span(lo, hi)
		flags |= unix.MAP_FIXED_NOREPLACE
		class += ".noreplace"
		if g.chance(10) {
			flags |= unix.MAP_FIXED
		}
	case y < 75:
		lo, hi, _ := g.region(false)
		addr, length = g.span(lo, hi)
		class += ".hint"
		if g.chance(5) {
			addr = uint64(g.intn(4)) * 0x800 // below mmap_min_addr
		}
	default:
		class += ".nonfixed"
		length = g.pages(16) * kdPage
		switch {
		case g.chance(10):
			length = 512 * kdPage // THP-sized
			class += ".pmd"
		case g.chance(5):
			length = 513 * kdPage
		}
		if g.chance(5) {
			flags |= unix.MAP_32BIT
			class += ".32bit"
		}
	}
	if g.chance(15) {
		length -= uint64(g.intn(kdPage - 1)) // unaligned length: rounded up
	}
	if g.chance(7) {
		class = "bad.mmap"
		switch g.intn(12) {
		case 0:
			if flags&(unix.MAP_FIXED|unix.MAP_FIXED_NOREPLACE) != 0 {
				addr += uint64(1 + g.intn(kdPage-1))
			} else {
				addr |= uint64(1 + g.intn(kdPage-1)) // an unaligned hint is rounded down
			}
		case 1:
			length = 0
		case 2:
			length = []uint64{^uint64(0), 1 << 47, ^uint64(0) - kdPage + 2}[g.intn(3)] // all fail
		case 3:
			flags = flags&^0xf | []uint64{0, 4, 8, 0xf}[g.intn(4)]
			class = "bad.mmap.type"
		case 4:
			off |= uint64(1 + g.intn(kdPage-1))
		case 5:
			fd, flags = 99, flags&^unix.MAP_ANONYMOUS
		case 6:
			flags = flags&^0xf | unix.MAP_SHARED_VALIDATE | 0x200000
			class = "bad.mmap.validate"
		case 7:
			prot |= []uint64{0x10, 0x80, 0x01000000, 0x02000000}[g.intn(4)]
			class = "bad.mmap.prot"
		case 8:
			addr, length, flags = kdTaskSize-kdPage, 2*kdPage, flags|unix.MAP_FIXED // past TASK_SIZE
		case 9:
			flags = flags&^0xf | unix.MAP_SHARED_VALIDATE | unix.MAP_SYNC
			class = "bad.mmap.sync"
		case 10:
			off = ^uint64(0) &^ (kdPage - 1) // pgoff overflow
		case 11:
			flags |= unix.MAP_FIXED
			addr, length = 0, kdPage // address 0: root may map it
			class = "mmap.zero"
		}
	}
	return kdOp{"mmap", []uint64{addr, length, prot, flags, fd, off}, class}
}

func (g *kdGen) munmap() kdOp {
	lo, hi, _ := g.region(true)
	addr, length := g.span(lo, hi)
	class := "munmap"
	if g.chance(10) {
		length = hi - addr // across holes
	}
	if g.chance(10) {
		length -= uint64(g.intn(kdPage - 1))
	}
	if g.chance(6) {
		class = "bad.munmap"
		switch g.intn(3) {
		case 0:
			addr += uint64(1 + g.intn(kdPage-1))
		case 1:
			length = 0
		case 2:
			length = []uint64{^uint64(0), 1 << 63, 1 << 47}[g.intn(3)] // all past TASK_SIZE: EINVAL
		}
	}
	return kdOp{"munmap", []uint64{addr, length}, class}
}

func (g *kdGen) mprotect() kdOp {
	lo, hi, where := g.region(true)
	addr, length := g.span(lo, hi)
	prot := g.prot()
	class := "mprotect"
	if g.chance(5) {
		prot |= 8 // PROT_SEM
	}
	if g.chance(10) {
		length -= uint64(g.intn(kdPage - 1))
	}
	if g.chance(8) {
		class = "mprotect.grows"
		prot |= []uint64{0x01000000, 0x01000000, 0x02000000}[g.intn(3)]
	}
	if g.chance(6) {
		class = "bad.mprotect"
		switch g.intn(5) {
		case 0:
			addr += uint64(1 + g.intn(kdPage-1))
		case 1:
			length = 0
		case 2:
			length = []uint64{^uint64(0), -addr}[g.intn(2)] // overflow: ENOMEM
		case 3:
			prot |= []uint64{0x10, 0x80, 0x03000000}[g.intn(3)]
		case 4:
			if where != "out" {
				length = 1 << 63 // runs to the first hole
			}
		}
	}
	return kdOp{"mprotect", []uint64{addr, length, prot}, class}
}

// kdAdvices are the madvise advice the test uses, with weights. Not
// MADV_HWPOISON or MADV_SOFT_OFFLINE (they act on physical pages).
var kdAdvices = []struct {
	adv    uint64
	weight int
}{
	{unix.MADV_DONTNEED, 8}, {unix.MADV_DONTFORK, 8}, {unix.MADV_DOFORK, 6}, {unix.MADV_WIPEONFORK, 6},
	{unix.MADV_KEEPONFORK, 4}, {unix.MADV_NOHUGEPAGE, 6}, {unix.MADV_HUGEPAGE, 6}, {unix.MADV_DONTDUMP, 6},
	{unix.MADV_DODUMP, 4}, {unix.MADV_RANDOM, 6}, {unix.MADV_SEQUENTIAL, 6}, {unix.MADV_NORMAL, 6},
	{unix.MADV_WILLNEED, 3}, {unix.MADV_FREE, 3}, {unix.MADV_COLD, 2}, {unix.MADV_PAGEOUT, 2},
	{unix.MADV_REMOVE, 2}, {unix.MADV_MERGEABLE, 2}, {unix.MADV_UNMERGEABLE, 2},
	{unix.MADV_POPULATE_READ, 2}, {unix.MADV_POPULATE_WRITE, 2}, {24 /* MADV_DONTNEED_LOCKED */, 2},
	{25 /* MADV_COLLAPSE */, 1}, {102 /* MADV_GUARD_INSTALL */, 1}, {103 /* MADV_GUARD_REMOVE */, 1},
}

func (g *kdGen) madvise() kdOp {
	lo, hi, _ := g.region(true)
	addr, length := g.span(lo, hi)
	total := 0
	for _, a := range kdAdvices {
		total += a.weight
	}
	x := g.intn(total)
	var adv uint64
	for _, a := range kdAdvices {
		if x < a.weight {
			adv = a.adv
			break
		}
		x -= a.weight
	}
	class := "madvise." + kdAdvice(adv)
	if g.chance(10) {
		length = hi - addr // across holes
	}
	if g.chance(10) {
		length -= uint64(g.intn(kdPage - 1))
	}
	if g.chance(6) {
		class = "bad.madvise"
		switch g.intn(4) {
		case 0:
			addr += uint64(1 + g.intn(kdPage-1))
		case 1:
			length = 0
		case 2:
			length = []uint64{^uint64(0), -addr, -addr + kdPage}[g.intn(3)] // the end wraps: EINVAL
		case 3:
			adv = []uint64{5, 6, 7, 26, 99, 104, 200, ^uint64(0)}[g.intn(8)]
		}
	}
	return kdOp{"madvise", []uint64{addr, length, adv}, class}
}

// vmaIn returns a random VMA of the kernel's maps inside [lo, hi).
func (g *kdGen) vmaIn(lo, hi uint64) (scenario.MapsLine, bool) {
	var c []scenario.MapsLine
	for _, r := range g.rows {
		if r.Start >= lo && r.End <= hi && !g.touchesImage(r.Start, r.End) {
			c = append(c, r)
		}
	}
	if len(c) == 0 {
		return scenario.MapsLine{}, false
	}
	return c[g.rnd.Intn(len(c))], true
}

func (g *kdGen) mremap() kdOp {
	lo, hi, where := g.region(true)
	var addr, oldLen uint64
	if v, ok := g.vmaIn(lo, hi); ok && g.chance(85) {
		addr = v.Start
		if g.chance(30) {
			addr += uint64(g.intn(int((v.End-v.Start)/kdPage))) * kdPage
		}
		room := int((v.End - addr) / kdPage)
		switch y := g.intn(100); {
		case y < 5:
			oldLen = 0
		case y < 12:
			oldLen = uint64(room+int(g.pages(3))) * kdPage // past the VMA
		case y < 60:
			oldLen = uint64(room) * kdPage
		default:
			oldLen = g.pages(room) * kdPage
		}
	} else {
		addr, oldLen = g.span(lo, hi)
	}
	if where == "out" && oldLen > hi-addr {
		// A shrink unmaps [addr+new_len, addr+old_len) across VMAs: never
		// into the image (outside runs can touch [vvar]).
		oldLen = hi - addr
	}
	newLen := oldLen
	switch y := g.intn(100); {
	case y < 30:
		if oldLen > kdPage {
			newLen = g.pages(int(oldLen/kdPage)-1) * kdPage
		}
	case y < 80:
		newLen = oldLen + g.pages(16)*kdPage
	}
	if newLen == 0 {
		newLen = g.pages(4) * kdPage
	}
	var flags, newAddr uint64
	class := "mremap"
	switch y := g.intn(100); {
	case y < 25:
	case y < 55:
		flags = 1
		class += ".maymove"
	case y < 80:
		flags = 1 | 2
		class += ".fixed"
	case y < 93:
		flags = 1 | 4
		newLen = oldLen
		class += ".dontunmap"
	default:
		flags = 1 | 2 | 4
		newLen = oldLen
		class += ".fixed.dontunmap"
	}
	if flags&2 != 0 {
		wlo, whi := g.winLo(), g.winHi()
		if g.chance(20) {
			wlo, whi = g.startBrk, g.startBrk+kdHeapPgs*kdPage
		}
		if whi-wlo > newLen {
			newAddr = wlo + uint64(g.intn(int((whi-wlo-newLen)/kdPage)+1))*kdPage
		} else {
			newAddr = wlo
		}
		if g.chance(25) {
			if b := g.boundaries(wlo, whi); len(b) > 0 {
				newAddr = b[g.intn(len(b))]
			}
		}
	}
	if flags&2 == 0 && g.chance(30) {
		// Without MREMAP_FIXED new_addr is a hint for MREMAP_DONTUNMAP
		// (and validated), and ignored otherwise.
		newAddr = g.winLo() + uint64(g.intn(int((g.winHi()-g.winLo())/kdPage)))*kdPage
		class += ".hint"
	}
	if g.chance(8) {
		newLen -= uint64(g.intn(kdPage - 1))
	}
	if g.chance(6) {
		class = "bad.mremap"
		switch g.intn(6) {
		case 0:
			addr += uint64(1 + g.intn(kdPage-1))
		case 1:
			newLen = 0
		case 2:
			flags = []uint64{2, 4, 6, 8, 9}[g.intn(5)]
		case 3:
			newAddr += uint64(1 + g.intn(kdPage-1))
			flags = 1 | 2
		case 4:
			newLen = []uint64{^uint64(0), 1 << 47}[g.intn(2)]
		case 5:
			oldLen = ^uint64(0)
		}
	}
	return kdOp{"mremap", []uint64{addr, oldLen, newLen, flags, newAddr}, class}
}

func (g *kdGen) mlock() kdOp {
	lo, hi, where := g.region(true)
	addr, length := g.span(lo, hi)
	class := "mlock"
	if g.chance(10) {
		length = hi - addr
	}
	if g.chance(10) {
		addr += uint64(g.intn(kdPage))
		length -= uint64(g.intn(kdPage))
	}
	if g.chance(5) {
		class = "bad.mlock"
		switch {
		case g.chance(50):
			length = -addr + uint64(g.intn(4))*kdPage // end wraps: EINVAL
		case where != "out":
			length = 1 << 63
		}
	}
	if g.chance(40) {
		fl := []uint64{0, 1, 1, 2}[g.intn(4)]
		return kdOp{"mlock2", []uint64{addr, length, fl}, class + "2"}
	}
	return kdOp{"mlock", []uint64{addr, length}, class}
}

func (g *kdGen) munlock() kdOp {
	lo, hi, _ := g.region(true)
	addr, length := g.span(lo, hi)
	class := "munlock"
	if g.chance(10) {
		length = hi - addr
	}
	if g.chance(10) {
		addr += uint64(g.intn(kdPage))
	}
	if g.chance(4) {
		class = "bad.munlock"
		length = -addr + uint64(g.intn(4))*kdPage
	}
	return kdOp{"munlock", []uint64{addr, length}, class}
}

func (g *kdGen) brkOp() kdOp {
	var nb uint64
	switch y := g.intn(100); {
	case y < 5:
		nb = 0
	case y < 8:
		nb = []uint64{1 << 47, ^uint64(0), g.startBrk - 3*kdPage, 0x1000}[g.intn(4)]
	case y < 40:
		nb = g.brk + g.pages(6)*kdPage - uint64(g.intn(2*kdPage))
	case y < 60:
		nb = g.brk - g.pages(6)*kdPage + uint64(g.intn(kdPage))
	default:
		nb = g.startBrk + uint64(g.intn(kdHeapPgs*kdPage))
	}
	if nb > g.startBrk+kdHeapPgs*kdPage && nb < 1<<47 {
		nb = g.startBrk + kdHeapPgs*kdPage
	}
	return kdOp{"brk", []uint64{nb}, "brk"}
}

func (g *kdGen) msync() kdOp {
	lo, hi, _ := g.region(true)
	addr, length := g.span(lo, hi)
	fl := []uint64{1, 4, 2, 3, 6, 0, 5, 8}[g.intn(8)]
	return kdOp{"msync", []uint64{addr, length, fl}, "msync"}
}

// kdEngineArgs turns an operation into engine arguments: the data file's
// fds carry its path, as strace -yy shows them.
func kdEngineArgs(op kdOp, filePath string) []Arg {
	args := make([]Arg, len(op.args))
	for i, v := range op.args {
		args[i] = Arg{Val: v}
	}
	if op.call == "mmap" && (op.args[4] == 3 || op.args[4] == 4) {
		args[4].Path = filePath
	}
	return args
}

func kdEnvInt(name string, def int64) int64 {
	if s := os.Getenv(name); s != "" {
		if n, err := strconv.ParseInt(s, 0, 64); err == nil {
			return n
		}
	}
	return def
}

// kdEnv is what every run shares: the child binary, the data file (open
// read-write and read-only, passed to the child as fds 3 and 4) and the
// engine settings of this machine.
type kdEnv struct {
	bin, dir, dataPath string
	rw, ro             *os.File
	ignore             map[string]bool
}

// kdSession is one child process and the engine mirroring it.
type kdSession struct {
	env      *kdEnv
	child    *kdChild
	stderr   *strings.Builder
	r        *Runner
	p        *Process
	initial  []scenario.MapsLine
	mapsText string // the initial maps, as the kernel printed them
	brk0     uint64
	notes    []string // setup remarks (the break LoadImage inferred, ...)
}

func kdSetup(t *testing.T) *kdEnv {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := &kdEnv{dir: dir, bin: kdBuildChild(t, dir), dataPath: filepath.Join(dir, "data"), ignore: map[string]bool{}}
	env.rw, err = os.OpenFile(env.dataPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.rw.Close() })
	if err := env.rw.Truncate(kdFilePgs * kdPage); err != nil {
		t.Fatal(err)
	}
	env.ro, err = os.Open(env.dataPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.ro.Close() })
	for _, s := range strings.Split(os.Getenv("VMSCOPE_KDIFF_IGNORE"), ",") {
		if s != "" {
			env.ignore[s] = true
		}
	}
	return env
}

// start runs a fresh child and builds the engine from its exec image: the
// linux personality as root, the
// child's initial maps loaded by LoadImage and the data file open as fds 3
// and 4.
func (env *kdEnv) start() (*kdSession, error) {
	// Zero the file: the last session's shared mappings wrote to it.
	if err := env.rw.Truncate(0); err != nil {
		return nil, err
	}
	if err := env.rw.Truncate(kdFilePgs * kdPage); err != nil {
		return nil, err
	}
	cmd := exec.Command(env.bin)
	cmd.Env = []string{}
	cmd.Dir = env.dir
	cmd.ExtraFiles = []*os.File{env.rw, env.ro}
	s := &kdSession{env: env, stderr: &strings.Builder{}}
	cmd.Stderr = s.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.child = &kdChild{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	brk0, mapsText, err := s.child.read()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("child start: %v %s", err, s.stderr.String())
	}
	s.brk0, s.mapsText = uint64(brk0), mapsText
	if s.initial, err = kdParseMaps(mapsText); err != nil {
		s.close()
		return nil, err
	}

	pers, _ := PersonalityByName("linux")
	s.r = NewRunner(pers)
	cfg := s.r.Eng.Config()
	cfg.Privileged = true
	// The child has run: its image's private writable memory (bss, stack)
	// was written and has its anon_vma, as in a replayed trace.
	cfg.AssumeWritten = true
	if err := s.r.Eng.SetConfig(cfg); err != nil {
		s.close()
		return nil, err
	}
	// The engine's MinAddr (0x10000) is the effective mmap_min_addr even
	// where vm.mmap_min_addr says 4096: the kernel raises it to
	// CONFIG_LSM_MMAP_MIN_ADDR (security/min_addr.c), and hints below it
	// are rounded up to it (round_hint_to_min).
	if s.p, err = s.r.Eng.NewProcess(cmd.Process.Pid); err != nil {
		s.close()
		return nil, err
	}
	if err := s.r.Eng.LoadImage(s.p, s.initial); err != nil {
		s.close()
		return nil, err
	}
	if vs := s.p.VS; vs.StartBrk != s.brk0 || vs.Brk != s.brk0 {
		s.notes = append(s.notes, fmt.Sprintf("LoadImage placed the break at start_brk %#x brk %#x; the kernel's brk(0) is %#x",
			vs.StartBrk, vs.Brk, s.brk0))
		vs.StartBrk, vs.Brk = s.brk0, s.brk0
	}
	for i, call := range []struct {
		name string
		args []Arg
		want uint64
	}{
		{"openat", []Arg{{Val: linuxConsts["AT_FDCWD"]}, {Str: env.dataPath, IsStr: true}, {Val: unix.O_RDWR | unix.O_CREAT}, {Val: 0o644}}, 3},
		{"ftruncate", []Arg{{Val: 3}, {Val: kdFilePgs * kdPage}}, 0},
		{"openat", []Arg{{Val: linuxConsts["AT_FDCWD"]}, {Str: env.dataPath, IsStr: true}, {Val: unix.O_RDONLY}}, 4},
	} {
		res, known := s.r.Pers.Syscall(s.r.Eng, s.p, call.name, call.args)
		if !known || res.Failed() || res.Ret != call.want {
			s.close()
			return nil, fmt.Errorf("engine setup call %d %s: %v", i, call.name, res)
		}
	}
	if d := s.r.Eng.CompareMaps(s.p, s.initial); len(d) > 0 {
		s.close()
		return nil, fmt.Errorf("the loaded image differs from the kernel's maps:\n%s", strings.Join(d, "\n"))
	}
	return s, nil
}

func (s *kdSession) close() error {
	s.child.in.Close()
	return s.child.cmd.Wait()
}

// header is the scenario prologue of this session's operations.
func (s *kdSession) header() []string {
	return []string{
		"@personality linux",
		"@set privileged 1",
		fmt.Sprintf("openat(AT_FDCWD, %q, O_RDWR|O_CREAT, 0644) = 3", s.env.dataPath),
		fmt.Sprintf("ftruncate(3, %d*P) = 0", kdFilePgs),
		fmt.Sprintf("openat(AT_FDCWD, %q, O_RDONLY) = 4", s.env.dataPath),
	}
}

// kdStep is the outcome of one operation on both sides.
type kdStep struct {
	line     string // the scenario line with the kernel's result
	kv       uint64 // the kernel's value (when kerr is "")
	kerr     string // the kernel's errno name
	rows     []scenario.MapsLine
	mapsText string
	diff     string // "" when kernel and engine agree
}

// step runs op on the child and on the engine and compares the result, the
// maps and the engine's invariants.
func (s *kdSession) step(op kdOp) (kdStep, error) {
	var st kdStep
	kr, mapsText, err := s.child.do(op.childLine())
	if err != nil {
		return st, fmt.Errorf("the child died: %v %s", err, s.stderr.String())
	}
	if st.rows, err = kdParseMaps(mapsText); err != nil {
		return st, err
	}
	st.mapsText = mapsText
	var kres, eres string
	var res Result
	if op.call == "touch" || op.call == "peek" {
		kres, eres = kdAccessResult(kr), kdEngineAccess(s, op)
	} else {
		st.kv, st.kerr = kdKernelResult(kr)
		kres = kdResult(st.kv, st.kerr)
		var known bool
		res, known = s.r.Pers.Syscall(s.r.Eng, s.p, op.call, kdEngineArgs(op, s.env.dataPath))
		eres = "unknown call"
		if known {
			eres = kdResult(res.Ret, string(res.Errno))
			if res.Signal != SigNone {
				eres = res.Signal.String()
			}
		}
	}
	st.line = op.scenario(s.env.dataPath) + " = " + kres

	cmpRows := kdIgnore(st.rows, s.env.ignore)
	var diffs []string
	if s.env.ignore["split"] {
		diffs = kdCoalescedDiff(s.r.Eng, s.p, cmpRows)
	} else {
		diffs = s.r.Eng.CompareMaps(s.p, cmpRows)
	}
	checkErr := s.r.Eng.Check()
	if eres == kres && len(diffs) == 0 && checkErr == nil {
		return st, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kernel result: %s\nengine result: %s", kres, eres)
	if res.Why != "" {
		fmt.Fprintf(&b, " (%s)", res.Why)
	}
	b.WriteString("\n")
	if len(diffs) > 0 {
		fmt.Fprintf(&b, "maps (engine vs kernel):\n    %s\n", strings.Join(diffs, "\n    "))
	}
	if checkErr != nil {
		fmt.Fprintf(&b, "engine invariant broken: %v\n", checkErr)
	}
	st.diff = b.String()
	return st, nil
}

// run replays ops on a fresh session and returns the index of the first
// operation that differs (-1: none), its step, and the session's header.
func (env *kdEnv) run(ops []kdOp) (int, kdStep, error) {
	s, err := env.start()
	if err != nil {
		return 0, kdStep{}, err
	}
	defer s.close()
	for i, op := range ops {
		st, err := s.step(op)
		if err != nil {
			return i, st, err
		}
		if st.diff != "" {
			return i, st, nil
		}
	}
	return -1, kdStep{}, nil
}

// kdMinimize shrinks a failing operation sequence (ddmin) by replaying
// subsets against fresh children: the result still makes the engine first
// differ from the kernel at the same (last) operation. It gives up after
// budget replays.
func kdMinimize(env *kdEnv, ops []kdOp, budget int) []kdOp {
	target := ops[len(ops)-1]
	body := ops[:len(ops)-1]
	fails := func(c []kdOp) bool {
		if budget <= 0 {
			return false
		}
		budget--
		run := append(append([]kdOp{}, c...), target)
		i, _, err := env.run(run)
		return err == nil && i == len(c)
	}
	n := 2
	for len(body) >= 1 && budget > 0 {
		chunk := (len(body) + n - 1) / n
		reduced := false
		for start := 0; start < len(body); start += chunk {
			end := min(start+chunk, len(body))
			rest := append(append([]kdOp{}, body[:start]...), body[end:]...)
			if fails(rest) {
				body = rest
				n = max(n-1, 2)
				reduced = true
				break
			}
		}
		if !reduced {
			if n >= len(body) {
				break
			}
			n = min(n*2, len(body))
		}
	}
	return append(body, target)
}

func TestKernelDiff(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: MAP_LOCKED and mlock without limits, MAP_FIXED below mmap_min_addr")
	}
	nops := int(kdEnvInt("VMSCOPE_KDIFF_OPS", 50000))
	seeds := []int64{1, 2, 3, 4}
	if testing.Short() {
		nops, seeds = 2000, seeds[:1]
	}
	if os.Getenv("VMSCOPE_KDIFF_SEED") != "" {
		seeds = []int64{kdEnvInt("VMSCOPE_KDIFF_SEED", 1)}
	}
	env := kdSetup(t)
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { kernelDiffRun(t, env, nops, seed) })
	}
}

// kernelDiffRun performs nops random operations chosen by seed in a fresh
// child and in the engine, failing at the first difference.
func kernelDiffRun(t *testing.T, env *kdEnv, nops int, seed int64) {
	startTime := time.Now()
	s, err := env.start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.close(); err != nil && !t.Failed() {
			t.Errorf("child: %v %s", err, s.stderr.String())
		}
	}()
	for _, n := range s.notes {
		if strings.HasPrefix(n, "LoadImage") {
			t.Error(n)
		} else {
			t.Log(n)
		}
	}

	var logw *bufio.Writer
	if path := os.Getenv("VMSCOPE_KDIFF_LOG"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		logw = bufio.NewWriter(f)
		defer logw.Flush()
		h := s.header()
		fmt.Fprintf(logw, "# TestKernelDiff seed %d\n%s\n%s\n@image\n%s@end\n", seed, h[0], h[1], s.mapsText)
		for _, l := range h[2:] {
			fmt.Fprintln(logw, l)
		}
	}

	g := &kdGen{rnd: rand.New(rand.NewSource(seed)), rows: s.initial, startBrk: s.brk0, brk: s.brk0}
	for _, m := range s.initial {
		if m.Path != "[vsyscall]" {
			g.protected = append(g.protected, [2]uint64{m.Start, m.End})
		}
	}
	if sk := os.Getenv("VMSCOPE_KDIFF_SKIP"); sk != "" {
		g.skip = strings.Split(sk, ",")
	}

	var ops []kdOp
	var history []string
	classes := map[string]int{}
	for i := 1; i <= nops; i++ {
		op := g.next()
		classes[op.class]++
		ops = append(ops, op)
		st, err := s.step(op)
		if err != nil {
			t.Fatalf("op %d %s: %v\nlast ops:\n%s", i, op.scenario(env.dataPath), err, strings.Join(history, "\n"))
		}
		history = append(history, st.line)
		if len(history) > 30 {
			history = history[1:]
		}
		if logw != nil {
			fmt.Fprintln(logw, st.line)
		}
		if st.diff != "" {
			var b strings.Builder
			fmt.Fprintf(&b, "op %d of %d (seed %d, class %s) differs from the kernel:\n    %s\n%s", i, nops, seed, op.class, st.line, st.diff)
			fmt.Fprintf(&b, "kernel maps after the op:\n%s", st.mapsText)
			fmt.Fprintf(&b, "engine maps after the op:\n%s", s.r.Eng.FormatMaps(s.p))
			fmt.Fprintf(&b, "last %d ops as a scenario (the exec image is the child's; see VMSCOPE_KDIFF_LOG):\n", len(history))
			for _, h := range s.header() {
				b.WriteString(h + "\n")
			}
			for _, h := range history {
				b.WriteString(h + "\n")
			}
			if logw != nil {
				fmt.Fprintf(logw, "@maps\n%s@end\n", st.mapsText)
			}
			if budget := int(kdEnvInt("VMSCOPE_KDIFF_MINIMIZE", 0)); budget > 0 {
				min := kdMinimize(env, ops, budget)
				_, last, err := env.run(min)
				fmt.Fprintf(&b, "minimized to %d ops (err %v):\n", len(min), err)
				ms, _ := env.start()
				for _, op := range min {
					if ms == nil {
						break
					}
					st, _ := ms.step(op)
					b.WriteString(st.line + "\n")
				}
				if ms != nil {
					ms.close()
				}
				fmt.Fprintf(&b, "its difference:\n%skernel maps:\n%s", last.diff, last.mapsText)
			}
			t.Fatal(b.String())
		}
		g.rows = st.rows
		if op.call == "brk" && st.kerr == "" {
			g.brk = st.kv
		}
	}
	elapsed := time.Since(startTime)
	names := make([]string, 0, len(classes))
	for c := range classes {
		names = append(names, c)
	}
	sort.Strings(names)
	if testing.Verbose() {
		var b strings.Builder
		for _, c := range names {
			fmt.Fprintf(&b, " %s:%d", c, classes[c])
		}
		t.Logf("classes:%s", b.String())
	}
	t.Logf("%d operations (seed %d, %d classes) matched the kernel in %v", nops, seed, len(classes), elapsed.Round(time.Millisecond))
}

// TestKernelDiffReproducers runs the scenario files the differential test
// produced (testdata/linux/bug-*.scn): each holds the kernel's results as
// expectations, so it fails until the engine behaves like Linux there.
func TestKernelDiffReproducers(t *testing.T) {
	files, _ := filepath.Glob("testdata/linux/bug-*.scn")
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) { runScenarioFile(t, path) })
	}
}
