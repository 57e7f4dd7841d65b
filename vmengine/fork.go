package vmengine

import "vmscope/pmap"

// Fork creates a child of parent with pid (0: next free) and a copy of its
// address space by each entry's inheritance: NONE entries are left out,
// SHARE entries share the object, COPY entries become copy-on-write in both
// (writable wired entries are copied at once), ZERO entries come up empty.
// Wiring is never inherited. Mirrors vmspace_fork and vm_map_copy_entry.
func (e *Engine) Fork(parent *Process, pid int) (*Process, error) {
	child, err := e.NewProcess(pid)
	if err != nil {
		return nil, err
	}
	child.Parent = parent.PID
	for fd, d := range parent.FDs {
		child.FDs[fd] = d
	}
	pv, cv := parent.VS, child.VS
	cv.Lim, cv.LimMax = pv.Lim, pv.LimMax
	cv.Map.Min, cv.Map.Max = pv.Map.Min, pv.Map.Max
	cv.Map.free = newFreeSet()
	cv.Map.free.add(pv.Map.Min, pv.Map.Max)
	cv.Map.Flags = pv.Map.Flags &^ MapWireFuture
	cv.Map.unmerged = true // vmspace_fork links entries without merging them
	// ... and gives the parent's entries COW|NEEDS_COPY without merging
	// them either, so neighbours that now agree may stand apart there too.
	pv.Map.unmerged = true
	cv.Map.anonLoc = pv.Map.anonLoc
	cv.TAddr, cv.DAddr, cv.DSize, cv.SSize, cv.MaxSAddr = pv.TAddr, pv.DAddr, pv.DSize, pv.SSize, pv.MaxSAddr
	cv.StartBrk, cv.Brk, cv.MmapBase, cv.PKeys = pv.StartBrk, pv.Brk, pv.MmapBase, pv.PKeys

	for vpn := range pv.Guards {
		if en, ok := pv.Map.Lookup(e.ptoa(vpn)); ok && en.LFlags&LinuxDontCopy == 0 {
			cv.setGuard(vpn, true) // guard markers are copied at fork
		}
	}
	cv.ExecOnlyKey = pv.ExecOnlyKey
	// The child's map starts as a copy of the parent's slab, threading,
	// tree (copy-on-write) and free set, so no entry is inserted one at a
	// time; each slot is then rewritten with the child's entry or dropped.
	pm, cm := &pv.Map, &cv.Map
	cm.adoptEntries(pm)
	for s := pm.first; s >= 0; s = pm.links[s].next {
		old := pm.slab[s]
		inh := old.Inherit
		if pm.linux {
			switch {
			case old.LFlags&LinuxDontCopy != 0:
				inh = InheritNone
			case old.LFlags&LinuxWipeOnFork != 0:
				inh = InheritZero
			}
		}
		if old.IsGuard() && inh != InheritNone {
			inh = InheritCopy
		}
		var n Entry
		switch inh {
		case InheritNone:
			cm.dropSlot(s)
			continue
		case InheritShare:
			pm.slab[s], n = e.forkShare(pv, cv, old)
		case InheritCopy:
			pm.slab[s], n = e.forkCopy(pv, cv, old)
		case InheritZero:
			n = Entry{Start: old.Start, End: old.End, Prot: old.Prot, MaxProt: old.MaxProt,
				Inherit: InheritZero, Charged: true, LFlags: old.LFlags &^ (LinuxLocked | LinuxLockOnFault),
				Name: old.Name, PKey: old.PKey,
				Flags: old.Flags &^ (EntryUserWired | EntryInTransition | EntryWriteCnt | EntryVnExec | EntryCOW | EntryNeedsCopy)}
			if pm.linux {
				// VM_WIPEONFORK stays in the child's flags, which alone
				// decide the next fork (MADV_KEEPONFORK clears it).
				n.Offset, n.Inherit = old.Offset, old.Inherit
			}
		}
		cm.adoptSlot(s, n)
	}
	return child, nil
}

// forkShare shares old's object with the child, creating the object first
// if the entry had none and resolving a pending copy first (a shared
// shadow), and copies the parent's PTEs of the entry into the child. It
// returns the parent's entry as it now reads and the child's. Mirrors the
// VM_INHERIT_SHARE case of vmspace_fork.
func (e *Engine) forkShare(pv, cv *Vmspace, old Entry) (parent, child Entry) {
	if old.Object == 0 && !old.IsGuard() {
		size := e.atop(old.Size())
		if pv.Map.linux {
			size += e.atop(old.Offset)
		}
		o := e.allocAnon(size)
		o.Charged = old.Charged
		old.Object, old.Charged = o.ID, false
		if !pv.Map.linux {
			old.Offset = 0
		}
	}
	if old.Object != 0 {
		obj := old.Object
		e.reference(obj)
		if old.Flags&EntryNeedsCopy != 0 {
			pv.shadowEntry(&old)
			nobj := old.Object
			old.Flags &^= EntryNeedsCopy
			e.reference(nobj)
			e.deallocate(obj)
			obj = nobj
		}
		o := e.objects[obj]
		o.Flags &^= ObjOneMapping
		if old.Charged {
			o.Charged = true
			old.Charged = false
		}
	}
	n := old
	n.Flags &^= EntryUserWired | EntryInTransition
	n.Wired = 0
	n.LFlags &^= LinuxLocked | LinuxLockOnFault
	pmapCopy(pv, cv, old.Start, old.End)
	return old, n
}

// forkCopy gives the child a copy-on-write copy of old (FreeBSD's writable
// wired memory: a private copy of every page, entered in the child's page
// table) and returns the parent's entry as it now reads and the child's.
// Mirrors the VM_INHERIT_COPY case of vmspace_fork and vm_map_copy_entry;
// under Linux, copy_page_range, which shares mlocked pages copy-on-write
// like any others (only pinned pages are copied at once).
func (e *Engine) forkCopy(pv, cv *Vmspace, old Entry) (parent, child Entry) {
	n := old
	n.Flags &^= EntryUserWired | EntryInTransition | EntryWriteCnt
	n.Wired = 0
	n.Object = 0
	n.Charged = false
	n.LFlags &^= LinuxLocked | LinuxLockOnFault
	if pv.Map.linux && (old.Object != 0 && e.objects[old.Object].Type == ObjAnon ||
		e.cfg.AssumeWritten && old.Object == 0 && old.LFlags&LinuxAccount != 0 && e.entryFile(old) == nil) {
		n.LFlags |= LinuxForkedAnon // anon_vma_fork: the child's chain holds two anon_vmas
	}
	if old.Wired == 0 || old.Prot&ProtWrite == 0 || pv.Map.linux {
		if old.Flags&EntryNeedsCopy == 0 && old.Prot&ProtWrite != 0 {
			pv.pmapProtect(old.Start, old.End, old.Prot&^ProtWrite)
		}
		if old.Object != 0 {
			src := e.objects[old.Object]
			if src.Type == ObjAnon {
				e.collapse(src)
				if src.Flags&ObjOneMapping != 0 && !pv.Map.linux {
					e.split(&old)
					src = e.objects[old.Object]
				}
				src.Ref++
				src.Flags &^= ObjOneMapping
			} else {
				src.Ref++
			}
			wasNeedsCopy := old.Flags&EntryNeedsCopy != 0
			if old.Charged && !wasNeedsCopy {
				src.Charged = true
			}
			old.Flags |= EntryCOW | EntryNeedsCopy
			n.Flags |= EntryCOW | EntryNeedsCopy
			n.Object = src.ID
			n.Offset = old.Offset
			if old.Charged {
				n.Charged = true
				if !wasNeedsCopy {
					old.Charged = false
				}
			}
		} else {
			if !old.IsGuard() && !pv.Map.linux {
				n.Offset = 0
			}
			n.Charged = old.Charged
		}
		pmapCopy(pv, cv, old.Start, old.End)
		return old, n
	}
	// Writable wired memory is never made copy-on-write: the child gets
	// private copies of every page now (vm_fault_copy_entry).
	size := e.atop(old.Size())
	dst := e.allocAnon(size)
	dst.Charged = true
	n.Flags &^= EntryCOW | EntryNeedsCopy
	n.Object, n.Offset = dst.ID, 0
	if old.Object != 0 {
		src := e.objects[old.Object]
		for i := uint64(0); i < size; i++ {
			_, _, f, ok := e.findPage(src, e.atop(old.Offset)+i)
			if !ok {
				continue
			}
			nf := e.phys.Alloc(uint64(dst.ID), i, e.phys.Value(f))
			dst.Pages[i] = nf
			cv.pmapEnter(e.atop(old.Start)+i, nf, old.Prot, false, true, false)
		}
	}
	return old, n
}

// pmapCopy copies the parent's PTEs for [start, end) into the child without
// the wired, modified and referenced bits. Mirrors amd64 pmap_copy.
func pmapCopy(pv, cv *Vmspace, start, end uint64) {
	e := pv.eng
	pv.Pmap.Range(e.atop(start), e.atop(end), func(p pmap.PTE) bool {
		p.Wired, p.Modified, p.Referenced = false, false, false
		cv.Pmap.Enter(p) // another tree than the one Range walks
		return true
	})
}
