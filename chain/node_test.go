package chain

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/mempool"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
)

// testAppState makes Precheck burn a little CPU per transaction.
var testAppState = json.RawMessage(`{"work":2000}`)

// freeBase returns a port p such that p .. p+count-1 are free on
// 127.0.0.1 (at the time of asking).
func freeBase(t testing.TB, count int) int {
	t.Helper()
	for range 100 {
		base := 20000 + rand.IntN(40000)
		var ls []net.Listener
		ok := true
		for i := range count {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports on 127.0.0.1")
	return 0
}

// testLog is where test nodes log: nowhere, unless EVOTE_TEST_LOG is set.
func testLog() io.Writer {
	if os.Getenv("EVOTE_TEST_LOG") != "" {
		return os.Stderr
	}
	return nil
}

func startNode(t testing.TB, home string) *Node {
	t.Helper()
	return startNodeWith(t, home, newTestMachine)
}

func startNodeWith(t testing.TB, home string, newMachine MachineFactory) *Node {
	t.Helper()
	n, err := openNode(home, Options{NewMachine: newMachine, LogOutput: testLog(), LogLevel: "info"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

func initHome(t testing.TB) string {
	t.Helper()
	home := filepath.Join(t.TempDir(), "node")
	base := freeBase(t, 2)
	err := Init(home, "solo", InitOptions{
		ChainID: testChainID, AppState: testAppState,
		P2PAddr: fmt.Sprintf("tcp://127.0.0.1:%d", base), RPCAddr: fmt.Sprintf("tcp://127.0.0.1:%d", base+1),
	})
	if err != nil {
		t.Fatal(err)
	}
	return home
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func committedHeight(t testing.TB, n *Node) int64 {
	t.Helper()
	m, err := n.App().Store().Meta()
	if err != nil {
		t.Fatal(err)
	}
	return m.Height
}

// genesisValidators is the trusted validator set of a home: its genesis.
func genesisValidators(t testing.TB, n *Node) *cmttypes.ValidatorSet {
	t.Helper()
	gen := n.CometBFT().GenesisDoc()
	vals := make([]*cmttypes.Validator, len(gen.Validators))
	for i, v := range gen.Validators {
		vals[i] = cmttypes.NewValidator(v.PubKey, v.Power)
	}
	return cmttypes.NewValidatorSet(vals)
}

func submitAndWait(t testing.TB, n *Node, tx []byte) *Receipt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hash, res, err := n.Submit(ctx, tx)
	if err != nil || !res.OK() {
		t.Fatalf("Submit: %v, %v", res, err)
	}
	r, err := n.WaitForReceipt(ctx, hash[:])
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestNodeSingleValidator runs one validator in-process: it commits
// submitted transactions and gives receipts that verify offline, makes no
// empty blocks while idle, keeps the app hash over a block without writes,
// and restarts from its home where it stopped.
func TestNodeSingleValidator(t *testing.T) {
	home := initHome(t)
	n := startNode(t, home)
	waitFor(t, 20*time.Second, "the first block", func() bool { return committedHeight(t, n) >= 1 })
	trusted := genesisValidators(t, n)

	// Many submitters verify in parallel; one forged transaction is
	// refused at Submit with its code, not an error.
	var txs [][]byte
	for i := range 12 {
		txs = append(txs, setTx(testKey(byte(i+1)), fmt.Sprintf("k%02d", i), fmt.Sprintf("v%d", i)))
	}
	hashes := make([]TxHash, len(txs))
	var wg sync.WaitGroup
	errs := make(chan error, len(txs))
	for i, tx := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, res, err := n.Submit(context.Background(), tx)
			if err != nil || !res.OK() {
				errs <- fmt.Errorf("Submit %d: %v, %v", i, res, err)
			}
			hashes[i] = h
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	forged := bytes.Clone(txs[0])
	forged[len(forged)-1] ^= 1
	if _, res, err := n.Submit(context.Background(), forged); err != nil || res.Code != codeBadSig {
		t.Fatalf("forged Submit: %v, %v", res, err)
	}
	if _, _, err := n.Submit(context.Background(), txs[1]); !errors.Is(err, ErrKnownTx) {
		t.Fatalf("second Submit of a transaction: %v, want ErrKnownTx", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var receipts []*Receipt
	var maxHeight int64
	for i, h := range hashes {
		r, err := n.WaitForReceipt(ctx, h[:])
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		if r.Code != election.CodeOK || !bytes.Equal(r.Tx(), txs[i]) {
			t.Fatalf("receipt %d: code %d", i, r.Code)
		}
		if err := VerifyReceipt(r, trusted, testChainID); err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		back, err := receiptOfWire(wireReceipt(t, r))
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyReceipt(back, trusted, testChainID); err != nil {
			t.Fatalf("receipt %d after JSON: %v", i, err)
		}
		receipts = append(receipts, r)
		maxHeight = max(maxHeight, r.Height)
	}
	t.Run("TamperedReceiptsFail", func(t *testing.T) { testTamperedReceipts(t, receipts[0], trusted) })

	// Idle: one more block (CometBFT's proof block, which carries the app
	// hash the last block changed in its header), then none.
	idle := maxHeight + 1
	waitFor(t, 20*time.Second, "the proof block", func() bool { return committedHeight(t, n) >= idle })
	time.Sleep(6 * TimeoutCommit)
	if h := committedHeight(t, n); h != idle {
		t.Fatalf("empty blocks while idle: height %d, want %d", h, idle)
	}

	// A block whose only transaction writes no key still writes its row
	// of the receipt index, which the app hash covers: the hash changes,
	// and one proof block follows. That proof block, without writes, keeps
	// the app hash, and none comes after it.
	before, err := n.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	noop := submitAndWait(t, n, noopTx(testKey(1), "nothing"))
	if noop.Code != election.CodeOK || noop.Height != idle+1 {
		t.Fatalf("no-op receipt: code %d height %d (idle height %d)", noop.Code, noop.Height, idle)
	}
	waitFor(t, 20*time.Second, "the no-op's proof block", func() bool { return committedHeight(t, n) >= noop.Height+1 })
	time.Sleep(4 * TimeoutCommit)
	after, err := n.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	proof := n.CometBFT().BlockStore().LoadBlockMeta(noop.Height + 1)
	if after.AppHash == before.AppHash || after.Height != noop.Height+1 || proof == nil ||
		hex.EncodeToString(proof.Header.AppHash) != after.AppHash {
		t.Fatalf("after a block with only a receipt row and its proof block: height %d app hash %s, before height %d app hash %s",
			after.Height, after.AppHash, before.Height, before.AppHash)
	}
	if after.ChainID != testChainID || len(after.Validators) != 1 || after.Validators[0].Power != validatorPower {
		t.Fatalf("status: %+v", after)
	}
	info, _ := n.App().Info(ctx, &abci.RequestInfo{})
	if hex.EncodeToString(info.LastBlockAppHash) != after.AppHash {
		t.Fatal("Status and Info disagree")
	}
	if h, bt := n.LastBlock(); h != after.Height || !bt.Equal(after.BlockTime) {
		t.Fatalf("LastBlock %d %v, status %d %v", h, bt, after.Height, after.BlockTime)
	}

	// Stop and start again from the same home.
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	n2 := startNode(t, home)
	again, err := n2.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Height != after.Height || again.AppHash != after.AppHash {
		t.Fatalf("after restart: height %d app hash %s, want %d %s", again.Height, again.AppHash, after.Height, after.AppHash)
	}
	for i := range txs {
		k := fmt.Sprintf("d/k%02d", i)
		if v := mustGet(t, n2.App().Store().Reader(), k); string(v) != fmt.Sprintf("v%d", i) {
			t.Fatalf("after restart %s = %q", k, v)
		}
	}
	if r, err := n2.Receipt(ctx, hashes[3][:]); err != nil || VerifyReceipt(r, trusted, testChainID) != nil {
		t.Fatalf("receipt after restart: %v", err)
	}
	r := submitAndWait(t, n2, setTx(testKey(99), "after", "restart"))
	if r.Height <= after.Height || VerifyReceipt(r, trusted, testChainID) != nil {
		t.Fatalf("after restart: receipt at %d (was at %d)", r.Height, after.Height)
	}
}

// testTamperedReceipts changes each field of a good receipt in turn: every
// change must make VerifyReceipt fail. Not tested, because not proved (see
// Receipt): Code and Log, and Proof.Total where the Merkle path does not
// depend on it.
func testTamperedReceipts(t *testing.T, good *Receipt, trusted *cmttypes.ValidatorSet) {
	if err := VerifyReceipt(good, trusted, testChainID); err != nil {
		t.Fatal(err)
	}
	// clone deep-copies through the wire form.
	clone := func() *Receipt {
		r, err := receiptOfWire(wireReceipt(t, good))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	other := cmttypes.NewValidatorSet([]*cmttypes.Validator{
		cmttypes.NewValidator(cmted25519.GenPrivKey().PubKey(), validatorPower),
	})
	for _, tc := range []struct {
		name   string
		tamper func(r *Receipt)
	}{
		{"ChainID", func(r *Receipt) { r.ChainID += "x" }},
		{"TrackingCode", func(r *Receipt) { r.TrackingCode = hex.EncodeToString(make([]byte, 32)) }},
		{"Height", func(r *Receipt) { r.Height++ }},
		{"Index", func(r *Receipt) { r.Index++ }},
		{"TxHash", func(r *Receipt) { r.TxHash[0] ^= 1 }},
		{"Proof.Data", func(r *Receipt) { r.Proof.Data = append(r.Proof.Data, 0) }},
		{"Proof.RootHash", func(r *Receipt) { r.Proof.RootHash[0] ^= 1 }},
		{"Proof.Index", func(r *Receipt) { r.Proof.Proof.Index++ }},
		{"Proof.LeafHash", func(r *Receipt) { r.Proof.Proof.LeafHash = make([]byte, 32) }},
		{"Header.DataHash", func(r *Receipt) { r.Header.DataHash[0] ^= 1 }},
		{"Header.AppHash", func(r *Receipt) { r.Header.AppHash[0] ^= 1 }},
		{"Header.Time", func(r *Receipt) { r.Header.Time = r.Header.Time.Add(time.Second) }},
		{"Header.ChainID", func(r *Receipt) { r.Header.ChainID = "other" }},
		{"Header.Height", func(r *Receipt) { r.Header.Height++ }},
		{"Header.ValidatorsHash", func(r *Receipt) { r.Header.ValidatorsHash[0] ^= 1 }},
		{"Commit.BlockID", func(r *Receipt) { r.Commit.BlockID.Hash[0] ^= 1 }},
		{"Commit.Height", func(r *Receipt) { r.Commit.Height++ }},
		{"Commit.Round", func(r *Receipt) { r.Commit.Round++ }},
		{"Commit.Signature", func(r *Receipt) { r.Commit.Signatures[0].Signature[0] ^= 1 }},
		{"Commit.Timestamp", func(r *Receipt) {
			r.Commit.Signatures[0].Timestamp = r.Commit.Signatures[0].Timestamp.Add(time.Millisecond)
		}},
		{"Commit.NoSignatures", func(r *Receipt) { r.Commit.Signatures[0] = cmttypes.NewCommitSigAbsent() }},
		{"ValidatorSet.Power", func(r *Receipt) { r.ValidatorSet.Validators[0].VotingPower++ }},
		{"ValidatorSet.Other", func(r *Receipt) { r.ValidatorSet = other }},
		{"missing Header", func(r *Receipt) { r.Header = nil }},
		{"missing Commit", func(r *Receipt) { r.Commit = nil }},
		{"missing ValidatorSet", func(r *Receipt) { r.ValidatorSet = nil }},
	} {
		r := clone()
		tc.tamper(r)
		if err := VerifyReceipt(r, trusted, testChainID); !errors.Is(err, ErrBadReceipt) {
			t.Errorf("tampered %s: VerifyReceipt = %v, want ErrBadReceipt", tc.name, err)
		}
	}
	// The wrong trust root or chain id fails too.
	if err := VerifyReceipt(clone(), other, testChainID); !errors.Is(err, ErrBadReceipt) {
		t.Errorf("untrusted validator set: %v", err)
	}
	if err := VerifyReceipt(clone(), trusted, "other-chain"); !errors.Is(err, ErrBadReceipt) {
		t.Errorf("other chain id: %v", err)
	}
	if err := VerifyReceipt(nil, trusted, testChainID); !errors.Is(err, ErrBadReceipt) {
		t.Errorf("nil receipt: %v", err)
	}
}

// A node built and stopped without starting releases its home: it can be
// built again at once.
func TestNodeStopWithoutStart(t *testing.T) {
	home := initHome(t)
	for range 2 {
		n, err := openNode(home, Options{NewMachine: newTestMachine})
		if err != nil {
			t.Fatal(err)
		}
		// The configuration Init wrote is the one read back.
		c := n.CometBFT().Config()
		if c.Consensus.CreateEmptyBlocks || c.Consensus.TimeoutCommit != TimeoutCommit ||
			c.Consensus.TimeoutPropose != TimeoutPropose || c.Mempool.MaxTxBytes != MaxTxBytes ||
			c.TxIndex.Indexer != "null" || c.P2P.PexReactor || c.RootDir != home {
			t.Errorf("configuration read back: %+v %+v", c.Consensus, c.Mempool)
		}
		if gen := n.CometBFT().GenesisDoc(); gen.ConsensusParams.Block.MaxBytes != MaxBlockBytes {
			t.Errorf("block max bytes %d", gen.ConsensusParams.Block.MaxBytes)
		}
		if err := n.Stop(); err != nil {
			t.Fatal(err)
		}
		if err := n.Stop(); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
	}
	if err := Init(home, "again", InitOptions{ChainID: testChainID}); err == nil {
		t.Fatal("Init over an existing home succeeded")
	}
	if _, err := openNode(t.TempDir(), Options{NewMachine: newTestMachine}); err == nil {
		t.Fatal("NewNode on an empty directory succeeded")
	}
}

// barrierMachine's Precheck waits until want calls are inside it at once.
type barrierMachine struct {
	*testMachine
	mu      sync.Mutex
	inside  int
	want    int
	allHere chan struct{}
}

func (m *barrierMachine) Precheck(st election.ReadStore, tx []byte) (election.Result, error) {
	m.mu.Lock()
	m.inside++
	if m.inside == m.want {
		close(m.allHere)
	}
	m.mu.Unlock()
	select {
	case <-m.allHere:
		return m.testMachine.Precheck(st, tx)
	case <-time.After(10 * time.Second):
		return election.Result{Code: 77, Log: "Precheck calls did not run in parallel"}, nil
	}
}

// CheckTx runs in parallel: transactions that reach the mempool without
// Submit (from peers, from RPC) are verified concurrently too.
func TestNodeChecksTxsInParallel(t *testing.T) {
	const parallel = 4
	home := initHome(t)
	n, err := openNode(home, Options{NewMachine: func(appState json.RawMessage, chainID string) (StateMachine, error) {
		m, err := newTestMachine(appState, chainID)
		if err != nil {
			return nil, err
		}
		return &barrierMachine{testMachine: m.(*testMachine), want: parallel, allHere: make(chan struct{})}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	codes := make(chan uint32, parallel)
	for i := range parallel {
		go func() {
			tx := setTx(testKey(byte(i+1)), fmt.Sprintf("p%d", i), "v")
			err := n.CometBFT().Mempool().CheckTx(tx, func(r *abci.ResponseCheckTx) { codes <- r.Code }, mempool.TxInfo{})
			if err != nil {
				t.Error(err)
				codes <- 1000
			}
		}()
	}
	for range parallel {
		if c := <-codes; c != 0 {
			t.Fatalf("CheckTx code %d", c)
		}
	}
}

// GenerateTestnet and Init never replace a key of an existing home.
func TestHomesKeepTheirKeys(t *testing.T) {
	dir := t.TempDir()
	base := freeBase(t, 4)
	homes, err := GenerateTestnet(dir, 2, testChainID, nil, base)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(homes[0], "config", "priv_validator_key.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := GenerateTestnet(dir, 2, testChainID, nil, base); err == nil {
		t.Fatal("GenerateTestnet over existing homes succeeded")
	}
	os.Remove(filepath.Join(homes[0], "config", "genesis.json"))
	if err := Init(homes[0], "again", InitOptions{ChainID: testChainID}); err == nil {
		t.Fatal("Init over an existing validator key succeeded")
	}
	if again, _ := os.ReadFile(filepath.Join(homes[0], "config", "priv_validator_key.json")); !bytes.Equal(again, key) {
		t.Fatal("a validator key was replaced")
	}
	for _, bad := range []struct {
		n    int
		id   string
		port int
	}{{0, testChainID, base}, {2, "", base}, {2, testChainID, 0}, {2, testChainID, 65534}} {
		if _, err := GenerateTestnet(t.TempDir(), bad.n, bad.id, nil, bad.port); err == nil {
			t.Errorf("GenerateTestnet(%d, %q, %d) succeeded", bad.n, bad.id, bad.port)
		}
	}
}

// TestNodeRebuildsItsStore: a node whose SQLite store is gone rebuilds it
// from CometBFT's block store at the next start (InitChain, then every
// block again) and reaches the app hash it had. InitChain then gets
// CometBFT's stored copy of the genesis, not genesis.json's bytes.
func TestNodeRebuildsItsStore(t *testing.T) {
	home := initHome(t)
	n := startNode(t, home)
	var last *Receipt
	for i := range 3 {
		last = submitAndWait(t, n, setTx(testKey(1), fmt.Sprintf("k%d", i), "v"))
	}
	ctx := context.Background()
	waitFor(t, 30*time.Second, "the block carrying the last app hash", func() bool {
		return committedHeight(t, n) > last.Height
	})
	want, err := n.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(home, "data", StoreFile+"*"))
	if len(files) == 0 {
		t.Fatal("no store files")
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	n = startNode(t, home)
	got, err := n.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Height < want.Height || got.AppHash != want.AppHash {
		t.Fatalf("rebuilt store at height %d app hash %s, was %d %s", got.Height, got.AppHash, want.Height, want.AppHash)
	}
	if v := mustGet(t, n.App().Store().Reader(), "d/k2"); string(v) != "v" {
		t.Fatalf("k2 = %q after the rebuild", v)
	}
}
