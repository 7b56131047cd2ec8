// Package web is evote's HTTP surface: the JSON API under /api/v1 with request
// size limits, the websocket feed endpoint, the embedded pages (wallet,
// officials' console, observer) and the bridge between the browser and the
// wallet compiled to WebAssembly. Browser-facing JSON types are kept apart
// from the core types of election and tally.
//
// web holds no election rules and must not import cmd.
//
// Built today: the JSON API over one polling node (Server, described by
// openapi.yaml) and the node's status page. The websocket feed, the
// wallet, officials' and observer pages and the WebAssembly bridge come in
// later milestones.
package web
