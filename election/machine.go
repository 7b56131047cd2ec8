package election

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Options are the machine's parameters besides the genesis.
type Options struct {
	// Rand is the randomness of batch verification: PrecheckBatch draws the
	// coefficients of its random linear combinations from it. The node
	// passes crypto/rand; tests pass a seeded reader. Reads are serialised
	// by the machine. Without Rand, PrecheckBatch verifies each transaction
	// alone (as Precheck does); the verdicts are the same.
	Rand io.Reader
}

// Machine is the election state machine of one chain. It holds only the
// genesis and its options: all state is in the store it is given, and the
// state of a block under way in the BlockExec that BeginBlock returns, so
// one Machine may serve Precheck and Check calls concurrently with each
// other and with one block at a time on a different store.
type Machine struct {
	g   Genesis
	rnd io.Reader // serialised Options.Rand, or nil
	// manifests caches decoded manifests by election id. A manifest is
	// stored under its own hash and never changes, so the cache can never
	// be stale, whatever store it was read from.
	manifests sync.Map // ID -> *Manifest
	// jointKeys caches decoded joint keys by election id, each with the
	// bytes it was decoded from: a lookup still reads the store and uses
	// the cached key only if the bytes are the same, so the cache can
	// never answer for state the store does not hold.
	jointKeys sync.Map // ID -> cachedKey
}

// lockedReader serialises the reads of a reader shared by goroutines.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
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
func NewMachine(g Genesis, opts Options) (*Machine, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	g.Authorities = append([]AuthorityPublicKey(nil), g.Authorities...)
	m := &Machine{g: g}
	if opts.Rand != nil {
		m.rnd = &lockedReader{r: opts.Rand}
	}
	return m, nil
}

// NewMachineFromAppState returns the state machine of the chain whose
// genesis document has chain id chainID and app_state appState (the JSON of
// Genesis, read by ParseGenesis). The two chain ids must agree. It is the
// node's machine factory, and that of every tool that replays a chain.
func NewMachineFromAppState(appState json.RawMessage, chainID string, opts Options) (*Machine, error) {
	g, err := ParseGenesis(appState)
	if err != nil {
		return nil, err
	}
	if g.ChainID != chainID {
		return nil, fmt.Errorf("election: genesis app state names chain %q, the network is %q", g.ChainID, chainID)
	}
	return NewMachine(*g, opts)
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
	opts    checkOpts
	// contests and key: with opts.batch, the ballot's contests to verify
	// and the key to verify them under.
	contests []tally.ContestItem
	key      *tally.PublicKey
}

// checkOpts says how a transaction is checked and what for. The zero value
// is Precheck: every stateless check, proofs verified one by one, against
// committed state.
type checkOpts struct {
	// prechecked: the node holds Precheck's CodeOK for these bytes, so the
	// signature and the proofs are not verified again.
	prechecked bool
	// batch: precheckBallot collects the contests to verify in
	// txCtx.contests instead of verifying them (PrecheckBatch).
	batch bool
	// blk is the block that executes the transaction (Deliver), whose
	// running sums it sees and updates. Nil for Precheck and for Check,
	// which admits against committed state: handlers then stop once every
	// rule is checked and skip the effects.
	blk *blockExec
}

// admitting reports whether the transaction is only being admitted (Check),
// not executed in a block.
func (t *txCtx) admitting() bool { return t.opts.blk == nil }

// Precheck runs the checks whose verdict depends only on the transaction and
// on immutable state: size, decoding, signature, the signer's role, and the
// costly proofs (a ballot's contests against the manifest's rules and the
// election's joint key; a deal's proof of knowledge; decryption shares
// against the verification keys and the final aggregates). The node may run
// it in parallel, outside the consensus lock, and cache its verdict by
// transaction hash, except for verdicts whose code is Transient. An error
// is a node fault (the store failed, or holds corrupted state), never a
// verdict on the transaction.
func (m *Machine) Precheck(st ReadStore, tx []byte) (Result, error) {
	_, res, err := m.precheck(st, tx, checkOpts{})
	return res, err
}

// Check is mempool admission against committed state: Precheck unless
// prechecked (the node already has Precheck's CodeOK for these bytes), then
// the stateful rules (roll, phase, duplicates, ...). b is the last
// committed block. Check writes nothing. An error is a node fault.
func (m *Machine) Check(st ReadStore, b Block, tx []byte, prechecked bool) (Result, error) {
	return m.execute(newStage(st), b, tx, checkOpts{prechecked: prechecked})
}

// BeginBlock starts the block b on st and applies, before the block's
// transactions, every scheduled transition whose time has come (b.Time at
// or after it), oldest first: the end of the deal round and of the
// complaint and response windows, the scheduled opening and closing. The
// returned BlockExec delivers the block's transactions and ends it; it
// holds the block's running state, so the machine may start the next block
// only after End. An error is a node fault.
func (m *Machine) BeginBlock(st Store, b Block) (BlockExec, error) {
	if b.ChainID != "" && b.ChainID != m.g.ChainID {
		return nil, fmt.Errorf("election: block of chain %q on a machine of chain %q", b.ChainID, m.g.ChainID)
	}
	s := newStage(st)
	if err := m.runTimers(s, b); err != nil {
		return nil, err
	}
	if err := s.flush(st); err != nil {
		return nil, err
	}
	return &blockExec{m: m, st: st, b: b, sums: make(map[ID]*tally.CiphertextSum)}, nil
}

// precheck decodes tx and runs the stateless checks as opts says: every
// path to a verdict on a transaction starts here (Precheck, PrecheckBatch,
// Check and Deliver). A rejection returns a nil context.
func (m *Machine) precheck(st ReadStore, raw []byte, opts checkOpts) (*txCtx, Result, error) {
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
	if !opts.prechecked && !tx.Verify(m.g.ChainID) {
		return nil, reject(CodeBadSignature, "the signature of %v does not verify for this %s transaction on chain %q", tx.Signer, tx.Kind, m.g.ChainID), nil
	}
	body, err := DecodeBody(tx.Kind, tx.Body)
	switch {
	case errors.Is(err, ErrInvalidManifest):
		return nil, reject(CodeInvalidManifest, "%v", err), nil
	case err != nil:
		return nil, reject(CodeMalformed, "%s body: %v", tx.Kind, err), nil
	}
	t := &txCtx{raw: raw, tx: tx, body: body, opts: opts}
	res, err := m.precheckBody(st, t)
	if err != nil || !res.OK() {
		return nil, res, err
	}
	return t, res, nil
}

// precheckBody runs the kind's checks against immutable state.
func (m *Machine) precheckBody(st ReadStore, t *txCtx) (Result, error) {
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
	if v, ok := t.body.(*ValidatorUpdateBody); ok {
		return m.precheckValidatorUpdate(t, v), nil
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
		return m.precheckBallot(st, t, body)
	case *DecryptionSharesBody:
		return m.precheckShares(st, t, body)
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
		if !t.opts.prechecked {
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

func (m *Machine) precheckBallot(st ReadStore, t *txCtx, body *BallotBody) (Result, error) {
	if t.opts.prechecked {
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
		if t.opts.batch {
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

func (m *Machine) precheckShares(st ReadStore, t *txCtx, body *DecryptionSharesBody) (Result, error) {
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
	if t.opts.prechecked {
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
	aggs, err := t.opts.blk.aggregates(st, t.id)
	if err != nil {
		return Result{}, err
	}
	if err := tally.VerifyDecryptionShares(vk, t.trustee, aggs, body.Shares, t.id[:]); err != nil {
		return reject(CodeBadDecryptionShare, "trustee %d: %v", t.trustee, err), nil
	}
	return Result{}, nil
}

// execute runs a transaction on s: Precheck (or only decoding, if
// prechecked), then the stateful rules and, if accepted and executed in a
// block (opts.blk), the writes.
func (m *Machine) execute(s *stage, b Block, raw []byte, opts checkOpts) (Result, error) {
	t, res, err := m.precheck(s, raw, opts)
	if err != nil || t == nil {
		return res, err
	}
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
	case *ValidatorUpdateBody:
		res, err = m.execValidatorUpdate(s, b, t, body)
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
	if _, ok := t.body.(*ValidatorUpdateBody); ok {
		// Of the chain, not of an election.
		res.Events = append([]Attribute{
			{Key: "kind", Value: t.tx.Kind.String()},
			{Key: "signer", Value: t.tx.Signer.String()},
		}, res.Events...)
		return res, nil
	}
	if opts.blk != nil {
		st, err := loadStatus(s, t.id)
		if err != nil {
			return Result{}, err
		}
		st.TxsHash = NextTxsHash(st.TxsHash, t.hash)
		if err := saveStatus(s, t.id, st); err != nil {
			return Result{}, err
		}
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
