package chain

import (
	"context"
	"sync"

	abcicli "github.com/cometbft/cometbft/abci/client"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/proxy"
)

// clientCreator gives CometBFT local ABCI clients over the App in which
// CheckTx takes no lock, so that transactions arriving from several peers,
// from RPC and from Node.Submit are checked in parallel. Every other call
// goes through a local client with its own mutex per connection, as
// proxy.NewConnSyncLocalClientCreator makes (CometBFT v0.38 has no
// unsynchronised local client). The App is safe for concurrent use.
//
// The mempool holds its update lock (shared) around each CheckTx and
// (exclusive) around Commit and the recheck that follows, so CheckTx still
// never overlaps Commit.
type clientCreator struct{ app *App }

var _ proxy.ClientCreator = clientCreator{}

func (c clientCreator) NewABCIClient() (abcicli.Client, error) {
	return &parallelCheckTxClient{Client: abcicli.NewLocalClient(nil, c.app), app: c.app}, nil
}

// parallelCheckTxClient is a local client whose CheckTx calls the App
// directly, without the client's mutex.
type parallelCheckTxClient struct {
	abcicli.Client
	app *App

	mu sync.Mutex
	cb abcicli.Callback // the global response callback (the mempool's)
}

func (c *parallelCheckTxClient) SetResponseCallback(cb abcicli.Callback) {
	c.mu.Lock()
	c.cb = cb
	c.mu.Unlock()
	c.Client.SetResponseCallback(cb)
}

func (c *parallelCheckTxClient) CheckTx(ctx context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	return c.app.CheckTx(ctx, req)
}

// CheckTxAsync answers at once, as the local client does: the global
// callback has run and the returned ReqRes is done, so a callback set on it
// runs immediately.
func (c *parallelCheckTxClient) CheckTxAsync(ctx context.Context, req *abci.RequestCheckTx) (*abcicli.ReqRes, error) {
	res, err := c.app.CheckTx(ctx, req)
	if err != nil {
		return nil, err
	}
	request, response := abci.ToRequestCheckTx(req), abci.ToResponseCheckTx(res)
	c.mu.Lock()
	cb := c.cb
	c.mu.Unlock()
	if cb != nil {
		cb(request, response)
	}
	rr := abcicli.NewReqRes(request)
	rr.Response = response
	rr.InvokeCallback() // no callback yet: marks it done for SetCallback
	rr.Done()
	return rr, nil
}
