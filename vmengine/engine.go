package vmengine

import (
	"fmt"
	"math/bits"
	"sort"

	"vmscope/pmap"
)

// Config holds the engine's switches (FreeBSD sysctls and their Linux
// counterparts). The zero value is not useful; start from DefaultConfig.
type Config struct {
	PageSize      uint64
	Privileged    bool   // root: MADV_PROTECT, mlock without limits checks where the kernel skips them
	WXorX         bool   // MAP_WXORX on new maps (kern.elf64.allow_wx=0)
	ImplyProtMax  bool   // vm.imply_prot_max
	ClusterAnon   bool   // vm.cluster_anon: place anonymous memory from anon_loc
	MaxMapEntries int    // 0: no limit (FreeBSD); Linux max_map_count
	MaxUserWired  uint64 // vm_page_max_user_wired, in pages (0: no limit)
	StackGuard    uint64 // security.bsd.stack_guard_page, in pages
	GrowSize      uint64 // sgrowsiz, bytes
	PKU           bool   // x86 protection keys (execute-only memory faults reads)
	AnonVMAName   bool   // Linux CONFIG_ANON_VMA_NAME: prctl(PR_SET_VMA) names anonymous memory
	// AssumeWritten: page faults are not in a trace, so when replaying one
	// private writable anonymous memory is taken to have been written (to
	// have an anon_vma) by the time it matters (fork).
	AssumeWritten bool
}

// DefaultConfig returns FreeBSD 14 amd64 defaults with 4 KiB pages.
func DefaultConfig() Config {
	return Config{PageSize: 4096, StackGuard: 1, GrowSize: 128 << 10}
}

// Engine holds every process, address space, object, file and frame of one
// simulated machine. It is deterministic: the same calls give the same state.
type Engine struct {
	cfg       Config
	pageShift uint
	pageMask  uint64

	objects map[ObjID]*Object
	names   nameTable // entry names (Entry.Name indexes it)
	nextObj ObjID
	// nextDesc numbers open file descriptions (FD.Desc).
	nextDesc uint32
	phys     *pmap.Phys
	fs       *FS

	procs   map[int]*Process
	threads map[int]int // thread id -> process id
	nextPID int
	spaces  map[*Vmspace]struct{}

	// Layout of new address spaces (set by the personality).
	layout Layout
	zero   pmap.FrameID // the shared zero page (Linux), 0 until used
}

// Layout describes a fresh address space (sysent values).
type Layout struct {
	Min, Max  uint64 // user address range
	TAddr     uint64 // text start (vm_taddr)
	DAddr     uint64 // data start (vm_daddr): the heap begins at round_page(DAddr)
	MaxDSize  uint64 // maxdsiz: the default RLIMIT_DATA maximum
	UsrStack  uint64 // sv_usrstack: top of the main stack
	MaxSSize  uint64 // maxssiz: the default RLIMIT_STACK maximum
	Max32Bit  uint64 // upper bound for MAP_32BIT
	Linux     bool   // Linux merging, labels and hidden flags
	MmapBase  uint64 // Linux: top of the top-down mmap area
	TopDown   bool   // Linux: place top-down
	StackGap  uint64 // Linux: stack_guard_gap in bytes
	MinAddr   uint64 // Linux: mmap_min_addr
	Arch      string
	SeedEra   bool   // the 2006 vm_map: no merging at insert (freebsd6)
	MaxUserVA uint64 // alias of Max used by personalities for TASK_SIZE
}

// FreeBSDLayout returns the amd64 FreeBSD 14 layout used by default.
func FreeBSDLayout() Layout {
	return Layout{
		Min: 0x1000, Max: 0x7fffffffe000, // VM_MIN/MAXUSER_ADDRESS with the sharedpage top excluded
		TAddr: 0x200000, DAddr: 0x400000, MaxDSize: 32 << 30,
		UsrStack: 0x7ffffffff000 - 0x1000, MaxSSize: 512 << 20, Max32Bit: 1 << 31,
		Arch: "amd64",
	}
}

// New returns an empty engine with the given configuration and layout.
func New(cfg Config, layout Layout) *Engine {
	if cfg.PageSize == 0 || cfg.PageSize&(cfg.PageSize-1) != 0 {
		cfg.PageSize = 4096
	}
	e := &Engine{
		cfg:       cfg,
		pageShift: uint(bits.TrailingZeros64(cfg.PageSize)),
		pageMask:  cfg.PageSize - 1,
		objects:   make(map[ObjID]*Object),
		nextObj:   1,
		phys:      pmap.NewPhys(),
		fs:        newFS(),
		procs:     make(map[int]*Process),
		threads:   make(map[int]int),
		nextPID:   100,
		spaces:    make(map[*Vmspace]struct{}),
		layout:    layout,
	}
	return e
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// SetConfig replaces the configuration. The page size cannot change once
// processes exist.
func (e *Engine) SetConfig(c Config) error {
	if c.PageSize != e.cfg.PageSize {
		if len(e.procs) > 0 {
			return fmt.Errorf("page size cannot change after processes exist")
		}
		if c.PageSize == 0 || c.PageSize&(c.PageSize-1) != 0 || c.PageSize < 512 {
			return fmt.Errorf("page size %d is not a power of two >= 512", c.PageSize)
		}
		e.pageShift = uint(bits.TrailingZeros64(c.PageSize))
		e.pageMask = c.PageSize - 1
	}
	e.cfg = c
	return nil
}

// Layout returns the layout new address spaces get.
func (e *Engine) Layout() Layout { return e.layout }

// SetLayout changes the layout of address spaces created from now on.
func (e *Engine) SetLayout(l Layout) { e.layout = l }

// PageSize returns the page size in bytes.
func (e *Engine) PageSize() uint64 { return e.cfg.PageSize }

func (e *Engine) truncPage(a uint64) uint64 { return a &^ e.pageMask }

// roundPage rounds a up to a page boundary; ok is false on wraparound.
func (e *Engine) roundPage(a uint64) (uint64, bool) {
	r := (a + e.pageMask) &^ e.pageMask
	return r, r >= a
}

func (e *Engine) atop(a uint64) uint64 { return a >> e.pageShift }
func (e *Engine) ptoa(p uint64) uint64 { return p << e.pageShift }

// Phys returns physical memory.
func (e *Engine) Phys() *pmap.Phys { return e.phys }

// FS returns the simulated file system.
func (e *Engine) FS() *FS { return e.fs }

// Object returns the object with the given id, or nil.
func (e *Engine) Object(id ObjID) *Object { return e.objects[id] }

// Objects returns every live object in id order.
func (e *Engine) Objects() []*Object {
	out := make([]*Object, 0, len(e.objects))
	for _, o := range e.objects {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Process returns the process (thread group) that thread id belongs to.
func (e *Engine) Process(id int) *Process {
	if pid, ok := e.threads[id]; ok {
		return e.procs[pid]
	}
	return e.procs[id]
}

// Processes returns the live processes in pid order.
func (e *Engine) Processes() []*Process {
	out := make([]*Process, 0, len(e.procs))
	for _, p := range e.procs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// Limits are a process's resource limits (soft values; RLIM_INFINITY is
// ^uint64(0)).
type Limits struct {
	Data, Stack, MemLock, VMem uint64
}

// Infinity is RLIM_INFINITY.
const Infinity = ^uint64(0)

// Process is a thread group with one address space.
type Process struct {
	PID     int
	Parent  int
	Threads []int
	VS      *Vmspace
	FDs     map[int]*FD
}

// NewProcess creates a process with a fresh address space. pid 0 picks the
// next free id. Mirrors vmspace_alloc for a new image.
func (e *Engine) NewProcess(pid int) (*Process, error) {
	if pid == 0 {
		pid = e.allocPID()
	} else if e.procs[pid] != nil || e.threads[pid] != 0 {
		return nil, fmt.Errorf("pid %d already exists", pid)
	}
	if pid >= e.nextPID {
		e.nextPID = pid + 1
	}
	l := e.layout
	p := &Process{PID: pid, Threads: []int{pid}, VS: e.newVmspace(l), FDs: map[int]*FD{}}
	vs := p.VS
	vs.Lim = Limits{Data: l.MaxDSize, Stack: 8 << 20, MemLock: Infinity, VMem: Infinity}
	if !l.Linux {
		vs.Lim.Stack = l.MaxSSize
		vs.Lim.MemLock = 64 << 10
	} else {
		vs.Lim.Data = Infinity
		vs.Lim.MemLock = 8 << 20
	}
	vs.LimMax = vs.Lim
	vs.LimMax.MemLock = Infinity
	if l.Linux {
		vs.LimMax.Stack = Infinity
	}
	e.procs[pid] = p
	return p, nil
}

func (e *Engine) allocPID() int {
	for e.procs[e.nextPID] != nil || e.threads[e.nextPID] != 0 {
		e.nextPID++
	}
	pid := e.nextPID
	e.nextPID++
	return pid
}

// AddThread makes thread tid (0: next free id) share p's address space.
func (e *Engine) AddThread(p *Process, tid int) (int, error) {
	if tid == 0 {
		tid = e.allocPID()
	} else if e.procs[tid] != nil || e.threads[tid] != 0 {
		return 0, fmt.Errorf("thread id %d already exists", tid)
	}
	if tid >= e.nextPID {
		e.nextPID = tid + 1
	}
	e.threads[tid] = p.PID
	p.Threads = append(p.Threads, tid)
	return tid, nil
}

// ExitThread ends one thread; when it is the last of its group the process
// exits. Returns true if the process is gone.
func (e *Engine) ExitThread(tid int) bool {
	p := e.Process(tid)
	if p == nil {
		return false
	}
	for i, t := range p.Threads {
		if t == tid {
			p.Threads = append(p.Threads[:i:i], p.Threads[i+1:]...)
			break
		}
	}
	delete(e.threads, tid)
	if len(p.Threads) == 0 {
		e.Exit(p)
		return true
	}
	return false
}

// Exit ends process p: its address space loses a reference and, when it was
// the last, every entry is deleted and its objects released (collapse
// follows). Mirrors exit1 → vmspace_exit.
func (e *Engine) Exit(p *Process) {
	for _, t := range p.Threads {
		delete(e.threads, t)
	}
	p.Threads = nil
	delete(e.procs, p.PID)
	e.releaseVmspace(p.VS)
	p.VS = nil
}

// Exec gives p a fresh, empty address space. Mirrors vmspace_exec.
func (e *Engine) Exec(p *Process) {
	old := p.VS
	p.VS = e.newVmspace(e.layout)
	p.VS.Lim, p.VS.LimMax = old.Lim, old.LimMax
	e.releaseVmspace(old)
}

// Vmspace is an address space: a map, its page table and the accounting of
// the image (FreeBSD struct vmspace, Linux mm_struct).
type Vmspace struct {
	eng  *Engine
	Map  Map
	Pmap *pmap.Pmap
	refs int

	Lim, LimMax Limits // resource limits (soft, hard) of the process using it

	TAddr, DAddr uint64 // text and data start
	DSize        uint64 // heap size in bytes (vm_dsize)
	SSize        uint64 // main stack size in bytes (vm_ssize)
	MaxSAddr     uint64 // lowest address of the main stack area

	// Linux mm_struct fields.
	StartBrk, Brk uint64
	DataSeg       uint64 // end_data - start_data: the executable's data segment
	MmapBase      uint64
	LockedVM      uint64          // bytes (locked_vm)
	DefLocked     bool            // mlockall(MCL_FUTURE): def_flags VM_LOCKED
	DefOnFault    bool            // MCL_ONFAULT
	PKeys         uint16          // allocated protection keys bitmap
	ExecOnlyKey   uint8           // the execute-only protection key, 0: none yet
	Guards        map[uint64]bool // Linux guard-region markers by page number
}

func (e *Engine) newVmspace(l Layout) *Vmspace {
	vs := &Vmspace{eng: e, refs: 1}
	vs.Map = newMap(l.Min, l.Max, l.Linux)
	vs.Map.seedEra = l.SeedEra
	if e.cfg.WXorX {
		vs.Map.Flags |= MapWXorX
	}
	vs.Pmap = pmap.New(e.phys)
	vs.TAddr, vs.DAddr = l.TAddr, l.DAddr
	vs.MaxSAddr = l.UsrStack - l.MaxSSize
	vs.MmapBase = l.MmapBase
	vs.StartBrk, vs.Brk = l.DAddr, l.DAddr
	vs.Map.anonLoc = 0
	e.spaces[vs] = struct{}{}
	return vs
}

// releaseVmspace drops a reference to vs; the last one tears it down in
// bulk: the page table is cleared at once, each entry's object reference is
// released in address order (vm_map_entry_delete) and the map is emptied
// whole, rather than entry by entry. Mirrors vmspace_exit →
// vmspace_dofree (pmap_remove_pages, then vm_map_remove of the whole map).
func (e *Engine) releaseVmspace(vs *Vmspace) {
	if vs == nil {
		return
	}
	vs.refs--
	if vs.refs > 0 {
		return
	}
	vs.Guards = nil
	vs.Pmap.Clear()
	m := &vs.Map
	for s := m.first; s >= 0; s = m.links[s].next {
		vs.entryDelete(&m.slab[s])
	}
	m.clear()
	delete(e.spaces, vs)
}

// Spaces returns every live address space (for the invariant checker).
func (e *Engine) Spaces() []*Vmspace {
	out := make([]*Vmspace, 0, len(e.spaces))
	for vs := range e.spaces {
		out = append(out, vs)
	}
	return out
}
