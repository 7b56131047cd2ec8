package chain

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/evote/evote/election"
)

// BatchPrechecker is a state machine that can precheck many transactions
// at once with the verdicts Precheck gives each alone (election.Machine
// verifies the ballots of a batch with one random linear combination).
type BatchPrechecker interface {
	PrecheckBatch(st election.ReadStore, txs [][]byte) ([]election.Result, error)
}

// maxPrecheckBatch bounds the transactions one batch verifies: a batch of
// 64 five-option ballots takes about 30 ms of one core here.
const maxPrecheckBatch = 64

// A batch of fewer than batchLinger.below transactions waits up to
// batchLinger.wait for more: one ballot alone costs about 8 scalar
// multiplications, one in a batch of 8 about 5.5, in a batch of 64 about
// 4.7, so under a moderate load a short wait saves more than it costs.
var batchLinger = struct {
	below int
	wait  time.Duration
}{8, 2 * time.Millisecond}

// precheckBatcher groups the Prechecks that arrive together. One worker per
// core takes the oldest waiting transaction and every other one waiting
// then (up to maxPrecheckBatch), and prechecks them as one batch. Nothing
// waits for a batch to fill: under a light load a batch is one
// transaction, under a heavy one the queue fills the batches.
//
// A transaction already waiting or being prechecked is not prechecked
// twice: a second request for it (the same ballot gossiped by two peers,
// or a proposal holding a transaction whose gossiped copy is still being
// checked) waits for the first.
type precheckBatcher struct {
	once  sync.Once
	queue chan *precheckReq
	stop  chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	pending map[TxHash]*precheckReq
}

type precheckReq struct {
	tx   []byte
	hash TxHash
	res  election.Result
	err  error
	done chan struct{}
}

func (b *precheckBatcher) start(a *App) {
	b.once.Do(func() {
		b.queue = make(chan *precheckReq, 4*maxPrecheckBatch)
		b.stop = make(chan struct{})
		b.pending = make(map[TxHash]*precheckReq)
		for range runtime.GOMAXPROCS(0) {
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				b.work(a)
			}()
		}
	})
}

// close stops the workers; Prechecks waiting get ErrAppClosed.
func (b *precheckBatcher) close() {
	b.once.Do(func() {}) // never start after this
	if b.stop != nil {
		close(b.stop)
		b.wg.Wait()
	}
}

func (b *precheckBatcher) work(a *App) {
	for {
		var first *precheckReq
		select {
		case first = <-b.queue:
		case <-b.stop:
			return
		}
		batch := []*precheckReq{first}
	fill:
		for len(batch) < maxPrecheckBatch {
			select {
			case r := <-b.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if len(batch) < batchLinger.below {
			timer := time.NewTimer(batchLinger.wait)
		linger:
			for len(batch) < maxPrecheckBatch {
				select {
				case r := <-b.queue:
					batch = append(batch, r)
				case <-timer.C:
					break linger
				}
			}
			timer.Stop()
		}
		a.precheckBatch(batch)
		b.mu.Lock()
		for _, r := range batch {
			delete(b.pending, r.hash)
		}
		b.mu.Unlock()
		for _, r := range batch {
			close(r.done)
		}
	}
}

// precheckBatch prechecks the batch against committed state and caches the
// verdicts that may be cached (Precheck's rules).
func (a *App) precheckBatch(batch []*precheckReq) {
	m, _ := a.current()
	bp, ok := m.(BatchPrechecker)
	if !ok || len(batch) == 1 {
		for _, r := range batch {
			r.res, r.err = a.precheck(m, a.store.Reader(), r.hash, r.tx)
		}
		return
	}
	txs := make([][]byte, len(batch))
	for i, r := range batch {
		txs[i] = r.tx
	}
	results, err := bp.PrecheckBatch(a.store.Reader(), txs)
	for i, r := range batch {
		if err != nil {
			r.err = fmt.Errorf("chain: precheck: %w", err)
			continue
		}
		r.res = results[i]
		if !r.res.Code.Transient() {
			a.cache.Put(r.hash, r.res)
		}
	}
}

// batchedPrecheck queues tx for a batch and waits for its verdict.
func (a *App) batchedPrecheck(hash TxHash, tx []byte) (election.Result, error) {
	b := &a.batcher
	b.start(a)
	if b.stop == nil {
		return election.Result{}, ErrAppClosed
	}
	b.mu.Lock()
	r, waiting := b.pending[hash]
	if !waiting {
		r = &precheckReq{tx: tx, hash: hash, done: make(chan struct{})}
		b.pending[hash] = r
	}
	b.mu.Unlock()
	if !waiting {
		select {
		case b.queue <- r:
		case <-b.stop:
			return election.Result{}, ErrAppClosed
		}
	}
	select {
	case <-r.done:
		return r.res, r.err
	case <-b.stop:
		return election.Result{}, ErrAppClosed
	}
}
