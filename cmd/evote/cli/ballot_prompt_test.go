package cli

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
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

// TestParseSelection covers every contest type: plurality, approval and
// score from the city referendum, and a cumulative contest.
func TestParseSelection(t *testing.T) {
	m := cityManifest(t)
	cumulative := election.Contest{Type: election.Cumulative, MinSelections: 0, MaxSelections: 5, MaxPerOption: 3,
		Title: election.Text{"en": "Spread 5 points"}, Options: []election.Text{{"en": "A"}, {"en": "B"}, {"en": "C"}}}
	for _, tc := range []struct {
		c    *election.Contest
		sel  string
		want []uint64
		err  string
	}{
		{&m.Contests[0], "1", []uint64{1, 0}, ""},
		{&m.Contests[0], " no ", []uint64{0, 1}, ""},
		{&m.Contests[0], "Nein", []uint64{0, 1}, ""},
		{&m.Contests[0], "", nil, "0 selected, allowed 1 to 1"},
		{&m.Contests[0], "1,2", nil, "2 selected"},
		{&m.Contests[0], "1:2", nil, "option 0: 2 exceeds 1"},
		{&m.Contests[1], "1, 3,5", []uint64{1, 0, 1, 0, 1}, ""},
		{&m.Contests[1], "Cycle lanes,radwege", nil, "option 1: 2 exceeds 1"},
		{&m.Contests[1], "0", nil, "no option 0"},
		{&m.Contests[1], "1,,2", nil, "an empty option"},
		{&m.Contests[2], "1:5,3:2", []uint64{5, 0, 2}, ""},
		{&m.Contests[2], "none", []uint64{0, 0, 0}, ""},
		{&m.Contests[2], "2:6", nil, "6 exceeds 5"},
		{&m.Contests[2], "2:x", nil, "must be a whole number"},
		{&m.Contests[2], "2:-1", nil, "must be a whole number"},
		{&cumulative, "1:2,3,3", []uint64{2, 0, 2}, ""},
		{&cumulative, "1:3,2:3", nil, "6 selected, allowed 0 to 5"},
		{&cumulative, "1:99999999999", nil, "must be a whole number"},
	} {
		got, err := parseSelection(tc.c, tc.sel)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.sel, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.sel, got, err, tc.want)
		}
	}
	if _, err := parseSelection(&m.Contests[0], "1,2"); !errors.Is(err, wallet.ErrInvalidChoice) {
		t.Errorf("an over-vote is not ErrInvalidChoice: %v", err)
	}
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
