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

// How the voter's choices are written, on the command line
// (--choice "CONTEST=SELECTION") and at the prompt (SELECTION):
//
//	SELECTION  = "" | "none" | ITEM ("," ITEM)*
//	ITEM       = OPTION [":" VALUE]
//	OPTION     = the option's number as shown (from 1), or its text
//
// An option without a value gets 1 (more if named again); "none" or an
// empty selection leaves every option at 0 (a blank contest, where the
// contest allows it). Contests are numbered from 1 in ballot order.

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

// parseSelection turns a selection into one value per option and checks it
// against the contest's rules (wallet.CheckChoices).
func parseSelection(c *election.Contest, sel string) ([]uint64, error) {
	out := make([]uint64, len(c.Options))
	sel = strings.TrimSpace(sel)
	if sel != "" && !strings.EqualFold(sel, "none") {
		for _, item := range strings.Split(sel, ",") {
			item = strings.TrimSpace(item)
			opt, val, hasVal := strings.Cut(item, ":")
			j, err := optionIndex(c, strings.TrimSpace(opt))
			if err != nil {
				return nil, err
			}
			add := uint64(1)
			if hasVal {
				if add, err = strconv.ParseUint(strings.TrimSpace(val), 10, 32); err != nil {
					return nil, fmt.Errorf("%q: the value after ':' must be a whole number", item)
				}
			}
			if out[j]+add < out[j] {
				return nil, fmt.Errorf("%q: too large", item)
			}
			out[j] += add
		}
	}
	if err := wallet.CheckChoices(c, out); err != nil {
		return nil, err
	}
	return out, nil
}

// optionIndex finds an option by its number (from 1) or by its text in any
// language (ignoring case).
func optionIndex(c *election.Contest, s string) (int, error) {
	if s == "" {
		return 0, errors.New("an empty option")
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > len(c.Options) {
			return 0, fmt.Errorf("no option %d (the options are 1 to %d)", n, len(c.Options))
		}
		return n - 1, nil
	}
	for j, o := range c.Options {
		for _, t := range o {
			if strings.EqualFold(strings.TrimSpace(t), s) {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("no option %q: give its number", s)
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
		if out[i-1], err = parseSelection(&m.Contests[i-1], sel); err != nil {
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
			sel, err := parseSelection(c, line)
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
