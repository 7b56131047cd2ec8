package tally

import (
	"errors"
	"testing"

	"filippo.io/edwards25519"
)

func TestDlogBounds(t *testing.T) {
	const bound = 1_000_000
	table, err := NewDlogTable(bound)
	if err != nil {
		t.Fatal(err)
	}
	if table.Max() != bound || table.Size() != 1000 {
		t.Fatalf("table for %d: max %d, size %d", uint64(bound), table.Max(), table.Size())
	}
	for _, m := range []uint64{0, 1, 2, 999, 1000, 1001, 2001, 123_456, bound - 1, bound} {
		got, err := table.Lookup(mulGen(m))
		if err != nil || got != m {
			t.Fatalf("Lookup(%d·G) = %d, %v", m, got, err)
		}
	}
	for _, m := range []uint64{bound + 1, bound + 2, bound + 2000, 1 << 40} {
		if got, err := table.Lookup(mulGen(m)); !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("Lookup(%d·G) = %d, %v; want ErrOutOfRange", m, got, err)
		}
	}
	// -1·G and a random element are no small multiples.
	minusOne := newElement().Neg(generator())
	if _, err := table.Lookup(minusOne); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("Lookup(-G): got %v", err)
	}
	s, _ := RandomScalar(seeded("dlog random"))
	if _, err := table.Lookup(newElement().MulGen(s)); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("Lookup(random): got %v", err)
	}
	if _, err := table.Lookup(nil); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("Lookup(nil): got %v", err)
	}
}

// TestDlogExhaustive checks every value of small ranges, with table sizes
// that put the baby steps, the giant steps and the bound at and across the
// edges of a batch.
func TestDlogExhaustive(t *testing.T) {
	for _, c := range []struct{ bound, size uint64 }{
		{0, 1}, {1, 1}, {2, 1}, {10, 1}, {800, 1}, {2000, 7}, {600, 255}, {3000, 256},
	} {
		table, err := NewDlogTableSize(c.bound, c.size)
		if err != nil {
			t.Fatal(err)
		}
		M := grp().Identity()
		g := generator()
		for m := uint64(0); m <= c.bound+3; m++ {
			got, err := table.Lookup(M)
			if m <= c.bound && (err != nil || got != m) {
				t.Fatalf("bound %d size %d: Lookup(%d·G) = %d, %v", c.bound, c.size, m, got, err)
			}
			if m > c.bound && !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("bound %d size %d: Lookup(%d·G) = %d, %v; want ErrOutOfRange", c.bound, c.size, m, got, err)
			}
			M = newElement().Add(M, g)
		}
	}
}

func TestDlogDefaultSizes(t *testing.T) {
	for _, c := range []struct{ bound, size uint64 }{
		{0, 1}, {1, 1}, {2, 2}, {99, 10}, {100, 10}, {101, 11}, {1 << 20, 1 << 10},
	} {
		table, err := NewDlogTable(c.bound)
		if err != nil {
			t.Fatal(err)
		}
		if table.Size() != c.size {
			t.Errorf("NewDlogTable(%d): size %d, want %d", c.bound, table.Size(), c.size)
		}
	}
}

func TestDlogTableArguments(t *testing.T) {
	if _, err := NewDlogTable(MaxDlogBound + 1); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bound above the maximum: got %v", err)
	}
	if _, err := NewDlogTableSize(10, 0); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("size 0: got %v", err)
	}
	if _, err := NewDlogTableSize(10, MaxDlogTableSize+1); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("size above the maximum: got %v", err)
	}
}

// TestDlogTruncatedKeyCollision plants a slot whose truncated key matches
// the first giant step but whose value is wrong: Lookup must check the
// candidate, skip it and still find m.
func TestDlogTruncatedKeyCollision(t *testing.T) {
	table, err := NewDlogTableSize(10_000, 20)
	if err != nil {
		t.Fatal(err)
	}
	const m = 7_777
	target, err := toEdwards(mulGen(m))
	if err != nil {
		t.Fatal(err)
	}
	target.MultByCofactor(target)
	var p edwards25519.Point
	cur := extFromPoint(p.Add(target, &table.start))
	var s dlogScratch
	s.walk(&cur, &table.step, 1)
	key := yKey(&s.y[0])
	for _, val := range []uint32{2*5 + 1, 2*5 + 0 + 1} {
		table.insert(key, val)
	}
	got, err := table.Lookup(mulGen(m))
	if err != nil || got != m {
		t.Fatalf("Lookup = %d, %v", got, err)
	}
	got, err = table.Lookup(mulGen(0))
	if err != nil || got != 0 {
		t.Fatalf("Lookup(0) = %d, %v", got, err)
	}
}

func TestDlogConcurrentLookups(t *testing.T) {
	table, err := NewDlogTable(100_000)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{0, 5, 99_999, 100_000, 31_337, 4_096, 77_777, 12}
	errs := make(chan error, len(want))
	for _, m := range want {
		go func() {
			got, err := table.Lookup(mulGen(m))
			if err == nil && got != m {
				err = errors.New("wrong value")
			}
			errs <- err
		}()
	}
	for range want {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
