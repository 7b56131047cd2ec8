// Package rollsync finds which voters of a roll file are not on an
// election's roll yet, by asking a node through api.Client, so that
// appending a roll resumes after an interruption. It builds no
// transaction; the officials' transactions are package election's.
package rollsync

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
)

// How is how Missing asks the node.
type How int

const (
	Auto   How = iota // the cheaper of the two for the roll's size
	Pages             // read the whole roll, page by page
	Voters            // ask voter by voter, Workers at a time
)

// Workers is how many voter queries run at once.
const Workers = 16

// Missing asks the node which entries are not on election id's roll yet,
// and returns them in their order. Reading the roll costs about pages²/2
// page scans (a page at offset k scans the k voters before it), asking
// voter by voter one query per entry; Auto picks the cheaper.
func Missing(ctx context.Context, c *api.Client, id election.ID, entries []election.RollEntry, how How) ([]election.RollEntry, error) {
	first, err := c.Roll(ctx, id, 0, election.MaxRollPage)
	if err != nil {
		return nil, err
	}
	if first.Total == 0 {
		return entries, nil
	}
	if how == Auto {
		pages := (first.Total + election.MaxRollPage - 1) / election.MaxRollPage
		how = Pages
		if pages*(pages+1)/2 > uint64(len(entries)/Workers) {
			how = Voters
		}
	}
	var on []bool
	if how == Voters {
		on, err = votersOnRoll(ctx, c, id, entries)
	} else {
		on, err = readRoll(ctx, c, id, first, entries)
	}
	if err != nil {
		return nil, err
	}
	var pending []election.RollEntry
	for i, en := range entries {
		if !on[i] {
			pending = append(pending, en)
		}
	}
	return pending, nil
}

// votersOnRoll asks the node about each entry.
func votersOnRoll(ctx context.Context, c *api.Client, id election.ID, entries []election.RollEntry) ([]bool, error) {
	on := make([]bool, len(entries))
	errs := make([]error, Workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range Workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(entries) || ctx.Err() != nil {
					return
				}
				vs, err := c.Voter(ctx, id, entries[i].Voter)
				switch {
				case errors.Is(err, api.ErrNotFound):
				case err != nil:
					errs[w] = err
					return
				default:
					on[i] = vs.OnRoll
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return on, ctx.Err()
}

// readRoll reads the whole roll from its first page.
func readRoll(ctx context.Context, c *api.Client, id election.ID, first *api.RollPage, entries []election.RollEntry) ([]bool, error) {
	roll := make(map[election.VoterPublicKey]bool, first.Total)
	page := first
	for {
		for _, v := range page.Voters {
			roll[v.Voter] = true
		}
		next := page.Offset + len(page.Voters)
		if len(page.Voters) == 0 || uint64(next) >= page.Total {
			break
		}
		var err error
		if page, err = c.Roll(ctx, id, next, election.MaxRollPage); err != nil {
			return nil, err
		}
	}
	on := make([]bool, len(entries))
	for i, en := range entries {
		on[i] = roll[en.Voter]
	}
	return on, nil
}
