package tally

import (
	"fmt"
	"io"

	"github.com/cloudflare/circl/dh/x25519"
	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/hpke"
	"github.com/cloudflare/circl/kem"
)

// Shares travel on the chain sealed with HPKE (RFC 9180) in base mode, suite
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, one HPKE
// context per share.

const (
	// dkgEncSize is the size of an HPKE encapsulated key (X25519).
	dkgEncSize = 32
	// dkgSealedShareSize is a sealed scalar: 32 bytes and the 16-byte tag.
	dkgSealedShareSize = ScalarSize + 16
	// dkgX25519Size is the size of X25519 keys.
	dkgX25519Size = x25519.Size
)

func dkgSuite() hpke.Suite {
	return hpke.NewSuite(hpke.KEM_X25519_HKDF_SHA256, hpke.KDF_HKDF_SHA256, hpke.AEAD_ChaCha20Poly1305)
}

func dkgKEM() kem.Scheme { return hpke.KEM_X25519_HKDF_SHA256.Scheme() }

// TrusteeEncryptionKey is a trustee's X25519 key for receiving shares. It
// never leaves the trustee's machine. Compare it with Equal, never with ==.
type TrusteeEncryptionKey struct {
	sk  kem.PrivateKey
	pub *TrusteeEncryptionPublicKey
	_   [0]func()
}

// TrusteeEncryptionPublicKey is the public half, registered in the election
// before the ceremony.
type TrusteeEncryptionPublicKey struct {
	pk kem.PublicKey
	b  [dkgX25519Size]byte
}

// GenerateTrusteeEncryptionKey reads a 32-byte seed from rnd and derives the
// key pair from it with the KEM's DeriveKeyPair (RFC 9180 §7.1.3), so that a
// deterministic reader gives a reproducible key.
func GenerateTrusteeEncryptionKey(rnd io.Reader) (*TrusteeEncryptionKey, error) {
	seed := make([]byte, dkgKEM().SeedSize())
	if _, err := io.ReadFull(rnd, seed); err != nil {
		return nil, fmt.Errorf("tally: reading randomness: %w", err)
	}
	_, sk := dkgKEM().DeriveKeyPair(seed)
	return dkgNewEncryptionKey(sk)
}

func dkgNewEncryptionKey(sk kem.PrivateKey) (*TrusteeEncryptionKey, error) {
	pkb, err := sk.Public().MarshalBinary()
	if err != nil {
		return nil, err
	}
	pub, err := dkgEncryptionPublicKeyFromBytes(pkb)
	if err != nil {
		return nil, err
	}
	return &TrusteeEncryptionKey{sk: sk, pub: pub}, nil
}

// Public returns the public key.
func (k *TrusteeEncryptionKey) Public() *TrusteeEncryptionPublicKey { return k.pub }

// Equal reports whether two private keys are the same, in constant time.
func (k *TrusteeEncryptionKey) Equal(o *TrusteeEncryptionKey) bool { return k.sk.Equal(o.sk) }

// Bytes returns the 32-byte X25519 public key.
func (k *TrusteeEncryptionPublicKey) Bytes() []byte { return append([]byte(nil), k.b[:]...) }

// Equal reports whether two public keys are the same.
func (k *TrusteeEncryptionPublicKey) Equal(o *TrusteeEncryptionPublicKey) bool { return k.b == o.b }

// dkgCheckX25519 accepts the canonical encoding of an X25519 public key that
// is not of low order: the top bit clear, the u-coordinate below 2^255-19,
// and u not one of the points that X25519 maps to zero.
func dkgCheckX25519(b []byte) error {
	if len(b) != dkgX25519Size {
		return fmt.Errorf("%w: X25519 key of %d bytes", ErrMalformed, len(b))
	}
	if b[31]&0x80 != 0 || dkgX25519AtLeastP(b) {
		return fmt.Errorf("%w: X25519 key", ErrNonCanonical)
	}
	// circl's Shared compares the key with the list of low-order points
	// (RFC 7748 §6.1); the scalar does not matter.
	var sk, pk, out x25519.Key
	sk[0] = 1
	copy(pk[:], b)
	if !x25519.Shared(&out, &sk, &pk) {
		return fmt.Errorf("%w: X25519 key of low order", ErrIdentity)
	}
	return nil
}

// dkgX25519AtLeastP reports whether the 255-bit little-endian b is at least
// p = 2^255 - 19 (b's top bit is known to be clear).
func dkgX25519AtLeastP(b []byte) bool {
	if b[31] != 0x7f || b[0] < 0xed {
		return false
	}
	for _, x := range b[1:31] {
		if x != 0xff {
			return false
		}
	}
	return true
}

func dkgEncryptionPublicKeyFromBytes(b []byte) (*TrusteeEncryptionPublicKey, error) {
	if err := dkgCheckX25519(b); err != nil {
		return nil, err
	}
	pk, err := dkgKEM().UnmarshalBinaryPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: X25519 key: %v", ErrMalformed, err)
	}
	k := &TrusteeEncryptionPublicKey{pk: pk}
	copy(k.b[:], b)
	return k, nil
}

// dkgSealShare seals share from dealer to recipient with the HPKE
// encapsulation seed read from rnd.
func dkgSealShare(params *DKGParams, dealer, recipient uint32, aad []byte, share group.Scalar, rnd io.Reader) (DKGEncryptedShare, error) {
	var out DKGEncryptedShare
	pk := params.Trustees[recipient-1].EncryptionKey.pk
	sender, err := dkgSuite().NewSender(pk, dkgShareInfo(params.Context, dealer, recipient))
	if err != nil {
		return out, err
	}
	enc, sealer, err := sender.Setup(rnd)
	if err != nil {
		return out, fmt.Errorf("tally: dkg: sealing the share for trustee %d: %w", recipient, err)
	}
	ct, err := sealer.Seal(scalarBytes(share), aad)
	if err != nil {
		return out, fmt.Errorf("tally: dkg: sealing the share for trustee %d: %w", recipient, err)
	}
	if len(enc) != dkgEncSize || len(ct) != dkgSealedShareSize {
		panic("tally: unexpected HPKE sizes") // fixed by the suite
	}
	out.Recipient = recipient
	copy(out.Enc[:], enc)
	copy(out.Ciphertext[:], ct)
	return out, nil
}

// dkgOpenShare opens a sealed share and decodes the scalar.
func dkgOpenShare(params *DKGParams, dealer uint32, s *DKGEncryptedShare, aad []byte, key *TrusteeEncryptionKey) (group.Scalar, error) {
	receiver, err := dkgSuite().NewReceiver(key.sk, dkgShareInfo(params.Context, dealer, s.Recipient))
	if err != nil {
		return nil, err
	}
	opener, err := receiver.Setup(s.Enc[:])
	if err != nil {
		return nil, fmt.Errorf("%w: dealer %d, trustee %d: %v", ErrDKGUndecryptable, dealer, s.Recipient, err)
	}
	pt, err := opener.Open(s.Ciphertext[:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: dealer %d, trustee %d: %v", ErrDKGUndecryptable, dealer, s.Recipient, err)
	}
	defer clear(pt)
	share := newScalar()
	if len(pt) != ScalarSize || share.UnmarshalBinary(pt) != nil {
		return nil, fmt.Errorf("%w: dealer %d, trustee %d: %w", ErrDKGBadShare, dealer, s.Recipient, ErrNonCanonical)
	}
	return share, nil
}
