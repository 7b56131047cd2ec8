// Package wallet is the voter's side of evote: voter keys (VoterKey,
// VoterPublicKey), building a ballot from the manifest and the voter's
// choices (encryption, validity proofs bound to the election, the voter
// and the position, and the signature: BuildBallot), and the Benaloh
// challenge that lets a voter audit a ballot before casting another
// (Audit). Officials' and trustees' transactions are built with the
// constructors of package election (NewCreateElectionTx, NewDKGDealTx,
// NewDecryptionSharesTx, ...).
//
// The package must build with GOOS=js GOARCH=wasm, because the web wallet is
// this package compiled to WebAssembly; TestWasmBuild checks it. It must not
// (transitively) import SQLite, net/http servers, github.com/spf13/viper,
// github.com/cometbft/..., or the evote packages chain, observer, web and
// cmd. Private keys never leave the device that made them.
//
// Secrets at rest: Seal/Open (Argon2id + XChaCha20-Poly1305) and the
// keystore of named voter keys sealed that way (Keystore, SealKeystore,
// OpenKeystore; docs/spec/keystore.md). The Benaloh audit file
// (AuditFile; docs/spec/audit-file.md) lets anyone check a spoiled ballot.
// The package reads no files: the command line and the browser keep the
// sealed bytes. Receipt checks live in package chain (VerifyReceipt, with
// CometBFT's types) and, for the browser, in internal/receiptlite.
package wallet
