package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// pagesPerScreen is how many page cells the page view shows at once.
const pagesPerScreen = 512

// pageClasses describe the page states in legend order.
var pageClasses = []struct{ class, label, tip string }{
	{"nofault", "not faulted", "no page yet: the first access takes a page fault (vm_fault) that zero-fills it or reads it from the object chain"},
	{"inobj", "in object, not mapped", "the object chain holds the page but this page table has no entry for it (e.g. after fork or madvise): the next access maps it without copying"},
	{"resident", "resident", "mapped in this process's page table (pmap_enter)"},
	{"referenced", "referenced", "the page's referenced (accessed) bit is set"},
	{"modified", "modified", "the page's modified (dirty) bit is set: it differs from its backing store"},
	{"shared", "COW-shared", "another page table maps the same frame: after fork both processes read one frame until a write makes a private copy (a copy-on-write fault)"},
	{"wired", "wired", "wired by mlock or mlockall: it cannot be paged out and stays mapped"},
}

// pageColor returns the fill of a page class.
func pageColor(pal *Palette, class string) string {
	switch class {
	case "nofault":
		return pal.Row
	case "inobj":
		return pal.Gap
	case "resident":
		return pal.KindRO[KindAnon]
	case "referenced":
		return pal.Kind[KindAnon]
	case "modified":
		return pal.Modified
	case "shared":
		return pal.Shared
	case "wired":
		return pal.Wired
	}
	return pal.Row
}

// PageGrid shows one cell per page of the selected entry, coloured by
// state, with the frame it maps.
type PageGrid struct {
	app.Compo
	S *Shell
	V int
}

// Render draws the header, the grid and the legend.
func (c *PageGrid) Render() app.UI {
	s := c.S
	e := s.selected()
	if e == nil || s.snap == nil {
		return app.Div().ID("pages").Class("pages", "muted").Text("Select an entry in the diagram or the table to see its pages.")
	}
	pal := PaletteFor(s.theme)
	pages, n := PagesOf(s.snap.R, e.PID, e.Start, s.pageFrom, pagesPerScreen)
	counts := map[string]int{}
	for _, p := range pages {
		counts[p.Class()]++
	}
	const cell, gap = 30.0, 3.0
	cols := 24
	rows := (len(pages) + cols - 1) / cols
	w := float64(cols)*(cell+gap) + gap
	h := float64(rows)*(cell+gap) + gap
	var cells []app.UI
	for i, p := range pages {
		x := gap + float64(i%cols)*(cell+gap)
		y := gap + float64(i/cols)*(cell+gap)
		cls := p.Class()
		tip := pageTooltip(p, s.pageFrom+i)
		g := []app.UI{
			svg("title").Text(tip),
			svg("rect").Attr("x", x).Attr("y", y).Attr("width", cell).Attr("height", cell).Attr("rx", 3).
				Attr("fill", pageColor(pal, cls)).Attr("stroke", pal.Axis).Attr("stroke-width", 0.5),
		}
		if p.State != PageNotFaulted {
			tc := "#ffffff"
			if cls == "inobj" || cls == "resident" {
				tc = pal.Text
			}
			g = append(g, svg("text").Attr("x", x+cell/2).Attr("y", y+cell/2+4).Attr("font-size", 9).
				Attr("text-anchor", "middle").Attr("fill", tc).Text(utoa(p.Frame)))
		}
		if p.Wired {
			g = append(g, svg("rect").Attr("x", x+2).Attr("y", y+2).Attr("width", 5).Attr("height", 5).Attr("fill", pal.Wired))
		}
		cells = append(cells, svg("g").Class("page", "pg-"+cls).Attr("aria-label", tip).Attr("role", "img").Body(g...))
	}
	head := "pid " + itoa(e.PID) + " · " + hexAddr(e.Start) + "–" + hexAddr(e.End) + " · " + utoa(uint64(n)) + " pages · " +
		itoa(e.Resident) + " resident"
	if e.Shared > 0 {
		head += " · " + itoa(e.Shared) + " COW-shared"
	}
	var legendItems []app.UI
	for _, pc := range pageClasses {
		legendItems = append(legendItems, app.Span().Class("legend-item").Title(pc.tip).Body(
			app.Span().Class("swatch").Style("background", pageColor(pal, pc.class)),
			app.Text(pc.label+" "+itoa(counts[pc.class])),
		))
	}
	var nav app.UI = app.Span()
	if n > pagesPerScreen {
		nav = app.Div().Class("pager").Body(
			app.Button().ID("pages-prev").Aria("label", "previous pages").Disabled(s.pageFrom == 0).Text("◀").
				OnClick(func(ctx app.Context, ev app.Event) { s.pageFrom -= pagesPerScreen; s.changed(ctx) }),
			app.Span().Class("muted").Text("pages "+itoa(s.pageFrom)+"–"+itoa(s.pageFrom+len(pages)-1)+" of "+itoa(n)),
			app.Button().ID("pages-next").Aria("label", "next pages").Disabled(s.pageFrom+pagesPerScreen >= n).Text("▶").
				OnClick(func(ctx app.Context, ev app.Event) { s.pageFrom += pagesPerScreen; s.changed(ctx) }),
		)
	}
	return app.Div().ID("pages").Class("pages").Body(
		app.Div().Class("toolbar").Body(app.Span().ID("pages-head").Text(head), nav),
		app.Div().Class("legend").Body(legendItems...),
		app.Div().Class("graph-wrap").Body(
			svg("svg").ID("page-grid").Attr("width", w).Attr("height", h).Attr("viewBox", "0 0 "+ftoa(w)+" "+ftoa(h)).
				Attr("role", "img").Attr("aria-label", "pages of the selected entry: "+head).
				Attr("font-family", "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace").Body(cells...),
		),
	)
}

// pageTooltip explains one page.
func pageTooltip(p PageView, i int) string {
	t := "page " + itoa(i) + " at " + hexAddr(p.Addr) + ": "
	switch p.State {
	case PageNotFaulted:
		return t + "not faulted yet; the first access takes a page fault"
	case PageInObject:
		t += "present in object #" + utoa(uint64(p.Holder)) + " as frame " + utoa(p.Frame) + " but not mapped here"
	default:
		t += "frame " + utoa(p.Frame) + " of object #" + utoa(uint64(p.Holder)) + ", content " + utoa(p.Value)
		var bits []string
		if p.Referenced {
			bits = append(bits, "referenced")
		}
		if p.Modified {
			bits = append(bits, "modified")
		}
		if p.Wired {
			bits = append(bits, "wired")
		}
		if !p.Writable {
			bits = append(bits, "mapped read-only")
		}
		for _, b := range bits {
			t += ", " + b
		}
	}
	if p.Shared() {
		t += "\nCOW-shared: " + itoa(p.Maps) + " page tables map this frame; a write copies it first (copy-on-write fault)"
	}
	return t
}
