package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/internal/trusteedir"
	"github.com/evote/evote/wallet"
)

// The system tests run a one-validator network as an `evote node` process
// and play the officials, trustees, voters and verifiers as `evote`
// processes (or, for hostile transactions, through the internal packages
// over the node's API), checking what the whole system does.

// evoteRun is how an evote process ended: its exit code (-1 if it was
// killed) and its output.
type evoteRun struct {
	code     int
	out, err string
}

// A user runs evote processes with env (NAME=value) added to the test's
// environment: a trustee's or a voter's passphrase, a wallet's path. The
// tests set no environment of their own, so that they run in parallel.
type user struct{ env []string }

// asUser is a user with the environment variables name, value, ....
func asUser(kv ...string) user {
	var u user
	for i := 0; i+1 < len(kv); i += 2 {
		u.env = append(u.env, kv[i]+"="+kv[i+1])
	}
	return u
}

// start starts evote with args and stdin (nil: none); wait returns how it
// ended. The process is killed when ctx ends.
func (u user) start(ctx context.Context, t *testing.T, stdin io.Reader, args ...string) (wait func() evoteRun) {
	t.Helper()
	cmd := exec.CommandContext(ctx, evoteBinary(t), args...)
	cmd.Env = append(os.Environ(), u.env...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan evoteRun, 1)
	go func() {
		err := cmd.Wait()
		r := evoteRun{code: 0, out: stdout.String(), err: stderr.String()}
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			r.code = ee.ExitCode()
		case err != nil:
			r.code, r.err = -1, r.err+err.Error()
		}
		done <- r
	}()
	return func() evoteRun { return <-done }
}

// run runs evote with args to completion (at most two minutes).
func (u user) run(t *testing.T, args ...string) evoteRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	return u.start(ctx, t, nil, args...)()
}

// must runs evote and fails the test unless it exits 0; it returns the
// standard output.
func (u user) must(t *testing.T, args ...string) string {
	t.Helper()
	r := u.run(t, args...)
	if r.code != 0 {
		t.Fatalf("evote %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r.out
}

// refused runs evote, expecting exit 1 and every want in its standard
// error.
func (u user) refused(t *testing.T, want []string, args ...string) {
	t.Helper()
	r := u.run(t, args...)
	if r.code != 1 {
		t.Fatalf("evote %s: exit %d, want 1\n%s%s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	for _, w := range want {
		if !strings.Contains(r.err, w) {
			t.Errorf("evote %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, r.err)
		}
	}
}

// anyone runs the commands that need no secret but a key file.
var anyone user

// oneNode is a one-validator network, its node an `evote node` process.
type oneNode struct {
	*testnet
	url       string
	authority string // the authority key file
	genesis   string
}

func newOneNode(t *testing.T) *oneNode {
	t.Helper()
	tn := newTestnet(t, 1)
	return &oneNode{testnet: tn, url: tn.urls[0], authority: filepath.Join(tn.dir, "authority.key"),
		genesis: filepath.Join(tn.dir, "node0", "config", "genesis.json")}
}

// client is an API client of the node.
func (n *oneNode) client(t *testing.T) *api.Client {
	t.Helper()
	c, err := api.NewClient(n.url, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// authorityKey reads the network's authority key.
func (n *oneNode) authorityKey(t *testing.T) *election.PrivateKey {
	t.Helper()
	k, err := keyfile.ReadAuthority(n.authority)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// create runs `evote election create` with the manifest text and returns
// the new election's id.
func (n *oneNode) create(t *testing.T, dir, name, manifest string) string {
	t.Helper()
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	out := anyone.must(t, "election", "create", "--manifest", path, "--authority-key", n.authority, "--node", n.url)
	m := electionCreated.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("election create: %s", out)
	}
	return m[1]
}

var electionCreated = regexp.MustCompile(`election ([0-9a-f]{64}) created in block \d+`)

// cheapKDF seals the tests' trustees: the sealed state keeps its KDF, so
// the evote processes that run these trustees reseal it cheaply too.
var cheapKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// initTrustee makes the trustee directory dir (as `evote trustee init`
// does, with a cheap KDF) and returns its lines of a manifest's
// trustees.members.
func initTrustee(t *testing.T, dir, name, passphrase string) string {
	t.Helper()
	s, err := trusteedir.Init(dir, name, []byte(passphrase), cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	y, err := os.ReadFile(filepath.Join(dir, trusteedir.PublicFile))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(string(y)), "\n") {
		if !strings.HasPrefix(l, "#") {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}

// initTrustees makes trustees T1..Tn in dir/t1..dir/tn and returns their
// manifest entries.
func initTrustees(t *testing.T, dir string, n int, passphrase string) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(initTrustee(t, filepath.Join(dir, fmt.Sprintf("t%d", i)), fmt.Sprintf("T%d", i), passphrase))
	}
	return b.String()
}

// sampleSpec is the sample election of `evote up` and `evote sample` (its
// manifest, three trustees, voters fresh voters), for the harness.
func sampleSpec(t *testing.T, authority *election.PrivateKey, reference string, voters int) harness.Spec {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(moduleRoot(t), "cmd", "evote", "cli", "sample-election.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return harness.Spec{Template: string(tmpl), Reference: reference, TrusteeName: "Sample trustee %d",
		Voters: voters, Authority: authority}
}
