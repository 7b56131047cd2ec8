package test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
)

// These tests read docs/spec/app-hash.md from the outside: the hashes are
// computed here from the page's text with crypto/sha256, and must agree with
// the page's example and with what chain's store commits.

func u32(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

func specGenesisHash(chainID string, appState []byte) []byte {
	var b []byte
	b = append(b, "evote/v1/app-hash/genesis"...)
	b = append(b, u32(len(chainID))...)
	b = append(b, chainID...)
	b = append(b, u32(len(appState))...)
	b = append(b, appState...)
	s := sha256.Sum256(b)
	return s[:]
}

type specWrite struct {
	del        bool
	key, value string
}

func specWritesHash(ws []specWrite) []byte {
	var b []byte
	for _, w := range ws {
		op := byte(0x01)
		if w.del {
			op, w.value = 0x02, ""
		}
		b = append(b, op)
		b = append(b, u32(len(w.key))...)
		b = append(b, w.key...)
		b = append(b, u32(len(w.value))...)
		b = append(b, w.value...)
	}
	s := sha256.Sum256(b)
	return s[:]
}

func specNext(prev, writesHash []byte) []byte {
	s := sha256.Sum256(append(append([]byte("evote/v1/app-hash"), prev...), writesHash...))
	return s[:]
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppHashSpecExample(t *testing.T) {
	const chainID, appState = "evote-example", `{"work":0}`
	writes := []specWrite{{key: "a", value: "1"}, {del: true, key: "b"}, {key: "c"}}

	g := specGenesisHash(chainID, []byte(appState))
	if want := unhex(t, "e2f615a7e33706a8f05e670f2649eec8de08091ad396c7549332099d4b77af08"); !bytes.Equal(g, want) {
		t.Fatalf("app_hash(0) from the spec's text = %x, the page says %x", g, want)
	}
	wh := specWritesHash(writes)
	if want := unhex(t, "d7bb67c761cbaabc9c13fcdfaa0797418b4128edb41aaa23fb6d79c6503139e5"); !bytes.Equal(wh, want) {
		t.Fatalf("writes_hash = %x, the page says %x", wh, want)
	}
	h1 := specNext(g, wh)
	if want := unhex(t, "51da1fd7074994a3cff8b797a09a70e9495f154aa952f8d4ff121058e6c90239"); !bytes.Equal(h1, want) {
		t.Fatalf("app_hash(1) = %x, the page says %x", h1, want)
	}

	// The page: the file's `{ "work": 0 }` is hashed as `{"work":0}`.
	if c, err := election.CanonicalAppState([]byte(`{ "work": 0 }`)); err != nil || string(c) != appState {
		t.Fatalf("election.CanonicalAppState = %q, %v; the page says %s", c, err, appState)
	}
	if got := election.GenesisAppHash(chainID, []byte(appState)); !bytes.Equal(got, g) {
		t.Fatalf("election.GenesisAppHash = %x, spec %x", got, g)
	}
	if got := election.NextAppHash(g, wh); !bytes.Equal(got, h1) {
		t.Fatalf("election.NextAppHash = %x, spec %x", got, h1)
	}

	// The store, fed the same writes, commits to the same hashes; a block
	// with no writes keeps the hash.
	s, err := chain.OpenStore(filepath.Join(t.TempDir(), chain.StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.InitGenesis(chainID, []byte(appState), g); err != nil {
		t.Fatal(err)
	}
	b, err := s.Begin(1)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range writes {
		if w.del {
			err = b.Delete([]byte(w.key))
		} else if w.value == "" {
			err = b.Set([]byte(w.key), nil)
		} else {
			err = b.Set([]byte(w.key), []byte(w.value))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.Commit(time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, h1) {
		t.Fatalf("the store committed %x, spec %x", got, h1)
	}
	b, _ = s.Begin(2)
	if got, _ := b.Commit(time.Unix(2, 0)); !bytes.Equal(got, h1) {
		t.Fatalf("a block without writes committed %x, want app_hash(1) %x", got, h1)
	}
}
