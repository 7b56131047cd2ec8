package election

import (
	"github.com/evote/evote/internal/wire"
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

// encoder is wire's encoder.
type encoder struct{ wire.Encoder }

// encoderOn is an encoder appending to b.
func encoderOn(b []byte) encoder { return encoder{wire.Encoder{B: b}} }

// tagBytes is the framed tag u8 len || tag.
func tagBytes(t string) []byte {
	e := encoder{}
	e.Tag(t)
	return e.B
}

// decoder is wire's decoder, failing with election's errors.
type decoder struct{ *wire.Decoder }

var wireErrors = wire.Errors{Malformed: ErrMalformed, Limit: ErrLimit, WrongTag: ErrWrongTag, Trailing: ErrTrailingBytes}

func newDecoder(b []byte) *decoder { return &decoder{wire.NewDecoder(b, wireErrors)} }
