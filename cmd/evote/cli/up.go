package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/demo"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/wallet"
)

// upChainID is the chain id of the embedded single-validator network.
const upChainID = "evote-local"

func newUpCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up",
		Short: "run a single-validator polling node on loopback with a sample election and its trustees",
		Long: `up is evote on embedded defaults. The first time, it writes a node home (--home,
default ~/.evote): a one-validator network on 127.0.0.1, an election authority key for the
operator (HOME/keys/authority.key), and a sample election with five sample voters (their keys
are HOME/sample/voter-N.key) and three sample trustees. The trustees are trustee runs, as
` + "`evote trustee run`" + ` does them, each on its own sealed directory HOME/sample/trustee-N
(marked SAMPLE: its passphrase lies beside it, which is for a demonstration only), in this
process beside the node, logging to HOME/sample/trustee-N.log. They run the key ceremony on
the chain, up opens the election, and they stay: once an official closes the election they
post their decryption shares and the result appears. up serves the API and pages on
http://127.0.0.1:8080 until interrupted. Later runs resume the same chain, and the sample
trustees do what is left for them to do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := nodeConfig(e)
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runUp(cmd.Context(), cfg, upOptions{p2p: e.v.GetString("p2p-listen"), rpc: e.v.GetString("rpc-listen")}, e.stdout)
		},
	}
	addNodeFlags(cmd)
	cmd.Flags().String("p2p-listen", chain.DefaultP2PAddr, "a new home's consensus p2p listen address (tcp://HOST:PORT)")
	cmd.Flags().String("rpc-listen", chain.DefaultRPCAddr, "a new home's CometBFT RPC listen address (tcp://HOST:PORT)")
	return cmd
}

// upOptions are what `evote up`'s flags and tests change.
type upOptions struct {
	p2p, rpc string        // a new home's CometBFT addresses (empty: the defaults)
	ready    chan<- string // if set, gets the API's URL once the sample is open
}

func runUp(ctx context.Context, cfg NodeConfig, opts upOptions, out io.Writer) error {
	keyPath := filepath.Join(cfg.Home, "keys", "authority.key")
	if _, err := os.Stat(filepath.Join(cfg.Home, "config", "genesis.json")); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Join(cfg.Home, "keys"), 0o700); err != nil {
			return err
		}
		authority, _, err := localnet.NewAuthorityKey(filepath.Dir(keyPath))
		if err != nil {
			return err
		}
		appState, err := localnet.GenesisAppState(upChainID, authority)
		if err != nil {
			return err
		}
		if err := chain.Init(cfg.Home, "evote-up", chain.InitOptions{ChainID: upChainID, AppState: appState, P2PAddr: opts.p2p, RPCAddr: opts.rpc}); err != nil {
			return err
		}
		fmt.Fprintf(out, "new node home %s (chain %s, one validator on 127.0.0.1)\n", cfg.Home, upChainID)
	}
	authority, err := keyfile.ReadAuthority(keyPath)
	if err != nil {
		return fmt.Errorf("authority key: %w", err)
	}
	rn, err := startNode(cfg)
	if err != nil {
		return err
	}
	st, err := rn.node.Status(ctx)
	if err != nil {
		rn.stop()
		return err
	}
	out = &demo.LockedWriter{W: out} // the sample trustees write too
	fmt.Fprintf(out, "polling node running: chain %s, height %d, app hash %s\n", st.ChainID, st.Height, st.AppHash)
	fmt.Fprintf(out, "  home          %s (log: %s)\n", cfg.Home, filepath.Join(cfg.Home, "node.log"))
	fmt.Fprintf(out, "  authority key %s (%s)\n", keyPath, authority.AuthorityPublic())
	fmt.Fprintln(out, "                `evote election` and `evote roll` sign with it (found under --home; elsewhere give --authority-key or EVOTE_AUTHORITY_KEY)")
	s := &sample{dir: filepath.Join(cfg.Home, "sample"), url: rn.url, authority: authority, sub: harness.Node{N: rn.node}, out: out}
	stopTrustees, err := s.run(ctx)
	if err != nil {
		rn.stop()
		return fmt.Errorf("sample election: %w", err)
	}
	fmt.Fprintf(out, "API and pages on %s (Ctrl-C stops the node and the sample trustees)\n", rn.url)
	switch {
	case s.id == nil:
	case s.phase == election.PhaseOpen:
		printTryIt(out, rn.url, cfg.Home, *s.id)
	default:
		fmt.Fprintf(out, "the sample election is %s: see it on %s/elections/%s\n", s.phase, rn.url, *s.id)
	}
	if opts.ready != nil {
		opts.ready <- rn.url
	}
	err = rn.wait(ctx)
	return errors.Join(err, stopTrustees())
}

// printTryIt says how to take the sample election from the browser to
// its result.
func printTryIt(out io.Writer, url, home string, id election.ID) {
	sample := filepath.Join(home, "sample")
	fmt.Fprintf(out, `
Try it in the browser:
  1. open the wallet, %[1]s/wallet, and import a sample voter's key: the text of
     %[2]s (or voter-2.key ... voter-%[3]d.key);
     or create a key there and add it to the roll in the console
  2. vote in the sample election
  3. open the officials' console, %[1]s/console, with the authority key
     %[4]s, and close the election
  4. the sample trustees decrypt the totals: the result appears on
     %[1]s/elections/%[5]s, the page that verifies the election as it goes
From the command line: evote election close, then evote results (both use the node's only election).
`, url, filepath.Join(sample, "voter-1.key"), sampleVoters, filepath.Join(home, "keys", "authority.key"), id)
}

// sampleVoters is the size of the sample election's roll.
const sampleVoters = 5

// sampleTrustees is how many trustees the sample election has.
const sampleTrustees = 3

// sample is the sample election of `evote up`, in HOME/sample:
// manifest.yaml, voter-N.key, and per trustee the sealed directory
// trustee-N (with SAMPLE and passphrase) and its log trustee-N.log.
type sample struct {
	dir       string
	url       string
	authority *election.PrivateKey
	sub       harness.Node
	out       io.Writer
	id        *election.ID   // the sample election, once known
	phase     election.Phase // its phase once open has run
}

// Files of a sample trustee's directory besides trusteedir's.
const (
	sampleMark     = "SAMPLE"
	samplePassFile = "passphrase"
)

// sampleNotice is a sample trustee's SAMPLE file.
const sampleNotice = `This trustee belongs to the sample election of evote up, and to nothing else.

Its passphrase is stored beside this file (passphrase), and its secrets are sealed with a
cheap key derivation, because evote up runs the sample's trustees by itself as a
demonstration. Never do this for a real election: there each trustee makes its keys with
evote trustee init on its own machine, keeps its passphrase to itself, and takes part with
evote trustee run (docs/trustees.md).
`

// sampleKDF seals the sample trustees' secrets: a cheap setting, since
// their passphrase lies beside them anyway.
var sampleKDF = testKDF

// run creates the sample election if the chain has no election yet, and
// runs the sample trustees of the sample election until stop: through
// the key ceremony, after which it opens the election, and through the
// decryption after an official closes it.
func (s *sample) run(ctx context.Context) (stop func() error, err error) {
	none := func() error { return nil }
	list, err := election.QueryElections(s.sub.N.App().Store().Reader())
	if err != nil {
		return none, err
	}
	if len(list) == 0 {
		fmt.Fprintln(s.out, "creating the sample election; its trustees run the key ceremony on the chain ...")
		id, err := s.create(ctx)
		if err != nil {
			return none, err
		}
		s.id = &id
	} else {
		for _, x := range list {
			fmt.Fprintf(s.out, "  election      %s %q: %s, %d on the roll, %d voted\n", x.ID, x.Title.In("en", nil), x.Phase, x.RollSize, x.Voters)
		}
		id, ok, err := s.existing()
		if err != nil || !ok {
			return none, err
		}
		s.id = &id
	}
	stop, err = s.startTrustees(ctx, *s.id)
	if err != nil {
		return none, err
	}
	if err := s.open(ctx, *s.id); err != nil {
		return none, errors.Join(err, stop())
	}
	return stop, nil
}

// existing is the sample election of an earlier run, if its manifest and
// trustees are in the sample directory and it is on the chain.
func (s *sample) existing() (election.ID, bool, error) {
	y, err := os.ReadFile(filepath.Join(s.dir, "manifest.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return election.ID{}, false, nil
	}
	if err != nil {
		return election.ID{}, false, err
	}
	m, err := election.ParseManifestYAML(y)
	if err != nil {
		return election.ID{}, false, fmt.Errorf("%s: %w", filepath.Join(s.dir, "manifest.yaml"), err)
	}
	id, err := m.ID()
	if err != nil {
		return election.ID{}, false, err
	}
	if _, err := election.QueryElection(s.sub.N.App().Store().Reader(), id); err != nil {
		return election.ID{}, false, nil // not this chain's
	}
	if _, err := os.Stat(filepath.Join(s.trusteeDir(1), sampleMark)); err != nil {
		// An earlier evote up played the trustees in-process: none is left to run.
		fmt.Fprintf(s.out, "  the sample election %s has no trustee directories under %s: nobody will decrypt it\n", id, s.dir)
		return election.ID{}, false, nil
	}
	return id, true, nil
}

func (s *sample) trusteeDir(i int) string { return filepath.Join(s.dir, fmt.Sprintf("trustee-%d", i)) }

// create makes (or reuses, after an interrupted first run) the sample
// trustees' directories, writes the manifest, and creates the election
// with a roll of fresh sample voters.
func (s *sample) create(ctx context.Context) (election.ID, error) {
	var members []harness.Member
	for i := 1; i <= sampleTrustees; i++ {
		m, err := sampleTrustee(s.trusteeDir(i), fmt.Sprintf("Sample trustee %d", i))
		if err != nil {
			return election.ID{}, fmt.Errorf("sample trustee %d: %w", i, err)
		}
		members = append(members, m)
	}
	now := time.Now().UTC().Truncate(time.Second)
	man, y, err := harness.ManifestFromTemplate(sampleManifest, map[string]any{
		"Authority": s.authority.AuthorityPublic().String(), "Reference": "evote-sample-election",
		"DealsBy": now.Add(time.Hour).Format(time.RFC3339), "Close": now.Add(30 * 24 * time.Hour).Format(time.RFC3339),
		"Trustees": members,
	})
	if err != nil {
		return election.ID{}, err
	}
	if err := os.WriteFile(filepath.Join(s.dir, "manifest.yaml"), y, 0o644); err != nil {
		return election.ID{}, err
	}
	a := &harness.Authority{Key: s.authority, Sub: s.sub}
	id, err := a.Create(ctx, man)
	if err != nil {
		return id, err
	}
	roll := make([]election.RollEntry, sampleVoters)
	for i := range roll {
		v, err := newSampleVoter(filepath.Join(s.dir, fmt.Sprintf("voter-%d.key", i+1)))
		if err != nil {
			return id, err
		}
		roll[i] = election.RollEntry{Voter: v, Weight: 1}
	}
	if err := a.AppendRoll(ctx, id, roll, rollBatch); err != nil {
		return id, err
	}
	fmt.Fprintf(s.out, "  election      %s %q\n", id, man.Title.In("en", man.Languages))
	fmt.Fprintf(s.out, "  sample voters %s (voter-1.key ... voter-%d.key: evote-voter-secret:… text a wallet imports)\n", s.dir, sampleVoters)
	return id, nil
}

// sampleTrustee makes a sample trustee's directory: SAMPLE, the
// passphrase beside it, the sealed secrets. A directory an interrupted
// run made is reused.
func sampleTrustee(dir, name string) (harness.Member, error) {
	if _, err := os.Stat(filepath.Join(dir, trusteeSealed)); err == nil {
		store, err := openSampleTrustee(dir)
		if err != nil {
			return harness.Member{}, err
		}
		defer store.Close()
		return (&harness.Trustee{State: store.State}).Member()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return harness.Member{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, sampleMark), []byte(sampleNotice), 0o644); err != nil {
		return harness.Member{}, err
	}
	pass := []byte(randomHex(16))
	if err := os.WriteFile(filepath.Join(dir, samplePassFile), append(pass, '\n'), 0o600); err != nil {
		return harness.Member{}, err
	}
	store, err := initTrusteeStore(dir, name, pass, sampleKDF)
	if err != nil {
		return harness.Member{}, err
	}
	defer store.Close()
	return (&harness.Trustee{State: store.State}).Member()
}

// openSampleTrustee opens a sample trustee's directory with the
// passphrase beside its SAMPLE file; a directory without SAMPLE is not
// the sample's and is left alone.
func openSampleTrustee(dir string) (*trusteeStore, error) {
	if _, err := os.Stat(filepath.Join(dir, sampleMark)); err != nil {
		return nil, fmt.Errorf("%s holds a trustee that is not marked %s: evote up runs only its sample trustees", dir, sampleMark)
	}
	pass, err := os.ReadFile(filepath.Join(dir, samplePassFile))
	if err != nil {
		return nil, err
	}
	return openTrusteeStore(dir, trimLine(pass))
}

// trimLine is b without its trailing line end.
func trimLine(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// newSampleVoter writes a fresh voter key to path and returns its public
// key.
func newSampleVoter(path string) (election.VoterPublicKey, error) {
	k, err := wallet.GenerateVoterKey(rand.Reader)
	if err != nil {
		return election.VoterPublicKey{}, err
	}
	if err := keyfile.Write(path, k); err != nil {
		return election.VoterPublicKey{}, err
	}
	return k.Public(), nil
}

// samplePoll is how often a sample trustee looks at the chain.
const samplePoll = 250 * time.Millisecond

// startTrustees runs each sample trustee of election id (as `evote
// trustee run` does) in a goroutine, logging to its trustee-N.log, until
// its part is over or stop. stop returns the errors of trustees that
// failed.
func (s *sample) startTrustees(ctx context.Context, id election.ID) (stop func() error, err error) {
	ctx, cancel := context.WithCancel(ctx)
	errs := make([]error, sampleTrustees)
	done := make(chan struct{}, sampleTrustees)
	started := 0
	stop = func() error {
		cancel()
		for range started {
			<-done
		}
		return errors.Join(errs...)
	}
	for i := 1; i <= sampleTrustees; i++ {
		dir := s.trusteeDir(i)
		store, err := openSampleTrustee(dir)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("sample trustee %d: %w", i, err), stop())
		}
		logPath := filepath.Join(s.dir, fmt.Sprintf("trustee-%d.log", i))
		log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			store.Close()
			return nil, errors.Join(err, stop())
		}
		started++
		go func() {
			defer func() { done <- struct{}{} }()
			defer log.Close()
			defer store.Close()
			err := runTrustee(ctx, TrusteeRunConfig{Node: s.url, Election: id, Dir: dir, Poll: samplePoll}, store, log)
			switch {
			case err == nil:
				fmt.Fprintln(log, "its part in the sample election is over")
			case ctx.Err() != nil:
				fmt.Fprintln(log, "stopped with evote up")
			default:
				fmt.Fprintf(log, "stopped: %v\n", err)
				fmt.Fprintf(s.out, "evote: sample trustee %d stopped: %v (log: %s)\n", i, err, logPath)
				errs[i-1] = fmt.Errorf("sample trustee %d: %w", i, err)
			}
		}()
	}
	fmt.Fprintf(s.out, "  trustees      %d sample trustees run here, each on its sealed directory %s (marked SAMPLE:\n", sampleTrustees, filepath.Join(s.dir, "trustee-N"))
	fmt.Fprintf(s.out, "                its passphrase lies beside it, for this demonstration only); logs %s\n", filepath.Join(s.dir, "trustee-N.log"))
	return stop, nil
}

// sampleCeremonyTimeout bounds the wait for the sample's key ceremony.
const sampleCeremonyTimeout = 2 * time.Minute

// open waits, if the key ceremony is under way, for the joint key, and
// opens the election once it is fixed.
func (s *sample) open(ctx context.Context, id election.ID) error {
	c, err := newNodeClient(s.url)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, sampleCeremonyTimeout)
	d, err := c.WaitPhase(wctx, id, func(d *api.ElectionDetail) bool { return d.Phase >= election.PhaseReady })
	cancel()
	if err != nil {
		return fmt.Errorf("waiting for the sample trustees' key ceremony (logs: %s): %w", filepath.Join(s.dir, "trustee-N.log"), err)
	}
	s.phase = d.Phase
	switch d.Phase {
	case election.PhaseFailed:
		return fmt.Errorf("the sample election's key ceremony failed: %s", d.Failure)
	case election.PhaseReady:
		if err := (&harness.Authority{Key: s.authority, Sub: s.sub}).Open(ctx, id); err != nil {
			return err
		}
		s.phase = election.PhaseOpen
		fmt.Fprintf(s.out, "  the sample trustees fixed the joint key (%d trustees, any %d decrypt); the election is open\n", sampleTrustees, d.Manifest.Trustees.Threshold)
	case election.PhaseClosed:
		fmt.Fprintln(s.out, "  the sample election is closed: its trustees post their decryption shares")
	}
	return nil
}
