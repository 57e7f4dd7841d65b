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
// anonymous object, or 0 when it has none yet (no object, or a private file
// mapping still reading the file's own object).
func (vs *Vmspace) anonOf(en *Entry) ObjID {
	if en.Object == 0 || en.LFlags&LinuxMayShare != 0 {
		return 0
	}
	if o := vs.eng.objects[en.Object]; o.Type != ObjAnon {
		return 0
	}
	return en.Object
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
	hasA := a != 0 || prev.LFlags&LinuxForkedAnon != 0
	hasB := b != 0 || next.LFlags&LinuxForkedAnon != 0
	switch {
	case hasA && hasB:
		return a == b
	case hasA:
		return prev.LFlags&LinuxForkedAnon == 0 // list_is_singular
	case hasB:
		return next.LFlags&LinuxForkedAnon == 0
	}
	return true
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
	return vs.mergeSlots(ps, prev, ns, next), true
}

// mergeSlots merges next (in slot ns) into prev (in slot ps), the entry
// just before it, and returns the merged entry, which keeps prev's slot,
// start and offset; the reference prev held on the shared object is
// dropped. Pre: vs.mergeableNeighbors(&prev, &next). Mirrors the merge of
// vm_map_try_merge_entries and vm_map_merged_neighbor_dispose.
func (vs *Vmspace) mergeSlots(ps int32, prev Entry, ns int32, next Entry) Entry {
	m := &vs.Map
	merged := next
	merged.Start, merged.Offset = prev.Start, prev.Offset
	if m.linux && vs.anonOf(&prev) != 0 && vs.anonOf(&next) == 0 {
		// Keep the side that has the anon_vma (and its copy-on-write state).
		merged.Object, merged.Flags = prev.Object, prev.Flags
		prev.Object = next.Object
	}
	if merged.Object == 0 {
		merged.Object = prev.Object // Linux: one side may already have an anon_vma
	} else if prev.Object != 0 {
		vs.eng.deallocate(prev.Object)
	}
	m.removeSlot(ns)
	m.slab[ps] = merged
	m.hint = ps
	m.NEntries--
	m.Timestamp++
	return merged
}

// mergeNextSlot merges en, the entry in slot s, with the entry just above
// it if they touch and the rule allows, and returns the surviving entry.
func (vs *Vmspace) mergeNextSlot(s int32, en Entry) Entry {
	m := &vs.Map
	if n := m.links[s].next; n >= 0 && m.slab[n].Start == en.End {
		if next := m.slab[n]; vs.mergeableNeighbors(&en, &next) {
			return vs.mergeSlots(s, en, n, next)
		}
	}
	return en
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
	if p := m.links[s].prev; p >= 0 {
		if prev := m.slab[p]; vs.mergeableNeighbors(&prev, &en) {
			return vs.mergeSlots(p, prev, s, en)
		}
	}
	return en
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
	return vs.mergeNextSlot(s, en)
}

// mergeList re-merges a run of entries after an operation changed them:
// each with its predecessor (the entry before the run, then the previous
// one of the run), then the last with the entry after the run, as FreeBSD
// does at the end of protect, inherit, madvise and wiring. list holds the
// entries' current values in address order, consecutive in the map; the
// walk follows the map's links from the first one's slot.
func (vs *Vmspace) mergeList(list []Entry) {
	if len(list) == 0 {
		return
	}
	m := &vs.Map
	cur := list[0]
	s, ok := m.slotOf(cur.Start)
	if !ok {
		return
	}
	if p := m.links[s].prev; p >= 0 {
		if prev := m.slab[p]; vs.mergeableNeighbors(&prev, &cur) {
			cur, s = vs.mergeSlots(p, prev, s, cur), p
		}
	}
	for _, en := range list[1:] {
		n := m.links[s].next
		if n < 0 || m.slab[n].Start != en.Start {
			n, _ = m.slotOf(en.Start)
		}
		if vs.mergeableNeighbors(&cur, &en) {
			cur = vs.mergeSlots(s, cur, n, en)
		} else {
			cur, s = en, n
		}
	}
	vs.mergeNextSlot(s, cur)
}

// mergeRange re-merges every entry in [start, end) with its neighbours.
func (vs *Vmspace) mergeRange(start, end uint64) {
	list := vs.Map.entriesIn(start, end)
	vs.mergeList(list)
	vs.Map.release(list)
}
