package cmtlite

import (
	stded25519 "crypto/ed25519"
	"encoding/hex"
	"testing"
	"time"

	"filippo.io/edwards25519"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"
)

// smallOrder are encodings of points of small order, canonical and not
// (from "Taming the many EdDSAs", Chalkias et al., 2020, and ZIP 215).
var smallOrder = []string{
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"0100000000000000000000000000000000000000000000000000000000000080", // identity, x = -0
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // (0, -1), x = -0
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // identity, y = p + 1
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
}

// TestZIP215: commits whose keys and signatures are crafted small-order
// points (every key A and point R of the list, S = 0) are accepted or
// refused as by CometBFT, with one validator (CometBFT verifies alone)
// and with two (it verifies in a batch); crypto/ed25519 would refuse
// some that CometBFT accepts.
func TestZIP215(t *testing.T) {
	var points [][]byte
	for _, s := range smallOrder {
		b, _ := hex.DecodeString(s)
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil || p.MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatalf("%s is not of small order", s)
		}
		points = append(points, b)
	}
	honest := stded25519.NewKeyFromSeed(make([]byte, 32))
	var accepted, stdRefused int
	for _, A := range points {
		for _, R := range points {
			for _, n := range []int{1, 2} {
				vals := []Validator{{PubKey: [32]byte(A), Power: 10}}
				if n == 2 {
					vals = append(vals, Validator{PubKey: [32]byte(honest.Public().(stded25519.PublicKey)), Power: 1})
				}
				s, cs := bothSets(t, vals)
				const chainID = "zip215"
				id := cmttypes.BlockID{Hash: make([]byte, 32), PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: make([]byte, 32)}}
				c := &cmttypes.Commit{Height: 3, BlockID: id}
				for _, v := range cs.Validators {
					c.Signatures = append(c.Signatures, cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagCommit,
						ValidatorAddress: v.Address, Timestamp: time.Unix(1.7e9, 0).UTC()})
				}
				for i, v := range cs.Validators {
					msg := c.VoteSignBytes(chainID, int32(i))
					if v.PubKey.Equals(cmted25519.PubKey(A)) {
						c.Signatures[i].Signature = append(append([]byte(nil), R...), make([]byte, 32)...)
						if !stded25519.Verify(A, msg, c.Signatures[i].Signature) {
							stdRefused++
						}
					} else {
						c.Signatures[i].Signature = stded25519.Sign(honest, msg)
					}
				}
				lc := &Commit{Height: c.Height, BlockID: liteBlockID(id)}
				for _, s := range c.Signatures {
					lc.Signatures = append(lc.Signatures, CommitSig{BlockIDFlag: BlockIDFlag(s.BlockIDFlag),
						ValidatorAddress: s.ValidatorAddress, Timestamp: s.Timestamp, Signature: s.Signature})
				}
				if sameVerdict(t, s, cs, chainID, id, 3, lc, c) {
					accepted++
				}
			}
		}
	}
	if accepted == 0 || stdRefused == 0 {
		t.Fatalf("%d accepted, %d refused by crypto/ed25519: the test shows nothing", accepted, stdRefused)
	}
}

// TestZIP215Honest: verifyZIP215 accepts an ordinary signature and refuses
// it altered, or with S not reduced.
func TestZIP215Honest(t *testing.T) {
	priv := stded25519.NewKeyFromSeed([]byte("cmtlite: an honest zip215 key..."))
	pub := priv.Public().(stded25519.PublicKey)
	msg := []byte("message")
	sig := stded25519.Sign(priv, msg)
	if !verifyZIP215(pub, msg, sig) {
		t.Fatal("refused")
	}
	if verifyZIP215(pub, []byte("massage"), sig) {
		t.Fatal("accepted over another message")
	}
	// S + L is the same scalar, not reduced: refused.
	l, _ := hex.DecodeString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	bad := append([]byte(nil), sig...)
	var carry int
	for i := range 32 {
		v := int(bad[32+i]) + int(l[i]) + carry
		bad[32+i], carry = byte(v), v>>8
	}
	if carry == 0 && verifyZIP215(pub, msg, bad) {
		t.Fatal("accepted a non-canonical S")
	}
}
