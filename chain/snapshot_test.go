package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/evote/evote/election"
)

var updateSnapshot = flag.Bool("update-snapshot", false, "regenerate testdata/snapshot/vector.json")

// snapshotSource is an app with a few blocks (accepted, rejected and
// replaced transactions) that takes a snapshot every two blocks in chunks
// of 100 bytes, so that records straddle chunks. It returns the app and
// the snapshot taken after block 4.
func snapshotSource(t *testing.T) (*App, *SnapshotManifest) {
	t.Helper()
	a := newTestApp(t, filepath.Join(t.TempDir(), StoreFile))
	initTestApp(t, a)
	taken := make(chan *SnapshotManifest, 4)
	a.snaps = &Snapshots{Dir: filepath.Join(t.TempDir(), "snapshots"), Interval: 2, Keep: 1, ChunkSize: 100,
		taken: func(m *SnapshotManifest) { taken <- m }}
	k := testKey(1)
	blocks := [][][]byte{
		{setTx(k, "a", "1"), setTx(k, "b", "2"), failTx(k, "x")},
		{setTx(k, "a", "again"), noopTx(k, "n")},
		{setTx(k, "c", "3")},
		{setTx(k, "d", "a longer value that makes a record longer than one chunk of a hundred bytes, so it is cut in two")},
	}
	var m *SnapshotManifest
	for i, txs := range blocks {
		finalize(t, a, int64(i+1), txs...)
		commit(t, a)
		if (i+1)%2 == 0 {
			select {
			case m = <-taken:
			case <-time.After(10 * time.Second):
				t.Fatal("no snapshot taken")
			}
			if m.Height != int64(i+1) {
				t.Fatalf("snapshot at %d, want %d", m.Height, i+1)
			}
		}
	}
	if m.Chunks < 3 {
		t.Fatalf("%d chunks: the test wants several", m.Chunks)
	}
	ms, err := a.snaps.list()
	if err != nil || len(ms) != 1 || ms[0].Height != 4 {
		t.Fatalf("snapshots kept: %v, %v (want only the one at 4)", ms, err)
	}
	return a, m
}

func offered(t *testing.T, a *App) *abci.Snapshot {
	t.Helper()
	l, err := a.ListSnapshots(ctx, &abci.RequestListSnapshots{})
	if err != nil || len(l.Snapshots) != 1 {
		t.Fatalf("ListSnapshots: %v, %v", l, err)
	}
	return l.Snapshots[0]
}

func chunkOf(t *testing.T, a *App, s *abci.Snapshot, i uint32) []byte {
	t.Helper()
	c, err := a.LoadSnapshotChunk(ctx, &abci.RequestLoadSnapshotChunk{Height: s.Height, Format: s.Format, Chunk: i})
	if err != nil || len(c.Chunk) == 0 {
		t.Fatalf("LoadSnapshotChunk %d: %v", i, err)
	}
	return c.Chunk
}

func offer(t *testing.T, a *App, s *abci.Snapshot, appHash []byte) abci.ResponseOfferSnapshot_Result {
	t.Helper()
	r, err := a.OfferSnapshot(ctx, &abci.RequestOfferSnapshot{Snapshot: s, AppHash: appHash})
	if err != nil {
		t.Fatal(err)
	}
	return r.Result
}

func applyChunk(t *testing.T, a *App, i uint32, c []byte, sender string) *abci.ResponseApplySnapshotChunk {
	t.Helper()
	r, err := a.ApplySnapshotChunk(ctx, &abci.RequestApplySnapshotChunk{Index: i, Chunk: c, Sender: sender})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSnapshotRoundTrip: a fresh app restores the snapshot a node offers,
// chunk by chunk; it answers Info with the snapshot's height and app hash,
// its rows pass CheckState, and it executes the next block as the source
// does (the same app hash).
func TestSnapshotRoundTrip(t *testing.T) {
	src, m := snapshotSource(t)
	s := offered(t, src)
	appHash, _ := hex.DecodeString(m.AppHash)
	if !bytes.Equal(appHash, info(t, src).LastBlockAppHash) {
		t.Fatal("the manifest's app hash is not the source's")
	}

	dst := newTestApp(t, filepath.Join(t.TempDir(), StoreFile))
	if got := offer(t, dst, s, appHash); got != abci.ResponseOfferSnapshot_ACCEPT {
		t.Fatalf("offer: %v", got)
	}
	for i := range s.Chunks {
		if r := applyChunk(t, dst, i, chunkOf(t, src, s, i), "peer"); r.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
			t.Fatalf("chunk %d: %v", i, r.Result)
		}
	}
	got := info(t, dst)
	if got.LastBlockHeight != 4 || !bytes.Equal(got.LastBlockAppHash, appHash) {
		t.Fatalf("restored Info: %d %x, want 4 %x", got.LastBlockHeight, got.LastBlockAppHash, appHash)
	}
	if _, err := dst.Store().CheckState(ctx, "restored"); err != nil {
		t.Fatal(err)
	}
	if row, err := dst.Store().TxRow(hashOf(failTx(testKey(1), "x"))); err != nil || row.Height != 1 || row.Code == election.CodeOK {
		t.Fatalf("the receipt index of block 1: %+v, %v", row, err)
	}
	next := setTx(testKey(2), "e", "5")
	a, b := finalize(t, src, 5, next), finalize(t, dst, 5, next)
	if !bytes.Equal(a.AppHash, b.AppHash) || a.TxResults[0].Code != b.TxResults[0].Code {
		t.Fatalf("block 5 after the restore: %x (code %d), the source %x (code %d)", b.AppHash, b.TxResults[0].Code, a.AppHash, a.TxResults[0].Code)
	}
	commit(t, src)
	commit(t, dst)
}

func hashOf(tx []byte) []byte { h := HashTx(tx); return h[:] }

// TestSnapshotRejections: every way an offered snapshot or a chunk is
// refused, and what the store is left holding.
func TestSnapshotRejections(t *testing.T) {
	src, m := snapshotSource(t)
	s := offered(t, src)
	appHash, _ := hex.DecodeString(m.AppHash)
	fresh := func() *App { return newTestApp(t, filepath.Join(t.TempDir(), StoreFile)) }
	empty := func(a *App) {
		t.Helper()
		if i := info(t, a); i.LastBlockHeight != 0 || len(i.LastBlockAppHash) != 0 {
			t.Fatalf("after a refused snapshot the store is at %d %x", i.LastBlockHeight, i.LastBlockAppHash)
		}
		if _, err := a.Store().CheckState(ctx, "wiped"); err != nil {
			t.Fatal(err)
		}
	}
	applyAll := func(a *App, chunk func(i uint32) []byte) abci.ResponseApplySnapshotChunk_Result {
		t.Helper()
		var r abci.ResponseApplySnapshotChunk_Result
		for i := range s.Chunks {
			if r = applyChunk(t, a, i, chunk(i), "peer").Result; r != abci.ResponseApplySnapshotChunk_ACCEPT {
				return r
			}
		}
		return r
	}
	good := func(i uint32) []byte { return chunkOf(t, src, s, i) }

	t.Run("offers", func(t *testing.T) {
		a := fresh()
		other := *s
		other.Format = 2
		if r := offer(t, a, &other, appHash); r != abci.ResponseOfferSnapshot_REJECT_FORMAT {
			t.Errorf("another format: %v", r)
		}
		other = *s
		other.Hash = bytes.Repeat([]byte{1}, 32)
		if r := offer(t, a, &other, appHash); r != abci.ResponseOfferSnapshot_REJECT {
			t.Errorf("a hash that is not its chunks': %v", r)
		}
		other = *s
		other.Metadata = other.Metadata[1:]
		if r := offer(t, a, &other, appHash); r != abci.ResponseOfferSnapshot_REJECT {
			t.Errorf("metadata of the wrong length: %v", r)
		}
		other = *s
		other.Chunks = 0
		other.Metadata = nil
		if r := offer(t, a, &other, appHash); r != abci.ResponseOfferSnapshot_REJECT {
			t.Errorf("no chunks: %v", r)
		}
		if r := offer(t, a, s, nil); r != abci.ResponseOfferSnapshot_REJECT {
			t.Errorf("no trusted app hash: %v", r)
		}
		if r := applyChunk(t, a, 0, good(0), "peer"); r.Result != abci.ResponseApplySnapshotChunk_ABORT {
			t.Errorf("a chunk with no snapshot accepted: %v", r.Result)
		}
		// A store that holds blocks does not restore over them.
		b := fresh()
		initTestApp(t, b)
		finalize(t, b, 1)
		commit(t, b)
		if r := offer(t, b, s, appHash); r != abci.ResponseOfferSnapshot_ABORT {
			t.Errorf("a store at height 1: %v", r)
		}
	})

	t.Run("corrupted chunk is fetched again", func(t *testing.T) {
		a := fresh()
		offer(t, a, s, appHash)
		bad := bytes.Clone(good(1))
		bad[0] ^= 1
		applyChunk(t, a, 0, good(0), "p0")
		r := applyChunk(t, a, 1, bad, "evil")
		if r.Result != abci.ResponseApplySnapshotChunk_RETRY || len(r.RefetchChunks) != 1 || r.RefetchChunks[0] != 1 ||
			len(r.RejectSenders) != 1 || r.RejectSenders[0] != "evil" {
			t.Fatalf("a corrupted chunk: %+v", r)
		}
		for i := uint32(1); i < s.Chunks; i++ {
			if r := applyChunk(t, a, i, good(i), "p1"); r.Result != abci.ResponseApplySnapshotChunk_ACCEPT {
				t.Fatalf("chunk %d after the retry: %v", i, r.Result)
			}
		}
		if i := info(t, a); i.LastBlockHeight != 4 {
			t.Fatalf("restored to %d", i.LastBlockHeight)
		}
	})

	t.Run("untrusted app hash", func(t *testing.T) {
		a := fresh()
		wrong := bytes.Clone(appHash)
		wrong[0] ^= 1
		offer(t, a, s, wrong)
		if r := applyAll(a, good); r != abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT {
			t.Fatalf("rows that do not make the trusted app hash: %v", r)
		}
		empty(a)
		// The same app restores the right snapshot afterwards.
		offer(t, a, s, appHash)
		if r := applyAll(a, good); r != abci.ResponseApplySnapshotChunk_ACCEPT {
			t.Fatalf("after a refusal: %v", r)
		}
	})

	t.Run("another genesis", func(t *testing.T) {
		a := fresh()
		a.wantGenesis = &genesisRow{chainID: "another-chain", appState: []byte(`{"work":10}`)}
		offer(t, a, s, appHash)
		if r := applyAll(a, good); r != abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT {
			t.Fatalf("a snapshot of another chain: %v", r)
		}
		empty(a)
	})

	t.Run("chunk out of order", func(t *testing.T) {
		a := fresh()
		offer(t, a, s, appHash)
		if r := applyChunk(t, a, 1, good(1), "p"); r.Result != abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT {
			t.Fatalf("chunk 1 first: %v", r.Result)
		}
		empty(a)
	})

	// A stream whose chunks hash as listed but that is not a store's rows:
	// the sender made it so (the hashes came with the offer).
	for _, c := range []struct {
		name   string
		stream func(rows []byte) []byte
	}{
		{"no header", func(rows []byte) []byte { return rows[bytes.IndexByte(rows, recGenesis):] }},
		{"truncated", func(rows []byte) []byte { return rows[:len(rows)-3] }},
		{"trailing bytes", func(rows []byte) []byte { return append(bytes.Clone(rows), 0x03) }},
		{"unknown tag", func(rows []byte) []byte { return append([]byte{0x42}, rows...) }},
		{"repeated kv row", func(rows []byte) []byte {
			end := bytes.LastIndexByte(rows, recEnd)
			kv := appendRecord(nil, recKV, []byte("a"), []byte("x"))
			out := append(bytes.Clone(rows[:end]), kv...)
			out = append(out, kv...)
			return appendRecord(out, recEnd, int64(1000))
		}},
		{"wrong height", func(rows []byte) []byte {
			_, n, _ := decodeRecord(rows)
			return append(appendRecord(nil, recHeader, SnapshotFormat, int64(5)), rows[n:]...)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stream []byte
			for i := range s.Chunks {
				stream = append(stream, good(i)...)
			}
			stream = c.stream(stream)
			chunks := [][]byte{stream[:len(stream)/2], stream[len(stream)/2:]}
			var hs [][]byte
			var meta []byte
			for _, ch := range chunks {
				h := sha256.Sum256(ch)
				hs = append(hs, h[:])
				meta = append(meta, h[:]...)
			}
			bad := &abci.Snapshot{Height: s.Height, Format: s.Format, Chunks: 2, Hash: SnapshotHash(int64(s.Height), hs), Metadata: meta}
			a := fresh()
			if r := offer(t, a, bad, appHash); r != abci.ResponseOfferSnapshot_ACCEPT {
				t.Fatalf("offer: %v", r)
			}
			r0 := applyChunk(t, a, 0, chunks[0], "p").Result
			r := r0
			if r0 == abci.ResponseApplySnapshotChunk_ACCEPT {
				r = applyChunk(t, a, 1, chunks[1], "p").Result
			}
			if r != abci.ResponseApplySnapshotChunk_REJECT_SNAPSHOT {
				t.Fatalf("a malformed stream: %v then %v", r0, r)
			}
			empty(a)
		})
	}
}

// TestSnapshotVector: the snapshot of a small store, byte for byte, as in
// testdata/snapshot/vector.json (docs/spec/snapshot.md).
func TestSnapshotVector(t *testing.T) {
	path := filepath.Join(t.TempDir(), StoreFile)
	st := openTestStore(t, path)
	if err := st.InitGenesis("c", []byte(`{}`), election.GenesisAppHash("c", []byte(`{}`))); err != nil {
		t.Fatal(err)
	}
	b, err := st.Begin(1)
	if err != nil {
		t.Fatal(err)
	}
	b.Set([]byte("k"), []byte("v"))
	b.AddTx([]byte("tx-hash"), 0, election.CodeOK, "")
	if _, err := b.Commit(time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m, err := st.WriteSnapshot(ctx, dir, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var stream []byte
	for i := range m.Chunks {
		c, err := os.ReadFile(filepath.Join(dir, strconv.FormatInt(m.Height, 10), chunkName(i)))
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, c...)
	}
	type vector struct {
		ChunkSize   int      `json:"chunk_size"`
		Height      int64    `json:"height"`
		Stream      string   `json:"stream"`
		ChunkHashes []string `json:"chunk_hashes"`
		Hash        string   `json:"hash"`
		AppHash     string   `json:"app_hash"`
	}
	got := vector{ChunkSize: 2048, Height: m.Height, Stream: hex.EncodeToString(stream), ChunkHashes: m.ChunkHashes, Hash: m.Hash, AppHash: m.AppHash}
	file := filepath.Join("testdata", "snapshot", "vector.json")
	if *updateSnapshot {
		js, _ := json.MarshalIndent(got, "", "  ")
		os.MkdirAll(filepath.Dir(file), 0o755)
		if err := os.WriteFile(file, append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want vector
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if got.Stream != want.Stream || got.Hash != want.Hash || got.AppHash != want.AppHash || len(got.ChunkHashes) != len(want.ChunkHashes) {
		t.Fatalf("the snapshot differs from the vector:\n got %+v\nwant %+v", got, want)
	}
	// The vector's hash is recomputable from its stream alone.
	raw2, _ := hex.DecodeString(want.Stream)
	var hs [][]byte
	for len(raw2) > 0 {
		n := min(len(raw2), want.ChunkSize)
		h := sha256.Sum256(raw2[:n])
		hs = append(hs, h[:])
		raw2 = raw2[n:]
	}
	if hex.EncodeToString(SnapshotHash(want.Height, hs)) != want.Hash {
		t.Fatal("the vector's hash is not SnapshotHash of its chunks")
	}
	if h, n, err := ReadSnapshotStream(bytes.NewReader(stream)); err != nil || h != 1 || n < 5 {
		t.Fatalf("ReadSnapshotStream: %d %d %v", h, n, err)
	}
	if _, _, err := ReadSnapshotStream(bytes.NewReader(stream[:len(stream)-1])); !errors.Is(err, ErrSnapshot) {
		t.Fatalf("a truncated stream: %v", err)
	}
}

// FuzzSnapshotStream: the record decoder never panics and never accepts a
// stream it cannot read back the same way.
func FuzzSnapshotStream(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "snapshot", "vector.json")); err == nil {
		var v struct {
			Stream string `json:"stream"`
		}
		if json.Unmarshal(raw, &v) == nil {
			if b, err := hex.DecodeString(v.Stream); err == nil {
				f.Add(b)
				f.Add(b[:len(b)/2])
			}
		}
	}
	f.Add(appendRecord(nil, recHeader, SnapshotFormat, int64(1)))
	f.Add([]byte{recKV, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, err := ReadSnapshotStream(bytes.NewReader(b))
		if err != nil && !errors.Is(err, ErrSnapshot) {
			t.Fatalf("an error that is not ErrSnapshot: %v", err)
		}
		for p := 0; p < len(b); {
			rec, n, err := decodeRecord(b[p:])
			if err != nil {
				return
			}
			if again := appendRecord(nil, rec.tag, rec.fields...); !bytes.Equal(again, b[p:p+n]) {
				t.Fatalf("record %x decodes and re-encodes as %x", b[p:p+n], again)
			}
			p += n
		}
	})
}
