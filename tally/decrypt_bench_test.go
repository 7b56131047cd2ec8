package tally

import (
	"testing"
)

// BenchmarkPartialDecrypt: one trustee's share of one aggregate, with its
// proof.
func BenchmarkPartialDecrypt(b *testing.B) {
	rnd := seeded("bench partial decrypt")
	tt := newTestTrustees(b, rnd, 3, 5)
	ct, _, _ := Encrypt(tt.joint, 1234, rnd)
	dc := DecryptionContext{Election: []byte("bench election"), Position: 0}
	mulCost := mulCostNs()
	for b.Loop() {
		if _, err := PartialDecrypt(tt.shares[0], 1, ct, dc, rnd); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mulCost, 1, "op")
}

// BenchmarkVerifyDecryptionShare: the check of one share's proof.
func BenchmarkVerifyDecryptionShare(b *testing.B) {
	rnd := seeded("bench verify share")
	tt := newTestTrustees(b, rnd, 3, 5)
	ct, _, _ := Encrypt(tt.joint, 1234, rnd)
	dc := DecryptionContext{Election: []byte("bench election"), Position: 0}
	s := tt.decrypt(b, ct, dc, rnd, 2)[0]
	mulCost := mulCostNs()
	for b.Loop() {
		if err := s.Verify(tt.vks[1], ct, dc); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mulCost, 1, "op")
}

// BenchmarkCombine: the combination of three already verified shares of one
// aggregate into M = mG (Lagrange coefficients included; no proof checked,
// see BenchmarkVerifyDecryptionShare; no discrete log).
func BenchmarkCombine(b *testing.B) {
	rnd := seeded("bench combine")
	tt := newTestTrustees(b, rnd, 3, 5)
	ct, _, _ := Encrypt(tt.joint, 1234, rnd)
	dc := DecryptionContext{Election: []byte("bench election"), Position: 0}
	shares := tt.decrypt(b, ct, dc, rnd, 5, 2, 4)
	mulCost := mulCostNs()
	for b.Loop() {
		if _, err := Combine(ct, shares, 3); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mulCost, 1, "op")
}

// BenchmarkDiscreteLog: one lookup of a value near the bound 10^6 (the
// worst case short of a failed lookup) in a prebuilt table.
func BenchmarkDiscreteLog(b *testing.B) {
	const bound = 1_000_000
	table, err := NewDlogTable(bound)
	if err != nil {
		b.Fatal(err)
	}
	M := mulGen(bound - 17)
	mulCost := mulCostNs()
	for b.Loop() {
		if m, err := table.Lookup(M); err != nil || m != bound-17 {
			b.Fatal(m, err)
		}
	}
	reportMuls(b, mulCost, 1, "op")
}

// BenchmarkDlogTableBuild: the build of the default table for the bound
// 10^8 (10^4 baby steps).
func BenchmarkDlogTableBuild(b *testing.B) {
	mulCost := mulCostNs()
	for b.Loop() {
		if _, err := NewDlogTable(100_000_000); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mulCost, 1, "op")
}
