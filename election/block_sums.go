package election

import (
	"bytes"
	"slices"

	"github.com/evote/evote/tally"
)

// blockSums keeps, between BeginBlock and EndBlock, the aggregates of the
// elections that received ballots in the block, decoded: a ballot then
// costs point additions, and each aggregate is encoded and written once, in
// EndBlock. Readers of aggregates inside the block (the verification of
// decryption shares in Deliver, the result in EndBlock) see these sums.
// Precheck and Check never do: they read committed state.
type blockSums struct {
	sums map[ID]*tally.CiphertextSum
}

// sumsOf returns the election's running sums: the block's, or else decoded
// from st (and kept, if a block is under way).
func (m *Machine) sumsOf(st ReadStore, id ID) (*tally.CiphertextSum, error) {
	if m.block != nil {
		if s, ok := m.block.sums[id]; ok {
			return s, nil
		}
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
	if m.block != nil {
		m.block.sums[id] = s
	}
	return s, nil
}

// storeSums writes the election's sums to s if no block is under way (the
// block writes them in EndBlock otherwise).
func (m *Machine) storeSums(s Store, id ID, sums *tally.CiphertextSum) error {
	if m.block != nil {
		return nil
	}
	return writeSums(s, id, sums)
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
func (m *Machine) flushSums(s Store) error {
	if m.block == nil {
		return nil
	}
	ids := make([]ID, 0, len(m.block.sums))
	for id := range m.block.sums {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b ID) int { return bytes.Compare(a[:], b[:]) })
	for _, id := range ids {
		if err := writeSums(s, id, m.block.sums[id]); err != nil {
			return err
		}
	}
	clear(m.block.sums)
	return nil
}

// aggregates returns the election's aggregates as Deliver sees them: the
// block's sums if it has any for the election, else st's.
func (m *Machine) aggregates(st ReadStore, id ID, inBlock bool) ([]*tally.Ciphertext, error) {
	if inBlock && m.block != nil {
		if s, ok := m.block.sums[id]; ok {
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

// BlockView returns st as the block under way sees it, with the running
// sums that EndBlock will write; outside a block it returns st. Call it
// only from the goroutine that delivers blocks, and only between calls.
func (m *Machine) BlockView(st ReadStore) (ReadStore, error) {
	if m.block == nil || len(m.block.sums) == 0 {
		return st, nil
	}
	s := newStage(st)
	for id, sums := range m.block.sums {
		if err := writeSums(s, id, sums); err != nil {
			return nil, err
		}
	}
	return s, nil
}
