package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/internal/receiptfile"
	"github.com/evote/evote/internal/voternode"
)

func newReceiptCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receipt",
		Short: "check and list the receipts of the ballots this wallet cast",
	}
	cmd.AddCommand(newReceiptCheckCmd(e), newReceiptListCmd(e))
	return cmd
}

func newReceiptCheckCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "check a ballot's receipt offline, and with --node against a node",
		Long: `check verifies a receipt file of the wallet (receipts/*.json) offline: the ballot's
transaction is in a block whose header the validators signed (more than 2/3 of the voting power),
by the Merkle proof in the receipt; the transaction is this voter's ballot in this election with
this sequence number. The trusted validators are those the wallet recorded from the node when it
cast the ballot, or those of --genesis FILE (the chain's genesis.json, a trust anchor obtained
elsewhere); after changes of the chain's validators, the receipt's validator hops lead from them to
the set that signed the block.

With --node, it also asks that node: the chain id must be the trusted one and its validator set the
trusted one or one the receipt's hops lead to, the
node must hold the ballot at the same height, and the voter's status tells whether this ballot is
the one that counts (or was replaced by the voter's later ballot). A pending receipt (cast with
--no-wait) is completed from the node. Exits 2 when a check fails.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := checkReceipt(cmd.Context(), e, args[0], e.v.GetString("node"), e.v.GetString("genesis"))
			if errors.Is(err, receiptfile.ErrBad) {
				return &exitError{code: exitCheckFailed, err: err}
			}
			return err
		},
	}
	cmd.Flags().String("node", "", "also check against this node's HTTP API")
	cmd.Flags().String("genesis", "", "trust the validators of this genesis file instead of those recorded at casting")
	return cmd
}

func checkReceipt(ctx context.Context, e *env, path, node, genesis string) error {
	out := e.stdout
	r, err := receiptfile.Read(path)
	if err != nil {
		return err
	}
	var trusted *cmttypes.ValidatorSet
	anchor := "the validators recorded when the ballot was cast"
	if genesis != "" {
		chainID, set, err := receiptfile.GenesisValidators(genesis)
		if err != nil {
			return fmt.Errorf("--genesis: %w", err)
		}
		if chainID != r.ChainID {
			return receiptfile.Bad("the genesis is of chain %q, the receipt of %q", chainID, r.ChainID)
		}
		trusted = set
		anchor = "the validators of " + genesis
	} else if trusted, err = r.Trusted(); err != nil {
		return err
	}

	var client *api.Client
	if node != "" {
		if client, err = newVoterClient(node); err != nil {
			return err
		}
		if err := receiptfile.CheckNodeAnchor(ctx, client, node, r, trusted, anchor); err != nil {
			return err
		}
		if r.Receipt == nil || (r.Version != receiptfile.TagV1 && !r.ProvesAcceptance()) {
			if err := completeReceipt(ctx, e, client, r, trusted); err != nil {
				return err
			}
			if err := receiptfile.Write(path, r); err != nil {
				return err
			}
			fmt.Fprintf(out, "the pending receipt is now complete (from node %s) and saved in %s\n", node, path)
		}
	}
	bb, err := r.CheckOffline(trusted)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "receipt %s\n", path)
	fmt.Fprintf(out, "  ballot %s (sequence number %d) of %s\n", r.TrackingCode, bb.Seq, r.Voter)
	fmt.Fprintf(out, "  election %s, chain %s\n", r.Election, r.ChainID)
	if changes, inForce := followed(r, trusted); changes == 0 {
		fmt.Fprintf(out, "  ok offline: in block %d (index %d), whose commit is signed by more than 2/3 of the voting power of %s (%d)\n",
			r.Receipt.Height, r.Receipt.Index, anchor, trusted.Size())
	} else {
		fmt.Fprintf(out, "  ok offline: in block %d (index %d), whose commit is signed by more than 2/3 of the voting power of the validators in force (%d), reached from %s (%d) through %d validator change(s) the receipt proves\n",
			r.Receipt.Height, r.Receipt.Index, inForce, anchor, trusted.Size(), changes)
	}
	if r.ProvesAcceptance() {
		fmt.Fprintf(out, "  accepted: block %d, signed likewise, commits the ballot's result: code 0 (ok)\n", r.Receipt.Height+1)
		fmt.Fprintf(out, "  it counts unless a later ballot of the voter replaces it (a revote), which no receipt can rule out: --node checks it\n")
	} else {
		fmt.Fprintf(out, "  not proven: this receipt (%s) proves that the ballot is in the block, not that it was accepted (code 0 is the node's word)\n", r.Version)
	}
	if client == nil {
		return nil
	}
	on, err := receiptfile.CheckOnNode(ctx, client, node, r, trusted)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  ok on node %s: it holds the ballot in block %d\n", node, on.Height)
	if on.Counts {
		fmt.Fprintf(out, "  it is the voter's ballot that counts\n")
	} else {
		vs := on.Replacement
		fmt.Fprintf(out, "  replaced by the voter's later ballot %s (sequence number %d, block %d): that one counts\n", vs.TxHash, vs.Seq, vs.Height)
	}
	return nil
}

// followed is how many validator changes the checked receipt of r leads
// through from trusted (its hops walked, docs/spec/wallet-receipt.md), and
// the size of the set that signed its block.
func followed(r *receiptfile.File, trusted *cmttypes.ValidatorSet) (changes, inForce int) {
	rec, err := receiptfile.ChainReceipt(r.Receipt)
	if err != nil || rec.ValidatorSet == nil {
		return 0, trusted.Size()
	}
	return len(rec.ValidatorSets(trusted)) - 1, rec.ValidatorSet.Size()
}

func newReceiptListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list the receipts kept in the wallet's receipts folder",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			dir, err := walletSubdir(e, "receipts")
			if err != nil {
				return err
			}
			entries, err := os.ReadDir(dir)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			type row struct {
				at   time.Time
				line string
			}
			var rows []row
			for _, de := range entries {
				if de.IsDir() || !strings.HasSuffix(de.Name(), ".json") {
					continue
				}
				p := filepath.Join(dir, de.Name())
				r, err := receiptfile.Read(p)
				if err != nil {
					rows = append(rows, row{line: fmt.Sprintf("%s\t(unreadable: %v)", p, err)})
					continue
				}
				state := "pending"
				if r.Receipt != nil {
					state = fmt.Sprintf("block %d", r.Receipt.Height)
				}
				rows = append(rows, row{at: r.CastAt, line: fmt.Sprintf("%s\t%s\t%s\tseq %d\t%s\t%s\t%s",
					r.CastAt.Format(time.RFC3339), r.Election.String()[:12], r.KeyName, r.Seq, state, r.TrackingCode[:16], p)})
			}
			slices.SortStableFunc(rows, func(a, b row) int { return a.at.Compare(b.at) })
			fmt.Fprintf(e.stdout, "%d receipt(s) in %s\n", len(rows), dir)
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			for _, r := range rows {
				fmt.Fprintf(tw, "  %s\n", r.line)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().String("wallet", "", "the keystore file whose receipts/ folder to list (default: EVOTE_WALLET, else the user's configuration directory)")
	return cmd
}

// completeReceipt fills in a pending receipt from the node: its receipt if
// the node has committed the ballot; if the file holds the signed ballot,
// the ballot submitted again when the node does not know it (or keeps it
// pending), as evote vote does. The receipt is checked offline.
func completeReceipt(ctx context.Context, e *env, client *api.Client, r *receiptfile.File, trusted *cmttypes.ValidatorSet) error {
	if len(r.Ballot) == 0 {
		return receiptfile.Complete(ctx, client, client.Base(), r, trusted)
	}
	code, err := api.ParseTxHash(r.TrackingCode)
	if err != nil {
		return receiptfile.Bad("tracking code: %v", err)
	}
	if api.TxHash(sha256.Sum256(r.Ballot)) != code {
		return receiptfile.Bad("the kept ballot does not hash to the tracking code %s", r.TrackingCode)
	}
	c := &voternode.Caster{Nodes: []*api.Client{client}, Patience: 2 * time.Minute,
		Check: func(rec *api.Receipt) error {
			probe := *r
			probe.Receipt = rec
			_, err := probe.CheckOffline(trusted)
			return err
		},
		Log: func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) },
	}
	res, err := c.Cast(ctx, r.Ballot, code)
	var re *api.RefusedError
	if errors.As(err, &re) {
		return receiptfile.Bad("the chain refused ballot %s: %s (code %d): %s", r.TrackingCode, re.Code, uint32(re.Code), re.Message)
	}
	if err != nil {
		return err
	}
	r.Receipt, r.Ballot, r.Node = res.Receipt, nil, client.Base()
	_, err = r.CheckOffline(trusted)
	return err
}
