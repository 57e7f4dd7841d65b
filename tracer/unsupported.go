//go:build !linux || !(amd64 || arm64)

package tracer

import "context"

// ChildMain reports whether this process is a tracer helper child. On this
// system tracing is unsupported, so it never is: ChildMain returns false.
func ChildMain() bool { return false }

// Run is unsupported on this system: it returns exit code 1 and
// ErrUnsupported without starting anything.
func Run(ctx context.Context, argv []string, opts Options) (int, error) {
	return 1, ErrUnsupported
}

// Attach is unsupported on this system: it returns ErrUnsupported.
func Attach(ctx context.Context, pid int, opts Options) error {
	return ErrUnsupported
}
