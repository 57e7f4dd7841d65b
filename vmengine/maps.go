package vmengine

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"vmscope/vmengine/scenario"
)

// MapsRow is one line of an address space listing: what /proc/PID/maps and
// procstat -v show, plus the engine's own fields.
type MapsRow struct {
	Start, End uint64
	Perms      string // "rw-p"
	Offset     uint64
	Dev        string
	Inode      uint64
	Path       string
	Entry      Entry
	ObjType    string
	Resident   int
	Depth      int
	ObjRef     int
	Shadows    int
}

// entryFile returns the file at the bottom of en's object chain, if any.
func (e *Engine) entryFile(en Entry) *File {
	id := en.Object
	for id != 0 {
		o := e.objects[id]
		if o.File != nil {
			return o.File
		}
		id = o.Backing
	}
	return nil
}

// Rows lists p's address space.
func (e *Engine) Rows(p *Process) []MapsRow {
	vs := p.VS
	var rows []MapsRow
	for _, en := range vs.Map.Entries() {
		r := MapsRow{Start: en.Start, End: en.End, Entry: en, Dev: "00:00"}
		shared := en.Flags&EntryCOW == 0 && en.Inherit == InheritShare
		if vs.Map.linux {
			shared = en.LFlags&LinuxMayShare != 0
		}
		pc := byte('p')
		if shared {
			pc = 's'
		}
		r.Perms = en.Prot.String() + string(pc)
		if f := e.entryFile(en); f != nil && f.Kind != FileDevZero {
			r.Path = f.Path
			r.Offset = en.Offset
			if f.Dev != "" {
				r.Dev = f.Dev
			}
			r.Inode = f.Inode
		} else if name := e.EntryName(&en); vs.Map.linux && strings.HasPrefix(name, "/") {
			r.Path, r.Offset = name, en.Offset // private /dev/zero keeps its file
		} else if vs.Map.linux && name != "" && !strings.HasPrefix(name, "[") {
			r.Path = "[anon:" + name + "]"
		} else {
			r.Path = name
		}
		if vs.Map.linux && r.Path == "" && en.Start < vs.Brk && en.End > vs.StartBrk { // vma_is_initial_heap
			r.Path = "[heap]"
		}
		r.ObjType = "--"
		if en.Object != 0 {
			o := e.objects[en.Object]
			r.ObjType = map[ObjType]string{ObjAnon: "df", ObjVnode: "vn", ObjDevice: "dv"}[o.Type]
			if o.Type == ObjAnon && o.Charged {
				r.ObjType = "sw"
			}
			r.ObjRef = o.Ref
			r.Shadows = len(o.Shadows)
		} else if en.IsGuard() {
			r.ObjType = "gd"
		}
		r.Depth = e.chainDepth(en.Object)
		r.Resident = vs.Pmap.Resident(e.atop(en.Start), e.atop(en.End))
		rows = append(rows, r)
	}
	return rows
}

// FormatMaps renders p's address space as /proc/PID/maps lines.
func (e *Engine) FormatMaps(p *Process) string {
	var b strings.Builder
	for _, r := range e.Rows(p) {
		b.WriteString(mapsLine(r))
		b.WriteByte('\n')
	}
	return b.String()
}

func mapsLine(r MapsRow) string {
	s := fmt.Sprintf("%08x-%08x %s %08x %s %d", r.Start, r.End, r.Perms, r.Offset, r.Dev, r.Inode)
	if r.Path != "" {
		if len(s) < 73 {
			s += strings.Repeat(" ", 73-len(s))
		} else {
			s += " "
		}
		s += r.Path
	}
	return s
}

// FormatProcstat renders p's address space as FreeBSD procstat -v rows.
func (e *Engine) FormatProcstat(p *Process) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%5s %18s %18s %3s %4s %4s %3s %3s %-5s %-2s %s\n",
		"PID", "START", "END", "PRT", "RES", "PRES", "REF", "SHD", "FLAG", "TP", "PATH")
	for _, r := range e.Rows(p) {
		en := r.Entry
		flag := []byte("-----")
		if en.Flags&EntryCOW != 0 {
			flag[0] = 'C'
		}
		if en.Flags&EntryNeedsCopy != 0 {
			flag[1] = 'N'
		}
		if en.Flags&EntryGrowsDown != 0 {
			flag[3] = 'D'
		}
		if en.Flags&EntryUserWired != 0 {
			flag[4] = 'W'
		}
		pres := 0
		if en.Object != 0 {
			pres = len(e.objects[en.Object].Pages)
		}
		fmt.Fprintf(&b, "%5d %#18x %#18x %3s %4d %4d %3d %3d %-5s %-2s %s\n",
			p.PID, r.Start, r.End, en.Prot.String(), r.Resident, pres, r.ObjRef, r.Shadows,
			string(flag), r.ObjType, r.Path)
	}
	return b.String()
}

// jsonEntry is the JSON form of one entry.
type jsonEntry struct {
	Start    string `json:"start"`
	End      string `json:"end"`
	Perms    string `json:"perms"`
	MaxProt  string `json:"max_prot"`
	Inherit  string `json:"inheritance"`
	Wired    int    `json:"wired"`
	Flags    string `json:"flags,omitempty"`
	Object   int    `json:"object"`
	ObjType  string `json:"object_type"`
	Offset   string `json:"offset"`
	Depth    int    `json:"shadow_depth"`
	Resident int    `json:"resident"`
	Path     string `json:"path,omitempty"`
}

// FormatJSON renders p's address space as JSON.
func (e *Engine) FormatJSON(p *Process) string {
	out := struct {
		PID      int         `json:"pid"`
		Size     uint64      `json:"size"`
		NEntries int         `json:"nentries"`
		Resident int         `json:"resident"`
		Entries  []jsonEntry `json:"entries"`
	}{PID: p.PID, Size: p.VS.Map.Size, NEntries: p.VS.Map.NEntries, Resident: p.VS.Pmap.Len(), Entries: []jsonEntry{}}
	for _, r := range e.Rows(p) {
		en := r.Entry
		out.Entries = append(out.Entries, jsonEntry{
			Start: fmt.Sprintf("%#x", r.Start), End: fmt.Sprintf("%#x", r.End), Perms: r.Perms,
			MaxProt: en.MaxProt.String(), Inherit: en.Inherit.String(), Wired: int(en.Wired),
			Flags: en.Flags.String(), Object: int(en.Object), ObjType: r.ObjType,
			Offset: fmt.Sprintf("%#x", en.Offset), Depth: r.Depth, Resident: r.Resident, Path: r.Path,
		})
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return string(b) + "\n"
}

// block handles @maps (check) and @image (load) blocks.
func (r *Runner) block(l scenario.Line) (*Event, error) {
	pid := 0
	if len(l.Words) > 0 {
		w := l.Words[0]
		if strings.HasPrefix(w, "$") {
			v, ok := r.vars[w[1:]]
			if !ok {
				return nil, r.errorf(l.Pos, "unbound variable %s", w)
			}
			pid = int(v)
		} else {
			n, err := strconv.Atoi(w)
			if err != nil {
				return nil, r.errorf(l.Pos, "@%s wants a pid, got %q", l.Name, w)
			}
			pid = n
		}
	}
	switch l.Name {
	case "image":
		p := r.Eng.Process(pid)
		if p == nil {
			if r.started && pid != 0 {
				var err error
				if p, err = r.Eng.NewProcess(pid); err != nil {
					return nil, r.errorf(l.Pos, "%v", err)
				}
			} else {
				p = r.mainProcess(pid)
			}
		} else {
			r.Eng.Exec(p)
		}
		r.Eng.cfg.AssumeWritten = true // an exec image means a trace: its faults are not in it
		if err := r.Eng.LoadImage(p, l.Maps); err != nil {
			return nil, r.errorf(l.Pos, "%v", err)
		}
		r.freshImage[p.PID] = true
		r.Eng.cfg.AssumeWritten = true // an exec image means a trace: its faults are not in it
		r.Events++
		return &Event{Pos: l.Pos, PID: p.PID, Call: "@image", Kind: l.Kind}, nil
	case "maps":
		var p *Process
		if pid == 0 {
			p = r.mainProcess(0)
		} else {
			p = r.Eng.Process(pid)
		}
		if p == nil {
			r.Fails = append(r.Fails, Failure{Pos: l.Pos, Msg: fmt.Sprintf("@maps %d: no such process in the engine", pid)})
			return nil, nil
		}
		diffs := r.Eng.CompareMaps(p, l.Maps)
		for i, d := range diffs {
			if lo, hi, ok := diffRange(d); ok {
				diffs[i] = d + "\n      " + r.cause(p.PID, lo, hi)
			}
		}
		ev := &Event{Pos: l.Pos, PID: p.PID, Call: "@maps", Kind: l.Kind}
		if len(diffs) == 0 {
			r.Passed++
		} else {
			ev.Failed = true
			r.Fails = append(r.Fails, Failure{Pos: l.Pos, Msg: fmt.Sprintf("@maps %d differs from the engine:\n    %s", p.PID, strings.Join(diffs, "\n    "))})
		}
		return ev, nil
	}
	return nil, r.errorf(l.Pos, "unknown block @%s (want @maps or @image)", l.Name)
}

// CompareMaps compares p's address space with kernel maps rows (start,
// end, permissions, offset of file mappings, path); [vsyscall] is ignored.
// It returns one line per difference.
func (e *Engine) CompareMaps(p *Process, want []scenario.MapsLine) []string {
	var diffs []string
	got := e.Rows(p)
	i, j := 0, 0
	var w []scenario.MapsLine
	for _, m := range want {
		if m.Path != "[vsyscall]" {
			w = append(w, m)
		}
	}
	key := func(path string, off uint64) uint64 {
		if strings.HasPrefix(path, "/") {
			return off
		}
		return 0
	}
	for i < len(got) || j < len(w) {
		switch {
		case j >= len(w) || (i < len(got) && got[i].Start < w[j].Start):
			diffs = append(diffs, "+ "+mapsLine(got[i])+"   (engine only)")
			i++
		case i >= len(got) || w[j].Start < got[i].Start:
			diffs = append(diffs, fmt.Sprintf("- %08x-%08x %s %08x %s   (kernel only)", w[j].Start, w[j].End, w[j].Perms, w[j].Offset, w[j].Path))
			j++
		default:
			g, k := got[i], w[j]
			if g.End != k.End || g.Perms != k.Perms || key(g.Path, g.Offset) != key(k.Path, k.Offset) || g.Path != k.Path {
				diffs = append(diffs, fmt.Sprintf("~ engine %s\n      kernel %08x-%08x %s %08x %s", mapsLine(g), k.Start, k.End, k.Perms, k.Offset, k.Path))
			}
			i++
			j++
		}
	}
	return diffs
}

// LoadImage builds p's address space from kernel maps rows, as exec would
// have: one entry per row, never merged (the rows are the kernel's own
// VMAs); file rows map the named file (private ones copy-on-write), labels
// ([stack], [heap], [vdso], ...) become named anonymous entries. Under the
// Linux personality the hidden flags a row must have had are set (VM_ACCOUNT
// for private writable rows, VM_GROWSDOWN for the stack, VM_IO|VM_PFNMAP
// for [vvar] and [vdso]) and the program break is placed at the end of the
// executable's last segment (its bss), as load_elf_binary does without
// randomization.
func (e *Engine) LoadImage(p *Process, rows []scenario.MapsLine) error {
	vs := p.VS
	linux := vs.Map.linux
	vs.Map.unmerged = true // the rows are the kernel's own entries
	for _, m := range rows {
		if m.Path == "[vsyscall]" {
			continue
		}
		if m.Start >= m.End || m.Start&e.pageMask != 0 || m.End&e.pageMask != 0 {
			return fmt.Errorf("maps row %08x-%08x is not a page-aligned range", m.Start, m.End)
		}
		if len(m.Perms) != 4 {
			return fmt.Errorf("maps row %08x-%08x: bad permissions %q", m.Start, m.End, m.Perms)
		}
		if !vs.RangeValid(m.Start, m.End) || !vs.Map.IsFree(m.Start, m.End) {
			return fmt.Errorf("maps row %08x-%08x overlaps another row or lies outside the address space", m.Start, m.End)
		}
		var prot Prot
		if m.Perms[0] == 'r' {
			prot |= ProtRead
		}
		if m.Perms[1] == 'w' {
			prot |= ProtWrite
		}
		if m.Perms[2] == 'x' {
			prot |= ProtExec
		}
		shared := m.Perms[3] == 's'
		en := Entry{Start: m.Start, End: m.End, Prot: prot, MaxProt: ProtAll, Inherit: InheritCopy}
		if shared {
			en.Inherit = InheritShare
			en.LFlags |= LinuxMayShare | LinuxShared
		}
		switch {
		case strings.HasPrefix(m.Path, "/"):
			f := e.fs.External(m.Path)
			if m.Dev != "" {
				f.Dev, f.Inode = m.Dev, m.Inode
			}
			en.Object = e.fileObject(f)
			en.Offset = m.Offset
			if !shared {
				en.Flags |= EntryCOW | EntryNeedsCopy
			}
		case m.Path == "[heap]":
			vs.StartBrk, vs.Brk = m.Start, m.End
		case m.Path == "[stack]":
			en.Name = e.names.intern(m.Path)
			en.Flags |= EntryGrowsDown
			en.LFlags |= LinuxGrowsDown
		case strings.HasPrefix(m.Path, "["):
			en.Name = e.names.intern(m.Path)
			en.LFlags |= LinuxIO
			if strings.HasPrefix(m.Path, "[vvar") || m.Path == "[vdso]" {
				en.LFlags |= LinuxSpecial
			}
		case m.Path != "":
			en.Name = e.names.intern(m.Path)
		}
		if linux {
			if en.Object == 0 && !shared {
				en.Offset = m.Start
			}
			if !shared && prot&ProtWrite != 0 {
				en.LFlags |= LinuxAccount
			}
		} else {
			en.Charged = !shared && prot&ProtWrite != 0
		}
		vs.Map.link(en)
		if linux && e.cfg.AssumeWritten && en.Object == 0 && !shared && prot&ProtWrite != 0 && m.Path != "[heap]" {
			vs.assumeWritten(en) // the kernel's image was written while it was built
		}
	}
	if linux && !hasHeap(rows) {
		if b := imageBreak(rows); b != 0 {
			vs.StartBrk, vs.Brk = b, b
		}
	}
	if linux && len(rows) > 0 {
		// The executable's writable file rows are its data segment.
		for _, m := range rows {
			if m.Path == rows[0].Path && len(m.Perms) == 4 && m.Perms[1] == 'w' {
				vs.DataSeg += m.End - m.Start
			}
		}
	}
	return nil
}

func hasHeap(rows []scenario.MapsLine) bool {
	for _, m := range rows {
		if m.Path == "[heap]" {
			return true
		}
	}
	return false
}

// imageBreak returns where the program break starts for an exec image: the
// end of the executable's last segment (the lowest row's file), or of the
// anonymous bss right after it — load_elf_binary's start_brk without
// randomization.
func imageBreak(rows []scenario.MapsLine) uint64 {
	if len(rows) == 0 || !strings.HasPrefix(rows[0].Path, "/") {
		return 0
	}
	exe := rows[0].Path
	last := -1
	for i, m := range rows {
		if m.Path == exe {
			last = i
		}
	}
	end := rows[last].End
	if last+1 < len(rows) && rows[last+1].Start == end && rows[last+1].Path == "" {
		end = rows[last+1].End
	}
	return end
}

// diffRange extracts the address range a CompareMaps line is about.
func diffRange(d string) (uint64, uint64, bool) {
	f := strings.Fields(d)
	for _, w := range f {
		if i := strings.IndexByte(w, '-'); i > 0 {
			lo, err1 := strconv.ParseUint(w[:i], 16, 64)
			hi, err2 := strconv.ParseUint(w[i+1:], 16, 64)
			if err1 == nil && err2 == nil {
				return lo, hi, true
			}
		}
	}
	return 0, 0, false
}
