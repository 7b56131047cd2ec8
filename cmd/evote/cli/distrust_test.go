package cli

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
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/tally"
)

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

// TestTrusteeDistrustsItsNode: a node that shows a trustee another
// election's manifest, or a joint key the ceremony's messages do not give,
// makes the trustee stop with the reason instead of acting.
func TestTrusteeDistrustsItsNode(t *testing.T) {
	t.Setenv("EVOTE_PASSPHRASE", "pw")
	net := startTestNetwork(t)
	dir := t.TempDir()
	key, err := keyfile.ReadAuthority(net.authority)
	if err != nil {
		t.Fatal(err)
	}
	members := testTrustees(t, dir, 3)
	ids := map[string]string{}
	for _, ref := range []string{"honest", "other"} {
		manifest := filepath.Join(dir, ref+".yaml")
		os.WriteFile(manifest, []byte(testManifest(key.Public(), ref, members)), 0o644)
		out := mustCLI(t, "election", "create", "--manifest", manifest, "--authority-key", net.authority, "--node", net.url)
		ids[ref] = electionCreated.FindStringSubmatch(out)[1]
	}
	id := ids["honest"]
	otherID, _ := election.ParseID(ids["other"])
	other, err := testClient(t, net.url).DKG(t.Context(), otherID)
	if err != nil {
		t.Fatal(err)
	}
	trusteeArgs := func(i int, node string) []string {
		return []string{"trustee", "run", "--node", node, "--election", id, "--dir", filepath.Join(dir, fmt.Sprintf("t%d", i)), "--poll", "50ms"}
	}

	// A trustee the manifest does not name, and one the manifest names
	// with another encryption key.
	mustCLI(t, "trustee", "init", "--name", "T4", "--dir", filepath.Join(dir, "t4"))
	wantRejected(t, []string{"is not a trustee of election " + id}, trusteeArgs(4, net.url)...)
	lines := strings.Split(members, "\n")
	lines[2], lines[5] = lines[5], lines[2] // T1's identity with T2's encryption key, and the reverse
	mixed := filepath.Join(dir, "mixed.yaml")
	os.WriteFile(mixed, []byte(testManifest(key.Public(), "mixed", strings.Join(lines, "\n"))), 0o644)
	out := mustCLI(t, "election", "create", "--manifest", mixed, "--authority-key", net.authority, "--node", net.url)
	mixedID := electionCreated.FindStringSubmatch(out)[1]
	wantRejected(t, []string{"election " + mixedID + " lists this trustee's identity", "with another encryption key"},
		"trustee", "run", "--node", net.url, "--election", mixedID, "--dir", filepath.Join(dir, "t1"))

	// Another election's manifest under this election's id.
	swapped := lyingNode(t, net.url, "/api/v1/elections/"+id+"/dkg", func(v map[string]any) { v["manifest"] = other.Manifest })
	wantRejected(t, []string{"served a manifest that is not the one of election " + id}, trusteeArgs(1, swapped)...)

	// A joint key that is not the ceremony's: trustee 1 takes part in the
	// ceremony through the lying node, then refuses to derive a share.
	liar, err := tally.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	lie := hex.EncodeToString(liar.Public().Bytes())
	wrongKey := lyingNode(t, net.url, "/api/v1/elections/"+id, func(v map[string]any) {
		if k, ok := v["joint_key"].(string); ok && k != "" {
			v["joint_key"] = lie
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := 2; i <= 3; i++ {
		wg.Go(func() { runCLI(t, ctx, append(trusteeArgs(i, net.url), "--once")...) })
	}
	code, out, errs := runCLI(t, ctx, trusteeArgs(1, wrongKey)...)
	cancel()
	wg.Wait()
	if code != 1 || !strings.Contains(out, "dealt in block") || !strings.Contains(errs, "the ceremony's messages give the joint key") || !strings.Contains(errs, "the node says "+lie) {
		t.Fatalf("trustee 1 behind a node lying about the joint key: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(out, "key ceremony done") {
		t.Fatalf("trustee 1 derived a share for a key the ceremony did not give:\n%s", out)
	}

	// A sealed state whose deal is not the one on the chain (a state from
	// elsewhere): the trustee stops rather than act on it.
	eid, _ := election.ParseID(id)
	m, err := testClient(t, net.url).DKG(t.Context(), eid)
	if err != nil {
		t.Fatal(err)
	}
	man := m.Manifest.Manifest
	params, err := man.DKGParams(eid)
	if err != nil {
		t.Fatal(err)
	}
	deal, _, err := tally.NewDKGDeal(params, 1, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := deal.MarshalBinary()
	store, err := openTrusteeStore(filepath.Join(dir, "t1"), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	store.State.Elections[id].Deal = hex.EncodeToString(db)
	if err := store.Save(); err != nil {
		t.Fatal(err)
	}
	store.Close()
	wantRejected(t, []string{"the chain holds a deal of trustee 1 that is not the one in this trustee's sealed state"}, trusteeArgs(1, net.url)...)
}
