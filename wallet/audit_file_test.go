package wallet_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
)

// auditFile builds a ballot in the sample election and opens it for audit
// (SpoilBallot), returning the file's JSON and the choices.
func auditFile(t testing.TB) ([]byte, [][]uint64) {
	t.Helper()
	e, _ := sample(t)
	voter, _ := wallet.GenerateVoterKey(stream("audit voter"))
	choices := [][]uint64{{1, 0}, {0, 1, 1, 0, 0}, {5, 0, 3}}
	mj, err := json.Marshal(e.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	a, out, opened, err := wallet.SpoilBallot(e, mj, voter, 3, choices, stream("audit ballot"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(opened, choices, slices.Equal) || a.TrackingCode == "" || !strings.HasSuffix(string(out), "}\n") {
		t.Fatalf("SpoilBallot: opened %v for %v, tracking code %q", opened, choices, a.TrackingCode)
	}
	// The same ballot, built and opened step by step, is the same file.
	b, err := wallet.BuildBallot(e, voter, 3, choices, stream("audit ballot"))
	if err != nil {
		t.Fatal(err)
	}
	af, err := wallet.NewAuditFile(e, mj, voter.Public(), b)
	if err != nil {
		t.Fatal(err)
	}
	if step, _ := json.MarshalIndent(af, "", "  "); string(step)+"\n" != string(out) {
		t.Fatal("SpoilBallot's file is not NewAuditFile's of the same ballot")
	}
	return out[:len(out)-1], choices
}

func TestAuditFile(t *testing.T) {
	raw, choices := auditFile(t)
	a, err := wallet.ParseAuditFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Check()
	if err != nil {
		t.Fatal(err)
	}
	for i := range choices {
		if !slices.Equal(got[i], choices[i]) {
			t.Fatalf("contest %d opens to %v, chosen %v", i, got[i], choices[i])
		}
	}
	// Written again, it is the same file.
	again, _ := json.MarshalIndent(a, "", "  ")
	if string(again) != string(raw) {
		t.Errorf("re-encoded audit file differs:\n%s\n%s", again, raw)
	}

	// edit decodes the file as generic JSON, changes it and encodes it.
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	contest := func(m map[string]any, i int) map[string]any {
		return m["contests"].([]any)[i].(map[string]any)
	}
	// Changes that leave the file well formed but make the ballot fail its
	// audit: the shown choices or randomness are not what it encrypts, the
	// joint key or voter is another, the sequence number is not the ballot's.
	for name, b := range map[string][]byte{
		"a choice changed": edit(func(m map[string]any) {
			contest(m, 0)["choices"] = []any{0, 1}
		}),
		"a score changed": edit(func(m map[string]any) {
			contest(m, 2)["choices"] = []any{4, 0, 3}
		}),
		"a randomness value changed": edit(func(m map[string]any) {
			r := contest(m, 1)["randomness"].([]any)
			r[2] = "0100000000000000000000000000000000000000000000000000000000000000"
		}),
		"randomness of two options swapped": edit(func(m map[string]any) {
			r := contest(m, 1)["randomness"].([]any)
			r[0], r[1] = r[1], r[0]
		}),
		"another voter": edit(func(m map[string]any) {
			k, _ := wallet.GenerateVoterKey(stream("someone else"))
			m["voter"] = k.Public().String()
		}),
		"another joint key": edit(func(m map[string]any) {
			m["joint_key"] = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
		}),
		"another chain": edit(func(m map[string]any) { m["chain_id"] = "other-chain" }),
		"another seq":   edit(func(m map[string]any) { m["seq"] = 4 }),
	} {
		a, err := wallet.ParseAuditFile(b)
		if err != nil {
			t.Errorf("%s: does not parse: %v", name, err)
			continue
		}
		if _, err := a.Check(); !errors.Is(err, wallet.ErrAudit) {
			t.Errorf("%s: Check = %v, want ErrAudit", name, err)
		}
	}
	// Contest by contest: only the changed contest fails.
	b := edit(func(m map[string]any) { contest(m, 2)["choices"] = []any{4, 0, 3} })
	a, err = wallet.ParseAuditFile(b)
	if err != nil {
		t.Fatal(err)
	}
	got, errs, err := a.CheckEach()
	if err != nil || errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], wallet.ErrAudit) || !slices.Equal(got[1], choices[1]) {
		t.Fatalf("CheckEach: %v, %v", errs, err)
	}
	// Changes that make the file malformed.
	for name, b := range map[string][]byte{
		"version":           edit(func(m map[string]any) { m["version"] = "evote/v2/ballot-audit" }),
		"unknown field":     edit(func(m map[string]any) { m["note"] = "x" }),
		"manifest text":     edit(func(m map[string]any) { m["manifest"].(map[string]any)["reference"] = "other" }),
		"election id":       edit(func(m map[string]any) { m["election"] = strings.Repeat("ab", 32) }),
		"tracking code":     edit(func(m map[string]any) { m["tracking_code"] = strings.Repeat("00", 32) }),
		"ballot":            edit(func(m map[string]any) { m["ballot"] = "AAAA" }),
		"ballot not base64": edit(func(m map[string]any) { m["ballot"] = "!!" }),
		"missing contest":   edit(func(m map[string]any) { m["contests"] = m["contests"].([]any)[:2] }),
		"missing choice":    edit(func(m map[string]any) { contest(m, 0)["choices"] = []any{1} }),
		"uppercase hex": edit(func(m map[string]any) {
			contest(m, 0)["randomness"].([]any)[0] = strings.ToUpper(contest(m, 0)["randomness"].([]any)[0].(string))
		}),
		"non-canonical":      edit(func(m map[string]any) { contest(m, 0)["randomness"].([]any)[0] = strings.Repeat("ff", 32) }),
		"joint key":          edit(func(m map[string]any) { m["joint_key"] = "00" }),
		"no joint key":       edit(func(m map[string]any) { delete(m, "joint_key") }),
		"no chain":           edit(func(m map[string]any) { m["chain_id"] = "" }),
		"voter":              edit(func(m map[string]any) { m["voter"] = "ed25519:" + strings.Repeat("00", 32) }),
		"trailing data":      append(append([]byte{}, raw...), []byte(" {}")...),
		"not JSON":           []byte("evote"),
		"negative choice":    edit(func(m map[string]any) { contest(m, 0)["choices"] = []any{-1, 0} }),
		"too large":          make([]byte, wallet.MaxAuditFileSize+1),
		"randomness missing": edit(func(m map[string]any) { contest(m, 0)["randomness"] = []any{} }),
	} {
		if _, err := wallet.ParseAuditFile(b); !errors.Is(err, wallet.ErrAuditFile) {
			t.Errorf("%s: %v, want ErrAuditFile", name, err)
		}
	}
}

func TestElectionFromJSON(t *testing.T) {
	e, _ := sample(t)
	mj, _ := json.Marshal(e.Manifest)
	key := hex.EncodeToString(e.JointKey.Bytes())
	got, err := wallet.ElectionFromJSON("evote-test", e.ID, mj, key)
	if err != nil || got.ID != e.ID || !got.JointKey.Equal(e.JointKey) || got.ChainID != "evote-test" {
		t.Fatalf("ElectionFromJSON: %v", err)
	}
	var other election.ID
	other[0] = 1
	if _, err := wallet.ElectionFromJSON("evote-test", other, mj, key); !errors.Is(err, election.ErrInvalidManifest) {
		t.Errorf("a manifest under another id: %v", err)
	}
	if _, err := wallet.ElectionFromJSON("evote-test", e.ID, mj, ""); !errors.Is(err, election.ErrInvalidKey) {
		t.Errorf("no joint key: %v", err)
	}
	if _, err := wallet.ElectionFromJSON("evote-test", e.ID, mj, "zz"); !errors.Is(err, election.ErrInvalidKey) {
		t.Errorf("a joint key not in hex: %v", err)
	}
	if _, err := wallet.ElectionFromJSON("evote-test", e.ID, nil, key); !errors.Is(err, election.ErrInvalidManifest) {
		t.Errorf("no manifest: %v", err)
	}
}

func FuzzParseAuditFile(f *testing.F) {
	raw, _ := auditFile(f)
	f.Add(raw)
	f.Add([]byte(`{"version":"evote/v1/ballot-audit"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := wallet.ParseAuditFile(b)
		if err != nil {
			if !errors.Is(err, wallet.ErrAuditFile) {
				t.Fatalf("error not wrapping ErrAuditFile: %v", err)
			}
			return
		}
		if _, err := a.Check(); err != nil && !errors.Is(err, wallet.ErrAudit) {
			t.Fatalf("Check error not wrapping ErrAudit: %v", err)
		}
	})
}

// TestAuditFileSpec: the fields of an audit file are those that
// docs/spec/audit-file.md lists, no more and no fewer.
func TestAuditFileSpec(t *testing.T) {
	spec, err := os.ReadFile("../docs/spec/audit-file.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, line := range strings.Split(string(spec), "\n") {
		if f, ok := strings.CutPrefix(line, "| `"); ok {
			if name, _, ok := strings.Cut(f, "`"); ok {
				documented = append(documented, name)
			}
		}
	}
	raw, _ := auditFile(t)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var actual []string
	for k := range m {
		actual = append(actual, k)
	}
	for k := range m["contests"].([]any)[0].(map[string]any) {
		actual = append(actual, "contests[i]."+k)
	}
	slices.Sort(documented)
	slices.Sort(actual)
	if !slices.Equal(documented, actual) {
		t.Fatalf("the spec lists %v, the file has %v", documented, actual)
	}
	if m["version"] != wallet.AuditFileTag || !strings.Contains(string(spec), "# Ballot audit file ("+wallet.AuditFileTag+")") {
		t.Fatalf("version tag %v", m["version"])
	}
}
