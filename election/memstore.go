package election

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"sync"
)

// MemStore is an in-memory Store with ordered iteration, for tests, the
// wallet and verifiers. It is safe for concurrent use; Iterate reads a
// snapshot of the keys and values with the prefix, so fn may read the store.
type MemStore struct {
	mu     sync.Mutex
	m      map[string][]byte
	sorted []string // ascending; may hold deleted keys, skipped on reads
	added  []string // keys added since sorted was last merged
	stale  int      // deleted keys still in sorted
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{m: make(map[string][]byte)} }

// Get returns a copy of the value at key, or nil.
func (s *MemStore) Get(key []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[string(key)]
	if !ok {
		return nil, nil
	}
	return append([]byte{}, v...), nil
}

// Set stores a copy of value at key.
func (s *MemStore) Set(key, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := string(key)
	if _, ok := s.m[k]; !ok {
		s.added = append(s.added, k)
	}
	s.m[k] = append([]byte{}, value...)
	return nil
}

// Delete removes key.
func (s *MemStore) Delete(key []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := string(key)
	if _, ok := s.m[k]; ok {
		delete(s.m, k)
		s.stale++
	}
	return nil
}

// Len returns the number of keys.
func (s *MemStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// Iterate calls fn for every key with the prefix, in ascending byte order,
// on a snapshot taken when it starts.
func (s *MemStore) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	s.mu.Lock()
	s.merge()
	p := string(prefix)
	var keys []string
	var values [][]byte
	for i := sort.SearchStrings(s.sorted, p); i < len(s.sorted) && strings.HasPrefix(s.sorted[i], p); i++ {
		if v, ok := s.m[s.sorted[i]]; ok {
			keys = append(keys, s.sorted[i])
			values = append(values, v) // values are never modified in place
		}
	}
	s.mu.Unlock()
	for i, k := range keys {
		if err := fn([]byte(k), append([]byte{}, values[i]...)); err != nil {
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
	a, b := s.snapshot(), o.snapshot()
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// snapshot returns the map of keys to values (never modified in place).
func (s *MemStore) snapshot() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string][]byte, len(s.m))
	for k, v := range s.m {
		m[k] = v
	}
	return m
}
