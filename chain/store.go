package chain

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"

	"github.com/evote/evote/election"
)

// StoreFile is the name of the SQLite database in a node home's data
// directory.
const StoreFile = "evote.db"

// schemaVersion is SQLite's user_version of the schema below.
const schemaVersion = 3

// The schema. meta and genesis hold one row each (id 0). meta is the
// committed height, app hash, chain of writes and block time (Info answers
// from it), and what the start-up check recomputes the app hash from: the
// chain of writes before the last block with writes, that block's writes
// hash, and the running LtHashes of kv and txs (docs/spec/app-hash.md). txs is one row per committed transaction, for receipts and
// lookups. commitments holds each election's state commitment at every
// height where it changed, and roots the chain of writes and the root of
// the tree of elections at every height with writes: what a state proof
// at any height is made of (docs/spec/app-hash.md).
const schema = `
CREATE TABLE IF NOT EXISTS kv (
	key   BLOB PRIMARY KEY,
	value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
	id           INTEGER PRIMARY KEY CHECK (id = 0),
	height       INTEGER NOT NULL,
	app_hash     BLOB NOT NULL,
	writes_chain BLOB NOT NULL,
	block_time   INTEGER NOT NULL,
	prev_writes  BLOB NOT NULL,
	writes_hash  BLOB NOT NULL,
	lt_kv        BLOB NOT NULL,
	lt_txs       BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS genesis (
	id        INTEGER PRIMARY KEY CHECK (id = 0),
	chain_id  TEXT NOT NULL,
	app_state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
	hash   BLOB PRIMARY KEY,
	height INTEGER NOT NULL,
	idx    INTEGER NOT NULL,
	code   INTEGER NOT NULL,
	log    TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commitments (
	election   BLOB NOT NULL,
	height     INTEGER NOT NULL,
	commitment BLOB NOT NULL,
	PRIMARY KEY (election, height)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS roots (
	height       INTEGER PRIMARY KEY,
	writes_chain BLOB NOT NULL,
	root         BLOB NOT NULL
);
INSERT OR IGNORE INTO meta (id, height, app_hash, writes_chain, block_time, prev_writes, writes_hash, lt_kv, lt_txs)
	VALUES (0, 0, x'', x'', 0, x'', x'', x'', x'');
`

var (
	// ErrStoreClosed is returned by a closed store.
	ErrStoreClosed = errors.New("chain: store closed")
	// ErrBlockStaged is returned by Begin while another block is staged.
	ErrBlockStaged = errors.New("chain: a block is already staged")
	// ErrNotFound is returned when a transaction has no committed row.
	ErrNotFound = errors.New("chain: not found")
)

// Meta is the committed state's summary: the last committed height, its app
// hash and its block time. Height 0 is the state after InitChain (or before
// it, with an empty app hash).
type Meta struct {
	Height  int64
	AppHash []byte
	Time    time.Time
}

// TxRow is a committed transaction's row: where it is and its result.
type TxRow struct {
	Hash   []byte        `json:"hash"`
	Height int64         `json:"height"`
	Index  int           `json:"index"`
	Code   election.Code `json:"code"`
	Log    string        `json:"log"`
}

// Store is the node's SQLite database: the election state (an ordered
// key-value map), the committed height and app hash, the genesis, and the
// committed transactions.
//
// Writes happen only through a staged Block, one at a time; they become
// durable, all together, in Block.Commit. Readers (Reader, View) use a
// separate read-only connection pool and see committed data only.
type Store struct {
	w *sql.DB // the one writing connection
	r *sql.DB // read-only connections

	mu     sync.Mutex
	staged *Block
	closed bool

	// writeFault, if set (Options.StoreWriteFault, for tests), runs as a
	// block commits: its error is the write's.
	writeFault func(height int64) error
}

// OpenStore opens (creating it if needed) the database at path: WAL
// journal, synchronous=FULL, a busy timeout.
func OpenStore(path string) (*Store, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("chain: store path %q: must not contain ? or #", path)
	}
	w, err := sql.Open("sqlite3", "file:"+path+
		"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_txlock=immediate&_stmt_cache_size=32")
	if err != nil {
		return nil, fmt.Errorf("chain: open store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := initSchema(w, path); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000&_stmt_cache_size=16")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("chain: open store for reading: %w", err)
	}
	n := 2 * runtime.GOMAXPROCS(0)
	if n < 4 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.Ping(); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("chain: open store for reading: %w", err)
	}
	return &Store{w: w, r: r}, nil
}

func initSchema(w *sql.DB, path string) error {
	var mode string
	if err := w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("chain: store: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("chain: store: journal mode is %q, want wal", mode)
	}
	var version int
	if err := w.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("chain: store: %w", err)
	}
	if version != 0 && version != schemaVersion {
		return fmt.Errorf("chain: store %s: schema version %d, this node knows %d (its app hash, evote/v%d, commits to "+
			"every row of the elections' state and of the receipt index): the chain it holds cannot go on with this node; move the node's data directory aside and "+
			"sync the node again from its peers, or run the release that made it", path, version, schemaVersion, schemaVersion)
	}
	tx, err := w.Begin()
	if err != nil {
		return fmt.Errorf("chain: store schema: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(schema); err != nil {
		return fmt.Errorf("chain: store schema: %w", err)
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("chain: store schema: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("chain: store schema: %w", err)
	}
	return nil
}

// Close rolls back a staged block, if any, and closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.staged != nil {
		s.staged.tx.Rollback()
		s.staged = nil
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// Meta returns the committed height, app hash and block time.
func (s *Store) Meta() (Meta, error) { return readMeta(s.r) }

type queryer interface {
	QueryRow(query string, args ...any) *sql.Row
}

func readMeta(q queryer) (Meta, error) {
	var m Meta
	var t int64
	if err := q.QueryRow("SELECT height, app_hash, block_time FROM meta WHERE id = 0").
		Scan(&m.Height, &m.AppHash, &t); err != nil {
		return Meta{}, fmt.Errorf("chain: read meta: %w", err)
	}
	if t != 0 {
		m.Time = time.Unix(0, t).UTC()
	}
	return m, nil
}

// Genesis returns the genesis stored by InitGenesis; ok is false before it.
func (s *Store) Genesis() (chainID string, appState []byte, ok bool, err error) {
	err = s.r.QueryRow("SELECT chain_id, app_state FROM genesis WHERE id = 0").Scan(&chainID, &appState)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("chain: read genesis: %w", err)
	}
	return chainID, appState, true, nil
}

// InitGenesis stores the genesis and sets the committed state to height 0
// with appHash and no key-value data, durably, in one transaction. It
// refuses once a block has been committed; before that it may be repeated
// (CometBFT calls InitChain again after a crash before the first block).
func (s *Store) InitGenesis(chainID string, appState, appHash []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStoreClosed
	}
	if s.staged != nil {
		return ErrBlockStaged
	}
	tx, err := s.w.Begin()
	if err != nil {
		return fmt.Errorf("chain: init genesis: %w", err)
	}
	defer tx.Rollback()
	m, err := readMeta(tx)
	if err != nil {
		return err
	}
	if m.Height != 0 {
		return fmt.Errorf("chain: init genesis: the store is at height %d", m.Height)
	}
	if appState == nil {
		appState = []byte{}
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM kv", nil},
		{"DELETE FROM txs", nil},
		{"DELETE FROM commitments", nil},
		{"DELETE FROM roots", nil},
		{"INSERT OR REPLACE INTO genesis (id, chain_id, app_state) VALUES (0, ?, ?)", []any{chainID, appState}},
		{"UPDATE meta SET height = 0, app_hash = ?, writes_chain = ?, block_time = 0, prev_writes = x'', writes_hash = x'', " +
			"lt_kv = x'', lt_txs = x'' WHERE id = 0", []any{appHash, appHash}},
	} {
		if _, err := tx.Exec(q.sql, q.args...); err != nil {
			return fmt.Errorf("chain: init genesis: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("chain: init genesis: %w", err)
	}
	return nil
}

// TxRow returns the committed row of the transaction with the given hash,
// or ErrNotFound.
func (s *Store) TxRow(hash []byte) (TxRow, error) { return txRow(s.r, hash) }

func txRow(q queryer, hash []byte) (TxRow, error) {
	row := TxRow{Hash: bytes.Clone(hash)}
	var code int64
	err := q.QueryRow("SELECT height, idx, code, log FROM txs WHERE hash = ?", nonNil(hash)).
		Scan(&row.Height, &row.Index, &code, &row.Log)
	if errors.Is(err, sql.ErrNoRows) {
		return TxRow{}, ErrNotFound
	}
	if err != nil {
		return TxRow{}, fmt.Errorf("chain: read tx: %w", err)
	}
	row.Code = election.Code(code)
	return row, nil
}

// Reader is committed state read through the read-only connections, one
// statement at a time: each Get or Iterate sees the latest commit. Use View
// for several reads from one snapshot.
func (s *Store) Reader() election.ReadStore { return reader{s.r} }

// View calls fn with committed state as of one snapshot (one read
// transaction on the read-only connections) and the Meta of that snapshot.
func (s *Store) View(ctx context.Context, fn func(Meta, election.ReadStore) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("chain: read snapshot: %w", err)
	}
	defer tx.Rollback()
	m, err := readMeta(tx)
	if err != nil {
		return err
	}
	return fn(m, reader{tx})
}

// beginWrite opens the write transaction of a block or a restore (what
// names it in errors) and reads the meta row in it. The caller holds s.mu;
// no block may be staged.
func (s *Store) beginWrite(what string) (*sql.Tx, Meta, error) {
	if s.closed {
		return nil, Meta{}, ErrStoreClosed
	}
	if s.staged != nil {
		return nil, Meta{}, ErrBlockStaged
	}
	tx, err := s.w.Begin()
	if err != nil {
		return nil, Meta{}, fmt.Errorf("chain: %s: %w", what, err)
	}
	m, err := readMeta(tx)
	if err != nil {
		tx.Rollback()
		return nil, Meta{}, err
	}
	return tx, m, nil
}

// Begin stages block height: until Commit or Rollback, its writes are
// visible only through the returned Block. height must follow the committed
// height.
func (s *Store) Begin(height int64) (*Block, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, m, err := s.beginWrite(fmt.Sprintf("begin block %d", height))
	if err != nil {
		return nil, err
	}
	if height != m.Height+1 {
		tx.Rollback()
		return nil, fmt.Errorf("chain: begin block %d: the store is at height %d", height, m.Height)
	}
	var prevWrites, ltKV, ltTxs []byte
	if err := tx.QueryRow("SELECT writes_chain, lt_kv, lt_txs FROM meta WHERE id = 0").Scan(&prevWrites, &ltKV, &ltTxs); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("chain: begin block %d: %w", height, err)
	}
	b := &Block{s: s, tx: tx, height: height, prevHash: m.AppHash, prevWrites: prevWrites, log: newWriteLog(),
		touched: map[election.ID]struct{}{}}
	if err := errors.Join(b.sums.kv.UnmarshalBinary(ltKV), b.sums.txs.UnmarshalBinary(ltTxs)); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("chain: begin block %d: the stored state checksum: %w", height, err)
	}
	s.staged = b
	return b, nil
}

// Block is a block's writes staged in one SQL transaction. It implements
// election.Store: reads see the block's earlier writes. A Block is used by
// one goroutine at a time.
type Block struct {
	s        *Store
	tx       *sql.Tx
	height   int64
	prevHash []byte
	log      *writeLog
	sums     stateSums // the running LtHashes of kv and txs
	// prevWrites is the chain of writes before the block; touched the
	// elections whose keys the block wrote; sealed the app hash, once
	// computed (the block takes no more writes then).
	prevWrites []byte
	touched    map[election.ID]struct{}
	sealed     []byte
	writes     []byte
	writesHash []byte // SHA-256 of the block's writes, once sealed (nil without writes)
	err        error  // the first store failure: the block cannot be committed
	done       bool
	txOpen     bool
}

var _ election.Store = (*Block)(nil)

// Height is the height of the staged block.
func (b *Block) Height() int64 { return b.height }

// Err is the first failure of the store while staging the block, if any. A
// block with an error cannot be committed.
func (b *Block) Err() error { return b.err }

// Writes is the number of writes in the block so far (a rolled-back
// transaction's writes excluded).
func (b *Block) Writes() int { return b.log.n }

// Seal ends the block's writes and returns the app hash it commits to:
// the previous one if it made no writes; otherwise the hash of the new
// chain of writes and of the tree of elections, after storing the state
// commitment of every election whose keys it wrote and which changed.
// Later calls return the same hash; a write after Seal fails.
func (b *Block) Seal() ([]byte, error) {
	if b.sealed != nil {
		return bytes.Clone(b.sealed), nil
	}
	if err := b.usable(); err != nil {
		return nil, err
	}
	if b.txOpen {
		return nil, b.fail(errors.New("chain: seal inside a transaction"))
	}
	if b.log.n == 0 {
		b.sealed, b.writes = bytes.Clone(b.prevHash), bytes.Clone(b.prevWrites)
		return bytes.Clone(b.sealed), nil
	}
	b.writesHash = b.log.sum()
	writes := election.NextWritesChain(b.prevWrites, b.writesHash, b.sums.checksum())
	ids := make([]election.ID, 0, len(b.touched))
	for id := range b.touched {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y election.ID) int { return bytes.Compare(x[:], y[:]) })
	for _, id := range ids {
		c, err := election.Commitment(b, id)
		if err != nil {
			return nil, b.fail(fmt.Errorf("chain: block %d: state commitment of election %v: %w", b.height, id, err))
		}
		enc, err := c.MarshalBinary()
		if err != nil {
			return nil, b.fail(err)
		}
		var last []byte
		err = b.tx.QueryRow("SELECT commitment FROM commitments WHERE election = ? ORDER BY height DESC LIMIT 1", id[:]).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, b.fail(fmt.Errorf("chain: read commitment: %w", err))
		}
		if bytes.Equal(last, enc) {
			continue
		}
		if _, err := b.tx.Exec("INSERT INTO commitments (election, height, commitment) VALUES (?, ?, ?)", id[:], b.height, enc); err != nil {
			return nil, b.fail(fmt.Errorf("chain: store commitment: %w", err))
		}
	}
	_, leaves, err := commitmentsAt(b.tx, b.height)
	if err != nil {
		return nil, b.fail(err)
	}
	root := election.MerkleRoot(leaves)
	if _, err := b.tx.Exec("INSERT INTO roots (height, writes_chain, root) VALUES (?, ?, ?)", b.height, writes, root); err != nil {
		return nil, b.fail(fmt.Errorf("chain: store root: %w", err))
	}
	b.sealed, b.writes = election.AppHash(writes, root), writes
	return bytes.Clone(b.sealed), nil
}

// commitmentsAt returns the state commitment of every election as of
// height h (each one's latest at or before h), in ascending order of id,
// and their leaves.
func commitmentsAt(q sqlQuerier, h int64) ([]*election.StateCommitment, [][]byte, error) {
	rows, err := q.Query(`SELECT c.commitment FROM commitments c
		WHERE c.height = (SELECT MAX(height) FROM commitments WHERE election = c.election AND height <= ?)
		ORDER BY c.election`, h)
	if err != nil {
		return nil, nil, fmt.Errorf("chain: read commitments: %w", err)
	}
	defer rows.Close()
	var cs []*election.StateCommitment
	var leaves [][]byte
	for rows.Next() {
		var enc []byte
		if err := rows.Scan(&enc); err != nil {
			return nil, nil, fmt.Errorf("chain: read commitments: %w", err)
		}
		c := new(election.StateCommitment)
		if err := c.UnmarshalBinary(enc); err != nil {
			return nil, nil, fmt.Errorf("chain: corrupt commitment in the store: %w", err)
		}
		cs = append(cs, c)
		leaves = append(leaves, c.Leaf())
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("chain: read commitments: %w", err)
	}
	return cs, leaves, nil
}

// StateProof returns election id's state commitment after block h and its
// proof against app_hash(h), which the header of block h+1 carries. It
// returns ErrNotFound if the election did not exist after block h.
func (s *Store) StateProof(h int64, id election.ID) (*election.StateCommitment, *election.StateProof, error) {
	tx, err := s.r.Begin()
	if err != nil {
		return nil, nil, fmt.Errorf("chain: read snapshot: %w", err)
	}
	defer tx.Rollback()
	m, err := readMeta(tx)
	if err != nil {
		return nil, nil, err
	}
	if h > m.Height || h < 1 {
		return nil, nil, fmt.Errorf("%w: state after block %d (the store is at %d)", ErrNotFound, h, m.Height)
	}
	cs, leaves, err := commitmentsAt(tx, h)
	if err != nil {
		return nil, nil, err
	}
	i := slices.IndexFunc(cs, func(c *election.StateCommitment) bool { return c.Election == id })
	if i < 0 {
		return nil, nil, fmt.Errorf("%w: election %v after block %d", ErrNotFound, id, h)
	}
	var writes []byte
	err = tx.QueryRow("SELECT writes_chain FROM roots WHERE height <= ? ORDER BY height DESC LIMIT 1", h).Scan(&writes)
	if err != nil {
		return nil, nil, fmt.Errorf("chain: read the chain of writes at %d: %w", h, err)
	}
	return cs[i], &election.StateProof{WritesChain: writes, Path: election.MerkleProofOf(leaves, i)}, nil
}

// CommitmentChanged reports whether election id's state commitment changed
// in block h.
func (s *Store) CommitmentChanged(id election.ID, h int64) (bool, error) {
	var one int
	err := s.r.QueryRow("SELECT 1 FROM commitments WHERE election = ? AND height = ?", id[:], h).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("chain: read commitments: %w", err)
	}
	return true, nil
}

// CommitmentHeights returns the heights of the blocks after which election
// id's state commitment changed, ascending, from `from` on.
func (s *Store) CommitmentHeights(id election.ID, from int64) ([]int64, error) {
	rows, err := s.r.Query("SELECT height FROM commitments WHERE election = ? AND height >= ? ORDER BY height", id[:], from)
	if err != nil {
		return nil, fmt.Errorf("chain: read commitments: %w", err)
	}
	defer rows.Close()
	var hs []int64
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("chain: read commitments: %w", err)
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}

func (b *Block) fail(err error) error {
	if b.err == nil {
		b.err = err
	}
	return err
}

func (b *Block) usable() error {
	if b.done {
		return fmt.Errorf("chain: block %d: already committed or rolled back", b.height)
	}
	return b.err
}

// writable is usable, and not yet sealed.
func (b *Block) writable() error {
	if err := b.usable(); err != nil {
		return err
	}
	if b.sealed != nil {
		return b.fail(fmt.Errorf("chain: block %d: a write after Seal", b.height))
	}
	return nil
}

// Get implements election.ReadStore.
func (b *Block) Get(key []byte) ([]byte, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	v, err := get(b.tx, key)
	if err != nil {
		return nil, b.fail(err)
	}
	return v, nil
}

// Iterate implements election.ReadStore.
func (b *Block) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	if err := b.usable(); err != nil {
		return err
	}
	var fnErr error
	err := iterate(b.tx, prefix, func(k, v []byte) error {
		fnErr = fn(k, v)
		return fnErr
	})
	if err != nil && fnErr == nil {
		return b.fail(err)
	}
	return err
}

// Set implements election.Store.
func (b *Block) Set(key, value []byte) error {
	if err := b.writable(); err != nil {
		return err
	}
	if len(key) > math.MaxUint32 || len(value) > math.MaxUint32 {
		return b.fail(errors.New("chain: key or value too long"))
	}
	old, err := get(b.tx, key)
	if err != nil {
		return b.fail(err)
	}
	if _, err := b.tx.Exec("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", nonNil(key), nonNil(value)); err != nil {
		return b.fail(fmt.Errorf("chain: set: %w", err))
	}
	b.sums.setKV(key, old, old != nil, value)
	b.log.set(key, value)
	b.touch(key)
	return nil
}

// Delete implements election.Store.
func (b *Block) Delete(key []byte) error {
	if err := b.writable(); err != nil {
		return err
	}
	if len(key) > math.MaxUint32 {
		return b.fail(errors.New("chain: key too long"))
	}
	old, err := get(b.tx, key)
	if err != nil {
		return b.fail(err)
	}
	if _, err := b.tx.Exec("DELETE FROM kv WHERE key = ?", nonNil(key)); err != nil {
		return b.fail(fmt.Errorf("chain: delete: %w", err))
	}
	b.sums.delKV(key, old, old != nil)
	b.log.del(key)
	b.touch(key)
	return nil
}

func (b *Block) touch(key []byte) {
	if id, ok := election.ElectionOfKey(key); ok {
		b.touched[id] = struct{}{}
	}
}

// BeginTx opens a savepoint for one transaction's writes: EndTx keeps or
// undoes them, both in SQLite and in the app hash.
func (b *Block) BeginTx() error {
	if err := b.writable(); err != nil {
		return err
	}
	if b.txOpen {
		return b.fail(errors.New("chain: BeginTx inside a transaction"))
	}
	if _, err := b.tx.Exec("SAVEPOINT deliver"); err != nil {
		return b.fail(fmt.Errorf("chain: savepoint: %w", err))
	}
	b.txOpen = true
	b.log.beginTx()
	b.sums.beginTx()
	return nil
}

// EndTx closes the savepoint of BeginTx, keeping the transaction's writes if
// keep and undoing them otherwise.
func (b *Block) EndTx(keep bool) error {
	if err := b.writable(); err != nil {
		return err
	}
	if !b.txOpen {
		return b.fail(errors.New("chain: EndTx without BeginTx"))
	}
	b.txOpen = false
	if !keep {
		if _, err := b.tx.Exec("ROLLBACK TO deliver"); err != nil {
			return b.fail(fmt.Errorf("chain: rollback to savepoint: %w", err))
		}
	}
	if _, err := b.tx.Exec("RELEASE deliver"); err != nil {
		return b.fail(fmt.Errorf("chain: release savepoint: %w", err))
	}
	b.log.endTx(keep)
	b.sums.endTx(keep)
	return nil
}

// AddTx records a transaction's result in the block. For a hash already
// recorded, an accepted row is kept and a rejected row is replaced by the
// later one, so a receipt points at the inclusion that counted. Each call
// is a write of the block (the receipt index is state the app hash covers).
func (b *Block) AddTx(hash []byte, index int, code election.Code, log string) error {
	if err := b.writable(); err != nil {
		return err
	}
	if b.txOpen {
		return b.fail(errors.New("chain: AddTx inside a transaction"))
	}
	old, err := txRow(b.tx, hash)
	switch {
	case err == nil && old.Code == election.CodeOK: // kept
	case err == nil:
		b.sums.txs.Remove(election.TxElement(old.Hash, old.Height, old.Index, old.Code, old.Log))
		b.sums.txs.Add(election.TxElement(hash, b.height, index, code, log))
	case errors.Is(err, ErrNotFound):
		b.sums.txs.Add(election.TxElement(hash, b.height, index, code, log))
	default:
		return b.fail(err)
	}
	b.log.addTx(hash, index, uint32(code), log)
	_, err = b.tx.Exec(`INSERT INTO txs (hash, height, idx, code, log) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (hash) DO UPDATE SET height = excluded.height, idx = excluded.idx,
			code = excluded.code, log = excluded.log
		WHERE txs.code != 0`,
		nonNil(hash), b.height, index, int64(code), log)
	if err != nil {
		return b.fail(fmt.Errorf("chain: record tx: %w", err))
	}
	return nil
}

// Commit makes the block durable with its app hash and block time, in one
// SQL commit, and returns the app hash.
func (b *Block) Commit(blockTime time.Time) ([]byte, error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	if b.txOpen {
		return nil, errors.New("chain: commit inside a transaction")
	}
	hash, err := b.Seal()
	if err != nil {
		return nil, err
	}
	if f := b.s.writeFault; f != nil {
		if err := f(b.height); err != nil {
			return nil, b.fail(fmt.Errorf("chain: commit block %d: %w", b.height, err))
		}
	}
	if _, err := b.tx.Exec("UPDATE meta SET height = ?, app_hash = ?, writes_chain = ?, block_time = ? WHERE id = 0",
		b.height, hash, b.writes, blockTime.UnixNano()); err != nil {
		return nil, b.fail(fmt.Errorf("chain: commit block %d: %w", b.height, err))
	}
	if b.writesHash != nil {
		if _, err := b.tx.Exec("UPDATE meta SET prev_writes = ?, writes_hash = ?, lt_kv = ?, lt_txs = ? WHERE id = 0",
			b.prevWrites, b.writesHash, b.sums.kv.Bytes(), b.sums.txs.Bytes()); err != nil {
			return nil, b.fail(fmt.Errorf("chain: commit block %d: %w", b.height, err))
		}
	}
	err = b.tx.Commit()
	b.finish()
	if err != nil {
		return nil, fmt.Errorf("chain: commit block %d: %w", b.height, err)
	}
	return hash, nil
}

// Rollback drops the block's writes. It is safe after Commit (a no-op).
func (b *Block) Rollback() {
	if b.done {
		return
	}
	b.tx.Rollback()
	b.finish()
}

func (b *Block) finish() {
	b.done = true
	b.s.mu.Lock()
	if b.s.staged == b {
		b.s.staged = nil
	}
	b.s.mu.Unlock()
}

// reader is election.ReadStore over a read-only connection or transaction.
type reader struct{ q sqlQuerier }

type sqlQuerier interface {
	QueryRow(query string, args ...any) *sql.Row
	Query(query string, args ...any) (*sql.Rows, error)
}

func (r reader) Get(key []byte) ([]byte, error) { return get(r.q, key) }

func (r reader) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	return iterate(r.q, prefix, fn)
}

func get(q sqlQuerier, key []byte) ([]byte, error) {
	var v []byte
	err := q.QueryRow("SELECT value FROM kv WHERE key = ?", nonNil(key)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("chain: get: %w", err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

func iterate(q sqlQuerier, prefix []byte, fn func(key, value []byte) error) error {
	var rows *sql.Rows
	var err error
	if end := prefixEnd(prefix); end != nil {
		rows, err = q.Query("SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key", nonNil(prefix), end)
	} else {
		rows, err = q.Query("SELECT key, value FROM kv WHERE key >= ? ORDER BY key", nonNil(prefix))
	}
	if err != nil {
		return fmt.Errorf("chain: iterate: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("chain: iterate: %w", err)
		}
		if v == nil {
			v = []byte{}
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("chain: iterate: %w", err)
	}
	return nil
}

// prefixEnd is the least key greater than every key with the prefix, or
// nil if there is none (an empty prefix or one of only 0xff bytes).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// nonNil maps nil to an empty slice: the driver binds nil as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
