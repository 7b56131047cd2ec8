package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
)

// receiptHopsFile is a receipt from a real single-validator chain whose
// validators changed twice before its block: it carries two validator
// hops, and verifies against the genesis set (its "trusted"). Its
// "invalid" receipts are the same receipt with a hop forged by the
// validator's key for the set that was retired (every checker must refuse
// them). TestReceiptAcrossValidatorChange -update-receipt regenerates it.
const receiptHopsFile = "testdata/receipt-hops.json"

// hopsChain runs a single validator whose chain has an authority, and
// changes its validator set three times by adding a validator that runs
// no node, of a power too small to matter for the commits (1, then 2, then
// 3, against the node's 10): the commits after the first change
// carry the node's signature and an absent one. It returns the node, its
// home and the receipts of the three changes, each with its result part.
func hopsChain(t *testing.T) (*Node, string, []*Receipt) {
	t.Helper()
	authority := election.DeriveKey("receipt-hops/authority")
	appState, _ := json.Marshal(election.Genesis{ChainID: testChainID, Authorities: []election.AuthorityPublicKey{authority.AuthorityPublic()}})
	home := filepath.Join(t.TempDir(), "node")
	base := freeBase(t, 2)
	if err := Init(home, "solo", InitOptions{ChainID: testChainID, AppState: appState,
		P2PAddr: fmt.Sprintf("tcp://127.0.0.1:%d", base), RPCAddr: fmt.Sprintf("tcp://127.0.0.1:%d", base+1)}); err != nil {
		t.Fatal(err)
	}
	n := startNodeWith(t, home, ElectionMachines(election.Options{}))
	// The genesis validators are in the state from the first block on.
	waitFor(t, 30*time.Second, "the first block", func() bool { return committedHeight(t, n) >= 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	phantom := election.DeriveKey("receipt-hops/phantom").Public()
	var out []*Receipt
	for _, power := range []uint64{1, 2, 3} {
		tx, err := election.NewValidatorUpdateTx(testChainID, phantom, power, authority)
		if err != nil {
			t.Fatal(err)
		}
		r := submitAndWait(t, n, tx)
		if r.Code != election.CodeOK {
			t.Fatalf("validator update to power %d: code %v %s", power, r.Code, r.Log)
		}
		// The next block is committed before the next change is sent,
		// so that the change is in force when it comes (ValidatorDelay).
		if r = n.WaitForResult(ctx, r); !r.Proven() {
			t.Fatal("no result part")
		}
		out = append(out, r)
	}
	return n, home, out
}

// TestReceiptAcrossValidatorChange: receipts of blocks after validator
// changes carry one hop per change in force at the block's next height,
// and verify against the genesis set, against any later set on the way,
// and through the wire form; a receipt with a hop left out, hops out of
// order, a hop whose set is not the one its header announces, a hop of
// another chain, or a hop forged by the retired set fails.
func TestReceiptAcrossValidatorChange(t *testing.T) {
	n, home, rs := hopsChain(t)
	genesis := genesisValidators(t, n)
	for i, want := range []int{0, 1, 2} {
		if got := len(rs[i].Hops); got != want {
			t.Fatalf("receipt %d (block %d): %d hops, want %d", i, rs[i].Height, got, want)
		}
		if err := VerifyReceipt(rs[i], genesis, testChainID); err != nil {
			t.Fatalf("receipt %d against the genesis set: %v", i, err)
		}
		back, err := receiptOfWire(wireReceipt(t, rs[i]))
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyReceipt(back, genesis, testChainID); err != nil || len(back.Hops) != want {
			t.Fatalf("receipt %d through the wire: %v, %d hops", i, err, len(back.Hops))
		}
	}
	r := rs[2]
	// Each hop announces a change: the set it names differs from the one
	// in force at its header.
	for i, hp := range r.Hops {
		if bytes.Equal(hp.Header.ValidatorsHash, hp.Header.NextValidatorsHash) || hp.ValidatorSet.Size() != 2 {
			t.Fatalf("hop %d announces no change, or not to a set of 2", i)
		}
	}
	// A later anchor on the way: the set after the first change, and the
	// set in force at the block (which needs no hop).
	for name, anchor := range map[string]*cmttypes.ValidatorSet{"after one change": r.Hops[0].ValidatorSet, "in force": r.ValidatorSet} {
		if err := VerifyReceipt(r, anchor, testChainID); err != nil {
			t.Fatalf("anchored on the set %s: %v", name, err)
		}
	}

	forged := forgedHops(t, home, r, genesis)
	for name, alter := range map[string]func(r *Receipt){
		"no hops":            func(r *Receipt) { r.Hops = nil },
		"first hop missing":  func(r *Receipt) { r.Hops = r.Hops[1:] },
		"second hop missing": func(r *Receipt) { r.Hops = r.Hops[:1] },
		"hops out of order":  func(r *Receipt) { r.Hops[0], r.Hops[1] = r.Hops[1], r.Hops[0] },
		"hop twice":          func(r *Receipt) { r.Hops = append(r.Hops, r.Hops[1]) },
		"hop set not announced": func(r *Receipt) {
			r.Hops[1].ValidatorSet = r.Hops[0].ValidatorSet
		},
		"hop of another chain":   func(r *Receipt) { r.Hops[0].Header.ChainID = "other" },
		"hop commit of another":  func(r *Receipt) { r.Hops[1].Commit = r.Hops[0].Commit },
		"hop without its commit": func(r *Receipt) { r.Hops[0].Commit = nil },
		"hop after the block": func(r *Receipt) {
			r.Hops = append(r.Hops, ValidatorHop{Header: r.NextHeader, Commit: r.NextCommit, ValidatorSet: r.ValidatorSet})
		},
		"retired set signs a hop": func(r *Receipt) {
			r.Hops[1] = forged["retired set signs a hop"]
		},
		"retired set signs a header of the set in force": func(r *Receipt) {
			r.Hops[1] = forged["retired set signs a header of the set in force"]
		},
	} {
		// Each alteration on a fresh copy of the receipt (through its wire
		// form: the hops' headers are shared with the node's cache).
		c, err := receiptOfWire(wireReceipt(t, r))
		if err != nil {
			t.Fatal(err)
		}
		alter(c)
		if err := VerifyReceipt(c, genesis, testChainID); !errors.Is(err, ErrBadReceipt) {
			t.Errorf("%s: %v", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}

	// Sizes of the wire form with one hop and without it.
	one := rs[1]
	with := len(wireReceipt(t, one))
	bare := *one
	bare.Hops = nil
	without := len(wireReceipt(t, &bare))
	t.Logf("receipt (1 validator, then 2): %d bytes with its hop, %d without (+%d)", with, without, with-without)

	if *updateReceipt {
		trusted, err := cmtjson.Marshal(genesis)
		if err != nil {
			t.Fatal(err)
		}
		v := receiptVector{ChainID: testChainID, Trusted: trusted, Receipt: wireReceipt(t, r), Invalid: map[string]json.RawMessage{}}
		for name, hp := range forged {
			c, err := receiptOfWire(wireReceipt(t, r))
			if err != nil {
				t.Fatal(err)
			}
			c.Hops[1] = hp
			v.Invalid[name] = wireReceipt(t, c)
		}
		b, err := json.MarshalIndent(v, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(receiptHopsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// forgedHops are two forgeries of r's second hop by the key of the node's
// validator as a member of the genesis set, retired by the first change:
// the hop's header made to name the genesis set and signed by it alone,
// and the hop's real header signed by the genesis set alone.
func forgedHops(t *testing.T, home string, r *Receipt, genesis *cmttypes.ValidatorSet) map[string]ValidatorHop {
	t.Helper()
	pv := privval.LoadFilePVEmptyState(filepath.Join(home, "config", "priv_validator_key.json"), "")
	sign := func(h *cmttypes.Header, psh cmttypes.PartSetHeader) *cmttypes.Commit {
		id := cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: psh}
		ts := h.Time.Add(time.Second)
		v := &cmttypes.Vote{Type: cmtproto.PrecommitType, Height: h.Height, BlockID: id, Timestamp: ts,
			ValidatorAddress: pv.Key.Address, ValidatorIndex: 0}
		sig, err := pv.Key.PrivKey.Sign(cmttypes.VoteSignBytes(testChainID, v.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		c := &cmttypes.Commit{Height: h.Height, BlockID: id,
			Signatures: []cmttypes.CommitSig{{BlockIDFlag: cmttypes.BlockIDFlagCommit, ValidatorAddress: pv.Key.Address, Timestamp: ts, Signature: sig}}}
		if err := genesis.VerifyCommitLightAllSignatures(testChainID, id, h.Height, c); err != nil {
			t.Fatalf("the forged commit is not the genesis set's: %v", err)
		}
		return c
	}
	real := r.Hops[1]
	h := *real.Header
	h.ValidatorsHash = genesis.Hash()
	realHeader := *real.Header
	return map[string]ValidatorHop{
		"retired set signs a hop":                        {Header: &h, Commit: sign(&h, real.Commit.BlockID.PartSetHeader), ValidatorSet: real.ValidatorSet},
		"retired set signs a header of the set in force": {Header: &realHeader, Commit: sign(&realHeader, real.Commit.BlockID.PartSetHeader), ValidatorSet: real.ValidatorSet},
	}
}

// TestReceiptHopsVector: the vector of a receipt across two validator
// changes verifies against its genesis set, and its forgeries do not.
func TestReceiptHopsVector(t *testing.T) {
	r, trusted, chainID, _ := readReceiptFile(t, receiptHopsFile)
	if err := VerifyReceipt(r, trusted, chainID); err != nil {
		t.Fatal(err)
	}
	if len(r.Hops) != 2 || !r.Proven() {
		t.Fatalf("%d hops, result part %v", len(r.Hops), r.Proven())
	}
	var v receiptVector
	raw, _ := os.ReadFile(receiptHopsFile)
	if err := json.Unmarshal(raw, &v); err != nil || len(v.Invalid) == 0 {
		t.Fatalf("invalid receipts: %d, %v", len(v.Invalid), err)
	}
	for name, w := range v.Invalid {
		bad, err := receiptOfWire(w)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyReceipt(bad, trusted, chainID); !errors.Is(err, ErrBadReceipt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzReceiptHopsJSON feeds mutated receipts with validator hops to the
// decoder and the verifier: neither may panic, and whatever verifies
// against the genesis set proves a transaction of the block the
// validators signed.
func FuzzReceiptHopsJSON(f *testing.F) {
	good, trusted, chainID, raw := readReceiptFile(f, receiptHopsFile)
	f.Add(raw)
	var v receiptVector
	b, _ := os.ReadFile(receiptHopsFile)
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	for _, w := range v.Invalid {
		f.Add([]byte(w))
	}
	signed, tx := good.Header.Hash(), good.Tx()
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := receiptOfWire(data)
		if err != nil {
			return
		}
		err = VerifyReceipt(r, trusted, chainID)
		if err == nil {
			if !bytes.Equal(r.Header.Hash(), signed) || !bytes.Equal(r.Tx(), tx) {
				t.Fatal("a receipt for an unsigned header or another transaction verified")
			}
		} else if !errors.Is(err, ErrBadReceipt) {
			t.Fatalf("VerifyReceipt error does not wrap ErrBadReceipt: %v", err)
		}
	})
}
