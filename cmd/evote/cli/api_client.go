package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/api"
	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// The commands talk to a node through api.Client (web/openapi.yaml).
// Nothing a node says is trusted further than it can be checked: the
// manifest must hash to the election id, and receipts are verified against
// the validator set.

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

// fetchJointKey returns the election's joint key, an error before the
// ceremony fixed it.
func fetchJointKey(ctx context.Context, c *api.Client, id election.ID) (*tally.PublicKey, error) {
	d, err := c.Election(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.JointKey == nil {
		return nil, fmt.Errorf("election %v has no joint key yet (phase %s)", id, d.Phase)
	}
	return d.JointKey, nil
}

// phaseIs is a WaitPhase predicate: the election is in one of phases.
func phaseIs(phases ...election.Phase) func(*api.ElectionDetail) bool {
	return func(d *api.ElectionDetail) bool {
		for _, p := range phases {
			if d.Phase == p {
				return true
			}
		}
		return false
	}
}

// chainReceipt reads a receipt of the API as chain.Receipt, which decodes
// its CometBFT parts for chain.VerifyReceipt.
func chainReceipt(r *api.Receipt) (*chain.Receipt, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var out chain.Receipt
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// validatorSet builds the CometBFT validator set of entries, checking that
// every address is its key's.
func validatorSet(entries []api.Validator) (*cmttypes.ValidatorSet, error) {
	if len(entries) == 0 {
		return nil, errors.New("no validators")
	}
	if len(entries) > maxValidators {
		return nil, fmt.Errorf("%d validators, at most %d", len(entries), maxValidators)
	}
	var vals []*cmttypes.Validator
	for _, v := range entries {
		if len(v.PubKey) != cmted25519.PubKeySize {
			return nil, fmt.Errorf("validator %s: public key of %d bytes is not an Ed25519 key", v.Address, len(v.PubKey))
		}
		val := cmttypes.NewValidator(cmted25519.PubKey(v.PubKey), v.Power)
		if !strings.EqualFold(val.Address.String(), v.Address) {
			return nil, fmt.Errorf("validator %s: its key's address is %s", v.Address, val.Address)
		}
		vals = append(vals, val)
	}
	return newValidatorSet(vals)
}

// maxValidators bounds the validator sets a wallet accepts.
const maxValidators = 1000

// newValidatorSet is cmttypes.NewValidatorSet for untrusted input: it
// panics on duplicates and on powers out of range, which are errors here.
func newValidatorSet(vals []*cmttypes.Validator) (set *cmttypes.ValidatorSet, err error) {
	seen := make(map[string]bool, len(vals))
	for _, v := range vals {
		if v.VotingPower <= 0 || v.VotingPower > cmttypes.MaxTotalVotingPower/int64(max(len(vals), 1)) {
			return nil, fmt.Errorf("validator %s: voting power %d out of range", v.Address, v.VotingPower)
		}
		if seen[string(v.Address)] {
			return nil, fmt.Errorf("validator %s appears twice", v.Address)
		}
		seen[string(v.Address)] = true
	}
	defer func() {
		if p := recover(); p != nil {
			set, err = nil, fmt.Errorf("validator set: %v", p)
		}
	}()
	set = cmttypes.NewValidatorSet(vals)
	if err := set.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("validator set: %w", err)
	}
	return set, nil
}
