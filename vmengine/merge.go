package vmengine

// This file holds the only coalescing rule of the engine: when two
// neighbouring entries become one. FreeBSD's and Linux's rules differ; both
// live here, chosen by the map's personality.

// mergeable reports whether prev and next, adjacent in the map, may be
// merged into one entry. FreeBSD: next carries no NOMERGE flag and the
// entries agree on object (same, at contiguous offsets, or both none),
// eflags, protection, max_protection, inheritance, wired count and charge.
// Mirrors vm_map_mergeable_neighbors (used by vm_map_try_merge_entries).
func (m *Map) mergeable(prev, next *Entry) bool {
	if prev.End != next.Start {
		return false
	}
	return next.Flags&entryNoMerge == 0 &&
		prev.Object == next.Object &&
		(prev.Object == 0 || prev.Offset+prev.Size() == next.Offset) &&
		prev.Flags == next.Flags &&
		prev.Prot == next.Prot &&
		prev.MaxProt == next.MaxProt &&
		prev.Inherit == next.Inherit &&
		prev.Wired == next.Wired &&
		prev.Charged == next.Charged
}

// anonOf returns the object that stands for a Linux VMA's anon_vma: its
// anonymous object, or nil when it has none yet (no object, or a private
// file mapping still reading the file's own object).
func (vs *Vmspace) anonOf(en *Entry) *Object {
	if en.Object == 0 || en.LFlags&LinuxMayShare != 0 {
		return nil
	}
	if o := vs.eng.objects[en.Object]; o.Type == ObjAnon {
		return o
	}
	return nil
}

// linuxMergeable is Linux's is_mergeable_vma plus is_mergeable_anon_vma and
// can_vma_merge_after: equal flags (soft-dirty aside), the same file at a
// contiguous pgoff, the same anonymous name, and anon_vmas equal or one of
// them absent.
func (vs *Vmspace) linuxMergeable(prev, next *Entry) bool {
	const ignore = LinuxSoftDirty | LinuxForkedAnon
	if prev.LFlags&LinuxIO != 0 || next.LFlags&LinuxIO != 0 {
		return false
	}
	if prev.LFlags&^ignore != next.LFlags&^ignore || prev.Prot != next.Prot ||
		prev.MaxProt != next.MaxProt || prev.Name != next.Name || prev.PKey != next.PKey || prev.FileDesc != next.FileDesc ||
		prev.Flags&EntryGuard != next.Flags&EntryGuard || prev.Inherit != next.Inherit {
		return false
	}
	if prev.Offset+prev.Size() != next.Offset {
		return false
	}
	e := vs.eng
	if e.entryFile(*prev) != e.entryFile(*next) {
		return false
	}
	if prev.LFlags&LinuxMayShare != 0 && prev.Object != next.Object {
		return false
	}
	a, b := vs.anonOf(prev), vs.anonOf(next)
	// A fork child's VMA has an anon_vma (with a chain that is not
	// singular) even where the engine saw no fault.
	hasA := a != nil || prev.LFlags&LinuxForkedAnon != 0
	hasB := b != nil || next.LFlags&LinuxForkedAnon != 0
	switch {
	case hasA && hasB:
		return a == b || a != nil && b != nil && vs.pagesJoinable(prev, next, a, b)
	case hasA:
		return prev.LFlags&LinuxForkedAnon == 0 // list_is_singular
	case hasB:
		return next.LFlags&LinuxForkedAnon == 0
	}
	return true
}

// pagesJoinable reports whether prev and next, private anonymous entries
// with different objects k and x that stand for one anon_vma (see
// Object.AnonVMA), can become one entry: next's pages can move into prev's
// object at their page indexes, where no other entry uses either object
// and prev's object holds nothing; both objects shadow the same thing (a
// private file mapping's file, or nothing) at the same offset, so next's
// range reads through prev's object what it read through its own. Linux
// merges such VMAs (one anon_vma, contiguous pgoff); the engine can only
// when their pages fit one object.
func (vs *Vmspace) pagesJoinable(prev, next *Entry, k, x *Object) bool {
	e := vs.eng
	if k.anonVMA() != x.anonVMA() || prev.Flags&EntryNeedsCopy != 0 || next.Flags&EntryNeedsCopy != 0 ||
		k.Backing != x.Backing || k.BackingOffset != x.BackingOffset || len(k.Shadows) != 0 || len(x.Shadows) != 0 {
		return false
	}
	lo, hi := next.Offset, next.Offset+next.Size()
	return !k.hasPageIn(e.atop(lo), e.atop(hi)) && !e.indexInUse(k.ID, lo, hi, *prev) && !e.indexInUse(x.ID, lo, hi, *next)
}

// mergeableNeighbors applies the personality's merge rule.
func (vs *Vmspace) mergeableNeighbors(prev, next *Entry) bool {
	if prev.End != next.Start {
		return false
	}
	if vs.Map.linux {
		return vs.linuxMergeable(prev, next)
	}
	return vs.Map.mergeable(prev, next)
}

// tryMerge merges prev into next when the rule allows, returning the
// surviving entry and true. Pre: prev and next are entries of the map (their
// current values). Mirrors vm_map_try_merge_entries.
func (vs *Vmspace) tryMerge(prev, next Entry) (Entry, bool) {
	m := &vs.Map
	if !vs.mergeableNeighbors(&prev, &next) {
		return next, false
	}
	ns, _ := m.slotOf(next.Start)
	ps, _ := m.slotOf(prev.Start)
	vs.mergeSlots(ps, ns)
	return m.slab[ps], true
}

// mergeSlots merges the entry in slot ns into the one in slot ps, the
// entry just before it: the merged entry keeps ps's slot, start and
// offset, and the reference the absorbed side held on the shared object is
// dropped; ps becomes the hint. Pre: vs.mergeableNeighbors on the two.
// Mirrors the merge of vm_map_try_merge_entries and
// vm_map_merged_neighbor_dispose.
func (vs *Vmspace) mergeSlots(ps, ns int32) {
	m := &vs.Map
	var a, b *Object
	if m.linux {
		a, b = vs.anonOf(&m.slab[ps]), vs.anonOf(&m.slab[ns])
		if (a == nil) != (b == nil) {
			// The side without an anon_vma takes the other's: its pgoff
			// range joins that object's (see evictAliases).
			kept, absent := m.slab[ps], m.slab[ns]
			if a == nil {
				kept, absent = absent, kept
			}
			vs.evictAliases(kept.Object, absent.Offset, absent.Offset+absent.Size(), kept.Start, absent.Start)
			a, b = vs.anonOf(&m.slab[ps]), vs.anonOf(&m.slab[ns]) // kept's object may be a copy now
		}
	}
	prev, next := &m.slab[ps], &m.slab[ns]
	obj, flags, drop := next.Object, next.Flags, prev.Object
	switch {
	case a != nil && b == nil:
		// Keep the side that has the anon_vma (and its copy-on-write state).
		obj, flags, drop = prev.Object, prev.Flags, next.Object
	case a != nil && b != nil && a != b:
		// One anon_vma in two objects (pagesJoinable): next's pages join
		// prev's object.
		e := vs.eng
		first, last := e.atop(next.Offset), e.atop(next.Offset+next.Size())
		e.movePagesInto(a.ID, b.ID, first, last)
		a.Size = max(a.Size, last) // objects are indexed by pgoff
		obj, flags, drop = prev.Object, prev.Flags, next.Object
	}
	if obj == 0 {
		obj = drop // Linux: one side may already have an anon_vma
	} else if drop != 0 {
		vs.eng.deallocate(drop)
	}
	if m.linux && obj != 0 && prev.Object == next.Object && (prev.Flags^next.Flags)&EntryNeedsCopy != 0 {
		// One anon_vma, copy-on-write on one side only (the other was kept
		// from a fork: MADV_WIPEONFORK, MADV_DONTFORK). Linux write-protects
		// page by page; the merged entry copies on write, so the other side's
		// PTEs lose write access as fork took it from the first's.
		flags |= (prev.Flags | next.Flags) & (EntryNeedsCopy | EntryCOW)
		side := prev
		if side.Flags&EntryNeedsCopy != 0 {
			side = next
		}
		vs.pmapProtect(side.Start, side.End, side.Prot&^ProtWrite)
	}
	start, off := prev.Start, prev.Offset
	*prev = *next
	prev.Start, prev.Offset, prev.Object, prev.Flags = start, off, obj, flags
	m.removeSlot(ns)
	m.hint = ps
	m.NEntries--
	m.Timestamp++
}

// mergeNextSlot merges the entry in slot s with the entry just above it if
// they touch and the rule allows; the survivor keeps slot s.
func (vs *Vmspace) mergeNextSlot(s int32) {
	m := &vs.Map
	if n := m.links[s].next; n >= 0 && vs.mergeableNeighbors(&m.slab[s], &m.slab[n]) {
		vs.mergeSlots(s, n)
	}
}

// mergePrevSlot merges the entry in slot s with the entry just below it if
// they touch and the rule allows, and returns the survivor's slot.
func (vs *Vmspace) mergePrevSlot(s int32) int32 {
	m := &vs.Map
	if p := m.links[s].prev; p >= 0 && vs.mergeableNeighbors(&m.slab[p], &m.slab[s]) {
		vs.mergeSlots(p, s)
		return p
	}
	return s
}

// mergeWithPrev merges en with the entry just below it if allowed and
// returns the surviving entry.
func (vs *Vmspace) mergeWithPrev(en Entry) Entry {
	m := &vs.Map
	s, ok := m.slotOf(en.Start)
	if !ok {
		if p, ok := m.prev(en.Start); ok {
			en, _ = vs.tryMerge(p, en)
		}
		return en
	}
	return m.slab[vs.mergePrevSlot(s)]
}

// mergeWithNext merges en with the entry just above it if allowed and
// returns the surviving entry.
func (vs *Vmspace) mergeWithNext(en Entry) Entry {
	m := &vs.Map
	s, ok := m.slotOf(en.Start)
	if !ok {
		if n, ok := m.next(en.End); ok && n.Start == en.End {
			if merged, did := vs.tryMerge(en, n); did {
				return merged
			}
		}
		return en
	}
	vs.mergeNextSlot(s)
	return m.slab[s]
}

// mergeRun re-merges a run of entries after an operation changed them:
// each with its predecessor (the entry before the run, then the previous
// one of the run), then the last with the entry after the run, as FreeBSD
// does at the end of protect, inherit, madvise and wiring. The run is the
// entries from slot first to slot last along the map's links.
func (vs *Vmspace) mergeRun(first, last int32) {
	m := &vs.Map
	end := m.slab[last].End
	s := vs.mergePrevSlot(first)
	for n := m.links[s].next; n >= 0 && m.slab[n].Start < end; n = m.links[s].next {
		if vs.mergeableNeighbors(&m.slab[s], &m.slab[n]) {
			vs.mergeSlots(s, n)
		} else {
			s = n
		}
	}
	vs.mergeNextSlot(s)
}

// mergeRange re-merges every entry in [start, end) with its neighbours.
func (vs *Vmspace) mergeRange(start, end uint64) {
	m := &vs.Map
	first := m.firstSlotIn(start)
	if first < 0 || m.slab[first].Start >= end {
		return
	}
	vs.mergeRun(first, m.lastSlotIn(first, end))
}
