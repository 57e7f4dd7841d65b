package vmengine

import (
	"github.com/google/btree"
)

// MapFlags are vm_map flags.
type MapFlags uint32

// Map flags (FreeBSD vm_map.h).
const (
	MapWireFuture MapFlags = 0x01
	MapASLR       MapFlags = 0x08
	MapWXorX      MapFlags = 0x40
)

// Map is a vm_map: the ordered set of entries of one address space and the
// free ranges between them. Entries are stored by value in a slab, threaded
// in address order (FreeBSD's prev/next links), and indexed by a B-tree of
// small keys; the free ranges are kept in an augmented treap so that
// placement is O(log n) (see freeSet).
//
// The tree indexes only some of the entries (lazy indexing): a lookup takes
// the floor key from the tree and walks forward along the threading. An
// entry made by a clip, a merge that absorbs an entry, or an insert next to
// others usually touches no tree node at all, so a split followed by a
// merge restructures nothing. Index rule: an indexed slot s has exactly one
// key k, with slab[s].Start <= k < the Start of the entry after s (any
// k >= Start when s is last), so keys ascend with the threading and the
// floor key of an address names the floor entry or one before it; at most
// maxUnindexedRun entries in a row (before the first indexed entry, between
// two, or after the last) have no key, which bounds every walk.
//
// Invariants (checked by Check): entries are ordered and disjoint, each
// Start < End, all inside [Min, Max); the free set is exactly the complement;
// Size equals the sum of non-guard entry sizes and NEntries the entry count;
// no two neighbours that the merge rule would merge are left apart; the
// tree, the threading and the index rule agree.
type Map struct {
	tree      *btree.BTreeG[mapKey] // key start → slab slot, for the indexed slots, in address order
	slab      []Entry               // the entries; a free slot has End == 0
	links     []slotLink            // address-order neighbours of each slot and its key
	scratch   [][]Entry             // reusable buffers for entriesIn
	first     int32                 // slot of the lowest entry, -1: none
	freeSlots []int32
	hint      int32 // slot of the entry last found or stored (FreeBSD's splay root), -1: none
	free      freeSet
	Min, Max  uint64
	Size      uint64 // bytes in non-guard entries (map->size)
	NEntries  int
	Timestamp uint64 // bumped on every change (map->timestamp)
	Flags     MapFlags
	anonLoc   uint64 // anonymous-memory clustering cursor (map->anon_loc)
	linux     bool   // Linux VMA merge rules instead of FreeBSD's
	seedEra   bool   // the 2006 kernel: entries were merged only in some paths
	// unmerged: entries were linked without merging (a fork child, an exec
	// image), so neighbours the merge rule would join may stand apart until
	// an operation touches them.
	unmerged bool
}

// mapKey is what the B-tree orders: a key start and the slab slot it
// indexes (see the index rule on Map). Small keys keep the tree's nodes
// compact; the slab lets an entry be changed without touching the tree.
type mapKey struct {
	start uint64
	slot  int32
}

func lessKey(a, b mapKey) bool { return a.start < b.start }

// slotLink threads the slab in address order, so that an entry's
// neighbours are found without searching the tree (vm_map_entry_pred/succ),
// and records the slot's key when it has one.
type slotLink struct {
	prev, next int32
	key        uint64 // the start of the slot's key in the tree, when indexed
	indexed    bool
}

// maxUnindexedRun is the most entries in a row the tree may leave without a
// key: a lookup walks at most this many threading links past its floor key.
const maxUnindexedRun = 8

func newMap(min, max uint64, linux bool) Map {
	m := Map{
		tree:  btree.NewG[mapKey](32, lessKey),
		free:  newFreeSet(),
		hint:  -1,
		first: -1,
		Min:   min, Max: max,
		linux: linux,
	}
	m.free.add(min, max)
	return m
}

// clone returns a copy of m that shares nothing mutable with it: the tree
// is shared copy-on-write, the slab copied.
func (m *Map) clone() Map {
	c := *m
	c.tree = m.tree.Clone()
	c.slab = append([]Entry(nil), m.slab...)
	c.links = append([]slotLink(nil), m.links...)
	c.scratch = nil
	c.freeSlots = append([]int32(nil), m.freeSlots...)
	c.free = m.free.clone()
	return c
}

// nearWalk is how many threading steps a search takes from the hint before
// it falls back to the tree: operations mostly touch the entries next to
// the one touched last.
const nearWalk = 4

// nearFloor looks for the floor of addr within a few entries of the hint.
// It returns (slot, true) when it decided (slot -1: addr is below every
// entry) and (-1, false) when the tree must be asked.
func (m *Map) nearFloor(addr uint64) (int32, bool) {
	h := m.hint
	if h < 0 || m.slab[h].End == 0 {
		return -1, false
	}
	if m.slab[h].Start <= addr {
		for i := 0; i < nearWalk; i++ {
			n := m.links[h].next
			if n < 0 || m.slab[n].Start > addr {
				return h, true
			}
			h = n
		}
		return -1, false
	}
	for i := 0; i < nearWalk; i++ {
		h = m.links[h].prev
		if h < 0 {
			return -1, true // addr is below the first entry
		}
		if m.slab[h].Start <= addr {
			return h, true
		}
	}
	return -1, false
}

// slotOf returns the slot of the entry starting exactly at start.
func (m *Map) slotOf(start uint64) (int32, bool) {
	if h := m.hint; h >= 0 && m.slab[h].Start == start && m.slab[h].End != 0 {
		return h, true
	}
	f, ok := m.floorSlot(start)
	return f, ok && m.slab[f].Start == start
}

// floorSlot returns the slot of the entry with the greatest Start <= addr
// and makes it the hint. Mirrors the search of vm_map_lookup_entry: the
// tree gives the floor key, whose slot starts at or below addr (index
// rule), and the threading is walked forward from there past at most
// maxUnindexedRun unindexed entries and one indexed one.
func (m *Map) floorSlot(addr uint64) (int32, bool) {
	if f, ok := m.nearFloor(addr); ok {
		if f < 0 {
			return -1, false
		}
		m.hint = f
		return f, true
	}
	s := int32(-1)
	m.tree.DescendLessOrEqual(mapKey{start: addr}, func(k mapKey) bool {
		s = k.slot
		return false
	})
	if s < 0 {
		// addr is below every key: the floor, if any, is in the leading run.
		if s = m.first; s < 0 || m.slab[s].Start > addr {
			return -1, false
		}
	}
	for n := m.links[s].next; n >= 0 && m.slab[n].Start <= addr; n = m.links[n].next {
		s = n
	}
	m.hint = s
	return s, true
}

// Lookup returns the entry containing addr. Mirrors vm_map_lookup_entry
// when it returns TRUE.
func (m *Map) Lookup(addr uint64) (Entry, bool) {
	slot, ok := m.floorSlot(addr)
	if !ok || addr >= m.slab[slot].End {
		return Entry{}, false
	}
	return m.slab[slot], true
}

// floor returns the entry with the greatest Start <= addr (the entry that
// contains addr, or the one before the hole addr is in).
func (m *Map) floor(addr uint64) (Entry, bool) {
	slot, ok := m.floorSlot(addr)
	if !ok {
		return Entry{}, false
	}
	return m.slab[slot], true
}

// prev returns the entry just below the one starting at start.
func (m *Map) prev(start uint64) (Entry, bool) {
	if slot, ok := m.slotOf(start); ok {
		if p := m.links[slot].prev; p >= 0 {
			return m.slab[p], true
		}
		return Entry{}, false
	}
	if start == 0 {
		return Entry{}, false
	}
	return m.floor(start - 1)
}

// nextSlot returns the slot of the first entry with Start >= addr.
func (m *Map) nextSlot(addr uint64) (int32, bool) {
	slot, ok := m.floorSlot(addr)
	switch {
	case !ok:
		slot = m.first
	case m.slab[slot].Start < addr:
		slot = m.links[slot].next
	}
	return slot, slot >= 0
}

// next returns the first entry with Start >= addr.
func (m *Map) next(addr uint64) (Entry, bool) {
	slot, ok := m.nextSlot(addr)
	if !ok {
		return Entry{}, false
	}
	return m.slab[slot], true
}

// Entries returns every entry in address order.
func (m *Map) Entries() []Entry {
	out := make([]Entry, 0, m.NEntries)
	m.Ascend(func(e Entry) bool { out = append(out, e); return true })
	return out
}

// Ascend calls fn for every entry in address order until it returns false.
// fn must not modify the map.
func (m *Map) Ascend(fn func(Entry) bool) {
	for s := m.first; s >= 0; s = m.links[s].next {
		if !fn(m.slab[s]) {
			return
		}
	}
}

// Range calls fn for each entry that intersects [start, end), in order,
// until fn returns false. fn must not modify the map.
func (m *Map) Range(start, end uint64, fn func(Entry) bool) {
	for s := m.firstSlotIn(start); s >= 0 && m.slab[s].Start < end; s = m.links[s].next {
		if !fn(m.slab[s]) {
			return
		}
	}
}

// firstSlotIn returns the slot of the first entry that ends above start
// (the one containing start, or the first one past it): where a walk over
// the entries intersecting [start, ...) begins. -1: none.
func (m *Map) firstSlotIn(start uint64) int32 {
	s, ok := m.floorSlot(start)
	switch {
	case !ok:
		s = m.first
	case m.slab[s].End <= start:
		s = m.links[s].next
	}
	return s
}

// lastSlotIn returns the slot of the last entry that starts below end in a
// walk along the links from slot s, which starts below end.
func (m *Map) lastSlotIn(s int32, end uint64) int32 {
	for n := m.links[s].next; n >= 0 && m.slab[n].Start < end; n = m.links[n].next {
		s = n
	}
	return s
}

// entriesIn returns the entries intersecting [start, end) in order, in a
// buffer of the map's own that the caller gives back with release (so the
// hot paths allocate nothing); operations that nest get buffers of their own.
func (m *Map) entriesIn(start, end uint64) []Entry {
	var out []Entry
	if n := len(m.scratch); n > 0 {
		out = m.scratch[n-1][:0]
		m.scratch = m.scratch[:n-1]
	}
	for s := m.firstSlotIn(start); s >= 0 && m.slab[s].Start < end; s = m.links[s].next {
		out = append(out, m.slab[s])
	}
	return out
}

// release gives a buffer from entriesIn back for reuse.
func (m *Map) release(buf []Entry) {
	if cap(buf) > 0 && cap(buf) <= 1024 && len(m.scratch) < 4 {
		m.scratch = append(m.scratch, buf[:0])
	}
}

// put stores e, replacing the entry with the same Start or adding it.
func (m *Map) put(e Entry) {
	if slot, ok := m.slotOf(e.Start); ok {
		m.slab[slot] = e
		m.hint = slot
		return
	}
	m.insertNew(e)
}

// insertNew adds e under a start no entry has. Pre: no entry starts at
// e.Start.
func (m *Map) insertNew(e Entry) {
	prev, ok := m.floorSlot(e.Start)
	if !ok {
		prev = -1
	}
	m.insertAfter(prev, e)
}

// insertAfter adds e right after the entry in slot prev (-1: first) and
// makes it the hint. Pre: no entry starts at e.Start and e belongs right
// after prev. Post: the index rule holds; the tree changes only when prev's
// key must move to e (in place) or a run of unindexed entries grew past
// maxUnindexedRun (then one entry of it is indexed).
func (m *Map) insertAfter(prev int32, e Entry) {
	var slot int32
	if n := len(m.freeSlots); n > 0 {
		slot = m.freeSlots[n-1]
		m.freeSlots = m.freeSlots[:n-1]
		m.slab[slot] = e
	} else {
		slot = int32(len(m.slab))
		m.slab = append(m.slab, e)
		m.links = append(m.links, slotLink{})
	}
	next := m.first
	if prev >= 0 {
		next = m.links[prev].next
		m.links[prev].next = slot
	} else {
		m.first = slot
	}
	if next >= 0 {
		m.links[next].prev = slot
	}
	m.links[slot] = slotLink{prev: prev, next: next}
	if prev >= 0 && m.links[prev].indexed && m.links[prev].key >= e.Start {
		// prev's key now lies past prev's successor: it names e instead.
		m.moveKey(prev, slot)
		m.boundRun(prev)
	} else {
		m.boundRun(slot)
	}
	m.hint = slot
}

// remove takes the entry starting at start out of the slab, the threading
// and the tree. Post: the index rule holds; the tree changes only when the
// entry was indexed, and then in place when the entry before it had no key
// (the key moves to it), by one Delete otherwise.
func (m *Map) remove(start uint64) {
	if slot, ok := m.slotOf(start); ok {
		m.removeSlot(slot)
	}
}

// removeSlot is remove of the entry in slot.
func (m *Map) removeSlot(slot int32) {
	l := m.links[slot]
	if l.indexed {
		if l.prev >= 0 && !m.links[l.prev].indexed {
			m.moveKey(slot, l.prev)
		} else {
			m.tree.Delete(mapKey{start: l.key})
		}
	}
	if l.prev >= 0 {
		m.links[l.prev].next = l.next
	} else {
		m.first = l.next
	}
	if l.next >= 0 {
		m.links[l.next].prev = l.prev
	}
	m.slab[slot] = Entry{}
	m.links[slot] = slotLink{prev: -1, next: -1}
	m.freeSlots = append(m.freeSlots, slot)
	if m.hint == slot {
		m.hint = l.prev
		if m.hint < 0 {
			m.hint = l.next
		}
	}
}

// index gives slot s a key at its own start. Pre: s is threaded and has no
// key, and so neither neighbour's key lies at s's start (index rule).
func (m *Map) index(s int32) {
	k := m.slab[s].Start
	m.tree.ReplaceOrInsert(mapKey{start: k, slot: s})
	m.links[s].key, m.links[s].indexed = k, true
}

// unindex drops slot s's key from the tree. The caller bounds the run s
// joins (boundRun).
func (m *Map) unindex(s int32) {
	m.tree.Delete(mapKey{start: m.links[s].key})
	m.links[s].indexed = false
}

// moveKey hands from's key to to, which has none, by replacing the key in
// place: the tree's nodes are not restructured. Pre: the key satisfies the
// index rule for to (to's start <= key < the start after to).
func (m *Map) moveKey(from, to int32) {
	k := m.links[from].key
	m.tree.ReplaceOrInsert(mapKey{start: k, slot: to})
	m.links[to].key, m.links[to].indexed = k, true
	m.links[from].indexed = false
}

// boundRun restores the run bound around slot s, which has no key: when
// the unindexed entries in a row around s number more than
// maxUnindexedRun, the middle one is indexed (again in each half, should a
// half still be too long).
func (m *Map) boundRun(s int32) {
	lo, n := s, 1
	for p := m.links[s].prev; p >= 0 && !m.links[p].indexed; p = m.links[p].prev {
		lo = p
		n++
	}
	for q := m.links[s].next; q >= 0 && !m.links[q].indexed; q = m.links[q].next {
		n++
	}
	m.splitRun(lo, n)
}

// splitRun indexes entries of the run of n unindexed entries starting at
// slot lo until no part of it is longer than maxUnindexedRun.
func (m *Map) splitRun(lo int32, n int) {
	for n > maxUnindexedRun {
		half := n / 2
		mid := lo
		for i := 0; i < half; i++ {
			mid = m.links[mid].next
		}
		m.index(mid)
		m.splitRun(lo, half)
		lo, n = m.links[mid].next, n-half-1
	}
}

// adoptEntries makes m, an empty map, a copy of src's entries in the same
// slots: slab, threading and free slots are copied, the tree is cloned
// copy-on-write and the free set copied. The caller then passes every
// entry's slot, in address order, to adoptSlot or dropSlot. Used by fork,
// which copies a whole map (vmspace_fork links entry by entry).
func (m *Map) adoptEntries(src *Map) {
	m.tree = src.tree.Clone()
	m.slab = append(m.slab[:0], src.slab...)
	m.links = append(m.links[:0], src.links...)
	m.freeSlots = append(m.freeSlots[:0], src.freeSlots...)
	m.first, m.hint = src.first, -1
	m.free = src.free.clone()
	m.NEntries, m.Size = 0, 0
}

// adoptSlot stores e in slot s of a map built by adoptEntries and counts it
// as link would. Pre: e has the range of the entry it replaces.
func (m *Map) adoptSlot(s int32, e Entry) {
	m.slab[s] = e
	m.NEntries++
	if !e.IsGuard() {
		m.Size += e.Size()
	}
	m.Timestamp++
}

// dropSlot takes the entry in slot s out of a map built by adoptEntries,
// as if it had never been linked: its range becomes free, no counter
// changes.
func (m *Map) dropSlot(s int32) {
	en := m.slab[s]
	m.removeSlot(s)
	m.free.add(en.Start, en.End)
}

// clear empties the map at once: every entry and free slot goes, the whole
// range [Min, Max) is free. The caller has released what the entries held.
// Used when an address space dies (vmspace_exit's vm_map_remove of
// everything).
func (m *Map) clear() {
	m.tree = btree.NewG[mapKey](32, lessKey)
	m.slab, m.links, m.freeSlots, m.scratch = nil, nil, nil, nil
	m.first, m.hint = -1, -1
	m.free = newFreeSet()
	m.free.add(m.Min, m.Max)
	m.NEntries, m.Size = 0, 0
	m.Timestamp++
}

// link inserts a new entry into free space. Mirrors vm_map_entry_link.
// Pre: [e.Start, e.End) is free.
func (m *Map) link(e Entry) {
	prev, ok := m.floorSlot(e.Start)
	if !ok {
		prev = -1
	}
	m.linkAfter(prev, &e)
}

// linkAfter is link for a caller that knows the entry e goes after: the
// one in slot prev (-1: e goes first). It returns e's slot, which is the
// hint. Pre: [e.Start, e.End) is free and e belongs right after prev.
func (m *Map) linkAfter(prev int32, e *Entry) int32 {
	at, _ := m.free.floorPath(e.Start)
	return m.linkAfterAt(prev, e, at)
}

// linkAfterAt is linkAfter for a caller that asked the free set whether
// e's range is free (freeSet.holding) and has not changed it since: at is
// where the free interval holding the range is on the recorded path.
func (m *Map) linkAfterAt(prev int32, e *Entry, at int) int32 {
	m.free.removeAt(at, e.Start, e.End)
	m.insertAfter(prev, *e)
	m.NEntries++
	if !e.IsGuard() {
		m.Size += e.Size()
	}
	m.Timestamp++
	return m.hint
}

// unlink removes the entry starting at e.Start and frees its range; the
// caller drops its object reference. Mirrors vm_map_entry_unlink.
func (m *Map) unlink(e Entry) {
	if slot, ok := m.slotOf(e.Start); ok {
		m.unlinkSlot(slot)
		return
	}
	m.free.add(e.Start, e.End) // the invariant checker reports the stale entry
	m.unlinked(e.Start, e.End, e.IsGuard())
}

// unlinkSlot is unlink of the entry in slot s.
func (m *Map) unlinkSlot(s int32) {
	// The free space around the entry reaches its neighbours (or the
	// map's ends).
	start, end, guard := m.slab[s].Start, m.slab[s].End, m.slab[s].IsGuard()
	lo, hi := m.Min, m.Max
	l := &m.links[s]
	if l.prev >= 0 {
		lo = m.slab[l.prev].End
	}
	if l.next >= 0 {
		hi = m.slab[l.next].Start
	}
	m.removeSlot(s)
	m.free.addBetween(lo, start, end, hi)
	m.unlinked(start, end, guard)
}

// unlinked counts the removal of the entry [start, end) that unlink did.
func (m *Map) unlinked(start, end uint64, guard bool) {
	m.NEntries--
	if !guard {
		m.Size -= end - start
	}
	if m.anonLoc == end {
		m.anonLoc = start
	}
	m.Timestamp++
}

// resize moves the end of entry e to newEnd (growing into free space or
// shrinking and freeing). Mirrors vm_map_entry_resize.
func (m *Map) resize(e Entry, newEnd uint64) Entry {
	m.resizeBy(&e, newEnd)
	m.put(e)
	return e
}

// resizeSlot is resize of the entry in slot s, in place; s becomes the hint.
func (m *Map) resizeSlot(s int32, newEnd uint64) {
	m.resizeBy(&m.slab[s], newEnd)
	m.hint = s
}

// resizeBy moves e.End to newEnd and accounts for it in the free set and
// the map's size; the caller stores e.
func (m *Map) resizeBy(e *Entry, newEnd uint64) {
	if newEnd > e.End {
		m.free.remove(e.End, newEnd)
		if !e.IsGuard() {
			m.Size += newEnd - e.End
		}
	} else {
		m.free.add(newEnd, e.End)
		if !e.IsGuard() {
			m.Size -= e.End - newEnd
		}
	}
	e.End = newEnd
	m.Timestamp++
}

// rekey moves entry e (keyed by oldStart) to its new e.Start, which keeps
// its place in address order; the caller keeps the free set right. Keys
// the move leaves outside the index rule (e's own, when e starts past it,
// or the previous entry's, when e now starts at or below it) are dropped
// and the runs bounded again.
func (m *Map) rekey(oldStart uint64, e Entry) {
	slot, _ := m.slotOf(oldStart)
	m.slab[slot] = e
	l := m.links[slot]
	if l.indexed && l.key < e.Start {
		m.unindex(slot)
		m.boundRun(slot)
	}
	if p := l.prev; p >= 0 && m.links[p].indexed && m.links[p].key >= e.Start {
		m.unindex(p)
		m.boundRun(p)
	}
	m.hint = slot
	m.Timestamp++
}

// Free returns the unmapped ranges in address order.
func (m *Map) Free() [][2]uint64 {
	var out [][2]uint64
	m.free.each(func(s, e uint64) { out = append(out, [2]uint64{s, e}) })
	return out
}

// IsFree reports whether [s, e) is wholly unmapped.
func (m *Map) IsFree(s, e uint64) bool { return s < e && m.free.contains(s, e) }

// FindSpace returns the lowest address >= start, aligned to align (a power
// of two, at least one page), with length free bytes ending at or below
// limit. Mirrors vm_map_findspace (and vm_map_alignspace's alignment).
func (m *Map) FindSpace(start, limit, length, align uint64) (uint64, bool) {
	if start < m.Min {
		start = m.Min
	}
	if limit > m.Max {
		limit = m.Max
	}
	return m.free.findLow(start, limit, length, align)
}

// FindSpaceTopDown returns the highest aligned address a with [a, a+length)
// free, low <= a and a+length <= high. Mirrors Linux unmapped_area_topdown.
func (m *Map) FindSpaceTopDown(low, high, length, align uint64) (uint64, bool) {
	if low < m.Min {
		low = m.Min
	}
	if high > m.Max {
		high = m.Max
	}
	return m.free.findHigh(low, high, length, align)
}
