package tally

import (
	"crypto/sha3"
	"io"
)

// seeded returns the deterministic randomness stream of the test vectors:
// SHAKE256 over the seed, read as an endless byte stream
// (docs/spec/vectors.md). Never use it outside tests.
func seeded(seed string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte(seed))
	return h
}
