package vmengine

import (
	"math/rand/v2"
	"testing"
)

// TestFreeSetAgainstBitmap drives the free-space treap with random
// allocations and frees and compares every search with a brute-force scan of
// a page bitmap.
func TestFreeSetAgainstBitmap(t *testing.T) {
	const pages = 512
	rng := rand.New(rand.NewPCG(1, 2))
	fs := newFreeSet()
	fs.add(0, pages)
	used := make([]bool, pages)
	lowest := func(lo, hi, n, align uint64) (uint64, bool) {
		for a := (lo + align - 1) / align * align; a+n <= hi; a += align {
			ok := true
			for i := a; i < a+n; i++ {
				if used[i] {
					ok = false
					break
				}
			}
			if ok {
				return a, true
			}
		}
		return 0, false
	}
	highest := func(lo, hi, n, align uint64) (uint64, bool) {
		if hi < n {
			return 0, false
		}
		for a := (hi - n) / align * align; ; a -= align {
			if a < lo {
				return 0, false
			}
			ok := true
			for i := a; i < a+n; i++ {
				if used[i] {
					ok = false
					break
				}
			}
			if ok {
				return a, true
			}
			if a < align {
				return 0, false
			}
		}
	}
	for step := 0; step < 20000; step++ {
		n := uint64(1 + rng.IntN(8))
		align := uint64(1) << rng.IntN(4)
		lo := uint64(rng.IntN(pages))
		hi := lo + uint64(rng.IntN(pages-int(lo)+1))
		wantLo, okLo := lowest(lo, hi, n, align)
		gotLo, gLo := fs.findLow(lo, hi, n, align)
		if okLo != gLo || wantLo != gotLo {
			t.Fatalf("step %d findLow(%d,%d,%d,%d) = %d,%v want %d,%v", step, lo, hi, n, align, gotLo, gLo, wantLo, okLo)
		}
		wantHi, okHi := highest(lo, hi, n, align)
		gotHi, gHi := fs.findHigh(lo, hi, n, align)
		if okHi != gHi || wantHi != gotHi {
			t.Fatalf("step %d findHigh(%d,%d,%d,%d) = %d,%v want %d,%v", step, lo, hi, n, align, gotHi, gHi, wantHi, okHi)
		}
		if rng.IntN(2) == 0 && okLo {
			fs.remove(wantLo, wantLo+n)
			for i := wantLo; i < wantLo+n; i++ {
				used[i] = true
			}
		} else {
			// Free a random used run.
			a := uint64(rng.IntN(pages))
			if used[a] {
				b := a
				for b < pages && used[b] && b-a < 8 {
					used[b] = false
					b++
				}
				fs.add(a, b)
			}
		}
		if bad := fs.checkAug(); bad != "" {
			t.Fatalf("step %d: %s broken", step, bad)
		}
		// The free set must be exactly the unused pages, as maximal runs.
		var runs [][2]uint64
		fs.each(func(s, e uint64) { runs = append(runs, [2]uint64{s, e}) })
		var want [][2]uint64
		for i := uint64(0); i < pages; {
			if used[i] {
				i++
				continue
			}
			j := i
			for j < pages && !used[j] {
				j++
			}
			want = append(want, [2]uint64{i, j})
			i = j
		}
		if len(runs) != len(want) || fs.count != len(want) {
			t.Fatalf("step %d: count %d, free runs %v want %v", step, fs.count, runs, want)
		}
		for i := range runs {
			if runs[i] != want[i] {
				t.Fatalf("step %d: free runs %v want %v", step, runs, want)
			}
		}
	}
}

// BenchmarkFreeSetChurn places and frees ranges top-down in a free set of
// ~2,000 gaps, the way a long Linux trace drives unmapped_area_topdown.
func BenchmarkFreeSetChurn(b *testing.B) {
	const span = 1 << 30
	fs := newFreeSet()
	fs.add(0, span)
	rng := rand.New(rand.NewPCG(3, 4))
	var live [][2]uint64
	for len(live) < 2000 {
		n := uint64(1+rng.IntN(8)) << 12
		a, _ := fs.findHigh(0, span, n, 1<<12)
		fs.remove(a, a+n)
		live = append(live, [2]uint64{a, a + n})
		if rng.IntN(3) == 0 { // leave holes
			j := rng.IntN(len(live))
			fs.add(live[j][0], live[j][1])
			live = append(live[:j], live[j+1:]...)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		j := rng.IntN(len(live))
		fs.add(live[j][0], live[j][1])
		n := uint64(1+rng.IntN(8)) << 12
		a, _ := fs.findHigh(0, span, n, 1<<12)
		fs.remove(a, a+n)
		live[j] = [2]uint64{a, a + n}
	}
}
