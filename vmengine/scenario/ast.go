package scenario

import "strconv"

// Pos is a position in the input: file name, 1-based line and 1-based byte
// column.
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns "file:line:col", or "line:col" when File is empty.
func (p Pos) String() string {
	b := make([]byte, 0, len(p.File)+16)
	if p.File != "" {
		b = append(b, p.File...)
		b = append(b, ':')
	}
	b = strconv.AppendInt(b, int64(p.Line), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(p.Col), 10)
	return string(b)
}

// LineCol is the compact position of an expression node: 1-based line and
// byte column. A node does not record its file name (that keeps nodes
// small and free of pointers); the file is that of the Line the node
// belongs to.
type LineCol struct {
	Line int32
	Col  int32
}

// Pos returns the position as a Pos without a file name.
func (lc LineCol) Pos() Pos { return Pos{Line: int(lc.Line), Col: int(lc.Col)} }

// Error is a parse or evaluation error at a position. Its text is
// "file:line:col: message".
type Error struct {
	Pos Pos
	Msg string
}

// Error returns "file:line:col: message".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Kind says what a Line is.
type Kind uint8

const (
	KindNone      Kind = iota // blank line or "#" comment (Text holds the comment)
	KindCall                  // a system call or engine pseudo-call
	KindDirective             // "@name args..." (not a block)
	KindBlock                 // "@maps PID" / "@image PID" ... "@end"
	KindSignal                // "--- SIGSEGV {...} ---"
	KindExit                  // "+++ exited with 0 +++"
	KindNote                  // "strace: ..." and other strace chatter
)

var kindNames = [...]string{"none", "call", "directive", "block", "signal", "exit", "note"}

// String returns the kind's lower-case name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// PIDKind says which form a line's process prefix has.
type PIDKind uint8

const (
	PIDNone PIDKind = iota // no prefix: the current/main process
	PIDNum                 // "1234 " or "[pid 1234] "
	PIDVar                 // "$child "
)

// PID is the process prefix of an event line.
type PID struct {
	Kind    PIDKind
	Num     int    // PIDNum
	Var     string // PIDVar, without the '$'
	Bracket bool   // printed as "[pid N]" (strace -f to a tty)
	Comm    string // strace -Y: "1234<comm>"
}

// String returns the prefix as it is written, without the trailing space
// ("" for PIDNone).
func (p PID) String() string {
	switch p.Kind {
	case PIDNum:
		s := strconv.Itoa(p.Num)
		if p.Comm != "" {
			s += "<" + p.Comm + ">"
		}
		if p.Bracket {
			return "[pid " + s + "]"
		}
		return s
	case PIDVar:
		return "$" + p.Var
	}
	return ""
}

// ResultKind says what kind of expectation follows "=".
type ResultKind uint8

const (
	ResultNone    ResultKind = iota // no "=": nothing to check
	ResultValue                     // "= EXPR"
	ResultErrno                     // "= -1 ENOMEM (Cannot allocate memory)"
	ResultSignal                    // "= SIGSEGV SEGV_ACCERR"
	ResultUnknown                   // "= ?" (optionally "= ? ERESTARTSYS (...)")
)

var resultKindNames = [...]string{"none", "value", "errno", "signal", "unknown"}

// String returns the result kind's lower-case name.
func (k ResultKind) String() string {
	if int(k) < len(resultKindNames) {
		return resultKindNames[k]
	}
	return "result(" + strconv.Itoa(int(k)) + ")"
}

// Result is what follows "=" on a call line (and the fate on an exit line).
type Result struct {
	Kind ResultKind
	Pos  Pos  // position of the first token after "="
	Expr Expr // ResultValue: the value (may be a *Var to bind or compare)
	// Errno is the error name for ResultErrno, and for ResultUnknown when
	// strace printed one ("= ? ERESTARTSYS (...)").
	Errno string
	// Message is the text inside the trailing parentheses: strerror text
	// for errors, strace's decoding for values ("Timeout", "flags 0x1").
	Message     string
	Signal      string // ResultSignal: "SIGSEGV"
	Code        string // ResultSignal: optional si_code name, "SEGV_ACCERR"
	Unavailable bool   // "= ? <unavailable>"
}

// Line is one parsed line (or block) of a scenario file, console input,
// strace log or vmscope trace.
type Line struct {
	Pos  Pos // start of the line (of the "@maps" line for blocks)
	Kind Kind
	PID  PID
	Time string // timestamp text (-t, -tt, -ttt, -r), "" if none
	// Extra holds strace's bracketed per-line fields that are neither the
	// pid nor the timestamp (-i instruction pointer, -n syscall number),
	// verbatim, brackets included, separated by single spaces.
	Extra string
	// Name is the call name (KindCall), the directive or block name
	// without '@' (KindDirective, KindBlock) or the signal name
	// (KindSignal, "" for other "--- ... ---" forms).
	Name       string
	Args       []Expr // call arguments; KindSignal: the siginfo struct, if any
	Result     Result // KindCall: expectation; KindExit: exit value or killing signal
	Unfinished bool   // "... <unfinished ...>": Args holds the arguments so far
	Resumed    bool   // "<... name resumed> ...": Args holds the remaining arguments
	Duration   string // strace -T text inside <...>, "" if none
	CoreDumped bool   // KindExit: "(core dumped)"
	// Text is the raw text of the line's body: the rest of the line after
	// the directive name (KindDirective, KindBlock), the whole line
	// (KindNote, KindNone) or the text between the markers of a
	// "--- ... ---" / "+++ ... +++" line that has no structured form.
	Text  string
	Words []string   // KindDirective, KindBlock: Text split at white space
	Body  []string   // KindBlock: raw body lines, without the "@end"
	Maps  []MapsLine // KindBlock: body lines parsed as /proc/PID/maps rows
}

// MapsLine is one /proc/PID/maps row.
type MapsLine struct {
	Pos    Pos
	Start  uint64
	End    uint64
	Perms  string // "rwxp" form, 4 characters
	Offset uint64
	Dev    string // "08:01"
	Inode  uint64
	Path   string // may be empty or contain spaces ("[anon: Go: heap]")
}

// Expr is an expression node. The set of node types is closed: *Num,
// *Ident, *Var, *Unary, *Binary, *CallExpr, *Str, *FdPath, *Array,
// *Struct, *Named, *Ellipsis and *Raw. String prints the node back in the
// scenario syntax, so that parsing the result yields an equal tree.
type Expr interface {
	// Pos returns the line and column of the node's first character
	// (Binary: of its left operand). Its File is empty: see LineCol.
	Pos() Pos
	// String prints the node in the scenario syntax.
	String() string
	exprNode()
}

// Op is an operator of a Unary or Binary expression.
type Op uint8

const (
	OpNone  Op = iota
	OpOr       // |
	OpXor      // ^
	OpAnd      // & (binary and; unary: address-of, strace's "&sin6_addr")
	OpShl      // <<
	OpShr      // >>
	OpAdd      // +
	OpSub      // - (binary minus; unary negation)
	OpMul      // *
	OpDiv      // /
	OpMod      // %
	OpEq       // == (strace's wait status)
	OpNe       // !=
	OpLAnd     // &&
	OpLOr      // ||
	OpArrow    // => (strace's in => out value)
	OpCompl    // ~ (unary)
	OpNot      // ! (unary)
)

var opText = [...]string{"?", "|", "^", "&", "<<", ">>", "+", "-", "*", "/", "%", "==", "!=", "&&", "||", "=>", "~", "!"}

// String returns the operator's spelling.
func (o Op) String() string {
	if int(o) < len(opText) {
		return opText[o]
	}
	return "?"
}

// prec returns the binary precedence of o (higher binds tighter), 0 if o is
// not a binary operator.
func (o Op) prec() int {
	switch o {
	case OpArrow:
		return 1
	case OpLOr:
		return 2
	case OpLAnd:
		return 3
	case OpOr:
		return 4
	case OpXor:
		return 5
	case OpAnd:
		return 6
	case OpEq, OpNe:
		return 7
	case OpShl, OpShr:
		return 8
	case OpAdd, OpSub:
		return 9
	case OpMul, OpDiv, OpMod:
		return 10
	}
	return 0
}

// Num is an integer literal. Base (10, 16 or 8) records how it was written.
type Num struct {
	At    LineCol
	Value uint64
	Base  uint8
}

// Ident is an identifier: NULL, P, PROT_READ, ...
type Ident struct {
	At   LineCol
	Name string
}

// Var is a variable reference "$name" (Name excludes the '$').
type Var struct {
	At   LineCol
	Name string
}

// Unary is a prefix operation: -X, ~X, !X, &X.
type Unary struct {
	At LineCol
	Op Op
	X  Expr
}

// Binary is X Op Y. OpPos is the operator's position.
type Binary struct {
	OpPos LineCol
	Op    Op
	X, Y  Expr
}

// CallExpr is a function-like macro: PROT_MAX(PROT_READ), makedev(1, 5).
type CallExpr struct {
	At   LineCol
	Name string
	Args []Expr
}

// Str is a string literal. Bytes holds the decoded bytes (not necessarily
// UTF-8); Truncated is strace's "..." after the closing quote.
type Str struct {
	At        LineCol
	Bytes     string
	Truncated bool
}

// FdPath is a file descriptor annotated by strace -y/-yy: 3</etc/passwd>,
// 3</dev/zero<char 1:5>>, -100</tmp/cwd>, AT_FDCWD</tmp/cwd>. Name is set
// (and Fd is 0) when the fd is written as an identifier. Path is the text
// between the angle brackets as printed (escapes are not decoded); Dev is
// the text of a trailing "<char M:N>" / "<block M:N>" without its brackets.
type FdPath struct {
	At   LineCol
	Fd   int64
	Name string
	Path string
	Dev  string
}

// Array is "[a, b, c]" or, for strace's signal sets and CPU masks,
// space-separated "[HUP INT]" (Spaced).
type Array struct {
	At     LineCol
	Elems  []Expr
	Spaced bool
}

// Field is one element of a Struct: "name=expr", or an unnamed expr
// (Name == "") such as "...".
type Field struct {
	Name string
	Expr Expr
}

// Struct is "{name=expr, ...}" or space-separated "{B38400 opost ...}"
// (Spaced).
type Struct struct {
	At     LineCol
	Fields []Field
	Spaced bool
}

// Named is a named argument "name=expr" in an argument list or array, as
// strace prints clone's "flags=CLONE_VM|...".
type Named struct {
	At   LineCol
	Name string
	Expr Expr
}

// Ellipsis is strace's "..." placeholder element.
type Ellipsis struct {
	At LineCol
}

// Raw is strace output the expression grammar does not model, kept as
// text: "<... resuming interrupted read ...>", `@"abstract"`, and, on lines
// that carry strace's pid or time prefix, any argument that fails to parse.
type Raw struct {
	At   LineCol
	Text string
}

func (*Num) exprNode()      {}
func (*Ident) exprNode()    {}
func (*Var) exprNode()      {}
func (*Unary) exprNode()    {}
func (*Binary) exprNode()   {}
func (*CallExpr) exprNode() {}
func (*Str) exprNode()      {}
func (*FdPath) exprNode()   {}
func (*Array) exprNode()    {}
func (*Struct) exprNode()   {}
func (*Named) exprNode()    {}
func (*Ellipsis) exprNode() {}
func (*Raw) exprNode()      {}

// Pos returns the literal's position.
func (x *Num) Pos() Pos { return x.At.Pos() }

// Pos returns the identifier's position.
func (x *Ident) Pos() Pos { return x.At.Pos() }

// Pos returns the position of the '$'.
func (x *Var) Pos() Pos { return x.At.Pos() }

// Pos returns the operator's position.
func (x *Unary) Pos() Pos { return x.At.Pos() }

// Pos returns the position of the left operand.
func (x *Binary) Pos() Pos {
	if x.X != nil {
		return x.X.Pos()
	}
	return x.OpPos.Pos()
}

// Pos returns the position of the macro name.
func (x *CallExpr) Pos() Pos { return x.At.Pos() }

// Pos returns the position of the opening quote.
func (x *Str) Pos() Pos { return x.At.Pos() }

// Pos returns the position of the fd number (or its '-').
func (x *FdPath) Pos() Pos { return x.At.Pos() }

// Pos returns the position of '['.
func (x *Array) Pos() Pos { return x.At.Pos() }

// Pos returns the position of '{'.
func (x *Struct) Pos() Pos { return x.At.Pos() }

// Pos returns the position of the name.
func (x *Named) Pos() Pos { return x.At.Pos() }

// Pos returns the position of the "...".
func (x *Ellipsis) Pos() Pos { return x.At.Pos() }

// Pos returns the position of the text.
func (x *Raw) Pos() Pos { return x.At.Pos() }
