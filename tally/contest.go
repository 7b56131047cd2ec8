package tally

import (
	"fmt"
	"io"

	"filippo.io/edwards25519"
	"github.com/cloudflare/circl/group"
)

// TagContest is the tag of an encrypted contest.
const TagContest = "evote/v1/contest"

// Limits of a contest.
const (
	// MaxOptions bounds the options of one contest.
	MaxOptions = 256
	// maxContextField bounds the election id and voter credential in a
	// ContestContext.
	maxContextField = 64
)

// ContestRules is the public statement every encrypted contest is proven
// against. Each option's plaintext lies in {0..MaxPerOption} (1 for
// approval and plurality questions, k for cumulative and score questions),
// and the sum of the plaintexts lies in {MinSelections..MaxSelections}.
type ContestRules struct {
	Options       int    `json:"options"`
	MaxPerOption  uint64 `json:"max_per_option"`
	MinSelections uint64 `json:"min_selections"`
	MaxSelections uint64 `json:"max_selections"`
}

// Validate checks that the rules describe a contest that can be voted and
// proven within the limits.
func (r ContestRules) Validate() error {
	switch {
	case r.Options < 1 || r.Options > MaxOptions:
		return fmt.Errorf("%w: %d options (1..%d)", ErrInvalidInput, r.Options, MaxOptions)
	case r.MaxPerOption < 1 || r.MaxPerOption >= maxBranches:
		return fmt.Errorf("%w: per-option maximum %d (1..%d)", ErrInvalidInput, r.MaxPerOption, maxBranches-1)
	case r.MinSelections > r.MaxSelections:
		return fmt.Errorf("%w: minimum selections %d above maximum %d", ErrInvalidInput, r.MinSelections, r.MaxSelections)
	case r.MaxSelections < 1 || r.MaxSelections > uint64(r.Options)*r.MaxPerOption:
		return fmt.Errorf("%w: maximum selections %d (1..%d)", ErrInvalidInput, r.MaxSelections, uint64(r.Options)*r.MaxPerOption)
	case r.HasSelectionsProof() && r.MaxSelections-r.MinSelections >= maxBranches:
		return fmt.Errorf("%w: selection range %d..%d wider than %d", ErrInvalidInput, r.MinSelections, r.MaxSelections, maxBranches)
	}
	return nil
}

// HasSelectionsProof reports whether the rules restrict the sum beyond what
// the per-option proofs already imply, in which case an encrypted contest
// carries a proof that the sum lies in {MinSelections..MaxSelections}.
func (r ContestRules) HasSelectionsProof() bool {
	return r.MinSelections > 0 || r.MaxSelections < uint64(r.Options)*r.MaxPerOption
}

func (r ContestRules) optionValues() []uint64    { return valueRange(0, r.MaxPerOption) }
func (r ContestRules) selectionValues() []uint64 { return valueRange(r.MinSelections, r.MaxSelections) }

// EncodedSize is the length of an encrypted contest under these rules.
func (r ContestRules) EncodedSize() int {
	n := 1 + len(TagContest) + 2 + r.Options*(2*PointSize+membershipProofSize(int(r.MaxPerOption)+1))
	if r.HasSelectionsProof() {
		n += membershipProofSize(int(r.MaxSelections - r.MinSelections + 1))
	}
	return n
}

// ContestContext binds a contest's proofs to one election, one voter and one
// position on the ballot; a proof moved to any other fails.
type ContestContext struct {
	ElectionID []byte // the election id (at most 64 bytes)
	Voter      []byte // the voter's credential public key (at most 64 bytes)
	Contest    uint32 // the contest's position on the ballot
}

// bytes is the context field of the contest's transcripts:
// bytes(ElectionID) || bytes(Voter) || u32 Contest.
func (c ContestContext) bytes() ([]byte, error) {
	if len(c.ElectionID) == 0 || len(c.ElectionID) > maxContextField || len(c.Voter) == 0 || len(c.Voter) > maxContextField {
		return nil, fmt.Errorf("%w: election id and voter must be 1..%d bytes", ErrInvalidInput, maxContextField)
	}
	e := encoderOn(make([]byte, 0, 12+len(c.ElectionID)+len(c.Voter)))
	e.Bytes(c.ElectionID)
	e.Bytes(c.Voter)
	e.U32(c.Contest)
	return e.B, nil
}

// optionTranscript is the hash input of option i's proof:
// ctx, u32 i, H, A||B, values, commitments.
func optionTranscript(ctx []byte, option int, pk, ab, values, commitments []byte) *transcript {
	t := newTranscript(TagOptionProof)
	t.field(ctx)
	var idx [4]byte
	idx[0], idx[1], idx[2], idx[3] = byte(option>>24), byte(option>>16), byte(option>>8), byte(option)
	t.field(idx[:])
	t.field(pk)
	t.field(ab)
	t.field(values)
	t.field(commitments)
	return t
}

// selectionsTranscript is the hash input of the selections proof:
// ctx, H, A_0||B_0||...||A_{n-1}||B_{n-1}, values, commitments.
func selectionsTranscript(ctx, pk, ciphertexts, values, commitments []byte) *transcript {
	t := newTranscript(TagSelectionsProof)
	t.field(ctx)
	t.field(pk)
	t.field(ciphertexts)
	t.field(values)
	t.field(commitments)
	return t
}

// EncryptedContest is one contest of a ballot: a ciphertext per option,
// a proof per option that it encrypts a value in {0..MaxPerOption}, and,
// when the rules ask for it, a proof that the sum lies in the allowed range.
type EncryptedContest struct {
	Ciphertexts []*Ciphertext
	options     []*membershipProof
	selections  *membershipProof // nil when !rules.HasSelectionsProof()
	// encoded caches the encodings EncryptContest computed, for
	// MarshalBinary; an entry is used only while the ciphertext and its
	// elements are still the ones it was made for.
	encoded []encodedCiphertext
}

type encodedCiphertext struct {
	ct   *Ciphertext
	a, b group.Element
	ab   []byte
}

func (x *encodedCiphertext) matches(ct *Ciphertext) bool {
	return x.ct == ct && x.a == ct.A && x.b == ct.B
}

// ContestSecrets is what the voter's device keeps to open an encrypted
// contest (a Benaloh challenge): the choices and each option's randomness.
// It is never part of a cast ballot.
type ContestSecrets struct {
	Choices    []uint64
	Randomness []group.Scalar
}

// EncryptContest encrypts the voter's choices (one value per option) under
// pk and proves that they satisfy the rules, binding every proof to cc. The
// proofs are constant time in the choices.
func EncryptContest(pk *PublicKey, cc ContestContext, rules ContestRules, choices []uint64, rnd io.Reader) (*EncryptedContest, *ContestSecrets, error) {
	if err := rules.Validate(); err != nil {
		return nil, nil, err
	}
	ctx, err := cc.bytes()
	if err != nil {
		return nil, nil, err
	}
	if len(choices) != rules.Options {
		return nil, nil, fmt.Errorf("%w: %d choices for %d options", ErrInvalidInput, len(choices), rules.Options)
	}
	// Validity is accumulated without branching on individual choices.
	var sum, over uint64
	for _, m := range choices {
		sum += m
		over |= (rules.MaxPerOption - m) >> 63 // set when m > MaxPerOption (both < 2^63)
		over |= m >> 62
	}
	if over != 0 {
		return nil, nil, fmt.Errorf("%w: a choice exceeds the per-option maximum %d", ErrInvalidInput, rules.MaxPerOption)
	}
	if sum < rules.MinSelections || sum > rules.MaxSelections {
		return nil, nil, fmt.Errorf("%w: %d selections outside %d..%d", ErrInvalidInput, sum, rules.MinSelections, rules.MaxSelections)
	}

	// First move of every proof: the ciphertexts and all commitments, as
	// halves (fixedbase.go), reading the randomness in the order of the
	// specification (r_i, then each branch of option i, ...; then the
	// selections proof's branches); then one batch encoding; then the
	// challenges and responses.
	tbl := pk.table()
	half := tbl.half
	optValues := rules.optionValues()
	// mG/2 for every allowed m, selected in constant time.
	smallG := make([]*edwards25519.Point, len(optValues))
	smallG[0] = edwards25519.NewIdentityPoint()
	for v := 1; v < len(smallG); v++ {
		smallG[v] = new(edwards25519.Point).Add(smallG[v-1], tbl.gHalf)
	}
	secrets := &ContestSecrets{Choices: append([]uint64(nil), choices...), Randomness: make([]group.Scalar, rules.Options)}
	provers := make([]*membershipProver, rules.Options)
	points := make([]*edwards25519.Point, 0, rules.Options*2*(len(optValues)+1)+2*int(rules.MaxSelections-rules.MinSelections+1))
	R, M := edwards25519.NewScalar(), edwards25519.NewScalar()
	for i, mv := range choices {
		r, err := randomNonZeroScalar(rnd)
		if err != nil {
			return nil, nil, err
		}
		rE, mE := edScalar(r), edScalarUint64(mv)
		rh := edwards25519.NewScalar().Multiply(rE, half)
		a := new(edwards25519.Point).ScalarBaseMult(rh)
		b := tbl.mul(rh.Bytes())
		b.Add(b, selectPoint(smallG, mv))
		if provers[i], err = commitMembership(tbl, rE, mE, int(mv), optValues, rnd); err != nil {
			return nil, nil, err
		}
		points = append(points, a, b)
		points = append(points, provers[i].half...)
		secrets.Randomness[i] = r
		R.Add(R, rE)
		M.Add(M, mE)
	}
	var sel *membershipProver
	var selValues []uint64
	if rules.HasSelectionsProof() {
		selValues = rules.selectionValues()
		var err error
		if sel, err = commitMembership(tbl, R, M, int(sum-rules.MinSelections), selValues, rnd); err != nil {
			return nil, nil, err
		}
		points = append(points, sel.half...)
	}
	enc := make([]byte, len(points)*PointSize)
	encodeDoubled(points, enc)

	pkBytes := pk.Bytes()
	optValuesEnc := encodeValues(optValues)
	out := &EncryptedContest{
		Ciphertexts: make([]*Ciphertext, rules.Options),
		options:     make([]*membershipProof, rules.Options),
		encoded:     make([]encodedCiphertext, rules.Options),
	}
	allCT := make([]byte, 0, 2*PointSize*rules.Options)
	off := 0
	for i := range choices {
		ab := enc[off : off+2*PointSize : off+2*PointSize]
		commitments := enc[off+2*PointSize : off+2*PointSize+len(provers[i].half)*PointSize]
		off += 2*PointSize + len(commitments)
		ct, err := ciphertextFromBytes(ab)
		if err != nil {
			return nil, nil, err
		}
		allCT = append(allCT, ab...)
		ch := optionTranscript(ctx, i, pkBytes, ab, optValuesEnc, commitments).challengeBytes()
		out.Ciphertexts[i], out.options[i] = ct, provers[i].finish(ch, commitments)
		out.encoded[i] = encodedCiphertext{ct: ct, a: ct.A, b: ct.B, ab: ab}
	}
	if sel != nil {
		commitments := enc[off:]
		ch := selectionsTranscript(ctx, pkBytes, allCT, encodeValues(selValues), commitments).challengeBytes()
		out.selections = sel.finish(ch, commitments)
	}
	return out, secrets, nil
}

// ciphertextFromBytes decodes A ‖ B computed by this package.
func ciphertextFromBytes(ab []byte) (*Ciphertext, error) {
	a, err := decodePoint(ab[:PointSize], true)
	if err != nil {
		return nil, err
	}
	b, err := decodePoint(ab[PointSize:], true)
	if err != nil {
		return nil, err
	}
	return &Ciphertext{A: a, B: b}, nil
}

// MarshalBinary encodes the contest:
//
//	tag "evote/v1/contest", u16 option count,
//	per option: A, B, its proof; then the selections proof if the rules have one.
//
// A proof over n values is A_0, B_0, ..., A_{n-1}, B_{n-1}, c_0..c_{n-2}, z_0..z_{n-1}.
func (c *EncryptedContest) MarshalBinary() ([]byte, error) {
	e := encoder{}
	if len(c.encoded) > 0 {
		n := len(TagContest) + 3 + len(c.Ciphertexts)*2*PointSize
		for _, p := range c.options {
			n += len(p.Commit) + ScalarSize*(len(p.C)+len(p.Z))
		}
		if c.selections != nil {
			n += len(c.selections.Commit) + ScalarSize*(len(c.selections.C)+len(c.selections.Z))
		}
		e.B = make([]byte, 0, n)
	}
	e.Tag(TagContest)
	e.U16(uint16(len(c.Ciphertexts)))
	for i, ct := range c.Ciphertexts {
		if i < len(c.encoded) && c.encoded[i].matches(ct) {
			e.B = append(e.B, c.encoded[i].ab...)
		} else {
			ct.encode(&e)
		}
		c.options[i].encode(&e)
	}
	if c.selections != nil {
		c.selections.encode(&e)
	}
	return e.B, nil
}

// DecodeContest parses an encrypted contest under rules, checking that every
// element and scalar is canonical and that no ciphertext's A is the identity.
// It does not verify the proofs: use VerifyContest or VerifyContestBatch.
func DecodeContest(rules ContestRules, b []byte) (*EncryptedContest, error) {
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	d := newDecoder(b)
	d.Tag(TagContest)
	if n := int(d.U16("option count")); d.Err == nil && n != rules.Options {
		d.Fail(ErrMalformed, "%d options, the rules have %d", n, rules.Options)
	}
	out := &EncryptedContest{
		Ciphertexts: make([]*Ciphertext, rules.Options),
		options:     make([]*membershipProof, rules.Options),
	}
	nOpt := int(rules.MaxPerOption) + 1
	for i := 0; i < rules.Options && d.Err == nil; i++ {
		out.Ciphertexts[i] = decodeCiphertext(d, fmt.Sprintf("option %d", i), false)
		out.options[i] = decodeMembershipProof(d, nOpt, fmt.Sprintf("option %d proof", i))
	}
	if rules.HasSelectionsProof() {
		out.selections = decodeMembershipProof(d, int(rules.MaxSelections-rules.MinSelections+1), "selections proof")
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return out, nil
}

func decodeMembershipProof(d *decoder, n int, what string) *membershipProof {
	p := &membershipProof{Commit: make([]byte, 0, 2*PointSize*n), C: make([]group.Scalar, n-1), Z: make([]group.Scalar, n)}
	for j := 0; j < 2*n && d.Err == nil; j++ {
		if q := d.pointOrIdentity(what+" commitment", true); q != nil {
			p.Commit = appendPoint(p.Commit, q)
		}
	}
	for j := range p.C {
		p.C[j] = d.scalar(what + " challenge")
	}
	for j := range p.Z {
		p.Z[j] = d.scalar(what + " response")
	}
	if d.Err != nil {
		return nil
	}
	return p
}

// CheckOpening verifies a Benaloh challenge: that each ciphertext of the
// contest is the encryption of the revealed choice with the revealed
// randomness, so the device encrypted what the voter saw. An opened contest
// must never be cast.
func CheckOpening(pk *PublicKey, c *EncryptedContest, s *ContestSecrets) error {
	if len(s.Choices) != len(c.Ciphertexts) || len(s.Randomness) != len(c.Ciphertexts) {
		return fmt.Errorf("%w: opening has %d choices and %d randomness values for %d options",
			ErrInvalidInput, len(s.Choices), len(s.Randomness), len(c.Ciphertexts))
	}
	for i, ct := range c.Ciphertexts {
		if !EncryptWithRandomness(pk, s.Choices[i], s.Randomness[i]).Equal(ct) {
			return &VerifyError{Item: fmt.Sprintf("option %d", i), Err: fmt.Errorf("%w: ciphertext does not open to choice %d", ErrInvalidProof, s.Choices[i])}
		}
	}
	return nil
}

// ContestCiphertexts decodes only the ciphertexts of an encoded contest (for
// adding a verified ballot to the running tally without decoding its proofs).
func ContestCiphertexts(rules ContestRules, b []byte) ([]*Ciphertext, error) {
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	rc, err := parseContest(rules, b)
	if err != nil {
		return nil, err
	}
	out := make([]*Ciphertext, len(rc.ciphertexts))
	for i, ab := range rc.ciphertexts {
		d := newDecoder(ab)
		out[i] = decodeCiphertext(d, fmt.Sprintf("option %d", i), false)
		if err := d.Finish(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ContestCiphertextBytes returns the encoded ciphertexts (A ‖ B) of an
// encoded contest, one per option, after checking only its structure: the
// points are decoded by whoever uses them (CiphertextSum.Update checks
// them). The slices alias b.
func ContestCiphertextBytes(rules ContestRules, b []byte) ([][]byte, error) {
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	rc, err := parseContest(rules, b)
	if err != nil {
		return nil, err
	}
	return rc.ciphertexts, nil
}
