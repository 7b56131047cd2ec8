package cmtlite

import (
	"strings"
	"testing"
)

// fuzzSeeds adds the headers or commits of the test record and edits of
// the test encodings.
func fuzzSeeds(f *testing.F, commit bool) {
	r := readRecord(f, "../testdata/small-record.json")
	for _, b := range r.Blocks {
		if commit {
			f.Add([]byte(b.Commit))
		} else {
			f.Add([]byte(b.Header))
		}
	}
	if commit {
		f.Add([]byte(testCommit))
		f.Add([]byte(strings.Replace(testCommit, `"block_id_flag":2`, `"block_id_flag":3`, 1)))
		f.Add([]byte(`{"height":"0","round":0,"block_id":{"hash":"","parts":{"total":0,"hash":""}},"signatures":null}`))
	} else {
		f.Add([]byte(testHeader))
		f.Add([]byte(strings.Replace(testHeader, `"2026-01-01T00:00:02Z"`, `"0000-01-01T00:00:00.000000001Z"`, 1)))
	}
}

// FuzzParseHeader: ParseHeader never panics, and a header it reads
// re-checks, and is read by CometBFT with the same fields and hash.
func FuzzParseHeader(f *testing.F) {
	fuzzSeeds(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHeader(data)
		if err != nil {
			if !errIsOneOf(err, ErrMalformed, ErrInvalid) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if err := h.validate(); err != nil {
			t.Fatalf("a parsed header fails its checks: %v", err)
		}
		sameHeader(t, data)
	})
}

// FuzzParseCommit: ParseCommit never panics, and a commit it reads
// re-checks, and is read by CometBFT with the same fields and sign bytes.
func FuzzParseCommit(f *testing.F) {
	fuzzSeeds(f, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCommit(data)
		if err != nil {
			if !errIsOneOf(err, ErrMalformed, ErrInvalid) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if err := c.validate(); err != nil {
			t.Fatalf("a parsed commit fails its checks: %v", err)
		}
		sameCommit(t, data, "fuzz")
	})
}
