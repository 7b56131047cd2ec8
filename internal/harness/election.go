package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/keyfile"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

// Spec describes an election the harness creates.
type Spec struct {
	// Template is the manifest's YAML as a text/template over Authority,
	// Reference, DealsBy, Close and Trustees (a []Member), and Vars.
	Template  string
	Reference string
	Vars      map[string]any // further template variables, or overrides
	// Trustees is how many trustees there are (0: three), named
	// TrusteeName with their index (default "Trustee %d").
	Trustees    int
	TrusteeName string
	// TrusteeOptions are the options of trustee i (from 1), for tests of
	// faults and stops.
	TrusteeOptions map[int]trustee.Options
	Voters         int
	// Weight, if set, gives voter i (from 0) its weight; else 1.
	Weight    func(i int) uint32
	RollBatch int // voters per append (0: election.MaxRollBatch)
	Authority *election.PrivateKey
	Rand      io.Reader // keys and ballots; nil: crypto/rand
	// Now is the time the schedule counts from (deals by Now+1h, close
	// Now+30 days); the zero time is the memory machine's clock, or the
	// wall clock.
	Now time.Time
}

// Election is an election the harness created, with its roles.
type Election struct {
	Sub          Submitter
	ChainID      string
	ID           election.ID
	Manifest     *election.Manifest
	ManifestYAML []byte
	Authority    *Authority
	Trustees     []*Trustee
	Voters       []*Voter
	Rand         io.Reader

	wallet *wallet.Election
}

// Create makes the trustees' keys and the voters', writes the manifest,
// and creates the election with its roll through sub. The key ceremony is
// Ceremony's.
func Create(ctx context.Context, sub Submitter, spec Spec) (*Election, error) {
	rnd := spec.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	chainID, err := sub.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	e := &Election{Sub: sub, ChainID: chainID, Authority: &Authority{Key: spec.Authority, Sub: sub}, Rand: rnd}
	n, name := spec.Trustees, spec.TrusteeName
	if n == 0 {
		n = 3
	}
	if name == "" {
		name = "Trustee %d"
	}
	var members []Member
	for i := range n {
		t, err := NewTrustee(fmt.Sprintf(name, i+1), spec.TrusteeOptions[i+1], rnd)
		if err != nil {
			return nil, err
		}
		m, err := t.Member()
		if err != nil {
			return nil, err
		}
		e.Trustees, members = append(e.Trustees, t), append(members, m)
	}
	now := spec.Now
	if now.IsZero() {
		now = time.Now()
		if m, ok := sub.(*Memory); ok {
			now = m.Now
		}
	}
	now = now.UTC().Truncate(time.Second)
	vars := map[string]any{
		"Authority": spec.Authority.AuthorityPublic().String(),
		"Reference": spec.Reference,
		"DealsBy":   now.Add(time.Hour).Format(time.RFC3339),
		"Close":     now.Add(30 * 24 * time.Hour).Format(time.RFC3339),
		"Trustees":  members,
	}
	for k, v := range spec.Vars {
		vars[k] = v
	}
	if e.Manifest, e.ManifestYAML, err = ManifestFromTemplate(spec.Template, vars); err != nil {
		return nil, err
	}
	if e.ID, err = e.Authority.Create(ctx, e.Manifest); err != nil {
		return nil, err
	}
	roll := make([]election.RollEntry, spec.Voters)
	for i := range roll {
		k, err := wallet.GenerateVoterKey(rnd)
		if err != nil {
			return nil, err
		}
		w := uint32(1)
		if spec.Weight != nil {
			w = spec.Weight(i)
		}
		e.Voters = append(e.Voters, &Voter{Key: k, Weight: w})
		roll[i] = election.RollEntry{Voter: k.Public(), Weight: w}
	}
	if len(roll) > 0 {
		if err := e.Authority.AppendRoll(ctx, e.ID, roll, spec.RollBatch); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Setup creates the election, runs its key ceremony and opens it.
func Setup(ctx context.Context, sub Submitter, spec Spec) (*Election, error) {
	e, err := Create(ctx, sub, spec)
	if err != nil {
		return nil, err
	}
	if err := e.Ceremony(ctx); err != nil {
		return nil, err
	}
	if err := e.Authority.Open(ctx, e.ID); err != nil {
		return nil, err
	}
	return e, nil
}

// ErrFailed: the election failed where the harness waited for it to go on.
var ErrFailed = errors.New("the election failed")

// Ceremony runs the trustees until the key ceremony has fixed the joint
// key (or the election failed: ErrFailed).
func (e *Election) Ceremony(ctx context.Context) error {
	return e.runUntil(ctx, election.PhaseReady)
}

// Decrypt runs the trustees (those not Offline) until the result is
// derived (or the election failed: ErrFailed).
func (e *Election) Decrypt(ctx context.Context) error {
	return e.runUntil(ctx, election.PhaseTallied)
}

func (e *Election) runUntil(ctx context.Context, p election.Phase) error {
	err := RunTrustees(ctx, e.Sub, e.ID, e.Trustees, PhaseIn(p, election.PhaseFailed))
	if err != nil {
		return err
	}
	v, err := e.Sub.View(ctx, e.ID, nil)
	if err != nil {
		return err
	}
	if v.Phase == election.PhaseFailed {
		return fmt.Errorf("%w: %s", ErrFailed, v.Failure)
	}
	return nil
}

// Wallet is the election as its voters build ballots for it (once the
// joint key is fixed).
func (e *Election) Wallet(ctx context.Context) (*wallet.Election, error) {
	if e.wallet != nil {
		return e.wallet, nil
	}
	v, err := e.Sub.View(ctx, e.ID, nil)
	if err != nil {
		return nil, err
	}
	el, err := wallet.NewElection(e.ChainID, e.Manifest, v.JointKey)
	if err != nil {
		return nil, err
	}
	e.wallet = el
	return el, nil
}

// Cast has voter i (from 0) cast a ballot of choices (its next: a revote
// after the first).
func (e *Election) Cast(ctx context.Context, i int, choices [][]uint64) (*wallet.Ballot, int64, error) {
	el, err := e.Wallet(ctx)
	if err != nil {
		return nil, 0, err
	}
	return e.Voters[i].Cast(ctx, e.Sub, el, choices, e.Rand)
}

// WriteKeys writes the manifest and every key under dir: manifest.yaml,
// trustee-N.key (identity), trustee-N.encryption-key and
// trustee-N.dealer-secret (hex), voter-N.key; secret files are mode 0600.
func (e *Election) WriteKeys(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.yaml"), e.ManifestYAML, 0o644); err != nil {
		return err
	}
	for i, t := range e.Trustees {
		base := filepath.Join(dir, fmt.Sprintf("trustee-%d", i+1))
		files := []struct{ suffix, text string }{
			{".key", t.State.Identity}, {".encryption-key", t.State.EncryptionKey}, {".dealer-secret", t.DealerSecret},
		}
		for _, f := range files {
			if f.text == "" {
				continue
			}
			if err := os.WriteFile(base+f.suffix, []byte(f.text+"\n"), 0o600); err != nil {
				return err
			}
		}
	}
	for i, v := range e.Voters {
		if err := keyfile.Write(filepath.Join(dir, fmt.Sprintf("voter-%d.key", i+1)), v.Key); err != nil {
			return err
		}
	}
	return nil
}
