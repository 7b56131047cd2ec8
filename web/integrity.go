package web

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"io/fs"
	"regexp"
	"sync"
)

// Subresource integrity: every page names the SHA-384 of the scripts and
// style sheets it loads (integrity="sha384-…"), computed here from the
// embedded files, and a page whose worker loads a WebAssembly module gets
// the module's SHA-256 (meta evote-module-sha256) for the worker's fetch to
// check. A script or module changed on the way (a cache, a proxy) is then
// refused by the browser.

// subresource matches a same-origin script or style sheet of a page.
var subresource = regexp.MustCompile(`<(script(?: type="module")? src|link rel="stylesheet" href)="/([a-z0-9._-]+\.(?:js|css))"`)

// integrity returns the SRI value of static file name, "" if there is none.
func integrity(name string) string {
	b, err := fs.ReadFile(assets, "static/"+name)
	if err != nil {
		return ""
	}
	sum := sha512.Sum384(b)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

// pageCache holds each page with its integrity attributes, made once.
var pageCache sync.Map // page path in assets → []byte

// pageWithIntegrity reads page (a path in assets) and adds the integrity
// attribute to each same-origin script and style sheet, and puts the
// modules' SRI values ("sha256-…", "" without a module) where the page says
// {{verifier-integrity}}, {{wallet-integrity}} or {{console-integrity}}.
func pageWithIntegrity(page string) ([]byte, error) {
	if b, ok := pageCache.Load(page); ok {
		return b.([]byte), nil
	}
	b, err := fs.ReadFile(assets, page)
	if err != nil {
		return nil, err
	}
	out := subresource.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := subresource.FindSubmatch(m)
		sri := integrity(string(sub[2]))
		if sri == "" {
			return m
		}
		return append(append([]byte{}, m...), []byte(` integrity="`+sri+`"`)...)
	})
	for placeholder, module := range map[string]func() (wasmModule, error){
		"{{verifier-integrity}}": verifierModule, "{{wallet-integrity}}": walletModule,
		"{{console-integrity}}": consoleModule,
	} {
		sri := ""
		if m, err := module(); err == nil {
			sum := sha256.Sum256(m.raw)
			sri = "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
		}
		out = bytes.ReplaceAll(out, []byte(placeholder), []byte(sri))
	}
	pageCache.Store(page, out)
	return out, nil
}
