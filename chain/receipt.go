package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
)

// ErrBadReceipt is wrapped by every failure of VerifyReceipt.
var ErrBadReceipt = errors.New("chain: receipt does not verify")

// Receipt proves that a transaction is in a committed block of the chain:
// the transaction and its Merkle proof against the block header's data
// hash, the header, the commit signed by the validators for that header,
// and the validator set at that height. It is given only after commit and
// is checked offline by VerifyReceipt against a trusted validator set.
//
// Once block Height+1 is committed, the receipt also proves the
// transaction's result (docs/spec/wallet-receipt.md, the result part):
// CometBFT commits the results of block h in header h+1 (LastResultsHash,
// the Merkle root of the deterministic encodings of the block's
// ExecTxResults), so the receipt carries header h+1, its commit, this
// transaction's deterministic result and its Merkle proof. Code is then
// the proven code; without the result part, Code and Log are only what the
// node says. Log is never covered (it is not part of the deterministic
// result).
type Receipt struct {
	ChainID      string
	TrackingCode string // the transaction hash, hex
	Height       int64
	Index        int // the transaction's position in the block
	Code         election.Code
	Log          string
	TxHash       []byte
	Proof        cmttypes.TxProof // holds the transaction itself (Proof.Data)
	Header       *cmttypes.Header
	Commit       *cmttypes.Commit
	ValidatorSet *cmttypes.ValidatorSet

	// The result part: all four or none.
	NextHeader  *cmttypes.Header // header Height+1
	NextCommit  *cmttypes.Commit // its commit
	Result      []byte           // the deterministic ExecTxResult of the transaction (ResultBytes)
	ResultProof *merkle.Proof    // Result's proof against NextHeader.LastResultsHash

	// Hops are the validator changes from the genesis to block Height+1,
	// in increasing height: none while the chain's validators never
	// changed (docs/spec/wallet-receipt.md, "Validator changes").
	Hops []ValidatorHop
}

// ValidatorHop proves one change of the validator set: the header at which
// CometBFT announces it (its NextValidatorsHash, the new set's, differs
// from its ValidatorsHash, the set in force), that header's commit, signed
// by the set in force, and the new set, in force from the next height on.
// A change returned by block h is announced in header h+1 and in force
// from h+2 (election.ValidatorDelay).
type ValidatorHop struct {
	Header       *cmttypes.Header
	Commit       *cmttypes.Commit
	ValidatorSet *cmttypes.ValidatorSet
}

// MaxValidatorHops bounds the hops a receipt may carry.
const MaxValidatorHops = 1000

// Proven says whether r carries the result part, so that (once verified)
// its Code is the code the state machine gave, not only the node's word.
func (r *Receipt) Proven() bool {
	return r.NextHeader != nil || r.NextCommit != nil || r.Result != nil || r.ResultProof != nil
}

// ResultBytes is the deterministic encoding of a transaction's result that
// CometBFT hashes into the next header's LastResultsHash: the protobuf
// encoding of tendermint.abci.ExecTxResult with only code (1), data (2),
// gas_wanted (5) and gas_used (6) set (types.NewResults).
func ResultBytes(res *abci.ExecTxResult) ([]byte, error) {
	return (&abci.ExecTxResult{Code: res.Code, Data: res.Data, GasWanted: res.GasWanted, GasUsed: res.GasUsed}).Marshal()
}

// DecodeResult reads ResultBytes strictly: the bytes must be the
// deterministic encoding of what they decode to.
func DecodeResult(b []byte) (*abci.ExecTxResult, error) {
	var res abci.ExecTxResult
	if err := res.Unmarshal(b); err != nil {
		return nil, err
	}
	again, err := ResultBytes(&res)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, b) {
		return nil, errors.New("not the deterministic encoding of a result")
	}
	return &res, nil
}

// Tx is the transaction the receipt is for.
func (r *Receipt) Tx() []byte { return r.Proof.Data }

// VerifyReceipt checks r offline: the transaction hashes to TxHash and to
// the tracking code; the Merkle proof puts it at Index in the header's
// DataHash; the header is the one the commit signs (chain id and height
// included); the header names the validator set in force at its height,
// every signature in the commit is valid and more than 2/3 of that set's
// voting power signed; and the receipt's validator set is the one the
// header names.
//
// trusted is the trust anchor: the genesis validators, or any set in force
// on the way from the genesis to the receipt's block (such as the set a
// node showed when the ballot was cast). The receipt's hops lead from it to
// the set in force at r.Height and at r.Height+1 (hopWalk); a header
// naming a set the walk did not reach fails.
//
// A receipt is untrusted input: VerifyReceipt returns an error wrapping
// ErrBadReceipt for anything wrong with it, and never panics.
func VerifyReceipt(r *Receipt, trusted *cmttypes.ValidatorSet, chainID string) (err error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadReceipt, fmt.Sprintf(format, args...))
	}
	defer func() {
		// CometBFT's types panic on some malformed values that their
		// ValidateBasic methods let through.
		if p := recover(); p != nil {
			err = bad("malformed: %v", p)
		}
	}()
	switch {
	case r == nil:
		return bad("no receipt")
	case trusted == nil || trusted.IsNilOrEmpty():
		return bad("no trusted validator set")
	case r.Header == nil || r.Commit == nil || r.ValidatorSet == nil:
		return bad("missing header, commit or validator set")
	}
	if r.ChainID != chainID || r.Header.ChainID != chainID {
		return bad("chain id %q (header %q), want %q", r.ChainID, r.Header.ChainID, chainID)
	}
	sum := sha256.Sum256(r.Proof.Data)
	if !bytes.Equal(r.TxHash, sum[:]) {
		return bad("the transaction does not hash to TxHash")
	}
	if r.TrackingCode != hex.EncodeToString(sum[:]) {
		return bad("tracking code %q is not the transaction hash", r.TrackingCode)
	}
	if r.Height != r.Header.Height || r.Height != r.Commit.Height {
		return bad("height %d, header %d, commit %d", r.Height, r.Header.Height, r.Commit.Height)
	}
	if int64(r.Index) != r.Proof.Proof.Index {
		return bad("index %d, proof index %d", r.Index, r.Proof.Proof.Index)
	}
	if err := r.Header.ValidateBasic(); err != nil {
		return bad("header: %v", err)
	}
	if err := r.Proof.Validate(r.Header.DataHash); err != nil {
		return bad("inclusion proof: %v", err)
	}
	if err := r.Commit.ValidateBasic(); err != nil {
		return bad("commit: %v", err)
	}
	if err := r.Commit.BlockID.ValidateBasic(); err != nil { // Commit.ValidateBasic does not
		return bad("commit block id: %v", err)
	}
	if !bytes.Equal(r.Header.Hash(), r.Commit.BlockID.Hash) {
		return bad("the commit is for another block")
	}
	if err := r.ValidatorSet.ValidateBasic(); err != nil {
		return bad("validator set: %v", err)
	}
	if !bytes.Equal(r.ValidatorSet.Hash(), r.Header.ValidatorsHash) {
		return bad("the validator set is not the header's")
	}
	w, err := newHopWalk(r, trusted, chainID, bad)
	if err != nil {
		return err
	}
	cur, err := w.to(r.Height)
	if err != nil {
		return err
	}
	if !bytes.Equal(r.Header.ValidatorsHash, cur.Hash()) {
		return bad("the header names validators the trusted set never reached (%s): a validator change before block %d is missing from the receipt", w.reached(), r.Height)
	}
	if err := cur.VerifyCommitLightAllSignatures(chainID, r.Commit.BlockID, r.Height, r.Commit); err != nil {
		return bad("commit signatures: %v", err)
	}
	next, err := w.to(r.Height + 1)
	if err != nil {
		return err
	}
	if !r.Proven() {
		return nil
	}
	return verifyResult(r, next, chainID, bad)
}

// ValidatorSets are the validator sets r's hops lead through from trusted:
// trusted, then the set of every hop from the first whose header names
// trusted on, in order; the last is the set in force at r.Height+1. They
// are proven only once VerifyReceipt(r, trusted, chainID) succeeded.
func (r *Receipt) ValidatorSets(trusted *cmttypes.ValidatorSet) []*cmttypes.ValidatorSet {
	out := []*cmttypes.ValidatorSet{trusted}
	th := trusted.Hash()
	for i, hp := range r.Hops {
		if hp.Header != nil && bytes.Equal(hp.Header.ValidatorsHash, th) {
			for _, h := range r.Hops[i:] {
				out = append(out, h.ValidatorSet)
			}
			break
		}
	}
	return out
}

// hopWalk follows a receipt's validator hops from the trusted set
// (docs/spec/wallet-receipt.md, "Validator changes"). Every hop must be
// well formed: a header of the chain, of a height above the previous
// hop's and not above the receipt's, its commit, and the set its
// NextValidatorsHash names. The walk starts at the first hop whose header
// names the trusted set (the hops before it, if any, lead to the trusted
// set from the genesis: a later anchor has no need of them); from there
// each hop's header must name the set in force and its commit carry
// valid signatures of more than 2/3 of that set's power, and its set
// becomes the set in force.
type hopWalk struct {
	r       *Receipt
	cur     *cmttypes.ValidatorSet
	next    int // the next hop to walk
	walked  int
	chainID string
	bad     func(string, ...any) error
}

func newHopWalk(r *Receipt, trusted *cmttypes.ValidatorSet, chainID string, bad func(string, ...any) error) (*hopWalk, error) {
	if len(r.Hops) > MaxValidatorHops {
		return nil, bad("%d validator hops, at most %d", len(r.Hops), MaxValidatorHops)
	}
	var prev int64
	for i, hp := range r.Hops {
		if hp.Header == nil || hp.Commit == nil || hp.ValidatorSet == nil {
			return nil, bad("validator hop %d: missing header, commit or validator set", i)
		}
		h := hp.Header
		if h.ChainID != chainID {
			return nil, bad("validator hop %d: chain id %q, want %q", i, h.ChainID, chainID)
		}
		if h.Height <= prev || h.Height > r.Height {
			return nil, bad("validator hop %d: height %d, not after %d and at most the receipt's %d", i, h.Height, prev, r.Height)
		}
		prev = h.Height
		if err := h.ValidateBasic(); err != nil {
			return nil, bad("validator hop %d: header: %v", i, err)
		}
		if err := hp.Commit.ValidateBasic(); err != nil {
			return nil, bad("validator hop %d: commit: %v", i, err)
		}
		if err := hp.Commit.BlockID.ValidateBasic(); err != nil {
			return nil, bad("validator hop %d: commit block id: %v", i, err)
		}
		if hp.Commit.Height != h.Height || !bytes.Equal(h.Hash(), hp.Commit.BlockID.Hash) {
			return nil, bad("validator hop %d: the commit is for another block", i)
		}
		if err := hp.ValidatorSet.ValidateBasic(); err != nil {
			return nil, bad("validator hop %d: validator set: %v", i, err)
		}
		if !bytes.Equal(hp.ValidatorSet.Hash(), h.NextValidatorsHash) {
			return nil, bad("validator hop %d: the validator set is not the one header %d announces", i, h.Height)
		}
	}
	w := &hopWalk{r: r, cur: trusted, next: len(r.Hops), chainID: chainID, bad: bad}
	th := trusted.Hash()
	for i, hp := range r.Hops {
		if bytes.Equal(hp.Header.ValidatorsHash, th) {
			w.next = i
			break
		}
	}
	return w, nil
}

// to walks the hops of headers below height and returns the set in force
// at height.
func (w *hopWalk) to(height int64) (*cmttypes.ValidatorSet, error) {
	for ; w.next < len(w.r.Hops) && w.r.Hops[w.next].Header.Height < height; w.next++ {
		hp := w.r.Hops[w.next]
		h := hp.Header
		if !bytes.Equal(h.ValidatorsHash, w.cur.Hash()) {
			return nil, w.bad("validator hop %d: header %d names validators the trusted set never reached (%s): a validator change before it is missing", w.next, h.Height, w.reached())
		}
		if err := w.cur.VerifyCommitLightAllSignatures(w.chainID, hp.Commit.BlockID, h.Height, hp.Commit); err != nil {
			return nil, w.bad("validator hop %d: commit signatures of header %d: %v", w.next, h.Height, err)
		}
		w.cur = hp.ValidatorSet
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

// verifyResult checks r's result part: header Height+1 names r's block as
// its last block and is the one its commit signs, it names the set in
// force (trusted, the set at Height+1) and more than 2/3 of that set's
// voting power signed its commit, and the Merkle proof puts
// Result at Index in the header's LastResultsHash, among as many results
// as the block has transactions; the proven code is r.Code.
func verifyResult(r *Receipt, trusted *cmttypes.ValidatorSet, chainID string, bad func(string, ...any) error) error {
	if r.NextHeader == nil || r.NextCommit == nil || r.Result == nil || r.ResultProof == nil {
		return bad("result part incomplete: it needs the next header, its commit, the result and its proof")
	}
	next, nc := r.NextHeader, r.NextCommit
	if next.ChainID != chainID {
		return bad("next header: chain id %q, want %q", next.ChainID, chainID)
	}
	if next.Height != r.Height+1 || nc.Height != r.Height+1 {
		return bad("next header %d, its commit %d, want %d", next.Height, nc.Height, r.Height+1)
	}
	if err := next.ValidateBasic(); err != nil {
		return bad("next header: %v", err)
	}
	if !next.LastBlockID.Equals(r.Commit.BlockID) {
		return bad("the next header does not follow the receipt's block")
	}
	if err := nc.ValidateBasic(); err != nil {
		return bad("next commit: %v", err)
	}
	if err := nc.BlockID.ValidateBasic(); err != nil {
		return bad("next commit block id: %v", err)
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
	p := r.ResultProof
	if p.Index != int64(r.Index) || p.Total != r.Proof.Proof.Total {
		return bad("result proof at %d of %d, the transaction at %d of %d", p.Index, p.Total, r.Index, r.Proof.Proof.Total)
	}
	if err := p.Verify(next.LastResultsHash, r.Result); err != nil {
		return bad("result proof: %v", err)
	}
	res, err := DecodeResult(r.Result)
	if err != nil {
		return bad("result: %v", err)
	}
	if election.Code(res.Code) != r.Code {
		return bad("the node says code %d, the proven result is code %d", uint32(r.Code), res.Code)
	}
	return nil
}

// A receipt travels in the API's form (api.Receipt, docs/spec/wallet-receipt.md):
// its plain fields, and its proof, header, commit and validator set in
// CometBFT's JSON encoding (libs/json, which can read back public keys),
// which the API keeps raw. CometParts and SetCometParts convert those four;
// the API's edges (web, internal/receiptfile) copy the plain fields.

// CometParts are a receipt's CometBFT objects in CometBFT's JSON encoding.
type CometParts struct {
	Proof, Header, Commit, ValidatorSet json.RawMessage
	// The result part's (absent without it); the result bytes
	// themselves are a plain field.
	NextHeader, NextCommit, ResultProof json.RawMessage
	// The validator hops' (none without them).
	Hops []HopParts
}

// HopParts are a ValidatorHop's objects in CometBFT's JSON encoding.
type HopParts struct {
	Header, Commit, ValidatorSet json.RawMessage
}

// CometParts encodes r's CometBFT objects.
func (r *Receipt) CometParts() (CometParts, error) {
	var p CometParts
	var err error
	for _, hp := range r.Hops {
		var h HopParts
		if h.Header, err = cmtjson.Marshal(hp.Header); err != nil {
			return p, err
		}
		if h.Commit, err = cmtjson.Marshal(hp.Commit); err != nil {
			return p, err
		}
		if h.ValidatorSet, err = cmtjson.Marshal(hp.ValidatorSet); err != nil {
			return p, err
		}
		p.Hops = append(p.Hops, h)
	}
	if p.Proof, err = cmtjson.Marshal(r.Proof); err != nil {
		return p, err
	}
	if p.Header, err = cmtjson.Marshal(r.Header); err != nil {
		return p, err
	}
	if p.Commit, err = cmtjson.Marshal(r.Commit); err != nil {
		return p, err
	}
	if p.ValidatorSet, err = cmtjson.Marshal(r.ValidatorSet); err != nil || !r.Proven() {
		return p, err
	}
	if p.NextHeader, err = cmtjson.Marshal(r.NextHeader); err != nil {
		return p, err
	}
	if p.NextCommit, err = cmtjson.Marshal(r.NextCommit); err != nil {
		return p, err
	}
	p.ResultProof, err = cmtjson.Marshal(r.ResultProof)
	return p, err
}

// SetCometParts decodes p into r's CometBFT objects; an absent part leaves
// its object as it is, and the hops, if p has any, replace r's. The parts
// are untrusted: VerifyReceipt checks them.
func (r *Receipt) SetCometParts(p CometParts) error {
	type part struct {
		name string
		raw  json.RawMessage
		dst  any
	}
	parts := []part{
		{"proof", p.Proof, &r.Proof},
		{"header", p.Header, &r.Header},
		{"commit", p.Commit, &r.Commit},
		{"validator_set", p.ValidatorSet, &r.ValidatorSet},
		{"next_header", p.NextHeader, &r.NextHeader},
		{"next_commit", p.NextCommit, &r.NextCommit},
		{"result_proof", p.ResultProof, &r.ResultProof},
	}
	if len(p.Hops) > MaxValidatorHops {
		return fmt.Errorf("%w: %d validator hops, at most %d", ErrBadReceipt, len(p.Hops), MaxValidatorHops)
	}
	if len(p.Hops) > 0 {
		r.Hops = make([]ValidatorHop, len(p.Hops))
		for i, h := range p.Hops {
			name := fmt.Sprintf("validator_hops[%d].", i)
			parts = append(parts, part{name + "header", h.Header, &r.Hops[i].Header},
				part{name + "commit", h.Commit, &r.Hops[i].Commit},
				part{name + "validator_set", h.ValidatorSet, &r.Hops[i].ValidatorSet})
		}
	}
	for _, f := range parts {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			continue
		}
		if err := cmtjson.Unmarshal(f.raw, f.dst); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBadReceipt, f.name, err)
		}
	}
	return nil
}

// Receipt returns the receipt of the committed transaction with the given
// hash, or an error wrapping ErrNotFound if it is not committed (yet). The
// receipt has its result part once block Height+1 is committed.
func (n *Node) Receipt(ctx context.Context, hash []byte) (*Receipt, error) {
	row, err := n.app.store.TxRow(hash)
	if err != nil {
		return nil, err
	}
	bp, err := n.blockProofs(ctx, row.Height)
	if err != nil {
		return nil, err
	}
	if row.Index < 0 || row.Index >= len(bp.txs) || !bytes.Equal(bp.txs[row.Index].Hash(), hash) {
		return nil, fmt.Errorf("chain: receipt: block %d has no transaction %x at %d", row.Height, hash, row.Index)
	}
	r := &Receipt{
		ChainID:      bp.header.ChainID,
		TrackingCode: hex.EncodeToString(hash),
		Height:       row.Height,
		Index:        row.Index,
		Code:         row.Code,
		Log:          row.Log,
		TxHash:       bytes.Clone(hash),
		Proof:        cmttypes.TxProof{RootHash: bp.root, Data: bp.txs[row.Index], Proof: *bp.proofs[row.Index]},
		Header:       bp.header,
		Commit:       bp.commit,
		ValidatorSet: bp.vals,
		Hops:         bp.hops,
	}
	if nx := bp.next; nx != nil {
		if len(nx.results) != len(bp.txs) {
			return nil, fmt.Errorf("chain: receipt: block %d has %d transactions and %d results", row.Height, len(bp.txs), len(nx.results))
		}
		r.NextHeader, r.NextCommit = nx.header, nx.commit
		r.Result, r.ResultProof = nx.results[row.Index], nx.proofs[row.Index]
	}
	return r, nil
}

// blockProof is what every receipt of one block shares: its header,
// transactions and their Merkle proofs, its commit and validator set; and
// once the next block is committed, the result part.
type blockProof struct {
	header *cmttypes.Header
	txs    cmttypes.Txs
	root   []byte
	proofs []*merkle.Proof
	commit *cmttypes.Commit
	vals   *cmttypes.ValidatorSet
	hops   []ValidatorHop
	next   *nextProof
	// noNext: block h+1 is committed but the result part could not be
	// built (the node has not kept the results of block h): the
	// receipts prove inclusion only, and the entry is not built again.
	noNext bool
}

// nextProof is the result part of a block's receipts: header h+1, its
// commit, and the block's deterministic results with their Merkle proofs
// against header h+1's LastResultsHash.
type nextProof struct {
	header  *cmttypes.Header
	commit  *cmttypes.Commit
	results [][]byte
	proofs  []*merkle.Proof
}

// blockProofCache keeps the blockProofs of the last few heights: every
// client waiting for a block asks for its receipt at once, and building the
// material costs a pass over the whole block. The first request for a
// height builds it; the others wait for that one.
type blockProofCache struct {
	mu      sync.Mutex
	heights map[int64]*blockProofEntry
}

type blockProofEntry struct {
	ready chan struct{} // closed once bp or err is set
	bp    *blockProof
	err   error
}

// blockProofCacheSize is how many heights the cache keeps.
const blockProofCacheSize = 8

func (n *Node) blockProofs(ctx context.Context, h int64) (*blockProof, error) {
	c := &n.proofs
	c.mu.Lock()
	if c.heights == nil {
		c.heights = make(map[int64]*blockProofEntry)
	}
	e := c.heights[h]
	if e == nil {
		if len(c.heights) >= blockProofCacheSize {
			oldest := h
			for k := range c.heights {
				oldest = min(oldest, k)
			}
			delete(c.heights, oldest)
		}
		e = &blockProofEntry{ready: make(chan struct{})}
		c.heights[h] = e
		c.mu.Unlock()
		e.bp, e.err = n.buildBlockProofs(ctx, h)
		if e.err != nil {
			// Not kept: the next request tries again.
			c.mu.Lock()
			if c.heights[h] == e {
				delete(c.heights, h)
			}
			c.mu.Unlock()
		}
		close(e.ready)
		return e.bp, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
		if e.err != nil {
			return n.blockProofs(ctx, h) // the builder failed (its context ended, say): try ourselves
		}
		if e.bp.next == nil && !e.bp.noNext && n.cmt.BlockStore().Height() > h {
			// Built before block h+1 was: build again with the result part.
			c.mu.Lock()
			if c.heights[h] == e {
				delete(c.heights, h)
			}
			c.mu.Unlock()
			return n.blockProofs(ctx, h)
		}
		return e.bp, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (n *Node) buildBlockProofs(ctx context.Context, h int64) (*blockProof, error) {
	if err := n.blockHeld(h); err != nil {
		return nil, err
	}
	blk, err := n.rpc.Block(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("chain: receipt: block %d: %w", h, err)
	}
	if blk.Block == nil {
		return nil, fmt.Errorf("chain: receipt: block %d not in the block store", h)
	}
	cm, err := n.rpc.Commit(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("chain: receipt: commit %d: %w", h, err)
	}
	if cm == nil || cm.Commit == nil {
		return nil, fmt.Errorf("chain: receipt: no commit for block %d in the block store", h)
	}
	vals, err := n.validators(ctx, h)
	if err != nil {
		return nil, err
	}
	txs := blk.Block.Txs
	hashes := make([][]byte, len(txs))
	for i, tx := range txs {
		hashes[i] = tx.Hash()
	}
	root, proofs := merkle.ProofsFromByteSlices(hashes)
	bp := &blockProof{header: &blk.Block.Header, txs: txs, root: root, proofs: proofs, commit: cm.Commit, vals: vals}
	if bp.hops, err = n.validatorHops(ctx, h); err != nil {
		return nil, err
	}
	if n.cmt.BlockStore().Height() > h {
		if bp.next, err = n.buildNextProof(ctx, h); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			bp.noNext = true
		}
	}
	return bp, nil
}

// validatorHops are the hops of block h's receipts: one per validator
// change in force at h+1 at the latest, from the state's index of accepted
// changes (election.QueryValidatorChanges). A change accepted in block c
// is announced in header c+1, whose commit and the set in force from c+2
// (CometBFT's validators at that height) make its hop. A node that does
// not hold block c+1 (a state-synced replica whose snapshot is later)
// leaves that hop out: the receipt's check then fails, naming the
// validators the trusted set never reached.
func (n *Node) validatorHops(ctx context.Context, h int64) ([]ValidatorHop, error) {
	changes, err := election.QueryValidatorChanges(n.app.store.Reader(), 1, h-1)
	if err != nil {
		return nil, fmt.Errorf("chain: receipt: validator changes: %w", err)
	}
	var hops []ValidatorHop
	for _, c := range changes {
		at := c.Height + 1
		if n.blockHeld(at) != nil {
			continue
		}
		blk, err := n.rpc.Block(ctx, &at)
		if err != nil {
			return nil, fmt.Errorf("chain: receipt: block %d: %w", at, err)
		}
		if blk.Block == nil {
			return nil, fmt.Errorf("chain: receipt: block %d not in the block store", at)
		}
		hd := &blk.Block.Header
		if bytes.Equal(hd.ValidatorsHash, hd.NextValidatorsHash) {
			continue // the change left the set as it was
		}
		cm, err := n.rpc.Commit(ctx, &at)
		if err != nil {
			return nil, fmt.Errorf("chain: receipt: commit %d: %w", at, err)
		}
		if cm == nil || cm.Commit == nil {
			return nil, fmt.Errorf("chain: receipt: no commit for block %d in the block store", at)
		}
		vals, err := n.validators(ctx, at+1)
		if err != nil && n.FirstBlock() > 1 && ctx.Err() == nil {
			continue // a state-synced node may not hold the validators of heights near its snapshot's
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(vals.Hash(), hd.NextValidatorsHash) {
			return nil, fmt.Errorf("chain: receipt: the validators at height %d are not those header %d announces", at+1, at)
		}
		hops = append(hops, ValidatorHop{Header: hd, Commit: cm.Commit, ValidatorSet: vals})
	}
	return hops, nil
}

// buildNextProof builds the result part of block h's receipts; block h+1
// must be committed.
func (n *Node) buildNextProof(ctx context.Context, h int64) (*nextProof, error) {
	h1 := h + 1
	blk, err := n.rpc.Block(ctx, &h1)
	if err != nil {
		return nil, fmt.Errorf("chain: receipt: block %d: %w", h1, err)
	}
	if blk.Block == nil {
		return nil, fmt.Errorf("chain: receipt: block %d not in the block store", h1)
	}
	cm, err := n.rpc.Commit(ctx, &h1)
	if err != nil {
		return nil, fmt.Errorf("chain: receipt: commit %d: %w", h1, err)
	}
	if cm == nil || cm.Commit == nil {
		return nil, fmt.Errorf("chain: receipt: no commit for block %d in the block store", h1)
	}
	res, err := n.rpc.BlockResults(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("chain: receipt: results of block %d: %w", h, err)
	}
	results := make([][]byte, len(res.TxsResults))
	for i, tr := range res.TxsResults {
		if results[i], err = ResultBytes(tr); err != nil {
			return nil, err
		}
	}
	root, proofs := merkle.ProofsFromByteSlices(results)
	if !bytes.Equal(root, blk.Block.LastResultsHash) {
		return nil, fmt.Errorf("chain: receipt: the results of block %d do not hash to block %d's last results hash", h, h1)
	}
	return &nextProof{header: &blk.Block.Header, commit: cm.Commit, results: results, proofs: proofs}, nil
}

// WaitForReceipt blocks until the transaction with the given hash is
// committed, then returns its receipt; or until ctx ends, or this node's
// mempool drops it because a block made it invalid (*DroppedError). It looks once
// now and once after each commit, so that many waiting clients cost one
// indexed lookup each per block.
func (n *Node) WaitForReceipt(ctx context.Context, hash []byte) (*Receipt, error) {
	for {
		next, dropped := n.app.commitSignal(), n.app.droppedSignal()
		r, err := n.Receipt(ctx, hash)
		if !errors.Is(err, ErrNotFound) {
			return r, err
		}
		if d := n.app.droppedTx(hash); d != nil {
			return nil, d
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-next:
		case <-dropped:
		}
	}
}

// WaitForResult waits until the receipt r (of this node) can carry its
// result part, block r.Height+1 being committed, and returns it completed;
// if ctx ends first, or r has its result part already, it returns r. A
// block with a transaction changes the app hash (its receipt rows are
// writes, accepted or not: docs/spec/app-hash.md), and the node makes the
// next block at once to carry the new app hash; a caller bounds the wait
// all the same.
func (n *Node) WaitForResult(ctx context.Context, r *Receipt) *Receipt {
	for !r.Proven() {
		next := n.app.commitSignal()
		if n.cmt.BlockStore().Height() > r.Height {
			full, err := n.Receipt(ctx, r.TxHash)
			if err != nil || !full.Proven() {
				return r
			}
			return full
		}
		select {
		case <-ctx.Done():
			return r
		case <-next:
		}
	}
	return r
}

// WaitForTx blocks until the transaction with the given hash is committed,
// then returns its row (height, index, result); or until ctx ends. It is
// WaitForReceipt for callers that do not need the proof.
func (n *Node) WaitForTx(ctx context.Context, hash []byte) (TxRow, error) {
	for {
		next, dropped := n.app.commitSignal(), n.app.droppedSignal()
		row, err := n.app.store.TxRow(hash)
		if !errors.Is(err, ErrNotFound) {
			return row, err
		}
		if d := n.app.droppedTx(hash); d != nil {
			return TxRow{}, d
		}
		select {
		case <-ctx.Done():
			return TxRow{}, ctx.Err()
		case <-next:
		case <-dropped:
		}
	}
}
