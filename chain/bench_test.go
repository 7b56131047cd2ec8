package chain

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// Benchmarks of the path a submitted transaction takes before consensus:
// Precheck through the verdict cache, CheckTx on a cache hit, and
// Node.Submit on a running node. The test machine's Precheck burns 2,000
// SHA-256 rounds and verifies an Ed25519 signature (about 0.3 ms), a
// stand-in for ballot verification.

func benchTxs(b *testing.B, n int) [][]byte {
	b.Helper()
	txs := make([][]byte, n)
	for i := range txs {
		txs[i] = setTx(testKey(byte(i)), fmt.Sprintf("bench/%d/%d", time.Now().UnixNano(), i), "v")
	}
	return txs
}

func benchApp(b *testing.B) *App {
	b.Helper()
	s, err := OpenStore(filepath.Join(b.TempDir(), StoreFile))
	if err != nil {
		b.Fatal(err)
	}
	a, err := NewApp(s, newTestMachine, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	if _, err := a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChainID, AppStateBytes: testAppState}); err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkPrecheck: verdicts computed (misses, on all cores) and found in
// the cache (hits).
func BenchmarkPrecheck(b *testing.B) {
	for _, hit := range []bool{false, true} {
		name := "miss"
		if hit {
			name = "hit"
		}
		b.Run(name, func(b *testing.B) {
			a := benchApp(b)
			txs := benchTxs(b, b.N)
			if hit {
				for _, tx := range txs {
					a.Precheck(tx)
				}
			}
			var next atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, res, err := a.Precheck(txs[next.Add(1)-1]); err != nil || !res.OK() {
						b.Fatalf("%v %v", res, err)
					}
				}
			})
		})
	}
}

// BenchmarkCheckTxCached is CheckTx after Submit: a cache hit, then Check
// on a snapshot of committed state.
func BenchmarkCheckTxCached(b *testing.B) {
	a := benchApp(b)
	txs := benchTxs(b, b.N)
	for _, tx := range txs {
		a.Precheck(tx)
	}
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: txs[next.Add(1)-1]})
			if err != nil || r.Code != 0 {
				b.Fatalf("%v %v", r, err)
			}
		}
	})
}

// BenchmarkNodeSubmit submits distinct transactions to a running single
// validator from many goroutines (Precheck in each, then the mempool).
func BenchmarkNodeSubmit(b *testing.B) {
	n := startNode(b, initHome(b))
	waitFor(b, 20*time.Second, "the first block", func() bool { return committedHeight(b, n) >= 1 })
	txs := benchTxs(b, b.N)
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tx := txs[next.Add(1)-1]
			for {
				_, res, err := n.Submit(context.Background(), tx)
				if errors.Is(err, ErrMempoolFull) {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if err != nil || !res.OK() {
					b.Fatalf("%v %v", res, err)
				}
				break
			}
		}
	})
}
