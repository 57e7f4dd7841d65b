# vmscope — the two set-up commands are `make run` and `make test`.
GO      ?= go
WASMEXEC := $(shell $(GO) env GOROOT)/lib/wasm
BIN     := bin/vmscope

ADDR    ?= 127.0.0.1:8080
TRACES  ?=

JUMPTHREAD := bin/jumpthread

.PHONY: run test bench bench-browser screenshots wasm build vet test-native test-wasm clean $(JUMPTHREAD)

# The binary embeds web/ (the stylesheet, the icons and the wasm built by
# the wasm target), so it serves the app from any directory.
build: wasm
	$(GO) build -o $(BIN) .

# Build the browser app and serve it on 127.0.0.1 (the URL is printed).
# TRACES=DIR offers a directory of trace files in the app's library.
run: build
	$(BIN) serve -addr $(ADDR) $(if $(TRACES),-traces $(TRACES))

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./vmengine/... ./pmap/... ./app/... ./wasm/... ./static/...

test-native:
	$(GO) test -count=1 ./...

# The engine's tests under WebAssembly in node, on the binary the browser
# gets: scripts/wasm-exec threads its jumps first (see wasm/jumpthread).
test-wasm: $(JUMPTHREAD)
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec "$(CURDIR)/scripts/wasm-exec" ./vmengine/... ./pmap/...

# The post-link pass every wasm binary of vmscope goes through: it turns
# the forward jumps of Go's dispatch loops into direct branches (~20%
# faster engine code in V8).
$(JUMPTHREAD):
	$(GO) build -o $(JUMPTHREAD) ./wasm/jumpthread

test: vet test-native test-wasm build
	$(BIN) check $$(find static/scenarios vmengine/testdata -name '*.scn' | sort)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./vmengine/ ./pmap/

# web/app.wasm and its brotli copy web/app.wasm.br (served with
# Content-Encoding: br). The wasm is replaced, and recompressed (brotli -q 11
# takes ~15 s), only when the build changed it.
wasm: $(JUMPTHREAD)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o web/app.wasm.new ./wasm
	JUMPTHREAD_QUIET=1 $(JUMPTHREAD) web/app.wasm.new
	@if cmp -s web/app.wasm.new web/app.wasm && [ -f web/app.wasm.br ]; then rm web/app.wasm.new; \
	else mv web/app.wasm.new web/app.wasm && \
	  if command -v brotli >/dev/null; then brotli -f -q 11 -o web/app.wasm.br web/app.wasm; \
	  else echo "brotli not installed: app.wasm will be served uncompressed" >&2; rm -f web/app.wasm.br; fi; fi

# The browser benchmarks (headless Chromium); they write BENCHMARKS.md's
# "Browser" section.
bench-browser: wasm
	VMSCOPE_WEB_DIR=web VMSCOPE_BENCH_MD=1 $(GO) test -run '^$$' -bench Browser -benchtime 3x -timeout 60m .

# The README's screenshots (docs/screenshots/*.png), from the end-to-end test.
screenshots:
	VMSCOPE_SCREENSHOTS=1 $(GO) test -count=1 -run TestBrowserE2E -v .

clean:
	rm -rf bin
