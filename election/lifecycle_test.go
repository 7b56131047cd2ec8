package election_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/edwards25519"
	"github.com/cloudflare/circl/group"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

// Lifecycle scripts (testdata/lifecycle/*.txt) drive the state machine
// through whole elections, block by block, and state the expected outcome
// of every transaction right under it. The language, one command per line
// ("#" starts a comment), each followed by its expected output, one line
// per item, each line starting with "=> ":
//
//	genesis [chain=ID] [authorities=a,b]  the chain (default: evote-test, authority "authority")
//	manifest NAME [file=PATH]              a manifest: the YAML in PATH, or the indented lines
//	  <YAML lines>                         that follow; $actor is the actor's public key and
//	                                       $actor.enc its DKG encryption key
//	block TIME | block +DURATION           end the current block, begin the next at TIME;
//	                                       output: the ended block's state digest
//	end                                    end the last block (a script must); output: its digest
//	ACTOR VERB ELECTION [ARGS] [MODS]      a transaction by ACTOR; output: its result code
//	raw HEX | raw size=N                   raw transaction bytes; output: the code
//	replay LABEL                           the bytes of an earlier transaction labelled as=LABEL
//	expect WHAT ELECTION [VALUES]          a check of the state (see cmdExpect); no output
//	validators NAME:POWER...               the genesis validators, written into the state
//	                                       (Machine.InitValidators); no output
//
// For example:
//
//	block +1h
//	=> block 3 state 9607b809...
//	alice vote city 1,0|0,1
//	=> ok
//
// Verbs: create, roll VOTER[:WEIGHT]..., open, close, deal, complain,
// validator NAME POWER (the ELECTION slot names the validator's key; the
// output adds the validator updates the block so far returned),
// respond, vote CHOICES, decrypt. CHOICES lists the contests separated by
// "|", each as comma-separated values per option. Modifiers: as=LABEL,
// sig=bad, chain=ID, trailing, truncate, kind=N, resign, seq=N,
// corrupt=TRUSTEE (deal), bad-proof (deal), dealer=N (deal), against=T,..
// (complain), to=T (respond), wrong (respond, decrypt), drop=N (decrypt),
// proof-for=VOTER, drop-contest, no-key (vote).
//
// Actors' keys derive from their names (actorKey, actorEncryptionKey);
// "@small-order" names a small-order key. Randomness is SHAKE256 of the
// script name and the command's line number, output lines not counted. The runner checks, for every transaction,
// that Precheck, Check and Deliver agree and that a rejection writes
// nothing. A block's state digest is a SHA-256 of the whole store: a change
// to the state layout or to an encoding shows up there. -update rewrites
// every script's outputs with what this run produced.

var update = flag.Bool("update", false, "rewrite the expected outputs in testdata/lifecycle/*.txt")

// seenCodes collects the codes the scripts produced through Deliver.
var (
	seenMu    sync.Mutex
	seenCodes = map[election.Code]bool{}
)

func TestLifecycle(t *testing.T) {
	files, err := filepath.Glob("testdata/lifecycle/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no lifecycle scripts: %v", err)
	}
	// The state FuzzDeliver and the benchmarks start from is a script too.
	files = append(files, "testdata/fuzz-deliver.txt")
	t.Run("scripts", func(t *testing.T) {
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".txt")
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				r := runScript(t, f, false)
				if *update {
					if err := os.WriteFile(f, []byte(r.rewrite()), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				seenMu.Lock()
				for c := range r.codes {
					seenCodes[c] = true
				}
				seenMu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	// Every rejection code is produced by some script, through Deliver.
	for _, c := range election.Codes() {
		if c == election.CodeInternal { // a store failure: TestStoreFailure
			continue
		}
		if !seenCodes[c] {
			t.Errorf("no lifecycle script produces %v (%d)", c, c)
		}
	}
}

type runner struct {
	t         testing.TB
	path      string
	name      string
	line      int
	cmdLine   int // line's number among the lines that are not outputs
	chainID   string
	auths     []string
	m         *election.Machine
	st        *election.MemStore
	block     election.Block
	blk       election.BlockExec // the block under way, or nil
	manifests map[string]*election.Manifest
	ids       map[string]election.ID
	secrets   map[string]*tally.DealerSecret // "election/trustee"
	labels    map[string][]byte
	seqs      map[string]uint64 // "election/voter"
	lines     []string          // the script
	// out holds, by line number, the output of the command that ends on
	// that line; outputs records every output of the run, in order.
	out     map[int][]string
	outputs strings.Builder
	codes   map[election.Code]bool
	// prechecked makes Deliver trust a passed Precheck (the node's cached
	// verdict) instead of checking again.
	prechecked bool
	// pending records what the runner learns from a transaction (a
	// dealer's secret, a ballot's sequence number) once it is accepted.
	pending func()
}

// runScript replays one script on a fresh MemStore.
func runScript(t testing.TB, path string, prechecked bool) *runner {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{
		t: t, path: path, name: filepath.Base(path), chainID: "evote-test", auths: []string{"authority"},
		st: election.NewMemStore(), manifests: map[string]*election.Manifest{}, ids: map[string]election.ID{},
		secrets: map[string]*tally.DealerSecret{}, labels: map[string][]byte{}, seqs: map[string]uint64{},
		codes: map[election.Code]bool{}, prechecked: prechecked, out: map[int][]string{},
	}
	lines := strings.Split(string(data), "\n")
	r.lines = lines
	outputs := 0 // output lines so far
	for i := 0; i < len(lines); i++ {
		r.line, r.cmdLine = i+1, i+1-outputs
		line := strings.TrimSpace(stripComment(lines[i]))
		if line == "" {
			continue
		}
		if isOutput(lines[i]) {
			r.fatalf("output with no command above it")
		}
		f := strings.Fields(line)
		switch f[0] {
		case "genesis":
			r.cmdGenesis(f[1:])
		case "manifest":
			var body []string
			for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], "  ") || strings.TrimSpace(lines[i+1]) == "") {
				i++
				body = append(body, strings.TrimPrefix(lines[i], "  "))
			}
			r.cmdManifest(f[1:], strings.Join(body, "\n"))
		case "block":
			r.cmdBlock(f[1:])
		case "end":
			if len(f) != 1 || r.blk == nil {
				r.fatalf("end: takes no argument and ends a block under way")
			}
			r.endBlock()
		case "expect":
			r.cmdExpect(f[1:])
		case "validators":
			r.cmdValidators(f[1:])
		default:
			r.cmdTx(line)
		}
		// The command's expected output: the "=> " lines right under it.
		var want []string
		for i+1 < len(lines) && isOutput(lines[i+1]) {
			i++
			outputs++
			want = append(want, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), "=>")))
		}
		got := r.out[r.line]
		for _, o := range got {
			fmt.Fprintf(&r.outputs, "%s\n", o)
		}
		if !*update && !slices.Equal(got, want) {
			r.errorf("%s: output\n  got  %q\n  want %q\n(run with -update to accept)", line, got, want)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	if r.blk != nil {
		r.fatalf("the script ends inside a block: end it with \"end\"")
	}
	return r
}

func isOutput(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), "=>") }

// output records a line of the current command's output.
func (r *runner) output(format string, args ...any) {
	r.out[r.line] = append(r.out[r.line], fmt.Sprintf(format, args...))
}

// rewrite returns the script with the outputs of this run under each
// command in place of the expected ones.
func (r *runner) rewrite() string {
	var b strings.Builder
	for i, l := range r.lines {
		if isOutput(l) {
			continue
		}
		b.WriteString(l)
		if i < len(r.lines)-1 {
			b.WriteString("\n")
		}
		for _, o := range r.out[i+1] {
			fmt.Fprintf(&b, "=> %s\n", o)
		}
	}
	return b.String()
}

func stripComment(s string) string {
	if i := strings.Index(s, "#"); i >= 0 {
		return s[:i]
	}
	return s
}

func (r *runner) fatalf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("%s:%d: %s", r.path, r.line, fmt.Sprintf(format, args...))
}

func (r *runner) errorf(format string, args ...any) {
	r.t.Helper()
	r.t.Errorf("%s:%d: %s", r.path, r.line, fmt.Sprintf(format, args...))
}

// rnd is the randomness of the current command. Output lines do not count
// in its line number, so rewriting the outputs changes no randomness.
func (r *runner) rnd() io.Reader { return stream(fmt.Sprintf("%s:%d", r.name, r.cmdLine)) }

func (r *runner) machine() *election.Machine {
	if r.m == nil {
		g := election.Genesis{ChainID: r.chainID}
		for _, a := range r.auths {
			g.Authorities = append(g.Authorities, actorKey(a).AuthorityPublic())
		}
		m, err := election.NewMachine(g, election.Options{Rand: stream("lifecycle/batch/" + r.name)})
		if err != nil {
			r.fatalf("genesis: %v", err)
		}
		r.m = m
	}
	return r.m
}

func (r *runner) cmdGenesis(args []string) {
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "chain":
			r.chainID = v
		case "authorities":
			r.auths = strings.Split(v, ",")
		default:
			r.fatalf("genesis: unknown argument %q", a)
		}
	}
	r.m = nil
}

var substRe = regexp.MustCompile(`\$([a-z0-9-]+)(\.enc)?`)

func (r *runner) cmdManifest(args []string, body string) {
	if len(args) < 1 {
		r.fatalf("manifest: no name")
	}
	name := args[0]
	for _, a := range args[1:] {
		if p, ok := strings.CutPrefix(a, "file="); ok {
			b, err := os.ReadFile(filepath.Join(filepath.Dir(r.path), p))
			if err != nil {
				r.fatalf("manifest: %v", err)
			}
			body = string(b)
		} else {
			r.fatalf("manifest: unknown argument %q", a)
		}
	}
	body = substRe.ReplaceAllStringFunc(body, func(s string) string {
		m := substRe.FindStringSubmatch(s)
		if m[2] != "" {
			return election.EncryptionKeyOf(actorEncryptionKey(r.t, m[1]).Public()).String()
		}
		return actorKey(m[1]).Public().String()
	})
	man, err := election.ParseManifestYAML([]byte(body))
	if err != nil {
		r.fatalf("manifest %s: %v", name, err)
	}
	id, err := man.ID()
	if err != nil {
		r.fatalf("manifest %s: %v", name, err)
	}
	r.manifests[name], r.ids[name] = man, id
}

func (r *runner) cmdBlock(args []string) {
	if len(args) != 1 {
		r.fatalf("block: want one time")
	}
	var at time.Time
	if d, ok := strings.CutPrefix(args[0], "+"); ok {
		dur, err := time.ParseDuration(d)
		if err != nil || r.blk == nil && r.block.Height == 0 {
			r.fatalf("block: bad relative time %q (the first block needs an absolute time)", args[0])
		}
		at = r.block.Time.Add(dur)
	} else {
		var err error
		if at, err = time.Parse(time.RFC3339, args[0]); err != nil {
			r.fatalf("block: %v", err)
		}
	}
	r.endBlock()
	r.beginBlock(at.UTC())
}

// beginBlock begins the next block at time at.
func (r *runner) beginBlock(at time.Time) {
	r.block = election.Block{ChainID: r.chainID, Height: r.block.Height + 1, Time: at}
	blk, err := r.machine().BeginBlock(r.st, r.block)
	if err != nil {
		r.fatalf("BeginBlock: %v", err)
	}
	r.blk = blk
}

// view is the state as the block under way sees it: the store and the
// running sums the machine writes at the end of the block.
func (r *runner) view() election.ReadStore {
	if r.blk == nil {
		return r.st
	}
	v, err := election.BlockView(r.blk)
	if err != nil {
		r.fatalf("BlockView: %v", err)
	}
	return v
}

// endBlock ends the block under way, if any, and outputs its state digest.
func (r *runner) endBlock() {
	if r.blk == nil {
		return
	}
	if err := r.blk.End(); err != nil {
		r.fatalf("End: %v", err)
	}
	r.blk = nil
	r.output("block %d state %x", r.block.Height, digest(r.st))
	// Each election's state commitment (docs/spec/app-hash.md): the
	// goldens are its vectors.
	names := make([]string, 0, len(r.ids))
	for name := range r.ids {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c, err := election.Commitment(r.st, r.ids[name])
		if err != nil {
			continue // not created (yet, or ever)
		}
		h := c.Hash()
		r.output("commitment %s %x", name, h)
	}
}

// deliverBlock runs txs, which must be accepted, in a block of their own
// a minute after the last one.
func (r *runner) deliverBlock(txs ...[]byte) {
	r.t.Helper()
	r.beginBlock(r.block.Time.Add(time.Minute))
	for i, tx := range txs {
		res, err := r.blk.Deliver(tx, false)
		if err != nil || !res.OK() {
			r.t.Fatalf("transaction %d: %v (%s), %v", i, res.Code, res.Log, err)
		}
	}
	if err := r.blk.End(); err != nil {
		r.t.Fatal(err)
	}
	r.blk = nil
}

// digest hashes the whole store in iteration order.
func digest(st election.ReadStore) []byte {
	h := sha256.New()
	_ = st.Iterate(nil, func(k, v []byte) error {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(k))))
		h.Write(k)
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(v))))
		h.Write(v)
		return nil
	})
	return h.Sum(nil)
}

// txLine is a parsed transaction line.
type txLine struct {
	actor, verb, election string
	args                  []string
	mods                  map[string]string
}

func (r *runner) parseTx(line string) txLine {
	f := strings.Fields(line)
	tl := txLine{mods: map[string]string{}}
	for i, w := range f {
		switch {
		case i == 0:
			tl.actor = w
		case isMod(w):
			k, v, _ := strings.Cut(w, "=")
			tl.mods[k] = v
		case i == 1:
			tl.verb = w
		case i == 2 && tl.actor != "raw" && tl.actor != "replay":
			tl.election = w
		default:
			tl.args = append(tl.args, w)
		}
	}
	return tl
}

var modNames = []string{"as", "sig", "chain", "trailing", "truncate", "kind", "resign", "seq", "corrupt", "bad-proof",
	"dealer", "against", "to", "wrong", "drop", "proof-for", "drop-contest", "no-key", "size"}

func isMod(w string) bool {
	k, _, _ := strings.Cut(w, "=")
	return slices.Contains(modNames, k)
}

func (r *runner) cmdTx(line string) {
	if r.blk == nil {
		r.fatalf("a transaction outside a block")
	}
	tl := r.parseTx(line)
	var raw []byte
	switch tl.actor {
	case "raw":
		raw = r.rawTx(tl)
	case "replay":
		var ok bool
		if raw, ok = r.labels[tl.verb]; !ok {
			r.fatalf("replay: no transaction labelled %q", tl.verb)
		}
	default:
		raw = r.buildTx(tl)
		raw = r.mutate(tl, raw)
	}
	if l := tl.mods["as"]; l != "" {
		r.labels[l] = raw
	}
	res := r.execute(raw)
	if r.pending != nil && res.OK() {
		r.pending()
	}
	r.pending = nil
	r.codes[res.Code] = true
	r.output("%v", res.Code)
	if tl.verb == "validator" && res.OK() {
		r.outputValidatorUpdates()
	}
}

// execute runs the transaction through Precheck, Check and Deliver and
// checks that they agree and that a rejection writes nothing.
func (r *runner) execute(raw []byte) election.Result {
	m := r.machine()
	// Precheck and Check see the state as the block so far has made it,
	// as a node's would see the committed state.
	pre, err := m.Precheck(r.view(), raw)
	if err != nil {
		r.fatalf("Precheck: %v", err)
	}
	batch, err := m.PrecheckBatch(r.view(), [][]byte{raw})
	if err != nil {
		r.fatalf("PrecheckBatch: %v", err)
	}
	if !reflect.DeepEqual(batch[0], pre) {
		r.errorf("PrecheckBatch says %v (%s), Precheck %v (%s)", batch[0].Code, batch[0].Log, pre.Code, pre.Log)
	}
	chk, err := m.Check(r.view(), r.block, raw, pre.OK())
	if err != nil {
		r.fatalf("Check: %v", err)
	}
	before := digest(r.view())
	res, err := r.blk.Deliver(raw, r.prechecked && pre.OK())
	if err != nil {
		r.fatalf("Deliver: %v", err)
	}
	if !pre.OK() && res.Code != pre.Code {
		r.errorf("Precheck says %v, Deliver %v", pre.Code, res.Code)
	}
	if chk.Code != res.Code {
		r.errorf("Check says %v (%s), Deliver %v (%s)", chk.Code, chk.Log, res.Code, res.Log)
	}
	if !res.OK() && !bytes.Equal(before, digest(r.view())) {
		r.errorf("the rejected transaction (%v) wrote to the store", res.Code)
	}
	if res.OK() && res.Log == "" {
		r.errorf("accepted without a message")
	}
	if !res.OK() && res.Log == "" {
		r.errorf("rejected (%v) without a message", res.Code)
	}
	return res
}

func (r *runner) rawTx(tl txLine) []byte {
	if s, ok := tl.mods["size"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			r.fatalf("raw: size %q", s)
		}
		return make([]byte, n)
	}
	b, err := hex.DecodeString(tl.verb)
	if err != nil {
		r.fatalf("raw: %v", err)
	}
	return b
}

func (r *runner) id(name string) election.ID {
	id, ok := r.ids[name]
	if !ok {
		r.fatalf("no manifest %q", name)
	}
	return id
}

func (r *runner) manifest(name string) *election.Manifest {
	m, ok := r.manifests[name]
	if !ok {
		r.fatalf("no manifest %q", name)
	}
	return m
}

// trusteeIndex is the index of a trustee named by actor or by number.
func (r *runner) trusteeIndex(man *election.Manifest, who string) uint32 {
	if n, err := strconv.Atoi(who); err == nil {
		return uint32(n)
	}
	i := man.TrusteeIndex(actorKey(who).Public())
	if i == 0 {
		r.fatalf("%s is not a trustee", who)
	}
	return i
}

func (r *runner) buildTx(tl txLine) []byte {
	key := actorKey(tl.actor)
	chainID := r.chainID
	if c, ok := tl.mods["chain"]; ok {
		chainID = c
	}
	if tl.verb == "validator" {
		raw, err := r.validatorTx(tl, chainID, key)
		if err != nil {
			r.fatalf("%s %s: %v", tl.actor, tl.verb, err)
		}
		return raw
	}
	man := r.manifest(tl.election)
	id := r.id(tl.election)
	var raw []byte
	var err error
	switch tl.verb {
	case "create":
		raw, err = election.NewCreateElectionTx(chainID, man, key)
	case "roll":
		var voters []election.RollEntry
		for _, a := range tl.args {
			name, w, _ := strings.Cut(a, ":")
			e := election.RollEntry{Voter: election.VoterPublicKey(r.voterKey(name)), Weight: 1}
			if w != "" {
				n, err := strconv.ParseUint(w, 10, 32)
				if err != nil {
					r.fatalf("roll: weight %q", w)
				}
				e.Weight = uint32(n)
			}
			voters = append(voters, e)
		}
		raw, err = election.NewAppendVotersTx(chainID, id, voters, key)
	case "open":
		raw, err = election.NewOpenTx(chainID, id, key)
	case "close":
		raw, err = election.NewCloseTx(chainID, id, key)
	case "deal":
		raw, err = r.dealTx(tl, chainID, man, id, key)
	case "complain":
		raw, err = r.complainTx(tl, chainID, man, id, key)
	case "respond":
		raw, err = r.respondTx(tl, chainID, man, id, key)
	case "vote":
		raw, err = r.voteTx(tl, chainID, man, id)
	case "decrypt":
		raw, err = r.decryptTx(tl, chainID, man, id, key)
	default:
		r.fatalf("unknown verb %q", tl.verb)
	}
	if err != nil {
		r.fatalf("%s %s: %v", tl.actor, tl.verb, err)
	}
	if _, ok := tl.mods["resign"]; ok {
		raw = resign(r.t, chainID, raw, key, r.rnd())
	}
	return raw
}

func (r *runner) voterKey(name string) election.PublicKey {
	if name == "@small-order" {
		var k election.PublicKey
		copy(k[:], election.SmallOrderKeys()[3])
		return k
	}
	return actorKey(name).Public()
}

// mutate applies the byte-level modifiers.
func (r *runner) mutate(tl txLine, raw []byte) []byte {
	raw = bytes.Clone(raw)
	if tl.mods["sig"] == "bad" {
		raw[len(raw)-1] ^= 1
	}
	if _, ok := tl.mods["trailing"]; ok {
		raw = append(raw, 0)
	}
	if _, ok := tl.mods["truncate"]; ok {
		raw = raw[:len(raw)-1]
	}
	if k, ok := tl.mods["kind"]; ok {
		n, err := strconv.Atoi(k)
		if err != nil {
			r.fatalf("kind=%q", k)
		}
		raw[len(election.TagTx)+1] = byte(n)
	}
	return raw
}

func (r *runner) dkgParams(man *election.Manifest, id election.ID) *tally.DKGParams {
	p, err := man.DKGParams(id)
	if err != nil {
		r.fatalf("%v", err)
	}
	return p
}

func (r *runner) dealTx(tl txLine, chainID string, man *election.Manifest, id election.ID, key *election.PrivateKey) ([]byte, error) {
	params := r.dkgParams(man, id)
	dealer := man.TrusteeIndex(key.Public())
	if d, ok := tl.mods["dealer"]; ok {
		dealer = r.trusteeIndex(man, d)
	}
	if dealer == 0 {
		dealer = 1 // a non-trustee deals as trustee 1
	}
	if _, ok := tl.mods["bad-proof"]; ok {
		other := *params
		other.Context = []byte("another election")
		params = &other
	}
	deal, secret, err := tally.NewDKGDeal(params, dealer, r.rnd())
	if err != nil {
		return nil, err
	}
	if c, ok := tl.mods["corrupt"]; ok {
		to := r.trusteeIndex(man, c)
		for k := range deal.Shares {
			if deal.Shares[k].Recipient == to {
				deal.Shares[k].Ciphertext[0] ^= 1
			}
		}
	}
	r.pending = func() { r.secrets[tl.election+"/"+tl.actor] = secret }
	return election.NewDKGDealTx(chainID, id, deal, key)
}

func (r *runner) complainTx(tl txLine, chainID string, man *election.Manifest, id election.ID, key *election.PrivateKey) ([]byte, error) {
	self := man.TrusteeIndex(key.Public())
	var complaints []*tally.DKGComplaint
	if a, ok := tl.mods["against"]; ok {
		for _, w := range strings.Split(a, ",") {
			complaints = append(complaints, &tally.DKGComplaint{Complainer: max(self, 1), Dealer: r.trusteeIndex(man, w)})
		}
	} else {
		params, deals, _, _, err := election.DKGTranscript(r.st, id)
		if err != nil {
			return nil, err
		}
		if complaints, err = tally.CheckDeals(params, self, actorEncryptionKey(r.t, tl.actor), deals); err != nil {
			return nil, err
		}
	}
	return election.NewDKGComplaintsTx(chainID, id, complaints, key)
}

func (r *runner) respondTx(tl txLine, chainID string, man *election.Manifest, id election.ID, key *election.PrivateKey) ([]byte, error) {
	params, _, complaints, _, err := election.DKGTranscript(r.st, id)
	if err != nil {
		return nil, err
	}
	self := man.TrusteeIndex(key.Public())
	secret := r.secrets[tl.election+"/"+tl.actor]
	if secret == nil {
		r.fatalf("respond: %s has not dealt", tl.actor)
	}
	var responses []*tally.DKGResponse
	if to, ok := tl.mods["to"]; ok {
		c := &tally.DKGComplaint{Complainer: r.trusteeIndex(man, to), Dealer: self}
		resp, err := secret.Respond(params, c)
		if err != nil {
			return nil, err
		}
		responses = append(responses, resp)
	} else {
		for _, c := range complaints {
			if c.Dealer != self {
				continue
			}
			resp, err := secret.Respond(params, c)
			if err != nil {
				return nil, err
			}
			responses = append(responses, resp)
		}
	}
	if _, ok := tl.mods["wrong"]; ok {
		for _, resp := range responses {
			resp.Share = resp.Share.Copy()
			resp.Share.Add(resp.Share, group.Ristretto255.NewScalar().SetUint64(1))
		}
	}
	return election.NewDKGResponsesTx(chainID, id, responses, key)
}

// parseChoices reads "1,0|0,1,1" into values per option per contest.
func (r *runner) parseChoices(s string) [][]uint64 {
	var out [][]uint64
	for _, c := range strings.Split(s, "|") {
		var vals []uint64
		for _, v := range strings.Split(c, ",") {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				r.fatalf("choices %q: %v", s, err)
			}
			vals = append(vals, n)
		}
		out = append(out, vals)
	}
	return out
}

func (r *runner) voteTx(tl txLine, chainID string, man *election.Manifest, id election.ID) ([]byte, error) {
	if len(tl.args) != 1 {
		r.fatalf("vote: want the choices")
	}
	choices := r.parseChoices(tl.args[0])
	voter := wallet.NewVoterKey(actorKey(tl.actor))
	seqKey := tl.election + "/" + tl.actor
	seq := r.seqs[seqKey] + 1
	if s, ok := tl.mods["seq"]; ok {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			r.fatalf("seq=%q", s)
		}
		seq = n
	}
	r.pending = func() { r.seqs[seqKey] = max(r.seqs[seqKey], seq) }
	var key *tally.PublicKey
	if _, ok := tl.mods["no-key"]; ok {
		sk, _ := tally.GenerateKey(r.rnd())
		key = sk.Public()
	} else {
		var err error
		if key, err = election.JointKey(r.st, id); err != nil {
			r.fatalf("vote: %v", err)
		}
	}
	e := &wallet.Election{ChainID: chainID, ID: id, Manifest: man, JointKey: key}
	if who, ok := tl.mods["proof-for"]; ok {
		// Proofs bound to another voter, signed by this one: a copied ballot.
		b, err := wallet.BuildBallot(e, wallet.NewVoterKey(actorKey(who)), seq, choices, r.rnd())
		if err != nil {
			return nil, err
		}
		body := r.ballotBody(b.Tx)
		return election.NewBallotTx(chainID, id, seq, body.Contests, voter.SigningKey())
	}
	b, err := wallet.BuildBallot(e, voter, seq, choices, r.rnd())
	if err != nil {
		return nil, err
	}
	if _, err := wallet.Audit(e, voter.Public(), b.Tx, b.Secrets); err != nil {
		r.fatalf("vote: the wallet's own ballot fails its audit: %v", err)
	}
	if _, ok := tl.mods["drop-contest"]; ok {
		body := r.ballotBody(b.Tx)
		return election.NewBallotTx(chainID, id, seq, body.Contests[:len(body.Contests)-1], voter.SigningKey())
	}
	return b.Tx, nil
}

func (r *runner) ballotBody(raw []byte) *election.BallotBody {
	tx, err := election.DecodeTx(raw)
	if err != nil {
		r.fatalf("%v", err)
	}
	body, err := election.DecodeBody(tx.Kind, tx.Body)
	if err != nil {
		r.fatalf("%v", err)
	}
	return body.(*election.BallotBody)
}

// secretShare derives a trustee's decryption key from the chain, as the
// trustee's own tool does.
func (r *runner) secretShare(elec, trustee string, man *election.Manifest, id election.ID) (*tally.PrivateKey, uint32) {
	params, deals, complaints, responses, err := election.DKGTranscript(r.st, id)
	if err != nil {
		r.fatalf("%v", err)
	}
	res, err := tally.Finalize(params, deals, complaints, responses)
	if err != nil {
		r.fatalf("finalize: %v", err)
	}
	self := man.TrusteeIndex(actorKey(trustee).Public())
	x, err := res.SecretShare(params, self, actorEncryptionKey(r.t, trustee), r.secrets[elec+"/"+trustee], deals)
	if err != nil {
		r.fatalf("secret share of %s: %v", trustee, err)
	}
	return x, self
}

func (r *runner) decryptTx(tl txLine, chainID string, man *election.Manifest, id election.ID, key *election.PrivateKey) ([]byte, error) {
	aggs, err := election.Aggregates(r.view(), id)
	if err != nil {
		return nil, err
	}
	var x *tally.PrivateKey
	self := man.TrusteeIndex(key.Public())
	if self == 0 {
		// Not a trustee: shares under a random key, in trustee 1's name.
		x, self = nil, 1
	} else {
		x, self = r.secretShare(tl.election, tl.actor, man, id)
	}
	if _, ok := tl.mods["wrong"]; ok || x == nil {
		if x, err = tally.GenerateKey(r.rnd()); err != nil {
			return nil, err
		}
	}
	shares, err := tally.PartialDecryptAll(x, self, aggs, id[:], r.rnd())
	if err != nil {
		return nil, err
	}
	if d, ok := tl.mods["drop"]; ok {
		n, _ := strconv.Atoi(d)
		shares = shares[:len(shares)-n]
	}
	return election.NewDecryptionSharesTx(chainID, id, shares, key)
}

// cmdExpect checks the state:
//
//	expect phase E PHASE
//	expect failure E REASON
//	expect counts E key=value...        (roll, weight, voters, cast, ballots, deals, complaints, responses, shares)
//	expect qualified E 1,2,3
//	expect excluded E DEALER=REASON...  (or "none")
//	expect running E CHOICES TRUSTEE,TRUSTEE   (decrypts the running aggregates with those trustees' keys)
//	expect result E TOTALS
//	expect combined E 1,2               (the trustees whose shares made the result)
//	expect voter E VOTER voted seq=N | expect voter E VOTER not-voted | not-on-roll
//	expect elections N
func (r *runner) cmdExpect(f []string) {
	if len(f) < 2 {
		r.fatalf("expect: too short")
	}
	if f[0] == "elections" {
		list, err := election.QueryElections(r.st)
		if err != nil {
			r.fatalf("%v", err)
		}
		if got := strconv.Itoa(len(list)); got != f[1] {
			r.errorf("expect elections: got %s, want %s", got, f[1])
		}
		return
	}
	what, name, args := f[0], f[1], f[2:]
	id := r.id(name)
	d, err := election.QueryElection(r.st, id)
	if err != nil {
		r.fatalf("expect: %v", err)
	}
	switch what {
	case "phase":
		if d.Phase.String() != args[0] {
			r.errorf("expect phase: got %v, want %s", d.Phase, args[0])
		}
	case "failure":
		if d.Failure != args[0] {
			r.errorf("expect failure: got %q, want %q", d.Failure, args[0])
		}
	case "counts":
		c := d.Counts
		got := map[string]uint64{"roll": c.RollSize, "weight": c.RollWeight, "voters": c.Voters, "cast": c.WeightCast,
			"ballots": c.Ballots, "deals": uint64(c.Deals), "complaints": uint64(c.Complaints),
			"responses": uint64(c.Responses), "shares": uint64(c.ShareSets)}
		for _, a := range args {
			k, v, _ := strings.Cut(a, "=")
			g, ok := got[k]
			if !ok {
				r.fatalf("expect counts: unknown count %q", k)
			}
			if strconv.FormatUint(g, 10) != v {
				r.errorf("expect counts: %s = %d, want %s", k, g, v)
			}
		}
	case "qualified":
		var q []string
		for _, tr := range d.Trustees {
			if tr.Qualified {
				q = append(q, strconv.Itoa(int(tr.Index)))
			}
		}
		if got := strings.Join(q, ","); got != args[0] {
			r.errorf("expect qualified: got %q, want %q", got, args[0])
		}
	case "excluded":
		var x []string
		for _, tr := range d.Trustees {
			if tr.Excluded != nil {
				x = append(x, fmt.Sprintf("%d=%s", tr.Index, tr.Excluded.Reason))
			}
		}
		want := strings.Join(args, " ")
		if want == "none" {
			want = ""
		}
		if got := strings.Join(x, " "); got != want {
			r.errorf("expect excluded: got %q, want %q", got, want)
		}
	case "running":
		if len(args) != 2 {
			r.fatalf("expect running E CHOICES TRUSTEES")
		}
		got := r.decryptRunning(name, id, strings.Split(args[1], ","))
		if want := args[0]; got != want {
			r.errorf("expect running: got %s, want %s", got, want)
		}
	case "result":
		res, err := election.QueryResult(r.st, id)
		if err != nil {
			r.errorf("expect result: %v", err)
			return
		}
		var cs []string
		for _, c := range res.Contests {
			cs = append(cs, joinUints(c.Totals))
		}
		if got := strings.Join(cs, "|"); got != args[0] {
			r.errorf("expect result: got %s, want %s", got, args[0])
		}
	case "combined":
		res, err := election.QueryResult(r.st, id)
		if err != nil {
			r.errorf("expect combined: %v", err)
			return
		}
		var ts []uint64
		for _, t := range res.Trustees {
			ts = append(ts, uint64(t))
		}
		if got := joinUints(ts); got != args[0] {
			r.errorf("expect combined: got %s, want %s", got, args[0])
		}
	case "voter":
		vs, err := election.QueryVoter(r.st, id, r.voterKey(args[0]))
		if err != nil {
			r.fatalf("%v", err)
		}
		var got string
		switch {
		case !vs.OnRoll:
			got = "not-on-roll"
		case !vs.Voted:
			got = "not-voted"
		default:
			got = fmt.Sprintf("voted seq=%d", vs.Seq)
		}
		if want := strings.Join(args[1:], " "); got != want {
			r.errorf("expect voter %s: got %q, want %q", args[0], got, want)
		}
	default:
		r.fatalf("expect: unknown check %q", what)
	}
}

func joinUints(v []uint64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatUint(x, 10)
	}
	return strings.Join(s, ",")
}

// decryptRunning decrypts the running aggregates with the named trustees'
// keys, as the trustees would after the close.
func (r *runner) decryptRunning(name string, id election.ID, trustees []string) string {
	man := r.manifest(name)
	aggs, err := election.Aggregates(r.view(), id)
	if err != nil {
		r.fatalf("%v", err)
	}
	var batches [][]*tally.DecryptionShare
	for _, tr := range trustees {
		x, self := r.secretShare(name, tr, man, id)
		shares, err := tally.PartialDecryptAll(x, self, aggs, id[:], r.rnd())
		if err != nil {
			r.fatalf("%v", err)
		}
		batches = append(batches, shares)
	}
	Ms, err := tally.CombineAll(aggs, batches, int(man.Trustees.Threshold))
	if err != nil {
		r.fatalf("combine: %v", err)
	}
	table, err := tally.NewDlogTable(1 << 16)
	if err != nil {
		r.fatalf("%v", err)
	}
	var out []string
	p := 0
	for _, c := range man.Contests {
		var vals []uint64
		for range c.Options {
			v, err := table.Lookup(Ms[p])
			if errors.Is(err, tally.ErrOutOfRange) {
				r.fatalf("running total out of range")
			}
			vals = append(vals, v)
			p++
		}
		out = append(out, joinUints(vals))
	}
	return strings.Join(out, "|")
}

// resign replaces a transaction's signature with another valid Ed25519
// signature of the same message, made with a random nonce instead of the
// deterministic one: the same transaction in other bytes.
func resign(t testing.TB, chainID string, raw []byte, key *election.PrivateKey, rnd io.Reader) []byte {
	t.Helper()
	tx, err := election.DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	msg := election.SigningMessage(chainID, tx.Kind, tx.Body)
	h := sha512.Sum512(key.Seed())
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	var rb [64]byte
	if _, err := io.ReadFull(rnd, rb[:]); err != nil {
		t.Fatal(err)
	}
	r, _ := new(edwards25519.Scalar).SetUniformBytes(rb[:])
	R := new(edwards25519.Point).ScalarBaseMult(r)
	pub := key.Public()
	kh := sha512.New()
	kh.Write(R.Bytes())
	kh.Write(pub[:])
	kh.Write(msg)
	k, _ := new(edwards25519.Scalar).SetUniformBytes(kh.Sum(nil))
	S := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
	copy(tx.Signature[:32], R.Bytes())
	copy(tx.Signature[32:], S.Bytes())
	if !tx.Verify(chainID) {
		t.Fatal("resign: the new signature does not verify")
	}
	out, _ := tx.MarshalBinary()
	return out
}
