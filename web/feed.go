package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/chain"
	"github.com/evote/evote/election"
	"github.com/evote/evote/observer"
	"github.com/evote/evote/observer/feed"
)

// The live feed of committed blocks, GET /api/v1/feed (docs/spec/feed.md).

// Close codes of the feed (docs/spec/feed.md, "Close codes"). Each close
// but CloseFull carries "resume from=H" in its reason: the height to ask
// for on the next connection.
const (
	// CloseFull: the node serves its maximum of feed clients; try again
	// later (RFC 6455's 1013, Try Again Later).
	CloseFull = websocket.CloseTryAgainLater
	// CloseSlow: the client fell more than the node's buffer behind.
	CloseSlow = 4001
	// ClosePingTimeout: the client answered no ping within the pong wait.
	ClosePingTimeout = 4002
	// CloseStopping: the node is stopping (1001, Going Away).
	CloseStopping = websocket.CloseGoingAway
	// CloseInternal: the node failed to read a block (1011).
	CloseInternal = websocket.CloseInternalServerErr
)

// Defaults of FeedConfig.
const (
	DefaultFeedSocketBuffer = 256 << 10
	DefaultFeedPingInterval = 30 * time.Second
	DefaultFeedWriteTimeout = 30 * time.Second
	// feedReadLimit bounds a message from a client: the feed reads none
	// but control frames (pongs, the close).
	feedReadLimit = 512
)

// FeedConfig configures the feed.
type FeedConfig struct {
	// MaxClients is how many feed clients the node serves at once
	// (feed.DefaultMaxClients if <= 0); one more is accepted, then closed
	// with CloseFull.
	MaxClients int
	// Buffer is how many block messages wait for a client before it is
	// dropped with CloseSlow (feed.DefaultBuffer if <= 0).
	Buffer int
	// SocketBuffer is the kernel's send buffer per client, in bytes
	// (DefaultFeedSocketBuffer if <= 0): it bounds the memory a client
	// that does not read can hold.
	SocketBuffer int
	// AllowedOrigins are the origins (scheme://host[:port], or "*") whose
	// pages may open the feed besides the node's own; requests without an
	// Origin header (not from a browser) are always served.
	AllowedOrigins []string
	// PingInterval is how often the node pings a client
	// (DefaultFeedPingInterval if <= 0); a client that answers none within
	// twice that is closed with ClosePingTimeout.
	PingInterval time.Duration
	// WriteTimeout bounds the writing of one message
	// (DefaultFeedWriteTimeout if <= 0); past it the connection is cut
	// without a close frame.
	WriteTimeout time.Duration
}

func (c FeedConfig) withDefaults() FeedConfig {
	if c.SocketBuffer <= 0 {
		c.SocketBuffer = DefaultFeedSocketBuffer
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultFeedPingInterval
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultFeedWriteTimeout
	}
	return c
}

// Validate checks the configuration's values.
func (c FeedConfig) Validate() error {
	if c.MaxClients < 0 || c.Buffer < 0 || c.SocketBuffer < 0 {
		return errors.New("feed limits must not be negative")
	}
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			continue
		}
		if err := chain.CheckOrigin(o); err != nil {
			return fmt.Errorf("feed origin %w", err)
		}
	}
	return nil
}

var feedWriteBuffers sync.Pool

func (s *Server) upgrader() *websocket.Upgrader {
	return &websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   feedReadLimit,
		WriteBufferPool:  &feedWriteBuffers,
		// The origin is checked before the upgrade (feedOrigin), so that
		// the refusal is a JSON answer like every other.
		CheckOrigin: func(*http.Request) bool { return true },
	}
}

// feedOrigin says whether r may open the feed: no Origin header (not a
// browser), the node's own origin, or an allowed one.
func (s *Server) feedOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, a := range s.feedCfg.AllowedOrigins {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "/"), o) {
			return true
		}
	}
	return false
}

// feedParams are the feed's query parameters.
type feedParams struct {
	from   int64
	filter feed.Filter
}

func parseFeedParams(q url.Values) (feedParams, error) {
	p := feedParams{from: 1, filter: feed.Filter{All: true}}
	if v := q.Get("from"); v != "" {
		h, err := strconv.ParseInt(v, 10, 64)
		if err != nil || h < 1 {
			return p, fmt.Errorf("from must be a block height (an integer >= 1), got %q", v)
		}
		p.from = h
	}
	if v := q.Get("election"); v != "" {
		id, err := election.ParseID(v)
		if err != nil {
			return p, fmt.Errorf("election: %w", err)
		}
		p.filter = feed.Filter{Election: id}
	}
	switch v := q.Get("light"); v {
	case "", "0", "false":
	case "1", "true":
		p.filter.Light = true
	default:
		return p, fmt.Errorf("light must be 1 or 0, got %q", v)
	}
	return p, nil
}

func (s *Server) feed(w http.ResponseWriter, r *http.Request) {
	p, err := parseFeedParams(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if base := s.node.CometBFT().BlockStore().Base(); base > 1 && p.from < base {
		// A node started from a state-sync snapshot holds no older block.
		writeError(w, http.StatusBadRequest, fmt.Sprintf("this node holds the blocks from height %d on; ask another node for older ones", base), nil)
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		writeError(w, http.StatusBadRequest, "the feed is a websocket: send a websocket upgrade request (docs/spec/feed.md)", nil)
		return
	}
	if !s.feedOrigin(r) {
		writeError(w, http.StatusForbidden, "origin "+r.Header.Get("Origin")+" may not open the feed of this node", nil)
		return
	}
	hello := observer.FeedMessage{Type: observer.FeedHello, Format: observer.FeedFormat, From: p.from, Light: p.filter.Light}
	if !p.filter.All {
		hello.Head, err = feed.Head(s.node, s.reader(), p.filter.Election)
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	helloJSON, err := json.Marshal(hello)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sub, subErr := s.hub.Subscribe(p.filter, p.from)
	if subErr != nil && !errors.Is(subErr, feed.ErrFull) && !errors.Is(subErr, feed.ErrStopped) {
		s.fail(w, r, subErr)
		return
	}
	conn, err := s.upgrader().Upgrade(w, r, nil)
	if err != nil {
		if sub != nil {
			sub.Close()
		}
		return // the upgrader answered the client
	}
	defer conn.Close()
	if subErr != nil {
		if errors.Is(subErr, feed.ErrFull) {
			s.metrics.feedDropped.WithLabelValues("full").Inc()
			feedClose(conn, CloseFull, fmt.Sprintf("try again later: this node serves at most %d feed clients", s.hub.Config().MaxClients))
		} else {
			feedClose(conn, CloseStopping, fmt.Sprintf("node stopping; resume from=%d", p.from))
		}
		feedLinger(conn, nil)
		return
	}
	defer sub.Close()
	s.serveFeed(r.Context(), conn, sub, helloJSON)
}

// serveFeed writes the hello, then the blocks, until the client goes, falls
// behind or the node stops.
func (s *Server) serveFeed(ctx context.Context, conn *websocket.Conn, sub *feed.Sub, hello []byte) {
	cfg := s.feedCfg
	if tcp, ok := conn.NetConn().(*net.TCPConn); ok {
		_ = tcp.SetWriteBuffer(cfg.SocketBuffer)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// The reader: pongs extend the deadline; anything else the client
	// sends is read and dropped; a close or an error ends the feed.
	conn.SetReadLimit(feedReadLimit)
	pongWait := 2 * cfg.PingInterval
	conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				cancel(err)
				return
			}
		}
	}()
	// The pinger: control frames may be written alongside messages.
	go func() {
		t := time.NewTicker(cfg.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteTimeout)) != nil {
					return
				}
			}
		}
	}()

	write := func(m []byte, pm *websocket.PreparedMessage) bool {
		conn.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
		var err error
		if pm != nil {
			err = conn.WritePreparedMessage(pm)
		} else {
			err = conn.WriteMessage(websocket.TextMessage, m)
		}
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				s.metrics.feedDropped.WithLabelValues("timeout").Inc()
			}
			return false
		}
		s.metrics.feedMessages.Inc()
		s.metrics.feedBytes.Add(float64(len(m)))
		return true
	}
	if !write(hello, nil) {
		return
	}
	for {
		m, err := sub.Next(ctx)
		if err == nil {
			pm, _ := m.Frame(prepare).(*websocket.PreparedMessage)
			if !write(m.JSON, pm) {
				return
			}
			continue
		}
		resume := fmt.Sprintf("resume from=%d", sub.Resume())
		switch {
		case errors.Is(err, feed.ErrSlow): // counted by the hub (OnSlow)
			feedClose(conn, CloseSlow, fmt.Sprintf("too slow: more than %d blocks behind; %s", s.hub.Config().Buffer, resume))
		case errors.Is(err, feed.ErrStopped):
			feedClose(conn, CloseStopping, "node stopping; "+resume)
		case ctx.Err() != nil:
			cause := context.Cause(ctx)
			if isTimeout(cause) {
				s.metrics.feedDropped.WithLabelValues("ping").Inc()
				feedClose(conn, ClosePingTimeout, "no pong within "+pongWait.String()+"; "+resume)
			} else if websocket.IsCloseError(cause, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				feedClose(conn, websocket.CloseNormalClosure, resume)
			}
			// else: the connection failed; nothing more can be said.
		default:
			s.log.Error("feed: reading a block failed", "height", sub.Resume(), "err", err)
			feedClose(conn, CloseInternal, "the node failed to read a block; "+resume)
		}
		feedLinger(conn, readDone)
		return
	}
}

// prepare frames a block message once for all its clients.
func prepare(b []byte) any {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return nil
	}
	return pm
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// feedClose sends a close frame (reason cut to the 123 bytes a close frame
// holds).
func feedClose(conn *websocket.Conn, code int, reason string) {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

// feedLinger gives the client up to a second to read the close frame and
// answer it before the connection goes: the node reads on (and drops)
// whatever the client still sends, so that closing never resets a
// connection whose close frame the client has not read yet. readDone, if
// not nil, is closed when the feed's reader has stopped.
func feedLinger(conn *websocket.Conn, readDone <-chan struct{}) {
	deadline := time.Now().Add(time.Second)
	if readDone != nil {
		select {
		case <-readDone:
		case <-time.After(time.Second):
			return
		}
	}
	nc := conn.NetConn()
	_ = nc.SetReadDeadline(deadline)
	_, _ = io.Copy(io.Discard, nc)
}
