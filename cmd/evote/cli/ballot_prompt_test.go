package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/evote/evote/election"
)

func cityManifest(t *testing.T) *election.Manifest {
	t.Helper()
	y, err := os.ReadFile("../../../election/testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := election.ParseManifestYAML(y)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBallotView shows every contest type: plurality, approval and score
// from the city referendum, and a cumulative contest.
func TestBallotView(t *testing.T) {
	m := cityManifest(t)
	cumulative := election.Contest{Type: election.Cumulative, MinSelections: 0, MaxSelections: 5, MaxPerOption: 3,
		Title: election.Text{"en": "Spread 5 points"}, Options: []election.Text{{"en": "A"}, {"en": "B"}, {"en": "C"}}}
	// Every contest type has a description of its rules.
	for _, c := range []*election.Contest{&m.Contests[0], &m.Contests[1], &m.Contests[2], &cumulative} {
		if r := rulesText(c); !strings.Contains(r, "give") {
			t.Errorf("%v: %q", c.Type, r)
		}
	}
	var out strings.Builder
	ballotView{m: m, lang: "de"}.show(&out)
	for _, want := range []string{"Contest 3 of 3: Bewerten Sie jeden Vorschlag", "score each option from 0 to 5", "    2. Radwege"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the ballot shown lacks %q:\n%s", want, out.String())
		}
	}
	if got := (ballotView{m: m, lang: "en"}).chosen(&m.Contests[2], []uint64{5, 0, 2}); got != "Weekly farmers' market 5, Car-free zone 0, Underground car park 2" {
		t.Errorf("score shown as %q", got)
	}
	if got := (ballotView{m: m, lang: "en"}).chosen(&cumulative, []uint64{2, 0, 0}); got != "A ×2" {
		t.Errorf("cumulative shown as %q", got)
	}
}
