package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/fileutil"
	"github.com/evote/evote/internal/receiptfile"
	"github.com/evote/evote/internal/voternode"
	"github.com/evote/evote/wallet"
)

// Exit codes of the voter's commands, beside 0 (done) and 1 (could not
// run: bad input, no node, wrong passphrase).
const (
	exitCheckFailed = 2 // an audit file or a receipt does not check out
	exitRejected    = 3 // the chain refused the ballot (its result code is printed)
	// No node committed the ballot within --patience: the signed ballot is
	// kept in its pending receipt, and evote receipt check submits it again.
	exitNotConfirmed = 4
)

// VoteConfig configures `evote vote`.
type VoteConfig struct {
	// Nodes are the polling nodes to try, in order; the first that answers
	// shows the election, and its peer nodes are tried after these.
	Nodes    []string
	Patience time.Duration // how long to keep submitting before giving up
	Election string        // an election id; empty: the node's only open election
	Key      string        // the key's name in the wallet; empty: the only key
	Choices  []string
	Audit    bool // audit (spoil) a ballot first
	ThenCast bool // with --choice --audit: cast a fresh ballot after the audit
	NoWait   bool
	AuditOut string
	Lang     string
}

// Validate checks the configuration.
func (c VoteConfig) Validate() error {
	switch {
	case len(c.Nodes) == 0:
		return errors.New("--node is empty")
	case c.Patience < 0:
		return errors.New("--patience must not be negative")
	case c.ThenCast && !c.Audit:
		return errors.New("--then-cast goes with --audit")
	case c.AuditOut != "" && !c.Audit:
		return errors.New("--audit-out goes with --audit")
	case c.ThenCast && len(c.Choices) == 0:
		return errors.New("--then-cast goes with --choice (at the prompt, answer cast after the audit)")
	}
	if c.Election != "" {
		if _, err := election.ParseID(c.Election); err != nil {
			return fmt.Errorf("--election: %w", err)
		}
	}
	return nil
}

func newVoteCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vote",
		Short: "fill, encrypt, prove, sign and cast a ballot; or audit one first (Benaloh challenge)",
		Long: `vote fetches the election's manifest and joint key from a node (the manifest must hash to the
election id), shows the contests, takes the choices from --choice flags or asks for them, builds
the ballot (encrypted, proved valid, signed with the wallet key), submits it, waits for its
commit, checks the receipt against the validators and keeps it under the wallet's receipts/.

--choice CONTEST=SELECTION, once per contest; contests and options are numbered from 1 as shown:
  --choice 1=2 --choice 2=1,3      plurality / approval: the chosen options
  --choice 3=1:5,2:0,3:2           score / cumulative: option:value
  --choice 2=none                  a blank contest, where the contest allows it
Without --choice, vote asks on standard input, then asks to cast, audit or quit.

The Benaloh challenge: --audit (or answering audit) builds a ballot and, instead of casting it,
writes an audit file revealing its randomness; anyone can check it with evote ballot
check-audit. That ballot is spoiled, never cast. With --choice, --audit only audits unless
--then-cast, which then casts a fresh encryption (with the next sequence number).

A revote (where the election allows it) replaces the voter's earlier ballot: vote asks the node
for the voter's last sequence number and uses the next. A rejected ballot prints its result code
and exits 3.

Nodes fail. Give several with --node (repeat it): the first that answers shows the election, and
the nodes it names as its peers are added after those given. The signed ballot is written to its
pending receipt before it is submitted; if a node does not answer, is halted, loses the ballot
it admitted (a restart empties its mempool) or does not commit it within a minute, the same bytes
go to the next node (the chain counts them once). If none commits it within --patience, vote
exits 4: the ballot is not confirmed, and evote receipt check FILE --node URL submits it again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			choices, _ := cmd.Flags().GetStringArray("choice")
			cfg := VoteConfig{
				Nodes: nodeList(e.v.GetStringSlice("node")), Patience: e.v.GetDuration("patience"), Election: e.v.GetString("election"), Key: e.v.GetString("key"),
				Choices: choices, Audit: e.v.GetBool("audit"), ThenCast: e.v.GetBool("then-cast"),
				NoWait: e.v.GetBool("no-wait"), AuditOut: e.v.GetString("audit-out"), Lang: e.v.GetString("lang"),
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runVote(cmd.Context(), e, cfg)
		},
	}
	addWalletFlags(cmd)
	cmd.Flags().StringSlice("node", []string{"http://127.0.0.1:8080"}, "a polling node's HTTP address (repeat it: the next is tried when one fails)")
	cmd.Flags().Duration("patience", voternode.DefaultPatience, "how long to keep submitting the ballot to the nodes before giving up")
	cmd.Flags().String("election", "", "the election id (default: the node's only open election)")
	cmd.Flags().String("key", "", "the name of the wallet key to vote with (default: the wallet's only key)")
	cmd.Flags().StringArray("choice", nil, "CONTEST=SELECTION, once per contest (see above)")
	cmd.Flags().Bool("audit", false, "audit (spoil) a ballot before casting: the Benaloh challenge")
	cmd.Flags().Bool("then-cast", false, "with --audit and --choice: cast a fresh ballot after the audit")
	cmd.Flags().String("audit-out", "", "where to write the audit file (default: the wallet's audits/ folder)")
	cmd.Flags().Bool("no-wait", false, "do not wait for the commit: print the tracking code and keep a pending receipt")
	cmd.Flags().String("lang", "en", "the language to show the election in (falls back to the manifest's first)")
	return cmd
}

// voteSession is one voter's casting session.
type voteSession struct {
	e        *env
	cfg      VoteConfig
	client   *api.Client   // the node that showed the election
	nodes    []*api.Client // where the ballot may go: client first
	key      wallet.KeyEntry
	el       *wallet.Election
	manifest json.RawMessage
	view     ballotView
	trusted  []api.Validator
	set      *cmttypes.ValidatorSet
	audits   int
}

func runVote(ctx context.Context, e *env, cfg VoteConfig) error {
	var clients []*api.Client
	for _, n := range cfg.Nodes {
		c, err := newVoterClient(n)
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	w, err := e.openWallet()
	if err != nil {
		return err
	}
	key, err := w.Key(cfg.Key)
	w.Close() // only read: other commands may change the keystore meanwhile
	if err != nil {
		return err
	}
	client, st, err := firstAnswering(ctx, e, clients)
	if err != nil {
		return err
	}
	node := client.Base()
	nodes, err := castNodes(clients, client, st)
	if err != nil {
		return err
	}
	set, err := receiptfile.ValidatorSet(st.Validators)
	if err != nil {
		return fmt.Errorf("node %s: %w", node, err)
	}
	id, err := voternode.PickElection(ctx, client, cfg.Election)
	if err != nil {
		return err
	}
	d, err := client.Election(ctx, id)
	if errors.Is(err, api.ErrNotFound) {
		return fmt.Errorf("node %s has no election %s", node, id)
	}
	if err != nil {
		return err
	}
	el, manifest, err := voternode.ElectionOf(st.ChainID, id, d)
	if err != nil {
		return fmt.Errorf("election %s from node %s: %w", id, node, err)
	}
	s := &voteSession{e: e, cfg: cfg, client: client, nodes: nodes, key: key, el: el, manifest: manifest,
		view: ballotView{m: el.Manifest, lang: cfg.Lang}, trusted: st.Validators, set: set}
	out := e.stdout
	fmt.Fprintf(out, "Election %s\n  %q (%s) on chain %s, node %s\n", id, s.view.text(el.Manifest.Title), d.Phase, st.ChainID, node)
	fmt.Fprintf(out, "  voting as %q, %s\n", key.Name, key.Key.Public())
	if d.Phase != election.PhaseOpen {
		fmt.Fprintf(out, "  note: the election is %s, not open: the chain will refuse a ballot\n", d.Phase)
	}
	seq := uint64(1)
	vs, err := client.Voter(ctx, id, key.Key.Public())
	switch {
	case errors.Is(err, api.ErrNotFound):
		fmt.Fprintln(out, "  note: the node says this key is not on the election's roll: the chain will refuse a ballot")
	case err != nil:
		return err
	case !vs.OnRoll && !vs.Voted:
		fmt.Fprintln(out, "  note: the node says this key is not on the election's roll: the chain will refuse a ballot")
	case vs.Voted:
		seq = vs.Seq + 1
		if el.Manifest.Revoting {
			fmt.Fprintf(out, "  you have voted (ballot %d in block %d); a new ballot replaces it\n", vs.Seq, vs.Height)
		} else {
			fmt.Fprintf(out, "  note: you have voted (ballot %d in block %d) and this election allows no revote\n", vs.Seq, vs.Height)
		}
	}
	s.view.show(out)
	fmt.Fprintln(out)

	if len(cfg.Choices) > 0 {
		choices, err := parseChoiceFlags(el.Manifest, cfg.Choices)
		if err != nil {
			return err
		}
		if cfg.Audit {
			if err := s.audit(choices, seq); err != nil {
				return err
			}
			if !cfg.ThenCast {
				fmt.Fprintln(out, "Nothing was cast (add --then-cast to cast a fresh ballot after the audit).")
				return nil
			}
			seq++
		}
		return s.cast(ctx, choices, seq)
	}

	in := fileutil.NewLineReader(e.stdin)
	choices, err := s.view.askChoices(in, out)
	if err != nil {
		return err
	}
	action := ""
	if cfg.Audit {
		action = "audit"
	}
	for {
		if action == "" {
			fmt.Fprintln(out, "\nYour ballot:")
			s.view.summary(out, choices)
			fmt.Fprint(out, "Cast it, audit it first (the audited ballot is spoiled and a fresh one is made), or quit? [cast/audit/quit]: ")
			line, err := in.Line()
			if errors.Is(err, io.EOF) {
				return errors.New("nothing cast: the input ended before an answer")
			}
			if err != nil {
				return err
			}
			action = strings.ToLower(line)
		}
		switch action {
		case "cast", "c":
			return s.cast(ctx, choices, seq)
		case "audit", "a":
			if err := s.audit(choices, seq); err != nil {
				return err
			}
			seq++ // the spoiled ballot's number is never used again
		case "quit", "q":
			fmt.Fprintln(out, "Nothing was cast.")
			return nil
		default:
			fmt.Fprintf(out, "  answer cast, audit or quit\n")
		}
		action = ""
	}
}

// audit builds a ballot with sequence number seq, opens it in an audit
// file and checks the file as an auditor would. The ballot is never cast.
func (s *voteSession) audit(choices [][]uint64, seq uint64) error {
	out := s.e.stdout
	af, raw, opened, err := wallet.SpoilBallot(s.el, s.manifest, s.key.Key, seq, choices, rand.Reader)
	if err != nil {
		return err
	}
	path := s.cfg.AuditOut
	if path == "" || s.audits > 0 {
		dir, err := walletSubdir(s.e, "audits")
		if err != nil {
			return err
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%s.json", s.el.ID.String()[:12], af.TrackingCode[:16]))
	}
	s.audits++
	if err := fileutil.WriteAtomic(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(raw)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "Audited ballot %s (spoiled: it is never cast)\n", af.TrackingCode)
	fmt.Fprintf(out, "  audit file  %s\n", path)
	fmt.Fprintln(out, "  it opens to:")
	s.view.summary(out, opened)
	fmt.Fprintf(out, "  anyone can check it: evote ballot check-audit %s --node %s\n", path, s.client.Base())
	return nil
}

// cast builds a fresh ballot and writes its pending receipt, holding the
// signed ballot; then submits it (to the next node when one fails) and
// keeps its checked receipt.
func (s *voteSession) cast(ctx context.Context, choices [][]uint64, seq uint64) error {
	out := s.e.stdout
	b, err := wallet.BuildBallot(s.el, s.key.Key, seq, choices, rand.Reader)
	if err != nil {
		return err
	}
	dir, err := walletSubdir(s.e, "receipts")
	if err != nil {
		return err
	}
	wr := &receiptfile.File{
		Version: receiptfile.Tag, Node: s.client.Base(), ChainID: s.el.ChainID, Election: s.el.ID,
		Voter: s.key.Key.Public(), KeyName: s.key.Name, Seq: seq,
		TrackingCode: fmt.Sprintf("%x", b.Hash), CastAt: time.Now().UTC().Truncate(time.Second), Validators: s.trusted,
		Ballot: b.Tx,
	}
	path := receiptfile.Path(dir, wr)
	// Kept before it is sent: whatever happens next, the voter holds the
	// signed ballot and can submit it again.
	if err := receiptfile.Write(path, wr); err != nil {
		return err
	}
	if s.cfg.NoWait {
		_, err := s.client.Submit(ctx, b.Tx, api.SubmitOptions{})
		var re *api.RefusedError
		if errors.As(err, &re) {
			return rejected(wr.TrackingCode, re)
		}
		if err != nil {
			return fmt.Errorf("submitting the ballot: %w (the signed ballot is kept in %s)", err, path)
		}
		fmt.Fprintf(out, "Ballot submitted (not waiting for its commit).\n  tracking code  %s\n  receipt        %s (pending: evote receipt check %s --node %s)\n", wr.TrackingCode, path, path, s.client.Base())
		return nil
	}
	c := &voternode.Caster{Nodes: s.nodes, Patience: s.cfg.Patience,
		Check: func(rec *api.Receipt) error {
			probe := *wr
			probe.Receipt = rec
			if _, err := probe.CheckOffline(s.set); !errors.Is(err, receiptfile.ErrIncomplete) {
				return err
			}
			return nil // committed; its result is proven by the next block, which may come later
		},
		Log: func(format string, args ...any) { fmt.Fprintf(s.e.stderr, format+"\n", args...) },
	}
	var code api.TxHash
	copy(code[:], b.Hash[:])
	res, err := c.Cast(ctx, b.Tx, code)
	var re *api.RefusedError
	switch {
	case errors.As(err, &re):
		os.Remove(path) // refused by the chain: nothing to keep
		return rejected(wr.TrackingCode, re)
	case errors.Is(err, voternode.ErrNotConfirmed):
		return &exitError{code: exitNotConfirmed, err: fmt.Errorf("ballot %s is NOT confirmed on the chain: %v\n"+
			"The signed ballot is kept in %s: evote receipt check %s --node URL submits it again and completes the receipt", wr.TrackingCode, err, path, path)}
	case err != nil:
		return fmt.Errorf("submitting the ballot: %w (the signed ballot is kept in %s)", err, path)
	}
	wr.Receipt, wr.Ballot, wr.Node = res.Receipt, nil, res.Node.Base()
	if err := receiptfile.Write(path, wr); err != nil {
		return err
	}
	if _, err := wr.CheckOffline(s.set); errors.Is(err, receiptfile.ErrIncomplete) {
		// Committed, but the next block, which proves the result, did not
		// come within the node's wait.
		fmt.Fprintf(out, "Ballot committed in block %d; the proof of its acceptance comes with the next block.\n  tracking code  %s\n  receipt        %s (pending: evote receipt check %s --node %s)\n", res.Receipt.Height, wr.TrackingCode, path, path, res.Node.Base())
		return nil
	}
	fmt.Fprintf(out, "Ballot cast: committed in block %d of chain %s.\n", res.Receipt.Height, s.el.ChainID)
	fmt.Fprintf(out, "  tracking code  %s\n", wr.TrackingCode)
	fmt.Fprintf(out, "  receipt        %s\n", path)
	if res.Node != s.client {
		fmt.Fprintf(out, "  through node   %s\n", res.Node.Base())
	}
	fmt.Fprintf(out, "  checked: in block %d, signed by more than 2/3 of the voting power of %d validator(s); accepted (code 0, committed in block %d)\n", res.Receipt.Height, s.set.Size(), res.Receipt.Height+1)
	return nil
}

func rejected(code string, re *api.RefusedError) error {
	return &exitError{code: exitRejected, err: fmt.Errorf("ballot %s rejected: %s (code %d): %s", code, re.Code, uint32(re.Code), re.Message)}
}

// nodeList is the --node values, commas separating several in one.
func nodeList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// firstAnswering is the first of clients whose status answers, with it.
func firstAnswering(ctx context.Context, e *env, clients []*api.Client) (*api.Client, *api.Status, error) {
	var errs []error
	for _, c := range clients {
		st, err := c.Status(ctx)
		if err == nil {
			return c, st, nil
		}
		if len(clients) > 1 {
			fmt.Fprintf(e.stderr, "node %s: %v; trying the next\n", c.Base(), err)
		}
		errs = append(errs, err)
	}
	return nil, nil, errors.Join(errs...)
}

// castNodes is where a ballot may go: first the node that showed the
// election, then the other given nodes, then the peers it names, each once.
// A receipt from any of them is checked against the validators the first
// showed, so a peer of another chain cannot pass one off.
func castNodes(given []*api.Client, first *api.Client, st *api.Status) ([]*api.Client, error) {
	seen := map[string]bool{first.Base(): true}
	nodes := []*api.Client{first}
	for _, c := range given {
		if !seen[c.Base()] {
			seen[c.Base()] = true
			nodes = append(nodes, c)
		}
	}
	for _, p := range st.PeerNodes {
		c, err := newVoterClient(p)
		if err != nil {
			return nil, fmt.Errorf("node %s names a peer node %q: %w", first.Base(), p, err)
		}
		if !seen[c.Base()] {
			seen[c.Base()] = true
			nodes = append(nodes, c)
		}
	}
	return nodes, nil
}
