package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
)

// `evote results`: the decrypted totals per option with the turnout, or,
// before the trustees have decrypted them, the phase and turnout.

func newResultsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "results [--election ID]",
		Short: "the totals per option with the turnout, as a table (or JSON)",
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
			r, err := c.Report(cmd.Context(), id)
			if err != nil {
				return err
			}
			if e.v.GetBool("json") {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			printResults(e.stdout, r)
			return nil
		},
	}
	addNodeURLFlag(cmd)
	addElectionOrOnlyFlag(cmd)
	cmd.Flags().Bool("json", false, "print JSON")
	return cmd
}

// printResults writes the result table.
func printResults(w io.Writer, r *api.Report) {
	fmt.Fprintf(w, "%s\nelection %s, %s\n", r.Title, r.Election, r.Phase)
	fmt.Fprintf(w, "turnout  %d of %d voters (%.1f%%)", r.Voters, r.RollSize, 100*r.Turnout)
	if r.WeightCast != r.Voters {
		fmt.Fprintf(w, ", weight %d", r.WeightCast)
	}
	fmt.Fprintln(w)
	switch {
	case r.Phase == election.PhaseFailed.String():
		fmt.Fprintf(w, "totals   none: the election failed (%s)\n", r.Failure)
		return
	case !r.Decrypted:
		fmt.Fprintln(w, "totals   not yet decrypted (the trustees decrypt them after the close)")
		return
	}
	fmt.Fprintf(w, "decrypted in block %d from the shares of trustees %v\n", r.Height, r.Trustees)
	width := 6
	for _, c := range r.Contests {
		for _, o := range c.Options {
			width = max(width, len([]rune(o.Option)))
		}
	}
	for i, c := range r.Contests {
		fmt.Fprintf(w, "\n%d. %s (%s)\n", i+1, c.Title, c.Type)
		for _, o := range c.Options {
			pct := 0.0
			if r.Voters > 0 {
				pct = 100 * float64(*o.Total) / float64(r.Voters)
			}
			fmt.Fprintf(w, "   %s%s %8d  %5.1f%% of voters\n", o.Option, strings.Repeat(" ", width-len([]rune(o.Option))), *o.Total, pct)
		}
	}
}
