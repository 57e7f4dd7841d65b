package vmengine

import (
	"fmt"
	"sort"
	"strings"
)

// Errno is an error number by name ("EINVAL"); "" means success.
type Errno string

// Arg is one decoded system call argument: a number, and for strings and
// fds with paths (strace -yy) the text too; for structs the named fields.
type Arg struct {
	Val    uint64
	Str    string
	IsStr  bool
	Path   string // "3</usr/lib/libc.so.6>" gives Val 3, Path "/usr/lib/libc.so.6"
	Fields map[string]uint64
	// IsArray marks an argument written as an array ("[1, 0, 1]"): data,
	// not a pointer.
	IsArray bool
	// FromTrace marks arguments of a real trace's line: files the engine
	// never saw opened are then taken as unknown external files.
	FromTrace bool
}

// Result is the outcome of one system call or access.
type Result struct {
	Ret    uint64
	Errno  Errno
	Signal Signal
	Child  int  // pid/tid of a created process or thread
	NoRet  bool // the call does not return (exit)
	// Why names the kernel rule behind an error or signal, for people:
	// "MAP_ANON needs fd -1 and offset 0 (kern_mmap)".
	Why string
}

// Failed reports whether the call returned an error or raised a signal.
func (r Result) Failed() bool { return r.Errno != "" || r.Signal != SigNone }

// String renders the result as strace would ("0x7f..", "-1 EINVAL", "SIGSEGV SEGV_ACCERR").
func (r Result) String() string {
	switch {
	case r.Signal != SigNone:
		return r.Signal.String()
	case r.Errno != "":
		return "-1 " + string(r.Errno)
	case r.NoRet:
		return "?"
	}
	if r.Ret > 0xffff {
		return fmt.Sprintf("%#x", r.Ret)
	}
	return fmt.Sprintf("%d", int64(r.Ret))
}

// Personality decodes and checks system call arguments the way one kernel
// does, runs them on the engine and maps KERN_* results to errno. Each
// personality keeps its constants, argument checks and errno rules in its
// own file.
type Personality interface {
	Name() string
	// Setup configures a new engine (layout, switches) for this kernel.
	Setup(e *Engine)
	// Const resolves a symbolic constant (flag name) to its value.
	Const(name string) (uint64, bool)
	// Macro resolves a function-like constant such as PROT_MAX(x).
	Macro(name string, args []uint64) (uint64, bool)
	// Syscall runs one call for process p. ok is false for a call the
	// personality does not know.
	Syscall(e *Engine, p *Process, call string, args []Arg) (r Result, ok bool)
	// Names lists the calls and constants it knows (for completion).
	Names() (calls, consts []string)
}

// PersonalityByName returns a personality: "freebsd" (FreeBSD 14, the
// default), "freebsd6" (the 2006 checks of seed 001) or "linux".
func PersonalityByName(name string) (Personality, error) {
	switch strings.ToLower(name) {
	case "", "freebsd", "freebsd14":
		return newFreeBSD(false), nil
	case "freebsd6":
		return newFreeBSD(true), nil
	case "linux", "linux-x86_64", "linux-amd64":
		return linux{}, nil
	}
	return nil, fmt.Errorf("unknown personality %q (want freebsd, freebsd6 or linux)", name)
}

func sortedKeys(m map[string]uint64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
