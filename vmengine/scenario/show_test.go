package scenario

import (
	"bufio"
	"os"
	"testing"
)

func TestShow(t *testing.T) {
	f := os.Getenv("SHOW")
	if f == "" {
		t.Skip()
	}
	fh, _ := os.Open(f)
	sc := bufio.NewScanner(fh)
	n := 0
	for sc.Scan() {
		n++
		ln, err := ParseLine(sc.Text(), Pos{File: f, Line: n})
		if err != nil {
			t.Logf("ERR %v", err)
			continue
		}
		t.Logf("%s\n    %s", dumpLine(ln), ln.String())
	}
}
