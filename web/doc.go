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
// docs/spec/feed.md), the operator's endpoints (ops.go), the node's status
// page, and the election's page (/elections/{id}), which verifies the
// election in the browser with package observer compiled to WebAssembly
// (the bridge is web/wasm/verifier; make wasm builds it into static/wasm,
// embedded here: docs/dashboard.md). The wallet's and officials' pages
// come in later milestones.
package web
