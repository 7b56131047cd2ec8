package election

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cloudflare/circl/group"

	"github.com/evote/evote/tally"
)

// The state layout (docs/spec/state.md). Keys are byte strings; values are
// canonical binary encodings. Every key of an election starts with
// "e/" || id; the few global keys index elections, timers, pending work and
// accepted transactions.

// Phase is the stage an election is in. Phases only move forward.
type Phase uint8

// Phases.
const (
	PhaseDKGDeals      Phase = 1 // the trustees post their deals
	PhaseDKGComplaints Phase = 2 // the trustees post their complaints (possibly none)
	PhaseDKGResponses  Phase = 3 // the accused dealers answer
	PhaseReady         Phase = 4 // the joint key is fixed; not yet open
	PhaseOpen          Phase = 5 // ballots are accepted
	PhaseClosed        Phase = 6 // the trustees post decryption shares
	PhaseTallied       Phase = 7 // the result is derived
	PhaseFailed        Phase = 8 // the key ceremony failed; nothing more happens
)

var phaseNames = [...]string{
	PhaseDKGDeals: "dkg-deals", PhaseDKGComplaints: "dkg-complaints", PhaseDKGResponses: "dkg-responses",
	PhaseReady: "ready", PhaseOpen: "open", PhaseClosed: "closed", PhaseTallied: "tallied", PhaseFailed: "failed",
}

// String returns the phase's name, for example "open".
func (p Phase) String() string {
	if p >= 1 && int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase-%d", uint8(p))
}

// MarshalText returns the name.
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// inDKG reports whether the key ceremony is under way.
func (p Phase) inDKG() bool { return p >= PhaseDKGDeals && p <= PhaseDKGResponses }

// Timer events, in the order they fire at equal times.
const (
	timerDeals      uint8 = 1
	timerComplaints uint8 = 2
	timerResponses  uint8 = 3
	timerOpen       uint8 = 4
	timerClose      uint8 = 5
)

// Global key prefixes.
var (
	prefixElections = []byte("elections/")
	prefixTimers    = []byte("timers/")
	prefixWork      = []byte("work/")
	prefixTxs       = []byte("txs/")
)

func electionPrefix(id ID) []byte { return append(append([]byte("e/"), id[:]...), '/') }

func ekey(id ID, parts ...[]byte) []byte {
	k := electionPrefix(id)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func u8b(v uint8) []byte   { return []byte{v} }
func u32b(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64b(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func keyManifest(id ID) []byte              { return ekey(id, []byte("manifest")) }
func keyStatus(id ID) []byte                { return ekey(id, []byte("status")) }
func keyJointKey(id ID) []byte              { return ekey(id, []byte("key")) }
func keyQualification(id ID) []byte         { return ekey(id, []byte("qual")) }
func keyPhase(id ID, p Phase) []byte        { return ekey(id, []byte("phase/"), u8b(uint8(p))) }
func keyRoll(id ID, v PublicKey) []byte     { return ekey(id, []byte("roll/"), v[:]) }
func prefixRoll(id ID) []byte               { return ekey(id, []byte("roll/")) }
func keyBallot(id ID, v PublicKey) []byte   { return ekey(id, []byte("ballot/"), v[:]) }
func keyAggregate(id ID, pos uint32) []byte { return ekey(id, []byte("agg/"), u32b(pos)) }
func prefixAggregates(id ID) []byte         { return ekey(id, []byte("agg/")) }
func keyDeal(id ID, dealer uint32) []byte   { return ekey(id, []byte("deal/"), u32b(dealer)) }
func prefixDeals(id ID) []byte              { return ekey(id, []byte("deal/")) }
func keyComplaints(id ID, by uint32) []byte { return ekey(id, []byte("complaints/"), u32b(by)) }
func prefixComplaints(id ID) []byte         { return ekey(id, []byte("complaints/")) }
func keyResponse(id ID, dealer, complainer uint32) []byte {
	return ekey(id, []byte("response/"), u32b(dealer), u32b(complainer))
}
func prefixResponses(id ID) []byte           { return ekey(id, []byte("response/")) }
func keyShares(id ID, trustee uint32) []byte { return ekey(id, []byte("shares/"), u32b(trustee)) }
func prefixShares(id ID) []byte              { return ekey(id, []byte("shares/")) }
func keyResult(id ID) []byte                 { return ekey(id, []byte("result")) }
func keyElection(id ID) []byte               { return append(bytes.Clone(prefixElections), id[:]...) }
func keyWork(id ID) []byte                   { return append(bytes.Clone(prefixWork), id[:]...) }
func keyTx(hash [32]byte) []byte             { return append(bytes.Clone(prefixTxs), hash[:]...) }
func keyTimer(at uint64, id ID, ev uint8) []byte {
	k := append(bytes.Clone(prefixTimers), u64b(at)...)
	return append(append(k, id[:]...), ev)
}

// status is the mutable summary of an election.
type status struct {
	Phase       Phase
	OpenDue     bool   // the scheduled opening came before the key was fixed
	RollSize    uint64 // voters on the roll
	RollWeight  uint64 // their total weight
	Voters      uint64 // voters with a counted ballot (turnout)
	WeightCast  uint64 // their total weight
	Ballots     uint64 // ballots accepted, replaced ones included
	Deals       uint32
	Complaints  uint32 // complaint sets posted (one per trustee)
	Accusations uint32 // (complainer, dealer) pairs in them
	Responses   uint32 // accusations answered
	ShareSets   uint32 // trustees whose decryption shares are in
	Deadline    uint64 // end of the current DKG round, Unix seconds; 0 if none
	Failure     string // why the election failed, a stable name
	// What the state commitment chains (commitment.go).
	RollHash    [32]byte // the roll, in order of appending
	CountedHash [32]byte // the set of counted ballots
	TxsHash     [32]byte // the election's accepted transactions, in order
}

const statusFlagOpenDue = 1

func (s *status) encode() []byte {
	e := encoderOn(make([]byte, 0, 192))
	e.U8(uint8(s.Phase))
	var f uint8
	if s.OpenDue {
		f |= statusFlagOpenDue
	}
	e.U8(f)
	e.U64(s.RollSize)
	e.U64(s.RollWeight)
	e.U64(s.Voters)
	e.U64(s.WeightCast)
	e.U64(s.Ballots)
	e.U32(s.Deals)
	e.U32(s.Complaints)
	e.U32(s.Accusations)
	e.U32(s.Responses)
	e.U32(s.ShareSets)
	e.U64(s.Deadline)
	e.Str(s.Failure)
	e.Raw(s.RollHash[:])
	e.Raw(s.CountedHash[:])
	e.Raw(s.TxsHash[:])
	return e.B
}

func decodeStatus(b []byte) (*status, error) {
	d := newDecoder(b)
	s := &status{Phase: Phase(d.U8("phase"))}
	s.OpenDue = d.U8("flags")&statusFlagOpenDue != 0
	s.RollSize = d.U64("roll size")
	s.RollWeight = d.U64("roll weight")
	s.Voters = d.U64("voters")
	s.WeightCast = d.U64("weight cast")
	s.Ballots = d.U64("ballots")
	s.Deals = d.U32("deals")
	s.Complaints = d.U32("complaints")
	s.Accusations = d.U32("accusations")
	s.Responses = d.U32("responses")
	s.ShareSets = d.U32("share sets")
	s.Deadline = d.U64("deadline")
	s.Failure = d.Str("failure", 256)
	copy(s.RollHash[:], d.Take(32, "roll hash"))
	copy(s.CountedHash[:], d.Take(32, "counted hash"))
	copy(s.TxsHash[:], d.Take(32, "txs hash"))
	return s, stateErr("status", d.Finish())
}

// stateErr marks a value of the state that does not decode: the store is
// corrupt, a node fault.
func stateErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("election: corrupt state (%s): %w", what, err)
}

// phaseEntry records when an election entered a phase.
type phaseEntry struct {
	Height int64
	Time   time.Time
}

func encodePhaseEntry(b Block) []byte {
	e := encoder{}
	e.U64(uint64(max(b.Height, 0)))
	e.U64(uint64(max(b.Time.Unix(), 0)))
	e.U32(uint32(b.Time.Nanosecond()))
	return e.B
}

func decodePhaseEntry(b []byte) (phaseEntry, error) {
	d := newDecoder(b)
	h := d.U64("height")
	s := d.U64("seconds")
	ns := d.U32("nanoseconds")
	return phaseEntry{Height: int64(h), Time: time.Unix(int64(s), int64(ns)).UTC()}, stateErr("phase entry", d.Finish())
}

// rollValue is a roll entry: u32 weight || u64 position (0-based, in order
// of appending).
func encodeRollValue(weight uint32, pos uint64) []byte {
	return append(u32b(weight), u64b(pos)...)
}

func decodeRollValue(b []byte) (weight uint32, pos uint64, err error) {
	d := newDecoder(b)
	weight = d.U32("weight")
	pos = d.U64("position")
	return weight, pos, stateErr("roll entry", d.Finish())
}

// ballotRecord is a voter's counted ballot: its sequence number, the hash of
// its transaction, the height it was accepted at, and its ciphertexts
// (unscaled), in aggregate order.
type ballotRecord struct {
	Seq         uint64
	TxHash      [32]byte
	Height      int64
	Ciphertexts [][]byte // 64 bytes each, A || B
}

func (r *ballotRecord) encode() []byte {
	e := encoderOn(make([]byte, 0, 52+64*len(r.Ciphertexts)))
	e.U64(r.Seq)
	e.Raw(r.TxHash[:])
	e.U64(uint64(r.Height))
	e.U32(uint32(len(r.Ciphertexts)))
	for _, c := range r.Ciphertexts {
		e.Raw(c)
	}
	return e.B
}

func decodeBallotRecord(b []byte) (*ballotRecord, error) {
	d := newDecoder(b)
	r := &ballotRecord{Seq: d.U64("seq")}
	copy(r.TxHash[:], d.Take(32, "tx hash"))
	r.Height = int64(d.U64("height"))
	n := d.Count("ciphertexts", MaxTotalOptions, 64)
	for i := 0; i < n && d.Err == nil; i++ {
		r.Ciphertexts = append(r.Ciphertexts, d.Take(64, "ciphertext"))
	}
	return r, stateErr("ballot", d.Finish())
}

// decodeAggregate reads A || B, where either may be the identity.
func decodeAggregate(b []byte) (*tally.Ciphertext, error) {
	if len(b) != 64 {
		return nil, fmt.Errorf("election: corrupt state (aggregate of %d bytes)", len(b))
	}
	a, bb := group.Ristretto255.NewElement(), group.Ristretto255.NewElement()
	if err := a.UnmarshalBinary(b[:32]); err != nil {
		return nil, stateErr("aggregate", err)
	}
	if err := bb.UnmarshalBinary(b[32:]); err != nil {
		return nil, stateErr("aggregate", err)
	}
	return &tally.Ciphertext{A: a, B: bb}, nil
}

// qualification is the outcome of the key ceremony.
type qualification struct {
	Qualified        []uint32
	VerificationKeys [][]byte // 32 bytes each, trustees 1..N
	Excluded         []Exclusion
}

// Exclusion says why a dealer was left out of the qualified set.
type Exclusion struct {
	Dealer     uint32 `json:"dealer"`
	Complainer uint32 `json:"complainer,omitempty"` // 0 unless a complaint excluded the dealer
	Reason     string `json:"reason"`               // a code of docs/spec/dkg.md, e.g. "unanswered"
}

func (q *qualification) encode() []byte {
	e := encoder{}
	e.U32(uint32(len(q.Qualified)))
	for _, i := range q.Qualified {
		e.U32(i)
	}
	e.U32(uint32(len(q.VerificationKeys)))
	for _, k := range q.VerificationKeys {
		e.Raw(k)
	}
	e.U32(uint32(len(q.Excluded)))
	for _, x := range q.Excluded {
		e.U32(x.Dealer)
		e.U32(x.Complainer)
		e.Str(x.Reason)
	}
	return e.B
}

func decodeQualification(b []byte) (*qualification, error) {
	d := newDecoder(b)
	q := &qualification{}
	n := d.Count("qualified", MaxTrustees, 4)
	for i := 0; i < n && d.Err == nil; i++ {
		q.Qualified = append(q.Qualified, d.U32("qualified"))
	}
	n = d.Count("verification keys", MaxTrustees, 32)
	for i := 0; i < n && d.Err == nil; i++ {
		q.VerificationKeys = append(q.VerificationKeys, d.Take(32, "verification key"))
	}
	n = d.Count("excluded", MaxTrustees, 12)
	for i := 0; i < n && d.Err == nil; i++ {
		q.Excluded = append(q.Excluded, Exclusion{Dealer: d.U32("dealer"), Complainer: d.U32("complainer"), Reason: d.Str("reason", 64)})
	}
	return q, stateErr("qualification", d.Finish())
}

// resultRecord is the decrypted outcome.
type resultRecord struct {
	Voters     uint64
	WeightCast uint64
	Trustees   []uint32 // the trustees whose shares were combined
	Totals     []uint64 // in aggregate order
}

func (r *resultRecord) encode() []byte {
	e := encoder{}
	e.U64(r.Voters)
	e.U64(r.WeightCast)
	e.U32(uint32(len(r.Trustees)))
	for _, t := range r.Trustees {
		e.U32(t)
	}
	e.U32(uint32(len(r.Totals)))
	for _, t := range r.Totals {
		e.U64(t)
	}
	return e.B
}

func decodeResult(b []byte) (*resultRecord, error) {
	d := newDecoder(b)
	r := &resultRecord{Voters: d.U64("voters"), WeightCast: d.U64("weight cast")}
	n := d.Count("trustees", MaxTrustees, 4)
	for i := 0; i < n && d.Err == nil; i++ {
		r.Trustees = append(r.Trustees, d.U32("trustee"))
	}
	n = d.Count("totals", MaxTotalOptions, 8)
	for i := 0; i < n && d.Err == nil; i++ {
		r.Totals = append(r.Totals, d.U64("total"))
	}
	return r, stateErr("result", d.Finish())
}

// txRecord is an accepted transaction's entry in the global index.
type txRecord struct {
	Height   int64
	Kind     Kind
	Election ID
	Signer   PublicKey
}

func (r *txRecord) encode() []byte {
	e := encoder{}
	e.U64(uint64(r.Height))
	e.U8(uint8(r.Kind))
	e.Raw(r.Election[:])
	e.Raw(r.Signer[:])
	return e.B
}

func decodeTxRecord(b []byte) (*txRecord, error) {
	d := newDecoder(b)
	r := &txRecord{Height: int64(d.U64("height")), Kind: Kind(d.U8("kind"))}
	copy(r.Election[:], d.Take(IDSize, "election"))
	copy(r.Signer[:], d.Take(PublicKeySize, "signer"))
	return r, stateErr("tx record", d.Finish())
}

// encodeComplaintSet is a trustee's complaints: count || dealers (u32).
func encodeComplaintSet(dealers []uint32) []byte {
	e := encoder{}
	e.U32(uint32(len(dealers)))
	for _, d := range dealers {
		e.U32(d)
	}
	return e.B
}

func decodeComplaintSet(b []byte) ([]uint32, error) {
	d := newDecoder(b)
	n := d.Count("dealers", MaxTrustees, 4)
	out := make([]uint32, 0, n)
	for i := 0; i < n && d.Err == nil; i++ {
		out = append(out, d.U32("dealer"))
	}
	return out, stateErr("complaint set", d.Finish())
}
