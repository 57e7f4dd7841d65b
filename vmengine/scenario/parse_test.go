package scenario

import (
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// Blank lines, comments, notes.
		{"", "none"},
		{"   \t", "none"},
		{"  # a comment", `none text="# a comment"`},
		{"strace: Process 123 attached", `note text="strace: Process 123 attached"`},
		{"strace: Process 123 detached", `note text="strace: Process 123 detached"`},
		{"[ Process PID=123 runs in 32 bit mode. ]", `note text="[ Process PID=123 runs in 32 bit mode. ]"`},
		{" > /usr/lib/libc.so.6(mmap64+0x26) [0x10b8a6]", `note text="> /usr/lib/libc.so.6(mmap64+0x26) [0x10b8a6]"`},

		// Directives and blocks.
		{"@personality freebsd", "directive personality text=\"freebsd\" words=freebsd"},
		{"@pagesize 4096", "directive pagesize text=\"4096\" words=4096"},
		{"@set max_map_entries 16", "directive set text=\"max_map_entries 16\" words=max_map_entries|16"},
		{"@cmd gcc  --version ", "directive cmd text=\"gcc  --version\" words=gcc|--version"},
		{"@arch", "directive arch"},
		{"@maps 1234", "block pid=1234 maps text=\"1234\" words=1234"},
		{"@maps $child", "block pid=$child maps text=\"$child\" words=$child"},
		{"@image", "block image"},

		// Scenario calls.
		{"mmap(NULL, 4*P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = $a",
			"call mmap(NULL, (* #4 P), (| PROT_READ PROT_WRITE), (| MAP_PRIVATE MAP_ANON), (- #1), #0) = value $a"},
		{"touch($a, P, \"w\") = SIGSEGV SEGV_ACCERR", `call touch($a, P, str"w") = signal SIGSEGV SEGV_ACCERR`},
		{"touch($a+P, P, \"r\") = SIGBUS", `call touch((+ $a P), P, str"r") = signal SIGBUS`},
		{"touch($a, 2*P, \"w\", 7)", `call touch($a, (* #2 P), str"w", #7)`},
		{"peek($a) = 7", "call peek($a) = value #7"},
		{"munmap($a, P) = -1 EINVAL", "call munmap($a, P) = errno EINVAL"},
		{"mmap(0, P, PROT_MAX(PROT_READ|PROT_WRITE)|PROT_READ, MAP_ALIGNED(21), -1, 0) = -1 ENOMEM (Cannot allocate memory)",
			"call mmap(#0, P, (| PROT_MAX((| PROT_READ PROT_WRITE)) PROT_READ), MAP_ALIGNED(#21), (- #1), #0) = errno ENOMEM (Cannot allocate memory)"},
		{"fork() = $child", "call fork() = value $child"},
		{"$child exit(0)", "call pid=$child exit(#0)"},
		{"$t touch($a, P, \"w\") = 0", `call pid=$t touch($a, P, str"w") = value #0`},
		{"prot($a) = PROT_READ|PROT_WRITE", "call prot($a) = value (| PROT_READ PROT_WRITE)"},
		{"entries($a, 3 * P) = $n + 1", "call entries($a, (* #3 P)) = value (+ $n #1)"},
		{"openat(AT_FDCWD, \"/tmp/f\", O_RDWR|O_CREAT, 0644) = $fd", `call openat(AT_FDCWD, str"/tmp/f", (| O_RDWR O_CREAT), #0644) = value $fd`},
		{"setrlimit(RLIMIT_DATA, {rlim_cur=4*P, rlim_max=4*P}) = 0", "call setrlimit(RLIMIT_DATA, {rlim_cur:(* #4 P), rlim_max:(* #4 P)}) = value #0"},
		{"exit_group (0) = ?", "call exit_group(#0) = unknown"},
		{"x(a = 1)", "call x(a:=#1)"},
		{"f(~0, -~1, !0, (1+2)*3, 1+2*3, 1-2-3, 1<<2>>3)",
			"call f((~ #0), (- (~ #1)), (! #0), (* (+ #1 #2) #3), (+ #1 (* #2 #3)), (- (- #1 #2) #3), (>> (<< #1 #2) #3))"},
		{"f(1|2^3&4==5, a||b&&c)", "call f((| #1 (^ #2 (& #3 (== #4 #5)))), (|| a (&& b c)))"},
		{"f(\"\\x41\\101\\n\\t\\\\\\\"\\0\")", `call f(str"AA\n\t\\\"\x00")`},
		{"f(\"abc\"..., \"\")", `call f(str"abc"..., str"")`},
		{"f([], {}, [1], [[1, 2], [3]], {a={b=[]}})", "call f([], {}, [#1], [[#1, #2], [#3]], {a:{b:[]}})"},
		{"f(...)", "call f(...)"},
		{"f(/* c */ 1 /* d */, 2)", "call f(#1, #2)"},
		{"f(18446744073709551615, 0xFFFFFFFFFFFFFFFF, 01777777777777777777777)",
			"call f(#18446744073709551615, #0xffffffffffffffff, #01777777777777777777777)"},

		// strace forms.
		{"1234 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3</usr/lib/libc.so.6>, 0) = 0x7f0000000000",
			"call pid=1234 mmap(NULL, #8192, PROT_READ, MAP_PRIVATE, fd:3</usr/lib/libc.so.6>, #0) = value #0x7f0000000000"},
		{"[pid  1234] mmap(NULL, 8192, 0x3, 0x22, -1, 0) = 0x7f0000000000",
			"call pid=[pid 1234] mmap(NULL, #8192, #0x3, #0x22, (- #1), #0) = value #0x7f0000000000"},
		{"1234<gcc> 1700000000.123456 brk(NULL) = 0x541000", "call pid=1234<gcc> time=1700000000.123456 brk(NULL) = value #0x541000"},
		{"12:34:56 brk(NULL) = 0x541000", "call time=12:34:56 brk(NULL) = value #0x541000"},
		{"     0.000123 brk(NULL) = 0x541000", "call time=0.000123 brk(NULL) = value #0x541000"},
		{"1700000000.123456 [00007f1e2c3a4a10] brk(NULL) = 0x541000", "call time=1700000000.123456 extra=[00007f1e2c3a4a10] brk(NULL) = value #0x541000"},
		{"openat(-100</tmp/cwd>, \"x\", 0) = 3</x (deleted)>", `call openat(fd:-100</tmp/cwd>, str"x", #0) = value fd:3</x (deleted)>`},
		{"exit_group(0)                    = ?", "call exit_group(#0) = unknown"},
		{"1234 exit_group(0 <unfinished ...>", "call pid=1234 exit_group(#0) unfinished"},
		{"1234 getpid( <unfinished ...>", "call pid=1234 getpid() unfinished"},
		{"1234 read(3,  <unfinished ...>", "call pid=1234 read(#3) unfinished"},
		{"1234 read(3,  <detached ...>", "call pid=1234 read(#3) unfinished"},
		{"1234 <... read resumed>\"abc\", 1024) = 3 <0.000100>", `call pid=1234 resumed read(str"abc", #1024) = value #3 <0.000100>`},
		{"1234 <... mmap resumed>, -1, 0) = 0x7f0000000000", "call pid=1234 resumed mmap((- #1), #0) = value #0x7f0000000000"},
		{"1234 <... futex resumed>)        = 0", "call pid=1234 resumed futex() = value #0"},
		{"1234 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---",
			"signal pid=1234 SIGSEGV ({si_signo:SIGSEGV, si_code:SEGV_MAPERR, si_addr:#0x10})"},
		{"--- SIGINT ---", "signal SIGINT"},
		{"f(1 <unfinished ...>", "call f(#1) unfinished"},
		{"1234 +++ exited with 0 +++", "exit pid=1234 = value #0"},
		{"1234 +++ killed by SIGKILL +++", "exit pid=1234 = signal SIGKILL"},
		{"1234 +++ killed by SIGSEGV (core dumped) +++", "exit pid=1234 = signal SIGSEGV core"},
		{"1234 +++ superseded by execve in pid 1235 +++", `exit pid=1234 text="superseded by execve in pid 1235"`},
		{"write(1, \"x\", 1) = 1 (note) <0.5>", `call write(#1, str"x", #1) = value #1 (note) <0.5>`},
		{"personality(0xffffffff) = 0x40000 (PER_LINUX|ADDR_NO_RANDOMIZE)", "call personality(#0xffffffff) = value #0x40000 (PER_LINUX|ADDR_NO_RANDOMIZE)"},
		{"select(1, [0], NULL, NULL, NULL) = 1 (in [0], left {tv_sec=0, tv_usec=99})", "call select(#1, [#0], NULL, NULL, NULL) = value #1 (in [0], left {tv_sec=0, tv_usec=99})"},
		{"1 x(\"a\"\"b\")", `call pid=1 x(raw"\"a\"\"b\"")`},
		{"1 x(a b, c) = 0", `call pid=1 x(raw"a b", c) = value #0`},
		{"1 x(1) = 0 what is this", `call pid=1 x(#1) = value raw"0 what is this"`},
		{"1 x(1) = 0 what <0.1>", `call pid=1 x(#1) = value raw"0 what" <0.1>`},
		{"1 --- SIGSEGV {a=1} extra ---", `signal pid=1 SIGSEGV (raw"{a=1} extra")`},
	}
	for _, tc := range tests {
		ln, err := ParseLine(tc.in, Pos{File: "t", Line: 1, Col: 1})
		if err != nil {
			t.Errorf("ParseLine(%q): %v", tc.in, err)
			continue
		}
		if got := dumpLine(ln); got != tc.want {
			t.Errorf("ParseLine(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
		checkRoundTrip(t, ln)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"mmap(NULL, 4096", "f:3:16: expected ')' to close the call to mmap, found end of line"},
		{"mmap(NULL 4096)", "f:3:11: expected ',' or ')' in the call to mmap, found number 4096"},
		{"mmap(NULL, , 1)", "f:3:12: expected an expression, found ','"},
		{"mmap(NULL, 4096,)", "f:3:17: expected an expression, found ')'"},
		{"mmap", "f:3:5: expected '(' after mmap, found end of line"},
		{"mmap() 0", "f:3:8: expected '=' or end of line after the call to mmap, found number 0"},
		{"mmap() =", "f:3:9: expected a result after '=', found end of line"},
		{"mmap() = 0 0", "f:3:12: expected end of line after the result, found number 0"},
		{"mmap() = -2 ENOMEM", "f:3:13: expected end of line after the result, found identifier ENOMEM"},
		{"f(1 +)", "f:3:6: expected an expression, found ')'"},
		{"f(08)", "f:3:3: invalid digit '8' in octal number"},
		{"f(0x)", "f:3:3: expected hex digits after 0x, found ')'"},
		{"f(12abc)", "f:3:3: malformed number: unexpected 'a' after 12"},
		{"f(1.5)", "f:3:3: malformed number: unexpected '.' after 1"},
		{"f(18446744073709551616)", "f:3:3: number 18446744073709551616 does not fit in 64 bits"},
		{"f(0x10000000000000000)", "f:3:3: number 0x10000000000000000 does not fit in 64 bits"},
		{"f(99999999999999999999)", "f:3:3: number 99999999999999999999 does not fit in 64 bits"},
		{"f(02000000000000000000000)", "f:3:3: number 02000000000000000000000 does not fit in 64 bits"},
		{"f(\"abc)", "f:3:3: unterminated string: expected '\"', found end of line"},
		{"f(\"\\q\")", "f:3:4: unknown escape sequence \\q in string"},
		{"f(\"\\400\")", "f:3:4: octal escape \\400 out of range"},
		{"f(\"\\x\")", "f:3:4: expected hex digits after \\x in string"},
		{"f([1, 2)", "f:3:8: expected ',' or ']' in the array opened at column 3, found ')'"},
		{"f([1 2, 3])", "f:3:7: unexpected ',' in space-separated elements of the array opened at column 3"},
		{"f({a=1, b=2)", "f:3:12: expected ',' or '}' in the struct opened at column 3, found ')'"},
		{"f((1)", "f:3:6: expected ')' to close the call to f, found end of line"},
		{"f((1, 2))", "f:3:5: expected ')' to close the '(' at column 3, found ','"},
		{"f(PROT_MAX(1)", "f:3:14: expected ')' to close the call to f, found end of line"},
		{"f(PROT_MAX(1, 2)", "f:3:17: expected ')' to close the call to f, found end of line"},
		{"f(/* x)", "f:3:3: unterminated comment: expected */, found end of line"},
		{"f($)", "f:3:3: expected a variable name after '$', found ')'"},
		{"f(3</x)", "f:3:4: expected '>' to close the path of fd 3, found end of line"},
		{"f(#)", "f:3:3: expected an expression, found '#)'"},
		{"f(a) # comment", "f:3:6: expected '=' or end of line after the call to f, found '# comment'"},
		{"@", "f:3:2: expected a directive name after '@', found end of line"},
		{"@1x", "f:3:2: expected a directive name after '@', found '1x'"},
		{"@set-x 1", "f:3:5: expected a space after @set, found '-x 1'"},
		{"@maps foo", "f:3:7: expected a pid or $variable after @maps, found 'foo'"},
		{"@end", "f:3:1: unexpected @end outside a @maps or @image block"},
		{"$ f()", "f:3:2: expected a variable name after '$', found ' f()'"},
		{"$x", "f:3:3: expected a space after the process variable $x, found end of line"},
		{"123", "f:3:4: expected a system call, found end of line"},
		{"123abc()", "f:3:4: expected a space after the pid, found 'abc()'"},
		{"[pid 12 f()", "f:3:8: expected ']' after the pid, found ' f()'"},
		{"1 <... f resumed", "f:3:10: expected 'resumed>' after '<... f', found 'resumed'"},
		{"1 --- SIGSEGV", "f:3:14: expected '---' at the end of the line, found end of line"},
		{"--- SIGSEGV {a=} ---", "f:3:16: expected an expression, found '}'"},
		{"1 +++ exited with 0", "f:3:20: expected '+++' at the end of the line, found end of line"},
		{"f(a=)", "f:3:5: expected an expression, found ')'"},
		{"f(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1",
			"f:3:203: expression nested too deeply"},
		{"f(1) = ? junk", "f:3:10: expected end of line after the result, found identifier junk"},
		{"f(1) = 1 (abc", "f:3:10: expected ')' to close the result comment, found end of line"},
		{"f(@x)", "f:3:3: expected an expression, found '@x)'"},
	}
	for _, tc := range tests {
		_, err := ParseLine(tc.in, Pos{File: "f", Line: 3, Col: 1})
		if err == nil {
			t.Errorf("ParseLine(%q): no error, want %q", tc.in, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("ParseLine(%q)\n got %v\nwant %s", tc.in, err, tc.want)
		}
		if _, ok := err.(*Error); !ok {
			t.Errorf("ParseLine(%q): error type %T", tc.in, err)
		}
	}
}

func TestParseExpr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1", "#1"},
		{"0", "#0"},
		{"00", "#00"},
		{"0x0", "#0x0"},
		{"-1", "(- #1)"},
		{"--1", "(- (- #1))"},
		{"& &x", "(& (& x))"},
		{"a & &x", "(& a (& x))"},
		{"a&&b", "(&& a b)"},
		{"a==b", "(== a b)"},
		{"a!=b", "(!= a b)"},
		{"{a} => {b}", "(=> {a} {b})"},
		{"x</p>", "fd:x</p>"},
		{"-3</p>", "fd:-3</p>"},
		{"- -3</p>", "fd:3</p>"},
		{"~3</p>", "(~ fd:3</p>)"},
		{"3</a<b>>", "fd:3</a<b>>"},
		{"3</a<char 1:2>>", "fd:3</a|char 1:2>"},
		{"3</a<block 8:1>>>>1", "(>> fd:3</a|block 8:1> #1)"},
		{"3<x\\>y>", "fd:3<x\\>y>"},
		{"1<<2", "(<< #1 #2)"},
		{"a - -b", "(- a (- b))"},
		{"a*(b+c)%d", "(% (* a (+ b c)) d)"},
		{"a-(b-c)", "(- a (- b c))"},
		{"~[]", "(~ [])"},
		{"[a=1, 2]", "[a:=#1, #2]"},
		{"{... b}", "{... b}"},
		{"@\"x\"", `raw"@\"x\""`},
		{"<... a b ...>", `raw"<... a b ...>"`},
		{"f(a, g(b))", "f(a, g(b))"},
		{"f ()", "x"},
	}
	for _, tc := range tests {
		e, err := ParseExpr(tc.in, Pos{})
		if tc.want == "x" {
			if err == nil {
				t.Errorf("ParseExpr(%q): no error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tc.in, err)
			continue
		}
		if got := dump(e); got != tc.want {
			t.Errorf("ParseExpr(%q) = %s, want %s", tc.in, got, tc.want)
		}
		s := e.String()
		e2, err := ParseExpr(s, Pos{})
		if err != nil || !equalExpr(e, e2) {
			t.Errorf("round trip of %q via %q: %v %s", tc.in, s, err, dump(e2))
		}
	}
}

func TestPositions(t *testing.T) {
	ln, err := ParseLine("  1234 mmap(NULL, P*2) = $a", Pos{File: "f", Line: 7, Col: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		e   Expr
		pos string
	}{
		{ln.Args[0], "7:13"},
		{ln.Args[1], "7:19"},
		{ln.Args[1].(*Binary).Y, "7:21"},
		{ln.Result.Expr, "7:26"},
	}
	for _, w := range want {
		if got := w.e.Pos().String(); got != w.pos {
			t.Errorf("%s at %s, want %s", w.e, got, w.pos)
		}
	}
	if got := ln.Args[1].(*Binary).OpPos.Pos().String(); got != "7:20" {
		t.Errorf("op at %s", got)
	}
	if ln.Pos.String() != "f:7:1" || ln.Result.Pos.String() != "f:7:26" {
		t.Errorf("line pos %v result pos %v", ln.Pos, ln.Result.Pos)
	}
	// A column offset is honored (console input after a prompt).
	_, err = ParseLine("f(", Pos{Line: 1, Col: 5})
	if err == nil || err.Error() != "1:7: expected ')' to close the call to f, found end of line" {
		t.Errorf("got %v", err)
	}
	if (Pos{}).String() != "0:0" {
		t.Errorf("zero pos %q", Pos{}.String())
	}
}

func TestStringEscapesRoundTrip(t *testing.T) {
	var all []byte
	for i := 0; i < 256; i++ {
		all = append(all, byte(i), '1', byte(i), '9')
	}
	s := &Str{Bytes: string(all), Truncated: true}
	e, err := ParseExpr(s.String(), Pos{})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.(*Str); got.Bytes != s.Bytes || !got.Truncated {
		t.Fatalf("escape round trip failed: %q", s.String())
	}
	if got := (&Str{Bytes: "\x00\x001\n\x7f"}).String(); got != `"\0\0001\n\177"` {
		t.Errorf("got %s", got)
	}
}

func TestMapsLine(t *testing.T) {
	tests := []struct {
		in   string
		want MapsLine
		err  string
	}{
		{"00400000-00403000 r--p 00000000 fe:00 247924                             /usr/bin/x86_64-linux-gnu-gcc-12",
			MapsLine{Start: 0x400000, End: 0x403000, Perms: "r--p", Dev: "fe:00", Inode: 247924, Path: "/usr/bin/x86_64-linux-gnu-gcc-12"}, ""},
		{"0053e000-00541000 rw-p 00000000 00:00 0 ",
			MapsLine{Start: 0x53e000, End: 0x541000, Perms: "rw-p", Dev: "00:00"}, ""},
		{"7ffff7fb9000-7ffff7fc0000 r--s 0001c000 fe:00 325737   [anon: Go: heap] ",
			MapsLine{Start: 0x7ffff7fb9000, End: 0x7ffff7fc0000, Perms: "r--s", Offset: 0x1c000, Dev: "fe:00", Inode: 325737, Path: "[anon: Go: heap]"}, ""},
		{"0040000 r--p", MapsLine{}, "m:2:8: expected '-' after the start address in maps line, found ' r--p'"},
		{"1-2 rwz 0 0:0 0", MapsLine{}, "m:2:5: expected permissions like r-xp in maps line, found 'rwz 0 0:0 0'"},
		{"1-2 rwxp 0 00 0", MapsLine{}, "m:2:14: expected ':' in the device number in maps line, found ' 0'"},
		{"1-2 rwxp 0 0:0 x", MapsLine{}, "m:2:16: expected a decimal inode in maps line, found 'x'"},
		{"1-2 rwxp 0 0:0 1x", MapsLine{}, "m:2:17: expected a space after the inode in maps line, found 'x'"},
	}
	for _, tc := range tests {
		m, err := ParseMapsLine(tc.in, Pos{File: "m", Line: 2, Col: 1})
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseMapsLine(%q) error %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMapsLine(%q): %v", tc.in, err)
			continue
		}
		m.Pos = Pos{}
		if m != tc.want {
			t.Errorf("ParseMapsLine(%q) = %+v, want %+v", tc.in, m, tc.want)
		}
		m2, err := ParseMapsLine(m.String(), Pos{})
		m2.Pos = Pos{}
		if err != nil || m2 != m {
			t.Errorf("maps round trip %q: %v %+v", m.String(), err, m2)
		}
	}
	if got := (MapsLine{Start: 0x400000, End: 0x403000, Perms: "r--p", Dev: "fe:00", Inode: 247924, Path: "/x"}).String(); got !=
		"00400000-00403000 r--p 00000000 fe:00 247924                             /x" {
		t.Errorf("maps String = %q", got)
	}
}

func TestParseFile(t *testing.T) {
	src := "\ufeff# scenario\n" +
		"@personality linux\r\n" +
		"\n" +
		"mmap(NULL, P, PROT_READ, MAP_PRIVATE|MAP_ANON, -1, 0) = $a\n" +
		"bad(\n" +
		"@maps 1\n" +
		"00400000-00403000 r--p 00000000 fe:00 247924   /bin/x\n" +
		"# comment in block\n" +
		"\n" +
		"zzz\n" +
		"  @end  \n" +
		"@maps x\n" +
		"garbage that is skipped\n" +
		"@end\n" +
		"@end\n" +
		"touch($a, P, \"r\") = 0\n" +
		"@image $c\n" +
		"00400000-00403000 r-xp 00000000 fe:00 1 /bin/y\n" +
		"@set x 1\n" +
		"00500000-00503000 rw-p 00000000 00:00 0\n"
	lines, errs := ParseFile("s.scn", strings.NewReader(src))
	var got []string
	for _, l := range lines {
		got = append(got, dumpLine(l))
	}
	want := []string{
		`directive personality text="linux" words=linux`,
		"call mmap(NULL, P, PROT_READ, (| MAP_PRIVATE MAP_ANON), (- #1), #0) = value $a",
		`block pid=1 maps text="1" words=1`,
		`call touch($a, P, str"r") = value #0`,
		`block pid=$c image text="$c" words=$c`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var es []string
	for _, e := range errs {
		es = append(es, e.Error())
	}
	wantErrs := []string{
		"s.scn:5:5: expected ')' to close the call to bad, found end of line",
		"s.scn:10:1: expected a hex start address in maps line, found 'zzz'",
		"s.scn:12:7: expected a pid or $variable after @maps, found 'x'",
		"s.scn:15:1: unexpected @end outside a @maps or @image block",
		"s.scn:19:1: expected @end to close @image (opened at line 17), found '@set x 1'",
		"s.scn:17:1: expected @end to close @image, found end of file",
	}
	if strings.Join(es, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(es, "\n"), strings.Join(wantErrs, "\n"))
	}
	if len(lines) == 5 {
		b := lines[2]
		if len(b.Body) != 3 || len(b.Maps) != 1 || b.Maps[0].Path != "/bin/x" || b.Maps[0].Pos.String() != "s.scn:7:1" {
			t.Errorf("block: %q %+v", b.Body, b.Maps)
		}
		im := lines[4]
		if len(im.Maps) != 2 || im.Maps[1].Start != 0x500000 {
			t.Errorf("image: %+v", im.Maps)
		}
		if lines[1].Pos.String() != "s.scn:4:1" {
			t.Errorf("pos %v", lines[1].Pos)
		}
		checkRoundTrip(t, b)
	}
}

type errReader struct{ n int }

func (r *errReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		r.n++
		return copy(p, "f(1)\nf("), nil
	}
	return 0, errTest
}

type testErr string

func (e testErr) Error() string { return string(e) }

const errTest = testErr("boom")

func TestParseFileReadError(t *testing.T) {
	lines, errs := ParseFile("r", &errReader{})
	if len(lines) != 1 || len(errs) != 2 || errs[1].Error() != "r:3:1: read error: boom" {
		t.Errorf("lines %d errs %v", len(lines), errs)
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("(", 150)
	undeep := strings.Repeat(")", 150)
	// A failed deep argument on a lenient line does not leave the depth
	// raised for the next one.
	ln, err := ParseLine("1 f("+deep+"a b"+undeep+", "+deep+"1"+undeep+") = 0", Pos{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ln.Args[0].(*Raw); !ok {
		t.Errorf("arg 0 = %s, want Raw", dump(ln.Args[0]))
	}
	if n, ok := ln.Args[1].(*Num); !ok || n.Value != 1 {
		t.Errorf("arg 1 = %s, want 1", dump(ln.Args[1]))
	}
	checkRoundTrip(t, ln)

	_, err = ParseLine("f("+strings.Repeat("1+", maxChain+1)+"1)", Pos{})
	if err == nil || !strings.Contains(err.Error(), "expression too long") {
		t.Errorf("long chain: %v", err)
	}
	ln, err = ParseLine("f("+strings.Repeat("1+", maxChain-1)+"1)", Pos{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := Eval(ln.Args[0], nil); err != nil || v != maxChain {
		t.Errorf("long chain = %d, %v", v, err)
	}
	checkRoundTrip(t, ln)
}

// On lenient lines, a Raw element whose text parses on its own is parsed,
// so that printing and reparsing is stable.
func TestRawCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"0 A(/**/0<unfinished ...>":   "call pid=0 A(#0) unfinished",
		"1 f(3</x><unfinished ...>":   "call pid=1 f(fd:3</x>) unfinished",
		"1 f(a b, c d) = 0":           `call pid=1 f(raw"a b", raw"c d") = value #0`,
		"1 f([a b, c]) = 0":           `call pid=1 f(raw"[a b, c]") = value #0`,
		"1 f({x=1 y=2, z}) = 0":       `call pid=1 f(raw"{x=1 y=2, z}") = value #0`,
		"1 f(x, \"a\"\"b\", y) = 0":   `call pid=1 f(x, raw"\"a\"\"b\"", y) = value #0`,
		"1 f(1 <detached ...>":        "call pid=1 f(#1) unfinished",
		"1 f(g(a b), [c d]) = 0":      `call pid=1 f(g(raw"a b"), [c d]) = value #0`,
		"1 f({a=1, b=2 3}) = 0":       `call pid=1 f({a:#1, raw"b=2 3"}) = value #0`,
		"1 f(a) = 1 2 3 <0.000001>":   `call pid=1 f(a) = value raw"1 2 3" <0.000001>`,
		"1 f(a) = -1 ENOENT (x) junk": `call pid=1 f(a) = value raw"-1 ENOENT (x) junk"`,
	} {
		ln, err := ParseLine(in, Pos{})
		if err != nil {
			t.Errorf("ParseLine(%q): %v", in, err)
			continue
		}
		if got := dumpLine(ln); got != want {
			t.Errorf("ParseLine(%q)\n got %s\nwant %s", in, got, want)
		}
		checkRoundTrip(t, ln)
	}
}

func TestNodePositionsAndStrings(t *testing.T) {
	const in = `f(1, a, $v, -x, a+b, m(1), "s"..., 3</p>, [1], {a=1}, n=2, ..., <... r ...>)`
	ln, err := ParseLine(in, Pos{File: "n", Line: 2, Col: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []int{3, 6, 9, 13, 17, 22, 28, 36, 43, 48, 55, 60, 65}
	wantStr := []string{"1", "a", "$v", "-x", "a+b", "m(1)", `"s"...`, "3</p>", "[1]", "{a=1}", "n=2", "...", "<... r ...>"}
	if len(ln.Args) != len(wantCols) {
		t.Fatalf("%d args", len(ln.Args))
	}
	for i, a := range ln.Args {
		if p := a.Pos(); p.Line != 2 || p.Col != wantCols[i] || p.File != "" {
			t.Errorf("arg %d (%s) at %v, want 2:%d", i, a, p, wantCols[i])
		}
		if a.String() != wantStr[i] {
			t.Errorf("arg %d String = %q, want %q", i, a.String(), wantStr[i])
		}
	}
	if got := ln.String(); got != in {
		t.Errorf("line String = %q", got)
	}
	for k, want := range map[Kind]string{KindNone: "none", KindCall: "call", KindBlock: "block", KindNote: "note", Kind(99): "kind(99)"} {
		if k.String() != want {
			t.Errorf("Kind %d = %q", k, k.String())
		}
	}
	for k, want := range map[ResultKind]string{ResultNone: "none", ResultErrno: "errno", ResultKind(9): "result(9)"} {
		if k.String() != want {
			t.Errorf("ResultKind %d = %q", k, k.String())
		}
	}
	if OpArrow.String() != "=>" || Op(200).String() != "?" {
		t.Error("Op.String")
	}
	if (&Binary{OpPos: LineCol{1, 5}}).Pos().Col != 5 {
		t.Error("Binary without X")
	}
	r := Result{Kind: ResultSignal, Signal: "SIGSEGV", Code: "SEGV_ACCERR"}
	if r.String() != "SIGSEGV SEGV_ACCERR" || (Result{}).String() != "" {
		t.Errorf("Result.String = %q", r.String())
	}
}

func TestMoreLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"touch($a, P, \"w\") = SIGSEGV <0.5>", `call touch($a, P, str"w") = signal SIGSEGV <0.5>`},
		{"touch($a, P, \"w\") = SIGSEGV SEGV_MAPERR (Segmentation fault)", `call touch($a, P, str"w") = signal SIGSEGV SEGV_MAPERR (Segmentation fault)`},
		{"signal(SIGINT, x) = SIG_DFL", "call signal(SIGINT, x) = value SIG_DFL"},
		{"f() = SIGSEGV|1", "call f() = value (| SIGSEGV #1)"},
		{"f() = SIGSEGV SEGV_MAPERR x", "x"},
		{"f() = ? <unavailable> <0.1>", "call f() = unknown unavailable <0.1>"},
		{"[pid 12<a b>] f()", "call pid=[pid 12<a b>] f()"},
		{"12<a f()", "x"},
		{"12<a<b> f()", "x"},
		{"[pid 99999999999] f()", "x"},
		{"[pid] f()", "x"},
		{"[pid 1]f()", "x"},
		{"1 [zz] f()", "x"},
		{"1 12:00x f()", "x"},
		{"f() <0.1> x", "x"},
		{"f() <x>", "x"},
		{"f(1) = 1 <0.1", "x"},
		{"1 f() = 0 (", `call pid=1 f() = value raw"0 ("`},
		{"1 f(<... x)", `call pid=1 f(raw"<... x")`},
		{"f(<... x)", "x"},
		{"1 f(\"\\q\")", `call pid=1 f(raw"\"\\q\"")`},
		{"1 f(@\"\\q\")", `call pid=1 f(raw"@\"\\q\"")`},
		{"1 f((a b), 2)", `call pid=1 f(raw"(a b)", #2)`},
		{"1 f(a, {b c}, [d, e f])", `call pid=1 f(a, {b c}, [d, raw"e f"])`},
		{"1 f(a (b), c)", `call pid=1 f(raw"a (b)", c)`},
		{"1 f(a ]", "x"},
		{"1 f(a /* x", "x"},
		{"1 f(a \"x", "x"},
		{"1 f(a \"x\\\"\" y)", `call pid=1 f(raw"a \"x\\\"\" y")`},
		{"1 f(a /* ) */ b)", `call pid=1 f(raw"a /* ) */ b")`},
		{"1 f(a b <unfinished ...>", `call pid=1 f(raw"a b") unfinished`},
		{"1 f({a b]) = 0", "x"},
		{"1 --- SIGSEGV ---", "signal pid=1 SIGSEGV"},
		{"f(3</a,b>)", "x"},
		{"f(3</a)b>)", "x"},
		{"1 f(3</a,b>)", `call pid=1 f(raw"3</a", raw"b>")`},
		{"1 f(3<UNIX-STREAM:[1->2,\"/p\"]>, 3</x (deleted)>)", `call pid=1 f(fd:3<UNIX-STREAM:[1->2,"/p"]>, fd:3</x (deleted)>)`},
		{"1 f({0<}=>0)", `call pid=1 f((=> {raw"0<"} #0))`},
		{"f([a (-b) (&c) (-3</x>) ~d], {a (-1)}, [-1 2])", "call f([a (- b) (& c) fd:-3</x> (~ d)], {a (- #1)}, [(- #1) #2])"},
		{"f() = (SIGSEGV)", "call f() = value SIGSEGV"},
		{"1 --- SIG_X ---", `signal pid=1 text="SIG_X"`},
		{"1 +++ killed by SIG_X +++", `exit pid=1 text="killed by SIG_X"`},
		{"1 +++ exited with 99999999999999999999 +++", `exit pid=1 text="exited with 99999999999999999999"`},
	}
	for _, tc := range tests {
		ln, err := ParseLine(tc.in, Pos{})
		if tc.want == "x" {
			if err == nil {
				t.Errorf("ParseLine(%q): no error, got %s", tc.in, dumpLine(ln))
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseLine(%q): %v", tc.in, err)
			continue
		}
		if got := dumpLine(ln); got != tc.want {
			t.Errorf("ParseLine(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
		checkRoundTrip(t, ln)
	}
}
