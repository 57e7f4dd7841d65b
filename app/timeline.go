package app

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// timelineRowH is the height of one event row in pixels (the CSS agrees).
const timelineRowH = 22

// timelineRows is how many rows the list renders around what is visible.
const timelineRows = 40

// Timeline lists every event with its result, with the playback controls,
// the current event explained, and the plots; the list renders only the
// rows in view so that a million events scroll smoothly.
type Timeline struct {
	app.Compo
	S *Shell
	V int

	first int // first row rendered
}

// Render draws the controls, the current event, the plots and the list.
func (c *Timeline) Render() app.UI {
	s := c.S
	n, cur := 0, 0
	if s.sess != nil {
		n, cur = s.sess.Len(), s.pos.Step
	}
	speeds := []float64{1, 2, 4, 8, 16, 60}
	var opts []app.UI
	for _, v := range speeds {
		opts = append(opts, app.Option().Value(ftoa(v)).Selected(v == s.speed).Text(ftoa(v)+"/s"))
	}
	return app.Section().ID("timeline").Class("card", "timeline").Aria("label", "timeline").Body(
		app.Div().Class("toolbar").Body(
			app.H2().Class("card-title").Text("Timeline"),
			app.Button().ID("tl-first").Aria("label", "first event").Title("Before the first event (Home)").Text("⇤").
				OnClick(func(ctx app.Context, e app.Event) { s.setPlaying(ctx, false); s.seek(ctx, 0) }),
			app.Button().ID("tl-prev").Aria("label", "step back").Title("Step back (←)").Text("◀").
				OnClick(func(ctx app.Context, e app.Event) { s.setPlaying(ctx, false); s.stepBy(ctx, -1) }),
			app.Button().ID("tl-play").Aria("label", map[bool]string{true: "pause", false: "play"}[s.playing]).
				Aria("pressed", s.playing).Title("Play or pause (space)").
				Text(map[bool]string{true: "❚❚", false: "▶"}[s.playing]).
				OnClick(func(ctx app.Context, e app.Event) { s.setPlaying(ctx, !s.playing) }),
			app.Button().ID("tl-next").Aria("label", "step forward").Title("Step forward (→)").Text("▶|").
				OnClick(func(ctx app.Context, e app.Event) { s.setPlaying(ctx, false); s.stepBy(ctx, 1) }),
			app.Button().ID("tl-last").Aria("label", "last event").Title("After the last event (End)").Text("⇥").
				OnClick(func(ctx app.Context, e app.Event) { s.setPlaying(ctx, false); s.seek(ctx, lenOf(s)) }),
			app.Select().ID("tl-speed").Aria("label", "playback speed in events per second").Body(opts...).
				OnChange(func(ctx app.Context, e app.Event) {
					if v, err := strconv.ParseFloat(ctx.JSSrc().Get("value").String(), 64); err == nil && v > 0 {
						s.speed = v
					}
				}),
			app.Span().ID("tl-pos").Class("muted", "tl-pos").Aria("live", "polite").Text(itoa(cur)+" / "+itoa(n)),
		),
		c.renderCurrent(),
		&Plots{S: s, V: s.ver},
		c.renderList(n, cur),
	)
}

// renderCurrent explains the current event: its line, result, the rule
// behind an error, and what it changed.
func (c *Timeline) renderCurrent() app.UI {
	s := c.S
	if s.sess == nil || s.pos.Step == 0 {
		return app.Div().ID("current").Class("current").Body(
			app.Div().Class("muted").Text("Before the first event. Press → or ▶ to run the events one by one."),
		)
	}
	st := s.sess.Step(s.pos.Step)
	res := st.ResultText()
	why := ""
	if s.pos.Event != nil {
		why = s.pos.Event.Result.Why
	}
	resClass := "ok"
	switch {
	case st.Err != "" && !st.Failed:
		resClass = "err"
	case st.Errno != "" || st.Signal != 0:
		resClass = "errno"
	}
	var notes []app.UI
	if why != "" {
		notes = append(notes, app.Div().ID("current-why").Class("why").Text("why: "+why))
	} else if st.Errno != "" || st.Signal != 0 {
		notes = append(notes, app.Div().ID("current-why").Class("why").Text(errnoHint(st.Errno, st.Signal.String())))
	}
	if st.Err != "" {
		cls := "err"
		if st.Failed {
			cls = "fail"
		}
		notes = append(notes, app.Div().Class(cls).Text(st.Err))
	}
	if sum := changeSummary(s.snap); sum != "" {
		notes = append(notes, app.Div().ID("current-changes").Class("changes").Text(sum))
	}
	return app.Div().ID("current").Class("current").Body(
		app.Div().Class("current-line").Body(
			app.Span().Class("muted").Text("#"+itoa(s.pos.Step)+" pid "+itoa(int(st.PID))+" · line "+itoa(int(st.Line))+" "),
			app.Code().ID("current-text").Text(s.sess.Text(s.pos.Step)),
		),
		app.Div().Body(app.Span().Class("muted").Text("result "), app.Code().ID("current-result").Class(resClass).Text(res)),
		app.Div().Body(notes...),
	)
}

// errnoHint names the usual rule behind an errno or signal when the engine
// gave no reason.
func errnoHint(errno, signal string) string {
	switch errno {
	case "EINVAL":
		return "EINVAL: an argument is out of range or inconsistent (alignment, length, flags)"
	case "ENOMEM":
		return "ENOMEM: the range is not (entirely) mapped, or no space or limit is left"
	case "EACCES":
		return "EACCES: the protection asked for exceeds max_protection (or the file's open mode)"
	case "ENOTSUP":
		return "ENOTSUP: PROT exceeds the PROT_MAX given with it"
	case "EBADF":
		return "EBADF: the file descriptor is not open (or not open for the access asked)"
	case "EAGAIN":
		return "EAGAIN: a resource limit (RLIMIT_MEMLOCK, wired pages) would be exceeded"
	case "EPERM":
		return "EPERM: the operation needs privilege"
	}
	if strings.HasPrefix(signal, "SIGSEGV") {
		if strings.Contains(signal, "ACCERR") {
			return "SIGSEGV SEGV_ACCERR: the page is mapped but the access is not allowed by its protection"
		}
		return "SIGSEGV SEGV_MAPERR: no map entry holds the address"
	}
	if strings.HasPrefix(signal, "SIGBUS") {
		return "SIGBUS: the page lies beyond the end of the file the object maps"
	}
	return ""
}

// changeSummary counts what the step did, in words.
func changeSummary(snap *Snapshot) string {
	if snap == nil {
		return ""
	}
	counts := map[Change]int{}
	newProcs := 0
	for _, p := range snap.Procs {
		if p.New {
			newProcs++
			continue
		}
		for _, e := range p.Entries {
			if e.Change != ChangeNone {
				counts[e.Change]++
			}
		}
	}
	var parts []string
	if newProcs > 0 {
		parts = append(parts, itoa(newProcs)+" new process")
	}
	for ch := ChangeAdded; ch <= ChangeAttr; ch++ {
		if n := counts[ch]; n > 0 {
			parts = append(parts, itoa(n)+" "+ch.String())
		}
	}
	if n := len(snap.Removed); n > 0 {
		parts = append(parts, itoa(n)+" range(s) unmapped")
	}
	for _, pid := range snap.Exited {
		parts = append(parts, "pid "+itoa(pid)+" exited")
	}
	for _, g := range snap.Gone {
		parts = append(parts, "object #"+utoa(uint64(g.ID))+" "+strings.SplitN(g.Note, ":", 2)[0])
	}
	nNew := 0
	for _, o := range snap.Objects {
		if o.New {
			nNew++
		}
	}
	if nNew > 0 {
		parts = append(parts, itoa(nNew)+" new object(s)")
	}
	if len(parts) == 0 {
		return ""
	}
	return "changed: " + strings.Join(parts, ", ")
}

// renderList draws the visible rows of the event list.
func (c *Timeline) renderList(n, cur int) app.UI {
	s := c.S
	first := c.first
	if first > n {
		first = n
	}
	lo := first - 10
	if lo < 0 {
		lo = 0
	}
	hi := first + timelineRows
	if hi > n {
		hi = n
	}
	rows := make([]app.UI, 0, hi-lo+1)
	for i := lo; i <= hi; i++ {
		i := i
		var text, res, cls, pid string
		if i == 0 {
			text, res = "initial state", ""
		} else {
			st := s.sess.Step(i)
			text = s.sess.Text(i)
			res = st.ResultText()
			pid = itoa(int(st.PID))
			switch {
			case st.Failed:
				cls = "failed"
			case st.Err != "":
				cls = "error"
			case st.Errno != "" || st.Signal != 0:
				cls = "errno"
			}
		}
		row := app.Div().Class("tl-row", cls).Role("option").Aria("selected", i == cur).
			ID("tl-row-"+itoa(i)).
			Style("top", itoa(i*timelineRowH)+"px").
			Body(
				app.Span().Class("tl-i").Text(itoa(i)),
				app.Span().Class("tl-pid").Text(pid),
				app.Span().Class("tl-text").Title(text).Text(text),
				app.Span().Class("tl-res").Text(res),
			).
			OnClick(func(ctx app.Context, e app.Event) { s.setPlaying(ctx, false); s.seek(ctx, i) }, app.EventScope(i))
		if i == cur {
			row = row.Class("current-row")
		}
		rows = append(rows, row)
	}
	return app.Div().ID("tl-list").Class("tl-list").Role("listbox").Aria("label", "events").TabIndex(0).Body(
		app.Div().Class("tl-spacer").Style("height", itoa((n+1)*timelineRowH)+"px").Body(rows...),
	).OnScroll(func(ctx app.Context, e app.Event) {
		top := ctx.JSSrc().Get("scrollTop").Float()
		f := int(top / timelineRowH)
		if f != c.first {
			c.first = f
			ctx.Update()
		}
	})
}

// Plots draws mapped size, resident size and entry count over the events
// on a canvas that is also the scrubber (press and drag to seek).
type Plots struct {
	app.Compo
	S *Shell
	V int
}

// plotH is the plot canvas height.
const plotH = 84

// Render draws the canvas and its key.
func (c *Plots) Render() app.UI {
	pal := PaletteFor(c.S.theme)
	return app.Div().ID("plots-box").Class("plots").Body(
		app.Div().Class("canvas-wrap").Style("height", itoa(plotH)+"px").Body(
			app.Canvas().ID("plots").Class("plot-canvas").Role("slider").
				Aria("label", "seek: mapped size, resident pages and entry count over the events").
				Aria("valuemin", 0).Aria("valuemax", lenOf(c.S)).Aria("valuenow", c.S.pos.Step).
				Style("height", itoa(plotH)+"px"),
		),
		app.Div().Class("plot-key").Body(
			app.Span().Body(app.Span().Class("swatch").Style("background", pal.Kind[KindAnon]), app.Text("mapped")),
			app.Span().Body(app.Span().Class("swatch").Style("background", pal.Modified), app.Text("resident")),
			app.Span().Body(app.Span().Class("swatch").Style("background", pal.Kind[KindStack]), app.Text("entries")),
			app.Span().Class("muted").Text("press or drag to seek"),
		),
	)
}

// lenOf returns the session's event count (0 without one).
func lenOf(s *Shell) int {
	if s.sess == nil {
		return 0
	}
	return s.sess.Len()
}

// plotCache holds the per-pixel envelopes of the series.
type plotCache struct {
	sess   *Session
	gen    int
	n, w   int
	series [3][]float32 // per column: max, normalised 0..1
	errs   []bool
}

var plots plotCache

// paintPlots draws the plots canvas.
func (s *Shell) paintPlots() {
	if s.sess == nil {
		return
	}
	pal := PaletteFor(s.theme)
	sess := s.sess
	paintCanvas("plots", plotH, func(p Painter, w float64) {
		cols := int(w)
		if cols < 1 {
			cols = 1
		}
		n := sess.Len()
		if plots.sess != sess || plots.gen != sess.Gen || plots.n != n || plots.w != cols || len(plots.errs) != cols {
			plots = buildPlots(sess, cols)
		}
		p.Rect(0, 0, w, plotH, pal.Row)
		colors := []string{pal.Kind[KindAnon], pal.Modified, pal.Kind[KindStack]}
		for k := 0; k < 3; k++ {
			prevY := -1.0
			for x := 0; x < cols; x++ {
				y := plotH - 6 - float64(plots.series[k][x])*(plotH-14)
				if prevY >= 0 {
					p.Line(float64(x)-0.5, prevY, float64(x)+0.5, y, colors[k], 1.5)
				}
				prevY = y
			}
		}
		for x := 0; x < cols; x++ {
			if plots.errs[x] {
				p.Rect(float64(x), plotH-4, 1, 4, pal.Removed)
			}
		}
		cx := 0.0
		if n > 0 {
			cx = float64(s.pos.Step) / float64(n) * w
		}
		p.Rect(cx-1, 0, 2, plotH, pal.Sel)
	})
}

// buildPlots reduces the statistics to one value per pixel column: the
// maximum of each series over the steps the column covers, normalised to
// the series' maximum.
func buildPlots(sess *Session, cols int) plotCache {
	pc := plotCache{sess: sess, gen: sess.Gen, n: sess.Len(), w: cols, errs: make([]bool, cols)}
	var maxv [3]float64
	for _, st := range sess.Stats {
		v := [3]float64{float64(st.Mapped), float64(st.Resident), float64(st.Entries)}
		for k := range v {
			if v[k] > maxv[k] {
				maxv[k] = v[k]
			}
		}
	}
	for k := range pc.series {
		pc.series[k] = make([]float32, cols)
	}
	n := len(sess.Stats)
	for i, st := range sess.Stats {
		x := 0
		if n > 1 {
			x = i * (cols - 1) / (n - 1)
		}
		v := [3]float64{float64(st.Mapped), float64(st.Resident), float64(st.Entries)}
		for k := range v {
			if maxv[k] > 0 {
				if f := float32(v[k] / maxv[k]); f > pc.series[k][x] {
					pc.series[k][x] = f
				}
			}
		}
		if i > 0 {
			if st := sess.Step(i); st.Err != "" || st.Failed {
				pc.errs[x] = true
			}
		}
	}
	// Columns no step landed on take their left neighbour's value.
	if n > 1 && n < cols {
		for k := range pc.series {
			last := float32(0)
			filled := make([]bool, cols)
			for i := 0; i < n; i++ {
				filled[i*(cols-1)/(n-1)] = true
			}
			for x := 0; x < cols; x++ {
				if filled[x] {
					last = pc.series[k][x]
				} else {
					pc.series[k][x] = last
				}
			}
		}
	}
	return pc
}
