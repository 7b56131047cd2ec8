package trustee_test

import (
	"bufio"
	"bytes"
	"crypto/sha3"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

// The scripts under testdata/*.txt drive trustees through whole elections
// on the real state machine (election.Machine over election.MemStore, one
// block per transaction), in the style of etcd raft's interaction tests.
// Each command is followed by "----" and the output it must give, up to an
// empty line; -rewrite regenerates the outputs. Commands:
//
//	setup trustees=N threshold=T [voters=V] [faults=I:FAULT,...] [stop=I:STOP,...]
//	                                  the chain, N trustees (T1..TN, states sealed) and the election "main"
//	outsider NAME                     a trustee the manifest does not name
//	election NAME swap=I,J            another election whose manifest swaps Ti's and Tj's encryption keys
//	step NAME [election=E] [restart] [lie=KIND]
//	                                  one look at the chain: Step, persist, submit (one block), Advance
//	run [restart] [max=N]             step every trustee in turn until all are done (or stopped, or failed)
//	restart NAME                      reload the trustee from its persisted bytes
//	open | close                      the authority's transactions
//	vote CHOICES...                   one voter each: CHOICES is "1,0,1" (one approval contest)
//	tick DURATION                     an empty block DURATION after the last
//	phase                             the election's phase and the trustees' statuses
//	state NAME                        the trustee's persisted state
//	result                            the totals
//
// Lies (what a node may show): other-deal (the trustee's deal replaced by
// another), other-manifest (another election's manifest), phase-back (the
// deal phase again), joint-key (another joint key), undealt (its deal
// gone from the statuses), one-ballot (the first ballot's ciphertexts
// served as the aggregates), dropped-ballot (the aggregates and count
// without the last ballot), unverified (no verification of the chain),
// other-genesis (a genesis other than the pinned one).
//
// The chain is the test's own state machine: the verified account a view
// carries (View.Verified) is its store's, anchored on testGenesis.

// testGenesis is the genesis fingerprint of the scripts' chain.
const testGenesis = "7e57000000000000000000000000000000000000000000000000000000000001"

var rewrite = flag.Bool("rewrite", false, "rewrite the expected outputs of testdata/*.txt")

func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			t.Parallel()
			runScript(t, f)
		})
	}
}

// TestSameInputsSameOutputs: a script played twice gives the same bytes,
// down to every sealed state.
func TestSameInputsSameOutputs(t *testing.T) {
	var outs [2]string
	var sealed [2][]byte
	for i := range outs {
		w, out := play(t, "testdata/faults.txt")
		outs[i], sealed[i] = out, w.trustees["T1"].sealed
	}
	if outs[0] != outs[1] || !bytes.Equal(sealed[0], sealed[1]) {
		t.Fatal("two plays of one script differ")
	}
}

// TestStepAdvanceOrder: a Step must be followed by its Advance, and an
// Advance by nothing it did not follow.
func TestStepAdvanceOrder(t *testing.T) {
	w, _ := play(t, "testdata/restart.txt")
	n := w.trustees["T1"]
	tr, err := w.trusteeOf(n, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Advance(trustee.Outcome{}); err == nil {
		t.Fatal("Advance without a Ready")
	}
	v := w.view(tr, w.elections["main"], "")
	if _, err := tr.Step(v); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(v); err == nil {
		t.Fatal("a second Step before Advance")
	}
	if _, err := tr.Advance(trustee.Outcome{Lost: true}); err != nil {
		t.Fatal(err)
	}
}

// runScript runs one script and compares (or rewrites) every output.
func runScript(t *testing.T, path string) {
	_, got := play(t, path)
	if *rewrite {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// play runs a script, comparing every output with the script's unless
// -rewrite, and returns the world it ends in and the script with this run's
// outputs.
func play(t *testing.T, path string) (*world, string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, name: filepath.Base(path), trustees: map[string]*node{}, elections: map[string]election.ID{}}
	var out strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" || strings.HasPrefix(l, "#") {
			out.WriteString(l + "\n")
			continue
		}
		cmd := l
		w.line++ // the command's ordinal: randomness must not depend on the outputs' lengths
		if i+1 >= len(lines) || lines[i+1] != "----" {
			t.Fatalf("%s:%d: %q is not followed by ----", path, i+1, cmd)
		}
		i += 2
		var want []string
		for ; i < len(lines) && lines[i] != ""; i++ {
			want = append(want, lines[i])
		}
		got := w.do(cmd)
		if !*rewrite && strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %s:\n got:\n%s\nwant:\n%s", path, cmd, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		out.WriteString(cmd + "\n----\n")
		for _, g := range got {
			out.WriteString(g + "\n")
		}
		if i < len(lines) {
			out.WriteString("\n")
		}
	}
	return w, out.String()
}

// stream is a deterministic stream of bytes: SHAKE-256 of label.
func stream(label string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte(label))
	return h
}

// testKDF is a cheap Argon2id setting for the scripts.
var testKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

const chainID = "evote-trustee-test"

type world struct {
	t         *testing.T
	name      string
	line      int // the current command's ordinal
	m         *election.Machine
	st        *election.MemStore
	authority *election.PrivateKey
	height    int64
	now       time.Time
	elections map[string]election.ID
	order     []string // trustees in manifest order
	trustees  map[string]*node
	voters    int
	threshold int
	// ballots holds the main election's aggregates after each ballot, for
	// the lies about them.
	ballots [][]*tally.Ciphertext
}

// node is one trustee: what it persisted, and its run over each election.
type node struct {
	name   string
	pass   []byte
	sealed []byte // the bytes it persisted last
	opts   trustee.Options
	runs   map[string]*trustee.Trustee // by election name
	done   bool
	steps  int
}

func (w *world) rnd(what string) io.Reader {
	return stream(fmt.Sprintf("%s:%d:%s", w.name, w.line, what))
}

func (w *world) do(cmd string) []string {
	f := strings.Fields(cmd)
	args := map[string]string{}
	var flags []string
	for _, a := range f[1:] {
		if k, v, ok := strings.Cut(a, "="); ok {
			args[k] = v
		} else {
			flags = append(flags, a)
		}
	}
	switch f[0] {
	case "setup":
		return w.setup(args)
	case "outsider":
		return w.outsider(flags[0])
	case "election":
		return w.election(flags[0], args["swap"])
	case "step":
		return w.step(flags[0], args["election"], slices.Contains(flags, "restart"), args["lie"])
	case "run":
		max := 200
		if s, ok := args["max"]; ok {
			max, _ = strconv.Atoi(s)
		}
		return w.run(slices.Contains(flags, "restart"), max)
	case "restart":
		return w.restart(w.trustees[flags[0]])
	case "open", "close":
		return w.official(f[0])
	case "vote":
		return w.vote(flags)
	case "tick":
		d, err := time.ParseDuration(flags[0])
		if err != nil {
			w.t.Fatal(err)
		}
		return []string{w.block(d, nil)}
	case "phase":
		return w.phase()
	case "state":
		return w.state(w.trustees[flags[0]])
	case "result":
		return w.result()
	}
	w.t.Fatalf("unknown command %q", cmd)
	return nil
}

// block runs txs in a block d after the last one and says what became of
// them.
func (w *world) block(d time.Duration, txs [][]byte) string {
	w.height++
	w.now = w.now.Add(d)
	b := election.Block{ChainID: chainID, Height: w.height, Time: w.now}
	blk, err := w.m.BeginBlock(w.st, b)
	if err != nil {
		w.t.Fatal(err)
	}
	var codes []string
	for _, tx := range txs {
		res, err := blk.Deliver(tx, false)
		if err != nil {
			w.t.Fatal(err)
		}
		codes = append(codes, res.Code.String())
	}
	if err := blk.End(); err != nil {
		w.t.Fatal(err)
	}
	if len(txs) == 0 {
		return fmt.Sprintf("block %d", w.height)
	}
	return fmt.Sprintf("block %d: %s", w.height, strings.Join(codes, ", "))
}

func (w *world) deliver(tx []byte) (election.Result, int64) {
	w.height++
	w.now = w.now.Add(time.Second)
	b := election.Block{ChainID: chainID, Height: w.height, Time: w.now}
	blk, err := w.m.BeginBlock(w.st, b)
	if err != nil {
		w.t.Fatal(err)
	}
	res, err := blk.Deliver(tx, false)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := blk.End(); err != nil {
		w.t.Fatal(err)
	}
	return res, w.height
}

const manifestYAML = `reference: %s
authority: %s
languages: [en]
title:
  en: Trustee test %s
revoting: false
weights: false
schedule:
  dkg_deals_by: %s
  dkg_complaint_window: 1h
  dkg_response_window: 1h
  close: %s
trustees:
  threshold: %d
  members:
%s
contests:
  - type: approval
    min_selections: 0
    max_selections: 3
    title:
      en: Which projects?
    options:
      - {en: Library}
      - {en: Lanes}
      - {en: Pool}
`

func (w *world) manifest(ref string, swap [2]int) *election.Manifest {
	var members strings.Builder
	keys := make([]*trustee.Keys, len(w.order))
	for i, name := range w.order {
		st, _, err := trustee.Open(w.trustees[name].sealed, w.trustees[name].pass)
		if err != nil {
			w.t.Fatal(err)
		}
		if keys[i], err = st.Keys(); err != nil {
			w.t.Fatal(err)
		}
	}
	for i, name := range w.order {
		enc := keys[i].Encryption
		switch i + 1 {
		case swap[0]:
			enc = keys[swap[1]-1].Encryption
		case swap[1]:
			enc = keys[swap[0]-1].Encryption
		}
		fmt.Fprintf(&members, "    - name: %s\n      identity: %s\n      encryption_key: %s\n", name, keys[i].Identity.TrusteePublic(), election.EncryptionKeyOf(enc.Public()))
	}
	y := fmt.Sprintf(manifestYAML, ref, w.authority.AuthorityPublic(), ref, w.now.Add(24*time.Hour).Format(time.RFC3339),
		w.now.Add(30*24*time.Hour).Format(time.RFC3339), w.threshold, strings.TrimRight(members.String(), "\n"))
	man, err := election.ParseManifestYAML([]byte(y))
	if err != nil {
		w.t.Fatalf("manifest: %v\n%s", err, y)
	}
	return man
}

func (w *world) newNode(name string) *node {
	st, err := trustee.NewState(name, stream("keys of "+name))
	if err != nil {
		w.t.Fatal(err)
	}
	n := &node{name: name, pass: []byte("passphrase of " + name), runs: map[string]*trustee.Trustee{}}
	if n.sealed, err = trustee.Seal(st, n.pass, testKDF, stream("seal of "+name)); err != nil {
		w.t.Fatal(err)
	}
	w.trustees[name] = n
	return n
}

func (w *world) setup(args map[string]string) []string {
	n, _ := strconv.Atoi(args["trustees"])
	w.threshold, _ = strconv.Atoi(args["threshold"])
	w.voters, _ = strconv.Atoi(args["voters"])
	w.authority = election.DeriveKey("authority")
	var err error
	if w.m, err = election.NewMachine(election.Genesis{ChainID: chainID, Authorities: []election.AuthorityPublicKey{w.authority.AuthorityPublic()}}, election.Options{}); err != nil {
		w.t.Fatal(err)
	}
	w.st, w.height, w.order = election.NewMemStore(), 0, nil
	w.trustees, w.elections = map[string]*node{}, map[string]election.ID{}
	w.now = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("T%d", i)
		w.newNode(name)
		w.order = append(w.order, name)
	}
	for _, s := range splitList(args["faults"]) {
		i, f, _ := strings.Cut(s, ":")
		nd := w.trustees["T"+i]
		switch f {
		case "bad-share":
			nd.opts.Fault = trustee.FaultBadShare
		case "bad-decryption":
			nd.opts.Fault = trustee.FaultBadDecryption
		default:
			w.t.Fatalf("fault %q", f)
		}
	}
	for _, s := range splitList(args["stop"]) {
		i, f, _ := strings.Cut(s, ":")
		nd := w.trustees["T"+i]
		switch f {
		case "deal-saved":
			nd.opts.StopAt = trustee.StopDealSaved
		case "dealt":
			nd.opts.StopAt = trustee.StopDealt
		default:
			w.t.Fatalf("stop %q", f)
		}
	}
	out := w.create("main", [2]int{})
	if w.voters > 0 {
		var roll []election.RollEntry
		for i := range w.voters {
			roll = append(roll, election.RollEntry{Voter: w.voter(i).Public(), Weight: 1})
		}
		tx, err := election.NewAppendVotersTx(chainID, w.elections["main"], roll, w.authority)
		if err != nil {
			w.t.Fatal(err)
		}
		res, h := w.deliver(tx)
		out = append(out, fmt.Sprintf("roll of %d voters: %s in block %d", w.voters, res.Code, h))
	}
	return out
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (w *world) voter(i int) *wallet.VoterKey {
	return wallet.NewVoterKey(election.DeriveKey(fmt.Sprintf("voter %d", i)))
}

func (w *world) create(name string, swap [2]int) []string {
	man := w.manifest(name, swap)
	id, err := man.ID()
	if err != nil {
		w.t.Fatal(err)
	}
	tx, err := election.NewCreateElectionTx(chainID, man, w.authority)
	if err != nil {
		w.t.Fatal(err)
	}
	res, h := w.deliver(tx)
	w.elections[name] = id
	return []string{fmt.Sprintf("election %s: %s in block %d, %d trustees, any %d decrypt", name, res.Code, h, len(w.order), w.threshold)}
}

func (w *world) outsider(name string) []string {
	w.newNode(name)
	return []string{name + ": keys made and sealed"}
}

func (w *world) election(name, swap string) []string {
	a, b, _ := strings.Cut(swap, ",")
	i, _ := strconv.Atoi(a)
	j, _ := strconv.Atoi(b)
	return w.create(name, [2]int{i, j})
}

// trusteeOf returns n's run over the election, starting it from its
// persisted bytes if it has none.
func (w *world) trusteeOf(n *node, el string) (*trustee.Trustee, error) {
	if tr := n.runs[el]; tr != nil {
		return tr, nil
	}
	st, kdf, err := trustee.Open(n.sealed, n.pass)
	if err != nil {
		return nil, err
	}
	if kdf != testKDF {
		w.t.Fatalf("%s: sealed with %+v", n.name, kdf)
	}
	id, ok := w.elections[el]
	if !ok {
		w.t.Fatalf("no election %q", el)
	}
	tr, err := trustee.New(st, id, n.opts, w.rnd("run of "+n.name))
	if err != nil {
		return nil, err
	}
	n.runs[el] = tr
	return tr, nil
}

func (w *world) restart(n *node) []string {
	for el := range n.runs {
		delete(n.runs, el)
	}
	st, _, err := trustee.Open(n.sealed, n.pass)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	return []string{fmt.Sprintf("%s: restarted from its %d persisted bytes (%d election(s))", n.name, len(n.sealed), len(st.Elections))}
}

// view is what an honest node shows, then the lie.
func (w *world) view(tr *trustee.Trustee, id election.ID, lie string) *trustee.View {
	d, err := election.QueryElection(w.st, id)
	if err != nil {
		w.t.Fatal(err)
	}
	v := &trustee.View{ChainID: chainID, Election: id, Manifest: d.Manifest, Phase: d.Phase, Failure: d.Failure,
		Deadline: d.Deadline, JointKey: d.JointKey, Trustees: trustee.PostedOf(d.Trustees)}
	want := tr.Wants(v)
	if want.Messages || lie == "other-deal" {
		m, err := election.QueryDKG(w.st, id)
		if err != nil {
			w.t.Fatal(err)
		}
		if v.Messages, err = trustee.MessagesOf(m); err != nil {
			w.t.Fatal(err)
		}
	}
	if want.Aggregates {
		ti, err := election.QueryTally(w.st, id)
		if err != nil {
			w.t.Fatal(err)
		}
		aggs, err := election.Aggregates(w.st, id)
		if err != nil {
			w.t.Fatal(err)
		}
		v.Tally = &trustee.Tally{Phase: ti.Phase, Voters: ti.Voters, Aggregates: aggs}
	}
	if want.Verified {
		// The chain is the test's own state machine: its aggregates are
		// the sums of the ballots it verified.
		ti, err := election.QueryTally(w.st, id)
		if err != nil {
			w.t.Fatal(err)
		}
		aggs, err := election.Aggregates(w.st, id)
		if err != nil {
			w.t.Fatal(err)
		}
		v.Verified = &trustee.Verified{Genesis: testGenesis, Height: w.height, Phase: ti.Phase, Voters: ti.Voters, Ballots: ti.Ballots, Aggregates: aggs}
	}
	if want.Result {
		res, err := election.QueryResult(w.st, id)
		if err != nil {
			w.t.Fatal(err)
		}
		v.Result = &trustee.Result{Height: res.Height, Trustees: res.Trustees}
	}
	switch lie {
	case "":
	case "other-deal":
		params, err := v.Manifest.DKGParams(id)
		if err != nil {
			w.t.Fatal(err)
		}
		for i, d := range v.Messages.Deals {
			if d.Dealer == tr.Index() {
				if v.Messages.Deals[i], _, err = tally.NewDKGDeal(params, d.Dealer, w.rnd("other deal")); err != nil {
					w.t.Fatal(err)
				}
			}
		}
	case "other-manifest":
		v.Manifest = w.manifest("another", [2]int{})
	case "phase-back":
		v.Phase = election.PhaseDKGDeals
	case "joint-key":
		k, err := tally.GenerateKey(w.rnd("another joint key"))
		if err != nil {
			w.t.Fatal(err)
		}
		v.JointKey = k.Public()
	case "undealt":
		v.Trustees[tr.Index()-1].Dealt = false
	case "one-ballot":
		// The node serves one ballot's ciphertexts as the aggregates.
		v.Tally.Aggregates = w.ballots[0]
	case "dropped-ballot":
		// The node's count and aggregates leave the last ballot out.
		v.Tally.Aggregates, v.Tally.Voters = w.ballots[len(w.ballots)-2], v.Tally.Voters-1
	case "unverified":
		v.Verified = nil
	case "other-genesis":
		v.Genesis = "0000000000000000000000000000000000000000000000000000000000000000"
	default:
		w.t.Fatalf("unknown lie %q", lie)
	}
	return v
}

var sentinels = []struct {
	name string
	err  error
}{
	{"not-named", trustee.ErrNotNamed}, {"other-key", trustee.ErrOtherKey}, {"wrong-manifest", trustee.ErrWrongManifest},
	{"not-our-deal", trustee.ErrNotOurDeal}, {"joint-key", trustee.ErrJointKey}, {"inconsistent", trustee.ErrInconsistent},
	{"failed", trustee.ErrFailed}, {"rejected", trustee.ErrRejected}, {"bad-view", trustee.ErrBadView},
	{"wrong-passphrase", trustee.ErrPassphrase}, {"unverified", trustee.ErrUnverified}, {"aggregates", trustee.ErrAggregates},
	{"genesis", trustee.ErrGenesis},
}

func errorLine(who string, err error) string {
	kind := "other"
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			kind = s.name
			break
		}
	}
	return fmt.Sprintf("%s: error (%s): %v", who, kind, err)
}

// step is one look of trustee name at the election el: Step, then persist,
// then submit, then Advance. It reports whether the trustee is finished.
func (w *world) stepOnce(n *node, el string, restart bool, lie string) ([]string, bool) {
	if el == "" {
		el = "main"
	}
	n.steps++
	var out []string
	if restart {
		out = append(out, w.restart(n)...)
	}
	tr, err := w.trusteeOf(n, el)
	if err != nil {
		return append(out, errorLine(n.name, err)), true
	}
	rd, err := tr.Step(w.view(tr, w.elections[el], lie))
	if err != nil {
		delete(n.runs, el)
		return append(out, errorLine(n.name, err)), true
	}
	if rd.State != nil {
		sealed, err := trustee.Seal(rd.State, n.pass, testKDF, w.rnd("seal of "+n.name))
		if err != nil {
			w.t.Fatal(err)
		}
		// Persist before submit: what is sealed opens to the state the
		// transaction comes from.
		if back, _, err := trustee.Open(sealed, n.pass); err != nil || !sameJSON(back, rd.State) {
			w.t.Fatalf("%s: the sealed state does not open to itself: %v", n.name, err)
		}
		n.sealed = sealed
		out = append(out, fmt.Sprintf("%s: persist %s", n.name, describe(rd.State, w.elections[el])))
	}
	for _, l := range rd.Logs {
		out = append(out, fmt.Sprintf("%s: %s", n.name, l))
	}
	var o trustee.Outcome
	if rd.Submit != nil {
		res, h := w.deliver(rd.Submit.Tx)
		o.Code, o.Height = res.Code, h
		out = append(out, fmt.Sprintf("%s: submit %s: %s in block %d", n.name, rd.Submit.What, res.Code, h))
	} else if rd.Stopped {
		o.Lost = true
	}
	p, err := tr.Advance(o)
	if err != nil {
		delete(n.runs, el)
		return append(out, errorLine(n.name, err)), true
	}
	for _, l := range p.Logs {
		out = append(out, fmt.Sprintf("%s: %s", n.name, l))
	}
	switch {
	case rd.Stopped || p.Stopped:
		delete(n.runs, el)
		return append(out, n.name+": stopped at "+n.opts.StopAt.String()), true
	case rd.Done || p.Done:
		return append(out, n.name+": done"), true
	}
	return out, false
}

// describe says which secrets the state holds for the election.
func describe(st *trustee.State, id election.ID) string {
	es := st.Elections[id.String()]
	if es == nil {
		return "(no entry)"
	}
	var has []string
	for _, f := range []struct {
		name string
		v    string
	}{{"deal", es.Deal}, {"dealer_secret", es.DealerSecret}, {"share", es.Share}, {"joint_key", es.JointKey}, {"genesis", es.Genesis}} {
		if f.v != "" {
			has = append(has, f.name)
		}
	}
	return fmt.Sprintf("index %d: %s", es.Index, strings.Join(has, " "))
}

func (w *world) step(name, el string, restart bool, lie string) []string {
	out, _ := w.stepOnce(w.trustees[name], el, restart, lie)
	return out
}

// run steps every trustee of the manifest in turn, until every one is
// finished, or a round in which none persists or submits anything (the
// official's turn), or max rounds.
func (w *world) run(restart bool, max int) []string {
	var out []string
	finished := map[string]bool{}
	for round := 0; round < max && len(finished) < len(w.order); round++ {
		busy := false
		for _, name := range w.order {
			if finished[name] {
				continue
			}
			lines, fin := w.stepOnce(w.trustees[name], "main", restart, "")
			out = append(out, lines...)
			for _, l := range lines {
				busy = busy || strings.Contains(l, ": persist ") || strings.Contains(l, ": submit ")
			}
			if fin {
				finished[name] = true
			}
		}
		if !busy {
			break
		}
	}
	return append(out, w.phase()[0])
}

func (w *world) official(what string) []string {
	id := w.elections["main"]
	var tx []byte
	var err error
	if what == "open" {
		tx, err = election.NewOpenTx(chainID, id, w.authority)
	} else {
		tx, err = election.NewCloseTx(chainID, id, w.authority)
	}
	if err != nil {
		w.t.Fatal(err)
	}
	res, h := w.deliver(tx)
	return append([]string{fmt.Sprintf("%s: %s in block %d", what, res.Code, h)}, w.phase()[0])
}

func (w *world) vote(choices []string) []string {
	id := w.elections["main"]
	d, err := election.QueryElection(w.st, id)
	if err != nil {
		w.t.Fatal(err)
	}
	el, err := wallet.NewElection(chainID, d.Manifest, d.JointKey)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for i, c := range choices {
		var sel []uint64
		for _, s := range strings.Split(c, ",") {
			x, _ := strconv.ParseUint(s, 10, 64)
			sel = append(sel, x)
		}
		b, err := wallet.BuildBallot(el, w.voter(i), 1, [][]uint64{sel}, w.rnd(fmt.Sprintf("ballot %d", i)))
		if err != nil {
			w.t.Fatal(err)
		}
		res, h := w.deliver(b.Tx)
		out = append(out, fmt.Sprintf("voter %d: %s in block %d", i, res.Code, h))
		aggs, err := election.Aggregates(w.st, id)
		if err != nil {
			w.t.Fatal(err)
		}
		w.ballots = append(w.ballots, aggs)
	}
	return out
}

func (w *world) phase() []string {
	d, err := election.QueryElection(w.st, w.elections["main"])
	if err != nil {
		w.t.Fatal(err)
	}
	line := "phase " + d.Phase.String()
	if d.Failure != "" {
		line += " (" + d.Failure + ")"
	}
	out := []string{line}
	for _, ts := range d.Trustees {
		s := fmt.Sprintf("  T%d dealt=%v complaints=%v qualified=%v shares=%v", ts.Index, ts.Dealt, ts.ComplaintsPosted, ts.Qualified, ts.SharesPosted)
		if len(ts.ComplaintsAbout) > 0 {
			s += fmt.Sprintf(" complained-about=%v", ts.ComplaintsAbout)
		}
		if ts.Excluded != nil {
			s += " excluded"
		}
		out = append(out, s)
	}
	return out
}

func (w *world) state(n *node) []string {
	st, kdf, err := trustee.Open(n.sealed, n.pass)
	if err != nil {
		return []string{errorLine(n.name, err)}
	}
	out := []string{fmt.Sprintf("%s: %s %q, sealed with argon2id t=%d m=%dKiB p=%d", n.name, st.Version, st.Name, kdf.Time, kdf.MemoryKiB, kdf.Threads)}
	var names []string
	for name, id := range w.elections {
		if st.Elections[id.String()] != nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		out = append(out, fmt.Sprintf("  %s: %s", name, describe(st, w.elections[name])))
	}
	if _, _, err := trustee.Open(n.sealed, []byte("not the passphrase")); !errors.Is(err, trustee.ErrPassphrase) {
		out = append(out, fmt.Sprintf("  opened with another passphrase: %v", err))
	}
	return out
}

func (w *world) result() []string {
	r, err := election.QueryResult(w.st, w.elections["main"])
	if err != nil {
		return []string{"no result: " + err.Error()}
	}
	out := []string{fmt.Sprintf("result in block %d from trustees %v, %d voters", r.Height, r.Trustees, r.Voters)}
	for _, c := range r.Contests {
		out = append(out, fmt.Sprintf("  %+v", c))
	}
	return out
}

func sameJSON(a, b *trustee.State) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
