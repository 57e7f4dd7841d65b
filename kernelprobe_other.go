//go:build !linux

package main

import "io"

// writeKernelSettings has nothing to probe off Linux.
func writeKernelSettings(w io.Writer) error { return nil }
