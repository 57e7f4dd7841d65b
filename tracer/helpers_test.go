//go:build linux && (amd64 || arm64)

package tracer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- test programs ----

var (
	progOnce sync.Once
	progDir  string
	progErr  error
	progs    = map[string]string{} // name -> path
)

// buildTestPrograms compiles testdata/*.c once per test binary run.
func buildTestPrograms() {
	if _, err := exec.LookPath("gcc"); err != nil {
		progErr = fmt.Errorf("gcc not found: %v", err)
		return
	}
	progDir, progErr = os.MkdirTemp("", "vmscope-tracer-test-")
	if progErr != nil {
		return
	}
	os.Chmod(progDir, 0o755)
	build := func(name string, args ...string) {
		if progErr != nil {
			return
		}
		out := filepath.Join(progDir, name)
		cmd := exec.Command("gcc", append(args, "-o", out)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			progErr = fmt.Errorf("gcc %v: %v\n%s", args, err, b)
			return
		}
		progs[name] = out
	}
	build("prog", "-O1", "-Wall", "-pthread", "testdata/prog.c")
	if runtime.GOARCH == "amd64" {
		build("start", "-O1", "-static", "-nostdlib", "-fno-stack-protector", "testdata/start.c")
	}
}

// testProgram returns the path of a compiled test program (prog, start),
// skipping the test if it cannot be built.
func testProgram(t testing.TB, name string) string {
	t.Helper()
	progOnce.Do(buildTestPrograms)
	if progErr != nil {
		t.Skip(progErr)
	}
	p, ok := progs[name]
	if !ok {
		t.Skipf("no test program %s on %s", name, runtime.GOARCH)
	}
	return p
}

// cleanupTestPrograms removes the compiled programs.
func cleanupTestPrograms() {
	if progDir != "" {
		os.RemoveAll(progDir)
	}
}

// ---- running ----

// syncBuffer is a bytes.Buffer safe for a writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p under the lock; it never fails.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns a copy of everything written so far.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// traceResult is what one traced run produced.
type traceResult struct {
	trace  string   // the raw trace
	lines  []tline  // parsed
	stdout string   // the program's standard output
	code   int      // Run's exit code
	err    error    // Run's error
	pid    int      // the launched pid (tid of the first event line)
	events []string // event lines without the pid prefix, for comparisons
}

// runTraced runs argv under Run (opts.Output and Stdout are set here) with a
// 30 s timeout, checks the trace's shape, and returns what it produced.
func runTraced(t *testing.T, argv []string, opts Options) *traceResult {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errOut, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer errOut.Close()
	var buf syncBuffer
	opts.Output = &buf
	opts.Stdout, opts.Stderr = out, errOut
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := Run(ctx, argv, opts)
	stdout, _ := os.ReadFile(out.Name())
	r := &traceResult{trace: buf.String(), stdout: string(stdout), code: code, err: err}
	r.lines = checkTrace(t, r.trace)
	for _, l := range r.lines {
		if l.kind == lCall || l.kind == lSignal || l.kind == lExit {
			if r.pid == 0 {
				r.pid = l.tid
			}
			r.events = append(r.events, l.text)
		}
	}
	return r
}

// ---- a tiny local parser of the trace syntax (SYNTAX.md) ----

type lineKind int

const (
	lComment lineKind = iota
	lDirective
	lBlock
	lCall
	lSignal
	lExit
)

// tline is one parsed trace line (a block counts as one).
type tline struct {
	raw    string
	kind   lineKind
	tid    int      // event lines; the pid of a block
	text   string   // event lines: the text after the pid (and timestamp)
	stamp  string   // event lines: the -ttt timestamp, if any
	name   string   // call name, signal name, block kind, directive name
	args   []string // call arguments, split at top level
	result string   // call result
	body   []string // block lines
}

var (
	eventRe    = regexp.MustCompile(`^(\d+) (\d{10}\.\d{6} )?(.*)$`)
	callRe     = regexp.MustCompile(`^([a-z_0-9]+)\((.*)\) = (.+)$`)
	signalRe   = regexp.MustCompile(`^--- (SIG[A-Z0-9_]+) \{si_signo=(SIG[A-Z0-9_]+), si_code=([A-Z_0-9]+|0x[0-9a-f]+)((, [a-z_]+=(NULL|0x[0-9a-f]+|-?\d+))*)\} ---$`)
	exitRe     = regexp.MustCompile(`^\+\+\+ (exited with \d+|killed by SIG[A-Z0-9_]+( \(core dumped\))?) \+\+\+$`)
	mapsLineRe = regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ \d+( +.*)?$`)
	resultRe   = regexp.MustCompile(`^(\?|-?\d+|0x[0-9a-f]+|-1 E[A-Z0-9_]+ \([^()]+\)|\? ERESTART[A-Z_]+ \([^()]+\))$`)
	scalarRe   = regexp.MustCompile(`^(NULL|0|-?[1-9]\d*|0x[0-9a-f]+|\d+(<[^<>]*>)?|"(\\[0-7]{3}|\\[nrtvf"\\]|[^"\\])*"(\.\.\.)?|0x[0-9a-f]+ /\* \d+ vars \*/)$`)
	namedRe    = regexp.MustCompile(`^([a-z_]+)=(.+)$`)
	directives = regexp.MustCompile(`^@(personality linux|arch (x86_64|aarch64)|pagesize \d+|set aslr 0|thread \d+ \d+)$`)
)

// argCounts is the number of arguments of each traced call (clone and
// mremap vary).
var argCounts = map[string][2]int{
	"mmap": {6, 6}, "munmap": {2, 2}, "mprotect": {3, 3}, "mremap": {4, 5}, "brk": {1, 1},
	"madvise": {3, 3}, "mlock": {2, 2}, "mlock2": {3, 3}, "munlock": {2, 2}, "mlockall": {1, 1},
	"munlockall": {0, 0}, "msync": {3, 3}, "mincore": {3, 3}, "pkey_mprotect": {4, 4},
	"pkey_alloc": {2, 2}, "pkey_free": {1, 1}, "mbind": {6, 6}, "mseal": {3, 3},
	"map_shadow_stack": {3, 3}, "remap_file_pages": {5, 5}, "prctl": {5, 5}, "arch_prctl": {2, 2},
	"shmat": {3, 3}, "shmdt": {1, 1}, "setrlimit": {2, 2}, "prlimit64": {4, 4}, "fork": {0, 0},
	"vfork": {0, 0}, "clone": {2, 5}, "clone3": {2, 2}, "execve": {3, 3}, "execveat": {5, 5},
	"exit": {1, 1}, "exit_group": {1, 1},
}

// splitTop splits s at commas that are not inside quotes, (), [], {} or
// the <...> of an fd path.
func splitTop(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var parts []string
	depth, start := 0, 0
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '(' || c == '[' || c == '{' || c == '<':
			depth++
		case c == ')' || c == ']' || c == '}' || c == '>':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(parts, strings.TrimSpace(s[start:]))
}

// validArg reports whether a is a well-formed argument: a scalar, a named
// argument, or an array or struct of valid arguments.
func validArg(a string) bool {
	switch {
	case scalarRe.MatchString(a):
		return true
	case strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]"),
		strings.HasPrefix(a, "{") && strings.HasSuffix(a, "}"):
		for _, e := range splitTop(a[1 : len(a)-1]) {
			if e != "..." && !validArg(e) {
				return false
			}
		}
		return true
	}
	if m := namedRe.FindStringSubmatch(a); m != nil {
		return validArg(m[2])
	}
	return false
}

// parseTrace parses a whole trace strictly: every line complete and in one
// of the forms the tracer writes.
func parseTrace(text string) ([]tline, error) {
	if text == "" {
		return nil, nil
	}
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("the last line is incomplete: %q", text[strings.LastIndex(text, "\n")+1:])
	}
	raw := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var lines []tline
	for i := 0; i < len(raw); i++ {
		s := raw[i]
		bad := func(why string) error { return fmt.Errorf("line %d: %s: %q", i+1, why, s) }
		l := tline{raw: s}
		switch {
		case strings.HasPrefix(s, "#"):
			l.kind = lComment
		case strings.HasPrefix(s, "@image ") || strings.HasPrefix(s, "@maps "):
			l.kind = lBlock
			f := strings.Fields(s)
			pid, err := strconv.Atoi(f[1])
			if len(f) != 2 || err != nil {
				return nil, bad("bad block header")
			}
			l.name, l.tid = f[0][1:], pid
			for i++; ; i++ {
				if i == len(raw) {
					return nil, bad("block without @end")
				}
				if raw[i] == "@end" {
					break
				}
				if !mapsLineRe.MatchString(raw[i]) {
					return nil, fmt.Errorf("line %d: not a maps line: %q", i+1, raw[i])
				}
				l.body = append(l.body, raw[i])
			}
		case strings.HasPrefix(s, "@"):
			if !directives.MatchString(s) {
				return nil, bad("unknown directive")
			}
			l.kind = lDirective
			l.name = strings.Fields(s)[0][1:]
		default:
			m := eventRe.FindStringSubmatch(s)
			if m == nil {
				return nil, bad("not an event line")
			}
			l.tid, _ = strconv.Atoi(m[1])
			l.stamp, l.text = strings.TrimSpace(m[2]), m[3]
			if sm := signalRe.FindStringSubmatch(l.text); sm != nil {
				if sm[1] != sm[2] {
					return nil, bad("si_signo differs from the signal")
				}
				l.kind, l.name = lSignal, sm[1]
			} else if exitRe.MatchString(l.text) {
				l.kind = lExit
			} else if cm := callRe.FindStringSubmatch(l.text); cm != nil {
				l.kind, l.name, l.result = lCall, cm[1], cm[3]
				l.args = splitTop(cm[2])
				n, ok := argCounts[l.name]
				if !ok {
					return nil, bad("not a traced call")
				}
				if len(l.args) < n[0] || len(l.args) > n[1] {
					return nil, bad(fmt.Sprintf("%d arguments", len(l.args)))
				}
				for _, a := range l.args {
					if !validArg(a) {
						return nil, bad("bad argument " + a)
					}
				}
				if !resultRe.MatchString(l.result) {
					return nil, bad("bad result")
				}
				if (l.name == "exit" || l.name == "exit_group") != (l.result == "?") {
					return nil, bad("only exit and exit_group have result ?")
				}
			} else {
				return nil, bad("unknown event")
			}
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// checkTrace parses a trace, failing the test if it is malformed, and
// checks what every trace must have: the header first, and each @image
// right after a successful execve of its pid.
func checkTrace(t *testing.T, text string) []tline {
	t.Helper()
	lines, err := parseTrace(text)
	if err != nil {
		t.Fatalf("malformed trace: %v\n%s", err, tail(text, 40))
	}
	if len(lines) > 0 && (!strings.HasPrefix(lines[0].raw, "# vmscope trace: ") || len(lines) < 4 ||
		lines[1].raw != "@personality linux" || lines[2].raw != "@arch "+archName) {
		t.Fatalf("bad header:\n%s", head(text, 6))
	}
	for i, l := range lines {
		if l.kind == lBlock && l.name == "image" && i > 0 && !strings.HasPrefix(lines[0].raw, "# vmscope trace: -p ") {
			p := lines[i-1]
			if p.kind != lCall || !strings.HasPrefix(p.name, "execve") || p.result != "0" || p.tid != l.tid {
				t.Errorf("@image %d not right after its successful execve: %q", l.tid, p.raw)
			}
		}
	}
	return lines
}

// checkTidsAnnounced checks that every thread id in the events is the
// launched pid or was returned earlier by a fork-family call: no new
// thread's line precedes its parent's clone line.
func checkTidsAnnounced(t *testing.T, r *traceResult) {
	t.Helper()
	known := map[int]bool{r.pid: true}
	for _, l := range r.lines {
		if l.kind < lCall {
			continue
		}
		if !known[l.tid] {
			t.Errorf("thread %d appears before any fork-family call returned it: %q", l.tid, l.raw)
			known[l.tid] = true
		}
		if l.kind == lCall && (l.name == "clone" || l.name == "clone3" || l.name == "fork" || l.name == "vfork") {
			if n, err := strconv.Atoi(l.result); err == nil {
				known[n] = true
			}
		}
	}
}

// blocks returns the bodies of the @kind blocks of pid, in order.
func blocks(lines []tline, kind string, pid int) [][]string {
	var out [][]string
	for _, l := range lines {
		if l.kind == lBlock && l.name == kind && l.tid == pid {
			out = append(out, l.body)
		}
	}
	return out
}

// indexOf returns the index of the first line whose raw text is s, or -1.
func indexOf(lines []tline, s string) int {
	for i, l := range lines {
		if l.raw == s {
			return i
		}
	}
	return -1
}

// indexMatch returns the index of the first line matching re, and its
// submatches, or -1.
func indexMatch(lines []tline, re string) (int, []string) {
	rx := regexp.MustCompile(re)
	for i, l := range lines {
		if m := rx.FindStringSubmatch(l.raw); m != nil {
			return i, m
		}
	}
	return -1, nil
}

// normalize returns the trace with pids replaced by their order of first
// appearance and execve's envp address (a Go heap address of the helper)
// removed, so that traces of two runs can be compared.
func normalize(lines []tline) []string {
	ids := map[int]int{}
	id := func(n int) string {
		if _, ok := ids[n]; !ok {
			ids[n] = len(ids) + 1
		}
		return "P" + strconv.Itoa(ids[n])
	}
	envp := regexp.MustCompile(`0x[0-9a-f]+ /\* (\d+) vars \*/`)
	var out []string
	for _, l := range lines {
		switch l.kind {
		case lBlock:
			out = append(out, "@"+l.name+" "+id(l.tid))
			out = append(out, l.body...)
		case lCall, lSignal, lExit:
			out = append(out, id(l.tid)+" "+envp.ReplaceAllString(l.text, "ENVP /* $1 vars */"))
		case lComment:
			if !strings.HasPrefix(l.raw, "# vmscope trace: ") {
				out = append(out, l.raw)
			}
		default:
			out = append(out, l.raw)
		}
	}
	return out
}

// outputFields returns the fields of the first line of the program's
// output starting with word.
func outputFields(t *testing.T, stdout, word string) []string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 && f[0] == word {
			return f
		}
	}
	t.Fatalf("program printed no %q line; stdout:\n%s", word, stdout)
	return nil
}

// head returns the first n lines of s.
func head(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}
