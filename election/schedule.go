package election

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Timers and pending work. A timer is a key
// "timers/" || u64 time || id || u8 event, so that the store's order is the
// order of firing; BeginBlock fires every timer at or before the block time.
// A work marker "work/" || id says that a transaction of the block may have
// completed a step of the election; the block's End looks at each and
// removes it.

var errStop = errors.New("stop")

type timer struct {
	key []byte
	id  ID
	ev  uint8
}

func (m *Machine) runTimers(s *stage, b Block) error {
	now := uint64(max(b.Time.Unix(), 0))
	var due []timer
	err := s.Iterate(prefixTimers, func(k, _ []byte) error {
		rest := k[len(prefixTimers):]
		if len(rest) != 8+IDSize+1 {
			return stateErr("timer", errors.New("bad key"))
		}
		if binary.BigEndian.Uint64(rest) > now {
			return errStop
		}
		t := timer{key: bytes.Clone(k), ev: rest[8+IDSize]}
		copy(t.id[:], rest[8:8+IDSize])
		due = append(due, t)
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	for _, t := range due {
		if err := s.Delete(t.key); err != nil {
			return err
		}
		if err := m.fire(s, b, t); err != nil {
			return err
		}
	}
	return nil
}

// fire applies one timer. A timer whose phase has passed does nothing.
func (m *Machine) fire(s *stage, b Block, t timer) error {
	man, err := m.manifest(s, t.id)
	if err != nil {
		return err
	}
	if man == nil {
		return stateErr("timer", errors.New("timer of an unknown election"))
	}
	st, err := loadStatus(s, t.id)
	if err != nil {
		return err
	}
	switch t.ev {
	case timerDeals:
		if st.Phase == PhaseDKGDeals {
			return m.endDeals(s, b, t.id, man, st)
		}
	case timerComplaints:
		if st.Phase == PhaseDKGComplaints {
			return m.endComplaints(s, b, t.id, man, st)
		}
	case timerResponses:
		if st.Phase == PhaseDKGResponses {
			return m.finalizeDKG(s, b, t.id, man, st)
		}
	case timerOpen:
		switch {
		case st.Phase == PhaseReady:
			return setPhase(s, t.id, st, PhaseOpen, b)
		case st.Phase.inDKG():
			st.OpenDue = true
			return saveStatus(s, t.id, st)
		}
	case timerClose:
		switch {
		case st.Phase == PhaseReady || st.Phase == PhaseOpen:
			return setPhase(s, t.id, st, PhaseClosed, b)
		case st.Phase.inDKG():
			st.Failure = "closed-before-key"
			return setPhase(s, t.id, st, PhaseFailed, b)
		}
	default:
		return stateErr("timer", errors.New("unknown event"))
	}
	return nil
}

func (m *Machine) runWork(s *stage, b Block) error {
	var ids []ID
	err := s.Iterate(prefixWork, func(k, _ []byte) error {
		var id ID
		if len(k) != len(prefixWork)+IDSize {
			return stateErr("work marker", errors.New("bad key"))
		}
		copy(id[:], k[len(prefixWork):])
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.Delete(keyWork(id)); err != nil {
			return err
		}
		man, err := m.manifest(s, id)
		if err != nil {
			return err
		}
		if man == nil {
			return stateErr("work marker", errors.New("unknown election"))
		}
		st, err := loadStatus(s, id)
		if err != nil {
			return err
		}
		n := uint32(len(man.Trustees.Members))
		switch {
		case st.Phase == PhaseDKGDeals && st.Deals == n:
			err = m.endDeals(s, b, id, man, st)
		case st.Phase == PhaseDKGComplaints && st.Complaints == n:
			err = m.endComplaints(s, b, id, man, st)
		case st.Phase == PhaseDKGResponses && st.Responses == st.Accusations:
			err = m.finalizeDKG(s, b, id, man, st)
		case st.Phase == PhaseClosed && st.ShareSets >= man.Trustees.Threshold:
			err = m.deriveResult(s, b, id, man, st)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
