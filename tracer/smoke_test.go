//go:build linux && (amd64 || arm64)

package tracer

import (
	"bytes"
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	var buf bytes.Buffer
	code, err := Run(context.Background(), []string{"/bin/true"}, Options{Output: &buf})
	t.Logf("code=%d err=%v\n%s", code, err, buf.String())
}
