package tally

import (
	"encoding/binary"
	"math/bits"

	"filippo.io/edwards25519"
)

// Variable-time multi-scalar multiplication for verification. Small inputs
// use edwards25519's Straus implementation; large ones use Pippenger's
// bucket method with signed digits, which also skips the high windows of the
// short (128-bit) random weights that most terms of a batch carry.

// pippengerThreshold is the number of terms from which Pippenger beats
// Straus here (BenchmarkMSM measures both).
const pippengerThreshold = 192

// vtMSM returns Σ scalars[i]·points[i].
func vtMSM(scalars []edwards25519.Scalar, points []edwards25519.Point) *edwards25519.Point {
	if len(scalars) >= pippengerThreshold {
		return pippenger(scalars, points)
	}
	return straus(scalars, points)
}

// pippengerWindow picks the digit width for n terms.
func pippengerWindow(n int) int {
	c := bits.Len(uint(n)) - 2
	return min(max(c, 4), 16)
}

// pippenger computes Σ scalars[i]·points[i] by the bucket method.
func pippenger(scalars []edwards25519.Scalar, points []edwards25519.Point) *edwards25519.Point {
	n := len(scalars)
	c := pippengerWindow(n)
	windows := (253+c-1)/c + 1
	digits := make([]int32, n*windows)
	top := make([]int8, n) // highest non-zero window of each scalar, -1 if none
	for i := range scalars {
		top[i] = int8(signedDigits(digits[i*windows:(i+1)*windows], scalars[i].Bytes(), c))
	}
	half := 1 << (c - 1)
	buckets := make([]edwards25519.Point, half)
	used := make([]bool, half)
	acc := edwards25519.NewIdentityPoint()
	var sum, win edwards25519.Point
	for w := windows - 1; w >= 0; w-- {
		for k := 0; k < c; k++ {
			acc.Add(acc, acc)
		}
		clear(used)
		any := false
		for i := 0; i < n; i++ {
			if int(top[i]) < w {
				continue
			}
			d := digits[i*windows+w]
			switch {
			case d > 0:
				if used[d-1] {
					buckets[d-1].Add(&buckets[d-1], &points[i])
				} else {
					buckets[d-1].Set(&points[i])
					used[d-1] = true
				}
				any = true
			case d < 0:
				if used[-d-1] {
					buckets[-d-1].Subtract(&buckets[-d-1], &points[i])
				} else {
					buckets[-d-1].Negate(&points[i])
					used[-d-1] = true
				}
				any = true
			}
		}
		if !any {
			continue
		}
		// Σ_k (k+1)·bucket[k] as a running sum from the top bucket down.
		sum.Set(edwards25519.NewIdentityPoint())
		win.Set(edwards25519.NewIdentityPoint())
		started := false
		for k := half - 1; k >= 0; k-- {
			if used[k] {
				if started {
					sum.Add(&sum, &buckets[k])
				} else {
					sum.Set(&buckets[k])
					started = true
				}
			}
			if started {
				win.Add(&win, &sum)
			}
		}
		acc.Add(acc, &win)
	}
	return acc
}

// signedDigits writes the radix-2^c signed digits of the little-endian
// scalar s (each in [-2^(c-1), 2^(c-1)]) into out and returns the index of
// the highest non-zero digit, or -1.
func signedDigits(out []int32, s []byte, c int) int {
	var limbs [5]uint64
	for i := 0; i < 4; i++ {
		limbs[i] = binary.LittleEndian.Uint64(s[8*i:])
	}
	mask := uint64(1)<<c - 1
	half := int64(1) << (c - 1)
	carry := int64(0)
	top := -1
	for w := range out {
		pos := w * c
		var v uint64
		if pos < 256 {
			v = limbs[pos/64] >> (pos % 64)
			if pos%64+c > 64 {
				v |= limbs[pos/64+1] << (64 - pos%64)
			}
			v &= mask
		}
		d := int64(v) + carry
		carry = 0
		if d >= half {
			d -= int64(1) << c
			carry = 1
		}
		out[w] = int32(d)
		if d != 0 {
			top = w
		}
	}
	return top
}

// straus is edwards25519's variable-time Straus multi-scalar multiplication.
func straus(scalars []edwards25519.Scalar, points []edwards25519.Point) *edwards25519.Point {
	sp := make([]*edwards25519.Scalar, len(scalars))
	pp := make([]*edwards25519.Point, len(points))
	for i := range scalars {
		sp[i], pp[i] = &scalars[i], &points[i]
	}
	return new(edwards25519.Point).VarTimeMultiScalarMult(sp, pp)
}
