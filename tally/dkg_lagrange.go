package tally

import (
	"fmt"

	"github.com/cloudflare/circl/group"
)

// LagrangeCoefficient returns λ_i = Π_{m∈indices, m≠i} m / (m - i), the
// coefficient of the share f(i) when f(0) is interpolated from the shares at
// indices: f(0) = Σ_{i∈indices} λ_i f(i). The indices must be distinct and
// non-zero (trustee numbers), and i one of them; at most DKGMaxTrustees of
// them. The indices are public, and so is the computation.
func LagrangeCoefficient(indices []uint32, i uint32) (group.Scalar, error) {
	if len(indices) > DKGMaxTrustees {
		return nil, fmt.Errorf("%w: lagrange: %d indices", ErrLimit, len(indices))
	}
	found := false
	for k, m := range indices {
		if m == 0 {
			return nil, fmt.Errorf("%w: lagrange: index 0", ErrInvalidInput)
		}
		for _, prev := range indices[:k] {
			if prev == m {
				return nil, fmt.Errorf("%w: lagrange: index %d repeated", ErrInvalidInput, m)
			}
		}
		found = found || m == i
	}
	if !found {
		return nil, fmt.Errorf("%w: lagrange: index %d not in the set", ErrInvalidInput, i)
	}
	xi := scalarFromUint64(uint64(i))
	num := scalarFromUint64(1)
	den := scalarFromUint64(1)
	for _, m := range indices {
		if m == i {
			continue
		}
		xm := scalarFromUint64(uint64(m))
		num.Mul(num, xm)
		den.Mul(den, newScalar().Sub(xm, xi))
	}
	// den is a product of non-zero differences of integers below 2^32, far
	// below the group order, so it is invertible.
	return num.Mul(num, newScalar().Inv(den)), nil
}
