package scenario

import (
	"strings"
	"testing"
	"time"
)

// Hostile inputs must parse (or fail) quickly.
func TestPathological(t *testing.T) {
	inputs := []string{
		"1 f(" + strings.Repeat("[a b, ", 190) + strings.Repeat("]", 190) + ")",
		"1 f(" + strings.Repeat("{a=(", 100) + strings.Repeat("x y", 1) + strings.Repeat(")}", 100) + ")",
		"1 f(" + strings.Repeat("(", 100000) + ")",
		"1 f(" + strings.Repeat("[", 100000),
		"1 f(" + strings.Repeat("a ", 200000) + ")",
		"1 f(" + strings.Repeat("\"x\" ", 100000) + ")",
		"1 f(" + strings.Repeat("-", 100000) + "1)",
		"1 f(" + strings.Repeat("1|", 100000) + "1)",
		"1 f(" + strings.Repeat("3<", 50000) + strings.Repeat(">", 50000) + ")",
		"1 f(" + strings.Repeat("<...", 50000) + ")",
		"1 f(" + strings.Repeat("[1, ", 150) + strings.Repeat("x y]", 150) + ")",
		"1 f(a) = " + strings.Repeat("(", 100000),
		"1 --- SIGSEGV " + strings.Repeat("{", 100000) + " ---",
	}
	for _, in := range inputs {
		start := time.Now()
		ln, err := ParseLine(in, Pos{})
		d := time.Since(start)
		if d > 2*time.Second {
			t.Errorf("ParseLine(%.40q...) took %v", in, d)
		}
		t.Logf("ParseLine(%.40q...): %v", in, d)
		if err == nil {
			_ = ln.String()
			evalAll(ln)
		}
	}
}
