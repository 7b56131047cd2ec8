package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
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

// CanonicalAppState returns the genesis app state in the form the app hash
// commits to: the JSON without insignificant whitespace, with <, >, &,
// U+2028 and U+2029 in strings escaped (json.Compact, then json.HTMLEscape).
//
// CometBFT passes InitChain the app_state bytes of genesis.json on a node's
// first start, and on later starts the copy it stored then, which
// encoding/json has compacted and escaped so. InitChain may come on a later
// start too (the app is at height 0 until block 1 is committed, and a store
// rebuilt from the block store starts from 0), so the hash must not depend
// on which copy it got, nor on how the file is formatted.
func CanonicalAppState(appState []byte) ([]byte, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, appState); err != nil {
		if len(bytes.TrimSpace(appState)) == 0 {
			return nil, errors.New("chain: the genesis has no app_state")
		}
		return nil, fmt.Errorf("chain: the genesis app_state is not JSON: %w", err)
	}
	var out bytes.Buffer
	json.HTMLEscape(&out, compact.Bytes())
	return out.Bytes(), nil
}

// GenesisAppHash is the app hash after InitChain, app_hash(0): it commits
// to the chain id and the genesis app state, which must be in its canonical
// form (CanonicalAppState).
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
