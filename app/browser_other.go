//go:build !wasm

package app

import (
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The native stand-ins of the browser glue (browser_wasm.go): the app's
// logic runs the same in native tests, drawing and browser APIs do
// nothing, and files are in memory.

// nowMS returns 0 natively.
func nowMS() float64 { return 0 }

// paintCanvas draws with an SVG painter so that the drawing code runs in
// native tests; it returns the width used.
func paintCanvas(id string, height float64, draw func(p Painter, w float64)) float64 {
	const w = 1000
	draw(NewSVGPainter(w, height), w)
	return w
}

// repaintCanvas is paintCanvas natively.
func repaintCanvas(id string, height float64, draw func(p Painter, w float64)) float64 {
	return paintCanvas(id, height, draw)
}

// setData does nothing natively.
func setData(id, key, val string) {}

// publishStats does nothing natively.
func publishStats(key string, v float64) {}

// showTooltip does nothing natively.
//
//lint:ignore U1000 the native stand-in of the browser tooltip: its callers run only in wasm
func showTooltip(text string, x, y float64) {}

// installGlobal does nothing natively.
func installGlobal(s *Shell, ctx app.Context) {}

// fileHandle is a file held in memory (tests).
type fileHandle struct {
	name string
	data []byte
}

// Name returns the file's name.
func (f fileHandle) Name() string { return f.name }

// Size returns the file's size.
func (f fileHandle) Size() int64 { return int64(len(f.data)) }

// pickedFile has no file input natively.
func pickedFile(id string) (fileHandle, bool) { return fileHandle{}, false }

// readChunk returns bytes [off, off+n) of f.
func readChunk(f fileHandle, off, n int64) ([]byte, error) {
	if off < 0 || off > int64(len(f.data)) {
		return nil, errors.New("read past the end")
	}
	end := off + n
	if end > int64(len(f.data)) {
		end = int64(len(f.data))
	}
	return f.data[off:end], nil
}

// fetchText has no server natively.
func fetchText(url string) (string, error) { return "", errors.New("no server: " + url) }

// download does nothing natively.
func download(name, mime string, data []byte) {}

// downloadPNG does nothing natively.
func downloadPNG(name, svg string, w, h float64) {}

// replaceURL does nothing natively.
func replaceURL(query string) {}

// pageURL returns the root natively.
func pageURL() string { return "http://127.0.0.1/" }

// storageGet returns "" natively.
func storageGet(k string) string { return "" }

// storageSet does nothing natively.
func storageSet(k, v string) {}

// prefersDark is false natively.
func prefersDark() bool { return false }

// copyText does nothing natively.
func copyText(s string) {}

// focusID does nothing natively.
func focusID(id string) {}

// scrollRowIntoView does nothing natively.
func scrollRowIntoView(id string, i int, rowH float64) {}

// setTheme does nothing natively.
func setTheme(theme string) {}
