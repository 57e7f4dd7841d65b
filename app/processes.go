package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"vmscope/vmengine"
)

// maxSideBySidePages caps the pages compared per process.
const maxSideBySidePages = 128

// Processes shows every process side by side: a summary card each, and
// the selected address range page by page in every process at the same
// scale, so that a frame shared after fork (the same frame number in two
// columns) reads at a glance.
type Processes struct {
	app.Compo
	S *Shell
	V int
}

// rangePages lists the pages of [lo, hi) in pid, entry by entry (holes
// come back as zero PageViews with Addr set and State not faulted).
func rangePages(r *vmengine.Runner, pid int, lo, hi uint64, limit int) []PageView {
	p := r.Eng.Process(pid)
	if p == nil || p.VS == nil {
		return nil
	}
	ps := r.Eng.PageSize()
	var out []PageView
	for a := lo; a < hi && len(out) < limit; {
		en, ok := p.VS.Map.Lookup(a)
		if !ok {
			out = append(out, PageView{Addr: a, Holder: ^vmengine.ObjID(0)})
			a += ps
			continue
		}
		from := int((a - en.Start) / ps)
		n := int((min(hi, en.End) - a) / ps)
		if n > limit-len(out) {
			n = limit - len(out)
		}
		pages, _ := PagesOf(r, pid, en.Start, from, n)
		out = append(out, pages...)
		a += uint64(n) * ps
		if n == 0 {
			a += ps
		}
	}
	return out
}

// Render draws the cards and the page columns.
func (c *Processes) Render() app.UI {
	s := c.S
	snap := s.snap
	if snap == nil {
		return app.Div().ID("processes").Class("muted").Text("No state.")
	}
	pal := PaletteFor(s.theme)
	var cards []app.UI
	for _, p := range snap.Procs {
		parent := "—"
		if p.Parent != 0 {
			parent = itoa(p.Parent)
		}
		cls := []string{"proc-card"}
		if p.New {
			cls = append(cls, "new")
		}
		cards = append(cards, app.Div().Class(cls...).ID("proc-"+itoa(p.PID)).Body(
			app.H3().Text("pid "+itoa(p.PID)),
			app.Dl().Body(
				app.Dt().Text("parent"), app.Dd().Text(parent),
				app.Dt().Text("threads"), app.Dd().Text(itoa(p.Threads)),
				app.Dt().Text("entries"), app.Dd().Text(itoa(len(p.Entries))),
				app.Dt().Text("mapped"), app.Dd().Text(sizeText(p.Size)),
				app.Dt().Title("pages in this process's page table").Text("resident"), app.Dd().Text(itoa(p.Resident)+" pages"),
				app.Dt().Title("resident pages whose frame another process maps too (copy-on-write after fork, or shared memory)").Text("shared"), app.Dd().Text(itoa(p.Shared)+" pages"),
				app.Dt().Text("wired"), app.Dd().Text(itoa(p.Wired)+" pages"),
				app.Dt().Title("the largest unmapped range: the biggest mapping that still fits").Text("largest hole"), app.Dd().Text(sizeText(p.LargestFree)),
			),
		))
	}
	for _, pid := range snap.Exited {
		cards = append(cards, app.Div().Class("proc-card", "gone").Body(app.H3().Text("pid "+itoa(pid)), app.P().Text("exited this step: its map entries were deleted and its object references dropped")))
	}
	e := s.selected()
	var cols []app.UI
	note := "Select an entry to compare its pages across processes."
	if e != nil {
		lo, hi := e.Start, e.End
		note = "The selected range " + hexAddr(lo) + "–" + hexAddr(hi) + " in every process, page by page, at the same scale. The same frame number in two columns is one physical page that both map."
		if len(snap.Procs) == 1 {
			note += " Only one process so far: fork() to see copy-on-write sharing."
		}
		const cell = 22.0
		for _, p := range snap.Procs {
			pages := rangePages(snap.R, p.PID, lo, hi, maxSideBySidePages)
			var cells []app.UI
			for i, pg := range pages {
				y := 2 + float64(i)*(cell+2)
				cls := pg.Class()
				fill := pageColor(pal, cls)
				label := ""
				if pg.Holder == ^vmengine.ObjID(0) {
					fill, cls, label = pal.Bg, "unmapped", "—"
				} else if pg.State != PageNotFaulted {
					label = "frame " + utoa(pg.Frame)
				}
				tip := "pid " + itoa(p.PID) + " " + pageTooltip(pg, i)
				if cls == "unmapped" {
					tip = "pid " + itoa(p.PID) + ": " + hexAddr(pg.Addr) + " is not mapped in this process"
				}
				tc := "#ffffff"
				if cls == "inobj" || cls == "resident" || cls == "unmapped" || cls == "nofault" {
					tc = pal.Text
				}
				cells = append(cells, svg("g").Class("page", "pg-"+cls).Body(
					svg("title").Text(tip),
					svg("rect").Attr("x", 2).Attr("y", y).Attr("width", 150).Attr("height", cell).Attr("rx", 3).
						Attr("fill", fill).Attr("stroke", pal.Axis).Attr("stroke-width", 0.5),
					svg("text").Attr("x", 8).Attr("y", y+15).Attr("font-size", 10).Attr("fill", tc).Text(hexAddr(pg.Addr)),
					svg("text").Attr("x", 146).Attr("y", y+15).Attr("font-size", 10).Attr("text-anchor", "end").Attr("fill", tc).Text(label),
				))
			}
			h := 4 + float64(len(pages))*(cell+2)
			cols = append(cols, app.Div().Class("side-col").Body(
				app.Div().Class("side-head").Text("pid "+itoa(p.PID)),
				svg("svg").Class("side-svg").Attr("width", 154).Attr("height", h).Attr("viewBox", "0 0 154 "+ftoa(h)).
					Attr("role", "img").Attr("aria-label", "pages of "+hexAddr(lo)+" in pid "+itoa(p.PID)).
					Attr("font-family", "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace").Body(cells...),
			))
		}
	}
	return app.Div().ID("processes").Class("processes").Body(
		app.Div().Class("proc-cards").Body(cards...),
		app.P().Class("muted").Text(note),
		app.Div().ID("side-by-side").Class("side-by-side").Body(cols...),
	)
}
