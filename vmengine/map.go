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
// free ranges between them. Entries are stored by value in a B-tree keyed by
// Start; the free ranges are kept in an augmented treap so that placement is
// O(log n) (see freeSet).
//
// Invariants (checked by Check): entries are ordered and disjoint, each
// Start < End, all inside [Min, Max); the free set is exactly the complement;
// Size equals the sum of non-guard entry sizes and NEntries the entry count;
// no two neighbours that the merge rule would merge are left apart.
type Map struct {
	entries   *btree.BTreeG[Entry]
	free      freeSet
	Min, Max  uint64
	Size      uint64 // bytes in non-guard entries (map->size)
	NEntries  int
	Timestamp uint64 // bumped on every change (map->timestamp)
	Flags     MapFlags
	anonLoc   uint64 // anonymous-memory clustering cursor (map->anon_loc)
	linux     bool   // Linux VMA merge rules instead of FreeBSD's
	seedEra   bool   // the 2006 kernel: entries were merged only in some paths
}

func lessEntry(a, b Entry) bool { return a.Start < b.Start }

func newMap(min, max uint64, linux bool) Map {
	m := Map{
		entries: btree.NewG[Entry](32, lessEntry),
		free:    newFreeSet(),
		Min:     min, Max: max,
		linux: linux,
	}
	m.free.add(min, max)
	return m
}

// clone returns a copy of m that shares nothing mutable with it.
func (m *Map) clone() Map {
	c := *m
	c.entries = m.entries.Clone()
	c.free = m.free.clone()
	return c
}

// Lookup returns the entry containing addr. Mirrors vm_map_lookup_entry
// when it returns TRUE.
func (m *Map) Lookup(addr uint64) (Entry, bool) {
	var out Entry
	found := false
	m.entries.DescendLessOrEqual(Entry{Start: addr}, func(e Entry) bool {
		if addr < e.End {
			out, found = e, true
		}
		return false
	})
	return out, found
}

// floor returns the entry with the greatest Start <= addr (the entry that
// contains addr, or the one before the hole addr is in).
func (m *Map) floor(addr uint64) (Entry, bool) {
	var out Entry
	found := false
	m.entries.DescendLessOrEqual(Entry{Start: addr}, func(e Entry) bool {
		out, found = e, true
		return false
	})
	return out, found
}

// prev returns the entry just below the one starting at start.
func (m *Map) prev(start uint64) (Entry, bool) {
	if start == 0 {
		return Entry{}, false
	}
	return m.floor(start - 1)
}

// next returns the first entry with Start >= addr.
func (m *Map) next(addr uint64) (Entry, bool) {
	var out Entry
	found := false
	m.entries.AscendGreaterOrEqual(Entry{Start: addr}, func(e Entry) bool {
		out, found = e, true
		return false
	})
	return out, found
}

// Entries returns every entry in address order.
func (m *Map) Entries() []Entry {
	out := make([]Entry, 0, m.NEntries)
	m.entries.Ascend(func(e Entry) bool { out = append(out, e); return true })
	return out
}

// Range calls fn for each entry that intersects [start, end), in order,
// until fn returns false. fn must not modify the map.
func (m *Map) Range(start, end uint64, fn func(Entry) bool) {
	if e, ok := m.floor(start); ok && e.End > start && e.Start < start {
		if !fn(e) {
			return
		}
	}
	m.entries.AscendRange(Entry{Start: start}, Entry{Start: end}, fn)
}

// entriesIn returns the entries intersecting [start, end) in order.
func (m *Map) entriesIn(start, end uint64) []Entry {
	var out []Entry
	m.Range(start, end, func(e Entry) bool { out = append(out, e); return true })
	return out
}

// put stores e, replacing the entry with the same Start.
func (m *Map) put(e Entry) { m.entries.ReplaceOrInsert(e) }

// link inserts a new entry into free space. Mirrors vm_map_entry_link.
// Pre: [e.Start, e.End) is free.
func (m *Map) link(e Entry) {
	m.free.remove(e.Start, e.End)
	m.entries.ReplaceOrInsert(e)
	m.NEntries++
	if !e.IsGuard() {
		m.Size += e.Size()
	}
	m.Timestamp++
}

// unlink removes the entry starting at e.Start and frees its range; the
// caller drops its object reference. Mirrors vm_map_entry_unlink.
func (m *Map) unlink(e Entry) {
	m.entries.Delete(e)
	m.free.add(e.Start, e.End)
	m.NEntries--
	if !e.IsGuard() {
		m.Size -= e.Size()
	}
	if m.anonLoc == e.End {
		m.anonLoc = e.Start
	}
	m.Timestamp++
}

// resize moves the end of entry e to newEnd (growing into free space or
// shrinking and freeing). Mirrors vm_map_entry_resize.
func (m *Map) resize(e Entry, newEnd uint64) Entry {
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
	m.put(e)
	m.Timestamp++
	return e
}

// moveStart moves the start of guard entry e up to newStart, freeing the
// range below. Used when a stack grows up into its gap.
func (m *Map) moveStart(e Entry, newStart uint64) Entry {
	m.entries.Delete(e)
	m.free.add(e.Start, newStart)
	e.Start = newStart
	m.entries.ReplaceOrInsert(e)
	m.Timestamp++
	return e
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
