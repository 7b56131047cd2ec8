package election

import (
	"github.com/evote/evote/tally"
)

// PrecheckBatch is Precheck of many transactions at once, with the same
// verdicts: the ballots' contests are verified together, one random linear
// combination per election key (tally.VerifyContestBatch, about 4.7 instead
// of 8 scalar multiplications per contest), and a transaction with a
// contest in a failing batch is prechecked again on its own, so that its
// verdict and message are exactly Precheck's. The transactions are read
// from st, which must be committed state, as for Precheck. The random
// coefficients come from Options.Rand; a machine without it prechecks each
// transaction alone. An error is a node fault, as for Precheck.
func (m *Machine) PrecheckBatch(st ReadStore, txs [][]byte) ([]Result, error) {
	out := make([]Result, len(txs))
	if m.rnd == nil {
		for i, tx := range txs {
			res, err := m.Precheck(st, tx)
			if err != nil {
				return nil, err
			}
			out[i] = res
		}
		return out, nil
	}
	type batch struct {
		key    *tally.PublicKey
		items  []tally.ContestItem
		owners []int // the transaction of each item
	}
	var batches []*batch
	byKey := map[string]*batch{}
	for i, raw := range txs {
		t, res, err := m.precheck(st, raw, checkOpts{batch: true})
		if err != nil {
			return nil, err
		}
		out[i] = res
		if t == nil || len(t.contests) == 0 {
			continue
		}
		k := string(t.key.Bytes())
		b := byKey[k]
		if b == nil {
			b = &batch{key: t.key}
			byKey[k] = b
			batches = append(batches, b)
		}
		for _, it := range t.contests {
			b.items = append(b.items, it)
			b.owners = append(b.owners, i)
		}
	}
	for _, b := range batches {
		if tally.VerifyContestBatch(b.key, b.items, m.rnd) == nil {
			continue
		}
		// Rare (a forged or broken ballot): every transaction with an item
		// in the failing batch gets Precheck's own verdict.
		again := map[int]bool{}
		for _, i := range b.owners {
			if !again[i] {
				again[i] = true
				res, err := m.Precheck(st, txs[i])
				if err != nil {
					return nil, err
				}
				out[i] = res
			}
		}
	}
	return out, nil
}
