package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/observer/live"
	"github.com/evote/evote/trustee"
)

// A trustee's process watches one election through a node's API and plays
// its part, which package trustee decides. Before it decrypts it verifies
// the election itself (harness.FeedVerifier: the feed of its node and of
// --verify-node, from block 1, with the observer's engine, anchored on
// --genesis or on the genesis it pinned on first use) and decrypts only
// the aggregates it recomputed. Each look is one step of a
// harness.Trustee over the node's API (harness.API): the trustee's view of
// the chain, its Step, the new state sealed in the trustee's directory
// before anything is submitted, the submission, and Advance with the
// chain's answer; the loop prints the trustee's log and looks again after
// --poll. A restarted trustee resumes from its sealed state and the chain:
// it posts the deal it kept, never a second one.

// errStopped is how a run ends at its stop point (trustee.Options.StopAt,
// set by tests).
var errStopped = errors.New("stopped at the requested point")

// TrusteeRunConfig configures `evote trustee run`.
type TrusteeRunConfig struct {
	Node     string
	Election election.ID
	Dir      string
	Once     bool          // exit once its decryption shares are in, without waiting for the result
	Poll     time.Duration // how often it looks at the chain
	// VerifyNodes are more nodes whose feed the trustee follows, besides
	// Node's, to verify the election before it decrypts.
	VerifyNodes []string
	// Genesis is the network's genesis.json, the anchor of the
	// verification; empty: the genesis the node serves, pinned on first use.
	Genesis string
	// Test makes the trustee misbehave or stop early (Fault, StopAt): for
	// tests, which run the trustee in-process; no flag sets it.
	Test trustee.Options
}

// Validate checks the configuration.
func (c TrusteeRunConfig) Validate() error {
	switch {
	case c.Node == "":
		return errors.New("--node is empty")
	case c.Dir == "":
		return errors.New("--dir is required (the trustee's directory, as `evote trustee init` made it)")
	case c.Poll < 10*time.Millisecond || c.Poll > time.Minute:
		return fmt.Errorf("--poll must be 10ms..1m, got %v", c.Poll)
	}
	for _, n := range c.VerifyNodes {
		if _, err := live.FeedURL(n, election.ID{}, 1); err != nil {
			return fmt.Errorf("--verify-node: %w", err)
		}
	}
	return nil
}

// runTrustee runs a trustee until the result is on the chain (or, with
// Once, until its decryption shares are in).
func runTrustee(ctx context.Context, cfg TrusteeRunConfig, store *trusteeStore, out io.Writer) error {
	c, err := newNodeClient(cfg.Node)
	if err != nil {
		return err
	}
	node := harness.NewAPI(c)
	node.Verifier = &harness.FeedVerifier{Nodes: append([]string{cfg.Node}, cfg.VerifyNodes...)}
	if cfg.Genesis != "" {
		b, err := os.ReadFile(cfg.Genesis)
		if err != nil {
			return err
		}
		if err := node.Verifier.Verify.TrustGenesis(b); err != nil {
			return fmt.Errorf("--genesis %s: %w", cfg.Genesis, err)
		}
	}
	opts := cfg.Test
	opts.Once, opts.SealedIn = cfg.Once, store.Dir
	t := &harness.Trustee{State: store.State.Clone(), Opts: opts, Rand: rand.Reader, Persist: store.Persist}
	printed, said, started := 0, map[string]bool{}, false
	logf := func(format string, args ...any) {
		fmt.Fprintf(out, "%s trustee %d (%s): %s\n", time.Now().UTC().Format("15:04:05"), t.Index(), t.State.Name, fmt.Sprintf(format, args...))
	}
	for {
		_, err := t.Step(ctx, node, cfg.Election)
		for ; printed < len(t.Logs); printed++ {
			logf("%s", t.Logs[printed])
		}
		switch {
		case err != nil && started && api.Transient(err) && ctx.Err() == nil:
			// A node restarting or briefly unreachable: look again.
			if key := "unreachable:" + err.Error(); !said[key] {
				said[key] = true
				logf("the node does not answer (%v); trying again", err)
			}
		case err != nil:
			return err
		case t.Stopped:
			return errStopped
		case t.Done:
			return nil
		}
		started = started || err == nil
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(cfg.Poll):
		}
	}
}
