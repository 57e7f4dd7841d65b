package vmengine

import (
	"fmt"
	"sort"

	"vmscope/pmap"
)

// Check re-derives every cached fact of the engine and compares: entry
// order, disjointness and alignment; the free set as the exact complement
// of the entries (and its max-gap augmentation); Size and NEntries against a
// recount; no neighbours left that the merge rule would merge (FreeBSD);
// object reference counts against the references that exist; shadow lists
// against backing pointers; chains acyclic; pages owned by who holds them;
// every PTE inside an entry, within its protection and mapping a page of the
// entry's chain; wired and mapping counts. It returns the first violation.
// Mirrors _vm_map_assert_consistent and gVisor's checkInvariants.
func (e *Engine) Check() error {
	refs := make(map[ObjID]int)
	var pms []*pmap.Pmap
	for vs := range e.spaces {
		if err := vs.checkMap(refs); err != nil {
			return err
		}
		pms = append(pms, vs.Pmap)
	}
	for id, o := range e.objects {
		if o.ID != id {
			return fmt.Errorf("object %d filed under %d", o.ID, id)
		}
		if o.Backing != 0 {
			b := e.objects[o.Backing]
			if b == nil {
				return fmt.Errorf("object %d backed by dead object %d", id, o.Backing)
			}
			refs[o.Backing]++
			if !containsID(b.Shadows, id) {
				return fmt.Errorf("object %d missing from backing %d's shadow list", id, o.Backing)
			}
		}
		for _, s := range o.Shadows {
			if so := e.objects[s]; so == nil || so.Backing != id {
				return fmt.Errorf("object %d lists %d as shadow but it is not backed by it", id, s)
			}
		}
		depth := 0
		for b := o.Backing; b != 0; b = e.objects[b].Backing {
			if depth++; depth > len(e.objects) {
				return fmt.Errorf("shadow chain of object %d has a cycle", id)
			}
		}
		for idx, f := range o.Pages {
			fr, ok := e.phys.Frame(f)
			if !ok {
				return fmt.Errorf("object %d page %d holds freed frame %d", id, idx, f)
			}
			if fr.Object != uint64(id) || fr.Index != idx {
				return fmt.Errorf("frame %d owned by %d/%d but held by object %d page %d", f, fr.Object, fr.Index, id, idx)
			}
		}
	}
	for id, o := range e.objects {
		if refs[id] != o.Ref {
			return fmt.Errorf("object %d: ref_count %d, recount %d", id, o.Ref, refs[id])
		}
	}
	for id := range refs {
		if e.objects[id] == nil {
			return fmt.Errorf("an entry references dead object %d", id)
		}
	}
	owned := 0
	for _, o := range e.objects {
		owned += len(o.Pages)
	}
	if e.zero != 0 {
		owned++ // the zero page belongs to no object
	}
	if owned != e.phys.Len() {
		return fmt.Errorf("%d frames allocated but %d owned by objects", e.phys.Len(), owned)
	}
	for _, pm := range pms {
		if err := pm.Check(); err != nil {
			return err
		}
	}
	return e.phys.CheckMapCounts(pms)
}

func containsID(s []ObjID, id ObjID) bool {
	for _, x := range s {
		if x == id {
			return true
		}
	}
	return false
}

func (vs *Vmspace) checkMap(refs map[ObjID]int) error {
	e := vs.eng
	m := &vs.Map
	var size uint64
	n := 0
	var prev Entry
	hasPrev := false
	var err error
	cursor := m.Min
	frees := m.Free()
	fi := 0
	checkGap := func(s, t uint64) error {
		if s == t {
			return nil
		}
		if fi >= len(frees) || frees[fi] != [2]uint64{s, t} {
			got := "nothing"
			if fi < len(frees) {
				got = fmt.Sprintf("[%#x-%#x)", frees[fi][0], frees[fi][1])
			}
			return fmt.Errorf("free set: want gap [%#x-%#x), have %s", s, t, got)
		}
		fi++
		return nil
	}
	m.Ascend(func(en Entry) bool {
		switch {
		case en.Start >= en.End:
			err = fmt.Errorf("entry %v: start >= end", en)
		case en.Start&e.pageMask != 0 || en.End&e.pageMask != 0:
			err = fmt.Errorf("entry %v not page aligned", en)
		case en.Start < m.Min || en.End > m.Max:
			err = fmt.Errorf("entry %v outside map [%#x-%#x)", en, m.Min, m.Max)
		case hasPrev && prev.End > en.Start:
			err = fmt.Errorf("entries overlap: %v and %v", prev, en)
		case hasPrev && !m.linux && !m.seedEra && !m.unmerged && m.mergeable(&prev, &en):
			err = fmt.Errorf("mergeable neighbours left apart: %v and %v", prev, en)
		case en.Object != 0 && e.objects[en.Object] == nil:
			err = fmt.Errorf("entry %v references dead object", en)
		case !en.Prot.Subset(en.MaxProt):
			err = fmt.Errorf("entry %v: protection exceeds max", en)
		case (en.Wired != 0) != (en.Flags&EntryUserWired != 0):
			err = fmt.Errorf("entry %v: wired count and USER_WIRED disagree", en)
		}
		if err != nil {
			return false
		}
		if err = checkGap(cursor, en.Start); err != nil {
			return false
		}
		cursor = en.End
		if en.Object != 0 {
			refs[en.Object]++
		}
		if !en.IsGuard() {
			size += en.Size()
		}
		n++
		prev, hasPrev = en, true
		return true
	})
	if err != nil {
		return err
	}
	if err := checkGap(cursor, m.Max); err != nil {
		return err
	}
	if m.linux {
		if err := vs.checkAnonAliases(); err != nil {
			return err
		}
	}
	if fi != len(frees) {
		return fmt.Errorf("free set has %d extra intervals", len(frees)-fi)
	}
	if err := m.checkIndex(); err != nil {
		return err
	}
	if bad := m.free.checkAug(); bad != "" {
		return fmt.Errorf("free set: %s broken", bad)
	}
	if size != m.Size {
		return fmt.Errorf("map size %#x, recount %#x", m.Size, size)
	}
	if n != m.NEntries {
		return fmt.Errorf("map nentries %d, recount %d", m.NEntries, n)
	}
	// pmap ⊆ map: every PTE lies in an entry, within its protection, and
	// maps a page of that entry's chain at the right index.
	vs.Pmap.Range(0, ^uint64(0), func(p pmap.PTE) bool {
		va := e.ptoa(p.VPN)
		en, ok := m.Lookup(va)
		if !ok {
			err = fmt.Errorf("PTE for %#x outside every entry", va)
			return false
		}
		allowed := pmap.Prot(en.Prot)
		if m.linux && en.Prot&ProtWrite != 0 {
			allowed |= pmap.ProtRead
		}
		if p.Prot&^allowed != 0 {
			err = fmt.Errorf("PTE for %#x has prot %d beyond entry %v", va, p.Prot, en)
			return false
		}
		if (p.Wired) != (en.Wired != 0) && p.Wired {
			err = fmt.Errorf("PTE for %#x wired in unwired entry %v", va, en)
			return false
		}
		if p.Frame == e.zero && e.zero != 0 {
			// The zero page stands for a page no object holds yet.
			if en.Object != 0 {
				if _, _, _, found := e.findPage(e.objects[en.Object], e.atop(va-en.Start+en.Offset)); found {
					err = fmt.Errorf("PTE for %#x maps the zero page over a real page", va)
				}
			}
			if p.Prot&pmap.ProtWrite != 0 {
				err = fmt.Errorf("PTE for %#x maps the zero page writable", va)
			}
			return err == nil
		}
		if en.Object == 0 {
			err = fmt.Errorf("PTE for %#x in entry %v without object", va, en)
			return false
		}
		// The PTE must map the page the chain resolves to first: a stale
		// mapping of a page that a shadow now hides would read old data.
		holder, idx, f, found := e.findPage(e.objects[en.Object], e.atop(va-en.Start+en.Offset))
		if !found || f != p.Frame {
			fr, _ := e.phys.Frame(p.Frame)
			err = fmt.Errorf("PTE for %#x maps frame %d (object %d page %d) but entry %v resolves to object %d page %d (found %v)",
				va, p.Frame, fr.Object, fr.Index, en, holder.ID, idx, found)
			return false
		}
		// A write must fault where a copy is due: copy-on-write pending on
		// the entry, or the page found below the entry's own object.
		if p.Prot&pmap.ProtWrite != 0 && (en.Flags&EntryNeedsCopy != 0 || holder.ID != en.Object) {
			err = fmt.Errorf("PTE for %#x is writable but entry %v must copy on write (page in object %d)", va, en, holder.ID)
		}
		return err == nil
	})
	return err
}

// checkAnonAliases checks that no two private entries of a Linux map use
// one anonymous object at the same page index: the engine finds a private
// page by object and index, so two VMAs there would see each other's pages
// (Linux, which finds them through page tables, lets them share the
// anon_vma; the engine gives one of them an object of its own).
func (vs *Vmspace) checkAnonAliases() error {
	type use struct {
		obj      ObjID
		off, end uint64
		start    uint64
	}
	var uses []use
	vs.Map.Ascend(func(en Entry) bool {
		if en.Object != 0 && en.LFlags&LinuxMayShare == 0 && vs.eng.objects[en.Object].Type == ObjAnon {
			uses = append(uses, use{en.Object, en.Offset, en.Offset + en.Size(), en.Start})
		}
		return true
	})
	sort.Slice(uses, func(i, j int) bool {
		if uses[i].obj != uses[j].obj {
			return uses[i].obj < uses[j].obj
		}
		return uses[i].off < uses[j].off
	})
	for i := 1; i < len(uses); i++ {
		if a, b := uses[i-1], uses[i]; a.obj == b.obj && b.off < a.end {
			return fmt.Errorf("entries at %#x and %#x both map object %d at pgoff %#x", a.start, b.start, a.obj, b.off)
		}
	}
	return nil
}

// checkIndex checks the map's structure against itself: the threading is
// a consistent doubly linked list of exactly NEntries live slots, every
// other slot is free and listed once in freeSlots; the tree holds exactly
// one key per slot marked indexed, in threading order, each within the
// index rule (its slot's start <= key < the next entry's start); and no
// more than maxUnindexedRun entries in a row lack a key.
func (m *Map) checkIndex() error {
	var keys []mapKey
	m.tree.Ascend(func(k mapKey) bool {
		keys = append(keys, k)
		return true
	})
	threaded := make([]bool, len(m.slab))
	ki, run, n := 0, 0, 0
	prevSlot := int32(-1)
	for sl := m.first; sl >= 0; sl = m.links[sl].next {
		if int(sl) >= len(m.slab) || threaded[sl] {
			return fmt.Errorf("entry threading revisits or leaves the slab at slot %d", sl)
		}
		threaded[sl] = true
		l := m.links[sl]
		if l.prev != prevSlot {
			return fmt.Errorf("slot %d: prev link %d, threading came from %d", sl, l.prev, prevSlot)
		}
		if m.slab[sl].End == 0 {
			return fmt.Errorf("slot %d is threaded but free", sl)
		}
		if l.indexed {
			if ki >= len(keys) || keys[ki].slot != sl || keys[ki].start != l.key {
				return fmt.Errorf("slot %d holding %v is indexed at %#x, but the tree's key %d is not that", sl, m.slab[sl], l.key, ki)
			}
			if l.key < m.slab[sl].Start || l.next >= 0 && l.key >= m.slab[l.next].Start {
				return fmt.Errorf("slot %d holding %v has key %#x outside the index rule", sl, m.slab[sl], l.key)
			}
			ki++
			run = 0
		} else if run++; run > maxUnindexedRun {
			return fmt.Errorf("more than %d entries in a row without a key, up to slot %d holding %v", maxUnindexedRun, sl, m.slab[sl])
		}
		prevSlot = sl
		n++
	}
	if ki != len(keys) {
		return fmt.Errorf("the tree has %d keys, the threading indexes %d", len(keys), ki)
	}
	if n != m.NEntries {
		return fmt.Errorf("entry threading lists %d entries, nentries is %d", n, m.NEntries)
	}
	listed := make([]bool, len(m.slab))
	for _, sl := range m.freeSlots {
		if sl < 0 || int(sl) >= len(m.slab) || threaded[sl] || listed[sl] || m.slab[sl].End != 0 || m.links[sl].indexed {
			return fmt.Errorf("free slot %d is in use, listed twice or indexed", sl)
		}
		listed[sl] = true
	}
	if n+len(m.freeSlots) != len(m.slab) {
		return fmt.Errorf("%d slots threaded and %d free, but the slab has %d", n, len(m.freeSlots), len(m.slab))
	}
	if h := int(m.hint); h >= len(m.slab) || h >= 0 && !threaded[h] {
		return fmt.Errorf("hint names slot %d, which holds no entry", h)
	}
	return nil
}
