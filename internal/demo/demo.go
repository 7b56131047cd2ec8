// Package demo runs a whole election on a fresh network (`evote demo`),
// every role with its own keys and through the node's HTTP API: the
// official's commands, each trustee's run in its own sealed directory,
// voters building and casting their own ballots (a few of them twice), one
// trustee offline at decryption when there are more than the threshold;
// then it checks the totals against the choices it recorded.
//
// The demo plays the binary's own commands, which it is given as Tools:
// the in-process node, the official's commands, the trustee's sealed
// directory and run loop, the record's export and verification, and the
// result table.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

//go:embed demo-election.yaml
var demoManifest string

// ErrMismatch: the decrypted totals differ from the recorded choices.
var ErrMismatch = errors.New("the totals differ from the recorded choices")

// Tools are the binary's commands the demo plays, each as `evote` runs it.
type Tools struct {
	// StartNode runs the node of home in this process (`evote node`)
	// and returns its API's URL and how to stop it.
	StartNode func(home string) (url string, stop func() error, err error)
	// Official is the election official (`evote election`, `evote
	// roll`), signing with authority and saying what it does on out.
	Official func(c *api.Client, chainID string, authority *election.PrivateKey, out io.Writer) Official
	// InitTrustee makes a trustee's sealed directory (`evote trustee
	// init`), sealed with pass (a cheap KDF with fastKDF), and returns how
	// a manifest names it.
	InitTrustee func(dir, name string, pass []byte, fastKDF bool) (harness.Member, error)
	// RunTrustee runs the trustee of dir in election id until its part
	// is over (`evote trustee run`), logging to log.
	RunTrustee func(ctx context.Context, node, dir string, pass []byte, id election.ID, opts trustee.Options, log io.Writer) error
	// Record exports the election's record to path (`evote export`) and
	// verifies it against the genesis (`evote verify --genesis`).
	Record func(ctx context.Context, node string, id election.ID, path, genesis string, out io.Writer) error
	// Results prints the result table (`evote results`) and returns the
	// totals by contest and option (nil where there is none) and the
	// turnout.
	Results func(ctx context.Context, c *api.Client, id election.ID, out io.Writer) ([][]*uint64, uint64, error)
}

// Official is what the demo has the election official do.
type Official interface {
	Create(ctx context.Context, m *election.Manifest) (election.ID, error)
	AppendRoll(ctx context.Context, id election.ID, roll []election.RollEntry, batch int) error
	Open(ctx context.Context, id election.ID) error
	Close(ctx context.Context, id election.ID) error
}

// rollBatch is how many voters one append-voters transaction carries.
const rollBatch = 10000

// Config configures a demo (`evote demo`).
type Config struct {
	Voters, Trustees, Threshold, Validators int
	Out                                     string // "" makes a temporary directory
	// Faults makes trustees misbehave (by index), for tests of the
	// chain's checks; no flag sets it.
	Faults map[int]trustee.Fault
	// FastKDF seals the trustees' secrets with a cheap Argon2id setting.
	FastKDF bool
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Voters < 1 || c.Voters > 100000:
		return fmt.Errorf("--voters must be 1..100000, got %d", c.Voters)
	case c.Trustees < 1 || c.Trustees > election.MaxTrustees:
		return fmt.Errorf("--trustees must be 1..%d, got %d", election.MaxTrustees, c.Trustees)
	case c.Threshold < 1 || c.Threshold > c.Trustees:
		return fmt.Errorf("--threshold must be 1..%d (the trustees), got %d", c.Trustees, c.Threshold)
	case c.Validators < 1 || c.Validators > 16:
		return fmt.Errorf("--validators must be 1..16, got %d", c.Validators)
	}
	bad := 0
	for i, f := range c.Faults {
		if i < 1 || i > c.Trustees {
			return fmt.Errorf("demo faults: name trustee %d of %d", i, c.Trustees)
		}
		switch f {
		case trustee.FaultBadShare:
		case trustee.FaultBadDecryption:
			bad++
		default:
			return fmt.Errorf("demo faults: trustee %d: %v is not a fault a demo plays", i, f)
		}
	}
	if c.Trustees-bad < c.Threshold {
		return fmt.Errorf("demo faults: with %d trustee(s) posting wrong decryptions, fewer than --threshold %d honest ones remain", bad, c.Threshold)
	}
	return nil
}

// Expected is DIR/expected.json (docs/spec/files.md).
type Expected struct {
	Version  string          `json:"version"`
	ChainID  string          `json:"chain_id"`
	Election string          `json:"election"`
	Seed     string          `json:"seed"` // of the random choices
	RollSize int             `json:"roll_size"`
	Voters   []ExpectedVoter `json:"voters"`
	Totals   [][]uint64      `json:"totals"` // by contest, by option: the sum of the counted ballots
	Offline  []uint32        `json:"offline_trustees"`
	Faults   map[int]string  `json:"faults,omitempty"`
}

// ExpectedVoter is one voter's ballots, in casting order; the last counts.
type ExpectedVoter struct {
	Voter   string       `json:"voter"`
	Ballots [][][]uint64 `json:"ballots"`
	Codes   []string     `json:"tracking_codes"`
}

const ExpectedTag = "evote/v1/demo-expected"

// demoRun is the state of a demo, for its steps and the record hook.
type demoRun struct {
	tools    Tools
	cfg      Config
	out      io.Writer
	dir      string
	net      *Network
	api      *api.Client
	official Official
	chainID  string
	id       election.ID
	expected *Expected
}

// Run runs the demo of cfg with tools, saying what happens on out.
func Run(ctx context.Context, cfg Config, tools Tools, out io.Writer) error {
	start := time.Now()
	dir := cfg.Out
	if dir == "" {
		d, err := os.MkdirTemp("", "evote-demo-")
		if err != nil {
			return err
		}
		dir = d
	} else {
		if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
			return fmt.Errorf("--out %s is not empty", dir)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	d := &demoRun{tools: tools, cfg: cfg, out: out, dir: dir}
	fmt.Fprintf(out, "demo: %d voters, %d trustees (any %d decrypt), %d validator(s); files in %s\n", cfg.Voters, cfg.Trustees, cfg.Threshold, cfg.Validators, dir)
	net, err := StartNetwork(ctx, dir, cfg.Validators, tools)
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	d.net = net
	defer net.Stop()
	fmt.Fprintf(out, "network up: API on %s; election authority key %s\n", net.URL, net.Authority)
	if err := d.run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo done in %.1f s\n", time.Since(start).Seconds())
	return nil
}

// Network is the demo's network: the node the roles talk to, and how to
// stop it.
type Network struct {
	URL       string
	Authority string // the authority key file
	Genesis   string // the network's genesis.json, the verifier's trust anchor
	Stop      func() error
}

// StartNetwork starts one validator in this process, or writes a testnet
// and runs its nodes as processes of this binary.
func StartNetwork(ctx context.Context, dir string, validators int, tools Tools) (*Network, error) {
	const chainID = "evote-demo"
	if validators == 1 {
		ports, err := localnet.FreePortBlock(2)
		if err != nil {
			return nil, err
		}
		authority, keyPath, err := localnet.NewAuthorityKey(dir)
		if err != nil {
			return nil, err
		}
		appState, err := localnet.GenesisAppState(chainID, authority)
		if err != nil {
			return nil, err
		}
		home := filepath.Join(dir, "node")
		err = chain.Init(home, "evote-demo", chain.InitOptions{ChainID: chainID, AppState: appState,
			P2PAddr: fmt.Sprintf("tcp://127.0.0.1:%d", ports), RPCAddr: fmt.Sprintf("tcp://127.0.0.1:%d", ports+1)})
		if err != nil {
			return nil, err
		}
		url, stop, err := tools.StartNode(home)
		if err != nil {
			return nil, err
		}
		n := &Network{URL: url, Authority: keyPath, Genesis: filepath.Join(home, "config", "genesis.json"), Stop: stop}
		if err := waitNodeReady(ctx, url, nil); err != nil {
			stop()
			return nil, err
		}
		return n, nil
	}
	net, err := localnet.Start(localnet.Options{Dir: filepath.Join(dir, "net"), ChainID: chainID, Validators: validators,
		LogTo: func(home string) (io.WriteCloser, error) { return os.Create(filepath.Join(home, "process.log")) }})
	if err != nil {
		return nil, err
	}
	nodes, stop := net.Nodes, net.Stop
	for i, n := range nodes {
		if err := waitNodeReady(ctx, n.URL, n.Done); err != nil {
			stop()
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
	}
	return &Network{URL: nodes[0].URL, Authority: net.AuthorityKey(), Genesis: net.Genesis(), Stop: stop}, nil
}

// waitNodeReady polls a node's status until it has a first block.
func waitNodeReady(ctx context.Context, url string, done <-chan struct{}) error {
	c, err := nodeClient(url)
	if err != nil {
		return err
	}
	return localnet.WaitReady(ctx, c, 1, done)
}

// nodeClient is a client of the node at url: every answer within 90 s.
func nodeClient(url string) (*api.Client, error) {
	return api.NewClient(url, &http.Client{Timeout: 90 * time.Second})
}

type demoTrustee struct {
	index  int
	dir    string
	pass   []byte
	fault  trustee.Fault
	cancel context.CancelFunc
	done   chan struct{} // closed when the run ends, err set
	err    error
	log    *os.File
}

// finished reports whether the trustee's run has ended.
func (t *demoTrustee) finished() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

func (d *demoRun) run(ctx context.Context) error {
	out, cfg := d.out, d.cfg
	c, err := nodeClient(d.net.URL)
	if err != nil {
		return err
	}
	d.api = c
	authority, err := keyfile.ReadAuthority(d.net.Authority)
	if err != nil {
		return err
	}
	st, err := d.api.Status(ctx)
	if err != nil {
		return err
	}
	d.chainID = st.ChainID
	d.official = d.tools.Official(d.api, st.ChainID, authority, prefixWriter(out, "  official: "))

	// The trustees make their keys, each in its own directory.
	trustees := make([]*demoTrustee, cfg.Trustees)
	var tv []harness.Member
	for i := range trustees {
		t := &demoTrustee{index: i + 1, dir: filepath.Join(d.dir, "trustees", fmt.Sprintf("trustee-%d", i+1)), pass: []byte(randomHex(16)), fault: cfg.Faults[i+1]}
		m, err := d.tools.InitTrustee(t.dir, fmt.Sprintf("Trustee %d", i+1), t.pass, cfg.FastKDF)
		if err != nil {
			return err
		}
		// A demo keeps the passphrase beside the directory, so that its
		// trustees can be run again by hand.
		if err := os.WriteFile(t.dir+".passphrase", append(bytes.Clone(t.pass), '\n'), 0o600); err != nil {
			return err
		}
		tv = append(tv, m)
		trustees[i] = t
	}
	fmt.Fprintf(out, "%d trustees made their identity and encryption keys, sealed in %s\n", len(trustees), filepath.Join(d.dir, "trustees"))

	// The official writes the manifest and creates the election.
	man, y, err := harness.ManifestFromTemplate(demoManifest, map[string]any{
		"Authority": authority.AuthorityPublic().String(), "Reference": "demo-" + randomHex(8),
		"DealsBy": time.Now().UTC().Add(10 * time.Minute).Truncate(time.Second).Format(time.RFC3339), "Threshold": cfg.Threshold, "Trustees": tv,
	})
	if err != nil {
		return err
	}
	manifestPath := filepath.Join(d.dir, "manifest.yaml")
	if err := os.WriteFile(manifestPath, y, 0o644); err != nil {
		return err
	}
	if d.id, err = d.official.Create(ctx, man); err != nil {
		return err
	}

	// The trustees start watching the chain.
	for _, t := range trustees {
		if err := d.startTrustee(ctx, t); err != nil {
			return err
		}
	}
	defer func() {
		for _, t := range trustees {
			t.cancel()
			<-t.done
			t.log.Close()
		}
	}()
	fmt.Fprintf(out, "%d trustee processes run the key ceremony on the chain (logs: %s)\n", len(trustees), filepath.Join(d.dir, "trustees", "trustee-N.log"))

	// The voters make their keys; the official appends them to the roll.
	voters := make([]*wallet.VoterKey, cfg.Voters)
	var roll strings.Builder
	roll.WriteString("# the demo's voter roll: one voter public key per line\n")
	for i := range voters {
		if voters[i], err = wallet.GenerateVoterKey(rand.Reader); err != nil {
			return err
		}
		if err := keyfile.Write(filepath.Join(d.dir, "voters", fmt.Sprintf("voter-%d.key", i+1)), voters[i]); err != nil {
			return err
		}
		fmt.Fprintln(&roll, voters[i].Public())
	}
	rollPath := filepath.Join(d.dir, "roll.txt")
	if err := os.WriteFile(rollPath, []byte(roll.String()), 0o644); err != nil {
		return err
	}
	entries, err := election.ParseRollFile(strings.NewReader(roll.String()))
	if err != nil {
		return err
	}
	if err := d.official.AppendRoll(ctx, d.id, entries, rollBatch); err != nil {
		return err
	}

	// The official opens the election once the key is fixed.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	det, err := d.api.WaitPhase(wctx, d.id, api.PhaseIn(election.PhaseReady, election.PhaseFailed))
	cancel()
	if err != nil {
		return fmt.Errorf("waiting for the key ceremony: %w%s", err, trusteeErrors(trustees))
	}
	if det.Phase == election.PhaseFailed {
		return fmt.Errorf("the key ceremony failed: %s", det.Failure)
	}
	d.reportCeremony(det)
	if err := d.official.Open(ctx, d.id); err != nil {
		return err
	}

	// The voters vote, a few of them twice.
	if err := d.vote(ctx, voters); err != nil {
		return err
	}

	// One trustee goes offline before the close when the others suffice.
	bad := 0
	for _, f := range cfg.Faults {
		if f == trustee.FaultBadDecryption {
			bad++
		}
	}
	if cfg.Trustees-bad > cfg.Threshold {
		for i := len(trustees) - 1; i >= 0; i-- {
			if t := trustees[i]; t.fault == trustee.FaultNone {
				t.cancel()
				<-t.done
				d.expected.Offline = append(d.expected.Offline, uint32(t.index))
				fmt.Fprintf(out, "trustee %d goes offline: it will not decrypt\n", t.index)
				break
			}
		}
	}
	if err := d.official.Close(ctx, d.id); err != nil {
		return err
	}
	wctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
	det, err = d.api.WaitPhase(wctx, d.id, api.PhaseIn(election.PhaseTallied, election.PhaseFailed))
	cancel()
	if err != nil {
		return fmt.Errorf("waiting for the result: %w%s", err, trusteeErrors(trustees))
	}
	if det.Phase == election.PhaseFailed {
		return fmt.Errorf("the decryption failed: %s", det.Failure)
	}
	if err := d.reportDecryption(trustees); err != nil {
		return err
	}
	if err := writeDemoJSON(filepath.Join(d.dir, "expected.json"), d.expected); err != nil {
		return err
	}
	if err := demoRecordStep(ctx, d); err != nil {
		return err
	}

	fmt.Fprintln(out)
	totals, turnout, err := d.tools.Results(ctx, d.api, d.id, out)
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	return d.checkTotals(totals, turnout, man)
}

// demoRecordStep exports the election record to DIR/record.json, as
// `evote export` does, and verifies it against the network's genesis, as
// `evote verify --genesis` does: the result the demo then prints is one
// anyone can check without trusting the node.
func demoRecordStep(ctx context.Context, d *demoRun) error {
	path := filepath.Join(d.dir, "record.json")
	fmt.Fprintf(d.out, "exporting the election record to %s ...\n", path)
	return d.tools.Record(ctx, d.net.URL, d.id, path, d.net.Genesis, d.out)
}

// startTrustee runs a trustee in a goroutine, with its own context, its own
// sealed state opened with its passphrase, and its log in its own file.
func (d *demoRun) startTrustee(ctx context.Context, t *demoTrustee) error {
	log, err := os.Create(t.dir + ".log")
	if err != nil {
		return err
	}
	tctx, cancel := context.WithCancel(ctx)
	t.cancel, t.done, t.log = cancel, make(chan struct{}), log
	go func() {
		err := d.tools.RunTrustee(tctx, d.net.URL, t.dir, t.pass, d.id, trustee.Options{Fault: t.fault}, &LockedWriter{W: log})
		if err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(log, "exit: %v\n", err)
		}
		t.err = err
		close(t.done)
	}()
	return nil
}

// trusteeErrors lists the trustees that have stopped with an error.
func trusteeErrors(ts []*demoTrustee) string {
	var b strings.Builder
	for _, t := range ts {
		if t.finished() && t.err != nil {
			fmt.Fprintf(&b, "\n  trustee %d stopped: %v", t.index, t.err)
		}
	}
	return b.String()
}

// reportCeremony says what the key ceremony did: complaints, revealed
// shares, exclusions.
func (d *demoRun) reportCeremony(det *api.ElectionDetail) {
	for _, t := range det.Trustees {
		if len(t.ComplaintsAbout) > 0 {
			fmt.Fprintf(d.out, "  trustee %d complained about trustee(s) %v: the share sealed to it did not open\n", t.Index, t.ComplaintsAbout)
		}
		if t.Excluded != nil {
			fmt.Fprintf(d.out, "  trustee %d is excluded from the joint key: %s\n", t.Index, t.Excluded.Reason)
		}
	}
	if det.Counts.Responses > 0 {
		fmt.Fprintf(d.out, "  %d complaint(s) answered on the chain by revealing the share; the dealer stays qualified\n", det.Counts.Responses)
	}
	var q []uint32
	for _, t := range det.Trustees {
		if t.Qualified {
			q = append(q, t.Index)
		}
	}
	fmt.Fprintf(d.out, "key ceremony done on the chain: joint key %x from trustees %v\n", det.JointKey.Bytes(), q)
}

// reportDecryption says how each trustee's run ended; a trustee told to
// post wrong decryptions must have been refused with bad-decryption-share.
func (d *demoRun) reportDecryption(ts []*demoTrustee) error {
	for _, t := range ts {
		if slices.Contains(d.expected.Offline, uint32(t.index)) {
			continue
		}
		var err error
		select {
		case <-t.done:
			err = t.err
		case <-time.After(30 * time.Second):
			err = errors.New("still running 30 s after the result")
		}
		code, rejected := api.RefusalCode(err)
		switch {
		case t.fault == trustee.FaultBadDecryption && rejected && code == election.CodeBadDecryptionShare:
			fmt.Fprintf(d.out, "  trustee %d's wrong partial decryptions were rejected: %v\n", t.index, err)
		case t.fault == trustee.FaultBadDecryption:
			return fmt.Errorf("trustee %d posted wrong decryptions and was not refused with bad-decryption-share: %v", t.index, err)
		case err != nil:
			return fmt.Errorf("trustee %d: %w", t.index, err)
		}
	}
	return nil
}

// demoChoices draws valid random choices for every contest, different
// from avoid's first contest when avoid is given (a revote that changes
// the outcome).
func demoChoices(rng *mrand.Rand, m *election.Manifest, avoid [][]uint64) [][]uint64 {
	out := make([][]uint64, len(m.Contests))
	for i := range m.Contests {
		c := &m.Contests[i]
		n := len(c.Options)
		for {
			choice := make([]uint64, n)
			k := int(c.MinSelections) + rng.IntN(int(min(c.MaxSelections, uint32(n))-c.MinSelections)+1)
			for _, j := range rng.Perm(n)[:k] {
				choice[j] = 1
			}
			if i == 0 && avoid != nil && slices.Equal(choice, avoid[0]) {
				continue
			}
			out[i] = choice
			break
		}
	}
	return out
}

// vote has every voter build and cast a ballot with its own key through
// the API; the first few cast a second ballot that replaces the first.
func (d *demoRun) vote(ctx context.Context, voters []*wallet.VoterKey) error {
	m, err := d.api.DKG(ctx, d.id)
	if err != nil {
		return err
	}
	man := m.Manifest.Manifest
	det, err := d.api.Election(ctx, d.id)
	if err != nil {
		return err
	}
	el, err := wallet.NewElection(d.chainID, man, det.JointKey)
	if err != nil {
		return err
	}
	seed := make([]byte, 16)
	rand.Read(seed)
	rng := mrand.New(mrand.NewPCG(binary.BigEndian.Uint64(seed), binary.BigEndian.Uint64(seed[8:])))
	revoters := min(len(voters), max(1, len(voters)/5))
	exp := &Expected{Version: ExpectedTag, ChainID: d.chainID, Election: d.id.String(), Seed: hex.EncodeToString(seed),
		RollSize: len(voters), Offline: []uint32{}}
	if len(d.cfg.Faults) > 0 {
		exp.Faults = map[int]string{}
		for i, f := range d.cfg.Faults {
			exp.Faults[i] = f.String()
		}
	}
	for i, v := range voters {
		dv := ExpectedVoter{Voter: v.Public().String(), Ballots: [][][]uint64{demoChoices(rng, man, nil)}}
		if i < revoters {
			dv.Ballots = append(dv.Ballots, demoChoices(rng, man, dv.Ballots[0]))
		}
		exp.Voters = append(exp.Voters, dv)
	}
	d.expected = exp
	sub := harness.NewAPI(d.api)
	roles := make([]*harness.Voter, len(voters))
	for i, v := range voters {
		roles[i] = &harness.Voter{Key: v, Weight: 1}
	}
	cast := func(round int) error {
		var wg sync.WaitGroup
		errs := make([]error, len(voters))
		sem := make(chan struct{}, 64) // ballots in flight, each waiting for its commit
		for i := range voters {
			if round >= len(exp.Voters[i].Ballots) {
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				b, err := roles[i].Ballot(el, exp.Voters[i].Ballots[round], rand.Reader)
				if err != nil {
					errs[i] = err
					return
				}
				if _, err := sub.Submit(ctx, fmt.Sprintf("ballot %d of voter %d", round+1, i+1), b.Tx); err != nil {
					errs[i] = err
					return
				}
				exp.Voters[i].Codes = append(exp.Voters[i].Codes, api.TxHash(b.Hash).String())
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	t0 := time.Now()
	if err := cast(0); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%d voters cast their ballots, built and signed with their own keys (%.1f s)\n", len(voters), time.Since(t0).Seconds())
	if err := cast(1); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%d voters cast a second ballot with other choices: it replaces their first\n", revoters)
	exp.Totals = make([][]uint64, len(man.Contests))
	for c := range man.Contests {
		exp.Totals[c] = make([]uint64, len(man.Contests[c].Options))
	}
	for _, v := range exp.Voters {
		last := v.Ballots[len(v.Ballots)-1]
		for c := range last {
			for o, x := range last[c] {
				exp.Totals[c][o] += x
			}
		}
	}
	return nil
}

// checkTotals compares the decrypted totals with the recorded choices.
func (d *demoRun) checkTotals(totals [][]*uint64, voters uint64, man *election.Manifest) error {
	bad := 0
	for c, ct := range totals {
		for o, total := range ct {
			if want := d.expected.Totals[c][o]; total == nil || *total != want {
				got := "none"
				if total != nil {
					got = strconv.FormatUint(*total, 10)
				}
				fmt.Fprintf(d.out, "MISMATCH contest %d option %q: decrypted %s, recorded choices give %d\n", c+1, man.Contests[c].Options[o].In("", man.Languages), got, want)
				bad++
			}
		}
	}
	if voters != uint64(len(d.expected.Voters)) {
		fmt.Fprintf(d.out, "MISMATCH turnout: %d counted, %d voted\n", voters, len(d.expected.Voters))
		bad++
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d of them (%s)", ErrMismatch, bad, filepath.Join(d.dir, "expected.json"))
	}
	fmt.Fprintf(d.out, "✓ every total equals the recorded choices (%s): only each voter's last ballot counted\n", filepath.Join(d.dir, "expected.json"))
	return nil
}

func writeDemoJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// LockedWriter serialises writes to W.
type LockedWriter struct {
	mu sync.Mutex
	W  io.Writer
}

func (s *LockedWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.W.Write(p)
}

// prefixWriter writes each line to w with a prefix.
func prefixWriter(w io.Writer, prefix string) io.Writer {
	return &prefixed{w: w, prefix: prefix, bol: true}
}

type prefixed struct {
	w      io.Writer
	prefix string
	bol    bool
}

func (p *prefixed) Write(b []byte) (int, error) {
	var buf bytes.Buffer
	for _, c := range b {
		if p.bol {
			buf.WriteString(p.prefix)
		}
		buf.WriteByte(c)
		p.bol = c == '\n'
	}
	if _, err := p.w.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
