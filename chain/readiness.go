package chain

import "fmt"

// Readiness says whether a node can answer from the state it committed and
// keep up with the chain.
type Readiness struct {
	Ready  bool
	Reason string // why it is not ready
	// Height is the last block the app committed; BlockStore the last
	// block consensus stored (the app commits it moments later).
	Height, BlockStore int64
}

// Readiness reports the node not ready while consensus is not running,
// while it catches up with its peers (block sync), when its store cannot
// be read, or when the app has fallen behind the blocks consensus stored.
// It does not yet detect a consensus that halted with the process still
// running, nor state at rest that differs from the signed chain.
func (n *Node) Readiness() Readiness {
	r := Readiness{BlockStore: n.cmt.BlockStore().Height()}
	m, err := n.app.store.Meta()
	if err != nil {
		r.Reason = fmt.Sprintf("the store cannot be read: %v", err)
		return r
	}
	r.Height = m.Height
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
