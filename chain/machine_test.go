package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/evote/evote/election"
)

// testMachine is a small deterministic state machine that exists only to
// test the node before the election machine plugs in: signed set-once
// key-value writes, with an artificially expensive Precheck.
//
// A transaction is pub(32) || sig(64) || body, sig an Ed25519 signature of
// "evote-test/v1" || body. Bodies:
//
//	'S' u8 len(key) key value   set key to value, once; counts in "count"
//	'N'                         accepted, writes nothing
//	'F'                         writes, then is rejected by Deliver
const (
	codeMalformed election.Code = 1
	codeBadSig    election.Code = 2
	codeTaken     election.Code = 3
	codeFails     election.Code = 4
	codeNotYet    election.Code = 1001 // "then:K" before K is set: a final refusal by Check
)

const testSigTag = "evote-test/v1"

type testGenesis struct {
	Work int `json:"work"` // SHA-256 rounds Precheck burns per transaction
}

type testMachine struct {
	work       int
	prechecks  atomic.Int64 // how often Precheck ran
	onEndBlock func(b election.Block, delivered int)
}

func newTestMachine(appState json.RawMessage, chainID string) (StateMachine, error) {
	var g testGenesis
	if len(appState) > 0 {
		if err := json.Unmarshal(appState, &g); err != nil {
			return nil, fmt.Errorf("test genesis: %w", err)
		}
	}
	return &testMachine{work: g.Work}, nil
}

// testKey is a deterministic signing key.
func testKey(seed byte) ed25519.PrivateKey {
	var s [ed25519.SeedSize]byte
	s[0] = seed
	return ed25519.NewKeyFromSeed(s[:])
}

func signTx(key ed25519.PrivateKey, body []byte) []byte {
	msg := append([]byte(testSigTag), body...)
	tx := append([]byte{}, key.Public().(ed25519.PublicKey)...)
	tx = append(tx, ed25519.Sign(key, msg)...)
	return append(tx, body...)
}

func setTx(key ed25519.PrivateKey, k, v string) []byte {
	body := append([]byte{'S', byte(len(k))}, k...)
	return signTx(key, append(body, v...))
}

func noopTx(key ed25519.PrivateKey, nonce string) []byte {
	return signTx(key, append([]byte{'N'}, nonce...))
}

func failTx(key ed25519.PrivateKey, nonce string) []byte {
	return signTx(key, append([]byte{'F'}, nonce...))
}

type testOp struct {
	op         byte
	key, value []byte
}

func decodeTestTx(tx []byte) (testOp, election.Result) {
	const head = ed25519.PublicKeySize + ed25519.SignatureSize
	if len(tx) < head+1 {
		return testOp{}, election.Result{Code: codeMalformed, Log: "short transaction"}
	}
	body := tx[head:]
	op := testOp{op: body[0]}
	switch op.op {
	case 'S':
		if len(body) < 2 || len(body) < 2+int(body[1]) {
			return testOp{}, election.Result{Code: codeMalformed, Log: "short set"}
		}
		op.key = body[2 : 2+int(body[1])]
		op.value = body[2+int(body[1]):]
	case 'N', 'F':
	default:
		return testOp{}, election.Result{Code: codeMalformed, Log: "unknown op"}
	}
	return op, election.Result{}
}

func (m *testMachine) Precheck(st election.ReadStore, tx []byte) (election.Result, error) {
	m.prechecks.Add(1)
	if _, res := decodeTestTx(tx); !res.OK() {
		return res, nil
	}
	// Stands for reading immutable election data (keys, roll).
	if _, err := st.Get([]byte("params")); err != nil {
		return election.Result{}, err
	}
	h := sha256.Sum256(tx)
	for range m.work {
		h = sha256.Sum256(h[:])
	}
	pub := ed25519.PublicKey(tx[:ed25519.PublicKeySize])
	sig := tx[ed25519.PublicKeySize : ed25519.PublicKeySize+ed25519.SignatureSize]
	msg := append([]byte(testSigTag), tx[ed25519.PublicKeySize+ed25519.SignatureSize:]...)
	if !ed25519.Verify(pub, msg, sig) {
		return election.Result{Code: codeBadSig, Log: "bad signature"}, nil
	}
	return election.Result{}, nil
}

func (m *testMachine) Check(st election.ReadStore, _ election.Block, tx []byte, prechecked bool) (election.Result, error) {
	if !prechecked {
		if res, err := m.Precheck(st, tx); err != nil || !res.OK() {
			return res, err
		}
	}
	op, _ := decodeTestTx(tx)
	if op.op == 'S' {
		if res, err := needs(st, op); err != nil || !res.OK() {
			return res, err
		}
		v, err := st.Get(dataKey(op.key))
		if err != nil {
			return election.Result{}, err
		}
		if v != nil {
			return election.Result{Code: codeTaken, Log: "key taken"}, nil
		}
	}
	return election.Result{}, nil
}

// needs refuses, with a transient code, a set whose value is "after:K"
// while key K is not set: a transaction that only becomes valid once
// another is committed (as a ballot for an election just created). A set
// whose value is "then:K" it refuses alike with codeNotYet, a code that
// is not transient (as the opening of an election whose ceremony's last
// block this node has not committed yet).
func needs(st election.ReadStore, op testOp) (election.Result, error) {
	code := election.CodeUnknownElection
	k, ok := bytes.CutPrefix(op.value, []byte("after:"))
	if !ok {
		code = codeNotYet
		k, ok = bytes.CutPrefix(op.value, []byte("then:"))
	}
	if !ok {
		return election.Result{}, nil
	}
	v, err := st.Get(dataKey(k))
	if err != nil {
		return election.Result{}, err
	}
	if v == nil {
		return election.Result{Code: code, Log: fmt.Sprintf("%s is not set yet", k)}, nil
	}
	return election.Result{}, nil
}

func (m *testMachine) BeginBlock(st election.Store, b election.Block) (election.BlockExec, error) {
	return &testBlock{m: m, st: st, b: b}, nil
}

// testBlock is a block of testMachine under way.
type testBlock struct {
	m         *testMachine
	st        election.Store
	b         election.Block
	delivered int // accepted transactions so far
}

func (x *testBlock) Deliver(tx []byte, prechecked bool) (election.Result, error) {
	st := x.st
	if !prechecked {
		if res, err := x.m.Precheck(st, tx); err != nil || !res.OK() {
			return res, err
		}
	}
	op, _ := decodeTestTx(tx)
	switch op.op {
	case 'N':
		return election.Result{Log: "no-op"}, nil
	case 'F':
		st.Set([]byte("d/fail"), []byte("written by a rejected transaction"))
		return election.Result{Code: codeFails, Log: "fails on purpose"}, nil
	}
	if res, err := needs(st, op); err != nil || !res.OK() {
		return res, err
	}
	v, err := st.Get(dataKey(op.key))
	if err != nil {
		return election.Result{}, err
	}
	if v != nil {
		return election.Result{Code: codeTaken, Log: "key taken"}, nil
	}
	if err := st.Set(dataKey(op.key), op.value); err != nil {
		return election.Result{}, err
	}
	n, err := st.Get([]byte("count"))
	if err != nil {
		return election.Result{}, err
	}
	var c uint64
	if len(n) == 8 {
		c = binary.BigEndian.Uint64(n)
	}
	if err := st.Set([]byte("count"), binary.BigEndian.AppendUint64(nil, c+1)); err != nil {
		return election.Result{}, err
	}
	x.delivered++
	return election.Result{Log: "set", Events: []election.Attribute{{Key: "key", Value: string(op.key)}}}, nil
}

func (x *testBlock) End() error {
	if x.m.onEndBlock != nil {
		x.m.onEndBlock(x.b, x.delivered)
	}
	return nil
}

func dataKey(k []byte) []byte { return append([]byte("d/"), k...) }

// batchTestMachine is testMachine with PrecheckBatch: each transaction
// prechecked alone, counting batches and their transactions.
type batchTestMachine struct {
	*testMachine
	batches   atomic.Int64
	batched   atomic.Int64
	largest   atomic.Int64
	batchHook func(n int) // tests: called with each batch's size before it runs
}

func (m *batchTestMachine) PrecheckBatch(st election.ReadStore, txs [][]byte) ([]election.Result, error) {
	if m.batchHook != nil {
		m.batchHook(len(txs))
	}
	m.batches.Add(1)
	m.batched.Add(int64(len(txs)))
	for {
		l := m.largest.Load()
		if int64(len(txs)) <= l || m.largest.CompareAndSwap(l, int64(len(txs))) {
			break
		}
	}
	out := make([]election.Result, len(txs))
	for i, tx := range txs {
		res, err := m.Precheck(st, tx)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}
