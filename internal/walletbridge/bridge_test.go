package walletbridge_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/walletbridge"
	"github.com/evote/evote/wallet"
)

const template = `reference: {{.Reference}}
authority: {{.Authority}}
languages: [en]
title: {en: Bridge test}
revoting: true
weights: false
schedule: {dkg_deals_by: {{.DealsBy}}, dkg_complaint_window: 1h, dkg_response_window: 1h}
trustees:
  threshold: 2
  members:
{{- range .Trustees}}
    - {name: {{.Name}}, identity: {{.Identity}}, encryption_key: {{.EncryptionKey}}}
{{- end}}
contests:
  - {type: plurality, min_selections: 0, title: {en: Q1}, options: [{en: Yes}, {en: No}]}
  - {type: score, min_selections: 0, max_selections: 6, max_per_option: 3, title: {en: Q2}, options: [{en: A}, {en: B}]}
`

// fast sealing for the tests; the browser uses wallet.DefaultKDF.
var fast = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func call(t *testing.T, b *walletbridge.Bridge, op string, args any) walletbridge.Answer {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	var a walletbridge.Answer
	if err := json.Unmarshal(b.Call(op, raw), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func mustOK(t *testing.T, a walletbridge.Answer) walletbridge.Answer {
	t.Helper()
	if !a.OK {
		t.Fatalf("%s: %s", a.Error, a.Message)
	}
	return a
}

// TestKeystore: the bridge's keystore is the CLI's: what it seals opens
// with wallet.OpenKeystore, and a keystore sealed by package wallet opens
// and merges in it; failures are named.
func TestKeystore(t *testing.T) {
	b := &walletbridge.Bridge{KDF: fast}
	if a := call(t, b, "generate", map[string]string{"name": "a"}); a.Error != "locked" {
		t.Fatalf("generate while locked: %+v", a)
	}
	mustOK(t, call(t, b, "create", nil))
	gen := mustOK(t, call(t, b, "generate", map[string]string{"name": "alice"}))
	if a := call(t, b, "generate", map[string]string{"name": "alice"}); a.Error != "key_exists" {
		t.Fatalf("a second alice: %+v", a)
	}
	if a := call(t, b, "generate", map[string]string{"name": "-x"}); a.Error != "key_name" {
		t.Fatalf("a bad name: %+v", a)
	}
	k, _ := wallet.GenerateVoterKey(rand.Reader)
	text, _ := k.MarshalText()
	mustOK(t, call(t, b, "import_text", map[string]string{"name": "bob", "text": string(text)}))
	if a := call(t, b, "import_text", map[string]string{"name": "x", "text": "evote-voter:00"}); a.Error != "invalid_key" {
		t.Fatalf("a public key as a secret: %+v", a)
	}
	sealed := mustOK(t, call(t, b, "seal", map[string]string{"passphrase": "pw"})).Sealed
	ks, err := wallet.OpenKeystore([]byte("pw"), sealed)
	if err != nil {
		t.Fatal(err)
	}
	if pub, _ := ks.Key("alice"); pub.Public().String() != gen.Key.Public {
		t.Fatal("the sealed alice is another key")
	}

	other := wallet.NewKeystore()
	if _, err := other.Generate("carol", rand.Reader); err != nil {
		t.Fatal(err)
	}
	cli, err := wallet.SealKeystore(other, []byte("cli"), fast, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if a := call(t, b, "import_file", map[string]any{"sealed": cli, "passphrase": "wrong"}); a.Error != "passphrase" {
		t.Fatalf("a wrong passphrase: %+v", a)
	}
	if a := mustOK(t, call(t, b, "import_file", map[string]any{"sealed": cli, "passphrase": "cli"})); len(a.Added) != 1 || len(a.Keys) != 3 {
		t.Fatalf("the merge: %+v", a)
	}
	mustOK(t, call(t, b, "lock", nil))
	if a := call(t, b, "open", map[string]any{"sealed": sealed, "passphrase": "nope"}); a.Error != "passphrase" {
		t.Fatalf("open with a wrong passphrase: %+v", a)
	}
	if a := mustOK(t, call(t, b, "open", map[string]any{"sealed": sealed, "passphrase": "pw"})); len(a.Keys) != 2 {
		t.Fatalf("reopened: %+v", a.Keys)
	}

	// Other bytes (the page's receipts) are sealed the same way.
	data := mustOK(t, call(t, b, "seal_data", map[string]any{"passphrase": "pw", "data": []byte("receipts")})).Sealed
	if pt, err := wallet.Open([]byte("pw"), data); err != nil || string(pt) != "receipts" {
		t.Fatalf("wallet.Open of sealed data: %q, %v", pt, err)
	}
	if a := call(t, b, "open_data", map[string]any{"passphrase": "no", "sealed": data}); a.Error != "passphrase" {
		t.Fatalf("open_data with a wrong passphrase: %+v", a)
	}
	if a := mustOK(t, call(t, b, "open_data", map[string]any{"passphrase": "pw", "sealed": data})); string(a.Data) != "receipts" {
		t.Fatalf("open_data: %q", a.Data)
	}
}

// TestBallots: the election is checked against its id; ballots follow
// the contests' rules; a spoiled ballot's audit file checks.
func TestBallots(t *testing.T) {
	ctx := context.Background()
	authority := election.DeriveKey("bridge authority")
	m, err := harness.NewMemory("bridge-test", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), authority.AuthorityPublic())
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Setup(ctx, m, harness.Spec{Template: template, Reference: "bridge", Voters: 1, Authority: authority})
	if err != nil {
		t.Fatal(err)
	}
	el, err := e.Wallet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	detail := api.ElectionDetail{ID: e.ID, Manifest: e.Manifest, JointKey: el.JointKey, Phase: election.PhaseOpen}

	b := &walletbridge.Bridge{KDF: fast}
	mustOK(t, call(t, b, "create", nil))
	mustOK(t, call(t, b, "generate", map[string]string{"name": "v"}))
	if a := call(t, b, "ballot", map[string]any{"key": "v", "seq": 1, "choices": [][]uint64{{1, 0}, {3, 3}}}); a.Error != "no_election" {
		t.Fatalf("a ballot before the election: %+v", a)
	}
	other, _ := election.ParseID("00" + e.ID.String()[2:])
	if other == e.ID {
		other, _ = election.ParseID("11" + e.ID.String()[2:])
	}
	if a := call(t, b, "election", map[string]any{"chain_id": "bridge-test", "id": other.String(), "detail": detail}); a.Error != "invalid_manifest" {
		t.Fatalf("a manifest of another id: %+v", a)
	}
	info := mustOK(t, call(t, b, "election", map[string]any{"chain_id": "bridge-test", "id": e.ID.String(), "detail": detail})).Election
	if len(info.Contests) != 2 || info.Contests[1].Type != "score" || info.Contests[1].MaxPerOption != 3 {
		t.Fatalf("the contests: %+v", info.Contests)
	}
	if a := call(t, b, "ballot", map[string]any{"key": "v", "seq": 1, "choices": [][]uint64{{1, 1}, {0, 0}}}); a.Error != "invalid_choice" {
		t.Fatalf("two choices in a plurality contest: %+v", a)
	}
	bal := mustOK(t, call(t, b, "ballot", map[string]any{"key": "v", "seq": 1, "choices": [][]uint64{{0, 0}, {3, 2}}}))
	if len(bal.Tx) == 0 || len(bal.TrackingCode) != 64 {
		t.Fatalf("the ballot: %+v", bal)
	}
	spoiled := mustOK(t, call(t, b, "spoil", map[string]any{"key": "v", "seq": 2, "choices": [][]uint64{{1, 0}, {1, 0}}}))
	af, err := wallet.ParseAuditFile([]byte(spoiled.AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	if opened, err := af.Check(); err != nil || opened[0][0] != 1 || opened[1][0] != 1 {
		t.Fatalf("the audit file opens to %v, %v", opened, err)
	}
}
