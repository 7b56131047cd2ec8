package web

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// TestDKGMessages takes a key ceremony with a complaint and its response
// through the chain and checks that GET .../dkg shows every message as
// admitted, and that the joint key re-derived from them alone is the
// chain's.
func TestDKGMessages(t *testing.T) {
	tn := startTestNode(t)
	e := newTestElection(t, tn, "dkg", true, false, 3, 2, 0)
	path := "/api/v1/elections/" + e.id.String() + "/dkg"

	tn.wantStatus(t, "/api/v1/elections/not-an-id/dkg", http.StatusBadRequest)
	tn.wantStatus(t, path, http.StatusNotFound)

	tn.commit(t, e.createTx(t))
	var m api.DKG
	tn.getJSON(t, path, &m)
	man := m.Manifest.Manifest
	if id, err := man.ID(); err != nil || id != e.id || m.Election != e.id {
		t.Fatalf("the manifest served is not the one of election %v", e.id)
	}
	if m.Phase != election.PhaseDKGDeals || len(m.Deals) != 0 || len(m.ComplaintSets) != 0 || len(m.Responses) != 0 {
		t.Fatalf("before any deal: %+v", m)
	}

	// The deals, in the order 3, 1, 2: the answer lists them by dealer.
	deals := [][]byte{e.dealTx(t, 2), e.dealTx(t, 0), e.dealTx(t, 1)}
	for _, tx := range deals {
		tn.commit(t, tx)
	}
	raw := tn.get(t, path).body
	tn.getJSON(t, path, &m)
	if m.Phase != election.PhaseDKGComplaints || len(m.Deals) != 3 {
		t.Fatalf("after the deals: phase %s, %d deals", m.Phase, len(m.Deals))
	}
	for i, d := range m.Deals {
		want := e.deal(t, i)
		got, _ := d.Deal.MarshalBinary()
		if d.Dealer != uint32(i+1) || !bytes.Equal(got, want) || !bytes.Contains(raw, []byte(`"deal": "`+hex.EncodeToString(want)+`"`)) {
			t.Errorf("deal %d: dealer %d, not the deal submitted", i, d.Dealer)
		}
	}

	// Trustee 1 complains about dealer 2 (unfounded, but the chain admits
	// it), the others have no complaint; dealer 2 answers.
	complaint := &tally.DKGComplaint{Complainer: 1, Dealer: 2}
	tn.commit(t, must(t)(election.NewDKGComplaintsTx(testChainID, e.id, []*tally.DKGComplaint{complaint}, e.trustees[0].key)))
	tn.commit(t, e.complaintsTx(t, 2), e.complaintsTx(t, 1))
	tn.getJSON(t, path, &m)
	if m.Phase != election.PhaseDKGResponses || len(m.ComplaintSets) != 3 {
		t.Fatalf("after the complaints: phase %s, %d sets", m.Phase, len(m.ComplaintSets))
	}
	for i, cs := range m.ComplaintSets {
		want := []uint32{}
		if i == 0 {
			want = []uint32{2}
		}
		if cs.Complainer != uint32(i+1) || len(cs.Dealers) != len(want) || (len(want) == 1 && cs.Dealers[0] != 2) {
			t.Errorf("complaint set %d: %+v", i, cs)
		}
	}
	tn.commit(t, e.step(t, 1)) // dealer 2 reveals the share it sealed to trustee 1
	tn.getJSON(t, path, &m)
	if m.Phase != election.PhaseReady || len(m.Responses) != 1 || m.Responses[0].Dealer != 2 || m.Responses[0].Complainer != 1 {
		t.Fatalf("after the response: phase %s, responses %+v", m.Phase, m.Responses)
	}

	// Anyone re-derives the joint key from these messages alone.
	params, err := man.DKGParams(e.id)
	if err != nil {
		t.Fatal(err)
	}
	var ds []*tally.DKGDeal
	for _, d := range m.Deals {
		ds = append(ds, d.Deal)
	}
	var cs []*tally.DKGComplaint
	for _, set := range m.ComplaintSets {
		for _, d := range set.Dealers {
			cs = append(cs, &tally.DKGComplaint{Complainer: set.Complainer, Dealer: d})
		}
	}
	var rs []*tally.DKGResponse
	for _, r := range m.Responses {
		rs = append(rs, r.Response)
	}
	res, err := tally.Finalize(params, ds, cs, rs)
	if err != nil {
		t.Fatal(err)
	}
	e.fetchJointKey(t, tn)
	if !res.PublicKey.Equal(e.jointKey) {
		t.Fatal("the joint key re-derived from GET .../dkg is not the chain's")
	}
}
