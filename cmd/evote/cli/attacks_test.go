package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

// TestBallotAttacks submits hostile ballots through the HTTP API of a real
// node and checks that each is refused with its result code: proofs copied
// from another voter's ballot, a ballot carried into another election,
// a ballot from a key not on the roll, an older ballot after a revote, and
// a ballot after the close.
func TestBallotAttacks(t *testing.T) {
	net := startTestNetwork(t)
	ctx := t.Context()
	authority, err := keyfile.ReadAuthority(net.authority)
	if err != nil {
		t.Fatal(err)
	}
	c0 := testClient(t, net.url)
	sub := harness.NewAPI(c0)
	// The two elections are set up side by side.
	sets := make([]*harness.Election, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range sets {
		wg.Go(func() {
			sets[i], errs[i] = harness.Setup(ctx, sub, sampleSpec(authority, fmt.Sprintf("attacks-%d", i+1), 3))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	e1, e2 := sets[0], sets[1]
	api := c0
	walletElection := func(s *harness.Election) *wallet.Election {
		key, err := fetchJointKey(ctx, api, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		el, err := wallet.NewElection(s.ChainID, s.Manifest, key)
		if err != nil {
			t.Fatal(err)
		}
		return el
	}
	el1 := walletElection(e1)
	choices := [][]uint64{{1, 0}, {1, 0, 1, 0, 0}}
	build := func(v *wallet.VoterKey, seq uint64) []byte {
		b, err := wallet.BuildBallot(el1, v, seq, choices, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return b.Tx
	}
	want := func(what string, tx []byte, code election.Code) {
		t.Helper()
		_, err := commitTx(ctx, api, what, tx)
		got, ok := refusalCode(err)
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
	a, b, c := e1.Voters[0].Key, e1.Voters[1].Key, e1.Voters[2].Key

	// Voter A's ballot is valid.
	txA := build(a, 1)
	if _, err := commitTx(ctx, api, "A's ballot", txA); err != nil {
		t.Fatal(err)
	}

	// B signs a ballot made of A's encrypted contests and proofs: the proofs
	// are bound to A's key.
	copied, err := election.NewBallotTx(e1.ChainID, e1.ID, 1, body(txA).Contests, b.SigningKey())
	if err != nil {
		t.Fatal(err)
	}
	want("proofs copied from another voter", copied, election.CodeBadProof)

	// A's ballot carried into election 2, where A is on the roll too:
	// re-addressed under A's old signature, or re-signed by A itself.
	o := &official{api: api, chainID: e1.ChainID, authority: authority, out: testWriter{t}}
	if _, err := o.appendRoll(ctx, e2.ID, []election.RollEntry{{Voter: a.Public(), Weight: 1}}, rollBatch); err != nil {
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
	if _, err := commitTx(ctx, api, "C's ballot", build(c, 1)); err != nil {
		t.Fatal(err)
	}
	second := build(c, 2)
	if _, err := commitTx(ctx, api, "C's revote", second); err != nil {
		t.Fatal(err)
	}
	want("an older ballot after a revote", build(c, 1), election.CodeStaleSequence)
	vs, err := api.Voter(ctx, e1.ID, c.Public())
	if err != nil {
		t.Fatal(err)
	}
	if h := election.Hash(second); !vs.Voted || vs.Seq != 2 || hashText(vs.TxHash) != fmt.Sprintf("%x", h[:]) {
		t.Errorf("C's counted ballot: %+v", vs)
	}
	d, err := api.Election(ctx, e1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Counts.Voters != 2 || d.Counts.Ballots != 3 {
		t.Errorf("counts after the revote: %+v (want 2 voters, 3 ballots)", d.Counts)
	}

	// After the close.
	if err := o.close(ctx, e1.ID); err != nil {
		t.Fatal(err)
	}
	want("ballot after the close", build(b, 1), election.CodeClosed)
}

// testWriter sends the commands' output to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// fetchJointKey returns the election's joint key, an error before the
// ceremony fixed it.
func fetchJointKey(ctx context.Context, c *api.Client, id election.ID) (*tally.PublicKey, error) {
	d, err := c.Election(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.JointKey == nil {
		return nil, fmt.Errorf("election %v has no joint key yet (phase %s)", id, d.Phase)
	}
	return d.JointKey, nil
}
