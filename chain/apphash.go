package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// The app hash, byte for byte as in docs/spec/app-hash.md.

const (
	// appHashTag prefixes every block's app hash.
	appHashTag = "evote/v1/app-hash"
	// genesisHashTag prefixes the app hash after InitChain.
	genesisHashTag = "evote/v1/app-hash/genesis"

	opSet    byte = 1
	opDelete byte = 2
)

// GenesisAppHash is the app hash after InitChain, app_hash(0): it commits
// to the chain id and the genesis app state.
//
//	SHA-256("evote/v1/app-hash/genesis" || u32 len(chainID) || chainID || u32 len(appState) || appState)
func GenesisAppHash(chainID string, appState []byte) []byte {
	h := sha256.New()
	h.Write([]byte(genesisHashTag))
	writeField(h, []byte(chainID))
	writeField(h, appState)
	return h.Sum(nil)
}

// NextAppHash is app_hash(h) given app_hash(h-1) and the SHA-256 of the
// encoding of block h's writes. A block with no writes keeps prev: the
// caller does not call NextAppHash for it.
//
//	SHA-256("evote/v1/app-hash" || prev || writesHash)
func NextAppHash(prev, writesHash []byte) []byte {
	h := sha256.New()
	h.Write([]byte(appHashTag))
	h.Write(prev)
	h.Write(writesHash)
	return h.Sum(nil)
}

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

func writeField(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}
