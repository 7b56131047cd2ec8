package feedproxy

import (
	"encoding/json"
	"fmt"
	"sync"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
)

// A Forgery is a lie a node can tell through its feed, as a Rewrite that
// tells it once (at the first block it fits), and what a verifier must say
// about it: its code and the item it names, which depend on the block the
// lie was told at.
type Forgery struct {
	Name string
	Code observer.VerifyCode
	// New returns the rewrite and a function that, once the rewrite has
	// acted, gives the prefix of the item the verifier must name ("" while
	// it has not).
	New func() (Rewrites, func() string)
}

// forge is the common part: decode each block message, let edit change it
// once (edit returns the item, or "" to pass the block on unchanged), and
// re-encode it.
func forge(edit func(m *observer.FeedMessage, prev *observer.RecordBlock) string) (Rewrites, func() string) {
	var mu sync.Mutex
	var item string
	var prev *observer.RecordBlock
	rw := func(msg []byte) [][]byte {
		mu.Lock()
		defer mu.Unlock()
		var m observer.FeedMessage
		if json.Unmarshal(msg, &m) != nil || m.Type != observer.FeedBlock || m.Block == nil || item != "" {
			return [][]byte{msg}
		}
		orig := *m.Block
		if it := edit(&m, prev); it != "" {
			item = it
			out, err := json.Marshal(&m)
			if err != nil {
				panic(err)
			}
			prev = &orig
			return [][]byte{out}
		}
		prev = &orig
		return [][]byte{msg}
	}
	return rw, func() string {
		mu.Lock()
		defer mu.Unlock()
		return item
	}
}

func ballots(b *observer.RecordBlock) []int {
	var out []int
	for i, t := range b.Txs {
		if t.Kind == election.KindBallot.String() {
			out = append(out, i)
		}
	}
	return out
}

// editState changes the election's state commitment a block carries.
func editState(b *observer.RecordBlock, f func(c *election.StateCommitment)) bool {
	if b.State == nil {
		return false
	}
	var c election.StateCommitment
	if err := c.UnmarshalBinary(b.State.Commitment); err != nil || c.Ballots == 0 {
		return false
	}
	f(&c)
	enc, err := c.MarshalBinary()
	if err != nil {
		return false
	}
	st := *b.State
	st.Commitment = enc
	b.State = &st
	return true
}

// Forgeries are the lies of the list, each caught at its block:
// a changed ballot, a dropped transaction, a block served at another
// height, a changed aggregate or ballot count, a commit with a missing
// signature, and a state commitment of another block.
func Forgeries() []Forgery {
	return []Forgery{
		{"changed ballot", observer.CodeTxHashMismatch, func() (Rewrites, func() string) {
			return forge(func(m *observer.FeedMessage, _ *observer.RecordBlock) string {
				bs := ballots(m.Block)
				if len(bs) == 0 {
					return ""
				}
				tx := m.Block.Txs[bs[0]]
				raw := append(observer.Bytes{}, tx.Tx...)
				raw[len(raw)-1] ^= 1
				tx.Tx = raw
				txs := append([]observer.RecordTx{}, m.Block.Txs...)
				txs[bs[0]] = tx
				m.Block.Txs = txs
				return fmt.Sprintf("block %d tx %d", m.Block.Height, tx.Index)
			})
		}},
		{"dropped transaction", observer.CodeStateMismatch, func() (Rewrites, func() string) {
			return forge(func(m *observer.FeedMessage, _ *observer.RecordBlock) string {
				bs := ballots(m.Block)
				if len(bs) == 0 {
					return ""
				}
				txs := append([]observer.RecordTx{}, m.Block.Txs[:bs[0]]...)
				m.Block.Txs = append(txs, m.Block.Txs[bs[0]+1:]...)
				// The next block proves the state with the ballot in.
				return fmt.Sprintf("block %d state", m.Block.Height+1)
			})
		}},
		{"reordered blocks", observer.CodeRecordMalformed, func() (Rewrites, func() string) {
			// The first block with ballots is held back and sent after the
			// block that follows it.
			var mu sync.Mutex
			var held []byte
			var item string
			return func(msg []byte) [][]byte {
					mu.Lock()
					defer mu.Unlock()
					var m observer.FeedMessage
					if json.Unmarshal(msg, &m) != nil || m.Type != observer.FeedBlock || m.Block == nil || item != "" {
						return [][]byte{msg}
					}
					if held != nil {
						item = fmt.Sprintf("block %d", m.Block.Height)
						return [][]byte{msg, held}
					}
					if len(ballots(m.Block)) > 0 {
						held = msg
						return nil
					}
					return [][]byte{msg}
				}, func() string {
					mu.Lock()
					defer mu.Unlock()
					return item
				}
		}},
		{"changed aggregate", observer.CodeStateProof, func() (Rewrites, func() string) {
			return forge(func(m *observer.FeedMessage, _ *observer.RecordBlock) string {
				if !editState(m.Block, func(c *election.StateCommitment) { c.Aggregates[0][0] ^= 1 }) {
					return ""
				}
				return fmt.Sprintf("block %d state", m.Block.Height)
			})
		}},
		{"changed ballot count", observer.CodeStateProof, func() (Rewrites, func() string) {
			return forge(func(m *observer.FeedMessage, _ *observer.RecordBlock) string {
				if !editState(m.Block, func(c *election.StateCommitment) { c.Ballots++ }) {
					return ""
				}
				return fmt.Sprintf("block %d state", m.Block.Height)
			})
		}},
		{"commit missing a signature", observer.CodeBadCommitSignature, func() (Rewrites, func() string) {
			return forge(func(m *observer.FeedMessage, _ *observer.RecordBlock) string {
				if len(ballots(m.Block)) == 0 {
					return ""
				}
				var c cmttypes.Commit
				if cmtjson.Unmarshal(m.Block.Commit, &c) != nil || len(c.Signatures) == 0 {
					return ""
				}
				c.Signatures[0] = cmttypes.NewCommitSigAbsent()
				enc, err := cmtjson.Marshal(&c)
				if err != nil {
					return ""
				}
				m.Block.Commit = enc
				return fmt.Sprintf("block %d", m.Block.Height)
			})
		}},
		{"state of another block", observer.CodeStateProof, func() (Rewrites, func() string) {
			// The state proven for an earlier block, served with a later one.
			var earlier *observer.RecordState
			return forge(func(m *observer.FeedMessage, _ *observer.RecordBlock) string {
				if m.Block.State == nil {
					return ""
				}
				if earlier == nil {
					earlier = m.Block.State
					return ""
				}
				m.Block.State = earlier
				return fmt.Sprintf("block %d state", m.Block.Height)
			})
		}},
	}
}
