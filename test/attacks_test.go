package test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/wallet"
)

// TestBallotAttacks submits hostile ballots through the HTTP API of a real
// node (an `evote node` process) and checks that each is refused with its
// result code: proofs copied from another voter's ballot, a ballot carried
// into another election, a ballot from a key not on the roll, an older
// ballot after a revote, and a ballot after the close.
func TestBallotAttacks(t *testing.T) {
	t.Parallel()
	n := newOneNode(t)
	ctx := t.Context()
	authority := n.authorityKey(t)
	c := n.client(t)
	sub := harness.NewAPI(c)
	// The two elections are set up side by side.
	sets := make([]*harness.Election, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range sets {
		spec := sampleSpec(t, authority, fmt.Sprintf("attacks-%d", i+1), 3)
		wg.Go(func() { sets[i], errs[i] = harness.Setup(ctx, sub, spec) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	e1, e2 := sets[0], sets[1]
	el1, err := e1.Wallet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	choices := [][]uint64{{1, 0}, {1, 0, 1, 0, 0}}
	build := func(v *wallet.VoterKey, seq uint64) []byte {
		b, err := wallet.BuildBallot(el1, v, seq, choices, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return b.Tx
	}
	commit := func(what string, tx []byte) {
		t.Helper()
		if _, err := c.Commit(ctx, tx); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	want := func(what string, tx []byte, code election.Code) {
		t.Helper()
		_, err := c.Commit(ctx, tx)
		got, ok := api.RefusalCode(err)
		if !ok || got != code {
			t.Errorf("%s: %v, want %s (code %d)", what, err, code, uint32(code))
		}
	}
	body := func(tx []byte) *election.BallotBody {
		t.Helper()
		env, err := election.DecodeTx(tx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := election.DecodeBody(env.Kind, env.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b.(*election.BallotBody)
	}
	a, b, cv := e1.Voters[0].Key, e1.Voters[1].Key, e1.Voters[2].Key

	// Voter A's ballot is valid.
	txA := build(a, 1)
	commit("A's ballot", txA)

	// B signs a ballot made of A's encrypted contests and proofs: the proofs
	// are bound to A's key.
	copied, err := election.NewBallotTx(e1.ChainID, e1.ID, 1, body(txA).Contests, b.SigningKey())
	if err != nil {
		t.Fatal(err)
	}
	want("proofs copied from another voter", copied, election.CodeBadProof)

	// A's ballot carried into election 2, where A is on the roll too:
	// re-addressed under A's old signature, or re-signed by A itself.
	if err := e2.Authority.AppendRoll(ctx, e2.ID, []election.RollEntry{{Voter: a.Public(), Weight: 1}}, 0); err != nil {
		t.Fatal(err)
	}
	env, _ := election.DecodeTx(txA)
	moved := body(txA)
	moved.Election = e2.ID
	env.Body, err = moved.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	readdressed, _ := env.MarshalBinary()
	want("ballot re-addressed to another election", readdressed, election.CodeBadSignature)
	resigned, err := election.NewBallotTx(e1.ChainID, e2.ID, 1, body(txA).Contests, a.SigningKey())
	if err != nil {
		t.Fatal(err)
	}
	want("ballot replayed into another election", resigned, election.CodeBadProof)

	// A key that is not on the roll.
	stranger, _ := wallet.GenerateVoterKey(rand.Reader)
	want("ballot from a key not on the roll", build(stranger, 1), election.CodeNotOnRoll)

	// C revotes; a fresh ballot with the old sequence number is refused,
	// and the node counts C's second ballot.
	commit("C's ballot", build(cv, 1))
	second := build(cv, 2)
	commit("C's revote", second)
	want("an older ballot after a revote", build(cv, 1), election.CodeStaleSequence)
	vs, err := c.Voter(ctx, e1.ID, cv.Public())
	if err != nil {
		t.Fatal(err)
	}
	if h := election.Hash(second); !vs.Voted || vs.Seq != 2 || vs.TxHash == nil || vs.TxHash.String() != fmt.Sprintf("%x", h[:]) {
		t.Errorf("C's counted ballot: %+v", vs)
	}
	d, err := c.Election(ctx, e1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Counts.Voters != 2 || d.Counts.Ballots != 3 {
		t.Errorf("counts after the revote: %+v (want 2 voters, 3 ballots)", d.Counts)
	}

	// After the close.
	if err := e1.Authority.Close(ctx, e1.ID); err != nil {
		t.Fatal(err)
	}
	want("ballot after the close", build(b, 1), election.CodeClosed)
}
