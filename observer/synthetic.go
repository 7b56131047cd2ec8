package observer

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/version"
	cmttypes "github.com/cometbft/cometbft/types"
	cmtversion "github.com/cometbft/cometbft/version"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
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

// SyntheticOptions describe a synthetic election.
type SyntheticOptions struct {
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
	// BadDeal seals dealer 1's share for trustee 2 as its share for trustee
	// 3: trustee 2 complains, dealer 1 answers with the share in the open,
	// and the ceremony goes on with everyone qualified.
	BadDeal bool
	// Weights gives voter i the weight 1 + i%3.
	Weights bool
	// FailDKG has only trustee 1 deal: at the end of the deal round the
	// ceremony fails, and the record ends there (no ballots).
	FailDKG bool
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
	opts     SyntheticOptions
	chainID  string
	val      ed25519.PrivKey
	vals     *cmttypes.ValidatorSet
	genHash  []byte
	machine  *election.Machine
	store    *election.MemStore
	rw       *RecordWriter
	id       election.ID
	height   int64
	t0       time.Time
	prevHash []byte
	last     time.Time // the last block's time
	skipTo   time.Time // the next block's time, if later than last + 1s
	replaced map[[32]byte]bool
	kinds    map[election.Kind]int
}

// WriteSyntheticRecord builds the election of opts and writes its record to
// w. It returns the totals the voters' choices add up to, per option.
func WriteSyntheticRecord(w io.Writer, opts SyntheticOptions) ([]uint64, error) {
	if opts.Voters < 1 || opts.Revotes < 0 || opts.Revotes > opts.Voters {
		return nil, fmt.Errorf("observer: synthetic election of %d voters and %d revotes", opts.Voters, opts.Revotes)
	}
	if opts.PerBlock <= 0 {
		opts.PerBlock = 1000
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	s := &synth{opts: opts, chainID: "evote-synthetic", t0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), replaced: map[[32]byte]bool{}, kinds: map[election.Kind]int{}}
	s.val = ed25519.GenPrivKeyFromSecret([]byte("evote/v1/synthetic/validator/" + opts.Seed))
	s.vals = cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(s.val.PubKey(), 10)})
	authority := election.DeriveKey("synthetic authority " + opts.Seed)
	gen := election.Genesis{ChainID: s.chainID, Authorities: []election.AuthorityPublicKey{authority.AuthorityPublic()}}
	appState, err := json.Marshal(gen)
	if err != nil {
		return nil, err
	}
	canon, err := chain.CanonicalAppState(appState)
	if err != nil {
		return nil, err
	}
	s.genHash = chain.GenesisAppHash(s.chainID, canon)
	if s.machine, err = election.NewMachineFromAppState(canon, s.chainID, election.Options{}); err != nil {
		return nil, err
	}
	s.store = election.NewMemStore()

	// Trustees and manifest.
	rnd := seededReader("trustees " + opts.Seed)
	type trustee struct {
		identity *election.PrivateKey
		enc      *tally.TrusteeEncryptionKey
		secret   *tally.DealerSecret
	}
	trustees := make([]trustee, 3)
	type tv struct{ Name, Identity, EncryptionKey string }
	var tvs []tv
	for i := range trustees {
		id := election.DeriveKey(fmt.Sprintf("synthetic trustee %d %s", i+1, opts.Seed))
		enc, err := tally.GenerateTrusteeEncryptionKey(rnd)
		if err != nil {
			return nil, err
		}
		trustees[i] = trustee{identity: id, enc: enc}
		tvs = append(tvs, tv{fmt.Sprintf("Trustee %d", i+1), id.Public().String(), election.EncryptionKeyOf(enc.Public()).String()})
	}
	var yaml bytes.Buffer
	vars := map[string]any{
		"Seed": strings.ReplaceAll(opts.Seed, " ", "-"), "Authority": authority.Public().String(),
		"DealsBy": s.t0.Add(24 * time.Hour).Format(time.RFC3339), "Close": s.t0.Add(365 * 24 * time.Hour).Format(time.RFC3339),
		"Trustees": tvs, "Open": "", "Weights": opts.Weights,
	}
	openAt, closeAt := s.t0.Add(3*time.Hour), s.t0.Add(4*time.Hour)
	if opts.Timers {
		vars["DealsBy"] = s.t0.Add(2 * time.Hour).Format(time.RFC3339)
		vars["Open"], vars["Close"] = openAt.Format(time.RFC3339), closeAt.Format(time.RFC3339)
	}
	err = template.Must(template.New("m").Parse(syntheticManifest)).Execute(&yaml, vars)
	if err != nil {
		return nil, err
	}
	man, err := election.ParseManifestYAML(yaml.Bytes())
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
	head := &RecordHead{ChainID: s.chainID, Election: s.id, Manifest: manBytes,
		Genesis: RecordGenesis{AppState: appState, Validators: []RecordValidator{{PubKey: s.val.PubKey().Bytes(), Power: 10}}}}
	if s.rw, err = NewRecordWriter(w, head); err != nil {
		return nil, err
	}

	// Block 1 anchors the genesis; then the election's set-up.
	if err := s.block(nil); err != nil {
		return nil, err
	}
	create, err := election.NewCreateElectionTx(s.chainID, man, authority)
	if err != nil {
		return nil, err
	}
	if err := s.block([][]byte{create}); err != nil {
		return nil, err
	}
	voters := make([]*wallet.VoterKey, opts.Voters)
	var appends [][]byte
	for i := 0; i < opts.Voters; i += election.MaxRollBatch {
		var roll []election.RollEntry
		for j := i; j < min(i+election.MaxRollBatch, opts.Voters); j++ {
			voters[j] = wallet.NewVoterKey(election.DeriveKey(fmt.Sprintf("synthetic voter %d %s", j, opts.Seed)))
			roll = append(roll, election.RollEntry{Voter: voters[j].Public(), Weight: weightOf(opts, j)})
		}
		tx, err := election.NewAppendVotersTx(s.chainID, s.id, roll, authority)
		if err != nil {
			return nil, err
		}
		appends = append(appends, tx)
	}
	if err := s.block(appends); err != nil {
		return nil, err
	}
	params, err := man.DKGParams(s.id)
	if err != nil {
		return nil, err
	}
	deals := make([]*tally.DKGDeal, len(trustees))
	var txs [][]byte
	for i := range trustees {
		d, sec, err := tally.NewDKGDeal(params, uint32(i+1), rnd)
		if err != nil {
			return nil, err
		}
		if opts.BadDeal && i == 0 {
			var to2, to3 int
			for k, sh := range d.Shares {
				switch sh.Recipient {
				case 2:
					to2 = k
				case 3:
					to3 = k
				}
			}
			d.Shares[to2].Enc, d.Shares[to2].Ciphertext = d.Shares[to3].Enc, d.Shares[to3].Ciphertext
		}
		deals[i], trustees[i].secret = d, sec
		tx, err := election.NewDKGDealTx(s.chainID, s.id, d, trustees[i].identity)
		if err != nil {
			return nil, err
		}
		txs = append(txs, tx)
	}
	if opts.FailDKG {
		txs = txs[:1]
	}
	if err := s.block(txs); err != nil {
		return nil, err
	}
	if opts.FailDKG {
		s.skipTo = man.Schedule.DKGDealsBy // the deal round ends, one deal short
		if err := s.block(nil); err != nil {
			return nil, err
		}
		claims, err := Claims(s.store, s.id)
		if err != nil {
			return nil, err
		}
		if claims.Phase != election.PhaseFailed.String() {
			return nil, fmt.Errorf("observer: synthetic ceremony is %s, want failed", claims.Phase)
		}
		return nil, s.rw.Close(claims)
	}
	txs = nil
	var allComplaints []*tally.DKGComplaint
	for i, t := range trustees {
		if opts.Timers && i == 2 {
			continue // trustee 3 stays silent: the window ends the round
		}
		complaints, err := tally.CheckDeals(params, uint32(i+1), t.enc, deals)
		if err != nil {
			return nil, err
		}
		allComplaints = append(allComplaints, complaints...)
		tx, err := election.NewDKGComplaintsTx(s.chainID, s.id, complaints, t.identity)
		if err != nil {
			return nil, err
		}
		txs = append(txs, tx)
	}
	if err := s.block(txs); err != nil {
		return nil, err
	}
	var responses []*tally.DKGResponse
	if len(allComplaints) > 0 {
		// Each accused dealer answers every complaint against it.
		txs = nil
		for i, t := range trustees {
			var rs []*tally.DKGResponse
			for _, c := range allComplaints {
				if c.Dealer == uint32(i+1) {
					r, err := t.secret.Respond(params, c)
					if err != nil {
						return nil, err
					}
					rs = append(rs, r)
				}
			}
			if len(rs) == 0 {
				continue
			}
			responses = append(responses, rs...)
			tx, err := election.NewDKGResponsesTx(s.chainID, s.id, rs, t.identity)
			if err != nil {
				return nil, err
			}
			txs = append(txs, tx)
		}
		if err := s.block(txs); err != nil {
			return nil, err
		}
	}
	if opts.Timers {
		s.skipTo = s.last.Add(time.Hour + time.Second) // the complaint window ends
		if err := s.block(nil); err != nil {
			return nil, err
		}
	}
	key, err := election.JointKey(s.store, s.id)
	if err != nil {
		return nil, fmt.Errorf("observer: synthetic key ceremony: %w", err)
	}
	if opts.Timers {
		s.skipTo = openAt // the scheduled opening
		if err := s.block(nil); err != nil {
			return nil, err
		}
	} else {
		open, err := election.NewOpenTx(s.chainID, s.id, authority)
		if err != nil {
			return nil, err
		}
		if err := s.block([][]byte{open}); err != nil {
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
		closeTx, err := election.NewCloseTx(s.chainID, s.id, authority)
		if err != nil {
			return nil, err
		}
		if err := s.block([][]byte{closeTx}); err != nil {
			return nil, err
		}
	}
	res, err := tally.Finalize(params, deals, allComplaints, responses)
	if err != nil {
		return nil, err
	}
	aggs, err := election.Aggregates(s.store, s.id)
	if err != nil {
		return nil, err
	}
	txs = nil
	for _, j := range []uint32{1, 3} { // trustee 2 stays away
		t := trustees[j-1]
		x, err := res.SecretShare(params, j, t.enc, t.secret, deals)
		if err != nil {
			return nil, err
		}
		shares, err := tally.PartialDecryptAll(x, j, aggs, s.id[:], rnd)
		if err != nil {
			return nil, err
		}
		tx, err := election.NewDecryptionSharesTx(s.chainID, s.id, shares, t.identity)
		if err != nil {
			return nil, err
		}
		txs = append(txs, tx)
	}
	if err := s.block(txs); err != nil {
		return nil, err
	}
	claims, err := Claims(s.store, s.id)
	if err != nil {
		return nil, err
	}
	if claims.Result == nil && opts.Mutate == nil {
		return nil, fmt.Errorf("observer: synthetic election ended %s (%s)", claims.Phase, claims.Failure)
	}
	return totals, s.rw.Close(claims)
}

// block runs txs through the state machine as block s.height+1, builds its
// header and signed commit, and writes it.
func (s *synth) block(txs [][]byte) error {
	s.height++
	h := s.height
	t := s.last.Add(time.Second)
	if s.last.IsZero() {
		t = s.t0.Add(time.Second)
	}
	if s.skipTo.After(t) {
		t = s.skipTo
	}
	s.last = t
	b := election.Block{ChainID: s.chainID, Height: h, Time: t}
	blk, err := s.machine.BeginBlock(s.store, b)
	if err != nil {
		return err
	}
	for i, tx := range txs {
		kind := election.Kind(0)
		if d, err := election.DecodeTx(tx); err == nil {
			kind = d.Kind
		}
		prechecked, mutated := kind == election.KindBallot, false
		if s.opts.Mutate != nil {
			if m := s.opts.Mutate(kind, s.kinds[kind], tx); !bytes.Equal(m, tx) {
				tx, txs[i], prechecked, mutated = m, m, true, true
			}
			s.kinds[kind]++
		}
		res, err := blk.Deliver(tx, prechecked)
		if err != nil {
			return err
		}
		if !res.OK() && !mutated {
			return fmt.Errorf("observer: synthetic block %d: %s rejected: %s (%s)", h, kind, res.Code, res.Log)
		}
	}
	if err := blk.End(); err != nil {
		return err
	}
	ctxs := make(cmttypes.Txs, len(txs))
	for i, tx := range txs {
		ctxs[i] = tx
	}
	app := sha256.Sum256([]byte(fmt.Sprintf("synthetic app hash %d", h)))
	appHash := app[:]
	if h == 1 {
		appHash = s.genHash
	}
	empty := sha256.Sum256(nil)
	header := cmttypes.Header{
		Version:            cmtproto.Consensus{Block: cmtversion.BlockProtocol},
		ChainID:            s.chainID,
		Height:             h,
		Time:               t,
		DataHash:           ctxs.Hash(),
		ValidatorsHash:     s.vals.Hash(),
		NextValidatorsHash: s.vals.Hash(),
		ConsensusHash:      empty[:],
		AppHash:            appHash,
		LastResultsHash:    empty[:],
		EvidenceHash:       empty[:],
		ProposerAddress:    s.val.PubKey().Address(),
	}
	if s.prevHash != nil {
		part := sha256.Sum256(append([]byte("parts"), s.prevHash...))
		header.LastBlockID = cmttypes.BlockID{Hash: s.prevHash, PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: part[:]}}
		header.LastCommitHash = empty[:]
	}
	hash := header.Hash()
	part := sha256.Sum256(append([]byte("parts"), hash...))
	commit := &cmttypes.Commit{Height: h, BlockID: cmttypes.BlockID{Hash: hash, PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: part[:]}},
		Signatures: []cmttypes.CommitSig{{BlockIDFlag: cmttypes.BlockIDFlagCommit, ValidatorAddress: s.val.PubKey().Address(), Timestamp: t.Add(500 * time.Millisecond)}}}
	sig, err := s.val.Sign(commit.VoteSignBytes(s.chainID, 0))
	if err != nil {
		return err
	}
	commit.Signatures[0].Signature = sig
	s.prevHash = hash

	rb := &RecordBlock{Height: h, Txs: []RecordTx{}}
	var err2 error
	if rb.Header, err2 = cmtjsonMarshal(&header); err2 != nil {
		return err2
	}
	if rb.Commit, err2 = cmtjsonMarshal(commit); err2 != nil {
		return err2
	}
	rb.TxHashes = txHashes(ctxs)
	for i, tx := range txs {
		kind := election.Kind(0)
		if d, err := election.DecodeTx(tx); err == nil {
			kind = d.Kind
		}
		rt := RecordTx{Index: i, Kind: kind.String(), Tx: tx}
		if kind == election.KindBallot {
			r := s.replaced[election.Hash(tx)]
			rt.Replaced = &r
		}
		rb.Txs = append(rb.Txs, rt)
	}
	return s.rw.WriteBlock(rb)
}

func weightOf(opts SyntheticOptions, voter int) uint32 {
	if !opts.Weights {
		return 1
	}
	return 1 + uint32(voter%3)
}
