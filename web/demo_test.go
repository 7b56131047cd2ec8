package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// startUp runs `evote up` (what `make demo` runs) as its own process on a
// fresh home and free ports, and returns its home, the API's URL and the
// sample election's id once it is open.
func startUp(t *testing.T) (home, url, id string) {
	t.Helper()
	bin, err := evoteBinary()
	if err != nil {
		t.Fatal(err)
	}
	home = filepath.Join(t.TempDir(), "home")
	ports := freePorts(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "up", "--home", home, "--http", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"--p2p-listen", fmt.Sprintf("tcp://127.0.0.1:%d", ports[1]), "--rpc-listen", fmt.Sprintf("tcp://127.0.0.1:%d", ports[2]))
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) } // as Ctrl-C
	cmd.WaitDelay = 20 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := cmd.Wait(); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("evote up: %v", err)
		}
	})
	lines := make(chan string, 64)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
		io.Copy(io.Discard, out)
	}()
	electionRE := regexp.MustCompile(`^\s+election\s+([0-9a-f]{64}) `)
	urlRE := regexp.MustCompile(`^API and pages on (http://\S+)`)
	var printed []string
	deadline := time.After(120 * time.Second)
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("evote up ended:\n%s", strings.Join(printed, "\n"))
			}
			printed = append(printed, l)
			if m := electionRE.FindStringSubmatch(l); m != nil {
				id = m[1]
			}
			if m := urlRE.FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-deadline:
			t.Fatalf("evote up did not serve within 120 s:\n%s", strings.Join(printed, "\n"))
		}
	}
	go func() {
		for range lines {
		}
	}()
	if id == "" {
		t.Fatalf("evote up named no sample election:\n%s", strings.Join(printed, "\n"))
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), 5*time.Second); err != nil {
		t.Fatal(err)
	} else {
		c.Close()
	}
	return home, url, id
}

// TestDemoInBrowser: what a newcomer does after `make demo`, in a browser
// alone, against `evote up` itself: the node's first page says how to
// try it; the wallet imports a sample voter's key (the text of the file
// `evote up` printed) and votes; the console, with the authority key
// `evote up` wrote, closes the election; the sample trustees, run by
// `evote up`, decrypt with no other command, and the console and the
// election's verifying page show the result. With EVOTE_SCREENSHOT_DIR
// set (`make screenshots`) it takes the README's screenshots.
func TestDemoInBrowser(t *testing.T) {
	home, url, id := startUp(t)
	axe := axeSource(t)
	b := newBrowser(t, 1024, 900)

	run(t, b, chromedp.Navigate(url+"/"))
	waitText(t, b, "#try-it", "Try it", 10*time.Second)
	waitJS(t, b, fmt.Sprintf(`!!document.querySelector('a[href="/elections/%s"]')`, id), 20*time.Second)
	checkAxe(t, b, axe)

	// The wallet: a sample voter's key, and a vote.
	walletCreate(t, b, url, "a newcomer's passphrase")
	voterKey, err := os.ReadFile(filepath.Join(home, "sample", "voter-1.key"))
	if err != nil {
		t.Fatal(err)
	}
	setField(t, b, "import-name", "sample-voter-1")
	setField(t, b, "import-text", strings.TrimSpace(string(voterKey)))
	run(t, b, chromedp.Click("#import-text-form button", chromedp.ByQuery))
	waitJS(t, b, `document.querySelectorAll('#keys .pubkey').length === 1 && document.getElementById('busy').hidden`, 60*time.Second)
	run(t, b, chromedp.Click("#refresh-elections", chromedp.ByQuery))
	waitJS(t, b, electionsListed, 20*time.Second)
	run(t, b, chromedp.Click("#elections button", chromedp.ByQuery))
	shown(t, b, "s-ballot", 10*time.Second)
	run(t, b, chromedp.Click("#c0-o0", chromedp.ByQuery), chromedp.Click("#c1-o0", chromedp.ByQuery), chromedp.Click("#c1-o2", chromedp.ByQuery))
	screenshot(t, b, "quickstart-1-ballot.png")
	run(t, b, chromedp.Click("#ballot-form button[type=submit]", chromedp.ByQuery))
	shown(t, b, "s-review", 5*time.Second)
	run(t, b, chromedp.Click("#cast", chromedp.ByQuery))
	shown(t, b, "s-cast", 90*time.Second)
	castDone(t, b)
	if cls := textOfClass(t, b, "#cast-status"); !strings.Contains(cls, "ok") {
		t.Fatalf("the sample voter's ballot: %s", textOf(t, b, "#cast-status"))
	}
	screenshot(t, b, "quickstart-2-receipt.png")

	// The console, with the authority key of the home: close.
	authority, err := os.ReadFile(filepath.Join(home, "keys", "authority.key"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, b, chromedp.Navigate(url+"/console"))
	waitJS(t, b, `document.body.dataset.ready === 'true'`, 30*time.Second)
	setField(t, b, "setup-key", strings.TrimSpace(string(authority)))
	setField(t, b, "setup-pass", "the demo official")
	setField(t, b, "setup-pass2", "the demo official")
	click(t, b, "setup-submit")
	shown(t, b, "s-home", 60*time.Second)
	waitJS(t, b, `!!document.querySelector('[data-election="`+id+`"]')`, 10*time.Second)
	run(t, b, chromedp.Click(`[data-election="`+id+`"]`, chromedp.ByQuery))
	shown(t, b, "s-election", 10*time.Second)
	phaseIs(t, b, "open")
	click(t, b, "close-election")
	waitJS(t, b, `!document.getElementById('confirm').hidden`, 5*time.Second)
	click(t, b, "confirm-yes")
	phaseIs(t, b, "tallied") // the sample trustees of evote up decrypt by themselves
	waitJS(t, b, `document.querySelectorAll('#result-0 tbody tr').length === 2`, 30*time.Second)
	if got := textOf(t, b, "#result-0"); !strings.Contains(got, "Yes1100 %") {
		t.Errorf("the sample election's first contest: %q", got)
	}
	checkAxe(t, b, axe)
	screenshot(t, b, "quickstart-3-console.png")

	// The election's page verifies the result in the browser.
	run(t, b, chromedp.Navigate(url+"/elections/"+id))
	waitText(t, b, "#result", "Verified by this browser", 60*time.Second)
	waitText(t, b, "#result-compare", "the same totals", 10*time.Second)
	checkAxe(t, b, axe)
	screenshot(t, b, "quickstart-4-verified.png")
}
