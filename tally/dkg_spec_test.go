package tally

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/sha512"
	"encoding/binary"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"filippo.io/edwards25519"
)

// TestDkgSpecIndependent replays the vector ceremonies by the text of
// docs/spec/dkg.md with other primitives than the implementation: the
// standard library's crypto/hpke for the sealed shares, crypto/sha512 for the
// proof transcript and filippo.io/edwards25519 (through the RFC 9496 decoder
// of ristretto.go) for the group. Messages are parsed by byte offsets.
func TestDkgSpecIndependent(t *testing.T) {
	raw, err := os.ReadFile(dkgVectorPath)
	if err != nil {
		t.Fatal(err)
	}
	var f dkgVectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, vc := range f.Cases {
		if vc.Expect.Error != "" {
			continue
		}
		cases++
		t.Run(vc.Name, func(t *testing.T) { dkgSpecReplay(t, vc) })
	}
	if cases == 0 {
		t.Fatal("no successful ceremony in the vectors")
	}
}

func dkgSpecReplay(t *testing.T, vc dkgVectorCase) {
	ctx := dkgHex(t, vc.Context)
	// Spec: tag = one length byte then the ASCII tag.
	tag := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	bytesField := func(p []byte) []byte { return append(u32(uint32(len(p))), p...) }
	untag := func(hexMsg, wantTag string) []byte {
		b := dkgHex(t, hexMsg)
		if string(b[:1+len(wantTag)]) != string(tag(wantTag)) {
			t.Fatalf("message does not start with tag %q", wantTag)
		}
		return b[1+len(wantTag):]
	}
	point := func(b []byte) *edwards25519.Point {
		p := new(edwards25519.Point)
		if err := vtDecode(p, b[:32]); err != nil {
			t.Fatal(err)
		}
		return p
	}
	scalar := func(b []byte) *edwards25519.Scalar {
		s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:32])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	small := func(v uint64) *edwards25519.Scalar {
		var b [32]byte
		binary.LittleEndian.PutUint64(b[:], v)
		return scalar(b[:])
	}
	same := func(p, q *edwards25519.Point) bool {
		return vtIsIdentity(new(edwards25519.Point).Subtract(p, q))
	}

	// Encryption keys: DHKEM(X25519) private keys whose public keys are the
	// registered ones.
	kem := hpke.DHKEM(ecdh.X25519())
	var sks []hpke.PrivateKey
	for j := range vc.N {
		sk, err := kem.NewPrivateKey(untag(vc.EncryptionPrivateKeys[j], "evote/v1/dkg/encryption-private-key"))
		if err != nil {
			t.Fatal(err)
		}
		pub := untag(vc.EncryptionKeys[j], "evote/v1/dkg/encryption-key")
		if string(sk.PublicKey().Bytes()) != string(pub) {
			t.Fatalf("trustee %d: public key is not that of the private key", j+1)
		}
		sks = append(sks, sk)
	}
	complains := func(j, i uint32) bool {
		for _, ch := range vc.Checks {
			if ch.Trustee == j {
				return slices.Contains(ch.Complaints, i)
			}
		}
		t.Fatalf("no check for trustee %d", j)
		return false
	}

	commitments := make(map[uint32][]*edwards25519.Point)
	for _, dh := range vc.Deals {
		d := untag(dh, "evote/v1/dkg/deal")
		dealer := binary.BigEndian.Uint32(d[0:])
		nc := binary.BigEndian.Uint32(d[4:])
		var cs []*edwards25519.Point
		for k := range nc {
			cs = append(cs, point(d[8+32*k:]))
		}
		commitments[dealer] = cs
		rest := d[8+32*nc:]
		R, zb := rest[:32], rest[32:64]
		m := binary.BigEndian.Uint32(rest[64:])
		shares := rest[68:]
		aad := d[4 : 8+32*nc] // u32 t || commitments

		// Proof of knowledge of a_0.
		pokctx := slices.Concat(tag("evote/v1/dkg/pok"), bytesField(ctx), u32(vc.N), u32(vc.T), u32(dealer), aad)
		h := sha512.Sum512(slices.Concat(tag("evote/v1/proof/schnorr"), bytesField(pokctx), bytesField(d[8:40]), bytesField(R)))
		c, err := edwards25519.NewScalar().SetUniformBytes(h[:])
		if err != nil {
			t.Fatal(err)
		}
		lhs := new(edwards25519.Point).ScalarBaseMult(scalar(zb))
		rhs := new(edwards25519.Point).Add(point(R), new(edwards25519.Point).ScalarMult(c, cs[0]))
		pokOK := same(lhs, rhs)
		qualified := slices.Contains(vc.Expect.Qualified, dealer)
		if qualified && !pokOK {
			t.Fatalf("dealer %d is qualified but its proof does not verify", dealer)
		}
		if nc != vc.T || !pokOK {
			if qualified {
				t.Fatalf("dealer %d is qualified with an invalid deal", dealer)
			}
			continue
		}

		// Each sealed share opens to a valid share unless its recipient
		// complains.
		for k := range m {
			s := shares[84*k:]
			j := binary.BigEndian.Uint32(s)
			enc, ct := s[4:36], s[36:84]
			info := slices.Concat(tag("evote/v1/dkg/share"), bytesField(ctx), u32(dealer), u32(j))
			valid := false
			if r, err := hpke.NewRecipient(enc, sks[j-1], hpke.HKDFSHA256(), hpke.ChaCha20Poly1305(), info); err == nil {
				if pt, err := r.Open(aad, ct); err == nil && len(pt) == 32 {
					if share, err := edwards25519.NewScalar().SetCanonicalBytes(pt); err == nil {
						// Σ_k j^k C_k
						want := edwards25519.NewIdentityPoint()
						jk := small(1)
						for _, ck := range cs {
							want.Add(want, new(edwards25519.Point).ScalarMult(jk, ck))
							jk = edwards25519.NewScalar().Multiply(jk, small(uint64(j)))
						}
						valid = same(new(edwards25519.Point).ScalarBaseMult(share), want)
					}
				}
			}
			if valid == complains(j, dealer) {
				t.Fatalf("share of dealer %d for trustee %d: valid %v, complaint %v", dealer, j, valid, !valid)
			}
		}
	}

	// H = Σ_{i∈QUAL} C_{i,0}; X_j = Σ_{i∈QUAL} Σ_k j^k C_{i,k} = x_j G.
	H := edwards25519.NewIdentityPoint()
	for _, i := range vc.Expect.Qualified {
		H.Add(H, commitments[i][0])
	}
	if !same(H, point(untag(vc.Expect.PublicKey, "evote/v1/public-key"))) {
		t.Fatal("H is not the sum of the qualified C_0")
	}
	for j := uint32(1); j <= vc.N; j++ {
		X := edwards25519.NewIdentityPoint()
		for _, i := range vc.Expect.Qualified {
			jk := small(1)
			for _, ck := range commitments[i] {
				X.Add(X, new(edwards25519.Point).ScalarMult(jk, ck))
				jk = edwards25519.NewScalar().Multiply(jk, small(uint64(j)))
			}
		}
		if !same(X, point(untag(vc.Expect.VerificationKeys[j-1], "evote/v1/public-key"))) {
			t.Fatalf("X_%d differs", j)
		}
		x := scalar(untag(vc.Expect.SecretShares[j-1], "evote/v1/private-key"))
		if !same(X, new(edwards25519.Point).ScalarBaseMult(x)) {
			t.Fatalf("x_%d G != X_%d", j, j)
		}
	}
}

// TestDkgEncryptionKeyDerivation checks GenerateTrusteeEncryptionKey against
// the standard library's DeriveKeyPair (RFC 9180 §7.1.3) on the same seed.
func TestDkgEncryptionKeyDerivation(t *testing.T) {
	for _, seed := range []string{"trustee 1", "trustee 2"} {
		k, err := GenerateTrusteeEncryptionKey(seeded(seed))
		if err != nil {
			t.Fatal(err)
		}
		ikm := make([]byte, 32)
		if _, err := seeded(seed).Read(ikm); err != nil {
			t.Fatal(err)
		}
		sk, err := hpke.DHKEM(ecdh.X25519()).DeriveKeyPair(ikm)
		if err != nil {
			t.Fatal(err)
		}
		if string(sk.PublicKey().Bytes()) != string(k.Public().Bytes()) {
			t.Fatalf("%s: key differs from DeriveKeyPair", seed)
		}
	}
}
