package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/internal/demo"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/localnet"
	"github.com/evote/evote/internal/voternode"
	"github.com/evote/evote/wallet"
)

// upRun is `evote up` running in this process on home.
type upRun struct {
	url  string
	out  *demo.LockedWriter
	buf  *bytes.Buffer
	stop func() error // Ctrl-C: cancels, returns runUp's error
}

func startUp(t *testing.T, home string, opts upOptions) *upRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	opts.ready = ready
	buf := &bytes.Buffer{}
	out := &demo.LockedWriter{W: buf}
	errc := make(chan error, 1)
	go func() {
		errc <- runUp(ctx, NodeConfig{Home: home, HTTPAddr: "127.0.0.1:0", LogLevel: "error"}, opts, out)
	}()
	u := &upRun{out: out, buf: buf}
	u.stop = func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("evote up did not stop within 30 s")
		}
	}
	select {
	case u.url = <-ready:
	case err := <-errc:
		cancel()
		t.Fatalf("evote up ended: %v\n%s", err, u.output())
	case <-time.After(90 * time.Second):
		cancel()
		t.Fatalf("evote up did not open the sample election within 90 s:\n%s", u.output())
	}
	return u
}

func (u *upRun) output() string {
	u.out.Write(nil) // the lock orders the read after every write
	return u.buf.String()
}

// execCLI runs evote's command line in this process and returns its
// error, as Run would print it.
func execCLI(ctx context.Context, args ...string) (error, string, string) {
	var out, errb bytes.Buffer
	root := newRoot(strings.NewReader(""), &out, &errb)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return err, out.String(), errb.String()
}

// TestUpSampleElectionEndToEnd: `evote up` on a new home runs the sample
// trustees beside the node; a sample voter votes with its key file, an
// official closes with `evote election close` and no id, and the result
// appears (`evote results`, no id) with nothing else run. A second
// `evote up` on the same home resumes the trustees, which find nothing
// left to do.
func TestUpSampleElectionEndToEnd(t *testing.T) {
	home := t.TempDir()
	ports, err := localnet.FreePortBlock(2)
	if err != nil {
		t.Fatal(err)
	}
	opts := upOptions{p2p: fmt.Sprintf("tcp://127.0.0.1:%d", ports), rpc: fmt.Sprintf("tcp://127.0.0.1:%d", ports+1)}
	up := startUp(t, home, opts)
	ctx := context.Background()
	sample := filepath.Join(home, "sample")
	for i := 1; i <= sampleTrustees; i++ {
		dir := filepath.Join(sample, fmt.Sprintf("trustee-%d", i))
		for _, f := range []string{sampleMark, samplePassFile, trusteeSealed, trusteePublic} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("sample trustee %d: %v", i, err)
			}
		}
	}

	// A sample voter's key file is the text a wallet imports.
	text, err := os.ReadFile(filepath.Join(sample, "voter-1.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := wallet.ParseVoterKey(strings.TrimSpace(string(text)))
	if err != nil {
		t.Fatalf("voter-1.key is not a voter key a wallet imports: %v", err)
	}
	c, err := api.NewClient(up.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := voternode.PickElection(ctx, c, "")
	if err != nil {
		t.Fatalf("the sample election is not open: %v\n%s", err, up.output())
	}
	d, err := c.Election(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	el, _, err := voternode.ElectionOf(st.ChainID, id, d)
	if err != nil {
		t.Fatal(err)
	}
	voter := &harness.Voter{Key: key, Weight: 1}
	if _, _, err := voter.Cast(ctx, harness.NewAPI(c), el, [][]uint64{{1, 0}, {0, 1, 0, 1, 0}}, rand.Reader); err != nil {
		t.Fatal(err)
	}

	// The official closes with the authority key under the home and no id.
	err, out, stderr := execCLI(ctx, "--home", home, "election", "close", "--node", up.url)
	if err != nil {
		t.Fatalf("evote election close: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(stderr, id.String()) {
		t.Errorf("close does not name the election it took: %q", stderr)
	}

	// The sample trustees decrypt; evote results shows it.
	var r api.Report
	deadline := time.Now().Add(60 * time.Second)
	for {
		err, out, stderr := execCLI(ctx, "--home", home, "results", "--node", up.url, "--json")
		if err != nil {
			t.Fatalf("evote results: %v\n%s", err, stderr)
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r.Decrypted || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !r.Decrypted {
		t.Fatalf("no result 60 s after the close:\n%s", up.output())
	}
	want := [][]uint64{{1, 0}, {0, 1, 0, 1, 0}}
	for ci, ct := range r.Contests {
		for oi, o := range ct.Options {
			if o.Total == nil || *o.Total != want[ci][oi] {
				t.Errorf("contest %d option %d: total %v, want %d", ci, oi, o.Total, want[ci][oi])
			}
		}
	}
	waitTrusteesDone(t, sample, 1)
	if err := up.stop(); err != nil {
		t.Fatalf("evote up stopped with %v\n%s", err, up.output())
	}
	t.Logf("evote up said:\n%s", up.output())

	// Again on the same home: the chain and the trustees resume.
	up = startUp(t, home, opts)
	if !strings.Contains(up.output(), id.String()) {
		t.Errorf("the second run does not list the sample election:\n%s", up.output())
	}
	waitTrusteesDone(t, sample, 2)
	if !strings.Contains(up.output(), "the sample election is tallied") {
		t.Errorf("the second run does not say the sample election is tallied:\n%s", up.output())
	}
	if err := up.stop(); err != nil {
		t.Fatalf("the second evote up stopped with %v\n%s", err, up.output())
	}
}

// waitTrusteesDone waits until each sample trustee's log says, for the
// runs'th time, that its part is over (a run the test stopped first
// would say "stopped with evote up").
func waitTrusteesDone(t *testing.T, sample string, runs int) {
	t.Helper()
	for i := 1; i <= sampleTrustees; i++ {
		log := filepath.Join(sample, fmt.Sprintf("trustee-%d.log", i))
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			b, _ := os.ReadFile(log)
			if bytes.Count(b, []byte("its part in the sample election is over")) == runs {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("trustee-%d.log: run %d of the trustee did not end its part:\n%s", i, runs, b)
			}
		}
	}
}

// TestOnlyElectionDefault: the officials' commands without --election
// take the node's only election and say so; with none, or several, they
// refuse (errNoElection, errWhichElection).
func TestOnlyElectionDefault(t *testing.T) {
	home := t.TempDir()
	authority, _, err := localnet.NewAuthorityKey(filepath.Join(home, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	appState, err := localnet.GenesisAppState("evote-defaults", authority)
	if err != nil {
		t.Fatal(err)
	}
	ports, err := localnet.FreePortBlock(2)
	if err != nil {
		t.Fatal(err)
	}
	err = chain.Init(home, "defaults", chain.InitOptions{ChainID: "evote-defaults", AppState: appState,
		P2PAddr: fmt.Sprintf("tcp://127.0.0.1:%d", ports), RPCAddr: fmt.Sprintf("tcp://127.0.0.1:%d", ports+1)})
	if err != nil {
		t.Fatal(err)
	}
	rn, err := startNode(NodeConfig{Home: home, HTTPAddr: "127.0.0.1:0", LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rn.stop() })
	ctx := context.Background()
	c, err := api.NewClient(rn.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := localnet.WaitReady(ctx, c, 1, nil); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"election", "show"}, {"election", "open"}, {"election", "close"}, {"results"}, {"roll", "show"},
		{"export", "--out", filepath.Join(t.TempDir(), "record.json")}, {"verify"},
	}
	runAll := func(want error) {
		t.Helper()
		for _, args := range commands {
			err, _, stderr := execCLI(ctx, append([]string{"--home", home, args[0], "--node", rn.url}, args[1:]...)...)
			if !errors.Is(err, want) {
				t.Errorf("%v: %v (stderr %q), want %v", args, err, stderr, want)
			}
		}
	}
	runAll(errNoElection)

	sub := harness.NewAPI(c)
	one, err := harness.Create(ctx, sub, sampleSpec(authority, "defaults-1", 1))
	if err != nil {
		t.Fatal(err)
	}
	err, out, stderr := execCLI(ctx, "--home", home, "results", "--node", rn.url)
	if err != nil || !strings.Contains(out, one.ID.String()) || !strings.Contains(stderr, one.ID.String()) {
		t.Errorf("results with one election: %v\n%s%s", err, out, stderr)
	}
	err, out, stderr = execCLI(ctx, "--home", home, "roll", "show", "--node", rn.url)
	if err != nil || !strings.Contains(out, one.Voters[0].Key.Public().String()) {
		t.Errorf("roll show with one election: %v\n%s%s", err, out, stderr)
	}

	two, err := harness.Create(ctx, sub, sampleSpec(authority, "defaults-2", 0))
	if err != nil {
		t.Fatal(err)
	}
	runAll(errWhichElection)
	err, _, stderr = execCLI(ctx, "--home", home, "results", "--node", rn.url)
	if !strings.Contains(err.Error(), one.ID.String()) || !strings.Contains(err.Error(), two.ID.String()) {
		t.Errorf("the refusal does not list both elections: %v", err)
	}
	err, out, _ = execCLI(ctx, "--home", home, "results", "--node", rn.url, "--election", two.ID.String())
	if err != nil || !strings.Contains(out, two.ID.String()) {
		t.Errorf("results --election: %v\n%s", err, out)
	}
}
