package wallet_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"testing"

	"github.com/evote/evote/wallet"
)

func threeKeys(t *testing.T) *wallet.Keystore {
	t.Helper()
	ks := wallet.NewKeystore()
	for _, name := range []string{"work", "home", "Alice_2030.v1"} {
		if _, err := ks.Generate(name, stream("key "+name)); err != nil {
			t.Fatal(err)
		}
	}
	return ks
}

func sameKeys(t *testing.T, got, want *wallet.Keystore) {
	t.Helper()
	g, w := got.Entries(), want.Entries()
	if len(g) != len(w) {
		t.Fatalf("%d keys, want %d", len(g), len(w))
	}
	for i := range g {
		if g[i].Name != w[i].Name || !g[i].Key.Equal(w[i].Key) {
			t.Fatalf("entry %d: %s %v, want %s %v", i, g[i].Name, g[i].Key, w[i].Name, w[i].Key)
		}
	}
}

func TestKeystoreRoundTrip(t *testing.T) {
	ks := threeKeys(t)
	if got := ks.Names(); !slices.Equal(got, []string{"Alice_2030.v1", "home", "work"}) {
		t.Fatalf("names %v, want byte order", got)
	}
	sealed, err := wallet.SealKeystore(ks, []byte("pass phrase"), fastKDF, stream("seal"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ks.Entries() {
		text, _ := e.Key.MarshalText()
		if bytes.Contains(sealed, []byte(e.Name)) || bytes.Contains(sealed, e.Key.SigningKey().Seed()) || bytes.Contains(sealed, text) {
			t.Fatalf("the sealed keystore shows %s", e.Name)
		}
	}
	back, err := wallet.OpenKeystore([]byte("pass phrase"), sealed)
	if err != nil {
		t.Fatal(err)
	}
	sameKeys(t, back, ks)
	k, err := back.Key("home")
	if err != nil || !k.Equal(ks.Entries()[1].Key) {
		t.Fatalf("Key(home): %v", err)
	}
	if name, ok := back.NameOf(k.Public()); !ok || name != "home" {
		t.Errorf("NameOf = %q, %v", name, ok)
	}
	if _, err := back.Only(); !errors.Is(err, wallet.ErrNoKey) {
		t.Errorf("Only of three keys: %v", err)
	}
}

func TestKeystoreWrongPassphraseAndTampering(t *testing.T) {
	ks := threeKeys(t)
	sealed, err := wallet.SealKeystore(ks, []byte("pass phrase"), fastKDF, stream("seal"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.OpenKeystore([]byte("pass phrasE"), sealed); !errors.Is(err, wallet.ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := wallet.OpenKeystore(nil, sealed); !errors.Is(err, wallet.ErrPassphrase) {
		t.Fatalf("empty passphrase: %v", err)
	}
	for _, i := range []int{0, 20, 40, 60, len(sealed) / 2, len(sealed) - 1} {
		c := bytes.Clone(sealed)
		c[i] ^= 0x80
		if _, err := wallet.OpenKeystore([]byte("pass phrase"), c); !errors.Is(err, wallet.ErrPassphrase) && !errors.Is(err, wallet.ErrSealed) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
	if _, err := wallet.OpenKeystore([]byte("pass phrase"), sealed[:len(sealed)-1]); !errors.Is(err, wallet.ErrPassphrase) {
		t.Fatalf("truncated: %v", err)
	}
	// A sealed secret that is not a keystore (a trustee's, say).
	other, _ := wallet.Seal([]byte("pass phrase"), []byte("evote-voter-secret:00"), fastKDF, stream("x"))
	if _, err := wallet.OpenKeystore([]byte("pass phrase"), other); !errors.Is(err, wallet.ErrKeystore) {
		t.Fatalf("a sealed non-keystore: %v", err)
	}
}

func TestKeystoreEdits(t *testing.T) {
	ks := threeKeys(t)
	home, _ := ks.Key("home")
	if err := ks.Add("home", mustKey(t, "another")); !errors.Is(err, wallet.ErrKeyExists) {
		t.Errorf("a second key named home: %v", err)
	}
	if err := ks.Add("home2", home); !errors.Is(err, wallet.ErrKeyExists) {
		t.Errorf("the home key under a second name: %v", err)
	}
	if _, err := ks.Generate("work", stream("w")); !errors.Is(err, wallet.ErrKeyExists) {
		t.Errorf("generating over work: %v", err)
	}
	for _, name := range []string{"", "a b", ".hidden", "-flag", "ünï", "x/y", string(bytes.Repeat([]byte("n"), 65))} {
		if err := ks.Add(name, mustKey(t, name)); !errors.Is(err, wallet.ErrKeyName) {
			t.Errorf("name %q: %v", name, err)
		}
	}
	if ks.Len() != 3 {
		t.Fatalf("%d keys after refused adds", ks.Len())
	}
	removed, err := ks.Remove("home")
	if err != nil || !removed.Equal(home) || ks.Len() != 2 {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := ks.Remove("home"); !errors.Is(err, wallet.ErrNoKey) {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := ks.Key("home"); !errors.Is(err, wallet.ErrNoKey) {
		t.Errorf("removed key found: %v", err)
	}

	// Merging: all or nothing.
	other := wallet.NewKeystore()
	if err := other.Add("laptop", mustKey(t, "laptop")); err != nil {
		t.Fatal(err)
	}
	if err := other.Add("work", mustKey(t, "not work")); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Merge(other); !errors.Is(err, wallet.ErrKeyExists) || ks.Len() != 2 {
		t.Fatalf("a merge with a clashing name: %v, %d keys", err, ks.Len())
	}
	other.Remove("work")
	work, _ := ks.Key("work")
	other.Add("work", work) // the same key under the same name: skipped
	other.Add("phone", home)
	added, err := ks.Merge(other)
	if err != nil || !slices.Equal(added, []string{"laptop", "phone"}) || ks.Len() != 4 {
		t.Fatalf("Merge: added %v, %v, %d keys", added, err, ks.Len())
	}
	one := wallet.NewKeystore()
	one.Add("only", home)
	if e, err := one.Only(); err != nil || e.Name != "only" {
		t.Errorf("Only: %v", err)
	}
	if _, err := wallet.NewKeystore().Only(); !errors.Is(err, wallet.ErrNoKey) {
		t.Errorf("Only of none: %v", err)
	}
}

func mustKey(t *testing.T, seed string) *wallet.VoterKey {
	t.Helper()
	k, err := wallet.GenerateVoterKey(stream(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// plaintext builds a keystore plaintext by hand, as docs/spec/keystore.md
// lays it out.
func plaintext(entries ...any) []byte {
	b := append([]byte{17}, "evote/v1/keystore"...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(entries)/2))
	for i := 0; i < len(entries); i += 2 {
		name := entries[i].(string)
		b = binary.BigEndian.AppendUint32(b, uint32(len(name)))
		b = append(b, name...)
		b = append(b, entries[i+1].([]byte)...)
	}
	return b
}

func TestKeystoreLayout(t *testing.T) {
	seedA, _ := hex.DecodeString("0101010101010101010101010101010101010101010101010101010101010101")
	seedB, _ := hex.DecodeString("0202020202020202020202020202020202020202020202020202020202020202")
	keyA, _ := wallet.ParseVoterKey("evote-voter-secret:" + hex.EncodeToString(seedA))
	keyB, _ := wallet.ParseVoterKey("evote-voter-secret:" + hex.EncodeToString(seedB))
	ks := wallet.NewKeystore()
	ks.Add("b", keyB)
	ks.Add("a", keyA)
	got, _ := ks.MarshalBinary()
	want := plaintext("a", seedA, "b", seedB)
	if !bytes.Equal(got, want) {
		t.Fatalf("plaintext\n%x\nwant\n%x", got, want)
	}
	empty, _ := wallet.NewKeystore().MarshalBinary()
	if !bytes.Equal(empty, plaintext()) {
		t.Fatalf("empty keystore %x", empty)
	}
	back, err := wallet.DecodeKeystore(want)
	if err != nil {
		t.Fatal(err)
	}
	sameKeys(t, back, ks)

	for name, b := range map[string][]byte{
		"out of order":     plaintext("b", seedB, "a", seedA),
		"same name twice":  plaintext("a", seedA, "a", seedB),
		"same key twice":   plaintext("a", seedA, "b", seedA),
		"bad name":         plaintext("a b", seedA),
		"empty name":       plaintext("", seedA),
		"trailing byte":    append(plaintext("a", seedA), 0),
		"truncated":        plaintext("a", seedA)[:30],
		"short seed":       plaintext("a", seedA[:31]),
		"wrong tag":        append([]byte{17}, "evote/v2/keystore\x00\x00\x00\x00"...),
		"count beyond end": binary.BigEndian.AppendUint32(append([]byte{17}, "evote/v1/keystore"...), 1000),
		"huge count":       binary.BigEndian.AppendUint32(append([]byte{17}, "evote/v1/keystore"...), 1<<31),
		"huge name length": append(binary.BigEndian.AppendUint32(plaintext()[:18], 1), 0xff, 0xff, 0xff, 0xff),
		"nothing":          nil,
	} {
		if _, err := wallet.DecodeKeystore(b); !errors.Is(err, wallet.ErrKeystore) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecodeKeystore(f *testing.F) {
	seedA := bytes.Repeat([]byte{1}, 32)
	seedB := bytes.Repeat([]byte{2}, 32)
	f.Add(plaintext())
	f.Add(plaintext("a", seedA))
	f.Add(plaintext("a", seedA, "b", seedB))
	f.Add(plaintext("b", seedB, "a", seedA))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ks, err := wallet.DecodeKeystore(b)
		if err != nil {
			if !errors.Is(err, wallet.ErrKeystore) {
				t.Fatalf("error not wrapping ErrKeystore: %v", err)
			}
			return
		}
		// Only the canonical encoding decodes.
		again, err := ks.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded %x, re-encodes to %x (%v)", b, again, err)
		}
	})
}
