package tally

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

var (
	approval3of5 = ContestRules{Options: 5, MaxPerOption: 1, MinSelections: 1, MaxSelections: 3}
	plurality    = ContestRules{Options: 4, MaxPerOption: 1, MinSelections: 1, MaxSelections: 1}
	score        = ContestRules{Options: 3, MaxPerOption: 5, MinSelections: 0, MaxSelections: 15}
	cumulative   = ContestRules{Options: 4, MaxPerOption: 3, MinSelections: 2, MaxSelections: 6}
	approvalAny  = ContestRules{Options: 3, MaxPerOption: 1, MinSelections: 0, MaxSelections: 3}
)

func testContext(voter string, contest uint32) ContestContext {
	return ContestContext{ElectionID: []byte("election-0001"), Voter: []byte(voter), Contest: contest}
}

func mustKey(t testing.TB, rnd io.Reader) *PublicKey {
	t.Helper()
	sk, err := GenerateKey(rnd)
	if err != nil {
		t.Fatal(err)
	}
	return sk.Public()
}

func encryptContest(t testing.TB, pk *PublicKey, cc ContestContext, rules ContestRules, choices []uint64, rnd io.Reader) ([]byte, *EncryptedContest, *ContestSecrets) {
	t.Helper()
	c, s, err := EncryptContest(pk, cc, rules, choices, rnd)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != rules.EncodedSize() {
		t.Fatalf("encoded size %d, rules say %d", len(b), rules.EncodedSize())
	}
	return b, c, s
}

func TestContestRoundTrip(t *testing.T) {
	rnd := seeded("contest round trip")
	pk := mustKey(t, rnd)
	cases := []struct {
		rules   ContestRules
		choices [][]uint64
	}{
		{approval3of5, [][]uint64{{1, 0, 0, 0, 0}, {0, 1, 1, 0, 0}, {1, 1, 1, 0, 0}, {0, 0, 1, 1, 1}}},
		{plurality, [][]uint64{{1, 0, 0, 0}, {0, 0, 0, 1}}},
		{score, [][]uint64{{0, 0, 0}, {5, 5, 5}, {2, 0, 4}}},
		{cumulative, [][]uint64{{2, 0, 0, 0}, {3, 3, 0, 0}, {1, 1, 1, 1}}},
		{approvalAny, [][]uint64{{0, 0, 0}, {1, 1, 1}}},
		{ContestRules{Options: 1, MaxPerOption: 1, MinSelections: 1, MaxSelections: 1}, [][]uint64{{1}}},
	}
	for _, tc := range cases {
		for _, ch := range tc.choices {
			cc := testContext("voter-a", 2)
			b, c, s := encryptContest(t, pk, cc, tc.rules, ch, rnd)
			if err := VerifyContest(pk, cc, tc.rules, b); err != nil {
				t.Fatalf("%+v %v: %v", tc.rules, ch, err)
			}
			d, err := DecodeContest(tc.rules, b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			b2, _ := d.MarshalBinary()
			if string(b2) != string(b) {
				t.Fatal("decode and re-encode changed the bytes")
			}
			if err := CheckOpening(pk, c, s); err != nil {
				t.Fatalf("opening: %v", err)
			}
		}
	}
}

func TestEncryptContestRejectsInvalidChoices(t *testing.T) {
	rnd := seeded("invalid choices")
	pk := mustKey(t, rnd)
	cc := testContext("voter-a", 0)
	for _, tc := range []struct {
		rules   ContestRules
		choices []uint64
	}{
		{approval3of5, []uint64{0, 0, 0, 0, 0}}, // below min
		{approval3of5, []uint64{1, 1, 1, 1, 0}}, // above max
		{approval3of5, []uint64{2, 0, 0, 0, 0}}, // above per-option max
		{approval3of5, []uint64{1, 0, 0, 0}},    // wrong length
		{score, []uint64{1 << 63, 0, 0}},        // huge
		{ContestRules{Options: 0, MaxPerOption: 1, MaxSelections: 1}, nil},
		{ContestRules{Options: 2, MaxPerOption: 1, MinSelections: 2, MaxSelections: 1}, []uint64{1, 1}},
		{ContestRules{Options: 2, MaxPerOption: 0, MaxSelections: 1}, []uint64{0, 0}},
	} {
		if _, _, err := EncryptContest(pk, cc, tc.rules, tc.choices, rnd); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%+v %v: got %v, want ErrInvalidInput", tc.rules, tc.choices, err)
		}
	}
	if _, _, err := EncryptContest(pk, ContestContext{Voter: []byte("v")}, plurality, []uint64{1, 0, 0, 0}, rnd); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("empty election id: got %v", err)
	}
}

// wantProofFailure checks that err is a *VerifyError for item wrapping ErrInvalidProof.
func wantProofFailure(t *testing.T, err error, item string) {
	t.Helper()
	var ve *VerifyError
	if !errors.Is(err, ErrInvalidProof) || !errors.As(err, &ve) || ve.Item != item {
		t.Fatalf("got %v, want an invalid proof of %q", err, item)
	}
}

func TestContestProofsAreBoundToTheirContext(t *testing.T) {
	rnd := seeded("binding")
	pk := mustKey(t, rnd)
	cc := testContext("voter-a", 1)
	b, _, _ := encryptContest(t, pk, cc, approval3of5, []uint64{0, 1, 0, 1, 0}, rnd)

	// Another voter's credential, another election, another contest position.
	wantProofFailure(t, VerifyContest(pk, testContext("voter-b", 1), approval3of5, b), "option 0")
	other := cc
	other.ElectionID = []byte("election-0002")
	wantProofFailure(t, VerifyContest(pk, other, approval3of5, b), "option 0")
	wantProofFailure(t, VerifyContest(pk, testContext("voter-a", 2), approval3of5, b), "option 0")
	// Another election key.
	wantProofFailure(t, VerifyContest(mustKey(t, rnd), cc, approval3of5, b), "option 0")
	// Other rules with the same shape of encoding: the statement changes.
	wantProofFailure(t, VerifyContest(pk, cc, ContestRules{Options: 5, MaxPerOption: 1, MinSelections: 2, MaxSelections: 4}, b), "selections")
}

// optionSpan returns the byte range of option i (ciphertext and proof).
func optionSpan(rules ContestRules, i int) (int, int) {
	per := 2*PointSize + membershipProofSize(int(rules.MaxPerOption)+1)
	start := 1 + len(TagContest) + 2 + i*per
	return start, start + per
}

func TestContestProofCopiedToAnotherPositionOrCiphertextFails(t *testing.T) {
	rnd := seeded("copy")
	pk := mustKey(t, rnd)
	cc := testContext("voter-a", 0)
	b, _, _ := encryptContest(t, pk, cc, approval3of5, []uint64{1, 0, 0, 0, 0}, rnd)

	// Swap options 0 and 1 (ciphertext and proof together): the proofs are
	// bound to their positions.
	swapped := append([]byte(nil), b...)
	s0, e0 := optionSpan(approval3of5, 0)
	s1, e1 := optionSpan(approval3of5, 1)
	copy(swapped[s0:e0], b[s1:e1])
	copy(swapped[s1:e1], b[s0:e0])
	wantProofFailure(t, VerifyContest(pk, cc, approval3of5, swapped), "option 0")

	// Option 0's proof next to another voter's ciphertext for the same choice.
	b2, _, _ := encryptContest(t, pk, cc, approval3of5, []uint64{1, 0, 0, 0, 0}, rnd)
	mixed := append([]byte(nil), b...)
	copy(mixed[s0:s0+2*PointSize], b2[s0:s0+2*PointSize])
	wantProofFailure(t, VerifyContest(pk, cc, approval3of5, mixed), "option 0")

	// A whole ballot contest copied from voter a and submitted as voter b's.
	wantProofFailure(t, VerifyContest(pk, testContext("voter-b", 0), approval3of5, b), "option 0")
}

// TestProofWithoutStatementInHashFails: a "weak Fiat-Shamir" proof, whose
// challenge leaves the ciphertext out of the hash, is rejected.
func TestProofWithoutStatementInHashFails(t *testing.T) {
	rnd := seeded("weak fiat-shamir")
	sk, _ := GenerateKey(rnd)
	pk := sk.Public()
	rules := ContestRules{Options: 1, MaxPerOption: 1, MinSelections: 0, MaxSelections: 1}
	cc := testContext("voter-a", 0)
	ctx, _ := cc.bytes()
	r, _ := RandomScalar(rnd)
	ct := EncryptWithRandomness(pk, 1, r)
	values := rules.optionValues()
	weak, err := proveMembership(pk, r, scalarFromUint64(1), 1, values, func(commitments []byte) *transcript {
		return optionTranscript(ctx, 0, pk.Bytes(), nil, encodeValues(values), commitments)
	}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	c := &EncryptedContest{Ciphertexts: []*Ciphertext{ct}, options: []*membershipProof{weak}}
	b, _ := c.MarshalBinary()
	wantProofFailure(t, VerifyContest(pk, cc, rules, b), "option 0")
}

// TestCheatingProverFails: a device that encrypts 2 in an approval contest
// cannot make a valid proof, whichever branch it pretends is real.
func TestCheatingProverFails(t *testing.T) {
	rnd := seeded("cheat")
	pk := mustKey(t, rnd)
	rules := ContestRules{Options: 2, MaxPerOption: 1, MinSelections: 0, MaxSelections: 2}
	cc := testContext("voter-a", 0)
	ctx, _ := cc.bytes()
	values := rules.optionValues()
	for branch := 0; branch < 2; branch++ {
		c := &EncryptedContest{}
		for i := 0; i < 2; i++ {
			r, _ := RandomScalar(rnd)
			ct := EncryptWithRandomness(pk, 2, r)
			ab := ct.Bytes()
			p, err := proveMembership(pk, r, scalarFromUint64(2), branch, values, func(commitments []byte) *transcript {
				return optionTranscript(ctx, i, pk.Bytes(), ab, encodeValues(values), commitments)
			}, rnd)
			if err != nil {
				t.Fatal(err)
			}
			c.Ciphertexts = append(c.Ciphertexts, ct)
			c.options = append(c.options, p)
		}
		b, _ := c.MarshalBinary()
		wantProofFailure(t, VerifyContest(pk, cc, rules, b), "option 0")
	}
}

func TestSelectionsOverTheLimitFail(t *testing.T) {
	rnd := seeded("overvote")
	pk := mustKey(t, rnd)
	cc := testContext("voter-a", 0)
	// Four valid option proofs of 1, but the rules allow at most 3: the
	// selections proof cannot be made honestly; take one from another
	// ballot with 3 selections.
	loose := ContestRules{Options: 5, MaxPerOption: 1, MinSelections: 0, MaxSelections: 5}
	over, _, _ := encryptContest(t, pk, cc, loose, []uint64{1, 1, 1, 1, 0}, rnd)
	honest, _, _ := encryptContest(t, pk, cc, approval3of5, []uint64{1, 1, 1, 0, 0}, rnd)
	_, end := optionSpan(approval3of5, 4)
	forged := append(append([]byte(nil), over...), honest[end:]...)
	wantProofFailure(t, VerifyContest(pk, cc, approval3of5, forged), "selections")
}

func TestContestDecodingRejections(t *testing.T) {
	rnd := seeded("decoding")
	pk := mustKey(t, rnd)
	cc := testContext("voter-a", 0)
	b, _, _ := encryptContest(t, pk, cc, approval3of5, []uint64{1, 0, 1, 0, 0}, rnd)
	s0, _ := optionSpan(approval3of5, 0)
	mutate := func(f func(m []byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"truncated", b[:len(b)-1], ErrMalformed},
		{"trailing byte", append(append([]byte(nil), b...), 0), ErrTrailingBytes},
		{"wrong tag", mutate(func(m []byte) []byte { m[1] ^= 1; return m }), ErrWrongTag},
		{"option count", mutate(func(m []byte) []byte { m[s0-1] = 4; return m }), ErrMalformed},
		{"identity A", mutate(func(m []byte) []byte { clear(m[s0 : s0+PointSize]); return m }), ErrIdentity},
		{"non-canonical A", mutate(func(m []byte) []byte { m[s0+PointSize-1] |= 0x80; return m }), ErrNonCanonical},
		{"non-canonical response", mutate(func(m []byte) []byte {
			_, e := optionSpan(approval3of5, 0)
			for i := e - ScalarSize; i < e; i++ {
				m[i] = 0xff
			}
			return m
		}), ErrNonCanonical},
		{"empty", nil, ErrMalformed},
	}
	for _, tc := range cases {
		if err := VerifyContest(pk, cc, approval3of5, tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: VerifyContest got %v, want %v", tc.name, err, tc.want)
		}
		if _, err := DecodeContest(approval3of5, tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: DecodeContest got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestEveryBitFlipIsCaught(t *testing.T) {
	rnd := seeded("bit flips")
	pk := mustKey(t, rnd)
	cc := testContext("voter-a", 0)
	rules := ContestRules{Options: 2, MaxPerOption: 1, MinSelections: 1, MaxSelections: 1}
	b, _, _ := encryptContest(t, pk, cc, rules, []uint64{0, 1}, rnd)
	for i := 0; i < len(b); i++ {
		m := append([]byte(nil), b...)
		m[i] ^= 1 << (i % 8)
		if err := VerifyContest(pk, cc, rules, m); err == nil {
			t.Fatalf("flipping bit %d of byte %d went unnoticed", i%8, i)
		}
	}
}

func TestContestBatch(t *testing.T) {
	rnd := seeded("batch")
	pk := mustKey(t, rnd)
	rulesFor := func(i int) ContestRules {
		if i%3 == 0 {
			return score
		}
		return approval3of5
	}
	var items []ContestItem
	for i := 0; i < 24; i++ {
		cc := testContext(fmt.Sprintf("voter-%d", i), uint32(i%2))
		choices := []uint64{1, 0, 1, 0, 0}
		if i%3 == 0 {
			choices = []uint64{1, 4, 2}
		}
		b, _, _ := encryptContest(t, pk, cc, rulesFor(i), choices, rnd)
		items = append(items, ContestItem{Context: cc, Rules: rulesFor(i), Encoded: b})
	}
	if err := VerifyContestBatch(pk, items, rnd); err != nil {
		t.Fatalf("valid batch: %v", err)
	}
	if err := VerifyContestBatch(pk, nil, rnd); err != nil {
		t.Fatalf("empty batch: %v", err)
	}

	// Item 17 is voter 5's contest submitted as voter 17's; item 9 carries a
	// response out of range; item 20 a proof copied from item 19.
	bad := append([]ContestItem(nil), items...)
	bad[17].Encoded = items[5].Encoded
	bad[17].Rules = items[5].Rules
	m := append([]byte(nil), items[9].Encoded...)
	for i := len(m) - ScalarSize; i < len(m); i++ {
		m[i] = 0xff
	}
	bad[9].Encoded = m
	m = append([]byte(nil), items[20].Encoded...)
	s, e := optionSpan(approval3of5, 2)
	copy(m[s+2*PointSize:e], items[19].Encoded[s+2*PointSize:e])
	bad[20].Encoded = m

	err := VerifyContestBatch(pk, bad, rnd)
	var be *BatchError
	if !errors.As(err, &be) || be.Index != 9 || !errors.Is(err, ErrNonCanonical) {
		t.Fatalf("got %v, want item 9 non-canonical", err)
	}
	if fmt.Sprint(be.Failing) != "[9 17 20]" {
		t.Fatalf("failing items %v, want [9 17 20]", be.Failing)
	}
	bad[9] = items[9]
	err = VerifyContestBatch(pk, bad, rnd)
	var ve *VerifyError
	if !errors.As(err, &be) || be.Index != 17 || !errors.As(err, &ve) || ve.Item != "option 0" {
		t.Fatalf("got %v, want item 17 option 0", err)
	}
	bad[17] = items[17]
	err = VerifyContestBatch(pk, bad, rnd)
	if !errors.As(err, &be) || be.Index != 20 || !errors.As(err, &ve) || ve.Item != "option 2" {
		t.Fatalf("got %v, want item 20 option 2", err)
	}
}

func TestPippengerMatchesStraus(t *testing.T) {
	rnd := seeded("msm")
	s, _ := newEqSet(rnd, 0)
	for _, n := range []int{1, 2, 7, 200, 700} {
		s.scalars, s.points = s.scalars[:0], s.points[:0]
		for i := 0; i < n; i++ {
			k, _ := RandomScalar(rnd)
			var sc [32]byte
			copy(sc[:], scalarBytes(k))
			coef, _ := vtScalar(sc[:])
			if i%2 == 0 {
				coef = s.weight() // short scalars take the window-skipping path
			}
			_, p := s.term(coef)
			if err := vtDecode(p, pointBytes(newElement().MulGen(k))); err != nil {
				t.Fatal(err)
			}
		}
		got := pippenger(s.scalars, s.points)
		want := vtMSM(s.scalars[:min(n, pippengerThreshold-1)], s.points[:min(n, pippengerThreshold-1)])
		if n >= pippengerThreshold {
			want = straus(s.scalars, s.points)
		}
		if got.Equal(want) != 1 {
			t.Fatalf("n=%d: pippenger and straus disagree", n)
		}
	}
}

// TestContestRulesBounds: the maximum of selections lies in 1 ..
// options × per-option maximum; both ends are in, what lies just outside
// is out.
func TestContestRulesBounds(t *testing.T) {
	for _, c := range []struct {
		rules ContestRules
		ok    bool
	}{
		{ContestRules{Options: 3, MaxPerOption: 2, MinSelections: 0, MaxSelections: 1}, true},
		{ContestRules{Options: 3, MaxPerOption: 2, MinSelections: 0, MaxSelections: 6}, true},
		{ContestRules{Options: 3, MaxPerOption: 2, MinSelections: 0, MaxSelections: 0}, false},
		{ContestRules{Options: 3, MaxPerOption: 2, MinSelections: 0, MaxSelections: 7}, false},
		{ContestRules{Options: 3, MaxPerOption: 2, MinSelections: 2, MaxSelections: 1}, false},
	} {
		if err := c.rules.Validate(); (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrInvalidInput)) {
			t.Errorf("%+v: %v", c.rules, err)
		}
	}
}
