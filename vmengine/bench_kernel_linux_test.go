//go:build linux && !wasm

package vmengine

// The kernel halves of the side-by-side benchmarks in bench_test.go: the
// same operations as real Linux system calls in the test process itself,
// made with unix.RawSyscall6 (no errno wrapping, no entersyscall/exitsyscall
// of the Go scheduler, so nothing but the kernel's own cost is added to the
// kernel's side). The n-entry layout is built at the same address as the
// engine's: a PROT_NONE reservation at benchBase (MAP_FIXED_NOREPLACE), then
// one MAP_FIXED mmap per entry with alternating protections, so Linux keeps
// n VMAs there. Sizes that would not fit under vm.max_map_count are skipped.

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	kernelBench.mmapMunmap = func(b *testing.B, n int) { kernelMmapMunmap(b, n, false) }
	kernelBench.mmapMunmapNewVMA = func(b *testing.B, n int) { kernelMmapMunmap(b, n, true) }
	kernelBench.mprotect = kernelMprotect
	kernelBench.bytesPerEntry = kernelBytesPerEntry
	kernelBench.threadCPU = kernelThreadCPU
}

// kernelThreadCPU is CLOCK_THREAD_CPUTIME_ID: the user and system time of
// the calling thread.
func kernelThreadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

const kernelNoFD = ^uintptr(0)

func kmmap(addr, length, prot, flags uintptr) (uintptr, unix.Errno) {
	r, _, errno := unix.RawSyscall6(unix.SYS_MMAP, addr, length, prot, flags, kernelNoFD, 0)
	return r, errno
}

func kmunmap(addr, length uintptr) unix.Errno {
	_, _, errno := unix.RawSyscall6(unix.SYS_MUNMAP, addr, length, 0, 0, 0, 0)
	return errno
}

func kmprotect(addr, length, prot uintptr) unix.Errno {
	_, _, errno := unix.RawSyscall6(unix.SYS_MPROTECT, addr, length, prot, 0, 0, 0)
	return errno
}

// kernelMaxMapCount reads vm.max_map_count (65530 if it cannot be read).
func kernelMaxMapCount() int {
	data, err := os.ReadFile("/proc/sys/vm/max_map_count")
	if err != nil {
		return 65530
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 65530
	}
	return n
}

// kernelMaps counts the VMAs of this process, and those starting in
// [lo, hi).
func kernelMaps(tb testing.TB, lo, hi uintptr) (total, in int) {
	tb.Helper()
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		total++
		dash := bytes.IndexByte(line, '-')
		if dash < 0 {
			continue
		}
		start, err := strconv.ParseUint(string(line[:dash]), 16, 64)
		if err == nil && uintptr(start) >= lo && uintptr(start) < hi {
			in++
		}
	}
	return total, in
}

// kernelLayout is the n-entry layout in this process.
type kernelLayout struct {
	n          int
	base, size uintptr
}

func (kl *kernelLayout) entryAddr(i int) uintptr {
	first, _ := benchEntry(kl.n, i)
	return kl.base + uintptr(first*benchPage)
}

// kernelBuild maps the n-entry layout, checks that Linux holds exactly n
// VMAs there and registers its removal with b.Cleanup. It skips when n (plus
// the two entries a split adds and this process's own mappings) would not
// fit under vm.max_map_count.
func kernelBuild(b *testing.B, n int) *kernelLayout {
	b.Helper()
	kl := kernelMapLayout(b, n, true)
	kl.check(b)
	b.Cleanup(func() { kl.unmap(b) })
	return kl
}

// check fails (after unmapping the layout) unless Linux holds exactly n
// VMAs in it.
func (kl *kernelLayout) check(b *testing.B) {
	b.Helper()
	if total, in := kernelMaps(b, kl.base, kl.base+kl.size); in != kl.n {
		kl.unmap(b)
		b.Fatalf("the kernel holds %d VMAs in the layout (of %d in all), want %d", in, total, kl.n)
	}
}

// kernelMapLayout maps the n-entry layout; with fit it first skips the
// benchmark if the layout would not fit under vm.max_map_count.
func kernelMapLayout(b *testing.B, n int, fit bool) *kernelLayout {
	b.Helper()
	if fit {
		max := kernelMaxMapCount()
		if total, _ := kernelMaps(b, 0, 0); total+n+2+64 > max {
			b.Skipf("%d entries + %d existing mappings do not fit under vm.max_map_count=%d", n, total, max)
		}
	}
	size := uintptr(benchLayoutPages(n) * benchPage)
	base, errno := kmmap(benchBase, size, unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED_NOREPLACE)
	if errno != 0 {
		// Something already lives at benchBase: let the kernel place it.
		if base, errno = kmmap(0, size, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE); errno != 0 {
			b.Fatalf("reserve %d bytes: %v", size, errno)
		}
	}
	kl := &kernelLayout{n: n, base: base, size: size}
	for i := 0; i < n; i++ {
		_, pages := benchEntry(n, i)
		addr := kl.entryAddr(i)
		got, errno := kmmap(addr, uintptr(pages*benchPage), uintptr(benchProt(i)),
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED)
		if errno != 0 || got != addr {
			kl.unmap(b)
			b.Fatalf("mmap fixed %#x: %#x %v", addr, got, errno)
		}
	}
	return kl
}

func (kl *kernelLayout) unmap(tb testing.TB) {
	if errno := kmunmap(kl.base, kl.size); errno != 0 {
		tb.Errorf("munmap layout: %v", errno)
	}
}

// kernelMmapMunmap: mmap of one anonymous RW page with no MAP_FIXED, then
// munmap. With newVMA the mmap's hint is a free page between two PROT_NONE
// pages (Linux takes a free hint as it is), so no neighbour can absorb the
// page and every op creates and destroys a VMA; without it the hint is 0 and
// Linux places the page top-down, where it usually merges with the Go
// runtime's anonymous RW mapping above it (reported as vma-merged 1).
func kernelMmapMunmap(b *testing.B, n int, newVMA bool) {
	kl := kernelBuild(b, n)
	const prot, flags = unix.PROT_READ | unix.PROT_WRITE, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	hint := uintptr(0)
	if newVMA {
		fence, errno := kmmap(0, 3*benchPage, unix.PROT_NONE, flags|unix.MAP_NORESERVE)
		if errno != 0 {
			b.Fatalf("mmap fence: %v", errno)
		}
		b.Cleanup(func() { kmunmap(fence, 3*benchPage) })
		hint = fence + benchPage
		if errno := kmunmap(hint, benchPage); errno != 0 {
			b.Fatalf("munmap fence middle: %v", errno)
		}
	}
	// One checked round: the new mapping is outside the layout, and lands on
	// the hint when there is one.
	before, _ := kernelMaps(b, 0, 0)
	addr, errno := kmmap(hint, benchPage, prot, flags)
	if errno != 0 {
		b.Fatalf("mmap: %v", errno)
	}
	after, _ := kernelMaps(b, 0, 0)
	if addr >= kl.base && addr < kl.base+kl.size {
		b.Fatalf("mmap landed inside the layout at %#x", addr)
	}
	if newVMA && (addr != hint || after != before+1) {
		b.Fatalf("mmap at hint %#x gave %#x and %d -> %d VMAs, want the hint and one more VMA", hint, addr, before, after)
	}
	merged := 0.0
	if after == before {
		merged = 1
	}
	if errno := kmunmap(addr, benchPage); errno != 0 {
		b.Fatalf("munmap: %v", errno)
	}
	cpu := newCPUMeter(b)
	defer cpu.Done()
	ops := 0
	for b.Loop() {
		addr, _, errno := unix.RawSyscall6(unix.SYS_MMAP, hint, benchPage, prot, flags, kernelNoFD, 0)
		if errno != 0 {
			b.Fatalf("mmap: %v", errno)
		}
		if _, _, errno = unix.RawSyscall6(unix.SYS_MUNMAP, addr, benchPage, 0, 0, 0, 0); errno != 0 {
			b.Fatalf("munmap: %v", errno)
		}
		ops++
	}
	cpu.Report(ops)
	b.ReportMetric(merged, "vma-merged")
	if _, in := kernelMaps(b, kl.base, kl.base+kl.size); in != n {
		b.Fatalf("after the loop: %d VMAs in the layout, want %d", in, n)
	}
}

func kernelMprotect(b *testing.B, n int) {
	kl := kernelBuild(b, n)
	mid := kl.entryAddr(benchTarget(n)) + benchPage
	// One checked round: Linux splits the VMA into three and merges them back.
	if errno := kmprotect(mid, benchPage, unix.PROT_READ); errno != 0 {
		b.Fatalf("mprotect R: %v", errno)
	}
	if _, in := kernelMaps(b, kl.base, kl.base+kl.size); in != n+2 {
		b.Fatalf("after split: %d VMAs in the layout, want %d", in, n+2)
	}
	if errno := kmprotect(mid, benchPage, unix.PROT_READ|unix.PROT_WRITE); errno != 0 {
		b.Fatalf("mprotect RW: %v", errno)
	}
	if _, in := kernelMaps(b, kl.base, kl.base+kl.size); in != n {
		b.Fatalf("after merge: %d VMAs in the layout, want %d", in, n)
	}
	cpu := newCPUMeter(b)
	defer cpu.Done()
	ops := 0
	for b.Loop() {
		if _, _, errno := unix.RawSyscall6(unix.SYS_MPROTECT, mid, benchPage, unix.PROT_READ, 0, 0, 0); errno != 0 {
			b.Fatalf("mprotect R: %v", errno)
		}
		if _, _, errno := unix.RawSyscall6(unix.SYS_MPROTECT, mid, benchPage, unix.PROT_READ|unix.PROT_WRITE, 0, 0, 0); errno != 0 {
			b.Fatalf("mprotect RW: %v", errno)
		}
		ops++
	}
	cpu.Report(ops)
}

// kernelSlabCaches are the slab caches that hold a VMA and its maple-tree
// index (anon_vma and its chains appear only once a page is faulted in,
// which these layouts never are).
var kernelSlabCaches = []string{"vm_area_struct", "maple_node", "anon_vma", "anon_vma_chain"}

// kernelSlabBytes sums active_objs*objsize over kernelSlabCaches, or
// returns false if /proc/slabinfo cannot be read.
func kernelSlabBytes() (int64, bool) {
	f, err := os.Open("/proc/slabinfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var sum int64
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 4 {
			continue
		}
		for _, name := range kernelSlabCaches {
			if fs[0] != name {
				continue
			}
			active, err1 := strconv.ParseInt(fs[1], 10, 64)
			size, err2 := strconv.ParseInt(fs[3], 10, 64)
			if err1 == nil && err2 == nil {
				sum += active * size
				found++
			}
		}
	}
	return sum, found > 0
}

// kernelBytesPerEntry: ns/op is the time to build (and tear down) the
// n-entry layout; B/entry is the growth of the VMA and maple-tree slab
// caches while the layout exists, divided by n. It is an estimate: the
// caches are system-wide and SLUB counts per-CPU free objects as active.
func kernelBytesPerEntry(b *testing.B, n int) {
	// Skip early (and check the layout once) before timing.
	kl := kernelMapLayout(b, n, true)
	kl.check(b)
	kl.unmap(b)
	cpu := newCPUMeter(b)
	defer cpu.Done()
	ops := 0
	for b.Loop() {
		kl := kernelMapLayout(b, n, false)
		kl.unmap(b)
		ops++
	}
	cpu.Report(ops)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops)/float64(n), "ns/entry")
	before, ok := kernelSlabBytes()
	if !ok {
		return
	}
	kl = kernelMapLayout(b, n, false)
	after, _ := kernelSlabBytes()
	kl.unmap(b)
	b.ReportMetric(float64(after-before)/float64(n), "B/entry")
}
