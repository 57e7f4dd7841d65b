package vmengine

// A differential test of what the Linux personality's memory holds,
// private and shared, against a page-level model, across fork, exit and
// every kind of mremap.
//
// The kernel differential (kernel_diff_linux_test.go) checks maps, results
// and contents against the real kernel, but in one process. The engine
// finds private pages by object and pgoff, through shadow chains, where
// Linux finds them through page tables; where the two can part is where
// pgoffs come to be shared: mremap keeps a moved VMA's pgoffs, and fork
// leaves parent and child sharing pages that only one of them maps later.
// The model needs none of that: each process has a value per page (0 until
// written), fork copies the values, a write changes one process's page, a
// move carries values to the new addresses, and everything new reads 0.
// A page of a private file mapping reads the file (pwrite64 changes it)
// until the process writes it, and again after MADV_DONTNEED or after
// ftruncate cuts the file below it; past the end of the file it raises
// SIGBUS. A page of a shared mapping (of the file, or
// MAP_SHARED|MAP_ANONYMOUS memory, which is a shmem segment of the mapped
// size) reads and writes its backing store, which every process and every
// mapping of that store sees; fork's child shares it, moves keep it, and
// a grown mapping's pages past the segment's end raise SIGBUS. MADV_DONTFORK keeps a page from fork's
// child, MADV_WIPEONFORK gives the child zeros there (both travel with their
// VMA, and a grown VMA's new pages share them).
//
// The engine decides where mremap succeeds and where it places the result
// (the kernel differential checks those decisions); the model adopts them
// and checks the contents. mmap, munmap, mprotect and MADV_DONTNEED are
// generated only where their result is plain (fixed placement, fully
// mapped ranges), and checked. After every operation Engine.Check must
// hold; every page of every process is read back after each fork and exit
// and every 16 operations. A failing run is minimized (operations removed
// while it still fails) and printed as a scenario.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	lcP       = 4096
	lcWinA    = 0x200000000000 // mmap and MREMAP_FIXED targets: two windows
	lcWinB    = 0x200000100000
	lcWinSize = 40 // pages per window
	lcMaxProc = 4
	lcFile    = 48 // pages of the file (fd 3) private file mappings map
	lcPath    = "/tmp/vmscope-lcontent-data"
)

// lcPage is a page of the model: its protection and value. A backed page
// reads page idx of its store (seg 0: the file; seg k: shmem segment k);
// a private one until written (priv, val), a shared one always, and its
// writes go to the store.
type lcPage struct {
	prot       Prot
	val        uint64
	backed     bool
	shared     bool
	seg        int
	idx        uint64
	priv       bool
	dontFork   bool
	wipeOnFork bool
}

// fresh is page i of a VMA grown from base (its first page): a mapping of
// a store continues its offsets; private anonymous memory reads 0.
func fresh(base lcPage, i uint64) lcPage {
	pg := lcPage{prot: base.prot, dontFork: base.dontFork, wipeOnFork: base.wipeOnFork}
	if base.backed {
		pg.backed, pg.shared, pg.seg, pg.idx = true, base.shared, base.seg, base.idx+i
	}
	return pg
}

// dropped is the page after its private content is gone (MADV_DONTNEED,
// or the source of MREMAP_DONTUNMAP): the store again, or zeros.
func dropped(pg lcPage) lcPage {
	pg.val, pg.priv = 0, false
	return pg
}

type lcKind uint8

const (
	lcMmap lcKind = iota
	lcMmapFile
	lcMmapSharedFile
	lcMmapShm
	lcMunmap
	lcMprotect
	lcPwrite
	lcTruncate
	lcDontneed
	lcForkAdvice
	lcKeepAdvice
	lcWrite
	lcMremap
	lcBrk
	lcPopulate
	lcFork
	lcExit
	lcCheck
)

// lcOp is one generated operation, replayable on a fresh engine and model.
type lcOp struct {
	kind   lcKind
	proc   int    // the process (0, then fork's children 1, 2, ...)
	vpn, n uint64 // the range
	prot   Prot
	arg    uint64 // file page (mmap of the file, pwrite64), new length (mremap), child (fork)
	val    uint64 // value written (write, pwrite64), flags (mremap)
	dst    uint64 // MREMAP_FIXED target page
}

type lcProc struct {
	id    int
	p     *Process
	pages map[uint64]lcPage
	brk   uint64 // the program break (page-aligned here)
}

func (pr *lcProc) name() string {
	if pr.id == 0 {
		return ""
	}
	return "$p" + strconv.Itoa(pr.id) + " "
}

// mapped returns the process's mapped pages in order.
func (pr *lcProc) mapped() []uint64 {
	vpns := make([]uint64, 0, len(pr.pages))
	for v := range pr.pages {
		vpns = append(vpns, v)
	}
	slices.Sort(vpns)
	return vpns
}

// fullyMapped reports whether the model maps every page of [vpn, vpn+n).
func (pr *lcProc) fullyMapped(vpn, n uint64) bool {
	for i := range n {
		if _, ok := pr.pages[vpn+i]; !ok {
			return false
		}
	}
	return true
}

// lcRun is the engine and the model side by side.
type lcRun struct {
	pers  Personality
	e     *Engine
	procs map[int]*lcProc
	file  [lcFile]uint64
	fsize uint64     // the file's size in pages (rounded up)
	shm   [][]uint64 // shmem segment k is shm[k-1]
	log   []string
}

func newLCRun() (*lcRun, error) {
	pers, err := PersonalityByName("linux")
	if err != nil {
		return nil, err
	}
	r := NewRunner(pers)
	p, err := r.Eng.NewProcess(100)
	if err != nil {
		return nil, err
	}
	h := &lcRun{pers: pers, e: r.Eng, fsize: lcFile, procs: map[int]*lcProc{0: {p: p, pages: map[uint64]lcPage{}, brk: p.VS.Brk}}}
	pr := h.procs[0]
	h.logf(pr, "openat(AT_FDCWD, %q, O_RDWR|O_CREAT|O_TRUNC, 0644) = 3", lcPath)
	if err := h.expect(h.call(pr, "openat", Arg{Val: ^uint64(99)}, Arg{Str: lcPath, IsStr: true},
		Arg{Val: 2 | 0x40 | 0x200}, Arg{Val: 0o644}), 3); err != nil {
		return nil, err
	}
	h.logf(pr, "ftruncate(3, %d*P) = 0", lcFile)
	return h, h.expect(h.call(pr, "ftruncate", Arg{Val: 3}, Arg{Val: lcFile * lcP}), 0)
}

func (h *lcRun) logf(pr *lcProc, format string, args ...any) {
	h.log = append(h.log, pr.name()+fmt.Sprintf(format, args...))
}

func (h *lcRun) call(pr *lcProc, name string, args ...Arg) Result {
	r, ok := h.pers.Syscall(h.e, pr.p, name, args)
	if !ok {
		return Result{Errno: "ENOSYS"}
	}
	return r
}

func vals(vs ...uint64) []Arg {
	a := make([]Arg, len(vs))
	for i, v := range vs {
		a[i] = Arg{Val: v}
	}
	return a
}

// expect checks a call's result.
func (h *lcRun) expect(r Result, ret uint64) error {
	if r.Failed() || r.Ret != ret {
		return fmt.Errorf("got %v, want %#x", r, ret)
	}
	return nil
}

// locked reports whether the engine has mlocked a page of [vpn, vpn+n)
// in pr (the kernel differential checks where it does).
func (h *lcRun) locked(pr *lcProc, vpn, n uint64) bool {
	hit := false
	pr.p.VS.Map.Range(vpn*lcP, (vpn+n)*lcP, func(en Entry) bool {
		hit = en.LFlags&LinuxLocked != 0
		return !hit
	})
	return hit
}

// store returns the pages of a backed page's store.
func (h *lcRun) store(pg lcPage) []uint64 {
	if pg.seg == 0 {
		return h.file[:h.fsize]
	}
	return h.shm[pg.seg-1]
}

// read returns what a read of the page gives: its value or a signal.
func (h *lcRun) read(pg lcPage) (uint64, Signal) {
	switch {
	case pg.prot == ProtNone:
		return 0, SigSEGVAccErr
	case !pg.backed || pg.priv:
		return pg.val, SigNone
	case pg.idx >= uint64(len(h.store(pg))):
		return 0, SigBUSAdrErr
	}
	return h.store(pg)[pg.idx], SigNone
}

func protName(p Prot) string {
	switch p {
	case ProtRead | ProtWrite:
		return "PROT_READ|PROT_WRITE"
	case ProtRead:
		return "PROT_READ"
	}
	return "PROT_NONE"
}

func sigOrZero(s Signal) string {
	if s == SigNone {
		return "0"
	}
	return s.String()
}

const (
	lcMayMove   = 1
	lcFixed     = 2
	lcDontUnmap = 4
)

var lcRemapNames = map[uint64]string{0: "0", lcMayMove: "MREMAP_MAYMOVE", lcMayMove | lcFixed: "MREMAP_MAYMOVE|MREMAP_FIXED",
	lcMayMove | lcFixed | lcDontUnmap: "MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP", lcMayMove | lcDontUnmap: "MREMAP_MAYMOVE|MREMAP_DONTUNMAP"}

// gen makes a random operation from the model's state.
func (h *lcRun) gen(rng *rand.Rand, nextChild *int) lcOp {
	ids := make([]int, 0, len(h.procs))
	for id := range h.procs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	pr := h.procs[ids[rng.IntN(len(ids))]]
	window := func() uint64 {
		if rng.IntN(2) == 0 {
			return lcWinA/lcP + uint64(rng.IntN(lcWinSize-4))
		}
		return lcWinB/lcP + uint64(rng.IntN(lcWinSize-4))
	}
	prot := func() Prot {
		switch rng.IntN(6) {
		case 0:
			return ProtRead
		case 1:
			return ProtNone
		}
		return ProtRead | ProtWrite
	}
	// run picks a fully mapped range of up to max pages.
	run := func(max int) (uint64, uint64, bool) {
		vpns := pr.mapped()
		if len(vpns) == 0 {
			return 0, 0, false
		}
		first := vpns[rng.IntN(len(vpns))]
		want, n := uint64(1+rng.IntN(max)), uint64(1)
		for n < want && pr.fullyMapped(first+n, 1) {
			n++
		}
		return first, n, true
	}
	op := lcOp{proc: pr.id}
	switch k := rng.IntN(100); {
	case k < 12:
		op.kind, op.vpn, op.n, op.prot = lcMmap, window(), uint64(1+rng.IntN(6)), prot()
		switch rng.IntN(6) {
		case 0:
			op.kind, op.arg = lcMmapFile, uint64(rng.IntN(lcFile-4))
		case 1:
			op.kind, op.arg = lcMmapSharedFile, uint64(rng.IntN(lcFile-4))
		case 2:
			op.kind = lcMmapShm
		}
	case k < 18:
		op.kind, op.vpn, op.n = lcMunmap, window(), uint64(1+rng.IntN(6))
		if f, n, ok := run(8); ok && rng.IntN(3) == 0 {
			op.vpn, op.n = f, n
		}
	case k < 26:
		op.kind, op.prot = lcMprotect, prot()
		op.vpn, op.n, _ = run(6)
	case k < 30:
		op.kind, op.arg, op.val = lcPwrite, uint64(rng.IntN(lcFile)), uint64(1+rng.IntN(255))
	case k < 32:
		op.kind, op.arg = lcTruncate, uint64(rng.IntN(lcFile+1))
	case k < 35:
		op.kind = lcDontneed
		op.vpn, op.n, _ = run(6)
		if rng.IntN(3) == 0 {
			op.val = 9 // MADV_REMOVE
		}
	case k < 38:
		op.kind, op.val = lcForkAdvice, []uint64{10, 11, 18, 19}[rng.IntN(4)]
		op.vpn, op.n, _ = run(6)
	case k < 41:
		op.kind, op.val = lcKeepAdvice, lcKeepCalls[rng.IntN(len(lcKeepCalls))].code
		op.vpn, op.n, _ = run(6)
		if rng.IntN(4) == 0 {
			op.n += uint64(rng.IntN(3)) // maybe over a hole
		}
	case k < 55:
		op.kind = lcWrite
		if vpns := pr.mapped(); len(vpns) > 0 {
			op.vpn, op.n = vpns[rng.IntN(len(vpns))], 1
		}
	case k < 58:
		op.kind = lcPopulate
		op.vpn, op.n, _ = run(6)
	case k < 62:
		op.kind = lcBrk
		op.arg = uint64(int64(pr.brk) + int64(rng.IntN(11)-4)*lcP)
	case k < 84:
		op.kind = lcMremap
		first, n, ok := run(8)
		if !ok {
			break
		}
		if off := uint64(rng.IntN(int(n))); rng.IntN(2) == 0 {
			first, n = first+off, n-off
		}
		op.vpn, op.n, op.arg = first, n, uint64(1+rng.IntN(10))
		switch rng.IntN(5) {
		case 1:
			op.val = lcMayMove
		case 2:
			op.val, op.dst = lcMayMove|lcFixed, window()
		case 3:
			op.val, op.arg, op.dst = lcMayMove|lcFixed|lcDontUnmap, n, window()
		case 4:
			op.val, op.arg = lcMayMove|lcDontUnmap, n
		}
	case k < 92:
		op.kind = lcFork
		*nextChild++
		op.arg = uint64(*nextChild)
	default:
		op.kind = lcExit
	}
	return op
}

// exec applies op to the engine and the model and checks what it can. An
// operation that no longer applies (its process is gone, or its range is
// not wholly mapped, as minimization leaves them) is skipped.
func (h *lcRun) exec(op lcOp) error {
	pr := h.procs[op.proc]
	if pr == nil {
		return nil
	}
	switch op.kind {
	case lcMmap, lcMmapFile, lcMmapSharedFile, lcMmapShm:
		if op.n == 0 {
			return nil
		}
		a := op.vpn * lcP
		switch op.kind {
		case lcMmapFile, lcMmapSharedFile:
			flags, shared, name := uint64(0x12), false, "MAP_PRIVATE"
			if op.kind == lcMmapSharedFile {
				flags, shared, name = 0x11, true, "MAP_SHARED"
			}
			h.logf(pr, "mmap(%#x, %d*P, %s, %s|MAP_FIXED, 3, %d*P) = %#x", a, op.n, protName(op.prot), name, op.arg, a)
			if err := h.expect(h.call(pr, "mmap", vals(a, op.n*lcP, uint64(op.prot), flags, 3, op.arg*lcP)...), a); err != nil {
				return err
			}
			for i := range op.n {
				pr.pages[op.vpn+i] = lcPage{prot: op.prot, backed: true, shared: shared, idx: op.arg + i}
			}
			return nil
		case lcMmapShm:
			h.logf(pr, "mmap(%#x, %d*P, %s, MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = %#x", a, op.n, protName(op.prot), a)
			if err := h.expect(h.call(pr, "mmap", vals(a, op.n*lcP, uint64(op.prot), 0x31, ^uint64(0), 0)...), a); err != nil {
				return err
			}
			h.shm = append(h.shm, make([]uint64, op.n))
			for i := range op.n {
				pr.pages[op.vpn+i] = lcPage{prot: op.prot, backed: true, shared: true, seg: len(h.shm), idx: i}
			}
			return nil
		}
		h.logf(pr, "mmap(%#x, %d*P, %s, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = %#x", a, op.n, protName(op.prot), a)
		if err := h.expect(h.call(pr, "mmap", vals(a, op.n*lcP, uint64(op.prot), 0x32, ^uint64(0), 0)...), a); err != nil {
			return err
		}
		for i := range op.n {
			pr.pages[op.vpn+i] = lcPage{prot: op.prot}
		}
	case lcMunmap:
		h.logf(pr, "munmap(%#x, %d*P) = 0", op.vpn*lcP, op.n)
		if err := h.expect(h.call(pr, "munmap", vals(op.vpn*lcP, op.n*lcP)...), 0); err != nil {
			return err
		}
		for i := range op.n {
			delete(pr.pages, op.vpn+i)
		}
	case lcMprotect:
		if op.n == 0 || !pr.fullyMapped(op.vpn, op.n) {
			return nil
		}
		h.logf(pr, "mprotect(%#x, %d*P, %s) = 0", op.vpn*lcP, op.n, protName(op.prot))
		if err := h.expect(h.call(pr, "mprotect", vals(op.vpn*lcP, op.n*lcP, uint64(op.prot))...), 0); err != nil {
			return err
		}
		for i := range op.n {
			pg := pr.pages[op.vpn+i]
			pg.prot = op.prot
			pr.pages[op.vpn+i] = pg
		}
	case lcPwrite:
		h.logf(pr, "pwrite64(3, \"\\x%02x\", 1, %d*P) = 1", op.val, op.arg)
		r := h.call(pr, "pwrite64", Arg{Val: 3}, Arg{Str: string([]byte{byte(op.val)}), IsStr: true}, Arg{Val: 1}, Arg{Val: op.arg * lcP})
		if err := h.expect(r, 1); err != nil {
			return err
		}
		h.file[op.arg] = op.val
		h.fsize = max(h.fsize, op.arg+1)
	case lcTruncate:
		h.logf(pr, "ftruncate(3, %d*P) = 0", op.arg)
		if err := h.expect(h.call(pr, "ftruncate", vals(3, op.arg*lcP)...), 0); err != nil {
			return err
		}
		if op.arg < h.fsize {
			clear(h.file[op.arg:h.fsize])
			// truncate_pagecache: private copies past the end go too.
			for _, q := range h.procs {
				for v, pg := range q.pages {
					if pg.backed && pg.seg == 0 && pg.priv && pg.idx >= op.arg {
						q.pages[v] = dropped(pg)
					}
				}
			}
		}
		h.fsize = op.arg
	case lcDontneed:
		if op.n == 0 || !pr.fullyMapped(op.vpn, op.n) || h.locked(pr, op.vpn, op.n) {
			return nil // EINVAL on VM_LOCKED memory, after the VMAs before it
		}
		if op.val == 9 {
			return h.remove(pr, op)
		}
		h.logf(pr, "madvise(%#x, %d*P, MADV_DONTNEED) = 0", op.vpn*lcP, op.n)
		if err := h.expect(h.call(pr, "madvise", vals(op.vpn*lcP, op.n*lcP, 4)...), 0); err != nil {
			return err
		}
		for i := range op.n {
			pr.pages[op.vpn+i] = dropped(pr.pages[op.vpn+i])
		}
	case lcKeepAdvice:
		if op.n == 0 {
			return nil
		}
		// Whatever the engine answers, no page changes, but for mlock's
		// populate (below).
		c := lcKeepCalls[slices.IndexFunc(lcKeepCalls, func(c lcCall) bool { return c.code == op.val })]
		if op.val == lcMlock {
			return h.mlock(pr, op)
		}
		args := vals(op.vpn*lcP, op.n*lcP, op.val)
		name, what := "madvise", ", "+c.name
		switch op.val {
		case lcMlock, lcMunlock:
			name, what, args = c.name, "", args[:2]
		case lcMlock2:
			name, what, args = c.name, ", MLOCK_ONFAULT", vals(op.vpn*lcP, op.n*lcP, 1)
		}
		r := h.call(pr, name, args...)
		h.logf(pr, "%s(%#x, %d*P%s) = %v", name, op.vpn*lcP, op.n, what, r)
		return h.checkAll()
	case lcForkAdvice:
		if op.n == 0 || !pr.fullyMapped(op.vpn, op.n) {
			return nil
		}
		names := map[uint64]string{10: "MADV_DONTFORK", 11: "MADV_DOFORK", 18: "MADV_WIPEONFORK", 19: "MADV_KEEPONFORK"}
		if op.val == 18 {
			for i := range op.n {
				if pr.pages[op.vpn+i].backed {
					return nil // EINVAL on a file or shmem mapping, after the VMAs before it
				}
			}
		}
		h.logf(pr, "madvise(%#x, %d*P, %s) = 0", op.vpn*lcP, op.n, names[op.val])
		if err := h.expect(h.call(pr, "madvise", vals(op.vpn*lcP, op.n*lcP, op.val)...), 0); err != nil {
			return err
		}
		for i := range op.n {
			pg := pr.pages[op.vpn+i]
			switch op.val {
			case 10, 11:
				pg.dontFork = op.val == 10
			default:
				pg.wipeOnFork = op.val == 18
			}
			pr.pages[op.vpn+i] = pg
		}
	case lcWrite:
		pg, ok := pr.pages[op.vpn]
		if op.n == 0 || !ok {
			return nil
		}
		var want Signal
		if pg.prot&ProtWrite == 0 {
			want = SigSEGVAccErr
		} else if pg.backed && !pg.priv && pg.idx >= uint64(len(h.store(pg))) {
			want = SigBUSAdrErr
		}
		h.logf(pr, "touch(%#x, P, \"w\", %d) = %s", op.vpn*lcP, op.val, sigOrZero(want))
		if got := h.e.Touch(pr.p, op.vpn*lcP, lcP, AccessWrite, op.val); got != want {
			return fmt.Errorf("touch: got %v, want %v", got, want)
		}
		switch {
		case want != SigNone:
		case pg.shared:
			h.store(pg)[pg.idx] = op.val
		default:
			pg.val, pg.priv = op.val, true
			pr.pages[op.vpn] = pg
		}
	case lcMremap:
		if op.n == 0 || !pr.fullyMapped(op.vpn, op.n) {
			return nil
		}
		return h.mremap(pr, op)
	case lcBrk:
		return h.brk(pr, op.arg)
	case lcPopulate:
		if op.n == 0 || !pr.fullyMapped(op.vpn, op.n) {
			return nil
		}
		for i := range op.n {
			pg := pr.pages[op.vpn+i]
			if _, sig := h.read(pg); sig != SigNone || pg.prot&ProtWrite == 0 {
				return nil // EINVAL or EFAULT
			}
		}
		// Every page is faulted for write (private ones copied, where
		// shared); what each holds stays.
		h.logf(pr, "madvise(%#x, %d*P, MADV_POPULATE_WRITE) = 0", op.vpn*lcP, op.n)
		if err := h.expect(h.call(pr, "madvise", vals(op.vpn*lcP, op.n*lcP, 23)...), 0); err != nil {
			return err
		}
		h.populateWrite(pr, op.vpn, op.n)
	case lcFork:
		if len(h.procs) >= lcMaxProc {
			return nil
		}
		child := &lcProc{id: int(op.arg), pages: make(map[uint64]lcPage, len(pr.pages)), brk: pr.brk}
		for v, pg := range pr.pages {
			switch {
			case pg.dontFork:
			case pg.wipeOnFork:
				pg.val = 0
				child.pages[v] = pg
			default:
				child.pages[v] = pg
			}
		}
		h.logf(pr, "fork() = %s", strings.TrimSpace(child.name()))
		cp, err := h.e.Fork(pr.p, 1000+child.id)
		if err != nil {
			return fmt.Errorf("fork: %v", err)
		}
		child.p = cp
		h.procs[child.id] = child
		return h.checkAll()
	case lcExit:
		if len(h.procs) < 2 {
			return nil
		}
		h.logf(pr, "exit(0)")
		h.e.Exit(pr.p)
		delete(h.procs, pr.id)
		return h.checkAll()
	case lcCheck:
		return h.checkAll()
	}
	return nil
}

// brk moves pr's break to nb where the engine lets it (the kernel
// differential checks where it may): the heap grows by fresh private
// anonymous pages (a VMA of its own flags: DONTFORK and WIPEONFORK do not
// carry over) or shrinks, unmapping what lies between.
func (h *lcRun) brk(pr *lcProc, nb uint64) error {
	r := h.call(pr, "brk", Arg{Val: nb})
	if r.Failed() || r.Ret != nb && r.Ret != pr.brk {
		return fmt.Errorf("brk(%#x): got %v, want %#x or %#x", nb, r, nb, pr.brk)
	}
	h.logf(pr, "brk(%#x) = %#x", nb, r.Ret)
	if r.Ret != nb || nb == pr.brk {
		return nil
	}
	for v := nb / lcP; v < pr.brk/lcP; v++ {
		delete(pr.pages, v)
	}
	for v := pr.brk / lcP; v < nb/lcP; v++ {
		pr.pages[v] = lcPage{prot: ProtRead | ProtWrite}
	}
	pr.brk = nb
	return nil
}

// remove makes MADV_REMOVE of op's range where every page is shared: it
// punches a hole in the stores there (they read zeros, in every mapping;
// private copies of the file's pages stay).
func (h *lcRun) remove(pr *lcProc, op lcOp) error {
	for i := range op.n {
		if !pr.pages[op.vpn+i].shared {
			return nil // EINVAL or EACCES, after the VMAs before it
		}
	}
	h.logf(pr, "madvise(%#x, %d*P, MADV_REMOVE) = 0", op.vpn*lcP, op.n)
	if err := h.expect(h.call(pr, "madvise", vals(op.vpn*lcP, op.n*lcP, 9)...), 0); err != nil {
		return err
	}
	for i := range op.n {
		pg := pr.pages[op.vpn+i]
		if st := h.store(pg); pg.idx < uint64(len(st)) {
			st[pg.idx] = 0
		}
	}
	return nil
}

// mlock locks op's range where the result is plain (every page mapped,
// accessible and not past the end of its store) and populates it as
// populate_vma_page_range does: writable private mappings are faulted for
// write, so private file pages become the process's copies of the file as
// it is now.
func (h *lcRun) mlock(pr *lcProc, op lcOp) error {
	if !pr.fullyMapped(op.vpn, op.n) {
		return nil
	}
	for i := range op.n {
		if _, sig := h.read(pr.pages[op.vpn+i]); sig != SigNone {
			return nil // ENOMEM: populate fails on PROT_NONE or past the end
		}
	}
	h.logf(pr, "mlock(%#x, %d*P) = 0", op.vpn*lcP, op.n)
	if err := h.expect(h.call(pr, "mlock", vals(op.vpn*lcP, op.n*lcP)...), 0); err != nil {
		return err
	}
	h.populateWrite(pr, op.vpn, op.n)
	return h.checkAll()
}

// populateWrite applies a populate of [vpn, vpn+n) to the model: writable
// private file pages not yet copied become copies of the file.
func (h *lcRun) populateWrite(pr *lcProc, vpn, n uint64) {
	for i := range n {
		pg, ok := pr.pages[vpn+i]
		if !ok || !pg.backed || pg.shared || pg.priv || pg.prot&ProtWrite == 0 {
			continue
		}
		if v, sig := h.read(pg); sig == SigNone {
			pg.val, pg.priv = v, true
			pr.pages[vpn+i] = pg
		}
	}
}

// lcCall is an madvise behaviour (or a locking call) that changes no
// page's contents.
type lcCall struct {
	code uint64
	name string
}

const (
	lcMlock   = 1000
	lcMunlock = 1001
	lcMlock2  = 1002
)

var lcKeepCalls = []lcCall{{0, "MADV_NORMAL"}, {1, "MADV_RANDOM"}, {2, "MADV_SEQUENTIAL"}, {3, "MADV_WILLNEED"},
	{12, "MADV_MERGEABLE"}, {13, "MADV_UNMERGEABLE"}, {14, "MADV_HUGEPAGE"}, {15, "MADV_NOHUGEPAGE"},
	{16, "MADV_DONTDUMP"}, {17, "MADV_DODUMP"}, {20, "MADV_COLD"}, {21, "MADV_PAGEOUT"},
	{22, "MADV_POPULATE_READ"}, {25, "MADV_COLLAPSE"},
	{lcMlock, "mlock"}, {lcMunlock, "munlock"}, {lcMlock2, "mlock2"}}

// mremap makes the mremap of op and, when the engine accepts it, applies
// its effect to the model.
func (h *lcRun) mremap(pr *lcProc, op lcOp) error {
	first, oldLen, newLen, flags := op.vpn, op.n, op.arg, op.val
	// mremap of VM_LOCKED memory populates what it grows by (mm_populate),
	// unless it was locked on fault.
	locked := h.locked(pr, first, 1)
	pr.p.VS.Map.Range(first*lcP, (first+1)*lcP, func(en Entry) bool {
		locked = locked && en.LFlags&LinuxLockOnFault == 0
		return true
	})
	r := h.call(pr, "mremap", vals(first*lcP, oldLen*lcP, newLen*lcP, flags, op.dst*lcP)...)
	if r.Failed() {
		h.logf(pr, "mremap(%#x, %d*P, %d*P, %s, %#x) = %v", first*lcP, oldLen, newLen, lcRemapNames[flags], op.dst*lcP, r)
		return nil
	}
	h.logf(pr, "mremap(%#x, %d*P, %d*P, %s, %#x) = %#x", first*lcP, oldLen, newLen, lcRemapNames[flags], op.dst*lcP, r.Ret)
	if r.Ret%lcP != 0 {
		return fmt.Errorf("mremap returned an unaligned address")
	}
	to := r.Ret / lcP
	base := pr.pages[first] // a resized or grown VMA is one VMA: its first page tells
	if to == first && flags&lcFixed == 0 {
		for i := newLen; i < oldLen; i++ {
			delete(pr.pages, first+i)
		}
		for i := oldLen; i < newLen; i++ {
			pr.pages[first+i] = fresh(base, i)
		}
		if locked && newLen > oldLen {
			h.populateWrite(pr, first+oldLen, newLen-oldLen)
		}
		return nil
	}
	moved := make(map[uint64]lcPage)
	for i := range min(oldLen, newLen) {
		if pg, ok := pr.pages[first+i]; ok {
			moved[i] = pg
		}
	}
	for i := range oldLen {
		if pg, ok := pr.pages[first+i]; ok && flags&lcDontUnmap != 0 {
			pr.pages[first+i] = dropped(pg)
		} else {
			delete(pr.pages, first+i)
		}
	}
	for i := range newLen {
		if pg, ok := moved[i]; ok {
			pr.pages[to+i] = pg
		} else if i >= oldLen {
			pr.pages[to+i] = fresh(base, i)
		} else {
			delete(pr.pages, to+i)
		}
	}
	if locked && newLen > oldLen && flags&lcDontUnmap == 0 {
		h.populateWrite(pr, to+oldLen, newLen-oldLen)
	}
	return nil
}

// checkAll reads back every page of every process.
func (h *lcRun) checkAll() error {
	ids := make([]int, 0, len(h.procs))
	for id := range h.procs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		pr := h.procs[id]
		for _, v := range pr.mapped() {
			want, wantSig := h.read(pr.pages[v])
			if wantSig != SigNone {
				h.logf(pr, "peek(%#x) = %v", v*lcP, wantSig)
			} else {
				h.logf(pr, "peek(%#x) = %d", v*lcP, want)
			}
			got, sig := h.e.Peek(pr.p, v*lcP)
			if sig != wantSig || sig == SigNone && got != want {
				return fmt.Errorf("%speek(%#x): got %d %v, want %d %v", pr.name(), v*lcP, got, sig, want, wantSig)
			}
		}
	}
	return nil
}

// replayLC runs ops on a fresh engine and model and returns the first
// failure with the log up to it.
func replayLC(ops []lcOp) ([]string, error) {
	h, err := newLCRun()
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if err := h.exec(op); err != nil {
			return h.log, err
		}
		if err := h.e.Check(); err != nil {
			return h.log, fmt.Errorf("invariant broken: %v", err)
		}
	}
	return h.log, nil
}

// minimizeLC removes operations from a failing list while it still fails,
// for up to a minute (VMSCOPE_LCONTENT_MINIMIZE seconds).
func minimizeLC(ops []lcOp) []lcOp {
	limit := time.Minute
	if s, err := strconv.Atoi(os.Getenv("VMSCOPE_LCONTENT_MINIMIZE")); err == nil && s > 0 {
		limit = time.Duration(s) * time.Second
	}
	deadline := time.Now().Add(limit)
	for chunk := len(ops) / 2; chunk >= 1; chunk /= 2 {
		for i := 0; i+chunk <= len(ops) && time.Now().Before(deadline); {
			cand := append(slices.Clone(ops[:i]), ops[i+chunk:]...)
			if _, err := replayLC(cand); err != nil {
				ops = cand
			} else {
				i += chunk
			}
		}
	}
	return ops
}

func runLinuxContent(t *testing.T, seed uint64, n int) {
	h, err := newLCRun()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 0x11c0))
	var ops []lcOp
	children := 0
	step := func(op lcOp) error {
		ops = append(ops, op)
		if err := h.exec(op); err != nil {
			return err
		}
		if err := h.e.Check(); err != nil {
			return fmt.Errorf("invariant broken: %v", err)
		}
		return nil
	}
	for i := 0; i < n; i++ {
		op := h.gen(rng, &children)
		if op.kind == lcWrite {
			op.val = uint64(1000 + i)
		}
		err := step(op)
		if err == nil && i%16 == 15 {
			err = step(lcOp{kind: lcCheck})
		}
		if err == nil {
			continue
		}
		min := minimizeLC(ops)
		mlog, merr := replayLC(min)
		path := fmt.Sprintf("%s/vmscope-lcontent-%d.scn", os.TempDir(), seed)
		_ = os.WriteFile(path, []byte("@personality linux\n"+strings.Join(mlog, "\n")+"\n"), 0o644)
		t.Fatalf("seed %d, operation %d: %v\nminimized to %d operations (%v), as a scenario (also in %s):\n@personality linux\n%s",
			seed, len(ops), err, len(min), merr, path, strings.Join(mlog, "\n"))
	}
	if err := h.checkAll(); err != nil {
		t.Fatalf("seed %d, at the end: %v", seed, err)
	}
}

// TestLinuxContentDifferential runs the model beside the engine on seeds
// VMSCOPE_LCONTENT_FIRST (1) .. +VMSCOPE_LCONTENT_SEEDS (40) of
// VMSCOPE_LCONTENT_OPS (3,000) operations each.
func TestLinuxContentDifferential(t *testing.T) {
	seeds, first, ops := 40, 1, 3000
	if s, err := strconv.Atoi(os.Getenv("VMSCOPE_LCONTENT_OPS")); err == nil && s > 0 {
		ops = s
	}
	if s, err := strconv.Atoi(os.Getenv("VMSCOPE_LCONTENT_SEEDS")); err == nil && s > 0 {
		seeds = s
	}
	if s, err := strconv.Atoi(os.Getenv("VMSCOPE_LCONTENT_FIRST")); err == nil && s > 0 {
		first = s
	}
	if testing.Short() {
		seeds = 5
	}
	for seed := first; seed < first+seeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runLinuxContent(t, uint64(seed), ops) })
	}
}

// FuzzLinuxContent runs the model from fuzzer-chosen seeds and lengths.
func FuzzLinuxContent(f *testing.F) {
	f.Add(uint64(1), uint16(500))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16) {
		runLinuxContent(t, seed, int(n%3000))
	})
}
