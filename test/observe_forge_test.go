package test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/feedproxy"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/nodetest"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/live"
	"github.com/evote/evote/web"
)

const forgeTemplate = `reference: {{.Reference}}
authority: {{.Authority}}
languages: [en]
title: {en: Forgery test}
revoting: true
weights: false
schedule: {dkg_deals_by: {{.DealsBy}}, dkg_complaint_window: 1h, dkg_response_window: 1h}
trustees:
  threshold: 2
  members:
{{- range .Trustees}}
    - {name: {{.Name}}, identity: {{.Identity}}, encryption_key: {{.EncryptionKey}}}
{{- end}}
contests:
  - type: plurality
    min_selections: 1
    title: {en: Q}
    options: [{en: Yes}, {en: No}, {en: Maybe}]
`

// forgeElection starts a real node (chain "<ref>-test") behind an HTTP
// server and sets up an election of forgeTemplate with the given number of
// voters on it: the server, a client of it and the election.
func forgeElection(ctx context.Context, t *testing.T, ref string, voters int) (*httptest.Server, *api.Client, *harness.Election) {
	t.Helper()
	authority := election.DeriveKey(ref + " test authority")
	node := nodetest.Start(t, ref+"-test", authority)
	srv := httptest.NewServer(web.New(node, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Setup(ctx, harness.NewAPI(c), harness.Spec{Template: forgeTemplate, Reference: ref, Voters: voters, Authority: authority})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, e
}

// TestObserverCatchesForgedFeeds: a real node with a tallied election, and
// between it and the verifying follower (evote observe's, observer/live)
// a proxy that forges the feed: each lie is caught at the block where it
// is told, naming the item; without a lie the follower verifies the
// election to its result. Two nodes serving different blocks are reported.
func TestObserverCatchesForgedFeeds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, _, e := forgeElection(ctx, t, "forge", 6)
	// Ballots in several blocks, a revote among them.
	for i, choice := range []int{0, 1, 2, 0, 1, 1} {
		ch := [][]uint64{{0, 0, 0}}
		ch[0][choice] = 1
		if _, _, err := e.Cast(ctx, i, ch); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.Cast(ctx, 2, [][]uint64{{1, 0, 0}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Authority.Close(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.Decrypt(ctx); err != nil {
		t.Fatal(err)
	}

	follow := func(until bool, nodes ...string) (observer.FollowStatus, error) {
		fctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		var last observer.FollowStatus
		err := live.Follow(fctx, live.Config{Nodes: nodes, Election: e.ID, UntilFinal: until, Retry: 50 * time.Millisecond,
			Update: func(u live.Update) {
				if u.Event == "" {
					last = u.Status
				}
			}})
		return last, err
	}
	proxy := func(rw feedproxy.Rewrites) string {
		p, err := feedproxy.NewMulti(srv.URL, rw)
		if err != nil {
			t.Fatal(err)
		}
		ps := httptest.NewServer(p)
		t.Cleanup(ps.Close)
		t.Cleanup(p.Close)
		return ps.URL
	}

	// Through an honest proxy: the result, verified.
	s, err := follow(true, proxy(func(m []byte) [][]byte { return [][]byte{m} }))
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != "tallied" || s.Voters != 6 || s.Ballots != 7 || s.Result == nil || s.Height != s.Replayed {
		t.Fatalf("the honest feed verifies to %+v", s)
	}

	// With a state file: followed to the end, then resumed from the file on
	// an idle chain (through two feeds, whose copies of the last block come
	// after it), the follower proves the file's last state again from
	// the chain's last block and stops at the result.
	state := filepath.Join(t.TempDir(), "observer.state")
	for run := range 2 {
		var resumed *observer.Resumed
		var last observer.FollowStatus
		fctx, fcancel := context.WithTimeout(ctx, time.Minute)
		err := live.Follow(fctx, live.Config{Nodes: []string{srv.URL, srv.URL}, Election: e.ID, State: state, UntilFinal: true,
			Update: func(u live.Update) {
				if u.Resumed != nil {
					resumed = u.Resumed
				}
				if u.Event == "" {
					last = u.Status
				}
			}})
		fcancel()
		if err != nil || last.Phase != "tallied" || last.Result == nil || (run == 1) != (resumed != nil) {
			t.Fatalf("run %d with a state file: %v, status %+v, resumed %+v", run, err, last, resumed)
		}
	}

	for _, f := range feedproxy.Forgeries() {
		t.Run(f.Name, func(t *testing.T) {
			rw, item := f.New()
			_, err := follow(true, proxy(rw))
			var ve *observer.VerifyError
			if item() == "" {
				t.Fatalf("the forgery found no block to forge (%v)", err)
			}
			if !errors.As(err, &ve) || !errors.Is(err, f.Code) || !strings.HasPrefix(ve.Item, item()) {
				t.Fatalf("got %v; want %s at %q", err, f.Code, item())
			}
		})
	}

	// Two nodes, one of them lying a little later than the other answers
	// (the follower goes on after the final state here, so that the lie
	// comes): the follower reports that they disagree, naming both and the
	// height.
	rw, _ := feedproxy.Forgeries()[1].New() // a dropped transaction
	slow := proxy(func(m []byte) [][]byte {
		time.Sleep(20 * time.Millisecond)
		return rw(m)
	})
	_, err = follow(false, srv.URL, slow)
	var de *live.DisagreeError
	if !errors.As(err, &de) || de.Height == 0 || !strings.Contains(de.Error(), slow) {
		t.Fatalf("an honest node and a lying one: %v, want them reported as disagreeing", err)
	}
}
