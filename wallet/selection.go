package wallet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/evote/evote/election"
)

// How a voter writes a contest's choices as text (the CLI's --choice
// "CONTEST=SELECTION" and its prompt):
//
//	SELECTION  = "" | "none" | ITEM ("," ITEM)*
//	ITEM       = OPTION [":" VALUE]
//	OPTION     = the option's number as shown (from 1), or its text
//
// An option without a value gets 1 (more if named again); "none" or an
// empty selection leaves every option at 0 (a blank contest, where the
// contest allows it).

// ErrSelection: a selection that does not parse (an unknown option, a
// value that is not a whole number). A selection that parses but breaks
// the contest's rules is ErrInvalidChoice.
var ErrSelection = errors.New("wallet: selection")

// selectionError is an ErrSelection whose message is the voter's sentence
// alone.
type selectionError string

func (e selectionError) Error() string      { return string(e) }
func (selectionError) Is(target error) bool { return target == ErrSelection }

func selectionErrorf(format string, args ...any) error {
	return selectionError(fmt.Sprintf(format, args...))
}

// ParseSelection turns a selection into one value per option of c and
// checks it against the contest's rules (CheckChoices).
func ParseSelection(c *election.Contest, sel string) ([]uint64, error) {
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
					return nil, selectionErrorf("%q: the value after ':' must be a whole number", item)
				}
			}
			if out[j]+add < out[j] {
				return nil, selectionErrorf("%q: too large", item)
			}
			out[j] += add
		}
	}
	if err := CheckChoices(c, out); err != nil {
		return nil, err
	}
	return out, nil
}

// optionIndex finds an option by its number (from 1) or by its text in any
// language (ignoring case).
func optionIndex(c *election.Contest, s string) (int, error) {
	if s == "" {
		return 0, selectionErrorf("an empty option")
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > len(c.Options) {
			return 0, selectionErrorf("no option %d (the options are 1 to %d)", n, len(c.Options))
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
	return 0, selectionErrorf("no option %q: give its number", s)
}
