package tally

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz targets check that no decoder or verifier panics, that whatever
// decodes re-encodes to the same bytes (one canonical encoding), and that
// the fast verification path and circl agree on what decodes. Seeds: valid
// encodings made from a fixed seed, plus the committed corpora under
// testdata/fuzz/<target>/.

// fuzzFixture is a key, a context and a valid contest under approval3of5.
type fuzzFixture struct {
	pk      *PublicKey
	cc      ContestContext
	contest []byte
}

func newFuzzFixture(t testing.TB) fuzzFixture {
	rnd := seeded("fuzz fixture")
	pk := mustKey(t, rnd)
	cc := testContext("voter-a", 0)
	c, _, err := EncryptContest(pk, cc, approval3of5, []uint64{1, 0, 1, 0, 0}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.MarshalBinary()
	return fuzzFixture{pk: pk, cc: cc, contest: b}
}

func FuzzVerifyContest(f *testing.F) {
	fx := newFuzzFixture(f)
	f.Add(fx.contest)
	f.Add(fx.contest[:100])
	f.Add(append(append([]byte(nil), fx.contest...), 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		errV := VerifyContest(fx.pk, fx.cc, approval3of5, b)
		c, errD := DecodeContest(approval3of5, b)
		if errD == nil {
			again, _ := c.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatal("decoded contest re-encodes differently")
			}
		}
		// The verifier accepts only what decodes.
		if errV == nil && errD != nil {
			t.Fatalf("verified but does not decode: %v", errD)
		}
		// Whatever does not decode is rejected by the verifier, and whatever
		// the verifier rejects as malformed does not decode. (On input with
		// several faults the two may name different ones.)
		if errD != nil && errV == nil {
			t.Fatalf("does not decode (%v) but verifies", errD)
		}
		if errV != nil && !errors.Is(errV, ErrInvalidProof) && errD == nil {
			t.Fatalf("verifier rejects a decodable contest as malformed: %v", errV)
		}
	})
}

func FuzzVerifyContestBatch(f *testing.F) {
	fx := newFuzzFixture(f)
	f.Add(fx.contest, fx.contest)
	f.Add(fx.contest, fx.contest[:len(fx.contest)-1])
	f.Fuzz(func(t *testing.T, a, b []byte) {
		items := []ContestItem{
			{Context: fx.cc, Rules: approval3of5, Encoded: a},
			{Context: fx.cc, Rules: approval3of5, Encoded: b},
		}
		err := VerifyContestBatch(fx.pk, items, seeded("fuzz weights"))
		errA := VerifyContest(fx.pk, fx.cc, approval3of5, a)
		errB := VerifyContest(fx.pk, fx.cc, approval3of5, b)
		if (err == nil) != (errA == nil && errB == nil) {
			t.Fatalf("batch %v, alone %v and %v", err, errA, errB)
		}
		var be *BatchError
		if err != nil && (!errors.As(err, &be) || (be.Index == 0) != (errA != nil)) {
			t.Fatalf("batch names the wrong item: %v (alone %v, %v)", err, errA, errB)
		}
	})
}

func FuzzDecodeKeysAndCiphertexts(f *testing.F) {
	rnd := seeded("fuzz keys")
	sk, _ := GenerateKey(rnd)
	for _, m := range []interface{ MarshalBinary() ([]byte, error) }{sk, sk.Public()} {
		b, _ := m.MarshalBinary()
		f.Add(b)
	}
	ct, _, _ := Encrypt(sk.Public(), 1, rnd)
	b, _ := ct.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var sk PrivateKey
		if sk.UnmarshalBinary(b) == nil {
			again, _ := sk.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatal("private key re-encodes differently")
			}
		}
		var pk PublicKey
		if pk.UnmarshalBinary(b) == nil {
			again, _ := pk.MarshalBinary()
			if !bytes.Equal(again, b) || pk.e.IsIdentity() {
				t.Fatal("public key re-encodes differently or is the identity")
			}
		}
		var ct Ciphertext
		if ct.UnmarshalBinary(b) == nil {
			again, _ := ct.MarshalBinary()
			if !bytes.Equal(again, b) || ct.A.IsIdentity() {
				t.Fatal("ciphertext re-encodes differently or has A = identity")
			}
		}
	})
}

func FuzzVerifySigmaProofs(f *testing.F) {
	rnd := seeded("fuzz sigma")
	sk, _ := GenerateKey(rnd)
	X := sk.Public().Element()
	ctx := []byte("fuzz context")
	sp, _ := ProveSchnorr(sk.Scalar(), X, ctx, rnd)
	spb, _ := sp.MarshalBinary()
	ct, _, _ := Encrypt(sk.Public(), 3, rnd)
	D := newElement().Mul(ct.A, sk.Scalar())
	dp, _ := ProveDLEQ(sk.Scalar(), generator(), X, ct.A, D, ctx, rnd)
	dpb, _ := dp.MarshalBinary()
	f.Add(spb)
	f.Add(dpb)
	f.Fuzz(func(t *testing.T, b []byte) {
		var s SchnorrProof
		if s.UnmarshalBinary(b) == nil {
			again, _ := s.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatal("schnorr proof re-encodes differently")
			}
			if err := s.Verify(X, ctx); err == nil && !bytes.Equal(b, spb) {
				t.Fatal("a different schnorr proof verifies")
			}
		}
		var d DLEQProof
		if d.UnmarshalBinary(b) == nil {
			again, _ := d.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatal("dleq proof re-encodes differently")
			}
			if err := d.Verify(generator(), X, ct.A, D, ctx); err == nil && !bytes.Equal(b, dpb) {
				t.Fatal("a different dleq proof verifies")
			}
		}
	})
}

var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite the committed seed corpora of the ballot, key and proof fuzz targets")

// TestFuzzSeedCorpora writes (with -update-fuzz-seeds) and checks the
// committed seed corpora under testdata/fuzz for the targets of this file
// and of ristretto_test.go: every listed file must exist.
func TestFuzzSeedCorpora(t *testing.T) {
	fx := newFuzzFixture(t)
	rnd := seeded("fuzz corpora")
	sk, _ := GenerateKey(rnd)
	skb, _ := sk.MarshalBinary()
	pkb, _ := sk.Public().MarshalBinary()
	ct, _, _ := Encrypt(sk.Public(), 1, rnd)
	ctb, _ := ct.MarshalBinary()
	sp, _ := ProveSchnorr(sk.Scalar(), sk.Public().Element(), []byte("ctx"), rnd)
	spb, _ := sp.MarshalBinary()
	dp, _ := ProveDLEQ(sk.Scalar(), generator(), sk.Public().Element(), ct.A, newElement().Mul(ct.A, sk.Scalar()), []byte("ctx"), rnd)
	dpb, _ := dp.MarshalBinary()
	rfc1, _ := hex.DecodeString(rfcMultiples[1])
	rfcBad, _ := hex.DecodeString(rfcBadEncodings[0])
	corpora := map[string]map[string][][]byte{
		"FuzzVerifyContest": {
			"valid":     {fx.contest},
			"truncated": {fx.contest[:len(fx.contest)-1]},
		},
		"FuzzVerifyContestBatch": {
			"valid-pair":  {fx.contest, fx.contest},
			"second-cut":  {fx.contest, fx.contest[:40]},
			"first-empty": {nil, fx.contest},
		},
		"FuzzDecodeKeysAndCiphertexts": {
			"private-key": {skb}, "public-key": {pkb}, "ciphertext": {ctb},
		},
		"FuzzVerifySigmaProofs": {
			"schnorr": {spb}, "dleq": {dpb},
		},
		"FuzzRistrettoDecode": {
			"generator": {rfc1}, "non-canonical": {rfcBad},
		},
	}
	for target, files := range corpora {
		for name, args := range files {
			path := filepath.Join("testdata", "fuzz", target, name)
			var b strings.Builder
			b.WriteString("go test fuzz v1\n")
			for _, a := range args {
				fmt.Fprintf(&b, "[]byte(%q)\n", a)
			}
			if *updateFuzzSeeds {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("seed corpus file missing: %v (regenerate with -update-fuzz-seeds)", err)
			}
		}
	}
}
