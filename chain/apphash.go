package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"

	"github.com/evote/evote/election"
)

// The app hash, byte for byte as in docs/spec/app-hash.md.

const (
	opSet    byte = 1
	opDelete byte = 2
	opTx     byte = 3 // a row of the receipt index (Block.AddTx)
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

// addTx records AddTx: the key is the transaction's hash, the value its
// u32 index, u32 code and log.
func (w *writeLog) addTx(hash []byte, index int, code uint32, log string) {
	v := make([]byte, 0, 8+len(log))
	v = binary.BigEndian.AppendUint32(v, uint32(index))
	v = binary.BigEndian.AppendUint32(v, code)
	w.add(opTx, hash, append(v, log...))
}

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

// stateSums are the running LtHashes of the state at rest: one over the
// key-value rows, one over the receipt index (docs/spec/app-hash.md, "The
// state checksum"). A transaction's changes are undone with it.
type stateSums struct {
	kv, txs  election.LtHash
	savedKV  election.LtHash
	savedTxs election.LtHash
}

func (s *stateSums) beginTx() { s.savedKV, s.savedTxs = s.kv, s.txs }

func (s *stateSums) endTx(keep bool) {
	if !keep {
		s.kv, s.txs = s.savedKV, s.savedTxs
	}
}

// setKV replaces the row (key, old) (absent if !had) with (key, value).
func (s *stateSums) setKV(key, old []byte, had bool, value []byte) {
	if had {
		s.kv.Remove(election.KVElement(key, old))
	}
	s.kv.Add(election.KVElement(key, value))
}

// delKV removes the row (key, old) if there was one.
func (s *stateSums) delKV(key, old []byte, had bool) {
	if had {
		s.kv.Remove(election.KVElement(key, old))
	}
}

func (s *stateSums) checksum() []byte { return election.StateChecksum(&s.kv, &s.txs) }
