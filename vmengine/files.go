package vmengine

// File and resource-limit calls shared by the personalities: they act on the
// engine's simulated file system and on the limits the VM honours.

type openFlagBits struct{ acc, wr, rdwr, creat, trunc, appnd, excl uint64 }

// fileOpen implements open/openat(dirfd, path, flags, mode) on the
// simulated file system: the lowest free fd is returned.
func fileOpen(e *Engine, p *Process, args []Arg, pathArg int, fl openFlagBits) (Result, bool) {
	if pathArg >= len(args) || !args[pathArg].IsStr {
		return fail("EFAULT")
	}
	path := args[pathArg].Str
	flags := argv(args, pathArg+1)
	f, exists := e.fs.Lookup(path)
	if !exists {
		if flags&fl.creat == 0 {
			return fail("ENOENT")
		}
		f = e.fs.Create(path)
	} else if flags&fl.creat != 0 && flags&fl.excl != 0 {
		return fail("EEXIST")
	}
	acc := flags & fl.acc
	e.nextDesc++
	d := &FD{File: f, Desc: e.nextDesc, Read: acc != fl.wr, Write: acc == fl.wr || acc == fl.rdwr, AppendMode: flags&fl.appnd != 0}
	if f.Kind == FileDir && d.Write {
		return fail("EISDIR")
	}
	if flags&fl.trunc != 0 && d.Write && f.Kind == FileRegular {
		e.Truncate(f, 0)
	}
	fd := 3
	for p.FDs[fd] != nil {
		fd++
	}
	p.FDs[fd] = d
	return ok(uint64(fd))
}

// fileCall implements ftruncate, write, pwrite/pwrite64 and close.
func fileCall(e *Engine, p *Process, call string, args []Arg) (Result, bool) {
	d := p.FDs[int(argv(args, 0))]
	if d == nil {
		return fail("EBADF")
	}
	switch call {
	case "close":
		delete(p.FDs, int(argv(args, 0)))
		return ok(0)
	case "ftruncate":
		if !d.Write || d.File.Kind != FileRegular {
			return fail("EINVAL")
		}
		e.Truncate(d.File, argv(args, 1))
		return ok(0)
	case "write", "pwrite", "pwrite64":
		if !d.Write {
			return fail("EBADF")
		}
		n := argv(args, 2)
		var value uint64 = 1
		if len(args) > 1 && args[1].IsStr && len(args[1].Str) > 0 {
			value = uint64(args[1].Str[0])
		}
		off := d.Offset
		if call != "write" {
			off = argv(args, 3)
		} else if d.AppendMode {
			off = d.File.Size
		}
		if d.File.Kind == FileRegular {
			e.WriteFile(d.File, off, n, value)
		}
		if call == "write" {
			d.Offset = off + n
		}
		return ok(n)
	}
	return Result{}, false
}

const (
	rlData = iota
	rlStack
	rlMemLock
	rlVMem
)

// rlimitCall implements setrlimit(res, {rlim_cur, rlim_max}),
// prlimit64(pid, res, new, old) and getrlimit for the limits the VM uses.
// ids maps the personality's resource numbers; inf is its RLIM_INFINITY.
func rlimitCall(e *Engine, p *Process, call string, args []Arg, ids map[uint64]int, inf uint64) (Result, bool) {
	resArg, newArg := 0, 1
	if call == "prlimit64" {
		resArg, newArg = 1, 2
	}
	which, known := ids[argv(args, resArg)]
	if call == "getrlimit" {
		if !known {
			return ok(0)
		}
		return ok(0)
	}
	if newArg >= len(args) || args[newArg].Fields == nil {
		return ok(0) // a query (prlimit64 with new == NULL)
	}
	cur, hasCur := args[newArg].Fields["rlim_cur"]
	mx, hasMax := args[newArg].Fields["rlim_max"]
	if !hasCur || !hasMax {
		return fail("EFAULT")
	}
	if cur > mx {
		return fail("EINVAL")
	}
	if !known {
		return ok(0)
	}
	conv := func(v uint64) uint64 {
		if v >= inf {
			return Infinity
		}
		return v
	}
	cur, mx = conv(cur), conv(mx)
	vs := p.VS
	fields := [4]*uint64{&vs.Lim.Data, &vs.Lim.Stack, &vs.Lim.MemLock, &vs.Lim.VMem}
	maxes := [4]*uint64{&vs.LimMax.Data, &vs.LimMax.Stack, &vs.LimMax.MemLock, &vs.LimMax.VMem}
	if mx > *maxes[which] && !e.cfg.Privileged {
		return fail("EPERM")
	}
	*fields[which], *maxes[which] = cur, mx
	return ok(0)
}
