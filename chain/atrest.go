package chain

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	sm "github.com/cometbft/cometbft/state"
	cmtstore "github.com/cometbft/cometbft/store"

	"github.com/evote/evote/election"
)

// ErrStateAltered means the state a node holds at rest is not the state
// its app hash commits to: rows of its store were changed, added or deleted
// outside the node. The node refuses to start (NewNode) rather than serve
// them. The error is a *StateAlteredError.
var ErrStateAltered = errors.New("chain: the stored state differs from the signed chain")

// StateAlteredError says what CheckState found different.
type StateAlteredError struct {
	Path   string   // the store's file
	Height int64    // the committed height the store claims
	Parts  []string // what differs, one sentence each
}

func (e *StateAlteredError) Error() string {
	return fmt.Sprintf("chain: the state stored in %s at block %d is not the state the chain signed: %s. The node does "+
		"not serve altered state; stop it if it runs and rebuild its state from the blocks with `evote node repair --home DIR` "+
		"(DIR the node's home), or move its data directory aside and sync the node again from its peers",
		e.Path, e.Height, strings.Join(e.Parts, "; "))
}

// Is makes errors.Is(err, ErrStateAltered) true.
func (e *StateAlteredError) Is(target error) bool { return target == ErrStateAltered }

// SignedAppHash is an app hash that the store's state must reach, and
// where it comes from ("the header of block 8, signed by the validators").
type SignedAppHash struct {
	Hash   []byte
	Source string
}

// StateCheck is what CheckState read and how long it took.
type StateCheck struct {
	Height   int64
	AppHash  []byte
	Rows     int64 // kv and txs rows hashed
	Bytes    int64 // their bytes (keys, values, tx rows)
	Duration time.Duration
}

// CheckState recomputes the state checksum from every row of kv and txs
// (in parallel over GOMAXPROCS), every election's state commitment from kv,
// the tree of elections and the app hash, and compares them with what the
// store holds and with each of want (app hashes from outside the store:
// CometBFT's signed header, its state). A difference is a
// *StateAlteredError (errors.Is ErrStateAltered) naming each part that
// differs.
func (s *Store) CheckState(ctx context.Context, path string, want ...SignedAppHash) (StateCheck, error) {
	t0 := time.Now()
	var (
		c                              StateCheck
		prevWrites, writesHash, ltKVb  []byte
		ltTxsb, writesChain, appHashDB []byte
	)
	err := s.r.QueryRowContext(ctx, "SELECT height, app_hash, writes_chain, prev_writes, writes_hash, lt_kv, lt_txs FROM meta WHERE id = 0").
		Scan(&c.Height, &appHashDB, &writesChain, &prevWrites, &writesHash, &ltKVb, &ltTxsb)
	if err != nil {
		return c, fmt.Errorf("chain: check the stored state: %w", err)
	}
	c.AppHash = appHashDB
	altered := &StateAlteredError{Path: path, Height: c.Height}
	var storedKV, storedTxs election.LtHash
	if storedKV.UnmarshalBinary(ltKVb) != nil || storedTxs.UnmarshalBinary(ltTxsb) != nil {
		altered.Parts = append(altered.Parts, "the stored state checksum (table meta) is not 2048 bytes")
	}
	kv, txs, rows, n, err := s.sumState(ctx)
	if err != nil {
		return c, err
	}
	c.Rows, c.Bytes = rows, n
	if kv != storedKV {
		altered.Parts = append(altered.Parts, "the elections' state (table kv) differs from its checksum stored with the block")
	}
	if txs != storedTxs {
		altered.Parts = append(altered.Parts, "the receipt index (table txs) differs from its checksum stored with the block")
	}

	// Every election's commitment, recomputed from kv, against the latest
	// stored one; the tree of elections from the recomputed ones.
	cs, _, err := commitmentsAt(s.r, c.Height)
	if err != nil {
		return c, err
	}
	leaves := make([][]byte, len(cs))
	for i, stored := range cs {
		got, err := election.Commitment(reader{s.r}, stored.Election)
		if err != nil {
			altered.Parts = append(altered.Parts, fmt.Sprintf("election %v's state cannot be read (%v)", stored.Election, err))
			leaves[i] = stored.Leaf()
			continue
		}
		if d := stored.Diff(got); d != "" || got.Hash() != stored.Hash() {
			altered.Parts = append(altered.Parts, fmt.Sprintf("election %v's state commitment recomputed from its rows differs from the stored one (%s)", stored.Election, d))
		}
		leaves[i] = got.Leaf()
	}

	var app []byte
	var differs []string
	if c.Height == 0 || len(writesHash) == 0 {
		// No block with writes yet: the state is empty and the app hash
		// is app_hash(0), which the genesis fixes.
		if !kv.IsZero() || !txs.IsZero() || len(cs) != 0 {
			altered.Parts = append(altered.Parts, "the store holds rows before any block wrote them")
		}
		app = appHashDB
	} else {
		writes := election.NextWritesChain(prevWrites, writesHash, election.StateChecksum(&kv, &txs))
		app = election.AppHash(writes, election.MerkleRoot(leaves))
		if !bytes.Equal(app, appHashDB) {
			differs = append(differs, fmt.Sprintf("the one stored with the block (%x)", appHashDB))
		}
	}
	for _, w := range want {
		if !bytes.Equal(app, w.Hash) {
			differs = append(differs, fmt.Sprintf("the one in %s (%x)", w.Source, w.Hash))
		}
	}
	if len(differs) > 0 {
		altered.Parts = append(altered.Parts, fmt.Sprintf("the app hash recomputed from the rows, %x, differs from %s", app, strings.Join(differs, " and from ")))
	}
	c.Duration = time.Since(t0)
	if len(altered.Parts) > 0 {
		return c, altered
	}
	return c, nil
}

// sumState computes the LtHashes of kv and txs from their rows: two
// readers (one per table) hand batches of elements to GOMAXPROCS hashers.
func (s *Store) sumState(ctx context.Context) (kv, txs election.LtHash, rows, n int64, err error) {
	type batch struct {
		txs   bool
		elems [][]byte
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batch, 8)
	var rerr [2]error
	var readers sync.WaitGroup
	read := func(i int, isTxs bool, q string, scan func(*sql.Rows) ([]byte, error)) {
		defer readers.Done()
		rs, err := s.r.QueryContext(ctx, q)
		if err != nil {
			rerr[i] = fmt.Errorf("chain: check the stored state: %w", err)
			return
		}
		defer rs.Close()
		b := batch{txs: isTxs}
		for rs.Next() {
			e, err := scan(rs)
			if err != nil {
				rerr[i] = fmt.Errorf("chain: check the stored state: %w", err)
				return
			}
			b.elems = append(b.elems, e)
			if len(b.elems) == 256 {
				select {
				case ch <- b:
				case <-ctx.Done():
					return
				}
				b = batch{txs: isTxs}
			}
		}
		if err := rs.Err(); err != nil {
			rerr[i] = fmt.Errorf("chain: check the stored state: %w", err)
			return
		}
		if len(b.elems) > 0 {
			select {
			case ch <- b:
			case <-ctx.Done():
			}
		}
	}
	readers.Add(2)
	go read(0, false, "SELECT key, value FROM kv", func(rs *sql.Rows) ([]byte, error) {
		var k, v sql.RawBytes
		if err := rs.Scan(&k, &v); err != nil {
			return nil, err
		}
		return election.KVElement(k, v), nil
	})
	go read(1, true, "SELECT hash, height, idx, code, log FROM txs", func(rs *sql.Rows) ([]byte, error) {
		var h sql.RawBytes
		var height, idx, code int64
		var log string
		if err := rs.Scan(&h, &height, &idx, &code, &log); err != nil {
			return nil, err
		}
		return election.TxElement(h, height, int(idx), election.Code(code), log), nil
	})
	go func() { readers.Wait(); close(ch) }()

	type sums struct {
		kv, txs election.LtHash
		rows, n int64
	}
	w := runtime.GOMAXPROCS(0)
	out := make([]sums, w)
	var hashers sync.WaitGroup
	for i := range w {
		hashers.Add(1)
		go func() {
			defer hashers.Done()
			acc := &out[i]
			for b := range ch {
				l := &acc.kv
				if b.txs {
					l = &acc.txs
				}
				for _, e := range b.elems {
					l.Add(e)
					acc.n += int64(len(e))
				}
				acc.rows += int64(len(b.elems))
			}
		}()
	}
	hashers.Wait()
	if err := errors.Join(rerr[0], rerr[1], ctx.Err()); err != nil {
		return kv, txs, 0, 0, err
	}
	for i := range out {
		kv.AddHash(&out[i].kv)
		txs.AddHash(&out[i].txs)
		rows += out[i].rows
		n += out[i].n
	}
	return kv, txs, rows, n, nil
}

// signedAppHashes returns what CometBFT holds of app_hash(h), h the height
// of the app's store: the AppHash of block h+1's header if the block store
// has it (a committed block: signed by the validators), and the app hash
// CometBFT recorded after block h in its state if that is its last block.
// It opens and closes CometBFT's databases, so it runs before nm.NewNode.
func signedAppHashes(conf *cfg.Config, h int64) ([]SignedAppHash, error) {
	var out []SignedAppHash
	bdb, err := cfg.DefaultDBProvider(&cfg.DBContext{ID: "blockstore", Config: conf})
	if err != nil {
		return nil, fmt.Errorf("chain: open the block store: %w", err)
	}
	bs := cmtstore.NewBlockStore(bdb)
	if h >= 0 && bs.Height() >= h+1 {
		if meta := bs.LoadBlockMeta(h + 1); meta != nil {
			out = append(out, SignedAppHash{Hash: meta.Header.AppHash,
				Source: fmt.Sprintf("the header of block %d, which the validators signed", h+1)})
		}
	}
	if err := bs.Close(); err != nil {
		return nil, fmt.Errorf("chain: close the block store: %w", err)
	}
	sdb, err := cfg.DefaultDBProvider(&cfg.DBContext{ID: "state", Config: conf})
	if err != nil {
		return nil, fmt.Errorf("chain: open CometBFT's state: %w", err)
	}
	st, err := sm.NewStore(sdb, sm.StoreOptions{}).Load()
	sdb.Close()
	if err != nil {
		return nil, fmt.Errorf("chain: read CometBFT's state: %w", err)
	}
	if h >= 1 && st.LastBlockHeight == h && len(st.AppHash) > 0 {
		out = append(out, SignedAppHash{Hash: st.AppHash,
			Source: fmt.Sprintf("CometBFT's state after block %d", h)})
	}
	return out, nil
}

// checkStateAtRest is NewNode's start-up check: the store's rows against
// its app hash and CometBFT's, before the handshake answers Info from them.
func checkStateAtRest(ctx context.Context, conf *cfg.Config, s *Store, path string) error {
	m, err := s.Meta()
	if err != nil {
		return err
	}
	var want []SignedAppHash
	if len(m.AppHash) > 0 { // after InitChain (an empty store replays the blocks from the genesis)
		if want, err = signedAppHashes(conf, m.Height); err != nil {
			return err
		}
	}
	_, err = s.CheckState(ctx, path, want...)
	return err
}
