package cli

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/evote/evote/api"
)

// The commands talk to a node through api.Client (web/openapi.yaml).
// Nothing a node says is trusted further than it can be checked: the
// manifest must hash to the election id, and receipts are verified against
// the validator set (internal/receiptfile).

// newVoterClient is the voter's client of the node at base: no overall
// timeout (a submission waits for its commit, which the node bounds at
// 60 s); the command's context ends everything.
func newVoterClient(base string) (*api.Client, error) {
	c, err := api.NewClient(base, nil)
	if err != nil {
		return nil, fmt.Errorf("--node: %w", err)
	}
	return c, nil
}

// newNodeClient is the officials', trustees' and tools' client of the node
// at base: every answer within 90 s.
func newNodeClient(base string) (*api.Client, error) {
	c, err := api.NewClient(base, &http.Client{Timeout: 90 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("--node: %w", err)
	}
	return c, nil
}

// commitTx submits a signed transaction and waits for its commit
// (api.Client.Commit); what names it in errors. A refusal is an
// *api.RefusedError.
func commitTx(ctx context.Context, c *api.Client, what string, tx []byte) (*api.Committed, error) {
	com, err := c.Commit(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return com, nil
}

// again says whether the node already held the transaction, for the
// commands' messages.
func again(c *api.Committed) string {
	if c.Again {
		return " (the same transaction, submitted before)"
	}
	return ""
}
