package election

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// The canonical encoding of election messages and state values follows
// docs/spec/encoding.md:
//
//	u8, u16, u32, u64   big-endian unsigned integers
//	bytes               u32 length, then that many bytes
//	string              bytes holding valid UTF-8
//	count               u32 number of elements of a list that follows
//	tag                 u8 length, then the ASCII tag, e.g. "evote/v1/tx"
//
// Every top-level message starts with its tag. Decoders reject truncated
// input, lengths and counts beyond their limits or beyond the remaining
// input, invalid UTF-8 and trailing bytes.

// encoder appends canonical encodings to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) raw(p []byte) { e.b = append(e.b, p...) }
func (e *encoder) str(s string) { e.u32(uint32(len(s))); e.b = append(e.b, s...) }

func (e *encoder) bytes(p []byte) {
	e.u32(uint32(len(p)))
	e.b = append(e.b, p...)
}

func (e *encoder) tag(t string) {
	if len(t) == 0 || len(t) > 64 {
		panic("election: bad tag " + t) // programming error: tags are constants
	}
	e.u8(uint8(len(t)))
	e.b = append(e.b, t...)
}

// tagBytes is the framed tag u8 len || tag.
func tagBytes(t string) []byte {
	e := encoder{}
	e.tag(t)
	return e.b
}

// decoder reads canonical encodings; the first failure sticks in err and
// every later read returns zero values.
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

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.remaining() {
		d.fail(ErrMalformed, "%s: need %d bytes, have %d", what, n, d.remaining())
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

// count reads a u32 element count of at most max, each element at least
// minSize bytes long, so that a forged count never outgrows the input.
func (d *decoder) count(what string, max, minSize int) int {
	n := d.u32(what)
	if d.err != nil {
		return 0
	}
	if uint64(n) > uint64(max) {
		d.off -= 4
		d.fail(ErrLimit, "%s: %d exceeds %d", what, n, max)
		return 0
	}
	if minSize > 0 && uint64(n)*uint64(minSize) > uint64(d.remaining()) {
		d.off -= 4
		d.fail(ErrMalformed, "%s: %d elements cannot fit in %d bytes", what, n, d.remaining())
		return 0
	}
	return int(n)
}

// bytes reads a u32 length of at most max and that many bytes. The result
// aliases the input.
func (d *decoder) bytes(what string, max int) []byte {
	n := d.u32(what + " length")
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		d.off -= 4
		d.fail(ErrLimit, "%s: %d bytes exceed %d", what, n, max)
		return nil
	}
	return d.take(int(n), what)
}

// str reads a string of at most max bytes of valid UTF-8.
func (d *decoder) str(what string, max int) string {
	p := d.bytes(what, max)
	if d.err != nil {
		return ""
	}
	if !utf8.Valid(p) {
		d.off -= len(p)
		d.fail(ErrMalformed, "%s: not valid UTF-8", what)
		return ""
	}
	return string(p)
}

func (d *decoder) tag(want string) {
	n := int(d.u8("tag length"))
	p := d.take(n, "tag")
	if d.err != nil {
		return
	}
	if string(p) != want {
		d.off -= n + 1
		d.fail(ErrWrongTag, "tag %q, want %q", p, want)
	}
}

// finish reports the first failure, or ErrTrailingBytes if input remains.
func (d *decoder) finish() error {
	if d.err != nil {
		return d.err
	}
	if d.off != len(d.b) {
		return fmt.Errorf("%w: %d bytes after offset %d", ErrTrailingBytes, len(d.b)-d.off, d.off)
	}
	return nil
}
