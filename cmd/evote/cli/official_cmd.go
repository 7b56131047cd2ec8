package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/keyfile"
)

// The officials' commands: `evote election create|open|close|show`. Each
// signs with the election authority key and goes through a node's HTTP
// API; a refusal prints its result code and message and exits non-zero.

// defaultNodeURL is the HTTP address of `evote up`'s node.
const defaultNodeURL = "http://127.0.0.1:8080"

func addNodeURLFlag(cmd *cobra.Command) {
	cmd.Flags().String("node", defaultNodeURL, "the polling node's HTTP address")
}

// addElectionOrOnlyFlag is --election of the commands that default to the
// node's only election (nodeElection).
func addElectionOrOnlyFlag(cmd *cobra.Command) {
	cmd.Flags().String("election", "", "the election `ID` (64 hex digits; default: the node's only election)")
}

func addAuthorityFlag(cmd *cobra.Command) {
	cmd.Flags().String("authority-key", "", "the election authority key `FILE` (default HOME/keys/authority.key, as evote up writes it)")
}

// electionArg reads --election.
func electionArg(e *env) (election.ID, error) {
	s := strings.TrimSpace(e.v.GetString("election"))
	if s == "" {
		return election.ID{}, errors.New("--election is required (the id `evote election create` printed; `evote election list` lists them)")
	}
	id, err := election.ParseID(s)
	if err != nil {
		return election.ID{}, fmt.Errorf("--election %q: %w", s, err)
	}
	return id, nil
}

var (
	// errNoElection: no --election, and the node has no election.
	errNoElection = errors.New("the node has no election")
	// errWhichElection: no --election, and the node has several.
	errWhichElection = errors.New("the node has several elections")
)

// nodeElection is the election a command works on: --election if given,
// else the node's only election, which it names on note. With none or
// several it says so (errNoElection, errWhichElection), listing them.
func nodeElection(ctx context.Context, e *env, c *api.Client) (election.ID, error) {
	if strings.TrimSpace(e.v.GetString("election")) != "" {
		return electionArg(e)
	}
	return onlyElection(ctx, c, e.stderr)
}

// onlyElection is the node's only election, named on note.
func onlyElection(ctx context.Context, c *api.Client, note io.Writer) (election.ID, error) {
	list, err := c.Elections(ctx)
	if err != nil {
		return election.ID{}, fmt.Errorf("listing the elections of %s: %w", c.Base(), err)
	}
	switch len(list) {
	case 0:
		return election.ID{}, fmt.Errorf("%w at %s: create one with `evote election create` (`evote up` creates a sample election on a new home)", errNoElection, c.Base())
	case 1:
		fmt.Fprintf(note, "evote: election %s (the node's only election)\n", list[0].ID)
		return list[0].ID, nil
	}
	var b strings.Builder
	var d api.ElectionDetail
	for _, x := range list {
		fmt.Fprintf(&b, "\n  %s  %-14s  %s", x.ID, x.Phase, d.Text(x.Title))
	}
	return election.ID{}, fmt.Errorf("%w (%d) at %s: give --election ID, one of:%s", errWhichElection, len(list), c.Base(), b.String())
}

// loadAuthorityKey reads the election authority key: --authority-key or
// EVOTE_AUTHORITY_KEY, else HOME/keys/authority.key if it exists.
func loadAuthorityKey(e *env) (*election.PrivateKey, string, error) {
	path := e.v.GetString("authority-key")
	if path == "" {
		def := filepath.Join(e.v.GetString("home"), "keys", "authority.key")
		if _, err := os.Stat(def); err != nil {
			return nil, "", fmt.Errorf("no authority key: give --authority-key FILE or set EVOTE_AUTHORITY_KEY (`evote up` writes HOME/keys/authority.key, `evote testnet` DIR/authority.key); %s does not exist", def)
		}
		path = def
	}
	k, err := keyfile.ReadAuthority(path)
	if err != nil {
		return nil, "", fmt.Errorf("authority key %s: %w", path, err)
	}
	return k, path, nil
}

// official is what every official's command needs: the node, the chain
// id and the authority key.
type official struct {
	api       *api.Client
	chainID   string
	authority *election.PrivateKey
	out       io.Writer
}

func newOfficial(ctx context.Context, e *env) (*official, error) {
	key, _, err := loadAuthorityKey(e)
	if err != nil {
		return nil, err
	}
	c, err := newNodeClient(e.v.GetString("node"))
	if err != nil {
		return nil, err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	return &official{api: c, chainID: st.ChainID, authority: key, out: e.stdout}, nil
}

func newElectionCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "election",
		Short: "officials: create an election from a manifest, open, close and show it",
	}
	create := &cobra.Command{
		Use:   "create --manifest FILE.yaml",
		Short: "create an election from a YAML manifest (docs/spec/manifest.md), signed with the authority key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := e.v.GetString("manifest")
			if path == "" {
				return errors.New("--manifest FILE.yaml is required")
			}
			y, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("manifest: %w", err)
			}
			m, err := election.ParseManifestYAML(y)
			if err != nil {
				return fmt.Errorf("manifest %s: %w", path, err)
			}
			o, err := newOfficial(cmd.Context(), e)
			if err != nil {
				return err
			}
			_, err = o.create(cmd.Context(), m)
			return err
		},
	}
	create.Flags().String("manifest", "", "the election manifest (YAML)")
	keygen := &cobra.Command{
		Use:   "authority-key --out FILE",
		Short: "make an election authority key (its public key goes into the network's genesis)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			out := e.v.GetString("out")
			if out == "" {
				return errors.New("--out FILE is required")
			}
			if _, err := os.Stat(out); err == nil {
				return fmt.Errorf("%s exists: refusing to replace a key", out)
			}
			k, err := election.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			if err := keyfile.Write(out, k); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s\n", k.AuthorityPublic())
			fmt.Fprintf(e.stderr, "the authority key is in %s (mode 0600; keep it secret); its public key, above, goes into the genesis: evote network genesis --authority ...\n", out)
			return nil
		},
	}
	keygen.Flags().String("out", "", "where to write the key (mode 0600)")
	open := &cobra.Command{
		Use:   "open [--election ID]",
		Short: "open the election for ballots (once the trustees' key ceremony has fixed the joint key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return officialStep(cmd.Context(), e, (*official).open)
		},
	}
	closeCmd := &cobra.Command{
		Use:   "close [--election ID]",
		Short: "close the election: no more ballots; the trustees then decrypt the totals",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return officialStep(cmd.Context(), e, (*official).close)
		},
	}
	show := &cobra.Command{
		Use:   "show [--election ID]",
		Short: "show an election: phase, schedule, trustees and key ceremony, roll and turnout, contests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newNodeClient(e.v.GetString("node"))
			if err != nil {
				return err
			}
			id, err := nodeElection(cmd.Context(), e, c)
			if err != nil {
				return err
			}
			d, err := c.Election(cmd.Context(), id)
			if err != nil {
				return err
			}
			if e.v.GetBool("json") {
				raw, err := json.MarshalIndent(d, "", "  ")
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(append(raw, '\n'))
				return err
			}
			printElection(e.stdout, d)
			return nil
		},
	}
	show.Flags().Bool("json", false, "print the node's JSON")
	list := &cobra.Command{
		Use:   "list",
		Short: "list the elections on the chain: id, phase, roll, turnout, title",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newNodeClient(e.v.GetString("node"))
			if err != nil {
				return err
			}
			list, err := c.Elections(cmd.Context())
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(e.stdout, "no elections on the chain")
				return nil
			}
			fmt.Fprintf(e.stdout, "%-64s  %-14s  %7s  %7s  %s\n", "election", "phase", "roll", "voted", "title")
			for _, x := range list {
				var d api.ElectionDetail
				fmt.Fprintf(e.stdout, "%-64s  %-14s  %7d  %7d  %s\n", x.ID, x.Phase, x.RollSize, x.Voters, d.Text(x.Title))
			}
			return nil
		},
	}
	for _, c := range []*cobra.Command{create, open, closeCmd, show, list} {
		addNodeURLFlag(c)
		if c != create && c != list {
			addElectionOrOnlyFlag(c)
		}
		if c != show && c != list {
			addAuthorityFlag(c)
		}
		cmd.AddCommand(c)
	}
	cmd.AddCommand(keygen)
	return cmd
}

func officialStep(ctx context.Context, e *env, step func(*official, context.Context, election.ID) error) error {
	o, err := newOfficial(ctx, e)
	if err != nil {
		return err
	}
	id, err := nodeElection(ctx, e, o.api)
	if err != nil {
		return err
	}
	return step(o, ctx, id)
}

// create submits the create-election transaction of m.
func (o *official) create(ctx context.Context, m *election.Manifest) (election.ID, error) {
	id, err := m.ID()
	if err != nil {
		return id, err
	}
	tx, err := election.NewCreateElectionTx(o.chainID, m, o.authority)
	if err != nil {
		return id, err
	}
	c, err := commitTx(ctx, o.api, "create election", tx)
	if err != nil {
		return id, err
	}
	fmt.Fprintf(o.out, "election %v created in block %d%s\n", id, c.Height, again(c))
	fmt.Fprintf(o.out, "  title     %s\n", m.Title.In("", m.Languages))
	fmt.Fprintf(o.out, "  trustees  %d, any %d decrypt; they deal by %s\n", len(m.Trustees.Members), m.Trustees.Threshold, m.Schedule.DKGDealsBy.Format(time.RFC3339))
	fmt.Fprintf(o.out, "  contests  %d\n", len(m.Contests))
	fmt.Fprintf(o.out, "next: each trustee runs `evote trustee run --election %v`; add voters with `evote roll append`; open with `evote election open` once the key is fixed\n", id)
	return id, nil
}

func (o *official) open(ctx context.Context, id election.ID) error {
	tx, err := election.NewOpenTx(o.chainID, id, o.authority)
	if err != nil {
		return err
	}
	c, err := commitTx(ctx, o.api, "open", tx)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.out, "election %v opened in block %d%s: ballots are accepted\n", id, c.Height, again(c))
	return nil
}

func (o *official) close(ctx context.Context, id election.ID) error {
	tx, err := election.NewCloseTx(o.chainID, id, o.authority)
	if err != nil {
		return err
	}
	c, err := commitTx(ctx, o.api, "close", tx)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.out, "election %v closed in block %d%s: the trustees now post their decryption shares\n", id, c.Height, again(c))
	return nil
}

// nVoters is "1 voter" or "n voters".
func nVoters(n int) string {
	if n == 1 {
		return "1 voter"
	}
	return fmt.Sprintf("%d voters", n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func checkMark(b bool) string {
	if b {
		return "✓"
	}
	return "-"
}

// printElection writes an election's detail for people.
func printElection(w io.Writer, d *api.ElectionDetail) {
	m := d.Manifest
	fmt.Fprintf(w, "election   %s\n", d.ID)
	fmt.Fprintf(w, "title      %s\n", d.Text(m.Title))
	phase := d.Phase.String()
	if n := len(d.Phases); n > 0 {
		p := d.Phases[n-1]
		phase = fmt.Sprintf("%s (since block %d, %s)", d.Phase, p.Height, p.Time.UTC().Format(time.RFC3339))
	}
	if d.Failure != "" {
		phase += ": " + d.Failure
	}
	fmt.Fprintf(w, "phase      %s\n", phase)
	if d.Deadline != nil {
		fmt.Fprintf(w, "round ends %s\n", d.Deadline.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "revoting   %s; weights %s\n", yesNo(m.Revoting), yesNo(m.Weights))
	sched := "deals by " + m.Schedule.DKGDealsBy.UTC().Format(time.RFC3339)
	if !m.Schedule.Open.IsZero() {
		sched += ", opens " + m.Schedule.Open.UTC().Format(time.RFC3339)
	}
	if !m.Schedule.Close.IsZero() {
		sched += ", closes " + m.Schedule.Close.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "schedule   %s\n", sched)
	key := "not fixed yet"
	if d.JointKey != nil {
		key = hex.EncodeToString(d.JointKey.Bytes())
	}
	fmt.Fprintf(w, "trustees   %d, any %d decrypt; joint key %s\n", len(d.Trustees), m.Trustees.Threshold, key)
	for _, t := range d.Trustees {
		fmt.Fprintf(w, "  %2d %-20s dealt %s  complaints %s  qualified %s  shares %s", t.Index, t.Name, checkMark(t.Dealt), checkMark(t.ComplaintsPosted), checkMark(t.Qualified), checkMark(t.SharesPosted))
		if len(t.ComplaintsAbout) > 0 {
			fmt.Fprintf(w, "  complained about %v", t.ComplaintsAbout)
		}
		if t.Excluded != nil {
			fmt.Fprintf(w, "  EXCLUDED: %s", t.Excluded.Reason)
		}
		fmt.Fprintln(w)
	}
	c := d.Counts
	fmt.Fprintf(w, "roll       %d voters", c.RollSize)
	if m.Weights {
		fmt.Fprintf(w, " (weight %d)", c.RollWeight)
	}
	fmt.Fprintf(w, "; %d voted (%d ballots accepted, revotes included)\n", c.Voters, c.Ballots)
	fmt.Fprintln(w, "contests")
	for i, ct := range m.Contests {
		var opts []string
		for _, o := range ct.Options {
			opts = append(opts, d.Text(o))
		}
		fmt.Fprintf(w, "  %d. %s (%s): %s\n", i+1, d.Text(ct.Title), ct.Type, strings.Join(opts, " | "))
	}
}
