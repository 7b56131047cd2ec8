// Package wire is evote's canonical binary encoding (docs/spec/encoding.md),
// shared by tally's and election's messages:
//
//	u8, u16, u32, u64   big-endian unsigned integers of 1, 2, 4 and 8 bytes
//	bytes               u32 length, then that many bytes
//	string              bytes holding valid UTF-8
//	count               u32 number of elements of a list that follows
//	tag                 u8 length, then the ASCII tag, e.g. "evote/v1/tx"
//
// Every top-level message starts with its tag. Decoders reject truncated
// input, lengths and counts beyond their limits or beyond the remaining
// input, invalid UTF-8 and trailing bytes. Each package that decodes with
// wire names its own sentinel errors (Errors), so that its callers keep
// matching its errors with errors.Is.
package wire

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// MaxTagLen bounds a tag's length.
const MaxTagLen = 64

// Encoder appends canonical encodings to B.
type Encoder struct{ B []byte }

func (e *Encoder) U8(v uint8)   { e.B = append(e.B, v) }
func (e *Encoder) U16(v uint16) { e.B = binary.BigEndian.AppendUint16(e.B, v) }
func (e *Encoder) U32(v uint32) { e.B = binary.BigEndian.AppendUint32(e.B, v) }
func (e *Encoder) U64(v uint64) { e.B = binary.BigEndian.AppendUint64(e.B, v) }

// Raw appends p as it is (a fixed-size field).
func (e *Encoder) Raw(p []byte) { e.B = append(e.B, p...) }

// Bytes appends p with its u32 length.
func (e *Encoder) Bytes(p []byte) {
	e.U32(uint32(len(p)))
	e.B = append(e.B, p...)
}

// Str appends s with its u32 length.
func (e *Encoder) Str(s string) {
	e.U32(uint32(len(s)))
	e.B = append(e.B, s...)
}

// Tag appends a tag. Tags are constants: a bad one is a programming error.
func (e *Encoder) Tag(t string) {
	if len(t) == 0 || len(t) > MaxTagLen {
		panic("wire: bad tag " + t)
	}
	e.U8(uint8(len(t)))
	e.B = append(e.B, t...)
}

// Errors are the sentinel errors a decoder wraps: Malformed for truncated
// or inconsistent input and invalid UTF-8, Limit for a length or count over
// its limit, WrongTag for another message's tag, Trailing for bytes after
// the message.
type Errors struct {
	Malformed, Limit, WrongTag, Trailing error
}

// Decoder reads canonical encodings from B. The first failure sticks in
// Err, with the offset where it happened; every later read returns zero
// values. Off is the next byte to read.
type Decoder struct {
	B    []byte
	Off  int
	Err  error
	errs Errors
}

// NewDecoder reads b, failing with errs.
func NewDecoder(b []byte, errs Errors) *Decoder { return &Decoder{B: b, errs: errs} }

// Fail records err (if no failure is recorded yet) with the offset and a
// description.
func (d *Decoder) Fail(err error, format string, args ...any) {
	if d.Err == nil {
		d.Err = fmt.Errorf("%w: at byte %d: %s", err, d.Off, fmt.Sprintf(format, args...))
	}
}

// Remaining is the number of bytes left.
func (d *Decoder) Remaining() int { return len(d.B) - d.Off }

// Take returns the next n bytes (aliasing B).
func (d *Decoder) Take(n int, what string) []byte {
	if d.Err != nil {
		return nil
	}
	if n < 0 || n > d.Remaining() {
		d.Fail(d.errs.Malformed, "%s: need %d bytes, have %d", what, n, d.Remaining())
		return nil
	}
	p := d.B[d.Off : d.Off+n]
	d.Off += n
	return p
}

func (d *Decoder) U8(what string) uint8 {
	if p := d.Take(1, what); p != nil {
		return p[0]
	}
	return 0
}

func (d *Decoder) U16(what string) uint16 {
	if p := d.Take(2, what); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (d *Decoder) U32(what string) uint32 {
	if p := d.Take(4, what); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (d *Decoder) U64(what string) uint64 {
	if p := d.Take(8, what); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

// Count reads a u32 element count of at most max, each element at least
// minSize bytes long, so that a forged count never outgrows the input.
func (d *Decoder) Count(what string, max, minSize int) int {
	n := d.U32(what)
	if d.Err != nil {
		return 0
	}
	if uint64(n) > uint64(max) {
		d.Off -= 4
		d.Fail(d.errs.Limit, "%s: %d exceeds %d", what, n, max)
		return 0
	}
	if minSize > 0 && uint64(n)*uint64(minSize) > uint64(d.Remaining()) {
		d.Off -= 4
		d.Fail(d.errs.Malformed, "%s: %d elements cannot fit in %d bytes", what, n, d.Remaining())
		return 0
	}
	return int(n)
}

// Bytes reads a u32 length of at most max and that many bytes, copied.
func (d *Decoder) Bytes(what string, max int) []byte {
	n := d.U32(what + " length")
	if d.Err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		d.Off -= 4
		d.Fail(d.errs.Limit, "%s: %d bytes exceed %d", what, n, max)
		return nil
	}
	p := d.Take(int(n), what)
	if p == nil {
		return nil
	}
	return append([]byte{}, p...)
}

// Str reads a string of at most max bytes of valid UTF-8.
func (d *Decoder) Str(what string, max int) string {
	p := d.Bytes(what, max)
	if d.Err != nil {
		return ""
	}
	if !utf8.Valid(p) {
		d.Off -= len(p)
		d.Fail(d.errs.Malformed, "%s: not valid UTF-8", what)
		return ""
	}
	return string(p)
}

// Tag reads a tag and checks that it is want.
func (d *Decoder) Tag(want string) {
	n := int(d.U8("tag length"))
	p := d.Take(n, "tag")
	if d.Err != nil {
		return
	}
	if string(p) != want {
		d.Off -= n + 1
		d.Fail(d.errs.WrongTag, "tag %q, want %q", p, want)
	}
}

// Finish reports the first failure or, if input is left, a Trailing error
// (which sticks too).
func (d *Decoder) Finish() error {
	if d.Err == nil && d.Off != len(d.B) {
		d.Err = fmt.Errorf("%w: %d bytes after offset %d", d.errs.Trailing, len(d.B)-d.Off, d.Off)
	}
	return d.Err
}
