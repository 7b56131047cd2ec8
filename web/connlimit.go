package web

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Connection limits: a node holds at most a number of connections open in
// all and per client address (Config.MaxConns, MaxConnsPerAddress), so
// that idle or slow connections from a few hosts cannot take every file
// descriptor and leave voters unserved. Past a limit, a connection is
// answered 503 with Retry-After and closed before any request is read (on
// TLS, where nothing can be said before the handshake, it is closed), and
// counted in evote_connections_refused_total{limit}.
//
// Connections from 127.0.0.1 and ::1 count against the node's total only:
// a reverse proxy on the same host connects from there for every client
// it serves.

// Defaults of the connection limits.
const (
	DefaultMaxConns           = 8192
	DefaultMaxConnsPerAddress = 256
	connRetryAfter            = 5 // seconds, in the 503's Retry-After
)

type limitListener struct {
	net.Listener
	max, perAddress int
	plain           bool // plain HTTP: the refusal is a 503
	refused         func(limit string)

	mu     sync.Mutex
	open   int
	byAddr map[string]int
	total  atomic.Int64 // open connections, for the metric
}

func newLimitListener(l net.Listener, max, perAddress int, plain bool, refused func(string)) *limitListener {
	if max <= 0 {
		max = DefaultMaxConns
	}
	if perAddress <= 0 {
		perAddress = DefaultMaxConnsPerAddress
	}
	return &limitListener{Listener: l, max: max, perAddress: perAddress, plain: plain, refused: refused, byAddr: map[string]int{}}
}

// Accept returns the next connection within the limits; those past them
// are refused on the way.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := c.RemoteAddr().String()
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		l.mu.Lock()
		limit := ""
		switch {
		case l.open >= l.max:
			limit = "node"
		case l.byAddr[addr] >= l.perAddress && addr != "127.0.0.1" && addr != "::1":
			limit = "address"
		default:
			l.open++
			l.byAddr[addr]++
			l.total.Store(int64(l.open))
		}
		l.mu.Unlock()
		if limit != "" {
			go l.refuse(c, limit)
			continue
		}
		return &limitedConn{Conn: c, l: l, addr: addr}, nil
	}
}

// refuse answers c 503 (plain HTTP) and closes it. The request is read
// and dropped for a moment after the answer, so that closing does not
// reset the connection before the client has read it.
func (l *limitListener) refuse(c net.Conn, limit string) {
	defer c.Close()
	if l.refused != nil {
		l.refused(limit)
	}
	if !l.plain {
		return
	}
	msg := "the node holds as many connections as it serves; try again later"
	if limit == "address" {
		msg = "this address holds as many connections to the node as one address may; close some, or try again later"
	}
	body := fmt.Sprintf(`{"error": %q}`+"\n", msg)
	c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: %d\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		connRetryAfter, len(body), body)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(c, 1<<16))
}

func (l *limitListener) release(addr string) {
	l.mu.Lock()
	l.open--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
	l.total.Store(int64(l.open))
	l.mu.Unlock()
}

// limitedConn gives its place back when closed (once, however often it
// is closed: by the server, or by the feed after a hijack).
type limitedConn struct {
	net.Conn
	l    *limitListener
	addr string
	once sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() { c.l.release(c.addr) })
	return c.Conn.Close()
}
