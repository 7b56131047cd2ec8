package election

import (
	"bytes"
	"testing"

	"github.com/evote/evote/tally"
)

// TestParseAggregate: the 64-byte form of the tally endpoint, the identity
// allowed, anything else refused.
func TestParseAggregate(t *testing.T) {
	zero := tally.ZeroCiphertext().Bytes()
	if c, err := ParseAggregate(zero); err != nil || !c.Equal(tally.ZeroCiphertext()) {
		t.Fatalf("(0, 0): %v", err)
	}
	pk, _ := tally.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	ct := tally.EncryptWithRandomness(pk.Public(), 3, tally.ZeroCiphertext().A.Group().NewScalar().SetUint64(5))
	if c, err := ParseAggregate(ct.Bytes()); err != nil || !c.Equal(ct) {
		t.Fatalf("a ciphertext: %v", err)
	}
	for name, b := range map[string][]byte{
		"short":         zero[:63],
		"long":          append(bytes.Clone(zero), 0),
		"non-canonical": bytes.Repeat([]byte{0xff}, 64),
	} {
		if _, err := ParseAggregate(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParseAggregate: no input panics, and whatever decodes encodes back
// to the same bytes.
func FuzzParseAggregate(f *testing.F) {
	f.Add(tally.ZeroCiphertext().Bytes())
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseAggregate(b)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Bytes(), b) {
			t.Fatalf("%x decodes, re-encodes as %x", b, c.Bytes())
		}
	})
}

func TestPhaseText(t *testing.T) {
	for p := PhaseDKGDeals; p <= PhaseFailed; p++ {
		b, _ := p.MarshalText()
		var q Phase
		if err := q.UnmarshalText(b); err != nil || q != p {
			t.Errorf("%v: read back as %v, %v", p, q, err)
		}
	}
	var q Phase
	for _, bad := range []string{"", "phase-9", "Open"} {
		if err := q.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
