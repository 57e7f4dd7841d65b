package vmengine

// This file holds the only clipping rule of the engine: how one map entry is
// split in two. Every operation that works on part of an entry calls
// clipStart and clipEnd here and nowhere else splits an entry.

// chargeObject gives an entry without an object (and not a guard) an
// anonymous object of its full size before it is split, so both halves share
// it at contiguous offsets; the entry's swap charge moves to the object.
// Linux VMAs are split without an object (the anon_vma comes at the first
// fault), so the Linux personality skips this. Mirrors
// vm_map_entry_charge_object.
func (vs *Vmspace) chargeObject(en *Entry) {
	if vs.Map.linux {
		return
	}
	e := vs.eng
	switch {
	case en.Object == 0 && !en.IsGuard():
		o := e.allocAnon(e.atop(en.Size()))
		o.Charged = en.Charged
		en.Object, en.Offset, en.Charged = o.ID, 0, false
	case en.Object != 0 && en.Flags&EntryNeedsCopy == 0 && en.Charged:
		e.objects[en.Object].Charged = true
		en.Charged = false
	}
}

// clipStart splits en at a so that an entry begins exactly at a, and
// returns that entry ([a, en.End)). The head [en.Start, a) stays in the map.
// No-op (returns en) unless en.Start < a < en.End. Mirrors vm_map_clip_start.
func (vs *Vmspace) clipStart(en Entry, a uint64) Entry {
	if a <= en.Start || a >= en.End {
		return en
	}
	return vs.Map.slab[vs.splitSlot(vs.store(en), a)]
}

// clipEnd splits en at a so that an entry ends exactly at a, and returns
// that entry ([en.Start, a)). The tail [a, en.End) stays in the map.
// No-op unless en.Start < a < en.End. Mirrors vm_map_clip_end.
func (vs *Vmspace) clipEnd(en Entry, a uint64) Entry {
	if a <= en.Start || a >= en.End {
		return en
	}
	s := vs.store(en)
	vs.splitSlot(s, a)
	return vs.Map.slab[s]
}

// store puts en, an entry of the map, back into its slot and returns the
// slot.
func (vs *Vmspace) store(en Entry) int32 {
	m := &vs.Map
	m.put(en)
	return m.hint
}

// clipStartSlot is clipStart of the entry in slot s: it returns the slot
// of the entry that begins at a (s itself when there is nothing to split).
func (vs *Vmspace) clipStartSlot(s int32, a uint64) int32 {
	if en := &vs.Map.slab[s]; a <= en.Start || a >= en.End {
		return s
	}
	return vs.splitSlot(s, a)
}

// clipEndSlot is clipEnd of the entry in slot s: the entry that ends at a
// keeps slot s.
func (vs *Vmspace) clipEndSlot(s int32, a uint64) {
	if en := &vs.Map.slab[s]; a > en.Start && a < en.End {
		vs.splitSlot(s, a)
	}
}

// splitSlot splits the entry in slot s at a, en.Start < a < en.End: the
// head keeps slot s, the tail goes into a new slot right after it, which
// is returned and becomes the hint. The entry gets its object first
// (chargeObject), the tail takes the extra object reference and its offset
// moves on by the head's size; the new entry is counted.
func (vs *Vmspace) splitSlot(s int32, a uint64) int32 {
	m := &vs.Map
	en := &m.slab[s]
	vs.chargeObject(en)
	tail := *en
	tail.Start = a
	if en.Object != 0 || (!en.IsGuard() && m.linux) {
		tail.Offset += a - en.Start
	}
	en.End = a
	vs.eng.reference(en.Object)
	m.NEntries++
	m.Timestamp++
	m.insertAfter(s, tail) // may move the slab: en is stale from here
	return m.hint
}

// clipRange clips the entries at both ends of [start, end) and returns the
// entries inside it, in order, in a buffer the caller gives back with
// Map.release. Mirrors vm_map_lookup_clip_start followed by
// clip_end on the last entry.
func (vs *Vmspace) clipRange(start, end uint64) []Entry {
	list := vs.Map.entriesIn(start, end)
	if len(list) == 0 {
		return list
	}
	if list[0].Start < start {
		list[0] = vs.clipStart(list[0], start)
	}
	if last := len(list) - 1; list[last].End > end {
		list[last] = vs.clipEnd(list[last], end)
	}
	return list
}
