package harness_test

import (
	"context"
	"crypto/sha3"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/nodetest"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

const testManifest = `reference: {{.Reference}}
authority: {{.Authority}}
languages: [en]
title:
  en: Harness test
revoting: true
weights: false
schedule:
  dkg_deals_by: {{.DealsBy}}
  dkg_complaint_window: 1h
  dkg_response_window: 1h
  close: {{.Close}}
trustees:
  threshold: 2
  members:
{{- range .Trustees}}
    - name: {{.Name}}
      identity: {{.Identity}}
      encryption_key: {{.EncryptionKey}}
{{- end}}
contests:
  - type: approval
    min_selections: 1
    max_selections: 2
    title:
      en: Which projects?
    options:
      - {en: Library}
      - {en: Lanes}
      - {en: Pool}
`

func seeded(label string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte("evote/v1/harness-test/" + label))
	return h
}

// playElection runs a whole election through sub: set-up, a ballot from
// each voter and a revote from the first, close, decryption with trustee 3
// offline; it checks the result against the choices.
func playElection(t *testing.T, ctx context.Context, sub harness.Submitter, authority *election.PrivateKey, opts map[int]trustee.Options) {
	t.Helper()
	e, err := harness.Setup(ctx, sub, harness.Spec{Template: testManifest, Reference: t.Name(), Voters: 3, RollBatch: 2,
		Authority: authority, Rand: seeded(t.Name()), TrusteeOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	choices := [][][]uint64{{{1, 0, 0}}, {{0, 1, 1}}, {{1, 1, 0}}}
	for i, c := range choices {
		if _, _, err := e.Cast(ctx, i, c); err != nil {
			t.Fatalf("voter %d: %v", i, err)
		}
	}
	if _, _, err := e.Cast(ctx, 0, [][]uint64{{0, 0, 1}}); err != nil {
		t.Fatalf("revote: %v", err)
	}
	if err := e.Authority.Close(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	e.Trustees[2].Offline = true
	if err := e.Decrypt(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := sub.View(ctx, e.ID, func(*trustee.View) trustee.Wants { return trustee.Wants{Result: true} })
	if err != nil {
		t.Fatal(err)
	}
	if v.Phase != election.PhaseTallied || !slices.Equal(v.Result.Trustees, []uint32{1, 2}) {
		t.Fatalf("phase %s, result from trustees %v", v.Phase, v.Result)
	}
	if r, ok := sub.(interface {
		Result(election.ID) (*election.ResultInfo, error)
	}); ok {
		res, err := r.Result(e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := []uint64{1, 2, 2}; !slices.Equal(res.Contests[0].Totals, want) {
			t.Fatalf("totals %v, want %v", res.Contests[0].Totals, want)
		}
	}
}

// memResult reads the result from the memory machine's store.
type memResult struct{ *harness.Memory }

func (m memResult) Result(id election.ID) (*election.ResultInfo, error) {
	return election.QueryResult(m.Store, id)
}

func TestMemoryElection(t *testing.T) {
	authority := election.DeriveKey("harness authority")
	m, err := harness.NewMemory("harness-test", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), authority.AuthorityPublic())
	if err != nil {
		t.Fatal(err)
	}
	playElection(t, context.Background(), memResult{m}, authority, nil)
}

// A trustee that seals a wrong share is answered by a complaint and the
// share revealed on the chain; the election goes on.
func TestMemoryElectionBadShare(t *testing.T) {
	authority := election.DeriveKey("harness authority")
	m, err := harness.NewMemory("harness-test", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), authority.AuthorityPublic())
	if err != nil {
		t.Fatal(err)
	}
	playElection(t, context.Background(), memResult{m}, authority, map[int]trustee.Options{1: {Fault: trustee.FaultBadShare}})
	d, err := election.QueryDKG(m.Store, mustOnly(t, m.Store))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ComplaintSets) == 0 || len(d.Responses) == 0 {
		t.Fatalf("%d complaint sets, %d responses; want the bad share complained of and answered", len(d.ComplaintSets), len(d.Responses))
	}
}

func mustOnly(t *testing.T, r election.ReadStore) election.ID {
	t.Helper()
	list, err := election.QueryElections(r)
	if err != nil || len(list) != 1 {
		t.Fatalf("%d elections, %v", len(list), err)
	}
	return list[0].ID
}

// A refusal carries its code: a voter not on the roll, a second create.
func TestRefusalsCarryCodes(t *testing.T) {
	ctx := context.Background()
	authority := election.DeriveKey("harness authority")
	m, err := harness.NewMemory("harness-test", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), authority.AuthorityPublic())
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Setup(ctx, m, harness.Spec{Template: testManifest, Reference: "refusals", Voters: 1, Authority: authority, Rand: seeded("refusals")})
	if err != nil {
		t.Fatal(err)
	}
	el, err := e.Wallet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	outsider := &harness.Voter{Key: wallet.NewVoterKey(election.DeriveKey("outsider"))}
	_, _, err = outsider.Cast(ctx, m, el, [][]uint64{{1, 0, 0}}, seeded("outsider"))
	var r *harness.Refused
	if !errors.As(err, &r) || r.Code != election.CodeNotOnRoll || harness.CodeOf(err) != election.CodeNotOnRoll {
		t.Fatalf("outsider's ballot: %v, want %v", err, election.CodeNotOnRoll)
	}
	if _, err := e.Authority.Create(ctx, e.Manifest); harness.CodeOf(err) == election.CodeOK {
		t.Fatalf("a second create: %v, want a refusal", err)
	}
}

// The same election on a node of this process, through its mempool,
// consensus and SQLite store.
func TestNodeElection(t *testing.T) {
	authority := election.DeriveKey("harness node authority")
	n := nodetest.Start(t, "harness-node", authority)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	playElection(t, ctx, nodeResult{harness.Node{N: n}}, authority, nil)
}

type nodeResult struct{ harness.Node }

func (n nodeResult) Result(id election.ID) (*election.ResultInfo, error) {
	return election.QueryResult(n.N.App().Store().Reader(), id)
}

// WriteKeys writes the files `evote sample` and `evote up` keep: the
// manifest, each trustee's identity, encryption key and dealer secret, and
// each voter's key, each readable back.
func TestWriteKeys(t *testing.T) {
	ctx := context.Background()
	authority := election.DeriveKey("harness authority")
	m, err := harness.NewMemory("harness-test", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), authority.AuthorityPublic())
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Setup(ctx, m, harness.Spec{Template: testManifest, Reference: "keys", Voters: 2, Authority: authority, Rand: seeded("keys")})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := e.WriteKeys(dir); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	man, err := election.ParseManifestYAML([]byte(read("manifest.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	if id, err := man.ID(); err != nil || id != e.ID {
		t.Fatalf("manifest.yaml has id %v, the election is %v (%v)", id, e.ID, err)
	}
	for i := 1; i <= 3; i++ {
		k, err := election.ParsePrivateKey(read(fmt.Sprintf("trustee-%d.key", i)))
		if err != nil || k.TrusteePublic() != man.Trustees.Members[i-1].Identity {
			t.Fatalf("trustee-%d.key: %v", i, err)
		}
		var enc tally.TrusteeEncryptionKey
		var sec tally.DealerSecret
		for suffix, v := range map[string]interface{ UnmarshalBinary([]byte) error }{".encryption-key": &enc, ".dealer-secret": &sec} {
			b, err := hex.DecodeString(read(fmt.Sprintf("trustee-%d%s", i, suffix)))
			if err != nil {
				t.Fatal(err)
			}
			if err := v.UnmarshalBinary(b); err != nil {
				t.Fatalf("trustee-%d%s: %v", i, suffix, err)
			}
		}
	}
	for i, v := range e.Voters {
		k, err := wallet.ParseVoterKey(read(fmt.Sprintf("voter-%d.key", i+1)))
		if err != nil || k.Public() != v.Key.Public() {
			t.Fatalf("voter-%d.key: %v", i+1, err)
		}
	}
}
