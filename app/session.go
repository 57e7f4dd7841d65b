package app

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"vmscope/vmengine"
	"vmscope/vmengine/scenario"
)

// Session is the timeline of one source (a library scenario, a trace
// file, console input, or any mix appended over time): the source text,
// every event it produced with its result, statistics after each event
// for the plots, and checkpoints for time travel.
//
// Step 0 is the state before any event; step i (1 <= i <= Len()) is the
// state after the i-th event. Text arrives through Append, possibly in
// pieces that split lines (a trace that grows while it is viewed); the
// session parses and runs it at once on its tail runner, so the timeline
// always holds every complete line received. Seeking (At) clones the
// nearest checkpoint at or before the step and replays forward from it.
//
// A Session is not safe for concurrent use: the app calls it from the UI
// goroutine only.
type Session struct {
	Name string // shown in the header and used in positions
	pers string // personality the runner starts in

	src     []byte // every complete line received, each ending in '\n'
	items   []item // parsed lines that do something (not comments)
	side    []scenario.Line
	steps   []Step
	ckpts   []checkpoint
	tail    *vmengine.Runner
	init    *vmengine.Runner // the state at step 0 (never run on)
	prefix  int              // first item not yet attached to a step
	lineNo  int
	partial []byte
	block   *blockAcc
	pending map[string]pendingHalf
	names   map[string]string // interned call names

	// Stats[i] describes the state at step i (len(Stats) == Len()+1).
	Stats []Stat
	// Bytes counts the source bytes received (for progress bars).
	Bytes int64
	// ParseErrors counts lines that could not be parsed.
	ParseErrors int
	// Gen changes whenever the timeline does.
	Gen int
}

// Stat is the size of the whole machine after one step.
type Stat struct {
	Mapped   uint64 // bytes in non-guard entries, all processes
	Resident uint32 // pages present in page tables, all processes
	Entries  uint32 // map entries, all processes
	Procs    uint16 // live processes
}

// Step is one event of the timeline: a line that ran (or could not run).
type Step struct {
	first, item int32 // items [first, item] run for this step
	PID         int32
	Line        int32 // 1-based source line number
	Call        string
	Ret         uint64
	Errno       string
	Signal      vmengine.Signal
	NoRet       bool
	// Failed is set when the line's expectation did not hold.
	Failed bool
	// Err is the reason the line could not run (parse or evaluation
	// error), or the unmet expectation's message when Failed.
	Err string
}

// Result returns the step's result as the engine gave it (without Why,
// which At recomputes for the current step).
func (s Step) Result() vmengine.Result {
	return vmengine.Result{Ret: s.Ret, Errno: vmengine.Errno(s.Errno), Signal: s.Signal, NoRet: s.NoRet}
}

// ResultText renders the result as strace would, or "error" for a line
// that could not run.
func (s Step) ResultText() string {
	if s.Err != "" && !s.Failed {
		return "error"
	}
	return s.Result().String()
}

// item is one line (or joined pair, or block) of the source.
type item struct {
	off  uint32 // offset of the text in src (plain lines)
	n    uint32 // length of the text
	line int32  // line number
	side int32  // index in side for joined lines and blocks, or -1
}

type checkpoint struct {
	step int
	r    *vmengine.Runner
}

type blockAcc struct {
	start int
	text  strings.Builder
}

type pendingHalf struct {
	line scenario.Line
	item int // not yet an item: -1
}

// NewSession returns an empty session named name whose runner starts in
// the personality pers ("" or "freebsd", "freebsd6", ...). An unknown
// personality falls back to freebsd.
func NewSession(name, pers string) *Session {
	s := &Session{Name: name, pers: pers, pending: map[string]pendingHalf{}, names: map[string]string{}}
	var p vmengine.Personality
	if pers != "" {
		if pp, err := vmengine.PersonalityByName(pers); err == nil {
			p = pp
		}
	}
	s.tail = vmengine.NewRunner(p)
	s.init = s.tail.Clone()
	s.ckpts = []checkpoint{{0, s.tail.Clone()}}
	s.Stats = []Stat{statOf(s.tail)}
	return s
}

// Personality returns the name the session was created with.
func (s *Session) Personality() string { return s.pers }

// Len returns the number of events (the last step).
func (s *Session) Len() int { return len(s.steps) }

// Step returns event i (1 <= i <= Len()).
func (s *Session) Step(i int) Step { return s.steps[i-1] }

// Runner returns the runner at the end of the timeline. Callers must not
// run lines on it.
func (s *Session) Runner() *vmengine.Runner { return s.tail }

// Source returns all complete lines received so far.
func (s *Session) Source() string { return string(s.src) }

// Text returns the source text of event i as written (a joined strace
// pair is printed back from its parts).
func (s *Session) Text(i int) string {
	st := s.steps[i-1]
	return s.itemText(int(st.item))
}

func (s *Session) itemText(k int) string {
	it := s.items[k]
	if it.side >= 0 {
		l := s.side[it.side]
		if l.Kind == scenario.KindBlock {
			return "@" + l.Name + " " + l.Text + " (" + strconv.Itoa(len(l.Maps)) + " rows)"
		}
		return l.Plain()
	}
	return strings.TrimSpace(string(s.src[it.off : it.off+it.n]))
}

// Append adds source text. Complete lines are parsed and run at once; a
// trailing piece without a newline waits for the rest (or Finish).
func (s *Session) Append(b []byte) {
	s.Bytes += int64(len(b))
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.partial = append(s.partial, b...)
			return
		}
		if len(s.partial) > 0 {
			s.partial = append(s.partial, b[:i]...)
			s.addLine(s.partial)
			s.partial = s.partial[:0]
		} else {
			s.addLine(b[:i])
		}
		b = b[i+1:]
	}
}

// AppendLine adds one line of text (a console line) and returns the
// number of events it produced.
func (s *Session) AppendLine(text string) int {
	n := s.Len()
	s.Append([]byte(strings.TrimRight(text, "\r\n") + "\n"))
	return s.Len() - n
}

// Finish ends the source: a last line without a newline is parsed, an
// unclosed @maps/@image block is reported, and strace calls still
// waiting for their "resumed" half run as they are.
func (s *Session) Finish() {
	if len(s.partial) > 0 {
		s.addLine(s.partial)
		s.partial = nil
	}
	if s.block != nil {
		s.errorItem(s.block.start, "@"+strings.Fields(s.block.text.String())[0][1:]+" block opened here is not closed with @end")
		s.block = nil
	}
	s.flushPending()
}

// flushPending runs every waiting unfinished call, in line order.
func (s *Session) flushPending() {
	if len(s.pending) == 0 {
		return
	}
	rest := make([]pendingHalf, 0, len(s.pending))
	for _, p := range s.pending {
		rest = append(rest, p)
	}
	sort.Slice(rest, func(a, b int) bool { return rest[a].line.Pos.Line < rest[b].line.Pos.Line })
	for _, p := range rest {
		s.addSide(p.line)
	}
	s.pending = map[string]pendingHalf{}
}

// addLine parses one raw line (without its newline) and runs it.
func (s *Session) addLine(raw []byte) {
	s.lineNo++
	raw = bytes.TrimSuffix(raw, []byte{'\r'})
	if s.lineNo == 1 {
		raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
	}
	off := len(s.src)
	s.src = append(s.src, raw...)
	s.src = append(s.src, '\n')
	text := string(raw)
	t := strings.TrimSpace(text)
	if s.block != nil {
		s.block.text.WriteString(text + "\n")
		if t == "@end" {
			s.endBlock()
		}
		return
	}
	if t == "" || t[0] == '#' {
		return
	}
	if isBlockStart(t) {
		s.block = &blockAcc{start: s.lineNo}
		s.block.text.WriteString(text + "\n")
		return
	}
	pos := scenario.Pos{File: s.Name, Line: s.lineNo, Col: 1}
	l, err := scenario.ParseLine(text, pos)
	if err != nil {
		s.ParseErrors++
		s.errorItem(s.lineNo, err.Error())
		return
	}
	switch {
	case l.Kind == scenario.KindNone:
		return
	case l.Kind == scenario.KindCall && l.Unfinished && !l.Resumed:
		k := l.PID.String()
		if old, ok := s.pending[k]; ok {
			s.addSide(old.line)
		}
		s.pending[k] = pendingHalf{line: l, item: -1}
		return
	case l.Kind == scenario.KindCall && l.Resumed:
		k := l.PID.String()
		old, ok := s.pending[k]
		if !ok {
			s.errorItem(s.lineNo, pos.String()+": <... "+l.Name+" resumed> without a preceding unfinished "+l.Name+" call")
			return
		}
		delete(s.pending, k)
		joined, errs := scenario.Join([]scenario.Line{old.line, l})
		if len(errs) > 0 || len(joined) != 1 {
			msg := "cannot join the resumed call with line " + strconv.Itoa(old.line.Pos.Line)
			if len(errs) > 0 {
				msg = errs[0].Error()
			}
			s.errorItem(s.lineNo, msg)
			return
		}
		s.addSide(joined[0])
		return
	case l.Kind == scenario.KindExit:
		if old, ok := s.pending[l.PID.String()]; ok {
			delete(s.pending, l.PID.String())
			s.addSide(old.line)
		}
	}
	s.items = append(s.items, item{off: uint32(off), n: uint32(len(raw)), line: int32(s.lineNo), side: -1})
	s.runParsed(len(s.items)-1, l)
}

// isBlockStart reports whether t opens an @maps or @image block.
func isBlockStart(t string) bool {
	for _, k := range []string{"@maps", "@image"} {
		if rest, ok := strings.CutPrefix(t, k); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return true
		}
	}
	return false
}

// endBlock parses a complete @maps/@image block and runs it.
func (s *Session) endBlock() {
	b := s.block
	s.block = nil
	lines, errs := scenario.ParseFile(s.Name, strings.NewReader(b.text.String()))
	if len(errs) > 0 {
		s.errorItem(b.start, shiftPos(errs[0].Error(), s.Name, b.start-1))
		return
	}
	for _, l := range lines {
		if l.Kind == scenario.KindBlock {
			l.Pos.Line += b.start - 1
			for i := range l.Maps {
				l.Maps[i].Pos.Line += b.start - 1
			}
			s.addSide(l)
			return
		}
	}
	s.errorItem(b.start, "empty block")
}

// shiftPos rewrites the "name:line:" prefix of a block's parse error so
// that it names the line in the whole source.
func shiftPos(msg, name string, by int) string {
	rest, ok := strings.CutPrefix(msg, name+":")
	if !ok {
		return msg
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return msg
	}
	n, err := strconv.Atoi(rest[:i])
	if err != nil {
		return msg
	}
	return name + ":" + strconv.Itoa(n+by) + rest[i:]
}

// addSide stores a line that cannot be re-parsed from one source line
// (joined pairs, blocks) and runs it.
func (s *Session) addSide(l scenario.Line) {
	s.side = append(s.side, l)
	s.items = append(s.items, item{line: int32(l.Pos.Line), side: int32(len(s.side) - 1)})
	s.runItem(len(s.items) - 1)
}

// errorItem records a line that cannot run as an error event.
func (s *Session) errorItem(line int, msg string) {
	s.side = append(s.side, scenario.Line{Kind: scenario.KindNote, Text: msg, Pos: scenario.Pos{File: s.Name, Line: line, Col: 1}, Name: "\x00error"})
	s.items = append(s.items, item{line: int32(line), side: int32(len(s.side) - 1)})
	s.runItem(len(s.items) - 1)
}

// itemLine returns the parsed line of item k, or the error it gives.
func (s *Session) itemLine(k int) (scenario.Line, string) {
	it := s.items[k]
	if it.side >= 0 {
		l := s.side[it.side]
		if l.Name == "\x00error" && l.Kind == scenario.KindNote {
			return l, l.Text
		}
		return l, ""
	}
	l, err := scenario.ParseLine(string(s.src[it.off:it.off+it.n]), scenario.Pos{File: s.Name, Line: int(it.line), Col: 1})
	if err != nil {
		return l, err.Error()
	}
	return l, ""
}

// exec runs item k on r: the event (nil for lines with no effect), the
// error text, and the failure text of an unmet expectation.
func (s *Session) exec(r *vmengine.Runner, k int) (ev *vmengine.Event, errText, failText string) {
	l, perr := s.itemLine(k)
	if perr != "" {
		return nil, perr, ""
	}
	nf := len(r.Fails)
	ev, err := safeLine(r, l)
	if err != nil {
		return nil, err.Error(), ""
	}
	if len(r.Fails) > nf {
		failText = r.Fails[len(r.Fails)-1].String()
	}
	return ev, "", failText
}

// safeLine runs one line, turning an engine panic into an error so that no
// input can take the app down.
func safeLine(r *vmengine.Runner, l scenario.Line) (ev *vmengine.Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			ev = nil
			err = &scenario.Error{Pos: l.Pos, Msg: "internal engine error: " + strings.TrimSpace(fmt.Sprint(p))}
		}
	}()
	return r.Line(l)
}

// runItem runs the newest item on the tail and makes it a step when it
// produced an event or an error.
func (s *Session) runItem(k int) {
	ev, errText, failText := s.exec(s.tail, k)
	s.record(k, ev, errText, failText)
}

// runParsed runs the newest item, already parsed as l, on the tail.
func (s *Session) runParsed(k int, l scenario.Line) {
	nf := len(s.tail.Fails)
	ev, err := safeLine(s.tail, l)
	errText, failText := "", ""
	if err != nil {
		ev, errText = nil, err.Error()
	} else if len(s.tail.Fails) > nf {
		failText = s.tail.Fails[len(s.tail.Fails)-1].String()
	}
	s.record(k, ev, errText, failText)
}

// record makes item k a step when it produced an event or an error.
func (s *Session) record(k int, ev *vmengine.Event, errText, failText string) {
	if ev == nil && errText == "" {
		return
	}
	st := Step{first: int32(s.prefix), item: int32(k), Line: s.items[k].line, Err: errText}
	if ev != nil {
		st.PID = int32(ev.PID)
		st.Call = s.intern(ev.Call)
		if ev.Kind == scenario.KindExit {
			st.Call = "exit"
		} else if ev.Kind == scenario.KindBlock {
			st.Call = "@maps"
			if l, _ := s.itemLine(k); l.Name == "image" {
				st.Call = "@image"
			}
		}
		st.Ret, st.Errno, st.Signal, st.NoRet = ev.Result.Ret, string(ev.Result.Errno), ev.Result.Signal, ev.Result.NoRet
		if ev.Failed {
			st.Failed = true
			st.Err = failText
		}
	} else {
		l, _ := s.itemLine(k)
		if l.Kind == scenario.KindCall {
			st.Call = s.intern(l.Name)
		}
	}
	s.prefix = k + 1
	s.Gen++
	s.steps = append(s.steps, st)
	s.Stats = append(s.Stats, statOf(s.tail))
	last := s.ckpts[len(s.ckpts)-1]
	if d := len(s.steps) - last.step; d >= 256 && d >= checkpointEvery(s.tail) {
		s.ckpts = append(s.ckpts, checkpoint{len(s.steps), s.tail.Clone()})
	}
}

// checkpointEvery returns how many steps apart checkpoints of a state like
// r's are kept: 256, more when a clone is expensive (it copies objects and
// frames), so that memory stays bounded by about the size of the replay.
func checkpointEvery(r *vmengine.Runner) int {
	w := r.Eng.Phys().Len() + len(r.Eng.Objects())
	return 256 + w/4
}

func (s *Session) intern(name string) string {
	if v, ok := s.names[name]; ok {
		return v
	}
	s.names[name] = name
	return name
}

// statOf measures a runner's machine.
func statOf(r *vmengine.Runner) Stat {
	var st Stat
	for _, p := range r.Eng.Processes() {
		st.Mapped += p.VS.Map.Size
		st.Resident += uint32(p.VS.Pmap.Len())
		st.Entries += uint32(p.VS.Map.NEntries)
		st.Procs++
	}
	return st
}

// Before is what the state looked like just before a step, for showing
// what the step changed.
type Before struct {
	Entries map[int][]vmengine.Entry
	Objects map[vmengine.ObjID]ObjBrief
}

// ObjBrief is an object as it was before a step.
type ObjBrief struct {
	Type     vmengine.ObjType
	Ref      int
	Backing  vmengine.ObjID
	Shadows  []vmengine.ObjID
	Resident int
	Size     uint64
	File     string
}

// capture records r's entries and objects.
func capture(r *vmengine.Runner) *Before {
	b := &Before{Entries: map[int][]vmengine.Entry{}, Objects: map[vmengine.ObjID]ObjBrief{}}
	for _, p := range r.Eng.Processes() {
		b.Entries[p.PID] = p.VS.Map.Entries()
	}
	for _, o := range r.Eng.Objects() {
		ob := ObjBrief{Type: o.Type, Ref: o.Ref, Backing: o.Backing, Shadows: append([]vmengine.ObjID(nil), o.Shadows...), Resident: len(o.Pages), Size: o.Size}
		if o.File != nil {
			ob.File = o.File.Path
		}
		b.Objects[o.ID] = ob
	}
	return b
}

// Position is the result of a seek: the state at a step, the state just
// before it, and what the step's line did.
type Position struct {
	Step   int
	R      *vmengine.Runner // the state at Step (a private copy)
	Before *Before          // the state at Step-1 (nil at step 0)
	Event  *vmengine.Event  // the step's event (nil at step 0 or on error)
	Err    string           // why the step's line could not run
	Fail   string           // the unmet expectation, if any
}

// At returns the state at step i (clamped to [0, Len()]): it clones the
// nearest checkpoint at or before i-1 and replays forward, capturing the
// state before step i so that the views can show what it changed.
func (s *Session) At(i int) Position {
	if i < 0 {
		i = 0
	}
	if i > len(s.steps) {
		i = len(s.steps)
	}
	if i == 0 {
		return Position{Step: 0, R: s.init.Clone()}
	}
	c := sort.Search(len(s.ckpts), func(j int) bool { return s.ckpts[j].step > i-1 }) - 1
	r := s.ckpts[c].r.Clone()
	for j := s.ckpts[c].step + 1; j <= i-1; j++ {
		s.replay(r, j)
	}
	pos := Position{Step: i, R: r, Before: capture(r)}
	pos.Event, pos.Err, pos.Fail = s.replay(r, i)
	return pos
}

// Next runs step pos.Step+1 on pos's runner, turning pos into the next
// position; it returns false at the end.
func (s *Session) Next(pos *Position) bool {
	if pos.Step >= len(s.steps) {
		return false
	}
	pos.Before = capture(pos.R)
	pos.Step++
	pos.Event, pos.Err, pos.Fail = s.replay(pos.R, pos.Step)
	return true
}

// replay runs step j (its prefix lines, then its own line) on r.
func (s *Session) replay(r *vmengine.Runner, j int) (*vmengine.Event, string, string) {
	st := s.steps[j-1]
	for k := int(st.first); k < int(st.item); k++ {
		s.exec(r, k)
	}
	return s.exec(r, int(st.item))
}

// Truncate drops every step after n, so that new lines continue from
// step n (a what-if branch typed at the console while looking at the
// past).
func (s *Session) Truncate(n int) {
	if n >= len(s.steps) || n < 0 {
		return
	}
	pos := s.At(n)
	s.Gen++
	if n == 0 {
		s.items = s.items[:0]
		s.side = s.side[:0]
	} else {
		last := s.steps[n-1].item
		s.items = s.items[:last+1]
		side := int32(-1)
		for _, it := range s.items {
			if it.side > side {
				side = it.side
			}
		}
		s.side = s.side[:side+1]
	}
	s.steps = s.steps[:n]
	s.Stats = s.Stats[:n+1]
	c := sort.Search(len(s.ckpts), func(j int) bool { return s.ckpts[j].step > n })
	s.ckpts = s.ckpts[:c]
	s.tail = pos.R
	s.prefix = len(s.items)
	s.partial = nil
	s.block = nil
	s.pending = map[string]pendingHalf{}
}

// Checkpoints returns how many checkpoints the session keeps.
func (s *Session) Checkpoints() int { return len(s.ckpts) }

// MostPopulated returns the last step at which the number of live
// processes was at its maximum: the moment a scenario has the most to
// show (both processes after a fork, before the child exits).
func (s *Session) MostPopulated() int {
	best, at := -1, 0
	for i, st := range s.Stats {
		if int(st.Procs) >= best {
			best, at = int(st.Procs), i
		}
	}
	return at
}
