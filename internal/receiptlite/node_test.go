package receiptlite_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/nodetest"
	"github.com/evote/evote/internal/receiptlite"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/feed"
)

// TestNodeReceipts: the receipts of a real node (an election created and
// voters appended, several transactions to a block, so that the Merkle
// proofs have aunts on both sides) verify with both checks, and every
// one-field alteration of a receipt of a block of several transactions
// gets the same verdict from both.
func TestNodeReceipts(t *testing.T) {
	const chainID = "receiptlite-test"
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	authority, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, chainID, authority)
	y, err := os.ReadFile("../../election/testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := election.ParseManifestYAML(y)
	if err != nil {
		t.Fatal(err)
	}
	m.Authority = authority.AuthorityPublic()
	id, err := m.ID()
	if err != nil {
		t.Fatal(err)
	}
	var hashes []chain.TxHash
	submit := func(tx []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		hash, res, err := n.Submit(ctx, tx)
		if err != nil || !res.OK() {
			t.Fatalf("submit: %v, %v", res, err)
		}
		hashes = append(hashes, hash)
	}
	submit(election.NewCreateElectionTx(chainID, m, authority))
	if _, err := n.WaitForTx(ctx, hashes[0][:]); err != nil {
		t.Fatal(err)
	}
	for i := range 7 { // submitted together: several to a block
		entry := election.RollEntry{Voter: election.DeriveKey(fmt.Sprintf("receiptlite %d", i)).VoterPublic(), Weight: 1}
		submit(election.NewAppendVotersTx(chainID, id, []election.RollEntry{entry}, authority))
	}
	var vals []api.Validator
	for _, v := range n.CometBFT().GenesisDoc().Validators {
		vals = append(vals, api.Validator{Address: v.Address.String(), PubKey: v.PubKey.Bytes(), Power: v.Power})
	}
	var multi []byte // a receipt of a block of several transactions
	for _, h := range hashes {
		if _, err := n.WaitForTx(ctx, h[:]); err != nil {
			t.Fatal(err)
		}
		r, err := n.Receipt(ctx, h[:])
		if err != nil {
			t.Fatal(err)
		}
		raw := apiReceiptJSON(t, r)
		lite, cmt, ok := verdicts(t, raw, vals, chainID)
		if !ok || lite != nil || cmt != nil {
			t.Fatalf("receipt of %x at %d/%d: lite %v, chain %v", h, r.Height, r.Index, lite, cmt)
		}
		if r.Proof.Proof.Total > 2 && r.Index > 0 && multi == nil {
			multi = raw
		}
	}
	if multi == nil {
		t.Fatal("no block held three transactions or more")
	}
	compareAlterations(t, multi, vals, chainID, 50)

	// The genesis anchor of the record's head is observer's fingerprint
	// and the node's genesis validators.
	var head *observer.RecordHead
	err = n.App().Store().View(ctx, func(_ chain.Meta, st election.ReadStore) error {
		var err error
		head, err = feed.Head(n, st, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rawHead, err := json.Marshal(head)
	if err != nil {
		t.Fatal(err)
	}
	want, err := head.GenesisFingerprint()
	if err != nil {
		t.Fatal(err)
	}
	a, err := receiptlite.GenesisAnchor(rawHead, want)
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint != want || a.ChainID != chainID || len(a.Validators) != len(vals) ||
		!strings.EqualFold(a.Validators[0].Address, vals[0].Address) || a.Validators[0].Power != vals[0].Power {
		t.Fatalf("the anchor %+v, want fingerprint %s and validators %+v", a, want, vals)
	}
	if _, err := receiptlite.GenesisAnchor(rawHead, strings.Repeat("0", 64)); !errors.Is(err, receiptlite.ErrGenesis) {
		t.Fatalf("another pinned fingerprint: %v", err)
	}
}

// apiReceiptJSON is the receipt as the API serves it (web's apiReceipt).
func apiReceiptJSON(t *testing.T, r *chain.Receipt) []byte {
	t.Helper()
	p, err := r.CometParts()
	if err != nil {
		t.Fatal(err)
	}
	out := &api.Receipt{ChainID: r.ChainID, Height: r.Height, Index: r.Index, Code: api.CodeNum(r.Code), Log: r.Log,
		TxHash: r.TxHash, Proof: p.Proof, Header: p.Header, Commit: p.Commit, ValidatorSet: p.ValidatorSet,
		NextHeader: p.NextHeader, NextCommit: p.NextCommit, Result: r.Result, ResultProof: p.ResultProof}
	if err := out.TrackingCode.UnmarshalText([]byte(r.TrackingCode)); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
