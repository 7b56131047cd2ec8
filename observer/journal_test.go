package observer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/evote/evote/observer"
)

// journalOf follows blocks[:n] with a journal and returns it and the status.
func journalOf(t *testing.T, head *observer.RecordHead, blocks []*observer.RecordBlock) []byte {
	t.Helper()
	f, err := observer.NewFollower(head, observer.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if err := f.Journal(&buf, true); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, b := range blocks {
		if err := f.Add(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestJournalResumes: a follower stopped halfway resumes from its journal
// without the blocks before, replays them without verifying their proofs
// again, and ends where an uninterrupted one does; the resumed journal
// goes on as one.
func TestJournalResumes(t *testing.T) {
	head, blocks, claims := liveBlocks(t)
	half := len(blocks) / 2
	j := journalOf(t, head, blocks[:half])

	f, res, err := observer.ResumeFollower(bytes.NewReader(j), head, observer.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if res.From <= 1 || res.From > blocks[half-1].Height+1 || res.Keep > int64(len(j)) || res.Txs == 0 {
		t.Fatalf("resumed %+v from a journal of %d bytes of blocks up to %d", res, len(j), blocks[half-1].Height)
	}
	var tail bytes.Buffer
	tail.Write(j[:res.Keep])
	if err := f.Journal(&tail, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fed := 0
	for _, b := range blocks {
		if b.Height < res.From {
			continue
		}
		fed++
		if err := f.Add(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s := f.Status()
	if s.Height != blocks[len(blocks)-1].Height || s.Phase != claims.Phase || s.Ballots != claims.Ballots || s.Result == nil {
		t.Fatalf("resumed follower ends at %+v; claims %+v", s, claims)
	}
	if fed >= len(blocks) {
		t.Fatal("the resumed follower was fed every block again")
	}
	// The journal continued after the resume resumes too, to the end.
	f2, res2, err := observer.ResumeFollower(bytes.NewReader(tail.Bytes()), head, observer.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f2.Close()
	if res2.From != blocks[len(blocks)-1].Height {
		t.Fatalf("the continued journal resumes from %d, want %d (the last block proves the last state)", res2.From, blocks[len(blocks)-1].Height)
	}

	// A resumed follower must see the journal's state proven again by the
	// chain: fed the proving block without its state, it fails.
	f4, res4, err := observer.ResumeFollower(bytes.NewReader(j), head, observer.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f4.Close()
	err = nil
	for _, b := range blocks {
		if b.Height >= res4.From && err == nil {
			if b.Height == res4.From {
				nb := *b
				nb.State = nil
				b = &nb
			}
			if err = f4.Add(ctx, b); err == nil {
				err = f4.Flush(ctx)
			}
		}
	}
	if !errors.Is(err, observer.CodeStateUnproven) {
		t.Fatalf("resumed and fed the proving block without its state: %v, want %s", err, observer.CodeStateUnproven)
	}

	// A journal cut in the middle of a line (a crash) resumes from its
	// last checkpoint.
	cut := j[:len(j)-3]
	_, res3, err := observer.ResumeFollower(bytes.NewReader(cut), head, observer.VerifyOptions{})
	if err != nil || res3.Keep > int64(len(cut)) {
		t.Fatalf("a torn journal: %+v, %v", res3, err)
	}
}

// TestJournalRefusesChanges: a journal whose lines were changed is refused,
// whether or not its checkpoints' chains were recomputed.
func TestJournalRefusesChanges(t *testing.T) {
	head, blocks, _ := liveBlocks(t)
	j := journalOf(t, head, blocks)
	lines := strings.SplitAfter(string(j), "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	// rechain recomputes every checkpoint's chain, as a forger would.
	rechain := func(ls []string) []byte {
		h := sha256.New()
		var out bytes.Buffer
		for _, l := range ls {
			if strings.Contains(l, `"verified"`) {
				var cp map[string]any
				json.Unmarshal([]byte(l), &cp)
				cp["chain"] = hex.EncodeToString(h.Sum(nil))
				b, _ := json.Marshal(map[string]any{"verified": cp["verified"], "state": cp["state"], "chain": cp["chain"]})
				l = string(b) + "\n"
			}
			h.Write([]byte(l))
			out.WriteString(l)
		}
		return out.Bytes()
	}
	// The block line with the most transactions: a ballot in it is dropped.
	bi, most := 0, 0
	for i, l := range lines {
		var b struct {
			Txs []string `json:"txs"`
		}
		if json.Unmarshal([]byte(l), &b) == nil && len(b.Txs) > most {
			bi, most = i, len(b.Txs)
		}
	}
	dropTx := func(l string) string {
		var b struct {
			Height int64    `json:"height"`
			Time   string   `json:"time"`
			Txs    []string `json:"txs"`
		}
		if err := json.Unmarshal([]byte(l), &b); err != nil {
			t.Fatal(err)
		}
		b.Txs = b.Txs[1:]
		out, _ := json.Marshal(b)
		return string(out) + "\n"
	}
	for name, journal := range map[string][]byte{
		"a line changed": func() []byte {
			ls := append([]string{}, lines...)
			ls[bi] = dropTx(ls[bi])
			return []byte(strings.Join(ls, ""))
		}(),
		"a line changed and the chains recomputed": func() []byte {
			ls := append([]string{}, lines...)
			ls[bi] = dropTx(ls[bi])
			return rechain(ls)
		}(),
		"no head":       []byte(strings.Join(lines[1:], "")),
		"no checkpoint": []byte(lines[0]),
	} {
		_, _, err := observer.ResumeFollower(bytes.NewReader(journal), head, observer.VerifyOptions{})
		if !errors.Is(err, observer.ErrJournal) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	// Another election's journal.
	other := *head
	other.Election[0] ^= 1
	if _, _, err := observer.ResumeFollower(bytes.NewReader(j), &other, observer.VerifyOptions{}); !errors.Is(err, observer.ErrJournal) {
		t.Errorf("a journal of another election: %v, want a refusal", err)
	}
	// Untouched, with recomputed chains, it resumes.
	if _, _, err := observer.ResumeFollower(bytes.NewReader(rechain(lines)), head, observer.VerifyOptions{}); err != nil {
		t.Errorf("the journal as written, chains recomputed: %v", err)
	}
}

// FuzzResumeFollower: a journal of any bytes never panics and is either
// refused (ErrJournal) or resumed from a checkpoint within it.
func FuzzResumeFollower(f *testing.F) {
	rr := observer.NewRecordReader(bytes.NewReader(small(f)))
	head, err := rr.ReadHead()
	if err != nil {
		f.Fatal(err)
	}
	var blocks []*observer.RecordBlock
	for len(blocks) < 12 {
		b, err := rr.NextBlock()
		if err != nil || b == nil {
			break
		}
		for i := range b.Txs {
			b.Txs[i].Replaced = nil
		}
		blocks = append(blocks, b)
	}
	fl, err := observer.NewFollower(head, observer.VerifyOptions{Workers: 1})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	fl.Journal(&buf, true)
	for _, b := range blocks {
		if err := fl.Add(context.Background(), b); err != nil {
			f.Fatal(err)
		}
	}
	if err := fl.Flush(context.Background()); err != nil {
		f.Fatal(err)
	}
	fl.Close()
	j := buf.Bytes()
	f.Add(j)
	f.Add(j[:len(j)/2])
	f.Add([]byte(`{"format":"evote/v1/observer-state"}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fo, res, err := observer.ResumeFollower(bytes.NewReader(b), nil, observer.VerifyOptions{Workers: 1})
		if err != nil {
			if !errors.Is(err, observer.ErrJournal) && !errors.Is(err, observer.ErrVerify) {
				t.Fatalf("error outside the sentinels: %v", err)
			}
			return
		}
		fo.Close()
		if res.Keep > int64(len(b)) || res.From < 1 {
			t.Fatalf("resumed %+v from %d bytes", res, len(b))
		}
	})
}
