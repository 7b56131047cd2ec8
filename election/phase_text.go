package election

import "fmt"

// UnmarshalText parses a phase's name, as MarshalText writes it, so that
// clients can read the queries' JSON into the query types.
func (p *Phase) UnmarshalText(b []byte) error {
	for i, n := range phaseNames {
		if i > 0 && n == string(b) {
			*p = Phase(i)
			return nil
		}
	}
	return fmt.Errorf("election: unknown phase %q", b)
}
