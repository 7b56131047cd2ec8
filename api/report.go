package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/evote/evote/election"
)

// Report is an election's outcome for people: the title, phase and
// turnout, and each contest's totals by option name once decrypted
// (`evote results`, its --json form, and the pages).
type Report struct {
	Election  string `json:"election"`
	Title     string `json:"title"`
	Phase     string `json:"phase"`
	Failure   string `json:"failure,omitempty"` // why a failed election failed
	Decrypted bool   `json:"decrypted"`
	RollSize  uint64 `json:"roll_size"`
	Voters    uint64 `json:"voters"` // ballots counted: one per voter, the last one of a revoter
	// Turnout is Voters / RollSize (0 for an empty roll).
	Turnout    float64         `json:"turnout"`
	WeightCast uint64          `json:"weight_cast"`
	Height     int64           `json:"height,omitempty"`   // the block that derived the result
	Trustees   []uint32        `json:"trustees,omitempty"` // whose shares were combined
	Contests   []ContestReport `json:"contests"`
}

// ContestReport is one contest's totals.
type ContestReport struct {
	Title   string         `json:"title"`
	Type    string         `json:"type"`
	Options []OptionReport `json:"options"`
}

// OptionReport is one option's total (absent before decryption).
type OptionReport struct {
	Option string  `json:"option"`
	Total  *uint64 `json:"total,omitempty"`
}

// Report reads the election and, once derived, its result.
func (c *Client) Report(ctx context.Context, id election.ID) (*Report, error) {
	d, err := c.Election(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &Report{Election: id.String(), Title: d.Text(d.Manifest.Title), Phase: d.Phase.String(), Failure: d.Failure,
		RollSize: d.Counts.RollSize, Voters: d.Counts.Voters, WeightCast: d.Counts.WeightCast}
	res, err := c.Result(ctx, id)
	switch {
	case err == nil:
		r.Decrypted, r.Height, r.Trustees = true, res.Height, res.Trustees
		r.Voters, r.WeightCast = res.Voters, res.WeightCast
	case errors.Is(err, ErrNotFound):
		res = &Result{}
	default:
		return nil, err
	}
	if r.RollSize > 0 {
		r.Turnout = float64(r.Voters) / float64(r.RollSize)
	}
	for i, ct := range d.Manifest.Contests {
		cr := ContestReport{Title: d.Text(ct.Title), Type: ct.Type.String()}
		for j, o := range ct.Options {
			or := OptionReport{Option: d.Text(o)}
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
