package cmtlite

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// BlockIDFlag says what a validator's signature in a commit is for.
type BlockIDFlag byte

const (
	BlockIDFlagAbsent BlockIDFlag = 1 // no vote received
	BlockIDFlagCommit BlockIDFlag = 2 // a vote for the commit's block
	BlockIDFlagNil    BlockIDFlag = 3 // a vote for nil
)

// CommitSig is one validator's part of a commit, at its index in the
// validator set. Byte fields are nil when empty.
type CommitSig struct {
	BlockIDFlag      BlockIDFlag
	ValidatorAddress []byte
	Timestamp        time.Time // UTC
	Signature        []byte
}

// Commit is the validators' precommit signatures for a block.
type Commit struct {
	Height     int64
	Round      int32
	BlockID    BlockID
	Signatures []CommitSig
}

// ParseCommit decodes a commit in CometBFT's JSON encoding (as
// libs/json.Marshal writes a *types.Commit) and checks it as
// Commit.ValidateBasic and BlockID.ValidateBasic do. Its errors wrap
// ErrMalformed or ErrInvalid.
func ParseCommit(data []byte) (*Commit, error) {
	var c Commit
	err := object(data, map[string]field{
		"height":     int64Into(&c.Height),
		"round":      int32Into(&c.Round),
		"block_id":   c.BlockID.read,
		"signatures": c.readSignatures,
	})
	if err != nil {
		return nil, fmt.Errorf("%w commit: %v", ErrMalformed, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%w commit: %v", ErrInvalid, err)
	}
	return &c, nil
}

func (c *Commit) readSignatures(raw []byte) error {
	if string(raw) == "null" {
		return nil
	}
	if raw[0] != '[' {
		return errors.New("not a list")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	c.Signatures = make([]CommitSig, len(list))
	for i, r := range list {
		s := &c.Signatures[i]
		var flag uint32
		err := object(r, map[string]field{
			"block_id_flag":     uint32Into(&flag),
			"validator_address": hexInto(&s.ValidatorAddress),
			"timestamp":         timeInto(&s.Timestamp),
			"signature":         base64Into(&s.Signature),
		})
		if err != nil {
			return fmt.Errorf("%d: %w", i, err)
		}
		if flag > 255 {
			return fmt.Errorf("%d: block id flag %d", i, flag)
		}
		s.BlockIDFlag = BlockIDFlag(flag)
	}
	if len(c.Signatures) == 0 {
		c.Signatures = nil
	}
	return nil
}

// validate is Commit.ValidateBasic and BlockID.ValidateBasic.
func (c *Commit) validate() error {
	switch {
	case c.Height < 0:
		return fmt.Errorf("height %d", c.Height)
	case c.Round < 0:
		return fmt.Errorf("round %d", c.Round)
	}
	if c.Height >= 1 {
		if c.BlockID.IsZero() {
			return errors.New("a commit for no block")
		}
		if len(c.Signatures) == 0 {
			return errors.New("no signatures")
		}
		for i, s := range c.Signatures {
			if err := s.validate(); err != nil {
				return fmt.Errorf("signature %d: %w", i, err)
			}
		}
	}
	if err := c.BlockID.validate(); err != nil {
		return fmt.Errorf("block id: %w", err)
	}
	return nil
}

// validate is CommitSig.ValidateBasic.
func (s CommitSig) validate() error {
	switch s.BlockIDFlag {
	case BlockIDFlagAbsent:
		switch {
		case len(s.ValidatorAddress) != 0:
			return errors.New("absent, with a validator address")
		case !s.Timestamp.IsZero():
			return errors.New("absent, with a time")
		case len(s.Signature) != 0:
			return errors.New("absent, with a signature")
		}
	case BlockIDFlagCommit, BlockIDFlagNil:
		switch {
		case len(s.ValidatorAddress) != AddressSize:
			return fmt.Errorf("validator address of %d bytes", len(s.ValidatorAddress))
		case len(s.Signature) == 0:
			return errors.New("no signature")
		case len(s.Signature) > MaxSignatureSize:
			return fmt.Errorf("signature of %d bytes", len(s.Signature))
		}
	default:
		return fmt.Errorf("block id flag %d", s.BlockIDFlag)
	}
	return nil
}

// VoteSignBytes is what the validator at index idx signed: the
// length-prefixed protobuf of its CanonicalVote {type = 1 (precommit, 2),
// height = 2 (sfixed64), round = 3 (sfixed64), block_id = 4
// (CanonicalBlockID, left out for a vote for nil), timestamp = 5,
// chain_id = 6}, as CometBFT's Commit.VoteSignBytes writes it. It fails
// if idx is out of range, the flag unknown or the time out of the
// Timestamp range (where CometBFT panics).
func (c *Commit) VoteSignBytes(chainID string, idx int) ([]byte, error) {
	if idx < 0 || idx >= len(c.Signatures) {
		return nil, fmt.Errorf("no signature %d", idx)
	}
	s := c.Signatures[idx]
	var id BlockID
	switch s.BlockIDFlag {
	case BlockIDFlagCommit:
		id = c.BlockID
	case BlockIDFlagAbsent, BlockIDFlagNil:
	default:
		return nil, fmt.Errorf("block id flag %d", s.BlockIDFlag)
	}
	ts, ok := timestamp(s.Timestamp)
	if !ok {
		return nil, fmt.Errorf("time %v out of range", s.Timestamp)
	}
	const precommitType = 2
	b := appendVarintField(nil, 1, precommitType)
	b = appendSfixed64Field(b, 2, c.Height)
	b = appendSfixed64Field(b, 3, int64(c.Round))
	if !id.IsZero() {
		if err := id.validate(); err != nil {
			return nil, fmt.Errorf("block id: %w", err)
		}
		b = appendMessageField(b, 4, id.encode())
	}
	b = appendMessageField(b, 5, ts)
	b = appendBytesField(b, 6, []byte(chainID))
	return append(binary.AppendUvarint(nil, uint64(len(b))), b...), nil
}
