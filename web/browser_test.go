package web

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser returns the path of a headless-capable Chromium: $EVOTE_BROWSER,
// or chromium / chromium-browser / google-chrome on PATH. Without one the
// test fails: .ci/run installs Debian's chromium.
func browser(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("EVOTE_BROWSER"); b != "" {
		return b
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no browser: install Debian's chromium (apt-get install chromium) or set EVOTE_BROWSER")
	return ""
}

// renderPage loads url in headless Chromium, lets its scripts run, and
// returns the resulting DOM.
func renderPage(t testing.TB, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser(t),
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-extensions", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", url)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("chromium: %v\n%s", err, stderr)
	}
	return string(out)
}

// tables returns the page's tables, where its script writes what it reads.
func tables(dom string) string {
	var out []string
	for _, part := range strings.Split(dom, "<table")[1:] {
		end := strings.Index(part, "</table>")
		if end < 0 {
			end = len(part)
		}
		out = append(out, "<table"+part[:end]+"</table>")
	}
	return strings.Join(out, "\n")
}

// TestStatusPageInBrowser: the status page, run by a real browser against
// a real node, shows the chain and the elections from the API, each
// linking to its page.
func TestStatusPageInBrowser(t *testing.T) {
	tn := startTestNode(t)
	e := newTestElection(t, tn, "browser", false, false, 1, 1, 3)
	tn.commit(t, e.createTx(t))
	tn.commit(t, e.rollTx(t, 1, e.voters...))

	dom := tables(renderPage(t, tn.url+"/"))
	for _, want := range []string{
		"<td>chain id</td><td>" + testChainID + "</td>",
		"<td>validators</td><td>1</td>",
		"<td><a href=\"/elections/" + e.id.String() + "\">Web test browser</a></td><td>dkg-deals</td><td>3</td><td>0</td><td>" + e.id.String() + "</td>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q:\n%s", want, dom)
		}
	}
	if strings.Contains(dom, "loading…") || strings.Contains(dom, "unreachable") {
		t.Errorf("the page did not load its data:\n%s", dom)
	}

	// The "Try it" steps link the node's only election; axe-core finds
	// no WCAG 2.1 AA violation on the page.
	b := newBrowser(t, 1024, 768)
	if err := chromedp.Run(b, chromedp.Navigate(tn.url+"/")); err != nil {
		t.Fatal(err)
	}
	waitText(t, b, "#try-election", "Web test browser", 10*time.Second)
	var href string
	eval(t, b, `document.querySelector('#try-election a').getAttribute('href')`, &href)
	if href != "/elections/"+e.id.String() {
		t.Errorf("the Try it steps link %q", href)
	}
	checkAxe(t, b, axeSource(t))
	screenshot(t, b, "node-status.png")
	// 360 px wide, nothing overflows (the app hash wraps).
	if err := chromedp.Run(b, chromedp.EmulateViewport(360, 740)); err != nil {
		t.Fatal(err)
	}
	checkFits(t, b)
	screenshot(t, b, "node-status-360.png")

	// With the node gone, the page says so instead of showing stale data.
	tn.node.Load().Stop()
	dom = tables(renderPage(t, tn.url+"/"))
	if !strings.Contains(dom, "node unreachable") {
		t.Errorf("the page of a stopped node:\n%s", dom)
	}
}
