package vmengine

// Map operations at the vm_map level: each mirrors a FreeBSD function and
// returns a KERN_* code; personalities turn those into errno values. Every
// operation reads: validate → look up and clip → mutate → merge.

// Cow are the copy-on-write/creation flags of vm_map_insert (the "cow"
// argument).
type Cow uint32

// Insert flags (FreeBSD vm_map.h MAP_*).
const (
	CowInheritShare Cow = 1 << iota
	CowCopyOnWrite
	CowNoFault
	CowPrefault
	CowPrefaultPartial
	CowDisableSyncer
	CowDisableCoredump
	CowCheckExcl
	CowCreateGuard
	CowStackGrowsDown
	CowCreateStackGapDn
	CowVnExec
	CowWriteCount
	CowNoCharge
)

// insert maps [start, end) to object obj at offset with the given
// protections. Pre: the map is the caller's. Post on success: the range is
// mapped, possibly by extending the previous entry (object-less fast path)
// and merged with its neighbours. Mirrors vm_map_insert.
func (vs *Vmspace) insert(obj ObjID, offset, start, end uint64, prot, max Prot, cow Cow) Kern {
	m := &vs.Map
	e := vs.eng
	if start == end || start < m.Min || end > m.Max || start > end {
		return KernInvalidAddress
	}
	if m.Flags&MapWXorX != 0 && prot&(ProtWrite|ProtExec) == ProtWrite|ProtExec {
		return KernProtectionFailure
	}
	at, free := m.free.holding(start, end)
	if !free {
		return KernNoSpace
	}
	if cow&CowCreateGuard != 0 && (obj != 0 || max != ProtNone) {
		return KernInvalidArgument
	}
	var flags EFlags
	if cow&CowCopyOnWrite != 0 {
		flags |= EntryCOW | EntryNeedsCopy
	}
	if cow&CowNoFault != 0 {
		flags |= EntryNoFault
	}
	if cow&CowDisableSyncer != 0 {
		flags |= EntryNoSync
	}
	if cow&CowDisableCoredump != 0 {
		flags |= EntryNoCoreDump
	}
	if cow&CowStackGrowsDown != 0 {
		flags |= EntryGrowsDown
	}
	if cow&CowCreateGuard != 0 {
		flags |= EntryGuard
	}
	if cow&CowCreateStackGapDn != 0 {
		flags |= EntryStackGapDn
	}
	if cow&CowVnExec != 0 {
		flags |= EntryVnExec
	}
	if cow&CowWriteCount != 0 {
		flags |= EntryWriteCnt
	}
	inh := InheritCopy
	if cow&CowInheritShare != 0 {
		inh = InheritShare
	}
	charged := cow&(CowNoCharge|CowNoFault|CowCreateGuard) == 0 &&
		prot&ProtWrite != 0 && (flags&EntryNeedsCopy != 0 || obj == 0)

	ps, hasPrev := m.floorSlot(start)
	if !hasPrev {
		ps = -1
	}
	if hasPrev && m.slab[ps].End > start {
		return KernNoSpace
	}
	if obj != 0 {
		o := e.objects[obj]
		if o.Type == ObjAnon && (o.Ref > 1 || len(o.Shadows) != 0) {
			o.Flags &^= ObjOneMapping
		}
	} else if hasPrev && !m.linux {
		// The object-less fast path: extend the entry below, or share its
		// object (vm_object_coalesce).
		if prev := &m.slab[ps]; prev.Flags&^EntryUserWired == flags &&
			cow&(CowStackGrowsDown|CowVnExec) == 0 && prev.End == start &&
			(prev.Charged == charged || (prev.Object != 0 && e.objects[prev.Object].Charged == charged)) &&
			e.coalesce(prev.Object, prev.Offset, prev.Size(), end-prev.End) {
			if prev.Inherit == inh && prev.Prot == prot && prev.MaxProt == max && prev.Wired == 0 {
				m.resizeSlot(ps, end)
				vs.mergeNextSlot(ps)
				return KernSuccess
			}
			obj = prev.Object
			offset = prev.Offset + prev.Size()
			e.reference(obj)
			if charged && obj != 0 && e.objects[obj].Charged && prev.Flags&EntryNeedsCopy == 0 {
				charged = false
			}
		}
	}
	en := Entry{Start: start, End: end, Object: obj, Offset: offset, Prot: prot, MaxProt: max,
		Inherit: inh, Flags: flags, Charged: charged}
	if m.linux && obj == 0 && cow&CowCreateGuard == 0 {
		en.Offset = start // Linux private anonymous pgoff = addr >> PAGE_SHIFT
	}
	vs.mergeNextSlot(vs.mergePrevSlot(m.linkAfterAt(ps, &en, at)))
	if cow&(CowPrefault|CowPrefaultPartial) != 0 && obj != 0 {
		limit := ^uint64(0)
		if cow&CowPrefaultPartial != 0 {
			limit = 96
		}
		vs.pmapEnterResident(start, end, prot, obj, offset, limit)
	}
	return KernSuccess
}

// pmapEnterResident maps the already-resident pages of obj (only that
// object, not its backing chain) into [start, end), read/execute only and
// unreferenced, up to limit pages. Mirrors vm_map_pmap_enter.
func (vs *Vmspace) pmapEnterResident(start, end uint64, prot Prot, obj ObjID, offset, limit uint64) {
	e := vs.eng
	o := e.objects[obj]
	if o == nil || o.Type == ObjDevice {
		return
	}
	first := e.atop(offset)
	n := e.atop(end - start)
	if n > limit {
		n = limit
	}
	for _, idx := range o.PageIndexes() {
		if idx < first || idx >= first+n {
			continue
		}
		vpn := e.atop(start) + idx - first
		if _, ok := vs.Pmap.Lookup(vpn); ok {
			continue
		}
		vs.pmapEnter(vpn, o.Pages[idx], prot&(ProtRead|ProtExec), false, false, false)
	}
}

// FindMode selects how find places a mapping.
type FindMode uint8

// Placement modes (FreeBSD VMFS_*).
const (
	FindAny     FindMode = iota // first fit
	FindOptimal                 // superpage-friendly for coloured objects; first fit otherwise
	FindSuper                   // superpage alignment for large mappings
	FindAligned                 // explicit alignment
)

// find places [*addr, *addr+length) in free space at or above *addr (a
// lower bound, not an exact request) and below maxAddr (0: the map's max),
// then inserts it (or builds a stack when cow asks). Mirrors vm_map_find
// (without ASLR; anonymous clustering when the configuration asks).
func (vs *Vmspace) find(obj ObjID, offset uint64, addr *uint64, length, maxAddr uint64,
	mode FindMode, align uint64, prot, max Prot, cow Cow) Kern {
	m := &vs.Map
	e := vs.eng
	limit := m.Max
	if maxAddr != 0 && maxAddr < limit {
		limit = maxAddr
	}
	cluster := e.cfg.ClusterAnon && *addr == 0 && maxAddr == 0 && obj == 0 &&
		cow&(CowInheritShare|CowStackGrowsDown) == 0 && prot != ProtNone
	lo := *addr
	if cluster && m.anonLoc != 0 {
		lo = m.anonLoc
	}
	a := e.cfg.PageSize
	switch mode {
	case FindAligned:
		if align > a {
			a = align
		}
	case FindSuper:
		if length >= 2<<20 {
			a = 2 << 20
		}
	}
	found, ok := m.FindSpace(lo, limit, length, a)
	if !ok && lo != *addr {
		found, ok = m.FindSpace(*addr, limit, length, a)
	}
	if !ok {
		return KernNoSpace
	}
	*addr = found
	var rv Kern
	if cow&CowStackGrowsDown != 0 {
		rv = vs.stack(found, length, prot, max, cow)
	} else {
		rv = vs.insert(obj, offset, found, found+length, prot, max, cow)
	}
	if rv == KernSuccess && cluster {
		m.anonLoc = found + length
	}
	return rv
}

// fixed maps exactly [start, start+length), first deleting whatever is
// there unless cow has CowCheckExcl (then an overlap fails with
// KERN_NO_SPACE). Mirrors vm_map_fixed.
func (vs *Vmspace) fixed(obj ObjID, offset, start, length uint64, prot, max Prot, cow Cow) Kern {
	end := start + length
	start, end = vs.rangeClamp(start, end)
	if cow&CowCheckExcl == 0 {
		vs.deleteRange(start, end)
	}
	if cow&CowStackGrowsDown != 0 {
		return vs.stack(start, end-start, prot, max, cow)
	}
	return vs.insert(obj, offset, start, end, prot, max, cow)
}

// rangeClamp clamps [start, end) to the map's bounds. Mirrors
// VM_MAP_RANGE_CHECK.
func (vs *Vmspace) rangeClamp(start, end uint64) (uint64, uint64) {
	if start < vs.Map.Min {
		start = vs.Map.Min
	}
	if end > vs.Map.Max {
		end = vs.Map.Max
	}
	if start > end {
		start = end
	}
	return start, end
}

// RangeValid reports whether [start, end) lies in the map without
// wrapping. Mirrors vm_map_range_valid.
func (vs *Vmspace) RangeValid(start, end uint64) bool {
	return end >= start && start >= vs.Map.Min && end <= vs.Map.Max
}

// deleteRange unmaps [start, end): entries are clipped, unwired, removed
// from the page table and freed; holes are fine. Mirrors vm_map_delete.
func (vs *Vmspace) deleteRange(start, end uint64) Kern {
	if start >= end {
		return KernSuccess
	}
	if len(vs.Guards) > 0 {
		for vpn := range vs.Guards {
			if vpn >= vs.eng.atop(start) && vpn < vs.eng.atop(end) {
				delete(vs.Guards, vpn)
			}
		}
	}
	m := &vs.Map
	s := m.firstSlotIn(start)
	if s < 0 || m.slab[s].Start >= end {
		return KernSuccess
	}
	s = vs.clipStartSlot(s, start)
	vs.clipEndSlot(m.lastSlotIn(s, end), end)
	for s >= 0 && m.slab[s].Start < end {
		next := m.links[s].next
		en := m.slab[s]
		if en.Wired != 0 {
			vs.Pmap.SetWired(vs.eng.atop(en.Start), vs.eng.atop(en.End), false)
		}
		vs.Pmap.Remove(vs.eng.atop(en.Start), vs.eng.atop(en.End))
		m.unlinkSlot(s)
		vs.entryDelete(&en)
		s = next
	}
	return KernSuccess
}

// entryDelete releases what a removed entry held: for an anonymous
// ONEMAPPING object shared by other entries of this map (after a clip), the
// range's pages are freed and the object shrunk when the range was its end;
// then the entry's reference is dropped. Mirrors vm_map_entry_delete.
func (vs *Vmspace) entryDelete(en *Entry) {
	e := vs.eng
	if en.IsGuard() || en.Object == 0 {
		return
	}
	o := e.objects[en.Object]
	if o.Type == ObjAnon && o.Ref != 1 && o.Flags&ObjOneMapping != 0 {
		e.collapse(o)
		first := e.atop(en.Offset)
		last := first + e.atop(en.Size())
		for _, idx := range o.PageIndexes() {
			if idx >= first && idx < last {
				e.freePage(o, idx, o.Pages[idx])
			}
		}
		if last >= o.Size && first < o.Size {
			o.Size = first
		}
	}
	e.deallocate(en.Object)
}

// ProtectFlags select what vm_map_protect sets.
type ProtectFlags uint8

// vm_map_protect flags (FreeBSD VM_MAP_PROTECT_*).
const (
	SetProt    ProtectFlags = 1
	SetMaxProt ProtectFlags = 2
	// protectClipFirst clips at start before the check pass, as the 2006
	// vm_map_protect did (a refused call still leaves the entry split).
	protectClipFirst ProtectFlags = 4
)

// protect changes the protection and/or maximum protection of [start,
// end). Holes and guard entries are skipped; the whole range is checked
// against each entry's max_protection before anything changes. Mirrors
// vm_map_protect (FreeBSD 14, seed 004).
func (vs *Vmspace) protect(start, end uint64, newProt, newMax Prot, flags ProtectFlags) Kern {
	m := &vs.Map
	e := vs.eng
	if start == end {
		return KernSuccess
	}
	if flags == SetProt|SetMaxProt && !newProt.Subset(newMax) {
		return KernOutOfBounds
	}
	if m.Flags&MapWXorX != 0 && flags&SetProt != 0 && newProt&(ProtWrite|ProtExec) == ProtWrite|ProtExec {
		return KernProtectionFailure
	}
	start, end = vs.rangeClamp(start, end)
	if start >= end {
		return KernSuccess
	}
	if flags&protectClipFirst != 0 {
		// The 2006 vm_map_protect clipped at start before checking.
		if first, ok := m.Lookup(start); ok {
			vs.clipStart(first, start)
		}
		flags &^= protectClipFirst
	}
	// Check pass: nothing changes unless every entry allows it.
	first := m.firstSlotIn(start)
	for s := first; s >= 0 && m.slab[s].Start < end; s = m.links[s].next {
		en := &m.slab[s]
		if en.IsGuard() {
			continue
		}
		if en.Flags&EntryIsSubMap != 0 {
			return KernInvalidArgument
		}
		p, mx := en.Prot, en.MaxProt
		if flags&SetProt != 0 {
			p = newProt
		}
		if flags&SetMaxProt != 0 {
			mx = newMax
		}
		if !p.Subset(en.MaxProt) || !mx.Subset(en.MaxProt) {
			return KernProtectionFailure
		}
	}
	if first < 0 || m.slab[first].Start >= end {
		return KernSuccess
	}
	first = vs.clipStartSlot(first, start)
	last := m.lastSlotIn(first, end)
	vs.clipEndSlot(last, end)
	// Charge pass: entries gaining write get a swap reservation.
	if flags&SetProt != 0 && newProt&ProtWrite != 0 {
		for s := first; ; s = m.links[s].next {
			if en := &m.slab[s]; !en.IsGuard() && !vs.entryCharged(en) {
				if en.Object == 0 || en.Flags&EntryNeedsCopy != 0 {
					en.Charged = true
				} else if o := e.objects[en.Object]; o.Type == ObjAnon {
					o.Charged = true
				}
			}
			if s == last {
				break
			}
		}
	}
	for s := first; ; s = m.links[s].next {
		if en := &m.slab[s]; !en.IsGuard() {
			old := en.Prot
			if flags&SetMaxProt != 0 {
				en.MaxProt = newMax
				en.Prot = newMax & old
			}
			if flags&SetProt != 0 {
				en.Prot = newProt
			}
			lower, mask, from, to := old&^en.Prot != 0, en.Prot, en.Start, en.End
			if en.Flags&EntryCOW != 0 {
				mask &^= ProtWrite
			}
			if en.Wired != 0 && en.Flags&EntryUserWired != 0 && en.Prot&ProtWrite != 0 && old&ProtWrite == 0 {
				vs.faultCopyEntry(*en)
			}
			if lower {
				vs.pmapProtect(from, to, mask)
			}
		}
		if s == last {
			break
		}
	}
	m.Timestamp++
	vs.mergeRun(first, last)
	return KernSuccess
}

// pmapProtect lowers the hardware protection of [s, t) to prot. FreeBSD's
// pmap_protect removes the mappings when prot is VM_PROT_NONE; Linux keeps
// PROT_NONE PTEs present but inaccessible (they still count for mincore).
func (vs *Vmspace) pmapProtect(s, t uint64, prot Prot) {
	e := vs.eng
	if prot == ProtNone && !vs.Map.linux {
		vs.Pmap.Remove(e.atop(s), e.atop(t))
		return
	}
	vs.Pmap.Protect(e.atop(s), e.atop(t), pmapProt(prot))
}

// entryCharged mirrors ENTRY_CHARGED: the entry, or its object when no copy
// is pending, holds a swap charge.
func (vs *Vmspace) entryCharged(en *Entry) bool {
	if en.Charged {
		return true
	}
	return en.Object != 0 && en.Flags&EntryNeedsCopy == 0 && vs.eng.objects[en.Object].Charged
}

// faultCopyEntry gives a wired entry private copies of all its pages at
// once, as when write permission is added to user-wired memory. Mirrors
// vm_fault_copy_entry (modelled as a write fault on every page).
func (vs *Vmspace) faultCopyEntry(en Entry) {
	for a := en.Start; a < en.End; a += vs.eng.cfg.PageSize {
		vs.fault(a, AccessWrite, 0, faultWire|faultNoStore)
	}
}

// inherit sets the fork inheritance of [start, end). Holes are ignored;
// guard entries never take ZERO. Mirrors vm_map_inherit.
func (vs *Vmspace) inherit(start, end uint64, inh Inherit) Kern {
	if inh > InheritZero {
		return KernInvalidArgument
	}
	if start == end {
		return KernSuccess
	}
	start, end = vs.rangeClamp(start, end)
	if start >= end {
		return KernSuccess
	}
	if len(vs.Guards) > 0 {
		for vpn := range vs.Guards {
			if vpn >= vs.eng.atop(start) && vpn < vs.eng.atop(end) {
				delete(vs.Guards, vpn)
			}
		}
	}
	clipped := vs.clipRange(start, end)
	defer vs.Map.release(clipped) // clipRange's buffer goes back for reuse
	for _, en := range clipped {
		if !en.IsGuard() || inh != InheritZero {
			en.Inherit = inh
			vs.Map.put(en)
		}
	}
	vs.Map.Timestamp++
	vs.mergeRange(start, end)
	return KernSuccess
}

// Advice values at the engine level (FreeBSD MADV_* numbering).
const (
	AdvNormal     = 0
	AdvRandom     = 1
	AdvSequential = 2
	AdvWillNeed   = 3
	AdvDontNeed   = 4
	AdvFree       = 5
	AdvNoSync     = 6
	AdvAutoSync   = 7
	AdvNoCore     = 8
	AdvCore       = 9
)

// madvise applies advice to [start, end). Entry kinds (behaviour, NOSYNC,
// NOCORE) clip and merge; object kinds (WILLNEED, DONTNEED, FREE) act on the
// pages without clipping. Holes are ignored. Mirrors vm_map_madvise.
func (vs *Vmspace) madvise(start, end uint64, behav int) Kern {
	e := vs.eng
	switch behav {
	case AdvNormal, AdvSequential, AdvRandom, AdvNoSync, AdvAutoSync, AdvNoCore, AdvCore:
		if start == end {
			return KernSuccess
		}
		start, end = vs.rangeClamp(start, end)
		if start >= end {
			return KernSuccess
		}
		clipped := vs.clipRange(start, end)
		defer vs.Map.release(clipped) // clipRange's buffer goes back for reuse
		for _, en := range clipped {
			if en.Flags&EntryIsSubMap != 0 {
				continue
			}
			switch behav {
			case AdvNormal:
				en.Flags &^= EntryBehavMask
			case AdvSequential:
				en.Flags = en.Flags&^EntryBehavMask | EntryBehavSeq
			case AdvRandom:
				en.Flags = en.Flags&^EntryBehavMask | EntryBehavRandom
			case AdvNoSync:
				en.Flags |= EntryNoSync
			case AdvAutoSync:
				en.Flags &^= EntryNoSync
			case AdvNoCore:
				en.Flags |= EntryNoCoreDump
			case AdvCore:
				en.Flags &^= EntryNoCoreDump
			}
			vs.Map.put(en)
		}
		vs.Map.Timestamp++
		vs.mergeRange(start, end)
		return KernSuccess
	case AdvWillNeed, AdvDontNeed, AdvFree:
		if start == end {
			return KernSuccess
		}
		start, end = vs.rangeClamp(start, end)
		vs.Map.Range(start, end, func(en Entry) bool {
			if en.Flags&EntryIsSubMap != 0 || en.Object == 0 {
				return true
			}
			o := e.objects[en.Object]
			if behav == AdvFree && o.Backing != 0 {
				return true
			}
			us, ue := max(en.Start, start), min(en.End, end)
			switch behav {
			case AdvDontNeed, AdvFree:
				vs.Pmap.ClearReferenced(e.atop(us), e.atop(ue), behav == AdvFree && o.Type == ObjAnon && o.Flags&ObjOneMapping != 0)
			case AdvWillNeed:
				if en.Wired == 0 {
					vs.pmapEnterResident(us, ue, en.Prot, en.Object, en.Offset+(us-en.Start), ^uint64(0))
				}
			}
			return true
		})
		return KernSuccess
	}
	return KernInvalidArgument
}

// WireFlags select how wire and unwire treat holes and who wires.
type WireFlags uint8

// Wiring flags (FreeBSD VM_MAP_WIRE_*).
const (
	WireUser    WireFlags = 1 // user wiring (mlock): counts once per entry
	WireHolesOK WireFlags = 2 // holes and unwirable entries are skipped
	WireWrite   WireFlags = 4 // only writable entries
)

// wire wires [start, end): every page is faulted in (with the entry's full
// protection, so private writable pages are copied now) and the entries'
// wired counts raised, a user wiring counting once. Without WireHolesOK a
// hole or a PROT_NONE entry fails and undoes the work; with it or without,
// a page that cannot be faulted in (a file page past the end of the file:
// KERN_OUT_OF_BOUNDS) stops there and undoes the wiring, this entry's
// included (vm_map_wire_entry_failure), leaving the pages faulted so far
// mapped and the copies made. Mirrors vm_map_wire_locked.
func (vs *Vmspace) wire(start, end uint64, flags WireFlags) Kern {
	m := &vs.Map
	e := vs.eng
	if start == end {
		return KernSuccess
	}
	start, end = vs.rangeClamp(start, end)
	holesOK := flags&WireHolesOK != 0
	if _, ok := m.Lookup(start); !ok && !holesOK {
		return KernInvalidAddress
	}
	entries := vs.clipRange(start, end)
	defer vs.Map.release(entries) // clipRange's buffer goes back for reuse
	var done []Entry
	rv := KernSuccess
	prevEnd := start
	for _, en := range entries {
		if en.Start > prevEnd && !holesOK {
			rv = KernInvalidAddress
			break
		}
		prevEnd = en.End
		need := ProtNone
		if flags&WireWrite != 0 {
			need = ProtWrite
		}
		if en.Prot&(ProtRead|ProtExec) == 0 || !need.Subset(en.Prot) {
			if !holesOK {
				rv = KernInvalidAddress
				break
			}
			continue
		}
		if flags&WireUser != 0 && en.Flags&EntryUserWired != 0 {
			continue // a user wiring counts once
		}
		first := en.Wired == 0
		en.Wired++
		if flags&WireUser != 0 {
			en.Flags |= EntryUserWired
		}
		m.put(en)
		done = append(done, en)
		if first {
			for a := en.Start; a < en.End; a += e.cfg.PageSize {
				// vm_fault_wire asks for VM_PROT_NONE; the wired entry's full
				// protection is then used (so writable COW pages are copied).
				if vs.fault(a, 0, 0, faultWire|faultNoStore) != SigNone {
					rv = KernOutOfBounds
					break
				}
			}
			if rv != KernSuccess {
				break
			}
		}
	}
	if rv == KernSuccess && prevEnd < end && !holesOK {
		rv = KernInvalidAddress
	}
	if rv != KernSuccess {
		for _, en := range done {
			en, _ = m.Lookup(en.Start)
			vs.unwireEntry(en, flags&WireUser != 0)
		}
	}
	m.Timestamp++
	vs.mergeRange(start, end)
	return rv
}

// unwireEntry drops one wiring of en (the user wiring if user), unwiring
// its pages when the count reaches zero. Mirrors vm_map_entry_unwire.
func (vs *Vmspace) unwireEntry(en Entry, user bool) Entry {
	if en.Wired == 0 {
		return en
	}
	if user {
		if en.Flags&EntryUserWired == 0 {
			return en
		}
		en.Flags &^= EntryUserWired
	}
	en.Wired--
	if en.Wired == 0 {
		vs.Pmap.SetWired(vs.eng.atop(en.Start), vs.eng.atop(en.End), false)
	}
	vs.Map.put(en)
	return en
}

// unwire undoes user (or system) wiring of [start, end). Entries that are
// not user-wired are skipped (FreeBSD ≥ 2009) unless strict (seed era:
// every entry must be wired). Without WireHolesOK a hole fails before
// anything changes. Mirrors vm_map_unwire.
func (vs *Vmspace) unwire(start, end uint64, flags WireFlags, strict bool) Kern {
	m := &vs.Map
	if start == end {
		return KernSuccess
	}
	start, end = vs.rangeClamp(start, end)
	holesOK := flags&WireHolesOK != 0
	if !holesOK {
		if _, ok := m.Lookup(start); !ok {
			return KernInvalidAddress
		}
		prevEnd := start
		bad := false
		m.Range(start, end, func(en Entry) bool {
			if en.Start > prevEnd || (strict && flags&WireUser != 0 && en.Flags&EntryUserWired == 0) {
				bad = true
				return false
			}
			prevEnd = en.End
			return true
		})
		if bad || prevEnd < end {
			return KernInvalidAddress
		}
	}
	clipped := vs.clipRange(start, end)
	defer vs.Map.release(clipped) // clipRange's buffer goes back for reuse
	for _, en := range clipped {
		vs.unwireEntry(en, flags&WireUser != 0)
	}
	m.Timestamp++
	vs.mergeRange(start, end)
	return KernSuccess
}

// sync cleans (and with invalidate drops from the page table) [start,
// end); size 0 means the whole entry containing start. Mirrors
// vm_map_sync.
func (vs *Vmspace) sync(start, end uint64, syncio, invalidate bool) Kern {
	m := &vs.Map
	e := vs.eng
	start, end = vs.rangeClamp(start, end)
	first, ok := m.Lookup(start)
	if !ok {
		return KernInvalidAddress
	}
	if start == end {
		start, end = first.Start, first.End
	}
	rv := KernSuccess
	prevEnd := first.Start
	m.Range(start, end, func(en Entry) bool {
		if en.Start > prevEnd {
			rv = KernInvalidAddress // the hole comes before the next entry
			return false
		}
		if invalidate && en.Flags&EntryUserWired != 0 {
			rv = KernInvalidArgument
			return false
		}
		prevEnd = en.End
		return true
	})
	if rv == KernSuccess && prevEnd < end {
		rv = KernInvalidAddress
	}
	if rv != KernSuccess {
		return rv
	}
	if invalidate {
		vs.Pmap.Remove(e.atop(start), e.atop(end))
	}
	// Cleaning writes dirty file pages back: the page-cache model is
	// write-through, so what remains is clearing the modified bits of
	// pages whose chain ends in a vnode object.
	m.Range(start, end, func(en Entry) bool {
		if en.Object == 0 {
			return true
		}
		id := en.Object
		for e.objects[id].Backing != 0 {
			id = e.objects[id].Backing
		}
		if e.objects[id].Type == ObjVnode {
			us, ue := max(en.Start, start), min(en.End, end)
			vs.Pmap.Range(e.atop(us), e.atop(ue), func(p pmapPTE) bool {
				if fr, ok := e.phys.Frame(p.Frame); ok && fr.Object == uint64(id) && p.Modified {
					p.Modified = false
					vs.Pmap.Update(p)
				}
				return true
			})
		}
		return true
	})
	return KernSuccess
}

// stack creates a grows-down stack of maxSize bytes at addrbos: a stack
// entry of min(growsize, maxSize-guard) bytes at the top and a guard gap
// entry below it. Mirrors vm_map_stack_locked.
func (vs *Vmspace) stack(addrbos, maxSize uint64, prot, max Prot, cow Cow) Kern {
	m := &vs.Map
	e := vs.eng
	if addrbos < m.Min || addrbos+maxSize > m.Max || addrbos+maxSize <= addrbos {
		return KernInvalidAddress
	}
	sgp := e.cfg.StackGuard * e.cfg.PageSize
	if sgp >= maxSize {
		return KernInvalidArgument
	}
	init := e.cfg.GrowSize
	if maxSize < init+sgp {
		init = maxSize - sgp
	}
	if _, ok := m.Lookup(addrbos); ok {
		return KernNoSpace
	}
	if n, ok := m.next(addrbos); ok && n.Start < addrbos+maxSize {
		return KernNoSpace
	}
	bot := addrbos + maxSize - init
	top := bot + init
	rv := vs.insert(0, 0, bot, top, prot, max, cow&^(CowCreateStackGapDn|CowCreateGuard)|CowStackGrowsDown)
	if rv != KernSuccess {
		return rv
	}
	if addrbos == bot {
		return KernSuccess
	}
	rv = vs.insert(0, 0, addrbos, bot, ProtNone, ProtNone, CowCreateGuard|CowCreateStackGapDn)
	if rv != KernSuccess {
		vs.deleteRange(bot, top)
		return rv
	}
	gap, _ := m.Lookup(addrbos)
	gap.Offset = sgp // FreeBSD keeps the guard size in the gap's next_read
	m.put(gap)
	return KernSuccess
}

// growStack grows the stack above gap entry gap down to cover addr, by at
// least sgrowsiz but never into the guard at the bottom of the gap. Mirrors
// vm_map_growstack (grows-down stacks).
func (vs *Vmspace) growStack(addr uint64, gap Entry, lim Limits) Kern {
	m := &vs.Map
	e := vs.eng
	if gap.Flags&EntryStackGapDn == 0 {
		return KernFailure
	}
	st, ok := m.next(gap.End)
	if !ok || st.Flags&EntryGrowsDown == 0 || st.Start != gap.End {
		return KernFailure
	}
	grow, _ := e.roundPage(st.Start - addr)
	guard := gap.Offset
	maxGrow := gap.Size()
	if guard > maxGrow {
		return KernNoSpace
	}
	maxGrow -= guard
	if grow > maxGrow {
		return KernNoSpace
	}
	isProcStack := addr >= vs.MaxSAddr && addr < e.layout.UsrStack
	if isProcStack && vs.SSize+grow > lim.Stack {
		return KernNoSpace
	}
	gs := e.cfg.GrowSize
	grow = (grow + gs - 1) / gs * gs
	if grow > maxGrow {
		grow = maxGrow
	}
	if isProcStack && vs.SSize+grow > lim.Stack {
		grow = e.truncPage(lim.Stack) - vs.SSize
	}
	if m.Flags&MapWireFuture != 0 && e.ptoa(uint64(vs.Pmap.Wired()))+grow > lim.MemLock {
		return KernNoSpace
	}
	if m.Size+grow > lim.VMem {
		return KernNoSpace
	}
	growStart := gap.End - grow
	if gap.Start+grow == gap.End {
		m.unlink(gap)
	} else {
		m.resize(gap, growStart)
	}
	rv := vs.insert(0, 0, growStart, growStart+grow, st.Prot, st.MaxProt, CowStackGrowsDown)
	if rv != KernSuccess {
		if g, ok := m.Lookup(gap.Start); ok {
			m.resize(g, gap.End)
		} else {
			m.link(gap)
		}
		return rv
	}
	if isProcStack {
		vs.SSize += grow
	}
	if m.Flags&MapWireFuture != 0 {
		rv = vs.wire(growStart, growStart+grow, WireUser)
	}
	return rv
}
