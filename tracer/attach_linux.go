//go:build linux && (amd64 || arm64)

package tracer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Attach traces the running process pid (all its threads, and the
// processes it starts from then on) and writes the trace to opts.Output:
// the header, an @image block with its address space at attach time, then
// its calls. No seccomp filter can be added to a running process, so every
// system call stops it twice (PTRACE_SYSCALL) and the tracer filters; this
// is slower than Run.
//
// Attach returns nil when the process has ended, or when it detached on
// request: ctx done, or (unless opts.NoSignalHandling) SIGINT, SIGTERM,
// SIGHUP or SIGQUIT caught while it runs. Detaching stops every thread,
// detaches it with any signal it was about to receive, and leaves the
// process running. It returns an error if the process cannot be attached
// (with an explanation for EPERM) or the trace could not be written.
//
// Like Run, Attach needs ChildMain to be called first thing in main: it
// starts a tiny helper child of its own (see README.md).
func Attach(ctx context.Context, pid int, opts Options) error {
	if opts.Output == nil {
		return errors.New("tracer: Options.Output is nil")
	}
	defer quietChildStops()()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see Run
		done <- attachLocked(ctx, pid, opts)
	}()
	return <-done
}

// attachLocked is Attach on the locked tracer thread.
func attachLocked(ctx context.Context, pid int, opts Options) error {
	if pid <= 0 {
		return fmt.Errorf("tracer: invalid process id %d", pid)
	}
	tgid := procTgid(pid)
	if tgid == 0 {
		return fmt.Errorf("tracer: no process %d", pid)
	}
	pid = tgid
	if pid == os.Getpid() {
		return errors.New("tracer: a process cannot trace itself")
	}
	waker, wake, err := startWaker()
	if err != nil {
		return err
	}
	out := newOutput(opts.Output, opts.Timestamps)
	tr := newTracer(out, false)
	tr.concurrent = opts.ConcurrentCalls
	tr.wakerPid = waker
	defer func() {
		wake()
		if tr.wakerPid != 0 {
			var ws unix.WaitStatus
			unix.Wait4(tr.wakerPid, &ws, unix.WALL, nil)
		}
	}()
	stopWatch := watchAttach(ctx, opts.NoSignalHandling, wake)
	defer stopWatch()

	if err := tr.seizeAll(pid); err != nil {
		tr.detachAll()
		return err
	}
	out.text(header("-p "+strconv.Itoa(pid)+" ("+shellQuote(procCmdline(pid))+")", aslrOff(pid)))
	// Barrier: every thread stopped, so the snapshot is the address space
	// the first recorded call starts from. Lines produced meanwhile (a
	// signal) follow the @image block.
	out.hold()
	tr.deferResume = true
	for tr.anyRunning() {
		if err := tr.waitOne(); err != nil {
			break
		}
	}
	tr.deferResume = false
	out.release(func() {
		if _, ok := tr.threads[pid]; ok {
			tr.snapshot("image", pid, pid)
		}
		// Threads that exist already have no clone line to tell the
		// replay their process: name them.
		tids := make([]int, 0, len(tr.threads))
		for tid, t := range tr.threads {
			if tid != pid && t.tgid == pid {
				tids = append(tids, tid)
			}
		}
		slices.Sort(tids)
		for _, tid := range tids {
			out.text("@thread " + strconv.Itoa(tid) + " " + strconv.Itoa(pid) + "\n")
		}
	})
	tr.flushQueued()

	err = tr.loop(func() bool { return len(tr.threads) == 0 })
	if err == errDetachRequested {
		tr.detachAll()
		out.text("# vmscope: detached from " + strconv.Itoa(pid) + "\n")
		err = nil
	}
	if err == nil && out.err != nil {
		err = fmt.Errorf("tracer: writing the trace: %w", out.err)
	}
	return err
}

// seizeAll attaches to every thread of process pid with PTRACE_SEIZE and
// interrupts each (their initial stops are handled by the caller's
// barrier). It lists /proc/<pid>/task until a pass finds no new thread, so
// threads created meanwhile by not-yet-traced threads are not missed.
func (tr *tracer) seizeAll(pid int) error {
	seen := make(map[int]bool)
	for {
		tids, err := listTasks(pid)
		if err != nil {
			if len(seen) == 0 {
				return fmt.Errorf("tracer: no process %d: %w", pid, err)
			}
			return nil // it ended meanwhile; its exit will be reported
		}
		added := 0
		for _, tid := range tids {
			if seen[tid] || tr.threads[tid] != nil {
				continue
			}
			seen[tid] = true
			if err := ptraceSeize(tid, seizeOptions); err != nil {
				if err == unix.ESRCH {
					continue
				}
				if err == unix.EPERM && statusField(tid, "TracerPid") == strconv.Itoa(os.Getpid()) {
					// Made by a thread seized earlier: already attached
					// (PTRACE_O_TRACECLONE); its first stop is on its way.
					tr.addThread(tid, pid, true)
					continue
				}
				return ptraceError(tid, err)
			}
			tr.addThread(tid, pid, true)
			ptraceInterrupt(tid)
			added++
		}
		if added == 0 {
			return nil
		}
	}
}

// detachAll stops every tracee (PTRACE_INTERRUPT), waits until all have
// stopped, and detaches each with the signal it was about to be resumed
// with, so no signal is lost. Threads in group-stop stay stopped.
func (tr *tracer) detachAll() {
	tr.deferResume = true
	for _, t := range tr.threads {
		if t.running && !t.needInitial {
			ptraceInterrupt(t.tid)
		}
	}
	for tr.anyRunning() {
		if err := tr.waitOne(); err != nil {
			break
		}
	}
	for tid, t := range tr.threads {
		sig := 0
		if q := t.queued; q != nil && q.req != unix.PTRACE_LISTEN {
			sig = q.sig
		}
		ptraceDetach(tid, sig)
		tr.removeThread(tid)
	}
	tr.deferResume = false
}

// startWaker starts the waker helper child (ChildMain's "waker" mode) from
// the locked tracer thread, so that its exit wakes the tracer's wait4. It
// returns its pid and a function that makes it exit (idempotent).
func startWaker() (int, func(), error) {
	wakeR, wakeW, err := os.Pipe()
	if err != nil {
		return 0, nil, err
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		wakeR.Close()
		wakeW.Close()
		return 0, nil, err
	}
	defer statusR.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, nil, err
	}
	defer devnull.Close()
	pid, err := syscall.ForkExec("/proc/self/exe", []string{childArgv0}, &syscall.ProcAttr{
		Env:   []string{childEnvVar + "=waker"},
		Files: []uintptr{devnull.Fd(), devnull.Fd(), os.Stderr.Fd(), wakeR.Fd(), statusW.Fd()},
	})
	wakeR.Close()
	statusW.Close()
	if err != nil {
		wakeW.Close()
		return 0, nil, fmt.Errorf("tracer: starting the waker child: %w", err)
	}
	var once sync.Once
	wake := func() { once.Do(func() { wakeW.Close() }) }
	line, _ := bufio.NewReader(statusR).ReadString('\n')
	if strings.TrimSpace(line) != "R" {
		wake()
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, unix.WALL, nil)
		return 0, nil, errors.New("tracer: the helper child exited before it was ready " +
			"(does main call tracer.ChildMain first?)")
	}
	return pid, wake, nil
}

// watchAttach starts the goroutine that calls wake when ctx is done or
// (unless noSignals) a terminating signal arrives. The returned function
// stops it and the signal catching.
func watchAttach(ctx context.Context, noSignals bool, wake func()) (stop func()) {
	sigs := make(chan os.Signal, 1)
	if !noSignals {
		signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	}
	quit := make(chan struct{})
	go func() {
		select {
		case <-quit:
			return
		case <-ctx.Done():
		case <-sigs:
		}
		wake()
	}()
	return func() {
		signal.Stop(sigs)
		close(quit)
	}
}
