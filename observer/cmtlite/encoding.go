package cmtlite

import (
	"encoding/binary"
	"time"
)

// The protobuf encoding (proto3, as gogoproto writes it) of the few
// messages CometBFT hashes and signs. Scalar fields equal to zero and empty
// byte strings are left out; messages declared non-nullable are always
// written, empty or not.

const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
)

func appendTag(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

// appendVarintField writes an int64, uint64, uint32 or enum field; a
// negative int64 is written as its ten-byte two's complement, as protobuf
// does.
func appendVarintField(b []byte, field int, v uint64) []byte {
	if v == 0 {
		return b
	}
	return binary.AppendUvarint(appendTag(b, field, wireVarint), v)
}

func appendSfixed64Field(b []byte, field int, v int64) []byte {
	if v == 0 {
		return b
	}
	return binary.LittleEndian.AppendUint64(appendTag(b, field, wireFixed64), uint64(v))
}

// appendBytesField writes a bytes or string field, left out when empty.
func appendBytesField(b []byte, field int, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return appendMessageField(b, field, v)
}

// appendMessageField writes an embedded message, even an empty one.
func appendMessageField(b []byte, field int, msg []byte) []byte {
	b = binary.AppendUvarint(appendTag(b, field, wireBytes), uint64(len(msg)))
	return append(b, msg...)
}

// The range of google.protobuf.Timestamp: years 1 to 9999.
const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300800 // exclusive
)

// timestamp is the google.protobuf.Timestamp of t {seconds = 1, nanos = 2};
// false if t is out of its range (gogoproto refuses to encode it).
func timestamp(t time.Time) ([]byte, bool) {
	s := t.Unix()
	if s < minTimestampSeconds || s >= maxTimestampSeconds {
		return nil, false
	}
	b := appendVarintField(nil, 1, uint64(s))
	return appendVarintField(b, 2, uint64(t.Nanosecond())), true
}

// partSetHeader is tendermint.types.PartSetHeader {total = 1, hash = 2}
// (CanonicalPartSetHeader is the same message).
func (p PartSetHeader) encode() []byte {
	b := appendVarintField(nil, 1, uint64(p.Total))
	return appendBytesField(b, 2, p.Hash)
}

// encode is tendermint.types.BlockID {hash = 1, part_set_header = 2
// (non-nullable)} (CanonicalBlockID is the same message).
func (id BlockID) encode() []byte {
	b := appendBytesField(nil, 1, id.Hash)
	return appendMessageField(b, 2, id.PartSetHeader.encode())
}

// wrapper is CometBFT's cdcEncode: the gogoproto wrapper message
// (StringValue, Int64Value, BytesValue) holding v in field 1, or nothing
// for an empty value.
func wrapBytes(v []byte) []byte { return appendBytesField(nil, 1, v) }

func wrapInt64(v int64) []byte { return appendVarintField(nil, 1, uint64(v)) }
