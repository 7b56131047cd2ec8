package feedproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// node is a stand-in for a node's HTTP side: a feed that sends three
// messages and then closes with a code, and one plain endpoint.
func node(t *testing.T) *httptest.Server {
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/feed", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for _, m := range []string{`{"type":"hello","from":` + r.URL.Query().Get("from") + `}`, `{"type":"block","n":1}`, `{"type":"block","n":2}`} {
			c.WriteMessage(websocket.TextMessage, []byte(m))
		}
		// Echo one message from the client, then close.
		if _, m, err := c.ReadMessage(); err == nil {
			c.WriteMessage(websocket.TextMessage, m)
		}
		c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "bye"))
	})
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"height":7}`)
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestProxyRewritesTheFeed(t *testing.T) {
	n := node(t)
	p, err := New(n.URL, func(msg []byte) []byte {
		switch {
		case bytes.Contains(msg, []byte(`"n":1`)):
			return nil // dropped
		case bytes.Contains(msg, []byte(`"n":2`)):
			return bytes.Replace(msg, []byte(`"n":2`), []byte(`"n":3`), 1)
		}
		return msg
	})
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	t.Cleanup(p.Close)

	// Other requests pass through.
	resp, err := http.Get(ps.URL + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"height":7}` {
		t.Fatalf("status through the proxy: %q", body)
	}

	c, _, err := websocket.DefaultDialer.Dial(strings.Replace(ps.URL, "http", "ws", 1)+FeedPath+"?from=5", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []string
	for range 2 {
		_, m, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m))
	}
	if want := []string{`{"type":"hello","from":5}`, `{"type":"block","n":3}`}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("messages through the proxy: %q, want %q", got, want)
	}
	// The client's messages reach the node unchanged (and the node's echo
	// passes the rewrite unchanged).
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	if _, m, err := c.ReadMessage(); err != nil || string(m) != `{"type":"ping"}` {
		t.Fatalf("echo: %q, %v", m, err)
	}
	// The node's close code reaches the client.
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, 4000) {
		t.Fatalf("after the node closed: %v, want close code 4000", err)
	}
}

func TestProxyPassesTheNodesRefusal(t *testing.T) {
	n := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such election", http.StatusNotFound)
	}))
	t.Cleanup(n.Close)
	p, err := New(n.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(p)
	t.Cleanup(ps.Close)
	_, resp, err := websocket.DefaultDialer.Dial(strings.Replace(ps.URL, "http", "ws", 1)+FeedPath, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("dial through the proxy to a refusing node: %v, %v", resp, err)
	}
}
