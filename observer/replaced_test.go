package observer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/internal/harness/synthetic"
	"github.com/evote/evote/observer"
)

// position is where a ballot is: its block and its index there.
type position struct{ height, index int64 }

// rewriteMarks reads a record and writes it again with each ballot's
// replaced mark passed through mark (which gets the mark and the ballot's
// number in chain order, and returns the new mark). It also returns each
// ballot's position.
func rewriteMarks(t *testing.T, rec []byte, mark func(n int, replaced bool) bool) ([]byte, []position) {
	t.Helper()
	n := 0
	var at []position
	out := rewrite(t, rec, func(b *observer.RecordBlock) {
		for i := range b.Txs {
			if b.Txs[i].Replaced != nil {
				m := mark(n, *b.Txs[i].Replaced)
				b.Txs[i].Replaced = &m
				at = append(at, position{b.Height, int64(b.Txs[i].Index)})
				n++
			}
		}
	})
	return out, at
}

// TestReplacedMarks: a record marks each ballot that a later ballot of the
// same voter replaced (the marks are outside what the validators sign).
// The verifier holds every mark to the ballots: a replaced ballot marked
// as counting, or a counting one marked as replaced, is refused with
// replaced-mark, and the record rewritten with its marks unchanged still
// verifies (so the rewriting is not what fails).
func TestReplacedMarks(t *testing.T) {
	var buf bytes.Buffer
	if _, err := synthetic.Write(&buf, synthetic.Options{Seed: "marks", Voters: 6, Revotes: 2, PerBlock: 3, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	verify := func(rec []byte) error {
		_, err := observer.Verify(context.Background(), bytes.NewReader(rec), observer.VerifyOptions{})
		return err
	}
	same, at := rewriteMarks(t, buf.Bytes(), func(_ int, r bool) bool { return r })
	if err := verify(same); err != nil {
		t.Fatalf("the record rewritten unchanged: %v", err)
	}
	var replaced, counting []int
	rewriteMarks(t, buf.Bytes(), func(n int, r bool) bool {
		if r {
			replaced = append(replaced, n)
		} else {
			counting = append(counting, n)
		}
		return r
	})
	if len(replaced) != 2 || len(counting) != 6 {
		t.Fatalf("%d replaced and %d counting ballots, want 2 and 6", len(replaced), len(counting))
	}
	for _, c := range []struct {
		name   string
		ballot int
	}{{"a replaced ballot marked as counting", replaced[0]}, {"the last replaced ballot marked as counting", replaced[1]},
		{"a counting ballot marked as replaced", counting[0]}, {"the last counting ballot marked as replaced", counting[len(counting)-1]}} {
		rec, _ := rewriteMarks(t, buf.Bytes(), func(n int, r bool) bool { return r != (n == c.ballot) })
		var ve *observer.VerifyError
		if err := verify(rec); !errors.As(err, &ve) || ve.Code != observer.CodeReplacedMark {
			t.Errorf("%s: %v, want %s", c.name, err, observer.CodeReplacedMark)
		}
	}

	// Several counting ballots marked as replaced: the first in chain
	// order is named, in another block or in the same one.
	var sameBlock []int
	for i := 1; i < len(counting) && sameBlock == nil; i++ {
		if at[counting[i]].height == at[counting[i-1]].height {
			sameBlock = []int{counting[i-1], counting[i]}
		}
	}
	if sameBlock == nil {
		t.Fatal("no two counting ballots share a block: the record's shape changed")
	}
	for _, wrong := range [][]int{{counting[0], counting[len(counting)-1]}, {counting[len(counting)-1], counting[1], counting[0]}, sameBlock} {
		first := slices.Min(wrong)
		rec, _ := rewriteMarks(t, buf.Bytes(), func(n int, r bool) bool { return r || slices.Contains(wrong, n) })
		want := fmt.Sprintf("block %d tx %d ", at[first].height, at[first].index)
		// The verifier keeps the voters' last ballots in a map, whose
		// order changes from run to run: twenty runs all name the first.
		for range 20 {
			var ve *observer.VerifyError
			if err := verify(rec); !errors.As(err, &ve) || ve.Code != observer.CodeReplacedMark || !strings.HasPrefix(ve.Item, want) {
				t.Fatalf("ballots %v marked as replaced: %v, want %s naming %q", wrong, err, observer.CodeReplacedMark, want)
			}
		}
	}
}
