package test

import (
	"bytes"
	"testing"

	"filippo.io/edwards25519"

	"github.com/evote/evote/election"
)

// TestSmallOrderKeys checks election's list of small-order Ed25519 keys
// against edwards25519: every listed y is the y of a point of order
// dividing 8, and every such point (the eight multiples of a point of order
// 8) is listed. A signature by a small-order key can be forged, so the roll
// and the manifest refuse them.
func TestSmallOrderKeys(t *testing.T) {
	list := election.SmallOrderKeys()
	listed := func(b []byte) bool {
		y := bytes.Clone(b)
		y[31] &= 0x7f
		for _, k := range list {
			if bytes.Equal(k, y) {
				return true
			}
		}
		return false
	}
	var order8 *edwards25519.Point
	for _, k := range list {
		p, err := new(edwards25519.Point).SetBytes(k)
		if err != nil {
			t.Fatalf("%x is not a point: %v", k, err)
		}
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Errorf("%x is not of small order", k)
		}
		q := new(edwards25519.Point).Add(p, p) // 2P
		q.Add(q, q)                            // 4P
		if q.Equal(edwards25519.NewIdentityPoint()) != 1 {
			order8 = p
		}
	}
	if order8 == nil {
		t.Fatal("no point of order 8 in the list")
	}
	acc := edwards25519.NewIdentityPoint()
	for k := 0; k < 8; k++ {
		if !listed(acc.Bytes()) {
			t.Errorf("%d·T (%x) of small order is not listed", k, acc.Bytes())
		}
		if _, err := election.PublicKeyFromBytes(acc.Bytes()); err == nil {
			t.Errorf("%d·T (%x) accepted as a public key", k, acc.Bytes())
		}
		acc = new(edwards25519.Point).Add(acc, order8)
	}
	// An ordinary key is accepted.
	if _, err := election.PublicKeyFromBytes(edwards25519.NewGeneratorPoint().Bytes()); err != nil {
		t.Errorf("the base point is refused: %v", err)
	}
}
