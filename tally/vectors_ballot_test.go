package tally

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"testing"
)

var updateBallotVectors = flag.Bool("update-ballot", false, "rewrite testdata/vectors/ballot.json")

// sentinelNames maps the names used in the vector files to the errors.
var sentinelNames = map[string]error{
	"ErrMalformed":     ErrMalformed,
	"ErrNonCanonical":  ErrNonCanonical,
	"ErrTrailingBytes": ErrTrailingBytes,
	"ErrWrongTag":      ErrWrongTag,
	"ErrIdentity":      ErrIdentity,
	"ErrLimit":         ErrLimit,
	"ErrInvalidProof":  ErrInvalidProof,
	"ErrInvalidInput":  ErrInvalidInput,
}

type ballotVectorFile struct {
	Description string         `json:"description"`
	Seed        string         `json:"seed"`
	PrivateKey  string         `json:"private_key"` // tagged encoding, hex
	PublicKey   string         `json:"public_key"`  // tagged encoding, hex
	Cases       []ballotVector `json:"cases"`
}

type ballotVector struct {
	Name       string       `json:"name"`
	Rules      ContestRules `json:"rules"`
	ElectionID string       `json:"election_id"` // hex
	Voter      string       `json:"voter"`       // hex
	Contest    uint32       `json:"contest"`
	Choices    []uint64     `json:"choices,omitempty"` // what was encrypted, for valid cases
	Encoded    string       `json:"encoded"`           // the encrypted contest, hex
	Expect     string       `json:"expect"`            // "ok" or a sentinel error name
	Item       string       `json:"item,omitempty"`    // for an invalid proof: the failing item
}

const ballotVectorsPath = "testdata/vectors/ballot.json"

func makeBallotVectors(t *testing.T) []byte {
	const seed = "evote/v1 ballot vectors"
	rnd := seeded(seed)
	sk, err := GenerateKey(rnd)
	if err != nil {
		t.Fatal(err)
	}
	pk := sk.Public()
	skb, _ := sk.MarshalBinary()
	pkb, _ := pk.MarshalBinary()
	file := ballotVectorFile{
		Description: "Encrypted contests (docs/spec/ballot.md) under one election key, valid and invalid. " +
			"Randomness: SHAKE256 over the seed (docs/spec/vectors.md), consumed in the order the cases appear.",
		Seed: seed, PrivateKey: hex.EncodeToString(skb), PublicKey: hex.EncodeToString(pkb),
	}
	add := func(name string, rules ContestRules, cc ContestContext, choices []uint64, enc []byte, expect, item string) {
		file.Cases = append(file.Cases, ballotVector{
			Name: name, Rules: rules, ElectionID: hex.EncodeToString(cc.ElectionID), Voter: hex.EncodeToString(cc.Voter),
			Contest: cc.Contest, Choices: choices, Encoded: hex.EncodeToString(enc), Expect: expect, Item: item,
		})
	}
	enc := func(cc ContestContext, rules ContestRules, choices []uint64) []byte {
		c, _, err := EncryptContest(pk, cc, rules, choices, rnd)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := c.MarshalBinary()
		return b
	}
	election := []byte("evote-vector-election-1")
	ccA := ContestContext{ElectionID: election, Voter: []byte("voter-credential-A"), Contest: 0}
	ccB := ContestContext{ElectionID: election, Voter: []byte("voter-credential-B"), Contest: 0}

	// Valid contests of every question type.
	valid := []struct {
		name    string
		rules   ContestRules
		choices []uint64
	}{
		{"approval 1..3 of 5, one selection", approval3of5, []uint64{0, 0, 1, 0, 0}},
		{"approval 1..3 of 5, three selections", approval3of5, []uint64{1, 0, 1, 0, 1}},
		{"plurality 1 of 4", plurality, []uint64{0, 1, 0, 0}},
		{"score 0..5 on 3 options", score, []uint64{5, 0, 3}},
		{"cumulative 3 per option, 2..6 in all", cumulative, []uint64{3, 0, 2, 1}},
		{"approval, no limit", approvalAny, []uint64{0, 0, 0}},
	}
	var first []byte
	for _, v := range valid {
		b := enc(ccA, v.rules, v.choices)
		if first == nil {
			first = b
		}
		add(v.name, v.rules, ccA, v.choices, b, "ok", "")
	}

	// Expected failures.
	add("contest copied to another voter credential", approval3of5, ccB, nil, first, "ErrInvalidProof", "option 0")
	otherElection := ccA
	otherElection.ElectionID = []byte("evote-vector-election-2")
	add("contest replayed into another election", approval3of5, otherElection, nil, first, "ErrInvalidProof", "option 0")
	otherPos := ccA
	otherPos.Contest = 1
	add("contest moved to another position on the ballot", approval3of5, otherPos, nil, first, "ErrInvalidProof", "option 0")

	swapped := append([]byte(nil), first...)
	s0, e0 := optionSpan(approval3of5, 0)
	s2, e2 := optionSpan(approval3of5, 2)
	copy(swapped[s0:e0], first[s2:e2])
	copy(swapped[s2:e2], first[s0:e0])
	add("options 0 and 2 swapped with their proofs", approval3of5, ccA, nil, swapped, "ErrInvalidProof", "option 0")

	other := enc(ccA, approval3of5, []uint64{0, 0, 1, 0, 0})
	mixed := append([]byte(nil), first...)
	copy(mixed[s2:s2+2*PointSize], other[s2:s2+2*PointSize])
	add("proof of option 2 beside another ciphertext", approval3of5, ccA, nil, mixed, "ErrInvalidProof", "option 2")

	// A proof whose challenge leaves the ciphertext out of the hash.
	ctx, _ := ccA.bytes()
	weakRules := ContestRules{Options: 1, MaxPerOption: 1, MinSelections: 0, MaxSelections: 1}
	r, _ := RandomScalar(rnd)
	ct := EncryptWithRandomness(pk, 1, r)
	vals := weakRules.optionValues()
	weak, err := proveMembership(pk, r, scalarFromUint64(1), 1, vals, func(commitments []byte) *transcript {
		return optionTranscript(ctx, 0, pk.Bytes(), nil, encodeValues(vals), commitments)
	}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	wb, _ := (&EncryptedContest{Ciphertexts: []*Ciphertext{ct}, options: []*membershipProof{weak}}).MarshalBinary()
	add("statement left out of the challenge hash", weakRules, ccA, nil, wb, "ErrInvalidProof", "option 0")

	over := enc(ccA, ContestRules{Options: 5, MaxPerOption: 1, MinSelections: 0, MaxSelections: 5}, []uint64{1, 1, 1, 1, 0})
	_, end := optionSpan(approval3of5, 4)
	forged := append(append([]byte(nil), over...), first[end:]...)
	add("four selections where three are allowed", approval3of5, ccA, nil, forged, "ErrInvalidProof", "selections")

	idA := append([]byte(nil), first...)
	clear(idA[s0 : s0+PointSize])
	add("identity as a ciphertext's first component", approval3of5, ccA, nil, idA, "ErrIdentity", "")
	nc := append([]byte(nil), first...)
	for i := e0 - ScalarSize; i < e0; i++ {
		nc[i] = 0xff
	}
	add("response not reduced modulo the group order", approval3of5, ccA, nil, nc, "ErrNonCanonical", "")
	add("trailing byte", approval3of5, ccA, nil, append(append([]byte(nil), first...), 0), "ErrTrailingBytes", "")
	add("truncated", approval3of5, ccA, nil, first[:len(first)-1], "ErrMalformed", "")
	wrongTag := append([]byte(nil), first...)
	wrongTag[len("evote/v")+1] = '2'
	add("another version tag", approval3of5, ccA, nil, wrongTag, "ErrWrongTag", "")

	out, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func TestBallotVectors(t *testing.T) {
	generated := makeBallotVectors(t)
	stored := vectorFile(t, ballotVectorsPath, generated, *updateBallotVectors, "update-ballot")
	var file ballotVectorFile
	if err := json.Unmarshal(stored, &file); err != nil {
		t.Fatal(err)
	}
	skb, _ := hex.DecodeString(file.PrivateKey)
	var sk PrivateKey
	if err := sk.UnmarshalBinary(skb); err != nil {
		t.Fatal(err)
	}
	pk := sk.Public()
	for _, c := range file.Cases {
		eid, _ := hex.DecodeString(c.ElectionID)
		voter, _ := hex.DecodeString(c.Voter)
		enc, _ := hex.DecodeString(c.Encoded)
		cc := ContestContext{ElectionID: eid, Voter: voter, Contest: c.Contest}
		err := VerifyContest(pk, cc, c.Rules, enc)
		if c.Expect == "ok" {
			if err != nil {
				t.Errorf("%s: %v", c.Name, err)
				continue
			}
			// Each option decrypts to the recorded choice.
			cts, err := ContestCiphertexts(c.Rules, enc)
			if err != nil {
				t.Fatal(err)
			}
			for i, ct := range cts {
				mG := newElement().Add(ct.B, newElement().Neg(newElement().Mul(ct.A, sk.Scalar())))
				if !mG.IsEqual(newElement().MulGen(scalarFromUint64(c.Choices[i]))) {
					t.Errorf("%s: option %d does not decrypt to %d", c.Name, i, c.Choices[i])
				}
			}
			continue
		}
		want, ok := sentinelNames[c.Expect]
		if !ok {
			t.Fatalf("%s: unknown expectation %q", c.Name, c.Expect)
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %s", c.Name, err, c.Expect)
			continue
		}
		var ve *VerifyError
		if c.Item != "" && (!errors.As(err, &ve) || ve.Item != c.Item) {
			t.Errorf("%s: got %v, want the failure named %q", c.Name, err, c.Item)
		}
	}
}
