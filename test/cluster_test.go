package test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/receiptfile"
)

// The fault-injection tests below run networks of the real evote binary on
// 127.0.0.1: `evote testnet` writes the homes, `evote node` runs each
// validator as its own process, `evote sample` creates and opens an
// election, and voters' ballots, built with the wallet, go in over the HTTP
// API. Nodes are killed with SIGKILL and restarted from their homes.

// TestFourValidatorsAgree: ballots submitted to different nodes of a
// four-validator network are committed by all of them; every node reaches
// the same height and app hash, serves the same running tally, and answers
// every ballot's receipt, which verifies offline against the genesis
// validators.
func TestFourValidatorsAgree(t *testing.T) {
	t.Parallel()
	const nodes, voters = 4, 24
	t0 := time.Now()
	tn := newTestnet(t, nodes)
	t.Logf("%d nodes up in %v", nodes, time.Since(t0).Round(time.Millisecond))
	t1 := time.Now()
	se := tn.sample(voters)
	t.Logf("sample election %s with %d voters open in %v", se.id, voters, time.Since(t1).Round(time.Millisecond))
	bs := se.ballots(t)
	trusted := tn.trusted()

	// Every ballot at once, ballot i to node i mod 4.
	t2 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var top atomic.Int64
	errc := make(chan error, len(bs))
	var wg sync.WaitGroup
	for i, b := range bs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := i % nodes
			a, err := submit(ctx, tn.urls[node], b.tx)
			switch {
			case err != nil:
				errc <- fmt.Errorf("ballot %d to node %d: %v", i, node, err)
				return
			case a.Status != http.StatusOK || !a.Committed || a.Code.Code() != election.CodeOK || a.TrackingCode.String() != b.code || a.Receipt == nil:
				errc <- fmt.Errorf("ballot %d to node %d: %d %s committed %v: %s", i, node, a.Status, a.CodeName, a.Committed, a.Error)
				return
			}
			r, err := receiptfile.ChainReceipt(a.Receipt)
			if err != nil {
				errc <- fmt.Errorf("ballot %d: the receipt in the answer: %v", i, err)
				return
			}
			if err := chain.VerifyReceipt(r, trusted, tn.chainID); err != nil {
				errc <- fmt.Errorf("ballot %d: the receipt in the answer: %v", i, err)
				return
			}
			for h := top.Load(); r.Height > h && !top.CompareAndSwap(h, r.Height); h = top.Load() {
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		tn.fatalf("%v", err)
	}
	t.Logf("%d ballots committed through 4 nodes in %v, the last at height %d", len(bs), time.Since(t2).Round(time.Millisecond), top.Load())

	all := []int{0, 1, 2, 3}
	snap := tn.agree(all, se.id, top.Load(), time.Minute)
	tc := parseTally(t, snap.Tally)
	if tc.Phase != election.PhaseOpen || tc.Voters != voters || tc.Ballots != voters {
		tn.fatalf("tally: phase %s, %d voters, %d ballots; want open, %d, %d", tc.Phase, tc.Voters, tc.Ballots, voters, voters)
	}
	tn.checkReceipts(all, bs)
	tn.receiptFileSizes(0, se, bs[0])
	for i := range all {
		for _, b := range bs {
			vs, err := tn.voter(ctx, i, se, b.voter)
			if err != nil || !vs.Voted || vs.TxHash == nil || vs.TxHash.String() != b.code {
				tn.fatalf("node %d: voter %s: %+v %v; want counted with ballot %s", i, b.voter.Public().Key(), vs, err, b.code)
			}
		}
	}
	t.Logf("all 4 nodes at height %d, app hash %s, %d voters counted; %v in all", snap.Height, snap.AppHash, tc.Voters, time.Since(t0).Round(time.Millisecond))
}

// load is a steady ballot load: submitters take the next ballot and cast
// it (retrying through node failures) until told to stop; each ballot's
// outcome is recorded.
type load struct {
	bs    []*ballot
	next  atomic.Int64
	limit int // ballots [limit:] are not taken
	stop  atomic.Bool
	n     atomic.Int64 // committed so far
	wg    sync.WaitGroup

	mu  sync.Mutex
	how []string    // how cast learned that ballot i is committed ("" if not taken)
	at  []time.Time // when
	err error       // the first failure
}

func newLoad(bs []*ballot, limit int) *load {
	return &load{bs: bs, how: make([]string, len(bs)), at: make([]time.Time, len(bs)), limit: limit}
}

// run starts a submitter that casts to the nodes pick names (try 0 first,
// then the next on each retry); ctx bounds each cast.
func (l *load) run(ctx context.Context, pick func(try int) string) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for !l.stop.Load() && ctx.Err() == nil {
			i := int(l.next.Add(1) - 1)
			if i >= l.limit {
				return
			}
			how, err := cast(ctx, pick, l.bs[i])
			if err == nil && how == "" {
				err = fmt.Errorf("ballot %d (%s): not committed before the load's deadline", i, l.bs[i].code)
			}
			l.mu.Lock()
			if err != nil && l.err == nil {
				l.err = err
			}
			if err == nil {
				l.how[i], l.at[i] = how, time.Now()
			}
			l.mu.Unlock()
			if err != nil {
				l.stop.Store(true)
				return
			}
			l.n.Add(1)
		}
	}()
}

// finish stops taking new ballots, waits for the casts under way, and
// returns the committed ballots.
func (l *load) finish() ([]*ballot, error) {
	l.stop.Store(true)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*ballot
	for i, how := range l.how {
		if how != "" {
			out = append(out, l.bs[i])
		}
	}
	return out, l.err
}

// resends says how many ballots were learned committed through a resend:
// by a 409 then the receipt, and by a 422 duplicate then the receipt.
func (l *load) resends() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var known, dup int
	for _, how := range l.how {
		switch how {
		case byKnown:
			known++
		case byDuplicate:
			dup++
		}
	}
	return fmt.Sprintf("%d by 409 already known, %d by 422 duplicate", known, dup)
}

// committedSince counts the ballots committed at or after t.
func (l *load) committedSince(t time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for i, how := range l.how {
		if how != "" && !l.at[i].Before(t) {
			n++
		}
	}
	return n
}

// waitLoad waits until cond holds, failing if the load fails or the
// timeout passes.
func waitLoad(tn *testnet, l *load, timeout time.Duration, what string, cond func() bool) {
	tn.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		l.mu.Lock()
		err := l.err
		l.mu.Unlock()
		if err != nil {
			tn.fatalf("the load failed while waiting for %s: %v", what, err)
		}
		if time.Now().After(deadline) {
			tn.fatalf("timed out after %v waiting for %s (%d ballots committed)", timeout, what, l.n.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKillValidatorUnderLoad: one of four validators is killed with SIGKILL
// while ballots stream in. The other three go on committing; every ballot
// that got a committed answer has a receipt on each of them that verifies
// offline; the killed validator, restarted from its home, catches up to
// the same height, app hash and tally, answers every receipt, and commits
// new ballots with the others.
func TestKillValidatorUnderLoad(t *testing.T) {
	const (
		nodes      = 4
		victim     = 3
		voters     = 300
		afterwards = 8 // ballots kept for the restarted node
		submitters = 8
	)
	t0 := time.Now()
	tn := newTestnet(t, nodes)
	se := tn.sample(voters)
	bs := se.ballots(t)
	live := []int{0, 1, 2}
	t.Logf("4 nodes up, election open, %d ballots built in %v", len(bs), time.Since(t0).Round(time.Millisecond))
	// An observer follows all four nodes' feeds and verifies every block
	// throughout, the kill and the restart included.
	obs := startObserver(t, tn, t.TempDir(), se.id)

	// Submitter s sends to node s mod 4 first and fails over to the next
	// node on each retry; once the victim is down, to the live nodes only.
	var victimDown atomic.Bool
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l := newLoad(bs, len(bs)-afterwards)
	for s := range submitters {
		l.run(ctx, func(try int) string {
			n := (s + try) % nodes
			if victimDown.Load() {
				n = live[(s+try)%len(live)]
			}
			return tn.urls[n]
		})
	}
	defer func() { cancel(); l.finish() }() // on failure: end the casts, then wait for them

	waitLoad(tn, l, time.Minute, "20 ballots committed before the kill", func() bool { return l.n.Load() >= 20 })
	atKill, err := tn.heights(live)
	if err != nil {
		tn.fatalf("%v", err)
	}
	if !tn.nodes[victim].running() {
		tn.fatalf("node %d exited by itself", victim)
	}
	tn.nodes[victim].kill()
	killedAt := time.Now()
	victimDown.Store(true)
	beforeKill := l.n.Load()
	t.Logf("killed node %d (SIGKILL) after %d ballots committed; live heights %v", victim, beforeKill, atKill)

	top := max(atKill[0], atKill[1], atKill[2])
	waitLoad(tn, l, 2*time.Minute, "30 ballots committed and 3 blocks made after the kill", func() bool {
		if l.committedSince(killedAt) < 30 {
			return false
		}
		hs, err := tn.heights(live)
		return err == nil && min(hs[0], hs[1], hs[2]) >= top+3
	})
	committed, err := l.finish()
	if err != nil {
		tn.fatalf("load: %v", err)
	}
	after := l.committedSince(killedAt)
	t.Logf("load stopped: %d ballots committed, %d of them after the kill (in %v); learned through a resend: %s",
		len(committed), after, time.Since(killedAt).Round(time.Millisecond), l.resends())

	// A validator down, the block carrying the last app hash may take a
	// round more when the victim should propose it.
	st := tn.settle(0, 3*time.Second, time.Minute)
	snap := tn.agree(live, se.id, max(top+3, st.Height), time.Minute)
	tc := parseTally(t, snap.Tally)
	if tc.Voters != uint64(len(committed)) {
		tn.fatalf("tally counts %d voters, %d ballots were committed", tc.Voters, len(committed))
	}
	tn.checkReceipts(live, committed)
	t.Logf("live nodes agree at height %d (was %d at the kill), app hash %s; %d receipts verified on each", snap.Height, top, snap.AppHash, len(committed))

	// The killed validator comes back and catches up.
	t1 := time.Now()
	tn.nodes[victim].restart()
	st = tn.waitUp(victim, time.Minute)
	caught := tn.agree([]int{0, 1, 2, 3}, se.id, snap.Height, 2*time.Minute)
	// Nothing was submitted meanwhile: at most an empty block more, which
	// changes no state.
	if caught.AppHash != snap.AppHash || !bytes.Equal(caught.Tally, snap.Tally) {
		tn.fatalf("after the restart the nodes agree at height %d app hash %s, before it at %d %s", caught.Height, caught.AppHash, snap.Height, snap.AppHash)
	}
	t.Logf("node %d restarted at height %d, caught up to %d in %v", victim, st.Height, caught.Height, time.Since(t1).Round(time.Millisecond))
	tn.checkReceipts([]int{victim}, committed)

	// It takes part again: ballots submitted to it are committed by all.
	rest := bs[len(bs)-afterwards:]
	var wg sync.WaitGroup
	errc := make(chan error, len(rest))
	for _, b := range rest {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := submit(ctx, tn.urls[victim], b.tx)
			if err != nil {
				errc <- err
			} else if a.Status != http.StatusOK || !a.Committed {
				errc <- fmt.Errorf("%d %s: %s", a.Status, a.CodeName, a.Error)
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		tn.fatalf("a ballot to the restarted node %d: %v", victim, err)
	}
	final := tn.agree([]int{0, 1, 2, 3}, se.id, snap.Height+1, time.Minute)
	if tc := parseTally(t, final.Tally); tc.Voters != uint64(len(committed)+len(rest)) {
		tn.fatalf("tally counts %d voters, want %d", tc.Voters, len(committed)+len(rest))
	}
	tn.checkReceipts([]int{0, 1, 2, 3}, rest)
	t.Logf("%d more ballots through node %d; all 4 at height %d, app hash %s; %v in all",
		len(rest), victim, final.Height, final.AppHash, time.Since(t0).Round(time.Millisecond))

	// The observer verified every block, through the kill and the restart,
	// up to the last state the chain proved; stopped and started again, it
	// resumes from its state file instead of block 1.
	voted := int64(len(committed) + len(rest))
	obs.waitVerified(tn, final.Height-1, voted, 2*time.Minute)
	if out := obs.output(); !strings.Contains(out, "lost:") || !strings.Contains(out, "reconnecting") {
		tn.fatalf("the observer did not see node %d go:\n%s", victim, out)
	}
	obs.stop()
	h, _ := obs.verified()
	obs.restart()
	obs.waitVerified(tn, final.Height-1, voted, 2*time.Minute)
	if out := obs.output(); !strings.Contains(out, "resumed from the state file") {
		tn.fatalf("the restarted observer did not resume from its state file:\n%s", out)
	}
	obs.stop()
	t.Logf("the observer verified every block up to %d through the kill; restarted, it resumed from its state file", h)
}

// TestSingleNodeSIGKILLRandomly kills a single validator with SIGKILL at
// random moments under a steady ballot load, restarting it from its home
// each time. Afterwards the committed height never went back across a
// kill; a clean restart and a kill at rest change neither the height nor
// the app hash nor the tally; replaying every block from the block store
// into an empty store reaches the same app hash and tally; and every ballot
// that got a committed answer has its receipt and is counted, and nothing
// else is.
func TestSingleNodeSIGKILLRandomly(t *testing.T) {
	const (
		voters     = 400
		kills      = 12
		submitters = 4
	)
	t0 := time.Now()
	tn := newTestnet(t, 1)
	se := tn.sample(voters)
	bs := se.ballots(t)
	node := tn.nodes[0]
	t.Logf("node up, election open, %d ballots built in %v", len(bs), time.Since(t0).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l := newLoad(bs, len(bs))
	for range submitters {
		l.run(ctx, func(int) string { return tn.urls[0] })
	}
	defer func() { cancel(); l.finish() }() // on failure: end the casts, then wait for them

	t1 := time.Now()
	var perCycle []string
	for k := range kills {
		time.Sleep(time.Duration(200+rand.IntN(1300)) * time.Millisecond)
		if !node.running() {
			tn.fatalf("the node exited by itself before kill %d", k+1)
		}
		before, err := tn.status(ctx, 0)
		n := l.n.Load()
		node.kill()
		if err != nil {
			tn.fatalf("kill %d: the node did not answer just before: %v", k+1, err)
		}
		node.restart()
		st := tn.waitUp(0, time.Minute)
		if st.Height < before.Height {
			tn.fatalf("kill %d: committed height went back from %d to %d", k+1, before.Height, st.Height)
		}
		perCycle = append(perCycle, fmt.Sprintf("h%d/%d", before.Height, n))
	}
	// Ten more ballots after the last restart, or all of them if the load
	// ran out before it (a fast machine casts the 400 within the kills).
	n0 := l.n.Load()
	waitLoad(tn, l, time.Minute, "10 more ballots after the last restart", func() bool { return l.n.Load() >= min(n0+10, int64(len(bs))) })
	committed, err := l.finish()
	if err != nil {
		tn.fatalf("load: %v", err)
	}
	t.Logf("%d kills in %v (height/ballots committed at each: %s); %d ballots committed; learned through a resend: %s",
		kills, time.Since(t1).Round(time.Millisecond), strings.Join(perCycle, " "), len(committed), l.resends())
	if len(committed) < 2*kills {
		tn.fatalf("only %d ballots committed over %d kills: too little load to mean anything", len(committed), kills)
	}

	st := tn.settle(0, 2*time.Second, time.Minute)
	want := tn.agree([]int{0}, se.id, st.Height, time.Minute)
	same := func(what string) {
		t.Helper()
		st := tn.settle(0, 2*time.Second, time.Minute)
		got := tn.agree([]int{0}, se.id, st.Height, time.Minute)
		if !got.equal(want) {
			tn.fatalf("%s: height %d app hash %s, before %d %s; tally\n%s\nbefore\n%s", what, got.Height, got.AppHash, want.Height, want.AppHash, got.Tally, want.Tally)
		}
	}
	node.stop()
	node.restart()
	tn.waitUp(0, time.Minute)
	same("after a clean restart")
	node.kill()
	node.restart()
	tn.waitUp(0, time.Minute)
	same("after a kill at rest")

	// Every ballot with a committed answer: its receipt, and it counts.
	tc := parseTally(t, want.Tally)
	if tc.Voters != uint64(len(committed)) || tc.Ballots != uint64(len(committed)) {
		tn.fatalf("tally counts %d voters and %d ballots, %d ballots were committed", tc.Voters, tc.Ballots, len(committed))
	}
	tn.checkReceipts([]int{0}, committed)
	for _, b := range committed {
		vs, err := tn.voter(ctx, 0, se, b.voter)
		if err != nil || !vs.Voted || vs.TxHash == nil || vs.TxHash.String() != b.code {
			tn.fatalf("voter %s: %+v %v; want counted with ballot %s", b.voter.Public().Key(), vs, err, b.code)
		}
	}
	t.Logf("height %d, app hash %s, %d voters counted, stable across a clean restart and a kill at rest", want.Height, want.AppHash, tc.Voters)

	// An independent replay: a copy of the home without the SQLite store
	// re-executes every block from CometBFT's block store (verifying every
	// ballot afresh: the verdict cache is empty) and must reach the same
	// app hash, tally and receipts.
	node.stop()
	replay := filepath.Join(tn.dir, "replay")
	err = copyHome(node.home, replay, func(rel string) bool {
		return strings.HasPrefix(rel, filepath.Join("data", "evote.db")) || rel == "node.log" || rel == "process.log"
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(replay, "data", "evote.db")); !os.IsNotExist(err) {
		t.Fatalf("the replay home has a store: %v", err)
	}
	t2 := time.Now()
	tn.nodes[0] = startNodeProc(t, "replay", replay)
	tn.waitUp(0, 2*time.Minute)
	got := tn.agree([]int{0}, se.id, want.Height, time.Minute)
	if !got.equal(want) {
		tn.fatalf("replay: height %d app hash %s, the node had %d %s", got.Height, got.AppHash, want.Height, want.AppHash)
	}
	tn.checkReceipts([]int{0}, committed)
	t.Logf("replay of %d blocks into an empty store: same app hash and tally, in %v; %v in all", want.Height, time.Since(t2).Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
}

// TestValidatorRestartedBeforeFirstBlock: a validator started once before
// the network made its first block (it ran InitChain, its store is at
// height 0), killed, and started again once the others went on, joins
// them. On its second start CometBFT hands InitChain its stored copy of the
// genesis, not genesis.json's bytes; both must give the same app hash, or
// the node can never get past block 1, and with two validators nothing is
// ever committed.
func TestValidatorRestartedBeforeFirstBlock(t *testing.T) {
	t.Parallel()
	tn := writeTestnet(t, 2)
	tn.start(1)
	if st := tn.waitUp(1, time.Minute); st.Height != 0 {
		tn.fatalf("node 1 alone at height %d", st.Height)
	}
	tn.nodes[1].kill()
	tn.start(0)
	if st := tn.waitUp(0, time.Minute); st.Height != 0 {
		tn.fatalf("node 0 alone at height %d", st.Height)
	}
	tn.nodes[1].restart()
	tn.waitUp(1, time.Minute)
	// The first block comes without any transaction.
	snap := tn.agree([]int{0, 1}, "", 1, time.Minute)
	t.Logf("both at height %d, app hash %s", snap.Height, snap.AppHash)
}
