package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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
)

// VoteConfig configures `evote vote`.
type VoteConfig struct {
	Node     string
	Election string // an election id; empty: the node's only open election
	Key      string // the key's name in the wallet; empty: the only key
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
	case c.Node == "":
		return errors.New("--node is empty")
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
and exits 3.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			choices, _ := cmd.Flags().GetStringArray("choice")
			cfg := VoteConfig{
				Node: e.v.GetString("node"), Election: e.v.GetString("election"), Key: e.v.GetString("key"),
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
	cmd.Flags().String("node", "http://127.0.0.1:8080", "the node's HTTP address")
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
	client   *api.Client
	key      wallet.KeyEntry
	el       *wallet.Election
	manifest json.RawMessage
	view     ballotView
	trusted  []api.Validator
	set      *cmttypes.ValidatorSet
	audits   int
}

func runVote(ctx context.Context, e *env, cfg VoteConfig) error {
	client, err := newVoterClient(cfg.Node)
	if err != nil {
		return err
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
	st, err := client.Status(ctx)
	if err != nil {
		return err
	}
	set, err := receiptfile.ValidatorSet(st.Validators)
	if err != nil {
		return fmt.Errorf("node %s: %w", cfg.Node, err)
	}
	id, err := voternode.PickElection(ctx, client, cfg.Election)
	if err != nil {
		return err
	}
	d, err := client.Election(ctx, id)
	if errors.Is(err, api.ErrNotFound) {
		return fmt.Errorf("node %s has no election %s", cfg.Node, id)
	}
	if err != nil {
		return err
	}
	el, manifest, err := voternode.ElectionOf(st.ChainID, id, d)
	if err != nil {
		return fmt.Errorf("election %s from node %s: %w", id, cfg.Node, err)
	}
	s := &voteSession{e: e, cfg: cfg, client: client, key: key, el: el, manifest: manifest,
		view: ballotView{m: el.Manifest, lang: cfg.Lang}, trusted: st.Validators, set: set}
	out := e.stdout
	fmt.Fprintf(out, "Election %s\n  %q (%s) on chain %s, node %s\n", id, s.view.text(el.Manifest.Title), d.Phase, st.ChainID, cfg.Node)
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
	fmt.Fprintf(out, "  anyone can check it: evote ballot check-audit %s --node %s\n", path, s.cfg.Node)
	return nil
}

// cast builds a fresh ballot, submits it and keeps its receipt.
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
		Version: receiptfile.Tag, Node: s.cfg.Node, ChainID: s.el.ChainID, Election: s.el.ID,
		Voter: s.key.Key.Public(), KeyName: s.key.Name, Seq: seq,
		TrackingCode: fmt.Sprintf("%x", b.Hash), CastAt: time.Now().UTC().Truncate(time.Second), Validators: s.trusted,
	}
	path := receiptfile.Path(dir, wr)
	ans, err := s.client.Submit(ctx, b.Tx, api.SubmitOptions{Wait: !s.cfg.NoWait})
	var ae *api.Error
	var re *api.RefusedError
	switch {
	case errors.As(err, &re):
		return &exitError{code: exitRejected, err: fmt.Errorf("ballot %s rejected: %s (code %d): %s", wr.TrackingCode, re.Code, uint32(re.Code), re.Message)}
	case errors.As(err, &ae) && ae.Status == http.StatusGatewayTimeout:
		if err := receiptfile.Write(path, wr); err != nil {
			return err
		}
		fmt.Fprintf(out, "Ballot admitted but not committed within the node's wait.\n  tracking code  %s\n  receipt        %s (pending: evote receipt check %s --node %s)\n", wr.TrackingCode, path, path, s.cfg.Node)
		return nil
	case err != nil:
		return fmt.Errorf("submitting the ballot: %w", err)
	case !ans.Committed && s.cfg.NoWait:
		if err := receiptfile.Write(path, wr); err != nil {
			return err
		}
		fmt.Fprintf(out, "Ballot submitted (not waiting for its commit).\n  tracking code  %s\n  receipt        %s (pending: evote receipt check %s --node %s)\n", wr.TrackingCode, path, path, s.cfg.Node)
		return nil
	case ans.Receipt == nil || !ans.Committed:
		return errors.New("the node answered without a receipt")
	}
	wr.Receipt = ans.Receipt
	if _, err := wr.CheckOffline(s.set); errors.Is(err, receiptfile.ErrIncomplete) {
		// Committed, but the next block, which proves the result, did not
		// come within the node's wait.
		if err := receiptfile.Write(path, wr); err != nil {
			return err
		}
		fmt.Fprintf(out, "Ballot committed in block %d; the proof of its acceptance comes with the next block.\n  tracking code  %s\n  receipt        %s (pending: evote receipt check %s --node %s)\n", ans.Height, wr.TrackingCode, path, path, s.cfg.Node)
		return nil
	} else if err != nil {
		// Keep what the node gave, for the record, but say it is bad.
		receiptfile.Write(path, wr)
		return &exitError{code: exitCheckFailed, err: fmt.Errorf("the node's receipt for ballot %s (kept in %s): %w", wr.TrackingCode, path, err)}
	}
	if err := receiptfile.Write(path, wr); err != nil {
		return err
	}
	fmt.Fprintf(out, "Ballot cast: committed in block %d of chain %s.\n", ans.Height, s.el.ChainID)
	fmt.Fprintf(out, "  tracking code  %s\n", wr.TrackingCode)
	fmt.Fprintf(out, "  receipt        %s\n", path)
	fmt.Fprintf(out, "  checked: in block %d, signed by more than 2/3 of the voting power of %d validator(s); accepted (code 0, committed in block %d)\n", ans.Height, s.set.Size(), ans.Height+1)
	return nil
}
