package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
)

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
