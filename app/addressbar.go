package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// AddressBar is the address-space diagram: one row per process on a
// shared folded axis, drawn on a canvas (see barlayout.go), with zoom
// controls, a summary line and the legend.
type AddressBar struct {
	app.Compo
	S *Shell
	V int
}

// Render draws the toolbar, the canvas and the legend.
func (c *AddressBar) Render() app.UI {
	s := c.S
	h := 80.0
	zoom := "whole address space"
	if s.bar != nil {
		h = s.bar.Height()
		if !s.fitView {
			a0, a1 := s.bar.Axis.Addr(s.view.U0), s.bar.Axis.Addr(s.view.U1)
			zoom = hexAddr(a0) + " – " + hexAddr(a1)
		}
	}
	summary := ""
	if s.snap != nil {
		var size uint64
		res, ents := 0, 0
		for _, p := range s.snap.Procs {
			size += p.Size
			res += p.Resident
			ents += len(p.Entries)
		}
		summary = itoa(len(s.snap.Procs)) + " process(es) · " + itoa(ents) + " entries · " + sizeText(size) + " mapped · " + itoa(res) + " pages resident"
		if len(s.snap.Exited) > 0 {
			summary += " · pid " + itoa(s.snap.Exited[0]) + " exited this step"
		}
	}
	return app.Section().ID("addressbar").Class("card", "addressbar").Aria("label", "address space diagram").Body(
		app.Div().Class("toolbar").Body(
			app.H2().Class("card-title").Title("Every process's user address space, from its lowest to its highest address. Holes are folded: their size is written on them.").Text("Address space"),
			app.Span().ID("zoom-label").Class("muted", "zoom-label").Aria("live", "polite").Text(zoom),
			app.Div().Class("spacer"),
			app.Button().ID("zoom-out").Aria("label", "zoom out").Title("Zoom out (-, or the mouse wheel)").Text("−").
				OnClick(func(ctx app.Context, e app.Event) { s.zoomBy(ctx, 2) }),
			app.Button().ID("zoom-in").Aria("label", "zoom in").Title("Zoom in (+, or the mouse wheel over the diagram)").Text("+").
				OnClick(func(ctx app.Context, e app.Event) { s.zoomBy(ctx, 0.5) }),
			app.Button().ID("zoom-sel").Aria("label", "zoom to the selected entry").Title("Zoom to the selected entry").Text("selection").
				OnClick(func(ctx app.Context, e app.Event) { s.zoomSelection(ctx) }),
			app.Button().ID("zoom-fit").Aria("label", "show the whole address space").Title("Whole address space (0)").Text("all").
				OnClick(func(ctx app.Context, e app.Event) { s.zoomFit(ctx) }),
		),
		app.Div().Class("canvas-wrap").Style("height", ftoa(h)+"px").Body(
			app.Canvas().ID("bar").Class("bar-canvas").Role("img").
				Aria("label", "address space diagram: "+summary+". Use the entries table for the same data as text.").
				Style("height", ftoa(h)+"px"),
		),
		app.If(!s.embed, func() app.UI {
			return app.Div().Class("summary", "muted").Text(summary)
		}),
		app.If(!s.embed, func() app.UI { return legend(s.theme) }),
	)
}

// legend explains colours, shading and outlines, each with a tooltip
// naming the kernel concept.
func legend(theme string) app.UI {
	pal := PaletteFor(theme)
	var items []app.UI
	for k := EntryKind(0); k < numKinds; k++ {
		items = append(items, app.Span().Class("legend-item").Title(k.Concept()).Body(
			app.Span().Class("swatch").Style("background", pal.Kind[k]),
			app.Text(k.String()),
		))
	}
	extra := []struct{ style, label, tip string }{
		{"background:" + pal.KindRO[KindAnon], "lighter: no write", "the entry's protection lacks PROT_WRITE"},
		{"background:" + pal.Bg + ";border-top:3px solid " + pal.Exec, "executable", "a dark stripe on top: PROT_EXEC"},
		{"background:repeating-linear-gradient(135deg," + pal.Gap + " 0 3px," + pal.Axis + " 3px 4px)", "no access", "PROT_NONE or a guard: every access faults"},
		{"outline:2px solid " + pal.Change[ChangeSplit], "changed this step", "outlined: split, merged, added, resized or re-protected by the current event; dashed red: unmapped by it"},
		{"background:" + pal.Shared, "page COW-shared", "when zoomed in to pages: a frame another process maps too (after fork, until a write copies it)"},
		{"background:" + pal.Modified, "page modified", "when zoomed in: the page's modified (dirty) bit is set"},
	}
	for _, x := range extra {
		items = append(items, app.Span().Class("legend-item").Title(x.tip).Body(
			app.Span().Class("swatch").Attr("style", x.style),
			app.Text(x.label),
		))
	}
	return app.Div().ID("legend").Class("legend").Aria("label", "legend").Body(items...)
}

// StepControl is the small step control of embed mode.
type StepControl struct {
	app.Compo
	S *Shell
	V int
}

// Render draws back, the step counter and forward.
func (c *StepControl) Render() app.UI {
	s := c.S
	n, i := 0, 0
	if s.sess != nil {
		n, i = s.sess.Len(), s.pos.Step
	}
	text := ""
	if i > 0 && s.sess != nil {
		text = s.sess.Text(i)
	}
	return app.Div().ID("stepcontrol").Class("stepcontrol").Body(
		app.Button().ID("embed-prev").Aria("label", "previous event").Text("◀").
			OnClick(func(ctx app.Context, e app.Event) { s.stepBy(ctx, -1) }),
		app.Span().ID("step-label").Class("step-label").Text(itoa(i)+" / "+itoa(n)),
		app.Button().ID("embed-next").Aria("label", "next event").Text("▶").
			OnClick(func(ctx app.Context, e app.Event) { s.stepBy(ctx, 1) }),
		app.Code().Class("embed-event").Text(text),
		app.A().Class("embed-open").Href("/?"+c.openQuery()).Target("_blank").Text("open in vmscope ↗"),
	)
}

// openQuery is the current state without embed.
func (c *StepControl) openQuery() string {
	s := c.S
	s.embed = false
	q, _ := s.ShareQuery()
	s.embed = true
	return q
}
