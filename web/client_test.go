package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
)

// TestClient takes api.Client through an election on a real node: every
// method, its answer checked against the node's state and against the
// bytes the server wrote (a decoded answer encodes back to them), and
// every error a caller branches on.
func TestClient(t *testing.T) {
	tn := startTestNode(t)
	ctx := t.Context()
	if _, err := api.NewClient("127.0.0.1:8080", nil); err == nil {
		t.Error("a base URL without a scheme")
	}
	c, err := api.NewClient(tn.url+"/", tn.client)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestElection(t, tn, "client", false, false, 1, 1, 8)

	// Status and the empty list.
	st, err := c.Status(ctx)
	if err != nil || st.ChainID != testChainID || st.Height < 1 || len(st.Validators) != 1 {
		t.Fatalf("status %+v, %v", st, err)
	}
	roundTrip(t, tn, "/api/v1/status", st, func(a, b *api.Status) bool { return a.ChainID == b.ChainID })
	if l, err := c.Elections(ctx); err != nil || len(l) != 0 {
		t.Fatalf("elections %v, %v", l, err)
	}

	// Not found: a typed error matching api.ErrNotFound.
	_, err = c.Election(ctx, e.id)
	var ae *api.Error
	if !errors.Is(err, api.ErrNotFound) || !errors.As(err, &ae) || ae.Status != http.StatusNotFound || ae.Body.Error == "" {
		t.Fatalf("an unknown election: %v", err)
	}
	for name, f := range map[string]func() error{
		"roll":    func() error { _, err := c.Roll(ctx, e.id, 0, 10); return err },
		"dkg":     func() error { _, err := c.DKG(ctx, e.id); return err },
		"tally":   func() error { _, err := c.Tally(ctx, e.id); return err },
		"result":  func() error { _, err := c.Result(ctx, e.id); return err },
		"voter":   func() error { _, err := c.Voter(ctx, e.id, e.voters[0].Public()); return err },
		"record":  func() error { _, err := c.Record(ctx, e.id); return err },
		"receipt": func() error { _, err := c.Receipt(ctx, api.TxHash{1}, 0); return err },
	} {
		if err := f(); !errors.Is(err, api.ErrNotFound) {
			t.Errorf("%s of an unknown election: %v", name, err)
		}
	}

	// Commit; the same bytes again are followed to their block.
	create := e.createTx(t)
	com, err := c.Commit(ctx, create)
	if err != nil || com.Height < 1 || com.Again || com.TrackingCode.String() != trackingCode(create) {
		t.Fatalf("create: %+v, %v", com, err)
	}
	again, err := c.Commit(ctx, create)
	if err != nil || !again.Again || again.Height != com.Height {
		t.Fatalf("create again: %+v, %v", again, err)
	}
	l, err := c.Elections(ctx)
	if err != nil || len(l) != 1 || l[0].ID != e.id || l[0].Phase != election.PhaseDKGDeals {
		t.Fatalf("elections %+v, %v", l, err)
	}
	roundTrip(t, tn, "/api/v1/elections", &api.ElectionList{Elections: l}, nil)

	// The key ceremony, waited for with WaitPhase.
	if _, err := c.Commit(ctx, e.dealTx(t, 0)); err != nil {
		t.Fatal(err)
	}
	m, err := c.DKG(ctx, e.id)
	if err != nil || len(m.Deals) != 1 || m.Deals[0].Dealer != 1 || m.Manifest.Reference != "client" {
		t.Fatalf("dkg %+v, %v", m, err)
	}
	want := e.deal(t, 0)
	if got, _ := m.Deals[0].Deal.MarshalBinary(); !bytes.Equal(got, want) {
		t.Error("the deal read back is not the one submitted")
	}
	roundTrip(t, tn, "/api/v1/elections/"+e.id.String()+"/dkg", m, nil)
	short, cancel := context.WithTimeout(ctx, time.Second)
	_, err = c.WaitPhase(short, e.id, func(d *api.ElectionDetail) bool { return d.Phase == election.PhaseTallied })
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitPhase for a phase that does not come: %v", err)
	}
	if _, err := c.Commit(ctx, e.complaintsTx(t, 0)); err != nil {
		t.Fatal(err)
	}
	d, err := c.WaitPhase(ctx, e.id, func(d *api.ElectionDetail) bool { return d.Phase == election.PhaseReady })
	if err != nil || d.JointKey == nil || len(d.Trustees) != 1 || !d.Trustees[0].Qualified || d.Trustees[0].VerificationKey == nil {
		t.Fatalf("ready: %+v, %v", d, err)
	}
	if id, err := d.Manifest.ID(); err != nil || id != e.id {
		t.Fatalf("the detail's manifest is not the election's: %v", err)
	}
	inState, err := election.JointKey(tn.store(), e.id)
	if err != nil || !inState.Equal(d.JointKey) {
		t.Fatalf("joint key: %v", err)
	}
	roundTrip(t, tn, "/api/v1/elections/"+e.id.String(), d, nil)
	e.jointKey = d.JointKey

	// The roll, a page and a bad request.
	if _, err := c.Commit(ctx, e.rollTx(t, 1, e.voters...)); err != nil {
		t.Fatal(err)
	}
	page, err := c.Roll(ctx, e.id, 1, 1)
	if err != nil || page.Total != uint64(len(e.voters)) || page.Offset != 1 || len(page.Voters) != 1 {
		t.Fatalf("roll page %+v, %v", page, err)
	}
	roundTrip(t, tn, "/api/v1/elections/"+e.id.String()+"/roll?offset=1&limit=1", page, nil)
	if _, err := c.Roll(ctx, e.id, 0, 0); !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || errors.Is(err, api.ErrNotFound) || api.Transient(err) {
		t.Errorf("a page of no voters: %v", err)
	}

	// Ballots: committed with a receipt that verifies; admitted without
	// waiting, then found by its tracking code; refused, as a typed error.
	if _, err := c.Commit(ctx, e.openTx(t)); err != nil {
		t.Fatal(err)
	}
	choices := [][]uint64{{1, 0}, {1, 1, 0}}
	b1 := e.ballot(t, e.voters[0], 1, choices, nil)
	a, err := c.Submit(ctx, b1, api.SubmitOptions{Wait: true})
	if err != nil || !a.Committed || a.Code.Code() != election.CodeOK || a.CodeName != "ok" || a.Receipt == nil {
		t.Fatalf("ballot: %+v, %v", a, err)
	}
	verifyReceipt(t, tn, a.Receipt, b1)
	b2 := e.ballot(t, e.voters[1], 1, choices, nil)
	a, err = c.Submit(ctx, b2, api.SubmitOptions{})
	if err != nil || a.Committed || a.TrackingCode.String() != trackingCode(b2) {
		t.Fatalf("ballot without waiting: %+v, %v", a, err)
	}
	rec, err := c.Receipt(ctx, a.TrackingCode, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	verifyReceipt(t, tn, rec, b2)
	roundTrip(t, tn, "/api/v1/receipts/"+a.TrackingCode.String(), rec, nil)
	a, err = c.Submit(ctx, e.ballot(t, e.voters[1], 2, choices, nil), api.SubmitOptions{Wait: true, NoReceipt: true})
	var re *api.RefusedError
	if !errors.As(err, &re) || re.Code != election.CodeAlreadyVoted || re.Height != 0 || re.Message == "" ||
		!errors.Is(err, api.ErrRefused) || !errors.Is(err, &api.RefusedError{Code: election.CodeAlreadyVoted}) ||
		errors.Is(err, &api.RefusedError{Code: election.CodeClosed}) || a == nil || a.TrackingCode != re.TrackingCode {
		t.Fatalf("a second ballot without revoting: %+v, %v", a, err)
	}
	if code, ok := api.RefusalCode(err); !ok || code != election.CodeAlreadyVoted {
		t.Errorf("RefusalCode: %v %v", code, ok)
	}
	if _, err := c.Commit(ctx, e.ballot(t, e.voters[1], 3, choices, nil)); !errors.Is(err, &api.RefusedError{Code: election.CodeAlreadyVoted}) {
		t.Errorf("Commit of a refused ballot: %v", err)
	}

	// A wait that ends before the commit: a 504 carrying the tracking
	// code, whose receipt comes later.
	late := e.ballot(t, e.voters[2], 1, choices, nil)
	_, err = c.Submit(ctx, late, api.SubmitOptions{Wait: true, WaitFor: time.Nanosecond})
	if !errors.As(err, &ae) || ae.Status != http.StatusGatewayTimeout || !api.Transient(err) || ae.Body.TrackingCode == nil || ae.Body.TrackingCode.String() != trackingCode(late) {
		t.Fatalf("a wait of 1ns: %v", err)
	}
	if _, err := c.Receipt(ctx, *ae.Body.TrackingCode, 30*time.Second); err != nil {
		t.Fatal(err)
	}

	// A refusal in the block: two ballots of one voter both admitted (the
	// mempool checks against committed state); the one the block holds
	// second is refused there, with the block's height.
	counted := uint64(3) // voters 1 to 3
	for attempt := 0; ; attempt++ {
		counted++ // the first ballot of each attempt counts
		if attempt == 5 {
			t.Fatal("two ballots of one voter never met before a commit")
		}
		v := e.voters[3+attempt]
		txs := [2][]byte{e.ballot(t, v, 1, choices, nil), e.ballot(t, v, 1, choices, nil)}
		// A block that changes the app hash is followed, a commit timeout
		// later, by another: ballots submitted as soon as it is committed
		// usually wait for that one together (see testInBlock).
		if _, err := c.Commit(ctx, e.rollTx(t, 1, newVoter(t))); err != nil {
			t.Fatal(err)
		}
		var answers [2]*api.SubmitResponse
		var errs [2]error
		var wg sync.WaitGroup
		for i := range txs {
			wg.Go(func() { answers[i], errs[i] = c.Submit(ctx, txs[i], api.SubmitOptions{Wait: true}) })
		}
		wg.Wait()
		second := 1
		if errs[1] == nil {
			second = 0
		}
		if errs[1-second] != nil {
			t.Fatalf("neither ballot counted: %v", errors.Join(errs[:]...))
		}
		a, err := answers[second], errs[second]
		if !errors.As(err, &re) || re.Code != election.CodeAlreadyVoted {
			t.Fatalf("the second ballot: %+v, %v", a, err)
		}
		if re.Height == 0 {
			t.Logf("attempt %d: the second ballot was refused at admission", attempt+1)
			continue
		}
		if !a.Committed || a.Receipt == nil || a.Height != re.Height || re.TrackingCode.String() != trackingCode(txs[second]) {
			t.Fatalf("refused in its block: %+v, %v", a, err)
		}
		break
	}

	// The voter, the tally, the result.
	vs, err := c.Voter(ctx, e.id, e.voters[0].Public())
	if err != nil || !vs.OnRoll || !vs.Voted || vs.Seq != 1 || vs.TxHash == nil || vs.TxHash.String() != trackingCode(b1) {
		t.Fatalf("voter %+v, %v", vs, err)
	}
	roundTrip(t, tn, "/api/v1/elections/"+e.id.String()+"/voters/"+e.voters[0].Public().Key().String(), vs, nil)
	if _, err := c.Voter(ctx, e.id, newVoter(t).Public()); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("a voter not on the roll: %v", err)
	}
	ti, err := c.Tally(ctx, e.id)
	if err != nil || ti.Voters != counted || ti.Phase != election.PhaseOpen {
		t.Fatalf("tally %+v, %v", ti, err)
	}
	aggs, err := election.Aggregates(tn.store(), e.id)
	if err != nil || len(aggs) != len(ti.Aggregates()) {
		t.Fatalf("%d aggregates in the state (%v), %d over the API", len(aggs), err, len(ti.Aggregates()))
	}
	for i, g := range ti.Aggregates() {
		if !g.Equal(aggs[i]) {
			t.Errorf("aggregate %d is not the state's", i)
		}
	}
	roundTrip(t, tn, "/api/v1/elections/"+e.id.String()+"/tally", ti, nil)
	if _, err := c.Result(ctx, e.id); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("the result before the close: %v", err)
	}
	if rep, err := c.Report(ctx, e.id); err != nil || rep.Decrypted || rep.Contests[0].Options[0].Total != nil || rep.Voters != counted {
		t.Errorf("the report before the close: %+v, %v", rep, err)
	}
	if _, err := c.Commit(ctx, e.closeTx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commit(ctx, e.sharesTx(t, tn, 1, nil, e.trustees[0].key, 0)); err != nil {
		t.Fatal(err)
	}
	res, err := c.Result(ctx, e.id)
	if err != nil || res.Voters != counted || len(res.Contests) != 2 || res.Contests[0].Totals[0] != counted || res.Contests[1].Totals[1] != counted {
		t.Fatalf("result %+v, %v", res, err)
	}
	roundTrip(t, tn, "/api/v1/elections/"+e.id.String()+"/result", res, nil)
	rep, err := c.Report(ctx, e.id)
	if err != nil || !rep.Decrypted || rep.Height != res.Height || len(rep.Contests) != 2 || *rep.Contests[0].Options[0].Total != counted ||
		rep.Turnout != float64(counted)/float64(rep.RollSize) {
		t.Fatalf("report %+v, %v", rep, err)
	}

	// The record, streamed.
	rc, err := c.Record(ctx, e.id)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !json.Valid(raw) || !bytes.Contains(raw, []byte(e.id.String())) {
		t.Fatalf("record of %d bytes: %v", len(raw), err)
	}

	// A node that does not answer: a transient error.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	dead, _ := api.NewClient(gone.URL, nil)
	_, err = dead.Status(ctx)
	var ue *url.Error
	if !errors.As(err, &ue) || !api.Transient(err) || errors.As(err, &ae) {
		t.Errorf("a node that is gone: %v", err)
	}
}

// roundTrip checks that v, decoded from GET path, encodes back to the
// bytes the server wrote (the answer may have moved on: same is then
// compared instead, if given).
func roundTrip[T any](t *testing.T, tn *testNode, path string, v *T, same func(a, b *T) bool) {
	t.Helper()
	r := tn.get(t, path)
	if same != nil {
		var now T
		if err := json.Unmarshal(r.body, &now); err != nil || !same(v, &now) {
			t.Errorf("GET %s: %v", path, err)
		}
		return
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(b, '\n'), r.body) {
		t.Errorf("GET %s: the decoded answer encodes to other bytes:\n%s\nthe server wrote:\n%s", path, b, r.body)
	}
}

// verifyReceipt checks a receipt of the API offline against the genesis
// validators, through chain.Receipt.
func verifyReceipt(t *testing.T, tn *testNode, r *api.Receipt, tx []byte) {
	t.Helper()
	rec := chainReceipt(t, r)
	gen := tn.node.Load().CometBFT().GenesisDoc()
	var vals []*cmttypes.Validator
	for _, v := range gen.Validators {
		vals = append(vals, cmttypes.NewValidator(v.PubKey, v.Power))
	}
	if err := chain.VerifyReceipt(rec, cmttypes.NewValidatorSet(vals), testChainID); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.Tx(), tx) || r.TrackingCode.String() != trackingCode(tx) || r.Code.Code() != election.CodeOK {
		t.Errorf("receipt %+v is not the transaction's", r)
	}
}
