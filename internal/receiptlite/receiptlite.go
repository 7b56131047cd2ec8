// Package receiptlite checks a ballot's receipt (the API's receipt,
// docs/spec/wallet-receipt.md) with no part of CometBFT, so that the web wallet can check its receipts in the
// browser: the block header and commit are read and checked by
// observer/cmtlite, the Merkle proof of the transaction here. Verify
// accepts exactly the receipts that chain.VerifyReceipt accepts (its tests
// hold the two to each other on real receipts and on altered ones), and
// CheckFile applies the wallet receipt file's checks of
// receiptfile.File.CheckOffline (docs/spec/wallet-receipt.md).
//
// The trust anchor is the validator set given to Verify (the genesis
// validators, or a later set on the way to the receipt's block): the
// receipt's validator hops lead from it to the set in force at the block,
// and more than 2/3 of that set's voting power must have signed the commit
// (docs/spec/wallet-receipt.md, "Validator changes"). The receipt's own
// validator set is only checked to be the header's.
//
// Receipt and Validator are api.Receipt and api.Validator on the wire
// (the tests hold them to it): package api holds the HTTP client too, and
// net/http would double the browser's module.
package receiptlite

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer/cmtlite"
	"github.com/evote/evote/wallet"
)

// ErrBad wraps every failure of a receipt's check.
var ErrBad = errors.New("receipt check failed")

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBad, fmt.Sprintf(format, args...))
}

// Validator is api.Validator: a validator as the node's status shows it
// and a receipt file records it.
type Validator struct {
	Address string `json:"address"` // hex
	PubKey  []byte `json:"pub_key"` // Ed25519, base64
	Power   int64  `json:"power"`
}

// Receipt is api.Receipt: proof that a transaction is in a committed
// block, its CometBFT parts in CometBFT's JSON.
type Receipt struct {
	State        string          `json:"state,omitempty"` // committed or refused (api.Receipt)
	ChainID      string          `json:"chain_id"`
	TrackingCode string          `json:"tracking_code"` // hex SHA-256 of the transaction
	Height       int64           `json:"height"`
	Index        int             `json:"index"`
	Code         uint32          `json:"code"` // the result code, by number
	Log          string          `json:"log"`
	TxHash       HexBytes        `json:"tx_hash"`
	Proof        json.RawMessage `json:"proof"`
	Header       json.RawMessage `json:"header"`
	Commit       json.RawMessage `json:"commit"`
	ValidatorSet json.RawMessage `json:"validator_set"`
	NextHeader   json.RawMessage `json:"next_header,omitempty"`
	NextCommit   json.RawMessage `json:"next_commit,omitempty"`
	Result       HexBytes        `json:"result,omitempty"`
	ResultProof  json.RawMessage `json:"result_proof,omitempty"`
	// ValidatorHops is api.Receipt's: the validator changes from the
	// genesis to block Height+1.
	ValidatorHops []ValidatorHop `json:"validator_hops,omitempty"`
}

// ValidatorHop is api.ValidatorHop: the header announcing a change of the
// validators, its commit and the new set, in CometBFT's JSON.
type ValidatorHop struct {
	Header       json.RawMessage `json:"header"`
	Commit       json.RawMessage `json:"commit"`
	ValidatorSet json.RawMessage `json:"validator_set"`
}

// MaxValidatorHops is chain.MaxValidatorHops.
const MaxValidatorHops = 1000

// Proven says whether r carries the result part (chain.Receipt.Proven).
func (r *Receipt) Proven() bool {
	return !isNull(r.NextHeader) || !isNull(r.NextCommit) || r.Result != nil || !isNull(r.ResultProof)
}

// HexBytes is api.HexBytes: bytes as lower-case hex in JSON.
type HexBytes []byte

// MarshalText writes lower-case hex.
func (b HexBytes) MarshalText() ([]byte, error) { return hex.AppendEncode(nil, b), nil }

// UnmarshalText reads hex.
func (b *HexBytes) UnmarshalText(t []byte) error {
	v, err := hex.DecodeString(string(t))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MaxValidators bounds the validator sets accepted (receiptfile's bound).
const MaxValidators = 1000

// ValidatorSet builds the set of the API's entries, checking that every
// address is its key's.
func ValidatorSet(entries []Validator) (*cmtlite.ValidatorSet, error) {
	if len(entries) == 0 {
		return nil, errors.New("no validators")
	}
	if len(entries) > MaxValidators {
		return nil, fmt.Errorf("%d validators, at most %d", len(entries), MaxValidators)
	}
	vals := make([]cmtlite.Validator, 0, len(entries))
	for _, e := range entries {
		if len(e.PubKey) != 32 {
			return nil, fmt.Errorf("validator %s: public key of %d bytes is not an Ed25519 key", e.Address, len(e.PubKey))
		}
		var v cmtlite.Validator
		copy(v.PubKey[:], e.PubKey)
		v.Power = e.Power
		if !strings.EqualFold(hex.EncodeToString(v.Address()), e.Address) {
			return nil, fmt.Errorf("validator %s: its key's address is %X", e.Address, v.Address())
		}
		vals = append(vals, v)
	}
	return cmtlite.NewValidatorSet(vals)
}

// int64s is CometBFT's JSON of a 64-bit integer: a decimal string.
type int64s int64

func (n *int64s) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	*n = int64s(v)
	return err
}

// hexBytes is CometBFT's JSON of a HexBytes: upper- or lower-case hex.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

// txProof is CometBFT's JSON of a types.TxProof.
type txProof struct {
	RootHash hexBytes `json:"root_hash"`
	Data     []byte   `json:"data"`
	Proof    struct {
		Total    int64s   `json:"total"`
		Index    int64s   `json:"index"`
		LeafHash []byte   `json:"leaf_hash"`
		Aunts    [][]byte `json:"aunts"`
	} `json:"proof"`
}

// validate is TxProof.Validate (CometBFT v0.38): the root is the data
// hash, the leaf is the transaction's hash and the aunts lead from it to
// the root.
func (p *txProof) validate(dataHash []byte) error {
	if !bytes.Equal(dataHash, p.RootHash) {
		return errors.New("proof matches different data hash")
	}
	if p.Proof.Index < 0 {
		return errors.New("proof index cannot be negative")
	}
	if p.Proof.Total <= 0 {
		return errors.New("proof total must be positive")
	}
	if p.RootHash == nil {
		return errors.New("proof is not internally consistent")
	}
	txHash := sha256.Sum256(p.Data)
	if !bytes.Equal(p.Proof.LeafHash, leafHash(txHash[:])) {
		return errors.New("proof is not internally consistent")
	}
	root, err := rootFromAunts(int64(p.Proof.Index), int64(p.Proof.Total), p.Proof.LeafHash, p.Proof.Aunts)
	if err != nil || !bytes.Equal(root, p.RootHash) {
		return errors.New("proof is not internally consistent")
	}
	return nil
}

func leafHash(leaf []byte) []byte {
	h := sha256.Sum256(append([]byte{0}, leaf...))
	return h[:]
}

func innerHash(left, right []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

// rootFromAunts is CometBFT's computeHashFromAunts.
func rootFromAunts(index, total int64, leaf []byte, aunts [][]byte) ([]byte, error) {
	if index >= total || index < 0 || total <= 0 {
		return nil, fmt.Errorf("invalid index %d and/or total %d", index, total)
	}
	if total == 1 {
		if len(aunts) != 0 {
			return nil, errors.New("unexpected inner hashes")
		}
		return leaf, nil
	}
	if len(aunts) == 0 {
		return nil, errors.New("expected at least one inner hash")
	}
	k := int64(1)
	for k*2 < total {
		k *= 2
	}
	last := aunts[len(aunts)-1]
	if index < k {
		left, err := rootFromAunts(index, k, leaf, aunts[:len(aunts)-1])
		if err != nil {
			return nil, err
		}
		return innerHash(left, last), nil
	}
	right, err := rootFromAunts(index-k, total-k, leaf, aunts[:len(aunts)-1])
	if err != nil {
		return nil, err
	}
	return innerHash(last, right), nil
}

// cmtValidatorSet is CometBFT's JSON of a types.ValidatorSet, as far as
// its hash and ValidateBasic need it.
type cmtValidatorSet struct {
	Validators []cmtValidator `json:"validators"`
	Proposer   *cmtValidator  `json:"proposer"`
}

type cmtValidator struct {
	Address hexBytes `json:"address"`
	PubKey  struct {
		Type  string `json:"type"`
		Value []byte `json:"value"`
	} `json:"pub_key"`
	VotingPower      int64s `json:"voting_power"`
	ProposerPriority int64s `json:"proposer_priority"`
}

func (v *cmtValidator) lite() (cmtlite.Validator, error) {
	var out cmtlite.Validator
	if v.PubKey.Type != "tendermint/PubKeyEd25519" || len(v.PubKey.Value) != 32 {
		return out, fmt.Errorf("validator %X: not an Ed25519 key", []byte(v.Address))
	}
	copy(out.PubKey[:], v.PubKey.Value)
	out.Power = int64(v.VotingPower)
	if v.VotingPower < 0 {
		return out, errors.New("validator has negative voting power")
	}
	if !bytes.Equal(v.Address, out.Address()) {
		return out, fmt.Errorf("validator address is incorrectly derived from pubkey")
	}
	return out, nil
}

// receiptSetHash checks the receipt's validator set as ValidatorSet.
// ValidateBasic does and returns its hash.
func receiptSetHash(raw json.RawMessage) ([]byte, error) {
	h, _, err := parseSet(raw)
	return h, err
}

// parseSet checks a validator set in CometBFT's JSON as ValidatorSet.
// ValidateBasic does and returns its hash, of the validators in the order
// given, and its validators.
func parseSet(raw json.RawMessage) ([]byte, []cmtlite.Validator, error) {
	var s cmtValidatorSet
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, nil, err
	}
	if len(s.Validators) == 0 {
		return nil, nil, errors.New("validator set is nil or empty")
	}
	vals := make([]cmtlite.Validator, 0, len(s.Validators))
	for i := range s.Validators {
		v, err := s.Validators[i].lite()
		if err != nil {
			return nil, nil, fmt.Errorf("invalid validator #%d: %w", i, err)
		}
		vals = append(vals, v)
	}
	if s.Proposer == nil {
		return nil, nil, errors.New("proposer failed validate basic, error: nil validator")
	}
	if _, err := s.Proposer.lite(); err != nil {
		return nil, nil, fmt.Errorf("proposer failed validate basic, error: %w", err)
	}
	// The hash is of the validators in the order given, as CometBFT's
	// ValidatorSet.Hash: a set decoded from JSON is not reordered.
	leaves := make([][]byte, len(vals))
	for i, v := range vals {
		leaves[i] = simpleValidator(v)
	}
	return cmtlite.MerkleRoot(leaves), vals, nil
}

// simpleValidator is the protobuf encoding of tendermint.types.
// SimpleValidator {pub_key = 1 (tendermint.crypto.PublicKey {ed25519 = 1}),
// voting_power = 2}, the leaf of a validator set's hash.
func simpleValidator(v cmtlite.Validator) []byte {
	b := []byte{0x0a, 34, 0x0a, 32}
	b = append(b, v.PubKey[:]...)
	if v.Power != 0 {
		b = append(b, 0x10)
		b = binary.AppendUvarint(b, uint64(v.Power))
	}
	return b
}

// Verify checks r against the trusted validators and the chain id, as
// chain.VerifyReceipt does: the transaction hashes to the receipt's hash
// and tracking code, the Merkle proof leads from it to the header's data
// hash, the header and commit are well formed and of the receipt's height,
// the commit is the header's block, the receipt's validator set is the
// header's, the validator hops lead from trusted to the set the header
// names, and more than 2/3 of that set's voting power signed the commit.
// It returns the transaction. Every failure is ErrBad.
func Verify(r *Receipt, trusted *cmtlite.ValidatorSet, chainID string) (tx []byte, err error) {
	switch {
	case r == nil:
		return nil, bad("no receipt")
	case trusted == nil || trusted.Size() == 0:
		return nil, bad("no trusted validator set")
	case isNull(r.Header) || isNull(r.Commit) || isNull(r.ValidatorSet):
		return nil, bad("missing header, commit or validator set")
	}
	var proof txProof
	if !isNull(r.Proof) {
		if err := json.Unmarshal(r.Proof, &proof); err != nil {
			return nil, bad("proof: %v", err)
		}
	}
	header, err := cmtlite.ParseHeader(r.Header)
	if err != nil {
		return nil, bad("header: %v", err)
	}
	commit, err := cmtlite.ParseCommit(r.Commit)
	if err != nil {
		return nil, bad("commit: %v", err)
	}
	if r.ChainID != chainID || header.ChainID != chainID {
		return nil, bad("chain id %q (header %q), want %q", r.ChainID, header.ChainID, chainID)
	}
	sum := sha256.Sum256(proof.Data)
	if !bytes.Equal(r.TxHash, sum[:]) {
		return nil, bad("the transaction does not hash to TxHash")
	}
	if code, err := hex.DecodeString(r.TrackingCode); err != nil || !bytes.Equal(code, sum[:]) {
		return nil, bad("tracking code %q is not the transaction hash", r.TrackingCode)
	}
	if r.Height != header.Height || r.Height != commit.Height {
		return nil, bad("height %d, header %d, commit %d", r.Height, header.Height, commit.Height)
	}
	if int64(r.Index) != int64(proof.Proof.Index) {
		return nil, bad("index %d, proof index %d", r.Index, proof.Proof.Index)
	}
	if err := proof.validate(header.DataHash); err != nil {
		return nil, bad("inclusion proof: %v", err)
	}
	if !bytes.Equal(header.Hash(), commit.BlockID.Hash) {
		return nil, bad("the commit is for another block")
	}
	setHash, err := receiptSetHash(r.ValidatorSet)
	if err != nil {
		return nil, bad("validator set: %v", err)
	}
	if !bytes.Equal(setHash, header.ValidatorsHash) {
		return nil, bad("the validator set is not the header's")
	}
	w, err := newHopWalk(r, trusted, chainID)
	if err != nil {
		return nil, err
	}
	cur, err := w.to(r.Height)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(header.ValidatorsHash, cur.Hash()) {
		return nil, bad("the header names validators the trusted set never reached (%s): a validator change before block %d is missing from the receipt", w.reached(), r.Height)
	}
	if err := cur.VerifyCommitLightAllSignatures(chainID, commit.BlockID, r.Height, commit); err != nil {
		return nil, bad("commit signatures: %v", err)
	}
	next, err := w.to(r.Height + 1)
	if err != nil {
		return nil, err
	}
	if r.Proven() {
		if err := verifyResult(r, commit, int64(proof.Proof.Total), next, chainID); err != nil {
			return nil, err
		}
	}
	return proof.Data, nil
}

// hop is a parsed validator hop.
type hop struct {
	header *cmtlite.Header
	commit *cmtlite.Commit
	vals   []cmtlite.Validator // in the order given, which hashes to the header's NextValidatorsHash
}

// hopWalk is chain's walk of the validator hops (chain.hopWalk): every
// hop well formed (of the chain, in increasing height up to the
// receipt's, its commit the header's, its set the one the header
// announces); the walk starts at the first hop whose header names the
// trusted set, and from there each hop's header names the set in force,
// more than 2/3 of its power signed the hop's commit, and the hop's set
// comes into force.
type hopWalk struct {
	hops    []hop
	cur     *cmtlite.ValidatorSet
	next    int
	walked  int
	chainID string
}

func newHopWalk(r *Receipt, trusted *cmtlite.ValidatorSet, chainID string) (*hopWalk, error) {
	if len(r.ValidatorHops) > MaxValidatorHops {
		return nil, bad("%d validator hops, at most %d", len(r.ValidatorHops), MaxValidatorHops)
	}
	w := &hopWalk{cur: trusted, chainID: chainID}
	var prev int64
	for i, hr := range r.ValidatorHops {
		if isNull(hr.Header) || isNull(hr.Commit) || isNull(hr.ValidatorSet) {
			return nil, bad("validator hop %d: missing header, commit or validator set", i)
		}
		h, err := cmtlite.ParseHeader(hr.Header)
		if err != nil {
			return nil, bad("validator hop %d: header: %v", i, err)
		}
		c, err := cmtlite.ParseCommit(hr.Commit)
		if err != nil {
			return nil, bad("validator hop %d: commit: %v", i, err)
		}
		setHash, vals, err := parseSet(hr.ValidatorSet)
		if err != nil {
			return nil, bad("validator hop %d: validator set: %v", i, err)
		}
		if h.ChainID != chainID {
			return nil, bad("validator hop %d: chain id %q, want %q", i, h.ChainID, chainID)
		}
		if h.Height <= prev || h.Height > r.Height {
			return nil, bad("validator hop %d: height %d, not after %d and at most the receipt's %d", i, h.Height, prev, r.Height)
		}
		prev = h.Height
		if c.Height != h.Height || !bytes.Equal(h.Hash(), c.BlockID.Hash) {
			return nil, bad("validator hop %d: the commit is for another block", i)
		}
		if !bytes.Equal(setHash, h.NextValidatorsHash) {
			return nil, bad("validator hop %d: the validator set is not the one header %d announces", i, h.Height)
		}
		w.hops = append(w.hops, hop{header: h, commit: c, vals: vals})
	}
	w.next = len(w.hops)
	th := trusted.Hash()
	for i, hp := range w.hops {
		if bytes.Equal(hp.header.ValidatorsHash, th) {
			w.next = i
			break
		}
	}
	return w, nil
}

// to walks the hops of headers below height and returns the set in force
// at height.
func (w *hopWalk) to(height int64) (*cmtlite.ValidatorSet, error) {
	for ; w.next < len(w.hops) && w.hops[w.next].header.Height < height; w.next++ {
		hp := w.hops[w.next]
		h := hp.header
		if !bytes.Equal(h.ValidatorsHash, w.cur.Hash()) {
			return nil, bad("validator hop %d: header %d names validators the trusted set never reached (%s): a validator change before it is missing", w.next, h.Height, w.reached())
		}
		if err := w.cur.VerifyCommitLightAllSignatures(w.chainID, hp.commit.BlockID, h.Height, hp.commit); err != nil {
			return nil, bad("validator hop %d: commit signatures of header %d: %v", w.next, h.Height, err)
		}
		set, err := cmtlite.NewValidatorSet(hp.vals)
		if err != nil {
			return nil, bad("validator hop %d: validator set: %v", w.next, err)
		}
		w.cur = set
		w.walked++
	}
	return w.cur, nil
}

// reached says how far the walk went, for messages.
func (w *hopWalk) reached() string {
	if w.walked == 0 {
		return "no validator change followed"
	}
	return fmt.Sprintf("after %d validator change(s)", w.walked)
}

// Followed is how many validator changes a receipt that Verify accepted
// against trusted leads through (its hops walked from the first whose
// header names trusted: chain.Receipt.ValidatorSets), and the number of
// validators of the set that signed its block (the receipt's own set,
// which Verify holds to the header).
func Followed(r *Receipt, trusted *cmtlite.ValidatorSet) (changes, inForce int) {
	th := trusted.Hash()
	for i, hr := range r.ValidatorHops {
		if h, err := cmtlite.ParseHeader(hr.Header); err == nil && bytes.Equal(h.ValidatorsHash, th) {
			changes = len(r.ValidatorHops) - i
			break
		}
	}
	var s cmtValidatorSet
	if json.Unmarshal(r.ValidatorSet, &s) == nil {
		inForce = len(s.Validators)
	}
	return changes, inForce
}

// merkleProof is CometBFT's JSON of a crypto/merkle.Proof.
type merkleProof struct {
	Total    int64s   `json:"total"`
	Index    int64s   `json:"index"`
	LeafHash []byte   `json:"leaf_hash"`
	Aunts    [][]byte `json:"aunts"`
}

// verifyResult is chain's check of the result part: header Height+1
// follows the receipt's block and is the one its commit signs, more than
// 2/3 of trusted's power signed that commit, and the Merkle proof puts
// Result at Index of the header's LastResultsHash, among total results;
// the proven code is the receipt's.
func verifyResult(r *Receipt, commit *cmtlite.Commit, total int64, trusted *cmtlite.ValidatorSet, chainID string) error {
	if isNull(r.NextHeader) || isNull(r.NextCommit) || r.Result == nil || isNull(r.ResultProof) {
		return bad("result part incomplete: it needs the next header, its commit, the result and its proof")
	}
	next, err := cmtlite.ParseHeader(r.NextHeader)
	if err != nil {
		return bad("next header: %v", err)
	}
	nc, err := cmtlite.ParseCommit(r.NextCommit)
	if err != nil {
		return bad("next commit: %v", err)
	}
	var p merkleProof
	if err := json.Unmarshal(r.ResultProof, &p); err != nil {
		return bad("result proof: %v", err)
	}
	if next.ChainID != chainID {
		return bad("next header: chain id %q, want %q", next.ChainID, chainID)
	}
	if next.Height != r.Height+1 || nc.Height != r.Height+1 {
		return bad("next header %d, its commit %d, want %d", next.Height, nc.Height, r.Height+1)
	}
	if !next.LastBlockID.Equal(commit.BlockID) {
		return bad("the next header does not follow the receipt's block")
	}
	if !bytes.Equal(next.Hash(), nc.BlockID.Hash) {
		return bad("the next commit is for another block")
	}
	if !bytes.Equal(next.ValidatorsHash, trusted.Hash()) {
		return bad("the next header names validators the trusted set never reached: a validator change before block %d is missing from the receipt", next.Height)
	}
	if err := trusted.VerifyCommitLightAllSignatures(chainID, nc.BlockID, nc.Height, nc); err != nil {
		return bad("next commit signatures: %v", err)
	}
	if int64(p.Index) != int64(r.Index) || int64(p.Total) != total {
		return bad("result proof at %d of %d, the transaction at %d of %d", p.Index, p.Total, r.Index, total)
	}
	if next.LastResultsHash == nil {
		return bad("result proof: invalid root hash: cannot be nil")
	}
	if p.Total < 0 || p.Index < 0 || !bytes.Equal(p.LeafHash, leafHash(r.Result)) {
		return bad("result proof: not the result's")
	}
	root, err := rootFromAunts(int64(p.Index), int64(p.Total), p.LeafHash, p.Aunts)
	if err != nil || !bytes.Equal(root, next.LastResultsHash) {
		return bad("result proof: does not lead to the next header's last results hash")
	}
	res, err := DecodeResult(r.Result)
	if err != nil {
		return bad("result: %v", err)
	}
	if res.Code != r.Code {
		return bad("the node says code %d, the proven result is code %d", r.Code, res.Code)
	}
	return nil
}

// ExecResult is the deterministic part of a transaction's result that
// CometBFT commits to in the next header (chain.ResultBytes).
type ExecResult struct {
	Code      uint32
	Data      []byte
	GasWanted int64
	GasUsed   int64
}

// DecodeResult reads the deterministic encoding of a result: the protobuf
// encoding of tendermint.abci.ExecTxResult with only code (1), data (2),
// gas_wanted (5) and gas_used (6), each present only if not zero, in that
// order, varints minimal; anything else is refused (chain.DecodeResult
// accepts the same bytes: its tests hold the two to each other).
func DecodeResult(b []byte) (*ExecResult, error) {
	var out ExecResult
	last := 0
	for len(b) > 0 {
		field, wire := int(b[0]>>3), b[0]&7
		if b[0]&0x80 != 0 || field <= last {
			return nil, fmt.Errorf("field tag %#x out of order or unknown", b[0])
		}
		last = field
		b = b[1:]
		v, n := binary.Uvarint(b)
		if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
			return nil, errors.New("bad varint")
		}
		b = b[n:]
		switch {
		case field == 1 && wire == 0 && v != 0 && v <= 0xffffffff:
			out.Code = uint32(v)
		case field == 2 && wire == 2 && v != 0 && v <= uint64(len(b)):
			out.Data = bytes.Clone(b[:v])
			b = b[v:]
		case field == 5 && wire == 0 && v != 0:
			out.GasWanted = int64(v)
		case field == 6 && wire == 0 && v != 0:
			out.GasUsed = int64(v)
		default:
			return nil, fmt.Errorf("field %d (wire type %d) not in a deterministic result", field, wire)
		}
	}
	return &out, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// Tag, TagV2 and TagV1 are the versions of the wallet's receipt files
// (receiptfile.Tag, receiptfile.TagV2 and receiptfile.TagV1).
const (
	Tag   = "evote/v3/wallet-receipt"
	TagV2 = "evote/v2/wallet-receipt"
	TagV1 = "evote/v1/wallet-receipt"
)

// ErrIncomplete is a receipt file whose receipt does not have its result
// part yet (receiptfile.ErrIncomplete is this error).
var ErrIncomplete = fmt.Errorf("%w: the receipt does not prove the ballot's result yet (the next block is not in it)", ErrBad)

// RejectedError is a ballot rejected in its block, with its code
// (receiptfile.RejectedError is this type).
type RejectedError struct {
	Code   election.Code
	Log    string
	Proven bool
}

func (e *RejectedError) Error() string {
	how := "as the node recorded it"
	if e.Proven {
		how = "proven by the next block's results"
	}
	msg := fmt.Sprintf("%v: the ballot was rejected in its block: %s (code %d, %s)", ErrBad, e.Code, uint32(e.Code), how)
	if e.Log != "" {
		msg += ": " + e.Log
	}
	return msg
}

func (e *RejectedError) Unwrap() error { return ErrBad }

// File is the wallet's receipt file (docs/spec/wallet-receipt.md), field
// for field receiptfile.File, which links CometBFT and so cannot be in the
// browser's module.
type File struct {
	Version      string                `json:"version"`
	Node         string                `json:"node"`
	ChainID      string                `json:"chain_id"`
	Election     election.ID           `json:"election"`
	Voter        wallet.VoterPublicKey `json:"voter"`
	KeyName      string                `json:"key_name"`
	Seq          uint64                `json:"seq"`
	TrackingCode string                `json:"tracking_code"`
	CastAt       time.Time             `json:"cast_at"`
	Validators   []Validator           `json:"trusted_validators"`
	Receipt      *Receipt              `json:"receipt"`
	Ballot       []byte                `json:"ballot,omitempty"` // the signed ballot, while pending
}

// Parse decodes a receipt file as receiptfile.Parse does.
func Parse(raw []byte) (*File, error) {
	var r File
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: not a receipt file: %v", ErrBad, err)
	}
	if r.Version != Tag && r.Version != TagV2 && r.Version != TagV1 {
		return nil, fmt.Errorf("%w: version %q, want %q (or %q, %q)", ErrBad, r.Version, Tag, TagV2, TagV1)
	}
	if r.Version != Tag && r.Receipt != nil && len(r.Receipt.ValidatorHops) > 0 {
		return nil, fmt.Errorf("%w: a file of version %q has no validator hops (they came with %q)", ErrBad, r.Version, Tag)
	}
	if r.Voter.IsZero() {
		return nil, fmt.Errorf("%w: no voter", ErrBad)
	}
	if b, err := hex.DecodeString(r.TrackingCode); err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%w: tracking code %q is not 64 hex digits", ErrBad, r.TrackingCode)
	}
	return &r, nil
}

// ProvesAcceptance is receiptfile.File.ProvesAcceptance.
func (r *File) ProvesAcceptance() bool { return r.Receipt != nil && r.Receipt.Proven() }

// CheckOffline is receiptfile.File.CheckOffline: the receipt verifies
// against trusted (nil: the file's own trusted validators), and its
// transaction is this voter's accepted ballot in this election with this
// sequence number and tracking code. It returns the ballot's body.
func (r *File) CheckOffline(trusted *cmtlite.ValidatorSet) (*election.BallotBody, error) {
	if r.Receipt == nil {
		return nil, bad("the ballot's commit is not recorded yet (pending)")
	}
	if trusted == nil {
		set, err := ValidatorSet(r.Validators)
		if err != nil {
			return nil, bad("trusted validators: %v", err)
		}
		trusted = set
	}
	tx, err := Verify(r.Receipt, trusted, r.ChainID)
	if err != nil {
		return nil, err
	}
	if strings.ToLower(r.Receipt.TrackingCode) != r.TrackingCode {
		return nil, bad("the chain's receipt is for %s, the ballot is %s", r.Receipt.TrackingCode, r.TrackingCode)
	}
	env, err := election.DecodeTx(tx)
	if err != nil {
		return nil, bad("the transaction: %v", err)
	}
	if env.Kind != election.KindBallot || env.Signer != r.Voter.Key() || !env.Verify(r.ChainID) {
		return nil, bad("the transaction is not a ballot signed by %s", r.Voter)
	}
	body, err := election.DecodeBody(env.Kind, env.Body)
	if err != nil {
		return nil, bad("the ballot: %v", err)
	}
	bb := body.(*election.BallotBody)
	if bb.Election != r.Election || bb.Seq != r.Seq {
		return nil, bad("the ballot is for election %s with sequence number %d, the file says %s and %d", bb.Election, bb.Seq, r.Election, r.Seq)
	}
	if code := election.Code(r.Receipt.Code); code != election.CodeOK {
		return nil, &RejectedError{Code: code, Log: r.Receipt.Log, Proven: r.Receipt.Proven()}
	}
	if !r.Receipt.Proven() && r.Version != TagV1 {
		return nil, ErrIncomplete
	}
	return bb, nil
}
