package chain

import (
	"encoding/json"
	"testing"

	"github.com/evote/evote/api"
)

// The receipt's wire form is api.Receipt; the node's edge (web) and the
// client's (internal/receiptfile) convert it, and these tests do the same
// through CometParts and SetCometParts.

// wireReceipt is r as the API and the receipt file carry it.
func wireReceipt(t testing.TB, r *Receipt) []byte {
	t.Helper()
	p, err := r.CometParts()
	if err != nil {
		t.Fatal(err)
	}
	a := api.Receipt{ChainID: r.ChainID, Height: r.Height, Index: r.Index, Code: api.CodeNum(r.Code), Log: r.Log,
		TxHash: r.TxHash, Proof: p.Proof, Header: p.Header, Commit: p.Commit, ValidatorSet: p.ValidatorSet,
		NextHeader: p.NextHeader, NextCommit: p.NextCommit, Result: r.Result, ResultProof: p.ResultProof}
	for _, h := range p.Hops {
		a.ValidatorHops = append(a.ValidatorHops, api.ValidatorHop{Header: h.Header, Commit: h.Commit, ValidatorSet: h.ValidatorSet})
	}
	if err := a.TrackingCode.UnmarshalText([]byte(r.TrackingCode)); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// receiptOfWire reads a receipt in its wire form.
func receiptOfWire(data []byte) (*Receipt, error) {
	var a api.Receipt
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, err
	}
	r := &Receipt{ChainID: a.ChainID, TrackingCode: a.TrackingCode.String(), Height: a.Height, Index: a.Index,
		Code: a.Code.Code(), Log: a.Log, TxHash: a.TxHash, Result: a.Result}
	p := CometParts{Proof: a.Proof, Header: a.Header, Commit: a.Commit, ValidatorSet: a.ValidatorSet,
		NextHeader: a.NextHeader, NextCommit: a.NextCommit, ResultProof: a.ResultProof}
	for _, h := range a.ValidatorHops {
		p.Hops = append(p.Hops, HopParts{Header: h.Header, Commit: h.Commit, ValidatorSet: h.ValidatorSet})
	}
	return r, r.SetCometParts(p)
}
