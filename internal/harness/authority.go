package harness

import (
	"bytes"
	"context"
	"fmt"
	"text/template"
	"time"

	"github.com/evote/evote/election"
)

// Authority is an election authority of the chain's genesis: it creates
// elections, appends their rolls, opens and closes them.
type Authority struct {
	Key *election.PrivateKey
	Sub Submitter
}

// ManifestFromTemplate executes tmpl, a text/template of a manifest's YAML,
// over vars, and parses the result.
func ManifestFromTemplate(tmpl string, vars any) (*election.Manifest, []byte, error) {
	var y bytes.Buffer
	t, err := template.New("manifest").Parse(tmpl)
	if err != nil {
		return nil, nil, err
	}
	if err := t.Execute(&y, vars); err != nil {
		return nil, nil, err
	}
	m, err := election.ParseManifestYAML(y.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("manifest: %w", err)
	}
	return m, y.Bytes(), nil
}

// Create creates the election of manifest m.
func (a *Authority) Create(ctx context.Context, m *election.Manifest) (election.ID, error) {
	id, err := m.ID()
	if err != nil {
		return id, err
	}
	chainID, err := a.Sub.ChainID(ctx)
	if err != nil {
		return id, err
	}
	tx, err := election.NewCreateElectionTx(chainID, m, a.Key)
	if err != nil {
		return id, err
	}
	_, err = a.Sub.Submit(ctx, "create election", tx)
	return id, err
}

// AppendRoll appends roll to the election's roll, batch entries a
// transaction (0: election.MaxRollBatch).
func (a *Authority) AppendRoll(ctx context.Context, id election.ID, roll []election.RollEntry, batch int) error {
	if batch <= 0 || batch > election.MaxRollBatch {
		batch = election.MaxRollBatch
	}
	chainID, err := a.Sub.ChainID(ctx)
	if err != nil {
		return err
	}
	for i := 0; i < len(roll); i += batch {
		tx, err := election.NewAppendVotersTx(chainID, id, roll[i:min(i+batch, len(roll))], a.Key)
		if err != nil {
			return err
		}
		if _, err := a.Sub.Submit(ctx, "append voters", tx); err != nil {
			return err
		}
	}
	return nil
}

// Open opens the election.
func (a *Authority) Open(ctx context.Context, id election.ID) error {
	return a.official(ctx, "open", func(chainID string) ([]byte, error) { return election.NewOpenTx(chainID, id, a.Key) })
}

// Close closes the election.
func (a *Authority) Close(ctx context.Context, id election.ID) error {
	return a.official(ctx, "close", func(chainID string) ([]byte, error) { return election.NewCloseTx(chainID, id, a.Key) })
}

func (a *Authority) official(ctx context.Context, what string, build func(chainID string) ([]byte, error)) error {
	chainID, err := a.Sub.ChainID(ctx)
	if err != nil {
		return err
	}
	tx, err := build(chainID)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, err = a.Sub.Submit(ctx, what, tx)
	return err
}

// YesNoManifest is the YAML of a small test election: one yes/no
// plurality contest, revoting, the given trustees' lines (members, as
// `evote trustee init` prints them) of whom any two decrypt, and a deal
// round that ends in an hour.
func YesNoManifest(authority election.AuthorityPublicKey, ref, members string) string {
	return fmt.Sprintf(`reference: %s
authority: %s
languages: [en]
title: {en: "Test election %s"}
revoting: true
weights: false
schedule:
  dkg_deals_by: %s
  dkg_complaint_window: 10m
  dkg_response_window: 10m
trustees:
  threshold: 2
  members:
%scontests:
  - type: plurality
    min_selections: 1
    title: {en: "Q"}
    options: [{en: "Yes"}, {en: "No"}]
`, ref, authority, ref, time.Now().UTC().Add(time.Hour).Format(time.RFC3339), members)
}
