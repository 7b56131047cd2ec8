package consolebridge

import (
	"errors"
	"fmt"
	"strings"

	"github.com/evote/evote/election"
)

// RollVoter is a voter of a roll file as the page keeps it: the key in its
// text form (evote-voter:…, whichever form the file used) and the weight.
type RollVoter struct {
	Voter  string `json:"voter"`
	Weight uint32 `json:"weight"`
}

// ParseRoll reads a roll file, the format `evote roll append` reads
// (election.ParseRollFile, docs/spec/files.md), and reports every bad
// line, not only the first: a key or weight that does not parse, a voter
// listed twice (either text form), and, when the election has no weights,
// a weight other than 1. Each line is read by election.ParseRollFile
// itself; only the duplicates and the weights rule are checked here, over
// the lines.
func ParseRoll(text string, weights bool) ([]RollVoter, []Problem) {
	var out []RollVoter
	var bad []Problem
	seen := map[election.VoterPublicKey]int{}
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if len(line) > election.MaxRollFileLine {
			bad = append(bad, Problem{Line: n, Code: "too_long", Message: fmt.Sprintf("a line longer than %d bytes", election.MaxRollFileLine)})
			continue
		}
		entries, err := election.ParseRollFile(strings.NewReader(line))
		if err != nil {
			var re *election.RollFileError
			msg := err.Error()
			if errors.As(err, &re) {
				msg = re.Err.Error()
			}
			bad = append(bad, Problem{Line: n, Code: codeOf(err), Message: msg})
			continue
		}
		if len(entries) == 0 {
			continue // blank or a comment
		}
		e := entries[0]
		if first, ok := seen[e.Voter]; ok {
			bad = append(bad, Problem{Line: n, Code: "duplicate_voter", Message: fmt.Sprintf("voter %v is already on line %d", e.Voter, first)})
			continue
		}
		seen[e.Voter] = n
		if !weights && e.Weight != 1 {
			bad = append(bad, Problem{Line: n, Code: "invalid_weight", Message: fmt.Sprintf("weight %d, but the election has no voter weights", e.Weight)})
			continue
		}
		out = append(out, RollVoter{Voter: e.Voter.String(), Weight: e.Weight})
	}
	if len(bad) == 0 && len(out) == 0 {
		bad = append(bad, Problem{Code: "empty_roll", Message: "the file lists no voters"})
	}
	return out, bad
}

// rollEntries reads the page's voters back.
func rollEntries(voters []RollVoter) ([]election.RollEntry, error) {
	if len(voters) == 0 || len(voters) > election.MaxRollBatch {
		return nil, fmt.Errorf("%w: %d voters in one batch (1..%d)", election.ErrLimit, len(voters), election.MaxRollBatch)
	}
	out := make([]election.RollEntry, len(voters))
	for i, v := range voters {
		k, err := election.ParseVoterPublicKey(v.Voter)
		if err != nil {
			return nil, err
		}
		out[i] = election.RollEntry{Voter: k, Weight: v.Weight}
	}
	return out, nil
}
