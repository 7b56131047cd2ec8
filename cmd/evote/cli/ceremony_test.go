package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/demo"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/internal/rollsync"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

// The tests of the officials', trustees' and results commands and of
// `evote demo` run real nodes (one validator in the test process, serving
// the HTTP API on loopback) and drive the commands through Run: their
// flags, refusals and printing, and what only this package reaches (a
// trustee's stop points, the demo's trustee faults). The tests of the
// whole system, with the evote binary as processes, are in test/.

// The test binary seals trustees' secrets with a cheap KDF, in the tests
// and in the evote processes that the scripts (script_test.go) run from it.
// The evote binary itself has no such setting.
func init() { trusteeKDF = testKDF }

// startTestNetwork starts a one-validator network whose genesis names a
// fresh authority key, written to dir/authority.key.
func startTestNetwork(t *testing.T) *testNetwork {
	t.Helper()
	n, err := demo.StartNetwork(t.Context(), t.TempDir(), 1, demoTools())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return &testNetwork{url: n.URL, authority: n.Authority}
}

// testNetwork is a network of the tests: its API and its authority key
// file.
type testNetwork struct{ url, authority string }

// testClient is a client of the node at url.
func testClient(t *testing.T, url string) *api.Client {
	t.Helper()
	c, err := newNodeClient(url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runCLI runs evote with args and the given node, returning exit code,
// stdout and stderr.
func runCLI(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(ctx, args, &demo.LockedWriter{W: &out}, &demo.LockedWriter{W: &errb})
	return code, out.String(), errb.String()
}

// mustCLI runs evote and fails the test unless it exits 0.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, t.Context(), args...)
	if code != 0 {
		t.Fatalf("evote %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// wantRejected runs evote, expecting exit 1 and every want in stderr.
func wantRejected(t *testing.T, want []string, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, t.Context(), args...)
	if code != 1 {
		t.Fatalf("evote %s: exit %d, want 1\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Errorf("evote %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, errs)
		}
	}
	return errs
}

// TestDemoFaults: trustee 1 seals a wrong share to trustee 2 and trustee 3
// posts wrong partial decryptions. Trustee 2 complains, trustee 1 must
// reveal the share on the chain; trustee 3's shares are refused with
// bad-decryption-share; trustees 1 and 2 decrypt, and the totals are
// right.
func TestDemoFaults(t *testing.T) {
	cfg := ElectionDemoConfig{Voters: 6, Trustees: 3, Threshold: 2, Validators: 1, Out: filepath.Join(t.TempDir(), "demo"),
		Faults: map[int]trustee.Fault{1: trustee.FaultBadShare, 3: trustee.FaultBadDecryption}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := runDemo(t.Context(), cfg, &demo.LockedWriter{W: &b}); err != nil {
		t.Fatalf("demo: %v\n%s", err, b.String())
	}
	out := b.String()
	for _, want := range []string{
		"trustee 2 complained about trustee(s) [1]",
		"1 complaint(s) answered on the chain by revealing the share",
		"trustee 3's wrong partial decryptions were rejected: decryption shares: refused at admission: bad-decryption-share",
		"from the shares of trustees [1 2]",
		"✓ every total equals the recorded choices",
		": verified", // the record, complaint and revealed share included
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "goes offline") {
		t.Errorf("a trustee went offline although only two honest ones decrypt:\n%s", out)
	}
}

func TestDemoRejectsBadConfig(t *testing.T) {
	for _, args := range [][]string{
		{"--threshold", "4", "--trustees", "3"},
		{"--voters", "0"},
		{"--validators", "0"},
		{"--fault", "1=bad-share"},               // test options are no flags
		{"--insecure-test-kdf", "--voters", "1"}, // nor is the test KDF
	} {
		code, _, errs := runCLI(t, t.Context(), append([]string{"demo"}, args...)...)
		if code != 1 || !strings.Contains(errs, "--") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

// testTrustees initialises n trustees under dir with the passphrase in
// EVOTE_PASSPHRASE and returns their manifest entries.
func testTrustees(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		out := mustCLI(t, "trustee", "init", "--name", fmt.Sprintf("T%d", i), "--dir", filepath.Join(dir, fmt.Sprintf("t%d", i)))
		if !strings.Contains(out, "give the official these lines") {
			t.Fatalf("trustee init: %s", out)
		}
		y, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("t%d", i), trusteePublic))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(y)), "\n") {
			if !strings.HasPrefix(l, "#") {
				b.WriteString("    " + l + "\n")
			}
		}
	}
	return b.String()
}

// newVoterKeys makes n voter keys and returns their public text forms.
func newVoterKeys(t *testing.T, n int) []string {
	var keys []string
	for range n {
		v, err := wallet.GenerateVoterKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, v.Public().String())
	}
	return keys
}

var electionCreated = regexp.MustCompile(`election ([0-9a-f]{64}) created in block \d+`)

// TestOfficialCommands: the officials' commands against a real node, with
// their refusals: no key, a key that is not the authority, a bad manifest
// file, an election that cannot open yet, a bad roll file; and an
// interrupted roll append that resumes.
func TestOfficialCommands(t *testing.T) {
	t.Setenv("EVOTE_PASSPHRASE", "test passphrase")
	net := startTestNetwork(t)
	dir := t.TempDir()
	node := []string{"--node", net.url}
	auth := append([]string{"--authority-key", net.authority}, node...)
	key, err := keyfile.ReadAuthority(net.authority)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "manifest.yaml")
	if err := os.WriteFile(manifest, []byte(harness.YesNoManifest(key.AuthorityPublic(), "officials", testTrustees(t, dir, 3))), 0o644); err != nil {
		t.Fatal(err)
	}

	// Refusals before anything reaches the chain.
	wantRejected(t, []string{"no authority key", "--authority-key", "EVOTE_AUTHORITY_KEY"}, append([]string{"--home", dir, "election", "create", "--manifest", manifest}, node...)...)
	wantRejected(t, []string{"manifest:", "no such file"}, append([]string{"election", "create", "--manifest", filepath.Join(dir, "missing.yaml")}, auth...)...)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("reference: x\nauthority: ed25519:00\n"), 0o644)
	wantRejected(t, []string{"manifest " + bad, "invalid manifest", "authority"}, append([]string{"election", "create", "--manifest", bad}, auth...)...)
	os.WriteFile(bad, []byte("title: [\n"), 0o644)
	wantRejected(t, []string{"invalid manifest", "YAML"}, append([]string{"election", "create", "--manifest", bad}, auth...)...)
	// Without --election, the node's only election; it has none yet.
	wantRejected(t, []string{"the node has no election", "evote election create"}, append([]string{"election", "open"}, auth...)...)
	wantRejected(t, []string{"--election", "64"}, append([]string{"election", "open", "--election", "abc"}, auth...)...)

	// A key the genesis does not name is refused by the chain.
	other := filepath.Join(dir, "other.key")
	if _, _, err := localnet.NewAuthorityKey(filepath.Dir(other)); err != nil {
		t.Fatal(err)
	}
	os.Rename(filepath.Join(dir, "authority.key"), other)
	wantRejected(t, []string{"create election: rejected at admission: unauthorized (code 7)"},
		append([]string{"election", "create", "--manifest", manifest, "--authority-key", other}, node...)...)

	out := mustCLI(t, append([]string{"election", "create", "--manifest", manifest}, auth...)...)
	m := electionCreated.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create: %s", out)
	}
	id := m[1]
	el := []string{"--election", id}
	wantRejected(t, []string{"open: rejected at admission: unauthorized (code 7)"},
		append(append([]string{"election", "open", "--authority-key", other}, el...), node...)...)
	wantRejected(t, []string{"open: rejected at admission: key-not-fixed (code 28)"}, append(append([]string{"election", "open"}, el...), auth...)...)
	wantRejected(t, []string{"close: rejected at admission: wrong-phase (code 16)"}, append(append([]string{"election", "close"}, el...), auth...)...)
	// The same manifest again is the same transaction: it is on the chain.
	if out := mustCLI(t, append([]string{"election", "create", "--manifest", manifest}, auth...)...); !strings.Contains(out, "the same transaction, submitted before") {
		t.Errorf("create again: %s", out)
	}

	// Roll files: a bad line or a voter listed twice is refused before
	// anything is submitted.
	keys := newVoterKeys(t, 7)
	rollFile := func(name string, lines ...string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		return p
	}
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{[]string{keys[0], "evote-voter:1234"}, "line 2:"},
		{[]string{"# comment", keys[0], keys[1] + " 0"}, "line 3: weight"},
		{[]string{keys[0], keys[1] + " 1 2"}, "line 2: want a voter key"},
		{[]string{keys[0], "", keys[0]}, "line 3: voter " + keys[0] + " is already on line 1"},
		{[]string{"evote-trustee:" + strings.Repeat("ab", 32)}, "line 1: election: invalid key: election: key of another role"},
		{[]string{keys[0], "evote-authority:" + strings.Repeat("ab", 32)}, "line 2: election: invalid key: election: key of another role"},
		{[]string{"ab" + strings.Repeat("ab", 31)}, "line 1:"},
		{[]string{"# nothing"}, "lists no voters"},
	} {
		wantRejected(t, []string{c.want}, append(append([]string{"roll", "append", "--file", rollFile("bad-roll.txt", c.lines...)}, el...), auth...)...)
	}
	wantRejected(t, []string{"--batch must be"}, append(append([]string{"roll", "append", "--batch", "0", "--file", rollFile("r.txt", keys[0])}, el...), auth...)...)
	if out := mustCLI(t, append(append([]string{"roll", "show"}, el...), node...)...); !strings.Contains(out, ": 0 voters") {
		t.Fatalf("after refused appends: %s", out)
	}
	// A weight in an election without weights: the chain refuses the batch.
	wantRejected(t, []string{"append voters (batch 1 of 1): rejected at admission: invalid-weight (code 25)"},
		append(append([]string{"roll", "append", "--file", rollFile("w.txt", keys[0]+" 2")}, el...), auth...)...)

	// Three voters, then all seven: the second run skips the three.
	out = mustCLI(t, append(append([]string{"roll", "append", "--batch", "2", "--file", rollFile("r3.txt", keys[:3]...)}, el...), auth...)...)
	if !strings.Contains(out, "batch 2 of 2: 1 voter appended") || !strings.Contains(out, "3 voters appended to the roll") {
		t.Errorf("append 3: %s", out)
	}
	out = mustCLI(t, append(append([]string{"roll", "append", "--batch", "3", "--file", rollFile("r7.txt", keys...)}, el...), auth...)...)
	if !strings.Contains(out, "3 of the 7 voters are already on the roll: skipped") || !strings.Contains(out, "4 voters appended to the roll") {
		t.Errorf("append 7: %s", out)
	}
	// Both ways of asking the node find the same voters missing.
	eid, _ := election.ParseID(id)
	c := testClient(t, net.url)
	var mixed []election.RollEntry
	for _, k := range append(keys, newVoterKeys(t, 2)...) {
		v, _ := wallet.ParseVoterPublicKey(k)
		mixed = append(mixed, election.RollEntry{Voter: v, Weight: 1})
	}
	for _, how := range []rollsync.How{rollsync.Pages, rollsync.Voters, rollsync.Auto} {
		pending, err := rollsync.Missing(t.Context(), c, eid, mixed, how)
		if err != nil || len(pending) != 2 || pending[0] != mixed[7] || pending[1] != mixed[8] {
			t.Errorf("rollsync.Missing (way %d): %v, %v", how, pending, err)
		}
	}
	out = mustCLI(t, append(append([]string{"roll", "show", "--limit", "5"}, el...), node...)...)
	if !strings.Contains(out, ": 7 voters (1 to 5 by key)") || !strings.Contains(out, "... 2 more (--offset 5)") || strings.Count(out, "evote-voter:") != 5 {
		t.Errorf("roll show: %s", out)
	}

	out = mustCLI(t, append(append([]string{"election", "show"}, el...), node...)...)
	for _, want := range []string{"phase      dkg-deals", "trustees   3, any 2 decrypt; joint key not fixed yet", "roll       7 voters; 0 voted", "1. Q (plurality): Yes | No"} {
		if !strings.Contains(out, want) {
			t.Errorf("election show lacks %q:\n%s", want, out)
		}
	}
	out = mustCLI(t, append(append([]string{"results"}, el...), node...)...)
	if !strings.Contains(out, "turnout  0 of 7 voters") || !strings.Contains(out, "not yet decrypted") {
		t.Errorf("results before the close: %s", out)
	}
	wantRejected(t, []string{"404", "not found"}, append([]string{"election", "show", "--election", strings.Repeat("0", 64)}, node...)...)
	out = mustCLI(t, append([]string{"election", "list"}, node...)...)
	if !strings.Contains(out, id+"  dkg-deals") || !strings.Contains(out, "Test election officials") {
		t.Errorf("election list: %s", out)
	}
}

// TestTrusteeRestartAndPassphrase: a trustee stopped between sealing its
// deal and submitting it posts that same deal when restarted; one stopped
// after dealing resumes with the complaints; a wrong passphrase is refused
// clearly; with --once a trustee exits once its shares are in.
func TestTrusteeRestartAndPassphrase(t *testing.T) {
	t.Setenv("EVOTE_PASSPHRASE", "trustee passphrase")
	net := startTestNetwork(t)
	dir := t.TempDir()
	key, err := keyfile.ReadAuthority(net.authority)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "manifest.yaml")
	os.WriteFile(manifest, []byte(harness.YesNoManifest(key.AuthorityPublic(), "restart", testTrustees(t, dir, 3))), 0o644)
	out := mustCLI(t, "election", "create", "--manifest", manifest, "--authority-key", net.authority, "--node", net.url)
	id := electionCreated.FindStringSubmatch(out)[1]
	trusteeArgs := func(i int, extra ...string) []string {
		return append([]string{"trustee", "run", "--node", net.url, "--election", id, "--dir", filepath.Join(dir, fmt.Sprintf("t%d", i)), "--poll", "50ms"}, extra...)
	}

	// A wrong passphrase, from a file: refused, nothing posted.
	wrong := filepath.Join(dir, "wrong")
	os.WriteFile(wrong, []byte("not it\n"), 0o600)
	wantRejected(t, []string{"trustee.sealed: wrong passphrase"}, trusteeArgs(1, "--passphrase-file", wrong)...)
	wantRejected(t, []string{"no trustee in"}, append(trusteeArgs(1), "--dir", filepath.Join(dir, "nobody"))...)

	// Trustee 1 stops after sealing its deal, before submitting it.
	eid, _ := election.ParseID(id)
	stopAt := func(i int, stop trustee.Stop) string {
		t.Helper()
		store, err := openTrusteeStore(filepath.Join(dir, fmt.Sprintf("t%d", i)), []byte("trustee passphrase"))
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		var b bytes.Buffer
		cfg := TrusteeRunConfig{Node: net.url, Election: eid, Dir: store.Dir, Poll: 50 * time.Millisecond, Test: trustee.Options{StopAt: stop}}
		if err := runTrustee(t.Context(), cfg, store, &b); !errors.Is(err, errStopped) {
			t.Fatalf("stop at %v: %v\n%s", stop, err, b.String())
		}
		return b.String()
	}
	if out := stopAt(1, trustee.StopDealSaved); !strings.Contains(out, "made its deal and sealed it") {
		t.Fatalf("stop at deal-saved: %s", out)
	}
	node := testClient(t, net.url)
	d, err := node.Election(t.Context(), eid)
	if err != nil {
		t.Fatal(err)
	}
	if d.Trustees[0].Dealt {
		t.Fatal("trustee 1 dealt although it stopped before submitting")
	}
	// Trustee 2 stops after its deal is committed.
	if out := stopAt(2, trustee.StopDealt); !strings.Contains(out, "dealt in block") {
		t.Fatalf("stop at dealt: %s", out)
	}

	// All three run: 1 posts the deal it kept, 2 does not deal again.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	type result struct {
		code      int
		out, errs string
	}
	results := make([]result, 4)
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		args := trusteeArgs(i)
		if i == 3 {
			args = append(args, "--once")
		}
		wg.Go(func() {
			code, out, errs := runCLI(t, ctx, args...)
			results[i] = result{code, out, errs}
		})
	}
	d, err = node.WaitPhase(ctx, eid, api.PhaseIn(election.PhaseReady, election.PhaseFailed))
	if err != nil || d.Phase != election.PhaseReady {
		cancel()
		wg.Wait()
		t.Fatalf("key ceremony: %v %v\n%+v", err, d, results)
	}
	mustCLI(t, "election", "open", "--election", id, "--authority-key", net.authority, "--node", net.url)
	mustCLI(t, "election", "close", "--election", id, "--authority-key", net.authority, "--node", net.url)
	wg.Wait()
	for i := 1; i <= 3; i++ {
		if results[i].code != 0 {
			t.Fatalf("trustee %d: exit %d\n%s%s", i, results[i].code, results[i].out, results[i].errs)
		}
	}
	if !strings.Contains(results[1].out, "posting the deal kept in its sealed state") || strings.Contains(results[1].out, "made its deal") {
		t.Errorf("restarted trustee 1 did not post its kept deal:\n%s", results[1].out)
	}
	if strings.Contains(results[2].out, "deal") && !strings.Contains(results[2].out, "key ceremony done") {
		t.Errorf("restarted trustee 2:\n%s", results[2].out)
	}
	if strings.Contains(results[2].out, "dealt in block") || strings.Contains(results[2].out, "made its deal") {
		t.Errorf("restarted trustee 2 dealt again:\n%s", results[2].out)
	}
	if !strings.Contains(results[3].out, "posted its partial decryptions") || strings.Contains(results[3].out, "the result is on the chain") {
		t.Errorf("trustee 3 with --once:\n%s", results[3].out)
	}
	// The chain's deal of trustee 1 is the one in its sealed state, and the
	// state now holds the share and no longer the dealer's polynomial.
	store, err := openTrusteeStore(filepath.Join(dir, "t1"), []byte("trustee passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	es := store.State.Elections[id]
	m, err := node.DKG(t.Context(), eid)
	if err != nil {
		t.Fatal(err)
	}
	deal0, _ := m.Deals[0].Deal.MarshalBinary()
	if es == nil || len(m.Deals) != 3 || hex.EncodeToString(deal0) != es.Deal || es.Share == "" || es.DealerSecret != "" || es.JointKey != hex.EncodeToString(d.JointKey.Bytes()) {
		t.Fatalf("trustee 1's sealed state after the election: %+v", es)
	}
	res, err := node.Report(t.Context(), eid)
	if err != nil || !res.Decrypted {
		t.Fatalf("result: %v %+v", err, res)
	}
}

// TestCommandsRejectBadFlags: flags and passphrases the commands refuse
// before they reach any node.
func TestCommandsRejectBadFlags(t *testing.T) {
	t.Setenv("EVOTE_PASSPHRASE", "")
	os.Unsetenv("EVOTE_PASSPHRASE") // t.Setenv restores it afterwards
	// No terminal to ask a passphrase on, wherever the tests run.
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	stdin := os.Stdin
	os.Stdin = null
	t.Cleanup(func() { os.Stdin = stdin; null.Close() })
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	id := strings.Repeat("ab", 32)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"trustee", "init", "--name", "A"}, "--dir is required"},
		{[]string{"trustee", "init", "--dir", dir}, "--name is required"},
		{[]string{"trustee", "init", "--name", "A", "--dir", dir}, "no passphrase: set EVOTE_PASSPHRASE or use --passphrase-file (standard input is not a terminal to ask on)"},
		{[]string{"trustee", "init", "--name", "A", "--dir", dir, "--passphrase-file", empty}, "passphrase file " + empty + ": the first line is empty"},
		{[]string{"trustee", "init", "--name", "A", "--dir", dir, "--passphrase-file", filepath.Join(dir, "none")}, "passphrase file: open"},
		{[]string{"trustee", "run", "--election", id}, "--dir is required"},
		{[]string{"trustee", "run", "--election", id, "--dir", dir, "--poll", "1ms"}, "--poll must be"},
		{[]string{"trustee", "run", "--election", id, "--dir", dir, "--fault", "bad-share"}, "unknown flag: --fault"},
		{[]string{"trustee", "run", "--election", id, "--dir", dir, "--stop-at", "dealt"}, "unknown flag: --stop-at"},
		{[]string{"trustee", "init", "--name", "A", "--dir", dir, "--insecure-test-kdf"}, "unknown flag: --insecure-test-kdf"},
		{[]string{"trustee", "run", "--dir", dir, "--node", "http://127.0.0.1:1"}, "listing the elections of http://127.0.0.1:1"},
		{[]string{"results", "--election", "abc"}, `--election "abc"`},
		{[]string{"roll", "show", "--election", id, "--limit", "0"}, "--limit 1..1000"},
		{[]string{"roll", "append", "--election", id}, "--file is required"},
		{[]string{"election", "create"}, "--manifest FILE.yaml is required"},
	} {
		code, _, errs := runCLI(t, t.Context(), c.args...)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("evote %s: exit %d, stderr %q, want %q", strings.Join(c.args, " "), code, errs, c.want)
		}
	}
}
