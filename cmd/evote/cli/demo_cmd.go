package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/demo"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/trustee"
)

// `evote demo` runs a whole election on a fresh network (internal/demo),
// playing this binary's own commands: the in-process node, the official's
// commands, the trustees' sealed directories and run loop, the record's
// export and verification, and the result table.

// ElectionDemoConfig configures `evote demo`.
type ElectionDemoConfig = demo.Config

func newDemoCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "run a whole election on a fresh network and check its totals against the recorded choices",
		Long: `demo starts a fresh network (one validator in this process, or --validators node processes on
127.0.0.1), then plays every role through the node's HTTP API with its own keys: the official
(authority key, manifest, roll, open, close), --trustees trustees (each its own sealed directory,
each running the key ceremony and the decryption as ` + "`evote trustee run`" + ` does), and --voters voters
(each its own key, random choices, a few casting a second ballot that replaces the first). When
there are more trustees than the threshold, one is offline at decryption. The choices are recorded
in DIR/expected.json; the demo prints the result table and exits 2 if the totals differ from them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := ElectionDemoConfig{
				Voters: e.v.GetInt("voters"), Trustees: e.v.GetInt("trustees"), Threshold: e.v.GetInt("threshold"),
				Validators: e.v.GetInt("validators"), Out: e.v.GetString("out"),
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runDemo(cmd.Context(), cfg, e.stdout)
		},
	}
	cmd.Flags().Int("voters", 10, "voters on the roll (each casts a ballot)")
	cmd.Flags().Int("trustees", 3, "trustees of the key ceremony")
	cmd.Flags().Int("threshold", 2, "how many trustees decrypt")
	cmd.Flags().Int("validators", 1, "validators of the network (more than one: node processes on 127.0.0.1)")
	cmd.Flags().String("out", "", "directory for every key, the manifest, the logs and expected.json (default: a new temporary directory)")
	return cmd
}

// runDemo runs the demo with this binary's commands; totals that differ
// from the recorded choices exit 2.
func runDemo(ctx context.Context, cfg ElectionDemoConfig, out io.Writer) error {
	err := demo.Run(ctx, cfg, demoTools(), out)
	if errors.Is(err, demo.ErrMismatch) {
		return &exitError{code: 2, err: err}
	}
	return err
}

// demoTools are the commands the demo plays.
func demoTools() demo.Tools {
	return demo.Tools{
		StartNode: func(home string) (string, func() error, error) {
			rn, err := startNode(NodeConfig{Home: home, HTTPAddr: "127.0.0.1:0", LogLevel: "error"})
			if err != nil {
				return "", nil, err
			}
			return rn.url, rn.stop, nil
		},
		Official: func(c *api.Client, chainID string, authority *election.PrivateKey, out io.Writer) demo.Official {
			return demoOfficial{&official{api: c, chainID: chainID, authority: authority, out: out}}
		},
		InitTrustee: func(dir, name string, pass []byte, fastKDF bool) (harness.Member, error) {
			kdf := trusteeKDF
			if fastKDF {
				kdf = testKDF
			}
			s, err := initTrusteeStore(dir, name, pass, kdf)
			if err != nil {
				return harness.Member{}, err
			}
			defer s.Close()
			t := harness.Trustee{State: s.State}
			return t.Member()
		},
		RunTrustee: func(ctx context.Context, node, dir string, pass []byte, id election.ID, opts trustee.Options, log io.Writer) error {
			store, err := openTrusteeStore(dir, pass)
			if err != nil {
				return err
			}
			defer store.Close()
			return runTrustee(ctx, TrusteeRunConfig{Node: node, Election: id, Dir: dir, Poll: 100 * time.Millisecond, Test: opts}, store, log)
		},
		Record: func(ctx context.Context, node string, id election.ID, path, genesis string, out io.Writer) error {
			if err := exportRecord(ctx, ExportConfig{Node: node, Election: id.String(), Out: path}, out); err != nil {
				return err
			}
			fmt.Fprintln(out, "verifying the record without trusting the node (against the network's genesis) ...")
			return verifyRecord(ctx, VerifyConfig{File: path, Genesis: genesis}, out, io.Discard)
		},
		Results: func(ctx context.Context, c *api.Client, id election.ID, out io.Writer) ([][]*uint64, uint64, error) {
			res, err := c.Report(ctx, id)
			if err != nil {
				return nil, 0, err
			}
			printResults(out, res)
			totals := make([][]*uint64, len(res.Contests))
			for i, ct := range res.Contests {
				for _, o := range ct.Options {
					totals[i] = append(totals[i], o.Total)
				}
			}
			return totals, res.Voters, nil
		},
	}
}

// demoOfficial is the official of `evote election` and `evote roll` as
// the demo drives it.
type demoOfficial struct{ o *official }

func (d demoOfficial) Create(ctx context.Context, m *election.Manifest) (election.ID, error) {
	return d.o.create(ctx, m)
}

func (d demoOfficial) AppendRoll(ctx context.Context, id election.ID, roll []election.RollEntry, batch int) error {
	_, err := d.o.appendRoll(ctx, id, roll, batch)
	return err
}

func (d demoOfficial) Open(ctx context.Context, id election.ID) error  { return d.o.open(ctx, id) }
func (d demoOfficial) Close(ctx context.Context, id election.ID) error { return d.o.close(ctx, id) }
