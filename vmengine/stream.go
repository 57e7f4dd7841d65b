package vmengine

import (
	"bufio"
	"io"
	"sort"
	"strings"

	"vmscope/vmengine/scenario"
)

// RunReader reads a scenario file, strace log or trace from r and runs it
// line by line, so a trace of millions of events is never held in memory:
// @maps/@image blocks are gathered until @end, and strace's
// "<unfinished ...>" halves wait (per pid) for their "<... resumed>" half.
// It returns the errors about lines (syntax, unknown names); unmet
// expectations are in r.Fails.
func (r *Runner) RunReader(name string, rd io.Reader) []error {
	br := bufio.NewReaderSize(rd, 256<<10)
	var errs []error
	pending := map[int]scenario.Line{} // unfinished halves by pid
	var block strings.Builder
	blockLine, inBlock := 0, false
	n := 0
	run := func(l scenario.Line) {
		if _, err := r.Line(l); err != nil {
			errs = append(errs, err)
		}
	}
	for {
		s, rerr := br.ReadString('\n')
		if len(s) > 0 {
			n++
			s = strings.TrimRight(s, "\r\n")
			if n == 1 {
				s = strings.TrimPrefix(s, "\ufeff")
			}
			t := strings.TrimSpace(s)
			switch {
			case inBlock:
				block.WriteString(s)
				block.WriteByte('\n')
				if t == "@end" {
					inBlock = false
					lines, perrs := scenario.ParseFile(name, strings.NewReader(block.String()))
					errs = append(errs, perrs...)
					for _, l := range lines {
						l.Pos.Line += blockLine - 1
						for i := range l.Maps {
							l.Maps[i].Pos.Line += blockLine - 1
						}
						run(l)
					}
				}
			case strings.HasPrefix(t, "@maps") || strings.HasPrefix(t, "@image"):
				inBlock, blockLine = true, n
				block.Reset()
				block.WriteString(s)
				block.WriteByte('\n')
			default:
				l, err := scenario.ParseLine(s, scenario.Pos{File: name, Line: n, Col: 1})
				if err != nil {
					errs = append(errs, err)
					break
				}
				pid := l.PID.Num
				switch {
				case l.Unfinished:
					pending[pid] = l
				case l.Resumed:
					first, ok := pending[pid]
					if !ok {
						_, jerrs := scenario.Join([]scenario.Line{l})
						errs = append(errs, jerrs...)
						break
					}
					delete(pending, pid)
					joined, jerrs := scenario.Join([]scenario.Line{first, l})
					errs = append(errs, jerrs...)
					for _, j := range joined {
						run(j)
					}
				case l.Kind == scenario.KindExit:
					if first, ok := pending[pid]; ok {
						delete(pending, pid)
						run(first) // a call that never returned (exit_group)
					}
					run(l)
				default:
					run(l)
				}
			}
		}
		if rerr != nil {
			if rerr != io.EOF {
				errs = append(errs, rerr)
			}
			break
		}
	}
	if inBlock {
		errs = append(errs, &scenario.Error{Pos: scenario.Pos{File: name, Line: blockLine, Col: 1},
			Msg: "block is not closed: expected @end before the end of the file"})
	}
	pids := make([]int, 0, len(pending))
	for pid := range pending {
		pids = append(pids, pid)
	}
	sort.Ints(pids) // deterministic order for calls that never returned
	for _, pid := range pids {
		run(pending[pid])
	}
	return errs
}
