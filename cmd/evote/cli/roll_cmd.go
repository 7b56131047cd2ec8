package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/rollsync"
)

// `evote roll append|show`: the voter roll. The roll file's format is
// election.ParseRollFile's (docs/spec/files.md).

func newRollCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "roll",
		Short: "officials: append voters to an election's roll, show the roll",
	}
	appendCmd := &cobra.Command{
		Use:   "append [--election ID] --file FILE",
		Short: "append the voters of a file (one \"evote-voter:…\" key per line, optional weight) in batches",
		Long: `append reads a roll file (one voter public key per line, "evote-voter:" and 64 hex digits,
optionally followed by a weight; # starts a comment line), checks all of it, asks the node which
of its voters are already on the roll and appends the others in batches of --batch voters, one
signed transaction each, waiting for each commit. Run again after an interruption, it resumes:
voters already on the roll are skipped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := e.v.GetString("file")
			if path == "" {
				return errors.New("--file is required")
			}
			batch := e.v.GetInt("batch")
			if batch < 1 || batch > election.MaxRollBatch {
				return fmt.Errorf("--batch must be 1..%d, got %d", election.MaxRollBatch, batch)
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			entries, err := election.ParseRollFile(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("roll file %s: %w", path, err)
			}
			if len(entries) == 0 {
				return fmt.Errorf("roll file %s lists no voters", path)
			}
			o, err := newOfficial(cmd.Context(), e)
			if err != nil {
				return err
			}
			id, err := nodeElection(cmd.Context(), e, o.api)
			if err != nil {
				return err
			}
			_, err = o.appendRoll(cmd.Context(), id, entries, batch)
			return err
		},
	}
	appendCmd.Flags().String("file", "", "the roll file")
	appendCmd.Flags().Int("batch", rollBatch, "voters per transaction")
	addAuthorityFlag(appendCmd)
	show := &cobra.Command{
		Use:   "show [--election ID]",
		Short: "show a page of the roll, sorted by voter key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			offset, limit := e.v.GetInt("offset"), e.v.GetInt("limit")
			if offset < 0 || limit < 1 || limit > election.MaxRollPage {
				return fmt.Errorf("--offset must be >= 0 and --limit 1..%d", election.MaxRollPage)
			}
			c, err := newNodeClient(e.v.GetString("node"))
			if err != nil {
				return err
			}
			id, err := nodeElection(cmd.Context(), e, c)
			if err != nil {
				return err
			}
			page, err := c.Roll(cmd.Context(), id, offset, limit)
			if err != nil {
				return err
			}
			if e.v.GetBool("json") {
				return json.NewEncoder(e.stdout).Encode(page)
			}
			end := offset + len(page.Voters)
			fmt.Fprintf(e.stdout, "roll of election %v: %d voters", id, page.Total)
			if len(page.Voters) > 0 {
				fmt.Fprintf(e.stdout, " (%d to %d by key)", offset+1, end)
			}
			fmt.Fprintln(e.stdout)
			for _, v := range page.Voters {
				fmt.Fprintf(e.stdout, "%s %d\n", v.Voter, v.Weight)
			}
			if uint64(end) < page.Total {
				fmt.Fprintf(e.stdout, "... %d more (--offset %d)\n", page.Total-uint64(end), end)
			}
			return nil
		},
	}
	show.Flags().Int("offset", 0, "the first voter shown, from 0")
	show.Flags().Int("limit", 100, fmt.Sprintf("voters shown, 1..%d", election.MaxRollPage))
	show.Flags().Bool("json", false, "print the node's JSON")
	for _, c := range []*cobra.Command{appendCmd, show} {
		addNodeURLFlag(c)
		addElectionOrOnlyFlag(c)
		cmd.AddCommand(c)
	}
	return cmd
}

// appendRoll appends the entries not yet on the roll, in batches, and
// returns how many it appended.
func (o *official) appendRoll(ctx context.Context, id election.ID, entries []election.RollEntry, batch int) (int, error) {
	pending, err := rollsync.Missing(ctx, o.api, id, entries, rollsync.Auto)
	if err != nil {
		return 0, err
	}
	if skipped := len(entries) - len(pending); skipped > 0 {
		fmt.Fprintf(o.out, "%d of the %d voters are already on the roll: skipped\n", skipped, len(entries))
	}
	if len(pending) == 0 {
		fmt.Fprintln(o.out, "nothing to append")
		return 0, nil
	}
	batches := (len(pending) + batch - 1) / batch
	done := 0
	for b := 0; b < batches; b++ {
		part := pending[b*batch : min((b+1)*batch, len(pending))]
		tx, err := election.NewAppendVotersTx(o.chainID, id, part, o.authority)
		if err != nil {
			return done, err
		}
		c, err := commitTx(ctx, o.api, fmt.Sprintf("append voters (batch %d of %d)", b+1, batches), tx)
		if err != nil {
			if done > 0 {
				fmt.Fprintf(o.out, "%s appended before this failure; run the command again to resume\n", nVoters(done))
			}
			return done, err
		}
		done += len(part)
		fmt.Fprintf(o.out, "batch %d of %d: %s appended in block %d%s\n", b+1, batches, nVoters(len(part)), c.Height, again(c))
	}
	fmt.Fprintf(o.out, "%s appended to the roll of %v\n", nVoters(done), id)
	return done, nil
}
