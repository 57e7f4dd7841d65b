// Package static holds the content shared by the browser app and the
// server: the scenario library, embedded into both binaries.
package static

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed scenarios/*.scn
var files embed.FS

// Scenario is one file of the library.
type Scenario struct {
	Name  string // file name without ".scn" ("01-fork-cow-collapse")
	Title string // the first comment line, without '#'
	About string // the remaining leading comment lines, joined with spaces
	Text  string // the whole file
}

// Scenarios returns every library scenario in file-name order. The title
// and description come from the file's leading '#' lines; a file without
// them gets its name as title.
func Scenarios() []Scenario {
	names, _ := fs.Glob(files, "scenarios/*.scn")
	sort.Strings(names)
	out := make([]Scenario, 0, len(names))
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			continue
		}
		out = append(out, parse(strings.TrimSuffix(path.Base(n), ".scn"), string(b)))
	}
	return out
}

// Lookup returns the scenario called name (with or without ".scn") and
// whether it exists.
func Lookup(name string) (Scenario, bool) {
	name = strings.TrimSuffix(name, ".scn")
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// parse extracts the title and description of a scenario file.
func parse(name, text string) Scenario {
	s := Scenario{Name: name, Text: text}
	var about []string
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, "#") {
			break
		}
		t = strings.TrimSpace(strings.TrimPrefix(t, "#"))
		if s.Title == "" {
			s.Title = t
			continue
		}
		about = append(about, t)
	}
	if s.Title == "" {
		s.Title = name
	}
	s.About = strings.Join(about, " ")
	return s
}
