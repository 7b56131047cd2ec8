package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/internal/receiptfile"
)

// TestReceiptAfterValidatorChange: an organization forms a one-validator
// network by the documented commands; the authority adds a second
// validator, a node that never runs, of power 1 against 10 (the first
// signs every block alone); an election opens after the change, and a
// voter casts with evote vote. The receipt's block is signed by the set
// after the change: the receipt carries the change's hop, and checks
// offline against the validators recorded at casting (the set after the
// change), against the network's genesis file (the set before it), and
// with the node too. With the hop taken out, the check against the
// genesis fails.
// changedNetwork is a one-validator network formed by the documented
// commands (org-0 on 127.0.0.2, chain chainID) whose authority has added a
// second validator of power 1, a node that never runs (org-0 signs every
// block alone): org-0, the genesis file, the authority's key file, and the
// block that accepted the change. extra are org-0's node flags.
func changedNetwork(t *testing.T, ctx context.Context, dir, chainID string, extra ...string) (org *orgNode, gen, authKey string, changedAt int64) {
	t.Helper()
	authKey = filepath.Join(dir, "official", "authority.key")
	code, out, errs := runArgs(t, "election", "authority-key", "--out", authKey)
	if code != 0 {
		t.Fatalf("authority-key: %d %s", code, errs)
	}
	org = initOrg(t, dir, "org-0", "127.0.0.2")
	idle := initOrg(t, dir, "org-idle", "127.0.0.3")
	gen = filepath.Join(dir, "genesis.json")
	if code, _, errs := runArgs(t, "network", "genesis", "--chain-id", chainID, "--authority", strings.TrimSpace(out),
		"--card", org.card, "--out", gen); code != 0 {
		t.Fatalf("network genesis: %s", errs)
	}
	if code, out, errs := runArgs(t, "node", "join", "--home", org.home, "--genesis", gen, "--card", org.card); code != 0 {
		t.Fatalf("node join: %d\n%s%s", code, out, errs)
	}
	org.runWith(t, extra...)
	waitFor(t, time.Minute, "the first block", func() (bool, error) {
		st, err := org.client.Status(ctx)
		return err == nil && st.Height >= 1, err
	})
	code, out, errs = runArgs(t, "network", "validator", "--node", org.url, "--authority-key", authKey, "--card", idle.card, "--power", "1")
	m := acceptedIn.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("adding a validator: %d %s%s", code, out, errs)
	}
	changedAt, _ = strconv.ParseInt(m[1], 10, 64)
	return org, gen, authKey, changedAt
}

func TestReceiptAfterValidatorChange(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	org, gen, authKey, _ := changedNetwork(t, ctx, dir, "evote-rcpt-hops")

	authority, err := keyfile.ReadAuthority(authKey)
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Setup(ctx, harness.NewAPI(org.client), sampleSpec(authority, "receipt-hops", 1))
	if err != nil {
		t.Fatal(err)
	}
	st, err := org.client.Status(ctx)
	if err != nil || len(st.Validators) != 2 {
		t.Fatalf("the validators after the change: %+v, %v", st, err)
	}

	useWallet(t, "receipt hops")
	text, _ := e.Voters[0].Key.MarshalText()
	code, out, errs := runIn(t, string(text), append([]string{"wallet", "import", "v1"}, smallKDFFlags...)...)
	wantRun(t, code, out, errs, 0)
	code, out, errs = runIn(t, "", "vote", "--node", org.url, "--election", e.ID.String(), "--key", "v1", "--choice", "1=1", "--choice", "2=1")
	wantRun(t, code, out, errs, 0, "tracking code")
	var path string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "receipt" {
			path = f[1]
		}
	}
	if path == "" {
		t.Fatalf("no receipt path in:\n%s", out)
	}
	r, err := receiptfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != receiptfile.Tag || r.Receipt == nil || len(r.Receipt.ValidatorHops) != 1 || !r.ProvesAcceptance() {
		t.Fatalf("the receipt file: version %s, %d hops, acceptance proven %v", r.Version, len(r.Receipt.ValidatorHops), r.ProvesAcceptance())
	}
	t.Logf("the receipt file after one validator change: %d bytes", fileSize(t, path))

	// Against the set recorded at casting, no change is followed; against
	// the genesis, one.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"receipt", "check", path}, "of the validators recorded when the ballot was cast (2)"},
		{[]string{"receipt", "check", path, "--genesis", gen}, "of the validators in force (2), reached from the validators of " + gen + " (1) through 1 validator change(s)"},
		{[]string{"receipt", "check", path, "--genesis", gen, "--node", org.url}, "through 1 validator change(s)"},
		{[]string{"receipt", "check", path, "--node", org.url}, "ok on node"},
	} {
		code, out, errs := runIn(t, "", tc.args...)
		wantRun(t, code, out, errs, 0, "ok offline", "accepted: block", tc.want)
	}

	// Without its hop, the receipt's block names validators the genesis
	// never reached.
	r.Receipt.ValidatorHops = nil
	bare := filepath.Join(dir, "bare.json")
	if err := receiptfile.Write(bare, r); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runIn(t, "", "receipt", "check", bare, "--genesis", gen)
	wantRun(t, code, out, errs, exitCheckFailed)
	t.Logf("without its hop: %s", strings.TrimSpace(errs))
	t.Logf("the receipt file without its hop: %d bytes", fileSize(t, bare))
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
