package vmengine

// The FreeBSD personality: FreeBSD 14's sys/vm/vm_mmap.c argument checks, in
// the kernel's order, with its errno mapping; and (seedEra) the 2006 checks
// of seed 001 where they differ.

// FreeBSD constants (sys/sys/mman.h, sys/sys/fcntl.h, sys/sys/resource.h).
var freebsdConsts = map[string]uint64{
	"NULL":      0,
	"PROT_NONE": 0, "PROT_READ": 1, "PROT_WRITE": 2, "PROT_EXEC": 4,
	"MAP_SHARED": 0x1, "MAP_PRIVATE": 0x2, "MAP_COPY": 0x2, "MAP_FIXED": 0x10,
	"MAP_RESERVED0020": 0x20, "MAP_RENAME": 0x20, "MAP_RESERVED0040": 0x40, "MAP_NORESERVE": 0x40,
	"MAP_RESERVED0080": 0x80, "MAP_RESERVED0100": 0x100, "MAP_HASSEMAPHORE": 0x200,
	"MAP_STACK": 0x400, "MAP_NOSYNC": 0x800, "MAP_FILE": 0, "MAP_ANON": 0x1000, "MAP_ANONYMOUS": 0x1000,
	"MAP_GUARD": 0x2000, "MAP_EXCL": 0x4000, "MAP_NOCORE": 0x20000, "MAP_PREFAULT_READ": 0x40000,
	"MAP_32BIT": 0x80000, "MAP_ALIGNED_SUPER": 1 << 24, "MAP_ALIGNMENT_SHIFT": 24, "MAP_ALIGNMENT_MASK": 0xff << 24,
	"MAP_FAILED":  ^uint64(0),
	"MADV_NORMAL": 0, "MADV_RANDOM": 1, "MADV_SEQUENTIAL": 2, "MADV_WILLNEED": 3, "MADV_DONTNEED": 4,
	"MADV_FREE": 5, "MADV_NOSYNC": 6, "MADV_AUTOSYNC": 7, "MADV_NOCORE": 8, "MADV_CORE": 9, "MADV_PROTECT": 10,
	"MS_SYNC": 0, "MS_ASYNC": 1, "MS_INVALIDATE": 2,
	"MCL_CURRENT": 1, "MCL_FUTURE": 2,
	"INHERIT_SHARE": 0, "INHERIT_COPY": 1, "INHERIT_NONE": 2, "INHERIT_ZERO": 3,
	"VM_INHERIT_SHARE": 0, "VM_INHERIT_COPY": 1, "VM_INHERIT_NONE": 2, "VM_INHERIT_ZERO": 3,
	"MINCORE_INCORE": 1, "MINCORE_REFERENCED": 2, "MINCORE_MODIFIED": 4,
	"MINCORE_REFERENCED_OTHER": 8, "MINCORE_MODIFIED_OTHER": 16, "MINCORE_SUPER": 0x60,
	"O_RDONLY": 0, "O_WRONLY": 1, "O_RDWR": 2, "O_APPEND": 8, "O_CREAT": 0x200, "O_TRUNC": 0x400,
	"O_EXCL": 0x800, "O_CLOEXEC": 0x100000, "AT_FDCWD": uint64(0xffffffffffffff9c),
	"RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_MEMLOCK": 6, "RLIMIT_VMEM": 10, "RLIMIT_AS": 10,
	"RLIM_INFINITY": 0x7fffffffffffffff,
	"OMAP_ANON":     0x2, "OMAP_SHARED": 0x10, "OMAP_COPY": 0x20, "OMAP_FIXED": 0x100,
	"PAGE_SIZE": 4096,
}

const (
	fbMapShared   = 0x1
	fbMapPrivate  = 0x2
	fbMapFixed    = 0x10
	fbMapRes0020  = 0x20
	fbMapRes0040  = 0x40
	fbMapHasSema  = 0x200
	fbMapStack    = 0x400
	fbMapNoSync   = 0x800
	fbMapAnon     = 0x1000
	fbMapGuard    = 0x2000
	fbMapExcl     = 0x4000
	fbMapNoCore   = 0x20000
	fbMapPrefault = 0x40000
	fbMap32Bit    = 0x80000
	fbAlignShift  = 24
	fbAlignMask   = 0xff << 24
	fbAlignSuper  = 1 << 24
	fbMap32Max    = 1 << 31
	fbRlimInf     = 0x7fffffffffffffff
)

type freebsd struct {
	seedEra bool // freebsd6: the 2006 vm_mmap.c of seed 001
}

func newFreeBSD(seedEra bool) *freebsd { return &freebsd{seedEra: seedEra} }

func (fb *freebsd) Name() string {
	if fb.seedEra {
		return "freebsd6"
	}
	return "freebsd"
}

func (fb *freebsd) Setup(e *Engine) {
	l := FreeBSDLayout()
	l.SeedEra = fb.seedEra
	e.SetLayout(l)
}

func (fb *freebsd) Const(name string) (uint64, bool) {
	v, ok := freebsdConsts[name]
	return v, ok
}

func (fb *freebsd) Macro(name string, args []uint64) (uint64, bool) {
	if len(args) != 1 {
		return 0, false
	}
	switch name {
	case "PROT_MAX":
		return args[0] << 16, true
	case "MAP_ALIGNED":
		return args[0] << fbAlignShift, true
	}
	return 0, false
}

var freebsdCalls = []string{"mmap", "munmap", "mprotect", "minherit", "madvise", "mincore", "mlock",
	"munlock", "mlockall", "munlockall", "msync", "brk", "break", "obreak", "sbrk", "sstk",
	"getpagesize", "ommap", "open", "openat", "ftruncate", "write", "pwrite", "pwrite64", "close",
	"setrlimit", "prlimit64", "getrlimit"}

func (fb *freebsd) Names() ([]string, []string) { return freebsdCalls, sortedKeys(freebsdConsts) }

// mmapErrno maps a KERN_* code to errno for mmap and friends. Mirrors
// vm_mmap_to_errno.
func mmapErrno(k Kern) Errno {
	switch k {
	case KernSuccess:
		return ""
	case KernInvalidAddress, KernNoSpace:
		return "ENOMEM"
	case KernProtectionFailure:
		return "EACCES"
	}
	return "EINVAL"
}

func argv(args []Arg, i int) uint64 {
	if i < len(args) {
		return args[i].Val
	}
	return 0
}

func fail(errno Errno) (Result, bool) { return Result{Errno: errno}, true }

// failWhy fails with errno and names the kernel rule behind it.
func failWhy(errno Errno, why string) (Result, bool) { return Result{Errno: errno, Why: why}, true }

// kernWhy explains a KERN_* result of the vm_map layer.
func kernWhy(k Kern) string {
	switch k {
	case KernNoSpace:
		return "no free range fits, or the range is taken and MAP_EXCL forbids replacing it (vm_map_find / vm_map_insert: KERN_NO_SPACE)"
	case KernInvalidAddress:
		return "the range lies outside the map or starts in a hole (KERN_INVALID_ADDRESS)"
	case KernProtectionFailure:
		return "W^X: the map refuses PROT_WRITE|PROT_EXEC together (MAP_WXORX: KERN_PROTECTION_FAILURE)"
	case KernInvalidArgument:
		return "(KERN_INVALID_ARGUMENT)"
	}
	return k.String()
}
func ok(v uint64) (Result, bool) { return Result{Ret: v}, true }

func (fb *freebsd) Syscall(e *Engine, p *Process, call string, args []Arg) (Result, bool) {
	a := func(i int) uint64 { return argv(args, i) }
	switch call {
	case "mmap":
		return fb.mmap(e, p, a(0), a(1), a(2), a(3), fdNum(args, 4), a(5))
	case "ommap":
		return fb.ommap(e, p, a(0), a(1), a(2), a(3), fdNum(args, 4), a(5))
	case "munmap":
		return fb.munmap(e, p, a(0), a(1))
	case "mprotect":
		return fb.mprotect(e, p, a(0), a(1), a(2))
	case "minherit":
		return fb.minherit(e, p, a(0), a(1), a(2))
	case "madvise":
		return fb.madvise(e, p, a(0), a(1), a(2))
	case "mincore":
		return fb.mincore(e, p, a(0), a(1), args)
	case "mlock":
		return fb.mlock(e, p, a(0), a(1))
	case "munlock":
		return fb.munlock(e, p, a(0), a(1))
	case "mlockall":
		return fb.mlockall(e, p, a(0))
	case "munlockall":
		return fb.munlockall(e, p)
	case "msync":
		return fb.msync(e, p, a(0), a(1), a(2))
	case "brk", "break", "obreak":
		return fb.obreak(e, p, a(0))
	case "sbrk", "sstk":
		return failWhy("EOPNOTSUPP", "FreeBSD never implemented sbrk and sstk (vm_unix.c)")
	case "getpagesize":
		return ok(e.cfg.PageSize)
	case "open":
		return fileOpen(e, p, args, 0, fb.openFlags())
	case "openat":
		return fileOpen(e, p, args, 1, fb.openFlags())
	case "ftruncate", "write", "pwrite", "pwrite64", "close":
		return fileCall(e, p, call, args)
	case "setrlimit", "prlimit64", "getrlimit":
		return fb.rlimit(e, p, call, args)
	}
	return Result{}, false
}

func (fb *freebsd) openFlags() openFlagBits {
	return openFlagBits{acc: 3, wr: 1, rdwr: 2, creat: 0x200, trunc: 0x400, appnd: 8, excl: 0x800}
}

// fdArg returns the fd argument as a signed value and its path if strace
// printed one.
func fdArg(args []Arg, i int) Arg {
	if i < len(args) {
		return args[i]
	}
	return Arg{Val: ^uint64(0)}
}

// fdNum is fdArg's number alone: the fd argument as a signed value, -1
// when absent.
func fdNum(args []Arg, i int) uint64 {
	if i < len(args) {
		return args[i].Val
	}
	return ^uint64(0)
}

// mmap mirrors kern_mmap (FreeBSD 14) or, for freebsd6, the seed's mmap.
func (fb *freebsd) mmap(e *Engine, p *Process, addr, length, protArg, flags uint64, fd, pos uint64) (Result, bool) {
	vs := p.VS
	pg := e.cfg.PageSize
	var prot, maxProt Prot
	if fb.seedEra {
		prot = Prot(protArg) & ProtAll
		if int64(length) < 0 || (flags&fbMapAnon != 0 && fd != ^uint64(0)) {
			return failWhy("EINVAL", "negative length, or MAP_ANON with fd != -1 (seed mmap)")
		}
		if flags&fbMapAnon != 0 {
			pos = 0 // the 2006 mmap ignored the offset of anonymous mappings
		}
	} else {
		if protArg&^uint64(0x7|0x7<<16) != 0 {
			return failWhy("EINVAL", "prot has bits outside PROT_READ|PROT_WRITE|PROT_EXEC and PROT_MAX of them (kern_mmap)")
		}
		prot = Prot(protArg) & ProtAll
		maxProt = Prot(protArg>>16) & ProtAll
		if maxProt != 0 && !prot.Subset(maxProt) {
			return failWhy("ENOTSUP", "prot asks for more than the PROT_MAX given (kern_mmap)")
		}
		if maxProt == 0 {
			maxProt = ProtAll
			if e.cfg.ImplyProtMax && prot != ProtNone {
				maxProt = prot
			}
		}
		flags &^= fbMapRes0020 | fbMapRes0040
		if length == 0 || (flags&fbMapAnon != 0 && (fd != ^uint64(0) || pos != 0)) {
			return failWhy("EINVAL", "zero length, or MAP_ANON with fd != -1 or a non-zero offset (kern_mmap)")
		}
	}
	if flags&fbMapStack != 0 {
		if fd != ^uint64(0) || prot&(ProtRead|ProtWrite) != ProtRead|ProtWrite {
			return failWhy("EINVAL", "MAP_STACK needs fd -1 and PROT_READ|PROT_WRITE (kern_mmap)")
		}
		flags |= fbMapAnon
		pos = 0
	}
	if !fb.seedEra {
		if flags&^uint64(fbMapShared|fbMapPrivate|fbMapFixed|fbMapHasSema|fbMapStack|fbMapNoSync|fbMapAnon|
			fbMapExcl|fbMapNoCore|fbMapPrefault|fbMapGuard|fbMap32Bit|fbAlignMask) != 0 {
			return failWhy("EINVAL", "unknown mmap flag: kern_mmap accepts only SHARED, PRIVATE, FIXED, HASSEMAPHORE, STACK, NOSYNC, ANON, EXCL, NOCORE, PREFAULT_READ, GUARD, 32BIT and ALIGNED(n)")
		}
		if flags&(fbMapExcl|fbMapFixed) == fbMapExcl {
			return failWhy("EINVAL", "MAP_EXCL only makes sense with MAP_FIXED (kern_mmap)")
		}
		if flags&(fbMapShared|fbMapPrivate) == fbMapShared|fbMapPrivate {
			return failWhy("EINVAL", "MAP_SHARED and MAP_PRIVATE together (kern_mmap)")
		}
		if flags&fbMapGuard != 0 && (prot != ProtNone || fd != ^uint64(0) || pos != 0 ||
			flags&^uint64(fbMapFixed|fbMapGuard|fbMapExcl|fbMap32Bit|fbAlignMask) != 0) {
			return failWhy("EINVAL", "MAP_GUARD takes PROT_NONE, fd -1, offset 0 and no flags but FIXED, EXCL, 32BIT, ALIGNED (kern_mmap)")
		}
	}
	pageoff := pos & (pg - 1)
	pos -= pageoff
	size, okr := e.roundPage(length + pageoff)
	if !okr || length+pageoff < length || length > size {
		if fb.seedEra {
			size = 0
		} else {
			return failWhy("ENOMEM", "the length, rounded up to pages, wraps around the address space (kern_mmap)")
		}
	}
	align := flags & fbAlignMask
	if !fb.seedEra && align != 0 && align != fbAlignSuper &&
		(align>>fbAlignShift >= 64 || align>>fbAlignShift < uint64(e.pageShift)) {
		return failWhy("EINVAL", "MAP_ALIGNED(n) needs PAGE_SHIFT <= n < 64 (kern_mmap)")
	}
	minAddr := uint64(0)
	if flags&fbMapFixed != 0 {
		addr -= pageoff
		if addr&(pg-1) != 0 {
			return failWhy("EINVAL", "a MAP_FIXED address must be page aligned once the offset's page offset is taken off (kern_mmap)")
		}
		if !vs.RangeValid(addr, addr+size) || addr+size < addr {
			return failWhy("EINVAL", "a MAP_FIXED range must lie inside user space (vm_map_range_valid)")
		}
		if !fb.seedEra && flags&fbMap32Bit != 0 && addr+size > fbMap32Max {
			return failWhy("EINVAL", "MAP_FIXED|MAP_32BIT range ends above 2 GiB (kern_mmap)")
		}
	} else if !fb.seedEra && flags&fbMap32Bit != 0 {
		if addr+size > fbMap32Max {
			addr = 0
		}
	} else {
		heapEnd, _ := e.roundPage(vs.DAddr + vs.LimMax.Data)
		taddr, _ := e.roundPage(vs.TAddr)
		if (flags&fbMapAnon == 0 && addr == 0) || fb.seedEra && addr == 0 ||
			(addr >= taddr && addr < heapEnd) {
			addr = heapEnd
		}
		minAddr = heapEnd
	}

	var obj ObjID
	var cow Cow
	if flags&fbMapGuard != 0 {
		prot, maxProt = ProtNone, ProtNone
	} else if flags&fbMapAnon != 0 {
		if fb.seedEra {
			maxProt = ProtAll
		}
	} else {
		d, open := p.FDs[int(fd)]
		if !open {
			return failWhy("EBADF", "the fd is not open (fget_mmap)")
		}
		f := d.File
		if !fb.seedEra && flags&(fbMapShared|fbMapPrivate) == 0 {
			return failWhy("EINVAL", "a file mapping needs MAP_SHARED or MAP_PRIVATE (kern_mmap)")
		}
		switch f.Kind {
		case FileRegular, FileExternal:
		case FileDevZero, FileDevMem, FileDevNull:
		case FileSocket:
			return failWhy("ENODEV", "sockets and pipes have no pager to map (fo_mmap)")
		default:
			return failWhy("EINVAL", "only regular files and character devices can be mapped (vn_mmap)")
		}
		fileMax := ProtExec
		if d.Read {
			fileMax |= ProtRead
		} else if prot&ProtRead != 0 {
			return failWhy("EACCES", "PROT_READ of a file not opened for reading (vn_mmap)")
		}
		if flags&fbMapShared != 0 {
			if d.Write {
				fileMax |= ProtWrite
			} else if prot&ProtWrite != 0 {
				return failWhy("EACCES", "a MAP_SHARED writable mapping of a file not opened for writing (vn_mmap)")
			}
		} else if f.Kind == FileRegular || f.Kind == FileExternal || (!fb.seedEra && f.Kind != FileDevMem) || d.Write {
			fileMax |= ProtWrite
		}
		if fb.seedEra {
			maxProt = fileMax
		} else {
			maxProt &= fileMax
		}
		switch f.Kind {
		case FileDevZero:
			// vm_mmap_cdev: D_MMAP_ANON devices give anonymous memory.
			maxProt = ProtAll
			flags |= fbMapAnon
			pos = 0
		case FileDevMem, FileDevNull:
			if !maxProt.Has(ProtWrite) && prot&ProtWrite != 0 {
				return failWhy("EACCES", "a writable mapping of a device not opened for writing (vm_mmap_cdev)")
			}
			if flags&fbMapPrivate != 0 {
				return failWhy("EINVAL", "devices other than /dev/zero can only be mapped MAP_SHARED (vm_mmap_cdev)")
			}
			if f.Kind == FileDevNull {
				return failWhy("EINVAL", "the device has no d_mmap method (dev_pager_alloc)")
			}
			obj = e.fileObject(f)
		default:
			if flags&fbMapShared != 0 && (f.Immutable || f.Append) {
				if prot&ProtWrite != 0 {
					return failWhy("EPERM", "a writable shared mapping of an immutable or append-only file (vm_mmap_vnode)")
				}
				maxProt &^= ProtWrite
			}
			obj = e.fileObject(f)
		}
	}
	release := func() {
		if obj != 0 {
			e.deallocate(obj)
		}
	}
	if fb.seedEra && e.cfg.MaxMapEntries > 0 && vs.Map.NEntries >= e.cfg.MaxMapEntries*vs.refs {
		release()
		return failWhy("ENOMEM", "the process has max_proc_mmap map entries (seed mmap)")
	}
	if fb.seedEra && size == 0 {
		release()
		return ok(addr + pageoff)
	}
	// vm_mmap_object.
	if vs.Map.Size+size > vs.Lim.VMem {
		release()
		return failWhy("ENOMEM", "RLIMIT_VMEM (RLIMIT_AS) would be exceeded (vm_mmap_object)")
	}
	if vs.Map.Flags&MapWireFuture != 0 && e.ptoa(uint64(vs.Pmap.Wired()))+size > vs.Lim.MemLock {
		release()
		return failWhy("ENOMEM", "mlockall(MCL_FUTURE) is on and RLIMIT_MEMLOCK would be exceeded (vm_mmap_object)")
	}
	if !fb.seedEra && e.cfg.MaxMapEntries > 0 && vs.Map.NEntries >= e.cfg.MaxMapEntries {
		release()
		return failWhy("ENOMEM", "the map already has max_map_entries entries")
	}
	if flags&fbMapAnon != 0 {
		if obj != 0 || pos != 0 {
			release()
			return failWhy("EINVAL", "MAP_ANON with an object or an offset (vm_mmap_object)")
		}
	} else if flags&fbMapPrefault != 0 {
		cow |= CowPrefault
	} else {
		cow |= CowPrefaultPartial
	}
	if flags&(fbMapAnon|fbMapShared) == 0 {
		cow |= CowCopyOnWrite
	}
	if flags&fbMapNoSync != 0 {
		cow |= CowDisableSyncer
	}
	if flags&fbMapNoCore != 0 {
		cow |= CowDisableCoredump
	}
	if flags&fbMapShared != 0 {
		cow |= CowInheritShare
	}
	if flags&fbMapStack != 0 {
		cow |= CowStackGrowsDown
	}
	if flags&fbMapExcl != 0 {
		cow |= CowCheckExcl
	}
	if flags&fbMapGuard != 0 {
		cow |= CowCreateGuard
	}
	var rv Kern
	if flags&fbMapFixed == 0 {
		addr, _ = e.roundPage(addr)
		mode, al := FindOptimal, uint64(0)
		switch {
		case align == fbAlignSuper:
			mode = FindSuper
		case align != 0:
			mode, al = FindAligned, uint64(1)<<(align>>fbAlignShift)
		}
		maxAddr := uint64(0)
		if flags&fbMap32Bit != 0 {
			maxAddr = fbMap32Max
			minAddr = 0
		}
		// vm_map_find_min: try from the hint, then from min_addr.
		hint := addr
		if hint == 0 {
			hint = minAddr
		}
		a := hint
		rv = vs.find(obj, pos, &a, size, maxAddr, mode, al, prot, maxProt, cow)
		if rv != KernSuccess && minAddr < hint {
			a = minAddr
			rv = vs.find(obj, pos, &a, size, maxAddr, mode, al, prot, maxProt, cow)
		}
		addr = a
	} else {
		rv = vs.fixed(obj, pos, addr, size, prot, maxProt, cow)
	}
	if rv != KernSuccess {
		release()
		return failWhy(mmapErrno(rv), kernWhy(rv))
	}
	if vs.Map.Flags&MapWireFuture != 0 {
		wf := WireUser
		if flags&fbMapStack != 0 {
			wf |= WireHolesOK
		}
		vs.wire(addr, addr+size, wf)
	}
	return ok(addr + pageoff)
}

// Has reports whether p includes every bit of q.
func (p Prot) Has(q Prot) bool { return p&q == q }

// ommap converts 4.3BSD mmap arguments and calls mmap. Mirrors ommap.
func (fb *freebsd) ommap(e *Engine, p *Process, addr, length, prot, oflags uint64, fd, pos uint64) (Result, bool) {
	cvt := [8]uint64{0, 4, 2, 4 | 2, 1, 4 | 1, 2 | 1, 4 | 2 | 1}
	nprot := cvt[prot&7]
	var nflags uint64
	if oflags&0x2 != 0 {
		nflags |= fbMapAnon
	}
	if oflags&0x20 != 0 {
		nflags |= fbMapPrivate // MAP_COPY
	}
	if oflags&0x10 != 0 {
		nflags |= fbMapShared
	} else {
		nflags |= fbMapPrivate
	}
	if oflags&0x100 != 0 {
		nflags |= fbMapFixed
	}
	if int32(length) < 0 {
		return failWhy("EINVAL", "negative length (ommap takes an int)")
	}
	return fb.mmap(e, p, addr, uint64(uint32(length)), nprot, nflags, fd, pos)
}

// pageRange truncates addr to a page and rounds length plus the page
// offset up to pages, with C's unsigned wraparound, as the vm_mmap.c calls
// do: a length that wraps gives a small (or empty) range.
func (e *Engine) pageRange(addr, length uint64) (uint64, uint64) {
	pageoff := addr & e.pageMask
	size := (length + pageoff + e.pageMask) &^ e.pageMask
	return addr - pageoff, size
}

// munmap mirrors kern_munmap: holes are fine (seed era: EINVAL).
func (fb *freebsd) munmap(e *Engine, p *Process, addr, length uint64) (Result, bool) {
	vs := p.VS
	if length == 0 {
		return failWhy("EINVAL", "munmap of zero bytes (kern_munmap)")
	}
	addr, size := e.pageRange(addr, length)
	if !vs.RangeValid(addr, addr+size) || addr+size < addr {
		return failWhy("EINVAL", "the range is not inside user space (vm_map_range_valid)")
	}
	if fb.seedEra {
		if int64(length) < 0 {
			return failWhy("EINVAL", "negative length (seed munmap)")
		}
		// vm_map_check_protection(addr, end, VM_PROT_NONE): any hole fails.
		if !vs.fullyMapped(addr, addr+size) {
			return failWhy("EINVAL", "the range has unmapped holes (seed munmap: vm_map_check_protection)")
		}
	}
	vs.deleteRange(addr, addr+size)
	return ok(0)
}

// fullyMapped reports whether every byte of [start, end) is in an entry.
func (vs *Vmspace) fullyMapped(start, end uint64) bool {
	if start >= end {
		return true
	}
	covered := start
	vs.Map.Range(start, end, func(en Entry) bool {
		if en.Start > covered {
			return false
		}
		covered = en.End
		return covered < end
	})
	return covered >= end
}

// mprotect mirrors kern_mprotect: PROT_MAX(x) sets the maximum too.
func (fb *freebsd) mprotect(e *Engine, p *Process, addr, length, protArg uint64) (Result, bool) {
	vs := p.VS
	addr, size := e.pageRange(addr, length)
	if addr+size < addr {
		return failWhy("EINVAL", "the length wraps around the address space (kern_mprotect)")
	}
	if fb.seedEra {
		// vm_map_protect(map, addr, addr+size, prot, FALSE).
		rv := vs.protect(addr, addr+size, Prot(protArg)&ProtAll, 0, SetProt|protectClipFirst)
		return fb.mprotectResult(rv)
	}
	if protArg&^uint64(0x7|0x7<<16) != 0 {
		return failWhy("EINVAL", "prot has unknown bits (kern_mprotect)")
	}
	prot := Prot(protArg) & ProtAll
	maxProt := Prot(protArg>>16) & ProtAll
	flags := SetProt
	if maxProt != 0 {
		flags |= SetMaxProt // vm_map_protect checks prot ⊆ max (KERN_OUT_OF_BOUNDS)
	}
	return fb.mprotectResult(vs.protect(addr, addr+size, prot, maxProt, flags))
}

func (fb *freebsd) mprotectResult(rv Kern) (Result, bool) {
	switch rv {
	case KernSuccess:
		return ok(0)
	case KernProtectionFailure:
		return failWhy("EACCES", "the new protection exceeds some entry's max_protection, or W^X forbids it (vm_map_protect: KERN_PROTECTION_FAILURE)")
	case KernResourceShortage:
		return failWhy("ENOMEM", "no swap to back memory that becomes writable (vm_map_protect: KERN_RESOURCE_SHORTAGE)")
	case KernOutOfBounds:
		return failWhy("ENOTSUP", "PROT_MAX below the new protection (vm_map_protect: KERN_OUT_OF_BOUNDS)")
	}
	return failWhy("EINVAL", "a submap lies in the range (vm_map_protect: KERN_INVALID_ARGUMENT)")
}

// minherit mirrors sys_minherit (seed era: no INHERIT_ZERO).
func (fb *freebsd) minherit(e *Engine, p *Process, addr, length, inh uint64) (Result, bool) {
	vs := p.VS
	addr, size := e.pageRange(addr, length)
	if addr+size < addr {
		return failWhy("EINVAL", "the length wraps around the address space (sys_minherit)")
	}
	if inh > uint64(InheritZero) || (fb.seedEra && inh == uint64(InheritZero)) {
		return failWhy("EINVAL", "unknown inheritance value (vm_map_inherit)")
	}
	switch vs.inherit(addr, addr+size, Inherit(inh)) {
	case KernSuccess:
		return ok(0)
	case KernProtectionFailure:
		return failWhy("EACCES", "(vm_map_inherit: KERN_PROTECTION_FAILURE)")
	}
	return failWhy("EINVAL", "copy inheritance on a large-page entry (vm_map_inherit)")
}

// madvise mirrors kern_madvise and vm_map_madvise.
func (fb *freebsd) madvise(e *Engine, p *Process, addr, length, behav uint64) (Result, bool) {
	vs := p.VS
	if behav == 10 { // MADV_PROTECT: a privileged procctl
		if !e.cfg.Privileged {
			return failWhy("EPERM", "MADV_PROTECT needs privilege (procctl PROC_SPROTECT)")
		}
		return ok(0)
	}
	if addr+length < addr || addr < vs.Map.Min || addr+length > vs.Map.Max {
		return failWhy("EINVAL", "the range is not inside user space (kern_madvise)")
	}
	start := e.truncPage(addr)
	end, _ := e.roundPage(addr + length)
	if behav > AdvCore {
		return failWhy("EINVAL", "unknown advice (kern_madvise)")
	}
	if rv := vs.madvise(start, end, int(behav)); rv != KernSuccess {
		return failWhy(mmapErrno(rv), kernWhy(rv))
	}
	return ok(0)
}

// mincore mirrors kern_mincore: one byte per page, describing this
// process's page table (vm.mincore_mapped=1). A hole fails with ENOMEM.
// The vector (args[2]) is returned in Result via the runner's check.
func (fb *freebsd) mincore(e *Engine, p *Process, addr, length uint64, args []Arg) (Result, bool) {
	vec, errno := mincoreVec(e, p.VS, addr, length, false)
	if errno != "" {
		return failWhy(errno, "a page of the range is not mapped, or the range passes the end of user space (kern_mincore)")
	}
	if !userWritable(p.VS, args, 2, uint64(len(vec))) {
		return failWhy("EFAULT", "the vector is not writable memory of the process (subyte in kern_mincore)")
	}
	return Result{Ret: 0, Child: len(vec)}, true
}

// userWritable reports whether the buffer of n bytes that argument i points
// at is writable memory of the process. An argument written as an array
// (the vector's expected contents, as strace prints it) is not a pointer.
func userWritable(vs *Vmspace, args []Arg, i int, n uint64) bool {
	if i >= len(args) || args[i].IsArray || n == 0 {
		return true
	}
	p := args[i].Val
	if p+n < p {
		return false
	}
	for a := vs.eng.truncPage(p); a < p+n; a += vs.eng.cfg.PageSize {
		en, ok := vs.Map.Lookup(a)
		if !ok || en.Prot&ProtWrite == 0 {
			return false
		}
	}
	return true
}

// mincoreVec computes the mincore vector. linux selects Linux's rules
// (unaligned → EINVAL, len 0 → empty, bytes 0/1).
func mincoreVec(e *Engine, vs *Vmspace, addr, length uint64, linux bool) ([]byte, Errno) {
	var start, end uint64
	if linux {
		if addr&e.pageMask != 0 {
			return nil, "EINVAL"
		}
		if length == 0 {
			return nil, ""
		}
		r, okr := e.roundPage(length)
		if !okr || addr+r < addr || addr+r > vs.Map.Max {
			return nil, "ENOMEM"
		}
		start, end = addr, addr+r
	} else {
		start = e.truncPage(addr)
		r, okr := e.roundPage(addr + length)
		if !okr || addr+length < addr || r > vs.Map.Max {
			return nil, "ENOMEM"
		}
		end = r
		if _, ok := vs.Map.Lookup(start); !ok {
			return nil, "ENOMEM"
		}
	}
	if !vs.fullyMapped(start, end) {
		return nil, "ENOMEM"
	}
	n := e.atop(end - start)
	vec := make([]byte, n)
	if linux {
		// Linux reports the page cache for file mappings: a page another
		// process (or write(2)) brought in counts (mincore_page).
		vs.Map.Range(start, end, func(en Entry) bool {
			f := e.entryFile(en)
			if f == nil {
				return true
			}
			for a := max(en.Start, start); a < min(en.End, end); a += e.cfg.PageSize {
				if e.pageCached(f, e.atop(a-en.Start+en.Offset)) {
					vec[e.atop(a-start)] = 1
				}
			}
			return true
		})
	}
	vs.Pmap.Range(e.atop(start), e.atop(end), func(pte pmapPTE) bool {
		b := byte(1)
		if !linux {
			if pte.Referenced {
				b |= 2
			}
			if pte.Modified {
				b |= 4
			}
		}
		vec[pte.VPN-e.atop(start)] = b
		return true
	})
	return vec, ""
}

// MincoreVector returns the vector a mincore call by p over [addr,
// addr+length) would fill, or its errno, for the personality named.
func (e *Engine) MincoreVector(p *Process, addr, length uint64, linux bool) ([]byte, Errno) {
	return mincoreVec(e, p.VS, addr, length, linux)
}

// mlock mirrors kern_mlock: RLIMIT_MEMLOCK counts already-wired pages
// again; PROT_NONE or holes fail with ENOMEM.
func (fb *freebsd) mlock(e *Engine, p *Process, addr, length uint64) (Result, bool) {
	if fb.seedEra && !e.cfg.Privileged {
		return failWhy("EPERM", "the 2006 kernel let only root wire memory (suser)")
	}
	vs := p.VS
	last := addr + length
	start := e.truncPage(addr)
	end := (last + e.pageMask) &^ e.pageMask // C's wraparound
	if last < addr || end < addr {
		return failWhy("EINVAL", "the length wraps around the address space (kern_mlock)")
	}
	npages := e.atop(end - start)
	if e.cfg.MaxUserWired != 0 && npages > e.cfg.MaxUserWired {
		return failWhy("ENOMEM", "more pages than vm.max_user_wired (kern_mlock)")
	}
	if !e.cfg.Privileged && e.ptoa(npages+uint64(vs.Pmap.Wired())) > vs.Lim.MemLock {
		return failWhy("ENOMEM", "RLIMIT_MEMLOCK would be exceeded; already-wired pages count again (kern_mlock)")
	}
	rv := vs.wire(start, end, WireUser)
	switch rv {
	case KernSuccess:
		return ok(0)
	case KernInvalidArgument:
		return failWhy("EINVAL", "(vm_map_wire: KERN_INVALID_ARGUMENT)")
	case KernOutOfBounds:
		return failWhy("ENOMEM", "a page of the range cannot be faulted in: it is past the end of its file (vm_map_wire: KERN_OUT_OF_BOUNDS)")
	}
	return failWhy("ENOMEM", "a hole or a PROT_NONE entry in the range (vm_map_wire with VM_MAP_WIRE_NOHOLES)")
}

// munlock mirrors kern_munlock: unlocked memory is skipped (seed era: it
// must all be locked).
func (fb *freebsd) munlock(e *Engine, p *Process, addr, length uint64) (Result, bool) {
	if fb.seedEra && !e.cfg.Privileged {
		return failWhy("EPERM", "the 2006 kernel let only root wire memory (suser)")
	}
	vs := p.VS
	last := addr + length
	start := e.truncPage(addr)
	end := (last + e.pageMask) &^ e.pageMask // C's wraparound
	if last < addr || end < addr {
		return failWhy("EINVAL", "the length wraps around the address space (kern_munlock)")
	}
	if vs.unwire(start, end, WireUser, fb.seedEra) != KernSuccess {
		return failWhy("ENOMEM", "a hole in the range, or (seed era) memory that is not locked (vm_map_unwire)")
	}
	return ok(0)
}

// mlockall mirrors sys_mlockall.
func (fb *freebsd) mlockall(e *Engine, p *Process, how uint64) (Result, bool) {
	vs := p.VS
	if how == 0 || how&^3 != 0 {
		return failWhy("EINVAL", "how must be MCL_CURRENT and/or MCL_FUTURE (sys_mlockall)")
	}
	if fb.seedEra && !e.cfg.Privileged {
		return failWhy("EPERM", "the 2006 kernel let only root wire memory (suser)")
	}
	if how&1 != 0 && !e.cfg.Privileged && vs.Map.Size > vs.Lim.MemLock {
		return failWhy("ENOMEM", "the map is larger than RLIMIT_MEMLOCK (sys_mlockall)")
	}
	if how&2 != 0 {
		vs.Map.Flags |= MapWireFuture
	}
	if how&1 != 0 {
		if rv := vs.wire(vs.Map.Min, vs.Map.Max, WireUser|WireHolesOK); rv != KernSuccess {
			if rv == KernResourceShortage {
				return fail("ENOMEM")
			}
			return failWhy("EAGAIN", "a page could not be wired: past the end of its file (sys_mlockall: vm_map_wire failed)")
		}
	}
	return ok(0)
}

// munlockall mirrors sys_munlockall.
func (fb *freebsd) munlockall(e *Engine, p *Process) (Result, bool) {
	if fb.seedEra && !e.cfg.Privileged {
		return failWhy("EPERM", "the 2006 kernel let only root wire memory (suser)")
	}
	vs := p.VS
	vs.Map.Flags &^= MapWireFuture
	vs.unwire(vs.Map.Min, vs.Map.Max, WireUser|WireHolesOK, false)
	return ok(0)
}

// msync mirrors sys_msync: MS_SYNC is 0; ASYNC|INVALIDATE is EINVAL; size 0
// is the whole entry; KERN results map INVALID_ADDRESS→ENOMEM (seed:
// EINVAL), INVALID_ARGUMENT→EBUSY, FAILURE→EIO.
func (fb *freebsd) msync(e *Engine, p *Process, addr, length, flags uint64) (Result, bool) {
	vs := p.VS
	addr, size := e.pageRange(addr, length)
	if addr+size < addr {
		return failWhy("EINVAL", "the length wraps around the address space (sys_msync)")
	}
	if flags&(1|2) == 1|2 || (fb.seedEra && flags&^uint64(1|2) != 0) {
		return failWhy("EINVAL", "MS_ASYNC with MS_INVALIDATE (kern_msync)")
	}
	switch vs.sync(addr, addr+size, flags&1 == 0, flags&2 != 0) {
	case KernSuccess:
		return ok(0)
	case KernInvalidAddress:
		if fb.seedEra {
			return failWhy("EINVAL", "the range has unmapped parts (seed msync)")
		}
		return failWhy("ENOMEM", "the range has unmapped parts (vm_map_sync: KERN_INVALID_ADDRESS)")
	case KernInvalidArgument:
		return failWhy("EBUSY", "MS_INVALIDATE of user-wired memory (vm_map_sync: KERN_INVALID_ARGUMENT)")
	case KernFailure:
		return failWhy("EIO", "an I/O error while writing pages back (vm_object_sync)")
	}
	return fail("EINVAL")
}

// obreak mirrors kern_break and sys_break: the break moves in whole pages
// and the call returns the new, page-rounded break; an argument below the
// heap's base returns the current break (libc's probe). Growth checks
// RLIMIT_DATA (a process may always shrink), the map's end, the wire-future
// memlock limit and RLIMIT_VMEM.
func (fb *freebsd) obreak(e *Engine, p *Process, nsize uint64) (Result, bool) {
	vs := p.VS
	base, _ := e.roundPage(vs.DAddr)
	old := base + vs.DSize
	nw, okr := e.roundPage(nsize)
	if !okr {
		nw = 0
	}
	if nw < base {
		return ok(old)
	}
	if nw-base > vs.Lim.Data && nw > old {
		return failWhy("ENOMEM", "RLIMIT_DATA would be exceeded (kern_break)")
	}
	if nw > vs.Map.Max {
		return failWhy("ENOMEM", "the break would pass the end of user space (kern_break)")
	}
	if nw > old {
		if vs.Map.Flags&MapWireFuture != 0 && e.ptoa(uint64(vs.Pmap.Wired()))+nw-old > vs.Lim.MemLock {
			return failWhy("ENOMEM", "mlockall(MCL_FUTURE) is on and RLIMIT_MEMLOCK would be exceeded (kern_break)")
		}
		if vs.Map.Size+nw-old > vs.Lim.VMem {
			return failWhy("ENOMEM", "RLIMIT_VMEM would be exceeded (kern_break)")
		}
		if rv := vs.insert(0, 0, old, nw, ProtRead|ProtWrite, ProtAll, 0); rv != KernSuccess {
			return failWhy("ENOMEM", "the heap cannot grow: the pages above the break are mapped (vm_map_insert)")
		}
		vs.DSize = nw - base
		if vs.Map.Flags&MapWireFuture != 0 {
			vs.wire(old, nw, WireUser)
		}
	} else if nw < old {
		vs.deleteRange(nw, old)
		vs.DSize = nw - base
	}
	return ok(nw)
}

// rlimit implements setrlimit/prlimit64/getrlimit for the limits the
// engine honours.
func (fb *freebsd) rlimit(e *Engine, p *Process, call string, args []Arg) (Result, bool) {
	return rlimitCall(e, p, call, args, map[uint64]int{2: rlData, 3: rlStack, 6: rlMemLock, 10: rlVMem}, fbRlimInf)
}
