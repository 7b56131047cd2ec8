// Package observer lets anyone watch and re-check an election. On the server
// side, the feed hub hands committed blocks to many clients with a bounded
// buffer each and never blocks consensus. On the client side, the verifying
// follower re-checks everything it receives (commit signatures, hash links,
// every ballot's signature, eligibility and proofs, the running aggregates,
// the decryption shares and the result) and trusts no node.
//
// observer must not import web or cmd.
//
// The package is built in a later milestone; today it holds only this
// description.
package observer
