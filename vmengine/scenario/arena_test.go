package scenario

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestParseLineInArena parses every line of the strace logs in an arena,
// 64 lines between resets, and checks that each line of a group still
// equals what ParseLine gives after the whole group was parsed: lines that
// share an arena never share nodes, and a reset slab carries nothing over.
func TestParseLineInArena(t *testing.T) {
	var a Arena
	for _, f := range traceFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Split(string(data), "\n")
		for lo := 0; lo < len(text); lo += 64 {
			hi := min(lo+64, len(text))
			a.Reset()
			got := make([]Line, 0, hi-lo)
			gotErr := make([]error, 0, hi-lo)
			for i := lo; i < hi; i++ {
				l, err := ParseLineIn(&a, text[i], Pos{File: f, Line: i + 1})
				got, gotErr = append(got, l), append(gotErr, err)
			}
			for i := lo; i < hi; i++ {
				want, wantErr := ParseLine(text[i], Pos{File: f, Line: i + 1})
				if !reflect.DeepEqual(gotErr[i-lo], wantErr) {
					t.Fatalf("%s:%d: error %v, ParseLine gives %v", f, i+1, gotErr[i-lo], wantErr)
				}
				if wantErr == nil && !reflect.DeepEqual(got[i-lo], want) {
					t.Fatalf("%s:%d: arena line\n  %s\ndiffers from ParseLine's\n  %s", f, i+1, got[i-lo].CallText(), want.CallText())
				}
			}
		}
	}
}

func BenchmarkParseLineArena(b *testing.B) {
	pos := Pos{File: "bench", Line: 1, Col: 1}
	var a Arena
	b.ReportAllocs()
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		a.Reset()
		if _, err := ParseLineIn(&a, benchLine, pos); err != nil {
			b.Fatal(err)
		}
	}
}
