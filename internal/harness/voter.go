package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/evote/evote/wallet"
)

// Voter is a voter on an election's roll: its key and the sequence number
// of its next ballot (a revote takes the next).
type Voter struct {
	Key    *wallet.VoterKey
	Weight uint32
	Seq    uint64 // of the last ballot built; 0 before the first
}

// Ballot builds, encrypts, proves and signs the voter's next ballot.
func (v *Voter) Ballot(el *wallet.Election, choices [][]uint64, rnd io.Reader) (*wallet.Ballot, error) {
	b, err := wallet.BuildBallot(el, v.Key, v.Seq+1, choices, rnd)
	if err != nil {
		return nil, err
	}
	v.Seq++
	return b, nil
}

// Cast builds the voter's next ballot and submits it through sub; it
// returns the ballot and the block that counted it.
func (v *Voter) Cast(ctx context.Context, sub Submitter, el *wallet.Election, choices [][]uint64, rnd io.Reader) (*wallet.Ballot, int64, error) {
	b, err := v.Ballot(el, choices, rnd)
	if err != nil {
		return nil, 0, err
	}
	h, err := sub.Submit(ctx, "ballot", b.Tx)
	return b, h, err
}

// Ballots builds the next ballot of every voter, on every core, with fresh
// randomness (crypto/rand): voter i's choices are choices(i).
func Ballots(el *wallet.Election, voters []*Voter, choices func(i int) [][]uint64) ([]*wallet.Ballot, error) {
	out := make([]*wallet.Ballot, len(voters))
	errs := make([]error, runtime.NumCPU())
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := range errs {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(voters) {
					return
				}
				b, err := voters[i].Ballot(el, choices(i), rand.Reader)
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = b
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
