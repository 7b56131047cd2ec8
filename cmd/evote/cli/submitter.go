package cli

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
)

// submitter sends a transaction and waits for its commit; a rejection at
// admission or in the block is an error naming what was submitted.
type submitter interface {
	submit(ctx context.Context, what string, tx []byte) error
	chainID(ctx context.Context) (string, error)
}

// localSubmitter submits to a node running in this process.
type localSubmitter struct{ n *chain.Node }

func (l localSubmitter) chainID(ctx context.Context) (string, error) {
	st, err := l.n.Status(ctx)
	return st.ChainID, err
}

func (l localSubmitter) submit(ctx context.Context, what string, tx []byte) error {
	hash, res, err := l.n.Submit(ctx, tx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !res.OK() {
		return fmt.Errorf("%s: rejected: %s (%s)", what, res.Code, res.Log)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rec, err := l.n.WaitForReceipt(wctx, hash[:])
	if err != nil {
		return fmt.Errorf("%s: waiting for commit: %w", what, err)
	}
	if rec.Code != election.CodeOK {
		return fmt.Errorf("%s: rejected in block %d: %s (%s)", what, rec.Height, rec.Code, rec.Log)
	}
	return nil
}

// apiSubmitter submits to a node's HTTP API, once, waiting for the commit.
type apiSubmitter struct{ *api.Client }

// newLoadClient is a client of the node at base for many concurrent
// callers (the load generator): the default transport keeps two idle
// connections per host, so a load of hundreds of callers would open (and
// leave in TIME_WAIT) a connection per request.
func newLoadClient(base string) (*api.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 4096
	return api.NewClient(base, &http.Client{Timeout: 90 * time.Second, Transport: tr})
}

func (s apiSubmitter) chainID(ctx context.Context) (string, error) {
	st, err := s.Status(ctx)
	if err != nil {
		return "", err
	}
	return st.ChainID, nil
}

func (s apiSubmitter) submit(ctx context.Context, what string, tx []byte) error {
	a, err := s.Submit(ctx, tx, api.SubmitOptions{Wait: true, NoReceipt: true})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !a.Committed {
		return fmt.Errorf("%s: %s not committed", what, a.TrackingCode)
	}
	return nil
}
