//go:build linux && (amd64 || arm64)

package tracer

import (
	"bufio"
	"io"
	"strconv"
	"time"
)

// output writes the trace. Every method writes whole lines and flushes them
// before returning, so a reader (or a crash) never sees a partial line
// unless the underlying writer itself splits a write. After the first write
// error it stops writing and keeps that error in err; tracing goes on.
type output struct {
	bw         *bufio.Writer
	err        error
	timestamps bool
	held       [][]byte // lines kept back by hold until release
	holding    bool
	line       []byte
}

// newOutput returns an output writing to w, with -ttt timestamps on event
// lines if timestamps is set.
func newOutput(w io.Writer, timestamps bool) *output {
	return &output{bw: bufio.NewWriterSize(w, 64<<10), timestamps: timestamps}
}

// event writes one event line: "TID [TIMESTAMP ]text".
func (o *output) event(tid int, text string) {
	b := o.line[:0]
	b = strconv.AppendInt(b, int64(tid), 10)
	b = append(b, ' ')
	if o.timestamps {
		now := time.Now()
		b = strconv.AppendInt(b, now.Unix(), 10)
		b = append(b, '.')
		us := now.Nanosecond() / 1000
		for d := 100000; d > 1 && us < d; d /= 10 {
			b = append(b, '0')
		}
		b = strconv.AppendInt(b, int64(us), 10)
		b = append(b, ' ')
	}
	b = append(b, text...)
	b = append(b, '\n')
	o.line = b
	o.emit(b)
}

// text writes s, which must be complete lines (a header, a comment), as is.
func (o *output) text(s string) { o.emit([]byte(s)) }

// block writes a snapshot block: "@kind PID", the lines of body (a
// /proc/PID/maps text, kept raw), "@end".
func (o *output) block(kind string, pid int, body []byte) {
	b := make([]byte, 0, len(body)+32)
	b = append(b, '@')
	b = append(b, kind...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, '\n')
	b = append(b, body...)
	if len(body) > 0 && body[len(body)-1] != '\n' {
		b = append(b, '\n')
	}
	b = append(b, "@end\n"...)
	o.emit(b)
}

// hold makes later writes wait in memory until release (used while
// attaching, so that nothing precedes the attach-time @image block).
func (o *output) hold() { o.holding = true }

// release ends holding: it calls first (whose writes go out at once), then
// writes the lines kept back by hold, in order.
func (o *output) release(first func()) {
	o.holding = false
	first()
	for _, b := range o.held {
		o.emit(b)
	}
	o.held = nil
}

// emit writes b (complete lines) and flushes, unless holding or broken.
func (o *output) emit(b []byte) {
	if o.holding {
		o.held = append(o.held, append([]byte(nil), b...))
		return
	}
	if o.err != nil {
		return
	}
	if _, err := o.bw.Write(b); err != nil {
		o.err = err
		return
	}
	o.err = o.bw.Flush()
}
