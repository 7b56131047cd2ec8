package cli

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
)

func TestZZProfileLoad(t *testing.T) {
	home := t.TempDir()
	authority, _ := election.GenerateKey(rand.Reader)
	appState, _ := genesisAppState("prof", authority)
	base, _ := freePortBlock(3)
	if err := chain.Init(home, "prof", chain.InitOptions{ChainID: "prof", AppState: appState,
		P2PAddr: "tcp://127.0.0.1:" + strconv.Itoa(base), RPCAddr: "tcp://127.0.0.1:" + strconv.Itoa(base+1)}); err != nil {
		t.Fatal(err)
	}
	rn, err := startNode(NodeConfig{Home: home, HTTPAddr: "127.0.0.1:" + strconv.Itoa(base+2), LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	defer rn.stop()
	ctx := context.Background()
	set, err := setupElection(ctx, localSubmitter{rn.node}, electionSpec{Template: benchManifest, Reference: "p", Voters: 3000, Authority: authority})
	if err != nil {
		t.Fatal(err)
	}
	jk, _ := election.JointKey(rn.node.App().Store().Reader(), set.ID)
	el, _ := wallet.NewElection(set.ChainID, set.Manifest, jk)
	ballots, err := prepareBallots(el, set.Voters)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(filepath.Join(os.TempDir(), "node.prof"))
	pprof.StartCPUProfile(f)
	sub := newHTTPSubmitter(rn.url)
	var wg sync.WaitGroup
	ch := make(chan []byte)
	for c := 0; c < 256; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range ch {
				if _, _, err := sub.post(ctx, b); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for _, b := range ballots {
		ch <- b
	}
	close(ch)
	wg.Wait()
	pprof.StopCPUProfile()
}
