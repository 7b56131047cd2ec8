package chain

import (
	"context"
	"sync"

	abcicli "github.com/cometbft/cometbft/abci/client"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/proxy"
	"github.com/evote/evote/election"
)

// clientCreator gives CometBFT local ABCI clients over the App in which
// CheckTx takes no lock, so that transactions arriving from several peers,
// from RPC and from Node.Submit are checked in parallel. Every other call
// goes through a local client with its own mutex per connection, as
// proxy.NewConnSyncLocalClientCreator makes (CometBFT v0.38 has no
// unsynchronised local client). The App is safe for concurrent use.
//
// The mempool holds its update lock (shared) around each CheckTx and
// (exclusive) around Commit and the update that follows. A transaction
// whose Precheck verdict is not cached yet (one gossiped by a peer) is
// checked asynchronously, so that the peer's next transactions join the
// same verification batch; Flush, which the block executor calls under the
// exclusive lock before Commit, waits for those checks, so that no check
// of the old state completes after the mempool's update.
type clientCreator struct{ app *App }

var _ proxy.ClientCreator = clientCreator{}

func (c clientCreator) NewABCIClient() (abcicli.Client, error) {
	return &parallelCheckTxClient{Client: abcicli.NewLocalClient(nil, c.app), app: c.app, slots: make(chan struct{}, maxAsyncChecks)}, nil
}

// parallelCheckTxClient is a local client whose CheckTx calls the App
// directly, without the client's mutex.
type parallelCheckTxClient struct {
	abcicli.Client
	app *App

	mu sync.Mutex
	cb abcicli.Callback // the global response callback (the mempool's)

	inflight sync.WaitGroup // asynchronous checks under way
	slots    chan struct{}  // bounds them: a full set blocks the caller
}

// maxAsyncChecks bounds the asynchronous CheckTx calls under way: enough
// to fill two batches, few enough that Flush, which the consensus waits
// for before each Commit, takes a few tens of milliseconds at most. A peer
// whose transactions arrive faster waits (its reactor blocks in CheckTx).
const maxAsyncChecks = 2 * maxPrecheckBatch

func (c *parallelCheckTxClient) SetResponseCallback(cb abcicli.Callback) {
	c.mu.Lock()
	c.cb = cb
	c.mu.Unlock()
	c.Client.SetResponseCallback(cb)
}

func (c *parallelCheckTxClient) CheckTx(ctx context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	return c.app.CheckTx(ctx, req)
}

// CheckTxAsync answers at once, as the local client does, when the
// transaction's Precheck verdict is cached (Node.Submit computed it) or the
// machine does not batch: the global callback has run and the returned
// ReqRes is done, so a callback set on it runs immediately. Otherwise the
// check runs in its own goroutine and completes the ReqRes later.
func (c *parallelCheckTxClient) CheckTxAsync(ctx context.Context, req *abci.RequestCheckTx) (*abcicli.ReqRes, error) {
	request := abci.ToRequestCheckTx(req)
	hash := HashTx(req.Tx)
	if !c.async(hash) {
		res, err := c.app.checkTx(ctx, req.Tx, hash)
		if err != nil {
			return nil, err
		}
		c.app.noteCheck(req, hash, res)
		rr := abcicli.NewReqRes(request)
		c.complete(rr, request, res)
		return rr, nil
	}
	rr := abcicli.NewReqRes(request)
	c.slots <- struct{}{}
	c.inflight.Add(1)
	go func() {
		defer func() { <-c.slots; c.inflight.Done() }()
		c.app.asyncChecks.Add(1)
		// The mempool passes a context that is never cancelled; the check must not be either.
		res, err := c.app.checkTx(context.WithoutCancel(ctx), req.Tx, hash)
		if err != nil { // App.CheckTx answers its own faults with a code
			res = &abci.ResponseCheckTx{Code: uint32(CodeNodeError), Log: err.Error()}
		}
		if req.Type == abci.CheckTxType_New { // a recheck's refusal is the mempool's drop (dropped.go)
			c.app.retries.first(hash, req.Tx, election.Code(res.Code), c.app.refusedByCheck(hash, res))
		}
		c.app.noteCheck(req, hash, res)
		c.complete(rr, request, res)
	}()
	return rr, nil
}

// async reports whether the check of the transaction is worth batching: its verdict is
// not cached and the machine verifies in batches.
func (c *parallelCheckTxClient) async(hash TxHash) bool {
	if _, ok := c.app.cache.Get(hash); ok {
		return false
	}
	m, _ := c.app.current()
	_, ok := m.(BatchPrechecker)
	return ok
}

// complete gives the ReqRes its response and runs the callbacks.
func (c *parallelCheckTxClient) complete(rr *abcicli.ReqRes, request *abci.Request, res *abci.ResponseCheckTx) {
	response := abci.ToResponseCheckTx(res)
	c.mu.Lock()
	cb := c.cb
	c.mu.Unlock()
	if cb != nil {
		cb(request, response)
	}
	rr.Response = response
	rr.InvokeCallback() // runs a callback set meanwhile; marks it done for a later SetCallback
	rr.Done()
}

// Flush waits for the asynchronous checks under way.
func (c *parallelCheckTxClient) Flush(ctx context.Context) error {
	c.inflight.Wait()
	return c.Client.Flush(ctx)
}
