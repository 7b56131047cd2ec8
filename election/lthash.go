package election

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
)

// LtHash is a lattice-based multiset hash (LtHash16 of Lewi, Kim,
// Maykov and Weis, "Securing Update Propagation with Homomorphic Hashing",
// 2019, as Solana uses for its accounts): the sum, lane by lane modulo
// 2^16, of every element's expansion into LtHashLanes 16-bit lanes. Adding
// and removing an element are O(1) and commute, so the value depends on the
// multiset, not on the order of the updates: a node keeps it up to date
// write by write and recomputes it from its rows at start-up
// (docs/spec/app-hash.md, "The state checksum").
//
// Four lanes are held in each uint64 (lane 4i+j in bits 16j..16j+15 of word
// i), so that the words' little-endian bytes are the encoding and a sum
// of words is four lane sums at once.
type LtHash [LtHashLanes / 4]uint64

const (
	// LtHashLanes is the number of 16-bit lanes of an LtHash.
	LtHashLanes = 1024
	// LtHashSize is the encoded size of an LtHash: each lane as a
	// little-endian u16, in order.
	LtHashSize = 2 * LtHashLanes
)

// laneHigh is the top bit of each 16-bit lane of a word.
const laneHigh = 0x8000_8000_8000_8000

// addLanes and subLanes add and subtract four 16-bit lanes at once, each
// modulo 2^16 (no carry from one lane into the next).
func addLanes(a, b uint64) uint64 { return ((a &^ laneHigh) + (b &^ laneHigh)) ^ ((a ^ b) & laneHigh) }
func subLanes(a, b uint64) uint64 { return ((a | laneHigh) - (b &^ laneHigh)) ^ ((a ^ ^b) & laneHigh) }

// ErrLtHashSize is returned when decoding bytes of another size than
// LtHashSize.
var ErrLtHashSize = errors.New("election: an LtHash is 2048 bytes")

// ltExpand is an element's expansion: the first LtHashSize bytes of the
// AES-256-CTR keystream under the key SHA-256(element), from the counter
// block 0 (16 zero bytes, incremented as a big-endian integer), read as
// little-endian u16 lanes. SHA-256 and AES run in hardware on the machines
// nodes run on: an element costs under a microsecond, against four with
// SHAKE128 (docs/spec/app-hash.md, "The state checksum", says why the
// expansion is sound).
func ltExpand(elem []byte, out *LtHash) {
	key := sha256.Sum256(elem)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	buf := ltBufs.Get().(*[LtHashSize]byte)
	defer ltBufs.Put(buf)
	clear(buf[:])
	cipher.NewCTR(block, zeroIV[:]).XORKeyStream(buf[:], buf[:])
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(buf[8*i:])
	}
}

// ltBufs holds the keystream buffers of ltExpand: through the cipher's
// interface a buffer would escape, and a start-up check expands millions
// of elements.
var ltBufs = sync.Pool{New: func() any { return new([LtHashSize]byte) }}

var zeroIV [aes.BlockSize]byte

// Add adds the element elem (its full encoding, domain tag included).
func (l *LtHash) Add(elem []byte) {
	var e LtHash
	ltExpand(elem, &e)
	l.AddHash(&e)
}

// Remove removes the element elem: Add then Remove leaves l as it was.
func (l *LtHash) Remove(elem []byte) {
	var e LtHash
	ltExpand(elem, &e)
	l.SubHash(&e)
}

// AddHash adds o lane by lane (the union of the two multisets).
func (l *LtHash) AddHash(o *LtHash) {
	for i := range l {
		l[i] = addLanes(l[i], o[i])
	}
}

// SubHash subtracts o lane by lane.
func (l *LtHash) SubHash(o *LtHash) {
	for i := range l {
		l[i] = subLanes(l[i], o[i])
	}
}

// IsZero reports whether l is the hash of the empty multiset.
func (l *LtHash) IsZero() bool { return *l == LtHash{} }

// MarshalBinary is the LtHashSize bytes of l.
func (l *LtHash) MarshalBinary() ([]byte, error) { return l.Bytes(), nil }

// Bytes is the LtHashSize bytes of l: each lane as a little-endian u16.
func (l *LtHash) Bytes() []byte {
	b := make([]byte, LtHashSize)
	for i, v := range l {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	return b
}

// UnmarshalBinary sets l from LtHashSize bytes; an empty slice is the empty
// multiset.
func (l *LtHash) UnmarshalBinary(b []byte) error {
	if len(b) == 0 {
		*l = LtHash{}
		return nil
	}
	if len(b) != LtHashSize {
		return ErrLtHashSize
	}
	for i := range l {
		l[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return nil
}

// Tags of the state's elements (docs/spec/app-hash.md).
const (
	kvElementTag = "evote/v3/kv"
	txElementTag = "evote/v3/tx"
	stateTag     = "evote/v3/state"
)

// KVElement is the LtHash element of the state row (key, value):
//
//	"evote/v3/kv" || u32 len(key) || key || u32 len(value) || value
func KVElement(key, value []byte) []byte {
	b := make([]byte, 0, len(kvElementTag)+8+len(key)+len(value))
	b = append(b, kvElementTag...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}

// TxElement is the LtHash element of a row of the receipt index:
//
//	"evote/v3/tx" || u32 len(hash) || hash || u64 height || u32 index || u32 code || u32 len(log) || log
func TxElement(hash []byte, height int64, index int, code Code, log string) []byte {
	b := make([]byte, 0, len(txElementTag)+24+len(hash)+len(log))
	b = append(b, txElementTag...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(hash)))
	b = append(b, hash...)
	b = binary.BigEndian.AppendUint64(b, uint64(height))
	b = binary.BigEndian.AppendUint32(b, uint32(index))
	b = binary.BigEndian.AppendUint32(b, uint32(code))
	b = binary.BigEndian.AppendUint32(b, uint32(len(log)))
	return append(b, log...)
}

// StateChecksum is the 32 bytes that the chain of writes commits to after
// each block: the LtHash of the key-value rows and that of the receipt
// index.
//
//	SHA-256("evote/v3/state" || LtHash(kv) || LtHash(txs))
func StateChecksum(kv, txs *LtHash) []byte {
	h := newSHA256()
	h.Write([]byte(stateTag))
	h.Write(kv.Bytes())
	h.Write(txs.Bytes())
	return h.Sum(nil)
}
