package election_test

import (
	"crypto/sha3"
	"io"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// stream is the deterministic randomness of docs/spec/vectors.md: SHAKE256
// over the seed, read as an endless stream.
func stream(seed string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte(seed))
	return h
}

// actorKey is the signing key of a named test actor.
func actorKey(name string) *election.PrivateKey { return election.DeriveKey("lifecycle/" + name) }

// actorEncryptionKey is the DKG encryption key of a named test trustee.
func actorEncryptionKey(t testing.TB, name string) *tally.TrusteeEncryptionKey {
	k, err := tally.GenerateTrusteeEncryptionKey(stream("lifecycle/encryption-key/" + name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
