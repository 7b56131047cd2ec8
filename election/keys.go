package election

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/cloudflare/circl/sign/ed25519"
)

// Signing keys: every transaction is signed with Ed25519 (RFC 8032, circl
// sign/ed25519). Authorities, trustees (their identity keys) and voters
// (their credential keys) all hold such keys.

// PublicKeySize and SignatureSize are the sizes of an Ed25519 public key and
// signature.
const (
	PublicKeySize = ed25519.PublicKeySize
	SignatureSize = ed25519.SignatureSize
	SeedSize      = ed25519.SeedSize
)

// Text prefixes of keys and ids.
const (
	publicKeyPrefix  = "ed25519:"
	privateKeyPrefix = "ed25519-secret:"
)

// PublicKey is an Ed25519 public key: its 32-byte encoding. Its text form is
// "ed25519:" followed by 64 lowercase hex digits. ParsePublicKey and
// PublicKeyFromBytes accept only canonical encodings of points that are not
// of small order: a small-order key would let anyone forge signatures.
type PublicKey [PublicKeySize]byte

// PublicKeyFromBytes checks and wraps a 32-byte public key.
func PublicKeyFromBytes(b []byte) (PublicKey, error) {
	var k PublicKey
	if len(b) != PublicKeySize {
		return k, fmt.Errorf("%w: public key of %d bytes, want %d", ErrInvalidKey, len(b), PublicKeySize)
	}
	copy(k[:], b)
	if err := k.check(); err != nil {
		return PublicKey{}, err
	}
	return k, nil
}

// ParsePublicKey parses the text form "ed25519:<64 hex digits>".
func ParsePublicKey(s string) (PublicKey, error) {
	rest, ok := strings.CutPrefix(s, publicKeyPrefix)
	if !ok {
		return PublicKey{}, fmt.Errorf("%w: public key %q does not start with %q", ErrInvalidKey, s, publicKeyPrefix)
	}
	b, err := decodeLowerHex(rest, PublicKeySize)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: public key: %v", ErrInvalidKey, err)
	}
	return PublicKeyFromBytes(b)
}

// String returns the text form.
func (k PublicKey) String() string { return publicKeyPrefix + hex.EncodeToString(k[:]) }

// Bytes returns a copy of the 32-byte encoding.
func (k PublicKey) Bytes() []byte { return bytes.Clone(k[:]) }

// IsZero reports whether k is the zero value (no key).
func (k PublicKey) IsZero() bool { return k == PublicKey{} }

// MarshalText returns the text form.
func (k PublicKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses the text form.
func (k *PublicKey) UnmarshalText(b []byte) error {
	p, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// Verify reports whether sig is k's signature of msg, by the one rule
// docs/spec/transactions.md pins ("The signature rule"): RFC 8032's
// cofactorless check [S]B = R + [k]A, with S < L, R compared by its
// encoding, and the key and R both canonical encodings of points not of
// small order. A key or an R of small order would let a signature verify
// for any message under some key (the identity key with R = identity and
// S = 0 "signs" everything); a second encoding of one point would let one
// signature take two forms.
func (k PublicKey) Verify(msg, sig []byte) bool {
	if len(sig) != SignatureSize || k.check() != nil {
		return false
	}
	var r PublicKey
	copy(r[:], sig[:PublicKeySize])
	if r.check() != nil {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(k[:]), msg, sig)
}

// check rejects a y coordinate that is not below p = 2^255 - 19 and the
// encodings of the eight points of small order, whatever their sign bit.
func (k PublicKey) check() error {
	y := k
	y[31] &= 0x7f
	if !lessThanP(y[:]) {
		return fmt.Errorf("%w: public key is not a canonical point encoding", ErrInvalidKey)
	}
	for _, s := range smallOrderY {
		if y == s {
			return fmt.Errorf("%w: public key of small order", ErrInvalidKey)
		}
	}
	return nil
}

// lessThanP reports whether the 255-bit little-endian y (top bit clear) is
// below p = 2^255 - 19.
func lessThanP(y []byte) bool {
	if y[31] != 0x7f || y[0] < 0xed {
		return true
	}
	for _, b := range y[1:31] {
		if b != 0xff {
			return true
		}
	}
	return false
}

// smallOrderY are the y coordinates (little-endian, sign bit clear) of the
// points of order 1, 2, 4 and 8 on edwards25519: y = 1, y = -1, y = 0 and
// the two y of the points of order 8. test/keys_test.go checks them.
var smallOrderY = [...]PublicKey{
	{0x01},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
}

// SmallOrderKeys returns the encodings PublicKeyFromBytes rejects as of
// small order, with their sign bit clear (for tests of the list itself).
func SmallOrderKeys() [][]byte {
	out := make([][]byte, len(smallOrderY))
	for i, k := range smallOrderY {
		out[i] = k.Bytes()
	}
	return out
}

// PrivateKey is an Ed25519 signing key. Its text form is "ed25519-secret:"
// followed by the 32-byte seed in hex. It is not comparable with ==: use
// Equal.
type PrivateKey struct {
	sk  ed25519.PrivateKey
	pub PublicKey
	_   [0]func()
}

// GenerateKey draws a 32-byte seed from rnd and derives the key from it.
func GenerateKey(rnd io.Reader) (*PrivateKey, error) {
	seed := make([]byte, SeedSize)
	if _, err := io.ReadFull(rnd, seed); err != nil {
		return nil, fmt.Errorf("election: reading randomness: %w", err)
	}
	return NewKeyFromSeed(seed)
}

// NewKeyFromSeed derives the key of a 32-byte seed (RFC 8032 §5.1.5). A seed
// whose public key is rejected by PublicKeyFromBytes (which happens with
// negligible probability) is an error.
func NewKeyFromSeed(seed []byte) (*PrivateKey, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("%w: seed of %d bytes, want %d", ErrInvalidKey, len(seed), SeedSize)
	}
	sk := ed25519.NewKeyFromSeed(seed)
	pub, err := PublicKeyFromBytes(sk[SeedSize:])
	if err != nil {
		return nil, err
	}
	return &PrivateKey{sk: sk, pub: pub}, nil
}

// DeriveKey derives a key from a label (SHA-256 of "evote/v1/test-key" and
// the label as the seed). It is for tests, examples and load generators
// only: anyone who knows the label knows the key.
func DeriveKey(label string) *PrivateKey {
	h := sha256.New()
	h.Write(tagBytes("evote/v1/test-key"))
	h.Write([]byte(label))
	k, err := NewKeyFromSeed(h.Sum(nil))
	if err != nil {
		panic(err) // negligible: a hash that is a small-order point
	}
	return k
}

// ParsePrivateKey parses the text form "ed25519-secret:<64 hex digits>".
func ParsePrivateKey(s string) (*PrivateKey, error) {
	rest, ok := strings.CutPrefix(s, privateKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: private key does not start with %q", ErrInvalidKey, privateKeyPrefix)
	}
	seed, err := decodeLowerHex(rest, SeedSize)
	if err != nil {
		return nil, fmt.Errorf("%w: private key: %v", ErrInvalidKey, err)
	}
	return NewKeyFromSeed(seed)
}

// Public returns the public key.
func (k *PrivateKey) Public() PublicKey { return k.pub }

// Seed returns a copy of the 32-byte seed.
func (k *PrivateKey) Seed() []byte { return bytes.Clone(k.sk.Seed()) }

// Equal reports whether two private keys are the same.
func (k *PrivateKey) Equal(o *PrivateKey) bool { return k.sk.Equal(o.sk) }

// Sign signs msg (pure Ed25519).
func (k *PrivateKey) Sign(msg []byte) []byte { return ed25519.Sign(k.sk, msg) }

// MarshalText returns the text form. It is the secret: store it encrypted.
func (k *PrivateKey) MarshalText() ([]byte, error) {
	return []byte(privateKeyPrefix + hex.EncodeToString(k.sk.Seed())), nil
}

// UnmarshalText parses the text form.
func (k *PrivateKey) UnmarshalText(b []byte) error {
	p, err := ParsePrivateKey(string(b))
	if err != nil {
		return err
	}
	k.sk, k.pub = p.sk, p.pub
	return nil
}

// String names the key by its public half; it never shows the secret.
func (k *PrivateKey) String() string { return "secret key of " + k.pub.String() }

// decodeLowerHex decodes exactly n bytes written as 2n lowercase hex digits
// (one text form per value).
func decodeLowerHex(s string, n int) ([]byte, error) {
	if len(s) != 2*n {
		return nil, fmt.Errorf("%d hex digits, want %d", len(s), 2*n)
	}
	if strings.ToLower(s) != s {
		return nil, fmt.Errorf("hex digits must be lowercase")
	}
	return hex.DecodeString(s)
}

// IDSize is the size of an election id.
const IDSize = sha256.Size

// ID is an election id: SHA-256 over the tagged canonical manifest (see
// Manifest.ID). Its text form is 64 lowercase hex digits.
type ID [IDSize]byte

// ParseID parses the text form of an id.
func ParseID(s string) (ID, error) {
	var id ID
	b, err := decodeLowerHex(s, IDSize)
	if err != nil {
		return id, fmt.Errorf("%w: election id: %v", ErrMalformed, err)
	}
	copy(id[:], b)
	return id, nil
}

// String returns the text form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText returns the text form.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses the text form.
func (id *ID) UnmarshalText(b []byte) error {
	p, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}
