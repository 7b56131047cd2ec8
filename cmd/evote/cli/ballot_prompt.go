package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/fileutil"
	"github.com/evote/evote/wallet"
)

// The voter's choices are written as wallet.ParseSelection reads them;
// contests are numbered from 1 in ballot order.

// ballotView shows an election to a voter in one language.
type ballotView struct {
	m    *election.Manifest
	lang string
}

func (v ballotView) text(t election.Text) string { return t.In(v.lang, v.m.Languages) }

// rules describes what a contest asks for.
func rulesText(c *election.Contest) string {
	min, max := c.MinSelections, c.MaxSelections
	span := func(noun string) string {
		switch {
		case min == max:
			return fmt.Sprintf("%d %s", min, noun)
		case min == 0:
			return fmt.Sprintf("up to %d %s", max, noun)
		}
		return fmt.Sprintf("%d to %d %s", min, max, noun)
	}
	switch {
	case (c.Type == election.Plurality || c.Type == election.Approval) && max == 1:
		if min == 0 {
			return "choose at most one option: give its number, or none"
		}
		return "choose one option: give its number"
	case c.Type == election.Plurality || c.Type == election.Approval:
		return "choose " + span("options") + ": give their numbers, e.g. 1,3"
	case c.Type == election.Cumulative:
		return fmt.Sprintf("distribute %s, at most %d per option: give number:points, e.g. 1:2,3:1", span("points"), c.MaxPerOption)
	default:
		return fmt.Sprintf("score each option from 0 to %d (%s in all): give number:score, e.g. 1:%d,2:0", c.MaxPerOption, span("points"), c.MaxPerOption)
	}
}

// show prints the election's contests with numbered options.
func (v ballotView) show(w io.Writer) {
	n := len(v.m.Contests)
	for i := range v.m.Contests {
		c := &v.m.Contests[i]
		fmt.Fprintf(w, "\nContest %d of %d: %s\n", i+1, n, v.text(c.Title))
		if d := v.text(c.Description); d != "" {
			fmt.Fprintf(w, "  %s\n", d)
		}
		fmt.Fprintf(w, "  (%s; %s)\n", c.Type, rulesText(c))
		for j, o := range c.Options {
			fmt.Fprintf(w, "    %d. %s\n", j+1, v.text(o))
		}
	}
}

// parseChoiceFlags reads the --choice flags: one "CONTEST=SELECTION" per
// contest, every contest once.
func parseChoiceFlags(m *election.Manifest, flags []string) ([][]uint64, error) {
	out := make([][]uint64, len(m.Contests))
	for _, f := range flags {
		cs, sel, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("--choice %q: want CONTEST=SELECTION, e.g. 1=2 or 2=1,3", f)
		}
		i, err := strconv.Atoi(strings.TrimSpace(cs))
		if err != nil || i < 1 || i > len(m.Contests) {
			return nil, fmt.Errorf("--choice %q: no contest %q (the contests are 1 to %d)", f, cs, len(m.Contests))
		}
		if out[i-1] != nil {
			return nil, fmt.Errorf("--choice %q: contest %d given twice", f, i)
		}
		if out[i-1], err = wallet.ParseSelection(&m.Contests[i-1], sel); err != nil {
			return nil, fmt.Errorf("--choice %q: %w", f, err)
		}
	}
	for i := range out {
		if out[i] == nil {
			return nil, fmt.Errorf("no --choice for contest %d (%d contests: give --choice for each)", i+1, len(m.Contests))
		}
	}
	return out, nil
}

// askChoices asks for each contest's selection on in until it is valid.
func (v ballotView) askChoices(in *fileutil.LineReader, w io.Writer) ([][]uint64, error) {
	out := make([][]uint64, len(v.m.Contests))
	for i := range v.m.Contests {
		c := &v.m.Contests[i]
		for {
			fmt.Fprintf(w, "Your choice for contest %d (%s): ", i+1, v.text(c.Title))
			line, err := in.Line()
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("no answer for contest %d: the input ended (give --choice flags to vote without a prompt)", i+1)
			}
			if err != nil {
				return nil, err
			}
			sel, err := wallet.ParseSelection(c, line)
			if err != nil {
				msg := strings.TrimPrefix(err.Error(), wallet.ErrInvalidChoice.Error()+": ")
				fmt.Fprintf(w, "  not valid: %s. Please %s\n", msg, rulesText(c))
				continue
			}
			out[i] = sel
			break
		}
	}
	return out, nil
}

// summary prints the chosen options, contest by contest.
func (v ballotView) summary(w io.Writer, choices [][]uint64) {
	for i := range v.m.Contests {
		c := &v.m.Contests[i]
		fmt.Fprintf(w, "  %d. %s: %s\n", i+1, v.text(c.Title), v.chosen(c, choices[i]))
	}
}

func (v ballotView) chosen(c *election.Contest, values []uint64) string {
	var parts []string
	for j, x := range values {
		switch {
		case c.Type == election.Score:
			parts = append(parts, fmt.Sprintf("%s %d", v.text(c.Options[j]), x))
		case x == 1 && c.MaxPerOption == 1:
			parts = append(parts, v.text(c.Options[j]))
		case x > 0:
			parts = append(parts, fmt.Sprintf("%s ×%d", v.text(c.Options[j]), x))
		}
	}
	if len(parts) == 0 {
		return "(blank)"
	}
	return strings.Join(parts, ", ")
}
