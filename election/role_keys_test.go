package election_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"go.yaml.in/yaml/v3"
)

// roleKey is one role's public key type seen through its text methods.
type roleKey struct {
	role   election.Role
	prefix string
	of     func(*election.PrivateKey) string // the role's text form of a key
	parse  func(string) (election.PublicKey, error)
}

var roleKeys = []roleKey{
	{election.RoleVoter, "evote-voter:", func(k *election.PrivateKey) string { return k.VoterPublic().String() },
		func(s string) (election.PublicKey, error) {
			k, err := election.ParseVoterPublicKey(s)
			return k.Key(), err
		}},
	{election.RoleTrustee, "evote-trustee:", func(k *election.PrivateKey) string { return k.TrusteePublic().String() },
		func(s string) (election.PublicKey, error) {
			k, err := election.ParseTrusteePublicKey(s)
			return k.Key(), err
		}},
	{election.RoleAuthority, "evote-authority:", func(k *election.PrivateKey) string { return k.AuthorityPublic().String() },
		func(s string) (election.PublicKey, error) {
			k, err := election.ParseAuthorityPublicKey(s)
			return k.Key(), err
		}},
}

// Every role's key has one text form, its prefix and 64 lowercase hex
// digits, that parses back to the same key; the "ed25519:" form written
// before the roles had their own still parses; another role's key is
// refused with ErrWrongRole.
func TestRoleKeyTextForms(t *testing.T) {
	k := election.DeriveKey("role keys test")
	hexKey := strings.TrimPrefix(k.Public().String(), "ed25519:")
	for _, r := range roleKeys {
		t.Run(r.role.String(), func(t *testing.T) {
			s := r.of(k)
			if s != r.prefix+hexKey || r.role.Prefix() != r.prefix || r.role.KeyText(k.Public()) != s {
				t.Fatalf("text form %q, want %q", s, r.prefix+hexKey)
			}
			if got, err := r.parse(s); err != nil || got != k.Public() {
				t.Errorf("parse %q: %v", s, err)
			}
			if got, err := r.parse("ed25519:" + hexKey); err != nil || got != k.Public() {
				t.Errorf("the older ed25519: form: %v", err)
			}
			for _, o := range roleKeys {
				if o.role == r.role {
					continue
				}
				_, err := r.parse(o.of(k))
				if !errors.Is(err, election.ErrWrongRole) || !errors.Is(err, election.ErrInvalidKey) {
					t.Errorf("a %s key where a %s key is expected: %v", o.role, r.role, err)
				}
			}
			for _, bad := range []string{
				"", hexKey, r.prefix, r.prefix + hexKey[:62], r.prefix + hexKey + "00",
				r.prefix + strings.ToUpper(hexKey), " " + s, s + " ", "evote-voters:" + hexKey,
				"EVOTE-" + strings.TrimPrefix(s, "evote-"),
				r.prefix + "0100000000000000000000000000000000000000000000000000000000000000", // small order
			} {
				_, err := r.parse(bad)
				if !errors.Is(err, election.ErrInvalidKey) {
					t.Errorf("parse %q: %v", bad, err)
				}
				if errors.Is(err, election.ErrWrongRole) {
					t.Errorf("parse %q: a wrong role, but it names none", bad)
				}
			}
		})
	}
}

// The role types marshal to their text form in JSON and YAML and back, and
// the older form still unmarshals.
func TestRoleKeysMarshalText(t *testing.T) {
	k := election.DeriveKey("role keys marshal")
	type doc struct {
		Voter     election.VoterPublicKey     `json:"voter" yaml:"voter"`
		Trustee   election.TrusteePublicKey   `json:"trustee" yaml:"trustee"`
		Authority election.AuthorityPublicKey `json:"authority" yaml:"authority"`
	}
	in := doc{k.VoterPublic(), k.TrusteePublic(), k.AuthorityPublic()}
	js, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"voter":"` + in.Voter.String() + `","trustee":"` + in.Trustee.String() + `","authority":"` + in.Authority.String() + `"}`
	if string(js) != want {
		t.Errorf("JSON %s, want %s", js, want)
	}
	var back doc
	if err := json.Unmarshal(js, &back); err != nil || back != in {
		t.Errorf("JSON round trip: %v", err)
	}
	ys, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	back = doc{}
	if err := yaml.Unmarshal(ys, &back); err != nil || back != in {
		t.Errorf("YAML round trip of %s: %v", ys, err)
	}
	old := strings.NewReplacer("evote-voter:", "ed25519:", "evote-trustee:", "ed25519:", "evote-authority:", "ed25519:").Replace(string(js))
	back = doc{}
	if err := json.Unmarshal([]byte(old), &back); err != nil || back != in {
		t.Errorf("the older ed25519: forms in %s: %v", old, err)
	}
	swapped := strings.Replace(string(js), `"voter":"evote-voter:`, `"voter":"evote-authority:`, 1)
	if err := json.Unmarshal([]byte(swapped), &back); !errors.Is(err, election.ErrWrongRole) {
		t.Errorf("an authority's key as the voter: %v", err)
	}
	if in.Voter.IsZero() || !(election.VoterPublicKey{}).IsZero() || string(in.Trustee.Bytes()) != string(k.Public().Bytes()) {
		t.Error("IsZero or Bytes")
	}
}

// The binary (canonical) encodings do not depend on the role: a manifest's
// authority and trustees are 32 raw bytes, so its id is the same whichever
// text form its YAML was written in.
func TestRoleKeysKeepManifestID(t *testing.T) {
	m := sampleManifest(t)
	y, err := m.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "authority: evote-authority:") || !strings.Contains(string(y), "identity: evote-trustee:") {
		t.Fatalf("manifest YAML does not use the role forms:\n%s", y)
	}
	old := strings.NewReplacer("evote-authority:", "ed25519:", "evote-trustee:", "ed25519:").Replace(string(y))
	m2, err := election.ParseManifestYAML([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	id1, err1 := m.ID()
	id2, err2 := m2.ID()
	if err1 != nil || err2 != nil || id1 != id2 {
		t.Error("the older text form gives another manifest id")
	}
	wrong := strings.Replace(string(y), "authority: evote-authority:", "authority: evote-trustee:", 1)
	if _, err := election.ParseManifestYAML([]byte(wrong)); !errors.Is(err, election.ErrWrongRole) {
		t.Errorf("a trustee's key as the authority: %v", err)
	}
}

// Private keys cannot be compared with ==: two copies of a secret are
// compared with Equal, in constant time.
func TestPrivateKeysNotComparable(t *testing.T) {
	if reflect.TypeFor[election.PrivateKey]().Comparable() {
		t.Error("election.PrivateKey is comparable with ==")
	}
}

// FuzzParseRoleKey: the parsers never panic, accept only what they write
// (or the older ed25519: form), and a key accepted for one role prints back
// to the input or to that role's form of the same key.
func FuzzParseRoleKey(f *testing.F) {
	k := election.DeriveKey("fuzz role keys")
	for _, r := range roleKeys {
		f.Add(r.of(k))
	}
	f.Add(k.Public().String())
	f.Add("evote-voter:00")
	f.Add("evote-trustee:" + strings.Repeat("ff", 32))
	f.Add("evote-authority:" + strings.Repeat("A", 64))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range roleKeys {
			key, err := r.parse(s)
			if err != nil {
				if !errors.Is(err, election.ErrInvalidKey) {
					t.Fatalf("%s: %q: error %v is not ErrInvalidKey", r.role, s, err)
				}
				continue
			}
			text := r.role.KeyText(key)
			if s != text && s != key.String() {
				t.Fatalf("%s: %q parses, but prints as %q", r.role, s, text)
			}
			if again, err := r.parse(text); err != nil || again != key {
				t.Fatalf("%s: %q does not parse back: %v", r.role, text, err)
			}
		}
	})
}

// A transaction's signer is shown in the form of the role its kind gives
// it, and that text parses back, as does the older form (with no role).
func TestSignerKeyText(t *testing.T) {
	k := election.DeriveKey("signer key")
	for kind, want := range map[election.Kind]string{
		election.KindBallot:           k.VoterPublic().String(),
		election.KindDKGDeal:          k.TrusteePublic().String(),
		election.KindDecryptionShares: k.TrusteePublic().String(),
		election.KindCreateElection:   k.AuthorityPublic().String(),
		election.KindClose:            k.AuthorityPublic().String(),
		election.Kind(200):            k.Public().String(),
	} {
		s := election.SignerOf(kind, k.Public())
		b, err := s.MarshalText()
		if err != nil || string(b) != want {
			t.Errorf("signer of %v: %s, want %s", kind, b, want)
		}
		var back election.SignerKey
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("signer of %v: round trip %+v: %v", kind, back, err)
		}
	}
	var s election.SignerKey
	if err := s.UnmarshalText([]byte("evote-trustee:00")); !errors.Is(err, election.ErrInvalidKey) {
		t.Errorf("a short key: %v", err)
	}
}
