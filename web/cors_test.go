package web

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/evote/evote/api"
	"github.com/evote/evote/internal/receiptlite"
	"github.com/evote/evote/observer/feed"
)

// corsAnswer is what a request from a page of origin gets.
type corsAnswer struct {
	status int
	header http.Header
}

func corsRequest(t *testing.T, srv *httptest.Server, method, path, origin string, preflight bool) corsAnswer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if preflight {
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "content-type")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return corsAnswer{resp.StatusCode, resp.Header}
}

// TestCrossOriginAPI: by default a page of any origin may call the API
// (the preflight of a POST of a transaction is answered, every answer
// allows the origin); api-origins narrows it to the origins listed, or to
// the node's own pages ("self"), and a page of another origin is refused
// before anything is done. Pages and other paths never allow another
// origin.
func TestCrossOriginAPI(t *testing.T) {
	const other, listed = "https://elsewhere.example", "https://node-b.example:8443"
	serve := func(cfg Config) *httptest.Server {
		srv := httptest.NewServer(NewWithConfig(nil, slog.New(slog.DiscardHandler), cfg))
		t.Cleanup(srv.Close)
		return srv
	}

	anyOrigin := serve(Config{})
	if a := corsRequest(t, anyOrigin, http.MethodOptions, "/api/v1/transactions", other, true); a.status != http.StatusNoContent ||
		a.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(a.header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.EqualFold(a.header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("the preflight of a POST: %d %v", a.status, a.header)
	}
	if a := corsRequest(t, anyOrigin, http.MethodGet, "/api/v1/openapi.yaml", other, false); a.status != http.StatusOK || a.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("a GET from another origin: %d, allow-origin %q", a.status, a.header.Get("Access-Control-Allow-Origin"))
	}
	for _, path := range []string{"/", "/wallet", "/status.js", "/metrics"} {
		if a := corsRequest(t, anyOrigin, http.MethodGet, path, other, false); a.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s allows another origin: %v", path, a.header)
		}
	}
	if a := corsRequest(t, anyOrigin, http.MethodGet, "/api/v1/openapi.yaml", "", false); a.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an answer to a client that is not a page allows an origin: %v", a.header)
	}

	narrow := serve(Config{APIOrigins: []string{listed}})
	if a := corsRequest(t, narrow, http.MethodGet, "/api/v1/openapi.yaml", listed, false); a.status != http.StatusOK ||
		a.header.Get("Access-Control-Allow-Origin") != listed || a.header.Get("Vary") != "Origin" {
		t.Errorf("a listed origin: %d %v", a.status, a.header)
	}
	for _, preflight := range []bool{false, true} {
		method := http.MethodGet
		if preflight {
			method = http.MethodOptions
		}
		if a := corsRequest(t, narrow, method, "/api/v1/transactions", other, preflight); a.status != http.StatusForbidden || a.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("an origin not listed (preflight %v): %d %v", preflight, a.status, a.header)
		}
	}

	self := serve(Config{APIOrigins: []string{"self"}})
	if a := corsRequest(t, self, http.MethodGet, "/api/v1/openapi.yaml", listed, false); a.status != http.StatusForbidden {
		t.Errorf("self: another origin answered %d", a.status)
	}
	if a := corsRequest(t, self, http.MethodGet, "/api/v1/openapi.yaml", self.URL, false); a.status != http.StatusOK {
		t.Errorf("self: the node's own origin answered %d", a.status)
	}
}

// TestPeerNodesPolicy: the peer nodes an operator names are the only
// origins besides the node's own that its pages may connect to.
func TestPeerNodesPolicy(t *testing.T) {
	srv := httptest.NewServer(NewWithConfig(nil, slog.New(slog.DiscardHandler), Config{PeerNodes: []string{"https://node-b.example:8443", "http://10.0.0.7:8080/"}}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/wallet")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "connect-src 'self' https://node-b.example:8443 http://10.0.0.7:8080;") {
		t.Errorf("the policy %q does not let the pages call exactly the peer nodes", csp)
	}
}

// TestWebConfigValidate: every malformed origin or peer is refused with
// its name.
func TestWebConfigValidate(t *testing.T) {
	good := []Config{{}, {APIOrigins: []string{"*"}}, {APIOrigins: []string{"self"}},
		{APIOrigins: []string{"https://a.example", "http://127.0.0.1:8081"}, PeerNodes: []string{"https://b.example:8443/"}}}
	for _, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := []Config{{APIOrigins: []string{"a.example"}}, {APIOrigins: []string{"*", "https://a.example"}},
		{APIOrigins: []string{"self", "https://a.example"}}, {APIOrigins: []string{"https://a.example/x"}},
		{PeerNodes: []string{"ftp://b.example"}}, {PeerNodes: []string{"https://b.example/api/v1"}},
		{PeerNodes: []string{"https://user@b.example"}}, {PeerNodes: []string{"https://b.example?x=1"}}}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: accepted", c)
		}
	}
}

// TestGenesisEndpoint: GET /api/v1/genesis is the chain's genesis as an
// election record's head carries it; the fingerprint a client computes
// from it (the wallet's receiptlite) is the node's, and the status lists
// the node's peers.
func TestGenesisEndpoint(t *testing.T) {
	tn := startTestNode(t)
	r := tn.get(t, "/api/v1/genesis")
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/genesis: %d %s", r.status, r.body)
	}
	var g api.Genesis
	if err := json.Unmarshal(r.body, &g); err != nil {
		t.Fatal(err)
	}
	anchor, err := receiptlite.GenesisAnchor(r.body, "")
	if err != nil {
		t.Fatal(err)
	}
	chainID, head := feed.Genesis(tn.node.Load())
	if g.ChainID != testChainID || chainID != testChainID || anchor.Fingerprint != g.Fingerprint || len(g.Genesis.Validators) != len(head.Validators) {
		t.Fatalf("genesis %+v, computed fingerprint %s", g, anchor.Fingerprint)
	}
	if _, err := receiptlite.GenesisAnchor(r.body, strings.Repeat("ab", 32)); !errors.Is(err, receiptlite.ErrGenesis) {
		t.Fatalf("a pinned fingerprint that differs: %v", err)
	}
	var st api.Status
	tn.getJSON(t, "/api/v1/status", &st)
	if st.PeerNodes == nil || len(st.PeerNodes) != 0 {
		t.Fatalf("peer nodes of a node without peers: %#v", st.PeerNodes)
	}
}
