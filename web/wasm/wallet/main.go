//go:build js && wasm

// Command wallet is the browser's wallet: package wallet (keys, the sealed
// keystore, ballots, Benaloh audits) and the receipt check of
// internal/receiptlite behind a thin syscall/js bridge. A Web Worker
// (web/static/module-worker.js) loads it and calls, on the global object
// evoteWallet:
//
//	call(op, argsJSON)  one call of internal/walletbridge; returns its answer as JSON
//
// Nothing here does anything itself: the calls are walletbridge's, the
// rules package wallet's.
package main

import (
	"syscall/js"

	"github.com/evote/evote/internal/walletbridge"
)

func main() {
	b := &walletbridge.Bridge{}
	js.Global().Set("evoteWallet", js.ValueOf(map[string]any{
		"call": js.FuncOf(func(_ js.Value, args []js.Value) any {
			if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
				return string(b.Call("", nil))
			}
			return string(b.Call(args[0].String(), []byte(args[1].String())))
		}),
	}))
	select {}
}
