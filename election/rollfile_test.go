package election_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/evote/evote/election"
)

func TestParseRollFile(t *testing.T) {
	v := election.DeriveKey("roll file v").VoterPublic()
	w := election.DeriveKey("roll file w").VoterPublic()
	in := "# roll\n\n" + v.String() + "\n  " + w.String() + "\t 7 \n"
	got, err := election.ParseRollFile(strings.NewReader(in))
	if err != nil || len(got) != 2 || got[0].Voter != v || got[0].Weight != 1 || got[1].Voter != w || got[1].Weight != 7 {
		t.Fatalf("%+v %v", got, err)
	}
	for _, c := range []struct {
		in   string
		line int
	}{
		{"evote-voter:zz\n", 1},
		{"# one\n" + v.String() + " -1\n", 2},
		{v.String() + " 0\n", 1},
		{v.String() + " 4294967296\n", 1},
		{v.String() + " 1 2\n", 1},
		{v.String() + "\n\n" + v.String() + " 2\n", 3},
		{strings.Repeat("x", election.MaxRollFileLine+1), 0},
	} {
		_, err := election.ParseRollFile(strings.NewReader(c.in))
		var fe *election.RollFileError
		if !errors.Is(err, election.ErrRollFile) || !errors.As(err, &fe) || fe.Line != c.line {
			t.Errorf("%.40q: %v, want an error on line %d", c.in, err, c.line)
		}
	}
	if _, err := election.ParseRollFile(strings.NewReader("evote-voter:zz\n")); !errors.Is(err, election.ErrInvalidKey) {
		t.Errorf("a bad key: %v, want ErrInvalidKey", err)
	}
}

// A roll file lists voters' keys: the "evote-voter:" form, or the older
// "ed25519:" form; a trustee's or an authority's key is refused as a key of
// another role, naming its line.
func TestRollFileKeyRoles(t *testing.T) {
	k := election.DeriveKey("roll file roles")
	v2 := election.DeriveKey("roll file roles 2")
	got, err := election.ParseRollFile(strings.NewReader(k.VoterPublic().String() + "\n" + v2.Public().String() + " 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Voter != k.VoterPublic() || got[1].Voter != v2.VoterPublic() || got[1].Weight != 3 {
		t.Fatalf("roll %+v", got)
	}
	for _, wrong := range []string{k.TrusteePublic().String(), k.AuthorityPublic().String()} {
		_, err := election.ParseRollFile(strings.NewReader(k.VoterPublic().String() + "\n" + wrong + "\n"))
		var fe *election.RollFileError
		if !errors.Is(err, election.ErrWrongRole) || !errors.As(err, &fe) || fe.Line != 2 {
			t.Errorf("%s in a roll file: %v", wrong, err)
		}
	}
	// The same key in two forms is the same voter.
	if _, err := election.ParseRollFile(strings.NewReader(k.VoterPublic().String() + "\n" + k.Public().String() + "\n")); !errors.Is(err, election.ErrRollFile) {
		t.Error("a voter listed twice, in both text forms, passed")
	}
}

// FuzzParseRollFile: no input panics; what parses has distinct voters
// with non-zero weights, and every failure is a RollFileError.
func FuzzParseRollFile(f *testing.F) {
	f.Add("# roll\nevote-voter:" + strings.Repeat("ab", 32) + " 3\n")
	f.Add("evote-voter:" + strings.Repeat("00", 32) + "\n")
	f.Add("evote-voter:\n\n x y z")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := election.ParseRollFile(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, election.ErrRollFile) {
				t.Fatalf("%q: %v is not ErrRollFile", s, err)
			}
			return
		}
		seen := map[election.VoterPublicKey]bool{}
		for _, e := range got {
			if seen[e.Voter] || e.Weight == 0 {
				t.Fatalf("%q: %+v", s, got)
			}
			seen[e.Voter] = true
		}
	})
}
