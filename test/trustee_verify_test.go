package test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/feedproxy"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/trusteedir"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

// TestTrusteeDecryptsOnlyWhatItVerified (issue 15 §1): after the close a
// trustee verifies the election itself, from the feed, before it decrypts.
// Three lying nodes (proxies in front of an honest one) are refused, each
// with its reason, and the trustee posts nothing through them: one that
// serves a single ballot's ciphertexts as the aggregates, one that drops a
// ballot from the feed, one that serves a block whose commit lacks a
// signature. An `evote trustee run` process holding the trustee's sealed
// state refuses them too, and a chain that is not the one of the
// genesis.json it is given. The honest node beside them lets the election
// complete, with every trustee verifying it and the result the ballots'
// count.
func TestTrusteeDecryptsOnlyWhatItVerified(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, c, e := forgeElection(ctx, t, "trustee-verify", 4)
	var oneBallot any // the tally's contests after the first ballot: its ciphertexts
	for i, choice := range []int{0, 1, 2, 0} {
		ch := [][]uint64{{0, 0, 0}}
		ch[0][choice] = 1
		if _, _, err := e.Cast(ctx, i, ch); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			tl, err := c.Tally(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(tl.Contests)
			if err := json.Unmarshal(b, &oneBallot); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.Authority.Close(ctx, e.ID); err != nil {
		t.Fatal(err)
	}

	feedLie := func(name string) string {
		for _, f := range feedproxy.Forgeries() {
			if f.Name == name {
				// The lie is told at every block it fits, on every
				// connection (the trustee reads the feed's head on one,
				// then follows the feed on another).
				p, err := feedproxy.NewMulti(srv.URL, func(m []byte) [][]byte {
					rw, _ := f.New()
					return rw(m)
				})
				if err != nil {
					t.Fatal(err)
				}
				ps := httptest.NewServer(p)
				t.Cleanup(ps.Close)
				t.Cleanup(p.Close)
				return ps.URL
			}
		}
		t.Fatalf("no forgery %q", name)
		return ""
	}
	// through has trustee 1, as its sealed state is after the ceremony,
	// look at the closed election through the node at url.
	through := func(url string) error {
		lc, err := api.NewClient(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		sub := harness.NewAPI(lc)
		sub.Verifier = &harness.FeedVerifier{Nodes: []string{url}, Retry: 50 * time.Millisecond}
		tr := &harness.Trustee{State: e.Trustees[0].State.Clone(), Rand: rand.Reader}
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, err = tr.Step(sctx, sub, e.ID)
		return err
	}
	oneBallotNode := lyingNode(t, srv.URL, "/api/v1/elections/"+e.ID.String()+"/tally", func(v map[string]any) { v["contests"] = oneBallot })
	droppingNode, forgingNode := feedLie("dropped transaction"), feedLie("commit missing a signature")
	for _, lie := range []struct {
		name       string
		node       string
		kind, code error
	}{
		{"a single ballot served as the aggregates", oneBallotNode, trustee.ErrAggregates, nil},
		{"a ballot dropped from the feed", droppingNode, trustee.ErrUnverified, observer.CodeStateMismatch},
		{"a block whose commit lacks a signature", forgingNode, trustee.ErrUnverified, observer.CodeBadCommitSignature},
	} {
		err := through(lie.node)
		if !errors.Is(err, lie.kind) || (lie.code != nil && !errors.Is(err, lie.code)) {
			t.Fatalf("%s: trustee 1 got %v; want %v (%v)", lie.name, err, lie.kind, lie.code)
		}
		t.Logf("%s: refused: %v", lie.name, err)
	}

	// The same refusals from an `evote trustee run` process that holds
	// trustee 1's sealed state, and one given a genesis.json that is not
	// the chain's.
	dir := filepath.Join(t.TempDir(), "t1")
	store, err := trusteedir.Init(dir, e.Trustees[0].State.Name, []byte("pw"), wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	store.State = e.Trustees[0].State.Clone()
	if err := store.Save(); err != nil {
		t.Fatal(err)
	}
	store.Close()
	otherGenesis := filepath.Join(t.TempDir(), "genesis.json")
	other := election.DeriveKey("another network's validator").Public()
	doc := fmt.Sprintf(`{"app_state": {"chain_id": "another", "authorities": []}, "validators": [{"pub_key": {"type": "tendermint/PubKeyEd25519", "value": %q}, "power": "10"}]}`,
		base64.StdEncoding.EncodeToString(other[:]))
	if err := os.WriteFile(otherGenesis, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(node string, extra ...string) []string {
		return append([]string{"trustee", "run", "--node", node, "--election", e.ID.String(), "--dir", dir, "--poll", "50ms"}, extra...)
	}
	t1 := asUser("EVOTE_PASSPHRASE", "pw")
	t1.refused(t, []string{"the node serves aggregate 0 as"}, run(oneBallotNode)...)
	t1.refused(t, []string{"the election does not verify", "not more than 2/3 of the voting power signed"}, run(forgingNode)...)
	t1.refused(t, []string{"the election does not verify", "genesis: the app state is not the trusted genesis's"}, run(srv.URL, "--genesis", otherGenesis)...)

	d, err := c.Election(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(d.Trustees, func(s api.TrusteeStatus) bool { return s.SharesPosted }) {
		t.Fatalf("a trustee posted decryption shares through a lying node: %+v", d.Trustees)
	}

	// The honest node: every trustee verifies the election and decrypts.
	if err := e.Decrypt(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := c.Result(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Contests[0].Totals; !slices.Equal(got, []uint64{2, 1, 1}) {
		t.Fatalf("result %v, want [2 1 1]", got)
	}
	for _, l := range e.Trustees[0].Logs {
		t.Logf("trustee 1: %s", l)
	}
	for i, tr := range e.Trustees {
		if !slices.ContainsFunc(tr.Logs, func(l string) bool { return strings.HasPrefix(l, "verified the chain to block") }) && slices.Contains(res.Trustees, uint32(i+1)) {
			t.Errorf("trustee %d decrypted without saying it verified the chain:\n%v", i+1, tr.Logs)
		}
	}
}
