//go:build unix

package chain

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evote/evote/election"
)

// BenchmarkStateCheck times the start-up check (Store.CheckState) on a
// store of N cast ballots written through the Block API, each as the
// election writes one: its ballot row (the record of 3 ciphertexts, 244
// bytes), its roll row, its transaction's row in the state, and its row of
// the receipt index. N is 100,000, or the comma-separated list in
// EVOTE_BENCH_BALLOTS (for example 100000,1000000; building the store of
// 1M ballots takes minutes). Run it with -benchtime=1x.
func BenchmarkStateCheck(b *testing.B) {
	sizes := []int{100_000}
	if env := os.Getenv("EVOTE_BENCH_BALLOTS"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatalf("EVOTE_BENCH_BALLOTS: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		path := filepath.Join(b.TempDir(), StoreFile)
		t0 := time.Now()
		s := buildBallotStore(b, path, n)
		build := time.Since(t0)
		c, err := s.CheckState(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(c.Bytes)
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := s.CheckState(context.Background(), path); err != nil {
					b.Fatal(err)
				}
			}
			// The CPU time the process spent, which other load on the
			// machine does not inflate as it does the wall time.
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(c.Rows), "rows")
		})
		fi, _ := os.Stat(path)
		b.Logf("%d ballots: %d rows, %d bytes hashed, store %d MB, built in %v, GOMAXPROCS %d",
			n, c.Rows, c.Bytes, fi.Size()>>20, build.Round(time.Second), runtime.GOMAXPROCS(0))
		s.Close()
	}
}

// buildBallotStore writes n synthetic ballots of one election, 1,000 per
// block.
func buildBallotStore(b *testing.B, path string, n int) *Store {
	b.Helper()
	s, err := OpenStore(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.InitGenesis("bench", []byte(`{}`), election.GenesisAppHash("bench", []byte(`{}`))); err != nil {
		b.Fatal(err)
	}
	id := sha256.Sum256([]byte("bench election"))
	// The keys have the length of an election's ("e/" id "/..."), under
	// another first byte: the benchmark has no election status for the
	// state commitment to read.
	prefix := append(append([]byte("x/"), id[:]...), '/')
	const perBlock = 1000
	for h, done := int64(1), 0; done < n; h++ {
		blk, err := s.Begin(h)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < perBlock && done < n; i, done = i+1, done+1 {
			voter := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("voter"), uint64(done)))
			tx := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("tx"), uint64(done)))
			// ballotRecord: u64 seq, tx hash, u64 height, u32 n, n × 64.
			rec := binary.BigEndian.AppendUint64(nil, uint64(done))
			rec = append(rec, tx[:]...)
			rec = binary.BigEndian.AppendUint64(rec, uint64(h))
			rec = binary.BigEndian.AppendUint32(rec, 3)
			for range 3 {
				ct := sha256.Sum256(rec)
				rec = append(append(rec, ct[:]...), ct[:]...)
			}
			roll := binary.BigEndian.AppendUint32(nil, 1)
			roll = binary.BigEndian.AppendUint64(roll, uint64(done))
			blk.Set(append(append(append([]byte{}, prefix...), "roll/"...), voter[:]...), roll)
			blk.Set(append(append(append([]byte{}, prefix...), "ballot/"...), voter[:]...), rec)
			blk.Set(append([]byte("t/"), tx[:]...), append(id[:], 0, 0, 0, 4))
			blk.AddTx(tx[:], i, election.CodeOK, "")
		}
		if _, err := blk.Commit(time.Unix(h, 0)); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// cpuTime is the user and system time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
