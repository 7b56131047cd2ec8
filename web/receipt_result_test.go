package web

import (
	"errors"
	"testing"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/receiptfile"
	"github.com/evote/evote/wallet"
)

// receiptFileOf is the wallet's receipt file of a ballot with the node's
// receipt wire and the validators the node's status shows.
func receiptFileOf(t *testing.T, tn *testNode, e *testElection, voter *wallet.VoterKey, seq uint64, wire *api.Receipt) *receiptfile.File {
	t.Helper()
	var st api.Status
	tn.getJSON(t, "/api/v1/status", &st)
	return &receiptfile.File{Version: receiptfile.Tag, Node: tn.url, ChainID: testChainID, Election: e.id,
		Voter: voter.Public(), KeyName: "k", Seq: seq, TrackingCode: wire.TrackingCode.String(),
		Validators: st.Validators, Receipt: wire}
}

// withoutResult is r without its result part: a receipt of the earlier
// form, or one given before the next block.
func withoutResult(r *api.Receipt) *api.Receipt {
	c := *r
	c.NextHeader, c.NextCommit, c.Result, c.ResultProof = nil, nil, nil, nil
	return &c
}

// testReceiptFileResult: a counted ballot's receipt file proves its
// acceptance; without the result part it proves inclusion only (a file of
// the earlier version) or is incomplete (the current version); a changed
// result or next header fails.
func testReceiptFileResult(t *testing.T, tn *testNode, e *testElection, voter *wallet.VoterKey, seq uint64, wire *api.Receipt) {
	f := receiptFileOf(t, tn, e, voter, seq, wire)
	if _, err := f.CheckOffline(nil); err != nil || !f.ProvesAcceptance() {
		t.Fatalf("the counted ballot's receipt file: %v (acceptance proven %v)", err, f.ProvesAcceptance())
	}
	f.Receipt = withoutResult(wire)
	if _, err := f.CheckOffline(nil); !errors.Is(err, receiptfile.ErrIncomplete) {
		t.Errorf("a receipt without the result part in a %s file: %v", receiptfile.Tag, err)
	}
	f.Version = receiptfile.TagV1
	if _, err := f.CheckOffline(nil); err != nil || f.ProvesAcceptance() {
		t.Errorf("a %s file: %v (acceptance proven %v)", receiptfile.TagV1, err, f.ProvesAcceptance())
	}
	f.Version = receiptfile.Tag
	for name, alter := range map[string]func(r *api.Receipt){
		"result":      func(r *api.Receipt) { r.Result = append([]byte{0x08, 0x0b}, r.Result...) },
		"next header": func(r *api.Receipt) { r.NextHeader = r.Header },
		"next commit": func(r *api.Receipt) { r.NextCommit = r.Commit },
		"code":        func(r *api.Receipt) { r.Code = api.CodeNum(election.CodeClosed) },
	} {
		c := *wire
		alter(&c)
		f.Receipt = &c
		if _, err := f.CheckOffline(nil); !errors.Is(err, receiptfile.ErrBad) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
}

// testRejectedReceiptFile: the receipt of a ballot refused in its block
// proves its code once the next block is committed, and its receipt file
// fails the check naming that code.
func testRejectedReceiptFile(t *testing.T, tn *testNode, e1, e2 *testElection, voter *wallet.VoterKey, code string) {
	tn.commit(t, e2.rollTx(t, 1, newVoter(t))) // a block after the refusal's
	var wire api.Receipt
	tn.getJSON(t, "/api/v1/receipts/"+code, &wire)
	r := chainReceipt(t, &wire)
	if !r.Proven() || r.Code != election.CodeAlreadyVoted {
		t.Fatalf("the refused ballot's receipt: result part %v, code %v", r.Proven(), r.Code)
	}
	f := receiptFileOf(t, tn, e1, voter, 1, &wire)
	_, err := f.CheckOffline(nil)
	var rej *receiptfile.RejectedError
	if !errors.As(err, &rej) || !errors.Is(err, receiptfile.ErrBad) || rej.Code != election.CodeAlreadyVoted || !rej.Proven {
		t.Fatalf("the refused ballot's receipt file: %v", err)
	}
	// Its code changed to 0 by the node: the proof says otherwise.
	wire.Code = 0
	if _, err := f.CheckOffline(nil); !errors.Is(err, receiptfile.ErrBad) || errors.As(err, &rej) {
		t.Fatalf("a refused ballot's receipt claiming code 0: %v", err)
	}
}
