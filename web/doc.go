// Package web is evote's HTTP surface: the JSON API under /api/v1 with request
// size limits, the websocket feed endpoint, the embedded pages (wallet,
// officials' console, observer) and the bridge between the browser and the
// wallet compiled to WebAssembly. The API's JSON types are package api's,
// kept apart from the core types of election and tally: web converts the
// plain values of election's queries and chain's receipts into them
// (convert.go) and writes them; it declares no request or response type of
// its own.
//
// web holds no election rules and must not import cmd.
//
// Built today: the JSON API over one polling node (Server, described by
// openapi.yaml, which TestOpenAPISchemas checks against package api), the
// websocket feed of committed blocks (feed.go over observer/feed's hub,
// docs/spec/feed.md), the operator's endpoints (ops.go) and the node's
// status page. The wallet, officials' and observer pages and the
// WebAssembly bridge come in later milestones.
package web
