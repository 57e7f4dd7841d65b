package app

import (
	"fmt"
	"sort"
	"strings"

	"vmscope/pmap"
	"vmscope/vmengine"
)

// This file turns engine state into plain structs for the views, so the
// components only lay them out.

// EntryKind is what an entry is, for colouring.
type EntryKind uint8

// Entry kinds, in legend order.
const (
	KindAnon EntryKind = iota
	KindFile
	KindDevice
	KindStack
	KindGuard
	KindShared
	numKinds
)

var kindNames = [...]string{"anonymous", "file", "device", "stack", "guard", "shared"}

// String returns the kind's legend name.
func (k EntryKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "?"
}

// Concept returns a one-sentence explanation of the kernel concept behind
// the kind, for tooltips and the legend.
func (k EntryKind) Concept() string {
	switch k {
	case KindAnon:
		return "anonymous memory: zero-filled on first touch; FreeBSD gives the entry its vm_object lazily, at the first fault or clip"
	case KindFile:
		return "file mapping: a vnode object, the file's page cache; private writes go to a shadow object, shared writes to the file"
	case KindDevice:
		return "device mapping: an OBJT_DEVICE object whose pages come from the driver (/dev/zero gives anonymous memory instead)"
	case KindStack:
		return "stack: a MAP_STACK entry that grows down; touching the gap below grows it by sgrowsiz (vm_map_growstack)"
	case KindGuard:
		return "guard: a MAP_GUARD or stack-gap entry that reserves address space; every access is SIGSEGV"
	case KindShared:
		return "shared mapping: MAP_SHARED or INHERIT_SHARE; writes are seen by every mapping of the object and fork shares it instead of copying"
	}
	return ""
}

// Change says what a step did to an entry.
type Change uint8

// Changes, from none to the strongest.
const (
	ChangeNone    Change = iota
	ChangeAdded          // a new entry (mmap, fork's copy)
	ChangeSplit          // clipped out of a larger entry (vm_map_clip_start/end)
	ChangeMerged         // several entries coalesced (vm_map_try_merge_entries)
	ChangeResized        // grew or shrank in place (brk, stack growth)
	ChangeProt           // protection or max protection changed
	ChangeAttr           // inheritance, wiring, flags, object or offset changed
)

var changeNames = [...]string{"", "added", "split", "merged", "resized", "protection changed", "changed"}

// String names the change ("" for none).
func (c Change) String() string {
	if int(c) < len(changeNames) {
		return changeNames[c]
	}
	return "?"
}

// EntryView is one map entry as the views show it.
type EntryView struct {
	PID        int
	Start, End uint64
	Perms      string // "rw-p"
	Prot       vmengine.Prot
	MaxProt    vmengine.Prot
	Inherit    string
	Wired      int
	Flags      vmengine.EFlags
	Object     vmengine.ObjID
	Offset     uint64
	ObjType    string // procstat's TP: df, sw, vn, dv, gd, --
	Path       string
	Kind       EntryKind
	Resident   int
	Depth      int // objects in the shadow chain
	ObjRef     int
	Shadows    int
	Shared     int // resident pages whose frame another page table maps too
	Change     Change
	Note       string // what the change was, in words
}

// Pages returns the entry's size in pages.
func (e *EntryView) Pages(pageSize uint64) uint64 { return (e.End - e.Start) / pageSize }

// Label returns a short name: the path, or the kind.
func (e *EntryView) Label() string {
	if e.Path != "" {
		if i := strings.LastIndexByte(e.Path, '/'); i >= 0 && i < len(e.Path)-1 {
			return e.Path[i+1:]
		}
		return e.Path
	}
	return e.Kind.String()
}

// ProcView is one process.
type ProcView struct {
	PID, Parent int
	Threads     int
	Entries     []EntryView
	Size        uint64 // bytes mapped (guards excluded)
	Resident    int    // pages
	Wired       int    // wired pages
	Shared      int    // resident pages shared with another page table
	LargestFree uint64 // largest unmapped range
	New         bool   // created by this step
}

// Removed is an address range a step unmapped.
type Removed struct {
	PID        int
	Start, End uint64
}

// EntryRef names one entry of one process.
type EntryRef struct {
	PID        int
	Start, End uint64
}

// ObjView is one VM object.
type ObjView struct {
	ID            vmengine.ObjID
	Type          string // anon, vnode, device
	Ref           int
	Backing       vmengine.ObjID
	BackingOffset uint64
	Size          uint64 // pages
	Resident      int
	Shadows       []vmengine.ObjID
	File          string
	Users         []EntryRef // entries that point at it directly
	New           bool
	Note          string // what the step changed about it
}

// GoneObj is an object a step destroyed, with why.
type GoneObj struct {
	ID   vmengine.ObjID
	Type string
	Note string
}

// Snapshot is the whole machine at one step, in view form.
type Snapshot struct {
	Step     int
	PageSize uint64
	Min, Max uint64
	Procs    []ProcView
	Objects  []ObjView
	Gone     []GoneObj
	Removed  []Removed
	Exited   []int
	R        *vmengine.Runner // the state itself, for page lookups (read only)
}

// Proc returns the process with the given pid, or nil.
func (s *Snapshot) Proc(pid int) *ProcView {
	for i := range s.Procs {
		if s.Procs[i].PID == pid {
			return &s.Procs[i]
		}
	}
	return nil
}

// Entry returns the entry of pid that contains addr, or nil.
func (s *Snapshot) Entry(pid int, addr uint64) *EntryView {
	p := s.Proc(pid)
	if p == nil {
		return nil
	}
	i := sort.Search(len(p.Entries), func(i int) bool { return p.Entries[i].End > addr })
	if i < len(p.Entries) && p.Entries[i].Start <= addr {
		return &p.Entries[i]
	}
	return nil
}

// Object returns the object view with the given id, or nil.
func (s *Snapshot) Object(id vmengine.ObjID) *ObjView {
	i := sort.Search(len(s.Objects), func(i int) bool { return s.Objects[i].ID >= id })
	if i < len(s.Objects) && s.Objects[i].ID == id {
		return &s.Objects[i]
	}
	return nil
}

// kindOf classifies a row.
func kindOf(r vmengine.MapsRow) EntryKind {
	f := r.Entry.Flags
	switch {
	case f&vmengine.EntryGuard != 0 || r.ObjType == "gd":
		return KindGuard
	case f&(vmengine.EntryGrowsDown|vmengine.EntryGrowsUp) != 0 || r.Path == "[stack]":
		return KindStack
	case r.ObjType == "dv":
		return KindDevice
	case strings.HasSuffix(r.Perms, "s"):
		return KindShared
	case r.Path != "" && !strings.HasPrefix(r.Path, "["):
		return KindFile
	}
	return KindAnon
}

// BuildSnapshot turns the state at pos into view form, with what the step
// changed when pos.Before is set.
func BuildSnapshot(pos Position) *Snapshot {
	r := pos.R
	e := r.Eng
	ph := e.Phys()
	snap := &Snapshot{Step: pos.Step, PageSize: e.PageSize(), R: r, Min: e.Layout().Min, Max: e.Layout().Max}
	users := map[vmengine.ObjID][]EntryRef{}
	for _, p := range e.Processes() {
		pv := ProcView{PID: p.PID, Parent: p.Parent, Threads: len(p.Threads), Size: p.VS.Map.Size,
			Resident: p.VS.Pmap.Len(), Wired: p.VS.Pmap.Wired()}
		rows := e.Rows(p)
		pv.Entries = make([]EntryView, len(rows))
		shift := pageShift(snap.PageSize)
		for i, row := range rows {
			en := row.Entry
			ev := EntryView{PID: p.PID, Start: row.Start, End: row.End, Perms: row.Perms, Prot: en.Prot,
				MaxProt: en.MaxProt, Inherit: en.Inherit.String(), Wired: int(en.Wired), Flags: en.Flags,
				Object: en.Object, Offset: en.Offset, ObjType: row.ObjType, Path: row.Path, Kind: kindOf(row),
				Resident: row.Resident, Depth: row.Depth, ObjRef: row.ObjRef, Shadows: row.Shadows}
			if row.Resident > 0 {
				p.VS.Pmap.Range(row.Start>>shift, row.End>>shift, func(pte pmap.PTE) bool {
					if f, ok := ph.Frame(pte.Frame); ok && f.Maps > 1 {
						ev.Shared++
					}
					return true
				})
				pv.Shared += ev.Shared
			}
			if en.Object != 0 {
				users[en.Object] = append(users[en.Object], EntryRef{p.PID, row.Start, row.End})
			}
			pv.Entries[i] = ev
		}
		for _, f := range p.VS.Map.Free() {
			if f[1]-f[0] > pv.LargestFree {
				pv.LargestFree = f[1] - f[0]
			}
		}
		snap.Procs = append(snap.Procs, pv)
	}
	for _, o := range e.Objects() {
		ov := ObjView{ID: o.ID, Type: o.Type.String(), Ref: o.Ref, Backing: o.Backing, BackingOffset: o.BackingOffset,
			Size: o.Size, Resident: len(o.Pages), Shadows: append([]vmengine.ObjID(nil), o.Shadows...), Users: users[o.ID]}
		if o.File != nil {
			ov.File = o.File.Path
		}
		snap.Objects = append(snap.Objects, ov)
	}
	if pos.Before != nil {
		diff(snap, pos.Before)
	}
	return snap
}

// pageShift returns log2 of the page size.
func pageShift(ps uint64) uint {
	s := uint(0)
	for ps > 1 {
		ps >>= 1
		s++
	}
	return s
}

// diff marks what changed between before and snap.
func diff(snap *Snapshot, before *Before) {
	for i := range snap.Procs {
		pv := &snap.Procs[i]
		old, ok := before.Entries[pv.PID]
		if !ok {
			pv.New = true
			for j := range pv.Entries {
				pv.Entries[j].Change = ChangeAdded
				pv.Entries[j].Note = "new process: entry copied at fork (vmspace_fork)"
			}
			continue
		}
		snap.Removed = append(snap.Removed, diffEntries(pv, old)...)
	}
	for pid := range before.Entries {
		if snap.Proc(pid) == nil {
			snap.Exited = append(snap.Exited, pid)
		}
	}
	sort.Ints(snap.Exited)
	for i := range snap.Objects {
		ov := &snap.Objects[i]
		ob, ok := before.Objects[ov.ID]
		if !ok {
			ov.New = true
			if ov.Backing != 0 {
				ov.Note = fmt.Sprintf("new shadow of #%d (vm_object_shadow)", ov.Backing)
			} else {
				ov.Note = "new object"
			}
			continue
		}
		var notes []string
		if ob.Ref != ov.Ref {
			notes = append(notes, fmt.Sprintf("ref %d → %d", ob.Ref, ov.Ref))
		}
		if ob.Backing != ov.Backing {
			if ov.Backing == 0 {
				notes = append(notes, fmt.Sprintf("no longer backed by #%d", ob.Backing))
			} else {
				notes = append(notes, fmt.Sprintf("backing #%d → #%d", ob.Backing, ov.Backing))
			}
		}
		if ob.Resident != ov.Resident {
			notes = append(notes, fmt.Sprintf("pages %d → %d", ob.Resident, ov.Resident))
		}
		ov.Note = strings.Join(notes, ", ")
	}
	var gone []vmengine.ObjID
	for id := range before.Objects {
		if snap.Object(id) == nil {
			gone = append(gone, id)
		}
	}
	sort.Slice(gone, func(a, b int) bool { return gone[a] < gone[b] })
	for _, id := range gone {
		ob := before.Objects[id]
		g := GoneObj{ID: id, Type: ob.Type.String(), Note: "freed: its last reference went away (vm_object_deallocate)"}
		for _, sid := range ob.Shadows {
			if s := snap.Object(sid); s != nil && s.Backing == ob.Backing {
				if ob.Resident > 0 {
					g.Note = fmt.Sprintf("collapsed into #%d: its %d page(s) moved up into the shadow (vm_object_collapse)", sid, ob.Resident)
				} else {
					g.Note = fmt.Sprintf("collapsed into #%d (vm_object_collapse)", sid)
				}
				break
			}
		}
		snap.Gone = append(snap.Gone, g)
	}
}

// sameAttrs reports whether a view and an old entry agree on everything
// but their range.
func sameAttrs(a *EntryView, b vmengine.Entry) bool {
	return a.Prot == b.Prot && a.MaxProt == b.MaxProt && a.Inherit == b.Inherit.String() &&
		a.Wired == int(b.Wired) && a.Flags == b.Flags && a.Object == b.Object && a.Offset == b.Offset
}

// diffEntries marks pv's entries against the old ones (both in address
// order) and returns the old ranges no entry covers any more.
func diffEntries(pv *ProcView, old []vmengine.Entry) []Removed {
	var removed []Removed
	j := 0
	for i := range pv.Entries {
		a := &pv.Entries[i]
		for j < len(old) && old[j].End <= a.Start {
			j++
		}
		k := j
		var over []vmengine.Entry
		for k < len(old) && old[k].Start < a.End {
			over = append(over, old[k])
			k++
		}
		switch {
		case len(over) == 0:
			a.Change = ChangeAdded
			a.Note = "new entry (vm_map_insert)"
		case len(over) > 1:
			a.Change = ChangeMerged
			a.Note = fmt.Sprintf("%d entries merged into one (vm_map_try_merge_entries)", len(over))
		default:
			b := over[0]
			switch {
			case b.Start == a.Start && b.End == a.End:
				if b.Prot != a.Prot || b.MaxProt != a.MaxProt {
					a.Change = ChangeProt
					a.Note = fmt.Sprintf("protection %s/%s → %s/%s", b.Prot, b.MaxProt, a.Prot, a.MaxProt)
				} else if !sameAttrs(a, b) {
					a.Change = ChangeAttr
					a.Note = attrNote(a, b)
				}
			case b.Start <= a.Start && a.End <= b.End:
				a.Change = ChangeSplit
				a.Note = fmt.Sprintf("clipped from %#x-%#x (vm_map_clip_start/end)", b.Start, b.End)
				if b.Prot != a.Prot || b.MaxProt != a.MaxProt {
					a.Note += fmt.Sprintf("; protection %s → %s", b.Prot, a.Prot)
				}
			default:
				a.Change = ChangeResized
				a.Note = fmt.Sprintf("was %#x-%#x, now %s", b.Start, b.End, sizeText(a.End-a.Start))
			}
		}
	}
	// Old ranges not covered by any new entry.
	k := 0
	for _, b := range old {
		cur := b.Start
		for k < len(pv.Entries) && pv.Entries[k].End <= cur {
			k++
		}
		for m := k; m < len(pv.Entries) && pv.Entries[m].Start < b.End; m++ {
			if pv.Entries[m].Start > cur {
				removed = append(removed, Removed{pv.PID, cur, pv.Entries[m].Start})
			}
			if pv.Entries[m].End > cur {
				cur = pv.Entries[m].End
			}
		}
		if cur < b.End {
			removed = append(removed, Removed{pv.PID, cur, b.End})
		}
	}
	return removed
}

// attrNote describes a change of attributes other than the protection.
func attrNote(a *EntryView, b vmengine.Entry) string {
	var n []string
	if a.Inherit != b.Inherit.String() {
		n = append(n, "inheritance "+b.Inherit.String()+" → "+a.Inherit)
	}
	if a.Wired != int(b.Wired) {
		n = append(n, fmt.Sprintf("wired %d → %d", b.Wired, a.Wired))
	}
	if a.Flags != b.Flags {
		n = append(n, "flags "+flagText(b.Flags)+" → "+flagText(a.Flags))
	}
	if a.Object != b.Object {
		if b.Object == 0 {
			n = append(n, fmt.Sprintf("got object #%d", a.Object))
		} else {
			n = append(n, fmt.Sprintf("object #%d → #%d", b.Object, a.Object))
		}
	}
	if a.Offset != b.Offset && a.Object == b.Object {
		n = append(n, fmt.Sprintf("offset %#x → %#x", b.Offset, a.Offset))
	}
	return strings.Join(n, ", ")
}

// flagText renders eflags, "-" for none.
func flagText(f vmengine.EFlags) string {
	if s := f.String(); s != "" {
		return s
	}
	return "-"
}

// PageState is what one page of an entry is doing.
type PageState uint8

// Page states, weakest first.
const (
	PageNotFaulted PageState = iota // nothing: the first touch faults
	PageInObject                    // the object chain holds it but this page table does not map it
	PageResident                    // mapped by this page table
)

// PageView is one page of an entry.
type PageView struct {
	Addr       uint64
	State      PageState
	Frame      uint64
	Maps       int // page tables mapping the frame
	Referenced bool
	Modified   bool
	Wired      bool
	Writable   bool           // the PTE allows writes (false on a COW-shared page)
	Holder     vmengine.ObjID // the object the page belongs to
	Value      uint64
}

// Shared reports whether another page table maps the same frame
// (COW-shared after fork, or a shared mapping).
func (p PageView) Shared() bool { return p.Maps > 1 }

// Class names the page's strongest state for colouring and legends.
func (p PageView) Class() string {
	switch {
	case p.State == PageNotFaulted:
		return "nofault"
	case p.State == PageInObject:
		return "inobj"
	case p.Wired:
		return "wired"
	case p.Shared():
		return "shared"
	case p.Modified:
		return "modified"
	case p.Referenced:
		return "referenced"
	}
	return "resident"
}

// PagesOf lists up to limit pages of the entry of pid containing start,
// from page index from on. It returns the pages and the entry's page
// count.
func PagesOf(r *vmengine.Runner, pid int, start uint64, from, limit int) ([]PageView, int) {
	e := r.Eng
	p := e.Process(pid)
	if p == nil || p.VS == nil {
		return nil, 0
	}
	en, ok := p.VS.Map.Lookup(start)
	if !ok {
		return nil, 0
	}
	ps := e.PageSize()
	shift := pageShift(ps)
	n := int((en.End - en.Start) / ps)
	if from < 0 {
		from = 0
	}
	if from > n {
		from = n
	}
	hi := from + limit
	if hi > n {
		hi = n
	}
	out := make([]PageView, hi-from)
	for i := range out {
		out[i].Addr = en.Start + uint64(from+i)*ps
	}
	lo := en.Start>>shift + uint64(from)
	p.VS.Pmap.Range(lo, lo+uint64(len(out)), func(pte pmap.PTE) bool {
		i := int(pte.VPN - lo)
		if i < 0 || i >= len(out) {
			return true
		}
		pv := &out[i]
		pv.State = PageResident
		pv.Frame = uint64(pte.Frame)
		pv.Referenced, pv.Modified, pv.Wired = pte.Referenced, pte.Modified, pte.Wired
		pv.Writable = pte.Prot&pmap.ProtWrite != 0
		if f, ok := e.Phys().Frame(pte.Frame); ok {
			pv.Maps = f.Maps
			pv.Holder = vmengine.ObjID(f.Object)
			pv.Value = f.Value
		}
		return true
	})
	for i := range out {
		pv := &out[i]
		if pv.State != PageNotFaulted || en.Object == 0 {
			continue
		}
		idx := (en.Offset + (pv.Addr - en.Start)) >> shift
		id := en.Object
		for depth := 0; id != 0 && depth < 1000; depth++ {
			o := e.Object(id)
			if o == nil {
				break
			}
			if f, ok := o.Pages[idx]; ok {
				pv.State = PageInObject
				pv.Holder = id
				pv.Frame = uint64(f)
				if fr, ok := e.Phys().Frame(f); ok {
					pv.Value = fr.Value
					pv.Maps = fr.Maps
				}
				break
			}
			idx += o.BackingOffset >> shift
			id = o.Backing
		}
	}
	return out, n
}

// Chain returns the shadow chain of an object, top first.
func Chain(snap *Snapshot, id vmengine.ObjID) []vmengine.ObjID {
	var out []vmengine.ObjID
	for id != 0 && len(out) < 1000 {
		out = append(out, id)
		o := snap.Object(id)
		if o == nil {
			break
		}
		id = o.Backing
	}
	return out
}

// sizeText renders a byte count with a binary unit ("4 KiB", "1.5 GiB").
func sizeText(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f := float64(n)
	u := 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if f == float64(int64(f)) || u == 0 {
		return fmt.Sprintf("%d %s", int64(f), units[u])
	}
	if f >= 100 {
		return fmt.Sprintf("%.0f %s", f, units[u])
	}
	return fmt.Sprintf("%.1f %s", f, units[u])
}

// hexAddr renders an address as lower-case hex with 0x (as %#x does).
func hexAddr(a uint64) string {
	var b [18]byte
	i := len(b)
	for {
		i--
		b[i] = "0123456789abcdef"[a&15]
		if a >>= 4; a == 0 {
			break
		}
	}
	i -= 2
	b[i], b[i+1] = '0', 'x'
	return string(b[i:])
}
