package consolebridge

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/evote/evote/election"
)

// The create form. The page sends what the official typed, as text, and
// the bridge turns it into the manifest's YAML form (docs/spec/manifest.md),
// which election.ParseManifestYAML reads exactly as `evote election create`
// does: the defaults and the rules are the parser's, never the page's.
// Every mistake comes back as a Problem naming its field by the manifest's
// path ("contests[1].max_selections"), so that the page shows it there.

// Form is the create form as the page sends it. Numbers are text, so that
// one that is not a number is reported at its field; an empty number takes
// the manifest's default.
type Form struct {
	Reference   string            `json:"reference"`
	Languages   []string          `json:"languages"`
	Title       map[string]string `json:"title"`
	Description map[string]string `json:"description"`
	Revoting    bool              `json:"revoting"`
	Weights     bool              `json:"weights"`
	Schedule    FormSchedule      `json:"schedule"`
	Threshold   string            `json:"threshold"`
	// Trustees is the lines `evote trustee init` prints, one block per
	// trustee ("- name: …", "identity: …", "encryption_key: …").
	Trustees string        `json:"trustees"`
	Contests []FormContest `json:"contests"`
}

// FormSchedule is the schedule: RFC 3339 times and Go durations.
type FormSchedule struct {
	DKGDealsBy         string `json:"dkg_deals_by"`
	DKGComplaintWindow string `json:"dkg_complaint_window"`
	DKGResponseWindow  string `json:"dkg_response_window"`
	Open               string `json:"open"`
	Close              string `json:"close"`
}

// FormContest is one contest. Blank allows a ballot that selects nothing:
// then the minimum is 0 (an empty minimum means 0); without it the
// minimum is at least 1 (an empty minimum means 1).
type FormContest struct {
	Type          string              `json:"type"`
	Title         map[string]string   `json:"title"`
	Description   map[string]string   `json:"description"`
	Blank         bool                `json:"blank"`
	MinSelections string              `json:"min_selections"`
	MaxSelections string              `json:"max_selections"`
	MaxPerOption  string              `json:"max_per_option"`
	Options       []map[string]string `json:"options"`
}

// Problem is one mistake: in the form, at Field (a manifest path, "" for
// the whole), or in a roll file, at Line (from 1).
type Problem struct {
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrProblems is the answer's error when the input has Problems.
var ErrProblems = errors.New("the input has mistakes")

// The manifest's YAML form is election's (manifestYAML and its parts):
// the console writes what the parser reads.
type (
	manifestYAML = election.ManifestYAML
	scheduleYAML = election.ScheduleYAML
	trusteesYAML = election.TrusteesYAML
	trusteeYAML  = election.TrusteeYAML
	contestYAML  = election.ContestYAML
)

// problems collects Problems, one per field (the first found).
type problems struct{ list []Problem }

func (p *problems) add(field, code, format string, args ...any) {
	for _, q := range p.list {
		if q.Field == field {
			return
		}
	}
	p.list = append(p.list, Problem{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// addErr adds a parser's error: a *election.ManifestError at its field
// (renamed by rename), anything else at field.
func (p *problems) addErr(field string, err error, rename func(string) string) {
	var me *election.ManifestError
	if errors.As(err, &me) {
		f := me.Field
		if rename != nil {
			f = rename(f)
		}
		p.add(f, codeOf(err), "%s", me.Msg)
		return
	}
	p.add(field, codeOf(err), "%v", err)
}

// number reads an optional whole number of a form field.
func (p *problems) number(field, s string) *uint32 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		p.add(field, "not_a_number", "%q is not a whole number from 0 to %d", s, uint32(1<<32-1))
		return nil
	}
	v := uint32(n)
	return &v
}

// document turns the form into the manifest's YAML form, with authority,
// noting what cannot even be written there (numbers, trustee lines).
func (f *Form) document(authority election.AuthorityPublicKey, p *problems) *manifestYAML {
	y := &manifestYAML{
		Reference:   strings.TrimSpace(f.Reference),
		Authority:   authority.String(),
		Languages:   f.Languages,
		Title:       trimText(f.Title),
		Description: optional(f.Description),
		Revoting:    f.Revoting,
		Weights:     f.Weights,
		Schedule: scheduleYAML{
			DKGDealsBy:         strings.TrimSpace(f.Schedule.DKGDealsBy),
			DKGComplaintWindow: strings.TrimSpace(f.Schedule.DKGComplaintWindow),
			DKGResponseWindow:  strings.TrimSpace(f.Schedule.DKGResponseWindow),
			Open:               strings.TrimSpace(f.Schedule.Open),
			Close:              strings.TrimSpace(f.Schedule.Close),
		},
	}
	if t := p.number("trustees.threshold", f.Threshold); t != nil {
		y.Trustees.Threshold = *t
	} else if strings.TrimSpace(f.Threshold) == "" {
		p.add("trustees.threshold", "required", "required")
	}
	members, err := ParseTrusteeLines(f.Trustees)
	if err != nil {
		p.add("trustees.members", "trustee_lines", "%v", err)
	}
	y.Trustees.Members = members
	for i := range f.Contests {
		y.Contests = append(y.Contests, f.Contests[i].document(i, p))
	}
	return y
}

func (c *FormContest) document(i int, p *problems) contestYAML {
	field := fmt.Sprintf("contests[%d]", i)
	y := contestYAML{Type: strings.TrimSpace(c.Type), Title: trimText(c.Title), Description: optional(c.Description)}
	for _, o := range c.Options {
		y.Options = append(y.Options, trimText(o))
	}
	y.MaxSelections = p.number(field+".max_selections", c.MaxSelections)
	y.MaxPerOption = p.number(field+".max_per_option", c.MaxPerOption)
	minField := field + ".min_selections"
	if y.Type == "plurality" {
		minField = field + ".blank"
	}
	minimum := p.number(minField, c.MinSelections)
	switch {
	case minimum == nil && c.Blank:
	case minimum == nil:
		one := uint32(1)
		minimum = &one
	case c.Blank && *minimum > 0:
		p.add(minField, "blank_minimum", "a contest that allows a blank ballot has minimum 0, not %d", *minimum)
	case !c.Blank && *minimum == 0:
		p.add(minField, "blank_minimum", "minimum 0 allows a blank ballot: allow it, or set the minimum to 1 or more")
	}
	y.MinSelections = minimum
	return y
}

// trimText drops white space around each text.
func trimText(t map[string]string) map[string]string {
	if t == nil {
		return nil
	}
	out := make(map[string]string, len(t))
	for l, s := range t {
		out[l] = strings.TrimSpace(s)
	}
	return out
}

// optional leaves out a text that is empty in every language.
func optional(t map[string]string) map[string]string {
	t = trimText(t)
	for _, s := range t {
		if s != "" {
			return t
		}
	}
	return nil
}

// ParseTrusteeLines reads the trustees.members lines of one or more
// trustees, as `evote trustee init` prints them (a YAML list), pasted one
// after the other with whatever indentation the copy kept. The keys are
// checked by the manifest's parser.
func ParseTrusteeLines(text string) ([]trusteeYAML, error) {
	var norm strings.Builder
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || t == "trustees:" || t == "members:" || strings.HasPrefix(t, "#"):
		case strings.HasPrefix(t, "- "):
			norm.WriteString(t + "\n")
		default:
			norm.WriteString("  " + t + "\n")
		}
	}
	if norm.Len() == 0 {
		return nil, errors.New("no trustee: paste the lines each trustee's `evote trustee init` printed")
	}
	dec := yaml.NewDecoder(strings.NewReader(norm.String()))
	dec.KnownFields(true)
	var members []trusteeYAML
	if err := dec.Decode(&members); err != nil {
		return nil, fmt.Errorf("the trustees' lines are not a list of name, identity and encryption_key: %v", err)
	}
	for i, m := range members {
		if m.Name == "" || m.Identity == "" || m.EncryptionKey == "" {
			return members, fmt.Errorf("trustee %d: name, identity and encryption_key are all required", i+1)
		}
	}
	return members, nil
}

// encodeYAML writes a YAML document as `evote` does (two-space indent).
func encodeYAML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Checked is a checked form: the manifest and its YAML when it holds, the
// problems otherwise. YAML is always set: the manifest's own (every
// default written out) when valid, else what the form says so far.
type Checked struct {
	Manifest *election.Manifest
	ID       election.ID
	YAML     []byte
	Problems []Problem
}

// Check checks the form of an election whose authority is authority.
func Check(f *Form, authority election.AuthorityPublicKey) *Checked {
	var p problems
	doc := f.document(authority, &p)
	raw, err := encodeYAML(doc)
	if err != nil {
		p.add("", "failed", "%v", err)
		return &Checked{Problems: p.list}
	}
	m, err := election.ParseManifestYAML(raw)
	if err == nil && len(p.list) == 0 {
		out, err := m.YAML()
		if err != nil {
			p.add("", "failed", "%v", err)
			return &Checked{YAML: raw, Problems: p.list}
		}
		id, err := m.ID()
		if err != nil {
			p.add("", codeOf(err), "%v", err)
			return &Checked{YAML: raw, Problems: p.list}
		}
		return &Checked{Manifest: m, ID: id, YAML: out}
	}
	before := len(p.list)
	checkParts(doc, authority, &p)
	if err != nil && len(p.list) == before {
		p.addErr("", err, nil) // a rule of the whole (sizes, totals)
	}
	return &Checked{YAML: raw, Problems: p.list}
}

// checkParts finds the mistakes of the form's parts one by one, as the
// manifest's parser stops at the first: the election's own fields with a
// stand-in contest, then each contest in a stand-in election.
func checkParts(doc *manifestYAML, authority election.AuthorityPublicKey, p *problems) {
	head := *doc
	head.Contests = []contestYAML{standInContest(doc.Languages)}
	good := standIn(doc.Languages, authority)
	// Each mistake of the election's own fields is found, reported and
	// replaced by the stand-in's value, and the rest checked again.
	for range 16 {
		raw, err := encodeYAML(&head)
		if err != nil {
			break
		}
		_, err = election.ParseManifestYAML(raw)
		if err == nil {
			break
		}
		p.addErr("", err, nil)
		var me *election.ManifestError
		if !errors.As(err, &me) || !repair(&head, good, me.Field) {
			break
		}
	}
	if len(doc.Contests) == 0 {
		p.add("contests", "required", "at least one contest")
	}
	for i, c := range doc.Contests {
		one := standIn(doc.Languages, authority)
		one.Contests = []contestYAML{c}
		raw, err := encodeYAML(one)
		if err != nil {
			continue
		}
		_, err = election.ParseManifestYAML(raw)
		if err == nil {
			continue
		}
		prefix := fmt.Sprintf("contests[%d]", i)
		var me *election.ManifestError
		if !errors.As(err, &me) || !strings.HasPrefix(me.Field, "contests[0]") {
			continue // a problem of the stand-in (the languages): reported above
		}
		p.addErr(prefix, err, func(f string) string {
			f = prefix + strings.TrimPrefix(f, "contests[0]")
			if f == prefix && c.Type != "plurality" {
				// The selection rules: the maximum is what an official
				// most often gets wrong (above the options).
				f = prefix + ".max_selections"
			}
			return f
		})
	}
}

// repair replaces field of head by good's, reporting whether it could.
func repair(head, good *manifestYAML, field string) bool {
	top, _, _ := strings.Cut(field, ".")
	top, _, _ = strings.Cut(top, "[")
	switch {
	case top == "reference":
		head.Reference = ""
	case top == "title":
		head.Title = good.Title
	case top == "description":
		head.Description = nil
	case field == "schedule.close" || field == "schedule.open":
		head.Schedule.Open, head.Schedule.Close = "", ""
	case top == "schedule":
		s := &head.Schedule
		switch field {
		case "schedule.dkg_deals_by":
			s.DKGDealsBy = good.Schedule.DKGDealsBy
		case "schedule.dkg_complaint_window":
			s.DKGComplaintWindow = good.Schedule.DKGComplaintWindow
		case "schedule.dkg_response_window":
			s.DKGResponseWindow = good.Schedule.DKGResponseWindow
		default:
			return false
		}
	case field == "trustees.threshold":
		head.Trustees.Threshold = 1
	case top == "trustees":
		// The threshold is checked against the members: keep it in range.
		n := len(head.Trustees.Members)
		head.Trustees.Members = good.Trustees.Members
		if t := head.Trustees.Threshold; t >= 1 && int(t) <= n {
			head.Trustees.Threshold = 1
		}
	default:
		return false
	}
	return true
}

// standIn is a valid election around one contest, in the form's languages.
func standIn(languages []string, authority election.AuthorityPublicKey) *manifestYAML {
	text := map[string]string{}
	for _, l := range languages {
		text[l] = "x"
	}
	return &manifestYAML{
		Authority: authority.String(),
		Languages: languages,
		Title:     text,
		Schedule:  scheduleYAML{DKGDealsBy: "2030-01-01T00:00:00Z", DKGComplaintWindow: "1h", DKGResponseWindow: "1h"},
		Trustees: trusteesYAML{Threshold: 1, Members: []trusteeYAML{{
			Name:          "x",
			Identity:      election.TrusteePublicKey(authority).String(),
			EncryptionKey: standInEncryptionKey,
		}}},
	}
}

// standInEncryptionKey is X25519's base point (u = 9), a valid key.
const standInEncryptionKey = "x25519:0900000000000000000000000000000000000000000000000000000000000000"

func standInContest(languages []string) contestYAML {
	text := map[string]string{}
	for _, l := range languages {
		text[l] = "x"
	}
	return contestYAML{Type: "plurality", Title: text, Options: []map[string]string{text}}
}

// FormOf reads a manifest's YAML (an uploaded file) into the form. The
// file need not be valid: the form then shows its mistakes at their
// fields. It fails only on YAML that is not a manifest's form at all.
func FormOf(b []byte) (*Form, string, error) {
	if len(b) > 4*election.MaxManifestSize {
		return nil, "", fmt.Errorf("%w: YAML of %d bytes is too long", election.ErrInvalidManifest, len(b))
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var y manifestYAML
	if err := dec.Decode(&y); err != nil {
		return nil, "", fmt.Errorf("%w: YAML: %v", election.ErrInvalidManifest, err)
	}
	f := &Form{
		Reference:   y.Reference,
		Languages:   y.Languages,
		Title:       y.Title,
		Description: y.Description,
		Revoting:    y.Revoting,
		Weights:     y.Weights,
		Schedule: FormSchedule{
			DKGDealsBy: y.Schedule.DKGDealsBy, DKGComplaintWindow: y.Schedule.DKGComplaintWindow,
			DKGResponseWindow: y.Schedule.DKGResponseWindow, Open: y.Schedule.Open, Close: y.Schedule.Close,
		},
		Threshold: strconv.FormatUint(uint64(y.Trustees.Threshold), 10),
	}
	if len(y.Trustees.Members) > 0 {
		lines, err := encodeYAML(y.Trustees.Members)
		if err != nil {
			return nil, "", err
		}
		f.Trustees = string(lines)
	}
	num := func(p *uint32) string {
		if p == nil {
			return ""
		}
		return strconv.FormatUint(uint64(*p), 10)
	}
	for _, c := range y.Contests {
		fc := FormContest{Type: c.Type, Title: c.Title, Description: c.Description, Options: c.Options,
			MaxSelections: num(c.MaxSelections), MaxPerOption: num(c.MaxPerOption), MinSelections: num(c.MinSelections)}
		fc.Blank = c.MinSelections == nil || *c.MinSelections == 0
		if c.Type == "plurality" {
			fc.MinSelections = ""
		}
		f.Contests = append(f.Contests, fc)
	}
	return f, y.Authority, nil
}
