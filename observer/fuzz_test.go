package observer_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/evote/evote/observer"
)

// FuzzVerify feeds the record decoder and the verifier arbitrary bytes:
// they must never panic, and anything but a whole valid record fails with
// ErrRecordFormat or ErrVerify.
func FuzzVerify(f *testing.F) {
	rec := small(f)
	f.Add(rec)
	f.Add(rec[:len(rec)/2])
	f.Add(rec[:bytes.Index(rec, []byte(`"blocks"`))])
	f.Add(bytes.Replace(rec, []byte(`"replaced":false`), []byte(`"replaced":true`), 1))
	f.Add(bytes.Replace(rec, []byte(`"height":3`), []byte(`"height":2`), 1))
	f.Add([]byte(`{"format": "evote/v1/record"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sum, err := observer.Verify(context.Background(), bytes.NewReader(b), observer.VerifyOptions{Workers: 1})
		if err == nil {
			if !bytes.Equal(b, rec) && sum.Ballots != 10 {
				t.Fatalf("a changed record verifies: %+v", sum)
			}
			return
		}
		if !errors.Is(err, observer.ErrRecordFormat) && !errors.Is(err, observer.ErrVerify) {
			t.Fatalf("error outside the sentinels: %v", err)
		}
	})
}

// FuzzRecordReader fuzzes the record's structure alone (the streaming
// decoder, strict keys and byte strings), fast enough to explore it: it
// must never panic, and a record it reads whole re-encodes to a record it
// reads the same.
func FuzzRecordReader(f *testing.F) {
	rec := small(f)
	f.Add(rec)
	f.Add(rec[:len(rec)/3])
	f.Add([]byte(`{"format": "evote/v1/record", "chain_id": "c", "genesis": {"app_state": {}, "validators": []}, "election": "` +
		strings.Repeat("00", 32) + `", "manifest": "", "blocks": [], "claims": {"phase": "open", "qualified": [], "roll_size": 0, "ballots": 0, "voters": 0, "weight_cast": 0, "aggregates": [], "share_sets": []}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rr := observer.NewRecordReader(bytes.NewReader(b))
		head, err := rr.ReadHead()
		if err != nil {
			if !errors.Is(err, observer.ErrRecordFormat) {
				t.Fatalf("error outside ErrRecordFormat: %v", err)
			}
			return
		}
		var blocks []*observer.RecordBlock
		for {
			blk, err := rr.NextBlock()
			if err != nil {
				if !errors.Is(err, observer.ErrRecordFormat) {
					t.Fatalf("error outside ErrRecordFormat: %v", err)
				}
				return
			}
			if blk == nil {
				break
			}
			blocks = append(blocks, blk)
		}
		claims, err := rr.ReadClaims()
		if err != nil {
			return
		}
		// Written again, the record reads back the same.
		var out bytes.Buffer
		rw, err := observer.NewRecordWriter(&out, head)
		if err != nil {
			t.Fatal(err)
		}
		for _, blk := range blocks {
			if err := rw.WriteBlock(blk); err != nil {
				t.Fatal(err)
			}
		}
		if err := rw.Close(claims); err != nil {
			t.Fatal(err)
		}
		rr2 := observer.NewRecordReader(bytes.NewReader(out.Bytes()))
		head2, err := rr2.ReadHead()
		if err != nil || head2.ChainID != head.ChainID || !bytes.Equal(head2.Manifest, head.Manifest) {
			t.Fatalf("re-read head: %v", err)
		}
		for range blocks {
			if blk, err := rr2.NextBlock(); err != nil || blk == nil {
				t.Fatalf("re-read block: %v", err)
			}
		}
		if blk, err := rr2.NextBlock(); err != nil || blk != nil {
			t.Fatalf("re-read end of blocks: %v", err)
		}
		if _, err := rr2.ReadClaims(); err != nil {
			t.Fatalf("re-read claims: %v", err)
		}
	})
}
