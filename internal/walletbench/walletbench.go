// Package walletbench is `evote bench wallet`: one node in this process
// serving the API and the pages, and the web wallet at /wallet in headless
// Chromium, driven as a voter drives it. It measures, in the page, the time
// until the wallet is usable, the key derivation (Argon2id) of sealing and
// opening the keystore, the encryption and proof of a ballot of a 5-option
// and of a 100-option contest, and the check of the cast's receipt.
//
// The figures are the page's own: the worker answers each call of the
// wallet module with ms, the time the call took, and the page keeps the
// last of them in window.evoteWalletState.timings (sealMs, openMs,
// ballotMs, receiptMs), which the bench reads. The time until usable is
// from the navigation's start to the page marking itself ready (the
// worker has loaded the module and answered 'ready'): a script the bench
// adds to each document through the DevTools protocol notes
// performance.now() when body's data-ready attribute is set. The page
// itself is unchanged.
package walletbench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/bench"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/wallet"
	"github.com/evote/evote/web"
)

// Config configures a run.
type Config struct {
	Runs int // ballots cast in each of the two elections
	// Browser is Chromium's executable; empty: EVOTE_BROWSER, else
	// chromium, chromium-browser or google-chrome on PATH.
	Browser string
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Runs < 1 || c.Runs > 100 {
		return fmt.Errorf("--runs must be 1..100, got %d", c.Runs)
	}
	return nil
}

// ErrNoBrowser: no Chromium was found.
var ErrNoBrowser = errors.New("no browser: install Chromium (Debian: apt-get install chromium) or set EVOTE_BROWSER to its executable")

// Browser finds Chromium: EVOTE_BROWSER, else chromium, chromium-browser
// or google-chrome on PATH.
func Browser() (string, error) {
	if b := os.Getenv("EVOTE_BROWSER"); b != "" {
		p, err := exec.LookPath(b)
		if err != nil {
			return "", fmt.Errorf("EVOTE_BROWSER=%s: %w (%w)", b, ErrNoBrowser, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Stat is the median and the largest of a figure's samples.
type Stat struct {
	N        int     `json:"n"`
	MedianMs float64 `json:"median_ms"`
	MaxMs    float64 `json:"max_ms"`
}

func stat(ms []float64) Stat {
	if len(ms) == 0 {
		return Stat{}
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{N: len(s), MedianMs: med, MaxMs: s[len(s)-1]}
}

// Result is a run's figures, in milliseconds measured in the page.
type Result struct {
	CPU     string `json:"cpu"`
	Cores   int    `json:"cores"`
	Browser string `json:"browser"`
	Runs    int    `json:"runs"`
	// The wallet module's size as the node serves it, gzip-compressed, and
	// uncompressed.
	WasmGzipBytes int `json:"wasm_gzip_bytes"`
	WasmBytes     int `json:"wasm_bytes"`
	// From the navigation's start to the page being usable: on the first
	// visit (nothing cached) and on a reload.
	UsableFirstMs  float64 `json:"usable_first_ms"`
	UsableReloadMs float64 `json:"usable_reload_ms"`
	// Key derivation: sealing the new keystore under the passphrase, and
	// opening it to unlock the wallet (Argon2id each, and the keystore's
	// encryption).
	SealMs float64 `json:"seal_ms"`
	OpenMs float64 `json:"open_ms"`
	// Encrypting and proving a ballot: one question of 5 options (choose
	// 1), one of 100 options (choose 1 to 10, 10 chosen).
	Ballot5   Stat `json:"ballot_5_options"`
	Ballot100 Stat `json:"ballot_100_options"`
	// Checking the receipt of each cast ballot in the page.
	Receipt Stat `json:"receipt_check"`
	Cast    int  `json:"cast"` // ballots cast and their receipts checked
}

// The elections' manifest: one contest, revoting allowed so that one key
// casts every run's ballot.
const template = `reference: {{.Reference}}
authority: {{.Authority}}
languages: [en]
title: {en: "Wallet bench {{.Reference}}"}
description: {en: "An election for the wallet's bench."}
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
{{.Contest}}
`

const contest5 = `  - type: plurality
    min_selections: 1
    title: {en: "Which of five?"}
    options: [{en: One}, {en: Two}, {en: Three}, {en: Four}, {en: Five}]`

func contest100() string {
	var b strings.Builder
	b.WriteString("  - type: approval\n    min_selections: 1\n    max_selections: 10\n    title: {en: \"Choose 1 to 10 of 100\"}\n    options:\n")
	for i := range 100 {
		fmt.Fprintf(&b, "      - {en: Option %d}\n", i+1)
	}
	return strings.TrimRight(b.String(), "\n")
}

const passphrase = "correct horse battery staple"

// Run starts a node in a temporary home and Chromium, creates a wallet
// with one key in the page, creates and opens two elections with that key
// on their rolls, and casts cfg.Runs ballots in each.
func Run(ctx context.Context, cfg Config, progress func(string, ...any)) (*Result, error) {
	bin := cfg.Browser
	if bin == "" {
		var err error
		if bin, err = Browser(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "evote-walletbench-")
	if err != nil {
		return nil, err
	}
	defer removeAll(dir)
	node, authority, err := startNode(filepath.Join(dir, "node"))
	if err != nil {
		return nil, err
	}
	defer node.Stop()
	l, err := web.Listen(node, "127.0.0.1:0", web.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	defer l.Stop()
	res := &Result{CPU: bench.CPUModel(), Cores: runtime.NumCPU(), Browser: bin, Runs: cfg.Runs}
	if res.WasmGzipBytes, err = moduleSize(ctx, l.URL, true); err != nil {
		return nil, err
	}
	if res.WasmBytes, err = moduleSize(ctx, l.URL, false); err != nil {
		return nil, err
	}
	sub, err := api.NewClient(l.URL, nil)
	if err != nil {
		return nil, err
	}

	progress("node up at %s; starting %s ...", l.URL, bin)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(filepath.Join(dir, "chromium")),
		chromedp.WindowSize(1000, 800))
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	b := &browserPage{ctx: bctx}
	if err := chromedp.Run(bctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(markUsable).Do(ctx)
		return err
	})); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}

	// The first visit: nothing cached.
	progress("loading the wallet and creating a keystore with one key ...")
	if res.UsableFirstMs, err = b.load(chromedp.Navigate(l.URL + "/wallet")); err != nil {
		return nil, err
	}
	if err := b.shown("s-setup", 10*time.Second); err != nil {
		return nil, err
	}
	if err := b.eval(fmt.Sprintf(`document.getElementById('setup-pass').value = %q; document.getElementById('setup-pass2').value = %q;
		document.querySelector('#setup-form button').click(); true`, passphrase, passphrase), nil); err != nil {
		return nil, err
	}
	if err := b.shown("s-keys", 2*time.Minute); err != nil {
		return nil, err
	}
	if res.SealMs, err = b.timing("sealMs"); err != nil {
		return nil, err
	}
	if err := b.eval(`document.getElementById('gen-name').value = 'bench'; document.querySelector('#gen-form button').click(); true`, nil); err != nil {
		return nil, err
	}
	if err := b.wait(`document.querySelectorAll('#keys .pubkey').length === 1 && document.getElementById('busy').hidden`, 2*time.Minute); err != nil {
		return nil, err
	}
	var voter string
	if err := b.eval(`document.querySelector('#keys .pubkey').textContent.trim()`, &voter); err != nil {
		return nil, err
	}
	key, err := wallet.ParseVoterPublicKey(voter)
	if err != nil {
		return nil, fmt.Errorf("the page's key %q: %w", voter, err)
	}

	progress("creating two elections with the page's key on their rolls and running their key ceremonies ...")
	ref := make([]byte, 6)
	rand.Read(ref)
	var els [2]*harness.Election
	var errs [2]error
	var wg sync.WaitGroup
	for i, c := range []string{contest5, contest100()} {
		wg.Go(func() {
			els[i], errs[i] = setupElection(ctx, sub, authority, fmt.Sprintf("walletbench-%s-%d", hex.EncodeToString(ref), i), c, key)
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}

	// A reload: the module is in the browser's cache; unlock the keystore.
	progress("reloading and unlocking ...")
	if res.UsableReloadMs, err = b.load(chromedp.Reload()); err != nil {
		return nil, err
	}
	if err := b.shown("s-unlock", 10*time.Second); err != nil {
		return nil, err
	}
	if err := b.eval(fmt.Sprintf(`document.getElementById('unlock-pass').value = %q; document.querySelector('#unlock-form button').click(); true`, passphrase), nil); err != nil {
		return nil, err
	}
	if err := b.shown("s-keys", 2*time.Minute); err != nil {
		return nil, err
	}
	if res.OpenMs, err = b.timing("openMs"); err != nil {
		return nil, err
	}

	var b5, b100, receipts []float64
	for run := range cfg.Runs {
		for i, e := range els {
			progress("run %d of %d: a ballot of %s ...", run+1, cfg.Runs, map[int]string{0: "5 options", 1: "100 options"}[i])
			var opts []int
			if i == 0 {
				opts = []int{run % 5}
			} else {
				for k := range 10 {
					opts = append(opts, (run*7+k*10)%100)
				}
			}
			ballotMs, receiptMs, err := b.cast(e.ID.String(), opts)
			if err != nil {
				return nil, fmt.Errorf("run %d, election %d: %w", run+1, i+1, err)
			}
			if i == 0 {
				b5 = append(b5, ballotMs)
			} else {
				b100 = append(b100, ballotMs)
			}
			receipts = append(receipts, receiptMs)
			res.Cast++
		}
	}
	res.Ballot5, res.Ballot100, res.Receipt = stat(b5), stat(b100), stat(receipts)
	return res, nil
}

// markUsable notes, in each document, when the page marks itself ready.
const markUsable = `new MutationObserver(() => {
  if (window.__evoteBenchUsable === undefined && document.body && document.body.dataset.ready === 'true') window.__evoteBenchUsable = performance.now();
}).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });`

func setupElection(ctx context.Context, c *api.Client, authority *election.PrivateKey, ref, contest string, key election.VoterPublicKey) (*harness.Election, error) {
	e, err := harness.Create(ctx, harness.NewAPI(c), harness.Spec{Template: template, Reference: ref,
		Vars: map[string]any{"Contest": contest}, Voters: 1, Authority: authority})
	if err != nil {
		return nil, err
	}
	if err := e.Authority.AppendRoll(ctx, e.ID, []election.RollEntry{{Voter: key, Weight: 1}}, 0); err != nil {
		return nil, err
	}
	if err := e.Ceremony(ctx); err != nil {
		return nil, err
	}
	if err := e.Authority.Open(ctx, e.ID); err != nil {
		return nil, err
	}
	return e, nil
}

// moduleSize is the size of the wallet module as the node sends it, with
// or without gzip.
func moduleSize(ctx context.Context, base string, gzip bool) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/wasm/wallet.wasm", nil)
	if err != nil {
		return 0, err
	}
	if gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
		return 0, fmt.Errorf("GET /wasm/wallet.wasm: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, err
	}
	if gzip != (resp.Header.Get("Content-Encoding") == "gzip") {
		return 0, fmt.Errorf("GET /wasm/wallet.wasm: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	return int(n), nil
}

// browserPage is the wallet's page in Chromium.
type browserPage struct{ ctx context.Context }

func (b *browserPage) eval(expr string, out any) error {
	return chromedp.Run(b.ctx, chromedp.Evaluate(expr, out, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// wait waits until the expression is true.
func (b *browserPage) wait(expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		if err := b.eval("!!("+expr+")", &ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			var says string
			b.eval(`document.getElementById('problem').innerText + ' | ' + document.getElementById('notice').innerText`, &says)
			return fmt.Errorf("after %v, not %s (the page says: %s)", timeout, expr, says)
		}
		select {
		case <-b.ctx.Done():
			return b.ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// shown waits until the page's section id is shown and nothing is busy.
func (b *browserPage) shown(id string, timeout time.Duration) error {
	return b.wait(fmt.Sprintf(`!document.getElementById(%q).hidden && document.getElementById('busy').hidden`, id), timeout)
}

// load navigates and returns the time from the navigation's start until
// the page was usable.
func (b *browserPage) load(nav chromedp.Action) (float64, error) {
	if err := chromedp.Run(b.ctx, nav); err != nil {
		return 0, err
	}
	if err := b.wait(`window.__evoteBenchUsable !== undefined`, time.Minute); err != nil {
		return 0, err
	}
	var ms float64
	err := b.eval(`window.__evoteBenchUsable`, &ms)
	return ms, err
}

// timing reads one of the page's timings.
func (b *browserPage) timing(name string) (float64, error) {
	var ms float64
	if err := b.eval(fmt.Sprintf(`window.evoteWalletState.timings[%q] ?? -1`, name), &ms); err != nil {
		return 0, err
	}
	if ms < 0 {
		return 0, fmt.Errorf("the page has no timing %s", name)
	}
	return ms, nil
}

// electionsListed: the list of open elections is loaded and has both.
const electionsListed = `document.getElementById('elections').getAttribute('aria-busy') === 'false' && document.querySelectorAll('#elections button').length === 2`

// cast votes in election id for the options (of its one contest), casts
// the ballot and waits for its receipt to be checked; it returns the
// page's timings of the ballot's encryption and proof and of the
// receipt's check.
func (b *browserPage) cast(id string, options []int) (ballotMs, receiptMs float64, err error) {
	if err := b.wait(electionsListed, time.Minute); err != nil {
		return 0, 0, err
	}
	var i int
	if err := b.eval(fmt.Sprintf(`window.evoteWalletState.elections.findIndex((e) => e.id === %q)`, id), &i); err != nil {
		return 0, 0, err
	}
	if i < 0 {
		return 0, 0, fmt.Errorf("the page does not list election %s", id)
	}
	if err := b.eval(fmt.Sprintf(`document.getElementById('vote-%d').click(); true`, i), nil); err != nil {
		return 0, 0, err
	}
	if err := b.shown("s-ballot", time.Minute); err != nil {
		return 0, 0, err
	}
	var click strings.Builder
	for _, o := range options {
		fmt.Fprintf(&click, "document.getElementById('c0-o%d').click(); ", o)
	}
	click.WriteString(`window.evoteWalletState.timings = {}; document.querySelector('#ballot-form button[type=submit]').click(); true`)
	if err := b.eval(click.String(), nil); err != nil {
		return 0, 0, err
	}
	if err := b.shown("s-review", 10*time.Second); err != nil {
		return 0, 0, err
	}
	// The status still shows the last cast's until this one's is final.
	if err := b.eval(`document.getElementById('cast-status').className = ''; document.getElementById('cast').click(); true`, nil); err != nil {
		return 0, 0, err
	}
	if err := b.wait(`(() => { const c = document.getElementById('cast-status').className; return !document.getElementById('s-cast').hidden && document.getElementById('busy').hidden && (c.includes('ok') || c.includes('failed')); })()`, 3*time.Minute); err != nil {
		return 0, 0, err
	}
	var status []string
	if err := b.eval(`[document.getElementById('cast-status').className, document.getElementById('cast-status').textContent]`, &status); err != nil {
		return 0, 0, err
	}
	if len(status) != 2 || !strings.Contains(status[0], "ok") {
		return 0, 0, fmt.Errorf("the cast failed: %v", status)
	}
	if ballotMs, err = b.timing("ballotMs"); err != nil {
		return 0, 0, err
	}
	if receiptMs, err = b.timing("receiptMs"); err != nil {
		return 0, 0, err
	}
	if err := b.eval(`document.getElementById('cast-back').click(); true`, nil); err != nil {
		return 0, 0, err
	}
	return ballotMs, receiptMs, nil
}

// removeAll removes the temporary home, retrying for a moment: Chromium's
// helper processes may still write to their profile after it stopped.
func removeAll(dir string) {
	for range 50 {
		if os.RemoveAll(dir) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startNode writes a one-validator home whose genesis names a fresh
// authority and starts its node.
func startNode(home string) (*chain.Node, *election.PrivateKey, error) {
	return localnet.StartNodeWithAuthority(home, "walletbench", "evote-walletbench")
}

// Print writes the result for a reader.
func (r *Result) Print(out io.Writer) {
	fmt.Fprintf(out, "machine: %s, %d cores (node, trustees and browser share them)\n", r.CPU, r.Cores)
	fmt.Fprintf(out, "browser: %s, headless\n", r.Browser)
	fmt.Fprintf(out, "wallet module: %.0f KB gzip-compressed (%.0f KB)\n\n", float64(r.WasmGzipBytes)/1e3, float64(r.WasmBytes)/1e3)
	fmt.Fprintf(out, "%-44s %10s\n", "", "ms")
	fmt.Fprintf(out, "%-44s %10.0f\n", "page usable, first visit", r.UsableFirstMs)
	fmt.Fprintf(out, "%-44s %10.0f\n", "page usable, reload", r.UsableReloadMs)
	fmt.Fprintf(out, "%-44s %10.0f\n", "key derivation: seal the new keystore", r.SealMs)
	fmt.Fprintf(out, "%-44s %10.0f\n\n", "key derivation: open it (unlock)", r.OpenMs)
	fmt.Fprintf(out, "%-44s %10s %10s %6s\n", "", "median ms", "max ms", "n")
	row := func(name string, s Stat) {
		fmt.Fprintf(out, "%-44s %10.0f %10.0f %6d\n", name, s.MedianMs, s.MaxMs, s.N)
	}
	row("ballot, 5 options: encrypt and prove", r.Ballot5)
	row("ballot, 100 options (10 chosen): same", r.Ballot100)
	row("receipt check", r.Receipt)
	fmt.Fprintf(out, "\n(%d ballots cast; the times are the page's own, measured in the wallet's worker)\n", r.Cast)
}
