package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/wasmbuild"
)

// The browser's verifier, built by `make wasm` into static/wasm
// (internal/wasmbuild) and embedded with the rest of static/. A tree built
// without it (go build before make wasm) still builds and serves the
// pages; the verifier's URL then answers 404 saying how to build it, and
// the dashboard says that it cannot verify.
const (
	wasmDir        = "static/wasm"
	wasmPath       = "/wasm/verifier.wasm"
	walletWasmPath = "/wasm/wallet.wasm"
	// consoleWasmPath is the officials' console's module.
	consoleWasmPath = "/wasm/console.wasm"
	dashboardFS     = "static/election.html"
	walletFS        = "static/wallet.html"
	consoleFS       = "static/console.html"
)

// handlePages registers the pages other than the static files.
func (s *Server) handlePages() {
	s.mux.HandleFunc("GET /elections/{id}", s.dashboard)
	s.mux.HandleFunc("GET /wallet", servePage(walletFS))
	s.mux.HandleFunc("GET "+wasmPath, serveModule(verifierModule, "the browser's verifier"))
	s.mux.HandleFunc("GET "+walletWasmPath, serveModule(walletModule, "the browser's wallet"))
	s.mux.HandleFunc("GET /console", servePage(consoleFS))
	s.mux.HandleFunc("GET "+consoleWasmPath, serveModule(consoleModule, "the officials' console"))
}

// servePage serves an embedded page that reads everything else from the
// API.
func servePage(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page, err := pageWithIntegrity(name) // with its scripts' integrity
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(page)
	}
}

// dashboard serves the page of election {id}: the page reads the id from
// its URL, and everything else from the API and the feed.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	if _, err := election.ParseID(r.PathValue("id")); err != nil {
		http.Error(w, "not an election id: "+err.Error(), http.StatusNotFound)
		return
	}
	servePage(dashboardFS)(w, r)
}

// verifierModule, walletModule and consoleModule are the embedded
// modules, read once.
var (
	verifierModule = sync.OnceValues(func() (wasmModule, error) { return readModule(wasmbuild.WasmGz) })
	walletModule   = sync.OnceValues(func() (wasmModule, error) { return readModule(wasmbuild.WalletWasmGz) })
	consoleModule  = sync.OnceValues(func() (wasmModule, error) { return readModule(wasmbuild.ConsoleWasmGz) })
)

func readModule(name string) (wasmModule, error) {
	gz, err := fs.ReadFile(assets, wasmDir+"/"+name)
	if err != nil {
		return wasmModule{}, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return wasmModule{}, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return wasmModule{}, err
	}
	sum := sha256.Sum256(raw)
	return wasmModule{gz: gz, raw: raw, etag: `"` + hex.EncodeToString(sum[:]) + `"`}, nil
}

type wasmModule struct {
	gz, raw []byte
	etag    string // the SHA-256 of the uncompressed module
}

// serveModule serves a module, gzip-compressed to clients that accept it.
// Its ETag is the SHA-256 of the uncompressed bytes, which the page shows
// and the tests compare with a build of the source.
func serveModule(module func() (wasmModule, error), what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { serveWasm(w, r, module, what) }
}

func serveWasm(w http.ResponseWriter, r *http.Request, module func() (wasmModule, error), what string) {
	m, err := module()
	if errors.Is(err, fs.ErrNotExist) {
		http.Error(w, "this node was built without "+what+": run make wasm before building", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/wasm")
	h.Set("ETag", m.etag)
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == m.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := m.raw
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = m.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptsGzip reports whether r's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") || strings.TrimSpace(name) == "*" {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
