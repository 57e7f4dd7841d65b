package scenario

import "testing"

// testResolver is a tiny personality for tests.
type testResolver struct{}

var (
	testIdents = map[string]uint64{"NULL": 0, "P": 4096, "PROT_READ": 1, "PROT_WRITE": 2, "PROT_EXEC": 4, "AT_FDCWD": ^uint64(99)}
	testVars   = map[string]uint64{"a": 0x10000, "zero": 0}
)

func (testResolver) Ident(name string) (uint64, bool) {
	v, ok := testIdents[name]
	return v, ok
}

func (testResolver) Macro(name string, args []uint64) (uint64, bool) {
	switch name {
	case "PROT_MAX":
		if len(args) == 1 {
			return args[0] << 16, true
		}
	case "makedev":
		if len(args) == 2 {
			return args[0]<<8 | args[1], true
		}
	}
	return 0, false
}

func (testResolver) Var(name string) (uint64, bool) {
	v, ok := testVars[name]
	return v, ok
}

func TestEval(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  string
	}{
		{"1", 1, ""},
		{"0x7f00", 0x7f00, ""},
		{"0644", 0644, ""},
		{"0x00000000000000000000001", 1, ""},
		{"0xFFFFFFFFFFFFFFFF", ^uint64(0), ""},
		{"9999999999999999999", 9999999999999999999, ""},
		{"18446744073709551615", ^uint64(0), ""},
		{"0000000000000000000000000001", 1, ""},
		{"01777777777777777777777", ^uint64(0), ""},
		{"-1", ^uint64(0), ""},
		{"~0", ^uint64(0), ""},
		{"-~0", 1, ""},
		{"!0", 1, ""},
		{"!5", 0, ""},
		{"1+2*3", 7, ""},
		{"(1+2)*3", 9, ""},
		{"1|2^3&4", 1 | 2 ^ 3&4, ""},
		{"7-2-1", 4, ""},
		{"100/7%3", 100 / 7 % 3, ""},
		{"1<<4>>2", 4, ""},
		{"1<<2+1", 8, ""},
		{"1<<64", 0, ""},
		{"1<<63<<1", 0, ""},
		{"0xffffffffffffffff+2", 1, ""},
		{"0-1", ^uint64(0), ""},
		{"0x8000000000000000*2", 0, ""},
		{"3==3", 1, ""},
		{"3!=3", 0, ""},
		{"1&&2", 1, ""},
		{"0&&(1/0)", 0, ""},
		{"1||(1/0)", 1, ""},
		{"0||0", 0, ""},
		{"1|2==2", 1, ""}, // 1 | (2==2)
		{"4*P", 4 * 4096, ""},
		{"PROT_READ|PROT_WRITE", 3, ""},
		{"PROT_MAX(PROT_READ|PROT_WRITE)|PROT_READ", 3<<16 | 1, ""},
		{"makedev(0x1, 0x5)", 0x105, ""},
		{"$a+P", 0x11000, ""},
		{"3</etc/passwd>", 3, ""},
		{"-100</tmp>", uint64(1<<64 - 100), ""},
		{"AT_FDCWD</tmp>", uint64(1<<64 - 100), ""},
		{"1/0", 0, "1:2: division by zero in 1/0"},
		{"1 % $zero", 0, "1:3: division by zero in 1%$zero"},
		{"PROT_READ|PROT_FOO", 0, "1:11: unknown identifier PROT_FOO"},
		{"$nope", 0, "1:1: undefined variable $nope"},
		{"FOO(1)", 0, "1:1: unknown macro FOO()"},
		{"PROT_MAX(X)", 0, "1:10: unknown identifier X"},
		{"\"abc\"", 0, "1:1: cannot evaluate the string \"abc\" as a number"},
		{"1+[1]", 0, "1:3: cannot evaluate an array as a number"},
		{"{a=1}", 0, "1:1: cannot evaluate a struct as a number"},
		{"...", 0, "1:1: cannot evaluate '...' as a number"},
		{"&x", 0, "1:1: cannot evaluate the address-of expression &x"},
		{"{a} => {b}", 0, "1:5: cannot evaluate strace's '=>' (in => out) as a number"},
		{"<... x ...>", 0, "1:1: cannot evaluate '<... x ...>' as a number"},
	}
	for _, tc := range tests {
		e, err := ParseExpr(tc.in, Pos{File: "e", Line: 1, Col: 1})
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tc.in, err)
			continue
		}
		v, err := Eval(e, testResolver{})
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Eval(%q) error %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || v != tc.want {
			t.Errorf("Eval(%q) = %#x, %v; want %#x", tc.in, v, err, tc.want)
		}
	}
}

func TestEvalNamedAndNil(t *testing.T) {
	ln, err := ParseLine("clone(flags=PROT_READ|PROT_EXEC)", Pos{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := Eval(ln.Args[0], testResolver{}); err != nil || v != 5 {
		t.Errorf("named: %v %v", v, err)
	}
	if _, err := Eval(nil, testResolver{}); err == nil {
		t.Error("nil expr evaluated")
	}
	if _, err := Eval((*Num)(nil), testResolver{}); err == nil {
		t.Error("nil *Num evaluated")
	}
	if _, err := Eval(&Binary{Op: OpAdd, X: &Num{Value: 1}}, nil); err == nil {
		t.Error("binary with nil operand evaluated")
	}
	if _, err := Eval(&Ident{Name: "P"}, nil); err == nil || err.Error() != "0:0: unknown identifier P" {
		t.Errorf("nil resolver: %v", err)
	}
	ln, err = ParseLine("munmap($a, 1/0)", Pos{File: "s.scn", Line: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ln.Eval(ln.Args[1], testResolver{}); err == nil || err.Error() != "s.scn:4:13: division by zero in 1/0" {
		t.Errorf("Line.Eval: %v", err)
	}
}
