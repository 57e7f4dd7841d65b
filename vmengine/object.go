package vmengine

import (
	"sort"

	"vmscope/pmap"
)

// ObjType is a VM object's type.
type ObjType uint8

// Object types (FreeBSD OBJT_*; anonymous covers DEFAULT and SWAP).
const (
	ObjAnon ObjType = iota
	ObjVnode
	ObjDevice
)

func (t ObjType) String() string {
	switch t {
	case ObjAnon:
		return "anon"
	case ObjVnode:
		return "vnode"
	case ObjDevice:
		return "device"
	}
	return "?"
}

// ObjFlags are vm_object flags.
type ObjFlags uint8

// Object flags.
const (
	ObjOneMapping ObjFlags = 1 << iota // OBJ_ONEMAPPING: one map entry maps it, no COW copies
	ObjDead                            // OBJ_DEAD
)

// Object is a vm_object: a source of pages. Anonymous objects hold the
// pages they were given; vnode objects are a file's page cache; an object may
// shadow a backing object (copy-on-write), forming a chain.
type Object struct {
	ID            ObjID
	Type          ObjType
	Ref           int
	Shadows       []ObjID // objects whose Backing is this one, in creation order
	Backing       ObjID
	BackingOffset uint64 // bytes
	Size          uint64 // pages
	Flags         ObjFlags
	Charged       bool // object->cred != NULL
	// Moved (Linux): a VMA mapping the object was moved by mremap, so its
	// page offsets no longer follow addresses and another VMA may come to
	// use the same ones (see Vmspace.evictAliases).
	Moved bool
	// AnonVMA (Linux): the object whose anon_vma this one stands for, when
	// it is not its own (0): movePages gives pages that Linux keeps under
	// one anon_vma an object of their own, and such objects still merge.
	AnonVMA ObjID
	File    *File
	Pages   map[uint64]pmap.FrameID // resident pages by page index
}

// anonVMA returns the object that stands for o's anon_vma.
func (o *Object) anonVMA() ObjID {
	if o.AnonVMA != 0 {
		return o.AnonVMA
	}
	return o.ID
}

// ShadowCount returns shadow_count.
func (o *Object) ShadowCount() int { return len(o.Shadows) }

// PageIndexes returns the resident page indexes in order.
func (o *Object) PageIndexes() []uint64 {
	out := make([]uint64, 0, len(o.Pages))
	for i := range o.Pages {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

func (e *Engine) newObject(t ObjType, sizePages uint64) *Object {
	o := &Object{ID: e.nextObj, Type: t, Ref: 1, Size: sizePages, Pages: make(map[uint64]pmap.FrameID)}
	e.nextObj++
	e.objects[o.ID] = o
	return o
}

// allocAnon creates an anonymous object of sizePages with one reference.
// Mirrors vm_object_allocate_anon: flags OBJ_ANON|OBJ_ONEMAPPING.
func (e *Engine) allocAnon(sizePages uint64) *Object {
	o := e.newObject(ObjAnon, sizePages)
	o.Flags |= ObjOneMapping
	return o
}

// reference adds a reference to object id. Mirrors vm_object_reference.
func (e *Engine) reference(id ObjID) {
	if id != 0 {
		e.objects[id].Ref++
	}
}

// deallocate drops a reference to object id. An anonymous object left with
// one reference and one shadow is collapsed into that shadow; an object
// losing its last reference is terminated and its backing object
// deallocated in turn. Mirrors vm_object_deallocate.
func (e *Engine) deallocate(id ObjID) {
	for id != 0 {
		o := e.objects[id]
		o.Ref--
		if o.Ref > 0 {
			if o.Ref == 1 && o.Type == ObjAnon {
				switch len(o.Shadows) {
				case 0:
					o.Flags |= ObjOneMapping
				case 1:
					// vm_object_deallocate_anon: the final shadow absorbs us.
					e.collapse(e.objects[o.Shadows[0]])
				}
			}
			return
		}
		backing := o.Backing
		e.terminate(o)
		id = backing
	}
}

// terminate frees o's pages and unlinks it from its backing object.
// Pre: o.Ref == 0. Mirrors vm_object_terminate.
func (e *Engine) terminate(o *Object) {
	if o.Type == ObjVnode && o.File != nil {
		for idx, f := range o.Pages {
			o.File.data[idx] = e.phys.Value(f) // the page cache is written back
		}
	}
	for idx, f := range o.Pages {
		e.freePage(o, idx, f)
	}
	if o.Backing != 0 {
		b := e.objects[o.Backing]
		b.Shadows = removeID(b.Shadows, o.ID)
	}
	if o.File != nil && o.File.obj == o.ID {
		o.File.obj = 0
	}
	o.Flags |= ObjDead
	delete(e.objects, o.ID)
}

func removeID(s []ObjID, id ObjID) []ObjID {
	for i, x := range s {
		if x == id {
			return append(s[:i:i], s[i+1:]...)
		}
	}
	return s
}

// freePage removes page idx (frame f) from o and frees the frame, first
// unmapping it from every page table that still maps it.
// Mirrors vm_page_free after pmap_remove_all.
func (e *Engine) freePage(o *Object, idx uint64, f pmap.FrameID) {
	if fr, ok := e.phys.Frame(f); ok && fr.Maps > 0 {
		e.unmapFrameEverywhere(f)
	}
	delete(o.Pages, idx)
	e.phys.Free(f)
}

// unmapFrameEverywhere removes every PTE that maps frame f. The engine keeps
// no pv lists; it scans the page tables, which is fine for the rare callers
// (truncation, collapse of shadowed pages, Linux DONTNEED).
func (e *Engine) unmapFrameEverywhere(f pmap.FrameID) {
	for vs := range e.spaces {
		var vpns []uint64
		vs.Pmap.Range(0, ^uint64(0), func(p pmap.PTE) bool {
			if p.Frame == f {
				vpns = append(vpns, p.VPN)
			}
			return true
		})
		for _, v := range vpns {
			vs.Pmap.Remove(v, v+1)
		}
	}
}

// shadow gives an entry's object a fresh anonymous shadow of length bytes,
// returning the new (object, offset). The caller's reference moves to the
// shadow. No-op for an anonymous object with a single reference.
// Mirrors vm_object_shadow.
func (e *Engine) shadow(id ObjID, offset, length uint64) (ObjID, uint64) {
	if id != 0 {
		src := e.objects[id]
		if src.Ref == 1 && src.Type == ObjAnon {
			return id, offset
		}
	}
	s := e.allocAnon(e.atop(length))
	if id != 0 {
		src := e.objects[id]
		s.Backing = id
		s.BackingOffset = offset
		s.Moved = src.Moved
		src.Shadows = append(src.Shadows, s.ID)
		if src.Type == ObjAnon {
			src.Flags &^= ObjOneMapping
		}
	}
	return s.ID, 0
}

// shadowEntry resolves a pending copy of en: its object gets a fresh
// shadow. FreeBSD shadows only the entry's window (offset becomes 0); the
// Linux personality indexes anonymous memory by pgoff, so its shadow covers
// the same index space and the entry keeps its offset.
func (vs *Vmspace) shadowEntry(en *Entry) {
	e := vs.eng
	if vs.Map.linux {
		obj, _ := e.shadow(en.Object, 0, en.Offset+en.Size())
		en.Object = obj
		return
	}
	en.Object, en.Offset = e.shadow(en.Object, en.Offset, en.Size())
}

// collapse folds o's backing objects into o while both are anonymous: when
// o holds the backing object's only reference its pages move into o
// (collapse); otherwise, when o shadows every backing page in its window,
// o skips over it (bypass). Mirrors vm_object_collapse.
func (e *Engine) collapse(o *Object) {
	for o.Backing != 0 && o.Type == ObjAnon && o.Flags&ObjDead == 0 {
		b := e.objects[o.Backing]
		if b.Type != ObjAnon || b.Flags&ObjDead != 0 {
			return
		}
		boff := e.atop(o.BackingOffset)
		if b.Ref == 1 {
			// Collapse: move the pages o lacks; free the rest.
			for _, idx := range b.PageIndexes() {
				f := b.Pages[idx]
				if idx < boff || idx-boff >= o.Size {
					e.freePage(b, idx, f)
					continue
				}
				n := idx - boff
				if _, has := o.Pages[n]; has {
					e.freePage(b, idx, f)
					continue
				}
				delete(b.Pages, idx)
				o.Pages[n] = f
				e.phys.SetOwner(f, uint64(o.ID), n)
			}
			b.Shadows = removeID(b.Shadows, o.ID)
			o.Backing = b.Backing
			if b.Backing != 0 {
				bb := e.objects[b.Backing]
				o.BackingOffset += b.BackingOffset
				for i, s := range bb.Shadows {
					if s == b.ID {
						bb.Shadows[i] = o.ID
					}
				}
			} else {
				o.BackingOffset = 0
			}
			if b.Charged && !o.Charged {
				o.Charged = true
			}
			b.Backing = 0
			b.Ref = 0
			b.Flags |= ObjDead
			delete(e.objects, b.ID)
			continue
		}
		// Bypass: every backing page in o's window must be shadowed by o.
		for idx := range b.Pages {
			if idx < boff || idx-boff >= o.Size {
				continue
			}
			if _, has := o.Pages[idx-boff]; !has {
				return
			}
		}
		b.Shadows = removeID(b.Shadows, o.ID)
		o.Backing = b.Backing
		if b.Backing != 0 {
			bb := e.objects[b.Backing]
			o.BackingOffset += b.BackingOffset
			bb.Shadows = append(bb.Shadows, o.ID)
			bb.Ref++
		} else {
			o.BackingOffset = 0
		}
		e.deallocate(b.ID)
	}
}

// coalesce tries to extend anonymous object id (mapped at byte offset off
// for prevSize bytes) by nextSize bytes, so a new mapping right after it can
// reuse the object. Mirrors vm_object_coalesce.
func (e *Engine) coalesce(id ObjID, off, prevSize, nextSize uint64) bool {
	if id == 0 {
		return true
	}
	o := e.objects[id]
	if o.Type != ObjAnon {
		return false
	}
	e.collapse(o)
	if o.Backing != 0 {
		return false
	}
	nextIdx := e.atop(off + prevSize)
	if o.Ref > 1 && o.Size != nextIdx && o.Flags&ObjOneMapping == 0 {
		return false
	}
	// Free any stale pages in the extension (left by an earlier unmap).
	last := nextIdx + e.atop(nextSize)
	for _, idx := range o.PageIndexes() {
		if idx >= nextIdx && idx < last {
			e.freePage(o, idx, o.Pages[idx])
		}
	}
	if last > o.Size {
		o.Size = last
	}
	return true
}

// split moves the page range of entry en out of its anonymous ONEMAPPING
// object into a new object that shares the original's backing object, and
// returns the new object. Mirrors vm_object_split (called by fork for
// entries that map part of an object).
func (e *Engine) split(en *Entry) {
	o := e.objects[en.Object]
	if o.Type != ObjAnon || o.Ref <= 1 || o.Flags&ObjOneMapping == 0 {
		return
	}
	offIdx := e.atop(en.Offset)
	size := e.atop(en.Size())
	n := e.allocAnon(size)
	n.Charged, n.Moved = o.Charged, o.Moved
	if o.Backing != 0 {
		n.Backing = o.Backing
		n.BackingOffset = o.BackingOffset + en.Offset
		b := e.objects[o.Backing]
		b.Shadows = append(b.Shadows, n.ID)
		b.Ref++
	}
	for _, idx := range o.PageIndexes() {
		if idx >= offIdx && idx < offIdx+size {
			f := o.Pages[idx]
			delete(o.Pages, idx)
			n.Pages[idx-offIdx] = f
			e.phys.SetOwner(f, uint64(n.ID), idx-offIdx)
		}
	}
	// The entry's reference moves from o to n.
	o.Ref--
	en.Object = n.ID
	en.Offset = 0
}

// pageIn returns the frame of page idx in object o, walking the shadow chain.
// It returns the object holding the page (which may be a backing object).
func (e *Engine) findPage(o *Object, idx uint64) (*Object, uint64, pmap.FrameID, bool) {
	for {
		if f, ok := o.Pages[idx]; ok {
			return o, idx, f, true
		}
		if o.Backing == 0 {
			return o, idx, 0, false
		}
		idx += e.atop(o.BackingOffset)
		o = e.objects[o.Backing]
	}
}

// chainDepth returns the number of objects in id's shadow chain.
func (e *Engine) chainDepth(id ObjID) int {
	n := 0
	for id != 0 {
		n++
		id = e.objects[id].Backing
	}
	return n
}
