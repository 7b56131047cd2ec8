package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/live"
	"github.com/evote/evote/trustee"
)

// InProcessGenesis names the genesis of a chain run in this process (the
// memory machine, an in-process node), whose state the caller's own state
// machine computed: what a trustee stepped over it pins.
func InProcessGenesis(chainID string) string { return "in-process:" + chainID }

// FeedVerifier is how a trustee that talks to nodes comes to decrypt only
// what it verified itself (docs/trustees.md): it follows the election's
// feed from block 1 on its nodes with the observer's engine (observer/live,
// observer.Follower: every commit against the trusted validators, every
// transaction against its block's data hash, every ballot's signature,
// eligibility and proofs, the rules' replay and the state commitment at
// every block) until the closed election's state is proven, and gives the
// aggregates it recomputed from the ballots it verified. A failure is
// wrapped with trustee.ErrUnverified.
type FeedVerifier struct {
	// Nodes are the nodes' HTTP addresses: each block is taken from the
	// first that serves it, and two that serve different blocks stop the
	// verification.
	Nodes []string
	// Verify are the verifier's options: its anchor (Genesis and
	// Validators, from the network's genesis.json) and workers. Without an
	// anchor the genesis the nodes serve is taken, and the trustee pins
	// its fingerprint on first sight.
	Verify observer.VerifyOptions
	// Retry is the first pause before reconnecting to a node (live.Config).
	Retry time.Duration

	mu       sync.Mutex
	genesis  map[election.ID]string
	verified map[election.ID]*trustee.Verified
}

// Genesis is the fingerprint of the genesis the first node's feed of
// election id begins with (read once, then remembered).
func (f *FeedVerifier) Genesis(ctx context.Context, id election.ID) (string, error) {
	f.mu.Lock()
	g := f.genesis[id]
	f.mu.Unlock()
	if g != "" {
		return g, nil
	}
	if len(f.Nodes) == 0 {
		return "", errors.New("harness: a feed verifier with no node")
	}
	head, err := live.Head(ctx, f.Nodes[0], id, nil)
	if err != nil {
		return "", fmt.Errorf("reading the feed's head: %w", err)
	}
	if g, err = head.GenesisFingerprint(); err != nil {
		return "", fmt.Errorf("%w: the feed's genesis: %w", trustee.ErrUnverified, err)
	}
	f.mu.Lock()
	if f.genesis == nil {
		f.genesis = map[election.ID]string{}
	}
	f.genesis[id] = g
	f.mu.Unlock()
	return g, nil
}

// Verified follows election id from block 1 until its state is proven
// closed (or later) and returns what it verified: the anchor's
// fingerprint, the height, the counts and the recomputed aggregates. A
// block that does not verify, or two nodes that disagree, is an error
// wrapped with trustee.ErrUnverified (and the observer's *VerifyError or
// *live.DisagreeError). The answer is remembered: the closing aggregates
// do not change.
func (f *FeedVerifier) Verified(ctx context.Context, id election.ID) (*trustee.Verified, error) {
	f.mu.Lock()
	got := f.verified[id]
	f.mu.Unlock()
	if got != nil {
		return got, nil
	}
	var out *trustee.Verified
	var stopErr error
	err := live.Follow(ctx, live.Config{Nodes: f.Nodes, Election: id, Verify: f.Verify, Retry: f.Retry,
		Stop: func(fl *observer.Follower) bool {
			var done bool
			out, done, stopErr = VerifiedOf(fl)
			return done || stopErr != nil
		}})
	if err == nil {
		err = stopErr
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", trustee.ErrUnverified, err)
	}
	f.mu.Lock()
	if f.verified == nil {
		f.verified = map[election.ID]*trustee.Verified{}
	}
	f.verified[id] = out
	f.mu.Unlock()
	return out, nil
}

// VerifiedOf is what the follower fl verified of a closed election, once
// everything it replayed is proven and the election is closed (or later):
// done is false before.
func VerifiedOf(fl *observer.Follower) (v *trustee.Verified, done bool, err error) {
	s := fl.Status()
	if s.Height != s.Replayed || !closed(s.Phase) {
		return nil, false, nil
	}
	aggs, err := fl.Aggregates()
	if err != nil {
		return nil, true, err
	}
	fp, err := fl.Head().GenesisFingerprint()
	if err != nil {
		return nil, true, err
	}
	var p election.Phase
	if err := p.UnmarshalText([]byte(s.Phase)); err != nil {
		return nil, true, err
	}
	return &trustee.Verified{Genesis: fp, Height: s.Height, Phase: p, Voters: s.Voters, Ballots: s.Ballots, Aggregates: aggs}, true, nil
}

// closed says whether an election in phase (as a FollowStatus gives it)
// has its closing aggregates.
func closed(phase string) bool {
	switch phase {
	case election.PhaseClosed.String(), election.PhaseTallied.String(), election.PhaseFailed.String():
		return true
	}
	return false
}
