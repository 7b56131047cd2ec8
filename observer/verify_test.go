package observer_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"testing"

	"github.com/evote/evote/internal/harness/synthetic"
	"github.com/evote/evote/observer"
)

// update rewrites testdata/small-record.json from the synthetic builder.
var update = flag.Bool("update", false, "rewrite observer/testdata/small-record.json")

const smallRecordFile = "testdata/small-record.json"

// smallOptions is the election of testdata/small-record.json: 8 voters, 2
// of whom vote again, in blocks of 3 ballots.
var smallOptions = synthetic.Options{Seed: "small", Voters: 8, Revotes: 2, PerBlock: 3, Workers: 2}

// small is the record of testdata/small-record.json (the fuzz targets read
// it rather than build it: building one under the fuzzer's instrumentation
// takes minutes).
func small(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(smallRecordFile)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifySyntheticRecord(t *testing.T) {
	var buf bytes.Buffer
	totals, err := synthetic.Write(&buf, smallOptions)
	if err != nil {
		t.Fatal(err)
	}
	rec := buf.Bytes()
	if *update {
		if err := os.WriteFile(smallRecordFile, rec, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var last observer.VerifyProgress
	sum, err := observer.Verify(context.Background(), bytes.NewReader(rec), observer.VerifyOptions{Progress: func(p observer.VerifyProgress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ballots != 10 || sum.Replaced != 2 || sum.Voters != 8 || sum.Phase != "tallied" {
		t.Fatalf("summary %+v", sum)
	}
	if sum.Result == nil || len(sum.Result.Totals) != 1 {
		t.Fatalf("result %+v", sum.Result)
	}
	for i, v := range sum.Result.Totals[0] {
		if v != totals[i] {
			t.Fatalf("totals %v, the choices add up to %v", sum.Result.Totals[0], totals)
		}
	}
	if last.Ballots != 10 || last.Bytes == 0 {
		t.Fatalf("last progress %+v", last)
	}
	// The committed fixture verifies too.
	if _, err := observer.Verify(context.Background(), bytes.NewReader(small(t)), observer.VerifyOptions{}); err != nil {
		t.Fatalf("%s: %v", smallRecordFile, err)
	}
}

// TestRecordKeysStrict: a key repeated in an object, or written in another
// case (which encoding/json would match), is refused: the record must not
// carry values the verifier does not read.
func TestRecordKeysStrict(t *testing.T) {
	rec := small(t)
	for name, edit := range map[string]func([]byte) []byte{
		"repeated": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"txs":[]`), []byte(`"txs":[],"txs":[]`), 1)
		},
		"upper case": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"height":2,`), []byte(`"HEIGHT":2,`), 1)
		},
		"escaped": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"height":2,`), []byte(`"\u0068eight":2,`), 1)
		},
		"in the claims": func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"ballots":10,`), []byte(`"ballots":10,"ballots":11,`), 1)
		},
	} {
		t.Run(name, func(t *testing.T) {
			changed := edit(rec)
			if bytes.Equal(changed, rec) {
				t.Fatal("the edit changed nothing")
			}
			_, err := observer.Verify(context.Background(), bytes.NewReader(changed), observer.VerifyOptions{})
			if !errors.Is(err, observer.ErrRecordFormat) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// TestAnyChangeFails flips one bit at positions spread over the whole
// record: every changed record must fail.
func TestAnyChangeFails(t *testing.T) {
	rec := small(t)
	step := len(rec)/150 + 1
	for pos := 7; pos < len(rec); pos += step {
		changed := bytes.Clone(rec)
		changed[pos] ^= 1
		if _, err := observer.Verify(context.Background(), bytes.NewReader(changed), observer.VerifyOptions{}); err == nil {
			lo, hi := max(pos-40, 0), min(pos+40, len(rec))
			t.Errorf("flipping byte %d verifies: …%s…", pos, rec[lo:hi])
		}
	}
}

// TestBase64Strict: the unused bits of a base64 string's last digit must be
// zero, so that the same bytes have one text.
func TestBase64Strict(t *testing.T) {
	var b observer.Bytes
	if err := b.UnmarshalJSON([]byte(`"AQ=="`)); err != nil || len(b) != 1 || b[0] != 1 {
		t.Fatalf("AQ==: %v %x", err, b)
	}
	for _, bad := range []string{`"AR=="`, `"AQ"`, `"A\/=="`, `AQ==`, `"A Q=="`} {
		if err := b.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s decodes", bad)
		}
	}
}

// TestVerifyScheduledElection: the schedule ends the complaint round (one
// trustee is silent), opens and closes the election in blocks of their own;
// the verifier's rules and the state machine both follow it, and agree.
func TestVerifyScheduledElection(t *testing.T) {
	var buf bytes.Buffer
	totals, err := synthetic.Write(&buf, synthetic.Options{Seed: "timers", Voters: 5, Revotes: 1, PerBlock: 2, Workers: 2, Timers: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, machine := range []bool{false, true} {
		sum, err := observer.Verify(context.Background(), bytes.NewReader(buf.Bytes()), observer.VerifyOptions{Machine: machine})
		if err != nil {
			t.Fatalf("machine %v: %v", machine, err)
		}
		if sum.Kinds["open"] != 0 || sum.Kinds["close"] != 0 || sum.Kinds["dkg-complaints"] != 2 || sum.Result == nil {
			t.Fatalf("machine %v: %+v", machine, sum)
		}
		for i, v := range sum.Result.Totals[0] {
			if v != totals[i] {
				t.Fatalf("machine %v: totals %v, want %v", machine, sum.Result.Totals[0], totals)
			}
		}
	}
	// Without the block in which the scheduled opening fired, the rules
	// alone would fire the opening at the next block (the first ballots')
	// and reach the same outcome; but the record then misses the block
	// that proves the state after the block before it, and fails there:
	// a record cannot leave out a block the election's state depends on.
	rr := observer.NewRecordReader(bytes.NewReader(buf.Bytes()))
	head, _ := rr.ReadHead()
	var out bytes.Buffer
	rw, _ := observer.NewRecordWriter(&out, head)
	dropped := false
	for {
		b, err := rr.NextBlock()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		if len(b.Txs) == 0 && b.Height > 1 && !dropped && bytes.Contains(b.Header, []byte(`"time":"2026-01-01T03:00:00Z"`)) {
			dropped = true
			continue
		}
		rw.WriteBlock(b)
	}
	claims, _ := rr.ReadClaims()
	rw.Close(claims)
	if !dropped {
		t.Fatal("no opening block found")
	}
	for _, machine := range []bool{false, true} {
		_, err := observer.Verify(context.Background(), bytes.NewReader(out.Bytes()), observer.VerifyOptions{Machine: machine})
		if !errors.Is(err, observer.CodeStateUnproven) {
			t.Fatalf("machine %v, without the opening block: %v, want %s", machine, err, observer.CodeStateUnproven)
		}
	}
}

// TestVerifyComplaintAnswered: a dealer's share that its recipient cannot
// open, the complaint, the dealer's answer in the open: both rule engines
// follow the three rounds to the same key and result.
func TestVerifyComplaintAnswered(t *testing.T) {
	var buf bytes.Buffer
	totals, err := synthetic.Write(&buf, synthetic.Options{Seed: "complaint", Voters: 4, PerBlock: 4, Workers: 2, BadDeal: true})
	if err != nil {
		t.Fatal(err)
	}
	checkBothEngines(t, buf.Bytes(), totals, func(sum *observer.Summary) bool {
		return sum.Kinds["dkg-responses"] == 1 && len(sum.Qualified) == 3
	})
}

// TestVerifyWeightedElection: voters of weights 1 to 3, revotes among
// them; both rule engines count each ballot with its voter's weight.
func TestVerifyWeightedElection(t *testing.T) {
	var buf bytes.Buffer
	totals, err := synthetic.Write(&buf, synthetic.Options{Seed: "weights", Voters: 7, Revotes: 3, PerBlock: 4, Workers: 2, Weights: true})
	if err != nil {
		t.Fatal(err)
	}
	checkBothEngines(t, buf.Bytes(), totals, func(sum *observer.Summary) bool { return sum.Replaced == 3 })
}

// checkBothEngines verifies rec with the verifier's rules and with the
// state machine: both must pass, satisfy ok and find totals.
func checkBothEngines(t *testing.T, rec []byte, totals []uint64, ok func(*observer.Summary) bool) {
	t.Helper()
	for _, machine := range []bool{false, true} {
		sum, err := observer.Verify(context.Background(), bytes.NewReader(rec), observer.VerifyOptions{Machine: machine})
		if err != nil {
			t.Fatalf("machine %v: %v", machine, err)
		}
		if !ok(sum) || sum.Result == nil {
			t.Fatalf("machine %v: %+v", machine, sum)
		}
		for i, v := range sum.Result.Totals[0] {
			if v != totals[i] {
				t.Fatalf("machine %v: totals %v, want %v", machine, sum.Result.Totals[0], totals)
			}
		}
	}
}

// TestVerifyFailedCeremony: one deal of the two needed; the deal round
// ends by the schedule and the election fails. Both rule engines derive
// the same failure.
func TestVerifyFailedCeremony(t *testing.T) {
	var buf bytes.Buffer
	if _, err := synthetic.Write(&buf, synthetic.Options{Seed: "fail", Voters: 3, FailDKG: true}); err != nil {
		t.Fatal(err)
	}
	for _, machine := range []bool{false, true} {
		sum, err := observer.Verify(context.Background(), bytes.NewReader(buf.Bytes()), observer.VerifyOptions{Machine: machine})
		if err != nil {
			t.Fatalf("machine %v: %v", machine, err)
		}
		if sum.Phase != "failed" || sum.Result != nil || sum.Aggregates != 0 {
			t.Fatalf("machine %v: %+v", machine, sum)
		}
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"failure":"dkg-not-enough-qualified"`)) {
		t.Fatalf("claims: %s", buf.Bytes()[bytes.LastIndex(buf.Bytes(), []byte(`"claims"`)):])
	}
}

// TestVerifyCodesDocumented: docs/verifier.md's table lists every code.
func TestVerifyCodesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/verifier.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[observer.VerifyCode]bool{}
	for _, c := range observer.VerifyCodes {
		if seen[c] {
			t.Errorf("code %s twice", c)
		}
		seen[c] = true
		if !bytes.Contains(doc, []byte("| `"+string(c)+"` |")) {
			t.Errorf("docs/verifier.md does not list %s", c)
		}
	}
	var ve error = &observer.VerifyError{Item: "x", Code: observer.CodeBadShare, Err: errors.New("y")}
	if !errors.Is(ve, observer.CodeBadShare) || errors.Is(ve, observer.CodeRejected) || !errors.Is(ve, observer.ErrVerify) {
		t.Error("errors.Is does not tell the code")
	}
}
