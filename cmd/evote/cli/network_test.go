package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/observer"
)

// runArgs runs evote with args as given (no --home added).
func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// portsOn returns n ports free on ip at the time of asking.
func portsOn(t *testing.T, ip string, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", ip+":0")
		if err != nil {
			t.Fatalf("listen on %s: %v", ip, err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// TestNetworkFormedByCommands forms a network as four organizations would,
// with the documented commands only: each makes its node in a home of its
// own, on its own loopback address (127.0.0.2 to 127.0.0.5 stand for four
// machines), and hands out its card; the genesis is assembled from the
// cards, and each joins with it and the others' cards; nothing else is
// shared. A forged card and a genesis without a node's key are refused,
// saying why. The four nodes run a whole election (ceremony, ballots,
// close, decryption) and agree on the result and the app hash.
func TestNetworkFormedByCommands(t *testing.T) {
	dir := t.TempDir()
	authKey := filepath.Join(dir, "official", "authority.key")
	code, out, errs := runArgs(t, "election", "authority-key", "--out", authKey)
	if code != 0 {
		t.Fatalf("authority-key: %d %s", code, errs)
	}
	authPub := strings.TrimSpace(out)

	const n = 4
	var homes, cards, urls []string
	for i := range n {
		ip := fmt.Sprintf("127.0.0.%d", 2+i)
		p := portsOn(t, ip, 3)
		home := filepath.Join(dir, fmt.Sprintf("org%d", i))
		url := fmt.Sprintf("http://%s:%d", ip, p[2])
		code, out, errs := runArgs(t, "node", "init", "--home", home, "--moniker", fmt.Sprintf("org-%d", i),
			"--p2p-listen", fmt.Sprintf("tcp://%s:%d", ip, p[0]), "--rpc-listen", fmt.Sprintf("tcp://%s:%d", ip, p[1]),
			"--http", fmt.Sprintf("%s:%d", ip, p[2]), "--http-external", url)
		if code != 0 || !strings.Contains(out, `"validator_pub_key"`) {
			t.Fatalf("node init %d: %d\n%s%s", i, code, out, errs)
		}
		// Each organization hands out a copy of its card.
		card := filepath.Join(dir, "cards", fmt.Sprintf("org-%d.json", i))
		os.MkdirAll(filepath.Dir(card), 0o755)
		b, err := os.ReadFile(filepath.Join(home, "config", "node-card.json"))
		if err != nil || !bytes.Equal(bytes.TrimSpace(b), bytes.TrimSpace([]byte(out))) {
			t.Fatalf("the card printed is not the card written: %v", err)
		}
		os.WriteFile(card, b, 0o644)
		homes, cards, urls = append(homes, home), append(cards, card), append(urls, url)
	}

	// A card whose address was changed on the way is refused.
	forged := filepath.Join(dir, "cards", "forged.json")
	b, _ := os.ReadFile(cards[3])
	os.WriteFile(forged, bytes.Replace(b, []byte("127.0.0.5"), []byte("203.0.113.9"), 1), 0o644)
	gen := filepath.Join(dir, "genesis.json")
	code, _, errs = runArgs(t, "network", "genesis", "--chain-id", "evote-orgs", "--authority", authPub,
		"--card", cards[0], "--card", cards[1], "--card", cards[2], "--card", forged, "--out", gen)
	if code == 0 || !strings.Contains(errs, "forged.json") || !strings.Contains(errs, "signature is not the validator key's") {
		t.Fatalf("a genesis with a forged card: %d %s", code, errs)
	}
	// Without org-3's card, org-3 cannot join as a validator.
	partial := filepath.Join(dir, "partial.json")
	if code, _, errs := runArgs(t, "network", "genesis", "--chain-id", "evote-orgs", "--authority", authPub,
		"--card", cards[0], "--card", cards[1], "--card", cards[2], "--out", partial); code != 0 {
		t.Fatalf("genesis of three: %s", errs)
	}
	code, _, errs = runArgs(t, "node", "join", "--home", homes[3], "--genesis", partial, "--card", strings.Join(cards, ","))
	if code == 0 || !strings.Contains(errs, "does not hold this node's validator key") || !strings.Contains(errs, "replica") {
		t.Fatalf("joining a genesis without this node's key: %d %s", code, errs)
	}

	code, out, errs = runArgs(t, "network", "genesis", "--chain-id", "evote-orgs", "--authority", authPub,
		"--card", strings.Join(cards, ","), "--power", "org-0=10", "--out", gen)
	if code != 0 {
		t.Fatalf("network genesis: %d %s", code, errs)
	}
	_, sum, _ := strings.Cut(out, "genesis SHA-256 ")
	sum = strings.Fields(sum)[0]
	for i, home := range homes {
		code, out, errs := runArgs(t, "node", "join", "--home", home, "--genesis", gen, "--card", strings.Join(cards, ","))
		if code != 0 || !strings.Contains(out, "joined as a validator; genesis SHA-256 "+sum) {
			t.Fatalf("node join %d: %d\n%s%s", i, code, out, errs)
		}
		settings, _ := os.ReadFile(filepath.Join(home, "evote.yaml"))
		for j, u := range urls {
			if (j != i) != strings.Contains(string(settings), u) {
				t.Fatalf("org %d's peer nodes: %s", i, settings)
			}
		}
	}

	// The four nodes run.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i, home := range homes {
		wg.Go(func() {
			var out, errb bytes.Buffer
			if code := Run(ctx, []string{"node", "--home", home}, &out, &errb); code != 0 && ctx.Err() == nil {
				t.Errorf("node %d: exit %d: %s", i, code, errb.String())
			}
		})
	}
	clients := make([]*api.Client, n)
	for i, u := range urls {
		c, err := api.NewClient(u, &http.Client{Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		ready := 0
		for _, c := range clients {
			if st, err := c.Status(ctx); err == nil && st.Height >= 1 && len(st.Validators) == n {
				ready++
			}
		}
		if ready == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the network made no block within 60 s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A whole election through org-1's node.
	authority, err := keyfile.ReadAuthority(authKey)
	if err != nil {
		t.Fatal(err)
	}
	id := runElection(t, ctx, clients[1], authority, "orgs", nil)
	// Decrypt waited for org-1's node; org-3's may commit the result a
	// block later.
	if _, err := clients[3].WaitPhase(ctx, id, api.PhaseIn(election.PhaseTallied)); err != nil {
		t.Fatal(err)
	}
	res, err := clients[3].Result(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if res.Voters != 3 || res.Contests[0].Totals[0] != 2 || res.Contests[0].Totals[1] != 1 || res.Contests[1].Totals[1] != 2 {
		t.Fatalf("the result on org-3's node: %+v", res)
	}
	// Every node holds the same chain.
	st, err := clients[1].Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		for deadline := time.Now().Add(30 * time.Second); ; {
			o, err := c.Status(ctx)
			if err == nil && o.Height >= st.Height {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d did not reach height %d", i, st.Height)
			}
			time.Sleep(100 * time.Millisecond)
		}
		d, err := c.Election(ctx, id)
		if err != nil || d.Phase != election.PhaseTallied {
			t.Fatalf("node %d: the election %v, %v", i, d, err)
		}
	}

	// A replica anyone can run, joining late: the genesis and the cards
	// are all it needs; it catches up and serves the same election.
	ip := "127.0.0.6"
	p := portsOn(t, ip, 3)
	replica := filepath.Join(dir, "replica")
	replicaURL := fmt.Sprintf("http://%s:%d", ip, p[2])
	if code, _, errs := runArgs(t, "node", "init", "--home", replica, "--moniker", "observer-copy",
		"--p2p-listen", fmt.Sprintf("tcp://%s:%d", ip, p[0]), "--rpc-listen", fmt.Sprintf("tcp://%s:%d", ip, p[1]),
		"--http", fmt.Sprintf("%s:%d", ip, p[2])); code != 0 {
		t.Fatalf("replica init: %s", errs)
	}
	if code, _, errs := runArgs(t, "node", "join", "--home", replica, "--genesis", gen, "--card", strings.Join(cards, ",")); code == 0 || !strings.Contains(errs, "--replica") && !strings.Contains(errs, "replica") {
		t.Fatalf("a replica joining as a validator: %d %s", code, errs)
	}
	code, out, errs = runArgs(t, "node", "join", "--home", replica, "--genesis", gen, "--card", strings.Join(cards, ","), "--replica")
	if code != 0 || !strings.Contains(out, "joined as a replica (not a validator); genesis SHA-256 "+sum) {
		t.Fatalf("replica join: %d %s%s", code, out, errs)
	}
	wg.Go(func() {
		var out, errb bytes.Buffer
		if code := Run(ctx, []string{"node", "--home", replica}, &out, &errb); code != 0 && ctx.Err() == nil {
			t.Errorf("replica: exit %d: %s", code, errb.String())
		}
	})
	rc, err := api.NewClient(replicaURL, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		o, err := rc.Status(ctx)
		if err == nil && o.Height >= st.Height {
			if o.Height == st.Height && o.AppHash != st.AppHash {
				t.Fatalf("the replica's app hash at %d: %s, the validators' %s", o.Height, o.AppHash, st.AppHash)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not catch up to height %d: %+v, %v", st.Height, o, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got, err := rc.Result(ctx, id); err != nil || fmt.Sprint(got.Contests) != fmt.Sprint(res.Contests) {
		t.Fatalf("the replica's result: %+v, %v", got, err)
	}
	// The replica's record is org-1's (but for which validators' signatures
	// each node's commits hold) and verifies; its
	// live feed verifies the election from block 1 to its result.
	var recs [2][]byte
	for i, node := range []string{urls[1], replicaURL} {
		rec := filepath.Join(dir, fmt.Sprintf("record-%d.json", i))
		if code, _, errs := runArgs(t, "export", "--node", node, "--election", id.String(), "--out", rec); code != 0 {
			t.Fatalf("export from %s: %s", node, errs)
		}
		if recs[i], err = os.ReadFile(rec); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := withoutCommits(t, recs[0]), withoutCommits(t, recs[1]); a != b {
		t.Fatalf("the replica's record differs from org-1's beyond the commits' signatures:\n%s\n%s", a, b)
	}
	if code, out, errs := runArgs(t, "verify", filepath.Join(dir, "record-1.json"), "--genesis", gen); code != 0 {
		t.Fatalf("verify the replica's record: %d %s%s", code, out, errs)
	}
	if code, out, errs := runArgs(t, "observe", "--node", replicaURL, "--election", id.String(), "--genesis", gen); code != 0 || !strings.Contains(out, "tallied") {
		t.Fatalf("observe the replica's feed: %d %s%s", code, out, errs)
	}
}

// withoutCommits is a record's head, blocks and claims with each block's
// commit left out: two nodes hold the same blocks with commits of
// different, equally valid, sets of signatures.
func withoutCommits(t *testing.T, rec []byte) string {
	t.Helper()
	rr := observer.NewRecordReader(bytes.NewReader(rec))
	head, err := rr.ReadHead()
	if err != nil {
		t.Fatal(err)
	}
	parts := []any{head}
	for {
		b, err := rr.NextBlock()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		b.Commit = nil
		parts = append(parts, b)
	}
	claims, err := rr.ReadClaims()
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(append(parts, claims))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
