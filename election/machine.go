package election

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/evote/evote/tally"
)

// Genesis is what the network fixes at its start: the chain id (bound into
// every signature) and the authorities that may create elections. The node
// keeps it in CometBFT's genesis app_state as JSON:
//
//	{"chain_id": "evote-test", "authorities": ["evote-authority:<64 hex digits>", ...]}
type Genesis struct {
	ChainID     string               `json:"chain_id"`
	Authorities []AuthorityPublicKey `json:"authorities"`
}

// Validate checks the chain id (1 to 50 bytes) and that there is at least
// one authority and no authority twice.
func (g *Genesis) Validate() error {
	if len(g.ChainID) == 0 || len(g.ChainID) > MaxChainIDLen {
		return fmt.Errorf("election: genesis: chain id of %d bytes (1..%d)", len(g.ChainID), MaxChainIDLen)
	}
	if len(g.Authorities) == 0 {
		return errors.New("election: genesis: no authorities")
	}
	for i, a := range g.Authorities {
		if err := PublicKey(a).check(); err != nil || a.IsZero() {
			return fmt.Errorf("election: genesis: authority %d: %w", i, ErrInvalidKey)
		}
		for _, p := range g.Authorities[:i] {
			if p == a {
				return fmt.Errorf("election: genesis: authority %v listed twice", a)
			}
		}
	}
	return nil
}

// ParseGenesis decodes the JSON form strictly (no unknown fields) and
// validates it.
func ParseGenesis(b []byte) (*Genesis, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var g Genesis
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("election: genesis: %w", err)
	}
	if dec.More() {
		return nil, errors.New("election: genesis: data after the JSON object")
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Machine is the election state machine of one chain. It holds only the
// genesis: all state is in the store it is given, so one Machine may serve
// Precheck calls concurrently with each other and with one sequence of
// BeginBlock, Deliver and EndBlock calls on a different store.
type Machine struct {
	g Genesis
	// manifests caches decoded manifests by election id. A manifest is
	// stored under its own hash and never changes, so the cache can never
	// be stale, whatever store it was read from.
	manifests sync.Map // ID -> *Manifest
	// jointKeys caches decoded joint keys by election id, each with the
	// bytes it was decoded from: a lookup still reads the store and uses
	// the cached key only if the bytes are the same, so the cache can
	// never answer for state the store does not hold.
	jointKeys sync.Map // ID -> cachedKey

	// block is the state of the block under way between BeginBlock and
	// EndBlock; only the goroutine that delivers blocks touches it.
	block *blockSums
}

type cachedKey struct {
	b   []byte
	key *tally.PublicKey
}

// jointKey returns the election's joint key, or nil if it is not fixed.
func (m *Machine) jointKey(r ReadStore, id ID) (*tally.PublicKey, error) {
	b, err := r.Get(keyJointKey(id))
	if err != nil || b == nil {
		return nil, err
	}
	if v, ok := m.jointKeys.Load(id); ok && bytes.Equal(v.(cachedKey).b, b) {
		return v.(cachedKey).key, nil
	}
	k, err := tally.PublicKeyFromBytes(b)
	if err != nil {
		return nil, stateErr("joint key", err)
	}
	m.jointKeys.Store(id, cachedKey{b: b, key: k})
	return k, nil
}

// NewMachine returns the state machine of the chain described by g.
func NewMachine(g Genesis) (*Machine, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	g.Authorities = append([]AuthorityPublicKey(nil), g.Authorities...)
	return &Machine{g: g}, nil
}

// manifest returns the election's manifest, or nil if there is no such
// election.
func (m *Machine) manifest(r ReadStore, id ID) (*Manifest, error) {
	if v, ok := m.manifests.Load(id); ok {
		return v.(*Manifest), nil
	}
	man, err := loadManifest(r, id)
	if err != nil || man == nil {
		return nil, err
	}
	m.manifests.Store(id, man)
	return man, nil
}

// Genesis returns the chain's genesis.
func (m *Machine) Genesis() Genesis {
	g := m.g
	g.Authorities = append([]AuthorityPublicKey(nil), g.Authorities...)
	return g
}

func (m *Machine) isAuthority(k PublicKey) bool {
	for _, a := range m.g.Authorities {
		if a.Key() == k {
			return true
		}
	}
	return false
}

// txCtx is a transaction being checked or executed.
type txCtx struct {
	raw     []byte
	hash    [32]byte
	tx      *Tx
	body    Body
	id      ID        // the election it concerns
	man     *Manifest // the election's manifest (the new one, for create-election)
	trustee uint32    // the signer's trustee index, for trustee transactions
	// checkOnly: the transaction is being admitted (Check), not executed;
	// handlers may stop once every rule is checked and skip the effects.
	checkOnly bool
	// deliver: the transaction is being executed in a block (Deliver), so
	// it sees the block's running sums.
	deliver bool
	// deferProofs: precheckBallot collects the contests to verify in
	// contests (under key) instead of verifying them (PrecheckBatch).
	deferProofs bool
	contests    []tally.ContestItem
	key         *tally.PublicKey
}

// Precheck runs the checks whose verdict depends only on the transaction and
// on immutable state: size, decoding, signature, the signer's role, and the
// costly proofs (a ballot's contests against the manifest's rules and the
// election's joint key; a deal's proof of knowledge; decryption shares
// against the verification keys and the final aggregates). The node may run
// it in parallel, outside the consensus lock, and cache its verdict by
// transaction hash, except for verdicts whose code is Transient.
func (m *Machine) Precheck(st ReadStore, tx []byte) Result {
	_, res, err := m.precheck(st, tx, true, false, false)
	if err != nil {
		return reject(CodeInternal, "store: %v", err)
	}
	return res
}

// Check is mempool admission against committed state: Precheck unless
// prechecked (the node already has Precheck's CodeOK for these bytes), then
// the stateful rules (roll, phase, duplicates, ...). b is the last
// committed block. Check writes nothing.
func (m *Machine) Check(st ReadStore, b Block, tx []byte, prechecked bool) Result {
	res, err := m.execute(newStage(st), b, tx, prechecked, true)
	if err != nil {
		return reject(CodeInternal, "store: %v", err)
	}
	return res
}

// Deliver executes one transaction of the block b. A rejected transaction
// writes nothing. A store failure is reported as CodeInternal: the node
// must then stop (use DeliverTx to receive the error itself).
func (m *Machine) Deliver(st Store, b Block, tx []byte, prechecked bool) Result {
	res, err := m.DeliverTx(st, b, tx, prechecked)
	if err != nil {
		return reject(CodeInternal, "store: %v", err)
	}
	return res
}

// DeliverTx is Deliver with store failures returned as errors.
func (m *Machine) DeliverTx(st Store, b Block, tx []byte, prechecked bool) (Result, error) {
	s := newStage(st)
	res, err := m.execute(s, b, tx, prechecked, false)
	if err != nil || !res.OK() {
		return res, err
	}
	return res, s.flush(st)
}

// BeginBlock applies, before the block's transactions, every scheduled
// transition whose time has come (b.Time at or after it), oldest first: the
// end of the deal round and of the complaint and response windows, the
// scheduled opening and closing.
func (m *Machine) BeginBlock(st Store, b Block) error {
	if b.ChainID != "" && b.ChainID != m.g.ChainID {
		return fmt.Errorf("election: block of chain %q on a machine of chain %q", b.ChainID, m.g.ChainID)
	}
	m.block = &blockSums{sums: make(map[ID]*tally.CiphertextSum)}
	s := newStage(st)
	if err := m.runTimers(s, b); err != nil {
		return err
	}
	return s.flush(st)
}

// EndBlock advances, after the block's transactions, every election whose
// transactions completed a step: the deal round once every trustee has
// dealt, the complaint round once every trustee has posted its complaints,
// the response round once every complaint is answered (then the ceremony is
// finalized and the joint key fixed), and the result once a threshold of
// decryption share sets is in.
func (m *Machine) EndBlock(st Store, b Block) error {
	s := newStage(st)
	if err := m.flushSums(s); err != nil {
		return err
	}
	m.block = nil
	if err := m.runWork(s, b); err != nil {
		return err
	}
	return s.flush(st)
}

// precheck decodes tx and runs the stateless checks; with verify false it
// skips the signature and the proofs (the transaction passed Precheck
// before). A rejection returns a nil context.
func (m *Machine) precheck(st ReadStore, raw []byte, verify, deliver, deferProofs bool) (*txCtx, Result, error) {
	if len(raw) > MaxTxSize {
		return nil, reject(CodeOversized, "transaction of %d bytes exceeds %d", len(raw), MaxTxSize), nil
	}
	tx, err := DecodeTx(raw)
	switch {
	case errors.Is(err, ErrUnknownKind):
		return nil, reject(CodeUnknownKind, "%v", err), nil
	case errors.Is(err, ErrLimit):
		return nil, reject(CodeOversized, "%v", err), nil
	case err != nil:
		return nil, reject(CodeMalformed, "%v", err), nil
	}
	if verify && !tx.Verify(m.g.ChainID) {
		return nil, reject(CodeBadSignature, "the signature of %v does not verify for this %s transaction on chain %q", tx.Signer, tx.Kind, m.g.ChainID), nil
	}
	body, err := DecodeBody(tx.Kind, tx.Body)
	switch {
	case errors.Is(err, ErrInvalidManifest):
		return nil, reject(CodeInvalidManifest, "%v", err), nil
	case err != nil:
		return nil, reject(CodeMalformed, "%s body: %v", tx.Kind, err), nil
	}
	t := &txCtx{raw: raw, tx: tx, body: body, deliver: deliver, deferProofs: deferProofs}
	res, err := m.precheckBody(st, t, verify)
	if err != nil || !res.OK() {
		return nil, res, err
	}
	return t, res, nil
}

// precheckBody runs the kind's checks against immutable state.
func (m *Machine) precheckBody(st ReadStore, t *txCtx, verify bool) (Result, error) {
	signer := t.tx.Signer
	if c, ok := t.body.(*CreateElectionBody); ok {
		t.man = c.Manifest
		t.id = idOf(t.tx.Body) // the body is the manifest's canonical encoding
		if !m.isAuthority(signer) {
			return reject(CodeUnauthorized, "%v is not an authority of this chain", signer), nil
		}
		if c.Manifest.Authority.Key() != signer {
			return reject(CodeUnauthorized, "the manifest names authority %v, the transaction is signed by %v", c.Manifest.Authority, signer), nil
		}
		return Result{}, nil
	}
	t.id = bodyElection(t.body)
	man, err := m.manifest(st, t.id)
	if err != nil {
		return Result{}, err
	}
	if man == nil {
		return reject(CodeUnknownElection, "no election %v", t.id), nil
	}
	t.man = man
	switch body := t.body.(type) {
	case *AppendVotersBody:
		return m.precheckAppend(t, body), nil
	case *OpenBody, *CloseBody:
		if signer != man.Authority.Key() {
			return reject(CodeUnauthorized, "%v is not the authority of election %v", signer, t.id), nil
		}
		return Result{}, nil
	case *BallotBody:
		return m.precheckBallot(st, t, body, verify)
	case *DecryptionSharesBody:
		return m.precheckShares(st, t, body, verify)
	}
	// The key ceremony's transactions.
	t.trustee = man.TrusteeIndex(signer)
	if t.trustee == 0 {
		return reject(CodeNotTrustee, "%v is not a trustee of election %v", signer, t.id), nil
	}
	switch body := t.body.(type) {
	case *DKGDealBody:
		if body.Deal.Dealer != t.trustee {
			return reject(CodeUnauthorized, "trustee %d signed the deal of dealer %d", t.trustee, body.Deal.Dealer), nil
		}
		if verify {
			params, err := man.DKGParams(t.id)
			if err != nil {
				return Result{}, stateErr("manifest", err)
			}
			if err := body.Deal.Verify(params); err != nil {
				return reject(CodeBadDeal, "deal of trustee %d: %v", t.trustee, err), nil
			}
		}
	case *DKGComplaintsBody:
		for _, c := range body.Complaints {
			if c.Complainer != t.trustee {
				return reject(CodeUnauthorized, "trustee %d signed a complaint of trustee %d", t.trustee, c.Complainer), nil
			}
			if int(c.Dealer) > len(man.Trustees.Members) {
				return reject(CodeBadComplaint, "complaint against %d, the election has %d trustees", c.Dealer, len(man.Trustees.Members)), nil
			}
		}
	case *DKGResponsesBody:
		for _, r := range body.Responses {
			if r.Dealer != t.trustee {
				return reject(CodeUnauthorized, "trustee %d signed a response of dealer %d", t.trustee, r.Dealer), nil
			}
			if int(r.Complainer) > len(man.Trustees.Members) {
				return reject(CodeBadResponse, "response to %d, the election has %d trustees", r.Complainer, len(man.Trustees.Members)), nil
			}
		}
	}
	return Result{}, nil
}

func bodyElection(b Body) ID {
	switch b := b.(type) {
	case *AppendVotersBody:
		return b.Election
	case *DKGDealBody:
		return b.Election
	case *DKGComplaintsBody:
		return b.Election
	case *DKGResponsesBody:
		return b.Election
	case *OpenBody:
		return b.Election
	case *CloseBody:
		return b.Election
	case *BallotBody:
		return b.Election
	case *DecryptionSharesBody:
		return b.Election
	}
	return ID{}
}

func (m *Machine) precheckAppend(t *txCtx, body *AppendVotersBody) Result {
	if t.tx.Signer != t.man.Authority.Key() {
		return reject(CodeUnauthorized, "%v is not the authority of election %v", t.tx.Signer, t.id)
	}
	for i, v := range body.Voters {
		if err := v.Voter.check(); err != nil {
			return reject(CodeInvalidKey, "voter %d: %v", i, err)
		}
		if v.Weight == 0 || !t.man.Weights && v.Weight != 1 {
			return reject(CodeInvalidWeight, "voter %v: weight %d (weights enabled: %v)", v.Voter, v.Weight, t.man.Weights)
		}
	}
	return Result{}
}

func (m *Machine) precheckBallot(st ReadStore, t *txCtx, body *BallotBody, verify bool) (Result, error) {
	if !verify {
		// A passed Precheck found the joint key, which is never removed,
		// and the contests, which match the immutable manifest.
		return Result{}, nil
	}
	key, err := m.jointKey(st, t.id)
	if err != nil {
		return Result{}, err
	}
	if key == nil {
		return reject(CodeNotOpen, "election %v has no joint key yet", t.id), nil
	}
	if len(body.Contests) != len(t.man.Contests) {
		return reject(CodeBallotMismatch, "%d contests, the election has %d", len(body.Contests), len(t.man.Contests)), nil
	}
	for i, enc := range body.Contests {
		cc := tally.ContestContext{ElectionID: t.id[:], Voter: t.tx.Signer[:], Contest: uint32(i)}
		if t.deferProofs {
			t.key = key
			t.contests = append(t.contests, tally.ContestItem{Context: cc, Rules: t.man.Contests[i].Rules(), Encoded: enc})
			continue
		}
		err := tally.VerifyContest(key, cc, t.man.Contests[i].Rules(), enc)
		switch {
		case errors.Is(err, tally.ErrInvalidProof):
			return reject(CodeBadProof, "contest %d: %v", i, err), nil
		case err != nil:
			return reject(CodeBallotMismatch, "contest %d: %v", i, err), nil
		}
	}
	return Result{}, nil
}

func (m *Machine) precheckShares(st ReadStore, t *txCtx, body *DecryptionSharesBody, verify bool) (Result, error) {
	t.trustee = t.man.TrusteeIndex(t.tx.Signer)
	if t.trustee == 0 {
		return reject(CodeNotTrustee, "%v is not a trustee of election %v", t.tx.Signer, t.id), nil
	}
	s, err := loadStatus(st, t.id)
	if err != nil {
		return Result{}, err
	}
	switch {
	case s.Phase == PhaseFailed:
		return reject(CodeWrongPhase, "election %v failed (%s)", t.id, s.Failure), nil
	case s.Phase < PhaseClosed:
		return reject(CodeNotClosed, "election %v is %v", t.id, s.Phase), nil
	}
	for i, sh := range body.Shares {
		if sh.Index != t.trustee {
			return reject(CodeUnauthorized, "trustee %d signed share %d of trustee %d", t.trustee, i, sh.Index), nil
		}
	}
	if n := t.man.TotalOptions(); len(body.Shares) != n {
		return reject(CodeWrongShareCount, "%d shares, the election has %d aggregates", len(body.Shares), n), nil
	}
	if !verify {
		return Result{}, nil
	}
	q, err := loadQualification(st, t.id)
	if err != nil {
		return Result{}, err
	}
	if q == nil || int(t.trustee) > len(q.VerificationKeys) {
		return Result{}, stateErr("qualification", errors.New("missing verification keys"))
	}
	vk, err := tally.PublicKeyFromBytes(q.VerificationKeys[t.trustee-1])
	if err != nil {
		return Result{}, stateErr("verification key", err)
	}
	aggs, err := m.aggregates(st, t.id, t.deliver)
	if err != nil {
		return Result{}, err
	}
	if err := tally.VerifyDecryptionShares(vk, t.trustee, aggs, body.Shares, t.id[:]); err != nil {
		return reject(CodeBadDecryptionShare, "trustee %d: %v", t.trustee, err), nil
	}
	return Result{}, nil
}

// execute runs a transaction on s: Precheck (or only decoding, if
// prechecked), then the stateful rules and, if accepted, the writes.
func (m *Machine) execute(s *stage, b Block, raw []byte, prechecked, checkOnly bool) (Result, error) {
	t, res, err := m.precheck(s, raw, !prechecked, !checkOnly, false)
	if err != nil || t == nil {
		return res, err
	}
	t.checkOnly = checkOnly
	t.hash = Hash(raw)
	if old, err := s.Get(keyTx(t.hash)); err != nil {
		return Result{}, err
	} else if old != nil {
		return reject(CodeDuplicate, "transaction %x was already accepted", t.hash), nil
	}
	switch body := t.body.(type) {
	case *CreateElectionBody:
		res, err = m.execCreate(s, b, t)
	case *AppendVotersBody:
		res, err = m.execAppend(s, b, t, body)
	case *OpenBody:
		res, err = m.execOpen(s, b, t)
	case *CloseBody:
		res, err = m.execClose(s, b, t)
	case *DKGDealBody:
		res, err = m.execDeal(s, b, t, body)
	case *DKGComplaintsBody:
		res, err = m.execComplaints(s, b, t, body)
	case *DKGResponsesBody:
		res, err = m.execResponses(s, b, t, body)
	case *BallotBody:
		res, err = m.execBallot(s, b, t, body)
	case *DecryptionSharesBody:
		res, err = m.execShares(s, b, t, body)
	default:
		return Result{}, fmt.Errorf("election: no handler for %s", t.tx.Kind)
	}
	if err != nil || !res.OK() {
		return res, err
	}
	rec := txRecord{Height: b.Height, Kind: t.tx.Kind, Election: t.id, Signer: t.tx.Signer}
	if err := s.Set(keyTx(t.hash), rec.encode()); err != nil {
		return Result{}, err
	}
	res.Events = append([]Attribute{
		{Key: "kind", Value: t.tx.Kind.String()},
		{Key: "election", Value: t.id.String()},
		{Key: "signer", Value: t.tx.Signer.String()},
	}, res.Events...)
	return res, nil
}

// Loading and saving state.

func loadManifest(r ReadStore, id ID) (*Manifest, error) {
	b, err := r.Get(keyManifest(id))
	if err != nil || b == nil {
		return nil, err
	}
	m, err := DecodeManifest(b)
	return m, stateErr("manifest", err)
}

func loadStatus(r ReadStore, id ID) (*status, error) {
	b, err := r.Get(keyStatus(id))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, stateErr("status", errors.New("missing"))
	}
	return decodeStatus(b)
}

func saveStatus(s Store, id ID, st *status) error { return s.Set(keyStatus(id), st.encode()) }

func loadJointKey(r ReadStore, id ID) (*tally.PublicKey, error) {
	b, err := r.Get(keyJointKey(id))
	if err != nil || b == nil {
		return nil, err
	}
	k, err := tally.PublicKeyFromBytes(b)
	return k, stateErr("joint key", err)
}

func loadQualification(r ReadStore, id ID) (*qualification, error) {
	b, err := r.Get(keyQualification(id))
	if err != nil || b == nil {
		return nil, err
	}
	return decodeQualification(b)
}

// loadAggregates returns the election's aggregates in position order.
func loadAggregates(r ReadStore, id ID) ([]*tally.Ciphertext, error) {
	var out []*tally.Ciphertext
	err := r.Iterate(prefixAggregates(id), func(_, v []byte) error {
		c, err := decodeAggregate(v)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func markWork(s Store, id ID) error { return s.Set(keyWork(id), []byte{1}) }
