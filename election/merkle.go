package election

import (
	"crypto/sha256"
	"errors"
	"math/bits"
)

// The tree of elections: an RFC 6962 Merkle tree (as CometBFT builds its
// data hash: leaf hash SHA-256(0x00 || leaf), inner SHA-256(0x01 || left ||
// right), the left subtree the largest power of two below the count, and
// SHA-256("") for no leaves) over the elections' commitment leaves in
// ascending order of id.

func leafHash(leaf []byte) []byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	return h.Sum(nil)
}

func innerHash(l, r []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// splitPoint is the largest power of two below n (n ≥ 2).
func splitPoint(n int) int {
	k := 1 << (bits.Len(uint(n)) - 1)
	if k == n {
		k >>= 1
	}
	return k
}

// MerkleRoot is the root of the tree over leaves.
func MerkleRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		return leafHash(leaves[0])
	}
	k := splitPoint(len(leaves))
	return innerHash(MerkleRoot(leaves[:k]), MerkleRoot(leaves[k:]))
}

// MerkleProof is the path from leaf Index of Total to the root: the
// sibling hashes from the bottom up (CometBFT's "aunts").
type MerkleProof struct {
	Index, Total int
	Aunts        [][]byte
}

// MerkleProofOf is the proof of leaves[i].
func MerkleProofOf(leaves [][]byte, i int) MerkleProof {
	p := MerkleProof{Index: i, Total: len(leaves)}
	p.Aunts = aunts(leaves, i)
	return p
}

func aunts(leaves [][]byte, i int) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := splitPoint(len(leaves))
	if i < k {
		return append(aunts(leaves[:k], i), MerkleRoot(leaves[k:]))
	}
	return append(aunts(leaves[k:], i-k), MerkleRoot(leaves[:k]))
}

// ErrMerkleProof is returned for a proof that does not fit its tree.
var ErrMerkleProof = errors.New("election: malformed Merkle proof")

// Root computes the root the proof leads to from leaf.
func (p MerkleProof) Root(leaf []byte) ([]byte, error) {
	if p.Total < 1 || p.Index < 0 || p.Index >= p.Total {
		return nil, ErrMerkleProof
	}
	return rootFrom(leafHash(leaf), p.Index, p.Total, p.Aunts)
}

func rootFrom(h []byte, i, n int, aunts [][]byte) ([]byte, error) {
	if n == 1 {
		if len(aunts) != 0 {
			return nil, ErrMerkleProof
		}
		return h, nil
	}
	if len(aunts) == 0 || len(aunts[len(aunts)-1]) != sha256.Size {
		return nil, ErrMerkleProof
	}
	k := splitPoint(n)
	last := aunts[len(aunts)-1]
	if i < k {
		l, err := rootFrom(h, i, k, aunts[:len(aunts)-1])
		if err != nil {
			return nil, err
		}
		return innerHash(l, last), nil
	}
	r, err := rootFrom(h, i-k, n-k, aunts[:len(aunts)-1])
	if err != nil {
		return nil, err
	}
	return innerHash(last, r), nil
}
