package scenario

import (
	"os"
	"strings"
	"testing"
)

const benchLine = "19520 1795311376.588950 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7fc0000"

func BenchmarkParseLine(b *testing.B) {
	pos := Pos{File: "bench", Line: 1, Col: 1}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		if _, err := ParseLine(benchLine, pos); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseLineRaw(b *testing.B) {
	const line = "19524 1795311376.596638 mmap(0x7ffff7dfa000, 1400832, 0x5, 0x812, 3</usr/lib/x86_64-linux-gnu/libc.so.6>, 0x26000) = 0x7ffff7dfa000"
	pos := Pos{File: "bench", Line: 1, Col: 1}
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := ParseLine(line, pos); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFile(b *testing.B) {
	var data []byte
	for _, f := range traceFiles(b) {
		d, err := os.ReadFile(f)
		if err == nil {
			data = append(data, d...)
		}
	}
	if len(data) == 0 {
		b.Skip("no traces")
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		ParseFile("bench", strings.NewReader(string(data)))
	}
}

func BenchmarkEval(b *testing.B) {
	e, err := ParseExpr("PROT_MAX(PROT_READ|PROT_WRITE)|PROT_READ|4*P+$a", Pos{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Eval(e, testResolver{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLexOnly measures the lexer alone on the typical line.
func BenchmarkLexOnly(b *testing.B) {
	for b.Loop() {
		var p parser
		p.init(benchLine, Pos{File: "x", Line: 1, Col: 1})
		p.off = strings.Index(benchLine, "mmap")
		p.next()
		for p.tok.kind != tEOF && p.tok.kind != tErr {
			p.next()
		}
	}
}
