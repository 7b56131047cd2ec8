package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
)

// These tests drive the App through the ABCI lifecycle in-process, with no
// CometBFT node.

const testChainID = "evote-test"

var ctx = context.Background()

func newTestApp(t *testing.T, path string) *App {
	t.Helper()
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewApp(s, newTestMachine, 0)
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func initTestApp(t *testing.T, a *App) []byte {
	t.Helper()
	res, err := a.InitChain(ctx, &abci.RequestInitChain{ChainId: testChainID, AppStateBytes: []byte(`{"work":10}`)})
	if err != nil {
		t.Fatal(err)
	}
	return res.AppHash
}

func finalize(t *testing.T, a *App, height int64, txs ...[]byte) *abci.ResponseFinalizeBlock {
	t.Helper()
	res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{
		Height: height, Time: time.Unix(1700000000+height, 0).UTC(), Txs: txs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func commit(t *testing.T, a *App) {
	t.Helper()
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
}

func info(t *testing.T, a *App) *abci.ResponseInfo {
	t.Helper()
	res, err := a.Info(ctx, &abci.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAppLifecycle(t *testing.T) {
	dir := t.TempDir()
	a := newTestApp(t, filepath.Join(dir, StoreFile))
	if r := info(t, a); r.LastBlockHeight != 0 || len(r.LastBlockAppHash) != 0 {
		t.Fatalf("fresh Info: %+v", r)
	}
	// Before InitChain, transactions are refused, not failed.
	alice := testKey(1)
	if r, err := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: setTx(alice, "a", "1")}); err != nil || r.Code != uint32(CodeNotReady) {
		t.Fatalf("CheckTx before InitChain: %v, %v", r, err)
	}
	genesisHash := initTestApp(t, a)
	if !bytes.Equal(genesisHash, election.GenesisAppHash(testChainID, []byte(`{"work":10}`))) {
		t.Fatalf("InitChain app hash %x", genesisHash)
	}
	if r := info(t, a); r.LastBlockHeight != 0 || !bytes.Equal(r.LastBlockAppHash, genesisHash) || r.AppVersion != AppVersion {
		t.Fatalf("Info after InitChain: %+v", r)
	}

	good := setTx(alice, "a", "1")
	forged := append(bytes.Clone(good[:len(good)-1]), '2') // signature no longer matches
	for _, tc := range []struct {
		tx   []byte
		code election.Code
	}{
		{good, election.CodeOK},
		{forged, codeBadSig},
		{[]byte("short"), codeMalformed},
		{nil, CodeEmptyTx},
	} {
		r, err := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: tc.tx})
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != uint32(tc.code) {
			t.Errorf("CheckTx(%q) code %d (%s), want %d", tc.tx, r.Code, r.Log, tc.code)
		}
	}

	// PrepareProposal drops the cached rejections, repeats and what does not fit.
	big := setTx(alice, "big", string(bytes.Repeat([]byte("x"), 1000)))
	a.CheckTx(ctx, &abci.RequestCheckTx{Tx: big})
	pp, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{
		Txs: [][]byte{good, forged, good, {}, big}, MaxTxBytes: 500,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pp.Txs) != 1 || !bytes.Equal(pp.Txs[0], good) {
		t.Fatalf("PrepareProposal kept %d txs", len(pp.Txs))
	}
	// A proposal exactly as large as MaxTxBytes keeps everything; one
	// byte less drops the last transaction.
	exact := cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{good}) + cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{big})
	for _, c := range []struct {
		max  int64
		keep int
	}{{exact, 2}, {exact - 1, 1}} {
		pp, err := a.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{good, big}, MaxTxBytes: c.max})
		if err != nil || len(pp.Txs) != c.keep {
			t.Fatalf("PrepareProposal with MaxTxBytes %d (the two take %d): kept %d, want %d (%v)", c.max, exact, len(pp.Txs), c.keep, err)
		}
	}

	// ProcessProposal rejects malformed blocks, and blocks holding a
	// transaction that Check refuses on the committed state: no honest
	// proposer makes one.
	for _, tc := range []struct {
		name string
		txs  [][]byte
		want abci.ResponseProcessProposal_ProposalStatus
	}{
		{"valid", [][]byte{good}, abci.ResponseProcessProposal_ACCEPT},
		{"invalid transactions", [][]byte{good, forged, []byte("short")}, abci.ResponseProcessProposal_REJECT},
		{"a forged transaction last", [][]byte{good, forged}, abci.ResponseProcessProposal_REJECT},
		{"a forged transaction first", [][]byte{forged, good}, abci.ResponseProcessProposal_REJECT},
		{"a transaction Deliver refuses, Check admits", [][]byte{good, failTx(alice, "1")}, abci.ResponseProcessProposal_ACCEPT},
		{"empty transaction", [][]byte{good, {}}, abci.ResponseProcessProposal_REJECT},
		{"repeated transaction", [][]byte{good, forged, good}, abci.ResponseProcessProposal_REJECT},
	} {
		r, err := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: tc.txs, Height: 1})
		if err != nil || r.Status != tc.want {
			t.Errorf("ProcessProposal(%s) = %v, %v; want %v", tc.name, r.Status, err, tc.want)
		}
	}

	// Block 1: the valid set, a forged one, a rejected Deliver that writes,
	// a second set of the same key.
	taken := setTx(testKey(2), "a", "other")
	fails := failTx(alice, "1")
	fb := finalize(t, a, 1, good, forged, fails, taken)
	wantCodes := []election.Code{election.CodeOK, codeBadSig, codeFails, codeTaken}
	for i, r := range fb.TxResults {
		if r.Code != uint32(wantCodes[i]) {
			t.Errorf("tx %d: code %d (%s), want %d", i, r.Code, r.Log, wantCodes[i])
		}
	}
	if ev := fb.TxResults[0].Events; len(ev) != 1 || ev[0].Type != EventType || ev[0].Attributes[0].Value != "a" {
		t.Errorf("events of tx 0: %v", ev)
	}
	// Staged, not committed: Info and CheckTx still see height 0.
	if r := info(t, a); r.LastBlockHeight != 0 {
		t.Fatalf("Info before Commit: height %d", r.LastBlockHeight)
	}
	if r, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: taken}); r.Code != uint32(election.CodeOK) {
		t.Fatalf("CheckTx saw staged state: code %d", r.Code)
	}
	commit(t, a)
	r1 := info(t, a)
	if r1.LastBlockHeight != 1 || !bytes.Equal(r1.LastBlockAppHash, fb.AppHash) || bytes.Equal(fb.AppHash, genesisHash) {
		t.Fatalf("Info after block 1: %+v (block hash %x)", r1, fb.AppHash)
	}
	if v := mustGet(t, a.Store().Reader(), "d/fail"); v != nil {
		t.Fatal("a rejected Deliver's write was committed")
	}
	if r, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: taken}); r.Code != uint32(codeTaken) {
		t.Fatalf("CheckTx after commit: code %d, want taken", r.Code)
	}
	q, _ := a.Query(ctx, &abci.RequestQuery{Path: QueryKey, Data: []byte("d/a")})
	if string(q.Value) != "1" || q.Height != 1 {
		t.Fatalf("Query key: %+v", q)
	}
	h := HashTx(forged)
	q, _ = a.Query(ctx, &abci.RequestQuery{Path: QueryTx, Data: h[:]})
	var row TxRow
	if err := json.Unmarshal(q.Value, &row); err != nil || row.Code != codeBadSig || row.Index != 1 {
		t.Fatalf("Query tx: %+v %v", row, err)
	}

	// Block 2: transactions that write no key (a no-op, rejections): their
	// rows of the receipt index are state, so the app hash changes.
	fb2 := finalize(t, a, 2, noopTx(alice, "1"), forged, fails)
	commit(t, a)
	if bytes.Equal(fb2.AppHash, fb.AppHash) {
		t.Fatal("a block with receipt rows kept the app hash")
	}
	// Block 3: empty: the app hash stays.
	fb3 := finalize(t, a, 3)
	commit(t, a)
	if !bytes.Equal(fb3.AppHash, fb2.AppHash) || info(t, a).LastBlockHeight != 3 {
		t.Fatal("an empty block changed the app hash")
	}
}

// FinalizeBlock again without Commit (as after a crash, or a replay) gives
// the same result; the first attempt's writes are gone.
func TestAppRefinalizeWithoutCommit(t *testing.T) {
	a := newTestApp(t, filepath.Join(t.TempDir(), StoreFile))
	initTestApp(t, a)
	alice := testKey(1)
	first := finalize(t, a, 1, setTx(alice, "a", "1"))
	second := finalize(t, a, 1, setTx(alice, "a", "1"))
	if !bytes.Equal(first.AppHash, second.AppHash) || second.TxResults[0].Code != 0 {
		t.Fatalf("re-finalize: %x vs %x, code %d", first.AppHash, second.AppHash, second.TxResults[0].Code)
	}
	commit(t, a)
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err == nil {
		t.Fatal("Commit without FinalizeBlock succeeded")
	}
}

// Two apps fed the same blocks agree on every app hash, whatever their
// caches hold; and an app reopened on its store carries on.
func TestAppDeterministicAndReopens(t *testing.T) {
	dir := t.TempDir()
	a := newTestApp(t, filepath.Join(dir, "a.db"))
	b := newTestApp(t, filepath.Join(dir, "b.db"))
	initTestApp(t, a)
	initTestApp(t, b)
	alice, bob := testKey(1), testKey(2)
	blocks := [][][]byte{
		{setTx(alice, "x", "1"), setTx(bob, "y", "2")},
		{setTx(bob, "x", "3"), failTx(bob, "f"), noopTx(alice, "n")},
		{},
		{setTx(alice, "z", "")},
	}
	// a has every verdict cached, b none.
	for _, blk := range blocks {
		for _, tx := range blk {
			a.Precheck(tx)
		}
	}
	for i, blk := range blocks {
		ra := finalize(t, a, int64(i+1), blk...)
		rb := finalize(t, b, int64(i+1), blk...)
		commit(t, a)
		commit(t, b)
		if !bytes.Equal(ra.AppHash, rb.AppHash) {
			t.Fatalf("block %d: app hashes differ", i+1)
		}
	}
	last := info(t, a)
	a.Close()
	a2 := newTestApp(t, filepath.Join(dir, "a.db"))
	if r := info(t, a2); r.LastBlockHeight != last.LastBlockHeight || !bytes.Equal(r.LastBlockAppHash, last.LastBlockAppHash) {
		t.Fatalf("after reopen: %+v, want %+v", r, last)
	}
	// The machine was rebuilt from the stored genesis.
	r := finalize(t, a2, 5, setTx(bob, "w", "1"))
	if r.TxResults[0].Code != 0 {
		t.Fatalf("after reopen: code %d (%s)", r.TxResults[0].Code, r.TxResults[0].Log)
	}
	commit(t, a2)
}

// FinalizeBlock prechecks cache misses in parallel and once: a cached
// verdict is not recomputed.
func TestAppPrechecksOnlyCacheMisses(t *testing.T) {
	a := newTestApp(t, filepath.Join(t.TempDir(), StoreFile))
	initTestApp(t, a)
	m, _ := a.current()
	tm := m.(*testMachine)
	var txs [][]byte
	for i := range 20 {
		txs = append(txs, setTx(testKey(byte(i)), "k"+string(rune('a'+i)), "v"))
	}
	for _, tx := range txs[:5] {
		if _, res, err := a.Precheck(tx); err != nil || !res.OK() {
			t.Fatalf("Precheck: %v %v", res, err)
		}
	}
	if got := tm.prechecks.Load(); got != 5 {
		t.Fatalf("prechecks = %d, want 5", got)
	}
	if r, _ := a.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: txs[:10]}); r.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatal("proposal rejected")
	}
	if got := tm.prechecks.Load(); got != 10 {
		t.Fatalf("prechecks after ProcessProposal = %d, want 10", got)
	}
	fb := finalize(t, a, 1, txs...)
	for i, r := range fb.TxResults {
		if r.Code != 0 {
			t.Fatalf("tx %d: code %d %s", i, r.Code, r.Log)
		}
	}
	if got := tm.prechecks.Load(); got != 20 {
		t.Fatalf("prechecks after FinalizeBlock = %d, want 20", got)
	}
	commit(t, a)
}

// A failing store is a node fault: the machine's answer to it is neither
// cached nor taken for a verdict.
func TestAppStoreFailureIsNotAVerdict(t *testing.T) {
	a := newTestApp(t, filepath.Join(t.TempDir(), StoreFile))
	initTestApp(t, a)
	tx := setTx(testKey(1), "a", "1")
	a.store.r.Close() // every read now fails
	r, err := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx})
	if err != nil || r.Code != uint32(CodeNodeError) {
		t.Fatalf("CheckTx on a failing store: %v, %v", r, err)
	}
	if a.Cache().Len() != 0 {
		t.Fatal("a verdict reached on a failing store was cached")
	}
	if _, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 1, Txs: [][]byte{tx}}); err == nil {
		t.Fatal("FinalizeBlock on a failing store succeeded")
	}
}

// A write that fails inside Deliver is a node fault too: FinalizeBlock
// fails, whatever result the machine made of it, and nothing is committed.
func TestAppFailedWriteStopsTheBlock(t *testing.T) {
	a := newTestApp(t, filepath.Join(t.TempDir(), StoreFile))
	initTestApp(t, a)
	// The writing connection is a single one: a temporary trigger on it
	// makes every write of the key d/poison fail.
	if _, err := a.store.w.Exec(`CREATE TEMP TRIGGER poison BEFORE INSERT ON kv
		WHEN NEW.key = CAST('d/poison' AS BLOB) BEGIN SELECT RAISE(ABORT, 'poisoned'); END`); err != nil {
		t.Fatal(err)
	}
	_, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 1, Txs: [][]byte{
		setTx(testKey(1), "fine", "1"), setTx(testKey(2), "poison", "1"),
	}})
	if err == nil {
		t.Fatal("FinalizeBlock with a failing write succeeded")
	}
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err == nil {
		t.Fatal("Commit after a failed FinalizeBlock succeeded")
	}
	if r := info(t, a); r.LastBlockHeight != 0 || mustGet(t, a.Store().Reader(), "d/fine") != nil {
		t.Fatalf("a failed block left traces: height %d", r.LastBlockHeight)
	}
	// The node can execute the block again (as after a restart).
	if r := finalize(t, a, 1, setTx(testKey(1), "fine", "1")); r.TxResults[0].Code != 0 {
		t.Fatalf("code %d", r.TxResults[0].Code)
	}
	commit(t, a)
}

// TestInitChainCanonicalAppState: CometBFT hands InitChain the app state of
// genesis.json as written on a node's first start, and its own compacted
// copy on any later one; both, and any formatting of the file, give one
// app hash and one stored genesis. An app state that is not JSON fails.
func TestInitChainCanonicalAppState(t *testing.T) {
	file := []byte("{\n  \"work\": 10,\n  \"note\": \"a < b & c\"\n}")
	gen := &cmttypes.GenesisDoc{ChainID: testChainID, AppState: file}
	stored, err := cmtjson.Marshal(gen) // what CometBFT keeps in its state database
	if err != nil {
		t.Fatal(err)
	}
	var again cmttypes.GenesisDoc
	if err := cmtjson.Unmarshal(stored, &again); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again.AppState, file) {
		t.Fatal("CometBFT's stored genesis kept the file's bytes; the test shows nothing")
	}
	want := []byte(`{"work":10,"note":"a \u003c b \u0026 c"}`)
	for _, appState := range [][]byte{file, again.AppState, want} {
		a := newTestApp(t, filepath.Join(t.TempDir(), StoreFile))
		res, err := a.InitChain(ctx, &abci.RequestInitChain{ChainId: testChainID, AppStateBytes: appState})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.AppHash, election.GenesisAppHash(testChainID, want)) {
			t.Fatalf("app state %q: app hash %x, want that of %s", appState, res.AppHash, want)
		}
		if _, got, _, _ := a.Store().Genesis(); !bytes.Equal(got, want) {
			t.Fatalf("app state %q: stored %s, want %s", appState, got, want)
		}
	}
	for _, bad := range []string{"", "  ", "{", `{"work":1} x`} {
		a := newTestApp(t, filepath.Join(t.TempDir(), StoreFile))
		if _, err := a.InitChain(ctx, &abci.RequestInitChain{ChainId: testChainID, AppStateBytes: []byte(bad)}); err == nil {
			t.Errorf("InitChain with app state %q succeeded", bad)
		}
	}
}
