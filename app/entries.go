package app

import (
	"sort"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// entriesRowH is the table's row height in pixels (the CSS agrees).
const entriesRowH = 24

// entriesRows is how many rows are rendered around the visible ones.
const entriesRows = 36

// column is one column of the entries table.
type column struct {
	id, label, tip string
	num            bool
	key            func(e *EntryView) string
	sortKey        func(e *EntryView) uint64
}

// columns are procstat -v's (PID START END PRT RES PRES REF SHD FLAG TP
// PATH) plus max protection, inheritance, wiring, object and shadow depth.
var columns = []column{
	{"pid", "PID", "process id", true, func(e *EntryView) string { return itoa(e.PID) }, func(e *EntryView) uint64 { return uint64(e.PID) }},
	{"start", "START", "first address", true, func(e *EntryView) string { return hexAddr(e.Start) }, func(e *EntryView) uint64 { return e.Start }},
	{"end", "END", "address after the last byte", true, func(e *EntryView) string { return hexAddr(e.End) }, func(e *EntryView) uint64 { return e.End }},
	{"size", "SIZE", "length", true, func(e *EntryView) string { return sizeText(e.End - e.Start) }, func(e *EntryView) uint64 { return e.End - e.Start }},
	{"prt", "PRT", "protection (vm_map_entry.protection)", false, func(e *EntryView) string { return e.Prot.String() }, func(e *EntryView) uint64 { return uint64(e.Prot) }},
	{"max", "MAX", "max_protection: the most mprotect may grant (PROT_MAX)", false, func(e *EntryView) string { return e.MaxProt.String() }, func(e *EntryView) uint64 { return uint64(e.MaxProt) }},
	{"inh", "INH", "inheritance at fork (minherit): share, copy, none, zero", false, func(e *EntryView) string { return e.Inherit }, nil},
	{"wired", "WIRED", "wired_count: mlock and system wirings", true, func(e *EntryView) string { return itoa(e.Wired) }, func(e *EntryView) uint64 { return uint64(e.Wired) }},
	{"res", "RES", "resident pages in this process's page table", true, func(e *EntryView) string { return itoa(e.Resident) }, func(e *EntryView) uint64 { return uint64(e.Resident) }},
	{"ref", "REF", "the top object's reference count", true, func(e *EntryView) string { return itoa(e.ObjRef) }, func(e *EntryView) uint64 { return uint64(e.ObjRef) }},
	{"shd", "SHD", "objects shadowing the top object (shadow_count)", true, func(e *EntryView) string { return itoa(e.Shadows) }, func(e *EntryView) uint64 { return uint64(e.Shadows) }},
	{"depth", "DEPTH", "objects in the shadow chain (copy-on-write layers + the original)", true, func(e *EntryView) string { return itoa(e.Depth) }, func(e *EntryView) uint64 { return uint64(e.Depth) }},
	{"obj", "OBJ", "the top VM object (0: none yet)", true, func(e *EntryView) string {
		if e.Object == 0 {
			return "–"
		}
		return "#" + utoa(uint64(e.Object))
	}, func(e *EntryView) uint64 { return uint64(e.Object) }},
	{"flag", "FLAG", "procstat's flags: C copy-on-write, N needs copy, D grows down, W user-wired", false, procstatFlags, nil},
	{"tp", "TP", "object type: df default anon, sw swap-backed, vn vnode, dv device, gd guard, -- none", false, func(e *EntryView) string { return e.ObjType }, nil},
	{"path", "PATH", "file, or the kind of anonymous memory", false, func(e *EntryView) string { return e.Path }, nil},
	{"change", "THIS STEP", "what the current event did to the entry", false, func(e *EntryView) string { return e.Change.String() }, func(e *EntryView) uint64 { return uint64(e.Change) }},
}

// procstatFlags renders procstat -v's FLAG column.
func procstatFlags(e *EntryView) string {
	f := []byte("-----")
	if e.Flags&0x4 != 0 {
		f[0] = 'C'
	}
	if e.Flags&0x8 != 0 {
		f[1] = 'N'
	}
	if e.Flags&0x1000 != 0 {
		f[3] = 'D'
	}
	if e.Flags&0x20 != 0 {
		f[4] = 'W'
	}
	return string(f)
}

// entryFilters are the filter choices.
var entryFilters = []struct{ id, label string }{
	{"", "all entries"}, {"changed", "changed this step"}, {"resident", "with resident pages"},
	{"shared", "COW-shared pages"}, {"writable", "writable"}, {"exec", "executable"}, {"wired", "wired"},
	{"guard", "guards"}, {"file", "file-backed"},
}

// EntriesTable lists the entries of every process, sortable, searchable
// and filterable; selecting a row selects the entry in the bar and back.
type EntriesTable struct {
	app.Compo
	S *Shell
	V int

	first   int
	lastSel EntryRef
	cacheK  string
	cache   []*EntryView
}

// OnUpdate scrolls the selected row into view when the selection changed
// elsewhere.
func (c *EntriesTable) OnUpdate(ctx app.Context) {
	if c.S.sel == c.lastSel {
		return
	}
	c.lastSel = c.S.sel
	rows := c.rows()
	for i, e := range rows {
		if e.PID == c.S.sel.PID && e.Start == c.S.sel.Start {
			i := i
			ctx.Defer(func(app.Context) { scrollRowIntoView("entries-list", i, entriesRowH) })
			break
		}
	}
}

// rows returns the filtered, sorted entries (cached per state).
func (c *EntriesTable) rows() []*EntryView {
	s := c.S
	key := strconv.Itoa(s.ver) + "|" + s.search + "|" + s.filter + "|" + s.sortCol + strconv.FormatBool(s.sortDesc)
	if key == c.cacheK {
		return c.cache
	}
	var out []*EntryView
	if s.snap != nil {
		q := strings.ToLower(strings.TrimSpace(s.search))
		addr, isAddr := uint64(0), false
		if v, err := strconv.ParseUint(strings.TrimPrefix(q, "0x"), 16, 64); err == nil && q != "" {
			addr, isAddr = v, true
		}
		for i := range s.snap.Procs {
			for j := range s.snap.Procs[i].Entries {
				e := &s.snap.Procs[i].Entries[j]
				if !filterEntry(e, s.filter) {
					continue
				}
				if q != "" && !(isAddr && e.Start <= addr && addr < e.End) && !matchEntry(e, q) {
					continue
				}
				out = append(out, e)
			}
		}
	}
	if s.sortCol != "" {
		for _, col := range columns {
			if col.id != s.sortCol {
				continue
			}
			desc := s.sortDesc
			if col.sortKey != nil {
				sort.SliceStable(out, func(i, j int) bool {
					a, b := col.sortKey(out[i]), col.sortKey(out[j])
					if desc {
						return a > b
					}
					return a < b
				})
			} else {
				sort.SliceStable(out, func(i, j int) bool {
					a, b := col.key(out[i]), col.key(out[j])
					if desc {
						return a > b
					}
					return a < b
				})
			}
		}
	}
	c.cacheK, c.cache = key, out
	return out
}

// filterEntry applies a filter choice.
func filterEntry(e *EntryView, f string) bool {
	switch f {
	case "changed":
		return e.Change != ChangeNone
	case "resident":
		return e.Resident > 0
	case "shared":
		return e.Shared > 0
	case "writable":
		return e.Prot&2 != 0
	case "exec":
		return e.Prot&4 != 0
	case "wired":
		return e.Wired > 0
	case "guard":
		return e.Kind == KindGuard
	case "file":
		return e.Kind == KindFile
	}
	return true
}

// matchEntry reports whether the search text appears in the entry's
// path, kind, protection, flags, object or change.
func matchEntry(e *EntryView, q string) bool {
	hay := strings.ToLower(e.Path + " " + e.Kind.String() + " " + e.Perms + " " + e.Flags.String() + " " + e.ObjType +
		" #" + utoa(uint64(e.Object)) + " " + e.Change.String() + " " + e.Inherit + " pid " + itoa(e.PID))
	return strings.Contains(hay, q)
}

// Render draws the search box, the filter, the header and the visible
// rows.
func (c *EntriesTable) Render() app.UI {
	s := c.S
	rows := c.rows()
	var opts []app.UI
	for _, f := range entryFilters {
		opts = append(opts, app.Option().Value(f.id).Selected(f.id == s.filter).Text(f.label))
	}
	var head []app.UI
	for _, col := range columns {
		col := col
		sortState := "none"
		arrow := ""
		if s.sortCol == col.id {
			sortState, arrow = "ascending", " ▲"
			if s.sortDesc {
				sortState, arrow = "descending", " ▼"
			}
		}
		head = append(head, app.Div().Class("th", "c-"+col.id).Role("columnheader").Aria("sort", sortState).Title(col.tip+" (click to sort)").
			Body(app.Button().Class("th-btn").Text(col.label+arrow).OnClick(func(ctx app.Context, e app.Event) {
				if s.sortCol == col.id {
					if s.sortDesc {
						s.sortCol, s.sortDesc = "", false
					} else {
						s.sortDesc = true
					}
				} else {
					s.sortCol, s.sortDesc = col.id, false
				}
				s.changed(ctx)
			}, app.EventScope(col.id))))
	}
	lo := c.first - 8
	if lo < 0 {
		lo = 0
	}
	hi := c.first + entriesRows
	if hi > len(rows) {
		hi = len(rows)
	}
	body := make([]app.UI, 0, hi-lo)
	for i := lo; i < hi; i++ {
		e := rows[i]
		ref := EntryRef{e.PID, e.Start, e.End}
		cells := make([]app.UI, 0, len(columns))
		for _, col := range columns {
			cells = append(cells, app.Div().Class("td", "c-"+col.id).Role("cell").Text(col.key(e)))
		}
		cls := []string{"tr", "k-" + e.Kind.String()}
		if e.Change != ChangeNone {
			cls = append(cls, "changed", "ch-"+strconv.Itoa(int(e.Change)))
		}
		selected := ref == s.sel
		if selected {
			cls = append(cls, "selected")
		}
		body = append(body, app.Div().Class(cls...).Role("row").Aria("selected", selected).
			Style("top", itoa(i*entriesRowH)+"px").Title(entryTooltip(e, s.snap.PageSize)).
			Body(cells...).OnClick(func(ctx app.Context, ev app.Event) {
			s.selectEntry(ctx, ref, !s.visible(ref))
		}, app.EventScope(ref)))
	}
	count := itoa(len(rows)) + " entries"
	if s.snap != nil {
		total := 0
		for _, p := range s.snap.Procs {
			total += len(p.Entries)
		}
		if total != len(rows) {
			count = itoa(len(rows)) + " of " + itoa(total) + " entries"
		}
	}
	return app.Div().ID("entries").Class("entries").Body(
		app.Div().Class("toolbar").Body(
			app.Input().ID("entry-search").Type("search").Class("search").Value(s.search).
				Placeholder("search: path, kind, rwx, flag, #object or an address (/)").
				Aria("label", "search entries").
				OnInput(func(ctx app.Context, e app.Event) {
					s.search = ctx.JSSrc().Get("value").String()
					c.first = 0
					s.changed(ctx)
				}),
			app.Select().ID("entry-filter").Aria("label", "filter entries").Body(opts...).
				OnChange(func(ctx app.Context, e app.Event) {
					s.filter = ctx.JSSrc().Get("value").String()
					c.first = 0
					s.changed(ctx)
				}),
			app.Span().ID("entries-count").Class("muted").Aria("live", "polite").Text(count),
		),
		app.Div().ID("entries-table").Class("table").Role("table").Aria("label", "map entries").Aria("rowcount", len(rows)).Body(
			app.Div().Class("thead").Role("rowgroup").Body(app.Div().Class("tr", "head").Role("row").Body(head...)),
			app.Div().ID("entries-list").Class("tbody").Role("rowgroup").Body(
				app.Div().Class("tspacer").Style("height", itoa(len(rows)*entriesRowH)+"px").Body(body...),
			).OnScroll(func(ctx app.Context, e app.Event) {
				f := int(ctx.JSSrc().Get("scrollTop").Float() / entriesRowH)
				if f != c.first {
					c.first = f
					ctx.Update()
				}
			}),
		),
	)
}

// visible reports whether ref is inside the bar's current view.
func (s *Shell) visible(ref EntryRef) bool {
	if s.bar == nil {
		return true
	}
	u0, u1 := s.bar.Axis.Unit(ref.Start), s.bar.Axis.Unit(ref.End)
	return u1 > s.view.U0 && u0 < s.view.U1 && (u1-u0)/s.view.Span()*s.bar.W > 2
}
