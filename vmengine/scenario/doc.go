// Package scenario parses vmscope's one line syntax, shared by scenario
// files, console lines, `strace -f` logs and vmscope's own trace files,
// into an AST. It knows nothing about the engine or personalities: flag
// names stay names, and values are computed by Eval through a Resolver.
// The contract is SYNTAX.md in this directory; in brief:
//
//	line     = blank | "#" comment | directive | block | note | event
//	directive= "@" name rest-of-line                  (@personality, @set, ...)
//	block    = "@maps" [pid] NL maps-rows NL "@end"   (also "@image")
//	note     = "strace:" ...                          (ignored by the runner)
//	event    = [pid] [timestamp] ( call | signal | exit )
//	pid      = "1234" | "[pid 1234]" | "$var"
//	call     = name "(" args [ "<unfinished ...>" ] [ ")" [ "=" result ] [ "<" duration ">" ] ]
//	         | "<..." name "resumed>" [","] args ")" [ "=" result ] [ "<" duration ">" ]
//	signal   = "---" SIGNAME [ siginfo-struct ] "---"
//	exit     = "+++" ( "exited with" N | "killed by" SIGNAME ["(core dumped)"] ) "+++"
//	result   = expr [ "(" text ")" ] | "-1" ERRNO [ "(" message ")" ]
//	         | SIGNAME [ CODE ] | "?" [ ERRNO [ "(" message ")" ] ] [ "<unavailable>" ]
//	args     = [ arg { "," arg } ]
//	arg      = [ name "=" ] expr
//
// Expressions are C-like with unsigned 64-bit arithmetic: numbers
// (decimal, 0x hex, 0 octal), identifiers, $variables, macros NAME(args),
// strings with C escapes and strace's trailing "..." truncation mark, fds
// with paths (3</etc/ld.so.cache>, 3</dev/zero<char 1:5>>), arrays, structs
// {name=expr, ...}, the "..." element, unary - ~ ! &, and binary operators
// with C precedence (* / %, + -, << >>, == !=, &, ^, |, &&, ||, and strace's
// lowest "=>"). Arrays and structs may separate elements by spaces instead
// of commas, as strace prints signal sets ("~[RTMIN RT_1]"). Comments
// /* ... */ are skipped.
//
// Lines carrying strace's numeric pid prefix or a timestamp are parsed
// leniently: an argument or result the grammar cannot represent becomes a
// *Raw node holding its text instead of an error. Other lines (scenario
// files, the console) are parsed strictly. Errors read
// "file:line:col: expected X, found Y".
//
// Entry points: ParseLine, ParseFile, ParseExpr, ParseMapsLine, Join and
// Eval (Line.Eval adds the file name to error positions: expression nodes
// carry only line:col, see LineCol). Every Expr and Line prints back in
// the same syntax with String, and parsing the printed form yields an
// equal tree. ParseLine is built for replaying large traces: no regular
// expressions, and the nodes of a typical line come from one allocation.
// The package builds for js/wasm and depends on the standard library only.
package scenario
