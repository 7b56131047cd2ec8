package election

import (
	"crypto/sha256"
	"fmt"
)

// Transactions (docs/spec/transactions.md). Every transaction is one
// canonical envelope:
//
//	tx = tag("evote/v1/tx") || u8 kind || signer[32] || bytes(body) || signature[64]
//
// The signature is Ed25519 over a message that names the kind and the
// chain:
//
//	tag(kind tag) || bytes(chain id) || bytes(body)
//
// where the kind tag is "evote/v1/tx/<kind name>", so a signature for one
// kind, chain or body is worth nothing for another.

// TagTx is the tag of the transaction envelope.
const TagTx = "evote/v1/tx"

// Kind is a transaction's kind.
type Kind uint8

// Transaction kinds. A kind's number and body format never change.
const (
	KindCreateElection   Kind = 1
	KindAppendVoters     Kind = 2
	KindDKGDeal          Kind = 3
	KindDKGComplaints    Kind = 4
	KindDKGResponses     Kind = 5
	KindOpen             Kind = 6
	KindClose            Kind = 7
	KindBallot           Kind = 8
	KindDecryptionShares Kind = 9
	KindValidatorUpdate  Kind = 10
)

type kindInfo struct {
	name    string
	maxSize int // the largest transaction of the kind, envelope included
}

var kinds = [...]kindInfo{
	KindCreateElection:   {"create-election", MaxManifestSize + 1024},
	KindAppendVoters:     {"append-voters", MaxTxSize},
	KindDKGDeal:          {"dkg-deal", 64 << 10},
	KindDKGComplaints:    {"dkg-complaints", 16 << 10},
	KindDKGResponses:     {"dkg-responses", 16 << 10},
	KindOpen:             {"open", 512},
	KindClose:            {"close", 512},
	KindBallot:           {"ballot", MaxBallotContestsSz + 4096},
	KindDecryptionShares: {"decryption-shares", 256 << 10},
	KindValidatorUpdate:  {"validator-update", 512},
}

// Size limits of transactions.
const (
	// MaxTxSize bounds every transaction.
	MaxTxSize = 1 << 20
	// MaxRollBatch bounds the voters of one append-voters transaction.
	MaxRollBatch = 20000
	// MaxChainIDLen bounds the chain id (as CometBFT does).
	MaxChainIDLen = 50
)

// Known reports whether k is a kind of this version.
func (k Kind) Known() bool { return k >= 1 && int(k) < len(kinds) }

// String returns the kind's name, for example "ballot".
func (k Kind) String() string {
	if k.Known() {
		return kinds[k].name
	}
	return fmt.Sprintf("kind-%d", uint8(k))
}

// Tag returns the kind's signing tag, "evote/v1/tx/<name>".
func (k Kind) Tag() string { return TagTx + "/" + k.String() }

// MaxSize is the largest transaction of the kind, envelope included.
func (k Kind) MaxSize() int {
	if k.Known() {
		return kinds[k].maxSize
	}
	return MaxTxSize
}

// MarshalText returns the name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Tx is a decoded envelope. Its body is still encoded: DecodeBody parses it.
type Tx struct {
	Kind      Kind
	Signer    PublicKey
	Body      []byte
	Signature [SignatureSize]byte
}

// envelope offsets: tag (12 bytes), kind.
var txTag = tagBytes(TagTx)

// Hash returns the transaction's id: SHA-256 of its bytes.
func Hash(tx []byte) [32]byte { return sha256.Sum256(tx) }

// MarshalBinary encodes the envelope.
func (t *Tx) MarshalBinary() ([]byte, error) {
	e := encoderOn(make([]byte, 0, len(txTag)+1+PublicKeySize+4+len(t.Body)+SignatureSize))
	e.Raw(txTag)
	e.U8(uint8(t.Kind))
	e.Raw(t.Signer[:])
	e.Bytes(t.Body)
	e.Raw(t.Signature[:])
	return e.B, nil
}

// DecodeTx parses the envelope without checking the signature or the body.
// It fails with ErrLimit for a transaction longer than its kind allows,
// ErrUnknownKind for an unknown kind, and the decoding sentinels otherwise.
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxSize {
		return nil, fmt.Errorf("%w: transaction of %d bytes exceeds %d", ErrLimit, len(b), MaxTxSize)
	}
	d := newDecoder(b)
	d.Tag(TagTx)
	t := &Tx{Kind: Kind(d.U8("kind"))}
	if d.Err != nil {
		return nil, d.Err
	}
	if !t.Kind.Known() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKind, uint8(t.Kind))
	}
	if len(b) > t.Kind.MaxSize() {
		return nil, fmt.Errorf("%w: %s transaction of %d bytes exceeds %d", ErrLimit, t.Kind, len(b), t.Kind.MaxSize())
	}
	copy(t.Signer[:], d.Take(PublicKeySize, "signer"))
	t.Body = d.Bytes("body", MaxTxSize)
	copy(t.Signature[:], d.Take(SignatureSize, "signature"))
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return t, nil
}

// SigningMessage is what the signer of a transaction signs:
// tag(kind.Tag()) || bytes(chainID) || bytes(body).
func SigningMessage(chainID string, kind Kind, body []byte) []byte {
	e := encoderOn(make([]byte, 0, 1+len(kind.Tag())+8+len(chainID)+len(body)))
	e.Tag(kind.Tag())
	e.Str(chainID)
	e.Bytes(body)
	return e.B
}

// Verify checks the signature for chainID.
func (t *Tx) Verify(chainID string) bool {
	return t.Signer.Verify(SigningMessage(chainID, t.Kind, t.Body), t.Signature[:])
}

// Body is the body of a transaction of one kind.
type Body interface {
	Kind() Kind
	MarshalBinary() ([]byte, error)
}

// NewTx encodes and signs a transaction carrying body.
func NewTx(chainID string, body Body, key *PrivateKey) ([]byte, error) {
	if len(chainID) == 0 || len(chainID) > MaxChainIDLen {
		return nil, fmt.Errorf("%w: chain id of %d bytes (1..%d)", ErrLimit, len(chainID), MaxChainIDLen)
	}
	b, err := body.MarshalBinary()
	if err != nil {
		return nil, err
	}
	t := &Tx{Kind: body.Kind(), Signer: key.Public(), Body: b}
	copy(t.Signature[:], key.Sign(SigningMessage(chainID, t.Kind, b)))
	out, _ := t.MarshalBinary()
	if len(out) > t.Kind.MaxSize() {
		return nil, fmt.Errorf("%w: %s transaction of %d bytes exceeds %d", ErrLimit, t.Kind, len(out), t.Kind.MaxSize())
	}
	return out, nil
}
