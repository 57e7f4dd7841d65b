package vmengine

import "vmscope/pmap"

type pmapPTE = pmap.PTE

func pmapProt(p Prot) pmap.Prot { return pmap.Prot(p) }

// pmapEnter installs one PTE.
func (vs *Vmspace) pmapEnter(vpn uint64, f pmap.FrameID, prot Prot, wired, referenced, modified bool) {
	vs.Pmap.Enter(pmap.PTE{VPN: vpn, Frame: f, Prot: pmapProt(prot), Wired: wired, Referenced: referenced, Modified: modified})
}

type faultFlags uint8

const (
	faultWire    faultFlags = 1 << iota // wiring: fault with the entry's full protection
	faultNoStore                        // a write that stores no new value (wiring, COW copy)
)

// fault resolves one access to addr in this address space, as a page fault
// would: it looks the entry up (growing a stack into its gap when the access
// lands there), checks the protection, performs a pending copy-on-write
// (shadowing the object), allocates the entry's anonymous object on first
// touch, walks the shadow chain to the page (zero-filling in the first
// object, paging in from a file, copying or moving a backing page on a
// write) and enters the PTE. A write stores value as the page's content.
// It returns the signal the access raises (SigNone on success). Mirrors
// vm_fault_trap → vm_fault → vm_map_lookup (and vm_fault_cow).
func (vs *Vmspace) fault(addr uint64, access Access, value uint64, ff faultFlags) Signal {
	e := vs.eng
	m := &vs.Map
	var en Entry
	for tries := 0; ; tries++ {
		var ok bool
		en, ok = m.Lookup(addr)
		if !ok {
			if tries == 0 && m.linux && vs.expandDownwards(addr) {
				continue
			}
			return SigSEGVMapErr
		}
		need := Prot(access)
		if en.PKey != 0 && en.PKey == vs.ExecOnlyKey && need != ProtExec {
			// The execute-only key disables data access, checked before
			// the VMA's own permissions (access_error, then
			// bad_area_access_from_pkeys): a write is SEGV_PKUERR too.
			return SigSEGVPkuErr
		}
		allowed := en.Prot
		if m.linux && need == ProtRead && allowed&(ProtRead|ProtWrite|ProtExec) != 0 {
			allowed |= ProtRead // x86: any access right implies read (Linux access_error)
		}
		if need.Subset(allowed) && en.Prot != ProtNone {
			break
		}
		if tries == 0 && en.Flags&EntryStackGapDn != 0 && en.Prot == ProtNone {
			if vs.growStack(addr, en, vs.Lim) == KernSuccess {
				continue
			}
		}
		return SigSEGVAccErr
	}
	if vs.Guards[e.atop(addr)] {
		// A guard-region PTE marker, found only once access_error has
		// let the access through (handle_mm_fault: VM_FAULT_SIGSEGV).
		return SigSEGVMapErr
	}
	ft := Prot(access)
	if ff&faultWire != 0 || en.Wired != 0 && !m.linux {
		// vm_fault on a wired entry faults for the entry's protection.
		// Linux has no such rule: a read of VM_LOCKED memory is a read
		// fault (mlock's own populate asks for write where it wants it).
		ft = en.Prot
	}
	prot := en.Prot
	if m.linux && prot&ProtWrite != 0 {
		prot |= ProtRead
	}
	changed := false
	if en.Flags&EntryNeedsCopy != 0 && ft&ProtWrite != 0 && m.linux && (en.Object == 0 || e.objects[en.Object].Type != ObjAnon) {
		if id := vs.reusableAnon(en); id != 0 {
			// __anon_vma_prepare on a private file mapping that has no
			// anon_vma yet (it maps the file itself; after fork it has
			// one): share the neighbour's (its shadow of the same file).
			id = vs.evictAliases(id, en.Offset, en.Offset+en.Size(), en.Start)
			e.reference(id)
			e.deallocate(en.Object)
			en.Object = id
			en.Flags &^= EntryNeedsCopy
			changed = true
		}
	}
	if en.Flags&EntryNeedsCopy != 0 {
		if ft&ProtWrite != 0 {
			before := en.Object
			vs.shadowEntry(&en)
			if en.Object != before {
				// A fresh shadow takes over the entry's charge.
				if en.Charged {
					e.objects[en.Object].Charged = true
					en.Charged = false
				}
			} else if e.objects[en.Object].Charged {
				en.Charged = false
			}
			en.Flags &^= EntryNeedsCopy
			changed = true
		} else {
			prot &^= ProtWrite
		}
	}
	if en.Object == 0 && m.linux && ft&ProtWrite == 0 && en.LFlags&LinuxMayShare == 0 {
		// do_anonymous_page: a read of untouched private memory maps the
		// shared zero page and creates no anon_vma.
		vs.pmapEnter(e.atop(addr), e.zeroPage(), prot&^ProtWrite, en.Wired != 0, true, false)
		return SigNone
	}
	if en.Object == 0 && m.linux {
		vs.anonVMAPrepare(&en)
		changed = true
	}
	if en.Object == 0 {
		o := e.allocAnon(e.atop(en.Size()))
		o.Charged = en.Charged
		en.Object, en.Charged, en.Offset = o.ID, false, 0
		changed = true
	}
	if changed {
		m.put(en)
	}
	pindex := e.atop(addr-en.Start+en.Offset) + 0
	first := e.objects[en.Object]
	o, idx := first, pindex
	var frame pmap.FrameID
	for {
		if f, ok := o.Pages[idx]; ok {
			frame = f
			break
		}
		if o.Type == ObjVnode {
			if idx >= o.Size {
				if m.linux {
					return SigBUSAdrErr // filemap_fault: VM_FAULT_SIGBUS → BUS_ADRERR
				}
				return SigBUSObjErr
			}
			frame = e.phys.Alloc(uint64(o.ID), idx, o.File.data[idx])
			o.Pages[idx] = frame
			break
		}
		if o.Type == ObjDevice {
			frame = e.phys.Alloc(uint64(o.ID), idx, 0)
			o.Pages[idx] = frame
			break
		}
		if o.Backing == 0 {
			if m.linux && ft&ProtWrite == 0 && en.LFlags&LinuxMayShare == 0 {
				// do_anonymous_page: a read where no page exists maps the
				// shared zero page, with an anon_vma or without.
				vs.pmapEnter(e.atop(addr), e.zeroPage(), prot&^ProtWrite, en.Wired != 0, true, false)
				return SigNone
			}
			o, idx = first, pindex
			frame = e.phys.Alloc(uint64(o.ID), idx, 0)
			o.Pages[idx] = frame
			break
		}
		idx += e.atop(o.BackingOffset)
		o = e.objects[o.Backing]
	}
	if o != first {
		if ft&ProtWrite != 0 {
			if first.Backing == o.ID && o.Ref == 1 && len(o.Shadows) == 1 && o.Type == ObjAnon {
				// vm_fault_cow: the backing object is ours alone, so the
				// page moves up instead of being copied.
				delete(o.Pages, idx)
				first.Pages[pindex] = frame
				e.phys.SetOwner(frame, uint64(first.ID), pindex)
			} else {
				old := frame
				frame = e.phys.Alloc(uint64(first.ID), pindex, e.phys.Value(frame))
				first.Pages[pindex] = frame
				if first.Flags&ObjOneMapping == 0 {
					// The shadow is shared between address spaces: their
					// read-only mappings of the old page must go, or they
					// keep reading it (vm_fault_cow: pmap_remove_all).
					e.unmapFrameEverywhere(old)
				}
			}
		} else {
			prot &^= ProtWrite
		}
	}
	// pmap_enter sets the modified bit for a write access; a wired fault
	// accesses with the entry's full protection.
	write := ft&ProtWrite != 0
	if Access(access) == AccessWrite && ff&faultNoStore == 0 {
		e.phys.SetValue(frame, value)
	}
	vpn := e.atop(addr)
	vs.pmapEnter(vpn, frame, prot, en.Wired != 0, true, write)
	return SigNone
}

// expandDownwards grows the grows-down VMA just above addr down to cover
// it, as a fault below the stack does on Linux: refused below mmap_min_addr,
// within stack_guard_gap of an accessible VMA below, or beyond RLIMIT_STACK
// or RLIMIT_AS. Mirrors expand_downwards and acct_stack_growth.
func (vs *Vmspace) expandDownwards(addr uint64) bool {
	e := vs.eng
	m := &vs.Map
	addr = e.truncPage(addr)
	st, ok := m.next(addr)
	if !ok || st.LFlags&LinuxGrowsDown == 0 || addr < e.layout.MinAddr {
		return false
	}
	if prev, okP := m.prev(st.Start); okP && prev.End > addr {
		return false
	}
	if prev, okP := m.floor(addr); okP && prev.LFlags&LinuxGrowsDown == 0 && prev.Prot != ProtNone &&
		addr-prev.End < e.layout.StackGap {
		return false
	}
	if st.Object == 0 && st.LFlags&LinuxMayShare == 0 && e.entryFile(st) == nil {
		// expand_downwards prepares the anon_vma before the limits are
		// checked: it stays even when the growth is refused.
		vs.anonVMAPrepare(&st)
		m.put(st)
	}
	grow := st.Start - addr
	if st.End-addr > vs.Lim.Stack || m.Size+grow > vs.Lim.VMem {
		return false
	}
	if st.LFlags&LinuxLocked != 0 && !e.cfg.Privileged && vs.LockedVM+grow > vs.Lim.MemLock {
		return false
	}
	if st.Object != 0 && e.objects[st.Object].Type == ObjAnon && st.LFlags&LinuxMayShare == 0 {
		st.Object = vs.evictAliases(st.Object, st.Offset-grow, st.Offset, st.Start) // the new pgoffs join the object
	}
	old := st.Start
	m.free.remove(addr, st.Start)
	m.Size += grow
	st.Start = addr
	if st.Object == 0 || e.objects[st.Object].Type == ObjAnon {
		st.Offset -= grow
	}
	m.rekey(old, st)
	if st.LFlags&LinuxLocked != 0 {
		vs.LockedVM += grow
	}
	return true
}

// anonVMAPrepare gives en, a Linux private entry without an anon_vma, one:
// a compatible neighbour's (find_mergeable_anon_vma) or a new object
// indexed by pgoff. The caller stores en. Mirrors __anon_vma_prepare.
func (vs *Vmspace) anonVMAPrepare(en *Entry) {
	e := vs.eng
	if id := vs.reusableAnon(*en); id != 0 {
		id = vs.evictAliases(id, en.Offset, en.Offset+en.Size(), en.Start)
		e.reference(id)
		en.Object = id
		return
	}
	o := e.allocAnon(e.atop(en.Offset) + e.atop(en.Size()))
	o.Charged = en.Charged
	en.Object, en.Charged = o.ID, false
}

// zeroPage returns the frame of the shared zero page (Linux's
// ZERO_PAGE), allocating it on first use. It belongs to no object.
func (e *Engine) zeroPage() pmap.FrameID {
	if e.zero == 0 {
		e.zero = e.phys.Alloc(0, 0, 0)
	}
	return e.zero
}

// reusableAnon returns the anonymous object of a neighbour that
// find_mergeable_anon_vma would reuse for en (the next VMA first, then the
// previous): adjacent, the same open file (or none), the same flags but
// for the access bits (the protection key is not one), contiguous pgoff, and not shared with a fork (a singular
// anon_vma chain). For a private file mapping that object is a shadow of
// the same file.
func (vs *Vmspace) reusableAnon(en Entry) ObjID {
	e := vs.eng
	file := e.entryFile(en)
	compatible := func(a, b Entry) bool {
		return a.End == b.Start && e.entryFile(a) == file && e.entryFile(b) == file && a.Name == b.Name &&
			a.FileDesc == b.FileDesc && a.PKey == b.PKey && // the pkey bits are VMA flags
			a.LFlags&^LinuxSoftDirty == b.LFlags&^LinuxSoftDirty && a.MaxProt == b.MaxProt &&
			b.Offset == a.Offset+(b.Start-a.Start)
	}
	usable := func(n Entry) ObjID {
		if n.Object == 0 || n.Flags&EntryNeedsCopy != 0 {
			return 0
		}
		o := e.objects[n.Object]
		if o.Type != ObjAnon || len(o.Shadows) != 0 {
			return 0
		}
		if file == nil && o.Backing != 0 {
			return 0
		}
		if file != nil && o.Backing != en.Object {
			return 0 // a private file mapping shares only a shadow of the same file
		}
		return n.Object
	}
	if n, ok := vs.Map.next(en.End); ok && compatible(en, n) {
		if id := usable(n); id != 0 {
			return id
		}
	}
	if p, ok := vs.Map.prev(en.Start); ok && compatible(p, en) {
		return usable(p)
	}
	return 0
}
