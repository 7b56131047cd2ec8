package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/evote/evote/internal/wasmbuild"
)

// TestServedVerifierIsTheSource: the verifier module this server serves
// (embedded from web/static/wasm, written by make wasm) is byte for byte
// what the source builds now with the same flags, and wasm_exec.js is the
// toolchain's; the module goes gzip-compressed, as application/wasm, to a
// client that accepts gzip, and uncompressed to one that does not. A stale
// or missing build fails here: run make wasm.
func TestServedVerifierIsTheSource(t *testing.T) {
	servedIsTheSource(t, wasmPath, wasmbuild.Package)
}

// TestServedWalletIsTheSource is the same for the wallet's module.
func TestServedWalletIsTheSource(t *testing.T) {
	servedIsTheSource(t, walletWasmPath, wasmbuild.WalletPackage)
}

func servedIsTheSource(t *testing.T, path, pkg string) {
	srv := httptest.NewServer(New(nil, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	get := func(path, encoding string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if encoding != "" {
			// Set by hand, so that the client does not decompress.
			req.Header.Set("Accept-Encoding", encoding)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return resp, body
	}

	resp, gz := get(path, "gzip, deflate, br")
	if ct, ce := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"); ct != "application/wasm" || ce != "gzip" {
		t.Errorf("Content-Type %q, Content-Encoding %q; want application/wasm, gzip", ct, ce)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	served, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	plainResp, plain := get(path, "identity")
	if plainResp.Header.Get("Content-Encoding") != "" || !bytes.Equal(plain, served) {
		t.Errorf("uncompressed: Content-Encoding %q, %d bytes; want none and the %d bytes gzip gives",
			plainResp.Header.Get("Content-Encoding"), len(plain), len(served))
	}
	sum := sha256.Sum256(served)
	if etag := resp.Header.Get("ETag"); etag != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Errorf("ETag %s, want the SHA-256 of the module", etag)
	}

	built, err := wasmbuild.ModuleOf(t.Context(), "..", pkg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, served) {
		b := sha256.Sum256(built)
		t.Fatalf("the served module %s (%d bytes, sha256 %x) is not what the source builds (%d bytes, sha256 %x): run make wasm",
			path, len(served), sum, len(built), b)
	}
	_, js := get("/wasm/"+wasmbuild.WasmExec, "")
	want, err := wasmbuild.WasmExecJS(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js, want) {
		t.Error("the served wasm_exec.js is not the toolchain's: run make wasm")
	}
	t.Logf("%s: %d bytes, %d gzip-compressed (%.0f%%)", path, len(served), len(gz), 100*float64(len(gz))/float64(len(served)))
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=1.0": true, "br": false,
		"gzip;q=0": false, "gzip; q=0": false, "*": true, "identity": false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Encoding", h)
		if got := acceptsGzip(r); got != want {
			t.Errorf("Accept-Encoding %q: %v, want %v", h, got, want)
		}
	}
}

// TestDashboardRoute: /elections/{id} serves the page for an id, and 404
// for what is not one.
func TestDashboardRoute(t *testing.T) {
	srv := httptest.NewServer(New(nil, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	for path, want := range map[string]int{
		"/elections/" + "5dc5a5512154acca8e6fceef6d9ee85ea206332c697b5109817bbd9acf50e036": http.StatusOK,
		"/elections/nope": http.StatusNotFound,
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
		if want == http.StatusOK && resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, resp.Header.Get("Content-Type"))
		}
	}
}
