//go:build js && wasm

// Command console is the officials' console in the browser: the authority
// key, the create form, roll files and the officials' transactions of
// internal/consolebridge behind a thin syscall/js bridge. A Web Worker
// (web/static/module-worker.js) loads it and calls, on the global object
// evoteConsole:
//
//	call(op, argsJSON)  one call of internal/consolebridge; returns its answer as JSON
//
// Nothing here does anything itself: the calls are consolebridge's, the
// rules package election's.
package main

import (
	"syscall/js"

	"github.com/evote/evote/internal/consolebridge"
)

func main() {
	b := &consolebridge.Bridge{}
	js.Global().Set("evoteConsole", js.ValueOf(map[string]any{
		"call": js.FuncOf(func(_ js.Value, args []js.Value) any {
			if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
				return string(b.Call("", nil))
			}
			return string(b.Call(args[0].String(), []byte(args[1].String())))
		}),
	}))
	select {}
}
