// Package api is the contract of evote's HTTP JSON API under /api/v1
// (web/openapi.yaml): every request and response body as a typed Go value,
// and Client, the one client of it. The node's server (package web), the
// CLI, the trustee loop and the browser's wallet all use these types, so
// the API is declared once.
//
// Fields are typed (election ids, keys, phases, tally keys, deals and
// ciphertexts) and carry their text form on the wire, so no caller decodes
// hex or compares phase names by hand.
//
// api must build with GOOS=js GOARCH=wasm: it imports election and tally,
// never chain, web, cmd, CometBFT, SQLite or viper (TestDependencies
// checks). The CometBFT parts of a receipt are therefore kept as raw JSON
// here; package chain decodes and verifies them (docs/deviations.md).
package api
