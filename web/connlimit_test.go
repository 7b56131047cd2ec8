package web

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evote/evote/api"
	"github.com/evote/evote/internal/harness"
)

// holdConnections keeps n connections to addr open from local address
// from, dialing again each one the node closes (it closes a connection
// that sends no request within its header timeout), until ctx ends. It
// returns how many are open now.
func holdConnections(ctx context.Context, t *testing.T, addr, from string, n int) *atomic.Int64 {
	t.Helper()
	var open atomic.Int64
	var wg sync.WaitGroup
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				open.Add(1)
				go func() { <-ctx.Done(); c.Close() }()
				io.Copy(io.Discard, c) // until the node closes it
				open.Add(-1)
				c.Close()
			}
		})
	}
	t.Cleanup(wg.Wait)
	return &open
}

// rawGet sends GET path on a new connection from local address from and
// returns the answer's status line and headers.
func rawGet(t *testing.T, addr, from, path string) (string, http.Header) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", path, from, err)
	}
	resp.Body.Close()
	return resp.Status, resp.Header
}

// TestConnectionLimits: a node holds at most so many connections per
// client address (but 127.0.0.1, where a reverse proxy on the host
// connects from) and in all. While 2,000 connections are held open from
// eight other addresses (dialed again as the node closes them), honest
// voters create, cast and count an election from their own address; one
// connection more from a busy address, or past the node's limit, is
// answered 503 with Retry-After before any request is read, and counted.
func TestConnectionLimits(t *testing.T) {
	tn := startTestNode(t)
	const held, perAddress = 2000, 250
	l, err := Listen(tn.node.Load(), "127.0.0.1:0", Config{MaxConns: held + 40, MaxConnsPerAddress: perAddress}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Stop() })
	addr := strings.TrimPrefix(l.URL, "http://")
	// A reverse proxy on the host connects from 127.0.0.1 for all its
	// clients: more than an address's limit from there is not refused.
	var proxied []net.Conn
	for range perAddress + 10 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		proxied = append(proxied, c)
	}
	if status, _ := rawGet(t, addr, "127.0.0.1", "/api/v1/status"); !strings.HasPrefix(status, "200") {
		t.Fatalf("from 127.0.0.1 past an address's limit: %s", status)
	}
	for _, c := range proxied {
		c.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	var holders []*atomic.Int64
	for i := range held / perAddress {
		holders = append(holders, holdConnections(ctx, t, addr, fmt.Sprintf("127.0.0.%d", 2+i), perAddress))
	}
	t.Cleanup(cancel) // before the holders' cleanups wait for them (cleanups run last first)
	openNow := func() int64 {
		var n int64
		for _, h := range holders {
			n += h.Load()
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); openNow() < held; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d connections held", openNow(), held)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// One more from a busy address: 503, Retry-After.
	status, h := rawGet(t, addr, "127.0.0.2", "/api/v1/status")
	if !strings.HasPrefix(status, "503") || h.Get("Retry-After") == "" {
		t.Fatalf("a connection past the address's limit: %s %v", status, h)
	}

	// Honest voters, from their own address, still vote.
	c, err := api.NewClient(l.URL, &http.Client{Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e, err := harness.Setup(t.Context(), harness.NewAPI(c), harness.Spec{Template: manifestTemplate, Reference: "held", Voters: 3, Authority: tn.authority,
		Vars: map[string]any{"Revoting": false, "Weights": false, "Threshold": 2}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range e.Voters {
		if _, _, err := e.Cast(t.Context(), i, [][]uint64{{1, 0}, {0, 1, 1}}); err != nil {
			t.Fatalf("voter %d while %d connections are held: %v", i, openNow(), err)
		}
	}
	if n := openNow(); n < held*9/10 {
		t.Fatalf("only %d connections were held while the voters voted", n)
	}

	// Past the node's limit: 503 too, from a fresh address. Sixty
	// connections at once take the node past its limit of held + 40.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.20")}}
	var conns []net.Conn
	for range 60 {
		conn, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conns = append(conns, conn)
	}
	refused := 0
	for _, conn := range conns {
		conn.SetReadDeadline(time.Now().Add(time.Second))
		b := make([]byte, 12)
		if n, _ := io.ReadFull(conn, b); n == 12 && string(b) == "HTTP/1.1 503" {
			refused++
		}
		conn.Close()
	}
	if refused == 0 {
		t.Fatal("no connection was refused past the node's limit")
	}
	time.Sleep(100 * time.Millisecond)    // the node sees the closes
	metrics := getOK(t, l.URL+"/metrics") // from 127.0.0.1, which has room
	for _, want := range []string{`evote_connections_refused_total{limit="address"}`, `evote_connections_refused_total{limit="node"}`, "evote_connections_open "} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
