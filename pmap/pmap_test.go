package pmap

import "testing"

// TestEnterRemoveCounts checks the cached wired count and the frames' map
// counts through enter, protect, wire and remove in two page tables.
func TestEnterRemoveCounts(t *testing.T) {
	ph := NewPhys()
	a, b := New(ph), New(ph)
	f1 := ph.Alloc(1, 0, 7)
	f2 := ph.Alloc(1, 1, 0)
	a.Enter(PTE{VPN: 10, Frame: f1, Prot: ProtRead | ProtWrite, Wired: true, Referenced: true, Modified: true})
	a.Enter(PTE{VPN: 11, Frame: f2, Prot: ProtRead})
	b.Enter(PTE{VPN: 10, Frame: f1, Prot: ProtRead})
	if fr, _ := ph.Frame(f1); fr.Maps != 2 {
		t.Fatalf("frame 1 maps = %d, want 2", fr.Maps)
	}
	if a.Wired() != 1 || a.Len() != 2 || a.Resident(10, 12) != 2 {
		t.Fatalf("wired %d len %d resident %d", a.Wired(), a.Len(), a.Resident(10, 12))
	}
	a.Protect(0, 100, ProtRead)
	if p, _ := a.Lookup(10); p.Prot != ProtRead || !p.Modified {
		t.Fatalf("after protect: %+v", p)
	}
	a.SetWired(0, 100, false)
	a.Remove(10, 11)
	if fr, _ := ph.Frame(f1); fr.Maps != 1 {
		t.Fatalf("frame 1 maps = %d, want 1", fr.Maps)
	}
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	if err := ph.CheckMapCounts([]*Pmap{a, b}); err != nil {
		t.Fatal(err)
	}
	ph2 := ph.Clone()
	c := b.Clone(ph2)
	c.Clear()
	if b.Len() != 1 {
		t.Fatalf("clearing a clone changed the original")
	}
	if err := ph.CheckMapCounts([]*Pmap{a, b}); err != nil {
		t.Fatalf("clearing a clone changed the original's frames: %v", err)
	}
}
