package scenario

import "testing"

func BenchmarkLexOnly(b *testing.B) {
	for b.Loop() {
		var p parser
		p.init(benchLine, Pos{File: "x", Line: 1, Col: 1})
		p.off = 25
		p.next()
		for p.tok.kind != tEOF && p.tok.kind != tErr {
			p.next()
		}
	}
}

func BenchmarkAllocOnly(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var p parser
		p.init(benchLine, Pos{File: "x", Line: 1, Col: 1})
		for i := 0; i < 5; i++ {
			p.newIdent(i, "x")
		}
		for i := 0; i < 4; i++ {
			p.newNum(i, 1, 10)
		}
		p.newBinary(1, OpOr, nil, nil)
		p.newBinary(1, OpOr, nil, nil)
		p.newUnary(1, OpSub, nil)
		sink = make([]Expr, 0, 6)
		sinkp = &p
	}
}

var sink []Expr
var sinkp *parser
