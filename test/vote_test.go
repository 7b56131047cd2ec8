package test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/evote/evote/api"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/receiptfile"
	"github.com/evote/evote/wallet"
)

// The voter's commands (wallet, vote, ballot check-audit, receipt) as
// processes against a node process: what testdata/script/vote.txt in
// cmd/evote/cli does not cover. The node must count what the commands say
// they cast, never what they audited; receipts and audit files changed in
// any field, or checked against a node that lies, fail the check.

// Exit codes of the voter's commands.
const (
	exitCheckFailed = 2 // an audit file or a receipt does not check out
	exitRejected    = 3 // the chain refused the ballot
	// no node committed the ballot within --patience
	exitNotConfirmed = 4
)

// Wallets in tests use small Argon2id parameters; the format is the same.
var smallKDFFlags = []string{"--kdf-time", "1", "--kdf-memory", "64"}

// useWallet is a voter whose EVOTE_WALLET is a fresh keystore path in a
// temporary directory and whose EVOTE_PASSPHRASE is passphrase; it
// returns the path too.
func useWallet(t *testing.T, passphrase string) (user, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "wallet.keystore")
	return asUser("EVOTE_WALLET", p, "EVOTE_PASSPHRASE", passphrase), p
}

// runIn runs evote as u with stdin and a fresh --home.
func (u user) runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	r := u.start(ctx, t, strings.NewReader(stdin), append([]string{"--home", t.TempDir()}, args...)...)()
	return r.code, r.out, r.err
}

func wantRun(t *testing.T, code int, out, errs string, wantCode int, want ...string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, out, errs)
	}
	for _, w := range want {
		if !strings.Contains(out+errs, w) {
			t.Fatalf("output lacks %q\nstdout:\n%s\nstderr:\n%s", w, out, errs)
		}
	}
}

// voterNet is a one-validator network (an `evote node` process) with the
// sample election open on it.
type voterNet struct {
	url     string
	genesis string
	set     *harness.Election
	c       *api.Client
}

func startVoterNet(t *testing.T, voters int) *voterNet {
	t.Helper()
	n := newOneNode(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c := n.client(t)
	set, err := harness.Setup(ctx, harness.NewAPI(c), sampleSpec(t, n.authorityKey(t), "voter-test", voters))
	if err != nil {
		t.Fatal(err)
	}
	return &voterNet{url: n.url, genesis: n.genesis, set: set, c: c}
}

// voterStatus asks the API for a voter's status.
func (vn *voterNet) voterStatus(t *testing.T, k *wallet.VoterKey) *api.VoterStatus {
	t.Helper()
	vs, err := vn.c.Voter(context.Background(), vn.set.ID, k.Public())
	if err != nil {
		t.Fatalf("voter status: %v, %v", vs, err)
	}
	return vs
}

// hashText is a tracking code's text, "" for none.
func hashText(h *api.TxHash) string {
	if h == nil {
		return ""
	}
	return h.String()
}

// onChain reports whether the node has a transaction with this tracking code.
func (vn *voterNet) onChain(t *testing.T, code string) bool {
	t.Helper()
	resp, err := http.Get(vn.url + "/api/v1/receipts/" + code)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		return false
	}
	t.Fatalf("GET receipt %s: %s", code, resp.Status)
	return false
}

// field returns the value after a label in an output line ("  label  value").
func field(t *testing.T, out, label string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		// Piped answers are not echoed: a label may follow a prompt.
		if i := strings.Index(l, label); i >= 0 {
			if f := strings.Fields(l[i+len(label):]); len(f) > 0 {
				return f[0]
			}
		}
	}
	t.Fatalf("no %q in:\n%s", label, out)
	return ""
}

// TestVote: the voter's commands against a node, checked against what the
// node counts.
func TestVote(t *testing.T) {
	t.Parallel()
	vn := startVoterNet(t, 3)
	voter, walletPath := useWallet(t, "voter pass")
	dir := filepath.Dir(walletPath)
	for i, name := range []string{"alice", "bob", "carol"} {
		text, _ := vn.set.Voters[i].Key.MarshalText()
		code, out, errs := voter.runIn(t, string(text), append([]string{"wallet", "import", name}, smallKDFFlags...)...)
		wantRun(t, code, out, errs, 0)
	}
	code, out, errs := voter.runIn(t, "", "wallet", "new", "mallory") // not on the roll
	wantRun(t, code, out, errs, 0)
	alice, bob, carol := vn.set.Voters[0].Key, vn.set.Voters[1].Key, vn.set.Voters[2].Key
	id := vn.set.ID.String()
	vote := func(stdin string, args ...string) (int, string, string) {
		return voter.runIn(t, stdin, append([]string{"vote", "--node", vn.url}, args...)...)
	}

	var aliceFirst string
	t.Run("cast with flags", func(t *testing.T) {
		code, out, errs := vote("", "--election", id, "--key", "alice", "--choice", "1=1", "--choice", "2=1,3")
		wantRun(t, code, out, errs, 0, "Contest 1 of 2: Should the town square become car-free?", "    2. No",
			"Ballot cast: committed in block", "signed by more than 2/3 of the voting power of 1 validator(s)")
		aliceFirst = field(t, out, "tracking code")
		rpath := field(t, out, "receipt")
		if filepath.Dir(rpath) != filepath.Join(dir, "receipts") {
			t.Errorf("receipt kept at %s", rpath)
		}
		vs := vn.voterStatus(t, alice)
		if !vs.Voted || vs.Seq != 1 || hashText(vs.TxHash) != aliceFirst {
			t.Fatalf("the node counts %+v, cast %s", vs, aliceFirst)
		}
		r, err := receiptfile.Read(rpath)
		if err != nil || r.Receipt == nil || r.Seq != 1 || r.KeyName != "alice" || r.TrackingCode != aliceFirst {
			t.Fatalf("receipt file: %+v, %v", r, err)
		}
	})

	t.Run("revote", func(t *testing.T) {
		// Without --election: the node's only open election. Options by text.
		code, out, errs := vote("", "--key", "alice", "--choice", "1=no", "--choice", "2=Cycle lanes,Street lighting")
		wantRun(t, code, out, errs, 0, "you have voted (ballot 1 in block", "a new ballot replaces it", "Ballot cast")
		second := field(t, out, "tracking code")
		vs := vn.voterStatus(t, alice)
		if vs.Seq != 2 || hashText(vs.TxHash) != second || second == aliceFirst {
			t.Fatalf("after the revote the node counts %+v", vs)
		}
	})

	t.Run("rejected: not on the roll", func(t *testing.T) {
		code, out, errs := vote("", "--election", id, "--key", "mallory", "--choice", "1=1", "--choice", "2=1")
		wantRun(t, code, out, errs, exitRejected, "not on the election's roll", "rejected: not-on-roll (code 9)")
		if strings.Contains(out, "Ballot cast") {
			t.Fatal("a rejected ballot is reported cast")
		}
	})

	t.Run("bad choices and flags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--choice", "1=1"}, "no --choice for contest 2"},
			{[]string{"--choice", "1=1,2", "--choice", "2=1"}, "2 selected, allowed 1 to 1"},
			{[]string{"--choice", "1=3", "--choice", "2=1"}, "no option 3"},
			{[]string{"--choice", "1=1", "--choice", "2=1,2,3,4"}, "4 selected, allowed 1 to 3"},
			{[]string{"--choice", "1=1", "--choice", "2=none"}, "0 selected, allowed 1 to 3"},
			{[]string{"--choice", "1=1", "--choice", "1=2"}, "contest 1 given twice"},
			{[]string{"--choice", "3=1"}, "no contest"},
			{[]string{"--choice", "1"}, "want CONTEST=SELECTION"},
			{[]string{"--choice", "1=maybe", "--choice", "2=1"}, `no option "maybe"`},
			{[]string{"--then-cast", "--choice", "1=1"}, "--then-cast goes with --audit"},
			{[]string{"--election", "xyz"}, "--election"},
		} {
			code, out, errs := vote("", append([]string{"--key", "bob"}, tc.args...)...)
			wantRun(t, code, out, errs, 1, tc.want)
		}
		code, out, errs := vote("", "--key", "nobody", "--choice", "1=1", "--choice", "2=1")
		wantRun(t, code, out, errs, 1, "no such key")
		code, out, errs = vote("", "--key", "bob", "--election", strings.Repeat("ab", 32), "--choice", "1=1", "--choice", "2=1")
		wantRun(t, code, out, errs, 1, "has no election abab")
		code, out, errs = voter.runIn(t, "", "vote", "--node", "http://127.0.0.1:1", "--key", "bob", "--choice", "1=1", "--choice", "2=1")
		wantRun(t, code, out, errs, 1, "node http://127.0.0.1:1")
		code, out, errs = voter.runIn(t, "", "vote", "--node", "127.0.0.1:8080", "--key", "bob")
		wantRun(t, code, out, errs, 1, "want a URL such as")
		code, out, errs = vote("", "--choice", "1=1", "--choice", "2=1")
		wantRun(t, code, out, errs, 1, "the keystore has 4 keys: alice, bob, carol, mallory; name one")
		if vn.voterStatus(t, bob).Voted {
			t.Fatal("bob voted")
		}
	})

	t.Run("benaloh audit", func(t *testing.T) {
		auditPath := filepath.Join(t.TempDir(), "audit.json")
		code, out, errs := vote("", "--key", "bob", "--choice", "1=2", "--choice", "2=2,5", "--audit", "--audit-out", auditPath)
		wantRun(t, code, out, errs, 0, "(spoiled: it is never cast)", "1. Should the town square become car-free?: No",
			"Cycle lanes, Community gardens", "Nothing was cast")
		audited := field(t, out, "Audited ballot")
		if vn.onChain(t, audited) || vn.voterStatus(t, bob).Voted {
			t.Fatal("the audited ballot was cast")
		}
		code, out, errs = voter.runIn(t, "", "ballot", "check-audit", auditPath, "--node", vn.url)
		wantRun(t, code, out, errs, 0, "✓ contest 1, Should the town square become car-free?: No",
			"✓ contest 2, Which projects should next year's budget fund? (choose 1 to 3): Cycle lanes, Community gardens",
			"every ciphertext encrypts the choice shown", "the election has this manifest and joint key", "the audited ballot is not on the chain")
		code, out, errs = voter.runIn(t, "", "ballot", "check-audit", auditPath)
		wantRun(t, code, out, errs, 0, "add --node to check it against the chain")

		// The file with a choice changed, or a randomness value changed,
		// fails and names the contest.
		raw, _ := os.ReadFile(auditPath)
		var m map[string]any
		json.Unmarshal(raw, &m)
		contests := m["contests"].([]any)
		first := contests[0].(map[string]any)
		first["choices"] = []any{1, 0}
		changed := filepath.Join(t.TempDir(), "changed.json")
		b, _ := json.Marshal(m)
		os.WriteFile(changed, b, 0o644)
		code, out, errs = voter.runIn(t, "", "ballot", "check-audit", changed)
		wantRun(t, code, out, errs, exitCheckFailed, "✗ contest 1, Should the town square become car-free?: does not open to the choices shown ([1 0])",
			"✓ contest 2", "ballot audit failed: contest 0")
		first["choices"] = []any{0, 1}
		second := contests[1].(map[string]any)["randomness"].([]any)
		second[1], second[4] = second[4], second[1]
		b, _ = json.Marshal(m)
		os.WriteFile(changed, b, 0o644)
		code, out, errs = voter.runIn(t, "", "ballot", "check-audit", changed)
		wantRun(t, code, out, errs, exitCheckFailed, "✓ contest 1", "✗ contest 2", "ballot audit failed: contest 1")
		os.WriteFile(changed, []byte(`{"version":"evote/v1/ballot-audit"}`), 0o644)
		code, out, errs = voter.runIn(t, "", "ballot", "check-audit", changed)
		wantRun(t, code, out, errs, exitCheckFailed, "malformed audit file")

		// Audit, then cast a fresh encryption.
		code, out, errs = vote("", "--key", "bob", "--choice", "1=2", "--choice", "2=2,5", "--audit", "--then-cast")
		wantRun(t, code, out, errs, 0, "(spoiled: it is never cast)", "Ballot cast")
		spoiled, cast := field(t, out, "Audited ballot"), field(t, out, "tracking code")
		spoiledFile := field(t, out, "audit file")
		if filepath.Dir(spoiledFile) != filepath.Join(dir, "audits") {
			t.Errorf("audit file at %s", spoiledFile)
		}
		vs := vn.voterStatus(t, bob)
		if vn.onChain(t, spoiled) || !vn.onChain(t, cast) || hashText(vs.TxHash) != cast || vs.Seq != 2 {
			t.Fatalf("audited %s, cast %s; the node counts %+v", spoiled, cast, vs)
		}
		// The spoiled ballot's file still checks, and the node confirms it
		// was never cast.
		code, out, errs = voter.runIn(t, "", "ballot", "check-audit", spoiledFile, "--node", vn.url)
		wantRun(t, code, out, errs, 0, "the audited ballot is not on the chain")
	})

	t.Run("interactive", func(t *testing.T) {
		// Bad answers are asked again; then audit, then cast.
		input := "3\n1\n\n1,2,3,4\nLibrary extension, 3\nmaybe\naudit\ncast\n"
		code, out, errs := vote(input, "--key", "carol")
		wantRun(t, code, out, errs, 0, "not valid: no option 3 (the options are 1 to 2)", "not valid: 0 selected, allowed 1 to 3",
			"not valid: 4 selected, allowed 1 to 3", "answer cast, audit or quit", "(spoiled: it is never cast)",
			"2. Which projects should next year's budget fund? (choose 1 to 3): Library extension, Swimming pool", "Ballot cast")
		spoiled, cast := field(t, out, "Audited ballot"), field(t, out, "tracking code")
		if vn.onChain(t, spoiled) || hashText(vn.voterStatus(t, carol).TxHash) != cast {
			t.Fatal("the interactive audit or cast went wrong")
		}
		// Quit casts nothing; input that ends casts nothing.
		code, out, errs = vote("2\n1\nquit\n", "--key", "carol")
		wantRun(t, code, out, errs, 0, "Nothing was cast")
		code, out, errs = vote("2\n", "--key", "carol")
		wantRun(t, code, out, errs, 1, "no answer for contest 2: the input ended")
		if hashText(vn.voterStatus(t, carol).TxHash) != cast {
			t.Fatal("a quit session cast a ballot")
		}
	})

	t.Run("receipts", func(t *testing.T) {
		code, out, errs := voter.runIn(t, "", "receipt", "list")
		wantRun(t, code, out, errs, 0, "4 receipt(s) in "+filepath.Join(dir, "receipts"), "alice  seq 1", "alice  seq 2", "bob    seq 2", "carol  seq 2")
		files, _ := filepath.Glob(filepath.Join(dir, "receipts", "*.json"))
		var aliceOld, aliceNew string
		for _, f := range files {
			r, err := receiptfile.Read(f)
			if err != nil {
				t.Fatal(err)
			}
			if r.KeyName == "alice" && r.Seq == 1 {
				aliceOld = f
			} else if r.KeyName == "alice" {
				aliceNew = f
			}
		}
		// The untouched receipt checks offline (its other checks, against
		// the genesis and on the node, are testdata/script/vote.txt's).
		code, out, errs = voter.runIn(t, "", "receipt", "check", aliceNew)
		wantRun(t, code, out, errs, 0, "ok offline: in block", "the validators recorded when the ballot was cast (1)")
		genesis := vn.genesis

		// Tampered receipts fail.
		raw, _ := os.ReadFile(aliceNew)
		for name, edit := range map[string]func(m map[string]any){
			"height":        func(m map[string]any) { m["receipt"].(map[string]any)["height"] = 1 },
			"tracking code": func(m map[string]any) { m["tracking_code"] = aliceFirst },
			"seq":           func(m map[string]any) { m["seq"] = 7 },
			"other voter":   func(m map[string]any) { m["voter"] = bob.Public().String() },
			"validators": func(m map[string]any) {
				// Another validator key: the commit is not signed by it.
				pk := cmted25519.GenPrivKey().PubKey()
				v := m["trusted_validators"].([]any)[0].(map[string]any)
				v["pub_key"], v["address"] = base64.StdEncoding.EncodeToString(pk.Bytes()), pk.Address().String()
			},
			"no validators": func(m map[string]any) { m["trusted_validators"] = []any{} },
			"version":       func(m map[string]any) { m["version"] = "evote/v9/wallet-receipt" },
			"chain":         func(m map[string]any) { m["chain_id"] = "other" },
			"proof data":    func(m map[string]any) { editProofData(t, m) },
		} {
			var m map[string]any
			json.Unmarshal(raw, &m)
			edit(m)
			b, _ := json.Marshal(m)
			p := filepath.Join(t.TempDir(), "tampered.json")
			os.WriteFile(p, b, 0o600)
			code, out, errs := voter.runIn(t, "", "receipt", "check", p)
			if code != exitCheckFailed || !strings.Contains(errs, "receipt check failed") {
				t.Errorf("%s: exit %d\n%s%s", name, code, out, errs)
			}
		}
		// The genesis as the trust anchor, and the node, together.
		code, out, errs = voter.runIn(t, "", "receipt", "check", aliceOld, "--node", vn.url, "--genesis", genesis)
		wantRun(t, code, out, errs, 0, "replaced by")
	})

	t.Run("a lying node", func(t *testing.T) {
		// A node in front of the real one that changes its answers: the
		// receipt check against it fails and says what differs.
		files, _ := filepath.Glob(filepath.Join(dir, "receipts", "*.json"))
		var rpath string
		for _, f := range files {
			if r, _ := receiptfile.Read(f); r != nil && r.KeyName == "carol" {
				rpath = f
			}
		}
		for _, tc := range []struct {
			path string
			edit func(m map[string]any)
			want string
		}{
			{"/voters/", func(m map[string]any) { m["tx_hash"] = strings.Repeat("ab", 32) }, "counts ballot abab"},
			{"/voters/", func(m map[string]any) { m["voted"] = false }, "counts no ballot of"},
			{"/status", func(m map[string]any) {
				pk := cmted25519.GenPrivKey().PubKey()
				v := m["validators"].([]any)[0].(map[string]any)
				v["pub_key"], v["address"] = base64.StdEncoding.EncodeToString(pk.Bytes()), pk.Address().String()
			}, "shows other validators than the validators recorded when the ballot was cast"},
			{"/status", func(m map[string]any) { m["chain_id"] = "other" }, `runs chain "other"`},
			{"/receipts/", func(m map[string]any) { m["height"] = 3 }, "the receipt says"},
		} {
			liar := httptest.NewServer(lyingProxy(t, vn.url, tc.path, tc.edit))
			code, out, errs := voter.runIn(t, "", "receipt", "check", rpath, "--node", liar.URL)
			liar.Close()
			wantRun(t, code, out, errs, exitCheckFailed, tc.want)
		}
	})

	t.Run("no wait", func(t *testing.T) {
		code, out, errs := vote("", "--key", "carol", "--choice", "1=1", "--choice", "2=4", "--no-wait")
		wantRun(t, code, out, errs, 0, "Ballot submitted (not waiting for its commit)", "pending")
		rpath := field(t, out, "receipt")
		r, err := receiptfile.Read(rpath)
		if err != nil || r.Receipt != nil {
			t.Fatalf("pending receipt: %+v, %v", r, err)
		}
		code, out, errs = voter.runIn(t, "", "receipt", "check", rpath)
		wantRun(t, code, out, errs, exitCheckFailed, "pending")
		code, out, errs = voter.runIn(t, "", "receipt", "check", rpath, "--node", vn.url)
		wantRun(t, code, out, errs, 0, "the pending receipt is now complete", "it is the voter's ballot that counts")
		code, out, errs = voter.runIn(t, "", "receipt", "check", rpath)
		wantRun(t, code, out, errs, 0, "ok offline")
	})

	t.Run("commit not within the wait", func(t *testing.T) {
		// A node whose every wait ends first (here: a proxy that asks the
		// real node to wait 1ns): the ballot is admitted, answered 504,
		// and vote follows it through its receipt until it is committed.
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("wait") != "" {
				q.Set("wait", "1ns")
			}
			req, _ := http.NewRequest(r.Method, vn.url+r.URL.Path+"?"+q.Encode(), r.Body)
			req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			w.WriteHeader(resp.StatusCode)
			io.Copy(w, resp.Body)
		}))
		defer slow.Close()
		code, out, errs := voter.runIn(t, "", "vote", "--node", slow.URL, "--key", "carol", "--choice", "1=2", "--choice", "2=3")
		wantRun(t, code, out, errs, 0, "Ballot cast: committed in block")
		vs := vn.voterStatus(t, carol)
		if hashText(vs.TxHash) != field(t, out, "tracking code") {
			t.Fatalf("the node counts %+v", vs)
		}
	})

	t.Run("a pending ballot the node never got", func(t *testing.T) {
		// A node that says it admitted the ballot and drops it: the pending
		// receipt holds the signed ballot, and checking it on a node that
		// does not know it submits it again.
		drop := httptest.NewServer(answeringPosts(vn.url, func(code string) (int, map[string]any) {
			return http.StatusAccepted, map[string]any{"tracking_code": code, "code": 0, "code_name": "ok", "committed": false}
		}))
		defer drop.Close()
		code, out, errs := voter.runIn(t, "", "vote", "--node", drop.URL, "--key", "carol", "--choice", "1=1", "--choice", "2=1", "--no-wait")
		wantRun(t, code, out, errs, 0, "Ballot submitted (not waiting for its commit)")
		lost := field(t, out, "tracking code")
		rpath := field(t, out, "receipt")
		if vn.onChain(t, lost) {
			t.Fatal("the dropped ballot is on the chain")
		}
		code, out, errs = voter.runIn(t, "", "receipt", "check", rpath, "--node", vn.url)
		wantRun(t, code, out, errs, 0, "the pending receipt is now complete", "it is the voter's ballot that counts")
		if !vn.onChain(t, lost) {
			t.Fatal("the ballot submitted again is not on the chain")
		}
		r, err := receiptfile.Read(rpath)
		if err != nil || r.Receipt == nil || len(r.Ballot) != 0 {
			t.Fatalf("the completed receipt file: %+v, %v", r, err)
		}
	})

	t.Run("a spoiled ballot that is cast", func(t *testing.T) {
		// A device that casts the ballot it showed for audit: the audit
		// file still checks offline, and the node shows it on the chain.
		auditPath := filepath.Join(t.TempDir(), "audit.json")
		code, out, errs := vote("", "--key", "alice", "--choice", "1=1", "--choice", "2=5", "--audit", "--audit-out", auditPath)
		wantRun(t, code, out, errs, 0, "Nothing was cast")
		raw, _ := os.ReadFile(auditPath)
		a, err := wallet.ParseAuditFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vn.c.Submit(context.Background(), a.Ballot, api.SubmitOptions{Wait: true}); err != nil {
			t.Fatal(err)
		}
		code, out, errs = voter.runIn(t, "", "ballot", "check-audit", auditPath, "--node", vn.url)
		wantRun(t, code, out, errs, exitCheckFailed, "the election has this manifest and joint key", "the audited ballot is on the chain")
	})

	t.Run("a node that lies about the commit", func(t *testing.T) {
		// A node in front of the real one that answers a submission with the
		// receipt of another transaction (one of alice's, committed): vote
		// checks the receipt before it believes it, says what is wrong,
		// and submits the same ballot to the next node, which is honest.
		var other *api.Receipt
		files, _ := filepath.Glob(filepath.Join(dir, "receipts", "*.json"))
		for _, f := range files {
			if r, _ := receiptfile.Read(f); r != nil && r.KeyName == "alice" && r.Receipt != nil {
				other = r.Receipt
			}
		}
		if other == nil {
			t.Fatal("no receipt of alice's to lie with")
		}
		liar := httptest.NewServer(answeringPosts(vn.url, func(code string) (int, map[string]any) {
			return http.StatusOK, map[string]any{"tracking_code": code, "code": 0, "code_name": "ok",
				"committed": true, "height": other.Height, "receipt": other}
		}))
		defer liar.Close()
		code, out, errs := voter.runIn(t, "", "vote", "--node", liar.URL, "--node", vn.url, "--key", "carol", "--choice", "1=1", "--choice", "2=2")
		wantRun(t, code, out, errs, 0, "node "+liar.URL+": its receipt does not check", "Ballot cast: committed in block", "through node   "+vn.url)
		if vs := vn.voterStatus(t, carol); hashText(vs.TxHash) != field(t, out, "tracking code") {
			t.Fatalf("the node counts %+v", vs)
		}
		// With the liar alone, nothing is confirmed, and vote says why.
		code, out, errs = voter.runIn(t, "", "vote", "--node", liar.URL, "--key", "carol", "--choice", "1=1", "--choice", "2=2", "--patience", "3s")
		wantRun(t, code, out, errs, exitNotConfirmed, "is NOT confirmed on the chain", "its receipt does not check")
	})

	t.Run("after the close", func(t *testing.T) {
		if err := vn.set.Authority.Close(context.Background(), vn.set.ID); err != nil {
			t.Fatal(err)
		}
		code, out, errs := vote("", "--election", id, "--key", "carol", "--choice", "1=1", "--choice", "2=1")
		wantRun(t, code, out, errs, exitRejected, "note: the election is closed, not open", "rejected: closed (code 11)")
		// Without --election there is no open election to pick.
		code, out, errs = vote("", "--key", "carol", "--choice", "1=1", "--choice", "2=1")
		wantRun(t, code, out, errs, 1, "0 open elections on node", id+" (closed)")
	})
}

// answeringPosts is a node in front of the one at target that answers
// every submission itself, with answer(tracking code), and forwards every
// other request.
func answeringPosts(target string, answer func(code string) (int, map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			raw, _ := io.ReadAll(r.Body)
			sum := sha256.Sum256(raw)
			status, body := answer(hex.EncodeToString(sum[:]))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(body)
			return
		}
		req, _ := http.NewRequest(r.Method, target+r.URL.String(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
}

// lyingProxy forwards requests to the node at target and, for paths that
// contain pathPart, changes the JSON answer with edit.
func lyingProxy(t *testing.T, target, pathPart string, edit func(map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(target + r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if strings.Contains(r.URL.Path, pathPart) && resp.StatusCode == http.StatusOK {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Errorf("proxy: %v", err)
			}
			edit(m)
			body, _ = json.Marshal(m)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	})
}

// editProofData changes one byte of the transaction in the receipt's proof.
func editProofData(t *testing.T, m map[string]any) {
	t.Helper()
	proof := m["receipt"].(map[string]any)["proof"].(map[string]any)
	data := []byte(proof["data"].(string))
	i := len(data) / 2
	if data[i] == 'A' {
		data[i] = 'B'
	} else {
		data[i] = 'A'
	}
	proof["data"] = string(data)
}
