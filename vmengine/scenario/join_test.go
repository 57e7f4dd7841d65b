package scenario

import (
	"strings"
	"testing"
)

func TestJoin(t *testing.T) {
	src := `1 mmap(NULL, 8192, PROT_READ,  <unfinished ...>
2 read(0,  <unfinished ...>
1 <... mmap resumed>, -1, 0) = 0x7f0000000000 <0.000010>
3 exit_group(0 <unfinished ...>
2 <... read resumed>"abc", 10) = 3
2 <... write resumed>) = 1
3 +++ exited with 0 +++
4 futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>
5 <... brk resumed>) = 0
$c read(3,  <unfinished ...>
$c <... read resumed>"", 1) = 0
read(3,  <unfinished ...>
<... read resumed>"x", 1) = 1
6 read(3,  <unfinished ...>
6 <... write resumed>) = 0
6 <... read resumed>"x", 1) = 1
7 a( <unfinished ...>
7 b( <unfinished ...>
`
	lines, errs := ParseFile("j", strings.NewReader(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	out, jerrs := Join(lines)
	var got []string
	for _, l := range out {
		got = append(got, l.Pos.String()+" "+l.String())
	}
	want := []string{
		"j:1:1 1 mmap(NULL, 8192, PROT_READ, -1, 0) = 0x7f0000000000 <0.000010>",
		"j:2:1 2 read(0, \"abc\", 10) = 3",
		"j:4:1 3 exit_group(0 <unfinished ...>",
		"j:7:1 3 +++ exited with 0 +++",
		"j:10:1 $c read(3, \"\", 1) = 0",
		"j:12:1 read(3, \"x\", 1) = 1",
		"j:14:1 6 read(3, \"x\", 1) = 1",
		"j:17:1 7 a(<unfinished ...>",
		"j:8:1 4 futex(0x1, FUTEX_WAIT, 0, NULL <unfinished ...>",
		"j:18:1 7 b(<unfinished ...>",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("joined:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var es []string
	for _, e := range jerrs {
		es = append(es, e.Error())
	}
	wantErrs := []string{
		"j:6:1: <... write resumed> without a preceding unfinished write call in pid 2",
		"j:9:1: <... brk resumed> without a preceding unfinished brk call in pid 5",
		"j:15:1: <... write resumed> in pid 6, but the unfinished call there is read (line 14)",
	}
	if strings.Join(es, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(es, "\n"), strings.Join(wantErrs, "\n"))
	}
	// The input is not modified.
	if !lines[0].Unfinished || len(lines[0].Args) != 3 {
		t.Errorf("Join modified its input: %v", lines[0])
	}
}
