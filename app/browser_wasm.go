//go:build wasm

package app

import (
	"encoding/base64"
	"errors"
	"math"
	"syscall/js"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The browser glue: canvas drawing, pointer and keyboard listeners, files,
// downloads, the URL and local storage, through syscall/js. Listeners that
// draw run synchronously in the event so that zooming and panning cost one
// frame; anything that changes the DOM goes through ctx.Dispatch.

var (
	doc     = js.Global().Get("document")
	win     = js.Global()
	perf    = js.Global().Get("performance")
	funcs   []js.Func // listeners kept alive for the page's lifetime
	benchJS js.Value
)

// nowMS returns performance.now().
func nowMS() float64 { return perf.Call("now").Float() }

// byID returns the element with the given id (null if none).
func byID(id string) js.Value { return doc.Call("getElementById", id) }

// canvasPainter draws on a 2D context, caching style changes.
type canvasPainter struct {
	c                   js.Value
	fill, stroke        string
	fontSize, lineW     float64 // 0: not set yet
	align               string
	dashed, dashedKnown bool
}

// styleValues holds the JS strings of the colours and fonts set on
// canvases, so that a paint converts no style string (each conversion
// makes a JS string and a Go finalizer). Styles come from the palettes and
// a few font sizes; maxStyleValues bounds the cache all the same.
var styleValues = map[string]js.Value{}

const maxStyleValues = 256

// styleValue returns s as a JS string, cached.
func styleValue(s string) js.Value {
	if v, ok := styleValues[s]; ok {
		return v
	}
	v := js.ValueOf(s)
	if len(styleValues) < maxStyleValues {
		styleValues[s] = v
	}
	return v
}

func (p *canvasPainter) setFill(c string) {
	if c != p.fill {
		p.c.Set("fillStyle", styleValue(c))
		p.fill = c
	}
}

func (p *canvasPainter) setStroke(c string, w float64, dashed bool) {
	if c != p.stroke {
		p.c.Set("strokeStyle", styleValue(c))
		p.stroke = c
	}
	if w != p.lineW {
		p.c.Set("lineWidth", w)
		p.lineW = w
	}
	if !p.dashedKnown || dashed != p.dashed {
		if dashed {
			p.c.Call("setLineDash", []any{4, 3})
		} else {
			p.c.Call("setLineDash", []any{})
		}
		p.dashed, p.dashedKnown = dashed, true
	}
}

func (p *canvasPainter) Rect(x, y, w, h float64, fill string) {
	p.setFill(fill)
	p.c.Call("fillRect", x, y, w, h)
}

func (p *canvasPainter) Stroke(x, y, w, h float64, color string, width float64, dashed bool) {
	p.setStroke(color, width, dashed)
	p.c.Call("strokeRect", x, y, w, h)
}

func (p *canvasPainter) Line(x0, y0, x1, y1 float64, color string, width float64) {
	p.setStroke(color, width, false)
	p.c.Call("beginPath")
	p.c.Call("moveTo", x0, y0)
	p.c.Call("lineTo", x1, y1)
	p.c.Call("stroke")
}

func (p *canvasPainter) Text(x, y float64, s, color string, size float64, anchor string) {
	p.setFill(color)
	if size != p.fontSize {
		p.c.Set("font", styleValue(fontCSS(size)))
		p.fontSize = size
	}
	a := textAlign(anchor)
	if a != p.align {
		p.c.Set("textAlign", a)
		p.align = a
	}
	p.c.Call("fillText", s, x, y)
}

// textAlign returns the canvas textAlign of an SVG text-anchor.
func textAlign(anchor string) string {
	switch anchor {
	case "middle":
		return "center"
	case "end":
		return "right"
	}
	return "left"
}

// fontCSS returns the canvas font for a size.
func fontCSS(size float64) string {
	return ftoa(size) + "px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
}

// canvasState caches a canvas's 2D context and size between paints, so
// that zoom and pan frames touch neither the layout nor the styles.
type canvasState struct {
	el, ctx js.Value
	w, h    float64
}

var canvases = map[string]*canvasState{}

// paintCanvas sizes the canvas id to its box (width from the parent, the
// given CSS height) at the device pixel ratio and runs draw on it. It
// returns the CSS width used, or 0 when the canvas is not in the page.
func paintCanvas(id string, height float64, draw func(p Painter, w float64)) float64 {
	c := byID(id)
	if c.IsNull() || c.IsUndefined() {
		delete(canvases, id)
		return 0
	}
	w := c.Get("parentElement").Get("clientWidth").Float()
	if w <= 0 {
		w = 600
	}
	dpr := win.Get("devicePixelRatio").Float()
	if dpr <= 0 || math.IsNaN(dpr) {
		dpr = 1
	}
	pw, ph := int(w*dpr), int(height*dpr)
	if c.Get("width").Int() != pw {
		c.Set("width", pw)
	}
	if c.Get("height").Int() != ph {
		c.Set("height", ph)
	}
	st := c.Get("style")
	st.Set("width", ftoa(w)+"px")
	st.Set("height", ftoa(height)+"px")
	ctx := c.Call("getContext", "2d")
	ctx.Call("setTransform", dpr, 0, 0, dpr, 0, 0)
	ctx.Set("textBaseline", "alphabetic")
	cs := &canvasState{el: c, ctx: ctx, w: w, h: height}
	canvases[id] = cs
	cs.draw(draw)
	return w
}

// draw clears the canvas and runs draw on it. Every paint covers the whole
// canvas, and the clear lets Chromium drop the draw commands it still
// queues from earlier paints (only a full-canvas clearRect does so, not a
// full-canvas fillRect). Without it, paints between two presented frames
// (several wheel events in one frame) pile up until the queue's size limit,
// and the paint that reaches it rasterizes them all at once.
func (cs *canvasState) draw(draw func(p Painter, w float64)) {
	cs.ctx.Call("clearRect", 0, 0, cs.w, cs.h)
	draw(&canvasPainter{c: cs.ctx}, cs.w)
}

// repaintCanvas redraws canvas id at the size of its last paintCanvas
// (zoom and pan frames); it falls back to paintCanvas when the canvas was
// replaced or its height changed.
func repaintCanvas(id string, height float64, draw func(p Painter, w float64)) float64 {
	cs := canvases[id]
	if cs == nil || cs.h != height || !cs.el.Get("isConnected").Bool() {
		return paintCanvas(id, height, draw)
	}
	cs.draw(draw)
	return cs.w
}

// setData sets a data- attribute on an element (tests poll for them).
func setData(id, key, val string) {
	if el := byID(id); !el.IsNull() {
		el.Get("dataset").Set(key, val)
	}
}

// publishStats exposes timing figures on window.vmscope for the browser
// benchmarks.
func publishStats(key string, v float64) {
	if benchJS.IsUndefined() || benchJS.IsNull() || benchJS.Type() != js.TypeObject {
		benchJS = js.Global().Get("Object").New()
		js.Global().Set("vmscope", benchJS)
	}
	benchJS.Set(key, v)
}

// showTooltip places the floating tooltip near (x, y) in page pixels, or
// hides it when text is empty.
func showTooltip(text string, x, y float64) {
	t := byID("tooltip")
	if t.IsNull() {
		return
	}
	st := t.Get("style")
	if text == "" {
		st.Set("display", "none")
		return
	}
	t.Set("textContent", text)
	st.Set("display", "block")
	vw := win.Get("innerWidth").Float()
	if x+340 > vw {
		x = vw - 340
	}
	if x < 4 {
		x = 4
	}
	st.Set("left", ftoa(x)+"px")
	st.Set("top", ftoa(y+18)+"px")
}

// installGlobal registers the page-wide listeners: keyboard, drag and
// drop of files, window resize, and the pointer handlers of the bar and
// plot canvases.
func installGlobal(s *Shell, ctx app.Context) {
	on := func(target js.Value, ev string, fn func(e js.Value), passive bool) {
		f := js.FuncOf(func(this js.Value, args []js.Value) any {
			fn(args[0])
			return nil
		})
		funcs = append(funcs, f)
		opts := js.Global().Get("Object").New()
		opts.Set("passive", passive)
		target.Call("addEventListener", ev, f, opts)
	}
	on(doc, "keydown", func(e js.Value) {
		tag := e.Get("target").Get("tagName").String()
		key := e.Get("key").String()
		inField := tag == "INPUT" || tag == "TEXTAREA" || tag == "SELECT"
		if e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool() || e.Get("altKey").Bool() {
			return
		}
		if s.keyWanted(key, inField) {
			e.Call("preventDefault")
			ctx.Dispatch(func(ctx app.Context) { s.onKey(ctx, key) })
		}
	}, false)
	on(doc, "dragover", func(e js.Value) {
		e.Call("preventDefault")
		if !s.dragging {
			ctx.Dispatch(func(ctx app.Context) { s.setDragging(ctx, true) })
		}
	}, false)
	on(doc, "dragleave", func(e js.Value) {
		if e.Get("relatedTarget").IsNull() {
			ctx.Dispatch(func(ctx app.Context) { s.setDragging(ctx, false) })
		}
	}, false)
	on(doc, "drop", func(e js.Value) {
		e.Call("preventDefault")
		files := e.Get("dataTransfer").Get("files")
		ctx.Dispatch(func(ctx app.Context) { s.setDragging(ctx, false) })
		if files.Length() > 0 {
			f := files.Index(0)
			ctx.Dispatch(func(ctx app.Context) { s.openFile(ctx, fileHandle{f}) })
		}
	}, false)
	on(win, "resize", func(e js.Value) { s.paint() }, true)
	installBarPointer(s, ctx, on)
	installPlotPointer(s, ctx, on)
}

// installBarPointer wires wheel zoom, drag pan, hover and click selection
// on the bar canvas. The canvas is looked up at event time through the
// document, so re-renders do not lose the listeners.
func installBarPointer(s *Shell, ctx app.Context, on func(js.Value, string, func(js.Value), bool)) {
	type drag struct {
		active bool
		x0, x  float64
		moved  bool
	}
	var d drag
	local := func(e js.Value) (float64, float64, bool) {
		c := byID("bar")
		if c.IsNull() || !e.Get("target").Equal(c) {
			return 0, 0, false
		}
		r := c.Call("getBoundingClientRect")
		return e.Get("clientX").Float() - r.Get("left").Float(), e.Get("clientY").Float() - r.Get("top").Float(), true
	}
	on(doc, "wheel", func(e js.Value) {
		x, _, ok := local(e)
		if !ok {
			return
		}
		e.Call("preventDefault")
		dy := e.Get("deltaY").Float()
		dx := e.Get("deltaX").Float()
		t0 := nowMS()
		if e.Get("shiftKey").Bool() || math.Abs(dx) > math.Abs(dy) {
			if dx == 0 {
				dx = dy
			}
			s.panPixels(dx)
		} else {
			s.zoomAtPixel(x, math.Exp(dy*0.0015))
		}
		publishStats("frameMs", nowMS()-t0)
		s.viewChangedSoon(ctx)
	}, false)
	on(doc, "pointerdown", func(e js.Value) {
		x, _, ok := local(e)
		if !ok || e.Get("button").Int() != 0 {
			return
		}
		d = drag{active: true, x0: x, x: x}
	}, true)
	on(doc, "pointermove", func(e js.Value) {
		if d.active {
			c := byID("bar")
			if c.IsNull() {
				return
			}
			r := c.Call("getBoundingClientRect")
			x := e.Get("clientX").Float() - r.Get("left").Float()
			if math.Abs(x-d.x0) > 3 {
				d.moved = true
			}
			if d.moved {
				t0 := nowMS()
				s.panPixels(d.x - x)
				publishStats("frameMs", nowMS()-t0)
				showTooltip("", 0, 0)
			}
			d.x = x
			return
		}
		x, y, ok := local(e)
		if !ok {
			if s.hover.End != 0 {
				s.setHover(EntryRef{}, "", 0, 0)
			}
			return
		}
		ref, text := s.barHover(x, y)
		s.setHover(ref, text, e.Get("clientX").Float(), e.Get("clientY").Float())
	}, true)
	on(doc, "pointerup", func(e js.Value) {
		if !d.active {
			return
		}
		wasDrag := d.moved
		d = drag{}
		if wasDrag {
			s.viewChangedSoon(ctx)
			return
		}
		x, y, ok := local(e)
		if !ok {
			return
		}
		if ref, hit := s.bar.Hit(x, y); hit {
			ctx.Dispatch(func(ctx app.Context) { s.selectEntry(ctx, ref, false) })
		}
	}, true)
}

// installPlotPointer makes the plot canvas a scrubber: press and drag to
// seek.
func installPlotPointer(s *Shell, ctx app.Context, on func(js.Value, string, func(js.Value), bool)) {
	active := false
	seekAt := func(e js.Value) {
		c := byID("plots")
		if c.IsNull() {
			return
		}
		r := c.Call("getBoundingClientRect")
		x := e.Get("clientX").Float() - r.Get("left").Float()
		t0 := nowMS()
		i := s.plotStepAt(x, r.Get("width").Float())
		s.seekNow(i)
		publishStats("seekMs", nowMS()-t0)
		ctx.Dispatch(func(ctx app.Context) { s.afterSeek(ctx) })
	}
	on(doc, "pointerdown", func(e js.Value) {
		c := byID("plots")
		if c.IsNull() || !e.Get("target").Equal(c) || e.Get("button").Int() != 0 {
			return
		}
		active = true
		seekAt(e)
	}, true)
	on(doc, "pointermove", func(e js.Value) {
		if active {
			seekAt(e)
		}
	}, true)
	on(doc, "pointerup", func(e js.Value) { active = false }, true)
}

// fileHandle is a browser File.
type fileHandle struct{ v js.Value }

// Name returns the file's name.
func (f fileHandle) Name() string { return f.v.Get("name").String() }

// Size returns the file's size in bytes.
func (f fileHandle) Size() int64 { return int64(f.v.Get("size").Float()) }

// pickedFile returns the file chosen in the file input id, if any.
func pickedFile(id string) (fileHandle, bool) {
	in := byID(id)
	if in.IsNull() {
		return fileHandle{}, false
	}
	files := in.Get("files")
	if files.IsNull() || files.Length() == 0 {
		return fileHandle{}, false
	}
	f := files.Index(0)
	in.Set("value", "")
	return fileHandle{f}, true
}

// await waits for a promise; it must run outside the UI goroutine.
func await(p js.Value) (js.Value, error) {
	type res struct {
		v   js.Value
		err error
	}
	ch := make(chan res, 1)
	var ok, fail js.Func
	ok = js.FuncOf(func(this js.Value, args []js.Value) any {
		ch <- res{v: args[0]}
		return nil
	})
	fail = js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := "failed"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		ch <- res{err: errors.New(msg)}
		return nil
	})
	p.Call("then", ok, fail)
	r := <-ch
	ok.Release()
	fail.Release()
	return r.v, r.err
}

// readChunk reads bytes [off, off+n) of f; it blocks and must run outside
// the UI goroutine.
func readChunk(f fileHandle, off, n int64) ([]byte, error) {
	blob := f.v.Call("slice", float64(off), float64(off+n))
	buf, err := await(blob.Call("arrayBuffer"))
	if err != nil {
		return nil, err
	}
	u8 := js.Global().Get("Uint8Array").New(buf)
	b := make([]byte, u8.Length())
	js.CopyBytesToGo(b, u8)
	return b, nil
}

// fetchText GETs a URL from the server; it blocks and must run outside
// the UI goroutine.
func fetchText(url string) (string, error) {
	resp, err := await(js.Global().Call("fetch", url))
	if err != nil {
		return "", err
	}
	if !resp.Get("ok").Bool() {
		return "", errors.New(url + ": " + resp.Get("status").Call("toString").String() + " " + resp.Get("statusText").String())
	}
	t, err := await(resp.Call("text"))
	if err != nil {
		return "", err
	}
	return t.String(), nil
}

// download saves data as a file.
func download(name, mime string, data []byte) {
	u8 := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(u8, data)
	blob := js.Global().Get("Blob").New([]any{u8}, map[string]any{"type": mime})
	url := js.Global().Get("URL").Call("createObjectURL", blob)
	a := doc.Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	a.Call("click")
	js.Global().Call("setTimeout", js.FuncOf(func(this js.Value, args []js.Value) any {
		js.Global().Get("URL").Call("revokeObjectURL", url)
		return nil
	}), 2000)
}

// downloadPNG renders an SVG document into a PNG at twice its size and
// saves it.
func downloadPNG(name, svg string, w, h float64) {
	img := js.Global().Get("Image").New()
	var onload js.Func
	onload = js.FuncOf(func(this js.Value, args []js.Value) any {
		c := doc.Call("createElement", "canvas")
		c.Set("width", int(w*2))
		c.Set("height", int(h*2))
		cx := c.Call("getContext", "2d")
		cx.Call("scale", 2, 2)
		cx.Call("drawImage", img, 0, 0)
		data := c.Call("toDataURL", "image/png").String()
		a := doc.Call("createElement", "a")
		a.Set("href", data)
		a.Set("download", name)
		a.Call("click")
		onload.Release()
		return nil
	})
	img.Set("onload", onload)
	img.Set("src", "data:image/svg+xml;base64,"+base64.StdEncoding.EncodeToString([]byte(svg)))
}

// replaceURL replaces the query of the page's URL without reloading.
func replaceURL(query string) {
	loc := win.Get("location")
	u := loc.Get("pathname").String()
	if query != "" {
		u += "?" + query
	}
	win.Get("history").Call("replaceState", nil, "", u)
}

// pageURL returns the page's address.
func pageURL() string { return win.Get("location").Get("href").String() }

// storageGet reads local storage ("" if missing or unavailable).
func storageGet(k string) string {
	ls := win.Get("localStorage")
	if ls.IsUndefined() || ls.IsNull() {
		return ""
	}
	v := ls.Call("getItem", k)
	if v.IsNull() {
		return ""
	}
	return v.String()
}

// storageSet writes local storage.
func storageSet(k, v string) {
	ls := win.Get("localStorage")
	if ls.IsUndefined() || ls.IsNull() {
		return
	}
	ls.Call("setItem", k, v)
}

// prefersDark reports the system colour scheme.
func prefersDark() bool {
	m := win.Call("matchMedia", "(prefers-color-scheme: dark)")
	return !m.IsNull() && m.Get("matches").Bool()
}

// copyText puts s on the clipboard.
func copyText(s string) {
	cb := win.Get("navigator").Get("clipboard")
	if !cb.IsUndefined() && !cb.IsNull() {
		cb.Call("writeText", s)
	}
}

// focusID focuses an element.
func focusID(id string) {
	if el := byID(id); !el.IsNull() {
		el.Call("focus")
	}
}

// scrollRowIntoView scrolls the list id so that row i (of height rowH)
// is visible.
func scrollRowIntoView(id string, i int, rowH float64) {
	el := byID(id)
	if el.IsNull() {
		return
	}
	top := el.Get("scrollTop").Float()
	h := el.Get("clientHeight").Float()
	y := float64(i) * rowH
	if y < top || y+rowH > top+h {
		el.Set("scrollTop", math.Max(0, y-h/2))
	}
}

// setTheme sets the page's colour theme on the root element.
func setTheme(theme string) {
	doc.Get("documentElement").Get("dataset").Set("theme", theme)
}
