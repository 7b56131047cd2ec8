package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"text/template"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/wallet"
)

//go:embed sample-election.yaml
var sampleManifest string

//go:embed bench-election.yaml
var benchManifest string

// electionSpec describes an election that setupElection creates and
// prepares: a manifest template, fresh trustees (three, any two decrypt)
// and a roll of fresh voters.
type electionSpec struct {
	Template  string // manifest YAML, a text/template over Authority, Reference, DealsBy, Close, Trustees
	Reference string // tells this election apart from others with the same texts
	Voters    int
	KeyDir    string // where the trustees' and voters' keys are written; "" keeps them in memory
	Authority *election.PrivateKey
}

// electionSetup is an open election made by setupElection.
type electionSetup struct {
	ChainID  string
	ID       election.ID
	Manifest *election.Manifest
	Voters   []*wallet.VoterKey
}

// rollBatch is how many voters one append-voters transaction carries.
const rollBatch = 10000

type sampleTrustee struct {
	identity *election.PrivateKey
	enc      *tally.TrusteeEncryptionKey
	secret   *tally.DealerSecret
}

// setupElection creates an election from spec, appends its voters, plays
// its trustees through the key ceremony on the chain and opens it: every
// step is a signed transaction submitted through sub and committed.
func setupElection(ctx context.Context, sub submitter, spec electionSpec) (*electionSetup, error) {
	chainID, err := sub.chainID(ctx)
	if err != nil {
		return nil, err
	}
	const nTrustees = 3
	trustees := make([]sampleTrustee, nTrustees)
	type trusteeVars struct{ Name, Identity, EncryptionKey string }
	var tv []trusteeVars
	for i := range trustees {
		id, err := election.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		enc, err := tally.GenerateTrusteeEncryptionKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		trustees[i] = sampleTrustee{identity: id, enc: enc}
		tv = append(tv, trusteeVars{
			Name:          fmt.Sprintf("Sample trustee %d", i+1),
			Identity:      id.TrusteePublic().String(),
			EncryptionKey: election.EncryptionKeyOf(enc.Public()).String(),
		})
	}
	now := time.Now().UTC().Truncate(time.Second)
	var yaml bytes.Buffer
	err = template.Must(template.New("manifest").Parse(spec.Template)).Execute(&yaml, map[string]any{
		"Authority": spec.Authority.AuthorityPublic().String(),
		"Reference": spec.Reference,
		"DealsBy":   now.Add(time.Hour).Format(time.RFC3339),
		"Close":     now.Add(30 * 24 * time.Hour).Format(time.RFC3339),
		"Trustees":  tv,
	})
	if err != nil {
		return nil, err
	}
	m, err := election.ParseManifestYAML(yaml.Bytes())
	if err != nil {
		return nil, err
	}
	id, err := m.ID()
	if err != nil {
		return nil, err
	}
	set := &electionSetup{ChainID: chainID, ID: id, Manifest: m}

	tx, err := election.NewCreateElectionTx(chainID, m, spec.Authority)
	if err := step(ctx, sub, "create election", tx, err); err != nil {
		return nil, err
	}
	for i := 0; i < spec.Voters; i += rollBatch {
		var roll []election.RollEntry
		for j := i; j < min(i+rollBatch, spec.Voters); j++ {
			v, err := wallet.GenerateVoterKey(rand.Reader)
			if err != nil {
				return nil, err
			}
			set.Voters = append(set.Voters, v)
			roll = append(roll, election.RollEntry{Voter: v.Public(), Weight: 1})
		}
		tx, err := election.NewAppendVotersTx(chainID, id, roll, spec.Authority)
		if err := step(ctx, sub, "append voters", tx, err); err != nil {
			return nil, err
		}
	}
	params, err := m.DKGParams(id)
	if err != nil {
		return nil, err
	}
	deals := make([]*tally.DKGDeal, nTrustees)
	for i := range trustees {
		deal, secret, err := tally.NewDKGDeal(params, uint32(i+1), rand.Reader)
		if err != nil {
			return nil, err
		}
		deals[i], trustees[i].secret = deal, secret
		tx, err := election.NewDKGDealTx(chainID, id, deal, trustees[i].identity)
		if err := step(ctx, sub, fmt.Sprintf("trustee %d deal", i+1), tx, err); err != nil {
			return nil, err
		}
	}
	for i, t := range trustees {
		complaints, err := tally.CheckDeals(params, uint32(i+1), t.enc, deals)
		if err != nil {
			return nil, err
		}
		tx, err := election.NewDKGComplaintsTx(chainID, id, complaints, t.identity)
		if err := step(ctx, sub, fmt.Sprintf("trustee %d checks the deals", i+1), tx, err); err != nil {
			return nil, err
		}
	}
	tx, err = election.NewOpenTx(chainID, id, spec.Authority)
	if err := step(ctx, sub, "open", tx, err); err != nil {
		return nil, err
	}
	if spec.KeyDir != "" {
		if err := writeElectionKeys(spec.KeyDir, yaml.Bytes(), trustees, set.Voters); err != nil {
			return nil, err
		}
	}
	return set, nil
}

func step(ctx context.Context, sub submitter, what string, tx []byte, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return sub.submit(ctx, what, tx)
}

// writeElectionKeys keeps the manifest and the trustees' and voters' keys
// (secret files are mode 0600).
func writeElectionKeys(dir string, manifest []byte, trustees []sampleTrustee, voters []*wallet.VoterKey) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.yaml"), manifest, 0o644); err != nil {
		return err
	}
	for i, t := range trustees {
		base := filepath.Join(dir, fmt.Sprintf("trustee-%d", i+1))
		if err := writeSecret(base+".key", t.identity); err != nil {
			return err
		}
		enc, _ := t.enc.MarshalBinary()
		sec, _ := t.secret.MarshalBinary()
		for suffix, b := range map[string][]byte{".encryption-key": enc, ".dealer-secret": sec} {
			if err := os.WriteFile(base+suffix, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
				return err
			}
		}
	}
	for i, v := range voters {
		if err := writeSecret(filepath.Join(dir, fmt.Sprintf("voter-%d.key", i+1)), v); err != nil {
			return err
		}
	}
	return nil
}
