package election_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// The election's own test vectors (docs/spec/vectors.md): the manifest id,
// the transaction envelope and the signing message of every kind, valid and
// invalid, as JSON files under testdata/vectors. The test regenerates them
// from fixed keys and seeded randomness, requires the stored files to be
// exactly that (go test ./election -run Vectors -update rewrites them), and
// then checks every case from the stored file alone, as another
// implementation (the wallet compiled to WebAssembly) would.

const (
	manifestVectorsPath = "testdata/vectors/manifest.json"
	txVectorsPath       = "testdata/vectors/tx.json"
	vectorChainID       = "evote-vectors"
)

// vectorSentinels maps the names used in the vector files to the errors.
var vectorSentinels = map[string]error{
	"ErrMalformed":       election.ErrMalformed,
	"ErrTrailingBytes":   election.ErrTrailingBytes,
	"ErrWrongTag":        election.ErrWrongTag,
	"ErrLimit":           election.ErrLimit,
	"ErrNonCanonical":    election.ErrNonCanonical,
	"ErrUnknownKind":     election.ErrUnknownKind,
	"ErrInvalidManifest": election.ErrInvalidManifest,
	"ErrInvalidKey":      election.ErrInvalidKey,
}

type manifestVectorFile struct {
	Description string           `json:"description"`
	Cases       []manifestVector `json:"cases"`
}

type manifestVector struct {
	Name     string `json:"name"`
	Manifest string `json:"manifest"`     // canonical encoding, hex
	ID       string `json:"id,omitempty"` // the election id, hex, for a valid manifest
	Expect   string `json:"expect"`       // "ok" or a sentinel error name
}

type txVectorFile struct {
	Description string     `json:"description"`
	ChainID     string     `json:"chain_id"`
	Cases       []txVector `json:"cases"`
}

// txVector is one transaction. A valid case gives every step: the signer's
// seed and key, the kind, the body, the signing message, the signature, the
// envelope and its hash. An invalid case gives the envelope (and what is
// needed to explain it) and the expected failure: a sentinel error name of
// DecodeTx or DecodeBody, or "bad-signature" for an envelope that decodes
// but whose signature does not verify for the file's chain id.
type txVector struct {
	Name           string `json:"name"`
	Kind           string `json:"kind,omitempty"`
	KindNumber     uint8  `json:"kind_number,omitempty"`
	SignerSeed     string `json:"signer_seed,omitempty"` // Ed25519 seed, hex
	Signer         string `json:"signer,omitempty"`      // public key, hex
	Body           string `json:"body,omitempty"`
	SigningMessage string `json:"signing_message,omitempty"`
	Signature      string `json:"signature,omitempty"`
	Tx             string `json:"tx"`
	Hash           string `json:"hash,omitempty"` // SHA-256 of tx
	Expect         string `json:"expect"`         // "ok", a sentinel error name or "bad-signature"
}

func TestElectionVectors(t *testing.T) {
	mf, txf := makeElectionVectors(t)
	for _, v := range []struct {
		path string
		file any
	}{{manifestVectorsPath, mf}, {txVectorsPath, txf}} {
		b, err := json.MarshalIndent(v.file, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		if *update {
			if err := os.MkdirAll(filepath.Dir(v.path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(v.path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		stored, err := os.ReadFile(v.path)
		if err != nil {
			t.Fatalf("%v (regenerate with go test ./election -run Vectors -update)", err)
		}
		if !bytes.Equal(stored, b) {
			t.Fatalf("%s differs from what the code makes (regenerate with -update only for a new format version)", v.path)
		}
	}
	t.Run("manifest", func(t *testing.T) { checkManifestVectors(t, manifestVectorsPath) })
	t.Run("tx", func(t *testing.T) { checkTxVectors(t, txVectorsPath) })
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func expectErr(t *testing.T, name string, err error, expect string) {
	t.Helper()
	if expect == "ok" {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		return
	}
	want, ok := vectorSentinels[expect]
	if !ok {
		t.Fatalf("%s: unknown expectation %q", name, expect)
	}
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want %s", name, err, expect)
	}
}

// checkManifestVectors checks every case of the stored file: a valid
// manifest decodes, re-encodes to the same bytes and has the id; an invalid
// one fails with the named error.
func checkManifestVectors(t *testing.T, path string) {
	var f manifestVectorFile
	readJSON(t, path, &f)
	for _, c := range f.Cases {
		raw := unhex(t, c.Manifest)
		m, err := election.DecodeManifest(raw)
		expectErr(t, c.Name, err, c.Expect)
		if c.Expect != "ok" || err != nil {
			continue
		}
		again, _ := m.MarshalBinary()
		id, _ := m.ID()
		if !bytes.Equal(again, raw) || hex.EncodeToString(id[:]) != c.ID {
			t.Errorf("%s: re-encoding or id differs", c.Name)
		}
	}
}

// checkTxVectors checks every case of the stored file: a valid one is
// rebuilt from its seed, kind and body, byte for byte; an invalid one fails
// where it says.
func checkTxVectors(t *testing.T, path string) {
	var f txVectorFile
	readJSON(t, path, &f)
	kinds := map[election.Kind]bool{}
	for _, c := range f.Cases {
		raw := unhex(t, c.Tx)
		got := "ok"
		tx, err := election.DecodeTx(raw)
		if err == nil && !tx.Verify(f.ChainID) {
			got = "bad-signature"
		} else if err == nil {
			_, err = election.DecodeBody(tx.Kind, tx.Body)
		}
		if c.Expect == "bad-signature" || got == "bad-signature" {
			if got != c.Expect {
				t.Errorf("%s: got %s (%v), want %s", c.Name, got, err, c.Expect)
			}
			continue
		}
		expectErr(t, c.Name, err, c.Expect)
		if c.Expect != "ok" || err != nil {
			continue
		}
		kinds[tx.Kind] = true
		key, err := election.NewKeyFromSeed(unhex(t, c.SignerSeed))
		if err != nil {
			t.Fatal(err)
		}
		pub := key.Public()
		body := unhex(t, c.Body)
		msg := election.SigningMessage(f.ChainID, tx.Kind, body)
		sig := key.Sign(msg)
		env := &election.Tx{Kind: tx.Kind, Signer: pub, Body: body}
		copy(env.Signature[:], sig)
		built, _ := env.MarshalBinary()
		hash := election.Hash(built)
		switch {
		case tx.Kind.String() != c.Kind || uint8(tx.Kind) != c.KindNumber:
			t.Errorf("%s: kind %s (%d)", c.Name, tx.Kind, uint8(tx.Kind))
		case hex.EncodeToString(pub[:]) != c.Signer:
			t.Errorf("%s: signer differs", c.Name)
		case hex.EncodeToString(msg) != c.SigningMessage:
			t.Errorf("%s: signing message differs", c.Name)
		case hex.EncodeToString(sig) != c.Signature:
			t.Errorf("%s: signature differs", c.Name)
		case !bytes.Equal(built, raw):
			t.Errorf("%s: envelope differs", c.Name)
		case hex.EncodeToString(hash[:]) != c.Hash:
			t.Errorf("%s: hash differs", c.Name)
		}
	}
	for k := election.Kind(1); k.Known(); k++ {
		if !kinds[k] {
			t.Errorf("no valid vector of kind %s", k)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// makeElectionVectors builds both files from the sample manifest
// (testdata/city-referendum.yaml), the test actors' keys and randomness
// drawn from stream("evote/v1 election vectors").
func makeElectionVectors(t *testing.T) (*manifestVectorFile, *txVectorFile) {
	rnd := stream("evote/v1 election vectors")
	man := sampleManifest(t)
	raw, err := man.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := man.ID()
	mf := &manifestVectorFile{
		Description: "Manifests (docs/spec/manifest.md): the canonical encoding and the election id, " +
			"SHA-256(tag(\"evote/v1/election-id\") || manifest); and encodings that must fail to decode, each with the error.",
	}
	addM := func(name string, b []byte, expect string) {
		v := manifestVector{Name: name, Manifest: hex.EncodeToString(b), Expect: expect}
		if expect == "ok" {
			m, err := election.DecodeManifest(b)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			mid, _ := m.ID()
			v.ID = hex.EncodeToString(mid[:])
		}
		mf.Cases = append(mf.Cases, v)
	}
	addM("city referendum (testdata/city-referendum.yaml)", raw, "ok")
	rev := *man
	rev.Revoting, rev.Reference = true, "city-referendum-revoting"
	revRaw, err := rev.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	addM("the same with revoting and another reference", revRaw, "ok")
	addM("a trailing byte", append(bytes.Clone(raw), 0), "ErrTrailingBytes")
	addM("truncated by one byte", raw[:len(raw)-1], "ErrMalformed")
	addM("another tag (evote/v1/manifesT)", setByte(raw, len(raw[:1])+len("evote/v1/manifest")-1, 'T'), "ErrWrongTag")
	addM("empty", nil, "ErrMalformed")
	// The threshold (u32 after the schedule) raised above the number of
	// trustees: decodes, breaks a rule.
	thr := manifestThresholdOffset(t, raw, man)
	addM("threshold above the number of trustees", setByte(raw, thr+3, byte(len(man.Trustees.Members)+1)), "ErrInvalidManifest")

	txf := &txVectorFile{
		Description: "Transactions (docs/spec/transactions.md): per kind the signer's Ed25519 seed and key, the body, " +
			"the signing message tag(\"evote/v1/tx/<kind>\") || bytes(chain id) || bytes(body), the signature, the envelope " +
			"tag(\"evote/v1/tx\") || u8 kind || signer || bytes(body) || signature and its SHA-256; then envelopes that " +
			"must fail, each with the error of DecodeTx or DecodeBody, or bad-signature. Randomness (deals, ballots, " +
			"shares): SHAKE256 over \"evote/v1 election vectors\", consumed in the order the cases appear.",
		ChainID: vectorChainID,
	}
	valid := map[election.Kind][]byte{}
	addTx := func(name string, key *election.PrivateKey, body election.Body) {
		b, err := body.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tx, err := election.NewTx(vectorChainID, body, key)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, _ := election.DecodeTx(tx)
		pub := key.Public()
		h := election.Hash(tx)
		txf.Cases = append(txf.Cases, txVector{
			Name: name, Kind: body.Kind().String(), KindNumber: uint8(body.Kind()),
			SignerSeed: hex.EncodeToString(key.Seed()), Signer: hex.EncodeToString(pub[:]),
			Body:           hex.EncodeToString(b),
			SigningMessage: hex.EncodeToString(election.SigningMessage(vectorChainID, body.Kind(), b)),
			Signature:      hex.EncodeToString(d.Signature[:]), Tx: hex.EncodeToString(tx),
			Hash: hex.EncodeToString(h[:]), Expect: "ok",
		})
		if valid[body.Kind()] == nil {
			valid[body.Kind()] = tx
		}
	}
	bad := func(name string, tx []byte, expect string) {
		txf.Cases = append(txf.Cases, txVector{Name: name, Tx: hex.EncodeToString(tx), Expect: expect})
	}

	official, trusteeA, voter := actorKey("city-clerk"), actorKey("trustee-a"), actorKey("vector-voter")
	params, err := man.DKGParams(id)
	if err != nil {
		t.Fatal(err)
	}
	deal, secret, err := tally.NewDKGDeal(params, 1, rnd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := secret.Respond(params, &tally.DKGComplaint{Complainer: 2, Dealer: 1})
	if err != nil {
		t.Fatal(err)
	}
	v1, v2 := voter.VoterPublic(), actorKey("vector-voter-2").VoterPublic()
	if bytes.Compare(v1[:], v2[:]) > 0 {
		v1, v2 = v2, v1
	}
	// A ballot under a key drawn from the stream (the envelope does not
	// depend on which key), and one trustee's shares of its ciphertexts.
	sk, err := tally.GenerateKey(rnd)
	if err != nil {
		t.Fatal(err)
	}
	var contests [][]byte
	var cts []*tally.Ciphertext
	choices := [][]uint64{{1, 0}, {0, 1, 1, 0, 0}, {5, 0, 2}}
	for i, c := range man.Contests {
		ec, _, err := tally.EncryptContest(sk.Public(), tally.ContestContext{ElectionID: id[:], Voter: voter.Public().Bytes(), Contest: uint32(i)}, c.Rules(), choices[i], rnd)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := ec.MarshalBinary()
		contests = append(contests, b)
		cts = append(cts, ec.Ciphertexts...)
	}
	shares, err := tally.PartialDecryptAll(sk, 1, cts, id[:], rnd)
	if err != nil {
		t.Fatal(err)
	}

	addTx("create-election of the sample manifest", official, &election.CreateElectionBody{Manifest: man})
	addTx("append-voters, two voters of weight 1 and 3", official, &election.AppendVotersBody{Election: id, Voters: []election.RollEntry{{Voter: v1, Weight: 1}, {Voter: v2, Weight: 3}}})
	addTx("dkg-deal of trustee 1", trusteeA, &election.DKGDealBody{Election: id, Deal: deal})
	addTx("dkg-complaints of trustee 1 about dealers 2 and 3", trusteeA, &election.DKGComplaintsBody{Election: id, Complaints: []*tally.DKGComplaint{{Complainer: 1, Dealer: 2}, {Complainer: 1, Dealer: 3}}})
	addTx("dkg-complaints, none", trusteeA, &election.DKGComplaintsBody{Election: id})
	addTx("dkg-responses of dealer 1 to trustee 2", trusteeA, &election.DKGResponsesBody{Election: id, Responses: []*tally.DKGResponse{resp}})
	addTx("open", official, &election.OpenBody{Election: id})
	addTx("close", official, &election.CloseBody{Election: id})
	addTx("ballot, sequence 1", voter, &election.BallotBody{Election: id, Seq: 1, Contests: contests})
	addTx("decryption-shares of trustee 1", trusteeA, &election.DecryptionSharesBody{Election: id, Shares: shares})
	addTx("validator-update, power 10", official, &election.ValidatorUpdateBody{Validator: actorKey("vector-validator").Public(), Power: 10})
	addTx("validator-update, power 0 (retirement)", official, &election.ValidatorUpdateBody{Validator: actorKey("vector-validator").Public()})

	open := valid[election.KindOpen]
	ballot := valid[election.KindBallot]
	bad("empty", nil, "ErrMalformed")
	bad("a trailing byte", append(bytes.Clone(open), 0), "ErrTrailingBytes")
	bad("the signature cut short", open[:len(open)-1], "ErrMalformed")
	bad("another tag (evote/v1/tX)", setByte(open, 11, 'X'), "ErrWrongTag")
	bad("unknown kind 0", setByte(open, 12, 0), "ErrUnknownKind")
	bad("unknown kind 238", setByte(open, 12, 0xee), "ErrUnknownKind")
	bad("an open longer than its kind allows", append(bytes.Clone(open), make([]byte, 600)...), "ErrLimit")
	bad("the body length one too large", setByte(open, 12+1+32+3, 33), "ErrMalformed")
	bad("open signed for another chain", mustTx(t, "evote-other-chain", &election.OpenBody{Election: id}, official), "bad-signature")
	bad("a signature byte changed", setByte(open, len(open)-1, open[len(open)-1]^1), "bad-signature")
	bad("open relabelled close (the signature names the kind)", setByte(open, 12, byte(election.KindClose)), "bad-signature")
	bad("ballot signed by another key than its signer", setByte(ballot, 13, ballot[13]^1), "bad-signature")
	forged := bytes.Clone(open) // the identity point as signer, R = identity, S = 0: RFC 8032's equation holds for any message
	copy(forged[13:13+election.PublicKeySize], append([]byte{1}, make([]byte, election.PublicKeySize-1)...))
	copy(forged[len(forged)-election.SignatureSize:], append(append([]byte{1}, make([]byte, 31)...), make([]byte, 32)...))
	bad("the identity key signing with R = identity and S = 0", forged, "bad-signature")
	bad("close with a body one byte short", mustTxRaw(t, vectorChainID, election.KindClose, id[:31], official), "ErrMalformed")
	bad("append-voters out of order", mustTxRaw(t, vectorChainID, election.KindAppendVoters,
		append(append(append(bytes.Clone(id[:]), 0, 0, 0, 2), append(v2[:], 0, 0, 0, 1)...), append(v1[:], 0, 0, 0, 1)...), official), "ErrMalformed")
	vk := actorKey("vector-validator").Public()
	bad("validator-update with a power one byte short", mustTxRaw(t, vectorChainID, election.KindValidatorUpdate, append(bytes.Clone(vk[:]), 0, 0, 0, 0, 0, 0, 10), official), "ErrMalformed")
	return mf, txf
}

// manifestThresholdOffset finds the threshold's offset in raw: the bytes of
// the manifest with threshold 2 and 3 differ only there.
func manifestThresholdOffset(t *testing.T, raw []byte, man *election.Manifest) int {
	other := *man
	other.Trustees.Threshold = man.Trustees.Threshold%uint32(len(man.Trustees.Members)) + 1
	b, err := other.MarshalBinary()
	if err != nil || len(b) != len(raw) {
		t.Fatalf("threshold offset: %v", err)
	}
	for i := range raw {
		if raw[i] != b[i] {
			return i - 3 // the u32's last byte differs
		}
	}
	t.Fatal("threshold offset: no difference")
	return 0
}

func mustTx(t *testing.T, chainID string, body election.Body, key *election.PrivateKey) []byte {
	t.Helper()
	tx, err := election.NewTx(chainID, body, key)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// mustTxRaw signs an envelope of kind around body bytes that need not
// decode.
func mustTxRaw(t *testing.T, chainID string, kind election.Kind, body []byte, key *election.PrivateKey) []byte {
	t.Helper()
	tx := &election.Tx{Kind: kind, Signer: key.Public(), Body: body}
	copy(tx.Signature[:], key.Sign(election.SigningMessage(chainID, kind, body)))
	b, _ := tx.MarshalBinary()
	return b
}
