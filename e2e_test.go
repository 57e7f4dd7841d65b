//go:build !wasm

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	vmapp "vmscope/app"
)

// End-to-end tests and benchmarks of the browser app in headless Chromium:
// the real server (newServer) on a loopback port, the wasm built from this
// tree. Without Chromium they skip, except under CI=true, where they fail.
// VMSCOPE_SCREENSHOTS=1 also writes the README's screenshots into
// docs/screenshots; VMSCOPE_BENCH_MD=1 makes the benchmarks write their
// results into BENCHMARKS.md's "Browser" section.

// chromium returns the browser to use, or stops the test.
func chromium(tb testing.TB) string {
	tb.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("chromium is not installed (CI=true: the browser tests must run; apt-get install chromium)")
	}
	tb.Skip("chromium is not installed; skipping the browser tests")
	return ""
}

var (
	webOnce sync.Once
	webDir  string
	webErr  error
)

// builtWeb builds the wasm of this tree once into a temporary web
// directory with the stylesheet and icons, compressed with brotli when the
// tool is installed; VMSCOPE_WEB_DIR names a directory built already (the
// Makefile's web/, for the benchmarks).
func builtWeb(tb testing.TB) string {
	tb.Helper()
	webOnce.Do(func() {
		if d := os.Getenv("VMSCOPE_WEB_DIR"); d != "" {
			webDir = d
			return
		}
		// One directory, reused by every run (nothing piles up in /tmp).
		dir := filepath.Join(os.TempDir(), "vmscope-e2e-web")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			webErr = err
			return
		}
		for _, f := range []string{"vmscope.css", "icon-192.png", "icon-512.png", "icon.svg"} {
			b, err := os.ReadFile(filepath.Join("web", f))
			if err != nil {
				webErr = err
				return
			}
			os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", filepath.Join(dir, "app.wasm"), "./wasm")
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			webErr = fmt.Errorf("building the wasm: %v\n%s", err, out)
			return
		}
		if br, err := exec.LookPath("brotli"); err == nil {
			if out, err := exec.Command(br, "-f", "-q", "5", filepath.Join(dir, "app.wasm")).CombinedOutput(); err != nil {
				webErr = fmt.Errorf("brotli: %v\n%s", err, out)
				return
			}
		}
		webDir = dir
	})
	if webErr != nil {
		tb.Fatal(webErr)
	}
	return webDir
}

// serve starts the app's server on a loopback port and returns its URL.
func serve(tb testing.TB, traces string) string {
	tb.Helper()
	web := builtWeb(tb)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: newServer(os.DirFS(web), traces)}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// browser starts headless Chromium with a fresh profile and returns a tab.
func browser(tb testing.TB, w, h int) context.Context {
	tb.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(tb)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(tb.TempDir()), chromedp.WindowSize(w, h))
	actx, cancel1 := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel2 := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancel2(); cancel1() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		tb.Fatal(err)
	}
	return ctx
}

// poll waits up to timeout for a JavaScript condition.
func poll(tb testing.TB, ctx context.Context, cond string, timeout time.Duration) {
	tb.Helper()
	c, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(timeout))); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('#tl-pos')||{}).textContent + ' | ' + (document.querySelector('#message')||{}).textContent + ' | ' + JSON.stringify(window.vmscope||{}) + ' | console: ' + [...document.querySelectorAll('#console-out .con-line')].map(e => e.className + ': ' + e.textContent).join(' / ')`))
		tb.Fatalf("waiting for %s: %v (page: %s)", cond, err, state)
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](tb testing.TB, ctx context.Context, js string) T {
	tb.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// do runs actions or fails.
func do(tb testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatal(err)
	}
}

// drawnJS is true once the wasm has replaced the page and drawn the bar.
const drawnJS = `!document.querySelector('#app-wasm-loader') && !!document.querySelector('#bar') && !!document.querySelector('#bar').dataset.drawn`

// shot saves a screenshot into dir (and docs/screenshots when asked).
func shot(tb testing.TB, ctx context.Context, dir, name string) {
	tb.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		tb.Fatal(err)
	}
	if os.Getenv("VMSCOPE_SCREENSHOTS") != "" {
		os.MkdirAll(filepath.Join("docs", "screenshots"), 0o755)
		if err := os.WriteFile(filepath.Join("docs", "screenshots", name), png, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestBrowserE2E drives the app in Chromium: first visit with the welcome
// overlay, the library, stepping, seeking by click and by scrubbing, the
// console, opening a trace file, zooming, every tab, the share dialog,
// embed mode, themes and a phone-width layout, with screenshots.
func TestBrowserE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	traces := t.TempDir()
	os.WriteFile(filepath.Join(traces, "served.scn"), []byte("mmap(NULL, 3*P, PROT_READ, MAP_PRIVATE|MAP_ANON, -1, 0) = $a\n"), 0o644)
	base := serve(t, traces)
	shots := t.TempDir()
	ctx := browser(t, 1280, 900)
	do(t, ctx, chromedp.EmulateViewport(1280, 720))

	// First visit: the welcome overlay over a drawn diagram.
	do(t, ctx, chromedp.Navigate(base))
	poll(t, ctx, drawnJS+` && !!document.querySelector('#welcome')`, 60*time.Second)
	if n := eval[int](t, ctx, `document.querySelectorAll('#legend .legend-item').length`); n < 6 {
		t.Errorf("legend has %d items", n)
	}
	shot(t, ctx, shots, "welcome.png")
	do(t, ctx, chromedp.Click(chromedp.ID("welcome-close")))
	poll(t, ctx, `!document.querySelector('#welcome')`, 5*time.Second)

	// The wasm arrived brotli-compressed.
	enc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch('/web/app.wasm').then(r => r.headers.get('content-encoding') || '')`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("brotli"); err == nil && enc != "br" {
		t.Errorf("app.wasm content-encoding %q, want br", enc)
	}

	// The library.
	do(t, ctx, chromedp.Click(chromedp.ID("btn-library")))
	poll(t, ctx, `document.querySelectorAll('#library-list button').length >= 15`, 5*time.Second)
	do(t, ctx, chromedp.Click(chromedp.ID("lib-02-mprotect-split-merge")))
	poll(t, ctx, `!document.querySelector('#library') && document.querySelector('#source-name').textContent.includes('mprotect')`, 5*time.Second)
	poll(t, ctx, `location.search.includes('s=02-mprotect-split-merge')`, 5*time.Second)

	// Step with the keyboard.
	n := eval[int](t, ctx, `parseInt(document.querySelector('#tl-pos').textContent.split('/')[1])`)
	do(t, ctx, chromedp.Click(chromedp.ID("tl-last")))
	poll(t, ctx, fmt.Sprintf(`document.querySelector('#tl-pos').textContent.startsWith('%d /')`, n), 5*time.Second)
	eval[bool](t, ctx, `(document.activeElement && document.activeElement.blur(), true)`)
	do(t, ctx, chromedp.KeyEvent(kb.ArrowLeft))
	poll(t, ctx, fmt.Sprintf(`document.querySelector('#tl-pos').textContent.startsWith('%d /')`, n-1), 5*time.Second)

	// Seek by clicking an event, then by scrubbing the plot.
	do(t, ctx, chromedp.Click(chromedp.ID("tl-row-4")))
	poll(t, ctx, `document.querySelector('#tl-pos').textContent.startsWith('4 /') && location.search.includes('step=4')`, 5*time.Second)
	if !eval[bool](t, ctx, `document.querySelector('#current-changes') !== null`) {
		t.Error("the mprotect step shows no change")
	}
	eval[bool](t, ctx, `(() => { const c = document.querySelector('#plots'); const r = c.getBoundingClientRect();
		for (const t of ['pointerdown', 'pointerup']) c.dispatchEvent(new PointerEvent(t, {bubbles: true, button: 0, clientX: r.left + r.width - 1, clientY: r.top + 10}));
		return true })()`)
	poll(t, ctx, fmt.Sprintf(`document.querySelector('#tl-pos').textContent.startsWith('%d /')`, n), 5*time.Second)

	// The console: a good line, an errno with its reason, a syntax error.
	do(t, ctx, chromedp.Click(chromedp.ID("console-input")),
		chromedp.SendKeys(chromedp.ID("console-input"), "mmap(NULL, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $z"+kb.Enter))
	poll(t, ctx, `[...document.querySelectorAll('#console-out .con-line.ok')].some(e => e.textContent.startsWith('= 0x'))`, 5*time.Second)
	poll(t, ctx, fmt.Sprintf(`document.querySelector('#tl-pos').textContent.startsWith('%d /')`, n+1), 5*time.Second)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("console-input"), "munmap($z, 0)"+kb.Enter))
	poll(t, ctx, `[...document.querySelectorAll('#console-out .con-line.errno')].some(e => e.textContent.includes('EINVAL') && e.textContent.includes('kern_munmap'))`, 5*time.Second)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("console-input"), "mmap(NULL,, 3"+kb.Enter))
	poll(t, ctx, `[...document.querySelectorAll('#console-out .con-line.err')].some(e => e.textContent.includes('expected'))`, 5*time.Second)
	// Completion.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("console-input"), "mpro"+kb.Tab))
	poll(t, ctx, `document.querySelector('#console-input').value === 'mprotect'`, 5*time.Second)
	eval[bool](t, ctx, `(document.querySelector('#console-input').value = '', document.activeElement.blur(), true)`)

	// Open a trace file through the file input (an strace -f log).
	trace := filepath.Join(t.TempDir(), "small.strace")
	os.WriteFile(trace, []byte(stracelike), 0o644)
	do(t, ctx, chromedp.SetUploadFiles(chromedp.ID("file-input"), []string{trace}))
	poll(t, ctx, `document.querySelector('#source-name').textContent === 'small.strace' && document.querySelector('#tl-pos').textContent.trim() === '6 / 6'`, 20*time.Second)
	if got := eval[int](t, ctx, `document.querySelectorAll('#entries-list .tr').length`); got != 3 {
		t.Errorf("trace leaves %d entries in the table, want 3", got)
	}

	// Zoom: buttons, then the wheel over the bar.
	do(t, ctx, chromedp.Click(chromedp.ID("zoom-in")))
	poll(t, ctx, `document.querySelector('#zoom-label').textContent.includes('0x') && location.search.includes('z=')`, 5*time.Second)
	label := eval[string](t, ctx, `document.querySelector('#zoom-label').textContent`)
	eval[bool](t, ctx, `(() => { const c = document.querySelector('#bar'); const r = c.getBoundingClientRect();
		for (let i = 0; i < 5; i++) c.dispatchEvent(new WheelEvent('wheel', {bubbles: true, cancelable: true, deltaY: -200, clientX: r.left + r.width/2, clientY: r.top + 20}));
		return true })()`)
	poll(t, ctx, fmt.Sprintf(`document.querySelector('#zoom-label').textContent !== %q`, label), 5*time.Second)
	do(t, ctx, chromedp.Click(chromedp.ID("zoom-fit")))
	poll(t, ctx, `document.querySelector('#zoom-label').textContent === 'whole address space'`, 5*time.Second)

	// Search and filter the table.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("entry-search"), "r-x"))
	poll(t, ctx, `document.querySelector('#entries-count').textContent.startsWith('1 of 3')`, 5*time.Second)

	// The fork scenario on every tab, light and dark, for the README.
	do(t, ctx, chromedp.Navigate(base+"?s=01-fork-cow-collapse&step=9&welcome=0"))
	poll(t, ctx, drawnJS+` && document.querySelector('#tl-pos').textContent.startsWith('9 /')`, 30*time.Second)
	for _, tab := range []string{"objects", "pages", "processes", "entries"} {
		do(t, ctx, chromedp.Click(chromedp.ID("tab-"+tab)))
		want := map[string]string{"objects": "#object-graph g.gobject", "pages": "#page-grid g.page", "processes": "#side-by-side g.page", "entries": "#entries-list .tr"}[tab]
		poll(t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length >= 2`, want), 5*time.Second)
		if tab == "objects" {
			if !eval[bool](t, ctx, `[...document.querySelectorAll('#object-graph text')].some(e => e.textContent.includes('shared'))`) {
				t.Error("the object graph does not mark the shared object")
			}
			shot(t, ctx, shots, "fork-cow-objects-light.png")
		}
		if tab == "processes" {
			shot(t, ctx, shots, "fork-cow-processes-light.png")
		}
	}
	// Step into the child's exit: the collapse shows as a ghost object.
	do(t, ctx, chromedp.Click(chromedp.ID("tab-objects")), chromedp.Click(chromedp.ID("tl-row-10")))
	poll(t, ctx, `!!document.querySelector('#object-graph g.ghost') && document.querySelector('#current-changes').textContent.includes('collapsed')`, 5*time.Second)
	shot(t, ctx, shots, "collapse-light.png")
	do(t, ctx, chromedp.Click(chromedp.ID("tl-row-9")))
	eval[bool](t, ctx, `(document.activeElement.blur(), true)`)
	do(t, ctx, chromedp.Click(chromedp.ID("btn-theme")))
	poll(t, ctx, `document.documentElement.dataset.theme === 'dark'`, 5*time.Second)
	shot(t, ctx, shots, "fork-cow-objects-dark.png")
	do(t, ctx, chromedp.Click(chromedp.ID("btn-theme")))

	// Share: the link reproduces the state.
	do(t, ctx, chromedp.Click(chromedp.ID("btn-share")))
	poll(t, ctx, `!!document.querySelector('#share-link')`, 5*time.Second)
	link := eval[string](t, ctx, `document.querySelector('#share-link').value`)
	if !strings.Contains(link, "s=01-fork-cow-collapse") || !strings.Contains(link, "step=9") {
		t.Errorf("share link %q", link)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("share-close")))
	// The dialog must be gone before the next click, or the click lands
	// on it (a flake seen once in ~15 runs).
	poll(t, ctx, `!document.querySelector('#share-link')`, 5*time.Second)

	// A trace the server offers (-traces).
	do(t, ctx, chromedp.Click(chromedp.ID("btn-library")))
	poll(t, ctx, `[...document.querySelectorAll('#library .lib-title')].some(e => e.textContent === 'served.scn')`, 10*time.Second)
	eval[bool](t, ctx, `([...document.querySelectorAll('#library button.lib-item')].find(e => e.textContent.includes('served.scn')).click(), true)`)
	poll(t, ctx, `document.querySelector('#source-name').textContent === 'served.scn'`, 10*time.Second)

	// Embed mode: only the diagram and the step control.
	do(t, ctx, chromedp.Navigate(base+"?s=02-mprotect-split-merge&step=2&embed=1"))
	poll(t, ctx, drawnJS+` && !!document.querySelector('#stepcontrol')`, 30*time.Second)
	if eval[bool](t, ctx, `!!document.querySelector('#timeline') || !!document.querySelector('#console') || !!document.querySelector('header')`) {
		t.Error("embed mode shows more than the diagram")
	}
	do(t, ctx, chromedp.Click(chromedp.ID("embed-next")))
	poll(t, ctx, `document.querySelector('#step-label').textContent.startsWith('3 /')`, 5*time.Second)

	// A phone-width layout, dark.
	phone := browser(t, 600, 900)
	do(t, phone, chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"?s=01-fork-cow-collapse&step=9&welcome=0&theme=dark"))
	poll(t, phone, drawnJS, 60*time.Second)
	if w := eval[float64](t, phone, `document.documentElement.scrollWidth`); w > 400 {
		t.Errorf("phone layout is %v px wide", w)
	}
	shot(t, phone, shots, "phone-dark.png")
	t.Logf("screenshots in %s", shots)
}

// stracelike is a small strace -f log with pids and timestamps.
const stracelike = `4242 1700000000.000001 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x800400000
4242 1700000000.000002 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>
4242 1700000000.000003 <... mmap resumed>) = 0x800402000
4242 1700000000.000004 read(3, "x", 1) = 1
4242 1700000000.000005 mprotect(0x800400000, 4096, PROT_READ|PROT_EXEC) = 0
4242 1700000000.000006 munmap(0x800402000, 4096) = 0
4242 1700000000.000007 mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x800402000
4242 1700000000.000008 madvise(0x800400000, 4096, MADV_WILLNEED) = 0
`

// The browser benchmarks. Each reports its figures with ReportMetric and,
// with VMSCOPE_BENCH_MD=1, writes them into BENCHMARKS.md.

// BenchmarkBrowserFirstDiagram measures opening the page in a fresh
// browser profile until the diagram is drawn.
func BenchmarkBrowserFirstDiagram(b *testing.B) {
	base := serve(b, "")
	var times []float64
	for i := 0; i < b.N; i++ {
		ctx := browser(b, 1280, 720)
		t0 := time.Now()
		do(b, ctx, chromedp.Navigate(base+"?welcome=0"))
		poll(b, ctx, drawnJS, 60*time.Second)
		times = append(times, float64(time.Since(t0).Microseconds())/1000)
		if i == 0 {
			raw := eval[float64](b, ctx, `performance.getEntriesByType('resource').filter(e => e.name.endsWith('/web/app.wasm'))[0].decodedBodySize`)
			wire := eval[float64](b, ctx, `performance.getEntriesByType('resource').filter(e => e.name.endsWith('/web/app.wasm'))[0].encodedBodySize`)
			b.ReportMetric(raw, "wasm-raw-bytes")
			b.ReportMetric(wire, "wasm-wire-bytes")
			benchRow("wasm transfer size", fmt.Sprintf("%.2f MB raw, %.2f MB brotli on the wire", raw/1e6, wire/1e6), "reported")
		}
	}
	med := median(times)
	b.ReportMetric(med, "ms-first-diagram")
	benchRow("first diagram after opening the page (fresh profile, localhost)", fmt.Sprintf("median %.0f ms of %d", med, len(times)), verdict(med < 2000))
}

// openTrace loads text as a file through the file input and waits until
// it is replayed.
func openTrace(b *testing.B, ctx context.Context, name, text string, timeout time.Duration) time.Duration {
	path := filepath.Join(b.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	do(b, ctx, chromedp.SetUploadFiles(chromedp.ID("file-input"), []string{path}))
	poll(b, ctx, fmt.Sprintf(`document.querySelector('#source-name').textContent === %q && document.querySelector('#shell').dataset.loading === 'false'`, name), timeout)
	return time.Since(t0)
}

// BenchmarkBrowserMap65530 draws a map of 65,530 entries (Linux's default
// vm.max_map_count): the whole diagram after a seek, then zoom and pan
// frames from wheel events.
func BenchmarkBrowserMap65530(b *testing.B) {
	base := serve(b, "")
	ctx := browser(b, 1280, 720)
	do(b, ctx, chromedp.Navigate(base+"?welcome=0"))
	poll(b, ctx, drawnJS, 60*time.Second)
	load := openTrace(b, ctx, "map65530.scn", vmapp.ManyEntries(65530), 300*time.Second)
	if n := eval[int](b, ctx, `parseInt(document.querySelector('#entries-count').textContent)`); n != 65530 {
		b.Fatalf("the map has %d entries", n)
	}
	var draw, full, zoom, pan []float64
	for i := 0; i < b.N; i++ {
		// Seek away and back: engine + snapshot + layout + paint.
		for _, x := range []string{"0.5", "1"} {
			eval[bool](b, ctx, `(() => { const c = document.querySelector('#plots'); const r = c.getBoundingClientRect();
				for (const t of ['pointerdown', 'pointerup']) c.dispatchEvent(new PointerEvent(t, {bubbles: true, button: 0, clientX: r.left + r.width*`+x+` - 0.5, clientY: r.top + 10}));
				return true })()`)
		}
		v := eval[map[string]float64](b, ctx, `window.vmscope`)
		draw = append(draw, v["layoutMs"]+v["paintMs"])
		full = append(full, v["seekMs"])
		zoom = append(zoom, wheelFrames(b, ctx, false)...)
		pan = append(pan, wheelFrames(b, ctx, true)...)
	}
	b.ReportMetric(median(draw), "ms-draw")
	b.ReportMetric(median(full), "ms-seek+draw")
	b.ReportMetric(median(zoom), "ms/zoom-frame")
	b.ReportMetric(maxOf(pan), "ms/pan-frame-max")
	benchRow("65,530-entry map drawn (axis layout + canvas paint)", fmt.Sprintf("median %.1f ms; with the engine seek and view model %.0f ms; file loaded in %.1f s", median(draw), median(full), load.Seconds()), verdict(median(draw) < 200))
	benchRow("65,530-entry map zoomed (wheel event to painted frame)", fmt.Sprintf("median %.2f ms, max %.2f ms per frame", median(zoom), maxOf(zoom)), verdict(maxOf(zoom) < 16))
	benchRow("65,530-entry map panned (wheel event to painted frame)", fmt.Sprintf("median %.2f ms, max %.2f ms per frame", median(pan), maxOf(pan)), verdict(maxOf(pan) < 16))
}

// wheelFrames sends 30 wheel events to the bar (zoom in then out, or pan)
// and returns how long each took to handle and paint, in ms.
func wheelFrames(b *testing.B, ctx context.Context, pan bool) []float64 {
	js := `(() => { const c = document.querySelector('#bar'); const r = c.getBoundingClientRect(); const out = [];
		for (let i = 0; i < 30; i++) {
			const dy = ` + map[bool]string{true: "(i < 15 ? 120 : -120)", false: "(i < 15 ? -240 : 240)"}[pan] + `;
			const t0 = performance.now();
			c.dispatchEvent(new WheelEvent('wheel', {bubbles: true, cancelable: true, deltaY: dy, shiftKey: ` + fmt.Sprint(pan) + `, clientX: r.left + r.width*0.6, clientY: r.top + 20}));
			out.push(performance.now() - t0);
		}
		return out })()`
	return eval[[]float64](b, ctx, js)
}

// BenchmarkBrowserSeekMillion loads a 1,000,000-event trace and seeks to
// spread-out events by scrubbing the plot.
func BenchmarkBrowserSeekMillion(b *testing.B) {
	base := serve(b, "")
	ctx := browser(b, 1280, 720)
	do(b, ctx, chromedp.Navigate(base+"?welcome=0"))
	poll(b, ctx, drawnJS, 60*time.Second)
	load := openTrace(b, ctx, "million.scn", vmapp.MillionTrace(1000000), 900*time.Second)
	if n := eval[int](b, ctx, `window.vmscope.events`); n != 1000000 {
		b.Fatalf("%d events loaded", n)
	}
	var seeks []float64
	for i := 0; i < b.N; i++ {
		for k := 1; k <= 20; k++ {
			x := float64((k*7)%20)/20 + 0.013
			eval[bool](b, ctx, fmt.Sprintf(`(() => { const c = document.querySelector('#plots'); const r = c.getBoundingClientRect();
				for (const t of ['pointerdown', 'pointerup']) c.dispatchEvent(new PointerEvent(t, {bubbles: true, button: 0, clientX: r.left + r.width*%g, clientY: r.top + 10}));
				return true })()`, x))
			seeks = append(seeks, eval[float64](b, ctx, `window.vmscope.seekMs`))
		}
	}
	b.ReportMetric(median(seeks), "ms-seek")
	b.ReportMetric(maxOf(seeks), "ms-seek-max")
	b.ReportMetric(load.Seconds(), "s-load")
	benchRow("seek in a 1,000,000-event trace (checkpoint clone + replay + view model + paint)", fmt.Sprintf("median %.1f ms, max %.1f ms over %d seeks; the %.0f MB file loads in %.0f s", median(seeks), maxOf(seeks), len(seeks), float64(len(vmapp.MillionTrace(1000000)))/1e6, load.Seconds()), verdict(maxOf(seeks) < 100))
}

// median returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// maxOf returns the largest of xs.
func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		if x > m {
			m = x
		}
	}
	return m
}

// verdict says whether a budget holds.
func verdict(ok bool) string {
	if ok {
		return "within budget"
	}
	return "OVER BUDGET"
}

var benchMu sync.Mutex

// benchRow records one result line in BENCHMARKS.md's "Browser" section
// (when VMSCOPE_BENCH_MD is set), replacing the line with the same
// measure. The file is re-read right before writing: other sections
// belong to others.
func benchRow(measure, result, budget string) {
	if os.Getenv("VMSCOPE_BENCH_MD") == "" {
		return
	}
	benchMu.Lock()
	defer benchMu.Unlock()
	const head = "## Browser"
	intro := head + "\n\nMeasured in headless Chromium with chromedp by `make bench-browser` (`go test -run '^$' -bench Browser -benchtime 3x .`),\n" +
		"against `vmscope serve`'s handler on a loopback port; " + runtime.GOOS + "/" + runtime.GOARCH + ", " + fmt.Sprint(runtime.NumCPU()) + " cores.\n" +
		"Times inside the page come from `performance.now()` around the work (published on `window.vmscope`).\n\n" +
		"| measure | result | budget |\n|---|---|---|\n"
	b, _ := os.ReadFile("BENCHMARKS.md")
	text := string(b)
	start := strings.Index(text, head+"\n")
	var before, section, after string
	if start < 0 {
		before, section = strings.TrimRight(text, "\n")+"\n\n", intro
	} else {
		before = text[:start]
		rest := text[start:]
		end := strings.Index(rest[len(head):], "\n## ")
		if end < 0 {
			section = rest
		} else {
			section, after = rest[:len(head)+end+1], rest[len(head)+end+1:]
		}
	}
	var rows []string
	for _, l := range strings.Split(section, "\n") {
		if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| measure") && !strings.HasPrefix(l, "|---") &&
			!strings.HasPrefix(l, "| "+measure+" |") {
			rows = append(rows, l)
		}
	}
	rows = append(rows, "| "+measure+" | "+result+" | "+budget+" |")
	section = intro + strings.Join(rows, "\n") + "\n\n_Last run: " + time.Now().UTC().Format("2006-01-02 15:04 UTC") + "._\n"
	if after != "" {
		section += "\n"
	}
	out := before + section + after
	os.WriteFile("BENCHMARKS.md", []byte(out), 0o644)
}

var _ = io.Discard
