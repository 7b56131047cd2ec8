package tally

import (
	"fmt"

	"github.com/cloudflare/circl/group"

	"github.com/evote/evote/internal/wire"
)

// The canonical encoding (docs/spec/encoding.md):
//
//	u8, u16, u32, u64   big-endian unsigned integers of 1, 2, 4 and 8 bytes
//	bytes               u32 length, then that many bytes
//	tag                 u8 length, then the ASCII tag, e.g. "evote/v1/ciphertext"
//	scalar              32 bytes, little-endian, strictly less than the group order
//	point               32 bytes, the canonical ristretto255 encoding (RFC 9496)
//
// Every top-level message starts with its tag. Nested values carry no tag of
// their own: the tag of the enclosing message versions them.

const (
	// ScalarSize is the length of an encoded scalar.
	ScalarSize = 32
	// PointSize is the length of an encoded group element.
	PointSize = 32
)

// encoder is wire's encoder with the group's scalars and points.
type encoder struct{ wire.Encoder }

// encoderOn is an encoder appending to b.
func encoderOn(b []byte) encoder { return encoder{wire.Encoder{B: b}} }

func (e *encoder) scalar(s group.Scalar) {
	e.B = appendScalar(e.B, s)
}

func (e *encoder) point(p group.Element) {
	e.B = appendPoint(e.B, p)
}

func appendScalar(b []byte, s group.Scalar) []byte {
	enc, err := s.MarshalBinary()
	if err != nil || len(enc) != ScalarSize {
		panic("tally: scalar does not marshal") // cannot happen for ristretto255
	}
	return append(b, enc...)
}

func appendPoint(b []byte, p group.Element) []byte {
	enc, err := p.MarshalBinary()
	if err != nil || len(enc) != PointSize {
		panic("tally: element does not marshal") // cannot happen for ristretto255
	}
	return append(b, enc...)
}

// decoder is wire's decoder, failing with tally's errors, with the
// group's scalars and points.
type decoder struct{ *wire.Decoder }

var wireErrors = wire.Errors{Malformed: ErrMalformed, Limit: ErrLimit, WrongTag: ErrWrongTag, Trailing: ErrTrailingBytes}

func newDecoder(b []byte) *decoder { return &decoder{wire.NewDecoder(b, wireErrors)} }

// scalar reads a canonical scalar.
func (d *decoder) scalar(what string) group.Scalar {
	p := d.Take(ScalarSize, what)
	if p == nil {
		return nil
	}
	s := newScalar()
	if err := s.UnmarshalBinary(p); err != nil {
		d.Off -= ScalarSize
		d.Fail(ErrNonCanonical, "%s: scalar not reduced", what)
		return nil
	}
	return s
}

// point reads a canonical ristretto255 element that is not the identity.
func (d *decoder) point(what string) group.Element {
	return d.pointOrIdentity(what, false)
}

// pointOrIdentity reads a canonical ristretto255 element; the identity is
// accepted only when allowIdentity is set.
func (d *decoder) pointOrIdentity(what string, allowIdentity bool) group.Element {
	p := d.Take(PointSize, what)
	if p == nil {
		return nil
	}
	e, err := decodePoint(p, allowIdentity)
	if err != nil {
		d.Off -= PointSize
		d.Fail(err, "%s", what)
		return nil
	}
	return e
}

// rawPoint returns the next 32 bytes, unchecked, for the verification path,
// which decodes them itself (see ristretto.go).
func (d *decoder) rawPoint(what string) []byte { return d.Take(PointSize, what) }

// rawScalar returns the next 32 bytes, unchecked (see rawPoint).
func (d *decoder) rawScalar(what string) []byte { return d.Take(ScalarSize, what) }

// decodePoint decodes a canonical ristretto255 element with circl, rejecting
// the identity unless allowIdentity is set.
func decodePoint(p []byte, allowIdentity bool) (group.Element, error) {
	if len(p) != PointSize {
		return nil, fmt.Errorf("%w: element of %d bytes", ErrMalformed, len(p))
	}
	e := newElement()
	if err := e.UnmarshalBinary(p); err != nil {
		return nil, fmt.Errorf("%w: not a ristretto255 element", ErrNonCanonical)
	}
	if !allowIdentity && e.IsIdentity() {
		return nil, ErrIdentity
	}
	return e, nil
}
