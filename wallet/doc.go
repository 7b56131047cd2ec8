// Package wallet is the voter's side of evote: wallet keys and the
// passphrase-encrypted keystore, building a ballot (encryption, validity
// proofs, signature), the Benaloh challenge that lets a voter audit a ballot
// before casting it, and the checks of the receipt a polling node returns.
//
// The package must build with GOOS=js GOARCH=wasm, because the web wallet is
// this package compiled to WebAssembly. It must not (transitively) import
// SQLite, net/http servers, github.com/spf13/viper, github.com/cometbft/...,
// or the evote packages chain, observer, web and cmd. Private keys never leave
// the device that made them.
//
// The wallet is built in a later milestone, together with a test that fails
// when the wasm build pulls in a forbidden dependency; today the package holds
// only this description.
package wallet
