package web

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
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

// TestSubresourceIntegrity: the pages as served name the SHA-384 of each
// script and style sheet they load, equal to the file the node serves, and
// the election's page gives its worker the verifier module's SHA-256.
func TestSubresourceIntegrity(t *testing.T) {
	srv := httptest.NewServer(New(nil, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	get := func(path string) []byte { return getOK(t, srv.URL+path) }
	attr := regexp.MustCompile(`(?:src|href)="(/[a-z0-9._-]+\.(?:js|css))" integrity="sha384-([A-Za-z0-9+/=]+)"`)
	for _, page := range []string{"/", "/elections/" + strings.Repeat("cd", 32)} {
		body := get(page)
		found := attr.FindAllSubmatch(body, -1)
		if len(found) == 0 || bytes.Count(body, []byte("<script")) != bytes.Count(body, []byte("integrity="))-
			bytes.Count(body, []byte(`rel="stylesheet"`)) {
			t.Errorf("%s: not every script carries its integrity:\n%s", page, body)
		}
		for _, m := range found {
			sum := sha512.Sum384(get(string(m[1])))
			if base64.StdEncoding.EncodeToString(sum[:]) != string(m[2]) {
				t.Errorf("%s: the integrity of %s is not the served file's", page, m[1])
			}
		}
	}
	meta := regexp.MustCompile(`name="evote-verifier-integrity" content="sha256-([A-Za-z0-9+/=]+)"`).FindSubmatch(get("/elections/" + strings.Repeat("cd", 32)))
	if meta == nil {
		t.Fatal("the election's page does not give the verifier module's integrity (run make wasm first)")
	}
	sum := sha256.Sum256(get(wasmPath))
	if base64.StdEncoding.EncodeToString(sum[:]) != string(meta[1]) {
		t.Error("the module's integrity in the page is not the served module's")
	}
}

// getOK fetches url and returns its body, failing the test unless it
// answers 200.
func getOK(t testing.TB, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %v", url, resp.StatusCode, err)
	}
	return b
}
