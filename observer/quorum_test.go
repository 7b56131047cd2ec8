package observer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/evote/evote/internal/harness/synthetic"
	"github.com/evote/evote/observer"
)

// TestRecordCommitQuorum: a record of four equal validators verifies when
// one of them is absent from a block's commit (three of four sign: more
// than 2/3 of the power) and is refused, naming the block, when two are
// (exactly half), or three; the genesis's validator set is what counts,
// whatever the commit says.
func TestRecordCommitQuorum(t *testing.T) {
	const target = 5 // a block in the ceremony, before any ballot
	write := func(absent int) []byte {
		var buf bytes.Buffer
		_, err := synthetic.Write(&buf, synthetic.Options{Seed: "quorum", Voters: 3, PerBlock: 2, Validators: 4,
			Absent: func(h int64) []int {
				if h == target {
					return []int{3, 1, 0}[:absent]
				}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for absent, ok := range []bool{true, true, false, false} {
		_, err := observer.Verify(context.Background(), bytes.NewReader(write(absent)), observer.VerifyOptions{})
		if ok {
			if err != nil {
				t.Errorf("%d of 4 validators absent from block %d: %v", absent, target, err)
			}
			continue
		}
		var ve *observer.VerifyError
		if !errors.As(err, &ve) || ve.Code != observer.CodeBadCommitSignature || !strings.Contains(ve.Item, fmt.Sprintf("block %d", target)) {
			t.Errorf("%d of 4 validators absent from block %d: %v, want %s at that block", absent, target, err, observer.CodeBadCommitSignature)
		}
	}
}
