package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"vmscope/static"
)

// TestLibraryScenariosRun loads every library scenario: each produces
// events, no line fails, and seeking to every step gives the same
// statistics as the tail run.
func TestLibraryScenariosRun(t *testing.T) {
	for _, sc := range static.Scenarios() {
		s := NewSession(sc.Name, "")
		s.Append([]byte(sc.Text))
		s.Finish()
		if s.Len() == 0 {
			t.Errorf("%s: no events", sc.Name)
		}
		for i := 1; i <= s.Len(); i++ {
			st := s.Step(i)
			if st.Err != "" {
				t.Errorf("%s: step %d (%s): %s", sc.Name, i, s.Text(i), st.Err)
			}
		}
		for i := 0; i <= s.Len(); i++ {
			pos := s.At(i)
			if got := statOf(pos.R); got != s.Stats[i] {
				t.Errorf("%s: step %d: seek gives %+v, run gave %+v", sc.Name, i, got, s.Stats[i])
			}
			BuildSnapshot(pos)
		}
	}
}

// TestSessionStreaming feeds a scenario byte by byte: the same events as
// all at once.
func TestSessionStreaming(t *testing.T) {
	sc, _ := static.Lookup("01-fork-cow-collapse")
	a := NewSession("a", "")
	a.Append([]byte(sc.Text))
	a.Finish()
	b := NewSession("b", "")
	for i := 0; i < len(sc.Text); i++ {
		b.Append([]byte{sc.Text[i]})
	}
	b.Finish()
	if a.Len() != b.Len() || a.Len() == 0 {
		t.Fatalf("lengths %d vs %d", a.Len(), b.Len())
	}
	for i := 1; i <= a.Len(); i++ {
		if a.Text(i) != b.Text(i) || a.Step(i).ResultText() != b.Step(i).ResultText() {
			t.Errorf("step %d: %q %q vs %q %q", i, a.Text(i), a.Step(i).ResultText(), b.Text(i), b.Step(i).ResultText())
		}
	}
	if m := a.MostPopulated(); a.Stats[m].Procs != 2 {
		t.Errorf("most populated step %d has %d processes", m, a.Stats[m].Procs)
	}
}

// TestSessionErrors: bad lines become error events with a message and do
// not stop the rest.
func TestSessionErrors(t *testing.T) {
	s := NewSession("c", "")
	s.Append([]byte("mmap(NULL, P, PROT_READ, MAP_ANON|MAP_PRIVATE, -1, 0) = $a\nmmap(NULL,, 3\nfrobnicate(1)\n"))
	s.Append([]byte("munmap($a, P) = 0\n$nobody touch(0, 1, \"r\")\n<... mmap resumed>) = 0\n@maps 1\n00001000-00002000 r--p 00000000 00:00 0\n"))
	s.Finish()
	var errs []string
	for i := 1; i <= s.Len(); i++ {
		if e := s.Step(i).Err; e != "" {
			errs = append(errs, e)
		}
	}
	if len(errs) != 5 {
		t.Fatalf("want 5 errors, got %d: %q", len(errs), errs)
	}
	if !strings.Contains(errs[len(errs)-1], "not closed") && !strings.Contains(strings.Join(errs, "\n"), "not closed") {
		t.Errorf("unclosed block not reported: %q", errs)
	}
}

// TestSessionTruncate branches the timeline at step 1.
func TestSessionTruncate(t *testing.T) {
	sc, _ := static.Lookup("02-mprotect-split-merge")
	s := NewSession("d", "")
	s.Append([]byte(sc.Text))
	s.Finish()
	n := s.Len()
	s.Truncate(1)
	if s.Len() != 1 {
		t.Fatalf("len %d after truncate", s.Len())
	}
	if got := s.AppendLine("munmap($a, P) = 0"); got != 1 || s.Step(2).Err != "" {
		t.Fatalf("append after truncate: %d events, err %q (was %d)", got, s.Step(2).Err, n)
	}
}

// TestSnapshotDiff: mprotect in the middle of an entry shows split pieces
// and a protection change; munmap shows a removed range.
func TestSnapshotDiff(t *testing.T) {
	s := NewSession("e", "")
	s.Append([]byte("mmap(NULL, 3*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $a\nmprotect($a+P, P, PROT_READ) = 0\nmunmap($a+2*P, P) = 0\n"))
	s.Finish()
	snap := BuildSnapshot(s.At(2))
	var changes []string
	for _, e := range snap.Procs[0].Entries {
		changes = append(changes, e.Change.String())
	}
	if strings.Join(changes, ",") != "split,split,split" {
		t.Errorf("after mprotect: %v", changes)
	}
	snap = BuildSnapshot(s.At(3))
	if len(snap.Removed) != 1 || snap.Removed[0].End-snap.Removed[0].Start != 4096 {
		t.Errorf("after munmap removed %+v", snap.Removed)
	}
}

// BenchmarkSessionMillion measures loading and seeking a 1,000,000-event
// trace natively (the browser benchmark is in e2e_test.go).
func BenchmarkSessionMillion(b *testing.B) {
	text := MillionTrace(1000000)
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		s := NewSession("big", "")
		s.Append([]byte(text))
		s.Finish()
		load := time.Since(t0)
		t1 := time.Now()
		for k := 0; k < 100; k++ {
			s.At((k*7919*131 + 17) % s.Len())
		}
		b.ReportMetric(float64(load.Milliseconds()), "load-ms")
		b.ReportMetric(float64(time.Since(t1).Microseconds())/100, "seek-µs")
		b.ReportMetric(float64(s.Checkpoints()), "checkpoints")
		if s.Len() != 1000000 {
			b.Fatal(fmt.Sprint("len ", s.Len()))
		}
	}
}

// TestSessionGarbage feeds malformed input (random bytes, cut lines,
// absurd numbers): every bad line becomes an error event and nothing
// panics, including building the views at every step.
func TestSessionGarbage(t *testing.T) {
	inputs := []string{
		"\x00\x01\x02\xff\n(((\n)))\n= = =\n",
		"mmap(NULL, 0xffffffffffffffff, PROT_READ, MAP_PRIVATE|MAP_ANON, -1, 0)\n",
		"mmap(0, P, 99999, 99999, -1, 0)\nmunmap(0, 0xffffffffffffffff)\nmprotect(0xfffffffffffff000, P, 7)\n",
		"@maps 1\nzz-yy r--p\n@end\n@image 1\n00001000-00000000 r--p 00000000 00:00 0\n@end\n",
		"@pagesize 3\n@pagesize 0\n@set wxorx banana\n@personality vms\n",
		"1 <... mmap resumed>) = 0\n1 mmap(NULL <unfinished ...>\n1 mmap(NULL <unfinished ...>\n",
		"touch(0, 1, \"q\")\npeek()\nfork(1,2,3) = $c\n$c exit(0)\n$c exit(0)\n",
	}
	for _, in := range inputs {
		s := NewSession("garbage", "")
		s.Append([]byte(in))
		s.Finish()
		for i := 0; i <= s.Len(); i++ {
			pos := s.At(i)
			snap := BuildSnapshot(pos)
			b := NewBar(snap, 800)
			b.Paint(NewSVGPainter(800, b.Height()))
		}
	}
}

// BenchmarkPaint65530 paints the 65,530-entry bar natively (whole axis).
func BenchmarkPaint65530(b *testing.B) {
	s := NewSession("big", "")
	s.Append([]byte(ManyEntries(65530)))
	s.Finish()
	snap := BuildSnapshot(s.At(s.Len()))
	bar := NewBar(snap, 1200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bar.Paint(nopPainter{})
	}
}

type nopPainter struct{}

func (nopPainter) Rect(x, y, w, h float64, fill string)                           {}
func (nopPainter) Stroke(x, y, w, h float64, color string, width float64, d bool) {}
func (nopPainter) Line(x0, y0, x1, y1 float64, color string, width float64)       {}
func (nopPainter) Text(x, y float64, s, color string, size float64, a string)     {}
