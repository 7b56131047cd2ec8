package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/wallet"
)

// TestSmallOrderKeys checks election's list of small-order Ed25519 keys
// against edwards25519: every listed y is the y of a point of order
// dividing 8, and every such point (the eight multiples of a point of order
// 8) is listed. A signature by a small-order key can be forged, so the roll
// and the manifest refuse them.
func TestSmallOrderKeys(t *testing.T) {
	list := election.SmallOrderKeys()
	listed := func(b []byte) bool {
		y := bytes.Clone(b)
		y[31] &= 0x7f
		for _, k := range list {
			if bytes.Equal(k, y) {
				return true
			}
		}
		return false
	}
	var order8 *edwards25519.Point
	for _, k := range list {
		p, err := new(edwards25519.Point).SetBytes(k)
		if err != nil {
			t.Fatalf("%x is not a point: %v", k, err)
		}
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Errorf("%x is not of small order", k)
		}
		q := new(edwards25519.Point).Add(p, p) // 2P
		q.Add(q, q)                            // 4P
		if q.Equal(edwards25519.NewIdentityPoint()) != 1 {
			order8 = p
		}
	}
	if order8 == nil {
		t.Fatal("no point of order 8 in the list")
	}
	acc := edwards25519.NewIdentityPoint()
	for k := 0; k < 8; k++ {
		if !listed(acc.Bytes()) {
			t.Errorf("%d·T (%x) of small order is not listed", k, acc.Bytes())
		}
		if _, err := election.PublicKeyFromBytes(acc.Bytes()); err == nil {
			t.Errorf("%d·T (%x) accepted as a public key", k, acc.Bytes())
		}
		acc = new(edwards25519.Point).Add(acc, order8)
	}
	// An ordinary key is accepted.
	if _, err := election.PublicKeyFromBytes(edwards25519.NewGeneratorPoint().Bytes()); err != nil {
		t.Errorf("the base point is refused: %v", err)
	}
}

// Files written before each role's key had its own text form (2026-12-04,
// docs/spec/keys.md) hold keys as "ed25519:": they still read, as the same
// keys, and give the same manifest id as the files written since.
func TestOlderKeyFormsStillRead(t *testing.T) {
	root := moduleRoot(t)
	old, err := os.ReadFile(filepath.Join(root, "election", "testdata", "city-referendum.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(old, []byte("authority: ed25519:")) || !bytes.Contains(old, []byte("identity: ed25519:")) {
		t.Fatal("the sample manifest no longer holds the older form: keep a file that does")
	}
	m, err := election.ParseManifestYAML(old)
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(y, []byte("ed25519:")) || !bytes.Contains(y, []byte("authority: evote-authority:")) {
		t.Errorf("the manifest is written back with the older form:\n%s", y)
	}
	m2, err := election.ParseManifestYAML(y)
	if err != nil {
		t.Fatal(err)
	}
	id1, err1 := m.ID()
	id2, err2 := m2.ID()
	if err1 != nil || err2 != nil || id1 != id2 || m2.Authority != m.Authority {
		t.Errorf("the two text forms give ids %v and %v (%v, %v)", id1, id2, err1, err2)
	}

	// A record exported before holds the genesis authorities in the older
	// form (test/testdata/record-before-role-keys.json, kept as it was
	// written).
	rec, err := os.ReadFile(filepath.Join(root, "test", "testdata", "record-before-role-keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := observer.Verify(t.Context(), bytes.NewReader(rec), observer.VerifyOptions{}); err != nil {
		t.Errorf("a record written before the role keys no longer verifies: %v", err)
	}
	var r struct {
		Genesis struct {
			AppState json.RawMessage `json:"app_state"`
		} `json:"genesis"`
	}
	if err := json.Unmarshal(rec, &r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(r.Genesis.AppState, []byte(`"ed25519:`)) {
		t.Fatal("the sample record no longer holds the older form: keep a file that does")
	}
	g, err := election.ParseGenesis(r.Genesis.AppState)
	if err != nil || len(g.Authorities) == 0 {
		t.Fatalf("genesis of the older form: %v", err)
	}
	if !strings.Contains(string(r.Genesis.AppState), strings.TrimPrefix(g.Authorities[0].String(), "evote-authority:")) {
		t.Error("the older form reads as another key")
	}
}

// A key of one role is refused where another role's is expected, in every
// file that holds keys: a trustee's key in a genesis, a voter's as a
// manifest's trustee.
func TestKeyOfAnotherRoleRefused(t *testing.T) {
	k := election.DeriveKey("wrong role")
	if _, err := election.ParseGenesis([]byte(`{"chain_id":"c","authorities":["` + k.TrusteePublic().String() + `"]}`)); !errors.Is(err, election.ErrWrongRole) {
		t.Errorf("a trustee's key as a genesis authority: %v", err)
	}
	root := moduleRoot(t)
	old, err := os.ReadFile(filepath.Join(root, "election", "testdata", "city-referendum.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(old), "identity: ed25519:", "identity: evote-voter:", 1)
	if _, err := election.ParseManifestYAML([]byte(bad)); !errors.Is(err, election.ErrWrongRole) || !errors.Is(err, election.ErrInvalidManifest) {
		t.Errorf("a voter's key as a trustee's identity: %v", err)
	}
	if _, err := wallet.ParseVoterPublicKey(k.AuthorityPublic().String()); !errors.Is(err, election.ErrWrongRole) {
		t.Errorf("an authority's key as a voter's: %v", err)
	}
}

// Private keys are not comparable with ==: comparing secrets goes through
// Equal (tailscale's types/key does the same).
func TestPrivateKeysAreNotComparable(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[election.PrivateKey](), reflect.TypeFor[wallet.VoterKey]()} {
		if typ.Comparable() {
			t.Errorf("%v is comparable with ==", typ)
		}
	}
}
