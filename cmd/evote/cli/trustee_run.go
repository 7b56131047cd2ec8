package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/trustee"
)

// A trustee's process watches one election through a node's API and plays
// its part, which package trustee decides: each look at the chain
// (trustee_view.go) is a trustee.View; the trustee's Step says what to seal
// and what to submit; this loop seals it in the trustee's directory, then
// submits, then tells the trustee the outcome (Advance), logs, and looks
// again after --poll. Everything it must not lose is sealed before it acts
// on it, so that a restarted trustee resumes from its state and the chain:
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
	return nil
}

// trusteeLoop is one trustee's run over one election.
type trusteeLoop struct {
	node  *trusteeNode
	tr    *trustee.Trustee
	store *trusteeStore
	out   io.Writer
	said  map[string]bool // the loop's own progress lines already printed
	// started: the trustee has taken a first step. Before it, a node that
	// does not answer ends the run (the first look is the setup); after
	// it, the loop looks again.
	started bool
}

// runTrustee runs a trustee until the result is on the chain (or, with
// Once, until its decryption shares are in).
func runTrustee(ctx context.Context, cfg TrusteeRunConfig, store *trusteeStore, out io.Writer) error {
	opts := cfg.Test
	opts.Once, opts.SealedIn = cfg.Once, store.Dir
	tr, err := trustee.New(store.State.Clone(), cfg.Election, opts, rand.Reader)
	if err != nil {
		return err
	}
	node, err := newTrusteeNode(cfg.Node, cfg.Election)
	if err != nil {
		return err
	}
	l := &trusteeLoop{node: node, tr: tr, store: store, out: out, said: map[string]bool{}}
	for {
		done, err := l.step(ctx)
		if err != nil && l.started && api.Transient(err) && ctx.Err() == nil {
			// A node restarting or briefly unreachable: look again.
			l.once("unreachable:"+err.Error(), "the node does not answer (%v); trying again", err)
			err = nil
		}
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(cfg.Poll):
		}
	}
}

func (l *trusteeLoop) logf(format string, args ...any) {
	fmt.Fprintf(l.out, "%s trustee %d (%s): %s\n", time.Now().UTC().Format("15:04:05"), l.tr.Index(), l.tr.Name(), fmt.Sprintf(format, args...))
}

func (l *trusteeLoop) log(lines []string) {
	for _, s := range lines {
		l.logf("%s", s)
	}
}

// once prints a progress line the first time only.
func (l *trusteeLoop) once(key, format string, args ...any) {
	if !l.said[key] {
		l.said[key] = true
		l.logf(format, args...)
	}
}

// step looks at the chain once and does what the trustee says: seal, then
// submit, then advance. It reports whether the trustee's part is over.
func (l *trusteeLoop) step(ctx context.Context) (bool, error) {
	v, err := l.node.view(ctx, l.tr)
	if err != nil {
		return false, err
	}
	rd, err := l.tr.Step(v)
	if err != nil {
		return false, err
	}
	l.started = true
	if rd.State != nil {
		if err := l.store.Persist(rd.State); err != nil {
			l.tr.Advance(trustee.Outcome{Lost: true})
			return false, fmt.Errorf("sealing its state: %w", err)
		}
	}
	l.log(rd.Logs)
	if rd.Stopped {
		l.tr.Advance(trustee.Outcome{Lost: true})
		return false, errStopped
	}
	var o trustee.Outcome
	var subErr error
	if rd.Submit != nil {
		c, err := l.node.submit(ctx, rd.Submit)
		code, rejected := api.RefusalCode(err)
		switch {
		case rejected:
			o.Code, subErr = code, err
		case err != nil:
			l.tr.Advance(trustee.Outcome{Lost: true})
			return false, err
		default:
			o.Height = c.Height
		}
	}
	p, err := l.tr.Advance(o)
	if err != nil {
		if subErr != nil {
			return false, subErr // the node's words for the refusal
		}
		return false, err
	}
	l.log(p.Logs)
	if p.Stopped {
		return false, errStopped
	}
	return rd.Done || p.Done, nil
}
