// Package tally is the cryptography of counting in evote: exponential ElGamal
// on ristretto255, the zero-knowledge proofs that make a ballot verifiable
// without decrypting it, the trustees' distributed key generation, partial
// decryption, combination of shares and the final discrete logarithm.
//
// The package is pure: it performs no I/O, keeps no package state, and takes
// every source of randomness as an io.Reader parameter. It imports only
// github.com/cloudflare/circl, filippo.io/edwards25519 (for the provers'
// fixed-base products and variable-time batch verification of public data)
// and the standard library.
//
// Group arithmetic on secret values (keys, encryption randomness, votes) is
// constant time. It uses circl's group.Ristretto255, except in the ballot
// provers (EncryptContest), which compute on filippo.io/edwards25519 with
// fixed-base tables for the generator and for the election's key (built once
// per PublicKey) and encode all points of a contest in one batch
// (fixedbase.go). Provers never branch or index a table on a secret choice:
// every branch of a disjunctive proof is computed with the same formula, the
// real branch is selected with constant-time moves, and table rows are read
// whole with constant-time selects.
//
// Verification only ever handles public data, so it decodes points directly
// into filippo.io/edwards25519 (ristretto255 is encoded identically; see
// ristretto.go and RFC 9496) and checks all equations of a contest, or of a
// batch of contests, with one random linear combination evaluated by a
// variable-time multi-scalar multiplication (Straus for small inputs,
// Pippenger for large ones). When a batch fails, the failing item is found by
// bisection and named.
//
// Every message has one canonical binary encoding, specified byte for byte in
// docs/spec, that starts with its version tag ("evote/v1/..."); the same tag
// is the domain-separation string of every hash over that message. Decoders
// reject non-canonical input and trailing bytes.
//
// References: ElGamal, "A public key cryptosystem and a signature scheme
// based on discrete logarithms" (1985); Cramer, Damgård, Schoenmakers,
// "Proofs of partial knowledge" (CRYPTO '94); Cramer, Gennaro, Schoenmakers,
// "A secure and optimally efficient multi-authority election scheme" (1997);
// Pedersen, "A threshold cryptosystem without a trusted party" (1991);
// Gennaro, Jarecki, Krawczyk, Rabin, "Secure applications of Pedersen's
// distributed key generation protocol" (CT-RSA 2003); Bernhard, Pereira,
// Warinschi, "How not to prove yourself" (ASIACRYPT 2012); RFC 9496.
package tally
