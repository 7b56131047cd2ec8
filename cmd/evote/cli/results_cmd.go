package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
)

// `evote results`: the decrypted totals per option with the turnout, or,
// before the trustees have decrypted them, the phase and turnout.

// ResultsJSON is what `evote results --json` prints.
type ResultsJSON struct {
	Election  string `json:"election"`
	Title     string `json:"title"`
	Phase     string `json:"phase"`
	Failure   string `json:"failure,omitempty"` // why a failed election failed
	Decrypted bool   `json:"decrypted"`
	RollSize  uint64 `json:"roll_size"`
	Voters    uint64 `json:"voters"` // ballots counted: one per voter, the last one of a revoter
	// Turnout is Voters / RollSize (0 for an empty roll).
	Turnout    float64             `json:"turnout"`
	WeightCast uint64              `json:"weight_cast"`
	Height     int64               `json:"height,omitempty"`   // the block that derived the result
	Trustees   []uint32            `json:"trustees,omitempty"` // whose shares were combined
	Contests   []ContestResultJSON `json:"contests"`
}

// ContestResultJSON is one contest's totals.
type ContestResultJSON struct {
	Title   string             `json:"title"`
	Type    string             `json:"type"`
	Options []OptionResultJSON `json:"options"`
}

// OptionResultJSON is one option's total (absent before decryption).
type OptionResultJSON struct {
	Option string  `json:"option"`
	Total  *uint64 `json:"total,omitempty"`
}

func newResultsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "results --election ID",
		Short: "the totals per option with the turnout, as a table (or JSON)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := electionArg(e)
			if err != nil {
				return err
			}
			c, err := newNodeClient(e.v.GetString("node"))
			if err != nil {
				return err
			}
			r, err := fetchResults(cmd.Context(), c, id)
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
	addElectionFlag(cmd)
	cmd.Flags().Bool("json", false, "print JSON")
	return cmd
}

// fetchResults reads the election, its tally and, once derived, its
// result.
func fetchResults(ctx context.Context, c *api.Client, id election.ID) (*ResultsJSON, error) {
	d, err := c.Election(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &ResultsJSON{Election: id.String(), Title: d.Text(d.Manifest.Title), Phase: d.Phase.String(), Failure: d.Failure,
		RollSize: d.Counts.RollSize, Voters: d.Counts.Voters, WeightCast: d.Counts.WeightCast}
	res, err := c.Result(ctx, id)
	switch {
	case err == nil:
		r.Decrypted, r.Height, r.Trustees = true, res.Height, res.Trustees
		r.Voters, r.WeightCast = res.Voters, res.WeightCast
	case errors.Is(err, api.ErrNotFound):
		res = &api.Result{}
	default:
		return nil, err
	}
	if r.RollSize > 0 {
		r.Turnout = float64(r.Voters) / float64(r.RollSize)
	}
	for i, c := range d.Manifest.Contests {
		cr := ContestResultJSON{Title: d.Text(c.Title), Type: c.Type.String()}
		for j, o := range c.Options {
			or := OptionResultJSON{Option: d.Text(o)}
			if r.Decrypted {
				if i >= len(res.Contests) || j >= len(res.Contests[i].Totals) {
					return nil, fmt.Errorf("the node's result lacks contest %d option %d", i+1, j+1)
				}
				t := res.Contests[i].Totals[j]
				or.Total = &t
			}
			cr.Options = append(cr.Options, or)
		}
		r.Contests = append(r.Contests, cr)
	}
	return r, nil
}

// printResults writes the result table.
func printResults(w io.Writer, r *ResultsJSON) {
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
