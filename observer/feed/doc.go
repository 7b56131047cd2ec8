// Package feed is the node side of what observers read: the election
// record's export from a node's block store and committed state (Export,
// Blocks, Head; docs/spec/record.md), and the hub of the live feed of
// committed blocks (Hub; docs/spec/feed.md), which reads each committed
// block once per filter, encodes its message once, and fans it out to
// bounded per-client queues without ever making consensus wait. The
// websocket itself is package web's.
//
// feed imports chain and so is not part of the WebAssembly build; the
// message types it fills are package observer's.
package feed
