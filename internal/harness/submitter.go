package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/trustee"
)

// A Submitter is the chain as the roles see it: it submits a signed
// transaction and returns once it is committed and accepted, and it shows
// what the chain holds of an election.
type Submitter interface {
	// ChainID is the chain's id, which every transaction signs.
	ChainID(ctx context.Context) (string, error)
	// Submit submits tx and waits for its commit. It returns the height of
	// the block that accepted it; a refusal, at admission or in the block,
	// is a *Refused (errors.As), and what names the transaction in errors.
	Submit(ctx context.Context, what string, tx []byte) (int64, error)
	// View is what the chain shows of election id, filled as far as wants
	// asks for more than the detail (trustee.Trustee.Wants; nil: the
	// detail only).
	View(ctx context.Context, id election.ID, wants func(*trustee.View) trustee.Wants) (*trustee.View, error)
	// Wait lets the chain move on when a role has nothing to do: the
	// memory machine runs an empty block a step of its clock later, a
	// node is left a moment.
	Wait(ctx context.Context) error
}

// Refused is a transaction the chain refused.
type Refused struct {
	What   string
	Code   election.Code
	Height int64 // the block that refused it; 0 if refused at admission
	Log    string
	// Err is the submitter's own error for the refusal, if it has one
	// (*api.RefusedError over the API).
	Err error
}

func (e *Refused) Unwrap() error { return e.Err }

func (e *Refused) Error() string {
	where := "at admission"
	if e.Height > 0 {
		where = fmt.Sprintf("in block %d", e.Height)
	}
	return fmt.Sprintf("%s: refused %s: %s (%s)", e.What, where, e.Code, e.Log)
}

// CodeOf is the code of a refusal in err's chain, CodeOK if there is none.
func CodeOf(err error) election.Code {
	var r *Refused
	if errors.As(err, &r) {
		return r.Code
	}
	return election.CodeOK
}

// Node submits to a chain.Node running in this process and reads its
// committed state.
type Node struct {
	N *chain.Node
	// Poll is how long Wait waits; 0 means 50ms.
	Poll time.Duration
}

func (n Node) ChainID(ctx context.Context) (string, error) {
	st, err := n.N.Status(ctx)
	return st.ChainID, err
}

func (n Node) Submit(ctx context.Context, what string, tx []byte) (int64, error) {
	hash, res, err := n.N.Submit(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if !res.OK() {
		return 0, &Refused{What: what, Code: res.Code, Log: res.Log}
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rec, err := n.N.WaitForReceipt(wctx, hash[:])
	if err != nil {
		return 0, fmt.Errorf("%s: waiting for commit: %w", what, err)
	}
	if rec.Code != election.CodeOK {
		return 0, &Refused{What: what, Code: rec.Code, Height: rec.Height, Log: rec.Log}
	}
	return rec.Height, nil
}

func (n Node) View(ctx context.Context, id election.ID, wants func(*trustee.View) trustee.Wants) (*trustee.View, error) {
	chainID, err := n.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	return StoreView(n.N.App().Store().Reader(), chainID, id, wants)
}

func (n Node) Wait(ctx context.Context) error { return sleep(ctx, n.Poll, 50*time.Millisecond) }

// API submits through a node's HTTP API (api.Client.Commit) and reads
// through it.
type API struct {
	C *api.Client
	// Poll is how long Wait waits; 0 means 100ms.
	Poll time.Duration

	// Verifier recomputes what the trustees decrypt from the chain, with
	// the observer's engine; nil: a FeedVerifier of C's node that trusts
	// the genesis it serves first (and pins it).
	Verifier *FeedVerifier

	mu      sync.Mutex
	chainID string
	mans    map[election.ID]*election.Manifest // from the first look
}

func (a *API) verifier() *FeedVerifier {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.Verifier == nil {
		a.Verifier = &FeedVerifier{Nodes: []string{a.C.Base()}}
	}
	return a.Verifier
}

// NewAPI is the submitter of the node c talks to.
func NewAPI(c *api.Client) *API { return &API{C: c} }

func (a *API) ChainID(ctx context.Context) (string, error) {
	a.mu.Lock()
	id := a.chainID
	a.mu.Unlock()
	if id != "" {
		return id, nil
	}
	st, err := a.C.Status(ctx)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	a.chainID = st.ChainID
	a.mu.Unlock()
	return st.ChainID, nil
}

func (a *API) Submit(ctx context.Context, what string, tx []byte) (int64, error) {
	com, err := a.C.Commit(ctx, tx)
	var re *api.RefusedError
	if errors.As(err, &re) {
		return 0, &Refused{What: what, Code: re.Code, Height: re.Height, Log: re.Message, Err: re}
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return com.Height, nil
}

// View reads the election's detail, and what else wants asks for, through
// the API: as `evote trustee run` does.
func (a *API) View(ctx context.Context, id election.ID, wants func(*trustee.View) trustee.Wants) (*trustee.View, error) {
	chainID, err := a.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	man := a.mans[id]
	a.mu.Unlock()
	if man == nil {
		// The manifest comes from .../dkg, checked against the
		// election id by the client.
		m, err := a.C.DKG(ctx, id)
		if err != nil {
			return nil, err
		}
		man = m.Manifest.Manifest
		a.mu.Lock()
		if a.mans == nil {
			a.mans = map[election.ID]*election.Manifest{}
		}
		a.mans[id] = man
		a.mu.Unlock()
	}
	d, err := a.C.Election(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &trustee.View{ChainID: chainID, Election: id, Manifest: man, Phase: d.Phase, Failure: d.Failure,
		Deadline: d.Deadline, JointKey: d.JointKey}
	for _, t := range d.Trustees {
		v.Trustees = append(v.Trustees, trustee.Posted{Dealt: t.Dealt, ComplaintsPosted: t.ComplaintsPosted, SharesPosted: t.SharesPosted})
	}
	if wants == nil {
		return v, nil
	}
	// A trustee's view: the genesis its verification will be anchored on,
	// for the trustee to pin on first sight.
	if v.Genesis, err = a.verifier().Genesis(ctx, id); err != nil {
		return nil, err
	}
	want := wants(v)
	if want.Messages {
		// The messages are read after the detail, so that they hold at
		// least what it counts.
		m, err := a.C.DKG(ctx, id)
		if err != nil {
			return nil, err
		}
		v.Manifest = m.Manifest.Manifest
		if v.Messages, err = trustee.MessagesOf(m.Messages()); err != nil {
			return nil, err
		}
	}
	if want.Aggregates {
		t, err := a.C.Tally(ctx, id)
		if err != nil {
			return nil, err
		}
		v.Tally = &trustee.Tally{Phase: t.Phase, Voters: t.Voters, Aggregates: t.Aggregates()}
	}
	if want.Verified {
		if v.Verified, err = a.verifier().Verified(ctx, id); err != nil {
			return nil, err
		}
	}
	if want.Result {
		res, err := a.C.Result(ctx, id)
		if err != nil {
			return nil, err
		}
		v.Result = &trustee.Result{Height: res.Height, Trustees: res.Trustees}
	}
	return v, nil
}

func (a *API) Wait(ctx context.Context) error { return sleep(ctx, a.Poll, 100*time.Millisecond) }

func sleep(ctx context.Context, d, def time.Duration) error {
	if d <= 0 {
		d = def
	}
	return api.Sleep(ctx, d)
}

// StoreView is what the state r shows of election id (the queries of
// package election), as a trustee's view.
func StoreView(r election.ReadStore, chainID string, id election.ID, wants func(*trustee.View) trustee.Wants) (*trustee.View, error) {
	d, err := election.QueryElection(r, id)
	if err != nil {
		return nil, err
	}
	v := &trustee.View{ChainID: chainID, Election: id, Manifest: d.Manifest, Phase: d.Phase, Failure: d.Failure,
		Deadline: d.Deadline, JointKey: d.JointKey, Trustees: trustee.PostedOf(d.Trustees)}
	if wants == nil {
		return v, nil
	}
	want := wants(v)
	if want.Messages {
		m, err := election.QueryDKG(r, id)
		if err != nil {
			return nil, err
		}
		if v.Messages, err = trustee.MessagesOf(m); err != nil {
			return nil, err
		}
	}
	if want.Aggregates {
		ti, err := election.QueryTally(r, id)
		if err != nil {
			return nil, err
		}
		aggs, err := election.Aggregates(r, id)
		if err != nil {
			return nil, err
		}
		v.Tally = &trustee.Tally{Phase: ti.Phase, Voters: ti.Voters, Aggregates: aggs}
	}
	if want.Verified {
		// The store is this process's own state machine's: its aggregates
		// are the sums of the ballots it verified itself.
		ti, err := election.QueryTally(r, id)
		if err != nil {
			return nil, err
		}
		aggs, err := election.Aggregates(r, id)
		if err != nil {
			return nil, err
		}
		v.Verified = &trustee.Verified{Genesis: InProcessGenesis(chainID), Phase: ti.Phase, Voters: ti.Voters, Ballots: ti.Ballots, Aggregates: aggs}
	}
	if want.Result {
		res, err := election.QueryResult(r, id)
		if err != nil {
			return nil, err
		}
		v.Result = &trustee.Result{Height: res.Height, Trustees: res.Trustees}
	}
	return v, nil
}

// Queue is a Submitter that holds what the roles submit, for the caller to
// put in a block of its choice (or to submit with other transactions): each
// submission is answered as accepted, at height 0 (not known yet). Reads go
// to Read.
type Queue struct {
	Read Submitter
	Txs  [][]byte
}

func (q *Queue) ChainID(ctx context.Context) (string, error) { return q.Read.ChainID(ctx) }

func (q *Queue) Submit(_ context.Context, _ string, tx []byte) (int64, error) {
	q.Txs = append(q.Txs, tx)
	return 0, nil
}

func (q *Queue) View(ctx context.Context, id election.ID, wants func(*trustee.View) trustee.Wants) (*trustee.View, error) {
	return q.Read.View(ctx, id, wants)
}

func (q *Queue) Wait(ctx context.Context) error { return q.Read.Wait(ctx) }

// Take returns the transactions held, and empties the queue.
func (q *Queue) Take() [][]byte {
	txs := q.Txs
	q.Txs = nil
	return txs
}
