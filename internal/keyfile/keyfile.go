// Package keyfile reads and writes the plain key files of the operators'
// and the demo's tools: one key in its text form ("ed25519-secret:" and
// 64 hex digits for an election authority's secret key, docs/spec/keys.md)
// on one line, mode 0600. The key's text form is package election's (or
// wallet's); this package only does the file.
package keyfile

import (
	"encoding"
	"os"
	"path/filepath"
	"strings"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/fileutil"
)

// MaxFile bounds a key file.
const MaxFile = 4096

// Write writes k's text form and a newline to path (mode 0600), making
// its directory (mode 0700) if needed.
func Write(path string, k encoding.TextMarshaler) error {
	b, err := k.MarshalText()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// ReadAuthority reads an election authority's secret key; white space
// around it is ignored.
func ReadAuthority(path string) (*election.PrivateKey, error) {
	b, err := fileutil.ReadFileMax(path, MaxFile)
	if err != nil {
		return nil, err
	}
	return election.ParsePrivateKey(strings.TrimSpace(string(b)))
}
