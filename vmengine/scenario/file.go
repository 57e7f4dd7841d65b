package scenario

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ParseFile parses a whole scenario file, console session or strace log
// read from r; name is used in positions. It returns the good lines in
// order (blank and comment lines dropped) and every error found; a bad
// line does not stop the others. "@maps"/"@image" blocks are collected up
// to "@end" into one KindBlock line whose Body holds the raw lines and
// whose Maps holds the rows parsed from them (blank and '#' body lines are
// kept in Body but not parsed; a row that fails to parse is reported and
// left out of both). ParseFile does not pair unfinished and
// resumed halves: see Join. It never panics.
func ParseFile(name string, r io.Reader) ([]Line, []error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var lines []Line
	var errs []error
	const noBlock, skipBlock = -1, -2
	block := noBlock // index in lines of the open block, or skipBlock
	n := 0
	for {
		s, rerr := br.ReadString('\n')
		if len(s) > 0 {
			n++
			s = strings.TrimSuffix(s, "\n")
			s = strings.TrimSuffix(s, "\r")
			if n == 1 {
				s = strings.TrimPrefix(s, "\ufeff")
			}
			pos := Pos{File: name, Line: n, Col: 1}
			t := trimSpace(s)
			switch {
			case block == skipBlock:
				if t == "@end" {
					block = noBlock
				}
			case block >= 0:
				if t == "@end" {
					block = noBlock
					break
				}
				if t != "" && t[0] == '@' {
					errs = append(errs, &Error{Pos: Pos{File: name, Line: n, Col: 1 + strings.IndexByte(s, '@')},
						Msg: "expected @end to close @" + lines[block].Name + " (opened at line " + strconv.Itoa(lines[block].Pos.Line) + "), found " + quoteSnippet(t)})
					break
				}
				b := &lines[block]
				if t == "" || t[0] == '#' {
					b.Body = append(b.Body, s)
					break
				}
				m, err := ParseMapsLine(s, pos)
				if err != nil {
					errs = append(errs, err)
					break
				}
				b.Body = append(b.Body, s)
				b.Maps = append(b.Maps, m)
			default:
				ln, err := ParseLine(s, pos)
				if err != nil {
					errs = append(errs, err)
					if isBlockStart(t) {
						block = skipBlock
					}
					break
				}
				if ln.Kind == KindNone {
					break
				}
				lines = append(lines, ln)
				if ln.Kind == KindBlock {
					block = len(lines) - 1
				}
			}
		}
		if rerr != nil {
			if rerr != io.EOF {
				errs = append(errs, &Error{Pos: Pos{File: name, Line: n + 1, Col: 1}, Msg: "read error: " + rerr.Error()})
			}
			break
		}
	}
	if block >= 0 {
		b := &lines[block]
		errs = append(errs, &Error{Pos: b.Pos, Msg: "expected @end to close @" + b.Name + ", found end of file"})
	}
	return lines, errs
}

func isBlockStart(t string) bool {
	for _, k := range []string{"@maps", "@image"} {
		if rest, ok := strings.CutPrefix(t, k); ok && (rest == "" || isSpace(rest[0])) {
			return true
		}
	}
	return false
}

// ParseMapsLine parses one /proc/PID/maps row:
// "start-end perms offset dev inode [path]", hex numbers without 0x,
// perms like "r-xp", dev like "fe:00", decimal inode, and a path that runs
// to the end of the line (it may be empty or contain spaces). pos is the
// position of text[0]. It never panics.
func ParseMapsLine(text string, pos Pos) (MapsLine, error) {
	if pos.Col <= 0 {
		pos.Col = 1
	}
	if pos.Line <= 0 {
		pos.Line = 1
	}
	m := MapsLine{Pos: pos}
	at := func(i int) Pos { return Pos{File: pos.File, Line: pos.Line, Col: pos.Col + i} }
	fail := func(i int, what string) (MapsLine, error) {
		return MapsLine{}, &Error{Pos: at(i), Msg: "expected " + what + " in maps line, found " + describeAt(text, i)}
	}
	hexNum := func(i int) (uint64, int, bool) {
		j := i
		var v uint64
		for j < len(text) && hexVal(text[j]) >= 0 {
			if v>>60 != 0 {
				return 0, j, false
			}
			v = v<<4 | uint64(hexVal(text[j]))
			j++
		}
		return v, j, j > i
	}
	spaces := func(i int) (int, bool) {
		j := skipSpace(text, i)
		return j, j > i
	}
	i := skipSpace(text, 0)
	m.Pos = at(i)
	var ok bool
	if m.Start, i, ok = hexNum(i); !ok {
		return fail(i, "a hex start address")
	}
	if i >= len(text) || text[i] != '-' {
		return fail(i, "'-' after the start address")
	}
	if m.End, i, ok = hexNum(i + 1); !ok {
		return fail(i, "a hex end address")
	}
	if i, ok = spaces(i); !ok {
		return fail(i, "a space after the end address")
	}
	if i+4 > len(text) || !strings.ContainsRune("r-", rune(text[i])) || !strings.ContainsRune("w-", rune(text[i+1])) ||
		!strings.ContainsRune("x-", rune(text[i+2])) || !strings.ContainsRune("ps", rune(text[i+3])) {
		return fail(i, "permissions like r-xp")
	}
	m.Perms = text[i : i+4]
	if i, ok = spaces(i + 4); !ok {
		return fail(i, "a space after the permissions")
	}
	if m.Offset, i, ok = hexNum(i); !ok {
		return fail(i, "a hex offset")
	}
	if i, ok = spaces(i); !ok {
		return fail(i, "a space after the offset")
	}
	d := i
	if _, i, ok = hexNum(i); !ok {
		return fail(i, "a device like 08:01")
	}
	if i >= len(text) || text[i] != ':' {
		return fail(i, "':' in the device number")
	}
	if _, i, ok = hexNum(i + 1); !ok {
		return fail(i, "a device like 08:01")
	}
	m.Dev = text[d:i]
	if i, ok = spaces(i); !ok {
		return fail(i, "a space after the device")
	}
	k := i
	for i < len(text) && isDigit(text[i]) {
		i++
	}
	v, err := strconv.ParseUint(text[k:i], 10, 64)
	if err != nil {
		return fail(k, "a decimal inode")
	}
	m.Inode = v
	if i < len(text) && !isSpace(text[i]) {
		return fail(i, "a space after the inode")
	}
	m.Path = trimSpace(text[i:])
	return m, nil
}

// pidKey identifies a process for Join.
type pidKey struct {
	kind PIDKind
	num  int
	v    string
}

// Join pairs strace's "<unfinished ...>" and "<... name resumed>" halves
// per process into single call lines: the arguments of both halves
// concatenated, the result and duration of the resumed half, and the
// position, pid and timestamp of the unfinished half. A joined line takes
// the place of its resumed half in the output. A resumed half without a
// pending unfinished call of the same name in the same process is an
// error and is dropped. An unfinished call that never resumes (the process
// exited, as with exit_group) stays in the output with Unfinished set,
// just before its process's exit line, or in its own place at the end of
// input. Other lines pass through unchanged. Join does not modify lines.
func Join(lines []Line) ([]Line, []error) {
	out := make([]Line, 0, len(lines))
	var errs []error
	type pend struct {
		idx  int
		line Line
	}
	pending := map[pidKey]pend{}
	for i, ln := range lines {
		k := pidKey{ln.PID.Kind, ln.PID.Num, ln.PID.Var}
		switch {
		case ln.Kind == KindCall && ln.Unfinished && !ln.Resumed:
			if old, ok := pending[k]; ok {
				out = append(out, old.line)
			}
			pending[k] = pend{i, ln}
		case ln.Kind == KindCall && ln.Resumed:
			old, ok := pending[k]
			if !ok {
				errs = append(errs, &Error{Pos: ln.Pos, Msg: "<... " + ln.Name + " resumed> without a preceding unfinished " + ln.Name + " call" + pidDesc(ln.PID)})
				continue
			}
			if old.line.Name != ln.Name {
				errs = append(errs, &Error{Pos: ln.Pos, Msg: "<... " + ln.Name + " resumed>" + pidDesc(ln.PID) + ", but the unfinished call there is " + old.line.Name + " (line " + strconv.Itoa(old.line.Pos.Line) + ")"})
				continue
			}
			delete(pending, k)
			j := old.line
			args := make([]Expr, 0, len(j.Args)+len(ln.Args))
			args = append(args, j.Args...)
			j.Args = append(args, ln.Args...)
			j.Result = ln.Result
			j.Duration = ln.Duration
			j.Unfinished = false
			j.Resumed = false
			out = append(out, j)
		case ln.Kind == KindExit:
			if old, ok := pending[k]; ok {
				out = append(out, old.line)
				delete(pending, k)
			}
			out = append(out, ln)
		default:
			out = append(out, ln)
		}
	}
	if len(pending) > 0 {
		rest := make([]pend, 0, len(pending))
		for _, p := range pending {
			rest = append(rest, p)
		}
		sort.Slice(rest, func(a, b int) bool { return rest[a].idx < rest[b].idx })
		for _, p := range rest {
			out = append(out, p.line)
		}
	}
	return out, errs
}

func pidDesc(p PID) string {
	switch p.Kind {
	case PIDNum:
		return " in pid " + strconv.Itoa(p.Num)
	case PIDVar:
		return " in process $" + p.Var
	}
	return ""
}
