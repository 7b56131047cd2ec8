// Package cmtlite checks CometBFT v0.38 block headers and commits with no
// dependency on CometBFT itself, so that the election verifier stays small
// when it is compiled to WebAssembly for the browser.
//
// It owns exactly what the verifier needs of CometBFT:
//   - ParseHeader and ParseCommit decode CometBFT's JSON encoding of a
//     Header and a Commit (libs/json: 64-bit integers as decimal strings,
//     hashes and addresses as upper-case hex, signatures as base64, times as
//     RFC 3339 in UTC) strictly, and apply the checks of CometBFT's
//     Header.ValidateBasic, Commit.ValidateBasic and BlockID.ValidateBasic;
//   - Header.Hash is CometBFT's header hash: the RFC 6962 Merkle root of the
//     protobuf encodings of its fields (encoding.go writes that protobuf by
//     hand);
//   - ValidatorSet orders ed25519 validators as CometBFT does and hashes them
//     the same, and VerifyCommitLightAllSignatures accepts exactly the
//     commits that CometBFT's ValidatorSet.VerifyCommitLightAllSignatures
//     accepts, signatures checked under the ZIP 215 rules CometBFT uses.
//
// Its tests hold every one of these to CometBFT's own code, on real blocks
// and on random ones.
//
// cmtlite imports nothing from CometBFT, gRPC or net/http (a test checks
// the wasm build's dependencies); beyond the standard library it uses only
// filippo.io/edwards25519, for the ZIP 215 signature check.
package cmtlite
