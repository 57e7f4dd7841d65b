package vmengine

// The Linux personality: x86-64 (and arm64) constants, argument checks and
// errno rules of mm/mmap.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c,
// mm/mlock.c, mm/msync.c and mm/mincore.c (Linux 6.x), over the same engine.
// VMAs are entries with the hidden VM_* flags in Entry.LFlags; anonymous
// memory is indexed by pgoff (the page's original virtual page number), so
// merged and moved VMAs keep their contents as Linux's anon_vma does.

import (
	"strconv"
	"strings"
	"vmscope/pmap"
)

var linuxConsts = map[string]uint64{
	"NULL":      0,
	"PROT_NONE": 0, "PROT_READ": 1, "PROT_WRITE": 2, "PROT_EXEC": 4, "PROT_SEM": 8,
	"PROT_GROWSDOWN": 0x01000000, "PROT_GROWSUP": 0x02000000,
	"MAP_SHARED": 1, "MAP_PRIVATE": 2, "MAP_SHARED_VALIDATE": 3, "MAP_FIXED": 0x10,
	"MAP_ANONYMOUS": 0x20, "MAP_ANON": 0x20, "MAP_32BIT": 0x40, "MAP_GROWSDOWN": 0x100,
	"MAP_DENYWRITE": 0x800, "MAP_EXECUTABLE": 0x1000, "MAP_LOCKED": 0x2000, "MAP_NORESERVE": 0x4000,
	"MAP_POPULATE": 0x8000, "MAP_NONBLOCK": 0x10000, "MAP_STACK": 0x20000, "MAP_HUGETLB": 0x40000,
	"MAP_SYNC": 0x80000, "MAP_FIXED_NOREPLACE": 0x100000, "MAP_FILE": 0, "MAP_FAILED": ^uint64(0),
	"MAP_DROPPABLE": 0x08, "MAP_UNINITIALIZED": 0x4000000,
	"MREMAP_MAYMOVE": 1, "MREMAP_FIXED": 2, "MREMAP_DONTUNMAP": 4,
	"MS_ASYNC": 1, "MS_INVALIDATE": 2, "MS_SYNC": 4,
	"MCL_CURRENT": 1, "MCL_FUTURE": 2, "MCL_ONFAULT": 4, "MLOCK_ONFAULT": 1,
	"MADV_NORMAL": 0, "MADV_RANDOM": 1, "MADV_SEQUENTIAL": 2, "MADV_WILLNEED": 3, "MADV_DONTNEED": 4,
	"MADV_FREE": 8, "MADV_REMOVE": 9, "MADV_DONTFORK": 10, "MADV_DOFORK": 11, "MADV_MERGEABLE": 12,
	"MADV_UNMERGEABLE": 13, "MADV_HUGEPAGE": 14, "MADV_NOHUGEPAGE": 15, "MADV_DONTDUMP": 16,
	"MADV_DODUMP": 17, "MADV_WIPEONFORK": 18, "MADV_KEEPONFORK": 19, "MADV_COLD": 20, "MADV_PAGEOUT": 21,
	"MADV_POPULATE_READ": 22, "MADV_POPULATE_WRITE": 23, "MADV_DONTNEED_LOCKED": 24, "MADV_COLLAPSE": 25,
	"MADV_HWPOISON": 100, "MADV_GUARD_INSTALL": 102, "MADV_GUARD_REMOVE": 103,
	"O_RDONLY": 0, "O_WRONLY": 1, "O_RDWR": 2, "O_CREAT": 0x40, "O_EXCL": 0x80, "O_TRUNC": 0x200,
	"O_APPEND": 0x400, "O_CLOEXEC": 0x80000, "O_DIRECTORY": 0x10000, "O_NOCTTY": 0x100,
	"AT_FDCWD":    uint64(0xffffffffffffff9c),
	"RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
	"RLIM_INFINITY": ^uint64(0), "RLIM64_INFINITY": ^uint64(0),
	"PR_SET_VMA": 0x53564d41, "PR_SET_VMA_ANON_NAME": 0,
	"CLONE_VM": 0x100, "CLONE_FS": 0x200, "CLONE_FILES": 0x400, "CLONE_SIGHAND": 0x800,
	"CLONE_THREAD": 0x10000, "CLONE_VFORK": 0x4000, "CLONE_SYSVSEM": 0x40000, "CLONE_SETTLS": 0x80000,
	"CLONE_PARENT_SETTID": 0x100000, "CLONE_CHILD_CLEARTID": 0x200000, "CLONE_CHILD_SETTID": 0x1000000,
	"SIGCHLD": 17, "PAGE_SIZE": 4096, "PKEY_DISABLE_ACCESS": 1, "PKEY_DISABLE_WRITE": 2,
}

const (
	lxMapShared         = 0x1
	lxMapPrivate        = 0x2
	lxMapType           = 0xf
	lxMapDroppable      = 0x08
	lxMapFixed          = 0x10
	lxMapAnon           = 0x20
	lxMap32Bit          = 0x40
	lxMapGrowsDown      = 0x100
	lxMapLocked         = 0x2000
	lxMapNoReserve      = 0x4000
	lxMapPopulate       = 0x8000
	lxMapNonBlock       = 0x10000
	lxMapStack          = 0x20000
	lxMapHugeTLB        = 0x40000
	lxMapSync           = 0x80000
	lxMapFixedNoReplace = 0x100000
	// LEGACY_MAP_MASK: the flags MAP_SHARED accepts silently (and
	// MAP_SHARED_VALIDATE knows): not MAP_FIXED_NOREPLACE.
	lxLegacyMask = 0x1 | 0x2 | 0x10 | 0x20 | 0x40 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x4000000 | 0xfc000000
)

// LinuxLayout returns the x86-64 layout of a process exec'd with ASLR off
// and an 8 MiB stack limit: TASK_SIZE 0x7ffffffff000 and mmap_base 128 MiB
// below it (mmap_base's gap is RLIMIT_STACK plus the 1 MiB guard gap,
// clamped to at least 128 MiB).
func LinuxLayout() Layout {
	const taskSize = 0x7ffffffff000
	return Layout{
		Min: 0, Max: taskSize, TAddr: 0x400000, DAddr: 0x400000, MaxDSize: Infinity,
		UsrStack: taskSize, MaxSSize: 8 << 20, Max32Bit: 0x80000000,
		Linux: true, TopDown: true, MmapBase: taskSize - 128<<20, StackGap: 256 * 4096,
		MinAddr: 0x10000, Arch: "x86_64", MaxUserVA: taskSize,
	}
}

type linux struct{}

func (linux) Name() string { return "linux" }

func (linux) Setup(e *Engine) {
	e.SetLayout(LinuxLayout())
	c := e.cfg
	c.MaxMapEntries = 65530
	c.PKU = true
	c.AnonVMAName = true
	_ = e.SetConfig(c)
}

func (linux) Const(name string) (uint64, bool) {
	v, ok := linuxConsts[name]
	return v, ok
}

func (linux) Macro(name string, args []uint64) (uint64, bool) { return 0, false }

var linuxCalls = []string{"mmap", "munmap", "mprotect", "pkey_mprotect", "mremap", "brk", "madvise",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "msync", "mincore", "prctl", "pkey_alloc",
	"pkey_free", "open", "openat", "close", "ftruncate", "write", "pwrite64", "setrlimit", "prlimit64",
	"getrlimit", "arch_prctl", "getpagesize"}

func (linux) Names() ([]string, []string) { return linuxCalls, sortedKeys(linuxConsts) }

func (lx linux) Syscall(e *Engine, p *Process, call string, args []Arg) (Result, bool) {
	a := func(i int) uint64 { return argv(args, i) }
	switch call {
	case "mmap", "mmap2":
		return lx.mmap(e, p, a(0), a(1), a(2), a(3), fdArg(args, 4), a(5))
	case "munmap":
		return lx.munmap(e, p, a(0), a(1))
	case "mprotect":
		return lx.mprotect(e, p, a(0), a(1), a(2), -1)
	case "pkey_mprotect":
		return lx.mprotect(e, p, a(0), a(1), a(2), int(int32(a(3))))
	case "mremap":
		return lx.mremap(e, p, a(0), a(1), a(2), a(3), a(4))
	case "brk":
		return lx.brk(e, p, a(0))
	case "madvise":
		return lx.madvise(e, p, a(0), a(1), a(2))
	case "mlock":
		return lx.mlock(e, p, a(0), a(1), 0)
	case "mlock2":
		return lx.mlock(e, p, a(0), a(1), a(2))
	case "munlock":
		return lx.munlock(e, p, a(0), a(1))
	case "mlockall":
		return lx.mlockall(e, p, a(0))
	case "munlockall":
		return lx.munlockall(e, p)
	case "msync":
		return lx.msync(e, p, a(0), a(1), a(2))
	case "mincore":
		vec, errno := mincoreVec(e, p.VS, a(0), a(1), true)
		if errno != "" {
			return failWhy(errno, "an unaligned address, a hole, or a range past TASK_SIZE (do_mincore)")
		}
		if !userWritable(p.VS, args, 2, uint64(len(vec))) {
			return failWhy("EFAULT", "the vector is not writable memory (copy_to_user)")
		}
		return Result{Child: len(vec)}, true
	case "prctl":
		return lx.prctl(e, p, args)
	case "pkey_alloc":
		return lx.pkeyAlloc(p, a(0), a(1))
	case "pkey_free":
		return lx.pkeyFree(p, a(0))
	case "open":
		return fileOpen(e, p, args, 0, lx.openFlags())
	case "openat":
		return fileOpen(e, p, args, 1, lx.openFlags())
	case "ftruncate", "write", "pwrite64", "close":
		return fileCall(e, p, call, args)
	case "setrlimit", "prlimit64", "getrlimit":
		return rlimitCall(e, p, call, args, map[uint64]int{2: rlData, 3: rlStack, 8: rlMemLock, 9: rlVMem}, ^uint64(0))
	case "arch_prctl":
		return ok(0)
	case "getpagesize":
		return ok(e.cfg.PageSize)
	}
	return Result{}, false
}

func (linux) openFlags() openFlagBits {
	return openFlagBits{acc: 3, wr: 1, rdwr: 2, creat: 0x40, trunc: 0x200, appnd: 0x400, excl: 0x80}
}

// lxFD returns the open file of an fd argument. A trace's "3</path>" form
// names a file the engine never saw opened: it becomes an external file.
func lxFD(e *Engine, p *Process, fd Arg) (*FD, bool) {
	if fd.Path != "" {
		if d := p.FDs[int(fd.Val)]; d != nil && d.File.Path == fd.Path {
			return d, true
		}
		f := e.fs.External(fd.Path)
		if strings.HasPrefix(fd.Path, "/dev/zero") {
			f, _ = e.fs.Lookup("/dev/zero")
		}
		return &FD{File: f, Read: true, Write: true}, true
	}
	d := p.FDs[int(fd.Val)]
	if d == nil && fd.FromTrace && int64(fd.Val) >= 0 {
		// strace without -yy: the file behind the fd is unknown.
		f := e.fs.External("[fd " + strconv.FormatUint(fd.Val, 10) + "]")
		return &FD{File: f, Read: true, Write: true}, true
	}
	return d, d != nil
}

// vmFlagsFor returns the hidden flags of a new mapping. Mirrors
// calc_vm_flag_bits and accountable_mapping.
func lxVMFlags(flags uint64, shared, file bool, prot Prot, maxProt Prot) LinuxFlags {
	var lf LinuxFlags
	if shared {
		lf |= LinuxShared | LinuxMayShare
		if file && !maxProt.Has(ProtWrite) {
			lf &^= LinuxShared
		}
	}
	if flags&lxMapGrowsDown != 0 {
		lf |= LinuxGrowsDown
	}
	if flags&lxMapLocked != 0 {
		lf |= LinuxLocked
	}
	if flags&lxMapStack != 0 {
		lf |= LinuxNoHugePage // MAP_STACK implies VM_NOHUGEPAGE (6.7+)
	}
	if flags&lxMapNoReserve != 0 {
		lf |= LinuxNoReserve
	}
	if lf&(LinuxNoReserve|LinuxShared) == 0 && prot&ProtWrite != 0 {
		lf |= LinuxAccount
	}
	return lf
}

// mmap mirrors sys_mmap → ksys_mmap_pgoff → do_mmap → mmap_region, with
// the checks in the kernel's order: the offset's alignment, the fd, the
// length, the pgoff overflow, max_map_count, the address
// (get_unmapped_area), MAP_FIXED_NOREPLACE, mlock limits, the file
// (file_mmap_ok, the mapping type and the fd's mode), then the address-space
// and data limits (may_expand_vm).
func (lx linux) mmap(e *Engine, p *Process, addr, length, protArg, flags uint64, fd Arg, off uint64) (Result, bool) {
	vs := p.VS
	l := e.layout
	if off&e.pageMask != 0 {
		return failWhy("EINVAL", "the file offset is not page aligned (sys_mmap)")
	}
	var d *FD
	anon := flags&lxMapAnon != 0
	if !anon {
		var open bool
		if d, open = lxFD(e, p, fd); !open {
			return failWhy("EBADF", "the fd is not open (ksys_mmap_pgoff)")
		}
		if flags&lxMapHugeTLB != 0 {
			return failWhy("EINVAL", "MAP_HUGETLB on a file that is not on hugetlbfs (ksys_mmap_pgoff)")
		}
	}
	if length == 0 {
		return failWhy("EINVAL", "zero length (do_mmap)")
	}
	prot := Prot(protArg) & ProtAll
	if flags&lxMapFixedNoReplace != 0 {
		flags |= lxMapFixed
	}
	if flags&lxMapFixed == 0 {
		addr = e.truncPage(addr)
		if addr != 0 && addr < l.MinAddr {
			addr, _ = e.roundPage(l.MinAddr)
		}
	}
	size, okr := e.roundPage(length)
	if !okr || size == 0 {
		return failWhy("ENOMEM", "the length rounds past the end of the address space (do_mmap)")
	}
	pgoff := off >> e.pageShift
	if pgoff+(size>>e.pageShift) < pgoff {
		return failWhy("EOVERFLOW", "offset plus length overflows (do_mmap)")
	}
	if e.cfg.MaxMapEntries > 0 && vs.Map.NEntries > e.cfg.MaxMapEntries {
		return failWhy("ENOMEM", "more than vm.max_map_count mappings (do_mmap)")
	}
	start, errno := vs.linuxUnmappedArea(addr, size, flags, !anon && linuxTHPFile(d.File, flags), pgoff)
	if errno != "" {
		return failWhy(errno, "no room for the mapping, or a MAP_FIXED address that is unaligned or past TASK_SIZE (get_unmapped_area)")
	}
	if flags&lxMapFixed != 0 && start < l.MinAddr && !e.cfg.Privileged {
		return failWhy("EPERM", "below vm.mmap_min_addr (security_mmap_addr)")
	}
	if flags&lxMapFixedNoReplace != 0 && !vs.Map.IsFree(start, start+size) {
		return failWhy("EEXIST", "MAP_FIXED_NOREPLACE over an existing mapping (do_mmap)")
	}
	if flags&lxMapLocked != 0 && !e.cfg.Privileged && vs.Lim.MemLock == 0 {
		return failWhy("EPERM", "MAP_LOCKED with RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK (can_do_mlock)")
	}
	if (flags&lxMapLocked != 0 || vs.DefLocked) && !e.cfg.Privileged && vs.LockedVM+size > vs.Lim.MemLock {
		return failWhy("EAGAIN", "locking would pass RLIMIT_MEMLOCK (mlock_future_ok)")
	}
	maxProt := ProtAll
	shared := false
	if !anon {
		if lxFileTooBig(d.File, pgoff, size, e.pageShift) {
			return failWhy("EOVERFLOW", "the mapping would pass the file's maximum size (file_mmap_ok)")
		}
		switch flags & lxMapType {
		case lxMapShared:
			flags &= lxLegacyMask
			fallthrough
		case 3: // MAP_SHARED_VALIDATE
			if flags&^uint64(lxLegacyMask|lxMapSync) != 0 { // ext4 files take MAP_SYNC (FOP_MMAP_SYNC)
				return failWhy("EOPNOTSUPP", "MAP_SHARED_VALIDATE with a flag it does not know (do_mmap)")
			}
			if prot&ProtWrite != 0 && !d.Write {
				return failWhy("EACCES", "a writable shared mapping of a file not opened for writing (do_mmap)")
			}
			if d.File.Append && d.Write {
				return failWhy("EACCES", "a shared mapping of an append-only file (do_mmap)")
			}
			shared = true
			if !d.Write {
				maxProt &^= ProtWrite
			}
			fallthrough
		case lxMapPrivate:
			if !d.Read {
				return failWhy("EACCES", "the file is not open for reading (do_mmap)")
			}
			switch d.File.Kind {
			case FileRegular, FileExternal, FileDevZero, FileDevMem:
			default:
				return failWhy("ENODEV", "the file has no mmap method: pipes, sockets, directories, most devices (do_mmap)")
			}
			if flags&lxMapGrowsDown != 0 {
				return failWhy("EINVAL", "MAP_GROWSDOWN on a file (do_mmap)")
			}
		default:
			return failWhy("EINVAL", "the mapping type must be MAP_SHARED, MAP_PRIVATE or MAP_SHARED_VALIDATE (do_mmap)")
		}
	} else {
		switch flags & lxMapType {
		case lxMapShared:
			if flags&lxMapGrowsDown != 0 {
				return failWhy("EINVAL", "MAP_GROWSDOWN with MAP_SHARED (do_mmap)")
			}
			shared = true
			pgoff = 0
		case lxMapPrivate:
		case lxMapDroppable:
			if flags&(lxMapLocked|lxMapHugeTLB|lxMapGrowsDown) != 0 {
				return failWhy("EINVAL", "MAP_DROPPABLE with MAP_LOCKED, MAP_HUGETLB or MAP_GROWSDOWN (do_mmap)")
			}
		default:
			return failWhy("EINVAL", "the mapping type must be MAP_SHARED or MAP_PRIVATE (do_mmap)")
		}
	}
	lf := lxVMFlags(flags, shared, !anon, prot, maxProt)
	if anon && flags&lxMapType == lxMapDroppable {
		lf = lf&^LinuxAccount | LinuxDroppable | LinuxNoReserve | LinuxWipeOnFork | LinuxDontDump
	}
	if vs.DefLocked {
		lf |= LinuxLocked
		if vs.DefOnFault {
			lf |= LinuxLockOnFault
		}
	}
	name := ""
	if !anon && d.File.Kind == FileDevZero && !shared {
		// mmap_zero: a private /dev/zero mapping is anonymous memory, but
		// the VMA keeps the file (its path and pgoff show in maps).
		anon, name = true, d.File.Path
	}
	// may_expand_vm, crediting what MAP_FIXED replaces.
	replaced := vs.mappedIn(start, start+size)
	if vs.Map.Size+size-replaced > vs.Lim.VMem {
		return failWhy("ENOMEM", "RLIMIT_AS would be exceeded (may_expand_vm)")
	}
	if lxIsData(lf, prot) && !vs.dataAllowed(size-vs.dataIn(start, start+size)) {
		return failWhy("ENOMEM", "RLIMIT_DATA would be exceeded by private writable memory (may_expand_vm)")
	}
	var obj ObjID
	if shared && (anon || d.File.Kind == FileDevZero) {
		// shmem_zero_setup: shared anonymous memory (and shared /dev/zero)
		// is a fresh unlinked shmem file of the mapping's size.
		obj = e.fileObject(e.fs.Shmem("/dev/zero (deleted)", size))
		pgoff = 0
	} else if !anon {
		obj = e.fileObject(d.File)
	}
	en := Entry{Start: start, End: start + size, Object: obj, Offset: pgoff << e.pageShift,
		Prot: prot, MaxProt: maxProt, Inherit: InheritCopy, LFlags: lf, Name: e.names.intern(name)}
	if d != nil && !(shared && d.File.Kind == FileDevZero) {
		en.FileDesc = d.Desc // shared /dev/zero gets a shmem file of its own
	}
	if protArg == uint64(ProtExec) && e.cfg.PKU { // the raw argument: PROT_EXEC|PROT_SEM gets key 0
		en.PKey = vs.execOnlyPKey() // do_mmap: execute_only_pkey
	}
	if anon && !shared && name == "" {
		en.Offset = start // private anonymous pgoff = addr >> PAGE_SHIFT
	}
	if shared {
		en.Inherit = InheritShare
	} else if obj != 0 {
		en.Flags |= EntryCOW | EntryNeedsCopy
	}
	if en.LFlags&LinuxLocked != 0 {
		en.Flags |= EntryUserWired
		en.Wired = 1
	}
	if replaced > 0 || !vs.Map.IsFree(start, start+size) { // MAP_FIXED over mappings
		if errno := vs.linuxUnmap(start, start+size); errno != "" {
			if obj != 0 {
				e.deallocate(obj)
			}
			return failWhy(errno, "MAP_FIXED would split a special mapping (mmap_region)")
		}
	}
	if !anon && flags&lxMapSync != 0 && flags&lxMapType == 3 {
		// ext4_file_mmap refuses MAP_SYNC without DAX, after the old
		// mappings of the range are already gone.
		e.deallocate(obj)
		return failWhy("EOPNOTSUPP", "MAP_SYNC needs a DAX file (ext4_file_mmap); the range was already unmapped")
	}
	en = vs.linuxInsert(en)
	if en.LFlags&LinuxLocked != 0 {
		vs.LockedVM += size
		vs.linuxPopulate(start, start+size, en.LFlags&LinuxLockOnFault == 0)
	} else if flags&(lxMapPopulate|lxMapNonBlock) == lxMapPopulate {
		vs.linuxPopulate(start, start+size, true)
	}
	return ok(start)
}

// lxFileTooBig mirrors file_mmap_ok: a regular file's mapping must end
// below MAX_LFS_FILESIZE.
func lxFileTooBig(f *File, pgoff, size uint64, shift uint) bool {
	const maxLFS = 1<<63 - 1
	if f.Kind != FileRegular && f.Kind != FileExternal {
		return false
	}
	if size > maxLFS {
		return true
	}
	return pgoff > (maxLFS-size)>>shift
}

// lxIsData mirrors is_data_mapping: private, writable, not a stack.
func lxIsData(lf LinuxFlags, prot Prot) bool {
	return prot&ProtWrite != 0 && lf&(LinuxShared|LinuxGrowsDown) == 0
}

// dataIn returns the data_vm bytes (private writable, non-stack) in [s, t).
func (vs *Vmspace) dataIn(s, t uint64) uint64 {
	var n uint64
	vs.Map.Range(s, t, func(en Entry) bool {
		if lxIsData(en.LFlags, en.Prot) {
			n += min(en.End, t) - max(en.Start, s)
		}
		return true
	})
	return n
}

// dataAllowed mirrors the RLIMIT_DATA half of may_expand_vm: data_vm plus
// more must stay within the limit, except for valgrind's case of a zero soft
// limit under an infinite hard one.
func (vs *Vmspace) dataAllowed(more uint64) bool {
	if vs.Lim.Data == Infinity || more == 0 {
		return true
	}
	if vs.Lim.Data == 0 && vs.LimMax.Data == Infinity {
		return true
	}
	return vs.dataIn(vs.Map.Min, vs.Map.Max)+more <= vs.Lim.Data
}

// mappedIn returns how many bytes of [s, e) are mapped (non-guard).
func (vs *Vmspace) mappedIn(s, e uint64) uint64 {
	var n uint64
	vs.Map.Range(s, e, func(en Entry) bool {
		if !en.IsGuard() {
			n += min(en.End, e) - max(en.Start, s)
		}
		return true
	})
	return n
}

// linuxUnmappedArea chooses the address of a new mapping. Mirrors
// __get_unmapped_area and arch_get_unmapped_area_topdown (x86-64): MAP_FIXED
// is taken as is; a free hint clear of neighbours' stack guard gaps is used
// exactly; otherwise the highest fitting gap below mmap_base (bottom-up in
// the legacy layout, and in 1-2 GiB for MAP_32BIT). Large file mappings are
// PMD-aligned as thp_get_unmapped_area does.
func (vs *Vmspace) linuxUnmappedArea(addr, size, flags uint64, file bool, pgoff uint64) (uint64, Errno) {
	e := vs.eng
	l := e.layout
	taskSize := vs.Map.Max
	if size > taskSize-l.MinAddr {
		return 0, "ENOMEM"
	}
	if flags&lxMapFixed != 0 {
		if addr > taskSize-size {
			return 0, "ENOMEM"
		}
		if addr&e.pageMask != 0 {
			return 0, "EINVAL"
		}
		return addr, ""
	}
	// arch_get_unmapped_area_topdown: a free hint clear of stack guard
	// gaps is used as is; MAP_32BIT searches bottom-up in [1 GiB, 2 GiB);
	// everything else top-down below mmap_base.
	arch := func(length uint64) (uint64, bool) {
		if addr != 0 && taskSize-length >= addr && addr >= l.MinAddr && vs.gapFree(addr, addr+length) {
			return addr, true
		}
		if flags&lxMap32Bit != 0 {
			return vs.linuxFindLow(0x40000000, 0x80000000, length, e.cfg.PageSize)
		}
		return vs.linuxFindArea(length, e.cfg.PageSize)
	}
	const pmd = 2 << 20
	off := pgoff << e.pageShift
	offAlign := (off + pmd - 1) &^ (pmd - 1)
	thp := false
	switch {
	case file:
		// thp_get_unmapped_area: only when the file range holds a whole
		// aligned 2 MiB chunk.
		thp = off+size > offAlign && off+size-offAlign >= pmd
	case flags&lxMapType != lxMapShared:
		// Private anonymous memory a whole number of PMDs long, without a
		// hint (6.7+); shmem is aligned only with shmem huge pages on.
		thp, off = addr == 0 && size%pmd == 0, 0
	}
	if thp && size+pmd > size {
		// __thp_get_unmapped_area: search for len+PMD, then align so the
		// address agrees with the offset modulo 2 MiB (top-down: skip one
		// huge page when the result is already aligned).
		if a, okA := arch(size + pmd); okA {
			if a == addr && addr != 0 {
				return a, ""
			}
			offSub := (off - a) & (pmd - 1)
			if l.TopDown && offSub == 0 {
				return a + pmd, ""
			}
			return a + offSub, ""
		}
	}
	if a, okA := arch(size); okA {
		return a, ""
	}
	return 0, "ENOMEM"
}

// linuxTHPFile reports whether mapping f (with mmap flags) is placed by
// thp_get_unmapped_area: regular files (ext4's f_op) and private
// /dev/zero (get_unmapped_area_zero) are; shmem files and shared /dev/zero
// go to shmem_get_unmapped_area, which aligns only with shmem huge pages
// enabled (off by default), like the anonymous MAP_SHARED case.
func linuxTHPFile(f *File, flags uint64) bool {
	switch {
	case f.Shmem:
		return false
	case f.Kind == FileDevZero:
		return flags&lxMapType != lxMapShared
	}
	return true
}

// linuxFindArea searches top-down below mmap_base (falling back to
// bottom-up), or bottom-up in the legacy layout.
func (vs *Vmspace) linuxFindArea(size, align uint64) (uint64, bool) {
	l := vs.eng.layout
	lo := max(vs.eng.cfg.PageSize, l.MinAddr)
	if l.TopDown {
		if a, ok := vs.linuxFindHigh(lo, vs.MmapBase, size, align); ok {
			return a, true
		}
	}
	return vs.linuxFindLow(vs.Map.Max/3&^vs.eng.pageMask, vs.Map.Max, size, align)
}

// gapFree reports whether [s, t) is free and clear of the stack guard gap of
// a grows-down VMA above it. Mirrors the hint check against vm_start_gap.
func (vs *Vmspace) gapFree(s, t uint64) bool {
	return vs.Map.IsFree(s, t) && vs.clearOfStackGap(t)
}

// clearOfStackGap reports whether a free range ending at t stays out of
// the guard gap below a grows-down VMA above it.
func (vs *Vmspace) clearOfStackGap(t uint64) bool {
	if n, ok := vs.Map.next(t); ok && n.LFlags&LinuxGrowsDown != 0 {
		gap := vs.eng.layout.StackGap
		if n.Start < gap || t > n.Start-gap {
			return false
		}
	}
	return true
}

// linuxFindHigh is unmapped_area_topdown: the highest aligned fit in [lo,
// hi), skipping fits that would sit inside a grows-down VMA's guard gap.
func (vs *Vmspace) linuxFindHigh(lo, hi, size, align uint64) (uint64, bool) {
	for hi > lo {
		a, ok := vs.Map.FindSpaceTopDown(lo, hi, size, align)
		if !ok {
			return 0, false
		}
		if vs.clearOfStackGap(a + size) { // the search found [a, a+size) free
			return a, true
		}
		// Retry below the guard gap of the stack above.
		n, _ := vs.Map.next(a + size)
		limit := n.Start - vs.eng.layout.StackGap
		if n.Start < vs.eng.layout.StackGap || limit >= hi {
			return 0, false
		}
		hi = limit
	}
	return 0, false
}

// linuxFindLow is unmapped_area: the lowest aligned fit in [lo, hi).
func (vs *Vmspace) linuxFindLow(lo, hi, size, align uint64) (uint64, bool) {
	for lo < hi {
		a, ok := vs.Map.FindSpace(lo, hi, size, align)
		if !ok {
			return 0, false
		}
		if vs.clearOfStackGap(a + size) { // the search found [a, a+size) free
			return a, true
		}
		lo = a + vs.eng.cfg.PageSize
	}
	return 0, false
}

// linuxInsert links a new VMA into free space and merges it with its
// neighbours (vma_merge_new_range). Pre: [en.Start, en.End) is free.
func (vs *Vmspace) linuxInsert(en Entry) Entry {
	vs.Map.link(en)
	if en.LFlags&LinuxIO != 0 {
		return en
	}
	en = vs.mergeWithPrev(en)
	return vs.mergeWithNext(en)
}

// assumeWritten gives private writable anonymous memory of an exec image
// its anon_vma (an empty object) when replaying a trace: the image was
// written while it was built, and those page faults are not in the trace.
// Fresh mappings still merge into it (they have none yet); two separately
// written regions, as in the kernel, do not. (Memory mapped by traced calls
// is not assumed written: a program may map, advise, then write, and the
// kernel merges in between. Whether such memory was written before a merge
// is the one thing a trace without page faults cannot tell.)
func (vs *Vmspace) assumeWritten(en Entry) Entry {
	e := vs.eng
	if !e.cfg.AssumeWritten || en.Object != 0 || en.Prot&ProtWrite == 0 ||
		en.LFlags&(LinuxMayShare|LinuxIO) != 0 || strings.HasPrefix(e.EntryName(&en), "/") {
		return en
	}
	o := e.allocAnon(e.atop(en.Offset + en.Size()))
	en.Object = o.ID
	vs.Map.put(en)
	return en
}

// linuxPopulate faults every page of [s, t) in (mm_populate), writing
// when the VMA is private and writable (to break COW as populate does).
// It reports whether every page could be faulted: a hole, a PROT_NONE VMA
// or a page past the end of a file fails (callers that ignore errors, as
// do_mmap's populate does, drop the result).
func (vs *Vmspace) linuxPopulate(s, t uint64, all bool) bool {
	return vs.populate(s, t, all, false)
}

// populate is linuxPopulate; with stopAtFailure it stops at the first page
// that cannot be faulted, as do_mlock's __mm_populate does.
func (vs *Vmspace) populate(s, t uint64, all, stopAtFailure bool) bool {
	if !all {
		return true
	}
	okAll := true
	for a := s; a < t; a += vs.eng.cfg.PageSize {
		en, ok := vs.Map.Lookup(a)
		if !ok || en.Prot == ProtNone {
			if stopAtFailure {
				return false // __mm_populate without ignore_errors stops here
			}
			okAll = false
			continue
		}
		if en.LFlags&LinuxIO != 0 {
			continue
		}
		acc := AccessRead
		if en.Prot&ProtWrite != 0 && en.LFlags&LinuxShared == 0 {
			acc = AccessWrite
		}
		if vs.fault(a, acc, 0, faultNoStore) != SigNone {
			if stopAtFailure {
				return false
			}
			okAll = false
		}
	}
	return okAll
}

// munmap mirrors __vm_munmap: unaligned or out-of-range → EINVAL; no VMA
// in the range is fine; a split at max_map_count → ENOMEM.
func (lx linux) munmap(e *Engine, p *Process, addr, length uint64) (Result, bool) {
	vs := p.VS
	if addr&e.pageMask != 0 || addr > vs.Map.Max || length > vs.Map.Max-addr {
		return fail("EINVAL")
	}
	size, okr := e.roundPage(length)
	if !okr || size == 0 {
		return fail("EINVAL")
	}
	if errno := vs.linuxUnmap(addr, addr+size); errno != "" {
		return failWhy(errno, "unmapping would split a special mapping, or pass vm.max_map_count (vms_gather_munmap_vmas)")
	}
	return ok(0)
}

// linuxUnmap removes [start, end) as do_vmi_align_munmap does: the first
// VMA is split, then the last; a split at vm.max_map_count is ENOMEM and a
// special mapping ([vvar], [vdso]) refuses any split with EINVAL — after
// the first split already happened.
func (vs *Vmspace) linuxUnmap(start, end uint64) Errno {
	m := &vs.Map
	first, okF := m.Lookup(start)
	if okF && first.Start < start {
		if first.LFlags&LinuxSpecial != 0 {
			return "EINVAL"
		}
		if max := vs.eng.cfg.MaxMapEntries; max > 0 && m.NEntries >= max && first.End > end {
			return "ENOMEM"
		}
		vs.clipStart(first, start)
	}
	if last, okL := m.Lookup(end - 1); okL && last.End > end && last.LFlags&LinuxSpecial != 0 {
		return "EINVAL"
	}
	vs.linuxUnlockRange(start, end)
	vs.deleteRange(start, end)
	return ""
}

// linuxUnlockRange subtracts locked VMAs in [s, t) from locked_vm.
func (vs *Vmspace) linuxUnlockRange(s, t uint64) {
	vs.Map.Range(s, t, func(en Entry) bool {
		if en.LFlags&LinuxLocked != 0 {
			vs.LockedVM -= min(en.End, t) - max(en.Start, s)
		}
		return true
	})
}

// linuxModify applies fn (a pure function of the entry's fields) to every
// VMA in [start, end) that it changes, after clipping, calls after with the
// old and new values (for page tables and accounting), and merges each with
// its neighbours: the shape of mprotect_fixup, madvise
// and mlock_fixup (vma_modify). It stops with ENOMEM at a hole, after
// the VMAs before it were changed (Linux is not atomic). check may refuse
// a VMA before it is changed.
func (vs *Vmspace) linuxModify(start, end uint64, check func(Entry) Errno, fn func(Entry) Entry, after func(old, new Entry)) Errno {
	m := &vs.Map
	if _, ok := m.Lookup(start); !ok {
		return "ENOMEM"
	}
	cur := start
	for cur < end {
		en, ok := m.Lookup(cur)
		if !ok {
			return "ENOMEM"
		}
		if check != nil {
			if errno := check(en); errno != "" {
				return errno
			}
		}
		if fn(en) == en {
			// Nothing changes: no split (mprotect_fixup, madvise_update_vma
			// and mlock_fixup return early).
			cur = min(en.End, end)
			continue
		}
		if en.Start < cur || en.End > end {
			if en.LFlags&LinuxSpecial != 0 {
				return "EINVAL" // special_mapping_split
			}
			if vs.eng.cfg.MaxMapEntries > 0 && m.NEntries >= vs.eng.cfg.MaxMapEntries {
				return "ENOMEM" // split_vma at vm.max_map_count
			}
		}
		if en.Start < cur {
			en = vs.clipStart(en, cur)
		}
		if en.End > end {
			en = vs.clipEnd(en, end)
		}
		old := en
		en = fn(en)
		m.put(en)
		m.Timestamp++
		// vma_modify merges first; the hook (page tables, accounting, the
		// populate of mprotect_fixup) then works on the merged VMA.
		piece := en
		en = vs.mergeWithPrev(en)
		en = vs.mergeWithNext(en)
		if after != nil {
			after(old, piece)
			en, _ = m.Lookup(piece.Start) // the hook may fault pages in and change the entry
		}
		cur = en.End
		if en.End > end {
			cur = end
		}
	}
	return ""
}

// mprotect mirrors do_mprotect_pkey: the first VMA intersecting the range
// decides (PROT_GROWSDOWN extends the start to it and needs VM_GROWSDOWN;
// PROT_GROWSUP needs VM_GROWSUP, which x86-64 never has; otherwise a hole at
// the start is ENOMEM); then per VMA, new permissions beyond VM_MAY* fail
// with EACCES and a hole with ENOMEM, after the VMAs before it changed.
func (lx linux) mprotect(e *Engine, p *Process, addr, length, protArg uint64, pkey int) (Result, bool) {
	vs := p.VS
	const growsDown, growsUp = 0x01000000, 0x02000000
	grows := protArg & (growsDown | growsUp)
	if grows == growsDown|growsUp {
		return failWhy("EINVAL", "PROT_GROWSDOWN and PROT_GROWSUP together (do_mprotect_pkey)")
	}
	if addr&e.pageMask != 0 {
		return failWhy("EINVAL", "the address is not page aligned (do_mprotect_pkey)")
	}
	if length == 0 {
		return ok(0)
	}
	size, okr := e.roundPage(length)
	end := addr + size
	if !okr || end <= addr {
		return failWhy("ENOMEM", "the range wraps around the address space (do_mprotect_pkey)")
	}
	if protArg&^uint64(0x7|0x8|growsDown|growsUp) != 0 {
		return failWhy("EINVAL", "unknown protection bits (arch_validate_prot)")
	}
	if pkey > 15 || (pkey > 0 && vs.PKeys&(1<<pkey) == 0) {
		return failWhy("EINVAL", "the protection key is not allocated (do_mprotect_pkey)")
	}
	first, found := vs.Map.Lookup(addr)
	if !found {
		n, okN := vs.Map.next(addr)
		if !okN || n.Start >= end {
			return failWhy("ENOMEM", "no mapping in the range (do_mprotect_pkey)")
		}
		first = n
	}
	switch {
	case grows == growsDown:
		if first.Start >= end {
			return failWhy("ENOMEM", "no mapping in the range (do_mprotect_pkey)")
		}
		addr = first.Start
		if first.LFlags&LinuxGrowsDown == 0 {
			return failWhy("EINVAL", "PROT_GROWSDOWN on a mapping that does not grow down (do_mprotect_pkey)")
		}
	default:
		if first.Start > addr {
			return failWhy("ENOMEM", "the range starts in a hole (do_mprotect_pkey)")
		}
		if grows == growsUp {
			return failWhy("EINVAL", "PROT_GROWSUP on a mapping that does not grow up (do_mprotect_pkey)")
		}
	}
	prot := Prot(protArg) & ProtAll
	var why string
	errno := vs.linuxModify(addr, end, func(en Entry) Errno {
		if !prot.Subset(en.MaxProt) {
			why = "the new protection exceeds what the mapping may have: VM_MAY* (do_mprotect_pkey)"
			return "EACCES"
		}
		newData := lxIsData(en.LFlags, prot)
		if newData && !lxIsData(en.LFlags, en.Prot) && !vs.dataAllowed(min(en.End, end)-max(en.Start, addr)) {
			why = "RLIMIT_DATA would be exceeded (mprotect_fixup: may_expand_vm)"
			return "ENOMEM"
		}
		return ""
	}, func(en Entry) Entry {
		before := en
		old := en.Prot
		en.Prot = prot
		switch {
		case pkey >= 0:
			en.PKey = uint8(pkey)
		case protArg&^(growsDown|growsUp) == uint64(ProtExec) && vs.eng.cfg.PKU:
			en.PKey = vs.execOnlyPKey() // execute_only_pkey: x86 PKU makes it unreadable
		case en.PKey == vs.ExecOnlyKey && vs.ExecOnlyKey != 0:
			en.PKey = 0 // arch_override_mprotect_pkey: leaving PROT_EXEC drops the key
		}
		if en == before {
			return en // mprotect_fixup: newflags == oldflags returns before any VM_ACCOUNT change
		}
		switch {
		case prot&ProtWrite != 0 && en.LFlags&(LinuxAccount|LinuxShared|LinuxNoReserve) == 0 && old&ProtWrite == 0:
			en.LFlags |= LinuxAccount
		case prot&ProtWrite == 0 && en.LFlags&LinuxAccount != 0 && en.Object == 0 && e.entryFile(en) == nil && en.Name == 0:
			// mprotect_fixup: anonymous memory without an anon_vma gives
			// its commit charge back when it stops being writable.
			en.LFlags &^= LinuxAccount
		}
		return en
	}, func(old, en Entry) {
		if old.LFlags&(LinuxShared|LinuxLocked) == LinuxLocked && old.Prot&ProtWrite == 0 && prot&ProtWrite != 0 {
			// mprotect_fixup: locked private memory made writable is
			// populated now (its copy-on-write is broken at once), except
			// under MLOCK_ONFAULT (populate_vma_page_range returns early).
			vs.populate(en.Start, en.End, en.LFlags&LinuxLockOnFault == 0, false)
		}
		if old.Prot&^prot != 0 {
			mask := prot
			if en.Flags&EntryNeedsCopy != 0 || en.LFlags&LinuxShared == 0 {
				mask &^= ProtWrite
			}
			if old.Prot&ProtWrite != 0 && prot&ProtWrite != 0 {
				mask |= ProtWrite
			}
			vs.pmapProtect(en.Start, en.End, mask|ProtRead&prot)
		}
	})
	if errno != "" {
		if why == "" {
			why = "a hole in the range, or a split the kernel refuses; the mappings before it were changed (do_mprotect_pkey)"
		}
		return failWhy(errno, why)
	}
	return ok(0)
}

// brk mirrors sys_brk: it never fails, returning the old break when the
// request is refused. Shrinking unmaps; growing expands the heap VMA (or
// creates it) unless the new end comes within a page of the next VMA.
func (lx linux) brk(e *Engine, p *Process, nb uint64) (Result, bool) {
	vs := p.VS
	if vs.StartBrk == 0 {
		return ok(vs.Brk)
	}
	if nb < vs.StartBrk {
		return ok(vs.Brk)
	}
	// check_data_rlimit: the heap (to the new break, even when shrinking)
	// plus the data segment must fit RLIMIT_DATA.
	if vs.Lim.Data != Infinity && nb-vs.StartBrk+vs.DataSeg > vs.Lim.Data {
		return ok(vs.Brk)
	}
	newEnd, _ := e.roundPage(nb)
	oldEnd, _ := e.roundPage(vs.Brk)
	if newEnd == oldEnd {
		vs.Brk = nb
		return ok(nb)
	}
	if nb <= vs.Brk {
		// Shrinking needs a VMA in the released range, else the break
		// stays (sys_brk: vma_find from the new break).
		if n, found := vs.Map.next(newEnd); !found || n.Start >= oldEnd {
			if en, in := vs.Map.Lookup(newEnd); !in || en.Start >= oldEnd {
				return ok(vs.Brk)
			}
		}
		vs.deleteRange(newEnd, oldEnd)
		vs.Brk = nb
		return ok(nb)
	}
	// The next VMA must start at least a page above the new break, and a
	// grows-down one its stack guard gap further (vm_start_gap).
	if n, ok2 := vs.Map.next(oldEnd); ok2 && n.Start < newEnd+e.cfg.PageSize+e.layout.StackGap {
		gapStart := n.Start
		if n.LFlags&LinuxGrowsDown != 0 {
			if gapStart > e.layout.StackGap {
				gapStart -= e.layout.StackGap
			} else {
				gapStart = 0
			}
		}
		if newEnd+e.cfg.PageSize > gapStart {
			return ok(vs.Brk)
		}
	}
	if !vs.Map.IsFree(oldEnd, newEnd) {
		return ok(vs.Brk)
	}
	if vs.Map.Size+newEnd-oldEnd > vs.Lim.VMem || !vs.dataAllowed(newEnd-oldEnd) {
		return ok(vs.Brk)
	}
	// do_brk_flags expands the VMA ending at the old break only if it
	// reaches above start_brk (vma_prev_limit): a bss ending at start_brk
	// is never extended, but a VMA that an mmap merged across start_brk is.
	lf := LinuxAccount
	if vs.DefLocked {
		lf |= LinuxLocked
	}
	// The new range's pgoff is its address (PHYS_PFN(addr)), which must
	// continue the VMA's (can_vma_merge_after).
	if prev, okP := vs.Map.floor(oldEnd - 1); okP && prev.End == oldEnd && prev.End > vs.StartBrk &&
		e.entryFile(prev) == nil && prev.Prot == ProtRead|ProtWrite && prev.LFlags&^(LinuxSoftDirty|LinuxForkedAnon) == lf &&
		prev.Name == 0 && prev.PKey == 0 && prev.Offset+prev.Size() == oldEnd {
		if prev.Object != 0 {
			prev.Object = vs.evictAliases(prev.Object, oldEnd, newEnd, prev.Start) // the new pgoffs join the object
		}
		vs.Map.resize(prev, newEnd)
	} else {
		en := Entry{Start: oldEnd, End: newEnd, Offset: oldEnd, Prot: ProtRead | ProtWrite, MaxProt: ProtAll,
			Inherit: InheritCopy, LFlags: lf}
		vs.Map.link(en)
		vs.mergeWithNext(en)
	}
	vs.Brk = nb
	return ok(nb)
}

// madvise mirrors do_madvise (Linux meanings: DONTNEED discards private
// pages, DONTFORK/WIPEONFORK/HUGEPAGE/... are VMA flags that split).
func (lx linux) madvise(e *Engine, p *Process, addr, length, behav uint64) (Result, bool) {
	vs := p.VS
	if addr&e.pageMask != 0 {
		return fail("EINVAL")
	}
	switch behav {
	case 0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 100, 102, 103:
	default:
		return fail("EINVAL")
	}
	size, okr := e.roundPage(length)
	if !okr || (length != 0 && size == 0) || addr+size < addr {
		return fail("EINVAL")
	}
	if behav == 100 {
		// MADV_HWPOISON: this kernel answers EINVAL (memory-failure
		// injection is not available to the call).
		return failWhy("EINVAL", "MADV_HWPOISON is not supported here")
	}
	if size == 0 {
		return ok(0)
	}
	end := addr + size
	var flagSet, flagClear LinuxFlags
	switch behav {
	case 1:
		flagSet, flagClear = LinuxRandRead, LinuxSeqRead
	case 2:
		flagSet, flagClear = LinuxSeqRead, LinuxRandRead
	case 0:
		flagClear = LinuxSeqRead | LinuxRandRead
	case 10:
		flagSet = LinuxDontCopy
	case 11:
		flagClear = LinuxDontCopy
	case 12:
		flagSet = LinuxMergeable
	case 13:
		flagClear = LinuxMergeable
	case 14:
		flagSet, flagClear = LinuxHugePage, LinuxNoHugePage
	case 15:
		flagSet, flagClear = LinuxNoHugePage, LinuxHugePage
	case 16:
		flagSet = LinuxDontDump
	case 17:
		flagClear = LinuxDontDump
	case 18:
		flagSet = LinuxWipeOnFork
	case 19:
		flagClear = LinuxWipeOnFork
	}
	unmapped := false
	if flagSet|flagClear != 0 {
		// Apply to each mapped part; holes make the call return ENOMEM.
		cur := addr
		for cur < end {
			en, ok := vs.Map.Lookup(cur)
			if !ok {
				n, okN := vs.Map.next(cur)
				unmapped = true
				if !okN || n.Start >= end {
					break
				}
				cur = n.Start
				continue
			}
			if behav == 18 && (en.LFlags&LinuxShared != 0 || en.LFlags&LinuxMayShare != 0 || e.entryFile(en) != nil) {
				return failWhy("EINVAL", "MADV_WIPEONFORK only applies to private anonymous memory (madvise_vma_behavior)")
			}
			if behav == 17 && en.LFlags&(LinuxDroppable|LinuxIO|LinuxDontExpand) != 0 {
				return failWhy("EINVAL", "MADV_DODUMP on droppable memory or a VM_SPECIAL mapping (madvise_vma_behavior)")
			}
			if behav == 19 && en.LFlags&LinuxDroppable != 0 {
				return failWhy("EINVAL", "MADV_KEEPONFORK on droppable memory (madvise_vma_behavior)")
			}
			segEnd := min(en.End, end)
			if behav == 12 && en.LFlags&(LinuxShared|LinuxMayShare|LinuxIO|LinuxDontExpand|LinuxDroppable) != 0 {
				cur = segEnd // ksm_madvise: not vma_ksm_compatible, a silent no-op
				continue
			}
			vs.linuxModify(cur, segEnd, nil, func(x Entry) Entry {
				x.LFlags = x.LFlags&^flagClear | flagSet
				return x
			}, nil)
			cur = segEnd
		}
	} else {
		cur := addr
		for cur < end {
			en, ok := vs.Map.Lookup(cur)
			if !ok {
				if behav == 22 || behav == 23 {
					return failWhy("ENOMEM", "a hole in the range (madvise_populate)")
				}
				n, okN := vs.Map.next(cur)
				unmapped = true
				if !okN || n.Start >= end {
					break
				}
				cur = n.Start
				continue
			}
			us, ue := max(en.Start, cur), min(en.End, end)
			switch behav {
			case 4, 24: // DONTNEED(_LOCKED)
				if behav == 4 && en.LFlags&LinuxLocked != 0 || en.LFlags&LinuxIO != 0 {
					return fail("EINVAL")
				}
				vs.linuxZap(en, us, ue)
			case 8: // FREE
				if en.LFlags&(LinuxLocked|LinuxIO) != 0 {
					return failWhy("EINVAL", "MADV_FREE refuses locked memory (madvise_dontneed_free_valid_vma)")
				}
				if en.LFlags&LinuxShared != 0 || en.LFlags&LinuxMayShare != 0 || e.entryFile(en) != nil {
					return fail("EINVAL")
				}
				vs.Pmap.ClearReferenced(e.atop(us), e.atop(ue), true)
			case 9: // REMOVE
				if en.LFlags&LinuxLocked != 0 || e.entryFile(en) == nil {
					return failWhy("EINVAL", "MADV_REMOVE needs an unlocked file mapping (madvise_remove)")
				}
				if en.LFlags&LinuxShared == 0 {
					return failWhy("EACCES", "MADV_REMOVE needs a shared writable mapping (madvise_remove)")
				}
				vs.linuxZap(en, us, ue)
				f := e.entryFile(en)
				if idx, ok := e.filePageOf(en, f); ok {
					first := idx + e.atop(us-en.Start)
					e.PunchHole(f, first, first+e.atop(ue-us))
				}
			case 22, 23: // POPULATE_READ, POPULATE_WRITE
				need := ProtRead
				if behav == 23 {
					need = ProtWrite
				}
				if en.Prot&need == 0 {
					return failWhy("EINVAL", "the mapping lacks the permission the populate needs (madvise_populate)")
				}
				acc := AccessRead
				if behav == 23 {
					acc = AccessWrite
				}
				for a := us; a < ue; a += e.cfg.PageSize {
					if vs.hardwareAccess(a, acc, 0, faultNoStore) {
						continue
					}
					if sig := vs.fault(a, acc, 0, faultNoStore); sig != SigNone {
						return failWhy("EFAULT", "the fault failed: a page past the end of the file or a guard region (madvise_populate)")
					}
				}
			case 102: // GUARD_INSTALL
				if en.LFlags&(LinuxLocked|LinuxIO) != 0 {
					return failWhy("EINVAL", "guard regions need an unlocked normal mapping (madvise_guard_install)")
				}
				vs.linuxZap(en, us, ue)
				if cur, ok := vs.Map.Lookup(us); ok && cur.Object == 0 && cur.LFlags&LinuxMayShare == 0 && e.entryFile(cur) == nil {
					// madvise_guard_install: anon_vma_prepare, which shares a
					// compatible neighbour's anon_vma when it can.
					vs.anonVMAPrepare(&cur)
					vs.Map.put(cur)
				}
				for a := us; a < ue; a += e.cfg.PageSize {
					vs.setGuard(e.atop(a), true)
				}
			case 103: // GUARD_REMOVE
				for a := us; a < ue; a += e.cfg.PageSize {
					vs.setGuard(e.atop(a), false)
				}
			case 25: // COLLAPSE
				// thp_vma_suitable_order(vma, vm_end - 2 MiB): an aligned
				// 2 MiB below vm_end inside the VMA, in unsigned arithmetic
				// (a VMA ending below 2 MiB passes by wrapping), and for
				// non-anonymous VMAs pgoff congruent to the address. shmem
				// is always allowed a forced collapse; other memory must be
				// written private anonymous memory.
				const pmd = 2 << 20
				f := e.entryFile(en)
				haddr := (en.End - pmd) &^ (pmd - 1)
				suitable := haddr >= en.Start && haddr+pmd <= en.End &&
					(f == nil || (e.atop(en.Start)-e.atop(en.Offset))%e.atop(pmd) == 0)
				allowed := f != nil && f.Shmem || f == nil && en.Object != 0 && en.LFlags&LinuxMayShare == 0
				if en.LFlags&LinuxNoHugePage != 0 || !suitable || !allowed {
					return failWhy("EINVAL", "the mapping cannot hold a huge page: not shmem or written anonymous memory, VM_NOHUGEPAGE, or no aligned 2 MiB below its end (madvise_collapse)")
				}
				// The huge pages to collapse are those wholly inside this
				// VMA's part of the range; when the part lies inside one 2 MiB
				// without starting on its boundary, hend - hstart wraps and
				// the count of collapsed pages can never match.
				hstart, hend := (us+pmd-1)&^(pmd-1), ue&^(pmd-1)
				if hstart > hend {
					return failWhy("EINVAL", "the range lies inside one 2 MiB without starting at its boundary (madvise_collapse: hend - hstart wraps)")
				}
				if f == nil && !vs.collapseAnon(hstart, hend) {
					return failWhy("EINVAL", "a 2 MiB of the range has no page mapped writable to build a huge page on (madvise_collapse: SCAN_PMD_NULL or SCAN_PAGE_RO)")
				}
			case 21, 20: // PAGEOUT, COLD
				if en.LFlags&(LinuxLocked|LinuxIO) != 0 {
					return failWhy("EINVAL", "MADV_COLD and MADV_PAGEOUT refuse locked memory (can_madv_lru_vma)")
				}
				vs.Pmap.ClearReferenced(e.atop(us), e.atop(ue), false)
			}
			cur = ue
		}
	}
	if unmapped {
		return fail("ENOMEM")
	}
	return ok(0)
}

// collapseAnon collapses each aligned 2 MiB of private anonymous memory in
// [hstart, hend) into a huge page, as madvise_collapse does with
// hpage_collapse_scan_pmd and collapse_huge_page: a 2 MiB with at least one
// page mapped writable becomes wholly resident (its missing pages zero);
// one without (no page table, or only read-only and zero pages) is left
// alone, and then the call fails. It reports whether every 2 MiB collapsed.
func (vs *Vmspace) collapseAnon(hstart, hend uint64) bool {
	const pmd = 2 << 20
	e := vs.eng
	all := true
	for h := hstart; h < hend; h += pmd {
		writable := false
		vs.Pmap.Range(e.atop(h), e.atop(h+pmd), func(pte pmap.PTE) bool {
			writable = pte.Prot&pmap.Prot(ProtWrite) != 0 && (e.zero == 0 || pte.Frame != e.zero)
			return !writable
		})
		if !writable {
			all = false
			continue
		}
		vs.populate(h, h+pmd, true, false)
	}
	return all
}

// linuxZap discards the pages of [s, t) in en as zap_page_range does: the
// page-table entries go, and with them, for private mappings, the process's
// anonymous copies — a later read sees zeroes (anonymous) or the file as it
// is then (private file mapping), even where another process still shares
// the old copy-on-write page. Shared mappings lose nothing. In the engine's
// terms the pages the entry reaches there are freed, after the entry gets
// an object of its own when they are also someone else's or lie in an
// anonymous object below (Vmspace.ownPagesIn).
func (vs *Vmspace) linuxZap(en Entry, s, t uint64) {
	e := vs.eng
	vs.Pmap.Remove(e.atop(s), e.atop(t))
	if en.Object == 0 || en.LFlags&LinuxMayShare != 0 || e.objects[en.Object].Type != ObjAnon {
		return // no private pages (no anon_vma): only the page tables go
	}
	lo := s - en.Start + en.Offset
	hi := lo + (t - s)
	o := e.objects[vs.ownPagesIn(en.Object, lo, hi)]
	e.freePagesIn(o, e.atop(lo), e.atop(hi))
}

// mlock mirrors do_mlock: the range is rounded; RLIMIT_MEMLOCK 0 without
// privilege is EPERM; over the limit (already-locked pages not counted
// twice) ENOMEM; VM_LOCKED is applied VMA by VMA up to a hole (ENOMEM,
// the VMAs before it stay locked); then, unless MLOCK_ONFAULT, the pages
// are faulted in and a failure there (PROT_NONE, past the end of a file)
// is ENOMEM with the VMAs left locked.
func (lx linux) mlock(e *Engine, p *Process, addr, length, flags uint64) (Result, bool) {
	vs := p.VS
	if flags&^uint64(1) != 0 {
		return failWhy("EINVAL", "unknown mlock2 flags (sys_mlock2)")
	}
	if !e.cfg.Privileged && vs.Lim.MemLock == 0 {
		return failWhy("EPERM", "RLIMIT_MEMLOCK is 0 and there is no CAP_IPC_LOCK (can_do_mlock)")
	}
	start, size := e.lockRange(addr, length)
	end := start + size
	already := uint64(0)
	if end > start {
		vs.Map.Range(start, end, func(en Entry) bool {
			if en.LFlags&LinuxLocked != 0 {
				already += min(en.End, end) - max(en.Start, start)
			}
			return true
		})
	}
	if !e.cfg.Privileged && vs.LockedVM+size-already > vs.Lim.MemLock {
		return failWhy("ENOMEM", "RLIMIT_MEMLOCK would be exceeded (do_mlock)")
	}
	if end < start {
		return failWhy("EINVAL", "the range wraps around the address space (apply_vma_lock_flags)")
	}
	if start == end {
		return ok(0)
	}
	lf := LinuxLocked
	if flags&1 != 0 {
		lf |= LinuxLockOnFault
	}
	errno := vs.linuxModify(start, end, nil, func(en Entry) Entry {
		if en.LFlags&(LinuxIO|LinuxDroppable) != 0 {
			return en // mlock_fixup leaves special and droppable memory alone
		}
		en.LFlags = en.LFlags&^(LinuxLocked|LinuxLockOnFault) | lf
		en.Wired, en.Flags = 1, en.Flags|EntryUserWired
		return en
	}, func(old, en Entry) {
		if old.LFlags&LinuxLocked == 0 && en.LFlags&LinuxLocked != 0 {
			vs.LockedVM += en.Size()
		}
	})
	if errno != "" {
		return failWhy("ENOMEM", "a hole in the range; the mappings before it are locked (apply_vma_lock_flags)")
	}
	// __mm_populate, even under MLOCK_ONFAULT: populate_vma_page_range
	// returns at once for VM_LOCKONFAULT VMAs, but the VMAs mlock_fixup
	// left alone (droppable memory) are faulted in; it stops at the first
	// failure.
	var segs [][2]uint64
	vs.Map.Range(start, end, func(en Entry) bool {
		if en.LFlags&(LinuxLockOnFault|LinuxIO) == 0 {
			segs = append(segs, [2]uint64{max(en.Start, start), min(en.End, end)})
		}
		return true
	})
	failed := false
	for _, sg := range segs {
		if !vs.populate(sg[0], sg[1], true, true) {
			failed = true
			break
		}
	}
	if flags&1 == 0 {
		vs.Map.Range(start, end, func(en Entry) bool {
			if en.LFlags&LinuxLocked != 0 {
				vs.Pmap.SetWired(e.atop(max(en.Start, start)), e.atop(min(en.End, end)), true)
			}
			return true
		})
	}
	if failed {
		return failWhy("ENOMEM", "faulting the pages in failed: PROT_NONE, an execute-only key, or past the end of the file (__mm_populate)")
	}
	return ok(0)
}

// lockRange is the range of mlock and munlock as do_mlock and do_munlock
// compute it, in wrapping arithmetic: the start rounded down to a page and
// the length, with the start's offset in its page, rounded up (a length
// near 2^64 wraps to a small one).
func (e *Engine) lockRange(addr, length uint64) (start, size uint64) {
	return addr &^ e.pageMask, (length + addr&e.pageMask + e.pageMask) &^ e.pageMask
}

// munlock mirrors do_munlock via apply_vma_lock_flags: VMAs up to a hole
// are unlocked, then a hole fails with ENOMEM; unlocked memory is fine.
func (lx linux) munlock(e *Engine, p *Process, addr, length uint64) (Result, bool) {
	vs := p.VS
	start, size := e.lockRange(addr, length)
	end := start + size
	if end < start {
		return failWhy("EINVAL", "the range wraps around the address space (apply_vma_lock_flags)")
	}
	if start == end {
		return ok(0)
	}
	if vs.linuxUnlock(start, end) != "" {
		return failWhy("ENOMEM", "a hole in the range; the mappings before it are unlocked (apply_vma_lock_flags)")
	}
	return ok(0)
}

func (vs *Vmspace) linuxUnlock(start, end uint64) Errno {
	e := vs.eng
	errno := vs.linuxModify(start, end, nil, func(en Entry) Entry {
		en.LFlags &^= LinuxLocked | LinuxLockOnFault
		en.Wired, en.Flags = 0, en.Flags&^EntryUserWired
		return en
	}, func(old, en Entry) {
		if old.LFlags&LinuxLocked != 0 {
			vs.LockedVM -= en.Size()
		}
	})
	vs.Pmap.SetWired(e.atop(start), e.atop(end), false)
	return errno
}

// mlockall mirrors sys_mlockall.
func (lx linux) mlockall(e *Engine, p *Process, how uint64) (Result, bool) {
	vs := p.VS
	if how == 0 || how&^uint64(7) != 0 || how == 4 {
		return fail("EINVAL")
	}
	if !e.cfg.Privileged && vs.Lim.MemLock == 0 {
		return fail("EPERM")
	}
	if how&1 != 0 && !e.cfg.Privileged && vs.Map.Size > vs.Lim.MemLock {
		return fail("ENOMEM")
	}
	vs.DefLocked = how&2 != 0
	vs.DefOnFault = how&2 != 0 && how&4 != 0
	if how&1 != 0 {
		for _, en := range vs.Map.Entries() {
			if en.LFlags&LinuxIO != 0 || en.LFlags&LinuxLocked != 0 {
				continue
			}
			lf := LinuxLocked
			if how&4 != 0 {
				lf |= LinuxLockOnFault
			}
			vs.linuxModify(en.Start, en.End, nil, func(x Entry) Entry {
				x.LFlags |= lf
				x.Wired, x.Flags = 1, x.Flags|EntryUserWired
				return x
			}, func(_, x Entry) { vs.LockedVM += x.Size() })
			if how&4 == 0 {
				vs.linuxPopulate(en.Start, en.End, true)
				vs.Pmap.SetWired(e.atop(en.Start), e.atop(en.End), true)
			}
		}
	}
	return ok(0)
}

// munlockall mirrors sys_munlockall.
func (lx linux) munlockall(e *Engine, p *Process) (Result, bool) {
	vs := p.VS
	vs.DefLocked, vs.DefOnFault = false, false
	for _, en := range vs.Map.Entries() {
		if en.LFlags&LinuxLocked != 0 {
			vs.linuxUnlock(en.Start, en.End)
		}
	}
	return ok(0)
}

// msync mirrors sys_msync (MS_ASYNC 1, MS_INVALIDATE 2, MS_SYNC 4).
func (lx linux) msync(e *Engine, p *Process, addr, length, flags uint64) (Result, bool) {
	vs := p.VS
	if flags&^uint64(7) != 0 || addr&e.pageMask != 0 || flags&5 == 5 {
		return fail("EINVAL")
	}
	size, okr := e.roundPage(length)
	if !okr || addr+size < addr {
		return fail("ENOMEM")
	}
	if size == 0 {
		return ok(0)
	}
	end := addr + size
	unmapped := false
	cur := addr
	for cur < end {
		en, ok := vs.Map.Lookup(cur)
		if !ok {
			unmapped = true
			n, okN := vs.Map.next(cur)
			if !okN || n.Start >= end {
				break
			}
			cur = n.Start
			continue
		}
		if flags&2 != 0 && en.LFlags&LinuxLocked != 0 {
			return fail("EBUSY")
		}
		cur = min(en.End, end)
	}
	if unmapped {
		return fail("ENOMEM")
	}
	return ok(0)
}

// prctl handles PR_SET_VMA / PR_SET_VMA_ANON_NAME: the name is a VMA
// attribute, so it splits and merges; only anonymous VMAs take names.
func (lx linux) prctl(e *Engine, p *Process, args []Arg) (Result, bool) {
	if argv(args, 0) != 0x53564d41 {
		return Result{}, false
	}
	if argv(args, 1) != 0 || !e.cfg.AnonVMAName {
		return failWhy("EINVAL", "PR_SET_VMA_ANON_NAME needs a kernel built with CONFIG_ANON_VMA_NAME (prctl_set_vma)")
	}
	addr, length := argv(args, 2), argv(args, 3)
	name := ""
	if len(args) > 4 && args[4].IsStr {
		name = args[4].Str
	}
	vs := p.VS
	if addr&e.pageMask != 0 {
		return fail("EINVAL")
	}
	size, okr := e.roundPage(length)
	if !okr || addr+size < addr {
		return fail("EINVAL")
	}
	if size == 0 {
		return ok(0)
	}
	end := addr + size
	if !vs.fullyMapped(addr, end) {
		return fail("ENOMEM")
	}
	bad := false
	vs.Map.Range(addr, end, func(en Entry) bool {
		if e.entryFile(en) != nil || strings.HasPrefix(e.EntryName(&en), "[") {
			bad = true
		}
		return true
	})
	if bad {
		return fail("EBADF")
	}
	id := e.names.intern(name)
	vs.linuxModify(addr, end, nil, func(en Entry) Entry { en.Name = id; return en }, nil)
	return ok(0)
}

func (lx linux) pkeyAlloc(p *Process, flags, rights uint64) (Result, bool) {
	if flags != 0 || rights&^uint64(3) != 0 {
		return fail("EINVAL")
	}
	vs := p.VS
	for k := 1; k < 16; k++ {
		if vs.PKeys&(1<<k) == 0 {
			vs.PKeys |= 1 << k
			return ok(uint64(k))
		}
	}
	return fail("ENOSPC")
}

func (lx linux) pkeyFree(p *Process, key uint64) (Result, bool) {
	vs := p.VS
	if key == 0 || key > 15 || vs.PKeys&(1<<key) == 0 {
		return fail("EINVAL")
	}
	vs.PKeys &^= 1 << key
	return ok(0)
}

// execOnlyPKey returns the address space's execute-only protection key,
// allocating it on first use (x86 execute_only_pkey: access disabled).
func (vs *Vmspace) execOnlyPKey() uint8 {
	if vs.ExecOnlyKey == 0 {
		for k := uint8(1); k < 16; k++ {
			if vs.PKeys&(1<<k) == 0 {
				vs.PKeys |= 1 << k
				vs.ExecOnlyKey = k
				break
			}
		}
	}
	return vs.ExecOnlyKey
}

// setGuard installs or removes a guard marker on page vpn (MADV_GUARD_*).
func (vs *Vmspace) setGuard(vpn uint64, on bool) {
	if on {
		if vs.Guards == nil {
			vs.Guards = map[uint64]bool{}
		}
		vs.Guards[vpn] = true
	} else {
		delete(vs.Guards, vpn)
	}
}
