package observer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/evote/evote/election"
)

// The follower's journal (docs/spec/observer-state.md): what a Follower
// verified, so that a restarted observer resumes where it stopped instead
// of verifying from block 1 again. It is a log of JSON lines: a head, then
// the election's accepted transactions block by block, with a checkpoint
// after each proven state. A checkpoint carries the state's commitment hash
// and the SHA-256 chain of every line before it: on resume the blocks are
// replayed through the rules (without their signatures and proofs, which
// were verified when they came), the replayed state must be the checkpoint's,
// and the feed's next block must prove that state again against the
// validators' signatures, so a changed journal is refused, never trusted.

// JournalFormat is the journal's format tag and version.
const JournalFormat = "evote/v1/observer-state"

// ErrJournal is wrapped by every refusal of a journal.
var ErrJournal = errors.New("observer: the state file cannot be used")

type journalHead struct {
	Format string      `json:"format"`
	Head   *RecordHead `json:"head"`
}

type journalBlock struct {
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
	Txs    []Bytes   `json:"txs"`
}

type journalCheckpoint struct {
	Verified int64  `json:"verified"` // the state after this block is proven
	State    string `json:"state"`    // its commitment hash, hex
	Chain    string `json:"chain"`    // SHA-256 of every line before, hex
}

// journal writes the lines.
type journal struct {
	w     io.Writer
	chain hash.Hash
	err   error
	txs   []Bytes // the block being replayed
}

func (j *journal) line(v any) {
	if j.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		j.err = err
		return
	}
	b = append(b, '\n')
	j.chain.Write(b)
	_, j.err = j.w.Write(b)
}

// Journal makes the follower write its journal to w from now on: the head
// first if fresh (a new journal), then every block it replays and a
// checkpoint after each proven state. A write error stops the follower.
func (f *Follower) Journal(w io.Writer, fresh bool) error {
	if f.v.journal != nil {
		return errors.New("observer: the follower has a journal")
	}
	j := &journal{w: w, chain: sha256.New()}
	if f.resumed != nil {
		j.chain = f.resumed
	}
	if fresh {
		j.line(journalHead{Format: JournalFormat, Head: f.v.head})
	}
	f.v.journal = j
	return j.err
}

// journalTx notes an accepted transaction of the block being replayed.
func (v *verifier) journalTx(raw []byte) {
	if v.journal != nil {
		v.journal.txs = append(v.journal.txs, raw)
	}
}

// journalBlock writes the block just replayed if it had accepted
// transactions or changed the state.
func (v *verifier) journalBlock(vb *vblock, changed bool) error {
	j := v.journal
	if j == nil {
		return nil
	}
	if len(j.txs) > 0 || changed {
		j.line(journalBlock{Height: vb.height, Time: vb.time, Txs: j.txs})
	}
	j.txs = nil
	return j.err
}

// journalCheckpoint writes a checkpoint: the state after block h, whose
// commitment hash is state, is proven.
func (v *verifier) journalCheckpoint(h int64, state [32]byte) error {
	j := v.journal
	if j == nil {
		return nil
	}
	sum := j.chain.Sum(nil)
	j.line(journalCheckpoint{Verified: h, State: hex.EncodeToString(state[:]), Chain: hex.EncodeToString(sum)})
	if fl, ok := j.w.(interface{ Flush() error }); ok && j.err == nil {
		j.err = fl.Flush()
	}
	return j.err
}

// Resumed is what ResumeFollower read from a journal.
type Resumed struct {
	// From is the height the feed must resume from: the block that proves
	// the journal's last state.
	From int64
	// Keep is how many bytes of the journal are good (up to its last
	// checkpoint): truncate the file there and append.
	Keep int64
	// Blocks and Txs replayed.
	Blocks, Txs int
}

// ResumeFollower reads a journal, checks it and replays it up to its last
// checkpoint through the rules, and returns a Follower that goes on from
// there: add blocks from r.From on (the first of them must prove the
// journal's state again). head, if not nil, must be the journal's head
// (the election the caller wants to follow).
func ResumeFollower(rd io.Reader, head *RecordHead, opts VerifyOptions) (*Follower, *Resumed, error) {
	br := bufio.NewReaderSize(rd, 1<<20)
	chain := sha256.New()
	var off int64
	readLine := func() ([]byte, error) {
		b, err := br.ReadBytes('\n')
		if err == io.EOF && len(b) > 0 {
			return nil, io.ErrUnexpectedEOF // a last line cut short: not written whole
		}
		return b, err
	}
	first, err := readLine()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: no head: %v", ErrJournal, err)
	}
	var jh journalHead
	if err := strictUnmarshal(first, &jh); err != nil || jh.Head == nil {
		return nil, nil, fmt.Errorf("%w: line 1 is not a journal's head (%v)", ErrJournal, err)
	}
	if jh.Format != JournalFormat {
		return nil, nil, fmt.Errorf("%w: format %q, want %q", ErrJournal, jh.Format, JournalFormat)
	}
	if head != nil && (head.Election != jh.Head.Election || head.ChainID != jh.Head.ChainID) {
		return nil, nil, fmt.Errorf("%w: it is of election %v on chain %q", ErrJournal, jh.Head.Election, jh.Head.ChainID)
	}
	chain.Write(first)
	off += int64(len(first))
	f, err := NewFollower(jh.Head, opts)
	if err != nil {
		return nil, nil, err
	}
	v := f.v
	var pending []journalBlock
	res := &Resumed{Keep: off}
	var last *journalCheckpoint
	var keptChain []byte
	var lastHeight int64
	for n := 2; ; n++ {
		line, err := readLine()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break // what follows the last checkpoint is dropped
		}
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%w: %v", ErrJournal, err)
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(line, &probe); err != nil {
			break // a torn line after a crash: drop it and what follows
		}
		if _, ok := probe["verified"]; ok {
			var cp journalCheckpoint
			if err := strictUnmarshal(line, &cp); err != nil {
				f.Close()
				return nil, nil, fmt.Errorf("%w: line %d: %v", ErrJournal, n, err)
			}
			if want := hex.EncodeToString(chain.Sum(nil)); cp.Chain != want {
				f.Close()
				return nil, nil, fmt.Errorf("%w: line %d: the lines before this checkpoint were changed", ErrJournal, n)
			}
			for _, b := range pending {
				if err := f.replayJournal(b); err != nil {
					f.Close()
					return nil, nil, fmt.Errorf("%w: block %d: %v", ErrJournal, b.Height, err)
				}
				res.Blocks++
				res.Txs += len(b.Txs)
			}
			pending = nil
			c, err := v.engine.commitment()
			if err != nil || c == nil {
				f.Close()
				return nil, nil, fmt.Errorf("%w: line %d: no state to check (%v)", ErrJournal, n, err)
			}
			if h := c.Hash(); hex.EncodeToString(h[:]) != cp.State {
				f.Close()
				return nil, nil, fmt.Errorf("%w: line %d: its blocks give another state than the checkpoint after block %d", ErrJournal, n, cp.Verified)
			}
			chain.Write(line)
			off += int64(len(line))
			cpc := cp
			last, res.Keep = &cpc, off
			keptChain = cloneHash(chain)
			continue
		}
		var b journalBlock
		if err := strictUnmarshal(line, &b); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%w: line %d: %v", ErrJournal, n, err)
		}
		if b.Height <= lastHeight {
			f.Close()
			return nil, nil, fmt.Errorf("%w: line %d: block %d out of order", ErrJournal, n, b.Height)
		}
		lastHeight = b.Height
		pending = append(pending, b)
		chain.Write(line)
		off += int64(len(line))
	}
	if last == nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: no checkpoint: nothing was proven", ErrJournal)
	}
	// The next block must prove the checkpoint's state again.
	c, _ := v.engine.commitment()
	v.current = c
	if c != nil {
		v.currentHash = c.Hash()
	}
	v.unproven = last.Verified
	v.stateHeight = last.Verified
	f.prev, f.n = last.Verified, 1
	v.progress.Height = last.Verified
	res.From = last.Verified + 1
	if f.resumed, err = restoreHash(keptChain); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, res, nil
}

// cloneHash is the state of a SHA-256 hash so far.
func cloneHash(h hash.Hash) []byte {
	b, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic(err) // crypto/sha256's digest always marshals
	}
	return b
}

// restoreHash is a SHA-256 hash in the state cloneHash saved.
func restoreHash(b []byte) (hash.Hash, error) {
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return h, nil
}

// replayJournal applies a journal block through the rules, without checking
// signatures and proofs again.
func (f *Follower) replayJournal(b journalBlock) error {
	v := f.v
	blk := election.Block{ChainID: v.chainID, Height: b.Height, Time: b.Time}
	if err := v.engine.beginBlock(blk); err != nil {
		return err
	}
	for i, raw := range b.Txs {
		tx, err := election.DecodeTx(raw)
		if err != nil {
			return fmt.Errorf("tx %d: %v", i, err)
		}
		body, err := election.DecodeBody(tx.Kind, tx.Body)
		if err != nil {
			return fmt.Errorf("tx %d: %v", i, err)
		}
		t := &vtx{index: i, pos: fmt.Sprintf("block %d tx %d", b.Height, i), raw: raw, tx: tx, body: body, checked: true}
		if tx.Kind == election.KindValidatorUpdate {
			// The chain's validator update: the set the feed's next
			// blocks must name follows from it.
			if _, _, err := v.applyValidatorTx(b.Height, t); err != nil {
				return fmt.Errorf("tx %d: %v", i, err)
			}
			v.sum.ValidatorChanges++
			continue
		}
		if err := v.engine.deliver(blk, t); err != nil {
			return fmt.Errorf("tx %d: %v", i, err)
		}
		v.sum.Txs++
		if tx.Kind == election.KindBallot {
			v.sum.Ballots++
		}
	}
	return v.engine.endBlock(blk)
}

// strictUnmarshal decodes one JSON value with no unknown member.
func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}
