package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/wasmbuild"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

// TestServedConsoleIsTheSource is TestServedVerifierIsTheSource for the
// officials' console's module.
func TestServedConsoleIsTheSource(t *testing.T) {
	servedIsTheSource(t, consoleWasmPath, wasmbuild.ConsolePackage)
}

// TestConsoleIntegrity: the console's page names the SHA-384 of each of
// its scripts and style sheets and gives its worker the console module's
// SHA-256, equal to what the node serves.
func TestConsoleIntegrity(t *testing.T) {
	srv := httptest.NewServer(New(nil, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	get := func(path string) []byte { return getOK(t, srv.URL+path) }
	page := get("/console")
	attr := regexp.MustCompile(`(?:src|href)="(/[a-z0-9._-]+\.(?:js|css))" integrity="sha384-([A-Za-z0-9+/=]+)"`)
	found := attr.FindAllSubmatch(page, -1)
	if len(found) < 4 { // dashboard.css, console.css, ui.js, console.js
		t.Fatalf("the console's page names %d subresources with their integrity:\n%s", len(found), page)
	}
	for _, m := range found {
		sum := sha512.Sum384(get(string(m[1])))
		if base64.StdEncoding.EncodeToString(sum[:]) != string(m[2]) {
			t.Errorf("the integrity of %s is not the served file's", m[1])
		}
	}
	meta := regexp.MustCompile(`name="evote-console-integrity" content="sha256-([A-Za-z0-9+/=]+)"`).FindSubmatch(page)
	if meta == nil {
		t.Fatal("the console's page does not give the module's integrity (run make wasm first)")
	}
	sum := sha256.Sum256(get(consoleWasmPath))
	if base64.StdEncoding.EncodeToString(sum[:]) != string(meta[1]) {
		t.Error("the module's integrity in the page is not the served module's")
	}
}

// consoleNode is a test node behind a server that records every request
// it answers, and trustees run by the harness for the elections the
// console creates.
type consoleNode struct {
	tn  *testNode
	url string
	api *api.Client

	mu       sync.Mutex
	requests []string // method, URL and body of each request
}

func startConsoleNode(t testing.TB) *consoleNode {
	t.Helper()
	tn := startTestNode(t)
	c := &consoleNode{tn: tn}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		c.mu.Lock()
		c.requests = append(c.requests, r.Method+" "+r.URL.String()+"\n"+string(body))
		c.mu.Unlock()
		tn.server.Load().ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	cl, err := api.NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	c.url, c.api = srv.URL, cl
	return c
}

// posts counts the POST requests so far.
func (c *consoleNode) posts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.requests {
		if strings.HasPrefix(r, "POST ") {
			n++
		}
	}
	return n
}

// trustees makes n trustees and their lines as `evote trustee init`
// prints them.
func consoleTrustees(t testing.TB, n int) ([]*harness.Trustee, string) {
	t.Helper()
	var ts []*harness.Trustee
	var lines strings.Builder
	for i := range n {
		tr, err := harness.NewTrustee(fmt.Sprintf("Trustee %c", 'A'+i), trustee.Options{}, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		m, err := tr.Member()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&lines, "    - name: %q\n      identity: %s\n      encryption_key: %s\n", m.Name, m.Identity, m.EncryptionKey)
		ts = append(ts, tr)
	}
	return ts, lines.String()
}

// setField types a value into a field of the page as an input event
// would leave it.
func setField(t testing.TB, ctx context.Context, id, value string) {
	t.Helper()
	v, _ := json.Marshal(value)
	var ok bool
	eval(t, ctx, fmt.Sprintf(`(() => { const e = document.getElementById(%q); if (!e) return false;
		if (e.type === 'checkbox') e.checked = %s === 'true'; else e.value = %s;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, id, v, v), &ok)
	if !ok {
		t.Fatalf("no field #%s", id)
	}
}

// homeShown waits until the console's home is shown with its list of
// elections loaded: the list renders when the node answers and moves the
// buttons below it, so a click before then may land elsewhere.
func homeShown(t testing.TB, ctx context.Context, timeout time.Duration) {
	t.Helper()
	shown(t, ctx, "s-home", timeout)
	waitJS(t, ctx, `document.getElementById('elections').getAttribute('aria-busy') !== 'true'`, timeout)
}

func click(t testing.TB, ctx context.Context, id string) {
	t.Helper()
	run(t, ctx, chromedp.Click("#"+id, chromedp.ByQuery))
}

// fieldHasError waits until the field shows an error beside it, marked
// invalid, and the error summary links to it.
func fieldHasError(t testing.TB, ctx context.Context, id string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`(() => { const e = document.getElementById(%q), m = document.getElementById(%q);
		return e && m && m.textContent !== '' && e.getAttribute('aria-invalid') === 'true' && (e.getAttribute('aria-describedby') || '').includes(%q)
			&& !document.getElementById('problem').hidden && !!document.querySelector('#problem-list a[href="#' + %q + '"]'); })()`, id, id+"-err", id+"-err", id), 10*time.Second)
}

// consoleElection is the page's election once created.
func consoleElection(t testing.TB, ctx context.Context) election.ID {
	t.Helper()
	waitJS(t, ctx, `document.getElementById('el-id').textContent.length === 64`, 10*time.Second)
	id, err := election.ParseID(strings.TrimSpace(textOf(t, ctx, "#el-id")))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// phaseIs waits until the node's election is in phase p and the page
// shows it.
func phaseIs(t testing.TB, ctx context.Context, p string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf(`window.evoteConsoleState.election && window.evoteConsoleState.election.detail && window.evoteConsoleState.election.detail.phase === %q`, p), 60*time.Second)
}

// TestConsoleInBrowser is an official's session in headless Chromium,
// 360 px wide, against a real node: import the authority key that `evote
// up` writes (sealed in IndexedDB); create a two-contest election (a
// plurality and an approval question, in English and French) through the
// form, whose YAML preview the manifest's parser reads to the same
// election; the form's mistakes (a threshold above the trustees, an
// approval maximum above the options) and a roll file's (a voter listed
// twice) are shown at their fields and nothing is sent; upload a roll of
// three voters in two batches, then resume an upload after a reload,
// which skips the voters already on the roll; the trustees' ceremony
// shows as it happens; open and close, each confirmed; the decryption and
// the result, with its chart and table. axe-core finds no WCAG 2.1 AA
// violation in each state, in English, French and German; nothing overflows; no
// request carries the key or the passphrase.
func TestConsoleInBrowser(t *testing.T) {
	n := startConsoleNode(t)
	axe := axeSource(t)
	ctx := newBrowser(t, 360, 740)
	const pass = "officials passphrase"
	keyText, _ := n.tn.authority.MarshalText()
	page := n.url + "/console?batch=2"
	checkBoth := func() {
		t.Helper()
		checkAxe(t, ctx, axe)
		for _, lang := range []string{"fr", "de"} {
			setLang(t, ctx, lang)
			checkAxe(t, ctx, axe)
			checkFits(t, ctx)
		}
		setLang(t, ctx, "en")
		checkFits(t, ctx)
	}

	run(t, ctx, chromedp.Navigate(page))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	shown(t, ctx, "s-setup", 20*time.Second)
	checkBoth()
	// A wrong key is refused at its field.
	run(t, ctx, chromedp.SendKeys("#setup-key", "ed25519-secret:00", chromedp.ByQuery), chromedp.SendKeys("#setup-pass", pass, chromedp.ByQuery),
		chromedp.SendKeys("#setup-pass2", pass, chromedp.ByQuery))
	click(t, ctx, "setup-submit")
	waitJS(t, ctx, `!document.getElementById('problem').hidden && !!document.querySelector('#problem-list a[href="#setup-key"]')`, 10*time.Second)
	checkAxe(t, ctx, axe)
	setField(t, ctx, "setup-key", string(keyText))
	click(t, ctx, "setup-submit")
	homeShown(t, ctx, 60*time.Second)
	if got := textOf(t, ctx, "#authority"); got != n.tn.authority.AuthorityPublic().String() {
		t.Fatalf("the console signs as %q", got)
	}
	checkBoth()

	// The form: two contests, in English and French.
	trustees, lines := consoleTrustees(t, 3)
	fillConsoleForm(t, ctx, "console-test", lines, "2")
	// The live preview: the manifest's parser reads it.
	waitJS(t, ctx, `document.getElementById('yaml-preview').textContent.includes('Jardin') && document.getElementById('preview-state').textContent.includes('valid')`, 10*time.Second)
	preview := textOf(t, ctx, "#yaml-preview")
	m, err := election.ParseManifestYAML([]byte(preview))
	if err != nil {
		t.Fatalf("the preview does not parse: %v\n%s", err, preview)
	}
	wantID, _ := m.ID()
	if len(m.Contests) != 2 || m.Contests[1].Type != election.Approval || m.Contests[1].MaxSelections != 2 || m.Contests[0].MinSelections != 0 || m.Trustees.Threshold != 2 {
		t.Errorf("the preview's manifest: %+v", m)
	}
	checkBoth()
	screenshot(t, ctx, "console-create.png")

	// Two mistakes at once, each at its field; nothing is sent.
	before := n.posts()
	setField(t, ctx, "f-trustees-threshold", "4")
	setField(t, ctx, "f-contests-1-max_selections", "5")
	click(t, ctx, "create-submit")
	fieldHasError(t, ctx, "f-trustees-threshold")
	fieldHasError(t, ctx, "f-contests-1-max_selections")
	checkBoth()
	screenshot(t, ctx, "console-create-errors.png")
	setLang(t, ctx, "fr")
	// The summary and the fields' errors follow the language.
	if got := textOf(t, ctx, "#problem-list"); !strings.Contains(got, "Ceci enfreint une règle du manifeste") {
		t.Errorf("the error summary after switching to French: %q", got)
	}
	fieldHasError(t, ctx, "f-trustees-threshold")
	screenshot(t, ctx, "console-create-errors-fr.png")
	setLang(t, ctx, "en")
	// Each alone, too.
	setField(t, ctx, "f-contests-1-max_selections", "2")
	click(t, ctx, "create-submit")
	fieldHasError(t, ctx, "f-trustees-threshold")
	waitJS(t, ctx, `!document.getElementById('f-contests-1-max_selections-err')`, 5*time.Second)
	setField(t, ctx, "f-trustees-threshold", "2")
	setField(t, ctx, "f-contests-1-max_selections", "4")
	click(t, ctx, "create-submit")
	fieldHasError(t, ctx, "f-contests-1-max_selections")
	if n.posts() != before {
		t.Fatalf("a form with mistakes sent %d requests", n.posts()-before)
	}
	setField(t, ctx, "f-contests-1-max_selections", "2")
	click(t, ctx, "create-submit")
	shown(t, ctx, "s-election", 60*time.Second)
	id := consoleElection(t, ctx)
	if id != wantID {
		t.Fatalf("the election created is %v, the preview's %v", id, wantID)
	}
	d, err := n.api.Election(t.Context(), id)
	if err != nil || d.Manifest.Contests[1].Options[2]["fr"] != "Jardin" {
		t.Fatalf("the node's election: %v", err)
	}
	phaseIs(t, ctx, "dkg-deals")
	checkBoth()

	// A roll file with a voter twice: shown at its line, nothing sent.
	var voters []*wallet.VoterKey
	var roll []string
	for range 4 {
		k, err := wallet.GenerateVoterKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		voters = append(voters, k)
		roll = append(roll, k.Public().String())
	}
	before = n.posts()
	setField(t, ctx, "roll-text", strings.Join([]string{roll[0], roll[1], roll[0]}, "\n"))
	click(t, ctx, "roll-send")
	fieldHasError(t, ctx, "roll-text")
	if got := textOf(t, ctx, "#roll-text-err"); !strings.Contains(got, "3") {
		t.Errorf("the duplicate's line is not named: %q", got)
	}
	checkBoth()
	if n.posts() != before {
		t.Fatalf("a roll file with mistakes sent %d requests", n.posts()-before)
	}
	// Three voters, in two batches of 2 and 1.
	dir := t.TempDir()
	rollFile := writeFile(t, dir, "roll.txt", []byte("# three voters\n"+strings.Join(roll[:3], "\n")+"\n"))
	setField(t, ctx, "roll-text", "")
	run(t, ctx, chromedp.SetUploadFiles("#roll-file", []string{rollFile}, chromedp.ByQuery))
	click(t, ctx, "roll-send")
	waitJS(t, ctx, `document.getElementById('notice').textContent.includes('3 voter(s) added')`, 60*time.Second)
	if n.posts() != before+2 {
		t.Errorf("three voters in batches of two took %d transactions", n.posts()-before)
	}
	if page, err := n.api.Roll(t.Context(), id, 0, 10); err != nil || page.Total != 3 {
		t.Fatalf("the roll: %v %+v", err, page)
	}
	waitJS(t, ctx, `document.getElementById('roll-progress').value === 3 && document.getElementById('roll-progress').max === 3`, 5*time.Second)
	checkAxe(t, ctx, axe)

	// An upload interrupted (as by a reload) resumes: the voters already
	// on the roll are skipped.
	job, _ := json.Marshal(map[string]any{"election": id.String(), "voters": []map[string]any{
		{"voter": roll[0], "weight": 1}, {"voter": roll[1], "weight": 1}, {"voter": roll[2], "weight": 1}, {"voter": roll[3], "weight": 1}}})
	eval(t, ctx, fmt.Sprintf(`new Promise((resolve) => { const r = indexedDB.open('evote-console', 1); r.onsuccess = () => {
		const tx = r.result.transaction('kv', 'readwrite'); tx.objectStore('kv').put(%s, 'roll:' + %q); tx.oncomplete = () => resolve(true); }; })`, job, id), nil)
	run(t, ctx, chromedp.Navigate(page))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	shown(t, ctx, "s-unlock", 20*time.Second)
	checkBoth()
	run(t, ctx, chromedp.SendKeys("#unlock-pass", pass, chromedp.ByQuery))
	click(t, ctx, "unlock-submit")
	homeShown(t, ctx, 60*time.Second)
	waitJS(t, ctx, `!!document.querySelector('[data-election="`+id.String()+`"]')`, 10*time.Second)
	run(t, ctx, chromedp.Click(`[data-election="`+id.String()+`"]`, chromedp.ByQuery))
	shown(t, ctx, "s-election", 10*time.Second)
	waitJS(t, ctx, `!document.getElementById('roll-resume').hidden`, 5*time.Second)
	before = n.posts()
	click(t, ctx, "roll-resume")
	waitJS(t, ctx, `document.getElementById('notice').textContent.includes('1 voter(s) added to the roll; 3 already on it')`, 60*time.Second)
	if n.posts() != before+1 {
		t.Errorf("the resumed upload took %d transactions", n.posts()-before)
	}
	// The roll search.
	setField(t, ctx, "roll-search", roll[3][12:30])
	click(t, ctx, "roll-search-go")
	waitJS(t, ctx, `document.querySelectorAll('#roll-matches li').length === 1`, 10*time.Second)
	setField(t, ctx, "roll-search", roll[2])
	click(t, ctx, "roll-search-go")
	waitJS(t, ctx, `document.getElementById('roll-found').textContent.includes('is on the roll')`, 10*time.Second)

	// The trustees' key ceremony, as the page follows it.
	e := &harness.Election{Sub: harness.NewAPI(n.api), ChainID: testChainID, ID: id, Manifest: d.Manifest, Trustees: trustees,
		Authority: &harness.Authority{Key: n.tn.authority, Sub: harness.NewAPI(n.api)}, Rand: rand.Reader}
	for _, k := range voters {
		e.Voters = append(e.Voters, &harness.Voter{Key: k, Weight: 1})
	}
	if err := e.Ceremony(t.Context()); err != nil {
		t.Fatal(err)
	}
	phaseIs(t, ctx, "ready")
	waitJS(t, ctx, `document.getElementById('joint-key').textContent.length > 40 && document.querySelectorAll('#ceremony-rows tr').length === 3`, 10*time.Second)
	if got := textOf(t, ctx, "#ceremony-state"); !strings.Contains(got, "3 of the 3 trustees are qualified") {
		t.Errorf("the ceremony's state: %q", got)
	}
	checkBoth()

	// Open, confirmed.
	click(t, ctx, "open-election")
	waitJS(t, ctx, `!document.getElementById('confirm').hidden && document.activeElement.id === 'confirm-no'`, 5*time.Second)
	if got := textOf(t, ctx, "#confirm-text"); !strings.Contains(got, "cannot be undone") {
		t.Errorf("the confirmation: %q", got)
	}
	checkBoth()
	click(t, ctx, "confirm-yes")
	phaseIs(t, ctx, "open")
	// Two voters vote.
	for i, choices := range [][][]uint64{{{1, 0}, {1, 0, 1}}, {{1, 0}, {0, 0, 1}}} {
		if _, _, err := e.Cast(t.Context(), i, choices); err != nil {
			t.Fatal(err)
		}
	}
	waitJS(t, ctx, `document.getElementById('el-turnout').textContent.startsWith('2 of 4')`, 30*time.Second)

	// Close, confirmed; the trustees decrypt.
	click(t, ctx, "close-election")
	waitJS(t, ctx, `!document.getElementById('confirm').hidden`, 5*time.Second)
	click(t, ctx, "confirm-yes")
	phaseIs(t, ctx, "closed")
	waitJS(t, ctx, `document.getElementById('decryption-state').textContent.includes('0 share(s) in, 2 needed; 2 more needed')`, 10*time.Second)
	checkAxe(t, ctx, axe)
	if err := e.Decrypt(t.Context()); err != nil {
		t.Fatal(err)
	}
	phaseIs(t, ctx, "tallied")
	waitJS(t, ctx, `document.querySelectorAll('#result-1 tbody tr').length === 3`, 30*time.Second)
	if got := textOf(t, ctx, "#result-1"); !strings.Contains(got, "Library133.3 %") || !strings.Contains(got, "Garden266.7 %") {
		t.Errorf("the approval contest's table: %q", got)
	}
	if got := textOf(t, ctx, "#result-turnout"); !strings.Contains(got, "2 of 4") {
		t.Errorf("the turnout: %q", got)
	}
	var links []string
	eval(t, ctx, `[document.getElementById('record-link').getAttribute('href'), document.getElementById('dashboard-link').getAttribute('href')]`, &links)
	if len(links) != 2 || links[0] != "/api/v1/elections/"+id.String()+"/record" || links[1] != "/elections/"+id.String() {
		t.Errorf("the links: %v", links)
	}
	checkBoth()
	screenshot(t, ctx, "console-result.png")

	// No request carried the key or the passphrase.
	seed := fmt.Sprintf("%x", n.tn.authority.Seed())
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, r := range n.requests {
		if strings.Contains(r, seed) || strings.Contains(r, pass) || strings.Contains(r, url64(n.tn.authority.Seed())) {
			t.Errorf("a request carries a secret: %.200s", r)
		}
	}
}

// fillConsoleForm fills the console's create form with a two-contest
// election in English and French (a plurality question that may be left
// blank, Yes or No, and an approval of up to two of Library, Pool and
// Garden), revoting allowed, with the trustees' lines and the threshold.
func fillConsoleForm(t testing.TB, ctx context.Context, reference, lines, threshold string) {
	t.Helper()
	click(t, ctx, "new-election")
	shown(t, ctx, "s-create", 20*time.Second)
	setField(t, ctx, "f-languages", "en, fr")
	waitJS(t, ctx, `!!document.getElementById('f-title-fr')`, 5*time.Second)
	for id, v := range map[string]string{
		"f-reference": reference, "f-title-en": "Console test", "f-title-fr": "Test de la console",
		"f-trustees-members": lines, "f-trustees-threshold": threshold, "f-revoting": "true",
		"f-contests-0-title-en": "Should the park open at night?", "f-contests-0-title-fr": "Le parc doit-il ouvrir la nuit ?",
		"f-contests-0-options-0-en": "Yes", "f-contests-0-options-0-fr": "Oui", "f-contests-0-options-1-en": "No", "f-contests-0-options-1-fr": "Non",
	} {
		setField(t, ctx, id, v)
	}
	click(t, ctx, "add-contest")
	waitJS(t, ctx, `!!document.getElementById('f-contests-1-type')`, 5*time.Second)
	setField(t, ctx, "f-contests-1-type", "approval")
	waitJS(t, ctx, `!!document.getElementById('f-contests-1-max_selections')`, 5*time.Second)
	click(t, ctx, "add-option-1")
	waitJS(t, ctx, `!!document.getElementById('f-contests-1-options-2-fr')`, 5*time.Second)
	for id, v := range map[string]string{
		"f-contests-1-title-en": "Pick up to two projects", "f-contests-1-title-fr": "Choisissez jusqu'à deux projets",
		"f-contests-1-options-0-en": "Library", "f-contests-1-options-0-fr": "Bibliothèque", "f-contests-1-options-1-en": "Pool",
		"f-contests-1-options-1-fr": "Piscine", "f-contests-1-options-2-en": "Garden", "f-contests-1-options-2-fr": "Jardin",
		"f-contests-1-max_selections": "2",
	} {
		setField(t, ctx, id, v)
	}
}

// consoleImportKey opens the console of the node at url, imports the
// authority key and seals it under pass, and waits for the elections.
func consoleImportKey(t testing.TB, ctx context.Context, url string, authority *election.PrivateKey, pass string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(url+"/console"))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	keyText, _ := authority.MarshalText()
	setField(t, ctx, "setup-key", string(keyText))
	setField(t, ctx, "setup-pass", pass)
	setField(t, ctx, "setup-pass2", pass)
	click(t, ctx, "setup-submit")
	homeShown(t, ctx, 60*time.Second)
}

func url64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestConsoleByKeyboard: an official's way from the key to an open
// election with the keyboard alone (key presses only; the test reads the
// page and runs the trustee): import the key, create a one-contest
// election through the form, and open it once the ceremony is over,
// through the confirmation.
func TestConsoleByKeyboard(t *testing.T) {
	n := startConsoleNode(t)
	ctx := newBrowser(t, 360, 740)
	run(t, ctx, chromedp.Navigate(n.url+"/console"))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	shown(t, ctx, "s-setup", 20*time.Second)

	const pass = "keyboard only passphrase"
	keyText, _ := n.tn.authority.MarshalText()
	tabTo(t, ctx, "setup-key")
	press(t, ctx, string(keyText))
	tabTo(t, ctx, "setup-pass")
	press(t, ctx, pass)
	tabTo(t, ctx, "setup-pass2")
	press(t, ctx, pass+"\r")
	homeShown(t, ctx, 60*time.Second)

	trustees, lines := consoleTrustees(t, 1)
	tabTo(t, ctx, "new-election")
	press(t, ctx, "\r")
	shown(t, ctx, "s-create", 20*time.Second)
	// A second language: Tab goes on to the next field, and each text
	// has a field in each language.
	tabTo(t, ctx, "f-languages")
	press(t, ctx, "en, fr\t") // Tab selected the field's text: typing replaces it
	waitJS(t, ctx, `document.activeElement.id === 'f-reference' && !!document.getElementById('f-title-fr')`, 5*time.Second)
	tabTo(t, ctx, "f-title-en")
	press(t, ctx, "Keyboard test")
	tabTo(t, ctx, "f-title-fr")
	press(t, ctx, "Test au clavier")
	tabTo(t, ctx, "f-trustees-members")
	press(t, ctx, strings.ReplaceAll(strings.TrimRight(lines, "\n"), "\n", "\r"))
	tabTo(t, ctx, "f-trustees-threshold")
	press(t, ctx, "1")
	tabTo(t, ctx, "f-contests-0-title-en")
	press(t, ctx, "Yes or no?")
	tabTo(t, ctx, "f-contests-0-title-fr")
	press(t, ctx, "Oui ou non ?")
	tabTo(t, ctx, "f-contests-0-options-0-en")
	press(t, ctx, "Yes")
	tabTo(t, ctx, "f-contests-0-options-0-fr")
	press(t, ctx, "Oui")
	tabTo(t, ctx, "f-contests-0-options-1-en")
	press(t, ctx, "No")
	tabTo(t, ctx, "f-contests-0-options-1-fr")
	press(t, ctx, "Non")
	tabTo(t, ctx, "create-submit")
	press(t, ctx, "\r")
	shown(t, ctx, "s-election", 60*time.Second)
	id := consoleElection(t, ctx)
	d, err := n.api.Election(t.Context(), id)
	if err != nil || d.Manifest.Title["fr"] != "Test au clavier" || d.Manifest.Contests[0].Options[1]["fr"] != "Non" || len(d.Manifest.Trustees.Members) != 1 {
		t.Fatalf("the node's election: %v %+v", err, d)
	}

	e := &harness.Election{Sub: harness.NewAPI(n.api), ChainID: testChainID, ID: id, Manifest: d.Manifest, Trustees: trustees, Rand: rand.Reader}
	if err := e.Ceremony(t.Context()); err != nil {
		t.Fatal(err)
	}
	phaseIs(t, ctx, "ready")
	waitJS(t, ctx, `!document.getElementById('open-election').hidden`, 10*time.Second)
	tabTo(t, ctx, "open-election")
	press(t, ctx, "\r")
	// The confirmation takes the focus on its safe answer; Shift+Tab
	// goes to the other.
	waitJS(t, ctx, `document.activeElement.id === 'confirm-no'`, 5*time.Second)
	run(t, ctx, chromedp.KeyEvent("\t", chromedp.KeyModifiers(input.ModifierShift)))
	waitJS(t, ctx, `document.activeElement.id === 'confirm-yes'`, 5*time.Second)
	press(t, ctx, "\r")
	phaseIs(t, ctx, "open")
	checkAxe(t, ctx, axeSource(t))
}

// TestConsoleYAMLUpload: a manifest file fills the form, which then
// creates the same election; a file of another authority is said so.
func TestConsoleYAMLUpload(t *testing.T) {
	n := startConsoleNode(t)
	ctx := newBrowser(t, 360, 740)
	consoleImportKey(t, ctx, n.url, n.tn.authority, "yaml upload passphrase")
	click(t, ctx, "new-election")
	shown(t, ctx, "s-create", 20*time.Second)

	_, lines := consoleTrustees(t, 3)
	var members []harness.Member
	for _, b := range strings.Split(strings.TrimSpace(lines), "- name: ")[1:] {
		f := strings.Fields(b)
		members = append(members, harness.Member{Name: strings.Trim(f[0]+" "+f[1], `"`), Identity: f[3], EncryptionKey: f[5]})
	}
	m, y, err := harness.ManifestFromTemplate(walletTemplate, map[string]any{"Reference": "upload", "Authority": n.tn.authority.AuthorityPublic().String(),
		"DealsBy": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "Trustees": members})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.ID()
	dir := t.TempDir()
	run(t, ctx, chromedp.SetUploadFiles("#yaml-file", []string{writeFile(t, dir, "manifest.yaml", y)}, chromedp.ByQuery))
	click(t, ctx, "yaml-load")
	waitJS(t, ctx, fmt.Sprintf(`document.getElementById('preview-state').textContent.includes(%q)`, want.String()), 10*time.Second)
	if got := textOf(t, ctx, "#f-contests-1-options-4-fr"); got != "" {
		t.Errorf("an input's text content: %q", got)
	}
	var v string
	eval(t, ctx, `document.getElementById('f-contests-1-options-4-fr').value + '|' + document.getElementById('f-contests-1-type').value + '|' + document.getElementById('f-contests-1-max_selections').value`, &v)
	if v != "Jardin|approval|2" {
		t.Errorf("the form from the file: %q", v)
	}
	checkAxe(t, ctx, axeSource(t))
	click(t, ctx, "create-submit")
	shown(t, ctx, "s-election", 60*time.Second)
	if id := consoleElection(t, ctx); id != want {
		t.Fatalf("the election created is %v, the file's %v", id, want)
	}

	// Another authority's file.
	other := strings.Replace(string(y), n.tn.authority.AuthorityPublic().String(), election.DeriveKey("other").AuthorityPublic().String(), 1)
	click(t, ctx, "back")
	homeShown(t, ctx, 10*time.Second)
	click(t, ctx, "new-election")
	shown(t, ctx, "s-create", 20*time.Second)
	run(t, ctx, chromedp.SetUploadFiles("#yaml-file", []string{writeFile(t, dir, "other.yaml", []byte(other))}, chromedp.ByQuery))
	click(t, ctx, "yaml-load")
	waitJS(t, ctx, `document.getElementById('problem-list').textContent.includes('another authority key')`, 10*time.Second)
}

// TestConsoleLocksWhenIdle: without activity the console locks itself
// (here after 2 s, through the page's idle parameter; 5 minutes by
// default), forgets the key and asks for the passphrase again.
func TestConsoleLocksWhenIdle(t *testing.T) {
	n := startConsoleNode(t)
	ctx := newBrowser(t, 360, 740)
	run(t, ctx, chromedp.Navigate(n.url+"/console?idle=2"))
	waitJS(t, ctx, `document.body.dataset.ready === 'true'`, 30*time.Second)
	keyText, _ := n.tn.authority.MarshalText()
	setField(t, ctx, "setup-key", string(keyText))
	setField(t, ctx, "setup-pass", "idle console passphrase")
	setField(t, ctx, "setup-pass2", "idle console passphrase")
	click(t, ctx, "setup-submit")
	homeShown(t, ctx, 60*time.Second)
	shown(t, ctx, "s-unlock", 15*time.Second)
	if got := textOf(t, ctx, "#notice"); !strings.Contains(got, "locked itself") {
		t.Errorf("the notice after the idle lock: %q", got)
	}
	var authority string
	eval(t, ctx, `window.evoteConsoleState.authority`, &authority)
	if authority != "" {
		t.Errorf("the locked page still holds the authority %q", authority)
	}
	checkAxe(t, ctx, axeSource(t))
	// Locked, the worker signs nothing.
	var code string
	eval(t, ctx, `new Promise((resolve) => { const w = new Worker('/module-worker.js?module=console'); w.onmessage = (e) => resolve(e.data.answer.error); w.postMessage({id: 1, op: 'open_election', args: {}}); })`, &code)
	if code != "locked" {
		t.Errorf("a fresh worker's answer to a signature: %q", code)
	}
}
