package election

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// reference is a sorted view of a plain map, the model the stores are
// checked against.
type reference map[string]string

func (r reference) iterate(prefix string) []string {
	var keys []string
	for k := range r {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+r[k])
	}
	return out
}

func collect(t *testing.T, s ReadStore, prefix string) []string {
	t.Helper()
	var out []string
	prev := []byte(nil)
	err := s.Iterate([]byte(prefix), func(k, v []byte) error {
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			t.Fatalf("iteration out of order: %q after %q", k, prev)
		}
		prev = bytes.Clone(k)
		out = append(out, string(k)+"="+string(v))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func randomKey(r *rand.Rand) string { return fmt.Sprintf("%c/%d", 'a'+r.IntN(3), r.IntN(40)) }

func TestMemStoreMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := NewMemStore()
	ref := reference{}
	for i := range 5000 {
		k := randomKey(r)
		switch r.IntN(3) {
		case 0, 1:
			v := fmt.Sprint(i)
			_ = s.Set([]byte(k), []byte(v))
			ref[k] = v
		case 2:
			_ = s.Delete([]byte(k))
			delete(ref, k)
		}
		if i%97 == 0 {
			for _, p := range []string{"", "a", "b/", "c/1"} {
				if got, want := collect(t, s, p), ref.iterate(p); !slices.Equal(got, want) {
					t.Fatalf("step %d, prefix %q:\n got %v\nwant %v", i, p, got, want)
				}
			}
		}
	}
	if s.Len() != len(ref) {
		t.Errorf("Len %d, want %d", s.Len(), len(ref))
	}
	c := s.Clone()
	if !c.Equal(s) {
		t.Error("clone differs")
	}
	_ = c.Set([]byte("zz"), nil)
	if c.Equal(s) {
		t.Error("Equal ignores a key")
	}
	v, _ := c.Get([]byte("zz"))
	if v == nil || len(v) != 0 {
		t.Errorf("an empty value reads as %v", v)
	}
	// Values are copied in and out.
	buf := []byte("x")
	_ = s.Set([]byte("k"), buf)
	buf[0] = 'y'
	got, _ := s.Get([]byte("k"))
	got[0] = 'z'
	if again, _ := s.Get([]byte("k")); string(again) != "x" {
		t.Error("MemStore aliases values")
	}
}

// TestStageMatchesModel checks that a stage over a store reads and iterates
// as if its writes were applied, and that flush applies exactly them.
func TestStageMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		base := NewMemStore()
		ref := reference{}
		for i := range 60 {
			k := randomKey(r)
			_ = base.Set([]byte(k), []byte(fmt.Sprint("base", i)))
			ref[k] = fmt.Sprint("base", i)
		}
		before := collect(t, base, "")
		s := newStage(base)
		for i := range 80 {
			k := randomKey(r)
			if r.IntN(3) == 0 {
				_ = s.Delete([]byte(k))
				delete(ref, k)
			} else {
				v := fmt.Sprint("stage", round, i)
				_ = s.Set([]byte(k), []byte(v))
				ref[k] = v
			}
		}
		for _, p := range []string{"", "a", "b/", "c/3"} {
			if got, want := collect(t, s, p), ref.iterate(p); !slices.Equal(got, want) {
				t.Fatalf("round %d, prefix %q:\n got %v\nwant %v", round, p, got, want)
			}
		}
		k := randomKey(r)
		got, _ := s.Get([]byte(k))
		if want, ok := ref[k]; ok != (got != nil) || ok && string(got) != want {
			t.Fatalf("Get(%q) = %q, want %q", k, got, want)
		}
		if !slices.Equal(collect(t, base, ""), before) {
			t.Fatal("the stage wrote through before flush")
		}
		if err := s.flush(base); err != nil {
			t.Fatal(err)
		}
		if got, want := collect(t, base, ""), ref.iterate(""); !slices.Equal(got, want) {
			t.Fatalf("after flush:\n got %v\nwant %v", got, want)
		}
	}
}

// TestStageStopsIteration checks that an error from fn ends the merge.
func TestStageStopsIteration(t *testing.T) {
	base := NewMemStore()
	_ = base.Set([]byte("a"), nil)
	_ = base.Set([]byte("c"), nil)
	s := newStage(base)
	_ = s.Set([]byte("b"), nil)
	_ = s.Set([]byte("d"), nil)
	var seen []string
	stop := errors.New("stop")
	err := s.Iterate(nil, func(k, _ []byte) error {
		seen = append(seen, string(k))
		if string(k) == "b" {
			return stop
		}
		return nil
	})
	if err != stop || !slices.Equal(seen, []string{"a", "b"}) {
		t.Errorf("got %v after %v", err, seen)
	}
}
