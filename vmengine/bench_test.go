package vmengine

// Benchmarks of the engine against the budgets of DESIGN.md ("engine op vs
// the real Linux kernel ... engine at least 3x faster natively, flat in the
// number of entries"; "engine in wasm (node) vs native: within 3x").
//
// Every benchmark that has a kernel counterpart is a parent with two
// children, engine and kernel, so that one `go test -bench` run measures both
// side by side:
//
//	BenchmarkMmapMunmap/engine/entries=60000
//	BenchmarkMmapMunmap/kernel/entries=60000
//
// The kernel children live in bench_kernel_linux_test.go (linux, not wasm)
// and register themselves in kernelBench; elsewhere (js/wasm) only the engine
// children run. The map layout is the same on both sides: n entries at
// benchBase, built with MAP_FIXED mmaps, one page each except the target
// entry (three pages), with protections alternating RW, R so that no two
// neighbours merge. See benchEntry.
//
// Run with scripts/bench.sh; BENCHMARKS.md has the numbers.

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// benchSizes are the entry counts every map benchmark runs at. 60,000 is
// close to Linux's default vm.max_map_count (65,530).
var benchSizes = []int{100, 10000, 60000}

const (
	benchBase     = 0x100000000 // where the n-entry layout lives (4 GiB)
	benchPage     = 4096
	benchProtR    = 0x1
	benchProtRW   = 0x3
	benchAnon     = fbMapPrivate | fbMapAnon
	benchNoFD     = ^uint64(0) // fd -1
	benchChunkPgs = 16384      // pages per region in the fault benchmark
)

// kernelBench holds the kernel halves of the side-by-side benchmarks; they
// are set by bench_kernel_linux_test.go and nil where the real kernel is not
// Linux (or under wasm).
var kernelBench struct {
	mmapMunmap func(b *testing.B, n int)
	// mmapMunmapNewVMA is mmapMunmap with a hint that keeps the new page
	// away from any VMA it could merge with: Linux then creates and
	// destroys a VMA on every op, as the engine does with its entry.
	mmapMunmapNewVMA func(b *testing.B, n int)
	mprotect         func(b *testing.B, n int)
	bytesPerEntry    func(b *testing.B, n int)
	// threadCPU returns the CPU time (user + system) of the calling OS
	// thread, in nanoseconds.
	threadCPU func() int64
}

// cpuMeter measures the CPU time the benchmark's own thread spends in the
// timed loop and reports it as cpu-ns/op. On a loaded machine wall time per
// op (ns/op) includes the time other processes held the CPU; thread CPU time
// does not. It pins the goroutine to its thread for the benchmark and does
// nothing where kernelBench.threadCPU is nil (wasm).
type cpuMeter struct {
	b       *testing.B
	start   int64
	total   int64
	running bool
}

// newCPUMeter pins the goroutine and starts the meter; the caller defers
// Done and ends with Report.
func newCPUMeter(b *testing.B) *cpuMeter {
	m := &cpuMeter{b: b}
	if kernelBench.threadCPU != nil {
		runtime.LockOSThread()
	}
	m.Start()
	return m
}

// Done unpins the goroutine; defer it right after newCPUMeter.
func (m *cpuMeter) Done() {
	if kernelBench.threadCPU != nil {
		runtime.UnlockOSThread()
	}
}

// Start (re)starts the meter, as b.StartTimer.
func (m *cpuMeter) Start() {
	if kernelBench.threadCPU != nil && !m.running {
		m.start, m.running = kernelBench.threadCPU(), true
	}
}

// Stop pauses the meter, as b.StopTimer.
func (m *cpuMeter) Stop() {
	if kernelBench.threadCPU != nil && m.running {
		m.total += kernelBench.threadCPU() - m.start
		m.running = false
	}
}

// Report stops the meter and reports cpu-ns/op over ops operations.
func (m *cpuMeter) Report(ops int) {
	m.Stop()
	if kernelBench.threadCPU != nil && ops > 0 {
		m.b.ReportMetric(float64(m.total)/float64(ops), "cpu-ns/op")
	}
}

// benchTarget is the index of the three-page entry the mprotect benchmark
// splits: an RW entry in the middle of the map.
func benchTarget(n int) int { return (n / 2) &^ 1 }

// benchEntry returns the first page (relative to benchBase) and the page
// count of entry i of the n-entry layout. Entries are contiguous; entry
// benchTarget(n) is three pages long, every other one page.
func benchEntry(n, i int) (first, pages int) {
	t := benchTarget(n)
	switch {
	case i < t:
		return i, 1
	case i == t:
		return i, 3
	}
	return i + 2, 1
}

// benchLayoutPages is the number of pages the n-entry layout covers.
func benchLayoutPages(n int) int { return n + 2 }

// benchProt is entry i's protection: even entries RW, odd entries R.
func benchProt(i int) uint64 {
	if i%2 == 0 {
		return benchProtRW
	}
	return benchProtR
}

// benchEngine is one engine with one process, driven through the FreeBSD
// personality exactly as a scenario or replay would drive it.
type benchEngine struct {
	r *Runner
	e *Engine
	p *Process
}

func newBenchEngine(tb testing.TB) *benchEngine {
	tb.Helper()
	r := NewRunner(nil)
	p, err := r.Eng.NewProcess(0)
	if err != nil {
		tb.Fatal(err)
	}
	return &benchEngine{r: r, e: r.Eng, p: p}
}

// syscall runs one call and fails the benchmark on an error.
func (be *benchEngine) syscall(tb testing.TB, call string, args []Arg) uint64 {
	res, known := be.r.Pers.Syscall(be.e, be.p, call, args)
	if !known || res.Failed() {
		tb.Fatalf("%s%v: %v (known %v)", call, args, res, known)
	}
	return res.Ret
}

// build maps the n-entry layout with MAP_FIXED mmaps and checks the count.
func (be *benchEngine) build(tb testing.TB, n int) {
	tb.Helper()
	args := []Arg{{}, {}, {}, {Val: benchAnon | fbMapFixed}, {Val: benchNoFD}, {Val: 0}}
	for i := 0; i < n; i++ {
		first, pages := benchEntry(n, i)
		addr := uint64(benchBase + first*benchPage)
		args[0].Val, args[1].Val, args[2].Val = addr, uint64(pages*benchPage), benchProt(i)
		if got := be.syscall(tb, "mmap", args); got != addr {
			tb.Fatalf("mmap fixed %#x returned %#x", addr, got)
		}
	}
	if got := be.p.VS.Map.NEntries; got != n {
		tb.Fatalf("layout has %d entries, want %d", got, n)
	}
}

// BenchmarkMmapMunmap: one op is a non-fixed mmap of 4 KiB of anonymous
// private RW memory followed by munmap of the returned address, with n
// entries in the map. The engine places it at the FreeBSD hint (the end of
// the data limit, 0x800400000), Linux top-down from mmap_base: neither is
// next to the layout. The engine creates and removes an entry each time;
// Linux usually extends and shrinks a neighbouring anonymous VMA of the Go
// runtime instead (the vma-merged metric says which), so kernel-newvma
// repeats the kernel side with a hint between two PROT_NONE pages, where a
// new VMA is created and destroyed each time.
func BenchmarkMmapMunmap(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("engine/entries=%d", n), func(b *testing.B) { benchEngineMmapMunmap(b, n) })
	}
	if kernelBench.mmapMunmap != nil {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("kernel/entries=%d", n), func(b *testing.B) { kernelBench.mmapMunmap(b, n) })
		}
	}
	if kernelBench.mmapMunmapNewVMA != nil {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("kernel-newvma/entries=%d", n), func(b *testing.B) { kernelBench.mmapMunmapNewVMA(b, n) })
		}
	}
}

func benchEngineMmapMunmap(b *testing.B, n int) {
	be := newBenchEngine(b)
	be.build(b, n)
	pers, e, p := be.r.Pers, be.e, be.p
	mm := []Arg{{Val: 0}, {Val: benchPage}, {Val: benchProtRW}, {Val: benchAnon}, {Val: benchNoFD}, {Val: 0}}
	mu := []Arg{{}, {Val: benchPage}}
	// One checked round: the new entry is outside the layout, and munmap
	// leaves exactly the layout.
	addr := be.syscall(b, "mmap", mm)
	if addr >= benchBase && addr < benchBase+uint64(benchLayoutPages(n)*benchPage) {
		b.Fatalf("mmap landed inside the layout at %#x", addr)
	}
	if got := p.VS.Map.NEntries; got != n+1 {
		b.Fatalf("after mmap: %d entries, want %d", got, n+1)
	}
	mu[0].Val = addr
	be.syscall(b, "munmap", mu)
	if got := p.VS.Map.NEntries; got != n {
		b.Fatalf("after munmap: %d entries, want %d", got, n)
	}
	b.ReportAllocs()
	cpu := newCPUMeter(b)
	defer cpu.Done()
	ops := 0
	for b.Loop() {
		r, _ := pers.Syscall(e, p, "mmap", mm)
		if r.Errno != "" {
			b.Fatalf("mmap: %v", r)
		}
		mu[0].Val = r.Ret
		if r, _ = pers.Syscall(e, p, "munmap", mu); r.Errno != "" {
			b.Fatalf("munmap: %v", r)
		}
		ops++
	}
	cpu.Report(ops)
	if got := p.VS.Map.NEntries; got != n {
		b.Fatalf("after the loop: %d entries, want %d", got, n)
	}
}

// BenchmarkMprotect: one op is an mprotect of the middle page of the
// three-page RW entry to R (the entry splits into three) and an mprotect of
// it back to RW (the three merge into one), with n entries in the map.
func BenchmarkMprotect(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("engine/entries=%d", n), func(b *testing.B) { benchEngineMprotect(b, n) })
	}
	if kernelBench.mprotect != nil {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("kernel/entries=%d", n), func(b *testing.B) { kernelBench.mprotect(b, n) })
		}
	}
}

func benchEngineMprotect(b *testing.B, n int) {
	be := newBenchEngine(b)
	be.build(b, n)
	pers, e, p := be.r.Pers, be.e, be.p
	first, _ := benchEntry(n, benchTarget(n))
	mid := uint64(benchBase + (first+1)*benchPage)
	toR := []Arg{{Val: mid}, {Val: benchPage}, {Val: benchProtR}}
	toRW := []Arg{{Val: mid}, {Val: benchPage}, {Val: benchProtRW}}
	// One checked round: split into three, merge back into one. (The first
	// split also gives the entry its anonymous object, as FreeBSD's
	// vm_map_entry_charge_object does; later rounds reuse it.)
	be.syscall(b, "mprotect", toR)
	if got := p.VS.Map.NEntries; got != n+2 {
		b.Fatalf("after split: %d entries, want %d", got, n+2)
	}
	be.syscall(b, "mprotect", toRW)
	if got := p.VS.Map.NEntries; got != n {
		b.Fatalf("after merge: %d entries, want %d", got, n)
	}
	b.ReportAllocs()
	cpu := newCPUMeter(b)
	defer cpu.Done()
	ops := 0
	for b.Loop() {
		if r, _ := pers.Syscall(e, p, "mprotect", toR); r.Errno != "" {
			b.Fatalf("mprotect R: %v", r)
		}
		if r, _ := pers.Syscall(e, p, "mprotect", toRW); r.Errno != "" {
			b.Fatalf("mprotect RW: %v", r)
		}
		ops++
	}
	cpu.Report(ops)
	if got := p.VS.Map.NEntries; got != n {
		b.Fatalf("after the loop: %d entries, want %d", got, n)
	}
}

// BenchmarkBytesPerEntry reports B/entry: the live heap an n-entry map
// costs the engine (runtime.MemStats HeapAlloc after minus before building
// the layout, each after a full GC, divided by n). ns/op is the time to
// build the layout in a fresh engine (n MAP_FIXED mmaps); ns/entry is that
// divided by n. The kernel child estimates the same from /proc/slabinfo.
func BenchmarkBytesPerEntry(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("engine/entries=%d", n), func(b *testing.B) { benchEngineBytesPerEntry(b, n) })
	}
	if kernelBench.bytesPerEntry != nil {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("kernel/entries=%d", n), func(b *testing.B) { kernelBench.bytesPerEntry(b, n) })
		}
	}
}

func benchEngineBytesPerEntry(b *testing.B, n int) {
	cpu := newCPUMeter(b)
	defer cpu.Done()
	ops := 0
	for b.Loop() {
		be := newBenchEngine(b)
		be.build(b, n)
		ops++
	}
	cpu.Report(ops)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops)/float64(n), "ns/entry")
	b.ReportMetric(engineBytesPerEntry(b, n), "B/entry")
}

// engineBytesPerEntry measures the heap growth of building the n-entry
// layout in an engine that already has its process.
func engineBytesPerEntry(tb testing.TB, n int) float64 {
	be := newBenchEngine(tb)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	be.build(tb, n)
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(be)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// BenchmarkFault: one op is a write to a fresh page of anonymous private RW
// memory (write fault, zero fill, PTE enter), with n entries in the map. The
// pages come from 64 MiB regions mapped (and unmapped when used up) with the
// timer stopped; the first touch of a region also creates its object.
// Engine only.
func BenchmarkFault(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("engine/entries=%d", n), func(b *testing.B) { benchEngineFault(b, n) })
	}
}

func benchEngineFault(b *testing.B, n int) {
	be := newBenchEngine(b)
	be.build(b, n)
	e, p := be.e, be.p
	mm := []Arg{{Val: 0}, {Val: benchChunkPgs * benchPage}, {Val: benchProtRW}, {Val: benchAnon}, {Val: benchNoFD}, {Val: 0}}
	mu := []Arg{{}, {Val: benchChunkPgs * benchPage}}
	region := be.syscall(b, "mmap", mm)
	next := 0
	value := uint64(1)
	b.ReportAllocs()
	cpu := newCPUMeter(b)
	defer cpu.Done()
	ops := 0
	for b.Loop() {
		if next == benchChunkPgs {
			b.StopTimer()
			cpu.Stop()
			mu[0].Val = region
			be.syscall(b, "munmap", mu)
			region = be.syscall(b, "mmap", mm)
			next = 0
			cpu.Start()
			b.StartTimer()
		}
		if sig := e.Touch(p, region+uint64(next)*benchPage, 1, AccessWrite, value); sig != SigNone {
			b.Fatalf("touch: %v", sig)
		}
		next++
		value++
		ops++
	}
	cpu.Report(ops)
	if pte, ok := p.VS.Pmap.Lookup(e.atop(region)); !ok || !pte.Modified {
		b.Fatalf("the first page of the region is not mapped dirty: %+v %v", pte, ok)
	}
}

// BenchmarkFork: fork of a process whose map holds 1,000 entries (the
// layout above), then exit of the child. ns/op is fork + exit; fork-ns/op
// and exit-ns/op split it. "untouched": no entry has an object yet;
// "resident": every entry has one resident page (written in RW entries,
// read in R ones), so fork shadows, copies PTEs and write-protects. Engine
// only.
func BenchmarkFork(b *testing.B) {
	const n = 1000
	for _, resident := range []bool{false, true} {
		name := "untouched"
		if resident {
			name = "resident"
		}
		b.Run(fmt.Sprintf("engine/entries=%d/%s", n, name), func(b *testing.B) { benchEngineFork(b, n, resident) })
	}
}

func benchEngineFork(b *testing.B, n int, resident bool) {
	be := newBenchEngine(b)
	be.build(b, n)
	e, p := be.e, be.p
	if resident {
		for i := 0; i < n; i++ {
			first, _ := benchEntry(n, i)
			acc := AccessRead
			if benchProt(i) == benchProtRW {
				acc = AccessWrite
			}
			if sig := e.Touch(p, uint64(benchBase+first*benchPage), 1, acc, uint64(i+1)); sig != SigNone {
				b.Fatalf("touch entry %d: %v", i, sig)
			}
		}
	}
	var forkT, exitT time.Duration
	ops := 0
	b.ReportAllocs()
	cpu := newCPUMeter(b)
	defer cpu.Done()
	for b.Loop() {
		t0 := time.Now()
		c, err := e.Fork(p, 0)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if ops == 0 && c.VS.Map.NEntries != n {
			b.Fatalf("child has %d entries, want %d", c.VS.Map.NEntries, n)
		}
		e.Exit(c)
		forkT += t1.Sub(t0)
		exitT += time.Since(t1)
		ops++
	}
	cpu.Report(ops)
	b.ReportMetric(float64(forkT.Nanoseconds())/float64(ops), "fork-ns/op")
	b.ReportMetric(float64(exitT.Nanoseconds())/float64(ops), "exit-ns/op")
	if got := p.VS.Map.NEntries; got != n {
		b.Fatalf("parent has %d entries after the loop, want %d", got, n)
	}
}

// BenchmarkCallFloor measures the fixed cost of a system call through the
// personality, the part of every op above that does no map work:
// getpagesize (decode and dispatch only) and munmap of a page where nothing
// is mapped (argument checks and one lookup). Its wasm/native ratio is the
// floor under the other benchmarks' ratios.
func BenchmarkCallFloor(b *testing.B) {
	for _, c := range []struct {
		name, call string
		args       []Arg
	}{
		{"getpagesize", "getpagesize", nil},
		{"munmap-hole", "munmap", []Arg{{Val: benchBase - 16*benchPage}, {Val: benchPage}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			be := newBenchEngine(b)
			be.build(b, 100)
			be.syscall(b, c.call, c.args) // known and successful
			pers, e, p := be.r.Pers, be.e, be.p
			b.ReportAllocs()
			cpu := newCPUMeter(b)
			defer cpu.Done()
			ops := 0
			for b.Loop() {
				if r, _ := pers.Syscall(e, p, c.call, c.args); r.Errno != "" {
					b.Fatalf("%s: %v", c.call, r)
				}
				ops++
			}
			cpu.Report(ops)
		})
	}
}
