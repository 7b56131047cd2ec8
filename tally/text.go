package tally

import (
	"encoding/hex"
	"fmt"
)

// Text forms, for JSON: lower-case hex of the binary forms. A public key is
// its untagged 32-byte element (Bytes); a deal and a response are their
// tagged canonical encodings (MarshalBinary).

// MarshalText implements encoding.TextMarshaler: hex of Bytes.
func (k *PublicKey) MarshalText() ([]byte, error) { return hexText(k.Bytes()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, rejecting the identity.
func (k *PublicKey) UnmarshalText(b []byte) error {
	raw, err := unhexText(b)
	if err != nil {
		return err
	}
	p, err := PublicKeyFromBytes(raw)
	if err != nil {
		return err
	}
	*k = *p
	return nil
}

// MarshalText implements encoding.TextMarshaler: hex of MarshalBinary.
func (d *DKGDeal) MarshalText() ([]byte, error) {
	b, err := d.MarshalBinary()
	return hexText(b), err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *DKGDeal) UnmarshalText(b []byte) error {
	raw, err := unhexText(b)
	if err != nil {
		return err
	}
	return d.UnmarshalBinary(raw)
}

// MarshalText implements encoding.TextMarshaler: hex of MarshalBinary.
func (r *DKGResponse) MarshalText() ([]byte, error) {
	b, err := r.MarshalBinary()
	return hexText(b), err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *DKGResponse) UnmarshalText(b []byte) error {
	raw, err := unhexText(b)
	if err != nil {
		return err
	}
	return r.UnmarshalBinary(raw)
}

func hexText(b []byte) []byte { return hex.AppendEncode(nil, b) }

func unhexText(b []byte) ([]byte, error) {
	raw := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(raw, b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return raw, nil
}
