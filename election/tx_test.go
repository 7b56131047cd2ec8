package election_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

func TestTxEnvelope(t *testing.T) {
	key := actorKey("official")
	id, _ := sampleManifest(t).ID()
	raw, err := election.NewOpenTx("evote-test", id, key)
	if err != nil {
		t.Fatal(err)
	}
	// tag || kind || signer || bytes(body) || signature
	want := append([]byte{11}, "evote/v1/tx"...)
	want = append(want, byte(election.KindOpen))
	pub := key.Public()
	want = append(want, pub[:]...)
	want = append(want, 0, 0, 0, 32)
	want = append(want, id[:]...)
	if !bytes.HasPrefix(raw, want) || len(raw) != len(want)+64 {
		t.Fatalf("envelope layout: %x", raw)
	}
	tx, err := election.DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Kind != election.KindOpen || tx.Signer != pub || !tx.Verify("evote-test") || tx.Verify("other") {
		t.Error("decoded envelope")
	}
	// The signed message: tag(kind tag) || bytes(chain id) || bytes(body).
	msg := append([]byte{byte(len("evote/v1/tx/open"))}, "evote/v1/tx/open"...)
	msg = append(msg, 0, 0, 0, 10)
	msg = append(msg, "evote-test"...)
	msg = append(msg, 0, 0, 0, 32)
	msg = append(msg, id[:]...)
	if !bytes.Equal(election.SigningMessage("evote-test", election.KindOpen, id[:]), msg) || !pub.Verify(msg, tx.Signature[:]) {
		t.Error("signing message")
	}
	again, _ := tx.MarshalBinary()
	if !bytes.Equal(again, raw) {
		t.Error("re-encoding differs")
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, election.ErrMalformed},
		{"trailing", append(bytes.Clone(raw), 0), election.ErrTrailingBytes},
		{"short signature", raw[:len(raw)-1], election.ErrMalformed},
		{"unknown kind", setByte(raw, 12, 0xee), election.ErrUnknownKind},
		{"kind 0", setByte(raw, 12, 0), election.ErrUnknownKind},
		{"wrong tag", setByte(raw, 5, 'x'), election.ErrWrongTag},
		{"open too long", append(bytes.Clone(raw), make([]byte, 600)...), election.ErrLimit},
		{"too long", make([]byte, election.MaxTxSize+1), election.ErrLimit},
	} {
		if _, err := election.DecodeTx(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	for k := election.Kind(1); k.Known(); k++ {
		if k.Tag() != "evote/v1/tx/"+k.String() {
			t.Errorf("kind %d tag %q", k, k.Tag())
		}
	}
}

func TestBodyRoundTripsAndRejects(t *testing.T) {
	man := sampleManifest(t)
	id, _ := man.ID()
	params, err := man.DKGParams(id)
	if err != nil {
		t.Fatal(err)
	}
	deal, secret, err := tally.NewDKGDeal(params, 1, stream("body deal"))
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := secret.Respond(params, &tally.DKGComplaint{Complainer: 2, Dealer: 1})
	v1, v2 := actorKey("v1").VoterPublic(), actorKey("v2").VoterPublic()
	if bytes.Compare(v1[:], v2[:]) > 0 {
		v1, v2 = v2, v1
	}
	bodies := []election.Body{
		&election.CreateElectionBody{Manifest: man},
		&election.AppendVotersBody{Election: id, Voters: []election.RollEntry{{Voter: v1, Weight: 1}, {Voter: v2, Weight: 7}}},
		&election.DKGDealBody{Election: id, Deal: deal},
		&election.DKGComplaintsBody{Election: id, Complaints: []*tally.DKGComplaint{{Complainer: 1, Dealer: 2}, {Complainer: 1, Dealer: 3}}},
		&election.DKGComplaintsBody{Election: id},
		&election.DKGResponsesBody{Election: id, Responses: []*tally.DKGResponse{resp}},
		&election.OpenBody{Election: id},
		&election.CloseBody{Election: id},
		&election.BallotBody{Election: id, Seq: 3, Contests: [][]byte{{1}, {2, 3}, {}}},
	}
	for _, b := range bodies {
		enc, err := b.MarshalBinary()
		if err != nil {
			t.Fatalf("%v: %v", b.Kind(), err)
		}
		back, err := election.DecodeBody(b.Kind(), enc)
		if err != nil {
			t.Fatalf("%v: %v", b.Kind(), err)
		}
		again, _ := back.MarshalBinary()
		if !bytes.Equal(again, enc) {
			t.Errorf("%v: round trip differs", b.Kind())
		}
		if _, err := election.DecodeBody(b.Kind(), append(bytes.Clone(enc), 0)); err == nil {
			t.Errorf("%v: trailing byte accepted", b.Kind())
		}
	}

	// Canonical orders and counts.
	unsorted := &election.AppendVotersBody{Election: id, Voters: []election.RollEntry{{Voter: v2, Weight: 1}, {Voter: v1, Weight: 1}}}
	if _, err := unsorted.MarshalBinary(); !errors.Is(err, election.ErrMalformed) {
		t.Errorf("unsorted roll encodes: %v", err)
	}
	raw := append(bytes.Clone(id[:]), 0, 0, 0, 2)
	raw = append(append(append(raw, v2[:]...), 0, 0, 0, 1), append(v1[:], 0, 0, 0, 1)...)
	if _, err := election.DecodeBody(election.KindAppendVoters, raw); !errors.Is(err, election.ErrMalformed) {
		t.Errorf("unsorted roll decodes: %v", err)
	}
	if _, err := election.DecodeBody(election.KindAppendVoters, append(bytes.Clone(id[:]), 0, 0, 0, 0)); !errors.Is(err, election.ErrMalformed) {
		t.Errorf("empty roll append decodes: %v", err)
	}
	if _, err := election.DecodeBody(election.KindAppendVoters, append(bytes.Clone(id[:]), 0, 1, 0, 0)); !errors.Is(err, election.ErrLimit) {
		t.Errorf("forged count: %v", err)
	}
	twice := &election.DKGComplaintsBody{Election: id, Complaints: []*tally.DKGComplaint{{Complainer: 1, Dealer: 3}, {Complainer: 1, Dealer: 2}}}
	enc, _ := twice.MarshalBinary()
	if _, err := election.DecodeBody(election.KindDKGComplaints, enc); !errors.Is(err, election.ErrMalformed) {
		t.Errorf("complaints out of order decode: %v", err)
	}
	mixed := &election.DKGComplaintsBody{Election: id, Complaints: []*tally.DKGComplaint{{Complainer: 1, Dealer: 2}, {Complainer: 3, Dealer: 4}}}
	enc, _ = mixed.MarshalBinary()
	if _, err := election.DecodeBody(election.KindDKGComplaints, enc); !errors.Is(err, election.ErrMalformed) {
		t.Errorf("complaints of two complainers decode: %v", err)
	}
	none := &election.DKGResponsesBody{Election: id}
	enc, _ = none.MarshalBinary()
	if _, err := election.DecodeBody(election.KindDKGResponses, enc); !errors.Is(err, election.ErrMalformed) {
		t.Errorf("empty responses decode: %v", err)
	}
	badDeal := append(bytes.Clone(id[:]), 0, 0, 0, 1, 0)
	if _, err := election.DecodeBody(election.KindDKGDeal, badDeal); !errors.Is(err, election.ErrMalformed) {
		t.Errorf("bad nested deal: %v", err)
	}
	if _, err := election.DecodeBody(election.Kind(42), nil); !errors.Is(err, election.ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := election.NewTx("", &election.OpenBody{Election: id}, actorKey("x")); !errors.Is(err, election.ErrLimit) {
		t.Errorf("empty chain id: %v", err)
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for i, c := range election.Codes() {
		if uint32(c) != uint32(i) {
			t.Errorf("codes are not numbered densely from 0: %d at %d", c, i)
		}
		name := c.String()
		if seen[name] || name == "" {
			t.Errorf("code %d: name %q repeated or empty", c, name)
		}
		seen[name] = true
		back, err := election.ParseCode(name)
		if err != nil || back != c {
			t.Errorf("ParseCode(%q) = %v, %v", name, back, err)
		}
	}
	if election.CodeOK.String() != "ok" || !(election.Result{}).OK() {
		t.Error("code 0 is ok")
	}
	if election.Code(999).String() != "code-999" {
		t.Error("unknown code name")
	}
	for _, c := range []election.Code{election.CodeUnknownElection, election.CodeNotOpen, election.CodeNotClosed, election.CodeInternal} {
		if !c.Transient() {
			t.Errorf("%v is transient", c)
		}
	}
	if election.CodeBadProof.Transient() || election.CodeBadSignature.Transient() {
		t.Error("a permanent verdict is transient")
	}
}
