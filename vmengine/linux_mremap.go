package vmengine

// mremap for the Linux personality (mm/mremap.c). Anonymous memory is
// indexed by pgoff, so moving a VMA is relinking it with the same object and
// pgoff at the new address: its pages come along, as Linux's page tables do.

const (
	mremapMayMove   = 1
	mremapFixed     = 2
	mremapDontUnmap = 4
)

// mremap mirrors the mremap system call: argument checks, then shrink in
// place, grow in place when the VMA ends the old range and the space after
// it is free, or move (MAYMOVE, FIXED, DONTUNMAP).
func (lx linux) mremap(e *Engine, p *Process, addr, oldLen, newLen, flags, newAddr uint64) (Result, bool) {
	vs := p.VS
	if flags&^uint64(mremapMayMove|mremapFixed|mremapDontUnmap) != 0 {
		return fail("EINVAL")
	}
	if flags&(mremapFixed|mremapDontUnmap) != 0 && flags&mremapMayMove == 0 {
		return fail("EINVAL")
	}
	if addr&e.pageMask != 0 {
		return fail("EINVAL")
	}
	oldLen, _ = e.roundPage(oldLen)
	nl, okr := e.roundPage(newLen)
	if !okr || nl == 0 {
		return fail("EINVAL")
	}
	newLen = nl
	if flags&(mremapFixed|mremapDontUnmap) != 0 {
		if flags&mremapFixed != 0 && newAddr&e.pageMask != 0 {
			return fail("EINVAL")
		}
		if flags&mremapDontUnmap != 0 && oldLen != newLen {
			return fail("EINVAL")
		}
	}
	vma, found := vs.Map.Lookup(addr)
	if !found {
		return fail("EFAULT")
	}
	if flags&mremapFixed != 0 {
		return vs.mremapTo(addr, oldLen, newLen, newAddr, flags)
	}
	if flags&mremapDontUnmap != 0 {
		return vs.mremapTo(addr, oldLen, newLen, 0, flags)
	}
	if oldLen >= newLen && oldLen != 0 {
		if oldLen > newLen {
			vs.linuxUnlockRange(addr+newLen, addr+oldLen)
			vs.deleteRange(addr+newLen, addr+oldLen)
		}
		return ok(addr)
	}
	if errno := vs.remapValid(vma, addr, oldLen, newLen); errno != "" {
		return fail(errno)
	}
	// Grow in place when the old range ends the VMA and the space after it
	// is free (vma_expandable).
	if oldLen == vma.End-addr && oldLen != 0 {
		delta := newLen - oldLen
		if vma.End+delta <= vs.Map.Max && vma.End+delta > vma.End && vs.gapFree(vma.End, vma.End+delta) {
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
		return fail("ENOMEM")
	}
	mflags := uint64(lxMapPrivate)
	if vma.LFlags&LinuxMayShare != 0 {
		mflags = lxMapShared
	}
	pgoff := (vma.Offset + addr - vma.Start) >> e.pageShift
	dst, errno := vs.linuxUnmappedArea(0, newLen, mflags, e.entryFile(vma) != nil, pgoff)
	if errno != "" {
		return fail(errno)
	}
	return vs.moveVMA(addr, oldLen, newLen, dst, flags)
}

// remapValid mirrors vma_to_resize / remap_is_valid.
func (vs *Vmspace) remapValid(vma Entry, addr, oldLen, newLen uint64) Errno {
	if oldLen == 0 && vma.LFlags&LinuxMayShare == 0 {
		return "EINVAL"
	}
	if oldLen > vma.End-addr {
		return "EFAULT"
	}
	if newLen > oldLen {
		if vma.LFlags&(LinuxDontExpand|LinuxIO) != 0 {
			return "EFAULT"
		}
		delta := newLen - oldLen
		if vma.LFlags&LinuxLocked != 0 && !vs.eng.cfg.Privileged && vs.LockedVM+delta > vs.Lim.MemLock {
			return "EAGAIN"
		}
		if vs.Map.Size+delta > vs.Lim.VMem {
			return "ENOMEM"
		}
	}
	return ""
}

// mremapTo mirrors mremap_to: MREMAP_FIXED unmaps the destination and the
// shrunk tail of the source first, then validates (a late EFAULT leaves them
// unmapped), then moves. DONTUNMAP without FIXED picks a new address.
func (vs *Vmspace) mremapTo(addr, oldLen, newLen, newAddr, flags uint64) (Result, bool) {
	e := vs.eng
	if flags&mremapFixed != 0 {
		if newLen > vs.Map.Max || newAddr > vs.Map.Max-newLen {
			return fail("EINVAL")
		}
		if addr < newAddr+newLen && newAddr < addr+oldLen {
			return fail("EINVAL")
		}
		if e.cfg.MaxMapEntries > 0 && vs.Map.NEntries+3 > e.cfg.MaxMapEntries {
			return fail("ENOMEM")
		}
		vs.linuxUnlockRange(newAddr, newAddr+newLen)
		vs.deleteRange(newAddr, newAddr+newLen)
		if oldLen > newLen {
			vs.linuxUnlockRange(addr+newLen, addr+oldLen)
			vs.deleteRange(addr+newLen, addr+oldLen)
			oldLen = newLen
		}
	}
	vma, found := vs.Map.Lookup(addr)
	if !found {
		return fail("EFAULT")
	}
	if errno := vs.remapValid(vma, addr, oldLen, newLen); errno != "" {
		return fail(errno)
	}
	if flags&mremapDontUnmap != 0 && (vma.LFlags&(LinuxDontExpand|LinuxIO) != 0) {
		return fail("EINVAL")
	}
	if flags&mremapFixed == 0 {
		mflags := uint64(lxMapPrivate)
		if vma.LFlags&LinuxMayShare != 0 {
			mflags = lxMapShared
		}
		pgoff := (vma.Offset + addr - vma.Start) >> e.pageShift
		dst, errno := vs.linuxUnmappedArea(0, newLen, mflags, e.entryFile(vma) != nil, pgoff)
		if errno != "" {
			return fail(errno)
		}
		newAddr = dst
	}
	return vs.moveVMA(addr, oldLen, newLen, newAddr, flags)
}

// moveVMA moves [addr, addr+oldLen) (inside one VMA) to newAddr with
// newLen bytes: the new VMA keeps the object and pgoff, the page-table
// entries move with it, and the source is unmapped (DONTUNMAP: kept, empty).
// oldLen 0 duplicates a shared mapping. Mirrors move_vma and copy_vma.
func (vs *Vmspace) moveVMA(addr, oldLen, newLen, newAddr uint64, flags uint64) (Result, bool) {
	e := vs.eng
	m := &vs.Map
	vma, _ := m.Lookup(addr)
	src := vma
	if oldLen > 0 {
		src = vs.clipStart(vma, addr)
		src = vs.clipEnd(src, addr+oldLen)
	}
	n := src
	n.Start, n.End = newAddr, newAddr+newLen
	if oldLen == 0 {
		n.Offset = vma.Offset + addr - vma.Start
	}
	if !m.IsFree(n.Start, n.End) {
		return fail("ENOMEM")
	}
	e.reference(n.Object)
	if n.LFlags&LinuxLocked != 0 && oldLen == 0 {
		vs.LockedVM += newLen
	} else if n.LFlags&LinuxLocked != 0 && newLen > oldLen {
		vs.LockedVM += newLen - oldLen
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
	}
	m.link(n)
	vs.mergeWithPrev(n)
	if moved, ok := m.Lookup(newAddr + newLen - 1); ok {
		vs.mergeWithNext(moved)
	}
	if oldLen > 0 {
		if flags&mremapDontUnmap != 0 {
			// The source stays mapped but empty: a fresh anon_vma, unlocked.
			m.unlink(src)
			e.deallocate(src.Object)
			if src.LFlags&LinuxLocked != 0 {
				vs.LockedVM -= src.Size()
			}
			src.Object = 0
			src.Offset = src.Start
			src.LFlags &^= LinuxLocked | LinuxLockOnFault
			src.Wired, src.Flags = 0, src.Flags&^EntryUserWired
			vs.linuxInsert(src)
		} else {
			if src.LFlags&LinuxLocked != 0 {
				vs.LockedVM -= src.Size()
			}
			m.unlink(src)
			e.deallocate(src.Object)
		}
	}
	if n.LFlags&LinuxLocked != 0 && newLen > oldLen {
		vs.linuxPopulate(newAddr+oldLen, newAddr+newLen, n.LFlags&LinuxLockOnFault == 0)
	}
	return ok(newAddr)
}
