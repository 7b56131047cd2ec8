package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/feedproxy"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/feed"
)

// dashboardTemplate is the manifest of the dashboard's test election: the
// web tests' contests, in English and French.
const dashboardTemplate = `reference: {{.Reference}}
authority: {{.Authority}}
languages: [en, fr]
title: {en: Dashboard test {{.Reference}}, fr: Test du tableau de bord {{.Reference}}}
description: {en: An election for the dashboard's tests., fr: Un scrutin pour les tests du tableau de bord.}
revoting: false
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
    min_selections: 1
    title: {en: Q1, fr: Q1 fr}
    options: [{en: Yes, fr: Oui}, {en: No, fr: Non}]
  - type: approval
    max_selections: 2
    title: {en: Q2, fr: Q2 fr}
    options: [{en: A, fr: A}, {en: B, fr: B}, {en: C, fr: C}]
`

// dashboardNode is a test node behind an HTTP server (the node's own
// handler: API, feed and pages), and an election set up on it with voters.
type dashboardNode struct {
	tn  *testNode
	url string
	api *api.Client
	e   *harness.Election
}

func startDashboardNode(t testing.TB, voters int) *dashboardNode {
	t.Helper()
	tn := startTestNode(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tn.server.Load().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Setup(t.Context(), harness.NewAPI(c), harness.Spec{Template: dashboardTemplate, Reference: "dash",
		Voters: voters, Authority: tn.authority})
	if err != nil {
		t.Fatal(err)
	}
	return &dashboardNode{tn: tn, url: srv.URL, api: c, e: e}
}

// head is the record head of the election as the node has it.
func (d *dashboardNode) head() (*observer.RecordHead, error) {
	var head *observer.RecordHead
	err := d.tn.node.Load().App().Store().View(context.Background(), func(_ chain.Meta, st election.ReadStore) error {
		var err error
		head, err = feed.Head(d.tn.node.Load(), st, d.e.ID)
		return err
	})
	return head, err
}

// height is the node's last committed block.
func (d *dashboardNode) height(t testing.TB) int64 {
	t.Helper()
	st, err := d.api.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st.Height
}

// newBrowser starts headless Chromium with a window of width x height CSS
// pixels and returns its context. Uncaught exceptions of the page are
// logged.
func newBrowser(t testing.TB, width, height int) context.Context {
	t.Helper()
	// Not t.TempDir: Chromium's helper processes may still write to their
	// profile for a moment after the browser is stopped, which fails
	// TempDir's removal. This one is removed after the browser stops
	// (cleanups run last first), retrying for a few seconds.
	profile, err := os.MkdirTemp("", "evote-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			t.Logf("page exception: %s", e.ExceptionDetails.Error())
		}
	})
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return ctx
}

// eval evaluates a JavaScript expression in the page (awaiting a promise)
// into out.
func eval(t testing.TB, ctx context.Context, expr string, out any) {
	t.Helper()
	err := chromedp.Run(ctx, chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
}

// pageVerification is what the page's verification panel says.
type pageVerification struct {
	State   string `json:"state"` // loading, unavailable, waiting, verified, failed
	Height  int64  `json:"height,string"`
	Ballots int    `json:"ballots,string"`
	Text    string `json:"text"`
	Failure string `json:"failure"`
}

func verification(t testing.TB, ctx context.Context) pageVerification {
	t.Helper()
	var raw string
	eval(t, ctx, `(() => { const s = document.getElementById('verify-status'); const f = document.getElementById('verify-failure');
		return JSON.stringify({state: s.dataset.state || '', height: s.dataset.height || '0', ballots: s.dataset.ballots || '0',
			text: s.innerText, failure: f.hidden ? '' : f.innerText}); })()`, &raw)
	var v pageVerification
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// checkNoCSPViolation fails the test if the page reported a breach of the
// content security policy (the pages record them in
// window.evoteCSPViolations): the policy allows no inline code, and the
// page must need none.
func checkNoCSPViolation(t testing.TB, ctx context.Context) {
	t.Helper()
	var v []string
	eval(t, ctx, `window.evoteCSPViolations || []`, &v)
	if len(v) > 0 {
		t.Errorf("content security policy violations: %v", v)
	}
}

// waitFailed waits until the page says its verification failed, with its
// status panel red, and returns what it shows.
func waitFailed(t testing.TB, ctx context.Context, timeout time.Duration) pageVerification {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v := verification(t, ctx)
		if v.State == "failed" {
			var class string
			eval(t, ctx, `document.getElementById('verify-status').className`, &class)
			if !strings.Contains(class, "failed") {
				t.Errorf("the status panel's class is %q, want failed (red)", class)
			}
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the page has not seen the lie: %+v", timeout, v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitVerified waits until the page says it verified at least height and
// ballots, failing on a verification failure or after timeout.
func waitVerified(t testing.TB, ctx context.Context, height int64, ballots int, timeout time.Duration) pageVerification {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v := verification(t, ctx)
		switch {
		case v.State == "failed" || v.State == "unavailable":
			t.Fatalf("the page cannot verify: %s %s", v.Text, v.Failure)
		case v.State == "verified" && v.Height >= height && v.Ballots >= ballots:
			return v
		case time.Now().After(deadline):
			t.Fatalf("after %v the page shows %+v, want height >= %d and %d ballots", timeout, v, height, ballots)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitText waits until the page's visible text contains want.
func waitText(t testing.TB, ctx context.Context, sel, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got string
		eval(t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {innerText: ''}).innerText`, sel), &got)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v %s shows %q, want it to contain %q", timeout, sel, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkFits fails if anything on the page is wider than the window.
func checkFits(t testing.TB, ctx context.Context) {
	t.Helper()
	var over []string
	eval(t, ctx, `(() => {
		const w = document.documentElement.clientWidth, out = [];
		if (document.documentElement.scrollWidth > w) out.push('document: ' + document.documentElement.scrollWidth + 'px wide');
		for (const e of document.body.querySelectorAll('*')) {
			if (e.closest('.scroll') || e.closest('[hidden]')) continue;
			const r = e.getBoundingClientRect();
			if (r.width > 0 && (r.right > w + 0.5 || r.left < -0.5)) out.push(e.tagName + (e.id ? '#' + e.id : '') + ': ' + r.left + '..' + r.right);
		}
		return out; })()`, &over)
	if len(over) > 0 {
		t.Errorf("at %s, these overflow the window: %v", "375px", over)
	}
}

// screenshot writes a PNG of the whole page to $EVOTE_SCREENSHOT_DIR/name,
// when that is set, for a person to look at.
func screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("EVOTE_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// axeSource is axe-core's script, installed by npm into web/testdata/npm
// (make test and .ci/run install it).
func axeSource(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "npm", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is not installed (run make test, or npm ci in web/testdata/npm): %v", err)
	}
	return string(b)
}

// checkAxe runs axe-core's WCAG 2.1 A and AA rules over the page and fails
// on any violation.
func checkAxe(t testing.TB, ctx context.Context, axe string) {
	t.Helper()
	var loaded bool
	eval(t, ctx, axe+"\n;typeof axe === 'object'", &loaded)
	if !loaded {
		t.Fatal("axe-core did not load")
	}
	var violations []struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target []any  `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	}
	var raw string
	eval(t, ctx, `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(r => JSON.stringify(r.violations))`, &raw)
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		for _, n := range v.Nodes {
			t.Errorf("axe: %s (%s) at %v: %s", v.ID, v.Help, n.Target, n.HTML)
		}
	}
}

// TestDashboardInBrowser: the election's page, in headless Chromium on a
// phone-sized window, against a real node with a real election: the
// browser's verifier catches up from block 1 and then follows each ballot
// within moments of its commit; the result appears once decrypted; the
// language switch offers the manifest's languages; nothing overflows 375px
// and axe-core finds no WCAG 2.1 AA violation.
func TestDashboardInBrowser(t *testing.T) {
	axe := axeSource(t)
	d := startDashboardNode(t, 6)
	ctx := t.Context()
	choices := [][]uint64{{1, 0}, {0, 1, 1}}
	for i := range 3 {
		if _, _, err := d.e.Cast(ctx, i, choices); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, 375, 812)
	if err := chromedp.Run(b, chromedp.Navigate(d.url+"/elections/"+d.e.ID.String())); err != nil {
		t.Fatal(err)
	}
	v := waitVerified(t, b, d.height(t), 3, 60*time.Second)
	if !strings.Contains(v.Text, fmt.Sprintf("up to block %d", v.Height)) {
		t.Errorf("the verification panel says %q", v.Text)
	}
	// The page shows the genesis fingerprint it anchors on, the one the
	// record's head gives.
	head, err := d.head()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := head.GenesisFingerprint()
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "#v-genesis", fp, 10*time.Second)
	waitText(t, b, "#title", "Dashboard test dash", 10*time.Second)
	waitText(t, b, "#r-turnout", "3 of 6", 10*time.Second)
	checkFits(t, b)
	checkAxe(t, b, axe)
	screenshot(t, b, "dashboard-open.png")

	// Each new ballot shows as verified soon after its commit: the page
	// reaches the ballot's block (blocks here come every 100 ms or so).
	for i := 3; i < 6; i++ {
		_, h, err := d.e.Cast(ctx, i, choices)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		waitVerified(t, b, h, i+1, 10*time.Second)
		t.Logf("ballot %d committed in block %d, shown verified after %v", i+1, h, time.Since(start).Round(time.Millisecond))
	}

	if err := d.e.Authority.Close(ctx, d.e.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.e.Decrypt(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := d.api.Result(ctx, d.e.ID)
	if err != nil {
		t.Fatal(err)
	}
	waitVerified(t, b, res.Height, 6, 30*time.Second)
	waitText(t, b, "#result", "Yes\t6", 10*time.Second)
	waitText(t, b, "#result", "C\t6", 10*time.Second)
	// The totals shown are the ones this browser derived from the shares
	// it checked, and the node's agree with them.
	waitText(t, b, "#result", "Verified by this browser", 10*time.Second)
	waitText(t, b, "#result-compare", "the same totals", 10*time.Second)
	checkNoCSPViolation(t, b)
	checkFits(t, b)
	checkAxe(t, b, axe)
	screenshot(t, b, "dashboard-tallied.png")

	// The manifest has two languages: the page offers both and switches.
	var langs []string
	eval(t, b, `[...document.querySelectorAll('#lang option')].map(o => o.value)`, &langs)
	if strings.Join(langs, ",") != "en,fr" {
		t.Fatalf("the language switch offers %v, want en and fr", langs)
	}
	if err := chromedp.Run(b, chromedp.SetValue("#lang", "fr", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById('lang').dispatchEvent(new Event('change'))`, nil)); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "#title", "Test du tableau de bord dash", 5*time.Second)
	waitText(t, b, "#result", "Oui\t6", 5*time.Second)
	waitText(t, b, "#verify-status", "Vérifié par ce navigateur jusqu’au bloc", 5*time.Second)
	var lang string
	eval(t, b, `document.documentElement.lang`, &lang)
	if lang != "fr" {
		t.Errorf("html lang %q after switching to French", lang)
	}
	checkFits(t, b)
	checkAxe(t, b, axe)
	screenshot(t, b, "dashboard-fr.png")

	// A node whose API reports other totals than the chain's: the page
	// shows the verified totals and says the node's differ.
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/result") {
			d.tn.server.Load().ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		d.tn.server.Load().ServeHTTP(rec, r)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Error(err)
		}
		contests, _ := m["contests"].([]any)
		if len(contests) == 0 {
			t.Errorf("no contests in the result %s", rec.Body.Bytes())
		} else {
			contests[0].(map[string]any)["totals"] = []int{2, 4}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(m)
	}))
	t.Cleanup(liar.Close)
	if err := chromedp.Run(b, chromedp.Navigate(liar.URL+"/elections/"+d.e.ID.String())); err != nil {
		t.Fatal(err)
	}
	waitVerified(t, b, res.Height, 6, 30*time.Second)
	waitText(t, b, "#result-compare", "other totals", 10*time.Second)
	waitText(t, b, "#result", "Yes\t6", 10*time.Second)
}

// BenchmarkBrowserVerifier measures the browser's verifier in headless
// Chromium: an election with $EVOTE_BENCH_BALLOTS ballots (default 300) is
// on the chain before the page opens, and the page verifies it from block 1.
// It reports ballots per second from the first block the worker received
// to the last one verified (the worker's clock), and the page's own figure.
// Run it with go test ./web -run '^$' -bench BrowserVerifier -benchtime 1x.
func BenchmarkBrowserVerifier(b *testing.B) {
	n := 300
	if s := os.Getenv("EVOTE_BENCH_BALLOTS"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			b.Fatal(err)
		}
	}
	d := startDashboardNode(b, n)
	ctx := b.Context()
	choices := [][]uint64{{1, 0}, {0, 1, 1}}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, _, err := d.e.Cast(ctx, i, choices); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	top := d.height(b)
	b.ResetTimer()
	for range b.N {
		br := newBrowser(b, 1024, 768)
		if err := chromedp.Run(br, chromedp.Navigate(d.url+"/elections/"+d.e.ID.String())); err != nil {
			b.Fatal(err)
		}
		waitVerified(b, br, top, n, 10*time.Minute)
		var stats struct {
			FirstBlockAt float64 `json:"firstBlockAt"`
			VerifiedAt   float64 `json:"verifiedAt"`
			BusyMs       float64 `json:"busyMs"`
		}
		var raw string
		eval(b, br, `JSON.stringify(window.evoteDashboard.stats)`, &raw)
		if err := json.Unmarshal([]byte(raw), &stats); err != nil {
			b.Fatal(err)
		}
		secs := (stats.VerifiedAt - stats.FirstBlockAt) / 1000
		b.ReportMetric(float64(n)/secs, "ballots/s")
		b.ReportMetric(float64(n)/(stats.BusyMs/1000), "ballots/s-in-verifier")
		var speed string
		eval(b, br, `document.getElementById('v-speed').innerText`, &speed)
		b.Logf("%d ballots up to block %d: %.3f s from the first block to the last verified, %.3f s in the verifier; the page says %q",
			n, top, secs, stats.BusyMs/1000, speed)
	}
}

// TestDashboardShowsALie: a node whose feed lies (here through a man in
// the middle, internal/feedproxy) turns the page red, naming the item that
// failed, and the page stops claiming anything verified past it.
func TestDashboardShowsALie(t *testing.T) {
	d := startDashboardNode(t, 2)
	ctx := t.Context()
	for i := range 2 {
		if _, _, err := d.e.Cast(ctx, i, [][]uint64{{1, 0}, {0, 1, 1}}); err != nil {
			t.Fatal(err)
		}
	}
	other := strings.Repeat("ab", 32)
	type lie struct {
		name    string
		rewrite feedproxy.Rewrites
		item    func() string // the item the page must name
		code    string
	}
	one := func(f func([]byte) []byte) feedproxy.Rewrites {
		return func(m []byte) [][]byte { return [][]byte{f(m)} }
	}
	fixed := func(s string) func() string { return func() string { return s } }
	lies := []lie{
		{"hello of another election", one(func(msg []byte) []byte {
			var m map[string]json.RawMessage
			if json.Unmarshal(msg, &m) != nil || string(m["type"]) != `"hello"` {
				return msg
			}
			return bytes.Replace(msg, []byte(d.e.ID.String()), []byte(other), 1)
		}), fixed("feed hello"), ""},
		{"a block replayed under an earlier height", one(func() func([]byte) []byte {
			var last int64
			return func(msg []byte) []byte {
				var m struct {
					Block *struct {
						Height int64 `json:"height"`
					} `json:"block"`
				}
				if json.Unmarshal(msg, &m) != nil || m.Block == nil {
					return msg
				}
				if last == 0 || m.Block.Height < 8 {
					last = m.Block.Height
					return msg
				}
				return bytes.Replace(msg, []byte(fmt.Sprintf(`"height":%d`, m.Block.Height)), []byte(fmt.Sprintf(`"height":%d`, last)), 1)
			}
		}()), fixed("block "), ""},
	}
	// The lies every verifier must catch at their block (the same as the
	// follower's, test/observe_forge_test.go).
	for _, f := range feedproxy.Forgeries() {
		rw, item := f.New()
		lies = append(lies, lie{f.Name, rw, item, string(f.Code)})
	}
	b := newBrowser(t, 375, 812)
	for _, c := range lies {
		t.Run(c.name, func(t *testing.T) {
			p, err := feedproxy.NewMulti(d.url, c.rewrite)
			if err != nil {
				t.Fatal(err)
			}
			ps := httptest.NewServer(p)
			t.Cleanup(ps.Close)
			t.Cleanup(p.Close)
			if err := chromedp.Run(b, chromedp.Navigate(ps.URL+"/elections/"+d.e.ID.String())); err != nil {
				t.Fatal(err)
			}
			v := waitFailed(t, b, 30*time.Second)
			if !strings.Contains(v.Failure, c.item()) || c.item() == "" {
				t.Errorf("the page names %q, want %q", v.Failure, c.item())
			}
			if c.code != "" && !strings.Contains(v.Failure, c.code) {
				t.Errorf("the page names %q, want the code %s", v.Failure, c.code)
			}
			checkFits(t, b)
			screenshot(t, b, "dashboard-lie-"+strings.ReplaceAll(c.name, " ", "-")+".png")
		})
	}
}

// TestDashboardGenesisPin: opened with ?genesis=FINGERPRINT, the page
// verifies only a chain of that genesis: another fingerprint turns it red
// naming the genesis; the right one is shown as the address's.
func TestDashboardGenesisPin(t *testing.T) {
	d := startDashboardNode(t, 1)
	head, err := d.head()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := head.GenesisFingerprint()
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 375, 812)
	page := d.url + "/elections/" + d.e.ID.String()
	if err := chromedp.Run(b, chromedp.Navigate(page+"?genesis="+fp)); err != nil {
		t.Fatal(err)
	}
	waitVerified(t, b, d.height(t), 0, 60*time.Second)
	waitText(t, b, "#v-genesis-note", "address", 10*time.Second)
	if err := chromedp.Run(b, chromedp.Navigate(page+"?genesis="+strings.Repeat("0", 64))); err != nil {
		t.Fatal(err)
	}
	if v := waitFailed(t, b, 30*time.Second); !strings.Contains(v.Failure, "genesis") || !strings.Contains(v.Failure, fp) {
		t.Fatalf("the page names %q, want the genesis and its fingerprint %s", v.Failure, fp)
	}
}

// TestDashboardCatchUpProgress: while the browser catches up from block 1
// (slowed here by a proxy that delays each message of the feed), the page
// shows a progress bar towards the node's height, then the verified height.
func TestDashboardCatchUpProgress(t *testing.T) {
	d := startDashboardNode(t, 1)
	if _, _, err := d.e.Cast(t.Context(), 0, [][]uint64{{1, 0}, {0, 1, 1}}); err != nil {
		t.Fatal(err)
	}
	top := d.height(t)
	p, err := feedproxy.New(d.url, func(msg []byte) []byte {
		time.Sleep(150 * time.Millisecond)
		return msg
	})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	t.Cleanup(p.Close)
	b := newBrowser(t, 375, 812)
	if err := chromedp.Run(b, chromedp.Navigate(ps.URL+"/elections/"+d.e.ID.String())); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var seen string
	var goal int64 // the height the bar goes to
	for seen == "" {
		var label string
		eval(t, b, `(() => { const c = document.getElementById('catchup'); return c.hidden ? '' :
			document.getElementById('catchup-label').innerText + ' / ' + document.getElementById('catchup-progress').max; })()`, &label)
		var h, n, max int64
		if _, err := fmt.Sscanf(label, "Catching up: block %d of %d / %d", &h, &n, &max); err == nil {
			if n < top || max != n || h >= n {
				t.Fatalf("while catching up the page says %q, the node being at block %d", label, top)
			}
			seen, goal = label, n
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress bar while catching up: %+v", verification(t, b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	v := verification(t, b)
	if !strings.Contains(v.Text, "Checking the chain from its first block") {
		t.Errorf("while catching up (%s) the panel says %q", seen, v.Text)
	}
	waitVerified(t, b, goal, 1, 30*time.Second)
	var hidden bool
	eval(t, b, `document.getElementById('catchup').hidden`, &hidden)
	if !hidden {
		t.Error("the progress bar stays after the catch-up")
	}
}
