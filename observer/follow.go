package observer

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// Follower verifies an election's blocks as they arrive, from the feed
// (docs/spec/feed.md), with the rules and the code of Verify: Verify is a
// Follower fed from a record. Blocks are checked as they are added
// (headers, commits, hashes); signatures and proofs are verified in
// windows on all cores and the rules replayed after them, so Add may
// return before a block is replayed: Flush verifies everything added.
//
// The feed's ballots carry no replaced mark (later blocks are not known
// yet); everything else is checked as in a record, including the state
// commitment at every block. A Follower is used by one goroutine.
type Follower struct {
	v            *verifier
	cur, pending *window
	prev         int64
	n            int
	err          error
	closed       bool
	resumed      hash.Hash // the journal's chain, when resumed from one
}

// FollowStatus is how far a Follower has verified.
type FollowStatus struct {
	// Height is the block up to which everything is verified: every block
	// to it checked and replayed, and the election's state after it proven
	// by the validators' signatures (or unchanged since it was).
	Height int64 `json:"height"`
	// Replayed is the last block replayed (its state may await the next
	// block's proof); Checked the last block added.
	Replayed int64 `json:"replayed"`
	Checked  int64 `json:"checked"`
	// The election as the replay has it.
	Created  bool   `json:"created"`
	Phase    string `json:"phase,omitempty"`
	RollSize uint64 `json:"roll_size"`
	Voters   uint64 `json:"voters"`
	Ballots  uint64 `json:"ballots"` // accepted, replaced ones included
	Txs      int    `json:"txs"`
	// State is the hex SHA-256 commitment hash of the last proven state,
	// the state after block StateHeight ("" before the first proof).
	State       string `json:"state,omitempty"`
	StateHeight int64  `json:"state_height"`
	// Result, once the rules derived it.
	Result *RecordResult `json:"result,omitempty"`
}

// NewFollower starts verifying election head.Election from the chain's
// first block: the first block added must be block 1 (the genesis anchor).
// opts as for Verify; Progress is called after each block replayed.
// Close it when done.
func NewFollower(head *RecordHead, opts VerifyOptions) (*Follower, error) {
	v, err := newVerifier(context.Background(), head, opts)
	if err != nil {
		return nil, err
	}
	v.live = true
	return &Follower{v: v, cur: &window{}}, nil
}

// Add checks block b and queues it for verification. Blocks come as the
// feed sends them: every block, in order, from block 1 (or from the block
// after a resumed journal's checkpoint). Add returns the first failure
// (a *VerifyError), then the same failure on every later call.
func (f *Follower) Add(ctx context.Context, b *RecordBlock) error {
	if err := f.usable(ctx); err != nil {
		return err
	}
	if f.n > 0 && b.Height != f.prev+1 {
		// The feed sends every block, in order: a gap or a block out of
		// order is the node's (or a proxy's) doing.
		f.err = fail(fmt.Sprintf("block %d", b.Height), CodeRecordMalformed,
			"the feed sent block %d where block %d was due: blocks left out or out of order", b.Height, f.prev+1)
		return f.err
	}
	vb := f.v.checkBlock(b, f.prev, f.n == 0)
	f.n++
	if vb.err == nil {
		f.prev = b.Height
	}
	return f.add(vb)
}

func (f *Follower) usable(ctx context.Context) error {
	if f.err != nil {
		return f.err
	}
	if f.closed {
		return errors.New("observer: follower closed")
	}
	f.v.ctx = ctx
	return nil
}

// add queues a checked block, submitting the window when it is full (or
// while the joint key is not fixed, every block, so that the key is known
// when ballots come).
func (f *Follower) add(vb *vblock) error {
	f.cur.blocks = append(f.cur.blocks, vb)
	for _, t := range vb.txs {
		if t.tx != nil && t.tx.Kind == election.KindBallot {
			f.cur.ballots++
		}
	}
	if vb.err != nil {
		return f.flush()
	}
	if f.cur.ballots >= windowBallots || f.v.jointKey() == nil {
		var err error
		if f.pending, err = f.v.submit(f.cur, f.pending); err != nil {
			f.err = err
			return err
		}
		f.cur = &window{}
	}
	return nil
}

// Flush verifies every block added so far.
func (f *Follower) Flush(ctx context.Context) error {
	if err := f.usable(ctx); err != nil {
		return err
	}
	return f.flush()
}

func (f *Follower) flush() error {
	var err error
	if len(f.cur.blocks) > 0 {
		f.pending, err = f.v.submit(f.cur, f.pending)
		f.cur = &window{}
	}
	if err == nil {
		err = f.v.replay(f.pending)
		f.pending = nil
	}
	if err != nil {
		f.err = err
	}
	return err
}

// Status is how far the follower has verified.
func (f *Follower) Status() FollowStatus {
	v := f.v
	s := FollowStatus{Replayed: v.progress.Height, Checked: f.prev, Txs: v.sum.Txs, StateHeight: v.stateHeight}
	s.Height = s.Replayed
	if v.unproven != 0 {
		s.Height = v.unproven - 1
	}
	if v.stateCommitment != nil {
		s.State = hex.EncodeToString(v.proven[:])
	}
	if c := v.current; c != nil {
		s.Created, s.Phase, s.RollSize, s.Voters, s.Ballots = true, c.Phase.String(), c.RollSize, c.Voters, c.Ballots
	}
	if r, ok := v.engine.(*rulesEngine); ok && r.result != nil {
		s.Result = r.result
	}
	return s
}

// Err is the failure that stopped the follower, if any.
func (f *Follower) Err() error { return f.err }

// Close stops the follower's workers.
func (f *Follower) Close() {
	if !f.closed {
		f.closed = true
		close(f.v.jobs)
	}
}

// Head is the record head the follower verifies against: the chain's
// genesis and the election's manifest.
func (f *Follower) Head() *RecordHead { return f.v.head }

// Aggregates are the election's running encrypted sums as the replay has
// them (after block Status().Replayed), in aggregate order, recomputed
// from the ballots verified: none before the joint key is fixed. A
// trustee decrypts these, never a node's word for them.
func (f *Follower) Aggregates() ([]*tally.Ciphertext, error) {
	switch e := f.v.engine.(type) {
	case *rulesEngine:
		out := make([]*tally.Ciphertext, len(e.aggs))
		for i, a := range e.aggs {
			out[i] = a.Copy()
		}
		return out, nil
	case *machineEngine:
		if e.jointKey() == nil {
			return nil, nil
		}
		return election.Aggregates(e.store, e.id)
	}
	return nil, errors.New("observer: no rules engine")
}
