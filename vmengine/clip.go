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
	vs.chargeObject(&en)
	head, tail := vs.splitAt(en, a)
	m := &vs.Map
	m.put(head)
	m.insertAfter(m.hint, tail)
	return tail
}

// clipEnd splits en at a so that an entry ends exactly at a, and returns
// that entry ([en.Start, a)). The tail [a, en.End) stays in the map.
// No-op unless en.Start < a < en.End. Mirrors vm_map_clip_end.
func (vs *Vmspace) clipEnd(en Entry, a uint64) Entry {
	if a <= en.Start || a >= en.End {
		return en
	}
	vs.chargeObject(&en)
	head, tail := vs.splitAt(en, a)
	m := &vs.Map
	m.put(head)
	m.insertAfter(m.hint, tail)
	return head
}

// splitAt returns the two halves of en around a, taking the extra object
// reference the second half needs, and counts the new entry.
func (vs *Vmspace) splitAt(en Entry, a uint64) (Entry, Entry) {
	head, tail := en, en
	head.End = a
	tail.Start = a
	if en.Object != 0 || (!en.IsGuard() && vs.Map.linux) {
		tail.Offset += a - en.Start
	}
	vs.eng.reference(en.Object)
	vs.Map.NEntries++
	vs.Map.Timestamp++
	return head, tail
}

// clipRange clips the entries at both ends of [start, end) and returns the
// entries inside it, in order. Mirrors vm_map_lookup_clip_start followed by
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
