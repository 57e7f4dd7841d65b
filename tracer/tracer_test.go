//go:build linux && (amd64 || arm64)

package tracer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTrue traces /bin/true: the header, the execve line then the @image of
// the new image, libc mapped with its path, the final @maps right before
// exit_group, the exit line last; and, ASLR being off by default, two runs
// give the same trace while KeepASLR moves the image.
func TestTrue(t *testing.T) {
	r := runTraced(t, []string{"/bin/true"}, Options{})
	if r.code != 0 || r.err != nil {
		t.Fatalf("code %d, err %v", r.code, r.err)
	}
	l := r.lines
	if l[0].raw != "# vmscope trace: /bin/true" || indexOf(l, "@set aslr 0") < 0 {
		t.Errorf("header:\n%s", head(r.trace, 6))
	}
	i, _ := indexMatch(l, `^\d+ execve\("/bin/true", \["/bin/true"\], 0x[0-9a-f]+ /\* \d+ vars \*/\) = 0$`)
	if i < 0 || l[i+1].kind != lBlock || l[i+1].name != "image" {
		t.Fatalf("no execve line followed by @image:\n%s", r.trace)
	}
	if !slices.ContainsFunc(l[i+1].body, func(s string) bool { return strings.HasSuffix(s, "/usr/bin/true") }) ||
		!slices.ContainsFunc(l[i+1].body, func(s string) bool { return strings.HasSuffix(s, "[stack]") }) {
		t.Errorf("@image lacks the binary or the stack: %q", l[i+1].body)
	}
	if j, _ := indexMatch(l, `^\d+ mmap\(NULL, \d+, 0x1, 0x802, 3</[^>]*/libc\.so\.6>, 0\) = 0x[0-9a-f]+$`); j < 0 {
		t.Errorf("no mmap of libc with its path")
	}
	n := len(l)
	if l[n-1].raw != fmt.Sprintf("%d +++ exited with 0 +++", r.pid) ||
		l[n-2].raw != fmt.Sprintf("%d exit_group(0) = ?", r.pid) ||
		l[n-3].kind != lBlock || l[n-3].name != "maps" || l[n-3].tid != r.pid {
		t.Errorf("trace does not end with @maps, exit_group, exit:\n%s", tail(r.trace, 5))
	}

	again := runTraced(t, []string{"/bin/true"}, Options{})
	if a, b := normalize(r.lines), normalize(again.lines); !slices.Equal(a, b) {
		t.Errorf("two runs with ASLR off differ:\n%s\n----\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	aslr := runTraced(t, []string{"/bin/true"}, Options{KeepASLR: true})
	if slices.Equal(blocks(aslr.lines, "image", aslr.pid)[0], blocks(r.lines, "image", r.pid)[0]) {
		t.Errorf("KeepASLR: the image did not move")
	}
	if indexOf(aslr.lines, "@set aslr 0") >= 0 && !aslrOff(os.Getpid()) {
		t.Errorf("KeepASLR: header says aslr 0")
	}
}

// TestHelperSignalDropped sends SIGURG to the helper at the entry of its
// execve (as the helper's Go runtime may, to preempt): the signal is still
// pending when the command starts, and must not show in its trace.
func TestHelperSignalDropped(t *testing.T) {
	urgAtHelperExecForTest = true
	r := runTraced(t, []string{"/bin/true"}, Options{})
	urgAtHelperExecForTest = false
	if r.code != 0 || r.err != nil {
		t.Fatalf("code %d, err %v", r.code, r.err)
	}
	if strings.Contains(r.trace, "SIGURG") {
		t.Errorf("the helper's SIGURG reached the trace:\n%s", r.trace)
	}
}

// TestImageIsKernelImage runs a libc-free program whose first act is to
// print /proc/self/maps: the @image block must be exactly that text, so the
// snapshot is taken after the exec and before the new image runs.
func TestImageIsKernelImage(t *testing.T) {
	start := testProgram(t, "start")
	r := runTraced(t, []string{start}, Options{})
	if r.code != 0 || r.err != nil {
		t.Fatalf("code %d, err %v", r.code, r.err)
	}
	img := blocks(r.lines, "image", r.pid)
	if len(img) != 1 {
		t.Fatalf("%d @image blocks", len(img))
	}
	if got := strings.Join(img[0], "\n") + "\n"; got != r.stdout {
		t.Errorf("@image differs from the program's own maps:\n%s\n---- program:\n%s", got, r.stdout)
	}
}

// TestCProgram traces a C program that maps anonymous memory and a file,
// changes protections, remaps, names a region, fails a call, starts a
// thread and forks. Every address the program printed must be the result
// of the matching trace line, each new thread's lines must come after the
// clone that made it, and the final @maps must equal the program's own
// /proc/self/maps read just before exit_group.
func TestCProgram(t *testing.T) {
	prog := testProgram(t, "prog")
	data := filepath.Join(t.TempDir(), "data")
	r := runTraced(t, []string{prog, "basic", data}, Options{})
	if r.code != 0 || r.err != nil {
		t.Fatalf("code %d, err %v\n%s", r.code, r.err, r.stdout)
	}
	checkTidsAnnounced(t, r)
	pid := r.pid
	has := func(format string, a ...any) int {
		t.Helper()
		s := fmt.Sprintf(format, a...)
		i := indexOf(r.lines, s)
		if i < 0 {
			t.Errorf("missing line %q", s)
		}
		return i
	}
	anon := outputFields(t, r.stdout, "anon")[1]
	has("%d mmap(NULL, 8192, 0x3, 0x22, -1, 0) = %s", pid, anon)
	has("%d mprotect(%s, 4096, 0x1) = 0", pid, anon)
	a, _ := strconv.ParseUint(anon, 0, 64)
	has("%d munmap(0x%x, 4096) = 0", pid, a+4096)
	file := outputFields(t, r.stdout, "file")
	has("%d mmap(NULL, 8192, 0x1, 0x1, %s<%s>, 0) = %s", pid, file[2], data, file[1])
	remapped := outputFields(t, r.stdout, "mremap")[1]
	has("%d mremap(%s, 8192, 16384, 0x1) = %s", pid, file[1], remapped)
	has("%d madvise(%s, 4096, 0x4) = 0", pid, remapped)
	if outputFields(t, r.stdout, "prctl")[1] == "0" {
		has(`%d prctl(0x53564d41, 0, %s, 4096, "vmscope-test") = 0`, pid, anon)
	} else {
		has(`%d prctl(0x53564d41, 0, %s, 4096, "vmscope-test") = -1 EINVAL (Invalid argument)`, pid, anon)
	}
	errno, _ := strconv.Atoi(outputFields(t, r.stdout, "badmmap")[1])
	has("%d mmap(0x1000, 4096, 0x1, 0x100123, -1, 0) = %s", pid, errnoResult(int64(errno)))

	th := outputFields(t, r.stdout, "thread")
	ci, _ := indexMatch(r.lines, fmt.Sprintf(`^%d clone3?\(.*flags=0x[0-9a-f]+.*\) = %s$`, pid, th[1]))
	ti := has("%s mmap(NULL, 12288, 0x3, 0x22, -1, 0) = %s", th[1], th[2])
	if ci < 0 || ci > ti {
		t.Errorf("no clone returning thread %s before its lines", th[1])
	} else if f := regexp.MustCompile(`flags=(0x[0-9a-f]+)`).FindStringSubmatch(r.lines[ci].raw); f == nil {
		t.Errorf("clone line without flags")
	} else if fl, _ := strconv.ParseUint(f[1], 0, 64); fl&unix.CLONE_THREAD == 0 {
		t.Errorf("thread clone flags %s lack CLONE_THREAD", f[1])
	}
	has("%s exit(0) = ?", th[1])
	has("%s +++ exited with 0 +++", th[1])

	child := outputFields(t, r.stdout, "child")
	fi, _ := indexMatch(r.lines, fmt.Sprintf(`^%d clone\(child_stack=NULL, flags=0x1200011, child_tidptr=0x[0-9a-f]+\) = %s$`, pid, child[1]))
	mi := has("%s mmap(NULL, 20480, 0x3, 0x22, -1, 0) = %s", child[1], child[2])
	if fi < 0 || fi > mi {
		t.Errorf("no fork (clone) returning %s before the child's lines", child[1])
	}
	cpid, _ := strconv.Atoi(child[1])
	if len(blocks(r.lines, "maps", cpid)) != 1 {
		t.Errorf("no @maps block for the child %d", cpid)
	}
	has("%s exit_group(0) = ?", child[1])
	has("%s +++ exited with 0 +++", child[1])
	if i, _ := indexMatch(r.lines, fmt.Sprintf(`^%d --- SIGCHLD \{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=%s, si_uid=\d+, si_status=0, `, pid, child[1])); i < 0 {
		t.Errorf("no SIGCHLD line for the child")
	}

	own := r.stdout[strings.Index(r.stdout, "MAPS\n")+5 : strings.Index(r.stdout, "ENDMAPS\n")]
	final := blocks(r.lines, "maps", pid)
	if len(final) != 1 {
		t.Fatalf("%d @maps blocks for %d", len(final), pid)
	}
	if got := strings.Join(final[0], "\n") + "\n"; got != own {
		t.Errorf("final @maps differs from the program's own maps:\n%s\n---- program:\n%s", got, own)
	}
	n := len(r.lines)
	if r.lines[n-3].kind != lBlock || r.lines[n-2].raw != fmt.Sprintf("%d exit_group(0) = ?", pid) {
		t.Errorf("trace does not end with @maps, exit_group, exit:\n%s", tail(r.trace, 4))
	}
}

// TestExitCodes checks that the command's exit status is Run's result: an
// exit code as is, a killing signal as 128+N with the signal line, a final
// @maps and the kill line, and the shell's 127 and 126 when the command
// cannot be found or executed.
func TestExitCodes(t *testing.T) {
	prog := testProgram(t, "prog")
	t.Run("exit3", func(t *testing.T) {
		r := runTraced(t, []string{prog, "exit3"}, Options{})
		if r.code != 3 || r.err != nil {
			t.Fatalf("code %d, err %v", r.code, r.err)
		}
		if last := r.lines[len(r.lines)-1].raw; last != fmt.Sprintf("%d +++ exited with 3 +++", r.pid) {
			t.Errorf("last line %q", last)
		}
	})
	t.Run("segv", func(t *testing.T) {
		r := runTraced(t, []string{prog, "segv"}, Options{})
		if r.code != 128+int(syscall.SIGSEGV) || r.err != nil {
			t.Fatalf("code %d, err %v", r.code, r.err)
		}
		i := indexOf(r.lines, fmt.Sprintf("%d --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---", r.pid))
		if i < 1 || r.lines[i-1].kind != lBlock || r.lines[i-1].name != "maps" {
			t.Errorf("no @maps then SIGSEGV line:\n%s", tail(r.trace, 8))
		}
		if _, m := indexMatch(r.lines, fmt.Sprintf(`^%d \+\+\+ killed by SIGSEGV( \(core dumped\))? \+\+\+$`, r.pid)); m == nil {
			t.Errorf("no kill line:\n%s", tail(r.trace, 3))
		}
	})
	t.Run("notfound", func(t *testing.T) {
		var buf syncBuffer
		code, err := Run(context.Background(), []string{"vmscope-no-such-command"}, Options{Output: &buf})
		if code != 127 || err == nil || !strings.Contains(err.Error(), "command not found") || buf.String() != "" {
			t.Errorf("code %d, err %v, output %q", code, err, buf.String())
		}
		code, err = Run(context.Background(), []string{"./no/such/file"}, Options{Output: &buf})
		if code != 127 || err == nil {
			t.Errorf("code %d, err %v", code, err)
		}
	})
	t.Run("notexecutable", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "plain")
		os.WriteFile(f, []byte("data"), 0o644)
		var buf syncBuffer
		code, err := Run(context.Background(), []string{f}, Options{Output: &buf})
		if code != 126 || err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("code %d, err %v", code, err)
		}
	})
	t.Run("execfails", func(t *testing.T) {
		// Executable but not a program: the helper's execve itself fails.
		f := filepath.Join(t.TempDir(), "garbage")
		os.WriteFile(f, []byte("\x01\x02\x03\x04 not a program"), 0o755)
		r := runTraced(t, []string{f}, Options{})
		if r.code != 126 || r.err == nil || !errors.Is(r.err, syscall.ENOEXEC) {
			t.Errorf("code %d, err %v", r.code, r.err)
		}
		if i, _ := indexMatch(r.lines, `^\d+ execve\(".*garbage", \[".*garbage"\], 0x[0-9a-f]+ /\* \d+ vars \*/\) = -1 ENOEXEC \(Exec format error\)$`); i < 0 {
			t.Errorf("no failed execve line:\n%s", r.trace)
		}
	})
}

// TestRealPrograms traces interpreters (through whatever wrappers PATH
// gives, e.g. pyenv shims): the trace must parse line by line, end with the
// program's exit, and hold an @image and a final @maps of the last image.
func TestRealPrograms(t *testing.T) {
	for _, argv := range [][]string{{"python3", "-c", "pass"}, {"perl", "-e", "1"}} {
		t.Run(argv[0], func(t *testing.T) {
			if _, err := exec.LookPath(argv[0]); err != nil {
				t.Skip(err)
			}
			r := runTraced(t, argv, Options{})
			if r.code != 0 || r.err != nil {
				t.Fatalf("code %d, err %v", r.code, r.err)
			}
			checkTidsAnnounced(t, r)
			if len(blocks(r.lines, "image", r.pid)) == 0 || len(blocks(r.lines, "maps", r.pid)) != 1 {
				t.Errorf("missing @image or @maps of %d", r.pid)
			}
			if i, _ := indexMatch(r.lines, `^\d+ mmap\(.*, 3</[^>]*libc\.so\.6>, 0x[0-9a-f]+\) = 0x[0-9a-f]+$`); i < 0 {
				t.Errorf("no file mmap of libc")
			}
			if last := r.lines[len(r.lines)-1].raw; last != fmt.Sprintf("%d +++ exited with 0 +++", r.pid) {
				t.Errorf("last line %q", last)
			}
			t.Logf("%d lines", len(r.lines))
		})
	}
}

// TestGoProgram traces a Go program (this test binary, running no test):
// many threads made with clone, each announced before its lines, and Go's
// prctl(PR_SET_VMA) naming calls printed with their name strings.
func TestGoProgram(t *testing.T) {
	r := runTraced(t, []string{os.Args[0], "-test.run=^$"}, Options{})
	if r.code != 0 || r.err != nil {
		t.Fatalf("code %d, err %v", r.code, r.err)
	}
	checkTidsAnnounced(t, r)
	threads := 0
	for _, l := range r.lines {
		if l.kind == lCall && strings.HasPrefix(l.name, "clone") {
			threads++
		}
	}
	if threads < 2 {
		t.Errorf("%d clone lines", threads)
	}
	if i, _ := indexMatch(r.lines, `^\d+ prctl\(0x53564d41, 0, 0x[0-9a-f]+, \d+, " ?Go: [^"]+"\) = `); i < 0 {
		t.Errorf("no prctl(PR_SET_VMA) with a Go name")
	}
}

// TestThreadsAndForks traces concurrent threads that map memory while
// others fork, fork+exec, posix_spawn (clone with CLONE_VFORK) and
// vfork+exec; then a program whose non-leader thread calls execve.
func TestThreadsAndForks(t *testing.T) {
	prog := testProgram(t, "prog")
	t.Run("threads", func(t *testing.T) {
		r := runTraced(t, []string{prog, "threads"}, Options{})
		if r.code != 0 || r.err != nil {
			t.Fatalf("code %d, err %v", r.code, r.err)
		}
		checkTidsAnnounced(t, r)
		execs := 0
		for _, l := range r.lines {
			if l.kind == lBlock && l.name == "image" && l.tid != r.pid {
				execs++
			}
		}
		if execs != 3 {
			t.Errorf("%d @image blocks of children, want 3", execs)
		}
		if i, _ := indexMatch(r.lines, `^\d+ vfork\(\) = \d+$`); i < 0 {
			t.Errorf("no vfork line")
		}
		if i, _ := indexMatch(r.lines, `^\d+ clone3?\(.*flags=0x[0-9a-f]*4[0-9a-f]{3}\b`); i < 0 {
			t.Errorf("no clone with CLONE_VM|CLONE_VFORK (posix_spawn)")
		}
		mmaps := 0
		for _, l := range r.lines {
			if l.kind == lCall && l.name == "mmap" && l.tid != r.pid {
				mmaps++
			}
		}
		if mmaps < 250 {
			t.Errorf("%d mmap lines from threads and children, want >= 250", mmaps)
		}
		// Every thread and process that appeared has ended.
		ended := map[int]bool{}
		for _, l := range r.lines {
			if l.kind == lExit {
				ended[l.tid] = true
			}
		}
		for _, l := range r.lines {
			if l.kind >= lCall && !ended[l.tid] {
				t.Errorf("thread %d has no exit line", l.tid)
				ended[l.tid] = true
			}
		}
	})
	t.Run("threadexec", func(t *testing.T) {
		r := runTraced(t, []string{prog, "threadexec"}, Options{})
		if r.code != 0 || r.err != nil {
			t.Fatalf("code %d, err %v\n%s", r.code, r.err, r.trace)
		}
		// The exec is reported under the thread group id, which the
		// execing thread takes over; the image follows.
		i := indexOf(r.lines, fmt.Sprintf(`%d execve("/bin/true", ["true"], %s) = 0`, r.pid,
			regexp.MustCompile(`0x[0-9a-f]+ /\* \d+ vars \*/`).FindString(r.trace[strings.LastIndex(r.trace, `execve("/bin/true"`):])))
		if i < 0 || len(blocks(r.lines, "image", r.pid)) != 2 {
			t.Errorf("no execve of /bin/true by %d with its @image:\n%s", r.pid, r.trace)
		}
	})
}

// TestExitGroupBarrier calls exit_group while four threads keep mapping and
// unmapping: the final @maps must come after every call line of the group
// (calls in flight are waited for; later ones never start), then only the
// exit_group line and the threads' exit lines follow.
func TestExitGroupBarrier(t *testing.T) {
	prog := testProgram(t, "prog")
	for range 3 {
		r := runTraced(t, []string{prog, "exitrace"}, Options{})
		if r.code != 0 || r.err != nil {
			t.Fatalf("code %d, err %v", r.code, r.err)
		}
		i := slices.IndexFunc(r.lines, func(l tline) bool { return l.kind == lBlock && l.name == "maps" && l.tid == r.pid })
		if i < 0 || r.lines[i+1].raw != fmt.Sprintf("%d exit_group(0) = ?", r.pid) {
			t.Fatalf("no @maps then exit_group:\n%s", tail(r.trace, 12))
		}
		for _, l := range r.lines[i+2:] {
			if l.kind != lExit {
				t.Errorf("line after the final @maps: %q", l.raw)
			}
		}
		if n := strings.Count(r.trace, " +++ exited with 0 +++"); n != 5 {
			t.Errorf("%d exit lines, want 5", n)
		}
	}
}

// reuseViolations replays the one-page mmap/munmap calls of a trace in
// line order and returns the lines where mmap(NULL, 4096, ...) returned a
// page that, by the lines before, is still mapped: impossible for the
// kernel, so the lines are out of the kernel's order.
func reuseViolations(lines []tline) []string {
	mapped := map[string]bool{}
	var bad []string
	for _, l := range lines {
		if l.kind != lCall {
			continue
		}
		switch {
		case l.name == "mmap" && l.args[0] == "NULL" && l.args[1] == "4096" && strings.HasPrefix(l.result, "0x"):
			if mapped[l.result] {
				bad = append(bad, l.raw)
			}
			mapped[l.result] = true
		case l.name == "munmap" && l.args[1] == "4096" && l.result == "0":
			delete(mapped, l.args[0])
		}
	}
	return bad
}

// TestCallOrder runs 4 threads that map and unmap one page 3000 times each:
// with the default serialization of address-space calls, no line may show
// an mmap returning a page still mapped by the lines before it. The same
// run with ConcurrentCalls (the order strace gives) is logged for
// comparison: it typically has hundreds of such lines.
func TestCallOrder(t *testing.T) {
	prog := testProgram(t, "prog")
	r := runTraced(t, []string{prog, "reuse"}, Options{})
	if r.code != 0 || r.err != nil {
		t.Fatalf("code %d, err %v", r.code, r.err)
	}
	if bad := reuseViolations(r.lines); len(bad) > 0 {
		t.Errorf("%d mmap lines out of the kernel's order, first: %q", len(bad), bad[0])
	}
	c := runTraced(t, []string{prog, "reuse"}, Options{ConcurrentCalls: true})
	t.Logf("with ConcurrentCalls: %d of %d mmap lines out of order", len(reuseViolations(c.lines)), strings.Count(c.trace, " mmap(NULL, 4096,"))
}

// TestModesAgree traces one deterministic program four ways: with the
// seccomp filter or stopping at every call (NoSeccomp), reading calls with
// PTRACE_GET_SYSCALL_INFO or from registers (the path for kernels before
// 5.3). The traces must be identical.
func TestModesAgree(t *testing.T) {
	prog := testProgram(t, "prog")
	var ref []string
	for _, mode := range []struct {
		name      string
		noSeccomp bool
		regs      bool
	}{{"seccomp", false, false}, {"syscall", true, false}, {"seccomp-regs", false, true}, {"syscall-regs", true, true}} {
		if mode.regs && !haveRegsFallback {
			continue
		}
		forceRegsForTest = mode.regs
		r := runTraced(t, []string{prog, "seq"}, Options{NoSeccomp: mode.noSeccomp})
		forceRegsForTest = false
		if r.code != 0 || r.err != nil {
			t.Fatalf("%s: code %d, err %v", mode.name, r.code, r.err)
		}
		got := normalize(r.lines)
		if ref == nil {
			ref = got
			if n := len(r.events); n < 90 {
				t.Fatalf("%s: only %d events", mode.name, n)
			}
			if i, _ := indexMatch(r.lines, `^\d+ munmap\(0x8, 4096\) = -1 EINVAL \(Invalid argument\)$`); i < 0 {
				t.Errorf("no failed munmap")
			}
			continue
		}
		if !slices.Equal(ref, got) {
			t.Errorf("%s trace differs from seccomp trace:\n%s\n---- seccomp:\n%s", mode.name,
				strings.Join(got, "\n"), strings.Join(ref, "\n"))
		}
	}
}

// startLoop starts argv under Run in the background with the program's
// stdout on a pipe, waits for its "ready PID" line and returns the pid,
// the trace buffer and a channel with Run's result.
func startLoop(t *testing.T, ctx context.Context, argv []string) (int, *syncBuffer, chan [2]any) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close(); pw.Close() })
	buf := &syncBuffer{}
	res := make(chan [2]any, 1)
	go func() {
		code, err := Run(ctx, argv, Options{Output: buf, Stdout: pw})
		res <- [2]any{code, err}
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 2 || f[0] != "ready" {
		t.Fatalf("program did not get ready: %q %v", line, err)
	}
	pid, _ := strconv.Atoi(f[1])
	return pid, buf, res
}

// waitRun waits for Run's result from startLoop.
func waitRun(t *testing.T, res chan [2]any) (int, error) {
	t.Helper()
	select {
	case r := <-res:
		err, _ := r[1].(error)
		return r[0].(int), err
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	return 0, nil
}

// TestKilled kills a traced program from outside (SIGKILL: no signal stop)
// and cancels the context of another: both traces are line-complete and
// end with the kill line; Run reports 137 (and ctx.Err() when cancelled).
func TestKilled(t *testing.T) {
	prog := testProgram(t, "prog")
	t.Run("sigkill", func(t *testing.T) {
		pid, buf, res := startLoop(t, context.Background(), []string{prog, "loop"})
		unix.Kill(pid, unix.SIGKILL)
		code, err := waitRun(t, res)
		lines := checkTrace(t, buf.String())
		if code != 137 || err != nil || lines[len(lines)-1].raw != fmt.Sprintf("%d +++ killed by SIGKILL +++", pid) {
			t.Errorf("code %d, err %v, end:\n%s", code, err, tail(buf.String(), 3))
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		pid, buf, res := startLoop(t, ctx, []string{prog, "loop"})
		cancel()
		code, err := waitRun(t, res)
		lines := checkTrace(t, buf.String())
		if code != 137 || err != context.Canceled || lines[len(lines)-1].raw != fmt.Sprintf("%d +++ killed by SIGKILL +++", pid) {
			t.Errorf("code %d, err %v, end:\n%s", code, err, tail(buf.String(), 3))
		}
	})
}

// TestSignalForwarded sends SIGTERM to the tracer (this process): Run
// forwards it to the program, which handles it and exits 0 in one case,
// and dies of it (143) in the other, the trace recording the signal.
func TestSignalForwarded(t *testing.T) {
	prog := testProgram(t, "prog")
	t.Run("handled", func(t *testing.T) {
		pid, buf, res := startLoop(t, context.Background(), []string{prog, "sigterm"})
		unix.Kill(os.Getpid(), unix.SIGTERM)
		code, err := waitRun(t, res)
		lines := checkTrace(t, buf.String())
		want := fmt.Sprintf("%d --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=%d, si_uid=%d} ---", pid, os.Getpid(), os.Getuid())
		if code != 0 || err != nil || indexOf(lines, want) < 0 {
			t.Errorf("code %d, err %v; want %q in\n%s", code, err, want, tail(buf.String(), 6))
		}
	})
	t.Run("fatal", func(t *testing.T) {
		pid, buf, res := startLoop(t, context.Background(), []string{prog, "loop"})
		unix.Kill(os.Getpid(), unix.SIGTERM)
		code, err := waitRun(t, res)
		lines := checkTrace(t, buf.String())
		if code != 143 || err != nil || lines[len(lines)-1].raw != fmt.Sprintf("%d +++ killed by SIGTERM +++", pid) {
			t.Errorf("code %d, err %v, end:\n%s", code, err, tail(buf.String(), 4))
		}
	})
}

// TestTracerKilled kills the tracer process itself (a helper run of this
// binary) in the middle of a trace: the traced program dies with it
// (PTRACE_O_EXITKILL) and the trace file is valid up to its last line.
func TestTracerKilled(t *testing.T) {
	prog := testProgram(t, "prog")
	outFile := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command(os.Args[0], outFile, prog, "loop")
	cmd.Env = append(os.Environ(), testHelperEnv+"=run")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	var pid int
	if _, err := fmt.Sscanf(line, "ready %d", &pid); err != nil {
		cmd.Process.Kill()
		t.Fatalf("no ready line: %q", line)
	}
	time.Sleep(20 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := os.ReadFile(procPath(pid, "stat"))
		if err != nil || strings.Contains(string(st), ") Z ") {
			break // gone, or a zombie waiting for init
		}
		if time.Now().After(deadline) {
			t.Fatalf("the traced program %d outlived its tracer", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	data, _ := os.ReadFile(outFile)
	lines := checkTrace(t, string(data))
	if len(lines) < 10 {
		t.Errorf("only %d lines", len(lines))
	}
}

// startAttachee starts the attachee program detached from this process
// (through a shell, so that it is not our child) and returns its pid, the
// file that stops it and the file holding its output.
func startAttachee(t *testing.T) (pid int, stop, output string) {
	t.Helper()
	prog := testProgram(t, "prog")
	dir := t.TempDir()
	stop, output = filepath.Join(dir, "stop"), filepath.Join(dir, "out")
	sh := fmt.Sprintf("%s attachee %s > %s 2>&1 &", prog, stop, output)
	if err := exec.Command("/bin/sh", "-c", sh).Run(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(output)
		if _, err := fmt.Sscanf(string(data), "pid %d", &pid); err == nil {
			t.Cleanup(func() { os.WriteFile(stop, nil, 0o644) })
			return pid, stop, output
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("attachee did not start")
	return
}

// checkAttachTrace checks an Attach trace of the 3-thread attachee: the -p
// header, the attach-time @image first, the two other threads named right
// after it, then only lines of those three threads, where each thread's
// every mmap is followed by its munmap of the same range (calls are paired
// correctly at entry and exit).
func checkAttachTrace(t *testing.T, text string, pid int) []tline {
	t.Helper()
	lines := checkTrace(t, text)
	if !strings.HasPrefix(lines[0].raw, fmt.Sprintf("# vmscope trace: -p %d (", pid)) {
		t.Errorf("header %q", lines[0].raw)
	}
	first := slices.IndexFunc(lines, func(l tline) bool { return l.kind >= lBlock })
	if first < 0 || lines[first].kind != lBlock || lines[first].name != "image" || lines[first].tid != pid {
		t.Fatalf("the first block or event is not @image %d:\n%s", pid, head(text, 8))
	}
	known := map[int]bool{pid: true}
	for _, l := range lines[first+1 : first+3] {
		var tid, p int
		if _, err := fmt.Sscanf(l.raw, "@thread %d %d", &tid, &p); err != nil || p != pid {
			t.Fatalf("threads not named after @image:\n%s", head(text, first+5))
		}
		known[tid] = true
	}
	last := map[int]*tline{}
	mmaps := map[int]int{}
	for i := range lines {
		l := &lines[i]
		if l.kind != lCall {
			continue
		}
		if !known[l.tid] {
			t.Errorf("line of an unknown thread: %q", l.raw)
		}
		if p := last[l.tid]; p != nil && p.name == "mmap" && l.name == "munmap" {
			if l.args[0] != p.result || l.args[1] != p.args[1] {
				t.Errorf("munmap does not match the mmap before it:\n%s\n%s", p.raw, l.raw)
			}
		}
		if l.name == "mmap" {
			mmaps[l.tid]++
		}
		last[l.tid] = l
	}
	if len(mmaps) != 3 {
		t.Errorf("mmap lines from %d threads, want 3", len(mmaps))
	}
	return lines
}

// TestAttach attaches to a running process that is not our child. Detaching
// (by context, or by SIGTERM to the tracer) leaves it running untraced and
// able to finish normally;
// when the process ends while attached, the trace ends with its @maps,
// exit_group and exit lines.
func TestAttach(t *testing.T) {
	detach := func(t *testing.T, bySignal bool) {
		pid, stop, output := startAttachee(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var buf syncBuffer
		done := make(chan error, 1)
		go func() { done <- Attach(ctx, pid, Options{Output: &buf}) }()
		for deadline := time.Now().Add(10 * time.Second); strings.Count(buf.String(), " munmap(") < 20; {
			if time.Now().After(deadline) {
				t.Fatalf("no calls traced:\n%s", buf.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if bySignal {
			unix.Kill(os.Getpid(), unix.SIGTERM) // caught by Attach
		} else {
			cancel()
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		lines := checkAttachTrace(t, buf.String(), pid)
		if last := lines[len(lines)-1].raw; last != fmt.Sprintf("# vmscope: detached from %d", pid) {
			t.Errorf("last line %q", last)
		}
		if tp := statusField(pid, "TracerPid"); tp != "0" {
			t.Errorf("TracerPid %q after detach", tp)
		}
		os.WriteFile(stop, nil, 0o644)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if data, _ := os.ReadFile(output); strings.HasSuffix(string(data), "done\n") {
				break
			}
			if time.Now().After(deadline) {
				data, _ := os.ReadFile(output)
				t.Fatalf("the process did not finish after detach: %q", data)
			}
		}
	}
	t.Run("detach", func(t *testing.T) { detach(t, false) })
	t.Run("signal", func(t *testing.T) { detach(t, true) })
	t.Run("exit", func(t *testing.T) {
		pid, stop, _ := startAttachee(t)
		var buf syncBuffer
		done := make(chan error, 1)
		go func() { done <- Attach(context.Background(), pid, Options{Output: &buf}) }()
		for deadline := time.Now().Add(10 * time.Second); strings.Count(buf.String(), " munmap(") < 10; {
			if time.Now().After(deadline) {
				t.Fatalf("no calls traced:\n%s", buf.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		os.WriteFile(stop, nil, 0o644)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Attach did not return after the process ended")
		}
		lines := checkAttachTrace(t, buf.String(), pid)
		n := len(lines)
		if lines[n-1].raw != fmt.Sprintf("%d +++ exited with 0 +++", pid) ||
			lines[n-2].raw != fmt.Sprintf("%d exit_group(0) = ?", pid) ||
			lines[n-3].kind != lBlock || lines[n-3].name != "maps" {
			t.Errorf("end of trace:\n%s", tail(buf.String(), 4))
		}
		if c := strings.Count(buf.String(), " exit(0) = ?\n"); c != 2 {
			t.Errorf("%d thread exit lines, want 2", c)
		}
	})
}

// TestPermissionError attaches, as an unprivileged user, to a root process
// (this one): the error must say what was refused and where to look.
func TestPermissionError(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user")
	}
	dir, err := os.MkdirTemp("", "vmscope-eperm-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "tracer.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, strconv.Itoa(os.Getpid()))
	cmd.Env = []string{testHelperEnv + "=attach", "PATH=/usr/bin:/bin"}
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, _ := cmd.CombinedOutput()
	for _, want := range []string{"ERROR:", "operation not permitted", "ptrace_scope", "CAP_SYS_PTRACE"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error lacks %q: %s", want, out)
		}
	}
}

// TestFilterProgram runs the seccomp BPF program in a small interpreter:
// exactly the traced calls of the native ABI get SECCOMP_RET_TRACE.
func TestFilterProgram(t *testing.T) {
	prog := buildFilter(tracedNumbers())
	run := func(arch uint32, nr uint32) uint32 {
		pc, acc := 0, uint32(0)
		for steps := 0; steps < 1000; steps++ {
			ins := prog[pc]
			switch ins.Code {
			case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
				acc = map[uint32]uint32{seccompDataNr: nr, seccompDataArch: arch}[ins.K]
			case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
				if acc == ins.K {
					pc += int(ins.Jt)
				} else {
					pc += int(ins.Jf)
				}
			case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
				if acc >= ins.K {
					pc += int(ins.Jt)
				} else {
					pc += int(ins.Jf)
				}
			case unix.BPF_RET | unix.BPF_K:
				return ins.K
			default:
				t.Fatalf("unexpected instruction %+v", ins)
			}
			pc++
		}
		t.Fatal("filter loops")
		return 0
	}
	traced := map[uint32]bool{}
	for _, nr := range archSyscalls {
		traced[uint32(nr)] = true
	}
	for nr := uint32(0); nr < 600; nr++ {
		want := uint32(unix.SECCOMP_RET_ALLOW)
		if traced[nr] {
			want = unix.SECCOMP_RET_TRACE
		}
		if got := run(auditArch, nr); got != want {
			t.Errorf("nr %d: %#x, want %#x", nr, got, want)
		}
		if got := run(0x40000003 /* i386 */, nr); got != unix.SECCOMP_RET_ALLOW {
			t.Errorf("foreign arch nr %d: %#x", nr, got)
		}
		if x32Bit != 0 {
			if got := run(auditArch, nr|x32Bit); got != unix.SECCOMP_RET_ALLOW {
				t.Errorf("x32 nr %d: %#x", nr, got)
			}
		}
	}
}

// TestFormatting checks the pieces of the line syntax: C string quoting,
// fd paths, numbers, errors, signals, exit lines and the header command.
func TestFormatting(t *testing.T) {
	eq := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	eq(string(appendQuoted(nil, []byte("a\"b\\\n\x01\xff9 ok"))), `"a\"b\\\n\001\3779 ok"`)
	eq(string(appendPathEscaped(nil, "/tmp/a<b>\\c\nd é")), `/tmp/a\074b\076\134c\012d é`)
	eq(string(appendHex(nil, 0)), "0")
	eq(string(appendHex(nil, 0x22)), "0x22")
	eq(string(appendPtr(nil, 0)), "NULL")
	eq(formatResult(&sysDesc{hexResult: true}, 0x7ffff7fb0000), "0x7ffff7fb0000")
	eq(formatResult(&sysDesc{}, 3), "3")
	eq(formatResult(&sysDesc{hexResult: true}, -12), "-1 ENOMEM (Cannot allocate memory)")
	eq(formatResult(&sysDesc{}, -512), "? ERESTARTSYS (To be restarted if SA_RESTART is set)")
	eq(sigName(11), "SIGSEGV")
	eq(sigName(34), "SIGRT_2")
	var si siginfo
	si[0], si[8], si[16] = 7, 2, 0x10 // SIGBUS, BUS_ADRERR, si_addr 0x10
	eq(formatSignal(7, &si), "--- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x10} ---")
	eq(exitText(unix.WaitStatus(3<<8)), "+++ exited with 3 +++")
	eq(exitText(unix.WaitStatus(11|0x80)), "+++ killed by SIGSEGV (core dumped) +++")
	eq(shellQuote([]string{"python3", "-c", "import json", "a'b", "x\ny"}), `python3 -c 'import json' 'a'\''b' $"x\ny"`)
	eq(header("ls", true), "# vmscope trace: ls\n@personality linux\n@arch "+archName+"\n@pagesize "+
		strconv.Itoa(os.Getpagesize())+"\n@set aslr 0\n")
	if _, err := parseTrace("1 mmap(NULL, 1, 0x3, 0x22, -1, 0) = 0x1000"); err == nil {
		t.Errorf("the test parser accepts an incomplete last line")
	}
}

// TestHelperOnOtherThread builds a binary whose ChildMain runs on a thread
// other than the main thread: the helper's exec then comes from a
// non-leader thread of a process whose leader is not traced. The trace and
// the exit code must be as usual.
func TestHelperOnOtherThread(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip(err)
	}
	prog := testProgram(t, "prog")
	bin := filepath.Join(t.TempDir(), "otherthread")
	if out, err := exec.Command(goTool, "build", "-o", bin, "./testdata/otherthread").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, prog, "exit3")
	out, err := cmd.Output()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 3 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	lines := checkTrace(t, string(out))
	i, _ := indexMatch(lines, `^\d+ execve\(".*/prog", \[".*/prog", "exit3"\], `)
	if i < 0 || lines[i+1].kind != lBlock || lines[len(lines)-1].raw != fmt.Sprintf("%d +++ exited with 3 +++", lines[i].tid) {
		t.Errorf("unexpected trace:\n%s", out)
	}
}
