package vmengine

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestMapIndexRandom drives a bare Map through random links, unlinks,
// clips (a put of the head and an insertAfter of the tail, as clipStart
// does), merges (a remove and a put, as tryMerge does) and rekeys in a small
// address range, so that runs of unindexed entries form, grow and break
// up. After every step the index must satisfy checkIndex, the entries must
// equal a sorted reference list, and floor lookups at random addresses must
// agree with it.
func TestMapIndexRandom(t *testing.T) {
	const page, pages = 4096, 400
	for seed := uint64(1); seed <= 4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		m := newMap(page, page*pages, false)
		var ref []Entry // what the map must hold, in address order
		pick := func() (int, bool) {
			if len(ref) == 0 {
				return 0, false
			}
			return rng.IntN(len(ref)), true
		}
		for step := 0; step < 30000; step++ {
			what := ""
			switch rng.IntN(6) {
			case 0, 1: // link a new entry into free space
				s := page * (1 + rng.Uint64N(pages-5))
				en := Entry{Start: s, End: s + page*(1+rng.Uint64N(3)), Prot: ProtRead}
				if !m.IsFree(en.Start, en.End) {
					continue
				}
				m.link(en)
				ref = append(ref, en)
				what = fmt.Sprintf("link %v", en)
			case 2: // unlink
				i, ok := pick()
				if !ok {
					continue
				}
				m.unlink(ref[i])
				what = fmt.Sprintf("unlink %v", ref[i])
				ref = append(ref[:i], ref[i+1:]...)
			case 3: // clip an entry of two pages or more in two
				i, ok := pick()
				if !ok || ref[i].Size() < 2*page {
					continue
				}
				head, tail := ref[i], ref[i]
				head.End = head.Start + page*(1+rng.Uint64N(head.Size()/page-1))
				tail.Start = head.End
				m.put(head)
				m.insertAfter(m.hint, tail)
				m.NEntries++
				ref[i] = head
				ref = append(ref, tail)
				what = fmt.Sprintf("clip %v at %#x", ref[i], head.End)
			case 4: // merge an entry with the adjacent one after it
				i, ok := pick()
				if !ok || i+1 >= len(ref) || ref[i].End != ref[i+1].Start {
					continue
				}
				merged := ref[i]
				merged.End = ref[i+1].End
				m.remove(ref[i+1].Start)
				m.put(merged)
				m.NEntries--
				what = fmt.Sprintf("merge %v and %v", ref[i], ref[i+1])
				ref[i] = merged
				ref = append(ref[:i+1], ref[i+2:]...)
			case 5: // move an entry's start down into free space, or up
				i, ok := pick()
				if !ok {
					continue
				}
				en := ref[i]
				switch {
				case en.Start > page && m.IsFree(en.Start-page, en.Start):
					m.free.remove(en.Start-page, en.Start)
					en.Start -= page
				case en.Size() > page:
					m.free.add(en.Start, en.Start+page)
					en.Start += page
				default:
					continue
				}
				what = fmt.Sprintf("rekey %v to %#x", ref[i], en.Start)
				m.rekey(ref[i].Start, en)
				ref[i] = en
			}
			sort.Slice(ref, func(a, b int) bool { return ref[a].Start < ref[b].Start })
			if err := m.checkIndex(); err != nil {
				t.Fatalf("seed %d step %d (%s): %v", seed, step, what, err)
			}
			got := m.Entries()
			if len(got) != len(ref) {
				t.Fatalf("seed %d step %d (%s): %d entries, want %d", seed, step, what, len(got), len(ref))
			}
			for j := range got {
				if got[j] != ref[j] {
					t.Fatalf("seed %d step %d (%s): entry %d is %v, want %v", seed, step, what, j, got[j], ref[j])
				}
			}
			for k := 0; k < 4; k++ {
				a := rng.Uint64N(page * (pages + 1))
				j := sort.Search(len(ref), func(j int) bool { return ref[j].Start > a }) - 1
				en, ok := m.floor(a)
				if ok != (j >= 0) || ok && en != ref[j] {
					t.Fatalf("seed %d step %d (%s): floor(%#x) = %v %v, want index %d", seed, step, what, a, en, ok, j)
				}
			}
		}
	}
}

// TestSplitMergeLeavesTreeAlone: once the map has settled, an mprotect
// that splits an entry in three and one that merges it back leave the
// B-tree's keys exactly as they were, wherever the entry sits among
// indexed and unindexed neighbours (BENCHMARKS.md: no B-tree restructuring
// on clip and merge).
func TestSplitMergeLeavesTreeAlone(t *testing.T) {
	const n = 60 // three-page entries, alternately RW and R, built in order
	be := newBenchEngine(t)
	args := []Arg{{}, {Val: 3 * benchPage}, {}, {Val: benchAnon | fbMapFixed}, {Val: benchNoFD}, {Val: 0}}
	for i := 0; i < n; i++ {
		args[0].Val, args[2].Val = uint64(benchBase+3*i*benchPage), benchProt(i)
		be.syscall(t, "mmap", args)
	}
	m := &be.p.VS.Map
	keys := func() string {
		var ks []mapKey
		m.tree.Ascend(func(k mapKey) bool { ks = append(ks, k); return true })
		return fmt.Sprint(ks)
	}
	if got := m.tree.Len(); got == 0 || got == n {
		t.Fatalf("the tree indexes %d of %d entries: lazy indexing is off", got, n)
	}
	for target := 0; target < n; target += 2 {
		mid := uint64(benchBase + (3*target+1)*benchPage)
		toR := []Arg{{Val: mid}, {Val: benchPage}, {Val: benchProtR}}
		toRW := []Arg{{Val: mid}, {Val: benchPage}, {Val: benchProtRW}}
		for round := 0; round < 3; round++ {
			before := keys()
			be.syscall(t, "mprotect", toR)
			if m.NEntries != n+2 {
				t.Fatalf("target %d: %d entries after the split, want %d", target, m.NEntries, n+2)
			}
			be.syscall(t, "mprotect", toRW)
			if m.NEntries != n {
				t.Fatalf("target %d: %d entries after the merge, want %d", target, m.NEntries, n)
			}
			if err := be.e.Check(); err != nil {
				t.Fatal(err)
			}
			if after := keys(); round > 0 && before != after {
				t.Fatalf("target %d round %d: the tree changed from %v to %v", target, round, before, after)
			}
		}
	}
}
