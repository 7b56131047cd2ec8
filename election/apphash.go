package election

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
)

// The app hash, byte for byte as in docs/spec/app-hash.md. The node
// (package chain) computes it; a verifier recomputes it from a block's
// proof. Both use these functions.

const (
	// appHashTag prefixes every block's app hash.
	appHashTag = "evote/v1/app-hash"
	// genesisHashTag prefixes the app hash after InitChain.
	genesisHashTag = "evote/v1/app-hash/genesis"
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
			return nil, errors.New("election: the genesis has no app_state")
		}
		return nil, fmt.Errorf("election: the genesis app_state is not JSON: %w", err)
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

func writeField(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}
