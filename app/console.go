package app

import (
	"sort"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"vmscope/vmengine"
)

// pseudoCalls are the engine's own calls (not system calls) the console
// completes.
var pseudoCalls = []string{"touch", "peek", "entries", "prot", "maxprot", "inherit", "wired", "depth", "objref",
	"resident", "fork", "thread", "exit", "openat", "ftruncate", "write", "pwrite64", "close", "setrlimit", "prlimit64"}

// consoleCommands are the console's own commands.
var consoleCommands = []string{"help", "clear", "maps", "procstat", "reset"}

// Console takes the scenario syntax one line at a time: each line becomes
// an event of the timeline (branching it when the timeline is not at its
// end), with history (↑/↓) and completion (Tab) of call names, flag names
// and variables.
type Console struct {
	app.Compo
	S *Shell
	V int

	input   string
	histPos int
	choices []string
}

// Render draws the output and the input line.
func (c *Console) Render() app.UI {
	s := c.S
	out := s.conOut
	if len(out) > 200 {
		out = out[len(out)-200:]
	}
	var lines []app.UI
	if len(out) == 0 {
		lines = append(lines, app.Div().Class("con-line", "info").Text(
			"Type a system call as strace prints it, e.g. mmap(NULL, 2*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $a — then touch($a, P, \"w\"), fork() = $c, mprotect($a, P, PROT_READ). Tab completes, ↑ recalls, \"help\" lists commands."))
	}
	for _, l := range out {
		body := []app.UI{app.Span().Text(l.Text)}
		if l.Why != "" {
			body = append(body, app.Div().Class("con-why").Text("why: "+l.Why))
		}
		lines = append(lines, app.Div().Class("con-line", l.Kind).Body(body...))
	}
	var choices app.UI
	if len(c.choices) > 0 {
		var items []app.UI
		for _, ch := range c.choices {
			ch := ch
			items = append(items, app.Button().Class("choice").Text(ch).OnClick(func(ctx app.Context, e app.Event) {
				c.setInput(replaceToken(c.input, ch))
				c.choices = nil
				ctx.Defer(func(app.Context) { focusID("console-input") })
			}, app.EventScope(ch)))
		}
		choices = app.Div().ID("console-choices").Class("choices").Aria("label", "completions").Body(items...)
	}
	return app.Section().ID("console").Class("card", "console").Aria("label", "console").Body(
		app.Div().Class("toolbar").Body(
			app.H2().Class("card-title").Text("Console"),
			app.Span().Class("muted").Text("scenario syntax, one line at a time"),
		),
		app.Div().ID("console-out").Class("con-out").Aria("live", "polite").Body(lines...),
		app.If(choices != nil, func() app.UI { return choices }),
		app.Div().Class("con-in").Body(
			app.Span().Class("prompt").Aria("hidden", true).Text("›"),
			app.Input().ID("console-input").Type("text").Class("con-input").Value(c.input).
				AutoComplete(false).Spellcheck(false).
				Placeholder("mmap(NULL, P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $a").
				Aria("label", "console: type a system call in strace syntax and press Enter").
				OnInput(func(ctx app.Context, e app.Event) {
					c.input = ctx.JSSrc().Get("value").String()
					c.choices = nil
				}).
				OnKeyDown(c.onKey),
			app.Button().ID("console-run").Text("Run").Aria("label", "run the line").
				OnClick(func(ctx app.Context, e app.Event) { c.run(ctx) }),
		),
	)
}

// onKey handles Enter, Tab and the history keys.
func (c *Console) onKey(ctx app.Context, e app.Event) {
	switch e.Get("key").String() {
	case "Enter":
		e.PreventDefault()
		c.input = ctx.JSSrc().Get("value").String()
		c.run(ctx)
	case "Tab":
		e.PreventDefault()
		c.input = ctx.JSSrc().Get("value").String()
		c.complete()
		c.setInput(c.input)
		ctx.Update()
	case "ArrowUp":
		e.PreventDefault()
		c.history(-1)
		c.setInput(c.input)
		ctx.Update()
	case "ArrowDown":
		e.PreventDefault()
		c.history(1)
		c.setInput(c.input)
		ctx.Update()
	}
}

// setInput sets the input line, in the component and in the page (the
// virtual DOM does not see what the user typed).
func (c *Console) setInput(v string) {
	c.input = v
	app.Window().GetElementByID("console-input").Set("value", v)
}

// run executes the input line.
func (c *Console) run(ctx app.Context) {
	line := c.input
	c.setInput("")
	c.choices = nil
	c.S.consoleRun(ctx, line)
	c.histPos = len(c.S.conHist)
	ctx.Defer(func(app.Context) { focusID("console-input") })
}

// history moves through earlier lines (d = -1 older, +1 newer).
func (c *Console) history(d int) {
	h := c.S.conHist
	c.histPos += d
	if c.histPos < 0 {
		c.histPos = 0
	}
	if c.histPos >= len(h) {
		c.histPos = len(h)
		c.input = ""
		return
	}
	c.input = h[c.histPos]
}

// complete completes the word before the end of the input.
func (c *Console) complete() {
	cands := completions(c.S, c.input)
	c.choices = nil
	switch len(cands) {
	case 0:
		return
	case 1:
		c.input = replaceToken(c.input, cands[0])
		return
	}
	c.input = replaceToken(c.input, commonPrefix(cands))
	if len(cands) > 40 {
		cands = cands[:40]
	}
	c.choices = cands
}

// tokenStart returns where the word at the end of s begins.
func tokenStart(s string) int {
	i := len(s)
	for i > 0 {
		ch := s[i-1]
		if ch == '_' || ch == '$' || ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' {
			i--
			continue
		}
		break
	}
	return i
}

// replaceToken replaces the word at the end of s with w.
func replaceToken(s, w string) string { return s[:tokenStart(s)] + w }

// completions lists the names that complete the word at the end of input:
// variables after '$', call names before the first '(', flag names after.
func completions(s *Shell, input string) []string {
	i := tokenStart(input)
	tok := input[i:]
	before := input[:i]
	var pool []string
	switch {
	case strings.HasPrefix(tok, "$"):
		if s.pos.R != nil {
			for v := range s.pos.R.Vars() {
				pool = append(pool, "$"+v)
			}
		}
	case !strings.Contains(before, "("):
		pool = append(pool, pseudoCalls...)
		if strings.TrimSpace(before) == "" {
			pool = append(pool, consoleCommands...)
		}
		if s.pos.R != nil {
			calls, _ := s.pos.R.Pers.Names()
			pool = append(pool, calls...)
		}
	default:
		pool = append(pool, "NULL", "P")
		if s.pos.R != nil {
			_, consts := s.pos.R.Pers.Names()
			pool = append(pool, consts...)
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range pool {
		if strings.HasPrefix(n, tok) && !seen[n] && tok != "" {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// commonPrefix returns the longest prefix of every string.
func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// consoleRun runs one console line: a console command, or a line of the
// scenario syntax appended to the timeline (cut at the current step when
// it is not the end), then shown with its result and the reason for an
// error.
func (s *Shell) consoleRun(ctx app.Context, line string) {
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	s.conHist = append(s.conHist, line)
	s.conOut = append(s.conOut, conLine{Kind: "in", Text: "› " + line})
	fields := strings.Fields(line)
	switch fields[0] {
	case "help":
		s.conOut = append(s.conOut, conLine{Kind: "info", Text: "Lines: [PID|$var] call(args) [= expected]. Engine calls: " + strings.Join(pseudoCalls, ", ") +
			". Directives: @personality freebsd|freebsd6, @set NAME N. Commands: clear, maps [PID], procstat [PID], reset [freebsd|freebsd6]. P is the page size; flags combine with |."})
		s.changed(ctx)
		return
	case "clear":
		s.conOut = nil
		s.changed(ctx)
		return
	case "maps", "procstat":
		s.conOut = append(s.conOut, conLine{Kind: "ok", Text: s.printMaps(fields)})
		s.changed(ctx)
		return
	case "reset":
		pers := ""
		if len(fields) > 1 {
			pers = fields[1]
			if _, err := vmengine.PersonalityByName(pers); err != nil {
				s.conOut = append(s.conOut, conLine{Kind: "err", Text: err.Error()})
				s.changed(ctx)
				return
			}
		}
		s.adopt(NewSession("console", pers), srcConsole, "console", 0)
		s.conOut = append(s.conOut, conLine{Kind: "info", Text: "New empty machine (" + s.pos.R.Pers.Name() + ")."})
		s.changed(ctx)
		return
	}
	if s.sess == nil {
		s.adopt(NewSession("console", ""), srcConsole, "console", 0)
	}
	if s.pos.Step < s.sess.Len() {
		s.conOut = append(s.conOut, conLine{Kind: "info", Text: "Branched at event " + itoa(s.pos.Step) + ": the " + itoa(s.sess.Len()-s.pos.Step) + " later event(s) were dropped."})
		s.sess.Truncate(s.pos.Step)
	}
	if s.srcKind == srcScenario || s.srcKind == srcTrace {
		s.srcKind = srcConsole
		s.srcName += " (edited)"
	}
	n := s.sess.AppendLine(line)
	s.setPlaying(ctx, false)
	if n == 0 {
		s.conOut = append(s.conOut, conLine{Kind: "ok", Text: "ok"})
		s.seek(ctx, s.sess.Len())
		return
	}
	s.seekNow(s.sess.Len())
	st := s.sess.Step(s.sess.Len())
	switch {
	case st.Err != "" && !st.Failed:
		s.conOut = append(s.conOut, conLine{Kind: "err", Text: st.Err})
	default:
		why := ""
		if s.pos.Event != nil {
			why = s.pos.Event.Result.Why
		}
		if why == "" {
			why = errnoHint(st.Errno, st.Signal.String())
		}
		kind := "ok"
		if st.Errno != "" || st.Signal != 0 {
			kind = "errno"
		}
		text := "= " + st.ResultText()
		if st.Failed {
			kind = "fail"
			text += "   ✗ " + st.Err
		}
		if sum := changeSummary(s.snap); sum != "" {
			text += "   (" + sum + ")"
		}
		s.conOut = append(s.conOut, conLine{Kind: kind, Text: text, Why: why})
	}
	s.afterSeek(ctx)
}

// printMaps renders "maps [PID]" or "procstat [PID]" for the console.
func (s *Shell) printMaps(fields []string) string {
	if s.pos.R == nil {
		return "(no state)"
	}
	e := s.pos.R.Eng
	var b strings.Builder
	for _, p := range e.Processes() {
		if len(fields) > 1 && fields[1] != itoa(p.PID) {
			continue
		}
		b.WriteString("# pid " + itoa(p.PID) + "\n")
		if fields[0] == "procstat" {
			b.WriteString(e.FormatProcstat(p))
		} else {
			b.WriteString(e.FormatMaps(p))
		}
	}
	if b.Len() == 0 {
		return "(no such process)"
	}
	return strings.TrimRight(b.String(), "\n")
}
