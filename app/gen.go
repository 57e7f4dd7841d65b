package app

import (
	"fmt"
	"strings"
)

// MillionTrace returns a trace of n events in the scenario syntax for the
// benchmarks: one 64-page mapping, then rounds of mprotect, touch and
// madvise over its pages, so that entries split and merge all the time
// while the state stays small.
func MillionTrace(n int) string {
	var b strings.Builder
	b.Grow(n * 48)
	const base = 0x10000000
	b.WriteString("mmap(0x10000000, 64*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON|MAP_FIXED, -1, 0) = 0x10000000\n")
	for i := 1; i < n; i++ {
		pg := uint64((i / 3) % 64)
		addr := base + pg*4096
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "mprotect(%#x, 4096, PROT_READ)\n", addr)
		case 1:
			fmt.Fprintf(&b, "touch(%#x, 4096, \"r\")\n", addr)
		case 2:
			fmt.Fprintf(&b, "mprotect(%#x, 4096, PROT_READ|PROT_WRITE)\n", addr)
		}
	}
	return b.String()
}

// ManyEntries returns a scenario that leaves n map entries (n even): one
// mapping of n pages with every other page made read-only.
func ManyEntries(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %d map entries: every other page of one mapping is read-only\n", n)
	fmt.Fprintf(&b, "mmap(0x100000000, %d*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON|MAP_FIXED, -1, 0) = 0x100000000\n", n)
	for i := 0; i < n/2; i++ {
		fmt.Fprintf(&b, "mprotect(%#x, P, PROT_READ)\n", 0x100000000+uint64(2*i+1)*4096)
	}
	return b.String()
}
