package main

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	_ "vmscope/app" // the page route, registered in its init
)

// webFiles holds web/: the stylesheet, the icons and, when the Makefile
// built them first, app.wasm and its brotli-compressed copy app.wasm.br.
//
//go:embed web
var webFiles embed.FS

// maxTraceFiles caps the listing of -traces.
const maxTraceFiles = 1000

// cmdServe implements "vmscope serve": the browser app from the assets
// embedded in the binary, on 127.0.0.1 by default.
func cmdServe(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	fset.SetOutput(stderr)
	addr := fset.String("addr", "127.0.0.1:8080", "address to listen on")
	traces := fset.String("traces", "", "a directory of trace files to offer in the library")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "vmscope serve: unexpected argument %q\n", fset.Arg(0))
		return 2
	}
	if *traces != "" {
		if st, err := os.Stat(*traces); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "vmscope serve: -traces %s is not a directory\n", *traces)
			return 2
		}
	}
	web, _ := fs.Sub(webFiles, "web")
	if _, err := fs.Stat(web, "app.wasm"); err != nil {
		fmt.Fprintln(stderr, "vmscope serve: this binary was built without web/app.wasm; run \"make run\" (or make wasm, then go build)")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "vmscope serve: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "vmscope: serving the app on http://%s/\n", ln.Addr())
	if err := http.Serve(ln, newServer(web, *traces)); err != nil {
		fmt.Fprintf(stderr, "vmscope serve: %v\n", err)
		return 1
	}
	return 0
}

// newServer returns the app's HTTP handler: web holds the assets served
// under /web/ (app.wasm is sent brotli-compressed when app.wasm.br exists
// and the browser accepts it), traces a directory offered under
// /api/traces ("" for none), and every other path is the go-app page.
func newServer(web fs.FS, traces string) http.Handler {
	rawSize := int64(0)
	version := "dev"
	if f, err := web.Open("app.wasm"); err == nil {
		h := sha256.New()
		rawSize, _ = io.Copy(h, f)
		f.Close()
		version = hex.EncodeToString(h.Sum(nil))[:12]
	}
	h := &app.Handler{
		Name:              "vmscope",
		ShortName:         "vmscope",
		Title:             "vmscope — watch virtual memory work",
		Description:       "A FreeBSD vm_map engine in your browser: address spaces, VM objects, shadow chains and pages, step by step.",
		Icon:              app.Icon{Default: "/web/icon-192.png", Large: "/web/icon-512.png", SVG: "/web/icon.svg", Maskable: "/web/icon-512.png"},
		Styles:            []string{"/web/vmscope.css"},
		BackgroundColor:   "#0b0d11",
		ThemeColor:        "#2563eb",
		LoadingLabel:      "vmscope: loading the engine ({progress}%)",
		Lang:              "en",
		Version:           version,
		WasmContentLength: strconv.FormatInt(rawSize, 10),
	}
	files := http.FileServer(http.FS(web))
	mux := http.NewServeMux()
	mux.HandleFunc("/web/app.wasm", func(w http.ResponseWriter, r *http.Request) { serveWasm(w, r, web) })
	mux.Handle("/web/", http.StripPrefix("/web/", files))
	mux.HandleFunc("/api/traces", func(w http.ResponseWriter, r *http.Request) { listTraces(w, traces) })
	mux.HandleFunc("/api/traces/", func(w http.ResponseWriter, r *http.Request) {
		serveTrace(w, r, traces, strings.TrimPrefix(r.URL.Path, "/api/traces/"))
	})
	mux.Handle("/", h)
	return mux
}

// serveWasm sends app.wasm: the brotli file with Content-Encoding: br when
// the browser accepts br, the raw file otherwise.
func serveWasm(w http.ResponseWriter, r *http.Request, web fs.FS) {
	w.Header().Set("Content-Type", "application/wasm")
	w.Header().Set("Vary", "Accept-Encoding")
	w.Header().Set("Cache-Control", "no-cache")
	if acceptsBrotli(r.Header.Get("Accept-Encoding")) {
		if b, err := fs.ReadFile(web, "app.wasm.br"); err == nil {
			w.Header().Set("Content-Encoding", "br")
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
			return
		}
	}
	b, err := fs.ReadFile(web, "app.wasm")
	if err != nil {
		http.Error(w, "app.wasm was not built into this binary: run make run", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// acceptsBrotli reports whether an Accept-Encoding header allows br
// (listed without q=0).
func acceptsBrotli(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(name) != "br" {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		if q, ok := strings.CutPrefix(params, "q="); ok {
			v, err := strconv.ParseFloat(q, 64)
			return err == nil && v > 0
		}
		return true
	}
	return false
}

// listTraces writes the trace files of dir, one relative path a line.
func listTraces(w http.ResponseWriter, dir string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if dir == "" {
		return
	}
	var names []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(names) >= maxTraceFiles {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") && p != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			if rel, err := filepath.Rel(dir, p); err == nil {
				names = append(names, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	sort.Strings(names)
	io.WriteString(w, strings.Join(names, "\n"))
}

// serveTrace sends one file of the traces directory; paths leaving it
// are refused.
func serveTrace(w http.ResponseWriter, r *http.Request, dir, rel string) {
	if dir == "" {
		http.Error(w, "this server offers no traces (vmscope serve -traces DIR)", http.StatusNotFound)
		return
	}
	clean := path.Clean("/" + rel)
	if clean == "/" || strings.Contains(rel, "..") {
		http.Error(w, "bad trace path", http.StatusBadRequest)
		return
	}
	p := filepath.Join(dir, filepath.FromSlash(clean))
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.Error(w, "no trace "+clean, http.StatusNotFound)
			return
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.Error(w, "not a file", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	http.ServeContent(w, r, "", st.ModTime(), f)
}
