package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/trusteedir"
	"github.com/evote/evote/tally"
)

// TestTrusteeSurvivesNodeRestart: `evote trustee run` processes keep
// watching while their node is stopped and started again between the key
// ceremony and the close, and then decrypt.
func TestTrusteeSurvivesNodeRestart(t *testing.T) {
	t.Parallel()
	trustee := asUser("EVOTE_PASSPHRASE", "trustee passphrase")
	n := newOneNode(t)
	dir := t.TempDir()
	id := n.create(t, dir, "manifest", harness.YesNoManifest(n.authorityKey(t).AuthorityPublic(), "node-restart", initTrustees(t, dir, 3, "trustee passphrase")))
	eid, _ := election.ParseID(id)
	node := n.client(t)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var trustees []func() evoteRun
	for i := 1; i <= 3; i++ {
		trustees = append(trustees, trustee.start(ctx, t, nil, "trustee", "run", "--node", n.url, "--election", id,
			"--dir", filepath.Join(dir, fmt.Sprintf("t%d", i)), "--poll", "50ms"))
	}
	if _, err := node.WaitPhase(ctx, eid, api.PhaseIn(election.PhaseReady)); err != nil {
		t.Fatal(err)
	}
	n.nodes[0].stop()
	time.Sleep(500 * time.Millisecond) // the trustees find the node gone
	n.nodes[0].restart()
	n.waitUp(0, time.Minute)
	anyone.must(t, "election", "open", "--election", id, "--authority-key", n.authority, "--node", n.url)
	anyone.must(t, "election", "close", "--election", id, "--authority-key", n.authority, "--node", n.url)
	seen := 0
	for i, wait := range trustees {
		r := wait()
		out := r.out + r.err
		if r.code != 0 || !strings.Contains(out, "the result is on the chain") {
			t.Errorf("trustee %d: exit %d\n%s", i+1, r.code, out)
		}
		if strings.Contains(out, "the node does not answer") {
			seen++
		}
	}
	if seen == 0 {
		t.Error("no trustee noticed the node was gone")
	}
	res, err := node.Report(t.Context(), eid)
	if err != nil || !res.Decrypted {
		t.Fatalf("result: %v %+v", err, res)
	}
}

// TestFailedElection: no trustee deals before dkg_deals_by, so the key
// ceremony fails; `evote results` says so, and a trustee started then
// stops with the reason.
func TestFailedElection(t *testing.T) {
	t.Parallel()
	trustee := asUser("EVOTE_PASSPHRASE", "pw")
	n := newOneNode(t)
	dir := t.TempDir()
	authority := n.authorityKey(t).AuthorityPublic()
	members := initTrustees(t, dir, 3, "pw")
	dealsBy := time.Now().UTC().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
	y := strings.Replace(harness.YesNoManifest(authority, "fails", members), "dkg_deals_by: ", "dkg_deals_by: "+dealsBy.Format(time.RFC3339)+"\n  # ", 1)
	id := n.create(t, dir, "manifest", y)
	time.Sleep(time.Until(dealsBy) + 500*time.Millisecond)
	// Blocks come with transactions, and a block's time is its
	// predecessor's commit time: other elections' creations make blocks
	// until one's time passes the deadline.
	out := ""
	for i := 0; i < 10 && !strings.Contains(out, ", failed"); i++ {
		n.create(t, dir, fmt.Sprintf("another-%d", i), harness.YesNoManifest(authority, fmt.Sprintf("another-%d", i), members))
		out = anyone.must(t, "results", "--election", id, "--node", n.url)
	}
	if !strings.Contains(out, "totals   none: the election failed (dkg-not-enough-qualified)") {
		t.Fatalf("results of a failed election:\n%s", out)
	}
	eid, _ := election.ParseID(id)
	d, err := n.client(t).Election(t.Context(), eid)
	if err != nil || d.Phase != election.PhaseFailed {
		t.Fatalf("the node shows %v, %v; want the election failed", d, err)
	}
	trustee.refused(t, []string{"election " + id + " failed: dkg-not-enough-qualified"},
		"trustee", "run", "--node", n.url, "--election", id, "--dir", filepath.Join(dir, "t1"))
}

// lyingNode is a proxy in front of a real node that rewrites the JSON
// answers of one path with edit.
func lyingNode(t *testing.T, target, path string, edit func(map[string]any)) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(r *http.Response) error {
		if r.Request.URL.Path != path || r.StatusCode != http.StatusOK {
			return nil
		}
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return err
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		edit(v)
		if b, err = json.Marshal(v); err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestTrusteeDistrustsItsNode: a node that shows an `evote trustee run`
// process another election's manifest, or a joint key the ceremony's
// messages do not give, makes the trustee stop with the reason instead of
// acting; so do a manifest that does not name it as it is, and a sealed
// state whose deal is not the one on the chain.
func TestTrusteeDistrustsItsNode(t *testing.T) {
	t.Parallel()
	trustee := asUser("EVOTE_PASSPHRASE", "pw")
	n := newOneNode(t)
	dir := t.TempDir()
	authority := n.authorityKey(t).AuthorityPublic()
	members := initTrustees(t, dir, 3, "pw")
	id := n.create(t, dir, "honest", harness.YesNoManifest(authority, "honest", members))
	otherID, _ := election.ParseID(n.create(t, dir, "other", harness.YesNoManifest(authority, "other", members)))
	other, err := n.client(t).DKG(t.Context(), otherID)
	if err != nil {
		t.Fatal(err)
	}
	trusteeArgs := func(i int, node string) []string {
		return []string{"trustee", "run", "--node", node, "--election", id, "--dir", filepath.Join(dir, fmt.Sprintf("t%d", i)), "--poll", "50ms"}
	}

	// A trustee the manifest does not name, and one the manifest names
	// with another encryption key.
	initTrustee(t, filepath.Join(dir, "t4"), "T4", "pw")
	trustee.refused(t, []string{"is not a trustee of election " + id}, trusteeArgs(4, n.url)...)
	lines := strings.Split(members, "\n")
	lines[2], lines[5] = lines[5], lines[2] // T1's identity with T2's encryption key, and the reverse
	mixedID := n.create(t, dir, "mixed", harness.YesNoManifest(authority, "mixed", strings.Join(lines, "\n")))
	trustee.refused(t, []string{"election " + mixedID + " lists this trustee's identity", "with another encryption key"},
		"trustee", "run", "--node", n.url, "--election", mixedID, "--dir", filepath.Join(dir, "t1"))

	// Another election's manifest under this election's id.
	swapped := lyingNode(t, n.url, "/api/v1/elections/"+id+"/dkg", func(v map[string]any) { v["manifest"] = other.Manifest })
	trustee.refused(t, []string{"served a manifest that is not the one of election " + id}, trusteeArgs(1, swapped)...)

	// A joint key that is not the ceremony's: trustee 1 takes part in the
	// ceremony through the lying node, then refuses to derive a share.
	liar, err := tally.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	lie := hex.EncodeToString(liar.Public().Bytes())
	wrongKey := lyingNode(t, n.url, "/api/v1/elections/"+id, func(v map[string]any) {
		if k, ok := v["joint_key"].(string); ok && k != "" {
			v["joint_key"] = lie
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var honest []func() evoteRun
	for i := 2; i <= 3; i++ {
		honest = append(honest, trustee.start(ctx, t, nil, append(trusteeArgs(i, n.url), "--once")...))
	}
	r := trustee.start(ctx, t, nil, trusteeArgs(1, wrongKey)...)()
	cancel()
	for _, wait := range honest {
		wait()
	}
	if r.code != 1 || !strings.Contains(r.out, "dealt in block") || !strings.Contains(r.err, "the ceremony's messages give the joint key") || !strings.Contains(r.err, "the node says "+lie) {
		t.Fatalf("trustee 1 behind a node lying about the joint key: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if strings.Contains(r.out, "key ceremony done") {
		t.Fatalf("trustee 1 derived a share for a key the ceremony did not give:\n%s", r.out)
	}

	// A sealed state whose deal is not the one on the chain (a state from
	// elsewhere): the trustee stops rather than act on it.
	eid, _ := election.ParseID(id)
	m, err := n.client(t).DKG(t.Context(), eid)
	if err != nil {
		t.Fatal(err)
	}
	params, err := m.Manifest.Manifest.DKGParams(eid)
	if err != nil {
		t.Fatal(err)
	}
	deal, _, err := tally.NewDKGDeal(params, 1, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := deal.MarshalBinary()
	store, err := trusteedir.Open(filepath.Join(dir, "t1"), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	store.State.Elections[id].Deal = hex.EncodeToString(db)
	if err := store.Save(); err != nil {
		t.Fatal(err)
	}
	store.Close()
	trustee.refused(t, []string{"the chain holds a deal of trustee 1 that is not the one in this trustee's sealed state"}, trusteeArgs(1, n.url)...)
}
