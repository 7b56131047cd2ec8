package test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/internal/demo"
	"github.com/evote/evote/internal/trusteedir"
	"github.com/evote/evote/observer"
)

var totalLine = regexp.MustCompile(`(?m)^   (\S.*?)\s+(\d+)\s+[\d.]+% of voters$`)

// TestDemoElection runs `evote demo` with 2-of-3 trustees and 10 voters:
// one trustee is offline at decryption, two voters revote, and the printed
// totals must equal the sums of the last ballots recorded in expected.json.
// (The demo's trustee faults are Go options of internal/demo, which no flag
// sets: cmd/evote/cli's TestDemoFaults plays them.)
func TestDemoElection(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	out := anyone.must(t, "demo", "--voters", "10", "--trustees", "3", "--threshold", "2", "--out", dir)
	for _, want := range []string{
		"key ceremony done on the chain",
		"2 voters cast a second ballot with other choices",
		"trustee 3 goes offline: it will not decrypt",
		"from the shares of trustees [1 2]",
		"turnout  10 of 10 voters (100.0%)",
		"✓ every total equals the recorded choices",
		"verifying the record without trusting the node",
		": verified",
		"2 replaced by a revote; 10 voters counted",
		"decryption shares of trustees [1 2] verified",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The record the demo wrote verifies on its own, and not once changed.
	record := filepath.Join(dir, "record.json")
	anyone.must(t, "verify", record)
	rec, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(rec, []byte(`"result"`))
	if i < 0 {
		t.Fatalf("no result in the record")
	}
	j := i + bytes.IndexAny(rec[i:], "0123456789")
	rec[j] = "1234567890"[rec[j]-'0'] // another digit of the first total
	if err := os.WriteFile(record, rec, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := anyone.run(t, "verify", record); r.code != 2 {
		t.Errorf("a changed total: exit %d\n%s", r.code, r.err)
	}
	if _, err := observer.Verify(t.Context(), bytes.NewReader(rec), observer.VerifyOptions{}); !errors.Is(err, observer.CodeResultMismatch) {
		t.Errorf("a changed total: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp demo.Expected
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	if exp.Version != demo.ExpectedTag || exp.RollSize != 10 || len(exp.Voters) != 10 || len(exp.Offline) != 1 || exp.Offline[0] != 3 {
		t.Fatalf("expected.json: %+v", exp)
	}
	// The totals the table shows are the sums of each voter's last ballot
	// (and not of every ballot: the revotes changed contest 1).
	last := map[int][]uint64{}
	var all []uint64
	revoters := 0
	for _, v := range exp.Voters {
		if len(v.Ballots) != len(v.Codes) {
			t.Fatalf("voter %s: %d ballots, %d tracking codes", v.Voter, len(v.Ballots), len(v.Codes))
		}
		if len(v.Ballots) == 2 {
			revoters++
			if fmt.Sprint(v.Ballots[0][0]) == fmt.Sprint(v.Ballots[1][0]) {
				t.Errorf("voter %s revoted the same choice in contest 1", v.Voter)
			}
		}
		for c, contest := range v.Ballots[len(v.Ballots)-1] {
			if last[c] == nil {
				last[c] = make([]uint64, len(contest))
			}
			for o, x := range contest {
				last[c][o] += x
			}
		}
	}
	if revoters != 2 {
		t.Fatalf("%d revoters, want 2", revoters)
	}
	for c := 0; c < 2; c++ {
		all = append(all, last[c]...)
	}
	var shown []uint64
	for _, m := range totalLine.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.ParseUint(m[2], 10, 64)
		shown = append(shown, n)
	}
	if fmt.Sprint(shown) != fmt.Sprint(all) {
		t.Fatalf("the table shows %v, the recorded last ballots sum to %v:\n%s", shown, all, out)
	}
	// Every trustee left its log and its sealed state in its own directory.
	for i := 1; i <= 3; i++ {
		if _, err := os.Stat(filepath.Join(dir, "trustees", fmt.Sprintf("trustee-%d", i), trusteedir.SealedFile)); err != nil {
			t.Error(err)
		}
	}
}
