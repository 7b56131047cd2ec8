package election

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"
)

// Manifests are written by officials as YAML (docs/spec/manifest.md and
// testdata/city-referendum.yaml). The YAML form is only the input: the
// canonical binary encoding is what is signed, hashed and stored.

// ManifestYAML is the manifest's YAML form, field by field as
// docs/spec/manifest.md gives it; ParseManifestYAML reads it and
// Manifest.YAML writes it. The officials' console writes it too
// (internal/consolebridge).
type ManifestYAML struct {
	Reference   string            `yaml:"reference"`
	Authority   string            `yaml:"authority"`
	Languages   []string          `yaml:"languages"`
	Title       map[string]string `yaml:"title"`
	Description map[string]string `yaml:"description,omitempty"`
	Revoting    bool              `yaml:"revoting"`
	Weights     bool              `yaml:"weights"`
	Schedule    ScheduleYAML      `yaml:"schedule"`
	Trustees    TrusteesYAML      `yaml:"trustees"`
	Contests    []ContestYAML     `yaml:"contests"`
}

// ScheduleYAML is the manifest's schedule in YAML form.
type ScheduleYAML struct {
	DKGDealsBy         string `yaml:"dkg_deals_by"`
	DKGComplaintWindow string `yaml:"dkg_complaint_window"`
	DKGResponseWindow  string `yaml:"dkg_response_window"`
	Open               string `yaml:"open,omitempty"`
	Close              string `yaml:"close,omitempty"`
}

// TrusteesYAML is the manifest's trustees in YAML form.
type TrusteesYAML struct {
	Threshold uint32        `yaml:"threshold"`
	Members   []TrusteeYAML `yaml:"members"`
}

// TrusteeYAML is one trustee in YAML form.
type TrusteeYAML struct {
	Name          string `yaml:"name"`
	Identity      string `yaml:"identity"`
	EncryptionKey string `yaml:"encryption_key"`
}

// ContestYAML is one contest in YAML form.
type ContestYAML struct {
	Title         map[string]string   `yaml:"title"`
	Description   map[string]string   `yaml:"description,omitempty"`
	Type          string              `yaml:"type"`
	MinSelections *uint32             `yaml:"min_selections,omitempty"`
	MaxSelections *uint32             `yaml:"max_selections,omitempty"`
	MaxPerOption  *uint32             `yaml:"max_per_option,omitempty"`
	Options       []map[string]string `yaml:"options"`
}

// ParseManifestYAML reads one YAML document, applies the defaults of
// docs/spec/manifest.md and validates the result. Unknown fields, a second
// document, and malformed keys, times and durations are errors matching
// ErrInvalidManifest.
func ParseManifestYAML(b []byte) (*Manifest, error) {
	if len(b) > 4*MaxManifestSize {
		return nil, manifestErr("", "YAML of %d bytes is too long", len(b))
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var y ManifestYAML
	if err := dec.Decode(&y); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, manifestErr("", "empty document")
		}
		return nil, manifestErr("", "YAML: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, manifestErr("", "more than one YAML document")
	}
	m, err := y.manifest()
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (y *ManifestYAML) manifest() (*Manifest, error) {
	m := &Manifest{
		Reference: y.Reference,
		Languages: y.Languages,
		Revoting:  y.Revoting,
		Weights:   y.Weights,
	}
	var err error
	if m.Authority, err = ParseAuthorityPublicKey(y.Authority); err != nil {
		return nil, &ManifestError{Field: "authority", Msg: err.Error(), Err: err}
	}
	m.Title = Text(y.Title)
	m.Description = m.optionalText(y.Description)
	s := &m.Schedule
	if s.DKGDealsBy, err = parseTime(y.Schedule.DKGDealsBy, true); err != nil {
		return nil, manifestErr("schedule.dkg_deals_by", "%v", err)
	}
	if s.DKGComplaintWindow, err = time.ParseDuration(y.Schedule.DKGComplaintWindow); err != nil {
		return nil, manifestErr("schedule.dkg_complaint_window", "%v", err)
	}
	if s.DKGResponseWindow, err = time.ParseDuration(y.Schedule.DKGResponseWindow); err != nil {
		return nil, manifestErr("schedule.dkg_response_window", "%v", err)
	}
	if s.Open, err = parseTime(y.Schedule.Open, false); err != nil {
		return nil, manifestErr("schedule.open", "%v", err)
	}
	if s.Close, err = parseTime(y.Schedule.Close, false); err != nil {
		return nil, manifestErr("schedule.close", "%v", err)
	}
	m.Trustees.Threshold = y.Trustees.Threshold
	for i, t := range y.Trustees.Members {
		f := fmt.Sprintf("trustees.members[%d]", i)
		tr := Trustee{Name: t.Name}
		if tr.Identity, err = ParseTrusteePublicKey(t.Identity); err != nil {
			return nil, &ManifestError{Field: f + ".identity", Msg: err.Error(), Err: err}
		}
		if err := tr.EncryptionKey.UnmarshalText([]byte(t.EncryptionKey)); err != nil {
			return nil, manifestErr(f+".encryption_key", "%v", err)
		}
		m.Trustees.Members = append(m.Trustees.Members, tr)
	}
	for i, cy := range y.Contests {
		c, err := m.contest(i, &cy)
		if err != nil {
			return nil, err
		}
		m.Contests = append(m.Contests, c)
	}
	return m, nil
}

// optionalText turns a missing text into empty texts in every language.
func (m *Manifest) optionalText(t map[string]string) Text {
	if len(t) > 0 {
		return Text(t)
	}
	out := make(Text, len(m.Languages))
	for _, l := range m.Languages {
		out[l] = ""
	}
	return out
}

// contest applies the defaults: min_selections 0; max_per_option 1 for
// plurality and approval (required for cumulative and score);
// max_selections 1 for plurality, the number of options for approval,
// options × max_per_option for score (required for cumulative).
func (m *Manifest) contest(i int, y *ContestYAML) (Contest, error) {
	f := fmt.Sprintf("contests[%d]", i)
	c := Contest{Title: Text(y.Title), Description: m.optionalText(y.Description)}
	if err := c.Type.UnmarshalText([]byte(y.Type)); err != nil {
		return c, manifestErr(f+".type", "unknown question type %q (plurality, approval, cumulative, score)", y.Type)
	}
	for _, o := range y.Options {
		c.Options = append(c.Options, Text(o))
	}
	n := uint32(len(c.Options))
	get := func(p *uint32, def uint32) uint32 {
		if p != nil {
			return *p
		}
		return def
	}
	switch c.Type {
	case Plurality, Approval:
		c.MaxPerOption = get(y.MaxPerOption, 1)
	default:
		if y.MaxPerOption == nil {
			return c, manifestErr(f+".max_per_option", "required for a %v contest", c.Type)
		}
		c.MaxPerOption = *y.MaxPerOption
	}
	c.MinSelections = get(y.MinSelections, 0)
	switch c.Type {
	case Plurality:
		c.MaxSelections = get(y.MaxSelections, 1)
	case Approval:
		c.MaxSelections = get(y.MaxSelections, n)
	case Score:
		c.MaxSelections = get(y.MaxSelections, uint32(min(uint64(n)*uint64(c.MaxPerOption), 1<<32-1)))
	case Cumulative:
		if y.MaxSelections == nil {
			return c, manifestErr(f+".max_selections", "required for a cumulative contest (the points to distribute)")
		}
		c.MaxSelections = *y.MaxSelections
	}
	return c, nil
}

// parseTime parses RFC 3339; an empty string is the zero time unless
// required.
func parseTime(s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, fmt.Errorf("required")
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// YAML writes the manifest in the form ParseManifestYAML reads, with every
// default written out.
func (m *Manifest) YAML() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	y := ManifestYAML{
		Reference:   m.Reference,
		Authority:   m.Authority.String(),
		Languages:   m.Languages,
		Title:       m.Title,
		Description: m.Description,
		Revoting:    m.Revoting,
		Weights:     m.Weights,
		Schedule: ScheduleYAML{
			DKGDealsBy:         m.Schedule.DKGDealsBy.UTC().Format(time.RFC3339),
			DKGComplaintWindow: m.Schedule.DKGComplaintWindow.String(),
			DKGResponseWindow:  m.Schedule.DKGResponseWindow.String(),
		},
		Trustees: TrusteesYAML{Threshold: m.Trustees.Threshold},
	}
	if !m.Schedule.Open.IsZero() {
		y.Schedule.Open = m.Schedule.Open.UTC().Format(time.RFC3339)
	}
	if !m.Schedule.Close.IsZero() {
		y.Schedule.Close = m.Schedule.Close.UTC().Format(time.RFC3339)
	}
	for _, t := range m.Trustees.Members {
		y.Trustees.Members = append(y.Trustees.Members, TrusteeYAML{Name: t.Name, Identity: t.Identity.String(), EncryptionKey: t.EncryptionKey.String()})
	}
	for i := range m.Contests {
		c := &m.Contests[i]
		cy := ContestYAML{Title: c.Title, Description: c.Description, Type: c.Type.String()}
		cy.MinSelections, cy.MaxSelections, cy.MaxPerOption = &c.MinSelections, &c.MaxSelections, &c.MaxPerOption
		for _, o := range c.Options {
			cy.Options = append(cy.Options, o)
		}
		y.Contests = append(y.Contests, cy)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&y); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
