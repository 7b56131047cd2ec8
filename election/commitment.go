package election

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/group"
)

// The per-election state commitment (docs/spec/app-hash.md, "The election's
// state commitment"). The node's app hash commits to every election's
// commitment through a Merkle tree keyed by election id, so an observer of
// one election checks, at every block, that the state it recomputed is the
// one the validators signed.

// Tags of the commitment's hashes.
const (
	commitmentTag = "evote/v2/election-state"
	rollHashTag   = "evote/v2/roll"
	txsHashTag    = "evote/v2/election-txs"
	// countedDST is the domain of the counted-ballot set's hash to the group
	// (RFC 9380, ristretto255_XMD:SHA-512_R255MAP_RO_).
	countedDST = "evote/v2/counted-ballot"
)

// StateCommitment is what the app hash commits to of one election after a
// block: the values an observer recomputes by replaying the election's
// transactions.
type StateCommitment struct {
	Election   ID
	Phase      Phase
	RollSize   uint64
	RollWeight uint64
	// RollHash chains the roll in order of appending.
	RollHash [32]byte
	// Voters and WeightCast count the voters with a counted ballot; Ballots
	// the ballots accepted, replaced ones included.
	Voters, WeightCast, Ballots uint64
	// CountedHash is the set of counted ballots, (voter, transaction hash)
	// pairs, as the sum of their hashes to ristretto255: the identity for
	// none.
	CountedHash [32]byte
	// TxsHash chains the hashes of the election's accepted transactions in
	// order: roll, ceremony, ballots, shares, everything.
	TxsHash [32]byte
	// JointKey is the election key, empty until the ceremony fixes it.
	JointKey []byte
	// Aggregates are the running encrypted sums, A || B each, in aggregate
	// order; none until the key is fixed.
	Aggregates [][64]byte
	// ResultHash is SHA-256 of the result's encoding (ResultRecordHash),
	// zero until the result is derived.
	ResultHash [32]byte
}

// MaxCommitmentAggregates bounds the aggregates a decoded commitment may
// hold.
const MaxCommitmentAggregates = MaxTotalOptions

// MarshalBinary is the commitment's encoding, which its hash covers:
//
//	[32] election || u8 phase || u64 roll size || u64 roll weight || [32] roll hash
//	|| u64 voters || u64 weight cast || u64 ballots || [32] counted hash || [32] txs hash
//	|| u8 len(key) || key || u32 n || n × [64] aggregate || [32] result hash
func (c *StateCommitment) MarshalBinary() ([]byte, error) {
	if len(c.JointKey) != 0 && len(c.JointKey) != 32 {
		return nil, fmt.Errorf("election: a joint key of %d bytes", len(c.JointKey))
	}
	e := encoderOn(make([]byte, 0, 230+64*len(c.Aggregates)))
	e.Raw(c.Election[:])
	e.U8(uint8(c.Phase))
	e.U64(c.RollSize)
	e.U64(c.RollWeight)
	e.Raw(c.RollHash[:])
	e.U64(c.Voters)
	e.U64(c.WeightCast)
	e.U64(c.Ballots)
	e.Raw(c.CountedHash[:])
	e.Raw(c.TxsHash[:])
	e.U8(uint8(len(c.JointKey)))
	e.Raw(c.JointKey)
	e.U32(uint32(len(c.Aggregates)))
	for _, a := range c.Aggregates {
		e.Raw(a[:])
	}
	e.Raw(c.ResultHash[:])
	return e.B, nil
}

// UnmarshalBinary reads what MarshalBinary writes.
func (c *StateCommitment) UnmarshalBinary(b []byte) error {
	d := newDecoder(b)
	var out StateCommitment
	copy(out.Election[:], d.Take(IDSize, "election"))
	out.Phase = Phase(d.U8("phase"))
	out.RollSize = d.U64("roll size")
	out.RollWeight = d.U64("roll weight")
	copy(out.RollHash[:], d.Take(32, "roll hash"))
	out.Voters = d.U64("voters")
	out.WeightCast = d.U64("weight cast")
	out.Ballots = d.U64("ballots")
	copy(out.CountedHash[:], d.Take(32, "counted hash"))
	copy(out.TxsHash[:], d.Take(32, "txs hash"))
	if n := d.U8("key length"); n != 0 {
		if n != 32 {
			return fmt.Errorf("election: state commitment: a joint key of %d bytes", n)
		}
		out.JointKey = bytes.Clone(d.Take(32, "joint key"))
	}
	n := d.Count("aggregates", MaxCommitmentAggregates, 64)
	for i := 0; i < n && d.Err == nil; i++ {
		var a [64]byte
		copy(a[:], d.Take(64, "aggregate"))
		out.Aggregates = append(out.Aggregates, a)
	}
	copy(out.ResultHash[:], d.Take(32, "result hash"))
	if err := d.Finish(); err != nil {
		return fmt.Errorf("election: state commitment: %w", err)
	}
	*c = out
	return nil
}

// Hash is SHA-256("evote/v2/election-state" || MarshalBinary()).
func (c *StateCommitment) Hash() [32]byte {
	b, err := c.MarshalBinary()
	if err != nil {
		// Only a joint key of the wrong size fails; such a commitment
		// matches nothing.
		b = append([]byte{0xff}, err.Error()...)
	}
	h := sha256.New()
	h.Write([]byte(commitmentTag))
	h.Write(b)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Leaf is the commitment's leaf in the tree of elections: id || Hash().
func (c *StateCommitment) Leaf() []byte {
	h := c.Hash()
	return append(bytes.Clone(c.Election[:]), h[:]...)
}

// Diff names the first member in which c and o differ, "" if none: what a
// verifier reports when a node's commitment is not the state it
// recomputed.
func (c *StateCommitment) Diff(o *StateCommitment) string {
	switch {
	case c.Election != o.Election:
		return "election"
	case c.Phase != o.Phase:
		return fmt.Sprintf("phase (%v, recomputed %v)", c.Phase, o.Phase)
	case c.RollSize != o.RollSize:
		return fmt.Sprintf("roll size (%d, recomputed %d)", c.RollSize, o.RollSize)
	case c.RollWeight != o.RollWeight:
		return fmt.Sprintf("roll weight (%d, recomputed %d)", c.RollWeight, o.RollWeight)
	case c.RollHash != o.RollHash:
		return "roll hash"
	case c.Voters != o.Voters:
		return fmt.Sprintf("voters (%d, recomputed %d)", c.Voters, o.Voters)
	case c.WeightCast != o.WeightCast:
		return fmt.Sprintf("weight cast (%d, recomputed %d)", c.WeightCast, o.WeightCast)
	case c.Ballots != o.Ballots:
		return fmt.Sprintf("ballot count (%d, recomputed %d)", c.Ballots, o.Ballots)
	case c.CountedHash != o.CountedHash:
		return "counted-ballot set"
	case c.TxsHash != o.TxsHash:
		return "accepted-transaction chain"
	case !bytes.Equal(c.JointKey, o.JointKey):
		return "joint key"
	case len(c.Aggregates) != len(o.Aggregates):
		return fmt.Sprintf("aggregate count (%d, recomputed %d)", len(c.Aggregates), len(o.Aggregates))
	case c.ResultHash != o.ResultHash:
		return "result"
	}
	for i := range c.Aggregates {
		if c.Aggregates[i] != o.Aggregates[i] {
			return fmt.Sprintf("aggregate %d", i)
		}
	}
	return ""
}

// NextRollHash chains one voter appended to the roll:
// SHA-256("evote/v2/roll" || prev || voter || u32 weight).
func NextRollHash(prev [32]byte, voter PublicKey, weight uint32) [32]byte {
	h := sha256.New()
	h.Write([]byte(rollHashTag))
	h.Write(prev[:])
	h.Write(voter[:])
	var w [4]byte
	binary.BigEndian.PutUint32(w[:], weight)
	h.Write(w[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// NextTxsHash chains one accepted transaction of the election:
// SHA-256("evote/v2/election-txs" || prev || tx hash).
func NextTxsHash(prev, txHash [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(txsHashTag))
	h.Write(prev[:])
	h.Write(txHash[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// CountedSet is the set hash of the counted ballots: the sum in ristretto255
// of HashToElement(voter || tx hash) over the counted ballots (RFC 9380's
// ristretto255_XMD:SHA-512_R255MAP_RO_ with the DST
// "evote/v2/counted-ballot"). Adding and removing a ballot cost one hash to
// the group each; the order of changes does not matter.
type CountedSet struct{ e group.Element }

// NewCountedSet is the empty set (the identity), or the set whose encoding
// is b.
func NewCountedSet(b [32]byte) (*CountedSet, error) {
	e := group.Ristretto255.NewElement()
	if b == ([32]byte{}) {
		return &CountedSet{e: group.Ristretto255.Identity()}, nil
	}
	if err := e.UnmarshalBinary(b[:]); err != nil {
		return nil, stateErr("counted-ballot set", err)
	}
	return &CountedSet{e: e}, nil
}

func countedElement(voter PublicKey, txHash [32]byte) group.Element {
	msg := make([]byte, 0, 64)
	msg = append(append(msg, voter[:]...), txHash[:]...)
	return group.Ristretto255.HashToElement(msg, []byte(countedDST))
}

// Add puts the ballot (voter, txHash) in the set.
func (s *CountedSet) Add(voter PublicKey, txHash [32]byte) {
	s.e = group.Ristretto255.NewElement().Add(s.e, countedElement(voter, txHash))
}

// Remove takes the ballot (voter, txHash) out of the set.
func (s *CountedSet) Remove(voter PublicKey, txHash [32]byte) {
	neg := group.Ristretto255.NewElement().Neg(countedElement(voter, txHash))
	s.e = group.Ristretto255.NewElement().Add(s.e, neg)
}

// Bytes is the set's encoding: 32 zero bytes for the empty set (the
// identity's ristretto255 encoding), the element's encoding otherwise.
func (s *CountedSet) Bytes() [32]byte {
	var out [32]byte
	b, err := s.e.MarshalBinary()
	if err == nil && len(b) == 32 {
		copy(out[:], b)
	}
	return out
}

// ResultRecordHash is SHA-256 of the result's state encoding
// (docs/spec/state.md, "Result"): what a commitment holds of the result.
func ResultRecordHash(voters, weightCast uint64, trustees []uint32, totals []uint64) [32]byte {
	r := resultRecord{Voters: voters, WeightCast: weightCast, Trustees: trustees, Totals: totals}
	return sha256.Sum256(r.encode())
}

// Commitment reads election id's state commitment from st.
func Commitment(st ReadStore, id ID) (*StateCommitment, error) {
	s, err := loadStatus(st, id)
	if err != nil {
		return nil, err
	}
	c := &StateCommitment{
		Election: id, Phase: s.Phase, RollSize: s.RollSize, RollWeight: s.RollWeight, RollHash: s.RollHash,
		Voters: s.Voters, WeightCast: s.WeightCast, Ballots: s.Ballots, CountedHash: s.CountedHash, TxsHash: s.TxsHash,
	}
	key, err := st.Get(keyJointKey(id))
	if err != nil {
		return nil, err
	}
	if key != nil {
		if len(key) != 32 {
			return nil, stateErr("joint key", errors.New("not 32 bytes"))
		}
		c.JointKey = bytes.Clone(key)
	}
	err = st.Iterate(prefixAggregates(id), func(_, v []byte) error {
		if len(v) != 64 {
			return stateErr("aggregate", fmt.Errorf("%d bytes", len(v)))
		}
		c.Aggregates = append(c.Aggregates, [64]byte(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	res, err := st.Get(keyResult(id))
	if err != nil {
		return nil, err
	}
	if res != nil {
		c.ResultHash = sha256.Sum256(res)
	}
	return c, nil
}

// ElectionOfKey returns the election a state key belongs to ("e/" id "/…").
func ElectionOfKey(key []byte) (ID, bool) {
	var id ID
	if len(key) < 3+IDSize || key[0] != 'e' || key[1] != '/' || key[2+IDSize] != '/' {
		return id, false
	}
	copy(id[:], key[2:2+IDSize])
	return id, true
}
