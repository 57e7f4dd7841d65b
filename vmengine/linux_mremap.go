package vmengine

// mremap for the Linux personality (mm/mremap.c). Anonymous memory is
// indexed by pgoff, so moving a VMA is relinking it with the same object and
// pgoff at the new address: its pages come along, as Linux's page tables do.

const (
	mremapMayMove   = 1
	mremapFixed     = 2
	mremapDontUnmap = 4
)

// mremap mirrors the mremap system call as Linux 6.17+ orders it:
// check_mremap_params (flags, alignment, the new range), the source VMA
// (vma_lookup: EFAULT), check_prep_vma when the call maps anything new
// (old_len 0 of a private mapping, a range past the VMA's end, growth
// limits) — all before anything changes — then mremap_to (FIXED,
// DONTUNMAP) or mremap_at (shrink in place, grow in place, or MAYMOVE).
func (lx linux) mremap(e *Engine, p *Process, addr, oldLen, newLen, flags, newAddr uint64) (Result, bool) {
	vs := p.VS
	if flags&^uint64(mremapMayMove|mremapFixed|mremapDontUnmap) != 0 {
		return failWhy("EINVAL", "unknown mremap flags (check_mremap_params)")
	}
	if addr&e.pageMask != 0 {
		return failWhy("EINVAL", "the old address is not page aligned (check_mremap_params)")
	}
	oldLen = (oldLen + e.pageMask) &^ e.pageMask
	newLen = (newLen + e.pageMask) &^ e.pageMask
	if newLen == 0 {
		return failWhy("EINVAL", "the new length is zero (check_mremap_params)")
	}
	if newLen > vs.Map.Max {
		return failWhy("EINVAL", "the new length is larger than TASK_SIZE (check_mremap_params)")
	}
	impliesNew := flags&(mremapFixed|mremapDontUnmap) != 0
	if impliesNew {
		if newLen > vs.Map.Max || newAddr > vs.Map.Max-newLen {
			return failWhy("EINVAL", "the new range passes TASK_SIZE (check_mremap_params)")
		}
		if newAddr&e.pageMask != 0 {
			return failWhy("EINVAL", "the new address is not page aligned (check_mremap_params)")
		}
		if flags&mremapMayMove == 0 {
			return failWhy("EINVAL", "MREMAP_FIXED and MREMAP_DONTUNMAP need MREMAP_MAYMOVE (check_mremap_params)")
		}
		if flags&mremapDontUnmap != 0 && oldLen != newLen {
			return failWhy("EINVAL", "MREMAP_DONTUNMAP cannot resize (check_mremap_params)")
		}
		if addr < newAddr+newLen && newAddr < addr+oldLen {
			return failWhy("EINVAL", "the old and new ranges overlap (check_mremap_params)")
		}
		if e.cfg.MaxMapEntries > 0 && vs.Map.NEntries+2 >= e.cfg.MaxMapEntries-3 {
			return failWhy("ENOMEM", "too close to vm.max_map_count (check_mremap_params)")
		}
	}
	vma, found := vs.Map.Lookup(addr)
	if !found {
		return failWhy("EFAULT", "no mapping at the old address (vma_lookup)")
	}
	if flags&mremapFixed != 0 && oldLen == newLen && oldLen > vma.End-addr {
		// vrm_move_only: a move without resizing may take several VMAs.
		return vs.remapMove(addr, oldLen, newAddr, flags)
	}
	if newLen > oldLen || impliesNew {
		if errno, why := vs.remapValid(vma, addr, oldLen, newLen, flags); errno != "" {
			return failWhy(errno, why)
		}
	}
	if impliesNew {
		return vs.mremapTo(addr, oldLen, newLen, newAddr, flags)
	}
	if oldLen >= newLen && oldLen != 0 {
		if oldLen > newLen {
			if errno := vs.linuxUnmap(addr+newLen, addr+oldLen); errno != "" {
				return failWhy(errno, "shrinking would split a special mapping (do_vmi_munmap)")
			}
		}
		return ok(addr)
	}
	// Grow in place when the old range ends the VMA and the space after it
	// is free (vma_expandable).
	if oldLen == vma.End-addr && oldLen != 0 {
		delta := newLen - oldLen
		// vma_expandable: only the pages after the VMA must be free (a
		// MAP_FIXED placement ignores stack guard gaps).
		if vma.End+delta <= vs.Map.Max && vma.End+delta > vma.End && vs.Map.IsFree(vma.End, vma.End+delta) {
			if vma.LFlags&LinuxMayShare == 0 {
				// The grown pgoffs join the object.
				vma.Object = vs.evictAliases(vma.Object, vma.Offset+vma.Size(), vma.Offset+vma.Size()+delta, vma.Start)
			}
			en := vs.Map.resize(vma, vma.End+delta)
			if en.LFlags&LinuxLocked != 0 {
				vs.LockedVM += delta
				vs.linuxPopulate(en.End-delta, en.End, en.LFlags&LinuxLockOnFault == 0)
			}
			vs.mergeWithNext(en)
			return ok(addr)
		}
	}
	if flags&mremapMayMove == 0 {
		return failWhy("ENOMEM", "the mapping cannot grow in place and MREMAP_MAYMOVE was not given (mremap_at)")
	}
	dst, errno := vs.remapTarget(vma, addr, 0, newLen)
	if errno != "" {
		return failWhy(errno, "no room for the moved mapping (get_unmapped_area)")
	}
	return vs.moveVMA(addr, oldLen, newLen, dst, flags, nil)
}

// remapMove moves every VMA of [addr, addr+length) to newAddr, keeping
// the gaps between them (Linux 6.17+ remap_move): each piece is checked
// first (check_prep_vma), then the destination is unmapped and the pieces
// moved one by one.
func (vs *Vmspace) remapMove(addr, length, newAddr, flags uint64) (Result, bool) {
	pieces := vs.Map.entriesIn(addr, addr+length)
	for _, en := range pieces {
		s, t := max(en.Start, addr), min(en.End, addr+length)
		if errno, why := vs.remapValid(en, s, t-s, t-s, flags); errno != "" {
			return failWhy(errno, why)
		}
	}
	into := map[ObjID]ObjID{} // the objects the pieces' pages move to
	for _, en := range pieces {
		// Each piece is its own mremap_to: only where it lands is the
		// destination unmapped.
		s, t := max(en.Start, addr), min(en.End, addr+length)
		dst := newAddr + (s - addr)
		if errno := vs.linuxUnmap(dst, dst+t-s); errno != "" {
			return failWhy(errno, "the destination would split a special mapping (mremap_to)")
		}
		if r, _ := vs.moveVMA(s, t-s, t-s, dst, flags, into); r.Failed() {
			return r, true
		}
	}
	return ok(newAddr)
}

// remapTarget chooses where a moving mremap puts the mapping (hint: a
// new_addr given with MREMAP_DONTUNMAP, used when free).
func (vs *Vmspace) remapTarget(vma Entry, addr, hint, newLen uint64) (uint64, Errno) {
	e := vs.eng
	mflags := uint64(lxMapPrivate)
	if vma.LFlags&LinuxMayShare != 0 {
		mflags = lxMapShared
	}
	pgoff := (vma.Offset + addr - vma.Start) >> e.pageShift
	f := e.entryFile(vma) // private /dev/zero VMAs are anonymous: no file
	return vs.linuxUnmappedArea(hint, newLen, mflags, f != nil && linuxTHPFile(f, mflags), pgoff)
}

// remapValid mirrors check_prep_vma for a remap that maps something new.
func (vs *Vmspace) remapValid(vma Entry, addr, oldLen, newLen, flags uint64) (Errno, string) {
	if oldLen == 0 && vma.LFlags&(LinuxShared|LinuxMayShare) == 0 {
		return "EINVAL", "old_len 0 duplicates only shared mappings (check_prep_vma)"
	}
	if flags&mremapDontUnmap != 0 && vma.LFlags&(LinuxDontExpand|LinuxIO) != 0 {
		return "EINVAL", "MREMAP_DONTUNMAP of a VM_DONTEXPAND or VM_PFNMAP mapping (check_prep_vma)"
	}
	kept := oldLen
	if newLen < oldLen {
		kept = newLen // a shrink may cross boundaries: the rest is only unmapped
	}
	if kept > vma.End-addr {
		return "EFAULT", "the old range crosses the end of its mapping (check_prep_vma)"
	}
	if newLen == oldLen {
		return "", ""
	}
	if newLen > oldLen {
		pgoff := (vma.Offset + addr - vma.Start) >> vs.eng.pageShift
		if pgoff+newLen>>vs.eng.pageShift < pgoff {
			return "EINVAL", "the grown mapping's offset overflows (check_prep_vma)"
		}
		if vma.LFlags&(LinuxDontExpand|LinuxIO) != 0 {
			return "EFAULT", "VM_DONTEXPAND or VM_PFNMAP mappings cannot grow (check_prep_vma)"
		}
		delta := newLen - oldLen
		if vma.LFlags&LinuxLocked != 0 && !vs.eng.cfg.Privileged && vs.LockedVM+delta > vs.Lim.MemLock {
			return "EAGAIN", "a locked mapping would pass RLIMIT_MEMLOCK (check_prep_vma)"
		}
		if vs.Map.Size+delta > vs.Lim.VMem {
			return "ENOMEM", "RLIMIT_AS would be exceeded (may_expand_vm)"
		}
		if lxIsData(vma.LFlags, vma.Prot) && !vs.dataAllowed(delta) {
			return "ENOMEM", "RLIMIT_DATA would be exceeded (may_expand_vm)"
		}
	}
	return "", ""
}

// mremapTo mirrors mremap_to: MREMAP_FIXED unmaps the destination and the
// shrunk tail of the source, then moves; DONTUNMAP without FIXED picks a
// new address.
func (vs *Vmspace) mremapTo(addr, oldLen, newLen, newAddr, flags uint64) (Result, bool) {
	if flags&mremapFixed != 0 {
		if errno := vs.linuxUnmap(newAddr, newAddr+newLen); errno != "" {
			return failWhy(errno, "the destination would split a special mapping (mremap_to)")
		}
		if oldLen > newLen {
			if errno := vs.linuxUnmap(addr+newLen, addr+oldLen); errno != "" {
				return failWhy(errno, "shrinking would split a special mapping (mremap_to)")
			}
			oldLen = newLen
		}
		// The unmapping may have taken the source itself (old_len 0
		// lets the ranges touch): look it up again.
		if _, found := vs.Map.Lookup(addr); !found {
			return failWhy("EFAULT", "unmapping the destination removed the source mapping (mremap_to)")
		}
	} else {
		vma, _ := vs.Map.Lookup(addr)
		dst, errno := vs.remapTarget(vma, addr, newAddr, newLen)
		if errno != "" {
			return failWhy(errno, "no room for the moved mapping (get_unmapped_area)")
		}
		newAddr = dst
	}
	return vs.moveVMA(addr, oldLen, newLen, newAddr, flags, nil)
}

// moveVMA moves [addr, addr+oldLen) (inside one VMA) to newAddr with
// newLen bytes: the new VMA keeps the object and pgoff, the page-table
// entries move with it, and the source is unmapped. With MREMAP_DONTUNMAP
// the source VMA stays whole (same file, offset and pgoff) but loses
// VM_LOCKED, and its moved private pages are gone from it. oldLen 0
// duplicates a shared mapping. Mirrors move_vma, copy_vma and
// dontunmap_complete. into, when not nil, collects the objects the pages
// of private anonymous memory moved to under MREMAP_DONTUNMAP, by source
// object, for the other pieces of one multi-VMA move.
func (vs *Vmspace) moveVMA(addr, oldLen, newLen, newAddr uint64, flags uint64, into map[ObjID]ObjID) (Result, bool) {
	e := vs.eng
	m := &vs.Map
	vma, _ := m.Lookup(addr)
	dontUnmap := flags&mremapDontUnmap != 0 && oldLen > 0
	src := vma
	if oldLen > 0 && !dontUnmap {
		src = vs.clipStart(vma, addr)
		src = vs.clipEnd(src, addr+oldLen)
	}
	n := vma
	n.Start, n.End = newAddr, newAddr+newLen
	n.Offset = vma.Offset + addr - vma.Start
	if vma.Object == 0 && vma.LFlags&LinuxMayShare == 0 && e.entryFile(vma) == nil && vma.Name == 0 {
		// copy_vma: anonymous memory never written (no anon_vma yet) takes
		// the pgoff of its new address, so it can merge there.
		n.Offset = newAddr
	}
	if !m.IsFree(n.Start, n.End) {
		return failWhy("ENOMEM", "the destination is not free")
	}
	privateAnon := vma.LFlags&LinuxMayShare == 0 && vma.Object != 0 && e.objects[vma.Object].Type == ObjAnon
	// The whole VMA moves: dontunmap_complete (below) takes the anon_vma
	// from the source.
	complete := dontUnmap && vma.Start == addr && vma.End == addr+oldLen
	switch {
	case complete && privateAnon && into == nil:
		// The copy keeps the source's object, pages in place, as it keeps
		// the anon_vma in Linux: it merges where copy_vma merges it, with
		// the VMAs that share that anon_vma. The page-table entries move
		// below; the source is left with nothing (dontunmap_complete).
		e.reference(n.Object)
	case dontUnmap && privateAnon:
		// The private pages move to the copy; the source keeps none. The
		// pieces of one object that one call moves (into) go to one object,
		// as copy_vma gives them all the source's anon_vma.
		// Pages a fork child or a shadow also reaches stay theirs: the
		// move takes them from a copy that is this process's own.
		from := vs.ownPagesIn(vma.Object, n.Offset, n.Offset+oldLen)
		lo := e.atop(n.Offset)
		if id, done := into[from]; done {
			e.movePagesInto(id, from, lo, lo+e.atop(oldLen))
			e.reference(id)
			n.Object = id
		} else {
			n.Object = e.movePages(from, lo, lo+e.atop(oldLen))
			if into != nil {
				into[from] = n.Object
			}
		}
		src.Object, vma.Object = from, from
		vs.linuxZap(vma, addr, addr+oldLen)
	case privateAnon && newLen > oldLen:
		// The grown pgoffs join the object (moved now: its pgoffs no
		// longer follow addresses); the source, if the object had to be
		// copied, maps the copy.
		e.objects[vma.Object].Moved = true
		n.Object = vs.evictAliases(vma.Object, n.Offset+oldLen, n.Offset+newLen, src.Start)
		src.Object = n.Object
		e.reference(n.Object)
	default:
		e.reference(n.Object)
	}
	if privateAnon && n.Object != 0 {
		e.objects[n.Object].Moved = true // see evictAliases
	}
	if n.LFlags&LinuxLocked != 0 {
		vs.LockedVM += newLen // move_vma accounts the new VMA; the unmap below the old
	}
	// Move the page-table entries.
	if oldLen > 0 {
		var ptes []pmapPTE
		vs.Pmap.Range(e.atop(addr), e.atop(addr+min(oldLen, newLen)), func(pt pmapPTE) bool {
			ptes = append(ptes, pt)
			return true
		})
		vs.Pmap.Remove(e.atop(addr), e.atop(addr+oldLen))
		for _, pt := range ptes {
			pt.VPN = pt.VPN - e.atop(addr) + e.atop(newAddr)
			vs.Pmap.Enter(pt)
		}
		// Guard markers are page-table entries too: they move along.
		lo, hi := e.atop(addr), e.atop(addr+min(oldLen, newLen))
		var guards []uint64
		for vpn := range vs.Guards {
			if vpn >= lo && vpn < hi {
				guards = append(guards, vpn)
			}
		}
		for _, vpn := range guards {
			vs.setGuard(vpn, false)
		}
		for _, vpn := range guards {
			vs.setGuard(vpn-lo+e.atop(newAddr), true)
		}
	}
	if oldLen > 0 && !dontUnmap {
		// The source goes first (its pages stay with the object the copy
		// references): the same end state as copy_vma merging the copy
		// with its source and the unmap of the old range that follows.
		if src.LFlags&LinuxLocked != 0 {
			vs.LockedVM -= src.Size()
		}
		m.unlink(src)
	}
	m.link(n)
	vs.mergeWithPrev(n)
	if moved, ok := m.Lookup(newAddr + newLen - 1); ok {
		vs.mergeWithNext(moved)
	}
	switch {
	case dontUnmap:
		if src, ok := m.Lookup(addr); ok && complete && src.Start == addr && src.End == addr+oldLen && src.Object != 0 && privateAnon {
			// dontunmap_complete: the whole VMA moved, its anon_vma goes;
			// a private file mapping maps its file again.
			old := src.Object
			src.Object = 0
			for id, off := old, src.Offset; id != 0; {
				o := e.objects[id]
				if o.File != nil {
					// Copy-on-write again: the file's pages are read, a
					// write gets a private copy (a new anon_vma).
					e.reference(id)
					src.Object, src.Offset = id, off
					src.Flags |= EntryCOW | EntryNeedsCopy
					break
				}
				id, off = o.Backing, off+o.BackingOffset
			}
			e.deallocate(old)
			m.put(src)
		}
		if src, ok := m.Lookup(addr); ok && src.LFlags&LinuxLocked != 0 {
			vs.LockedVM -= src.Size()
			src.LFlags &^= LinuxLocked | LinuxLockOnFault
			src.Wired, src.Flags = 0, src.Flags&^EntryUserWired
			m.put(src) // vm_flags_clear: in place, no merge
			vs.Pmap.SetWired(e.atop(src.Start), e.atop(src.End), false)
		}
	case oldLen > 0:
		e.deallocate(src.Object)
	}
	if n.LFlags&LinuxLocked != 0 && newLen > oldLen {
		vs.linuxPopulate(newAddr+oldLen, newAddr+newLen, n.LFlags&LinuxLockOnFault == 0)
	}
	return ok(newAddr)
}
