//go:build !wasm

package app

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// load mounts a shell in a native test engine.
func load(t *testing.T) (*Shell, app.TestEngine) {
	t.Helper()
	e := app.NewTestEngine()
	s := &Shell{}
	if err := e.Load(s); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	if s.sess == nil || s.snap == nil {
		t.Fatal("no session after mount")
	}
	return s, e
}

// TestShellRendersEveryView mounts the page: the default scenario opens at
// its most populated step (both processes alive) and every view renders
// its parts.
func TestShellRendersEveryView(t *testing.T) {
	s, e := load(t)
	if got := len(s.snap.Procs); got != 2 {
		t.Fatalf("default scenario at step %d shows %d processes, want 2", s.pos.Step, got)
	}
	html := app.HTMLString(s)
	for _, want := range []string{`id="bar"`, `id="tl-list"`, `id="console-input"`, `id="entries-table"`, "Fork and copy-on-write", `id="legend"`, "pid 101"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, tab := range []string{"objects", "pages", "processes"} {
		s.setTab(s.ctx, tab)
		e.ConsumeAll()
		html = app.HTMLString(s)
		want := map[string]string{"objects": `id="object-graph"`, "pages": `id="page-grid"`, "processes": `id="side-by-side"`}[tab]
		if !strings.Contains(html, want) {
			t.Errorf("tab %s lacks %s", tab, want)
		}
	}
	if !strings.Contains(html, "frame ") {
		t.Error("side-by-side view names no frames")
	}
}

// TestShellStepAndSeek steps with the keyboard and seeks.
func TestShellStepAndSeek(t *testing.T) {
	s, e := load(t)
	start := s.pos.Step
	s.onKey(s.ctx, "ArrowLeft")
	e.ConsumeAll()
	if s.pos.Step != start-1 {
		t.Fatalf("← from %d gave %d", start, s.pos.Step)
	}
	s.onKey(s.ctx, "ArrowRight")
	e.ConsumeAll()
	if s.pos.Step != start {
		t.Fatalf("→ gave %d", s.pos.Step)
	}
	s.seek(s.ctx, 4)
	e.ConsumeAll()
	if s.pos.Step != 4 || s.sess.Step(4).Call != "fork" {
		t.Fatalf("seek 4: step %d call %q", s.pos.Step, s.sess.Step(4).Call)
	}
	if !s.snap.Procs[1].New {
		t.Error("the forked process is not marked new")
	}
	html := app.HTMLString(s)
	if !strings.Contains(html, "new process") {
		t.Error("the current event does not say a process was created")
	}
	s.onKey(s.ctx, "End")
	e.ConsumeAll()
	if s.pos.Step != s.sess.Len() {
		t.Fatal("End did not go to the end")
	}
}

// TestConsole runs good and bad lines: results, errno with the reason,
// errors that name the problem, completion and branching.
func TestConsole(t *testing.T) {
	s, e := load(t)
	s.seek(s.ctx, 2)
	e.ConsumeAll()
	s.consoleRun(s.ctx, "mmap(NULL, P, PROT_READ, MAP_PRIVATE|MAP_ANON, -1, 0) = $b")
	e.ConsumeAll()
	if s.pos.Step != 3 || s.sess.Len() != 3 {
		t.Fatalf("after branching at 2: step %d of %d", s.pos.Step, s.sess.Len())
	}
	s.consoleRun(s.ctx, "mprotect($b, P, PROT_READ|PROT_WRITE|PROT_EXEC)")
	s.consoleRun(s.ctx, "munmap($b, 3)")
	s.consoleRun(s.ctx, "mmap(NULL,, 1)")
	s.consoleRun(s.ctx, "frobnicate(1)")
	e.ConsumeAll()
	var kinds []string
	for _, l := range s.conOut {
		if l.Kind != "in" {
			kinds = append(kinds, l.Kind)
		}
	}
	got := strings.Join(kinds, ",")
	if !strings.HasSuffix(got, "ok,ok,ok,err,err") {
		t.Errorf("console kinds %s", got)
	}
	last := s.conOut[len(s.conOut)-1]
	if !strings.Contains(last.Text, "frobnicate") {
		t.Errorf("unknown call error does not name it: %q", last.Text)
	}
	if c := completions(s, "mpro"); len(c) == 0 || c[0] != "mprotect" {
		t.Errorf("completion of mpro: %v", c)
	}
	if c := completions(s, "mmap(NULL, P, PROT_RE"); len(c) != 1 || c[0] != "PROT_READ" {
		t.Errorf("completion of PROT_RE: %v", c)
	}
	if c := completions(s, "touch($"); len(c) < 2 {
		t.Errorf("completion of $: %v", c)
	}
	s.consoleRun(s.ctx, "maps")
	if !strings.Contains(s.conOut[len(s.conOut)-1].Text, "rw-p") {
		t.Errorf("maps prints %q", s.conOut[len(s.conOut)-1].Text)
	}
}

// TestOpenFileAndExports opens a trace file through the same chunked path
// the browser uses, then checks the exports.
func TestOpenFileAndExports(t *testing.T) {
	s, e := load(t)
	s.openText(s.ctx, "trace.log", ManyEntries(200))
	e.ConsumeAll()
	if s.srcKind != srcFile || s.sess.Len() != 101 {
		t.Fatalf("opened %s with %d events", s.srcKind, s.sess.Len())
	}
	if n := len(s.snap.Procs[0].Entries); n != 200 {
		t.Fatalf("%d entries, want 200", n)
	}
	svg, _, _ := s.diagramSVG()
	if !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<rect") < 20 {
		t.Errorf("svg export: %d rects", strings.Count(svg, "<rect"))
	}
	if m := s.ExportText("maps"); strings.Count(m, "\n") != 201 {
		t.Errorf("maps export has %d lines", strings.Count(m, "\n"))
	}
	if j := s.ExportText("json"); !strings.Contains(j, `"nentries": 200`) {
		t.Errorf("json export lacks nentries: %.200s", j)
	}
	q, fits := s.ShareQuery()
	if !fits || !strings.Contains(q, "src=") || !strings.Contains(q, "step=101") {
		t.Errorf("share query %q fits=%v", q, fits)
	}
	// The link reproduces the state.
	s2 := &Shell{}
	s2.start(s.ctx, mustURL("/?"+q))
	if s2.sess == nil || s2.sess.Len() != 101 || s2.pos.Step != 101 {
		t.Fatalf("link did not reproduce the state")
	}
	// A binary file is refused with a message.
	s.openFile(s.ctx, fileHandle{name: "x.bin", data: []byte{0, 1, 2, 0}})
	e.ConsumeAll()
	for i := 0; i < 50 && s.loading != nil; i++ {
		e.ConsumeAll()
	}
	if !strings.Contains(s.message, "binary") {
		t.Errorf("binary file message %q", s.message)
	}
}

// TestEmbed renders only the diagram and the step control.
func TestEmbed(t *testing.T) {
	s, e := load(t)
	s.start(s.ctx, mustURL("/?s=02-mprotect-split-merge&embed=1&step=2"))
	e.ConsumeAll()
	html := app.HTMLString(s)
	if !strings.Contains(html, `id="stepcontrol"`) || strings.Contains(html, `id="timeline"`) || strings.Contains(html, `id="console"`) {
		t.Error("embed mode shows more than the diagram and the step control")
	}
}
