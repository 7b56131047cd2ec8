package test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"slices"
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
	del, tx    bool // a Delete; a row of the receipt index (index 0, code 0, empty log)
	key, value string
}

func specWritesHash(ws []specWrite) []byte {
	var b []byte
	for _, w := range ws {
		op := byte(0x01)
		if w.del {
			op, w.value = 0x02, ""
		}
		if w.tx {
			op, w.value = 0x03, string(make([]byte, 8)) // u32 index 0, u32 code 0, no log
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

func specWritesChain(prev, writesHash, state []byte) []byte {
	return specHash([]byte("evote/v3/writes"), prev, writesHash, state)
}

func specAppHash(writesChain, root []byte) []byte {
	return specHash([]byte("evote/v3/app-hash"), writesChain, root)
}

// specLtHash is the page's LtHash of a multiset of elements: the sum, lane
// by lane mod 2^16, of the first 2048 bytes of the AES-256-CTR keystream
// under the key SHA-256(element) from the zero counter block, read as 1024
// little-endian u16; encoded the same way.
func specLtHash(elems ...[]byte) []byte {
	var lanes [1024]uint16
	for _, e := range elems {
		key := sha256.Sum256(e)
		c, err := aes.NewCipher(key[:])
		if err != nil {
			panic(err)
		}
		x := make([]byte, 2048)
		cipher.NewCTR(c, make([]byte, 16)).XORKeyStream(x, x)
		for i := range lanes {
			lanes[i] += binary.LittleEndian.Uint16(x[2*i:])
		}
	}
	out := make([]byte, 0, 2048)
	for _, v := range lanes {
		out = binary.LittleEndian.AppendUint16(out, v)
	}
	return out
}

func specKVElement(key, value string) []byte {
	return slices.Concat([]byte("evote/v3/kv"), u32(len(key)), []byte(key), u32(len(value)), []byte(value))
}

func specTxElement(hash []byte, height uint64, index, code int, log string) []byte {
	return slices.Concat([]byte("evote/v3/tx"), u32(len(hash)), hash, binary.BigEndian.AppendUint64(nil, height),
		u32(index), u32(code), u32(len(log)), []byte(log))
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
	txHash := specHash([]byte("tx"))
	writes := []specWrite{{key: "a", value: "1"}, {del: true, key: "b"}, {key: "c"}, {tx: true, key: string(txHash)}}

	g := specGenesisHash(chainID, []byte(appState))
	if want := unhex(t, specGenesis); !bytes.Equal(g, want) {
		t.Fatalf("app_hash(0) from the spec's text = %x, the page says %x", g, want)
	}
	wh := specWritesHash(writes)
	if want := unhex(t, specWritesHash1); !bytes.Equal(wh, want) {
		t.Fatalf("writes_hash = %x, the page says %x", wh, want)
	}
	// The state after block 1: kv holds a = "1" and c = ""; txs the row
	// (SHA-256("tx"), height 1, index 0, code 0, log "").
	if got := specKVElement("a", "1"); !bytes.Equal(got, unhex(t, "65766f74652f76332f6b7600000001610000000131")) {
		t.Fatalf("kv element a = %x", got)
	}
	if got := specHash(specKVElement("a", "1")); !bytes.Equal(got, unhex(t, "0cc6cfd6b4a3dab6bb57190139dd8ac129283a14d9af47b2b95afa98e4e1537d")) {
		t.Fatalf("SHA-256 of kv element a = %x", got)
	}
	for _, x := range []struct{ key, value, head string }{
		{"a", "1", "57add34ff4417d49944c92145561efb5"}, {"c", "", "6477981099d857e94d21aee8a3468e48"},
	} {
		if got := specLtHash(specKVElement(x.key, x.value)); !bytes.Equal(got[:16], unhex(t, x.head)) {
			t.Fatalf("expand(kv element %s): bytes 0..15 %x, the page says %s", x.key, got[:16], x.head)
		}
	}
	ltKV := specLtHash(specKVElement("a", "1"), specKVElement("c", ""))
	ltTxs := specLtHash(specTxElement(txHash, 1, 0, 0, ""))
	if got := specHash(ltKV); !bytes.Equal(got, unhex(t, specLtKV1)) || !bytes.Equal(ltKV[:8], unhex(t, specLtKV1Head)) {
		t.Fatalf("LtHash(kv): SHA-256 %x, first bytes %x; the page says %s, %s", got, ltKV[:8], specLtKV1, specLtKV1Head)
	}
	if got := specHash(ltTxs); !bytes.Equal(got, unhex(t, specLtTxs1)) {
		t.Fatalf("LtHash(txs): SHA-256 %x, the page says %s", got, specLtTxs1)
	}
	state := specHash([]byte("evote/v3/state"), ltKV, ltTxs)
	if want := unhex(t, specState1); !bytes.Equal(state, want) {
		t.Fatalf("state(1) = %x, the page says %x", state, want)
	}
	// The identities: the sum does not depend on the order, and an
	// element added then removed leaves nothing.
	var l, r election.LtHash
	l.Add(specKVElement("a", "1"))
	l.Add(specKVElement("c", ""))
	r.Add(specKVElement("zz", "x"))
	r.Add(specKVElement("c", ""))
	r.Add(specKVElement("a", "1"))
	r.Remove(specKVElement("zz", "x"))
	if !bytes.Equal(l.Bytes(), ltKV) || !bytes.Equal(r.Bytes(), ltKV) {
		t.Fatal("election.LtHash disagrees with the page")
	}
	var lt election.LtHash
	lt.Add(election.TxElement(txHash, 1, 0, 0, ""))
	if !bytes.Equal(lt.Bytes(), ltTxs) || !bytes.Equal(election.KVElement([]byte("a"), []byte("1")), specKVElement("a", "1")) {
		t.Fatal("election.TxElement or KVElement disagrees with the page")
	}
	if got := election.StateChecksum(&l, &lt); !bytes.Equal(got, state) {
		t.Fatalf("election.StateChecksum = %x, spec %x", got, state)
	}
	wc1 := specWritesChain(g, wh, state)
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
	if got := election.AppHash(election.NextWritesChain(g, wh, state), election.MerkleRoot(nil)); !bytes.Equal(got, h1) {
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
		if w.tx {
			err = b.AddTx([]byte(w.key), 0, election.CodeOK, "")
		} else if w.del {
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
	specWritesHash1  = "5e08b8ae062fa17f7634aa5b76f4ac93e0c7ad7158496f991749e5f9a690659c"
	specLtKV1        = "6ae14fec19b1c948b0a84feb471caae969352d84524a70ce0f6fe04a1b19e17e"
	specLtKV1Head    = "bb246b608d1ad432"
	specLtTxs1       = "3bdedb3b91eefb27dd79237f3ef3de7d860f6992fda634d1d92e644d45701edf"
	specState1       = "2840408292ea495b526b0ee1cd11376a0d0a07c154854027a77d4adb060662ab"
	specWritesChain1 = "e0744d8544c44247c95a8c020d4cf7581a4be1edb97d46eb18a472fd45d34360"
	specAppHash1     = "1681d1940201915c0472da9da1f290f819c8d906dd8eba070232b38c52b37e9f"
	specCommitment   = "1111111111111111111111111111111111111111111111111111111111111111050000000000000002000000000000000371dfe68e06a8e610b34e7f9eefaf62a395e2dc30d795431ec0c8d28c7cda34d6000000000000000100000000000000020000000000000001fea5d499e46577e6ff585e67510d3f4a1c85e76770248a7c07572883bd550c0d87e9cbe8280129d194f8daba5b8c77bf797226ae26d38755aef58dd325178e4420333333333333333333333333333333333333333333333333333333333333333300000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	specCommitHash   = "d054c6d0b04489530cc5e57b159ec71befa4f7a17bc6426f7090e190846c4fdf"
	specCounted      = "fea5d499e46577e6ff585e67510d3f4a1c85e76770248a7c07572883bd550c0d"
	specRollHash     = "71dfe68e06a8e610b34e7f9eefaf62a395e2dc30d795431ec0c8d28c7cda34d6"
	specTxsHash      = "87e9cbe8280129d194f8daba5b8c77bf797226ae26d38755aef58dd325178e44"
	specAppHash2     = "0886a16e4c52cb2928139d55b8d8e238ded6a932ad6429eeaa2111f99ec19e29"
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
