//go:build linux

package main

import (
	"fmt"
	"io"
	"unsafe"

	"golang.org/x/sys/unix"
)

// writeKernelSettings probes the running kernel for the features that
// change what memory calls return and writes them as @set lines, so a
// replay of the trace models this kernel: CONFIG_ANON_VMA_NAME (prctl
// PR_SET_VMA names anonymous memory or fails with EINVAL) and protection
// keys (pkey_alloc works, so execute-only memory faults reads).
func writeKernelSettings(w io.Writer) error {
	mem, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return err
	}
	defer unix.Munmap(mem)
	name := []byte("vmscope-probe\x00")
	_, _, errno := unix.Syscall6(unix.SYS_PRCTL, unix.PR_SET_VMA, unix.PR_SET_VMA_ANON_NAME,
		uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&name[0])), 0)
	named := errno == 0
	key, _, errno := unix.Syscall(unix.SYS_PKEY_ALLOC, 0, 0, 0)
	pku := errno == 0
	if pku {
		unix.Syscall(unix.SYS_PKEY_FREE, key, 0, 0)
	}
	_, err = fmt.Fprintf(w, "@set anon_vma_name %d\n@set pku %d\n", b2i(named), b2i(pku))
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
