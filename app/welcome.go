package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Welcome is the short first-visit overlay (and the help page): what the
// views are, how to drive them, the keyboard.
type Welcome struct {
	app.Compo
	S *Shell
	V int
}

// Render draws the overlay.
func (c *Welcome) Render() app.UI {
	s := c.S
	keys := []struct{ k, v string }{
		{"← →", "step back / forward"}, {"space", "play / pause"}, {"+ −  0", "zoom in / out / whole space (or the wheel; drag to pan)"},
		{"/", "search the entries"}, {"Home End", "first / last event"}, {"t", "light / dark"}, {"?", "this help"}, {"Esc", "close"},
	}
	var rows []app.UI
	for _, k := range keys {
		rows = append(rows, app.Tr().Body(app.Td().Body(app.Kbd().Text(k.k)), app.Td().Text(k.v)))
	}
	return dialog("welcome", "Watch virtual memory work", func(ctx app.Context) { s.closeOverlay(ctx) },
		app.P().Text("vmscope runs a faithful model of the FreeBSD kernel's virtual memory (vm_map, VM objects, shadow chains, page faults, fork) right in your browser, and replays system calls written as strace prints them."),
		app.Ul().Class("welcome-list").Body(
			app.Li().Body(app.Strong().Text("Address space"), app.Text(": each process is a row from its lowest to its highest address. Colours are kinds of memory, lighter means read-only; huge unmapped holes are folded, with their size written on them. Hover for the kernel concept, click to select, wheel to zoom down to single pages.")),
			app.Li().Body(app.Strong().Text("Timeline"), app.Text(": every system call with its result. Step through it; what each step changed is outlined in every view, and errors say which kernel rule was hit.")),
			app.Li().Body(app.Strong().Text("Entries, Objects, Pages, Processes"), app.Text(": the map entries as procstat -v shows them, the VM objects and shadow chains behind them (copy-on-write after fork), the pages of the selected entry, and the processes side by side.")),
			app.Li().Body(app.Strong().Text("Console"), app.Text(": type your own calls, e.g. mmap(NULL, 4*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $a. Or open an strace log (Open trace…, or drop a file).")),
		),
		app.Table().Class("keys").Aria("label", "keyboard shortcuts").Body(app.TBody().Body(rows...)),
		app.Div().Class("dialog-actions").Body(
			app.Button().ID("welcome-fork").Class("primary").Text("Show me fork and copy-on-write").
				OnClick(func(ctx app.Context, e app.Event) {
					s.loadScenario(ctx, "01-fork-cow-collapse", -1)
					s.tab = "objects"
					s.closeOverlay(ctx)
				}),
			app.Button().ID("welcome-library").Text("Browse the scenario library").
				OnClick(func(ctx app.Context, e app.Event) {
					storageSet("vmscope.welcomed", "1")
					s.overlay = "library"
					s.changed(ctx)
				}),
			app.Button().ID("welcome-close").Text("Close").
				OnClick(func(ctx app.Context, e app.Event) { s.closeOverlay(ctx) }),
		),
	)
}
