package election_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/election"
)

// TestDeterminism replays every lifecycle script twice, once checking
// every transaction again in Deliver and once trusting a passed Precheck
// (as a node with a verdict cache does), and requires identical stores.
func TestDeterminism(t *testing.T) {
	files, _ := filepath.Glob("testdata/lifecycle/*.txt")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			a := runScript(t, f, false)
			b := runScript(t, f, true)
			if !a.st.Equal(b.st) {
				t.Fatal("the stores differ")
			}
			var ka, kb []string
			_ = a.st.Iterate(nil, func(k, v []byte) error { ka = append(ka, hex.EncodeToString(k)+hex.EncodeToString(v)); return nil })
			_ = b.st.Iterate(nil, func(k, v []byte) error { kb = append(kb, hex.EncodeToString(k)+hex.EncodeToString(v)); return nil })
			if strings.Join(ka, ",") != strings.Join(kb, ",") {
				t.Fatal("the stores iterate differently")
			}
		})
	}
}

// TestEmptyBlocksWriteNothing: a block without transactions or due timers
// leaves the state (and so the app hash) as it was.
func TestEmptyBlocksWriteNothing(t *testing.T) {
	r := runScript(t, "testdata/lifecycle/full-election.txt", false)
	before := digest(r.st)
	for i := range 3 {
		b := election.Block{ChainID: r.chainID, Height: r.block.Height + 1 + int64(i), Time: r.block.Time.Add(time.Duration(i+1) * time.Hour)}
		blk, err := r.m.BeginBlock(r.st, b)
		if err != nil {
			t.Fatal(err)
		}
		if err := blk.End(); err != nil {
			t.Fatal(err)
		}
		if err := blk.End(); err == nil {
			t.Error("a block ended twice")
		}
	}
	if string(before) != string(digest(r.st)) {
		t.Error("an empty block changed the state")
	}
	if _, err := r.m.BeginBlock(r.st, election.Block{ChainID: "another-chain", Height: 99, Time: r.block.Time}); err == nil {
		t.Error("BeginBlock accepted a block of another chain")
	}
}

// failingStore fails every read and write after a number of calls.
type failingStore struct {
	election.Store
	left int
}

var errDisk = errors.New("disk on fire")

func (f *failingStore) tick() error {
	if f.left <= 0 {
		return errDisk
	}
	f.left--
	return nil
}

func (f *failingStore) Get(k []byte) ([]byte, error) {
	if err := f.tick(); err != nil {
		return nil, err
	}
	return f.Store.Get(k)
}

func (f *failingStore) Set(k, v []byte) error {
	if err := f.tick(); err != nil {
		return err
	}
	return f.Store.Set(k, v)
}

func (f *failingStore) Iterate(p []byte, fn func(k, v []byte) error) error {
	if err := f.tick(); err != nil {
		return err
	}
	return f.Store.Iterate(p, fn)
}

// TestStoreFailure: a failing store is an error (a node fault) from
// Precheck, Check, BeginBlock, Deliver and End, and never a verdict on the
// transaction.
func TestStoreFailure(t *testing.T) {
	r := runScript(t, "testdata/lifecycle/full-election.txt", false)
	id := r.ids["city"]
	m := r.m
	b := election.Block{ChainID: r.chainID, Height: r.block.Height + 1, Time: r.block.Time.Add(time.Hour)}
	// A roll append reads the manifest, the status and the roll, then writes.
	raw, err := election.NewAppendVotersTx(r.chainID, id, []election.RollEntry{{Voter: actorKey("late").VoterPublic(), Weight: 1}}, actorKey("city-clerk"))
	if err != nil {
		t.Fatal(err)
	}
	// A fresh machine each time: a machine caches the manifests it has read.
	fresh := func() *election.Machine {
		fm, err := election.NewMachine(m.Genesis(), election.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return fm
	}
	for left := 0; left < 3; left++ { // the manifest, the transaction index, the status
		type outcome struct {
			res election.Result
			err error
		}
		var out = map[string]outcome{}
		res, err := fresh().Precheck(&failingStore{Store: r.st.Clone(), left: left}, raw)
		out["Precheck"] = outcome{res, err}
		res, err = fresh().Check(&failingStore{Store: r.st.Clone(), left: left}, b, raw, false)
		out["Check"] = outcome{res, err}
		fs := &failingStore{Store: r.st.Clone(), left: 1 << 30}
		blk, err := fresh().BeginBlock(fs, b)
		if err != nil {
			t.Fatal(err)
		}
		fs.left = left
		res, err = blk.Deliver(raw, false)
		out["Deliver"] = outcome{res, err}
		for name, o := range out {
			// Precheck reads only the manifest: with a good call, it passes.
			if name == "Precheck" && left > 0 && o.err == nil && o.res.OK() {
				continue
			}
			if !errors.Is(o.err, errDisk) {
				t.Errorf("%s with %d good calls: %v (%s), %v", name, left, o.res.Code, o.res.Log, o.err)
			}
		}
	}
	if _, err := m.BeginBlock(&failingStore{Store: r.st.Clone()}, b); !errors.Is(err, errDisk) {
		t.Errorf("BeginBlock: %v", err)
	}
	fs := &failingStore{Store: r.st.Clone(), left: 1 << 30}
	blk, err := m.BeginBlock(fs, b)
	if err != nil {
		t.Fatal(err)
	}
	fs.left = 0
	if err := blk.End(); !errors.Is(err, errDisk) {
		t.Errorf("End: %v", err)
	}
	if _, err := election.QueryElections(&failingStore{Store: r.st.Clone()}); !errors.Is(err, errDisk) {
		t.Errorf("QueryElections: %v", err)
	}
}

// TestQueries reads a finished election through every query.
func TestQueries(t *testing.T) {
	r := runScript(t, "testdata/lifecycle/full-election.txt", false)
	st := r.st
	id := r.ids["city"]

	list, err := election.QueryElections(st)
	if err != nil || len(list) != 1 {
		t.Fatalf("QueryElections: %v, %v", list, err)
	}
	if s := list[0]; s.ID != id || s.Phase != election.PhaseTallied || s.RollSize != 5 || s.Voters != 3 || s.Ballots != 3 || s.CreatedHeight != 1 {
		t.Errorf("summary %+v", s)
	}

	d, err := election.QueryElection(st, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.JointKey == nil || d.Trustees[0].VerificationKey == nil || len(d.Trustees) != 3 || !d.Trustees[2].Dealt || d.Trustees[2].SharesPosted || !d.Trustees[0].SharesPosted {
		t.Errorf("detail %+v", d)
	}
	var phases []string
	for _, p := range d.Phases {
		phases = append(phases, p.Phase.String())
	}
	if got := strings.Join(phases, ","); got != "dkg-deals,dkg-complaints,ready,open,closed,tallied" {
		t.Errorf("phases %s", got)
	}
	if d.Phases[3].Time != time.Date(2030, 3, 10, 7, 0, 0, 0, time.UTC) {
		t.Errorf("opened at %v", d.Phases[3].Time)
	}
	if d.Phase != election.PhaseTallied {
		t.Errorf("detail phase %v", d.Phase)
	}
	// The detail's JSON is package api's; the manifest's is election's.
	js, err := json.Marshal(d.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"type":"approval"`, `"dkg_complaint_window":"24h0m0s"`, `"identity":"evote-trustee:`, `"encryption_key":"x25519:`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("manifest JSON lacks %s", want)
		}
	}

	page, err := election.QueryRoll(st, id, 1, 2)
	if err != nil || page.Total != 5 || len(page.Voters) != 2 {
		t.Fatalf("QueryRoll: %+v, %v", page, err)
	}
	all, _ := election.QueryRoll(st, id, 0, 100)
	if all.Voters[1] != page.Voters[0] || all.Voters[2] != page.Voters[1] {
		t.Error("pages do not line up")
	}
	for i := 1; i < len(all.Voters); i++ {
		if all.Voters[i-1].Voter.String() >= all.Voters[i].Voter.String() {
			t.Error("roll not sorted")
		}
	}
	if empty, _ := election.QueryRoll(st, id, 10, 5); len(empty.Voters) != 0 {
		t.Error("page past the end")
	}

	tl, err := election.QueryTally(st, id)
	if err != nil || len(tl.Contests) != 3 || len(tl.Contests[1].Options) != 5 || tl.Contests[2].Options[0].Ballots != 3 {
		t.Fatalf("QueryTally: %+v, %v", tl, err)
	}
	aggs, err := election.Aggregates(st, id)
	if err != nil || tl.Contests[0].Options[0].Aggregate == nil || !tl.Contests[0].Options[0].Aggregate.Equal(aggs[0]) {
		t.Errorf("the tally's first aggregate is not the state's: %v", err)
	}

	res, err := election.QueryResult(st, id)
	if err != nil || res.Voters != 3 || res.Contests[0].Totals[0] != 2 || res.Time.IsZero() {
		t.Fatalf("QueryResult: %+v, %v", res, err)
	}

	vs, err := election.QueryVoter(st, id, actorKey("alice").Public())
	if err != nil || !vs.OnRoll || !vs.Voted || vs.Seq != 1 || vs.TxHash == nil {
		t.Fatalf("QueryVoter: %+v, %v", vs, err)
	}
	tx, err := election.QueryTx(st, *vs.TxHash)
	if err != nil || tx.Hash != *vs.TxHash || tx.Kind != election.KindBallot || tx.Signer != (election.SignerKey{Role: election.RoleVoter, Key: actorKey("alice").Public()}) || tx.Election != id {
		t.Fatalf("QueryTx: %+v, %v", tx, err)
	}

	var other election.ID
	other[0] = 1
	for name, err := range map[string]error{
		"election": func() error { _, err := election.QueryElection(st, other); return err }(),
		"roll":     func() error { _, err := election.QueryRoll(st, other, 0, 1); return err }(),
		"tally":    func() error { _, err := election.QueryTally(st, other); return err }(),
		"result":   func() error { _, err := election.QueryResult(st, other); return err }(),
		"voter":    func() error { _, err := election.QueryVoter(st, other, actorKey("a").Public()); return err }(),
		"tx":       func() error { _, err := election.QueryTx(st, [32]byte{}); return err }(),
		"key":      func() error { _, err := election.JointKey(st, other); return err }(),
		"manifest": func() error { _, err := election.LoadManifest(st, other); return err }(),
	} {
		if !errors.Is(err, election.ErrNotFound) {
			t.Errorf("%s of an unknown election: %v", name, err)
		}
	}
}

func TestIDAndGenesisJSON(t *testing.T) {
	id, _ := sampleManifest(t).ID()
	b, _ := json.Marshal(id)
	var back election.ID
	if err := json.Unmarshal(b, &back); err != nil || back != id {
		t.Fatalf("id JSON %s: %v", b, err)
	}
	if _, err := election.ParseID(strings.ToUpper(id.String())); !errors.Is(err, election.ErrMalformed) {
		t.Error("upper-case id accepted")
	}

	g := election.Genesis{ChainID: "evote-test", Authorities: []election.AuthorityPublicKey{actorKey("a").AuthorityPublic(), actorKey("b").AuthorityPublic()}}
	gj, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"chain_id":"evote-test","authorities":["` + actorKey("a").AuthorityPublic().String() + `","` + actorKey("b").AuthorityPublic().String() + `"]}`
	if string(gj) != want {
		t.Errorf("genesis JSON %s", gj)
	}
	back2, err := election.ParseGenesis(gj)
	if err != nil || back2.ChainID != g.ChainID || len(back2.Authorities) != 2 || back2.Authorities[1] != g.Authorities[1] {
		t.Errorf("ParseGenesis: %v", err)
	}
	for _, bad := range []string{
		`{"chain_id":"x","authorities":[]}`,
		`{"chain_id":"","authorities":["` + actorKey("a").Public().String() + `"]}`,
		`{"chain_id":"x","authorities":["` + actorKey("a").Public().String() + `","` + actorKey("a").Public().String() + `"]}`,
		`{"chain_id":"x","authorities":["ed25519:00"]}`,
		`{"chain_id":"x","authorities":["` + actorKey("a").Public().String() + `"],"extra":1}`,
		`{"chain_id":"x","authorities":["` + actorKey("a").Public().String() + `"]} {}`,
	} {
		if _, err := election.ParseGenesis([]byte(bad)); err == nil {
			t.Errorf("ParseGenesis(%s) accepted", bad)
		}
	}
	if _, err := election.NewMachine(election.Genesis{ChainID: "x"}, election.Options{}); err == nil {
		t.Error("NewMachine without authorities")
	}
	// The node's factory: the genesis document's chain id must be the app
	// state's.
	m, err := election.NewMachineFromAppState(gj, "evote-test", election.Options{})
	if err != nil || m.Genesis().ChainID != "evote-test" || len(m.Genesis().Authorities) != 2 {
		t.Errorf("NewMachineFromAppState: %v", err)
	}
	if _, err := election.NewMachineFromAppState(gj, "another-chain", election.Options{}); err == nil {
		t.Error("NewMachineFromAppState accepted another chain's app state")
	}
	if _, err := election.NewMachineFromAppState([]byte(`{"chain_id":"evote-test"}`), "evote-test", election.Options{}); err == nil {
		t.Error("NewMachineFromAppState accepted a genesis without authorities")
	}
}

// TestParallelPrecheck runs Precheck on many transactions at once, as a node
// does outside its consensus lock, and requires the verdicts of one at a
// time.
func TestParallelPrecheck(t *testing.T) {
	r := runScript(t, "testdata/lifecycle/full-election.txt", false)
	var txs [][]byte
	for i, line := range []string{
		"alice vote city 1,0|1,1,0,0,0|5,0,3",                // ok
		"bob vote city 0,1|0,1,1,1,0|2,2,2",                  // ok
		"carol vote city 1,0|0,0,0,0,1|0,5,0 proof-for=dave", // bad-proof
		"dave vote city 1,0|0,0,0,0,1|0,5,0 drop-contest",    // ballot-mismatch
		"trustee-c decrypt city",                             // ok
		"trustee-c decrypt city wrong",                       // bad-decryption-share
		"trustee-a deal city",                                // ok
		"trustee-a deal city bad-proof",                      // bad-deal
	} {
		r.line, r.cmdLine = 1000+i, 1000+i
		txs = append(txs, r.buildTx(r.parseTx(line)))
	}
	m, _ := election.NewMachine(r.m.Genesis(), election.Options{})
	want := make([]election.Code, len(txs))
	for i, tx := range txs {
		res, err := m.Precheck(r.st, tx)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res.Code
	}
	if want[0] != election.CodeOK || want[2] != election.CodeBadProof || want[5] != election.CodeBadDecryptionShare || want[7] != election.CodeBadDeal {
		t.Fatalf("sequential verdicts %v", want)
	}
	fresh, _ := election.NewMachine(r.m.Genesis(), election.Options{})
	got := make([]election.Code, 4*len(txs))
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := fresh.Precheck(r.st, txs[i%len(txs)])
			if err != nil {
				t.Error(err)
			}
			got[i] = res.Code
		}()
	}
	wg.Wait()
	for i, c := range got {
		if c != want[i%len(txs)] {
			t.Errorf("transaction %d: %v in parallel, %v alone", i%len(txs), c, want[i%len(txs)])
		}
	}
}

func TestCodeTextRoundTrip(t *testing.T) {
	for _, c := range append(election.Codes(), election.Code(10001)) {
		b, err := c.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got election.Code
		if err := got.UnmarshalText(b); err != nil || got != c {
			t.Fatalf("%d: %q parses to %d, %v", c, b, got, err)
		}
	}
	var c election.Code
	if err := c.UnmarshalText([]byte("code-3")); err == nil {
		t.Fatal("code-3 parses although code 3 has a name")
	}
	if err := c.UnmarshalText([]byte("no-such-code")); err == nil {
		t.Fatal("an unknown name parses")
	}
}

// TestBlockSumsMatchPerBallotWrites: a block keeps the aggregates decoded
// and writes them in End. Many ballots in one block and each ballot in a
// block of its own give the same state, and in the block the running sums
// are visible through the block's view before End writes them.
func TestBlockSumsMatchPerBallotWrites(t *testing.T) {
	r, txs := benchBallots(t, 12, 3)
	id := r.ids["m"]
	plain := r.st.Clone()
	blk := election.Block{ChainID: r.chainID, Height: r.block.Height + 1, Time: r.block.Time.Add(time.Minute)}

	m2, err := election.NewMachine(r.m.Genesis(), election.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range txs {
		x, err := m2.BeginBlock(plain, blk)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := x.Deliver(tx, false); err != nil || !res.OK() {
			t.Fatal(res.Log, err)
		}
		if err := x.End(); err != nil {
			t.Fatal(err)
		}
	}
	want, err := election.Aggregates(plain, id)
	if err != nil {
		t.Fatal(err)
	}

	before, err := election.Aggregates(r.st, id)
	if err != nil {
		t.Fatal(err)
	}
	x, err := r.m.BeginBlock(r.st, blk)
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range txs {
		if res, err := x.Deliver(tx, true); err != nil || !res.OK() {
			t.Fatal(res.Log, err)
		}
	}
	stored, _ := election.Aggregates(r.st, id)
	view, err := election.BlockView(x)
	if err != nil {
		t.Fatal(err)
	}
	seen, _ := election.Aggregates(view, id)
	if want[0].Equal(before[0]) {
		t.Fatal("the ballots did not change the aggregates")
	}
	for p := range want {
		if !stored[p].Equal(before[p]) {
			t.Fatalf("aggregate %d written before the block's End", p)
		}
		if !seen[p].Equal(want[p]) {
			t.Fatalf("aggregate %d: the block view differs from per-ballot writes", p)
		}
	}
	if err := x.End(); err != nil {
		t.Fatal(err)
	}
	if !r.st.Equal(plain) {
		t.Fatal("the states differ")
	}
}

// TestPrecheckBatchMatchesPrecheck: batched, every transaction gets
// exactly Precheck's verdict and message, valid ballots beside forged ones,
// garbage and other kinds.
func TestPrecheckBatchMatchesPrecheck(t *testing.T) {
	r, txs := benchBallots(t, 10, 1)
	id := r.ids["m"]
	ballotOf := func(tx []byte) *election.BallotBody {
		env, err := election.DecodeTx(tx)
		if err != nil {
			t.Fatal(err)
		}
		body, err := election.DecodeBody(env.Kind, env.Body)
		if err != nil {
			t.Fatal(err)
		}
		return body.(*election.BallotBody)
	}
	voter := func(i int) *election.PrivateKey { return election.DeriveKey(fmt.Sprintf("bench voter %d", i)) }

	b4 := ballotOf(txs[4])
	broken := bytes.Clone(b4.Contests[0])
	broken[len(broken)-5] ^= 1 // a proof scalar
	brokenTx, err := election.NewBallotTx(r.chainID, id, b4.Seq, [][]byte{broken}, voter(4))
	if err != nil {
		t.Fatal(err)
	}
	copiedTx, err := election.NewBallotTx(r.chainID, id, 1, ballotOf(txs[5]).Contests, voter(6))
	if err != nil {
		t.Fatal(err)
	}
	rollTx, err := election.NewAppendVotersTx(r.chainID, id, []election.RollEntry{{Voter: voter(99).VoterPublic(), Weight: 1}}, actorKey("official"))
	if err != nil {
		t.Fatal(err)
	}
	mixed := [][]byte{txs[0], txs[1], brokenTx, txs[2], copiedTx, {1, 2, 3}, txs[3], rollTx, txs[7], txs[8]}
	wantCodes := []election.Code{0, 0, election.CodeBadProof, 0, election.CodeBadProof, election.CodeMalformed, 0, 0, 0, 0}

	got, err := r.m.PrecheckBatch(r.st, mixed)
	if err != nil {
		t.Fatal(err)
	}
	for i, tx := range mixed {
		want, err := r.m.Precheck(r.st, tx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("transaction %d: batch %+v, alone %+v", i, got[i], want)
		}
		if got[i].Code != wantCodes[i] {
			t.Errorf("transaction %d: %v (%s), want %v", i, got[i].Code, got[i].Log, wantCodes[i])
		}
	}
	// A batch of only valid ballots, and an empty one.
	all, err := r.m.PrecheckBatch(r.st, txs)
	if err != nil {
		t.Fatal(err)
	}
	for i, res := range all {
		if !res.OK() {
			t.Errorf("ballot %d: %v (%s)", i, res.Code, res.Log)
		}
	}
	if none, err := r.m.PrecheckBatch(r.st, nil); err != nil || len(none) != 0 {
		t.Error("results for no transactions", err)
	}
	// A machine without Options.Rand prechecks each transaction alone, with
	// the same verdicts.
	alone, _ := election.NewMachine(r.m.Genesis(), election.Options{})
	got2, err := alone.PrecheckBatch(r.st, mixed)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got2, got) {
		t.Error("without Rand, PrecheckBatch gives other verdicts")
	}
}
