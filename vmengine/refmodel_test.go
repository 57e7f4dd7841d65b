package vmengine

// A differential test of the engine against a page-level reference model of
// FreeBSD 14's user-visible VM semantics.
//
// The model shares no code with the engine. It keeps, for every page of a
// fixed window of each process's address space, what a user can observe:
// whether the page is mapped, its protection and maximum protection, its
// inheritance, whether it is a guard page, whether it is user-wired, its
// madvise/mmap entry flags, and which memory it shows. Every expected result
// is derived from the FreeBSD rules (sys/vm/vm_mmap.c kern_* argument checks
// in the kernel's order; vm_map.c's protect/inherit/madvise/wire/unwire/
// fork rules; vm_fault's copy-on-write rules), written out here at page
// granularity.
//
// Memory is modelled with Mach semantics, per page: a page points to a cell;
// a cell holds a value or shows the cell below it ("back"); a private page
// that was copied at fork is marked needs-copy and its first write pushes a
// fresh cell on top (the shadow), while a shared page (MAP_SHARED or
// INHERIT_SHARE) is one cell seen by every sharer. This is what FreeBSD does
// too, including its famous corner: a page that is shared with one process
// and then copied (INHERIT_COPY) into a second child keeps showing the
// sharer's later writes to both the parent and the copy until each of them
// writes the page itself (vm_map_copy_entry marks the *parent* entry
// NEEDS_COPY as well; nothing copies the page at fork). Wiring a writable
// page (mlock, or mprotect adding write to a user-wired page) is a write
// fault without a store: it copies the page up into the page's own cell.
//
// Accesses follow the amd64 MMU first: a present PTE satisfies an access it
// allows, and amd64 has no unreadable present page, so a PROT_WRITE- or
// PROT_EXEC-only page reads fine once something has mapped it. The model
// tracks only whether a PTE can be present (mapping, mprotect to NONE,
// msync INVALIDATE and fresh or ZERO pages clear it); where it may be, such
// a read may succeed (with the right content) or raise SEGV_ACCERR.
//
// Files: every run opens one file (fd 3, read-write, inherited by every
// child) whose pages are cells of their own, the vnode object's: a shared
// mapping shows them, a private one shows them until it writes (needs-copy
// over them), pwrite changes them, ftruncate cuts them (they read 0 when
// the file grows again), and a fault that reaches one past the end of the
// file raises SIGBUS (vm_fault: pindex >= object->size). Private copies
// made before a truncation stay (vnode_pager_setsize leaves shadow objects
// alone). Wiring (mlock, mlockall, MAP_WIREFUTURE) faults every page, so a
// page past the end fails it: mlock ENOMEM, mlockall EAGAIN, the new
// mapping of mmap left unwired.
//
// Operations: mmap (MAP_FIXED anonymous private/shared/neither, PROT_MAX,
// MAP_GUARD, MAP_EXCL, NOSYNC/NOCORE and harmless flags, invalid
// combinations; the file, shared or private, at a page offset, with bad
// descriptors and offsets among them; non-fixed with the hint rules and
// first fit, adopted when the model can track the result), munmap,
// mprotect (with PROT_MAX), minherit, madvise (all advice, MADV_PROTECT),
// mlock, munlock, mlockall, munlockall, msync, pwrite and ftruncate of the
// file, touch r/w/x, peek, fork, exit — with unaligned, empty, wrapping
// and out-of-map arguments among them.
//
// Each operation runs on both sides; after every operation the result
// (value, errno or signal) is compared, the engine's map entries are
// compared page by page with the model (prot, max_prot, inheritance, guard,
// user wiring, NOSYNC/NOCORE/behaviour flags; nothing may be mapped outside
// the model's pages), and Engine.Check must hold. Page contents are read
// back with Peek by explicit "check" operations (after every fork and exit
// and at random points). A mismatch reports the op, the process, expected
// and actual, the last operations in scenario syntax, and a minimized
// replayable scenario.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The FreeBSD amd64 layout the personality sets up (checked at start).
const (
	refP       = 4096
	refMin     = 0x1000
	refMax     = 0x7fffffffe000
	refTAddr   = 0x200000
	refDAddr   = 0x400000
	refMaxDSiz = 32 << 30
	// round_page(vm_daddr + lim_max(RLIMIT_DATA)): where non-fixed mmaps
	// without a usable hint are placed (first fit from here).
	refHeapEnd = refDAddr + refMaxDSiz

	refBase    = refHeapEnd // first page the model tracks
	refPages   = 256        // pages the model tracks
	refWindow  = 72         // generated ranges start in the first refWindow pages
	refMaxLive = 4          // live processes at most (generator)

	refLimit = refBase + refPages*refP

	refFilePages = 32 // pages of the file the model tracks: mappings, pwrite and ftruncate stay inside
	refFileInit  = 8  // pages the file has at the start of a run
	refFD        = 3  // the file's descriptor in every process
)

// FreeBSD mman.h values used by the generator and the model.
const (
	rMapShared   = 0x1
	rMapPrivate  = 0x2
	rMapFixed    = 0x10
	rMapRes0020  = 0x20
	rMapRes0040  = 0x40
	rMapRes0080  = 0x80
	rMapHasSema  = 0x200
	rMapStack    = 0x400
	rMapNoSync   = 0x800
	rMapAnon     = 0x1000
	rMapGuard    = 0x2000
	rMapExcl     = 0x4000
	rMapNoCore   = 0x20000
	rMapPrefault = 0x40000
	rMap32Bit    = 0x80000
	rMapAlignMsk = 0xff << 24
	rMap32Max    = 1 << 31
)

// ---------------------------------------------------------------------------
// The model.

// refCell is one piece of memory at page granularity: a value, or (has
// false) whatever the cell below shows, or zero at the bottom. A page of
// the file is a cell with file set (and always a value).
type refCell struct {
	val  uint64
	has  bool
	back *refCell
	file *refFile
	idx  int // the file page this cell is
}

// read returns what the cell shows; bus reports that it shows a page of
// the file past the file's end (a fault there raises SIGBUS).
func (c *refCell) read() (v uint64, bus bool) {
	for ; c != nil; c = c.back {
		if c.file != nil && c.idx >= c.file.pages() {
			return 0, true
		}
		if c.has {
			return c.val, false
		}
	}
	return 0, false
}

// filePage returns the file page the cell shows, or nil when it shows a
// value of its own (or zero memory).
func (c *refCell) filePage() *refCell {
	for ; c != nil; c = c.back {
		if c.file != nil {
			return c
		}
		if c.has {
			return nil
		}
	}
	return nil
}

// refFile is the file the model's fd names: its size and its pages. A
// page's cell is the vnode object's page, shared by every mapping.
// tainted marks pages that were cut off while a process had them wired:
// FreeBSD keeps such a page in the object, wired and invalid
// (vm_object_page_remove), and vm_fault_copy_entry (fork of wired writable
// memory, write access added to user-wired memory) copies its stale
// contents; the harness leaves those two operations out there.
type refFile struct {
	size    uint64
	cells   [refFilePages]*refCell
	tainted [refFilePages]bool
}

func newRefFile(size uint64) *refFile {
	f := &refFile{size: size}
	for i := range f.cells {
		f.cells[i] = &refCell{has: true, file: f, idx: i}
	}
	return f
}

// pages is the file's size in pages, the last partial page included
// (the vnode object's size).
func (f *refFile) pages() int { return int(refRound(f.size) / refP) }

// write is pwrite of n bytes of value v at off: every page it touches
// holds v (the model's contents are a value per page), and the file grows
// to off+n.
func (f *refFile) write(off, n, v uint64) {
	if n == 0 {
		return
	}
	for i := off / refP; i <= (off+n-1)/refP; i++ {
		f.cells[i].val = v
	}
	f.size = max(f.size, off+n)
}

// truncate is ftruncate (vnode_pager_setsize): pages past the new end are
// dropped, so they read 0 if the file grows again. procs are the live
// processes, whose wired pages of the file a cut taints.
func (f *refFile) truncate(size uint64, procs []*refProc) {
	f.size = size
	for i := f.pages(); i < refFilePages; i++ {
		f.cells[i].val = 0
		for _, rp := range procs {
			for j := range rp.pages {
				pg := &rp.pages[j]
				if pg.mapped && pg.wired && pg.obj.filePage() == f.cells[i] {
					f.tainted[i] = true
				}
			}
		}
	}
}

// staleCopy reports that copying pg now would go through
// vm_fault_copy_entry to a page the model cannot know (see refFile).
func (pg *refPage) staleCopy() bool {
	c := pg.obj.filePage()
	return c != nil && c.file.tainted[c.idx]
}

// refPage is what a process can observe about one page.
type refPage struct {
	mapped bool
	guard  bool
	wired  bool // user-wired (mlock)
	nc     bool // needs copy: the first write gets a private cell on top
	pte    bool // a page-table entry may be present (false: certainly not)
	prot   Prot
	max    Prot
	inh    Inherit
	flags  EFlags   // NOSYNC, NOCOREDUMP and behaviour bits only
	obj    *refCell // nil: private memory never touched (zero)
}

const refFlagMask = EntryNoSync | EntryNoCoreDump | EntryBehavMask

// write stores v as a write fault would: a needs-copy page gets a cell of
// its own first (vm_object_shadow), and a page without memory gets some.
func (pg *refPage) write(v uint64) {
	if pg.nc {
		pg.obj = &refCell{back: pg.obj}
		pg.nc = false
	}
	if pg.obj == nil {
		pg.obj = &refCell{}
	}
	pg.obj.val, pg.obj.has = v, true
}

// copyUp is a write fault that stores nothing: the page's current content
// is copied into its own cell (wiring a writable page, vm_fault_copy_entry).
func (pg *refPage) copyUp() {
	v, _ := pg.obj.read()
	switch {
	case pg.nc:
		pg.obj = &refCell{val: v, has: true}
		pg.nc = false
	case pg.obj == nil:
		pg.obj = &refCell{val: v, has: true}
	case !pg.obj.has:
		pg.obj.val, pg.obj.has = v, true
	}
}

// refProc is one process: the engine's process and the model's pages.
type refProc struct {
	id         int // stable id: 0 for the first process, then by fork order
	p          *Process
	pages      [refPages]refPage
	wireFuture bool // mlockall(MCL_FUTURE): MAP_WIREFUTURE
}

func (rp *refProc) name() string {
	if rp.id == 0 {
		return "main"
	}
	return fmt.Sprintf("$p%d", rp.id)
}

// prefix is the scenario line prefix naming the process.
func (rp *refProc) prefix() string {
	if rp.id == 0 {
		return ""
	}
	return fmt.Sprintf("$p%d ", rp.id)
}

func refIdx(a uint64) (int, bool) {
	if a < refBase || a >= refLimit {
		return 0, false
	}
	return int((a - refBase) / refP), true
}

func refAddr(i int) uint64 { return refBase + uint64(i)*refP }

// at returns the page holding a, or nil outside the model's pages (where
// nothing is ever mapped).
func (rp *refProc) at(a uint64) *refPage {
	if i, ok := refIdx(a); ok {
		return &rp.pages[i]
	}
	return nil
}

func (rp *refProc) mapped(a uint64) bool {
	pg := rp.at(a)
	return pg != nil && pg.mapped
}

// span returns the model page indexes [lo, hi) inside [start, end).
func refSpan(start, end uint64) (int, int) {
	if end <= refBase || start >= refLimit || start >= end {
		return 0, 0
	}
	s := max(start, refBase)
	e := min(end, refLimit)
	return int((s - refBase) / refP), int((e - refBase + refP - 1) / refP)
}

func refTrunc(a uint64) uint64 { return a &^ (refP - 1) }

// refRound is round_page with C's wraparound.
func refRound(a uint64) uint64 { return (a + refP - 1) &^ (refP - 1) }

// refClamp is VM_MAP_RANGE_CHECK.
func refClamp(start, end uint64) (uint64, uint64) {
	if start < refMin {
		start = refMin
	}
	if end > refMax {
		end = refMax
	}
	if start > end {
		start = end
	}
	return start, end
}

// unmap removes [start, end) (page aligned).
func (rp *refProc) unmap(start, end uint64) {
	lo, hi := refSpan(start, end)
	for i := lo; i < hi; i++ {
		rp.pages[i] = refPage{}
	}
}

// firstFit returns the lowest page-aligned address >= start with len bytes
// unmapped below refMax (vm_map_findspace: first fit, never top-down).
func (rp *refProc) firstFit(start, size uint64) (uint64, bool) {
	a := max(start, refMin)
	for {
		if a >= refMax || size > refMax-a {
			return 0, false
		}
		blocked := false
		lo, hi := refSpan(a, a+size)
		for i := hi - 1; i >= lo; i-- {
			if rp.pages[i].mapped {
				a = refAddr(i + 1)
				blocked = true
				break
			}
		}
		if !blocked {
			return a, true
		}
	}
}

// modelMmap derives mmap's outcome (kern_mmap → vn_mmap → vm_mmap_object →
// vm_map_find_min / vm_map_fixed). fd is -1 or a descriptor (refFD names
// file, opened read-write); pos the file offset. apply, when not nil,
// changes the model. outside reports a successful placement the model
// cannot track.
func (rp *refProc) modelMmap(addr, length, protArg, flags, fd, pos uint64, file *refFile) (ret uint64, errno Errno, apply func(), outside bool) {
	if protArg&^uint64(7|7<<16) != 0 {
		return 0, "EINVAL", nil, false
	}
	prot := Prot(protArg & 7)
	maxp := Prot(protArg >> 16 & 7)
	if maxp != 0 && !prot.Subset(maxp) {
		return 0, "ENOTSUP", nil, false
	}
	if maxp == 0 {
		maxp = ProtAll // vm.imply_prot_max=0
	}
	flags &^= rMapRes0020 | rMapRes0040
	if length == 0 || flags&rMapAnon != 0 && (fd != ^uint64(0) || pos != 0) {
		return 0, "EINVAL", nil, false
	}
	if flags&^uint64(rMapShared|rMapPrivate|rMapFixed|rMapHasSema|rMapStack|rMapNoSync|rMapAnon|
		rMapExcl|rMapNoCore|rMapPrefault|rMapGuard|rMap32Bit|rMapAlignMsk) != 0 {
		return 0, "EINVAL", nil, false
	}
	if flags&(rMapExcl|rMapFixed) == rMapExcl {
		return 0, "EINVAL", nil, false
	}
	if flags&(rMapShared|rMapPrivate) == rMapShared|rMapPrivate {
		return 0, "EINVAL", nil, false
	}
	if flags&rMapGuard != 0 && (prot != ProtNone || fd != ^uint64(0) || pos != 0 ||
		flags&^uint64(rMapFixed|rMapGuard|rMapExcl|rMap32Bit|rMapAlignMsk) != 0) {
		return 0, "EINVAL", nil, false
	}
	pageoff := pos & (refP - 1)
	pos -= pageoff
	size := refRound(length + pageoff)
	if length+pageoff < length || length > size {
		return 0, "ENOMEM", nil, false
	}
	if flags&(rMapAlignMsk|rMapStack) != 0 {
		panic("refmodel: MAP_ALIGNED and MAP_STACK are not generated (not modelled)")
	}
	fixed := flags&rMapFixed != 0
	minAddr := uint64(0)
	if fixed {
		addr -= pageoff
		if addr&(refP-1) != 0 {
			return 0, "EINVAL", nil, false
		}
		if addr+size < addr || addr < refMin || addr+size > refMax {
			return 0, "EINVAL", nil, false
		}
		if flags&rMap32Bit != 0 && addr+size > rMap32Max {
			return 0, "EINVAL", nil, false
		}
	} else {
		if flags&rMap32Bit != 0 {
			panic("refmodel: non-fixed MAP_32BIT is not generated")
		}
		if addr == 0 || (addr >= refRound(refTAddr) && addr < refHeapEnd) {
			addr = refHeapEnd
		}
		minAddr = refHeapEnd
	}
	isFile := flags&(rMapGuard|rMapAnon) == 0
	if isFile {
		if fd != refFD {
			return 0, "EBADF", nil, false // fget_mmap
		}
		if flags&(rMapShared|rMapPrivate) == 0 {
			return 0, "EINVAL", nil, false // P_OSREL_MAP_FSTRICT
		}
		// vn_mmap: read-write descriptor, so max_prot is PROT_MAX's.
	}
	guard := flags&rMapGuard != 0
	if guard {
		prot, maxp = ProtNone, ProtNone
	}
	if fixed {
		if flags&rMapExcl != 0 {
			// MAP_CHECK_EXCL: vm_map_insert finds the range taken.
			lo, hi := refSpan(addr, addr+size)
			for i := lo; i < hi; i++ {
				if rp.pages[i].mapped {
					return 0, "ENOMEM", nil, false
				}
			}
		}
	} else {
		// vm_mmap_object rounds the hint; vm_map_find_min tries from the
		// hint, then from min_addr.
		hint := refRound(addr)
		if hint == 0 {
			hint = minAddr
		}
		a, ok := rp.firstFit(hint, size)
		if !ok && minAddr < hint {
			a, ok = rp.firstFit(minAddr, size)
		}
		if !ok {
			return 0, "ENOMEM", nil, false
		}
		addr = a
	}
	if addr < refBase || addr+size > refLimit || isFile && pos/refP+size/refP > refFilePages {
		return addr + pageoff, "", nil, true
	}
	np := refPage{mapped: true, guard: guard, prot: prot, max: maxp, inh: InheritCopy}
	if isFile {
		np.nc = flags&rMapPrivate != 0 // MAP_COPY_ON_WRITE
		// MAP_PREFAULT_PARTIAL: resident pages of the file may be entered
		// read-only at once (pmap_enter_object), executable or not.
		np.pte = prot&(ProtRead|ProtExec) != 0
	}
	if flags&rMapShared != 0 {
		np.inh = InheritShare
	}
	if flags&rMapNoSync != 0 {
		np.flags |= EntryNoSync
	}
	if flags&rMapNoCore != 0 {
		np.flags |= EntryNoCoreDump
	}
	start := addr
	apply = func() {
		rp.unmap(start, start+size)
		lo, hi := refSpan(start, start+size)
		for i := lo; i < hi; i++ {
			rp.pages[i] = np
			if isFile {
				rp.pages[i].obj = file.cells[int(pos/refP)+i-lo]
			}
		}
		// MAP_WIREFUTURE: vm_mmap_object wires the new range (NOHOLES:
		// refused as a whole without READ or EXECUTE), faulting page by
		// page with the full protection; a page past the end of the file
		// fails it and the range is left unwired (the error is ignored),
		// the copies made before it stay.
		if rp.wireFuture && !guard && prot&(ProtRead|ProtExec) != 0 {
			for i := lo; i < hi; i++ {
				pg := &rp.pages[i]
				if _, bus := pg.obj.read(); bus {
					for j := lo; j < i; j++ {
						rp.pages[j].wired = false
					}
					break
				}
				pg.wired, pg.pte = true, true
				if prot&ProtWrite != 0 {
					pg.copyUp()
				}
			}
		}
	}
	return addr + pageoff, "", apply, false
}

// modelMunmap is kern_munmap: holes are fine.
func (rp *refProc) modelMunmap(addr, length uint64) Errno {
	if length == 0 {
		return "EINVAL"
	}
	pageoff := addr & (refP - 1)
	addr -= pageoff
	size := refRound(length + pageoff)
	end := addr + size
	if end < addr || addr < refMin || end > refMax {
		return "EINVAL"
	}
	rp.unmap(addr, end)
	return ""
}

// modelMprotect is kern_mprotect and vm_map_protect. (prot ⊄ PROT_MAX is
// vm_map_protect's KERN_OUT_OF_BOUNDS, after its empty-range return; the
// CheriBSD kern_mprotect checks it earlier, FreeBSD does not.)
func (rp *refProc) modelMprotect(addr, length, protArg uint64) Errno {
	if protArg&^uint64(7|7<<16) != 0 {
		return "EINVAL"
	}
	maxp := Prot(protArg >> 16 & 7)
	prot := Prot(protArg & 7)
	pageoff := addr & (refP - 1)
	addr -= pageoff
	size := refRound(length + pageoff)
	if addr+size < addr {
		return "EINVAL"
	}
	start, end := addr, addr+size
	if start == end {
		return "" // vm_map_protect: before its KERN_OUT_OF_BOUNDS check
	}
	if maxp != 0 && !prot.Subset(maxp) {
		return "ENOTSUP" // KERN_OUT_OF_BOUNDS
	}
	start, end = refClamp(start, end)
	lo, hi := refSpan(start, end)
	// Check pass: holes and guards skipped; nothing changes on failure.
	for i := lo; i < hi; i++ {
		pg := &rp.pages[i]
		if !pg.mapped || pg.guard {
			continue
		}
		nm := pg.max
		if maxp != 0 {
			nm = maxp
		}
		if !prot.Subset(pg.max) || !nm.Subset(pg.max) {
			return "EACCES"
		}
	}
	for i := lo; i < hi; i++ {
		pg := &rp.pages[i]
		if !pg.mapped || pg.guard {
			continue
		}
		old := pg.prot
		if maxp != 0 {
			pg.max = maxp
			pg.prot = maxp & old
		}
		pg.prot = prot
		if pg.wired && prot&ProtWrite != 0 && old&ProtWrite == 0 {
			pg.copyUp() // vm_fault_copy_entry: copied and pmap_enter'ed
			pg.pte = true
		}
		if prot == ProtNone {
			pg.pte = false // pmap_protect(VM_PROT_NONE) is pmap_remove
		}
	}
	return ""
}

// modelMinherit is kern_minherit and vm_map_inherit.
func (rp *refProc) modelMinherit(addr, length, inh uint64) Errno {
	pageoff := addr & (refP - 1)
	addr -= pageoff
	size := refRound(length + pageoff)
	if addr+size < addr {
		return "EINVAL"
	}
	if inh > uint64(InheritZero) {
		return "EINVAL"
	}
	start, end := addr, addr+size
	if start == end {
		return ""
	}
	start, end = refClamp(start, end)
	lo, hi := refSpan(start, end)
	for i := lo; i < hi; i++ {
		pg := &rp.pages[i]
		if pg.mapped && (!pg.guard || Inherit(inh) != InheritZero) {
			pg.inh = Inherit(inh)
		}
	}
	return ""
}

// modelMadvise is kern_madvise and vm_map_madvise. Only the entry kinds
// change anything the model sees; no advice loses data on FreeBSD
// (DONTNEED only deactivates; FREE lets the page daemon drop clean pages
// under memory pressure, which this machine never has).
func (rp *refProc) modelMadvise(addr, length, behav uint64) Errno {
	if behav == 10 { // MADV_PROTECT: PROC_SPROTECT needs privilege
		return "EPERM"
	}
	if addr+length < addr || addr < refMin || addr+length > refMax {
		return "EINVAL"
	}
	start, end := refTrunc(addr), refRound(addr+length)
	if behav > 9 {
		return "EINVAL"
	}
	if start == end {
		return ""
	}
	start, end = refClamp(start, end)
	lo, hi := refSpan(start, end)
	for i := lo; i < hi; i++ {
		pg := &rp.pages[i]
		if !pg.mapped {
			continue
		}
		switch behav {
		case 3:
			pg.pte = true // WILLNEED may enter resident pages
		case 0:
			pg.flags &^= EntryBehavMask
		case 1:
			pg.flags = pg.flags&^EntryBehavMask | EntryBehavRandom
		case 2:
			pg.flags = pg.flags&^EntryBehavMask | EntryBehavSeq
		case 6:
			pg.flags |= EntryNoSync
		case 7:
			pg.flags &^= EntryNoSync
		case 8:
			pg.flags |= EntryNoCoreDump
		case 9:
			pg.flags &^= EntryNoCoreDump
		}
	}
	return ""
}

// modelMlock is kern_mlock and vm_map_wire(USER|NOHOLES). RLIMIT_MEMLOCK is
// infinite in the test. Pages are wired in address order; each newly wired
// writable page is copied up (the wiring fault uses the entry's full
// protection). A hole or a page without READ and EXECUTE fails the call with
// nothing newly wired — but the copies made before the failure stay.
func (rp *refProc) modelMlock(addr, length uint64) Errno {
	last := addr + length
	start, end := refTrunc(addr), refRound(last)
	if last < addr || end < addr {
		return "EINVAL"
	}
	if start == end {
		return ""
	}
	start, end = refClamp(start, end)
	if !rp.mapped(start) {
		return "ENOMEM"
	}
	var todo []*refPage
	for a := start; a < end; a += refP {
		pg := rp.at(a)
		if pg == nil || !pg.mapped || pg.prot&(ProtRead|ProtExec) == 0 {
			return "ENOMEM"
		}
		if pg.wired {
			continue // a user wiring counts once
		}
		if _, bus := pg.obj.read(); bus {
			return "ENOMEM" // vm_fault: KERN_OUT_OF_BOUNDS
		}
		todo = append(todo, pg)
		pg.pte = true // faulted in
		if pg.prot&ProtWrite != 0 {
			pg.copyUp()
		}
	}
	for _, pg := range todo {
		pg.wired = true
	}
	return ""
}

// modelMsync is kern_msync and vm_map_sync. No content changes: dirty file
// pages are written back and, with MS_INVALIDATE, dropped from the vnode
// object and every page table (vm_object_sync), so they read the same from
// the file again. Per entry in order: MS_INVALIDATE of user-wired memory →
// EBUSY, then a hole after it → ENOMEM; size 0 means the entry holding addr.
func (rp *refProc) modelMsync(addr, length, flags uint64) Errno {
	pageoff := addr & (refP - 1)
	addr -= pageoff
	size := refRound(length + pageoff)
	if addr+size < addr {
		return "EINVAL"
	}
	if flags&3 == 3 { // only ASYNC|INVALIDATE is refused
		return "EINVAL"
	}
	invalidate := flags&2 != 0
	start, end := refClamp(addr, addr+size)
	if !rp.mapped(start) {
		return "ENOMEM"
	}
	if start == end { // the entry holding start: one wiring state
		if invalidate && rp.at(start).wired {
			return "EBUSY"
		}
		return "" // its PTEs go, but the model does not know the entry's extent
	}
	for a := start; a < end; a += refP {
		if invalidate && rp.at(a).wired {
			return "EBUSY"
		}
		if a+refP < end && !rp.mapped(a+refP) {
			return "ENOMEM"
		}
	}
	if invalidate {
		for a := start; a < end; a += refP {
			rp.at(a).pte = false // pmap_remove
		}
	}
	return ""
}

// modelMlockall is sys_mlockall: MCL_FUTURE sets MAP_WIREFUTURE;
// MCL_CURRENT wires the whole map HOLESOK, skipping entries with neither
// READ nor EXECUTE (RLIMIT_MEMLOCK is infinite here). A page past the end
// of the file stops it: EAGAIN, nothing newly wired, copies made stay.
func (rp *refProc) modelMlockall(how uint64) Errno {
	if how == 0 || how&^3 != 0 {
		return "EINVAL"
	}
	if how&2 != 0 {
		rp.wireFuture = true
	}
	if how&1 != 0 {
		var wired []*refPage
		for i := range rp.pages {
			pg := &rp.pages[i]
			if !pg.mapped || pg.guard || pg.prot&(ProtRead|ProtExec) == 0 || pg.wired {
				continue
			}
			if _, bus := pg.obj.read(); bus {
				for _, w := range wired {
					w.wired = false
				}
				return "EAGAIN"
			}
			pg.pte = true
			if pg.prot&ProtWrite != 0 {
				pg.copyUp()
			}
			pg.wired = true
			wired = append(wired, pg)
		}
	}
	return ""
}

// modelMunlockall is sys_munlockall.
func (rp *refProc) modelMunlockall() Errno {
	rp.wireFuture = false
	for i := range rp.pages {
		rp.pages[i].wired = false
	}
	return ""
}

// modelMunlock is kern_munlock and vm_map_unwire(USER|NOHOLES): a hole
// fails before anything changes; unlocked pages are fine.
func (rp *refProc) modelMunlock(addr, length uint64) Errno {
	last := addr + length
	start, end := refTrunc(addr), refRound(last)
	if last < addr || end < addr {
		return "EINVAL"
	}
	if start == end {
		return ""
	}
	start, end = refClamp(start, end)
	if !rp.mapped(start) { // vm_map_lookup_entry(start), even for a clamped-empty range
		return "ENOMEM"
	}
	for a := start; a < end; a += refP {
		if !rp.mapped(a) {
			return "ENOMEM"
		}
	}
	for a := start; a < end; a += refP {
		rp.at(a).wired = false
	}
	return ""
}

// access performs one access to the page at a. The MMU lets it through
// when a page-table entry allows it; otherwise vm_fault_trap decides:
// unmapped → SEGV_MAPERR; a guard, no protection, or the access not in the
// protection → SEGV_ACCERR (a read needs READ, an execution EXECUTE, a write
// WRITE). PTE rights never exceed the entry's, except that amd64 has no
// unreadable present page: a page mapped W-only or X-only (entered by an
// earlier write or execution) reads fine in hardware. Where the model cannot
// tell whether such a PTE is present, either outcome is right: maybe
// reports that (the access then changes nothing the model sees). A fault
// the protection allows that reaches a page of the file past its end
// raises SIGBUS (BUS_OBJERR); no PTE maps such a page (truncation removed
// them all).
func (rp *refProc) access(a uint64, acc Access, v uint64) (sig Signal, maybe bool) {
	pg := rp.at(a)
	if pg == nil || !pg.mapped {
		return SigSEGVMapErr, false
	}
	if pg.guard || pg.prot == ProtNone {
		return SigSEGVAccErr, false
	}
	_, bus := pg.obj.read()
	if acc == AccessRead && pg.prot&ProtRead == 0 {
		if !pg.pte || bus {
			return SigSEGVAccErr, false
		}
		return SigNone, true
	}
	if !Prot(acc).Subset(pg.prot) {
		return SigSEGVAccErr, false
	}
	if bus {
		return SigBUSObjErr, false
	}
	pg.pte = true
	if pg.wired && pg.prot&ProtWrite != 0 {
		pg.copyUp() // wired: the fault type is the entry's protection
	}
	if acc == AccessWrite {
		pg.write(v)
	}
	return SigNone, false
}

// modelTouch mirrors the touch pseudo-call: pages in order, stopping at the
// first that faults. orAccErr reports that SEGV_ACCERR is right too (an
// earlier page was a read the model cannot decide).
func (rp *refProc) modelTouch(addr, length uint64, acc Access, v uint64) (sig Signal, orAccErr bool) {
	if length == 0 {
		return SigNone, false
	}
	end := addr + length
	if end < addr {
		end = ^uint64(0)
	}
	for a := refTrunc(addr); a < end; a += refP {
		s, maybe := rp.access(a, acc, v)
		orAccErr = orAccErr || maybe
		if s != SigNone {
			return s, orAccErr
		}
	}
	return SigNone, orAccErr
}

// modelFork is vmspace_fork at page level.
func (rp *refProc) modelFork(child *refProc) {
	for i := range rp.pages {
		pp := &rp.pages[i]
		if !pp.mapped {
			continue
		}
		inh := pp.inh
		if pp.guard && inh != InheritNone {
			inh = InheritCopy
		}
		c := *pp
		c.wired = false // wiring is never inherited
		switch inh {
		case InheritNone:
			continue
		case InheritShare:
			if pp.nc { // a pending copy is made now, shared by both
				pp.obj = &refCell{back: pp.obj}
				pp.nc = false
			}
			if pp.obj == nil {
				pp.obj = &refCell{}
			}
			c.obj, c.nc = pp.obj, false
		case InheritCopy:
			switch {
			case pp.guard:
			case pp.wired && pp.prot&ProtWrite != 0:
				// Writable wired memory is copied at once.
				v, _ := pp.obj.read() // the harness skips forks that would copy a stale page
				c.obj, c.nc = &refCell{val: v, has: true}, false
				c.pte = true
			case pp.obj != nil:
				pp.nc = true // both sides copy on their first write
				c.obj, c.nc = pp.obj, true
			default:
				c.obj, c.nc = nil, false // both zero-fill independently
			}
		case InheritZero:
			c = refPage{mapped: true, prot: pp.prot, max: pp.max, inh: InheritZero, flags: pp.flags}
		}
		if c.guard {
			c.pte = false
		}
		child.pages[i] = c
	}
}

// staleFork reports that fork would copy a wired writable page at once
// from a page truncation left stale (see refFile).
func (rp *refProc) staleFork() bool {
	for i := range rp.pages {
		pg := &rp.pages[i]
		if pg.mapped && pg.wired && pg.prot&ProtWrite != 0 && pg.inh == InheritCopy && pg.staleCopy() {
			return true
		}
	}
	return false
}

// staleUpgrade reports that adding write access in [addr, addr+length)
// may copy a user-wired page from a page truncation left stale.
func (rp *refProc) staleUpgrade(addr, length uint64) bool {
	end := addr + length
	if end < addr {
		end = ^uint64(0)
	}
	lo, hi := refSpan(refTrunc(addr), end)
	for i := lo; i < hi; i++ {
		if pg := &rp.pages[i]; pg.mapped && pg.wired && pg.prot&ProtWrite == 0 && pg.staleCopy() {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Operations.

type refOpKind uint8

const (
	rOpMmap refOpKind = iota
	rOpMunmap
	rOpMprotect
	rOpMinherit
	rOpMadvise
	rOpMlock
	rOpMunlock
	rOpTouch
	rOpPeek
	rOpFork
	rOpExit
	rOpCheck // peek every readable page of every process
	rOpMsync
	rOpMlockall
	rOpMunlockall
	rOpPwrite
	rOpFtruncate
)

var refOpNames = [...]string{"mmap", "munmap", "mprotect", "minherit", "madvise", "mlock", "munlock",
	"touch", "peek", "fork", "exit", "check", "msync", "mlockall", "munlockall", "pwrite", "ftruncate"}

// refOp is one generated operation. proc is the acting process's id. For
// mmap a is prot, b flags, fd the descriptor (0 stands for -1) and pos the
// offset; mprotect a is prot; minherit a is the inheritance; madvise a is
// the advice; touch a is the access and b the value written; fork b is the
// child's id; pwrite writes length bytes of value a at offset addr;
// ftruncate sets the size to length.
type refOp struct {
	kind   refOpKind
	proc   int
	addr   uint64
	length uint64
	a, b   uint64
	fd     int
	pos    uint64
}

// refMismatch is one disagreement between model and engine.
type refMismatch struct {
	kind     string // op name and category, used to keep minimization on the same bug
	proc     string
	what     string
	expected string
	actual   string
	line     string // a scenario line that states the expectation
}

func (m *refMismatch) String() string {
	return fmt.Sprintf("%s: %s: expected %s, engine has %s", m.proc, m.what, m.expected, m.actual)
}

// refHarness runs model and engine side by side.
type refHarness struct {
	e      *Engine
	fb     *freebsd
	file   *refFile
	procs  []*refProc // by id; nil: not created or exited
	lines  []string   // transcript of the current op
	result string     // outcome of the current op, for the coverage summary
	// While minimizing a mismatch of another category, the invariant
	// checker and the entry comparison may be left out (they are slow).
	noCheck, noMap bool
	peeked         []refOp // the reads a check op made, as peek ops
	// terse: a check op keeps no transcript lines (only their number);
	// reports collapse checks anyway, and a minimized replay is verbose.
	terse  bool
	nPeeks int
}

func newRefHarness() *refHarness {
	fb := newFreeBSD(false)
	e := New(DefaultConfig(), FreeBSDLayout())
	fb.Setup(e)
	p, err := e.NewProcess(0)
	if err != nil {
		panic(err)
	}
	p.VS.Lim.MemLock, p.VS.LimMax.MemLock = Infinity, Infinity
	// The file (refPrelude's lines).
	path := Arg{Str: refFilePath, IsStr: true}
	if r, _ := fb.Syscall(e, p, "openat", []Arg{{Val: fbAtFdcwd}, path, {Val: 2 | 0x200}, {Val: 0o600}}); r.Errno != "" || r.Ret != refFD {
		panic("refmodel: openat: " + r.String())
	}
	if r, _ := fb.Syscall(e, p, "ftruncate", refArgs(refFD, refFileInit*refP)); r.Errno != "" {
		panic("refmodel: ftruncate: " + r.String())
	}
	return &refHarness{e: e, fb: fb, file: newRefFile(refFileInit * refP), procs: []*refProc{{id: 0, p: p}}}
}

const (
	refFilePath = "/tmp/vmscope-refmodel"
	fbAtFdcwd   = uint64(0xffffffffffffff9c)
)

// refPrelude is what every run starts with, as scenario lines.
var refPrelude = []string{
	"@personality freebsd",
	fmt.Sprintf("openat(AT_FDCWD, %q, O_RDWR|O_CREAT, 0600) = %d", refFilePath, refFD),
	fmt.Sprintf("ftruncate(%d, %s) = 0", refFD, refLenStr(refFileInit*refP)),
}

// checkLayout verifies the engine's layout is the one the model assumes.
func refCheckLayout(t testing.TB) {
	h := newRefHarness()
	vs := h.procs[0].p.VS
	if vs.Map.Min != refMin || vs.Map.Max != refMax || vs.TAddr != refTAddr || vs.DAddr != refDAddr ||
		vs.LimMax.Data != refMaxDSiz || h.e.PageSize() != refP {
		t.Fatalf("the reference model assumes the FreeBSD amd64 layout (min %#x max %#x taddr %#x daddr %#x maxdsiz %#x page %d); the engine has min %#x max %#x taddr %#x daddr %#x maxdsiz %#x page %d",
			refMin, refMax, refTAddr, refDAddr, refMaxDSiz, refP,
			vs.Map.Min, vs.Map.Max, vs.TAddr, vs.DAddr, vs.LimMax.Data, h.e.PageSize())
	}
}

func (h *refHarness) proc(id int) *refProc {
	if id >= 0 && id < len(h.procs) {
		return h.procs[id]
	}
	return nil
}

func (h *refHarness) live() []*refProc {
	var out []*refProc
	for _, rp := range h.procs {
		if rp != nil {
			out = append(out, rp)
		}
	}
	return out
}

func (h *refHarness) say(format string, a ...any) {
	h.lines = append(h.lines, fmt.Sprintf(format, a...))
}

func refArgs(vals ...uint64) []Arg {
	out := make([]Arg, len(vals))
	for i, v := range vals {
		out[i] = Arg{Val: v}
	}
	return out
}

func refErrnoResult(errno Errno) string {
	if errno == "" {
		return "0"
	}
	return "-1 " + string(errno)
}

func refResultString(r Result) string {
	if r.Signal != SigNone {
		return r.Signal.String()
	}
	if r.Errno != "" {
		return "-1 " + string(r.Errno)
	}
	return fmt.Sprintf("%#x", r.Ret)
}

// step runs o on both sides and compares. skipped reports an op that does
// not apply (its process is gone, a non-fixed mmap the model cannot track).
func (h *refHarness) step(o refOp) (mm *refMismatch, skipped bool) {
	h.lines = h.lines[:0]
	h.result = ""
	rp := h.proc(o.proc)
	if rp == nil {
		return nil, true
	}
	e, p := h.e, rp.p
	pre := rp.prefix()
	name := refOpNames[o.kind]
	callMismatch := func(line, expected, actual string) *refMismatch {
		return &refMismatch{kind: name + ":result", proc: rp.name(), what: "result of " + line,
			expected: expected, actual: actual, line: pre + line + " = " + expected}
	}
	checkErrno := func(call string, args []Arg, line string, want Errno) *refMismatch {
		res, known := h.fb.Syscall(e, p, call, args)
		if !known {
			panic("refmodel: freebsd personality does not know " + call)
		}
		exp := refErrnoResult(want)
		got := res.String()
		if res.Errno != want || res.Signal != SigNone || (want == "" && res.Ret != 0) {
			return callMismatch(line, exp, got)
		}
		h.say("%s%s = %s", pre, line, exp)
		h.result = exp
		return nil
	}

	switch o.kind {
	case rOpMmap:
		fd := ^uint64(0)
		if o.fd != 0 {
			fd = uint64(o.fd)
		}
		line := fmt.Sprintf("mmap(%s, %s, %s, %s, %d, %s)", refAddrStr(o.addr), refLenStr(o.length),
			refProtStr(o.a), refFlagsStr(o.b), int64(fd), refPosStr(o.pos))
		ret, errno, apply, outside := rp.modelMmap(o.addr, o.length, o.a, o.b, fd, o.pos, h.file)
		if outside {
			return nil, true
		}
		res, _ := h.fb.Syscall(e, p, "mmap", []Arg{{Val: o.addr}, {Val: o.length}, {Val: o.a}, {Val: o.b},
			{Val: fd}, {Val: o.pos}})
		exp := refErrnoResult(errno)
		if errno == "" {
			exp = fmt.Sprintf("%#x", ret)
		}
		if res.Errno != errno || res.Signal != SigNone || (errno == "" && res.Ret != ret) {
			return callMismatch(line, exp, refResultString(res)), false
		}
		h.say("%s%s = %s", pre, line, exp)
		h.result = refErrnoResult(errno)
		if apply != nil {
			apply()
		}
	case rOpMunmap:
		line := fmt.Sprintf("munmap(%s, %s)", refAddrStr(o.addr), refLenStr(o.length))
		want := rp.modelMunmap(o.addr, o.length)
		mm = checkErrno("munmap", refArgs(o.addr, o.length), line, want)
	case rOpMprotect:
		if o.a&uint64(ProtWrite) != 0 && rp.staleUpgrade(o.addr, o.length) {
			return nil, true
		}
		line := fmt.Sprintf("mprotect(%s, %s, %s)", refAddrStr(o.addr), refLenStr(o.length), refProtStr(o.a))
		want := rp.modelMprotect(o.addr, o.length, o.a)
		mm = checkErrno("mprotect", refArgs(o.addr, o.length, o.a), line, want)
	case rOpMinherit:
		line := fmt.Sprintf("minherit(%s, %s, %s)", refAddrStr(o.addr), refLenStr(o.length), refInheritStr(o.a))
		want := rp.modelMinherit(o.addr, o.length, o.a)
		mm = checkErrno("minherit", refArgs(o.addr, o.length, o.a), line, want)
	case rOpMadvise:
		line := fmt.Sprintf("madvise(%s, %s, %s)", refAddrStr(o.addr), refLenStr(o.length), refAdviceStr(o.a))
		want := rp.modelMadvise(o.addr, o.length, o.a)
		mm = checkErrno("madvise", refArgs(o.addr, o.length, o.a), line, want)
	case rOpMlock:
		line := fmt.Sprintf("mlock(%s, %s)", refAddrStr(o.addr), refLenStr(o.length))
		want := rp.modelMlock(o.addr, o.length)
		mm = checkErrno("mlock", refArgs(o.addr, o.length), line, want)
	case rOpMunlock:
		line := fmt.Sprintf("munlock(%s, %s)", refAddrStr(o.addr), refLenStr(o.length))
		want := rp.modelMunlock(o.addr, o.length)
		mm = checkErrno("munlock", refArgs(o.addr, o.length), line, want)
	case rOpMsync:
		line := fmt.Sprintf("msync(%s, %s, %s)", refAddrStr(o.addr), refLenStr(o.length), refMsyncStr(o.a))
		want := rp.modelMsync(o.addr, o.length, o.a)
		mm = checkErrno("msync", refArgs(o.addr, o.length, o.a), line, want)
	case rOpMlockall:
		line := fmt.Sprintf("mlockall(%s)", refMclStr(o.a))
		want := rp.modelMlockall(o.a)
		mm = checkErrno("mlockall", refArgs(o.a), line, want)
	case rOpMunlockall:
		want := rp.modelMunlockall()
		mm = checkErrno("munlockall", nil, "munlockall()", want)
	case rOpTouch:
		acc := Access(o.a)
		line := fmt.Sprintf("touch(%s, %s, %q", refAddrStr(o.addr), refLenStr(o.length), refAccessStr(acc))
		if acc == AccessWrite {
			line += fmt.Sprintf(", %d", o.b)
		}
		line += ")"
		want, orAccErr := rp.modelTouch(o.addr, o.length, acc, o.b)
		got := e.Touch(p, o.addr, o.length, acc, o.b)
		exp := refSigStr(want)
		if orAccErr && want != SigSEGVAccErr {
			exp += " or " + refSigStr(SigSEGVAccErr)
		}
		if got != want && !(orAccErr && got == SigSEGVAccErr) {
			return callMismatch(line, exp, refSigStr(got)), false
		}
		h.say("%s%s = %s", pre, line, refSigStr(got))
		h.result = refSigStr(got)
		if orAccErr {
			h.result += " (MMU-dependent)"
		}
	case rOpPeek:
		mm = h.peek(rp, o.addr, name)
	case rOpPwrite:
		line := fmt.Sprintf("pwrite(%d, \"\\x%02x\", %s, %s)", refFD, o.a, refLenStr(o.length), refPosStr(o.addr))
		res, _ := h.fb.Syscall(e, p, "pwrite", []Arg{{Val: refFD}, {Str: string([]byte{byte(o.a)}), IsStr: true},
			{Val: o.length}, {Val: o.addr}})
		if res.Errno != "" || res.Signal != SigNone || res.Ret != o.length {
			return callMismatch(line, refLenStr(o.length), refResultString(res)), false
		}
		h.file.write(o.addr, o.length, o.a)
		h.say("%s%s = %s", pre, line, refLenStr(o.length))
		h.result = "ok"
	case rOpFtruncate:
		line := fmt.Sprintf("ftruncate(%d, %s)", refFD, refLenStr(o.length))
		mm = checkErrno("ftruncate", refArgs(refFD, o.length), line, "")
		if mm == nil {
			h.file.truncate(o.length, h.live())
		}
	case rOpFork:
		if int(o.b) < len(h.procs) { // ids only grow: this one was used
			return nil, true
		}
		if rp.staleFork() {
			return nil, true
		}
		cp, err := e.Fork(p, 0)
		if err != nil {
			panic(err)
		}
		child := &refProc{id: int(o.b), p: cp}
		for len(h.procs) <= child.id {
			h.procs = append(h.procs, nil)
		}
		h.procs[child.id] = child
		rp.modelFork(child)
		h.say("%sfork() = $p%d", pre, child.id)
		h.result = "ok"
	case rOpExit:
		if len(h.live()) <= 1 {
			return nil, true
		}
		e.Exit(p)
		h.procs[rp.id] = nil
		h.say("%sexit(0)", pre)
		h.result = "ok"
	case rOpCheck:
		h.peeked = h.peeked[:0]
		h.nPeeks = 0
		h.result = "ok"
		for _, q := range h.live() {
			for i := range q.pages {
				pg := &q.pages[i]
				if pg.mapped && !pg.guard && pg.prot&ProtRead != 0 {
					h.peeked = append(h.peeked, refOp{kind: rOpPeek, proc: q.id, addr: refAddr(i)})
					if mm = h.peek(q, refAddr(i), "check"); mm != nil {
						return mm, false
					}
				}
			}
		}
	}
	if mm != nil {
		return mm, false
	}
	if h.noCheck {
		return nil, false
	}
	if err := e.Check(); err != nil && !refAllowed(err.Error()) {
		return &refMismatch{kind: name + ":invariant", proc: rp.name(), what: "Engine.Check after " + name,
			expected: "nil", actual: err.Error(), line: "# Engine.Check: " + err.Error()}, false
	}
	for _, q := range h.live() {
		if h.noMap {
			break
		}
		if mm := h.compareMap(q, name); mm != nil {
			return mm, false
		}
	}
	return nil, false
}

// refAllow lists known engine invariant failures to step over while
// hunting for further bugs: VMSCOPE_REFMODEL_ALLOW="substring,substring".
// Empty by default, so the test fails on every one of them.
var refAllow = func() []string {
	if v := os.Getenv("VMSCOPE_REFMODEL_ALLOW"); v != "" {
		return strings.Split(v, ",")
	}
	return nil
}()

func refAllowed(msg string) bool {
	for _, a := range refAllow {
		if a != "" && strings.Contains(msg, a) {
			return true
		}
	}
	return false
}

// peek reads the page at a on both sides.
func (h *refHarness) peek(rp *refProc, a uint64, name string) *refMismatch {
	line := fmt.Sprintf("peek(%s)", refAddrStr(a))
	var exp string
	sig, maybe := rp.access(a, AccessRead, 0)
	want := uint64(0)
	if sig == SigNone {
		want, _ = rp.at(a).obj.read()
		exp = fmt.Sprintf("%d", want)
		if maybe {
			exp += " or " + refSigStr(SigSEGVAccErr)
		}
	} else {
		exp = refSigStr(sig)
	}
	v, got := h.e.Peek(rp.p, a)
	act := refSigStr(got)
	if got == SigNone {
		act = fmt.Sprintf("%d", v)
	}
	if maybe && got == SigSEGVAccErr {
		got, sig = SigNone, SigNone // the hardware had no PTE: fine
		v = want
	}
	if h.terse && name == "check" && got == sig && (sig != SigNone || v == want) {
		h.nPeeks++
		return nil
	}
	if got != sig || (sig == SigNone && v != want) {
		cat := ":content"
		if got != sig {
			cat = ":signal"
		}
		return &refMismatch{kind: name + cat, proc: rp.name(), what: "content of " + line,
			expected: exp, actual: act, line: rp.prefix() + line + " = " + strings.Split(exp, " or ")[0]}
	}
	h.say("%s%s = %s", rp.prefix(), line, act)
	h.result = "value"
	if got != SigNone {
		h.result = refSigStr(got)
	}
	if maybe {
		h.result += " (MMU-dependent)"
	}
	return nil
}

// compareMap compares the engine's entries of rp with the model page by
// page.
func (h *refHarness) compareMap(rp *refProc, name string) *refMismatch {
	var covered [refPages]bool
	pre := rp.prefix()
	bad := func(cat, what, exp, act, line string) *refMismatch {
		return &refMismatch{kind: name + ":" + cat, proc: rp.name(), what: what, expected: exp, actual: act, line: line}
	}
	for _, en := range rp.p.VS.Map.Entries() {
		if en.Start < refBase || en.End > refLimit {
			return bad("entry", fmt.Sprintf("entry %v", en), "nothing mapped outside the model's pages",
				"an entry there", fmt.Sprintf("%sprot(%s) = -1 ENOMEM", pre, refAddrStr(max(en.Start, refBase-refP))))
		}
		for a := en.Start; a < en.End; a += refP {
			i, _ := refIdx(a)
			covered[i] = true
			pg := &rp.pages[i]
			if pg.mapped && pg.guard == en.IsGuard() && pg.prot == en.Prot && pg.max == en.MaxProt &&
				pg.inh == en.Inherit && pg.flags == en.Flags&refFlagMask &&
				(en.Wired == 0 && !pg.wired || pg.wired && en.Wired == 1 && en.Flags&EntryUserWired != 0) {
				continue
			}
			as := refAddrStr(a)
			switch {
			case !pg.mapped:
				return bad("entry", fmt.Sprintf("page %s (entry %v)", as, en), "unmapped", "mapped",
					fmt.Sprintf("%sprot(%s) = -1 ENOMEM", pre, as))
			case pg.guard != en.IsGuard():
				return bad("guard", fmt.Sprintf("guard flag of page %s (entry %v)", as, en),
					fmt.Sprint(pg.guard), fmt.Sprint(en.IsGuard()), fmt.Sprintf("# %s guard(%s) = %v", pre, as, pg.guard))
			case pg.prot != en.Prot:
				return bad("prot", fmt.Sprintf("protection of page %s (entry %v)", as, en),
					refProtStr(uint64(pg.prot)), refProtStr(uint64(en.Prot)),
					fmt.Sprintf("%sprot(%s) = %s", pre, as, refProtStr(uint64(pg.prot))))
			case pg.max != en.MaxProt:
				return bad("maxprot", fmt.Sprintf("max protection of page %s (entry %v)", as, en),
					refProtStr(uint64(pg.max)), refProtStr(uint64(en.MaxProt)),
					fmt.Sprintf("%smaxprot(%s) = %s", pre, as, refProtStr(uint64(pg.max))))
			case pg.inh != en.Inherit:
				return bad("inherit", fmt.Sprintf("inheritance of page %s (entry %v)", as, en),
					refInheritStr(uint64(pg.inh)), refInheritStr(uint64(en.Inherit)),
					fmt.Sprintf("%sinherit(%s) = %s", pre, as, refInheritStr(uint64(pg.inh))))
			case pg.wired != (en.Wired != 0) || pg.wired && (en.Wired != 1 || en.Flags&EntryUserWired == 0):
				w := 0
				if pg.wired {
					w = 1
				}
				return bad("wired", fmt.Sprintf("wiring of page %s (entry %v)", as, en),
					fmt.Sprintf("wired=%d (user)", w), fmt.Sprintf("wired=%d flags=%v", en.Wired, en.Flags),
					fmt.Sprintf("%swired(%s) = %d", pre, as, w))
			case pg.flags != en.Flags&refFlagMask:
				return bad("flags", fmt.Sprintf("advice flags of page %s (entry %v)", as, en),
					pg.flags.String(), (en.Flags & refFlagMask).String(),
					fmt.Sprintf("# %sflags(%s) = %v", pre, as, pg.flags))
			}
		}
	}
	for i := range rp.pages {
		if rp.pages[i].mapped && !covered[i] {
			as := refAddrStr(refAddr(i))
			return bad("entry", "page "+as, "mapped", "unmapped",
				fmt.Sprintf("%sprot(%s) = %s", pre, as, refProtStr(uint64(rp.pages[i].prot))))
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Scenario-syntax rendering.

func refAddrStr(a uint64) string {
	if a == 0 {
		return "NULL"
	}
	return fmt.Sprintf("%#x", a)
}

func refLenStr(n uint64) string {
	switch {
	case n == refP:
		return "P"
	case n != 0 && n%refP == 0 && n/refP < 1<<20:
		return fmt.Sprintf("%d*P", n/refP)
	case n < 1<<20:
		return fmt.Sprintf("%d", n)
	}
	return fmt.Sprintf("%#x", n)
}

func refPosStr(n uint64) string {
	if n == 0 {
		return "0"
	}
	return refLenStr(n)
}

func refProtNames(p uint64) string {
	if p == 0 {
		return "PROT_NONE"
	}
	var parts []string
	for _, x := range []struct {
		bit  uint64
		name string
	}{{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}} {
		if p&x.bit != 0 {
			parts = append(parts, x.name)
		}
	}
	return strings.Join(parts, "|")
}

func refProtStr(v uint64) string {
	s := refProtNames(v & 7)
	if m := v >> 16 & 7; m != 0 {
		s += "|PROT_MAX(" + refProtNames(m) + ")"
	}
	if rest := v &^ uint64(7|7<<16); rest != 0 {
		s += fmt.Sprintf("|%#x", rest)
	}
	return s
}

var refFlagNames = []struct {
	bit  uint64
	name string
}{
	{rMapShared, "MAP_SHARED"}, {rMapPrivate, "MAP_PRIVATE"}, {rMapAnon, "MAP_ANON"}, {rMapGuard, "MAP_GUARD"},
	{rMapFixed, "MAP_FIXED"}, {rMapExcl, "MAP_EXCL"}, {rMapNoSync, "MAP_NOSYNC"}, {rMapNoCore, "MAP_NOCORE"},
	{rMapHasSema, "MAP_HASSEMAPHORE"}, {rMapPrefault, "MAP_PREFAULT_READ"}, {rMap32Bit, "MAP_32BIT"},
	{rMapRes0020, "MAP_RESERVED0020"}, {rMapRes0040, "MAP_RESERVED0040"}, {rMapRes0080, "MAP_RESERVED0080"},
	{rMapStack, "MAP_STACK"},
}

func refFlagsStr(f uint64) string {
	var parts []string
	for _, x := range refFlagNames {
		if f&x.bit != 0 {
			parts = append(parts, x.name)
			f &^= x.bit
		}
	}
	if f != 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%#x", f))
	}
	return strings.Join(parts, "|")
}

func refInheritStr(v uint64) string {
	switch v {
	case 0:
		return "INHERIT_SHARE"
	case 1:
		return "INHERIT_COPY"
	case 2:
		return "INHERIT_NONE"
	case 3:
		return "INHERIT_ZERO"
	}
	return fmt.Sprintf("%d", v)
}

var refAdviceNames = []string{"MADV_NORMAL", "MADV_RANDOM", "MADV_SEQUENTIAL", "MADV_WILLNEED", "MADV_DONTNEED",
	"MADV_FREE", "MADV_NOSYNC", "MADV_AUTOSYNC", "MADV_NOCORE", "MADV_CORE", "MADV_PROTECT"}

func refAdviceStr(v uint64) string {
	if v < uint64(len(refAdviceNames)) {
		return refAdviceNames[v]
	}
	return fmt.Sprintf("%d", v)
}

func refMsyncStr(v uint64) string {
	switch v {
	case 0:
		return "MS_SYNC"
	case 1:
		return "MS_ASYNC"
	case 2:
		return "MS_INVALIDATE"
	case 3:
		return "MS_ASYNC|MS_INVALIDATE"
	}
	return fmt.Sprintf("%d", v)
}

func refMclStr(v uint64) string {
	switch v {
	case 1:
		return "MCL_CURRENT"
	case 2:
		return "MCL_FUTURE"
	case 3:
		return "MCL_CURRENT|MCL_FUTURE"
	}
	return fmt.Sprintf("%d", v)
}

func refAccessStr(a Access) string {
	switch a {
	case AccessRead:
		return "r"
	case AccessWrite:
		return "w"
	}
	return "x"
}

func refSigStr(s Signal) string {
	if s == SigNone {
		return "0"
	}
	return s.String()
}

// ---------------------------------------------------------------------------
// Generation.

// refSrc is a source of choices: a seeded PCG, or fuzz bytes.
type refSrc interface {
	intn(n int) int // in [0, n)
}

type refPCG struct{ r *rand.Rand }

func (s refPCG) intn(n int) int { return s.r.IntN(n) }

// refBytes decodes fuzz input: each choice takes one byte (two above 256
// alternatives); an exhausted input reads as zeros and sets done.
type refBytes struct {
	b    []byte
	i    int
	done bool
}

func (s *refBytes) byte() int {
	if s.i >= len(s.b) {
		s.done = true
		return 0
	}
	v := s.b[s.i]
	s.i++
	return int(v)
}

func (s *refBytes) intn(n int) int {
	v := s.byte()
	if n > 256 {
		v = v<<8 | s.byte()
	}
	return v % n
}

// refGen makes operations for a harness. It reads the model only to pick
// a live process and, mostly, pages that process has mapped.
type refGen struct {
	src     refSrc
	nextVal uint64
	nextID  int
	cur     *refProc // the acting process of the op being made
}

// page returns a page address in the window: three times in four one the
// acting process has mapped (when it has any).
func (g *refGen) page() uint64 {
	if g.cur != nil && g.pick(4) != 0 {
		var mapped []int
		for i := 0; i < refWindow+8; i++ {
			if g.cur.pages[i].mapped {
				mapped = append(mapped, i)
			}
		}
		if len(mapped) > 0 {
			i := mapped[g.pick(len(mapped))]
			if g.chance(4) && i > 0 {
				i-- // just below: ranges that start in a hole
			}
			return refAddr(i)
		}
	}
	return refAddr(g.pick(refWindow))
}

func (g *refGen) pick(n int) int { return g.src.intn(n) }

func (g *refGen) chance(n int) bool { return g.src.intn(n) == 0 }

// addr returns a range start: usually a page in the window, sometimes
// unaligned, rarely outside the map or at its edges.
func (g *refGen) addr() uint64 {
	a := g.page()
	switch g.pick(24) {
	case 0, 1:
		a += uint64(1 + g.pick(refP-1))
	case 2:
		switch g.pick(5) {
		case 0:
			return 0
		case 1:
			return refBase - refP
		case 2:
			return refMax - refP
		case 3:
			return uint64(g.pick(refP))
		default:
			return refLimit - refP
		}
	}
	return a
}

// length returns a range length: usually 1..8 pages, sometimes unaligned,
// zero, long or huge (wrapping).
func (g *refGen) length() uint64 {
	switch g.pick(32) {
	case 0:
		return 0
	case 1, 2:
		return uint64(1+g.pick(8))*refP - uint64(g.pick(refP))
	case 3:
		return uint64(16+g.pick(refPages)) * refP
	case 4:
		switch g.pick(4) {
		case 0:
			return ^uint64(0)
		case 1:
			return ^uint64(0) - uint64(g.pick(3*refP))
		case 2:
			return 1 << 40
		default:
			return 1 << 63
		}
	}
	return uint64(1+g.pick(8)) * refP
}

func (g *refGen) prot() uint64 {
	p := uint64(g.pick(8))
	switch g.pick(8) {
	case 0, 1:
		p |= (p | uint64(g.pick(8))) << 16 // PROT_MAX ⊇ prot
	case 2:
		if g.chance(3) {
			p |= uint64(g.pick(8)) << 16 // maybe ⊉ prot: ENOTSUP
		}
	case 3:
		if g.chance(8) {
			p |= []uint64{8, 0x80, 1 << 19, 1 << 24}[g.pick(4)] // invalid bits
		}
	}
	return p
}

func (g *refGen) mmapFlags(fixed bool) uint64 {
	var f uint64
	switch g.pick(24) {
	case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9:
		f = rMapPrivate | rMapAnon
	case 10, 11, 12, 13, 14, 15:
		f = rMapShared | rMapAnon
	case 16, 17:
		f = rMapAnon
	case 18, 19, 20:
		f = rMapGuard
	case 21, 22:
		f = rMapPrivate | rMapAnon | []uint64{rMapRes0020, rMapRes0040, rMapHasSema, rMapPrefault}[g.pick(4)]
	default:
		f = []uint64{rMapShared | rMapPrivate | rMapAnon, rMapPrivate, rMapShared, rMapGuard | rMapAnon,
			rMapPrivate | rMapAnon | rMapRes0080, rMapGuard | rMapShared, rMapPrivate | rMapAnon | rMapExcl}[g.pick(7)]
	}
	switch g.pick(10) {
	case 0:
		f |= rMapNoSync
	case 1:
		f |= rMapNoCore
	}
	if fixed {
		f |= rMapFixed
		switch g.pick(8) {
		case 0, 1:
			f |= rMapExcl
		case 2:
			if g.chance(4) {
				f |= rMap32Bit
			}
		}
	}
	return f
}

// fileMap turns mmap o of n pages into a mapping of the file: shared or
// private, at a page offset that keeps it inside the model's file pages;
// now and then a bad descriptor, neither SHARED nor PRIVATE, an offset
// off a page boundary, or MAP_ANON or MAP_GUARD with the descriptor.
func (g *refGen) fileMap(o *refOp, n int) {
	o.b &^= rMapShared | rMapPrivate | rMapAnon | rMapGuard | rMapPrefault | rMapHasSema |
		rMapRes0020 | rMapRes0040 | rMapRes0080
	o.b |= []uint64{rMapShared, rMapPrivate}[g.pick(2)]
	o.fd = refFD
	n = min(max(n, 1), refFilePages)
	o.pos = uint64(g.pick(refFilePages-n+1)) * refP
	switch g.pick(24) {
	case 0:
		o.fd = 7 // EBADF
	case 1:
		o.b &^= rMapShared | rMapPrivate // EINVAL
	case 2:
		o.pos += uint64(1 + g.pick(refP-1)) // fixed: EINVAL
	case 3:
		o.b |= []uint64{rMapAnon, rMapGuard}[g.pick(2)] // EINVAL
	}
}

// next returns the next operation for h.
func (g *refGen) next(h *refHarness) refOp {
	live := h.live()
	rp := live[g.pick(len(live))]
	g.cur = rp
	o := refOp{proc: rp.id}
	switch c := g.pick(106); {
	case c >= 103:
		o.kind = rOpFtruncate
		o.length = uint64(g.pick(refFilePages+1)) * refP
		if g.chance(6) && o.length > 0 {
			o.length -= uint64(1 + g.pick(refP-1))
		}
	case c >= 100:
		o.kind = rOpPwrite
		o.a = uint64(0x80 + g.pick(0x7f))
		n := 1 + g.pick(4)
		o.addr = uint64(g.pick(refFilePages-n+1)) * refP
		o.length = uint64(n) * refP
		switch g.pick(8) {
		case 0:
			o.length -= uint64(1 + g.pick(refP-1))
		case 1:
			o.addr += uint64(1 + g.pick(refP-1))
			o.length -= refP
		case 2:
			o.length = 0
		}
	case c < 16: // MAP_FIXED
		o.kind = rOpMmap
		n := 1 + g.pick(8)
		o.addr = refAddr(g.pick(refWindow))
		o.length = uint64(n) * refP
		switch g.pick(40) {
		case 0:
			o.length -= uint64(g.pick(refP))
		case 1:
			o.addr += uint64(1 + g.pick(refP-1)) // EINVAL
		case 2:
			o.addr = []uint64{0, refMax - refP, refMin - refP}[g.pick(3)]
		case 3:
			o.length = []uint64{0, ^uint64(0), ^uint64(0) - 3*refP}[g.pick(3)]
		}
		o.a = g.prot()
		o.b = g.mmapFlags(true)
		if o.b&rMapGuard != 0 && !g.chance(8) {
			o.a &^= 7
		}
		if g.chance(3) {
			g.fileMap(&o, n)
		}
	case c < 22: // placed by the kernel
		o.kind = rOpMmap
		o.length = uint64(1+g.pick(8)) * refP
		switch g.pick(8) {
		case 0, 1:
			o.addr = 0
		case 2:
			o.addr = refTAddr + uint64(g.pick(1<<20)) // in the heap range: moved past the heap
		case 3:
			o.addr = refMax - uint64(1+g.pick(4))*refP // no room above: retried from the heap end
		case 4:
			o.addr = refAddr(g.pick(refWindow)) + uint64(g.pick(refP)) // rounded up
		default:
			o.addr = refAddr(g.pick(refWindow))
		}
		o.a = g.prot()
		o.b = g.mmapFlags(false)
		if o.b&rMapGuard != 0 && !g.chance(8) {
			o.a &^= 7
		}
		if g.chance(3) {
			g.fileMap(&o, int(o.length/refP))
		}
	case c < 30:
		o.kind, o.addr, o.length = rOpMunmap, g.addr(), g.length()
	case c < 41:
		o.kind, o.addr, o.length = rOpMprotect, g.addr(), g.length()
		o.a = g.prot()
	case c < 47:
		o.kind, o.addr, o.length = rOpMinherit, g.addr(), g.length()
		o.a = uint64(g.pick(4))
		if g.chance(32) {
			o.a = uint64(4 + g.pick(1000))
		}
	case c < 52:
		o.kind, o.addr, o.length = rOpMadvise, g.addr(), g.length()
		o.a = uint64(g.pick(10))
		if g.chance(32) {
			o.a = uint64(10 + g.pick(3))
		}
	case c < 57:
		o.kind, o.addr, o.length = rOpMlock, g.addr(), g.length()
	case c < 61:
		o.kind, o.addr, o.length = rOpMunlock, g.addr(), g.length()
	case c < 80:
		o.kind = rOpTouch
		o.addr = g.page()
		if g.chance(8) {
			o.addr += uint64(g.pick(refP))
		}
		o.length = uint64(1+g.pick(4)) * refP
		if g.chance(8) {
			o.length = uint64(1 + g.pick(3*refP))
		}
		o.a = uint64([]Access{AccessRead, AccessWrite, AccessWrite, AccessWrite, AccessExec}[g.pick(5)])
		g.nextVal++
		o.b = g.nextVal
	case c < 85:
		o.kind = rOpPeek
		o.addr = g.page() + uint64(g.pick(refP))
	case c < 90:
		if len(live) >= refMaxLive {
			o.kind = rOpCheck
			break
		}
		o.kind = rOpFork
		g.nextID++
		o.b = uint64(g.nextID)
	case c < 93:
		if len(live) <= 1 {
			o.kind = rOpCheck
			break
		}
		o.kind = rOpExit
	case c < 94 && g.chance(4):
		// Clear the window (and whatever overflowed past it).
		o.kind, o.addr, o.length = rOpMunmap, refBase, refPages*refP
	case c < 97:
		o.kind, o.addr, o.length = rOpMsync, g.addr(), g.length()
		if g.chance(4) {
			o.length = 0 // the whole entry
		}
		o.a = uint64(g.pick(4))
		if g.chance(16) {
			o.a = uint64(4 << g.pick(3)) // unknown bits: ignored
		}
	case c < 98:
		if g.chance(2) {
			o.kind = rOpMunlockall
			break
		}
		o.kind = rOpMlockall
		o.a = uint64(1 + g.pick(3))
		if g.chance(8) {
			o.a = uint64([]int{0, 4, 5}[g.pick(3)])
		}
	default:
		o.kind = rOpCheck
	}
	return o
}

// ---------------------------------------------------------------------------
// Running, reporting, minimizing.

// refRun is one executed sequence.
type refRun struct {
	h     *refHarness
	auto  bool       // add a full content check after every fork and exit
	ops   []refOp    // executed (not skipped) ops, automatic checks included
	lines [][]string // transcript per executed op
}

// exec runs o, records it when it applied, and returns a mismatch.
func (r *refRun) exec(o refOp) (*refMismatch, bool) {
	mm, skipped := r.h.step(o)
	if skipped {
		return nil, false
	}
	r.ops = append(r.ops, o)
	ls := append([]string(nil), r.h.lines...)
	if mm != nil {
		ls = append(ls, mm.line+"   # engine: "+mm.actual)
	}
	r.lines = append(r.lines, ls)
	// Every fork and exit is followed by a full content check (recorded
	// as an ordinary op, so a replay without auto repeats it exactly).
	if mm == nil && r.auto && (o.kind == rOpFork || o.kind == rOpExit) {
		res := r.h.result
		mm, _ = r.exec(refOp{kind: rOpCheck, proc: r.h.live()[0].id})
		r.h.result = res
	}
	return mm, true
}

// refReplay runs ops on a fresh harness (no automatic checks: they are in
// ops) and returns the first mismatch and the run.
func refReplay(ops []refOp) (*refMismatch, *refRun) { return refReplayFor(ops, "") }

// refReplayFor is refReplay checking only what a mismatch of kind needs
// ("": everything).
func refReplayFor(ops []refOp, kind string) (*refMismatch, *refRun) {
	r := &refRun{h: newRefHarness()}
	if kind != "" {
		cat := kind[strings.Index(kind, ":")+1:]
		r.h.noCheck = cat != "invariant"
		r.h.noMap = cat != "entry" && cat != "guard" && cat != "prot" && cat != "maxprot" &&
			cat != "inherit" && cat != "wired" && cat != "flags"
	}
	for _, o := range ops {
		if o.kind == rOpCheck && r.h.proc(o.proc) == nil {
			if l := r.h.live(); len(l) > 0 {
				o.proc = l[0].id
			}
		}
		if mm, _ := r.exec(o); mm != nil {
			return mm, r
		}
	}
	return nil, r
}

// refMinimize shrinks ops while the replay still fails with the same kind
// of mismatch: delta debugging by chunks down to single ops, then moving
// each op to an older process (collapsing fork chains), repeated while it
// helps.
func refMinimize(ops []refOp, kind string, budget time.Duration) []refOp {
	deadline := time.Now().Add(budget)
	fails := func(c []refOp) ([]refOp, bool) {
		mm, r := refReplayFor(c, kind)
		if mm == nil || mm.kind != kind {
			return nil, false
		}
		return r.ops, true // only what ran, up to the mismatch
	}
	cur, ok := fails(ops)
	if !ok {
		return ops
	}
	// Split every check into the reads it made, so that single reads can
	// go (a read is a fault, and faults change the engine's state).
	expand := func(c []refOp) []refOp {
		r := &refRun{h: newRefHarness()}
		r.h.noCheck, r.h.noMap = true, true
		var out []refOp
		for _, o := range c {
			mm, ran := r.exec(o)
			if o.kind == rOpCheck && ran {
				out = append(out, r.h.peeked...)
			} else {
				out = append(out, o)
			}
			if mm != nil {
				break
			}
		}
		return out
	}
	if c, ok := fails(expand(cur)); ok {
		cur = c
	}
	// Coarse passes first: drop every op of one process (and so its
	// descendants), then every op of one kind.
	try := func(drop func(refOp) bool) {
		var cand []refOp
		for _, o := range cur {
			if !drop(o) {
				cand = append(cand, o)
			}
		}
		if len(cand) < len(cur) {
			if c, ok := fails(cand); ok {
				cur = c
			}
		}
	}
	last := len(cur) - 1
	if c, ok := fails(cur[last:]); ok { // the failing op alone
		return c
	}
	// Only the failing process's own ops and the forks that led to it.
	lineage := map[int]bool{cur[last].proc: true}
	for i := last; i >= 0; i-- {
		if o := cur[i]; o.kind == rOpFork && lineage[int(o.b)] {
			lineage[o.proc] = true
		}
	}
	try(func(o refOp) bool { return !lineage[o.proc] && o.kind != rOpCheck })
	try(func(o refOp) bool { return o.kind == rOpCheck && o != cur[len(cur)-1] })
	for id := 0; ; id++ {
		seen := false
		for _, o := range cur {
			if o.proc > id || o.kind == rOpFork && int(o.b) > id {
				seen = true
			}
		}
		if !seen || time.Now().After(deadline) {
			break
		}
		try(func(o refOp) bool { return o.proc == id && id != 0 || o.kind == rOpFork && int(o.b) == id })
	}
	for k := range refOpKind(len(refOpNames)) {
		try(func(o refOp) bool { return o.kind == k })
	}
	for round := 0; round < 4; round++ {
		before := len(cur)
		for chunk := max(len(cur)/2, 1); ; {
			changed := false
			for i := 0; i < len(cur); {
				if time.Now().After(deadline) {
					return cur
				}
				j := min(i+chunk, len(cur))
				cand := append(append([]refOp(nil), cur[:i]...), cur[j:]...)
				if c, ok := fails(cand); ok {
					cur, changed = c, true
				} else {
					i = j
				}
			}
			if chunk == 1 && !changed {
				break
			}
			chunk = max(chunk/2, 1)
		}
		moved := false
		// Dissolve a child into its parent: drop its fork and give its
		// ops (and its own forks) to the parent.
		for i := 0; i < len(cur); i++ {
			f := cur[i]
			if f.kind != rOpFork || time.Now().After(deadline) {
				continue
			}
			var cand []refOp
			for j, o := range cur {
				if j == i {
					continue
				}
				if o.proc == int(f.b) {
					o.proc = f.proc
				}
				cand = append(cand, o)
			}
			if c, ok := fails(cand); ok {
				cur, moved = c, true
				i--
			}
		}
		for i := range cur {
			ids := []int{0}
			for _, o := range cur[:i] {
				if o.kind == rOpFork {
					ids = append(ids, int(o.b))
				}
			}
			for _, id := range ids {
				if id >= cur[i].proc || time.Now().After(deadline) {
					break
				}
				cand := append([]refOp(nil), cur...)
				cand[i].proc = id
				if c, ok := fails(cand); ok {
					cur, moved = c, true
					break
				}
			}
		}
		if !moved && len(cur) == before {
			break
		}
	}
	return cur
}

// report formats a mismatch: the op, the process, expected and actual, the
// last operations, and a minimized scenario.
func refReport(where string, r *refRun, mm *refMismatch, minimize bool) string {
	var b strings.Builder
	n := len(r.ops) - 1
	o := r.ops[n]
	pid := -1
	if rp := r.h.proc(o.proc); rp != nil && rp.p != nil {
		pid = rp.p.PID
	}
	fmt.Fprintf(&b, "%s: op #%d (%s by %s, pid %d): %s\n", where, n, refOpNames[o.kind], mm.proc, pid, mm.what)
	fmt.Fprintf(&b, "    expected: %s\n    engine:   %s\n", mm.expected, mm.actual)
	fmt.Fprintf(&b, "last operations (scenario syntax; the last line states the expectation):\n")
	from := max(0, len(r.lines)-20)
	if !minimize && len(r.lines) <= 300 {
		from = 0 // a short (fuzz) run: all of it, replayable
		for _, l := range refPrelude {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	for k := from; k < len(r.lines); k++ {
		ls := r.lines[k]
		if r.ops[k].kind == rOpCheck && k != len(r.lines)-1 && (minimize || len(r.lines) > 300 || r.h.terse) {
			fmt.Fprintf(&b, "    # check: pages read back\n")
			continue
		}
		for _, l := range ls {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	if minimize {
		small := refMinimize(r.ops, mm.kind, 60*time.Second)
		mm2, r2 := refReplay(small)
		if mm2 != nil {
			fmt.Fprintf(&b, "minimized reproduction (%d ops; save as testdata/bug-NAME.scn):\n", len(r2.ops))
			for _, l := range refPrelude {
				fmt.Fprintf(&b, "    %s\n", l)
			}
			for _, ls := range r2.lines {
				for _, l := range ls {
					fmt.Fprintf(&b, "    %s\n", l)
				}
			}
			fmt.Fprintf(&b, "    # %s\n", mm2)
		}
	}
	return b.String()
}

// refDifferentialSize gives TestDifferential its size: 25 runs of 4,000
// operations (100,000) natively; under js/wasm (node), where the engine
// runs several times slower, or with -short, 5 runs. For a longer soak,
// VMSCOPE_REFMODEL_RUNS=N runs N runs, starting at seed
// VMSCOPE_REFMODEL_SEED (default 0).
func refDifferentialSize() (runs, opsPerRun int, seed0 uint64) {
	runs, opsPerRun = 25, 4000
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" || testing.Short() {
		runs = 5
	}
	if v, err := strconv.Atoi(os.Getenv("VMSCOPE_REFMODEL_RUNS")); err == nil && v > 0 {
		runs = v
	}
	if v, err := strconv.ParseUint(os.Getenv("VMSCOPE_REFMODEL_SEED"), 0, 64); err == nil {
		seed0 = v
	}
	return runs, opsPerRun, seed0
}

// TestDifferential runs the engine beside the reference model on seeded
// random operation sequences (several processes, fork and exit included).
func TestDifferential(t *testing.T) {
	refCheckLayout(t)
	runs, opsPerRun, seed0 := refDifferentialSize()
	total := 0
	counts := make(map[string]int)
	for run := 0; run < runs; run++ {
		seed := 0x5eed0000 + seed0 + uint64(run)
		g := &refGen{src: refPCG{rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}}
		r := &refRun{h: newRefHarness(), auto: true}
		r.h.terse = true
		for n := 0; n < opsPerRun; { // executed ops; skipped ones are replaced
			o := g.next(r.h)
			mm, ran := r.exec(o)
			if !ran {
				continue
			}
			n++
			total++
			counts[refOpNames[o.kind]+" "+r.h.result]++
			if mm != nil {
				t.Fatal(refReport(fmt.Sprintf("run %d (seed %#x)", run, seed), r, mm, true))
			}
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n    %-40s %d", k, counts[k])
	}
	t.Logf("%d operations in %d runs; outcomes:%s", total, runs, b.String())
}

// FuzzDifferential decodes the input into operations (a few bytes each) and
// runs them beside the reference model.
func FuzzDifferential(f *testing.F) {
	refCheckLayout(f)
	// Seeds: short hand-made programs and slices of the PCG stream.
	f.Add([]byte{})
	f.Add([]byte{0, 0, 5, 1, 2, 0, 3, 0, 0, 60, 0, 5, 9, 0, 0, 85, 0, 0})
	f.Add([]byte("fork-cow-share-zero-none-mlock-mprotect-touch-peek-exit"))
	for s := uint64(1); s <= 6; s++ {
		r := rand.New(rand.NewPCG(s, s*7))
		b := make([]byte, 64*int(s))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &refBytes{b: data}
		g := &refGen{src: src}
		r := &refRun{h: newRefHarness(), auto: true}
		for n := 0; n < 4000; n++ {
			o := g.next(r.h)
			if src.done {
				break
			}
			if mm, _ := r.exec(o); mm != nil {
				t.Fatal(refReport("fuzz input", r, mm, false))
			}
		}
		// A final full content check.
		if mm, _ := r.exec(refOp{kind: rOpCheck, proc: r.h.live()[0].id}); mm != nil {
			t.Fatal(refReport("fuzz input (final check)", r, mm, false))
		}
	})
}

// ---------------------------------------------------------------------------
// Directed corners: the same harness driven through FreeBSD situations that
// random sequences build only rarely, with the model's own answers pinned
// too (so they document the semantics the model holds the engine to).

// refStep is one op of a corner, or (want >= 0 / wantSig) a model read
// that must give that answer.
type refStep struct {
	op      refOp
	expect  bool
	want    uint64
	wantSig Signal
}

func cOp(o refOp) refStep { return refStep{op: o} }

func cMap(id, page, n int, prot, flags uint64) refStep {
	if flags&rMapGuard == 0 {
		flags |= rMapAnon
	}
	return cOp(refOp{kind: rOpMmap, proc: id, addr: refAddr(page), length: uint64(n) * refP, a: prot,
		b: flags | rMapFixed})
}

func cW(id, page, n int, v uint64) refStep {
	return cOp(refOp{kind: rOpTouch, proc: id, addr: refAddr(page), length: uint64(n) * refP,
		a: uint64(AccessWrite), b: v})
}

func cFork(id, child int) refStep { return cOp(refOp{kind: rOpFork, proc: id, b: uint64(child)}) }

func cExit(id int) refStep { return cOp(refOp{kind: rOpExit, proc: id}) }

func cInh(id, page, n int, inh Inherit) refStep {
	return cOp(refOp{kind: rOpMinherit, proc: id, addr: refAddr(page), length: uint64(n) * refP, a: uint64(inh)})
}

func cProt(id, page, n int, prot uint64) refStep {
	return cOp(refOp{kind: rOpMprotect, proc: id, addr: refAddr(page), length: uint64(n) * refP, a: prot})
}

func cLock(id, page, n int) refStep {
	return cOp(refOp{kind: rOpMlock, proc: id, addr: refAddr(page), length: uint64(n) * refP})
}

// cFile maps n pages of the file from file page fpage at page, fixed.
func cFile(id, page, n int, prot, flags uint64, fpage int) refStep {
	return cOp(refOp{kind: rOpMmap, proc: id, addr: refAddr(page), length: uint64(n) * refP, a: prot,
		b: flags | rMapFixed, fd: refFD, pos: uint64(fpage) * refP})
}

// cPwrite writes value v to n pages of the file from file page fpage.
func cPwrite(id, fpage, n int, v uint64) refStep {
	return cOp(refOp{kind: rOpPwrite, proc: id, addr: uint64(fpage) * refP, length: uint64(n) * refP, a: v})
}

// cTrunc sets the file's size to n pages.
func cTrunc(id, n int) refStep {
	return cOp(refOp{kind: rOpFtruncate, proc: id, length: uint64(n) * refP})
}

// cSee: process id reads v at page (peeked on the engine too).
func cSee(id, page int, v uint64) refStep {
	return refStep{op: refOp{kind: rOpPeek, proc: id, addr: refAddr(page)}, expect: true, want: v}
}

// cFault: process id's read of page raises sig.
func cFault(id, page int, sig Signal) refStep {
	return refStep{op: refOp{kind: rOpPeek, proc: id, addr: refAddr(page)}, expect: true, wantSig: sig}
}

const (
	cRW = uint64(ProtRead | ProtWrite)
	cR  = uint64(ProtRead)
)

var refCorners = []struct {
	name  string
	steps []refStep
}{
	{"a private file mapping shows the file until it writes; a shared one writes the file", []refStep{
		cPwrite(0, 0, 4, 0x81), cFile(0, 0, 4, cRW, rMapPrivate, 0), cFile(0, 4, 4, cRW, rMapShared, 0),
		cSee(0, 0, 0x81), cW(0, 0, 1, 5), cSee(0, 0, 5), cSee(0, 4, 0x81),
		cW(0, 5, 1, 7), cSee(0, 1, 7), cPwrite(0, 0, 1, 0x90), cSee(0, 0, 5), cSee(0, 4, 0x90),
	}},
	{"truncation: SIGBUS past the end, private copies stay, regrown pages read 0", []refStep{
		cFile(0, 0, 4, cRW, rMapShared, 4), cFile(0, 4, 4, cRW, rMapPrivate, 4), cW(0, 0, 4, 1), cW(0, 4, 1, 2),
		cTrunc(0, 5), cSee(0, 0, 1), cFault(0, 1, SigBUSObjErr), cSee(0, 4, 2), cFault(0, 5, SigBUSObjErr),
		cTrunc(0, 8), cSee(0, 1, 0), cSee(0, 5, 0), cSee(0, 4, 2),
	}},
	{"a shared file mapping copied into a child writes the file from neither side", []refStep{
		cFile(0, 0, 1, cRW, rMapShared, 0), cW(0, 0, 1, 1), cInh(0, 0, 1, InheritCopy), cFork(0, 1),
		cW(0, 0, 1, 2), cFile(0, 1, 1, cRW, rMapShared, 0), cSee(0, 1, 1), cSee(1, 0, 1), cSee(0, 0, 2),
		cW(1, 0, 1, 3), cSee(0, 1, 1),
	}},
	{"wiring stops at the end of the file and leaves the range unwired", []refStep{
		cFile(0, 0, 4, cRW, rMapPrivate, 6), cPwrite(0, 6, 1, 0x85), cLock(0, 0, 4), cSee(0, 0, 0x85),
		cPwrite(0, 6, 1, 0x86), cSee(0, 0, 0x85), cFault(0, 2, SigBUSObjErr),
		cOp(refOp{kind: rOpMlockall, a: 3}), cFile(0, 8, 1, cR, rMapShared, 9), cFault(0, 8, SigBUSObjErr),
	}},
	{"fork COPY is a snapshot; SHARE is one cell", []refStep{
		cMap(0, 0, 2, cRW, rMapPrivate), cMap(0, 2, 1, cRW, rMapShared),
		cW(0, 0, 3, 1), cFork(0, 1),
		cW(0, 0, 1, 2), cW(1, 1, 1, 3), cW(1, 2, 1, 4),
		cSee(0, 0, 2), cSee(1, 0, 1), cSee(0, 1, 1), cSee(1, 1, 3), cSee(0, 2, 4), cSee(1, 2, 4),
	}},
	{"INHERIT_NONE and INHERIT_ZERO", []refStep{
		cMap(0, 0, 2, cRW, rMapPrivate), cW(0, 0, 2, 7),
		cInh(0, 0, 1, InheritNone), cInh(0, 1, 1, InheritZero), cFork(0, 1),
		cFault(1, 0, SigSEGVMapErr), cSee(1, 1, 0), cSee(0, 0, 7), cSee(0, 1, 7),
	}},
	{"shared, then copied: both copies see the sharer until they write (vm_map_copy_entry)", []refStep{
		cMap(0, 0, 2, cRW, rMapShared), cW(0, 0, 2, 1),
		cFork(0, 1),                             // 1 shares the object
		cInh(0, 0, 2, InheritCopy), cFork(0, 2), // 0 and 2: NEEDS_COPY over it
		cW(1, 0, 2, 5), // the sharer writes
		cSee(0, 0, 5), cSee(2, 0, 5),
		cW(0, 0, 1, 6), cW(2, 1, 1, 7), // each writes one page: that page is now private
		cW(1, 0, 2, 8),
		cSee(0, 0, 6), cSee(0, 1, 8), cSee(2, 0, 8), cSee(2, 1, 7), cSee(1, 0, 8),
	}},
	{"INHERIT_SHARE of a needs-copy page shadows it at fork", []refStep{
		cMap(0, 0, 1, cRW, rMapPrivate), cW(0, 0, 1, 1), cFork(0, 1),
		cInh(1, 0, 1, InheritShare), cFork(1, 2),
		cW(2, 0, 1, 2), cSee(1, 0, 2), cSee(0, 0, 1),
		cW(0, 0, 1, 3), cSee(1, 0, 2), cSee(2, 0, 2),
	}},
	{"mlock copies writable copy-on-write pages (even when it fails later)", []refStep{
		cMap(0, 0, 2, cRW, rMapShared), cW(0, 0, 2, 1), cFork(0, 1),
		cInh(0, 0, 2, InheritCopy), cFork(0, 2),
		cOp(refOp{kind: rOpMlock, proc: 2, addr: refAddr(0), length: 3 * refP}), // hole at page 2: ENOMEM
		cW(1, 0, 2, 9),
		cSee(2, 0, 1), cSee(2, 1, 1), cSee(0, 0, 9),
	}},
	{"wiring is not inherited; writable wired memory is copied at fork", []refStep{
		cMap(0, 0, 2, cRW, rMapPrivate), cW(0, 0, 2, 4), cLock(0, 0, 2), cFork(0, 1),
		cW(0, 0, 1, 5), cSee(1, 0, 4), cW(1, 1, 1, 6), cSee(0, 1, 4),
	}},
	{"mprotect: EACCES over several entries changes nothing; holes and guards are skipped", []refStep{
		cMap(0, 0, 1, cRW|uint64(ProtRead|ProtWrite)<<16, rMapPrivate),
		cMap(0, 2, 1, 0, rMapGuard),
		cMap(0, 3, 1, cR|cR<<16, rMapPrivate),
		cProt(0, 0, 4, cRW), // page 3's max is READ
		cProt(0, 0, 3, cR), cSee(0, 0, 0),
		cFault(0, 2, SigSEGVAccErr), cFault(0, 1, SigSEGVMapErr),
	}},
	{"guards are copied at fork, never become INHERIT_ZERO, and do not read", []refStep{
		cMap(0, 0, 2, 0, rMapGuard), cInh(0, 0, 2, InheritZero), cInh(0, 0, 1, InheritShare),
		cFork(0, 1), cFault(1, 0, SigSEGVAccErr), cFault(1, 1, SigSEGVAccErr),
	}},
	{"exit of a sharer and of a copy leaves the others' memory alone", []refStep{
		cMap(0, 0, 2, cRW, rMapShared), cMap(0, 2, 2, cRW, rMapPrivate), cW(0, 0, 4, 1),
		cFork(0, 1), cFork(1, 2), cW(2, 0, 4, 2), cExit(1),
		cSee(0, 0, 2), cSee(0, 2, 1), cSee(2, 2, 2), cExit(0), cSee(2, 0, 2), cSee(2, 3, 2),
	}},
}

// TestDifferentialCorners runs the corners on model and engine.
func TestDifferentialCorners(t *testing.T) {
	refCheckLayout(t)
	for _, c := range refCorners {
		t.Run(c.name, func(t *testing.T) {
			r := &refRun{h: newRefHarness(), auto: true}
			for i, st := range c.steps {
				o := st.op
				if st.expect {
					rp := r.h.proc(o.proc)
					if rp == nil {
						t.Fatalf("step %d: no process %d", i, o.proc)
					}
					pg := rp.at(o.addr)
					sig := SigNone
					v, bus := uint64(0), false
					if pg == nil || !pg.mapped {
						sig = SigSEGVMapErr
					} else if pg.guard || pg.prot&ProtRead == 0 {
						sig = SigSEGVAccErr
					} else if v, bus = pg.obj.read(); bus {
						sig = SigBUSObjErr
					}
					if sig != st.wantSig || sig == SigNone && v != st.want {
						got := fmt.Sprint(sig)
						if sig == SigNone {
							got = fmt.Sprint(v)
						}
						t.Fatalf("step %d: the model's %s reads %s at %#x, the corner says %d/%v",
							i, rp.name(), got, o.addr, st.want, st.wantSig)
					}
				}
				mm, ran := r.exec(o)
				if !ran {
					t.Fatalf("step %d (%s) did not apply", i, refOpNames[o.kind])
				}
				if mm != nil {
					t.Fatal(refReport("corner "+c.name, r, mm, true))
				}
			}
		})
	}
}
