package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSecurityHeaders: every response, page, script, module or API
// answer, carries the content security policy (no inline script or style,
// scripts and connections from the node only) and the other headers that
// keep the pages' code the node's own.
func TestSecurityHeaders(t *testing.T) {
	srv := httptest.NewServer(New(nil, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	for _, path := range []string{"/", "/status.js", "/status.css", "/elections/" + strings.Repeat("ab", 32), "/dashboard.js",
		"/verifier-worker.js", "/wasm/verifier.wasm", "/api/v1/openapi.yaml", "/no/such/page"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'",
			"style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: the policy %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "'unsafe-eval'") || strings.Contains(csp, "*") {
			t.Errorf("%s: the policy %q allows inline code, eval or any origin", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s is %q, want %q", path, k, h.Get(k), v)
			}
		}
	}
	// The pages hold no inline script or style for the policy to refuse.
	for _, page := range []string{"index.html", "election.html"} {
		b, err := assets.ReadFile("static/" + page)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.Contains(s, "<script>") || strings.Contains(s, "<style") || strings.Contains(s, " style=") || strings.Contains(s, " onclick=") {
			t.Errorf("%s has inline script or style", page)
		}
	}
}
