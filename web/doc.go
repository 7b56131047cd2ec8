// Package web is evote's HTTP surface: the JSON API under /api/v1 with request
// size limits, the websocket feed endpoint, the embedded pages (wallet,
// officials' console, observer) and the bridge between the browser and the
// wallet compiled to WebAssembly. Browser-facing JSON types are kept apart
// from the core types of election and tally.
//
// web holds no election rules and must not import cmd.
//
// The package is built in a later milestone; today it holds only this
// description.
package web
