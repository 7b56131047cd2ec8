package election

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A roll file lists an election's voters for `evote roll append`
// (docs/spec/files.md): one voter per line, the voter's public key in its
// text form ("evote-voter:" and 64 hex digits, or the older "ed25519:"
// form), optionally followed by white space and a weight (1 to 2^32-1; 1
// if absent). Blank lines and lines starting with # are ignored.

// MaxRollFileLine bounds a line of a roll file.
const MaxRollFileLine = 4096

// ErrRollFile is what every RollFileError is.
var ErrRollFile = errors.New("bad roll file")

// RollFileError names the line of a roll file that does not parse (0 for
// a failure of the file as a whole) and why. It unwraps to ErrRollFile
// and to the cause (ErrWrongRole, ErrInvalidKey, ...).
type RollFileError struct {
	Line int
	Err  error
}

func (e *RollFileError) Error() string {
	if e.Line == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *RollFileError) Unwrap() []error { return []error{ErrRollFile, e.Err} }

// ParseRollFile reads a roll file. It fails on the first bad line, naming
// it, and on a voter listed twice (in either text form).
func ParseRollFile(r io.Reader) ([]RollEntry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), MaxRollFileLine)
	var out []RollEntry
	seen := map[VoterPublicKey]int{}
	for n := 1; sc.Scan(); n++ {
		bad := func(err error) error { return &RollFileError{Line: n, Err: err} }
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) > 2 {
			return nil, bad(fmt.Errorf("want a voter key and an optional weight, got %d fields", len(f)))
		}
		k, err := ParseVoterPublicKey(f[0])
		if err != nil {
			return nil, bad(err)
		}
		entry := RollEntry{Voter: k, Weight: 1}
		if len(f) == 2 {
			w, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil || w == 0 {
				return nil, bad(fmt.Errorf("weight %q is not a whole number from 1 to %d", f[1], uint32(1<<32-1)))
			}
			entry.Weight = uint32(w)
		}
		if first, ok := seen[entry.Voter]; ok {
			return nil, bad(fmt.Errorf("voter %v is already on line %d", k, first))
		}
		seen[entry.Voter] = n
		out = append(out, entry)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &RollFileError{Err: fmt.Errorf("a line longer than %d bytes: %w", MaxRollFileLine, err)}
		}
		return nil, err
	}
	return out, nil
}
