package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/wallet"
)

// TestWalletThroughPeerNode: the wallet of one node lists the open
// elections of another by its address and votes in them, the keys staying
// in the first node's page. Node A names B and C as its peers (its pages
// may call them); B is another chain, C a chain under A's chain id with
// another genesis. The voter, on A's page, types an address A does not
// name (refused, naming those it does), then B's: B's open election is
// listed with B's genesis fingerprint, the voter casts in it (B's API
// answers A's page across origins) and the browser checks the receipt
// against B's genesis validators; the receipt file names B. C is refused:
// its genesis is not the one this browser knows for that chain id. Back
// on the receipts, "check" reads the ballot's standing from B. axe-core
// finds no violation in these states.
func TestWalletThroughPeerNode(t *testing.T) {
	b := startWalletNodeWith(t, walletTemplate, "evote-peer-b", Config{})
	c := startWalletNodeWith(t, walletTemplate, testChainID, Config{})
	a := startWalletNodeWith(t, walletTemplate, testChainID, Config{PeerNodes: []string{b.url, c.url}})
	axe := axeSource(t)
	ctx := newBrowser(t, 360, 740)
	const pass = "a passphrase for two nodes"

	walletCreate(t, ctx, a.url, pass)
	alice := walletNewKey(t, ctx, "alice")
	b.enrolAndOpen(t, alice)
	// A's own election is not open: nothing to vote in on A.
	waitJS(t, ctx, `document.getElementById('elections').getAttribute('aria-busy') === 'false' && document.getElementById('anchor').textContent !== ''`, 10*time.Second)
	if got := textOf(t, ctx, "#node-now"); !strings.Contains(got, a.url) {
		t.Errorf("the node shown: %q", got)
	}

	// An address A does not name is refused before any request.
	run(t, ctx, chromedp.Click("#node-other summary", chromedp.ByQuery),
		chromedp.SendKeys("#node-url", "http://127.0.0.1:9", chromedp.ByQuery), chromedp.Click("#node-form button", chromedp.ByQuery))
	waitJS(t, ctx, `!document.getElementById('problem').hidden`, 5*time.Second)
	if got := textOf(t, ctx, "#problem-list"); !strings.Contains(got, "may not call http://127.0.0.1:9") || !strings.Contains(got, b.url) {
		t.Errorf("the refusal of an address the node does not name: %q", got)
	}
	checkAxe(t, ctx, axe)

	// B's election, listed on A's page and anchored on B's genesis.
	eval(t, ctx, `document.getElementById('node-url').value = ''`, nil)
	run(t, ctx, chromedp.SendKeys("#node-url", b.url+"/wallet", chromedp.ByQuery), chromedp.Click("#node-form button", chromedp.ByQuery))
	waitJS(t, ctx, electionsListed, 20*time.Second)
	if got := textOf(t, ctx, "#node-now"); !strings.Contains(got, b.url) {
		t.Errorf("the node shown: %q", got)
	}
	if got, fp := textOf(t, ctx, "#anchor"), b.fingerprint(t); !strings.Contains(got, fp) {
		t.Errorf("the anchor %q does not name B's genesis fingerprint %s", got, fp)
	}
	checkAxe(t, ctx, axe)
	screenshot(t, ctx, "wallet-peer-node.png")

	run(t, ctx, chromedp.Click("#elections button", chromedp.ByQuery))
	shown(t, ctx, "s-ballot", 10*time.Second)
	fillAndCast(t, ctx, false, "c0-o1", "c1-o4")
	var file struct {
		Node    string `json:"node"`
		ChainID string `json:"chain_id"`
	}
	if err := json.Unmarshal(download(t, ctx, "#receipt-download"), &file); err != nil || file.Node != b.url || file.ChainID != "evote-peer-b" {
		t.Errorf("the receipt file names node %q of chain %q (%v)", file.Node, file.ChainID, err)
	}
	// The ballot went to B, from A's page.
	key, err := wallet.ParseVoterPublicKey(alice)
	if err != nil {
		t.Fatal(err)
	}
	st, err := b.api.Voter(t.Context(), b.e.ID, key)
	if err != nil || !st.Voted {
		t.Fatalf("B's voter status of alice: %+v, %v", st, err)
	}
	b.mu.Lock()
	var posted bool
	for _, r := range b.requests {
		posted = posted || (strings.HasPrefix(r, "POST /api/v1/transactions") && strings.Contains(r, "Origin: "+a.url))
	}
	b.mu.Unlock()
	if !posted {
		t.Error("B received no transaction from A's page")
	}

	// C claims A's chain id with another genesis: refused.
	run(t, ctx, chromedp.Click("#cast-back", chromedp.ByQuery))
	shown(t, ctx, "s-elections", 10*time.Second)
	eval(t, ctx, `document.getElementById('node-other').open = true; document.getElementById('node-url').value = ''`, nil)
	run(t, ctx, chromedp.SendKeys("#node-url", c.url, chromedp.ByQuery), chromedp.Click("#node-form button", chromedp.ByQuery))
	waitJS(t, ctx, `!document.getElementById('problem').hidden && document.getElementById('elections').getAttribute('aria-busy') === 'false'`, 20*time.Second)
	if got := textOf(t, ctx, "#problem-list"); !strings.Contains(got, "Do not vote through this node") || !strings.Contains(got, c.fingerprint(t)) {
		t.Errorf("the refusal of C: %q", got)
	}
	if n := countOf(t, ctx, "#elections button"); n != 0 {
		t.Errorf("C's elections are offered: %d", n)
	}
	checkAxe(t, ctx, axe)
	screenshot(t, ctx, "wallet-peer-refused.png")

	// The receipt kept in the wallet is checked again against B.
	run(t, ctx, chromedp.Click("#receipts button", chromedp.ByQuery))
	waitJS(t, ctx, `document.getElementById('check-result').innerText.includes('the ballot that counts')`, 30*time.Second)
}

// walletCreate opens the wallet of the node at url and creates it under
// pass.
func walletCreate(t testing.TB, ctx context.Context, url, pass string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(url+"/wallet"))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	shown(t, ctx, "s-setup", 20*time.Second)
	run(t, ctx, chromedp.SendKeys("#setup-pass", pass, chromedp.ByQuery), chromedp.SendKeys("#setup-pass2", pass, chromedp.ByQuery),
		chromedp.Click("#setup-form button", chromedp.ByQuery))
	shown(t, ctx, "s-keys", 60*time.Second)
}

// walletNewKey makes a key named name in the open wallet and returns its
// public key.
func walletNewKey(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	var before int
	eval(t, ctx, `document.querySelectorAll('#keys .pubkey').length`, &before)
	run(t, ctx, chromedp.SendKeys("#gen-name", name, chromedp.ByQuery), chromedp.Click("#gen-form button", chromedp.ByQuery))
	waitJS(t, ctx, fmt.Sprintf(`document.querySelectorAll('#keys .pubkey').length === %d && document.getElementById('busy').hidden`, before+1), 60*time.Second)
	var pub string
	eval(t, ctx, fmt.Sprintf(`[...document.querySelectorAll('#keys li')].find((li) => li.querySelector('strong').textContent === %q).querySelector('.pubkey').textContent`, name), &pub)
	return pub
}

func countOf(t testing.TB, ctx context.Context, sel string) int {
	t.Helper()
	var n int
	eval(t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n)
	return n
}
