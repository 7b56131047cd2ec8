package election_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
)

// benchBallots returns the machine and store of fuzz-deliver.txt (an open
// election of one approval contest of two options) with n more voters of
// the given weight on the roll, and a ballot of each.
func benchBallots(b testing.TB, n int, weight uint32) (*runner, [][]byte) {
	r := runScript(b, "testdata/fuzz-deliver.txt", false)
	id := r.ids["m"]
	man := r.manifests["m"]
	key, err := election.JointKey(r.st, id)
	if err != nil {
		b.Fatal(err)
	}
	e := &wallet.Election{ChainID: r.chainID, ID: id, Manifest: man, JointKey: key}
	var roll []election.RollEntry
	var txs [][]byte
	for i := range n {
		v := wallet.NewVoterKey(election.DeriveKey(fmt.Sprintf("bench voter %d", i)))
		roll = append(roll, election.RollEntry{Voter: v.Public(), Weight: weight})
		bal, err := wallet.BuildBallot(e, v, 1, [][]uint64{{1, 0}}, stream("bench"))
		if err != nil {
			b.Fatal(err)
		}
		txs = append(txs, bal.Tx)
	}
	var appends [][]byte
	for i := 0; i < len(roll); i += election.MaxRollBatch {
		tx, err := election.NewAppendVotersTx(r.chainID, id, roll[i:min(i+election.MaxRollBatch, len(roll))], actorKey("official"))
		if err != nil {
			b.Fatal(err)
		}
		appends = append(appends, tx)
	}
	r.deliverBlock(appends...)
	return r, txs
}

func BenchmarkPrecheckBallot(b *testing.B) {
	r, txs := benchBallots(b, 1, 1)
	for b.Loop() {
		if res, err := r.m.Precheck(r.st, txs[0]); err != nil || !res.OK() {
			b.Fatal(res.Log, err)
		}
	}
}

// BenchmarkDeliverPrecheckedBallot is the per-ballot cost of a block whose
// ballots passed Precheck before: the stateful checks and the aggregates
// (with weight 3, each ciphertext is also scaled).
func BenchmarkDeliverPrecheckedBallot(b *testing.B) {
	for _, w := range []uint32{1, 3} {
		b.Run(fmt.Sprintf("weight=%d", w), func(b *testing.B) {
			r, txs := benchBallots(b, 300, w)
			blk, err := r.m.BeginBlock(r.st, election.Block{ChainID: r.chainID, Height: r.block.Height + 1, Time: r.block.Time.Add(time.Minute)})
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				res, err := blk.Deliver(txs[i%len(txs)], true)
				if err != nil || !res.OK() && i < len(txs) {
					b.Fatal(res.Log, err)
				}
				i++
			}
		})
	}
}
