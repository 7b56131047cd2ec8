package election_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

func sampleManifest(t testing.TB) *election.Manifest {
	t.Helper()
	b, err := os.ReadFile("testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := election.ParseManifestYAML(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSampleManifest(t *testing.T) {
	m := sampleManifest(t)
	if got := m.Languages; !reflect.DeepEqual(got, []string{"en", "de"}) {
		t.Errorf("languages %v", got)
	}
	if m.Authority != actorKey("city-clerk").AuthorityPublic() {
		t.Error("the sample's authority is not the test key of city-clerk")
	}
	for i, name := range []string{"trustee-a", "trustee-b", "trustee-c"} {
		if got := m.TrusteeIndex(actorKey(name).Public()); got != uint32(i+1) {
			t.Errorf("%s has index %d", name, got)
		}
		if m.Trustees.Members[i].EncryptionKey != election.EncryptionKeyOf(actorEncryptionKey(t, name).Public()) {
			t.Errorf("%s: encryption key is not the test key", name)
		}
	}
	want := []tally.ContestRules{
		{Options: 2, MaxPerOption: 1, MinSelections: 1, MaxSelections: 1},  // plurality
		{Options: 5, MaxPerOption: 1, MinSelections: 1, MaxSelections: 3},  // approval, 1..3 of 5
		{Options: 3, MaxPerOption: 5, MinSelections: 0, MaxSelections: 15}, // score 0..5, sum unrestricted
	}
	if got := m.Rules(); !reflect.DeepEqual(got, want) {
		t.Errorf("rules %+v, want %+v", got, want)
	}
	if m.Contests[2].Description["de"] == "" || m.Contests[0].Description["en"] != "" {
		t.Error("descriptions: given ones kept, missing ones empty in every language")
	}
	if m.TotalOptions() != 10 || m.MaxPerOption() != 5 {
		t.Errorf("total options %d, max per option %d", m.TotalOptions(), m.MaxPerOption())
	}
	if !m.Revoting || m.Weights {
		t.Error("flags")
	}
	if got := m.Schedule.Open; !got.Equal(time.Date(2030, 3, 10, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("open %v", got)
	}
}

// The id of the sample manifest: it changes only if the canonical encoding
// (or the sample) changes, which needs a new tag.
const sampleID = "bc9f7cbd1aff98b8938ec1d2fdbe89cd9f8f278e46984768753f2d1a25b99a71"

func TestManifestEncodingRoundTrip(t *testing.T) {
	m := sampleManifest(t)
	enc, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(enc, append([]byte{byte(len(election.TagManifest))}, election.TagManifest...)) {
		t.Error("the encoding does not start with its tag")
	}
	back, err := election.DecodeManifest(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("decoded manifest differs:\n%+v\n%+v", back, m)
	}
	again, _ := back.MarshalBinary()
	if !bytes.Equal(again, enc) {
		t.Error("re-encoding differs")
	}
	id, err := m.ID()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	h.Write(append([]byte{byte(len(election.TagElectionID))}, election.TagElectionID...))
	h.Write(enc)
	if !bytes.Equal(id[:], h.Sum(nil)) {
		t.Error("the id is not SHA-256 of the tagged encoding")
	}
	if id.String() != sampleID {
		t.Errorf("sample id %v, want %s", id, sampleID)
	}

	// The YAML written by YAML() parses to the same manifest.
	y, err := m.YAML()
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := election.ParseManifestYAML(y)
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	if !reflect.DeepEqual(fromYAML, m) {
		t.Errorf("YAML round trip differs:\n%s", y)
	}
}

func TestManifestDecodeRejects(t *testing.T) {
	enc, _ := sampleManifest(t).MarshalBinary()
	flagsAt := bytes.Index(enc, []byte("Drei Fragen")) + len("Drei Fragen des Stadtrats an die Einwohnerinnen und Einwohner von Exampleton.")
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, election.ErrMalformed},
		{"truncated", enc[:len(enc)-1], election.ErrMalformed},
		{"trailing", append(bytes.Clone(enc), 0), election.ErrTrailingBytes},
		{"wrong tag", append([]byte{byte(len("evote/v1/manifesx"))}, append([]byte("evote/v1/manifesx"), enc[18:]...)...), election.ErrWrongTag},
		{"unknown flag", setByte(enc, flagsAt, 0x05), election.ErrMalformed},
		{"too long", make([]byte, election.MaxManifestSize+1), election.ErrLimit},
	} {
		_, err := election.DecodeManifest(tc.b)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if enc[flagsAt] != 1 {
		t.Fatalf("the test's flags offset is wrong: byte %#x", enc[flagsAt])
	}
}

func setByte(b []byte, i int, v byte) []byte {
	c := bytes.Clone(b)
	c[i] = v
	return c
}

// TestManifestValidate breaks one rule at a time.
func TestManifestValidate(t *testing.T) {
	for _, tc := range []struct {
		field string
		edit  func(m *election.Manifest)
	}{
		{"reference", func(m *election.Manifest) { m.Reference = strings.Repeat("x", election.MaxReferenceLen+1) }},
		{"authority", func(m *election.Manifest) { m.Authority = election.AuthorityPublicKey{} }},
		{"languages", func(m *election.Manifest) { m.Languages = nil }},
		{"languages[1]", func(m *election.Manifest) { m.Languages[1] = "en" }},
		{"languages[1]", func(m *election.Manifest) { m.Languages[1] = "d e" }},
		{"title", func(m *election.Manifest) { delete(m.Title, "de") }},
		{"title", func(m *election.Manifest) { m.Title["fr"] = "x"; delete(m.Title, "de") }},
		{"title.en", func(m *election.Manifest) { m.Title["en"] = "  " }},
		{"description.de", func(m *election.Manifest) { m.Description["de"] = "\xff" }},
		{"schedule.dkg_deals_by", func(m *election.Manifest) { m.Schedule.DKGDealsBy = time.Time{} }},
		{"schedule.dkg_deals_by", func(m *election.Manifest) { m.Schedule.DKGDealsBy = m.Schedule.DKGDealsBy.Add(time.Millisecond) }},
		{"schedule.dkg_complaint_window", func(m *election.Manifest) { m.Schedule.DKGComplaintWindow = 0 }},
		{"schedule.dkg_response_window", func(m *election.Manifest) { m.Schedule.DKGResponseWindow = 1500 * time.Millisecond }},
		{"schedule.close", func(m *election.Manifest) { m.Schedule.Close = m.Schedule.Open }},
		{"schedule.close", func(m *election.Manifest) { m.Schedule.Open = time.Time{}; m.Schedule.Close = m.Schedule.DKGDealsBy }},
		{"trustees.members", func(m *election.Manifest) { m.Trustees.Members = nil }},
		{"trustees.threshold", func(m *election.Manifest) { m.Trustees.Threshold = 4 }},
		{"trustees.threshold", func(m *election.Manifest) { m.Trustees.Threshold = 0 }},
		{"trustees.members[1].name", func(m *election.Manifest) { m.Trustees.Members[1].Name = "" }},
		{"trustees.members[1].identity", func(m *election.Manifest) { m.Trustees.Members[1].Identity = election.TrusteePublicKey{} }},
		{"trustees.members[1].identity", func(m *election.Manifest) {
			m.Trustees.Members[1].Identity = election.TrusteePublicKey(election.PublicKey(election.SmallOrderKeys()[1])) // y = -1
		}},
		{"trustees.members[2].identity", func(m *election.Manifest) { m.Trustees.Members[2].Identity = m.Trustees.Members[0].Identity }},
		{"trustees.members[2].encryption_key", func(m *election.Manifest) {
			m.Trustees.Members[2].EncryptionKey = m.Trustees.Members[1].EncryptionKey
		}},
		{"trustees.members[0].encryption_key", func(m *election.Manifest) { m.Trustees.Members[0].EncryptionKey = election.EncryptionKey{} }},
		{"contests", func(m *election.Manifest) { m.Contests = nil }},
		{"contests[0].options", func(m *election.Manifest) { m.Contests[0].Options = nil }},
		{"contests[0].options[1]", func(m *election.Manifest) { m.Contests[0].Options[1] = election.Text{"en": "x"} }},
		{"contests[0]", func(m *election.Manifest) { m.Contests[0].MaxSelections = 2 }},
		{"contests[1].max_per_option", func(m *election.Manifest) { m.Contests[1].MaxPerOption = 2 }},
		{"contests[1]", func(m *election.Manifest) { m.Contests[1].MaxSelections = 6 }},
		{"contests[1]", func(m *election.Manifest) { m.Contests[1].MinSelections = 4 }},
		{"contests[2].max_per_option", func(m *election.Manifest) { m.Contests[2].MaxPerOption = 0 }},
		{"contests[2]", func(m *election.Manifest) { m.Contests[2].MaxPerOption = 300 }},
		{"contests[2].type", func(m *election.Manifest) { m.Contests[2].Type = 9 }},
		{"contests", func(m *election.Manifest) {
			for len(m.Contests) <= election.MaxContests {
				m.Contests = append(m.Contests, m.Contests[0])
			}
		}},
		{"contests", func(m *election.Manifest) {
			// 5 contests of 256 options: more aggregates than an election may have.
			opts := make([]election.Text, 256)
			for i := range opts {
				opts[i] = election.Text{"en": "o", "de": "o"}
			}
			c := election.Contest{Type: election.Approval, Title: m.Contests[0].Title, Description: m.Contests[0].Description,
				MaxPerOption: 1, MaxSelections: 1, Options: opts}
			m.Contests = []election.Contest{c, c, c, c, c}
		}},
	} {
		m := sampleManifest(t)
		tc.edit(m)
		err := m.Validate()
		var me *election.ManifestError
		if !errors.As(err, &me) || !errors.Is(err, election.ErrInvalidManifest) {
			t.Errorf("%s: got %v, want a ManifestError", tc.field, err)
			continue
		}
		if me.Field != tc.field {
			t.Errorf("%s: error names field %q (%v)", tc.field, me.Field, err)
		}
		if _, err := m.MarshalBinary(); !errors.Is(err, election.ErrInvalidManifest) {
			t.Errorf("%s: an invalid manifest encodes", tc.field)
		}
	}
}

func TestParseManifestYAMLRejects(t *testing.T) {
	good, err := os.ReadFile("testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	for _, tc := range []struct{ name, yaml string }{
		{"empty", ""},
		{"not yaml", "{"},
		{"unknown field", s + "colour: blue\n"},
		{"two documents", s + "---\n" + s},
		{"bad authority", strings.Replace(s, "authority: ed25519:5e", "authority: ed25519:5E", 1)},
		{"authority without prefix", strings.Replace(s, "authority: ed25519:", "authority: ", 1)},
		{"bad encryption key", strings.Replace(s, "x25519:77948045152ba8461b55100285862bba461a9750998b0c83e11f3267e0994b75", "x25519:"+strings.Repeat("0", 64), 1)},
		{"bad time", strings.Replace(s, "2030-03-01T12:00:00Z", "1 March 2030", 1)},
		{"time not whole seconds", strings.Replace(s, "2030-03-01T12:00:00Z", "2030-03-01T12:00:00.5Z", 1)},
		{"bad window", strings.Replace(s, "dkg_complaint_window: 24h", "dkg_complaint_window: a day", 1)},
		{"unknown type", strings.Replace(s, "type: score", "type: ranked", 1)},
		{"score without maximum", strings.Replace(s, "    max_per_option: 5\n", "", 1)},
		{"missing translation", strings.Replace(s, "  de: Volksabstimmung der Stadt Exampleton 2030\n", "", 1)},
	} {
		_, err := election.ParseManifestYAML([]byte(tc.yaml))
		if !errors.Is(err, election.ErrInvalidManifest) {
			t.Errorf("%s: got %v, want ErrInvalidManifest", tc.name, err)
		}
	}
}

func TestManifestYAMLDefaults(t *testing.T) {
	y := `
authority: ` + actorKey("a").Public().String() + `
languages: [en]
title: {en: Defaults}
schedule: {dkg_deals_by: 2030-01-01T00:00:00Z, dkg_complaint_window: 1h, dkg_response_window: 30m}
trustees:
  threshold: 1
  members: [{name: T, identity: ` + actorKey("t").Public().String() + `, encryption_key: ` +
		election.EncryptionKeyOf(actorEncryptionKey(t, "t").Public()).String() + `}]
contests:
  - {type: plurality, title: {en: P}, options: [{en: a}, {en: b}]}
  - {type: approval, title: {en: A}, options: [{en: a}, {en: b}, {en: c}]}
  - {type: score, max_per_option: 4, title: {en: S}, options: [{en: a}, {en: b}]}
  - {type: cumulative, max_per_option: 2, max_selections: 3, title: {en: C}, options: [{en: a}, {en: b}]}
`
	m, err := election.ParseManifestYAML([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	want := []tally.ContestRules{
		{Options: 2, MaxPerOption: 1, MinSelections: 0, MaxSelections: 1},
		{Options: 3, MaxPerOption: 1, MinSelections: 0, MaxSelections: 3},
		{Options: 2, MaxPerOption: 4, MinSelections: 0, MaxSelections: 8},
		{Options: 2, MaxPerOption: 2, MinSelections: 0, MaxSelections: 3},
	}
	if got := m.Rules(); !reflect.DeepEqual(got, want) {
		t.Errorf("rules %+v, want %+v", got, want)
	}
	if m.Description["en"] != "" || m.Reference != "" || m.Revoting || m.Weights {
		t.Error("optional fields")
	}
	if !m.Schedule.Open.IsZero() || !m.Schedule.Close.IsZero() {
		t.Error("no opening or closing by schedule")
	}
	cum := strings.Replace(y, ", max_selections: 3", "", 1)
	if _, err := election.ParseManifestYAML([]byte(cum)); !errors.Is(err, election.ErrInvalidManifest) {
		t.Errorf("cumulative without max_selections: %v", err)
	}
}
