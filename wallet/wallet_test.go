package wallet_test

import (
	"crypto/sha3"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/cloudflare/circl/group"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

func stream(seed string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte(seed))
	return h
}

func sample(t testing.TB) (*wallet.Election, *tally.PrivateKey) {
	t.Helper()
	y, err := os.ReadFile("../election/testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := election.ParseManifestYAML(y)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := tally.GenerateKey(stream("wallet test key"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := wallet.NewElection("evote-test", m, sk.Public())
	if err != nil {
		t.Fatal(err)
	}
	return e, sk
}

func TestVoterKeys(t *testing.T) {
	k, err := wallet.GenerateVoterKey(stream("voter"))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := k.MarshalText()
	if !strings.HasPrefix(string(text), "evote-voter-secret:") || len(text) != len("evote-voter-secret:")+64 {
		t.Fatalf("secret text %q", text)
	}
	var back wallet.VoterKey
	if err := back.UnmarshalText(text); err != nil || !back.Equal(k) {
		t.Fatalf("round trip: %v", err)
	}
	pub := k.Public()
	if !strings.HasPrefix(pub.String(), "evote-voter:") {
		t.Errorf("public text %q", pub)
	}
	p2, err := wallet.ParseVoterPublicKey(pub.String())
	if err != nil || p2 != pub || p2.Key() != k.SigningKey().Public() {
		t.Errorf("public round trip: %v", err)
	}
	if strings.Contains(k.String(), string(text[len("evote-voter-secret:"):])) {
		t.Error("String shows the secret")
	}
	other, _ := wallet.GenerateVoterKey(stream("other voter"))
	if other.Equal(k) {
		t.Error("two keys equal")
	}
	for _, bad := range []string{"", "ed25519-secret:" + string(text[19:]), "evote-voter-secret:00"} {
		if _, err := wallet.ParseVoterKey(bad); !errors.Is(err, election.ErrInvalidKey) {
			t.Errorf("ParseVoterKey(%q): %v", bad, err)
		}
	}
	if _, err := wallet.ParseVoterPublicKey(k.SigningKey().TrusteePublic().String()); !errors.Is(err, election.ErrInvalidKey) || !errors.Is(err, election.ErrWrongRole) {
		t.Errorf("a trustee's key parses as a voter key: %v", err)
	}
	// The "ed25519:" form of keys written before the roles had their own
	// still parses, as the same key.
	if old, err := wallet.ParseVoterPublicKey(k.SigningKey().Public().String()); err != nil || old != pub {
		t.Errorf("the older ed25519: form: %v", err)
	}
}

func TestBuildBallotAndAudit(t *testing.T) {
	e, _ := sample(t)
	voter, _ := wallet.GenerateVoterKey(stream("voter"))
	choices := [][]uint64{{0, 1}, {1, 0, 1, 0, 1}, {5, 0, 2}}
	b, err := wallet.BuildBallot(e, voter, 7, choices, stream("ballot"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Hash != election.Hash(b.Tx) || b.Seq != 7 || len(b.Contests) != 3 || len(b.Secrets) != 3 {
		t.Fatal("ballot fields")
	}
	tx, err := election.DecodeTx(b.Tx)
	if err != nil || tx.Kind != election.KindBallot || tx.Signer != voter.Public().Key() || !tx.Verify("evote-test") {
		t.Fatalf("transaction: %v", err)
	}
	body, _ := election.DecodeBody(tx.Kind, tx.Body)
	if bb := body.(*election.BallotBody); bb.Election != e.ID || bb.Seq != 7 {
		t.Error("body")
	}
	got, err := wallet.Audit(e, voter.Public(), b.Tx, b.Secrets)
	if err != nil {
		t.Fatal(err)
	}
	for i := range choices {
		for j := range choices[i] {
			if got[i][j] != choices[i][j] {
				t.Fatalf("audit shows %v, voted %v", got, choices)
			}
		}
	}

	// A device that lies about a choice, or an opening of another ballot,
	// fails the audit.
	lie := *b.Secrets[1]
	lie.Choices = []uint64{0, 1, 1, 0, 1}
	if _, err := wallet.Audit(e, voter.Public(), b.Tx, []*tally.ContestSecrets{b.Secrets[0], &lie, b.Secrets[2]}); !errors.Is(err, wallet.ErrAudit) || !errors.Is(err, tally.ErrInvalidProof) {
		t.Errorf("a lying opening passes: %v", err)
	}
	r := *b.Secrets[0]
	r.Randomness = append([]group.Scalar(nil), r.Randomness...)
	r.Randomness[0] = group.Ristretto255.NewScalar().SetUint64(1)
	if _, err := wallet.Audit(e, voter.Public(), b.Tx, []*tally.ContestSecrets{&r, b.Secrets[1], b.Secrets[2]}); !errors.Is(err, wallet.ErrAudit) {
		t.Errorf("wrong randomness passes: %v", err)
	}
	other, _ := wallet.GenerateVoterKey(stream("other"))
	if _, err := wallet.Audit(e, other.Public(), b.Tx, b.Secrets); !errors.Is(err, wallet.ErrAudit) {
		t.Errorf("another voter's ballot passes: %v", err)
	}
	if _, err := wallet.Audit(e, voter.Public(), b.Tx, b.Secrets[:2]); !errors.Is(err, wallet.ErrAudit) {
		t.Errorf("missing opening passes: %v", err)
	}
	if _, err := wallet.Audit(e, voter.Public(), b.Tx[:len(b.Tx)-1], b.Secrets); !errors.Is(err, wallet.ErrAudit) {
		t.Errorf("truncated ballot passes: %v", err)
	}
	wrongChain := *e
	wrongChain.ChainID = "other"
	if _, err := wallet.Audit(&wrongChain, voter.Public(), b.Tx, b.Secrets); !errors.Is(err, wallet.ErrAudit) {
		t.Errorf("ballot of another chain passes: %v", err)
	}
}

func TestChoices(t *testing.T) {
	e, _ := sample(t)
	voter, _ := wallet.GenerateVoterKey(stream("voter"))
	m := e.Manifest
	for _, tc := range []struct {
		name    string
		choices [][]uint64
	}{
		{"too few contests", [][]uint64{{1, 0}}},
		{"plurality with two", [][]uint64{{1, 1}, {1, 0, 0, 0, 0}, {0, 0, 0}}},
		{"plurality blank (min 1)", [][]uint64{{0, 0}, {1, 0, 0, 0, 0}, {0, 0, 0}}},
		{"approval with four", [][]uint64{{1, 0}, {1, 1, 1, 1, 0}, {0, 0, 0}}},
		{"approval with a 2", [][]uint64{{1, 0}, {2, 0, 0, 0, 0}, {0, 0, 0}}},
		{"score above 5", [][]uint64{{1, 0}, {1, 0, 0, 0, 0}, {6, 0, 0}}},
		{"wrong option count", [][]uint64{{1, 0}, {1, 0, 0, 0}, {0, 0, 0}}},
	} {
		if _, err := wallet.BuildBallot(e, voter, 1, tc.choices, stream("x")); !errors.Is(err, wallet.ErrInvalidChoice) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	sel, err := wallet.Selections(&m.Contests[1], 0, 4)
	if err != nil || sel[0] != 1 || sel[4] != 1 || sel[1] != 0 {
		t.Errorf("Selections: %v, %v", sel, err)
	}
	if _, err := wallet.Selections(&m.Contests[1], 0, 1, 2, 3); !errors.Is(err, wallet.ErrInvalidChoice) {
		t.Error("four selections of at most three")
	}
	if _, err := wallet.Selections(&m.Contests[1], 9); !errors.Is(err, wallet.ErrInvalidChoice) {
		t.Error("option 9 of 5")
	}
	if _, err := wallet.NewElection("evote-test", m, nil); err == nil {
		t.Error("an election without a key")
	}
}
