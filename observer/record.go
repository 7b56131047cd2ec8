package observer

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/evote/evote/election"
)

// The election record (docs/spec/record.md): one JSON object whose members
// come in a fixed order, the blocks array written and read one block at a
// time, so that neither side holds more than a block.
//
//	{"format": "evote/v1/record", "chain_id": ..., "genesis": {...},
//	 "election": ..., "manifest": ..., "blocks": [{...}, ...], "claims": {...}}

// RecordFormat is the record's format tag and version. Since evote/v3 a
// record's blocks carry the chain's validator-update transactions beside
// the election's, from block 1 on, so that the verifier follows the
// validator set through its changes. RecordFormatV2 records (no validator
// change) and RecordFormatV1 records (before the state commitment: no
// block carries a state, and block 1's app hash is evote/v1's) are still
// read and verified.
const (
	RecordFormat   = "evote/v3/record"
	RecordFormatV2 = "evote/v2/record"
	RecordFormatV1 = "evote/v1/record"
)

// ErrRecordFormat is wrapped by every failure to read a record's structure.
var ErrRecordFormat = errors.New("observer: malformed record")

// Limits of a record's parts.
const (
	// maxBlockJSON bounds one block of the record: CometBFT's largest block
	// (100 MiB of transactions) base64-encoded, with room for the proofs.
	maxBlockJSON = 160 << 20
	// maxHeadJSON bounds each member before the blocks and the claims.
	maxHeadJSON = 4 << 20
)

// RecordGenesis is what the chain fixed at its start: its validators
// (their Ed25519 consensus keys and voting power) and its app state (the
// JSON of election.Genesis: chain id and election authorities).
type RecordGenesis struct {
	AppState   json.RawMessage   `json:"app_state"`
	Validators []RecordValidator `json:"validators"`
}

// RecordValidator is one validator of the genesis.
type RecordValidator struct {
	PubKey Bytes `json:"pub_key"` // the 32-byte Ed25519 key, base64
	Power  int64 `json:"power"`
}

// RecordBlock is one block that carries the election's transactions or a
// validator update of the chain, or in which the election changed phase,
// or the chain's first block: its header
// and the commit that signs it, in CometBFT's JSON encoding; the SHA-256
// hashes of all the block's transactions in block order, whose Merkle root
// (RFC 6962, as CometBFT builds it) is the header's data hash; and the
// election's transactions among them and the chain's accepted
// validator-update transactions, each with its position.
//
// State, when set, is the election's state commitment after the block
// before (height-1) with its proof against this block's header's app hash
// (docs/spec/app-hash.md): every block after which the election's state
// changed is followed by one that carries it.
type RecordBlock struct {
	Height   int64           `json:"height"`
	Header   json.RawMessage `json:"header"`
	Commit   json.RawMessage `json:"commit"`
	TxHashes []Bytes         `json:"tx_hashes"`
	Txs      []RecordTx      `json:"txs"`
	State    *RecordState    `json:"state,omitempty"`
}

// RecordState is an election's state commitment (its canonical encoding,
// election.StateCommitment) and its state proof: the chain of writes and
// the commitment's path in the tree of elections (leaf index, leaf count,
// sibling hashes from the bottom up).
type RecordState struct {
	Commitment  Bytes   `json:"commitment"`
	WritesChain Bytes   `json:"writes_chain"`
	Index       int     `json:"index"`
	Total       int     `json:"total"`
	Aunts       []Bytes `json:"aunts"`
}

// NewRecordState is the record's form of commitment c and proof p.
func NewRecordState(c *election.StateCommitment, p *election.StateProof) (*RecordState, error) {
	enc, err := c.MarshalBinary()
	if err != nil {
		return nil, err
	}
	rs := &RecordState{Commitment: enc, WritesChain: p.WritesChain, Index: p.Path.Index, Total: p.Path.Total, Aunts: []Bytes{}}
	for _, a := range p.Path.Aunts {
		rs.Aunts = append(rs.Aunts, a)
	}
	return rs, nil
}

// Decode returns the commitment and the proof.
func (rs *RecordState) Decode() (*election.StateCommitment, *election.StateProof, error) {
	c := new(election.StateCommitment)
	if err := c.UnmarshalBinary(rs.Commitment); err != nil {
		return nil, nil, err
	}
	p := &election.StateProof{WritesChain: rs.WritesChain, Path: election.MerkleProof{Index: rs.Index, Total: rs.Total}}
	for _, a := range rs.Aunts {
		p.Path.Aunts = append(p.Path.Aunts, a)
	}
	return c, p, nil
}

// RecordTx is one of the election's accepted transactions in a block, or
// an accepted validator update of the chain.
type RecordTx struct {
	Index int    `json:"index"` // its position in the block
	Kind  string `json:"kind"`  // the kind's name; must match the envelope
	Tx    Bytes  `json:"tx"`    // the signed transaction, base64
	// Replaced is set on ballots only: true when a later ballot of the
	// same voter replaced this one.
	Replaced *bool `json:"replaced,omitempty"`
}

// RecordClaims is what the record says the election came to. None of it is
// taken on trust: the verifier derives each value from the blocks and
// requires the claim to equal it.
type RecordClaims struct {
	Phase      string        `json:"phase"`
	Failure    string        `json:"failure,omitempty"`
	JointKey   string        `json:"joint_key,omitempty"` // hex
	Qualified  []uint32      `json:"qualified"`
	RollSize   uint64        `json:"roll_size"`
	Ballots    uint64        `json:"ballots"` // counted ballots, revotes included
	Voters     uint64        `json:"voters"`  // voters with a counted ballot
	WeightCast uint64        `json:"weight_cast"`
	Aggregates []string      `json:"aggregates"` // hex of each 64-byte ciphertext, in aggregate order
	ShareSets  []uint32      `json:"share_sets"` // trustees whose decryption shares are in
	Result     *RecordResult `json:"result,omitempty"`
}

// RecordResult is the decrypted outcome.
type RecordResult struct {
	Trustees []uint32   `json:"trustees"` // whose shares were combined
	Totals   [][]uint64 `json:"totals"`   // per contest, per option
}

// RecordHead is everything before the blocks.
type RecordHead struct {
	ChainID  string        `json:"chain_id"`
	Genesis  RecordGenesis `json:"genesis"`
	Election election.ID   `json:"election"`
	Manifest Bytes         `json:"manifest"` // the canonical encoding
	// Format is the format of the record read (RecordFormat,
	// RecordFormatV2 or RecordFormatV1); the writer always writes
	// RecordFormat.
	Format string `json:"-"`
}

// RecordWriter writes a record as a stream: the head, then each block,
// then the claims.
type RecordWriter struct {
	w      *bufio.Writer
	blocks int
	state  int // 0 head not written, 1 in blocks, 2 closed
}

// NewRecordWriter writes the head of a record to w.
func NewRecordWriter(w io.Writer, head *RecordHead) (*RecordWriter, error) {
	rw := &RecordWriter{w: bufio.NewWriterSize(w, 256<<10)}
	gen, err := json.Marshal(head.Genesis)
	if err != nil {
		return nil, err
	}
	man, _ := json.Marshal(head.Manifest)
	chainID, _ := json.Marshal(head.ChainID)
	format, _ := json.Marshal(RecordFormat)
	fmt.Fprintf(rw.w, "{\n\"format\": %s,\n\"chain_id\": %s,\n\"genesis\": %s,\n\"election\": \"%v\",\n\"manifest\": %s,\n\"blocks\": [",
		format, chainID, gen, head.Election, man)
	rw.state = 1
	return rw, rw.flushErr()
}

func (rw *RecordWriter) flushErr() error {
	if rw.w.Buffered() > 128<<10 {
		return rw.w.Flush()
	}
	return nil
}

// WriteBlock appends one block.
func (rw *RecordWriter) WriteBlock(b *RecordBlock) error {
	if rw.state != 1 {
		return errors.New("observer: record writer is closed")
	}
	enc, err := json.Marshal(b)
	if err != nil {
		return err
	}
	if rw.blocks > 0 {
		rw.w.WriteString(",")
	}
	rw.w.WriteString("\n")
	rw.w.Write(enc)
	rw.blocks++
	return rw.flushErr()
}

// Close writes the claims and ends the record.
func (rw *RecordWriter) Close(c *RecordClaims) error {
	if rw.state != 1 {
		return errors.New("observer: record writer is closed")
	}
	rw.state = 2
	enc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	fmt.Fprintf(rw.w, "\n],\n\"claims\": %s"+RecordEnd, enc)
	return rw.w.Flush()
}

// RecordReader reads a record as a stream, checking its structure: the
// members in their order, no unknown member, nothing after the object.
type RecordReader struct {
	cr    *countingReader
	dec   *json.Decoder
	state int // 0 before head, 1 in blocks, 2 blocks done, 3 claims read
}

// countingReader counts the bytes read, for progress reports, bounds how
// far a single JSON value may run, and keeps the bytes from base on, so
// that the reader can look at the text of the value it just decoded.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64 // the count at which reads fail
	keep  []byte
	base  int64 // the offset of keep[0]
}

var errValueTooLong = errors.New("value too long")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		return 0, errValueTooLong
	}
	if rest := c.limit - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.keep = append(c.keep, p[:n]...)
	return n, err
}

// span returns the bytes between two offsets at or after base.
func (c *countingReader) span(start, end int64) []byte {
	return c.keep[start-c.base : end-c.base]
}

// drop forgets the bytes before offset upTo.
func (c *countingReader) drop(upTo int64) {
	rest := c.keep[upTo-c.base:]
	if cap(c.keep) > 1<<20 && len(rest) < cap(c.keep)/4 {
		rest = append([]byte(nil), rest...) // let a large buffer go
	}
	c.keep, c.base = rest, upTo
}

// NewRecordReader starts reading a record from r.
func NewRecordReader(r io.Reader) *RecordReader {
	cr := &countingReader{r: r, limit: maxHeadJSON}
	dec := json.NewDecoder(cr)
	dec.DisallowUnknownFields()
	return &RecordReader{cr: cr, dec: dec}
}

// Offset is how many bytes have been read so far.
func (rr *RecordReader) Offset() int64 { return rr.cr.n }

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRecordFormat, fmt.Sprintf(format, args...))
}

// allow lets the decoder read up to n more bytes (beyond what it buffered).
func (rr *RecordReader) allow(n int64) { rr.cr.limit = rr.cr.n + n }

func (rr *RecordReader) wrap(what string, err error) error {
	if errors.Is(err, errValueTooLong) {
		return bad("%s: too long", what)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return bad("%s: the record ends early", what)
	}
	return bad("%s: %v", what, err)
}

func (rr *RecordReader) delim(want json.Delim, what string) error {
	t, err := rr.dec.Token()
	if err != nil {
		return rr.wrap(what, err)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return bad("%s: want %q, found %v", what, string(want), t)
	}
	return nil
}

func (rr *RecordReader) key(want string) error {
	t, err := rr.dec.Token()
	if err != nil {
		return rr.wrap("member "+want, err)
	}
	if k, ok := t.(string); !ok || k != want {
		return bad("want member %q, found %v", want, t)
	}
	return nil
}

func (rr *RecordReader) member(name string, v any) error {
	if err := rr.key(name); err != nil {
		return err
	}
	rr.allow(maxHeadJSON)
	return rr.value(name, v)
}

// value reads the next JSON value into v, strictly: besides
// DisallowUnknownFields, every object key must be lowercase ASCII letters,
// digits or underscores, and none twice in one object (encoding/json
// matches keys without regard to case and keeps the last of a repeated
// key, which would let a record carry values the verifier never reads).
func (rr *RecordReader) value(what string, v any) error {
	start := rr.dec.InputOffset()
	if err := rr.dec.Decode(v); err != nil {
		return rr.wrap(what, err)
	}
	end := rr.dec.InputOffset()
	err := checkKeys(rr.cr.span(start, end))
	rr.cr.drop(end)
	if err != nil {
		return bad("%s: %v", what, err)
	}
	return nil
}

// checkKeys scans a JSON value (valid, as the decoder returned it) and
// fails on an object key that is not [a-z0-9_]+ or repeats in its object.
func checkKeys(b []byte) error {
	type frame struct {
		obj       bool
		expectKey bool
		keys      []string
	}
	var stack []frame
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{':
			stack = append(stack, frame{obj: true, expectKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].obj {
				stack[n-1].expectKey = true
			}
		case '"':
			start := i + 1
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			n := len(stack)
			if n == 0 || !stack[n-1].obj || !stack[n-1].expectKey {
				continue
			}
			key := string(b[start:min(i, len(b))])
			for _, c := range []byte(key) {
				if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
					return fmt.Errorf("object key %q: only lowercase letters, digits and _", key)
				}
			}
			for _, k := range stack[n-1].keys {
				if k == key {
					return fmt.Errorf("object key %q twice", key)
				}
			}
			stack[n-1].keys = append(stack[n-1].keys, key)
			stack[n-1].expectKey = false
		}
	}
	return nil
}

// ReadHead reads the members before the blocks and opens the blocks array.
func (rr *RecordReader) ReadHead() (*RecordHead, error) {
	if rr.state != 0 {
		return nil, errors.New("observer: ReadHead called twice")
	}
	rr.allow(maxHeadJSON)
	if err := rr.delim('{', "record"); err != nil {
		return nil, err
	}
	var format string
	if err := rr.member("format", &format); err != nil {
		return nil, err
	}
	if format != RecordFormat && format != RecordFormatV2 && format != RecordFormatV1 {
		return nil, bad("format %q, want %q (or %q, %q)", format, RecordFormat, RecordFormatV2, RecordFormatV1)
	}
	h := &RecordHead{Format: format}
	if err := rr.member("chain_id", &h.ChainID); err != nil {
		return nil, err
	}
	if err := rr.member("genesis", &h.Genesis); err != nil {
		return nil, err
	}
	if err := rr.member("election", &h.Election); err != nil {
		return nil, err
	}
	if err := rr.member("manifest", &h.Manifest); err != nil {
		return nil, err
	}
	if err := rr.key("blocks"); err != nil {
		return nil, err
	}
	if err := rr.delim('[', "blocks"); err != nil {
		return nil, err
	}
	rr.state = 1
	return h, nil
}

// NextBlock returns the next block, or nil and no error after the last.
func (rr *RecordReader) NextBlock() (*RecordBlock, error) {
	if rr.state != 1 {
		return nil, nil
	}
	rr.allow(maxBlockJSON)
	if !rr.dec.More() {
		if err := rr.delim(']', "blocks"); err != nil {
			return nil, err
		}
		rr.state = 2
		return nil, nil
	}
	b := new(RecordBlock)
	if err := rr.value("block", b); err != nil {
		return nil, err
	}
	return b, nil
}

// ReadClaims reads the claims after the last block and checks that the
// record ends there.
func (rr *RecordReader) ReadClaims() (*RecordClaims, error) {
	if rr.state != 2 {
		return nil, errors.New("observer: ReadClaims before the end of the blocks")
	}
	c := new(RecordClaims)
	if err := rr.member("claims", c); err != nil {
		return nil, err
	}
	if err := rr.delim('}', "record"); err != nil {
		return nil, err
	}
	rr.allow(1 << 10)
	if _, err := rr.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bad("data after the record")
	}
	rr.state = 3
	return c, nil
}

// Bytes is a byte string of the record: standard base64 with padding, in
// its one canonical form (no escapes, the unused bits of the last digit
// zero), so that no two texts of a record carry the same bytes.
type Bytes []byte

// UnmarshalJSON decodes the strict form.
func (b *Bytes) UnmarshalJSON(text []byte) error {
	if len(text) < 2 || text[0] != '"' || text[len(text)-1] != '"' {
		return errors.New("a byte string must be a base64 JSON string")
	}
	text = text[1 : len(text)-1]
	out := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Strict().Decode(out, text)
	if err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	*b = out[:n]
	return nil
}

// genesisFingerprintTag prefixes the genesis fingerprint's hash.
const genesisFingerprintTag = "evote/v1/genesis-fingerprint"

// GenesisFingerprint is what a verifier anchors on, in a form people can
// compare with what the network publishes: hex SHA-256 of
//
//	"evote/v1/genesis-fingerprint" || u32 len(chain_id) || chain_id
//	|| u32 len(app_state) || app_state (canonical form)
//	|| for each validator, in the genesis order: [32] Ed25519 key || u64 power
func (h *RecordHead) GenesisFingerprint() (string, error) {
	canon, err := election.CanonicalAppState(h.Genesis.AppState)
	if err != nil {
		return "", err
	}
	d := sha256.New()
	d.Write([]byte(genesisFingerprintTag))
	var n [8]byte
	binary.BigEndian.PutUint32(n[:4], uint32(len(h.ChainID)))
	d.Write(n[:4])
	d.Write([]byte(h.ChainID))
	binary.BigEndian.PutUint32(n[:4], uint32(len(canon)))
	d.Write(n[:4])
	d.Write(canon)
	for _, v := range h.Genesis.Validators {
		d.Write(v.PubKey)
		binary.BigEndian.PutUint64(n[:], uint64(v.Power))
		d.Write(n[:])
	}
	return hex.EncodeToString(d.Sum(nil)), nil
}
