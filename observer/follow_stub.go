package observer

// TEMPORARY: a stand-in for the incremental verifier (Follower) with its
// final names and signatures, so that its callers build until the real one
// lands. It verifies nothing: it takes blocks in height order and counts
// them and their ballots. Drop this file when follow.go arrives.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
)

// FollowStatus is how far a Follower has verified.
type FollowStatus struct {
	Height  int64  `json:"height"`  // the last block verified
	Blocks  int    `json:"blocks"`  // blocks verified
	Ballots int    `json:"ballots"` // counted ballots, revotes included
	Voters  int    `json:"voters"`  // voters with a counted ballot
	Phase   string `json:"phase"`   // the election's phase after Height
	State   string `json:"state"`   // hex of the election's state commitment after Height
}

// Follower verifies an election's blocks as they come.
type Follower struct {
	head    *RecordHead
	opts    VerifyOptions
	queued  []*RecordBlock
	status  FollowStatus
	voters  map[string]bool
	lastTop int64
}

// NewFollower starts a verifier of the election head names, from its
// first block.
func NewFollower(head *RecordHead, opts VerifyOptions) (*Follower, error) {
	if head == nil {
		return nil, &VerifyError{Item: "head", Code: CodeRecordMalformed, Err: errors.New("no head")}
	}
	return &Follower{head: head, opts: opts, voters: map[string]bool{}, status: FollowStatus{Phase: "unknown"}}, nil
}

// Add queues block b, the next one after those added before, and verifies
// the queue when it is long enough.
func (f *Follower) Add(ctx context.Context, b *RecordBlock) error {
	if b == nil || b.Height <= f.lastTop {
		return &VerifyError{Item: fmt.Sprintf("block %d", b.Height), Code: CodeRecordMalformed,
			Err: fmt.Errorf("block %d after block %d", b.Height, f.lastTop)}
	}
	f.lastTop = b.Height
	f.queued = append(f.queued, b)
	if len(f.queued) >= 16 {
		return f.Flush(ctx)
	}
	return nil
}

// Flush verifies every queued block now.
func (f *Follower) Flush(ctx context.Context) error {
	for _, b := range f.queued {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, t := range b.Txs {
			if t.Kind == "ballot" {
				f.status.Ballots++
				f.voters[hex.EncodeToString(t.Tx[:min(len(t.Tx), 64)])] = true
			}
		}
		f.status.Height = b.Height
		f.status.Blocks++
	}
	f.status.Voters = len(f.voters)
	f.queued = f.queued[:0]
	return nil
}

// Status is how far f has verified.
func (f *Follower) Status() FollowStatus { return f.status }
