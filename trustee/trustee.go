package trustee

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// Errors a Step or Advance returns; callers and tests branch on them with
// errors.Is.
var (
	// ErrNotNamed: the election's manifest does not name this trustee's
	// identity key.
	ErrNotNamed = errors.New("not a trustee of the election")
	// ErrOtherKey: the manifest names this trustee's identity with another
	// encryption key, or the sealed state gives it another index.
	ErrOtherKey = errors.New("the election names this trustee differently")
	// ErrWrongManifest: the view's manifest is not the election's (its
	// hash is not the election id).
	ErrWrongManifest = errors.New("a manifest that is not the election's")
	// ErrNotOurDeal: the chain shows a deal of this trustee that is not the
	// one in its sealed state.
	ErrNotOurDeal = errors.New("a deal of this trustee that is not its own")
	// ErrJointKey: the chain's joint key is not the one the ceremony's
	// messages give, or not the one the trustee's share belongs to.
	ErrJointKey = errors.New("a joint key the ceremony does not give")
	// ErrInconsistent: the view contradicts what the node showed before
	// (a phase going back, a trustee's posted message disappearing).
	ErrInconsistent = errors.New("the node changed its story")
	// ErrFailed: the election failed.
	ErrFailed = errors.New("the election failed")
	// ErrRejected: the chain refused a transaction for a reason that is
	// not "already there" or "round over".
	ErrRejected = errors.New("the chain refused the transaction")
	// ErrBadView: a view that lacks what Wants asked for, or is malformed.
	ErrBadView = errors.New("an incomplete or malformed view")
	// ErrUnverified: the trustee has no verified account of the election
	// to decrypt from: the chain its node serves does not verify (a forged
	// block, a commit the validators did not sign, a ballot left out), or
	// the view lacks the verification. The caller's verifier wraps its
	// failure (an *observer.VerifyError) with it.
	ErrUnverified = errors.New("the election does not verify")
	// ErrAggregates: the aggregates the node serves to decrypt are not the
	// ones the trustee recomputed from the ballots it verified.
	ErrAggregates = errors.New("aggregates other than the verified ones")
	// ErrGenesis: the chain's genesis is not the one the trustee pinned
	// for the election (trust on first use, or --genesis).
	ErrGenesis = errors.New("a chain other than the one the trustee pinned")
)

// Fault is deliberate misbehaviour, for tests of the chain's checks.
type Fault int

const (
	FaultNone          Fault = iota
	FaultBadShare            // seal a wrong share to the lowest other trustee
	FaultBadDecryption       // post partial decryptions under a wrong key
)

func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultBadShare:
		return "bad-share"
	case FaultBadDecryption:
		return "bad-decryption"
	}
	return fmt.Sprintf("fault(%d)", int(f))
}

// Stop is a point at which a trustee stops, for tests of restarts.
type Stop int

const (
	StopNever     Stop = iota
	StopDealSaved      // after the deal is to be sealed, before it is submitted
	StopDealt          // after the deal is committed
)

func (s Stop) String() string {
	switch s {
	case StopNever:
		return "never"
	case StopDealSaved:
		return "deal-saved"
	case StopDealt:
		return "dealt"
	}
	return fmt.Sprintf("stop(%d)", int(s))
}

// Options are a trustee's behaviour besides its duty. Fault and StopAt are
// for tests only: no command sets them.
type Options struct {
	// Once ends the trustee's part as soon as its decryption shares are
	// in, without waiting for the result.
	Once bool
	// Fault makes the trustee misbehave.
	Fault Fault
	// StopAt ends the trustee's part at a point of the ceremony.
	StopAt Stop
	// SealedIn names where the caller seals the state, for the log.
	SealedIn string
}

// View is what the chain shows of the election when the trustee looks. The
// caller fills the election's detail every time, and the ceremony's
// messages, the aggregates and the result when Wants asks for them.
type View struct {
	ChainID  string
	Election election.ID
	// Manifest is the election's manifest, decoded from its canonical
	// bytes; the trustee checks that it hashes to Election.
	Manifest *election.Manifest
	Phase    election.Phase
	Failure  string
	Deadline *time.Time       // end of the current ceremony round, if any
	JointKey *tally.PublicKey // once fixed
	// Trustees are the trustees' messages on the chain, by index (from 1)
	// less one.
	Trustees []Posted
	// Messages are the ceremony's messages, decoded (Wants.Messages).
	Messages *Messages
	// Tally is the running tally (Wants.Aggregates).
	Tally *Tally
	// Result is the derived result (Wants.Result).
	Result *Result
	// Genesis is the fingerprint of the chain's genesis
	// (observer.RecordHead.GenesisFingerprint) as the caller's verifier
	// reads it, if it does: the trustee pins it on first sight and refuses
	// another one after.
	Genesis string
	// Verified is the election as the caller's verifier recomputed it from
	// the chain (Wants.Verified): the only aggregates the trustee decrypts.
	Verified *Verified
}

// Verified is what a verifier that follows the chain from its first block
// (observer.Follower: every commit against the trusted validators, every
// ballot's signature, eligibility and proofs, the state commitment at
// every block) recomputed of a closed election.
type Verified struct {
	// Genesis is the fingerprint of the genesis the verification is
	// anchored on.
	Genesis string
	// Height is the block up to which everything is verified; Phase the
	// election's phase there (closed or later).
	Height int64
	Phase  election.Phase
	// Voters and Ballots are the verified counts.
	Voters, Ballots uint64
	// Aggregates are the sums of the verified counted ballots, in
	// aggregate order.
	Aggregates []*tally.Ciphertext
}

// Posted says which of a trustee's messages are on the chain.
type Posted struct {
	Dealt, ComplaintsPosted, SharesPosted bool
}

// Result is what the trustee reads of a derived result: the block that
// derived it and whose shares were combined.
type Result struct {
	Height   int64
	Trustees []uint32
}

// Messages are the key ceremony's messages on the chain.
type Messages struct {
	Deals      []*tally.DKGDeal
	Complaints []*tally.DKGComplaint
	Responses  []*tally.DKGResponse
}

// Tally is the running tally the trustee decrypts.
type Tally struct {
	Phase      election.Phase
	Voters     uint64
	Aggregates []*tally.Ciphertext // in aggregate order
}

// Wants says what a view must hold besides the election's detail.
// Verified asks for the verifier's account of the election (it is asked
// with Aggregates: a trustee decrypts only what it verified).
type Wants struct {
	Messages, Aggregates, Verified, Result bool
}

// Ready is what a Step asks of its caller, in this order: seal and persist
// State (if not nil), then submit Submit (if not nil), then call Advance
// with the chain's answer.
type Ready struct {
	// State is the trustee's new state, to be sealed and persisted before
	// anything is submitted.
	State  *State
	Submit *Submission
	Progress
}

// Progress is what happened, for the log, and whether the trustee's part
// is over.
type Progress struct {
	Logs []string
	// Done: the trustee's part in the election is over.
	Done bool
	// Stopped: the run reached Options.StopAt.
	Stopped bool
}

// Submission is a signed transaction to submit.
type Submission struct {
	What string // for messages: "deal", "complaints", "responses", "decryption shares"
	Tx   []byte
}

// Outcome is the chain's answer to a Submission.
type Outcome struct {
	// Lost: the transaction did not reach the chain (the node did not
	// answer); the next Step tries again.
	Lost   bool
	Code   election.Code // CodeOK or the rejection's code
	Height int64         // the block that committed it, if CodeOK
}

// Trustee is one trustee's part in one election: a pure state machine over
// its state and the views of the chain it is given. It does no I/O.
type Trustee struct {
	state   *State
	keys    *Keys
	id      election.ID
	opts    Options
	rnd     io.Reader
	index   uint32
	man     *election.Manifest
	params  *tally.DKGParams
	seen    election.Phase // the latest phase a view showed
	posted  Posted         // what views showed of its own messages
	said    map[string]bool
	pending *pending
}

// pending is what an unadvanced Ready submitted.
type pending struct {
	kind   string
	submit bool
	// for the logs after commit
	deals, voters, aggregates int
	about                     []uint32
}

// New starts the trustee of state in election id; the trustee owns state
// from then on (a Ready hands out copies to persist). rnd is its randomness
// (deals, proofs): the same state, views, outcomes and randomness give the
// same Readys.
func New(state *State, id election.ID, opts Options, rnd io.Reader) (*Trustee, error) {
	keys, err := state.Keys()
	if err != nil {
		return nil, err
	}
	return &Trustee{state: state, keys: keys, id: id, opts: opts, rnd: rnd, said: map[string]bool{}}, nil
}

// Index is the trustee's index in the election, once a Step found it.
func (t *Trustee) Index() uint32 { return t.index }

// Name is the trustee's name.
func (t *Trustee) Name() string { return t.state.Name }

// Wants says what else v, a view that holds the election's detail so far,
// must hold for the next Step: the ceremony's messages while the trustee
// checks deals, answers complaints or derives its share; the aggregates
// while its decryption shares are not on the chain; the result once it is
// derived.
func (t *Trustee) Wants(v *View) Wants {
	es := t.state.Elections[t.id.String()]
	noShare := es == nil || es.Share == ""
	var me Posted
	if t.index >= 1 && int(t.index) <= len(v.Trustees) {
		me = v.Trustees[t.index-1]
	}
	p := v.Phase
	decrypting := p == election.PhaseClosed && !me.SharesPosted
	return Wants{
		Messages: (p == election.PhaseDKGComplaints && !me.ComplaintsPosted) || p == election.PhaseDKGResponses ||
			(noShare && (p == election.PhaseReady || p == election.PhaseOpen || p == election.PhaseClosed)),
		Aggregates: decrypting,
		Verified:   decrypting,
		Result:     p == election.PhaseTallied,
	}
}

func (r *Ready) logf(format string, args ...any) {
	r.Logs = append(r.Logs, fmt.Sprintf(format, args...))
}

func (t *Trustee) once(r *Ready, key, format string, args ...any) {
	if !t.said[key] {
		t.said[key] = true
		r.logf(format, args...)
	}
}

// Step looks at the view once and says what the trustee does. The caller
// then does what the Ready says and calls Advance.
func (t *Trustee) Step(v *View) (Ready, error) {
	var r Ready
	if t.pending != nil {
		return r, errors.New("trustee: Step before Advance")
	}
	// A step that fails leaves the state as it was: nothing it made is
	// kept unless it is handed out to be persisted.
	saved := t.state.Clone()
	r, err := t.step(v)
	if err != nil {
		t.state = saved
		return Ready{}, err
	}
	return r, nil
}

func (t *Trustee) step(v *View) (Ready, error) {
	var r Ready
	if err := t.checkView(v, &r); err != nil {
		return Ready{}, err
	}
	me := v.Trustees[t.index-1]
	p := &pending{}
	var err error
	switch v.Phase {
	case election.PhaseDKGDeals:
		if !me.Dealt {
			err = t.deal(v, &r, p)
			break
		}
		t.once(&r, "wait-deals", "waiting for the other deals (round ends %s)", roundEnd(v))
	case election.PhaseDKGComplaints:
		if !me.Dealt {
			t.once(&r, "no-deal", "the deal round ended without its deal: it is left out of the joint key, but still checks the deals and gets a share")
		}
		if !me.ComplaintsPosted {
			err = t.complain(v, &r, p)
			break
		}
		t.once(&r, "wait-complaints", "waiting for the other trustees' checks (round ends %s)", roundEnd(v))
	case election.PhaseDKGResponses:
		err = t.respond(v, &r, p)
	case election.PhaseReady, election.PhaseOpen:
		if err = t.deriveShare(v, &r); err == nil {
			t.once(&r, "wait-close", "the election is %s; waiting for it to close", v.Phase)
		}
	case election.PhaseClosed:
		if err = t.deriveShare(v, &r); err != nil {
			break
		}
		switch {
		case !me.SharesPosted:
			err = t.decrypt(v, &r, p)
		case t.opts.Once:
			r.logf("its decryption shares are on the chain; done")
			r.Done = true
		default:
			t.once(&r, "wait-result", "waiting for enough trustees' decryption shares")
		}
	case election.PhaseTallied:
		if v.Result == nil {
			return Ready{}, refuse(ErrBadView, "no result in a view of a tallied election")
		}
		r.logf("the result is on the chain (block %d), from the shares of trustees %v; done", v.Result.Height, v.Result.Trustees)
		r.Done = true
	case election.PhaseFailed:
		return Ready{}, refuse(ErrFailed, "election %v failed: %s", t.id, v.Failure)
	default:
		return Ready{}, refuse(ErrBadView, "election %v in unknown phase %q", t.id, v.Phase)
	}
	if err != nil {
		return Ready{}, err
	}
	if r.Submit != nil {
		p.submit, p.kind = true, r.Submit.What
	}
	t.pending = p
	return r, nil
}

// checkView checks a view against the election and against what earlier
// views showed; the first view also finds the trustee in the manifest.
func (t *Trustee) checkView(v *View, r *Ready) error {
	if v == nil || v.Election != t.id || v.Manifest == nil {
		return refuse(ErrBadView, "no manifest, or another election's view")
	}
	if got, err := v.Manifest.ID(); err != nil || got != t.id {
		return refuse(ErrWrongManifest, "the node served a manifest that is not the one of election %v", t.id)
	}
	if t.man == nil {
		if err := t.setup(v.Manifest, r); err != nil {
			return err
		}
	}
	if len(v.Trustees) != len(t.man.Trustees.Members) {
		return refuse(ErrBadView, "the node lists %d trustees, the manifest %d", len(v.Trustees), len(t.man.Trustees.Members))
	}
	if v.Phase < t.seen {
		return refuse(ErrInconsistent, "the election's phase went back from %s to %s", t.seen, v.Phase)
	}
	t.seen = v.Phase
	me := v.Trustees[t.index-1]
	if (t.posted.Dealt && !me.Dealt) || (t.posted.ComplaintsPosted && !me.ComplaintsPosted) || (t.posted.SharesPosted && !me.SharesPosted) {
		return refuse(ErrInconsistent, "a message of trustee %d it showed on the chain is gone", t.index)
	}
	t.posted = me
	if err := t.pin(v.Genesis, r); err != nil {
		return err
	}
	if v.Messages != nil {
		es := t.election()
		for _, d := range v.Messages.Deals {
			if d == nil || d.Dealer < 1 || int(d.Dealer) > len(v.Trustees) {
				return refuse(ErrBadView, "a deal of no trustee")
			}
			if d.Dealer != t.index {
				continue
			}
			b, err := d.MarshalBinary()
			if err != nil || hex.EncodeToString(b) != es.Deal {
				return refuse(ErrNotOurDeal, "the chain holds a deal of trustee %d that is not the one in this trustee's sealed state: was the state replaced?", t.index)
			}
		}
	}
	return nil
}

// setup finds this trustee in the manifest by both of its keys.
func (t *Trustee) setup(man *election.Manifest, r *Ready) error {
	params, err := man.DKGParams(t.id)
	if err != nil {
		return err
	}
	me := t.keys.Identity.TrusteePublic()
	var index uint32
	for i, m := range man.Trustees.Members {
		if m.Identity == me {
			if m.EncryptionKey != election.EncryptionKeyOf(t.keys.Encryption.Public()) {
				return refuse(ErrOtherKey, "election %v lists this trustee's identity %v with another encryption key than its own", t.id, me)
			}
			index = uint32(i + 1)
		}
	}
	if index == 0 {
		return refuse(ErrNotNamed, "this trustee (%v) is not a trustee of election %v", me, t.id)
	}
	if old := t.state.Elections[t.id.String()]; old != nil && old.Index != index {
		return refuse(ErrOtherKey, "the sealed state says this trustee is number %d of election %v, the manifest says %d", old.Index, t.id, index)
	}
	t.man, t.params, t.index = man, params, index
	t.election()
	r.logf("election %v %q: trustee %d of %d, any %d decrypt", t.id, man.Title.In("", man.Languages), index, len(man.Trustees.Members), man.Trustees.Threshold)
	return nil
}

// pin checks the chain's genesis fingerprint against the one the sealed
// state pinned for the election, pinning it (to be sealed) on first
// sight. An empty fingerprint is no sighting.
func (t *Trustee) pin(genesis string, r *Ready) error {
	if genesis == "" {
		return nil
	}
	es := t.election()
	switch es.Genesis {
	case genesis:
		return nil
	case "":
		es.Genesis = genesis
		r.State = t.state.Clone()
		r.logf("trusts the chain whose genesis fingerprint is %s from now on (pinned in its sealed state: compare it with the fingerprint the network publishes)", genesis)
		return nil
	}
	return refuse(ErrGenesis, "the node serves a chain whose genesis fingerprint is %s; this trustee pinned %s for election %v", genesis, es.Genesis, t.id)
}

// election returns the trustee's entry for the election, making it if
// needed (it is persisted with the first secret it holds).
func (t *Trustee) election() *ElectionState {
	es := t.state.Elections[t.id.String()]
	if es == nil {
		es = &ElectionState{Index: t.index}
		t.state.Elections[t.id.String()] = es
	}
	return es
}

func roundEnd(v *View) string {
	if v.Deadline == nil {
		return "when all are in"
	}
	return v.Deadline.UTC().Format(time.RFC3339)
}

// deal posts this trustee's deal: the one kept in its state if there is
// one, else a new one, to be sealed before it is submitted.
func (t *Trustee) deal(v *View, r *Ready, p *pending) error {
	es := t.election()
	if es.Deal == "" {
		deal, secret, err := tally.NewDKGDeal(t.params, t.index, t.rnd)
		if err != nil {
			return err
		}
		if t.opts.Fault == FaultBadShare {
			// The share sealed to the lowest other trustee no longer opens.
			deal.Shares[0].Ciphertext[0] ^= 1
			r.logf("FAULT: the share sealed to trustee %d is corrupted", deal.Shares[0].Recipient)
		}
		db, err := deal.MarshalBinary()
		if err != nil {
			return err
		}
		sb, err := secret.MarshalBinary()
		if err != nil {
			return err
		}
		es.Deal, es.DealerSecret = hex.EncodeToString(db), hex.EncodeToString(sb)
		r.State = t.state.Clone()
		if t.opts.SealedIn != "" {
			r.logf("made its deal and sealed it in %s", t.opts.SealedIn)
		} else {
			r.logf("made its deal and sealed it")
		}
		if t.opts.StopAt == StopDealSaved {
			r.Stopped = true
			return nil
		}
	} else {
		r.logf("posting the deal kept in its sealed state")
	}
	deal, err := t.ownDeal()
	if err != nil {
		return err
	}
	tx, err := election.NewDKGDealTx(v.ChainID, t.id, deal, t.keys.Identity)
	if err != nil {
		return err
	}
	r.Submit = &Submission{What: "deal", Tx: tx}
	return nil
}

func (t *Trustee) ownDeal() (*tally.DKGDeal, error) {
	b, err := hex.DecodeString(t.election().Deal)
	if err != nil {
		return nil, fmt.Errorf("sealed deal: %w", err)
	}
	deal := new(tally.DKGDeal)
	if err := deal.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("sealed deal: %w", err)
	}
	return deal, nil
}

func (t *Trustee) messages(v *View) (*Messages, error) {
	if v.Messages == nil {
		return nil, refuse(ErrBadView, "the view lacks the ceremony's messages")
	}
	return v.Messages, nil
}

// complain checks the share every other deal seals to this trustee and
// posts a complaint about each that does not open or does not match its
// dealer's commitments (possibly none).
func (t *Trustee) complain(v *View, r *Ready, p *pending) error {
	m, err := t.messages(v)
	if err != nil {
		return err
	}
	complaints, err := tally.CheckDeals(t.params, t.index, t.keys.Encryption, m.Deals)
	if err != nil {
		return err
	}
	tx, err := election.NewDKGComplaintsTx(v.ChainID, t.id, complaints, t.keys.Identity)
	if err != nil {
		return err
	}
	p.deals = len(m.Deals)
	if slices.ContainsFunc(m.Deals, func(d *tally.DKGDeal) bool { return d.Dealer == t.index }) {
		p.deals--
	}
	for _, c := range complaints {
		p.about = append(p.about, c.Dealer)
	}
	r.Submit = &Submission{What: "complaints", Tx: tx}
	return nil
}

// respond answers the complaints against this trustee that have no answer
// yet, revealing the complainers' shares.
func (t *Trustee) respond(v *View, r *Ready, p *pending) error {
	m, err := t.messages(v)
	if err != nil {
		return err
	}
	var answers []*tally.DKGResponse
	for _, c := range m.Complaints {
		if c.Dealer != t.index {
			continue
		}
		if slices.ContainsFunc(m.Responses, func(x *tally.DKGResponse) bool { return x.Dealer == t.index && x.Complainer == c.Complainer }) {
			continue
		}
		secret, err := t.dealerSecret()
		if err != nil {
			return err
		}
		resp, err := secret.Respond(t.params, c)
		if err != nil {
			return err
		}
		answers = append(answers, resp)
	}
	if len(answers) == 0 {
		t.once(r, "wait-responses", "no complaint against it to answer; waiting for the response round to end")
		return nil
	}
	tx, err := election.NewDKGResponsesTx(v.ChainID, t.id, answers, t.keys.Identity)
	if err != nil {
		return err
	}
	for _, x := range answers {
		p.about = append(p.about, x.Complainer)
	}
	r.Submit = &Submission{What: "responses", Tx: tx}
	return nil
}

func (t *Trustee) dealerSecret() (*tally.DealerSecret, error) {
	es := t.election()
	if es.DealerSecret == "" {
		return nil, fmt.Errorf("the sealed state holds no dealer secret for election %v", t.id)
	}
	b, err := hex.DecodeString(es.DealerSecret)
	if err != nil {
		return nil, fmt.Errorf("sealed dealer secret: %w", err)
	}
	s := new(tally.DealerSecret)
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("sealed dealer secret: %w", err)
	}
	return s, nil
}

// deriveShare computes this trustee's secret share from the ceremony's
// messages once the joint key is fixed, checks that the messages give the
// chain's joint key, and has the share sealed; the dealer's polynomial is
// then erased.
func (t *Trustee) deriveShare(v *View, r *Ready) error {
	es := t.election()
	if v.JointKey == nil {
		return refuse(ErrBadView, "election %v is %s without a joint key", t.id, v.Phase)
	}
	jointKey := hex.EncodeToString(v.JointKey.Bytes())
	if es.Share != "" {
		if es.JointKey != jointKey {
			return refuse(ErrJointKey, "the chain's joint key %s is not the one this trustee's share belongs to (%s)", jointKey, es.JointKey)
		}
		return nil
	}
	m, err := t.messages(v)
	if err != nil {
		return err
	}
	res, err := tally.Finalize(t.params, m.Deals, m.Complaints, m.Responses)
	if err != nil {
		return fmt.Errorf("the key ceremony on the chain does not finalize here: %w", err)
	}
	if hex.EncodeToString(res.PublicKey.Bytes()) != jointKey {
		return refuse(ErrJointKey, "the ceremony's messages give the joint key %x, the node says %s", res.PublicKey.Bytes(), jointKey)
	}
	var own *tally.DealerSecret
	if slices.Contains(res.Qualified, t.index) {
		if own, err = t.dealerSecret(); err != nil {
			return err
		}
	}
	share, err := res.SecretShare(t.params, t.index, t.keys.Encryption, own, m.Deals)
	if err != nil {
		return fmt.Errorf("deriving its share: %w", err)
	}
	sb, err := share.MarshalBinary()
	if err != nil {
		return err
	}
	es.Share, es.JointKey, es.DealerSecret = hex.EncodeToString(sb), jointKey, ""
	r.State = t.state.Clone()
	for _, x := range res.Excluded {
		r.logf("trustee %d is EXCLUDED from the joint key: %v", x.Dealer, x)
	}
	for _, rv := range res.Revealed {
		if rv.Complainer == t.index {
			r.logf("uses the share trustee %d revealed on the chain after its complaint", rv.Dealer)
		}
	}
	r.logf("key ceremony done: joint key %s from trustees %v; its share matches its verification key and is sealed", jointKey, res.Qualified)
	return nil
}

// decrypt posts this trustee's partial decryption of every aggregate, each
// with its proof.
func (t *Trustee) decrypt(v *View, r *Ready, p *pending) error {
	b, err := hex.DecodeString(t.election().Share)
	if err != nil {
		return fmt.Errorf("sealed share: %w", err)
	}
	share := new(tally.PrivateKey)
	if err := share.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("sealed share: %w", err)
	}
	if v.Tally == nil {
		return refuse(ErrBadView, "the view lacks the aggregates")
	}
	if v.Tally.Phase != election.PhaseClosed {
		return nil // tallied meanwhile: the next look says so
	}
	aggs, err := t.verified(v, r)
	if err != nil {
		return err
	}
	key := share
	if t.opts.Fault == FaultBadDecryption {
		if key, err = tally.GenerateKey(t.rnd); err != nil {
			return err
		}
		r.logf("FAULT: decrypting with a wrong key")
	}
	shares, err := tally.PartialDecryptAll(key, t.index, aggs, t.id[:], t.rnd)
	if err != nil {
		return err
	}
	tx, err := election.NewDecryptionSharesTx(v.ChainID, t.id, shares, t.keys.Identity)
	if err != nil {
		return err
	}
	p.aggregates, p.voters = len(aggs), int(v.Verified.Voters)
	r.Submit = &Submission{What: "decryption shares", Tx: tx}
	return nil
}

// verified returns the aggregates to decrypt: the ones the caller's
// verifier recomputed from the ballots it verified, anchored on the
// pinned genesis, once the node's aggregates are found to be the same.
func (t *Trustee) verified(v *View, r *Ready) ([]*tally.Ciphertext, error) {
	vf := v.Verified
	if vf == nil {
		return nil, refuse(ErrUnverified, "no verification of election %v: the trustee decrypts only aggregates it recomputed from the ballots it verified", t.id)
	}
	if vf.Genesis == "" {
		return nil, refuse(ErrUnverified, "the verification of election %v is anchored on no genesis", t.id)
	}
	if err := t.pin(vf.Genesis, r); err != nil {
		return nil, err
	}
	if vf.Phase < election.PhaseClosed || vf.Phase == election.PhaseFailed {
		return nil, refuse(ErrUnverified, "the chain verified to block %d shows election %v %s, not closed", vf.Height, t.id, vf.Phase)
	}
	n := t.man.TotalOptions()
	if len(vf.Aggregates) != n {
		return nil, refuse(ErrUnverified, "the verified chain gives %d aggregates for %d options", len(vf.Aggregates), n)
	}
	served := v.Tally.Aggregates
	if len(served) != n {
		return nil, refuse(ErrAggregates, "the node serves %d aggregates for %d options", len(served), n)
	}
	for i, a := range served {
		if a == nil || !a.Equal(vf.Aggregates[i]) {
			return nil, refuse(ErrAggregates, "the node serves aggregate %d as %x; the %d ballots verified up to block %d add up to %x",
				i, cipherBytes(a), vf.Ballots, vf.Height, vf.Aggregates[i].Bytes())
		}
	}
	if v.Tally.Voters != vf.Voters {
		return nil, refuse(ErrAggregates, "the node counts %d voters; the chain verified up to block %d counts %d", v.Tally.Voters, vf.Height, vf.Voters)
	}
	r.logf("verified the chain to block %d against genesis %s: %d ballots of %d voters, whose sums are the node's aggregates", vf.Height, vf.Genesis, vf.Ballots, vf.Voters)
	return vf.Aggregates, nil
}

func cipherBytes(c *tally.Ciphertext) []byte {
	if c == nil {
		return nil
	}
	return c.Bytes()
}

// Advance tells the trustee what became of the last Ready: its state is
// persisted and its submission (if any) has the outcome o. It returns what
// to log, and whether the trustee's part is over. A rejection other than
// "already on the chain" or "the round is over" is an error (ErrRejected).
func (t *Trustee) Advance(o Outcome) (Progress, error) {
	var r Ready
	p := t.pending
	t.pending = nil
	if p == nil {
		return r.Progress, errors.New("trustee: Advance without a Ready")
	}
	if !p.submit || o.Lost {
		return r.Progress, nil
	}
	tolerated := o.Code == election.CodeDKGDuplicate || o.Code == election.CodeWrongPhase
	if o.Code != election.CodeOK && !tolerated {
		return r.Progress, refuse(ErrRejected, "%s: %v (code %d)", p.kind, o.Code, uint32(o.Code))
	}
	switch p.kind {
	case "deal":
		if o.Code == election.CodeOK {
			r.logf("dealt in block %d", o.Height)
			if t.opts.StopAt == StopDealt {
				r.Stopped = true
			}
		}
	case "complaints":
		if o.Code != election.CodeOK {
			break
		}
		if len(p.about) == 0 {
			r.logf("checked the %d other deals: every share it received opens and matches; posted no complaint (block %d)", p.deals, o.Height)
		} else {
			r.logf("COMPLAINT about trustee(s) %v: the share sealed to it does not open or does not match the commitments (block %d)", p.about, o.Height)
		}
	case "responses":
		if o.Code == election.CodeOK {
			r.logf("answered the complaints of trustee(s) %v by revealing their shares (block %d)", p.about, o.Height)
		}
	case "decryption shares":
		switch o.Code {
		case election.CodeOK:
			r.logf("posted its partial decryptions of the %d aggregates (%d ballots counted) with proofs in block %d", p.aggregates, p.voters, o.Height)
		case election.CodeWrongPhase:
			r.logf("the result was derived before its decryption shares were in: they are not needed")
		}
		r.Done = t.opts.Once
	}
	return r.Progress, nil
}

// refusal is an error of one of the kinds above whose message is its own.
type refusal struct {
	kind error
	msg  string
}

func (e *refusal) Error() string { return e.msg }
func (e *refusal) Unwrap() error { return e.kind }

func refuse(kind error, format string, args ...any) error {
	return &refusal{kind: kind, msg: fmt.Sprintf(format, args...)}
}
