package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"vmscope/static"
)

// Library is the dialog listing the scenario library (and the traces the
// server offers).
type Library struct {
	app.Compo
	S *Shell
	V int
}

// Render draws the list; choosing a scenario opens it.
func (c *Library) Render() app.UI {
	s := c.S
	var items []app.UI
	for _, sc := range static.Scenarios() {
		sc := sc
		cls := "lib-item"
		if s.srcKind == srcScenario && s.srcName == sc.Name {
			cls += " current"
		}
		items = append(items, app.Li().Body(
			app.Button().Class(cls).ID("lib-"+sc.Name).Title(sc.About).
				OnClick(func(ctx app.Context, e app.Event) {
					s.loadScenario(ctx, sc.Name, -1)
					s.overlay = ""
					s.changed(ctx)
				}, app.EventScope(sc.Name)).Body(
				app.Span().Class("lib-title").Text(sc.Title),
				app.Span().Class("lib-about").Text(sc.About),
				app.Span().Class("lib-name").Text(sc.Name+".scn"),
			),
		))
	}
	var traces []app.UI
	for _, t := range s.traces {
		t := t
		traces = append(traces, app.Li().Body(app.Button().Class("lib-item").Title("replay "+t).
			OnClick(func(ctx app.Context, e app.Event) { s.loadTrace(ctx, t, -1); s.changed(ctx) }, app.EventScope(t)).
			Body(app.Span().Class("lib-title").Text(t))))
	}
	return dialog("library", "Scenario library", func(ctx app.Context) { s.closeOverlay(ctx) },
		app.P().Class("muted").Text("Each scenario is a short script in strace's syntax that shows one kernel mechanism. It opens at its most interesting step; step with ← and →."),
		app.Ul().ID("library-list").Class("lib-list").Body(items...),
		app.If(len(traces) > 0, func() app.UI {
			return app.Div().Body(app.H3().Text("Traces on this server"), app.Ul().Class("lib-list").Body(traces...))
		}),
	)
}

// dialog wraps content in a modal dialog with a title and a close button.
func dialog(id, title string, onClose func(app.Context), content ...app.UI) app.UI {
	return app.Div().Class("overlay").ID(id + "-overlay").OnClick(func(ctx app.Context, e app.Event) {
		if e.Get("target").Get("id").String() == id+"-overlay" {
			onClose(ctx)
		}
	}).Body(
		app.Div().ID(id).Class("dialog").Role("dialog").Aria("modal", true).Aria("labelledby", id+"-title").Body(
			app.Div().Class("dialog-head").Body(
				app.H2().ID(id+"-title").Text(title),
				app.Button().Class("close").ID(id+"-close").Aria("label", "close").Text("×").
					OnClick(func(ctx app.Context, e app.Event) { onClose(ctx) }),
			),
			app.Div().Class("dialog-body").Body(content...),
		),
	)
}
