package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/internal/receiptfile"
)

// TestAdmittedBallotsSurviveTheirNode: ballots that a node admitted but
// could not commit (two of four validators down) are lost with that node's
// mempool when it dies; every voter's `evote vote`, which named only that
// node, learned the network's other nodes from it, holds the signed ballot,
// and submits the same bytes to the next node. Afterwards every ballot is
// on the chain once and every voter holds a checked receipt: no voter is
// left believing in a ballot that is not there.
func TestAdmittedBallotsSurviveTheirNode(t *testing.T) {
	const voters = 3
	tn := newTestnet(t, 4)
	se := tn.sample(voters)
	voter, walletPath := useWallet(t, "voter pass")
	home := t.TempDir()
	run := func(stdin string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		r := voter.start(ctx, t, strings.NewReader(stdin), append([]string{"--home", home}, args...)...)()
		wantRun(t, r.code, r.out, r.err, 0)
	}
	names := make([]string, voters)
	for i, k := range se.voters {
		names[i] = fmt.Sprintf("voter%d", i)
		text, _ := k.MarshalText()
		run(string(text), append([]string{"wallet", "import", names[i]}, smallKDFFlags...)...)
	}

	// Without a quorum nothing commits: the ballots stay in node 0's
	// mempool (and in node 1's, which node 0 gossips them to).
	tn.nodes[2].stop()
	tn.nodes[3].stop()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	waits := make([]func() evoteRun, voters)
	for i := range voters {
		waits[i] = voter.start(ctx, t, nil, "--home", home, "vote", "--node", tn.urls[0], "--key", names[i],
			"--choice", "1=1", "--choice", "2=2", "--patience", "4m")
	}
	// Each vote keeps its pending receipt, with the signed ballot, before
	// it submits: the tracking codes are there.
	dir := filepath.Join(filepath.Dir(walletPath), "receipts")
	var codes []string
	err := eventually(time.Minute, 200*time.Millisecond, func() error {
		codes = codes[:0]
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, f := range files {
			r, err := receiptfile.Read(f)
			if err != nil {
				return err
			}
			if r.Receipt != nil || len(r.Ballot) == 0 {
				return fmt.Errorf("%s: not a pending receipt holding its ballot", f)
			}
			codes = append(codes, r.TrackingCode)
		}
		if len(codes) < voters {
			return fmt.Errorf("%d pending receipts", len(codes))
		}
		for _, c := range codes {
			if st := receiptState(t, tn.urls[0], c); st != api.ReceiptPending {
				return fmt.Errorf("ballot %s: %s on node 0", c, st)
			}
		}
		return nil
	})
	if err != nil {
		tn.fatalf("the ballots were not admitted: %v", err)
	}
	t.Logf("%d ballots admitted by node 0, none committed (2 of 4 validators down)", voters)

	// Node 0 dies, node 1 restarts (its mempool is emptied): no node holds
	// the ballots any more. Then the quorum comes back without node 0.
	tn.nodes[0].kill()
	tn.nodes[1].stop()
	tn.nodes[1].restart()
	tn.waitUp(1, time.Minute)
	for _, c := range codes {
		if st := receiptState(t, tn.urls[1], c); st != api.ReceiptUnknown {
			tn.fatalf("ballot %s is %s on the restarted node 1, want unknown", c, st)
		}
	}
	tn.nodes[2].restart()
	tn.nodes[3].restart()

	for i, wait := range waits {
		r := wait()
		wantRun(t, r.code, r.out, r.err, 0, "Ballot cast: committed in block", "through node", "submitting the same ballot to node")
		if i == 0 {
			t.Logf("what voter 0 saw:\n%s%s", r.err, r.out)
		}
		code := field(t, r.out, "tracking code")
		rpath := field(t, r.out, "receipt")
		f, err := receiptfile.Read(rpath)
		if err != nil || f.Receipt == nil || len(f.Ballot) != 0 || f.Node == tn.urls[0] {
			t.Fatalf("voter %d's receipt file: %+v, %v", i, f, err)
		}
		var vs api.VoterStatus
		if err := getJSON(ctx, f.Node+"/api/v1/elections/"+se.id+"/voters/"+se.voters[i].Public().String(), &vs); err != nil {
			t.Fatal(err)
		}
		if !vs.Voted || hashText(vs.TxHash) != code {
			tn.fatalf("voter %d: the chain counts %+v, the voter holds a receipt for %s", i, vs, code)
		}
	}
	snap := tn.agree([]int{1, 2, 3}, se.id, 1, time.Minute)
	if tc := parseTally(t, snap.Tally); tc.Voters != voters {
		tn.fatalf("the tally counts %d voters, want %d", tc.Voters, voters)
	}
	t.Logf("every voter resubmitted to another node and holds a checked receipt; the tally counts %d voters", voters)
}

// receiptState is what GET /api/v1/receipts/{code} of the node at url says
// of a transaction: committed, refused, pending or unknown.
func receiptState(t *testing.T, url, code string) string {
	t.Helper()
	status, body, err := get(context.Background(), url+"/api/v1/receipts/"+code)
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("receipt %s: %d %s", code, status, body)
	}
	want := map[string]int{api.ReceiptCommitted: http.StatusOK, api.ReceiptRefused: http.StatusOK,
		api.ReceiptPending: http.StatusAccepted, api.ReceiptUnknown: http.StatusNotFound}
	if w, ok := want[a.State]; !ok || w != status {
		t.Fatalf("receipt %s: %d with state %q", code, status, a.State)
	}
	return a.State
}
