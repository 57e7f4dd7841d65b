package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"vmscope/vmengine"
	"vmscope/vmengine/scenario"
)

// loadFile parses a scenario/strace/trace file. A maps file given with
// --maps-at-exec becomes an @image block in front of it.
func loadFile(path, mapsAtExec string) ([]scenario.Line, []error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, []error{err}
	}
	defer f.Close()
	lines, errs := scenario.ParseFile(path, f)
	if mapsAtExec != "" {
		img, err := imageBlock(mapsAtExec, lines)
		if err != nil {
			return nil, append(errs, err)
		}
		lines = append([]scenario.Line{img}, lines...)
	}
	return lines, errs
}

// imageBlock reads a /proc/PID/maps file into an @image block for the
// first process of lines.
func imageBlock(path string, lines []scenario.Line) (scenario.Line, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return scenario.Line{}, err
	}
	pid := 0
	for _, l := range lines {
		if l.PID.Kind == scenario.PIDNum {
			pid = l.PID.Num
			break
		}
	}
	text := "@image " + strconv.Itoa(pid) + "\n" + string(data)
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	text += "@end\n"
	blk, errs := scenario.ParseFile(path, strings.NewReader(text))
	if len(errs) > 0 {
		return scenario.Line{}, errs[0]
	}
	for _, l := range blk {
		if l.Kind == scenario.KindBlock {
			return l, nil
		}
	}
	return scenario.Line{}, fmt.Errorf("%s: no maps rows", path)
}

// streamFile runs the file at path through r line by line.
func streamFile(r *vmengine.Runner, path string) []error {
	f, err := os.Open(path)
	if err != nil {
		return []error{err}
	}
	defer f.Close()
	return r.RunReader(path, f)
}

func newRunner(personality string) (*vmengine.Runner, error) {
	var pers vmengine.Personality
	if personality != "" {
		p, err := vmengine.PersonalityByName(personality)
		if err != nil {
			return nil, err
		}
		pers = p
	}
	return vmengine.NewRunner(pers), nil
}

// cmdCheck implements "vmscope check".
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print each file's result")
	personality := fs.String("personality", "", "freebsd (default), freebsd6 or linux")
	mapsAtExec := fs.String("maps-at-exec", "", "a /proc/PID/maps file: the exec image the trace starts from")
	invariants := fs.Bool("invariants", false, "run the invariant checker after every event")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "vmscope check: no files given")
		return 2
	}
	passed, failed := 0, 0
	for _, path := range fs.Args() {
		r, err := newRunner(*personality)
		if err != nil {
			fmt.Fprintln(stderr, "vmscope check:", err)
			return 2
		}
		r.CheckInvariants = *invariants
		var errs []error
		if *mapsAtExec == "" {
			errs = streamFile(r, path) // a trace of any length, never held whole
		} else {
			lines, lerrs := loadFile(path, *mapsAtExec)
			_, runErrs := r.RunLines(lines)
			errs = append(lerrs, runErrs...)
		}
		for _, err := range errs {
			fmt.Fprintf(stdout, "%v\n", err)
		}
		for _, f := range r.Fails {
			fmt.Fprintf(stdout, "FAIL %v\n", f)
		}
		passed += r.Passed
		failed += len(r.Fails) + len(errs)
		if *verbose {
			fmt.Fprintf(stdout, "%s: %d passed, %d failed (%d events, %d lines skipped)\n",
				path, r.Passed, len(r.Fails)+len(errs), r.Events, r.Skipped)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// cmdReplay implements "vmscope replay".
func cmdReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	personality := fs.String("personality", "", "freebsd (default), freebsd6 or linux")
	at := fs.Int("at", -1, "stop after event N (default: the end)")
	printAs := fs.String("print", "maps", "maps, procstat or json")
	mapsAtExec := fs.String("maps-at-exec", "", "a /proc/PID/maps file: the exec image the trace starts from")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "vmscope replay: want exactly one file")
		return 2
	}
	switch *printAs {
	case "maps", "procstat", "json":
	default:
		fmt.Fprintf(stderr, "vmscope replay: --print wants maps, procstat or json, got %q\n", *printAs)
		return 2
	}
	r, err := newRunner(*personality)
	if err != nil {
		fmt.Fprintln(stderr, "vmscope replay:", err)
		return 2
	}
	lines, errs := loadFile(fs.Arg(0), *mapsAtExec)
	for _, err := range errs {
		fmt.Fprintln(stderr, err)
	}
	if len(lines) == 0 && len(errs) > 0 {
		return 1
	}
	joined, jerrs := scenario.Join(lines)
	for _, err := range jerrs {
		fmt.Fprintln(stderr, err)
	}
	// The last image of each process before it exits is what we print.
	final := map[int]string{}
	render := func(p *vmengine.Process) string {
		switch *printAs {
		case "procstat":
			return r.Eng.FormatProcstat(p)
		case "json":
			return r.Eng.FormatJSON(p)
		}
		return r.Eng.FormatMaps(p)
	}
	for _, l := range joined {
		if *at >= 0 && r.Events >= *at {
			break
		}
		if l.Kind == scenario.KindCall && (l.Name == "exit_group" || l.Name == "exit") || l.Kind == scenario.KindExit {
			if p := r.Eng.Process(pidOf(r, l)); p != nil && (l.Name == "exit_group" || l.Kind == scenario.KindExit || len(p.Threads) <= 1) {
				final[p.PID] = render(p)
			}
		}
		if _, err := r.Line(l); err != nil {
			fmt.Fprintln(stderr, err)
		}
	}
	for _, p := range r.Eng.Processes() {
		final[p.PID] = render(p)
	}
	pids := make([]int, 0, len(final))
	for pid := range final {
		pids = append(pids, pid)
	}
	sortInts(pids)
	for _, pid := range pids {
		fmt.Fprintf(stdout, "# pid %d\n%s", pid, final[pid])
	}
	return 0
}

func pidOf(r *vmengine.Runner, l scenario.Line) int {
	switch l.PID.Kind {
	case scenario.PIDNum:
		return l.PID.Num
	case scenario.PIDVar:
		return int(r.Vars()[l.PID.Var])
	}
	return r.MainPID()
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
