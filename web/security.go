package web

import (
	"net/http"
	"strings"
)

// contentSecurityPolicy is the pages' policy: scripts, styles and workers
// from this node only, connections to it and to the peer nodes its
// operator names (the wallet lists their elections) only, no inline script
// or style, WebAssembly compiled from what the scripts fetched
// ('wasm-unsafe-eval' allows WebAssembly.instantiate and nothing of eval),
// no plugin, no frame, and forms and the base URL pinned.
func contentSecurityPolicy(peers []string) string {
	connect := "'self'"
	for _, p := range peers {
		connect += " " + strings.TrimSuffix(p, "/")
	}
	return "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
		"connect-src " + connect + "; style-src 'self'; img-src 'self' data:; font-src 'self'; manifest-src 'self'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// setSecurityHeaders sets, on every response, what keeps the pages' code
// the node's own: the content security policy, no MIME sniffing, no
// framing, no referrer to other sites, a browsing context of its own, and
// no powerful feature.
func (s *Server) setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	if s.hsts {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}
