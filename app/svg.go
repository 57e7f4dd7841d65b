package app

import (
	"fmt"
	"html"
	"strings"
)

// svgNS is the SVG namespace every SVG element needs in go-app.
const svgNS = "http://www.w3.org/2000/svg"

// SVGPainter records drawing calls as an SVG document (the diagram
// export).
type SVGPainter struct {
	b    strings.Builder
	W, H float64
}

// NewSVGPainter starts a w×h SVG document.
func NewSVGPainter(w, h float64) *SVGPainter {
	p := &SVGPainter{W: w, H: h}
	fmt.Fprintf(&p.b, `<svg xmlns="%s" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace">`+"\n", svgNS, w, h, w, h)
	return p
}

// Rect fills a rectangle.
func (p *SVGPainter) Rect(x, y, w, h float64, fill string) {
	fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x, y, w, h, fill)
}

// Stroke outlines a rectangle.
func (p *SVGPainter) Stroke(x, y, w, h float64, color string, width float64, dashed bool) {
	dash := ""
	if dashed {
		dash = ` stroke-dasharray="4 3"`
	}
	fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="%s" stroke-width="%.1f"%s/>`+"\n", x, y, w, h, color, width, dash)
}

// Line draws a segment.
func (p *SVGPainter) Line(x0, y0, x1, y1 float64, color string, width float64) {
	fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"/>`+"\n", x0, y0, x1, y1, color, width)
}

// Text writes s with its baseline at y; anchor is start, middle or end.
func (p *SVGPainter) Text(x, y float64, s, color string, size float64, anchor string) {
	fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" fill="%s" font-size="%.1f" text-anchor="%s">%s</text>`+"\n", x, y, color, size, anchor, html.EscapeString(s))
}

// String closes and returns the document.
func (p *SVGPainter) String() string { return p.b.String() + "</svg>\n" }

// ExportSVG draws the bar of every process, with a title and a legend, as
// a standalone SVG document.
func ExportSVG(b *Bar, title string) string {
	const legendH = 40
	hb := b.Height()
	p := NewSVGPainter(b.W, hb+legendH+24)
	pal := PaletteFor(b.Theme)
	p.Rect(0, 0, b.W, hb+legendH+24, pal.Bg)
	p.Text(8, 16, title, pal.Text, 12, "start")
	shifted := &offsetPainter{p, 0, 24}
	b.Paint(shifted)
	y := hb + 24 + 16
	x := 8.0
	for k := EntryKind(0); k < numKinds; k++ {
		p.Rect(x, y-9, 12, 12, pal.Kind[k])
		p.Text(x+16, y+1, k.String(), pal.Text, 10, "start")
		x += 24 + textW(k.String(), 10)
	}
	p.Rect(x, y-9, 12, 12, pal.KindRO[KindAnon])
	p.Text(x+16, y+1, "lighter: read-only", pal.Text, 10, "start")
	x += 28 + textW("lighter: read-only", 10)
	p.Rect(x, y-9, 12, 3, pal.Exec)
	p.Text(x+16, y+1, "top stripe: executable", pal.Text, 10, "start")
	return p.String()
}

// offsetPainter shifts another painter's drawing.
type offsetPainter struct {
	p      Painter
	dx, dy float64
}

func (o *offsetPainter) Rect(x, y, w, h float64, fill string) { o.p.Rect(x+o.dx, y+o.dy, w, h, fill) }
func (o *offsetPainter) Stroke(x, y, w, h float64, c string, lw float64, d bool) {
	o.p.Stroke(x+o.dx, y+o.dy, w, h, c, lw, d)
}
func (o *offsetPainter) Line(x0, y0, x1, y1 float64, c string, w float64) {
	o.p.Line(x0+o.dx, y0+o.dy, x1+o.dx, y1+o.dy, c, w)
}
func (o *offsetPainter) Text(x, y float64, s, c string, sz float64, a string) {
	o.p.Text(x+o.dx, y+o.dy, s, c, sz, a)
}
