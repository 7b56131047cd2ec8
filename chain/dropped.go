package chain

import (
	"fmt"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/evote/evote/election"
)

// A transaction that Check accepted may be made invalid by a block before
// it is proposed: a ballot admitted while the election was open and
// pending when a block closes it, a trustee's decryption share pending
// when the others' shares make the result. Such a transaction can never
// be committed: PrepareProposal leaves it out and ProcessProposal refuses
// a proposal holding it (Check refuses it on the committed state, the same
// on every honest validator). The mempool rechecks its transactions after
// each block (Config.Mempool.Recheck), drops those Check now refuses, and
// the node remembers why, so that a client waiting for the transaction's
// commit is answered with its code at once instead of at the end of its
// wait.

// DroppedError is a transaction this node admitted and then dropped from
// its mempool because a block made it invalid: Check refused it, with
// Result, on the state after block After. It is not on the chain and
// never will be.
type DroppedError struct {
	Result election.Result
	After  int64
}

func (e *DroppedError) Error() string {
	return fmt.Sprintf("chain: admitted, then refused when rechecked after block %d: %s: %s", e.After, e.Result.Code, e.Result.Log)
}

// maxDropped bounds the dropped transactions remembered: as many as the
// mempool holds. The oldest are forgotten first; a client asking about one
// of them finds it unknown and submits it again, which Check refuses with
// the same code.
const maxDropped = 10_000

// droppedTxs remembers the transactions the mempool's recheck refused.
type droppedTxs struct {
	mu     sync.Mutex
	byHash map[TxHash]*DroppedError
	order  []TxHash // oldest first
	sig    chan struct{}
}

// noteCheck records a recheck's refusal by the rules. A node's own fault
// (CodeNodeError, CodeNotReady) is not a verdict: another node may still
// commit the transaction, so it is not remembered.
func (a *App) noteCheck(req *abci.RequestCheckTx, hash TxHash, res *abci.ResponseCheckTx) {
	code := election.Code(res.Code)
	if req.Type != abci.CheckTxType_Recheck || code == election.CodeOK || code == CodeNodeError || code == CodeNotReady {
		return
	}
	m, err := a.store.Meta()
	if err != nil {
		return
	}
	d := &a.dropped
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byHash == nil {
		d.byHash = map[TxHash]*DroppedError{}
	}
	if _, ok := d.byHash[hash]; !ok {
		d.order = append(d.order, hash)
	}
	d.byHash[hash] = &DroppedError{Result: resultOf(res.Code, res.Log), After: m.Height}
	for len(d.order) > maxDropped {
		delete(d.byHash, d.order[0])
		d.order = d.order[1:]
	}
	if d.sig != nil {
		close(d.sig)
		d.sig = nil
	}
}

// droppedSignal returns a channel closed when the next dropped transaction
// is recorded: take it before looking, as commitSignal.
func (a *App) droppedSignal() <-chan struct{} {
	d := &a.dropped
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sig == nil {
		d.sig = make(chan struct{})
	}
	return d.sig
}

// droppedTx is why the mempool dropped the transaction with this hash,
// or nil.
func (a *App) droppedTx(hash []byte) *DroppedError {
	if len(hash) != len(TxHash{}) {
		return nil
	}
	d := &a.dropped
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byHash[TxHash(hash)]
}
