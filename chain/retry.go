package chain

import (
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/mempool"
	"github.com/evote/evote/election"
)

// A transaction a peer gossips may be refused for a moment: it names an
// election this node has not committed yet, or opens a phase the node has
// not reached, because this node is a block behind the peer that sent it
// (a client submits its next transaction as soon as the fastest node has
// committed the last). CometBFT's mempool sends each transaction to a peer
// only once, so such a refusal would keep the transaction from this node
// for good; and with no empty blocks, a proposer whose mempool stays empty
// never proposes, which can stall the chain. So a transaction refused with
// a transient code at gossip is checked again after each of this node's
// next commits, up to maxRetryCommits times.
const (
	maxRetryCommits = 5
	maxRetryTxs     = 4096
)

type retryTx struct {
	tx       []byte
	attempts int
	queued   bool // in order, to be checked again after the next commit
}

type retries struct {
	mu    sync.Mutex
	txs   map[TxHash]*retryTx
	order []TxHash // queued, oldest first
}

// first records a gossiped transaction's first check: a transient refusal
// queues it for another check after the next commit.
func (r *retries) first(hash TxHash, tx []byte, res election.Code) {
	if !retryable(res) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.txs[hash]; ok {
		return // a retry's own check: again() counts it
	}
	if r.txs == nil {
		r.txs = make(map[TxHash]*retryTx)
	}
	for len(r.txs) >= maxRetryTxs && len(r.order) > 0 {
		delete(r.txs, r.order[0])
		r.order = r.order[1:]
	}
	r.txs[hash] = &retryTx{tx: tx, attempts: 1, queued: true}
	r.order = append(r.order, hash)
}

// again records the outcome of a retry: another transient refusal queues
// it again (up to maxRetryCommits checks), anything else ends its retries.
func (r *retries) again(hash TxHash, res election.Code) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.txs[hash]
	if e == nil {
		return
	}
	e.attempts++
	if !retryable(res) || e.attempts > maxRetryCommits {
		delete(r.txs, hash)
		return
	}
	if !e.queued {
		e.queued = true
		r.order = append(r.order, hash)
	}
}

// forget ends a transaction's retries.
func (r *retries) forget(hash TxHash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.txs, hash)
}

func retryable(c election.Code) bool { return c.Transient() && c != election.CodeInternal }

// take returns the queued transactions, oldest first.
func (r *retries) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]byte, 0, len(r.order))
	for _, h := range r.order {
		if e := r.txs[h]; e != nil {
			e.queued = false
			out = append(out, e.tx)
		}
	}
	r.order = r.order[:0]
	return out
}

// retryLoop checks the queued transactions again after each commit, through
// the mempool, as if a peer had sent them again, until stop is closed.
func (n *Node) retryLoop(stop <-chan struct{}) {
	for {
		select {
		case <-n.app.commitSignal():
		case <-stop:
			return
		}
		for _, tx := range n.app.retries.take() {
			hash := HashTx(tx)
			err := n.cmt.Mempool().CheckTx(tx, func(res *abci.ResponseCheckTx) {
				n.app.retries.again(hash, election.Code(res.Code))
			}, mempool.TxInfo{})
			if err != nil {
				// Held or being checked already (from another peer), or
				// the mempool is full: this node has done its part.
				n.app.retries.forget(hash)
			}
		}
	}
}
