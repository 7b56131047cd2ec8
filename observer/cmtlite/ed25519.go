package cmtlite

import (
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// verifyZIP215 checks an Ed25519 signature under the rules of ZIP 215
// (https://zips.z.cash/zip-0215), which CometBFT uses (curve25519-voi's
// VerifyOptionsZIP_215): the public key A and the point R may be
// non-canonical encodings and of small order, S must be canonical, and the
// equation is the cofactored one, [8][S]B = [8]R + [8][k]A with
// k = SHA-512(R || A || msg) over the bytes as given. crypto/ed25519
// differs: it refuses a non-canonical R and checks the equation without
// the cofactor.
//
// It is not constant-time; it handles only public values.
func verifyZIP215(pub, msg, sig []byte) bool {
	if len(pub) != 32 || len(sig) != ed25519SignatureSz {
		return false
	}
	A, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return false
	}
	R, err := new(edwards25519.Point).SetBytes(sig[:32])
	if err != nil {
		return false
	}
	S, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(pub)
	h.Write(msg)
	k, err := new(edwards25519.Scalar).SetUniformBytes(h.Sum(nil))
	if err != nil {
		return false
	}
	// [S]B - [k]A - R, times the cofactor, must be the identity.
	P := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(new(edwards25519.Scalar).Negate(k), A, S)
	P.Subtract(P, R)
	P.MultByCofactor(P)
	return P.Equal(edwards25519.NewIdentityPoint()) == 1
}
