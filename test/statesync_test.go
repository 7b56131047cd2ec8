package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/internal/cometconf"
	"github.com/evote/evote/internal/receiptfile"
)

// TestReplicaByStateSync: four validator processes write a snapshot every
// ten blocks; an election runs and ballots are cast before and after
// snapshots. The first chunk of every snapshot on two of the validators is
// then corrupted on disk, so those two serve chunks that do not hash as
// their snapshots list. A replica made as anyone would (evote node init,
// evote node join --replica --state-sync with two validators' RPC) starts
// from a snapshot: it refuses the corrupted chunks and fetches them from
// the others, restores, block syncs to the tip, and then holds the
// validators' height and app hash and serves the same tally; ballots cast
// through it are committed. It holds no
// block before its snapshot: receipts of ballots committed after its first
// block verify; older ones answer 410 Gone, and so does the election's
// record.
func TestReplicaByStateSync(t *testing.T) {
	t.Parallel()
	const nodes, voters, late = 4, 30, 6
	tn := writeTestnet(t, nodes)
	for i := range nodes {
		home := filepath.Join(tn.dir, fmt.Sprintf("node%d", i))
		tn.nodes[i] = startNodeProc(t, fmt.Sprintf("node%d", i), home, "--snapshot-interval", "10", "--snapshot-keep", "50")
	}
	for i := range nodes {
		tn.waitUp(i, time.Minute)
	}
	se := tn.sample(voters)
	bs := se.ballots(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	castAll := func(bs []*ballot, concurrently bool, urls []string) {
		t.Helper()
		var wg sync.WaitGroup
		errc := make(chan error, len(bs))
		for i, b := range bs {
			do := func() {
				how, err := cast(ctx, func(try int) string { return urls[(i+try)%len(urls)] }, b)
				if err == nil && how == "" {
					err = fmt.Errorf("ballot %s not committed in time", b.code)
				}
				if err != nil {
					errc <- err
				}
			}
			if concurrently {
				wg.Go(do)
			} else {
				do()
			}
		}
		wg.Wait()
		close(errc)
		if err := <-errc; err != nil {
			tn.fatalf("%v", err)
		}
	}
	// Half the ballots at once, the rest one by one: each makes blocks of
	// its own, so that snapshots come after ballots and ballots after
	// snapshots.
	castAll(bs[:12], true, tn.urls)
	castAll(bs[12:voters-late], false, tn.urls)
	snap := tn.agree([]int{0, 1, 2, 3}, se.id, 0, time.Minute)

	snaps := func(i int) []string {
		dir := filepath.Join(tn.dir, fmt.Sprintf("node%d", i), chain.SnapshotsDir)
		ents, err := os.ReadDir(dir)
		if err != nil {
			tn.fatalf("node %d's snapshots: %v", i, err)
		}
		var out []string
		for _, e := range ents {
			if _, err := strconv.Atoi(e.Name()); err == nil {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
		return out
	}
	if len(snaps(0)) < 2 {
		tn.fatalf("node 0 holds %d snapshots at height %d, want several", len(snaps(0)), snap.Height)
	}
	for _, i := range []int{0, 1} {
		for _, dir := range snaps(i) {
			c := filepath.Join(dir, "chunk-000000")
			b, err := os.ReadFile(c)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0xff
			if err := os.WriteFile(c, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The replica: the genesis, the cards, and two members' CometBFT RPC.
	var cards, rpcs []string
	for i := range nodes {
		home := filepath.Join(tn.dir, fmt.Sprintf("node%d", i))
		cards = append(cards, filepath.Join(home, chain.CardFile))
		conf, err := cometconf.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 2 {
			rpcs = append(rpcs, strings.Replace(conf.RPC.ListenAddress, "tcp://", "http://", 1))
		}
	}
	p := freePortBlock(t, 3)
	replica := filepath.Join(tn.dir, "replica")
	runEvote(t, time.Minute, "node", "init", "--home", replica, "--moniker", "late-copy",
		"--p2p-listen", fmt.Sprintf("tcp://127.0.0.1:%d", p), "--rpc-listen", fmt.Sprintf("tcp://127.0.0.1:%d", p+1),
		"--http", fmt.Sprintf("127.0.0.1:%d", p+2))
	out := runEvote(t, time.Minute, "node", "join", "--home", replica, "--genesis", filepath.Join(tn.dir, "genesis.json"),
		"--card", strings.Join(cards, ","), "--replica", "--state-sync", "--state-sync-rpc", strings.Join(rpcs, ","))
	t.Logf("evote node join --state-sync:\n%s", out)
	tn.urls = append(tn.urls, fmt.Sprintf("http://127.0.0.1:%d", p+2))
	tn.nodes = append(tn.nodes, startNodeProc(t, "replica", replica))
	const r = nodes
	got := tn.agree([]int{0, 1, 2, 3, r}, se.id, snap.Height, 3*time.Minute)
	t.Logf("the replica holds height %d, app hash %s, the validators' tally", got.Height, got.AppHash)
	// The last voters cast through the replica, which relays their
	// ballots to the validators.
	castAll(bs[voters-late:], false, tn.urls[r:])
	got = tn.agree([]int{0, 1, 2, 3, r}, se.id, got.Height+1, time.Minute)
	if tc := parseTally(t, got.Tally); tc.Ballots != voters {
		tn.fatalf("the replica's tally counts %d ballots, want %d", tc.Ballots, voters)
	}

	// It started from a snapshot: its first block is after one.
	var st struct {
		Result struct {
			SyncInfo struct {
				Earliest string `json:"earliest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if err := getJSON(ctx, fmt.Sprintf("http://127.0.0.1:%d/status", p+1), &st); err != nil {
		tn.fatalf("the replica's CometBFT status: %v", err)
	}
	first, _ := strconv.ParseInt(st.Result.SyncInfo.Earliest, 10, 64)
	if first <= 1 {
		tn.fatalf("the replica's first block is %d: it did not start from a snapshot", first)
	}
	t.Logf("the replica started from the snapshot at height %d", first-1)
	if log, err := os.ReadFile(filepath.Join(replica, "node.log")); err == nil {
		t.Logf("the replica's log records %d refused chunks", strings.Count(string(log), "refused a snapshot chunk"))
	}

	// Receipts: those of blocks it holds verify; older ones are 410.
	trusted := tn.trusted()
	var after, before int
	for _, b := range bs {
		var wire api.Receipt
		if err := getJSON(ctx, tn.urls[0]+"/api/v1/receipts/"+b.code, &wire); err != nil {
			t.Fatal(err)
		}
		rc, err := receiptfile.ChainReceipt(&wire)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Height >= first {
			after++
			if err := tn.checkReceipt(ctx, r, b, trusted); err != nil {
				tn.fatalf("a receipt after the snapshot: %v", err)
			}
			continue
		}
		before++
		status, body, err := get(ctx, tn.urls[r]+"/api/v1/receipts/"+b.code)
		if err != nil || status != http.StatusGone {
			tn.fatalf("the receipt of a ballot of block %d (before the replica's first, %d): %d %s %v", rc.Height, first, status, body, err)
		}
		var eb api.ErrorBody
		if json.Unmarshal(body, &eb) != nil || eb.Error == "" {
			tn.fatalf("a 410 without its reason: %s", body)
		}
	}
	if after == 0 {
		tn.fatalf("no ballot after the replica's snapshot at %d: the test wants some", first-1)
	}
	if before == 0 {
		tn.fatalf("every ballot is after the replica's snapshot at %d: the test wants some before", first-1)
	}
	t.Logf("%d receipts verified on the replica, %d older ones answered 410", after, before)
	if status, _, err := get(ctx, tn.urls[r]+"/api/v1/elections/"+se.id+"/record"); err != nil || status != http.StatusGone {
		tn.fatalf("the record of an election that began before the replica's snapshot: %d %v", status, err)
	}
}
