package test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/internal/receiptlite"
)

// TestResultsHashSpec: the result encodings and the last results hash that
// docs/spec/cometbft.md and wallet-receipt.md give are CometBFT's
// (types.NewResults) and the receipt vector's, and both decoders read them.
func TestResultsHashSpec(t *testing.T) {
	spec, err := os.ReadFile("../docs/spec/cometbft.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(spec)), " ")
	for _, c := range []struct {
		res  abci.ExecTxResult
		text string
	}{
		{abci.ExecTxResult{GasWanted: 1, Log: "not hashed"}, "accepted transaction's result is `28 01`"},
		{abci.ExecTxResult{Code: 11, GasWanted: 1}, "code 11 `08 0b 28 01`"},
	} {
		if !strings.Contains(text, c.text) {
			t.Fatalf("the spec does not say %q", c.text)
		}
		want, _ := hex.DecodeString(strings.ReplaceAll(c.text[strings.Index(c.text, "`")+1:len(c.text)-1], " ", ""))
		got, err := chain.ResultBytes(&c.res)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("ResultBytes %x (%v), the spec %x", got, err, want)
		}
		if lite, err := receiptlite.DecodeResult(got); err != nil || lite.Code != c.res.Code || lite.GasWanted != 1 {
			t.Fatalf("receiptlite reads %x as %+v, %v", got, lite, err)
		}
	}
	m := regexp.MustCompile("With one transaction, accepted, the hash is SHA-256\\(`00 28 01`\\) = `([0-9a-f]{64})`").FindStringSubmatch(text)
	if m == nil {
		t.Fatal("the spec gives no last results hash of one accepted transaction")
	}
	sum := sha256.Sum256([]byte{0x00, 0x28, 0x01})
	cmt := cmttypes.NewResults([]*abci.ExecTxResult{{GasWanted: 1}}).Hash()
	raw, err := os.ReadFile("../chain/testdata/receipt.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Receipt struct {
			NextHeader struct {
				LastResultsHash string `json:"last_results_hash"`
			} `json:"next_header"`
		} `json:"receipt"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(sum[:]) != m[1] || hex.EncodeToString(cmt) != m[1] || !strings.EqualFold(v.Receipt.NextHeader.LastResultsHash, m[1]) {
		t.Fatalf("the spec %s, SHA-256 %x, CometBFT %x, the vector %s", m[1], sum, cmt, v.Receipt.NextHeader.LastResultsHash)
	}
}
