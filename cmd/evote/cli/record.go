package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/fileutil"
	"github.com/evote/evote/observer"
)

// ExportConfig configures `evote export`.
type ExportConfig struct {
	Node     string // the node's HTTP address
	Election string // the election id; empty: the node's only election
	Out      string // the record file
}

// Validate checks the configuration.
func (c ExportConfig) Validate() error {
	switch {
	case c.Node == "":
		return errors.New("--node is empty")
	case c.Out == "":
		return errors.New("--out is required")
	}
	if c.Election != "" {
		if _, err := election.ParseID(c.Election); err != nil {
			return fmt.Errorf("--election: %w", err)
		}
	}
	return nil
}

func newExportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "write an election's record (docs/spec/record.md) from a node to a file",
		Long: `export streams the election record from a node's API (GET /api/v1/elections/{id}/record)
into --out: the genesis, the manifest, every block that carries the election's transactions
with its header, signed commit and transaction hashes, and the claims. The file appears only once
the whole record is in (it is written beside it first). Check it with evote verify.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := ExportConfig{Node: e.v.GetString("node"), Election: e.v.GetString("election"), Out: e.v.GetString("out")}
			if err := cfg.Validate(); err != nil {
				return err
			}
			if err := defaultElection(cmd.Context(), e, cfg.Node, &cfg.Election); err != nil {
				return err
			}
			return exportRecord(cmd.Context(), cfg, e.stderr)
		},
	}
	cmd.Flags().String("node", "http://127.0.0.1:8080", "the node's HTTP address")
	addElectionOrOnlyFlag(cmd)
	cmd.Flags().String("out", "", "the record file to write")
	return cmd
}

// defaultElection sets *id, if empty, to the node's only election.
func defaultElection(ctx context.Context, e *env, node string, id *string) error {
	if *id != "" {
		return nil
	}
	c, err := newVoterClient(node)
	if err != nil {
		return err
	}
	only, err := onlyElection(ctx, c, e.stderr)
	if err != nil {
		return err
	}
	*id = only.String()
	return nil
}

// openRecord starts the download of a record from a node.
func openRecord(ctx context.Context, node, id string) (io.ReadCloser, error) {
	eid, err := election.ParseID(id)
	if err != nil {
		return nil, fmt.Errorf("--election: %w", err)
	}
	c, err := newVoterClient(node)
	if err != nil {
		return nil, err
	}
	return c.Record(ctx, eid)
}

func exportRecord(ctx context.Context, cfg ExportConfig, stderr io.Writer) error {
	body, err := openRecord(ctx, cfg.Node, cfg.Election)
	if err != nil {
		return err
	}
	defer body.Close()
	bar := newProgress(stderr, "export", 0)
	var n int64
	start := time.Now()
	// The file appears only once the whole record is in.
	err = fileutil.WriteAtomic(cfg.Out, 0o600, func(w io.Writer) error {
		cw := &tailWriter{w: w, progress: bar}
		_, err := io.Copy(cw, body)
		n = cw.n
		if err == nil && !bytes.HasSuffix(cw.tail, []byte(observer.RecordEnd)) {
			err = errors.New("the node's record stops short of its end (see the node's log)")
		}
		return err
	})
	bar.done()
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stderr, "wrote %s: %s in %.1f s\n", cfg.Out, sizeString(n), time.Since(start).Seconds())
	return nil
}

// tailWriter counts what it writes and keeps the last bytes.
type tailWriter struct {
	w        io.Writer
	n        int64
	tail     []byte
	progress *progress
}

func (t *tailWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	t.n += int64(n)
	t.tail = append(t.tail, p[:n]...)
	if len(t.tail) > 16 {
		t.tail = t.tail[len(t.tail)-16:]
	}
	t.progress.update(observer.VerifyProgress{Bytes: t.n})
	return n, err
}

func sizeString(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 10<<10:
		return fmt.Sprintf("%d kB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// VerifyConfig configures `evote verify`.
type VerifyConfig struct {
	File     string // the record file, or
	Node     string // a node to stream it from, with
	Election string // the election id (empty: the node's only election)
	Genesis  string // a CometBFT genesis.json the record's genesis must match
	Workers  int
	JSON     bool
}

// Validate checks the configuration.
func (c VerifyConfig) Validate() error {
	switch {
	case c.File != "" && c.Node != "":
		return errors.New("give a record file or --node, not both")
	case c.File == "" && c.Node == "":
		return errors.New("give a record file, or --node and --election")
	case c.Node != "" && c.Election != "":
		if _, err := election.ParseID(c.Election); err != nil {
			return fmt.Errorf("--election: %w", err)
		}
	case c.File != "" && c.Election != "":
		return errors.New("--election goes with --node")
	}
	if c.Workers < 0 {
		return fmt.Errorf("--workers must be 0 (all cores) or more, got %d", c.Workers)
	}
	return nil
}

func newVerifyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "check an election record without trusting any node",
		Long: `verify checks an election record (a file written by evote export, or streamed from a node
with --node and --election) against nothing but the genesis it names: every block header
against its validators' commit signatures, every transaction against its block's list of
transaction hashes (which gives the header's data hash), every signature and proof, the key ceremony, each ballot's eligibility, phase and
revote, the aggregates, each decryption share and the result. With --genesis it also checks
that the record's genesis is the network's. It exits 2 naming the first item that fails.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := VerifyConfig{Node: e.v.GetString("node"), Election: e.v.GetString("election"),
				Genesis: e.v.GetString("genesis"), Workers: e.v.GetInt("workers"), JSON: e.v.GetBool("json")}
			if len(args) == 1 {
				cfg.File = args[0]
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			if cfg.Node != "" {
				if err := defaultElection(cmd.Context(), e, cfg.Node, &cfg.Election); err != nil {
					return err
				}
			}
			return verifyRecord(cmd.Context(), cfg, e.stdout, e.stderr)
		},
	}
	cmd.Flags().String("node", "", "stream the record from this node's HTTP address")
	cmd.Flags().String("election", "", "the election `ID` (with --node; default: the node's only election)")
	cmd.Flags().String("genesis", "", "the network's genesis.json: the record's genesis must be this one")
	cmd.Flags().Int("workers", 0, "goroutines verifying signatures and proofs (0: all cores)")
	cmd.Flags().Bool("json", false, "print the summary as one JSON object")
	return cmd
}

func verifyRecord(ctx context.Context, cfg VerifyConfig, stdout, stderr io.Writer) error {
	var src io.Reader
	var total int64
	if cfg.File != "" {
		f, err := os.Open(cfg.File)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			total = st.Size()
		}
		src = f
	} else {
		body, err := openRecord(ctx, cfg.Node, cfg.Election)
		if err != nil {
			return err
		}
		defer body.Close()
		src = body
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
	}
	bar := newProgress(stderr, "verify", total)
	opts.Progress = bar.update
	start := time.Now()
	sum, err := observer.Verify(ctx, src, opts)
	bar.done()
	if err != nil {
		if errors.Is(err, observer.ErrVerify) || errors.Is(err, observer.ErrRecordFormat) {
			return &exitError{code: 2, err: fmt.Errorf("the record does not verify: %w", stripSentinel(err))}
		}
		return err
	}
	if cfg.JSON {
		return json.NewEncoder(stdout).Encode(sum)
	}
	printSummary(stdout, sum, time.Since(start))
	return nil
}

// stripSentinel drops the package prefix of a record format error.
func stripSentinel(err error) error {
	if errors.Is(err, observer.ErrRecordFormat) {
		return errors.New(strings.TrimPrefix(err.Error(), observer.ErrRecordFormat.Error()+": "))
	}
	return err
}

func printSummary(w io.Writer, s *observer.Summary, d time.Duration) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("record of election %v (%q) on chain %s: verified", s.Election, s.Title, s.ChainID)
	p("  genesis      %d validator(s), %d election authority(ies); block 1's app hash commits to the authorities", s.Validators, s.Authorities)
	if s.ValidatorChanges > 0 {
		p("  validators   %d change(s) by the authority, each in a signed block; every header checked against the set in force at its height", s.ValidatorChanges)
	}
	p("  blocks       %d headers, each signed by more than 2/3 of the voting power", s.Blocks)
	p("  transactions %d, each found among its block's transaction hashes (which add up to the header's data hash),", s.Txs)
	p("               signed, and accepted by the election rules: %s", kindList(s.Kinds))
	p("  roll         %d voters", s.RollSize)
	p("  key ceremony %d trustees, qualified %v; the joint key follows from the deals", s.Trustees, s.Qualified)
	p("  ballots      %d with valid proofs, %d replaced by a revote; %d voters counted", s.Ballots, s.Replaced, s.Voters)
	p("  aggregates   %d, recomputed from the counted ballots, equal to the record's", s.Aggregates)
	if len(s.ShareSets) > 0 {
		p("  phase        %s; decryption shares of trustees %v verified", s.Phase, s.ShareSets)
	} else {
		p("  phase        %s", s.Phase)
	}
	if s.Result != nil {
		for i, t := range s.Result.Totals {
			p("  result       contest %d: %v (trustees %v combined)", i, t, s.Result.Trustees)
		}
	}
	secs := d.Seconds()
	p("  read %s in %.1f s (%.0f ballots/s)", sizeString(s.Bytes), secs, float64(s.Ballots)/max(secs, 1e-9))
}

func kindList(k map[string]int) string {
	var parts []string
	for _, name := range []string{"create-election", "append-voters", "dkg-deal", "dkg-complaints", "dkg-responses", "open", "ballot", "close", "decryption-shares"} {
		if k[name] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", k[name], name))
		}
	}
	return strings.Join(parts, ", ")
}

// progress shows how far a long read has come on stderr: a bar redrawn in
// place on a terminal, a plain line every few seconds otherwise.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	what    string
	total   int64
	tty     bool
	start   time.Time
	last    time.Time
	p       observer.VerifyProgress
	printed bool
}

func newProgress(w io.Writer, what string, total int64) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &progress{w: w, what: what, total: total, tty: tty, start: now, last: now}
}

func (pr *progress) update(p observer.VerifyProgress) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.p = p
	every := 5 * time.Second
	if pr.tty {
		every = 200 * time.Millisecond
	}
	if time.Since(pr.last) < every {
		return
	}
	pr.last = time.Now()
	pr.draw()
}

func (pr *progress) draw() {
	p := pr.p
	secs := max(time.Since(pr.start).Seconds(), 1e-9)
	var line string
	if pr.total > 0 {
		frac := min(float64(p.Bytes)/float64(pr.total), 1)
		const width = 30
		n := int(frac * width)
		line = fmt.Sprintf("%s [%s%s] %3.0f%%", pr.what, strings.Repeat("#", n), strings.Repeat(".", width-n), 100*frac)
	} else {
		line = fmt.Sprintf("%s %s", pr.what, sizeString(p.Bytes))
	}
	if p.Blocks > 0 {
		line += fmt.Sprintf("  block %d, %d ballots (%.0f/s)", p.Height, p.Ballots, float64(p.Ballots)/secs)
	}
	if pr.tty {
		fmt.Fprintf(pr.w, "\r%s\033[K", line)
	} else {
		fmt.Fprintln(pr.w, line)
	}
	pr.printed = true
}

// done ends the progress display.
func (pr *progress) done() {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.tty && pr.printed {
		pr.draw()
		fmt.Fprintln(pr.w)
	}
}
