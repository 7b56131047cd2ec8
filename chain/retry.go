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
// never proposes, which can stall the chain. So a transaction refused at
// gossip with a transient code, or by Check (the state, which a node a
// block behind has not reached: an election opened once its ceremony's
// last block is in), while its proofs verified, is checked again after each
// of this node's next commits, up to maxRetryCommits times. Without it, a
// transaction that only the node it was submitted to holds waits for that
// node's turn to propose at the first round of a height, and with no other
// transaction coming the validators never start that round: the chain
// stalls with the transaction pending.
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

// first records a gossiped transaction's first check: a refusal that a
// later state may lift (retryable, or byCheck: Check's, its proofs having
// verified) queues it for another check after the next commit.
func (r *retries) first(hash TxHash, tx []byte, res election.Code, byCheck bool) {
	if res == election.CodeOK || !(retryable(res) || byCheck) {
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

// again records the outcome of a retry: another refusal that a later
// state may lift queues it again (up to maxRetryCommits checks), anything
// else ends its retries.
func (r *retries) again(hash TxHash, res election.Code, byCheck bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.txs[hash]
	if e == nil {
		return
	}
	e.attempts++
	if res == election.CodeOK || !(retryable(res) || byCheck) || e.attempts > maxRetryCommits {
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
				n.app.retries.again(hash, election.Code(res.Code), n.app.refusedByCheck(hash, res))
			}, mempool.TxInfo{})
			if err != nil {
				// Held or being checked already (from another peer), or
				// the mempool is full: this node has done its part.
				n.app.retries.forget(hash)
			}
		}
	}
}

// refusedByCheck says whether res refuses a transaction whose Precheck
// verdict (cached) is a pass: Check refused it, on this node's state.
func (a *App) refusedByCheck(hash TxHash, res *abci.ResponseCheckTx) bool {
	if res.Code == uint32(election.CodeOK) {
		return false
	}
	v, ok := a.cache.Get(hash)
	return ok && v.OK()
}
