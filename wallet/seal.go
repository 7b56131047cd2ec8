package wallet

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Sealing protects a secret at rest with a passphrase: the key is derived
// with Argon2id and the secret encrypted with XChaCha20-Poly1305. The sealed
// form (docs/spec/keystore.md) is
//
//	u8 len ‖ "evote/v1/sealed" ‖ u32 time ‖ u32 memory KiB ‖ u8 threads ‖
//	salt[16] ‖ nonce[24] ‖ ciphertext (plaintext ‖ 16-byte tag)
//
// with everything before the ciphertext as associated data, so that the
// parameters cannot be changed without the opening failing.
const sealTag = "evote/v1/sealed"

const (
	saltSize   = 16
	headerSize = 1 + len(sealTag) + 4 + 4 + 1 + saltSize + chacha20poly1305.NonceSizeX
)

// KDFParams are the Argon2id parameters of a sealed secret.
type KDFParams struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultKDF is used for new secrets: 64 MiB and 3 passes (RFC 9106's
// second recommended option), about 0.2 s on a 2.5 GHz core.
var DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// Limits on the parameters an opened file may ask for, so that a crafted
// file cannot make the wallet allocate without bound.
const (
	maxKDFMemoryKiB = 4 * 1024 * 1024
	maxKDFTime      = 64
)

// Errors of sealing.
var (
	// ErrSealed: the data is not a sealed secret of this version.
	ErrSealed = errors.New("wallet: not an evote sealed secret")
	// ErrPassphrase: the passphrase is wrong or the sealed data was changed.
	ErrPassphrase = errors.New("wallet: wrong passphrase or damaged data")
)

// Seal encrypts plaintext under passphrase with the given parameters,
// drawing the salt and nonce from rnd.
func Seal(passphrase, plaintext []byte, p KDFParams, rnd io.Reader) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	hdr := make([]byte, 0, headerSize)
	hdr = append(hdr, byte(len(sealTag)))
	hdr = append(hdr, sealTag...)
	hdr = binary.BigEndian.AppendUint32(hdr, p.Time)
	hdr = binary.BigEndian.AppendUint32(hdr, p.MemoryKiB)
	hdr = append(hdr, p.Threads)
	rand := make([]byte, saltSize+chacha20poly1305.NonceSizeX)
	if _, err := io.ReadFull(rnd, rand); err != nil {
		return nil, fmt.Errorf("wallet: reading randomness: %w", err)
	}
	hdr = append(hdr, rand...)
	aead, err := sealKey(passphrase, rand[:saltSize], p)
	if err != nil {
		return nil, err
	}
	return aead.Seal(hdr, rand[saltSize:], plaintext, hdr), nil
}

// Open decrypts a sealed secret. A wrong passphrase and changed bytes both
// give ErrPassphrase; data that is not a sealed secret gives ErrSealed.
func Open(passphrase, sealed []byte) ([]byte, error) {
	p, err := SealedParams(sealed)
	if err != nil {
		return nil, err
	}
	hdr := sealed[:headerSize]
	salt := hdr[headerSize-saltSize-chacha20poly1305.NonceSizeX : headerSize-chacha20poly1305.NonceSizeX]
	nonce := hdr[headerSize-chacha20poly1305.NonceSizeX:]
	aead, err := sealKey(passphrase, salt, p)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nonce, sealed[headerSize:], hdr)
	if err != nil {
		return nil, ErrPassphrase
	}
	return pt, nil
}

// SealedParams reads the Argon2id parameters of a sealed secret without
// opening it.
func SealedParams(sealed []byte) (KDFParams, error) {
	if len(sealed) < headerSize+chacha20poly1305.Overhead {
		return KDFParams{}, fmt.Errorf("%w: %d bytes is too short", ErrSealed, len(sealed))
	}
	if int(sealed[0]) != len(sealTag) || !bytes.Equal(sealed[1:1+len(sealTag)], []byte(sealTag)) {
		return KDFParams{}, fmt.Errorf("%w: wrong tag", ErrSealed)
	}
	o := 1 + len(sealTag)
	p := KDFParams{
		Time:      binary.BigEndian.Uint32(sealed[o:]),
		MemoryKiB: binary.BigEndian.Uint32(sealed[o+4:]),
		Threads:   sealed[o+8],
	}
	if err := p.check(); err != nil {
		return KDFParams{}, fmt.Errorf("%w: %v", ErrSealed, err)
	}
	return p, nil
}

func (p KDFParams) check() error {
	switch {
	case p.Time == 0 || p.Time > maxKDFTime:
		return fmt.Errorf("wallet: argon2id time %d out of range 1..%d", p.Time, maxKDFTime)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemoryKiB:
		return fmt.Errorf("wallet: argon2id memory %d KiB out of range %d..%d", p.MemoryKiB, 8*uint32(p.Threads), maxKDFMemoryKiB)
	case p.Threads == 0:
		return errors.New("wallet: argon2id needs at least one thread")
	}
	return nil
}

func sealKey(passphrase, salt []byte, p KDFParams) (cipher.AEAD, error) {
	k := argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, p.Threads, chacha20poly1305.KeySize)
	defer clear(k)
	return chacha20poly1305.NewX(k)
}

// Validate checks the parameters against the limits that Open enforces.
func (p KDFParams) Validate() error { return p.check() }
