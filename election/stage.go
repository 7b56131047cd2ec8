package election

import (
	"bytes"
	"slices"
	"strings"
)

// stage buffers the writes of one transaction or block step over a store:
// reads see the buffered writes, and flush applies them to the store in
// ascending key order, so that a rejected transaction writes nothing and the
// order of writes the node sees is deterministic.
type stage struct {
	base   ReadStore
	writes map[string]stagedValue
}

type stagedValue struct {
	v   []byte
	del bool
}

func newStage(base ReadStore) *stage {
	return &stage{base: base, writes: make(map[string]stagedValue)}
}

func (s *stage) Get(key []byte) ([]byte, error) {
	if w, ok := s.writes[string(key)]; ok {
		if w.del {
			return nil, nil
		}
		return bytes.Clone(w.v), nil
	}
	return s.base.Get(key)
}

func (s *stage) Set(key, value []byte) error {
	s.writes[string(key)] = stagedValue{v: append([]byte{}, value...)}
	return nil
}

func (s *stage) Delete(key []byte) error {
	s.writes[string(key)] = stagedValue{del: true}
	return nil
}

// sortedWrites returns the staged keys with the prefix, ascending.
func (s *stage) sortedWrites(prefix string) []string {
	var keys []string
	for k := range s.writes {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Iterate merges the base's keys with the staged writes, in ascending order.
func (s *stage) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	staged := s.sortedWrites(string(prefix))
	i := 0
	emitUpTo := func(limit string, inclusive bool) error {
		for i < len(staged) && (staged[i] < limit || inclusive && staged[i] == limit) {
			k := staged[i]
			i++
			if w := s.writes[k]; !w.del {
				if err := fn([]byte(k), bytes.Clone(w.v)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := s.base.Iterate(prefix, func(key, value []byte) error {
		k := string(key)
		if err := emitUpTo(k, false); err != nil {
			return err
		}
		if _, ok := s.writes[k]; ok {
			return emitUpTo(k, true) // the staged value (or deletion) replaces the base's
		}
		return fn(key, value)
	})
	if err != nil {
		return err
	}
	for i < len(staged) {
		if err := emitUpTo(staged[len(staged)-1], true); err != nil {
			return err
		}
	}
	return nil
}

// flush applies the writes to st in ascending key order.
func (s *stage) flush(st Store) error {
	for _, k := range s.sortedWrites("") {
		w := s.writes[k]
		var err error
		if w.del {
			err = st.Delete([]byte(k))
		} else {
			err = st.Set([]byte(k), w.v)
		}
		if err != nil {
			return err
		}
	}
	clear(s.writes)
	return nil
}
