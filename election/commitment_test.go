package election_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/evote/evote/election"
)

// exampleCommitment is a commitment with every member set.
func exampleCommitment() *election.StateCommitment {
	c := &election.StateCommitment{Election: election.ID{1, 2, 3}, Phase: election.PhaseOpen, RollSize: 5, RollWeight: 7,
		Voters: 3, WeightCast: 4, Ballots: 4, JointKey: bytes.Repeat([]byte{9}, 32), Aggregates: make([][64]byte, 3)}
	c.RollHash[0], c.CountedHash[1], c.TxsHash[2], c.ResultHash[3] = 1, 2, 3, 4
	c.Aggregates[2][5] = 6
	return c
}

// TestCommitmentEncoding: the encoding round-trips; every member changes
// the hash, and Diff names it; a truncated or extended encoding is refused.
func TestCommitmentEncoding(t *testing.T) {
	c := exampleCommitment()
	enc, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back election.StateCommitment
	if err := back.UnmarshalBinary(enc); err != nil || back.Diff(c) != "" || back.Hash() != c.Hash() {
		t.Fatalf("round trip: %v, diff %q", err, back.Diff(c))
	}
	for name, edit := range map[string]func(*election.StateCommitment){
		"phase":     func(c *election.StateCommitment) { c.Phase++ },
		"roll size": func(c *election.StateCommitment) { c.RollSize++ },
		"roll hash": func(c *election.StateCommitment) { c.RollHash[0]++ },
		"voters":    func(c *election.StateCommitment) { c.Voters++ },
		"ballot":    func(c *election.StateCommitment) { c.Ballots++ },
		"counted":   func(c *election.StateCommitment) { c.CountedHash[1]++ },
		"txs":       func(c *election.StateCommitment) { c.TxsHash[2]++ },
		"key":       func(c *election.StateCommitment) { c.JointKey = nil },
		"aggregate": func(c *election.StateCommitment) { c.Aggregates[2][5]++ },
		"result":    func(c *election.StateCommitment) { c.ResultHash[3]++ },
	} {
		d := exampleCommitment()
		edit(d)
		if d.Hash() == c.Hash() || d.Diff(c) == "" {
			t.Errorf("%s: the hash or Diff does not see the change", name)
		}
	}
	for _, bad := range [][]byte{enc[:len(enc)-1], append(bytes.Clone(enc), 0), nil} {
		if err := back.UnmarshalBinary(bad); err == nil {
			t.Errorf("an encoding of %d bytes decodes", len(bad))
		}
	}
}

// TestCountedSet: the set hash depends on the set, not on the order of
// changes; removing a ballot undoes adding it.
func TestCountedSet(t *testing.T) {
	v1, v2 := election.PublicKey{1}, election.PublicKey{2}
	a, _ := election.NewCountedSet([32]byte{})
	b, _ := election.NewCountedSet([32]byte{})
	a.Add(v1, [32]byte{1})
	a.Add(v2, [32]byte{2})
	b.Add(v2, [32]byte{2})
	b.Add(v1, [32]byte{9})
	b.Remove(v1, [32]byte{9})
	b.Add(v1, [32]byte{1})
	if a.Bytes() != b.Bytes() {
		t.Fatal("the same set by another order of changes has another hash")
	}
	c, err := election.NewCountedSet(a.Bytes())
	if err != nil || c.Bytes() != a.Bytes() {
		t.Fatalf("reloaded: %v", err)
	}
	c.Remove(v1, [32]byte{1})
	c.Remove(v2, [32]byte{2})
	if c.Bytes() != ([32]byte{}) {
		t.Fatalf("emptied set: %x, want the identity's zero encoding", c.Bytes())
	}
	if _, err := election.NewCountedSet([32]byte{0xff, 0xff}); err == nil {
		t.Fatal("a non-canonical element is taken for a set")
	}
}

// FuzzStateCommitment: a decoded commitment re-encodes to the same bytes;
// nothing panics.
func FuzzStateCommitment(f *testing.F) {
	enc, _ := exampleCommitment().MarshalBinary()
	f.Add(enc)
	f.Add(enc[:40])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c election.StateCommitment
		if err := c.UnmarshalBinary(b); err != nil {
			return
		}
		out, err := c.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("re-encoded %x, %v; decoded from %x", out, err, b)
		}
	})
}

// FuzzStateProof: a proof never panics; a proof that leads to the root
// of the tree it came from is the one made for that leaf, or fits it.
func FuzzStateProof(f *testing.F) {
	f.Add(3, 5, []byte("leaf"), []byte("aunt"))
	f.Add(0, 1, []byte{}, []byte{})
	f.Add(-1, 0, []byte("x"), []byte("y"))
	f.Fuzz(func(t *testing.T, index, total int, leaf, aunt []byte) {
		p := election.MerkleProof{Index: index, Total: total, Aunts: [][]byte{aunt, bytes.Repeat(aunt, 2)}}
		root, err := p.Root(leaf)
		if err != nil && !errors.Is(err, election.ErrMerkleProof) {
			t.Fatalf("error outside ErrMerkleProof: %v", err)
		}
		if err == nil && len(root) != 32 {
			t.Fatalf("a root of %d bytes", len(root))
		}
	})
}
