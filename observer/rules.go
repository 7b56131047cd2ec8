package observer

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"time"

	"github.com/cloudflare/circl/group"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// The verifier's own statement of the election rules (docs/spec/state.md,
// transactions.md, dkg.md, decryption.md), for one election, written apart
// from package election's Machine: what the record's transactions must
// satisfy and what they come to. It keeps per voter only the roll weight
// and, with revoting, the counted ballot's ciphertexts; the aggregates are
// kept decoded. The tests run it and the Machine (machineEngine) on the
// same records and require the same verdicts and outcomes.

// engine applies the rules to the record's blocks in order. A rejection of
// a transaction is returned as an error naming the result code.
type engine interface {
	beginBlock(b election.Block) error
	deliver(b election.Block, t *vtx) error
	endBlock(b election.Block) error
	jointKey() *tally.PublicKey
	outcome() (*outcome, error)
	// commitment is the election's state commitment as the rules have it
	// now (docs/spec/app-hash.md), nil before the election is created.
	commitment() (*election.StateCommitment, error)
}

// outcome is what the rules derived from the blocks.
type outcome struct {
	created    bool
	phase      election.Phase
	failure    string
	jointKey   string // hex
	qualified  []uint32
	shareSets  []uint32
	rollSize   uint64
	ballots    uint64
	voters     uint64
	weightCast uint64
	aggregates []string // hex
	result     *RecordResult
}

// rejection is a transaction the rules refuse.
type rejection struct {
	code election.Code
	msg  string
}

func (r *rejection) Error() string {
	return fmt.Sprintf("rejected by the election rules: %s (%s)", r.code, r.msg)
}

func reject(code election.Code, format string, args ...any) error {
	return &rejection{code: code, msg: fmt.Sprintf(format, args...)}
}

// Timer events, in the order they fire at equal times.
const (
	evDeals uint8 = iota + 1
	evComplaints
	evResponses
	evOpen
	evClose
)

type timer struct {
	at uint64
	ev uint8
}

type voterState struct {
	weight uint32
	voted  bool
	seq    uint64
	cts    []byte   // the counted ballot's ciphertexts (with revoting only)
	tx     [32]byte // the counted ballot's transaction hash
}

type rulesEngine struct {
	gen    *election.Genesis
	id     election.ID
	man    *election.Manifest
	params *tally.DKGParams
	n, t   uint32

	created     bool
	signerIndex uint32 // the trustee index of the transaction being applied
	phase       election.Phase
	failure     string
	openDue     bool
	timers      []timer
	work        bool
	seen        map[[32]byte]bool
	voters      map[election.PublicKey]*voterState
	rollSize    uint64
	rollW       uint64
	ballots     uint64
	nVoters     uint64
	weightCst   uint64

	deals       map[uint32]*tally.DKGDeal
	complaints  map[uint32][]uint32 // by complainer
	responses   map[[2]uint32]*tally.DKGResponse
	nComplaints uint32
	accusations uint32
	nResponses  uint32

	qualified []uint32
	vks       []*tally.PublicKey
	key       *tally.PublicKey
	aggs      []*tally.Ciphertext
	shares    map[uint32][]*tally.DecryptionShare
	result    *RecordResult

	// What the state commitment chains.
	rollHash [32]byte
	counted  *election.CountedSet
	txsHash  [32]byte
}

func newRulesEngine(g *election.Genesis, id election.ID, man *election.Manifest) (*rulesEngine, error) {
	params, err := man.DKGParams(id)
	if err != nil {
		return nil, err
	}
	counted, err := election.NewCountedSet([32]byte{})
	if err != nil {
		return nil, err
	}
	return &rulesEngine{gen: g, id: id, man: man, params: params, counted: counted,
		n: uint32(len(man.Trustees.Members)), t: man.Trustees.Threshold,
		seen: map[[32]byte]bool{}, voters: map[election.PublicKey]*voterState{},
		deals: map[uint32]*tally.DKGDeal{}, complaints: map[uint32][]uint32{},
		responses: map[[2]uint32]*tally.DKGResponse{}, shares: map[uint32][]*tally.DecryptionShare{}}, nil
}

func unix(t time.Time) uint64 { return uint64(max(t.Unix(), 0)) }

func (r *rulesEngine) addTimer(at uint64, ev uint8) {
	r.timers = append(r.timers, timer{at, ev})
	slices.SortFunc(r.timers, func(a, b timer) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		return int(a.ev) - int(b.ev)
	})
}

func (r *rulesEngine) setPhase(p election.Phase) { r.phase = p }

// beginBlock fires, oldest first, every timer due at the block's time.
func (r *rulesEngine) beginBlock(b election.Block) error {
	now := unix(b.Time)
	var due []timer
	for len(r.timers) > 0 && r.timers[0].at <= now {
		due = append(due, r.timers[0])
		r.timers = r.timers[1:]
	}
	for _, tm := range due {
		switch tm.ev {
		case evDeals:
			if r.phase == election.PhaseDKGDeals {
				r.endDeals(b)
			}
		case evComplaints:
			if r.phase == election.PhaseDKGComplaints {
				r.endComplaints(b)
			}
		case evResponses:
			if r.phase == election.PhaseDKGResponses {
				r.finalizeDKG()
			}
		case evOpen:
			switch {
			case r.phase == election.PhaseReady:
				r.setPhase(election.PhaseOpen)
			case inDKG(r.phase):
				r.openDue = true
			}
		case evClose:
			switch {
			case r.phase == election.PhaseReady || r.phase == election.PhaseOpen:
				r.setPhase(election.PhaseClosed)
			case inDKG(r.phase):
				r.failure = "closed-before-key"
				r.setPhase(election.PhaseFailed)
			}
		}
	}
	return nil
}

func inDKG(p election.Phase) bool {
	return p >= election.PhaseDKGDeals && p <= election.PhaseDKGResponses
}

// endBlock completes the step the block's transactions finished.
func (r *rulesEngine) endBlock(b election.Block) error {
	if !r.work {
		return nil
	}
	r.work = false
	switch {
	case r.phase == election.PhaseDKGDeals && uint32(len(r.deals)) == r.n:
		r.endDeals(b)
	case r.phase == election.PhaseDKGComplaints && r.nComplaints == r.n:
		r.endComplaints(b)
	case r.phase == election.PhaseDKGResponses && r.nResponses == r.accusations:
		r.finalizeDKG()
	case r.phase == election.PhaseClosed && uint32(len(r.shares)) >= r.t:
		return r.deriveResult()
	}
	return nil
}

func (r *rulesEngine) endDeals(b election.Block) {
	if uint32(len(r.deals)) < r.t {
		r.finalizeDKG()
		return
	}
	r.addTimer(unix(b.Time)+uint64(r.man.Schedule.DKGComplaintWindow.Seconds()), evComplaints)
	r.setPhase(election.PhaseDKGComplaints)
}

func (r *rulesEngine) endComplaints(b election.Block) {
	if r.accusations == 0 {
		r.finalizeDKG()
		return
	}
	r.addTimer(unix(b.Time)+uint64(r.man.Schedule.DKGResponseWindow.Seconds()), evResponses)
	r.setPhase(election.PhaseDKGResponses)
}

// finalizeDKG runs the ceremony's public computation on every admitted
// message, in ascending order of dealer, complainer and dealer, dealer and
// complainer.
func (r *rulesEngine) finalizeDKG() {
	var deals []*tally.DKGDeal
	for _, d := range sortedKeys(r.deals) {
		deals = append(deals, r.deals[d])
	}
	var complaints []*tally.DKGComplaint
	for _, by := range sortedKeys(r.complaints) {
		for _, d := range r.complaints[by] {
			complaints = append(complaints, &tally.DKGComplaint{Complainer: by, Dealer: d})
		}
	}
	keys := make([][2]uint32, 0, len(r.responses))
	for k := range r.responses {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]uint32) int {
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		return int(a[1]) - int(b[1])
	})
	var responses []*tally.DKGResponse
	for _, k := range keys {
		responses = append(responses, r.responses[k])
	}
	res, err := tally.Finalize(r.params, deals, complaints, responses)
	var qe *tally.QualificationError
	switch {
	case res != nil:
		r.qualified = res.Qualified
	case errors.As(err, &qe):
		r.qualified = qe.Qualified
	}
	if err != nil {
		r.failure = "dkg-not-enough-qualified"
		if qe == nil {
			r.failure = "dkg-" + tally.DKGErrorCode(err)
		}
		r.setPhase(election.PhaseFailed)
		return
	}
	r.key = res.PublicKey
	r.vks = res.VerificationKeys
	r.aggs = make([]*tally.Ciphertext, r.man.TotalOptions())
	for i := range r.aggs {
		r.aggs[i] = tally.ZeroCiphertext()
	}
	r.setPhase(election.PhaseReady)
	if r.openDue {
		r.setPhase(election.PhaseOpen)
	}
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// deriveResult combines the share sets of the threshold lowest trustees and
// finds every total.
func (r *rulesEngine) deriveResult() error {
	idx := sortedKeys(r.shares)
	var batches [][]*tally.DecryptionShare
	for _, j := range idx {
		batches = append(batches, r.shares[j])
	}
	T := int(r.t)
	Ms, err := tally.CombineAll(r.aggs, batches, T)
	if err != nil {
		r.failure = "decryption-combine"
		r.setPhase(election.PhaseFailed)
		return nil
	}
	bound := max(r.weightCst*uint64(r.man.MaxPerOption()), 1)
	table, err := tally.NewDlogTable(bound)
	if err != nil {
		return fmt.Errorf("dlog table for bound %d: %w", bound, err)
	}
	var totals []uint64
	for _, M := range Ms {
		v, err := table.Lookup(M)
		if err != nil {
			r.failure = "decryption-out-of-range"
			r.setPhase(election.PhaseFailed)
			return nil
		}
		totals = append(totals, v)
	}
	res := &RecordResult{Trustees: idx[:min(T, len(idx))]}
	p := 0
	for c := range r.man.Contests {
		k := len(r.man.Contests[c].Options)
		res.Totals = append(res.Totals, totals[p:p+k])
		p += k
	}
	r.result = res
	r.setPhase(election.PhaseTallied)
	return nil
}

func (r *rulesEngine) jointKey() *tally.PublicKey { return r.key }

func (r *rulesEngine) commitment() (*election.StateCommitment, error) {
	if !r.created {
		return nil, nil
	}
	c := &election.StateCommitment{
		Election: r.id, Phase: r.phase, RollSize: r.rollSize, RollWeight: r.rollW, RollHash: r.rollHash,
		Voters: r.nVoters, WeightCast: r.weightCst, Ballots: r.ballots, CountedHash: r.counted.Bytes(), TxsHash: r.txsHash,
	}
	if r.key != nil {
		c.JointKey = r.key.Bytes()
	}
	for _, a := range r.aggs {
		b := a.Bytes()
		if len(b) != 64 {
			return nil, fmt.Errorf("aggregate of %d bytes", len(b))
		}
		c.Aggregates = append(c.Aggregates, [64]byte(b))
	}
	if r.result != nil {
		var totals []uint64
		for _, t := range r.result.Totals {
			totals = append(totals, t...)
		}
		c.ResultHash = election.ResultRecordHash(r.nVoters, r.weightCst, r.result.Trustees, totals)
	}
	return c, nil
}

// deliver applies one transaction whose signature (and, for a ballot with
// the key fixed, proofs) the verifier checked.
func (r *rulesEngine) deliver(b election.Block, t *vtx) error {
	signer := t.tx.Signer
	if c, ok := t.body.(*election.CreateElectionBody); ok {
		if !slices.Contains(r.gen.Authorities, election.AuthorityPublicKey(signer)) {
			return reject(election.CodeUnauthorized, "%v is not an authority of this chain", signer)
		}
		if c.Manifest.Authority.Key() != signer {
			return reject(election.CodeUnauthorized, "the manifest names authority %v, the transaction is signed by %v", c.Manifest.Authority, signer)
		}
	} else if !r.created {
		return reject(election.CodeUnknownElection, "no election %v", r.id)
	}
	var err error
	switch body := t.body.(type) {
	case *election.CreateElectionBody:
		err = r.precheckNone()
	case *election.AppendVotersBody:
		err = r.precheckAppend(signer, body)
	case *election.OpenBody, *election.CloseBody:
		if signer != r.man.Authority.Key() {
			err = reject(election.CodeUnauthorized, "%v is not the authority of election %v", signer, r.id)
		}
	case *election.BallotBody:
		if r.key == nil {
			err = reject(election.CodeNotOpen, "election %v has no joint key yet", r.id)
		} else if len(body.Contests) != len(r.man.Contests) {
			err = reject(election.CodeBallotMismatch, "%d contests, the election has %d", len(body.Contests), len(r.man.Contests))
		}
	case *election.DecryptionSharesBody:
		err = r.precheckShares(signer, body)
	default:
		err = r.precheckDKG(signer, t.body)
	}
	if err != nil {
		return err
	}
	r.signerIndex = r.man.TrusteeIndex(signer)
	hash := election.Hash(t.raw)
	if r.seen[hash] {
		return reject(election.CodeDuplicate, "transaction %x was already accepted", hash)
	}
	switch body := t.body.(type) {
	case *election.CreateElectionBody:
		err = r.execCreate(b)
	case *election.AppendVotersBody:
		err = r.execAppend(body)
	case *election.OpenBody:
		switch {
		case inDKG(r.phase):
			err = reject(election.CodeKeyNotFixed, "election %v cannot open: the key ceremony is in phase %v", r.id, r.phase)
		case r.phase != election.PhaseReady:
			err = reject(election.CodeWrongPhase, "election %v is %v", r.id, r.phase)
		default:
			r.setPhase(election.PhaseOpen)
		}
	case *election.CloseBody:
		if r.phase != election.PhaseOpen && r.phase != election.PhaseReady {
			err = reject(election.CodeWrongPhase, "election %v is %v", r.id, r.phase)
		} else {
			r.setPhase(election.PhaseClosed)
		}
	case *election.DKGDealBody:
		err = r.execDeal(body)
	case *election.DKGComplaintsBody:
		err = r.execComplaints(body)
	case *election.DKGResponsesBody:
		err = r.execResponses(body)
	case *election.BallotBody:
		err = r.execBallot(t, body)
	case *election.DecryptionSharesBody:
		err = r.execShares(body)
	}
	if err != nil {
		return err
	}
	r.txsHash = election.NextTxsHash(r.txsHash, hash)
	if _, ballot := t.body.(*election.BallotBody); !ballot {
		// A ballot's bytes are not kept: the same ballot again has the
		// same sequence number, which the revote rules refuse (the state
		// machine refuses it as a duplicate first; both fail it).
		r.seen[hash] = true
	}
	return nil
}

func (r *rulesEngine) precheckNone() error { return nil }

func (r *rulesEngine) execCreate(b election.Block) error {
	if r.created {
		return reject(election.CodeElectionExists, "election %v exists", r.id)
	}
	sch := &r.man.Schedule
	if !b.Time.Before(sch.DKGDealsBy) {
		return reject(election.CodeInvalidManifest, "schedule.dkg_deals_by %v is not after the block time %v", sch.DKGDealsBy, b.Time.UTC())
	}
	r.created = true
	r.setPhase(election.PhaseDKGDeals)
	r.addTimer(uint64(sch.DKGDealsBy.Unix()), evDeals)
	if !sch.Open.IsZero() {
		r.addTimer(uint64(sch.Open.Unix()), evOpen)
	}
	if !sch.Close.IsZero() {
		r.addTimer(uint64(sch.Close.Unix()), evClose)
	}
	return nil
}

func (r *rulesEngine) precheckAppend(signer election.PublicKey, body *election.AppendVotersBody) error {
	if signer != r.man.Authority.Key() {
		return reject(election.CodeUnauthorized, "%v is not the authority of election %v", signer, r.id)
	}
	for i, v := range body.Voters {
		if _, err := election.PublicKeyFromBytes(v.Voter[:]); err != nil {
			return reject(election.CodeInvalidKey, "voter %d: %v", i, err)
		}
		if v.Weight == 0 || !r.man.Weights && v.Weight != 1 {
			return reject(election.CodeInvalidWeight, "voter %v: weight %d (weights enabled: %v)", v.Voter, v.Weight, r.man.Weights)
		}
	}
	return nil
}

func (r *rulesEngine) execAppend(body *election.AppendVotersBody) error {
	if r.phase >= election.PhaseClosed {
		return reject(election.CodeClosed, "election %v is %v: the roll is final", r.id, r.phase)
	}
	var added uint64
	for _, v := range body.Voters {
		if _, ok := r.voters[v.Voter.Key()]; ok {
			return reject(election.CodeDuplicateVoter, "voter %v is already on the roll", v.Voter)
		}
		added += uint64(v.Weight)
	}
	weight, carry := bits.Add64(r.rollW, added, 0)
	if hi, lo := bits.Mul64(weight, uint64(r.man.MaxPerOption())); carry != 0 || hi != 0 || lo > election.MaxTallyBound {
		return reject(election.CodeRollLimit, "a roll weight of %d could exceed the tally bound", weight)
	}
	for _, v := range body.Voters {
		r.voters[v.Voter.Key()] = &voterState{weight: v.Weight}
		r.rollHash = election.NextRollHash(r.rollHash, v.Voter.Key(), v.Weight)
	}
	r.rollSize += uint64(len(body.Voters))
	r.rollW = weight
	return nil
}

func (r *rulesEngine) trustee(signer election.PublicKey) (uint32, error) {
	i := r.man.TrusteeIndex(signer)
	if i == 0 {
		return 0, reject(election.CodeNotTrustee, "%v is not a trustee of election %v", signer, r.id)
	}
	return i, nil
}

func (r *rulesEngine) precheckDKG(signer election.PublicKey, body election.Body) error {
	i, err := r.trustee(signer)
	if err != nil {
		return err
	}
	switch body := body.(type) {
	case *election.DKGDealBody:
		if body.Deal.Dealer != i {
			return reject(election.CodeUnauthorized, "trustee %d signed the deal of dealer %d", i, body.Deal.Dealer)
		}
		if err := body.Deal.Verify(r.params); err != nil {
			return reject(election.CodeBadDeal, "deal of trustee %d: %v", i, err)
		}
	case *election.DKGComplaintsBody:
		for _, c := range body.Complaints {
			if c.Complainer != i {
				return reject(election.CodeUnauthorized, "trustee %d signed a complaint of trustee %d", i, c.Complainer)
			}
			if c.Dealer > r.n {
				return reject(election.CodeBadComplaint, "complaint against %d, the election has %d trustees", c.Dealer, r.n)
			}
		}
	case *election.DKGResponsesBody:
		for _, resp := range body.Responses {
			if resp.Dealer != i {
				return reject(election.CodeUnauthorized, "trustee %d signed a response of dealer %d", i, resp.Dealer)
			}
			if resp.Complainer > r.n {
				return reject(election.CodeBadResponse, "response to %d, the election has %d trustees", resp.Complainer, r.n)
			}
		}
	}
	return nil
}

func (r *rulesEngine) execDeal(body *election.DKGDealBody) error {
	i := body.Deal.Dealer
	if r.phase != election.PhaseDKGDeals {
		return reject(election.CodeWrongPhase, "election %v is %v: the deal round is over", r.id, r.phase)
	}
	if r.deals[i] != nil {
		return reject(election.CodeDKGDuplicate, "trustee %d has already dealt", i)
	}
	r.deals[i] = body.Deal
	if uint32(len(r.deals)) == r.n {
		r.work = true
	}
	return nil
}

func (r *rulesEngine) execComplaints(body *election.DKGComplaintsBody) error {
	// The signer is the complainer of every complaint (checked before); an
	// empty list names it through the signature only.
	if r.phase != election.PhaseDKGComplaints {
		return reject(election.CodeWrongPhase, "election %v is %v, not in the complaint round", r.id, r.phase)
	}
	by := r.signerIndex
	if _, ok := r.complaints[by]; ok {
		return reject(election.CodeDKGDuplicate, "trustee %d has already posted its complaints", by)
	}
	dealers := []uint32{}
	for _, c := range body.Complaints {
		if r.deals[c.Dealer] == nil {
			return reject(election.CodeBadComplaint, "complaint against trustee %d, which has no deal", c.Dealer)
		}
		dealers = append(dealers, c.Dealer)
	}
	r.complaints[by] = dealers
	r.nComplaints++
	r.accusations += uint32(len(dealers))
	if r.nComplaints == r.n {
		r.work = true
	}
	return nil
}

func (r *rulesEngine) execResponses(body *election.DKGResponsesBody) error {
	if r.phase != election.PhaseDKGResponses {
		return reject(election.CodeWrongPhase, "election %v is %v, not in the response round", r.id, r.phase)
	}
	dealer := r.signerIndex
	deal := r.deals[dealer]
	if deal == nil {
		return reject(election.CodeBadResponse, "trustee %d has no deal to answer for", dealer)
	}
	for _, resp := range body.Responses {
		if !slices.Contains(r.complaints[resp.Complainer], dealer) {
			return reject(election.CodeBadResponse, "trustee %d did not complain about dealer %d", resp.Complainer, dealer)
		}
		if r.responses[[2]uint32{dealer, resp.Complainer}] != nil {
			return reject(election.CodeDKGDuplicate, "dealer %d has already answered trustee %d", dealer, resp.Complainer)
		}
		if err := resp.Verify(r.params, deal); err != nil {
			return reject(election.CodeBadResponse, "response of dealer %d to trustee %d: %v", dealer, resp.Complainer, err)
		}
	}
	for _, resp := range body.Responses {
		r.responses[[2]uint32{dealer, resp.Complainer}] = resp
	}
	r.nResponses += uint32(len(body.Responses))
	if r.nResponses == r.accusations {
		r.work = true
	}
	return nil
}

func (r *rulesEngine) execBallot(t *vtx, body *election.BallotBody) error {
	switch {
	case r.phase < election.PhaseOpen:
		return reject(election.CodeNotOpen, "election %v is %v", r.id, r.phase)
	case r.phase > election.PhaseOpen:
		return reject(election.CodeClosed, "election %v is %v", r.id, r.phase)
	}
	voter := t.tx.Signer
	vs := r.voters[voter]
	if vs == nil {
		return reject(election.CodeNotOnRoll, "%v is not on the roll of %v", voter, r.id)
	}
	if vs.voted {
		if !r.man.Revoting {
			return reject(election.CodeAlreadyVoted, "%v has voted and election %v does not allow revoting", voter, r.id)
		}
		if body.Seq <= vs.seq {
			return reject(election.CodeStaleSequence, "sequence number %d is not above the current ballot's %d", body.Seq, vs.seq)
		}
	}
	cts := t.cts
	if cts == nil && !t.summed {
		var err error
		if cts, err = ballotCiphertexts(r.man, body); err != nil {
			return reject(election.CodeBallotMismatch, "%v", err)
		}
	}
	var prev []*tally.Ciphertext
	if vs.voted {
		for p := range r.aggs {
			a, bb := group.Ristretto255.NewElement(), group.Ristretto255.NewElement()
			if err := errors.Join(a.UnmarshalBinary(vs.cts[64*p:64*p+32]), bb.UnmarshalBinary(vs.cts[64*p+32:64*p+64])); err != nil {
				return fmt.Errorf("stored ballot: %w", err)
			}
			prev = append(prev, &tally.Ciphertext{A: a, B: bb})
		}
	}
	for p, ct := range cts {
		r.aggs[p].Add(r.aggs[p], scaled(ct, vs.weight))
	}
	for p, ct := range t.sum { // the ballot's batch, all of weight 1
		r.aggs[p].Add(r.aggs[p], ct)
	}
	for p := range prev {
		r.aggs[p].Sub(r.aggs[p], scaled(prev[p], vs.weight))
	}
	r.ballots++
	if !vs.voted {
		r.nVoters++
		r.weightCst += uint64(vs.weight)
	} else {
		r.counted.Remove(voter, vs.tx)
	}
	vs.tx = election.Hash(t.raw)
	r.counted.Add(voter, vs.tx)
	vs.voted, vs.seq = true, body.Seq
	if r.man.Revoting {
		vs.cts = ciphertextBytes(r.man, body)
	}
	return nil
}

func scaled(ct *tally.Ciphertext, w uint32) *tally.Ciphertext {
	if w == 1 {
		return ct
	}
	return new(tally.Ciphertext).Scale(ct, uint64(w))
}

// ballotCiphertexts decodes a ballot's ciphertexts in aggregate order.
func ballotCiphertexts(man *election.Manifest, body *election.BallotBody) ([]*tally.Ciphertext, error) {
	var out []*tally.Ciphertext
	for i, enc := range body.Contests {
		c, err := tally.ContestCiphertexts(man.Contests[i].Rules(), enc)
		if err != nil {
			return nil, fmt.Errorf("contest %d: %w", i, err)
		}
		out = append(out, c...)
	}
	return out, nil
}

// ciphertextBytes copies the canonical encodings of a decoded ballot's
// ciphertexts out of its contests (docs/spec/ballot.md: the tag, a u16
// option count, then per option A, B and the option's proof).
func ciphertextBytes(man *election.Manifest, body *election.BallotBody) []byte {
	out := make([]byte, 0, 64*man.TotalOptions())
	for i, enc := range body.Contests {
		rules := man.Contests[i].Rules()
		n := int(rules.MaxPerOption) + 1
		proof := 2*32*n + 32*(n-1) + 32*n
		off := 1 + len(tally.TagContest) + 2
		for range rules.Options {
			out = append(out, enc[off:off+64]...)
			off += 64 + proof
		}
	}
	return out
}

func (r *rulesEngine) precheckShares(signer election.PublicKey, body *election.DecryptionSharesBody) error {
	i, err := r.trustee(signer)
	if err != nil {
		return err
	}
	switch {
	case r.phase == election.PhaseFailed:
		return reject(election.CodeWrongPhase, "election %v failed (%s)", r.id, r.failure)
	case r.phase < election.PhaseClosed:
		return reject(election.CodeNotClosed, "election %v is %v", r.id, r.phase)
	}
	for k, sh := range body.Shares {
		if sh.Index != i {
			return reject(election.CodeUnauthorized, "trustee %d signed share %d of trustee %d", i, k, sh.Index)
		}
	}
	if n := r.man.TotalOptions(); len(body.Shares) != n {
		return reject(election.CodeWrongShareCount, "%d shares, the election has %d aggregates", len(body.Shares), n)
	}
	if int(i) > len(r.vks) {
		return fmt.Errorf("no verification key for trustee %d", i)
	}
	if err := tally.VerifyDecryptionShares(r.vks[i-1], i, r.aggs, body.Shares, r.id[:]); err != nil {
		return reject(election.CodeBadDecryptionShare, "trustee %d: %v", i, err)
	}
	return nil
}

func (r *rulesEngine) execShares(body *election.DecryptionSharesBody) error {
	switch {
	case r.phase < election.PhaseClosed:
		return reject(election.CodeNotClosed, "election %v is %v", r.id, r.phase)
	case r.phase != election.PhaseClosed:
		return reject(election.CodeWrongPhase, "election %v is %v", r.id, r.phase)
	}
	i := r.signerIndex
	if r.shares[i] != nil {
		return reject(election.CodeDKGDuplicate, "trustee %d has already posted its decryption shares", i)
	}
	r.shares[i] = body.Shares
	if uint32(len(r.shares)) >= r.t {
		r.work = true
	}
	return nil
}

func (r *rulesEngine) outcome() (*outcome, error) {
	o := &outcome{created: r.created, phase: r.phase, failure: r.failure, qualified: r.qualified,
		shareSets: sortedKeys(r.shares), rollSize: r.rollSize, ballots: r.ballots, voters: r.nVoters,
		weightCast: r.weightCst, result: r.result}
	if r.key != nil {
		o.jointKey = hex.EncodeToString(r.key.Bytes())
		for _, a := range r.aggs {
			o.aggregates = append(o.aggregates, hex.EncodeToString(a.Bytes()))
		}
	}
	return o, nil
}

// sameOutcome reports the first difference between two outcomes, or "".
func sameOutcome(a, b *outcome) string {
	switch {
	case a.phase != b.phase || a.failure != b.failure:
		return fmt.Sprintf("phase %v %q vs %v %q", a.phase, a.failure, b.phase, b.failure)
	case a.jointKey != b.jointKey:
		return "joint key"
	case !slices.Equal(a.qualified, b.qualified):
		return fmt.Sprintf("qualified %v vs %v", a.qualified, b.qualified)
	case !slices.Equal(a.shareSets, b.shareSets):
		return fmt.Sprintf("share sets %v vs %v", a.shareSets, b.shareSets)
	case a.rollSize != b.rollSize || a.ballots != b.ballots || a.voters != b.voters || a.weightCast != b.weightCast:
		return "counts"
	case !slices.Equal(a.aggregates, b.aggregates):
		return "aggregates"
	case (a.result == nil) != (b.result == nil):
		return "result"
	case a.result != nil && (!slices.Equal(a.result.Trustees, b.result.Trustees) || !slices.EqualFunc(a.result.Totals, b.result.Totals, slices.Equal)):
		return "result"
	}
	return ""
}
