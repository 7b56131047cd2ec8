package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/feed"
	"github.com/evote/evote/wallet"
)

// walletTemplate is the manifest of the web wallet's test election: two
// contests (a plurality question that may be left blank and an approval
// question of five options), revoting allowed, in English and French.
const walletTemplate = `reference: {{.Reference}}
authority: {{.Authority}}
languages: [en, fr]
title: {en: Wallet test {{.Reference}}, fr: Test du portefeuille {{.Reference}}}
description: {en: An election for the wallet's tests., fr: Un scrutin pour les tests du portefeuille.}
revoting: true
weights: false
schedule: {dkg_deals_by: {{.DealsBy}}, dkg_complaint_window: 1h, dkg_response_window: 1h}
trustees:
  threshold: 2
  members:
{{- range .Trustees}}
    - {name: {{.Name}}, identity: {{.Identity}}, encryption_key: {{.EncryptionKey}}}
{{- end}}
contests:
  - type: plurality
    min_selections: 0
    title: {en: "Should the park open at night?", fr: "Le parc doit-il ouvrir la nuit ?"}
    options: [{en: Yes, fr: Oui}, {en: No, fr: Non}]
  - type: approval
    min_selections: 1
    max_selections: 2
    title: {en: "Pick up to two projects", fr: "Choisissez jusqu'à deux projets"}
    options: [{en: Library, fr: Bibliothèque}, {en: Pool, fr: Piscine}, {en: Bike lanes, fr: Pistes cyclables}, {en: Market, fr: Marché}, {en: Garden, fr: Jardin}]
`

// keyboardTemplate is walletTemplate's election with a cumulative contest
// in place of the approval one: points typed into number fields.
var keyboardTemplate = strings.Replace(walletTemplate, `  - type: approval
    min_selections: 1
    max_selections: 2`, `  - type: cumulative
    min_selections: 1
    max_selections: 3
    max_per_option: 2`, 1)

// walletNode is a test node behind a server that records every request it
// answers (to show that none carries a secret), and an election created
// on it whose roll and opening the test drives.
type walletNode struct {
	tn  *testNode
	srv *httptest.Server // the node's HTTP front, which the pages call
	url string
	api *api.Client
	e   *harness.Election

	mu       sync.Mutex
	requests []string // method, URL, headers and body of each request
}

func startWalletNode(t testing.TB, template string) *walletNode {
	t.Helper()
	return startWalletNodeWith(t, template, testChainID, Config{})
}

// startWalletNodeWith is startWalletNode for a node of chain chainID whose
// server is configured by cfg.
func startWalletNodeWith(t testing.TB, template, chainID string, cfg Config) *walletNode {
	t.Helper()
	tn := startTestNodeWith(t, chainID, cfg)
	w := &walletNode{tn: tn}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var h bytes.Buffer
		r.Header.Write(&h)
		w.mu.Lock()
		w.requests = append(w.requests, r.Method+" "+r.URL.String()+"\n"+h.String()+"\n"+string(body))
		w.mu.Unlock()
		tn.server.Load().ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Create(t.Context(), harness.NewAPI(c), harness.Spec{Template: template, Reference: "wallet",
		Voters: 1, Authority: tn.authority})
	if err != nil {
		t.Fatal(err)
	}
	w.srv, w.url, w.api, w.e = srv, srv.URL, c, e
	return w
}

// enrolAndOpen puts the voters on the roll, runs the key ceremony and
// opens the election.
func (w *walletNode) enrolAndOpen(t testing.TB, voters ...string) {
	t.Helper()
	var roll []election.RollEntry
	for _, v := range voters {
		k, err := wallet.ParseVoterPublicKey(v)
		if err != nil {
			t.Fatal(err)
		}
		roll = append(roll, election.RollEntry{Voter: k, Weight: 1})
	}
	ctx := t.Context()
	if err := w.e.Authority.AppendRoll(ctx, w.e.ID, roll, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.e.Ceremony(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.e.Authority.Open(ctx, w.e.ID); err != nil {
		t.Fatal(err)
	}
}

// fingerprint is the genesis fingerprint of the node's chain, as the
// election's record head gives it.
func (w *walletNode) fingerprint(t testing.TB) string {
	t.Helper()
	n := w.tn.node.Load()
	var head *observer.RecordHead
	err := n.App().Store().View(t.Context(), func(_ chain.Meta, st election.ReadStore) error {
		var err error
		head, err = feed.Head(n, st, w.e.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fp, err := head.GenesisFingerprint()
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

// evoteBinary builds the evote command once per test run.
var evoteBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "evote-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "evote")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/evote").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/evote: %v\n%s", err, out)
	}
	return bin, nil
})

// evote runs the evote command and returns its output and exit code.
func evote(t testing.TB, env []string, args ...string) (string, int) {
	t.Helper()
	bin, err := evoteBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// electionsListed: the list of open elections is loaded and has one.
const electionsListed = `document.getElementById('elections').getAttribute('aria-busy') === 'false' && document.querySelectorAll('#elections button').length === 1`

// waitJS waits until the expression is true.
func waitJS(t testing.TB, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		eval(t, ctx, "!!("+expr+")", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var problem string
			eval(t, ctx, `document.getElementById('problem').innerText + ' | ' + document.getElementById('notice').innerText`, &problem)
			t.Fatalf("after %v, not %s (the page says: %s)", timeout, expr, problem)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shown waits until the page's section id is shown and nothing is busy.
func shown(t testing.TB, ctx context.Context, id string, timeout time.Duration) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`!document.getElementById(%q).hidden && document.getElementById('busy').hidden`, id), timeout)
}

func run(t testing.TB, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func textOf(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	eval(t, ctx, fmt.Sprintf(`document.querySelector(%q).textContent`, sel), &s)
	return s
}

func setLang(t testing.TB, ctx context.Context, lang string) {
	t.Helper()
	var ok bool
	eval(t, ctx, fmt.Sprintf(`(() => { const s = document.getElementById('lang'); s.value = %q; s.dispatchEvent(new Event('change')); return document.documentElement.lang === %q; })()`, lang, lang), &ok)
	if !ok {
		t.Fatalf("the page did not switch to %s", lang)
	}
}

// download clicks a download link of the page, as a voter does, and
// returns the file the browser saved (the pages' content security policy
// lets no script read the link's blob back).
func download(t testing.TB, ctx context.Context, sel string) []byte {
	t.Helper()
	dir := t.TempDir()
	done := make(chan string, 1)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chromedp.ListenBrowser(lctx, func(ev any) {
		if p, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && p.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case done <- p.GUID:
			default:
			}
		}
	})
	// A Browser-domain command: sent to the browser, not to the page.
	setDownloads := chromedp.ActionFunc(func(ctx context.Context) error {
		c := chromedp.FromContext(ctx)
		return cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).
			WithDownloadPath(dir).WithEventsEnabled(true).Do(cdp.WithExecutor(ctx, c.Browser))
	})
	if err := chromedp.Run(ctx, setDownloads, chromedp.Click(sel, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	select {
	case guid := <-done:
		b, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			t.Fatal(err)
		}
		return b
	case <-time.After(30 * time.Second):
		t.Fatalf("clicking %s downloaded nothing", sel)
		return nil
	}
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWalletInBrowser is a voter's whole session in headless Chromium, 360
// px wide, against a real node: create a wallet and a key, import a key
// by its text and a keystore of `evote wallet`, export the keystore and
// import it with `evote wallet import --from`; the officials put the key
// on the roll; reload and unlock (the keystore is sealed in IndexedDB);
// vote in a two-contest election, auditing a ballot first (`evote ballot
// check-audit` accepts the audit file), cast and see the receipt checked
// in the browser (`evote receipt check` accepts the receipt file); revote;
// a key not on the roll is refused with its result code; reload and find
// the receipts. axe-core finds no WCAG 2.1 AA violation in each state, in
// English and French, nothing overflows, and no request of the session
// carries a passphrase, a key's secret text or a seed.
func TestWalletInBrowser(t *testing.T) {
	w := startWalletNode(t, walletTemplate)
	dir := t.TempDir()
	axe := axeSource(t)
	ctx := newBrowser(t, 360, 740)
	const pass = "correct horse battery staple"
	page := w.url + "/wallet"

	run(t, ctx, chromedp.Navigate(page))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	shown(t, ctx, "s-setup", 20*time.Second)
	checkAxe(t, ctx, axe)
	checkFits(t, ctx)
	screenshot(t, ctx, "wallet-setup.png")

	// A mismatched passphrase is refused in the error summary.
	run(t, ctx, chromedp.SendKeys("#setup-pass", pass, chromedp.ByQuery), chromedp.SendKeys("#setup-pass2", pass+"x", chromedp.ByQuery),
		chromedp.Click("#setup-form button", chromedp.ByQuery))
	waitJS(t, ctx, `!document.getElementById('problem').hidden && document.activeElement.id === 'problem'`, 5*time.Second)
	checkAxe(t, ctx, axe)
	eval(t, ctx, `document.getElementById('setup-pass2').value = ''`, nil)
	run(t, ctx, chromedp.SendKeys("#setup-pass2", pass, chromedp.ByQuery),
		chromedp.Click("#setup-form button", chromedp.ByQuery))
	shown(t, ctx, "s-keys", 60*time.Second)

	// A new key, and a key imported by its text.
	run(t, ctx, chromedp.SendKeys("#gen-name", "alice", chromedp.ByQuery), chromedp.Click("#gen-form button", chromedp.ByQuery))
	waitJS(t, ctx, `document.querySelectorAll('#keys .pubkey').length === 1 && document.getElementById('busy').hidden`, 60*time.Second)
	alice := textOf(t, ctx, "#keys .pubkey")
	if _, err := wallet.ParseVoterPublicKey(alice); err != nil || !strings.HasPrefix(alice, "evote-voter:") {
		t.Fatalf("the page shows the public key %q: %v", alice, err)
	}
	// Its QR code, for the officials to scan: opened, an image with its
	// label, as wide as a QR code of the key's version plus the quiet zone.
	run(t, ctx, chromedp.Click("#keys details.qr summary", chromedp.ByQuery))
	var qrView string
	eval(t, ctx, `(() => { const s = document.querySelector('#keys details.qr svg'); return s.getAttribute('aria-label') + ' ' + s.getAttribute('viewBox') + ' ' + (s.querySelector('path').getAttribute('d').length > 100); })()`, &qrView)
	if !strings.HasPrefix(qrView, "QR code of the public key of alice 0 0 45 45 true") {
		t.Errorf("the key's QR code: %q", qrView)
	}
	checkAxe(t, ctx, axe)
	bobKey, err := wallet.GenerateVoterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bobText, _ := bobKey.MarshalText()
	run(t, ctx, chromedp.SendKeys("#import-name", "bob", chromedp.ByQuery), chromedp.SendKeys("#import-text", string(bobText), chromedp.ByQuery),
		chromedp.Click("#import-text-form button", chromedp.ByQuery))
	waitJS(t, ctx, `document.querySelectorAll('#keys .pubkey').length === 2 && document.getElementById('busy').hidden`, 60*time.Second)

	// A keystore of `evote wallet` imports in the browser.
	passFile := writeFile(t, dir, "pass", []byte(pass+"\n"))
	cliWallet := filepath.Join(dir, "cli.keystore")
	if out, code := evote(t, nil, "wallet", "new", "carol", "--wallet", cliWallet, "--passphrase-file", passFile); code != 0 {
		t.Fatalf("evote wallet new: %d\n%s", code, out)
	}
	run(t, ctx, chromedp.SetUploadFiles("#import-file", []string{cliWallet}, chromedp.ByQuery),
		chromedp.SendKeys("#import-file-pass", pass, chromedp.ByQuery), chromedp.Click("#import-file-form button", chromedp.ByQuery))
	waitJS(t, ctx, `document.querySelectorAll('#keys .pubkey').length === 3 && document.getElementById('busy').hidden`, 60*time.Second)
	checkAxe(t, ctx, axe)
	checkFits(t, ctx)
	screenshot(t, ctx, "wallet-keys.png")

	// The browser's export imports in the CLI.
	exported := download(t, ctx, "#export")
	ks, err := wallet.OpenKeystore([]byte(pass), exported)
	if err != nil {
		t.Fatalf("the exported keystore: %v", err)
	}
	if got := strings.Join(ks.Names(), ","); got != "alice,bob,carol" {
		t.Fatalf("the exported keystore holds %s", got)
	}
	exportFile := writeFile(t, dir, "browser.keystore", exported)
	other := filepath.Join(dir, "other.keystore")
	out, code := evote(t, nil, "wallet", "import", "--from", exportFile, "--from-passphrase-file", passFile, "--wallet", other, "--passphrase-file", passFile)
	if code != 0 {
		t.Fatalf("evote wallet import --from the browser's export: %d\n%s", code, out)
	}
	if out, _ := evote(t, nil, "wallet", "list", "--wallet", other, "--passphrase-file", passFile); !strings.Contains(out, alice) {
		t.Fatalf("evote wallet list after the import lacks alice's key %s:\n%s", alice, out)
	}

	// The officials put alice on the roll and open the election; the voter
	// reloads the page and unlocks the sealed wallet.
	w.enrolAndOpen(t, alice)
	run(t, ctx, chromedp.Navigate(page))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	shown(t, ctx, "s-unlock", 20*time.Second)
	checkAxe(t, ctx, axe)
	run(t, ctx, chromedp.SendKeys("#unlock-pass", pass, chromedp.ByQuery), chromedp.Click("#unlock-form button", chromedp.ByQuery))
	shown(t, ctx, "s-keys", 60*time.Second)
	waitJS(t, ctx, electionsListed, 10*time.Second)
	// The trust anchor: the genesis validators, whose fingerprint is shown.
	if got, fp := textOf(t, ctx, "#anchor"), w.fingerprint(t); !strings.Contains(got, fp) {
		t.Errorf("the anchor %q does not name the genesis fingerprint %s", got, fp)
	}

	// The booth: choose, review, audit a ballot first.
	run(t, ctx, chromedp.Click("#elections button", chromedp.ByQuery))
	shown(t, ctx, "s-ballot", 10*time.Second)
	checkAxe(t, ctx, axe)
	checkFits(t, ctx)
	// Three approvals are refused as they are chosen.
	run(t, ctx, chromedp.Click("#c1-o0", chromedp.ByQuery), chromedp.Click("#c1-o1", chromedp.ByQuery), chromedp.Click("#c1-o2", chromedp.ByQuery))
	waitJS(t, ctx, `document.getElementById('c1-err').textContent !== ''`, 5*time.Second)
	setLang(t, ctx, "fr")
	checkAxe(t, ctx, axe)
	setLang(t, ctx, "en")
	run(t, ctx, chromedp.Click("#c1-o0", chromedp.ByQuery), chromedp.Click("#c1-o2", chromedp.ByQuery), chromedp.Click("#c1-o3", chromedp.ByQuery),
		chromedp.Click("#c0-o0", chromedp.ByQuery))
	screenshot(t, ctx, "wallet-ballot.png")
	run(t, ctx, chromedp.Click("#ballot-form button[type=submit]", chromedp.ByQuery))
	shown(t, ctx, "s-review", 20*time.Second)
	checkAxe(t, ctx, axe)
	if got := textOf(t, ctx, "#review-list"); !strings.Contains(got, "Yes") || !strings.Contains(got, "Pool, Market") {
		t.Errorf("the review shows %q", got)
	}
	run(t, ctx, chromedp.Click("#audit", chromedp.ByQuery))
	shown(t, ctx, "s-audited", 60*time.Second)
	checkAxe(t, ctx, axe)
	checkFits(t, ctx)
	auditFile := writeFile(t, dir, "audit.json", []byte(textOf(t, ctx, "#audit-file")))
	if out, code := evote(t, nil, "ballot", "check-audit", auditFile, "--node", w.url); code != 0 {
		t.Fatalf("evote ballot check-audit of the browser's audit file: %d\n%s", code, out)
	}

	// Cast a fresh ballot; the receipt is checked in the browser.
	run(t, ctx, chromedp.Click("#audited-back", chromedp.ByQuery))
	shown(t, ctx, "s-review", 20*time.Second)
	run(t, ctx, chromedp.Click("#cast", chromedp.ByQuery))
	shown(t, ctx, "s-cast", 90*time.Second)
	castDone(t, ctx)
	if cls := textOfClass(t, ctx, "#cast-status"); !strings.Contains(cls, "ok") {
		t.Fatalf("the cast: %s (%s)", textOf(t, ctx, "#cast-status"), cls)
	}
	if got := textOf(t, ctx, "#cast-status"); !strings.Contains(got, "Accepted: block") || !strings.Contains(got, "(code 0)") {
		t.Errorf("the cast's status does not say the receipt proves the acceptance: %q", got)
	}
	checkAxe(t, ctx, axe)
	checkFits(t, ctx)
	screenshot(t, ctx, "wallet-cast.png")
	receipt1 := []byte(textOf(t, ctx, "#receipt-file"))
	receiptFile := writeFile(t, dir, "receipt1.json", receipt1)
	if out, code := evote(t, nil, "receipt", "check", receiptFile, "--node", w.url); code != 0 || !strings.Contains(out, "ok on node") || !strings.Contains(out, "accepted: block") {
		t.Fatalf("evote receipt check of the browser's receipt: %d\n%s", code, out)
	}
	var r1 struct {
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(receipt1, &r1); err != nil || r1.Seq != 2 {
		t.Fatalf("the first cast ballot has sequence number %d (%v), want 2 (1 was audited)", r1.Seq, err)
	}
	// The audited ballot was never cast: check-audit against the node
	// still passes after the cast.
	if out, code := evote(t, nil, "ballot", "check-audit", auditFile, "--node", w.url); code != 0 {
		t.Fatalf("evote ballot check-audit after the cast: %d\n%s", code, out)
	}

	// A revote replaces it.
	var timings map[string]float64
	eval(t, ctx, `window.evoteWalletState.timings`, &timings)
	run(t, ctx, chromedp.Click("#cast-back", chromedp.ByQuery))
	waitJS(t, ctx, electionsListed, 10*time.Second)
	run(t, ctx, chromedp.Click("#elections button", chromedp.ByQuery))
	shown(t, ctx, "s-ballot", 10*time.Second)
	if note := textOf(t, ctx, "#ballot-note"); !strings.Contains(note, "replaces") {
		t.Errorf("the booth's note for a revote: %q", note)
	}
	fillAndCast(t, ctx, false, "c0-blank", "c1-o4") // the revote
	setLang(t, ctx, "fr")
	checkAxe(t, ctx, axe)
	setLang(t, ctx, "en")
	receipt2 := writeFile(t, dir, "receipt2.json", []byte(textOf(t, ctx, "#receipt-file")))
	if out, code := evote(t, nil, "receipt", "check", receipt2, "--node", w.url); code != 0 || !strings.Contains(out, "the voter's ballot that counts") {
		t.Fatalf("evote receipt check of the revote: %d\n%s", code, out)
	}
	if out, code := evote(t, nil, "receipt", "check", receiptFile, "--node", w.url); code != 0 || !strings.Contains(out, "replaced by the voter's later ballot") {
		t.Fatalf("evote receipt check of the replaced ballot: %d\n%s", code, out)
	}

	// A key not on the roll: the chain's refusal, by its code.
	run(t, ctx, chromedp.Click("#cast-back", chromedp.ByQuery))
	waitJS(t, ctx, electionsListed, 10*time.Second)
	eval(t, ctx, `document.getElementById('vote-key').value = 'bob'`, nil)
	run(t, ctx, chromedp.Click("#elections button", chromedp.ByQuery))
	shown(t, ctx, "s-ballot", 10*time.Second)
	run(t, ctx, chromedp.Click("#c1-o0", chromedp.ByQuery), chromedp.Click("#ballot-form button[type=submit]", chromedp.ByQuery))
	shown(t, ctx, "s-review", 20*time.Second)
	run(t, ctx, chromedp.Click("#cast", chromedp.ByQuery))
	shown(t, ctx, "s-cast", 90*time.Second)
	if got := textOf(t, ctx, "#cast-status"); !strings.Contains(got, "not-on-roll (code 9)") {
		t.Errorf("the refusal of a key not on the roll: %q", got)
	}
	checkAxe(t, ctx, axe)

	// Reload: the wallet and both receipts are still there.
	run(t, ctx, chromedp.Navigate(page))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	run(t, ctx, chromedp.SendKeys("#unlock-pass", pass, chromedp.ByQuery), chromedp.Click("#unlock-form button", chromedp.ByQuery))
	shown(t, ctx, "s-keys", 60*time.Second)
	waitJS(t, ctx, `document.querySelectorAll('#receipts .receipt').length === 2`, 10*time.Second)
	// They are kept sealed under the passphrase.
	var sealedReceipts string
	eval(t, ctx, `new Promise((resolve) => { const q = indexedDB.open('evote-wallet'); q.onsuccess = () => {
		const g = q.result.transaction('kv').objectStore('kv').get('receipts'); g.onsuccess = () => resolve(g.result); }; })`, &sealedReceipts)
	rawReceipts, err := base64.StdEncoding.DecodeString(sealedReceipts)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rawReceipts, []byte(`"tracking_code"`)) {
		t.Error("the receipts are kept in the clear")
	}
	pt, err := wallet.Open([]byte(pass), rawReceipts)
	if err != nil {
		t.Fatal(err)
	}
	var kept []struct {
		File string `json:"file"`
	}
	if err := json.Unmarshal(pt, &kept); err != nil || len(kept) != 2 || kept[0].File != string(receipt1) {
		t.Errorf("the sealed receipts open to %d entries (%v), want the two receipt files", len(kept), err)
	}

	// Check a kept receipt again: the first ballot, replaced since.
	run(t, ctx, chromedp.Click("#receipts .receipt button", chromedp.ByQuery))
	waitJS(t, ctx, `document.getElementById('check-result').innerText.includes('replaced')`, 30*time.Second)
	eval(t, ctx, `document.getElementById('check-result').replaceChildren()`, nil)

	// Check my ballot, by a receipt file.
	run(t, ctx, chromedp.SetUploadFiles("#check-file", []string{receiptFile}, chromedp.ByQuery), chromedp.Click("#check-form button", chromedp.ByQuery))
	waitJS(t, ctx, `document.getElementById('check-result').innerText.includes('replaced')`, 30*time.Second)
	if got := textOf(t, ctx, "#check-accepted"); !strings.HasPrefix(got, "Accepted: block") {
		t.Errorf("the check of the receipt file: %q", got)
	}
	checkAxe(t, ctx, axe)
	// The same receipt as a file of the earlier version, without the
	// result part: it checks, and says it proves inclusion only.
	eval(t, ctx, `document.getElementById('check-result').replaceChildren()`, nil)
	run(t, ctx, chromedp.SetUploadFiles("#check-file", []string{writeFile(t, dir, "receipt1-v1.json", receiptV1(t, receipt1))}, chromedp.ByQuery),
		chromedp.Click("#check-form button", chromedp.ByQuery))
	waitJS(t, ctx, `document.getElementById('check-result').innerText.includes('replaced')`, 30*time.Second)
	if got := textOf(t, ctx, "#check-accepted"); !strings.Contains(got, "not that the chain accepted it") {
		t.Errorf("the check of a receipt file of the earlier version: %q", got)
	}

	vs, err := w.api.Voter(t.Context(), w.e.ID, mustVoterKey(t, alice))
	if err != nil || !vs.Voted || vs.Seq != 3 {
		t.Fatalf("alice's status on the node: %+v, %v", vs, err)
	}
	t.Logf("in the browser: sealing the keystore %.0f ms, opening it %.0f ms (Argon2id, 64 MiB); a ballot of 2 + 5 options %.0f ms, its audit %.0f ms, the receipt check %.0f ms",
		timings["sealMs"], timings["openMs"], timings["ballotMs"], timings["spoilMs"], timings["receiptMs"])

	// No request carried a secret: the passphrase, a key's text, a seed.
	secrets := map[string]string{"passphrase": pass, "bob's text": string(bobText)}
	for _, e := range ks.Entries() {
		text, _ := e.Key.MarshalText()
		seed := strings.TrimPrefix(string(text), "evote-voter-secret:")
		raw, _ := hex.DecodeString(seed)
		secrets[e.Name+"'s seed"] = seed
		secrets[e.Name+"'s seed (base64)"] = base64.StdEncoding.EncodeToString(raw)
		secrets[e.Name+"'s seed (bytes)"] = string(raw)
	}
	w.mu.Lock()
	requests := slices.Clone(w.requests)
	w.mu.Unlock()
	for _, req := range requests {
		for what, s := range secrets {
			if strings.Contains(strings.ToLower(req), strings.ToLower(s)) {
				t.Errorf("a request carries %s: %.200s", what, req)
			}
		}
	}
	t.Logf("%d requests recorded, none with a secret", len(requests))

	// The browser's ballot counts: after the close and the trustees'
	// decryption the result has the revote's choices (a blank first
	// contest, Garden in the second), and `evote verify` accepts the
	// election's record.
	bg := context.Background()
	if err := w.e.Authority.Close(bg, w.e.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.e.Decrypt(bg); err != nil {
		t.Fatal(err)
	}
	res, err := w.api.Result(bg, w.e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Contests) != 2 || res.Contests[0].Totals[0]+res.Contests[0].Totals[1] != 0 || res.Contests[1].Totals[4] != 1 {
		t.Fatalf("the result does not count the browser's revote: %+v", res.Contests)
	}
	record := filepath.Join(dir, "record.json")
	if out, code := evote(t, nil, "export", "--node", w.url, "--election", w.e.ID.String(), "--out", record); code != 0 {
		t.Fatalf("evote export: %d\n%s", code, out)
	}
	if out, code := evote(t, nil, "verify", record); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("evote verify of the record with the browser's ballots: %d\n%s", code, out)
	}
}

// castDone waits until the cast's status is final: checked (ok) or
// failed, not the progress shown while the receipt is fetched and checked.
func castDone(t testing.TB, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, `(() => { const c = document.getElementById('cast-status').className; return c.includes('ok') || c.includes('failed'); })()`, 90*time.Second)
}

func textOfClass(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	eval(t, ctx, fmt.Sprintf(`document.querySelector(%q).className`, sel), &s)
	return s
}

func mustVoterKey(t testing.TB, s string) election.VoterPublicKey {
	t.Helper()
	k, err := wallet.ParseVoterPublicKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// press sends key presses to the page: text is typed character by
// character, "\t" is Tab, "\r" Enter, " " Space.
func press(t testing.TB, ctx context.Context, keys string) {
	t.Helper()
	run(t, ctx, chromedp.KeyEvent(keys))
}

// tabTo presses Tab until the element id has the focus.
func tabTo(t testing.TB, ctx context.Context, id string) {
	t.Helper()
	for range 60 {
		var at string
		eval(t, ctx, `document.activeElement ? document.activeElement.id : ''`, &at)
		if at == id {
			return
		}
		press(t, ctx, "\t")
	}
	t.Fatalf("60 presses of Tab do not reach #%s", id)
}

// TestWalletByKeyboard: the whole vote with the keyboard alone (key
// presses only; the test only reads the page): create the wallet and a
// key, refresh the elections once the key is on the roll, fill a
// plurality and a cumulative contest, review and cast, and see the
// receipt checked.
func TestWalletByKeyboard(t *testing.T) {
	w := startWalletNode(t, keyboardTemplate)
	ctx := newBrowser(t, 360, 740)
	run(t, ctx, chromedp.Navigate(w.url+"/wallet?genesis="+w.fingerprint(t)))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	shown(t, ctx, "s-setup", 20*time.Second)

	const pass = "keyboard only passphrase"
	tabTo(t, ctx, "setup-pass")
	press(t, ctx, pass)
	tabTo(t, ctx, "setup-pass2")
	press(t, ctx, pass+"\r")
	shown(t, ctx, "s-keys", 60*time.Second)
	// The focus is on the new key's name.
	press(t, ctx, "kb\r")
	waitJS(t, ctx, `document.querySelectorAll('#keys .pubkey').length === 1 && document.getElementById('busy').hidden`, 60*time.Second)
	w.enrolAndOpen(t, textOf(t, ctx, "#keys .pubkey"))

	tabTo(t, ctx, "refresh-elections")
	press(t, ctx, "\r")
	waitJS(t, ctx, electionsListed, 10*time.Second)
	if got := textOf(t, ctx, "#anchor"); !strings.Contains(got, "the one in this page’s address") {
		t.Errorf("the anchor with the genesis pinned: %q", got)
	}
	tabTo(t, ctx, "vote-0")
	press(t, ctx, "\r")
	shown(t, ctx, "s-ballot", 10*time.Second)
	// The focus is on the first option: Space chooses it; Tab goes to the
	// next contest, whose points are typed.
	press(t, ctx, " ")
	tabTo(t, ctx, "c1-o1")
	press(t, ctx, "2")
	tabTo(t, ctx, "c1-o3")
	press(t, ctx, "1")
	press(t, ctx, "\r") // Enter in a field submits the form: the review
	shown(t, ctx, "s-review", 20*time.Second)
	if got := textOf(t, ctx, "#review-list"); !strings.Contains(got, "Yes") || !strings.Contains(got, "Pool: 2 points, Market: 1 point") {
		t.Errorf("the review shows %q", got)
	}
	tabTo(t, ctx, "cast")
	press(t, ctx, "\r")
	shown(t, ctx, "s-cast", 90*time.Second)
	castDone(t, ctx)
	if cls := textOfClass(t, ctx, "#cast-status"); !strings.Contains(cls, "ok") {
		t.Fatalf("the cast: %s", textOf(t, ctx, "#cast-status"))
	}
	checkAxe(t, ctx, axeSource(t))

	// Check my ballot by its tracking code, typed.
	code := textOf(t, ctx, "#cast-code")
	tabTo(t, ctx, "cast-back")
	press(t, ctx, "\r")
	tabTo(t, ctx, "check-code")
	press(t, ctx, code+"\r")
	waitJS(t, ctx, `document.getElementById('check-result').innerText.includes('the ballot that counts')`, 30*time.Second)
	if got := textOf(t, ctx, "#check-accepted"); !strings.HasPrefix(got, "Accepted: block") {
		t.Errorf("the check by tracking code: %q", got)
	}
}

// receiptV1 is a receipt file as the earlier version wrote it: its
// receipt without the result part.
func receiptV1(t *testing.T, file []byte) []byte {
	t.Helper()
	var f map[string]json.RawMessage
	var r map[string]json.RawMessage
	if err := json.Unmarshal(file, &f); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(f["receipt"], &r); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"next_header", "next_commit", "result", "result_proof"} {
		if _, ok := r[k]; !ok {
			t.Fatalf("the receipt has no %s", k)
		}
		delete(r, k)
	}
	var err error
	if f["receipt"], err = json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	f["version"] = json.RawMessage(`"evote/v1/wallet-receipt"`)
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWalletLocksWhenIdle: without activity the wallet locks itself (here
// after 3 s, through the page's idle parameter; 5 minutes by default),
// forgets its keys and asks for the passphrase again.
func TestWalletLocksWhenIdle(t *testing.T) {
	w := startWalletNode(t, walletTemplate)
	ctx := newBrowser(t, 360, 740)
	// The page is opened for another chain's genesis: the node is refused.
	run(t, ctx, chromedp.Navigate(w.url+"/wallet?idle=3&genesis="+strings.Repeat("0", 64)))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	const pass = "idle wallet passphrase"
	run(t, ctx, chromedp.SendKeys("#setup-pass", pass, chromedp.ByQuery), chromedp.SendKeys("#setup-pass2", pass, chromedp.ByQuery),
		chromedp.Click("#setup-form button", chromedp.ByQuery))
	shown(t, ctx, "s-keys", 60*time.Second)
	waitJS(t, ctx, `document.getElementById('problem').innerText.includes('Do not vote through this node')`, 15*time.Second)
	waitJS(t, ctx, `document.querySelectorAll('#elections button').length === 0`, 5*time.Second)
	run(t, ctx, chromedp.SendKeys("#gen-name", "idle", chromedp.ByQuery), chromedp.Click("#gen-form button", chromedp.ByQuery))
	waitJS(t, ctx, `document.querySelectorAll('#keys .pubkey').length === 1 && document.getElementById('busy').hidden`, 60*time.Second)
	shown(t, ctx, "s-unlock", 15*time.Second)
	if got := textOf(t, ctx, "#notice"); !strings.Contains(got, "locked itself") {
		t.Errorf("the notice after the idle lock: %q", got)
	}
	var keys int
	eval(t, ctx, `document.querySelectorAll('#keys .pubkey').length + window.evoteWalletState.keys.length`, &keys)
	if keys != 0 {
		t.Errorf("the locked page still shows %d keys", keys)
	}
	checkAxe(t, ctx, axeSource(t))
	// The rest with the default idle time: on a loaded machine the next
	// steps may take longer than 3 s apart.
	run(t, ctx, chromedp.Navigate(w.url+"/wallet?genesis="+strings.Repeat("0", 64)))
	shown(t, ctx, "s-unlock", 15*time.Second)
	run(t, ctx, chromedp.SendKeys("#unlock-pass", pass, chromedp.ByQuery), chromedp.Click("#unlock-form button", chromedp.ByQuery))
	shown(t, ctx, "s-keys", 60*time.Second)
	waitJS(t, ctx, `document.querySelectorAll('#keys .pubkey').length === 1`, 5*time.Second)
	// The refusal of the node's chain takes the focus when it shows: wait
	// for it before the removal's question is to have the focus.
	waitJS(t, ctx, `document.getElementById('problem').innerText.includes('Do not vote through this node')`, 15*time.Second)

	// Removing the key asks first, then reseals the wallet without it.
	run(t, ctx, chromedp.Click(`[data-remove="idle"]`, chromedp.ByQuery))
	waitJS(t, ctx, `document.activeElement.id === 'remove-no'`, 5*time.Second)
	checkAxe(t, ctx, axeSource(t))
	run(t, ctx, chromedp.Click("#remove-yes", chromedp.ByQuery))
	waitJS(t, ctx, `document.querySelectorAll('#keys .pubkey').length === 0 && document.getElementById('busy').hidden`, 30*time.Second)
	var sealed string
	eval(t, ctx, `window.evoteWalletState.sealed`, &sealed)
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if ks, err := wallet.OpenKeystore([]byte(pass), raw); err != nil || ks.Len() != 0 {
		t.Fatalf("the sealed wallet after the removal: %v", err)
	}
}
