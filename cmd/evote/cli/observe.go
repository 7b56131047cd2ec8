package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/live"
)

// ObserveConfig configures `evote observe`.
type ObserveConfig struct {
	Nodes    []string // the nodes' HTTP addresses
	Election string   // the election id; "" if the first node has one election
	From     int64    // print from this block on
	State    string   // the journal file
	Genesis  string   // a CometBFT genesis.json the chain's genesis must match
	Workers  int
}

// Validate checks the configuration.
func (c ObserveConfig) Validate() error {
	if len(c.Nodes) == 0 {
		return errors.New("--node is required")
	}
	for _, n := range c.Nodes {
		if _, err := live.FeedURL(n, election.ID{}, 1); err != nil {
			return fmt.Errorf("--node: %w", err)
		}
	}
	if c.Election != "" {
		if _, err := election.ParseID(c.Election); err != nil {
			return fmt.Errorf("--election: %w", err)
		}
	}
	if c.From < 0 {
		return fmt.Errorf("--from must be 1 or more, got %d", c.From)
	}
	if c.Workers < 0 {
		return fmt.Errorf("--workers must be 0 (all cores) or more, got %d", c.Workers)
	}
	return nil
}

func newObserveCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "observe",
		Short: "follow an election live and verify every block, trusting no node",
		Long: `observe reads the live feed of one or more nodes (GET /api/v1/feed) and verifies each block
as it commits, with the rules of evote verify: the commit signatures against the genesis
validators, the transaction hashes, every signature, eligibility, proof, revote and aggregate, the
key ceremony, the decryption shares and the result, and at every block the election's state
commitment against the header the validators signed. It shows how far it has verified ("verified
up to block N"), the phase, the turnout and the rate; on a terminal in one line redrawn in place,
otherwise in plain lines. On any failure it stops, names the block and the item, and exits 2.

With --node given several times it takes each block from whichever node serves it first and
stops (exit 2) if two nodes serve different blocks at one height. A node that goes away is
reconnected to, from the block after the last it served. With --state FILE it keeps what it
verified in FILE and a restart resumes from there instead of block 1 (a changed file is refused).
Verification always starts at block 1 or at the state file: a ballot is checked against the
roll and the aggregates before it. --from only says from which block on to print.
It stops once the election is tallied (or failed) and that state is proven.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := ObserveConfig{Nodes: e.v.GetStringSlice("node"), Election: e.v.GetString("election"),
				From: e.v.GetInt64("from"), State: e.v.GetString("state"), Genesis: e.v.GetString("genesis"),
				Workers: e.v.GetInt("workers")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return observe(cmd.Context(), cfg, e.stdout, e.stderr)
		},
	}
	cmd.Flags().StringSlice("node", []string{"http://127.0.0.1:8080"}, "a node's HTTP address (repeat to follow several)")
	cmd.Flags().String("election", "", "the election id (default: the node's only election)")
	cmd.Flags().Int64("from", 1, "print from this block on")
	cmd.Flags().String("state", "", "keep what was verified in this file, and resume from it")
	cmd.Flags().String("genesis", "", "the network's genesis.json: the chain's genesis must be this one")
	cmd.Flags().Int("workers", 0, "goroutines verifying signatures and proofs (0: all cores)")
	return cmd
}

func observe(ctx context.Context, cfg ObserveConfig, stdout, stderr io.Writer) error {
	var id election.ID
	if cfg.Election != "" {
		id, _ = election.ParseID(cfg.Election)
	} else {
		c, err := newVoterClient(cfg.Nodes[0])
		if err != nil {
			return err
		}
		if id, err = onlyElection(ctx, c, stderr); err != nil {
			return err
		}
	}
	opts := observer.VerifyOptions{Workers: cfg.Workers}
	if cfg.Genesis != "" {
		b, err := os.ReadFile(cfg.Genesis)
		if err != nil {
			return err
		}
		if err := opts.TrustGenesis(b); err != nil {
			return fmt.Errorf("--genesis %s: %w", cfg.Genesis, err)
		}
	} else {
		fmt.Fprintln(stderr, "evote: no --genesis: trusting the genesis the first node serves (compare it with the network's genesis.json)")
	}
	view := newObserveView(stdout, cfg.From)
	defer view.end()
	err := live.Follow(ctx, live.Config{Nodes: cfg.Nodes, Election: id, State: cfg.State, Verify: opts,
		UntilFinal: true, Update: view.update})
	view.end()
	var ve *observer.VerifyError
	var de *live.DisagreeError
	switch {
	case err == nil:
		view.final()
		return nil
	case errors.As(err, &ve):
		return &exitError{code: 2, err: fmt.Errorf("election %v does not verify: %w", id, err)}
	case errors.As(err, &de):
		return &exitError{code: 2, err: err}
	case errors.Is(err, observer.ErrJournal):
		return err
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stdout, "stopped: verified up to block %d\n", view.last.Height)
		return nil
	}
	return err
}

// observeView shows the follower's progress: one line redrawn in place on
// a terminal, a plain line per verified block otherwise.
type observeView struct {
	w        io.Writer
	from     int64
	tty      bool
	start    time.Time
	last     observer.FollowStatus
	first    observer.FollowStatus
	drawn    time.Time
	open     bool // a line drawn in place is on screen
	rateAt   time.Time
	rateBase uint64
	rate     float64
}

func newObserveView(w io.Writer, from int64) *observeView {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &observeView{w: w, from: from, tty: tty, start: now, rateAt: now}
}

func (v *observeView) update(u live.Update) {
	if u.Resumed != nil {
		v.line(fmt.Sprintf("resumed from the state file: %d blocks and %d transactions replayed; the chain must prove block %d's state again",
			u.Resumed.Blocks, u.Resumed.Txs, u.Resumed.From-1))
		v.first = u.Status
		v.rateBase = u.Status.Ballots
		return
	}
	if u.Event != "" {
		v.line(fmt.Sprintf("node %s: %s", u.Node, u.Event))
		return
	}
	s := u.Status
	if now := time.Since(v.rateAt); now >= time.Second {
		v.rate = float64(s.Ballots-v.rateBase) / now.Seconds()
		v.rateAt, v.rateBase = time.Now(), s.Ballots
	}
	advanced := s.Height != v.last.Height
	v.last = s
	if s.Height < v.from || !advanced {
		return
	}
	text := statusLine(s, v.rate)
	if v.tty {
		if time.Since(v.drawn) < 200*time.Millisecond {
			return
		}
		v.drawn = time.Now()
		fmt.Fprintf(v.w, "\r\033[K%s", text)
		v.open = true
		return
	}
	fmt.Fprintln(v.w, text)
}

// statusLine is one line of the live view.
func statusLine(s observer.FollowStatus, rate float64) string {
	if !s.Created {
		return fmt.Sprintf("verified up to block %d · the election is not created yet", s.Height)
	}
	turnout := ""
	if s.RollSize > 0 {
		turnout = fmt.Sprintf(" of %d (%.1f%%)", s.RollSize, 100*float64(s.Voters)/float64(s.RollSize))
	}
	state := ""
	if len(s.State) >= 16 {
		state = " · state " + s.State[:16] + "…"
	}
	return fmt.Sprintf("verified up to block %d · %s · %d voters%s · %d ballots · %.1f ballots/s%s",
		s.Height, s.Phase, s.Voters, turnout, s.Ballots, rate, state)
}

func (v *observeView) line(text string) {
	v.end()
	fmt.Fprintln(v.w, text)
}

// end closes a line drawn in place.
func (v *observeView) end() {
	if v.open {
		fmt.Fprintln(v.w)
		v.open = false
	}
}

// final prints the verified outcome.
func (v *observeView) final() {
	s := v.last
	fmt.Fprintln(v.w, statusLine(s, 0))
	fmt.Fprintf(v.w, "election %s: verified up to block %d, every block signed by the validators and its state proven\n", s.Phase, s.Height)
	if s.Result != nil {
		for i, t := range s.Result.Totals {
			fmt.Fprintf(v.w, "  result contest %d: %v (trustees %v combined)\n", i, t, s.Result.Trustees)
		}
	}
}
