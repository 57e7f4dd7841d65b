package app

import (
	"sort"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"vmscope/vmengine"
)

// Object graph limits: beyond these the graph shows the most relevant
// part and says how much it left out.
const (
	maxGraphEntries = 48
	maxGraphObjects = 64
)

// ObjectGraph draws which entries of which processes point at which VM
// objects, and the shadow chains behind them with reference counts:
// shared objects are marked, objects the step created are outlined, and
// objects it destroyed (collapse, last reference) are shown as ghosts
// with the reason.
type ObjectGraph struct {
	app.Compo
	S *Shell
	V int
}

// svg returns an SVG element (every SVG element needs its namespace).
func svg(tag string) app.HTMLElem { return app.Elem(tag).XMLNS(svgNS) }

// graphNode is a laid-out box.
type graphNode struct {
	x, y, w, h float64
}

// Render lays out and draws the graph.
func (c *ObjectGraph) Render() app.UI {
	s := c.S
	snap := s.snap
	if snap == nil {
		return app.Div().ID("objects").Class("objects", "muted").Text("No state.")
	}
	pal := PaletteFor(s.theme)
	// Entries with an object, most relevant first, then in address order.
	type ent struct {
		e   *EntryView
		rel int
	}
	var ents []ent
	for i := range snap.Procs {
		for j := range snap.Procs[i].Entries {
			e := &snap.Procs[i].Entries[j]
			if e.Object == 0 {
				continue
			}
			rel := 0
			if (EntryRef{e.PID, e.Start, e.End}) == s.sel {
				rel += 100
			}
			if e.Change != ChangeNone {
				rel += 10
			}
			if e.ObjRef > 1 || e.Depth > 1 {
				rel += 5
			}
			ents = append(ents, ent{e, rel})
		}
	}
	hidden := 0
	if len(ents) > maxGraphEntries {
		sort.SliceStable(ents, func(i, j int) bool { return ents[i].rel > ents[j].rel })
		hidden = len(ents) - maxGraphEntries
		ents = ents[:maxGraphEntries]
		sort.SliceStable(ents, func(i, j int) bool {
			if ents[i].e.PID != ents[j].e.PID {
				return ents[i].e.PID < ents[j].e.PID
			}
			return ents[i].e.Start < ents[j].e.Start
		})
	}
	// Columns: entries in 0, each object one right of everything that
	// points at it (longest path), so chains read left to right.
	col := map[vmengine.ObjID]int{}
	order := map[vmengine.ObjID]float64{}
	var visit func(id vmengine.ObjID, c int, ord float64, depth int)
	visit = func(id vmengine.ObjID, c int, ord float64, depth int) {
		o := snap.Object(id)
		if o == nil || depth > 64 {
			return
		}
		if old, ok := col[id]; !ok || c > old {
			col[id] = c
		}
		if _, ok := order[id]; !ok {
			order[id] = ord
		}
		if o.Backing != 0 {
			visit(o.Backing, c+1, ord, depth+1)
		}
	}
	for i, en := range ents {
		visit(en.e.Object, 1, float64(i), 0)
	}
	// An object that entries point at directly sits beside the first of
	// them, so that their edges do not cross other objects.
	for i := len(ents) - 1; i >= 0; i-- {
		if _, ok := order[ents[i].e.Object]; ok {
			order[ents[i].e.Object] = float64(i)
		}
	}
	if len(ents) == 0 {
		// No entry has an object yet: show the objects alone.
		for i, o := range snap.Objects {
			visit(o.ID, 1, float64(i), 0)
		}
	}
	ids := make([]vmengine.ObjID, 0, len(col))
	for id := range col {
		ids = append(ids, id)
	}
	hiddenObjs := 0
	if len(ids) > maxGraphObjects {
		sort.Slice(ids, func(i, j int) bool { return order[ids[i]] < order[ids[j]] })
		hiddenObjs = len(ids) - maxGraphObjects
		for _, id := range ids[maxGraphObjects:] {
			delete(col, id)
		}
		ids = ids[:maxGraphObjects]
	}
	sort.Slice(ids, func(i, j int) bool {
		if col[ids[i]] != col[ids[j]] {
			return col[ids[i]] < col[ids[j]]
		}
		if order[ids[i]] != order[ids[j]] {
			return order[ids[i]] < order[ids[j]]
		}
		return ids[i] < ids[j]
	})
	const (
		ghostW     = 270.0
		entW, entH = 200.0, 36.0
		objW, objH = 196.0, 48.0
		gapX, gapY = 56.0, 14.0
		pad        = 16.0
	)
	colX := func(c int) float64 {
		if c == 0 {
			return pad
		}
		return pad + entW + gapX + float64(c-1)*(objW+gapX)
	}
	entPos := make([]graphNode, len(ents))
	y := pad + 18
	lastPID := -1
	for i, en := range ents {
		if en.e.PID != lastPID && lastPID != -1 {
			y += 10
		}
		lastPID = en.e.PID
		entPos[i] = graphNode{colX(0), y, entW, entH}
		y += entH + gapY
	}
	maxY := y
	objPos := map[vmengine.ObjID]graphNode{}
	nextY := map[int]float64{}
	maxCol := 0
	for _, id := range ids {
		cc := col[id]
		if cc > maxCol {
			maxCol = cc
		}
		// Place near the first entry that leads to it.
		want := pad + 18
		if i := int(order[id]); i < len(entPos) && len(ents) > 0 {
			want = entPos[i].y - (objH-entH)/2
		}
		if ny, ok := nextY[cc]; ok && want < ny {
			want = ny
		}
		objPos[id] = graphNode{colX(cc), want, objW, objH}
		nextY[cc] = want + objH + gapY
		if want+objH+gapY > maxY {
			maxY = want + objH + gapY
		}
	}
	// Ghosts of destroyed objects in their own column.
	ghostX := colX(maxCol+1) + 24
	ghostY := pad + 18
	width := ghostX + pad
	if len(snap.Gone) > 0 {
		width = ghostX + ghostW + pad
	}
	height := maxY + pad
	if gy := ghostY + float64(len(snap.Gone))*(objH+gapY+14); gy > height {
		height = gy
	}
	// The selected entry's chain is highlighted.
	selChain := map[vmengine.ObjID]bool{}
	if e := s.selected(); e != nil {
		for _, id := range Chain(snap, e.Object) {
			selChain[id] = true
		}
	}
	var edges, nodes []app.UI
	arrow := func(x0, y0, x1, y1 float64, color string, w float64, dashed bool, label string) app.UI {
		mx := (x0 + x1) / 2
		p := svg("path").Attr("d", "M"+ftoa(x0)+" "+ftoa(y0)+" C"+ftoa(mx)+" "+ftoa(y0)+" "+ftoa(mx)+" "+ftoa(y1)+" "+ftoa(x1)+" "+ftoa(y1)).
			Attr("fill", "none").Attr("stroke", color).Attr("stroke-width", w).Attr("marker-end", "url(#arrow)")
		if dashed {
			p = p.Attr("stroke-dasharray", "5 3")
		}
		if label == "" {
			return p
		}
		return svg("g").Body(p, svg("text").Attr("x", mx).Attr("y", (y0+y1)/2-4).Attr("font-size", 9).
			Attr("fill", pal.Muted).Attr("text-anchor", "middle").Text(label))
	}
	// Column headers.
	nodes = append(nodes, svg("text").Attr("x", colX(0)).Attr("y", pad+4).Attr("font-size", 11).Attr("fill", pal.Muted).Text("map entries"))
	if maxCol >= 1 {
		nodes = append(nodes, svg("text").Attr("x", colX(1)).Attr("y", pad+4).Attr("font-size", 11).Attr("fill", pal.Muted).Text("objects → backing objects"))
	}
	if len(snap.Gone) > 0 {
		nodes = append(nodes, svg("text").Attr("x", ghostX).Attr("y", pad+4).Attr("font-size", 11).Attr("fill", pal.Removed).Text("gone this step"))
	}
	for i, en := range ents {
		e := en.e
		n := entPos[i]
		ref := EntryRef{e.PID, e.Start, e.End}
		sel := ref == s.sel
		stroke, sw := pal.Axis, 1.0
		if e.Change != ChangeNone {
			stroke, sw = pal.Change[e.Change], 2
		}
		if sel {
			stroke, sw = pal.Sel, 2.5
		}
		label := "pid " + itoa(e.PID) + " " + hexAddr(e.Start)
		sub := e.Perms + " " + sizeText(e.End-e.Start) + " " + e.Label()
		if e.Flags&0x8 != 0 {
			sub += " NC"
		}
		nodes = append(nodes, svg("g").Class("gnode", "gentry").Attr("tabindex", 0).Attr("role", "button").
			Attr("aria-label", "entry "+label+", select").
			OnClick(func(ctx app.Context, ev app.Event) { s.selectEntry(ctx, ref, !s.visible(ref)) }, app.EventScope(ref)).Body(
			svg("title").Text(entryTooltip(e, snap.PageSize)),
			svg("rect").Attr("x", n.x).Attr("y", n.y).Attr("width", n.w).Attr("height", n.h).Attr("rx", 4).
				Attr("fill", pal.Row).Attr("stroke", stroke).Attr("stroke-width", sw),
			svg("rect").Attr("x", n.x).Attr("y", n.y).Attr("width", 6).Attr("height", n.h).Attr("fill", pal.Kind[e.Kind]),
			svg("text").Attr("x", n.x+12).Attr("y", n.y+15).Attr("font-size", 11).Attr("fill", pal.Text).Text(label),
			svg("text").Attr("x", n.x+12).Attr("y", n.y+29).Attr("font-size", 10).Attr("fill", pal.Muted).Text(clip(sub, 30)),
		))
		if on, ok := objPos[e.Object]; ok {
			color, w := pal.Axis, 1.2
			if sel {
				color, w = pal.Sel, 2
			}
			edges = append(edges, arrow(n.x+n.w, n.y+n.h/2, on.x-2, on.y+on.h/2, color, w, false, ""))
		}
	}
	for _, id := range ids {
		o := snap.Object(id)
		n := objPos[id]
		pids := map[int]bool{}
		for _, u := range o.Users {
			pids[u.PID] = true
		}
		shared := o.Ref > 1
		stroke, sw := pal.Axis, 1.0
		if shared {
			stroke, sw = pal.Shared, 2
		}
		if o.New {
			stroke, sw = pal.Change[ChangeAdded], 2.5
		}
		if selChain[id] {
			sw += 1
		}
		kindColor := pal.Kind[KindAnon]
		switch o.Type {
		case "vnode":
			kindColor = pal.Kind[KindFile]
		case "device":
			kindColor = pal.Kind[KindDevice]
		}
		title := "#" + utoa(uint64(id)) + " " + o.Type
		if o.File != "" {
			title += " " + o.File
		}
		sub := "ref " + itoa(o.Ref) + " · " + itoa(o.Resident) + "/" + utoa(o.Size) + " pg"
		if len(o.Shadows) > 0 {
			sub += " · " + itoa(len(o.Shadows)) + " shadowed"
		}
		tip := objectTooltip(o, len(pids))
		body := []app.UI{
			svg("title").Text(tip),
			svg("rect").Attr("x", n.x).Attr("y", n.y).Attr("width", n.w).Attr("height", n.h).Attr("rx", 8).
				Attr("fill", pal.Bg).Attr("stroke", stroke).Attr("stroke-width", sw),
			svg("rect").Attr("x", n.x).Attr("y", n.y).Attr("width", n.w).Attr("height", 4).Attr("fill", kindColor),
			svg("text").Attr("x", n.x+8).Attr("y", n.y+19).Attr("font-size", 11).Attr("fill", pal.Text).Text(clip(title, 24)),
			svg("text").Attr("x", n.x+8).Attr("y", n.y+33).Attr("font-size", 10).Attr("fill", pal.Muted).Text(sub),
		}
		note := ""
		if shared {
			note = "shared"
			if len(pids) > 1 {
				note = "shared by " + itoa(len(pids)) + " processes"
			}
		}
		if o.Note != "" {
			note = o.Note
		}
		if note != "" {
			color := pal.Shared
			if o.Note != "" {
				color = pal.Change[ChangeAdded]
			}
			body = append(body, svg("text").Attr("x", n.x+8).Attr("y", n.y+44).Attr("font-size", 9).Attr("fill", color).Text(clip(note, 32)))
		}
		nodes = append(nodes, svg("g").Class("gnode", "gobject").ID("obj-"+utoa(uint64(id))).Attr("role", "img").
			Attr("aria-label", tip).Body(body...))
		if bn, ok := objPos[o.Backing]; ok && o.Backing != 0 {
			edges = append(edges, arrow(n.x+n.w, n.y+n.h/2, bn.x-2, bn.y+bn.h/2, pal.Muted, 1.2, true, "backing"))
		}
	}
	for i, g := range snap.Gone {
		gy := ghostY + float64(i)*(objH+gapY+20)
		nodes = append(nodes, svg("g").Class("gnode", "ghost").ID("gone-"+utoa(uint64(g.ID))).Attr("role", "img").
			Attr("aria-label", "object "+utoa(uint64(g.ID))+" "+g.Note).Body(
			svg("title").Text("#"+utoa(uint64(g.ID))+" "+g.Type+": "+g.Note),
			svg("rect").Attr("x", ghostX).Attr("y", gy).Attr("width", ghostW).Attr("height", objH+14).Attr("rx", 8).
				Attr("fill", "none").Attr("stroke", pal.Removed).Attr("stroke-dasharray", "5 3").Attr("stroke-width", 1.5),
			svg("text").Attr("x", ghostX+8).Attr("y", gy+16).Attr("font-size", 11).Attr("fill", pal.Removed).Text("#"+utoa(uint64(g.ID))+" "+g.Type),
			svg("text").Attr("x", ghostX+8).Attr("y", gy+30).Attr("font-size", 9).Attr("fill", pal.Muted).Body(wrapLines(g.Note, 46, 3, ghostX+8)...),
		))
	}
	defs := svg("defs").Body(
		svg("marker").ID("arrow").Attr("viewBox", "0 0 10 10").Attr("refX", 9).Attr("refY", 5).
			Attr("markerWidth", 7).Attr("markerHeight", 7).Attr("orient", "auto-start-reverse").Body(
			svg("path").Attr("d", "M0 0 L10 5 L0 10 z").Attr("fill", pal.Muted),
		),
	)
	notes := []app.UI{app.Span().Class("muted").Text(itoa(len(snap.Objects)) + " objects")}
	if hidden > 0 || hiddenObjs > 0 {
		notes = append(notes, app.Span().Class("muted").Text(" · showing the "+itoa(len(ents))+" most relevant entries ("+itoa(hidden)+" more) and "+itoa(len(ids))+" objects ("+itoa(hiddenObjs)+" more)"))
	}
	notes = append(notes,
		app.Span().Class("legend-item").Title("an object referenced more than once: by several entries or processes (after fork, or MAP_SHARED)").Body(
			app.Span().Class("swatch").Style("border", "2px solid "+pal.Shared), app.Text("shared")),
		app.Span().Class("legend-item").Title("created by this step: a new mapping's object, or a shadow object made by vm_object_shadow at a copy-on-write fault").Body(
			app.Span().Class("swatch").Style("border", "2px solid "+pal.Change[ChangeAdded]), app.Text("new this step")),
		app.Span().Class("legend-item").Title("shadow object: a copy-on-write layer created by vm_object_shadow at the first write after fork; it holds the copied pages and points at the object it shadows (its backing object)").Body(
			app.Span().Class("swatch").Style("border-top", "2px dashed "+pal.Muted), app.Text("backing (shadows)")),
		app.Span().Class("legend-item").Title("destroyed by this step: vm_object_collapse merged it into its only shadow, or its last reference went away").Body(
			app.Span().Class("swatch").Style("border", "2px dashed "+pal.Removed), app.Text("gone")),
	)
	return app.Div().ID("objects").Class("objects").Body(
		app.Div().Class("toolbar", "legend").Body(notes...),
		app.Div().Class("graph-wrap").Body(
			svg("svg").ID("object-graph").Attr("width", width).Attr("height", height).
				Attr("viewBox", "0 0 "+ftoa(width)+" "+ftoa(height)).Attr("role", "img").
				Attr("aria-label", "object graph: entries point at VM objects; dashed arrows lead from a shadow object to the object it shadows").
				Attr("font-family", "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace").
				Body(append(append([]app.UI{defs}, edges...), nodes...)...),
		),
	)
}

// objectTooltip explains an object.
func objectTooltip(o *ObjView, procs int) string {
	t := "object #" + utoa(uint64(o.ID)) + " (" + o.Type + ")"
	if o.File != "" {
		t += " " + o.File
	}
	t += "\nreference count " + itoa(o.Ref) + ": map entries and shadow objects that point at it"
	t += "\n" + itoa(o.Resident) + " of " + utoa(o.Size) + " pages present in the object"
	if o.Backing != 0 {
		t += "\nshadow object: a copy-on-write layer (vm_object_shadow); pages it lacks are read from backing object #" + utoa(uint64(o.Backing))
	}
	if len(o.Shadows) > 0 {
		t += "\nshadowed by " + itoa(len(o.Shadows)) + " object(s); when only one is left and nothing else refers to this one, vm_object_collapse merges them"
	}
	if procs > 1 {
		t += "\nused directly by " + itoa(procs) + " processes"
	}
	if o.Note != "" {
		t += "\nthis step: " + o.Note
	}
	return t
}

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// wrapLines breaks s into at most n lines of about w runes, as SVG tspans
// starting at x, the last one clipped.
func wrapLines(s string, w, n int, x float64) []app.UI {
	words := strings.Fields(s)
	var lines []string
	cur := ""
	for _, wd := range words {
		if cur != "" && len([]rune(cur))+1+len([]rune(wd)) > w {
			lines = append(lines, cur)
			cur = wd
			continue
		}
		if cur != "" {
			cur += " "
		}
		cur += wd
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	if len(lines) > n {
		lines = lines[:n]
		lines[n-1] = clip(lines[n-1]+" …", w)
	}
	out := make([]app.UI, len(lines))
	for i, l := range lines {
		dy := "0"
		if i > 0 {
			dy = "11"
		}
		out[i] = svg("tspan").Attr("x", x).Attr("dy", dy).Text(l)
	}
	return out
}
