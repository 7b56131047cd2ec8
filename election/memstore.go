package election

import (
	"bytes"
	"slices"
	"sort"
	"strings"
)

// MemStore is an in-memory Store with ordered iteration, for tests, the
// wallet and verifiers. It is not safe for concurrent use.
type MemStore struct {
	m      map[string][]byte
	sorted []string // ascending; may hold deleted keys, skipped on reads
	added  []string // keys added since sorted was last merged
	stale  int      // deleted keys still in sorted
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{m: make(map[string][]byte)} }

// Get returns a copy of the value at key, or nil.
func (s *MemStore) Get(key []byte) ([]byte, error) {
	v, ok := s.m[string(key)]
	if !ok {
		return nil, nil
	}
	return append([]byte{}, v...), nil
}

// Set stores a copy of value at key.
func (s *MemStore) Set(key, value []byte) error {
	k := string(key)
	if _, ok := s.m[k]; !ok {
		s.added = append(s.added, k)
	}
	s.m[k] = append([]byte{}, value...)
	return nil
}

// Delete removes key.
func (s *MemStore) Delete(key []byte) error {
	k := string(key)
	if _, ok := s.m[k]; ok {
		delete(s.m, k)
		s.stale++
	}
	return nil
}

// Len returns the number of keys.
func (s *MemStore) Len() int { return len(s.m) }

// Iterate calls fn for every key with the prefix, in ascending byte order.
func (s *MemStore) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	s.merge()
	p := string(prefix)
	i := sort.SearchStrings(s.sorted, p)
	// Copy the keys first: fn may not write, but a caller's fn that reads is
	// fine either way, and this keeps iteration stable.
	var keys []string
	for ; i < len(s.sorted) && strings.HasPrefix(s.sorted[i], p); i++ {
		keys = append(keys, s.sorted[i])
	}
	for _, k := range keys {
		v, ok := s.m[k]
		if !ok {
			continue
		}
		if err := fn([]byte(k), append([]byte{}, v...)); err != nil {
			return err
		}
	}
	return nil
}

// merge folds the added keys into sorted and drops deleted ones when they
// are many.
func (s *MemStore) merge() {
	if len(s.added) == 0 && s.stale*2 <= len(s.sorted) {
		return
	}
	slices.Sort(s.added)
	merged := make([]string, 0, len(s.sorted)+len(s.added))
	i, j := 0, 0
	for i < len(s.sorted) || j < len(s.added) {
		var k string
		if j >= len(s.added) || i < len(s.sorted) && s.sorted[i] <= s.added[j] {
			k = s.sorted[i]
			i++
		} else {
			k = s.added[j]
			j++
		}
		if _, ok := s.m[k]; !ok {
			continue
		}
		if n := len(merged); n > 0 && merged[n-1] == k {
			continue
		}
		merged = append(merged, k)
	}
	s.sorted, s.added, s.stale = merged, nil, 0
}

// Clone returns a deep copy.
func (s *MemStore) Clone() *MemStore {
	c := NewMemStore()
	_ = s.Iterate(nil, func(k, v []byte) error { return c.Set(k, v) })
	return c
}

// Equal reports whether two stores hold the same keys and values.
func (s *MemStore) Equal(o *MemStore) bool {
	if len(s.m) != len(o.m) {
		return false
	}
	for k, v := range s.m {
		w, ok := o.m[k]
		if !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}
