package observer

import (
	"bytes"
	"context"
	"errors"
	"testing"
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
		sum, err := Verify(context.Background(), bytes.NewReader(b), VerifyOptions{Workers: 1})
		if err == nil {
			if !bytes.Equal(b, rec) && sum.Ballots != 10 {
				t.Fatalf("a changed record verifies: %+v", sum)
			}
			return
		}
		if !errors.Is(err, ErrRecordFormat) && !errors.Is(err, ErrVerify) {
			t.Fatalf("error outside the sentinels: %v", err)
		}
	})
}
