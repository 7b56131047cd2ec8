package test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/internal/receiptfile"
)

// receiptFileSizes writes the wallet's receipt file of ballot b (sequence
// number 1) as node i gives its receipt, once with the result part (the
// current version) and once without (as the earlier version was), checks
// both, and logs their sizes (docs/spec/wallet-receipt.md quotes them).
func (tn *testnet) receiptFileSizes(i int, se *sampleElection, b *ballot) {
	t := tn.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := tn.status(ctx, i)
	if err != nil {
		tn.fatalf("node %d: %v", i, err)
	}
	var wire api.Receipt
	if err := getJSON(ctx, tn.urls[i]+"/api/v1/receipts/"+b.code+"?wait=20s", &wire); err != nil {
		tn.fatalf("node %d: %v", i, err)
	}
	f := &receiptfile.File{Version: receiptfile.Tag, Node: tn.urls[i], ChainID: tn.chainID, Election: se.election.ID,
		Voter: b.voter.Public(), KeyName: "voter", Seq: 1, TrackingCode: b.code,
		CastAt: time.Now().UTC().Truncate(time.Second), Validators: st.Validators, Receipt: &wire}
	size := func(f *receiptfile.File) int64 {
		if _, err := f.CheckOffline(nil); err != nil {
			tn.fatalf("the receipt file (%s): %v", f.Version, err)
		}
		path := filepath.Join(t.TempDir(), "receipt.json")
		if err := receiptfile.Write(path, f); err != nil {
			tn.fatalf("%v", err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			tn.fatalf("%v", err)
		}
		return fi.Size()
	}
	if !f.ProvesAcceptance() {
		tn.fatalf("node %d: the receipt of ballot %s has no result part", i, b.code)
	}
	with := size(f)
	bare := wire
	bare.NextHeader, bare.NextCommit, bare.Result, bare.ResultProof = nil, nil, nil, nil
	f.Version, f.Receipt = receiptfile.TagV1, &bare
	without := size(f)
	t.Logf("%d validators: a receipt file of a %d-byte ballot is %d bytes without the result part (%s), %d with it (%s): +%d",
		len(st.Validators), len(b.tx), without, receiptfile.TagV1, with, receiptfile.Tag, with-without)
}
