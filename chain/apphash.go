package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// The app hash, byte for byte as in docs/spec/app-hash.md.

const (
	opSet    byte = 1
	opDelete byte = 2
)

// writeLog hashes a block's writes in order as they are made. A
// transaction's writes are held back until the transaction is accepted, so
// that a rejected transaction leaves no trace in the hash.
type writeLog struct {
	block hash.Hash // the block's accepted writes
	n     int       // how many writes block holds

	inTx bool
	tx   []byte // encoded writes of the open transaction
	txN  int
}

func newWriteLog() *writeLog { return &writeLog{block: sha256.New()} }

// set records Set(key, value).
func (w *writeLog) set(key, value []byte) { w.add(opSet, key, value) }

// del records Delete(key).
func (w *writeLog) del(key []byte) { w.add(opDelete, key, nil) }

func (w *writeLog) add(op byte, key, value []byte) {
	rec := encodeWrite(op, key, value)
	if w.inTx {
		w.tx = append(w.tx, rec...)
		w.txN++
		return
	}
	w.block.Write(rec)
	w.n++
}

// beginTx starts holding writes back.
func (w *writeLog) beginTx() { w.inTx, w.tx, w.txN = true, w.tx[:0], 0 }

// endTx adds the held-back writes to the block if keep, and drops them
// otherwise.
func (w *writeLog) endTx(keep bool) {
	if keep {
		w.block.Write(w.tx)
		w.n += w.txN
	}
	w.inTx, w.tx, w.txN = false, w.tx[:0], 0
}

// sum is SHA-256 of the encoding of the accepted writes.
func (w *writeLog) sum() []byte { return w.block.Sum(nil) }

// encodeWrite is one write: op byte, u32 len key, key, u32 len value,
// value (a Delete has an empty value).
func encodeWrite(op byte, key, value []byte) []byte {
	b := make([]byte, 0, 9+len(key)+len(value))
	b = append(b, op)
	b = binary.BigEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}
