package vmengine

import (
	"fmt"
	"strconv"
	"strings"

	"vmscope/vmengine/scenario"
)

// Runner executes parsed scenario lines (scenario files, console lines,
// strace logs, vmscope traces) on an engine through a personality, checking
// every expectation and snapshot.
type Runner struct {
	Eng  *Engine
	Pers Personality
	// CheckInvariants runs the invariant checker after every event (tests).
	CheckInvariants bool

	vars     map[string]uint64
	mainPID  int
	settings [][2]string // @set directives, re-applied after @personality
	argBuf   []Arg       // reused for each line's arguments
	// freshImage marks processes whose last event was an @image load.
	freshImage map[int]bool
	started    bool
	Events     int // events executed
	Passed     int // expectations that held
	Fails      []Failure
	// history records which event last changed which range, so that a
	// snapshot difference can name its cause.
	history changeLog
	files   []string // file names of history positions
	lastBrk map[int]uint64
	// Skipped counts strace lines for calls the engine does not model
	// (read, fstat, ...): they have no effect on memory.
	Skipped int
}

// change is one event that changed part of an address space: kept
// compact (a long trace has millions), its line named by position only.
type change struct {
	lo, hi uint64
	pid    int32
	line   int32
	col    int32
	file   int32 // index into Runner.files
}

// remember records the range a mapping call changed.
func (r *Runner) remember(pid int, l *scenario.Line, args []Arg, res Result) {
	if res.Failed() {
		return
	}
	var lo, hi uint64
	switch l.Name {
	case "mmap", "mmap2", "ommap":
		lo, hi = res.Ret, res.Ret+argv(args, 1)
	case "mremap":
		lo, hi = argv(args, 0), argv(args, 0)+argv(args, 1)
		r.history.add(r.change(pid, res.Ret, res.Ret+argv(args, 2), l.Pos))
	case "brk", "break", "obreak":
		prev, seen := r.lastBrk[pid]
		if r.lastBrk == nil {
			r.lastBrk = map[int]uint64{}
		}
		r.lastBrk[pid] = res.Ret
		if !seen || prev == res.Ret {
			return
		}
		lo, hi = min(prev, res.Ret), max(prev, res.Ret)
		lo &^= 0xfff
		hi = (hi + 0xfff) &^ 0xfff
	case "munmap", "mprotect", "pkey_mprotect", "madvise", "minherit", "mlock", "mlock2", "munlock", "prctl":
		lo, hi = argv(args, 0), argv(args, 0)+argv(args, 1)
		if l.Name == "prctl" {
			lo, hi = argv(args, 2), argv(args, 2)+argv(args, 3)
		}
	default:
		return
	}
	r.history.add(r.change(pid, lo, hi, l.Pos))
}

// changeLog is the runner's history of changes, in chunks of fixed size:
// appending never copies what is recorded, and a clone shares the full
// chunks, which are never written again.
type changeLog struct{ chunks [][]change }

const changeChunk = 4096

// add appends c.
func (h *changeLog) add(c change) {
	n := len(h.chunks)
	if n == 0 || len(h.chunks[n-1]) == changeChunk {
		h.chunks = append(h.chunks, make([]change, 0, changeChunk))
		n++
	}
	h.chunks[n-1] = append(h.chunks[n-1], c)
}

// clone returns a log with the same changes that appends independently
// of h: the full chunks are shared, the last one is copied.
func (h changeLog) clone() changeLog {
	n := len(h.chunks)
	if n == 0 {
		return changeLog{}
	}
	chunks := append(make([][]change, 0, n+1), h.chunks...)
	last := make([]change, len(h.chunks[n-1]), changeChunk)
	copy(last, h.chunks[n-1])
	chunks[n-1] = last
	return changeLog{chunks: chunks}
}

// lastMatch returns the most recent change for which match is true.
func (h *changeLog) lastMatch(match func(change) bool) (change, bool) {
	for i := len(h.chunks) - 1; i >= 0; i-- {
		chunk := h.chunks[i]
		for j := len(chunk) - 1; j >= 0; j-- {
			if match(chunk[j]) {
				return chunk[j], true
			}
		}
	}
	return change{}, false
}

func (r *Runner) change(pid int, lo, hi uint64, pos scenario.Pos) change {
	fi := len(r.files) - 1
	if fi < 0 || r.files[fi] != pos.File {
		r.files = append(r.files, pos.File)
		fi++
	}
	return change{lo: lo, hi: hi, pid: int32(pid), line: int32(pos.Line), col: int32(pos.Col), file: int32(fi)}
}

// cause returns the last recorded event of pid that changed [lo, hi).
func (r *Runner) cause(pid int, lo, hi uint64) string {
	c, found := r.history.lastMatch(func(c change) bool {
		return int(c.pid) == pid && c.lo < hi && lo < c.hi
	})
	if found {
		pos := scenario.Pos{File: r.files[c.file], Line: int(c.line), Col: int(c.col)}
		return fmt.Sprintf("last changed by the event at %v", pos)
	}
	return "no traced call changed this range: it comes from the exec image"
}

// Failure is one unmet expectation or snapshot difference.
type Failure struct {
	Pos      scenario.Pos
	Line     string
	Expected string
	Actual   string
	Msg      string
}

func (f Failure) String() string {
	s := f.Pos.String() + ": "
	if f.Msg != "" {
		s += f.Msg
	} else {
		s += fmt.Sprintf("expected %s, got %s", f.Expected, f.Actual)
	}
	if f.Line != "" {
		s += "\n    " + f.Line
	}
	return s
}

// NewRunner returns a runner over a fresh engine in personality pers
// (nil: freebsd).
func NewRunner(pers Personality) *Runner {
	if pers == nil {
		pers = newFreeBSD(false)
	}
	e := New(DefaultConfig(), FreeBSDLayout())
	pers.Setup(e)
	return &Runner{Eng: e, Pers: pers, vars: map[string]uint64{}, freshImage: map[int]bool{}}
}

// Vars returns the variables bound so far.
func (r *Runner) Vars() map[string]uint64 { return r.vars }

// MainPID returns the first process's pid (0 before any event).
func (r *Runner) MainPID() int { return r.mainPID }

// resolver evaluates names for the scenario expression evaluator.
type resolver struct{ r *Runner }

func (rs resolver) Ident(name string) (uint64, bool) {
	switch name {
	case "P", "PAGE_SIZE":
		return rs.r.Eng.cfg.PageSize, true
	}
	return rs.r.Pers.Const(name)
}

func (rs resolver) Macro(name string, args []uint64) (uint64, bool) {
	return rs.r.Pers.Macro(name, args)
}

func (rs resolver) Var(name string) (uint64, bool) {
	v, ok := rs.r.vars[name]
	return v, ok
}

// Event describes what one executed line did, for viewers.
type Event struct {
	Pos    scenario.Pos
	PID    int
	Call   string
	Text   string
	Result Result
	Failed bool // an expectation on this line did not hold
	Kind   scenario.Kind
}

// RunLines executes lines in order (after joining strace's
// unfinished/resumed halves) and returns the events.
func (r *Runner) RunLines(lines []scenario.Line) ([]Event, []error) {
	joined, errs := scenario.Join(lines)
	var evs []Event
	for _, l := range joined {
		ev, err := r.Line(l)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ev != nil {
			evs = append(evs, *ev)
		}
	}
	return evs, errs
}

// lenient reports whether l came from strace or a trace (a pid prefix or a
// timestamp): calls the engine does not model are then skipped rather than
// reported.
func lenient(l *scenario.Line) bool { return l.PID.Kind == scenario.PIDNum || l.Time != "" }

// Line executes one line. It returns nil for lines with no effect (comments,
// notes). Errors are about the line itself (bad syntax for this
// personality, unknown names); unmet expectations are recorded in Fails.
func (r *Runner) Line(l scenario.Line) (*Event, error) {
	switch l.Kind {
	case scenario.KindNone, scenario.KindNote:
		return nil, nil
	case scenario.KindDirective:
		return nil, r.directive(l)
	case scenario.KindBlock:
		return r.block(l)
	case scenario.KindSignal:
		return nil, nil
	case scenario.KindExit:
		// strace prints an exit line for every thread: only the last
		// thread of a group takes the process (and its address space) away.
		switch {
		case l.PID.Kind == scenario.PIDNum && r.Eng.Process(l.PID.Num) != nil:
			r.Eng.ExitThread(l.PID.Num)
		default:
			if p := r.process(&l); p != nil {
				r.Eng.Exit(p)
			}
		}
		r.Events++
		return &Event{Pos: l.Pos, Kind: l.Kind, Text: "exit"}, nil
	case scenario.KindCall:
		ev := new(Event)
		if ok, err := r.call(&l, ev); !ok {
			return nil, err
		}
		return ev, nil
	}
	return nil, nil
}

func (r *Runner) errorf(pos scenario.Pos, format string, a ...any) error {
	return &scenario.Error{Pos: pos, Msg: fmt.Sprintf(format, a...)}
}

// directive applies an @ directive.
func (r *Runner) directive(l scenario.Line) error {
	w := l.Words
	arg := func(i int) string {
		if i < len(w) {
			return w[i]
		}
		return ""
	}
	switch l.Name {
	case "personality":
		p, err := PersonalityByName(arg(0))
		if err != nil {
			return r.errorf(l.Pos, "%v", err)
		}
		if r.started {
			if p.Name() == r.Pers.Name() {
				return nil
			}
			return r.errorf(l.Pos, "@personality must come before the first event")
		}
		r.Pers = p
		cfg := r.Eng.cfg
		r.Eng = New(cfg, FreeBSDLayout())
		p.Setup(r.Eng)
		// Settings given before the personality still hold.
		for _, kv := range r.settings {
			if err := r.set(l.Pos, kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	case "pagesize":
		n, err := strconv.ParseUint(arg(0), 0, 64)
		if err != nil {
			return r.errorf(l.Pos, "@pagesize wants a number, got %q", arg(0))
		}
		c := r.Eng.cfg
		c.PageSize = n
		if err := r.Eng.SetConfig(c); err != nil {
			return r.errorf(l.Pos, "%v", err)
		}
		return nil
	case "set":
		if err := r.set(l.Pos, arg(0), arg(1)); err != nil {
			return err
		}
		r.settings = append(r.settings, [2]string{arg(0), arg(1)})
		return nil
	case "thread":
		// @thread TID PID: a thread that already existed when a tracer
		// attached (it has no clone line).
		tid, err1 := strconv.Atoi(arg(0))
		pid, err2 := strconv.Atoi(arg(1))
		if err1 != nil || err2 != nil {
			return r.errorf(l.Pos, "@thread wants a thread id and a process id, got %q", l.Text)
		}
		p := r.Eng.Process(pid)
		if p == nil {
			return r.errorf(l.Pos, "@thread %d: no process %d", tid, pid)
		}
		if r.Eng.Process(tid) == p {
			return nil
		}
		if _, err := r.Eng.AddThread(p, tid); err != nil {
			return r.errorf(l.Pos, "%v", err)
		}
		return nil
	case "arch", "cmd", "title", "describe", "step":
		return nil
	}
	return r.errorf(l.Pos, "unknown directive @%s (known: @personality, @pagesize, @set, @arch, @maps, @image)", l.Name)
}

func (r *Runner) set(pos scenario.Pos, name, val string) error {
	n, err := strconv.ParseUint(val, 0, 64)
	if err != nil {
		return r.errorf(pos, "@set %s wants a number, got %q", name, val)
	}
	c := r.Eng.cfg
	switch name {
	case "privileged":
		c.Privileged = n != 0
	case "wxorx":
		c.WXorX = n != 0
		for _, p := range r.Eng.procs {
			if n != 0 {
				p.VS.Map.Flags |= MapWXorX
			} else {
				p.VS.Map.Flags &^= MapWXorX
			}
		}
	case "imply_prot_max":
		c.ImplyProtMax = n != 0
	case "cluster_anon":
		c.ClusterAnon = n != 0
	case "max_map_entries", "max_map_count":
		c.MaxMapEntries = int(n)
	case "anon_vma_name":
		c.AnonVMAName = n != 0
	case "pku":
		c.PKU = n != 0
	case "max_user_wired":
		c.MaxUserWired = n
	case "stack_guard_page":
		c.StackGuard = n
	case "sgrowsiz":
		c.GrowSize = n
	case "aslr":
		if n != 0 {
			return r.errorf(pos, "ASLR is not modelled: placement is deterministic")
		}
	default:
		return r.errorf(pos, "unknown setting %q (privileged, wxorx, imply_prot_max, cluster_anon, max_map_entries, max_user_wired, stack_guard_page, sgrowsiz, anon_vma_name, pku)", name)
	}
	return r.Eng.SetConfig(c)
}

// process returns the process a line's prefix names, creating the main
// process on first use. nil if the prefix names a process that does not
// exist.
func (r *Runner) process(l *scenario.Line) *Process {
	switch l.PID.Kind {
	case scenario.PIDNone:
		return r.mainProcess(0)
	case scenario.PIDNum:
		if p := r.Eng.Process(l.PID.Num); p != nil {
			return p
		}
		if !r.started {
			return r.mainProcess(l.PID.Num)
		}
		// A thread or process strace shows before its creator's call
		// returned: it shares the main process for threads, so attach it.
		return nil
	case scenario.PIDVar:
		v, ok := r.vars[l.PID.Var]
		if !ok {
			return nil
		}
		return r.Eng.Process(int(v))
	}
	return nil
}

func (r *Runner) mainProcess(pid int) *Process {
	if r.mainPID != 0 {
		return r.Eng.Process(r.mainPID)
	}
	p, err := r.Eng.NewProcess(pid)
	if err != nil {
		return nil
	}
	r.mainPID = p.PID
	r.started = true
	return p
}

// evalArgs turns argument expressions into Args. A line from a trace
// (loose) evaluates leniently and marks its Args FromTrace. The slice is
// the runner's, valid until the next line.
func (r *Runner) evalArgs(l *scenario.Line, loose bool) ([]Arg, error) {
	args := r.argBuf[:0] // personalities do not keep their arguments
	for _, x := range l.Args {
		if n, ok := x.(*scenario.Num); ok && n != nil { // most of a trace
			args = append(args, Arg{Val: n.Value, FromTrace: loose})
			continue
		}
		a, err := r.evalArg(x, !loose)
		if err != nil {
			return nil, err
		}
		a.FromTrace = loose
		args = append(args, a)
	}
	r.argBuf = args[:0]
	return args, nil
}

func (r *Runner) evalArg(x scenario.Expr, strict bool) (Arg, error) {
	switch v := x.(type) {
	case *scenario.Str:
		return Arg{Str: v.Bytes, IsStr: true}, nil
	case *scenario.FdPath:
		return Arg{Val: uint64(v.Fd), Path: v.Path}, nil
	case *scenario.Named:
		a, err := r.evalArg(v.Expr, strict)
		if a.Fields == nil {
			a.Fields = map[string]uint64{}
		}
		a.Fields[v.Name] = a.Val
		return a, err
	case *scenario.Struct:
		a := Arg{Fields: map[string]uint64{}}
		for _, f := range v.Fields {
			if f.Name == "" {
				continue
			}
			n, err := scenario.Eval(f.Expr, resolver{r})
			if err != nil {
				if strict {
					return a, err
				}
				continue
			}
			a.Fields[f.Name] = n
		}
		return a, nil
	case *scenario.Array:
		return Arg{IsArray: true}, nil
	case *scenario.Ellipsis, *scenario.Raw:
		return Arg{}, nil
	}
	n, err := scenario.Eval(x, resolver{r})
	if err != nil && !strict {
		return Arg{}, nil
	}
	return Arg{Val: n}, err
}

// call executes one call line and checks its expectation. It reports
// whether the line was an event, and then fills *ev with it; a call the
// trace makes on something the engine does not model is no event (and
// no error when the line comes from a trace).
func (r *Runner) call(l *scenario.Line, ev *Event) (bool, error) {
	loose := lenient(l)
	p := r.process(l)
	if p == nil {
		if loose {
			if l.PID.Kind == scenario.PIDNum && r.mainPID != 0 {
				// A task strace shows before its creator's clone returned.
				r.Skipped++
				return false, nil
			}
		}
		return false, r.errorf(l.Pos, "no process %s (bind it first, e.g. fork() = $child)", l.PID.String())
	}
	if len(r.freshImage) > 0 {
		defer delete(r.freshImage, p.PID)
	}
	if loose && traceFileCall[l.Name] {
		// A real trace's files are not in the engine's file system: fds
		// reach mmap as "3</path>" instead.
		r.Skipped++
		return false, nil
	}
	args, err := r.evalArgs(l, loose)
	if err != nil {
		return false, err
	}
	res, known, err := r.exec(p, l, args)
	if err != nil {
		return false, err
	}
	if !known {
		if loose {
			r.Skipped++
			return false, nil
		}
		return false, r.errorf(l.Pos, "unknown call %s for personality %s", l.Name, r.Pers.Name())
	}
	r.Events++
	r.remember(p.PID, l, args, res)
	*ev = Event{Pos: l.Pos, PID: p.PID, Call: l.Name, Result: res, Kind: l.Kind}
	ev.Failed = !r.expect(l, res, args)
	if r.CheckInvariants {
		if err := r.Eng.Check(); err != nil {
			r.Fails = append(r.Fails, Failure{Pos: l.Pos, Msg: "invariant broken: " + err.Error(), Line: l.CallText()})
			ev.Failed = true
		}
	}
	return true, nil
}

// expect checks a line's expectation against res; true when it held (or
// there was none).
func (r *Runner) expect(l *scenario.Line, res Result, args []Arg) bool {
	exp := l.Result
	failf := func(expected, actual string) bool {
		if res.Why != "" && actual == res.String() {
			actual += ": " + res.Why
		}
		r.Fails = append(r.Fails, Failure{Pos: l.Pos, Line: l.CallText(), Expected: expected, Actual: actual})
		return false
	}
	okExp := true
	switch exp.Kind {
	case scenario.ResultNone, scenario.ResultUnknown:
		return true
	case scenario.ResultErrno:
		if res.Errno != Errno(exp.Errno) || res.Signal != SigNone {
			okExp = failf("-1 "+exp.Errno, res.String())
		}
	case scenario.ResultSignal:
		if res.Signal.Name() != exp.Signal || (exp.Code != "" && res.Signal.Code() != exp.Code) {
			want := exp.Signal
			if exp.Code != "" {
				want += " " + exp.Code
			}
			okExp = failf(want, res.String())
		}
	case scenario.ResultValue:
		if v, isVar := exp.Expr.(*scenario.Var); isVar {
			if _, bound := r.vars[v.Name]; !bound {
				if res.Failed() {
					return failf("a value for $"+v.Name, res.String())
				}
				r.vars[v.Name] = res.Ret
				r.Passed++
				return true
			}
		}
		want, err := scenario.Eval(exp.Expr, resolver{r})
		if err != nil {
			r.Fails = append(r.Fails, Failure{Pos: exp.Pos, Line: l.CallText(), Msg: err.Error()})
			return false
		}
		if res.Failed() || res.Ret != want {
			okExp = failf(exp.Expr.String()+" = "+Result{Ret: want}.String(), res.String())
		}
	}
	// mincore's vector, when the line gives one.
	if okExp && (l.Name == "mincore") && len(l.Args) >= 3 {
		if arr, isArr := l.Args[2].(*scenario.Array); isArr && !res.Failed() {
			p := r.process(l)
			vec, _ := r.Eng.MincoreVector(p, args[0].Val, args[1].Val, r.Eng.layout.Linux)
			want := make([]string, 0, len(arr.Elems))
			for _, x := range arr.Elems {
				n, err := scenario.Eval(x, resolver{r})
				if err != nil {
					return failf("a numeric vector", err.Error())
				}
				want = append(want, strconv.FormatUint(n, 10))
			}
			got := make([]string, len(vec))
			for i, b := range vec {
				got[i] = strconv.Itoa(int(b))
			}
			if strings.Join(want, ", ") != strings.Join(got, ", ") {
				okExp = failf("["+strings.Join(want, ", ")+"]", "["+strings.Join(got, ", ")+"]")
			}
		}
	}
	if okExp {
		r.Passed++
	}
	return okExp
}

// exec runs the call: engine pseudo-calls and process calls here, the rest
// through the personality. known is false for a call nobody models.
func (r *Runner) exec(p *Process, l *scenario.Line, args []Arg) (Result, bool, error) {
	e := r.Eng
	a := func(i int) uint64 { return argv(args, i) }
	need := func(n int) error {
		if len(args) < n {
			return r.errorf(l.Pos, "%s wants %d arguments, got %d", l.Name, n, len(args))
		}
		return nil
	}
	switch l.Name {
	case "touch":
		if err := need(3); err != nil {
			return Result{}, true, err
		}
		mode := args[2].Str
		var acc Access
		switch mode {
		case "r":
			acc = AccessRead
		case "w":
			acc = AccessWrite
		case "x":
			acc = AccessExec
		default:
			return Result{}, true, r.errorf(l.Pos, `touch mode must be "r", "w" or "x", got %q`, mode)
		}
		value := uint64(1)
		if len(args) > 3 {
			value = a(3)
		}
		sig := e.Touch(p, a(0), a(1), acc, value)
		return Result{Signal: sig, Why: sig.Why()}, true, nil
	case "peek":
		if err := need(1); err != nil {
			return Result{}, true, err
		}
		v, sig := e.Peek(p, a(0))
		return Result{Ret: v, Signal: sig, Why: sig.Why()}, true, nil
	case "entries":
		if err := need(2); err != nil {
			return Result{}, true, err
		}
		n := 0
		p.VS.Map.Range(a(0), a(0)+a(1), func(Entry) bool { n++; return true })
		return Result{Ret: uint64(n)}, true, nil
	case "prot", "maxprot", "inherit", "wired", "depth", "objref":
		if err := need(1); err != nil {
			return Result{}, true, err
		}
		en, found := p.VS.Map.Lookup(a(0))
		if !found {
			return Result{Errno: "ENOMEM"}, true, nil
		}
		var v uint64
		switch l.Name {
		case "prot":
			v = uint64(en.Prot)
		case "maxprot":
			v = uint64(en.MaxProt)
		case "inherit":
			v = uint64(en.Inherit)
		case "wired":
			v = uint64(en.Wired)
		case "depth":
			v = uint64(e.chainDepth(en.Object))
		case "objref":
			if en.Object != 0 {
				v = uint64(e.objects[en.Object].Ref)
			}
		}
		return Result{Ret: v}, true, nil
	case "resident":
		if err := need(2); err != nil {
			return Result{}, true, err
		}
		return Result{Ret: uint64(p.VS.Pmap.Resident(e.atop(a(0)), e.atop(a(0)+a(1)+e.pageMask)))}, true, nil
	case "fork", "vfork":
		child, err := e.Fork(p, r.newPID(l))
		if err != nil {
			return Result{}, true, r.errorf(l.Pos, "%v", err)
		}
		return Result{Ret: uint64(child.PID), Child: child.PID}, true, nil
	case "thread":
		tid, err := e.AddThread(p, r.newPID(l))
		if err != nil {
			return Result{}, true, r.errorf(l.Pos, "%v", err)
		}
		return Result{Ret: uint64(tid), Child: tid}, true, nil
	case "clone", "clone3":
		flags := uint64(0)
		for _, x := range args {
			if v, ok := x.Fields["flags"]; ok {
				flags = v
			}
		}
		const cloneVM = 0x100
		if flags&cloneVM != 0 {
			tid, err := e.AddThread(p, r.newPID(l))
			if err != nil {
				return Result{}, true, r.errorf(l.Pos, "%v", err)
			}
			return Result{Ret: uint64(tid), Child: tid}, true, nil
		}
		child, err := e.Fork(p, r.newPID(l))
		if err != nil {
			return Result{}, true, r.errorf(l.Pos, "%v", err)
		}
		return Result{Ret: uint64(child.PID), Child: child.PID}, true, nil
	case "exit":
		tid := p.PID
		if l.PID.Kind == scenario.PIDNum {
			tid = l.PID.Num
		}
		if e.threads[tid] == 0 && tid == p.PID && len(p.Threads) > 1 {
			// The group leader's own exit leaves the other threads running.
			e.ExitThread(tid)
		} else if e.threads[tid] != 0 {
			e.ExitThread(tid)
		} else {
			e.Exit(p)
		}
		return Result{NoRet: true}, true, nil
	case "exit_group":
		e.Exit(p)
		return Result{NoRet: true}, true, nil
	case "execve", "execveat":
		if l.Result.Kind == scenario.ResultErrno {
			return Result{Errno: Errno(l.Result.Errno)}, true, nil
		}
		if r.freshImage[p.PID] {
			// The @image just loaded is this exec's result (--maps-at-exec).
			return Result{}, true, nil
		}
		e.Exec(p)
		return Result{}, true, nil
	}
	res, known := r.Pers.Syscall(e, p, l.Name, args)
	return res, known, nil
}

// traceFileCall are the file-descriptor calls that a real trace's lines
// make on files the engine does not hold.
var traceFileCall = map[string]bool{"open": true, "openat": true, "close": true, "write": true,
	"pwrite64": true, "ftruncate": true, "getrlimit": true}

// newPID returns the pid a creating call should give its child: the one
// strace printed as the result, when it is a number.
func (r *Runner) newPID(l *scenario.Line) int {
	if l.Result.Kind == scenario.ResultValue {
		if n, ok := l.Result.Expr.(*scenario.Num); ok {
			return int(n.Value)
		}
	}
	return 0
}

// Touch performs accesses of kind acc to every page of [addr, addr+length)
// in order by process p, stopping at the first that faults. A write stores
// value. Mirrors the hardware walking the pages and vm_fault_trap.
func (e *Engine) Touch(p *Process, addr, length uint64, acc Access, value uint64) Signal {
	if length == 0 {
		return SigNone
	}
	end := addr + length
	if end < addr {
		end = ^uint64(0)
	}
	for a := e.truncPage(addr); a < end; a += e.cfg.PageSize {
		if p.VS.hardwareAccess(a, acc, value, 0) {
			continue
		}
		if sig := p.VS.fault(a, acc, value, 0); sig != SigNone {
			return sig
		}
		if a+e.cfg.PageSize < a {
			break
		}
	}
	return SigNone
}

// hardwareAccess performs an access that the page table already allows,
// as the MMU would without a fault: a present PTE is readable on x86 and
// arm64 whatever its protection (there are no write-only pages), writable
// with its write bit and executable with its execute bit. The referenced
// and modified bits are set as the MMU sets them; a write stores value
// unless ff has faultNoStore (populating). It reports whether the access
// happened; false means the access faults.
func (vs *Vmspace) hardwareAccess(va uint64, acc Access, value uint64, ff faultFlags) bool {
	e := vs.eng
	pte, ok := vs.Pmap.Lookup(e.atop(va))
	if !ok || pte.Prot == 0 || !Prot(acc).Subset(Prot(pte.Prot)|ProtRead) {
		return false
	}
	if vs.ExecOnlyKey != 0 && acc != AccessExec {
		if en, found := vs.Map.Lookup(va); found && en.PKey == vs.ExecOnlyKey {
			return false // PKRU denies data access: take the fault path
		}
	}
	pte.Referenced = true
	if acc == AccessWrite {
		pte.Modified = true
		if ff&faultNoStore == 0 {
			e.phys.SetValue(pte.Frame, value)
		}
	}
	vs.Pmap.Update(pte)
	return true
}

// Peek reads the content value of the page holding addr, faulting it in as
// a read would.
func (e *Engine) Peek(p *Process, addr uint64) (uint64, Signal) {
	if !p.VS.hardwareAccess(e.truncPage(addr), AccessRead, 0, 0) {
		if sig := p.VS.fault(e.truncPage(addr), AccessRead, 0, 0); sig != SigNone {
			return 0, sig
		}
	}
	pte, ok := p.VS.Pmap.Lookup(e.atop(addr))
	if !ok {
		return 0, SigSEGVMapErr
	}
	return e.phys.Value(pte.Frame), SigNone
}
