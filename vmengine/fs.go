package vmengine

import (
	"sort"
	"strconv"
	"strings"
)

// FileKind says what a path names.
type FileKind uint8

// File kinds.
const (
	FileRegular FileKind = iota
	FileDir
	FileDevZero   // /dev/zero: mmap gives anonymous memory (D_MMAP_ANON)
	FileDevNull   // a character device without an mmap method (/dev/null, /dev/random)
	FileDevMem    // any other character device: shared-only device object
	FileSocket    // sockets, pipes: no mmap
	FileExternal  // a file known only by its path (trace replay): mmap works, size unknown
	fileKindCount // sentinel
)

// File is one file of the simulated file system. Its contents are one value
// per page; the vnode object (when the file is mapped) is its page cache, so
// every mapping and write(2) see the same pages.
type File struct {
	Path      string
	Kind      FileKind
	Size      uint64 // bytes
	Immutable bool   // chflags schg
	Append    bool   // chflags sappnd
	Dev       string // "08:01" for maps output
	Inode     uint64
	Shmem     bool              // a shmem (tmpfs) file: Linux's shmem_get_unmapped_area places it
	data      map[uint64]uint64 // page index -> value, for pages not in the page cache
	obj       ObjID             // vnode/device object, 0 until first mapped
}

// FS is the engine's file system: paths to files.
type FS struct {
	files     map[string]*File
	nextInode uint64
}

func newFS() *FS {
	fs := &FS{files: make(map[string]*File), nextInode: 1000}
	fs.files["/dev/zero"] = &File{Path: "/dev/zero", Kind: FileDevZero, Dev: "00:06", Inode: 5}
	fs.files["/dev/null"] = &File{Path: "/dev/null", Kind: FileDevNull, Dev: "00:06", Inode: 4}
	fs.files["/dev/random"] = &File{Path: "/dev/random", Kind: FileDevNull, Dev: "00:06", Inode: 8}
	fs.files["/dev/mem"] = &File{Path: "/dev/mem", Kind: FileDevMem, Dev: "00:06", Inode: 1}
	fs.files["/tmp"] = &File{Path: "/tmp", Kind: FileDir}
	fs.files["/"] = &File{Path: "/", Kind: FileDir}
	return fs
}

func (fs *FS) clone() *FS {
	c := &FS{files: make(map[string]*File, len(fs.files)), nextInode: fs.nextInode}
	for k, f := range fs.files {
		nf := *f
		nf.data = make(map[uint64]uint64, len(f.data))
		for i, v := range f.data {
			nf.data[i] = v
		}
		c.files[k] = &nf
	}
	return c
}

// Lookup returns the file at path.
func (fs *FS) Lookup(path string) (*File, bool) {
	f, ok := fs.files[path]
	return f, ok
}

// Create makes (or returns) a regular file at path.
func (fs *FS) Create(path string) *File {
	if f, ok := fs.files[path]; ok {
		return f
	}
	fs.nextInode++
	f := &File{Path: path, Kind: FileRegular, Dev: "00:2a", Inode: fs.nextInode, data: map[uint64]uint64{}}
	fs.files[path] = f
	return f
}

// Shmem returns a new unlinked shared-memory file of size bytes, as
// Linux's shmem_zero_setup makes for every MAP_SHARED anonymous mapping; it
// is named name in /proc/PID/maps.
func (fs *FS) Shmem(name string, size uint64) *File {
	fs.nextInode++
	f := &File{Path: name, Kind: FileRegular, Size: size, Dev: "00:01", Inode: fs.nextInode, Shmem: true, data: map[uint64]uint64{}}
	fs.files["shmem:"+strconv.FormatUint(f.Inode, 10)] = f
	return f
}

// External returns a file known only by its path, as trace replays see
// libraries and executables: mappable, of unknown (unbounded) size.
func (fs *FS) External(path string) *File {
	if f, ok := fs.files[path]; ok {
		return f
	}
	kind := FileExternal
	shmem := strings.HasPrefix(path, "/dev/shm/") || strings.HasPrefix(path, "/memfd:") || strings.HasPrefix(path, "/SYSV")
	switch {
	case strings.HasPrefix(path, "socket:") || strings.HasPrefix(path, "pipe:") || strings.HasPrefix(path, "anon_inode:"):
		kind = FileSocket
	}
	f := &File{Path: path, Kind: kind, Size: 1 << 62, Shmem: shmem, data: map[uint64]uint64{}}
	fs.files[path] = f
	return f
}

// Files returns every file in path order.
func (fs *FS) Files() []*File {
	out := make([]*File, 0, len(fs.files))
	for _, f := range fs.files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// FD is an open file description.
type FD struct {
	File *File
	// Desc identifies the open file description (Linux's struct file):
	// each open makes a new one; fork and dup share it. 0: an fd the
	// engine never saw opened (a trace's "3</path>").
	Desc       uint32
	Read       bool
	Write      bool
	AppendMode bool
	Offset     uint64
}

// WriteFile stores value into bytes [off, off+n) of f, as write(2) would,
// extending the file. Resident page-cache pages see the write at once.
func (e *Engine) WriteFile(f *File, off, n, value uint64) {
	if n == 0 {
		return
	}
	first, last := e.atop(off), e.atop(off+n-1)
	for idx := first; idx <= last; idx++ {
		f.data[idx] = value
		if f.obj != 0 {
			if o := e.objects[f.obj]; o != nil {
				if fr, ok := o.Pages[idx]; ok {
					e.phys.SetValue(fr, value)
				}
			}
		}
	}
	if off+n > f.Size {
		e.Truncate(f, off+n)
	}
}

// Truncate sets f's size. Shrinking frees the page-cache pages past the new
// end, unmapping them from every address space (so later accesses there give
// SIGBUS); growing exposes zero pages. Mirrors vnode_pager_setsize; under
// Linux, truncate_pagecache, which also discards private copies there.
func (e *Engine) Truncate(f *File, size uint64) {
	newPages, _ := e.roundPage(size)
	newPages = e.atop(newPages)
	if e.layout.Linux && size < f.Size {
		e.zapPrivateCopies(f, newPages)
	}
	if f.obj != 0 {
		if o := e.objects[f.obj]; o != nil {
			for _, idx := range o.PageIndexes() {
				if idx >= newPages {
					e.freePage(o, idx, o.Pages[idx])
				}
			}
			o.Size = newPages
		}
	}
	for idx := range f.data {
		if idx >= newPages {
			delete(f.data, idx)
		}
	}
	f.Size = size
}

// PunchHole discards pages [first, last) of f as fallocate's
// FALLOC_FL_PUNCH_HOLE does (MADV_REMOVE): the page cache there is freed and
// unmapped from every address space, private copy-on-write copies stay, and
// the file reads zeros there; its size is unchanged. Mirrors shmem_fallocate
// and truncate_pagecache_range.
func (e *Engine) PunchHole(f *File, first, last uint64) {
	if f.obj != 0 {
		if o := e.objects[f.obj]; o != nil {
			e.freePagesIn(o, first, last)
		}
	}
	for idx := range f.data {
		if idx >= first && idx < last {
			delete(f.data, idx)
		}
	}
}

// zapPrivateCopies discards, in every address space, the private copies of
// f's pages at page index from and above, as Linux's truncate_pagecache does
// (unmap_mapping_range with even_cows): an access there afterwards gives
// SIGBUS, or reads the file once it has grown again. FreeBSD keeps them (they
// live in shadow objects, which vnode_pager_setsize leaves alone).
func (e *Engine) zapPrivateCopies(f *File, from uint64) {
	seen := map[*Vmspace]bool{}
	for _, p := range e.Processes() {
		vs := p.VS
		if vs == nil || seen[vs] {
			continue
		}
		seen[vs] = true
		var zap [][2]uint64
		vs.Map.Ascend(func(en Entry) bool {
			if idx, ok := e.filePageOf(en, f); ok && idx+e.atop(en.Size()) > from {
				s := en.Start + (max(idx, from)-idx)<<e.pageShift
				zap = append(zap, [2]uint64{s, en.End})
			}
			return true
		})
		// linuxZap may give entries new objects, not new bounds.
		for _, r := range zap {
			if en, ok := vs.Map.Lookup(r[0]); ok {
				vs.linuxZap(en, r[0], r[1])
			}
		}
	}
}

// filePageOf returns the page of f that en's first page maps through its
// object chain, and whether en maps f at all.
func (e *Engine) filePageOf(en Entry, f *File) (uint64, bool) {
	for id, off := en.Object, en.Offset; id != 0; {
		o := e.objects[id]
		if o.File == f {
			return e.atop(off), true
		}
		id, off = o.Backing, off+o.BackingOffset
	}
	return 0, false
}

// fileObject returns f's vnode object, creating it on first use with one
// reference held by the caller; later callers get an extra reference.
// Mirrors vnode_pager_alloc.
func (e *Engine) fileObject(f *File) ObjID {
	if f.obj != 0 {
		if _, ok := e.objects[f.obj]; ok {
			e.reference(f.obj)
			return f.obj
		}
	}
	t := ObjVnode
	if f.Kind == FileDevMem {
		t = ObjDevice
	}
	size, _ := e.roundPage(f.Size)
	o := e.newObject(t, e.atop(size))
	o.File = f
	f.obj = o.ID
	return o.ID
}

// pageCached reports whether page idx of f is in the page cache: faulted
// into its vnode object or written with write(2).
func (e *Engine) pageCached(f *File, idx uint64) bool {
	if f.obj != 0 {
		if o := e.objects[f.obj]; o != nil {
			if _, ok := o.Pages[idx]; ok {
				return true
			}
		}
	}
	_, ok := f.data[idx]
	return ok
}
