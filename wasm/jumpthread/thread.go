package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Go's WebAssembly backend (cmd/internal/obj/wasm) compiles a function
// into one loop around a br_table that dispatches on local 0, PC_B (the
// block to run, also the resume point after a goroutine switch):
//
//	loop $entry
//	  block $r_n ... block $r_1 block $r_0
//	    local.get 0
//	    br_table ...         ;; PC_B -> the block whose end starts that code
//	  end ;; code of resume point 0
//	  end ;; code of resume point 1
//	  ...
//
// Every jump between basic blocks, forward or back, is
//
//	i32.const PC   local.set 0   br $entry
//
// so each taken branch goes through the loop head and an indirect jump.
// A forward jump can instead branch straight to the end of the target's
// block, which is still open where the jump stands: that is this
// rewrite. Backward jumps keep the dispatch.
//
// The rewrite is checked per function against WebAssembly's semantics,
// not Go's conventions: a function is only changed when its dispatch
// br_table follows local.get 0 inside a loop, every branch to that loop is
// the three-instruction jump above, every other read of local 0 follows a
// write of it with no label in between, and every block involved has no result. Then
// local 0 is never read between a rewritten jump and its next write, so
// skipping the write is invisible, and the branch lands where the
// br_table would have sent it.

// Stats counts what Thread did.
type Stats struct {
	Funcs    int // function bodies read
	Skipped  int // bodies left alone: no dispatch loop, or a check failed
	Threaded int // forward jumps turned into direct branches
	Backward int // jumps left to the dispatch (their target is behind)
	BytesIn  int
	BytesOut int
}

func (s Stats) String() string {
	return fmt.Sprintf("%d functions (%d left alone), %d jumps threaded, %d backward jumps kept; %d -> %d bytes",
		s.Funcs, s.Skipped, s.Threaded, s.Backward, s.BytesIn, s.BytesOut)
}

const (
	secCode  = 10
	wasmHead = "\x00asm\x01\x00\x00\x00"
)

// Thread returns module with the forward jumps of every Go function
// threaded. It returns an error, and no module, for anything that is not a
// well-formed WebAssembly 1.0 binary it can decode.
func Thread(module []byte) ([]byte, Stats, error) {
	st := Stats{BytesIn: len(module)}
	if !bytes.HasPrefix(module, []byte(wasmHead)) {
		return nil, st, errors.New("not a WebAssembly 1.0 module (bad magic or version)")
	}
	out := append(make([]byte, 0, len(module)), wasmHead...)
	r := &reader{b: module, off: len(wasmHead)}
	for r.off < len(module) {
		id := r.byte1()
		size := r.u32()
		sec := r.bytes(int(size))
		if r.err != nil {
			return nil, st, fmt.Errorf("section at byte %d: %w", r.off, r.err)
		}
		if id == secCode {
			var err error
			if sec, err = threadCode(sec, &st); err != nil {
				return nil, st, err
			}
		}
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(sec)))
		out = append(out, sec...)
	}
	st.BytesOut = len(out)
	return out, st, nil
}

// threadCode rewrites the bodies of a code section.
func threadCode(sec []byte, st *Stats) ([]byte, error) {
	r := &reader{b: sec}
	n := r.u32()
	out := binary.AppendUvarint(make([]byte, 0, len(sec)), uint64(n))
	for i := uint32(0); i < n && r.err == nil; i++ {
		size := r.u32()
		body := r.bytes(int(size))
		if r.err != nil {
			break
		}
		nb, err := threadBody(body, st)
		if err != nil {
			return nil, fmt.Errorf("function body %d: %w", i, err)
		}
		out = binary.AppendUvarint(out, uint64(len(nb)))
		out = append(out, nb...)
	}
	if r.err != nil {
		return nil, fmt.Errorf("code section: %w", r.err)
	}
	if r.off != len(sec) {
		return nil, fmt.Errorf("code section: %d bytes after the last body", len(sec)-r.off)
	}
	return out, nil
}

// frame is an open block, loop or if (or the function body, id 0).
type frame struct {
	id     int
	loop   bool
	result bool // the construct yields values
}

// insn is a decoded instruction: its opcode, where it starts, and its
// first immediate (label, index or constant) where it has one.
type insn struct {
	op    byte
	start int
	imm   int64
}

// walk decodes body's instructions in order, keeping the control stack,
// and calls visit for each with the stack as it is before the
// instruction. visit returning false stops the walk. br_table targets are
// passed in table (the last one is the default).
type walker struct {
	body  []byte
	code  int // offset of the first instruction
	stack []frame
	table []uint32
	err   error
}

func newWalker(body []byte) *walker {
	r := &reader{b: body}
	groups := r.u32()
	for i := uint32(0); i < groups && r.err == nil; i++ {
		r.u32()
		r.byte1()
	}
	return &walker{body: body, code: r.off, err: r.err}
}

func (w *walker) walk(visit func(in insn, next int) bool) {
	if w.err != nil {
		return
	}
	r := &reader{b: w.body, off: w.code}
	w.stack = append(w.stack[:0], frame{id: 0})
	ids := 1
	for r.off < len(w.body) && r.err == nil {
		if len(w.stack) == 0 {
			r.err = errors.New("instructions after the body's end")
			break
		}
		in := insn{start: r.off}
		in.op = r.byte1()
		w.table = w.table[:0]
		var push *frame
		pop := false
		switch op := in.op; {
		case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
			result := r.blockType()
			push = &frame{id: ids, loop: op == 0x03, result: result}
			ids++
		case op == 0x0B: // end
			pop = true
		case op == 0x0C || op == 0x0D: // br, br_if
			in.imm = int64(r.u32())
		case op == 0x0E: // br_table
			n := r.u32()
			if uint64(n) > uint64(len(w.body)) {
				r.err = errors.New("br_table longer than the body")
				break
			}
			for i := uint32(0); i <= n && r.err == nil; i++ {
				w.table = append(w.table, r.u32())
			}
		case op == 0x10 || op == 0xD2: // call, ref.func
			in.imm = int64(r.u32())
		case op >= 0x20 && op <= 0x26: // local.*, global.*, table.get/set
			in.imm = int64(r.u32())
		case op == 0x11: // call_indirect
			r.u32()
			r.u32()
		case op == 0x1C: // select t*
			n := r.u32()
			r.bytes(int(n))
		case op >= 0x28 && op <= 0x3E: // loads and stores: align, offset
			r.u32()
			r.u64()
		case op == 0x3F || op == 0x40: // memory.size, memory.grow
			r.byte1()
		case op == 0x41:
			in.imm = r.s64(32)
		case op == 0x42:
			in.imm = r.s64(64)
		case op == 0x43:
			r.bytes(4)
		case op == 0x44:
			r.bytes(8)
		case op == 0xD0: // ref.null t
			r.byte1()
		case op == 0xFC:
			r.prefixFC()
		case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0F || op == 0x1A || op == 0x1B ||
			op == 0xD1 || (op >= 0x45 && op <= 0xC4):
			// no immediates
		default:
			r.err = fmt.Errorf("unknown opcode %#02x at byte %d", op, in.start)
		}
		if r.err != nil {
			break
		}
		if !visit(in, r.off) {
			w.err = r.err
			return
		}
		if push != nil {
			w.stack = append(w.stack, *push)
		}
		if pop {
			w.stack = w.stack[:len(w.stack)-1]
		}
	}
	if r.err == nil && len(w.stack) != 0 {
		r.err = errors.New("body ends inside a block")
	}
	w.err = r.err
}

// label returns the frame a branch of depth d refers to, from the stack
// before the branch.
func (w *walker) label(d uint32) (frame, bool) {
	if uint64(d) >= uint64(len(w.stack)) {
		return frame{}, false
	}
	return w.stack[len(w.stack)-1-int(d)], true
}

// depthOf returns the branch depth of the open frame id, or -1.
func (w *walker) depthOf(id int) int {
	for j := len(w.stack) - 1; j >= 0; j-- {
		if w.stack[j].id == id {
			return len(w.stack) - 1 - j
		}
	}
	return -1
}

// threadBody rewrites one function body (local declarations and code);
// bodies that fail a check come back unchanged.
func threadBody(body []byte, st *Stats) ([]byte, error) {
	st.Funcs++
	w := newWalker(body)

	// Pass 1: find the dispatch and check the function.
	var (
		prev1, prev2 insn
		targets      []int // frame id per PC_B, from the dispatch br_table
		entry        = -1  // the loop around the dispatch
		onlyBlocks   bool  // nothing but block since the last loop began
		fresh        bool  // local 0 written since the last label
		ok           = true
	)
	w.walk(func(in insn, next int) bool {
		switch in.op {
		case 0x03:
			onlyBlocks, fresh = true, false
		case 0x20:
			// A read of local 0 is the dispatch's or follows a write of it
			// with no label in between (no end, else or loop: nothing a
			// threaded jump could land on).
			isDispatch := targets == nil && onlyBlocks && dispatchNext(body, next)
			if in.imm == 0 && !isDispatch && !fresh {
				ok = false
			}
		case 0x21, 0x22:
			if in.imm == 0 {
				fresh = true
			}
		case 0x05, 0x0B:
			fresh = false
		case 0x0E:
			if targets == nil && onlyBlocks && prev1.op == 0x20 && prev1.imm == 0 {
				entry, targets, ok = dispatch(w)
			} else {
				for _, d := range w.table {
					if f, found := w.label(d); found && f.id == entry {
						ok = false // a computed branch to the dispatch
					}
				}
			}
		case 0x0C, 0x0D:
			if f, found := w.label(uint32(in.imm)); found && f.id == entry && (in.op != 0x0C || !isJump(prev2, prev1)) {
				ok = false
			}
		}
		if in.op != 0x02 && in.op != 0x03 && !(in.op == 0x20 && in.imm == 0) {
			onlyBlocks = false
		}
		prev2, prev1 = prev1, in
		return ok
	})
	if w.err != nil {
		return nil, w.err
	}
	if !ok || targets == nil {
		st.Skipped++
		return body, nil
	}

	// Pass 2: thread every jump whose target block is still open.
	out := make([]byte, 0, len(body))
	copied := 0
	prev1, prev2 = insn{}, insn{}
	w.walk(func(in insn, next int) bool {
		if in.op == 0x0C {
			if f, found := w.label(uint32(in.imm)); found && f.id == entry && isJump(prev2, prev1) {
				pc := prev2.imm
				if pc < 0 || pc >= int64(len(targets)) {
					pc = int64(len(targets) - 1) // br_table default
				}
				if d := w.depthOf(targets[pc]); d >= 0 {
					out = append(out, body[copied:prev2.start]...)
					out = append(out, 0x0C)
					out = binary.AppendUvarint(out, uint64(d))
					copied = next
					st.Threaded++
				} else {
					st.Backward++
				}
			}
		}
		prev2, prev1 = prev1, in
		return true
	})
	if w.err != nil {
		return nil, w.err
	}
	return append(out, body[copied:]...), nil
}

// dispatch reads the dispatch br_table the walker stands on: the loop
// around it and, per PC_B, the frame it branches to. ok is false when the
// loop sits in another loop (it could then be re-entered without a jump
// setting local 0) or a frame involved yields values.
func dispatch(w *walker) (entry int, targets []int, ok bool) {
	entry = -1
	for j := len(w.stack) - 1; j >= 0; j-- {
		if f := w.stack[j]; f.loop {
			if entry >= 0 || f.result {
				return -1, nil, false
			}
			entry = f.id
		}
	}
	if entry < 0 {
		return -1, nil, false
	}
	targets = make([]int, len(w.table))
	for i, d := range w.table {
		f, found := w.label(d)
		if !found || f.result || f.id == 0 || f.loop {
			return -1, nil, false
		}
		targets[i] = f.id
	}
	return entry, targets, true
}

// isJump reports whether a, b (just before a br) are i32.const PC;
// local.set 0.
func isJump(a, b insn) bool {
	return a.op == 0x41 && b.op == 0x21 && b.imm == 0
}

// dispatchNext reports whether the instruction at off is a br_table.
func dispatchNext(body []byte, off int) bool {
	return off < len(body) && body[off] == 0x0E
}

// reader decodes WebAssembly's binary encoding; the first error sticks
// and later reads return zero.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(msg string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at byte %d", msg, r.off)
	}
}

func (r *reader) byte1() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.fail("length past the end")
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *reader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad unsigned LEB128")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) u32() uint32 {
	v := r.u64()
	if v > 1<<32-1 {
		r.fail("u32 out of range")
		return 0
	}
	return uint32(v)
}

// s64 reads a signed LEB128 of at most bits bits.
func (r *reader) s64(bits uint) int64 {
	var v int64
	var shift uint
	for {
		c := r.byte1()
		if r.err != nil {
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
		if shift >= bits+7 {
			r.fail("signed LEB128 too long")
			return 0
		}
	}
}

// blockType reads a block type and reports whether it yields values.
func (r *reader) blockType() bool {
	if r.err != nil || r.off >= len(r.b) {
		r.fail("unexpected end")
		return false
	}
	switch c := r.b[r.off]; {
	case c == 0x40:
		r.off++
		return false
	case c >= 0x6F && c <= 0x7F:
		r.off++
		return true
	}
	r.s64(33) // a type index: may take parameters or yield values
	return true
}

// prefixFC skips the immediates of a 0xFC-prefixed instruction.
func (r *reader) prefixFC() {
	switch sub := r.u32(); {
	case sub <= 7: // saturating truncations
	case sub == 8 || sub == 12 || sub == 14: // memory.init, table.init, table.copy
		r.u32()
		r.u32()
	case sub == 9 || sub == 13 || sub == 15 || sub == 16 || sub == 17: // data.drop, elem.drop, table.grow/size/fill
		r.u32()
	case sub == 10: // memory.copy
		r.byte1()
		r.byte1()
	case sub == 11: // memory.fill
		r.byte1()
	default:
		r.fail(fmt.Sprintf("unknown 0xFC instruction %d", sub))
	}
}
