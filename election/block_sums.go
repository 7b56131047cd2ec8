package election

import (
	"bytes"
	"errors"
	"slices"

	"github.com/evote/evote/tally"
)

// blockExec is a block under way, from BeginBlock to End. It owns the
// block's running sums: the aggregates of the elections that received
// ballots in the block, decoded, so that a ballot costs point additions and
// each aggregate is encoded and written once, in End. Readers of aggregates
// inside the block (the verification of decryption shares in Deliver, the
// result in End) see these sums. Precheck and Check never do: they read
// committed state.
type blockExec struct {
	m    *Machine
	st   Store
	b    Block
	sums map[ID]*tally.CiphertextSum
	done bool
	// validatorUpdates are the validator changes the block accepted.
	validatorUpdates []Validator
}

// errBlockEnded is the fault of a call on a block after its End.
var errBlockEnded = errors.New("election: the block has ended")

// Deliver executes one transaction of the block: Precheck's checks (only
// decoding, if prechecked: the node holds Precheck's CodeOK for these
// bytes), then the stateful rules and the writes. A rejected transaction
// writes nothing. An error is a node fault (the store failed, or holds
// corrupted state): the node must stop, and the block is lost.
func (x *blockExec) Deliver(tx []byte, prechecked bool) (Result, error) {
	if x.done {
		return Result{}, errBlockEnded
	}
	s := newStage(x.st)
	res, err := x.m.execute(s, x.b, tx, checkOpts{prechecked: prechecked, blk: x})
	if err != nil || !res.OK() {
		return res, err
	}
	return res, s.flush(x.st)
}

// End writes the block's running sums and advances, after the block's
// transactions, every election whose transactions completed a step: the
// deal round once every trustee has dealt, the complaint round once every
// trustee has posted its complaints, the response round once every
// complaint is answered (then the ceremony is finalized and the joint key
// fixed), and the result once a threshold of decryption share sets is in.
func (x *blockExec) End() error {
	if x.done {
		return errBlockEnded
	}
	x.done = true
	s := newStage(x.st)
	if err := x.flushSums(s); err != nil {
		return err
	}
	if err := x.m.runWork(s, x.b); err != nil {
		return err
	}
	return s.flush(x.st)
}

// sumsOf returns the election's running sums: the block's, or else decoded
// from st and kept for the rest of the block.
func (x *blockExec) sumsOf(st ReadStore, id ID) (*tally.CiphertextSum, error) {
	if s, ok := x.sums[id]; ok {
		return s, nil
	}
	var enc [][]byte
	err := st.Iterate(prefixAggregates(id), func(_, v []byte) error {
		enc = append(enc, bytes.Clone(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	s, err := tally.NewCiphertextSum(enc)
	if err != nil {
		return nil, stateErr("aggregate", err)
	}
	x.sums[id] = s
	return s, nil
}

func writeSums(s Store, id ID, sums *tally.CiphertextSum) error {
	for p := 0; p < sums.Len(); p++ {
		if err := s.Set(keyAggregate(id, uint32(p)), sums.Bytes(p)); err != nil {
			return err
		}
	}
	return nil
}

// flushSums writes the block's sums, elections in id order, and forgets
// them.
func (x *blockExec) flushSums(s Store) error {
	ids := make([]ID, 0, len(x.sums))
	for id := range x.sums {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b ID) int { return bytes.Compare(a[:], b[:]) })
	for _, id := range ids {
		if err := writeSums(s, id, x.sums[id]); err != nil {
			return err
		}
	}
	clear(x.sums)
	return nil
}

// aggregates returns the election's aggregates as a transaction sees them:
// in a block (x not nil), the block's sums if it has any for the election;
// else st's.
func (x *blockExec) aggregates(st ReadStore, id ID) ([]*tally.Ciphertext, error) {
	if x != nil {
		if s, ok := x.sums[id]; ok {
			out := make([]*tally.Ciphertext, s.Len())
			for p := range out {
				c, err := decodeAggregate(s.Bytes(p))
				if err != nil {
					return nil, err
				}
				out[p] = c
			}
			return out, nil
		}
	}
	return loadAggregates(st, id)
}

// view returns the store as the block under way sees it, with the running
// sums that End will write.
func (x *blockExec) view() (ReadStore, error) {
	if len(x.sums) == 0 {
		return x.st, nil
	}
	s := newStage(x.st)
	for id, sums := range x.sums {
		if err := writeSums(s, id, sums); err != nil {
			return nil, err
		}
	}
	return s, nil
}
