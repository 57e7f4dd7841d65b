package app

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// SharePanel offers the state as a link and an embed snippet, and exports
// the diagram (SVG, PNG), the maps (/proc/PID/maps text), procstat rows
// and JSON.
type SharePanel struct {
	app.Compo
	S *Shell
	V int

	copied string
}

// shareURL returns the link to the current state (origin from the page).
func (s *Shell) shareURL(embed bool) (string, bool) {
	old := s.embed
	s.embed = embed
	q, fits := s.ShareQuery()
	s.embed = old
	base := pageURL()
	if i := strings.IndexAny(base, "?#"); i >= 0 {
		base = base[:i]
	}
	return base + "?" + q, fits
}

// Render draws the link, the embed code and the export buttons.
func (c *SharePanel) Render() app.UI {
	s := c.S
	link, fits := s.shareURL(false)
	embed, _ := s.shareURL(true)
	snippet := `<iframe src="` + embed + `" width="900" height="240" style="border:0" title="vmscope diagram"></iframe>`
	warn := app.UI(app.Span())
	if !fits {
		warn = app.P().Class("err").Text("This source is too large to carry in a link: the link keeps the step, zoom and selection but the trace must be opened again.")
	}
	return dialog("share", "Share and export", func(ctx app.Context) { s.closeOverlay(ctx) },
		app.Label().For("share-link").Text("Link to this step, zoom and selection"),
		app.Div().Class("share-row").Body(
			app.Input().ID("share-link").Type("text").ReadOnly(true).Value(link).Aria("label", "link"),
			app.Button().ID("copy-link").Text(map[bool]string{true: "copied", false: "copy"}[c.copied == "link"]).
				OnClick(func(ctx app.Context, e app.Event) { copyText(link); c.copied = "link" }, app.EventScope(link)),
		),
		warn,
		app.Label().For("share-embed").Text("Embed: the diagram and a step control only (?embed=1)"),
		app.Div().Class("share-row").Body(
			app.Textarea().ID("share-embed").ReadOnly(true).Rows(3).Text(snippet).Aria("label", "embed code"),
			app.Button().ID("copy-embed").Text(map[bool]string{true: "copied", false: "copy"}[c.copied == "embed"]).
				OnClick(func(ctx app.Context, e app.Event) { copyText(snippet); c.copied = "embed" }, app.EventScope(snippet)),
		),
		app.H3().Text("Export"),
		app.Div().Class("export-row").Body(
			app.Button().ID("export-svg").Title("the address-space diagram as it is zoomed now, as SVG").Text("Diagram (SVG)").
				OnClick(func(ctx app.Context, e app.Event) { s.exportSVG() }),
			app.Button().ID("export-png").Title("the address-space diagram as PNG").Text("Diagram (PNG)").
				OnClick(func(ctx app.Context, e app.Event) { s.exportPNG() }),
			app.Button().ID("export-maps").Title("every process's map as /proc/PID/maps lines").Text("/proc/PID/maps").
				OnClick(func(ctx app.Context, e app.Event) { s.exportText("maps") }),
			app.Button().ID("export-procstat").Title("every process's map as FreeBSD procstat -v rows").Text("procstat -v").
				OnClick(func(ctx app.Context, e app.Event) { s.exportText("procstat") }),
			app.Button().ID("export-json").Title("the state of every process as JSON").Text("JSON").
				OnClick(func(ctx app.Context, e app.Event) { s.exportText("json") }),
			app.Button().ID("export-source").Title("the events so far in the scenario syntax (a file vmscope check and replay read)").Text("Source (.scn)").
				OnClick(func(ctx app.Context, e app.Event) { s.exportText("source") }),
		),
	)
}

// exportName returns a file name base for exports.
func (s *Shell) exportName() string {
	n := s.srcName
	if i := strings.LastIndexAny(n, "/\\"); i >= 0 {
		n = n[i+1:]
	}
	n = strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(n)
	if n == "" {
		n = "vmscope"
	}
	return n + "-step" + itoa(s.pos.Step)
}

// diagramSVG renders the current diagram as SVG.
func (s *Shell) diagramSVG() (string, float64, float64) {
	if s.bar == nil {
		return "", 0, 0
	}
	b := *s.bar
	b.Hover = EntryRef{}
	if b.W < 600 {
		b.W = 600
	}
	title := "vmscope · " + s.srcName + " · step " + itoa(s.pos.Step)
	if s.pos.Step > 0 && s.sess != nil {
		title += ": " + clip(s.sess.Text(s.pos.Step), 90)
	}
	out := ExportSVG(&b, title)
	return out, b.W, b.Height() + 64
}

// exportSVG downloads the diagram as SVG.
func (s *Shell) exportSVG() {
	out, _, _ := s.diagramSVG()
	download(s.exportName()+".svg", "image/svg+xml", []byte(out))
}

// exportPNG downloads the diagram as PNG.
func (s *Shell) exportPNG() {
	out, w, h := s.diagramSVG()
	downloadPNG(s.exportName()+".png", out, w, h)
}

// ExportText returns the state as "maps", "procstat", "json" or the
// "source" text.
func (s *Shell) ExportText(kind string) string {
	if kind == "source" {
		if s.sess == nil {
			return ""
		}
		return s.sess.Source()
	}
	if s.pos.R == nil {
		return ""
	}
	e := s.pos.R.Eng
	var b strings.Builder
	procs := e.Processes()
	if kind == "json" {
		b.WriteString("[\n")
	}
	for i, p := range procs {
		switch kind {
		case "json":
			b.WriteString(strings.TrimRight(e.FormatJSON(p), "\n"))
			if i < len(procs)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		case "procstat":
			if i == 0 {
				b.WriteString(e.FormatProcstat(p))
			} else {
				t := e.FormatProcstat(p)
				if j := strings.IndexByte(t, '\n'); j >= 0 {
					t = t[j+1:]
				}
				b.WriteString(t)
			}
		default:
			b.WriteString("# pid " + itoa(p.PID) + "\n" + e.FormatMaps(p))
		}
	}
	if kind == "json" {
		b.WriteString("]\n")
	}
	return b.String()
}

// exportText downloads one of the text exports.
func (s *Shell) exportText(kind string) {
	ext := map[string]string{"maps": ".maps.txt", "procstat": ".procstat.txt", "json": ".json", "source": ".scn"}[kind]
	mime := "text/plain"
	if kind == "json" {
		mime = "application/json"
	}
	download(s.exportName()+ext, mime, []byte(s.ExportText(kind)))
}
