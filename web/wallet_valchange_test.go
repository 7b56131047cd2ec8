package web

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
)

// TestWalletReceiptAfterValidatorChange: the chain's validators change
// before the election opens (the authority adds a validator that runs no
// node, of power 1 against the node's 10, so that the node signs every
// block alone); the voter casts in the browser with the genesis pinned in
// the page's address. The ballot's block is signed by the set after the
// change, which the genesis does not name: the wallet checks the receipt
// through its validator hop from the genesis validators and says so, on
// casting and when the ballot is checked by its tracking code; `evote
// receipt check` accepts the browser's receipt file offline, against
// genesis.json, and with the node.
func TestWalletReceiptAfterValidatorChange(t *testing.T) {
	w := startWalletNode(t, keyboardTemplate)
	ctx := t.Context()
	added := election.DeriveKey("wallet-test/added-validator").Public()
	tx, err := election.NewValidatorUpdateTx(w.tn.chainID, added, 1, w.tn.authority)
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.api.Submit(ctx, tx, api.SubmitOptions{Wait: true})
	if err != nil || res.Receipt == nil || res.Receipt.Code != 0 {
		t.Fatalf("the validator change: %+v, %v", res, err)
	}

	b := newBrowser(t, 360, 740)
	run(t, b, chromedp.Navigate(w.url+"/wallet?genesis="+w.fingerprint(t)))
	waitJS(t, b, `document.body.dataset.ready === 'true'`, 30*time.Second)
	shown(t, b, "s-setup", 5*time.Second)
	const pass = "validators changed passphrase"
	run(t, b, chromedp.SendKeys("#setup-pass", pass, chromedp.ByQuery), chromedp.SendKeys("#setup-pass2", pass, chromedp.ByQuery),
		chromedp.Click("#setup-form button", chromedp.ByQuery))
	shown(t, b, "s-keys", 60*time.Second)
	run(t, b, chromedp.SendKeys("#gen-name", "ada", chromedp.ByQuery), chromedp.Click("#gen-form button", chromedp.ByQuery))
	waitJS(t, b, `document.querySelectorAll('#keys .pubkey').length === 1 && document.getElementById('busy').hidden`, 60*time.Second)
	w.enrolAndOpen(t, textOf(t, b, "#keys .pubkey"))
	var st api.Status
	w.tn.getJSON(t, "/api/v1/status", &st)
	if len(st.Validators) != 2 {
		t.Fatalf("%d validators in force after the change, want 2", len(st.Validators))
	}

	run(t, b, chromedp.Click("#refresh-elections", chromedp.ByQuery))
	waitJS(t, b, electionsListed, 10*time.Second)
	run(t, b, chromedp.Click("#vote-0", chromedp.ByQuery))
	shown(t, b, "s-ballot", 10*time.Second)
	run(t, b, chromedp.Click("#c0-o0", chromedp.ByQuery))
	run(t, b, chromedp.SendKeys("#c1-o1", "2\r", chromedp.ByQuery)) // Enter in a field submits the form: the review
	shown(t, b, "s-review", 5*time.Second)
	run(t, b, chromedp.Click("#cast", chromedp.ByQuery))
	shown(t, b, "s-cast", 90*time.Second)
	castDone(t, b)
	if cls := textOfClass(t, b, "#cast-status"); !strings.Contains(cls, "ok") {
		t.Fatalf("the cast: %s (%s)", textOf(t, b, "#cast-status"), cls)
	}
	if got := textOf(t, b, "#cast-status"); !strings.Contains(got, "Accepted: block") ||
		!strings.Contains(got, "The validators changed 1 time(s) since the ones this browser trusts") || !strings.Contains(got, "the 2 validator(s) in force signed the block") {
		t.Errorf("the cast's status: %q", got)
	}
	checkAxe(t, b, axeSource(t))

	// Check my ballot by its tracking code: the node's receipt, checked
	// from the genesis likewise.
	code := textOf(t, b, "#cast-code")
	run(t, b, chromedp.Click("#cast-back", chromedp.ByQuery))
	run(t, b, chromedp.SendKeys("#check-code", code+"\r", chromedp.ByQuery))
	waitJS(t, b, `document.getElementById('check-result').innerText.includes('the ballot that counts')`, 30*time.Second)
	screenshot(t, b, "wallet-check-after-validator-change.png")
	if got := textOf(t, b, "#check-result"); !strings.Contains(got, "The validators changed 1 time(s)") {
		t.Errorf("the check by tracking code: %q", got)
	}

	raw := []byte(textOf(t, b, "#receipt-file"))
	var f struct {
		Version string `json:"version"`
		Receipt struct {
			Hops []json.RawMessage `json:"validator_hops"`
		} `json:"receipt"`
	}
	if err := json.Unmarshal(raw, &f); err != nil || f.Version != "evote/v3/wallet-receipt" || len(f.Receipt.Hops) != 1 {
		t.Fatalf("the browser's receipt file: version %q, %d hops, %v", f.Version, len(f.Receipt.Hops), err)
	}
	t.Logf("the browser's receipt file after one validator change: %d bytes", len(raw))
	file := writeFile(t, t.TempDir(), "receipt.json", raw)
	genesis := filepath.Join(w.tn.home, "config", "genesis.json")
	for _, args := range [][]string{
		{"receipt", "check", file},
		{"receipt", "check", file, "--genesis", genesis},
		{"receipt", "check", file, "--node", w.url},
	} {
		if out, code := evote(t, nil, args...); code != 0 || !strings.Contains(out, "accepted: block") {
			t.Fatalf("evote %s: %d\n%s", strings.Join(args, " "), code, out)
		}
	}
}
