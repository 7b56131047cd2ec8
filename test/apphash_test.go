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
	b = append(b, "evote/v2/app-hash/genesis"...)
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

func specHash(parts ...[]byte) []byte {
	s := sha256.Sum256(bytes.Join(parts, nil))
	return s[:]
}

func specWritesChain(prev, writesHash []byte) []byte {
	return specHash([]byte("evote/v2/writes"), prev, writesHash)
}

func specAppHash(writesChain, root []byte) []byte {
	return specHash([]byte("evote/v2/app-hash"), writesChain, root)
}

// specEmptyRoot is the root of the tree of no elections: SHA-256 of nothing.
var specEmptyRoot = specHash()

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
	if want := unhex(t, specGenesis); !bytes.Equal(g, want) {
		t.Fatalf("app_hash(0) from the spec's text = %x, the page says %x", g, want)
	}
	wh := specWritesHash(writes)
	if want := unhex(t, "d7bb67c761cbaabc9c13fcdfaa0797418b4128edb41aaa23fb6d79c6503139e5"); !bytes.Equal(wh, want) {
		t.Fatalf("writes_hash = %x, the page says %x", wh, want)
	}
	wc1 := specWritesChain(g, wh)
	if want := unhex(t, specWritesChain1); !bytes.Equal(wc1, want) {
		t.Fatalf("writes_chain(1) = %x, the page says %x", wc1, want)
	}
	h1 := specAppHash(wc1, specEmptyRoot)
	if want := unhex(t, specAppHash1); !bytes.Equal(h1, want) {
		t.Fatalf("app_hash(1) = %x, the page says %x", h1, want)
	}

	// The page: the file's `{ "work": 0 }` is hashed as `{"work":0}`.
	if c, err := election.CanonicalAppState([]byte(`{ "work": 0 }`)); err != nil || string(c) != appState {
		t.Fatalf("election.CanonicalAppState = %q, %v; the page says %s", c, err, appState)
	}
	if got := election.GenesisAppHash(chainID, []byte(appState)); !bytes.Equal(got, g) {
		t.Fatalf("election.GenesisAppHash = %x, spec %x", got, g)
	}
	if got := election.AppHash(election.NextWritesChain(g, wh), election.MerkleRoot(nil)); !bytes.Equal(got, h1) {
		t.Fatalf("election.AppHash = %x, spec %x", got, h1)
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

// The page's values (docs/spec/app-hash.md, "Examples").
const (
	specGenesis      = "bce663a96ac2b07599d0b2b2d0773dd10d3212723463e26437ba23be699e6883"
	specWritesChain1 = "96d8baceede91b008735d216bdbafc2926c94727780fc851c1ffd1aeb0619092"
	specAppHash1     = "85d503e2d2ccfbd64649c8cc294e9a1d4363a62d39161b2c8a980ae21f6d94b1"
	specCommitment   = "1111111111111111111111111111111111111111111111111111111111111111050000000000000002000000000000000371dfe68e06a8e610b34e7f9eefaf62a395e2dc30d795431ec0c8d28c7cda34d6000000000000000100000000000000020000000000000001fea5d499e46577e6ff585e67510d3f4a1c85e76770248a7c07572883bd550c0d87e9cbe8280129d194f8daba5b8c77bf797226ae26d38755aef58dd325178e4420333333333333333333333333333333333333333333333333333333333333333300000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	specCommitHash   = "d054c6d0b04489530cc5e57b159ec71befa4f7a17bc6426f7090e190846c4fdf"
	specCounted      = "fea5d499e46577e6ff585e67510d3f4a1c85e76770248a7c07572883bd550c0d"
	specRollHash     = "71dfe68e06a8e610b34e7f9eefaf62a395e2dc30d795431ec0c8d28c7cda34d6"
	specTxsHash      = "87e9cbe8280129d194f8daba5b8c77bf797226ae26d38755aef58dd325178e44"
	specAppHash2     = "2963a4c7f3f5b56c756ced526879a3d330887cb822becb693fe1f7feb2523292"
)

// specExampleCommitment is the page's example election, encoded from the
// page's text.
func specExampleCommitment(t *testing.T) (enc []byte, id [32]byte) {
	t.Helper()
	id = [32]byte(bytes.Repeat([]byte{0x11}, 32))
	u64 := func(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
	v1, v2 := bytes.Repeat([]byte{0x21}, 32), bytes.Repeat([]byte{0x22}, 32)
	roll := specHash([]byte("evote/v2/roll"), make([]byte, 32), v1, u32(1))
	roll = specHash([]byte("evote/v2/roll"), roll, v2, u32(2))
	if want := unhex(t, specRollHash); !bytes.Equal(roll, want) {
		t.Fatalf("roll hash = %x, the page says %x", roll, want)
	}
	txs := make([]byte, 32)
	for _, tx := range []string{"create", "append", "ballot"} {
		txs = specHash([]byte("evote/v2/election-txs"), txs, specHash([]byte(tx)))
	}
	if want := unhex(t, specTxsHash); !bytes.Equal(txs, want) {
		t.Fatalf("txs hash = %x, the page says %x", txs, want)
	}
	key := bytes.Repeat([]byte{0x33}, 32)
	agg := bytes.Repeat([]byte{0}, 64)
	for _, part := range [][]byte{
		id[:], {5}, u64(2), u64(3), roll,
		u64(1), u64(2), u64(1), unhex(t, specCounted), txs,
		{32}, key, u32(1), agg, make([]byte, 32),
	} {
		enc = append(enc, part...)
	}
	return enc, id
}

// TestStateCommitmentSpecExample: the page's example commitment, its hash,
// the one-election tree and the app hash, from the page's text; and the
// code's commitment of the same state.
func TestStateCommitmentSpecExample(t *testing.T) {
	enc, id := specExampleCommitment(t)
	if want := unhex(t, specCommitment); !bytes.Equal(enc, want) {
		t.Fatalf("the commitment's encoding = %x, the page says %x", enc, want)
	}
	ch := specHash([]byte("evote/v2/election-state"), enc)
	if want := unhex(t, specCommitHash); !bytes.Equal(ch, want) {
		t.Fatalf("the commitment's hash = %x, the page says %x", ch, want)
	}
	root := specHash([]byte{0}, id[:], ch) // one leaf: its leaf hash is the root
	wc := bytes.Repeat([]byte{0x44}, 32)
	if want := unhex(t, specAppHash2); !bytes.Equal(specAppHash(wc, root), want) {
		t.Fatalf("the example app hash = %x, the page says %x", specAppHash(wc, root), want)
	}

	// The code agrees.
	var c election.StateCommitment
	if err := c.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if h := c.Hash(); !bytes.Equal(h[:], ch) {
		t.Fatalf("election's hash of the commitment = %x, spec %x", h, ch)
	}
	p := election.StateProof{WritesChain: wc, Path: election.MerkleProofOf([][]byte{c.Leaf()}, 0)}
	if got, err := p.AppHash(&c); err != nil || !bytes.Equal(got, specAppHash(wc, root)) {
		t.Fatalf("election's app hash from the proof = %x, %v", got, err)
	}
	var v1 election.PublicKey
	copy(v1[:], bytes.Repeat([]byte{0x21}, 32))
	set, _ := election.NewCountedSet([32]byte{})
	set.Add(v1, [32]byte(specHash([]byte("ballot"))))
	if got := set.Bytes(); !bytes.Equal(got[:], unhex(t, specCounted)) {
		t.Fatalf("the counted set of the example ballot = %x, the page says %s", got, specCounted)
	}
}
