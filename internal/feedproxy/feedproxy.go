// Package feedproxy is a man in the middle for tests: an HTTP reverse
// proxy in front of a node that passes every request through unchanged,
// except the websocket feed (GET /api/v1/feed), whose messages from the
// node it passes through a rewrite function on their way to the client.
// Tests of the verifying follower and of the browser's dashboard put it
// between the node and the verifier to make the node lie.
package feedproxy

import (
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

// FeedPath is the path of the feed the proxy rewrites.
const FeedPath = "/api/v1/feed"

// Rewrite maps one text message from the node to the message the client
// gets; nil drops the message. It is called from one goroutine per feed
// connection, in the order the node sent the messages.
type Rewrite func(msg []byte) []byte

// Rewrites maps one text message from the node to the messages the client
// gets, in order (none drops it): it can hold a message back and send it
// later, after another.
type Rewrites func(msg []byte) [][]byte

// Proxy is the man in the middle. Make one with New.
type Proxy struct {
	target  *url.URL
	rewrite Rewrites
	rest    *httputil.ReverseProxy
	up      websocket.Upgrader
	dialer  *websocket.Dialer

	mu    sync.Mutex
	conns map[*websocket.Conn]bool
}

// New returns a proxy to the node at target (its base URL, e.g.
// http://127.0.0.1:8080). rewrite nil passes messages through unchanged.
func New(target string, rewrite Rewrite) (*Proxy, error) {
	if rewrite == nil {
		rewrite = func(msg []byte) []byte { return msg }
	}
	return NewMulti(target, func(msg []byte) [][]byte {
		if out := rewrite(msg); out != nil {
			return [][]byte{out}
		}
		return nil
	})
}

// NewMulti is New with a rewrite that may turn a message into several.
func NewMulti(target string, rewrite Rewrites) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("feedproxy: target must be an http or https URL")
	}
	return &Proxy{
		target: u, rewrite: rewrite,
		rest:   httputil.NewSingleHostReverseProxy(u),
		up:     websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		dialer: websocket.DefaultDialer,
		conns:  map[*websocket.Conn]bool{},
	}, nil
}

// ServeHTTP proxies r.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == FeedPath && websocket.IsWebSocketUpgrade(r) {
		p.feed(w, r)
		return
	}
	p.rest.ServeHTTP(w, r)
}

// Close closes the feed connections open through the proxy.
func (p *Proxy) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

func (p *Proxy) track(cs ...*websocket.Conn) func() {
	p.mu.Lock()
	for _, c := range cs {
		p.conns[c] = true
	}
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		for _, c := range cs {
			delete(p.conns, c)
			c.Close()
		}
		p.mu.Unlock()
	}
}

// feed dials the node's feed with the client's path and query, accepts
// the client, and pumps messages both ways until either side closes; the
// node's close code and reason reach the client.
func (p *Proxy) feed(w http.ResponseWriter, r *http.Request) {
	u := *p.target
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = strings.TrimSuffix(u.Path, "/") + r.URL.Path
	u.RawQuery = r.URL.RawQuery
	node, resp, err := p.dialer.DialContext(r.Context(), u.String(), nil)
	if err != nil {
		status := http.StatusBadGateway
		if resp != nil {
			status = resp.StatusCode // the node's refusal (400, 404, ...)
		}
		http.Error(w, "feedproxy: "+err.Error(), status)
		return
	}
	client, err := p.up.Upgrade(w, r, nil)
	if err != nil {
		node.Close()
		return // Upgrade answered the client
	}
	done := p.track(node, client)
	defer done()

	errc := make(chan error, 2)
	go func() { // client to node, unchanged
		for {
			t, msg, err := client.ReadMessage()
			if err != nil {
				errc <- err
				return
			}
			if err := node.WriteMessage(t, msg); err != nil {
				errc <- err
				return
			}
		}
	}()
	go func() { // node to client, rewritten
		for {
			t, msg, err := node.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					client.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(ce.Code, ce.Text))
				}
				errc <- err
				return
			}
			out := [][]byte{msg}
			if t == websocket.TextMessage {
				out = p.rewrite(msg)
			}
			for _, m := range out {
				if err := client.WriteMessage(t, m); err != nil {
					errc <- err
					return
				}
			}
		}
	}()
	<-errc
}
