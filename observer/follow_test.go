package observer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
)

// unmarkedBlocks reads a record's head and blocks, the blocks as the feed
// serves them: without replaced marks. The reader is left at the claims.
func unmarkedBlocks(t *testing.T, rec []byte) (*observer.RecordReader, *observer.RecordHead, []*observer.RecordBlock) {
	t.Helper()
	rr := observer.NewRecordReader(bytes.NewReader(rec))
	head, err := rr.ReadHead()
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*observer.RecordBlock
	for {
		b, err := rr.NextBlock()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		for i := range b.Txs {
			b.Txs[i].Replaced = nil
		}
		blocks = append(blocks, b)
	}
	return rr, head, blocks
}

// liveBlocks reads the small record's head and blocks as the feed serves
// them: without replaced marks.
func liveBlocks(t *testing.T) (*observer.RecordHead, []*observer.RecordBlock, *observer.RecordClaims) {
	t.Helper()
	rr, head, blocks := unmarkedBlocks(t, small(t))
	claims, err := rr.ReadClaims()
	if err != nil {
		t.Fatal(err)
	}
	return head, blocks, claims
}

// follow feeds blocks to a new Follower one at a time, flushing after
// each, and returns the first failure.
func follow(t *testing.T, head *observer.RecordHead, blocks []*observer.RecordBlock, each func(observer.FollowStatus)) error {
	t.Helper()
	f, err := observer.NewFollower(head, observer.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	for _, b := range blocks {
		if err := f.Add(ctx, b); err != nil {
			return err
		}
		if err := f.Flush(ctx); err != nil {
			return err
		}
		if each != nil {
			each(f.Status())
		}
	}
	return nil
}

// TestFollowerVerifiesBlockByBlock: fed the blocks one at a time, the
// follower verifies each as it comes, its verified height never runs
// ahead of a state it has not seen proven, and it ends where the record's
// claims do.
func TestFollowerVerifiesBlockByBlock(t *testing.T) {
	head, blocks, claims := liveBlocks(t)
	var last observer.FollowStatus
	proofs := 0
	err := follow(t, head, blocks, func(s observer.FollowStatus) {
		if s.Height > s.Replayed || s.Replayed != s.Checked {
			t.Fatalf("status %+v: verified beyond what was replayed, or a block left unreplayed after Flush", s)
		}
		if s.Height < last.Height {
			t.Fatalf("verified height went back from %d to %d", last.Height, s.Height)
		}
		if s.StateHeight != last.StateHeight {
			proofs++
		}
		last = s
	})
	if err != nil {
		t.Fatal(err)
	}
	if last.Height != blocks[len(blocks)-1].Height || last.Phase != claims.Phase || last.Voters != claims.Voters || last.Ballots != claims.Ballots {
		t.Fatalf("final status %+v, claims %+v", last, claims)
	}
	if last.Result == nil || fmt.Sprint(last.Result.Totals) != fmt.Sprint(claims.Result.Totals) {
		t.Fatalf("result %+v, claims %+v", last.Result, claims.Result)
	}
	if last.State == "" || proofs < 5 {
		t.Fatalf("state %q proven %d times", last.State, proofs)
	}

	// A feed block carries no replaced mark.
	marked := *blocks[len(blocks)/2]
	for _, b := range blocks {
		if len(b.Txs) > 0 && b.Txs[0].Kind == "ballot" {
			marked = *b
			break
		}
	}
	tx := marked.Txs[0]
	r := false
	tx.Replaced = &r
	marked.Txs = append([]observer.RecordTx{tx}, marked.Txs[1:]...)
	var bs []*observer.RecordBlock
	for _, b := range blocks {
		if b.Height == marked.Height {
			b = &marked
		}
		bs = append(bs, b)
	}
	if err := follow(t, head, bs, nil); !errors.Is(err, observer.CodeRecordMalformed) {
		t.Fatalf("a replaced mark on a live block: %v, want %s", err, observer.CodeRecordMalformed)
	}
}

// TestFollowerCatchesForgery: a node (or a proxy) that changes what it
// serves is caught at the block where it does so, naming the item.
func TestFollowerCatchesForgery(t *testing.T) {
	head, orig, _ := liveBlocks(t)
	clone := func() []*observer.RecordBlock {
		var out []*observer.RecordBlock
		for _, b := range orig {
			var c observer.RecordBlock
			enc, _ := json.Marshal(b)
			if err := json.Unmarshal(enc, &c); err != nil {
				t.Fatal(err)
			}
			out = append(out, &c)
		}
		return out
	}
	// withBallots is the index of the n-th block with at least k ballots.
	withBallots := func(bs []*observer.RecordBlock, k, n int) int {
		for i, b := range bs {
			c := 0
			for _, tx := range b.Txs {
				if tx.Kind == "ballot" {
					c++
				}
			}
			if c >= k {
				if n == 0 {
					return i
				}
				n--
			}
		}
		t.Fatal("no such block")
		return 0
	}
	withState := func(bs []*observer.RecordBlock, after int) int {
		for i := after; i < len(bs); i++ {
			if bs[i].State != nil {
				return i
			}
		}
		t.Fatal("no block with a state")
		return 0
	}
	editState := func(b *observer.RecordBlock, f func(c *election.StateCommitment)) {
		var c election.StateCommitment
		if err := c.UnmarshalBinary(b.State.Commitment); err != nil {
			t.Fatal(err)
		}
		f(&c)
		enc, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		b.State.Commitment = enc
	}
	for _, tc := range []struct {
		name string
		code observer.VerifyCode
		edit func(bs []*observer.RecordBlock) (out []*observer.RecordBlock, item string)
	}{
		{"changed ballot", observer.CodeTxHashMismatch, func(bs []*observer.RecordBlock) ([]*observer.RecordBlock, string) {
			i := withBallots(bs, 1, 0)
			bs[i].Txs[0].Tx[len(bs[i].Txs[0].Tx)-1] ^= 1
			return bs, fmt.Sprintf("block %d tx %d", bs[i].Height, bs[i].Txs[0].Index)
		}},
		{"dropped transaction", observer.CodeStateMismatch, func(bs []*observer.RecordBlock) ([]*observer.RecordBlock, string) {
			i := withBallots(bs, 2, 0)
			bs[i].Txs = bs[i].Txs[1:]
			return bs, fmt.Sprintf("block %d state", bs[i].Height+1)
		}},
		{"reordered blocks", observer.CodeRecordMalformed, func(bs []*observer.RecordBlock) ([]*observer.RecordBlock, string) {
			// The feed's blocks come every one, in order: the early one is
			// named.
			i := withBallots(bs, 1, 1)
			bs[i], bs[i+1] = bs[i+1], bs[i]
			return bs, fmt.Sprintf("block %d", bs[i].Height)
		}},
		{"block left out", observer.CodeRecordMalformed, func(bs []*observer.RecordBlock) ([]*observer.RecordBlock, string) {
			i := withBallots(bs, 1, 1)
			item := fmt.Sprintf("block %d", bs[i+1].Height)
			return append(bs[:i], bs[i+1:]...), item
		}},
		{"changed aggregate", observer.CodeStateProof, func(bs []*observer.RecordBlock) ([]*observer.RecordBlock, string) {
			i := withState(bs, withBallots(bs, 1, 0))
			editState(bs[i], func(c *election.StateCommitment) { c.Aggregates[0][0] ^= 1 })
			return bs, fmt.Sprintf("block %d state", bs[i].Height)
		}},
		{"changed ballot count", observer.CodeStateProof, func(bs []*observer.RecordBlock) ([]*observer.RecordBlock, string) {
			i := withState(bs, withBallots(bs, 1, 0))
			editState(bs[i], func(c *election.StateCommitment) { c.Ballots++ })
			return bs, fmt.Sprintf("block %d state", bs[i].Height)
		}},
		{"stale state", observer.CodeStateProof, func(bs []*observer.RecordBlock) ([]*observer.RecordBlock, string) {
			// A state proven for an earlier block, served for a later one.
			i := withState(bs, withBallots(bs, 1, 0))
			j := withState(bs, i+1)
			bs[j].State = bs[i].State
			return bs, fmt.Sprintf("block %d state", bs[j].Height)
		}},
		{"state withheld", observer.CodeStateUnproven, func(bs []*observer.RecordBlock) ([]*observer.RecordBlock, string) {
			i := withState(bs, withBallots(bs, 1, 0))
			bs[i].State = nil
			return bs, fmt.Sprintf("block %d", bs[i].Height-1)
		}},
		{"commit missing a signature", observer.CodeBadCommitSignature, func(bs []*observer.RecordBlock) ([]*observer.RecordBlock, string) {
			i := withBallots(bs, 1, 0)
			var c cmttypes.Commit
			if err := cmtjson.Unmarshal(bs[i].Commit, &c); err != nil {
				t.Fatal(err)
			}
			c.Signatures[0] = cmttypes.NewCommitSigAbsent()
			enc, err := cmtjson.Marshal(&c)
			if err != nil {
				t.Fatal(err)
			}
			bs[i].Commit = enc
			return bs, fmt.Sprintf("block %d", bs[i].Height)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs, item := tc.edit(clone())
			err := follow(t, head, bs, nil)
			var ve *observer.VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, tc.code) || !strings.HasPrefix(ve.Item, item) {
				t.Fatalf("got %v; want %s at %q", err, tc.code, item)
			}
		})
	}
}
