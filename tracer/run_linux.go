//go:build linux && (amd64 || arm64)

package tracer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Run launches argv under the tracer and writes its trace to opts.Output
// until the command and every process it started have ended. It returns
// the command's exit status as a shell reports it: its exit code, or 128+N
// if signal N killed it.
//
// err is nil when the command ran (whatever its status) and the whole trace
// was written. Otherwise exitCode is still meaningful: 127 (command not
// found) or 126 (not executable) as a shell would say, 1 if tracing could
// not start (ptrace not permitted, seccomp unavailable, ChildMain not
// called), the command's status if the trace could not be written or ctx
// ended the run (err is then ctx.Err(); the command was killed).
//
// Signals: unless opts.NoSignalHandling, Run catches SIGINT, SIGTERM,
// SIGHUP and SIGQUIT while it runs. The first is forwarded to the command
// (not if it came from the terminal, which signals the command itself) and
// tracing goes on until the command ends; a second one kills every traced
// process. The tracer never detaches from a launched command: the seccomp
// filter would make its memory calls fail with ENOSYS without a tracer.
//
// The binary must call ChildMain first thing in main (see the package
// documentation). All ptrace requests come from one locked OS thread.
func Run(ctx context.Context, argv []string, opts Options) (exitCode int, err error) {
	if len(argv) == 0 {
		return 1, errors.New("tracer: no command to run")
	}
	if opts.Output == nil {
		return 1, errors.New("tracer: Options.Output is nil")
	}
	defer quietChildStops()()
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the thread exits with the goroutine, which also
		// ends any ptrace link left behind (PTRACE_O_EXITKILL kills).
		runtime.LockOSThread()
		code, err := runLocked(ctx, argv, opts)
		done <- result{code, err}
	}()
	r := <-done
	return r.code, r.err
}

// runLocked is Run on the locked tracer thread.
func runLocked(ctx context.Context, argv []string, opts Options) (int, error) {
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	path, code, err := lookPath(argv[0], env, opts.Dir)
	if err != nil {
		return code, err
	}
	useSeccomp := !opts.NoSeccomp
	mode := "exec"
	if opts.KeepASLR {
		mode += ",aslr"
	}
	if !useSeccomp {
		mode += ",noseccomp"
	}
	childEnv := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, childEnvVar+"=") {
			childEnv = append(childEnv, kv)
		}
	}
	childEnv = append(childEnv, childEnvVar+"="+mode)

	goR, goW, err := os.Pipe()
	if err != nil {
		return 1, err
	}
	defer goW.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		goR.Close()
		return 1, err
	}
	defer statusR.Close()
	// fds 0, 1, 2 of the command: the given files, or the tracer's own
	// (used by number: os.Stdin.Fd() would make the tracer's stdin blocking).
	files := []uintptr{0, 1, 2, goR.Fd(), statusW.Fd()}
	for i, f := range []*os.File{opts.Stdin, opts.Stdout, opts.Stderr} {
		if f != nil {
			files[i] = f.Fd()
		}
	}
	pid, err := syscall.ForkExec("/proc/self/exe", append([]string{childArgv0, path}, argv...), &syscall.ProcAttr{
		Dir:   opts.Dir,
		Env:   childEnv,
		Files: files,
	})
	goR.Close()
	statusW.Close()
	if err != nil {
		return 1, fmt.Errorf("tracer: starting the helper child: %w", err)
	}

	out := newOutput(opts.Output, opts.Timestamps)
	tr := newTracer(out, useSeccomp)
	tr.concurrent = opts.ConcurrentCalls
	tr.launched = pid
	stopWatch := tr.watchRun(ctx, opts.NoSignalHandling)
	defer stopWatch()

	// The helper says "R <tid>" when its filter is installed and it waits
	// for us, "E <message>" if it failed; EOF if it died (or never ran
	// ChildMain).
	line, rerr := bufio.NewReader(statusR).ReadString('\n')
	line = strings.TrimSuffix(line, "\n")
	tid, perr := strconv.Atoi(strings.TrimPrefix(line, "R "))
	if rerr != nil || !strings.HasPrefix(line, "R ") || perr != nil {
		tr.killAll()
		tr.reapLaunched()
		if ctx.Err() != nil {
			return 1, ctx.Err()
		}
		if msg, ok := strings.CutPrefix(line, "E "); ok {
			return 1, errors.New("tracer: " + msg)
		}
		return 1, errors.New("tracer: the helper child exited before it was ready " +
			"(does main call tracer.ChildMain first?)")
	}
	opt := seizeOptions | unix.PTRACE_O_EXITKILL
	if useSeccomp {
		opt |= unix.PTRACE_O_TRACESECCOMP
	}
	if err := ptraceSeize(tid, opt); err != nil {
		tr.killAll()
		tr.reapLaunched()
		return 1, ptraceError(tid, err)
	}
	t := tr.addThread(tid, pid, true)
	t.preExec = true
	if err := ptraceInterrupt(tid); err != nil {
		tr.killAll()
		tr.reapLaunched()
		return 1, fmt.Errorf("tracer: PTRACE_INTERRUPT: %w", err)
	}
	noASLR := !opts.KeepASLR || aslrOff(pid)
	out.text(header(shellQuote(argv), noASLR))
	if _, err := goW.Write([]byte{1}); err != nil {
		tr.killAll()
	}
	goW.Close()

	loopErr := tr.loop(func() bool { return len(tr.threads) == 0 && tr.launchedReaped })
	if !tr.launchedReaped {
		tr.killAll()
		tr.reapLaunched()
	}
	code = statusCode(tr.exitStatus)
	switch {
	case loopErr != nil:
		return code, loopErr
	case tr.execErrno != 0:
		return code, fmt.Errorf("tracer: exec %s: %w", path, syscall.Errno(tr.execErrno))
	case ctx.Err() != nil:
		return code, ctx.Err()
	case out.err != nil:
		return code, fmt.Errorf("tracer: writing the trace: %w", out.err)
	}
	return code, nil
}

// loop waits for and handles tracee events until finished reports true,
// nothing is left to wait for, a detach is requested, or tracing fails.
func (tr *tracer) loop(finished func() bool) error {
	for !finished() {
		if tr.detachRequested {
			return errDetachRequested
		}
		if tr.fatal != nil {
			tr.killAll()
			return tr.fatal
		}
		err := tr.waitOne()
		if err == unix.ECHILD {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tracer: wait4: %w", err)
		}
	}
	return nil
}

// reapLaunched waits for the launched pid to end (after killAll) and keeps
// its status, handling any other events meanwhile.
func (tr *tracer) reapLaunched() {
	for !tr.launchedReaped {
		if err := tr.waitOne(); err != nil && err != unix.EINTR {
			return
		}
	}
}

// statusCode converts a wait status to a shell-style exit code.
func statusCode(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 1
}

// watchRun starts the goroutine that turns ctx cancellation into killAll
// and caught signals into forward (first) and killAll (later ones). The
// returned function stops it and the signal catching.
func (tr *tracer) watchRun(ctx context.Context, noSignals bool) (stop func()) {
	sigs := make(chan os.Signal, 4)
	if !noSignals {
		signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	}
	quit := make(chan struct{})
	go func() {
		ctxDone := ctx.Done()
		n := 0
		for {
			select {
			case <-quit:
				return
			case <-ctxDone:
				ctxDone = nil
				tr.killAll()
			case s := <-sigs:
				n++
				if n == 1 {
					tr.forward(s.(syscall.Signal))
				} else {
					tr.killAll()
				}
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(quit)
	}
}

// lookPath finds the command file as a shell would: a name with a slash is
// used as is (relative to dir), another is searched in the PATH of env. It
// returns the path to execute, or exit code 127 (not found) or 126 (found
// but not executable) with an error.
func lookPath(file string, env []string, dir string) (string, int, error) {
	check := func(p string) error {
		if dir != "" && !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return syscall.EISDIR
		}
		if fi.Mode()&0o111 == 0 {
			return syscall.EACCES
		}
		return nil
	}
	if strings.Contains(file, "/") {
		err := check(file)
		switch {
		case err == nil:
			return file, 0, nil
		case errors.Is(err, os.ErrNotExist):
			return "", 127, fmt.Errorf("tracer: %s: no such file or directory", file)
		default:
			return "", 126, fmt.Errorf("tracer: %s: cannot execute: %w", file, unwrapPathError(err))
		}
	}
	pathVar := "/usr/local/bin:/usr/bin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	var denied error
	for _, d := range filepath.SplitList(pathVar) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, file)
		if d == "." {
			p = "./" + file
		}
		err := check(p)
		if err == nil {
			return p, 0, nil
		}
		if !errors.Is(err, os.ErrNotExist) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", 126, fmt.Errorf("tracer: %s: cannot execute: %w", file, unwrapPathError(denied))
	}
	return "", 127, fmt.Errorf("tracer: %s: command not found", file)
}

// unwrapPathError returns the errno inside a *os.PathError, or err.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ptraceError explains a failed PTRACE_SEIZE of tid.
func ptraceError(tid int, err error) error {
	if err != unix.EPERM {
		return fmt.Errorf("tracer: ptrace(PTRACE_SEIZE, %d): %w", tid, err)
	}
	scope := ptraceScope()
	hint := "/proc/sys/kernel/yama/ptrace_scope is absent (no Yama)"
	if scope != "" {
		hint = "/proc/sys/kernel/yama/ptrace_scope is " + scope +
			" (0: same user may trace; 1: only descendants; 2: only with CAP_SYS_PTRACE; 3: no ptrace at all)"
	}
	return fmt.Errorf("tracer: ptrace(PTRACE_SEIZE, %d): %w: the kernel does not let vmscope trace this process. "+
		"%s. Tracing another user's process needs CAP_SYS_PTRACE (run as root, or in a container with "+
		"--cap-add=SYS_PTRACE and a seccomp profile that allows ptrace); the process may also be traced "+
		"already (TracerPid in /proc/%d/status)", tid, err, hint, tid)
}
