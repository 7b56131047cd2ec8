package receiptfile_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"bytes"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/receiptfile"
	"github.com/evote/evote/wallet"
)

// receiptFileSeed makes a receipt file around the chain package's receipt
// vector (a real receipt of a single-validator chain; its transaction is
// not a ballot, so the check gets as far as the ballot checks).
func receiptFileSeed(t testing.TB) []byte {
	return receiptFileSeedOf(t, "../../chain/testdata/receipt.json")
}

// receiptFileSeedOf makes a receipt file around one of the chain
// package's receipt vectors.
func receiptFileSeedOf(t testing.TB, path string) []byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		ChainID string          `json:"chain_id"`
		Trusted json.RawMessage `json:"trusted"`
		Receipt *api.Receipt    `json:"receipt"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var trusted cmttypes.ValidatorSet
	if err := cmtjson.Unmarshal(v.Trusted, &trusted); err != nil {
		t.Fatal(err)
	}
	voter, _ := wallet.GenerateVoterKey(strings.NewReader(strings.Repeat("receipt seed", 8)))
	r := receiptfile.File{Version: receiptfile.Tag, Node: "http://127.0.0.1:8080", ChainID: v.ChainID, Voter: voter.Public(),
		KeyName: "k", Seq: 1, TrackingCode: v.Receipt.TrackingCode.String(), Receipt: v.Receipt}
	for _, val := range trusted.Validators {
		r.Validators = append(r.Validators, api.Validator{Address: val.Address.String(), PubKey: val.PubKey.Bytes(), Power: val.VotingPower})
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// receiptV1Seed is the receipt of chain's earlier receipt vector, without
// the result part, in the API's JSON.
func receiptV1Seed(t testing.TB) []byte {
	raw, err := os.ReadFile("../../chain/testdata/receipt-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Receipt json.RawMessage `json:"receipt"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v.Receipt
}

func TestReceiptFileOfANonBallot(t *testing.T) {
	r, err := receiptfile.Parse(receiptFileSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	// The chain's receipt verifies; it is not a ballot of this voter.
	rec, err := receiptfile.ChainReceipt(r.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.VerifyReceipt(rec, mustSet(t, r.Validators), r.ChainID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CheckOffline(nil); !errors.Is(err, receiptfile.ErrBad) {
		t.Fatalf("a receipt of a transaction that is not the voter's ballot: %v", err)
	}
	// Validator sets that CometBFT would panic on are errors.
	dup := append(append([]api.Validator{}, r.Validators...), r.Validators...)
	if _, err := receiptfile.ValidatorSet(dup); err == nil {
		t.Error("a validator twice")
	}
	zero := append([]api.Validator{}, r.Validators...)
	zero[0].Power = 0
	if _, err := receiptfile.ValidatorSet(zero); err == nil {
		t.Error("a validator with no power")
	}
}

func mustSet(t *testing.T, v []api.Validator) *cmttypes.ValidatorSet {
	t.Helper()
	s, err := receiptfile.ValidatorSet(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzWalletReceipt: a receipt file is untrusted input (it may come from
// anywhere); parsing and checking it never panics, and every failure is a
// failed check.
func FuzzWalletReceipt(f *testing.F) {
	seed := receiptFileSeed(f)
	f.Add(seed)
	var old map[string]json.RawMessage // a file of the earlier version
	if err := json.Unmarshal(seed, &old); err != nil {
		f.Fatal(err)
	}
	old["version"], old["receipt"] = json.RawMessage(`"`+receiptfile.TagV1+`"`), receiptV1Seed(f)
	v1, err := json.Marshal(old)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v1)
	f.Add([]byte(`{"version":"evote/v1/wallet-receipt"}`))
	f.Add([]byte(`{}`))
	f.Add(receiptFileSeedOf(f, "../../chain/testdata/receipt-hops.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := receiptfile.Parse(b)
		if err != nil {
			return
		}
		if _, err := r.CheckOffline(nil); err == nil {
			t.Fatal("a receipt that is not a ballot's passed the check")
		} else if !errors.Is(err, receiptfile.ErrBad) {
			t.Fatalf("error not wrapping receiptfile.ErrBad: %v", err)
		}
	})
}

// TestReceiptFileVersions: a file of the current version may carry a
// receipt with validator hops, which verifies against the file's trusted
// set (the genesis set of the vector's chain); files of the earlier
// versions still read, without hops, and are refused with them.
func TestReceiptFileVersions(t *testing.T) {
	hops := receiptFileSeedOf(t, "../../chain/testdata/receipt-hops.json")
	r, err := receiptfile.Parse(hops)
	if err != nil || len(r.Receipt.ValidatorHops) != 2 {
		t.Fatalf("a %s file with hops: %v", receiptfile.Tag, err)
	}
	trusted, err := r.Trusted()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := receiptfile.ChainReceipt(r.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if err := chain.VerifyReceipt(rec, trusted, r.ChainID); err != nil || len(rec.Hops) != 2 {
		t.Fatalf("the file's receipt against its trusted set: %v (%d hops)", err, len(rec.Hops))
	}
	for _, old := range []string{receiptfile.TagV2, receiptfile.TagV1} {
		var m map[string]json.RawMessage
		json.Unmarshal(hops, &m)
		m["version"] = json.RawMessage(`"` + old + `"`)
		b, _ := json.Marshal(m)
		if _, err := receiptfile.Parse(b); !errors.Is(err, receiptfile.ErrBad) {
			t.Errorf("a %s file with hops: %v", old, err)
		}
		json.Unmarshal(receiptFileSeed(t), &m)
		m["version"] = json.RawMessage(`"` + old + `"`)
		b, _ = json.Marshal(m)
		if _, err := receiptfile.Parse(b); err != nil {
			t.Errorf("a %s file: %v", old, err)
		}
	}
}

// TestWalletReceiptSpec: the fields of a receipt file are those that
// docs/spec/wallet-receipt.md lists.
func TestWalletReceiptSpec(t *testing.T) {
	spec, err := os.ReadFile("../../docs/spec/wallet-receipt.md")
	if err != nil {
		t.Fatal(err)
	}
	// The file's fields are the first table's rows; the receipt's result
	// part's members, the table of its section.
	fileSpec, resultSpec, ok := strings.Cut(string(spec), "## The result part")
	if !ok {
		t.Fatal("the spec has no section on the result part")
	}
	resultSpec, _, _ = strings.Cut(resultSpec, "\n## ")
	rows := func(text string) []string {
		var names []string
		for _, line := range strings.Split(text, "\n") {
			if f, ok := strings.CutPrefix(line, "| `"); ok {
				if name, _, ok := strings.Cut(f, "`"); ok {
					names = append(names, name)
				}
			}
		}
		slices.Sort(names)
		return names
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(receiptFileSeed(t), &m); err != nil {
		t.Fatal(err)
	}
	// Every field of the file, the optional ones included.
	var actual []string
	ft := reflect.TypeFor[receiptfile.File]()
	for i := range ft.NumField() {
		name, _, _ := strings.Cut(ft.Field(i).Tag.Get("json"), ",")
		actual = append(actual, name)
	}
	slices.Sort(actual)
	if documented := rows(fileSpec); !slices.Equal(documented, actual) {
		t.Fatalf("the spec lists %v, the file has %v", documented, actual)
	}
	var rec, old map[string]json.RawMessage
	if err := json.Unmarshal(m["receipt"], &rec); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(receiptV1Seed(t), &old); err != nil {
		t.Fatal(err)
	}
	var added []string
	for k := range rec {
		if _, ok := old[k]; !ok {
			added = append(added, k)
		}
	}
	slices.Sort(added)
	if documented := rows(resultSpec); !slices.Equal(documented, added) {
		t.Fatalf("the spec lists %v as the result part, the receipt adds %v", documented, added)
	}
	if !strings.Contains(string(spec), "# Wallet receipt file ("+receiptfile.Tag+")") {
		t.Fatal("the spec's title does not name the version tag")
	}
}

// A receipt file names its voter in the voter's form; one naming another
// role's key is not a receipt file.
func TestReceiptFileKeyRoles(t *testing.T) {
	seed := receiptFileSeed(t)
	r, err := receiptfile.Parse(seed)
	if err != nil {
		t.Fatal(err)
	}
	text := []byte(`"voter":"` + r.Voter.String() + `"`)
	if !bytes.Contains(seed, text) || !strings.HasPrefix(r.Voter.String(), "evote-voter:") {
		t.Fatalf("receipt file does not hold %s", text)
	}
	old := bytes.Replace(seed, text, []byte(`"voter":"`+r.Voter.Key().String()+`"`), 1)
	if back, err := receiptfile.Parse(old); err != nil || back.Voter != r.Voter {
		t.Errorf("the older ed25519: form: %v", err)
	}
	trustee := election.TrusteePublicKey(r.Voter).String()
	wrong := bytes.Replace(seed, text, []byte(`"voter":"`+trustee+`"`), 1)
	if _, err := receiptfile.Parse(wrong); !errors.Is(err, receiptfile.ErrBad) {
		t.Errorf("a trustee's key as the voter: %v", err)
	}
	var _ wallet.VoterPublicKey = r.Voter // the wallet's voter key type is the roll's
}

// TestWriteRead: a receipt written to its path reads back the same, and
// the path is named for the election and the tracking code.
func TestWriteRead(t *testing.T) {
	r, err := receiptfile.Parse(receiptFileSeed(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := receiptfile.Path(dir, r)
	if want := r.Election.String()[:12] + "-" + r.TrackingCode[:16] + ".json"; filepath.Base(path) != want || filepath.Dir(path) != dir {
		t.Fatalf("path %s, want %s in %s", path, want, dir)
	}
	if err := receiptfile.Write(path, r); err != nil {
		t.Fatal(err)
	}
	back, err := receiptfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(r)
	b, _ := json.Marshal(back)
	if !bytes.Equal(a, b) {
		t.Fatalf("read back\n%s\nwrote\n%s", b, a)
	}
	if _, err := back.CheckOffline(nil); !errors.Is(err, receiptfile.ErrBad) {
		t.Fatalf("check: %v", err)
	}
}
