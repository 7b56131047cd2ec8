package tally

import (
	"encoding/binary"
	"fmt"

	"github.com/cloudflare/circl/group"
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
	// maxTagLen bounds a tag's length.
	maxTagLen = 64
)

// encoder appends canonical encodings to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) raw(p []byte) { e.b = append(e.b, p...) }

func (e *encoder) bytes(p []byte) {
	e.u32(uint32(len(p)))
	e.b = append(e.b, p...)
}

func (e *encoder) tag(t string) {
	if len(t) == 0 || len(t) > maxTagLen {
		panic("tally: bad tag " + t) // programming error: tags are constants
	}
	e.u8(uint8(len(t)))
	e.b = append(e.b, t...)
}

func (e *encoder) scalar(s group.Scalar) {
	e.b = appendScalar(e.b, s)
}

func (e *encoder) point(p group.Element) {
	e.b = appendPoint(e.b, p)
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

// decoder reads canonical encodings. The first error sticks: later reads
// return zero values, and err reports the first failure with its offset.
type decoder struct {
	b   []byte
	off int
	err error
}

func newDecoder(b []byte) *decoder { return &decoder{b: b} }

func (d *decoder) fail(err error, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", err, d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b)-d.off < n {
		d.fail(ErrMalformed, "%s: need %d bytes, have %d", what, n, len(d.b)-d.off)
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) u8(what string) uint8 {
	p := d.take(1, what)
	if p == nil {
		return 0
	}
	return p[0]
}

func (d *decoder) u16(what string) uint16 {
	p := d.take(2, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}

func (d *decoder) u32(what string) uint32 {
	p := d.take(4, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (d *decoder) u64(what string) uint64 {
	p := d.take(8, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

// count reads a u32 element count and checks it against max and against the
// bytes left (each element takes at least minSize bytes), so that a forged
// count cannot make the caller allocate more than the input justifies.
func (d *decoder) count(what string, max, minSize int) int {
	n := d.u32(what)
	if d.err != nil {
		return 0
	}
	if int64(n) > int64(max) {
		d.fail(ErrLimit, "%s: %d exceeds the limit %d", what, n, max)
		return 0
	}
	if minSize > 0 && int64(n)*int64(minSize) > int64(len(d.b)-d.off) {
		d.fail(ErrMalformed, "%s: %d items do not fit in %d bytes", what, n, len(d.b)-d.off)
		return 0
	}
	return int(n)
}

// bytes reads a u32-length-prefixed byte string of at most max bytes.
func (d *decoder) bytes(what string, max int) []byte {
	n := d.u32(what + " length")
	if d.err != nil {
		return nil
	}
	if int64(n) > int64(max) {
		d.fail(ErrLimit, "%s: length %d exceeds the limit %d", what, n, max)
		return nil
	}
	p := d.take(int(n), what)
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
}

// tag reads a tag and checks that it is exactly want.
func (d *decoder) tag(want string) {
	n := int(d.u8("tag length"))
	p := d.take(n, "tag")
	if d.err != nil {
		return
	}
	if string(p) != want {
		d.off -= n + 1
		d.fail(ErrWrongTag, "got %q, want %q", p, want)
	}
}

// scalar reads a canonical scalar.
func (d *decoder) scalar(what string) group.Scalar {
	p := d.take(ScalarSize, what)
	if p == nil {
		return nil
	}
	s := newScalar()
	if err := s.UnmarshalBinary(p); err != nil {
		d.off -= ScalarSize
		d.fail(ErrNonCanonical, "%s: scalar not reduced", what)
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
	p := d.take(PointSize, what)
	if p == nil {
		return nil
	}
	e, err := decodePoint(p, allowIdentity)
	if err != nil {
		d.off -= PointSize
		d.fail(err, "%s", what)
		return nil
	}
	return e
}

// rawPoint returns the next 32 bytes, unchecked, for the verification path,
// which decodes them itself (see ristretto.go).
func (d *decoder) rawPoint(what string) []byte { return d.take(PointSize, what) }

// rawScalar returns the next 32 bytes, unchecked (see rawPoint).
func (d *decoder) rawScalar(what string) []byte { return d.take(ScalarSize, what) }

// finish reports the first error, or ErrTrailingBytes if input is left.
func (d *decoder) finish() error {
	if d.err == nil && d.off != len(d.b) {
		d.err = fmt.Errorf("%w: %d bytes after the message", ErrTrailingBytes, len(d.b)-d.off)
	}
	return d.err
}

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
