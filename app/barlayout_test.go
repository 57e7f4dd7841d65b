//go:build !wasm

package app

import (
	"fmt"
	"math"
	"testing"
)

// map65530Bar lays out the 65,530-entry map of the browser benchmark in a
// bar w pixels wide.
func map65530Bar(tb testing.TB, w float64) *Bar {
	tb.Helper()
	s := NewSession("big", "")
	s.Append([]byte(ManyEntries(65530)))
	s.Finish()
	return NewBar(BuildSnapshot(s.At(s.Len())), w)
}

// wheelViews returns the views of the browser benchmark's zoom burst
// (wheelFrames in e2e_test.go): 15 wheel steps in and 15 out at 60% of
// the width, each step zoomAtPixel's factor for deltaY ∓240.
func wheelViews(bar *Bar) []View {
	var views []View
	v := bar.Axis.Fit()
	for i := 0; i < 30; i++ {
		dy := -240.0
		if i >= 15 {
			dy = 240
		}
		bar.View = v
		v = bar.Axis.Zoom(v, math.Exp(dy*0.0015), bar.U(bar.W*0.6))
		views = append(views, v)
	}
	return views
}

// drawing records a paint's calls.
type drawing struct {
	rects []drawnRect
	texts []drawnText
}

type drawnRect struct{ x, y, w, h float64 }

type drawnText struct {
	x, y, size float64
	s          string
}

func (d *drawing) Rect(x, y, w, h float64, fill string) {
	d.rects = append(d.rects, drawnRect{x, y, w, h})
}
func (d *drawing) Stroke(x, y, w, h float64, color string, width float64, dashed bool) {}
func (d *drawing) Line(x0, y0, x1, y1 float64, color string, width float64)            {}
func (d *drawing) Text(x, y float64, s, color string, size float64, anchor string) {
	d.texts = append(d.texts, drawnText{x, y, size, s})
}

// TestZoomedBarDrawsEveryEntry checks the bar's zoomed-out shortcuts
// against the plain rules, entry by entry and boundary by boundary, over
// the wheel burst and a pan across the 65,530-entry map: each pixel column
// holding entries narrower than 1.5 pixels gets one sliver (the first
// entry's), wider entries get their own rectangle, and every boundary that
// fits an address label, left to right, gets one.
func TestZoomedBarDrawsEveryEntry(t *testing.T) {
	bar := map65530Bar(t, 800)
	views := wheelViews(bar)
	for v := views[14]; v.U1 < bar.Axis.Total(); v = bar.Axis.Pan(v, v.Span()*0.4) {
		views = append(views, v)
	}
	for n, v := range views {
		bar.View = v
		var d drawing
		bar.Paint(&d)
		if got, want := entryRects(&d, bar), wantEntryRects(bar); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("view %d %+v: %d entry rectangles, want %d", n, v, len(got), len(want))
		}
		if got, want := axisLabels(&d, bar), wantAxisLabels(bar); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("view %d %+v: axis labels %v, want %v", n, v, got, want)
		}
	}
}

// entryRects returns the rectangles drawn for row 0's entries: full row
// height, after the row's background.
func entryRects(d *drawing, bar *Bar) []drawnRect {
	var out []drawnRect
	for _, r := range d.rects {
		if r.y == bar.RowY(0) && r.h == bar.RowH {
			out = append(out, r)
		}
	}
	return out[1:]
}

// wantEntryRects places row 0's entries one by one.
func wantEntryRects(bar *Bar) []drawnRect {
	r, y := bar.Rows[0], bar.RowY(0)
	x0, x1 := bar.X(bar.View.U0), bar.X(bar.View.U1)
	var out []drawnRect
	lastCol := -1.0
	for j := range r.U0 {
		if r.U1[j] <= bar.View.U0 || r.U0[j] >= bar.View.U1 {
			continue
		}
		ex0, ex1 := math.Max(bar.X(r.U0[j]), x0), math.Min(bar.X(r.U1[j]), x1)
		if ex1-ex0 >= 1.5 {
			out = append(out, drawnRect{ex0, y, ex1 - ex0, bar.RowH})
		} else if col := math.Floor(ex0); col != lastCol {
			lastCol = col
			out = append(out, drawnRect{col, y, 1.5, bar.RowH})
		}
	}
	return out
}

// axisLabels returns the address labels drawn: the text under the rows.
func axisLabels(d *drawing, bar *Bar) []drawnText {
	var out []drawnText
	for _, t := range d.texts {
		if t.y > bar.RowY(len(bar.Rows)-1)+bar.RowH {
			out = append(out, t)
		}
	}
	return out
}

// wantAxisLabels labels the boundaries in view one by one, left to right:
// a label is 8 pixels clear of the previous one (counting itself as wide
// as a 14-character address at least) and inside the bar.
func wantAxisLabels(bar *Bar) []drawnText {
	a := bar.Axis
	y := bar.RowY(len(bar.Rows)) - bar.RowGap + 12
	widest := textW("0x7fffffffe000", 9)
	last := -1e9
	var out []drawnText
	for i, u := range a.U {
		if u < bar.View.U0 || u > bar.View.U1 {
			continue
		}
		x, t := bar.X(u), hexAddr(a.B[i])
		w := textW(t, 9)
		if x-math.Max(w, widest)/2 >= last+8 && x-w/2 >= bar.Gutter-20 && x+w/2 <= bar.W {
			out = append(out, drawnText{x, y, 9, t})
			last = x + w/2
		}
	}
	return out
}

// TestZoomStepAllocations checks that painting a zoom step allocates only
// for the text it draws (a label is one string built from a few pieces),
// not per entry or per boundary in view, at every step of the wheel burst.
func TestZoomStepAllocations(t *testing.T) {
	bar := map65530Bar(t, 800)
	for n, v := range wheelViews(bar) {
		bar.View = v
		var d drawing
		bar.Paint(&d)
		allocs := testing.AllocsPerRun(3, func() { bar.Paint(nopPainter{}) })
		if limit := 4 * len(d.texts); allocs > float64(limit) {
			t.Errorf("zoom step %d (%.3g%% of the axis): %v allocations for %d labels", n, 100*v.Span()/bar.Axis.Total(), allocs, len(d.texts))
		}
	}
}

// BenchmarkZoomSteps65530 paints the wheel burst's views of the
// 65,530-entry map natively, one view per op.
func BenchmarkZoomSteps65530(b *testing.B) {
	bar := map65530Bar(b, 800)
	views := wheelViews(bar)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bar.View = views[i%len(views)]
		bar.Paint(nopPainter{})
	}
}

// TestHexAddr checks hexAddr and hexLen against fmt's %#x.
func TestHexAddr(t *testing.T) {
	for _, a := range []uint64{0, 1, 0xf, 0x10, 0x1000, 0x7fffffffe000, 0x800000000000, math.MaxUint64} {
		want := fmt.Sprintf("%#x", a)
		if got := hexAddr(a); got != want {
			t.Errorf("hexAddr(%#x) = %q", a, got)
		}
		if got := hexLen(a); got != len(want) {
			t.Errorf("hexLen(%#x) = %d, want %d", a, got, len(want))
		}
	}
}
