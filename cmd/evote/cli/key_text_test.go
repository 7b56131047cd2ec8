package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
)

// A roll file lists voters' keys: the "evote-voter:" form, or the older
// "ed25519:" form; a trustee's or an authority's key is refused as a key of
// another role, naming its line.
func TestRollFileKeyRoles(t *testing.T) {
	k := election.DeriveKey("roll file roles")
	v2 := election.DeriveKey("roll file roles 2")
	got, err := parseRollFile(strings.NewReader(k.VoterPublic().String() + "\n" + v2.Public().String() + " 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Voter != k.VoterPublic() || got[1].Voter != v2.VoterPublic() || got[1].Weight != 3 {
		t.Fatalf("roll %+v", got)
	}
	for _, wrong := range []string{k.TrusteePublic().String(), k.AuthorityPublic().String()} {
		_, err := parseRollFile(strings.NewReader(k.VoterPublic().String() + "\n" + wrong + "\n"))
		if !errors.Is(err, election.ErrWrongRole) {
			t.Errorf("%s in a roll file: %v", wrong, err)
		}
	}
	// The same key in two forms is the same voter.
	if _, err := parseRollFile(strings.NewReader(k.VoterPublic().String() + "\n" + k.Public().String() + "\n")); err == nil {
		t.Error("a voter listed twice, in both text forms, passed")
	}
}

// A receipt file names its voter in the voter's form; one naming another
// role's key is not a receipt file.
func TestReceiptFileKeyRoles(t *testing.T) {
	seed := receiptFileSeed(t)
	r, err := parseWalletReceipt(seed)
	if err != nil {
		t.Fatal(err)
	}
	text := []byte(`"voter":"` + r.Voter.String() + `"`)
	if !bytes.Contains(seed, text) || !strings.HasPrefix(r.Voter.String(), "evote-voter:") {
		t.Fatalf("receipt file does not hold %s", text)
	}
	old := bytes.Replace(seed, text, []byte(`"voter":"`+r.Voter.Key().String()+`"`), 1)
	if back, err := parseWalletReceipt(old); err != nil || back.Voter != r.Voter {
		t.Errorf("the older ed25519: form: %v", err)
	}
	trustee := election.TrusteePublicKey(r.Voter).String()
	wrong := bytes.Replace(seed, text, []byte(`"voter":"`+trustee+`"`), 1)
	if _, err := parseWalletReceipt(wrong); !errors.Is(err, errBadWalletReceipt) {
		t.Errorf("a trustee's key as the voter: %v", err)
	}
	var _ wallet.VoterPublicKey = r.Voter // the wallet's voter key type is the roll's
}
