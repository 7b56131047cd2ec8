package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/evote/evote/chain"
)

// Pages of other origins (another polling node's wallet, an observer's own
// site) may call the API: it holds no credential (no cookie, no
// authorization header, nothing granted by the caller's address), what it
// answers is public, and what it accepts is signed by its author, so a
// cross-origin page can do through a visitor's browser only what any
// client can do without one. APIOrigins narrows that when an operator
// wants it; the feed keeps its own list (FeedConfig.AllowedOrigins), for
// its capacity is bounded.

// Cross-origin answers.
const (
	corsMethods = "GET, HEAD, POST"
	corsHeaders = "Content-Type"
	corsMaxAge  = "600"
)

// validateSites checks the configuration's API origins and peer nodes.
func (c Config) validateSites() error {
	for _, o := range c.APIOrigins {
		if o == "*" || o == "self" {
			if len(c.APIOrigins) > 1 {
				return fmt.Errorf("api origins: %q stands alone", o)
			}
			continue
		}
		if err := chain.CheckOrigin(o); err != nil {
			return fmt.Errorf("api origin %w", err)
		}
	}
	for _, p := range c.PeerNodes {
		if err := chain.CheckOrigin(p); err != nil {
			return fmt.Errorf("peer node %w", err)
		}
	}
	if c.MaxConns < 0 || c.MaxConnsPerAddress < 0 {
		return errors.New("connection limits must not be negative")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("TLS needs both the certificate and the key file")
	}
	return nil
}

// Validate checks the configuration's values.
func (c Config) Validate() error {
	return errors.Join(c.Feed.Validate(), c.validateSites())
}

// sameOrigin says whether origin o names the host r was sent to.
func sameOrigin(o string, r *http.Request) bool {
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// apiOrigin says whether a page of origin o may call the API.
func (s *Server) apiOrigin(o string) bool {
	if s.anyOrigin {
		return true
	}
	for _, a := range s.apiOrigins {
		if strings.EqualFold(strings.TrimSuffix(a, "/"), o) {
			return true
		}
	}
	return false
}

// cors answers for the API what a browser asks of another origin: the
// preflight of a POST (or any request a page may not send unasked), and
// the Access-Control-Allow-Origin of each answer. A page of an origin the
// node does not allow is refused before the handler runs. It reports
// whether it has answered the request.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || sameOrigin(o, r) || r.URL.Path == "/api/v1/feed" { // the feed checks its own origins
		return false
	}
	if !s.apiOrigin(o) {
		writeError(w, http.StatusForbidden, "origin "+o+" may not call the API of this node (its api-origins)", nil)
		return true
	}
	h := w.Header()
	if s.anyOrigin {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", o)
		h.Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Allow-Headers", corsHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}
