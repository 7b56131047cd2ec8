package cmtlite

import (
	"bytes"
	"errors"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
)

// The differential checks shared by the tests: cmtlite against CometBFT's
// own code on the same JSON.

// cmtHeader decodes a header with CometBFT and checks it as the verifier
// did before cmtlite; nil if it refuses it.
func cmtHeader(data []byte) (*cmttypes.Header, error) {
	var h cmttypes.Header
	err := noPanic(func() error {
		if err := cmtjson.Unmarshal(data, &h); err != nil {
			return err
		}
		return h.ValidateBasic()
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}

func cmtCommit(data []byte) (*cmttypes.Commit, error) {
	var c cmttypes.Commit
	err := noPanic(func() error {
		if err := cmtjson.Unmarshal(data, &c); err != nil {
			return err
		}
		if err := c.ValidateBasic(); err != nil {
			return err
		}
		return c.BlockID.ValidateBasic()
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func noPanic(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("panic")
		}
	}()
	return f()
}

// sameHeader checks that cmtlite parses a header CometBFT wrote exactly as
// CometBFT does, and hashes it the same.
func sameHeader(t *testing.T, data []byte) *Header {
	t.Helper()
	want, err := cmtHeader(data)
	if err != nil {
		t.Fatalf("CometBFT refuses the header: %v\n%s", err, data)
	}
	h, err := ParseHeader(data)
	if err != nil {
		t.Fatalf("ParseHeader: %v\n%s", err, data)
	}
	if got := h.Hash(); !bytes.Equal(got, want.Hash()) {
		t.Fatalf("hash %X, CometBFT's %X\n%s", got, want.Hash(), data)
	}
	if h.Height != want.Height || h.ChainID != want.ChainID || !h.Time.Equal(want.Time) ||
		!bytes.Equal(h.AppHash, want.AppHash) || !bytes.Equal(h.DataHash, want.DataHash) ||
		!bytes.Equal(h.ValidatorsHash, want.ValidatorsHash) || !bytes.Equal(h.LastBlockID.Hash, want.LastBlockID.Hash) {
		t.Fatalf("parsed %+v, CometBFT %+v", h, want)
	}
	return h
}

// sameCommit checks that cmtlite parses a commit CometBFT wrote exactly as
// CometBFT does, with the same sign bytes.
func sameCommit(t *testing.T, data []byte, chainID string) *Commit {
	t.Helper()
	want, err := cmtCommit(data)
	if err != nil {
		t.Fatalf("CometBFT refuses the commit: %v\n%s", err, data)
	}
	c, err := ParseCommit(data)
	if err != nil {
		t.Fatalf("ParseCommit: %v\n%s", err, data)
	}
	if c.Height != want.Height || c.Round != want.Round || !c.BlockID.Equal(liteBlockID(want.BlockID)) ||
		len(c.Signatures) != len(want.Signatures) {
		t.Fatalf("parsed %+v, CometBFT %+v", c, want)
	}
	for i, s := range want.Signatures {
		g := c.Signatures[i]
		if g.BlockIDFlag != BlockIDFlag(s.BlockIDFlag) || !bytes.Equal(g.ValidatorAddress, s.ValidatorAddress) ||
			!g.Timestamp.Equal(s.Timestamp) || !bytes.Equal(g.Signature, s.Signature) {
			t.Fatalf("signature %d: parsed %+v, CometBFT %+v", i, g, s)
		}
		got, err := c.VoteSignBytes(chainID, i)
		var w []byte
		werr := noPanic(func() error { w = want.VoteSignBytes(chainID, int32(i)); return nil })
		if (err == nil) != (werr == nil) || !bytes.Equal(got, w) {
			t.Fatalf("signature %d: sign bytes %X (%v), CometBFT's %X (%v)", i, got, err, w, werr)
		}
	}
	return c
}

func liteBlockID(id cmttypes.BlockID) BlockID {
	return BlockID{Hash: nilIfEmpty(id.Hash), PartSetHeader: PartSetHeader{Total: id.PartSetHeader.Total, Hash: nilIfEmpty(id.PartSetHeader.Hash)}}
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// sameVerdict checks that cmtlite accepts the commit exactly when
// CometBFT does, and returns whether it did.
func sameVerdict(t *testing.T, vals *ValidatorSet, cvals *cmttypes.ValidatorSet, chainID string, id cmttypes.BlockID, height int64, c *Commit, cc *cmttypes.Commit) bool {
	t.Helper()
	if !bytes.Equal(vals.Hash(), cvals.Hash()) {
		t.Fatalf("validators hash %X, CometBFT's %X", vals.Hash(), cvals.Hash())
	}
	werr := noPanic(func() error { return cvals.VerifyCommitLightAllSignatures(chainID, id, height, cc) })
	err := vals.VerifyCommitLightAllSignatures(chainID, liteBlockID(id), height, c)
	if (err == nil) != (werr == nil) {
		t.Fatalf("cmtlite: %v; CometBFT: %v", err, werr)
	}
	return err == nil
}
