package election

import (
	"fmt"
	"math"
	"time"
)

// Tags of the manifest and the election id.
const (
	TagManifest   = "evote/v1/manifest"
	TagElectionID = "evote/v1/election-id"
)

const (
	flagRevoting = 1 << 0
	flagWeights  = 1 << 1
	flagsKnown   = flagRevoting | flagWeights
)

// MarshalBinary returns the canonical encoding (docs/spec/manifest.md). The
// manifest must be valid.
func (m *Manifest) MarshalBinary() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	e := encoder{b: make([]byte, 0, 1024)}
	e.tag(TagManifest)
	e.str(m.Reference)
	e.raw(m.Authority[:])
	e.u32(uint32(len(m.Languages)))
	for _, l := range m.Languages {
		e.str(l)
	}
	m.encodeText(&e, m.Title)
	m.encodeText(&e, m.Description)
	var flags uint8
	if m.Revoting {
		flags |= flagRevoting
	}
	if m.Weights {
		flags |= flagWeights
	}
	e.u8(flags)
	s := &m.Schedule
	e.u64(unixOrZero(s.DKGDealsBy))
	e.u64(uint64(s.DKGComplaintWindow / time.Second))
	e.u64(uint64(s.DKGResponseWindow / time.Second))
	e.u64(unixOrZero(s.Open))
	e.u64(unixOrZero(s.Close))
	e.u32(m.Trustees.Threshold)
	e.u32(uint32(len(m.Trustees.Members)))
	for _, t := range m.Trustees.Members {
		e.str(t.Name)
		e.raw(t.Identity[:])
		e.raw(t.EncryptionKey[:])
	}
	e.u32(uint32(len(m.Contests)))
	for i := range m.Contests {
		c := &m.Contests[i]
		e.u8(uint8(c.Type))
		m.encodeText(&e, c.Title)
		m.encodeText(&e, c.Description)
		e.u32(c.MinSelections)
		e.u32(c.MaxSelections)
		e.u32(c.MaxPerOption)
		e.u32(uint32(len(c.Options)))
		for _, o := range c.Options {
			m.encodeText(&e, o)
		}
	}
	if len(e.b) > MaxManifestSize {
		return nil, manifestErr("", "encoded manifest of %d bytes exceeds %d", len(e.b), MaxManifestSize)
	}
	return e.b, nil
}

// encodeText writes one string per language, in the order of Languages.
func (m *Manifest) encodeText(e *encoder, t Text) {
	for _, l := range m.Languages {
		e.str(t[l])
	}
}

func unixOrZero(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.Unix())
}

// DecodeManifest parses a canonical manifest encoding and validates it.
// Decoding errors match ErrMalformed, ErrWrongTag, ErrLimit or
// ErrTrailingBytes; a manifest that decodes but breaks a rule matches
// ErrInvalidManifest.
func DecodeManifest(b []byte) (*Manifest, error) {
	if len(b) > MaxManifestSize {
		return nil, fmt.Errorf("%w: manifest of %d bytes exceeds %d", ErrLimit, len(b), MaxManifestSize)
	}
	d := newDecoder(b)
	d.tag(TagManifest)
	m := &Manifest{}
	m.Reference = d.str("reference", MaxReferenceLen)
	copy(m.Authority[:], d.take(PublicKeySize, "authority"))
	nl := d.count("languages", MaxLanguages, 4)
	for i := 0; i < nl && d.err == nil; i++ {
		m.Languages = append(m.Languages, d.str("language", 35))
	}
	m.Title = m.decodeText(d, "title", MaxTitleLen)
	m.Description = m.decodeText(d, "description", MaxDescriptionLen)
	flags := d.u8("flags")
	if d.err == nil && flags&^flagsKnown != 0 {
		d.off--
		d.fail(ErrMalformed, "unknown flags %#x", flags)
	}
	m.Revoting, m.Weights = flags&flagRevoting != 0, flags&flagWeights != 0
	s := &m.Schedule
	s.DKGDealsBy = decodeTime(d, "dkg_deals_by")
	s.DKGComplaintWindow = decodeWindow(d, "dkg_complaint_window")
	s.DKGResponseWindow = decodeWindow(d, "dkg_response_window")
	s.Open = decodeTime(d, "open")
	s.Close = decodeTime(d, "close")
	m.Trustees.Threshold = d.u32("threshold")
	nt := d.count("trustees", MaxTrustees, 4+2*32)
	for i := 0; i < nt && d.err == nil; i++ {
		var t Trustee
		t.Name = d.str("trustee name", MaxTrusteeNameLen)
		copy(t.Identity[:], d.take(PublicKeySize, "trustee identity"))
		copy(t.EncryptionKey[:], d.take(32, "trustee encryption key"))
		m.Trustees.Members = append(m.Trustees.Members, t)
	}
	nc := d.count("contests", MaxContests, 1+16)
	for i := 0; i < nc && d.err == nil; i++ {
		var c Contest
		c.Type = QuestionType(d.u8("question type"))
		c.Title = m.decodeText(d, "contest title", MaxTitleLen)
		c.Description = m.decodeText(d, "contest description", MaxDescriptionLen)
		c.MinSelections = d.u32("min_selections")
		c.MaxSelections = d.u32("max_selections")
		c.MaxPerOption = d.u32("max_per_option")
		no := d.count("options", MaxOptions, 4*len(m.Languages))
		for j := 0; j < no && d.err == nil; j++ {
			c.Options = append(c.Options, m.decodeText(d, "option", MaxTitleLen))
		}
		m.Contests = append(m.Contests, c)
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Manifest) decodeText(d *decoder, what string, max int) Text {
	t := make(Text, len(m.Languages))
	for _, l := range m.Languages {
		if d.err != nil {
			return t
		}
		t[l] = d.str(what, max)
	}
	return t
}

// decodeTime reads u64 Unix seconds; 0 is the zero time.
func decodeTime(d *decoder, what string) time.Time {
	v := d.u64(what)
	if d.err != nil || v == 0 {
		return time.Time{}
	}
	if v > math.MaxInt64/2 {
		d.off -= 8
		d.fail(ErrLimit, "%s: %d seconds", what, v)
		return time.Time{}
	}
	return time.Unix(int64(v), 0).UTC()
}

// decodeWindow reads u64 seconds of at most MaxWindow.
func decodeWindow(d *decoder, what string) time.Duration {
	v := d.u64(what)
	if d.err != nil {
		return 0
	}
	if v > uint64(MaxWindow/time.Second) {
		d.off -= 8
		d.fail(ErrLimit, "%s: %d seconds exceeds %v", what, v, MaxWindow)
		return 0
	}
	return time.Duration(v) * time.Second
}
