package wallet_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/evote/evote/wallet"
)

// fastKDF keeps the tests quick; the format is the same.
var fastKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func TestSealOpen(t *testing.T) {
	secret := []byte("evote-voter-secret:00112233")
	sealed, err := wallet.Seal([]byte("correct horse"), secret, fastKDF, stream("seal"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed form contains the secret")
	}
	got, err := wallet.Open([]byte("correct horse"), sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if p, err := wallet.SealedParams(sealed); err != nil || p != fastKDF {
		t.Fatalf("SealedParams = %+v, %v", p, err)
	}
	if _, err := wallet.Open([]byte("wrong horse"), sealed); !errors.Is(err, wallet.ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	// Every byte is covered: the header as associated data, the rest by the tag.
	for i := range sealed {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		_, err := wallet.Open([]byte("correct horse"), c)
		if err == nil {
			t.Fatalf("byte %d changed: opened", i)
		}
		if !errors.Is(err, wallet.ErrPassphrase) && !errors.Is(err, wallet.ErrSealed) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
}

func TestSealRejects(t *testing.T) {
	if _, err := wallet.Seal([]byte("p"), nil, wallet.KDFParams{Time: 0, MemoryKiB: 64, Threads: 1}, stream("x")); err == nil {
		t.Fatal("time 0 accepted")
	}
	if _, err := wallet.Seal([]byte("p"), nil, wallet.KDFParams{Time: 1, MemoryKiB: 1 << 30, Threads: 1}, stream("x")); err == nil {
		t.Fatal("1 TiB of memory accepted")
	}
	if _, err := wallet.Seal([]byte("p"), nil, fastKDF, bytes.NewReader(nil)); err == nil {
		t.Fatal("no randomness accepted")
	}
	for _, b := range [][]byte{nil, []byte("short"), bytes.Repeat([]byte{15}, 100)} {
		if _, err := wallet.Open([]byte("p"), b); !errors.Is(err, wallet.ErrSealed) {
			t.Fatalf("Open(%q) = %v, want ErrSealed", b, err)
		}
	}
	// A file asking for absurd memory is refused before any work.
	sealed, _ := wallet.Seal([]byte("p"), []byte("s"), fastKDF, stream("y"))
	sealed[1+len("evote/v1/sealed")+4] = 0xff
	if _, err := wallet.Open([]byte("p"), sealed); !errors.Is(err, wallet.ErrSealed) {
		t.Fatalf("huge memory: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	sealed, _ := wallet.Seal([]byte("p"), []byte("secret"), fastKDF, stream("fuzz"))
	f.Add(sealed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := wallet.SealedParams(b); err == nil && p.MemoryKiB > 1024 {
			return // valid but slow parameters: not what is fuzzed here
		}
		pt, err := wallet.Open([]byte("p"), b)
		if err == nil && !bytes.Equal(b, sealed) && !bytes.Equal(pt, []byte("secret")) {
			t.Fatalf("opened forged data to %q", pt)
		}
	})
}
