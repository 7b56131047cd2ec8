package chain

import (
	"fmt"
	"time"
)

// Readiness says whether a node can answer from the state it committed and
// keep up with the chain.
type Readiness struct {
	Ready  bool
	Reason string // why it is not ready
	// Halted says the node cannot go on (Node.Halted): Cause says why,
	// Reason in words, since Since.
	Halted bool
	Cause  HaltCause
	Since  time.Time
	// Height is the last block the app committed; BlockStore the last
	// block consensus stored (the app commits it moments later).
	Height, BlockStore int64
}

// Readiness reports the node not ready while consensus is not running,
// while it catches up with its peers (block sync), when its store cannot
// be read, or when the app has fallen behind the blocks consensus stored.
// Above all, a halted node (Node.Halted: consensus failed, a store or
// disk error, behind its peers, cut off from them) is not ready, with the
// halt's cause.
func (n *Node) Readiness() Readiness {
	r := Readiness{BlockStore: n.cmt.BlockStore().Height()}
	m, err := n.app.store.Meta()
	if err == nil {
		r.Height = m.Height
	}
	if h, ok := n.Halted(); ok {
		r.Halted, r.Cause, r.Since = true, h.Cause, h.Since
		r.Reason = fmt.Sprintf("halted (%s): %s", h.Cause, h.Reason)
		return r
	}
	if err != nil {
		r.Reason = fmt.Sprintf("the store cannot be read: %v", err)
		return r
	}
	switch {
	case !n.cmt.IsRunning():
		r.Reason = "consensus is not running"
	case n.cmt.ConsensusReactor().WaitSync():
		r.Reason = fmt.Sprintf("catching up with its peers (at block %d)", r.BlockStore)
	case r.Height < r.BlockStore-1:
		r.Reason = fmt.Sprintf("the app committed block %d, consensus stored %d", r.Height, r.BlockStore)
	default:
		r.Ready = true
	}
	return r
}
