# vmscope — the two set-up commands are `make run` and `make test`.
GO      ?= go
WASMEXEC := $(shell $(GO) env GOROOT)/lib/wasm
BIN     := bin/vmscope

.PHONY: run test bench wasm build vet test-native test-wasm clean

build:
	$(GO) build -o $(BIN) .

# Until the browser app lands, run the scenario library through the engine and
# print each scenario's final address space.
run: build
	@$(BIN) check -v static/scenarios/*.scn
	@for f in static/scenarios/*.scn; do echo "== $$f"; $(BIN) replay --print procstat $$f; done

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./vmengine/... ./pmap/...

test-native:
	$(GO) test -count=1 ./...

# The engine's tests under WebAssembly in node.
test-wasm:
	PATH="$(WASMEXEC):$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 ./vmengine/... ./pmap/...

test: vet test-native test-wasm build
	$(BIN) check $$(find static/scenarios vmengine/testdata -name '*.scn' | sort)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./vmengine/ ./pmap/

wasm:
	GOOS=js GOARCH=wasm $(GO) build -o web/app.wasm ./wasm

clean:
	rm -rf bin
