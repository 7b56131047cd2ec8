package tally

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"slices"
	"testing"
)

var updateDkgVectors = flag.Bool("update-dkg", false, "rewrite testdata/vectors/dkg.json and the DKG fuzz seed corpora")

// The key generation test vectors (testdata/vectors/dkg.json): whole
// ceremonies with the messages a chain would carry and what Finalize and
// each trustee must derive from them, including the failures; decoding
// cases; Lagrange coefficients. Everything is drawn from seeded(seed + "/" +
// case name). Errors are named by their codes (DKGErrorCode).

const dkgVectorSeed = "evote/v1/dkg/vectors"

type dkgVectorFile struct {
	Comment  string              `json:"comment"`
	Seed     string              `json:"seed"`
	Cases    []dkgVectorCase     `json:"cases"`
	Decoding []dkgDecodingVector `json:"decoding"`
	Lagrange []dkgLagrangeVector `json:"lagrange"`
}

type dkgVectorCase struct {
	Name    string `json:"name"`
	Comment string `json:"comment"`
	Context string `json:"context"`
	N       uint32 `json:"n"`
	T       uint32 `json:"t"`
	// Tagged encodings, hex, of each trustee's encryption keys and
	// polynomial (index j-1 for trustee j).
	EncryptionKeys        []string `json:"encryption_keys"`
	EncryptionPrivateKeys []string `json:"encryption_private_keys"`
	DealerSecrets         []string `json:"dealer_secrets"`
	// The messages admitted by the chain, hex.
	Deals      []string `json:"deals"`
	Complaints []string `json:"complaints"`
	Responses  []string `json:"responses"`
	// Checks: the dealers each trustee complains about after CheckDeals.
	Checks []dkgVectorCheck `json:"checks,omitempty"`
	Expect dkgVectorResult  `json:"expect"`
}

type dkgVectorCheck struct {
	Trustee    uint32   `json:"trustee"`
	Complaints []uint32 `json:"complaints_against"`
}

type dkgVectorResult struct {
	Error            string              `json:"error,omitempty"`
	Qualified        []uint32            `json:"qualified"`
	Excluded         []dkgVectorExcluded `json:"excluded"`
	PublicKey        string              `json:"public_key,omitempty"`
	VerificationKeys []string            `json:"verification_keys,omitempty"`
	SecretShares     []string            `json:"secret_shares,omitempty"`
}

type dkgVectorExcluded struct {
	Dealer     uint32 `json:"dealer"`
	Complainer uint32 `json:"complainer,omitempty"`
	Error      string `json:"error"`
}

type dkgDecodingVector struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Hex   string `json:"hex"`
	Error string `json:"error,omitempty"`
}

type dkgLagrangeVector struct {
	Indices     []uint32 `json:"indices"`
	I           uint32   `json:"i"`
	Coefficient string   `json:"coefficient,omitempty"`
	Error       string   `json:"error,omitempty"`
}

func dkgCodeOf(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	if code := DKGErrorCode(err); code != "error" {
		return code
	}
	t.Fatalf("error without a code: %v", err)
	return ""
}

func dkgWantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	for _, c := range dkgErrorCodes {
		if c.name == code {
			if !errors.Is(err, c.err) {
				t.Fatalf("%s: got %v, want %s", what, err, code)
			}
			return
		}
	}
	t.Fatalf("%s: unknown error code %q", what, code)
}

func dkgEncHex(t testing.TB, m interface{ MarshalBinary() ([]byte, error) }) string {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// dkgVectorScenario builds one case: a ceremony, what to do to it, and the
// messages admitted.
type dkgVectorScenario struct {
	name, comment string
	n, t          uint32
	// run corrupts the ceremony and returns the admitted messages.
	run func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse)
	// noChecks: the deals make CheckDeals fail (duplicates, strangers).
	noChecks bool
}

func dkgScenarios() []dkgVectorScenario {
	honest := func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
		cs := c.check(t)
		return c.deals, cs, c.respond(t, cs)
	}
	badZ := func(d *DKGDeal) {
		d.Proof = &SchnorrProof{R: d.Proof.R, Z: newScalar().Add(d.Proof.Z, scalarFromUint64(1))}
	}
	return []dkgVectorScenario{
		{name: "1-of-1", comment: "a single trustee", n: 1, t: 1, run: honest},
		{name: "2-of-3", comment: "honest trustees", n: 3, t: 2, run: honest},
		{name: "3-of-5", comment: "honest trustees", n: 5, t: 3, run: honest},
		{name: "3-of-5 tampered share answered", comment: "dealer 2 seals a wrong share to trustee 4, which complains; dealer 2 reveals the right share and stays", n: 5, t: 3,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				c.tamper(t, 2, 4)
				return honest(t, c)
			}},
		{name: "3-of-5 tampered share unanswered", comment: "dealer 2 seals a wrong share to trustee 4 and does not answer the complaint", n: 5, t: 3,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				c.tamper(t, 2, 4)
				return c.deals, c.check(t), nil
			}},
		{name: "3-of-5 tampered share, invalid reveal", comment: "dealer 2 answers trustee 4's complaint with the same wrong share", n: 5, t: 3,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				c.tamper(t, 2, 4)
				wrong := c.secrets[1].Share(4)
				wrong.Add(wrong, scalarFromUint64(1))
				return c.deals, c.check(t), []*DKGResponse{{Dealer: 2, Complainer: 4, Share: wrong}}
			}},
		{name: "2-of-3 undecryptable share", comment: "a bit of dealer 1's sealed share for trustee 3 is flipped; trustee 3 complains and dealer 1 reveals", n: 3, t: 2,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				c.deals[0].Shares[1].Ciphertext[5] ^= 0x40
				return honest(t, c)
			}},
		{name: "3-of-5 bad proof of knowledge", comment: "dealer 3's proof does not verify: excluded without complaints", n: 5, t: 3,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				badZ(c.deals[2])
				return honest(t, c)
			}},
		{name: "3-of-5 wrong number of commitments", comment: "dealer 1 commits to a polynomial of degree 1, not 2", n: 5, t: 3,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				c.deals[0].Commitments = c.deals[0].Commitments[:2]
				return honest(t, c)
			}},
		{name: "2-of-3 missing deal", comment: "dealer 2 publishes no deal; trustee 2 still gets a share", n: 3, t: 2,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				c.deals = []*DKGDeal{c.deals[0], c.deals[2]}
				return honest(t, c)
			}},
		{name: "2-of-3 too many complaints", comment: "trustees 2 and 3 (T of them) complain about dealer 1, which answers both and is still excluded", n: 3, t: 2,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				cs := []*DKGComplaint{{Complainer: 2, Dealer: 1}, {Complainer: 3, Dealer: 1}}
				return c.deals, cs, c.respond(t, cs)
			}},
		{name: "3-of-3 not enough qualified", comment: "dealer 1's proof does not verify, leaving 2 qualified dealers for T = 3", n: 3, t: 3,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				badZ(c.deals[0])
				return c.deals, nil, nil
			}},
		{name: "2-of-3 duplicate deal", comment: "dealer 2's deal appears twice", n: 3, t: 2, noChecks: true,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				return append(c.deals, c.deals[1]), nil, nil
			}},
		{name: "2-of-3 deal from a non-trustee", comment: "a deal from index 4", n: 3, t: 2, noChecks: true,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				stranger := *c.deals[2]
				stranger.Dealer = 4
				return append(c.deals, &stranger), nil, nil
			}},
		{name: "2-of-3 unsolicited response", comment: "dealer 1 reveals trustee 2's share with no complaint", n: 3, t: 2,
			run: func(t *testing.T, c *dkgCeremony) ([]*DKGDeal, []*DKGComplaint, []*DKGResponse) {
				return c.deals, nil, c.respond(t, []*DKGComplaint{{Complainer: 2, Dealer: 1}})
			}},
	}
}

func dkgBuildCase(t *testing.T, sc dkgVectorScenario) dkgVectorCase {
	c := dkgNewCeremony(t, dkgVectorSeed+"/"+sc.name, sc.n, sc.t)
	vc := dkgVectorCase{Name: sc.name, Comment: sc.comment, Context: hex.EncodeToString(c.params.Context), N: sc.n, T: sc.t}
	for j := range sc.n {
		vc.EncryptionKeys = append(vc.EncryptionKeys, dkgEncHex(t, c.keys[j].Public()))
		vc.EncryptionPrivateKeys = append(vc.EncryptionPrivateKeys, dkgEncHex(t, c.keys[j]))
		vc.DealerSecrets = append(vc.DealerSecrets, dkgEncHex(t, c.secrets[j]))
	}
	deals, complaints, responses := sc.run(t, c)
	vc.Deals, vc.Complaints, vc.Responses = []string{}, []string{}, []string{}
	for _, d := range deals {
		vc.Deals = append(vc.Deals, dkgEncHex(t, d))
	}
	for _, cp := range complaints {
		vc.Complaints = append(vc.Complaints, dkgEncHex(t, cp))
	}
	for _, r := range responses {
		vc.Responses = append(vc.Responses, dkgEncHex(t, r))
	}
	if !sc.noChecks {
		for j := uint32(1); j <= sc.n; j++ {
			cs, err := CheckDeals(c.params, j, c.keys[j-1], deals)
			if err != nil {
				t.Fatal(err)
			}
			check := dkgVectorCheck{Trustee: j, Complaints: []uint32{}}
			for _, cp := range cs {
				check.Complaints = append(check.Complaints, cp.Dealer)
			}
			vc.Checks = append(vc.Checks, check)
		}
	}
	vc.Expect = dkgVectorResult{Qualified: []uint32{}, Excluded: []dkgVectorExcluded{}}
	res, err := Finalize(c.params, deals, complaints, responses)
	if err != nil {
		vc.Expect.Error = dkgCodeOf(t, err)
		var qe *QualificationError
		if errors.As(err, &qe) {
			vc.Expect.Qualified = qe.Qualified
			vc.Expect.Excluded = dkgExcludedVectors(t, qe.Excluded)
		}
		return vc
	}
	vc.Expect.Qualified = res.Qualified
	vc.Expect.Excluded = dkgExcludedVectors(t, res.Excluded)
	vc.Expect.PublicKey = dkgEncHex(t, res.PublicKey)
	for j := uint32(1); j <= sc.n; j++ {
		vc.Expect.VerificationKeys = append(vc.Expect.VerificationKeys, dkgEncHex(t, res.VerificationKeys[j-1]))
		x, err := res.SecretShare(c.params, j, c.keys[j-1], c.secrets[j-1], deals)
		if err != nil {
			t.Fatalf("%s: trustee %d: %v", sc.name, j, err)
		}
		vc.Expect.SecretShares = append(vc.Expect.SecretShares, dkgEncHex(t, x))
	}
	return vc
}

func dkgExcludedVectors(t *testing.T, ex []*DealerExcludedError) []dkgVectorExcluded {
	out := []dkgVectorExcluded{}
	for _, e := range ex {
		out = append(out, dkgVectorExcluded{Dealer: e.Dealer, Complainer: e.Complainer, Error: dkgCodeOf(t, e.Err)})
	}
	return out
}

func dkgBuildDecodingVectors(t *testing.T) []dkgDecodingVector {
	c := dkgNewCeremony(t, dkgVectorSeed+"/decoding", 3, 2)
	deal, _ := c.deals[1].MarshalBinary() // dealer 2: shares for 1 and 3
	l := dkgLayout(2)
	identityC0 := *c.deals[1]
	identityC0.Commitments = slices.Clone(identityC0.Commitments)
	identityC0.Commitments[0] = grp().Identity()
	idC0, _ := identityC0.MarshalBinary()
	complaint, _ := (&DKGComplaint{Complainer: 3, Dealer: 1}).MarshalBinary()
	response, err := c.secrets[0].Respond(c.params, &DKGComplaint{Complainer: 3, Dealer: 1})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := response.MarshalBinary()
	pub, _ := c.keys[0].Public().MarshalBinary()
	priv, _ := c.keys[0].MarshalBinary()
	secret, _ := c.secrets[0].MarshalBinary()
	set := func(off int, v ...byte) func([]byte) []byte {
		return func(b []byte) []byte { copy(b[off:], v); return b }
	}
	ff := bytes.Repeat([]byte{0xff}, ScalarSize)
	v := func(name, typ string, b []byte, code string) dkgDecodingVector {
		return dkgDecodingVector{Name: name, Type: typ, Hex: hex.EncodeToString(b), Error: code}
	}
	sh1 := l.shares
	sh2 := l.shares + dkgSealedShareEncSize
	return []dkgDecodingVector{
		v("valid deal", "deal", deal, ""),
		v("deal with another tag", "deal", complaint, "wrong-tag"),
		v("deal with a trailing byte", "deal", append(bytes.Clone(deal), 0), "trailing-bytes"),
		v("truncated deal", "deal", deal[:len(deal)-1], "malformed"),
		v("deal with C_0 the identity", "deal", idC0, "identity"),
		v("deal with a non-canonical commitment", "deal", dkgMutate(deal, set(l.commitments+PointSize, dkgHex(t, dkgNonCanonicalPoint)...)), "non-canonical"),
		v("deal with a non-canonical proof scalar", "deal", dkgMutate(deal, set(l.proofZ, ff...)), "non-canonical"),
		v("deal from dealer 0", "deal", dkgMutate(deal, set(l.dealer, 0, 0, 0, 0)), "malformed"),
		v("deal from dealer 256", "deal", dkgMutate(deal, set(l.dealer, 0, 0, 1, 0)), "limit"),
		v("deal with no commitments", "deal", dkgMutate(deal, set(l.count, 0, 0, 0, 0)), "malformed"),
		v("deal with 256 commitments", "deal", dkgMutate(deal, set(l.count, 0, 0, 1, 0)), "limit"),
		v("deal with 255 shares", "deal", dkgMutate(deal, set(l.shareCount, 0, 0, 0, 255)), "limit"),
		v("deal with shares in descending order", "deal", dkgMutate(deal, func(b []byte) []byte {
			b[sh1+3], b[sh2+3] = 3, 1
			return b
		}), "malformed"),
		v("deal with a share to its dealer", "deal", dkgMutate(deal, set(sh2+3, 2)), "malformed"),
		v("deal with a low-order encapsulated key", "deal", dkgMutate(deal, set(sh1+4, make([]byte, dkgEncSize)...)), "identity"),
		v("deal with a non-canonical encapsulated key", "deal", dkgMutate(deal, func(b []byte) []byte {
			b[sh1+4+dkgEncSize-1] |= 0x80
			return b
		}), "non-canonical"),
		v("valid complaint", "complaint", complaint, ""),
		v("complaint about oneself", "complaint", dkgMutate(complaint, set(len(complaint)-1, 3)), "malformed"),
		v("complaint against trustee 256", "complaint", dkgMutate(complaint, set(len(complaint)-4, 0, 0, 1, 0)), "limit"),
		v("complaint with a trailing byte", "complaint", append(bytes.Clone(complaint), 0), "trailing-bytes"),
		v("valid response", "response", resp, ""),
		v("response with a non-canonical share", "response", dkgMutate(resp, set(len(resp)-ScalarSize, ff...)), "non-canonical"),
		v("response to oneself", "response", dkgMutate(resp, set(len(resp)-ScalarSize-1, 1)), "malformed"),
		v("response with another tag", "response", complaint, "wrong-tag"),
		v("valid encryption key", "encryption-key", pub, ""),
		v("encryption key of low order", "encryption-key", dkgMutate(pub, set(len(pub)-32, make([]byte, 32)...)), "identity"),
		v("encryption key u = p - 1 (low order)", "encryption-key", dkgMutate(pub, set(len(pub)-32, dkgHex(t, dkgX25519PMinus1)...)), "identity"),
		v("encryption key u = p", "encryption-key", dkgMutate(pub, set(len(pub)-32, dkgHex(t, dkgX25519P)...)), "non-canonical"),
		v("encryption key with the top bit set", "encryption-key", dkgMutate(pub, func(b []byte) []byte { b[len(b)-1] |= 0x80; return b }), "non-canonical"),
		v("valid encryption private key", "encryption-private-key", priv, ""),
		v("encryption private key with another tag", "encryption-private-key", pub, "wrong-tag"),
		v("valid dealer secret", "dealer-secret", secret, ""),
		v("dealer secret with a_0 = 0", "dealer-secret", dkgMutate(secret, set(1+len(TagDKGDealerSecret)+8, make([]byte, ScalarSize)...)), "invalid-input"),
	}
}

func dkgBuildLagrangeVectors(t *testing.T) []dkgLagrangeVector {
	var out []dkgLagrangeVector
	for _, tc := range []struct {
		set []uint32
		i   uint32
	}{
		{[]uint32{1, 2}, 1}, {[]uint32{1, 2}, 2}, {[]uint32{1, 3, 5}, 3}, {[]uint32{9, 4, 2, 255, 7}, 7},
		{[]uint32{4}, 4}, {[]uint32{1, 2}, 3}, {[]uint32{0, 1}, 1}, {[]uint32{1, 2, 1}, 2},
	} {
		l, err := LagrangeCoefficient(tc.set, tc.i)
		v := dkgLagrangeVector{Indices: tc.set, I: tc.i, Error: dkgCodeOf(t, err)}
		if err == nil {
			v.Coefficient = hex.EncodeToString(scalarBytes(l))
		}
		out = append(out, v)
	}
	return out
}

func dkgBuildVectors(t *testing.T) []byte {
	f := dkgVectorFile{
		Comment: "evote/v1 distributed key generation test vectors (docs/spec/dkg.md). Byte strings are hex. " +
			"Each case's randomness is SHAKE256(seed + \"/\" + name); errors are named by code. " +
			"Regenerate with: go test ./tally -run TestDkgVectors -update-dkg",
		Seed: dkgVectorSeed,
	}
	for _, sc := range dkgScenarios() {
		f.Cases = append(f.Cases, dkgBuildCase(t, sc))
	}
	f.Decoding = dkgBuildDecodingVectors(t)
	f.Lagrange = dkgBuildLagrangeVectors(t)
	b, err := json.MarshalIndent(&f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

const dkgVectorPath = "testdata/vectors/dkg.json"

// TestDkgVectors checks that the vector file is what the seed gives (or
// rewrites it with -update-dkg), then replays every case from the file.
func TestDkgVectors(t *testing.T) {
	want := dkgBuildVectors(t)
	got := vectorFile(t, dkgVectorPath, want, *updateDkgVectors, "update-dkg")
	var f dkgVectorFile
	if err := json.Unmarshal(got, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 || len(f.Decoding) == 0 || len(f.Lagrange) == 0 {
		t.Fatal("empty vector file")
	}
	for _, vc := range f.Cases {
		t.Run(vc.Name, func(t *testing.T) { dkgReplayCase(t, vc) })
	}
	for _, dv := range f.Decoding {
		t.Run("decoding/"+dv.Name, func(t *testing.T) { dkgReplayDecoding(t, dv) })
	}
	for _, lv := range f.Lagrange {
		l, err := LagrangeCoefficient(lv.Indices, lv.I)
		dkgWantCode(t, "lagrange", err, lv.Error)
		if err == nil && hex.EncodeToString(scalarBytes(l)) != lv.Coefficient {
			t.Errorf("λ_%d of %v differs", lv.I, lv.Indices)
		}
	}
}

// dkgDecode decodes hex into m.
func dkgDecode[M interface{ UnmarshalBinary([]byte) error }](t *testing.T, s string, m M) M {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.UnmarshalBinary(b); err != nil {
		t.Fatalf("decoding %.32s...: %v", s, err)
	}
	return m
}

func dkgReplayCase(t *testing.T, vc dkgVectorCase) {
	ctx, err := hex.DecodeString(vc.Context)
	if err != nil {
		t.Fatal(err)
	}
	params := &DKGParams{Context: ctx, N: vc.N, T: vc.T}
	var keys []*TrusteeEncryptionKey
	var secrets []*DealerSecret
	for j := range vc.N {
		pk := dkgDecode(t, vc.EncryptionKeys[j], new(TrusteeEncryptionPublicKey))
		sk := dkgDecode(t, vc.EncryptionPrivateKeys[j], new(TrusteeEncryptionKey))
		if !sk.Public().Equal(pk) {
			t.Fatalf("trustee %d: private key does not match", j+1)
		}
		params.Trustees = append(params.Trustees, TrusteeInfo{Index: j + 1, EncryptionKey: pk})
		keys = append(keys, sk)
		secrets = append(secrets, dkgDecode(t, vc.DealerSecrets[j], new(DealerSecret)))
	}
	var deals []*DKGDeal
	var complaints []*DKGComplaint
	var responses []*DKGResponse
	for _, s := range vc.Deals {
		deals = append(deals, dkgDecode(t, s, new(DKGDeal)))
	}
	for _, s := range vc.Complaints {
		complaints = append(complaints, dkgDecode(t, s, new(DKGComplaint)))
	}
	for _, s := range vc.Responses {
		responses = append(responses, dkgDecode(t, s, new(DKGResponse)))
	}
	for _, ch := range vc.Checks {
		cs, err := CheckDeals(params, ch.Trustee, keys[ch.Trustee-1], deals)
		if err != nil {
			t.Fatal(err)
		}
		got := []uint32{}
		for _, cp := range cs {
			got = append(got, cp.Dealer)
		}
		if !slices.Equal(got, ch.Complaints) {
			t.Fatalf("trustee %d complains about %v, want %v", ch.Trustee, got, ch.Complaints)
		}
	}
	res, err := Finalize(params, deals, complaints, responses)
	dkgWantCode(t, "Finalize", err, vc.Expect.Error)
	var qualified []uint32
	var excluded []*DealerExcludedError
	if err != nil {
		var qe *QualificationError
		if !errors.As(err, &qe) {
			return
		}
		qualified, excluded = qe.Qualified, qe.Excluded
	} else {
		qualified, excluded = res.Qualified, res.Excluded
	}
	if !slices.Equal(qualified, vc.Expect.Qualified) {
		t.Fatalf("qualified %v, want %v", qualified, vc.Expect.Qualified)
	}
	if len(excluded) != len(vc.Expect.Excluded) {
		t.Fatalf("excluded %v, want %v", excluded, vc.Expect.Excluded)
	}
	for k, ex := range excluded {
		want := vc.Expect.Excluded[k]
		if ex.Dealer != want.Dealer || ex.Complainer != want.Complainer {
			t.Fatalf("excluded %v, want %+v", ex, want)
		}
		dkgWantCode(t, "exclusion", ex, want.Error)
	}
	if err != nil {
		return
	}
	if dkgEncHex(t, res.PublicKey) != vc.Expect.PublicKey {
		t.Fatal("joint public key differs")
	}
	for j := uint32(1); j <= vc.N; j++ {
		if dkgEncHex(t, res.VerificationKeys[j-1]) != vc.Expect.VerificationKeys[j-1] {
			t.Fatalf("verification key %d differs", j)
		}
		x, err := res.SecretShare(params, j, keys[j-1], secrets[j-1], deals)
		if err != nil {
			t.Fatalf("trustee %d: %v", j, err)
		}
		if dkgEncHex(t, x) != vc.Expect.SecretShares[j-1] {
			t.Fatalf("secret share %d differs", j)
		}
	}
}

func dkgReplayDecoding(t *testing.T, dv dkgDecodingVector) {
	b, err := hex.DecodeString(dv.Hex)
	if err != nil {
		t.Fatal(err)
	}
	var m interface {
		UnmarshalBinary([]byte) error
		MarshalBinary() ([]byte, error)
	}
	switch dv.Type {
	case "deal":
		m = new(DKGDeal)
	case "complaint":
		m = new(DKGComplaint)
	case "response":
		m = new(DKGResponse)
	case "encryption-key":
		m = new(TrusteeEncryptionPublicKey)
	case "encryption-private-key":
		m = new(TrusteeEncryptionKey)
	case "dealer-secret":
		m = new(DealerSecret)
	default:
		t.Fatalf("unknown type %q", dv.Type)
	}
	err = m.UnmarshalBinary(b)
	dkgWantCode(t, dv.Type, err, dv.Error)
	if err == nil {
		if b2, _ := m.MarshalBinary(); !bytes.Equal(b, b2) {
			t.Fatal("does not re-encode to its bytes")
		}
	}
}
