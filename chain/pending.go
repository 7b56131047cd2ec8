package chain

import (
	"sync"
	"time"
)

// How often Pending rebuilds its view of the mempool: at most every
// pendingFresh when asked for a transaction its view lacks (one admitted
// since), and every pendingRefresh in any case.
const (
	pendingFresh   = 100 * time.Millisecond
	pendingRefresh = time.Second
)

// pendingSet is a view of the mempool by transaction hash, rebuilt at most
// once per pendingFresh: a lookup then costs one map access, however many
// clients ask, and a rebuild one hash of each transaction in the mempool.
type pendingSet struct {
	mu     sync.Mutex
	at     time.Time
	hashes map[TxHash]struct{}
}

// Pending reports whether the transaction with this hash is in this node's
// mempool: admitted, not yet in a committed block. A transaction admitted
// is found at once (a miss older than pendingFresh rebuilds the view); one
// committed may be reported pending for up to a second, and callers look
// for its receipt first. A
// transaction the mempool drops (refused when rechecked after a block, or
// lost with the mempool when the node restarts) is no longer pending, and
// no receipt will come for it from this node: its client must submit it
// again.
func (n *Node) Pending(hash []byte) bool {
	if len(hash) != len(TxHash{}) || n.app.droppedTx(hash) != nil {
		return false
	}
	p := &n.pending
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hashes == nil || time.Since(p.at) >= pendingRefresh {
		p.rebuild(n)
	}
	_, ok := p.hashes[TxHash(hash)]
	if !ok && time.Since(p.at) >= pendingFresh {
		p.rebuild(n)
		_, ok = p.hashes[TxHash(hash)]
	}
	return ok
}

func (p *pendingSet) rebuild(n *Node) {
	txs := n.cmt.Mempool().ReapMaxTxs(-1)
	p.hashes = make(map[TxHash]struct{}, len(txs))
	for _, tx := range txs {
		p.hashes[HashTx(tx)] = struct{}{}
	}
	p.at = time.Now()
}
