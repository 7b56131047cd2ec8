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
	e := encoderOn(make([]byte, 0, 1024))
	e.Tag(TagManifest)
	e.Str(m.Reference)
	e.Raw(m.Authority[:])
	e.U32(uint32(len(m.Languages)))
	for _, l := range m.Languages {
		e.Str(l)
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
	e.U8(flags)
	s := &m.Schedule
	e.U64(unixOrZero(s.DKGDealsBy))
	e.U64(uint64(s.DKGComplaintWindow / time.Second))
	e.U64(uint64(s.DKGResponseWindow / time.Second))
	e.U64(unixOrZero(s.Open))
	e.U64(unixOrZero(s.Close))
	e.U32(m.Trustees.Threshold)
	e.U32(uint32(len(m.Trustees.Members)))
	for _, t := range m.Trustees.Members {
		e.Str(t.Name)
		e.Raw(t.Identity[:])
		e.Raw(t.EncryptionKey[:])
	}
	e.U32(uint32(len(m.Contests)))
	for i := range m.Contests {
		c := &m.Contests[i]
		e.U8(uint8(c.Type))
		m.encodeText(&e, c.Title)
		m.encodeText(&e, c.Description)
		e.U32(c.MinSelections)
		e.U32(c.MaxSelections)
		e.U32(c.MaxPerOption)
		e.U32(uint32(len(c.Options)))
		for _, o := range c.Options {
			m.encodeText(&e, o)
		}
	}
	if len(e.B) > MaxManifestSize {
		return nil, manifestErr("", "encoded manifest of %d bytes exceeds %d", len(e.B), MaxManifestSize)
	}
	return e.B, nil
}

// encodeText writes one string per language, in the order of Languages.
func (m *Manifest) encodeText(e *encoder, t Text) {
	for _, l := range m.Languages {
		e.Str(t[l])
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
	d.Tag(TagManifest)
	m := &Manifest{}
	m.Reference = d.Str("reference", MaxReferenceLen)
	copy(m.Authority[:], d.Take(PublicKeySize, "authority"))
	nl := d.Count("languages", MaxLanguages, 4)
	for i := 0; i < nl && d.Err == nil; i++ {
		m.Languages = append(m.Languages, d.Str("language", 35))
	}
	m.Title = m.decodeText(d, "title", MaxTitleLen)
	m.Description = m.decodeText(d, "description", MaxDescriptionLen)
	flags := d.U8("flags")
	if d.Err == nil && flags&^flagsKnown != 0 {
		d.Off--
		d.Fail(ErrMalformed, "unknown flags %#x", flags)
	}
	m.Revoting, m.Weights = flags&flagRevoting != 0, flags&flagWeights != 0
	s := &m.Schedule
	s.DKGDealsBy = decodeTime(d, "dkg_deals_by")
	s.DKGComplaintWindow = decodeWindow(d, "dkg_complaint_window")
	s.DKGResponseWindow = decodeWindow(d, "dkg_response_window")
	s.Open = decodeTime(d, "open")
	s.Close = decodeTime(d, "close")
	m.Trustees.Threshold = d.U32("threshold")
	nt := d.Count("trustees", MaxTrustees, 4+2*32)
	for i := 0; i < nt && d.Err == nil; i++ {
		var t Trustee
		t.Name = d.Str("trustee name", MaxTrusteeNameLen)
		copy(t.Identity[:], d.Take(PublicKeySize, "trustee identity"))
		copy(t.EncryptionKey[:], d.Take(32, "trustee encryption key"))
		m.Trustees.Members = append(m.Trustees.Members, t)
	}
	nc := d.Count("contests", MaxContests, 1+16)
	for i := 0; i < nc && d.Err == nil; i++ {
		var c Contest
		c.Type = QuestionType(d.U8("question type"))
		c.Title = m.decodeText(d, "contest title", MaxTitleLen)
		c.Description = m.decodeText(d, "contest description", MaxDescriptionLen)
		c.MinSelections = d.U32("min_selections")
		c.MaxSelections = d.U32("max_selections")
		c.MaxPerOption = d.U32("max_per_option")
		no := d.Count("options", MaxOptions, 4*len(m.Languages))
		for j := 0; j < no && d.Err == nil; j++ {
			c.Options = append(c.Options, m.decodeText(d, "option", MaxTitleLen))
		}
		m.Contests = append(m.Contests, c)
	}
	if err := d.Finish(); err != nil {
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
		if d.Err != nil {
			return t
		}
		t[l] = d.Str(what, max)
	}
	return t
}

// decodeTime reads u64 Unix seconds; 0 is the zero time.
func decodeTime(d *decoder, what string) time.Time {
	v := d.U64(what)
	if d.Err != nil || v == 0 {
		return time.Time{}
	}
	if v > math.MaxInt64/2 {
		d.Off -= 8
		d.Fail(ErrLimit, "%s: %d seconds", what, v)
		return time.Time{}
	}
	return time.Unix(int64(v), 0).UTC()
}

// decodeWindow reads u64 seconds of at most MaxWindow.
func decodeWindow(d *decoder, what string) time.Duration {
	v := d.U64(what)
	if d.Err != nil {
		return 0
	}
	if v > uint64(MaxWindow/time.Second) {
		d.Off -= 8
		d.Fail(ErrLimit, "%s: %d seconds exceeds %v", what, v, MaxWindow)
		return 0
	}
	return time.Duration(v) * time.Second
}
