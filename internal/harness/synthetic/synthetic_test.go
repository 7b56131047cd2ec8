package synthetic_test

import (
	"bytes"
	"testing"

	"github.com/evote/evote/internal/harness/synthetic"
)

// The same options give the same record, byte for byte, whatever the
// number of workers: every key, choice and proof comes from the seed.
func TestSameSeedSameRecord(t *testing.T) {
	var a, b bytes.Buffer
	ta, err := synthetic.Write(&a, synthetic.Options{Seed: "again", Voters: 4, Revotes: 1, PerBlock: 2, Workers: 1, BadDeal: true})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := synthetic.Write(&b, synthetic.Options{Seed: "again", Voters: 4, Revotes: 1, PerBlock: 2, Workers: 3, BadDeal: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) || len(ta) != len(tb) {
		t.Fatal("two builds of the same election differ")
	}
}
