package cmtlite

import (
	"errors"
	"fmt"
	"time"
)

// ErrMalformed is returned by ParseHeader and ParseCommit when the JSON
// is not a header or commit in CometBFT's encoding.
var ErrMalformed = errors.New("cmtlite: malformed")

// ErrInvalid is returned by ParseHeader and ParseCommit when a header or
// commit fails CometBFT's stateless checks (ValidateBasic).
var ErrInvalid = errors.New("cmtlite: invalid")

// Sizes and limits of CometBFT v0.38.
const (
	HashSize           = 32 // SHA-256
	AddressSize        = 20 // the first bytes of the SHA-256 of the public key
	BlockProtocol      = 11 // version.BlockProtocol
	MaxChainIDLen      = 50
	MaxSignatureSize   = 3309 // the largest signature CometBFT lets in a commit (ML-DSA-65)
	ed25519SignatureSz = 64
)

// Version is the consensus version of a block: its block and app protocol.
type Version struct {
	Block uint64
	App   uint64
}

// PartSetHeader names the parts a block was gossiped in.
type PartSetHeader struct {
	Total uint32
	Hash  []byte
}

// BlockID names a block: its header hash and its part set.
type BlockID struct {
	Hash          []byte
	PartSetHeader PartSetHeader
}

// Equal reports whether id and o are the same block id.
func (id BlockID) Equal(o BlockID) bool {
	return string(id.Hash) == string(o.Hash) && id.PartSetHeader.Total == o.PartSetHeader.Total &&
		string(id.PartSetHeader.Hash) == string(o.PartSetHeader.Hash)
}

// IsZero reports whether id is the block id of no block (a vote for nil).
func (id BlockID) IsZero() bool {
	return len(id.Hash) == 0 && id.PartSetHeader.Total == 0 && len(id.PartSetHeader.Hash) == 0
}

// validate is BlockID.ValidateBasic: each hash empty or of HashSize bytes.
func (id BlockID) validate() error {
	if err := validateHash(id.Hash); err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	if err := validateHash(id.PartSetHeader.Hash); err != nil {
		return fmt.Errorf("part set hash: %w", err)
	}
	return nil
}

func validateHash(h []byte) error {
	if len(h) != 0 && len(h) != HashSize {
		return fmt.Errorf("%d bytes, not %d", len(h), HashSize)
	}
	return nil
}

// Header is a CometBFT block header. Byte fields are nil when empty.
type Header struct {
	Version            Version
	ChainID            string
	Height             int64
	Time               time.Time // UTC
	LastBlockID        BlockID
	LastCommitHash     []byte
	DataHash           []byte
	ValidatorsHash     []byte
	NextValidatorsHash []byte
	ConsensusHash      []byte
	AppHash            []byte
	LastResultsHash    []byte
	EvidenceHash       []byte
	ProposerAddress    []byte
}

// ParseHeader decodes a header in CometBFT's JSON encoding (as
// libs/json.Marshal writes a types.Header) and checks it as
// Header.ValidateBasic does. Its errors wrap ErrMalformed or ErrInvalid.
func ParseHeader(data []byte) (*Header, error) {
	var h Header
	err := object(data, map[string]field{
		"version":              h.Version.read,
		"chain_id":             stringInto(&h.ChainID),
		"height":               int64Into(&h.Height),
		"time":                 timeInto(&h.Time),
		"last_block_id":        h.LastBlockID.read,
		"last_commit_hash":     hexInto(&h.LastCommitHash),
		"data_hash":            hexInto(&h.DataHash),
		"validators_hash":      hexInto(&h.ValidatorsHash),
		"next_validators_hash": hexInto(&h.NextValidatorsHash),
		"consensus_hash":       hexInto(&h.ConsensusHash),
		"app_hash":             hexInto(&h.AppHash),
		"last_results_hash":    hexInto(&h.LastResultsHash),
		"evidence_hash":        hexInto(&h.EvidenceHash),
		"proposer_address":     hexInto(&h.ProposerAddress),
	})
	if err != nil {
		return nil, fmt.Errorf("%w header: %v", ErrMalformed, err)
	}
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("%w header: %v", ErrInvalid, err)
	}
	return &h, nil
}

func (v *Version) read(raw []byte) error {
	return object(raw, map[string]field{
		"block": uint64Into(&v.Block),
		"app":   uint64Into(&v.App),
	}, "block", "app")
}

func (id *BlockID) read(raw []byte) error {
	return object(raw, map[string]field{
		"hash":  hexInto(&id.Hash),
		"parts": id.PartSetHeader.read,
	})
}

func (p *PartSetHeader) read(raw []byte) error {
	return object(raw, map[string]field{
		"total": uint32Into(&p.Total),
		"hash":  hexInto(&p.Hash),
	})
}

// validate is Header.ValidateBasic.
func (h *Header) validate() error {
	switch {
	case h.Version.Block != BlockProtocol:
		return fmt.Errorf("block protocol %d, not %d", h.Version.Block, BlockProtocol)
	case len(h.ChainID) > MaxChainIDLen:
		return fmt.Errorf("chain id of %d bytes, more than %d", len(h.ChainID), MaxChainIDLen)
	case h.Height <= 0:
		return fmt.Errorf("height %d", h.Height)
	case len(h.ProposerAddress) != AddressSize:
		return fmt.Errorf("proposer address of %d bytes", len(h.ProposerAddress))
	}
	if err := h.LastBlockID.validate(); err != nil {
		return fmt.Errorf("last block id: %w", err)
	}
	for _, f := range []struct {
		name string
		hash []byte
	}{
		{"last commit hash", h.LastCommitHash},
		{"data hash", h.DataHash},
		{"evidence hash", h.EvidenceHash},
		{"validators hash", h.ValidatorsHash},
		{"next validators hash", h.NextValidatorsHash},
		{"consensus hash", h.ConsensusHash},
		{"last results hash", h.LastResultsHash},
	} {
		if err := validateHash(f.hash); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil // the app hash may be of any length
}

// Hash is the header's hash, as CometBFT's Header.Hash computes it: the
// Merkle root of the protobuf encodings of its fields in order (the
// version as tendermint.version.Consensus, the time as a Timestamp, the
// last block id as a BlockID, the other fields in gogoproto's
// StringValue, Int64Value or BytesValue, an empty field as no bytes). Like
// CometBFT's, it is nil if the header has no validators hash or its time
// is out of the Timestamp range.
func (h *Header) Hash() []byte {
	if h == nil || len(h.ValidatorsHash) == 0 {
		return nil
	}
	ts, ok := timestamp(h.Time)
	if !ok {
		return nil
	}
	version := appendVarintField(nil, 1, h.Version.Block)
	version = appendVarintField(version, 2, h.Version.App)
	return MerkleRoot([][]byte{
		version,
		wrapBytes([]byte(h.ChainID)),
		wrapInt64(h.Height),
		ts,
		h.LastBlockID.encode(),
		wrapBytes(h.LastCommitHash),
		wrapBytes(h.DataHash),
		wrapBytes(h.ValidatorsHash),
		wrapBytes(h.NextValidatorsHash),
		wrapBytes(h.ConsensusHash),
		wrapBytes(h.AppHash),
		wrapBytes(h.LastResultsHash),
		wrapBytes(h.EvidenceHash),
		wrapBytes(h.ProposerAddress),
	})
}
