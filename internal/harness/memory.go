package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/evote/evote/election"
	"github.com/evote/evote/trustee"
)

// Memory is the state machine over election's memory store, with a clock
// the caller controls: each Submit is a block of its own, Block runs many
// transactions in one, and Wait runs an empty block Step later.
type Memory struct {
	Machine *election.Machine
	Store   *election.MemStore
	Chain   string
	Height  int64     // the last block's height
	Now     time.Time // the last block's time
	// Step is how far the clock moves for each block; 0 means a second.
	Step time.Duration
	// Prechecked, if set, says which transactions a block delivers as
	// prechecked (their signatures and proofs taken as checked).
	Prechecked func(tx []byte) bool
}

// NewMemory is a chain of id chainID whose genesis names authorities, at
// height 0 and time start.
func NewMemory(chainID string, start time.Time, authorities ...election.AuthorityPublicKey) (*Memory, error) {
	appState, err := json.Marshal(election.Genesis{ChainID: chainID, Authorities: authorities})
	if err != nil {
		return nil, err
	}
	m, err := election.NewMachineFromAppState(appState, chainID, election.Options{})
	if err != nil {
		return nil, err
	}
	return &Memory{Machine: m, Store: election.NewMemStore(), Chain: chainID, Now: start}, nil
}

// Block runs txs as the next block, at time at (the zero time: the last
// block's time plus Step), and returns each transaction's result.
func (m *Memory) Block(at time.Time, txs [][]byte) ([]election.Result, error) {
	if at.IsZero() {
		step := m.Step
		if step <= 0 {
			step = time.Second
		}
		at = m.Now.Add(step)
	}
	m.Height++
	m.Now = at
	blk, err := m.Machine.BeginBlock(m.Store, election.Block{ChainID: m.Chain, Height: m.Height, Time: at})
	if err != nil {
		return nil, err
	}
	out := make([]election.Result, len(txs))
	for i, tx := range txs {
		pre := m.Prechecked != nil && m.Prechecked(tx)
		if out[i], err = blk.Deliver(tx, pre); err != nil {
			return nil, err
		}
	}
	return out, blk.End()
}

func (m *Memory) ChainID(context.Context) (string, error) { return m.Chain, nil }

// Submit runs tx in a block of its own.
func (m *Memory) Submit(_ context.Context, what string, tx []byte) (int64, error) {
	res, err := m.Block(time.Time{}, [][]byte{tx})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if !res[0].OK() {
		return 0, &Refused{What: what, Code: res[0].Code, Height: m.Height, Log: res[0].Log}
	}
	return m.Height, nil
}

func (m *Memory) View(_ context.Context, id election.ID, wants func(*trustee.View) trustee.Wants) (*trustee.View, error) {
	return StoreView(m.Store, m.Chain, id, wants)
}

// Wait runs an empty block.
func (m *Memory) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := m.Block(time.Time{}, nil)
	return err
}
