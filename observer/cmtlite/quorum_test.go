package cmtlite

import (
	stded25519 "crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"
)

// TestCommitQuorum: a commit counts only when validators holding more than
// 2/3 of the voting power signed for the block. With four equal validators
// three signatures are accepted and two refused; with three, two hold
// exactly 2/3 and are refused; votes for nil and absent validators count
// for nothing; unequal powers are counted, not heads. CometBFT's own
// verification agrees on every case.
func TestCommitQuorum(t *testing.T) {
	const chainID = "quorum-test"
	const height = 7
	id := cmttypes.BlockID{Hash: sum("block"), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: sum("parts")}}
	for _, c := range []struct {
		powers []int64
		flags  string // per validator in the set's order: c commit, n nil, a absent
		ok     bool
	}{
		{[]int64{10, 10, 10, 10}, "ccca", true},
		{[]int64{10, 10, 10, 10}, "cccc", true},
		{[]int64{10, 10, 10, 10}, "ccaa", false},
		{[]int64{10, 10, 10, 10}, "ccnn", false},
		{[]int64{10, 10, 10, 10}, "accc", true},
		{[]int64{1, 1, 1}, "cca", false},
		{[]int64{1, 1, 1}, "ccc", true},
		{[]int64{6, 1, 1, 1}, "caaa", false}, // 6 of 9: exactly 2/3
		{[]int64{6, 1, 1, 1}, "ccaa", true},  // 7 of 9
		{[]int64{6, 1, 1, 1}, "accc", false},
	} {
		name := fmt.Sprintf("%v/%s", c.powers, c.flags)
		var vals []Validator
		keys := map[string]stded25519.PrivateKey{}
		for i, p := range c.powers {
			priv := stded25519.NewKeyFromSeed(sum(fmt.Sprintf("validator %d", i)))
			v := Validator{PubKey: [32]byte(priv.Public().(stded25519.PublicKey)), Power: p}
			vals = append(vals, v)
			keys[string(v.Address())] = priv
		}
		s, cs := bothSets(t, vals)
		cc := &cmttypes.Commit{Height: height, BlockID: id}
		for i, v := range cs.Validators {
			sig := cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagAbsent}
			switch c.flags[i] {
			case 'c':
				sig.BlockIDFlag = cmttypes.BlockIDFlagCommit
			case 'n':
				sig.BlockIDFlag = cmttypes.BlockIDFlagNil
			}
			if sig.BlockIDFlag != cmttypes.BlockIDFlagAbsent {
				sig.ValidatorAddress = v.Address
				sig.Timestamp = time.Unix(1_800_000_000, 0).UTC()
			}
			cc.Signatures = append(cc.Signatures, sig)
		}
		for i := range cc.Signatures {
			if cc.Signatures[i].BlockIDFlag != cmttypes.BlockIDFlagAbsent {
				cc.Signatures[i].Signature = stded25519.Sign(keys[string(cs.Validators[i].Address)], cc.VoteSignBytes(chainID, int32(i)))
			}
		}
		data, err := cmtjson.Marshal(cc)
		if err != nil {
			t.Fatal(err)
		}
		lc := sameCommit(t, data, chainID)
		if got := sameVerdict(t, s, cs, chainID, id, height, lc, cc); got != c.ok {
			t.Errorf("%s: accepted %v, want %v", name, got, c.ok)
		}
		if err := s.VerifyCommitLightAllSignatures(chainID, liteBlockID(id), height, lc); !c.ok && !errors.Is(err, ErrNotEnoughSigned) {
			t.Errorf("%s: refused with %v, want ErrNotEnoughSigned", name, err)
		}
	}
}

func sum(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
