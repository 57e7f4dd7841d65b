package vmengine

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"vmscope/vmengine/scenario"
)

// RunReader reads a scenario file, strace log or trace from r and runs it
// line by line, so a trace of millions of events is never held in memory:
// @maps/@image blocks are gathered until @end, and strace's
// "<unfinished ...>" halves wait (per pid) for their "<... resumed>" half.
// It returns the errors about lines (syntax, unknown names) in file order;
// unmet expectations are in r.Fails.
//
// Reading and parsing run in a goroutine of their own, a batch of lines
// ahead of the engine: parsing depends on nothing the runner does, so the
// result is the same as running the lines one by one, and on a machine
// with two cores the parse costs no time.
func (r *Runner) RunReader(name string, rd io.Reader) []error {
	const batches = 4
	full := make(chan *lineBatch, batches)
	free := make(chan *lineBatch, batches)
	for range batches {
		free <- new(lineBatch)
	}
	done := make(chan struct{})
	defer close(done) // stops the reader if the runner returns early
	go readLines(name, rd, full, free, done)

	var errs []error
	var ev Event
	for b := range full {
		for i := range b.items {
			it := &b.items[i]
			if it.err != nil {
				errs = append(errs, it.err)
				continue
			}
			var err error
			if it.line.Kind == scenario.KindCall {
				_, err = r.call(&it.line, &ev) // no Event allocated per line
			} else {
				_, err = r.Line(it.line)
			}
			if err != nil {
				errs = append(errs, err)
			}
			it.line = scenario.Line{} // drop the text for the collector
		}
		free <- b // never blocks: free holds every batch
	}
	return errs
}

// lineBatch is a run of lines ready to execute, in file order, with the
// arena their expression nodes live in. Once the runner hands a batch back,
// the reader resets the arena and refills it.
type lineBatch struct {
	items []lineItem
	arena scenario.Arena
}

// lineItem is one line to run, or one error about the input where it
// occurred.
type lineItem struct {
	line scenario.Line
	err  error
}

// batchLines is how many lines a batch holds before it is handed over.
const batchLines = 512

// readLines reads and parses the lines of rd into batches taken from free
// and sends them on full, closing full at the end of the input. It joins
// strace's unfinished and resumed halves, gathers @maps/@image blocks, and
// at the end emits the calls that never returned (by pid, in order). It
// returns early, without closing full, once done is closed.
func readLines(name string, rd io.Reader, full chan<- *lineBatch, free <-chan *lineBatch, done <-chan struct{}) {
	var b *lineBatch
	take := func() bool {
		select {
		case b = <-free:
			b.items = b.items[:0]
			b.arena.Reset()
			return true
		case <-done:
			return false
		}
	}
	// emit appends an item to the batch. The batch is handed over only
	// between input lines, so that the lines made from one input line
	// (a join) live in the batch whose arena holds their nodes.
	emit := func(it lineItem) { b.items = append(b.items, it) }
	handOver := func() bool {
		select {
		case full <- b:
		case <-done:
			return false
		}
		return take()
	}
	if !take() {
		return
	}

	src := lineSource{rd: rd}
	pending := map[int]scenario.Line{} // unfinished halves by pid
	var block strings.Builder
	blockLine, inBlock := 0, false
	emitErrs := func(errs []error) {
		for _, err := range errs {
			emit(lineItem{err: err})
		}
	}
	for n := 1; ; n++ {
		if len(b.items) >= batchLines && !handOver() {
			return
		}
		s, more := src.line()
		if more {
			s = strings.TrimRight(s, "\r\n")
			if n == 1 {
				s = strings.TrimPrefix(s, "\ufeff")
			}
			t := strings.TrimSpace(s)
			switch {
			case inBlock:
				block.WriteString(s)
				block.WriteByte('\n')
				if t == "@end" {
					inBlock = false
					lines, perrs := scenario.ParseFile(name, strings.NewReader(block.String()))
					emitErrs(perrs)
					for _, l := range lines {
						l.Pos.Line += blockLine - 1
						for i := range l.Maps {
							l.Maps[i].Pos.Line += blockLine - 1
						}
						emit(lineItem{line: l})
					}
				}
			case strings.HasPrefix(t, "@maps") || strings.HasPrefix(t, "@image"):
				inBlock, blockLine = true, n
				block.Reset()
				block.WriteString(s)
				block.WriteByte('\n')
			default:
				pos := scenario.Pos{File: name, Line: n, Col: 1}
				l, err := scenario.ParseLineIn(&b.arena, s, pos)
				if err != nil {
					emit(lineItem{err: err})
					break
				}
				pid := l.PID.Num
				switch {
				case l.Unfinished:
					// Kept past this batch: parsed again outside the arena.
					l, _ = scenario.ParseLine(s, pos)
					pending[pid] = l
				case l.Resumed:
					first, found := pending[pid]
					if !found {
						_, jerrs := scenario.Join([]scenario.Line{l})
						emitErrs(jerrs)
						break
					}
					delete(pending, pid)
					joined, jerrs := scenario.Join([]scenario.Line{first, l})
					emitErrs(jerrs)
					for _, j := range joined {
						emit(lineItem{line: j})
					}
				case l.Kind == scenario.KindExit:
					if first, found := pending[pid]; found {
						delete(pending, pid)
						emit(lineItem{line: first}) // a call that never returned (exit_group)
					}
					emit(lineItem{line: l})
				default:
					emit(lineItem{line: l})
				}
			}
		}
		if !more {
			if src.err != io.EOF {
				emit(lineItem{err: src.err})
			}
			break
		}
	}
	if inBlock {
		emitErrs([]error{&scenario.Error{Pos: scenario.Pos{File: name, Line: blockLine, Col: 1},
			Msg: "block is not closed: expected @end before the end of the file"}})
	}
	pids := make([]int, 0, len(pending))
	for pid := range pending {
		pids = append(pids, pid)
	}
	sort.Ints(pids) // deterministic order for calls that never returned
	for _, pid := range pids {
		emit(lineItem{line: pending[pid]})
	}
	select {
	case full <- b:
		close(full)
	case <-done:
	}
}

// lineSource splits a reader into lines. It turns the input into strings a
// block of lines at a time, so that a line costs no allocation of its own
// (a line's strings keep its block alive).
type lineSource struct {
	rd   io.Reader
	buf  []byte // buf[:n]: bytes read after the last complete line
	n    int
	text string // complete lines not yet returned
	err  error  // the reader's error, once it gave one (io.EOF at the end)
}

// lineSourceBlock is the size of a read; maxLineBytes bounds a line, so
// that a stream without newlines cannot take all memory.
const (
	lineSourceBlock = 256 << 10
	maxLineBytes    = 64 << 20
)

// line returns the next line, with its newline if it has one, and false
// after the last line (then err says why the input ended).
func (ls *lineSource) line() (string, bool) {
	for {
		if i := strings.IndexByte(ls.text, '\n'); i >= 0 {
			s := ls.text[:i+1]
			ls.text = ls.text[i+1:]
			return s, true
		}
		if ls.text != "" { // the last line, without a newline
			s := ls.text
			ls.text = ""
			return s, true
		}
		if ls.err != nil {
			return "", false
		}
		ls.fill()
	}
}

// fill reads once and moves the complete lines read so far into text (at
// the end of the input, the rest too).
func (ls *lineSource) fill() {
	if ls.n == len(ls.buf) { // a line longer than the buffer: grow it
		if ls.n >= maxLineBytes {
			ls.err = fmt.Errorf("a line is longer than %d MiB: not a trace", maxLineBytes>>20)
			ls.n = 0
			return
		}
		buf := make([]byte, max(2*len(ls.buf), lineSourceBlock))
		copy(buf, ls.buf[:ls.n])
		ls.buf = buf
	}
	k, err := ls.rd.Read(ls.buf[ls.n:])
	ls.n += k
	if err != nil {
		ls.err = err
		ls.text = string(ls.buf[:ls.n])
		ls.n = 0
		return
	}
	// Only the bytes just read can hold a newline.
	if i := bytes.LastIndexByte(ls.buf[ls.n-k:ls.n], '\n'); i >= 0 {
		i += ls.n - k
		ls.text = string(ls.buf[:i+1])
		ls.n = copy(ls.buf, ls.buf[i+1:ls.n])
	}
}
