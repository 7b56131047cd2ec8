package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/evote/evote/election"
)

// State sync snapshots (docs/spec/snapshot.md). Every SnapshotInterval
// blocks a node writes the rows of its SQLite store at a committed height,
// read in one read transaction, as a versioned stream of records cut into
// chunks, under HOME/data/snapshots/HEIGHT/. CometBFT's state sync offers
// them to nodes that join late; such a node loads the rows of every chunk,
// each checked against its SHA-256, and at the end recomputes the app hash
// from the rows (CheckState) and compares it with the app hash its light
// client verified.

// SnapshotFormat is the version tag of a snapshot stream, and the label of
// the snapshot hash.
const SnapshotFormat = "evote/v1/snapshot"

// SnapshotFormatNumber is the ABCI snapshot format of SnapshotFormat.
const SnapshotFormatNumber uint32 = 1

// Defaults of a node's snapshots.
const (
	DefaultSnapshotInterval = 1000 // blocks between snapshots
	DefaultSnapshotKeep     = 2    // snapshots kept
	// DefaultSnapshotChunk is the size of every chunk but the last.
	DefaultSnapshotChunk = 4 << 20
	// maxSnapshotChunks bounds the chunks of an offered snapshot.
	maxSnapshotChunks = 1 << 16
	// maxSnapshotField bounds one field of a record.
	maxSnapshotField = 64 << 20
)

// SnapshotsDir is where a node keeps its snapshots, under its home.
const SnapshotsDir = "data/snapshots"

// ErrSnapshot is a snapshot stream, chunk or manifest that is malformed or
// does not verify. Tests branch on it with errors.Is.
var ErrSnapshot = errors.New("chain: snapshot")

// Record tags of the stream.
const (
	recHeader     byte = 0x00
	recGenesis    byte = 0x01
	recMeta       byte = 0x02
	recKV         byte = 0x03
	recTx         byte = 0x04
	recCommitment byte = 0x05
	recRoot       byte = 0x06
	recEnd        byte = 0xff

	fieldInt  byte = 'i'
	fieldText byte = 't'
)

// recordShapes are the fields of each record: blobs, 64-bit integers and
// text, in order.
var recordShapes = map[byte]string{
	recHeader:     "ti",       // format, height
	recGenesis:    "tb",       // chain_id, app_state
	recMeta:       "ibbibbbb", // height, app_hash, writes_chain, block_time, prev_writes, writes_hash, lt_kv, lt_txs
	recKV:         "bb",       // key, value
	recTx:         "biiit",    // hash, height, idx, code, log
	recCommitment: "bib",      // election, height, commitment
	recRoot:       "ibb",      // height, writes_chain, root
	recEnd:        "i",        // records before this one
}

// record is one decoded record: its tag and fields (an int64, a []byte or
// a string each).
type record struct {
	tag    byte
	fields []any
}

// appendRecord encodes a record: u8 tag, then each field: a blob or a text
// as u32 length ‖ bytes, an integer as 8 bytes, all big-endian.
func appendRecord(b []byte, tag byte, fields ...any) []byte {
	b = append(b, tag)
	for _, f := range fields {
		switch v := f.(type) {
		case int64:
			b = binary.BigEndian.AppendUint64(b, uint64(v))
		case []byte:
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		case string:
			b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		default:
			panic(fmt.Sprintf("chain: snapshot record field of type %T", f))
		}
	}
	return b
}

// errShort means buf ends inside a record: the rest is in the next chunk.
var errShort = errors.New("chain: snapshot record continues in the next chunk")

// decodeRecord decodes the record at the start of buf and returns it and
// its length; errShort if buf ends inside it, an ErrSnapshot error if it is
// malformed.
func decodeRecord(buf []byte) (record, int, error) {
	if len(buf) == 0 {
		return record{}, 0, errShort
	}
	tag := buf[0]
	shape, ok := recordShapes[tag]
	if !ok {
		return record{}, 0, fmt.Errorf("%w: unknown record tag 0x%02x", ErrSnapshot, tag)
	}
	r := record{tag: tag, fields: make([]any, 0, len(shape))}
	p := 1
	for _, k := range []byte(shape) {
		switch k {
		case fieldInt:
			if len(buf)-p < 8 {
				return record{}, 0, errShort
			}
			r.fields = append(r.fields, int64(binary.BigEndian.Uint64(buf[p:])))
			p += 8
		default:
			if len(buf)-p < 4 {
				return record{}, 0, errShort
			}
			n := binary.BigEndian.Uint32(buf[p:])
			if n > maxSnapshotField {
				return record{}, 0, fmt.Errorf("%w: a field of %d bytes (at most %d)", ErrSnapshot, n, maxSnapshotField)
			}
			p += 4
			if uint64(len(buf)-p) < uint64(n) {
				return record{}, 0, errShort
			}
			v := buf[p : p+int(n)]
			if k == fieldText {
				r.fields = append(r.fields, string(v))
			} else {
				r.fields = append(r.fields, bytes.Clone(v))
			}
			p += int(n)
		}
	}
	return r, p, nil
}

// SnapshotManifest describes a snapshot on disk: what ListSnapshots
// offers. Metadata is the chunks' SHA-256 hashes, concatenated.
type SnapshotManifest struct {
	Format      string   `json:"format"`
	Height      int64    `json:"height"`
	Chunks      uint32   `json:"chunks"`
	Hash        string   `json:"hash"`         // hex, SnapshotHash
	ChunkHashes []string `json:"chunk_hashes"` // hex
	AppHash     string   `json:"app_hash"`     // hex, the app hash at Height
	Rows        int64    `json:"rows"`
	Bytes       int64    `json:"bytes"`
}

// SnapshotHash is a snapshot's hash: SHA-256 of u8 len ‖ SnapshotFormat ‖
// u64 height ‖ the chunks' SHA-256 hashes in order.
func SnapshotHash(height int64, chunkHashes [][]byte) []byte {
	h := sha256.New()
	h.Write([]byte{byte(len(SnapshotFormat))})
	h.Write([]byte(SnapshotFormat))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(height)))
	for _, c := range chunkHashes {
		h.Write(c)
	}
	return h.Sum(nil)
}

// splitChunkHashes checks and splits an offered snapshot's metadata.
func splitChunkHashes(meta []byte, chunks uint32) ([][]byte, error) {
	if chunks == 0 || chunks > maxSnapshotChunks {
		return nil, fmt.Errorf("%w: %d chunks", ErrSnapshot, chunks)
	}
	if len(meta) != int(chunks)*sha256.Size {
		return nil, fmt.Errorf("%w: metadata of %d bytes for %d chunks", ErrSnapshot, len(meta), chunks)
	}
	out := make([][]byte, chunks)
	for i := range out {
		out[i] = meta[i*sha256.Size : (i+1)*sha256.Size]
	}
	return out, nil
}

// chunkWriter cuts the stream into files of size bytes, hashing each.
type chunkWriter struct {
	dir    string
	size   int
	buf    []byte
	hashes [][]byte
	total  int64
}

func (w *chunkWriter) write(rec []byte) error {
	w.buf = append(w.buf, rec...)
	for len(w.buf) >= w.size {
		if err := w.flush(w.buf[:w.size]); err != nil {
			return err
		}
		w.buf = append(w.buf[:0], w.buf[w.size:]...)
	}
	return nil
}

func (w *chunkWriter) flush(c []byte) error {
	sum := sha256.Sum256(c)
	name := filepath.Join(w.dir, chunkName(uint32(len(w.hashes))))
	if err := os.WriteFile(name, c, 0o600); err != nil {
		return fmt.Errorf("chain: write snapshot chunk: %w", err)
	}
	w.hashes = append(w.hashes, sum[:])
	w.total += int64(len(c))
	return nil
}

func (w *chunkWriter) close() error {
	if len(w.buf) > 0 || len(w.hashes) == 0 {
		return w.flush(w.buf)
	}
	return nil
}

func chunkName(i uint32) string { return fmt.Sprintf("chunk-%06d", i) }

const manifestFile = "snapshot.json"

// pinnedRead is a read transaction whose snapshot of the database is fixed
// at the height it read.
type pinnedRead struct {
	tx     *sql.Tx
	height int64
}

// pinRead opens a read transaction and reads the committed height in it,
// which fixes what it sees (SQLite's WAL snapshot) at that height.
func (s *Store) pinRead(ctx context.Context) (*pinnedRead, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("chain: snapshot: %w", err)
	}
	m, err := readMeta(tx)
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return &pinnedRead{tx: tx, height: m.Height}, nil
}

// WriteSnapshot writes a snapshot of the committed state under dir (a
// directory named for its height) with chunks of chunkSize bytes, and
// returns its manifest.
func (s *Store) WriteSnapshot(ctx context.Context, dir string, chunkSize int) (*SnapshotManifest, error) {
	p, err := s.pinRead(ctx)
	if err != nil {
		return nil, err
	}
	return p.write(ctx, dir, chunkSize)
}

// write streams every row the state needs into the snapshot's chunks, then
// its manifest, and closes the read transaction. The snapshot appears
// under dir only once whole (a rename).
func (p *pinnedRead) write(ctx context.Context, dir string, chunkSize int) (*SnapshotManifest, error) {
	defer p.tx.Rollback()
	if chunkSize <= 0 {
		chunkSize = DefaultSnapshotChunk
	}
	if p.height < 1 {
		return nil, fmt.Errorf("%w: nothing committed to snapshot", ErrSnapshot)
	}
	final := filepath.Join(dir, strconv.FormatInt(p.height, 10))
	if _, err := os.Stat(final); err == nil {
		return readManifest(final)
	}
	tmp := final + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("chain: snapshot: %w", err)
	}
	w := &chunkWriter{dir: tmp, size: chunkSize}
	var n int64
	var rec []byte
	emit := func(tag byte, fields ...any) error {
		rec = appendRecord(rec[:0], tag, fields...)
		n++
		return w.write(rec)
	}
	fail := func(err error) (*SnapshotManifest, error) {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := emit(recHeader, SnapshotFormat, p.height); err != nil {
		return fail(err)
	}
	var appHash []byte
	tables := []struct {
		q    string
		tag  byte
		scan func(*sql.Rows) ([]any, error)
	}{
		{"SELECT chain_id, app_state FROM genesis", recGenesis, func(rs *sql.Rows) ([]any, error) {
			var c string
			var a []byte
			err := rs.Scan(&c, &a)
			return []any{c, nonNil(a)}, err
		}},
		{"SELECT height, app_hash, writes_chain, block_time, prev_writes, writes_hash, lt_kv, lt_txs FROM meta", recMeta, func(rs *sql.Rows) ([]any, error) {
			var h, t int64
			var a, wc, pw, wh, lk, lt []byte
			err := rs.Scan(&h, &a, &wc, &t, &pw, &wh, &lk, &lt)
			appHash = a
			return []any{h, nonNil(a), nonNil(wc), t, nonNil(pw), nonNil(wh), nonNil(lk), nonNil(lt)}, err
		}},
		{"SELECT key, value FROM kv ORDER BY key", recKV, func(rs *sql.Rows) ([]any, error) {
			var k, v []byte
			err := rs.Scan(&k, &v)
			return []any{nonNil(k), nonNil(v)}, err
		}},
		{"SELECT hash, height, idx, code, log FROM txs ORDER BY hash", recTx, func(rs *sql.Rows) ([]any, error) {
			var h []byte
			var height, idx, code int64
			var log string
			err := rs.Scan(&h, &height, &idx, &code, &log)
			return []any{nonNil(h), height, idx, code, log}, err
		}},
		{"SELECT election, height, commitment FROM commitments ORDER BY election, height", recCommitment, func(rs *sql.Rows) ([]any, error) {
			var e, c []byte
			var h int64
			err := rs.Scan(&e, &h, &c)
			return []any{nonNil(e), h, nonNil(c)}, err
		}},
		{"SELECT height, writes_chain, root FROM roots ORDER BY height", recRoot, func(rs *sql.Rows) ([]any, error) {
			var h int64
			var wc, r []byte
			err := rs.Scan(&h, &wc, &r)
			return []any{h, nonNil(wc), nonNil(r)}, err
		}},
	}
	for _, t := range tables {
		if err := eachRow(ctx, p.tx, t.q, func(rs *sql.Rows) error {
			f, err := t.scan(rs)
			if err != nil {
				return err
			}
			return emit(t.tag, f...)
		}); err != nil {
			return fail(fmt.Errorf("chain: snapshot at %d: %w", p.height, err))
		}
	}
	if err := emit(recEnd, n); err != nil {
		return fail(err)
	}
	if err := w.close(); err != nil {
		return fail(err)
	}
	man := &SnapshotManifest{Format: SnapshotFormat, Height: p.height, Chunks: uint32(len(w.hashes)),
		Hash: hex.EncodeToString(SnapshotHash(p.height, w.hashes)), AppHash: hex.EncodeToString(appHash),
		Rows: n, Bytes: w.total}
	for _, h := range w.hashes {
		man.ChunkHashes = append(man.ChunkHashes, hex.EncodeToString(h))
	}
	js, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return fail(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, manifestFile), js, 0o600); err != nil {
		return fail(fmt.Errorf("chain: snapshot: %w", err))
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(fmt.Errorf("chain: snapshot: %w", err))
	}
	return man, nil
}

func eachRow(ctx context.Context, tx *sql.Tx, q string, fn func(*sql.Rows) error) error {
	rs, err := tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := fn(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

func readManifest(dir string) (*SnapshotManifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, err
	}
	var m SnapshotManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSnapshot, dir, err)
	}
	if m.Format != SnapshotFormat || m.Chunks == 0 || int(m.Chunks) != len(m.ChunkHashes) {
		return nil, fmt.Errorf("%w: %s: not a manifest of %s", ErrSnapshot, dir, SnapshotFormat)
	}
	return &m, nil
}

// metadata is the manifest's chunk hashes, concatenated.
func (m *SnapshotManifest) metadata() ([]byte, error) {
	var out []byte
	for _, h := range m.ChunkHashes {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("%w: a chunk hash %q", ErrSnapshot, h)
		}
		out = append(out, b...)
	}
	return out, nil
}

// Snapshots are a node's snapshots on disk: taken every Interval blocks,
// the last Keep kept.
type Snapshots struct {
	Dir       string
	Interval  int64
	Keep      int
	ChunkSize int

	mu      sync.Mutex
	running bool
	err     error // the last snapshot's failure, if any
	// taken, if set (tests), learns each snapshot written.
	taken func(*SnapshotManifest)
}

// due says whether a snapshot is taken after block h.
func (s *Snapshots) due(h int64) bool {
	return s != nil && s.Interval > 0 && h > 0 && h%s.Interval == 0
}

// take pins the committed state now, in the committing goroutine, and
// writes it in the background; one snapshot at a time.
func (s *Snapshots) take(st *Store) {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return
	}
	s.running = true
	s.mu.Unlock()
	p, err := st.pinRead(context.Background())
	if err != nil {
		s.finish(nil, err)
		return
	}
	go func() {
		m, err := p.write(context.Background(), s.Dir, s.ChunkSize)
		if err == nil {
			err = s.prune()
		}
		s.finish(m, err)
	}()
}

func (s *Snapshots) finish(m *SnapshotManifest, err error) {
	s.mu.Lock()
	s.running, s.err = false, err
	taken := s.taken
	s.mu.Unlock()
	if m != nil && taken != nil {
		taken(m)
	}
}

// Err is the last snapshot's failure, nil if it was written.
func (s *Snapshots) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// list returns the manifests on disk, newest first.
func (s *Snapshots) list() ([]*SnapshotManifest, error) {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*SnapshotManifest
	for _, e := range ents {
		h, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || !e.IsDir() {
			continue
		}
		m, err := readManifest(filepath.Join(s.Dir, e.Name()))
		if err != nil || m.Height != h {
			continue
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *SnapshotManifest) int { return int(b.Height - a.Height) })
	return out, nil
}

// prune removes all but the Keep newest snapshots.
func (s *Snapshots) prune() error {
	ms, err := s.list()
	if err != nil {
		return err
	}
	keep := max(s.Keep, 1)
	for _, m := range ms[min(keep, len(ms)):] {
		if err := os.RemoveAll(filepath.Join(s.Dir, strconv.FormatInt(m.Height, 10))); err != nil {
			return err
		}
	}
	return nil
}

// chunk reads chunk i of the snapshot at height.
func (s *Snapshots) chunk(height int64, i uint32) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.Dir, strconv.FormatInt(height, 10), chunkName(i)))
}

// restore is a snapshot being applied: the rows of the chunks so far are in
// one write transaction, which commits only after the last chunk.
type restore struct {
	height  int64
	hashes  [][]byte
	trusted []byte // the app hash the light client verified
	next    uint32 // the chunk expected next
	tx      *sql.Tx
	rest    []byte // the start of a record that continues in the next chunk
	n       int64  // records applied
	header  bool
	end     bool
	meta    bool
	genesis *[2]any // chain id, app state of the snapshot
	started time.Time
}

// beginRestore starts applying a snapshot of height into the store, which
// must hold no committed block.
func (s *Store) beginRestore(height int64, hashes [][]byte, trusted []byte) (*restore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, m, err := s.beginWrite("restore a snapshot")
	if err != nil {
		return nil, err
	}
	if m.Height != 0 {
		tx.Rollback()
		return nil, fmt.Errorf("%w: the store is at height %d already", ErrSnapshot, m.Height)
	}
	for _, q := range []string{"DELETE FROM kv", "DELETE FROM txs", "DELETE FROM commitments", "DELETE FROM roots", "DELETE FROM genesis"} {
		if _, err := tx.Exec(q); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("chain: restore a snapshot: %w", err)
		}
	}
	return &restore{height: height, hashes: hashes, trusted: trusted, tx: tx, started: time.Now()}, nil
}

// errChunkHash is a chunk whose SHA-256 is not the one the snapshot lists:
// corrupted in transit or by its sender; fetch it again from another peer.
var errChunkHash = fmt.Errorf("%w: a chunk's SHA-256 differs from the one the snapshot lists", ErrSnapshot)

// apply checks chunk i against its hash and loads its records. An error
// wrapping errChunkHash leaves the restore usable (the chunk may be
// fetched again); any other error ends it.
func (r *restore) apply(i uint32, chunk []byte) error {
	if i != r.next {
		return fmt.Errorf("%w: chunk %d, expected %d", ErrSnapshot, i, r.next)
	}
	if sum := sha256.Sum256(chunk); !bytes.Equal(sum[:], r.hashes[i]) {
		return fmt.Errorf("%w (chunk %d)", errChunkHash, i)
	}
	r.next++
	buf := append(r.rest, chunk...)
	for len(buf) > 0 {
		rec, n, err := decodeRecord(buf)
		if errors.Is(err, errShort) {
			break
		}
		if err != nil {
			return err
		}
		if err := r.load(rec); err != nil {
			return err
		}
		buf = buf[n:]
	}
	r.rest = append([]byte(nil), buf...)
	if int(r.next) == len(r.hashes) {
		if len(r.rest) > 0 {
			return fmt.Errorf("%w: %d bytes after the last whole record", ErrSnapshot, len(r.rest))
		}
		if !r.end || !r.meta || r.genesis == nil {
			return fmt.Errorf("%w: the stream ends without its end record, meta or genesis", ErrSnapshot)
		}
	}
	return nil
}

// load checks one record's place in the stream and writes its row.
func (r *restore) load(rec record) error {
	f := rec.fields
	if r.end {
		return fmt.Errorf("%w: a record after the end record", ErrSnapshot)
	}
	if !r.header && rec.tag != recHeader {
		return fmt.Errorf("%w: the stream does not start with its header", ErrSnapshot)
	}
	r.n++
	var q string
	switch rec.tag {
	case recHeader:
		if r.header {
			return fmt.Errorf("%w: a second header", ErrSnapshot)
		}
		if f[0].(string) != SnapshotFormat {
			return fmt.Errorf("%w: format %q, this node reads %s", ErrSnapshot, f[0], SnapshotFormat)
		}
		if f[1].(int64) != r.height {
			return fmt.Errorf("%w: the stream is of height %d, the snapshot offered %d", ErrSnapshot, f[1], r.height)
		}
		r.header = true
		return nil
	case recEnd:
		if f[0].(int64) != r.n-1 {
			return fmt.Errorf("%w: the end record counts %d records, the stream held %d", ErrSnapshot, f[0], r.n-1)
		}
		r.end = true
		return nil
	case recGenesis:
		if r.genesis != nil {
			return fmt.Errorf("%w: a second genesis row", ErrSnapshot)
		}
		r.genesis = &[2]any{f[0], f[1]}
		q = "INSERT INTO genesis (id, chain_id, app_state) VALUES (0, ?, ?)"
	case recMeta:
		if r.meta {
			return fmt.Errorf("%w: a second meta row", ErrSnapshot)
		}
		if f[0].(int64) != r.height {
			return fmt.Errorf("%w: the meta row is at height %d, the snapshot at %d", ErrSnapshot, f[0], r.height)
		}
		r.meta = true
		q = "UPDATE meta SET height = ?, app_hash = ?, writes_chain = ?, block_time = ?, prev_writes = ?, writes_hash = ?, lt_kv = ?, lt_txs = ? WHERE id = 0"
	case recKV:
		q = "INSERT INTO kv (key, value) VALUES (?, ?)"
	case recTx:
		q = "INSERT INTO txs (hash, height, idx, code, log) VALUES (?, ?, ?, ?, ?)"
	case recCommitment:
		q = "INSERT INTO commitments (election, height, commitment) VALUES (?, ?, ?)"
	case recRoot:
		q = "INSERT INTO roots (height, writes_chain, root) VALUES (?, ?, ?)"
	}
	if _, err := r.tx.Exec(q, f...); err != nil {
		// A repeated key: the stream is not a store's rows.
		return fmt.Errorf("%w: record %d: %v", ErrSnapshot, r.n, err)
	}
	return nil
}

// finish commits the restored rows and checks them: the app hash
// recomputed from every row must be the trusted one. On any failure the
// store is emptied again.
func (r *restore) finish(ctx context.Context, s *Store, path string) (StateCheck, error) {
	if err := r.tx.Commit(); err != nil {
		return StateCheck{}, fmt.Errorf("chain: restore a snapshot: %w", err)
	}
	r.tx = nil
	c, err := s.CheckState(ctx, path, SignedAppHash{Hash: r.trusted,
		Source: fmt.Sprintf("the header of block %d, which the light client verified", r.height+1)})
	if err != nil {
		return c, errors.Join(err, s.wipe())
	}
	return c, nil
}

// abort rolls back the rows loaded so far.
func (r *restore) abort() {
	if r.tx != nil {
		r.tx.Rollback()
		r.tx = nil
	}
}

// wipe empties the store back to its state before any genesis: what a
// refused snapshot leaves.
func (s *Store) wipe() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.w.Begin()
	if err != nil {
		return fmt.Errorf("chain: empty the store: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{"DELETE FROM kv", "DELETE FROM txs", "DELETE FROM commitments", "DELETE FROM roots", "DELETE FROM genesis",
		"UPDATE meta SET height = 0, app_hash = x'', writes_chain = x'', block_time = 0, prev_writes = x'', writes_hash = x'', lt_kv = x'', lt_txs = x'' WHERE id = 0"} {
		if _, err := tx.Exec(q); err != nil {
			return fmt.Errorf("chain: empty the store: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("chain: empty the store: %w", err)
	}
	return nil
}

// ReadSnapshotStream decodes a whole snapshot stream (the chunks
// concatenated) and returns its records' count; it is what the fuzz
// target and the test vector exercise.
func ReadSnapshotStream(r io.Reader) (height int64, records int64, err error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, 0, err
	}
	first := true
	for len(b) > 0 {
		rec, n, err := decodeRecord(b)
		if errors.Is(err, errShort) {
			return 0, 0, fmt.Errorf("%w: the stream ends inside a record", ErrSnapshot)
		}
		if err != nil {
			return 0, 0, err
		}
		if first {
			if rec.tag != recHeader || rec.fields[0].(string) != SnapshotFormat {
				return 0, 0, fmt.Errorf("%w: no header", ErrSnapshot)
			}
			height, first = rec.fields[1].(int64), false
		}
		records++
		b = b[n:]
		if rec.tag == recEnd {
			if len(b) > 0 {
				return 0, 0, fmt.Errorf("%w: bytes after the end record", ErrSnapshot)
			}
			if rec.fields[0].(int64) != records-1 {
				return 0, 0, fmt.Errorf("%w: the end record's count", ErrSnapshot)
			}
			return height, records, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: no end record", ErrSnapshot)
}

// genesisRow is the genesis a restored snapshot must hold: the chain id
// and the canonical app state of the node's genesis file.
type genesisRow struct {
	chainID  string
	appState []byte
}

// SnapshotOptions configure a node's snapshots.
type SnapshotOptions struct {
	// Interval is the blocks between snapshots; 0 takes none (the node
	// still restores one when it state-syncs).
	Interval int64
	// Keep is how many snapshots are kept; 0 means DefaultSnapshotKeep.
	Keep int
	// ChunkSize is the size of a chunk; 0 means DefaultSnapshotChunk.
	ChunkSize int
}

// setSnapshots sets up the app's snapshots under home and the genesis a
// restored snapshot must hold (that of genesisFile).
func (a *App) setSnapshots(home, genesisFile, storePath string, o SnapshotOptions) error {
	gen, err := cmttypes.GenesisDocFromFile(genesisFile)
	if err != nil {
		return fmt.Errorf("chain: snapshots: %w", err)
	}
	appState, err := election.CanonicalAppState(gen.AppState)
	if err != nil {
		return fmt.Errorf("chain: snapshots: the genesis app state: %w", err)
	}
	keep := o.Keep
	if keep <= 0 {
		keep = DefaultSnapshotKeep
	}
	a.wantGenesis = &genesisRow{chainID: gen.ChainID, appState: appState}
	a.storePath = storePath
	a.snaps = &Snapshots{Dir: filepath.Join(home, SnapshotsDir), Interval: o.Interval, Keep: keep, ChunkSize: o.ChunkSize}
	return nil
}

// ErrBlockUnavailable means the node does not hold a block that the
// answer needs: it started from a state sync snapshot, and its block store
// begins after the snapshot's height. Another node (a member, or a replica
// that synced by blocks) holds it.
var ErrBlockUnavailable = errors.New("chain: this node started from a snapshot and does not hold that block")

// FirstBlock is the lowest height whose block this node holds: 1 for a
// node that executed the chain from its genesis, the snapshot's height + 1
// for one that started by state sync (0 before any block).
func (n *Node) FirstBlock() int64 {
	bs := n.cmt.BlockStore()
	if bs.Height() == 0 {
		return 0
	}
	return bs.Base()
}

// blockHeld is nil if the node holds block h, else an ErrBlockUnavailable
// error naming the first block it holds.
func (n *Node) blockHeld(h int64) error {
	if base := n.FirstBlock(); base > 1 && h < base {
		return fmt.Errorf("%w: block %d (this node holds the blocks from %d on)", ErrBlockUnavailable, h, base)
	}
	return nil
}

// ElectionBlocksHeld is nil if the node holds every block of election id,
// from the one that created it: what its record is made of. A node that
// started by state sync after the election began does not (an
// ErrBlockUnavailable error); its record is served by the nodes that hold
// the chain from the election's start.
func (n *Node) ElectionBlocksHeld(id election.ID) error {
	hs, err := n.app.store.CommitmentHeights(id, 0)
	if err != nil || len(hs) == 0 {
		return err
	}
	return n.blockHeld(hs[0])
}
