package consolebridge

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

// testKDF keeps the tests fast; the pages seal with wallet.DefaultKDF.
var testKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

var authority = election.DeriveKey("console/authority")

// trusteeLines are two trustees' lines as `evote trustee init` prints
// them (indented by four spaces), one after the other.
func trusteeLines(t *testing.T, n int) string {
	var b strings.Builder
	for i := range n {
		id := election.DeriveKey(fmt.Sprintf("console/trustee-%d", i))
		enc, err := tally.GenerateTrusteeEncryptionKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "    - name: %q\n      identity: %s\n      encryption_key: %s\n", fmt.Sprintf("Trustee %d", i+1), id.TrusteePublic(), election.EncryptionKeyOf(enc.Public()))
	}
	return b.String()
}

func en(s string) map[string]string { return map[string]string{"en": s, "fr": s + " (fr)"} }

// validForm is a two-contest election: a plurality and an approval.
func validForm(t *testing.T) *Form {
	return &Form{
		Reference: "console-test",
		Languages: []string{"en", "fr"},
		Title:     en("Test election"),
		Revoting:  true,
		Schedule:  FormSchedule{DKGDealsBy: "2030-03-01T12:00:00Z", DKGComplaintWindow: "1h", DKGResponseWindow: "1h"},
		Threshold: "2",
		Trustees:  trusteeLines(t, 3),
		Contests: []FormContest{
			{Type: "plurality", Title: en("Mayor"), Options: []map[string]string{en("Ada"), en("Bob")}},
			{Type: "approval", Title: en("Projects"), Blank: true, MaxSelections: "2",
				Options: []map[string]string{en("Library"), en("Park"), en("Pool")}},
		},
	}
}

func call(t *testing.T, b *Bridge, op string, a any) *Answer {
	t.Helper()
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var ans Answer
	if err := json.Unmarshal(b.Call(op, raw), &ans); err != nil {
		t.Fatal(err)
	}
	return &ans
}

func unlocked(t *testing.T) *Bridge {
	b := &Bridge{KDF: testKDF}
	text, _ := authority.MarshalText()
	if ans := call(t, b, "import_text", map[string]string{"text": string(text) + "\n"}); !ans.OK {
		t.Fatalf("import_text: %+v", ans)
	}
	return b
}

// TestAuthorityKeystoreLayout builds the plaintext by hand from
// docs/spec/keystore.md and checks the vector printed there.
func TestAuthorityKeystoreLayout(t *testing.T) {
	seed := bytes.Repeat([]byte{0x01}, 32)
	k, err := election.NewKeyFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{22}, "evote/v1/authority-key"...)
	want = append(want, seed...)
	if got := EncodeAuthority(k); !bytes.Equal(got, want) {
		t.Fatalf("plaintext %x, want %x", got, want)
	}
	const vector = "1665766f74652f76312f617574686f726974792d6b65790101010101010101010101010101010101010101010101010101010101010101"
	if hex.EncodeToString(want) != vector {
		t.Errorf("the vector of docs/spec/keystore.md is %s, the layout gives %x", vector, want)
	}
	back, err := DecodeAuthority(want)
	if err != nil || !back.Equal(k) {
		t.Fatalf("decode: %v", err)
	}
	for _, bad := range [][]byte{want[:len(want)-1], append(bytes.Clone(want), 0), append([]byte{17}, want[1:]...), nil} {
		if _, err := DecodeAuthority(bad); !errors.Is(err, ErrAuthorityKeystore) {
			t.Errorf("%x: %v, want ErrAuthorityKeystore", bad, err)
		}
	}
}

func TestSealOpen(t *testing.T) {
	b := unlocked(t)
	ans := call(t, b, "seal", map[string]string{"passphrase": "pass phrase"})
	if !ans.OK || len(ans.Sealed) == 0 || ans.Authority != authority.AuthorityPublic().String() {
		t.Fatalf("seal: %+v", ans)
	}
	sealed := ans.Sealed
	if ans := call(t, b, "lock", nil); !ans.OK {
		t.Fatal(ans)
	}
	if ans := call(t, b, "seal", map[string]string{"passphrase": "x"}); ans.Error != "locked" {
		t.Errorf("seal while locked: %+v", ans)
	}
	if ans := call(t, b, "open", map[string]any{"sealed": sealed, "passphrase": "wrong"}); ans.Error != "passphrase" {
		t.Errorf("wrong passphrase: %+v", ans)
	}
	if ans := call(t, b, "open", map[string]any{"sealed": sealed[:20], "passphrase": "pass phrase"}); ans.Error != "sealed" {
		t.Errorf("truncated: %+v", ans)
	}
	if ans := call(t, b, "open", map[string]any{"sealed": sealed, "passphrase": "pass phrase"}); !ans.OK || ans.Authority != authority.AuthorityPublic().String() {
		t.Errorf("open: %+v", ans)
	}
	if ans := call(t, b, "seal", map[string]string{"passphrase": ""}); ans.Error != "passphrase" {
		t.Errorf("empty passphrase: %+v", ans)
	}
	// A voter's keystore is sealed the same way but is not an authority key.
	voter, err := wallet.SealKeystore(wallet.NewKeystore(), []byte("p"), testKDF, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if ans := call(t, b, "open", map[string]any{"sealed": voter, "passphrase": "p"}); ans.Error != "not_authority_keystore" {
		t.Errorf("voter keystore: %+v", ans)
	}
}

func TestImportRejects(t *testing.T) {
	b := &Bridge{KDF: testKDF}
	for _, text := range []string{"", "ed25519-secret:zz", "evote-voter-secret:" + strings.Repeat("00", 32), authority.AuthorityPublic().String()} {
		if ans := call(t, b, "import_text", map[string]string{"text": text}); ans.OK || ans.Error != "invalid_key" {
			t.Errorf("%q: %+v", text, ans)
		}
	}
	for _, op := range []string{"check", "create", "append", "open_election", "close"} {
		if ans := call(t, b, op, map[string]any{}); ans.Error != "locked" {
			t.Errorf("%s while locked: %+v", op, ans)
		}
	}
	if ans := call(t, unlocked(t), "nonsense", nil); ans.Error != "unknown_call" {
		t.Errorf("unknown op: %+v", ans)
	}
}

// TestCheckRoundTrip: the preview is YAML that `evote election create`'s
// parser reads back to the same manifest (same id), and the create
// transaction carries it, signed by the authority.
func TestCheckRoundTrip(t *testing.T) {
	b := unlocked(t)
	ans := call(t, b, "check", map[string]any{"form": validForm(t)})
	if !ans.OK {
		t.Fatalf("check: %+v", ans)
	}
	m, err := election.ParseManifestYAML([]byte(ans.YAML))
	if err != nil {
		t.Fatalf("the preview does not parse: %v\n%s", err, ans.YAML)
	}
	id, _ := m.ID()
	if id.String() != ans.ID {
		t.Errorf("preview's id %v, answer's %s", id, ans.ID)
	}
	if m.Authority != authority.AuthorityPublic() || m.Trustees.Threshold != 2 || len(m.Trustees.Members) != 3 || !m.Revoting {
		t.Errorf("manifest %+v", m)
	}
	c := m.Contests
	if len(c) != 2 || c[0].Type != election.Plurality || c[0].MinSelections != 1 || c[1].Type != election.Approval ||
		c[1].MinSelections != 0 || c[1].MaxSelections != 2 || len(c[1].Options) != 3 || c[1].Options[2]["fr"] != "Pool (fr)" {
		t.Errorf("contests %+v", c)
	}
	if ans := call(t, b, "create", map[string]any{"form": validForm(t)}); ans.Error != "no_chain_id" {
		t.Errorf("create without chain id: %+v", ans)
	}
	cr := call(t, b, "create", map[string]any{"form": validForm(t), "chain_id": "evote-test"})
	if !cr.OK {
		t.Fatalf("create: %+v", cr)
	}
	tx, err := election.DecodeTx(cr.Tx)
	if err != nil || tx.Kind != election.KindCreateElection || !tx.Verify("evote-test") || tx.Signer != authority.Public() {
		t.Fatalf("create tx: %v %+v", err, tx)
	}
	body, err := election.DecodeBody(tx.Kind, tx.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := body.(*election.CreateElectionBody).Manifest.ID(); got.String() != cr.ID {
		t.Errorf("the transaction's manifest is election %v, not %s", got, cr.ID)
	}
}

// TestYAMLForm: the sample manifest uploaded fills the form, which gives
// back the same election (its authority replaced by the console's).
func TestYAMLForm(t *testing.T) {
	y, err := os.ReadFile("../../election/testdata/city-referendum.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b := unlocked(t)
	ans := call(t, b, "yaml_form", map[string]string{"yaml": string(y)})
	if !ans.OK || ans.Form == nil {
		t.Fatalf("yaml_form: %+v", ans)
	}
	if len(ans.Problems) != 1 || ans.Problems[0].Field != "authority" || ans.Problems[0].Code != "other_authority" {
		t.Errorf("another authority's file: problems %+v", ans.Problems)
	}
	want, err := election.ParseManifestYAML(y)
	if err != nil {
		t.Fatal(err)
	}
	want.Authority = authority.AuthorityPublic()
	wantID, _ := want.ID()
	c := call(t, b, "check", map[string]any{"form": ans.Form})
	if !c.OK || c.ID != wantID.String() {
		t.Fatalf("the form of the file: %+v, want id %v", c, wantID)
	}
	for _, bad := range []string{"title: [", "unknown_field: 1\n", "contests: 3\n"} {
		if ans := call(t, b, "yaml_form", map[string]string{"yaml": bad}); ans.OK || ans.Error != "invalid_manifest" {
			t.Errorf("%q: %+v", bad, ans)
		}
	}
}

// TestFormProblems: each mistake is reported at its field, several at
// once, and nothing is signed.
func TestFormProblems(t *testing.T) {
	b := unlocked(t)
	for _, c := range []struct {
		name   string
		change func(f *Form)
		fields []string
	}{
		{"threshold above the trustees", func(f *Form) { f.Threshold = "4" }, []string{"trustees.threshold"}},
		{"threshold 0", func(f *Form) { f.Threshold = "0" }, []string{"trustees.threshold"}},
		{"threshold missing", func(f *Form) { f.Threshold = "" }, []string{"trustees.threshold"}},
		{"threshold not a number", func(f *Form) { f.Threshold = "two" }, []string{"trustees.threshold"}},
		{"approval maximum above the options", func(f *Form) { f.Contests[1].MaxSelections = "4" }, []string{"contests[1].max_selections"}},
		{"approval minimum above the maximum", func(f *Form) {
			f.Contests[1].Blank = false
			f.Contests[1].MinSelections = "3"
		}, []string{"contests[1].max_selections"}},
		{"blank with a minimum", func(f *Form) { f.Contests[1].MinSelections = "1" }, []string{"contests[1].min_selections"}},
		{"no blank and minimum 0", func(f *Form) {
			f.Contests[1].Blank = false
			f.Contests[1].MinSelections = "0"
		}, []string{"contests[1].min_selections"}},
		{"approval per-option maximum", func(f *Form) { f.Contests[1].MaxPerOption = "2" }, []string{"contests[1].max_per_option"}},
		{"cumulative without points", func(f *Form) {
			f.Contests[1].Type = "cumulative"
			f.Contests[1].MaxSelections = ""
			f.Contests[1].MaxPerOption = "3"
		}, []string{"contests[1].max_selections"}},
		{"unknown type", func(f *Form) { f.Contests[0].Type = "ranked" }, []string{"contests[0].type"}},
		{"option missing a language", func(f *Form) { f.Contests[0].Options[1] = map[string]string{"en": "Bob"} }, []string{"contests[0].options[1]"}},
		{"empty option", func(f *Form) { f.Contests[1].Options[0]["fr"] = "  " }, []string{"contests[1].options[0].fr"}},
		{"no contest", func(f *Form) { f.Contests = nil }, []string{"contests"}},
		{"empty title", func(f *Form) { f.Title["en"] = "" }, []string{"title.en"}},
		{"bad language", func(f *Form) { f.Languages = []string{"en", "f"} }, []string{"languages[1]"}},
		{"bad time", func(f *Form) { f.Schedule.DKGDealsBy = "tomorrow" }, []string{"schedule.dkg_deals_by"}},
		{"bad window", func(f *Form) { f.Schedule.DKGComplaintWindow = "1.5s" }, []string{"schedule.dkg_complaint_window"}},
		{"close before open", func(f *Form) {
			f.Schedule.Open = "2030-03-10T19:00:00Z"
			f.Schedule.Close = "2030-03-10T07:00:00Z"
		}, []string{"schedule.close"}},
		{"no trustees", func(f *Form) { f.Trustees = "" }, []string{"trustees.members"}},
		{"trustee lines not YAML", func(f *Form) { f.Trustees = "- name: [" }, []string{"trustees.members"}},
		{"trustee key of another role", func(f *Form) {
			f.Trustees = strings.Replace(f.Trustees, "evote-trustee:", "evote-voter:", 1)
		}, []string{"trustees.members[0].identity"}},
		{"trustee listed twice", func(f *Form) { f.Trustees += trusteeLinesOf(f.Trustees, 0) }, []string{"trustees.members[3].identity"}},
		{"three at once", func(f *Form) {
			f.Threshold = "9"
			f.Contests[1].MaxSelections = "5"
			f.Schedule.DKGResponseWindow = "soon"
		}, []string{"trustees.threshold", "contests[1].max_selections", "schedule.dkg_response_window"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := validForm(t)
			c.change(f)
			for _, op := range []string{"check", "create"} {
				ans := call(t, b, op, map[string]any{"form": f, "chain_id": "evote-test"})
				if ans.OK || ans.Error != "problems" || len(ans.Tx) != 0 {
					t.Fatalf("%s: %+v", op, ans)
				}
				var got []string
				for _, p := range ans.Problems {
					got = append(got, p.Field)
					if p.Message == "" || p.Code == "" {
						t.Errorf("problem without a message or a code: %+v", p)
					}
				}
				for _, want := range c.fields {
					found := false
					for _, g := range got {
						found = found || g == want
					}
					if !found {
						t.Errorf("%s: problems at %q, want one at %q (%+v)", op, got, want, ans.Problems)
					}
				}
				if ans.YAML == "" {
					t.Errorf("%s: no preview", op)
				}
			}
		})
	}
}

// trusteeLinesOf returns the i-th trustee's block of lines.
func trusteeLinesOf(lines string, i int) string {
	blocks := strings.SplitAfter(lines, "\n")
	return strings.Join(blocks[3*i:3*i+3], "")
}

func TestParseTrusteeLines(t *testing.T) {
	lines := trusteeLines(t, 2)
	for _, text := range []string{lines, "trustees:\n  members:\n" + lines, "members:\n" + lines, strings.TrimLeft(lines, " ")} {
		m, err := ParseTrusteeLines(text)
		if err != nil || len(m) != 2 || m[1].Name != "Trustee 2" {
			t.Errorf("%q: %v %+v", text, err, m)
		}
	}
	for _, text := range []string{"", "- name: a\n", "- name: a\n  identity: b\n  encryption_key: c\n  extra: d\n"} {
		if _, err := ParseTrusteeLines(text); err == nil {
			t.Errorf("%q: no error", text)
		}
	}
}

func voterKey(i int) election.VoterPublicKey {
	return election.VoterPublicKey(election.DeriveKey(fmt.Sprintf("console/voter-%d", i)).Public())
}

func TestRoll(t *testing.T) {
	b := &Bridge{}
	v0, v1, v2 := voterKey(0), voterKey(1), voterKey(2)
	text := fmt.Sprintf("# the roll\n%v\n\n%v 1\n%s\n", v0, v1, election.PublicKey(v2))
	ans := call(t, b, "roll", map[string]any{"text": text})
	if !ans.OK || len(ans.Voters) != 3 || ans.Voters[2].Voter != v2.String() || ans.Voters[1].Weight != 1 {
		t.Fatalf("roll: %+v", ans)
	}
	// Every bad line, with its number.
	bad := fmt.Sprintf("%v\n%v\nnot-a-key\n%s\n%v 0\n%v 3\n%v 1 2\n", v0, v1, election.PublicKey(v0), voterKey(3), voterKey(4), voterKey(5))
	ans = call(t, b, "roll", map[string]any{"text": bad})
	want := map[int]string{3: "invalid_key", 4: "duplicate_voter", 5: "roll_file", 6: "invalid_weight", 7: "roll_file"}
	if ans.OK || ans.Error != "problems" || len(ans.Problems) != len(want) {
		t.Fatalf("bad roll: %+v", ans)
	}
	for _, p := range ans.Problems {
		if want[p.Line] != p.Code {
			t.Errorf("line %d: %s (%s), want %s", p.Line, p.Code, p.Message, want[p.Line])
		}
	}
	// With weights, a weight is a weight.
	ans = call(t, b, "roll", map[string]any{"text": fmt.Sprintf("%v 3\n", v0), "weights": true})
	if !ans.OK || ans.Voters[0].Weight != 3 {
		t.Errorf("weights: %+v", ans)
	}
	for _, empty := range []string{"", "# nobody\n\n"} {
		if ans := call(t, b, "roll", map[string]any{"text": empty}); ans.OK || ans.Problems[0].Code != "empty_roll" {
			t.Errorf("%q: %+v", empty, ans)
		}
	}
	if ans := call(t, b, "roll", map[string]any{"text": strings.Repeat("x", election.MaxRollFileLine+1)}); ans.OK || ans.Problems[0].Code != "too_long" {
		t.Errorf("long line: %+v", ans)
	}
}

func TestOfficialTxs(t *testing.T) {
	b := unlocked(t)
	id := election.ID{1, 2, 3}
	voters := []RollVoter{{Voter: voterKey(0).String(), Weight: 1}, {Voter: voterKey(1).String(), Weight: 1}}
	for _, c := range []struct {
		op   string
		kind election.Kind
		args map[string]any
	}{
		{"append", election.KindAppendVoters, map[string]any{"voters": voters}},
		{"open_election", election.KindOpen, nil},
		{"close", election.KindClose, nil},
	} {
		a := map[string]any{"chain_id": "evote-test", "election": id.String()}
		for k, v := range c.args {
			a[k] = v
		}
		ans := call(t, b, c.op, a)
		if !ans.OK {
			t.Fatalf("%s: %+v", c.op, ans)
		}
		tx, err := election.DecodeTx(ans.Tx)
		if err != nil || tx.Kind != c.kind || !tx.Verify("evote-test") || tx.Signer != authority.Public() {
			t.Errorf("%s: %v %+v", c.op, err, tx)
		}
		if c.op == "append" {
			body, err := election.DecodeBody(tx.Kind, tx.Body)
			if err != nil || len(body.(*election.AppendVotersBody).Voters) != 2 {
				t.Errorf("append body: %v %+v", err, body)
			}
		}
		delete(a, "chain_id")
		if ans := call(t, b, c.op, a); ans.Error != "no_chain_id" {
			t.Errorf("%s without a chain id: %+v", c.op, ans)
		}
		a["chain_id"], a["election"] = "evote-test", "xyz"
		if ans := call(t, b, c.op, a); ans.OK {
			t.Errorf("%s with a bad election id: %+v", c.op, ans)
		}
	}
	a := map[string]any{"chain_id": "evote-test", "election": id.String()}
	if ans := call(t, b, "append", a); ans.Error != "limit" {
		t.Errorf("append nobody: %+v", ans)
	}
	a["voters"] = []RollVoter{{Voter: "evote-voter:00", Weight: 1}}
	if ans := call(t, b, "append", a); ans.Error != "invalid_key" {
		t.Errorf("append a bad key: %+v", ans)
	}
}
