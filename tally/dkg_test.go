package tally

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cloudflare/circl/group"
)

// dkgCeremony is a key generation run among honest trustees, which the
// tests then corrupt message by message.
type dkgCeremony struct {
	params  *DKGParams
	keys    []*TrusteeEncryptionKey // keys[j-1] is trustee j's
	deals   []*DKGDeal              // deals[i-1] is dealer i's
	secrets []*DealerSecret
	rnd     io.Reader
}

func dkgNewParams(t testing.TB, rnd io.Reader, context string, n, thr uint32) (*DKGParams, []*TrusteeEncryptionKey) {
	t.Helper()
	params := &DKGParams{Context: []byte(context), N: n, T: thr}
	var keys []*TrusteeEncryptionKey
	for j := uint32(1); j <= n; j++ {
		k, err := GenerateTrusteeEncryptionKey(rnd)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		params.Trustees = append(params.Trustees, TrusteeInfo{Index: j, EncryptionKey: k.Public()})
	}
	return params, keys
}

func dkgNewCeremony(t testing.TB, seed string, n, thr uint32) *dkgCeremony {
	t.Helper()
	rnd := seeded(seed)
	params, keys := dkgNewParams(t, rnd, "election "+seed, n, thr)
	c := &dkgCeremony{params: params, keys: keys, rnd: rnd}
	for i := uint32(1); i <= n; i++ {
		d, s, err := NewDKGDeal(params, i, rnd)
		if err != nil {
			t.Fatal(err)
		}
		c.deals = append(c.deals, d)
		c.secrets = append(c.secrets, s)
	}
	return c
}

// check runs round 2 for every trustee.
func (c *dkgCeremony) check(t testing.TB) []*DKGComplaint {
	t.Helper()
	var all []*DKGComplaint
	for j := uint32(1); j <= c.params.N; j++ {
		cs, err := CheckDeals(c.params, j, c.keys[j-1], c.deals)
		if err != nil {
			t.Fatalf("trustee %d checks the deals: %v", j, err)
		}
		all = append(all, cs...)
	}
	return all
}

// respond answers every complaint honestly.
func (c *dkgCeremony) respond(t testing.TB, complaints []*DKGComplaint) []*DKGResponse {
	t.Helper()
	var out []*DKGResponse
	for _, cp := range complaints {
		r, err := c.secrets[cp.Dealer-1].Respond(c.params, cp)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// secretShares derives every trustee's secret share.
func (c *dkgCeremony) secretShares(t testing.TB, res *DKGResult) []*PrivateKey {
	t.Helper()
	var out []*PrivateKey
	for j := uint32(1); j <= c.params.N; j++ {
		x, err := res.SecretShare(c.params, j, c.keys[j-1], c.secrets[j-1], c.deals)
		if err != nil {
			t.Fatalf("trustee %d: %v", j, err)
		}
		out = append(out, x)
	}
	return out
}

// jointSecret is Σ_{i∈QUAL} a_{i,0}, which no one computes in a real run.
func (c *dkgCeremony) jointSecret(qual []uint32) group.Scalar {
	s := newScalar()
	for _, i := range qual {
		s.Add(s, c.secrets[i-1].coeffs[0])
	}
	return s
}

// tamper re-seals, in dealer's deal, the share for recipient as f(recipient)+1.
func (c *dkgCeremony) tamper(t testing.TB, dealer, recipient uint32) {
	t.Helper()
	d := c.deals[dealer-1]
	wrong := c.secrets[dealer-1].Share(recipient)
	wrong.Add(wrong, scalarFromUint64(1))
	sealed, err := dkgSealShare(c.params, dealer, recipient, dkgShareAAD(d.Commitments), wrong, c.rnd)
	if err != nil {
		t.Fatal(err)
	}
	for k := range d.Shares {
		if d.Shares[k].Recipient == recipient {
			d.Shares[k] = sealed
		}
	}
}

// dkgSubsets calls f with every subset of 1..n of size k, ascending.
func dkgSubsets(n, k uint32, f func([]uint32)) {
	var rec func(start uint32, cur []uint32)
	rec = func(start uint32, cur []uint32) {
		if uint32(len(cur)) == k {
			f(slices.Clone(cur))
			return
		}
		for i := start; i <= n; i++ {
			rec(i+1, append(cur, i))
		}
	}
	rec(1, nil)
}

// dkgCheckThreshold checks that every T-subset of the shares interpolates
// the joint secret, both in the exponent (Σ λ_j X_j = H) and on the secret
// scalars, and decrypts a ciphertext under H.
func dkgCheckThreshold(t *testing.T, c *dkgCeremony, res *DKGResult, shares []*PrivateKey) {
	t.Helper()
	secret := c.jointSecret(res.Qualified)
	if !newElement().MulGen(secret).IsEqual(res.PublicKey.Element()) {
		t.Fatal("H is not the sum of the qualified dealers' secrets times G")
	}
	ct, _, err := Encrypt(res.PublicKey, 42, c.rnd)
	if err != nil {
		t.Fatal(err)
	}
	want := newElement().MulGen(scalarFromUint64(42))
	dkgSubsets(c.params.N, c.params.T, func(set []uint32) {
		x := newScalar()
		h := grp().Identity()
		d := grp().Identity()
		for _, j := range set {
			l, err := LagrangeCoefficient(set, j)
			if err != nil {
				t.Fatal(err)
			}
			x.Add(x, newScalar().Mul(l, shares[j-1].Scalar()))
			h.Add(h, newElement().Mul(res.VerificationKeys[j-1].Element(), l))
			d.Add(d, newElement().Mul(ct.A, newScalar().Mul(l, shares[j-1].Scalar())))
		}
		if !x.IsEqual(secret) {
			t.Fatalf("shares %v do not interpolate the joint secret", set)
		}
		if !h.IsEqual(res.PublicKey.Element()) {
			t.Fatalf("verification keys %v do not interpolate H", set)
		}
		if !newElement().Add(ct.B, newElement().Neg(d)).IsEqual(want) {
			t.Fatalf("shares %v do not decrypt", set)
		}
	})
	if c.params.T > 1 {
		// T-1 shares interpolate something else.
		set := make([]uint32, c.params.T-1)
		for k := range set {
			set[k] = uint32(k + 1)
		}
		x := newScalar()
		for _, j := range set {
			l, _ := LagrangeCoefficient(set, j)
			x.Add(x, newScalar().Mul(l, shares[j-1].Scalar()))
		}
		if x.IsEqual(secret) {
			t.Fatal("T-1 shares reconstruct the secret")
		}
	}
}

func TestDkgHappyPath(t *testing.T) {
	for _, tc := range []struct{ n, t uint32 }{{5, 3}, {3, 2}, {1, 1}, {4, 4}} {
		t.Run(fmt.Sprintf("%d-of-%d", tc.t, tc.n), func(t *testing.T) {
			c := dkgNewCeremony(t, fmt.Sprintf("happy %d %d", tc.n, tc.t), tc.n, tc.t)
			for _, d := range c.deals {
				if err := d.Verify(c.params); err != nil {
					t.Fatal(err)
				}
			}
			if cs := c.check(t); len(cs) != 0 {
				t.Fatalf("honest deals drew complaints: %v", cs)
			}
			res, err := Finalize(c.params, c.deals, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Qualified) != int(tc.n) || len(res.Excluded) != 0 || len(res.VerificationKeys) != int(tc.n) {
				t.Fatalf("qualified %v, excluded %v", res.Qualified, res.Excluded)
			}
			shares := c.secretShares(t, res)
			for j, x := range shares {
				if !x.Public().Equal(res.VerificationKeys[j]) {
					t.Fatalf("x_%d G != X_%d", j+1, j+1)
				}
			}
			dkgCheckThreshold(t, c, res, shares)
		})
	}
}

func TestDkgTamperedShare(t *testing.T) {
	const dealer, victim = 2, 4
	setup := func(t *testing.T) (*dkgCeremony, []*DKGComplaint) {
		c := dkgNewCeremony(t, "tampered", 5, 3)
		c.tamper(t, dealer, victim)
		if err := c.deals[dealer-1].Verify(c.params); err != nil {
			t.Fatalf("a tampered share is invisible to Verify: %v", err)
		}
		if _, err := c.deals[dealer-1].OpenShare(c.params, victim, c.keys[victim-1]); !errors.Is(err, ErrDKGBadShare) {
			t.Fatalf("tampered share opened: got %v", err)
		}
		cs := c.check(t)
		if len(cs) != 1 || *cs[0] != (DKGComplaint{Complainer: victim, Dealer: dealer}) {
			t.Fatalf("complaints %v, want one by %d against %d", cs, victim, dealer)
		}
		return c, cs
	}

	t.Run("no response excludes", func(t *testing.T) {
		c, cs := setup(t)
		res, err := Finalize(c.params, c.deals, cs, nil)
		if err != nil {
			t.Fatal(err)
		}
		dkgWantExcluded(t, res, dealer, victim, ErrDKGUnanswered)
		dkgCheckThreshold(t, c, res, c.secretShares(t, res))
	})
	t.Run("invalid reveal excludes", func(t *testing.T) {
		c, cs := setup(t)
		wrong := c.secrets[dealer-1].Share(victim)
		wrong.Add(wrong, scalarFromUint64(1))
		r := &DKGResponse{Dealer: dealer, Complainer: victim, Share: wrong}
		if err := r.Verify(c.params, c.deals[dealer-1]); !errors.Is(err, ErrDKGBadShare) {
			t.Fatalf("bad reveal: got %v", err)
		}
		res, err := Finalize(c.params, c.deals, cs, []*DKGResponse{r})
		if err != nil {
			t.Fatal(err)
		}
		dkgWantExcluded(t, res, dealer, victim, ErrDKGBadShare)
		dkgCheckThreshold(t, c, res, c.secretShares(t, res))
	})
	t.Run("valid reveal keeps", func(t *testing.T) {
		c, cs := setup(t)
		rs := c.respond(t, cs)
		if err := rs[0].Verify(c.params, c.deals[dealer-1]); err != nil {
			t.Fatal(err)
		}
		res, err := Finalize(c.params, c.deals, cs, rs)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Qualified) != 5 || len(res.Revealed) != 1 {
			t.Fatalf("qualified %v, revealed %d", res.Qualified, len(res.Revealed))
		}
		dkgCheckThreshold(t, c, res, c.secretShares(t, res))
	})
	t.Run("victim that did not complain has no share", func(t *testing.T) {
		c, _ := setup(t)
		res, err := Finalize(c.params, c.deals, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = res.SecretShare(c.params, victim, c.keys[victim-1], c.secrets[victim-1], c.deals)
		if !errors.Is(err, ErrDKGMissingShare) || !errors.Is(err, ErrDKGBadShare) {
			t.Fatalf("got %v, want ErrDKGMissingShare", err)
		}
	})
}

func TestDkgUndecryptableShare(t *testing.T) {
	c := dkgNewCeremony(t, "undecryptable", 3, 2)
	c.deals[0].Shares[1].Ciphertext[0] ^= 1 // dealer 1's share for trustee 3
	if _, err := c.deals[0].OpenShare(c.params, 3, c.keys[2]); !errors.Is(err, ErrDKGUndecryptable) {
		t.Fatalf("got %v", err)
	}
	cs := c.check(t)
	if len(cs) != 1 || *cs[0] != (DKGComplaint{Complainer: 3, Dealer: 1}) {
		t.Fatalf("complaints %v", cs)
	}
	res, err := Finalize(c.params, c.deals, cs, c.respond(t, cs))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Qualified) != 3 {
		t.Fatalf("qualified %v", res.Qualified)
	}
	dkgCheckThreshold(t, c, res, c.secretShares(t, res))
}

// dkgWantExcluded checks that exactly dealer was excluded, for want.
func dkgWantExcluded(t *testing.T, res *DKGResult, dealer, complainer uint32, want error) {
	t.Helper()
	if len(res.Excluded) != 1 {
		t.Fatalf("excluded %v, want dealer %d", res.Excluded, dealer)
	}
	var ex *DealerExcludedError
	if !errors.As(res.Excluded[0], &ex) || ex.Dealer != dealer || ex.Complainer != complainer || !errors.Is(ex, want) {
		t.Fatalf("excluded %v, want dealer %d (complainer %d) for %v", res.Excluded[0], dealer, complainer, want)
	}
	if slices.Contains(res.Qualified, dealer) {
		t.Fatalf("dealer %d still qualified", dealer)
	}
}

func TestDkgInvalidDeals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(c *dkgCeremony)
		want   error
	}{
		{"bad proof", func(c *dkgCeremony) { c.deals[1].Proof.Z.Add(c.deals[1].Proof.Z, scalarFromUint64(1)) }, ErrInvalidProof},
		{"proof for another context", func(c *dkgCeremony) {
			other := *c.params
			other.Context = []byte("another election")
			d, _, err := NewDKGDeal(&other, 2, c.rnd)
			if err != nil {
				panic(err)
			}
			c.deals[1] = d
		}, ErrInvalidProof},
		{"commitments changed after the proof", func(c *dkgCeremony) {
			c.deals[1].Commitments[2] = newElement().Add(c.deals[1].Commitments[2], generator())
		}, ErrInvalidProof},
		{"too few commitments", func(c *dkgCeremony) { c.deals[1].Commitments = c.deals[1].Commitments[:2] }, ErrDKGCommitmentCount},
		{"too many commitments", func(c *dkgCeremony) {
			c.deals[1].Commitments = append(c.deals[1].Commitments, generator())
		}, ErrDKGCommitmentCount},
		{"identity C_0", func(c *dkgCeremony) { c.deals[1].Commitments[0] = grp().Identity() }, ErrIdentity},
		{"share missing", func(c *dkgCeremony) { c.deals[1].Shares = c.deals[1].Shares[1:] }, ErrDKGShareSet},
		{"shares out of order", func(c *dkgCeremony) {
			s := c.deals[1].Shares
			s[0], s[1] = s[1], s[0]
		}, ErrDKGShareSet},
		{"share to itself", func(c *dkgCeremony) { c.deals[1].Shares[0].Recipient = 2 }, ErrDKGShareSet},
		{"no proof", func(c *dkgCeremony) { c.deals[1].Proof = nil }, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dkgNewCeremony(t, "invalid deals", 5, 3)
			tc.break_(c)
			if err := c.deals[1].Verify(c.params); !errors.Is(err, tc.want) {
				t.Fatalf("Verify: got %v, want %v", err, tc.want)
			}
			if cs := c.check(t); len(cs) != 0 {
				t.Fatalf("an invalid deal drew complaints %v", cs)
			}
			res, err := Finalize(c.params, c.deals, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			dkgWantExcluded(t, res, 2, 0, tc.want)
			dkgCheckThreshold(t, c, res, c.secretShares(t, res))
		})
	}
}

func TestDkgMissingDeal(t *testing.T) {
	c := dkgNewCeremony(t, "missing deal", 3, 2)
	deals := []*DKGDeal{c.deals[0], c.deals[2]}
	res, err := Finalize(c.params, deals, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dkgWantExcluded(t, res, 2, 0, ErrDKGNoDeal)
	// Trustee 2 dealt nothing but still holds a share.
	x, err := res.SecretShare(c.params, 2, c.keys[1], nil, deals)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Public().Equal(res.VerificationKeys[1]) {
		t.Fatal("x_2 G != X_2")
	}
}

func TestDkgNotEnoughQualified(t *testing.T) {
	c := dkgNewCeremony(t, "not enough", 3, 3)
	c.deals[0].Proof.Z.Add(c.deals[0].Proof.Z, scalarFromUint64(1))
	_, err := Finalize(c.params, c.deals, nil, nil)
	if !errors.Is(err, ErrDKGNotEnoughQualified) {
		t.Fatalf("got %v", err)
	}
	var qe *QualificationError
	var ex *DealerExcludedError
	if !errors.As(err, &qe) || !slices.Equal(qe.Qualified, []uint32{2, 3}) || !errors.As(err, &ex) || ex.Dealer != 1 || !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("got %v", err)
	}
}

func TestDkgTooManyComplaints(t *testing.T) {
	c := dkgNewCeremony(t, "too many complaints", 3, 2)
	// Trustees 2 and 3 both complain about dealer 1 (T = 2 complaints): it
	// is excluded even though it answers both correctly.
	cs := []*DKGComplaint{{Complainer: 3, Dealer: 1}, {Complainer: 2, Dealer: 1}}
	res, err := Finalize(c.params, c.deals, cs, c.respond(t, cs))
	if err != nil {
		t.Fatal(err)
	}
	dkgWantExcluded(t, res, 1, 0, ErrDKGTooManyComplaints)
	dkgCheckThreshold(t, c, res, c.secretShares(t, res))

	// One complaint answered correctly: dealer 1 stays.
	res, err = Finalize(c.params, c.deals, cs[:1], c.respond(t, cs[:1]))
	if err != nil || len(res.Qualified) != 3 {
		t.Fatalf("qualified %v, err %v", res, err)
	}
}

func TestDkgMessageSetErrors(t *testing.T) {
	c := dkgNewCeremony(t, "message set", 3, 2)
	cp := &DKGComplaint{Complainer: 2, Dealer: 1}
	rs := c.respond(t, []*DKGComplaint{cp})
	stranger := *c.deals[2]
	stranger.Dealer = 4
	for _, tc := range []struct {
		name       string
		deals      []*DKGDeal
		complaints []*DKGComplaint
		responses  []*DKGResponse
		want       error
	}{
		{"duplicate deal", append(slices.Clone(c.deals), c.deals[1]), nil, nil, ErrDKGDuplicate},
		{"deal from a non-trustee", append(slices.Clone(c.deals), &stranger), nil, nil, ErrDKGUnknownTrustee},
		{"nil deal", append(slices.Clone(c.deals), nil), nil, nil, ErrMalformed},
		{"duplicate complaint", c.deals, []*DKGComplaint{cp, {Complainer: 2, Dealer: 1}}, nil, ErrDKGDuplicate},
		{"complaint by a non-trustee", c.deals, []*DKGComplaint{{Complainer: 4, Dealer: 1}}, nil, ErrDKGUnknownTrustee},
		{"complaint against a non-trustee", c.deals, []*DKGComplaint{{Complainer: 1, Dealer: 0}}, nil, ErrDKGUnknownTrustee},
		{"complaint about oneself", c.deals, []*DKGComplaint{{Complainer: 1, Dealer: 1}}, nil, ErrMalformed},
		{"response to no complaint", c.deals, nil, rs, ErrDKGUnsolicited},
		{"duplicate response", c.deals, []*DKGComplaint{cp}, append(slices.Clone(rs), rs[0]), ErrDKGDuplicate},
		{"response without a share", c.deals, []*DKGComplaint{cp}, []*DKGResponse{{Dealer: 1, Complainer: 2}}, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Finalize(c.params, tc.deals, tc.complaints, tc.responses); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := CheckDeals(c.params, 1, c.keys[0], append(slices.Clone(c.deals), c.deals[1])); !errors.Is(err, ErrDKGDuplicate) {
		t.Fatalf("CheckDeals with a duplicate deal: got %v", err)
	}
	if err := stranger.Verify(c.params); !errors.Is(err, ErrDKGUnknownTrustee) {
		t.Fatalf("Verify of a non-trustee's deal: got %v", err)
	}
	if _, _, err := NewDKGDeal(c.params, 4, c.rnd); !errors.Is(err, ErrDKGUnknownTrustee) {
		t.Fatalf("NewDKGDeal for a non-trustee: got %v", err)
	}
}

func TestDkgFinalizeIgnoresMessageOrder(t *testing.T) {
	c := dkgNewCeremony(t, "order", 5, 3)
	c.tamper(t, 1, 3)
	c.tamper(t, 4, 2)
	c.deals[4].Proof.Z.Add(c.deals[4].Proof.Z, scalarFromUint64(1))
	cs := append(c.check(t), &DKGComplaint{Complainer: 5, Dealer: 4}, &DKGComplaint{Complainer: 1, Dealer: 5})
	// Dealer 1 answers trustee 3; dealer 4 answers neither trustee 2 nor 5.
	var rs []*DKGResponse
	for _, cp := range cs {
		if cp.Dealer == 1 {
			rs = append(rs, c.respond(t, []*DKGComplaint{cp})...)
		}
	}
	if len(rs) != 1 {
		t.Fatalf("complaints %v", cs)
	}
	want, err := Finalize(c.params, c.deals, cs, rs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want.Qualified, []uint32{1, 2, 3}) {
		t.Fatalf("qualified %v", want.Qualified)
	}
	shuffle := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		deals, cs2, rs2 := slices.Clone(c.deals), slices.Clone(cs), slices.Clone(rs)
		shuffle.Shuffle(len(deals), func(a, b int) { deals[a], deals[b] = deals[b], deals[a] })
		shuffle.Shuffle(len(cs2), func(a, b int) { cs2[a], cs2[b] = cs2[b], cs2[a] })
		got, err := Finalize(c.params, deals, cs2, rs2)
		if err != nil {
			t.Fatal(err)
		}
		if !dkgResultsEqual(got, want) {
			t.Fatal("Finalize depends on the order of its inputs")
		}
	}
}

func dkgResultsEqual(a, b *DKGResult) bool {
	if !slices.Equal(a.Qualified, b.Qualified) || !a.PublicKey.Equal(b.PublicKey) ||
		len(a.Excluded) != len(b.Excluded) || len(a.Revealed) != len(b.Revealed) {
		return false
	}
	for k := range a.Excluded {
		if a.Excluded[k].Dealer != b.Excluded[k].Dealer || a.Excluded[k].Complainer != b.Excluded[k].Complainer {
			return false
		}
	}
	for k := range a.Revealed {
		ra, _ := a.Revealed[k].MarshalBinary()
		rb, _ := b.Revealed[k].MarshalBinary()
		if !bytes.Equal(ra, rb) {
			return false
		}
	}
	return slices.EqualFunc(a.VerificationKeys, b.VerificationKeys, (*PublicKey).Equal)
}

func TestDkgSecretShareErrors(t *testing.T) {
	c := dkgNewCeremony(t, "secret share", 3, 2)
	res, err := Finalize(c.params, c.deals, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.SecretShare(c.params, 1, c.keys[0], nil, c.deals); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("no own polynomial: got %v", err)
	}
	if _, err := res.SecretShare(c.params, 1, c.keys[0], c.secrets[1], c.deals); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("another dealer's polynomial: got %v", err)
	}
	if _, err := res.SecretShare(c.params, 1, c.keys[1], c.secrets[0], c.deals); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("another trustee's key: got %v", err)
	}
	if _, err := res.SecretShare(c.params, 1, c.keys[0], c.secrets[0], c.deals[:2]); !errors.Is(err, ErrDKGMissingShare) {
		t.Fatalf("a qualified deal missing: got %v", err)
	}
	if _, err := c.secrets[0].Respond(c.params, &DKGComplaint{Complainer: 1, Dealer: 2}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("answering another dealer's complaint: got %v", err)
	}
	if _, err := res.VerificationKey(4); !errors.Is(err, ErrDKGUnknownTrustee) {
		t.Fatalf("VerificationKey(4): got %v", err)
	}
}

func TestDkgParamsValidate(t *testing.T) {
	params, keys := dkgNewParams(t, seeded("params"), "election", 3, 2)
	if err := params.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		break_ func(p *DKGParams)
	}{
		{"T = 0", func(p *DKGParams) { p.T = 0 }},
		{"T > N", func(p *DKGParams) { p.T = 4 }},
		{"N > 255", func(p *DKGParams) { p.N = 256 }},
		{"no context", func(p *DKGParams) { p.Context = nil }},
		{"long context", func(p *DKGParams) { p.Context = make([]byte, maxContext+1) }},
		{"trustee missing", func(p *DKGParams) { p.Trustees = p.Trustees[:2] }},
		{"trustees out of order", func(p *DKGParams) { p.Trustees[0], p.Trustees[1] = p.Trustees[1], p.Trustees[0] }},
		{"no key", func(p *DKGParams) { p.Trustees[2].EncryptionKey = nil }},
		{"shared key", func(p *DKGParams) { p.Trustees[2].EncryptionKey = keys[0].Public() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := *params
			p.Trustees = slices.Clone(params.Trustees)
			tc.break_(&p)
			if err := p.Validate(); !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if err := (*DKGParams)(nil).Validate(); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("nil params: got %v", err)
	}
}

func TestDkgDeterministic(t *testing.T) {
	a := dkgNewCeremony(t, "deterministic", 3, 2)
	b := dkgNewCeremony(t, "deterministic", 3, 2)
	for k := range a.deals {
		da, _ := a.deals[k].MarshalBinary()
		db, _ := b.deals[k].MarshalBinary()
		if !bytes.Equal(da, db) {
			t.Fatalf("deal %d differs between runs on one seed", k+1)
		}
	}
}

func TestDkgLagrangeCoefficient(t *testing.T) {
	// f(x) = 7 + 3x + 5x^2: any three points interpolate f(0) = 7.
	f := []group.Scalar{scalarFromUint64(7), scalarFromUint64(3), scalarFromUint64(5)}
	for _, set := range [][]uint32{{1, 2, 3}, {5, 2, 9}, {255, 1, 128}, {1, 2, 3, 4}} {
		sum, one := newScalar(), newScalar()
		for _, i := range set {
			l, err := LagrangeCoefficient(set, i)
			if err != nil {
				t.Fatal(err)
			}
			sum.Add(sum, newScalar().Mul(l, dkgEvalPoly(f, i)))
			one.Add(one, l)
		}
		if !sum.IsEqual(scalarFromUint64(7)) || !one.IsEqual(scalarFromUint64(1)) {
			t.Fatalf("set %v does not interpolate", set)
		}
	}
	// λ_1 for {1, 2} is 2/(2-1) = 2; λ_2 is 1/(1-2) = -1.
	if l, _ := LagrangeCoefficient([]uint32{1, 2}, 1); !l.IsEqual(scalarFromUint64(2)) {
		t.Fatal("λ_1 of {1, 2} is not 2")
	}
	if l, _ := LagrangeCoefficient([]uint32{1, 2}, 2); !l.IsEqual(newScalar().Neg(scalarFromUint64(1))) {
		t.Fatal("λ_2 of {1, 2} is not -1")
	}
	if l, _ := LagrangeCoefficient([]uint32{3}, 3); !l.IsEqual(scalarFromUint64(1)) {
		t.Fatal("λ of a single index is not 1")
	}
	for _, tc := range []struct {
		set  []uint32
		i    uint32
		want error
	}{
		{[]uint32{1, 2}, 3, ErrInvalidInput},
		{[]uint32{0, 2}, 2, ErrInvalidInput},
		{[]uint32{1, 2, 1}, 2, ErrInvalidInput},
		{nil, 1, ErrInvalidInput},
		{make([]uint32, 256), 1, ErrLimit},
	} {
		if _, err := LagrangeCoefficient(tc.set, tc.i); !errors.Is(err, tc.want) {
			t.Errorf("LagrangeCoefficient(%v, %d): got %v, want %v", tc.set, tc.i, err, tc.want)
		}
	}
}

func TestDkgMulSmall(t *testing.T) {
	p := newElement().MulGen(scalarFromUint64(12345))
	for _, k := range []uint32{0, 1, 2, 3, 7, 8, 255, 1 << 20, 1<<32 - 1} {
		if !dkgMulSmall(p, k).IsEqual(newElement().Mul(p, scalarFromUint64(uint64(k)))) {
			t.Errorf("dkgMulSmall(p, %d) is wrong", k)
		}
	}
}
