package vmengine

import "vmscope/pmap"

// Linux finds a private anonymous page through the page table of the VMA
// that maps it; its anon_vma and pgoff only serve reverse mapping. VMAs may
// therefore come to use the same pgoffs of one anon_vma (mremap keeps a
// moved VMA's pgoffs, MREMAP_DONTUNMAP leaves an empty source that can take
// the anon_vma back) and, after fork, parent and child share the pages of
// pgoffs that only one of them still maps. The engine finds pages by object
// and page index, through shadow chains, so this file keeps one rule: when
// an entry comes to use a pgoff range of an object, nothing there may be
// another entry's (evictAliases). Objects split off for that rule remember
// the anon_vma they stand for (Object.AnonVMA), so such entries still merge
// as Linux merges them (Vmspace.pagesJoinable).

// evictAliases prepares the private anonymous object id to take the pgoff
// range [lo, hi) (bytes) of one more entry of vs, an entry that has no pages
// there, and returns the object that entry must use: id, or a copy of id
// that is vs's alone. The entries of vs starting at skip are the joining
// entry and the one whose object it takes. After it, neither id's pages nor
// those of an anonymous object below it show at those indexes:
//   - other entries of vs that map id there move their pages to an object of
//     their own (movePages), together with the entries next to them that
//     continue them (adjacent, id at contiguous pgoff: the pieces of one VMA,
//     which must stay mergeable with each other); they keep their frames and
//     PTEs;
//   - when the pages in the way are also reachable from elsewhere (an
//     anonymous object below id, a shadow of id, another address space's
//     entry: the copy-on-write sharing a fork leaves), vs's entries of id
//     first get an object of their own (privateChain);
//   - pages nobody can reach any more (their last mapping went, as when a
//     fork child exits) are freed, as Linux freed them with their last PTE.
//
// Mirrors, for the engine's objects, what vm_object_coalesce's
// vm_object_page_remove does for FreeBSD's. Checked by checkAnonAliases
// and checkPmap.
func (vs *Vmspace) evictAliases(id ObjID, lo, hi uint64, skip ...uint64) ObjID {
	e := vs.eng
	if id == 0 || e.objects[id].Type != ObjAnon || lo >= hi {
		return id
	}
	first, last := e.atop(lo), e.atop(hi)
	o := e.objects[id]
	own, below, shared := vs.reachIn(o, lo, hi)
	var runs [][]Entry
	if o.Moved || own {
		runs = vs.aliasRuns(id, lo, hi, skip)
	}
	if !own && !below && !shared && runs == nil {
		return id
	}
	for _, r := range runs {
		for _, x := range r {
			_, _, s := vs.reachIn(o, x.Offset, x.Offset+x.Size())
			shared = shared || s // the pages that move out must be vs's alone
		}
	}
	if below || shared {
		id = vs.privateChain(id)
		o = e.objects[id]
		runs = vs.aliasRuns(id, lo, hi, skip)
	}
	for _, r := range runs {
		to := ObjID(0)
		for _, x := range r {
			first, last := e.atop(x.Offset), e.atop(x.Offset+x.Size())
			if to == 0 {
				to = e.movePages(id, first, last)
			} else {
				e.movePagesInto(to, id, first, last)
				e.reference(to)
			}
			e.deallocate(id)
			x.Object = to
			vs.Map.put(x)
		}
	}
	e.freePagesIn(o, first, last)
	return id
}

// aliasRuns returns the runs of entries of vs (not those starting at skip)
// that map the private object id within the pgoff range [lo, hi), each run
// with the entries that continue it. Only a moved object can have such
// entries (elsewhere an anonymous pgoff is the address it was created at)
// or one with pages in the way.
func (vs *Vmspace) aliasRuns(id ObjID, lo, hi uint64, skip []uint64) [][]Entry {
	if vs.eng.objects[id].Ref <= 1 {
		return nil // the joining entry's, or its neighbour's, alone
	}
	skipped := func(x Entry) bool {
		for _, s := range skip {
			if x.Start == s {
				return true
			}
		}
		return false
	}
	var runs [][]Entry
	var run []Entry
	hit := false
	flush := func() {
		if hit {
			runs = append(runs, run)
		}
		run, hit = nil, false
	}
	vs.Map.Ascend(func(x Entry) bool {
		if x.Object != id || x.LFlags&LinuxMayShare != 0 || skipped(x) {
			flush()
			return true
		}
		if n := len(run); n > 0 && (run[n-1].End != x.Start || run[n-1].Offset+run[n-1].Size() != x.Offset) {
			flush()
		}
		run = append(run, x)
		hit = hit || x.Offset < hi && lo < x.Offset+x.Size()
		return true
	})
	flush()
	return runs
}

// reachIn reports, for pgoff [lo, hi) of the private anonymous object o,
// whether o holds pages there (own), whether an anonymous object below o
// does where o's lookups arrive (below), and whether anything outside vs
// reaches o there (shared): a shadow of o, to o's pages, or another address
// space's entry of o over those pgoffs.
func (vs *Vmspace) reachIn(o *Object, lo, hi uint64) (own, below, shared bool) {
	e := vs.eng
	own, below = e.chainPagesIn(o, e.atop(lo), e.atop(hi))
	return own, below, own && len(o.Shadows) > 0 || e.mappedOutside(vs, o.ID, lo, hi)
}

// ownPagesIn returns the object through which vs's entries of the private
// anonymous object id may take the pages of pgoff [lo, hi) away from it:
// id when there are none or nothing there is reachable from outside vs,
// else a copy of the chain that is vs's (privateChain).
func (vs *Vmspace) ownPagesIn(id ObjID, lo, hi uint64) ObjID {
	if own, below, shared := vs.reachIn(vs.eng.objects[id], lo, hi); below || own && shared {
		return vs.privateChain(id)
	}
	return id
}

// mappedOutside reports whether an entry of another address space maps
// object id within the pgoff range [lo, hi).
func (e *Engine) mappedOutside(vs *Vmspace, id ObjID, lo, hi uint64) bool {
	if e.objects[id].Ref <= 1 || len(e.spaces) <= 1 {
		return false
	}
	for other := range e.spaces {
		if other != vs && other.mapsObjectIn(id, lo, hi, Entry{}) {
			return true
		}
	}
	return false
}

// mapsObjectIn reports whether an entry of vs other than except maps
// object id within the pgoff range [lo, hi).
func (vs *Vmspace) mapsObjectIn(id ObjID, lo, hi uint64, except Entry) bool {
	hit := false
	vs.Map.Ascend(func(en Entry) bool {
		if en.Object == id && en != except && en.Offset < hi && lo < en.Offset+en.Size() {
			hit = true
			return false
		}
		return true
	})
	return hit
}

// indexInUse reports whether any entry other than except (in any address
// space) maps object id within the pgoff range [lo, hi).
func (e *Engine) indexInUse(id ObjID, lo, hi uint64, except Entry) bool {
	for vs := range e.spaces {
		if vs.mapsObjectIn(id, lo, hi, except) {
			return true
		}
	}
	return false
}

// chainPagesIn reports whether object o holds a page with index in
// [first, last), and whether an anonymous object below it in its shadow
// chain holds one where o's lookups of those indexes arrive.
func (e *Engine) chainPagesIn(o *Object, first, last uint64) (own, below bool) {
	own = o.hasPageIn(first, last)
	for c := o; c.Backing != 0; {
		off := e.atop(c.BackingOffset)
		first, last = first+off, last+off
		c = e.objects[c.Backing]
		if c.Type != ObjAnon {
			break
		}
		if c.hasPageIn(first, last) {
			return own, true
		}
	}
	return own, false
}

// hasPageIn reports whether o holds a page with index in [first, last),
// in time proportional to the smaller of the two.
func (o *Object) hasPageIn(first, last uint64) bool {
	if uint64(len(o.Pages)) < last-first {
		for idx := range o.Pages {
			if idx >= first && idx < last {
				return true
			}
		}
		return false
	}
	for idx := first; idx < last; idx++ {
		if _, ok := o.Pages[idx]; ok {
			return true
		}
	}
	return false
}

// freePagesIn frees o's pages with index in [first, last).
func (e *Engine) freePagesIn(o *Object, first, last uint64) {
	for _, idx := range o.PageIndexes() {
		if idx >= first && idx < last {
			e.freePage(o, idx, o.Pages[idx])
		}
	}
}

// privateChain gives the entries of vs that map the private anonymous
// object id a new object of their own, with a copy of every anonymous page
// they reach through id's shadow chain (a file at the bottom of the chain
// stays the new object's backing), and points vs's PTEs of those pages at
// the copies; everything else that maps id or its chain keeps the
// originals. Returns the new object. Pre: an entry of vs maps id. Linux
// shares such pages copy-on-write between fork's processes and never needs
// this; the engine does where their pgoffs come to mean different pages to
// the two sides (evictAliases).
func (vs *Vmspace) privateChain(id ObjID) ObjID {
	e := vs.eng
	o := e.objects[id]
	var mine []Entry
	vs.Map.Ascend(func(x Entry) bool {
		if x.Object == id {
			mine = append(mine, x)
		}
		return true
	})
	covered := func(idx uint64) bool {
		for _, x := range mine {
			if idx >= e.atop(x.Offset) && idx < e.atop(x.Offset+x.Size()) {
				return true
			}
		}
		return false
	}
	n := e.allocAnon(o.Size)
	n.Moved, n.AnonVMA, n.Charged = true, o.anonVMA(), o.Charged
	copied := map[uint64]pmap.FrameID{} // page index → the frame it copies
	off := uint64(0)                    // index offset of c below o
	for c := o; ; {
		for _, ci := range c.PageIndexes() {
			if ci < off {
				continue
			}
			idx := ci - off
			if _, done := copied[idx]; done || !covered(idx) {
				continue
			}
			f := c.Pages[ci]
			copied[idx] = f
			n.Pages[idx] = e.phys.Alloc(uint64(n.ID), idx, e.phys.Value(f))
		}
		if c.Backing == 0 {
			break
		}
		off += e.atop(c.BackingOffset)
		b := e.objects[c.Backing]
		if b.Type != ObjAnon {
			n.Backing, n.BackingOffset = b.ID, off<<e.pageShift
			b.Shadows = append(b.Shadows, n.ID)
			b.Ref++
			break
		}
		c = b
	}
	for _, x := range mine {
		var moved []pmap.PTE
		vs.Pmap.Range(e.atop(x.Start), e.atop(x.End), func(pt pmap.PTE) bool {
			idx := pt.VPN - e.atop(x.Start) + e.atop(x.Offset)
			if f, ok := copied[idx]; ok && pt.Frame == f {
				pt.Frame = n.Pages[idx]
				moved = append(moved, pt)
			}
			return true
		})
		for _, pt := range moved {
			vs.Pmap.Enter(pt)
		}
		x.Object = n.ID
		vs.Map.put(x)
	}
	n.Ref = len(mine)
	for range mine {
		e.deallocate(id)
	}
	return n.ID
}

// movePages moves the pages of object id with index in [lo, hi) into a
// new object over the same backing and returns it (one reference).
func (e *Engine) movePages(id ObjID, lo, hi uint64) ObjID {
	o := e.objects[id]
	n := e.allocAnon(o.Size)
	n.Moved = true // its pages keep their indexes at other addresses
	n.AnonVMA = o.anonVMA()
	if o.Backing != 0 {
		n.Backing, n.BackingOffset = o.Backing, o.BackingOffset
		b := e.objects[o.Backing]
		b.Shadows = append(b.Shadows, n.ID)
		b.Ref++
	}
	e.movePagesInto(n.ID, id, lo, hi)
	return n.ID
}

// movePagesInto moves the pages of object src with index in [lo, hi) to
// object dst, which has none there.
func (e *Engine) movePagesInto(dst, src ObjID, lo, hi uint64) {
	o, n := e.objects[src], e.objects[dst]
	for _, idx := range o.PageIndexes() {
		if idx >= lo && idx < hi {
			f := o.Pages[idx]
			delete(o.Pages, idx)
			n.Pages[idx] = f
			e.phys.SetOwner(f, uint64(n.ID), idx)
		}
	}
}
