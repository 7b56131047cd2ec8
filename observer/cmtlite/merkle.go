package cmtlite

import "crypto/sha256"

// MerkleRoot is the RFC 6962 Merkle tree hash of leaves, as CometBFT's
// merkle.HashFromByteSlices computes it: SHA-256(0x00 || leaf) for a leaf,
// SHA-256(0x01 || left || right) for an inner node, the left subtree
// holding the largest power of two of leaves smaller than their number,
// and SHA-256 of nothing for no leaves.
func MerkleRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		h := sha256.New()
		h.Write([]byte{0})
		h.Write(leaves[0])
		return h.Sum(nil)
	}
	k := splitPoint(len(leaves))
	left, right := MerkleRoot(leaves[:k]), MerkleRoot(leaves[k:])
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

// splitPoint is the largest power of two smaller than n (n > 1).
func splitPoint(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}
