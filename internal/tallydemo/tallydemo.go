// Package tallydemo plays every role of an election's cryptography in one
// process, for `evote tally demo`: the trustees' key ceremony, voters
// encrypting and proving their ballots (one of them auditing a ballot with
// a Benaloh challenge), a polling node batch-verifying the ballots and
// refusing a copied one, the homomorphic tally, and the trustees'
// threshold decryption with one trustee absent and one lying. It returns
// what happened, stage by stage; the command prints it. It uses only
// package tally (tally/example_test.go is the same walk in brief).
package tallydemo

import (
	"crypto/rand"
	"crypto/sha3"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"time"

	"github.com/evote/evote/tally"
)

// Config says how big the demo is.
type Config struct {
	Voters    int
	Trustees  int
	Threshold int    // trustees needed to decrypt; at most Trustees-1 (one stays away)
	Seed      string // empty: fresh randomness; otherwise a reproducible run
}

// Options are the demo's question's options.
var Options = []string{"Bike lanes", "Night buses", "Public library hours", "Tree planting", "Free wifi"}

// Rules are the demo's question's rules: choose 1 to 3 of the options.
var Rules = tally.ContestRules{Options: len(Options), MaxPerOption: 1, MinSelections: 1, MaxSelections: 3}

// AbsentTrustee stays away from the decryption; LyingTrustee posts wrong
// partial decryptions, which are rejected.
const (
	AbsentTrustee = 2
	LyingTrustee  = 1
)

// Stage is a step of the demo; Run reports each as it ends.
type Stage int

const (
	StageCeremony Stage = iota + 1 // the key ceremony
	StageBallots                   // the voters' ballots, one audited
	StageVerify                    // the polling node's checks
	StageTally                     // the running tally
	StageDecrypt                   // the threshold decryption
)

// Rejection is a trustee's partial decryptions that did not verify.
type Rejection struct {
	Trustee uint32
	Err     error
}

// Report is what happened, filled stage by stage.
type Report struct {
	// StageCeremony
	Qualified    []uint32
	JointKey     []byte
	CeremonyTime time.Duration
	// StageBallots
	Audited    []uint64 // the choices of the audited (spoiled) encryption
	PerBallot  time.Duration
	BallotSize int
	// StageVerify
	CopyRefused error // why the copied ballot was refused
	Ballots     int
	BatchTime   time.Duration
	// StageTally
	Aggregates int
	// StageDecrypt
	Rejected   []Rejection
	Decryptors []uint32
	// The result: the decrypted totals and the choices the voters made.
	Totals   []uint64
	Recorded []uint64
}

// Match reports whether every decrypted total equals the recorded one.
func (r *Report) Match() bool {
	for i := range r.Totals {
		if r.Totals[i] != r.Recorded[i] {
			return false
		}
	}
	return len(r.Totals) == len(r.Recorded)
}

// Run plays the demo and calls progress (if not nil) at the end of each
// stage with the report so far.
func Run(cfg Config, progress func(Stage, *Report)) (*Report, error) {
	if progress == nil {
		progress = func(Stage, *Report) {}
	}
	if cfg.Voters < 1 || cfg.Trustees < 2 || cfg.Trustees > tally.DKGMaxTrustees || cfg.Threshold < 1 || cfg.Threshold > cfg.Trustees-1 {
		return nil, fmt.Errorf("tallydemo: %d voters, %d trustees, threshold %d", cfg.Voters, cfg.Trustees, cfg.Threshold)
	}
	var rnd io.Reader = rand.Reader
	if cfg.Seed != "" {
		h := sha3.NewSHAKE256()
		h.Write([]byte(cfg.Seed))
		rnd = h
	}
	var seed [16]byte
	if _, err := io.ReadFull(rnd, seed[:]); err != nil {
		return nil, err
	}
	pick := mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	election := []byte("demo-election")
	n, t := uint32(cfg.Trustees), uint32(cfg.Threshold)
	rep := &Report{}

	// 1. Key ceremony.
	start := time.Now()
	params := &tally.DKGParams{Context: election, N: n, T: t}
	encKeys := make([]*tally.TrusteeEncryptionKey, n)
	for j := range encKeys {
		k, err := tally.GenerateTrusteeEncryptionKey(rnd)
		if err != nil {
			return nil, err
		}
		encKeys[j] = k
		params.Trustees = append(params.Trustees, tally.TrusteeInfo{Index: uint32(j + 1), EncryptionKey: k.Public()})
	}
	deals := make([]*tally.DKGDeal, n)
	secrets := make([]*tally.DealerSecret, n)
	for j := range deals {
		d, s, err := tally.NewDKGDeal(params, uint32(j+1), rnd)
		if err != nil {
			return nil, err
		}
		deals[j], secrets[j] = d, s
	}
	for j := uint32(1); j <= n; j++ {
		complaints, err := tally.CheckDeals(params, j, encKeys[j-1], deals)
		if err != nil {
			return nil, err
		}
		if len(complaints) > 0 {
			return nil, fmt.Errorf("trustee %d complains about %d deals", j, len(complaints))
		}
	}
	result, err := tally.Finalize(params, deals, nil, nil)
	if err != nil {
		return nil, err
	}
	shares := make([]*tally.PrivateKey, n)
	for j := uint32(1); j <= n; j++ {
		if shares[j-1], err = result.SecretShare(params, j, encKeys[j-1], secrets[j-1], deals); err != nil {
			return nil, err
		}
	}
	pk := result.PublicKey
	rep.Qualified, rep.JointKey, rep.CeremonyTime = result.Qualified, pk.Bytes(), time.Since(start)
	progress(StageCeremony, rep)

	// 2. Voters.
	rules := Rules
	rep.Recorded = make([]uint64, rules.Options)
	items := make([]tally.ContestItem, cfg.Voters)
	start = time.Now()
	for v := range items {
		choices := make([]uint64, rules.Options)
		for _, o := range pick.Perm(rules.Options)[:1+pick.IntN(3)] {
			choices[o] = 1
		}
		cc := tally.ContestContext{ElectionID: election, Voter: fmt.Appendf(nil, "voter-%06d", v)}
		if v == 0 {
			// Voter 0 audits a first encryption (Benaloh challenge); it is
			// spoiled, and a fresh one is cast.
			c, s, err := tally.EncryptContest(pk, cc, rules, choices, rnd)
			if err != nil {
				return nil, err
			}
			if err := tally.CheckOpening(pk, c, s); err != nil {
				return nil, fmt.Errorf("benaloh challenge: %w", err)
			}
			rep.Audited = choices
		}
		c, _, err := tally.EncryptContest(pk, cc, rules, choices, rnd)
		if err != nil {
			return nil, err
		}
		enc, _ := c.MarshalBinary()
		items[v] = tally.ContestItem{Context: cc, Rules: rules, Encoded: enc}
		for o, m := range choices {
			rep.Recorded[o] += m
		}
	}
	rep.PerBallot = time.Since(start) / time.Duration(cfg.Voters)
	rep.BallotSize = len(items[0].Encoded)
	progress(StageBallots, rep)

	// 3. The polling node: a copied ballot is refused, the rest verify in one batch.
	copied := tally.ContestItem{
		Context: tally.ContestContext{ElectionID: election, Voter: []byte("voter-intruder")},
		Rules:   rules, Encoded: items[0].Encoded,
	}
	batchErr := tally.VerifyContestBatch(pk, append(append([]tally.ContestItem(nil), items...), copied), rnd)
	var be *tally.BatchError
	if !errors.As(batchErr, &be) || be.Index != len(items) {
		return nil, fmt.Errorf("the copied ballot was not caught: %v", batchErr)
	}
	rep.CopyRefused = be.Err
	start = time.Now()
	if err := tally.VerifyContestBatch(pk, items, rnd); err != nil {
		return nil, err
	}
	rep.Ballots, rep.BatchTime = len(items), time.Since(start)
	progress(StageVerify, rep)

	// 4. The running tally.
	agg := make([]*tally.Ciphertext, rules.Options)
	for i := range agg {
		agg[i] = tally.ZeroCiphertext()
	}
	for _, it := range items {
		cts, err := tally.ContestCiphertexts(rules, it.Encoded)
		if err != nil {
			return nil, err
		}
		for i, ct := range cts {
			agg[i].Add(agg[i], ct)
		}
	}
	rep.Aggregates = len(agg)
	progress(StageTally, rep)

	// 5. Decryption: one trustee stays away, one lies, the others step in.
	var valid [][]*tally.DecryptionShare
	for j := uint32(1); j <= n && len(valid) < int(t); j++ {
		if j == AbsentTrustee {
			continue
		}
		ds, err := tally.PartialDecryptAll(shares[j-1], j, agg, election, rnd)
		if err != nil {
			return nil, err
		}
		if j == LyingTrustee {
			for _, s := range ds {
				s.D.Add(s.D, s.D) // a wrong partial decryption
			}
		}
		vk, err := result.VerificationKey(j)
		if err != nil {
			return nil, err
		}
		if err := tally.VerifyDecryptionShares(vk, j, agg, ds, election); err != nil {
			rep.Rejected = append(rep.Rejected, Rejection{Trustee: j, Err: err})
			continue
		}
		valid = append(valid, ds)
		rep.Decryptors = append(rep.Decryptors, j)
	}
	totals, err := tally.CombineAll(agg, valid, int(t))
	if err != nil {
		return nil, err
	}
	table, err := tally.NewDlogTable(uint64(cfg.Voters))
	if err != nil {
		return nil, err
	}
	for i, m := range totals {
		got, err := table.Lookup(m)
		if err != nil {
			return nil, fmt.Errorf("option %d: %w", i, err)
		}
		rep.Totals = append(rep.Totals, got)
	}
	progress(StageDecrypt, rep)
	return rep, nil
}
