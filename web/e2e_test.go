package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/election"
)

// vote has the open wallet of ctx cast, with the key named key, the
// ballot whose options are clicked (ids such as c0-o1), auditing a ballot
// of the same choices first when audit is set, and waits for the receipt
// checked in the browser.
func vote(t testing.TB, ctx context.Context, key string, audit bool, options ...string) {
	t.Helper()
	run(t, ctx, chromedp.Click("#refresh-elections", chromedp.ByQuery))
	waitJS(t, ctx, electionsListed, 20*time.Second)
	setField(t, ctx, "vote-key", key)
	run(t, ctx, chromedp.Click("#elections button", chromedp.ByQuery))
	shown(t, ctx, "s-ballot", 10*time.Second)
	fillAndCast(t, ctx, audit, options...)
	run(t, ctx, chromedp.Click("#cast-back", chromedp.ByQuery))
	shown(t, ctx, "s-elections", 10*time.Second)
}

// fillAndCast, on the wallet's ballot, clicks the options (ids such as
// c0-o1), reviews, audits a ballot of the same choices first when audit is
// set, casts, and waits for the receipt checked in the browser.
func fillAndCast(t testing.TB, ctx context.Context, audit bool, options ...string) {
	t.Helper()
	for _, o := range options {
		run(t, ctx, chromedp.Click("#"+o, chromedp.ByQuery))
	}
	run(t, ctx, chromedp.Click("#ballot-form button[type=submit]", chromedp.ByQuery))
	shown(t, ctx, "s-review", 20*time.Second)
	if audit {
		run(t, ctx, chromedp.Click("#audit", chromedp.ByQuery))
		shown(t, ctx, "s-audited", 60*time.Second)
		run(t, ctx, chromedp.Click("#audited-back", chromedp.ByQuery))
		shown(t, ctx, "s-review", 20*time.Second)
	}
	run(t, ctx, chromedp.Click("#cast", chromedp.ByQuery))
	shown(t, ctx, "s-cast", 90*time.Second)
	castDone(t, ctx)
	if cls := textOfClass(t, ctx, "#cast-status"); !strings.Contains(cls, "ok") {
		t.Fatalf("the ballot: %s", textOf(t, ctx, "#cast-status"))
	}
}

// TestElectionFromTheBrowsers: a whole election with browsers and the
// trustees' own program only, against a real one-validator node. Two
// trustees run `evote trustee init` and, once the election exists, `evote
// trustee run`, as separate processes. In the console the official
// imports the authority key, creates a two-contest election (a plurality
// and an approval question) with the trustees' lines, uploads a roll of
// the three voter keys made in the web wallet and, once the trustees'
// ceremony has fixed the key, opens it. In the web wallet three voters
// vote: the first audits a ballot before casting, the second votes again.
// The official closes; the trustees' processes decrypt; the console shows
// totals equal to the voters' last choices; `evote export` and `evote
// verify` accept the record.
func TestElectionFromTheBrowsers(t *testing.T) {
	n := startConsoleNode(t)
	dir := t.TempDir()
	passFile := writeFile(t, dir, "trustee-pass", []byte("a trustee's passphrase\n"))
	var lines string
	var trusteeDirs []string
	for i := range 2 {
		d := filepath.Join(dir, fmt.Sprintf("trustee-%d", i+1))
		out, code := evote(t, nil, "trustee", "init", "--name", fmt.Sprintf("Trustee %d", i+1), "--dir", d, "--passphrase-file", passFile)
		_, l, ok := strings.Cut(out, "trustees.members of the manifest")
		if code != 0 || !ok {
			t.Fatalf("evote trustee init: %d\n%s", code, out)
		}
		_, l, _ = strings.Cut(l, "\n\n")
		lines += l
		trusteeDirs = append(trusteeDirs, d)
	}

	console := newBrowser(t, 1024, 900)
	wallet, cancel := chromedp.NewContext(console) // a second tab
	t.Cleanup(cancel)
	run(t, wallet, chromedp.EmulateViewport(1024, 900))

	// The voters make their keys in the web wallet.
	walletCreate(t, wallet, n.url, "three voters share this browser")
	var roll []string
	for _, name := range []string{"alice", "bob", "carol"} {
		roll = append(roll, walletNewKey(t, wallet, name))
	}

	// The official creates the election in the console.
	consoleImportKey(t, console, n.url, n.tn.authority, "the official's passphrase")
	fillConsoleForm(t, console, "browsers", lines, "2")
	waitJS(t, console, `document.getElementById('preview-state').textContent.includes('valid')`, 10*time.Second)
	click(t, console, "create-submit")
	shown(t, console, "s-election", 60*time.Second)
	id := consoleElection(t, console)

	// The trustees run their own program against the node.
	ctx, stop := context.WithCancel(context.Background())
	trustees := make([]*exec.Cmd, len(trusteeDirs))
	bin, err := evoteBinary()
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range trusteeDirs {
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("trustee-%d.log", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, bin, "trustee", "run", "--node", n.url, "--election", id.String(), "--dir", d,
			"--passphrase-file", passFile, "--poll", "200ms")
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		trustees[i] = cmd
	}
	t.Cleanup(func() {
		stop()
		for _, c := range trustees {
			c.Wait()
		}
	})

	// The roll, made of the wallet's keys, uploaded in the console.
	rollFile := writeFile(t, dir, "roll.txt", []byte(strings.Join(roll, "\n")+"\n"))
	run(t, console, chromedp.SetUploadFiles("#roll-file", []string{rollFile}, chromedp.ByQuery))
	click(t, console, "roll-send")
	waitJS(t, console, `document.getElementById('notice').textContent.includes('3 voter(s) added')`, 60*time.Second)
	phaseIs(t, console, "ready")
	click(t, console, "open-election")
	waitJS(t, console, `!document.getElementById('confirm').hidden`, 5*time.Second)
	click(t, console, "confirm-yes")
	phaseIs(t, console, "open")

	// The voters vote: alice audits a ballot first; bob votes again.
	vote(t, wallet, "alice", true, "c0-o0", "c1-o0")
	vote(t, wallet, "bob", false, "c0-o1", "c1-o1")
	vote(t, wallet, "carol", false, "c0-o1", "c1-o2")
	vote(t, wallet, "bob", false, "c0-o0", "c1-o1", "c1-o2")
	screenshot(t, wallet, "e2e-wallet.png")

	// The official closes; the trustees decrypt.
	waitJS(t, console, `document.getElementById('el-turnout').textContent.startsWith('3 of 3')`, 30*time.Second)
	click(t, console, "close-election")
	waitJS(t, console, `!document.getElementById('confirm').hidden`, 5*time.Second)
	click(t, console, "confirm-yes")
	phaseIs(t, console, "tallied")
	waitJS(t, console, `document.querySelectorAll('#result-1 tbody tr').length === 3`, 30*time.Second)
	for sel, want := range map[string][]string{
		"#result-0": {"Yes266.7 %", "No133.3 %"},
		"#result-1": {"Library125 %", "Pool125 %", "Garden250 %"}, // shares of the marks
	} {
		got := textOf(t, console, sel)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s shows %q, lacking %q", sel, got, w)
			}
		}
	}
	screenshot(t, console, "e2e-console-result.png")
	res, err := n.api.Result(t.Context(), id)
	if err != nil || fmt.Sprint(res.Contests[0].Totals, res.Contests[1].Totals) != "[2 1] [1 1 2]" || res.Voters != 3 {
		t.Fatalf("the node's result: %+v, %v", res, err)
	}

	// Anyone can verify the record.
	record := filepath.Join(dir, "record.json")
	if out, code := evote(t, nil, "export", "--node", n.url, "--election", id.String(), "--out", record); code != 0 {
		t.Fatalf("evote export: %d\n%s", code, out)
	}
	out, code := evote(t, nil, "verify", record)
	if code != 0 || !strings.Contains(out, election.PhaseTallied.String()) {
		t.Fatalf("evote verify: %d\n%s", code, out)
	}
}
