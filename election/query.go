package election

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/evote/evote/tally"
)

// Queries for the HTTP API, the wallet and the trustees' tools. They read
// the state and return plain Go values (the API's JSON is package api's);
// a missing election, voter or transaction is ErrNotFound.

// ElectionSummary is one line of the list of elections.
type ElectionSummary struct {
	ID            ID
	Title         Text
	Phase         Phase
	CreatedHeight int64
	RollSize      uint64
	Voters        uint64 // voters with a counted ballot
	Ballots       uint64 // ballots accepted, replaced ones included
}

// QueryElections lists every election in ascending order of id.
func QueryElections(r ReadStore) ([]ElectionSummary, error) {
	var ids []ID
	var heights []int64
	err := r.Iterate(prefixElections, func(k, v []byte) error {
		if len(k) != len(prefixElections)+IDSize || len(v) != 8 {
			return stateErr("election index", errors.New("bad entry"))
		}
		var id ID
		copy(id[:], k[len(prefixElections):])
		ids = append(ids, id)
		heights = append(heights, int64(binary.BigEndian.Uint64(v)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]ElectionSummary, 0, len(ids))
	for i, id := range ids {
		man, err := loadManifest(r, id)
		if err != nil {
			return nil, err
		}
		st, err := loadStatus(r, id)
		if err != nil {
			return nil, err
		}
		out = append(out, ElectionSummary{ID: id, Title: man.Title, Phase: st.Phase, CreatedHeight: heights[i],
			RollSize: st.RollSize, Voters: st.Voters, Ballots: st.Ballots})
	}
	return out, nil
}

// PhaseTime is when an election entered a phase.
type PhaseTime struct {
	Phase  Phase
	Height int64
	Time   time.Time
}

// TrusteeStatus is a trustee's part in the ceremony and the decryption.
type TrusteeStatus struct {
	Index            uint32
	Name             string
	Identity         TrusteePublicKey
	Dealt            bool
	ComplaintsPosted bool
	ComplaintsAbout  []uint32 // the dealers it complained about
	Qualified        bool
	Excluded         *Exclusion
	VerificationKey  *tally.PublicKey // once the key is fixed
	SharesPosted     bool
}

// ElectionDetail is everything about one election but its roll, ballots
// and aggregates.
type ElectionDetail struct {
	ID       ID
	Manifest *Manifest
	Phase    Phase
	Failure  string
	Phases   []PhaseTime
	OpenDue  bool             // the scheduled opening passed before the key was fixed
	Deadline *time.Time       // end of the current ceremony round
	JointKey *tally.PublicKey // once fixed
	Trustees []TrusteeStatus
	Counts   Counts
}

// Counts are an election's counters.
type Counts struct {
	RollSize   uint64
	RollWeight uint64
	Voters     uint64
	WeightCast uint64
	Ballots    uint64
	Deals      uint32
	Complaints uint32
	Responses  uint32
	ShareSets  uint32
}

func (st *status) counts() Counts {
	return Counts{RollSize: st.RollSize, RollWeight: st.RollWeight, Voters: st.Voters, WeightCast: st.WeightCast,
		Ballots: st.Ballots, Deals: st.Deals, Complaints: st.Complaints, Responses: st.Responses, ShareSets: st.ShareSets}
}

// loadElection returns the manifest and status, or ErrNotFound.
func loadElection(r ReadStore, id ID) (*Manifest, *status, error) {
	man, err := loadManifest(r, id)
	if err != nil {
		return nil, nil, err
	}
	if man == nil {
		return nil, nil, fmt.Errorf("%w: election %v", ErrNotFound, id)
	}
	st, err := loadStatus(r, id)
	if err != nil {
		return nil, nil, err
	}
	return man, st, nil
}

// QueryElection returns one election's detail.
func QueryElection(r ReadStore, id ID) (*ElectionDetail, error) {
	man, st, err := loadElection(r, id)
	if err != nil {
		return nil, err
	}
	d := &ElectionDetail{ID: id, Manifest: man, Phase: st.Phase, Failure: st.Failure, OpenDue: st.OpenDue, Counts: st.counts()}
	for p := PhaseDKGDeals; p <= PhaseFailed; p++ {
		v, err := r.Get(keyPhase(id, p))
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		e, err := decodePhaseEntry(v)
		if err != nil {
			return nil, err
		}
		d.Phases = append(d.Phases, PhaseTime{Phase: p, Height: e.Height, Time: e.Time})
	}
	if st.Deadline != 0 && st.Phase.inDKG() {
		t := time.Unix(int64(st.Deadline), 0).UTC()
		d.Deadline = &t
	}
	if d.JointKey, err = loadJointKey(r, id); err != nil {
		return nil, err
	}
	q, err := loadQualification(r, id)
	if err != nil {
		return nil, err
	}
	for i, tr := range man.Trustees.Members {
		idx := uint32(i + 1)
		ts := TrusteeStatus{Index: idx, Name: tr.Name, Identity: tr.Identity}
		if ts.Dealt, err = has(r, keyDeal(id, idx)); err != nil {
			return nil, err
		}
		set, err := r.Get(keyComplaints(id, idx))
		if err != nil {
			return nil, err
		}
		if set != nil {
			ts.ComplaintsPosted = true
			if ts.ComplaintsAbout, err = decodeComplaintSet(set); err != nil {
				return nil, err
			}
		}
		if ts.SharesPosted, err = has(r, keyShares(id, idx)); err != nil {
			return nil, err
		}
		if q != nil {
			for _, j := range q.Qualified {
				ts.Qualified = ts.Qualified || j == idx
			}
			for k := range q.Excluded {
				if q.Excluded[k].Dealer == idx {
					ts.Excluded = &q.Excluded[k]
				}
			}
			if i < len(q.VerificationKeys) {
				if ts.VerificationKey, err = tally.PublicKeyFromBytes(q.VerificationKeys[i]); err != nil {
					return nil, stateErr("verification key", err)
				}
			}
		}
		d.Trustees = append(d.Trustees, ts)
	}
	return d, nil
}

func has(r ReadStore, k []byte) (bool, error) {
	v, err := r.Get(k)
	return v != nil, err
}

// RollVoter is one voter of the roll.
type RollVoter struct {
	Voter    VoterPublicKey
	Weight   uint32
	Position uint64 // order of appending, from 0
}

// RollPage is a page of the roll, sorted by voter key.
type RollPage struct {
	Election ID
	Total    uint64
	Offset   int
	Voters   []RollVoter
}

// MaxRollPage bounds a page of the roll.
const MaxRollPage = 1000

// QueryRoll returns up to limit voters (at most MaxRollPage) from offset,
// in ascending order of key.
func QueryRoll(r ReadStore, id ID, offset, limit int) (*RollPage, error) {
	_, st, err := loadElection(r, id)
	if err != nil {
		return nil, err
	}
	offset = max(offset, 0)
	limit = min(max(limit, 0), MaxRollPage)
	page := &RollPage{Election: id, Total: st.RollSize, Offset: offset, Voters: []RollVoter{}}
	p := prefixRoll(id)
	i := 0
	err = r.Iterate(p, func(k, v []byte) error {
		if i < offset {
			i++
			return nil
		}
		if len(page.Voters) >= limit {
			return errStop
		}
		w, pos, err := decodeRollValue(v)
		if err != nil {
			return err
		}
		var rv RollVoter
		copy(rv.Voter[:], k[len(p):])
		rv.Weight, rv.Position = w, pos
		page.Voters = append(page.Voters, rv)
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return page, nil
}

// OptionTally is one option's running aggregate.
type OptionTally struct {
	Index     int
	Aggregate *tally.Ciphertext // both components may be the identity
	Ballots   uint64            // ballots counted into it (every ballot covers every option)
}

// ContestTally is one contest's running aggregates.
type ContestTally struct {
	Index   int
	Options []OptionTally
}

// TallyInfo is the running encrypted tally of an election.
type TallyInfo struct {
	Election   ID
	Phase      Phase
	RollSize   uint64
	Voters     uint64 // turnout
	WeightCast uint64
	Ballots    uint64
	Contests   []ContestTally // empty until the key is fixed
}

// QueryTally returns the running tally.
func QueryTally(r ReadStore, id ID) (*TallyInfo, error) {
	man, st, err := loadElection(r, id)
	if err != nil {
		return nil, err
	}
	info := &TallyInfo{Election: id, Phase: st.Phase, RollSize: st.RollSize, Voters: st.Voters, WeightCast: st.WeightCast,
		Ballots: st.Ballots, Contests: []ContestTally{}}
	raw, err := loadAggregates(r, id)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return info, nil
	}
	if len(raw) != man.TotalOptions() {
		return nil, stateErr("aggregates", fmt.Errorf("%d aggregates for %d options", len(raw), man.TotalOptions()))
	}
	p := 0
	for c := range man.Contests {
		ct := ContestTally{Index: c}
		for o := range man.Contests[c].Options {
			ct.Options = append(ct.Options, OptionTally{Index: o, Aggregate: raw[p], Ballots: st.Voters})
			p++
		}
		info.Contests = append(info.Contests, ct)
	}
	return info, nil
}

// Aggregates returns the election's aggregate ciphertexts in aggregate
// order (contest by contest, option by option): what each trustee decrypts
// after the close. It is empty until the key is fixed.
func Aggregates(r ReadStore, id ID) ([]*tally.Ciphertext, error) {
	if _, _, err := loadElection(r, id); err != nil {
		return nil, err
	}
	return loadAggregates(r, id)
}

// JointKey returns the election's joint public key, or ErrNotFound before
// the key ceremony has fixed it.
func JointKey(r ReadStore, id ID) (*tally.PublicKey, error) {
	k, err := loadJointKey(r, id)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, fmt.Errorf("%w: no joint key for election %v", ErrNotFound, id)
	}
	return k, nil
}

// LoadManifest returns the manifest of an election, or ErrNotFound.
func LoadManifest(r ReadStore, id ID) (*Manifest, error) {
	man, err := loadManifest(r, id)
	if err != nil {
		return nil, err
	}
	if man == nil {
		return nil, fmt.Errorf("%w: election %v", ErrNotFound, id)
	}
	return man, nil
}

// ContestResult is one contest's decrypted totals, by option.
type ContestResult struct {
	Index  int
	Totals []uint64
}

// ResultInfo is the decrypted outcome of an election.
type ResultInfo struct {
	Election   ID
	Height     int64 // the block that derived it
	Time       time.Time
	Voters     uint64   // turnout
	WeightCast uint64   // equal to voters without weights
	Trustees   []uint32 // whose shares were combined
	Contests   []ContestResult
}

// QueryResult returns the result, or ErrNotFound before it is derived.
func QueryResult(r ReadStore, id ID) (*ResultInfo, error) {
	man, _, err := loadElection(r, id)
	if err != nil {
		return nil, err
	}
	v, err := r.Get(keyResult(id))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("%w: no result for election %v yet", ErrNotFound, id)
	}
	rec, err := decodeResult(v)
	if err != nil {
		return nil, err
	}
	if len(rec.Totals) != man.TotalOptions() {
		return nil, stateErr("result", fmt.Errorf("%d totals for %d options", len(rec.Totals), man.TotalOptions()))
	}
	info := &ResultInfo{Election: id, Voters: rec.Voters, WeightCast: rec.WeightCast, Trustees: rec.Trustees}
	if pv, err := r.Get(keyPhase(id, PhaseTallied)); err != nil {
		return nil, err
	} else if pv != nil {
		e, err := decodePhaseEntry(pv)
		if err != nil {
			return nil, err
		}
		info.Height, info.Time = e.Height, e.Time
	}
	p := 0
	for c := range man.Contests {
		n := len(man.Contests[c].Options)
		info.Contests = append(info.Contests, ContestResult{Index: c, Totals: rec.Totals[p : p+n]})
		p += n
	}
	return info, nil
}

// VoterStatus is a voter's standing in an election.
type VoterStatus struct {
	Election ID
	Voter    VoterPublicKey
	OnRoll   bool
	Weight   uint32
	Voted    bool
	Seq      uint64    // of the counted ballot
	TxHash   *[32]byte // of the counted ballot
	Height   int64     // where it was accepted
}

// QueryVoter returns a voter's status: whether the voter is on the roll and
// which ballot of theirs counts.
func QueryVoter(r ReadStore, id ID, voter PublicKey) (*VoterStatus, error) {
	if _, _, err := loadElection(r, id); err != nil {
		return nil, err
	}
	vs := &VoterStatus{Election: id, Voter: VoterPublicKey(voter)}
	rv, err := r.Get(keyRoll(id, voter))
	if err != nil {
		return nil, err
	}
	if rv != nil {
		vs.OnRoll = true
		if vs.Weight, _, err = decodeRollValue(rv); err != nil {
			return nil, err
		}
	}
	bv, err := r.Get(keyBallot(id, voter))
	if err != nil {
		return nil, err
	}
	if bv != nil {
		rec, err := decodeBallotRecord(bv)
		if err != nil {
			return nil, err
		}
		h := rec.TxHash
		vs.Voted, vs.Seq, vs.TxHash, vs.Height = true, rec.Seq, &h, rec.Height
	}
	return vs, nil
}

// TxInfo is the effect of an accepted transaction. Rejected transactions
// leave no trace in the state.
type TxInfo struct {
	Hash     [32]byte
	Height   int64
	Kind     Kind
	Election ID
	Signer   SignerKey // in the text form of its kind's signer role
}

// QueryTx looks up an accepted transaction by its hash (Hash).
func QueryTx(r ReadStore, hash [32]byte) (*TxInfo, error) {
	v, err := r.Get(keyTx(hash))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("%w: transaction %x", ErrNotFound, hash)
	}
	rec, err := decodeTxRecord(v)
	if err != nil {
		return nil, err
	}
	return &TxInfo{Hash: hash, Height: rec.Height, Kind: rec.Kind, Election: rec.Election, Signer: SignerOf(rec.Kind, rec.Signer)}, nil
}
