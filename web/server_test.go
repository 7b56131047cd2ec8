package web

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/edwards25519"
	"github.com/cloudflare/circl/group"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"
	"go.yaml.in/yaml/v3"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/cometconf"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/receiptfile"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

// These tests run the API over a real polling node: one validator of a
// fresh chain in a temporary home, CometBFT embedded, on free loopback
// ports, served by httptest. Nothing is mocked: every transaction is
// signed, submitted over HTTP and executed by the election state machine.

const testChainID = "evote-web-test"

// testLog is where the node logs: nowhere, unless EVOTE_TEST_LOG is set.
func testLog() io.Writer {
	if os.Getenv("EVOTE_TEST_LOG") != "" {
		return os.Stderr
	}
	return nil
}

// syncBuffer is the server's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testNode is a running node and the API over it.
type testNode struct {
	top       testing.TB // owns the node's cleanup
	home      string
	url       string
	client    *http.Client
	authority *election.PrivateKey
	chainID   string
	cfg       Config // the server's
	node      atomic.Pointer[chain.Node]
	server    atomic.Pointer[Server]
	logs      syncBuffer

	mu       sync.Mutex
	answered map[string]map[int]bool // route pattern -> HTTP statuses answered
}

// freePorts returns n ports free on 127.0.0.1 at the time of asking.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// startTestNode writes a single-validator home whose genesis names a fresh
// election authority, starts the node, serves the API and waits for the
// first block.
func startTestNode(t testing.TB) *testNode { return startTestNodeWith(t, testChainID, Config{}) }

// startTestNodeWith starts a test node of chain chainID whose server is
// configured by cfg.
func startTestNodeWith(t testing.TB, chainID string, cfg Config) *testNode {
	auth, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	appState, err := json.Marshal(election.Genesis{ChainID: chainID, Authorities: []election.AuthorityPublicKey{auth.AuthorityPublic()}})
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNode{top: t, home: filepath.Join(t.TempDir(), "node"), authority: auth, chainID: chainID, cfg: cfg, answered: map[string]map[int]bool{}}
	ports := freePorts(t, 2)
	err = chain.Init(tn.home, "web-test", chain.InitOptions{
		ChainID: chainID, AppState: appState,
		P2PAddr: fmt.Sprintf("tcp://127.0.0.1:%d", ports[0]), RPCAddr: fmt.Sprintf("tcp://127.0.0.1:%d", ports[1]),
	})
	if err != nil {
		t.Fatal(err)
	}
	tn.start(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tn.server.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close) // before the node stops
	tn.url, tn.client = srv.URL, srv.Client()
	tn.client.Timeout = 90 * time.Second
	for deadline := time.Now().Add(30 * time.Second); ; {
		var st api.Status
		tn.getJSON(t, "/api/v1/status", &st)
		if st.Height >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no first block within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return tn
}

// start opens the home and serves a new Server over the node.
func (tn *testNode) start(t testing.TB) {
	t.Helper()
	conf, err := cometconf.Load(tn.home)
	if err != nil {
		t.Fatal(err)
	}
	n, err := chain.NewNode(conf, chain.Options{NewMachine: chain.ElectionMachines(election.Options{Rand: rand.Reader}), LogOutput: testLog(), LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatal(err)
	}
	tn.top.Cleanup(func() { n.Stop() })
	tn.node.Store(n)
	tn.server.Store(NewWithConfig(n, slog.New(slog.NewTextHandler(&tn.logs, nil)), tn.cfg))
}

// restart stops the node and starts it again from its home; the mempool
// and the verdict cache start empty.
func (tn *testNode) restart(t *testing.T) {
	t.Helper()
	if err := tn.node.Load().Stop(); err != nil {
		t.Fatal(err)
	}
	tn.start(t)
}

func (tn *testNode) store() election.ReadStore { return tn.node.Load().App().Store().Reader() }

// response is an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request. Every error answer is checked: JSON with an error
// message under /api/, and never a stack trace.
func (tn *testNode) do(t testing.TB, method, path, contentType string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, tn.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := tn.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: b}
	tn.record(method, path, r.status)
	if r.status >= 400 {
		checkErrorBody(t, method, path, r)
	}
	return r
}

func checkErrorBody(t testing.TB, method, path string, r response) {
	t.Helper()
	for _, s := range []string{"goroutine", ".go:"} {
		if bytes.Contains(r.body, []byte(s)) {
			t.Errorf("%s %s: %d answer shows %q: %s", method, path, r.status, s, r.body)
		}
	}
	if !strings.HasPrefix(path, "/api/") && method == http.MethodGet {
		return // a missing page: the file server's plain answer
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: %d answer of type %q, want application/json", method, path, r.status, ct)
	}
	var e api.ErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == "" {
		t.Errorf("%s %s: %d answer is not a JSON error (%v): %s", method, path, r.status, err, r.body)
	}
}

// record notes which route answered with which status, for the check
// against the OpenAPI document.
func (tn *testNode) record(method, path string, status int) {
	_, pattern := tn.server.Load().mux.Handler(httptest.NewRequest(method, path, nil))
	tn.mu.Lock()
	defer tn.mu.Unlock()
	if tn.answered[pattern] == nil {
		tn.answered[pattern] = map[int]bool{}
	}
	tn.answered[pattern][status] = true
}

func (tn *testNode) get(t testing.TB, path string) response {
	t.Helper()
	return tn.do(t, http.MethodGet, path, "", nil)
}

// getJSON fetches path, which must answer 200, into v.
func (tn *testNode) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	r := tn.get(t, path)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, r.body)
	}
}

// wantStatus fetches path and checks the status.
func (tn *testNode) wantStatus(t *testing.T, path string, want int) response {
	t.Helper()
	r := tn.get(t, path)
	if r.status != want {
		t.Errorf("GET %s: %d, want %d: %s", path, r.status, want, r.body)
	}
	return r
}

// answer is an answer of POST /api/v1/transactions, read both as a
// SubmitResponse and as an ErrorBody (whose Code says whether the answer
// carries a code at all).
type answer struct {
	api.SubmitResponse
	Err api.ErrorBody
}

func trackingCode(tx []byte) string {
	h := sha256.Sum256(tx)
	return hex.EncodeToString(h[:])
}

// submit posts tx, base64 in JSON or (octet) as the raw body, with ?wait
// if wait is not empty. It may run in any goroutine.
func (tn *testNode) submit(t *testing.T, tx []byte, wait string, octet bool) (int, answer) {
	path := "/api/v1/transactions"
	if wait != "" {
		path += "?wait=" + wait
	}
	var r response
	if octet {
		r = tn.do(t, http.MethodPost, path, "application/octet-stream", tx)
	} else {
		body, err := json.Marshal(api.SubmitRequest{Tx: tx})
		if err != nil {
			t.Error(err)
			return 0, answer{}
		}
		r = tn.do(t, http.MethodPost, path, "application/json", body)
	}
	var a answer
	if err := errors.Join(json.Unmarshal(r.body, &a.SubmitResponse), json.Unmarshal(r.body, &a.Err)); err != nil {
		t.Errorf("POST %s: %d %v: %.200s", path, r.status, err, r.body)
		return r.status, a
	}
	if r.status != http.StatusRequestEntityTooLarge && r.status != http.StatusBadRequest && a.TrackingCode.String() != trackingCode(tx) {
		t.Errorf("POST %s: %d with tracking code %v, want %s", path, r.status, a.TrackingCode, trackingCode(tx))
	}
	return r.status, a
}

// commit submits the transactions at once, each with ?wait=commit, and
// checks that every one is committed and accepted. It returns their
// receipts.
func (tn *testNode) commit(t *testing.T, txs ...[]byte) []*chain.Receipt {
	t.Helper()
	receipts := make([]*chain.Receipt, len(txs))
	var wg sync.WaitGroup
	for i, tx := range txs {
		wg.Go(func() {
			status, a := tn.submit(t, tx, "commit", false)
			switch {
			case status != http.StatusOK || !a.Committed || a.Err.Code == nil || *a.Err.Code != 0 || a.CodeName != "ok":
				t.Errorf("transaction %d: %d committed=%v code %v %s: %s", i, status, a.Committed, a.CodeName, a.TrackingCode, a.Error)
			case a.Receipt == nil:
				t.Errorf("transaction %d: no receipt", i)
			default:
				r := chainReceipt(t, a.Receipt)
				if r.Code != election.CodeOK || !bytes.Equal(r.Tx(), tx) {
					t.Errorf("transaction %d: bad receipt %+v", i, r)
				}
				receipts[i] = r
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return receipts
}

// chainReceipt reads a receipt of the API as chain.Receipt, which
// decodes its CometBFT parts (the client's conversion).
func chainReceipt(t *testing.T, r *api.Receipt) *chain.Receipt {
	t.Helper()
	out, err := receiptfile.ChainReceipt(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// getReceipt GETs path and reads the receipt it answers.
func (tn *testNode) getReceipt(t *testing.T, path string) *chain.Receipt {
	t.Helper()
	var r api.Receipt
	tn.getJSON(t, path, &r)
	return chainReceipt(t, &r)
}

// The elections of the tests.

const contestsYAML = `contests:
  - type: plurality
    min_selections: 1
    title: {en: Q1}
    options: [{en: A}, {en: B}]
  - type: approval
    max_selections: 2
    title: {en: Q2}
    options: [{en: A}, {en: B}, {en: C}]
`

// testTrustee is a trustee of a test election: the harness's, which runs
// package trustee's protocol, and its identity key for the tests' forged
// messages.
type testTrustee struct {
	*harness.Trustee
	key   *election.PrivateKey
	index uint32
}

type testElection struct {
	authority *election.PrivateKey
	yaml      string
	man       *election.Manifest
	id        election.ID
	params    *tally.DKGParams
	trustees  []*testTrustee
	voters    []*wallet.VoterKey // on the roll, weight 1
	jointKey  *tally.PublicKey
	view      harness.Submitter // what the trustees read: the node's API
}

// manifestTemplate is the manifest of the test elections: two contests,
// the trustees, and a deal deadline.
const manifestTemplate = `reference: {{.Reference}}
authority: {{.Authority}}
languages: [en]
title: {en: Web test {{.Reference}}}
revoting: {{.Revoting}}
weights: {{.Weights}}
schedule: {dkg_deals_by: {{.DealsBy}}, dkg_complaint_window: 1h, dkg_response_window: 1h}
trustees:
  threshold: {{.Threshold}}
  members:
{{- range .Trustees}}
    - {name: {{.Name}}, identity: {{.Identity}}, encryption_key: {{.EncryptionKey}}}
{{- end}}
` + contestsYAML

// manifestYAML writes the manifest of the test elections.
func manifestYAML(t *testing.T, ref string, authority election.PublicKey, revoting, weights bool, dealsBy time.Time, threshold int, trustees []*testTrustee) string {
	t.Helper()
	var members []harness.Member
	for _, tr := range trustees {
		m, err := tr.Member()
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	_, y, err := harness.ManifestFromTemplate(manifestTemplate, map[string]any{
		"Reference": ref, "Authority": authority.String(), "Revoting": revoting, "Weights": weights,
		"DealsBy": dealsBy.UTC().Format(time.RFC3339), "Threshold": threshold, "Trustees": members,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(y)
}

func parseManifest(t *testing.T, y string) (*election.Manifest, election.ID) {
	t.Helper()
	m, err := election.ParseManifestYAML([]byte(y))
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	id, err := m.ID()
	if err != nil {
		t.Fatal(err)
	}
	return m, id
}

func newKey(t *testing.T) *election.PrivateKey {
	t.Helper()
	k, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newVoter(t *testing.T) *wallet.VoterKey {
	t.Helper()
	v, err := wallet.GenerateVoterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newTestElection makes the trustees (internal/harness), the voters' keys
// and the manifest of an election on tn; nothing is submitted.
func newTestElection(t *testing.T, tn *testNode, ref string, revoting, weights bool, trustees, threshold, voters int) *testElection {
	t.Helper()
	c, err := api.NewClient(tn.url, tn.client)
	if err != nil {
		t.Fatal(err)
	}
	e := &testElection{authority: tn.authority, view: harness.NewAPI(c)}
	for i := range trustees {
		tr, err := harness.NewTrustee(fmt.Sprintf("T%d", i+1), trustee.Options{}, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := tr.State.Keys()
		if err != nil {
			t.Fatal(err)
		}
		e.trustees = append(e.trustees, &testTrustee{Trustee: tr, key: keys.Identity, index: uint32(i + 1)})
	}
	for range voters {
		e.voters = append(e.voters, newVoter(t))
	}
	dealsBy := time.Now().Add(time.Hour).Truncate(time.Second)
	e.yaml = manifestYAML(t, ref, tn.authority.Public(), revoting, weights, dealsBy, threshold, e.trustees)
	e.man, e.id = parseManifest(t, e.yaml)
	if e.params, err = e.man.DKGParams(e.id); err != nil {
		t.Fatal(err)
	}
	return e
}

// must(t)(tx, err) is tx, or the test fails.
func must(t *testing.T) func([]byte, error) []byte {
	return func(tx []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
}

func (e *testElection) createTx(t *testing.T) []byte {
	return must(t)(election.NewCreateElectionTx(testChainID, e.man, e.authority))
}

func (e *testElection) openTx(t *testing.T) []byte {
	return must(t)(election.NewOpenTx(testChainID, e.id, e.authority))
}

func (e *testElection) closeTx(t *testing.T) []byte {
	return must(t)(election.NewCloseTx(testChainID, e.id, e.authority))
}

// rollTx appends the voters with the given weight.
func (e *testElection) rollTx(t *testing.T, weight uint32, voters ...*wallet.VoterKey) []byte {
	var roll []election.RollEntry
	for _, v := range voters {
		roll = append(roll, election.RollEntry{Voter: v.Public(), Weight: weight})
	}
	return must(t)(election.NewAppendVotersTx(testChainID, e.id, roll, e.authority))
}

// step has trustee i look at the chain once (package trustee's Step and
// Advance) and returns the one transaction it submits, held for the test
// to submit.
func (e *testElection) step(t *testing.T, i int) []byte {
	t.Helper()
	q := &harness.Queue{Read: e.view}
	if _, err := e.trustees[i].Step(t.Context(), q, e.id); err != nil {
		t.Fatal(err)
	}
	txs := q.Take()
	if len(txs) != 1 {
		t.Fatalf("trustee %d submitted %d transactions, want 1", i+1, len(txs))
	}
	return txs[0]
}

// dealTx is trustee i's deal.
func (e *testElection) dealTx(t *testing.T, i int) []byte {
	t.Helper()
	tx := e.step(t, i)
	if d, err := election.DecodeTx(tx); err != nil || d.Kind != election.KindDKGDeal {
		t.Fatalf("trustee %d did not deal: %v", i+1, err)
	}
	return tx
}

// deal is the bytes of trustee i's deal, as its state keeps it.
func (e *testElection) deal(t *testing.T, i int) []byte {
	t.Helper()
	es := e.trustees[i].State.Elections[e.id.String()]
	if es == nil || es.Deal == "" {
		t.Fatalf("trustee %d has not dealt", i+1)
	}
	b, err := hex.DecodeString(es.Deal)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// otherDealTx is a deal as dealer signed by key, not kept.
func (e *testElection) otherDealTx(t *testing.T, params *tally.DKGParams, dealer uint32, key *election.PrivateKey) []byte {
	deal, _, err := tally.NewDKGDeal(params, dealer, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return must(t)(election.NewDKGDealTx(testChainID, e.id, deal, key))
}

// complaintsTx is trustee i's check of the deals: no complaints, since
// every deal is honest.
func (e *testElection) complaintsTx(t *testing.T, i int) []byte {
	t.Helper()
	tx := e.step(t, i)
	d, err := election.DecodeTx(tx)
	if err != nil || d.Kind != election.KindDKGComplaints {
		t.Fatalf("trustee %d did not check the deals: %v", i+1, err)
	}
	b, err := election.DecodeBody(d.Kind, d.Body)
	if err != nil {
		t.Fatal(err)
	}
	if cs := b.(*election.DKGComplaintsBody).Complaints; len(cs) != 0 {
		t.Fatalf("trustee %d complains about honest deals: %v", i+1, cs)
	}
	return tx
}

// fetchJointKey reads the joint key from the election's detail.
func (e *testElection) fetchJointKey(t *testing.T, tn *testNode) {
	t.Helper()
	var d api.ElectionDetail
	tn.getJSON(t, "/api/v1/elections/"+e.id.String(), &d)
	if d.JointKey == nil {
		t.Fatal("no joint key")
	}
	e.jointKey = d.JointKey
}

// ballot builds the voter's ballot as the wallet does, under key (the
// joint key if nil).
func (e *testElection) ballot(t *testing.T, v *wallet.VoterKey, seq uint64, choices [][]uint64, key *tally.PublicKey) []byte {
	t.Helper()
	if key == nil {
		key = e.jointKey
	}
	b, err := wallet.BuildBallot(&wallet.Election{ChainID: testChainID, ID: e.id, Manifest: e.man, JointKey: key}, v, seq, choices, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return b.Tx
}

func ballotBody(t *testing.T, tx []byte) *election.BallotBody {
	t.Helper()
	env, err := election.DecodeTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	body, err := election.DecodeBody(env.Kind, env.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body.(*election.BallotBody)
}

// aggregates reads the running tally over HTTP, as a trustee's tool would,
// and checks it against the node's state.
func (e *testElection) aggregates(t *testing.T, tn *testNode) []*tally.Ciphertext {
	t.Helper()
	var info api.Tally
	tn.getJSON(t, "/api/v1/elections/"+e.id.String()+"/tally", &info)
	out := info.Aggregates()
	inState, err := election.Aggregates(tn.store(), e.id)
	if err != nil {
		t.Fatal(err)
	}
	if len(inState) != len(out) || len(out) != e.man.TotalOptions() {
		t.Fatalf("%d aggregates over HTTP, %d in the state, %d options", len(out), len(inState), e.man.TotalOptions())
	}
	for i := range out {
		if !out[i].Equal(inState[i]) {
			t.Fatalf("aggregate %d differs from the state", i)
		}
	}
	return out
}

// secretShare is trustee i's decryption key, as the trustee derived it
// from the ceremony (in a step once the joint key is fixed).
func (e *testElection) secretShare(t *testing.T, i int) *tally.PrivateKey {
	t.Helper()
	tr := e.trustees[i]
	if es := tr.State.Elections[e.id.String()]; es == nil || es.Share == "" {
		if _, err := tr.Step(t.Context(), &harness.Queue{Read: e.view}, e.id); err != nil {
			t.Fatal(err)
		}
	}
	es := tr.State.Elections[e.id.String()]
	if es == nil || es.Share == "" {
		t.Fatalf("trustee %d has no share", i+1)
	}
	b, err := hex.DecodeString(es.Share)
	if err != nil {
		t.Fatal(err)
	}
	x := new(tally.PrivateKey)
	if err := x.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return x
}

// sharesTx is a decryption share set in trustee index's name made with x
// (nil: the trustee's own key share), signed by signer, less its last drop
// shares.
func (e *testElection) sharesTx(t *testing.T, tn *testNode, index uint32, x *tally.PrivateKey, signer *election.PrivateKey, drop int) []byte {
	t.Helper()
	if x == nil {
		x = e.secretShare(t, int(index-1))
	}
	shares, err := tally.PartialDecryptAll(x, index, e.aggregates(t, tn), e.id[:], rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return must(t)(election.NewDecryptionSharesTx(testChainID, e.id, shares[:len(shares)-drop], signer))
}

// signed signs an arbitrary body of the given kind.
func signed(kind election.Kind, body []byte, key *election.PrivateKey) []byte {
	tx := &election.Tx{Kind: kind, Signer: key.Public(), Body: body}
	copy(tx.Signature[:], key.Sign(election.SigningMessage(testChainID, kind, body)))
	b, _ := tx.MarshalBinary()
	return b
}

// resign replaces a transaction's signature with another valid Ed25519
// signature of the same message, made with a random nonce instead of the
// deterministic one: the same transaction in other bytes (as the lifecycle
// tests do).
func resign(t *testing.T, raw []byte, key *election.PrivateKey) []byte {
	t.Helper()
	tx, err := election.DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	msg := election.SigningMessage(testChainID, tx.Kind, tx.Body)
	h := sha512.Sum512(key.Seed())
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	var rb [64]byte
	rand.Read(rb[:])
	r, _ := new(edwards25519.Scalar).SetUniformBytes(rb[:])
	R := new(edwards25519.Point).ScalarBaseMult(r)
	pub := key.Public()
	kh := sha512.New()
	kh.Write(R.Bytes())
	kh.Write(pub[:])
	kh.Write(msg)
	k, _ := new(edwards25519.Scalar).SetUniformBytes(kh.Sum(nil))
	S := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
	copy(tx.Signature[:32], R.Bytes())
	copy(tx.Signature[32:], S.Bytes())
	if !tx.Verify(testChainID) || bytes.Equal(tx.Signature[:], raw[len(raw)-64:]) {
		t.Fatal("resign: no new valid signature")
	}
	out, _ := tx.MarshalBinary()
	return out
}

// phase reads an election's phase over HTTP.
func phase(t *testing.T, tn *testNode, e *testElection) string {
	t.Helper()
	var d api.ElectionDetail
	tn.getJSON(t, "/api/v1/elections/"+e.id.String(), &d)
	return d.Phase.String()
}

func wantPhase(t *testing.T, tn *testNode, e *testElection, want string) {
	t.Helper()
	if got := phase(t, tn, e); got != want {
		t.Fatalf("election %v is %s, want %s", e.id, got, want)
	}
}

// TestAPI runs the whole API over one node: the static endpoints and
// request errors, every result code a client can get, an election's
// queries from creation to result, and a receipt checked offline.
func TestAPI(t *testing.T) {
	start := time.Now()
	tn := startTestNode(t)
	// e1 is taken through a whole election without revoting, with weights;
	// e2 allows revoting.
	e1 := newTestElection(t, tn, "e1", false, true, 2, 2, 6)
	e2 := newTestElection(t, tn, "e2", true, false, 1, 1, 1)

	t.Run("Status", func(t *testing.T) { testStatus(t, tn) })
	t.Run("Page", func(t *testing.T) { testPage(t, tn) })
	t.Run("RequestErrors", func(t *testing.T) { testRequestErrors(t, tn) })
	if !t.Run("ResultCodes", func(t *testing.T) { testResultCodes(t, tn, e1, e2) }) {
		return
	}
	t.Run("Queries", func(t *testing.T) { testQueries(t, tn, e1, e2) })
	t.Run("Receipt", func(t *testing.T) { testReceipt(t, tn, e1, e2) })
	t.Run("NoReceipt", func(t *testing.T) { testNoReceipt(t, tn, e2) })
	t.Run("OpenAPI", func(t *testing.T) { testOpenAPI(t, tn) })
	if logs := tn.logs.String(); strings.Contains(logs, "panic") || strings.Contains(logs, "request failed") {
		t.Errorf("the server logged internal errors:\n%s", logs)
	}
	t.Logf("TestAPI took %v", time.Since(start).Round(time.Millisecond))
}

// testNoReceipt: ?receipt=false answers a commit with its height and code
// but without the proof, which GET /receipts gives later.
func testNoReceipt(t *testing.T, tn *testNode, e2 *testElection) {
	tx := e2.ballot(t, e2.voters[0], 1000, [][]uint64{{1, 0}, {0, 0, 1}}, nil)
	status, a := tn.submit(t, tx, "commit&receipt=false", false)
	if status != http.StatusOK || !a.Committed || a.Height < 1 || a.Err.Code == nil || *a.Err.Code != 0 || a.CodeName != "ok" {
		t.Fatalf("answer %d %+v", status, a)
	}
	if a.Receipt != nil {
		t.Fatal("a receipt although ?receipt=false")
	}
	r := tn.getReceipt(t, "/api/v1/receipts/"+trackingCode(tx))
	if r.Height != a.Height || r.Code != election.CodeOK || !bytes.Equal(r.Tx(), tx) {
		t.Fatalf("receipt at %d (%v), the answer said %d", r.Height, r.Code, a.Height)
	}
	// A refusal is answered as without ?receipt=false.
	stale := e2.ballot(t, e2.voters[0], 999, [][]uint64{{1, 0}, {0, 0, 1}}, nil)
	if status, a := tn.submit(t, stale, "commit&receipt=false", false); status != http.StatusUnprocessableEntity || a.CodeName != "stale-sequence" || a.Receipt != nil {
		t.Fatalf("stale ballot: %d %+v", status, a)
	}
}

func testStatus(t *testing.T, tn *testNode) {
	var st api.Status
	tn.getJSON(t, "/api/v1/status", &st)
	if st.ChainID != testChainID || st.Height < 1 || st.BlockTime.IsZero() {
		t.Errorf("status: %+v", st)
	}
	if b, err := hex.DecodeString(st.AppHash); err != nil || len(b) != 32 {
		t.Errorf("app hash %q is not 32 bytes of hex", st.AppHash)
	}
	gen := tn.node.Load().CometBFT().GenesisDoc()
	if len(st.Validators) != len(gen.Validators) || len(st.Validators) != 1 {
		t.Fatalf("%d validators, genesis has %d", len(st.Validators), len(gen.Validators))
	}
	v, g := st.Validators[0], gen.Validators[0]
	if !bytes.Equal(v.PubKey, g.PubKey.Bytes()) || v.Address != g.Address.String() || v.Power != g.Power {
		t.Errorf("validator %+v, genesis %v %X %d", v, g.PubKey, g.Address, g.Power)
	}
	// The answer is the node's own view.
	ns, err := tn.node.Load().Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if ns.Height < st.Height {
		t.Errorf("node at height %d, API said %d", ns.Height, st.Height)
	}
}

func testPage(t *testing.T, tn *testNode) {
	r := tn.wantStatus(t, "/", http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /: Content-Type %q", ct)
	}
	for _, s := range []string{"<title>evote polling node</title>", `src="/status.js"`} {
		if !bytes.Contains(r.body, []byte(s)) {
			t.Errorf("GET /: the page lacks %q", s)
		}
	}
	// Its script reads the chain and the elections from the API.
	js := tn.wantStatus(t, "/status.js", http.StatusOK)
	for _, s := range []string{"/api/v1/status", "/api/v1/elections"} {
		if !bytes.Contains(js.body, []byte(s)) {
			t.Errorf("GET /status.js: the script lacks %q", s)
		}
	}
	if r := tn.do(t, http.MethodHead, "/", "", nil); r.status != http.StatusOK {
		t.Errorf("HEAD /: %d", r.status)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		r := tn.do(t, m, "/", "text/plain", []byte("x"))
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d, Allow %q", m, r.status, r.header.Get("Allow"))
		}
	}
	tn.wantStatus(t, "/no-such-page.html", http.StatusNotFound)
}

func testRequestErrors(t *testing.T, tn *testNode) {
	const tx = "/api/v1/transactions"
	malformed := []byte{0} // a transaction that gets as far as the state machine
	for _, c := range []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		want        int
	}{
		{"unknown API path", "GET", "/api/v1/nothing", "", nil, 404},
		{"unknown API version", "GET", "/api/v2/status", "", nil, 404},
		{"POST to a GET endpoint", "POST", "/api/v1/status", "application/json", []byte("{}"), 405},
		{"GET of the submit endpoint", "GET", tx, "", nil, 405},
		{"DELETE of an election", "DELETE", "/api/v1/elections/" + strings.Repeat("ab", 32), "", nil, 405},
		{"no Content-Type", "POST", tx, "", malformed, 400},
		{"bad Content-Type", "POST", tx, "text/plain", malformed, 400},
		{"Content-Type that only starts like JSON", "POST", tx, "application/jsonx", []byte(`{"tx":"AA=="}`), 400},
		{"JSON Content-Type in capitals", "POST", tx, "Application/JSON; charset=UTF-8", []byte(`{"tx":"AA=="}`), 422},
		{"octet-stream", "POST", tx, "application/octet-stream", malformed, 422},
		{"non-base64 tx", "POST", tx, "application/json", []byte(`{"tx":"not base64!"}`), 400},
		{"URL-safe base64", "POST", tx, "application/json", []byte(`{"tx":"_-8="}`), 400},
		{"unknown JSON field", "POST", tx, "application/json", []byte(`{"tx":"AA==","wait":true}`), 400},
		{"JSON after the object", "POST", tx, "application/json", []byte(`{"tx":"AA=="} {"tx":"AA=="}`), 400},
		{"JSON and a newline", "POST", tx, "application/json", []byte("{\"tx\":\"AA==\"}\n"), 422},
		{"not JSON", "POST", tx, "application/json", []byte(`tx=AA==`), 400},
		{"JSON array", "POST", tx, "application/json", []byte(`["AA=="]`), 400},
		{"empty JSON body", "POST", tx, "application/json", nil, 400},
		{"empty tx", "POST", tx, "application/json", []byte(`{"tx":""}`), 400},
		{"null", "POST", tx, "application/json", []byte(`null`), 400},
		{"empty raw body", "POST", tx, "application/octet-stream", nil, 400},
		{"raw body over the limit", "POST", tx, "application/octet-stream", make([]byte, maxBody+1), 413},
		{"JSON body over the limit", "POST", tx, "application/json",
			[]byte(`{"tx":"` + strings.Repeat("A", maxBody) + `"}`), 413},
		{"bad wait", "POST", tx + "?wait=forever", "application/octet-stream", malformed, 400},
		{"negative wait", "POST", tx + "?wait=-1s", "application/octet-stream", malformed, 400},
		{"tracking code not hex", "GET", "/api/v1/receipts/" + strings.Repeat("zz", 32), "", nil, 400},
		{"tracking code too short", "GET", "/api/v1/receipts/" + strings.Repeat("ab", 31), "", nil, 400},
		{"tracking code too long", "GET", "/api/v1/receipts/" + strings.Repeat("ab", 33), "", nil, 400},
		{"unknown receipt", "GET", "/api/v1/receipts/" + strings.Repeat("ab", 32), "", nil, 404},
		{"receipt with a bad wait", "GET", "/api/v1/receipts/" + strings.Repeat("ab", 32) + "?wait=soon", "", nil, 400},
		{"election id not hex", "GET", "/api/v1/elections/xyz", "", nil, 400},
		{"election id in capitals", "GET", "/api/v1/elections/" + strings.Repeat("AB", 32), "", nil, 400},
		{"unknown election", "GET", "/api/v1/elections/" + strings.Repeat("ab", 32), "", nil, 404},
		{"tally of a bad id", "GET", "/api/v1/elections/xyz/tally", "", nil, 400},
		{"tally of an unknown election", "GET", "/api/v1/elections/" + strings.Repeat("ab", 32) + "/tally", "", nil, 404},
		{"result of a bad id", "GET", "/api/v1/elections/xyz/result", "", nil, 400},
		{"result of an unknown election", "GET", "/api/v1/elections/" + strings.Repeat("ab", 32) + "/result", "", nil, 404},
		{"roll of a bad id", "GET", "/api/v1/elections/xyz/roll", "", nil, 400},
		{"roll of an unknown election", "GET", "/api/v1/elections/" + strings.Repeat("ab", 32) + "/roll", "", nil, 404},
		{"voter of an unknown election", "GET", "/api/v1/elections/" + strings.Repeat("ab", 32) + "/voters/ed25519:" + strings.Repeat("ab", 32), "", nil, 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := tn.do(t, c.method, c.path, c.contentType, c.body)
			if r.status != c.want {
				t.Errorf("%s %s: %d, want %d: %.300s", c.method, c.path, r.status, c.want, r.body)
			}
			if c.want == 405 && r.header.Get("Allow") == "" {
				t.Errorf("%s %s: 405 without Allow", c.method, c.path)
			}
		})
	}

	t.Run("wait for an unknown receipt", func(t *testing.T) {
		start := time.Now()
		// After the wait, what the node knows: neither committed nor in
		// its mempool.
		r := tn.wantStatus(t, "/api/v1/receipts/"+strings.Repeat("cd", 32)+"?wait=1s", http.StatusNotFound)
		var e api.ErrorBody
		if err := json.Unmarshal(r.body, &e); err != nil || e.State != api.ReceiptUnknown || e.TrackingCode == nil {
			t.Errorf("the answer: %s (%v)", r.body, err)
		}
		if d := time.Since(start); d < time.Second || d > 10*time.Second {
			t.Errorf("answered after %v, want about 1s: %s", d, r.body)
		}
	})
}

// rejection is a transaction the node must refuse with a result code.
type rejection struct {
	name string
	want election.Code
	// status is the HTTP answer: 422 (refused at admission) unless set.
	// 409 means the node already has these bytes: no code.
	status int
	octet  bool // sent as the raw body rather than base64 in JSON
	tx     func(t *testing.T) []byte
}

// stage brings the chain to a state (setup), then submits its rejections.
type stage struct {
	name  string
	setup func(t *testing.T)
	cases []rejection
}

// testResultCodes produces every result code a client can get, each from a
// real transaction over HTTP, checked by number and name. The stages take
// two elections from creation to the result; the chain state is checked
// through the queries as it goes.
//
// Not reachable over HTTP: "internal" (31) and the node's own codes 10001
// (empty transaction: the API refuses an empty body with 400 first), 10002
// (not ready: the node serves after InitChain) and 10003 (node error): all
// need a failing store or a node before its genesis. Every other code is
// refused at admission (422): the mempool's Check runs the same rules as
// the block against committed state. A transaction can still fail in its
// block when another one in the same block changes the state first;
// "InBlock" shows that path (200 for one, 422 with its receipt for the
// other).
func testResultCodes(t *testing.T, tn *testNode, e1, e2 *testElection) {
	seen := map[election.Code]bool{}
	mallory := newKey(t) // neither an authority nor a trustee
	outsider := newVoter(t)
	v1, v2, v3 := e1.voters[0], e1.voters[1], e1.voters[2]
	choices1 := [][]uint64{{1, 0}, {1, 1, 0}}
	choices2 := [][]uint64{{0, 1}, {0, 0, 1}}

	// Bytes submitted once to be refused and later to be accepted as they
	// are: a refusal for the state of the moment leaves no trace (neither
	// in the mempool's cache nor in the node's verdict cache) that keeps the
	// same bytes out later.
	create1 := e1.createTx(t)
	roll1 := e1.rollTx(t, 1, e1.voters...)
	open1, close1 := e1.openTx(t), e1.closeTx(t)
	early := must(t)(election.NewDKGComplaintsTx(testChainID, e1.id, nil, e1.trustees[0].key))
	var ballot1, ballot2 []byte // v1's and v2's ballots in e1

	prefix := create1[:len(election.TagTx)+1] // the envelope's tag
	withKind := func(kind byte, rest int) []byte {
		b := append(bytes.Clone(prefix), kind)
		return append(b, make([]byte, rest)...)
	}
	pastYAML := manifestYAML(t, "past", tn.authority.Public(), false, false, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), 1, e2.trustees)
	past, _ := parseManifest(t, pastYAML)
	otherAuthority := strings.Replace(e2.yaml, tn.authority.Public().String(), mallory.Public().String(), 1)
	otherMan, _ := parseManifest(t, otherAuthority)

	stages := []stage{{
		name: "no election yet",
		cases: []rejection{
			{name: "one zero byte", want: election.CodeMalformed, tx: func(*testing.T) []byte { return []byte{0} }},
			{name: "truncated", want: election.CodeMalformed, tx: func(*testing.T) []byte { return create1[:len(create1)-1] }},
			{name: "trailing byte", want: election.CodeMalformed, octet: true, tx: func(*testing.T) []byte { return append(bytes.Clone(create1), 0) }},
			{name: "over 1 MiB", want: election.CodeOversized, octet: true, tx: func(*testing.T) []byte { return make([]byte, election.MaxTxSize+1) }},
			{name: "over 1 MiB in JSON", want: election.CodeOversized, tx: func(*testing.T) []byte { return make([]byte, election.MaxTxSize+1) }},
			{name: "open over its kind's size", want: election.CodeOversized, tx: func(*testing.T) []byte { return withKind(byte(election.KindOpen), 600) }},
			{name: "kind 99", want: election.CodeUnknownKind, tx: func(*testing.T) []byte { return withKind(99, 200) }},
			{name: "kind 0", want: election.CodeUnknownKind, tx: func(*testing.T) []byte { return withKind(0, 200) }},
			{name: "signature flipped", want: election.CodeBadSignature, tx: func(*testing.T) []byte {
				b := bytes.Clone(create1)
				b[len(b)-1] ^= 1
				return b
			}},
			{name: "signed for another chain", want: election.CodeBadSignature, tx: func(t *testing.T) []byte {
				return must(t)(election.NewCreateElectionTx("another-chain", e1.man, tn.authority))
			}},
			{name: "roll of an election not created yet", want: election.CodeUnknownElection, tx: func(*testing.T) []byte { return roll1 }},
			{name: "created by a non-authority", want: election.CodeUnauthorized, tx: func(t *testing.T) []byte {
				return must(t)(election.NewCreateElectionTx(testChainID, e1.man, mallory))
			}},
			{name: "manifest naming another authority", want: election.CodeUnauthorized, tx: func(t *testing.T) []byte {
				return must(t)(election.NewCreateElectionTx(testChainID, otherMan, tn.authority))
			}},
			{name: "deal deadline in the past", want: election.CodeInvalidManifest, tx: func(t *testing.T) []byte {
				return must(t)(election.NewCreateElectionTx(testChainID, past, tn.authority))
			}},
			{name: "manifest with a bad language code", want: election.CodeInvalidManifest, tx: func(t *testing.T) []byte {
				env, err := election.DecodeTx(create1)
				if err != nil {
					t.Fatal(err)
				}
				lang := []byte("\x00\x00\x00\x02en")
				i := bytes.Index(env.Body, lang)
				if i < 0 {
					t.Fatal("no language in the manifest's encoding")
				}
				body := bytes.Clone(env.Body)
				body[i+len(lang)-1] = '!' // "e!"
				return signed(election.KindCreateElection, body, tn.authority)
			}},
		},
	}, {
		name: "e1 in its deal round",
		setup: func(t *testing.T) {
			tn.commit(t, create1, e2.createTx(t))
			tn.commit(t, roll1, e2.rollTx(t, 1, e2.voters...), e1.dealTx(t, 0), e2.dealTx(t, 0))
			wantPhase(t, tn, e1, "dkg-deals")
			wantPhase(t, tn, e2, "dkg-complaints") // its only trustee has dealt
		},
		cases: []rejection{
			{name: "the same creation again", status: 409, tx: func(*testing.T) []byte { return create1 }},
			{name: "the same manifest in other bytes", want: election.CodeElectionExists, tx: func(t *testing.T) []byte { return resign(t, create1, tn.authority) }},
			{name: "opened by a non-authority", want: election.CodeUnauthorized, tx: func(t *testing.T) []byte {
				return must(t)(election.NewOpenTx(testChainID, e1.id, mallory))
			}},
			{name: "a trustee deals in another's name", want: election.CodeUnauthorized, tx: func(t *testing.T) []byte {
				return e1.otherDealTx(t, e1.params, 2, e1.trustees[0].key)
			}},
			{name: "a deal from a non-trustee", want: election.CodeNotTrustee, tx: func(t *testing.T) []byte {
				return e1.otherDealTx(t, e1.params, 1, mallory)
			}},
			{name: "a deal whose proofs are for another election", want: election.CodeBadDeal, tx: func(t *testing.T) []byte {
				other := *e1.params
				other.Context = []byte("another election")
				return e1.otherDealTx(t, &other, 2, e1.trustees[1].key)
			}},
			{name: "a second deal", want: election.CodeDKGDuplicate, tx: func(t *testing.T) []byte {
				return e1.otherDealTx(t, e1.params, 1, e1.trustees[0].key)
			}},
			{name: "a complaint about trustee 9 of 2", want: election.CodeBadComplaint, tx: func(t *testing.T) []byte {
				return must(t)(election.NewDKGComplaintsTx(testChainID, e1.id, []*tally.DKGComplaint{{Complainer: 1, Dealer: 9}}, e1.trustees[0].key))
			}},
			{name: "a response to trustee 9 of 2", want: election.CodeBadResponse, tx: func(t *testing.T) []byte {
				r := &tally.DKGResponse{Dealer: 1, Complainer: 9, Share: group.Ristretto255.NewScalar().SetUint64(1)}
				return must(t)(election.NewDKGResponsesTx(testChainID, e1.id, []*tally.DKGResponse{r}, e1.trustees[0].key))
			}},
			{name: "complaints in the deal round", want: election.CodeWrongPhase, tx: func(*testing.T) []byte { return early }},
			{name: "close during the key ceremony", want: election.CodeWrongPhase, tx: func(*testing.T) []byte { return close1 }},
			{name: "open during the key ceremony", want: election.CodeKeyNotFixed, tx: func(*testing.T) []byte { return open1 }},
			{name: "a ballot before the joint key", want: election.CodeNotOpen, tx: func(t *testing.T) []byte {
				k, err := tally.GenerateKey(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				return e1.ballot(t, v1, 1, choices1, k.Public())
			}},
			{name: "a voter of weight 0", want: election.CodeInvalidWeight, tx: func(t *testing.T) []byte { return e1.rollTx(t, 0, newVoter(t)) }},
			{name: "a voter of weight 2 without weights", want: election.CodeInvalidWeight, tx: func(t *testing.T) []byte { return e2.rollTx(t, 2, newVoter(t)) }},
			{name: "a voter key of small order", want: election.CodeInvalidKey, tx: func(t *testing.T) []byte {
				var k election.PublicKey
				copy(k[:], election.SmallOrderKeys()[3])
				return must(t)(election.NewAppendVotersTx(testChainID, e1.id, []election.RollEntry{{Voter: election.VoterPublicKey(k), Weight: 1}}, tn.authority))
			}},
			{name: "a voter already on the roll", want: election.CodeDuplicateVoter, tx: func(t *testing.T) []byte { return e1.rollTx(t, 1, newVoter(t), v1) }},
			{name: "a roll heavier than the tally can count", want: election.CodeRollLimit, tx: func(t *testing.T) []byte {
				// 17 × (2^32 - 1) > 2^36 with one selection per option.
				var heavy []*wallet.VoterKey
				for range 17 {
					heavy = append(heavy, newVoter(t))
				}
				return e1.rollTx(t, 1<<32-1, heavy...)
			}},
		},
	}, {
		name: "e1 ready, not open",
		setup: func(t *testing.T) {
			tn.commit(t, e1.dealTx(t, 1), e2.complaintsTx(t, 0))
			if c := e1.complaintsTx(t, 0); !bytes.Equal(c, early) {
				t.Fatal("trustee 1's complaints are not the bytes refused in the deal round")
			}
			tn.commit(t, early, e1.complaintsTx(t, 1), e2.openTx(t))
			wantPhase(t, tn, e1, "ready")
			wantPhase(t, tn, e2, "open")
			e1.fetchJointKey(t, tn)
			e2.fetchJointKey(t, tn)
			tn.wantStatus(t, "/api/v1/elections/"+e1.id.String()+"/result", http.StatusNotFound)
		},
		cases: []rejection{
			{name: "a ballot before the opening", want: election.CodeNotOpen, tx: func(t *testing.T) []byte { return e1.ballot(t, v1, 1, choices1, nil) }},
		},
	}, {
		name: "open",
		setup: func(t *testing.T) {
			tn.commit(t, open1, e2.ballot(t, e2.voters[0], 2, choices1, nil))
			wantPhase(t, tn, e1, "open")
			ballot1, ballot2 = e1.ballot(t, v1, 1, choices1, nil), e1.ballot(t, v2, 1, choices2, nil)
			tn.commit(t, ballot1, ballot2)
		},
		cases: []rejection{
			{name: "the same ballot again", status: 409, tx: func(*testing.T) []byte { return ballot1 }},
			{name: "a voter not on the roll", want: election.CodeNotOnRoll, tx: func(t *testing.T) []byte { return e1.ballot(t, outsider, 1, choices1, nil) }},
			{name: "another voter's contests", want: election.CodeBadProof, tx: func(t *testing.T) []byte {
				// v3 signs v2's committed contests: their proofs name v2.
				b := ballotBody(t, ballot2)
				return must(t)(election.NewBallotTx(testChainID, e1.id, 1, b.Contests, v3.SigningKey()))
			}},
			{name: "a contest short", want: election.CodeBallotMismatch, tx: func(t *testing.T) []byte {
				b := ballotBody(t, e1.ballot(t, v3, 1, choices1, nil))
				return must(t)(election.NewBallotTx(testChainID, e1.id, 1, b.Contests[:1], v3.SigningKey()))
			}},
			{name: "a second ballot without revoting", want: election.CodeAlreadyVoted, tx: func(t *testing.T) []byte { return e1.ballot(t, v1, 2, choices2, nil) }},
			{name: "a revote with a lower sequence number", want: election.CodeStaleSequence, tx: func(t *testing.T) []byte {
				return e2.ballot(t, e2.voters[0], 1, choices2, nil)
			}},
			{name: "a revote with the same sequence number", want: election.CodeStaleSequence, tx: func(t *testing.T) []byte {
				return e2.ballot(t, e2.voters[0], 2, choices2, nil)
			}},
			{name: "a deal after the ceremony", want: election.CodeWrongPhase, tx: func(t *testing.T) []byte {
				return e1.otherDealTx(t, e1.params, 2, e1.trustees[1].key)
			}},
			{name: "open again", want: election.CodeWrongPhase, tx: func(t *testing.T) []byte { return resign(t, open1, tn.authority) }},
			{name: "decryption shares before the close", want: election.CodeNotClosed, tx: func(t *testing.T) []byte {
				return e1.sharesTx(t, tn, 1, nil, e1.trustees[0].key, 0)
			}},
			{name: "a validator added while an election is open", want: election.CodeElectionRunning, tx: func(t *testing.T) []byte {
				return must(t)(election.NewValidatorUpdateTx(testChainID, newKey(t).Public(), 1, tn.authority))
			}},
			{name: "the retirement of a key that is not a validator", want: election.CodeBadValidatorUpdate, tx: func(t *testing.T) []byte {
				return must(t)(election.NewValidatorUpdateTx(testChainID, newKey(t).Public(), 0, tn.authority))
			}},
		},
	}, {
		name:  "InBlock",
		setup: func(t *testing.T) { seen[testInBlock(t, tn, e1, e2)] = true },
	}, {
		name: "closed",
		setup: func(t *testing.T) {
			tn.commit(t, close1)
			wantPhase(t, tn, e1, "closed")
			tn.wantStatus(t, "/api/v1/elections/"+e1.id.String()+"/result", http.StatusNotFound)
		},
		cases: []rejection{
			{name: "a ballot after the close", want: election.CodeClosed, tx: func(t *testing.T) []byte { return e1.ballot(t, v3, 1, choices1, nil) }},
			{name: "a voter after the close", want: election.CodeClosed, tx: func(t *testing.T) []byte { return e1.rollTx(t, 1, newVoter(t)) }},
			{name: "shares under another key", want: election.CodeBadDecryptionShare, tx: func(t *testing.T) []byte {
				k, err := tally.GenerateKey(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				return e1.sharesTx(t, tn, 1, k, e1.trustees[0].key, 0)
			}},
			{name: "a share short", want: election.CodeWrongShareCount, tx: func(t *testing.T) []byte {
				return e1.sharesTx(t, tn, 1, nil, e1.trustees[0].key, 1)
			}},
			{name: "shares from a non-trustee", want: election.CodeNotTrustee, tx: func(t *testing.T) []byte {
				k, err := tally.GenerateKey(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				return e1.sharesTx(t, tn, 1, k, mallory, 0)
			}},
			{name: "shares in another trustee's name", want: election.CodeUnauthorized, tx: func(t *testing.T) []byte {
				return e1.sharesTx(t, tn, 1, nil, e1.trustees[1].key, 0)
			}},
		},
	}, {
		name: "one share set in",
		setup: func(t *testing.T) {
			tn.commit(t, e1.sharesTx(t, tn, 1, nil, e1.trustees[0].key, 0))
			wantPhase(t, tn, e1, "closed") // the threshold is 2
			tn.wantStatus(t, "/api/v1/elections/"+e1.id.String()+"/result", http.StatusNotFound)
		},
		cases: []rejection{
			{name: "a second share set", want: election.CodeDKGDuplicate, tx: func(t *testing.T) []byte {
				return e1.sharesTx(t, tn, 1, nil, e1.trustees[0].key, 0)
			}},
		},
	}, {
		name: "tallied",
		setup: func(t *testing.T) {
			tn.commit(t, e1.sharesTx(t, tn, 2, nil, e1.trustees[1].key, 0))
			wantPhase(t, tn, e1, "tallied")
		},
		cases: []rejection{
			{name: "shares after the result", want: election.CodeWrongPhase, tx: func(t *testing.T) []byte {
				return e1.sharesTx(t, tn, 1, nil, e1.trustees[0].key, 0)
			}},
		},
	}, {
		// A node forgets, when it restarts, which transactions its mempool
		// has seen: accepted bytes then reach the state machine again.
		name:  "after a restart",
		setup: func(t *testing.T) { tn.restart(t) },
		cases: []rejection{
			{name: "a counted ballot again", want: election.CodeDuplicate, tx: func(*testing.T) []byte { return ballot1 }},
			{name: "the creation again", want: election.CodeDuplicate, octet: true, tx: func(*testing.T) []byte { return create1 }},
		},
	}}

	for _, s := range stages {
		if !t.Run(s.name, func(t *testing.T) {
			if s.setup != nil {
				s.setup(t)
			}
			for _, c := range s.cases {
				t.Run(c.name, func(t *testing.T) {
					tx := c.tx(t)
					status, a := tn.submit(t, tx, "", c.octet)
					want := cmp.Or(c.status, http.StatusUnprocessableEntity)
					if status != want {
						t.Fatalf("%d, want %d: %+v", status, want, a)
					}
					if a.Error == "" || a.Committed || a.Receipt != nil {
						t.Errorf("answer %+v", a)
					}
					if want == http.StatusConflict {
						if a.Err.Code != nil || a.CodeName != "" {
							t.Errorf("409 with a code: %+v", a)
						}
						return
					}
					if a.Err.Code == nil || a.Err.Code.Code() != c.want || a.CodeName != c.want.String() {
						t.Errorf("code %v %q (%s), want %d %q", a.Err.Code, a.CodeName, a.Error, c.want, c.want)
					}
					seen[c.want] = true
				})
			}
		}) {
			t.FailNow()
		}
	}

	for _, c := range election.Codes() {
		// validator-change-pending comes only within two blocks of an
		// accepted change, which a request cannot time; the lifecycle
		// scripts and chain's TestValidatorUpdates produce it.
		if c != election.CodeOK && c != election.CodeInternal && c != election.CodeValidatorChangePending && !seen[c] {
			t.Errorf("no case produced %v (%d)", c, c)
		}
	}
}

// testInBlock makes two ballots of one voter, in an election without
// revoting, both pass admission (the mempool's check against committed
// state) and reach the chain: the first block to hold one counts it, and
// the other is refused in its block, the same one or the next (the mempool
// is not rechecked after a block). Submitted with ?wait, the second is
// answered 422 with committed true, its code and its receipt. A block that
// changes the app hash is followed, a commit timeout later, by another, so
// ballots submitted as soon as the first is committed usually wait for the
// second together. If the race is lost (one refused at admission because
// the other was committed first), it tries again with another voter.
func testInBlock(t *testing.T, tn *testNode, e1, e2 *testElection) election.Code {
	choices := [][]uint64{{1, 0}, {0, 1, 0}}
	for attempt := range 3 {
		voter := e1.voters[3+attempt]
		txs := [][]byte{e1.ballot(t, voter, 1, choices, nil), e1.ballot(t, voter, 1, choices, nil)}
		tn.commit(t, e2.rollTx(t, 1, newVoter(t)))
		var statuses [2]int
		var answers [2]answer
		var wg sync.WaitGroup
		for i, tx := range txs {
			wg.Go(func() { statuses[i], answers[i] = tn.submit(t, tx, "10s", false) })
		}
		wg.Wait()
		first, second := 0, 1
		if statuses[0] != http.StatusOK {
			first, second = 1, 0
		}
		a, b := answers[first], answers[second]
		if statuses[first] != http.StatusOK || statuses[second] != http.StatusUnprocessableEntity || !b.Committed {
			t.Logf("attempt %d: answers %d and %d (%s, committed %v); again", attempt+1, statuses[first], statuses[second], b.CodeName, b.Committed)
			continue
		}
		if !a.Committed || a.Receipt == nil || a.Receipt.Code.Code() != election.CodeOK {
			t.Fatalf("the counted ballot: %+v", a)
		}
		if b.Err.Code == nil || b.Err.Code.Code() != election.CodeAlreadyVoted || b.CodeName != "already-voted" || b.Error == "" {
			t.Fatalf("the second ballot: %+v", b)
		}
		if b.Receipt == nil {
			t.Fatal("the second ballot has no receipt")
		}
		r := chainReceipt(t, b.Receipt)
		if r.Code != election.CodeAlreadyVoted || r.Height < a.Receipt.Height || !bytes.Equal(r.Tx(), txs[second]) {
			t.Fatalf("the second ballot's receipt: %+v (the first's at height %d)", r, a.Receipt.Height)
		}
		t.Logf("the ballots were committed at heights %d and %d", a.Receipt.Height, r.Height)
		// Its receipt proves it is in the block; the state counts only the
		// first.
		var vs api.VoterStatus
		tn.getJSON(t, "/api/v1/elections/"+e1.id.String()+"/voters/"+voter.Public().Key().String(), &vs)
		if !vs.Voted || vs.TxHash == nil || vs.TxHash.String() != trackingCode(txs[first]) {
			t.Fatalf("voter status %+v, want the ballot %s", vs, trackingCode(txs[first]))
		}
		got := tn.getReceipt(t, "/api/v1/receipts/"+trackingCode(txs[second]))
		if got.Code != election.CodeAlreadyVoted || got.Height != r.Height {
			t.Fatalf("GET receipt: code %v at %d", got.Code, got.Height)
		}
		testRejectedReceiptFile(t, tn, e1, e2, voter, trackingCode(txs[second]))
		return election.CodeAlreadyVoted
	}
	t.Fatal("two ballots never met in one block")
	return 0
}

func testQueries(t *testing.T, tn *testNode, e1, e2 *testElection) {
	base1 := "/api/v1/elections/" + e1.id.String()
	voterPath := func(e *testElection, v election.PublicKey) string {
		return "/api/v1/elections/" + e.id.String() + "/voters/" + v.String()
	}
	// The voters of the InBlock test whose ballot was counted (one, unless
	// an attempt lost its race after counting one).
	raced := uint64(0)
	for _, v := range e1.voters[3:] {
		var vs api.VoterStatus
		tn.getJSON(t, voterPath(e1, v.Public().Key()), &vs)
		if vs.Voted {
			raced++
		}
	}
	if raced == 0 {
		t.Fatal("no InBlock ballot counted")
	}
	voters := 2 + raced

	var list api.ElectionList
	tn.getJSON(t, "/api/v1/elections", &list)
	if len(list.Elections) != 2 {
		t.Fatalf("%d elections, want 2", len(list.Elections))
	}
	if bytes.Compare(list.Elections[0].ID[:], list.Elections[1].ID[:]) >= 0 {
		t.Error("elections not in ascending order of id")
	}
	for _, s := range list.Elections {
		switch s.ID {
		case e1.id:
			if s.Phase != election.PhaseTallied || s.Title["en"] != "Web test e1" || s.RollSize != 6 || s.Voters != voters || s.Ballots != voters || s.CreatedHeight < 1 {
				t.Errorf("e1: %+v", s)
			}
		case e2.id:
			if s.Phase != election.PhaseOpen || s.RollSize < 2 || s.Voters != 1 || s.Ballots != 1 {
				t.Errorf("e2: %+v", s)
			}
		default:
			t.Errorf("unknown election %v", s.ID)
		}
	}

	var d api.ElectionDetail
	tn.getJSON(t, base1, &d)
	if d.ID != e1.id || d.Manifest.Reference != "e1" || d.Phase != election.PhaseTallied || d.JointKey == nil || len(d.Trustees) != 2 ||
		d.Counts.RollSize != 6 || d.Counts.Voters != voters {
		t.Fatalf("detail: %+v", d)
	}
	for _, tr := range d.Trustees {
		if !tr.Dealt || !tr.ComplaintsPosted || !tr.Qualified || !tr.SharesPosted || tr.VerificationKey == nil {
			t.Errorf("trustee %+v", tr)
		}
	}
	var phases []string
	for _, p := range d.Phases {
		phases = append(phases, p.Phase.String())
	}
	if got := strings.Join(phases, " "); got != "dkg-deals dkg-complaints ready open closed tallied" {
		t.Errorf("phases %q", got)
	}

	// The roll: pages of two cover it in key order; bad pages are refused.
	want := make([]string, 0, len(e1.voters))
	for _, v := range e1.voters {
		want = append(want, v.Public().String())
	}
	slices.Sort(want)
	var got []string
	for offset := 0; offset <= len(want); offset += 2 {
		var page api.RollPage
		tn.getJSON(t, fmt.Sprintf("%s/roll?offset=%d&limit=2", base1, offset), &page)
		if page.Election != e1.id || page.Total != 6 || page.Offset != offset || len(page.Voters) > 2 {
			t.Fatalf("page at %d: %+v", offset, page)
		}
		for _, v := range page.Voters {
			if v.Weight != 1 {
				t.Errorf("voter %v of weight %d", v.Voter, v.Weight)
			}
			got = append(got, v.Voter.String())
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("roll pages %v, want %v", got, want)
	}
	var all api.RollPage
	tn.getJSON(t, base1+"/roll", &all)
	if len(all.Voters) != 6 || all.Offset != 0 {
		t.Errorf("default page: %d voters from %d", len(all.Voters), all.Offset)
	}
	tn.getJSON(t, fmt.Sprintf("%s/roll?offset=0&limit=%d", base1, maxRollPage), &all)
	tn.getJSON(t, base1+"/roll?offset=100", &all)
	if len(all.Voters) != 0 || all.Total != 6 {
		t.Errorf("page past the end: %+v", all)
	}
	for _, q := range []string{"offset=-1", "limit=0", "limit=-5", fmt.Sprintf("limit=%d", maxRollPage+1), "offset=x", "limit=1.5", "offset=99999999999999999999"} {
		tn.wantStatus(t, base1+"/roll?"+q, http.StatusBadRequest)
	}

	// The running tally and the result: v1 (1,0|1,1,0), v2 (0,1|0,0,1)
	// and the InBlock voters (1,0|0,1,0), each of weight 1.
	var ti api.Tally
	tn.getJSON(t, base1+"/tally", &ti)
	if ti.Phase != election.PhaseTallied || ti.Voters != voters || ti.WeightCast != voters || ti.Ballots != voters || ti.RollSize != 6 || len(ti.Contests) != 2 {
		t.Errorf("tally: %+v", ti)
	}
	e1.aggregates(t, tn)
	var res api.Result
	tn.getJSON(t, base1+"/result", &res)
	var totals []string
	for _, c := range res.Contests {
		var s []string
		for _, n := range c.Totals {
			s = append(s, strconv.FormatUint(n, 10))
		}
		totals = append(totals, strings.Join(s, ","))
	}
	wantTotals := fmt.Sprintf("%d,1|1,%d,1", 1+raced, 1+raced)
	if got := strings.Join(totals, "|"); got != wantTotals || res.Election != e1.id || res.Voters != voters || !slices.Equal(res.Trustees, []uint32{1, 2}) || res.Height < 1 {
		t.Errorf("result %s, want %s: %+v", got, wantTotals, res)
	}

	// Voters: on the roll and voted, on the roll only, unknown, bad keys.
	var vs api.VoterStatus
	tn.getJSON(t, voterPath(e1, e1.voters[0].Public().Key()), &vs)
	if vs.Election != e1.id || !vs.OnRoll || !vs.Voted || vs.Seq != 1 || vs.Weight != 1 || vs.Height < 1 || vs.TxHash == nil {
		t.Errorf("v1: %+v", vs)
	}
	tn.getJSON(t, voterPath(e1, e1.voters[2].Public().Key()), &vs)
	if !vs.OnRoll || vs.Voted {
		t.Errorf("v3: %+v", vs)
	}
	tn.wantStatus(t, voterPath(e1, newVoter(t).Public().Key()), http.StatusNotFound)
	for _, k := range []string{"nokey", "ed25519:xyz", "ed25519:" + strings.Repeat("ab", 31), strings.Repeat("ab", 32)} {
		tn.wantStatus(t, base1+"/voters/"+k, http.StatusBadRequest)
	}
	var ev api.VoterStatus
	tn.getJSON(t, voterPath(e2, e2.voters[0].Public().Key()), &ev)
	if !ev.Voted || ev.Seq != 2 {
		t.Errorf("e2 voter: %+v", ev)
	}
}

// testReceipt fetches a counted ballot's receipt and checks it offline
// against the genesis validators, which are the node's validator set.
func testReceipt(t *testing.T, tn *testNode, e1, e2 *testElection) {
	var vs api.VoterStatus
	tn.getJSON(t, "/api/v1/elections/"+e1.id.String()+"/voters/"+e1.voters[0].Public().Key().String(), &vs)
	if vs.TxHash == nil {
		t.Fatalf("voter status %+v", vs)
	}
	r := tn.get(t, "/api/v1/receipts/"+vs.TxHash.String())
	if r.status != http.StatusOK {
		t.Fatalf("receipt: %d %s", r.status, r.body)
	}
	var wire api.Receipt
	if err := json.Unmarshal(r.body, &wire); err != nil {
		t.Fatal(err)
	}
	rec := chainReceipt(t, &wire)
	gen := tn.node.Load().CometBFT().GenesisDoc()
	var vals []*cmttypes.Validator
	for _, v := range gen.Validators {
		vals = append(vals, cmttypes.NewValidator(v.PubKey, v.Power))
	}
	trusted := cmttypes.NewValidatorSet(vals)
	if err := chain.VerifyReceipt(rec, trusted, testChainID); err != nil {
		t.Fatal(err)
	}
	if rec.Code != election.CodeOK || rec.TrackingCode != vs.TxHash.String() || rec.Height != vs.Height || trackingCode(rec.Tx()) != vs.TxHash.String() {
		t.Errorf("receipt: code %v, tracking code %s, height %d; voter %+v", rec.Code, rec.TrackingCode, rec.Height, vs)
	}
	if env, err := election.DecodeTx(rec.Tx()); err != nil || env.Kind != election.KindBallot || env.Signer != e1.voters[0].Public().Key() {
		t.Errorf("the receipt's transaction is not v1's ballot: %v", err)
	}
	if !rec.Proven() {
		t.Error("the receipt of a ballot committed blocks ago has no result part")
	}
	testReceiptFileResult(t, tn, e1, e1.voters[0], vs.Seq, &wire)
	// A client that takes the validator set from the status answer gets
	// the same trust root.
	var st api.Status
	tn.getJSON(t, "/api/v1/status", &st)
	var shown []*cmttypes.Validator
	for _, v := range st.Validators {
		if len(v.PubKey) != cmted25519.PubKeySize {
			t.Fatalf("validator key %x", v.PubKey)
		}
		val := cmttypes.NewValidator(cmted25519.PubKey(v.PubKey), v.Power)
		if val.Address.String() != v.Address {
			t.Errorf("validator address %s, its key's is %s", v.Address, val.Address)
		}
		shown = append(shown, val)
	}
	if set := cmttypes.NewValidatorSet(shown); !bytes.Equal(set.Hash(), trusted.Hash()) {
		t.Error("the status shows another validator set than the genesis")
	} else if err := chain.VerifyReceipt(rec, set, testChainID); err != nil {
		t.Error(err)
	}
	// A receipt for another chain, or changed, does not verify.
	if err := chain.VerifyReceipt(rec, trusted, "another-chain"); err == nil {
		t.Error("the receipt verifies for another chain")
	}
	rec.Height++
	if err := chain.VerifyReceipt(rec, trusted, testChainID); err == nil {
		t.Error("a changed receipt verifies")
	}
	// With ?wait, a committed transaction's receipt comes at once.
	if r := tn.get(t, "/api/v1/receipts/"+vs.TxHash.String()+"?wait=10s"); r.status != http.StatusOK {
		t.Errorf("receipt with wait: %d", r.status)
	}

	// A submission whose wait ends before its commit: 504 with its
	// tracking code, whose receipt comes later.
	tx := e2.rollTx(t, 1, newVoter(t))
	status, a := tn.submit(t, tx, "1ns", false)
	if status != http.StatusGatewayTimeout || a.TrackingCode.String() != trackingCode(tx) || a.Committed {
		t.Fatalf("submission with ?wait=1ns: %d %+v", status, a)
	}
	later := tn.getReceipt(t, "/api/v1/receipts/"+a.TrackingCode.String()+"?wait=30s")
	if later.Code != election.CodeOK || !bytes.Equal(later.Tx(), tx) {
		t.Fatalf("its receipt: code %v", later.Code)
	}
	if err := chain.VerifyReceipt(later, trusted, testChainID); err != nil {
		t.Fatal(err)
	}
}

// routePattern matches the API routes New registers.
var routePattern = regexp.MustCompile(`HandleFunc\("(GET|POST) (/api/[^"]+)"`)

// testOpenAPI checks the document the API serves: valid YAML, every route
// the server registers documented with its method and none that it does
// not, and every status the API answered in these tests documented for its
// route.
func testOpenAPI(t *testing.T, tn *testNode) {
	r := tn.wantStatus(t, "/api/v1/openapi.yaml", http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type %q", ct)
	}
	file, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.body, file) {
		t.Error("the served document is not web/openapi.yaml")
	}
	var doc struct {
		OpenAPI string `yaml:"openapi"`
		Paths   map[string]map[string]struct {
			Responses map[string]any `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Paths) == 0 {
		t.Fatalf("openapi %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}

	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
		method, path := strings.ToLower(m[1]), m[2]
		routes[method+" "+path] = true
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("route %s %s is not in openapi.yaml", m[1], path)
		}
	}
	if len(routes) < 10 {
		t.Fatalf("found only %d routes in server.go", len(routes))
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" && !routes[method+" "+path] {
				t.Errorf("openapi.yaml documents %s %s, which the server does not serve", method, path)
			}
		}
	}

	tn.mu.Lock()
	defer tn.mu.Unlock()
	for pattern, statuses := range tn.answered {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			continue // the catch-all: pages and unknown paths
		}
		op, ok := doc.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s answered but is not documented", pattern)
			continue
		}
		for s := range statuses {
			if _, ok := op.Responses[strconv.Itoa(s)]; !ok {
				t.Errorf("%s answered %d, which openapi.yaml does not list", pattern, s)
			}
		}
	}
}
