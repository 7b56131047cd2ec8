package tally

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"filippo.io/edwards25519"
)

func TestVTEncodeRFCMultiples(t *testing.T) {
	for i, h := range rfcMultiples {
		b, _ := hex.DecodeString(h)
		var p edwards25519.Point
		if err := vtDecode(&p, b); err != nil {
			t.Fatal(err)
		}
		if got := vtEncode(nil, &p); !bytes.Equal(got, b) {
			t.Fatalf("%d·G encodes to %x, want %s", i, got, h)
		}
		// The same element in other extended coordinates (a sum, a
		// difference) must encode the same.
		var q edwards25519.Point
		q.Add(&p, edwards25519.NewIdentityPoint())
		q.Subtract(&q, edwards25519.NewIdentityPoint())
		if got := vtEncode(nil, &q); !bytes.Equal(got, b) {
			t.Fatalf("%d·G (recomputed) encodes to %x, want %s", i, got, h)
		}
	}
}

// TestCiphertextSumMatchesCiphertext adds, subtracts and scales random
// ciphertexts both ways and requires byte-equal encodings.
func TestCiphertextSumMatchesCiphertext(t *testing.T) {
	rnd := seeded("ciphertext sum")
	sk, err := GenerateKey(rnd)
	if err != nil {
		t.Fatal(err)
	}
	pk := sk.Public()
	const n = 4
	want := make([]*Ciphertext, n)
	enc := make([][]byte, n)
	for i := range want {
		want[i] = ZeroCiphertext()
		enc[i] = want[i].Bytes()
	}
	sum, err := NewCiphertextSum(enc)
	if err != nil {
		t.Fatal(err)
	}
	var prev []*Ciphertext
	for step := 0; step < 60; step++ {
		w := uint64(1 + step%4)
		ballot := make([]*Ciphertext, n)
		add := make([][]byte, n)
		for i := range ballot {
			if ballot[i], _, err = Encrypt(pk, uint64((step+i)%3), rnd); err != nil {
				t.Fatal(err)
			}
			add[i] = ballot[i].Bytes()
		}
		var sub [][]byte
		if step%5 == 4 { // a revote replacing the previous ballot
			for _, c := range prev {
				sub = append(sub, c.Bytes())
			}
		}
		if err := sum.Update(add, sub, w); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i].Add(want[i], new(Ciphertext).Scale(ballot[i], w))
			if sub != nil {
				want[i].Sub(want[i], new(Ciphertext).Scale(prev[i], w))
			}
			if got := sum.Bytes(i); !bytes.Equal(got, want[i].Bytes()) {
				t.Fatalf("step %d: sum %d = %x, want %x", step, i, got, want[i].Bytes())
			}
		}
		prev = ballot
	}
	// Decoding the encoded sums gives the same sums.
	for i := range enc {
		enc[i] = sum.Bytes(i)
	}
	again, err := NewCiphertextSum(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc {
		if !bytes.Equal(again.Bytes(i), enc[i]) {
			t.Fatalf("sum %d changed by a round trip", i)
		}
	}
}

func TestCiphertextSumRejects(t *testing.T) {
	rnd := seeded("ciphertext sum rejects")
	sk, _ := GenerateKey(rnd)
	ct, _, _ := Encrypt(sk.Public(), 1, rnd)
	good := ct.Bytes()
	identityA := append(make([]byte, PointSize), good[PointSize:]...)
	badPoint := bytes.Clone(good)
	copy(badPoint[PointSize:], bytes.Repeat([]byte{0xff}, PointSize))
	if _, err := NewCiphertextSum([][]byte{good[:10]}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short sum: %v", err)
	}
	if _, err := NewCiphertextSum([][]byte{badPoint}); !errors.Is(err, ErrNonCanonical) {
		t.Fatalf("non-canonical sum: %v", err)
	}
	zero := ZeroCiphertext().Bytes()
	sum, err := NewCiphertextSum([][]byte{zero, zero})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		add, sub [][]byte
		err      error
	}{
		"too few":               {[][]byte{good}, nil, ErrMalformed},
		"too many":              {[][]byte{good, good, good}, nil, ErrMalformed},
		"replaced too few":      {[][]byte{good, good}, [][]byte{good}, ErrMalformed},
		"length":                {[][]byte{good, good[:63]}, nil, ErrMalformed},
		"identity A":            {[][]byte{good, identityA}, nil, ErrIdentity},
		"bad B point":           {[][]byte{good, badPoint}, nil, ErrNonCanonical},
		"replaced, bad B point": {[][]byte{good, good}, [][]byte{good, badPoint}, ErrNonCanonical},
		"replaced, identity A":  {[][]byte{good, good}, [][]byte{identityA, good}, ErrReplaced},
	} {
		if err := sum.Update(c.add, c.sub, 1); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
		for i := 0; i < 2; i++ {
			if !bytes.Equal(sum.Bytes(i), zero) {
				t.Fatalf("%s: sum %d changed on error", name, i)
			}
		}
	}
}

func BenchmarkCiphertextSumAdd(b *testing.B) {
	rnd := seeded("bench sum")
	sk, _ := GenerateKey(rnd)
	ct, _, _ := Encrypt(sk.Public(), 1, rnd)
	enc := ct.Bytes()
	sum, _ := NewCiphertextSum([][]byte{ZeroCiphertext().Bytes()})
	b.ResetTimer()
	for range b.N {
		if err := sum.Update([][]byte{enc}, nil, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCiphertextDecodeAddEncode(b *testing.B) {
	rnd := seeded("bench sum")
	sk, _ := GenerateKey(rnd)
	ct, _, _ := Encrypt(sk.Public(), 1, rnd)
	enc := ct.Bytes()
	agg := ZeroCiphertext().Bytes()
	b.ResetTimer()
	for range b.N {
		d := newDecoder(agg)
		a := decodeCiphertext(d, "agg", true)
		d = newDecoder(enc)
		c := decodeCiphertext(d, "ct", false)
		agg = a.Add(a, c).Bytes()
	}
}

// FuzzCiphertextSum checks the variable-time sums against circl: the same
// inputs are accepted and give the same encodings.
func FuzzCiphertextSum(f *testing.F) {
	rnd := seeded("fuzz sum")
	sk, _ := GenerateKey(rnd)
	ct, _, _ := Encrypt(sk.Public(), 1, rnd)
	f.Add(ZeroCiphertext().Bytes(), ct.Bytes())
	f.Add(ct.Bytes(), ct.Bytes())
	f.Add(ct.Bytes(), ZeroCiphertext().Bytes())
	f.Fuzz(func(t *testing.T, agg, ballot []byte) {
		sum, errSum := NewCiphertextSum([][]byte{agg})
		d := newDecoder(agg)
		want := decodeCiphertext(d, "aggregate", true)
		errC := d.Finish()
		if (errSum == nil) != (errC == nil) {
			t.Fatalf("aggregate %x: sum %v, circl %v", agg, errSum, errC)
		}
		if errC != nil {
			return
		}
		if !bytes.Equal(sum.Bytes(0), agg) {
			t.Fatalf("aggregate %x re-encodes to %x", agg, sum.Bytes(0))
		}
		errUp := sum.Update([][]byte{ballot}, nil, 3)
		d = newDecoder(ballot)
		c := decodeCiphertext(d, "ballot", false)
		errC = d.Finish()
		if (errUp == nil) != (errC == nil) {
			t.Fatalf("ballot %x: sum %v, circl %v", ballot, errUp, errC)
		}
		if errC == nil {
			want.Add(want, new(Ciphertext).Scale(c, 3))
		}
		if !bytes.Equal(sum.Bytes(0), want.Bytes()) {
			t.Fatalf("sum %x, want %x", sum.Bytes(0), want.Bytes())
		}
	})
}
