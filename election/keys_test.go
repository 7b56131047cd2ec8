package election_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/evote/evote/election"
)

func TestKeyTextForms(t *testing.T) {
	k := election.DeriveKey("keys test")
	pub := k.Public()
	s := pub.String()
	if !strings.HasPrefix(s, "ed25519:") || len(s) != len("ed25519:")+64 {
		t.Fatalf("public key text %q", s)
	}
	back, err := election.ParsePublicKey(s)
	if err != nil || back != pub {
		t.Fatalf("ParsePublicKey: %v", err)
	}
	secret, _ := k.MarshalText()
	if !strings.HasPrefix(string(secret), "ed25519-secret:") {
		t.Errorf("private key text %q", secret)
	}
	var k2 election.PrivateKey
	if err := k2.UnmarshalText(secret); err != nil || !k2.Equal(k) || k2.Public() != pub {
		t.Errorf("private key round trip: %v", err)
	}
	if strings.Contains(k.String(), string(secret[len("ed25519-secret:"):])) {
		t.Error("String shows the secret")
	}
	if !pub.Verify([]byte("m"), k.Sign([]byte("m"))) || pub.Verify([]byte("n"), k.Sign([]byte("m"))) {
		t.Error("Sign/Verify")
	}
	for _, bad := range []string{
		"", "ed25519:", strings.ToUpper(s), "ed25519-secret:" + s[8:], s[:len(s)-2], s + "00",
		"ed25519:" + strings.Repeat("0", 64), // y = 0: small order
		"ed25519:" + strings.Repeat("f", 64), // y >= p
	} {
		if _, err := election.ParsePublicKey(bad); !errors.Is(err, election.ErrInvalidKey) {
			t.Errorf("ParsePublicKey(%q): %v", bad, err)
		}
	}
	for _, b := range election.SmallOrderKeys() {
		if _, err := election.PublicKeyFromBytes(b); !errors.Is(err, election.ErrInvalidKey) {
			t.Errorf("small-order key %x accepted", b)
		}
		b[31] |= 0x80 // the same y with the sign bit set
		if _, err := election.PublicKeyFromBytes(b); !errors.Is(err, election.ErrInvalidKey) {
			t.Errorf("small-order key %x accepted", b)
		}
	}
	if _, err := election.ParsePrivateKey("ed25519-secret:00"); !errors.Is(err, election.ErrInvalidKey) {
		t.Error("short seed accepted")
	}
}
