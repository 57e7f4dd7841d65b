// Package pmap is the physical side of vmscope's VM model: per-address-space
// page tables whose entries carry referenced, modified and wired bits, and the
// physical frames they point at, each owned by one VM object.
//
// It mirrors the machine-independent contract of FreeBSD's pmap(9) layer
// (pmap_enter, pmap_remove, pmap_protect, pmap_unwire, pmap_is_modified,
// pmap_mincore) without any hardware: a page table is an ordered B-tree of
// PTEs keyed by virtual page number, so range operations cost O(log n + k)
// and Clone is a cheap copy-on-write snapshot.
//
// The package is deterministic: frame numbers are handed out in increasing
// order and never reused, so the same sequence of calls always yields the same
// frames.
package pmap

import (
	"fmt"
	"sort"

	"github.com/google/btree"
)

// Prot is a page protection: the same bits as the engine's (read 1, write 2,
// execute 4).
type Prot uint8

// Protection bits.
const (
	ProtRead  Prot = 1
	ProtWrite Prot = 2
	ProtExec  Prot = 4
)

// FrameID names a physical frame. Zero is never a valid frame.
type FrameID uint64

// Frame is one physical page: who owns it and what it holds.
type Frame struct {
	ID     FrameID
	Object uint64 // owning VM object id
	Index  uint64 // page index within the owner
	Value  uint64 // the page's content token (0 = all zeroes)
	Maps   int    // number of PTEs (in all page tables) that map it
}

// Phys is physical memory: the set of allocated frames.
type Phys struct {
	frames map[FrameID]Frame
	next   FrameID
}

// NewPhys returns empty physical memory.
func NewPhys() *Phys { return &Phys{frames: make(map[FrameID]Frame), next: 1} }

// Alloc allocates a frame owned by (object, index) holding value.
// Mirrors vm_page_alloc. Post: the frame exists with Maps == 0.
func (ph *Phys) Alloc(object, index, value uint64) FrameID {
	id := ph.next
	ph.next++
	ph.frames[id] = Frame{ID: id, Object: object, Index: index, Value: value}
	return id
}

// Free releases a frame. Pre: no PTE maps it. Mirrors vm_page_free.
func (ph *Phys) Free(id FrameID) { delete(ph.frames, id) }

// Frame returns the frame id and whether it exists.
func (ph *Phys) Frame(id FrameID) (Frame, bool) {
	f, ok := ph.frames[id]
	return f, ok
}

// SetOwner records that frame id now belongs to (object, index), as when
// vm_page_rename moves a page between objects during collapse or a COW move.
func (ph *Phys) SetOwner(id FrameID, object, index uint64) {
	f := ph.frames[id]
	f.Object, f.Index = object, index
	ph.frames[id] = f
}

// SetValue stores a new content token in frame id.
func (ph *Phys) SetValue(id FrameID, value uint64) {
	f := ph.frames[id]
	f.Value = value
	ph.frames[id] = f
}

// Value returns the content token of frame id (0 if it does not exist).
func (ph *Phys) Value(id FrameID) uint64 { return ph.frames[id].Value }

// Len returns the number of allocated frames.
func (ph *Phys) Len() int { return len(ph.frames) }

// Frames returns every allocated frame in increasing id order.
func (ph *Phys) Frames() []Frame {
	out := make([]Frame, 0, len(ph.frames))
	for _, f := range ph.frames {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (ph *Phys) addMap(id FrameID, d int) {
	f := ph.frames[id]
	f.Maps += d
	ph.frames[id] = f
}

// Clone returns an independent copy of physical memory.
func (ph *Phys) Clone() *Phys {
	c := &Phys{frames: make(map[FrameID]Frame, len(ph.frames)), next: ph.next}
	for k, v := range ph.frames {
		c.frames[k] = v
	}
	return c
}

// PTE is one page-table entry.
type PTE struct {
	VPN        uint64 // virtual page number
	Frame      FrameID
	Prot       Prot // the hardware protection (may be less than the entry's)
	Referenced bool
	Modified   bool
	Wired      bool
}

func lessPTE(a, b PTE) bool { return a.VPN < b.VPN }

// Pmap is one address space's page table.
type Pmap struct {
	phys  *Phys
	ptes  *btree.BTreeG[PTE]
	wired int
}

// New returns an empty page table backed by phys. Mirrors pmap_pinit.
func New(phys *Phys) *Pmap {
	return &Pmap{phys: phys, ptes: btree.NewG[PTE](16, lessPTE)}
}

// Clone returns a copy of pm whose frames live in phys (the clone of pm's
// physical memory). The B-tree is shared copy-on-write.
func (pm *Pmap) Clone(phys *Phys) *Pmap {
	return &Pmap{phys: phys, ptes: pm.ptes.Clone(), wired: pm.wired}
}

// Lookup returns the PTE for vpn. Mirrors pmap_extract.
func (pm *Pmap) Lookup(vpn uint64) (PTE, bool) { return pm.ptes.Get(PTE{VPN: vpn}) }

// Enter maps pte.VPN to pte.Frame with the PTE's protection and bits,
// replacing any previous mapping; when the same frame was already mapped its
// modified and referenced bits are kept. Mirrors pmap_enter (and
// pmap_enter_quick when Referenced is false).
func (pm *Pmap) Enter(pte PTE) {
	old, had := pm.ptes.Get(pte)
	if had {
		if old.Frame == pte.Frame {
			pte.Modified = pte.Modified || old.Modified
			pte.Referenced = pte.Referenced || old.Referenced
		} else {
			pm.phys.addMap(old.Frame, -1)
			pm.phys.addMap(pte.Frame, 1)
		}
		if old.Wired {
			pm.wired--
		}
	} else {
		pm.phys.addMap(pte.Frame, 1)
	}
	if pte.Wired {
		pm.wired++
	}
	pm.ptes.ReplaceOrInsert(pte)
}

// Update replaces an existing PTE in place (same VPN and frame).
func (pm *Pmap) Update(pte PTE) {
	old, had := pm.ptes.Get(pte)
	if !had || old.Frame != pte.Frame {
		panic(fmt.Sprintf("pmap: Update of vpn %#x changes its frame", pte.VPN))
	}
	if old.Wired != pte.Wired {
		if pte.Wired {
			pm.wired++
		} else {
			pm.wired--
		}
	}
	pm.ptes.ReplaceOrInsert(pte)
}

// rangePTEs returns the PTEs with lo <= VPN < hi, in order.
func (pm *Pmap) rangePTEs(lo, hi uint64) []PTE {
	var out []PTE
	pm.ptes.AscendRange(PTE{VPN: lo}, PTE{VPN: hi}, func(p PTE) bool {
		out = append(out, p)
		return true
	})
	return out
}

// Range calls fn for each PTE with lo <= VPN < hi, in order, until fn
// returns false.
func (pm *Pmap) Range(lo, hi uint64, fn func(PTE) bool) {
	pm.ptes.AscendRange(PTE{VPN: lo}, PTE{VPN: hi}, fn)
}

// Remove unmaps every page with lo <= VPN < hi. Mirrors pmap_remove.
func (pm *Pmap) Remove(lo, hi uint64) {
	if pm.ptes.Len() == 0 || lo >= hi {
		return
	}
	for _, p := range pm.rangePTEs(lo, hi) {
		pm.ptes.Delete(p)
		pm.phys.addMap(p.Frame, -1)
		if p.Wired {
			pm.wired--
		}
	}
}

// RemoveFrame unmaps vpn if it maps frame. Used when a page is freed from
// under its mappings (truncation, DONTNEED). Mirrors one step of
// pmap_remove_all.
func (pm *Pmap) RemoveFrame(vpn uint64, frame FrameID) {
	if p, ok := pm.ptes.Get(PTE{VPN: vpn}); ok && p.Frame == frame {
		pm.Remove(vpn, vpn+1)
	}
}

// Protect lowers the protection of every page in [lo, hi) to at most prot.
// Mirrors pmap_protect (which only ever removes permissions).
func (pm *Pmap) Protect(lo, hi uint64, prot Prot) {
	if pm.ptes.Len() == 0 || lo >= hi {
		return
	}
	for _, p := range pm.rangePTEs(lo, hi) {
		if p.Prot&^prot != 0 {
			p.Prot &= prot
			pm.ptes.ReplaceOrInsert(p)
		}
	}
}

// SetWired sets or clears the wired bit of every PTE in [lo, hi).
// Mirrors pmap_unwire when wired is false.
func (pm *Pmap) SetWired(lo, hi uint64, wired bool) {
	for _, p := range pm.rangePTEs(lo, hi) {
		if p.Wired != wired {
			p.Wired = wired
			pm.Update(p)
		}
	}
}

// ClearReferenced clears the referenced bit in [lo, hi) (pmap_advise for
// DONTNEED/FREE) and, when clean is true, the modified bit too.
func (pm *Pmap) ClearReferenced(lo, hi uint64, clean bool) {
	for _, p := range pm.rangePTEs(lo, hi) {
		p.Referenced = false
		if clean {
			p.Modified = false
		}
		pm.ptes.ReplaceOrInsert(p)
	}
}

// Resident returns how many pages in [lo, hi) are mapped.
func (pm *Pmap) Resident(lo, hi uint64) int {
	n := 0
	pm.ptes.AscendRange(PTE{VPN: lo}, PTE{VPN: hi}, func(PTE) bool { n++; return true })
	return n
}

// Len returns the number of mapped pages (the resident count).
func (pm *Pmap) Len() int { return pm.ptes.Len() }

// Wired returns the number of wired PTEs. Mirrors pmap_wired_count.
func (pm *Pmap) Wired() int { return pm.wired }

// Clear unmaps everything. Mirrors pmap_remove_pages at exit.
func (pm *Pmap) Clear() {
	pm.ptes.Ascend(func(p PTE) bool { pm.phys.addMap(p.Frame, -1); return true })
	pm.ptes.Clear(false)
	pm.wired = 0
}

// Check recounts the wired PTEs and returns an error if the cached count is
// wrong or a PTE names a frame that does not exist.
func (pm *Pmap) Check() error {
	w := 0
	var err error
	pm.ptes.Ascend(func(p PTE) bool {
		if p.Wired {
			w++
		}
		if _, ok := pm.phys.frames[p.Frame]; !ok {
			err = fmt.Errorf("pmap: vpn %#x maps freed frame %d", p.VPN, p.Frame)
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	if w != pm.wired {
		return fmt.Errorf("pmap: cached wired count %d, recount %d", pm.wired, w)
	}
	return nil
}

// CheckMapCounts verifies every frame's Maps field against a recount over
// the given page tables (all the page tables that use ph).
func (ph *Phys) CheckMapCounts(pms []*Pmap) error {
	count := make(map[FrameID]int)
	for _, pm := range pms {
		pm.ptes.Ascend(func(p PTE) bool { count[p.Frame]++; return true })
	}
	for id, f := range ph.frames {
		if f.Maps != count[id] {
			return fmt.Errorf("pmap: frame %d cached map count %d, recount %d", id, f.Maps, count[id])
		}
	}
	return nil
}
