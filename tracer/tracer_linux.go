//go:build linux && (amd64 || arm64)

package tracer

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// seizeOptions are the ptrace options of every tracee; Run adds
// PTRACE_O_EXITKILL (and PTRACE_O_TRACESECCOMP with the filter).
const seizeOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEEXEC |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE

// errDetachRequested ends the main loop of Attach when a signal or the
// context asks it to detach.
var errDetachRequested = errors.New("detach requested")

// pendingCall is a traced call that has been seen at its entry (seccomp
// stop or syscall-entry stop) and is waiting for its result.
type pendingCall struct {
	desc       *sysDesc
	args       [6]uint64
	text       string // the arguments, formatted at entry
	nargs      int    // how many arguments text holds
	cloneFlags uint64 // fork family: clone flags (CLONE_THREAD decides the new tid's group)
}

// resumeReq is a resume kept back while the tracer waits for every tracee
// to stop (attach and detach barriers).
type resumeReq struct {
	req int // PTRACE_CONT, PTRACE_SYSCALL or PTRACE_LISTEN
	sig int
}

// thread is the tracer's state for one traced thread.
type thread struct {
	tid, tgid int
	call      *pendingCall
	running   bool // resumed (or just attached) and not yet reported stopped
	// needInitial: the first stop of a new or attached tracee (a
	// PTRACE_EVENT_STOP) has not been seen yet.
	needInitial bool
	// announced: the parent's fork event (or the attach) has told the
	// tracer about this thread. A new thread seen before that is held
	// stopped, so none of its lines can precede its parent's clone line.
	announced bool
	held      bool
	groupStop bool // held in a group-stop: release it with PTRACE_LISTEN
	// preExec: Run's helper child before its first exec; its own calls are
	// not recorded (only execve lines and its exit).
	preExec bool
	// dropURG: a SIGURG was pending when the helper exec'd the command:
	// the Go runtime of the helper sent it (preemption), so it is not the
	// command's and is dropped when it is delivered.
	dropURG bool
	exiting bool // entered exit or exit_group
	// parked: kept stopped because its group is in exit_group (see
	// exitingGroups); the group's exit kills it there.
	parked bool
	// exitArg is the argument of the exit_group this thread is parked in;
	// exitDone: that exit_group has been written and let go.
	exitArg  int32
	exitDone bool
	// inSyscall and expectEntry tell entry from exit stops on kernels
	// without PTRACE_GET_SYSCALL_INFO: inSyscall in PTRACE_SYSCALL mode,
	// expectEntry after a seccomp stop on kernels before 4.8 (where the
	// seccomp stop comes before the syscall-entry stop).
	inSyscall   bool
	expectEntry bool
	queued      *resumeReq
	// waiting: stopped at the entry of an address-space call (waitNr,
	// waitArgs) while another thread of its group has one in flight.
	waiting  bool
	waitNr   uint64
	waitArgs [6]uint64
}

// infoState records whether PTRACE_GET_SYSCALL_INFO works.
type infoState uint8

const (
	infoUnknown infoState = iota
	infoWorks
	infoMissing
)

// tracer is the state of one Run or Attach. Everything but mu-guarded
// access from the signal goroutine (killAll, forward) happens on the locked
// tracer thread.
type tracer struct {
	out *output
	// seccomp: tracees run under the filter, so between traced calls they
	// are resumed with PTRACE_CONT; otherwise always with PTRACE_SYSCALL.
	seccomp      bool
	info         infoState
	forceRegs    bool // tests: behave as if PTRACE_GET_SYSCALL_INFO were missing
	seccompFirst bool // kernel before 4.8: a syscall-entry stop follows each seccomp stop
	deferResume  bool // keep resumes in thread.queued instead of issuing them
	pendingForks int  // threads whose call is a fork-family call not yet evented

	mu       sync.Mutex // guards threads (membership) and launchedReaped
	threads  map[int]*thread
	launched int // Run: pid of the launched command; 0 for Attach
	// launchedReaped: the launched pid has been reaped (so it may be
	// reused: the signal goroutine must not kill it any more).
	launchedReaped bool
	exitStatus     unix.WaitStatus
	execErrno      int64 // Run: errno of the helper's failed exec of the command

	// exitingGroups maps a thread group id to the thread that entered
	// exit_group, until that thread is gone. The caller is parked at the
	// entry until no other thread of the group has a traced call in
	// flight: only then is the final @maps taken, so it includes the
	// effect of every call printed before it and of no other. Other
	// threads of the group are parked at their next stop, before and
	// after that (until the kernel's group exit kills them).
	exitingGroups map[int]*thread
	// inflight maps a thread group id to the thread whose address-space
	// call (sysDesc.serial) is running; waiters holds, in arrival order,
	// the group's threads stopped at the entry of another one. Unless
	// concurrent is set, so only one such call per group runs at a time,
	// and lines are in the order the kernel applied the calls.
	inflight   map[int]*thread
	waiters    map[int][]*thread
	concurrent bool

	wakerPid        int // Attach: the waker child's pid
	detachRequested bool
	fatal           error // an error that stops tracing (PTRACE_GET_SYSCALL_INFO missing on arm64)
}

// urgAtHelperExecForTest makes the tracer send SIGURG to Run's helper at
// the entry of its execve, as the helper's Go runtime may (tests only).
var urgAtHelperExecForTest bool

// forceRegsForTest makes new tracers read registers as on kernels without
// PTRACE_GET_SYSCALL_INFO (tests of that path set it; nothing else does).
var forceRegsForTest bool

// newTracer returns a tracer writing to out; seccomp tells whether its
// tracees run under the seccomp filter.
func newTracer(out *output, seccomp bool) *tracer {
	return &tracer{
		out:           out,
		seccomp:       seccomp,
		forceRegs:     forceRegsForTest && haveRegsFallback,
		seccompFirst:  kernelBefore(4, 8),
		threads:       make(map[int]*thread),
		exitingGroups: make(map[int]*thread),
		inflight:      make(map[int]*thread),
		waiters:       make(map[int][]*thread),
	}
}

// kernelBefore reports whether the running kernel's version is below
// major.minor (false if it cannot be told).
func kernelBefore(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	rel := unix.ByteSliceToString(u.Release[:])
	parts := strings.SplitN(rel, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(leadingDigits(parts[1]))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma < major || ma == major && mi < minor
}

// leadingDigits returns the decimal digits at the start of s.
func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// addThread registers a new tracee tid of thread group tgid (0 if not yet
// known). It is expected to report an initial stop before anything else.
func (tr *tracer) addThread(tid, tgid int, announced bool) *thread {
	t := &thread{tid: tid, tgid: tgid, running: true, needInitial: true, announced: announced}
	tr.mu.Lock()
	tr.threads[tid] = t
	tr.mu.Unlock()
	return t
}

// removeThread forgets tracee tid (it has been reaped or detached).
func (tr *tracer) removeThread(tid int) {
	if t := tr.threads[tid]; t != nil {
		if t.waiting {
			tr.waiters[t.tgid] = slices.DeleteFunc(tr.waiters[t.tgid], func(o *thread) bool { return o == t })
		}
		tr.setCall(t, nil)
		if tr.exitingGroups[t.tgid] == t {
			delete(tr.exitingGroups, t.tgid)
		}
	}
	tr.mu.Lock()
	delete(tr.threads, tid)
	tr.mu.Unlock()
}

// setCall sets (or clears, with nil) the pending call of t, keeping the
// count of pending fork-family calls; clearing an address-space call lets
// the next waiting thread of the group start its own.
func (tr *tracer) setCall(t *thread, c *pendingCall) {
	old := t.call
	if old != nil && old.desc.kind == kindFork {
		tr.pendingForks--
	}
	t.call = c
	if c != nil && c.desc.kind == kindFork {
		tr.pendingForks++
	}
	if old != nil && old.desc.serial && tr.inflight[t.tgid] == t {
		delete(tr.inflight, t.tgid)
		tr.startNextWaiter(t.tgid)
	}
}

// startNextWaiter lets the first waiting thread of group tgid (if any)
// start its address-space call; if the group is exiting, the waiters are
// parked instead (their calls never start).
func (tr *tracer) startNextWaiter(tgid int) {
	for len(tr.waiters[tgid]) > 0 {
		w := tr.waiters[tgid][0]
		tr.waiters[tgid] = tr.waiters[tgid][1:]
		w.waiting = false
		if tr.exitingGroups[tgid] != nil {
			w.parked = true
			continue
		}
		tr.onEntry(w, w.waitNr, w.waitArgs)
		return
	}
	delete(tr.waiters, tgid)
}

// restart issues (or, during a barrier, queues) a ptrace restart request.
func (tr *tracer) restart(t *thread, req, sig int) {
	if tr.deferResume {
		t.queued = &resumeReq{req: req, sig: sig}
		return
	}
	t.queued = nil
	t.running = true
	// ESRCH: the thread died meanwhile; its death will be reported.
	ptraceReq(req, t.tid, 0, uintptr(sig))
}

// resume restarts a stopped thread, delivering sig: with PTRACE_SYSCALL if
// the next stop must be a syscall stop (a traced call awaiting its result,
// or no seccomp filter), else with PTRACE_CONT.
func (tr *tracer) resume(t *thread, sig int) {
	if caller := tr.exitingGroups[t.tgid]; caller != nil && caller != t && t.call == nil {
		t.parked = true
		tr.finishExitGroup(t.tgid)
		return
	}
	req := unix.PTRACE_CONT
	if !tr.seccomp || t.call != nil || t.expectEntry {
		req = unix.PTRACE_SYSCALL
	}
	tr.restart(t, req, sig)
}

// release lets a thread go that was kept stopped (held, or in a barrier).
func (tr *tracer) release(t *thread) {
	if t.groupStop {
		t.groupStop = false
		tr.restart(t, unix.PTRACE_LISTEN, 0)
		return
	}
	tr.resume(t, 0)
}

// flushQueued issues the resumes kept back during a barrier.
func (tr *tracer) flushQueued() {
	for _, t := range tr.threads {
		if q := t.queued; q != nil {
			tr.restart(t, q.req, q.sig)
		}
	}
}

// anyRunning reports whether some tracee has not reported a stop since it
// was last resumed or attached (held threads count as stopped).
func (tr *tracer) anyRunning() bool {
	for _, t := range tr.threads {
		if t.running {
			return true
		}
	}
	return false
}

// waitOne waits for the next ptrace or child event and handles it. It
// returns unix.ECHILD when there is nothing left to wait for.
func (tr *tracer) waitOne() error {
	var ws unix.WaitStatus
	wpid, err := unix.Wait4(-1, &ws, unix.WALL|unix.WNOTHREAD, nil)
	if err == unix.EINTR {
		return nil
	}
	if err != nil {
		return err
	}
	if wpid == tr.wakerPid && tr.wakerPid != 0 && (ws.Exited() || ws.Signaled()) {
		tr.wakerPid = 0
		tr.detachRequested = true
		return nil
	}
	tr.handle(wpid, ws)
	return nil
}

// handle processes one wait status of thread tid.
func (tr *tracer) handle(tid int, ws unix.WaitStatus) {
	if ws.Exited() || ws.Signaled() {
		tr.onDeath(tid, ws)
		return
	}
	if !ws.Stopped() {
		return
	}
	sig := int(ws.StopSignal())
	event := int(ws>>16) & 0xff
	if event == unix.PTRACE_EVENT_EXEC {
		tr.onExec(tid)
		return
	}
	t := tr.threads[tid]
	if t == nil {
		// A new child reporting before its parent's fork event.
		t = tr.addThread(tid, 0, false)
	}
	t.running = false
	if caller := tr.exitingGroups[t.tgid]; caller != nil && caller != t && t.call == nil {
		// Its group is exiting: keep it where it is (exit_group kills it).
		t.parked = true
		tr.finishExitGroup(t.tgid)
		return
	}
	switch {
	case sig == int(unix.SIGTRAP)|0x80:
		tr.onSyscallStop(t)
	case event == unix.PTRACE_EVENT_SECCOMP:
		tr.onSeccompStop(t)
	case event == unix.PTRACE_EVENT_FORK || event == unix.PTRACE_EVENT_VFORK || event == unix.PTRACE_EVENT_CLONE:
		tr.onFork(t)
	case event == unix.PTRACE_EVENT_STOP:
		tr.onEventStop(t, sig)
	case event != 0:
		tr.resume(t, 0)
	case t.needInitial && sig == int(unix.SIGSTOP):
		tr.onInitialStop(t, 0) // the initial stop of a tracee not attached by PTRACE_SEIZE
	default:
		tr.onSignal(t, sig)
	}
}

// onEventStop handles a PTRACE_EVENT_STOP: the initial stop of a new or
// attached tracee, a group-stop (kept with PTRACE_LISTEN so job control
// works), or the stop PTRACE_INTERRUPT asked for.
func (tr *tracer) onEventStop(t *thread, sig int) {
	groupStop := false
	switch unix.Signal(sig) {
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		groupStop = true
	}
	if t.needInitial {
		tr.onInitialStop(t, sig)
		return
	}
	if groupStop {
		tr.restart(t, unix.PTRACE_LISTEN, 0)
		return
	}
	tr.resume(t, 0)
}

// onInitialStop handles the first stop of a tracee. A new thread whose
// parent's fork event has not been seen is held until it has (or until no
// fork is in flight any more).
func (tr *tracer) onInitialStop(t *thread, sig int) {
	t.needInitial = false
	switch unix.Signal(sig) {
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		t.groupStop = true
	}
	if !t.announced && tr.pendingForks > 0 {
		t.held = true
		return
	}
	tr.announceOrphan(t)
	tr.release(t)
}

// announceOrphan completes a thread nobody announced (its parent's clone
// was not seen, e.g. it was in flight at attach): its group comes from /proc.
func (tr *tracer) announceOrphan(t *thread) {
	if t.announced {
		return
	}
	t.announced = true
	if t.tgid = procTgid(t.tid); t.tgid == 0 {
		t.tgid = t.tid
	}
}

// releaseHeld releases held threads once no fork-family call is in flight
// any more (their parent died before its fork event).
func (tr *tracer) releaseHeld() {
	if tr.pendingForks > 0 {
		return
	}
	for _, t := range tr.threads {
		if t.held {
			t.held = false
			tr.announceOrphan(t)
			tr.release(t)
		}
	}
}

// syscallInfo fills info for stopped thread t, reporting false if
// PTRACE_GET_SYSCALL_INFO is unavailable (the caller then uses registers).
func (tr *tracer) syscallInfo(t *thread, info *syscallInfo) bool {
	if tr.info == infoMissing || tr.forceRegs {
		return false
	}
	err := ptraceSyscallInfo(t.tid, info)
	if err == nil {
		tr.info = infoWorks
		return true
	}
	if tr.info == infoUnknown && (err == unix.EIO || err == unix.EINVAL) {
		tr.info = infoMissing
		if !haveRegsFallback {
			tr.fatal = errNoSyscallInfo()
		}
	}
	return false
}

// errNoSyscallInfo is the error when neither PTRACE_GET_SYSCALL_INFO nor a
// register fallback is available.
func errNoSyscallInfo() error {
	return errors.New("this kernel lacks PTRACE_GET_SYSCALL_INFO (Linux 5.3), which the tracer needs on " + archName)
}

// entryArgs returns the number and arguments of the call thread t is
// stopped at the entry (or seccomp stop) of.
func (tr *tracer) entryArgs(t *thread) (nr uint64, args [6]uint64, ok bool) {
	var info syscallInfo
	if tr.syscallInfo(t, &info) {
		if info.Op != unix.PTRACE_SYSCALL_INFO_ENTRY && info.Op != unix.PTRACE_SYSCALL_INFO_SECCOMP {
			return 0, args, false
		}
		copy(args[:], info.Data[1:7])
		return info.Data[0], args, true
	}
	nr, args, err := regsEntry(t.tid)
	return nr, args, err == nil
}

// onSeccompStop handles a PTRACE_EVENT_SECCOMP stop: the entry of a traced
// call under the filter.
func (tr *tracer) onSeccompStop(t *thread) {
	nr, args, ok := tr.entryArgs(t)
	if !ok {
		tr.resume(t, 0)
		return
	}
	if tr.seccompFirst && tr.info != infoWorks {
		t.expectEntry = true
	}
	tr.onEntry(t, nr, args)
}

// onSyscallStop handles a syscall-entry or syscall-exit stop.
func (tr *tracer) onSyscallStop(t *thread) {
	var info syscallInfo
	isEntry := false
	var rval int64
	if tr.syscallInfo(t, &info) {
		switch info.Op {
		case unix.PTRACE_SYSCALL_INFO_ENTRY:
			isEntry = true
		case unix.PTRACE_SYSCALL_INFO_EXIT:
			rval = int64(info.Data[0])
		default:
			tr.resume(t, 0)
			return
		}
	} else {
		if tr.seccomp {
			isEntry = t.expectEntry
		} else {
			isEntry = !t.inSyscall
		}
		if !isEntry {
			r, _, err := regsResult(t.tid)
			if err != nil {
				tr.resume(t, 0)
				return
			}
			rval = r
		}
	}
	if isEntry {
		t.inSyscall = true
		if tr.seccomp {
			// The syscall-entry stop that follows a seccomp stop on old
			// kernels: the call was recorded at the seccomp stop.
			t.expectEntry = false
			tr.resume(t, 0)
			return
		}
		var args [6]uint64
		var nr uint64
		if tr.info == infoWorks {
			nr = info.Data[0]
			copy(args[:], info.Data[1:7])
		} else {
			var err error
			if nr, args, err = regsEntry(t.tid); err != nil {
				tr.resume(t, 0)
				return
			}
		}
		tr.onEntry(t, nr, args)
		return
	}
	t.inSyscall = false
	tr.onExit(t, rval)
}

// onEntry records the entry of system call nr with args by thread t and
// resumes it. exit and exit_group are printed now (they never return);
// others are formatted now (their memory arguments may not survive the
// call) and printed when their result is known.
func (tr *tracer) onEntry(t *thread, nr uint64, args [6]uint64) {
	d := lookupSyscall(nr)
	if d == nil || t.preExec && d.kind != kindExec {
		tr.setCall(t, nil)
		tr.resume(t, 0)
		return
	}
	if t.preExec && urgAtHelperExecForTest {
		unix.Tgkill(t.tgid, t.tid, unix.SIGURG)
	}
	if d.serial && !tr.concurrent {
		if o := tr.inflight[t.tgid]; o != nil && o != t {
			// Wait (stopped at the entry) for o's call to complete.
			t.waiting, t.waitNr, t.waitArgs = true, nr, args
			tr.waiters[t.tgid] = append(tr.waiters[t.tgid], t)
			return
		}
		tr.inflight[t.tgid] = t
	}
	switch d.kind {
	case kindExitGroup:
		for _, o := range tr.threads {
			if o.tgid == t.tgid {
				o.exiting = true
			}
		}
		tr.setCall(t, nil)
		t.parked, t.exitArg = true, int32(args[0])
		tr.exitingGroups[t.tgid] = t
		tr.finishExitGroup(t.tgid)
		return
	case kindExit:
		if tr.lastLiveThread(t) {
			tr.snapshot("maps", t.tgid, t.tid)
		}
		t.exiting = true
		tr.out.event(t.tid, "exit("+strconv.Itoa(int(int32(args[0])))+") = ?")
		tr.setCall(t, nil)
	default:
		c := &pendingCall{desc: d, args: args}
		w := &argWriter{tid: t.tid}
		if d.special != nil {
			d.special(w, &c.args, c)
		} else {
			w.spec(d.spec, &c.args)
		}
		c.text, c.nargs = string(w.b), w.n
		tr.setCall(t, c)
	}
	tr.resume(t, 0)
}

// lastLiveThread reports whether t is the only traced thread of its group
// that has not entered exit or exit_group.
func (tr *tracer) lastLiveThread(t *thread) bool {
	for _, o := range tr.threads {
		if o != t && o.tgid == t.tgid && !o.exiting {
			return false
		}
	}
	return true
}

// finishExitGroup completes the exit_group of group tgid once no thread of
// the group has a traced call in flight: writes the final @maps and the
// exit_group line, and lets the caller go on into the kernel's group exit.
// Until then the caller stays parked at the call's entry.
func (tr *tracer) finishExitGroup(tgid int) {
	t := tr.exitingGroups[tgid]
	if t == nil || t.exitDone {
		return
	}
	for _, o := range tr.threads {
		if o.tgid == tgid && o.call != nil {
			return
		}
	}
	t.exitDone = true
	tr.snapshot("maps", t.tgid, t.tid)
	tr.out.event(t.tid, "exit_group("+strconv.Itoa(int(t.exitArg))+") = ?")
	t.parked = false
	tr.resume(t, 0)
}

// onExit prints the pending call of thread t with its result rval and
// resumes it.
func (tr *tracer) onExit(t *thread, rval int64) {
	if c := t.call; c != nil {
		text := c.text
		if c.desc.atExit != nil {
			w := &argWriter{tid: t.tid, b: []byte(text), n: c.nargs}
			c.desc.atExit(w, &c.args, rval)
			text = string(w.b)
		}
		tr.out.event(t.tid, c.desc.name+"("+text+") = "+formatResult(c.desc, rval))
		if t.preExec && c.desc.kind == kindExec && rval < 0 {
			tr.execErrno = -rval
		}
		tr.setCall(t, nil)
	}
	tr.resume(t, 0)
}

// onFork handles a PTRACE_EVENT_FORK/VFORK/CLONE stop of thread t: prints
// its fork-family call with the new thread's id as result (before anything
// the new thread does), and announces the new thread.
func (tr *tracer) onFork(t *thread) {
	msg, err := ptraceEventMsg(t.tid)
	if err != nil {
		tr.resume(t, 0)
		return
	}
	newTid := int(msg)
	var isThread bool
	if c := t.call; c != nil && c.desc.kind == kindFork {
		isThread = c.cloneFlags&unix.CLONE_THREAD != 0
		tr.out.event(t.tid, c.desc.name+"("+c.text+") = "+strconv.Itoa(newTid))
		tr.setCall(t, nil)
	} else {
		isThread = procTgid(newTid) == t.tgid
	}
	tgid := newTid
	if isThread {
		tgid = t.tgid
	}
	if child := tr.threads[newTid]; child == nil {
		tr.addThread(newTid, tgid, true)
	} else if !child.announced {
		child.tgid, child.announced = tgid, true
		if child.held {
			child.held = false
			tr.release(child)
		}
	}
	tr.resume(t, 0)
	tr.releaseHeld()
}

// onExec handles a PTRACE_EVENT_EXEC stop reported for tid (the thread
// group id: a non-leader thread that execs takes over the leader's id). It
// prints the execve line (= 0) and the @image snapshot of the new image,
// before the new image runs any system call.
func (tr *tracer) onExec(tid int) {
	former := tid
	if msg, err := ptraceEventMsg(tid); err == nil && msg != 0 {
		former = int(msg)
	}
	t := tr.threads[former]
	if t == nil {
		t = tr.threads[tid]
	}
	if t == nil {
		t = tr.addThread(tid, tid, true)
		t.needInitial = false
	}
	if former != tid {
		if old := tr.threads[tid]; old != nil && old != t {
			tr.removeThread(tid) // the old leader: replaced, with no death report
		}
		tr.mu.Lock()
		delete(tr.threads, former)
		t.tid = tid
		tr.threads[tid] = t
		tr.mu.Unlock()
	}
	t.tgid, t.running, t.exiting = tid, false, false
	// An exec that won against an exit_group of its group: the exit_group
	// caller has been killed by the exec.
	delete(tr.exitingGroups, tid)
	name, text := "execve", ""
	if c := t.call; c != nil && c.desc.kind == kindExec {
		name, text = c.desc.name, c.text
	} else {
		text = synthesizedExecArgs(tid)
	}
	tr.out.event(tid, name+"("+text+") = 0")
	tr.snapshot("image", tid, tid)
	if t.preExec {
		t.dropURG = signalPending(tid, int(unix.SIGURG))
	}
	t.preExec, t.expectEntry = false, false
	tr.setCall(t, nil)
	tr.resume(t, 0)
}

// synthesizedExecArgs returns execve arguments for an exec whose entry was
// not seen (it was in flight at attach), from /proc/<pid>/exe and cmdline.
func synthesizedExecArgs(pid int) string {
	exe, _ := os.Readlink(procPath(pid, "exe"))
	w := &argWriter{tid: pid}
	w.sep()
	w.b = appendQuoted(w.b, []byte(exe))
	w.sep()
	w.b = append(w.b, '[')
	for i, a := range procCmdline(pid) {
		if i > 0 {
			w.b = append(w.b, ", "...)
		}
		w.b = appendQuoted(w.b, []byte(a))
	}
	w.b = append(w.b, ']')
	w.sep()
	w.b = append(w.b, "NULL"...)
	return string(w.b)
}

// onSignal handles a signal-delivery-stop: prints the signal line (after a
// final @maps snapshot if the signal is going to kill the process) and
// resumes the thread delivering the signal.
func (tr *tracer) onSignal(t *thread, sig int) {
	si, err := ptraceSiginfo(t.tid)
	if err != nil {
		// Not a signal-delivery-stop after all (a legacy group-stop).
		tr.resume(t, 0)
		return
	}
	if t.dropURG && sig == int(unix.SIGURG) {
		t.dropURG = false
		tr.resume(t, 0)
		return
	}
	if !t.preExec {
		if signalIsFatal(t.tid, sig) {
			tr.snapshot("maps", t.tgid, t.tid)
		}
		tr.out.event(t.tid, formatSignal(sig, &si))
	}
	tr.resume(t, sig)
}

// onDeath handles the exit of thread tid: prints its exit line and, for
// the launched command's pid, keeps the status that Run returns.
func (tr *tracer) onDeath(tid int, ws unix.WaitStatus) {
	if t := tr.threads[tid]; t != nil {
		tr.out.event(tid, exitText(ws))
		tr.removeThread(tid)       // ends the group's exiting state if t was the caller
		tr.finishExitGroup(t.tgid) // t may have had a call in flight
	}
	if tid == tr.launched && tr.launched != 0 {
		tr.mu.Lock()
		tr.launchedReaped = true
		tr.mu.Unlock()
		tr.exitStatus = ws
	}
	tr.releaseHeld()
}

// snapshot writes /proc/<readTid>/maps as an @kind block labelled pid.
func (tr *tracer) snapshot(kind string, pid, readTid int) {
	data, err := readMaps(readTid)
	if err != nil {
		tr.out.text("# vmscope: cannot read /proc/" + strconv.Itoa(readTid) + "/maps: " + err.Error() + "\n")
		return
	}
	tr.out.block(kind, pid, data)
}

// killAll sends SIGKILL to every traced thread's process (and to the
// launched command while it is not reaped). Safe from any goroutine: a
// traced thread cannot be reaped (and its id reused) while it is listed.
func (tr *tracer) killAll() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for tid := range tr.threads {
		unix.Kill(tid, unix.SIGKILL)
	}
	if tr.launched != 0 && !tr.launchedReaped {
		unix.Kill(tr.launched, unix.SIGKILL)
	}
}

// forward sends sig to the launched command, as strace does on an
// interrupt, unless the terminal has already delivered it: SIGINT, SIGQUIT
// and SIGHUP from the terminal reach the whole foreground process group,
// the command included, so they are not sent twice.
func (tr *tracer) forward(sig syscall.Signal) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.launched == 0 || tr.launchedReaped {
		return
	}
	switch sig {
	case unix.SIGINT, unix.SIGQUIT, unix.SIGHUP:
		if inTerminalForeground(tr.launched) {
			return
		}
	}
	unix.Kill(tr.launched, sig)
}

// inTerminalForeground reports whether process pid is in the foreground
// process group of this process's controlling terminal.
func inTerminalForeground(pid int) bool {
	fd, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil {
		return false
	}
	pg, err := unix.Getpgid(pid)
	return err == nil && pg == fg
}

// header returns the trace's header: the command, then the directives
// that tell the engine how to read the trace.
func header(cmd string, noASLR bool) string {
	var b strings.Builder
	b.WriteString("# vmscope trace: " + cmd + "\n")
	b.WriteString("@personality linux\n")
	b.WriteString("@arch " + archName + "\n")
	b.WriteString("@pagesize " + strconv.FormatUint(pageSize, 10) + "\n")
	if noASLR {
		b.WriteString("@set aslr 0\n")
	}
	return b.String()
}
