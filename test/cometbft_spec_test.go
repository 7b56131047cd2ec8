package test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/observer/cmtlite"
)

// These tests read docs/spec/cometbft.md from the outside: block 2 of
// observer/testdata/small-record.json is hashed and its vote's sign bytes
// are written here from the page's text (the protobuf encodings written by
// hand), and must agree with the numbers the page prints, with the record's
// own hashes and signature, and with package observer/cmtlite.

// pbTag is a protobuf field key: field number << 3 | wire type.
func pbTag(field, wire int) []byte { return binary.AppendUvarint(nil, uint64(field)<<3|uint64(wire)) }

// pbVarint is a varint field, left out when 0.
func pbVarint(field int, v uint64) []byte {
	if v == 0 {
		return nil
	}
	return binary.AppendUvarint(pbTag(field, 0), v)
}

// pbSfixed64 is an sfixed64 field, left out when 0.
func pbSfixed64(field int, v int64) []byte {
	if v == 0 {
		return nil
	}
	return binary.LittleEndian.AppendUint64(pbTag(field, 1), uint64(v))
}

// pbMessage is a length-delimited field, written even when empty.
func pbMessage(field int, b []byte) []byte {
	return append(binary.AppendUvarint(pbTag(field, 2), uint64(len(b))), b...)
}

// pbBytes is a bytes or string field, left out when empty.
func pbBytes(field int, b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return pbMessage(field, b)
}

func pbTimestamp(t time.Time) []byte {
	return append(pbVarint(1, uint64(t.Unix())), pbVarint(2, uint64(t.Nanosecond()))...)
}

func pbBlockID(hash []byte, total uint32, partsHash []byte) []byte {
	return append(pbBytes(1, hash), pbMessage(2, append(pbVarint(1, uint64(total)), pbBytes(2, partsHash)...))...)
}

// rfc6962Root is the Merkle root of RFC 6962, section 2.1.
func rfc6962Root(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		return specHash()
	case 1:
		return specHash([]byte{0}, leaves[0])
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return specHash([]byte{1}, rfc6962Root(leaves[:k]), rfc6962Root(leaves[k:]))
}

// The record's block 2, as its JSON has it.
type specBlockJSON struct {
	Height int64 `json:"height"`
	Header struct {
		Version struct {
			Block string `json:"block"`
		} `json:"version"`
		ChainID     string    `json:"chain_id"`
		Height      string    `json:"height"`
		Time        time.Time `json:"time"`
		LastBlockID struct {
			Hash  string `json:"hash"`
			Parts struct {
				Total uint32 `json:"total"`
				Hash  string `json:"hash"`
			} `json:"parts"`
		} `json:"last_block_id"`
		LastCommitHash     string `json:"last_commit_hash"`
		DataHash           string `json:"data_hash"`
		ValidatorsHash     string `json:"validators_hash"`
		NextValidatorsHash string `json:"next_validators_hash"`
		ConsensusHash      string `json:"consensus_hash"`
		AppHash            string `json:"app_hash"`
		LastResultsHash    string `json:"last_results_hash"`
		EvidenceHash       string `json:"evidence_hash"`
		ProposerAddress    string `json:"proposer_address"`
	} `json:"header"`
	Commit struct {
		Height  string `json:"height"`
		Round   int64  `json:"round"`
		BlockID struct {
			Hash  string `json:"hash"`
			Parts struct {
				Total uint32 `json:"total"`
				Hash  string `json:"hash"`
			} `json:"parts"`
		} `json:"block_id"`
		Signatures []struct {
			Flag      int       `json:"block_id_flag"`
			Address   string    `json:"validator_address"`
			Timestamp time.Time `json:"timestamp"`
			Signature []byte    `json:"signature"`
		} `json:"signatures"`
	} `json:"commit"`
	TxHashes [][]byte `json:"tx_hashes"`
}

type specRecordJSON struct {
	ChainID string `json:"chain_id"`
	Genesis struct {
		Validators []struct {
			PubKey []byte `json:"pub_key"`
			Power  int64  `json:"power"`
		} `json:"validators"`
	} `json:"genesis"`
	Blocks []json.RawMessage `json:"blocks"`
}

// The page's values (docs/spec/cometbft.md, "A worked example").
var specCmt = map[string]string{
	"pub_key":     "80bad7aa61ccea96773c6a8a4d44d2aa1dfc00e0c17e2171b4d1c72261b9d379",
	"address":     "44f3767640164e8300b59916b498fb1f09328244",
	"validator":   "0a220a2080bad7aa61ccea96773c6a8a4d44d2aa1dfc00e0c17e2171b4d1c72261b9d379100a",
	"validators":  "804474c782d5342e47739482b6a929ae2d725679f626bf7af5e996b64678321c",
	"header_hash": "2e4c204fc979aceb8f9359a0054093728d3fef25e50253c9cce99247f14ea40d",
	"sign_bytes":  "74080211020000000000000022480a202e4c204fc979aceb8f9359a0054093728d3fef25e50253c9cce99247f14ea40d122408011220535e644c93aa36560ed045d240eb41e5234bb24f5ff52d463a83ced8a3634d882a0c0882f2d6ca061080cab5ee01320f65766f74652d73796e746865746963",
	"signature":   "bb9322d5988841042d9d516638b43abfcbecad8368464a0d821348aebc65130cfc6f22f4ea3a0936ac0d52ddf03214ae63397062e32c34ea2925f6cbb6ebe801",
	"leaf1":       "080b",
	"leaf2":       "0a0f65766f74652d73796e746865746963",
	"leaf3":       "0802",
	"leaf4":       "0882f2d6ca06",
	"leaf5":       "0a20c40d818fccce55684a3fe326e8959358d14685fa038d2711c13eda7522c819161224080112207a4be12774435a66ece6765b4d4577acd3e64f6f3e51df66dc668d659302b24b",
	"leaf6":       "0a20e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"leaf7":       "0a2037c073b1a1cb40d51251b9507e7217fdc68a012d3022d8eb59f6ecef9bae45b4",
	"leaf8":       "0a20804474c782d5342e47739482b6a929ae2d725679f626bf7af5e996b64678321c",
	"leaf9":       "0a20804474c782d5342e47739482b6a929ae2d725679f626bf7af5e996b64678321c",
	"leaf10":      "0a20e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"leaf11":      "0a204ff46696349547564b575376f758e39299cef35bb7e725ba5b91e108e7a68f6a",
	"leaf12":      "0a20e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"leaf13":      "0a20e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"leaf14":      "0a1444f3767640164e8300b59916b498fb1f09328244",
}

// The page also prints the validator leaf and the sign bytes in fenced
// blocks, field by field with comments: the block after each marker line.
var specCmtFenced = map[string]string{
	"validator":  "Its `SimpleValidator`:",
	"sign_bytes": "The validator signed these 117 bytes:",
}

// fencedHex is the hex of the fenced block that follows marker in doc:
// on each line, what comes before the first run of two spaces (the
// comment), without its spaces.
func fencedHex(doc, marker string) string {
	_, rest, ok := strings.Cut(doc, marker+"\n\n```\n")
	if !ok {
		return ""
	}
	block, _, _ := strings.Cut(rest, "```")
	var out strings.Builder
	for _, line := range strings.Split(block, "\n") {
		code, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
		out.WriteString(strings.ReplaceAll(code, " ", ""))
	}
	return out.String()
}

func TestCometBFTSpecExample(t *testing.T) {
	root := moduleRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "observer", "testdata", "small-record.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec specRecordJSON
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	var b specBlockJSON
	if err := json.Unmarshal(rec.Blocks[1], &b); err != nil {
		t.Fatal(err)
	}
	h := b.Header
	hx := func(s string) []byte { return unhex(t, s) }

	// The validator set: one SimpleValidator per validator.
	v := rec.Genesis.Validators[0]
	addr := sha256.Sum256(v.PubKey)
	valLeaf := append(pbMessage(1, pbBytes(1, v.PubKey)), pbVarint(2, uint64(v.Power))...)
	valsHash := rfc6962Root([][]byte{valLeaf})
	if !bytes.Equal(valsHash, hx(h.ValidatorsHash)) {
		t.Fatalf("validators hash %x, the header's %s", valsHash, h.ValidatorsHash)
	}
	if !bytes.Equal(addr[:20], hx(h.ProposerAddress)) {
		t.Fatalf("address %x, the proposer's %s", addr[:20], h.ProposerAddress)
	}

	// The data hash: the Merkle root of the transactions' SHA-256.
	if got := rfc6962Root(b.TxHashes); !bytes.Equal(got, hx(h.DataHash)) {
		t.Fatalf("data hash %x, the header's %s", got, h.DataHash)
	}

	// The header's 14 leaves.
	leaves := [][]byte{
		pbVarint(1, 11), // version {block 11, app 0}
		pbBytes(1, []byte(h.ChainID)),
		pbVarint(1, uint64(b.Height)),
		pbTimestamp(h.Time),
		pbBlockID(hx(h.LastBlockID.Hash), h.LastBlockID.Parts.Total, hx(h.LastBlockID.Parts.Hash)),
	}
	for _, s := range []string{h.LastCommitHash, h.DataHash, h.ValidatorsHash, h.NextValidatorsHash,
		h.ConsensusHash, h.AppHash, h.LastResultsHash, h.EvidenceHash, h.ProposerAddress} {
		leaves = append(leaves, pbBytes(1, hx(s)))
	}
	headerHash := rfc6962Root(leaves)
	c := b.Commit
	if !bytes.Equal(headerHash, hx(c.BlockID.Hash)) {
		t.Fatalf("header hash %x, the commit's block id %s", headerHash, c.BlockID.Hash)
	}

	// The vote's sign bytes.
	sig := c.Signatures[0]
	vote := pbVarint(1, 2)
	vote = append(vote, pbSfixed64(2, b.Height)...)
	vote = append(vote, pbSfixed64(3, c.Round)...)
	vote = append(vote, pbMessage(4, pbBlockID(hx(c.BlockID.Hash), c.BlockID.Parts.Total, hx(c.BlockID.Parts.Hash)))...)
	vote = append(vote, pbMessage(5, pbTimestamp(sig.Timestamp))...)
	vote = append(vote, pbBytes(6, []byte(rec.ChainID))...)
	signBytes := append(binary.AppendUvarint(nil, uint64(len(vote))), vote...)
	if sig.Flag != 2 || !ed25519.Verify(v.PubKey, signBytes, sig.Signature) {
		t.Fatal("the vote's signature does not verify over the sign bytes")
	}

	got := map[string]string{
		"pub_key":     hex.EncodeToString(v.PubKey),
		"address":     hex.EncodeToString(addr[:20]),
		"validator":   hex.EncodeToString(valLeaf),
		"validators":  hex.EncodeToString(valsHash),
		"header_hash": hex.EncodeToString(headerHash),
		"sign_bytes":  hex.EncodeToString(signBytes),
		"signature":   hex.EncodeToString(sig.Signature),
	}
	for i, l := range leaves {
		got[fmt.Sprintf("leaf%d", i+1)] = hex.EncodeToString(l)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "spec", "cometbft.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(specCmt) {
		t.Fatalf("%d values computed, %d on the page", len(got), len(specCmt))
	}
	for k, w := range specCmt {
		if got[k] != w {
			t.Errorf("%s = %s, the page says %s", k, got[k], w)
		}
		if !strings.Contains(string(doc), "`"+w+"`") {
			t.Errorf("the page does not print %s %s", k, w)
		}
	}
	for k, marker := range specCmtFenced {
		if f := fencedHex(string(doc), marker); f != specCmt[k] {
			t.Errorf("the page's fenced %s is %s, want %s", k, f, specCmt[k])
		}
	}
	if t.Failed() {
		return
	}

	// The code agrees: cmtlite's header hash, validator set, address and
	// sign bytes on the same block.
	var blk struct {
		Header json.RawMessage `json:"header"`
		Commit json.RawMessage `json:"commit"`
	}
	if err := json.Unmarshal(rec.Blocks[1], &blk); err != nil {
		t.Fatal(err)
	}
	ch, err := cmtlite.ParseHeader(blk.Header)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cmtlite.ParseCommit(blk.Commit)
	if err != nil {
		t.Fatal(err)
	}
	set, err := cmtlite.NewValidatorSet([]cmtlite.Validator{{PubKey: [32]byte(v.PubKey), Power: v.Power}})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := cc.VoteSignBytes(rec.ChainID, 0)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case !bytes.Equal(ch.Hash(), headerHash):
		t.Fatalf("cmtlite's header hash %x, the page's %x", ch.Hash(), headerHash)
	case !bytes.Equal(set.Hash(), valsHash):
		t.Fatalf("cmtlite's validators hash %x, the page's %x", set.Hash(), valsHash)
	case !bytes.Equal(set.Validators()[0].Address(), addr[:20]):
		t.Fatalf("cmtlite's address %x, the page's %x", set.Validators()[0].Address(), addr[:20])
	case !bytes.Equal(sb, signBytes):
		t.Fatalf("cmtlite's sign bytes %x, the page's %x", sb, signBytes)
	}
	if err := set.VerifyCommitLightAllSignatures(rec.ChainID, cc.BlockID, ch.Height, cc); err != nil {
		t.Fatal(err)
	}
}

// TestCometBFTSpecValidatorOrder: the page's three-validator set, ordered
// and hashed from the page's text, and by observer/cmtlite.
func TestCometBFTSpecValidatorOrder(t *testing.T) {
	type val struct {
		key   []byte
		power int64
		addr  []byte
	}
	var vals []val
	for i, power := range []int64{10, 20, 10} {
		key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32)).Public().(ed25519.PublicKey)
		a := sha256.Sum256(key)
		vals = append(vals, val{key, power, a[:20]})
	}
	// By power, greatest first, then by address.
	sorted := append([]val(nil), vals...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			a, b := sorted[i], sorted[j]
			if b.power > a.power || b.power == a.power && bytes.Compare(b.addr, a.addr) < 0 {
				sorted[i], sorted[j] = b, a
			}
		}
	}
	var leaves [][]byte
	var order []string
	for _, v := range sorted {
		leaves = append(leaves, append(pbMessage(1, pbBytes(1, v.key)), pbVarint(2, uint64(v.power))...))
		order = append(order, hex.EncodeToString(v.addr))
	}
	hash := rfc6962Root(leaves)

	var cv []cmtlite.Validator
	for _, v := range vals {
		cv = append(cv, cmtlite.Validator{PubKey: [32]byte(v.key), Power: v.power})
	}
	set, err := cmtlite.NewValidatorSet(cv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(set.Hash(), hash) {
		t.Fatalf("cmtlite's hash %x, the page's %x", set.Hash(), hash)
	}
	for i, v := range set.Validators() {
		if hex.EncodeToString(v.Address()) != order[i] {
			t.Fatalf("cmtlite's validator %d is %x, the page's %s", i, v.Address(), order[i])
		}
	}
	doc, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "spec", "cometbft.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append(order, hex.EncodeToString(hash),
		hex.EncodeToString(vals[0].key), hex.EncodeToString(vals[1].key), hex.EncodeToString(vals[2].key)) {
		if !strings.Contains(string(doc), "`"+w+"`") {
			t.Errorf("the page does not print %s", w)
		}
	}
}
