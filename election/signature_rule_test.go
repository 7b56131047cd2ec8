package election_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/evote/evote/election"
)

// TestSignatureRule: the twelve edge cases of "Taming the many EdDSAs"
// (Chalkias, Garillot, Nikolaenko 2020) get the verdicts of the rule that
// docs/spec/transactions.md pins, one per case: only case 3 (mixed-order
// points, the cofactorless equation holding) verifies. The same test runs
// in the WebAssembly build (internal/wasmbuild's TestSignatureRuleInWasm),
// where the browser's verifier checks signatures with this code.
func TestSignatureRule(t *testing.T) {
	raw, err := os.ReadFile("testdata/ed25519-speccheck.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			N         int    `json:"n"`
			Message   string `json:"message"`
			PubKey    string `json:"pub_key"`
			Signature string `json:"signature"`
			Valid     bool   `json:"valid"`
			Why       string `json:"why"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 12 {
		t.Fatalf("%d cases, want the twelve", len(f.Cases))
	}
	lax := 0 // cases RFC 8032's check alone accepts
	for _, c := range f.Cases {
		msg, err1 := hex.DecodeString(c.Message)
		pub, err2 := hex.DecodeString(c.PubKey)
		sig, err3 := hex.DecodeString(c.Signature)
		if err1 != nil || err2 != nil || err3 != nil || len(pub) != election.PublicKeySize || len(sig) != election.SignatureSize {
			t.Fatalf("case %d is malformed", c.N)
		}
		var k election.PublicKey
		copy(k[:], pub)
		if got := k.Verify(msg, sig); got != c.Valid {
			t.Errorf("case %d (%s): verified %v, want %v", c.N, c.Why, got, c.Valid)
		}
		if len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, msg, sig) {
			lax++
		}
	}
	t.Logf("crypto/ed25519 alone accepts %d of the 12 cases; the rule accepts 1", lax)
}

// TestIdentityKeyForgesNothing: a transaction whose signer is the identity
// point, with R the identity and S = 0, satisfies RFC 8032's equation for
// any message; the signature step refuses it (bad-signature) before any
// later rule sees it.
func TestIdentityKeyForgesNothing(t *testing.T) {
	id := election.ID{1}
	official := election.DeriveKey("identity forgery test")
	good, err := election.NewOpenTx("evote-test", id, official)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := election.DecodeTx(good)
	if err != nil {
		t.Fatal(err)
	}
	identity := [32]byte{1}
	copy(tx.Signer[:], identity[:])
	copy(tx.Signature[:32], identity[:])
	clear(tx.Signature[32:])
	if tx.Verify("evote-test") {
		t.Fatal("the identity key's empty signature verified")
	}
	if !ed25519.Verify(identity[:], election.SigningMessage("evote-test", tx.Kind, tx.Body), tx.Signature[:]) {
		t.Fatal("the forgery no longer satisfies RFC 8032's equation alone: the test checks nothing")
	}
}
