// Package synthetic builds the record of a whole election without a
// network, for benchmarks, tests and fuzz seeds (`evote bench verify`,
// observer's tests). Its roles are the harness's: the authority's
// transactions, the trustees of package trustee (Step and Advance) and the
// voters' wallet ballots; only the chain is made here.
package synthetic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	cmtversion "github.com/cometbft/cometbft/version"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/trustee"
	"github.com/evote/evote/wallet"
)

// A synthetic record: the record of a whole election built without a
// network, for benchmarks, tests and fuzz seeds. It holds real signed
// transactions, real proofs and real decryption shares; only the chain is
// made here: one validator whose key is derived from the seed signs the
// headers this code builds, and the state machine runs over an in-memory
// store to know what the chain would hold. A verifier cannot tell such a
// record from an exported one, except that it trusts the generated
// validator (the record's genesis).

// Options describe a synthetic election.
type Options struct {
	Seed     string // derives every key and choice; the same seed gives the same keys
	Voters   int    // each casts one ballot
	Revotes  int    // the first Revotes voters cast a second ballot at the end
	PerBlock int    // ballots per block; 0 means 1000
	Workers  int    // ballot builders; 0 means 1
	// Progress, if set, is called with the ballots built so far.
	Progress func(built, total int)
	// Mutate, if set, may replace the n-th transaction of each kind (from
	// 0, in chain order) before its block is built: tests make records
	// whose blocks are well signed but whose transactions break a rule.
	// The state machine that builds the record then skips the signature
	// and proof checks of the transactions it changed.
	Mutate func(kind election.Kind, n int, tx []byte) []byte
	// Timers lets the schedule move the election: trustee 3 posts no
	// complaints (the complaint window ends the round), the scheduled
	// opening opens it and the scheduled closing closes it, each in a
	// block of its own with no transaction.
	Timers bool
	// BadDeal has dealer 1 seal a wrong share to trustee 2
	// (trustee.FaultBadShare): trustee 2 complains, dealer 1 answers with
	// the share in the open, and the ceremony goes on with everyone
	// qualified.
	BadDeal bool
	// Weights gives voter i the weight 1 + i%3.
	Weights bool
	// FailDKG has only trustee 1 deal: at the end of the deal round the
	// ceremony fails, and the record ends there (no ballots).
	FailDKG bool
	// Validators is the number of validators, of equal power (0 means
	// 1); the first one's key is the same whatever their number.
	Validators int
	// Absent, if set, names the validators (by their index in the set's
	// order) whose signature is absent from the commit of block h: tests
	// make commits signed by too little of the voting power.
	Absent func(h int64) []int
	// ValidatorChange, with 4 validators or more, has the authority retire
	// the last genesis validator (block 2, in force from block 4) and add a
	// new one (block 4, in force from block 6) before the election's
	// creation, as `evote network validator` does: the blocks are signed
	// by the set in force at each height.
	ValidatorChange bool
	// StaleCommits, with ValidatorChange, has the genesis set go on
	// signing every block as if nothing changed: no verifier accepts it.
	StaleCommits bool
}

// signers is a validator set and its keys, in force from a height on.
type signers struct {
	from  int64
	vals  *cmttypes.ValidatorSet
	privs []ed25519.PrivKey // in the set's order
}

func newSigners(from int64, keys []ed25519.PrivKey) *signers {
	byAddr := map[string]ed25519.PrivKey{}
	var cvals []*cmttypes.Validator
	for _, k := range keys {
		byAddr[string(k.PubKey().Address())] = k
		cvals = append(cvals, cmttypes.NewValidator(k.PubKey(), 10))
	}
	s := &signers{from: from, vals: cmttypes.NewValidatorSet(cvals)}
	for _, v := range s.vals.Validators {
		s.privs = append(s.privs, byAddr[string(v.Address)])
	}
	return s
}

// signersAt is the set in force at height h.
func (s *synth) signersAt(h int64) *signers {
	at := s.sets[0]
	for _, x := range s.sets {
		if x.from <= h {
			at = x
		}
	}
	return at
}

// syntheticManifest is one approval question of five options (1 to 3
// selections), three trustees of whom any two decrypt.
const syntheticManifest = `reference: synthetic-{{.Seed}}
authority: {{.Authority}}
languages: [en]
title:
  en: Synthetic election {{.Seed}}
revoting: true
weights: {{.Weights}}
schedule:
  dkg_deals_by: {{.DealsBy}}
  dkg_complaint_window: 1h
  dkg_response_window: 1h
{{- if .Open}}
  open: {{.Open}}
{{- end}}
  close: {{.Close}}
trustees:
  threshold: 2
  members:
{{- range .Trustees}}
    - name: {{.Name}}
      identity: {{.Identity}}
      encryption_key: {{.EncryptionKey}}
{{- end}}
contests:
  - type: approval
    min_selections: 1
    max_selections: 3
    title:
      en: Which projects should be funded? (choose 1 to 3)
    options:
      - {en: Library}
      - {en: Cycle lanes}
      - {en: Swimming pool}
      - {en: Street lighting}
      - {en: Gardens}
`

// seededReader is a deterministic stream of bytes (SHAKE-256 of a label).
func seededReader(label string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte("evote/v1/synthetic/" + label))
	return h
}

type synth struct {
	opts     Options
	chainID  string
	sets     []*signers // the genesis set, then each change's
	genHash  []byte
	mem      *harness.Memory
	rw       *observer.RecordWriter
	id       election.ID
	t0       time.Time
	prevHash []byte
	skipTo   time.Time // the next block's time, if later than last + 1s
	replaced map[[32]byte]bool
	pre      map[[32]byte]bool // delivered as prechecked
	kinds    map[election.Kind]int
	queue    [][]byte // what the roles submitted for the next block
	// The state commitment after the last block, and whether that block
	// changed it (the next block then carries it with its proof).
	state   *election.StateCommitment
	changed bool
}

// The roles submit to the synth: a transaction waits in the queue for the
// next block, and its submitter is told it is in that block. The block
// then fails the build if the machine refuses one (unless Mutate changed
// it), so the roles never go on from a refusal they were not told of.
func (s *synth) ChainID(context.Context) (string, error) { return s.chainID, nil }

func (s *synth) Submit(_ context.Context, _ string, tx []byte) (int64, error) {
	s.queue = append(s.queue, tx)
	return s.mem.Height + 1, nil
}

func (s *synth) View(ctx context.Context, id election.ID, wants func(*trustee.View) trustee.Wants) (*trustee.View, error) {
	return s.mem.View(ctx, id, wants)
}

func (s *synth) Wait(context.Context) error { return errors.New("synthetic: no block to wait for") }

// flush builds the next block from the queue.
func (s *synth) flush() error {
	txs := s.queue
	s.queue = nil
	return s.block(txs)
}

// step has each trustee of ts look at the chain once; what they submit
// goes in the next block.
func (s *synth) step(ctx context.Context, ts ...*harness.Trustee) error {
	for _, t := range ts {
		if _, err := t.Step(ctx, s, s.id); err != nil {
			return fmt.Errorf("synthetic: trustee %s: %w", t.State.Name, err)
		}
	}
	return nil
}

// Write builds the election of opts and writes its record to w. It returns
// the totals the voters' choices add up to, per option.
func Write(w io.Writer, opts Options) ([]uint64, error) {
	if opts.Voters < 1 || opts.Revotes < 0 || opts.Revotes > opts.Voters {
		return nil, fmt.Errorf("synthetic: election of %d voters and %d revotes", opts.Voters, opts.Revotes)
	}
	if opts.PerBlock <= 0 {
		opts.PerBlock = 1000
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	ctx := context.Background()
	s := &synth{opts: opts, chainID: "evote-synthetic", t0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		replaced: map[[32]byte]bool{}, pre: map[[32]byte]bool{}, kinds: map[election.Kind]int{}}
	var keys []ed25519.PrivKey
	for i := range max(1, opts.Validators) + 1 { // the last one is added by ValidatorChange
		secret := "evote/v1/synthetic/validator/" + opts.Seed
		if i > 0 {
			secret += fmt.Sprintf("/%d", i)
		}
		keys = append(keys, ed25519.GenPrivKeyFromSecret([]byte(secret)))
	}
	n := len(keys) - 1
	s.sets = []*signers{newSigners(1, keys[:n])}
	if opts.ValidatorChange {
		if n < 4 {
			return nil, fmt.Errorf("synthetic: a validator change needs 4 validators or more, not %d", n)
		}
		if !opts.StaleCommits {
			s.sets = append(s.sets, newSigners(4, keys[:n-1]), newSigners(6, append(keys[:n-1:n-1], keys[n])))
		}
	}
	var genVals []observer.RecordValidator
	var stateVals []election.Validator
	for _, v := range s.sets[0].vals.Validators {
		genVals = append(genVals, observer.RecordValidator{PubKey: v.PubKey.Bytes(), Power: v.VotingPower})
		stateVals = append(stateVals, election.Validator{Key: election.PublicKey(v.PubKey.Bytes()), Power: uint64(v.VotingPower)})
	}
	authority := &harness.Authority{Key: election.DeriveKey("synthetic authority " + opts.Seed), Sub: s}
	gen := election.Genesis{ChainID: s.chainID, Authorities: []election.AuthorityPublicKey{authority.Key.AuthorityPublic()}}
	appState, err := json.Marshal(gen)
	if err != nil {
		return nil, err
	}
	canon, err := election.CanonicalAppState(appState)
	if err != nil {
		return nil, err
	}
	s.genHash = election.GenesisAppHash(s.chainID, canon)
	machine, err := election.NewMachineFromAppState(canon, s.chainID, election.Options{})
	if err != nil {
		return nil, err
	}
	s.mem = &harness.Memory{Machine: machine, Store: election.NewMemStore(), Chain: s.chainID, Now: s.t0,
		Prechecked: func(tx []byte) bool { return s.pre[election.Hash(tx)] }}
	if err := machine.InitValidators(s.mem.Store, stateVals); err != nil {
		return nil, err
	}

	// Trustees and manifest.
	trustees := make([]*harness.Trustee, 3)
	var members []harness.Member
	for i := range trustees {
		var o trustee.Options
		if opts.BadDeal && i == 0 {
			o.Fault = trustee.FaultBadShare
		}
		// Its identity key is derived from the seed, as tests re-sign
		// its messages.
		rnd := seededReader(fmt.Sprintf("trustee %d %s", i+1, opts.Seed))
		st, err := trustee.NewState(fmt.Sprintf("Trustee %d", i+1), rnd)
		if err != nil {
			return nil, err
		}
		id, err := election.DeriveKey(fmt.Sprintf("synthetic trustee %d %s", i+1, opts.Seed)).MarshalText()
		if err != nil {
			return nil, err
		}
		st.Identity = string(id)
		t := &harness.Trustee{State: st, Opts: o, Rand: rnd}
		m, err := t.Member()
		if err != nil {
			return nil, err
		}
		trustees[i], members = t, append(members, m)
	}
	vars := map[string]any{
		"Seed": strings.ReplaceAll(opts.Seed, " ", "-"), "Authority": authority.Key.AuthorityPublic().String(),
		"DealsBy": s.t0.Add(24 * time.Hour).Format(time.RFC3339), "Close": s.t0.Add(365 * 24 * time.Hour).Format(time.RFC3339),
		"Trustees": members, "Open": "", "Weights": opts.Weights,
	}
	openAt, closeAt := s.t0.Add(3*time.Hour), s.t0.Add(4*time.Hour)
	if opts.Timers {
		vars["DealsBy"] = s.t0.Add(2 * time.Hour).Format(time.RFC3339)
		vars["Open"], vars["Close"] = openAt.Format(time.RFC3339), closeAt.Format(time.RFC3339)
	}
	man, _, err := harness.ManifestFromTemplate(syntheticManifest, vars)
	if err != nil {
		return nil, err
	}
	if s.id, err = man.ID(); err != nil {
		return nil, err
	}
	manBytes, err := man.MarshalBinary()
	if err != nil {
		return nil, err
	}
	head := &observer.RecordHead{ChainID: s.chainID, Election: s.id, Manifest: manBytes,
		Genesis: observer.RecordGenesis{AppState: appState, Validators: genVals}}
	if s.rw, err = observer.NewRecordWriter(w, head); err != nil {
		return nil, err
	}

	// Block 1 anchors the genesis; then the validator change, if any, and
	// the election's set-up.
	if err := s.block(nil); err != nil {
		return nil, err
	}
	if opts.ValidatorChange {
		retire, err := election.NewValidatorUpdateTx(s.chainID, election.PublicKey(keys[n-1].PubKey().Bytes()), 0, authority.Key)
		if err != nil {
			return nil, err
		}
		add, err := election.NewValidatorUpdateTx(s.chainID, election.PublicKey(keys[n].PubKey().Bytes()), 10, authority.Key)
		if err != nil {
			return nil, err
		}
		for _, txs := range [][][]byte{{retire}, nil, {add}} {
			if err := s.block(txs); err != nil {
				return nil, err
			}
		}
	}
	if _, err := authority.Create(ctx, man); err != nil {
		return nil, err
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	voters := make([]*wallet.VoterKey, opts.Voters)
	roll := make([]election.RollEntry, opts.Voters)
	for j := range voters {
		voters[j] = wallet.NewVoterKey(election.DeriveKey(fmt.Sprintf("synthetic voter %d %s", j, opts.Seed)))
		roll[j] = election.RollEntry{Voter: voters[j].Public(), Weight: weightOf(opts, j)}
	}
	if err := authority.AppendRoll(ctx, s.id, roll, election.MaxRollBatch); err != nil {
		return nil, err
	}
	if err := s.flush(); err != nil {
		return nil, err
	}

	// The key ceremony: the trustees look at the chain once a round, and
	// each round's messages go in one block.
	dealers := trustees
	if opts.FailDKG {
		dealers = trustees[:1]
	}
	if err := s.step(ctx, dealers...); err != nil {
		return nil, err
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	if opts.FailDKG {
		s.skipTo = man.Schedule.DKGDealsBy // the deal round ends, one deal short
		if err := s.block(nil); err != nil {
			return nil, err
		}
		claims, err := observer.Claims(s.mem.Store, s.id)
		if err != nil {
			return nil, err
		}
		if claims.Phase != election.PhaseFailed.String() {
			return nil, fmt.Errorf("synthetic: ceremony is %s, want failed", claims.Phase)
		}
		return nil, s.close()
	}
	checkers := trustees
	if opts.Timers {
		checkers = trustees[:2] // trustee 3 stays silent: the window ends the round
	}
	if err := s.step(ctx, checkers...); err != nil {
		return nil, err
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	if v, err := s.mem.View(ctx, s.id, nil); err != nil {
		return nil, err
	} else if v.Phase == election.PhaseDKGResponses {
		// Each accused dealer answers the complaints against it.
		if err := s.step(ctx, checkers...); err != nil {
			return nil, err
		}
		if err := s.flush(); err != nil {
			return nil, err
		}
	}
	if opts.Timers {
		s.skipTo = s.mem.Now.Add(time.Hour + time.Second) // the complaint window ends
		if err := s.block(nil); err != nil {
			return nil, err
		}
	}
	key, err := election.JointKey(s.mem.Store, s.id)
	if err != nil {
		return nil, fmt.Errorf("synthetic: key ceremony: %w", err)
	}
	if opts.Timers {
		s.skipTo = openAt // the scheduled opening
		if err := s.block(nil); err != nil {
			return nil, err
		}
	} else {
		if err := authority.Open(ctx, s.id); err != nil {
			return nil, err
		}
		if err := s.flush(); err != nil {
			return nil, err
		}
	}

	// Ballots, built in parallel, committed in order.
	el, err := wallet.NewElection(s.chainID, man, key)
	if err != nil {
		return nil, err
	}
	totals := make([]uint64, man.TotalOptions())
	casts := make([]int, 0, opts.Voters+opts.Revotes) // voter index per ballot
	for i := range opts.Voters {
		casts = append(casts, i)
	}
	for i := range opts.Revotes {
		casts = append(casts, i)
	}
	last := make([][]uint64, opts.Voters) // each voter's counted choices
	built := 0
	for start := 0; start < len(casts); start += opts.PerBlock {
		chunk := casts[start:min(start+opts.PerBlock, len(casts))]
		ballots := make([][]byte, len(chunk))
		choices := make([][]uint64, len(chunk))
		errs := make([]error, len(chunk))
		var wg sync.WaitGroup
		for wkr := range opts.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := wkr; k < len(chunk); k += opts.Workers {
					seq := uint64(1)
					if start+k >= opts.Voters {
						seq = 2
					}
					v := chunk[k]
					label := fmt.Sprintf("ballot %d %d %s", v, seq, opts.Seed)
					pick := rand.New(rand.NewPCG(uint64(v), seq))
					c := []uint64{0, 0, 0, 0, 0}
					for _, o := range pick.Perm(5)[:1+pick.IntN(3)] {
						c[o] = 1
					}
					b, err := wallet.BuildBallot(el, voters[v], seq, [][]uint64{c}, seededReader(label))
					ballots[k], choices[k], errs[k] = b.Tx, c, err
				}
			}()
		}
		wg.Wait()
		for k, err := range errs {
			if err != nil {
				return nil, err
			}
			v := chunk[k]
			if start+k < opts.Voters && v < opts.Revotes {
				s.replaced[election.Hash(ballots[k])] = true
			}
			last[v] = choices[k]
		}
		if err := s.block(ballots); err != nil {
			return nil, err
		}
		built += len(chunk)
		if opts.Progress != nil {
			opts.Progress(built, len(casts))
		}
	}
	for v, c := range last {
		for o, x := range c {
			totals[o] += x * uint64(weightOf(opts, v))
		}
	}

	if opts.Timers {
		s.skipTo = closeAt // the scheduled closing
		if err := s.block(nil); err != nil {
			return nil, err
		}
	} else {
		if err := authority.Close(ctx, s.id); err != nil {
			return nil, err
		}
		if err := s.flush(); err != nil {
			return nil, err
		}
	}
	// Trustees 1 and 3 decrypt; trustee 2 stays away.
	if err := s.step(ctx, trustees[0], trustees[2]); err != nil {
		return nil, err
	}
	if err := s.flush(); err != nil {
		return nil, err
	}
	claims, err := observer.Claims(s.mem.Store, s.id)
	if err != nil {
		return nil, err
	}
	if claims.Result == nil && opts.Mutate == nil {
		return nil, fmt.Errorf("synthetic: election ended %s (%s)", claims.Phase, claims.Failure)
	}
	return totals, s.close()
}

// block runs txs through the state machine as block s.height+1, builds its
// header and signed commit, and writes it.
func (s *synth) block(txs [][]byte) error {
	h := s.mem.Height + 1
	t := s.mem.Now.Add(time.Second)
	if s.skipTo.After(t) {
		t = s.skipTo
	}
	mutated := map[int]bool{}
	for i, tx := range txs {
		kind := election.Kind(0)
		if d, err := election.DecodeTx(tx); err == nil {
			kind = d.Kind
		}
		if kind == election.KindBallot {
			s.pre[election.Hash(tx)] = true
		}
		if s.opts.Mutate != nil {
			if m := s.opts.Mutate(kind, s.kinds[kind], tx); !bytes.Equal(m, tx) {
				txs[i], mutated[i] = m, true
				s.pre[election.Hash(m)] = true
			}
			s.kinds[kind]++
		}
	}
	results, err := s.mem.Block(t, txs)
	if err != nil {
		return err
	}
	for i, res := range results {
		if !res.OK() && !mutated[i] {
			return fmt.Errorf("synthetic: block %d: transaction %d rejected: %s (%s)", h, i, res.Code, res.Log)
		}
	}
	ctxs := make(cmttypes.Txs, len(txs))
	for i, tx := range txs {
		ctxs[i] = tx
	}
	// The chain of writes is made up; the tree of elections holds this
	// election alone, so the header's app hash commits to its state after
	// the block before, which this block carries if it changed.
	app := sha256.Sum256([]byte(fmt.Sprintf("synthetic app hash %d", h)))
	appHash := app[:]
	var state *observer.RecordState
	if h == 1 {
		appHash = s.genHash
	} else if s.state != nil {
		writes := sha256.Sum256([]byte(fmt.Sprintf("synthetic writes %d", h-1)))
		proof := &election.StateProof{WritesChain: writes[:], Path: election.MerkleProofOf([][]byte{s.state.Leaf()}, 0)}
		if appHash, err = proof.AppHash(s.state); err != nil {
			return err
		}
		if s.changed {
			if state, err = observer.NewRecordState(s.state, proof); err != nil {
				return err
			}
		}
	}
	if c, err := election.Commitment(s.mem.Store, s.id); err == nil {
		s.changed = s.state == nil || c.Hash() != s.state.Hash()
		s.state = c
	}
	empty := sha256.Sum256(nil)
	set := s.signersAt(h)
	header := cmttypes.Header{
		Version:            cmtproto.Consensus{Block: cmtversion.BlockProtocol},
		ChainID:            s.chainID,
		Height:             h,
		Time:               t,
		DataHash:           ctxs.Hash(),
		ValidatorsHash:     set.vals.Hash(),
		NextValidatorsHash: s.signersAt(h + 1).vals.Hash(),
		ConsensusHash:      empty[:],
		AppHash:            appHash,
		LastResultsHash:    empty[:],
		EvidenceHash:       empty[:],
		ProposerAddress:    set.privs[0].PubKey().Address(),
	}
	if s.prevHash != nil {
		part := sha256.Sum256(append([]byte("parts"), s.prevHash...))
		header.LastBlockID = cmttypes.BlockID{Hash: s.prevHash, PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: part[:]}}
		header.LastCommitHash = empty[:]
	}
	hash := header.Hash()
	part := sha256.Sum256(append([]byte("parts"), hash...))
	commit := &cmttypes.Commit{Height: h, BlockID: cmttypes.BlockID{Hash: hash, PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: part[:]}}}
	var absent []int
	if s.opts.Absent != nil {
		absent = s.opts.Absent(h)
	}
	for i, k := range set.privs {
		if slices.Contains(absent, i) {
			commit.Signatures = append(commit.Signatures, cmttypes.NewCommitSigAbsent())
			continue
		}
		commit.Signatures = append(commit.Signatures, cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagCommit, ValidatorAddress: k.PubKey().Address(), Timestamp: t.Add(500 * time.Millisecond)})
	}
	for i, k := range set.privs {
		if commit.Signatures[i].BlockIDFlag != cmttypes.BlockIDFlagCommit {
			continue
		}
		sig, err := k.Sign(commit.VoteSignBytes(s.chainID, int32(i)))
		if err != nil {
			return err
		}
		commit.Signatures[i].Signature = sig
	}
	s.prevHash = hash

	rb := &observer.RecordBlock{Height: h, Txs: []observer.RecordTx{}, State: state}
	if rb.Header, err = cmtjson.Marshal(&header); err != nil {
		return err
	}
	if rb.Commit, err = cmtjson.Marshal(commit); err != nil {
		return err
	}
	rb.TxHashes = make([]observer.Bytes, len(ctxs))
	for i, tx := range ctxs {
		rb.TxHashes[i] = tx.Hash()
	}
	for i, tx := range txs {
		kind := election.Kind(0)
		if d, err := election.DecodeTx(tx); err == nil {
			kind = d.Kind
		}
		rt := observer.RecordTx{Index: i, Kind: kind.String(), Tx: tx}
		if kind == election.KindBallot {
			r := s.replaced[election.Hash(tx)]
			rt.Replaced = &r
		}
		rb.Txs = append(rb.Txs, rt)
	}
	return s.rw.WriteBlock(rb)
}

// close writes the blocks that prove the state after the last one (an
// empty block after a block that changed it, as CometBFT makes one), then
// the claims.
func (s *synth) close() error {
	for s.changed {
		if err := s.block(nil); err != nil {
			return err
		}
	}
	claims, err := observer.Claims(s.mem.Store, s.id)
	if err != nil {
		return err
	}
	return s.rw.Close(claims)
}

func weightOf(opts Options, voter int) uint32 {
	if !opts.Weights {
		return 1
	}
	return 1 + uint32(voter%3)
}
