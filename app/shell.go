package app

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"vmscope/static"
)

// init registers the page route: in init, not main, so that the server,
// the wasm and the tests all see it.
func init() {
	app.Route("/", func() app.Composer { return &Shell{} })
}

// Source kinds.
const (
	srcScenario = "scenario" // a library scenario (?s=NAME)
	srcText     = "text"     // text carried in the URL (?src=...)
	srcFile     = "file"     // a file opened from disk
	srcTrace    = "trace"    // a trace served by vmscope serve -traces (?trace=PATH)
	srcConsole  = "console"  // typed at the console
)

// maxURLSource is the largest source (bytes, before compression) the
// share link carries.
const maxURLSource = 64 << 10

// loadState is the progress of a file being opened.
type loadState struct {
	Name        string
	Phase       string // "reading" or "replaying"
	Done, Total int64
}

// conLine is one line of console output.
type conLine struct {
	Kind string // "in", "ok", "err", "fail", "info"
	Text string
	Why  string
}

// Shell is the page: it owns the session, the position in its timeline,
// the selection and the view settings, and lays out every view. The views
// are components that read the shell; V (the shell's version) tells them
// when to re-render.
type Shell struct {
	app.Compo

	sess     *Session
	pos      Position
	snap     *Snapshot
	bar      *Bar
	view     View
	fitView  bool
	sel      EntryRef
	hover    EntryRef
	ver      int
	tab      string
	playing  bool
	speed    float64 // events per second
	playTok  int
	theme    string
	embed    bool
	overlay  string // "", "welcome", "library", "share"
	dragging bool
	loading  *loadState
	loadTok  int
	message  string
	srcKind  string
	srcName  string // scenario name, file name or trace path
	pers     string
	mounted  bool
	ctx      app.Context
	hasCtx   bool

	// Entries table.
	search   string
	filter   string // "", "changed", "resident", "shared", "writable", "exec", "wired"
	sortCol  string
	sortDesc bool
	// Page view: first page shown.
	pageFrom int
	// Console.
	conOut   []conLine
	conHist  []string
	traces   []string // traces offered by the server
	urlTimer int
}

// OnPreRender loads the page's state on the server, so that the
// pre-rendered HTML already shows the scenario's timeline.
func (s *Shell) OnPreRender(ctx app.Context) {
	s.ctx, s.hasCtx = ctx, true
	s.start(ctx, ctx.Page().URL())
}

// OnMount loads the state named by the URL in the browser and installs the
// page-wide listeners.
func (s *Shell) OnMount(ctx app.Context) {
	s.ctx, s.hasCtx = ctx, true
	s.mounted = true
	installGlobal(s, ctx)
	u := ctx.Page().URL()
	s.start(ctx, u)
	if !s.embed && storageGet("vmscope.welcomed") == "" && u.Query().Get("welcome") != "0" {
		s.overlay = "welcome"
	}
	ctx.Async(func() {
		t, err := fetchText("/api/traces")
		if err != nil || strings.TrimSpace(t) == "" {
			return
		}
		var names []string
		for _, l := range strings.Split(strings.TrimSpace(t), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				names = append(names, l)
			}
		}
		ctx.Dispatch(func(ctx app.Context) { s.traces = names; s.changed(ctx) })
	})
}

// start reads the URL's state: the source (?s=, ?src=, ?trace=), the step,
// the zoom, the selection, the tab, the theme and embed mode.
func (s *Shell) start(ctx app.Context, u *url.URL) {
	q := url.Values{}
	if u != nil {
		q = u.Query()
	}
	s.speed = 4
	s.tab = "entries"
	if t := q.Get("tab"); t == "objects" || t == "pages" || t == "processes" || t == "entries" {
		s.tab = t
	}
	s.embed = q.Get("embed") == "1"
	s.theme = q.Get("theme")
	if s.theme != "dark" && s.theme != "light" {
		s.theme = storageGet("vmscope.theme")
		if s.theme == "" {
			s.theme = "light"
			if prefersDark() {
				s.theme = "dark"
			}
		}
	}
	setTheme(s.theme)
	step := -1
	if v, err := strconv.Atoi(q.Get("step")); err == nil {
		step = v
	}
	pers := q.Get("pers")
	switch {
	case q.Get("src") != "":
		text, err := decodeSource(q.Get("src"))
		if err != nil {
			s.message = "The link's source could not be read: " + err.Error()
			s.loadScenario(ctx, "01-fork-cow-collapse", -1)
			break
		}
		name := q.Get("name")
		if name == "" {
			name = "shared"
		}
		s.loadText(ctx, srcText, name, pers, text, step)
	case q.Get("trace") != "" && s.mounted:
		s.loadTrace(ctx, q.Get("trace"), step)
	default:
		name := q.Get("s")
		if name == "" {
			name = "01-fork-cow-collapse"
		}
		if _, ok := static.Lookup(name); !ok {
			s.message = "No scenario called " + strconv.Quote(name) + "; showing the first one."
			name = "01-fork-cow-collapse"
		}
		s.loadScenario(ctx, name, step)
	}
	if sel := q.Get("sel"); sel != "" && s.snap != nil {
		if pid, addr, ok := parseSel(sel); ok {
			if e := s.snap.Entry(pid, addr); e != nil {
				s.sel = EntryRef{pid, e.Start, e.End}
			}
		}
	}
	if z := q.Get("z"); z != "" && s.bar != nil {
		if a0, a1, ok := parseRange(z); ok {
			s.view = s.bar.Axis.Clamp(View{s.bar.Axis.Unit(a0), s.bar.Axis.Unit(a1)})
			s.fitView = false
			s.bar.View = s.view
		}
	}
	s.changed(ctx)
}

// parseSel parses "PID:0xADDR".
func parseSel(v string) (int, uint64, bool) {
	a, b, ok := strings.Cut(v, ":")
	if !ok {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(a)
	addr, err2 := strconv.ParseUint(strings.TrimPrefix(b, "0x"), 16, 64)
	return pid, addr, err1 == nil && err2 == nil
}

// parseRange parses "0xA-0xB".
func parseRange(v string) (uint64, uint64, bool) {
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		return 0, 0, false
	}
	x, err1 := strconv.ParseUint(strings.TrimPrefix(a, "0x"), 16, 64)
	y, err2 := strconv.ParseUint(strings.TrimPrefix(b, "0x"), 16, 64)
	return x, y, err1 == nil && err2 == nil && x < y
}

// encodeSource compresses a source for the URL.
func encodeSource(text string) string {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write([]byte(text))
	w.Close()
	return base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// decodeSource reverses encodeSource, refusing sources over 16 MiB.
func decodeSource(v string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), 16<<20))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// loadScenario opens a library scenario at step (-1: the step where the
// most processes are alive).
func (s *Shell) loadScenario(ctx app.Context, name string, step int) {
	sc, ok := static.Lookup(name)
	if !ok {
		s.message = "No scenario called " + strconv.Quote(name)
		return
	}
	s.loadText(ctx, srcScenario, sc.Name, "", sc.Text, step)
}

// loadText runs a whole source at once and shows it at step (-1: the most
// populated step).
func (s *Shell) loadText(ctx app.Context, kind, name, pers, text string, step int) {
	sess := NewSession(name, pers)
	sess.Append([]byte(text))
	sess.Finish()
	s.adopt(sess, kind, name, step)
}

// adopt makes sess the shown session and seeks to step (-1: the most
// populated step).
func (s *Shell) adopt(sess *Session, kind, name string, step int) {
	s.playing = false
	s.sess = sess
	s.pos, s.snap = Position{}, nil
	s.srcKind, s.srcName, s.pers = kind, name, sess.Personality()
	s.sel = EntryRef{}
	s.fitView = true
	s.bar = nil
	s.pageFrom = 0
	if step < 0 {
		step = sess.MostPopulated()
	}
	s.seekNow(step)
	if n := sess.ParseErrors; n > 0 {
		s.message = strconv.Itoa(n) + " line(s) of " + name + " could not be parsed; they are marked in the timeline."
	}
}

// root returns the context of the page component itself: asynchronous
// work dispatches through it, because the element that started the work
// (a button in a dialog) may be gone when it finishes.
func (s *Shell) root(ctx app.Context) app.Context {
	if s.hasCtx {
		return s.ctx
	}
	return ctx
}

// loadTrace fetches a trace from the server and opens it.
func (s *Shell) loadTrace(ctx app.Context, path string, step int) {
	ctx = s.root(ctx)
	s.loading = &loadState{Name: path, Phase: "reading"}
	ctx.Async(func() {
		text, err := fetchText("/api/traces/" + url.PathEscape(path))
		ctx.Dispatch(func(ctx app.Context) {
			s.loading = nil
			if err != nil {
				s.message = "Could not load trace " + path + ": " + err.Error()
				s.changed(ctx)
				return
			}
			s.loadText(ctx, srcTrace, path, "", text, step)
			s.overlay = ""
			s.changed(ctx)
		})
	})
}

// openFile reads a trace or scenario file in chunks, showing progress,
// then replays it in chunks so that the page stays responsive.
func (s *Shell) openFile(ctx app.Context, f fileHandle) {
	ctx = s.root(ctx)
	s.playing = false
	s.loadTok++
	tok := s.loadTok
	name, size := f.Name(), f.Size()
	s.loading = &loadState{Name: name, Phase: "reading", Total: size}
	s.overlay = ""
	s.changed(ctx)
	ctx.Async(func() {
		data := make([]byte, 0, size)
		const chunk = 4 << 20
		for off := int64(0); off < size; off += chunk {
			b, err := readChunk(f, off, chunk)
			if err != nil {
				ctx.Dispatch(func(ctx app.Context) {
					s.loading = nil
					s.message = "Could not read " + name + ": " + err.Error()
					s.changed(ctx)
				})
				return
			}
			data = append(data, b...)
			n := int64(len(data))
			ctx.Dispatch(func(ctx app.Context) {
				if s.loading != nil && s.loadTok == tok {
					s.loading.Done = n
					ctx.Update()
				}
			})
		}
		ctx.Dispatch(func(ctx app.Context) {
			if s.loadTok != tok {
				return
			}
			if !looksLikeText(data) {
				s.loading = nil
				s.message = name + " does not look like a text trace (strace log, vmscope trace or scenario): it contains binary data."
				s.changed(ctx)
				return
			}
			sess := NewSession(name, "")
			s.loading = &loadState{Name: name, Phase: "replaying", Total: int64(len(data))}
			s.replayChunks(ctx, tok, sess, data, 0)
		})
	})
}

// looksLikeText reports whether data has no NUL bytes in its first 64 KiB.
func looksLikeText(data []byte) bool {
	n := len(data)
	if n > 64<<10 {
		n = 64 << 10
	}
	return bytes.IndexByte(data[:n], 0) < 0
}

// replayChunks feeds data to sess about 512 KiB at a time, letting the
// browser paint the progress bar in between, and adopts sess at the end.
func (s *Shell) replayChunks(ctx app.Context, tok int, sess *Session, data []byte, off int) {
	if s.loadTok != tok {
		return
	}
	t0 := time.Now()
	for off < len(data) && time.Since(t0) < 60*time.Millisecond {
		end := off + 512<<10
		if end > len(data) {
			end = len(data)
		}
		sess.Append(data[off:end])
		off = end
	}
	s.loading.Done = int64(off)
	if off < len(data) {
		ctx.Update()
		ctx.After(time.Millisecond, func(ctx app.Context) { s.replayChunks(ctx, tok, sess, data, off) })
		return
	}
	sess.Finish()
	s.loading = nil
	s.adopt(sess, srcFile, sess.Name, sess.Len())
	s.changed(ctx)
}

// openText opens text as if it were a file called name (tests, and the
// paste path).
func (s *Shell) openText(ctx app.Context, name, text string) {
	s.loadText(ctx, srcFile, name, "", text, -1)
	s.changed(ctx)
}

// changed records that the state changed: every view re-renders, the URL
// follows, and the canvases are repainted after the DOM update.
func (s *Shell) changed(ctx app.Context) {
	s.ver++
	ctx.Update()
	ctx.Defer(func(app.Context) { s.paint() })
	s.syncURL()
}

// seekNow moves to step i and repaints the bar at once (without waiting
// for the DOM); afterSeek must follow on the UI goroutine.
func (s *Shell) seekNow(i int) {
	if s.sess == nil {
		return
	}
	if i < 0 {
		i = 0
	}
	if i > s.sess.Len() {
		i = s.sess.Len()
	}
	defer func() {
		// The engine is checked, but a view must never take the page down.
		if p := recover(); p != nil {
			s.message = "Internal error while showing event " + itoa(i) + ": " + fmt.Sprint(p)
			s.pos = Position{}
		}
	}()
	t0 := nowMS()
	if s.pos.R != nil && i == s.pos.Step+1 && s.pos.Step < s.sess.Len() {
		s.sess.Next(&s.pos)
	} else if s.pos.R == nil || i != s.pos.Step || s.snap == nil {
		s.pos = s.sess.At(i)
	}
	t1 := nowMS()
	s.snap = BuildSnapshot(s.pos)
	t2 := nowMS()
	s.relayout()
	s.resolveSelection()
	t3 := nowMS()
	s.paintBar()
	publishStats("engineMs", t1-t0)
	publishStats("snapshotMs", t2-t1)
	publishStats("layoutMs", t3-t2)
	publishStats("step", float64(s.pos.Step))
	publishStats("events", float64(s.sess.Len()))
}

// afterSeek updates the DOM after seekNow.
func (s *Shell) afterSeek(ctx app.Context) {
	s.changed(ctx)
	scrollRowIntoView("tl-list", s.pos.Step, timelineRowH)
}

// seek moves to step i and updates everything.
func (s *Shell) seek(ctx app.Context, i int) {
	s.seekNow(i)
	s.afterSeek(ctx)
}

// stepBy moves d steps (negative: back).
func (s *Shell) stepBy(ctx app.Context, d int) {
	if s.sess == nil {
		return
	}
	s.seek(ctx, s.pos.Step+d)
}

// relayout rebuilds the bar's axis for the new snapshot, keeping the same
// addresses in view (or the whole axis when fitted).
func (s *Shell) relayout() {
	var a0, a1 uint64
	if s.bar != nil && !s.fitView {
		a0, a1 = s.bar.Axis.Addr(s.view.U0), s.bar.Axis.Addr(s.view.U1)
	}
	w := 1000.0
	if s.bar != nil {
		w = s.bar.W
	}
	s.bar = NewBar(s.snap, w)
	if s.fitView || a1 <= a0 {
		s.view = s.bar.Axis.Fit()
	} else {
		s.view = s.bar.Axis.Clamp(View{s.bar.Axis.Unit(a0), s.bar.Axis.Unit(a1)})
	}
	s.bar.View = s.view
	s.bar.Theme = s.theme
	s.bar.Compact = s.embed
}

// resolveSelection keeps the selection on the entry that now holds its
// start address, or picks the entry the step changed, or the first
// resident one.
func (s *Shell) resolveSelection() {
	if s.snap == nil {
		return
	}
	if s.sel.End != 0 {
		if e := s.snap.Entry(s.sel.PID, s.sel.Start); e != nil {
			s.sel = EntryRef{e.PID, e.Start, e.End}
			s.syncBarSel()
			return
		}
	}
	s.sel = EntryRef{}
	var best *EntryView
	for i := range s.snap.Procs {
		for j := range s.snap.Procs[i].Entries {
			e := &s.snap.Procs[i].Entries[j]
			if e.Change != ChangeNone && !s.snap.Procs[i].New {
				best = e
				break
			}
			if best == nil && e.Resident > 0 {
				best = e
			}
		}
		if best != nil && best.Change != ChangeNone {
			break
		}
	}
	if best == nil && len(s.snap.Procs) > 0 && len(s.snap.Procs[0].Entries) > 0 {
		best = &s.snap.Procs[0].Entries[0]
	}
	if best != nil {
		s.sel = EntryRef{best.PID, best.Start, best.End}
		s.pageFrom = 0
	}
	s.syncBarSel()
}

// syncBarSel copies the selection into the bar.
func (s *Shell) syncBarSel() {
	if s.bar != nil {
		s.bar.Sel = s.sel
	}
}

// selectEntry selects an entry (from the bar, the table, the graph);
// with focus the bar zooms to it.
func (s *Shell) selectEntry(ctx app.Context, ref EntryRef, focus bool) {
	if ref != s.sel {
		s.pageFrom = 0
	}
	s.sel = ref
	s.syncBarSel()
	if focus && s.bar != nil {
		s.view = s.bar.Axis.Focus(ref.Start, ref.End)
		s.fitView = false
		s.bar.View = s.view
	}
	s.changed(ctx)
}

// selected returns the selected entry's view, or nil.
func (s *Shell) selected() *EntryView {
	if s.snap == nil || s.sel.End == 0 {
		return nil
	}
	return s.snap.Entry(s.sel.PID, s.sel.Start)
}

// paint draws every canvas: the bar and the plots.
func (s *Shell) paint() {
	s.paintBar()
	s.paintPlots()
	scrollRowIntoView("tl-list", s.pos.Step, timelineRowH)
}

// paintBar draws the bar canvas, sizing it to its box.
func (s *Shell) paintBar() { s.drawBar(paintCanvas) }

// repaintBar redraws the bar at its current size (zoom, pan, hover).
func (s *Shell) repaintBar() { s.drawBar(repaintCanvas) }

// drawBar draws the bar with the given canvas function.
func (s *Shell) drawBar(canvas func(string, float64, func(Painter, float64)) float64) {
	if s.bar == nil {
		return
	}
	t0 := nowMS()
	w := canvas("bar", s.bar.Height(), func(p Painter, w float64) {
		s.bar.W = w
		s.bar.Theme = s.theme
		s.bar.Hover = s.hover
		s.bar.Paint(p)
	})
	if w > 0 {
		publishStats("paintMs", nowMS()-t0)
		setData("bar", "drawn", strconv.Itoa(s.ver)+"/"+strconv.Itoa(s.pos.Step))
	}
}

// zoomAtPixel zooms the bar by factor around pixel x and repaints.
func (s *Shell) zoomAtPixel(x, factor float64) {
	if s.bar == nil {
		return
	}
	s.view = s.bar.Axis.Zoom(s.view, factor, s.bar.U(x))
	s.fitView = s.view == s.bar.Axis.Fit()
	s.bar.View = s.view
	s.repaintBar()
}

// zoomBy zooms around the centre (buttons and keys).
func (s *Shell) zoomBy(ctx app.Context, factor float64) {
	if s.bar == nil {
		return
	}
	s.zoomAtPixel(s.bar.X((s.view.U0+s.view.U1)/2), factor)
	s.changed(ctx)
}

// zoomFit shows the whole address space.
func (s *Shell) zoomFit(ctx app.Context) {
	if s.bar == nil {
		return
	}
	s.view = s.bar.Axis.Fit()
	s.fitView = true
	s.bar.View = s.view
	s.changed(ctx)
}

// zoomSelection zooms to the selected entry.
func (s *Shell) zoomSelection(ctx app.Context) {
	if s.sel.End == 0 || s.bar == nil {
		return
	}
	s.selectEntry(ctx, s.sel, true)
}

// panPixels pans the bar by dx pixels and repaints.
func (s *Shell) panPixels(dx float64) {
	if s.bar == nil {
		return
	}
	du := dx / (s.bar.W - s.bar.Gutter - 4) * s.view.Span()
	s.view = s.bar.Axis.Pan(s.view, du)
	s.fitView = false
	s.bar.View = s.view
	s.repaintBar()
}

// viewChangedSoon updates the zoom label and URL shortly after a wheel or
// drag (once per burst).
func (s *Shell) viewChangedSoon(ctx app.Context) {
	s.urlTimer++
	tok := s.urlTimer
	ctx.After(150*time.Millisecond, func(ctx app.Context) {
		if tok == s.urlTimer {
			s.changed(ctx)
		}
	})
}

// barHover returns the entry under the pointer and its tooltip.
func (s *Shell) barHover(x, y float64) (EntryRef, string) {
	if s.bar == nil {
		return EntryRef{}, ""
	}
	ref, ok := s.bar.Hit(x, y)
	if !ok {
		row := int((y - s.bar.Top) / (s.bar.RowH + s.bar.RowGap))
		if lo, hi, gap := s.bar.GapAt(row, x); gap && y >= s.bar.RowY(row) && y <= s.bar.RowY(row)+s.bar.RowH {
			return EntryRef{}, "unmapped: " + hexAddr(lo) + "–" + hexAddr(hi) + " (" + sizeText(hi-lo) + ")\nno entry here: an access is SIGSEGV SEGV_MAPERR; mmap can place new entries in this hole."
		}
		return EntryRef{}, ""
	}
	e := s.snap.Entry(ref.PID, ref.Start)
	if e == nil {
		return ref, ""
	}
	return ref, entryTooltip(e, s.snap.PageSize)
}

// setHover highlights ref and shows text at the pointer.
func (s *Shell) setHover(ref EntryRef, text string, cx, cy float64) {
	showTooltip(text, cx+12, cy)
	if ref != s.hover {
		s.hover = ref
		s.repaintBar()
	}
}

// entryTooltip explains an entry in words, naming the kernel concepts.
func entryTooltip(e *EntryView, ps uint64) string {
	var b strings.Builder
	b.WriteString("pid " + itoa(e.PID) + "  " + hexAddr(e.Start) + "–" + hexAddr(e.End) + "  " + sizeText(e.End-e.Start) + "\n")
	b.WriteString(e.Kind.String() + "  " + e.Perms + " (max " + e.MaxProt.String() + ")  inherit " + e.Inherit)
	if e.Path != "" {
		b.WriteString("  " + e.Path)
	}
	b.WriteString("\n" + e.Kind.Concept())
	if e.Object == 0 {
		b.WriteString("\nno object yet: the first fault or clip creates one")
	} else {
		b.WriteString("\nobject #" + utoa(uint64(e.Object)) + " (" + e.ObjType + "), ref " + itoa(e.ObjRef) + ", shadow chain depth " + itoa(e.Depth))
		if e.Depth > 1 {
			b.WriteString("\nshadow object: a copy-on-write layer created by vm_object_shadow at the first write after fork")
		}
	}
	if e.Flags&0x8 != 0 {
		b.WriteString("\nNEEDS_COPY: the entry still uses the object it shares with its parent; the first write shadows it")
	}
	b.WriteString("\n" + itoa(e.Resident) + " of " + utoa(e.Pages(ps)) + " pages resident")
	if e.Shared > 0 {
		b.WriteString(", " + itoa(e.Shared) + " shared with another process (copy-on-write)")
	}
	if e.Wired > 0 {
		b.WriteString(", wired (mlock)")
	}
	if e.Change != ChangeNone {
		b.WriteString("\nthis step: " + e.Change.String() + " — " + e.Note)
	}
	return b.String()
}

// plotStepAt returns the step under pixel x of a plot w pixels wide.
func (s *Shell) plotStepAt(x, w float64) int {
	if s.sess == nil || w <= 0 {
		return 0
	}
	n := s.sess.Len()
	i := int(x/w*float64(n) + 0.5)
	if i < 0 {
		i = 0
	}
	if i > n {
		i = n
	}
	return i
}

// setPlaying starts or stops playback.
func (s *Shell) setPlaying(ctx app.Context, on bool) {
	if s.sess == nil {
		return
	}
	if on && s.pos.Step >= s.sess.Len() {
		s.seekNow(0)
	}
	s.playing = on
	s.playTok++
	if on {
		s.playTick(ctx, s.playTok)
	}
	s.changed(ctx)
}

// playTick advances one step and schedules the next while playing.
func (s *Shell) playTick(ctx app.Context, tok int) {
	delay := time.Duration(float64(time.Second) / s.speed)
	ctx.After(delay, func(ctx app.Context) {
		if !s.playing || tok != s.playTok || s.sess == nil {
			return
		}
		if s.pos.Step >= s.sess.Len() {
			s.playing = false
			s.changed(ctx)
			return
		}
		s.stepBy(ctx, 1)
		s.playTick(ctx, tok)
	})
}

// keyWanted reports whether the page handles key (inField: the focus is
// in a text field).
func (s *Shell) keyWanted(key string, inField bool) bool {
	if inField {
		return key == "Escape"
	}
	switch key {
	case "ArrowLeft", "ArrowRight", " ", "+", "=", "-", "_", "/", "Escape", "Home", "End", "0", "?", "t":
		return true
	}
	return false
}

// onKey handles the keyboard: ←/→ step, space play, +/- zoom, 0 fit,
// / search, Home/End, ? help, t theme, Escape closes dialogs.
func (s *Shell) onKey(ctx app.Context, key string) {
	switch key {
	case "ArrowLeft":
		s.setPlaying(ctx, false)
		s.stepBy(ctx, -1)
	case "ArrowRight":
		s.setPlaying(ctx, false)
		s.stepBy(ctx, 1)
	case " ":
		s.setPlaying(ctx, !s.playing)
	case "+", "=":
		s.zoomBy(ctx, 0.5)
	case "-", "_":
		s.zoomBy(ctx, 2)
	case "0":
		s.zoomFit(ctx)
	case "Home":
		s.seek(ctx, 0)
	case "End":
		if s.sess != nil {
			s.seek(ctx, s.sess.Len())
		}
	case "/":
		if s.tab != "entries" {
			s.tab = "entries"
			s.changed(ctx)
		}
		ctx.Defer(func(app.Context) { focusID("entry-search") })
	case "?":
		s.overlay = "welcome"
		s.changed(ctx)
	case "t":
		s.toggleTheme(ctx)
	case "Escape":
		if s.overlay != "" {
			s.closeOverlay(ctx)
		}
	}
}

// closeOverlay closes any dialog; closing the welcome remembers it.
func (s *Shell) closeOverlay(ctx app.Context) {
	if s.overlay == "welcome" {
		storageSet("vmscope.welcomed", "1")
	}
	s.overlay = ""
	s.changed(ctx)
}

// toggleTheme switches light and dark and remembers the choice.
func (s *Shell) toggleTheme(ctx app.Context) {
	if s.theme == "dark" {
		s.theme = "light"
	} else {
		s.theme = "dark"
	}
	storageSet("vmscope.theme", s.theme)
	setTheme(s.theme)
	if s.bar != nil {
		s.bar.Theme = s.theme
	}
	s.changed(ctx)
}

// setDragging shows or hides the drop target.
func (s *Shell) setDragging(ctx app.Context, on bool) {
	if s.dragging != on {
		s.dragging = on
		s.changed(ctx)
	}
}

// setTab shows one of the lower views.
func (s *Shell) setTab(ctx app.Context, tab string) {
	s.tab = tab
	s.changed(ctx)
}

// ShareQuery returns the URL query that reproduces the current view, and
// whether the source fits in it.
func (s *Shell) ShareQuery() (string, bool) {
	q := url.Values{}
	fits := true
	switch s.srcKind {
	case srcScenario:
		q.Set("s", s.srcName)
	case srcTrace:
		q.Set("trace", s.srcName)
	default:
		if s.sess != nil {
			src := s.sess.Source()
			if len(src) <= maxURLSource {
				q.Set("src", encodeSource(src))
				q.Set("name", s.srcName)
				if s.pers != "" {
					q.Set("pers", s.pers)
				}
			} else {
				fits = false
			}
		}
	}
	if s.sess != nil {
		q.Set("step", strconv.Itoa(s.pos.Step))
	}
	if s.bar != nil && !s.fitView {
		q.Set("z", hexAddr(s.bar.Axis.Addr(s.view.U0))+"-"+hexAddr(s.bar.Axis.Addr(s.view.U1)))
	}
	if s.sel.End != 0 {
		q.Set("sel", itoa(s.sel.PID)+":"+hexAddr(s.sel.Start))
	}
	if s.tab != "entries" {
		q.Set("tab", s.tab)
	}
	if s.embed {
		q.Set("embed", "1")
	}
	return encodeQuery(q), fits
}

// encodeQuery encodes q with a stable key order, sources last.
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	order := map[string]int{"s": 0, "trace": 0, "name": 1, "pers": 2, "step": 3, "sel": 4, "z": 5, "tab": 6, "embed": 7, "src": 9}
	sort.Slice(keys, func(i, j int) bool { return order[keys[i]] < order[keys[j]] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+url.QueryEscape(q.Get(k)))
	}
	return strings.Join(parts, "&")
}

// syncURL puts the state into the address bar.
func (s *Shell) syncURL() {
	if !s.mounted || s.sess == nil {
		return
	}
	q, _ := s.ShareQuery()
	replaceURL(q)
}

// Render lays out the page.
func (s *Shell) Render() app.UI {
	if s.embed {
		return app.Div().ID("shell").Class("shell", "embed").DataSet("theme", s.theme).DataSet("loading", s.loading != nil).Body(
			&AddressBar{S: s, V: s.ver},
			&StepControl{S: s, V: s.ver},
			app.Div().ID("tooltip").Class("tooltip").Role("tooltip"),
		)
	}
	return app.Div().ID("shell").Class("shell").DataSet("theme", s.theme).DataSet("loading", s.loading != nil).Body(
		s.renderHeader(),
		app.If(s.loading != nil, func() app.UI { return s.renderProgress() }),
		app.If(s.message != "", func() app.UI {
			return app.Div().ID("message").Class("message").Role("status").Body(
				app.Span().Text(s.message),
				app.Button().Class("link").Aria("label", "dismiss message").Text("×").OnClick(func(ctx app.Context, e app.Event) {
					s.message = ""
					s.changed(ctx)
				}),
			)
		}),
		app.Main().Class("grid").Body(
			app.Section().Class("left").Aria("label", "address spaces").Body(
				&AddressBar{S: s, V: s.ver},
				s.renderTabs(),
			),
			app.Aside().Class("right").Aria("label", "timeline and console").Body(
				&Timeline{S: s, V: s.ver},
				&Console{S: s, V: s.ver},
			),
		),
		app.If(s.overlay == "library", func() app.UI { return &Library{S: s, V: s.ver} }),
		app.If(s.overlay == "share", func() app.UI { return &SharePanel{S: s, V: s.ver} }),
		app.If(s.overlay == "welcome", func() app.UI { return &Welcome{S: s, V: s.ver} }),
		app.If(s.dragging, func() app.UI {
			return app.Div().Class("dropzone").Body(app.Div().Text("Drop an strace log, a vmscope trace or a scenario file to replay it"))
		}),
		app.Div().ID("tooltip").Class("tooltip").Role("tooltip"),
	)
}

// renderHeader draws the top bar: name, source, and the page's actions.
func (s *Shell) renderHeader() app.UI {
	src := ""
	if s.sess != nil {
		src = s.srcName
		if sc, ok := static.Lookup(s.srcName); ok && s.srcKind == srcScenario {
			src = sc.Title
		}
	}
	pers := "freebsd"
	if s.pos.R != nil {
		pers = s.pos.R.Pers.Name()
	}
	return app.Header().Class("top").Body(
		app.H1().Class("logo").Body(app.Span().Text("vm"), app.Span().Class("accent").Text("scope")),
		app.Div().Class("source").Body(
			app.Span().ID("source-name").Class("source-name").Title(s.srcKind+": "+s.srcName).Text(src),
			app.Span().Class("badge").Title("the kernel personality replaying this source (@personality)").Text(pers),
		),
		app.Nav().Class("actions").Aria("label", "page actions").Body(
			app.Button().ID("btn-library").Title("Scenario library: short scripts, one per kernel concept").Text("Library").
				OnClick(func(ctx app.Context, e app.Event) { s.overlay = "library"; s.changed(ctx) }),
			app.Label().ID("btn-open").Class("button").For("file-input").Title("Open an strace log, a vmscope trace or a scenario file (or drop it on the page)").Body(
				app.Text("Open trace…"),
				app.Input().ID("file-input").Type("file").Class("visually-hidden").Aria("label", "open a trace file").
					OnChange(func(ctx app.Context, e app.Event) {
						if f, ok := pickedFile("file-input"); ok {
							s.openFile(ctx, f)
						}
					}),
			),
			app.Button().ID("btn-share").Title("Share a link, embed, or export the diagram and the map").Text("Share").
				OnClick(func(ctx app.Context, e app.Event) { s.overlay = "share"; s.changed(ctx) }),
			app.Button().ID("btn-theme").Aria("label", "switch between light and dark theme").Title("Light or dark theme (t)").
				Text(map[bool]string{true: "☀", false: "☾"}[s.theme == "dark"]).
				OnClick(func(ctx app.Context, e app.Event) { s.toggleTheme(ctx) }),
			app.Button().ID("btn-help").Aria("label", "help and keyboard shortcuts").Title("What am I looking at? (?)").Text("?").
				OnClick(func(ctx app.Context, e app.Event) { s.overlay = "welcome"; s.changed(ctx) }),
		),
	)
}

// renderProgress draws the loading bar.
func (s *Shell) renderProgress() app.UI {
	l := s.loading
	pct := 0.0
	if l.Total > 0 {
		pct = float64(l.Done) / float64(l.Total) * 100
	}
	label := l.Phase + " " + l.Name
	if l.Total > 0 {
		label += " — " + sizeText(uint64(l.Done)) + " of " + sizeText(uint64(l.Total))
	}
	return app.Div().ID("progress").Class("progress").Body(
		app.Progress().ID("progress-bar").Max(100).Value(int(pct)).Aria("label", label),
		app.Span().Class("progress-label").Text(label),
		app.Button().Class("link").Text("cancel").OnClick(func(ctx app.Context, e app.Event) {
			s.loadTok++
			s.loading = nil
			s.message = "Loading cancelled."
			s.changed(ctx)
		}),
	)
}

// renderTabs draws the tab strip and the selected lower view.
func (s *Shell) renderTabs() app.UI {
	tabs := []struct{ id, label, tip string }{
		{"entries", "Entries", "the map entries: procstat -v columns and more"},
		{"objects", "Objects", "VM objects and shadow chains: which entries point where"},
		{"pages", "Pages", "every page of the selected entry"},
		{"processes", "Processes", "the selected range in every process, side by side"},
	}
	var btns []app.UI
	for _, t := range tabs {
		t := t
		btns = append(btns, app.Button().ID("tab-"+t.id).Role("tab").Aria("selected", s.tab == t.id).
			Aria("controls", "panel").Class("tab").Title(t.tip).Text(t.label).
			OnClick(func(ctx app.Context, e app.Event) { s.setTab(ctx, t.id) }, app.EventScope(t.id)))
	}
	var panel app.UI
	switch s.tab {
	case "objects":
		panel = &ObjectGraph{S: s, V: s.ver}
	case "pages":
		panel = &PageGrid{S: s, V: s.ver}
	case "processes":
		panel = &Processes{S: s, V: s.ver}
	default:
		panel = &EntriesTable{S: s, V: s.ver}
	}
	return app.Div().Class("tabbox").Body(
		app.Div().Class("tabs").Role("tablist").Aria("label", "views").Body(btns...),
		app.Div().ID("panel").Class("panel").Role("tabpanel").Body(panel),
	)
}
