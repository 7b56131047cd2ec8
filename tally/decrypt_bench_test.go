package tally

import (
	"math"
	"testing"
	"time"
)

// decryptMulCostNs measures one circl ristretto255 Element.Mul, the unit in
// which the benchmarks below also report their cost ("muls/op"). It takes
// the fastest of several rounds, which is the least disturbed by other load.
func decryptMulCostNs(b *testing.B) float64 {
	b.Helper()
	s, err := RandomScalar(seeded("bench mul"))
	if err != nil {
		b.Fatal(err)
	}
	p := newElement().MulGen(s)
	const rounds, n = 7, 40
	best := time.Duration(math.MaxInt64)
	for range rounds {
		start := time.Now()
		for range n {
			p.Mul(p, s)
		}
		best = min(best, time.Since(start))
	}
	return float64(best.Nanoseconds()) / n
}

func reportMuls(b *testing.B, mulCost float64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/mulCost, "muls/op")
}

// BenchmarkPartialDecrypt: one trustee's share of one aggregate, with its
// proof.
func BenchmarkPartialDecrypt(b *testing.B) {
	rnd := seeded("bench partial decrypt")
	tt := newTestTrustees(b, rnd, 3, 5)
	ct, _, _ := Encrypt(tt.joint, 1234, rnd)
	dc := DecryptionContext{Election: []byte("bench election"), Position: 0}
	mulCost := decryptMulCostNs(b)
	for b.Loop() {
		if _, err := PartialDecrypt(tt.shares[0], 1, ct, dc, rnd); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mulCost)
}

// BenchmarkVerifyDecryptionShare: the check of one share's proof.
func BenchmarkVerifyDecryptionShare(b *testing.B) {
	rnd := seeded("bench verify share")
	tt := newTestTrustees(b, rnd, 3, 5)
	ct, _, _ := Encrypt(tt.joint, 1234, rnd)
	dc := DecryptionContext{Election: []byte("bench election"), Position: 0}
	s := tt.decrypt(b, ct, dc, rnd, 2)[0]
	mulCost := decryptMulCostNs(b)
	for b.Loop() {
		if err := s.Verify(tt.vks[1], ct, dc); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mulCost)
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
	mulCost := decryptMulCostNs(b)
	for b.Loop() {
		if _, err := Combine(ct, shares, 3); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mulCost)
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
	mulCost := decryptMulCostNs(b)
	for b.Loop() {
		if m, err := table.Lookup(M); err != nil || m != bound-17 {
			b.Fatal(m, err)
		}
	}
	reportMuls(b, mulCost)
}

// BenchmarkDlogTableBuild: the build of the default table for the bound
// 10^8 (10^4 baby steps).
func BenchmarkDlogTableBuild(b *testing.B) {
	mulCost := decryptMulCostNs(b)
	for b.Loop() {
		if _, err := NewDlogTable(100_000_000); err != nil {
			b.Fatal(err)
		}
	}
	reportMuls(b, mulCost)
}
