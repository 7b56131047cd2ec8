package election

import (
	"bytes"
	"testing"
)

// FuzzLtHash checks the identities the node relies on: adding then
// removing an element leaves the hash as it was, the order of additions
// does not matter, the sum of two partial hashes is the hash of the union,
// and the encoding round-trips.
func FuzzLtHash(f *testing.F) {
	f.Add([]byte("a"), []byte("b"), []byte("c"))
	f.Add([]byte{}, []byte{}, []byte{0})
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		var x, y, z LtHash
		x.Add(a)
		x.Add(b)
		y.Add(b)
		y.Add(a)
		if x != y {
			t.Fatal("the order of additions changed the hash")
		}
		x.Add(c)
		x.Remove(c)
		if x != y {
			t.Fatal("add then remove changed the hash")
		}
		z.Add(c)
		var u LtHash
		u.AddHash(&y)
		u.AddHash(&z)
		var w LtHash
		w.Add(c)
		w.Add(a)
		w.Add(b)
		if u != w {
			t.Fatal("the sum of partial hashes is not the hash of the union")
		}
		u.SubHash(&z)
		if u != y {
			t.Fatal("SubHash does not undo AddHash")
		}
		var back LtHash
		if err := back.UnmarshalBinary(w.Bytes()); err != nil || back != w {
			t.Fatalf("round trip: %v", err)
		}
		if !bytes.Equal(a, b) {
			var p, q LtHash
			p.Add(a)
			q.Add(b)
			if p == q {
				t.Fatalf("%x and %x hash alike", a, b)
			}
		}
	})
}

func TestLtHashTable(t *testing.T) {
	var l LtHash
	if !l.IsZero() || !bytes.Equal(l.Bytes(), make([]byte, LtHashSize)) {
		t.Fatal("the empty multiset is not zero")
	}
	// A multiset, not a set: adding an element twice is not adding it once.
	var once, twice LtHash
	once.Add(KVElement([]byte("k"), []byte("v")))
	twice.Add(KVElement([]byte("k"), []byte("v")))
	twice.Add(KVElement([]byte("k"), []byte("v")))
	if once == twice {
		t.Fatal("an element added twice hashes as once")
	}
	// The length prefixes keep ("ab", "c") and ("a", "bc") apart, and the
	// tags a key-value row and a transaction row.
	if bytes.Equal(KVElement([]byte("ab"), []byte("c")), KVElement([]byte("a"), []byte("bc"))) {
		t.Fatal("KVElement is ambiguous")
	}
	if bytes.HasPrefix(TxElement([]byte("h"), 1, 0, 0, ""), []byte(kvElementTag)) {
		t.Fatal("a tx row element carries the kv tag")
	}
	if err := l.UnmarshalBinary(make([]byte, 7)); err != ErrLtHashSize {
		t.Fatalf("7 bytes: %v", err)
	}
}

// FuzzLtHashLanes: four lanes added or subtracted in one word agree with
// each lane added or subtracted modulo 2^16 on its own.
func FuzzLtHashLanes(f *testing.F) {
	f.Add(uint64(0xffff_8000_7fff_0001), uint64(0x0001_8000_8001_ffff))
	f.Add(uint64(0), uint64(0xffff_ffff_ffff_ffff))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		sum, diff := addLanes(a, b), subLanes(a, b)
		for j := range 4 {
			x, y := uint16(a>>(16*j)), uint16(b>>(16*j))
			if got := uint16(sum >> (16 * j)); got != x+y {
				t.Fatalf("lane %d of %x + %x: %x, want %x", j, a, b, got, x+y)
			}
			if got := uint16(diff >> (16 * j)); got != x-y {
				t.Fatalf("lane %d of %x - %x: %x, want %x", j, a, b, got, x-y)
			}
		}
	})
}
