// Command wasm is vmscope's browser entry point: the whole app (engine and
// views) compiled to WebAssembly. Build it with
//
//	GOOS=js GOARCH=wasm go build -o web/app.wasm ./wasm
//
// and serve it with "vmscope serve".
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	_ "vmscope/app" // registers the page route in its init
)

// main starts the app when running in the browser; the routes are
// registered by vmscope/app's init.
func main() {
	app.RunWhenOnBrowser()
}
