package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// A trustee's process watches one election through a node's API and plays
// its part: the deal, the check of the other deals (complaints), answers to
// complaints against it, its secret share, and after the close its partial
// decryptions. Everything it must not lose is sealed in its directory
// before it acts on it, so that a restarted trustee resumes from its state
// and the chain: it posts the deal it kept, never a second one.

// trusteeFault is deliberate misbehaviour, for tests of the chain's checks.
type trusteeFault string

const (
	faultNone          trusteeFault = ""
	faultBadShare      trusteeFault = "bad-share"      // seal a wrong share to the lowest other trustee
	faultBadDecryption trusteeFault = "bad-decryption" // post partial decryptions under a wrong key
)

// trusteeStop ends a run early at a named point, for tests of restarts.
type trusteeStop string

const (
	stopNever     trusteeStop = ""
	stopDealSaved trusteeStop = "deal-saved" // after sealing the deal, before submitting it
	stopDealt     trusteeStop = "dealt"      // after the deal is committed
)

// errStopped is how a run ends at its stop point.
var errStopped = errors.New("stopped at the requested point")

// TrusteeRunConfig configures `evote trustee run`.
type TrusteeRunConfig struct {
	Node     string
	Election election.ID
	Dir      string
	Once     bool          // exit once its decryption shares are in, without waiting for the result
	Poll     time.Duration // how often it looks at the chain
	Fault    trusteeFault
	StopAt   trusteeStop
}

// Validate checks the configuration.
func (c TrusteeRunConfig) Validate() error {
	switch {
	case c.Node == "":
		return errors.New("--node is empty")
	case c.Dir == "":
		return errors.New("--dir is required (the trustee's directory, as `evote trustee init` made it)")
	case c.Poll < 10*time.Millisecond || c.Poll > time.Minute:
		return fmt.Errorf("--poll must be 10ms..1m, got %v", c.Poll)
	}
	switch c.Fault {
	case faultNone, faultBadShare, faultBadDecryption:
	default:
		return fmt.Errorf("--fault must be bad-share or bad-decryption, got %q", c.Fault)
	}
	switch c.StopAt {
	case stopNever, stopDealSaved, stopDealt:
	default:
		return fmt.Errorf("--stop-at must be deal-saved or dealt, got %q", c.StopAt)
	}
	return nil
}

// trusteeRunner is one trustee's run over one election.
type trusteeRunner struct {
	cfg     TrusteeRunConfig
	api     *api.Client
	store   *trusteeStore
	keys    *trusteeKeys
	out     io.Writer
	chainID string
	id      election.ID
	man     *election.Manifest
	params  *tally.DKGParams
	index   uint32
	es      *trusteeElectionState
	said    map[string]bool // progress lines already printed
}

// runTrustee runs a trustee until the result is on the chain (or, with
// Once, until its decryption shares are in).
func runTrustee(ctx context.Context, cfg TrusteeRunConfig, store *trusteeStore, out io.Writer) error {
	keys, err := store.state.keys()
	if err != nil {
		return err
	}
	c, err := newNodeClient(cfg.Node)
	if err != nil {
		return err
	}
	r := &trusteeRunner{cfg: cfg, api: c, store: store, keys: keys, out: out, id: cfg.Election, said: map[string]bool{}}
	if err := r.setup(ctx); err != nil {
		return err
	}
	for {
		done, err := r.step(ctx)
		if err != nil && api.Transient(err) && ctx.Err() == nil {
			// A node restarting or briefly unreachable: look again.
			r.once("unreachable:"+err.Error(), "the node does not answer (%v); trying again", err)
			err = nil
		}
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(cfg.Poll):
		}
	}
}

func (r *trusteeRunner) logf(format string, args ...any) {
	fmt.Fprintf(r.out, "%s trustee %d (%s): %s\n", time.Now().UTC().Format("15:04:05"), r.index, r.store.state.Name, fmt.Sprintf(format, args...))
}

// once prints a progress line the first time only.
func (r *trusteeRunner) once(key, format string, args ...any) {
	if !r.said[key] {
		r.said[key] = true
		r.logf(format, args...)
	}
}

// setup fetches the chain id and the manifest, checks it against the
// election id, and finds this trustee in it by both of its keys.
func (r *trusteeRunner) setup(ctx context.Context) error {
	st, err := r.api.Status(ctx)
	if err != nil {
		return err
	}
	r.chainID = st.ChainID
	m, err := r.api.DKG(ctx, r.id)
	if err != nil {
		return err
	}
	man := m.Manifest.Manifest
	r.man = man
	if r.params, err = man.DKGParams(r.id); err != nil {
		return err
	}
	me := r.keys.identity.Public()
	for i, t := range man.Trustees.Members {
		if t.Identity == me {
			if t.EncryptionKey != election.EncryptionKeyOf(r.keys.enc.Public()) {
				return fmt.Errorf("election %v lists this trustee's identity %v with another encryption key than its own", r.id, me)
			}
			r.index = uint32(i + 1)
		}
	}
	if r.index == 0 {
		return fmt.Errorf("this trustee (%v) is not a trustee of election %v", me, r.id)
	}
	if old := r.store.state.Elections[r.id.String()]; old != nil && old.Index != r.index {
		return fmt.Errorf("the sealed state says this trustee is number %d of election %v, the manifest says %d", old.Index, r.id, r.index)
	}
	r.es = r.store.election(r.id, r.index)
	r.logf("election %v %q: trustee %d of %d, any %d decrypt", r.id, man.Title.In("", man.Languages), r.index, len(man.Trustees.Members), man.Trustees.Threshold)
	return nil
}

// step looks at the election once and does what its phase asks of this
// trustee. It reports whether the trustee's part is over.
func (r *trusteeRunner) step(ctx context.Context) (bool, error) {
	d, err := r.api.Election(ctx, r.id)
	if err != nil {
		return false, err
	}
	if len(d.Trustees) < int(r.index) {
		return false, fmt.Errorf("the node lists %d trustees", len(d.Trustees))
	}
	me := d.Trustees[r.index-1]
	switch d.Phase.String() {
	case "dkg-deals":
		if !me.Dealt {
			return false, r.deal(ctx)
		}
		r.once("wait-deals", "waiting for the other deals (round ends %s)", roundEnd(d))
	case "dkg-complaints":
		if !me.Dealt {
			r.once("no-deal", "the deal round ended without its deal: it is left out of the joint key, but still checks the deals and gets a share")
		}
		if !me.ComplaintsPosted {
			return false, r.complain(ctx)
		}
		r.once("wait-complaints", "waiting for the other trustees' checks (round ends %s)", roundEnd(d))
	case "dkg-responses":
		return false, r.respond(ctx)
	case "ready", "open":
		if err := r.deriveShare(ctx, d); err != nil {
			return false, err
		}
		r.once("wait-close", "the election is %s; waiting for it to close", d.Phase)
	case "closed":
		if err := r.deriveShare(ctx, d); err != nil {
			return false, err
		}
		if !me.SharesPosted {
			if err := r.decrypt(ctx); err != nil {
				return false, err
			}
			return r.cfg.Once, nil
		}
		if r.cfg.Once {
			r.logf("its decryption shares are on the chain; done")
			return true, nil
		}
		r.once("wait-result", "waiting for enough trustees' decryption shares")
	case "tallied":
		res, err := r.api.Result(ctx, r.id)
		if err != nil {
			return false, err
		}
		r.logf("the result is on the chain (block %d), from the shares of trustees %v; done", res.Height, res.Trustees)
		return true, nil
	case "failed":
		return false, fmt.Errorf("election %v failed: %s", r.id, d.Failure)
	default:
		return false, fmt.Errorf("election %v in unknown phase %q", r.id, d.Phase)
	}
	return false, nil
}

func roundEnd(d *api.ElectionDetail) string {
	if d.Deadline == nil {
		return "when all are in"
	}
	return d.Deadline.UTC().Format(time.RFC3339)
}

// deal posts this trustee's deal: the one kept in the sealed state if
// there is one, else a new one, sealed before it is submitted.
func (r *trusteeRunner) deal(ctx context.Context) error {
	if r.es.Deal == "" {
		deal, secret, err := tally.NewDKGDeal(r.params, r.index, rand.Reader)
		if err != nil {
			return err
		}
		if r.cfg.Fault == faultBadShare {
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
		r.es.Deal, r.es.DealerSecret = hex.EncodeToString(db), hex.EncodeToString(sb)
		if err := r.store.save(); err != nil {
			return fmt.Errorf("sealing the deal: %w", err)
		}
		r.logf("made its deal and sealed it in %s", r.store.dir)
		if r.cfg.StopAt == stopDealSaved {
			return errStopped
		}
	} else {
		r.logf("posting the deal kept in its sealed state")
	}
	deal, err := r.ownDeal()
	if err != nil {
		return err
	}
	tx, err := election.NewDKGDealTx(r.chainID, r.id, deal, r.keys.identity)
	if err != nil {
		return err
	}
	c, err := commitTx(ctx, r.api, "deal", tx)
	if code, ok := api.RefusalCode(err); ok && (code == election.CodeDKGDuplicate || code == election.CodeWrongPhase) {
		return nil // on the chain already, or the round is over: the next look says which
	}
	if err != nil {
		return err
	}
	r.logf("dealt in block %d", c.Height)
	if r.cfg.StopAt == stopDealt {
		return errStopped
	}
	return nil
}

// ownDealOnChain reports whether deals hold this trustee's.
func (r *trusteeRunner) ownDealOnChain(deals []*tally.DKGDeal) bool {
	return slices.ContainsFunc(deals, func(d *tally.DKGDeal) bool { return d.Dealer == r.index })
}

func (r *trusteeRunner) ownDeal() (*tally.DKGDeal, error) {
	b, err := hex.DecodeString(r.es.Deal)
	if err != nil {
		return nil, fmt.Errorf("sealed deal: %w", err)
	}
	deal := new(tally.DKGDeal)
	if err := deal.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("sealed deal: %w", err)
	}
	return deal, nil
}

// chainDKG fetches the ceremony's messages and decodes them; it checks
// that the chain's deal of this trustee is the one it keeps.
func (r *trusteeRunner) chainDKG(ctx context.Context) ([]*tally.DKGDeal, []*tally.DKGComplaint, []*tally.DKGResponse, error) {
	m, err := r.api.DKG(ctx, r.id)
	if err != nil {
		return nil, nil, nil, err
	}
	var deals []*tally.DKGDeal
	for _, d := range m.Deals {
		deal := d.Deal
		if deal == nil || deal.Dealer != d.Dealer {
			return nil, nil, nil, fmt.Errorf("deal of trustee %d is not its", d.Dealer)
		}
		if b, err := deal.MarshalBinary(); err != nil || (d.Dealer == r.index && hex.EncodeToString(b) != r.es.Deal) {
			return nil, nil, nil, fmt.Errorf("the chain holds a deal of trustee %d that is not the one in this trustee's sealed state: was the state replaced?", r.index)
		}
		deals = append(deals, deal)
	}
	var complaints []*tally.DKGComplaint
	for _, cs := range m.ComplaintSets {
		for _, dealer := range cs.Dealers {
			complaints = append(complaints, &tally.DKGComplaint{Complainer: cs.Complainer, Dealer: dealer})
		}
	}
	var responses []*tally.DKGResponse
	for _, rs := range m.Responses {
		if rs.Response == nil {
			return nil, nil, nil, fmt.Errorf("response of trustee %d: none", rs.Dealer)
		}
		responses = append(responses, rs.Response)
	}
	return deals, complaints, responses, nil
}

// complain checks the share every other deal seals to this trustee and
// posts a complaint about each that does not open or does not match its
// dealer's commitments (possibly none).
func (r *trusteeRunner) complain(ctx context.Context) error {
	deals, _, _, err := r.chainDKG(ctx)
	if err != nil {
		return err
	}
	complaints, err := tally.CheckDeals(r.params, r.index, r.keys.enc, deals)
	if err != nil {
		return err
	}
	tx, err := election.NewDKGComplaintsTx(r.chainID, r.id, complaints, r.keys.identity)
	if err != nil {
		return err
	}
	c, err := commitTx(ctx, r.api, "complaints", tx)
	if code, ok := api.RefusalCode(err); ok && (code == election.CodeDKGDuplicate || code == election.CodeWrongPhase) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(complaints) == 0 {
		others := len(deals)
		if r.ownDealOnChain(deals) {
			others--
		}
		r.logf("checked the %d other deals: every share it received opens and matches; posted no complaint (block %d)", others, c.Height)
		return nil
	}
	var about []uint32
	for _, cp := range complaints {
		about = append(about, cp.Dealer)
	}
	r.logf("COMPLAINT about trustee(s) %v: the share sealed to it does not open or does not match the commitments (block %d)", about, c.Height)
	return nil
}

// respond answers the complaints against this trustee that have no answer
// yet, revealing the complainers' shares.
func (r *trusteeRunner) respond(ctx context.Context) error {
	_, complaints, responses, err := r.chainDKG(ctx)
	if err != nil {
		return err
	}
	var pending []*tally.DKGResponse
	for _, c := range complaints {
		if c.Dealer != r.index {
			continue
		}
		if slices.ContainsFunc(responses, func(x *tally.DKGResponse) bool { return x.Dealer == r.index && x.Complainer == c.Complainer }) {
			continue
		}
		secret, err := r.dealerSecret()
		if err != nil {
			return err
		}
		resp, err := secret.Respond(r.params, c)
		if err != nil {
			return err
		}
		pending = append(pending, resp)
	}
	if len(pending) == 0 {
		r.once("wait-responses", "no complaint against it to answer; waiting for the response round to end")
		return nil
	}
	tx, err := election.NewDKGResponsesTx(r.chainID, r.id, pending, r.keys.identity)
	if err != nil {
		return err
	}
	c, err := commitTx(ctx, r.api, "responses", tx)
	if code, ok := api.RefusalCode(err); ok && (code == election.CodeDKGDuplicate || code == election.CodeWrongPhase) {
		return nil
	}
	if err != nil {
		return err
	}
	var to []uint32
	for _, x := range pending {
		to = append(to, x.Complainer)
	}
	r.logf("answered the complaints of trustee(s) %v by revealing their shares (block %d)", to, c.Height)
	return nil
}

func (r *trusteeRunner) dealerSecret() (*tally.DealerSecret, error) {
	if r.es.DealerSecret == "" {
		return nil, fmt.Errorf("the sealed state holds no dealer secret for election %v", r.id)
	}
	b, err := hex.DecodeString(r.es.DealerSecret)
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
// chain's joint key, and seals the share; the dealer's polynomial is then
// erased.
func (r *trusteeRunner) deriveShare(ctx context.Context, d *api.ElectionDetail) error {
	if d.JointKey == nil {
		return fmt.Errorf("election %v is %s without a joint key", r.id, d.Phase)
	}
	jointKey := hex.EncodeToString(d.JointKey.Bytes())
	if r.es.Share != "" {
		if r.es.JointKey != jointKey {
			return fmt.Errorf("the chain's joint key %s is not the one this trustee's share belongs to (%s)", jointKey, r.es.JointKey)
		}
		return nil
	}
	deals, complaints, responses, err := r.chainDKG(ctx)
	if err != nil {
		return err
	}
	res, err := tally.Finalize(r.params, deals, complaints, responses)
	if err != nil {
		return fmt.Errorf("the key ceremony on the chain does not finalize here: %w", err)
	}
	if hex.EncodeToString(res.PublicKey.Bytes()) != jointKey {
		return fmt.Errorf("the ceremony's messages give the joint key %x, the node says %s", res.PublicKey.Bytes(), jointKey)
	}
	var own *tally.DealerSecret
	if slices.Contains(res.Qualified, r.index) {
		if own, err = r.dealerSecret(); err != nil {
			return err
		}
	}
	share, err := res.SecretShare(r.params, r.index, r.keys.enc, own, deals)
	if err != nil {
		return fmt.Errorf("deriving its share: %w", err)
	}
	sb, err := share.MarshalBinary()
	if err != nil {
		return err
	}
	r.es.Share, r.es.JointKey, r.es.DealerSecret = hex.EncodeToString(sb), jointKey, ""
	if err := r.store.save(); err != nil {
		return fmt.Errorf("sealing its share: %w", err)
	}
	for _, x := range res.Excluded {
		r.logf("trustee %d is EXCLUDED from the joint key: %v", x.Dealer, x)
	}
	for _, rv := range res.Revealed {
		if rv.Complainer == r.index {
			r.logf("uses the share trustee %d revealed on the chain after its complaint", rv.Dealer)
		}
	}
	r.logf("key ceremony done: joint key %s from trustees %v; its share matches its verification key and is sealed", jointKey, res.Qualified)
	return nil
}

// decrypt posts this trustee's partial decryption of every aggregate,
// each with its proof.
func (r *trusteeRunner) decrypt(ctx context.Context) error {
	b, err := hex.DecodeString(r.es.Share)
	if err != nil {
		return fmt.Errorf("sealed share: %w", err)
	}
	share := new(tally.PrivateKey)
	if err := share.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("sealed share: %w", err)
	}
	info, err := r.api.Tally(ctx, r.id)
	if err != nil {
		return err
	}
	aggs := info.Aggregates()
	if info.Phase != election.PhaseClosed {
		return nil // tallied meanwhile: the next look says so
	}
	if len(aggs) != r.man.TotalOptions() {
		return fmt.Errorf("the node gave %d aggregates for %d options", len(aggs), r.man.TotalOptions())
	}
	key := share
	if r.cfg.Fault == faultBadDecryption {
		if key, err = tally.GenerateKey(rand.Reader); err != nil {
			return err
		}
		r.logf("FAULT: decrypting with a wrong key")
	}
	shares, err := tally.PartialDecryptAll(key, r.index, aggs, r.id[:], rand.Reader)
	if err != nil {
		return err
	}
	tx, err := election.NewDecryptionSharesTx(r.chainID, r.id, shares, r.keys.identity)
	if err != nil {
		return err
	}
	c, err := commitTx(ctx, r.api, "decryption shares", tx)
	if code, ok := api.RefusalCode(err); ok && code == election.CodeWrongPhase {
		r.logf("the result was derived before its decryption shares were in: they are not needed")
		return nil
	}
	if code, ok := api.RefusalCode(err); ok && code == election.CodeDKGDuplicate {
		return nil
	}
	if err != nil {
		return err
	}
	r.logf("posted its partial decryptions of the %d aggregates (%d ballots counted) with proofs in block %d", len(aggs), info.Voters, c.Height)
	return nil
}
