package observer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer/cmtlite"
	"github.com/evote/evote/tally"
)

// The verifier (docs/verifier.md). It reads a record as a stream and trusts
// nothing in it but the genesis it names (compare that with the network's
// genesis.json): every block's header is checked against the validators'
// commit signatures, every transaction against its block's data hash, every
// signature and every proof, and the election's rules are applied by
// re-running the election state machine (the same rules every node runs)
// over a fresh in-memory store; the claims at the end must equal what that
// run derived.

// ErrVerify is wrapped by every verification failure.
var ErrVerify = errors.New("the record does not verify")

// VerifyError names the first item of a record that fails, the kind of
// failure (a stable code) and why.
type VerifyError struct {
	Item string     // e.g. "block 12 tx 3 (ballot of evote-voter:ab12cd34…)"
	Code VerifyCode // the kind of check that failed
	// Rule is the election's result code when its rules reject a
	// transaction (Code CodeRejected, CodeNotOnRoll or CodeBadShare), and
	// election.CodeOK otherwise.
	Rule election.Code
	Err  error
}

func (e *VerifyError) Error() string   { return e.Item + ": " + e.Err.Error() }
func (e *VerifyError) Unwrap() []error { return []error{ErrVerify, e.Err} }

// Is reports whether target is e's code, so that errors.Is(err, CodeX)
// tells the kind of failure.
func (e *VerifyError) Is(target error) bool {
	c, ok := target.(VerifyCode)
	return ok && c == e.Code
}

// VerifyCode is the kind of a verification failure: stable, for programs
// and tests to branch on (errors.Is(err, observer.CodeBadBallotProof)); the
// table of docs/verifier.md lists them. The message says the rest.
type VerifyCode string

func (c VerifyCode) Error() string { return string(c) }

// The verification failure codes, in the order the checks run.
const (
	// The genesis app state or validators are malformed, or are not the
	// trusted genesis's.
	CodeBadGenesis VerifyCode = "bad-genesis"
	// The manifest does not decode, is not canonical, does not hash to the
	// record's election id, or gives no key ceremony parameters.
	CodeBadManifest VerifyCode = "bad-manifest"
	// The record's own structure: no blocks, blocks or transactions out of
	// order, a recorded kind or replaced mark out of place.
	CodeRecordMalformed VerifyCode = "record-malformed"
	// A block header does not decode or does not fit: its height, chain,
	// genesis app hash, time or link to the previous header.
	CodeBadHeader VerifyCode = "bad-header"
	// A block header names other validators than the set in force at its
	// height (the genesis's, changed by the validator updates the record
	// carries before it), or a validator update the chain's rules refuse
	// (Rule says which).
	CodeValidatorSet VerifyCode = "validator-set"
	// The commit does not decode or is not for this header.
	CodeCommitMismatch VerifyCode = "commit-mismatch"
	// The commit does not carry valid signatures of more than 2/3 of the
	// voting power.
	CodeBadCommitSignature VerifyCode = "bad-commit-signature"
	// The block's transaction hashes do not add up to its data hash.
	CodeDataHashMismatch VerifyCode = "data-hash-mismatch"
	// A transaction's hash is not at its position among the block's.
	CodeTxHashMismatch VerifyCode = "tx-hash-mismatch"
	// A transaction or its body does not decode.
	CodeTxMalformed VerifyCode = "tx-malformed"
	// A transaction of another election.
	CodeWrongElection VerifyCode = "wrong-election"
	// A transaction's signature does not verify.
	CodeBadTxSignature VerifyCode = "bad-tx-signature"
	// A ballot not of the election's shape, or whose ciphertexts do not
	// decode.
	CodeBallotMalformed VerifyCode = "ballot-malformed"
	// A ballot's proof for a contest does not verify.
	CodeBadBallotProof VerifyCode = "bad-ballot-proof"
	// The election rules reject a ballot whose signer is not on the roll
	// (result code not-on-roll).
	CodeNotOnRoll VerifyCode = "not-on-roll"
	// The election rules reject a decryption share set (result code
	// bad-decryption-share).
	CodeBadShare VerifyCode = "bad-share"
	// The election rules reject a transaction for another reason; Rule is
	// the result code.
	CodeRejected VerifyCode = "rejected"
	// Applying the rules fails on a block or on the outcome (not a
	// rejected transaction).
	CodeStateMachine VerifyCode = "state-machine"
	// A ballot's replaced mark is not what the later ballots say.
	CodeReplacedMark VerifyCode = "replaced-mark"
	// The blocks never create the election.
	CodeNotCreated VerifyCode = "not-created"
	// The key ceremony's messages do not give the joint key the rules fixed.
	CodeKeyMismatch VerifyCode = "key-mismatch"
	// A claim (phase, joint key, qualified set, share sets, counts) is not
	// what the blocks give.
	CodeClaimMismatch VerifyCode = "claim-mismatch"
	// A claimed aggregate is not the sum of the counted ballots.
	CodeAggregateMismatch VerifyCode = "aggregate-mismatch"
	// The claimed result is not the one the blocks derive.
	CodeResultMismatch VerifyCode = "result-mismatch"
	// A block's state commitment does not decode, or its proof does not
	// lead to the block header's app hash: the validators did not sign it.
	CodeStateProof VerifyCode = "state-proof"
	// The state the validators signed (the proven commitment) is not the
	// state the verifier recomputed from the election's transactions.
	CodeStateMismatch VerifyCode = "state-mismatch"
	// A block changed the election's state, and the next block, with the
	// commitment of that state and its proof, is missing.
	CodeStateUnproven VerifyCode = "state-unproven"
)

// VerifyCodes lists every code, in the order the checks run.
var VerifyCodes = []VerifyCode{
	CodeBadGenesis, CodeBadManifest, CodeRecordMalformed, CodeBadHeader, CodeValidatorSet, CodeCommitMismatch,
	CodeBadCommitSignature, CodeDataHashMismatch, CodeTxHashMismatch, CodeTxMalformed, CodeWrongElection,
	CodeBadTxSignature, CodeBallotMalformed, CodeBadBallotProof, CodeNotOnRoll, CodeBadShare, CodeRejected,
	CodeStateMachine, CodeReplacedMark, CodeNotCreated, CodeKeyMismatch, CodeClaimMismatch,
	CodeAggregateMismatch, CodeResultMismatch, CodeStateProof, CodeStateMismatch, CodeStateUnproven,
}

func fail(item string, code VerifyCode, format string, args ...any) *VerifyError {
	return &VerifyError{Item: item, Code: code, Err: fmt.Errorf(format, args...)}
}

// rejected is the failure of a transaction the rules engine refused: a
// rejection by the election rules carries its result code.
func rejected(item string, err error) *VerifyError {
	var r *rejection
	if !errors.As(err, &r) {
		return &VerifyError{Item: item, Code: CodeStateMachine, Err: err}
	}
	code := CodeRejected
	switch r.code {
	case election.CodeNotOnRoll:
		code = CodeNotOnRoll
	case election.CodeBadDecryptionShare:
		code = CodeBadShare
	}
	return &VerifyError{Item: item, Code: code, Rule: r.code, Err: err}
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Workers verify signatures and proofs in parallel; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, is called after each block is checked.
	Progress func(VerifyProgress)
	// Rand draws the batch verification weights; nil means crypto/rand.
	Rand io.Reader
	// Genesis, if set, is the app state the record's genesis must equal
	// (compared in canonical form), and Validators the validators it must
	// name: the verifier's anchor to the real network.
	Genesis    []byte
	Validators []RecordValidator
	// Machine applies the election rules by running package election's
	// state machine instead of the verifier's own statement of them (for
	// the tests that hold the two to the same verdicts).
	Machine bool
}

// VerifyProgress is how far a verification has come.
type VerifyProgress struct {
	Bytes   int64 // of the record read
	Height  int64 // the last block checked
	Blocks  int
	Txs     int
	Ballots int
}

// Summary is what a successful verification checked.
type Summary struct {
	ChainID     string         `json:"chain_id"`
	Election    election.ID    `json:"election"`
	Title       string         `json:"title"`
	Validators  int            `json:"validators"`
	Authorities int            `json:"authorities"`
	Blocks      int            `json:"blocks"`
	Commits     int            `json:"commits"` // commit signatures checked
	Txs         int            `json:"txs"`
	Kinds       map[string]int `json:"kinds"`
	Ballots     int            `json:"ballots"`
	Replaced    int            `json:"replaced"`
	Voters      uint64         `json:"voters"`
	RollSize    uint64         `json:"roll_size"`
	Trustees    int            `json:"trustees"`
	Qualified   []uint32       `json:"qualified"`
	ShareSets   []uint32       `json:"share_sets"`
	Phase       string         `json:"phase"`
	Aggregates  int            `json:"aggregates"`
	Result      *RecordResult  `json:"result,omitempty"`
	Bytes       int64          `json:"bytes"`
	// ValidatorChanges counts the validator updates the record carries.
	ValidatorChanges int `json:"validator_changes,omitempty"`
}

// windowBallots is how many ballots the verifier checks together (in
// batches of batchBallots) while it replays the window before.
const (
	windowBallots = 1024
	batchBallots  = 64
)

// vtx is one transaction being verified.
type vtx struct {
	index    int    // its position in the block
	pos      string // "block 12 tx 3"
	label    string // "ballot of evote-voter:ab12…"
	raw      []byte
	tx       *election.Tx
	body     election.Body
	replaced *bool
	err      error
	code     VerifyCode          // the kind of err
	checked  bool                // the ballot's proofs were verified (with the joint key)
	cts      []*tally.Ciphertext // the ballot's ciphertexts, decoded on a worker
	summed   bool                // its ciphertexts are in its batch's sum
	sum      []*tally.Ciphertext // on a batch's last ballot: the batch's sum, in aggregate order
}

func (t *vtx) item() string {
	if t.label == "" {
		return t.pos
	}
	return t.pos + " (" + t.label + ")"
}

// vblock is one block being verified.
type vblock struct {
	height  int64
	time    time.Time
	appHash []byte       // the header's: it commits to the state after the block before
	state   *RecordState // the election's state after the block before, if carried
	err     error        // the block itself fails
	txs     []*vtx
	valTxs  []*vtx // the chain's validator updates, applied as the block was checked
	offset  int64
}

// window is a run of blocks whose signatures and proofs are checked
// together.
type window struct {
	blocks  []*vblock
	ballots int
	done    sync.WaitGroup
}

type verifier struct {
	ctx        context.Context
	opts       VerifyOptions
	rnd        io.Reader
	chainID    string
	id         election.ID
	man        *election.Manifest
	valTracker *valTracker
	gen        *election.Genesis
	genHash    []byte
	engine     engine
	cts        bool // decode ballots' ciphertexts on the workers (for the rules engine)
	sum        *Summary
	jobs       chan func()
	prevH      *cmtlite.Header
	progress   VerifyProgress

	// revotes: per voter, where its last ballot is and how it is marked.
	lastBallot map[election.PublicKey]ballotMark
	// v1: a record of format evote/v1, before the state commitment: its
	// blocks carry no state, and none is required.
	v1 bool
	// live: the blocks come from the feed, whose ballots carry no replaced
	// mark (later blocks are not known yet).
	live bool

	// The state proofs: the hash of the last proven commitment, the height
	// it is the state after, and the block after which the state changed
	// and is not proven yet (0 if none).
	proven          [32]byte
	stateHeight     int64
	unproven        int64
	stateCommitment *election.StateCommitment
	// current is the replayed state after the last block replayed, and
	// its hash.
	current     *election.StateCommitment
	currentHash [32]byte
	head        *RecordHead
	journal     *journal // the Follower's, if it keeps one
	// The key ceremony's messages, to derive the joint key independently.
	deals      []*tally.DKGDeal
	complaints []*tally.DKGComplaint
	responses  []*tally.DKGResponse
}

// ballotMark is where a voter's last ballot is and how it is marked.
type ballotMark struct {
	height   int64
	index    int32
	replaced bool
}

func (m ballotMark) item(voter election.PublicKey) string {
	return fmt.Sprintf("block %d tx %d (ballot of %s%s…)", m.height, m.index, election.RoleVoter.Prefix(), hex.EncodeToString(voter[:4]))
}

// Verify checks the record read from r and returns what it checked, or an
// error wrapping ErrVerify (a *VerifyError naming the first failing item)
// or ErrRecordFormat.
func Verify(ctx context.Context, r io.Reader, opts VerifyOptions) (sum *Summary, err error) {
	rr := NewRecordReader(r)
	head, err := rr.ReadHead()
	if err != nil {
		return nil, err
	}
	v, err := newVerifier(ctx, head, opts)
	if err != nil {
		return nil, err
	}
	f := &Follower{v: v, cur: &window{}}
	defer f.Close()
	blocks := make(chan *vblock, 4)
	readErr := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		for range blocks { // let the reader end
		}
	}()
	go func() {
		defer close(blocks)
		readErr <- v.readBlocks(rctx, rr, blocks)
	}()
	for vb := range blocks {
		if err := f.add(vb); err != nil {
			return nil, err
		}
	}
	// A structural failure after the blocks read so far is reported only
	// if none of those fails first.
	rerr := <-readErr
	if err := f.flush(); err != nil {
		return nil, err
	}
	if rerr != nil {
		return nil, rerr
	}
	if v.unproven != 0 {
		return nil, fail(fmt.Sprintf("block %d", v.unproven), CodeStateUnproven,
			"the election's state after it is not proven: the record ends without block %d and its state commitment", v.unproven+1)
	}
	claims, err := rr.ReadClaims()
	if err != nil {
		return nil, err
	}
	if err := v.finish(claims); err != nil {
		return nil, err
	}
	v.sum.Bytes = rr.Offset()
	return v.sum, nil
}

func newVerifier(ctx context.Context, head *RecordHead, opts VerifyOptions) (*verifier, error) {
	v := &verifier{ctx: ctx, opts: opts, rnd: opts.Rand, chainID: head.ChainID, id: head.Election, head: head,
		lastBallot: map[election.PublicKey]ballotMark{}}
	if v.rnd == nil {
		v.rnd = rand.Reader
	}
	v.sum = &Summary{ChainID: head.ChainID, Election: head.Election, Kinds: map[string]int{}}
	g, err := election.ParseGenesis(head.Genesis.AppState)
	if err != nil {
		return nil, fail("genesis", CodeBadGenesis, "app state: %v", err)
	}
	if g.ChainID != head.ChainID {
		return nil, fail("genesis", CodeBadGenesis, "the app state names chain %q, the record %q", g.ChainID, head.ChainID)
	}
	canon, err := election.CanonicalAppState(head.Genesis.AppState)
	if err != nil {
		return nil, fail("genesis", CodeBadGenesis, "%v", err)
	}
	if opts.Genesis != nil {
		want, err := election.CanonicalAppState(opts.Genesis)
		if err != nil || !bytes.Equal(want, canon) {
			return nil, fail("genesis", CodeBadGenesis, "the app state is not the trusted genesis's")
		}
	}
	v.genHash = election.GenesisAppHash(head.ChainID, canon)
	if head.Format == RecordFormatV1 {
		v.v1 = true
		v.genHash = election.GenesisAppHashV1(head.ChainID, canon)
	}
	v.gen = g
	if len(head.Genesis.Validators) == 0 {
		return nil, fail("genesis", CodeBadGenesis, "no validators")
	}
	var vals []cmtlite.Validator
	for i, gv := range head.Genesis.Validators {
		if len(gv.PubKey) != 32 || gv.Power <= 0 {
			return nil, fail("genesis", CodeBadGenesis, "validator %d: key of %d bytes, power %d", i, len(gv.PubKey), gv.Power)
		}
		vals = append(vals, cmtlite.Validator{PubKey: [32]byte(gv.PubKey), Power: gv.Power})
	}
	if opts.Validators != nil && !sameValidators(opts.Validators, head.Genesis.Validators) {
		return nil, fail("genesis", CodeBadGenesis, "the validators are not the trusted genesis's")
	}
	if v.valTracker, err = newValTracker(vals); err != nil {
		return nil, fail("genesis", CodeBadGenesis, "validators: %v", err)
	}
	man, err := election.DecodeManifest(head.Manifest)
	if err != nil {
		return nil, fail("manifest", CodeBadManifest, "%v", err)
	}
	if enc, err := man.MarshalBinary(); err != nil || !bytes.Equal(enc, head.Manifest) {
		return nil, fail("manifest", CodeBadManifest, "not in canonical form")
	}
	id, err := man.ID()
	if err != nil {
		return nil, fail("manifest", CodeBadManifest, "%v", err)
	}
	if id != head.Election {
		return nil, fail("manifest", CodeBadManifest, "it hashes to election %v, the record names %v", id, head.Election)
	}
	v.man = man
	if opts.Machine {
		v.engine, err = newMachineEngine(head.Genesis.AppState, head.ChainID, id)
	} else {
		v.engine, err = newRulesEngine(g, id, man)
		v.cts = true
	}
	if err != nil {
		return nil, fail("manifest", CodeBadManifest, "%v", err)
	}
	v.sum.Title = man.Title.In("", man.Languages)
	v.sum.Validators = len(vals)
	v.sum.Authorities = len(g.Authorities)
	v.sum.Trustees = len(man.Trustees.Members)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Buffered: check hands a window's batches out at once and goes on to
	// replay the window before while the workers verify.
	v.jobs = make(chan func(), 4*windowBallots/batchBallots)
	for range workers {
		go func() {
			for job := range v.jobs {
				job()
			}
		}()
	}
	return v, nil
}

func sameValidators(a, b []RecordValidator) bool {
	return slices.EqualFunc(a, b, func(x, y RecordValidator) bool {
		return bytes.Equal(x.PubKey, y.PubKey) && x.Power == y.Power
	})
}

// readBlocks decodes the blocks in order and checks what each says on its
// own and about the one before: header, commit, Merkle proofs, decoding.
func (v *verifier) readBlocks(ctx context.Context, rr *RecordReader, out chan<- *vblock) error {
	var prev int64
	for n := 0; ; n++ {
		rb, err := rr.NextBlock()
		if err != nil {
			return err
		}
		if rb == nil {
			if n == 0 {
				return fail("blocks", CodeRecordMalformed, "the record has no blocks")
			}
			return nil
		}
		vb := v.checkBlock(rb, prev, n == 0)
		vb.offset = rr.Offset()
		if vb.err == nil {
			prev = rb.Height
		}
		select {
		case out <- vb:
		case <-ctx.Done():
			return ctx.Err()
		}
		if vb.err != nil {
			return nil // the replay reports it; nothing after it counts
		}
	}
}

func (v *verifier) checkBlock(rb *RecordBlock, prev int64, first bool) *vblock {
	vb := &vblock{height: rb.Height}
	item := fmt.Sprintf("block %d", rb.Height)
	failb := func(code VerifyCode, format string, args ...any) *vblock {
		vb.err = fail(item, code, format, args...)
		return vb
	}
	switch {
	case first && rb.Height != 1:
		return failb(CodeRecordMalformed, "the record must start with block 1 (the genesis anchor)")
	case !first && rb.Height <= prev:
		return failb(CodeRecordMalformed, "out of order: it follows block %d", prev)
	}
	h, err := cmtlite.ParseHeader(rb.Header)
	if err != nil {
		return failb(CodeBadHeader, "header: %v", err)
	}
	c, err := cmtlite.ParseCommit(rb.Commit)
	if err != nil {
		return failb(CodeCommitMismatch, "commit: %v", err)
	}
	switch {
	case h.Height != rb.Height:
		return failb(CodeBadHeader, "the header is of height %d", h.Height)
	case h.ChainID != v.chainID:
		return failb(CodeBadHeader, "the header is of chain %q", h.ChainID)
	case first && !bytes.Equal(h.AppHash, v.genHash):
		return failb(CodeBadHeader, "the header's app hash is not that of the genesis app state")
	case v.prevH != nil && !h.Time.After(v.prevH.Time):
		return failb(CodeBadHeader, "its time %v is not after block %d's", h.Time, v.prevH.Height)
	case v.prevH != nil && h.Height == v.prevH.Height+1 && !bytes.Equal(h.LastBlockID.Hash, v.prevH.Hash()):
		return failb(CodeBadHeader, "its header does not link to block %d's", v.prevH.Height)
	case c.Height != h.Height || !bytes.Equal(c.BlockID.Hash, h.Hash()):
		return failb(CodeCommitMismatch, "the commit is not for this header")
	}
	if err := v.checkValidators(h.Height, h.ValidatorsHash); err != nil {
		return failb(CodeValidatorSet, "%v", err)
	}
	if err := v.valTracker.at(h.Height).VerifyCommitLightAllSignatures(v.chainID, c.BlockID, h.Height, c); err != nil {
		return failb(CodeBadCommitSignature, "commit signatures: %v", err)
	}
	leaves := make([][]byte, len(rb.TxHashes))
	for i, h := range rb.TxHashes {
		leaves[i] = h
	}
	if !bytes.Equal(cmtlite.MerkleRoot(leaves), h.DataHash) {
		return failb(CodeDataHashMismatch, "its transaction hashes do not add up to the header's data hash")
	}
	v.prevH = h
	vb.time, vb.appHash, vb.state = h.Time, h.AppHash, rb.State
	last := -1
	for i := range rb.Txs {
		rt := &rb.Txs[i]
		t := &vtx{index: rt.Index, pos: fmt.Sprintf("block %d tx %d", rb.Height, rt.Index), raw: rt.Tx, replaced: rt.Replaced}
		vb.txs = append(vb.txs, t)
		if rt.Index <= last {
			t.code, t.err = CodeRecordMalformed, fmt.Errorf("out of order: it follows tx %d", last)
			return vb
		}
		last = rt.Index
		if t.code, t.err = v.checkTx(rb.TxHashes, rt, t); t.err != nil {
			return vb
		}
		if t.tx.Kind == election.KindValidatorUpdate {
			var rule election.Code
			if t.code, rule, t.err = v.applyValidatorTx(rb.Height, t); t.err != nil {
				vb.err = &VerifyError{Item: t.item(), Code: t.code, Rule: rule, Err: t.err}
				return vb
			}
			vb.txs = vb.txs[:len(vb.txs)-1]
			vb.valTxs = append(vb.valTxs, t)
		}
	}
	return vb
}

// checkTx checks a transaction's inclusion (its hash at its position
// among the block's, which checkBlock added up to the data hash), decoding
// and election, and names it.
func (v *verifier) checkTx(hashes []Bytes, rt *RecordTx, t *vtx) (VerifyCode, error) {
	tx, decErr := election.DecodeTx(rt.Tx)
	if decErr == nil {
		t.label = v.label(tx)
	}
	txHash := sha256.Sum256(rt.Tx)
	if rt.Index < 0 || rt.Index >= len(hashes) || !bytes.Equal(hashes[rt.Index], txHash[:]) {
		return CodeTxHashMismatch, fmt.Errorf("it is not transaction %d of the block (its hash is not there)", rt.Index)
	}
	if decErr != nil {
		return CodeTxMalformed, fmt.Errorf("transaction: %v", decErr)
	}
	t.tx = tx
	if rt.Kind != tx.Kind.String() {
		return CodeRecordMalformed, fmt.Errorf("the record says kind %q, the transaction is %s", rt.Kind, tx.Kind)
	}
	switch {
	case v.live && rt.Replaced != nil:
		return CodeRecordMalformed, errors.New("a live block carries no replaced mark")
	case !v.live && (tx.Kind == election.KindBallot) != (rt.Replaced != nil):
		return CodeRecordMalformed, errors.New("the replaced mark belongs on ballots, and only there")
	}
	body, err := election.DecodeBody(tx.Kind, tx.Body)
	if err != nil {
		return CodeTxMalformed, fmt.Errorf("body: %v", err)
	}
	t.body = body
	if tx.Kind == election.KindValidatorUpdate {
		if v.head.Format == RecordFormatV1 || v.head.Format == RecordFormatV2 {
			return CodeRecordMalformed, fmt.Errorf("a record of format %s carries no validator update", v.head.Format)
		}
		return "", nil
	}
	if c, ok := body.(*election.CreateElectionBody); ok {
		if id, err := c.Manifest.ID(); err != nil || id != v.id {
			return CodeWrongElection, errors.New("it creates another election")
		}
	} else if !bytes.Equal(tx.Body[:election.IDSize], v.id[:]) {
		return CodeWrongElection, errors.New("it is of another election")
	}
	return "", nil
}

// label names a transaction by its kind and signer, the signer's key
// abbreviated in its role's text form ("evote-voter:ab12cd34…").
func (v *verifier) label(tx *election.Tx) string {
	role := tx.Kind.SignerRole()
	signer := role.KeyText(tx.Signer)
	signer = signer[:len(signer)-2*election.PublicKeySize+8] + "…"
	switch tx.Kind {
	case election.KindBallot:
		return "ballot of " + signer
	case election.KindDKGDeal, election.KindDKGComplaints, election.KindDKGResponses, election.KindDecryptionShares:
		if i := v.man.TrusteeIndex(tx.Signer); i > 0 {
			return fmt.Sprintf("%s of trustee %d", tx.Kind, i)
		}
	}
	return fmt.Sprintf("%s by %s", tx.Kind, signer)
}

// jointKey is the joint key as the replay has fixed it so far, or nil.
func (v *verifier) jointKey() *tally.PublicKey { return v.engine.jointKey() }

// submit starts checking w's signatures and proofs, then replays pending
// (checked meanwhile); w becomes the pending window. Until the joint key is
// fixed, every window is replayed before the next is checked, so that the
// key is known when ballots come.
func (v *verifier) submit(w, pending *window) (*window, error) {
	key := v.jointKey()
	if key == nil && pending != nil {
		if err := v.replay(pending); err != nil {
			return nil, err
		}
		pending = nil
		key = v.jointKey()
	}
	v.check(w, key)
	if pending != nil {
		if err := v.replay(pending); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// check verifies, on the workers, every signature of w and, with key, the
// proofs of its ballots in batches.
func (v *verifier) check(w *window, key *tally.PublicKey) {
	var batch []*vtx
	flush := func() {
		if len(batch) == 0 {
			return
		}
		b := batch
		batch = nil
		w.done.Add(1)
		v.jobs <- func() {
			defer w.done.Done()
			v.checkBatch(b, key)
		}
	}
	for _, vb := range w.blocks {
		for _, t := range vb.txs {
			if t.err != nil || t.tx == nil {
				continue
			}
			batch = append(batch, t)
			if len(batch) >= batchBallots {
				flush()
			}
		}
		// A batch's sum of ciphertexts goes to the aggregates at once, so a
		// batch ends with its block: the aggregates after every block are
		// what the block's state commitment is checked against.
		flush()
	}
}

// checkBatch verifies the signatures of txs and, with key, the proofs of
// the ballots among them in one batch.
func (v *verifier) checkBatch(txs []*vtx, key *tally.PublicKey) {
	var items []tally.ContestItem
	var owner []*vtx
	var contest []int
	for _, t := range txs {
		if !t.tx.Verify(v.chainID) {
			t.code, t.err = CodeBadTxSignature, fmt.Errorf("the signature of %v does not verify", t.tx.Signer)
			continue
		}
		b, ok := t.body.(*election.BallotBody)
		if !ok || key == nil {
			continue
		}
		if len(b.Contests) != len(v.man.Contests) {
			t.code, t.err = CodeBallotMalformed, fmt.Errorf("%d contests, the election has %d", len(b.Contests), len(v.man.Contests))
			continue
		}
		for i, enc := range b.Contests {
			items = append(items, tally.ContestItem{
				Context: tally.ContestContext{ElectionID: v.id[:], Voter: t.tx.Signer[:], Contest: uint32(i)},
				Rules:   v.man.Contests[i].Rules(), Encoded: enc,
			})
			owner = append(owner, t)
			contest = append(contest, i)
		}
		t.checked = true
	}
	if v.cts && !v.man.Weights {
		// The rules engine gets the batch's sum of ciphertexts from the
		// verification itself, instead of decoding each ballot again.
		sums, err := tally.VerifyContestBatchSum(key, items, v.rnd)
		if err == nil {
			v.attachSum(owner, sums)
			return
		}
		v.blame(items, owner, contest, key, err)
		return
	}
	err := tally.VerifyContestBatch(key, items, v.rnd)
	if v.cts {
		defer func() {
			for _, t := range txs {
				if b, ok := t.body.(*election.BallotBody); ok && t.checked && t.err == nil {
					if t.cts, t.err = ballotCiphertexts(v.man, b); t.err != nil {
						t.code, t.err = CodeBallotMalformed, fmt.Errorf("ciphertexts: %w", t.err)
					}
				}
			}
		}()
	}
	if err == nil {
		return
	}
	v.blame(items, owner, contest, key, err)
}

// attachSum hands a verified batch's ciphertext sums, in aggregate order,
// to the batch's last ballot; the rules engine adds them to the aggregates
// when it counts that ballot, and counts the others without decoding them.
func (v *verifier) attachSum(owner []*vtx, sums [][]*tally.Ciphertext) {
	if len(owner) == 0 {
		return
	}
	var flat []*tally.Ciphertext
	for c := range v.man.Contests {
		if c >= len(sums) || len(sums[c]) != len(v.man.Contests[c].Options) {
			return // not the election's shape: count ballot by ballot
		}
		flat = append(flat, sums[c]...)
	}
	for _, t := range owner {
		t.summed = true
	}
	owner[len(owner)-1].sum = flat
}

// blame names the failing ballots of a batch that does not verify.
func (v *verifier) blame(items []tally.ContestItem, owner []*vtx, contest []int, key *tally.PublicKey, err error) {
	var be *tally.BatchError
	if !errors.As(err, &be) || be.Index < 0 {
		// No item to blame: check each alone.
		for i, it := range items {
			if owner[i].err == nil {
				if err := tally.VerifyContest(key, it.Context, it.Rules, it.Encoded); err != nil {
					owner[i].code, owner[i].err = CodeBadBallotProof, contestErr(contest[i], err)
				}
			}
		}
		return
	}
	for _, i := range be.Failing {
		if owner[i].err != nil {
			continue
		}
		reason := be.Err
		if i != be.Index {
			it := items[i]
			if reason = tally.VerifyContest(key, it.Context, it.Rules, it.Encoded); reason == nil {
				reason = tally.ErrInvalidProof
			}
		}
		owner[i].code, owner[i].err = CodeBadBallotProof, contestErr(contest[i], reason)
	}
}

func contestErr(c int, err error) error {
	var ve *tally.VerifyError
	if errors.As(err, &ve) {
		return fmt.Errorf("proof of contest %d %s does not verify (%v)", c, ve.Item, ve.Err)
	}
	return fmt.Errorf("contest %d: %v", c, err)
}

// replay applies w's blocks to the state machine in order, after its checks
// are done, and fails at the first item that fails.
func (v *verifier) replay(w *window) error {
	if w == nil {
		return nil
	}
	w.done.Wait()
	for _, vb := range w.blocks {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		if err := v.replayBlock(vb); err != nil {
			return err
		}
	}
	return nil
}

func (v *verifier) replayBlock(vb *vblock) error {
	if vb.err != nil {
		return vb.err
	}
	if err := v.checkState(vb); err != nil {
		return err
	}
	b := election.Block{ChainID: v.chainID, Height: vb.height, Time: vb.time}
	if err := v.replayValidatorTxs(vb); err != nil {
		return err
	}
	if err := v.engine.beginBlock(b); err != nil {
		return fail(fmt.Sprintf("block %d", vb.height), CodeStateMachine, "state machine: %v", err)
	}
	for _, t := range vb.txs {
		if err := v.replayTx(b, t); err != nil {
			return err
		}
	}
	if err := v.engine.endBlock(b); err != nil {
		return fail(fmt.Sprintf("block %d", vb.height), CodeStateMachine, "state machine: %v", err)
	}
	changed, err := v.noteState(vb.height)
	if err != nil {
		return err
	}
	if err := v.journalBlock(vb, changed); err != nil {
		return fail(fmt.Sprintf("block %d", vb.height), CodeStateMachine, "journal: %v", err)
	}
	v.sum.Blocks++
	v.sum.Commits++
	v.progress.Height, v.progress.Blocks, v.progress.Bytes = vb.height, v.sum.Blocks, vb.offset
	v.progress.Txs, v.progress.Ballots = v.sum.Txs, v.sum.Ballots
	if v.opts.Progress != nil {
		v.opts.Progress(v.progress)
	}
	return nil
}

// checkState checks, before block vb is replayed, the state commitment it
// carries against its header's app hash (the validators signed it) and
// against the state the replay reached after the blocks before (what the
// verifier recomputed); and that a state the blocks before changed is
// proven here.
func (v *verifier) checkState(vb *vblock) error {
	if v.v1 {
		if vb.state != nil {
			return fail(fmt.Sprintf("block %d", vb.height), CodeRecordMalformed, "a record of format %s carries no state", RecordFormatV1)
		}
		return nil
	}
	if v.unproven != 0 && (vb.height != v.unproven+1 || vb.state == nil) {
		return fail(fmt.Sprintf("block %d", v.unproven), CodeStateUnproven,
			"the election's state after it is not proven: block %d with its state commitment does not follow", v.unproven+1)
	}
	if vb.state == nil {
		return nil
	}
	item := fmt.Sprintf("block %d state", vb.height)
	c, p, err := vb.state.Decode()
	if err != nil {
		return fail(item, CodeStateProof, "%v", err)
	}
	if c.Election != v.id {
		return fail(item, CodeStateProof, "the commitment is of election %v", c.Election)
	}
	ok, err := p.Leads(c, vb.appHash)
	if err != nil {
		return fail(item, CodeStateProof, "%v", err)
	}
	if !ok {
		return fail(item, CodeStateProof, "the commitment and its proof do not lead to the header's app hash: the validators did not sign this state")
	}
	mine, err := v.engine.commitment()
	if err != nil {
		return fail(item, CodeStateMachine, "%v", err)
	}
	if mine == nil {
		return fail(item, CodeStateMismatch, "the chain's state after block %d has the election, the blocks before do not create it", vb.height-1)
	}
	if d := c.Diff(mine); d != "" {
		return fail(item, CodeStateMismatch, "the state the validators signed after block %d differs from the one the election's transactions give: %s", vb.height-1, d)
	}
	v.proven, v.unproven, v.stateHeight = c.Hash(), 0, vb.height-1
	v.stateCommitment = c
	if err := v.journalCheckpoint(vb.height-1, v.proven); err != nil {
		return fail(item, CodeStateMachine, "journal: %v", err)
	}
	return nil
}

// noteState records, after block h was replayed, whether it changed the
// election's state: the next block must then prove the new state.
func (v *verifier) noteState(h int64) (changed bool, err error) {
	mine, err := v.engine.commitment()
	if err != nil {
		return false, fail(fmt.Sprintf("block %d", h), CodeStateMachine, "%v", err)
	}
	if mine == nil {
		return false, nil
	}
	hash := mine.Hash()
	changed = v.current == nil || hash != v.currentHash
	v.current, v.currentHash = mine, hash
	if v.v1 {
		return changed, nil
	}
	if hash != v.proven {
		v.unproven = h
	}
	return changed, nil
}

func (v *verifier) replayTx(b election.Block, t *vtx) error {
	if t.err != nil {
		return &VerifyError{Item: t.item(), Code: t.code, Err: t.err}
	}
	ballot, isBallot := t.body.(*election.BallotBody)
	if isBallot && !t.checked {
		// Checked before the joint key was known: check it now.
		if key := v.jointKey(); key != nil {
			if len(ballot.Contests) != len(v.man.Contests) {
				return fail(t.item(), CodeBallotMalformed, "%d contests, the election has %d", len(ballot.Contests), len(v.man.Contests))
			}
			for i, enc := range ballot.Contests {
				cc := tally.ContestContext{ElectionID: v.id[:], Voter: t.tx.Signer[:], Contest: uint32(i)}
				if err := tally.VerifyContest(key, cc, v.man.Contests[i].Rules(), enc); err != nil {
					return &VerifyError{Item: t.item(), Code: CodeBadBallotProof, Err: contestErr(i, err)}
				}
			}
			t.checked = true
		}
	}
	// Signatures and ballot proofs are verified above; the engine checks
	// everything else.
	if err := v.engine.deliver(b, t); err != nil {
		return rejected(t.item(), err)
	}
	v.journalTx(t.raw)
	v.sum.Txs++
	v.sum.Kinds[t.tx.Kind.String()]++
	switch body := t.body.(type) {
	case *election.BallotBody:
		v.sum.Ballots++
		voter := t.tx.Signer
		if prev, ok := v.lastBallot[voter]; ok {
			if !prev.replaced {
				return fail(prev.item(voter), CodeReplacedMark, "marked as not replaced, but %s replaces it", t.pos)
			}
			v.sum.Replaced++
		}
		if t.replaced != nil {
			v.lastBallot[voter] = ballotMark{height: b.Height, index: int32(t.index), replaced: *t.replaced}
		}
	case *election.DKGDealBody:
		v.deals = append(v.deals, body.Deal)
	case *election.DKGComplaintsBody:
		v.complaints = append(v.complaints, body.Complaints...)
	case *election.DKGResponsesBody:
		v.responses = append(v.responses, body.Responses...)
	}
	return nil
}

// finish checks the revote marks left, derives the joint key from the
// ceremony's messages alone and compares every claim with what the rules
// derived.
func (v *verifier) finish(c *RecordClaims) error {
	var first *ballotMark
	var firstVoter election.PublicKey
	for voter, m := range v.lastBallot {
		if m.replaced && (first == nil || m.height < first.height || m.height == first.height && m.index < first.index) {
			first, firstVoter = &m, voter
		}
	}
	if first != nil {
		return fail(first.item(firstVoter), CodeReplacedMark, "marked as replaced, but no later ballot of this voter is in the record")
	}
	o, err := v.engine.outcome()
	if err != nil {
		return fail("rules", CodeStateMachine, "%v", err)
	}
	if !o.created {
		return fail("blocks", CodeNotCreated, "the record does not create election %v", v.id)
	}
	v.sum.Phase = o.phase.String()
	v.sum.Voters, v.sum.RollSize = o.voters, o.rollSize
	claimAs := func(code VerifyCode, what string, got, want any) error {
		return fail("claims: "+what, code, "the record claims %v, the blocks give %v", got, want)
	}
	claim := func(what string, got, want any) error { return claimAs(CodeClaimMismatch, what, got, want) }
	if c.Phase != o.phase.String() || c.Failure != o.failure {
		return claim("phase", strings.TrimSpace(c.Phase+" "+c.Failure), strings.TrimSpace(o.phase.String()+" "+o.failure))
	}
	if c.JointKey != o.jointKey {
		return claim("joint_key", c.JointKey, o.jointKey)
	}
	if !slices.Equal(c.Qualified, nonNil(o.qualified)) {
		return claim("qualified", c.Qualified, o.qualified)
	}
	if !slices.Equal(c.ShareSets, nonNil(o.shareSets)) {
		return claim("share_sets", c.ShareSets, o.shareSets)
	}
	v.sum.Qualified, v.sum.ShareSets = nonNil(o.qualified), nonNil(o.shareSets)
	for _, f := range []struct {
		name      string
		got, want uint64
	}{
		{"roll_size", c.RollSize, o.rollSize},
		{"ballots", c.Ballots, o.ballots},
		{"voters", c.Voters, o.voters},
		{"weight_cast", c.WeightCast, o.weightCast},
	} {
		if f.got != f.want {
			return claim(f.name, f.got, f.want)
		}
	}
	if o.jointKey != "" {
		params, err := v.man.DKGParams(v.id)
		if err != nil {
			return fail("manifest", CodeBadManifest, "%v", err)
		}
		res, err := tally.Finalize(params, v.deals, v.complaints, v.responses)
		if err != nil {
			return fail("key ceremony", CodeKeyMismatch, "the deals, complaints and responses do not fix a key: %v", err)
		}
		if got := hex.EncodeToString(res.PublicKey.Bytes()); got != o.jointKey {
			return fail("key ceremony", CodeKeyMismatch, "the messages give joint key %s, the rules %s", got, o.jointKey)
		}
	}
	if len(c.Aggregates) != len(o.aggregates) {
		return claimAs(CodeAggregateMismatch, "aggregates", fmt.Sprintf("%d aggregates", len(c.Aggregates)), fmt.Sprintf("%d", len(o.aggregates)))
	}
	for i, want := range o.aggregates {
		if c.Aggregates[i] != want {
			return fail(fmt.Sprintf("claims: aggregate %d", i), CodeAggregateMismatch, "the record claims %s, the counted ballots add up to %s", short(c.Aggregates[i]), short(want))
		}
	}
	v.sum.Aggregates = len(o.aggregates)
	switch {
	case o.result == nil && c.Result != nil:
		return fail("claims: result", CodeResultMismatch, "the record claims a result, the blocks derive none")
	case o.result != nil && c.Result == nil:
		return fail("claims: result", CodeResultMismatch, "missing, the blocks derive one")
	case o.result != nil:
		if !slices.Equal(c.Result.Trustees, o.result.Trustees) {
			return claimAs(CodeResultMismatch, "result trustees", c.Result.Trustees, o.result.Trustees)
		}
		if len(c.Result.Totals) != len(o.result.Totals) {
			return claimAs(CodeResultMismatch, "result", fmt.Sprintf("%d contests", len(c.Result.Totals)), len(o.result.Totals))
		}
		for i, want := range o.result.Totals {
			if !slices.Equal(c.Result.Totals[i], want) {
				return fail(fmt.Sprintf("claims: result contest %d", i), CodeResultMismatch, "the record claims totals %v, the decryption gives %v", c.Result.Totals[i], want)
			}
		}
		v.sum.Result = c.Result
	}
	return nil
}

func nonNil(s []uint32) []uint32 {
	if s == nil {
		return []uint32{}
	}
	return s
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
