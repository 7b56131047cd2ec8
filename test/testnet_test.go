package test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/receiptfile"
	"github.com/evote/evote/wallet"
)

// A testnet is a network of evote validators on 127.0.0.1, each node its
// own process of the real binary, written by `evote testnet`.
type testnet struct {
	t       *testing.T
	dir     string
	chainID string
	nodes   []*nodeProc
	urls    []string // node i's HTTP API
}

const testChainID = "evote-cluster-test"

// newTestnet writes the homes of an n-validator network on free ports,
// starts every node and waits until each answers GET /api/v1/status.
func newTestnet(t *testing.T, n int) *testnet {
	t.Helper()
	tn := writeTestnet(t, n)
	for i := range n {
		tn.start(i)
	}
	for i := range n {
		tn.waitUp(i, time.Minute)
	}
	return tn
}

// writeTestnet runs `evote testnet` for n validators on free ports; no node
// is started.
func writeTestnet(t *testing.T, n int) *testnet {
	t.Helper()
	tn := &testnet{t: t, dir: t.TempDir(), chainID: testChainID, nodes: make([]*nodeProc, n)}
	// Node i: p2p on base+2i, RPC on base+2i+1, HTTP on base+2n+i.
	base := freePortBlock(t, 3*n)
	httpBase := base + 2*n
	runEvote(t, time.Minute, "testnet", "--validators", strconv.Itoa(n), "--dir", tn.dir, "--chain-id", tn.chainID,
		"--base-port", strconv.Itoa(base), "--http-port", strconv.Itoa(httpBase))
	for i := range n {
		tn.urls = append(tn.urls, fmt.Sprintf("http://127.0.0.1:%d", httpBase+i))
	}
	return tn
}

// start starts node i for the first time.
func (tn *testnet) start(i int) {
	tn.t.Helper()
	home := filepath.Join(tn.dir, fmt.Sprintf("node%d", i))
	tn.nodes[i] = startNodeProc(tn.t, fmt.Sprintf("node%d", i), home)
}

// logs returns the tails of every node's logs.
func (tn *testnet) logs() string {
	var b strings.Builder
	for _, p := range tn.nodes {
		if p == nil {
			continue
		}
		b.WriteString(p.logTail())
		b.WriteString("\n")
	}
	return b.String()
}

// fatalf fails the test with the tails of the nodes' logs.
func (tn *testnet) fatalf(format string, args ...any) {
	tn.t.Helper()
	tn.t.Fatalf(format+"\n\n%s", append(args, tn.logs())...)
}

func (tn *testnet) status(ctx context.Context, i int) (api.Status, error) {
	var st api.Status
	err := getJSON(ctx, tn.urls[i]+"/api/v1/status", &st)
	return st, err
}

// waitUp waits until node i answers GET /api/v1/status; it fails at once
// if the process exits.
func (tn *testnet) waitUp(i int, timeout time.Duration) api.Status {
	tn.t.Helper()
	var st api.Status
	err := eventually(timeout, 50*time.Millisecond, func() error {
		if !tn.nodes[i].running() {
			return halt(errExited)
		}
		var err error
		st, err = tn.status(context.Background(), i)
		return err
	})
	switch {
	case errors.Is(err, errExited):
		tn.fatalf("node %d exited before answering", i)
	case err != nil:
		tn.fatalf("node %d did not answer GET /api/v1/status within %v: %v", i, timeout, err)
	case st.ChainID != tn.chainID || len(st.Validators) != len(tn.nodes):
		tn.fatalf("node %d: chain %q with %d validators, want %q with %d", i, st.ChainID, len(st.Validators), tn.chainID, len(tn.nodes))
	}
	return st
}

var errExited = errors.New("the process exited")

// trusted is the validator set a client pins: the genesis validators
// (evote's set never changes), read from the genesis file every home holds.
func (tn *testnet) trusted() *cmttypes.ValidatorSet {
	tn.t.Helper()
	gen, err := cmttypes.GenesisDocFromFile(filepath.Join(tn.dir, "node0", "config", "genesis.json"))
	if err != nil {
		tn.t.Fatal(err)
	}
	vals := make([]*cmttypes.Validator, len(gen.Validators))
	for i, v := range gen.Validators {
		vals[i] = cmttypes.NewValidator(v.PubKey, v.Power)
	}
	return cmttypes.NewValidatorSet(vals)
}

// heights returns the committed height of each of the given nodes.
func (tn *testnet) heights(nodes []int) ([]int64, error) {
	hs := make([]int64, len(nodes))
	for j, i := range nodes {
		st, err := tn.status(context.Background(), i)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i, err)
		}
		hs[j] = st.Height
	}
	return hs, nil
}

// snapshot is what the nodes must agree on: the committed height, its app
// hash and the running tally of an election, exactly as served.
type snapshot struct {
	Height  int64
	AppHash string
	Tally   []byte
}

func (s snapshot) equal(o snapshot) bool {
	return s.Height == o.Height && s.AppHash == o.AppHash && bytes.Equal(s.Tally, o.Tally)
}

// agree waits until the given nodes report one height (at least min) and
// app hash, and serve one tally of the election (if electionID is not ""),
// read between two identical status answers; it returns that view.
func (tn *testnet) agree(nodes []int, electionID string, min int64, timeout time.Duration) snapshot {
	tn.t.Helper()
	ctx := context.Background()
	var got snapshot
	err := eventually(timeout, 200*time.Millisecond, func() error {
		view := func() ([]api.Status, error) {
			sts := make([]api.Status, len(nodes))
			for j, i := range nodes {
				var err error
				if sts[j], err = tn.status(ctx, i); err != nil {
					return nil, fmt.Errorf("node %d: %w", i, err)
				}
			}
			for j := range sts {
				if sts[j].Height != sts[0].Height || sts[j].AppHash != sts[0].AppHash {
					return nil, fmt.Errorf("node %d at height %d app hash %s, node %d at %d %s",
						nodes[j], sts[j].Height, sts[j].AppHash, nodes[0], sts[0].Height, sts[0].AppHash)
				}
			}
			if sts[0].Height < min {
				return nil, fmt.Errorf("at height %d, want at least %d", sts[0].Height, min)
			}
			return sts, nil
		}
		for _, i := range nodes {
			if !tn.nodes[i].running() {
				return halt(fmt.Errorf("node %d: %w", i, errExited))
			}
		}
		before, err := view()
		if err != nil {
			return err
		}
		var tallies [][]byte
		for _, i := range nodes {
			if electionID == "" {
				tallies = append(tallies, nil)
				continue
			}
			status, body, err := get(ctx, tn.urls[i]+"/api/v1/elections/"+electionID+"/tally")
			if err != nil || status != http.StatusOK {
				return fmt.Errorf("node %d: tally: %d %s %v", i, status, body, err)
			}
			tallies = append(tallies, body)
		}
		after, err := view()
		if err != nil {
			return err
		}
		if after[0].Height != before[0].Height {
			return fmt.Errorf("a block was committed while reading the tallies")
		}
		for j := range tallies {
			if !bytes.Equal(tallies[j], tallies[0]) {
				return fmt.Errorf("at height %d node %d serves another tally than node %d:\n%s\n%s",
					before[0].Height, nodes[j], nodes[0], tallies[j], tallies[0])
			}
		}
		got = snapshot{Height: before[0].Height, AppHash: before[0].AppHash, Tally: tallies[0]}
		return nil
	})
	if err != nil {
		tn.fatalf("nodes %v did not agree within %v: %v", nodes, timeout, err)
	}
	return got
}

// settle waits until node i's height and app hash stay the same for quiet:
// the chain makes no block while no transaction comes, except the one that
// follows a block that changed the app hash, to carry the new hash.
func (tn *testnet) settle(i int, quiet, timeout time.Duration) api.Status {
	tn.t.Helper()
	var last api.Status
	var since time.Time
	err := eventually(timeout, 200*time.Millisecond, func() error {
		if !tn.nodes[i].running() {
			return halt(errExited)
		}
		st, err := tn.status(context.Background(), i)
		if err != nil {
			return err
		}
		if st.Height != last.Height || st.AppHash != last.AppHash {
			last, since = st, time.Now()
		}
		if time.Since(since) < quiet {
			return fmt.Errorf("at height %d since %v", st.Height, time.Since(since).Round(time.Millisecond))
		}
		return nil
	})
	if err != nil {
		tn.fatalf("node %d did not settle within %v: %v", i, timeout, err)
	}
	return last
}

// sampleElection is an open election made by `evote sample`, with what a
// voter's device needs and the voters' keys.
type sampleElection struct {
	id       string
	election *wallet.Election
	voters   []*wallet.VoterKey
}

// sample runs `evote sample` against node 0 for an election with the given
// number of voters, then reads what the voters need: the manifest and keys
// it wrote, and the joint key from the chain.
func (tn *testnet) sample(voters int) *sampleElection {
	tn.t.Helper()
	keys := filepath.Join(tn.dir, "keys")
	out, err := tryEvote(tn.t, 3*time.Minute, "sample", "--node", tn.urls[0], "--authority", filepath.Join(tn.dir, "authority.key"),
		"--voters", strconv.Itoa(voters), "--keys", keys)
	if err != nil {
		tn.fatalf("%v", err)
	}
	id := strings.TrimSpace(out)
	if _, err := election.ParseID(id); err != nil {
		tn.fatalf("evote sample printed %q, not an election id: %v", out, err)
	}
	var detail api.ElectionDetail
	if err := getJSON(context.Background(), tn.urls[0]+"/api/v1/elections/"+id, &detail); err != nil {
		tn.fatalf("%v", err)
	}
	if detail.Phase != election.PhaseOpen {
		tn.fatalf("election %s is %q after evote sample, want open", id, detail.Phase)
	}
	jointKey := detail.JointKey
	if jointKey == nil {
		tn.fatalf("election %s has no joint key", id)
	}
	// Node 0 answered the opening's commit; the others may be a block
	// behind. Ballots go to every node, so wait until each has the
	// election open.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, url := range tn.urls[1:] {
		for {
			var d api.ElectionDetail
			err := getJSON(ctx, url+"/api/v1/elections/"+id, &d)
			if err == nil && d.Phase == election.PhaseOpen {
				break
			}
			if ctx.Err() != nil {
				tn.fatalf("node %d never showed election %s open (last: phase %q, %v)", i+1, id, d.Phase, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	yaml, err := os.ReadFile(filepath.Join(keys, "manifest.yaml"))
	if err != nil {
		tn.t.Fatal(err)
	}
	m, err := election.ParseManifestYAML(yaml)
	if err != nil {
		tn.t.Fatal(err)
	}
	el, err := wallet.NewElection(tn.chainID, m, jointKey)
	if err != nil {
		tn.t.Fatal(err)
	}
	if el.ID.String() != id {
		tn.fatalf("the manifest evote sample wrote has id %s, it printed %s", el.ID, id)
	}
	se := &sampleElection{id: id, election: el}
	for i := 1; i <= voters; i++ {
		b, err := os.ReadFile(filepath.Join(keys, fmt.Sprintf("voter-%d.key", i)))
		if err != nil {
			tn.t.Fatal(err)
		}
		v, err := wallet.ParseVoterKey(strings.TrimSpace(string(b)))
		if err != nil {
			tn.t.Fatalf("voter-%d.key: %v", i, err)
		}
		se.voters = append(se.voters, v)
	}
	return se
}

// ballot is one voter's first ballot, built and signed.
type ballot struct {
	voter *wallet.VoterKey
	tx    []byte
	code  string // the tracking code: the transaction hash, hex
}

// Valid choices for the sample manifest's approval contest (1 to 3 of 5).
var approvals = [][]uint64{{1, 0, 1, 0, 0}, {0, 1, 0, 0, 0}, {1, 1, 1, 0, 0}, {0, 0, 0, 1, 1}, {0, 0, 1, 0, 0}}

// ballots builds one ballot (sequence 1) per voter of the sample election,
// on every core: a yes or a no, and one of the approvals.
func (se *sampleElection) ballots(t *testing.T) []*ballot {
	t.Helper()
	voters := make([]*harness.Voter, len(se.voters))
	for i, v := range se.voters {
		voters[i] = &harness.Voter{Key: v}
	}
	built, err := harness.Ballots(se.election, voters, func(i int) [][]uint64 {
		return [][]uint64{{uint64(i % 2), uint64(1 - i%2)}, approvals[i%len(approvals)]}
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*ballot, len(built))
	for i, b := range built {
		out[i] = &ballot{voter: se.voters[i], tx: b.Tx, code: hex.EncodeToString(b.Hash[:])}
	}
	return out
}

// submitAnswer is an answer to POST /api/v1/transactions with its HTTP
// status: a SubmitResponse, or an error body (whose error, code and
// tracking code read into the same fields).
type submitAnswer struct {
	Status int
	api.SubmitResponse
}

// submit posts tx as a raw body to the node at url and waits for its
// commit. An error is a failure to get an answer (the node is down, say).
func submit(ctx context.Context, url string, tx []byte) (*submitAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/v1/transactions?wait=commit", bytes.NewReader(tx))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	a := &submitAnswer{Status: resp.StatusCode}
	if err := json.Unmarshal(body, &a.SubmitResponse); err != nil {
		return nil, fmt.Errorf("%d answer %q: %w", resp.StatusCode, body, err)
	}
	return a, nil
}

// How cast learned that a ballot is committed.
const (
	byAnswer    = "answer"    // 200, committed: true
	byKnown     = "known"     // 409 (in the node's mempool already), then its receipt
	byDuplicate = "duplicate" // 422 duplicate (the same bytes were accepted), then its receipt
)

// cast submits b until the chain has it: to the node at pick(try) for each
// try, again after a failure to get an answer (a killed node), a busy node
// (503) or a wait that ran out (504). A resend of bytes the chain has may
// answer 409 (the node's mempool knows them) or 422 duplicate; cast then
// fetches the receipt. It returns how it learned of the commit, "" if ctx
// ended first (the ballot may or may not be on the chain), or an error for
// any other answer.
func cast(ctx context.Context, pick func(try int) string, b *ballot) (string, error) {
	for try := 0; ctx.Err() == nil; try++ {
		if try > 0 {
			sleep(ctx, time.Duration(100+rand.IntN(200))*time.Millisecond)
		}
		url := pick(try)
		a, err := submit(ctx, url, b.tx)
		if err != nil {
			continue
		}
		if a.TrackingCode != (api.TxHash{}) && a.TrackingCode.String() != b.code {
			return "", fmt.Errorf("%s: tracking code %s, the ballot's hash is %s", url, a.TrackingCode, b.code)
		}
		switch {
		case a.Status == http.StatusOK && a.Committed && a.Code.Code() == election.CodeOK:
			return byAnswer, nil
		case a.Status == http.StatusConflict:
			status, _, err := get(ctx, url+"/api/v1/receipts/"+b.code+"?wait=20s")
			if err == nil && status == http.StatusOK {
				return byKnown, nil
			}
		case a.Status == http.StatusUnprocessableEntity && a.Code.Code() == election.CodeDuplicate:
			status, body, err := get(ctx, url+"/api/v1/receipts/"+b.code)
			if err == nil && status == http.StatusOK {
				return byDuplicate, nil
			}
			if err == nil {
				return "", fmt.Errorf("%s: 422 duplicate, then no receipt: %d %s", url, status, body)
			}
		case a.Status == http.StatusServiceUnavailable, a.Status == http.StatusGatewayTimeout:
		default:
			return "", fmt.Errorf("%s: unexpected answer %d %s (%d): %s", url, a.Status, a.CodeName, a.Code, a.Error)
		}
	}
	return "", nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// checkReceipt fetches b's receipt from node i and verifies it offline: the
// inclusion proof, the header the commit signs, and signatures of more than
// 2/3 of the trusted validators.
func (tn *testnet) checkReceipt(ctx context.Context, i int, b *ballot, trusted *cmttypes.ValidatorSet) error {
	var wire api.Receipt
	if err := getJSON(ctx, tn.urls[i]+"/api/v1/receipts/"+b.code, &wire); err != nil {
		return fmt.Errorf("node %d: %w", i, err)
	}
	r, err := receiptfile.ChainReceipt(&wire)
	if err != nil {
		return fmt.Errorf("node %d: receipt of %s: %w", i, b.code, err)
	}
	if err := chain.VerifyReceipt(r, trusted, tn.chainID); err != nil {
		return fmt.Errorf("node %d: receipt of %s: %w", i, b.code, err)
	}
	if r.Code != election.CodeOK || r.TrackingCode != b.code || !bytes.Equal(r.Tx(), b.tx) {
		return fmt.Errorf("node %d: receipt of %s is for %s, code %s", i, b.code, r.TrackingCode, r.Code)
	}
	return nil
}

// checkReceipts checks the receipt of every ballot on each of the given
// nodes (four requests at a time), failing the test at the first bad one.
func (tn *testnet) checkReceipts(nodes []int, bs []*ballot) {
	tn.t.Helper()
	trusted := tn.trusted()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	errc := make(chan error, len(nodes)*len(bs))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, i := range nodes {
		for _, b := range bs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := tn.checkReceipt(ctx, i, b, trusted); err != nil {
					errc <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		tn.fatalf("%d receipts fail; the first: %v", len(errc)+1, err)
	}
}

func (tn *testnet) voter(ctx context.Context, i int, se *sampleElection, v *wallet.VoterKey) (api.VoterStatus, error) {
	var vs api.VoterStatus
	err := getJSON(ctx, tn.urls[i]+"/api/v1/elections/"+se.id+"/voters/"+v.Public().Key().String(), &vs)
	return vs, err
}

func parseTally(t *testing.T, body []byte) api.Tally {
	t.Helper()
	var tc api.Tally
	if err := json.Unmarshal(body, &tc); err != nil {
		t.Fatalf("tally %s: %v", body, err)
	}
	return tc
}

// copyHome copies a node home to dst, leaving out the files skip names
// (relative paths).
func copyHome(src, dst string, skip func(rel string) bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if skip(rel) {
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
}
