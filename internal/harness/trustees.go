package harness

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/evote/evote/election"
	"github.com/evote/evote/trustee"
)

// Trustee is one trustee run by the harness: the trustee package's step
// function, its state as last handed out to persist, and its log.
type Trustee struct {
	State *trustee.State // the state as last persisted
	Opts  trustee.Options
	Rand  io.Reader
	// Persist, if set, is called with each state to persist, before its
	// submission.
	Persist func(*trustee.State) error
	Logs    []string
	Done    bool // its part is over
	Stopped bool // it reached Opts.StopAt
	// Offline: the trustee takes no more steps.
	Offline bool
	// DealerSecret is the hex of the polynomial behind its last deal, as
	// last persisted (kept after the state erases it).
	DealerSecret string

	t *trustee.Trustee
}

// NewTrustee makes a trustee named name with fresh keys from rnd, which
// is also its randomness from then on.
func NewTrustee(name string, opts trustee.Options, rnd io.Reader) (*Trustee, error) {
	st, err := trustee.NewState(name, rnd)
	if err != nil {
		return nil, err
	}
	return &Trustee{State: st, Opts: opts, Rand: rnd}, nil
}

// Member is the trustee as a manifest names it: a template's .Trustees
// entry.
type Member struct{ Name, Identity, EncryptionKey string }

// Member is how a manifest names the trustee.
func (h *Trustee) Member() (Member, error) {
	k, err := h.State.Keys()
	if err != nil {
		return Member{}, err
	}
	return Member{Name: h.State.Name, Identity: k.Identity.TrusteePublic().String(),
		EncryptionKey: election.EncryptionKeyOf(k.Encryption.Public()).String()}, nil
}

// Index is the trustee's index in the election, once a step found it.
func (h *Trustee) Index() uint32 {
	if h.t == nil {
		return 0
	}
	return h.t.Index()
}

// Step looks at the chain once through sub and does what the trustee's
// Step says: persist, submit, Advance. It reports whether it submitted.
func (h *Trustee) Step(ctx context.Context, sub Submitter, id election.ID) (bool, error) {
	if h.Done || h.Stopped || h.Offline {
		return false, nil
	}
	if h.t == nil {
		t, err := trustee.New(h.State.Clone(), id, h.Opts, h.Rand)
		if err != nil {
			return false, err
		}
		h.t = t
	}
	v, err := sub.View(ctx, id, h.t.Wants)
	if err != nil {
		return false, err
	}
	rd, err := h.t.Step(v)
	if err != nil {
		return false, err
	}
	h.Logs = append(h.Logs, rd.Logs...)
	if rd.State != nil {
		if h.Persist != nil {
			if err := h.Persist(rd.State); err != nil {
				h.t.Advance(trustee.Outcome{Lost: true})
				return false, err
			}
		}
		h.State = rd.State
		if es := rd.State.Elections[id.String()]; es != nil && es.DealerSecret != "" {
			h.DealerSecret = es.DealerSecret
		}
	}
	if rd.Stopped {
		h.Stopped = true
		h.t.Advance(trustee.Outcome{Lost: true})
		return false, nil
	}
	var o trustee.Outcome
	var refused *Refused
	if rd.Submit != nil {
		height, err := sub.Submit(ctx, rd.Submit.What, rd.Submit.Tx)
		switch {
		case err == nil:
			o = trustee.Outcome{Code: election.CodeOK, Height: height}
		case errors.As(err, &refused):
			o = trustee.Outcome{Code: refused.Code, Height: refused.Height}
		default:
			h.t.Advance(trustee.Outcome{Lost: true})
			return false, err
		}
	}
	p, err := h.t.Advance(o)
	h.Logs = append(h.Logs, p.Logs...)
	if err != nil {
		if refused != nil {
			return false, refused // the chain's words for the refusal
		}
		return false, err
	}
	h.Done = h.Done || p.Done || rd.Done
	h.Stopped = h.Stopped || p.Stopped
	return rd.Submit != nil, nil
}

// RunTrustees steps the trustees in turn, each once a round, until done
// holds of the election's view, or every trustee is done, stopped or
// offline. A round in which no trustee submits waits for the chain
// (Submitter.Wait). A trustee's error ends the run, naming it.
func RunTrustees(ctx context.Context, sub Submitter, id election.ID, ts []*Trustee, done func(*trustee.View) bool) error {
	for {
		if done != nil {
			v, err := sub.View(ctx, id, nil)
			if err != nil {
				return err
			}
			if done(v) {
				return nil
			}
		}
		active, submitted := false, false
		for i, t := range ts {
			if t.Done || t.Stopped || t.Offline {
				continue
			}
			active = true
			s, err := t.Step(ctx, sub, id)
			if err != nil {
				return fmt.Errorf("trustee %d: %w", i+1, err)
			}
			submitted = submitted || s
		}
		if !active {
			if done == nil {
				return nil
			}
			return errors.New("every trustee has stopped before the election got where it was waited for")
		}
		if !submitted {
			if err := sub.Wait(ctx); err != nil {
				return err
			}
		}
	}
}

// PhaseIn is a RunTrustees condition: the election is in one of phases.
func PhaseIn(phases ...election.Phase) func(*trustee.View) bool {
	return func(v *trustee.View) bool {
		for _, p := range phases {
			if v.Phase == p {
				return true
			}
		}
		return false
	}
}
