package app

import (
	"math"
	"math/bits"
	"sort"
	"strings"
	"unicode/utf8"
)

// The address-space bar's geometry: a folded axis shared by every process
// so that the same address lines up in every row.
//
// The axis is cut at every entry boundary of every process. A piece that
// some process maps gets a width in "units" that grows like its size in
// pages up to 16 pages and logarithmically beyond (w(n) = n for n <= 16,
// else 16·(1+ln(n/16)), continuous with a continuous slope), so small
// entries keep their true proportions. A hole that no process maps is
// folded: its width grows with the logarithm of its size (1+log2 n) and
// all holes together take about a third of the axis, whatever their size,
// so a one-page entry beside a 100 GiB hole stays visible and every hole
// keeps room for its size to be written on it. Inside a piece addresses
// are linear, so zooming in always reaches single pages.

// gapShare is the fraction of the axis the folded holes take together.
const gapShare = 0.35

// foldPages is where the axis stops being linear.
const foldPages = 16

// units returns the folded width of a piece of n pages.
func units(n float64) float64 {
	if n <= foldPages {
		return n
	}
	return foldPages * (1 + math.Log(n/foldPages))
}

// Axis maps addresses to units and back.
type Axis struct {
	B        []uint64  // boundaries, ascending; B[0] = Min, B[len-1] = Max
	U        []float64 // units at each boundary
	PageSize uint64
}

// NewAxis builds the axis of snap's processes over [snap.Min, snap.Max).
func NewAxis(snap *Snapshot) *Axis {
	ps := snap.PageSize
	if ps == 0 {
		ps = 4096
	}
	n := 2
	for i := range snap.Procs {
		n += 2 * len(snap.Procs[i].Entries)
	}
	b := make([]uint64, 0, n)
	b = append(b, snap.Min)
	for i := range snap.Procs {
		for _, e := range snap.Procs[i].Entries {
			b = append(b, e.Start, e.End)
		}
	}
	b = append(b, snap.Max)
	for i := 1; i < len(b); i++ {
		if b[i] < b[i-1] {
			sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
			break
		}
	}
	// Unique boundaries.
	out := b[:1]
	for _, v := range b[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	a := &Axis{B: out, U: make([]float64, len(out)), PageSize: ps}
	// Which pieces some process maps: mark entry starts and ends.
	mapped := make([]bool, len(out)-1)
	for i := range snap.Procs {
		es := snap.Procs[i].Entries
		k := 0
		for _, e := range es {
			for k < len(out)-1 && out[k] < e.Start {
				k++
			}
			for k < len(out)-1 && out[k] < e.End {
				mapped[k] = true
				k++
			}
		}
	}
	w := make([]float64, len(out)-1)
	var sumMapped, sumGap float64
	for i := range w {
		pages := float64(out[i+1]-out[i]) / float64(ps)
		if mapped[i] {
			w[i] = units(pages)
			sumMapped += w[i]
		} else {
			w[i] = 1 + math.Log2(1+pages)
			sumGap += w[i]
		}
	}
	if sumMapped > 0 && sumGap > 0 {
		k := gapShare / (1 - gapShare) * sumMapped / sumGap
		for i := range w {
			if !mapped[i] {
				w[i] *= k
			}
		}
	}
	for i := 1; i < len(out); i++ {
		a.U[i] = a.U[i-1] + w[i-1]
	}
	return a
}

// Total returns the axis length in units.
func (a *Axis) Total() float64 { return a.U[len(a.U)-1] }

// Unit returns the position of addr on the axis.
func (a *Axis) Unit(addr uint64) float64 {
	if addr <= a.B[0] {
		return 0
	}
	if addr >= a.B[len(a.B)-1] {
		return a.Total()
	}
	i := sort.Search(len(a.B), func(i int) bool { return a.B[i] > addr }) - 1
	span := a.B[i+1] - a.B[i]
	return a.U[i] + (a.U[i+1]-a.U[i])*float64(addr-a.B[i])/float64(span)
}

// Addr returns the address at unit u.
func (a *Axis) Addr(u float64) uint64 {
	if u <= 0 {
		return a.B[0]
	}
	if u >= a.Total() {
		return a.B[len(a.B)-1]
	}
	i := sort.Search(len(a.U), func(i int) bool { return a.U[i] > u }) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(a.B)-1 {
		return a.B[len(a.B)-1]
	}
	f := (u - a.U[i]) / (a.U[i+1] - a.U[i])
	return a.B[i] + uint64(f*float64(a.B[i+1]-a.B[i]))
}

// PageUnits returns the width of one page around unit u.
func (a *Axis) PageUnits(u float64) float64 {
	i := sort.Search(len(a.U), func(i int) bool { return a.U[i] > u }) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(a.B)-1 {
		i = len(a.B) - 2
	}
	pages := float64(a.B[i+1]-a.B[i]) / float64(a.PageSize)
	if pages <= 0 {
		return 1
	}
	return (a.U[i+1] - a.U[i]) / pages
}

// View is the visible window of the axis.
type View struct {
	U0, U1 float64 // visible units
}

// Span returns the visible width in units.
func (v View) Span() float64 { return v.U1 - v.U0 }

// Fit returns the view showing the whole axis.
func (a *Axis) Fit() View { return View{0, a.Total()} }

// Clamp keeps v inside the axis and no narrower than 4 pages at its
// centre, nor wider than the axis.
func (a *Axis) Clamp(v View) View {
	total := a.Total()
	if total <= 0 {
		return View{0, 1}
	}
	span := v.Span()
	mid := (v.U0 + v.U1) / 2
	minSpan := a.PageUnits(mid) * 4
	if span < minSpan {
		span = minSpan
	}
	if span > total || span <= 0 || math.IsNaN(span) {
		return View{0, total}
	}
	u0 := mid - span/2
	if u0 < 0 {
		u0 = 0
	}
	if u0+span > total {
		u0 = total - span
	}
	return View{u0, u0 + span}
}

// Zoom scales the view by factor (<1 zooms in) around unit at.
func (a *Axis) Zoom(v View, factor, at float64) View {
	return a.Clamp(View{at - (at-v.U0)*factor, at + (v.U1-at)*factor})
}

// Pan moves the view by du units.
func (a *Axis) Pan(v View, du float64) View {
	return a.Clamp(View{v.U0 + du, v.U1 + du})
}

// Focus returns a view centred on [start, end) with margins.
func (a *Axis) Focus(start, end uint64) View {
	u0, u1 := a.Unit(start), a.Unit(end)
	m := (u1 - u0) * 0.6
	if m < a.PageUnits(u0)*4 {
		m = a.PageUnits(u0) * 4
	}
	return a.Clamp(View{u0 - m, u1 + m})
}

// Row is one process's entries on the axis.
type Row struct {
	PID    int
	Label  string    // "pid N", drawn in the gutter
	U0, U1 []float64 // per entry
}

// Rows places every process's entries on the axis.
func (a *Axis) Rows(snap *Snapshot) []Row {
	rows := make([]Row, len(snap.Procs))
	for i := range snap.Procs {
		es := snap.Procs[i].Entries
		pid := snap.Procs[i].PID
		r := Row{PID: pid, Label: "pid " + itoa(pid), U0: make([]float64, len(es)), U1: make([]float64, len(es))}
		// Entries are in order and so are boundaries: walk both.
		k := 0
		for j, e := range es {
			for k < len(a.B)-1 && a.B[k] < e.Start {
				k++
			}
			r.U0[j] = a.U[k]
			for k < len(a.B)-1 && a.B[k] < e.End {
				k++
			}
			r.U1[j] = a.U[k]
		}
		rows[i] = r
	}
	return rows
}

// Bar is everything the painter needs: the snapshot, the axis, the rows
// and the window in pixels.
type Bar struct {
	Snap     *Snapshot
	Axis     *Axis
	Rows     []Row
	View     View
	W        float64 // drawing width in CSS pixels
	Sel      EntryRef
	Theme    string
	Gutter   float64 // left margin for the row labels
	RowH     float64
	RowGap   float64
	Top      float64
	AxisH    float64
	Hover    EntryRef
	Compact  bool // embed mode: no legend-like extras
	PageTint bool // draw per-page residency when pages are wide enough
}

// NewBar lays out snap in a bar w pixels wide.
func NewBar(snap *Snapshot, w float64) *Bar {
	a := NewAxis(snap)
	return &Bar{Snap: snap, Axis: a, Rows: a.Rows(snap), View: a.Fit(), W: w,
		Gutter: 62, RowH: 38, RowGap: 10, Top: 6, AxisH: 18, PageTint: true}
}

// Height returns the drawing height in CSS pixels.
func (b *Bar) Height() float64 {
	n := len(b.Rows)
	if n == 0 {
		n = 1
	}
	return b.Top + float64(n)*(b.RowH+b.RowGap) + b.AxisH
}

// X returns the pixel of unit u.
func (b *Bar) X(u float64) float64 {
	return b.Gutter + (u-b.View.U0)/b.View.Span()*(b.W-b.Gutter-4)
}

// U returns the unit at pixel x.
func (b *Bar) U(x float64) float64 {
	return b.View.U0 + (x-b.Gutter)/(b.W-b.Gutter-4)*b.View.Span()
}

// RowY returns the top of row i.
func (b *Bar) RowY(i int) float64 { return b.Top + float64(i)*(b.RowH+b.RowGap) }

// Hit returns the entry under pixel (x, y), if any.
func (b *Bar) Hit(x, y float64) (EntryRef, bool) {
	if x < b.Gutter {
		return EntryRef{}, false
	}
	for i, r := range b.Rows {
		y0 := b.RowY(i)
		if y < y0 || y > y0+b.RowH {
			continue
		}
		u := b.U(x)
		// Entries narrower than a pixel are hit within 2 pixels.
		tol := 2 * b.View.Span() / (b.W - b.Gutter)
		j := sort.Search(len(r.U1), func(j int) bool { return r.U1[j] > u-tol })
		if j < len(r.U0) && r.U0[j] <= u+tol {
			e := b.Snap.Procs[i].Entries[j]
			return EntryRef{PID: r.PID, Start: e.Start, End: e.End}, true
		}
	}
	return EntryRef{}, false
}

// GapAt returns the unmapped range of row i under pixel x, if any.
func (b *Bar) GapAt(i int, x float64) (uint64, uint64, bool) {
	if i < 0 || i >= len(b.Rows) {
		return 0, 0, false
	}
	addr := b.Axis.Addr(b.U(x))
	es := b.Snap.Procs[i].Entries
	j := sort.Search(len(es), func(j int) bool { return es[j].End > addr })
	if j < len(es) && es[j].Start <= addr {
		return 0, 0, false
	}
	lo, hi := b.Snap.Min, b.Snap.Max
	if j > 0 {
		lo = es[j-1].End
	}
	if j < len(es) {
		hi = es[j].Start
	}
	return lo, hi, true
}

// Painter draws rectangles, lines and text; a canvas in the browser, SVG
// for export.
type Painter interface {
	Rect(x, y, w, h float64, fill string)
	Stroke(x, y, w, h float64, color string, width float64, dashed bool)
	Line(x0, y0, x1, y1 float64, color string, width float64)
	Text(x, y float64, s, color string, size float64, anchor string)
}

// Palette holds a theme's colours.
type Palette struct {
	Bg, Row, Gap, GapText, Text, Muted, Axis, Sel, Hover, Removed string
	Kind                                                          [numKinds]string
	KindRO                                                        [numKinds]string
	Exec                                                          string
	Change                                                        [7]string
	Resident, Modified, Shared, Wired                             string
}

// Palettes for the light and dark themes (the CSS uses the same values).
var (
	lightPalette = Palette{
		Bg: "#ffffff", Row: "#f1f3f6", Gap: "#e6e9ef", GapText: "#6b7280", Text: "#111827", Muted: "#6b7280",
		Axis: "#9ca3af", Sel: "#111827", Hover: "#2563eb", Removed: "#dc2626",
		Kind:     [numKinds]string{"#3b82f6", "#10b981", "#a855f7", "#f59e0b", "#9ca3af", "#ec4899"},
		KindRO:   [numKinds]string{"#93c5fd", "#6ee7b7", "#d8b4fe", "#fcd34d", "#d1d5db", "#f9a8d4"},
		Exec:     "#7f1d1d",
		Change:   [7]string{"", "#16a34a", "#ea580c", "#0891b2", "#ca8a04", "#7c3aed", "#db2777"},
		Resident: "#1f2937", Modified: "#dc2626", Shared: "#ec4899", Wired: "#f59e0b",
	}
	darkPalette = Palette{
		Bg: "#0f1115", Row: "#1a1e26", Gap: "#232834", GapText: "#9ca3af", Text: "#e5e7eb", Muted: "#9ca3af",
		Axis: "#6b7280", Sel: "#f9fafb", Hover: "#60a5fa", Removed: "#f87171",
		Kind:     [numKinds]string{"#3b82f6", "#10b981", "#a855f7", "#f59e0b", "#6b7280", "#ec4899"},
		KindRO:   [numKinds]string{"#1e3a8a", "#065f46", "#581c87", "#78350f", "#374151", "#831843"},
		Exec:     "#fca5a5",
		Change:   [7]string{"", "#4ade80", "#fb923c", "#22d3ee", "#facc15", "#a78bfa", "#f472b6"},
		Resident: "#e5e7eb", Modified: "#f87171", Shared: "#f472b6", Wired: "#fbbf24",
	}
)

// PaletteFor returns the palette of theme "light" or "dark".
func PaletteFor(theme string) *Palette {
	if theme == "dark" {
		return &darkPalette
	}
	return &lightPalette
}

// textWPerPoint is the advance of one character of the monospace font per
// point of font size.
const textWPerPoint = 0.62

// textW estimates the width of s at font size sz (a monospace font).
func textW(s string, sz float64) float64 {
	return float64(utf8.RuneCountInString(s)) * sz * textWPerPoint
}

// Paint draws the bar.
func (b *Bar) Paint(p Painter) {
	pal := PaletteFor(b.Theme)
	p.Rect(0, 0, b.W, b.Height(), pal.Bg)
	for i := range b.Rows {
		b.paintRow(p, pal, i)
	}
	b.paintAxis(p, pal)
}

// paintRow draws one process: its gaps with their sizes, its entries
// (aggregated below a pixel), labels that fit, pages when zoomed in, and
// the selection and changes.
func (b *Bar) paintRow(p Painter, pal *Palette, i int) {
	r := b.Rows[i]
	pv := &b.Snap.Procs[i]
	es := pv.Entries
	y := b.RowY(i)
	h := b.RowH
	x0 := b.X(b.View.U0)
	x1 := b.X(b.View.U1)
	p.Rect(x0, y, x1-x0, h, pal.Gap)
	p.Text(4, y+h/2+4, r.Label, pal.Text, 11, "start")
	if pv.New {
		p.Text(4, y+h/2+16, "new", pal.Change[ChangeAdded], 9, "start")
	}
	first := sort.Search(len(r.U1), func(j int) bool { return r.U1[j] > b.View.U0 })
	last := first + sort.Search(len(r.U0)-first, func(k int) bool { return r.U0[first+k] >= b.View.U1 })
	// Gaps: before each visible entry and after the last.
	prevEnd := b.View.U0
	if first > 0 {
		prevEnd = r.U1[first-1]
	}
	lastCol := -1.0
	j := first
	for ; j < last; j++ {
		b.paintGap(p, pal, prevEnd, r.U0[j], y, h, gapBytes(b, es, j))
		prevEnd = r.U1[j]
		ex0, ex1 := b.X(r.U0[j]), b.X(r.U1[j])
		if ex0 < x0 {
			ex0 = x0
		}
		if ex1 > x1 {
			ex1 = x1
		}
		e := &es[j]
		if ex1-ex0 < 1.5 {
			col := math.Floor(ex0)
			if col != lastCol {
				lastCol = col
				p.Rect(col, y, 1.5, h, b.fill(pal, e))
			}
			j = b.lastInColumn(r.U1, j, last, col+1)
			prevEnd = r.U1[j]
			continue
		}
		b.paintEntry(p, pal, e, ex0, ex1, y, h)
	}
	end := b.View.U1
	b.paintGap(p, pal, prevEnd, end, y, h, tailGap(b, es, j))
	// Ranges the step unmapped: dashed outlines.
	for _, rm := range b.Snap.Removed {
		if rm.PID != r.PID {
			continue
		}
		u0, u1 := b.Axis.Unit(rm.Start), b.Axis.Unit(rm.End)
		if u1 < b.View.U0 || u0 > b.View.U1 {
			continue
		}
		rx0, rx1 := math.Max(b.X(u0), x0), math.Min(b.X(u1), x1)
		p.Stroke(rx0, y+1, math.Max(rx1-rx0, 2), h-2, pal.Removed, 1.5, true)
	}
	// Selection and hover on top.
	for _, ref := range []EntryRef{b.Hover, b.Sel} {
		if ref.PID != r.PID || ref.End == 0 {
			continue
		}
		u0, u1 := b.Axis.Unit(ref.Start), b.Axis.Unit(ref.End)
		if u1 < b.View.U0 || u0 > b.View.U1 {
			continue
		}
		sx0, sx1 := math.Max(b.X(u0), x0), math.Min(b.X(u1), x1)
		col, w := pal.Hover, 1.5
		if ref == b.Sel {
			col, w = pal.Sel, 2.5
		}
		p.Stroke(sx0-1, y-2, math.Max(sx1-sx0, 2)+2, h+4, col, w, false)
	}
}

// lastInColumn returns the last entry in [j, last) of a row (entry ends
// u1) that ends at or before pixel xEnd, the right edge of the column where
// entry j is drawn as a sliver. The entries after j up to it are narrower
// than a pixel, start in that column and have nothing to add to it, so a
// zoomed-out row costs a binary search per column instead of a step per
// entry.
func (b *Bar) lastInColumn(u1 []float64, j, last int, xEnd float64) int {
	if j+1 >= last || b.X(u1[j+1]) > xEnd {
		return j
	}
	return j + sort.Search(last-j-1, func(k int) bool { return b.X(u1[j+1+k]) > xEnd })
}

// gapBytes returns the size of the hole before entry j.
func gapBytes(b *Bar, es []EntryView, j int) uint64 {
	lo := b.Snap.Min
	if j > 0 {
		lo = es[j-1].End
	}
	if es[j].Start < lo {
		return 0
	}
	return es[j].Start - lo
}

// tailGap returns the size of the hole after the entries before j.
func tailGap(b *Bar, es []EntryView, j int) uint64 {
	lo := b.Snap.Min
	if j > 0 {
		lo = es[j-1].End
	}
	if b.Snap.Max < lo {
		return 0
	}
	return b.Snap.Max - lo
}

// paintGap writes a hole's size on it, with fold marks when the axis
// compresses it.
func (b *Bar) paintGap(p Painter, pal *Palette, u0, u1, y, h float64, size uint64) {
	if size == 0 || u1 <= u0 {
		return
	}
	gx0, gx1 := math.Max(b.X(u0), b.X(b.View.U0)), math.Min(b.X(u1), b.X(b.View.U1))
	w := gx1 - gx0
	if w < 14 {
		return
	}
	mid := (gx0 + gx1) / 2
	folded := size/b.Axis.PageSize > foldPages
	if folded {
		for k := -1.0; k <= 1; k += 2 {
			x := mid + k*3
			p.Line(x-2, y+h-4, x+2, y+4, pal.Axis, 1)
		}
	}
	t := sizeText(size)
	if folded {
		t += " hole"
	}
	if textW(t, 10)+10 < w/2-4 {
		p.Text(gx0+(mid-6-gx0)/2, y+h/2+4, t, pal.GapText, 10, "middle")
	} else if textW(t, 10)+4 < w {
		p.Text(mid, y+h-3, t, pal.GapText, 9, "middle")
	}
}

// fill returns an entry's colour: by kind, lighter without write access.
func (b *Bar) fill(pal *Palette, e *EntryView) string {
	if e.Prot&2 != 0 {
		return pal.Kind[e.Kind]
	}
	return pal.KindRO[e.Kind]
}

// paintEntry draws one entry at least 1.5 pixels wide.
func (b *Bar) paintEntry(p Painter, pal *Palette, e *EntryView, x0, x1, y, h float64) {
	w := x1 - x0
	p.Rect(x0, y, w, h, b.fill(pal, e))
	if e.Prot == 0 || e.Kind == KindGuard {
		// No access: hatched.
		for k := 4.0; k+h*0.6 < w; k += 7 {
			p.Line(x0+k, y+h-2, x0+k+h*0.6, y+2, pal.Axis, 1)
		}
	}
	if e.Prot&4 != 0 && w >= 3 {
		p.Rect(x0, y, w, 3, pal.Exec)
	}
	if w >= 3 {
		p.Line(x0, y, x0, y+h, pal.Bg, 1)
	}
	// Pages, when each is wide enough to see.
	pw := w / float64(e.Pages(b.Snap.PageSize))
	if b.PageTint && pw >= 5 {
		b.paintPages(p, pal, e, x0, x1, y, h, pw)
	}
	if e.Change != ChangeNone {
		p.Stroke(x0+1, y+1, math.Max(w-2, 1), h-2, pal.Change[e.Change], 2, false)
	}
	// Labels by zoom: more detail as the entry gets wider.
	if w <= 28 {
		return
	}
	perms := e.Perms[:3]
	lines := [2]string{perms}
	n := 1
	switch {
	case w > 220:
		lines, n = [2]string{e.Label() + " · " + sizeText(e.End-e.Start) + " · " + perms, hexAddr(e.Start) + "–" + hexAddr(e.End)}, 2
	case w > 120:
		lines, n = [2]string{e.Label() + " · " + sizeText(e.End-e.Start), perms}, 2
	case w > 60:
		lines, n = [2]string{sizeText(e.End - e.Start), perms}, 2
	}
	for k, t := range lines[:n] {
		sz := 11.0
		if k > 0 {
			sz = 9.5
		}
		for textW(t, sz) > w-6 && len(t) > 2 {
			t = trimRunes(t, 2) + "…"
		}
		if textW(t, sz) > w-4 {
			break
		}
		ty := y + 14 + float64(k)*12
		if n == 1 {
			ty = y + h/2 + 4
		}
		p.Text(x0+w/2, ty, t, "#ffffff", sz, "middle")
	}
}

// trimRunes drops the last n runes of s.
func trimRunes(s string, n int) string {
	r := []rune(strings.TrimSuffix(s, "…"))
	if len(r) <= n {
		return ""
	}
	return string(r[:len(r)-n])
}

// paintPages marks page boundaries and each page's state along the bottom
// of an entry wide enough to show them.
func (b *Bar) paintPages(p Painter, pal *Palette, e *EntryView, x0, x1, y, h, pw float64) {
	if b.Snap.R == nil {
		return
	}
	// Visible page range.
	startX := b.X(b.Axis.Unit(e.Start))
	first := int(math.Max(0, math.Floor((x0-startX)/pw)))
	n := int(math.Ceil((x1-x0)/pw)) + 1
	pages, _ := PagesOf(b.Snap.R, e.PID, e.Start, first, n)
	for k, pg := range pages {
		px := startX + float64(first+k)*pw
		if px+pw < x0 || px > x1 {
			continue
		}
		if k > 0 || first > 0 {
			p.Line(px, y+h-9, px, y+h, pal.Bg, 1)
		}
		var c string
		switch pg.Class() {
		case "wired":
			c = pal.Wired
		case "shared":
			c = pal.Shared
		case "modified":
			c = pal.Modified
		case "referenced", "resident":
			c = pal.Resident
		case "inobj":
			c = pal.Muted
		}
		if c != "" {
			p.Rect(px+1, y+h-7, math.Max(pw-2, 1), 5, c)
		}
	}
}

// paintAxis writes addresses under the rows at entry boundaries, from
// left to right. A label keeps 8 pixels from the previous one, measured as
// if it were as wide as the widest user address (14 characters) so that
// labels keep an even pitch, and must not overhang the gutter or the right
// edge. Labels are measured without being formatted, and a binary search
// skips the boundaries that cannot take one, so the cost follows the
// labels drawn, not the boundaries in view.
func (b *Bar) paintAxis(p Painter, pal *Palette) {
	y := b.RowY(len(b.Rows)) - b.RowGap + 12
	if len(b.Rows) == 0 {
		y = b.Top + 12
	}
	const size = 9
	widest := float64(len("0x7fffffffe000")) * size * textWPerPoint
	a := b.Axis
	i := sort.Search(len(a.U), func(i int) bool { return a.U[i] >= b.View.U0 })
	last := -1e9
	for i < len(a.U) && a.U[i] <= b.View.U1 {
		x := b.X(a.U[i])
		w := float64(hexLen(a.B[i])) * size * textWPerPoint
		if x+w/2 > b.W {
			break // later labels are further right and no narrower
		}
		// Labels only widen along the axis, so none fits before x = need.
		if need := math.Max(last+8+math.Max(w, widest)/2, b.Gutter-20+w/2); x < need {
			i += 1 + sort.Search(len(a.U)-i-1, func(k int) bool { return b.X(a.U[i+1+k]) >= need })
			continue
		}
		p.Line(x, y-11, x, y-8, pal.Axis, 1)
		p.Text(x, y, hexAddr(a.B[i]), pal.Muted, size, "middle")
		last = x + w/2
		i++
	}
}

// hexLen returns the length of hexAddr(a).
func hexLen(a uint64) int {
	return 2 + max(1, (bits.Len64(a)+3)/4)
}

// itoa formats an int.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
