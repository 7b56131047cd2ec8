package harness_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/harness/synthetic"
	"github.com/evote/evote/observer"
)

// BenchmarkTrusteeVerification is what a trustee verifies before it
// decrypts (harness.FeedVerifier, docs/trustees.md): a follower over an
// election of 1,000 ballots from block 1 until its closed state is proven
// (every commit, transaction, signature and proof, the rules' replay and
// the state commitments), then the aggregates it recomputed
// (harness.VerifiedOf). The blocks come from a synthetic record rather
// than from a node's feed, so the websocket and the JSON decoding of the
// feed's messages are left out. It reports µs/ballot:
//
//	go test ./internal/harness -run '^$' -bench TrusteeVerification -benchtime 1x
func BenchmarkTrusteeVerification(b *testing.B) {
	const ballots = 1000
	var rec bytes.Buffer
	if _, err := synthetic.Write(&rec, synthetic.Options{Seed: "trustee-verification", Voters: ballots, PerBlock: 100,
		Workers: runtime.GOMAXPROCS(0)}); err != nil {
		b.Fatal(err)
	}
	rr := observer.NewRecordReader(bytes.NewReader(rec.Bytes()))
	head, err := rr.ReadHead()
	if err != nil {
		b.Fatal(err)
	}
	var blocks []*observer.RecordBlock
	for {
		blk, err := rr.NextBlock()
		if err != nil {
			b.Fatal(err)
		}
		if blk == nil {
			break
		}
		for i := range blk.Txs {
			blk.Txs[i].Replaced = nil // as the feed sends them
		}
		blocks = append(blocks, blk)
	}
	ctx := context.Background()
	var took time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		f, err := observer.NewFollower(head, observer.VerifyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var got bool
		for _, blk := range blocks {
			if err := f.Add(ctx, blk); err != nil {
				b.Fatal(err)
			}
			if err := f.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			v, done, err := harness.VerifiedOf(f)
			if err != nil {
				b.Fatal(err)
			}
			if done {
				if v.Phase < election.PhaseClosed || v.Ballots != ballots || len(v.Aggregates) == 0 {
					b.Fatalf("verified %+v", v)
				}
				got = true
				break
			}
		}
		f.Close()
		if !got {
			b.Fatal("the record never showed the election closed and proven")
		}
		took += time.Since(start)
	}
	b.ReportMetric(float64(took.Microseconds())/float64(b.N)/ballots, "µs/ballot")
}
