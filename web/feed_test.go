package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/harness"
	"github.com/evote/evote/internal/nodetest"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/wallet"
)

// feedNode is one running node with an election whose roll grows one voter
// per block: append makes blocks on demand.
type feedNode struct {
	node *chain.Node
	sub  harness.Node
	auth *election.PrivateKey
	id   election.ID

	mu sync.Mutex // append's blocks are one at a time
}

// startFeedNode starts the node the feed tests share (as subtests of
// TestFeed): an election created with two voters, one per block.
func startFeedNode(t *testing.T) *feedNode {
	t.Helper()
	auth, err := election.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, testChainID, auth)
	fn := &feedNode{node: n, sub: harness.Node{N: n}, auth: auth}
	e, err := harness.Create(t.Context(), fn.sub, harness.Spec{Template: manifestTemplate, Reference: "feed", Voters: 2, RollBatch: 1,
		Authority: auth, Vars: map[string]any{"Revoting": false, "Weights": false, "Threshold": 2}})
	if err != nil {
		t.Fatal(err)
	}
	fn.id = e.ID
	return fn
}

// append commits k blocks, each adding one voter to the roll, and returns
// the last one's height.
func (fn *feedNode) append(t *testing.T, k int) int64 {
	t.Helper()
	fn.mu.Lock()
	defer fn.mu.Unlock()
	var h int64
	for range k {
		key, err := wallet.GenerateVoterKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := election.NewAppendVotersTx(testChainID, fn.id, []election.RollEntry{{Voter: key.Public(), Weight: 1}}, fn.auth)
		if err != nil {
			t.Fatal(err)
		}
		if h, err = fn.sub.Submit(context.Background(), "append voters", tx); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (fn *feedNode) height(t *testing.T) int64 {
	t.Helper()
	m, err := fn.node.App().Store().Meta()
	if err != nil {
		t.Fatal(err)
	}
	return m.Height
}

// serve starts a Server with cfg over the node.
func (fn *feedNode) serve(t *testing.T, cfg FeedConfig) (*Server, *httptest.Server) {
	t.Helper()
	s := NewWithConfig(fn.node, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Feed: cfg})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return s, srv
}

func feedURL(srv *httptest.Server, query string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/v1/feed" + query
}

func dialFeed(t *testing.T, srv *httptest.Server, query string, header http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(feedURL(srv, query), header)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", query, err, resp)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readFeed(t *testing.T, c *websocket.Conn) *observer.FeedMessage {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	typ, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("message type %d", typ)
	}
	var m observer.FeedMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// readBlocks reads the blocks of heights from..to and checks they come in
// order.
func readBlocks(t *testing.T, c *websocket.Conn, from, to int64) []*observer.FeedMessage {
	t.Helper()
	var out []*observer.FeedMessage
	for h := from; h <= to; h++ {
		m := readFeed(t, c)
		if m.Type != observer.FeedBlock || m.Block == nil {
			t.Fatalf("want block %d, got a %q message", h, m.Type)
		}
		if m.Block.Height != h {
			t.Fatalf("block %d came where %d was due", m.Block.Height, h)
		}
		out = append(out, m)
	}
	return out
}

// closeCode reads until the connection ends and returns the close code.
func closeCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			t.Fatalf("the feed ended without a close frame: %v", err)
		}
	}
}

func TestFeed(t *testing.T) {
	fn := startFeedNode(t)
	t.Run("blocks", func(t *testing.T) { testFeedBlocks(t, fn) })
	t.Run("resume", func(t *testing.T) { testFeedResume(t, fn) })
	t.Run("shared", func(t *testing.T) { testFeedShared(t, fn) })
	t.Run("slow", func(t *testing.T) { testFeedSlow(t, fn) })
	t.Run("full", func(t *testing.T) { testFeedFull(t, fn) })
	t.Run("ping", func(t *testing.T) { testFeedPing(t, fn) })
	t.Run("stop", func(t *testing.T) { testFeedStop(t, fn) })
	t.Run("refusals", func(t *testing.T) { testFeedRefusals(t, fn) })
	t.Run("origin", func(t *testing.T) { testFeedOrigin(t, fn) })
}

// testFeedBlocks: a feed of one election gives the hello with the head,
// then every block from 1 in order with the election's transactions, then
// new blocks as they commit; the light form and the feed of all elections
// carry the hashes only.
func testFeedBlocks(t *testing.T, fn *feedNode) {
	_, srv := fn.serve(t, FeedConfig{})
	full := dialFeed(t, srv, "?election="+fn.id.String(), nil)
	light := dialFeed(t, srv, "?election="+fn.id.String()+"&light=1&from=1", nil)
	all := dialFeed(t, srv, "", nil)

	h := fn.height(t)
	hello := readFeed(t, full)
	if hello.Type != observer.FeedHello || hello.Format != observer.FeedFormat || hello.From != 1 || hello.Light ||
		hello.Head == nil || hello.Head.Election != fn.id || hello.Head.ChainID != testChainID {
		t.Fatalf("hello %+v", hello)
	}
	if m := readFeed(t, light); m.Type != observer.FeedHello || !m.Light || m.Head == nil {
		t.Fatalf("light hello %+v", m)
	}
	if m := readFeed(t, all); m.Type != observer.FeedHello || m.Head != nil {
		t.Fatalf("hello of all elections %+v", m)
	}
	created := false
	fullBlocks := readBlocks(t, full, 1, h)
	lightBlocks := readBlocks(t, light, 1, h)
	allBlocks := readBlocks(t, all, 1, h)
	txs := 0
	for i, m := range fullBlocks {
		if len(m.Block.Header) == 0 || len(m.Block.Commit) == 0 || m.Block.Txs == nil {
			t.Fatalf("block %d: %+v", m.Block.Height, m.Block)
		}
		txs += len(m.Block.Txs)
		for _, tx := range m.Block.Txs {
			if len(tx.Tx) == 0 || tx.Index >= len(m.Block.TxHashes) {
				t.Fatalf("block %d: a transaction without its bytes", m.Block.Height)
			}
			if tx.Kind == election.KindCreateElection.String() {
				created = true
				if len(m.Phases) != 1 || m.Phases[0].Election != fn.id {
					t.Errorf("the creation block has phases %+v", m.Phases)
				}
				if len(allBlocks[i].Phases) != 1 {
					t.Errorf("the feed of all elections: the creation block has phases %+v", allBlocks[i].Phases)
				}
			}
		}
		if l := lightBlocks[i].Block; len(l.Txs) != len(m.Block.Txs) || (len(l.Txs) > 0 && len(l.Txs[0].Tx) != 0) {
			t.Errorf("light block %d: %+v", l.Height, l.Txs)
		}
		if a := allBlocks[i].Block; len(a.Txs) != 0 || len(a.TxHashes) != len(m.Block.TxHashes) {
			t.Errorf("block %d of all elections carries %d transactions", a.Height, len(a.Txs))
		}
	}
	if !created || txs != 3 {
		t.Fatalf("the election's blocks carry %d transactions (created %v), want 3", txs, created)
	}

	// Live: new blocks arrive in order after their commit.
	h2 := fn.append(t, 3)
	for _, m := range readBlocks(t, full, h+1, h2) {
		if m.Block.Height == h2 && (len(m.Block.Txs) != 1 || m.Block.Txs[0].Kind != election.KindAppendVoters.String()) {
			t.Fatalf("the last block: %+v", m.Block.Txs)
		}
	}
	readBlocks(t, all, h+1, h2)
}

// testFeedResume: a client that goes away and comes back with from set to
// the next height it wants misses nothing and gets nothing twice, while
// blocks keep committing.
func testFeedResume(t *testing.T, fn *feedNode) {
	_, srv := fn.serve(t, FeedConfig{})
	const k = 6
	target := fn.height(t) + k // the blocks below are the only ones committing
	done := make(chan int64, 1)
	go func() {
		var last int64
		for range k {
			last = fn.append(t, 1)
			time.Sleep(20 * time.Millisecond)
		}
		done <- last
	}()
	for next := int64(1); next <= target; {
		c := dialFeed(t, srv, "?light=1&election="+fn.id.String()+"&from="+itoa(next), nil)
		if m := readFeed(t, c); m.From != next {
			t.Fatalf("hello from %d, asked %d", m.From, next)
		}
		// A block or two, then away.
		to := min(next+1, target)
		readBlocks(t, c, next, to)
		next = to + 1
		c.Close()
	}
	if last := <-done; last != target {
		t.Fatalf("the blocks committed up to %d, want %d", last, target)
	}
}

// testFeedShared: live clients of one filter cost one reading and encoding
// of each block between them.
func testFeedShared(t *testing.T, fn *feedNode) {
	s, srv := fn.serve(t, FeedConfig{})
	from := fn.height(t) + 1
	var cs []*websocket.Conn
	for range 5 {
		c := dialFeed(t, srv, "?election="+fn.id.String()+"&from="+itoa(from), nil)
		readFeed(t, c)
		cs = append(cs, c)
	}
	before := s.hub.Encodings()
	to := fn.append(t, 3)
	for _, c := range cs {
		readBlocks(t, c, from, to)
	}
	if n := s.hub.Encodings() - before; n != to-from+1 {
		t.Fatalf("%d encodings for %d blocks and 5 clients", n, to-from+1)
	}
}

func itoa(h int64) string { return strconv.FormatInt(h, 10) }

// testFeedSlow: a client that stops reading is dropped with CloseSlow once
// its buffer is full, while blocks go on committing; the node never waits
// for it.
func testFeedSlow(t *testing.T, fn *feedNode) {
	s, srv := fn.serve(t, FeedConfig{Buffer: 2, SocketBuffer: 1})
	// The client's receive buffer as small as the kernel allows, so that
	// the node's writes back up as soon as it stops reading.
	d := websocket.Dialer{NetDialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1) })
		return errors.Join(err, serr)
	}}).DialContext}
	start := fn.height(t)
	stalled, _, err := d.Dial(feedURL(srv, "?election="+fn.id.String()+"&from="+itoa(start+1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	dropped := s.metrics.feedDropped.WithLabelValues("slow")
	var h int64
	for i := 0; testutil.ToFloat64(dropped) == 0; i++ {
		if i == 200 {
			t.Fatalf("the stalled client was not dropped after %d blocks", i)
		}
		h = fn.append(t, 1) // commits go on while the client stalls
	}
	if h <= start+2 {
		t.Fatalf("dropped at height %d, from %d", h, start)
	}
	if m := readFeed(t, stalled); m.Type != observer.FeedHello {
		t.Fatalf("first message %q", m.Type)
	}
	if code := closeCode(t, stalled); code != CloseSlow {
		t.Fatalf("close code %d, want %d", code, CloseSlow)
	}
	for deadline := time.Now().Add(5 * time.Second); s.hub.Clients() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients left", s.hub.Clients())
		}
	}
}

// testFeedFull: past the maximum of clients, a new client is accepted and
// closed with CloseFull.
func testFeedFull(t *testing.T, fn *feedNode) {
	s, srv := fn.serve(t, FeedConfig{MaxClients: 1})
	first := dialFeed(t, srv, "", nil)
	readFeed(t, first)
	second := dialFeed(t, srv, "", nil)
	if code := closeCode(t, second); code != CloseFull {
		t.Fatalf("close code %d, want %d", code, CloseFull)
	}
	if testutil.ToFloat64(s.metrics.feedDropped.WithLabelValues("full")) != 1 {
		t.Fatal("the refusal is not counted")
	}
	// The first one is still served.
	h := fn.append(t, 1)
	for {
		if m := readFeed(t, first); m.Block.Height == h {
			break
		}
	}
}

// testFeedPing: a client that answers no ping is closed with
// ClosePingTimeout.
func testFeedPing(t *testing.T, fn *feedNode) {
	_, srv := fn.serve(t, FeedConfig{PingInterval: 50 * time.Millisecond})
	c := dialFeed(t, srv, "?from="+itoa(fn.height(t)+1000), nil)
	time.Sleep(300 * time.Millisecond) // pings unanswered: this client reads nothing
	readFeed(t, c)                     // the hello
	if code := closeCode(t, c); code != ClosePingTimeout {
		t.Fatalf("close code %d, want %d", code, ClosePingTimeout)
	}
}

// testFeedStop: a stopping node closes its clients with CloseStopping.
func testFeedStop(t *testing.T, fn *feedNode) {
	s, srv := fn.serve(t, FeedConfig{})
	c := dialFeed(t, srv, "?from="+itoa(fn.height(t)+1), nil)
	readFeed(t, c)
	s.Close()
	if code := closeCode(t, c); code != CloseStopping {
		t.Fatalf("close code %d, want %d", code, CloseStopping)
	}
	c2 := dialFeed(t, srv, "", nil)
	if code := closeCode(t, c2); code != CloseStopping {
		t.Fatalf("after the stop: close code %d, want %d", code, CloseStopping)
	}
}

// testFeedRefusals: bad parameters are answered 400 (unknown election 404)
// before any upgrade, as JSON errors.
func testFeedRefusals(t *testing.T, fn *feedNode) {
	_, srv := fn.serve(t, FeedConfig{})
	var unknown election.ID
	unknown[0] = 1
	for query, status := range map[string]int{
		"?from=x": 400, "?from=0": 400, "?from=-3": 400, "?from=1.5": 400,
		"?election=zz": 400, "?election=" + fn.id.String()[:10]: 400, "?light=2": 400,
		"?election=" + unknown.String(): 404,
	} {
		_, resp, err := websocket.DefaultDialer.Dial(feedURL(srv, query), nil)
		if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil || resp.StatusCode != status {
			t.Errorf("%s: %v, %v; want %d", query, err, resp, status)
			continue
		}
		checkFeedError(t, resp)
	}
	// A plain GET is not a websocket.
	resp, err := http.Get(srv.URL + "/api/v1/feed")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain GET: %d", resp.StatusCode)
	}
	checkFeedError(t, resp)
}

func checkFeedError(t *testing.T, resp *http.Response) {
	t.Helper()
	defer resp.Body.Close()
	var e struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error == "" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%d answer is not a JSON error: %v", resp.StatusCode, err)
	}
}

// testFeedOrigin: a page of another origin is refused (403) unless
// allowed; the node's own pages and clients without an Origin are served.
func testFeedOrigin(t *testing.T, fn *feedNode) {
	_, srv := fn.serve(t, FeedConfig{AllowedOrigins: []string{"https://observer.example.org"}})
	_, resp, err := websocket.DefaultDialer.Dial(feedURL(srv, ""), http.Header{"Origin": {"https://evil.example"}})
	if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin: %v, %v", err, resp)
	}
	checkFeedError(t, resp)
	for _, o := range []string{srv.URL, "https://observer.example.org"} {
		c := dialFeed(t, srv, "", http.Header{"Origin": {o}})
		if m := readFeed(t, c); m.Type != observer.FeedHello {
			t.Fatalf("origin %s: %q", o, m.Type)
		}
	}
	if err := (FeedConfig{AllowedOrigins: []string{"observer.example.org"}}).Validate(); err == nil {
		t.Error("an origin without a scheme passes Validate")
	}
}
