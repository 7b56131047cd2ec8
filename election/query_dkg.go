package election

import (
	"encoding/binary"
	"fmt"

	"github.com/cloudflare/circl/group"

	"github.com/evote/evote/tally"
)

// The key ceremony as the chain admitted it, for the trustees' tools (each
// trustee checks the other deals, answers complaints and derives its share
// from these messages) and for anyone who re-derives the joint key.

// DKGMessages is every admitted message of an election's key ceremony,
// with the canonical manifest they are checked against.
type DKGMessages struct {
	Election ID
	Phase    Phase
	// Manifest is the election's manifest: the election id derives from
	// its canonical encoding, and it fixes the ceremony's parameters
	// (Manifest.DKGParams).
	Manifest      *Manifest
	Deals         []DKGDealEntry
	ComplaintSets []DKGComplaintSet
	Responses     []DKGResponseItem
}

// DKGDealEntry is one dealer's deal.
type DKGDealEntry struct {
	Dealer uint32
	Deal   *tally.DKGDeal
}

// DKGComplaintSet is what one trustee posted in the complaint round: the
// dealers it complains about, possibly none.
type DKGComplaintSet struct {
	Complainer uint32
	Dealers    []uint32
}

// DKGResponseItem is a dealer's answer to one complaint.
type DKGResponseItem struct {
	Dealer     uint32
	Complainer uint32
	Response   *tally.DKGResponse
}

// QueryDKG returns the election's key-ceremony messages: deals by
// ascending dealer, complaint sets by ascending complainer, responses by
// ascending dealer, then complainer.
func QueryDKG(r ReadStore, id ID) (*DKGMessages, error) {
	man, st, err := loadElection(r, id)
	if err != nil {
		return nil, err
	}
	out := &DKGMessages{Election: id, Phase: st.Phase, Manifest: man,
		Deals: []DKGDealEntry{}, ComplaintSets: []DKGComplaintSet{}, Responses: []DKGResponseItem{}}
	p := prefixDeals(id)
	err = r.Iterate(p, func(k, v []byte) error {
		if len(k) != len(p)+4 {
			return stateErr("deal", fmt.Errorf("key of %d bytes", len(k)))
		}
		deal := new(tally.DKGDeal)
		if err := deal.UnmarshalBinary(v); err != nil {
			return stateErr("deal", err)
		}
		out.Deals = append(out.Deals, DKGDealEntry{Dealer: binary.BigEndian.Uint32(k[len(p):]), Deal: deal})
		return nil
	})
	if err != nil {
		return nil, err
	}
	p = prefixComplaints(id)
	err = r.Iterate(p, func(k, v []byte) error {
		if len(k) != len(p)+4 {
			return stateErr("complaint set", fmt.Errorf("key of %d bytes", len(k)))
		}
		dealers, err := decodeComplaintSet(v)
		if err != nil {
			return err
		}
		if dealers == nil {
			dealers = []uint32{}
		}
		out.ComplaintSets = append(out.ComplaintSets, DKGComplaintSet{Complainer: binary.BigEndian.Uint32(k[len(p):]), Dealers: dealers})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = r.Iterate(prefixResponses(id), func(_, v []byte) error {
		resp := new(tally.DKGResponse)
		if err := resp.UnmarshalBinary(v); err != nil {
			return stateErr("response", err)
		}
		out.Responses = append(out.Responses, DKGResponseItem{Dealer: resp.Dealer, Complainer: resp.Complainer, Response: resp})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseAggregate decodes an aggregate ciphertext as the API shows it: the
// 64 bytes A || B, where either point may be the identity (an option no
// ballot has counted yet).
func ParseAggregate(b []byte) (*tally.Ciphertext, error) {
	if len(b) != 2*tally.PointSize {
		return nil, fmt.Errorf("%w: aggregate of %d bytes, want %d", ErrMalformed, len(b), 2*tally.PointSize)
	}
	a, bb := group.Ristretto255.NewElement(), group.Ristretto255.NewElement()
	if err := a.UnmarshalBinary(b[:tally.PointSize]); err != nil {
		return nil, fmt.Errorf("%w: aggregate A: %v", ErrMalformed, err)
	}
	if err := bb.UnmarshalBinary(b[tally.PointSize:]); err != nil {
		return nil, fmt.Errorf("%w: aggregate B: %v", ErrMalformed, err)
	}
	return &tally.Ciphertext{A: a, B: bb}, nil
}
