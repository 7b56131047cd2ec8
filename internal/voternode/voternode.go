// Package voternode is what the voter's tools ask a node, checked before
// it is used: the election (its manifest must hash to its id), the open
// election when none is named, and, for an audited ballot, that the
// node's election is the audit file's and that the spoiled ballot was
// never cast. The voter's protocol itself is package wallet's, which
// cannot import api (it builds for the browser below it).
package voternode

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/wallet"
)

// PickElection parses the given id, or finds the node's only open election.
func PickElection(ctx context.Context, c *api.Client, given string) (election.ID, error) {
	if given != "" {
		return election.ParseID(given)
	}
	list, err := c.Elections(ctx)
	if err != nil {
		return election.ID{}, err
	}
	var open []election.ID
	var names []string
	for _, el := range list {
		names = append(names, fmt.Sprintf("%s (%s)", el.ID, el.Phase))
		if el.Phase == election.PhaseOpen {
			open = append(open, el.ID)
		}
	}
	if len(open) != 1 {
		return election.ID{}, fmt.Errorf("%d open elections on node %s: name one with --election (elections: %s)", len(open), c.Base(), strings.Join(names, ", "))
	}
	return open[0], nil
}

// ElectionOf is the wallet's election from a node's detail: the manifest
// must hash to id. It returns the manifest's JSON too, for audit files.
func ElectionOf(chainID string, id election.ID, d *api.ElectionDetail) (*wallet.Election, json.RawMessage, error) {
	if d.Manifest == nil {
		return nil, nil, fmt.Errorf("%w: no manifest", election.ErrInvalidManifest)
	}
	if d.JointKey == nil {
		return nil, nil, fmt.Errorf("%w: the election has no joint key yet (its key ceremony is not over)", election.ErrInvalidKey)
	}
	el, err := wallet.NewElection(chainID, d.Manifest, d.JointKey)
	if err != nil {
		return nil, nil, err
	}
	if el.ID != id {
		return nil, nil, fmt.Errorf("%w: the manifest hashes to election %v, not %v", election.ErrInvalidManifest, el.ID, id)
	}
	raw, err := json.Marshal(d.Manifest)
	return el, raw, err
}

// ErrAuditNode wraps every failure of an audit file's checks against a
// node.
var ErrAuditNode = errors.New("audit check against the node failed")

// CheckAuditElection checks that the node runs the audit file's chain and
// that its election has the file's manifest and joint key. node names the
// node in messages.
func CheckAuditElection(ctx context.Context, c *api.Client, node string, a *wallet.AuditFile) error {
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if st.ChainID != a.ChainID {
		return fmt.Errorf("%w: node %s runs chain %q, the ballot is for %q", ErrAuditNode, node, st.ChainID, a.ChainID)
	}
	d, err := c.Election(ctx, a.Election.ID)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrAuditNode, err)
	}
	if d.JointKey == nil || !d.JointKey.Equal(a.Election.JointKey) {
		shown := "not fixed"
		if d.JointKey != nil {
			shown = hex.EncodeToString(d.JointKey.Bytes())
		}
		return fmt.Errorf("%w: the election's joint key on node %s is %s, the file's is another", ErrAuditNode, node, shown)
	}
	if _, _, err := ElectionOf(st.ChainID, a.Election.ID, d); err != nil {
		return fmt.Errorf("%w: node %s: %v", ErrAuditNode, node, err)
	}
	return nil
}

// CheckAuditNotCast checks that the audited (spoiled) ballot is not on
// the chain.
func CheckAuditNotCast(ctx context.Context, c *api.Client, node string, a *wallet.AuditFile) error {
	code, err := api.ParseTxHash(a.TrackingCode)
	if err != nil {
		return err
	}
	rec, err := c.Receipt(ctx, code, 0)
	if err != nil && !errors.Is(err, api.ErrNotFound) {
		return err
	}
	if err == nil {
		return fmt.Errorf("%w: the audited ballot is on the chain (block %d): a spoiled ballot was cast", ErrAuditNode, rec.Height)
	}
	return nil
}
