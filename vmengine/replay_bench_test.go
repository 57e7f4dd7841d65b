package vmengine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// longTrace writes a deterministic strace -f style log of n memory calls of
// one Linux process (mmap, mprotect, munmap, madvise, brk) with the kernel's
// results filled in by running them on the engine, so a replay checks every
// line.
func longTrace(n int) []byte {
	pers, _ := PersonalityByName("linux")
	r := NewRunner(pers)
	p, _ := r.Eng.NewProcess(4242)
	vs := p.VS
	vs.StartBrk, vs.Brk = 0x555555559000, 0x555555559000
	rng := rand.New(rand.NewPCG(7, 11))
	var buf bytes.Buffer
	type region struct{ addr, size uint64 }
	var live []region
	brk := vs.Brk
	ts := 1700000000.0
	for i := 0; i < n; i++ {
		ts += 0.000001
		var line string
		switch k := rng.IntN(10); {
		case k < 4 || len(live) == 0:
			size := uint64(1+rng.IntN(8)) * 4096
			prot := []uint64{1, 3, 5, 3}[rng.IntN(4)]
			res, _ := pers.Syscall(r.Eng, p, "mmap", []Arg{{Val: 0}, {Val: size}, {Val: prot}, {Val: 0x22}, {Val: ^uint64(0)}, {Val: 0}})
			live = append(live, region{res.Ret, size})
			line = fmt.Sprintf("mmap(NULL, %d, %#x, 0x22, -1, 0) = %#x", size, prot, res.Ret)
		case k < 6:
			a := live[rng.IntN(len(live))].addr
			prot := []uint64{0, 1, 3}[rng.IntN(3)]
			res, _ := pers.Syscall(r.Eng, p, "mprotect", []Arg{{Val: a}, {Val: 4096}, {Val: prot}})
			line = fmt.Sprintf("mprotect(%#x, 4096, %#x) = %s", a, prot, res.String())
		case k < 8:
			j := rng.IntN(len(live))
			g := live[j]
			live = append(live[:j], live[j+1:]...)
			res, _ := pers.Syscall(r.Eng, p, "munmap", []Arg{{Val: g.addr}, {Val: g.size}})
			line = fmt.Sprintf("munmap(%#x, %d) = %s", g.addr, g.size, res.String())
		case k < 9:
			a := live[rng.IntN(len(live))].addr
			res, _ := pers.Syscall(r.Eng, p, "madvise", []Arg{{Val: a}, {Val: 4096}, {Val: 4}})
			line = fmt.Sprintf("madvise(%#x, 4096, MADV_DONTNEED) = %s", a, res.String())
		default:
			if rng.IntN(2) == 0 {
				brk += 0x21000
			} else if brk > vs.StartBrk+0x21000 {
				brk -= 0x21000
			}
			res, _ := pers.Syscall(r.Eng, p, "brk", []Arg{{Val: brk}})
			line = fmt.Sprintf("brk(%#x) = %#x", brk, res.Ret)
		}
		fmt.Fprintf(&buf, "4242 %.6f %s\n", ts, line)
		if len(live) > 2000 {
			g := live[0]
			live = live[1:]
			pers.Syscall(r.Eng, p, "munmap", []Arg{{Val: g.addr}, {Val: g.size}})
			fmt.Fprintf(&buf, "4242 %.6f munmap(%#x, %d) = 0\n", ts, g.addr, g.size)
		}
	}
	return buf.Bytes()
}

// BenchmarkReplay measures replaying a long real-style trace: parsing
// every line and running it on the engine with every result checked.
// Reported as events/s; the budget is at least 1,000,000 natively.
func BenchmarkReplay(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	trace := longTrace(n)
	b.SetBytes(int64(len(trace)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pers, _ := PersonalityByName("linux")
		r := NewRunner(pers)
		p, _ := r.Eng.NewProcess(4242)
		p.VS.StartBrk, p.VS.Brk = 0x555555559000, 0x555555559000
		r.mainPID, r.started = 4242, true
		if errs := r.RunReader("long.log", bytes.NewReader(trace)); len(errs) > 0 {
			b.Fatal(errs[0])
		}
		if len(r.Fails) > 0 {
			b.Fatalf("%d differences, first: %v", len(r.Fails), r.Fails[0])
		}
		if r.Events < n {
			b.Fatalf("replayed %d events, want %d", r.Events, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
