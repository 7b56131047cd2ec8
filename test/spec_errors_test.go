package test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// These tests hold the error codes docs/spec/dkg.md, transactions.md and
// encoding.md name where several could apply to what the code returns.

// x25519P1 is p + 1 = 2^255 - 18, little-endian: not canonical (and 1, of
// low order, once reduced).
var x25519P1 = func() [32]byte {
	var b [32]byte
	for i := range b {
		b[i] = 0xff
	}
	b[0], b[31] = 0xee, 0x7f
	return b
}()

// x25519Zero is u = 0, canonical and of low order.
var x25519Zero [32]byte

func readVectorHex(t *testing.T, path string, pick func(map[string]any) string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), path))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return unhex(t, pick(v))
}

// TestSpecX25519KeyCodes: a trustee's encryption key of low order (or not
// canonical) in a manifest is invalid-manifest, not malformed; in a deal's
// encapsulated key it is a decoding failure (malformed on the chain), with
// the non-canonical check before the low-order one.
func TestSpecX25519KeyCodes(t *testing.T) {
	enc := readVectorHex(t, "election/testdata/vectors/manifest.json", func(v map[string]any) string {
		return v["cases"].([]any)[0].(map[string]any)["manifest"].(string)
	})
	m, err := election.DecodeManifest(enc)
	if err != nil {
		t.Fatal(err)
	}
	key := m.Trustees.Members[0].EncryptionKey
	for _, bad := range [][32]byte{x25519Zero, x25519P1} {
		if bytes.Count(enc, key[:]) != 1 {
			t.Fatal("the trustee's key is not once in the encoding")
		}
		_, err := election.DecodeBody(election.KindCreateElection, bytes.Replace(enc, key[:], bad[:], 1))
		if !errors.Is(err, election.ErrInvalidManifest) {
			t.Errorf("manifest with encryption key %x: %v, want ErrInvalidManifest (invalid-manifest)", bad, err)
		}
	}

	raw := readVectorHex(t, "tally/testdata/vectors/dkg.json", func(v map[string]any) string {
		for _, c := range v["cases"].([]any) {
			if c := c.(map[string]any); fmt.Sprint(c["n"]) == "3" {
				return c["deals"].([]any)[0].(string)
			}
		}
		return ""
	})
	for _, tc := range []struct {
		key  [32]byte
		want error
		code string
	}{
		{x25519Zero, tally.ErrIdentity, "identity"},
		{x25519P1, tally.ErrNonCanonical, "non-canonical"},
	} {
		var deal tally.DKGDeal
		if err := deal.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		deal.Shares[0].Enc = tc.key
		b, err := deal.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		err = new(tally.DKGDeal).UnmarshalBinary(b)
		if !errors.Is(err, tc.want) || tally.DKGErrorCode(err) != tc.code {
			t.Errorf("deal with encapsulated key %x: %v (%s), want %s", tc.key, err, tally.DKGErrorCode(err), tc.code)
		}
		body, err := (&election.DKGDealBody{Deal: &deal}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		_, err = election.DecodeBody(election.KindDKGDeal, body)
		if !errors.Is(err, election.ErrMalformed) || errors.Is(err, election.ErrInvalidManifest) {
			t.Errorf("dkg-deal body with encapsulated key %x: %v, want malformed", tc.key, err)
		}
	}
}

func specResponse(dealer, complainer uint32, share []byte) []byte {
	b := append([]byte{byte(len(tally.TagDKGResponse))}, tally.TagDKGResponse...)
	b = binary.BigEndian.AppendUint32(b, dealer)
	b = binary.BigEndian.AppendUint32(b, complainer)
	return append(b, share...)
}

// TestSpecRevealedShareCodes: a revealed share that is not a canonical
// scalar is non-canonical (the response does not decode; malformed on the
// chain); an opened share that is not is bad-share, first in the table.
func TestSpecRevealedShareCodes(t *testing.T) {
	big := bytes.Repeat([]byte{0xff}, 32)
	err := new(tally.DKGResponse).UnmarshalBinary(specResponse(1, 2, big))
	if !errors.Is(err, tally.ErrNonCanonical) || errors.Is(err, tally.ErrDKGBadShare) || tally.DKGErrorCode(err) != "non-canonical" {
		t.Fatalf("response with share ff..ff: %v (%s), want non-canonical", err, tally.DKGErrorCode(err))
	}
	var body []byte
	body = append(body, make([]byte, 32)...) // election id
	body = binary.BigEndian.AppendUint32(body, 1)
	r := specResponse(1, 2, big)
	body = binary.BigEndian.AppendUint32(body, uint32(len(r)))
	body = append(body, r...)
	if _, err := election.DecodeBody(election.KindDKGResponses, body); !errors.Is(err, election.ErrMalformed) {
		t.Fatalf("dkg-responses body: %v, want malformed", err)
	}
	// What dkgOpenShare returns for an opened share that is not a scalar.
	opened := fmt.Errorf("%w: dealer 1, trustee 2: %w", tally.ErrDKGBadShare, tally.ErrNonCanonical)
	if code := tally.DKGErrorCode(opened); code != "bad-share" {
		t.Fatalf("an opened share that is not a scalar: %s, want bad-share", code)
	}
}

// TestSpecDecoderOrder: docs/spec/encoding.md, "Where several rules
// apply".
func TestSpecDecoderOrder(t *testing.T) {
	tag := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	u32 := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	g := unhex(t, "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")
	for _, tc := range []struct {
		name string
		err  error
		b    []byte
		want error
	}{
		{"a tag longer than the input is truncated, not wrong", new(tally.PublicKey).UnmarshalBinary(cat([]byte{40}, []byte("evote/v1/public-key"))), nil, tally.ErrMalformed},
		{"a wrong tag with enough bytes", new(tally.PublicKey).UnmarshalBinary(cat(tag("evote/v1/public-kez"), g)), nil, tally.ErrWrongTag},
		{"a wrong tag before a bad point", new(tally.PublicKey).UnmarshalBinary(cat(tag("evote/v1/public-kez"), bytes.Repeat([]byte{0xff}, 32))), nil, tally.ErrWrongTag},
		{"the identity, then trailing bytes", new(tally.PublicKey).UnmarshalBinary(cat(tag("evote/v1/public-key"), make([]byte, 32), []byte{0})), nil, tally.ErrIdentity},
		{"a zero private key with trailing bytes", new(tally.PrivateKey).UnmarshalBinary(cat(tag("evote/v1/private-key"), make([]byte, 32), []byte{0})), nil, tally.ErrTrailingBytes},
		{"a count over its limit that would not fit either", new(tally.DKGDeal).UnmarshalBinary(cat(tag(tally.TagDKGDeal), u32(1), u32(256))), nil, tally.ErrLimit},
		{"a count within its limit that does not fit", new(tally.DKGDeal).UnmarshalBinary(cat(tag(tally.TagDKGDeal), u32(1), u32(2), g)), nil, tally.ErrMalformed},
		{"index 0", new(tally.DKGResponse).UnmarshalBinary(specResponse(0, 2, make([]byte, 32))), nil, tally.ErrMalformed},
		{"index above 255", new(tally.DKGResponse).UnmarshalBinary(specResponse(256, 2, make([]byte, 32))), nil, tally.ErrLimit},
		{"a response to oneself, before its bad share", new(tally.DKGResponse).UnmarshalBinary(specResponse(2, 2, bytes.Repeat([]byte{0xff}, 32))), nil, tally.ErrMalformed},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	// A response to oneself is not also non-canonical: the first failure
	// ends decoding.
	if err := new(tally.DKGResponse).UnmarshalBinary(specResponse(2, 2, bytes.Repeat([]byte{0xff}, 32))); errors.Is(err, tally.ErrNonCanonical) {
		t.Errorf("a response to oneself with a bad share: %v", err)
	}

	// Transactions: the size before anything, an unknown kind before the
	// kind's own limit.
	if _, err := election.DecodeTx(make([]byte, election.MaxTxSize+1)); !errors.Is(err, election.ErrLimit) {
		t.Errorf("an oversized transaction of zeros: %v, want ErrLimit", err)
	}
	if _, err := election.DecodeTx(cat(tag(election.TagTx), []byte{0xee})); !errors.Is(err, election.ErrUnknownKind) {
		t.Errorf("an unknown kind, truncated: %v, want ErrUnknownKind", err)
	}
	// A manifest that does not decode is not invalid-manifest.
	enc := readVectorHex(t, "election/testdata/vectors/manifest.json", func(v map[string]any) string {
		return v["cases"].([]any)[0].(map[string]any)["manifest"].(string)
	})
	if _, err := election.DecodeBody(election.KindCreateElection, append(enc, 0)); !errors.Is(err, election.ErrTrailingBytes) || errors.Is(err, election.ErrInvalidManifest) {
		t.Errorf("a manifest with a trailing byte: %v", err)
	}
}

// TestSpecX25519KeyText: the same keys in the manifest's YAML are
// ErrInvalidManifest, and in the text form alone ErrInvalidKey.
func TestSpecX25519KeyText(t *testing.T) {
	for _, bad := range [][32]byte{x25519Zero, x25519P1} {
		text := []byte(fmt.Sprintf("x25519:%x", bad))
		var k election.EncryptionKey
		if err := k.UnmarshalText(text); !errors.Is(err, election.ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", text, err)
		}
	}
	authority := election.DeriveKey("spec x25519 authority")
	trustee := election.DeriveKey("spec x25519 trustee")
	good := election.EncryptionKey{9}
	yaml := func(key string) string {
		return fmt.Sprintf(`reference: spec-x25519
authority: %s
languages: [en]
title: {en: T}
schedule:
  dkg_deals_by: 2030-01-01T01:00:00Z
  dkg_complaint_window: 1h
  dkg_response_window: 1h
trustees:
  threshold: 1
  members:
    - {name: T1, identity: %s, encryption_key: %s}
contests:
  - type: plurality
    min_selections: 1
    title: {en: Q}
    options: [{en: Yes}, {en: No}]
`, authority.AuthorityPublic(), trustee.TrusteePublic(), key)
	}
	if _, err := election.ParseManifestYAML([]byte(yaml(good.String()))); err != nil {
		t.Fatalf("the manifest with a good key: %v", err)
	}
	for _, bad := range [][32]byte{x25519Zero, x25519P1} {
		_, err := election.ParseManifestYAML([]byte(yaml(fmt.Sprintf("x25519:%x", bad))))
		if !errors.Is(err, election.ErrInvalidManifest) {
			t.Errorf("YAML with encryption key %x: %v, want ErrInvalidManifest", bad, err)
		}
	}
}
