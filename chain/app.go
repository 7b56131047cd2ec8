package chain

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
)

// AppVersion is the application protocol version reported in Info.
const AppVersion uint64 = 1

// Result codes given by the node itself, not by the state machine. They
// sit far above the election's codes so the two never meet.
const (
	// CodeEmptyTx rejects a transaction with no bytes.
	CodeEmptyTx election.Code = 10001
	// CodeNotReady rejects a transaction that arrives before InitChain.
	CodeNotReady election.Code = 10002
	// CodeNodeError refuses a transaction at CheckTx because the node's
	// store failed; it says nothing about the transaction.
	CodeNodeError election.Code = 10003
)

// EventType is the ABCI event type of a transaction's result attributes.
const EventType = "evote"

var (
	// ErrNotInitialized means the chain has no genesis yet (no InitChain).
	ErrNotInitialized = errors.New("chain: not initialised (no InitChain yet)")
	// ErrAppClosed is returned by a closed App.
	ErrAppClosed = errors.New("chain: app closed")
)

// App is the ABCI 2.0 application: it runs the state machine on the SQLite
// store. It is safe for concurrent use: the node gives each ABCI connection
// its own lock and CheckTx none (clientCreator), so CheckTx calls run in
// parallel with each other, and CheckTx, Query and Info with the consensus
// connection's calls.
type App struct {
	abci.BaseApplication // vote extensions: unused

	store      *Store
	newMachine MachineFactory
	cache      *VerdictCache

	mu      sync.RWMutex // guards machine and chainID
	machine StateMachine
	chainID string

	cmu        sync.Mutex // serialises the consensus connection's calls with Close
	staged     *Block     // between FinalizeBlock and Commit
	stagedTime time.Time
	closed     bool
	// genesisVals are the validators InitChain got: the first block
	// writes them into the state (validators.go).
	genesisVals []election.Validator

	afterCommit func(height int64)                        // tests: called after each durable Commit
	proposer    func(height int64, txs [][]byte) [][]byte // tests: Options.Proposer
	logger      cmtlog.Logger                             // nil: silent
	// fault, if set, learns that FinalizeBlock or Commit failed: the node
	// halts (halt.go).
	fault func(height int64, err error)

	batcher     precheckBatcher // Precheck's batches of concurrent transactions
	asyncChecks atomic.Int64    // CheckTx calls answered asynchronously (parallelCheckTxClient)
	retries     retries         // gossiped transactions refused for a moment (retry.go)

	sigMu    sync.Mutex
	commitCh chan struct{} // closed, and replaced, after each durable Commit
	dropped  droppedTxs    // what the mempool's recheck refused (dropped.go)

	// State sync (snapshot.go): the node's snapshots (nil: none taken or
	// offered), the genesis a restored snapshot must hold, the store's
	// file, and the snapshot being applied (under cmu).
	snaps       *Snapshots
	wantGenesis *genesisRow
	storePath   string
	restoring   *restore
}

// commitSignal returns a channel that is closed after the next durable
// Commit. Take it before looking at committed state, then wait on it: no
// commit can slip between the look and the wait.
func (a *App) commitSignal() <-chan struct{} {
	a.sigMu.Lock()
	defer a.sigMu.Unlock()
	if a.commitCh == nil {
		a.commitCh = make(chan struct{})
	}
	return a.commitCh
}

func (a *App) signalCommit() {
	a.sigMu.Lock()
	defer a.sigMu.Unlock()
	if a.commitCh != nil {
		close(a.commitCh)
		a.commitCh = nil
	}
}

var _ abci.Application = (*App)(nil)

// NewApp returns the application over store, which it owns from now on
// (Close closes it). If the store holds a genesis, the machine is built
// from it now; otherwise at InitChain. cacheSize bounds the verdict cache
// (DefaultCacheSize if <= 0).
func NewApp(store *Store, newMachine MachineFactory, cacheSize int) (*App, error) {
	if newMachine == nil {
		return nil, errors.New("chain: NewApp: no machine factory")
	}
	a := &App{store: store, newMachine: newMachine, cache: NewVerdictCache(cacheSize)}
	chainID, appState, ok, err := store.Genesis()
	if err != nil {
		return nil, err
	}
	if ok {
		m, err := newMachine(json.RawMessage(appState), chainID)
		if err != nil {
			return nil, fmt.Errorf("chain: build the state machine from the stored genesis: %w", err)
		}
		a.machine, a.chainID = m, chainID
	}
	return a, nil
}

// Close rolls back a staged block and closes the store. It waits for a
// FinalizeBlock or Commit in progress.
func (a *App) Close() error {
	a.batcher.close()
	a.cmu.Lock()
	defer a.cmu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	if a.restoring != nil {
		a.restoring.abort()
		a.restoring = nil
	}
	if a.staged != nil {
		a.staged.Rollback()
		a.staged = nil
	}
	return a.store.Close()
}

// Store is the app's store.
func (a *App) Store() *Store { return a.store }

// Cache is the app's verdict cache.
func (a *App) Cache() *VerdictCache { return a.cache }

func (a *App) current() (StateMachine, string) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.machine, a.chainID
}

// Precheck returns tx's hash and its Precheck verdict: from the cache, or
// computed and cached. Many goroutines may call it at once; this is where
// ballots are verified in parallel: in the caller's goroutine, or, when the
// machine is a BatchPrechecker, in batches of the transactions waiting
// together (precheckBatcher). A verdict reached while the store failed is
// not cached: Precheck returns the store's error instead.
func (a *App) Precheck(tx []byte) (TxHash, election.Result, error) {
	hash := HashTx(tx)
	res, err := a.precheckHashed(hash, tx)
	return hash, res, err
}

func (a *App) precheckHashed(hash TxHash, tx []byte) (election.Result, error) {
	if len(tx) == 0 {
		return emptyTxResult, nil
	}
	if res, ok := a.cache.Get(hash); ok {
		return res, nil
	}
	m, _ := a.current()
	if m == nil {
		return election.Result{}, ErrNotInitialized
	}
	if _, ok := m.(BatchPrechecker); ok {
		return a.batchedPrecheck(hash, tx)
	}
	return a.precheck(m, a.store.Reader(), hash, tx)
}

// precheck runs m.Precheck and caches its verdict; a node fault is no
// verdict and is not cached.
func (a *App) precheck(m StateMachine, st election.ReadStore, hash TxHash, tx []byte) (election.Result, error) {
	res, err := m.Precheck(st, tx)
	if err != nil {
		return election.Result{}, fmt.Errorf("chain: precheck: %w", err)
	}
	// A transient verdict (the election, its key or its aggregates do not
	// exist yet) may change as the chain advances: caching it would let
	// nodes that saw the transaction at different heights disagree.
	if !res.Code.Transient() {
		a.cache.Put(hash, res)
	}
	return res, nil
}

var emptyTxResult = election.Result{Code: CodeEmptyTx, Log: "empty transaction"}

// Info answers from the committed (height, app hash) row.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	m, err := a.store.Meta()
	if err != nil {
		return nil, err
	}
	return &abci.ResponseInfo{
		Data:             "evote",
		Version:          "evote/v1",
		AppVersion:       AppVersion,
		LastBlockHeight:  m.Height,
		LastBlockAppHash: m.AppHash,
	}, nil
}

// InitChain builds the machine from the genesis app state in its canonical
// form (CanonicalAppState) and stores the genesis; the app hash becomes
// GenesisAppHash.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	a.cmu.Lock()
	defer a.cmu.Unlock()
	if a.closed {
		return nil, ErrAppClosed
	}
	appState, err := election.CanonicalAppState(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	m, err := a.newMachine(json.RawMessage(appState), req.ChainId)
	if err != nil {
		return nil, fmt.Errorf("chain: build the state machine from the genesis: %w", err)
	}
	hash := election.GenesisAppHash(req.ChainId, appState)
	if err := a.store.InitGenesis(req.ChainId, appState, hash); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.machine, a.chainID = m, req.ChainId
	a.mu.Unlock()
	if a.genesisVals, err = validatorsOfInitChain(req.Validators); err != nil {
		return nil, err
	}
	return &abci.ResponseInitChain{AppHash: hash}, nil
}

// CheckTx admits a transaction to the mempool: its Precheck verdict (from
// the cache if Node.Submit or an earlier CheckTx computed it), then Check
// against one snapshot of committed state. Check sees the block the
// transaction would go in at the earliest: the committed height plus one,
// with the last committed block's time.
func (a *App) CheckTx(ctx context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	hash := HashTx(req.Tx)
	res, err := a.checkTx(ctx, req.Tx, hash)
	if err == nil {
		a.noteCheck(req, hash, res)
	}
	return res, err
}

// checkTx is CheckTx of tx, whose hash the caller has.
func (a *App) checkTx(ctx context.Context, tx []byte, hash TxHash) (*abci.ResponseCheckTx, error) {
	res, err := a.precheckHashed(hash, tx)
	if errors.Is(err, ErrNotInitialized) {
		return &abci.ResponseCheckTx{Code: uint32(CodeNotReady), Log: err.Error()}, nil
	}
	if err != nil { // CometBFT would panic on an error here
		return &abci.ResponseCheckTx{Code: uint32(CodeNodeError), Log: err.Error()}, nil
	}
	if !res.OK() {
		return checkTxResponse(res), nil
	}
	m, chainID := a.current()
	err = a.store.View(ctx, func(meta Meta, st election.ReadStore) error {
		b := election.Block{ChainID: chainID, Height: meta.Height + 1, Time: meta.Time}
		var err error
		res, err = m.Check(st, b, tx, true)
		return err
	})
	if err != nil {
		return &abci.ResponseCheckTx{Code: uint32(CodeNodeError), Log: err.Error()}, nil
	}
	return checkTxResponse(res), nil
}

func checkTxResponse(res election.Result) *abci.ResponseCheckTx {
	return &abci.ResponseCheckTx{Code: uint32(res.Code), Log: res.Log, Events: events(res), GasWanted: 1}
}

// PrepareProposal keeps the mempool's order and drops empty and repeated
// transactions, those whose cached Precheck verdict is a rejection, those
// that Check refuses against the committed state (a transaction the
// mempool has not rechecked yet since the last block), and those that do
// not fit in MaxTxBytes. What it proposes passes ProcessProposal's rule on
// every honest validator.
func (a *App) PrepareProposal(ctx context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	out := make([][]byte, 0, len(req.Txs))
	seen := make(map[TxHash]bool, len(req.Txs))
	var size int64
	for _, tx := range req.Txs {
		if len(tx) == 0 {
			continue
		}
		h := HashTx(tx)
		if seen[h] {
			continue
		}
		if res, ok := a.cache.Get(h); ok && !res.OK() {
			continue
		}
		n := cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{tx})
		if size+n > req.MaxTxBytes {
			continue
		}
		seen[h] = true
		size += n
		out = append(out, tx)
	}
	if m, _ := a.current(); m != nil && len(out) > 0 {
		if bad, err := a.admissible(ctx, m, out, hashes(out)); err == nil {
			kept := out[:0]
			for i, tx := range out {
				if bad[i] == nil {
					kept = append(kept, tx)
				}
			}
			out = kept
		}
		// A store failure: propose as the mempool has it; the other
		// validators judge the proposal by the rule all the same.
	}
	if a.proposer != nil {
		out = a.proposer(req.Height, out)
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// ProcessProposal rejects a proposal that no honest validator makes: one
// holding an empty transaction or the same transaction twice, or a
// transaction that Check refuses against the committed state the block
// builds on. An honest proposer's transactions all passed Check against
// that state (its mempool rechecks them after each block, and
// PrepareProposal checks again), and every honest validator judges alike,
// since they hold the same committed state and Check is deterministic. So
// a validator that proposes a ballot with a bad proof, from a voter not on
// the roll, or after the close, has its proposal refused, and the round
// passes to the next proposer: nothing it made up is ever committed. A
// transaction that passed Check may still be refused in its block because
// of an earlier one in the same block (a second ballot of one voter, a
// ballot after a closing in the same block): it is executed and recorded
// with its rejection code. The cache misses are prechecked here, in
// parallel, so FinalizeBlock finds their verdicts in the cache.
func (a *App) ProcessProposal(ctx context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	reject := &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}
	hs := hashes(req.Txs)
	if err := wellFormed(req.Txs, hs); err != nil {
		return reject, nil
	}
	m, _ := a.current()
	if m == nil || len(req.Txs) == 0 {
		return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
	}
	bad, err := a.admissible(ctx, m, req.Txs, hs)
	if err != nil {
		// The store failed: this node cannot judge, and says no rather
		// than vote for what it did not check.
		return reject, nil
	}
	status := abci.ResponseProcessProposal_ACCEPT
	for i, res := range bad {
		if res != nil {
			a.logRejectedProposal(req.Height, req.ProposerAddress, i, hs[i], *res)
			status = abci.ResponseProcessProposal_REJECT
		}
	}
	return &abci.ResponseProcessProposal{Status: status}, nil
}

// logRejectedProposal says which transaction made this node refuse a
// proposal, and whose: an operator sees a misbehaving validator by it.
func (a *App) logRejectedProposal(height int64, proposer []byte, i int, h TxHash, res election.Result) {
	if a.logger == nil {
		return
	}
	a.logger.Error("refused a proposal holding a transaction that Check refuses: the proposer is faulty or dishonest",
		"height", height, "proposer", fmt.Sprintf("%X", proposer), "tx", i, "hash", fmt.Sprintf("%x", h[:]), "code", res.Code.String(), "log", res.Log)
}

// admissible judges each transaction of a proposal as CheckTx would on the
// committed state: Precheck (cached, the misses in parallel) and Check.
// bad[i] is the rejection of transaction i, nil if it is admissible. An
// error is a store failure.
func (a *App) admissible(ctx context.Context, m StateMachine, txs [][]byte, hs []TxHash) ([]*election.Result, error) {
	verdicts, err := a.prechecks(m, txs, hs)
	if err != nil {
		return nil, err
	}
	bad := make([]*election.Result, len(txs))
	_, chainID := a.current()
	err = a.store.View(ctx, func(meta Meta, st election.ReadStore) error {
		b := election.Block{ChainID: chainID, Height: meta.Height + 1, Time: meta.Time}
		for i, tx := range txs {
			res := verdicts[i]
			if res.OK() {
				var err error
				if res, err = m.Check(st, b, tx, true); err != nil {
					return err
				}
			}
			if !res.OK() {
				bad[i] = &res
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return bad, nil
}

// errMalformed is why ProcessProposal rejects a proposal.
var errMalformed = errors.New("chain: malformed proposal")

func wellFormed(txs [][]byte, hs []TxHash) error {
	seen := make(map[TxHash]bool, len(txs))
	for i, tx := range txs {
		if len(tx) == 0 {
			return fmt.Errorf("%w: transaction %d is empty", errMalformed, i)
		}
		h := hs[i]
		if seen[h] {
			return fmt.Errorf("%w: transaction %d repeats an earlier one", errMalformed, i)
		}
		seen[h] = true
	}
	return nil
}

func hashes(txs [][]byte) []TxHash {
	hs := make([]TxHash, len(txs))
	for i, tx := range txs {
		hs[i] = HashTx(tx)
	}
	return hs
}

// prechecks returns the Precheck verdict of every transaction: cached ones
// from the cache, the others computed in parallel against committed state
// and cached. It fails if the store failed.
func (a *App) prechecks(m StateMachine, txs [][]byte, hs []TxHash) ([]election.Result, error) {
	res := make([]election.Result, len(txs))
	var miss []int
	for i, tx := range txs {
		if len(tx) == 0 {
			res[i] = emptyTxResult
			continue
		}
		if r, ok := a.cache.Get(hs[i]); ok {
			res[i] = r
			continue
		}
		miss = append(miss, i)
	}
	if len(miss) == 0 {
		return res, nil
	}
	if _, ok := m.(BatchPrechecker); ok {
		// In batches, one per core, outside the batcher's queue: the
		// consensus waits for this, so it must not wait behind the
		// transactions gossiped meanwhile.
		chunks := min(runtime.GOMAXPROCS(0), len(miss))
		reqs := make([]*precheckReq, len(miss))
		for k, i := range miss {
			reqs[k] = &precheckReq{tx: txs[i], hash: hs[i]}
		}
		var wg sync.WaitGroup
		for c := range chunks {
			part := reqs[c*len(reqs)/chunks : (c+1)*len(reqs)/chunks]
			wg.Go(func() {
				for len(part) > 0 {
					n := min(len(part), maxPrecheckBatch)
					a.precheckBatch(part[:n])
					part = part[n:]
				}
			})
		}
		wg.Wait()
		var errs []error
		for k, i := range miss {
			res[i] = reqs[k].res
			errs = append(errs, reqs[k].err)
		}
		return res, errors.Join(errs...)
	}
	workers := min(runtime.GOMAXPROCS(0), len(miss))
	next := make(chan int)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := a.store.Reader()
			for i := range next {
				var err error
				res[i], err = a.precheck(m, st, hs[i], txs[i])
				if err != nil && errs[w] == nil {
					errs[w] = err
				}
			}
		}()
	}
	for _, i := range miss {
		next <- i
	}
	close(next)
	wg.Wait()
	return res, errors.Join(errs...)
}

// FinalizeBlock executes the decided block and stages its writes: the
// Precheck verdicts (cache misses computed in parallel first), BeginBlock,
// Deliver of every transaction that passed Precheck (a rejected one's
// writes are rolled back), the block's End, and the new app hash. Nothing is
// durable until Commit. A store failure is a node fault: FinalizeBlock
// returns an error and CometBFT stops.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	r, err := a.finalizeBlock(req)
	if err != nil && a.fault != nil {
		a.fault(req.Height, err)
	}
	return r, err
}

func (a *App) finalizeBlock(req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.cmu.Lock()
	defer a.cmu.Unlock()
	if a.closed {
		return nil, ErrAppClosed
	}
	if a.staged != nil { // executed before without Commit: start again
		a.staged.Rollback()
		a.staged = nil
	}
	m, chainID := a.current()
	if m == nil {
		return nil, ErrNotInitialized
	}
	blk := election.Block{ChainID: chainID, Height: req.Height, Time: req.Time}
	hs := hashes(req.Txs)
	verdicts, err := a.prechecks(m, req.Txs, hs)
	if err != nil {
		return nil, fmt.Errorf("chain: block %d: %w", req.Height, err)
	}

	b, err := a.store.Begin(req.Height)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*abci.ResponseFinalizeBlock, error) {
		b.Rollback()
		return nil, fmt.Errorf("chain: block %d: %w", req.Height, err)
	}
	if err := a.initValidators(m, b); err != nil {
		return fail(err)
	}
	exec, err := m.BeginBlock(b, blk)
	if err != nil {
		return fail(fmt.Errorf("BeginBlock: %w", err))
	}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, tx := range req.Txs {
		res := verdicts[i]
		// A transient rejection was decided on committed state; the block
		// may itself create what the transaction needs (an election earlier
		// in the block), so Deliver verifies it in full on the staged state.
		if res.OK() || res.Code.Transient() {
			if err := b.BeginTx(); err != nil {
				return fail(err)
			}
			res, err = exec.Deliver(tx, res.OK())
			if err != nil { // a node fault: the whole block rolls back
				return fail(fmt.Errorf("transaction %d: %w", i, err))
			}
			if err := b.EndTx(res.OK()); err != nil {
				return fail(err)
			}
		}
		if err := b.Err(); err != nil {
			return fail(fmt.Errorf("transaction %d: %w", i, err))
		}
		if err := b.AddTx(hs[i][:], i, res.Code, res.Log); err != nil {
			return fail(err)
		}
		results[i] = &abci.ExecTxResult{Code: uint32(res.Code), Log: res.Log, Events: events(res), GasWanted: 1}
	}
	if err := exec.End(); err != nil {
		return fail(fmt.Errorf("End: %w", err))
	}
	if err := b.Err(); err != nil {
		return fail(err)
	}
	appHash, err := b.Seal()
	if err != nil {
		return fail(err)
	}
	a.staged, a.stagedTime = b, req.Time
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: appHash, ValidatorUpdates: validatorUpdates(exec)}, nil
}

// Commit makes the staged block durable: its writes, its transactions' rows
// and the (height, app hash) row in one SQL commit. Blocks are never
// pruned: RetainHeight is 0.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	h, err := a.commit()
	if err != nil && a.fault != nil {
		a.fault(h, err)
	}
	if err != nil {
		return nil, err
	}
	return &abci.ResponseCommit{RetainHeight: 0}, nil
}

// commit is Commit; it returns the height it committed or failed to.
func (a *App) commit() (int64, error) {
	a.cmu.Lock()
	defer a.cmu.Unlock()
	if a.closed {
		return 0, ErrAppClosed
	}
	if a.staged == nil {
		return 0, errors.New("chain: Commit without FinalizeBlock")
	}
	b := a.staged
	a.staged = nil
	if _, err := b.Commit(a.stagedTime); err != nil {
		return b.Height(), err
	}
	a.signalCommit()
	if a.snaps.due(b.Height()) {
		a.snaps.take(a.store)
	}
	if a.afterCommit != nil {
		a.afterCommit(b.Height())
	}
	return b.Height(), nil
}

// Query paths.
const (
	// QueryKey: data is a key; the answer is its committed value.
	QueryKey = "/key"
	// QueryTx: data is a transaction hash; the answer is the JSON of its
	// committed TxRow.
	QueryTx = "/tx"
)

// Query answers QueryKey and QueryTx from committed state. Code 1 means
// an unknown path, 2 not found.
func (a *App) Query(ctx context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	switch req.Path {
	case QueryKey:
		var resp abci.ResponseQuery
		err := a.store.View(ctx, func(m Meta, st election.ReadStore) error {
			v, err := st.Get(req.Data)
			resp = abci.ResponseQuery{Key: req.Data, Value: v, Height: m.Height}
			if v == nil {
				resp.Code, resp.Log = 2, "not found"
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		return &resp, nil
	case QueryTx:
		row, err := a.store.TxRow(req.Data)
		if errors.Is(err, ErrNotFound) {
			return &abci.ResponseQuery{Code: 2, Log: "not found", Key: req.Data}, nil
		}
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(row)
		if err != nil {
			return nil, err
		}
		return &abci.ResponseQuery{Key: req.Data, Value: v, Height: row.Height}, nil
	}
	return &abci.ResponseQuery{Code: 1, Log: "unknown query path " + req.Path}, nil
}

// ListSnapshots offers the node's snapshots on disk, newest first.
func (a *App) ListSnapshots(context.Context, *abci.RequestListSnapshots) (*abci.ResponseListSnapshots, error) {
	if a.snaps == nil {
		return &abci.ResponseListSnapshots{}, nil
	}
	ms, err := a.snaps.list()
	if err != nil {
		return nil, err
	}
	out := &abci.ResponseListSnapshots{}
	for _, m := range ms {
		meta, err := m.metadata()
		if err != nil {
			continue
		}
		h, err := hex.DecodeString(m.Hash)
		if err != nil {
			continue
		}
		out.Snapshots = append(out.Snapshots, &abci.Snapshot{Height: uint64(m.Height), Format: SnapshotFormatNumber,
			Chunks: m.Chunks, Hash: h, Metadata: meta})
	}
	return out, nil
}

// LoadSnapshotChunk serves a chunk of a snapshot on disk; an empty answer
// if it has none (a snapshot pruned meanwhile).
func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.RequestLoadSnapshotChunk) (*abci.ResponseLoadSnapshotChunk, error) {
	if a.snaps == nil || req.Format != SnapshotFormatNumber {
		return &abci.ResponseLoadSnapshotChunk{}, nil
	}
	c, err := a.snaps.chunk(int64(req.Height), req.Chunk)
	if err != nil {
		return &abci.ResponseLoadSnapshotChunk{}, nil
	}
	return &abci.ResponseLoadSnapshotChunk{Chunk: c}, nil
}

// OfferSnapshot accepts a snapshot of SnapshotFormat whose hash is that of
// its chunk hashes, into a store that holds no block; it keeps the app
// hash the light client verified (req.AppHash), which the restored rows
// must reach.
func (a *App) OfferSnapshot(_ context.Context, req *abci.RequestOfferSnapshot) (*abci.ResponseOfferSnapshot, error) {
	a.cmu.Lock()
	defer a.cmu.Unlock()
	if a.closed {
		return nil, ErrAppClosed
	}
	answer := func(r abci.ResponseOfferSnapshot_Result, why string) (*abci.ResponseOfferSnapshot, error) {
		if a.logger != nil && r != abci.ResponseOfferSnapshot_ACCEPT {
			a.logger.Info("refused an offered snapshot", "result", r.String(), "why", why)
		}
		return &abci.ResponseOfferSnapshot{Result: r}, nil
	}
	s := req.Snapshot
	if s == nil || s.Format != SnapshotFormatNumber {
		return answer(abci.ResponseOfferSnapshot_REJECT_FORMAT, "not "+SnapshotFormat)
	}
	hashes, err := splitChunkHashes(s.Metadata, s.Chunks)
	if err != nil {
		return answer(abci.ResponseOfferSnapshot_REJECT, err.Error())
	}
	if s.Height < 1 || s.Height > math.MaxInt64 || !bytes.Equal(SnapshotHash(int64(s.Height), hashes), s.Hash) {
		return answer(abci.ResponseOfferSnapshot_REJECT, "its hash is not that of its chunk hashes")
	}
	if len(req.AppHash) == 0 {
		return answer(abci.ResponseOfferSnapshot_REJECT, "no trusted app hash")
	}
	if a.restoring != nil {
		a.restoring.abort()
		a.restoring = nil
	}
	r, err := a.store.beginRestore(int64(s.Height), hashes, req.AppHash)
	if err != nil {
		return answer(abci.ResponseOfferSnapshot_ABORT, err.Error())
	}
	a.restoring = r
	return answer(abci.ResponseOfferSnapshot_ACCEPT, "")
}

// ApplySnapshotChunk loads a chunk of the accepted snapshot: a chunk whose
// SHA-256 is not the listed one is fetched again from another peer (its
// sender refused); a malformed stream, a genesis other than this node's,
// or rows whose recomputed app hash is not the trusted one reject the
// snapshot and leave the store empty. After the last chunk the state
// machine is built from the restored genesis.
func (a *App) ApplySnapshotChunk(ctx context.Context, req *abci.RequestApplySnapshotChunk) (*abci.ResponseApplySnapshotChunk, error) {
	a.cmu.Lock()
	defer a.cmu.Unlock()
	if a.closed {
		return nil, ErrAppClosed
	}
	r := a.restoring
	if r == nil {
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ABORT}, nil
	}
	reject := func(err error) (*abci.ResponseApplySnapshotChunk, error) {
		r.abort()
		a.restoring = nil
		if a.logger != nil {
			a.logger.Error("refused a snapshot", "height", r.height, "err", err)
		}
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT}, nil
	}
	err := r.apply(req.Index, req.Chunk)
	if errors.Is(err, errChunkHash) {
		if a.logger != nil {
			a.logger.Error("refused a snapshot chunk", "height", r.height, "chunk", req.Index, "sender", req.Sender, "err", err)
		}
		var senders []string
		if req.Sender != "" {
			senders = []string{req.Sender}
		}
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_RETRY,
			RefetchChunks: []uint32{req.Index}, RejectSenders: senders}, nil
	}
	if err != nil {
		return reject(err)
	}
	if int(r.next) < len(r.hashes) {
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ACCEPT}, nil
	}
	chainID, appState := r.genesis[0].(string), r.genesis[1].([]byte)
	if w := a.wantGenesis; w != nil && (w.chainID != chainID || !bytes.Equal(w.appState, appState)) {
		return reject(fmt.Errorf("%w: its genesis (chain %q) is not this node's (chain %q)", ErrSnapshot, chainID, w.chainID))
	}
	m, err := a.newMachine(json.RawMessage(appState), chainID)
	if err != nil {
		return reject(fmt.Errorf("%w: build the state machine from its genesis: %v", ErrSnapshot, err))
	}
	check, err := r.finish(ctx, a.store, a.storePath)
	a.restoring = nil
	if errors.Is(err, ErrStateAltered) {
		if a.logger != nil {
			a.logger.Error("refused a snapshot: its rows do not make the trusted app hash", "height", r.height, "err", err)
		}
		return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT}, nil
	}
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.machine, a.chainID = m, chainID
	a.mu.Unlock()
	a.signalCommit()
	if a.logger != nil {
		a.logger.Info("restored a snapshot", "height", r.height, "rows", check.Rows, "app_hash", fmt.Sprintf("%X", check.AppHash),
			"took", time.Since(r.started).String())
	}
	return &abci.ResponseApplySnapshotChunk{Result: abci.ResponseApplySnapshotChunk_ACCEPT}, nil
}

func events(res election.Result) []abci.Event {
	if len(res.Events) == 0 {
		return nil
	}
	attrs := make([]abci.EventAttribute, len(res.Events))
	for i, at := range res.Events {
		attrs[i] = abci.EventAttribute{Key: at.Key, Value: at.Value, Index: true}
	}
	return []abci.Event{{Type: EventType, Attributes: attrs}}
}
