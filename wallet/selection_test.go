package wallet_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
)

// TestParseSelection covers every contest type: plurality, approval and
// score from the city referendum, and a cumulative contest. A selection
// that does not parse is ErrSelection, one that breaks the rules
// ErrInvalidChoice; the message names the item.
func TestParseSelection(t *testing.T) {
	y, err := os.ReadFile("../election/testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := election.ParseManifestYAML(y)
	if err != nil {
		t.Fatal(err)
	}
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
		got, err := wallet.ParseSelection(tc.c, tc.sel)
		if tc.err != "" {
			if !errors.Is(err, wallet.ErrSelection) && !errors.Is(err, wallet.ErrInvalidChoice) {
				t.Errorf("%q: %v, want ErrSelection or ErrInvalidChoice", tc.sel, err)
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.sel, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.sel, got, err, tc.want)
		}
	}
	if _, err := wallet.ParseSelection(&m.Contests[0], "1,2"); !errors.Is(err, wallet.ErrInvalidChoice) {
		t.Errorf("an over-vote is not ErrInvalidChoice: %v", err)
	}
	if _, err := wallet.ParseSelection(&m.Contests[1], "Library,nowhere"); !errors.Is(err, wallet.ErrSelection) {
		t.Errorf("an unknown option is not ErrSelection: %v", err)
	}
}
