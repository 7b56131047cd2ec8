package observer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness/synthetic"
	"github.com/evote/evote/observer"
)

// changeOptions: four validators; the last retired in block 2 and a new
// one added in block 4 (in force from blocks 4 and 6), before the
// election's creation.
func changeOptions(seed string) synthetic.Options {
	return synthetic.Options{Seed: seed, Voters: 4, Revotes: 1, PerBlock: 2, Workers: 2, Validators: 4, ValidatorChange: true}
}

func writeSynthetic(t *testing.T, opts synthetic.Options) ([]byte, []uint64) {
	t.Helper()
	var buf bytes.Buffer
	totals, err := synthetic.Write(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), totals
}

// rewrite reads a record and writes it again with each block passed
// through edit.
func rewrite(t *testing.T, rec []byte, edit func(*observer.RecordBlock)) []byte {
	t.Helper()
	rr := observer.NewRecordReader(bytes.NewReader(rec))
	head, err := rr.ReadHead()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rw, err := observer.NewRecordWriter(&out, head)
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := rr.NextBlock()
		if err != nil {
			t.Fatal(err)
		}
		if b == nil {
			break
		}
		edit(b)
		if err := rw.WriteBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	c, err := rr.ReadClaims()
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(c); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// valsetRecordFile is the record of changeOptions("valset"), of format
// evote/v3/record: go test ./observer -run AcrossValidatorChange -update
// rewrites it.
const valsetRecordFile = "testdata/valset-record.json"

// TestVerifyAcrossValidatorChange: a record whose blocks are signed by
// the set in force at each height verifies with both rule engines, and
// counts the two changes; so does the committed fixture.
func TestVerifyAcrossValidatorChange(t *testing.T) {
	rec, totals := writeSynthetic(t, changeOptions("valset"))
	if *update {
		if err := os.WriteFile(valsetRecordFile, rec, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkBothEngines(t, rec, totals, func(s *observer.Summary) bool { return s.ValidatorChanges == 2 && s.Validators == 4 })
	fixture, err := os.ReadFile(valsetRecordFile)
	if err != nil {
		t.Fatal(err)
	}
	checkBothEngines(t, fixture, totals, func(s *observer.Summary) bool { return s.ValidatorChanges == 2 })
}

// TestValidatorChangeTampering: every way of making the record disagree
// with the set in force fails with validator-set, or with the signatures'
// code where the set is right but too little of it signed.
func TestValidatorChangeTampering(t *testing.T) {
	rec, _ := writeSynthetic(t, changeOptions("valset"))
	ctx := context.Background()
	check := func(name string, rec []byte, want error, rule election.Code) {
		t.Helper()
		_, err := observer.Verify(ctx, bytes.NewReader(rec), observer.VerifyOptions{})
		if !errors.Is(err, want) {
			t.Errorf("%s: %v; want %v", name, err, want)
			return
		}
		var ve *observer.VerifyError
		if rule != election.CodeOK && (!errors.As(err, &ve) || ve.Rule != rule) {
			t.Errorf("%s: rule %v; want %v", name, ve, rule)
		}
	}
	isUpdate := func(tx observer.RecordTx) bool { return tx.Kind == election.KindValidatorUpdate.String() }

	// The changes left out: the verifier keeps the genesis set, which
	// did not sign block 4 on.
	check("changes left out", rewrite(t, rec, func(b *observer.RecordBlock) {
		var keep []observer.RecordTx
		for _, tx := range b.Txs {
			if !isUpdate(tx) {
				keep = append(keep, tx)
			}
		}
		b.Txs = append([]observer.RecordTx{}, keep...)
	}), observer.CodeValidatorSet, election.CodeOK)

	// Only the addition left out: block 6 on is signed by a set with the
	// new validator, which the verifier does not know.
	check("the addition left out", rewrite(t, rec, func(b *observer.RecordBlock) {
		if b.Height == 4 {
			b.Txs = []observer.RecordTx{}
		}
	}), observer.CodeValidatorSet, election.CodeOK)

	// Only the retirement left out: the header of block 4 names the
	// three-validator set, which the verifier has not put in force.
	check("the retirement left out", rewrite(t, rec, func(b *observer.RecordBlock) {
		if b.Height == 2 {
			b.Txs = []observer.RecordTx{}
		}
	}), observer.CodeValidatorSet, election.CodeOK)

	// The retired set goes on signing as if nothing changed: the headers
	// after the change name the genesis set, not the one in force.
	stale, _ := writeSynthetic(t, synthetic.Options{Seed: "valset", Voters: 4, PerBlock: 2, Validators: 4, ValidatorChange: true, StaleCommits: true})
	check("commits of the retired set", stale, observer.CodeValidatorSet, election.CodeOK)

	// The new set in force, but only two of its four sign (the new
	// validator and one other absent): not more than 2/3.
	opts := changeOptions("valset")
	opts.Absent = func(h int64) []int {
		if h >= 8 {
			return []int{0, 1}
		}
		return nil
	}
	minority, _ := writeSynthetic(t, opts)
	check("a minority of the new set", minority, observer.CodeBadCommitSignature, election.CodeOK)

	// A validator update signed by someone else than an authority.
	forged := rewrite(t, rec, func(b *observer.RecordBlock) {
		if b.Height != 2 {
			return
		}
		tx, err := election.DecodeTx(b.Txs[0].Tx)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := election.DecodeBody(tx.Kind, tx.Body)
		u := body.(*election.ValidatorUpdateBody)
		other, err := election.NewValidatorUpdateTx("evote-synthetic", u.Validator, u.Power, election.DeriveKey("not an authority"))
		if err != nil {
			t.Fatal(err)
		}
		h := election.Hash(other)
		b.Txs[0].Tx, b.TxHashes[b.Txs[0].Index] = other, h[:]
	})
	// The data hash no longer matches: the block's commit covers the
	// original transaction.
	check("another signer's update", forged, observer.CodeDataHashMismatch, election.CodeOK)
}

// TestFollowerAcrossValidatorChange: the follower, fed the blocks one at
// a time and resumed from its journal after the change, follows the set
// through it.
func TestFollowerAcrossValidatorChange(t *testing.T) {
	rec, _ := writeSynthetic(t, changeOptions("valset-follow"))
	_, head, blocks := unmarkedBlocks(t, rec)
	if err := follow(t, head, blocks, nil); err != nil {
		t.Fatal(err)
	}
	// Stopped after the retirement and the creation, before the new set
	// signs: the journal must carry the changes for the blocks after.
	var cut int
	for i, b := range blocks {
		if b.Height == 5 {
			cut = i + 1
		}
	}
	j := journalOf(t, head, blocks[:cut+1])
	f, res, err := observer.ResumeFollower(bytes.NewReader(j), head, observer.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	for _, b := range blocks {
		if b.Height < res.From {
			continue
		}
		if err := f.Add(ctx, b); err != nil {
			t.Fatalf("block %d after resuming from %d: %v", b.Height, res.From, err)
		}
	}
	if err := f.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if res.From <= 4 {
		t.Fatalf("resumed from block %d: the changes of blocks 2 and 4 should be in the journal", res.From)
	}
	if st := f.Status(); st.Result == nil {
		t.Fatalf("the resumed follower ends without the result: %+v", st)
	}
}
