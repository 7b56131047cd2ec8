package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/evote/evote/chain"
)

// ShutdownGrace is how long a stopping HTTP server lets the requests under
// way finish.
const ShutdownGrace = 5 * time.Second

// Listener serves a node's API and pages on one address.
type Listener struct {
	URL     string // http://host:port or https://host:port, the address actually bound
	srv     *http.Server
	handler *Server
	err     chan error
}

// Listen serves node's API, feed and pages on addr (host:port; port 0
// picks one), configured by cfg, with timeouts and header limits fit for
// the public internet. Request errors go to log.
//
// With cfg.TLSCert and cfg.TLSKey it serves HTTPS only (TLS 1.2 at least),
// and every answer carries Strict-Transport-Security.
func Listen(node *chain.Node, addr string, cfg Config, log *slog.Logger) (*Listener, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var tlsConf *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate %s and key %s: %w (give a PEM certificate chain and its PEM private key)", cfg.TLSCert, cfg.TLSKey, err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("HTTP listener: %w", err)
	}
	handler := NewWithConfig(node, log, cfg)
	srv := &http.Server{
		Handler: handler,
		// A request's headers must come within 5 s and its whole body
		// (1.4 MB at most) within 30 s; an idle keep-alive connection is
		// closed after 60 s: connections count against the limits.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsConf,
	}
	l := &Listener{URL: "http://" + ln.Addr().String(), srv: srv, handler: handler, err: make(chan error, 1)}
	limited := newLimitListener(ln, cfg.MaxConns, cfg.MaxConnsPerAddress, tlsConf == nil,
		func(limit string) { handler.metrics.connRefused.WithLabelValues(limit).Inc() })
	open := limited.total.Load
	handler.metrics.connOpen.Store(&open)
	ln = limited
	if tlsConf != nil {
		l.URL = "https://" + ln.Addr().String()
		ln = tls.NewListener(ln, tlsConf)
	}
	go func() { l.err <- srv.Serve(ln) }()
	return l, nil
}

// Err delivers the error that stopped the server, if it stops by itself.
func (l *Listener) Err() <-chan error { return l.err }

// Stop gives the requests under way up to ShutdownGrace to finish, then
// closes every connection left; feed clients are closed with
// CloseStopping (Shutdown does not track websockets).
func (l *Listener) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	defer l.handler.Close()
	err := l.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// A request still waiting for a commit, or a connection a client
		// opened and has not used yet (browsers open some ahead): Shutdown
		// counts the latter as busy for its first 5 seconds. Neither is a
		// failure to stop.
		err = l.srv.Close()
	}
	return err
}
