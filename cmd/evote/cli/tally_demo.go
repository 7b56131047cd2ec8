package cli

import (
	"crypto/rand"
	"crypto/sha3"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"time"

	"github.com/spf13/cobra"

	"github.com/evote/evote/tally"
)

// DemoConfig configures `evote tally demo`.
type DemoConfig struct {
	Voters    int
	Trustees  int
	Threshold int
	Seed      string // empty: fresh randomness; otherwise a reproducible run
}

// Validate checks the configuration.
func (c DemoConfig) Validate() error {
	switch {
	case c.Voters < 1 || c.Voters > 100000:
		return fmt.Errorf("--voters must be 1..100000, got %d", c.Voters)
	case c.Trustees < 2 || c.Trustees > tally.DKGMaxTrustees:
		return fmt.Errorf("--trustees must be 2..%d, got %d", tally.DKGMaxTrustees, c.Trustees)
	case c.Threshold < 1 || c.Threshold > c.Trustees-1:
		return fmt.Errorf("--threshold must be 1..%d (one trustee stays away), got %d", c.Trustees-1, c.Threshold)
	}
	return nil
}

func newTallyDemoCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "run a key ceremony, encrypted ballots, batch verification and a threshold decryption",
		Long: `demo plays every role of an election's cryptography in one process: the trustees' key
ceremony, voters encrypting and proving their ballots (one of them auditing a ballot with a
Benaloh challenge), a polling node batch-verifying the ballots and rejecting a copied one, the
homomorphic tally, and the trustees' threshold decryption with one trustee absent and one lying.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg := DemoConfig{
				Voters: e.v.GetInt("voters"), Trustees: e.v.GetInt("trustees"),
				Threshold: e.v.GetInt("threshold"), Seed: e.v.GetString("seed"),
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runTallyDemo(cfg, e.stdout)
		},
	}
	cmd.Flags().Int("voters", 300, "number of voters")
	cmd.Flags().Int("trustees", 5, "number of trustees")
	cmd.Flags().Int("threshold", 3, "trustees needed to decrypt")
	cmd.Flags().String("seed", "", "make the run reproducible from this seed")
	return cmd
}

var demoOptions = []string{"Bike lanes", "Night buses", "Public library hours", "Tree planting", "Free wifi"}

func runTallyDemo(cfg DemoConfig, out io.Writer) error {
	var rnd io.Reader = rand.Reader
	if cfg.Seed != "" {
		h := sha3.NewSHAKE256()
		h.Write([]byte(cfg.Seed))
		rnd = h
	}
	var seed [16]byte
	if _, err := io.ReadFull(rnd, seed[:]); err != nil {
		return err
	}
	pick := mrand.New(mrand.NewPCG(leUint64(seed[:8]), leUint64(seed[8:])))
	election := []byte("demo-election")
	n, t := uint32(cfg.Trustees), uint32(cfg.Threshold)
	step := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	step("evote tally demo: %d trustees (any %d decrypt), %d voters", n, t, cfg.Voters)
	step("question: which %d projects should the city fund? (choose 1 to 3)\n", len(demoOptions))

	// 1. Key ceremony.
	start := time.Now()
	params := &tally.DKGParams{Context: election, N: n, T: t}
	encKeys := make([]*tally.TrusteeEncryptionKey, n)
	for j := range encKeys {
		k, err := tally.GenerateTrusteeEncryptionKey(rnd)
		if err != nil {
			return err
		}
		encKeys[j] = k
		params.Trustees = append(params.Trustees, tally.TrusteeInfo{Index: uint32(j + 1), EncryptionKey: k.Public()})
	}
	deals := make([]*tally.DKGDeal, n)
	secrets := make([]*tally.DealerSecret, n)
	for j := range deals {
		d, s, err := tally.NewDKGDeal(params, uint32(j+1), rnd)
		if err != nil {
			return err
		}
		deals[j], secrets[j] = d, s
	}
	for j := uint32(1); j <= n; j++ {
		complaints, err := tally.CheckDeals(params, j, encKeys[j-1], deals)
		if err != nil {
			return err
		}
		if len(complaints) > 0 {
			return fmt.Errorf("trustee %d complains about %d deals", j, len(complaints))
		}
	}
	result, err := tally.Finalize(params, deals, nil, nil)
	if err != nil {
		return err
	}
	shares := make([]*tally.PrivateKey, n)
	for j := uint32(1); j <= n; j++ {
		if shares[j-1], err = result.SecretShare(params, j, encKeys[j-1], secrets[j-1], deals); err != nil {
			return err
		}
	}
	pk := result.PublicKey
	step("1. key ceremony: %d deals with Feldman commitments, proofs of knowledge and HPKE-sealed shares", n)
	step("   qualified trustees %v; joint public key %x (%v)", result.Qualified, pk.Bytes(), time.Since(start).Round(time.Millisecond))

	// 2. Voters.
	rules := tally.ContestRules{Options: len(demoOptions), MaxPerOption: 1, MinSelections: 1, MaxSelections: 3}
	want := make([]uint64, rules.Options)
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
				return err
			}
			if err := tally.CheckOpening(pk, c, s); err != nil {
				return fmt.Errorf("benaloh challenge: %w", err)
			}
			step("2. voter 0 challenges an encryption: it opens to the choices shown (%v); spoiled, re-encrypted", choices)
		}
		c, _, err := tally.EncryptContest(pk, cc, rules, choices, rnd)
		if err != nil {
			return err
		}
		enc, _ := c.MarshalBinary()
		items[v] = tally.ContestItem{Context: cc, Rules: rules, Encoded: enc}
		for o, m := range choices {
			want[o] += m
		}
	}
	perBallot := time.Since(start) / time.Duration(cfg.Voters)
	step("   %d ballots encrypted and proven on the voters' devices (%v each, %d bytes)", cfg.Voters, perBallot.Round(time.Microsecond), len(items[0].Encoded))

	// 3. The polling node: a copied ballot is refused, the rest verify in one batch.
	copied := tally.ContestItem{
		Context: tally.ContestContext{ElectionID: election, Voter: []byte("voter-intruder")},
		Rules:   rules, Encoded: items[0].Encoded,
	}
	batchErr := tally.VerifyContestBatch(pk, append(append([]tally.ContestItem(nil), items...), copied), rnd)
	var be *tally.BatchError
	if !errors.As(batchErr, &be) || be.Index != len(items) {
		return fmt.Errorf("the copied ballot was not caught: %v", batchErr)
	}
	step("3. polling node: voter 0's ballot resubmitted under another credential is refused: %v", be.Err)
	start = time.Now()
	if err := tally.VerifyContestBatch(pk, items, rnd); err != nil {
		return err
	}
	step("   %d ballots verified in one batch in %v", len(items), time.Since(start).Round(time.Millisecond))

	// 4. The running tally.
	agg := make([]*tally.Ciphertext, rules.Options)
	for i := range agg {
		agg[i] = tally.ZeroCiphertext()
	}
	for _, it := range items {
		cts, err := tally.ContestCiphertexts(rules, it.Encoded)
		if err != nil {
			return err
		}
		for i, ct := range cts {
			agg[i].Add(agg[i], ct)
		}
	}
	step("4. running tally: %d aggregate ciphertexts; no ballot was decrypted", len(agg))

	// 5. Decryption: trustee 2 stays away, trustee 1 lies, the others step in.
	step("5. decryption: trustee 2 is absent")
	var valid [][]*tally.DecryptionShare
	var used []uint32
	for j := uint32(1); j <= n && len(valid) < int(t); j++ {
		if j == 2 {
			continue
		}
		ds, err := tally.PartialDecryptAll(shares[j-1], j, agg, election, rnd)
		if err != nil {
			return err
		}
		if j == 1 {
			for _, s := range ds {
				s.D.Add(s.D, s.D) // a wrong partial decryption
			}
		}
		vk, err := result.VerificationKey(j)
		if err != nil {
			return err
		}
		if err := tally.VerifyDecryptionShares(vk, j, agg, ds, election); err != nil {
			step("   trustee %d's partial decryptions are rejected: %v", j, err)
			continue
		}
		valid = append(valid, ds)
		used = append(used, j)
	}
	totals, err := tally.CombineAll(agg, valid, int(t))
	if err != nil {
		return err
	}
	table, err := tally.NewDlogTable(uint64(cfg.Voters))
	if err != nil {
		return err
	}
	step("   trustees %v decrypt the totals, each share with its proof\n", used)

	// 6. The result.
	fmt.Fprintf(out, "%-24s %8s %8s\n", "option", "votes", "recorded")
	ok := true
	for i, m := range totals {
		got, err := table.Lookup(m)
		if err != nil {
			return fmt.Errorf("option %d: %w", i, err)
		}
		mark := "✓"
		if got != want[i] {
			mark, ok = "✗", false
		}
		fmt.Fprintf(out, "%-24s %8d %8d %s\n", demoOptions[i], got, want[i], mark)
	}
	if !ok {
		return &exitError{code: 2, err: errors.New("the decrypted totals differ from the recorded choices")}
	}
	step("\nthe decrypted totals equal the choices the voters made")
	return nil
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}
