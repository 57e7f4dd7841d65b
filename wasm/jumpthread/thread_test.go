package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// module wraps function bodies (locals and code, without the size) into a
// module: one type () -> (), one function per body.
func module(bodies ...[]byte) []byte {
	m := []byte(wasmHead)
	section := func(id byte, content []byte) {
		m = append(m, id)
		m = binary.AppendUvarint(m, uint64(len(content)))
		m = append(m, content...)
	}
	section(1, []byte{1, 0x60, 1, 0x7F, 1, 0x7F}) // type 0: (i32) -> i32
	funcs := binary.AppendUvarint(nil, uint64(len(bodies)))
	for range bodies {
		funcs = append(funcs, 0)
	}
	section(3, funcs)
	code := binary.AppendUvarint(nil, uint64(len(bodies)))
	for _, b := range bodies {
		code = binary.AppendUvarint(code, uint64(len(b)))
		code = append(code, b...)
	}
	section(secCode, code)
	return m
}

// Instruction bytes used below.
var (
	noLocals = []byte{0}
	block    = []byte{0x02, 0x40}
	loop     = []byte{0x03, 0x40}
	end      = []byte{0x0B}
	get0     = []byte{0x20, 0}
	set0     = []byte{0x21, 0}
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func br(d byte) []byte       { return []byte{0x0C, d} }
func brIf(d byte) []byte     { return []byte{0x0D, d} }
func i32(v byte) []byte      { return []byte{0x41, v} }
func jump(pc, d byte) []byte { return cat(i32(pc), set0, br(d)) }

// goShaped is a body laid out as Go's backend lays one out: a loop around
// three resume blocks and the dispatch, then the code of PC_B 0, 1 and 2.
// mid is the code of PC_B 1 (inside the loop and the last block).
func goShaped(pc0, pc1 []byte) []byte {
	return cat(noLocals, dispatchLoop(pc0, pc1), i32(0), end)
}

// dispatchLoop is goShaped's loop alone. In the code of PC_B 0 the loop is
// at depth 2 and PC_B 2's block at depth 1; in PC_B 1's, 1 and 0.
func dispatchLoop(pc0, pc1 []byte) []byte {
	return cat(loop, block, block, block,
		get0, []byte{0x0E, 2, 0, 1, 2}, // br_table 0 1 default 2
		end, pc0,
		end, pc1,
		end, i32(7), []byte{0x0F}, // PC_B 2: return 7
		end)
}

func threadOne(t *testing.T, body []byte) ([]byte, Stats) {
	t.Helper()
	out, st, err := Thread(module(body))
	if err != nil {
		t.Fatalf("Thread: %v", err)
	}
	return out, st
}

func TestThreadForwardJump(t *testing.T) {
	// PC_B 0 jumps to PC_B 2: br 2 (the loop) becomes br 1, the block
	// whose end starts PC_B 2's code.
	in := goShaped(jump(2, 2), nil)
	want := goShaped(br(1), nil)
	out, st := threadOne(t, in)
	if !bytes.Equal(out, module(want)) {
		t.Fatalf("threaded module\n got %x\nwant %x", out, module(want))
	}
	if st.Threaded != 1 || st.Backward != 0 || st.Skipped != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestThreadJumpInsideIf(t *testing.T) {
	// The jump sits in an if inside PC_B 0: one more frame to cross.
	in := goShaped(cat(i32(1), []byte{0x04, 0x40}, jump(1, 3), end), nil)
	want := goShaped(cat(i32(1), []byte{0x04, 0x40}, br(1), end), nil)
	out, _ := threadOne(t, in)
	if !bytes.Equal(out, module(want)) {
		t.Fatalf("got %x\nwant %x", out, module(want))
	}
}

func TestThreadKeepsBackwardJump(t *testing.T) {
	// PC_B 1 jumps back to PC_B 0 (a loop): its block is closed, so the
	// jump keeps going through the dispatch.
	in := goShaped(nil, jump(0, 1))
	out, st := threadOne(t, in)
	if !bytes.Equal(out, module(in)) || st.Backward != 1 || st.Threaded != 0 {
		t.Fatalf("backward jump changed: %+v\n got %x\nwant %x", st, out, module(in))
	}
}

func TestThreadOutOfTablePCTakesDefault(t *testing.T) {
	// PC 9 is past the table: br_table takes the default (PC_B 2's block).
	in := goShaped(jump(9, 2), nil)
	out, _ := threadOne(t, in)
	if want := module(goShaped(br(1), nil)); !bytes.Equal(out, want) {
		t.Fatalf("got %x\nwant %x", out, want)
	}
}

// Each of these bodies breaks one condition of the rewrite, so it must
// come back unchanged.
func TestThreadLeavesUncheckedFunctions(t *testing.T) {
	cases := map[string][]byte{
		"local 0 read without a write": goShaped(cat(get0, []byte{0x1A}, jump(2, 2)), nil),
		"local 0 read after a label":   goShaped(cat(i32(1), set0, jump(2, 2)), cat(get0, []byte{0x1A})),
		"br_if to the dispatch":        goShaped(cat(i32(2), set0, i32(1), brIf(2)), nil),
		"br to the dispatch, no set":   goShaped(cat(i32(2), []byte{0x1A}, br(2)), nil),
		"dispatch loop inside a loop":  cat(noLocals, loop, dispatchLoop(jump(2, 2), nil), end, i32(0), end),
		"no loop around the dispatch": cat(noLocals, block, block,
			get0, []byte{0x0E, 1, 0, 1}, end, end, i32(0), end),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			out, st := threadOne(t, body)
			if !bytes.Equal(out, module(body)) || st.Threaded != 0 {
				t.Fatalf("changed (%+v):\n got %x\nwant %x", st, out, module(body))
			}
		})
	}
}

func TestThreadRejectsBadModules(t *testing.T) {
	good := module(goShaped(jump(2, 2), nil))
	cases := map[string][]byte{
		"empty":          nil,
		"not wasm":       []byte("\x7fELF\x02\x01\x01\x00"),
		"version 2":      []byte("\x00asm\x02\x00\x00\x00"),
		"truncated":      good[:len(good)-3],
		"unknown opcode": module(cat(noLocals, []byte{0xFF}, end)),
		"open block":     module(cat(noLocals, block, i32(0))),
		"after end":      module(cat(noLocals, end, i32(0))),
		"section length": append(append([]byte(wasmHead), 1), 0xFF, 0xFF, 0xFF, 0xFF, 0x0F),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if out, _, err := Thread(m); err == nil {
				t.Fatalf("no error; output %x", out)
			}
		})
	}
}

// FuzzThread: no input panics, and threading is idempotent (a threaded
// module has only backward jumps left).
func FuzzThread(f *testing.F) {
	f.Add(module(goShaped(jump(2, 2), nil)))
	f.Add(module(goShaped(nil, jump(0, 1))))
	f.Add(module(goShaped(cat(i32(1), []byte{0x04, 0x40}, jump(1, 3), end), nil)))
	f.Fuzz(func(t *testing.T, m []byte) {
		out, _, err := Thread(m)
		if err != nil {
			return
		}
		again, st, err := Thread(out)
		if err != nil || !bytes.Equal(again, out) || st.Threaded != 0 {
			t.Fatalf("second pass: err %v, threaded %d, changed %v", err, st.Threaded, !bytes.Equal(again, out))
		}
	})
}

// goProgram exercises what the rewrite must keep working: loops, switches,
// calls, goroutine switches (resume points), panics and recover, defers.
const goProgram = `package main

import (
	"fmt"
	"sort"
	"strings"
)

type node struct {
	key         int
	left, right *node
}

func insert(n *node, k int) *node {
	if n == nil {
		return &node{key: k}
	}
	switch {
	case k < n.key:
		n.left = insert(n.left, k)
	case k > n.key:
		n.right = insert(n.right, k)
	}
	return n
}

func walk(n *node, visit func(int)) {
	for n != nil {
		walk(n.left, visit)
		visit(n.key)
		n = n.right
	}
}

func classify(s string) int {
	switch s {
	case "mmap", "munmap":
		return 1
	case "mprotect":
		return 2
	case "fork", "vfork", "clone":
		return 3
	}
	return 0
}

func safeDiv(a, b int) (q int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	return a / b, nil
}

func main() {
	var root *node
	x := 12345
	for i := 0; i < 2000; i++ {
		x = (x*1103515245 + 12345) & 0x7fffffff
		root = insert(root, x%5000)
	}
	sum, count := 0, 0
	walk(root, func(k int) { sum += k; count++ })
	fmt.Println("tree", count, sum)

	results := make(chan int)
	for w := 0; w < 4; w++ {
		go func(w int) {
			s := 0
			for i := 0; i < 10000; i++ {
				s += (i * w) % 7
			}
			results <- s
		}(w)
	}
	var got []int
	for w := 0; w < 4; w++ {
		got = append(got, <-results)
	}
	sort.Ints(got)
	fmt.Println("goroutines", got)

	var b strings.Builder
	for _, s := range []string{"mmap", "clone", "brk", "mprotect", "vfork"} {
		fmt.Fprintf(&b, "%s=%d ", s, classify(s))
	}
	fmt.Println(b.String())
	for _, d := range []int{3, 0} {
		q, err := safeDiv(10, d)
		fmt.Println("div", q, err)
	}
}
`

// TestThreadRealGoProgram builds a Go program for js/wasm, threads it, and
// runs both binaries under node: same output, and most functions threaded.
func TestThreadRealGoProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm binary")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is required under CI")
		}
		t.Skip("node not installed")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(goProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module prog\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.wasm")
	build := exec.Command("go", "build", "-o", plain, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	module, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	threaded, st, err := Thread(module)
	if err != nil {
		t.Fatalf("Thread: %v", err)
	}
	if st.Threaded < 1000 || st.Skipped > st.Funcs/2 {
		t.Errorf("only %v", st)
	}
	fast := filepath.Join(dir, "threaded.wasm")
	if err := os.WriteFile(fast, threaded, 0o644); err != nil {
		t.Fatal(err)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	execJS := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec_node.js")
	run := func(bin string) string {
		out, err := exec.Command(node, "--stack-size=8192", execJS, bin).CombinedOutput()
		if err != nil {
			t.Fatalf("node %s: %v\n%s", filepath.Base(bin), err, out)
		}
		return string(out)
	}
	want, got := run(plain), run(fast)
	if got != want {
		t.Fatalf("threaded binary printed\n%s\nthe original\n%s", got, want)
	}
	for _, s := range []string{"tree 1628 4082320", "goroutines [0 29994 29999 30000]", "mmap=1 clone=3 brk=0 mprotect=2 vfork=3", "div 0 recovered: runtime error: integer divide by zero"} {
		if !strings.Contains(got, s) {
			t.Errorf("output lacks %q:\n%s", s, got)
		}
	}
}
