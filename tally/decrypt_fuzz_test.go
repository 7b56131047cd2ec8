package tally

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudflare/circl/group"
)

// The seed corpora of these targets, under testdata/fuzz/<target>/, are
// made from the test vectors by TestDecryptVectors -update-decrypt.

// FuzzDecryptionShareDecode: the decoder never panics, fails only with the
// package's sentinel errors, and accepts only canonical encodings: what it
// accepts re-encodes to the same bytes.
func FuzzDecryptionShareDecode(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s DecryptionShare
		err := s.UnmarshalBinary(b)
		if err != nil {
			for _, want := range []error{ErrMalformed, ErrNonCanonical, ErrTrailingBytes, ErrWrongTag} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		re, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("accepted a non-canonical encoding\n in %x\nout %x", b, re)
		}
	})
}

// FuzzDecryptionShareVerify decodes a share and verifies it, with the
// verification key of the trustee chosen by trustee, against the vectors'
// aggregate at the position chosen by position. It never panics, and a
// share that verifies is the chosen trustee's true share x_j·A: no mutation
// of a share makes a false one pass.
func FuzzDecryptionShareVerify(f *testing.F) {
	file, err := os.ReadFile(decryptVectorFile)
	if err != nil {
		f.Fatal(err)
	}
	var v decryptVectors
	if err := json.Unmarshal(file, &v); err != nil {
		f.Fatal(err)
	}
	election := hexBytes(f, v.Election)
	var vks []*PublicKey
	var secrets []group.Scalar
	for _, k := range v.TrusteeKeys {
		vk, err := PublicKeyFromBytes(hexBytes(f, k.VerificationKey))
		if err != nil {
			f.Fatal(err)
		}
		x := newScalar()
		if err := x.UnmarshalBinary(hexBytes(f, k.SecretShare)); err != nil {
			f.Fatal(err)
		}
		vks, secrets = append(vks, vk), append(secrets, x)
	}
	var cts []*Ciphertext
	for _, agg := range v.Aggregates {
		cts = append(cts, aggregateFromBytes(f, hexBytes(f, agg.Ciphertext)))
	}
	f.Fuzz(func(t *testing.T, b []byte, position, trustee uint8) {
		var s DecryptionShare
		if s.UnmarshalBinary(b) != nil {
			return
		}
		p := int(position) % len(cts)
		j := int(trustee) % len(vks)
		err := s.Verify(vks[j], cts[p], DecryptionContext{Election: election, Position: uint32(p)})
		if err != nil {
			if !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if s.Index != uint32(j+1) || !s.D.IsEqual(newElement().Mul(cts[p].A, secrets[j])) {
			t.Fatalf("a false share verified: index %d for trustee %d at position %d", s.Index, j+1, p)
		}
	})
}

// writeDecryptFuzzSeeds rewrites the seed corpora from the vectors.
func writeDecryptFuzzSeeds(t *testing.T, v *decryptVectors) {
	t.Helper()
	write := func(target, name string, values ...any) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.WriteString("go test fuzz v1\n")
		for _, val := range values {
			switch val := val.(type) {
			case []byte:
				fmt.Fprintf(&buf, "[]byte(%q)\n", val)
			case byte:
				fmt.Fprintf(&buf, "byte(%q)\n", val)
			default:
				t.Fatalf("seed value of type %T", val)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, target := range []string{"FuzzDecryptionShareDecode", "FuzzDecryptionShareVerify"} {
		if err := os.RemoveAll(filepath.Join("testdata", "fuzz", target)); err != nil {
			t.Fatal(err)
		}
	}
	dec := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, agg := range v.Aggregates {
		for _, sa := range agg.Shares {
			name := fmt.Sprintf("share-position%d-trustee%d", agg.Position, sa.Trustee)
			write("FuzzDecryptionShareDecode", name, dec(sa.Share))
			write("FuzzDecryptionShareVerify", name, dec(sa.Share), byte(agg.Position), byte(sa.Trustee-1))
		}
	}
	for i, c := range v.Invalid {
		name := fmt.Sprintf("invalid-%02d", i)
		write("FuzzDecryptionShareDecode", name, dec(c.Share))
		var s DecryptionShare
		if err := s.UnmarshalBinary(dec(c.Share)); err != nil {
			t.Fatal(err)
		}
		write("FuzzDecryptionShareVerify", name, dec(c.Share), byte(c.Position), byte(s.Index-1))
	}
	for i, c := range v.Malformed {
		write("FuzzDecryptionShareDecode", fmt.Sprintf("malformed-%02d", i), dec(c.Share))
	}
}
