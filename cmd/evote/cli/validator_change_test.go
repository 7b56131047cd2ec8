package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/cmtlite"
)

// orgNode is one organization's node of a network formed by commands.
type orgNode struct {
	home, card, url string
	client          *api.Client
	extra           []string // more flags of `evote node`
	stop            context.CancelFunc
	done            chan struct{}
}

// initOrg makes organization name's node on loopback address ip with
// `evote node init`, and copies its card out.
func initOrg(t *testing.T, dir, name, ip string) *orgNode {
	t.Helper()
	p := portsOn(t, ip, 3)
	o := &orgNode{home: filepath.Join(dir, name), url: fmt.Sprintf("http://%s:%d", ip, p[2])}
	code, out, errs := runArgs(t, "node", "init", "--home", o.home, "--moniker", name,
		"--p2p-listen", fmt.Sprintf("tcp://%s:%d", ip, p[0]), "--rpc-listen", fmt.Sprintf("tcp://%s:%d", ip, p[1]),
		"--http", fmt.Sprintf("%s:%d", ip, p[2]), "--http-external", o.url)
	if code != 0 {
		t.Fatalf("node init %s: %d\n%s%s", name, code, out, errs)
	}
	o.card = filepath.Join(dir, "cards", name+".json")
	os.MkdirAll(filepath.Dir(o.card), 0o755)
	b, err := os.ReadFile(filepath.Join(o.home, "config", "node-card.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(o.card, b, 0o644)
	c, err := api.NewClient(o.url, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	o.client = c
	return o
}

// run starts the node (`evote node`) until stopped or the test ends.
func (o *orgNode) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	o.stop, o.done = cancel, make(chan struct{})
	var out, errb bytes.Buffer
	go func() {
		defer close(o.done)
		if code := Run(ctx, append([]string{"node", "--home", o.home}, o.extra...), &out, &errb); code != 0 && ctx.Err() == nil {
			t.Errorf("node %s: exit %d", o.home, code)
		}
	}()
	t.Cleanup(func() {
		o.halt()
		if t.Failed() {
			logf, _ := os.ReadFile(filepath.Join(o.home, "node.log"))
			b := append(append(out.Bytes(), errb.Bytes()...), logf...)
			t.Logf("node %s, the end of its output:\n%s", o.home, b[max(0, len(b)-3000):])
		}
	})
}

func (o *orgNode) halt() {
	if o.stop != nil {
		o.stop()
		<-o.done
		o.stop = nil
	}
}

// waitFor polls cond every 200 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	var last error
	for deadline := time.Now().Add(timeout); ; {
		ok, err := cond()
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s (last error: %v)", timeout, what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runElection runs a whole sample election through c: ceremony, three
// ballots, close, decryption; it returns the election's id once tallied.
// during, if set, runs while the election is open.
func runElection(t *testing.T, ctx context.Context, c *api.Client, authority *election.PrivateKey, ref string, during func(id election.ID)) election.ID {
	t.Helper()
	e, err := harness.Setup(ctx, harness.NewAPI(c), sampleSpec(authority, ref, 3))
	if err != nil {
		t.Fatal(err)
	}
	opts := len(e.Manifest.Contests[1].Options)
	approve := func(k int) []uint64 { c := make([]uint64, opts); c[k] = 1; return c }
	for i, ch := range [][][]uint64{{{1, 0}, approve(0)}, {{0, 1}, approve(1)}, {{1, 0}, approve(1)}} {
		if _, _, err := e.Cast(ctx, i, ch); err != nil {
			t.Fatal(err)
		}
	}
	if during != nil {
		during(e.ID)
	}
	if err := e.Authority.Close(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.Decrypt(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := c.Result(ctx, e.ID)
	if err != nil || res.Voters != 3 || res.Contests[0].Totals[0] != 2 {
		t.Fatalf("the result of %s: %+v, %v", ref, res, err)
	}
	return e.ID
}

var acceptedIn = regexp.MustCompile(`accepted in block (\d+)`)

// TestValidatorChangeBetweenElections: four organizations form a network
// by the documented commands and run an election to its result; a
// validator change is refused while it is open (election-running). After
// it, the authority retires org-3 and adds org-4, a new organization's
// node that joined as a replica, by its card; a second election runs to
// its result on the new set, whose commits org-4 signs. The
// records of both elections verify (the second spans the change); the
// second with its validator updates left out does not (its later commits
// are not the genesis set's).
func TestValidatorChangeBetweenElections(t *testing.T) {
	dir := t.TempDir()
	authKey := filepath.Join(dir, "official", "authority.key")
	code, out, errs := runArgs(t, "election", "authority-key", "--out", authKey)
	if code != 0 {
		t.Fatalf("authority-key: %d %s", code, errs)
	}
	authPub := strings.TrimSpace(out)
	var orgs []*orgNode
	var cards []string
	for i := range 4 {
		o := initOrg(t, dir, fmt.Sprintf("org-%d", i), fmt.Sprintf("127.0.0.%d", 2+i))
		orgs, cards = append(orgs, o), append(cards, o.card)
	}
	gen := filepath.Join(dir, "genesis.json")
	if code, _, errs := runArgs(t, "network", "genesis", "--chain-id", "evote-valset", "--authority", authPub,
		"--card", strings.Join(cards, ","), "--out", gen); code != 0 {
		t.Fatalf("network genesis: %s", errs)
	}
	for i, o := range orgs {
		if code, out, errs := runArgs(t, "node", "join", "--home", o.home, "--genesis", gen, "--card", strings.Join(cards, ",")); code != 0 {
			t.Fatalf("node join %d: %d\n%s%s", i, code, out, errs)
		}
	}
	for _, o := range orgs {
		o.run(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	waitFor(t, time.Minute, "the first block", func() (bool, error) {
		for _, o := range orgs {
			st, err := o.client.Status(ctx)
			if err != nil || st.Height < 1 {
				return false, err
			}
		}
		return true, nil
	})
	authority, err := keyfile.ReadAuthority(authKey)
	if err != nil {
		t.Fatal(err)
	}
	validator := func(node *orgNode, args ...string) (int, string, string) {
		return runArgs(t, append([]string{"network", "validator", "--node", node.url, "--authority-key", authKey}, args...)...)
	}

	// Election 1; no change while it is open.
	first := runElection(t, ctx, orgs[1].client, authority, "before-change", func(election.ID) {
		code, _, errs := validator(orgs[0], "--card", orgs[3].card, "--power", "0")
		if code == 0 || !strings.Contains(errs, election.CodeElectionRunning.String()) {
			t.Fatalf("a validator change while an election is open: %d %s", code, errs)
		}
	})

	// Retire org-3, through org-1's node, which holds the result (the
	// others may be a block behind, and refuse while they see the election
	// closed).
	code, out, errs = validator(orgs[1], "--card", orgs[3].card, "--power", "0")
	m := acceptedIn.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("retiring org-3: %d %s%s", code, out, errs)
	}
	retiredAt, _ := strconv.ParseInt(m[1], 10, 64)

	// org-4 makes its node and joins as a replica with the genesis and the
	// members' cards.
	org4 := initOrg(t, dir, "org-4", "127.0.0.7")
	if code, out, errs := runArgs(t, "node", "join", "--home", org4.home, "--genesis", gen, "--card", strings.Join(cards, ","), "--replica"); code != 0 {
		t.Fatalf("org-4 join: %d %s%s", code, out, errs)
	}
	org4.run(t)
	// The chain makes no empty block while idle: the retirement is in force
	// from the next block with a transaction on (block retiredAt+2 at the
	// earliest).
	st0, err := orgs[0].client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "org-4 to catch up", func() (bool, error) {
		st, err := org4.client.Status(ctx)
		if err == nil && st.Height < st0.Height {
			err = fmt.Errorf("org-4 at height %d, the others at %d", st.Height, st0.Height)
		}
		return err == nil, err
	})
	code, out, errs = validator(orgs[1], "--card", org4.card, "--power", "10")
	if m = acceptedIn.FindStringSubmatch(out); code != 0 || m == nil {
		t.Fatalf("adding org-4: %d %s%s", code, out, errs)
	}
	addedAt, _ := strconv.ParseInt(m[1], 10, 64)
	if addedAt < retiredAt+election.ValidatorDelay {
		t.Fatalf("the addition in block %d, before the retirement of block %d is in force", addedAt, retiredAt)
	}
	// From block addedAt+2 on org-4 signs with org-0, org-1 and org-2;
	// org-3, retired, runs on as a replica.
	second := runElection(t, ctx, orgs[1].client, authority, "after-change", nil)
	st, err := org4.client.Status(ctx)
	if err != nil || st.Height < addedAt+election.ValidatorDelay || len(st.Validators) != 4 {
		t.Fatalf("org-4's status after the second election: %+v, %v", st, err)
	}
	for _, v := range st.Validators {
		if bytes.Equal(v.PubKey, cardKey(t, orgs[3].card)) {
			t.Fatal("org-3 is still a validator")
		}
	}
	seen := false
	for _, v := range st.Validators {
		seen = seen || bytes.Equal(v.PubKey, cardKey(t, org4.card))
	}
	if !seen {
		t.Fatal("org-4 is not a validator")
	}

	// The live follower verifies the second election from block 1 over
	// org-4's feed, following the set through both changes.
	if code, out, errs := runArgs(t, "observe", "--node", org4.url, "--election", second.String(), "--genesis", gen); code != 0 || !strings.Contains(out, "tallied") {
		t.Fatalf("observe across the change: %d %s%s", code, out, errs)
	}
	// Both records verify against the network's genesis; the second spans
	// the change.
	for _, id := range []election.ID{first, second} {
		rec := filepath.Join(dir, id.String()[:8]+".json")
		if code, _, errs := runArgs(t, "export", "--node", org4.url, "--election", id.String(), "--out", rec); code != 0 {
			t.Fatalf("export %v: %s", id, errs)
		}
		if code, out, errs := runArgs(t, "verify", rec, "--genesis", gen); code != 0 {
			t.Fatalf("verify %v: %d %s%s", id, code, out, errs)
		}
	}
	rec, err := os.ReadFile(filepath.Join(dir, second.String()[:8]+".json"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := observer.Verify(ctx, bytes.NewReader(rec), observer.VerifyOptions{})
	if err != nil || sum.ValidatorChanges != 2 {
		t.Fatalf("the second record: %+v, %v; want 2 validator changes", sum, err)
	}
	// org-4 signed blocks of the second election.
	if n := signedBy(t, rec, addedAt+election.ValidatorDelay, cardKey(t, org4.card)); n == 0 {
		t.Fatal("org-4 signed no commit of the blocks after it became a validator")
	}
	// Left out, the changes leave the verifier with the genesis set, which
	// did not sign the later blocks.
	stripped := stripValidatorUpdates(t, rec)
	if _, err := observer.Verify(ctx, bytes.NewReader(stripped), observer.VerifyOptions{}); !errors.Is(err, observer.CodeValidatorSet) {
		t.Fatalf("the second record without its validator updates: %v; want %v", err, observer.CodeValidatorSet)
	}
}

// signedBy counts the commits of the record's blocks from height from on
// that carry a signature of the validator key.
func signedBy(t *testing.T, rec []byte, from int64, key []byte) int {
	t.Helper()
	sum := sha256.Sum256(key)
	rr := observer.NewRecordReader(bytes.NewReader(rec))
	if _, err := rr.ReadHead(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		b, err := rr.NextBlock()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			return n
		}
		if b.Height < from {
			continue
		}
		c, err := cmtlite.ParseCommit(b.Commit)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range c.Signatures {
			if s.BlockIDFlag == cmtlite.BlockIDFlagCommit && bytes.Equal(s.ValidatorAddress, sum[:cmtlite.AddressSize]) {
				n++
			}
		}
	}
}

// cardKey is the validator key of a node card.
func cardKey(t *testing.T, path string) []byte {
	t.Helper()
	var c struct {
		PubKey []byte `json:"validator_pub_key"`
	}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &c) != nil {
		t.Fatalf("card %s: %v", path, err)
	}
	return c.PubKey
}

// stripValidatorUpdates rewrites a record without its validator-update
// transactions.
func stripValidatorUpdates(t *testing.T, rec []byte) []byte {
	t.Helper()
	rr := observer.NewRecordReader(bytes.NewReader(rec))
	head, err := rr.ReadHead()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rw, err := observer.NewRecordWriter(&out, head)
	if err != nil {
		t.Fatal(err)
	}
	stripped := 0
	for {
		b, err := rr.NextBlock()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		var keep []observer.RecordTx
		for _, tx := range b.Txs {
			if tx.Kind == election.KindValidatorUpdate.String() {
				stripped++
				continue
			}
			keep = append(keep, tx)
		}
		b.Txs = append([]observer.RecordTx{}, keep...)
		if err := rw.WriteBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	c, err := rr.ReadClaims()
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(c); err != nil {
		t.Fatal(err)
	}
	if stripped == 0 {
		t.Fatal("the record carries no validator update")
	}
	return out.Bytes()
}
