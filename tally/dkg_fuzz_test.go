package tally

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The fuzz targets of the key generation. Each runs against a 2-of-3
// ceremony drawn from seeded(dkgFuzzSeed); the seed corpora under
// testdata/fuzz/FuzzDkg*/ are written by TestDkgFuzzCorpus with
// -update-dkg and hold messages of that ceremony.

const dkgFuzzSeed = "evote/v1/dkg/fuzz"

func dkgFuzzCeremony(tb testing.TB) *dkgCeremony { return dkgNewCeremony(tb, dkgFuzzSeed, 3, 2) }

// dkgFuzzFinalize runs Finalize with the ceremony's honest deals, deal put
// in place of its dealer's (or added), and checks what holds of any result.
func dkgFuzzFinalize(t *testing.T, c *dkgCeremony, deal *DKGDeal, complaints []*DKGComplaint, responses []*DKGResponse) (*DKGResult, error) {
	deals := slices.Clone(c.deals)
	if deal != nil {
		if deal.Dealer >= 1 && deal.Dealer <= c.params.N {
			deals[deal.Dealer-1] = deal
		} else {
			deals = append(deals, deal)
		}
	}
	res, err := Finalize(c.params, deals, complaints, responses)
	if err != nil {
		if res != nil {
			t.Fatalf("Finalize returned a result and the error %v", err)
		}
		return nil, err
	}
	// Determinism: the reversed inputs give the same result.
	slices.Reverse(deals)
	slices.Reverse(complaints)
	slices.Reverse(responses)
	again, err := Finalize(c.params, deals, complaints, responses)
	if err != nil || !dkgResultsEqual(res, again) {
		t.Fatalf("Finalize depends on the order of its inputs (%v)", err)
	}
	if len(res.Qualified)+len(res.Excluded) != int(c.params.N) || len(res.Qualified) < int(c.params.T) ||
		!slices.IsSorted(res.Qualified) || len(res.VerificationKeys) != int(c.params.N) {
		t.Fatalf("inconsistent result: qualified %v, excluded %v", res.Qualified, res.Excluded)
	}
	h := grp().Identity()
	for _, i := range res.Qualified {
		h.Add(h, deals[slices.IndexFunc(deals, func(d *DKGDeal) bool { return d.Dealer == i })].Commitments[0])
	}
	if !h.IsEqual(res.PublicKey.Element()) {
		t.Fatal("H is not the sum of the qualified C_0")
	}
	return res, nil
}

func FuzzDkgDeal(f *testing.F) {
	c := dkgFuzzCeremony(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var d DKGDeal
		if err := d.UnmarshalBinary(b); err != nil {
			return
		}
		if b2, err := d.MarshalBinary(); err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("deal does not re-encode to its bytes (%v)", err)
		}
		verr := d.Verify(c.params)
		if d.Dealer != 1 {
			_, _ = d.OpenShare(c.params, 1, c.keys[0])
		}
		res, err := dkgFuzzFinalize(t, c, &d, nil, nil)
		if d.Dealer > c.params.N {
			if !errors.Is(err, ErrDKGUnknownTrustee) || !errors.Is(verr, ErrDKGUnknownTrustee) {
				t.Fatalf("deal from %d: Verify %v, Finalize %v", d.Dealer, verr, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(res.Qualified, d.Dealer) != (verr == nil) {
			t.Fatalf("dealer %d: Verify says %v, Finalize qualified %v", d.Dealer, verr, res.Qualified)
		}
	})
}

func FuzzDkgComplaint(f *testing.F) {
	c := dkgFuzzCeremony(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var cp DKGComplaint
		if err := cp.UnmarshalBinary(b); err != nil {
			return
		}
		if b2, err := cp.MarshalBinary(); err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("complaint does not re-encode to its bytes (%v)", err)
		}
		verr := cp.Verify(c.params)
		res, err := dkgFuzzFinalize(t, c, nil, []*DKGComplaint{&cp}, nil)
		if (verr == nil) != (err == nil) {
			t.Fatalf("Verify %v, Finalize %v", verr, err)
		}
		if err == nil {
			dkgWantExcluded(t, res, cp.Dealer, cp.Complainer, ErrDKGUnanswered)
		}
	})
}

func FuzzDkgResponse(f *testing.F) {
	c := dkgFuzzCeremony(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var r DKGResponse
		if err := r.UnmarshalBinary(b); err != nil {
			return
		}
		if b2, err := r.MarshalBinary(); err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("response does not re-encode to its bytes (%v)", err)
		}
		if r.Dealer > c.params.N || r.Complainer > c.params.N {
			if err := r.Verify(c.params, c.deals[0]); !errors.Is(err, ErrDKGUnknownTrustee) {
				t.Fatalf("response of %d to %d: got %v", r.Dealer, r.Complainer, err)
			}
			return
		}
		verr := r.Verify(c.params, c.deals[r.Dealer-1])
		cp := &DKGComplaint{Complainer: r.Complainer, Dealer: r.Dealer}
		res, err := dkgFuzzFinalize(t, c, nil, []*DKGComplaint{cp}, []*DKGResponse{&r})
		if err != nil {
			t.Fatal(err)
		}
		if verr == nil {
			if !slices.Contains(res.Qualified, r.Dealer) {
				t.Fatalf("a valid response did not keep dealer %d", r.Dealer)
			}
		} else {
			dkgWantExcluded(t, res, r.Dealer, r.Complainer, ErrDKGBadShare)
		}
	})
}

func FuzzDkgEncryptionKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var pk TrusteeEncryptionPublicKey
		if err := pk.UnmarshalBinary(b); err == nil {
			if b2, err := pk.MarshalBinary(); err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("public key does not re-encode to its bytes (%v)", err)
			}
		}
		var sk TrusteeEncryptionKey
		if err := sk.UnmarshalBinary(b); err == nil {
			if b2, err := sk.MarshalBinary(); err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("private key does not re-encode to its bytes (%v)", err)
			}
			if err := dkgCheckX25519(sk.Public().Bytes()); err != nil {
				t.Fatalf("a private key with an invalid public key: %v", err)
			}
		}
	})
}

func FuzzDkgDealerSecret(f *testing.F) {
	c := dkgFuzzCeremony(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var s DealerSecret
		if err := s.UnmarshalBinary(b); err != nil {
			return
		}
		if b2, err := s.MarshalBinary(); err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("dealer secret does not re-encode to its bytes (%v)", err)
		}
		other := uint32(1)
		if s.Dealer() == 1 {
			other = 2
		}
		r, err := s.Respond(c.params, &DKGComplaint{Complainer: other, Dealer: s.Dealer()})
		if err == nil && !r.Share.IsEqual(s.Share(other)) {
			t.Fatal("Respond reveals another share")
		}
	})
}

// FuzzDkgFinalize drives Finalize with a decoded deal and complaints and
// responses built from bytes: each complaint is (complainer, dealer) and
// each response (dealer, complainer, tamper), indices taken modulo 5 so that
// 0 and 4 (not trustees) occur, tamper odd meaning a wrong share.
func FuzzDkgFinalize(f *testing.F) {
	c := dkgFuzzCeremony(f)
	f.Fuzz(func(t *testing.T, dealBytes, complaintBytes, responseBytes []byte) {
		var deal *DKGDeal
		if len(dealBytes) > 0 {
			deal = new(DKGDeal)
			if deal.UnmarshalBinary(dealBytes) != nil {
				return
			}
		}
		var complaints []*DKGComplaint
		for k := 0; k+1 < len(complaintBytes) && k < 16; k += 2 {
			complaints = append(complaints, &DKGComplaint{Complainer: uint32(complaintBytes[k] % 5), Dealer: uint32(complaintBytes[k+1] % 5)})
		}
		var responses []*DKGResponse
		for k := 0; k+2 < len(responseBytes) && k < 24; k += 3 {
			r := &DKGResponse{Dealer: uint32(responseBytes[k] % 5), Complainer: uint32(responseBytes[k+1] % 5), Share: newScalar()}
			if r.Dealer >= 1 && r.Dealer <= c.params.N {
				r.Share = c.secrets[r.Dealer-1].Share(r.Complainer)
			}
			if responseBytes[k+2]%2 == 1 {
				r.Share.Add(r.Share, scalarFromUint64(1))
			}
			responses = append(responses, r)
		}
		res, err := dkgFuzzFinalize(t, c, deal, complaints, responses)
		if err != nil {
			var qe *QualificationError
			if errors.As(err, &qe) && len(qe.Qualified)+len(qe.Excluded) != int(c.params.N) {
				t.Fatalf("inconsistent QualificationError %v", err)
			}
			return
		}
		for _, ex := range res.Excluded {
			if ex.Err == nil || slices.Contains(res.Qualified, ex.Dealer) {
				t.Fatalf("bad exclusion %v", ex)
			}
		}
	})
}

// FuzzDkgLagrange: the first byte is i, the others the indices. When the
// coefficients exist they sum to 1 (they interpolate the constant 1).
func FuzzDkgLagrange(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || len(b) > 64 {
			return
		}
		i := uint32(b[0])
		indices := make([]uint32, len(b)-1)
		for k, x := range b[1:] {
			indices[k] = uint32(x)
		}
		if _, err := LagrangeCoefficient(indices, i); err != nil {
			return
		}
		sum := newScalar()
		for _, m := range indices {
			l, err := LagrangeCoefficient(indices, m)
			if err != nil {
				t.Fatalf("λ_%d exists but λ_%d does not: %v", i, m, err)
			}
			sum.Add(sum, l)
		}
		if !sum.IsEqual(scalarFromUint64(1)) {
			t.Fatalf("the coefficients of %v do not sum to 1", indices)
		}
	})
}

// dkgCorpusEntry is one seed input of a fuzz target.
type dkgCorpusEntry struct {
	name string
	args [][]byte
}

// dkgFuzzCorpus builds the seed corpora from the fuzz ceremony.
func dkgFuzzCorpus(t *testing.T) map[string][]dkgCorpusEntry {
	c := dkgFuzzCeremony(t)
	enc := func(m interface{ MarshalBinary() ([]byte, error) }) []byte {
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	one := func(name string, b []byte) dkgCorpusEntry { return dkgCorpusEntry{name, [][]byte{b}} }
	deal := enc(c.deals[1])
	badProof := *c.deals[1]
	badProof.Proof = &SchnorrProof{R: c.deals[1].Proof.R, Z: newScalar().Add(c.deals[1].Proof.Z, scalarFromUint64(1))}
	stranger := *c.deals[2]
	stranger.Dealer = 7
	complaint := enc(&DKGComplaint{Complainer: 3, Dealer: 1})
	response, err := c.secrets[0].Respond(c.params, &DKGComplaint{Complainer: 3, Dealer: 1})
	if err != nil {
		t.Fatal(err)
	}
	badResponse := &DKGResponse{Dealer: 1, Complainer: 3, Share: newScalar().Add(response.Share, scalarFromUint64(1))}
	key := c.keys[0]
	idx := func(v ...byte) []byte { return v }
	return map[string][]dkgCorpusEntry{
		"FuzzDkgDeal": {
			one("valid", deal),
			one("bad-proof", enc(&badProof)),
			one("non-trustee", enc(&stranger)),
			one("truncated", deal[:len(deal)-1]),
			one("trailing", append(bytes.Clone(deal), 0)),
		},
		"FuzzDkgComplaint": {
			one("valid", complaint),
			one("non-trustee", enc(&DKGComplaint{Complainer: 9, Dealer: 1})),
			one("self", dkgMutate(complaint, func(b []byte) []byte { b[len(b)-1] = 3; return b })),
		},
		"FuzzDkgResponse": {
			one("valid", enc(response)),
			one("bad-share", enc(badResponse)),
			one("non-trustee", enc(&DKGResponse{Dealer: 1, Complainer: 200, Share: response.Share})),
		},
		"FuzzDkgEncryptionKey": {
			one("public", enc(key.Public())),
			one("private", enc(key)),
			one("low-order", dkgMutate(enc(key.Public()), func(b []byte) []byte { clear(b[len(b)-32:]); return b })),
		},
		"FuzzDkgDealerSecret": {
			one("valid", enc(c.secrets[0])),
			one("zero-a0", dkgMutate(enc(c.secrets[0]), func(b []byte) []byte {
				off := 1 + len(TagDKGDealerSecret) + 8
				clear(b[off : off+ScalarSize])
				return b
			})),
		},
		"FuzzDkgFinalize": {
			{"honest", [][]byte{nil, nil, nil}},
			{"answered", [][]byte{nil, idx(3, 1), idx(1, 3, 0)}},
			{"bad-answer", [][]byte{nil, idx(3, 1), idx(1, 3, 1)}},
			{"unanswered", [][]byte{nil, idx(3, 1, 1, 2), idx(1, 3, 0)}},
			{"bad-proof", [][]byte{enc(&badProof), idx(1, 2), idx(2, 1, 0)}},
			{"not-enough", [][]byte{enc(&badProof), idx(2, 1), nil}},
			{"duplicate", [][]byte{nil, idx(3, 1, 3, 1), nil}},
			{"unsolicited", [][]byte{nil, nil, idx(1, 2, 0)}},
			{"non-trustee", [][]byte{enc(&stranger), idx(4, 1), nil}},
		},
		"FuzzDkgLagrange": {
			one("three", idx(2, 1, 2, 3)),
			one("spread", idx(255, 7, 255, 1)),
			one("duplicate", idx(1, 1, 2, 1)),
			one("zero", idx(1, 0, 1)),
			one("absent", idx(4, 1, 2)),
		},
	}
}

// dkgCorpusFile is the "go test fuzz v1" encoding of a seed input.
func dkgCorpusFile(args [][]byte) []byte {
	b := []byte("go test fuzz v1\n")
	for _, a := range args {
		b = fmt.Appendf(b, "[]byte(%q)\n", a)
	}
	return b
}

// TestDkgFuzzCorpus checks that the committed seed corpora are the ones the
// fuzz ceremony gives (and rewrites them with -update-dkg).
func TestDkgFuzzCorpus(t *testing.T) {
	corpus := dkgFuzzCorpus(t)
	targets := make([]string, 0, len(corpus))
	for name := range corpus {
		targets = append(targets, name)
	}
	slices.Sort(targets)
	for _, target := range targets {
		dir := filepath.Join("testdata", "fuzz", target)
		if *updateDkgVectors {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range corpus[target] {
			path := filepath.Join(dir, e.name)
			want := dkgCorpusFile(e.args)
			if *updateDkgVectors {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestDkgFuzzCorpus -update-dkg)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale (run go test -run TestDkgFuzzCorpus -update-dkg)", path)
			}
		}
	}
}
