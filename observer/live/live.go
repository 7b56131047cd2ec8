// Package live follows an election as it happens: it reads the feed
// (GET /api/v1/feed, docs/spec/feed.md) of one or more nodes over
// websockets and verifies every block with an observer.Follower, trusting
// no node. It reconnects and resumes where a feed stopped, takes each
// block from whichever node serves it first, reports two nodes that serve
// different blocks at one height, and keeps the follower's journal in a
// file so that a restarted observer resumes without verifying from block 1
// again. `evote observe` is a thin command over Follow.
package live

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
)

// Config configures Follow.
type Config struct {
	// Nodes are the nodes' HTTP addresses (http://host:port); the feed is
	// read from each of them.
	Nodes []string
	// Election is the election followed.
	Election election.ID
	// State is the journal's file: created if absent, resumed from if
	// present (a changed file is refused). Empty: no journal.
	State string
	// Verify are the verifier's options: the trusted genesis (Genesis,
	// Validators) and the workers. Progress is not used.
	Verify observer.VerifyOptions
	// Update, if set, is called after blocks are verified, and on each
	// connection event.
	Update func(Update)
	// UntilFinal stops Follow, with no error, once the election is tallied
	// or failed and that state is proven.
	UntilFinal bool
	// Stop, if set, is called after blocks are verified (with everything
	// added so far verified); Follow returns nil once it says true. It may
	// read the follower (Status, Aggregates) but not add to it.
	Stop func(*observer.Follower) bool
	// Retry is the first pause before reconnecting to a node (doubling up
	// to 30 times that); 500 ms if 0.
	Retry time.Duration
	// Dialer dials the websockets; websocket.DefaultDialer if nil.
	Dialer *websocket.Dialer
}

// Update is what Follow reports.
type Update struct {
	Status observer.FollowStatus
	// Event is set for a connection event: the node and what happened
	// ("connected from=H", "lost: …, reconnecting").
	Node, Event string
	// Resumed is set once, when the journal was resumed.
	Resumed *observer.Resumed
}

// ErrNodesDisagree is wrapped by a *DisagreeError.
var ErrNodesDisagree = errors.New("live: nodes serve different blocks")

// DisagreeError says that two nodes served different blocks (or different
// heads) at one height: one of them, at least, is lying or forked.
type DisagreeError struct {
	Height int64 // 0 for the heads (genesis, election)
	A, B   string
}

func (e *DisagreeError) Error() string {
	if e.Height == 0 {
		return fmt.Sprintf("nodes %s and %s serve different chains or elections (their feeds' heads differ)", e.A, e.B)
	}
	return fmt.Sprintf("nodes %s and %s serve different blocks at height %d", e.A, e.B, e.Height)
}

func (e *DisagreeError) Unwrap() error { return ErrNodesDisagree }

// msg is one feed message from one node.
type msg struct {
	node string
	m    *observer.FeedMessage
	err  error                 // the connection's end, for the report
	lie  *observer.VerifyError // the node broke the feed's order
}

// Follow follows cfg.Election until ctx ends (it returns ctx's error), a
// block fails verification (a *observer.VerifyError), two nodes disagree
// (a *DisagreeError), the journal cannot be used, or with UntilFinal the
// election's final state is proven (nil).
func Follow(ctx context.Context, cfg Config) error {
	if len(cfg.Nodes) == 0 {
		return errors.New("live: no node to follow")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	update := cfg.Update
	if update == nil {
		update = func(Update) {}
	}

	var f *observer.Follower
	var head *observer.RecordHead
	var from int64 = 1
	var journal *os.File
	var jw *bufio.Writer
	if cfg.State != "" {
		var err error
		journal, err = os.OpenFile(cfg.State, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("live: state file: %w", err)
		}
		defer journal.Close()
		st, err := journal.Stat()
		if err != nil {
			return fmt.Errorf("live: state file: %w", err)
		}
		if st.Size() > 0 {
			fl, res, err := observer.ResumeFollower(journal, nil, cfg.Verify)
			if err != nil {
				return fmt.Errorf("state file %s: %w; delete it to verify from block 1", cfg.State, err)
			}
			if got := fl.Head().Election; got != cfg.Election {
				fl.Close()
				return fmt.Errorf("state file %s: %w: it is of election %v; use another file", cfg.State, observer.ErrJournal, got)
			}
			if err := journal.Truncate(res.Keep); err != nil {
				fl.Close()
				return fmt.Errorf("live: state file: %w", err)
			}
			if _, err := journal.Seek(res.Keep, io.SeekStart); err != nil {
				fl.Close()
				return fmt.Errorf("live: state file: %w", err)
			}
			jw = bufio.NewWriterSize(journal, 256<<10)
			if err := fl.Journal(jw, false); err != nil {
				fl.Close()
				return err
			}
			f, head, from = fl, fl.Head(), res.From
			update(Update{Status: f.Status(), Resumed: res})
		}
	}
	in := make(chan msg, 64)
	for _, n := range cfg.Nodes {
		go readFeed(ctx, cfg, n, cfg.Election, from, in, update)
	}

	next := from
	var headNode string
	type seen struct {
		node   string
		digest [32]byte
	}
	got := map[int64]seen{}                      // the digest each height was first served with
	pending := map[int64]*observer.RecordBlock{} // heights ≥ next, waiting for the ones before
	// handle takes one message; it reports whether it added a block to
	// the follower.
	handle := func(m msg) (bool, error) {
		if m.lie != nil {
			return false, m.lie
		}
		if m.m == nil {
			update(Update{Status: statusOf(f), Node: m.node, Event: "lost: " + m.err.Error() + "; reconnecting"})
			return false, nil
		}
		switch m.m.Type {
		case observer.FeedHello:
			h := m.m.Head
			if h == nil {
				return false, fmt.Errorf("live: node %s sent a hello without the election's head", m.node)
			}
			if head != nil && !sameHead(head, h) {
				other := headNode
				if other == "" {
					other = "the state file"
				}
				return false, &DisagreeError{A: other, B: m.node}
			}
			update(Update{Status: statusOf(f), Node: m.node, Event: fmt.Sprintf("connected, from block %d", m.m.From)})
			if f == nil {
				var err error
				if f, err = observer.NewFollower(h, cfg.Verify); err != nil {
					return false, err
				}
				head, headNode = h, m.node
				if fp, err := h.GenesisFingerprint(); err == nil {
					update(Update{Status: f.Status(), Node: m.node, Event: fmt.Sprintf("chain %s, genesis fingerprint %s", h.ChainID, fp)})
				}
				if journal != nil {
					jw = bufio.NewWriterSize(journal, 256<<10)
					if err := f.Journal(jw, true); err != nil {
						return false, err
					}
				}
			}
			return false, nil
		case observer.FeedBlock:
		default:
			return false, nil // a message type of a later version
		}
		b := m.m.Block
		if b == nil || f == nil {
			return false, fmt.Errorf("live: node %s sent a block before its hello", m.node)
		}
		d := digest(b)
		if s, ok := got[b.Height]; ok {
			if s.digest != d {
				return false, &DisagreeError{Height: b.Height, A: s.node, B: m.node}
			}
			return false, nil // the same block from another node, or again after a reconnect
		}
		got[b.Height] = seen{m.node, d}
		delete(got, b.Height-4096) // what nodes may still resend after a reconnect
		if b.Height < next {
			return false, nil
		}
		pending[b.Height] = b
		added := false
		for pending[next] != nil {
			if err := f.Add(ctx, pending[next]); err != nil {
				return false, err
			}
			delete(pending, next)
			next++
			added = true
		}
		return added, nil
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	unflushed := false
	for {
		var m msg
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m = <-in:
		}
		added, err := handle(m)
		if err != nil {
			return err
		}
		unflushed = unflushed || added
		if !unflushed || len(in) > 0 {
			continue // verify in windows while messages keep coming
		}
		unflushed = false
		if err := f.Flush(ctx); err != nil {
			return err
		}
		if jw != nil {
			if err := jw.Flush(); err != nil {
				return fmt.Errorf("live: state file: %w", err)
			}
		}
		s := f.Status()
		update(Update{Status: s})
		if cfg.UntilFinal && (s.Phase == "tallied" || s.Phase == "failed") && s.Height == s.Replayed {
			return nil
		}
		if cfg.Stop != nil && cfg.Stop(f) {
			return nil
		}
	}
}

func statusOf(f *observer.Follower) observer.FollowStatus {
	if f == nil {
		return observer.FollowStatus{}
	}
	return f.Status()
}

// digest identifies what a node served for a block, its commit aside
// (nodes may hold different, equally valid, commit signatures for one
// block).
func digest(b *observer.RecordBlock) [32]byte {
	h := sha256.New()
	h.Write(b.Header)
	txs, _ := json.Marshal(b.Txs)
	h.Write(txs)
	st, _ := json.Marshal(b.State)
	h.Write(st)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func sameHead(a, b *observer.RecordHead) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// readFeed reads node's feed from height from on, reconnecting after every
// end with the height after the last block it got, until ctx ends.
func readFeed(ctx context.Context, cfg Config, node string, id election.ID, from int64, out chan<- msg, update func(Update)) {
	retry := cfg.Retry
	if retry <= 0 {
		retry = 500 * time.Millisecond
	}
	pause := retry
	for ctx.Err() == nil {
		got, err := readOnce(ctx, cfg, node, id, from, out)
		if got > 0 {
			from += got
			pause = retry
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case out <- msg{node: node, err: err}:
		case <-ctx.Done():
			return
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return
		}
		pause = min(2*pause, 30*retry)
	}
}

// readOnce reads one connection's messages and returns how many blocks it
// got and why it ended.
func readOnce(ctx context.Context, cfg Config, node string, id election.ID, from int64, out chan<- msg) (int64, error) {
	u, err := FeedURL(node, id, from)
	if err != nil {
		return 0, err
	}
	d := cfg.Dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	conn, resp, err := d.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			return 0, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
		return 0, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	conn.SetReadLimit(256 << 20)
	var n int64
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return n, fmt.Errorf("closed by the node (%d %s)", ce.Code, ce.Text)
			}
			return n, err
		}
		var m observer.FeedMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return n, fmt.Errorf("a feed message does not decode: %w", err)
		}
		if m.Type == observer.FeedBlock && m.Block != nil {
			if m.Block.Height != from+n {
				// The feed sends every block in order: this node lies.
				lie := &observer.VerifyError{Item: fmt.Sprintf("block %d", m.Block.Height), Code: observer.CodeRecordMalformed,
					Err: fmt.Errorf("node %s's feed sent block %d where block %d was due: blocks left out or out of order", node, m.Block.Height, from+n)}
				select {
				case out <- msg{node: node, lie: lie}:
				case <-ctx.Done():
				}
				return n, lie
			}
			n++
		}
		select {
		case out <- msg{node: node, m: &m}:
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
}

// Head reads the head of node's feed of election id (its hello: the
// chain's genesis and the election's manifest) and closes the feed. It
// checks nothing: the head is what the node says.
func Head(ctx context.Context, node string, id election.ID, dialer *websocket.Dialer) (*observer.RecordHead, error) {
	u, err := FeedURL(node, id, 1)
	if err != nil {
		return nil, err
	}
	if dialer == nil {
		dialer = websocket.DefaultDialer
	}
	conn, resp, err := dialer.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	conn.SetReadLimit(256 << 20)
	_, data, err := conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m observer.FeedMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("a feed message does not decode: %w", err)
	}
	if m.Type != observer.FeedHello || m.Head == nil {
		return nil, fmt.Errorf("live: node %s's feed did not begin with the election's head", node)
	}
	return m.Head, nil
}

// FeedURL is the websocket URL of node's feed of election id from height
// from.
func FeedURL(node string, id election.ID, from int64) (string, error) {
	u, err := url.Parse(node)
	if err != nil {
		return "", fmt.Errorf("live: node address %q: %w", node, err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("live: node address %q: want http:// or https://", node)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/feed"
	q := url.Values{}
	q.Set("election", id.String())
	q.Set("from", fmt.Sprint(from))
	u.RawQuery = q.Encode()
	return u.String(), nil
}
