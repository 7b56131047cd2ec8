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
	appHashTag = "evote/v3/app-hash"
	// appHashTagV2 is evote/v2's (StateProof.Leads).
	appHashTagV2 = "evote/v2/app-hash"
	// writesTag prefixes every link of the chain of writes.
	writesTag = "evote/v3/writes"
	// genesisHashTag prefixes the app hash after InitChain. It kept its
	// evote/v2 tag: the state after InitChain is empty in both versions.
	genesisHashTag = "evote/v2/app-hash/genesis"
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
	return genesisAppHash(genesisHashTag, chainID, appState)
}

// GenesisAppHashV1 is app_hash(0) of evote/v1 chains (tag
// "evote/v1/app-hash/genesis"), which records written before evote/v2
// carry in block 1's header.
func GenesisAppHashV1(chainID string, appState []byte) []byte {
	return genesisAppHash("evote/v1/app-hash/genesis", chainID, appState)
}

func genesisAppHash(tag, chainID string, appState []byte) []byte {
	h := sha256.New()
	h.Write([]byte(tag))
	writeField(h, []byte(chainID))
	writeField(h, appState)
	return h.Sum(nil)
}

// NextWritesChain is writes_chain(h) given writes_chain(h-1) (app_hash(0)
// for h = 1), the SHA-256 of the encoding of block h's writes and the
// state checksum after block h (StateChecksum). A block with no writes
// keeps prev: the caller does not call it for such a block.
//
//	SHA-256("evote/v3/writes" || prev || writesHash || state)
func NextWritesChain(prev, writesHash, state []byte) []byte {
	h := sha256.New()
	h.Write([]byte(writesTag))
	h.Write(prev)
	h.Write(writesHash)
	h.Write(state)
	return h.Sum(nil)
}

func newSHA256() hash.Hash { return sha256.New() }

// AppHash is app_hash(h) of a block with writes, from writes_chain(h) and
// the root of the tree of elections after it (MerkleRoot of the elections'
// commitment leaves in ascending order of id).
//
//	SHA-256("evote/v3/app-hash" || writesChain || electionsRoot)
func AppHash(writesChain, electionsRoot []byte) []byte {
	h := sha256.New()
	h.Write([]byte(appHashTag))
	h.Write(writesChain)
	h.Write(electionsRoot)
	return h.Sum(nil)
}

// StateProof ties one election's state commitment to an app hash: the
// chain of writes the app hash commits to beside the tree of elections,
// and the commitment's path in that tree.
type StateProof struct {
	WritesChain []byte
	Path        MerkleProof
}

// AppHash is the app hash the proof and the commitment c lead to: what a
// verifier compares with the header that carries the state (the header of
// the block after it).
func (p *StateProof) AppHash(c *StateCommitment) ([]byte, error) {
	if len(p.WritesChain) != sha256.Size {
		return nil, ErrMerkleProof
	}
	root, err := p.Path.Root(c.Leaf())
	if err != nil {
		return nil, err
	}
	return AppHash(p.WritesChain, root), nil
}

// Leads reports whether the proof and the commitment c lead to appHash:
// under this version's tag (AppHash), or under evote/v2's
// ("evote/v2/app-hash"), which the headers of chains run by evote/v2 nodes
// carry and records exported from them hold. Either binds c to the tree of
// elections that the signed header commits to; the chain of writes beside
// it is taken as given in both.
func (p *StateProof) Leads(c *StateCommitment, appHash []byte) (bool, error) {
	got, err := p.AppHash(c)
	if err != nil {
		return false, err
	}
	if bytes.Equal(got, appHash) {
		return true, nil
	}
	root, err := p.Path.Root(c.Leaf())
	if err != nil {
		return false, err
	}
	h := sha256.New()
	h.Write([]byte(appHashTagV2))
	h.Write(p.WritesChain)
	h.Write(root)
	return bytes.Equal(h.Sum(nil), appHash), nil
}

func writeField(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}
