package voternode

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
)

// ErrNotConfirmed is the end of a Cast that found no node to commit the
// transaction within its patience: the transaction may be on the chain or
// not, and its client keeps the signed bytes to submit them again.
var ErrNotConfirmed = errors.New("not confirmed")

// Default waits of a Caster.
const (
	DefaultPatience = 5 * time.Minute
	DefaultNodeWait = time.Minute
)

// A Caster submits one signed transaction to a list of nodes until it holds
// its receipt. The same bytes go to each node in turn: the chain counts
// them once, whichever nodes saw them. A node that fails (no answer, 5xx,
// halted), that loses the transaction it admitted (a restart empties its
// mempool), or that keeps it pending longer than NodeWait, is left for the
// next; a node's receipt that Check refuses is another node's turn too. A
// refusal by the state machine ends the cast: every honest node would
// refuse the same bytes.
type Caster struct {
	Nodes    []*api.Client
	Patience time.Duration // overall (DefaultPatience if 0)
	NodeWait time.Duration // for one node's commit (DefaultNodeWait if 0)
	// Check verifies a receipt before it is accepted (nil: none).
	Check func(*api.Receipt) error
	// Log reports each change of node (nil: silent).
	Log func(format string, args ...any)
}

// Cast is a cast's outcome: the receipt and the node that gave it.
type Cast struct {
	Receipt *api.Receipt
	Node    *api.Client
	Tries   int // submissions made, this one included
}

// nodeFailed is a node's failure: the cast goes on with the next node.
type nodeFailed struct{ err error }

func (e *nodeFailed) Error() string { return e.err.Error() }
func (e *nodeFailed) Unwrap() error { return e.err }

func failed(format string, args ...any) error {
	return &nodeFailed{fmt.Errorf(format, args...)}
}

// Cast submits tx, whose tracking code is code, until a node gives its
// receipt (checked by Check), the chain refuses it (an *api.RefusedError),
// ctx ends, or Patience runs out (ErrNotConfirmed, naming each node's last
// failure).
func (c *Caster) Cast(ctx context.Context, tx []byte, code api.TxHash) (*Cast, error) {
	if len(c.Nodes) == 0 {
		return nil, errors.New("no node to submit to")
	}
	patience := c.Patience
	if patience <= 0 {
		patience = DefaultPatience
	}
	deadline := time.Now().Add(patience)
	last := make([]error, len(c.Nodes))
	tries := 0
	for i := 0; ; i++ {
		n := c.Nodes[i%len(c.Nodes)]
		if i > 0 && i%len(c.Nodes) == 0 {
			// Every node failed once: give them a moment before the next round.
			if err := api.Sleep(ctx, 2*time.Second); err != nil {
				return nil, err
			}
		}
		if time.Now().After(deadline) {
			return nil, c.notConfirmed(patience, last)
		}
		rec, err := c.castOn(ctx, n, tx, code, deadline, &tries)
		if err == nil {
			return &Cast{Receipt: rec, Node: n, Tries: tries}, nil
		}
		var nf *nodeFailed
		if !errors.As(err, &nf) || ctx.Err() != nil {
			return nil, err
		}
		last[i%len(c.Nodes)] = err
		if c.Log != nil {
			next := c.Nodes[(i+1)%len(c.Nodes)].Base()
			c.Log("%v; submitting the same ballot to node %s", nodeErr(n, err), next)
		}
	}
}

// nodeErr is err naming node n once.
func nodeErr(n *api.Client, err error) string {
	if msg := err.Error(); strings.Contains(msg, n.Base()) {
		return msg
	}
	return fmt.Sprintf("node %s: %v", n.Base(), err)
}

func (c *Caster) notConfirmed(patience time.Duration, last []error) error {
	msg := fmt.Sprintf("no node committed the transaction within %v:", patience)
	for i, err := range last {
		if err != nil {
			msg += fmt.Sprintf(" %v;", nodeErr(c.Nodes[i], err))
		}
	}
	return fmt.Errorf("%w: %s", ErrNotConfirmed, msg[:len(msg)-1])
}

// castOn submits tx to node n and follows it there until its receipt, a
// refusal, or a failure of the node (a *nodeFailed).
func (c *Caster) castOn(ctx context.Context, n *api.Client, tx []byte, code api.TxHash, deadline time.Time, tries *int) (*api.Receipt, error) {
	until := time.Now().Add(c.nodeWait())
	if deadline.Before(until) {
		until = deadline
	}
	for lost := 0; ; lost++ {
		left := time.Until(until)
		if left <= 0 {
			return nil, failed("no answer within %v", c.nodeWait())
		}
		*tries++
		a, err := n.Submit(ctx, tx, api.SubmitOptions{Wait: true, WaitFor: min(30*time.Second, left)})
		var re *api.RefusedError
		var e *api.Error
		switch {
		case err == nil:
			if a.Receipt == nil {
				return nil, failed("committed in block %d, but answered without a receipt", a.Height)
			}
			return c.checked(a.Receipt)
		case errors.As(err, &re) && re.Code == election.CodeDuplicate:
			// These bytes were accepted before (through this node or
			// another): their receipt is the answer.
			rec, err := n.Receipt(ctx, code, 0)
			if err != nil {
				return nil, failed("refused as a duplicate, then no receipt: %v", err)
			}
			return c.checked(rec)
		case re != nil:
			return nil, err
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case !errors.As(err, &e):
			return nil, failed("%v", err) // no answer
		case e.Status == http.StatusConflict || e.Status == http.StatusGatewayTimeout:
			// Admitted (now or before): follow it there.
		case e.Status >= 500:
			return nil, failed("%d %s", e.Status, e.Body.Error)
		default:
			return nil, err // a 4xx: the bytes themselves are at fault
		}
		rec, err := c.await(ctx, n, code, until)
		if errors.Is(err, api.ErrNotFound) && lost == 0 {
			continue // the node lost it: submit the same bytes again, once
		}
		if err != nil {
			return nil, err
		}
		return c.checked(rec)
	}
}

// await follows an admitted transaction on node n until its receipt, until
// the node no longer knows it (an error matching api.ErrNotFound), or
// until a failure of the node.
func (c *Caster) await(ctx context.Context, n *api.Client, code api.TxHash, until time.Time) (*api.Receipt, error) {
	for {
		left := time.Until(until)
		if left <= 0 {
			return nil, failed("admitted, but not committed within %v", c.nodeWait())
		}
		rec, err := n.Receipt(ctx, code, min(20*time.Second, left))
		var e *api.Error
		switch {
		case err == nil:
			if rec.Code.Code() != election.CodeOK {
				return nil, &api.RefusedError{Code: rec.Code.Code(), Message: rec.Log, Height: rec.Height, TrackingCode: code}
			}
			return rec, nil
		case errors.Is(err, api.ErrPending):
		case errors.Is(err, api.ErrNotFound):
			return nil, &nodeFailed{fmt.Errorf("it admitted the transaction, then lost it: %w", err)}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.As(err, &e) && e.Status == http.StatusGatewayTimeout:
		default:
			return nil, failed("%v", err)
		}
		if err := api.Sleep(ctx, 200*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

func (c *Caster) nodeWait() time.Duration {
	if c.NodeWait <= 0 {
		return DefaultNodeWait
	}
	return c.NodeWait
}

// checked is rec if Check accepts it; a node whose receipt fails the
// check has failed.
func (c *Caster) checked(rec *api.Receipt) (*api.Receipt, error) {
	if rec.Code.Code() != election.CodeOK {
		return nil, &api.RefusedError{Code: rec.Code.Code(), Message: rec.Log, Height: rec.Height, TrackingCode: rec.TrackingCode}
	}
	if c.Check != nil {
		if err := c.Check(rec); err != nil {
			return nil, failed("its receipt does not check: %v", err)
		}
	}
	return rec, nil
}
